//! The configuration of the panels beyond the paper's figures (`fig=phase`, `bayes`, `escape`,
//! `newton`, `explorer`): Table 1 live, the stability phase diagram and the applications of
//! Sec. 6.1, 6.2 and 6.5. Same language, same rules as the figures: every key in [`super::KEYS`],
//! defaults in the figure catalogue ([`super::FIGURES`]).

use nalgebra::DMatrix;

use super::{
    format_number, read_regression, read_sweep, resolve, shorten, FieldError, FieldErrors,
    FigureParts, MatrixSpec, Reader, RegressionFigureConfig, SimulationConfig, SweepSimulation,
    Value,
};
use crate::model::{Conventions, Noise, Optimizer, Problem};

/// Largest dimension of the explorer and the Bayes panel (a table per method stays readable).
pub const MAX_PANEL_DIMENSION: usize = 6;

/// The methods the theory explorer can compare (values of `methods` and `sim`), in table order.
pub const EXPLORER_METHODS: &[&str] = &[
    "sgd", "sgdm", "qhm", "nesterov", "dnm", "ngd", "precond", "adam",
];

/// The methods the explorer compares when `methods` is not given (Adam is asked for by name, so
/// that an old link shows what it showed).
const EXPLORER_DEFAULT_METHODS: &[&str] =
    &["sgd", "sgdm", "qhm", "nesterov", "dnm", "ngd", "precond"];

/// Values of `sim`: `none` or one of [`EXPLORER_METHODS`].
pub(super) const EXPLORER_SIMULATIONS: &[&str] = &[
    "none", "sgd", "sgdm", "qhm", "nesterov", "dnm", "ngd", "precond", "adam",
];

/// The momentum method of the phase diagram (`opt`).
#[derive(Clone, Debug, PartialEq)]
pub enum PhaseMethod {
    /// `opt=sgdm`: heavy-ball momentum (Eq. 10), diverging at λk = 2(1+μ).
    Momentum,
    /// `opt=qhm`: quasi-hyperbolic momentum (Eq. 53) with interpolation ν (`nu`).
    QuasiHyperbolic {
        /// ν.
        nu: f64,
    },
}

impl PhaseMethod {
    /// The value of `opt`.
    pub fn name(&self) -> &'static str {
        match self {
            PhaseMethod::Momentum => "sgdm",
            PhaseMethod::QuasiHyperbolic { .. } => "qhm",
        }
    }

    /// The optimizer at learning rate λ and momentum μ.
    pub fn optimizer(&self, learning_rate: f64, momentum: f64) -> Optimizer {
        match self {
            PhaseMethod::Momentum => Optimizer::Momentum {
                learning_rate,
                momentum,
            },
            PhaseMethod::QuasiHyperbolic { nu } => Optimizer::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu: *nu,
            },
        }
    }
}

/// `fig=phase`: the stationary training loss of SGDM or QHM relative to the continuous-time
/// prediction over the plane (λk, μ), with the exact divergence boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseDiagramFigureConfig {
    /// SGDM or QHM (`opt`, `nu`).
    pub method: PhaseMethod,
    /// `noise=batch`: 1-D minibatch regression (its exact boundary lies below the paper's);
    /// `None` (`noise=gauss`): white noise, where the ratio depends on λk and μ only.
    pub regression: Option<RegressionFigureConfig>,
    /// λk of the configuration marked on the diagram (`lr_k`).
    pub learning_rate_times_curvature: f64,
    /// μ of the marked configuration (`mu`).
    pub momentum: f64,
    /// The x-axis runs over (0, `lrk_max`].
    pub learning_rate_times_curvature_max: f64,
    /// The y-axis runs over [0, `mu_max`].
    pub momentum_max: f64,
    /// Cells per axis (`res`).
    pub resolution: usize,
    /// Coupled weight decay in units of k (`wd`, white noise only): the dynamics sees
    /// λ(k + wd), the loss stays ½kΣ.
    pub weight_decay: f64,
}

