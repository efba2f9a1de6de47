//! The model near a quadratic minimum: Hessian K, gradient noise, optimizer. Validated once here;
//! every later layer (solver, simulator, experiments) trusts a [`Problem`].
//!
//! Conventions follow the paper (Liu, Ziyin, Ueda) and `ERRATA.md`:
//! the loss is L(w) = wᵀKw/2 (Eq. 5, shifted so the minimum is at 0), and every optimizer sees the
//! gradient g_t = K w_{t−1} + η_{t−1} with E[η_t η_sᵀ] = δ_ts C.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use crate::conventions::{
    Conventions, MomentumForm, NesterovForm, PaperRule, ScalarRule, WeightDecayMode,
};
use crate::error::{describe_matrix, FieldError, FieldErrors};
use crate::linalg::SymmetricEigen;

/// Largest dimension D the model accepts (the browser applies tighter caps of its own).
pub const MAX_DIMENSION: usize = 512;
/// Largest data set N for the exact minibatch theory.
pub const MAX_DATASET_SIZE: usize = 1_000_000;
/// Largest dimension D for the exact minibatch theory (its linear system has D(D+1)/2 unknowns).
pub const MAX_MINIBATCH_DIMENSION: usize = 32;

/// Which optimizer runs, with its hyper-parameters: the one name of each optimizer, for the
/// engine, the simulator and the configuration alike. `P` is how the preconditioner Λ of
/// `precond` is given: a matrix in the model (the default), a
/// [`MatrixSpec`](crate::config::MatrixSpec) in a configuration, resolved against the model's
/// dimension by [`Optimizer::try_map_preconditioner`].
#[derive(Clone, Debug, PartialEq)]
pub enum Optimizer<P = DMatrix<f64>> {
    /// Plain SGD, Eq. 6: w_t = w_{t−1} − λ g_t.
    Sgd {
        /// Learning rate λ.
        learning_rate: f64,
    },
    /// SGD with (heavy-ball) momentum, Eq. 10: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − λ m_t.
    Momentum {
        /// Learning rate λ.
        learning_rate: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
    },
    /// Quasi-hyperbolic momentum, Eq. 53: m_t = μ m_{t−1} + (1−μ) g_t;
    /// w_t = w_{t−1} − λ[(1−ν) g_t + ν m_t].
    QuasiHyperbolic {
        /// Learning rate λ.
        learning_rate: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
        /// Interpolation ν ∈ [0, 1] (ν = 0: SGD, ν = 1: normalised momentum).
        nu: f64,
    },
    /// Nesterov momentum (**our addition**, not in the paper), as PyTorch, optax and Keras run it
    /// and store the parameters θ (the default, [`NesterovForm::Parameters`]):
    /// m_t = μ m_{t−1} + g(θ_{t−1}); θ_t = θ_{t−1} − λ(g + μ m_t). Sutskever's look-ahead variable
    /// w = θ + λμm ([`NesterovForm::LookAhead`]) obeys m_t = μ m_{t−1} + ∇L(w_{t−1} − λμ m_{t−1}) + η;
    /// w_t = w_{t−1} − λ m_t: the same spectrum, another iterate and covariance.
    Nesterov {
        /// Learning rate λ.
        learning_rate: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
    },
    /// Preconditioned SGD with momentum, Corollary 3: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − Λ m_t.
    Preconditioned {
        /// Preconditioner Λ, symmetric positive definite.
        preconditioner: P,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
    },
    /// Damped Newton's method, Sec. 6.5: preconditioned SGDM with Λ = λK⁻¹.
    DampedNewton {
        /// Learning rate λ.
        learning_rate: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
    },
    /// Natural gradient descent, Sec. 6.5: preconditioned SGDM with Λ = λ(KΣK)⁻¹, where Σ is the
    /// stationary covariance itself (a self-consistent problem).
    NaturalGradient {
        /// Learning rate λ.
        learning_rate: f64,
        /// Momentum μ ∈ [0, 1).
        momentum: f64,
    },
    /// Adam, AdamW and RMSprop (**our addition**) as PyTorch documents them, with optax's
    /// variants behind keys ([`Adaptive`]). Near a minimum and with β₂ → 1 the second-moment
    /// estimate concentrates at v = diag(E[g gᵀ]), so the method is preconditioned momentum with
    /// P = λ·diag(1/(√v + ε)), a fixed point in Σ (`solver::adaptive`).
    Adaptive {
        /// Learning rate λ.
        learning_rate: f64,
        /// Which method and its hyper-parameters.
        method: Adaptive,
    },
}

/// Every optimizer's configuration name, in the order of the `opt` key's documentation.
pub const OPTIMIZER_NAMES: [&str; 10] = [
    "sgd", "sgdm", "qhm", "nesterov", "precond", "dnm", "ngd", "adam", "adamw", "rmsprop",
];

