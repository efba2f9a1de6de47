//! The paper's figures as configurations: one typed configuration per figure (`fig=1b … 6b`),
//! their checks, sizes and key values.

use nalgebra::DVector;

use super::{
    list_text, resolve, shorten, BayesFigureConfig, DataConfig, DoubleWellConfig,
    EscapeEfficiencyFigureConfig, ExplorerFigureConfig, MatrixSpec, PhaseDiagramFigureConfig,
    SecondOrderFigureConfig, SimulationConfig, SimulationLimits, Value,
};
use crate::config::format_number;
use crate::error::{FieldError, FieldErrors};
use crate::model::{Minibatch, Noise, Optimizer, Problem};
use crate::sim::double_well::DoubleWell;
use crate::sim::Start;

/// Most learning rates in `lrs` (one panel each).
pub const MAX_FIGURE_PANELS: usize = 8;

/// Most steps of Fig. 1(b)'s deterministic trajectories (every step is a drawn point).
pub const MAX_TRAJECTORY_STEPS: u64 = 10_000;

/// Most simulated values on a figure's x-axis (`points`).
pub const MAX_FIGURE_POINTS: usize = 200;

/// The loss convention of the regression figures (key `loss`): Eq. 28 as printed, or with a ½.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LossConvention {
    /// `loss=eq28`: L(w) = (1/N)Σ(wᵀx_i − y_i)² as printed (no ½): K = (2/N)Σx_ix_iᵀ ≈ 2E\[xxᵀ\].
    #[default]
    Eq28,
    /// `loss=half`: L(w) = (1/2N)Σ(wᵀx_i − y_i)²: K = (1/N)Σx_ix_iᵀ ≈ E\[xxᵀ\] (the Hessian
    /// diag(1, 0.1) that Sec. 5.2 states for Fig. 4). SGD with λ on this loss is SGD with λ/2 on
    /// Eq. 28's.
    Half,
}

impl LossConvention {
    /// The value of `loss`: `eq28` or `half`.
    pub fn name(self) -> &'static str {
        match self {
            LossConvention::Eq28 => "eq28",
            LossConvention::Half => "half",
        }
    }

    /// The factor g relating this convention to Eq. 28's: K = g·K₂₈ and the gradient is g times
    /// Eq. 28's (1 or ½); so λ here is the learning rate g·λ of Eq. 28.
    pub fn gradient_scale(self) -> f64 {
        match self {
            LossConvention::Eq28 => 1.0,
            LossConvention::Half => 0.5,
        }
    }
}

/// Which form of Eq. 52 Fig. 6(b) draws (key `eq52`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Eq52Form {
    /// `eq52=printed`: the paper's Eq. 52 as printed (the curve of Fig. 6(b)).
    #[default]
    Printed,
    /// `eq52=corrected`: Eq. 52 with the prefactor inverted back (`ERRATA.md`, Kramers section).
    Corrected,
}

impl Eq52Form {
    /// The value of `eq52`: `printed` or `corrected`.
    pub fn name(self) -> &'static str {
        match self {
            Eq52Form::Printed => "printed",
            Eq52Form::Corrected => "corrected",
        }
    }
}

/// The regression task of the minibatch figures (2(b), 4, 5(c), 5(d)): Eq. 28's data set, batch
/// size, sampling and loss convention.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionFigureConfig {
    /// The data set (`X` and `y`, or generated from `N`, `data_seed`, `x_var`, `w_star`,
    /// `label_var`).
    pub data: DataConfig,
    /// Batch size S (`S`).
    pub batch_size: usize,
    /// Whether a batch is drawn with replacement (`replace`).
    pub with_replacement: bool,
    /// The loss convention (`loss`).
    pub loss: LossConvention,
}

impl RegressionFigureConfig {
    /// The exact minibatch noise model of this task (Eq. 28's convention).
    ///
    /// # Errors
    /// A [`FieldError`] naming the data key at fault.
    pub fn to_minibatch(&self) -> Result<Minibatch, FieldError> {
        Ok(Minibatch {
            data: self.data.to_data()?,
            batch_size: self.batch_size,
            with_replacement: self.with_replacement,
        })
    }

