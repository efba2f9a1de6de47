//! The deep-learning frameworks' conventions on top of the paper's scalar-λ optimizers: weight
//! decay (coupled, as PyTorch's `weight_decay` and optax's `add_decayed_weights` before the
//! optimizer, or decoupled, as SGDW and Keras 3), PyTorch's `dampening`, the exponential-moving-
//! average momentum of `optax.ema`, and which Nesterov iterate is reported.
//!
//! Every rule here is one step of the form (θ the parameters, g the stochastic gradient at θ):
//!
//! ```text
//! g ← ∇L(θ) + η + wd·θ                   (coupled weight decay; wd = 0 otherwise)
//! m ← μ m + (1 − τ) g                     (heavy ball with dampening τ; PyTorch)
//!   | μ m + (1 − μ) g                     (EMA momentum, optax.ema; QHM's momentum)
//! d ← m                                   (heavy ball, EMA)
//!   | g + μ m                             (Nesterov, PyTorch/optax/Keras)
//!   | (1 − ν) g + ν m                     (QHM, Eq. 53)
//! θ ← θ − λ d − λ·wd_decoupled·θ          (decoupled weight decay uses the θ before the step)
//! ```
//!
//! The paper's own rules (Eq. 6, 10, 53) are the case wd = 0, τ = 0. Nesterov's look-ahead
//! (Sutskever) form, w = θ + λμm, is kept behind [`NesterovForm::LookAhead`].

use std::fmt;

use crate::error::FieldError;
use crate::model::{Adaptive, AdaptiveKind, EpsilonPlacement, Optimizer};

/// Where weight decay enters the update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightDecayMode {
    /// Added to the gradient, so it passes through the momentum (`wd_mode=coupled`): PyTorch's
    /// `SGD(weight_decay=…)`, `optax.chain(optax.add_decayed_weights(wd), optax.sgd(…))`. The
    /// dynamics is that of the Hessian K + wd·I.
    #[default]
    Coupled,
    /// Applied to the parameters outside the momentum (`wd_mode=decoupled`): θ ← θ − λ·wd·θ − λd,
    /// as SGDW (Loshchilov & Hutter) and Keras 3's `weight_decay` (`variable − variable·wd·lr`).
    Decoupled,
}

impl WeightDecayMode {
    /// The configuration names, in the order of the variants.
    pub const NAMES: &'static [&'static str] = &["coupled", "decoupled"];

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            WeightDecayMode::Coupled => "coupled",
            WeightDecayMode::Decoupled => "decoupled",
        }
    }

    /// The mode a configuration name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "coupled" => Some(WeightDecayMode::Coupled),
            "decoupled" => Some(WeightDecayMode::Decoupled),
            _ => None,
        }
    }
}

/// How SGDM accumulates its momentum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MomentumForm {
    /// m ← μm + (1 − τ)g (Eq. 10 with PyTorch's dampening τ; `momentum_form=heavyball`).
    #[default]
    HeavyBall,
    /// m ← μm + (1 − μ)g, θ ← θ − λm (`momentum_form=ema`, `optax.ema`): exactly QHM with ν = 1
    /// at the same λ, and heavy-ball momentum at λ(1 − μ).
    Ema,
}

impl MomentumForm {
    /// The configuration names, in the order of the variants.
    pub const NAMES: &'static [&'static str] = &["heavyball", "ema"];

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            MomentumForm::HeavyBall => "heavyball",
            MomentumForm::Ema => "ema",
        }
    }

    /// The form a configuration name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "heavyball" => Some(MomentumForm::HeavyBall),
            "ema" => Some(MomentumForm::Ema),
            _ => None,
        }
    }
}

/// Which Nesterov variable is reported (and simulated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NesterovForm {
    /// The frameworks' parameters θ, where the gradient is evaluated (`nesterov_form=params`):
    /// m ← μm + g(θ), θ ← θ − λ(g + μm), as PyTorch's `SGD(nesterov=True)`, optax's
    /// `sgd(nesterov=True)` and Keras's `SGD(nesterov=True)` store them.
    #[default]
    Parameters,
    /// Sutskever's look-ahead variable w = θ + λμm (`nesterov_form=lookahead`):
    /// m ← μm + ∇L(w − λμm) + η, w ← w − λm. Same spectrum, different iterate.
    LookAhead,
}

