//! Sec. 6.5: the stationary distributions of damped Newton (DNM, Λ = λK⁻¹) and natural gradient
//! descent (NGD, Λ = λ(KΣK)⁻¹), both as preconditioned SGDM (Corollary 3).

use nalgebra::DMatrix;

use super::{
    check_batch, check_momentum, finite_matrix, finite_scalar, hessian_eigen, require_stable,
    spectral_trace, symmetrize, validate, ClosedFormError, SymmetricEigen,
};

fn stable_damped_newton(learning_rate: f64, momentum: f64) -> Result<(), ClosedFormError> {
    // ΛK = λI: the SGDM bound on the preconditioned curvature.
    require_stable(learning_rate, 2.0 * (1.0 + momentum), "λ < 2(1+μ)")
}

/// DNM's scalar factor (1+μ)/(1−μ) · λ/(2(1+μ) − λ).
fn damped_newton_factor(learning_rate: f64, momentum: f64) -> f64 {
    (1.0 + momentum) / (1.0 - momentum) * learning_rate / (2.0 * (1.0 + momentum) - learning_rate)
}

/// Eq. 58 (Table 1, DNM): Σ = (1+μ)/(1−μ) · λ/(2(1+μ) − λ) · K⁻¹CK⁻¹, for **any** C (Corollary 3
/// with Λ = λK⁻¹ reduces to SGDM on K' = λI; Table 1 writes K⁻²C for commuting C).
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λ < 2(1+μ).
pub fn damped_newton_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    stable_damped_newton(learning_rate, momentum)?;
    let inverse = eigen.map(|k| 1.0 / k);
    let sigma = symmetrize(&(&inverse * noise_cov * &inverse))
        * damped_newton_factor(learning_rate, momentum);
    finite_matrix(sigma, "Σ (Eq. 58)")
}

/// Eq. 59: DNM with minibatch noise C = (N−S)/(NS) · K (`ERRATA.md`: the text's (N−S)/S is a
/// typo; Eq. 59 itself is right): Σ = (1+μ)/(1−μ) · λ/(2(1+μ) − λ) · (N−S)/(NS) · K⁻¹.
///
/// # Errors
/// Invalid K, λ ≤ 0, μ ∉ [0, 1), not 1 ≤ S < N, or [`ClosedFormError::Unstable`] unless
/// λ < 2(1+μ).
pub fn damped_newton_sigma_minibatch(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    dataset_size: usize,
    batch_size: usize,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    super::check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    let noise_scale = check_batch(dataset_size, batch_size)?;
    stable_damped_newton(learning_rate, momentum)?;
    let factor = damped_newton_factor(learning_rate, momentum) * noise_scale;
    finite_matrix(eigen.map(|k| factor / k), "Σ (Eq. 59)")
}

/// Eq. 60, first line (Table 1, DNM approximation error), any C:
/// ½Tr\[KΣ\] = (1+μ)/(1−μ) · λ/(4(1+μ) − 2λ) · Tr[K⁻¹C].
///
/// # Errors
/// As [`damped_newton_sigma`].
pub fn damped_newton_train_loss(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    stable_damped_newton(learning_rate, momentum)?;
    let trace = spectral_trace(&eigen, noise_cov, |k| 1.0 / k);
    finite_scalar(
        0.5 * damped_newton_factor(learning_rate, momentum) * trace,
        "training loss (Eq. 60)",
    )
}

/// Eq. 60, second line (minibatch noise C = (N−S)/(NS)·K):
/// ½Tr\[KΣ\] = (1+μ)/(1−μ) · Dλ/(4(1+μ) − 2λ) · (N−S)/(NS), with D = `hessian`'s dimension.
///
/// # Errors
/// As [`damped_newton_sigma_minibatch`].
pub fn damped_newton_train_loss_minibatch(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    dataset_size: usize,
    batch_size: usize,
) -> Result<f64, ClosedFormError> {
    hessian_eigen(hessian)?;
    super::check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    let noise_scale = check_batch(dataset_size, batch_size)?;
    stable_damped_newton(learning_rate, momentum)?;
    let d = hessian.nrows() as f64;
    finite_scalar(
        0.5 * d * damped_newton_factor(learning_rate, momentum) * noise_scale,
        "training loss (Eq. 60)",
    )
}

/// The pieces of Eq. 62 in K's symmetric frame: K^{−1/2}, the eigen-decomposition of
/// M = α²I + βK^{−1/2}CK^{−1/2} (similar to Q² = α²I + βCK⁻¹), α = λ/(2(1+μ)), β = 2λ/(1−μ).
struct NaturalGradientFrame {
    inverse_root: DMatrix<f64>,
    inner: SymmetricEigen,
    alpha: f64,
}