    /// The model of this task for an optimizer of Eq. 28's convention.
    ///
    /// # Errors
    /// Every problem the data or [`Problem::new`] finds, each naming a configuration key.
    pub fn to_problem(&self, optimizer: Optimizer) -> Result<Problem, FieldErrors> {
        let batch = self.to_minibatch()?;
        Problem::new(None, Noise::Minibatch(Box::new(batch)), optimizer)
    }

    /// Checks the data set has `dimension` inputs and that the model builds.
    pub(super) fn validate(&self, dimension: usize, figure: &str) -> Result<Problem, FieldErrors> {
        let problem = self.to_problem(Optimizer::Sgd {
            learning_rate: 1e-3,
        })?;
        if problem.dimension() != dimension {
            let (key, value) = match &self.data {
                DataConfig::Given { inputs, .. } => ("X", format!("{} columns", inputs.ncols())),
                DataConfig::Generated(generated) => {
                    ("x_var", list_text(&generated.input_variances))
                }
            };
            let allowed = if dimension == 1 {
                format!("one input (fig={figure} is one-dimensional)")
            } else {
                format!("{dimension} inputs (fig={figure} is {dimension}-dimensional)")
            };
            return Err(FieldError::new(key, shorten(&value), allowed).into());
        }
        Ok(problem)
    }
}

/// The size and seed of a figure's simulation along its x-axis: `points` values, each an ensemble
/// of `particles` particles run for `steps` steps, seeded from `seed`.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSimulation {
    /// How many x values are simulated (`points`).
    pub points: usize,
    /// Particles per x value (`particles`).
    pub particles: usize,
    /// Steps each particle runs (`steps`).
    pub steps: u64,
    /// Seed (`seed`); the ensemble of the j-th value uses a seed derived from it and j.
    pub seed: u64,
}

/// `fig=1b`: the deterministic decay of Sec. 2 (Eq. 2), continuous w₀e^{−λkt} against discrete
/// (1−λk)^t w₀, one panel per λ.
#[derive(Clone, Debug, PartialEq)]
pub struct DecayFigureConfig {
    /// Curvature k of L = kw²/2 (`K`, one number).
    pub curvature: f64,
    /// The learning rates λ, one panel each (`lrs`).
    pub learning_rates: Vec<f64>,
    /// The start w₀ (`start`).
    pub start: f64,
    /// Steps t drawn (`steps`).
    pub steps: u64,
}

/// `fig=2a`: Var\[w\] after T steps versus λ, 1-D SGD with white noise (Sec. 5.1).
#[derive(Clone, Debug, PartialEq)]
pub struct LearningRateSweepFigureConfig {
    /// Curvature k (`K`, one number).
    pub curvature: f64,
    /// Noise variance σ² (`C`, one number).
    pub noise_variance: f64,
    /// The start w₀ of every particle (`start`).
    pub start: f64,
    /// λ values, particles, T = `steps` and seed.
    pub simulation: SweepSimulation,
}

/// `fig=2b`: Var\[w\] versus λ for 1-D minibatch regression (Sec. 5.2).
#[derive(Clone, Debug, PartialEq)]
pub struct MinibatchSweepFigureConfig {
    /// The regression task.
    pub regression: RegressionFigureConfig,
    /// Steps before the time averages start (`burnin`), below `steps`.
    pub burn_in: u64,
    /// λ values, particles, steps and seed.
    pub simulation: SweepSimulation,
}

/// `fig=3`: 2-D white noise, the particles' cloud in K's eigenbasis with 3σ ellipses.
#[derive(Clone, Debug, PartialEq)]
pub struct WhiteNoiseScatterFigureConfig {
    /// Hessian K, 2×2 (`K`).
    pub hessian: MatrixSpec,
    /// Noise covariance C, 2×2 (`C`).
    pub covariance: MatrixSpec,
    /// The learning rates λ, one panel each (`lrs`).
    pub learning_rates: Vec<f64>,
    /// Particles (one point each), steps before their positions are drawn, seed.
    pub simulation: SimulationConfig,
}

