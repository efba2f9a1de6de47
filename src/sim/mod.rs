//! The simulator: ensembles of independent particles running an optimizer with white Gaussian or
//! real minibatch noise, step-able, seeded, reproducible bit for bit.
//!
//! - **Literal updates.** Each optimizer is simulated from its update rule as printed (Eq. 6, 10,
//!   53, Corollary 3; Nesterov's look-ahead), in the original coordinates, with the gradient
//!   g = K w + η (Gaussian) or the sampled minibatch gradient of Eq. 28: the simulation does not
//!   share the theory engine's per-mode algebra, so it is an independent check of it.
//! - **Reproducible.** Particle p draws from its own Xoshiro256++ stream (the seed's stream jumped
//!   p times by 2¹²⁸), normals come from a portable ziggurat ([`normal`]); so a particle's path
//!   depends only on (seed, p), the same natively and in wasm, and the slicing of a run into
//!   [`Ensemble::advance`] calls never changes a number.
//! - **Divergence.** A particle whose |w − centre| exceeds the bound (or is not finite) is frozen at
//!   the step it crossed and counted, never entering the statistics.
//! - **Statistics** ([`Ensemble::statistics`]): mean and covariance across particles with standard
//!   errors estimated from the ensemble itself (no Gaussian assumption), and optionally
//!   time-averaged moments after a burn-in with per-particle standard errors.

pub mod double_well;
pub mod loss_curve;
mod setup;
pub mod workload;

/// The portable normal sampler (in the kernels' crate, `sgd_playground_kernels::normal`).
pub use sgd_playground_kernels::normal;

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use sgd_playground_kernels::{seeded_streams, AdaptiveStep, Oracle, Particles, Update};

use crate::error::FieldError;
use crate::linalg::{symmetrize, SymmetricEigen};
use crate::model::{AdaptiveKind, Noise, Optimizer, PaperRule, Problem};
use crate::solver;
use normal::Ziggurat;
use setup::{adaptive_step, framework_step, gaussian_oracle, kernel_rule, psd_factor, row_major};

/// Largest ensemble a native run accepts (particles).
pub const MAX_PARTICLES: usize = 10_000_000;

/// The fewest particles in a block when an ensemble is split across threads
/// ([`Ensemble::split`]): below that, a thread's start costs more than the block's work saves.
pub const BLOCK_MIN_PARTICLES: usize = 512;
/// Largest amount of work (particles × steps × dimension) one native run accepts.
pub const MAX_PARTICLE_STEPS: u64 = 100_000_000_000;

/// Where every particle starts.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Start {
    /// w₀ = 0 and m₀ = 0 (the minimum for Gaussian noise; for regression, the origin, not ŵ).
    #[default]
    Zero,
    /// w₀ = the given point, m₀ = 0.
    Point(DVector<f64>),
    /// The exact stationary state: (w₀, m₀) ~ N(mean, stationary state covariance) of the solver.
    Stationary,
}

/// How natural gradient descent gets its preconditioner Λ = λ(KΣK)⁻¹.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NaturalGradientFisher {
    /// Σ from the exact self-consistent stationary solution (a fixed Λ).
    #[default]
    Exact,
    /// Σ estimated from the ensemble at every step (the particles are then coupled through Λ, and
    /// with Fisher noise through C = (N−S)/(NS)·KΣ̂K too). Beware: this mean-field dynamics is
    /// itself unstable at small noise. In 1-D, with u = kσ/λ and γ = c/(kλ), the covariance map is
    /// u ↦ u − 2 + 1/u + γ/u²; its fixed point (the exact Σ) is stable only for γ ≳ 4.1, below
    /// which the ensemble covariance oscillates instead of settling (tested).
    Ensemble,
}

