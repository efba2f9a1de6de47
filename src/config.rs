//! The configuration language shared by the URL query, the command line and the tests: text
//! `key=value&key=value` parsed once into a typed [`Config`]; every later layer trusts it.
//!
//! # Syntax
//! - Pairs `key=value` separated by `&` or new lines; blank pairs are ignored, and so is a line
//!   starting with `#` (a comment, in a file).
//! - A leading `?`, or a whole pasted URL up to its `?`, is ignored, and keys and values are
//!   percent-decoded (`%2C` is `,`; `+` is a space, as in a form-encoded query, except as an
//!   exponent sign: `1e+3`). Spaces around keys, values and matrix entries do not matter.
//! - Matrices (`K`, `C`, `P`): rows separated by `;`, entries by `,` (`K=2,0.5;0.5,1`). One row of
//!   D numbers is the D×D diagonal (`K=1,0.1`); one number s is 1×1 for `K` and s·I (the size of K)
//!   for `C` and `P`. Data (`X`): rows of samples, even for one row. Lists (`y`, `x_var`,
//!   `w_star`, a `start` point): numbers separated by `,`.
//! - Version key `v`: only `1` exists (absent means 1). A larger version was written by a newer
//!   program: an error for [`Config::parse`], a warning for [`Config::parse_lenient`].
//!
//! Every key is described once, in [`KEYS`] (meaning, format, default, allowed values, when it is
//! used); the README's table ([`keys_markdown_table`]) and `sgd-playground help` are written from
//! the same text.
//!
//! # What a configuration holds
//! - The landscape (`landscape`): the quadratic model of the theory ([`QuadraticConfig`]: `opt`,
//!   `noise` and their keys, plus the simulation's `start`, `burnin`, `bound`, `fisher`), or the
//!   double well of the Kramers experiment ([`DoubleWellConfig`]: `lr`, `r`, `S`, `k_a`, `k_b`,
//!   `dL`; plain SGD only).
//! - The simulation's size and seed ([`SimulationConfig`]: `particles`, `steps`, `seed`), read by
//!   `simulate` and the browser's simulations; `solve` accepts and ignores them.
//!
//! Two keys have a default that depends on the landscape: `lr` (0.5, or 1 for the double well)
//! and `S` (100, or 2), the values of `FIGURES.md`. The canonical text omits a key exactly when it
//! has the default of its landscape, so it still round-trips.
//!
//! # Strict and lenient
//! [`Config::parse`] (command line, tests) rejects the text with every problem listed: unknown or
//! repeated keys, invalid values, and keys that the chosen `landscape`/`opt`/`noise` does not use.
//! [`Config::parse_lenient`] (browser) reports the same problems but replaces each offending key by
//! its default and keeps every valid key; it also checks the model ([`Config::validate`]), and
//! resets the keys the model rejects (a K that is not positive definite, a C of the wrong size, a
//! loss scale r beyond the well's stability, ...), so that its result normally builds.
//!
//! # Adding a key
//! One [`KeySpec`] entry in [`KEYS`] (its position is its place in [`Config::to_text`]), a field
//! in the typed configuration, one line reading it in `assemble` and one line writing it in
//! `Config::key_values`. A key given but not read by `assemble` is reported automatically as not
//! used with the chosen options.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nalgebra::{DMatrix, DVector};

use crate::conventions::{Conventions, MomentumForm, NesterovForm, WeightDecayMode};
use crate::error::{FieldError, FieldErrors};
use crate::json::format_number;
use crate::model::{
    Minibatch, Noise, Optimizer, Problem, RegressionData, MAX_DATASET_SIZE, MAX_DIMENSION,
    MAX_MINIBATCH_DIMENSION,
};
use crate::sim::double_well::{DoubleWell, EscapeDynamics};
use crate::sim::{EnsembleSpec, NaturalGradientFisher, Start, MAX_PARTICLES, MAX_PARTICLE_STEPS};

mod panels;

pub use panels::{
    angle_applies, hessian_and_covariance, rotated_hessian, BayesFigureConfig,
    EscapeEfficiencyFigureConfig, ExplorerFigureConfig, PhaseDiagramFigureConfig, PhaseMethod,
    SecondOrderFigureConfig, EXPLORER_METHODS, MAX_PANEL_DIMENSION,
};

/// The version of the configuration language this program reads and writes (key `v`).
pub const VERSION: u64 = 1;

/// Longest configuration text accepted, in bytes: 1 MiB, room for a data set `X` of some
/// thousands of rows in a file (a URL is far shorter).
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// A square matrix as written: the three forms of the configuration text, kept as written so that
/// `C=0.5` stays "0.5·I" whatever the size of K.
///
/// Invariants (kept by the parser; [`Config::to_text`] round-trips only values that keep them):
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
}

impl MatrixSpec {
    /// The size the text implies on its own: 1 for a scalar, the number of diagonal entries, or
    /// the number of rows.
    pub fn natural_dimension(&self) -> usize {
        match self {
            MatrixSpec::Scalar(_) => 1,
            MatrixSpec::Diagonal(entries) => entries.len(),
            MatrixSpec::Full(matrix) => matrix.nrows(),
        }
    }

    /// The matrix on its own (how `K` is read): a scalar is 1×1.
    pub fn to_matrix(&self) -> DMatrix<f64> {
        match self {
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
        }
    }
}

/// The optimizer and its hyper-parameters (key `opt` and the keys it uses).
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// `opt=sgd`: plain SGD, Eq. 6.
    Sgd {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
    },
    /// `opt=sgdm`: SGD with heavy-ball momentum, Eq. 10.
    Momentum {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
        /// Momentum μ (`mu`).
        momentum: f64,
    },
    /// `opt=qhm`: quasi-hyperbolic momentum, Eq. 53.
    QuasiHyperbolic {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
        /// Momentum μ (`mu`).
        momentum: f64,
        /// Interpolation ν (`nu`).
        nu: f64,
    },
    /// `opt=nesterov`: Nesterov momentum (our addition, not in the paper).
    Nesterov {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
        /// Momentum μ (`mu`).
        momentum: f64,
    },
    /// `opt=precond`: preconditioned SGD with momentum, Corollary 3.
    Preconditioned {
        /// Preconditioner Λ (`P`).
        preconditioner: MatrixSpec,
        /// Momentum μ (`mu`).
        momentum: f64,
    },
    /// `opt=dnm`: damped Newton, Λ = λK⁻¹ (Sec. 6.5).
    DampedNewton {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
        /// Momentum μ (`mu`).
        momentum: f64,
    },
    /// `opt=ngd`: natural gradient, Λ = λ(KΣK)⁻¹ (Sec. 6.5).
    NaturalGradient {
        /// Learning rate λ (`lr`).
        learning_rate: f64,
        /// Momentum μ (`mu`).
        momentum: f64,
        /// Where a simulation takes the Fisher KΣK from (`fisher`); the exact theory does not
        /// need it.
        fisher: NaturalGradientFisher,
    },
}

impl OptimizerConfig {
    /// The value of `opt`: `sgd`, `sgdm`, `qhm`, `nesterov`, `precond`, `dnm` or `ngd`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Momentum { .. } => "sgdm",
            OptimizerConfig::QuasiHyperbolic { .. } => "qhm",
            OptimizerConfig::Nesterov { .. } => "nesterov",
            OptimizerConfig::Preconditioned { .. } => "precond",
            OptimizerConfig::DampedNewton { .. } => "dnm",
            OptimizerConfig::NaturalGradient { .. } => "ngd",
        }
    }

    /// The model's optimizer for a model of dimension D (the size of a scalar or diagonal `P`).
    ///
    /// # Errors
    /// A [`FieldError`] naming `P` when a diagonal `P` does not have D entries.
    pub fn to_model(&self, dimension: usize) -> Result<Optimizer, FieldError> {
        Ok(match self {
            OptimizerConfig::Sgd { learning_rate } => Optimizer::Sgd {
                learning_rate: *learning_rate,
            },
            OptimizerConfig::Momentum {
                learning_rate,
                momentum,
            } => Optimizer::Momentum {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            OptimizerConfig::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu,
            } => Optimizer::QuasiHyperbolic {
                learning_rate: *learning_rate,
                momentum: *momentum,
                nu: *nu,
            },
            OptimizerConfig::Nesterov {
                learning_rate,
                momentum,
            } => Optimizer::Nesterov {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            OptimizerConfig::Preconditioned {
                preconditioner,
                momentum,
            } => Optimizer::Preconditioned {
                preconditioner: resolve(preconditioner, "P", dimension)?,
                momentum: *momentum,
            },
            OptimizerConfig::DampedNewton {
                learning_rate,
                momentum,
            } => Optimizer::DampedNewton {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            OptimizerConfig::NaturalGradient {
                learning_rate,
                momentum,
                ..
            } => Optimizer::NaturalGradient {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
        })
    }
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
    /// [`Config::ensemble_spec`], which knows D).
    pub start: Start,
    /// Steps after which time averages accumulate (`burnin`); `None`: no time averages. Always
    /// below [`SimulationConfig::steps`].
    pub burn_in: Option<u64>,
    /// A particle with some |w_i − w̄_i| above this counts as diverged (`bound`).
    pub divergence_bound: f64,
}

/// The quadratic landscape of the theory (`landscape=quadratic`): what to optimize and how.
#[derive(Clone, Debug, PartialEq)]
pub struct QuadraticConfig {
    /// The optimizer (`opt`, `lr`, `mu`, `nu`, `P`, `fisher`).
    pub optimizer: OptimizerConfig,
    /// The frameworks' conventions (`wd`, `wd_mode`, `dampening`, `momentum_form`,
    /// `nesterov_form`); [`Conventions::PAPER`] when none is given.
    pub conventions: Conventions,
    /// The Hessian and noise (`noise`, `K`, `C`, `S`, `N`, data keys).
    pub noise: NoiseConfig,
    /// How a simulation starts and what it counts as diverged (`start`, `burnin`, `bound`).
    pub ensemble: EnsembleConfig,
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
    /// Number of independent particles P (`particles`), in [1, [`MAX_PARTICLES`]].
    pub particles: usize,
    /// Steps T each particle runs (`steps`), ≥ 1; for the double well the most, as the run stops
    /// once every particle escaped.
    pub steps: u64,
    /// Seed of the particles' generators (`seed`).
    pub seed: u64,
}

/// How much one simulation may ask for; see [`Config::check_simulation_size`].
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

/// The figures of the paper a configuration can draw (values of `fig`), in the order of the paper.
pub const FIGURE_IDS: &[&str] = &[
    "1b", "2a", "2b", "3", "4", "5a", "5b", "5c", "5d", "6a", "6b", "phase", "bayes", "escape",
    "newton", "explorer",
];

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
    fn validate(&self, dimension: usize, figure: &str) -> Result<Problem, FieldErrors> {
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

/// The figure a configuration draws (key `fig`) with every key it reads; see [`FIGURE_IDS`].
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
}

impl FigureConfig {
    /// The value of `fig`: one of [`FIGURE_IDS`].
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
        }
    }

    /// Checks what parsing alone cannot: the model of the figure builds (K positive definite and
    /// of the figure's size, the data set of the right dimension, ...) and every x value lies where
    /// the figure is defined (λ below the divergence of the dynamics, r below 2/(λk_a), ...).
    ///
    /// # Errors
    /// Every problem found, each naming a configuration key, its value and what is allowed.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let id = self.id();
        match self {
            FigureConfig::Fig1b(figure) => {
                check_positive_scalar("K", figure.curvature, id)?;
                let limit = 2.0 / figure.curvature;
                check_learning_rates(&figure.learning_rates, limit, true, || {
                    format!("2/k with k = {}", format_number(figure.curvature))
                })?;
                if figure.steps > MAX_TRAJECTORY_STEPS {
                    return Err(FieldError::new(
                        "steps",
                        figure.steps.to_string(),
                        format!("an integer in [1, {MAX_TRAJECTORY_STEPS}] with fig=1b (every step is drawn)"),
                    )
                    .into());
                }
                Ok(())
            }
            FigureConfig::Fig2a(figure) => {
                check_positive_scalar("K", figure.curvature, id)?;
                check_positive_scalar("C", figure.noise_variance, id)
            }
            FigureConfig::Fig2b(figure) => figure.regression.validate(1, id).map(|_| ()),
            FigureConfig::Fig3(figure) => {
                let hessian = figure.hessian.to_matrix();
                if hessian.nrows() != 2 {
                    return Err(FieldError::new(
                        "K",
                        shorten(&figure.hessian.to_string()),
                        "a 2×2 symmetric positive definite matrix (fig=3 is two-dimensional): two \
                         diagonal entries, or 2 rows of 2 entries",
                    )
                    .into());
                }
                let covariance = resolve(&figure.covariance, "C", 2)?;
                let problem = Problem::new(
                    Some(hessian),
                    Noise::Gaussian { covariance },
                    Optimizer::Sgd {
                        learning_rate: 1e-3,
                    },
                )?;
                let limit = 2.0 / problem.max_curvature();
                check_learning_rates(&figure.learning_rates, limit, false, || {
                    format!(
                        "2/k* with k* = {}, the largest eigenvalue of K",
                        format_number(problem.max_curvature())
                    )
                })
            }
            FigureConfig::Fig4(figure) => {
                let problem = figure.regression.validate(2, id)?;
                let scale = figure.regression.loss.gradient_scale();
                let k_max = scale * problem.max_curvature();
                let limit = 2.0 / k_max;
                check_learning_rates(&figure.learning_rates, limit, false, || {
                    format!(
                        "2/k* with k* = {}, the largest eigenvalue of the data's K with loss={}",
                        format_number(k_max),
                        figure.regression.loss.name()
                    )
                })
            }
            FigureConfig::Fig5a(figure) | FigureConfig::Fig5b(figure) => {
                check_positive_scalar("K", figure.curvature, id)?;
                check_positive_scalar("C", figure.noise_variance, id)?;
                check_momentum_learning_rate(
                    figure.learning_rate_times_curvature,
                    figure.momentum_range.1,
                )
            }
            FigureConfig::Fig5c(figure) | FigureConfig::Fig5d(figure) => {
                figure.regression.validate(1, id)?;
                check_momentum_learning_rate(
                    figure.learning_rate_times_curvature,
                    figure.momentum_range.1,
                )
            }
            FigureConfig::Fig6a(well) => well.to_dynamics().map(|_| ()).map_err(Into::into),
            FigureConfig::Fig6b(figure) => {
                let (low, high) = figure.loss_scale_range;
                let well = &figure.well;
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
            FigureConfig::Phase(phase) => phase.validate(),
            FigureConfig::Bayes(bayes) => bayes.validate(),
            FigureConfig::Escape(escape) => escape.validate(),
            FigureConfig::Newton(newton) => newton.validate(),
            FigureConfig::Explorer(explorer) => explorer.validate(),
        }
    }

    /// The simulation's particle-steps when every planned ensemble runs its full `steps` (times
    /// D): the figure's part of [`Config::check_simulation_size`]. Theory-only figures (1(b),
    /// 6(a)) have none.
    pub fn planned_particle_steps(&self) -> u128 {
        let sweep = |simulation: &SweepSimulation, dimension: u128| {
            simulation.points as u128
                * simulation.particles as u128
                * u128::from(simulation.steps)
                * dimension
        };
        let panels = |count: usize, simulation: &SimulationConfig| {
            count as u128 * simulation.particles as u128 * u128::from(simulation.steps) * 2
        };
        match self {
            FigureConfig::Fig1b(_) | FigureConfig::Fig6a(_) => 0,
            FigureConfig::Fig2a(figure) => sweep(&figure.simulation, 1),
            FigureConfig::Fig2b(figure) => sweep(&figure.simulation, 1),
            FigureConfig::Fig3(figure) => panels(figure.learning_rates.len(), &figure.simulation),
            FigureConfig::Fig4(figure) => panels(figure.learning_rates.len(), &figure.simulation),
            FigureConfig::Fig5a(figure) | FigureConfig::Fig5b(figure) => {
                sweep(&figure.simulation, 1)
            }
            FigureConfig::Fig5c(figure) | FigureConfig::Fig5d(figure) => {
                sweep(&figure.simulation, 1)
            }
            FigureConfig::Fig6b(figure) => sweep(&figure.simulation, 1),
            _ => panels::panel_simulation_size(self).0,
        }
    }

    /// The most particles one ensemble of the figure holds at a time (0 without simulation).
    pub fn particles_per_ensemble(&self) -> usize {
        match self {
            FigureConfig::Fig1b(_) | FigureConfig::Fig6a(_) => 0,
            FigureConfig::Fig2a(figure) => figure.simulation.particles,
            FigureConfig::Fig2b(figure) => figure.simulation.particles,
            FigureConfig::Fig3(figure) => figure.simulation.particles,
            FigureConfig::Fig4(figure) => figure.simulation.particles,
            FigureConfig::Fig5a(figure) | FigureConfig::Fig5b(figure) => {
                figure.simulation.particles
            }
            FigureConfig::Fig5c(figure) | FigureConfig::Fig5d(figure) => {
                figure.simulation.particles
            }
            FigureConfig::Fig6b(figure) => figure.simulation.particles,
            _ => panels::panel_simulation_size(self).1,
        }
    }

    /// Every key the figure uses, with its value (defaults included), `fig` first.
    fn key_values(&self) -> Vec<(&'static str, Value)> {
        let mut values = vec![("fig", Value::Choice(self.id()))];
        let sweep = |values: &mut Vec<(&'static str, Value)>, simulation: &SweepSimulation| {
            values.extend([
                ("points", Value::Integer(simulation.points as u64)),
                ("particles", Value::Integer(simulation.particles as u64)),
                ("steps", Value::Integer(simulation.steps)),
                ("seed", Value::Integer(simulation.seed)),
            ]);
        };
        let panels = |values: &mut Vec<(&'static str, Value)>, simulation: &SimulationConfig| {
            values.extend([
                ("particles", Value::Integer(simulation.particles as u64)),
                ("steps", Value::Integer(simulation.steps)),
                ("seed", Value::Integer(simulation.seed)),
            ]);
        };
        match self {
            FigureConfig::Fig1b(figure) => values.extend([
                ("K", Value::Matrix(MatrixSpec::Scalar(figure.curvature))),
                ("lrs", Value::List(figure.learning_rates.clone())),
                ("start", start_value(figure.start)),
                ("steps", Value::Integer(figure.steps)),
            ]),
            FigureConfig::Fig2a(figure) => {
                values.extend([
                    ("K", Value::Matrix(MatrixSpec::Scalar(figure.curvature))),
                    (
                        "C",
                        Value::Matrix(MatrixSpec::Scalar(figure.noise_variance)),
                    ),
                    ("start", start_value(figure.start)),
                ]);
                sweep(&mut values, &figure.simulation);
            }
            FigureConfig::Fig2b(figure) => {
                push_regression_values(&mut values, &figure.regression);
                values.push(("burnin", Value::Integer(figure.burn_in)));
                sweep(&mut values, &figure.simulation);
            }
            FigureConfig::Fig3(figure) => {
                values.extend([
                    ("K", Value::Matrix(figure.hessian.clone())),
                    ("C", Value::Matrix(figure.covariance.clone())),
                    ("lrs", Value::List(figure.learning_rates.clone())),
                ]);
                panels(&mut values, &figure.simulation);
            }
            FigureConfig::Fig4(figure) => {
                push_regression_values(&mut values, &figure.regression);
                values.push(("lrs", Value::List(figure.learning_rates.clone())));
                panels(&mut values, &figure.simulation);
            }
            FigureConfig::Fig5a(figure) | FigureConfig::Fig5b(figure) => {
                values.extend([
                    ("K", Value::Matrix(MatrixSpec::Scalar(figure.curvature))),
                    (
                        "C",
                        Value::Matrix(MatrixSpec::Scalar(figure.noise_variance)),
                    ),
                    ("lr_k", Value::Number(figure.learning_rate_times_curvature)),
                    ("mu_min", Value::Number(figure.momentum_range.0)),
                    ("mu_max", Value::Number(figure.momentum_range.1)),
                    ("burnin", Value::Integer(figure.burn_in)),
                ]);
                sweep(&mut values, &figure.simulation);
            }
            FigureConfig::Fig5c(figure) | FigureConfig::Fig5d(figure) => {
                push_regression_values(&mut values, &figure.regression);
                values.extend([
                    ("lr_k", Value::Number(figure.learning_rate_times_curvature)),
                    ("mu_min", Value::Number(figure.momentum_range.0)),
                    ("mu_max", Value::Number(figure.momentum_range.1)),
                    ("burnin", Value::Integer(figure.burn_in)),
                ]);
                sweep(&mut values, &figure.simulation);
            }
            FigureConfig::Fig6a(well) => values.extend([
                ("lr", Value::Number(well.learning_rate)),
                ("r", Value::Number(well.loss_scale)),
                ("S", Value::Integer(well.batch_size as u64)),
                ("k_a", Value::Number(well.well_curvature)),
                ("k_b", Value::Number(well.barrier_curvature)),
                ("dL", Value::Number(well.barrier_height)),
            ]),
            FigureConfig::Fig6b(figure) => {
                let well = &figure.well;
                values.extend([
                    ("lr", Value::Number(well.learning_rate)),
                    ("S", Value::Integer(well.batch_size as u64)),
                    ("k_a", Value::Number(well.well_curvature)),
                    ("k_b", Value::Number(well.barrier_curvature)),
                    ("dL", Value::Number(well.barrier_height)),
                    ("r_min", Value::Number(figure.loss_scale_range.0)),
                    ("r_max", Value::Number(figure.loss_scale_range.1)),
                    ("eq52", Value::Choice(figure.eq52.name())),
                ]);
                if let Some(constant) = figure.eq52_constant {
                    values.push(("eq52_const", Value::Number(constant)));
                }
                sweep(&mut values, &figure.simulation);
            }
            _ => panels::panel_key_values(self, &mut values),
        }
        values
    }
}