/// Which adaptive method (`opt=adam`, `adamw`, `rmsprop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdaptiveKind {
    /// `torch.optim.Adam` (`optax.adam`): weight decay, if any, is coupled L2 (added to g).
    Adam,
    /// `torch.optim.AdamW` (`optax.adamw`): decoupled decay θ ← θ − λ·wd·θ beside the step.
    AdamW,
    /// `torch.optim.RMSprop` (`optax.rmsprop`): no first-moment average, no bias correction;
    /// optional heavy-ball momentum on the normalised gradient and `centered`.
    RmsProp,
}

/// Where ε enters the denominator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EpsilonPlacement {
    /// √v̂ + ε (PyTorch's Adam, AdamW and RMSprop; optax's adam and adamw): `eps_mode=outside`.
    #[default]
    Outside,
    /// √(v̂ + ε) (optax's rmsprop, and adam's `eps_root` with eps = 0): `eps_mode=inside`.
    Inside,
}

impl EpsilonPlacement {
    /// The configuration names, in the order of the variants.
    pub const NAMES: &'static [&'static str] = &["outside", "inside"];

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            EpsilonPlacement::Outside => "outside",
            EpsilonPlacement::Inside => "inside",
        }
    }

    /// The placement a configuration name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "outside" => Some(EpsilonPlacement::Outside),
            "inside" => Some(EpsilonPlacement::Inside),
            _ => None,
        }
    }

    /// The denominator's value for a second moment v: √v + ε or √(v + ε).
    pub fn denominator(self, second_moment: f64, epsilon: f64) -> f64 {
        match self {
            EpsilonPlacement::Outside => second_moment.sqrt() + epsilon,
            EpsilonPlacement::Inside => (second_moment + epsilon).sqrt(),
        }
    }
}

/// The hyper-parameters of Adam, AdamW and RMSprop (PyTorch's names in brackets). One step, with
/// g = ∇L(θ) + η + wd_c·θ (wd_c = `weight_decay` for Adam and RMSprop, 0 for AdamW) and t the
/// step's number from 1:
///
/// ```text
/// Adam/AdamW:  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
///              θ ← θ − λ·wd·θ (AdamW only) − λ·m̂/(√v̂ + ε)
/// RMSprop:     v ← β₂v + (1−β₂)g²;  (centered: ḡ ← β₂ḡ + (1−β₂)g, v̂ = v − ḡ²; else v̂ = v)
///              b ← μb + g/(√v̂ + ε) (μ > 0), else b = g/(√v̂ + ε);  θ ← θ − λb
/// ```
///
/// (`eps_mode=inside` puts ε under the root: √(v̂ + ε).) Everything is elementwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptive {
    /// Which method.
    pub kind: AdaptiveKind,
    /// β₁ ∈ [0, 1) of Adam's first-moment average (`betas[0]`); 0 for RMSprop.
    pub beta1: f64,
    /// β₂ ∈ [0, 1) of the second-moment average (Adam's `betas[1]`, RMSprop's `alpha`, optax's
    /// `b2`/`decay`).
    pub beta2: f64,
    /// ε > 0 (`eps`).
    pub epsilon: f64,
    /// Where ε enters.
    pub epsilon_placement: EpsilonPlacement,
    /// RMSprop's heavy-ball momentum μ ∈ [0, 1) (`momentum`); 0 for Adam.
    pub momentum: f64,
    /// Weight decay wd ≥ 0 (`weight_decay`): coupled L2 for Adam and RMSprop, decoupled for AdamW.
    pub weight_decay: f64,
    /// RMSprop's `centered`: divide by the root of the variance estimate v − ḡ².
    pub centered: bool,
    /// Adam's bias correction of m and v (on in PyTorch and optax; RMSprop has none).
    pub bias_correction: bool,
}

impl AdaptiveKind {
    /// The configuration name (`adam`, `adamw`, `rmsprop`).
    pub fn name(self) -> &'static str {
        match self {
            AdaptiveKind::Adam => "adam",
            AdaptiveKind::AdamW => "adamw",
            AdaptiveKind::RmsProp => "rmsprop",
        }
    }

    /// The method a configuration name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "adam" => Some(AdaptiveKind::Adam),
            "adamw" => Some(AdaptiveKind::AdamW),
            "rmsprop" => Some(AdaptiveKind::RmsProp),
            _ => None,
        }
    }
}

impl Adaptive {
    /// The method with PyTorch's defaults: Adam and AdamW β₁ = 0.9, β₂ = 0.999, bias correction;
    /// RMSprop α = β₂ = 0.99, μ = 0, none; ε = 1e-8 outside the root, no weight decay.
    pub fn pytorch(kind: AdaptiveKind) -> Self {
        let rmsprop = kind == AdaptiveKind::RmsProp;
        Adaptive {
            kind,
            beta1: if rmsprop { 0.0 } else { 0.9 },
            beta2: if rmsprop { 0.99 } else { 0.999 },
            epsilon: 1e-8,
            epsilon_placement: EpsilonPlacement::Outside,
            momentum: 0.0,
            weight_decay: 0.0,
            centered: false,
            bias_correction: !rmsprop,
        }
    }

    /// (coupled wd_c, decoupled wd_d): the decay added to the gradient, the decay beside the step.
    pub fn decays(&self) -> (f64, f64) {
        match self.kind {
            AdaptiveKind::AdamW => (0.0, self.weight_decay),
            AdaptiveKind::Adam | AdaptiveKind::RmsProp => (self.weight_decay, 0.0),
        }
    }

