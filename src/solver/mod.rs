//! The exact theory engine: stationary and finite-time covariances of every optimizer, and
//! whether (and why) the dynamics diverges.
//!
//! Method (exact, no iteration for constant noise):
//! - scalar-λ optimizers (SGD, SGDM, QHM, Nesterov) are solved mode by mode in K's eigenbasis
//!   ([`modes`]), non-commuting C included;
//! - a symmetric preconditioner Λ is reduced to heavy-ball momentum with λ = 1 on
//!   K' = Λ^{1/2} K Λ^{1/2}, C' = Λ^{1/2} C Λ^{1/2} (`ERRATA.md`); damped Newton is Λ = λK⁻¹;
//! - natural gradient's self-consistent Λ = λ(KΣK)⁻¹ is found in closed form (Eq. 62 for constant C,
//!   valid for non-commuting C per `ERRATA.md`; Eq. 63 for Fisher noise) and then solved by the
//!   preconditioned engine, which also checks the self-consistency;
//! - the exact minibatch theory solves the linear generalized Lyapunov equation ([`minibatch`]).
//!
//! [`reference`](mod@reference) holds independent general solvers (Kronecker and Smith doubling on the full
//! augmented system) used by the tests as ground truth.

pub mod adaptive;
pub mod curve;
pub mod minibatch;
pub mod modes;
pub mod reference;

use std::fmt;

use nalgebra::{DMatrix, DVector};

use crate::linalg::{symmetrize, SymmetricEigen};
use crate::model::{Noise, Optimizer, Problem};
use modes::{all_pair_gains, ModeDynamics};

/// How close the dynamics is to its stability edge, in the paper's terms (Sec. 4.5, `ERRATA.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct Stability {
    /// The quantity the paper bounds: λk* for scalar learning rates, the largest eigenvalue of ΛK for
    /// preconditioned methods (λ for damped Newton).
    pub effective_curvature: f64,
    /// The bound it must stay strictly below, e.g. 2(1+μ) for SGDM.
    pub threshold: f64,
    /// The condition in words, e.g. `λk* < 2(1+μ)`.
    pub condition: String,
    /// Spectral radius of the mean dynamics' matrix A (stationary only if < 1).
    pub spectral_radius: f64,
}

impl Stability {
    /// effective_curvature / threshold: below 1 is stable.
    pub fn margin_ratio(&self) -> f64 {
        self.effective_curvature / self.threshold
    }
}

/// The stationary distribution of the optimizer's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Stationary {
    /// Stationary mean of w (0, or ŵ for minibatch regression).
    pub mean: DVector<f64>,
    /// Σ: covariance of w around the mean (D×D).
    pub sigma: DMatrix<f64>,
    /// Covariance of the whole state: w for SGD (D×D), (w, m) for momentum methods (2D×2D, w first).
    pub state_covariance: DMatrix<f64>,
    /// Expected training loss above the minimum, ½Tr\[KΣ\] (Eq. 25).
    pub train_loss: f64,
    /// The stability diagnostics.
    pub stability: Stability,
    /// The preconditioner actually used (Λ for `precond`, λK⁻¹ for DNM, λ(KΣK)⁻¹ for NGD).
    pub preconditioner: Option<DMatrix<f64>>,
    /// The noise covariance at stationarity (constant C, or C(Σ) for minibatch/Fisher noise).
    pub noise_covariance: DMatrix<f64>,
}

/// Why there is no stationary distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// The stability diagnostics (spectral radius ≥ 1, or the minibatch second moment unbounded).
    pub stability: Stability,
    /// One sentence in the paper's terms.
    pub reason: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Divergence {}