/// The value of `start` for a 1-D start w₀: `zero` for +0, else the point.
fn start_value(start: f64) -> Value {
    if start == 0.0 && start.is_sign_positive() {
        Value::Start(Start::Zero)
    } else {
        Value::Start(Start::Point(DVector::from_element(1, start)))
    }
}

/// The keys of a regression figure's task.
fn push_regression_values(
    values: &mut Vec<(&'static str, Value)>,
    regression: &RegressionFigureConfig,
) {
    values.push(("S", Value::Integer(regression.batch_size as u64)));
    values.push(("replace", Value::Flag(regression.with_replacement)));
    push_data_values(values, &regression.data);
    values.push(("loss", Value::Choice(regression.loss.name())));
}

/// The keys of a regression data set.
fn push_data_values(values: &mut Vec<(&'static str, Value)>, data: &DataConfig) {
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
fn check_positive_scalar(key: &str, value: f64, figure: &str) -> Result<(), FieldErrors> {
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
fn check_learning_rates(
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
fn check_momentum_learning_rate(
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

/// A parsed configuration (version 1): what to optimize, how, and how to simulate it; or, with
/// `fig`, one of the paper's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The landscape and the optimizer on it (`landscape` and the keys it uses). With a figure it
    /// is not read and stays at its defaults.
    pub landscape: LandscapeConfig,
    /// The simulation's size and seed (`particles`, `steps`, `seed`). With a figure it is not read
    /// and stays at its defaults (the figure holds its own).
    pub simulation: SimulationConfig,
    /// The figure drawn (`fig` and the keys it reads); `None` without `fig`.
    pub figure: Option<FigureConfig>,
}

impl Default for Config {
    /// Every key at its default: the quadratic `opt=sgd&lr=0.5&noise=gauss&K=1&C=1`, simulated
    /// with 1000 particles for 1000 steps from w = 0.
    fn default() -> Self {
        assemble(&BTreeMap::new()).0
    }
}

impl Config {
    /// Parses configuration text strictly.
    ///
    /// # Errors
    /// Every problem found, one [`FieldError`] each naming the key, the value and what is allowed:
    /// text longer than [`MAX_TEXT_BYTES`], a pair without `=`, an unknown or repeated key, an
    /// invalid value, a key not used with the chosen `landscape`, `opt` and `noise`, `X` without
    /// `y` (or the reverse), `burnin` not below `steps`, an `opt` other than `sgd` with the double
    /// well, a version newer than [`VERSION`]. Whether the model itself is valid (K positive
    /// definite, C of the size of K, ...) is checked by [`Config::validate`].
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let config = Config::parse("opt=sgdm&lr=1.5&mu=0.5&particles=200").unwrap();
    /// let quadratic = config.quadratic().unwrap();
    /// assert_eq!(quadratic.optimizer, OptimizerConfig::Momentum { learning_rate: 1.5, momentum: 0.5 });
    /// assert_eq!(config.simulation.particles, 200);
    /// let errors = Config::parse("lr=-1&nu=0.3").unwrap_err();
    /// assert_eq!(errors.0[0].to_string(), "lr: invalid value '-1'; allowed: a finite number > 0");
    /// assert_eq!(errors.0[1].field, "nu"); // not used with opt=sgd
    /// ```
    pub fn parse(text: &str) -> Result<Config, FieldErrors> {
        let reading = read(text);
        if let Some(newer) = reading.newer_version {
            // The other problems would only be consequences of reading a newer language.
            return Err(FieldErrors(vec![newer]));
        }
        let (config, assembly_problems) = assemble(&reading.entries);
        let mut problems = reading.problems;
        // With landscape, opt, noise, X or y unreadable, which keys are used is unknown: no
        // guesses. With steps unreadable, burnin would be compared with a guess.
        if !CONTEXT_KEYS.iter().any(|key| reading.invalid.contains(key)) {
            let steps_unknown = reading.invalid.contains("steps");
            problems.extend(
                assembly_problems
                    .into_iter()
                    .filter(|problem| !(steps_unknown && problem.field == "burnin")),
            );
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(FieldErrors(problems))
        }
    }

    /// Parses configuration text leniently (the browser): never fails. Every problem is reported
    /// and the offending key replaced by its default; every valid key is kept. Beyond
    /// [`Config::parse`]'s checks the model is checked ([`Config::validate`]) and the keys it
    /// rejects are reset too, so the result builds unless the defaults themselves conflict with
    /// the kept keys (e.g. `noise=batch&replace=0&N=50`: the default S = 100 exceeds N; then that
    /// problem is reported too). A repeated key keeps its first value; a newer version is a
    /// warning, and the keys this version knows are read.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let (config, problems) = Config::parse_lenient("opt=sgdm&lr=-1&mu=0.5&colour=red");
    /// let optimizer = &config.quadratic().unwrap().optimizer;
    /// assert_eq!(*optimizer, OptimizerConfig::Momentum { learning_rate: 0.5, momentum: 0.5 });
    /// assert_eq!(problems.len(), 2); // lr invalid (default 0.5 used), colour unknown
    /// ```
    pub fn parse_lenient(text: &str) -> (Config, Vec<FieldError>) {
        Config::parse_lenient_within(text, &crate::cost::Budget::NATIVE)
    }

    /// [`Config::parse_lenient`] for a front end whose theory budget is `budget`: before the model
    /// is built to validate it, its theory's cost ([`crate::cost::Cost`]) is checked, and a key
    /// that asks for too much (`N`, `x_var`, `X`, `K`, `res`, …) is reset and reported like an
    /// invalid value; so opening a link never builds a model larger than the budget allows.
    pub fn parse_lenient_within(
        text: &str,
        budget: &crate::cost::Budget,
    ) -> (Config, Vec<FieldError>) {
        let Reading {
            mut entries,
            mut problems,
            newer_version,
            invalid: _,
        } = read(text);
        if let Some(newer) = newer_version {
            problems.insert(0, newer);
        }
        loop {
            let (config, assembly_problems) = assemble(&entries);
            let (removed, mut unfixable) =
                reset_named_keys(&mut entries, assembly_problems, &mut problems);
            if removed {
                continue;
            }
            if let Err(too_large) = crate::cost::Cost::of(&config).check_theory(budget) {
                let (removed, mut left) =
                    reset_named_keys(&mut entries, vec![too_large], &mut problems);
                if removed {
                    continue;
                }
                // Nothing to reset (a default asks for it): the caller decides.
                problems.append(&mut unfixable);
                problems.append(&mut left);
                return (config, problems);
            }
            match config.validate() {
                Ok(()) => {
                    problems.append(&mut unfixable);
                    return (config, problems);
                }
                Err(model_problems) => {
                    let (removed, mut model_unfixable) =
                        reset_named_keys(&mut entries, model_problems.0, &mut problems);
                    if !removed {
                        problems.append(&mut unfixable);
                        problems.append(&mut model_unfixable);
                        return (config, problems);
                    }
                }
            }
        }
    }

    /// The canonical text: `v=1` first, then, in the order of [`KEYS`], every key the
    /// configuration uses whose value differs from its default (the default of its landscape:
    /// `lr` and `S` differ for the double well); numbers in shortest round-trip form
    /// ([`format_number`]). `Config::parse(&c.to_text()) == Ok(c)` for every configuration whose
    /// values are valid (as [`Config::parse`] and [`MatrixSpec`] define).
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// let config = Config::parse("mu=0.5&opt=sgdm&K=2,0;0,1&lr=0.5&steps=500").unwrap();
    /// assert_eq!(config.to_text(), "v=1&opt=sgdm&mu=0.5&K=2,0;0,1&steps=500");
    /// let well = Config::parse("landscape=doublewell&lr=1&S=2&r=1.2").unwrap();
    /// assert_eq!(well.to_text(), "v=1&landscape=doublewell&r=1.2");
    /// ```
    pub fn to_text(&self) -> String {
        let values = self.key_values();
        let context = self.default_context();
        let mut text = format!("v={VERSION}");
        for spec in KEYS {
            let Some((_, value)) = values.iter().find(|(key, _)| *key == spec.key) else {
                continue;
            };
            if default_value(spec, context).as_ref() == Some(value) {
                continue;
            }
            text.push('&');
            text.push_str(spec.key);
            text.push('=');
            text.push_str(&value.to_string());
        }
        text
    }

    /// Every key this configuration uses, with its value as the configuration text writes it
    /// (defaults included), in the order of [`KEYS`]: what a form editing it shows.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// let values = Config::parse("fig=2a").unwrap().used_values();
    /// assert_eq!(values[0], ("fig", "2a".to_string()));
    /// assert!(values.contains(&("particles", "10000".to_string())));
    /// ```
    pub fn used_values(&self) -> Vec<(&'static str, String)> {
        let values = self.key_values();
        KEYS.iter()
            .filter_map(|spec| {
                values
                    .iter()
                    .find(|(key, _)| *key == spec.key)
                    .map(|(key, value)| (*key, value.to_string()))
            })
            .collect()
    }

    /// Which defaults apply: those of the landscape, or of the figure.
    fn default_context(&self) -> DefaultContext {
        match &self.figure {
            Some(figure) => DefaultContext::figure(figure.id()),
            None => DefaultContext {
                double_well: matches!(self.landscape, LandscapeConfig::DoubleWell(_)),
                figure: None,
            },
        }
    }

    /// An error naming `fig` for the commands that take a landscape, not a figure.
    fn figure_error(&self, needed: &str) -> Option<FieldErrors> {
        self.figure.as_ref().map(|figure| {
            FieldError::new(
                "fig",
                figure.id(),
                format!("no fig here: {needed} (a figure is drawn by its experiment)"),
            )
            .into()
        })
    }

    /// The quadratic landscape, `None` for the double well (and for a figure, whose landscape is
    /// not read).
    pub fn quadratic(&self) -> Option<&QuadraticConfig> {
        if self.figure.is_some() {
            return None;
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => Some(quadratic),
            LandscapeConfig::DoubleWell(_) => None,
        }
    }

    /// The validated quadratic model (what `solve` solves and `simulate` simulates).
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a configuration key (`K`, `C`, `P`, `lr`,
    /// `mu`, `nu`, `noise`, `S`, `N`, `X`, `y`, `x_var`, `w_star`, `label_var`), plus a diagonal `C`
    /// or `P` whose length is not the size of K, and invalid data (XᵀX singular, ...); with
    /// `landscape=doublewell`, an error naming `landscape` (the double well has no exact
    /// stationary distribution here: it is simulated); with `fig`, an error naming `fig`.
    pub fn to_problem(&self) -> Result<Problem, FieldErrors> {
        if let Some(error) = self.figure_error("the quadratic model is read from opt, noise, K, …")
        {
            return Err(error);
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => quadratic.to_problem(),
            LandscapeConfig::DoubleWell(_) => Err(FieldError::new(
                "landscape",
                "doublewell",
                "quadratic (the exact stationary distribution is that of the quadratic model; the \
                 double well is simulated: sgd-playground simulate)",
            )
            .into()),
        }
    }

    /// The validated double-well dynamics.
    ///
    /// # Errors
    /// With `landscape=quadratic`, an error naming `landscape`; else what
    /// [`DoubleWellConfig::to_dynamics`] reports (`r` beyond the well's stability, ...).
    pub fn to_escape_dynamics(&self) -> Result<EscapeDynamics, FieldErrors> {
        if let Some(error) = self.figure_error("the double well is read with landscape=doublewell")
        {
            return Err(error);
        }
        match &self.landscape {
            LandscapeConfig::DoubleWell(well) => Ok(well.to_dynamics()?),
            LandscapeConfig::Quadratic(_) => Err(FieldError::new(
                "landscape",
                "quadratic",
                "doublewell (the escape experiment needs the double well)",
            )
            .into()),
        }
    }

    /// The simulator's ensemble specification for `problem` (built from this configuration).
    ///
    /// # Errors
    /// An error naming `start` when a start point does not have D entries, or `landscape` for
    /// the double well (simulated by [`crate::sim::double_well::EscapeEnsemble`] instead).
    pub fn ensemble_spec(&self, problem: &Problem) -> Result<EnsembleSpec, FieldErrors> {
        if let Some(error) = self.figure_error("a simulation of the quadratic model") {
            return Err(error);
        }
        let LandscapeConfig::Quadratic(quadratic) = &self.landscape else {
            return Err(FieldError::new(
                "landscape",
                "doublewell",
                "quadratic (the double well is simulated by its escape ensemble)",
            )
            .into());
        };
        let dimension = problem.dimension();
        if let Start::Point(point) = &quadratic.ensemble.start {
            if point.len() != dimension {
                return Err(FieldError::new(
                    "start",
                    shorten(&list_text(point.as_slice())),
                    format!(
                        "zero, stationary, or {dimension} finite numbers separated by , (D = \
                         {dimension}, the size of K)"
                    ),
                )
                .into());
            }
        }
        let natural_gradient_fisher = match quadratic.optimizer {
            OptimizerConfig::NaturalGradient { fisher, .. } => fisher,
            _ => NaturalGradientFisher::Exact,
        };
        Ok(EnsembleSpec {
            particles: self.simulation.particles,
            seed: self.simulation.seed,
            start: quadratic.ensemble.start.clone(),
            burn_in: quadratic.ensemble.burn_in,
            divergence_bound: quadratic.ensemble.divergence_bound,
            natural_gradient_fisher,
        })
    }

    /// Checks what [`Config::parse`] cannot check alone: the quadratic model
    /// ([`Config::to_problem`]) and the size of a start point ([`Config::ensemble_spec`]), or the
    /// double well's dynamics ([`Config::to_escape_dynamics`]). The simulation's size is checked
    /// separately ([`Config::check_simulation_size`]), against the limits of where it runs; and
    /// `start=stationary` with a diverging dynamics only when the ensemble is built (it needs the
    /// solver: [`crate::sim::Ensemble::new`] names `start`).
    ///
    /// # Errors
    /// Every problem found, each naming a configuration key.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        if let Some(figure) = &self.figure {
            return figure.validate();
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(_) => {
                let problem = self.to_problem()?;
                self.ensemble_spec(&problem).map(|_| ())
            }
            LandscapeConfig::DoubleWell(_) => self.to_escape_dynamics().map(|_| ()),
        }
    }

    /// Refuses a simulation larger than `limits`: particles × steps × max(D, 1) particle-steps,
    /// and the particles' state in memory (D numbers of position, D of momentum, a generator, and
    /// with `burnin` the D + D² time-average sums per particle). With a figure, its planned work
    /// ([`FigureConfig::planned_particle_steps`]: every point's ensemble, one after the other) and
    /// one ensemble's state, whatever `dimension`. `dimension` is D (1 for the
    /// double well).
    ///
    /// # Errors
    /// A [`FieldError`] naming `particles`, whose message names `steps` and the limit.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, SimulationLimits};
    /// let config = Config::parse("particles=100000&steps=20000000").unwrap();
    /// let error = config.check_simulation_size(1, &SimulationLimits::NATIVE).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "particles: invalid value '100000'; allowed: particles × steps × D ≤ 1e11 \
    ///      (here 100000 × 20000000 × 1 = 2e12): fewer particles or steps"
    /// );
    /// ```
    pub fn check_simulation_size(
        &self,
        dimension: usize,
        limits: &SimulationLimits,
    ) -> Result<(), FieldError> {
        if let Some(figure) = &self.figure {
            return check_figure_size(figure, limits);
        }
        let particles = self.simulation.particles;
        let steps = self.simulation.steps;
        let dimension = dimension.max(1);
        let work = particles as u128 * u128::from(steps) * dimension as u128;
        if work > u128::from(limits.max_particle_steps) {
            return Err(FieldError::new(
                "particles",
                particles.to_string(),
                format!(
                    "particles × steps × D ≤ {} (here {particles} × {steps} × {dimension} = {}): \
                     fewer particles or steps",
                    compact_count(u128::from(limits.max_particle_steps)),
                    compact_count(work)
                ),
            ));
        }
        // Per particle: a random stream (a Xoshiro256++ generator and a spare normal, 48 bytes)
        // and its divergence or escape record (16 bytes), plus its numbers.
        let numbers_per_particle = match &self.landscape {
            LandscapeConfig::DoubleWell(_) => 1,
            LandscapeConfig::Quadratic(quadratic) => {
                let time_average_sums = if quadratic.ensemble.burn_in.is_some() {
                    dimension as u128 * (dimension as u128 + 1)
                } else {
                    0
                };
                2 * dimension as u128 + time_average_sums
            }
        };
        let bytes_per_particle = 64 + 8 * numbers_per_particle;
        let bytes = particles as u128 * bytes_per_particle;
        if bytes > u128::from(limits.max_state_bytes) {
            let most = u128::from(limits.max_state_bytes) / bytes_per_particle;
            return Err(FieldError::new(
                "particles",
                particles.to_string(),
                format!(
                    "at most {most} particles with D = {dimension}{} (each needs {bytes_per_particle} \
                     bytes of state; the limit is {} MiB)",
                    if numbers_per_particle > 2 * dimension as u128 {
                        " and burnin"
                    } else {
                        ""
                    },
                    limits.max_state_bytes >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Every key this configuration uses, with its value (defaults included), in no particular
    /// order.
    fn key_values(&self) -> Vec<(&'static str, Value)> {
        if let Some(figure) = &self.figure {
            return figure.key_values();
        }
        let simulation = &self.simulation;
        let mut values = vec![
            ("landscape", Value::Choice(self.landscape.name())),
            ("particles", Value::Integer(simulation.particles as u64)),
            ("steps", Value::Integer(simulation.steps)),
            ("seed", Value::Integer(simulation.seed)),
        ];
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => quadratic.push_key_values(&mut values),
            LandscapeConfig::DoubleWell(well) => values.extend([
                ("opt", Value::Choice("sgd")),
                ("lr", Value::Number(well.learning_rate)),
                ("r", Value::Number(well.loss_scale)),
                ("S", Value::Integer(well.batch_size as u64)),
                ("k_a", Value::Number(well.well_curvature)),
                ("k_b", Value::Number(well.barrier_curvature)),
                ("dL", Value::Number(well.barrier_height)),
            ]),
        }
        values
    }
}

impl QuadraticConfig {
    /// The validated model; see [`Config::to_problem`].
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a configuration key.
    pub fn to_problem(&self) -> Result<Problem, FieldErrors> {
        let mut problems = Vec::new();
        let (hessian, noise, dimension) = match &self.noise {
            NoiseConfig::Gaussian {
                hessian,
                covariance,
            } => {
                let hessian = hessian.to_matrix();
                let dimension = hessian.nrows();
                let noise = match resolve(covariance, "C", dimension) {
                    Ok(covariance) => Some(Noise::Gaussian { covariance }),
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
        let optimizer = dimension.and_then(|dimension| match self.optimizer.to_model(dimension) {
            Ok(optimizer) => Some(optimizer),
            Err(problem) => {
                problems.push(problem);
                None
            }
        });
        match (noise, optimizer) {
            (Some(noise), Some(optimizer)) if problems.is_empty() => {
                Problem::new(hessian, noise, optimizer)?.with_conventions(self.conventions)
            }
            _ => Err(FieldErrors(problems)),
        }
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.push(("opt", Value::Choice(self.optimizer.name())));
        match &self.optimizer {
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
            } => {
                values.push(("lr", Value::Number(*learning_rate)));
                values.push(("mu", Value::Number(*momentum)));
            }
            OptimizerConfig::NaturalGradient {
                learning_rate,
                momentum,
                fisher,
            } => {
                values.push(("lr", Value::Number(*learning_rate)));
                values.push(("mu", Value::Number(*momentum)));
                values.push(("fisher", Value::Choice(fisher_name(*fisher))));
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
        }
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
            } => {
                values.push(("K", Value::Matrix(hessian.clone())));
                values.push(("C", Value::Matrix(covariance.clone())));
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
        if let Some(burn_in) = ensemble.burn_in {
            values.push(("burnin", Value::Integer(burn_in)));
        }
        values.push(("bound", Value::Number(ensemble.divergence_bound)));
    }
}

/// The convention keys [`read_conventions`] reads for `optimizer` (`"*"`: all five).
fn push_convention_values(
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

/// [`Config::check_simulation_size`] for a figure: the planned work of all its ensembles, and the
/// state of one ensemble (they run one after the other).
fn check_figure_size(figure: &FigureConfig, limits: &SimulationLimits) -> Result<(), FieldError> {
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
fn compact_count(count: u128) -> String {
    if count < 1_000_000 {
        count.to_string()
    } else {
        format!("{:e}", count as f64)
    }
}

/// The value of `fisher`.
fn fisher_name(fisher: NaturalGradientFisher) -> &'static str {
    match fisher {
        NaturalGradientFisher::Exact => "exact",
        NaturalGradientFisher::Ensemble => "ensemble",
    }
}

/// One configuration key: everything the parser, the documentation and the help text need.
#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    /// The key, e.g. `lr` (case-sensitive).
    pub key: &'static str,
    /// What it means, with the paper's symbol and equation.
    pub meaning: &'static str,
    /// How the value is written (`number`, `integer`, `matrix`, `list`, `rows`, `name`, `0 or 1`).
    pub format: &'static str,
    /// The default in the configuration language; empty when there is none (see `default_meaning`).
    pub default: &'static str,
    /// The default with `landscape=doublewell`, when it differs from `default` (`lr` and `S`: the
    /// values of `FIGURES.md`, Fig. 6).
    pub double_well_default: Option<&'static str>,
    /// The default in words, e.g. `0.5 (0.5·I)`.
    pub default_meaning: &'static str,
    /// What values are allowed (the `allowed` of its [`FieldError`]s).
    pub allowed: &'static str,
    /// When the key is used, e.g. `opt=qhm`.
    pub used_when: &'static str,
    kind: Kind,
}

/// The optimizers, as `opt` names them.
const OPTIMIZERS: &[&str] = &["sgd", "sgdm", "qhm", "nesterov", "precond", "dnm", "ngd"];
/// The noise models, as `noise` names them.
const NOISES: &[&str] = &["gauss", "batch", "fisher"];
/// The landscapes, as `landscape` names them.
const LANDSCAPES: &[&str] = &["quadratic", "doublewell"];
/// Where a simulation of NGD takes its Fisher from, as `fisher` names them.
const FISHER_ESTIMATES: &[&str] = &["exact", "ensemble"];
/// Keys whose value decides which other keys are used.
const CONTEXT_KEYS: &[&str] = &["fig", "landscape", "opt", "noise", "X", "y"];
/// The loss conventions, as `loss` names them.
const LOSS_CONVENTIONS: &[&str] = &["eq28", "half"];
/// The forms of Eq. 52, as `eq52` names them.
const EQ52_FORMS: &[&str] = &["printed", "corrected"];

/// Defaults that depend on the figure: (figure, key, default). A key not listed has its
/// [`KeySpec::default`] (or, for fig=6a and 6b, its double-well default).
const FIGURE_DEFAULTS: &[(&str, &str, &str)] = &[
    ("1b", "lrs", "1.25,1.5,1.75"),
    ("1b", "start", "1"),
    ("1b", "steps", "20"),
    ("2a", "particles", "10000"),
    ("2b", "particles", "100"),
    ("2b", "steps", "2000"),
    ("2b", "burnin", "500"),
    ("2b", "points", "20"),
    ("3", "K", "1,0.1"),
    ("3", "lrs", "0.1,0.5,1,1.5,1.9"),
    ("3", "particles", "2000"),
    ("3", "steps", "5000"),
    ("4", "x_var", "1,0.1"),
    ("4", "lrs", "0.1,0.4,0.7,0.9"),
    ("4", "particles", "2000"),
    ("4", "steps", "600"),
    ("5a", "lr_k", "2.75"),
    ("5a", "mu_min", "0.38"),
    ("5a", "steps", "6000"),
    ("5a", "burnin", "2000"),
    ("5b", "steps", "6000"),
    ("5b", "burnin", "2000"),
    ("5c", "lr_k", "2.75"),
    ("5c", "mu_min", "0.38"),
    ("5c", "particles", "100"),
    ("5c", "steps", "4000"),
    ("5c", "burnin", "2000"),
    ("5c", "points", "20"),
    ("5d", "particles", "100"),
    ("5d", "steps", "4000"),
    ("5d", "burnin", "2000"),
    ("5d", "points", "20"),
    ("6b", "steps", "1000000"),
    ("6b", "points", "8"),
    ("phase", "opt", "sgdm"),
    ("phase", "lr_k", "2.75"),
    ("phase", "mu", "0.5"),
    ("phase", "S", "10"),
    ("bayes", "K", "1,0.1"),
    ("escape", "K", "1,0.1"),
    ("escape", "C", "1,0.1"),
    ("escape", "lr", "1"),
    ("escape", "steps", "30"),
    ("escape", "points", "10"),
    ("escape", "particles", "2000"),
    ("newton", "K", "1,0.1"),
    ("newton", "angle", "30"),
    ("newton", "mu", "0"),
    ("explorer", "K", "1,0.1"),
    ("explorer", "angle", "30"),
    ("explorer", "particles", "2000"),
];

/// The per-figure default of `key` with `fig=figure`, if it has one.
pub fn figure_default(figure: &str, key: &str) -> Option<&'static str> {
    FIGURE_DEFAULTS
        .iter()
        .find(|(id, name, _)| *id == figure && *name == key)
        .map(|(_, _, default)| *default)
}

/// The default of `key` as configuration text, with `fig=figure` (`None`: no figure, the
/// quadratic landscape's defaults); `None` when the key has no default (e.g. `fig`, `X`).
///
/// # Example
/// ```
/// use sgd_playground::config::default_text;
/// assert_eq!(default_text(Some("2a"), "particles").as_deref(), Some("10000"));
/// assert_eq!(default_text(Some("6b"), "lr").as_deref(), Some("1"));
/// assert_eq!(default_text(None, "lr").as_deref(), Some("0.5"));
/// ```
pub fn default_text(figure: Option<&str>, key: &str) -> Option<String> {
    let spec = key_spec(key)?;
    let context = match figure.and_then(|id| FIGURE_IDS.iter().find(|known| **known == id)) {
        Some(id) => DefaultContext::figure(id),
        None => DefaultContext {
            double_well: false,
            figure: None,
        },
    };
    default_value(spec, context).map(|value| value.to_string())
}

/// How a form edits a key's value: what [`KeySpec`] allows, as an input element needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InputKind {
    /// One of these names (a select).
    Choice(&'static [&'static str]),
    /// A finite number; `min`/`max` bound it when given (`min_exclusive`: strictly above `min`,
    /// `max_exclusive`: strictly below `max`).
    Number {
        /// Lower bound.
        min: Option<f64>,
        /// Whether the lower bound itself is excluded.
        min_exclusive: bool,
        /// Upper bound.
        max: Option<f64>,
        /// Whether the upper bound itself is excluded.
        max_exclusive: bool,
    },
    /// An integer in `[min, max]`.
    Integer {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// `0` or `1` (a checkbox).
    Flag,
    /// Free text: a matrix, a list, rows or a start point.
    Text,
}

impl KeySpec {
    /// How a form edits this key.
    pub fn input_kind(&self) -> InputKind {
        let number = |min, min_exclusive, max, max_exclusive| InputKind::Number {
            min,
            min_exclusive,
            max,
            max_exclusive,
        };
        match self.kind {
            Kind::Version => InputKind::Integer {
                min: 1,
                max: VERSION,
            },
            Kind::Choice(names) => InputKind::Choice(names),
            Kind::Number(range) => match range {
                Range::Finite => number(None, false, None, false),
                Range::Positive => number(Some(0.0), true, None, false),
                Range::NonNegative => number(Some(0.0), false, None, false),
                Range::UnitHalfOpen => number(Some(0.0), false, Some(1.0), true),
                Range::UnitClosed => number(Some(0.0), false, Some(1.0), false),
            },
            Kind::Integer { min, max } => InputKind::Integer { min, max },
            Kind::Flag => InputKind::Flag,
            Kind::Matrix | Kind::Rows { .. } | Kind::List { .. } | Kind::Start | Kind::Names(_) => {
                InputKind::Text
            }
        }
    }
}

/// Which defaults apply: the double well's (`lr`, `S`), a figure's, or the plain ones.
#[derive(Clone, Copy, Debug)]
struct DefaultContext {
    /// `landscape=doublewell`, or a figure of the double well (6a, 6b).
    double_well: bool,
    /// The figure, if any.
    figure: Option<&'static str>,
}

impl DefaultContext {
    fn figure(id: &'static str) -> Self {
        Self {
            double_well: matches!(id, "6a" | "6b"),
            figure: Some(id),
        }
    }
}

/// Every key of version 1, in the order [`Config::to_text`] writes them.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "v",
        meaning: "version of the configuration language",
        format: "integer",
        default: "1",
        double_well_default: None,
        default_meaning: "1",
        allowed: "1 (the version this program reads)",
        used_when: "always",
        kind: Kind::Version,
    },
    KeySpec {
        key: "fig",
        meaning: "the paper's figure to draw: 1b = deterministic decay (Sec. 2); 2a, 2b = Var[w] versus λ with white and minibatch noise (Sec. 5.1, 5.2); 3, 4 = 2-D clouds with 3σ ellipses, white and minibatch noise; 5a–5d = Var[w] versus momentum μ (Sec. 5.3); 6a, 6b = the Kramers problem: densities in the double well, escape rate versus r (Sec. 6.3); beyond the paper's figures: phase = stability phase diagram of SGDM/QHM over (λk, μ), bayes = Bayes-optimal learning rate (Sec. 6.1), escape = escape efficiency (Sec. 6.2), newton = damped Newton and natural gradient (Sec. 6.5), explorer = Table 1 live for every method. Absent: no figure (solve and simulate read the landscape)",
        format: "name",
        default: "",
        double_well_default: None,
        default_meaning: "none",
        allowed: "one of 1b, 2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6a, 6b, phase, bayes, escape, newton, explorer",
        used_when: "always (with fig, only the figure's keys are read)",
        kind: Kind::Choice(FIGURE_IDS),
    },
    KeySpec {
        key: "landscape",
        meaning: "what is optimized: quadratic = the quadratic model of the theory (L(w) = wᵀKw/2, or \
                  linear regression with noise=batch), solved exactly and simulated; doublewell = plain \
                  SGD in the 1-D double well of the Kramers experiment (Sec. 6.3, Fig. 6), simulated \
                  only",
        format: "name",
        default: "quadratic",
        double_well_default: None,
        default_meaning: "quadratic",
        allowed: "one of quadratic, doublewell",
        used_when: "always",
        kind: Kind::Choice(LANDSCAPES),
    },
    KeySpec {
        key: "opt",
        meaning: "optimizer: sgd = SGD (Eq. 6); sgdm = SGD with momentum (Eq. 10); qhm = quasi-hyperbolic \
                  momentum (Eq. 53); nesterov = Nesterov momentum (our addition); precond = preconditioned \
                  SGD with momentum (Corollary 3); dnm = damped Newton, Λ = λK⁻¹ (Sec. 6.5); ngd = natural \
                  gradient, Λ = λ(KΣK)⁻¹ (Sec. 6.5)",
        format: "name",
        default: "sgd",
        double_well_default: None,
        default_meaning: "sgd; sgdm with fig=phase",
        allowed: "one of sgd, sgdm, qhm, nesterov, precond, dnm, ngd",
        used_when: "always (only sgd with landscape=doublewell); fig=phase (sgdm or qhm)",
        kind: Kind::Choice(OPTIMIZERS),
    },
    KeySpec {
        key: "lr",
        meaning: "learning rate λ (Eq. 6, 10, 53; for dnm and ngd the scale of Λ; the λ of the double \
                  well)",
        format: "number",
        default: "0.5",
        double_well_default: Some("1"),
        default_meaning: "0.5 (1 with landscape=doublewell or fig=6a, 6b, as in Fig. 6; 1 with fig=escape)",
        allowed: "a finite number > 0",
        used_when: "opt is not precond, or landscape=doublewell; fig=6a, 6b, escape, newton, explorer",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "lrs",
        meaning: "learning rates λ, one panel each (Fig. 1b, 3, 4)",
        format: "list",
        default: "",
        double_well_default: None,
        default_meaning: "1.25,1.5,1.75 with fig=1b (1 < λk < 2); 0.1,0.5,1,1.5,1.9 with fig=3; 0.1,0.4,0.7,0.9 with fig=4",
        allowed: "1 to 8 finite numbers > 0 below the divergence 2/k* (for 1b: at most 2/k), separated by ,",
        used_when: "fig=1b, 3, 4",
        kind: Kind::List {
            max_len: MAX_FIGURE_PANELS,
            range: Range::Positive,
        },
    },
    KeySpec {
        key: "lr_k",
        meaning: "λk of Fig. 5: the learning rate times the curvature (5a, 5b: k of K; 5c, 5d: the data's Hessian K in the chosen loss convention), so λ = lr_k/k",
        format: "number",
        default: "1",
        double_well_default: None,
        default_meaning: "2.75 with fig=5a, 5c, phase; 1 with fig=5b, 5d",
        allowed: "a finite number in (0, 2(1+mu_max)) (SGDM diverges for λk ≥ 2(1+μ))",
        used_when: "fig=5a, 5b, 5c, 5d; fig=phase (the marked configuration)",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "mu",
        meaning: "momentum μ (Eq. 10, 53, Corollary 3)",
        format: "number",
        default: "0.9",
        double_well_default: None,
        default_meaning: "0.9; 0.5 with fig=phase; 0 with fig=newton",
        allowed: "a number in [0, 1)",
        used_when: "opt is not sgd; fig=phase (the marked configuration), newton, explorer",
        kind: Kind::Number(Range::UnitHalfOpen),
    },
    KeySpec {
        key: "mu_min",
        meaning: "smallest momentum μ of Fig. 5's x-axis",
        format: "number",
        default: "0",
        double_well_default: None,
        default_meaning: "0.38 with fig=5a, 5c; 0 with fig=5b, 5d",
        allowed: "a number in [0, 1), below mu_max",
        used_when: "fig=5a, 5b, 5c, 5d",
        kind: Kind::Number(Range::UnitHalfOpen),
    },
    KeySpec {
        key: "mu_max",
        meaning: "largest momentum μ of Fig. 5's x-axis",
        format: "number",
        default: "0.99",
        double_well_default: None,
        default_meaning: "0.99",
        allowed: "a number in [0, 1), above mu_min (above 0 with fig=phase)",
        used_when: "fig=5a, 5b, 5c, 5d; fig=phase (the top of the μ axis)",
        kind: Kind::Number(Range::UnitHalfOpen),
    },
    KeySpec {
        key: "lrk_max",
        meaning: "the right end of the phase diagram's λk axis (the x-axis runs over (0, lrk_max])",
        format: "number",
        default: "4.5",
        double_well_default: None,
        default_meaning: "4.5",
        allowed: "a finite number > 0",
        used_when: "fig=phase",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "res",
        meaning: "cells per axis of the phase diagram (res × res solves)",
        format: "integer",
        default: "200",
        double_well_default: None,
        default_meaning: "200",
        allowed: "an integer in [10, 400]",
        used_when: "fig=phase",
        kind: Kind::Integer { min: 10, max: 400 },
    },
    KeySpec {
        key: "nu",
        meaning: "QHM's ν, from SGD (ν = 0) to normalised momentum (ν = 1) (Eq. 53)",
        format: "number",
        default: "0.7",
        double_well_default: None,
        default_meaning: "0.7",
        allowed: "a number in [0, 1]",
        used_when: "opt=qhm; fig=phase with opt=qhm, explorer",
        kind: Kind::Number(Range::UnitClosed),
    },
    KeySpec {
        key: "wd",
        meaning: "weight decay wd: PyTorch's SGD(weight_decay=…), optax's add_decayed_weights; the \
                  loss reported is the un-regularised L (with the bias the decay adds when the \
                  minimum is not at 0)",
        format: "number",
        default: "0",
        double_well_default: None,
        default_meaning: "0 (none)",
        allowed: "a finite number ≥ 0",
        used_when: "opt=sgd, sgdm, qhm, nesterov (landscape=quadratic); fig=explorer; fig=phase with noise=gauss (in units of k)",
        kind: Kind::Number(Range::NonNegative),
    },
    KeySpec {
        key: "wd_mode",
        meaning: "where the weight decay enters: coupled = added to the gradient, so it passes \
                  through the momentum (PyTorch SGD, optax add_decayed_weights before the \
                  optimizer); decoupled = θ ← θ − λ·wd·θ outside the momentum (SGDW, Keras 3)",
        format: "name",
        default: "coupled",
        double_well_default: None,
        default_meaning: "coupled",
        allowed: "one of coupled, decoupled",
        used_when: "opt=sgd, sgdm, qhm, nesterov (landscape=quadratic); fig=explorer",
        kind: Kind::Choice(WeightDecayMode::NAMES),
    },
    KeySpec {
        key: "dampening",
        meaning: "PyTorch's dampening τ of SGDM: m ← μm + (1 − τ)g (the dynamics of λ(1 − τ))",
        format: "number",
        default: "0",
        double_well_default: None,
        default_meaning: "0 (none)",
        allowed: "a number in [0, 1); 0 with momentum_form=ema",
        used_when: "opt=sgdm (landscape=quadratic); fig=explorer",
        kind: Kind::Number(Range::UnitHalfOpen),
    },
    KeySpec {
        key: "momentum_form",
        meaning: "how SGDM accumulates its momentum: heavyball = m ← μm + (1 − τ)g (Eq. 10, \
                  PyTorch); ema = m ← μm + (1 − μ)g (optax.ema; QHM with ν = 1)",
        format: "name",
        default: "heavyball",
        double_well_default: None,
        default_meaning: "heavyball",
        allowed: "one of heavyball, ema",
        used_when: "opt=sgdm (landscape=quadratic); fig=explorer",
        kind: Kind::Choice(MomentumForm::NAMES),
    },
    KeySpec {
        key: "nesterov_form",
        meaning: "which Nesterov iterate is reported and simulated: params = the parameters θ \
                  PyTorch, optax and Keras store (m ← μm + g(θ); θ ← θ − λ(g + μm)); lookahead = \
                  Sutskever's look-ahead w = θ + λμm (m ← μm + ∇L(w − λμm) + η; w ← w − λm)",
        format: "name",
        default: "params",
        double_well_default: None,
        default_meaning: "params",
        allowed: "one of params, lookahead",
        used_when: "opt=nesterov (landscape=quadratic); fig=explorer",
        kind: Kind::Choice(NesterovForm::NAMES),
    },
    KeySpec {
        key: "P",
        meaning: "preconditioner Λ (Corollary 3)",
        format: "matrix",
        default: "0.5",
        double_well_default: None,
        default_meaning: "0.5 (0.5·I, the default λ)",
        allowed: "a symmetric positive definite matrix the size of K: one number s (s·I), one row of D \
                  diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "opt=precond; fig=explorer",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "noise",
        meaning: "gradient noise: gauss = Gaussian noise of constant covariance C (Theorem 1); batch = \
                  the exact minibatch noise of linear regression (Eq. 28, ERRATA.md); fisher = NGD's \
                  minibatch Fisher noise C = (N−S)/(NS)·KΣK (Eq. 63)",
        format: "name",
        default: "gauss",
        double_well_default: None,
        default_meaning: "gauss",
        allowed: "one of gauss, batch, fisher (gauss or batch with fig=phase)",
        used_when: "always; fig=phase",
        kind: Kind::Choice(NOISES),
    },
    KeySpec {
        key: "K",
        meaning: "Hessian K of the loss L(w) = wᵀKw/2 (Eq. 5); with fig=1b, 2a, 5a, 5b the curvature k of \
                  L = kw²/2 (one number), with fig=3 a 2×2 matrix",
        format: "matrix",
        default: "1",
        double_well_default: None,
        default_meaning: "1 (D = 1); 1,0.1 with fig=3, bayes, escape, newton, explorer",
        allowed: "a symmetric positive definite D×D matrix, D ≤ 512: one number (D = 1), one row of D \
                  diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "noise=gauss or noise=fisher (with noise=batch, K = 2XᵀX/N comes from the data); fig=bayes, escape, newton, explorer, 1b, \
                    2a, 3, 5a, 5b",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "angle",
        meaning: "rotation of a 2-D Hessian K in degrees: K ← R K Rᵀ (eigenvalues plus a rotation)",
        format: "number",
        default: "0",
        double_well_default: None,
        default_meaning: "0 (K as written); 30 with fig=newton, explorer",
        allowed: "a finite number (applies only to a 2×2 K written as its two eigenvalues, K=k1,k2; a K \
                  written as a full matrix is used as written)",
        used_when: "fig=bayes, escape, newton, explorer",
        kind: Kind::Number(Range::Finite),
    },
    KeySpec {
        key: "C",
        meaning: "noise covariance C, E[η_t η_sᵀ] = δ_ts C (Theorem 1); with fig=2a, 5a, 5b the variance σ² \
                  (one number > 0), with fig=3 a 2×2 matrix",
        format: "matrix",
        default: "1",
        double_well_default: None,
        default_meaning: "1 (the identity); 1,0.1 with fig=escape",
        allowed: "a symmetric positive semi-definite matrix the size of K: one number s (s·I), one row of \
                  D diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "noise=gauss; fig=2a, 3, 5a, 5b, escape, newton, explorer",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "a",
        meaning: "Hessian-proportional noise: the noise covariance is C + aK (Theorem 3; a = (N−S)/(NS) with C = 0 is the minibatch approximation of Eq. 34)",
        format: "number",
        default: "0",
        double_well_default: None,
        default_meaning: "0",
        allowed: "a finite number ≥ 0",
        used_when: "fig=explorer",
        kind: Kind::Number(Range::NonNegative),
    },
    KeySpec {
        key: "S",
        meaning: "batch size S (Eq. 28, 63); with landscape=doublewell, the S of the \
                  Hessian-proportional noise η ~ N(0, r|L″(w)|/S) (Sec. 6.3)",
        format: "integer",
        default: "100",
        double_well_default: Some("2"),
        default_meaning: "100 (2 with landscape=doublewell or fig=6a, 6b, as in Fig. 6; 10 with fig=phase)",
        allowed: "an integer in [1, 1000000] (at most N with noise=fisher or replace=0)",
        used_when: "noise=batch or noise=fisher, or landscape=doublewell; fig=2b, 4, 5c, 5d, 6a, 6b, bayes, newton; fig=phase with noise=batch",
        kind: Kind::Integer {
            min: 1,
            max: MAX_DATASET_SIZE as u64,
        },
    },
    KeySpec {
        key: "replace",
        meaning: "whether a minibatch's S samples are drawn with replacement (without: the noise is \
                  scaled by (N−S)/(N−1), ERRATA.md)",
        format: "0 or 1",
        default: "1",
        double_well_default: None,
        default_meaning: "1 (with replacement)",
        allowed: "0 or 1",
        used_when: "noise=batch; fig=2b, 4, 5c, 5d; fig=phase with noise=batch",
        kind: Kind::Flag,
    },
    KeySpec {
        key: "N",
        meaning: "data-set size N: samples generated for noise=batch; the N of Eq. 63 for noise=fisher",
        format: "integer",
        default: "1000",
        double_well_default: None,
        default_meaning: "1000",
        allowed: "an integer in [1, 1000000]",
        used_when: "noise=fisher, or noise=batch without X; fig=2b, 4, 5c, 5d without X; fig=bayes, newton; fig=phase with noise=batch without X",
        kind: Kind::Integer {
            min: 1,
            max: MAX_DATASET_SIZE as u64,
        },
    },
    KeySpec {
        key: "data_seed",
        meaning: "seed of the generated data set (Xoshiro256++)",
        format: "integer",
        default: "0",
        double_well_default: None,
        default_meaning: "0",
        allowed: "an integer in [0, 18446744073709551615]",
        used_when: "noise=batch without X; fig=2b, 4, 5c, 5d without X; fig=phase with noise=batch",
        kind: Kind::Integer { min: 0, max: u64::MAX },
    },
    KeySpec {
        key: "x_var",
        meaning: "variances of the generated inputs, x ~ N(0, diag(x_var)); their number is D (and \
                  K ≈ 2·diag(x_var): Eq. 28's loss has no ½)",
        format: "list",
        default: "1",
        double_well_default: None,
        default_meaning: "1 (D = 1); 1,0.1 with fig=4",
        allowed: "1 to 32 finite numbers > 0, separated by ,",
        used_when: "noise=batch without X; fig=2b, 4, 5c, 5d without X; fig=phase with noise=batch",
        kind: Kind::List {
            max_len: MAX_MINIBATCH_DIMENSION,
            range: Range::Positive,
        },
    },
    KeySpec {
        key: "w_star",
        meaning: "true weights w* of the generated labels y = w*ᵀx + ε",
        format: "list",
        default: "",
        double_well_default: None,
        default_meaning: "1 for every input (D ones)",
        allowed: "D finite numbers (one per entry of x_var), separated by ,",
        used_when: "noise=batch without X; fig=2b, 4, 5c, 5d without X; fig=phase with noise=batch",
        kind: Kind::List {
            max_len: MAX_MINIBATCH_DIMENSION,
            range: Range::Finite,
        },
    },
    KeySpec {
        key: "label_var",
        meaning: "variance σ_ε² of the label noise ε of the generated data",
        format: "number",
        default: "1",
        double_well_default: None,
        default_meaning: "1",
        allowed: "a finite number ≥ 0",
        used_when: "noise=batch without X; fig=2b, 4, 5c, 5d without X; fig=phase with noise=batch",
        kind: Kind::Number(Range::NonNegative),
    },
    KeySpec {
        key: "X",
        meaning: "regression inputs, one sample x_iᵀ per row (N×D, Eq. 28)",
        format: "rows",
        default: "",
        double_well_default: None,
        default_meaning: "generated (N, data_seed, x_var, w_star, label_var)",
        allowed: "N rows of D finite numbers, N ≤ 1000000, D ≤ 32 (rows separated by ;, entries by ,), \
                  given together with y",
        used_when: "noise=batch; fig=2b, 4, 5c, 5d; fig=phase with noise=batch",
        kind: Kind::Rows {
            max_rows: MAX_DATASET_SIZE,
            max_columns: MAX_MINIBATCH_DIMENSION,
        },
    },
    KeySpec {
        key: "y",
        meaning: "regression targets y_i, one per row of X (Eq. 28)",
        format: "list",
        default: "",
        double_well_default: None,
        default_meaning: "generated with X",
        allowed: "N finite numbers (one per row of X), separated by ,; given together with X",
        used_when: "noise=batch; fig=2b, 4, 5c, 5d; fig=phase with noise=batch",
        kind: Kind::List {
            max_len: MAX_DATASET_SIZE,
            range: Range::Finite,
        },
    },
    KeySpec {
        key: "loss",
        meaning: "loss convention of the regression figures: eq28 = Eq. 28 as printed, (1/N)Σ(wᵀx_i − y_i)², whose Hessian is K = (2/N)Σx_ix_iᵀ ≈ 2E[xxᵀ]; half = with a ½, K ≈ E[xxᵀ] (SGD with λ on it is SGD with λ/2 on Eq. 28's loss)",
        format: "name",
        default: "eq28",
        double_well_default: None,
        default_meaning: "eq28",
        allowed: "one of eq28, half",
        used_when: "fig=2b, 4, 5c, 5d; fig=phase with noise=batch",
        kind: Kind::Choice(LOSS_CONVENTIONS),
    },
    KeySpec {
        key: "r",
        meaning: "loss scale r of the double well, L → rL (Fig. 6b): the noise is r|L″(w)|/S and the \
                  well stays stable while λrk_a < 2",
        format: "number",
        default: "1",
        double_well_default: None,
        default_meaning: "1",
        allowed: "a finite number in (0, 2/(λk_a)) (the well is unstable beyond)",
        used_when: "landscape=doublewell; fig=6a",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "r_min",
        meaning: "smallest loss scale r of Fig. 6(b)'s x-axis (L → rL)",
        format: "number",
        default: "0.1",
        double_well_default: None,
        default_meaning: "0.1",
        allowed: "a finite number > 0, below r_max",
        used_when: "fig=6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "r_max",
        meaning: "largest loss scale r of Fig. 6(b)'s x-axis",
        format: "number",
        default: "1.5",
        double_well_default: None,
        default_meaning: "1.5",
        allowed: "a finite number in (r_min, 2/(λk_a)) (the well itself is unstable beyond)",
        used_when: "fig=6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "k_a",
        meaning: "curvature k_a of the double well's two minima (Fig. 6; the C¹ piecewise-quadratic \
                  well of FIGURES.md)",
        format: "number",
        default: "1",
        double_well_default: None,
        default_meaning: "1",
        allowed: "a finite number > 0",
        used_when: "landscape=doublewell; fig=6a, 6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "k_b",
        meaning: "|k_b|, minus the curvature at the double well's barrier top (Fig. 6b plots γ/|k_b|)",
        format: "number",
        default: "0.5",
        double_well_default: None,
        default_meaning: "0.5",
        allowed: "a finite number > 0",
        used_when: "landscape=doublewell; fig=6a, 6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "dL",
        meaning: "barrier height ΔL = L(b) − L(a) of the double well (Eq. 51, 52)",
        format: "number",
        default: "1",
        double_well_default: None,
        default_meaning: "1",
        allowed: "a finite number > 0",
        used_when: "landscape=doublewell; fig=6a, 6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "eq52",
        meaning: "which Eq. 52 Fig. 6(b) draws: printed = as in the paper; corrected = with its inverted prefactor put right (ERRATA.md, Kramers section)",
        format: "name",
        default: "printed",
        double_well_default: None,
        default_meaning: "printed",
        allowed: "one of printed, corrected",
        used_when: "fig=6b",
        kind: Kind::Choice(EQ52_FORMS),
    },
    KeySpec {
        key: "eq52_const",
        meaning: "the empirical constant multiplying Eq. 52 in Fig. 6(b) (the paper fits one)",
        format: "number",
        default: "",
        double_well_default: None,
        default_meaning: "fitted: least squares in log space to the simulated points (to the exact rate before there are any)",
        allowed: "a finite number > 0",
        used_when: "fig=6b",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "points",
        meaning: "how many values of a figure's x-axis are simulated: λ_j = (2/k)·j/(points+1), j = 1..points, for fig=2a, 2b; μ evenly from mu_min to mu_max for 5a–5d; r evenly from r_min to r_max for 6b",
        format: "integer",
        default: "40",
        double_well_default: None,
        default_meaning: "40; 20 with fig=2b, 5c, 5d; 8 with fig=6b; 10 with fig=escape",
        allowed: "an integer in [1, 200]",
        used_when: "fig=2a, 2b, 5a, 5b, 5c, 5d, 6b, escape",
        kind: Kind::Integer {
            min: 1,
            max: MAX_FIGURE_POINTS as u64,
        },
    },
    KeySpec {
        key: "particles",
        meaning: "number P of independent particles a simulation runs (simulate; solve ignores it); with \
                  fig, per simulated point or panel",
        format: "integer",
        default: "1000",
        double_well_default: None,
        default_meaning: "1000; per figure: 10000 (2a), 100 (2b, 5c, 5d), 2000 (3, 4, escape, explorer), 1000 (5a, 5b, 6b)",
        allowed: "an integer in [1, 10000000]",
        used_when: "always without fig; fig=2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6b, escape, explorer with sim",
        kind: Kind::Integer {
            min: 1,
            max: MAX_PARTICLES as u64,
        },
    },
    KeySpec {
        key: "steps",
        meaning: "steps T every particle runs (simulate; solve ignores it); with landscape=doublewell \
                  and fig=6b the most, as the run stops once every particle escaped; with fig=1b the steps \
                  drawn; with fig=3, 4 the steps before the particles' positions are drawn",
        format: "integer",
        default: "1000",
        double_well_default: None,
        default_meaning: "1000; per figure: 20 (1b), 2000 (2b), 5000 (3), 600 (4), 6000 (5a, 5b), 4000 (5c, \
                          5d), 1000000 (6b), 30 (escape)",
        allowed: "an integer in [1, 100000000000]",
        used_when: "always without fig; every fig but 6a, phase, bayes, newton (escape: the horizon T; explorer: with sim)",
        kind: Kind::Integer {
            min: 1,
            max: MAX_PARTICLE_STEPS,
        },
    },
    KeySpec {
        key: "burnin",
        meaning: "steps after which time averages of w's mean and covariance accumulate over the \
                  remaining steps and all particles (simulate's time_averaged; the figures' simulated \
                  variances of fig=2b, 5a–5d)",
        format: "integer",
        default: "",
        double_well_default: None,
        default_meaning: "none (no time averages); per figure: 500 (2b), 2000 (5a, 5b, 5c, 5d)",
        allowed: "an integer in [0, steps − 1]",
        used_when: "landscape=quadratic; fig=2b, 5a, 5b, 5c, 5d",
        kind: Kind::Integer {
            min: 0,
            max: MAX_PARTICLE_STEPS - 1,
        },
    },
    KeySpec {
        key: "seed",
        meaning: "seed of a simulation: particle p draws from the seed's Xoshiro256++ stream jumped p \
                  times, so a run is reproducible bit for bit",
        format: "integer",
        default: "0",
        double_well_default: None,
        default_meaning: "0",
        allowed: "an integer in [0, 18446744073709551615]",
        used_when: "always without fig; fig=2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6b, escape, explorer with sim",
        kind: Kind::Integer { min: 0, max: u64::MAX },
    },
    KeySpec {
        key: "start",
        meaning: "where every particle starts: zero = w₀ = 0; stationary = drawn from the exact \
                  stationary distribution of (w, m); or a point w₀ (momentum m₀ = 0); with fig=1b, 2a the \
                  1-D start w₀ (zero or one number)",
        format: "name or list",
        default: "zero",
        double_well_default: None,
        default_meaning: "zero; 1 with fig=1b",
        allowed: "zero, stationary, or D finite numbers separated by , (D the size of K)",
        used_when: "landscape=quadratic; fig=1b, 2a",
        kind: Kind::Start,
    },
    KeySpec {
        key: "bound",
        meaning: "divergence bound: a particle with some |w_i − w̄_i| above it (w̄ the stationary mean) \
                  counts as diverged and leaves the statistics",
        format: "number",
        default: "1e8",
        double_well_default: None,
        default_meaning: "1e8",
        allowed: "a finite number > 0",
        used_when: "landscape=quadratic",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "fisher",
        meaning: "where a simulation of NGD takes the Fisher KΣK of Λ = λ(KΣK)⁻¹ from: exact = the \
                  exact stationary Σ (a fixed Λ); ensemble = the ensemble's covariance, every step \
                  (the particles are then coupled; unstable at small noise)",
        format: "name",
        default: "exact",
        double_well_default: None,
        default_meaning: "exact",
        allowed: "one of exact, ensemble",
        used_when: "opt=ngd",
        kind: Kind::Choice(FISHER_ESTIMATES),
    },
    KeySpec {
        key: "methods",
        meaning: "the methods the theory explorer compares, in table order",
        format: "names",
        default: "sgd,sgdm,qhm,nesterov,dnm,ngd,precond",
        double_well_default: None,
        default_meaning: "all: sgd,sgdm,qhm,nesterov,dnm,ngd,precond",
        allowed: "one or more distinct names of sgd, sgdm, qhm, nesterov, dnm, ngd, precond, separated by ,",
        used_when: "fig=explorer",
        kind: Kind::Names(EXPLORER_METHODS),
    },
    KeySpec {
        key: "sim",
        meaning: "the method whose particle cloud the explorer simulates over the 2-D ellipses (none: theory only)",
        format: "name",
        default: "none",
        double_well_default: None,
        default_meaning: "none",
        allowed: "none or one of the compared methods (2-D K only)",
        used_when: "fig=explorer",
        kind: Kind::Choice(panels::EXPLORER_SIMULATIONS),
    },
];

/// The specification of `key`, if it is a key of version 1.
pub fn key_spec(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|spec| spec.key == key)
}

/// The README's table of every key (GitHub Markdown): key, meaning, format, default, allowed
/// values and when it is used, from [`KEYS`] (`|` in the text is escaped).
pub fn keys_markdown_table() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut table = String::from(
        "| key | meaning | format | default | allowed | used when |\n|---|---|---|---|---|---|\n",
    );
    for spec in KEYS {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            spec.key,
            cell(spec.meaning),
            cell(spec.format),
            cell(spec.default_meaning),
            cell(spec.allowed),
            cell(spec.used_when)
        ));
    }
    table
}

/// How a key's value is read.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// The version: an integer ≥ 1.
    Version,
    /// One of these names (ASCII case ignored).
    Choice(&'static [&'static str]),
    /// A finite number in a range.
    Number(Range),
    /// An integer in [min, max].
    Integer { min: u64, max: u64 },
    /// `0` or `1`.
    Flag,
    /// A square matrix in one of [`MatrixSpec`]'s forms.
    Matrix,
    /// Rows of numbers (a data matrix; one row is one row).
    Rows { max_rows: usize, max_columns: usize },
    /// Numbers separated by `,` (or `;`).
    List { max_len: usize, range: Range },
    /// `zero`, `stationary` (ASCII case ignored), or a point: numbers separated by `,`.
    Start,
    /// One or more distinct names of the list, separated by `,` (ASCII case ignored).
    Names(&'static [&'static str]),
}