    /// The configuration name (`adam`, `adamw`, `rmsprop`).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        let unit = |key: &str, value: f64, errors: &mut Vec<FieldError>| {
            if !(value.is_finite() && (0.0..1.0).contains(&value)) {
                errors.push(FieldError::new(
                    key,
                    value.to_string(),
                    "a number in [0, 1)",
                ));
            }
        };
        let name = self.name();
        match self.kind {
            AdaptiveKind::RmsProp => {
                unit("mu", self.momentum, errors);
                if self.beta1 != 0.0 {
                    errors.push(FieldError::new(
                        "beta1",
                        self.beta1.to_string(),
                        "no beta1 with opt=rmsprop (RMSprop has no first-moment average; its \
                         momentum is mu)",
                    ));
                }
            }
            AdaptiveKind::Adam | AdaptiveKind::AdamW => {
                unit("beta1", self.beta1, errors);
                if self.momentum != 0.0 {
                    errors.push(FieldError::new(
                        "mu",
                        self.momentum.to_string(),
                        format!("no mu with opt={name} (Adam's momentum is beta1)"),
                    ));
                }
                if self.centered {
                    errors.push(FieldError::new(
                        "centered",
                        "1",
                        format!("0 with opt={name} (centered is RMSprop's)"),
                    ));
                }
            }
        }
        unit("beta2", self.beta2, errors);
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            errors.push(FieldError::new(
                "eps",
                self.epsilon.to_string(),
                "a finite number > 0",
            ));
        }
        let wd = self.weight_decay;
        if !(wd.is_finite() && wd >= 0.0) {
            errors.push(FieldError::new("wd", wd.to_string(), "a finite number ≥ 0"));
        }
    }
}