/// What to simulate besides the problem itself.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleSpec {
    /// Number of independent particles P.
    pub particles: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Starting state.
    pub start: Start,
    /// Steps after which time averages start accumulating (`None`: no time averages).
    pub burn_in: Option<u64>,
    /// A particle with max |w − centre| above this is diverged.
    pub divergence_bound: f64,
    /// NGD's Fisher estimate.
    pub natural_gradient_fisher: NaturalGradientFisher,
}

impl Default for EnsembleSpec {
    fn default() -> Self {
        Self {
            particles: 1000,
            seed: 0,
            start: Start::Zero,
            burn_in: None,
            divergence_bound: 1e8,
            natural_gradient_fisher: NaturalGradientFisher::Exact,
        }
    }
}

/// The ensemble's statistics at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleStatistics {
    /// Steps taken so far.
    pub steps: u64,
    /// Particles in the ensemble (diverged ones included).
    pub particles: usize,
    /// Particles that diverged (excluded from everything below).
    pub diverged: usize,
    /// Mean of w over the live particles.
    pub mean: DVector<f64>,
    /// Standard error of each mean entry.
    pub mean_stderr: DVector<f64>,
    /// Covariance of w across live particles (divisor P−1).
    pub covariance: DMatrix<f64>,
    /// Standard error of each covariance entry: the standard deviation of the centred products
    /// (w_a − w̄_a)(w_b − w̄_b) over particles, divided by √P (no Gaussian assumption).
    pub covariance_stderr: DMatrix<f64>,
    /// Time averages after the burn-in, if requested and begun.
    pub time_averaged: Option<TimeAveraged>,
}

/// Moments averaged over time (after the burn-in) and over particles.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeAveraged {
    /// Steps averaged per particle.
    pub samples_per_particle: u64,
    /// Time-and-ensemble mean of w.
    pub mean: DVector<f64>,
    /// Time-and-ensemble covariance of w around that mean.
    pub covariance: DMatrix<f64>,
    /// Standard error of each entry from the spread of the per-particle time averages (the
    /// particles are independent, so this is honest whatever the autocorrelation in time).
    pub covariance_stderr: DMatrix<f64>,
}

/// An ensemble of particles; the caller owns the loop ([`Ensemble::advance`]).
#[derive(Clone, Debug)]
pub struct Ensemble {
    /// The particles, their rule and their running sums, stepped by the kernels' crate.
    core: Particles,
    /// Coupled NGD: recompute Λ (and Fisher C) from the ensemble every step.
    coupled_ngd: Option<CoupledNgd>,
}

#[derive(Clone, Debug)]
struct CoupledNgd {
    lr: f64,
    hessian: DMatrix<f64>,
    /// (N−S)/(NS) for Fisher noise, None for constant Gaussian C.
    fisher_scale: Option<f64>,
}