/// Allowed range of a number.
#[derive(Clone, Copy, Debug)]
enum Range {
    Finite,
    Positive,
    NonNegative,
    UnitHalfOpen,
    UnitClosed,
}

impl Range {
    fn contains(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Range::Finite => true,
                Range::Positive => x > 0.0,
                Range::NonNegative => x >= 0.0,
                Range::UnitHalfOpen => (0.0..1.0).contains(&x),
                Range::UnitClosed => (0.0..=1.0).contains(&x),
            }
    }
}

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Integer(u64),
    Number(f64),
    Flag(bool),
    Choice(&'static str),
    Matrix(MatrixSpec),
    Rows(DMatrix<f64>),
    List(Vec<f64>),
    Start(Start),
    Names(Vec<&'static str>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(n) => write!(f, "{n}"),
            Value::Number(x) => f.write_str(&format_number(*x)),
            Value::Flag(flag) => f.write_str(if *flag { "1" } else { "0" }),
            Value::Choice(name) => f.write_str(name),
            Value::Matrix(matrix) => write!(f, "{matrix}"),
            Value::Rows(rows) => f.write_str(&rows_text(rows)),
            Value::List(entries) => f.write_str(&list_text(entries)),
            Value::Start(Start::Zero) => f.write_str("zero"),
            Value::Start(Start::Stationary) => f.write_str("stationary"),
            Value::Start(Start::Point(point)) => f.write_str(&list_text(point.as_slice())),
            Value::Names(names) => f.write_str(&names.join(",")),
        }
    }
}

