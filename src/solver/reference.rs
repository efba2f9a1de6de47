//! Independent general solvers of the discrete Lyapunov equation P = A P Aᵀ + Q on the full
//! augmented system of `ERRATA.md` (no eigenbasis, no structure). Slow and simple on purpose:
//! they are the ground truth the tests compare the fast engine against.

use nalgebra::DMatrix;

use nalgebra::DVector;

use crate::linalg::symmetrize;
use crate::model::{AdaptiveKind, MomentumForm, NesterovForm, Optimizer, Problem};

/// The augmented system z_{t+1} = A z_t + B η_t of an optimizer (`ERRATA.md`, first table), with
/// the preconditioner Λ given explicitly for `precond`, `dnm` and `ngd`.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentedSystem {
    /// A (sD×sD).
    pub transition: DMatrix<f64>,
    /// B (sD×D).
    pub input: DMatrix<f64>,
}

impl AugmentedSystem {
    /// Builds A and B for `problem`'s optimizer; `preconditioner` is required for the
    /// preconditioned family (for DNM it defaults to λK⁻¹).
    pub fn new(problem: &Problem, preconditioner: Option<&DMatrix<f64>>) -> Option<Self> {
        if !problem.conventions().is_paper_rule(problem.optimizer()) {
            return Self::framework(problem);
        }
        let k = problem.hessian();
        let d = k.nrows();
        let eye = DMatrix::<f64>::identity(d, d);
        let blocks = |a11, a12, a21, a22, b1, b2| Self::from_blocks([a11, a12, a21, a22], [b1, b2]);
        Some(match problem.optimizer() {
            Optimizer::Sgd { learning_rate: lr } => Self {
                transition: &eye - k * *lr,
                input: &eye * -*lr,
            },
            Optimizer::Momentum {
                learning_rate: lr,
                momentum: mu,
            } => blocks(
                &eye - k * *lr,
                &eye * (-lr * mu),
                k.clone(),
                &eye * *mu,
                &eye * -*lr,
                eye.clone(),
            ),
            Optimizer::QuasiHyperbolic {
                learning_rate: lr,
                momentum: mu,
                nu,
            } => {
                let alpha = lr * (1.0 - mu * nu);
                blocks(
                    &eye - k * alpha,
                    &eye * (-lr * nu * mu),
                    k * (1.0 - mu),
                    &eye * *mu,
                    &eye * -alpha,
                    &eye * (1.0 - mu),
                )
            }
            Optimizer::Nesterov {
                learning_rate: lr,
                momentum: mu,
            } => {
                let damped = &eye - k * *lr;
                blocks(
                    damped.clone(),
                    &damped * (-lr * mu),
                    k.clone(),
                    &damped * *mu,
                    &eye * -*lr,
                    eye.clone(),
                )
            }
            Optimizer::Adaptive { .. } => return None,
            Optimizer::Preconditioned { momentum: mu, .. }
            | Optimizer::DampedNewton { momentum: mu, .. }
            | Optimizer::NaturalGradient { momentum: mu, .. } => {
                let lambda = match (problem.optimizer(), preconditioner) {
                    (_, Some(p)) => p.clone(),
                    (Optimizer::Preconditioned { preconditioner, .. }, None) => {
                        preconditioner.clone()
                    }
                    (Optimizer::DampedNewton { learning_rate, .. }, None) => {
                        k.clone().try_inverse()? * *learning_rate
                    }
                    _ => return None,
                };
                blocks(
                    &eye - &lambda * k,
                    &lambda * -*mu,
                    k.clone(),
                    &eye * *mu,
                    -&lambda,
                    eye.clone(),
                )
            }
        })
    }