/// `fig=bayes`: Sec. 6.1, the KL divergence between SGD's stationary distribution (Σ of the
/// minibatch noise C = (N−S)/(NS)·K) and the posterior N(0, (NK)⁻¹) versus λ.
#[derive(Clone, Debug, PartialEq)]
pub struct BayesFigureConfig {
    /// Hessian K (`K`, with `angle`), 1-D to [`MAX_PANEL_DIMENSION`]-D.
    pub hessian: MatrixSpec,
    /// Rotation of a 2-D K in degrees (`angle`).
    pub angle: f64,
    /// Data-set size N (`N`).
    pub dataset_size: usize,
    /// Batch size S (`S`), below N.
    pub batch_size: usize,
}

/// `fig=escape`: Sec. 6.2, the escape efficiencies E_d(t) and E_c(t) (Eq. 40–41) versus t,
/// checked by simulation, and the anisotropic-versus-isotropic noise ratio.
#[derive(Clone, Debug, PartialEq)]
pub struct EscapeEfficiencyFigureConfig {
    /// Hessian K (`K`, with `angle`).
    pub hessian: MatrixSpec,
    /// Rotation of a 2-D K in degrees (`angle`).
    pub angle: f64,
    /// Noise covariance C (`C`).
    pub covariance: MatrixSpec,
    /// Learning rate λ (`lr`).
    pub learning_rate: f64,
    /// `steps` is the horizon T; `points` ensembles run to t = T·j/points, j = 1..points.
    pub simulation: SweepSimulation,
}

/// `fig=newton`: Sec. 6.5, the stationary Σ of damped Newton and natural gradient next to SGD's
/// in 2-D, with white noise C and with NGD's minibatch Fisher noise (Eq. 63).
#[derive(Clone, Debug, PartialEq)]
pub struct SecondOrderFigureConfig {
    /// Hessian K, 2×2 (`K`, with `angle`).
    pub hessian: MatrixSpec,
    /// Rotation of a diagonal K in degrees (`angle`).
    pub angle: f64,
    /// White-noise covariance C of the first panel (`C`).
    pub covariance: MatrixSpec,
    /// Learning rate λ (`lr`; the scale of Λ for DNM and NGD).
    pub learning_rate: f64,
    /// Momentum μ of every method (`mu`).
    pub momentum: f64,
    /// Data-set size N of the Fisher noise (`N`).
    pub dataset_size: usize,
    /// Batch size S of the Fisher noise (`S`).
    pub batch_size: usize,
}

/// `fig=explorer`: Table 1 live: every chosen method's exact Σ, closed form, continuous-time
/// prediction, training loss and stability margin for one K and C.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplorerFigureConfig {
    /// Adam's (β₁, β₂, ε) (`beta1`, `beta2`, `eps`), read when `methods` or `sim` names `adam`:
    /// its row is the β₂ → 1 limit, its simulation runs this β₂.
    pub adam: Option<(f64, f64, f64)>,
    /// Hessian K (`K`, with `angle`), 1-D to [`MAX_PANEL_DIMENSION`]-D.
    pub hessian: MatrixSpec,
    /// Rotation of a 2-D K in degrees (`angle`).
    pub angle: f64,
    /// The constant part σ²I or any C (`C`).
    pub covariance: MatrixSpec,
    /// The Hessian-proportional part a (`a`): the noise is C + aK (Theorem 3).
    pub hessian_noise: f64,
    /// λ (`lr`).
    pub learning_rate: f64,
    /// μ (`mu`).
    pub momentum: f64,
    /// ν of QHM (`nu`).
    pub nu: f64,
    /// Preconditioner Λ of `precond` (`P`).
    pub preconditioner: MatrixSpec,
    /// The frameworks' conventions (`wd`, `wd_mode`, `dampening`, `momentum_form`,
    /// `nesterov_form`), each applied to the methods it fits ([`Conventions::for_optimizer`]).
    pub conventions: Conventions,
    /// The methods compared (`methods`), a subset of [`EXPLORER_METHODS`] in table order.
    pub methods: Vec<&'static str>,
    /// The method whose cloud is simulated (`sim`); `None` for `sim=none`.
    pub simulated: Option<&'static str>,
    /// Particles, steps and seed of that simulation.
    pub simulation: SimulationConfig,
}

