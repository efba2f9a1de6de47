//! What a configuration holds: the landscape (the quadratic model with its optimizer, noise and
//! ensemble settings, or the double well) and the simulation's size.

use std::fmt;

use nalgebra::{DMatrix, DVector};

use super::{key_spec, list_text, resolve, rows_text, Value};
use crate::config::format_number;
use crate::conventions::Conventions;
use crate::error::{FieldError, FieldErrors};
use crate::model::{
    AdaptiveKind, Minibatch, Noise, Optimizer, Problem, RegressionData, MAX_DIMENSION,
    MAX_MINIBATCH_DIMENSION,
};
use crate::schedule::{Schedule, ScheduleKind};
use crate::sim::double_well::{DoubleWell, EscapeDynamics};
use crate::sim::{NaturalGradientFisher, Start, MAX_PARTICLE_STEPS};
use crate::spectrum::Spectrum;

/// A square matrix as written: the three forms of the configuration text, kept as written so that
/// `C=0.5` stays "0.5·I" whatever the size of K.
///
/// Invariants (kept by the parser; [`Config::to_text`](super::Config::to_text) round-trips only values that keep them):
/// a `Diagonal` has at least 2 entries, a `Full` matrix is square with at least 2 rows, and every
/// entry is finite.
#[derive(Clone, Debug, PartialEq)]
pub enum MatrixSpec {
    /// One number s: the 1×1 matrix \[s\] for `K`; s·I, of the size of K, for `C` and `P`.
    Scalar(f64),
    /// One row of D numbers: the D×D diagonal matrix with these entries.
    Diagonal(Vec<f64>),
    /// D rows of D numbers: the matrix as written.
    Full(DMatrix<f64>),
    /// `K` only, with the quadratic landscape's Gaussian noise: K = diag(k) given by its spectrum
    /// (`powerlaw:D,k_max,alpha` or `mp:D,ratio,scale`), D up to a million.
    Spectrum(Spectrum),
}

impl MatrixSpec {
    /// The size the text implies on its own: 1 for a scalar, the number of diagonal entries, or
    /// the number of rows.
    pub fn natural_dimension(&self) -> usize {
        match self {
            MatrixSpec::Scalar(_) => 1,
            MatrixSpec::Diagonal(entries) => entries.len(),
            MatrixSpec::Full(matrix) => matrix.nrows(),
            MatrixSpec::Spectrum(spectrum) => spectrum.dimension(),
        }
    }

    /// The matrix on its own (how `K` is read): a scalar is 1×1. A spectrum beyond the dense limit
    /// [`MAX_DIMENSION`] gives a 1×1 NaN matrix, which no model accepts (the configuration refuses
    /// it first: [`QuadraticConfig::to_problem`]).
    pub fn to_matrix(&self) -> DMatrix<f64> {
        match self {
            MatrixSpec::Spectrum(spectrum) if spectrum.dimension() > MAX_DIMENSION => {
                DMatrix::from_element(1, 1, f64::NAN)
            }
            MatrixSpec::Spectrum(spectrum) => {
                DMatrix::from_diagonal(&DVector::from_vec(spectrum.eigenvalues()))
            }
            MatrixSpec::Scalar(value) => DMatrix::from_element(1, 1, *value),
            MatrixSpec::Diagonal(entries) => {
                DMatrix::from_diagonal(&DVector::from_column_slice(entries))
            }
            MatrixSpec::Full(matrix) => matrix.clone(),
        }
    }

    /// The matrix for a model of dimension D (how `C` and `P` are read): a scalar s is s·I (D×D);
    /// a diagonal must have D entries and a full matrix D rows (`None` otherwise), so that no
    /// arithmetic ever meets matrices of two sizes.
    pub fn resolve(&self, dimension: usize) -> Option<DMatrix<f64>> {
        match self {
            MatrixSpec::Scalar(value) => {
                Some(DMatrix::from_diagonal_element(dimension, dimension, *value))
            }
            _ if self.natural_dimension() != dimension => None,
            _ => Some(self.to_matrix()),
        }
    }

    /// The size as text: `1×1` for a scalar, `D×D` otherwise.
    pub fn size_text(&self) -> String {
        let size = self.natural_dimension();
        format!("{size}×{size}")
    }
}

