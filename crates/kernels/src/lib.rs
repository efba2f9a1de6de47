//! The simulator's hot loops, for `sgd-playground`'s `sim` (which builds them from a validated
//! problem and computes the statistics): the portable normal sampler ([`normal`]), the particle
//! lanes and their generator kernels, the diagonal fast path and the general path's steps.
//!
//! A crate of its own so that the page's build can compile it for speed while the rest of the
//! `.wasm` is compiled for size (`Cargo.toml`, `profile.wasm-release`): optimised for size, these
//! loops run about 40% slower in V8. Code is compiled at the opt-level of the crate that
//! instantiates it, so generic and `#[inline]` items would take the caller's; the entry points
//! here are therefore plain functions, kept out of line, that each run a whole loop:
//! [`Particles::advance`], [`seeded_streams`], [`advance_escape`], and the double well's exact
//! escape time on a grid ([`escape::mean_escape_steps_on_grid`]). Everything else the main
//! crate uses is plain data (with `pub` fields) or `#[inline(always)]` one-liners.

mod avx2;
mod diagonal;
pub mod escape;
mod general;
mod lanes;
pub mod normal;
mod pair;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use escape::{advance_escape, EscapeWalk};
use general::{step_once, ParticleState, Scratch};
pub use general::{
    AdaptiveRule, AdaptiveStep, FrameworkMomentum, FrameworkStep, Oracle, PaperRule, Update,
};
use normal::{NormalStream, Ziggurat};

/// The state of an ensemble's particles and the rule they follow: what [`Particles::advance`]
/// steps. The main crate's `sim::Ensemble` builds it and reads its statistics from it.
#[derive(Clone, Debug)]
pub struct Particles {
    /// Dimension D.
    pub dimension: usize,
    /// Number of particles P.
    pub particles: usize,
    /// The gradient oracle.
    pub oracle: Oracle,
    /// The update rule.
    pub update: Update,
    /// The point c the divergence bound and the running sums are measured from.
    pub centre: Vec<f64>,
    /// A particle with max |w − c| above this (or not finite) is diverged.
    pub bound: f64,
    /// w, particle-major (P×D).
    pub weights: Vec<f64>,
    /// m, particle-major (P×D); empty for rules without momentum.
    pub momenta: Vec<f64>,
    /// An adaptive method's second moment v, particle-major (P×D); empty for other rules.
    pub second_moments: Vec<f64>,
    /// Centered RMSprop's average gradient ḡ, particle-major (P×D); empty otherwise.
    pub gradient_means: Vec<f64>,
    /// Each particle's random stream.
    pub streams: Vec<NormalStream>,
    /// Step at which each particle diverged (None: alive).
    pub diverged_at: Vec<Option<u64>>,
    /// Steps taken so far.
    pub steps: u64,
    /// Steps after which the running sums accumulate (`None`: no time averages).
    pub burn_in: Option<u64>,
    /// Per particle: Σ_t (w−c) (D) after the burn-in; empty without one.
    pub sum_first: Vec<f64>,
    /// Per particle: Σ_t (w−c)(w−c)ᵀ (D×D) after the burn-in; empty without one.
    pub sum_second: Vec<f64>,
    /// The normal sampler's tables.
    pub zig: Ziggurat,
    /// Whether the diagonal fast path may be taken (off: tests comparing it with the general
    /// path).
    pub allow_fast_path: bool,
}