impl NesterovForm {
    /// The configuration names, in the order of the variants.
    pub const NAMES: &'static [&'static str] = &["params", "lookahead"];

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            NesterovForm::Parameters => "params",
            NesterovForm::LookAhead => "lookahead",
        }
    }

    /// The form a configuration name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "params" => Some(NesterovForm::Parameters),
            "lookahead" => Some(NesterovForm::LookAhead),
            _ => None,
        }
    }
}

/// The frameworks' extra hyper-parameters of a scalar-λ optimizer. The default is the paper's
/// rule (no weight decay, no dampening, heavy-ball momentum) with Nesterov reported as the
/// frameworks' parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Conventions {
    /// Weight decay wd ≥ 0 (`wd`).
    pub weight_decay: f64,
    /// Where the weight decay enters (`wd_mode`).
    pub weight_decay_mode: WeightDecayMode,
    /// PyTorch's dampening τ ∈ [0, 1) of SGDM (`dampening`).
    pub dampening: f64,
    /// How SGDM accumulates its momentum (`momentum_form`).
    pub momentum_form: MomentumForm,
    /// Which Nesterov variable is reported (`nesterov_form`).
    pub nesterov_form: NesterovForm,
}

/// The paper's scalar-λ rules as printed, with their parameters: SGD (Eq. 6), SGDM (Eq. 10),
/// QHM (Eq. 53) and Nesterov in Sutskever's look-ahead form. The one parameter type of the
/// engine's per-mode solver (`solver::modes`) and of the simulator (its general and diagonal
/// paths); each keeps its own algebra, the simulator being a check on the engine. Every other
/// rule (the frameworks' conventions) is a [`ScalarRule`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PaperRule {
    /// Eq. 6: w_t = w_{t−1} − λ g_t.
    Sgd {
        /// λ.
        lr: f64,
    },
    /// Eq. 10: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − λ m_t.
    Momentum {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
    },
    /// Eq. 53: m_t = μ m_{t−1} + (1−μ) g_t; w_t = w_{t−1} − λ[(1−ν) g_t + ν m_t].
    QuasiHyperbolic {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
        /// ν.
        nu: f64,
    },
    /// Sutskever's look-ahead form: the gradient at w − λμm, then as SGDM.
    Nesterov {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
    },
}

impl PaperRule {
    /// The printed rule of a scalar-λ optimizer (`None` for `precond`, `dnm` and `ngd`). Whether
    /// the printed rule applies is the [`Conventions`]' call ([`Conventions::is_paper_rule`]).
    pub fn of(optimizer: &Optimizer) -> Option<Self> {
        Some(match *optimizer {
            Optimizer::Sgd { learning_rate } => PaperRule::Sgd { lr: learning_rate },
            Optimizer::Momentum {
                learning_rate,
                momentum,
            } => PaperRule::Momentum {
                lr: learning_rate,
                mu: momentum,
            },
            Optimizer::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu,
            } => PaperRule::QuasiHyperbolic {
                lr: learning_rate,
                mu: momentum,
                nu,
            },
            Optimizer::Nesterov {
                learning_rate,
                momentum,
            } => PaperRule::Nesterov {
                lr: learning_rate,
                mu: momentum,
            },
            _ => return None,
        })
    }
}

/// The one-step rule of a scalar-λ optimizer under [`Conventions`], in the terms of the module
/// documentation: m ← μm + `gradient_gain`·g; θ ← θ − λ(`direct`·g + `through`·m) − λ·wd_d·θ.
/// Independent of K: the engine and the simulator's fast path apply it per eigenvalue or per
/// coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalarRule {
    /// Learning rate λ.
    pub learning_rate: f64,
    /// Momentum μ (0 and no momentum state when `has_momentum` is false).
    pub momentum: f64,
    /// Whether the rule carries a momentum buffer m.
    pub has_momentum: bool,
    /// c: the gradient's weight in the momentum update (1 − τ, or 1 − μ for EMA and QHM).
    pub gradient_gain: f64,
    /// α: the gradient's weight in the step (0 heavy ball, 1 Nesterov, 1 − ν QHM, 1 SGD).
    pub direct: f64,
    /// β: the new momentum's weight in the step (1 heavy ball, μ Nesterov, ν QHM).
    pub through: f64,
    /// Coupled weight decay wd_c (added to the gradient).
    pub coupled_decay: f64,
    /// Decoupled weight decay wd_d (θ ← θ − λ·wd_d·θ).
    pub decoupled_decay: f64,
}