/// The covariance after a finite number of steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Transient {
    /// Number of steps taken.
    pub steps: u64,
    /// Mean of w after the steps.
    pub mean: DVector<f64>,
    /// Covariance Σ_t of w.
    pub sigma: DMatrix<f64>,
    /// Covariance of the whole state (as [`Stationary::state_covariance`]).
    pub state_covariance: DMatrix<f64>,
    /// Expected training loss above the minimum, ½E[(w−w_min)ᵀK(w−w_min)], mean included.
    pub train_loss: f64,
}

/// Where a finite-time run starts: a deterministic state, optionally with a spread.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct InitialState {
    /// Initial w minus the minimum (0, or ŵ for minibatch regression); `None` = at the minimum.
    pub offset: Option<DVector<f64>>,
    /// Initial covariance of the whole state; `None` = deterministic start (and m₀ = 0).
    pub state_covariance: Option<DMatrix<f64>>,
}

/// Relative distance to a stability threshold below which we call the dynamics marginal, i.e.
/// divergent: with λk* within a few ulps of the edge, Σ ∝ 1/(threshold − λk*) has no correct digit.
const EDGE_TOLERANCE: f64 = 8.0 * f64::EPSILON;

/// The stationary distribution of `problem`, or why it does not exist.
///
/// # Errors
/// [`Divergence`] when the dynamics has no stationary distribution.
///
/// # Example
/// ```
/// use nalgebra::DMatrix;
/// use sgd_playground::model::{Noise, Optimizer, Problem};
/// let problem = Problem::new(
///     Some(DMatrix::from_element(1, 1, 1.0)),
///     Noise::Gaussian { covariance: DMatrix::from_element(1, 1, 1.0) },
///     Optimizer::Sgd { learning_rate: 1.5 },
/// ).unwrap();
/// let sigma = sgd_playground::solver::stationary(&problem).unwrap().sigma[(0, 0)];
/// assert!((sigma - 1.5 / (2.0 - 1.5)).abs() < 1e-12); // Σ = λσ²/(k(2−λk)), Cor. 1
/// ```
pub fn stationary(problem: &Problem) -> Result<Stationary, Divergence> {
    let mu = problem.optimizer().momentum();
    match (problem.optimizer(), problem.noise()) {
        (_, Noise::Minibatch(batch)) => minibatch::stationary(problem, batch),
        (Optimizer::Preconditioned { preconditioner, .. }, Noise::Gaussian { covariance }) => {
            preconditioned(problem.hessian(), covariance, preconditioner, mu)
        }
        (Optimizer::DampedNewton { learning_rate, .. }, Noise::Gaussian { covariance }) => {
            let lambda = problem.hessian_eigen().map(|k| learning_rate / k);
            let mut out = preconditioned(problem.hessian(), covariance, &lambda, mu)?;
            // ΛK = λI exactly; report the exact value, not the rounded eigenvalue.
            out.stability.effective_curvature = *learning_rate;
            Ok(out)
        }
        (Optimizer::NaturalGradient { learning_rate, .. }, noise) => {
            natural_gradient(problem, *learning_rate, mu, noise)
        }
        (Optimizer::Adaptive { .. }, _) => {
            adaptive::stationary(problem).map(|solution| solution.stationary)
        }
        (optimizer, Noise::Gaussian { covariance }) => {
            let dynamics = ModeDynamics::new(optimizer, problem.conventions())
                .ok_or_else(|| unsupported(problem))?;
            let eigen = problem.hessian_eigen();
            let stability = scalar_stability(optimizer, &dynamics, eigen);
            check(&stability)?;
            let (sigma, state) = scalar_stationary(&dynamics, eigen, covariance)
                .ok_or_else(|| marginal(&stability))?;
            let train_loss = problem.loss_above_minimum(&sigma);
            Ok(Stationary {
                mean: problem.stationary_mean(),
                sigma,
                state_covariance: state,
                train_loss,
                stability,
                preconditioner: None,
                noise_covariance: covariance.clone(),
            })
        }
        _ => Err(unsupported(problem)),
    }
}