impl<P> Optimizer<P> {
    /// The configuration name (`sgd`, `sgdm`, `qhm`, `nesterov`, `precond`, `dnm`, `ngd`).
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Momentum { .. } => "sgdm",
            Optimizer::QuasiHyperbolic { .. } => "qhm",
            Optimizer::Nesterov { .. } => "nesterov",
            Optimizer::Preconditioned { .. } => "precond",
            Optimizer::DampedNewton { .. } => "dnm",
            Optimizer::NaturalGradient { .. } => "ngd",
            Optimizer::Adaptive { method, .. } => method.name(),
        }
    }

    /// The scalar learning rate λ, if the optimizer has one (all but `precond`).
    pub fn learning_rate(&self) -> Option<f64> {
        match self {
            Optimizer::Sgd { learning_rate }
            | Optimizer::Momentum { learning_rate, .. }
            | Optimizer::QuasiHyperbolic { learning_rate, .. }
            | Optimizer::Nesterov { learning_rate, .. }
            | Optimizer::DampedNewton { learning_rate, .. }
            | Optimizer::NaturalGradient { learning_rate, .. }
            | Optimizer::Adaptive { learning_rate, .. } => Some(*learning_rate),
            Optimizer::Preconditioned { .. } => None,
        }
    }

    /// The momentum μ (0 for plain SGD; β₁ for Adam and AdamW, RMSprop's μ).
    pub fn momentum(&self) -> f64 {
        match self {
            Optimizer::Sgd { .. } => 0.0,
            Optimizer::Momentum { momentum, .. }
            | Optimizer::QuasiHyperbolic { momentum, .. }
            | Optimizer::Nesterov { momentum, .. }
            | Optimizer::Preconditioned { momentum, .. }
            | Optimizer::DampedNewton { momentum, .. }
            | Optimizer::NaturalGradient { momentum, .. } => *momentum,
            Optimizer::Adaptive { method, .. } => match method.kind {
                AdaptiveKind::RmsProp => method.momentum,
                AdaptiveKind::Adam | AdaptiveKind::AdamW => method.beta1,
            },
        }
    }

    /// Number of state vectors the optimizer carries in the engine's linear dynamics: 1 (w) for
    /// SGD, 2 (w, m) for the others (for the adaptive methods, w and the momentum of the
    /// preconditioned reduction with v frozen).
    pub fn state_blocks(&self) -> usize {
        match self {
            Optimizer::Sgd { .. } => 1,
            _ => 2,
        }
    }

    /// The same optimizer with its preconditioner given another way (`map` turns the
    /// configuration's [`MatrixSpec`](crate::config::MatrixSpec) into the model's matrix);
    /// every other hyper-parameter is copied.
    ///
    /// # Errors
    /// What `map` returns for the preconditioner.
    pub fn try_map_preconditioner<Q, E>(
        &self,
        map: impl FnOnce(&P) -> Result<Q, E>,
    ) -> Result<Optimizer<Q>, E> {
        Ok(match self {
            Optimizer::Sgd { learning_rate } => Optimizer::Sgd {
                learning_rate: *learning_rate,
            },
            Optimizer::Momentum {
                learning_rate,
                momentum,
            } => Optimizer::Momentum {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            Optimizer::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu,
            } => Optimizer::QuasiHyperbolic {
                learning_rate: *learning_rate,
                momentum: *momentum,
                nu: *nu,
            },
            Optimizer::Nesterov {
                learning_rate,
                momentum,
            } => Optimizer::Nesterov {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            Optimizer::Preconditioned {
                preconditioner,
                momentum,
            } => Optimizer::Preconditioned {
                preconditioner: map(preconditioner)?,
                momentum: *momentum,
            },
            Optimizer::DampedNewton {
                learning_rate,
                momentum,
            } => Optimizer::DampedNewton {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            Optimizer::NaturalGradient {
                learning_rate,
                momentum,
            } => Optimizer::NaturalGradient {
                learning_rate: *learning_rate,
                momentum: *momentum,
            },
            Optimizer::Adaptive {
                learning_rate,
                method,
            } => Optimizer::Adaptive {
                learning_rate: *learning_rate,
                method: *method,
            },
        })
    }
}

impl Optimizer {
    /// The same optimizer with learning rate `lr` (a schedule's λ_t); `None` for `precond`,
    /// which has no scalar learning rate.
    pub fn with_learning_rate(&self, lr: f64) -> Option<Self> {
        let mut optimizer = self.clone();
        match &mut optimizer {
            Optimizer::Sgd { learning_rate }
            | Optimizer::Momentum { learning_rate, .. }
            | Optimizer::QuasiHyperbolic { learning_rate, .. }
            | Optimizer::Nesterov { learning_rate, .. }
            | Optimizer::DampedNewton { learning_rate, .. }
            | Optimizer::NaturalGradient { learning_rate, .. }
            | Optimizer::Adaptive { learning_rate, .. } => *learning_rate = lr,
            Optimizer::Preconditioned { .. } => return None,
        }
        Some(optimizer)
    }

    fn validate(&self, dimension: usize, errors: &mut Vec<FieldError>) {
        if let Some(lr) = self.learning_rate() {
            if !(lr.is_finite() && lr > 0.0) {
                errors.push(FieldError::new("lr", lr.to_string(), "a finite number > 0"));
            }
        }
        if let Optimizer::Adaptive { method, .. } = self {
            method.validate(errors);
            return;
        }
        let mu = self.momentum();
        if !(mu.is_finite() && (0.0..1.0).contains(&mu)) {
            errors.push(FieldError::new("mu", mu.to_string(), "a number in [0, 1)"));
        }
        if let Optimizer::QuasiHyperbolic { nu, .. } = self {
            if !(nu.is_finite() && (0.0..=1.0).contains(nu)) {
                errors.push(FieldError::new("nu", nu.to_string(), "a number in [0, 1]"));
            }
        }
        if let Optimizer::Preconditioned { preconditioner, .. } = self {
            if let Err(e) =
                check_symmetric_definite(preconditioner, "P", dimension, Definiteness::Positive)
            {
                errors.push(e);
            }
        }
    }
}

/// Data set of the linear regression of Eq. 28, L(w) = (1/N) Σ_i (wᵀx_i − y_i)² (no ½, as printed),
/// with the quantities the exact minibatch theory needs (`ERRATA.md`, "Minibatch noise, exactly").
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionData {
    inputs: DMatrix<f64>,
    targets: DVector<f64>,
    least_squares: DVector<f64>,
    residuals: DVector<f64>,
    hessian: DMatrix<f64>,
}

impl RegressionData {
    /// Builds the data set from inputs X (N×D, one sample per row) and targets y (N).
    ///
    /// # Errors
    /// A [`FieldError`] naming `X` or `y` when sizes disagree, a value is not finite, or XᵀX is
    /// singular (then the least-squares minimum ŵ is not unique and K is not positive definite).
    pub fn new(inputs: DMatrix<f64>, targets: DVector<f64>) -> Result<Self, FieldError> {
        let (n, d) = inputs.shape();
        if n == 0 || d == 0 {
            return Err(FieldError::new(
                "X",
                format!("{n}x{d}"),
                "at least one row and one column",
            ));
        }
        if n > MAX_DATASET_SIZE {
            return Err(FieldError::new(
                "X",
                format!("{n} rows"),
                format!("at most {MAX_DATASET_SIZE} samples"),
            ));
        }
        if targets.len() != n {
            return Err(FieldError::new(
                "y",
                format!("{} values", targets.len()),
                format!("exactly N = {n} values, one per row of X"),
            ));
        }
        if inputs.iter().any(|v| !v.is_finite()) {
            return Err(FieldError::new("X", "a non-finite entry", "finite numbers"));
        }
        if targets.iter().any(|v| !v.is_finite()) {
            return Err(FieldError::new("y", "a non-finite entry", "finite numbers"));
        }
        // K = 2XᵀX/N (Eq. 28 has no ½).
        let hessian = inputs.transpose() * &inputs * (2.0 / n as f64);
        let Some(cholesky) = hessian.clone().cholesky() else {
            return Err(FieldError::new(
                "X",
                format!("{n}x{d} data"),
                "data whose XᵀX is positive definite (N ≥ D and no collinear columns)",
            ));
        };
        let rhs = inputs.transpose() * &targets * (2.0 / n as f64);
        let least_squares = cholesky.solve(&rhs);
        let residuals = &inputs * &least_squares - &targets;
        Ok(Self {
            inputs,
            targets,
            least_squares,
            residuals,
            hessian,
        })
    }

    /// Generates N samples x ~ N(0, diag(x_var)), y = w*ᵀx + ε, ε ~ N(0, label_var), from a
    /// Xoshiro256++ generator seeded with `seed` (row by row: the D inputs, then the label noise).
    ///
    /// # Errors
    /// A [`FieldError`] naming `N`, `x_var`, `w_star` or `label_var` for invalid sizes or values.
    pub fn generate(
        dataset_size: usize,
        seed: u64,
        input_variances: &[f64],
        true_weights: &[f64],
        label_variance: f64,
    ) -> Result<Self, FieldError> {
        let d = input_variances.len();
        if dataset_size == 0 || dataset_size > MAX_DATASET_SIZE {
            return Err(FieldError::new(
                "N",
                dataset_size.to_string(),
                format!("an integer in [1, {MAX_DATASET_SIZE}]"),
            ));
        }
        if d > MAX_MINIBATCH_DIMENSION {
            return Err(FieldError::new(
                "x_var",
                format!("{d} values"),
                format!("at most {MAX_MINIBATCH_DIMENSION} values (D ≤ {MAX_MINIBATCH_DIMENSION} for the exact minibatch theory)"),
            ));
        }
        if d == 0 || input_variances.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(FieldError::new(
                "x_var",
                format!("{input_variances:?}"),
                "one or more finite numbers > 0 (the diagonal of the input covariance)",
            ));
        }
        if true_weights.len() != d || true_weights.iter().any(|v| !v.is_finite()) {
            return Err(FieldError::new(
                "w_star",
                format!("{true_weights:?}"),
                format!("{d} finite numbers, one per entry of x_var"),
            ));
        }
        if !(label_variance.is_finite() && label_variance >= 0.0) {
            return Err(FieldError::new(
                "label_var",
                label_variance.to_string(),
                "a finite number ≥ 0",
            ));
        }
        // The project's portable sampler: the same data natively and in the browser, bit for bit
        // (rand_distr's calls the platform's exp and ln in its tail).
        let normal = crate::sim::normal::Ziggurat::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut inputs = DMatrix::zeros(dataset_size, d);
        let mut targets = DVector::zeros(dataset_size);
        let label_sd = label_variance.sqrt();
        for i in 0..dataset_size {
            let mut y = 0.0;
            for j in 0..d {
                let z = normal.sample(&mut rng);
                let x = z * input_variances[j].sqrt();
                inputs[(i, j)] = x;
                y += true_weights[j] * x;
            }
            let noise = normal.sample(&mut rng);
            targets[i] = y + label_sd * noise;
        }
        Self::new(inputs, targets).map_err(|e| FieldError {
            field: "N".into(),
            ..e
        })
    }

    /// Inputs X (N×D).
    pub fn inputs(&self) -> &DMatrix<f64> {
        &self.inputs
    }
    /// Targets y (N).
    pub fn targets(&self) -> &DVector<f64> {
        &self.targets
    }
    /// Least-squares minimum ŵ: the stationary mean of every optimizer on this data.
    pub fn least_squares(&self) -> &DVector<f64> {
        &self.least_squares
    }
    /// Residuals r_i = x_iᵀŵ − y_i at the minimum.
    pub fn residuals(&self) -> &DVector<f64> {
        &self.residuals
    }
    /// Hessian K = (2/N) XᵀX of Eq. 28's loss.
    pub fn hessian(&self) -> &DMatrix<f64> {
        &self.hessian
    }
    /// Number of samples N.
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }
    /// Always false: a data set has at least one sample.
    pub fn is_empty(&self) -> bool {
        self.inputs.nrows() == 0
    }
    /// Dimension D.
    pub fn dimension(&self) -> usize {
        self.inputs.ncols()
    }
}