    /// A and B of a framework rule (`conventions`), composed step by step from the update as the
    /// frameworks document it, each intermediate a linear map of (z, η) with z = (θ, m):
    /// p = θ (θ − λμm for the look-ahead form); g = (K + wd_c I)p + η; m' = μm + (1−τ)g (heavy
    /// ball; 1 − μ for EMA and QHM; 1 for Nesterov); d = m' (heavy ball, EMA, look-ahead), g + μm'
    /// (Nesterov), (1−ν)g + νm' (QHM), g (SGD); θ' = θ − λd − λwd_d θ.
    fn framework(problem: &Problem) -> Option<Self> {
        let k = problem.hessian();
        let d = k.nrows();
        let conventions = problem.conventions();
        let (wd_c, wd_d) = conventions.decays();
        let optimizer = problem.optimizer();
        let lr = optimizer.learning_rate()?;
        let mu = optimizer.momentum();
        let has_momentum = !matches!(optimizer, Optimizer::Sgd { .. });
        let s = if has_momentum { 2 } else { 1 };
        let width = s * d + d; // columns: θ, m (if any), η
        let eye = DMatrix::<f64>::identity(d, d);
        let select = |offset: usize| {
            let mut m = DMatrix::zeros(d, width);
            m.view_mut((0, offset), (d, d)).copy_from(&eye);
            m
        };
        let theta = select(0);
        let momentum = if has_momentum {
            select(d)
        } else {
            DMatrix::zeros(d, width)
        };
        let noise = select(s * d);
        let point = match (optimizer, conventions.nesterov_form) {
            (Optimizer::Nesterov { .. }, NesterovForm::LookAhead) => &theta - &momentum * (lr * mu),
            _ => theta.clone(),
        };
        let gradient = (k + &eye * wd_c) * point + noise;
        let forms = (conventions.momentum_form, conventions.nesterov_form);
        let (new_momentum, direction) = match (optimizer, forms) {
            (Optimizer::Sgd { .. }, _) => (DMatrix::zeros(d, width), gradient.clone()),
            (Optimizer::Momentum { .. }, (MomentumForm::HeavyBall, _)) => {
                let m = &momentum * mu + &gradient * (1.0 - conventions.dampening);
                (m.clone(), m)
            }
            (Optimizer::Momentum { .. }, (MomentumForm::Ema, _)) => {
                let m = &momentum * mu + &gradient * (1.0 - mu);
                (m.clone(), m)
            }
            (Optimizer::QuasiHyperbolic { nu, .. }, _) => {
                let m = &momentum * mu + &gradient * (1.0 - mu);
                let step = &gradient * (1.0 - nu) + &m * *nu;
                (m, step)
            }
            (Optimizer::Nesterov { .. }, (_, NesterovForm::Parameters)) => {
                let m = &momentum * mu + &gradient;
                let step = &gradient + &m * mu;
                (m, step)
            }
            (Optimizer::Nesterov { .. }, (_, NesterovForm::LookAhead)) => {
                let m = &momentum * mu + &gradient;
                (m.clone(), m)
            }
            _ => return None,
        };
        let new_theta = &theta - direction * lr - &theta * (lr * wd_d);
        let mut map = DMatrix::zeros(s * d, width);
        map.view_mut((0, 0), (d, width)).copy_from(&new_theta);
        if has_momentum {
            map.view_mut((d, 0), (d, width)).copy_from(&new_momentum);
        }
        Some(Self {
            transition: map.columns(0, s * d).into_owned(),
            input: map.columns(s * d, d).into_owned(),
        })
    }

    /// A and B of Adam, AdamW or RMSprop with the second moment frozen at `second_moment` (v,
    /// the β₂ → 1 limit), composed from the frameworks' step in their own variables, with
    /// D = diag(1/(√v + ε)) (or 1/√(v + ε)) and g = (K + wd_c I)θ + η:
    /// Adam/AdamW m' = β₁m + (1−β₁)g, θ' = (1 − λwd_d)θ − λD m';
    /// RMSprop b' = μb + D g, θ' = θ − λb'. `None` for other optimizers.
    pub fn adaptive(problem: &Problem, second_moment: &DVector<f64>) -> Option<Self> {
        let Optimizer::Adaptive {
            learning_rate: lr,
            method,
        } = problem.optimizer()
        else {
            return None;
        };
        let k = problem.hessian();
        let d = k.nrows();
        let eye = DMatrix::<f64>::identity(d, d);
        let (wd_c, wd_d) = method.decays();
        let k_g = k + &eye * wd_c;
        let scale = DMatrix::from_diagonal(
            &second_moment.map(|v| 1.0 / method.epsilon_placement.denominator(v, method.epsilon)),
        );
        let (a11, a12, a21, a22, b1, b2) = match method.kind {
            AdaptiveKind::RmsProp => {
                let mu = method.momentum;
                let dk = &scale * &k_g;
                (
                    &eye - &dk * *lr,
                    &eye * (-lr * mu),
                    dk,
                    &eye * mu,
                    &scale * -*lr,
                    scale.clone(),
                )
            }
            AdaptiveKind::Adam | AdaptiveKind::AdamW => {
                let b = method.beta1;
                (
                    &eye * (1.0 - lr * wd_d) - &scale * &k_g * (lr * (1.0 - b)),
                    &scale * (-lr * b),
                    &k_g * (1.0 - b),
                    &eye * b,
                    &scale * (-lr * (1.0 - b)),
                    &eye * (1.0 - b),
                )
            }
        };
        Some(Self::from_blocks([a11, a12, a21, a22], [b1, b2]))
    }