impl fmt::Display for MatrixSpec {
    /// The configuration text: `s`, `d1,d2,…` or `a,b;c,d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatrixSpec::Scalar(value) => f.write_str(&format_number(*value)),
            MatrixSpec::Diagonal(entries) => f.write_str(&list_text(entries)),
            MatrixSpec::Full(matrix) => f.write_str(&rows_text(matrix)),
            MatrixSpec::Spectrum(spectrum) => write!(f, "{spectrum}"),
        }
    }
}

/// The optimizer and its hyper-parameters as a configuration gives them (key `opt` and the keys
/// it uses): the model's [`Optimizer`], with the preconditioner `P` as written (a
/// [`MatrixSpec`], resolved against the model's dimension by `resolve_optimizer`).
pub type OptimizerConfig = Optimizer<MatrixSpec>;

/// The model's optimizer for a model of dimension D (the size of a scalar or diagonal `P`).
///
/// # Errors
/// A [`FieldError`] naming `P` when a diagonal `P` does not have D entries.
pub fn resolve_optimizer(
    optimizer: &OptimizerConfig,
    dimension: usize,
) -> Result<Optimizer, FieldError> {
    optimizer.try_map_preconditioner(|spec| resolve(spec, "P", dimension))
}

/// The landscape and gradient noise (key `noise` and the keys it uses).
#[derive(Clone, Debug, PartialEq)]
pub enum NoiseConfig {
    /// `noise=gauss`: additive Gaussian noise of constant covariance C (Theorem 1).
    Gaussian {
        /// Hessian K (`K`).
        hessian: MatrixSpec,
        /// Noise covariance C (`C`).
        covariance: MatrixSpec,
        /// a ≥ 0 of the Hessian-proportional part: the noise covariance is C + a·K (`a`).
        hessian_noise: f64,
    },
    /// `noise=batch`: the exact minibatch noise of linear regression (Eq. 28, `ERRATA.md`); the
    /// Hessian K = 2XᵀX/N comes from the data.
    Minibatch {
        /// The data set (`X` and `y`, or generated).
        data: DataConfig,
        /// Batch size S (`S`).
        batch_size: usize,
        /// Whether a batch is drawn with replacement (`replace`).
        with_replacement: bool,
    },
    /// `noise=fisher`: NGD's minibatch Fisher noise C = (N−S)/(NS)·KΣK (Eq. 63).
    Fisher {
        /// Hessian K (`K`).
        hessian: MatrixSpec,
        /// Data-set size N (`N`).
        dataset_size: usize,
        /// Batch size S (`S`).
        batch_size: usize,
    },
}

impl NoiseConfig {
    /// The value of `noise`: `gauss`, `batch` or `fisher`.
    pub fn name(&self) -> &'static str {
        match self {
            NoiseConfig::Gaussian { .. } => "gauss",
            NoiseConfig::Minibatch { .. } => "batch",
            NoiseConfig::Fisher { .. } => "fisher",
        }
    }

    /// The Hessian as written, `None` for `noise=batch` (whose K comes from the data).
    pub fn hessian(&self) -> Option<&MatrixSpec> {
        match self {
            NoiseConfig::Gaussian { hessian, .. } | NoiseConfig::Fisher { hessian, .. } => {
                Some(hessian)
            }
            NoiseConfig::Minibatch { .. } => None,
        }
    }
}

/// The regression data set of `noise=batch`.
#[derive(Clone, Debug, PartialEq)]
pub enum DataConfig {
    /// Given in the text: `X` (N×D) and `y` (N).
    Given {
        /// Inputs X, one sample per row.
        inputs: DMatrix<f64>,
        /// Targets y, one per row of X.
        targets: Vec<f64>,
    },
    /// Generated from a seed (keys `N`, `data_seed`, `x_var`, `w_star`, `label_var`).
    Generated(GeneratedData),
}

/// How to generate a regression data set: x ~ N(0, diag(x_var)), y = w*ᵀx + ε, ε ~ N(0, label_var)
/// (see [`RegressionData::generate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedData {
    /// Number of samples N (`N`).
    pub dataset_size: usize,
    /// Seed of the generator (`data_seed`).
    pub seed: u64,
    /// Variances of the inputs, one per dimension (`x_var`).
    pub input_variances: Vec<f64>,
    /// True weights w* (`w_star`); `None` means one for every dimension.
    pub true_weights: Option<Vec<f64>>,
    /// Label-noise variance σ_ε² (`label_var`).
    pub label_variance: f64,
}