fn list_text(entries: &[f64]) -> String {
    entries
        .iter()
        .map(|&x| format_number(x))
        .collect::<Vec<_>>()
        .join(",")
}

fn rows_text(matrix: &DMatrix<f64>) -> String {
    matrix
        .row_iter()
        .map(|row| {
            row.iter()
                .map(|&x| format_number(x))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The default value of a key for the quadratic landscape, the double well or a figure, `None`
/// for keys without one (`X`, `y`, `w_star`, `burnin` outside figures, `fig`, `eq52_const`, ...).
fn default_value(spec: &KeySpec, context: DefaultContext) -> Option<Value> {
    let figure_text = context
        .figure
        .and_then(|figure| figure_default(figure, spec.key));
    let text = match (figure_text, spec.double_well_default) {
        (Some(text), _) => text,
        (None, Some(text)) if context.double_well => text,
        _ => spec.default,
    };
    if text.is_empty() {
        None
    } else {
        parse_value(spec, text).ok()
    }
}

/// A valid value read from the text.
#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    /// The value as written (decoded), for messages.
    raw: String,
    /// Index of the pair in the text, to report in text order.
    position: usize,
}

/// The text read pair by pair, before the keys are put together.
#[derive(Default)]
struct Reading {
    /// The valid values, by key (the first of repeated keys).
    entries: BTreeMap<&'static str, Entry>,
    /// Every problem, in text order.
    problems: Vec<FieldError>,
    /// `v` larger than [`VERSION`].
    newer_version: Option<FieldError>,
    /// Known keys given with an invalid value.
    invalid: BTreeSet<&'static str>,
}

fn read(text: &str) -> Reading {
    let mut reading = Reading::default();
    if text.len() > MAX_TEXT_BYTES {
        reading.problems.push(FieldError::new(
            "config",
            format!("a text of {} bytes", text.len()),
            format!("a text of at most {MAX_TEXT_BYTES} bytes (1 MiB)"),
        ));
        return reading;
    }
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    for (position, pair) in split_pairs(text).into_iter().enumerate() {
        let (key, raw) = match pair {
            Ok(pair) => pair,
            Err(problem) => {
                reading.problems.push(problem);
                continue;
            }
        };
        let Some(spec) = key_spec(&key) else {
            reading.problems.push(unknown_key(&key, &raw));
            continue;
        };
        if let Some(first) = seen.get(spec.key) {
            reading.problems.push(FieldError::new(
                spec.key,
                shorten(&raw),
                format!(
                    "one value per key ({} is already given as '{}')",
                    spec.key,
                    shorten(first)
                ),
            ));
            continue;
        }
        seen.insert(spec.key, raw.clone());
        match parse_value(spec, &raw) {
            Ok(Value::Integer(version))
                if matches!(spec.kind, Kind::Version) && version > VERSION =>
            {
                reading.newer_version = Some(FieldError::new(
                    "v",
                    raw,
                    format!(
                        "{VERSION} (this text was written by a newer version of sgd-playground, for \
                         v={version}; this one reads v={VERSION} keys only)"
                    ),
                ));
            }
            Ok(value) => {
                reading.entries.insert(
                    spec.key,
                    Entry {
                        value,
                        raw,
                        position,
                    },
                );
            }
            Err(problem) => {
                reading.invalid.insert(spec.key);
                reading.problems.push(problem);
            }
        }
    }
    reading
}

/// Splits the text into decoded `(key, value)` pairs (see the module docs for the syntax).
fn split_pairs(text: &str) -> Vec<Result<(String, String), FieldError>> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    // A pasted URL or query: drop everything up to its '?' when no pair comes before it.
    let text = match text.split_once('?') {
        Some((before, after)) if !before.contains(['=', '&', '\n', '\r']) => after,
        _ => text,
    };
    let mut pairs = Vec::new();
    for line in text.split(['\n', '\r']) {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for segment in line.split('&') {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let Some((raw_key, raw_value)) = segment.split_once('=') else {
                let decoded = percent_decode(segment).unwrap_or_else(|lossy| lossy);
                pairs.push(Err(FieldError::new(
                    shorten(decoded.trim()),
                    shorten(decoded.trim()),
                    "key=value pairs separated by & or new lines",
                )));
                continue;
            };
            let key = match percent_decode(raw_key) {
                Ok(key) => key.trim().to_string(),
                Err(lossy) => {
                    pairs.push(Err(FieldError::new(
                        shorten(lossy.trim()),
                        shorten(segment),
                        "percent-encoded UTF-8 text",
                    )));
                    continue;
                }
            };
            match percent_decode(raw_value) {
                Ok(value) => pairs.push(Ok((key, value.trim().to_string()))),
                Err(lossy) => pairs.push(Err(FieldError::new(
                    key,
                    shorten(&lossy),
                    "percent-encoded UTF-8 text",
                ))),
            }
        }
    }
    pairs
}

/// Decodes `%XX` escapes and `+` (a space, except as an exponent sign as in `1e+3`). A `%` not
/// followed by two hex digits is kept as it is. `Err` holds a lossy decoding when the bytes are
/// not UTF-8.
pub(crate) fn percent_decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let high = bytes.get(i + 1).and_then(|&b| hex_digit(b));
                let low = bytes.get(i + 2).and_then(|&b| hex_digit(b));
                if let (Some(high), Some(low)) = (high, low) {
                    decoded.push(high * 16 + low);
                    i += 3;
                    continue;
                }
                decoded.push(b'%');
            }
            b'+' if !is_exponent_sign(bytes, i) => decoded.push(b' '),
            other => decoded.push(other),
        }
        i += 1;
    }
    String::from_utf8(decoded).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Whether the `+` at `index` is the sign of an exponent: `<digit or .>e+<digit>`.
