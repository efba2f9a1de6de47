//! The diagonal fast path: 1-D and 2-D problems whose K and noise factor are diagonal run
//! [`LANES`] particles side by side (struct of arrays, lane = particle), blocks of
//! [`NOISE_BLOCK_STEPS`] steps at a time, with the arithmetic of the general path's `step_once`
//! (the same numbers bit for bit, tested).

use crate::general::{FrameworkStep, Oracle, PaperRule, Update};
use crate::lanes::StreamLanes;
use crate::{avx2, Particles};

/// Steps whose normals the diagonal fast path draws at once.
pub(super) const NOISE_BLOCK_STEPS: usize = 64;
/// Particles the diagonal fast path advances together (one per vector lane).
pub(super) const LANES: usize = 16;

/// A scalar rule of the diagonal fast path.
#[derive(Clone, Copy, Debug)]
pub(super) enum DiagonalRule {
    Paper(PaperRule),
    Framework(FrameworkStep),
}

impl Particles {
    /// The diagonal fast path; returns false (doing nothing) when it does not apply.
    pub(super) fn advance_diagonal<const D: usize>(&mut self, steps: u64) -> bool {
        let Oracle::Gaussian {
            hessian,
            noise_factor,
            diagonal: true,
        } = &self.oracle
        else {
            return false;
        };
        let rule = match self.update {
            Update::Paper(rule) => DiagonalRule::Paper(rule),
            Update::Framework(step) => DiagonalRule::Framework(step),
            Update::Preconditioned { .. } | Update::Adaptive(_) => return false,
        };
        let mut h = [0.0; D];
        let mut l = [0.0; D];
        let mut c = [0.0; D];
        for a in 0..D {
            h[a] = hessian[a * D + a];
            l[a] = noise_factor[a * D + a];
            c[a] = self.centre[a];
        }
        let has_momentum = !self.momenta.is_empty();
        let tracked = self.burn_in.is_some();
        let alive: Vec<usize> = (0..self.particles)
            .filter(|&p| self.diverged_at[p].is_none())
            .collect();
        // Particles run LANES at a time, one per lane, as a struct of arrays: the compiler
        // vectorises the generator and the update across particles, while each particle still
        // sees exactly its own numbers. A short last group is padded with copies of its first
        // particle, whose results are dropped.
        let mut noise = vec![[0.0; LANES]; NOISE_BLOCK_STEPS * D];
        for group in alive.chunks(LANES) {
            let Some(mut streams) =
                StreamLanes::<LANES>::load(group.iter().map(|&p| &self.streams[p]))
            else {
                continue;
            };
            let mut lanes = DiagonalLanes::<D>::default();
            for lane in 0..LANES {
                let p = group.get(lane).copied().unwrap_or(group[0]);
                for a in 0..D {
                    lanes.w[a][lane] = self.weights[p * D + a];
                    if has_momentum {
                        lanes.m[a][lane] = self.momenta[p * D + a];
                    }
                    // The running sums themselves, so that each step adds to them as on the
                    // general path (and slicing a run cannot change their rounding).
                    if tracked {
                        lanes.first[a][lane] = self.sum_first[p * D + a];
                        for b in 0..D {
                            lanes.second[a][b][lane] = self.sum_second[p * D * D + a * D + b];
                        }
                    }
                }
            }
            let mut diverged_at = [None; LANES];
            // The normals of a block of steps are drawn ahead (same numbers, same order). A
            // particle that diverges mid-block has drawn a few normals too many, but it is frozen
            // for good and its stream never used again.
            let mut block_start = 0u64;
            while block_start < steps {
                let block_steps = (steps - block_start).min(NOISE_BLOCK_STEPS as u64) as usize;
                streams.fill(&self.zig, &mut noise[..block_steps * D]);
                let first_step = self.steps + block_start + 1;
                let block = Block {
                    centre: &c,
                    bound: self.bound,
                    burn_in: self.burn_in,
                    first_step,
                    noise: &noise[..block_steps * D],
                };
                let all_diverged = lanes.run(rule, &h, &l, block, &mut diverged_at);
                if all_diverged {
                    break;
                }
                block_start += block_steps as u64;
            }
            for (lane, &p) in group.iter().enumerate() {
                self.diverged_at[p] = diverged_at[lane];
                self.streams[p] = streams.stream(lane);
                for a in 0..D {
                    self.weights[p * D + a] = lanes.w[a][lane];
                    if has_momentum {
                        self.momenta[p * D + a] = lanes.m[a][lane];
                    }
                }
                if self.burn_in.is_some() {
                    for a in 0..D {
                        self.sum_first[p * D + a] = lanes.first[a][lane];
                        for b in 0..D {
                            self.sum_second[p * D * D + a * D + b] = lanes.second[a][b][lane];
                        }
                    }
                }
            }
        }
        true
    }
}