impl DataConfig {
    /// Builds (or generates) the data set.
    ///
    /// # Errors
    /// A [`FieldError`] naming the offending key (`X`, `y`, `N`, `x_var`, `w_star`, `label_var`).
    pub fn to_data(&self) -> Result<RegressionData, FieldError> {
        match self {
            DataConfig::Given { inputs, targets } => {
                RegressionData::new(inputs.clone(), DVector::from_column_slice(targets))
            }
            DataConfig::Generated(generated) => {
                let dimension = generated.input_variances.len();
                // Checked before generating: N×D samples are allocated first.
                if dimension > MAX_MINIBATCH_DIMENSION {
                    return Err(FieldError::new(
                        "x_var",
                        format!("{dimension} variances"),
                        format!(
                            "at most {MAX_MINIBATCH_DIMENSION} (D for the exact minibatch theory)"
                        ),
                    ));
                }
                let ones = vec![1.0; dimension];
                let true_weights = generated.true_weights.as_deref().unwrap_or(&ones);
                RegressionData::generate(
                    generated.dataset_size,
                    generated.seed,
                    &generated.input_variances,
                    true_weights,
                    generated.label_variance,
                )
            }
        }
    }
}

/// Simulation settings only the quadratic landscape has (`start`, `burnin`, `bound`).
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleConfig {
    /// Where every particle starts (`start`); a point must have D entries (checked by
    /// [`Config::ensemble_spec`](super::Config::ensemble_spec), which knows D).
    pub start: Start,
    /// Steps after which time averages accumulate (`burnin`); `None`: no time averages. Always
    /// below [`SimulationConfig::steps`].
    pub burn_in: Option<u64>,
    /// A particle with some |w_i − w̄_i| above this counts as diverged (`bound`).
    pub divergence_bound: f64,
    /// Where a simulation of NGD takes the Fisher KΣK of Λ = λ(KΣK)⁻¹ from (`fisher`, read with
    /// `opt=ngd` only; [`NaturalGradientFisher::Exact`] otherwise). The exact theory does not
    /// need it: it is the simulation's, not the optimizer's.
    pub natural_gradient_fisher: NaturalGradientFisher,
}

/// The quadratic landscape of the theory (`landscape=quadratic`): what to optimize and how.
#[derive(Clone, Debug, PartialEq)]
pub struct QuadraticConfig {
    /// The optimizer (`opt`, `lr`, `mu`, `nu`, `P`).
    pub optimizer: OptimizerConfig,
    /// The frameworks' conventions (`wd`, `wd_mode`, `dampening`, `momentum_form`,
    /// `nesterov_form`); [`Conventions::PAPER`] when none is given.
    pub conventions: Conventions,
    /// The Hessian and noise (`noise`, `K`, `C`, `S`, `N`, data keys).
    pub noise: NoiseConfig,
    /// How a simulation starts and what it counts as diverged (`start`, `burnin`, `bound`).
    pub ensemble: EnsembleConfig,
    /// The learning-rate schedule (`schedule`, `milestones`, `gamma`, `lr_min`, `decay`,
    /// `warmup`); constant unless given, and for optimizers without a scalar rate.
    pub schedule: Schedule,
    /// The points of `solve`'s loss curve (`curve_points`), `Some` when the text asks for a curve:
    /// when it gives `steps` or a schedule key.
    pub curve_points: Option<usize>,
}

/// SGD in the 1-D double well of the Kramers experiment (`landscape=doublewell`; Sec. 6.3,
/// Fig. 6; the potential of `FIGURES.md`): w ← w − λ(rL′(w) + η), η ~ N(0, r|L″(w)|/S).
#[derive(Clone, Debug, PartialEq)]
pub struct DoubleWellConfig {
    /// Learning rate λ (`lr`).
    pub learning_rate: f64,
    /// Loss scale r, L → rL (`r`); the well is stable for λrk_a < 2.
    pub loss_scale: f64,
    /// Batch size S of the Hessian-proportional noise (`S`).
    pub batch_size: usize,
    /// Curvature k_a of the minima (`k_a`).
    pub well_curvature: f64,
    /// |k_b|, minus the curvature at the barrier top (`k_b`).
    pub barrier_curvature: f64,
    /// Barrier height ΔL (`dL`).
    pub barrier_height: f64,
}