impl Ensemble {
    /// Builds the ensemble for `problem`.
    ///
    /// # Errors
    /// A [`FieldError`] naming `particles` (0 or above [`MAX_PARTICLES`]), `bound`, or `start`
    /// (a point of the wrong size, or `stationary` when the dynamics diverges).
    pub fn new(problem: &Problem, spec: &EnsembleSpec) -> Result<Self, FieldError> {
        let d = problem.dimension();
        let p = spec.particles;
        if p == 0 || p > MAX_PARTICLES {
            return Err(FieldError::new(
                "particles",
                p.to_string(),
                format!("an integer in [1, {MAX_PARTICLES}]"),
            ));
        }
        if !(spec.divergence_bound.is_finite() && spec.divergence_bound > 0.0) {
            return Err(FieldError::new(
                "bound",
                spec.divergence_bound.to_string(),
                "a finite number > 0",
            ));
        }
        let hessian = problem.hessian();
        let mu = problem.optimizer().momentum();
        let mut coupled_ngd = None;
        let mut exact_ngd: Option<solver::Stationary> = None;
        let update = if let Some(step) = adaptive_step(problem) {
            Update::Adaptive(AdaptiveStep {
                // A stationary start is the state after infinitely many steps: corrections of 1.
                bias_correction: step.bias_correction && spec.start != Start::Stationary,
                ..step
            })
        } else if let Some(step) = framework_step(problem) {
            Update::Framework(step)
        } else {
            match problem.optimizer() {
                Optimizer::Preconditioned { preconditioner, .. } => Update::Preconditioned {
                    lambda: row_major(preconditioner),
                    mu,
                },
                Optimizer::DampedNewton { learning_rate, .. } => Update::Preconditioned {
                    lambda: row_major(&problem.hessian_eigen().map(|k| learning_rate / k)),
                    mu,
                },
                Optimizer::NaturalGradient { learning_rate, .. } => {
                    let exact = solver::stationary(problem).map_err(|d| {
                        FieldError::new("opt", "ngd", format!("a stationary NGD ({})", d.reason))
                    })?;
                    let lambda = exact
                        .preconditioner
                        .clone()
                        .unwrap_or_else(|| DMatrix::identity(d, d));
                    if spec.natural_gradient_fisher == NaturalGradientFisher::Ensemble {
                        coupled_ngd = Some(CoupledNgd {
                            lr: *learning_rate,
                            hessian: hessian.clone(),
                            fisher_scale: match problem.noise() {
                                Noise::Fisher {
                                    dataset_size,
                                    batch_size,
                                } => {
                                    let (n, s) = (*dataset_size as f64, *batch_size as f64);
                                    Some((n - s) / (n * s))
                                }
                                _ => None,
                            },
                        });
                    }
                    exact_ngd = Some(exact);
                    Update::Preconditioned {
                        lambda: row_major(&lambda),
                        mu,
                    }
                }
                // The paper's scalar rules (a framework's rule is a FrameworkStep above).
                scalar => Update::Paper(kernel_rule(PaperRule::of(scalar).ok_or_else(|| {
                    FieldError::new("opt", scalar.name(), "a scalar-λ optimizer")
                })?)),
            }
        };
        let oracle = match problem.noise() {
            Noise::Gaussian { covariance } => gaussian_oracle(hessian, covariance),
            Noise::Fisher { .. } => {
                // C = (N−S)/(NS)·KΣK at the exact stationary Σ (recomputed per step when coupled).
                let c = exact_ngd
                    .as_ref()
                    .map(|s| s.noise_covariance.clone())
                    .unwrap_or_else(|| DMatrix::zeros(d, d));
                gaussian_oracle(hessian, &c)
            }
            Noise::Minibatch(batch) => {
                let x = batch.data.inputs();
                Oracle::Minibatch {
                    inputs: row_major(x),
                    targets: batch.data.targets().iter().copied().collect(),
                    samples: x.nrows(),
                    batch_size: batch.batch_size,
                    with_replacement: batch.with_replacement,
                }
            }
        };
        let centre: Vec<f64> = problem.stationary_mean().iter().copied().collect();
        let has_momentum = update.has_momentum();
        let mut weights = vec![0.0; p * d];
        let mut momenta = if has_momentum {
            vec![0.0; p * d]
        } else {
            Vec::new()
        };
        let (mut second_moments, gradient_means) = match &update {
            Update::Adaptive(step) => (
                vec![0.0; p * d],
                if step.is_centered() {
                    vec![0.0; p * d]
                } else {
                    Vec::new()
                },
            ),
            _ => (Vec::new(), Vec::new()),
        };
        // Streams: the seed's stream, jumped 2¹²⁸ steps per particle (non-overlapping).
        let streams = seeded_streams(spec.seed, p);
        let zig = Ziggurat::new();
        match &spec.start {
            Start::Zero => {}
            Start::Point(w0) => {
                if w0.len() != d || w0.iter().any(|v| !v.is_finite()) {
                    return Err(FieldError::new(
                        "start",
                        format!("{:?}", w0.as_slice()),
                        format!("zero, stationary, or {d} finite numbers"),
                    ));
                }
                for particle in 0..p {
                    weights[particle * d..(particle + 1) * d].copy_from_slice(w0.as_slice());
                }
            }
            Start::Stationary => {
                let refuse = |e: solver::Divergence| {
                    FieldError::new(
                        "start",
                        "stationary",
                        format!("zero or a point: {}", e.reason),
                    )
                };
                // An adaptive method starts at its β₂ → 1 state: v at the fixed point, the
                // buffer in the framework's units (Adam's m = (1 − β₁)·m of Corollary 3,
                // RMSprop's b = D·m).
                let mut buffer_scale = vec![1.0; d];
                let stationary = match (exact_ngd, problem.optimizer()) {
                    (Some(s), _) => s,
                    (
                        None,
                        Optimizer::Adaptive {
                            method,
                            learning_rate,
                        },
                    ) => {
                        let solution = solver::adaptive::stationary(problem).map_err(refuse)?;
                        for particle in 0..p {
                            second_moments[particle * d..(particle + 1) * d]
                                .copy_from_slice(solution.second_moment.as_slice());
                        }
                        for (a, scale) in buffer_scale.iter_mut().enumerate() {
                            *scale = match method.kind {
                                AdaptiveKind::RmsProp => {
                                    solution.effective_learning_rates[a] / learning_rate
                                }
                                AdaptiveKind::Adam | AdaptiveKind::AdamW => 1.0 - method.beta1,
                            };
                        }
                        solution.stationary
                    }
                    (None, _) => solver::stationary(problem).map_err(refuse)?,
                };
                let n = stationary.state_covariance.nrows();
                let factor = psd_factor(&stationary.state_covariance);
                // A separate stream for the start so that it does not shift the particles' streams.
                let mut start_rng =
                    Xoshiro256PlusPlus::seed_from_u64(spec.seed ^ 0x5354_4152_545f_5354);
                let mut xi = vec![0.0; n];
                for particle in 0..p {
                    for v in xi.iter_mut() {
                        *v = zig.sample(&mut start_rng);
                    }
                    for row in 0..n {
                        let mut acc = 0.0;
                        for (col, x) in xi.iter().enumerate() {
                            acc += factor[(row, col)] * x;
                        }
                        if row < d {
                            weights[particle * d + row] = stationary.mean[row] + acc;
                        } else if has_momentum {
                            momenta[particle * d + row - d] = acc * buffer_scale[row - d];
                        }
                    }
                }
            }
        }
        let tracked = spec.burn_in.is_some();
        let core = Particles {
            dimension: d,
            particles: p,
            oracle,
            update,
            centre,
            bound: spec.divergence_bound,
            weights,
            momenta,
            second_moments,
            gradient_means,
            streams,
            diverged_at: vec![None; p],
            steps: 0,
            burn_in: spec.burn_in,
            sum_first: if tracked {
                vec![0.0; p * d]
            } else {
                Vec::new()
            },
            sum_second: if tracked {
                vec![0.0; p * d * d]
            } else {
                Vec::new()
            },
            zig,
            allow_fast_path: true,
        };
        Ok(Self { core, coupled_ngd })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.core.steps
    }

