//! Table 1, "this work": the exact discrete-time stationary covariance and training loss of SGD
//! (Sec. 4.1), SGD with momentum (Sec. 4.2) and QHM (Sec. 6.4, with the corrected h(K)).

use nalgebra::DMatrix;

use super::{
    check_commutation, check_learning_rate, check_momentum, check_nonnegative, check_nu,
    finite_matrix, finite_scalar, hessian_eigen, pair_apply, require_stable, spectral_apply,
    spectral_trace, validate, ClosedFormError, Commutation,
};

/// SGD's stability threshold on λk* (Sec. 4.5 with μ = 0): λk* < 2, strictly.
pub fn sgd_threshold() -> f64 {
    2.0
}

/// SGDM's stability threshold on λk* (Sec. 4.5): λk* < 2(1+μ), strictly, and necessary *and*
/// sufficient (`ERRATA.md`, "Correct as printed"; the paper writes ≤).
pub fn momentum_threshold(momentum: f64) -> f64 {
    2.0 * (1.0 + momentum)
}

/// QHM's stability threshold on λk*: λk* < 2(1+μ)/(1+μ−2μν) (`ERRATA.md`, QHM; not in the
/// paper). ν = 0 gives SGD's 2, ν = 1 gives 2(1+μ)/(1−μ), i.e. SGDM's bound for λ(1−μ).
pub fn qhm_threshold(momentum: f64, nu: f64) -> f64 {
    2.0 * (1.0 + momentum) / (1.0 + momentum - 2.0 * momentum * nu)
}

fn stable_sgd(eigen_max: f64, learning_rate: f64) -> Result<(), ClosedFormError> {
    require_stable(learning_rate * eigen_max, sgd_threshold(), "λk* < 2")
}

fn stable_momentum(
    eigen_max: f64,
    learning_rate: f64,
    momentum: f64,
) -> Result<(), ClosedFormError> {
    require_stable(
        learning_rate * eigen_max,
        momentum_threshold(momentum),
        "λk* < 2(1+μ)",
    )
}

fn stable_qhm(
    eigen_max: f64,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<(), ClosedFormError> {
    require_stable(
        learning_rate * eigen_max,
        qhm_threshold(momentum, nu),
        "λk* < 2(1+μ)/(1+μ−2μν)",
    )
}

/// Theorem 1 / Eq. 8: the exact SGD covariance for **any** K and C (`ERRATA.md`: Eq. 8 holds
/// for non-commuting C), the solution of ΣK + KΣ − λKΣK = λC. In K's eigenbasis
/// Σ̃_ij = λ c̃_ij / (k_i + k_j − λ k_i k_j).
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2.
pub fn sgd_lyapunov_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    momentum_lyapunov_sigma(hessian, noise_cov, learning_rate, 0.0)
}

/// Theorem 2 / Eq. 16: the exact SGDM covariance for **any** K, C and μ (`ERRATA.md`: Eq. 16
/// and 17 are correct for non-commuting C), the solution of
/// (1−μ)λ(KΣ + ΣK) − (1+μ²)/(1−μ²)·λ²KΣK + μ/(1−μ²)·λ²(K²Σ + ΣK²) = λ²C.
/// In K's eigenbasis Σ̃_ij = λ c̃_ij / d_ij with
/// d_ij = (1−μ)[k_i(1 − λk_j/(2(1+μ))) + k_j(1 − λk_i/(2(1+μ)))] + λμ(k_i−k_j)²/(1−μ²),
/// a sum of positive terms below the stability edge (no cancellation).
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2(1+μ).
pub fn momentum_lyapunov_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    stable_momentum(eigen.values.max(), learning_rate, momentum)?;
    let (lr, mu) = (learning_rate, momentum);
    let half_rate = lr / (2.0 * (1.0 + mu));
    let cross = lr * mu / (1.0 - mu * mu);
    let gain = |a: f64, b: f64| {
        let denominator = (1.0 - mu) * (a * (1.0 - half_rate * b) + b * (1.0 - half_rate * a))
            + cross * (a - b) * (a - b);
        lr / denominator
    };
    finite_matrix(pair_apply(&eigen, noise_cov, gain), "Σ (Eq. 16)")
}