impl Particles {
    /// Advances every live particle by `steps` steps: a particle whose |w − c| exceeds the bound
    /// (or is not finite) is frozen at the step it crossed. Slicing a run into several calls
    /// gives exactly the numbers of one call.
    #[inline(never)]
    pub fn advance(&mut self, steps: u64) {
        // Fast paths for the figures' workloads: diagonal K and C in one or two dimensions with a
        // scalar rule. Same draws in the same order and the same arithmetic as the general path,
        // so the numbers are identical (tested); only the bookkeeping is cheaper.
        if self.allow_fast_path {
            let handled = match self.dimension {
                1 => self.advance_diagonal::<1>(steps),
                2 => self.advance_diagonal::<2>(steps),
                _ => false,
            };
            if handled {
                self.steps += steps;
                return;
            }
        }
        let d = self.dimension;
        let mut w = vec![0.0; d];
        let mut m = vec![0.0; d];
        let mut second = vec![0.0; if self.second_moments.is_empty() { 0 } else { d }];
        let mut average = vec![0.0; if self.gradient_means.is_empty() { 0 } else { d }];
        let mut scratch = Scratch::new(d, &self.oracle);
        for p in 0..self.particles {
            if self.diverged_at[p].is_some() {
                continue;
            }
            w.copy_from_slice(&self.weights[p * d..(p + 1) * d]);
            if !self.momenta.is_empty() {
                m.copy_from_slice(&self.momenta[p * d..(p + 1) * d]);
            }
            if !second.is_empty() {
                second.copy_from_slice(&self.second_moments[p * d..(p + 1) * d]);
            }
            if !average.is_empty() {
                average.copy_from_slice(&self.gradient_means[p * d..(p + 1) * d]);
            }
            let rng = &mut self.streams[p];
            for step in 0..steps {
                let t = self.steps + step + 1;
                let mut state = ParticleState {
                    momentum: &mut m,
                    second: &mut second,
                    average: &mut average,
                    step: t,
                };
                step_once(
                    &self.update,
                    &self.oracle,
                    &self.zig,
                    rng,
                    &mut w,
                    &mut state,
                    &mut scratch,
                );
                let mut out = false;
                for (wi, ci) in w.iter().zip(&self.centre) {
                    let dev = wi - ci;
                    if dev.is_nan() || dev.abs() > self.bound {
                        out = true;
                    }
                }
                if out {
                    self.diverged_at[p] = Some(t);
                    break;
                }
                if let Some(burn_in) = self.burn_in {
                    if t > burn_in {
                        let first = &mut self.sum_first[p * d..(p + 1) * d];
                        let second = &mut self.sum_second[p * d * d..(p + 1) * d * d];
                        for a in 0..d {
                            let da = w[a] - self.centre[a];
                            first[a] += da;
                            for b in 0..d {
                                second[a * d + b] += da * (w[b] - self.centre[b]);
                            }
                        }
                    }
                }
            }
            self.weights[p * d..(p + 1) * d].copy_from_slice(&w);
            if !self.momenta.is_empty() {
                self.momenta[p * d..(p + 1) * d].copy_from_slice(&m);
            }
            if !second.is_empty() {
                self.second_moments[p * d..(p + 1) * d].copy_from_slice(&second);
            }
            if !average.is_empty() {
                self.gradient_means[p * d..(p + 1) * d].copy_from_slice(&average);
            }
        }
        self.steps += steps;
    }
}