impl ExplorerFigureConfig {
    /// The optimizer of a scalar-λ method (`sgd`, `sgdm`, `qhm`, `nesterov`); `None` otherwise.
    fn scalar_optimizer(&self, method: &str) -> Option<Optimizer> {
        let (learning_rate, momentum) = (self.learning_rate, self.momentum);
        Some(match method {
            "sgd" => Optimizer::Sgd { learning_rate },
            "sgdm" => Optimizer::Momentum {
                learning_rate,
                momentum,
            },
            "qhm" => Optimizer::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu: self.nu,
            },
            "nesterov" => Optimizer::Nesterov {
                learning_rate,
                momentum,
            },
            _ => return None,
        })
    }

    /// The noise covariance C + aK (K rotated by `angle`).
    ///
    /// # Errors
    /// A [`FieldError`] naming `K`, `angle` or `C`.
    pub fn noise_covariance(&self) -> Result<DMatrix<f64>, FieldError> {
        let hessian = rotated_hessian(&self.hessian, self.angle)?;
        let constant = resolve(&self.covariance, "C", hessian.nrows())?;
        Ok(constant + hessian * self.hessian_noise)
    }

    /// The model of one method (a name of [`EXPLORER_METHODS`]) on this K and C.
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a key.
    pub fn problem(&self, method: &str) -> Result<Problem, FieldErrors> {
        let hessian = rotated_hessian(&self.hessian, self.angle)?;
        let covariance = self.noise_covariance()?;
        let (lr, mu) = (self.learning_rate, self.momentum);
        let optimizer = match method {
            "sgd" | "sgdm" | "qhm" | "nesterov" => self
                .scalar_optimizer(method)
                .unwrap_or(Optimizer::Sgd { learning_rate: lr }),
            "dnm" => Optimizer::DampedNewton {
                learning_rate: lr,
                momentum: mu,
            },
            "ngd" => Optimizer::NaturalGradient {
                learning_rate: lr,
                momentum: mu,
            },
            "adam" => {
                let pytorch = crate::model::Adaptive::pytorch(crate::model::AdaptiveKind::Adam);
                let (beta1, beta2, epsilon) =
                    self.adam
                        .unwrap_or((pytorch.beta1, pytorch.beta2, pytorch.epsilon));
                Optimizer::Adaptive {
                    learning_rate: lr,
                    method: crate::model::Adaptive {
                        beta1,
                        beta2,
                        epsilon,
                        ..pytorch
                    },
                }
            }
            _ => Optimizer::Preconditioned {
                preconditioner: resolve(&self.preconditioner, "P", hessian.nrows())?,
                momentum: mu,
            },
        };
        let conventions = self.conventions.for_optimizer(&optimizer);
        Problem::new(Some(hessian), Noise::Gaussian { covariance }, optimizer)?
            .with_conventions(conventions)
    }
}

/// Whether `angle` applies to this K: only to a 2×2 K written by its two eigenvalues (`K=1,0.1`,
/// a diagonal). A K written as a full matrix (`K=2,0.5;0.5,1`) is used exactly as written, and a
/// K of another size has nothing to rotate (1-D) or is given in full (D > 2).
pub fn angle_applies(hessian: &MatrixSpec, angle: f64) -> bool {
    angle != 0.0 && matches!(hessian, MatrixSpec::Diagonal(entries) if entries.len() == 2)
}

/// K as written, rotated by `angle` degrees when it is written as a 2×2 diagonal (its two
/// eigenvalues): R K Rᵀ with R the rotation. Any other K — a full matrix, 1-D, larger — is
/// returned exactly as written ([`angle_applies`]).
///
/// # Errors
/// None today; the `Result` keeps the signature of the other model builders.
pub fn rotated_hessian(hessian: &MatrixSpec, angle: f64) -> Result<DMatrix<f64>, FieldError> {
    let matrix = hessian.to_matrix();
    if !angle_applies(hessian, angle) {
        return Ok(matrix);
    }
    let (sin, cos) = angle.to_radians().sin_cos();
    let rotation = DMatrix::from_row_slice(2, 2, &[cos, -sin, sin, cos]);
    let rotated = &rotation * matrix * rotation.transpose();
    Ok((&rotated + rotated.transpose()) * 0.5)
}

/// K (rotated by `angle` when it is 2×2) and `covariance` resolved to K's size: the matrices of
/// the panels with a Gaussian noise C (`fig=escape`, `fig=newton`).
///
/// # Errors
/// A [`FieldError`] naming `C` when its size is not K's.
pub fn hessian_and_covariance(
    hessian: &MatrixSpec,
    angle: f64,
    covariance: &MatrixSpec,
) -> Result<(DMatrix<f64>, DMatrix<f64>), FieldError> {
    let hessian = rotated_hessian(hessian, angle)?;
    let covariance = resolve(covariance, "C", hessian.nrows())?;
    Ok((hessian, covariance))
}