/// `fig=4`: 2-D minibatch regression, the particles' cloud in K's eigenbasis with ellipses.
#[derive(Clone, Debug, PartialEq)]
pub struct MinibatchScatterFigureConfig {
    /// The regression task (two inputs).
    pub regression: RegressionFigureConfig,
    /// The learning rates λ, one panel each (`lrs`).
    pub learning_rates: Vec<f64>,
    /// Particles (one point each), steps before their positions are drawn, seed.
    pub simulation: SimulationConfig,
}

/// `fig=5a`, `fig=5b`: Var\[w\] versus μ for 1-D SGDM with white noise (Sec. 5.3).
#[derive(Clone, Debug, PartialEq)]
pub struct MomentumSweepFigureConfig {
    /// Curvature k (`K`, one number).
    pub curvature: f64,
    /// Noise variance σ² (`C`, one number).
    pub noise_variance: f64,
    /// λk (`lr_k`): the learning rate is λ = lr_k/k.
    pub learning_rate_times_curvature: f64,
    /// The μ range [μ_min, μ_max] (`mu_min`, `mu_max`), μ_min < μ_max.
    pub momentum_range: (f64, f64),
    /// Steps before the time averages start (`burnin`), below `steps`.
    pub burn_in: u64,
    /// μ values, particles, steps and seed.
    pub simulation: SweepSimulation,
}

/// `fig=5c`, `fig=5d`: Var\[w\] versus μ for 1-D minibatch regression with SGDM.
#[derive(Clone, Debug, PartialEq)]
pub struct MinibatchMomentumSweepFigureConfig {
    /// The regression task (one input).
    pub regression: RegressionFigureConfig,
    /// λK (`lr_k`), K the data's Hessian in the chosen loss convention: λ = lr_k/K.
    pub learning_rate_times_curvature: f64,
    /// The μ range [μ_min, μ_max] (`mu_min`, `mu_max`), μ_min < μ_max.
    pub momentum_range: (f64, f64),
    /// Steps before the time averages start (`burnin`), below `steps`.
    pub burn_in: u64,
    /// μ values, particles, steps and seed.
    pub simulation: SweepSimulation,
}

/// `fig=6b`: escape rate γ/|k_b| versus the loss scale r (Sec. 6.3), in the double well of
/// `FIGURES.md`.
#[derive(Clone, Debug, PartialEq)]
pub struct EscapeRateFigureConfig {
    /// The double well and SGD on it (`lr`, `S`, `k_a`, `k_b`, `dL`); its `loss_scale` is unused
    /// (r runs over `loss_scale_range`) and kept at 1.
    pub well: DoubleWellConfig,
    /// The r range [r_min, r_max] (`r_min`, `r_max`), r_min < r_max < 2/(λk_a).
    pub loss_scale_range: (f64, f64),
    /// Which Eq. 52 is drawn (`eq52`).
    pub eq52: Eq52Form,
    /// The constant multiplying Eq. 52 (`eq52_const`); `None`: fitted by least squares in log
    /// space (to the simulated points, or to the exact curve before there are any).
    pub eq52_constant: Option<f64>,
    /// r values, particles, the most steps (a run stops once every particle escaped) and seed.
    pub simulation: SweepSimulation,
}