impl ScalarRule {
    /// The rule of a scalar-λ optimizer under `conventions`, or `None` for the preconditioned
    /// family and for Nesterov's look-ahead form (which evaluates the gradient elsewhere).
    pub fn new(optimizer: &Optimizer, conventions: &Conventions) -> Option<Self> {
        let (coupled_decay, decoupled_decay) = conventions.decays();
        let rule = |learning_rate, momentum, gradient_gain, direct, through| ScalarRule {
            learning_rate,
            momentum,
            has_momentum: true,
            gradient_gain,
            direct,
            through,
            coupled_decay,
            decoupled_decay,
        };
        Some(match *optimizer {
            Optimizer::Sgd { learning_rate } => ScalarRule {
                has_momentum: false,
                ..rule(learning_rate, 0.0, 0.0, 1.0, 0.0)
            },
            Optimizer::Momentum {
                learning_rate,
                momentum,
            } => match conventions.momentum_form {
                // EMA momentum is QHM with ν = 1 at the same λ.
                MomentumForm::Ema => rule(learning_rate, momentum, 1.0 - momentum, 0.0, 1.0),
                MomentumForm::HeavyBall => rule(
                    learning_rate,
                    momentum,
                    1.0 - conventions.dampening,
                    0.0,
                    1.0,
                ),
            },
            Optimizer::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu,
            } => rule(learning_rate, momentum, 1.0 - momentum, 1.0 - nu, nu),
            Optimizer::Nesterov {
                learning_rate,
                momentum,
            } => match conventions.nesterov_form {
                NesterovForm::Parameters => rule(learning_rate, momentum, 1.0, 1.0, momentum),
                NesterovForm::LookAhead => return None,
            },
            Optimizer::Preconditioned { .. }
            | Optimizer::DampedNewton { .. }
            | Optimizer::NaturalGradient { .. }
            | Optimizer::Adaptive { .. } => return None,
        })
    }

    /// s = α + βc: the gradient's total weight in the step.
    pub fn step_gain(&self) -> f64 {
        self.direct + self.through * self.gradient_gain
    }

    /// κ = α + βc/(1 − μ): the weight of a constant gradient in the stationary step, so that the
    /// stationary mean solves wd_d·θ̄ + κ·ḡ = 0.
    pub fn stationary_gain(&self) -> f64 {
        if self.has_momentum {
            self.direct + self.through * self.gradient_gain / (1.0 - self.momentum)
        } else {
            1.0
        }
    }

    /// The ridge r that the stationary mean sees: θ̄ = (K + r·I)⁻¹Kŵ with r = wd_c + wd_d/κ.
    pub fn stationary_ridge(&self) -> f64 {
        self.coupled_decay + self.decoupled_decay / self.stationary_gain()
    }

    /// The exact stability bound on u = λ(k + wd_c) for every eigenvalue k of K (Jury's criterion
    /// on the per-mode 2×2 block, whose trace and determinant are affine in u):
    /// SGD u < 2 − λwd_d; with momentum u < (2 − λwd_d)(1 + μ)/(s + αμ), and, when αμ > 0, also
    /// u < (1 + (1 − λwd_d)μ)/(αμ) (the determinant above −1).
    pub fn curvature_threshold(&self) -> f64 {
        let delta = self.learning_rate * self.decoupled_decay;
        if !self.has_momentum {
            return 2.0 - delta;
        }
        let mu = self.momentum;
        let alpha_mu = self.direct * mu;
        let trace_bound = (2.0 - delta) * (1.0 + mu) / (self.step_gain() + alpha_mu);
        if alpha_mu > 0.0 {
            trace_bound.min((1.0 + (1.0 - delta) * mu) / alpha_mu)
        } else {
            trace_bound
        }
    }
}