fn is_exponent_sign(bytes: &[u8], index: usize) -> bool {
    let before = index.checked_sub(1).and_then(|i| bytes.get(i));
    let mantissa_end = index.checked_sub(2).and_then(|i| bytes.get(i));
    matches!(before, Some(b'e' | b'E'))
        && mantissa_end.is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.get(index + 1).is_some_and(u8::is_ascii_digit)
}

/// Words people use for our keys, to suggest the key.
const ALIASES: &[(&str, &str)] = &[
    ("lambda", "lr"),
    ("learning_rate", "lr"),
    ("momentum", "mu"),
    ("beta", "mu"),
    ("optimizer", "opt"),
    ("hessian", "K"),
    ("batch_size", "S"),
    ("dataset_size", "N"),
    ("preconditioner", "P"),
    ("loss_scale", "r"),
    ("ka", "k_a"),
    ("kb", "k_b"),
    ("barrier_height", "dL"),
    ("delta_l", "dL"),
    ("n_particles", "particles"),
    ("iterations", "steps"),
    ("burn_in", "burnin"),
    ("divergence_bound", "bound"),
    ("init", "start"),
];

fn unknown_key(key: &str, raw: &str) -> FieldError {
    let suggestion = KEYS
        .iter()
        .map(|spec| spec.key)
        .find(|known| known.eq_ignore_ascii_case(key))
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(key))
                .map(|(_, known)| *known)
        });
    let hint = suggestion.map_or(String::new(), |known| format!(" (did you mean {known}?)"));
    let keys: Vec<&str> = KEYS.iter().map(|spec| spec.key).collect();
    let field = if key.is_empty() {
        "(empty key)".to_string()
    } else {
        shorten(key)
    };
    FieldError::new(
        field,
        shorten(&format!("{key}={raw}")),
        format!("a key of v={VERSION}{hint}: {}", keys.join(", ")),
    )
}

