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
//!   `w_star`): numbers separated by `,`.
//! - Version key `v`: only `1` exists (absent means 1). A larger version was written by a newer
//!   program: an error for [`Config::parse`], a warning for [`Config::parse_lenient`].
//!
//! Every key is described once, in [`KEYS`] (meaning, format, default, allowed values, when it is
//! used); the README's table and `sgd-playground --help` are written from the same text.
//!
//! # Strict and lenient
//! [`Config::parse`] (command line, tests) rejects the text with every problem listed: unknown or
//! repeated keys, invalid values, and keys that the chosen `opt`/`noise` does not use.
//! [`Config::parse_lenient`] (browser) reports the same problems but replaces each offending key by
//! its default and keeps every valid key; it also builds the model, and resets the keys the model
//! rejects (a K that is not positive definite, a C of the wrong size, ...), so that its result
//! normally builds.
//!
//! # Adding a key
//! One [`KeySpec`] entry in [`KEYS`] (its position is its place in [`Config::to_text`]), a field
//! in the typed configuration, one line reading it in `assemble` and one line writing it in
//! `Config::key_values`. A key given but not read by `assemble` is reported automatically as not
//! used with the chosen options.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nalgebra::{DMatrix, DVector};

use crate::error::{FieldError, FieldErrors};
use crate::json::format_number;
use crate::model::{
    Minibatch, Noise, Optimizer, Problem, RegressionData, MAX_DATASET_SIZE, MAX_DIMENSION,
    MAX_MINIBATCH_DIMENSION,
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
    /// a diagonal must have D entries (`None` otherwise); a full matrix is returned as written
    /// (the model checks its size).
    pub fn resolve(&self, dimension: usize) -> Option<DMatrix<f64>> {
        match self {
            MatrixSpec::Scalar(value) => {
                Some(DMatrix::from_diagonal_element(dimension, dimension, *value))
            }
            MatrixSpec::Diagonal(entries) if entries.len() != dimension => None,
            _ => Some(self.to_matrix()),
        }
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

/// A parsed configuration (version 1): what to optimize and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The optimizer (`opt`, `lr`, `mu`, `nu`, `P`).
    pub optimizer: OptimizerConfig,
    /// The landscape and noise (`noise`, `K`, `C`, `S`, `N`, data keys).
    pub noise: NoiseConfig,
}

impl Default for Config {
    /// Every key at its default: `opt=sgd&lr=0.5&noise=gauss&K=1&C=1`.
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
    /// invalid value, a key not used with the chosen `opt` and `noise`, `X` without `y` (or the
    /// reverse), a version newer than [`VERSION`]. Whether the model itself is valid (K positive
    /// definite, C of the size of K, ...) is checked by [`Config::to_problem`].
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let config = Config::parse("opt=sgdm&lr=1.5&mu=0.5").unwrap();
    /// assert_eq!(config.optimizer, OptimizerConfig::Momentum { learning_rate: 1.5, momentum: 0.5 });
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
        // With opt, noise, X or y unreadable, which keys are used is unknown: no guesses.
        if !CONTEXT_KEYS.iter().any(|key| reading.invalid.contains(key)) {
            problems.extend(assembly_problems);
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(FieldErrors(problems))
        }
    }

    /// Parses configuration text leniently (the browser): never fails. Every problem is reported
    /// and the offending key replaced by its default; every valid key is kept. Beyond
    /// [`Config::parse`]'s checks the model is built ([`Config::to_problem`]) and the keys it
    /// rejects are reset too, so the result builds unless the defaults themselves conflict with
    /// the kept keys (e.g. `noise=batch&replace=0&N=50`: the default S = 100 exceeds N; then that
    /// problem is reported too). A repeated key keeps its first value; a newer version is a
    /// warning, and the keys this version knows are read.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let (config, problems) = Config::parse_lenient("opt=sgdm&lr=-1&mu=0.5&colour=red");
    /// assert_eq!(config.optimizer, OptimizerConfig::Momentum { learning_rate: 0.5, momentum: 0.5 });
    /// assert_eq!(problems.len(), 2); // lr invalid (default 0.5 used), colour unknown
    /// ```
    pub fn parse_lenient(text: &str) -> (Config, Vec<FieldError>) {
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
            match config.to_problem() {
                Ok(_) => {
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
    /// configuration uses whose value differs from its default; numbers in shortest round-trip
    /// form ([`format_number`]). `Config::parse(&c.to_text()) == Ok(c)` for every configuration
    /// whose values are valid (as [`Config::parse`] and [`MatrixSpec`] define).
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// let config = Config::parse("mu=0.5&opt=sgdm&K=2,0;0,1&lr=0.5").unwrap();
    /// assert_eq!(config.to_text(), "v=1&opt=sgdm&mu=0.5&K=2,0;0,1");
    /// ```
    pub fn to_text(&self) -> String {
        let values = self.key_values();
        let mut text = format!("v={VERSION}");
        for spec in KEYS {
            let Some((_, value)) = values.iter().find(|(key, _)| *key == spec.key) else {
                continue;
            };
            if default_value(spec).as_ref() == Some(value) {
                continue;
            }
            text.push('&');
            text.push_str(spec.key);
            text.push('=');
            text.push_str(&value.to_string());
        }
        text
    }

    /// The validated model.
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a configuration key (`K`, `C`, `P`, `lr`,
    /// `mu`, `nu`, `noise`, `S`, `N`, `X`, `y`, `x_var`, `w_star`, `label_var`), plus a diagonal `C`
    /// or `P` whose length is not the size of K, and invalid data (XᵀX singular, ...).
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
                Problem::new(hessian, noise, optimizer)
            }
            _ => Err(FieldErrors(problems)),
        }
    }

    /// Every key this configuration uses, with its value (defaults included), in no particular
    /// order.
    fn key_values(&self) -> Vec<(&'static str, Value)> {
        let mut values = vec![("opt", Value::Choice(self.optimizer.name()))];
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
        values
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
/// Keys whose value decides which other keys are used.
const CONTEXT_KEYS: &[&str] = &["opt", "noise", "X", "y"];

/// Every key of version 1, in the order [`Config::to_text`] writes them.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "v",
        meaning: "version of the configuration language",
        format: "integer",
        default: "1",
        default_meaning: "1",
        allowed: "1 (the version this program reads)",
        used_when: "always",
        kind: Kind::Version,
    },
    KeySpec {
        key: "opt",
        meaning: "optimizer: sgd = SGD (Eq. 6); sgdm = SGD with momentum (Eq. 10); qhm = quasi-hyperbolic \
                  momentum (Eq. 53); nesterov = Nesterov momentum (our addition); precond = preconditioned \
                  SGD with momentum (Corollary 3); dnm = damped Newton, Λ = λK⁻¹ (Sec. 6.5); ngd = natural \
                  gradient, Λ = λ(KΣK)⁻¹ (Sec. 6.5)",
        format: "name",
        default: "sgd",
        default_meaning: "sgd",
        allowed: "one of sgd, sgdm, qhm, nesterov, precond, dnm, ngd",
        used_when: "always",
        kind: Kind::Choice(OPTIMIZERS),
    },
    KeySpec {
        key: "lr",
        meaning: "learning rate λ (Eq. 6, 10, 53; for dnm and ngd the scale of Λ)",
        format: "number",
        default: "0.5",
        default_meaning: "0.5",
        allowed: "a finite number > 0",
        used_when: "opt is not precond",
        kind: Kind::Number(Range::Positive),
    },
    KeySpec {
        key: "mu",
        meaning: "momentum μ (Eq. 10, 53, Corollary 3)",
        format: "number",
        default: "0.9",
        default_meaning: "0.9",
        allowed: "a number in [0, 1)",
        used_when: "opt is not sgd",
        kind: Kind::Number(Range::UnitHalfOpen),
    },
    KeySpec {
        key: "nu",
        meaning: "QHM's ν, from SGD (ν = 0) to normalised momentum (ν = 1) (Eq. 53)",
        format: "number",
        default: "0.7",
        default_meaning: "0.7",
        allowed: "a number in [0, 1]",
        used_when: "opt=qhm",
        kind: Kind::Number(Range::UnitClosed),
    },
    KeySpec {
        key: "P",
        meaning: "preconditioner Λ (Corollary 3)",
        format: "matrix",
        default: "0.5",
        default_meaning: "0.5 (0.5·I, the default λ)",
        allowed: "a symmetric positive definite matrix the size of K: one number s (s·I), one row of D \
                  diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "opt=precond",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "noise",
        meaning: "gradient noise: gauss = Gaussian noise of constant covariance C (Theorem 1); batch = \
                  the exact minibatch noise of linear regression (Eq. 28, ERRATA.md); fisher = NGD's \
                  minibatch Fisher noise C = (N−S)/(NS)·KΣK (Eq. 63)",
        format: "name",
        default: "gauss",
        default_meaning: "gauss",
        allowed: "one of gauss, batch, fisher",
        used_when: "always",
        kind: Kind::Choice(NOISES),
    },
    KeySpec {
        key: "K",
        meaning: "Hessian K of the loss L(w) = wᵀKw/2 (Eq. 5)",
        format: "matrix",
        default: "1",
        default_meaning: "1 (D = 1)",
        allowed: "a symmetric positive definite D×D matrix, D ≤ 512: one number (D = 1), one row of D \
                  diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "noise=gauss or noise=fisher; with noise=batch, K = 2XᵀX/N comes from the data",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "C",
        meaning: "noise covariance C, E[η_t η_sᵀ] = δ_ts C (Theorem 1)",
        format: "matrix",
        default: "1",
        default_meaning: "1 (the identity)",
        allowed: "a symmetric positive semi-definite matrix the size of K: one number s (s·I), one row of \
                  D diagonal entries, or D rows of D entries (rows separated by ;, entries by ,)",
        used_when: "noise=gauss",
        kind: Kind::Matrix,
    },
    KeySpec {
        key: "S",
        meaning: "batch size S (Eq. 28, 63)",
        format: "integer",
        default: "100",
        default_meaning: "100",
        allowed: "an integer in [1, 1000000] (at most N with noise=fisher or replace=0)",
        used_when: "noise=batch or noise=fisher",
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
        default_meaning: "1 (with replacement)",
        allowed: "0 or 1",
        used_when: "noise=batch",
        kind: Kind::Flag,
    },
    KeySpec {
        key: "N",
        meaning: "data-set size N: samples generated for noise=batch; the N of Eq. 63 for noise=fisher",
        format: "integer",
        default: "1000",
        default_meaning: "1000",
        allowed: "an integer in [1, 1000000]",
        used_when: "noise=fisher, or noise=batch without X",
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
        default_meaning: "0",
        allowed: "an integer in [0, 18446744073709551615]",
        used_when: "noise=batch without X",
        kind: Kind::Integer { min: 0, max: u64::MAX },
    },
    KeySpec {
        key: "x_var",
        meaning: "variances of the generated inputs, x ~ N(0, diag(x_var)); their number is D (and \
                  K ≈ 2·diag(x_var): Eq. 28's loss has no ½)",
        format: "list",
        default: "1",
        default_meaning: "1 (D = 1)",
        allowed: "1 to 32 finite numbers > 0, separated by ,",
        used_when: "noise=batch without X",
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
        default_meaning: "1 for every input (D ones)",
        allowed: "D finite numbers (one per entry of x_var), separated by ,",
        used_when: "noise=batch without X",
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
        default_meaning: "1",
        allowed: "a finite number ≥ 0",
        used_when: "noise=batch without X",
        kind: Kind::Number(Range::NonNegative),
    },
    KeySpec {
        key: "X",
        meaning: "regression inputs, one sample x_iᵀ per row (N×D, Eq. 28)",
        format: "rows",
        default: "",
        default_meaning: "generated (N, data_seed, x_var, w_star, label_var)",
        allowed: "N rows of D finite numbers, N ≤ 1000000, D ≤ 32 (rows separated by ;, entries by ,), \
                  given together with y",
        used_when: "noise=batch",
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
        default_meaning: "generated with X",
        allowed: "N finite numbers (one per row of X), separated by ,; given together with X",
        used_when: "noise=batch",
        kind: Kind::List {
            max_len: MAX_DATASET_SIZE,
            range: Range::Finite,
        },
    },
];

/// The specification of `key`, if it is a key of version 1.
pub fn key_spec(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|spec| spec.key == key)
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

/// The default value of a key, `None` for keys without one (`X`, `y`, `w_star`).
fn default_value(spec: &KeySpec) -> Option<Value> {
    if spec.default.is_empty() {
        None
    } else {
        parse_value(spec, spec.default).ok()
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
fn percent_decode(raw: &str) -> Result<String, String> {
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
fn shorten(text: &str) -> String {
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
    }
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

/// The matrix `spec` for a model of dimension D, or an error naming `key`.
fn resolve(spec: &MatrixSpec, key: &str, dimension: usize) -> Result<DMatrix<f64>, FieldError> {
    spec.resolve(dimension).ok_or_else(|| {
        FieldError::new(
            key,
            shorten(&spec.to_string()),
            format!(
                "one number s (s·I), {dimension} diagonal entries or a {dimension}x{dimension} matrix \
                 (the size of K)"
            ),
        )
    })
}

/// Reads the keys of a [`Config`] from the valid entries, defaults filling the gaps; reports keys
/// that were given but are not used, and `X`/`y` given alone.
fn assemble(entries: &BTreeMap<&'static str, Entry>) -> (Config, Vec<FieldError>) {
    let mut reader = Reader {
        entries,
        used: BTreeSet::from(["v"]),
    };
    let mut problems = Vec::new();
    let optimizer = match reader.choice("opt") {
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
        },
        _ => OptimizerConfig::Sgd {
            learning_rate: reader.number("lr"),
        },
    };
    let noise = match reader.choice("noise") {
        "batch" => {
            let inputs = reader.given("X");
            let targets = reader.given("y");
            let data = match (inputs, targets) {
                (Some(Value::Rows(inputs)), Some(Value::List(targets))) => {
                    DataConfig::Given { inputs, targets }
                }
                (inputs, targets) => {
                    if let Some(entry) = entries.get("X").filter(|_| inputs.is_some()) {
                        problems.push(FieldError::new(
                            "X",
                            shorten(&entry.raw),
                            "X together with y, its N targets (y is missing)",
                        ));
                    }
                    if let Some(entry) = entries.get("y").filter(|_| targets.is_some()) {
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
            };
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
    };
    let config = Config { optimizer, noise };

    let mut unused: Vec<(&'static str, &Entry)> = entries
        .iter()
        .filter(|(key, _)| !reader.used.contains(*key))
        .map(|(key, entry)| (*key, entry))
        .collect();
    unused.sort_by_key(|(_, entry)| entry.position);
    let given_data = matches!(
        config.noise,
        NoiseConfig::Minibatch {
            data: DataConfig::Given { .. },
            ..
        }
    );
    let context = format!(
        "opt={} and noise={}{}",
        config.optimizer.name(),
        config.noise.name(),
        if given_data { " with X given" } else { "" }
    );
    for (key, entry) in unused {
        let used_when = key_spec(key).map_or("", |spec| spec.used_when);
        problems.push(FieldError::new(
            key,
            shorten(&entry.raw),
            format!("no {key} with {context} ({key} is used when {used_when})"),
        ));
    }
    (config, problems)
}

/// Reads values for [`assemble`], remembering which keys were read. Fallbacks for a value of the
/// wrong kind are unreachable while [`KEYS`] is consistent (a unit test checks it); they only
/// avoid panics.
struct Reader<'a> {
    entries: &'a BTreeMap<&'static str, Entry>,
    used: BTreeSet<&'static str>,
}

impl Reader<'_> {
    /// The given value of `key`, or its default.
    fn value(&mut self, key: &'static str) -> Option<Value> {
        self.used.insert(key);
        match self.entries.get(key) {
            Some(entry) => Some(entry.value.clone()),
            None => key_spec(key).and_then(default_value),
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
                    matches!(spec.key, "X" | "y" | "w_star"),
                    "{} has no default",
                    spec.key
                );
                continue;
            }
            let value = parse_value(spec, spec.default).expect("a valid default");
            let kind_matches = match spec.kind {
                Kind::Version | Kind::Integer { .. } => matches!(value, Value::Integer(_)),
                Kind::Choice(_) => matches!(value, Value::Choice(_)),
                Kind::Number(_) => matches!(value, Value::Number(_)),
                Kind::Flag => matches!(value, Value::Flag(_)),
                Kind::Matrix => matches!(value, Value::Matrix(_)),
                Kind::Rows { .. } => matches!(value, Value::Rows(_)),
                Kind::List { .. } => matches!(value, Value::List(_)),
            };
            assert!(kind_matches, "default of {} is {value:?}", spec.key);
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
        assert!(key_spec("data_seed")
            .expect("known")
            .allowed
            .contains(&u64::MAX.to_string()));
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