/// One block of steps of the diagonal fast path: the steps first_step, first_step + 1, … whose
/// normals are `noise` (D per step, `noise[step·D + a][lane]`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Block<'a, const D: usize> {
    /// The minimum c (divergence is |w − c| beyond `bound`; the running sums are of w − c).
    centre: &'a [f64; D],
    bound: f64,
    /// Steps after this one are summed into the time averages.
    burn_in: Option<u64>,
    first_step: u64,
    noise: &'a [[f64; LANES]],
}

/// [`LANES`] particles of the diagonal fast path, struct of arrays (`w[a][lane]`).
#[derive(Clone, Debug)]
pub(super) struct DiagonalLanes<const D: usize> {
    w: [[f64; LANES]; D],
    m: [[f64; LANES]; D],
    /// Σ_t (w−c) and Σ_t (w−c)(w−c)ᵀ after the burn-in (the particles' running sums).
    first: [[f64; LANES]; D],
    second: [[[f64; LANES]; D]; D],
    /// Lanes not yet diverged.
    alive: [bool; LANES],
}

impl<const D: usize> Default for DiagonalLanes<D> {
    fn default() -> Self {
        Self {
            w: [[0.0; LANES]; D],
            m: [[0.0; LANES]; D],
            first: [[0.0; LANES]; D],
            second: [[[0.0; LANES]; D]; D],
            alive: [true; LANES],
        }
    }
}

impl<const D: usize> DiagonalLanes<D> {
    /// Runs the steps first_step, first_step + 1, … whose normals are `noise` (D per step,
    /// `noise[step·D + a][lane]`), with the arithmetic of `step_once` on a diagonal oracle.
    /// Records divergence steps in `diverged_at`; returns whether every lane has diverged.
    #[inline(always)]
    fn run(
        &mut self,
        rule: DiagonalRule,
        h: &[f64; D],
        l: &[f64; D],
        block: Block<'_, D>,
        diverged_at: &mut [Option<u64>; LANES],
    ) -> bool {
        // One loop per rule, so that the rule's arithmetic sits in the vectorised loop body.
        // Each closure maps (a, w_a, m_a, ξ_a) to the new (w_a, m_a), as in `step_once`.
        let gradient = |a: usize, w: f64, noise: f64| h[a] * w + l[a] * noise;
        match rule {
            // Eq. 6: w_t = w_{t−1} − λ g_t.
            DiagonalRule::Paper(PaperRule::Sgd { lr }) => self.run_rule(
                |a, w, m, xi| (w - lr * gradient(a, w, xi), m),
                block,
                diverged_at,
            ),
            // Eq. 10: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − λ m_t.
            DiagonalRule::Paper(PaperRule::Momentum { lr, mu }) => self.run_rule(
                |a, w, m, xi| {
                    let m = mu * m + gradient(a, w, xi);
                    (w - lr * m, m)
                },
                block,
                diverged_at,
            ),
            // The gradient at the look-ahead w − λμm.
            DiagonalRule::Paper(PaperRule::Nesterov { lr, mu }) => self.run_rule(
                |a, w, m, xi| {
                    let m = mu * m + gradient(a, w - lr * mu * m, xi);
                    (w - lr * m, m)
                },
                block,
                diverged_at,
            ),
            // The frameworks' documented step.
            DiagonalRule::Framework(step) => self.run_rule(
                |a, w, m, xi| step.apply(w, m, gradient(a, w, xi)),
                block,
                diverged_at,
            ),
            // Eq. 53: m_t = μ m_{t−1} + (1−μ) g_t; w_t = w_{t−1} − λ[(1−ν) g_t + ν m_t].
            DiagonalRule::Paper(PaperRule::QuasiHyperbolic { lr, mu, nu }) => self.run_rule(
                |a, w, m, xi| {
                    let g = gradient(a, w, xi);
                    let m = mu * m + (1.0 - mu) * g;
                    (w - lr * ((1.0 - nu) * g + nu * m), m)
                },
                block,
                diverged_at,
            ),
        }
    }