impl Conventions {
    /// The paper's rules, with Nesterov reported as the frameworks' parameters.
    pub const PAPER: Conventions = Conventions {
        weight_decay: 0.0,
        weight_decay_mode: WeightDecayMode::Coupled,
        dampening: 0.0,
        momentum_form: MomentumForm::HeavyBall,
        nesterov_form: NesterovForm::Parameters,
    };

    /// (coupled wd_c, decoupled wd_d): one of them is `weight_decay`, the other 0.
    pub fn decays(&self) -> (f64, f64) {
        match self.weight_decay_mode {
            WeightDecayMode::Coupled => (self.weight_decay, 0.0),
            WeightDecayMode::Decoupled => (0.0, self.weight_decay),
        }
    }

    /// Whether the optimizer runs the paper's own rule (Eq. 6, 10, 53, or Nesterov's look-ahead
    /// form): no weight decay, no dampening, heavy-ball momentum.
    pub fn is_paper_rule(&self, optimizer: &Optimizer) -> bool {
        self.weight_decay == 0.0
            && self.dampening == 0.0
            && !(matches!(optimizer, Optimizer::Momentum { .. })
                && self.momentum_form == MomentumForm::Ema)
            && !matches!(
                (optimizer, self.nesterov_form),
                (Optimizer::Nesterov { .. }, NesterovForm::Parameters)
            )
    }

    /// The conventions that apply to `optimizer`: weight decay to the scalar-λ optimizers,
    /// dampening and the momentum form to SGDM, the Nesterov form to Nesterov (a panel that
    /// compares several methods under one set of keys gives each method its share).
    pub fn for_optimizer(&self, optimizer: &Optimizer) -> Conventions {
        let scalar = matches!(
            optimizer,
            Optimizer::Sgd { .. }
                | Optimizer::Momentum { .. }
                | Optimizer::QuasiHyperbolic { .. }
                | Optimizer::Nesterov { .. }
        );
        let momentum = matches!(optimizer, Optimizer::Momentum { .. });
        Conventions {
            weight_decay: if scalar { self.weight_decay } else { 0.0 },
            weight_decay_mode: if scalar {
                self.weight_decay_mode
            } else {
                WeightDecayMode::Coupled
            },
            dampening: if momentum { self.dampening } else { 0.0 },
            momentum_form: if momentum {
                self.momentum_form
            } else {
                MomentumForm::HeavyBall
            },
            nesterov_form: if matches!(optimizer, Optimizer::Nesterov { .. }) {
                self.nesterov_form
            } else {
                NesterovForm::Parameters
            },
        }
    }