/// A value short enough for a one-line message.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    const KEEP: usize = 60;
    let length = text.chars().count();
    if length <= LIMIT {
        text.to_string()
    } else {
        let start: String = text.chars().take(KEEP).collect();
        format!("{start}… ({length} characters)")
    }
}

fn parse_value(spec: &KeySpec, raw: &str) -> Result<Value, FieldError> {
    let invalid = |detail: Option<String>| {
        let allowed = match detail {
            Some(detail) => format!("{} ({detail})", spec.allowed),
            None => spec.allowed.to_string(),
        };
        FieldError::new(spec.key, shorten(raw), allowed)
    };
    if raw.is_empty() {
        return Err(invalid(Some("the value is empty".to_string())));
    }
    match spec.kind {
        Kind::Version => parse_integer(raw)
            .filter(|&n| n >= 1)
            .map(Value::Integer)
            .ok_or_else(|| invalid(None)),
        Kind::Choice(names) => names
            .iter()
            .copied()
            .find(|name| name.eq_ignore_ascii_case(raw))
            .map(Value::Choice)
            .ok_or_else(|| invalid(None)),
        Kind::Number(range) => parse_number(raw)
            .filter(|&x| range.contains(x))
            .map(Value::Number)
            .ok_or_else(|| invalid(None)),
        Kind::Integer { min, max } => parse_integer(raw)
            .filter(|n| (min..=max).contains(n))
            .map(Value::Integer)
            .ok_or_else(|| invalid(None)),
        Kind::Flag => match raw {
            "1" | "true" => Ok(Value::Flag(true)),
            "0" | "false" => Ok(Value::Flag(false)),
            _ => Err(invalid(None)),
        },
        Kind::Matrix => parse_matrix(raw)
            .map(Value::Matrix)
            .map_err(|d| invalid(Some(d))),
        Kind::Rows {
            max_rows,
            max_columns,
        } => parse_rows(raw, max_rows, max_columns)
            .map(|table| Value::Rows(table.to_matrix()))
            .map_err(|d| invalid(Some(d))),
        Kind::List { max_len, range } => parse_list(raw, max_len, range)
            .map(Value::List)
            .map_err(|d| invalid(Some(d))),
        Kind::Start if raw.eq_ignore_ascii_case("zero") => Ok(Value::Start(Start::Zero)),
        Kind::Start if raw.eq_ignore_ascii_case("stationary") => {
            Ok(Value::Start(Start::Stationary))
        }
        Kind::Start => parse_list(raw, MAX_DIMENSION, Range::Finite)
            .map(|point| Value::Start(Start::Point(DVector::from_vec(point))))
            .map_err(|d| invalid(Some(d))),
        Kind::Names(names) => parse_names(raw, names)
            .map(Value::Names)
            .map_err(|d| invalid(Some(d))),
    }
}