    /// [`DiagonalLanes::run`] for one rule.
    #[inline(always)]
    fn run_rule(
        &mut self,
        rule: impl Fn(usize, f64, f64, f64) -> (f64, f64),
        block: Block<'_, D>,
        diverged_at: &mut [Option<u64>; LANES],
    ) -> bool {
        if self.alive.iter().all(|&a| a) && self.run_unchecked(&rule, block) {
            return false;
        }
        self.run_checked(&rule, block, diverged_at)
    }

    /// Runs the block optimistically, assuming that no particle diverges in it: without the
    /// per-step test, summing |w − c| per lane over steps and coordinates instead. A
    /// floating-point sum of non-negative terms is at least each term, so a sum ≤ bound proves
    /// that no step crossed (∞ and NaN fail it): then the block stands as run and this returns
    /// true. Otherwise it leaves the lanes as they were and returns false (the caller then runs
    /// [`DiagonalLanes::run_checked`]). Either way, the same numbers.
    ///
    /// Kept out of line: inlined into the large caller, LLVM's SLP vectoriser gave up on it
    /// natively (scalar code, state in memory); alone it is vectorised on x86-64 and wasm32.
    ///
    /// Compiled for AVX2 as well, and that build taken when the CPU has it ([`avx2`]).
    #[inline(never)]
    fn run_unchecked(
        &mut self,
        rule: &impl Fn(usize, f64, f64, f64) -> (f64, f64),
        block: Block<'_, D>,
    ) -> bool {
        if let Some(done) = avx2::run_unchecked(self, rule, block) {
            return done;
        }
        self.run_unchecked_portable(rule, block)
    }

    /// [`DiagonalLanes::run_unchecked`]'s body, for the target's baseline and for AVX2.
    #[inline(always)]
    pub(super) fn run_unchecked_portable(
        &mut self,
        rule: &impl Fn(usize, f64, f64, f64) -> (f64, f64),
        block: Block<'_, D>,
    ) -> bool {
        let Block {
            centre: c,
            bound,
            burn_in,
            first_step,
            noise,
        } = block;
        let (mut w, mut m) = (self.w, self.m);
        let (mut first, mut second) = (self.first, self.second);
        let mut total = [0.0; LANES];
        // Step t = first_step + s is tracked when t > burn_in: the block's rows split into
        // untracked ones, then tracked ones, each run by a loop without a branch.
        let steps = noise.len() / D;
        let tracked_from = burn_in.map_or(steps, |b| {
            let from = b.saturating_add(1).saturating_sub(first_step);
            from.min(steps as u64) as usize
        });
        let (untracked, tracked) = noise.split_at(tracked_from * D);
        let mut step = |w: &mut [[f64; LANES]; D], noise: &[[f64; LANES]]| {
            for a in 0..D {
                for lane in 0..LANES {
                    (w[a][lane], m[a][lane]) = rule(a, w[a][lane], m[a][lane], noise[a][lane]);
                    total[lane] += (w[a][lane] - c[a]).abs();
                }
            }
        };
        for noise in untracked.chunks_exact(D) {
            step(&mut w, noise);
        }
        for noise in tracked.chunks_exact(D) {
            step(&mut w, noise);
            for a in 0..D {
                for lane in 0..LANES {
                    let da = w[a][lane] - c[a];
                    first[a][lane] += da;
                    for b in 0..D {
                        second[a][b][lane] += da * (w[b][lane] - c[b]);
                    }
                }
            }
        }
        if !total.iter().all(|&t| t <= bound) {
            return false;
        }
        (self.w, self.m) = (w, m);
        (self.first, self.second) = (first, second);
        true
    }