    /// A = [[a11, a12], [a21, a22]] and B = [b1; b2] from their D×D blocks.
    fn from_blocks(a: [DMatrix<f64>; 4], b: [DMatrix<f64>; 2]) -> Self {
        let d = a[0].nrows();
        let mut transition = DMatrix::zeros(2 * d, 2 * d);
        for (index, block) in a.iter().enumerate() {
            transition
                .view_mut(((index / 2) * d, (index % 2) * d), (d, d))
                .copy_from(block);
        }
        let mut input = DMatrix::zeros(2 * d, d);
        for (index, block) in b.iter().enumerate() {
            input.view_mut((index * d, 0), (d, d)).copy_from(block);
        }
        Self { transition, input }
    }

    /// The constant drive e of the affine dynamics z' = Az + e + Bη in the coordinates
    /// u = θ − ŵ, when weight decay pulls towards 0 rather than the minimum ŵ of a regression:
    /// e = B·(wd_c ŵ) + (−λ·wd_d ŵ, 0). Zero without weight decay or for ŵ = 0.
    pub fn drive(&self, problem: &Problem, minimum: &DVector<f64>) -> DVector<f64> {
        let (wd_c, wd_d) = problem.conventions().decays();
        let lr = problem.optimizer().learning_rate().unwrap_or(0.0);
        let mut drive = &self.input * (minimum * wd_c);
        let d = minimum.len();
        let mut rows = drive.rows_mut(0, d);
        rows -= minimum * (lr * wd_d);
        drive
    }

    /// Q = B C Bᵀ.
    pub fn noise_input(&self, noise_cov: &DMatrix<f64>) -> DMatrix<f64> {
        symmetrize(&(&self.input * noise_cov * self.input.transpose()))
    }
}

/// Solves P = A P Aᵀ + Q by the Kronecker form (I − A⊗A) vec P = vec Q with a dense LU.
/// O(n⁶): for n ≤ 30 or so. `None` if singular.
pub fn lyapunov_kronecker(a: &DMatrix<f64>, q: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = a.nrows();
    let kron = a.kronecker(a);
    let system = DMatrix::<f64>::identity(n * n, n * n) - kron;
    // Column-major vec: vec(A P Aᵀ) = (A ⊗ A) vec P.
    let rhs = nalgebra::DVector::from_column_slice(q.as_slice());
    let solution = system.lu().solve(&rhs)?;
    Some(symmetrize(&DMatrix::from_column_slice(
        n,
        n,
        solution.as_slice(),
    )))
}

/// Solves P = A P Aᵀ + Q by Smith's doubling, P = Σ_k A^k Q (A^k)ᵀ summed 2^j terms at a time,
/// until the increment is below round-off. Requires ρ(A) < 1; `None` if it does not converge in
/// `max_doublings` (2^max_doublings terms).
pub fn lyapunov_smith(
    a: &DMatrix<f64>,
    q: &DMatrix<f64>,
    max_doublings: usize,
) -> Option<DMatrix<f64>> {
    let mut p = q.clone();
    let mut power = a.clone();
    for _ in 0..max_doublings {
        let increment = &power * &p * power.transpose();
        let size = crate::linalg::max_abs(&p);
        let step = crate::linalg::max_abs(&increment);
        p += increment;
        if !size.is_finite() {
            return None;
        }
        if step <= f64::EPSILON * 1e-2 * size {
            return Some(symmetrize(&p));
        }
        power = &power * &power;
    }
    None
}
