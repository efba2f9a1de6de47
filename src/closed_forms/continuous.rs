//! Table 1, "previous work": the continuous-time theory of Eq. 3–4 (Mandt et al. 2017; Gitman et
//! al. 2019), the λ → 0 limit of the discrete results in [`discrete`](super::discrete).

use nalgebra::DMatrix;

use super::{
    check_commutation, check_learning_rate, check_momentum, check_noise, check_nu, finite_matrix,
    pair_apply, spectral_apply, spectral_trace, validate, ClosedFormError, Commutation,
};

/// Σ of the Ornstein–Uhlenbeck process, Eq. 4: the exact solution of
/// ΣK + KΣ = λ/(1−μ) · C for **any** K and C (a continuous Lyapunov equation; in K's
/// eigenbasis Σ̃_ij = λ c̃_ij / ((1−μ)(k_i + k_j))).
///
/// For [C, K] = 0 it reduces to Table 1's λ/(2(1−μ)) K⁻¹C ([`momentum_sigma`]).
///
/// # Errors
/// Invalid K (not SPD), C (not symmetric PSD, wrong size), λ ≤ 0 or μ ∉ [0, 1).
pub fn ornstein_uhlenbeck_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    let scale = learning_rate / (1.0 - momentum);
    finite_matrix(
        pair_apply(&eigen, noise_cov, |a, b| scale / (a + b)),
        "continuous-time Σ",
    )
}

/// Table 1, previous work, SGD (Mandt et al.): Σ = λ/2 · K⁻¹C.
///
/// Requires [C, K] = 0 (checked unless `commutation` is [`Commutation::Ignore`]); for general C
/// use [`ornstein_uhlenbeck_sigma`] with μ = 0.
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::NotCommuting`].
pub fn sgd_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    momentum_sigma(hessian, noise_cov, learning_rate, 0.0, commutation)
}

/// Table 1, previous work, SGDM (Mandt et al.): Σ = λ/(2(1−μ)) · K⁻¹C.
///
/// Requires [C, K] = 0 (checked unless `commutation` is [`Commutation::Ignore`]); for general C
/// use [`ornstein_uhlenbeck_sigma`].
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::NotCommuting`].
pub fn momentum_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    check_commutation(hessian, noise_cov, commutation)?;
    let scale = learning_rate / (2.0 * (1.0 - momentum));
    finite_matrix(
        spectral_apply(&eigen, noise_cov, |k| scale / k),
        "continuous-time Σ",
    )
}

/// Table 1, previous work, QHM, **corrected**: Σ = λ/2 · K⁻¹C (+ O(λ²)), independent of μ and ν.
///
/// `ERRATA.md`, "Table 1, previous work QHM Σ": for the normalised QHM of Eq. 53 the small-λ
/// result is λ/2·K⁻¹C, not the printed λ/(2(1−μ))K⁻¹C ([`qhm_sigma_as_printed`]). (The corrected
/// h(K) of [`super::discrete::qhm_h`] gives h ≈ 2λK for λ → 0.)
///
/// Requires [C, K] = 0 (checked unless `commutation` is [`Commutation::Ignore`]).
///
/// # Errors
/// Invalid inputs (also μ ∉ [0, 1), ν ∉ [0, 1]), or [`ClosedFormError::NotCommuting`].
pub fn qhm_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    check_momentum(momentum)?;
    check_nu(nu)?;
    momentum_sigma(hessian, noise_cov, learning_rate, 0.0, commutation)
}

/// Table 1, previous work, QHM **as printed**: λ/(2(1−μ)) · K⁻¹C. Wrong for μ > 0 by the factor
/// 1/(1−μ) (`ERRATA.md`); kept to show the discrepancy. Use [`qhm_sigma`].
///
/// # Errors
/// As [`qhm_sigma`].
pub fn qhm_sigma_as_printed(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    check_nu(nu)?;
    momentum_sigma(hessian, noise_cov, learning_rate, momentum, commutation)
}

/// The continuous-time training loss (approximation error) ½Tr\[KΣ\] = λ/(4(1−μ)) · Tr C
/// (Sec. 4.4, after Eq. 27), exact for the Ornstein–Uhlenbeck Σ of any K and C (take the trace
/// of Eq. 4).
///
/// # Errors
/// Invalid C (not square symmetric PSD), λ ≤ 0, μ ∉ [0, 1).
pub fn train_loss(
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<f64, ClosedFormError> {
    check_noise(noise_cov, noise_cov.nrows())?;
    check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    Ok(learning_rate / (4.0 * (1.0 - momentum)) * noise_cov.trace())
}

/// Table 1, previous work, SGD approximation error (Gitman et al.):
/// λ/4 · Tr C + λ²/8 · Tr\[KC\], the O(λ²) expansion of the exact λ/2·Tr[(2I−λK)⁻¹C]; any K, C.
///
/// # Errors
/// Invalid inputs.
pub fn sgd_train_loss_expansion(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<f64, ClosedFormError> {
    momentum_train_loss_expansion(hessian, noise_cov, learning_rate, 0.0)
}

/// Table 1, previous work, SGDM approximation error:
/// λ/(4(1−μ)) · Tr C + λ²/(8(1−μ²)) · Tr\[KC\]; any K, C.
///
/// # Errors
/// Invalid inputs.
pub fn momentum_train_loss_expansion(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    let lr = learning_rate;
    let trace_kc = spectral_trace(&eigen, noise_cov, |k| k);
    Ok(lr / (4.0 * (1.0 - momentum)) * noise_cov.trace()
        + lr * lr / (8.0 * (1.0 - momentum * momentum)) * trace_kc)
}

/// Table 1, previous work, QHM approximation error (Gitman et al.; correct as printed, it agrees
/// with the λ-expansion of the corrected Eq. 56):
/// λ/4 · Tr C + λ²/8 · [1 + 2μν/(1−μ) · (2μν/(1+μ) − 1)] · Tr\[KC\]; any K, C.
///
/// # Errors
/// Invalid inputs (also ν ∉ [0, 1]).
pub fn qhm_train_loss_expansion(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    let (lr, mu) = (learning_rate, momentum);
    let factor = 1.0 + 2.0 * mu * nu / (1.0 - mu) * (2.0 * mu * nu / (1.0 + mu) - 1.0);
    let trace_kc = spectral_trace(&eigen, noise_cov, |k| k);
    Ok(lr / 4.0 * noise_cov.trace() + lr * lr / 8.0 * factor * trace_kc)
}