    /// Runs the block with the general path's per-step divergence test: a lane that crosses is
    /// frozen at that step. Returns whether every lane has diverged.
    #[inline(never)]
    fn run_checked(
        &mut self,
        rule: &impl Fn(usize, f64, f64, f64) -> (f64, f64),
        block: Block<'_, D>,
        diverged_at: &mut [Option<u64>; LANES],
    ) -> bool {
        let Block {
            centre: c,
            bound,
            burn_in,
            first_step,
            noise,
        } = block;
        let (mut w, mut m) = (self.w, self.m);
        let (mut first, mut second) = (self.first, self.second);
        let mut alive = self.alive;
        let mut all_alive = alive.iter().all(|&a| a);
        // The general path's test.
        let outside = |w: &[[f64; LANES]; D], lane: usize| {
            let mut out = false;
            for a in 0..D {
                let dev = w[a][lane] - c[a];
                out |= dev.is_nan() || dev.abs() > bound;
            }
            out
        };
        for (s, noise) in noise.chunks_exact(D).enumerate() {
            let t = first_step + s as u64;
            let tracked = burn_in.is_some_and(|b| t > b);
            if all_alive {
                for a in 0..D {
                    for lane in 0..LANES {
                        (w[a][lane], m[a][lane]) = rule(a, w[a][lane], m[a][lane], noise[a][lane]);
                    }
                }
                if within(&w, c, bound) {
                    if tracked {
                        for a in 0..D {
                            for lane in 0..LANES {
                                let da = w[a][lane] - c[a];
                                first[a][lane] += da;
                                for b in 0..D {
                                    second[a][b][lane] += da * (w[b][lane] - c[b]);
                                }
                            }
                        }
                    }
                    continue;
                }
            } else {
                // Some lane has diverged: it stays frozen at the step it crossed.
                for lane in 0..LANES {
                    if alive[lane] {
                        for a in 0..D {
                            (w[a][lane], m[a][lane]) =
                                rule(a, w[a][lane], m[a][lane], noise[a][lane]);
                        }
                    }
                }
            }
            // Rare: a lane has diverged, now or before.
            all_alive = false;
            for lane in 0..LANES {
                if !alive[lane] {
                    continue;
                }
                if outside(&w, lane) {
                    alive[lane] = false;
                    diverged_at[lane] = Some(t);
                    continue;
                }
                if tracked {
                    for a in 0..D {
                        let da = w[a][lane] - c[a];
                        first[a][lane] += da;
                        for b in 0..D {
                            second[a][b][lane] += da * (w[b][lane] - c[b]);
                        }
                    }
                }
            }
            if !alive.iter().any(|&a| a) {
                break;
            }
        }
        (self.w, self.m) = (w, m);
        (self.first, self.second) = (first, second);
        self.alive = alive;
        !alive.iter().any(|&a| a)
    }
}

/// Whether every lane of `w` is within `bound` of `c` in every coordinate, by a sum: a
/// floating-point sum of non-negative terms is at least each term, so Σ|w − c| ≤ bound implies
/// each |w − c| ≤ bound (and ∞ or NaN fail it). False means "check each lane", not "diverged".
/// Cheaper per step than a per-lane test, and vectorises well.
#[inline(always)]
fn within<const D: usize>(w: &[[f64; LANES]; D], c: &[f64; D], bound: f64) -> bool {
    let mut total = [0.0; LANES];
    for a in 0..D {
        for lane in 0..LANES {
            total[lane] += (w[a][lane] - c[a]).abs();
        }
    }
    // A tree, not a chain of LANES dependent additions.
    const { assert!(LANES.is_power_of_two()) };
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for lane in 0..width {
            total[lane] += total[lane + width];
        }
    }
    total[0] <= bound
}