/// Checks K (SPD, at most `max_dimension`, exactly `dimension` when given) by building an SGD
/// model with it and noise `covariance` (`None`: K itself).
fn check_model(
    hessian: &MatrixSpec,
    angle: f64,
    covariance: Option<&MatrixSpec>,
    dimension: Option<usize>,
    figure: &str,
) -> Result<Problem, FieldErrors> {
    let (matrix, noise) = match covariance {
        Some(spec) => hessian_and_covariance(hessian, angle, spec)?,
        None => {
            let matrix = rotated_hessian(hessian, angle)?;
            (matrix.clone(), matrix)
        }
    };
    let size = matrix.nrows();
    let wrong_size = match dimension {
        Some(d) => size != d,
        None => size > MAX_PANEL_DIMENSION,
    };
    if wrong_size {
        let allowed = match dimension {
            Some(d) => format!("a {d}×{d} symmetric positive definite matrix (fig={figure} is {d}-dimensional): two diagonal entries, or 2 rows of 2 entries"),
            None => format!("a symmetric positive definite matrix of size 1 to {MAX_PANEL_DIMENSION} with fig={figure}"),
        };
        return Err(FieldError::new("K", shorten(&hessian.to_string()), allowed).into());
    }
    Problem::new(
        Some(matrix),
        Noise::Gaussian { covariance: noise },
        Optimizer::Sgd {
            learning_rate: 1e-3,
        },
    )
}

/// S must be below N (with S = N the gradient is exact and there is no noise).
fn check_batch(dataset_size: usize, batch_size: usize, figure: &str) -> Result<(), FieldErrors> {
    if batch_size < dataset_size {
        Ok(())
    } else {
        Err(FieldError::new(
            "S",
            batch_size.to_string(),
            format!(
                "an integer in [1, N − 1] = [1, {}] with fig={figure} (S = N has no gradient noise)",
                dataset_size.saturating_sub(1)
            ),
        )
        .into())
    }
}

impl PhaseDiagramFigureConfig {
    /// The checks of [`FigureConfig::validate`](super::FigureConfig::validate).
    fn check(&self) -> Result<(), FieldErrors> {
        if let Some(regression) = &self.regression {
            regression.validate(1, "phase")?;
        }
        if self.momentum_max <= 0.0 {
            return Err(FieldError::new(
                "mu_max",
                format_number(self.momentum_max),
                "a number in (0, 1) with fig=phase (the top of the μ axis)",
            )
            .into());
        }
        Ok(())
    }
}

impl BayesFigureConfig {
    /// The checks of [`FigureConfig::validate`](super::FigureConfig::validate).
    fn check(&self) -> Result<(), FieldErrors> {
        check_model(&self.hessian, self.angle, None, None, "bayes")?;
        check_batch(self.dataset_size, self.batch_size, "bayes")
    }
}

impl EscapeEfficiencyFigureConfig {
    /// The checks of [`FigureConfig::validate`](super::FigureConfig::validate).
    fn check(&self) -> Result<(), FieldErrors> {
        check_model(
            &self.hessian,
            self.angle,
            Some(&self.covariance),
            None,
            "escape",
        )
        .map(|_| ())
    }
}

impl SecondOrderFigureConfig {
    /// The checks of [`FigureConfig::validate`](super::FigureConfig::validate).
    fn check(&self) -> Result<(), FieldErrors> {
        check_model(
            &self.hessian,
            self.angle,
            Some(&self.covariance),
            Some(2),
            "newton",
        )?;
        check_batch(self.dataset_size, self.batch_size, "newton")
    }
}

