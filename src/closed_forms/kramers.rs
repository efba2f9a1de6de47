//! Sec. 6.3: the Kramers escape rate over a barrier in 1-D, with minibatch-like noise C = k_a/S.
//!
//! Symbols: minimum a with curvature k_a, barrier top b with curvature −|k_b|, barrier height ΔL,
//! l ∈ [0, 1] the fraction of the escape path a → b dominated by a's temperature, S the batch
//! size, λ the learning rate, and r the loss scale of Fig. 6(b).
//!
//! **Convention for r**: L → rL multiplies k_a, |k_b| and ΔL by r. Eq. 51 then changes only by
//! its prefactor |k_b| → r|k_b|, so the continuous-time γ_c/(r|k_b|) is independent of r; the
//! paper's Fig. 6(b) plots γ/|k_b| with |k_b| the **rescaled** barrier curvature
//! ([`KramersProblem::scaled_barrier_curvature`]), flat for Eq. 51 and increasing with r
//! for Eq. 52 (through λrk_a).
//!
//! `ERRATA.md` ("Wrong", Kramers): Eq. 46 is inverted (P/flux is the escape *time*), so Eq. 52's
//! prefactor is inverted too; the consistent form is [`discrete_rate_corrected`].
//! Eq. 52 → Eq. 51 as r → 0 only up to the erf factor (ratio → erf(z₀) as printed, 1/erf(z₀)
//! corrected, with z₀ = √(2SΔL/(λk_a)); both → 1 for a high barrier), and not as λ → 0 at fixed S
//! (the ratio tends to e^{S l ΔL}). Against an exact discrete-time rate Eq. 52 is only
//! qualitatively right.

use super::{
    check_learning_rate, check_positive, finite_scalar, require_stable, ClosedFormError,
    FieldError, FRAC_2_SQRT_PI, PI,
};

/// The parameters of Sec. 6.3's 1-D Kramers problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KramersProblem {
    /// k_a > 0: curvature at the minimum a (before the loss scale r).
    pub minimum_curvature: f64,
    /// |k_b| > 0: magnitude of the (negative) curvature at the barrier top b (before r).
    pub barrier_curvature: f64,
    /// ΔL = L(b) − L(a) > 0: barrier height (before r).
    pub barrier_height: f64,
    /// l ∈ [0, 1]: where the escape path switches from a's to b's temperature.
    pub path_split: f64,
    /// S > 0: batch size; the noise covariance is C = k_a/S (may be non-integer).
    pub batch_size: f64,
    /// λ > 0: learning rate.
    pub learning_rate: f64,
    /// r > 0: loss scale, L → rL (1 for the unscaled loss).
    pub loss_scale: f64,
}

impl KramersProblem {
    /// r·k_a.
    pub fn scaled_minimum_curvature(&self) -> f64 {
        self.loss_scale * self.minimum_curvature
    }
    /// r·|k_b|: the |k_b| by which Fig. 6(b) divides γ.
    pub fn scaled_barrier_curvature(&self) -> f64 {
        self.loss_scale * self.barrier_curvature
    }
    /// r·ΔL.
    pub fn scaled_barrier_height(&self) -> f64 {
        self.loss_scale * self.barrier_height
    }

    fn validate(&self) -> Result<(), ClosedFormError> {
        check_positive("k_a", self.minimum_curvature)?;
        check_positive("k_b", self.barrier_curvature)?;
        check_positive("dL", self.barrier_height)?;
        if !(self.path_split.is_finite() && (0.0..=1.0).contains(&self.path_split)) {
            return Err(
                FieldError::new("l", self.path_split.to_string(), "a number in [0, 1]").into(),
            );
        }
        check_positive("S", self.batch_size)?;
        check_learning_rate(self.learning_rate)?;
        check_positive("r", self.loss_scale)?;
        Ok(())
    }

    /// The barrier exponent's λ → 0 part 2SΔL/λ · (l/k_a + (1−l)/|k_b|) with an extra factor on
    /// the l-term.
    fn exponent(&self, minimum_factor: f64) -> f64 {
        let (ka, kb, dl) = (
            self.scaled_minimum_curvature(),
            self.scaled_barrier_curvature(),
            self.scaled_barrier_height(),
        );
        2.0 * self.batch_size * dl / self.learning_rate
            * (self.path_split * minimum_factor / ka + (1.0 - self.path_split) / kb)
    }