impl DoubleWellConfig {
    /// The validated escape dynamics.
    ///
    /// # Errors
    /// A [`FieldError`] naming `r` when λrk_a ≥ 2 (the well itself is unstable), or the key the
    /// simulator rejects.
    pub fn to_dynamics(&self) -> Result<EscapeDynamics, FieldError> {
        let limit = 2.0 / (self.learning_rate * self.well_curvature);
        if !(self.loss_scale > 0.0 && self.loss_scale < limit) {
            let allowed = key_spec("r").map_or("", |spec| spec.allowed);
            return Err(FieldError::new(
                "r",
                format_number(self.loss_scale),
                format!(
                    "{allowed} (here 2/(λk_a) = {}, with lr={} and k_a={})",
                    format_number(limit),
                    format_number(self.learning_rate),
                    format_number(self.well_curvature)
                ),
            ));
        }
        let well = DoubleWell::new(
            self.well_curvature,
            self.barrier_curvature,
            self.barrier_height,
        )?;
        EscapeDynamics::new(
            well,
            self.learning_rate,
            self.loss_scale,
            self.batch_size as f64,
        )
    }
}

/// The landscape (`landscape`) and the keys it uses.
// One configuration per edit: the size difference costs nothing, and boxing the quadratic
// variant would put an indirection in front of every reader.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum LandscapeConfig {
    /// `landscape=quadratic`: the quadratic model of the theory.
    Quadratic(QuadraticConfig),
    /// `landscape=doublewell`: the double well of the Kramers experiment (simulated only).
    DoubleWell(DoubleWellConfig),
}

impl LandscapeConfig {
    /// The value of `landscape`: `quadratic` or `doublewell`.
    pub fn name(&self) -> &'static str {
        match self {
            LandscapeConfig::Quadratic(_) => "quadratic",
            LandscapeConfig::DoubleWell(_) => "doublewell",
        }
    }
}

/// The size and seed of a simulation (`particles`, `steps`, `seed`), for every landscape.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationConfig {
    /// Number of independent particles P (`particles`), in [1, [`MAX_PARTICLES`](crate::sim::MAX_PARTICLES)].
    pub particles: usize,
    /// Steps T each particle runs (`steps`), ≥ 1; for the double well the most, as the run stops
    /// once every particle escaped.
    pub steps: u64,
    /// Seed of the particles' generators (`seed`).
    pub seed: u64,
}

/// How much one simulation may ask for; see [`Config::check_simulation_size`](super::Config::check_simulation_size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulationLimits {
    /// Most particles × steps × max(D, 1).
    pub max_particle_steps: u64,
    /// Most bytes of particle state (positions, momenta, generators, time-average sums).
    pub max_state_bytes: u64,
}

impl SimulationLimits {
    /// The native command line's limits: [`MAX_PARTICLE_STEPS`] particle-steps and 2 GiB of
    /// particle state.
    pub const NATIVE: SimulationLimits = SimulationLimits {
        max_particle_steps: MAX_PARTICLE_STEPS,
        max_state_bytes: 2 << 30,
    };
}