fn unsupported(problem: &Problem) -> Divergence {
    // Problem::new rejects these combinations; kept total so that nothing can panic.
    Divergence::without_stability(format!(
        "opt={} with noise={} has no solver",
        problem.optimizer().name(),
        problem.noise().name()
    ))
}

impl Divergence {
    /// A reason that no stability condition describes (diagnostics all NaN).
    pub(crate) fn without_stability(reason: String) -> Self {
        Divergence {
            stability: Stability {
                effective_curvature: f64::NAN,
                threshold: f64::NAN,
                condition: String::new(),
                spectral_radius: f64::NAN,
            },
            reason,
        }
    }
}

/// Returns the divergence if `stability` says the dynamics is unstable (or marginal).
pub(crate) fn check(stability: &Stability) -> Result<(), Divergence> {
    let x = stability.effective_curvature;
    let threshold = stability.threshold;
    if x.is_finite() && threshold.is_finite() && x < threshold * (1.0 - EDGE_TOLERANCE) {
        return Ok(());
    }
    let bound = if condition_rhs(&stability.condition) == fmt_num(threshold) {
        fmt_num(threshold)
    } else {
        format!(
            "{} = {}",
            condition_rhs(&stability.condition),
            fmt_num(threshold)
        )
    };
    let edge = if (x - threshold).abs() <= EDGE_TOLERANCE * threshold {
        "exactly on the stability edge: a marginal oscillation, not a stationary state".to_string()
    } else {
        format!("{:.4}× the threshold", x / threshold)
    };
    Err(Divergence {
        reason: format!(
            "diverges: {} = {} is not below {bound} ({edge}); spectral radius of the dynamics {} ≥ 1",
            condition_lhs(&stability.condition),
            fmt_num(x),
            fmt_num(stability.spectral_radius),
        ),
        stability: stability.clone(),
    })
}

fn marginal(stability: &Stability) -> Divergence {
    Divergence {
        reason: format!(
            "diverges: the Lyapunov equation is singular (spectral radius {} at the edge of {})",
            fmt_num(stability.spectral_radius),
            stability.condition
        ),
        stability: stability.clone(),
    }
}

fn condition_lhs(condition: &str) -> &str {
    condition.split(" < ").next().unwrap_or(condition)
}

fn condition_rhs(condition: &str) -> &str {
    condition.split(" < ").nth(1).unwrap_or("the threshold")
}