    /// Number of particles.
    pub fn particles(&self) -> usize {
        self.core.particles
    }

    /// Dimension D.
    pub fn dimension(&self) -> usize {
        self.core.dimension
    }

    /// The current w of every particle, particle-major (P×D).
    pub fn weights(&self) -> &[f64] {
        &self.core.weights
    }

    /// Whether particle `p` has diverged.
    pub fn is_diverged(&self, p: usize) -> bool {
        self.core.diverged_at.get(p).is_some_and(Option::is_some)
    }

    /// Sets the learning rate of the steps to come (a schedule's λ_t, [`crate::schedule`]);
    /// `false`, changing nothing, for an optimizer without a scalar learning rate.
    pub fn set_learning_rate(&mut self, rate: f64) -> bool {
        if self.coupled_ngd.is_some() {
            return false;
        }
        self.core.update.set_learning_rate(rate)
    }

    /// Advances every particle by `steps` steps. Slicing a run into several calls gives exactly
    /// the numbers of one call.
    pub fn advance(&mut self, steps: u64) {
        if steps == 0 {
            return;
        }
        if self.coupled_ngd.is_some() {
            for _ in 0..steps {
                self.refresh_coupled_ngd();
                self.core.advance(1);
            }
        } else {
            self.core.advance(steps);
        }
    }

