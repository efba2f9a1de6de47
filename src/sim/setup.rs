//! The kernels' inputs from a validated problem: the gradient oracle (Gaussian noise through a
//! factor of C) and the update rules, as the plain data of `sgd_playground_kernels`.

use nalgebra::DMatrix;
use sgd_playground_kernels::{
    AdaptiveRule, AdaptiveStep, FrameworkMomentum, FrameworkStep, Oracle,
};

use crate::linalg::SymmetricEigen;
use crate::model::{AdaptiveKind, EpsilonPlacement, MomentumForm, Optimizer, PaperRule, Problem};

/// The step the frameworks document for `problem`'s optimizer under its conventions (`None` when
/// the paper's printed rule applies, or for a matrix-preconditioned optimizer).
pub(super) fn framework_step(problem: &Problem) -> Option<FrameworkStep> {
    let conventions = problem.conventions();
    let optimizer = problem.optimizer();
    if conventions.is_paper_rule(optimizer) {
        return None;
    }
    let (coupled_decay, decoupled_decay) = conventions.decays();
    let momentum = match *optimizer {
        Optimizer::Sgd { .. } => FrameworkMomentum::None,
        Optimizer::Momentum { momentum, .. } => match conventions.momentum_form {
            MomentumForm::Ema => FrameworkMomentum::Ema { beta: momentum },
            MomentumForm::HeavyBall => FrameworkMomentum::HeavyBall {
                mu: momentum,
                dampening: conventions.dampening,
            },
        },
        Optimizer::QuasiHyperbolic { momentum, nu, .. } => {
            FrameworkMomentum::QuasiHyperbolic { mu: momentum, nu }
        }
        Optimizer::Nesterov { momentum, .. } => FrameworkMomentum::Nesterov { mu: momentum },
        _ => return None,
    };
    Some(FrameworkStep {
        lr: optimizer.learning_rate()?,
        momentum,
        coupled_decay,
        decoupled_decay,
    })
}

/// The step of Adam, AdamW or RMSprop (`None` for other optimizers).
pub(super) fn adaptive_step(problem: &Problem) -> Option<AdaptiveStep> {
    let Optimizer::Adaptive {
        learning_rate,
        method,
    } = *problem.optimizer()
    else {
        return None;
    };
    let (coupled_decay, decoupled_decay) = method.decays();
    Some(AdaptiveStep {
        lr: learning_rate,
        rule: match method.kind {
            AdaptiveKind::Adam | AdaptiveKind::AdamW => AdaptiveRule::Adam {
                beta1: method.beta1,
            },
            AdaptiveKind::RmsProp => AdaptiveRule::RmsProp {
                momentum: method.momentum,
                centered: method.centered,
            },
        },
        beta2: method.beta2,
        eps: method.epsilon,
        eps_inside: method.epsilon_placement == EpsilonPlacement::Inside,
        coupled_decay,
        decoupled_decay,
        bias_correction: method.bias_correction,
    })
}

/// The kernels' copy of a paper rule.
pub(super) fn kernel_rule(rule: PaperRule) -> sgd_playground_kernels::PaperRule {
    use sgd_playground_kernels::PaperRule as Kernel;
    match rule {
        PaperRule::Sgd { lr } => Kernel::Sgd { lr },
        PaperRule::Momentum { lr, mu } => Kernel::Momentum { lr, mu },
        PaperRule::QuasiHyperbolic { lr, mu, nu } => Kernel::QuasiHyperbolic { lr, mu, nu },
        PaperRule::Nesterov { lr, mu } => Kernel::Nesterov { lr, mu },
    }
}

pub(super) fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    let mut out = Vec::with_capacity(m.len());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// L with L Lᵀ = C for a PSD C: Cholesky when it factors, else U diag(√max(λ,0)).
pub(super) fn psd_factor(c: &DMatrix<f64>) -> DMatrix<f64> {
    match c.clone().cholesky() {
        Some(ch) => ch.l(),
        None => {
            let eigen = SymmetricEigen::new(c);
            let d = c.nrows();
            DMatrix::from_fn(d, d, |i, j| {
                eigen.vectors[(i, j)] * eigen.values[j].max(0.0).sqrt()
            })
        }
    }
}

pub(super) fn gaussian_oracle(hessian: &DMatrix<f64>, covariance: &DMatrix<f64>) -> Oracle {
    let factor = psd_factor(covariance);
    let is_diagonal = |m: &DMatrix<f64>| {
        (0..m.nrows()).all(|i| (0..m.ncols()).all(|j| i == j || m[(i, j)] == 0.0))
    };
    Oracle::Gaussian {
        diagonal: is_diagonal(hessian) && is_diagonal(&factor),
        hessian: row_major(hessian),
        noise_factor: row_major(&factor),
    }
}