/// The figure a configuration draws (key `fig`) with every key it reads; see [`FIGURE_IDS`](super::FIGURE_IDS).
#[derive(Clone, Debug, PartialEq)]
pub enum FigureConfig {
    /// `fig=1b`.
    Fig1b(DecayFigureConfig),
    /// `fig=2a`.
    Fig2a(LearningRateSweepFigureConfig),
    /// `fig=2b`.
    Fig2b(MinibatchSweepFigureConfig),
    /// `fig=3`.
    Fig3(WhiteNoiseScatterFigureConfig),
    /// `fig=4`.
    Fig4(MinibatchScatterFigureConfig),
    /// `fig=5a` (λk = 2.75 by default).
    Fig5a(MomentumSweepFigureConfig),
    /// `fig=5b` (λk = 1 by default).
    Fig5b(MomentumSweepFigureConfig),
    /// `fig=5c` (λK = 2.75 by default).
    Fig5c(MinibatchMomentumSweepFigureConfig),
    /// `fig=5d` (λK = 1 by default).
    Fig5d(MinibatchMomentumSweepFigureConfig),
    /// `fig=6a`: the double well and the stationary densities at its minimum a.
    Fig6a(DoubleWellConfig),
    /// `fig=6b`.
    Fig6b(EscapeRateFigureConfig),
    /// `fig=phase`: the stability phase diagram of SGDM or QHM.
    Phase(PhaseDiagramFigureConfig),
    /// `fig=bayes`: the Bayes-optimal learning rate (Sec. 6.1).
    Bayes(BayesFigureConfig),
    /// `fig=escape`: the escape efficiency (Sec. 6.2).
    Escape(EscapeEfficiencyFigureConfig),
    /// `fig=newton`: damped Newton and natural gradient (Sec. 6.5).
    Newton(SecondOrderFigureConfig),
    /// `fig=explorer`: Table 1 live.
    Explorer(ExplorerFigureConfig),
    /// `fig=schedule`: training under learning-rate schedules (issue 16).
    Schedule(super::schedule_figure::ScheduleFigureConfig),
    /// `fig=adam`: Adam, AdamW and RMSprop near a minimum (issue 17).
    Adam(super::adam_figure::AdamFigureConfig),
}

impl FigureConfig {
    /// The value of `fig`: one of [`FIGURE_IDS`](super::FIGURE_IDS).
    pub fn id(&self) -> &'static str {
        match self {
            FigureConfig::Fig1b(_) => "1b",
            FigureConfig::Fig2a(_) => "2a",
            FigureConfig::Fig2b(_) => "2b",
            FigureConfig::Fig3(_) => "3",
            FigureConfig::Fig4(_) => "4",
            FigureConfig::Fig5a(_) => "5a",
            FigureConfig::Fig5b(_) => "5b",
            FigureConfig::Fig5c(_) => "5c",
            FigureConfig::Fig5d(_) => "5d",
            FigureConfig::Fig6a(_) => "6a",
            FigureConfig::Fig6b(_) => "6b",
            FigureConfig::Phase(_) => "phase",
            FigureConfig::Bayes(_) => "bayes",
            FigureConfig::Escape(_) => "escape",
            FigureConfig::Newton(_) => "newton",
            FigureConfig::Explorer(_) => "explorer",
            FigureConfig::Schedule(_) => "schedule",
            FigureConfig::Adam(_) => "adam",
        }
    }

    /// The figure's own configuration, as what every figure knows about itself.
    fn parts(&self) -> &dyn FigureParts {
        match self {
            FigureConfig::Fig1b(figure) => figure,
            FigureConfig::Fig2a(figure) => figure,
            FigureConfig::Fig2b(figure) => figure,
            FigureConfig::Fig3(figure) => figure,
            FigureConfig::Fig4(figure) => figure,
            FigureConfig::Fig5a(figure) | FigureConfig::Fig5b(figure) => figure,
            FigureConfig::Fig5c(figure) | FigureConfig::Fig5d(figure) => figure,
            FigureConfig::Fig6a(well) => well,
            FigureConfig::Fig6b(figure) => figure,
            FigureConfig::Phase(figure) => figure,
            FigureConfig::Bayes(figure) => figure,
            FigureConfig::Escape(figure) => figure,
            FigureConfig::Newton(figure) => figure,
            FigureConfig::Explorer(figure) => figure,
            FigureConfig::Schedule(figure) => figure,
            FigureConfig::Adam(figure) => figure,
        }
    }

    /// Checks what parsing alone cannot: the model of the figure builds (K positive definite and
    /// of the figure's size, the data set of the right dimension, ...) and every x value lies where
    /// the figure is defined (λ below the divergence of the dynamics, r below 2/(λk_a), ...).
    ///
    /// # Errors
    /// Every problem found, each naming a configuration key, its value and what is allowed.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        self.parts().validate(self.id())
    }

    /// The simulation's particle-steps when every planned ensemble runs its full `steps` (times
    /// D): the figure's part of
    /// [`Config::check_simulation_size`](super::Config::check_simulation_size). Theory-only
    /// figures (1(b), 6(a)) have none.
    pub fn planned_particle_steps(&self) -> u128 {
        self.parts().planned_particle_steps()
    }

    /// The most particles one ensemble of the figure holds at a time (0 without simulation).
    pub fn particles_per_ensemble(&self) -> usize {
        self.parts().particles_per_ensemble()
    }

    /// Every key the figure uses, with its value (defaults included), `fig` first.
    pub(super) fn key_values(&self) -> Vec<(&'static str, Value)> {
        let mut values = vec![("fig", Value::Choice(self.id()))];
        self.parts().push_key_values(&mut values);
        values
    }
}