    fn refresh_coupled_ngd(&mut self) {
        let Some(ngd) = &self.coupled_ngd else { return };
        let stats = self.statistics();
        let fisher = symmetrize(&(&ngd.hessian * &stats.covariance * &ngd.hessian));
        let eigen = SymmetricEigen::new(&fisher);
        if eigen.values.min() > 0.0 {
            let lambda = eigen.map(|v| ngd.lr / v);
            if let Update::Preconditioned { lambda: l, .. } = &mut self.core.update {
                *l = row_major(&lambda);
            }
            if let Some(scale) = ngd.fisher_scale {
                self.core.oracle = gaussian_oracle(&ngd.hessian, &(fisher * scale));
            }
        }
    }

    /// Splits the ensemble into at most `blocks` ensembles of consecutive particles (at least
    /// `min_particles` each, the last one possibly fewer), to be advanced independently, e.g. on
    /// several threads, and put back together by [`Ensemble::join`]. Every particle keeps its
    /// own stream and state, so the joined ensemble holds exactly the numbers of the unsplit one
    /// advanced alike (tested). NGD with the ensemble's Fisher estimate couples the particles: it
    /// is not split.
    pub fn split(mut self, blocks: usize, min_particles: usize) -> Vec<Ensemble> {
        let sizes = block_sizes(self.core.particles, blocks, min_particles);
        if sizes.len() < 2 || self.coupled_ngd.is_some() {
            return vec![self];
        }
        let d = self.core.dimension;
        let mut parts = Vec::with_capacity(sizes.len());
        // From the back, so that each split_off leaves the front in place.
        let mut end = self.core.particles;
        for &size in sizes.iter().skip(1).rev() {
            let start = end - size;
            let mut part = self.clone_empty();
            part.core.particles = size;
            part.core.weights = self.core.weights.split_off(start * d);
            part.core.momenta = split_tail(&mut self.core.momenta, start * d);
            part.core.second_moments = split_tail(&mut self.core.second_moments, start * d);
            part.core.gradient_means = split_tail(&mut self.core.gradient_means, start * d);
            part.core.streams = self.core.streams.split_off(start);
            part.core.diverged_at = self.core.diverged_at.split_off(start);
            part.core.sum_first = split_tail(&mut self.core.sum_first, start * d);
            part.core.sum_second = split_tail(&mut self.core.sum_second, start * d * d);
            parts.push(part);
            end = start;
        }
        self.core.particles = end;
        parts.push(self);
        parts.reverse();
        parts
    }

    /// Puts back together the blocks of [`Ensemble::split`], in their order; `None` when there
    /// are none or they are not blocks of one ensemble advanced alike (different steps or sizes).
    pub fn join(parts: Vec<Ensemble>) -> Option<Ensemble> {
        let mut parts = parts.into_iter();
        let mut whole = parts.next()?;
        for part in parts {
            if part.core.steps != whole.core.steps
                || part.core.dimension != whole.core.dimension
                || part.core.momenta.is_empty() != whole.core.momenta.is_empty()
                || part.core.second_moments.is_empty() != whole.core.second_moments.is_empty()
                || part.core.gradient_means.is_empty() != whole.core.gradient_means.is_empty()
                || part.core.sum_first.is_empty() != whole.core.sum_first.is_empty()
            {
                return None;
            }
            whole.core.particles += part.core.particles;
            whole.core.weights.extend(part.core.weights);
            whole.core.momenta.extend(part.core.momenta);
            whole.core.second_moments.extend(part.core.second_moments);
            whole.core.gradient_means.extend(part.core.gradient_means);
            whole.core.streams.extend(part.core.streams);
            whole.core.diverged_at.extend(part.core.diverged_at);
            whole.core.sum_first.extend(part.core.sum_first);
            whole.core.sum_second.extend(part.core.sum_second);
        }
        Some(whole)
    }