    /// (λrk_a, erf argument z = √(S(2 − λrk_a)ΔL/(λk_a))), after checking λrk_a < 2.
    fn discrete_parts(&self) -> Result<(f64, f64), ClosedFormError> {
        self.validate()?;
        let x = self.learning_rate * self.scaled_minimum_curvature();
        require_stable(x, 2.0, "λ r k_a < 2")?;
        let z = (self.batch_size * (2.0 - x) * self.scaled_barrier_height()
            / (self.learning_rate * self.scaled_minimum_curvature()))
        .sqrt();
        Ok((x, z))
    }
}

/// Eq. 51 (Xie et al.): γ_c = |k_b|/(2π) · exp[−2SΔL/λ · (l/k_a + (1−l)/|k_b|)], with k_a, |k_b|,
/// ΔL scaled by r.
///
/// # Errors
/// Invalid parameters (each must be finite and > 0; l ∈ [0, 1]).
pub fn continuous_rate(problem: &KramersProblem) -> Result<f64, ClosedFormError> {
    problem.validate()?;
    let rate = problem.scaled_barrier_curvature() / (2.0 * PI) * (-problem.exponent(1.0)).exp();
    finite_scalar(rate, "γ_c (Eq. 51)")
}

/// Eq. 52 **as printed**: γ = |k_b|/(2π) · √(2/(2 − λk_a)) · erf(√(S(2 − λk_a)ΔL/(λk_a)))
/// · exp[−2SΔL/λ · (l(1 − λk_a/2)/k_a + (1−l)/|k_b|)], with k_a, |k_b|, ΔL scaled by r.
/// Its prefactor is inverted (`ERRATA.md`); see [`discrete_rate_corrected`].
///
/// # Errors
/// Invalid parameters, or [`ClosedFormError::Unstable`] unless λrk_a < 2.
pub fn discrete_rate_as_printed(problem: &KramersProblem) -> Result<f64, ClosedFormError> {
    let (x, z) = problem.discrete_parts()?;
    let prefactor = (2.0 / (2.0 - x)).sqrt() * error_function(z);
    let rate = problem.scaled_barrier_curvature() / (2.0 * PI)
        * prefactor
        * (-problem.exponent(1.0 - 0.5 * x)).exp();
    finite_scalar(rate, "γ (Eq. 52)")
}

/// Eq. 52 with the **corrected** prefactor (`ERRATA.md`, Kramers: Eq. 46 is inverted, the
/// consistent prefactor is √((2 − λk_a)/2)/erf(·) instead of √(2/(2 − λk_a))·erf(·)):
/// γ = |k_b|/(2π) · √((2 − λk_a)/2) / erf(√(S(2 − λk_a)ΔL/(λk_a)))
/// · exp[−2SΔL/λ · (l(1 − λk_a/2)/k_a + (1−l)/|k_b|)], with k_a, |k_b|, ΔL scaled by r.
///
/// # Errors
/// Invalid parameters, or [`ClosedFormError::Unstable`] unless λrk_a < 2.
pub fn discrete_rate_corrected(problem: &KramersProblem) -> Result<f64, ClosedFormError> {
    let (x, z) = problem.discrete_parts()?;
    let prefactor = ((2.0 - x) / 2.0).sqrt() / error_function(z);
    let rate = problem.scaled_barrier_curvature() / (2.0 * PI)
        * prefactor
        * (-problem.exponent(1.0 - 0.5 * x)).exp();
    finite_scalar(rate, "γ (Eq. 52, corrected prefactor)")
}

/// The error function erf(x) = 2/√π ∫₀ˣ e^{−s²} ds, to about 1e-15 relative (std has none).
///
/// |x| < 2: the all-positive series erf(x) = 2/√π · e^{−x²} Σ_n 2ⁿx^{2n+1}/(1·3···(2n+1));
/// |x| ≥ 2: 1 − erfc(x) with erfc from its continued fraction, 60 terms (erfc(2) ≈ 5e-3, and
/// the fraction has converged to ~1e-16 there).
pub fn error_function(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    let value = if a < 2.0 {
        let x2 = a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        FRAC_2_SQRT_PI * (-x2).exp() * sum
    } else if a < 27.0 {
        // erfc(a) = e^{−a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated backwards.
        let mut tail = a;
        for n in (1..=60).rev() {
            tail = a + 0.5 * f64::from(n) / tail;
        }
        1.0 - 0.5 * FRAC_2_SQRT_PI * (-a * a).exp() / tail
    } else {
        1.0
    };
    value.copysign(x)
}