/// What every figure's configuration knows about itself, beside its own reading
/// (`reading.rs`): the checks parsing cannot make, its simulation's size, its keys' values.
/// [`FigureConfig`] delegates to it in one `match` ([`FigureConfig::parts`]); a new figure
/// implements it, and the compiler asks for each part.
pub(super) trait FigureParts {
    /// The checks of [`FigureConfig::validate`]; `id` is the figure's `fig` (for messages).
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors>;
    /// [`FigureConfig::planned_particle_steps`] (0 without simulation).
    fn planned_particle_steps(&self) -> u128 {
        0
    }
    /// [`FigureConfig::particles_per_ensemble`] (0 without simulation).
    fn particles_per_ensemble(&self) -> usize {
        0
    }
    /// The keys the figure uses with their values, after `fig`.
    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>);
}

/// The particle-steps of a sweep: `points` ensembles of `particles` for `steps`, times D.
fn sweep_particle_steps(simulation: &SweepSimulation, dimension: u128) -> u128 {
    simulation.points as u128
        * simulation.particles as u128
        * u128::from(simulation.steps)
        * dimension
}

/// The particle-steps of one 2-D ensemble per panel.
fn panel_particle_steps(count: usize, simulation: &SimulationConfig) -> u128 {
    count as u128 * simulation.particles as u128 * u128::from(simulation.steps) * 2
}

/// The simulation keys of a sweep.
pub(super) fn push_sweep_values(
    values: &mut Vec<(&'static str, Value)>,
    simulation: &SweepSimulation,
) {
    values.extend([
        ("points", Value::Integer(simulation.points as u64)),
        ("particles", Value::Integer(simulation.particles as u64)),
        ("steps", Value::Integer(simulation.steps)),
        ("seed", Value::Integer(simulation.seed)),
    ]);
}

/// The simulation keys of one ensemble per panel.
fn push_panel_values(values: &mut Vec<(&'static str, Value)>, simulation: &SimulationConfig) {
    values.extend([
        ("particles", Value::Integer(simulation.particles as u64)),
        ("steps", Value::Integer(simulation.steps)),
        ("seed", Value::Integer(simulation.seed)),
    ]);
}

impl FigureParts for DecayFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        check_positive_scalar("K", self.curvature, id)?;
        let limit = 2.0 / self.curvature;
        check_learning_rates(&self.learning_rates, limit, true, || {
            format!("2/k with k = {}", format_number(self.curvature))
        })?;
        if self.steps > MAX_TRAJECTORY_STEPS {
            return Err(FieldError::new(
                "steps",
                self.steps.to_string(),
                format!(
                    "an integer in [1, {MAX_TRAJECTORY_STEPS}] with fig=1b (every step is drawn)"
                ),
            )
            .into());
        }
        Ok(())
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(MatrixSpec::Scalar(self.curvature))),
            ("lrs", Value::List(self.learning_rates.clone())),
            ("start", start_value(self.start)),
            ("steps", Value::Integer(self.steps)),
        ]);
    }
}