    /// A copy without particles (for [`Ensemble::split`]).
    fn clone_empty(&self) -> Ensemble {
        let core = &self.core;
        Ensemble {
            core: Particles {
                dimension: core.dimension,
                particles: 0,
                oracle: core.oracle.clone(),
                update: core.update.clone(),
                centre: core.centre.clone(),
                bound: core.bound,
                weights: Vec::new(),
                momenta: Vec::new(),
                second_moments: Vec::new(),
                gradient_means: Vec::new(),
                streams: Vec::new(),
                diverged_at: Vec::new(),
                steps: core.steps,
                burn_in: core.burn_in,
                sum_first: Vec::new(),
                sum_second: Vec::new(),
                zig: core.zig.clone(),
                allow_fast_path: core.allow_fast_path,
            },
            coupled_ngd: None,
        }
    }

    /// Disables the fast paths (for tests that compare them with the general path).
    #[doc(hidden)]
    pub fn force_general_path(&mut self) {
        self.core.allow_fast_path = false;
    }

    /// Statistics of the live particles now.
    pub fn statistics(&self) -> EnsembleStatistics {
        let d = self.core.dimension;
        let live: Vec<usize> = (0..self.core.particles)
            .filter(|&p| self.core.diverged_at[p].is_none())
            .collect();
        let n = live.len() as f64;
        let mut mean = DVector::zeros(d);
        for &p in &live {
            for a in 0..d {
                mean[a] += self.core.weights[p * d + a];
            }
        }
        if n > 0.0 {
            mean /= n;
        } else {
            mean.fill(f64::NAN);
        }
        let (covariance, covariance_stderr, mean_stderr) = centred_moments(
            live.iter().map(|&p| &self.core.weights[p * d..(p + 1) * d]),
            &mean,
            d,
        );
        let time_averaged = self.core.burn_in.and_then(|burn_in| {
            let samples = self.core.steps.saturating_sub(burn_in);
            (samples > 0 && !live.is_empty()).then(|| self.time_averages(&live, samples))
        });
        EnsembleStatistics {
            steps: self.core.steps,
            particles: self.core.particles,
            diverged: self.core.particles - live.len(),
            mean,
            mean_stderr,
            covariance,
            covariance_stderr,
            time_averaged,
        }
    }

    /// Each live particle's time average of ½(w − c)ᵀK(w − c) after the burn-in (c the centre,
    /// the minimum for Gaussian noise), from the running sums; `None` before the first averaged
    /// step or without a burn-in. Independent across particles, so their spread gives an honest
    /// standard error of the mean loss.
    pub fn time_averaged_losses(&self, hessian: &DMatrix<f64>) -> Option<Vec<f64>> {
        let d = self.core.dimension;
        let samples = self.core.steps.saturating_sub(self.core.burn_in?);
        if samples == 0 || hessian.nrows() != d || hessian.ncols() != d {
            return None;
        }
        let t = samples as f64;
        Some(
            (0..self.core.particles)
                .filter(|&p| self.core.diverged_at[p].is_none())
                .map(|p| {
                    let second = &self.core.sum_second[p * d * d..(p + 1) * d * d];
                    let mut total = 0.0;
                    for a in 0..d {
                        for b in 0..d {
                            total += hessian[(a, b)] * second[a * d + b];
                        }
                    }
                    0.5 * total / t
                })
                .collect(),
        )
    }