/// A number in a message, to 12 significant digits: rounding noise in the last digits of an
/// f64 (a spectral radius of 1.2000000000000002) goes, a real difference from a threshold
/// (2.0000000001 against 2) stays. The numbers themselves (JSON, CSV) keep every digit.
pub(crate) fn fmt_num(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    if rounded.abs() >= 1e6 || rounded.abs() < 1e-4 {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

/// The stability threshold of a scalar-λ optimizer in the paper's terms, with the exact spectral
/// radius of A. Necessary and sufficient (Jury's criterion on each 2×2 block):
/// SGD λk* < 2; SGDM λk* < 2(1+μ); QHM λk* < 2(1+μ)/(1+μ−2μν) (`ERRATA.md`);
/// Nesterov λk* < 2(1+μ)/(1+2μ) (our derivation: det a = μ(1−λk), tr a = (1+μ)(1−λk); the
/// same for both forms). The frameworks' rules bound λ(k* + wd) by
/// [`ScalarRule::curvature_threshold`](crate::model::ScalarRule::curvature_threshold).
pub fn scalar_stability(
    optimizer: &Optimizer,
    dynamics: &ModeDynamics,
    eigen: &SymmetricEigen,
) -> Stability {
    let k_max = eigen.values.max();
    let k_min = eigen.values.min();
    let lr = optimizer.learning_rate().unwrap_or(1.0);
    let mu = optimizer.momentum();
    // The spectral radius of a(k) is not monotone in k: check both ends and every eigenvalue.
    let spectral_radius = eigen
        .values
        .iter()
        .chain([k_max, k_min].iter())
        .map(|&k| dynamics.spectral_radius(k))
        .fold(0.0, f64::max);
    if let Some(rule) = dynamics.rule() {
        let (threshold, condition) = rule_condition(optimizer, rule);
        return Stability {
            effective_curvature: lr * (k_max + rule.coupled_decay),
            threshold,
            condition,
            spectral_radius,
        };
    }
    let (threshold, condition) = match optimizer {
        Optimizer::Sgd { .. } => (2.0, "λk* < 2".to_string()),
        Optimizer::QuasiHyperbolic { nu, .. } => (
            2.0 * (1.0 + mu) / (1.0 + mu - 2.0 * mu * nu),
            "λk* < 2(1+μ)/(1+μ−2μν)".to_string(),
        ),
        Optimizer::Nesterov { .. } => (
            2.0 * (1.0 + mu) / (1.0 + 2.0 * mu),
            "λk* < 2(1+μ)/(1+2μ)".to_string(),
        ),
        _ => (2.0 * (1.0 + mu), "λk* < 2(1+μ)".to_string()),
    };
    Stability {
        effective_curvature: lr * k_max,
        threshold,
        condition,
        spectral_radius,
    }
}

/// The threshold of a framework rule and its condition in words: the paper's bound of the
/// equivalent rule where there is one (dampening τ scales λ by 1 − τ, EMA momentum is QHM with
/// ν = 1, coupled weight decay shifts k* to k* + wd), and the numeric bound with decoupled decay.
fn rule_condition(optimizer: &Optimizer, rule: &crate::model::ScalarRule) -> (f64, String) {
    let threshold = rule.curvature_threshold();
    let lhs = if rule.coupled_decay > 0.0 {
        "λ(k*+wd)"
    } else {
        "λk*"
    };
    if rule.decoupled_decay > 0.0 {
        return (
            threshold,
            format!("{lhs} < the decoupled-decay bound (wd_mode=decoupled)"),
        );
    }
    let rhs = match optimizer {
        Optimizer::Sgd { .. } => "2".to_string(),
        Optimizer::QuasiHyperbolic { .. } => "2(1+μ)/(1+μ−2μν)".to_string(),
        Optimizer::Nesterov { .. } => "2(1+μ)/(1+2μ)".to_string(),
        _ if rule.gradient_gain == 1.0 => "2(1+μ)".to_string(),
        _ if rule.gradient_gain == 1.0 - rule.momentum => "2(1+μ)/(1−μ)".to_string(),
        _ => "2(1+μ)/(1−τ)".to_string(),
    };
    (threshold, format!("{lhs} < {rhs}"))
}

/// Σ and the full state covariance for a scalar-λ optimizer with constant noise C, mode by mode.
/// `None` if a pair system is singular.
pub fn scalar_stationary(
    dynamics: &ModeDynamics,
    eigen: &SymmetricEigen,
    noise_cov: &DMatrix<f64>,
) -> Option<(DMatrix<f64>, DMatrix<f64>)> {
    let gains = all_pair_gains(dynamics, eigen.values.as_slice())?;
    let c_tilde = eigen.to_eigenbasis(noise_cov);
    Some(assemble_state(dynamics.size, eigen, &gains, &c_tilde))
}

/// P̃ block (r, c) = c̃ ∘ gains[r][c], rotated back: returns (Σ, full state covariance).
pub(crate) fn assemble_state(
    size: usize,
    eigen: &SymmetricEigen,
    gains: &[Vec<DMatrix<f64>>],
    c_tilde: &DMatrix<f64>,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let d = c_tilde.nrows();
    let mut state = DMatrix::zeros(size * d, size * d);
    // P is symmetric: compute the blocks on and above the diagonal, mirror the rest.
    for r in 0..size {
        for c in r..size {
            let block = eigen.from_eigenbasis(&c_tilde.component_mul(&gains[r][c]));
            if r != c {
                state
                    .view_mut((c * d, r * d), (d, d))
                    .copy_from(&block.transpose());
            }
            state.view_mut((r * d, c * d), (d, d)).copy_from(&block);
        }
    }
    let state = symmetrize(&state);
    let sigma = state.view((0, 0), (d, d)).into_owned();
    (sigma, state)
}

/// Preconditioned SGDM (Corollary 3) with constant noise, via the reduction to λ = 1 on
/// K' = Λ^{1/2} K Λ^{1/2}, C' = Λ^{1/2} C Λ^{1/2}; the state transforms as w = Λ^{1/2} w',
/// m = Λ^{−1/2} m'.
pub fn preconditioned(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    preconditioner: &DMatrix<f64>,
    mu: f64,
) -> Result<Stationary, Divergence> {
    let dynamics = ModeDynamics::momentum(1.0, mu);
    reduced_stationary(hessian, noise_cov, preconditioner, &dynamics, |k_max| {
        (k_max, 2.0 * (1.0 + mu), "max eig(ΛK) < 2(1+μ)".to_string())
    })
}

/// The stationary state of `dynamics` (a rule at λ = 1) run on the reduced problem
/// K' = Λ^{1/2} K Λ^{1/2}, C' = Λ^{1/2} C Λ^{1/2}, mapped back to (w, m) = (Λ^{1/2} w', Λ^{−1/2} m');
/// `terms` turns max eig(K') into the stability's (effective curvature, threshold, condition).
pub(crate) fn reduced_stationary(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    preconditioner: &DMatrix<f64>,
    dynamics: &ModeDynamics,
    terms: impl FnOnce(f64) -> (f64, f64, String),
) -> Result<Stationary, Divergence> {
    let reduced = Reduced::new(hessian, preconditioner);
    let k_max = reduced.eigen.values.max();
    let spectral_radius = reduced
        .eigen
        .values
        .iter()
        .map(|&k| dynamics.spectral_radius(k))
        .fold(0.0, f64::max);
    let (effective_curvature, threshold, condition) = terms(k_max);
    let stability = Stability {
        effective_curvature,
        threshold,
        condition,
        spectral_radius,
    };
    check(&stability)?;
    let c_reduced = &reduced.root * noise_cov * &reduced.root;
    let (_, state_reduced) = scalar_stationary(dynamics, &reduced.eigen, &c_reduced)
        .ok_or_else(|| marginal(&stability))?;
    let state = reduced.expand_state(&state_reduced);
    let d = hessian.nrows();
    let sigma = state.view((0, 0), (d, d)).into_owned();
    let train_loss = 0.5 * (hessian * &sigma).trace();
    Ok(Stationary {
        mean: DVector::zeros(d),
        sigma,
        state_covariance: state,
        train_loss,
        stability,
        preconditioner: Some(preconditioner.clone()),
        noise_covariance: noise_cov.clone(),
    })
}

/// The symmetric reduction of a preconditioned problem.
pub(crate) struct Reduced {
    /// Λ^{1/2}.
    pub root: DMatrix<f64>,
    /// Λ^{−1/2}.
    pub inverse_root: DMatrix<f64>,
    /// Eigen-decomposition of K' = Λ^{1/2} K Λ^{1/2}.
    pub eigen: SymmetricEigen,
}

impl Reduced {
    pub(crate) fn new(hessian: &DMatrix<f64>, preconditioner: &DMatrix<f64>) -> Self {
        let lambda_eigen = SymmetricEigen::new(preconditioner);
        let root = lambda_eigen.map(f64::sqrt);
        let inverse_root = lambda_eigen.map(|v| 1.0 / v.sqrt());
        let k_reduced = symmetrize(&(&root * hessian * &root));
        Self {
            eigen: SymmetricEigen::new(&k_reduced),
            root,
            inverse_root,
        }
    }

    /// Maps a reduced (w', m') state covariance back to (w, m) = (Λ^{1/2} w', Λ^{−1/2} m').
    pub(crate) fn expand_state(&self, reduced: &DMatrix<f64>) -> DMatrix<f64> {
        let d = self.root.nrows();
        let mut t = DMatrix::zeros(2 * d, 2 * d);
        t.view_mut((0, 0), (d, d)).copy_from(&self.root);
        t.view_mut((d, d), (d, d)).copy_from(&self.inverse_root);
        symmetrize(&(&t * reduced * t.transpose()))
    }

    /// The inverse of [`Self::expand_state`].
    pub(crate) fn reduce_state(&self, full: &DMatrix<f64>) -> DMatrix<f64> {
        let d = self.root.nrows();
        let mut t = DMatrix::zeros(2 * d, 2 * d);
        t.view_mut((0, 0), (d, d)).copy_from(&self.inverse_root);
        t.view_mut((d, d), (d, d)).copy_from(&self.root);
        symmetrize(&(&t * full * t.transpose()))
    }
}

/// NGD, Sec. 6.5: Λ = λ(KΣK)⁻¹ with Σ the stationary covariance itself.
///
/// Constant C (Eq. 61–62; `ERRATA.md`: Eq. 62 holds for non-commuting C too):
/// Σ = ½K⁻¹[Q + λ/(2(1+μ)) I], Q = [λ²/(4(1+μ)²) I + 2λ/(1−μ) CK⁻¹]^{1/2}, evaluated in the
/// symmetric form Σ = ½K^{−1/2}[(α²I + βK^{−1/2}CK^{−1/2})^{1/2} + αI]K^{−1/2}.
/// Fisher noise C = (N−S)/(NS)·KΣK (Eq. 63): Σ = λ[(1+μ)s + 1 − μ]/(2(1−μ²)) K⁻¹, s = (N−S)/(NS).
/// The preconditioned engine then solves with that Λ; its Σ must reproduce the closed form
/// (self-consistency), which is checked to 1e-9 relative.
fn natural_gradient(
    problem: &Problem,
    lr: f64,
    mu: f64,
    noise: &Noise,
) -> Result<Stationary, Divergence> {
    let hessian = problem.hessian();
    let eigen = problem.hessian_eigen();
    let (sigma_closed, noise_cov) = match noise {
        Noise::Gaussian { covariance } => {
            let alpha = lr / (2.0 * (1.0 + mu));
            let beta = 2.0 * lr / (1.0 - mu);
            let k_inv_root = eigen.map(|k| 1.0 / k.sqrt());
            let m = symmetrize(&(&k_inv_root * covariance * &k_inv_root));
            let inner =
                SymmetricEigen::new(&m).map(|v| (alpha * alpha + beta * v.max(0.0)).sqrt() + alpha);
            (
                symmetrize(&(&k_inv_root * inner * &k_inv_root * 0.5)),
                covariance.clone(),
            )
        }
        Noise::Fisher {
            dataset_size,
            batch_size,
        } => {
            let (n, s) = (*dataset_size as f64, *batch_size as f64);
            let noise_scale = (n - s) / (n * s);
            let c = lr * ((1.0 + mu) * noise_scale + 1.0 - mu) / (2.0 * (1.0 - mu * mu));
            let sigma = eigen.map(|k| c / k);
            let noise_cov = symmetrize(&(hessian * &sigma * hessian * noise_scale));
            (sigma, noise_cov)
        }
        Noise::Minibatch(_) => return Err(unsupported(problem)),
    };
    let fisher = symmetrize(&(hessian * &sigma_closed * hessian));
    let lambda = SymmetricEigen::new(&fisher).map(|v| lr / v);
    let out = preconditioned(hessian, &noise_cov, &lambda, mu).map_err(|mut d| {
        d.reason = format!(
            "{}; for NGD this happens when the noise vanishes in some direction (C singular, or S = N with Fisher noise): the fluctuation sits on the edge ΛK = 2(1+μ)I, a period-2 oscillation (ERRATA.md)",
            d.reason
        );
        d
    })?;
    let scale = crate::linalg::max_abs(&sigma_closed);
    let mismatch = crate::linalg::max_abs(&(&out.sigma - &sigma_closed));
    if mismatch > 1e-9 * scale {
        return Err(Divergence {
            reason: format!(
                "NGD self-consistency failed: the closed form and the engine differ by {mismatch:e} (relative to {scale:e})"
            ),
            stability: out.stability,
        });
    }
    // The engine's Σ equals the closed form to 1e-9 (checked above); keep the engine's so that Σ,
    // the state covariance and the training loss come from one computation.
    Ok(out)
}

/// The covariance after `steps` steps from `initial`, exact for any stability (divergent
/// dynamics gives large but finite numbers until they overflow).
///
/// # Errors
/// [`Divergence`] only for NGD, whose preconditioner is defined by its stationary state.
pub fn transient(
    problem: &Problem,
    steps: u64,
    initial: &InitialState,
) -> Result<Transient, Divergence> {
    let d = problem.dimension();
    let mu = problem.optimizer().momentum();
    match (problem.optimizer(), problem.noise()) {
        (_, Noise::Minibatch(batch)) => Ok(minibatch::transient(problem, batch, steps, initial)),
        (optimizer, Noise::Gaussian { covariance })
            if ModeDynamics::new(optimizer, problem.conventions()).is_some() =>
        {
            let dynamics = ModeDynamics::new(optimizer, problem.conventions())
                .ok_or_else(|| unsupported(problem))?;
            let eigen = problem.hessian_eigen();
            Ok(scalar_transient(
                &dynamics,
                eigen,
                problem.hessian(),
                covariance,
                steps,
                initial,
            ))
        }
        (optimizer, noise) => {
            let (lambda, noise_cov) = match (optimizer, noise) {
                (
                    Optimizer::Preconditioned { preconditioner, .. },
                    Noise::Gaussian { covariance },
                ) => (preconditioner.clone(), covariance.clone()),
                (Optimizer::DampedNewton { learning_rate, .. }, Noise::Gaussian { covariance }) => {
                    (
                        problem.hessian_eigen().map(|k| learning_rate / k),
                        covariance.clone(),
                    )
                }
                (Optimizer::Adaptive { .. }, _) => {
                    return Err(Divergence {
                        reason: format!(
                            "opt={} has no finite-time theory: its second-moment estimate v has a \
                             transient of its own (the exact engine solves the stationary β₂ → 1 \
                             limit; simulate runs the real optimizer)",
                            optimizer.name()
                        ),
                        ..unsupported(problem)
                    })
                }
                _ => {
                    let stationary = stationary(problem)?;
                    let lambda = stationary
                        .preconditioner
                        .clone()
                        .ok_or_else(|| unsupported(problem))?;
                    (lambda, stationary.noise_covariance)
                }
            };
            let reduced = Reduced::new(problem.hessian(), &lambda);
            let c_reduced = &reduced.root * noise_cov * &reduced.root;
            let reduced_initial = InitialState {
                offset: initial.offset.as_ref().map(|w| &reduced.inverse_root * w),
                state_covariance: initial
                    .state_covariance
                    .as_ref()
                    .map(|p| reduced.reduce_state(p)),
            };
            let t = scalar_transient(
                &ModeDynamics::momentum(1.0, mu),
                &reduced.eigen,
                &symmetrize(&(&reduced.root * problem.hessian() * &reduced.root)),
                &c_reduced,
                steps,
                &reduced_initial,
            );
            let state = reduced.expand_state(&t.state_covariance);
            let sigma = state.view((0, 0), (d, d)).into_owned();
            let mean = &reduced.root * &t.mean;
            let train_loss = 0.5
                * ((problem.hessian() * &sigma).trace() + mean.dot(&(problem.hessian() * &mean)));
            Ok(Transient {
                steps,
                mean,
                sigma,
                state_covariance: state,
                train_loss,
            })
        }
    }
}

/// Finite-time covariance of a scalar-λ optimizer with constant noise, mode pair by mode pair
/// ([`ModeDynamics::pair_transient`]); the mean is propagated separately (constant noise does not
/// couple it to the covariance).
pub(crate) fn scalar_transient(
    dynamics: &ModeDynamics,
    eigen: &SymmetricEigen,
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    steps: u64,
    initial: &InitialState,
) -> Transient {
    let d = eigen.values.len();
    let s = dynamics.size;
    let c_tilde = eigen.to_eigenbasis(noise_cov);
    // Initial state covariance in the eigenbasis, block by block.
    let start_tilde: Vec<Vec<DMatrix<f64>>> = (0..s)
        .map(|r| {
            (0..s)
                .map(|c| match &initial.state_covariance {
                    Some(p) if p.nrows() == s * d => {
                        eigen.to_eigenbasis(&p.view((r * d, c * d), (d, d)).into_owned())
                    }
                    _ => DMatrix::zeros(d, d),
                })
                .collect()
        })
        .collect();
    let mut out_tilde = vec![vec![DMatrix::zeros(d, d); s]; s];
    for i in 0..d {
        for j in i..d {
            let mut start = [[0.0; 2]; 2];
            for r in 0..s {
                for c in 0..s {
                    start[r][c] = start_tilde[r][c][(i, j)];
                }
            }
            let x = dynamics.pair_transient(
                eigen.values[i],
                eigen.values[j],
                steps,
                &start,
                c_tilde[(i, j)],
            );
            for r in 0..s {
                for c in 0..s {
                    out_tilde[r][c][(i, j)] = x[r][c];
                    out_tilde[c][r][(j, i)] = x[r][c];
                }
            }
        }
    }
    let mut state = DMatrix::zeros(s * d, s * d);
    for r in 0..s {
        for c in 0..s {
            state
                .view_mut((r * d, c * d), (d, d))
                .copy_from(&eigen.from_eigenbasis(&out_tilde[r][c]));
        }
    }
    let state = symmetrize(&state);
    let sigma = state.view((0, 0), (d, d)).into_owned();
    // Mean: z_t = A^t z_0 with z_0 = (offset, 0), mode by mode.
    let offset_tilde = initial
        .offset
        .as_ref()
        .map(|w| eigen.vectors.transpose() * w)
        .unwrap_or_else(|| DVector::zeros(d));
    let mut mean_tilde = DVector::zeros(d);
    for i in 0..d {
        let a = dynamics.transition(eigen.values[i]);
        let mut z = [offset_tilde[i], 0.0];
        let mut power = steps;
        let mut base = a;
        let mut acc = [[1.0, 0.0], [0.0, 1.0]];
        while power > 0 {
            if power & 1 == 1 {
                acc = mul2(&acc, &base, s);
            }
            base = mul2(&base, &base, s);
            power >>= 1;
        }
        z = [
            acc[0][0] * z[0] + acc[0][1] * z[1],
            acc[1][0] * z[0] + acc[1][1] * z[1],
        ];
        mean_tilde[i] = z[0];
    }
    let mean = &eigen.vectors * mean_tilde;
    let train_loss = 0.5 * ((hessian * &sigma).trace() + mean.dot(&(hessian * &mean)));
    Transient {
        steps,
        mean,
        sigma,
        state_covariance: state,
        train_loss,
    }
}

fn mul2(a: &modes::Block, b: &modes::Block, s: usize) -> modes::Block {
    let mut out = [[0.0; 2]; 2];
    for r in 0..s {
        for c in 0..s {
            out[r][c] = (0..s).map(|k| a[r][k] * b[k][c]).sum();
        }
    }
    out
}