impl FigureParts for LearningRateSweepFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        check_positive_scalar("K", self.curvature, id)?;
        check_positive_scalar("C", self.noise_variance, id)
    }

    fn planned_particle_steps(&self) -> u128 {
        sweep_particle_steps(&self.simulation, 1)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(MatrixSpec::Scalar(self.curvature))),
            ("C", Value::Matrix(MatrixSpec::Scalar(self.noise_variance))),
            ("start", start_value(self.start)),
        ]);
        push_sweep_values(values, &self.simulation);
    }
}

impl FigureParts for MinibatchSweepFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        self.regression.validate(1, id).map(|_| ())
    }

    fn planned_particle_steps(&self) -> u128 {
        sweep_particle_steps(&self.simulation, 1)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        push_regression_values(values, &self.regression);
        values.push(("burnin", Value::Integer(self.burn_in)));
        push_sweep_values(values, &self.simulation);
    }
}

impl FigureParts for WhiteNoiseScatterFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        let hessian = self.hessian.to_matrix();
        if hessian.nrows() != 2 {
            return Err(FieldError::new(
                "K",
                shorten(&self.hessian.to_string()),
                "a 2×2 symmetric positive definite matrix (fig=3 is two-dimensional): two \
                 diagonal entries, or 2 rows of 2 entries",
            )
            .into());
        }
        let covariance = resolve(&self.covariance, "C", 2)?;
        let problem = Problem::new(
            Some(hessian),
            Noise::Gaussian { covariance },
            Optimizer::Sgd {
                learning_rate: 1e-3,
            },
        )?;
        let limit = 2.0 / problem.max_curvature();
        check_learning_rates(&self.learning_rates, limit, false, || {
            format!(
                "2/k* with k* = {}, the largest eigenvalue of K",
                format_number(problem.max_curvature())
            )
        })
    }

    fn planned_particle_steps(&self) -> u128 {
        panel_particle_steps(self.learning_rates.len(), &self.simulation)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("C", Value::Matrix(self.covariance.clone())),
            ("lrs", Value::List(self.learning_rates.clone())),
        ]);
        push_panel_values(values, &self.simulation);
    }
}

impl FigureParts for MinibatchScatterFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        let problem = self.regression.validate(2, id)?;
        let scale = self.regression.loss.gradient_scale();
        let k_max = scale * problem.max_curvature();
        let limit = 2.0 / k_max;
        check_learning_rates(&self.learning_rates, limit, false, || {
            format!(
                "2/k* with k* = {}, the largest eigenvalue of the data's K with loss={}",
                format_number(k_max),
                self.regression.loss.name()
            )
        })
    }

    fn planned_particle_steps(&self) -> u128 {
        panel_particle_steps(self.learning_rates.len(), &self.simulation)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        push_regression_values(values, &self.regression);
        values.push(("lrs", Value::List(self.learning_rates.clone())));
        push_panel_values(values, &self.simulation);
    }
}

impl FigureParts for MomentumSweepFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        check_positive_scalar("K", self.curvature, id)?;
        check_positive_scalar("C", self.noise_variance, id)?;
        check_momentum_learning_rate(self.learning_rate_times_curvature, self.momentum_range.1)
    }

    fn planned_particle_steps(&self) -> u128 {
        sweep_particle_steps(&self.simulation, 1)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(MatrixSpec::Scalar(self.curvature))),
            ("C", Value::Matrix(MatrixSpec::Scalar(self.noise_variance))),
            ("lr_k", Value::Number(self.learning_rate_times_curvature)),
            ("mu_min", Value::Number(self.momentum_range.0)),
            ("mu_max", Value::Number(self.momentum_range.1)),
            ("burnin", Value::Integer(self.burn_in)),
        ]);
        push_sweep_values(values, &self.simulation);
    }
}

impl FigureParts for MinibatchMomentumSweepFigureConfig {
    fn validate(&self, id: &'static str) -> Result<(), FieldErrors> {
        self.regression.validate(1, id)?;
        check_momentum_learning_rate(self.learning_rate_times_curvature, self.momentum_range.1)
    }