impl QuadraticConfig {
    /// The validated model; see [`Config::to_problem`](super::Config::to_problem).
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a configuration key.
    pub fn to_problem(&self) -> Result<Problem, FieldErrors> {
        let mut problems = Vec::new();
        let (hessian, noise, dimension) = match &self.noise {
            NoiseConfig::Gaussian {
                hessian: MatrixSpec::Spectrum(spectrum),
                ..
            } if spectrum.dimension() > MAX_DIMENSION => {
                return Err(FieldError::new(
                    "K",
                    spectrum.to_string(),
                    format!(
                        "D ≤ {MAX_DIMENSION} for the dense engine and the simulator (solve gives \
                         the exact per-mode curve of a spectrum up to D = {})",
                        crate::spectrum::MAX_SPECTRUM_DIMENSION
                    ),
                )
                .into());
            }
            NoiseConfig::Gaussian {
                hessian,
                covariance,
                hessian_noise,
            } => {
                let hessian = hessian.to_matrix();
                let dimension = hessian.nrows();
                let noise = match resolve(covariance, "C", dimension) {
                    Ok(covariance) => Some(Noise::Gaussian {
                        covariance: covariance + &hessian * *hessian_noise,
                    }),
                    Err(problem) => {
                        problems.push(problem);
                        None
                    }
                };
                (Some(hessian), noise, Some(dimension))
            }
            NoiseConfig::Fisher {
                hessian,
                dataset_size,
                batch_size,
            } => {
                let hessian = hessian.to_matrix();
                let dimension = hessian.nrows();
                let noise = Noise::Fisher {
                    dataset_size: *dataset_size,
                    batch_size: *batch_size,
                };
                (Some(hessian), Some(noise), Some(dimension))
            }
            NoiseConfig::Minibatch {
                data,
                batch_size,
                with_replacement,
            } => match data.to_data() {
                Ok(data) => {
                    let dimension = data.dimension();
                    let noise = Noise::Minibatch(Box::new(Minibatch {
                        data,
                        batch_size: *batch_size,
                        with_replacement: *with_replacement,
                    }));
                    (None, Some(noise), Some(dimension))
                }
                Err(problem) => {
                    problems.push(problem);
                    (None, None, None)
                }
            },
        };
        let optimizer =
            dimension.and_then(
                |dimension| match resolve_optimizer(&self.optimizer, dimension) {
                    Ok(optimizer) => Some(optimizer),
                    Err(problem) => {
                        problems.push(problem);
                        None
                    }
                },
            );
        match (noise, optimizer) {
            (Some(noise), Some(optimizer)) if problems.is_empty() => {
                Problem::new(hessian, noise, optimizer)?.with_conventions(self.conventions)
            }
            _ => Err(FieldErrors(problems)),
        }
    }

    pub(super) fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        push_optimizer_values(values, &self.optimizer);
        let conventions = &self.conventions;
        let name = self.optimizer.name();
        if matches!(name, "sgd" | "sgdm" | "qhm" | "nesterov") {
            values.push(("wd", Value::Number(conventions.weight_decay)));
            values.push((
                "wd_mode",
                Value::Choice(conventions.weight_decay_mode.name()),
            ));
        }
        if name == "sgdm" {
            values.push(("dampening", Value::Number(conventions.dampening)));
            values.push((
                "momentum_form",
                Value::Choice(conventions.momentum_form.name()),
            ));
        }
        if name == "nesterov" {
            values.push((
                "nesterov_form",
                Value::Choice(conventions.nesterov_form.name()),
            ));
        }
        values.push(("noise", Value::Choice(self.noise.name())));
        match &self.noise {
            NoiseConfig::Gaussian {
                hessian,
                covariance,
                hessian_noise,
            } => {
                values.push(("K", Value::Matrix(hessian.clone())));
                values.push(("C", Value::Matrix(covariance.clone())));
                values.push(("a", Value::Number(*hessian_noise)));
            }
            NoiseConfig::Fisher {
                hessian,
                dataset_size,
                batch_size,
            } => {
                values.push(("K", Value::Matrix(hessian.clone())));
                values.push(("N", Value::Integer(*dataset_size as u64)));
                values.push(("S", Value::Integer(*batch_size as u64)));
            }
            NoiseConfig::Minibatch {
                data,
                batch_size,
                with_replacement,
            } => {
                values.push(("S", Value::Integer(*batch_size as u64)));
                values.push(("replace", Value::Flag(*with_replacement)));
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
        }
        let ensemble = &self.ensemble;
        values.push(("start", Value::Start(ensemble.start.clone())));
        if matches!(name, "sgd" | "sgdm" | "qhm" | "nesterov")
            && !matches!(self.noise, NoiseConfig::Fisher { .. })
        {
            let schedule = &self.schedule;
            values.push(("schedule", Value::Choice(schedule.kind.name())));
            match schedule.kind {
                ScheduleKind::Step => {
                    let milestones = schedule.milestones.iter().map(|&m| m as f64).collect();
                    values.push(("milestones", Value::List(milestones)));
                    values.push(("gamma", Value::Number(schedule.gamma)));
                }
                ScheduleKind::Exponential => values.push(("gamma", Value::Number(schedule.gamma))),
                ScheduleKind::Cosine => values.push(("lr_min", Value::Number(schedule.lr_min))),
                ScheduleKind::Inverse => values.push(("decay", Value::Number(schedule.decay))),
                ScheduleKind::Constant => {}
            }
            values.push(("warmup", Value::Integer(schedule.warmup)));
            if let Some(points) = self.curve_points {
                values.push(("curve_points", Value::Integer(points as u64)));
            }
        }
        if let Some(burn_in) = ensemble.burn_in {
            values.push(("burnin", Value::Integer(burn_in)));
        }
        values.push(("bound", Value::Number(ensemble.divergence_bound)));
        if matches!(self.optimizer, OptimizerConfig::NaturalGradient { .. }) {
            values.push((
                "fisher",
                Value::Choice(fisher_name(ensemble.natural_gradient_fisher)),
            ));
        }
    }
}

