//! Sec. 6.2 and Appendix B: the escaping efficiency E = E[L(w_t) − L(w_0)] of Zhu et al., starting
//! at the minimum w_0 = 0, in continuous and discrete time.

use nalgebra::DMatrix;

use super::{
    check_learning_rate, check_noise, finite_scalar, geometric_sum, require_stable, spectral_trace,
    validate, ClosedFormError, FieldError,
};

/// Eq. 40: E_c(t) = λ/4 · Tr[(I − e^{−2λKt})C], the continuous-time efficiency at time t ≥ 0
/// (any K, C).
///
/// # Errors
/// Invalid inputs, or t negative / not finite.
pub fn continuous_efficiency(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    time: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    if !(time.is_finite() && time >= 0.0) {
        return Err(FieldError::new("t", time.to_string(), "a finite number ≥ 0").into());
    }
    let lr = learning_rate;
    let trace = spectral_trace(&eigen, noise_cov, |k| -(-2.0 * lr * k * time).exp_m1());
    finite_scalar(0.25 * lr * trace, "E_c (Eq. 40)")
}

/// Eq. 41: E_d(t) = λ²/2 · Σ_{i<t} Tr[CK(I − λK)^{2i}]
///              = λ/4 · Tr[(I − λK/2)⁻¹ [I − (I − λK)^{2t}] C],
/// the exact discrete-time efficiency after t steps from w_0 = 0 (any K, C; both lines correct,
/// `ERRATA.md`; Eq. 71 lacks the λ²). Equals ½Tr\[KΣ_t\]. E_d(1) = λ²/2·Tr\[KC\] (Eq. 72).
///
/// Finite time needs no stability: any λ > 0 is accepted (past λk* = 2 it grows
/// geometrically), evaluated without cancellation near λk = 0 and λk = 2.
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::NotFinite`] on overflow.
pub fn discrete_efficiency(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
    steps: u64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    let lr = learning_rate;
    let trace = spectral_trace(&eigen, noise_cov, |k| k * geometric_sum(lr * k, steps));
    finite_scalar(0.5 * lr * lr * trace, "E_d (Eq. 41)")
}

/// The t → ∞ limit of Eq. 40: E_c = λ/4 · Tr C, independent of the Hessian.
///
/// # Errors
/// Invalid C or λ.
pub fn continuous_efficiency_limit(
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<f64, ClosedFormError> {
    check_noise(noise_cov, noise_cov.nrows())?;
    check_learning_rate(learning_rate)?;
    Ok(0.25 * learning_rate * noise_cov.trace())
}

/// The t → ∞ limit of Eq. 41 (Eq. 73): E_d = λ/2 · Tr[(2I − λK)⁻¹C], SGD's stationary
/// training loss.
///
/// # Errors
/// Invalid inputs, or [`ClosedFormError::Unstable`] unless λk* < 2.
pub fn discrete_efficiency_limit(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<f64, ClosedFormError> {
    let eigen = validate(hessian, noise_cov, learning_rate)?;
    require_stable(learning_rate * eigen.values.max(), 2.0, "λk* < 2")?;
    let lr = learning_rate;
    let trace = spectral_trace(&eigen, noise_cov, |k| 1.0 / (2.0 - lr * k));
    finite_scalar(0.5 * lr * trace, "E_d (Eq. 73)")
}