    fn time_averages(&self, live: &[usize], samples: u64) -> TimeAveraged {
        let d = self.core.dimension;
        let t = samples as f64;
        let n = live.len() as f64;
        // Per particle: time means of (w−c) and (w−c)(w−c)ᵀ.
        let mut mean_dev = DVector::zeros(d);
        for &p in live {
            for a in 0..d {
                mean_dev[a] += self.core.sum_first[p * d + a] / t;
            }
        }
        mean_dev /= n;
        // Covariance = E[(w−c)(w−c)ᵀ] − E[w−c]E[w−c]ᵀ; its standard error from the spread of the
        // per-particle time-averaged second moments (independent across particles).
        let mut covariance = DMatrix::zeros(d, d);
        let mut stderr = DMatrix::zeros(d, d);
        for a in 0..d {
            for b in 0..d {
                let values: Vec<f64> = live
                    .iter()
                    .map(|&p| self.core.sum_second[p * d * d + a * d + b] / t)
                    .collect();
                let avg = values.iter().sum::<f64>() / n;
                covariance[(a, b)] = avg - mean_dev[a] * mean_dev[b];
                let var = if n > 1.0 {
                    values.iter().map(|v| (v - avg) * (v - avg)).sum::<f64>() / (n - 1.0)
                } else {
                    f64::NAN
                };
                stderr[(a, b)] = (var / n).sqrt();
            }
        }
        let centre = DVector::from_column_slice(&self.core.centre);
        TimeAveraged {
            samples_per_particle: samples,
            mean: centre + mean_dev,
            covariance,
            covariance_stderr: stderr,
        }
    }
}

/// The sizes of at most `blocks` consecutive blocks of `particles` particles, each at least
/// `min_particles` (but one block when there are fewer), as equal as possible, larger first.
pub(crate) fn block_sizes(particles: usize, blocks: usize, min_particles: usize) -> Vec<usize> {
    let blocks = blocks
        .min(particles / min_particles.max(1))
        .clamp(1, particles.max(1));
    let (base, extra) = (particles / blocks, particles % blocks);
    (0..blocks).map(|b| base + usize::from(b < extra)).collect()
}

/// `vec.split_off(at)`, or an empty vector when `vec` is empty (a state the ensemble does not
/// keep, such as SGD's momenta).
fn split_tail<T>(vec: &mut Vec<T>, at: usize) -> Vec<T> {
    if vec.is_empty() {
        Vec::new()
    } else {
        vec.split_off(at)
    }
}

/// Covariance (divisor n−1), its entrywise standard errors, and the mean's standard errors.
fn centred_moments<'a>(
    rows: impl Iterator<Item = &'a [f64]> + Clone,
    mean: &DVector<f64>,
    d: usize,
) -> (DMatrix<f64>, DMatrix<f64>, DVector<f64>) {
    let n = rows.clone().count() as f64;
    let mut sum = DMatrix::<f64>::zeros(d, d);
    let mut sum_sq = DMatrix::<f64>::zeros(d, d);
    for row in rows {
        for a in 0..d {
            let da = row[a] - mean[a];
            for b in 0..d {
                let product = da * (row[b] - mean[b]);
                sum[(a, b)] += product;
                sum_sq[(a, b)] += product * product;
            }
        }
    }
    if n < 2.0 {
        let nan = DMatrix::from_element(d, d, f64::NAN);
        return (nan.clone(), nan, DVector::from_element(d, f64::NAN));
    }
    let covariance = &sum / (n - 1.0);
    let stderr = DMatrix::from_fn(d, d, |a, b| {
        let avg = sum[(a, b)] / n;
        let var = (sum_sq[(a, b)] / n - avg * avg).max(0.0) * n / (n - 1.0);
        (var / n).sqrt()
    });
    let mean_stderr = DVector::from_fn(d, |a, _| (covariance[(a, a)] / n).sqrt());
    (covariance, stderr, mean_stderr)
}