impl ExplorerFigureConfig {
    /// The checks of [`FigureConfig::validate`](super::FigureConfig::validate).
    fn check(&self) -> Result<(), FieldErrors> {
        check_model(&self.hessian, self.angle, None, None, "explorer")?;
        let covariance = self.noise_covariance()?;
        crate::model::check_symmetric_definite(
            &covariance,
            "C",
            covariance.nrows(),
            crate::model::Definiteness::SemiDefinite,
        )?;
        if let Some(method) = self.simulated {
            let hessian = rotated_hessian(&self.hessian, self.angle)?;
            if hessian.nrows() != 2 {
                return Err(FieldError::new(
                    "sim",
                    method,
                    "none unless K is 2×2 (the cloud is drawn over the 2-D ellipses)",
                )
                .into());
            }
            if !self.methods.contains(&method) {
                return Err(FieldError::new(
                    "sim",
                    method,
                    format!(
                        "none or one of the compared methods ({})",
                        self.methods.join(", ")
                    ),
                )
                .into());
            }
        }
        // The conventions, as each compared method takes them (the first problem only: the same
        // key would be named once per method).
        for method in &self.methods {
            let Some(optimizer) = self.scalar_optimizer(method) else {
                continue;
            };
            let mut errors = Vec::new();
            self.conventions
                .for_optimizer(&optimizer)
                .validate(&optimizer, &mut errors);
            if let Some(first) = errors.into_iter().next() {
                return Err(first.into());
            }
        }
        Ok(())
    }
}

/// Reads the keys of one of the panels (`id` one of `phase`, `bayes`, `escape`, `newton`,
/// `explorer`), reporting problems only parsing can see.
pub(super) fn read_panel(
    reader: &mut Reader,
    id: &'static str,
    problems: &mut Vec<FieldError>,
) -> super::FigureConfig {
    use super::FigureConfig;
    match id {
        "phase" => {
            let method = match reader.choice("opt") {
                "qhm" => PhaseMethod::QuasiHyperbolic {
                    nu: reader.number("nu"),
                },
                "sgdm" => PhaseMethod::Momentum,
                other => {
                    if let Some(entry) = reader.entries.get("opt") {
                        problems.push(FieldError::new(
                            "opt",
                            shorten(&entry.raw),
                            "sgdm or qhm with fig=phase (the momentum methods)",
                        ));
                    }
                    let _ = other;
                    PhaseMethod::Momentum
                }
            };
            let mut weight_decay = 0.0;
            let regression = match reader.choice("noise") {
                "batch" => Some(read_regression(reader, problems)),
                "gauss" => {
                    weight_decay = reader.number("wd");
                    None
                }
                _ => {
                    if let Some(entry) = reader.entries.get("noise") {
                        problems.push(FieldError::new(
                            "noise",
                            shorten(&entry.raw),
                            "gauss or batch with fig=phase",
                        ));
                    }
                    None
                }
            };
            FigureConfig::Phase(PhaseDiagramFigureConfig {
                method,
                regression,
                learning_rate_times_curvature: reader.number("lr_k"),
                momentum: reader.number("mu"),
                learning_rate_times_curvature_max: reader.number("lrk_max"),
                momentum_max: reader.number("mu_max"),
                resolution: reader.count("res"),
                weight_decay,
            })
        }
        "bayes" => FigureConfig::Bayes(BayesFigureConfig {
            hessian: reader.matrix("K"),
            angle: reader.number("angle"),
            dataset_size: reader.count("N"),
            batch_size: reader.count("S"),
        }),
        "escape" => FigureConfig::Escape(EscapeEfficiencyFigureConfig {
            hessian: reader.matrix("K"),
            angle: reader.number("angle"),
            covariance: reader.matrix("C"),
            learning_rate: reader.number("lr"),
            simulation: read_sweep(reader),
        }),
        "newton" => FigureConfig::Newton(SecondOrderFigureConfig {
            hessian: reader.matrix("K"),
            angle: reader.number("angle"),
            covariance: reader.matrix("C"),
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
            dataset_size: reader.count("N"),
            batch_size: reader.count("S"),
        }),
        _ => {
            let methods = match reader.value("methods") {
                Some(Value::Names(names)) => names,
                _ => EXPLORER_DEFAULT_METHODS.to_vec(),
            };
            let simulated = match reader.choice("sim") {
                "none" | "" => None,
                name => Some(name),
            };
            // Adam's keys only when Adam is compared or simulated.
            let adam = if methods.contains(&"adam") || simulated == Some("adam") {
                Some((
                    reader.number("beta1"),
                    reader.number("beta2"),
                    reader.number("eps"),
                ))
            } else {
                None
            };
            FigureConfig::Explorer(ExplorerFigureConfig {
                adam,
                hessian: reader.matrix("K"),
                angle: reader.number("angle"),
                covariance: reader.matrix("C"),
                hessian_noise: reader.number("a"),
                learning_rate: reader.number("lr"),
                momentum: reader.number("mu"),
                nu: reader.number("nu"),
                preconditioner: reader.matrix("P"),
                conventions: super::read_conventions(reader, "*"),
                methods,
                simulated,
                simulation: SimulationConfig {
                    particles: reader.count("particles"),
                    steps: reader.integer("steps"),
                    seed: reader.integer("seed"),
                },
            })
        }
    }
}

