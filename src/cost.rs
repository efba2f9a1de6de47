//! The one cost model: how much work a configuration can ask for, counted before any of it runs,
//! and the limit of each front end ([`Budget::NATIVE`] for the command line, [`Budget::BROWSER`]
//! for the page).
//!
//! The unit is the work of **one particle-step of a 1-D white-noise ensemble** (the unit of
//! [`crate::experiments::SimulationRun::advance`]; about 7 ns natively, measured at 1.4·10⁸
//! particle-steps per second). Everything else is converted into it:
//!
//! | work | units |
//! |---|---|
//! | one particle-step, K and C diagonal, D ≤ 2 (the fast path) | D |
//! | one particle-step, any other Gaussian or Fisher noise (dense matrix–vector products) | D² + D |
//! | one particle-step with minibatch noise (S per-sample gradients of D inputs; [`minibatch_step`]) | 2·S·D + D |
//! | one step of NGD with `fisher=ensemble` (the Fisher re-estimated and decomposed) | P·D² + D³ (per step) |
//! | creating one particle (a generator jumped 2¹²⁸) | [`WORK_PER_NEW_PARTICLE`] |
//! | the exact theory: eigen-decomposition, Lyapunov modes | (30·D³ + 100·D²)/[`FLOPS_PER_UNIT`] |
//! | the minibatch theory: the data's fourth-moment tensor (built twice) and the bisection of λ_c | (200·N·D + 2·N·D² + 2·N·m² + 60·m³ + 30·D³)/[`FLOPS_PER_UNIT`], m = D(D+1)/2 |
//! | a phase-diagram heatmap | [`WORK_PER_HEATMAP_CELL`] per cell |
//! | drawing: one scatter point | 1 (at most [`crate::experiments::data::MAX_DRAWN_POINTS`] per panel) |
//!
//! Three numbers are compared with a [`Budget`]: the whole simulation, the largest **piece** (work
//! that cannot be interrupted: one step of every particle of an ensemble, or creating an
//! ensemble), and the **theory** (computed synchronously before the first frame and after every
//! edit). The page runs the simulation in slices of about 10 ms, so its piece and theory limits are
//! what keeps every task short; the command line has no frames, so only its totals are bounded.

use crate::config::{
    Config, DataConfig, FigureConfig, LandscapeConfig, NoiseConfig, OptimizerConfig,
    QuadraticConfig, RegressionFigureConfig,
};
use crate::error::FieldError;

/// Work charged for creating one particle: its generator is jumped 2¹²⁸ steps (measured about
/// 50 1-D particle-steps; charged twice that).
pub const WORK_PER_NEW_PARTICLE: u64 = 100;

/// Units of one particle-step with minibatch noise: S per-sample gradients of D inputs, each
/// counted twice a 1-D white-noise step (measured: 2000 particles at S = 999 take 12 ns per S·D
/// natively, against 5–7 ns per 1-D white-noise particle-step), plus the update of D weights.
/// The scheduler of every minibatch figure charges the same
/// ([`crate::experiments::SimulationRun::advance`]).
pub fn minibatch_step(batch_size: usize, dimension: usize) -> u64 {
    let (s, d) = (batch_size as u64, dimension as u64);
    s.saturating_mul(d).saturating_mul(2).saturating_add(d)
}

/// Floating-point operations per unit when dense linear algebra (eigen-decompositions, matrix
/// products, LU solves) is converted into units: a unit is about 7 ns and these kernels run at
/// one to two operations per ns natively; counted conservatively for the browser.
pub const FLOPS_PER_UNIT: u128 = 4;

/// Work per cell of a phase-diagram heatmap (one 1-D mode gain and its noise factor; measured
/// 0.7 µs natively with the CSV written, about 100 units).
pub const WORK_PER_HEATMAP_CELL: u128 = 100;

/// What a configuration asks for, in units (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    /// The whole simulation (every ensemble, every step, particle creation included).
    pub simulation: u128,
    /// The largest piece of simulation that runs without a chance to stop: one step of every
    /// particle of one ensemble, or creating that ensemble.
    pub piece: u128,
    /// The theory computed synchronously (solves, moment tensors, heatmap cells).
    pub theory: u128,
    /// The key to lower to make the simulation smaller (`particles`, `steps`, `S`, …).
    pub simulation_key: &'static str,
    /// The key to lower to make a piece smaller.
    pub piece_key: &'static str,
    /// The key to lower to make the theory smaller (`N`, `x_var`, `K`, `res`, …).
    pub theory_key: &'static str,
    /// Every key the configuration uses with its value ([`Config::used_values`]), for the
    /// messages.
    pub values: Vec<(&'static str, String)>,
}