/// Corollary 1 (Table 1, this work, SGD): Σ = λ[K(2I − λK)]⁻¹C.
///
/// Requires [C, K] = 0 (`ERRATA.md`: "it is 48% off otherwise"), checked unless `commutation`
/// is [`Commutation::Ignore`]. For general C use [`sgd_lyapunov_sigma`].
///
/// # Errors
/// Invalid inputs, [`ClosedFormError::Unstable`] unless λk* < 2, or
/// [`ClosedFormError::NotCommuting`].
pub fn sgd_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    stable_sgd(eigen.values.max(), learning_rate)?;
    check_commutation(hessian, noise_cov, commutation)?;
    let lr = learning_rate;
    finite_matrix(
        spectral_apply(&eigen, noise_cov, |k| lr / (k * (2.0 - lr * k))),
        "Σ (Corollary 1)",
    )
}

/// Corollary 2 = Eq. 18, first line (Table 1, this work, SGDM):
/// Σ = [λK/(1+μ) · (2I − λK/(1+μ))]⁻¹ · λ²C/(1−μ²).
///
/// Requires [C, K] = 0, checked unless `commutation` is [`Commutation::Ignore`]. For general C
/// use [`momentum_lyapunov_sigma`].
///
/// # Errors
/// Invalid inputs, [`ClosedFormError::Unstable`] unless λk* < 2(1+μ), or
/// [`ClosedFormError::NotCommuting`].
pub fn momentum_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    stable_momentum(eigen.values.max(), learning_rate, momentum)?;
    check_commutation(hessian, noise_cov, commutation)?;
    let (lr, mu) = (learning_rate, momentum);
    let phi = |k: f64| {
        let x = lr * k / (1.0 + mu);
        lr * lr / ((1.0 - mu * mu) * x * (2.0 - x))
    };
    finite_matrix(spectral_apply(&eigen, noise_cov, phi), "Σ (Corollary 2)")
}

/// The rescaling of Eq. 19: λ̃ = λ/(1+μ), C̃ = (1+μ)/(1−μ) · C, returned as (λ̃, C̃).
///
/// With it, and only when [C, K] = 0 (`ERRATA.md`: Eq. 20 is 33% off otherwise), SGDM's Σ is
/// SGD's with (λ̃, C̃): see [`momentum_sigma_rescaled`].
///
/// # Errors
/// λ ≤ 0 or μ ∉ [0, 1).
pub fn momentum_rescaling(
    learning_rate: f64,
    momentum: f64,
    noise_cov: &DMatrix<f64>,
) -> Result<(f64, DMatrix<f64>), ClosedFormError> {
    check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    Ok((
        learning_rate / (1.0 + momentum),
        noise_cov * ((1.0 + momentum) / (1.0 - momentum)),
    ))
}

/// Eq. 18, second line, **corrected**: Σ = λ̃[K(2I − λ̃K)]⁻¹C̃ with (λ̃, C̃) of Eq. 19.
///
/// `ERRATA.md`, "Typos", Eq. 18 2nd line: the print [λ̃K(2I−λ̃K)]⁻¹C̃ lacks a factor λ̃ (it should
/// read [λ̃K(2I−λ̃K)]⁻¹λ̃²C̃). Equal to [`momentum_sigma`]; requires [C, K] = 0.
///
/// # Errors
/// As [`momentum_sigma`].
pub fn momentum_sigma_rescaled(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let (rescaled_rate, rescaled_noise) = momentum_rescaling(learning_rate, momentum, noise_cov)?;
    // λ̃k* < 2 ⇔ λk* < 2(1+μ): report the condition in the caller's λ.
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    stable_momentum(eigen.values.max(), learning_rate, momentum)?;
    sgd_sigma(hessian, &rescaled_noise, rescaled_rate, commutation)
}

/// Theorem 3 / Eq. 24: for C = σ²I + aK (which commutes with K),
/// Σ = λ(σ²I + aK)[K(2I − λK)]⁻¹.
///
/// # Errors
/// Invalid K, λ ≤ 0, σ² < 0 or a < 0 (C must be PSD), or [`ClosedFormError::Unstable`]
/// unless λk* < 2.
pub fn mixed_noise_sigma(
    hessian: &DMatrix<f64>,
    white_variance: f64,
    hessian_scale: f64,
    learning_rate: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    check_nonnegative("sigma2", white_variance)?;
    check_nonnegative("a", hessian_scale)?;
    check_learning_rate(learning_rate)?;
    stable_sgd(eigen.values.max(), learning_rate)?;
    let lr = learning_rate;
    finite_matrix(
        eigen.map(|k| lr * (white_variance + hessian_scale * k) / (k * (2.0 - lr * k))),
        "Σ (Theorem 3)",
    )
}

