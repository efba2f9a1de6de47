//! The 1-D closed forms behind Figures 1–2 (k > 0 the curvature, σ² the noise variance; for
//! Fig. 2(b)'s minibatch noise pass σ² = a·k).

use super::{
    check_learning_rate, check_momentum, check_nonnegative, check_positive, finite_scalar,
    geometric_sum, require_stable, ClosedFormError, FieldError,
};

fn check(curvature: f64, learning_rate: f64, noise_variance: f64) -> Result<(), ClosedFormError> {
    check_positive("k", curvature)?;
    check_learning_rate(learning_rate)?;
    check_nonnegative("sigma2", noise_variance)
}

/// Eq. 2: the noiseless discrete trajectory w_t = (1 − λk)^t w_0 (decays for λk < 2,
/// oscillates for 1 < λk < 2).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, or w_0 not finite.
pub fn discrete_trajectory(
    curvature: f64,
    learning_rate: f64,
    start: f64,
    steps: u64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, 0.0)?;
    if !start.is_finite() {
        return Err(FieldError::new("w0", start.to_string(), "a finite number").into());
    }
    // powf with an integral exponent is exact in sign for a negative base (IEEE pow).
    let factor = (1.0 - learning_rate * curvature).powf(steps as f64);
    finite_scalar(factor * start, "w_t (Eq. 2)")
}

/// The continuous-time trajectory w(t) = w_0 e^{−λkt} (Sec. 2).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, w_0 or t not finite.
pub fn continuous_trajectory(
    curvature: f64,
    learning_rate: f64,
    start: f64,
    time: f64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, 0.0)?;
    if !start.is_finite() {
        return Err(FieldError::new("w0", start.to_string(), "a finite number").into());
    }
    if !time.is_finite() {
        return Err(FieldError::new("t", time.to_string(), "a finite number").into());
    }
    finite_scalar(start * (-learning_rate * curvature * time).exp(), "w(t)")
}

/// Corollary 5 in 1-D: the stationary variance of SGD, λσ²/(k(2 − λk)).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, σ² < 0, or [`ClosedFormError::Unstable`] unless λk < 2.
pub fn sgd_variance(
    curvature: f64,
    learning_rate: f64,
    noise_variance: f64,
) -> Result<f64, ClosedFormError> {
    momentum_variance(curvature, learning_rate, 0.0, noise_variance)
}

/// SGD's variance after t steps from w_0 = 0 (Eq. 7 / Eq. 41 in 1-D):
/// λ²σ² Σ_{s<t} (1−λk)^{2s} = λσ²/(k(2 − λk)) · [1 − (1 − λk)^{2t}]; any λ > 0 (finite time),
/// without cancellation near λk = 0 or 2.
///
/// # Errors
/// k ≤ 0, λ ≤ 0, σ² < 0, or overflow.
pub fn sgd_variance_after(
    curvature: f64,
    learning_rate: f64,
    noise_variance: f64,
    steps: u64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, noise_variance)?;
    let lr = learning_rate;
    finite_scalar(
        lr * lr * noise_variance * geometric_sum(lr * curvature, steps),
        "finite-time variance",
    )
}

/// Corollary 2 in 1-D: SGDM's stationary variance λσ²/((1−μ)k(2 − λk/(1+μ))).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, σ² < 0, μ ∉ [0, 1), or [`ClosedFormError::Unstable`] unless λk < 2(1+μ).
pub fn momentum_variance(
    curvature: f64,
    learning_rate: f64,
    momentum: f64,
    noise_variance: f64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, noise_variance)?;
    check_momentum(momentum)?;
    let x = learning_rate * curvature;
    require_stable(x, 2.0 * (1.0 + momentum), "λk < 2(1+μ)")?;
    finite_scalar(
        learning_rate * noise_variance
            / ((1.0 - momentum) * curvature * (2.0 - x / (1.0 + momentum))),
        "variance (Corollary 2)",
    )
}

/// The continuous-time (Ornstein–Uhlenbeck) stationary variance λσ²/(2k(1−μ)) (Eq. 4 in 1-D).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, σ² < 0, μ ∉ [0, 1).
pub fn continuous_variance(
    curvature: f64,
    learning_rate: f64,
    momentum: f64,
    noise_variance: f64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, noise_variance)?;
    check_momentum(momentum)?;
    finite_scalar(
        learning_rate * noise_variance / (2.0 * curvature * (1.0 - momentum)),
        "continuous-time variance",
    )
}

/// The continuous-time variance at time t from w(0) = 0 (Eq. 3 in 1-D):
/// λσ²/(2k) · (1 − e^{−2λkt}).
///
/// # Errors
/// k ≤ 0, λ ≤ 0, σ² < 0, t negative or not finite.
pub fn continuous_variance_after(
    curvature: f64,
    learning_rate: f64,
    noise_variance: f64,
    time: f64,
) -> Result<f64, ClosedFormError> {
    check(curvature, learning_rate, noise_variance)?;
    if !(time.is_finite() && time >= 0.0) {
        return Err(FieldError::new("t", time.to_string(), "a finite number ≥ 0").into());
    }
    let x = learning_rate * curvature;
    finite_scalar(
        learning_rate * noise_variance / (2.0 * curvature) * -(-2.0 * x * time).exp_m1(),
        "continuous-time variance",
    )
}