/// Distinct names of `names` separated by `,`, kept in the order of `names`.
fn parse_names(raw: &str, names: &'static [&'static str]) -> Result<Vec<&'static str>, String> {
    let mut chosen = Vec::new();
    for part in raw.split(',') {
        let part = part.trim();
        let Some(name) = names.iter().copied().find(|n| n.eq_ignore_ascii_case(part)) else {
            return Err(format!("{} is not one of them", shorten(part)));
        };
        if chosen.contains(&name) {
            return Err(format!("{name} is named twice"));
        }
        chosen.push(name);
    }
    chosen.sort_by_key(|name| names.iter().position(|n| n == name));
    Ok(chosen)
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

fn parse_integer(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok()
}

/// Numbers read row by row, all rows of the same length.
struct Table {
    entries: Vec<f64>,
    rows: usize,
    columns: usize,
}

impl Table {
    fn to_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.rows, self.columns, |i, j| {
            self.entries
                .get(i * self.columns + j)
                .copied()
                .unwrap_or(f64::NAN)
        })
    }
}

/// Rows separated by `;`, entries by `,`; `Err` says what is wrong.
fn parse_rows(text: &str, max_rows: usize, max_columns: usize) -> Result<Table, String> {
    let mut table = Table {
        entries: Vec::new(),
        rows: 0,
        columns: 0,
    };
    for (row_index, row) in text.split(';').enumerate() {
        let row_number = row_index + 1;
        if table.rows == max_rows {
            return Err(format!("more than {max_rows} rows"));
        }
        let mut columns = 0;
        for entry in row.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(format!("row {row_number} has an empty entry"));
            }
            if columns == max_columns {
                return Err(format!(
                    "row {row_number} has more than {max_columns} entries"
                ));
            }
            let Some(x) = parse_number(entry) else {
                return Err(format!(
                    "'{}' in row {row_number} is not a finite number",
                    shorten(entry)
                ));
            };
            table.entries.push(x);
            columns += 1;
        }
        if row_index == 0 {
            table.columns = columns;
        } else if columns != table.columns {
            return Err(format!(
                "row {row_number} has {}, row 1 has {}",
                entries_text(columns),
                entries_text(table.columns)
            ));
        }
        table.rows += 1;
    }
    Ok(table)
}

/// "1 entry", "3 entries".
fn entries_text(count: usize) -> String {
    if count == 1 {
        "1 entry".to_string()
    } else {
        format!("{count} entries")
    }
}

fn parse_matrix(text: &str) -> Result<MatrixSpec, String> {
    let table = parse_rows(text, MAX_DIMENSION, MAX_DIMENSION)?;
    match (table.rows, table.columns) {
        (1, 1) => Ok(MatrixSpec::Scalar(
            table.entries.first().copied().unwrap_or(f64::NAN),
        )),
        (1, _) => Ok(MatrixSpec::Diagonal(table.entries)),
        (rows, columns) if rows == columns => Ok(MatrixSpec::Full(table.to_matrix())),
        (rows, columns) => Err(format!(
            "{rows} rows of {}: not square",
            entries_text(columns)
        )),
    }
}

/// Numbers separated by `,` or `;`.
fn parse_list(text: &str, max_len: usize, range: Range) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    for (index, entry) in text.split([',', ';']).enumerate() {
        let entry = entry.trim();
        if values.len() == max_len {
            return Err(format!("more than {max_len} numbers"));
        }
        match parse_number(entry) {
            Some(x) if range.contains(x) => values.push(x),
            _ if entry.is_empty() => return Err(format!("entry {} is empty", index + 1)),
            _ => return Err(format!("entry {} is '{}'", index + 1, shorten(entry))),
        }
    }
    Ok(values)
}

/// The matrix `spec` for a model of dimension D, or an error naming `key`, its size, `K` and
/// K's size (D×D: the size of K, or of the data's inputs with `noise=batch`).
fn resolve(spec: &MatrixSpec, key: &str, dimension: usize) -> Result<DMatrix<f64>, FieldError> {
    spec.resolve(dimension).ok_or_else(|| {
        FieldError::new(
            key,
            format!("{} ({})", shorten(&spec.to_string()), spec.size_text()),
            format!(
                "one number s (s·I), {dimension} diagonal entries or a {dimension}x{dimension} matrix \
                 (the size of K, which is {dimension}×{dimension})"
            ),
        )
    })
}

/// Reads the keys of a [`Config`] from the valid entries, defaults filling the gaps; reports keys
/// that were given but are not used, `X`/`y` given alone, `burnin` not below `steps`, and an `opt`
/// other than `sgd` with the double well.
fn assemble(entries: &BTreeMap<&'static str, Entry>) -> (Config, Vec<FieldError>) {
    let mut reader = Reader {
        entries,
        used: BTreeSet::from(["v"]),
        context: DefaultContext {
            double_well: false,
            figure: None,
        },
    };
    let mut problems = Vec::new();
    // First: the figure, whose keys replace the landscape's.
    let figure_id = reader.choice("fig");
    if !figure_id.is_empty() {
        reader.context = DefaultContext::figure(figure_id);
        let figure = read_figure(&mut reader, figure_id, &mut problems);
        let config = Config {
            figure: Some(figure),
            ..Config::default()
        };
        report_unused(entries, &reader, &format!("fig={figure_id}"), &mut problems);
        return (config, problems);
    }
    // Then the landscape decides the defaults of lr and S.
    reader.context.double_well = reader.choice("landscape") == "doublewell";
    let simulation = SimulationConfig {
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    };
    let landscape = if reader.context.double_well {
        if reader.choice("opt") != "sgd" {
            if let Some(entry) = entries.get("opt") {
                problems.push(FieldError::new(
                    "opt",
                    shorten(&entry.raw),
                    "sgd with landscape=doublewell (the Kramers experiment of Sec. 6.3 runs plain SGD)",
                ));
            }
        }
        LandscapeConfig::DoubleWell(DoubleWellConfig {
            learning_rate: reader.number("lr"),
            loss_scale: reader.number("r"),
            batch_size: reader.count("S"),
            well_curvature: reader.number("k_a"),
            barrier_curvature: reader.number("k_b"),
            barrier_height: reader.number("dL"),
        })
    } else {
        let optimizer = read_optimizer(&mut reader);
        let conventions = read_conventions(&mut reader, optimizer.name());
        let noise = read_noise(&mut reader, &mut problems);
        let burn_in = match reader.given("burnin") {
            Some(Value::Integer(burn_in)) => Some(burn_in),
            _ => None,
        };
        if let (Some(burn_in), Some(entry)) = (burn_in, entries.get("burnin")) {
            if burn_in >= simulation.steps {
                problems.push(FieldError::new(
                    "burnin",
                    shorten(&entry.raw),
                    format!(
                        "an integer in [0, steps − 1] (steps = {}: time averages need a step after \
                         the burn-in)",
                        simulation.steps
                    ),
                ));
            }
        }
        let ensemble = EnsembleConfig {
            start: reader.start("start"),
            burn_in: burn_in.filter(|burn_in| *burn_in < simulation.steps),
            divergence_bound: reader.number("bound"),
        };
        LandscapeConfig::Quadratic(QuadraticConfig {
            optimizer,
            conventions,
            noise,
            ensemble,
        })
    };
    let config = Config {
        landscape,
        simulation,
        figure: None,
    };
    let context = match &config.landscape {
        LandscapeConfig::Quadratic(quadratic) => {
            let given_data = matches!(
                quadratic.noise,
                NoiseConfig::Minibatch {
                    data: DataConfig::Given { .. },
                    ..
                }
            );
            format!(
                "opt={} and noise={}{}",
                quadratic.optimizer.name(),
                quadratic.noise.name(),
                if given_data { " with X given" } else { "" }
            )
        }
        LandscapeConfig::DoubleWell(_) => "landscape=doublewell".to_string(),
    };
    report_unused(entries, &reader, &context, &mut problems);
    (config, problems)
}