/// Minibatch sampling of a regression data set (Eq. 28): the real noise, which depends on w.
#[derive(Clone, Debug, PartialEq)]
pub struct Minibatch {
    /// The data set.
    pub data: RegressionData,
    /// Batch size S.
    pub batch_size: usize,
    /// Whether the S indices of a step are drawn with replacement.
    pub with_replacement: bool,
}

impl Minibatch {
    /// The factor multiplying the per-sample covariance: 1/S with replacement,
    /// (N−S)/((N−1)S) without (`ERRATA.md`).
    pub fn covariance_factor(&self) -> f64 {
        let n = self.data.len() as f64;
        let s = self.batch_size as f64;
        if self.with_replacement || self.data.len() == 1 {
            1.0 / s
        } else {
            (n - s) / ((n - 1.0) * s)
        }
    }

    /// Gradient-noise covariance at a given first and second moment of u = w − ŵ
    /// (`ERRATA.md`): C = f·[(1/N)Σ_i (H_i M H_i + H_i m b_iᵀ + b_i mᵀH_i + b_i b_iᵀ) − K M K],
    /// with H_i = 2x_ix_iᵀ, b_i = 2x_i r_i, M = E\[uuᵀ\], m = E\[u\], f = [`Self::covariance_factor`].
    pub fn noise_covariance(
        &self,
        second_moment: &DMatrix<f64>,
        mean: Option<&DVector<f64>>,
    ) -> DMatrix<f64> {
        let x = self.data.inputs();
        let n = x.nrows();
        let k = self.data.hessian();
        // (1/N) Σ_i H_i M H_i = (4/N) Σ_i (x_iᵀ M x_i) x_i x_iᵀ, plus the b-terms: all are
        // (4/N) Xᵀ diag(·) X-shaped, so accumulate weights per sample.
        // Every term is (4/N) x_i x_iᵀ times a per-sample weight:
        // H_i M H_i → x_iᵀMx_i; b_i b_iᵀ → r_i²; H_i m b_iᵀ + b_i mᵀH_i → 2 r_i x_iᵀm.
        let xm = x * second_moment; // N×D
        let mean_proj = mean.map(|m| x * m);
        let mut weighted = x.clone();
        for i in 0..n {
            let r = self.data.residuals[i];
            let mut weight = xm.row(i).dot(&x.row(i)) + r * r;
            if let Some(p) = &mean_proj {
                weight += 2.0 * r * p[i];
            }
            weighted.row_mut(i).scale_mut(weight);
        }
        let fourth = x.transpose() * weighted * (4.0 / n as f64);
        let c = (fourth - k * second_moment * k) * self.covariance_factor();
        (&c + c.transpose()) * 0.5
    }
}