/// The streams of `count` particles: the seed's Xoshiro256++ stream, jumped 2¹²⁸ steps per
/// particle (non-overlapping).
///
/// ```
/// use sgd_playground_kernels::{normal::Ziggurat, seeded_streams};
///
/// let zig = Ziggurat::new();
/// let mut streams = seeded_streams(1, 2);
/// let (a, b) = (streams[0].normal(&zig), streams[1].normal(&zig));
/// assert!(a.is_finite() && b.is_finite() && a != b);
/// // The same seed, the same numbers.
/// assert_eq!(seeded_streams(1, 1)[0].normal(&zig).to_bits(), a.to_bits());
/// ```
#[inline(never)]
pub fn seeded_streams(seed: u64, count: usize) -> Vec<NormalStream> {
    let mut base = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        streams.push(NormalStream::new(base.clone()));
        lanes::jump(&mut base);
    }
    streams
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 37 particles from w = 0 of a diagonal problem, K = diag(1, 0.1), C = diag(1, 0.02) (the
    /// first D entries), with a burn-in of 10 steps.
    fn particles(rule: PaperRule, d: usize, bound: f64) -> Particles {
        let (k, c) = ([1.0, 0.1], [1.0f64, 0.02]);
        let p = 37;
        let mut hessian = vec![0.0; d * d];
        let mut noise_factor = vec![0.0; d * d];
        for a in 0..d {
            hessian[a * d + a] = k[a];
            noise_factor[a * d + a] = c[a].sqrt();
        }
        let update = Update::Paper(rule);
        Particles {
            dimension: d,
            particles: p,
            oracle: Oracle::Gaussian {
                hessian,
                noise_factor,
                diagonal: true,
            },
            momenta: if update.has_momentum() {
                vec![0.0; p * d]
            } else {
                Vec::new()
            },
            update,
            second_moments: Vec::new(),
            gradient_means: Vec::new(),
            centre: vec![0.0; d],
            bound,
            weights: vec![0.0; p * d],
            streams: seeded_streams(5, p),
            diverged_at: vec![None; p],
            steps: 0,
            burn_in: Some(10),
            sum_first: vec![0.0; p * d],
            sum_second: vec![0.0; p * d * d],
            zig: Ziggurat::new(),
            allow_fast_path: true,
        }
    }

    /// The lanes' divergence handling (a lane frozen mid-block while the others go on, blocks
    /// re-run with the per-step test, all lanes of a group diverged, a short last group, slices)
    /// gives the general path's numbers, with and without the AVX2 builds.
    #[test]
    fn fast_path_divergence_matches_the_general_path() {
        let (mut mixed, mut all_gone) = (0, 0);
        for (rule, bound) in [
            (PaperRule::Sgd { lr: 1.2 }, 4.0),
            (PaperRule::Sgd { lr: 2.3 }, 1e8),
            (PaperRule::Momentum { lr: 0.9, mu: 0.5 }, 3.5),
            (
                PaperRule::QuasiHyperbolic {
                    lr: 0.9,
                    mu: 0.5,
                    nu: 0.7,
                },
                1.6,
            ),
            (PaperRule::Nesterov { lr: 0.9, mu: 0.5 }, 2.5),
        ] {
            for d in [1usize, 2] {
                let mut fast = particles(rule, d, bound);
                let mut general = fast.clone();
                general.allow_fast_path = false;
                // The fast path without AVX2 as well (the same as `fast` on a CPU without it).
                let mut portable = fast.clone();
                for slice in [1u64, 70, 3, 200] {
                    fast.advance(slice);
                    general.advance(slice);
                    avx2::portable_only(|| portable.advance(slice));
                }
                for run in [&portable, &fast] {
                    assert_eq!(run.weights, general.weights, "{rule:?} D={d}");
                    assert_eq!(run.momenta, general.momenta, "{rule:?} D={d}");
                    assert_eq!(run.diverged_at, general.diverged_at, "{rule:?} D={d}");
                    assert_eq!(run.sum_first, general.sum_first, "{rule:?} D={d}");
                    assert_eq!(run.sum_second, general.sum_second, "{rule:?} D={d}");
                    assert_eq!(run.steps, general.steps, "{rule:?} D={d}");
                    // Live particles' streams too (a diverged one may have drawn a block ahead).
                    for p in 0..37 {
                        if run.diverged_at[p].is_none() {
                            assert_eq!(run.streams[p], general.streams[p], "{rule:?} D={d}");
                        }
                    }
                }
                let diverged = fast.diverged_at.iter().filter(|t| t.is_some()).count();
                mixed += usize::from(diverged > 0 && diverged < 37);
                all_gone += usize::from(diverged == 37);
            }
        }
        // The cases the test is for: some particles diverged beside survivors, and all.
        assert!(
            mixed >= 4 && all_gone >= 2,
            "{mixed} mixed, {all_gone} all diverged"
        );
    }

    /// The table jump of [`seeded_streams`] is the reference one.
    #[test]
    fn seeded_streams_jump_the_seed_stream() {
        let streams = seeded_streams(9, 5);
        let mut base = Xoshiro256PlusPlus::seed_from_u64(9);
        for stream in &streams {
            assert_eq!(*stream, NormalStream::new(base.clone()));
            base.jump();
        }
    }
}