    fn planned_particle_steps(&self) -> u128 {
        sweep_particle_steps(&self.simulation, 1)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        push_regression_values(values, &self.regression);
        values.extend([
            ("lr_k", Value::Number(self.learning_rate_times_curvature)),
            ("mu_min", Value::Number(self.momentum_range.0)),
            ("mu_max", Value::Number(self.momentum_range.1)),
            ("burnin", Value::Integer(self.burn_in)),
        ]);
        push_sweep_values(values, &self.simulation);
    }
}

/// Fig. 6(a): the double well and its stationary densities (theory only).
impl FigureParts for DoubleWellConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.to_dynamics().map(|_| ()).map_err(Into::into)
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("lr", Value::Number(self.learning_rate)),
            ("r", Value::Number(self.loss_scale)),
            ("S", Value::Integer(self.batch_size as u64)),
            ("k_a", Value::Number(self.well_curvature)),
            ("k_b", Value::Number(self.barrier_curvature)),
            ("dL", Value::Number(self.barrier_height)),
        ]);
    }
}

impl FigureParts for EscapeRateFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        let (low, high) = self.loss_scale_range;
        let well = &self.well;
        DoubleWell::new(
            well.well_curvature,
            well.barrier_curvature,
            well.barrier_height,
        )?;
        let limit = 2.0 / (well.learning_rate * well.well_curvature);
        if high >= limit {
            return Err(FieldError::new(
                "r_max",
                format_number(high),
                format!(
                    "a number in (r_min, 2/(λk_a)) = ({}, {}) (the well itself is unstable \
                     beyond; lr={}, k_a={})",
                    format_number(low),
                    format_number(limit),
                    format_number(well.learning_rate),
                    format_number(well.well_curvature)
                ),
            )
            .into());
        }
        Ok(())
    }

    fn planned_particle_steps(&self) -> u128 {
        sweep_particle_steps(&self.simulation, 1)
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        let well = &self.well;
        values.extend([
            ("lr", Value::Number(well.learning_rate)),
            ("S", Value::Integer(well.batch_size as u64)),
            ("k_a", Value::Number(well.well_curvature)),
            ("k_b", Value::Number(well.barrier_curvature)),
            ("dL", Value::Number(well.barrier_height)),
            ("r_min", Value::Number(self.loss_scale_range.0)),
            ("r_max", Value::Number(self.loss_scale_range.1)),
            ("eq52", Value::Choice(self.eq52.name())),
        ]);
        if let Some(constant) = self.eq52_constant {
            values.push(("eq52_const", Value::Number(constant)));
        }
        push_sweep_values(values, &self.simulation);
    }
}

/// The value of `start` for a 1-D start w₀: `zero` for +0, else the point.
pub(super) fn start_value(start: f64) -> Value {
    if start == 0.0 && start.is_sign_positive() {
        Value::Start(Start::Zero)
    } else {
        Value::Start(Start::Point(DVector::from_element(1, start)))
    }
}

/// The keys of a regression figure's task.
pub(super) fn push_regression_values(
    values: &mut Vec<(&'static str, Value)>,
    regression: &RegressionFigureConfig,
) {
    values.push(("S", Value::Integer(regression.batch_size as u64)));
    values.push(("replace", Value::Flag(regression.with_replacement)));
    push_data_values(values, &regression.data);
    values.push(("loss", Value::Choice(regression.loss.name())));
}

/// The keys of a regression data set.
pub(super) fn push_data_values(values: &mut Vec<(&'static str, Value)>, data: &DataConfig) {
    match data {
        DataConfig::Given { inputs, targets } => {
            values.push(("X", Value::Rows(inputs.clone())));
            values.push(("y", Value::List(targets.clone())));
        }
        DataConfig::Generated(generated) => {
            values.push(("N", Value::Integer(generated.dataset_size as u64)));
            values.push(("data_seed", Value::Integer(generated.seed)));
            values.push(("x_var", Value::List(generated.input_variances.clone())));
            if let Some(weights) = &generated.true_weights {
                values.push(("w_star", Value::List(weights.clone())));
            }
            values.push(("label_var", Value::Number(generated.label_variance)));
        }
    }
}

/// A figure's one-number key (`K` or `C`) must be > 0 (a log axis, a curvature).
pub(super) fn check_positive_scalar(
    key: &str,
    value: f64,
    figure: &str,
) -> Result<(), FieldErrors> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            key,
            format_number(value),
            format!("one finite number > 0 with fig={figure}"),
        )
        .into())
    }
}