impl FigureParts for PhaseDiagramFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.push(("opt", Value::Choice(self.method.name())));
        if let PhaseMethod::QuasiHyperbolic { nu } = self.method {
            values.push(("nu", Value::Number(nu)));
        }
        match &self.regression {
            Some(regression) => {
                values.push(("noise", Value::Choice("batch")));
                super::push_regression_values(values, regression);
            }
            None => {
                values.push(("noise", Value::Choice("gauss")));
                values.push(("wd", Value::Number(self.weight_decay)));
            }
        }
        values.extend([
            ("lr_k", Value::Number(self.learning_rate_times_curvature)),
            ("mu", Value::Number(self.momentum)),
            (
                "lrk_max",
                Value::Number(self.learning_rate_times_curvature_max),
            ),
            ("mu_max", Value::Number(self.momentum_max)),
            ("res", Value::Integer(self.resolution as u64)),
        ]);
    }
}

impl FigureParts for BayesFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("angle", Value::Number(self.angle)),
            ("N", Value::Integer(self.dataset_size as u64)),
            ("S", Value::Integer(self.batch_size as u64)),
        ]);
    }
}

impl FigureParts for EscapeEfficiencyFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn planned_particle_steps(&self) -> u128 {
        let simulation = &self.simulation;
        let dimension = self.hessian.natural_dimension() as u128;
        // Ensemble j runs T·j/points steps: (points + 1)/2 · T per particle in all.
        let steps = (simulation.points as u128 + 1) * u128::from(simulation.steps) / 2;
        steps * simulation.particles as u128 * dimension
    }

    fn particles_per_ensemble(&self) -> usize {
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("angle", Value::Number(self.angle)),
            ("C", Value::Matrix(self.covariance.clone())),
            ("lr", Value::Number(self.learning_rate)),
        ]);
        super::push_sweep_values(values, &self.simulation);
    }
}

impl FigureParts for SecondOrderFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("angle", Value::Number(self.angle)),
            ("C", Value::Matrix(self.covariance.clone())),
            ("lr", Value::Number(self.learning_rate)),
            ("mu", Value::Number(self.momentum)),
            ("N", Value::Integer(self.dataset_size as u64)),
            ("S", Value::Integer(self.batch_size as u64)),
        ]);
    }
}

impl FigureParts for ExplorerFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn planned_particle_steps(&self) -> u128 {
        if self.simulated.is_none() {
            return 0;
        }
        let dimension = self.hessian.natural_dimension() as u128;
        self.simulation.particles as u128 * u128::from(self.simulation.steps) * dimension
    }

    fn particles_per_ensemble(&self) -> usize {
        if self.simulated.is_none() {
            return 0;
        }
        self.simulation.particles
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("angle", Value::Number(self.angle)),
            ("C", Value::Matrix(self.covariance.clone())),
            ("a", Value::Number(self.hessian_noise)),
            ("lr", Value::Number(self.learning_rate)),
            ("mu", Value::Number(self.momentum)),
            ("nu", Value::Number(self.nu)),
            ("P", Value::Matrix(self.preconditioner.clone())),
        ]);
        if let Some((beta1, beta2, eps)) = self.adam {
            values.extend([
                ("beta1", Value::Number(beta1)),
                ("beta2", Value::Number(beta2)),
                ("eps", Value::Number(eps)),
            ]);
        }
        super::push_convention_values(values, &self.conventions, "*");
        values.extend([
            ("methods", Value::Names(self.methods.clone())),
            ("sim", Value::Choice(self.simulated.unwrap_or("none"))),
            (
                "particles",
                Value::Integer(self.simulation.particles as u64),
            ),
            ("steps", Value::Integer(self.simulation.steps)),
            ("seed", Value::Integer(self.simulation.seed)),
        ]);
    }
}