/// The gradient noise η.
#[derive(Clone, Debug, PartialEq)]
pub enum Noise {
    /// Additive Gaussian noise with a constant covariance C (symmetric PSD).
    Gaussian {
        /// Covariance C.
        covariance: DMatrix<f64>,
    },
    /// The exact minibatch noise of linear regression (Eq. 28), which depends on w.
    Minibatch(Box<Minibatch>),
    /// NGD's minibatch Fisher noise of Eq. 63: C = (N−S)/(NS) · KΣK, self-consistent in Σ.
    Fisher {
        /// Data-set size N.
        dataset_size: usize,
        /// Batch size S.
        batch_size: usize,
    },
}

impl Noise {
    /// The configuration name (`gauss`, `batch`, `fisher`).
    pub fn name(&self) -> &'static str {
        match self {
            Noise::Gaussian { .. } => "gauss",
            Noise::Minibatch(_) => "batch",
            Noise::Fisher { .. } => "fisher",
        }
    }
}

/// A validated model: Hessian K, noise, optimizer. Built only through [`Problem::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    hessian: DMatrix<f64>,
    noise: Noise,
    optimizer: Optimizer,
    conventions: Conventions,
    hessian_eigen: SymmetricEigen,
}

impl Problem {
    /// Validates and builds a problem. For [`Noise::Minibatch`] the Hessian must be the data's,
    /// so pass `None` (a given K is then an error); otherwise K is required.
    ///
    /// # Errors
    /// Every problem found, each naming the field, the value and what is allowed: K not symmetric
    /// positive definite, C not symmetric positive semi-definite, wrong sizes, λ ≤ 0, μ ∉ [0, 1),
    /// ν ∉ [0, 1], Λ not SPD, a noise model that the optimizer does not support, S ∉ [1, N].
    pub fn new(
        hessian: Option<DMatrix<f64>>,
        noise: Noise,
        optimizer: Optimizer,
    ) -> Result<Self, FieldErrors> {
        let mut errors = Vec::new();
        let hessian = match (&noise, hessian) {
            (Noise::Minibatch(batch), None) => Some(batch.data.hessian().clone()),
            (Noise::Minibatch(_), Some(k)) => {
                errors.push(FieldError::new(
                    "K",
                    describe_matrix(&k),
                    "no K with noise=batch: the Hessian is K = 2XᵀX/N, computed from the data",
                ));
                None
            }
            (_, None) => {
                errors.push(FieldError::new(
                    "K",
                    "(missing)",
                    "a symmetric positive definite matrix",
                ));
                None
            }
            (_, Some(k)) => {
                match check_symmetric_definite(&k, "K", k.nrows(), Definiteness::Positive) {
                    Ok(()) => Some(k),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                }
            }
        };
        let dimension = hessian.as_ref().map_or(0, DMatrix::nrows);

        match &noise {
            Noise::Gaussian { covariance } => {
                if hessian.is_some() {
                    if let Err(e) = check_symmetric_definite(
                        covariance,
                        "C",
                        dimension,
                        Definiteness::SemiDefinite,
                    ) {
                        errors.push(e);
                    }
                }
                if matches!(optimizer, Optimizer::NaturalGradient { .. }) {
                    // Eq. 62 needs C ≻ 0 for a stationary state; C singular is the marginal case,
                    // reported by the solver as divergence, so nothing to reject here.
                }
            }
            Noise::Minibatch(batch) => {
                let n = batch.data.len();
                if batch.batch_size == 0 || (!batch.with_replacement && batch.batch_size > n) {
                    let allowed = if batch.with_replacement {
                        "an integer ≥ 1".to_string()
                    } else {
                        format!("an integer in [1, N = {n}] (sampling without replacement)")
                    };
                    errors.push(FieldError::new("S", batch.batch_size.to_string(), allowed));
                }
                if batch.data.dimension() > MAX_MINIBATCH_DIMENSION {
                    errors.push(FieldError::new(
                        "X",
                        format!("D = {}", batch.data.dimension()),
                        format!("D ≤ {MAX_MINIBATCH_DIMENSION} for the exact minibatch theory"),
                    ));
                }
                match optimizer {
                    Optimizer::NaturalGradient { .. } => errors.push(FieldError::new(
                        "noise",
                        "batch",
                        "gauss or fisher with opt=ngd (NGD's minibatch noise is noise=fisher, Eq. 63)",
                    )),
                    Optimizer::Preconditioned { .. } | Optimizer::DampedNewton { .. } | Optimizer::Adaptive { .. } => errors.push(FieldError::new(
                        "noise",
                        "batch",
                        format!("gauss with opt={} (noise=batch supports sgd, sgdm, qhm, nesterov)", optimizer.name()),
                    )),
                    _ => {}
                }
            }
            Noise::Fisher {
                dataset_size,
                batch_size,
            } => {
                if !matches!(optimizer, Optimizer::NaturalGradient { .. }) {
                    let allowed = match optimizer {
                        Optimizer::Adaptive { .. } => "gauss",
                        _ => "gauss or batch",
                    };
                    errors.push(FieldError::new(
                        "noise",
                        "fisher",
                        format!(
                            "{allowed} with opt={} (fisher is NGD's noise, Eq. 63)",
                            optimizer.name()
                        ),
                    ));
                }
                if *dataset_size == 0 || *dataset_size > MAX_DATASET_SIZE {
                    errors.push(FieldError::new(
                        "N",
                        dataset_size.to_string(),
                        format!("an integer in [1, {MAX_DATASET_SIZE}]"),
                    ));
                } else if *batch_size == 0 || batch_size > dataset_size {
                    errors.push(FieldError::new(
                        "S",
                        batch_size.to_string(),
                        format!("an integer in [1, N = {dataset_size}]"),
                    ));
                }
            }
        }
        optimizer.validate(dimension, &mut errors);
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        let Some(hessian) = hessian else {
            return Err(FieldErrors(vec![FieldError::new(
                "K",
                "(missing)",
                "a symmetric positive definite matrix",
            )]));
        };
        let hessian_eigen = SymmetricEigen::new(&hessian);
        let smallest = hessian_eigen.values.min();
        if smallest.is_nan() || smallest <= 0.0 {
            return Err(FieldErrors(vec![FieldError::new(
                "K",
                describe_matrix(&hessian),
                format!(
                    "a symmetric positive definite matrix (this one is numerically singular: smallest eigenvalue {smallest:e})"
                ),
            )]));
        }
        Ok(Self {
            hessian,
            noise,
            optimizer,
            conventions: Conventions::PAPER,
            hessian_eigen,
        })
    }