    /// Checks the values and that each convention applies to `optimizer`.
    pub(crate) fn validate(&self, optimizer: &Optimizer, errors: &mut Vec<FieldError>) {
        let name = optimizer.name();
        let scalar = matches!(
            optimizer,
            Optimizer::Sgd { .. }
                | Optimizer::Momentum { .. }
                | Optimizer::QuasiHyperbolic { .. }
                | Optimizer::Nesterov { .. }
        );
        let wd = self.weight_decay;
        if !(wd.is_finite() && wd >= 0.0) {
            errors.push(FieldError::new("wd", wd.to_string(), "a finite number ≥ 0"));
        } else if wd > 0.0 && !scalar {
            errors.push(FieldError::new(
                "wd",
                wd.to_string(),
                format!("0 with opt={name} (weight decay applies to sgd, sgdm, qhm and nesterov)"),
            ));
        } else if wd > 0.0
            && matches!(optimizer, Optimizer::Nesterov { .. })
            && self.nesterov_form == NesterovForm::LookAhead
        {
            errors.push(FieldError::new(
                "wd",
                wd.to_string(),
                "0 with nesterov_form=lookahead (weight decay is defined on the frameworks' parameters: use nesterov_form=params)",
            ));
        }
        let tau = self.dampening;
        if !(tau.is_finite() && (0.0..1.0).contains(&tau)) {
            errors.push(FieldError::new(
                "dampening",
                tau.to_string(),
                "a number in [0, 1)",
            ));
        } else if tau > 0.0 && !matches!(optimizer, Optimizer::Momentum { .. }) {
            let why = if matches!(optimizer, Optimizer::Nesterov { .. }) {
                "0 with opt=nesterov (PyTorch: \"Nesterov momentum requires a momentum and zero dampening\")".to_string()
            } else {
                format!("0 with opt={name} (dampening applies to sgdm)")
            };
            errors.push(FieldError::new("dampening", tau.to_string(), why));
        } else if tau > 0.0 && self.momentum_form == MomentumForm::Ema {
            errors.push(FieldError::new(
                "dampening",
                tau.to_string(),
                "0 with momentum_form=ema (EMA momentum already weighs the gradient by 1 − μ)",
            ));
        }
        if self.momentum_form == MomentumForm::Ema
            && !matches!(optimizer, Optimizer::Momentum { .. })
        {
            errors.push(FieldError::new(
                "momentum_form",
                "ema",
                format!("heavyball with opt={name} (momentum_form applies to sgdm)"),
            ));
        }
        if self.nesterov_form == NesterovForm::LookAhead
            && !matches!(optimizer, Optimizer::Nesterov { .. })
        {
            errors.push(FieldError::new(
                "nesterov_form",
                "lookahead",
                format!("params with opt={name} (nesterov_form applies to nesterov)"),
            ));
        }
    }
}

/// The Python lines that construct the optimizer a configuration describes, in PyTorch and in
/// optax (the "Copy as code" of the page and the `framework` object of `solve`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkCode {
    /// `torch.optim.SGD(params, …)`, or why PyTorch has no such optimizer.
    pub pytorch: String,
    /// `optax.…`, or why optax has no such optimizer.
    pub optax: String,
}

impl fmt::Display for FrameworkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "# PyTorch\n{}\n# optax\n{}", self.pytorch, self.optax)
    }
}

/// The PyTorch and optax code of Adam, AdamW or RMSprop: every hyper-parameter written out (the
/// frameworks' defaults differ: RMSprop's β₂ is 0.99 in PyTorch, 0.9 in optax; AdamW's decay is
/// 0.01 in PyTorch, 1e-4 in optax), and what a framework cannot do said so.
fn adaptive_code(lr: f64, method: &Adaptive) -> FrameworkCode {
    let (b1, b2, eps, wd) = (
        py(method.beta1),
        py(method.beta2),
        py(method.epsilon),
        py(method.weight_decay),
    );
    let inside = method.epsilon_placement == EpsilonPlacement::Inside;
    let lr = py(lr);
    let mut torch_notes = Vec::new();
    if inside {
        torch_notes.push("PyTorch puts eps outside the root (√v̂ + ε); eps_mode=inside is optax's");
    }
    let pytorch = match method.kind {
        AdaptiveKind::Adam | AdaptiveKind::AdamW => {
            if !method.bias_correction {
                torch_notes.push("PyTorch's Adam always corrects the bias");
            }
            let class = if method.kind == AdaptiveKind::Adam {
                "Adam"
            } else {
                "AdamW"
            };
            format!(
                "torch.optim.{class}(params, lr={lr}, betas=({b1}, {b2}), eps={eps}, weight_decay={wd})"
            )
        }
        AdaptiveKind::RmsProp => {
            if method.bias_correction {
                torch_notes.push(
                    "PyTorch's RMSprop has no bias correction (optax's bias_correction=True)",
                );
            }
            format!(
                "torch.optim.RMSprop(params, lr={lr}, alpha={b2}, eps={eps}, weight_decay={wd}, momentum={}, centered={})",
                py(method.momentum),
                if method.centered { "True" } else { "False" }
            )
        }
    };
    let pytorch = if torch_notes.is_empty() {
        pytorch
    } else {
        format!("# {}; the nearest: {pytorch}", torch_notes.join("; "))
    };
    let optax = match method.kind {
        AdaptiveKind::Adam | AdaptiveKind::AdamW => {
            let (eps, eps_root) = if inside {
                ("0.0".to_string(), eps)
            } else {
                (eps, "0.0".to_string())
            };
            let core = if method.kind == AdaptiveKind::AdamW {
                format!("optax.adamw({lr}, b1={b1}, b2={b2}, eps={eps}, eps_root={eps_root}, weight_decay={wd})")
            } else {
                format!("optax.adam({lr}, b1={b1}, b2={b2}, eps={eps}, eps_root={eps_root})")
            };
            let core = if method.kind == AdaptiveKind::Adam && method.weight_decay > 0.0 {
                format!("optax.chain(optax.add_decayed_weights({wd}), {core})")
            } else {
                core
            };
            if method.bias_correction {
                core
            } else {
                format!("# optax's adam always corrects the bias; the nearest: {core}")
            }
        }
        AdaptiveKind::RmsProp => {
            let momentum = if method.momentum > 0.0 {
                py(method.momentum)
            } else {
                "None".to_string()
            };
            let core = format!(
                "optax.rmsprop({lr}, decay={b2}, eps={eps}, eps_in_sqrt={}, centered={}, momentum={momentum}, bias_correction={})",
                if inside { "True" } else { "False" },
                if method.centered { "True" } else { "False" },
                if method.bias_correction { "True" } else { "False" },
            );
            if method.weight_decay > 0.0 {
                format!("optax.chain(optax.add_decayed_weights({wd}), {core})")
            } else {
                core
            }
        }
    };
    FrameworkCode { pytorch, optax }
}