/// A front end's limit, in units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Most units of simulation in all.
    pub simulation: u128,
    /// Most units of one uninterruptible piece.
    pub piece: u128,
    /// Most units of synchronous theory.
    pub theory: u128,
    /// Where the limit applies, for the message (`the command line`, `this browser tab`).
    pub front_end: &'static str,
}

impl Budget {
    /// The command line: 10¹¹ units of simulation (about 12 minutes at 1.4·10⁸ per second) and
    /// 10¹¹ of theory; a piece is not limited (the command line has no frame to keep).
    pub const NATIVE: Budget = Budget {
        simulation: 100_000_000_000,
        piece: u128::MAX,
        theory: 100_000_000_000,
        front_end: "the command line",
    };

    /// The page: 10¹⁰ units of simulation in ≈ 10 ms slices (a few minutes in the background),
    /// 2·10⁶ units per piece (about 10–15 ms) and 5·10⁶ of theory (about 35 ms: a phase diagram of
    /// 200 × 200 cells, the paper's default, fits), so no task of the page's main thread grows
    /// with the link.
    pub const BROWSER: Budget = Budget {
        simulation: 10_000_000_000,
        piece: 2_000_000,
        theory: 5_000_000,
        front_end: "this browser tab",
    };
}

impl Cost {
    /// The cost of what `config` asks for: the exact answer and a simulation of its landscape, or
    /// its figure's theory and simulation.
    pub fn of(config: &Config) -> Cost {
        let mut cost = match &config.figure {
            Some(figure) => figure_cost(figure),
            None => landscape_cost(config),
        };
        cost.values = config.used_values();
        cost
    }

    /// The value of `key` as the configuration writes it.
    fn value(&self, key: &str) -> String {
        self.values
            .iter()
            .find(|(name, _)| *name == key)
            .map_or_else(String::new, |(_, value)| crate::config::shorten(value))
    }