    /// The same problem under the frameworks' `conventions` (weight decay, dampening, EMA
    /// momentum, Nesterov's reported iterate), validated against the optimizer.
    ///
    /// # Errors
    /// A [`FieldError`] per convention whose value is out of range or that does not apply to the
    /// optimizer (`wd` with `precond`, `dnm`, `ngd`; `dampening` other than with `sgdm`; ...).
    pub fn with_conventions(mut self, conventions: Conventions) -> Result<Self, FieldErrors> {
        let mut errors = Vec::new();
        conventions.validate(&self.optimizer, &mut errors);
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        self.conventions = conventions;
        Ok(self)
    }

    /// The frameworks' conventions this problem runs under ([`Conventions::PAPER`] unless set by
    /// [`Problem::with_conventions`]).
    pub fn conventions(&self) -> &Conventions {
        &self.conventions
    }

    /// The one-step rule of a scalar-λ optimizer under the conventions; `None` for the
    /// preconditioned family and Nesterov's look-ahead form.
    pub fn scalar_rule(&self) -> Option<ScalarRule> {
        ScalarRule::new(&self.optimizer, &self.conventions)
    }

    /// Hessian K (D×D, SPD).
    pub fn hessian(&self) -> &DMatrix<f64> {
        &self.hessian
    }
    /// Eigen-decomposition K = U diag(k) Uᵀ, computed once at construction.
    pub fn hessian_eigen(&self) -> &SymmetricEigen {
        &self.hessian_eigen
    }
    /// Largest Hessian eigenvalue k*.
    pub fn max_curvature(&self) -> f64 {
        self.hessian_eigen.values.max()
    }
    /// The noise model.
    pub fn noise(&self) -> &Noise {
        &self.noise
    }
    /// The optimizer.
    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }
    /// Dimension D.
    pub fn dimension(&self) -> usize {
        self.hessian.nrows()
    }
    /// Where the stationary distribution is centred: 0 for the quadratic L = wᵀKw/2; for minibatch
    /// regression the least-squares ŵ, moved by weight decay to θ̄ = (K + r·I)⁻¹Kŵ with the ridge
    /// r = wd_c + wd_d/κ of [`ScalarRule::stationary_ridge`] (the mean step vanishes there).
    pub fn stationary_mean(&self) -> DVector<f64> {
        match &self.noise {
            Noise::Minibatch(batch) => {
                let least_squares = batch.data.least_squares();
                let ridge = self
                    .scalar_rule()
                    .map_or(0.0, |rule| rule.stationary_ridge());
                if ridge == 0.0 {
                    return least_squares.clone();
                }
                // In K's eigenbasis: θ̄_i = k_i/(k_i + r)·ŵ_i.
                let eigen = &self.hessian_eigen;
                let mut projected = eigen.vectors.transpose() * least_squares;
                for (value, k) in projected.iter_mut().zip(eigen.values.iter()) {
                    *value *= k / (k + ridge);
                }
                &eigen.vectors * projected
            }
            _ => DVector::zeros(self.dimension()),
        }
    }

    /// The expected training loss above the minimum of the *un-regularised* loss L, for a state
    /// with covariance Σ centred at [`Problem::stationary_mean`]:
    /// ½Tr\[KΣ\] + ½(θ̄ − ŵ)ᵀK(θ̄ − ŵ) (Eq. 25 plus the bias weight decay adds).
    pub fn loss_above_minimum(&self, sigma: &DMatrix<f64>) -> f64 {
        let spread = 0.5 * (&self.hessian * sigma).trace();
        match &self.noise {
            Noise::Minibatch(batch) => {
                let bias = self.stationary_mean() - batch.data.least_squares();
                if bias.iter().all(|v| *v == 0.0) {
                    spread
                } else {
                    spread + 0.5 * bias.dot(&(&self.hessian * &bias))
                }
            }
            _ => spread,
        }
    }
    /// A copy with another optimizer (same K, noise and conventions), validated again.
    ///
    /// # Errors
    /// As [`Problem::new`] for the new optimizer.
    pub fn with_optimizer(&self, optimizer: Optimizer) -> Result<Self, FieldErrors> {
        let hessian = match self.noise {
            Noise::Minibatch(_) => None,
            _ => Some(self.hessian.clone()),
        };
        Problem::new(hessian, self.noise.clone(), optimizer)?.with_conventions(self.conventions)
    }
}