/// Shortest round-trip text of a hyper-parameter, as Python reads it back.
fn py(x: f64) -> String {
    let text = format!("{x}");
    if text.contains(['.', 'e', 'i', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// The PyTorch and optax code of `optimizer` under `conventions`. Optimizers a framework does not
/// ship (QHM in optax, preconditioned methods, the look-ahead Nesterov form) are said to be so,
/// with the closest construction where one exists.
pub fn framework_code(optimizer: &Optimizer, conventions: &Conventions) -> FrameworkCode {
    let (wd_c, wd_d) = conventions.decays();
    let lr = optimizer.learning_rate().unwrap_or(f64::NAN);
    let mu = optimizer.momentum();
    let unsupported = |what: &str| format!("# {what}");
    // optax: the coupled decay goes before the optimizer, the decoupled one between the
    // momentum and the learning-rate scaling (update = −λ(d + wd·θ)).
    let optax_chain = |momentum: Option<String>| -> String {
        let mut parts = Vec::new();
        if wd_c > 0.0 {
            parts.push(format!("optax.add_decayed_weights({})", py(wd_c)));
        }
        parts.extend(momentum);
        if wd_d > 0.0 {
            parts.push(format!("optax.add_decayed_weights({})", py(wd_d)));
        }
        parts.push(format!("optax.scale_by_learning_rate({})", py(lr)));
        format!("optax.chain({})", parts.join(", "))
    };
    let plain_optax = |nesterov: bool| -> String {
        let mut args = vec![py(lr)];
        if mu > 0.0 {
            args.push(format!("momentum={}", py(mu)));
        }
        if nesterov {
            args.push("nesterov=True".to_string());
        }
        format!("optax.sgd({})", args.join(", "))
    };
    let trace = |nesterov: bool| {
        if nesterov {
            format!("optax.trace(decay={}, nesterov=True)", py(mu))
        } else {
            format!("optax.trace(decay={})", py(mu))
        }
    };
    let torch = |momentum: bool, dampening: f64, nesterov: bool, note: &str| -> String {
        let mut args = vec!["params".to_string(), format!("lr={}", py(lr))];
        if momentum {
            args.push(format!("momentum={}", py(mu)));
        }
        if dampening > 0.0 {
            args.push(format!("dampening={}", py(dampening)));
        }
        if wd_c > 0.0 {
            args.push(format!("weight_decay={}", py(wd_c)));
        }
        if nesterov {
            args.push("nesterov=True".to_string());
        }
        format!("torch.optim.SGD({}){note}", args.join(", "))
    };
    let torch_decoupled_note = if wd_d > 0.0 {
        format!(
            "  # decoupled decay: after each step, with torch.no_grad(): p.mul_(1 - {} * {}) for every p, applied to the θ before the step (SGDW; Keras 3's weight_decay)",
            py(lr),
            py(wd_d)
        )
    } else {
        String::new()
    };
    match *optimizer {
        Optimizer::Adaptive { method, .. } => adaptive_code(lr, &method),
        Optimizer::Sgd { .. } => FrameworkCode {
            pytorch: torch(false, 0.0, false, &torch_decoupled_note),
            optax: if wd_c == 0.0 && wd_d == 0.0 {
                plain_optax(false)
            } else {
                optax_chain(None)
            },
        },
        Optimizer::Momentum { .. } => match conventions.momentum_form {
            MomentumForm::Ema => FrameworkCode {
                pytorch: unsupported(&format!(
                    "PyTorch's SGD has no EMA momentum; the same dynamics: torch.optim.SGD(params, lr={}, momentum={}, dampening={}{})",
                    py(lr),
                    py(mu),
                    py(mu),
                    if wd_c > 0.0 { format!(", weight_decay={}", py(wd_c)) } else { String::new() }
                )),
                optax: optax_chain(Some(format!("optax.ema(decay={}, debias=False)", py(mu)))),
            },
            MomentumForm::HeavyBall => FrameworkCode {
                pytorch: torch(true, conventions.dampening, false, &torch_decoupled_note),
                optax: if conventions.dampening > 0.0 {
                    unsupported(&format!(
                        "optax.trace has no dampening; the same dynamics: optax.sgd({}, momentum={}) (dampening τ scales λ by 1 − τ)",
                        py(lr * (1.0 - conventions.dampening)),
                        py(mu)
                    ))
                } else if wd_c == 0.0 && wd_d == 0.0 {
                    plain_optax(false)
                } else {
                    optax_chain(Some(trace(false)))
                },
            },
        },
        Optimizer::Nesterov { .. } => match conventions.nesterov_form {
            NesterovForm::Parameters => FrameworkCode {
                pytorch: torch(true, 0.0, true, &torch_decoupled_note),
                optax: if wd_c == 0.0 && wd_d == 0.0 {
                    plain_optax(true)
                } else {
                    optax_chain(Some(trace(true)))
                },
            },
            NesterovForm::LookAhead => FrameworkCode {
                pytorch: unsupported(&format!(
                    "the look-ahead variable w = θ + λμm of torch.optim.SGD(params, lr={}, momentum={}, nesterov=True)",
                    py(lr),
                    py(mu)
                )),
                optax: unsupported(&format!(
                    "the look-ahead variable w = θ + λμm of optax.sgd({}, momentum={}, nesterov=True)",
                    py(lr),
                    py(mu)
                )),
            },
        },
        Optimizer::QuasiHyperbolic { nu, .. } => FrameworkCode {
            pytorch: unsupported(&format!(
                "torch.optim has no QHM; the qhoptim package's QHM(params, lr={}, momentum={}, nu={}) runs Eq. 53{}",
                py(lr),
                py(mu),
                py(nu),
                if wd_c > 0.0 || wd_d > 0.0 { " (add the weight decay by hand)" } else { "" }
            )),
            optax: unsupported(&format!(
                "optax has no QHM: θ ← θ − λ[(1−ν)g + ν·m], m = optax.ema(decay={}, debias=False) of g, λ = {}, ν = {}",
                py(mu),
                py(lr),
                py(nu)
            )),
        },
        Optimizer::Preconditioned { .. }
        | Optimizer::DampedNewton { .. }
        | Optimizer::NaturalGradient { .. } => FrameworkCode {
            pytorch: unsupported(&format!(
                "torch.optim has no {} (a preconditioned SGD with momentum, Corollary 3)",
                optimizer.name()
            )),
            optax: unsupported(&format!(
                "optax has no {} (a preconditioned SGD with momentum, Corollary 3)",
                optimizer.name()
            )),
        },
    }
}