fn natural_gradient_frame(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<NaturalGradientFrame, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    let alpha = learning_rate / (2.0 * (1.0 + momentum));
    let beta = 2.0 * learning_rate / (1.0 - momentum);
    let inverse_root = eigen.map(|k| 1.0 / k.sqrt());
    let whitened = symmetrize(&(&inverse_root * noise_cov * &inverse_root));
    let mut inner = SymmetricEigen::new(&whitened);
    inner
        .values
        .apply(|v| *v = alpha * alpha + beta * v.max(0.0));
    // Stability: ΛK = λK⁻¹Σ⁻¹ has largest eigenvalue 2λ/(√(α² + βv_min) + α), where v_min is
    // the smallest eigenvalue of K^{−1/2}CK^{−1/2}; it equals 2(1+μ) exactly when C is singular
    // (`ERRATA.md`, "NGD without noise": a marginal period-2 oscillation, not a stationary state).
    let smallest = inner.values.min();
    require_stable(
        2.0 * learning_rate / (smallest.sqrt() + alpha),
        2.0 * (1.0 + momentum),
        "max eig(ΛK) < 2(1+μ), i.e. C positive definite",
    )?;
    Ok(NaturalGradientFrame {
        inverse_root,
        inner,
        alpha,
    })
}

/// Eq. 62 (Table 1, NGD): Σ = ½K⁻¹[Q + λ/(2(1+μ)) I], Q = [λ²/(4(1+μ)²) I + 2λ/(1−μ) CK⁻¹]^{1/2},
/// for constant noise C — valid for **non-commuting** C too (`ERRATA.md`), evaluated in the
/// symmetric form Σ = ½K^{−1/2}[(α²I + βK^{−1/2}CK^{−1/2})^{1/2} + αI]K^{−1/2} with
/// α = λ/(2(1+μ)), β = 2λ/(1−μ) (the same matrix: K^{−1/2}QK^{1/2} is the symmetric root).
///
/// NGD's Λ = λ(KΣK)⁻¹ with this Σ is self-consistent; the dynamics is stable for every λ as long
/// as C is positive definite.
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] when C is singular (the noiseless
/// directions sit exactly on the edge ΛK = 2(1+μ)).
pub fn natural_gradient_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let frame = natural_gradient_frame(hessian, noise_cov, learning_rate, momentum)?;
    let alpha = frame.alpha;
    let middle = frame.inner.map(|v| v.sqrt() + alpha);
    let sigma = symmetrize(&(&frame.inverse_root * middle * &frame.inverse_root * 0.5));
    finite_matrix(sigma, "Σ (Eq. 62)")
}

/// Eq. 64, first line (Table 1, NGD approximation error): ½Tr\[KΣ\] = ¼Tr[Q + λ/(2(1+μ)) I], any C.
///
/// # Errors
/// As [`natural_gradient_sigma`].
pub fn natural_gradient_train_loss(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<f64, ClosedFormError> {
    let frame = natural_gradient_frame(hessian, noise_cov, learning_rate, momentum)?;
    let trace: f64 = frame
        .inner
        .values
        .iter()
        .map(|v| v.sqrt() + frame.alpha)
        .sum();
    finite_scalar(0.25 * trace, "training loss (Eq. 64)")
}

/// NGD's factor λ[(1+μ)s + 1 − μ]/(2(1−μ²)), s = (N−S)/(NS), after checking stability:
/// ΛK = 2(1−μ²)/((1+μ)s + 1 − μ) · I must stay below 2(1+μ), i.e. s > 0.
fn natural_gradient_fisher_factor(
    learning_rate: f64,
    momentum: f64,
    dataset_size: usize,
    batch_size: usize,
) -> Result<f64, ClosedFormError> {
    super::check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    let s = check_batch(dataset_size, batch_size)?;
    let mu = momentum;
    require_stable(
        2.0 * (1.0 - mu * mu) / ((1.0 + mu) * s + 1.0 - mu),
        2.0 * (1.0 + mu),
        "ΛK < 2(1+μ), i.e. S < N",
    )?;
    Ok(learning_rate * ((1.0 + mu) * s + 1.0 - mu) / (2.0 * (1.0 - mu * mu)))
}

/// Eq. 63: NGD with its own minibatch (Fisher) noise C = (N−S)/(NS) · KΣK:
/// Σ = λ[(1+μ)(N−S)/(NS) + 1 − μ]/(2(1−μ²)) · K⁻¹. Stable for every λ when S < N;
/// S = N is the marginal noiseless case (`ERRATA.md`), rejected.
///
/// # Errors
/// Invalid K, λ ≤ 0, μ ∉ [0, 1), not 1 ≤ S < N.
pub fn natural_gradient_sigma_fisher(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    dataset_size: usize,
    batch_size: usize,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    let factor = natural_gradient_fisher_factor(learning_rate, momentum, dataset_size, batch_size)?;
    finite_matrix(eigen.map(|k| factor / k), "Σ (Eq. 63)")
}

/// Eq. 64, second line, **corrected** (`ERRATA.md`, "Typos": the printed (N−S)/(N−S) is
/// (N−S)/(NS)): ½Tr\[KΣ\] = λ[(1+μ)(N−S)/(NS) + 1 − μ]/(4(1−μ²)) · D, D = `hessian`'s dimension.
///
/// # Errors
/// As [`natural_gradient_sigma_fisher`].
pub fn natural_gradient_train_loss_fisher(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    dataset_size: usize,
    batch_size: usize,
) -> Result<f64, ClosedFormError> {
    hessian_eigen(hessian)?;
    let factor = natural_gradient_fisher_factor(learning_rate, momentum, dataset_size, batch_size)?;
    finite_scalar(
        0.5 * factor * hessian.nrows() as f64,
        "training loss (Eq. 64)",
    )
}