/// What [`check_symmetric_definite`] requires of the smallest eigenvalue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Definiteness {
    /// All eigenvalues > 0.
    Positive,
    /// All eigenvalues ≥ 0 (up to round-off).
    SemiDefinite,
}

/// Checks size D×D, finiteness, symmetry (to 1e-12 relative) and definiteness of a matrix.
pub(crate) fn check_symmetric_definite(
    m: &DMatrix<f64>,
    field: &str,
    dimension: usize,
    definiteness: Definiteness,
) -> Result<(), FieldError> {
    let what = match definiteness {
        Definiteness::Positive => "symmetric positive definite",
        Definiteness::SemiDefinite => "symmetric positive semi-definite",
    };
    if m.nrows() == 0 || m.nrows() != m.ncols() || m.nrows() != dimension {
        let size = if dimension == 0 {
            format!("a square {what} matrix")
        } else {
            format!("a {dimension}x{dimension} {what} matrix (the size of K)")
        };
        return Err(FieldError::new(field, describe_matrix(m), size));
    }
    if m.nrows() > MAX_DIMENSION {
        return Err(FieldError::new(
            field,
            format!("a {}x{} matrix", m.nrows(), m.ncols()),
            format!("dimension at most {MAX_DIMENSION}"),
        ));
    }
    if m.iter().any(|v| !v.is_finite()) {
        return Err(FieldError::new(
            field,
            describe_matrix(m),
            format!("finite entries ({what})"),
        ));
    }
    let scale = m.amax();
    let asymmetry = (m - m.transpose()).amax();
    if asymmetry > 1e-12 * scale {
        return Err(FieldError::new(
            field,
            describe_matrix(m),
            format!(
                "a {what} matrix (this one is not symmetric: max |m_ij − m_ji| = {asymmetry:e})"
            ),
        ));
    }
    // Definiteness by Cholesky (O(n³/3), cheap next to an eigen-decomposition): C ⪰ 0 within
    // round-off iff C + δI factors, with δ = 1e-12·max|c_ij|·n; the eigenvalues are computed only
    // to word the error.
    let symmetric = (m + m.transpose()) * 0.5;
    let n = m.nrows() as f64;
    let factors = match definiteness {
        Definiteness::Positive => symmetric.clone().cholesky().is_some(),
        Definiteness::SemiDefinite => {
            let shift = 1e-12 * scale * n + f64::MIN_POSITIVE;
            (&symmetric + DMatrix::identity(m.nrows(), m.ncols()) * shift)
                .cholesky()
                .is_some()
        }
    };
    if !factors {
        let min = symmetric.symmetric_eigenvalues().min();
        return Err(FieldError::new(
            field,
            describe_matrix(m),
            format!("a {what} matrix (this one has smallest eigenvalue {min:e})"),
        ));
    }
    Ok(())
}