/// Every λ of `lrs` must be below `limit` (or at it, when `inclusive`); `describe_limit` says
/// what the limit is, e.g. `2/k* with k* = 1, the largest eigenvalue of K`.
pub(super) fn check_learning_rates(
    learning_rates: &[f64],
    limit: f64,
    inclusive: bool,
    describe_limit: impl Fn() -> String,
) -> Result<(), FieldErrors> {
    let outside = |lr: f64| if inclusive { lr > limit } else { lr >= limit };
    if learning_rates
        .iter()
        .any(|&lr| lr.is_nan() || lr <= 0.0 || outside(lr))
    {
        return Err(FieldError::new(
            "lrs",
            shorten(&list_text(learning_rates)),
            format!(
                "1 to {MAX_FIGURE_PANELS} numbers in (0, {}{} separated by , (the limit is {}: the \
                 dynamics diverges beyond)",
                format_number(limit),
                if inclusive { "]" } else { ")" },
                describe_limit()
            ),
        )
        .into());
    }
    Ok(())
}

/// Fig. 5: some μ of the range must keep λk < 2(1+μ) (Sec. 4.5), else nothing is stationary.
pub(super) fn check_momentum_learning_rate(
    learning_rate_times_curvature: f64,
    momentum_max: f64,
) -> Result<(), FieldErrors> {
    let limit = 2.0 * (1.0 + momentum_max);
    if learning_rate_times_curvature < limit {
        Ok(())
    } else {
        Err(FieldError::new(
            "lr_k",
            format_number(learning_rate_times_curvature),
            format!(
                "a finite number in (0, 2(1+μ_max)) = (0, {}) (SGDM diverges for λk ≥ 2(1+μ): \
                 nothing of the μ range would be stationary)",
                format_number(limit)
            ),
        )
        .into())
    }
}

/// [`Config::check_simulation_size`](super::Config::check_simulation_size) for a figure: the planned work of all its ensembles, and the
/// state of one ensemble (they run one after the other).
pub(super) fn check_figure_size(
    figure: &FigureConfig,
    limits: &SimulationLimits,
) -> Result<(), FieldError> {
    let work = figure.planned_particle_steps();
    let particles = figure.particles_per_ensemble();
    if work > u128::from(limits.max_particle_steps) {
        return Err(FieldError::new(
            "particles",
            particles.to_string(),
            format!(
                "points (or panels) × particles × steps × D ≤ {} (here {}): fewer particles, steps or points",
                compact_count(u128::from(limits.max_particle_steps)),
                compact_count(work)
            ),
        ));
    }
    // Position, momentum, generator, divergence record and the time-average sums of 1-D or 2-D.
    let bytes_per_particle: u128 = 64 + 8 * 8;
    let bytes = particles as u128 * bytes_per_particle;
    if bytes > u128::from(limits.max_state_bytes) {
        return Err(FieldError::new(
            "particles",
            particles.to_string(),
            format!(
                "at most {} particles per ensemble (each needs {bytes_per_particle} bytes of state; the limit is {} MiB)",
                u128::from(limits.max_state_bytes) / bytes_per_particle,
                limits.max_state_bytes >> 20
            ),
        ));
    }
    Ok(())
}

/// A count in the shortest readable form: digits below a million, else `2e12`, `1.5e11`.
pub(super) fn compact_count(count: u128) -> String {
    if count < 1_000_000 {
        count.to_string()
    } else {
        format!("{:e}", count as f64)
    }
}