/// Reports every given key that `reader` did not read, in text order.
fn report_unused(
    entries: &BTreeMap<&'static str, Entry>,
    reader: &Reader,
    context: &str,
    problems: &mut Vec<FieldError>,
) {
    let mut unused: Vec<(&'static str, &Entry)> = entries
        .iter()
        .filter(|(key, _)| !reader.used.contains(*key))
        .map(|(key, entry)| (*key, entry))
        .collect();
    unused.sort_by_key(|(_, entry)| entry.position);
    for (key, entry) in unused {
        let used_when = key_spec(key).map_or("", |spec| spec.used_when);
        problems.push(FieldError::new(
            key,
            shorten(&entry.raw),
            format!("no {key} with {context} ({key} is used when {used_when})"),
        ));
    }
}

/// The keys of `fig` (see [`FigureConfig`]); reports a `K`, `C` or `start` of the wrong shape, an
/// empty range and `burnin` not below `steps`.
fn read_figure(
    reader: &mut Reader,
    id: &'static str,
    problems: &mut Vec<FieldError>,
) -> FigureConfig {
    match id {
        "1b" => FigureConfig::Fig1b(DecayFigureConfig {
            curvature: read_scalar(reader, "K", id, problems),
            learning_rates: reader.list("lrs"),
            start: read_scalar_start(reader, id, problems),
            steps: reader.integer("steps"),
        }),
        "2a" => FigureConfig::Fig2a(LearningRateSweepFigureConfig {
            curvature: read_scalar(reader, "K", id, problems),
            noise_variance: read_scalar(reader, "C", id, problems),
            start: read_scalar_start(reader, id, problems),
            simulation: read_sweep(reader),
        }),
        "2b" => {
            let regression = read_regression(reader, problems);
            let simulation = read_sweep(reader);
            FigureConfig::Fig2b(MinibatchSweepFigureConfig {
                regression,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            })
        }
        "3" => FigureConfig::Fig3(WhiteNoiseScatterFigureConfig {
            hessian: reader.matrix("K"),
            covariance: reader.matrix("C"),
            learning_rates: reader.list("lrs"),
            simulation: read_panels(reader),
        }),
        "4" => FigureConfig::Fig4(MinibatchScatterFigureConfig {
            regression: read_regression(reader, problems),
            learning_rates: reader.list("lrs"),
            simulation: read_panels(reader),
        }),
        "5a" | "5b" => {
            let curvature = read_scalar(reader, "K", id, problems);
            let noise_variance = read_scalar(reader, "C", id, problems);
            let learning_rate_times_curvature = reader.number("lr_k");
            let momentum_range = read_range(reader, ("mu_min", "mu_max"), problems);
            let simulation = read_sweep(reader);
            let figure = MomentumSweepFigureConfig {
                curvature,
                noise_variance,
                learning_rate_times_curvature,
                momentum_range,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            };
            if id == "5a" {
                FigureConfig::Fig5a(figure)
            } else {
                FigureConfig::Fig5b(figure)
            }
        }
        "5c" | "5d" => {
            let regression = read_regression(reader, problems);
            let learning_rate_times_curvature = reader.number("lr_k");
            let momentum_range = read_range(reader, ("mu_min", "mu_max"), problems);
            let simulation = read_sweep(reader);
            let figure = MinibatchMomentumSweepFigureConfig {
                regression,
                learning_rate_times_curvature,
                momentum_range,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            };
            if id == "5c" {
                FigureConfig::Fig5c(figure)
            } else {
                FigureConfig::Fig5d(figure)
            }
        }
        "6a" => FigureConfig::Fig6a(DoubleWellConfig {
            learning_rate: reader.number("lr"),
            loss_scale: reader.number("r"),
            batch_size: reader.count("S"),
            well_curvature: reader.number("k_a"),
            barrier_curvature: reader.number("k_b"),
            barrier_height: reader.number("dL"),
        }),
        "phase" | "bayes" | "escape" | "newton" | "explorer" => {
            panels::read_panel(reader, id, problems)
        }
        _ => FigureConfig::Fig6b(EscapeRateFigureConfig {
            well: DoubleWellConfig {
                learning_rate: reader.number("lr"),
                loss_scale: 1.0,
                batch_size: reader.count("S"),
                well_curvature: reader.number("k_a"),
                barrier_curvature: reader.number("k_b"),
                barrier_height: reader.number("dL"),
            },
            loss_scale_range: read_range(reader, ("r_min", "r_max"), problems),
            eq52: match reader.choice("eq52") {
                "corrected" => Eq52Form::Corrected,
                _ => Eq52Form::Printed,
            },
            eq52_constant: match reader.given("eq52_const") {
                Some(Value::Number(constant)) => Some(constant),
                _ => None,
            },
            simulation: read_sweep(reader),
        }),
    }
}

/// A figure's one-number `K` or `C` (1-D figures): a matrix of one entry.
fn read_scalar(
    reader: &mut Reader,
    key: &'static str,
    figure: &str,
    problems: &mut Vec<FieldError>,
) -> f64 {
    match reader.matrix(key) {
        MatrixSpec::Scalar(value) => value,
        other => {
            problems.push(FieldError::new(
                key,
                shorten(&other.to_string()),
                format!("one finite number > 0 (fig={figure} is one-dimensional)"),
            ));
            f64::NAN
        }
    }
}

/// A 1-D figure's `start`: `zero` or one number w₀.
fn read_scalar_start(reader: &mut Reader, figure: &str, problems: &mut Vec<FieldError>) -> f64 {
    match reader.start("start") {
        Start::Zero => 0.0,
        Start::Point(point) if point.len() == 1 => point[0],
        other => {
            problems.push(FieldError::new(
                "start",
                shorten(&Value::Start(other).to_string()),
                format!("zero or one finite number w₀ (fig={figure} is one-dimensional)"),
            ));
            f64::NAN
        }
    }
}

/// `points`, `particles`, `steps`, `seed`.
fn read_sweep(reader: &mut Reader) -> SweepSimulation {
    SweepSimulation {
        points: reader.count("points"),
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    }
}

/// `particles`, `steps`, `seed` of the scatter figures.
fn read_panels(reader: &mut Reader) -> SimulationConfig {
    SimulationConfig {
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    }
}

/// `burnin` of a figure (it has a default there); reports it when not below `steps`.
fn read_figure_burn_in(reader: &mut Reader, steps: u64, problems: &mut Vec<FieldError>) -> u64 {
    let burn_in = reader.integer("burnin");
    if burn_in >= steps {
        problems.push(FieldError::new(
            "burnin",
            burn_in.to_string(),
            format!(
                "an integer in [0, steps − 1] (steps = {steps}: time averages need a step after the \
                 burn-in)"
            ),
        ));
    }
    burn_in
}

/// A range (low, high) from two keys; reports `low` not below `high` (naming the given one).
fn read_range(
    reader: &mut Reader,
    (low_key, high_key): (&'static str, &'static str),
    problems: &mut Vec<FieldError>,
) -> (f64, f64) {
    let low = reader.number(low_key);
    let high = reader.number(high_key);
    if low >= high {
        let (key, value, allowed) = if reader.entries.contains_key(low_key) {
            (
                low_key,
                low,
                format!("a number below {high_key} = {}", format_number(high)),
            )
        } else {
            (
                high_key,
                high,
                format!("a number above {low_key} = {}", format_number(low)),
            )
        };
        problems.push(FieldError::new(key, format_number(value), allowed));
    }
    (low, high)
}

/// The regression task of a minibatch figure.
fn read_regression(reader: &mut Reader, problems: &mut Vec<FieldError>) -> RegressionFigureConfig {
    RegressionFigureConfig {
        data: read_data(reader, problems),
        batch_size: reader.count("S"),
        with_replacement: reader.flag("replace"),
        loss: match reader.choice("loss") {
            "half" => LossConvention::Half,
            _ => LossConvention::Eq28,
        },
    }
}

/// The keys of `opt` (quadratic landscape).
fn read_optimizer(reader: &mut Reader) -> OptimizerConfig {
    match reader.choice("opt") {
        "sgdm" => OptimizerConfig::Momentum {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "qhm" => OptimizerConfig::QuasiHyperbolic {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
            nu: reader.number("nu"),
        },
        "nesterov" => OptimizerConfig::Nesterov {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "precond" => OptimizerConfig::Preconditioned {
            preconditioner: reader.matrix("P"),
            momentum: reader.number("mu"),
        },
        "dnm" => OptimizerConfig::DampedNewton {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "ngd" => OptimizerConfig::NaturalGradient {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
            fisher: match reader.choice("fisher") {
                "ensemble" => NaturalGradientFisher::Ensemble,
                _ => NaturalGradientFisher::Exact,
            },
        },
        _ => OptimizerConfig::Sgd {
            learning_rate: reader.number("lr"),
        },
    }
}

/// The frameworks' conventions of a scalar-λ `opt` (`wd` and `wd_mode` for sgd, sgdm, qhm and
/// nesterov; `dampening` and `momentum_form` for sgdm; `nesterov_form` for nesterov). Keys that do
/// not apply are not read, so giving them is reported as unused. `"*"` reads all five (a panel
/// comparing methods, which applies each to the methods it fits).
fn read_conventions(reader: &mut Reader, optimizer: &str) -> Conventions {
    let mut conventions = Conventions::PAPER;
    let every = optimizer == "*";
    if every || matches!(optimizer, "sgd" | "sgdm" | "qhm" | "nesterov") {
        conventions.weight_decay = reader.number("wd");
        conventions.weight_decay_mode =
            WeightDecayMode::from_name(reader.choice("wd_mode")).unwrap_or_default();
    }
    if every || optimizer == "sgdm" {
        conventions.dampening = reader.number("dampening");
        conventions.momentum_form =
            MomentumForm::from_name(reader.choice("momentum_form")).unwrap_or_default();
    }
    if every || optimizer == "nesterov" {
        conventions.nesterov_form =
            NesterovForm::from_name(reader.choice("nesterov_form")).unwrap_or_default();
    }
    conventions
}

/// The keys of `noise` (quadratic landscape); reports `X` or `y` given alone.
fn read_noise(reader: &mut Reader, problems: &mut Vec<FieldError>) -> NoiseConfig {
    match reader.choice("noise") {
        "batch" => {
            let data = read_data(reader, problems);
            NoiseConfig::Minibatch {
                data,
                batch_size: reader.count("S"),
                with_replacement: reader.flag("replace"),
            }
        }
        "fisher" => NoiseConfig::Fisher {
            hessian: reader.matrix("K"),
            dataset_size: reader.count("N"),
            batch_size: reader.count("S"),
        },
        _ => NoiseConfig::Gaussian {
            hessian: reader.matrix("K"),
            covariance: reader.matrix("C"),
        },
    }
}

/// The regression data set: `X` and `y`, or generated; reports `X` or `y` given alone.
fn read_data(reader: &mut Reader, problems: &mut Vec<FieldError>) -> DataConfig {
    let inputs = reader.given("X");
    let targets = reader.given("y");
    match (inputs, targets) {
        (Some(Value::Rows(inputs)), Some(Value::List(targets))) => {
            DataConfig::Given { inputs, targets }
        }
        (inputs, targets) => {
            if let Some(entry) = reader.entries.get("X").filter(|_| inputs.is_some()) {
                problems.push(FieldError::new(
                    "X",
                    shorten(&entry.raw),
                    "X together with y, its N targets (y is missing)",
                ));
            }
            if let Some(entry) = reader.entries.get("y").filter(|_| targets.is_some()) {
                problems.push(FieldError::new(
                    "y",
                    shorten(&entry.raw),
                    "y together with X, the N×D inputs (X is missing)",
                ));
            }
            DataConfig::Generated(GeneratedData {
                dataset_size: reader.count("N"),
                seed: reader.integer("data_seed"),
                input_variances: reader.list("x_var"),
                true_weights: match reader.given("w_star") {
                    Some(Value::List(weights)) => Some(weights),
                    _ => None,
                },
                label_variance: reader.number("label_var"),
            })
        }
    }
}

/// Reads values for [`assemble`], remembering which keys were read. Fallbacks for a value of the
/// wrong kind are unreachable while [`KEYS`] is consistent (a unit test checks it); they only
/// avoid panics.
struct Reader<'a> {
    entries: &'a BTreeMap<&'static str, Entry>,
    used: BTreeSet<&'static str>,
    /// Which defaults apply.
    context: DefaultContext,
}

impl Reader<'_> {
    /// The given value of `key`, or its default.
    fn value(&mut self, key: &'static str) -> Option<Value> {
        self.used.insert(key);
        match self.entries.get(key) {
            Some(entry) => Some(entry.value.clone()),
            None => key_spec(key).and_then(|spec| default_value(spec, self.context)),
        }
    }

    /// The given value of `key`, without default.
    fn given(&mut self, key: &'static str) -> Option<Value> {
        self.used.insert(key);
        self.entries.get(key).map(|entry| entry.value.clone())
    }

    fn choice(&mut self, key: &'static str) -> &'static str {
        match self.value(key) {
            Some(Value::Choice(name)) => name,
            _ => "",
        }
    }

    fn number(&mut self, key: &'static str) -> f64 {
        match self.value(key) {
            Some(Value::Number(x)) => x,
            _ => f64::NAN,
        }
    }

    fn integer(&mut self, key: &'static str) -> u64 {
        match self.value(key) {
            Some(Value::Integer(n)) => n,
            _ => 0,
        }
    }

    fn count(&mut self, key: &'static str) -> usize {
        usize::try_from(self.integer(key)).unwrap_or(usize::MAX)
    }

    fn flag(&mut self, key: &'static str) -> bool {
        matches!(self.value(key), Some(Value::Flag(true)))
    }

    fn matrix(&mut self, key: &'static str) -> MatrixSpec {
        match self.value(key) {
            Some(Value::Matrix(matrix)) => matrix,
            _ => MatrixSpec::Scalar(f64::NAN),
        }
    }

    fn list(&mut self, key: &'static str) -> Vec<f64> {
        match self.value(key) {
            Some(Value::List(values)) => values,
            _ => Vec::new(),
        }
    }

    fn start(&mut self, key: &'static str) -> Start {
        match self.value(key) {
            Some(Value::Start(start)) => start,
            _ => Start::Zero,
        }
    }
}

/// Moves each problem naming a given key into `problems` and removes that key (it falls back to
/// its default). Returns whether a key was removed, and the problems naming no given key.
fn reset_named_keys(
    entries: &mut BTreeMap<&'static str, Entry>,
    found: Vec<FieldError>,
    problems: &mut Vec<FieldError>,
) -> (bool, Vec<FieldError>) {
    let mut removed = false;
    let mut unfixable = Vec::new();
    for problem in found {
        if entries.remove(problem.field.as_str()).is_some() {
            removed = true;
            problems.push(problem);
        } else {
            unfixable.push(problem);
        }
    }
    (removed, unfixable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_to_the_kind_of_its_key() {
        for spec in KEYS {
            if spec.default.is_empty() {
                assert!(
                    matches!(
                        spec.key,
                        "X" | "y" | "w_star" | "burnin" | "fig" | "lrs" | "eq52_const"
                    ),
                    "{} has no default",
                    spec.key
                );
                continue;
            }
            for default in std::iter::once(spec.default).chain(spec.double_well_default) {
                let value = parse_value(spec, default).expect("a valid default");
                assert!(
                    kind_matches(spec.kind, &value),
                    "default of {} is {value:?}",
                    spec.key
                );
            }
        }
    }

    #[test]
    fn every_figure_default_is_valid_documented_and_used() {
        for (figure, key, default) in FIGURE_DEFAULTS {
            assert!(FIGURE_IDS.contains(figure), "{figure}");
            let spec = key_spec(key).expect("a key");
            let value = parse_value(spec, default).expect("a valid default");
            assert!(kind_matches(spec.kind, &value), "{figure}: {key}={default}");
            assert!(
                spec.used_when.contains(figure) || spec.used_when.contains("every fig"),
                "{key} is not documented as used with fig={figure}"
            );
            assert!(
                spec.default_meaning.contains(default) && spec.default_meaning.contains(figure),
                "{key}: the default {default} of fig={figure} is not documented"
            );
        }
        // Every figure's configuration builds from its defaults alone.
        for figure in FIGURE_IDS {
            let config = Config::parse(&format!("fig={figure}")).expect("defaults parse");
            assert_eq!(config.figure.as_ref().map(FigureConfig::id), Some(*figure));
            config.validate().expect("defaults validate");
            assert_eq!(config.to_text(), format!("v=1&fig={figure}"));
        }
    }

    fn kind_matches(kind: Kind, value: &Value) -> bool {
        match kind {
            Kind::Version | Kind::Integer { .. } => matches!(value, Value::Integer(_)),
            Kind::Choice(_) => matches!(value, Value::Choice(_)),
            Kind::Number(_) => matches!(value, Value::Number(_)),
            Kind::Flag => matches!(value, Value::Flag(_)),
            Kind::Matrix => matches!(value, Value::Matrix(_)),
            Kind::Rows { .. } => matches!(value, Value::Rows(_)),
            Kind::List { .. } => matches!(value, Value::List(_)),
            Kind::Start => matches!(value, Value::Start(_)),
            Kind::Names(_) => matches!(value, Value::Names(_)),
        }
    }

    #[test]
    fn keys_are_unique_and_documented() {
        for (i, spec) in KEYS.iter().enumerate() {
            assert!(
                KEYS[..i].iter().all(|other| other.key != spec.key),
                "{} twice",
                spec.key
            );
            for text in [
                spec.meaning,
                spec.format,
                spec.default_meaning,
                spec.allowed,
                spec.used_when,
            ] {
                assert!(!text.is_empty(), "{} lacks documentation", spec.key);
            }
        }
    }

    #[test]
    fn documented_limits_match_the_model() {
        let dataset = MAX_DATASET_SIZE.to_string();
        for key in ["S", "N", "X"] {
            assert!(
                key_spec(key).expect("known").allowed.contains(&dataset),
                "{key}"
            );
        }
        let dimension = MAX_MINIBATCH_DIMENSION.to_string();
        for key in ["x_var", "X"] {
            assert!(
                key_spec(key).expect("known").allowed.contains(&dimension),
                "{key}"
            );
        }
        assert!(key_spec("K")
            .expect("known")
            .allowed
            .contains(&MAX_DIMENSION.to_string()));
        for key in ["data_seed", "seed"] {
            assert!(
                key_spec(key)
                    .expect("known")
                    .allowed
                    .contains(&u64::MAX.to_string()),
                "{key}"
            );
        }
        assert!(key_spec("particles")
            .expect("known")
            .allowed
            .contains(&MAX_PARTICLES.to_string()));
        assert!(key_spec("steps")
            .expect("known")
            .allowed
            .contains(&MAX_PARTICLE_STEPS.to_string()));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("2%2C0.5%3B1").as_deref(), Ok("2,0.5;1"));
        assert_eq!(percent_decode("a+b").as_deref(), Ok("a b"));
        assert_eq!(percent_decode("1e+3").as_deref(), Ok("1e+3"));
        assert_eq!(percent_decode("1.E+3").as_deref(), Ok("1.E+3"));
        assert_eq!(percent_decode("+1").as_deref(), Ok(" 1"));
        assert_eq!(percent_decode("%2B1").as_deref(), Ok("+1"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Ok("%zz%4"));
        assert_eq!(percent_decode("%CE%BB").as_deref(), Ok("λ"));
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn pairs_are_split_on_ampersands_and_lines() {
        let pairs: Vec<_> = split_pairs("?a=1&&b = 2\r\n# c=3 & d=4\n  e=5&")
            .into_iter()
            .map(|pair| pair.expect("well formed"))
            .collect();
        let expected = [("a", "1"), ("b", "2"), ("e", "5")];
        assert_eq!(pairs.len(), expected.len());
        for ((key, value), (want_key, want_value)) in pairs.iter().zip(expected) {
            assert_eq!((key.as_str(), value.as_str()), (want_key, want_value));
        }
    }
}