/// `opt` and the keys of its hyper-parameters (`lr`, `mu`, `nu`, `P`).
pub(super) fn push_optimizer_values(
    values: &mut Vec<(&'static str, Value)>,
    optimizer: &OptimizerConfig,
) {
    values.push(("opt", Value::Choice(optimizer.name())));
    match &optimizer {
        OptimizerConfig::Sgd { learning_rate } => {
            values.push(("lr", Value::Number(*learning_rate)))
        }
        OptimizerConfig::Momentum {
            learning_rate,
            momentum,
        }
        | OptimizerConfig::Nesterov {
            learning_rate,
            momentum,
        }
        | OptimizerConfig::DampedNewton {
            learning_rate,
            momentum,
        }
        | OptimizerConfig::NaturalGradient {
            learning_rate,
            momentum,
        } => {
            values.push(("lr", Value::Number(*learning_rate)));
            values.push(("mu", Value::Number(*momentum)));
        }
        OptimizerConfig::QuasiHyperbolic {
            learning_rate,
            momentum,
            nu,
        } => {
            values.push(("lr", Value::Number(*learning_rate)));
            values.push(("mu", Value::Number(*momentum)));
            values.push(("nu", Value::Number(*nu)));
        }
        OptimizerConfig::Preconditioned {
            preconditioner,
            momentum,
        } => {
            values.push(("P", Value::Matrix(preconditioner.clone())));
            values.push(("mu", Value::Number(*momentum)));
        }
        OptimizerConfig::Adaptive {
            learning_rate,
            method,
        } => {
            let rmsprop = method.kind == AdaptiveKind::RmsProp;
            values.push(("lr", Value::Number(*learning_rate)));
            if rmsprop {
                values.push(("mu", Value::Number(method.momentum)));
            } else {
                values.push(("beta1", Value::Number(method.beta1)));
            }
            values.push(("beta2", Value::Number(method.beta2)));
            values.push(("eps", Value::Number(method.epsilon)));
            values.push(("eps_mode", Value::Choice(method.epsilon_placement.name())));
            values.push(("wd", Value::Number(method.weight_decay)));
            if rmsprop {
                values.push(("centered", Value::Flag(method.centered)));
            }
            values.push(("bias_correction", Value::Flag(method.bias_correction)));
        }
    }
}

/// The convention keys [`read_conventions`](super::read_conventions) reads for `optimizer` (`"*"`: all five).
pub(super) fn push_convention_values(
    values: &mut Vec<(&'static str, Value)>,
    conventions: &Conventions,
    optimizer: &str,
) {
    let every = optimizer == "*";
    if every || matches!(optimizer, "sgd" | "sgdm" | "qhm" | "nesterov") {
        values.push(("wd", Value::Number(conventions.weight_decay)));
        values.push((
            "wd_mode",
            Value::Choice(conventions.weight_decay_mode.name()),
        ));
    }
    if every || optimizer == "sgdm" {
        values.push(("dampening", Value::Number(conventions.dampening)));
        values.push((
            "momentum_form",
            Value::Choice(conventions.momentum_form.name()),
        ));
    }
    if every || optimizer == "nesterov" {
        values.push((
            "nesterov_form",
            Value::Choice(conventions.nesterov_form.name()),
        ));
    }
}

/// The value of `fisher`.
pub(super) fn fisher_name(fisher: NaturalGradientFisher) -> &'static str {
    match fisher {
        NaturalGradientFisher::Exact => "exact",
        NaturalGradientFisher::Ensemble => "ensemble",
    }
}