/// Corollary 4 (Theorem 3 with σ² = 0, minibatch-like noise C = aK): Σ = aλ(2I − λK)⁻¹.
///
/// # Errors
/// As [`mixed_noise_sigma`].
pub fn hessian_noise_sigma(
    hessian: &DMatrix<f64>,
    hessian_scale: f64,
    learning_rate: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    check_nonnegative("a", hessian_scale)?;
    check_learning_rate(learning_rate)?;
    stable_sgd(eigen.values.max(), learning_rate)?;
    let lr = learning_rate;
    finite_matrix(
        eigen.map(|k| hessian_scale * lr / (2.0 - lr * k)),
        "Σ (Corollary 4)",
    )
}

/// Corollary 5 (Theorem 3 with a = 0, white noise C = σ²I): Σ = σ²λ[K(2I − λK)]⁻¹.
///
/// # Errors
/// As [`mixed_noise_sigma`].
pub fn white_noise_sigma(
    hessian: &DMatrix<f64>,
    white_variance: f64,
    learning_rate: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    mixed_noise_sigma(hessian, white_variance, 0.0, learning_rate)
}

/// Table 1, this work, SGD approximation error (Eq. 27 with μ = 0, Eq. 73):
/// ½Tr\[KΣ\] = λ/2 · Tr[(2I − λK)⁻¹C], for **any** K and C.
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2.
pub fn sgd_train_loss(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<f64, ClosedFormError> {
    momentum_train_loss(hessian, noise_cov, learning_rate, 0.0)
}

/// Eq. 27 (Table 1, this work, SGDM): the training loss
/// ½Tr\[KΣ\] = λ/(4(1−μ)) · Tr[(I − λK/(2(1+μ)))⁻¹C], for **any** K, C and μ (`ERRATA.md`:
/// "Eq. 27 for any K, C with momentum"; Eq. 26's missing λ is a typo that does not reach Eq. 27).
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2(1+μ).
pub fn momentum_train_loss(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    stable_momentum(eigen.values.max(), learning_rate, momentum)?;
    let (lr, mu) = (learning_rate, momentum);
    let trace = spectral_trace(&eigen, noise_cov, |k| {
        1.0 / (1.0 - lr * k / (2.0 * (1.0 + mu)))
    });
    finite_scalar(lr / (4.0 * (1.0 - mu)) * trace, "training loss (Eq. 27)")
}

/// The corrected QHM h(k) at one eigenvalue, as numerator/denominator-safe scalar.
fn qhm_h_scalar(k: f64, lr: f64, mu: f64, nu: f64) -> f64 {
    let beta = lr * mu * (1.0 - nu);
    let gamma = 1.0 + mu - 2.0 * mu * nu;
    lr * k * ((1.0 - mu) + beta * k) * (2.0 * (1.0 + mu) - lr * gamma * k)
        / ((1.0 - mu * mu) + beta * gamma * k)
}

/// QHM's h(K), **corrected** (`ERRATA.md`, "Wrong", QHM Eq. 54–57): with β = λμ(1−ν),
/// h(K) = λK[(1−μ)I + βK][2(1+μ)I − λ(1+μ−2μν)K][(1−μ²)I + β(1+μ−2μν)K]⁻¹.
///
/// Then Σ = λ²h(K)⁻¹C when [C, K] = 0 ([`qhm_sigma`]) and ½Tr\[KΣ\] = λ²/2·Tr[h(K)⁻¹KC] for any
/// C ([`qhm_train_loss`]). Checks: ν = 0 gives λK(2I−λK) (SGD), ν = 1 gives
/// λK(2I − λ(1−μ)K/(1+μ)) (SGDM with learning rate λ(1−μ)). h is positive definite exactly
/// below QHM's stability edge ([`qhm_threshold`]); this function does not check stability.
///
/// # Errors
/// Invalid K, λ ≤ 0, μ ∉ [0, 1), ν ∉ [0, 1].
pub fn qhm_h(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    finite_matrix(
        eigen.map(|k| qhm_h_scalar(k, learning_rate, momentum, nu)),
        "h(K)",
    )
}

/// h(k) of Eq. 57 **as printed**, at one eigenvalue (with a, b, c, d, α, A of Eq. 55).
fn qhm_h_printed_scalar(k: f64, lr: f64, mu: f64, nu: f64) -> f64 {
    let a = -2.0 * mu * (1.0 + mu);
    let b = lr * mu * mu * (1.0 - nu);
    let c = lr * lr * (1.0 - mu * mu - 2.0 * mu * nu * (1.0 - mu));
    let d = 1.0 + mu * (mu - 2.0 * nu - 2.0 * mu * nu * (1.0 - nu));
    let alpha = lr * (1.0 - nu + nu * (1.0 - mu));
    let a_k = mu * (1.0 - lr * (1.0 - nu) * k);
    let f = 2.0 * (1.0 - mu * mu) * k + lr * (-2.0 + mu * (3.0 + mu * (2.0 - 3.0 * nu))) * k * k;
    let g = 2.0 * (1.0 - mu * mu) + 2.0 * lr * (-1.0 + mu * (2.0 + mu - 2.0 * mu * nu)) * k
        - 2.0 * lr * mu * (1.0 - nu) * alpha * k * k;
    let bracket = (mu * (1.0 + mu) * f + lr * (1.0 - mu * nu * (2.0 + mu)) * g) / (1.0 - a_k * a_k);
    (bracket + a + 2.0 * b * k + c * k * k) / d
}

/// h(K) of Eq. 57 **as printed** — wrong (`ERRATA.md`: "Eq. 57's h(K) gives Σ off by up to
/// 30×"); kept only to show the discrepancy. Use [`qhm_h`].
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::NotFinite`] where the printed (I − A²)⁻¹ is singular.
pub fn qhm_h_as_printed(
    hessian: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    check_learning_rate(learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    finite_matrix(
        eigen.map(|k| qhm_h_printed_scalar(k, learning_rate, momentum, nu)),
        "h(K) (Eq. 57 as printed)",
    )
}

/// Table 1, this work, QHM, **corrected**: Σ = λ²h(K)⁻¹C with the corrected [`qhm_h`].
///
/// Requires [C, K] = 0, checked unless `commutation` is [`Commutation::Ignore`] (for general C
/// use [`crate::solver::stationary`] with `Optimizer::QuasiHyperbolic`).
///
/// # Errors
/// Invalid inputs, [`ClosedFormError::Unstable`] unless λk* < 2(1+μ)/(1+μ−2μν), or
/// [`ClosedFormError::NotCommuting`].
pub fn qhm_sigma(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
    commutation: Commutation,
) -> Result<DMatrix<f64>, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    stable_qhm(eigen.values.max(), learning_rate, momentum, nu)?;
    check_commutation(hessian, noise_cov, commutation)?;
    let lr = learning_rate;
    let phi = |k: f64| lr * lr / qhm_h_scalar(k, lr, momentum, nu);
    finite_matrix(spectral_apply(&eigen, noise_cov, phi), "Σ (QHM)")
}

/// Eq. 56 with the **corrected** h(K) ([`qhm_h`]): the QHM training loss
/// ½Tr\[KΣ\] = λ²/2 · Tr[h(K)⁻¹KC], for **any** K and C (`ERRATA.md`: "Eq. 56's form is right").
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2(1+μ)/(1+μ−2μν).
pub fn qhm_train_loss(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    stable_qhm(eigen.values.max(), learning_rate, momentum, nu)?;
    let lr = learning_rate;
    let trace = spectral_trace(&eigen, noise_cov, |k| k / qhm_h_scalar(k, lr, momentum, nu));
    finite_scalar(0.5 * lr * lr * trace, "training loss (Eq. 56)")
}

/// Eq. 56 with Eq. 57's h(K) **as printed** ([`qhm_h_as_printed`]) — wrong; kept only to show
/// the discrepancy. Use [`qhm_train_loss`].
///
/// # Errors
/// As [`qhm_train_loss`], or [`ClosedFormError::NotFinite`].
pub fn qhm_train_loss_as_printed(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    momentum: f64,
    nu: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    check_momentum(momentum)?;
    check_nu(nu)?;
    stable_qhm(eigen.values.max(), learning_rate, momentum, nu)?;
    let lr = learning_rate;
    let trace = spectral_trace(&eigen, noise_cov, |k| {
        k / qhm_h_printed_scalar(k, lr, momentum, nu)
    });
    finite_scalar(
        0.5 * lr * lr * trace,
        "training loss (Eq. 56 with the printed Eq. 57)",
    )
}