    /// What else lowers the simulation besides `particles`.
    fn simulation_hint(&self) -> String {
        let keys: Vec<&str> = ["particles", "steps", "points", "S", "lrs"]
            .into_iter()
            .filter(|key| self.values.iter().any(|(name, _)| name == key))
            .collect();
        match keys.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "particles".to_string(),
        }
    }

    /// Checks the theory alone against `budget` (what `solve`, `render --theory-only`, the
    /// page's exact-solver panel and validation compute).
    ///
    /// # Errors
    /// As [`Cost::check`].
    pub fn check_theory(&self, budget: &Budget) -> Result<(), FieldError> {
        Cost {
            simulation: 0,
            piece: 0,
            ..self.clone()
        }
        .check(budget)
    }

    /// Checks every part against `budget`.
    ///
    /// # Errors
    /// A [`FieldError`] naming the key to lower, whose message names the limit, the front end and
    /// the cost.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// use sgd_playground::cost::{Budget, Cost};
    /// let config = Config::parse("noise=batch&S=1000000&N=1000000&particles=1000&steps=1000").unwrap();
    /// let error = Cost::of(&config).check(&Budget::NATIVE).unwrap_err();
    /// assert_eq!(error.field, "particles");
    /// assert!(error.allowed.contains("1e11"), "{error}");
    /// ```
    pub fn check(&self, budget: &Budget) -> Result<(), FieldError> {
        let parts = [
            (
                self.theory,
                budget.theory,
                self.theory_key,
                "the exact theory",
            ),
            (
                self.piece,
                budget.piece,
                self.piece_key,
                "one step of all particles of an ensemble (or creating it)",
            ),
            (
                self.simulation,
                budget.simulation,
                self.simulation_key,
                "the simulation",
            ),
        ];
        for (cost, limit, key, what) in parts {
            if cost > limit {
                let lower = if what == "the simulation" {
                    self.simulation_hint()
                } else {
                    key.to_string()
                };
                return Err(FieldError::new(
                    key,
                    self.value(key),
                    format!(
                        "at most {} units of work for {what} in {} (here {}; a unit is one 1-D \
                         particle-step, see the README's cost model): lower {lower}",
                        compact(limit),
                        budget.front_end,
                        compact(cost)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A count in the shortest readable form: digits below a million, else `2e12`, `1.5e11`.
fn compact(count: u128) -> String {
    if count < 1_000_000 {
        count.to_string()
    } else {
        format!("{:.2e}", count as f64)
            .replace(".00e", "e")
            .replace("0e", "e")
    }
}

/// Units of `flops` floating-point operations.
fn flops(flops: u128) -> u128 {
    flops / FLOPS_PER_UNIT + 1
}

/// The theory of a D-dimensional Gaussian model: eigen-decomposition and the modes.
fn dense_theory(dimension: u128) -> u128 {
    flops(30 * dimension.pow(3) + 100 * dimension.pow(2))
}

/// The β₂ → 1 fixed point of an adaptive method ([`crate::solver::adaptive`]): per start (three
/// up to D = 16, one beyond; one from a neighbour's v in a sweep) about five Newton steps, each
/// D + 1 dense solves.
fn adaptive_theory(dimension: u128, full_search: bool) -> u128 {
    let starts = if full_search && dimension <= 16 { 3 } else { 1 };
    starts * 5 * (dimension + 1) * dense_theory(dimension)
}

/// The exact loss curve of `quadratic` over `steps` steps ([`crate::solver::curve`]): per pair of
/// modes (D for a spectrum, D(D+1)/2 for a dense K, whose final Σ_T needs them all) 6 flops per
/// step taken one at a time and 6 per run jumped (measured: 9 ns per mode and step or run, about
/// 1.3 units); with minibatch noise the moment recursion on the 2D×2D augmented state, every
/// step.
fn curve_theory(quadratic: &QuadraticConfig, steps: u128, d: u128) -> u128 {
    let schedule = &quadratic.schedule;
    let points = quadratic.curve_points.unwrap_or(2) as u128;
    let warmup = u128::from(schedule.warmup).min(steps);
    let every_step = matches!(
        schedule.kind,
        crate::schedule::ScheduleKind::Exponential
            | crate::schedule::ScheduleKind::Cosine
            | crate::schedule::ScheduleKind::Inverse
    ) && !schedule.is_constant();
    let stepped = warmup + if every_step { steps - warmup } else { 0 };
    let runs = points + schedule.milestones.len() as u128;
    match &quadratic.noise {
        NoiseConfig::Minibatch { data, .. } => {
            let (n, d) = data_size(data);
            flops(steps * (16 * (2 * d).pow(3) + 4 * n * d * d))
        }
        NoiseConfig::Gaussian {
            hessian: crate::config::MatrixSpec::Spectrum(_),
            ..
        } => flops(d * 6 * (stepped + runs)),
        _ => flops(d * (d + 1) / 2 * 6 * (stepped + runs)),
    }
}

/// Generating a spectrum: a power law's k_i = k_max·exp(−α ln i) (the portable exp and ln, about
/// 100 flops a mode); a Marchenko–Pastur quantile's few guarded Newton steps on the distribution
/// function (a polynomial cosine and arctangent each; measured ≈ 0.5 µs a mode natively, about
/// 300 flops).
fn spectrum_theory(spectrum: &crate::spectrum::Spectrum) -> u128 {
    let d = spectrum.dimension() as u128;
    match spectrum {
        crate::spectrum::Spectrum::PowerLaw { .. } => flops(100 * d),
        crate::spectrum::Spectrum::MarchenkoPastur { .. } => flops(300 * d),
    }
}

/// The minibatch theory of N samples with D inputs.
fn minibatch_theory(samples: u128, dimension: u128) -> u128 {
    let pairs = dimension * (dimension + 1) / 2;
    // Generating or reading the data (normals, residuals, a copy per model built: 200 per entry,
    // measured: Fig. 4 with N = 10⁶ takes 0.6 s) and K = 2XᵀX/N; the fourth moments twice (the
    // solve and the critical learning rate); about 60 LU solves of the m×m system (the stability
    // test, and the bisection of λ_c when the dynamics diverges).
    flops(
        200 * samples * dimension
            + 2 * samples * dimension * dimension
            + 2 * samples * pairs * pairs
            + 60 * pairs.pow(3)
            + 30 * dimension.pow(3),
    )
}

/// (N, D) of a regression data set as written.
fn data_size(data: &DataConfig) -> (u128, u128) {
    match data {
        DataConfig::Given { inputs, .. } => (inputs.nrows() as u128, inputs.ncols() as u128),
        DataConfig::Generated(generated) => (
            generated.dataset_size as u128,
            generated.input_variances.len() as u128,
        ),
    }
}

/// Work of one particle-step of `quadratic`, of the model's theory, the theory's key and D.
fn quadratic_step_and_theory(quadratic: &QuadraticConfig) -> (u128, u128, &'static str, u128) {
    match &quadratic.noise {
        NoiseConfig::Gaussian {
            hessian,
            covariance,
            ..
        } => {
            let d = hessian.natural_dimension() as u128;
            let diagonal = !matches!(hessian, crate::config::MatrixSpec::Full(_))
                && !matches!(covariance, crate::config::MatrixSpec::Full(_))
                && !matches!(
                    quadratic.optimizer,
                    OptimizerConfig::Preconditioned { .. }
                        | OptimizerConfig::DampedNewton { .. }
                        | OptimizerConfig::NaturalGradient { .. }
                );
            if matches!(quadratic.optimizer, OptimizerConfig::Adaptive { .. }) {
                // The general path's step (a root and two divisions per coordinate) and the
                // fixed point.
                return (3 * (d * d + d), adaptive_theory(d, true), "K", d);
            }
            let step = if diagonal && d <= 2 { d } else { d * d + d };
            (step, dense_theory(d), "K", d)
        }
        NoiseConfig::Fisher { hessian, .. } => {
            let d = hessian.natural_dimension() as u128;
            // NGD's self-consistent Λ iterates dense solves.
            (d * d + d, 20 * dense_theory(d), "K", d)
        }
        NoiseConfig::Minibatch {
            data, batch_size, ..
        } => {
            let (n, d) = data_size(data);
            let key = match data {
                DataConfig::Given { .. } => "X",
                DataConfig::Generated(_) if d > 8 => "x_var",
                DataConfig::Generated(_) => "N",
            };
            let step =
                u128::from(minibatch_step(*batch_size, d as usize)) + if d > 2 { d * d } else { 0 };
            (step, minibatch_theory(n, d), key, d)
        }
    }
}

fn landscape_cost(config: &Config) -> Cost {
    let particles = config.simulation.particles as u128;
    let steps = u128::from(config.simulation.steps);
    let create = particles * u128::from(WORK_PER_NEW_PARTICLE);
    match &config.landscape {
        LandscapeConfig::DoubleWell(_) => Cost {
            simulation: particles * steps + create,
            piece: create.max(particles),
            // The exact mean escape time on a grid of 1200 cells.
            theory: flops(1200 * 1200 * 10),
            simulation_key: "particles",
            piece_key: "particles",
            theory_key: "particles",
            values: Vec::new(),
        },
        LandscapeConfig::Quadratic(quadratic) => {
            let (mut step, mut theory, theory_key, d) = quadratic_step_and_theory(quadratic);
            if let OptimizerConfig::NaturalGradient { .. } = &quadratic.optimizer {
                if quadratic.ensemble.natural_gradient_fisher
                    == crate::sim::NaturalGradientFisher::Ensemble
                {
                    // Per step: the ensemble's covariance (P·D²) and its decomposition (D³).
                    step += d * d + flops(30 * d.pow(3)) / particles.max(1);
                }
            }
            if quadratic.ensemble.burn_in.is_some() {
                step += d * d;
            }
            if matches!(quadratic.ensemble.start, crate::sim::Start::Stationary) {
                // A factor of Σ per ensemble, and P correlated draws.
                theory += dense_theory(d);
            }
            if let NoiseConfig::Gaussian {
                hessian: crate::config::MatrixSpec::Spectrum(spectrum),
                ..
            } = &quadratic.noise
            {
                // Per mode: the spectrum and its stationary gain, no decomposition.
                theory = spectrum_theory(spectrum) + flops(100 * d);
            }
            if quadratic.curve_points.is_some() {
                theory += curve_theory(quadratic, steps, d);
            }
            let piece_key = match &quadratic.noise {
                NoiseConfig::Minibatch { .. } => "S",
                _ => "particles",
            };
            let one_step = particles * step;
            Cost {
                simulation: one_step * steps + create,
                piece: one_step.max(create + particles * d * d),
                theory,
                simulation_key: "particles",
                piece_key: if create > one_step {
                    "particles"
                } else {
                    piece_key
                },
                theory_key,
                values: Vec::new(),
            }
        }
    }
}

/// One ensemble of `particles` particles at `step` units per particle-step: its piece.
fn ensemble_piece(particles: u128, step: u128) -> u128 {
    (particles * step).max(particles * u128::from(WORK_PER_NEW_PARTICLE))
}

fn regression_cost(regression: &RegressionFigureConfig) -> (u128, u128) {
    let (n, d) = data_size(&regression.data);
    let step = u128::from(minibatch_step(regression.batch_size, d as usize));
    (step, minibatch_theory(n, d))
}

fn figure_cost(figure: &FigureConfig) -> Cost {
    let planned = figure.planned_particle_steps();
    let particles = figure.particles_per_ensemble() as u128;
    let ensembles = figure_ensembles(figure);
    let create = ensembles * particles * u128::from(WORK_PER_NEW_PARTICLE);
    // `planned` already counts D per particle-step; minibatch figures multiply by S.
    let (scale, step, theory, theory_key) = match figure {
        FigureConfig::Fig2b(f) => {
            let (step, theory) = regression_cost(&f.regression);
            (step, step, theory, data_key(&f.regression))
        }
        FigureConfig::Fig4(f) => {
            let (step, theory) = regression_cost(&f.regression);
            (step / 2 + 1, step, theory, data_key(&f.regression))
        }
        FigureConfig::Fig5c(f) | FigureConfig::Fig5d(f) => {
            let (step, theory) = regression_cost(&f.regression);
            (step, step, theory, data_key(&f.regression))
        }
        FigureConfig::Phase(phase) => {
            let cells = (phase.resolution as u128).pow(2) * WORK_PER_HEATMAP_CELL;
            let data = phase
                .regression
                .as_ref()
                .map_or(0, |regression| regression_cost(regression).1);
            (1, 1, cells + data, if data > cells { "N" } else { "res" })
        }
        FigureConfig::Bayes(bayes) => {
            let d = bayes.hessian.natural_dimension() as u128;
            // The KL curve: a few hundred engine solves.
            (1, 1, 300 * dense_theory(d), "K")
        }
        FigureConfig::Explorer(explorer) => {
            let d = explorer.hessian.natural_dimension() as u128;
            let step = if d <= 2 { d } else { d * d + d };
            (step / d.max(1), step, 20 * dense_theory(d), "K")
        }
        FigureConfig::Escape(escape) => {
            let d = escape.hessian.natural_dimension() as u128;
            let step = if d <= 2 { d } else { d * d + d };
            (step / d.max(1), step, 50 * dense_theory(d), "K")
        }
        FigureConfig::Fig3(_) => (1, 2, dense_theory(2), "K"),
        FigureConfig::Adam(figure) => {
            let d = figure.hessian.natural_dimension() as u128;
            // 200 learning rates, each one Newton run from its neighbour's v plus the SGD and
            // SGDM solves; the marked λ's full search. Simulated on the general path.
            let theory =
                200 * (adaptive_theory(d, false) + 2 * dense_theory(d)) + adaptive_theory(d, true);
            (3, 3 * (d * d + d), theory, "K")
        }
        FigureConfig::Schedule(figure) => {
            let d = figure.hessian.natural_dimension() as u128;
            let step = if d <= 2 { d } else { d * d + d };
            // The exact curves are computed progressively (in blocks of modes); synchronously
            // only the model's set-up: the spectrum, or a dense decomposition.
            let theory = match figure.hessian {
                crate::config::MatrixSpec::Spectrum(spectrum) => spectrum_theory(&spectrum),
                _ => dense_theory(d),
            };
            (step / d.max(1), step, theory, "K")
        }
        _ => (1, 1, dense_theory(2), "K"),
    };
    let simulation = planned * scale.max(1) + create;
    let piece = ensemble_piece(particles, step);
    let per_step = particles * step;
    Cost {
        simulation,
        piece,
        theory,
        simulation_key: "particles",
        piece_key: if per_step > particles * u128::from(WORK_PER_NEW_PARTICLE) && step > 2 {
            "S"
        } else {
            "particles"
        },
        theory_key,
        values: Vec::new(),
    }
}

/// The data key to lower in a regression figure.
fn data_key(regression: &RegressionFigureConfig) -> &'static str {
    match regression.data {
        DataConfig::Given { .. } => "X",
        DataConfig::Generated(_) => "N",
    }
}

/// How many ensembles a figure's simulation creates.
fn figure_ensembles(figure: &FigureConfig) -> u128 {
    match figure {
        FigureConfig::Fig1b(_) | FigureConfig::Fig6a(_) => 0,
        FigureConfig::Fig2a(f) => f.simulation.points as u128,
        FigureConfig::Fig2b(f) => f.simulation.points as u128,
        FigureConfig::Fig3(f) => f.learning_rates.len() as u128,
        FigureConfig::Fig4(f) => f.learning_rates.len() as u128,
        FigureConfig::Fig5a(f) | FigureConfig::Fig5b(f) => f.simulation.points as u128,
        FigureConfig::Fig5c(f) | FigureConfig::Fig5d(f) => f.simulation.points as u128,
        FigureConfig::Fig6b(f) => f.simulation.points as u128,
        FigureConfig::Escape(f) => f.simulation.points as u128,
        FigureConfig::Explorer(f) => u128::from(f.simulated.is_some()),
        FigureConfig::Schedule(f) if f.simulated() => {
            (f.simulation.points * f.curves.len()) as u128
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(text: &str) -> Cost {
        Cost::of(&Config::parse(text).expect("parses"))
    }

    #[test]
    fn a_particle_step_counts_d_s_and_dense_matrices() {
        let base = cost("particles=1000&steps=1000");
        assert_eq!(base.simulation, 1000 * 1000 + 1000 * 100);
        // Diagonal 2-D: 2 units; dense 2-D: D² + D = 6.
        assert_eq!(
            cost("K=1,2&particles=1000&steps=1000").simulation,
            2_000_000 + 100_000
        );
        assert_eq!(
            cost("K=2,1;1,2&particles=1000&steps=1000").simulation,
            6_000_000 + 100_000
        );
        // Minibatch: 2·S·D + D per particle-step.
        let batch = cost("noise=batch&S=100&N=1000&particles=10&steps=10");
        assert_eq!(batch.simulation, 10 * 10 * 201 + 10 * 100);
        assert_eq!(batch.piece_key, "S");
    }

    #[test]
    fn the_minibatch_theory_grows_with_n_and_the_pairs_of_inputs() {
        let ones = vec!["1"; 32].join(",");
        let small = cost("noise=batch&N=1000&x_var=1");
        let wide = cost(&format!("noise=batch&N=1000&x_var={ones}"));
        let long = cost(&format!("noise=batch&N=100000&x_var={ones}"));
        assert!(wide.theory > 1000 * small.theory);
        // 100 × N: the N-proportional part grows 100-fold, the m³ solves (m = 528) stay.
        assert!(long.theory > 5 * wide.theory);
        assert_eq!(long.theory_key, "x_var");
        let error = long
            .check_theory(&Budget::BROWSER)
            .expect_err("too large for a tab");
        assert_eq!(error.field, "x_var");
        assert!(error.allowed.contains("this browser tab"), "{error}");
        long.check_theory(&Budget::NATIVE)
            .expect("fine for the command line");
    }

    #[test]
    fn a_figure_counts_its_ensembles_pieces_and_heatmap() {
        // Fig. 2(b): 20 points × 100 particles × 2000 steps × (2·S·D + D = 201) + creation.
        let fig2b = cost("fig=2b");
        assert_eq!(fig2b.simulation, 20 * 100 * 2000 * 201 + 20 * 100 * 100);
        // The largest piece: one step of the 100 particles (100 × 201) beats creating them
        // (100 × 100).
        assert_eq!(fig2b.piece, 100 * 201);
        let huge_batch = cost("fig=2b&S=999&particles=10000");
        assert!(huge_batch.check(&Budget::BROWSER).is_err());
        // The paper's defaults fit a tab.
        for id in crate::config::FIGURE_IDS {
            let config = Config::parse(&format!("fig={id}")).expect("parses");
            Cost::of(&config)
                .check(&Budget::BROWSER)
                .unwrap_or_else(|e| panic!("fig={id}: {e}"));
        }
        let phase = cost("fig=phase&res=400");
        assert_eq!(phase.theory_key, "res");
        assert!(phase.check(&Budget::BROWSER).is_err());
    }

    #[test]
    fn compact_counts_read_well() {
        assert_eq!(compact(999_999), "999999");
        assert_eq!(compact(100_000_000_000), "1e11");
        assert_eq!(compact(263_000_000_000), "2.63e11");
        assert_eq!(compact(1_500_000), "1.5e6");
    }
}
