//! The paper's closed forms, one documented pure function each, in **corrected** form wherever
//! `ERRATA.md` says the print is mistyped or wrong (the `ERRATA.md` line is cited in a comment).
//!
//! These are the formulas the exact engine ([`crate::solver`]) is checked against, and the
//! "paper's curves" to show beside it. They are grouped as the paper groups them:
//! - [`continuous`]: Table 1's "previous work" column, the continuous-time (Ornstein–Uhlenbeck)
//!   theory of Eq. 3–4, solved exactly for any K and C;
//! - [`discrete`]: Table 1's "this work" column for SGD, SGDM and QHM: Theorem 1 (Eq. 8),
//!   Eq. 16, Corollaries 1–2, Eq. 18–19, Theorem 3 with Corollaries 4–5, Eq. 27, Eq. 56 with the
//!   corrected h(K);
//! - [`second_order`]: damped Newton (Eq. 58–60) and natural gradient (Eq. 62–64);
//! - [`bayes`]: the Bayes-optimal learning rate (Eq. 33–37) beside Mandt's;
//! - [`escape`]: escaping efficiencies (Eq. 40–41, 72–73);
//! - [`kramers`]: the Kramers rates (Eq. 51–52 and the corrected prefactor);
//! - [`one_dimensional`]: the 1-D helpers behind Figures 1–2.
//!
//! Conventions (as [`crate::model`]): the loss is L(w) = wᵀKw/2 with K symmetric positive definite
//! (`hessian`); every optimizer sees g_t = K w_{t−1} + η_{t−1} with E[η_t η_sᵀ] = δ_ts C, C symmetric
//! positive semi-definite (`noise_cov`); λ is the learning rate, μ ∈ [0, 1) the momentum,
//! ν ∈ [0, 1] QHM's interpolation.
//!
//! Every function validates its inputs and returns a [`ClosedFormError`] instead of panicking:
//! invalid values, a learning rate at or past the stability edge (where Σ does not exist), or,
//! for formulas that only hold when [C, K] = 0, a noise covariance that does not commute with K
//! (unless the caller asks for [`Commutation::Ignore`], e.g. to show how wrong the formula is).
//! For anything a closed form does not cover, use [`crate::solver::stationary`].
//!
//! # Example
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use sgd_playground::closed_forms::{discrete, ClosedFormError, Commutation};
//! let hessian = DMatrix::from_diagonal(&DVector::from_row_slice(&[2.0, 0.5]));
//! let noise_cov = DMatrix::identity(2, 2);
//! // Corollary 1: Σ = λ[K(2I − λK)]⁻¹C, here at λk* = 1.8.
//! let sigma = discrete::sgd_sigma(&hessian, &noise_cov, 0.9, Commutation::Check)?;
//! assert!((sigma[(0, 0)] - 0.9 / (2.0 * (2.0 - 1.8))).abs() < 1e-12);
//! // Eq. 27 (any C, with momentum): ½Tr\[KΣ\].
//! let loss = discrete::momentum_train_loss(&hessian, &noise_cov, 0.9, 0.5)?;
//! assert!(loss > 0.0);
//! // Past the edge λk* < 2 there is no stationary state.
//! let err = discrete::sgd_sigma(&hessian, &noise_cov, 1.0, Commutation::Check);
//! assert!(matches!(err, Err(ClosedFormError::Unstable { .. })));
//! # Ok::<(), ClosedFormError>(())
//! ```

use std::f64::consts::{FRAC_2_SQRT_PI, PI};
use std::fmt;

use nalgebra::DMatrix;

use crate::error::FieldError;
use crate::linalg::{symmetrize, SymmetricEigen};
use crate::model::{check_symmetric_definite, Definiteness};

/// Largest relative commutator ‖KC − CK‖_F / (‖K‖_F ‖C‖_F) accepted as "[C, K] = 0" by
/// [`Commutation::Check`]. Matrices built to commute (shared eigenvectors, C a function of K)
/// reach ~D·1e-16 in floating point; genuinely non-commuting ones are O(1e-2) or larger.
pub const COMMUTATOR_TOLERANCE: f64 = 1e-9;

/// Relative distance to a stability threshold below which λk* counts as *on* the edge: there
/// Σ ∝ 1/(threshold − λk*) has no correct digit (the engine uses the same margin).
const EDGE_TOLERANCE: f64 = 8.0 * f64::EPSILON;

/// Why a closed form cannot be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum ClosedFormError {
    /// An input is invalid: which field (`K`, `C`, `Sigma`, `lr`, `mu`, `nu`, `N`, `S`, …), its
    /// value, and what is allowed.
    Invalid(FieldError),
    /// The learning rate is at or past the stability edge, so there is no stationary state.
    Unstable {
        /// The quantity the paper bounds, e.g. λk*.
        effective_curvature: f64,
        /// The bound it must stay strictly below, e.g. 2(1+μ).
        threshold: f64,
        /// The condition in the paper's symbols, e.g. `λk* < 2(1+μ)`.
        condition: &'static str,
    },
    /// The formula requires [C, K] = 0 but C and K do not commute (use the general form, or
    /// [`crate::solver::stationary`]).
    NotCommuting {
        /// ‖KC − CK‖_F / (‖K‖_F ‖C‖_F), above [`COMMUTATOR_TOLERANCE`].
        relative_commutator: f64,
    },
    /// The formula evaluates to a non-finite number (overflow, or a singular factor of a printed,
    /// uncorrected formula).
    NotFinite {
        /// Which quantity.
        quantity: &'static str,
    },
}

impl fmt::Display for ClosedFormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedFormError::Invalid(e) => write!(f, "{e}"),
            ClosedFormError::Unstable {
                effective_curvature,
                threshold,
                condition,
            } => write!(
                f,
                "no stationary state: {condition} is violated ({effective_curvature} is not below \
                 {threshold})"
            ),
            ClosedFormError::NotCommuting {
                relative_commutator,
            } => write!(
                f,
                "the formula requires [C, K] = 0, but ‖[C, K]‖/(‖C‖‖K‖) = {relative_commutator:e}; \
                 use the general (Lyapunov) form or solver::stationary"
            ),
            ClosedFormError::NotFinite { quantity } => {
                write!(f, "{quantity} is not finite")
            }
        }
    }
}

impl std::error::Error for ClosedFormError {}

impl From<FieldError> for ClosedFormError {
    fn from(error: FieldError) -> Self {
        ClosedFormError::Invalid(error)
    }
}

/// What a formula that needs [C, K] = 0 does with a C that does not commute with K.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commutation {
    /// Return [`ClosedFormError::NotCommuting`] when the relative commutator exceeds
    /// [`COMMUTATOR_TOLERANCE`].
    Check,
    /// Evaluate the printed formula φ(K)C anyway, as its symmetric part ½(φ(K)C + Cφ(K)) (equal to
    /// φ(K)C when C commutes with K). For non-commuting C this is *not* the stationary covariance;
    /// use it to show how far off the formula is.
    Ignore,
}

/// ‖KC − CK‖_F / (‖K‖_F ‖C‖_F): how far `hessian` and `noise_cov` are from commuting (0 if either
/// is zero). Both must be square of the same size (otherwise `f64::NAN`).
pub fn relative_commutator(hessian: &DMatrix<f64>, noise_cov: &DMatrix<f64>) -> f64 {
    if hessian.shape() != noise_cov.shape() || hessian.nrows() != hessian.ncols() {
        return f64::NAN;
    }
    let scale = hessian.norm() * noise_cov.norm();
    if scale == 0.0 {
        return 0.0;
    }
    (hessian * noise_cov - noise_cov * hessian).norm() / scale
}

// ---------------------------------------------------------------------------------------------
// Shared validation and eigenbasis helpers.

/// Validates K (square, finite, symmetric, positive definite) and decomposes it.
fn hessian_eigen(hessian: &DMatrix<f64>) -> Result<SymmetricEigen, ClosedFormError> {
    check_symmetric_definite(hessian, "K", hessian.nrows(), Definiteness::Positive)?;
    Ok(SymmetricEigen::new(hessian))
}

/// Validates C against K's dimension: square, finite, symmetric, positive semi-definite.
fn check_noise(noise_cov: &DMatrix<f64>, dimension: usize) -> Result<(), ClosedFormError> {
    check_symmetric_definite(noise_cov, "C", dimension, Definiteness::SemiDefinite)?;
    Ok(())
}

fn check_learning_rate(learning_rate: f64) -> Result<(), ClosedFormError> {
    if learning_rate.is_finite() && learning_rate > 0.0 {
        Ok(())
    } else {
        Err(FieldError::new("lr", learning_rate.to_string(), "a finite number > 0").into())
    }
}

fn check_momentum(momentum: f64) -> Result<(), ClosedFormError> {
    if momentum.is_finite() && (0.0..1.0).contains(&momentum) {
        Ok(())
    } else {
        Err(FieldError::new("mu", momentum.to_string(), "a number in [0, 1)").into())
    }
}

fn check_nu(nu: f64) -> Result<(), ClosedFormError> {
    if nu.is_finite() && (0.0..=1.0).contains(&nu) {
        Ok(())
    } else {
        Err(FieldError::new("nu", nu.to_string(), "a number in [0, 1]").into())
    }
}

fn check_positive(field: &str, value: f64) -> Result<(), ClosedFormError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(field, value.to_string(), "a finite number > 0").into())
    }
}

fn check_nonnegative(field: &str, value: f64) -> Result<(), ClosedFormError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(field, value.to_string(), "a finite number ≥ 0").into())
    }
}

/// Minibatch sizes: 1 ≤ S < N (S = N means no noise, where the formulas of Sec. 6.1 and 6.5 have no
/// stationary state or no optimum).
fn check_batch(dataset_size: usize, batch_size: usize) -> Result<f64, ClosedFormError> {
    if dataset_size < 2 {
        return Err(FieldError::new("N", dataset_size.to_string(), "an integer ≥ 2").into());
    }
    if batch_size == 0 || batch_size >= dataset_size {
        return Err(FieldError::new(
            "S",
            batch_size.to_string(),
            format!(
                "an integer in [1, N − 1 = {}] (S = N has no gradient noise)",
                dataset_size - 1
            ),
        )
        .into());
    }
    let (n, s) = (dataset_size as f64, batch_size as f64);
    Ok((n - s) / (n * s))
}

/// Strict stability: `effective_curvature` < `threshold`, with a few ulps of margin.
fn require_stable(
    effective_curvature: f64,
    threshold: f64,
    condition: &'static str,
) -> Result<(), ClosedFormError> {
    if effective_curvature.is_finite()
        && threshold.is_finite()
        && effective_curvature < threshold * (1.0 - EDGE_TOLERANCE)
    {
        Ok(())
    } else {
        Err(ClosedFormError::Unstable {
            effective_curvature,
            threshold,
            condition,
        })
    }
}

fn check_commutation(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    commutation: Commutation,
) -> Result<(), ClosedFormError> {
    if commutation == Commutation::Ignore {
        return Ok(());
    }
    let relative_commutator = relative_commutator(hessian, noise_cov);
    if relative_commutator <= COMMUTATOR_TOLERANCE {
        Ok(())
    } else {
        Err(ClosedFormError::NotCommuting {
            relative_commutator,
        })
    }
}

fn finite_matrix(m: DMatrix<f64>, quantity: &'static str) -> Result<DMatrix<f64>, ClosedFormError> {
    if m.iter().all(|v| v.is_finite()) {
        Ok(m)
    } else {
        Err(ClosedFormError::NotFinite { quantity })
    }
}

fn finite_scalar(x: f64, quantity: &'static str) -> Result<f64, ClosedFormError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(ClosedFormError::NotFinite { quantity })
    }
}

/// In K's eigenbasis: Σ̃_ij = gain(k_i, k_j) c̃_ij, rotated back (the exact solution of every
/// Lyapunov-type equation whose coefficients are polynomials in K).
fn pair_apply(
    eigen: &SymmetricEigen,
    noise_cov: &DMatrix<f64>,
    gain: impl Fn(f64, f64) -> f64,
) -> DMatrix<f64> {
    let k = &eigen.values;
    let mut c_tilde = eigen.to_eigenbasis(noise_cov);
    let d = k.len();
    for i in 0..d {
        for j in 0..d {
            c_tilde[(i, j)] *= gain(k[i], k[j]);
        }
    }
    symmetrize(&eigen.from_eigenbasis(&c_tilde))
}

/// The symmetric part of φ(K)C: Σ̃_ij = ½(φ(k_i) + φ(k_j)) c̃_ij.
fn spectral_apply(
    eigen: &SymmetricEigen,
    noise_cov: &DMatrix<f64>,
    phi: impl Fn(f64) -> f64,
) -> DMatrix<f64> {
    pair_apply(eigen, noise_cov, |a, b| 0.5 * (phi(a) + phi(b)))
}

/// Tr[f(K) C] = Σ_i f(k_i) c̃_ii (exact for any C).
fn spectral_trace(eigen: &SymmetricEigen, noise_cov: &DMatrix<f64>, f: impl Fn(f64) -> f64) -> f64 {
    let cv = noise_cov * &eigen.vectors;
    (0..eigen.values.len())
        .map(|i| f(eigen.values[i]) * eigen.vectors.column(i).dot(&cv.column(i)))
        .sum()
}

/// Validates K, C (same size) and λ; returns K's eigen-decomposition.
fn validate(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    learning_rate: f64,
) -> Result<SymmetricEigen, ClosedFormError> {
    let eigen = hessian_eigen(hessian)?;
    check_noise(noise_cov, hessian.nrows())?;
    check_learning_rate(learning_rate)?;
    Ok(eigen)
}

/// Σ_{s<t} (1−x)^{2s} for x = λk > 0, accurate for x → 0 and x → 2 and valid past 2 (finite time
/// needs no stability): (1 − r^t)/(1 − r) with r = (1−x)², 1 − r = x(2−x).
fn geometric_sum(x: f64, steps: u64) -> f64 {
    if steps == 0 {
        return 0.0;
    }
    let one_minus_r = x * (2.0 - x);
    if one_minus_r == 0.0 {
        // x = 2: every term is 1 (x = 0 is excluded: λ, k > 0).
        return steps as f64;
    }
    // ln|1 − x| without cancellation on either side of 1.
    let log_abs = if x <= 1.0 {
        (-x).ln_1p()
    } else {
        (x - 2.0).ln_1p()
    };
    let t = steps as f64;
    -(2.0 * t * log_abs).exp_m1() / one_minus_r
}

// ---------------------------------------------------------------------------------------------

/// Table 1, "previous work": the continuous-time theory of Eq. 3–4 (Mandt et al. 2017; Gitman et
/// al. 2019), the λ → 0 limit of the discrete results in [`discrete`].
pub mod continuous {
    use nalgebra::DMatrix;

    use super::{
        check_commutation, check_learning_rate, check_momentum, check_noise, check_nu,
        finite_matrix, pair_apply, spectral_apply, spectral_trace, validate, ClosedFormError,
        Commutation,
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
}

// ---------------------------------------------------------------------------------------------

/// Table 1, "this work": the exact discrete-time stationary covariance and training loss of SGD
/// (Sec. 4.1), SGD with momentum (Sec. 4.2) and QHM (Sec. 6.4, with the corrected h(K)).
pub mod discrete {
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
        let (rescaled_rate, rescaled_noise) =
            momentum_rescaling(learning_rate, momentum, noise_cov)?;
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
        let f =
            2.0 * (1.0 - mu * mu) * k + lr * (-2.0 + mu * (3.0 + mu * (2.0 - 3.0 * nu))) * k * k;
        let g = 2.0 * (1.0 - mu * mu) + 2.0 * lr * (-1.0 + mu * (2.0 + mu - 2.0 * mu * nu)) * k
            - 2.0 * lr * mu * (1.0 - nu) * alpha * k * k;
        let bracket =
            (mu * (1.0 + mu) * f + lr * (1.0 - mu * nu * (2.0 + mu)) * g) / (1.0 - a_k * a_k);
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
}

// ---------------------------------------------------------------------------------------------

/// Sec. 6.5: the stationary distributions of damped Newton (DNM, Λ = λK⁻¹) and natural gradient
/// descent (NGD, Λ = λ(KΣK)⁻¹), both as preconditioned SGDM (Corollary 3).
pub mod second_order {
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
        (1.0 + momentum) / (1.0 - momentum) * learning_rate
            / (2.0 * (1.0 + momentum) - learning_rate)
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
        let factor =
            natural_gradient_fisher_factor(learning_rate, momentum, dataset_size, batch_size)?;
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
        let factor =
            natural_gradient_fisher_factor(learning_rate, momentum, dataset_size, batch_size)?;
        finite_scalar(
            0.5 * factor * hessian.nrows() as f64,
            "training loss (Eq. 64)",
        )
    }
}

// ---------------------------------------------------------------------------------------------

/// Sec. 6.1: the learning rate that makes SGD's stationary distribution the best Gaussian
/// approximation (in KL) of the posterior f ∝ exp(−N wᵀKw/2), with minibatch noise
/// C = (N−S)/(NS) · K.
pub mod bayes {
    use nalgebra::DMatrix;

    use super::{
        check_batch, check_symmetric_definite, finite_scalar, hessian_eigen, ClosedFormError,
        Definiteness, FieldError,
    };

    /// Eq. 33: D_KL(q‖f) = ½[N Tr\[KΣ\] − ln|NK| − ln|Σ| − D] between q = N(0, Σ) and the posterior
    /// f = N(0, (NK)⁻¹), for **any** SPD Σ (e.g. the engine's).
    ///
    /// # Errors
    /// Invalid K, Σ not SPD of K's size (field `Sigma`), N = 0.
    pub fn kl_divergence(
        hessian: &DMatrix<f64>,
        sigma: &DMatrix<f64>,
        dataset_size: usize,
    ) -> Result<f64, ClosedFormError> {
        let eigen = hessian_eigen(hessian)?;
        check_symmetric_definite(sigma, "Sigma", hessian.nrows(), Definiteness::Positive)?;
        if dataset_size == 0 {
            return Err(FieldError::new("N", "0", "an integer ≥ 1").into());
        }
        let n = dataset_size as f64;
        let d = hessian.nrows() as f64;
        let log_det_k: f64 = eigen.values.iter().map(|k| k.ln()).sum();
        let log_det_sigma: f64 = super::SymmetricEigen::new(sigma)
            .values
            .iter()
            .map(|v| v.ln())
            .sum();
        let trace = (hessian * sigma).trace();
        finite_scalar(
            0.5 * (n * trace - d * n.ln() - log_det_k - log_det_sigma - d),
            "KL divergence (Eq. 33)",
        )
    }

    /// Eq. 34 (Theorem 3 with σ² = 0, a = (N−S)/(NS)): Σ = λ(N−S)/(NS) · (2I − λK)⁻¹.
    ///
    /// # Errors
    /// Invalid K, λ ≤ 0, not 1 ≤ S < N, or [`ClosedFormError::Unstable`] unless λk* < 2.
    pub fn minibatch_sigma(
        hessian: &DMatrix<f64>,
        learning_rate: f64,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<DMatrix<f64>, ClosedFormError> {
        let noise_scale = check_batch(dataset_size, batch_size)?;
        super::discrete::hessian_noise_sigma(hessian, noise_scale, learning_rate)
    }

    /// Eq. 33 evaluated at Eq. 34's Σ, as a function of λ:
    /// D_KL(λ) = ½Σ_i [N k_i σ_i − ln(N k_i) − ln σ_i − 1], σ_i = λ(N−S)/(NS) / (2 − λk_i).
    ///
    /// (Eq. 35's right side equals 2·D_KL + const, `ERRATA.md`, "Typos"; the argmin is the same.)
    ///
    /// # Errors
    /// As [`minibatch_sigma`].
    pub fn kl_at_learning_rate(
        hessian: &DMatrix<f64>,
        learning_rate: f64,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<f64, ClosedFormError> {
        let (eigen, noise_scale) = prepare(hessian, learning_rate, dataset_size, batch_size)?;
        let n = dataset_size as f64;
        let total: f64 = eigen
            .iter()
            .map(|&k| {
                let sigma = learning_rate * noise_scale / (2.0 - learning_rate * k);
                n * k * sigma - (n * k).ln() - sigma.ln() - 1.0
            })
            .sum();
        finite_scalar(0.5 * total, "KL divergence (Eq. 33–34)")
    }

    /// ∂D_KL/∂λ at Eq. 34's Σ. Eq. 36 (= Eq. 37's left side minus its right side) is **twice**
    /// this (it differentiates Eq. 35, which is 2·D_KL + const; `ERRATA.md`):
    /// ∂D_KL/∂λ = ½[(N−2S)/S Σ k_i/(2−λk_i) + (N−S)/S λ Σ k_i²/(2−λk_i)² − D/λ]
    ///          = (1/λ) Σ_i ((N/S)λk_i − 2)/(2 − λk_i)².
    ///
    /// # Errors
    /// As [`minibatch_sigma`].
    pub fn kl_derivative(
        hessian: &DMatrix<f64>,
        learning_rate: f64,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<f64, ClosedFormError> {
        let (eigen, _) = prepare(hessian, learning_rate, dataset_size, batch_size)?;
        let ratio = dataset_size as f64 / batch_size as f64;
        finite_scalar(
            stationarity_sum(&eigen, learning_rate, ratio) / learning_rate,
            "∂D_KL/∂λ (Eq. 36)",
        )
    }

    /// Σ_i (cλk_i − 2)/(2 − λk_i)², c = N/S: λ/2 times Eq. 37's left minus right side.
    fn stationarity_sum(eigenvalues: &[f64], learning_rate: f64, ratio: f64) -> f64 {
        eigenvalues
            .iter()
            .map(|&k| {
                let x = learning_rate * k;
                (ratio * x - 2.0) / ((2.0 - x) * (2.0 - x))
            })
            .sum()
    }

    fn prepare(
        hessian: &DMatrix<f64>,
        learning_rate: f64,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<(Vec<f64>, f64), ClosedFormError> {
        let eigen = hessian_eigen(hessian)?;
        super::check_learning_rate(learning_rate)?;
        let noise_scale = check_batch(dataset_size, batch_size)?;
        super::require_stable(learning_rate * eigen.values.max(), 2.0, "λk* < 2")?;
        Ok((eigen.values.iter().copied().collect(), noise_scale))
    }

    /// Mandt et al.'s optimal learning rate λ*_c = 2SD/(N Tr K) (Sec. 6.1), the small-λ solution of
    /// Eq. 37.
    ///
    /// # Errors
    /// Invalid K, not 1 ≤ S < N.
    pub fn mandt_learning_rate(
        hessian: &DMatrix<f64>,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<f64, ClosedFormError> {
        hessian_eigen(hessian)?;
        check_batch(dataset_size, batch_size)?;
        let (n, s, d) = (
            dataset_size as f64,
            batch_size as f64,
            hessian.nrows() as f64,
        );
        Ok(2.0 * s * d / (n * hessian.trace()))
    }

    /// Mandt's λ*_c compared with the exact optimum.
    #[derive(Clone, Debug, PartialEq)]
    pub struct MandtComparison {
        /// λ*_c = 2SD/(N Tr K).
        pub learning_rate: f64,
        /// λ*_c / λ* (1 when K is isotropic, > 1 when it overshoots).
        pub ratio_to_optimal: f64,
        /// Whether λ*_c k* < 2, i.e. SGD has a stationary state there at all (`ERRATA.md`: Mandt's
        /// value can fall in the divergent region).
        pub stable: bool,
        /// D_KL at λ*_c (Eq. 33–34); `None` when not [`Self::stable`].
        pub kl: Option<f64>,
    }

    /// The Bayes-optimal learning rate: the root of Eq. 37, with Mandt's value beside it.
    #[derive(Clone, Debug, PartialEq)]
    pub struct OptimalLearningRate {
        /// λ*, the unique root of Eq. 37 in (0, 2/k*): the global minimiser of D_KL(λ).
        pub learning_rate: f64,
        /// D_KL at λ* (Eq. 33–34).
        pub kl: f64,
        /// The bracket [2S/(Nk*), min(2S/(N k_min), 2/k*)] that provably contains λ*.
        pub bracket: (f64, f64),
        /// Mandt's λ*_c and how it compares.
        pub mandt: MandtComparison,
    }

    /// Solves Eq. 37 for the learning rate minimising D_KL (Eq. 33 with Eq. 34's Σ).
    ///
    /// Eq. 37 is equivalent to G(λ) := Σ_i (cλk_i − 2)/(2 − λk_i)² = 0 with c = N/S > 1
    /// (Eq. 37's left minus right side is 2G/λ). Existence and uniqueness (our proof): every term
    /// is negative for λk_i < 2/c and positive beyond, so all roots lie in
    /// [2/(ck*), min(2/(c k_min), 2/k*)), where G goes from ≤ 0 to ≥ 0 (to +∞ at 2/k*). With
    /// a = c/(c−1) each term of λG′(λ) − aG(λ) equals
    /// [c(2c−1)x² − 4(2c−1)x + 4c] / ((c−1)(2−x)³), x = λk_i, whose quadratic has discriminant
    /// −16(2c−1)(c−1)² < 0: so G′ > 0 at every root, and the root is unique. It is therefore the
    /// global minimiser of D_KL, which → +∞ at both ends of (0, 2/k*).
    ///
    /// The root is found by bisection on the bracket to the last bit.
    ///
    /// Mandt's λ*_c = 2S/(N k̄) with k̄ = Tr K/D lies in the same bracket; by Jensen (each term of G is
    /// convex in λ when c ≥ 3/2, i.e. S ≤ 2N/3) it never undershoots: λ*_c ≥ λ*, with equality iff K
    /// is isotropic. It can exceed 2/k* (divergent SGD): see [`MandtComparison::stable`].
    ///
    /// # Errors
    /// Invalid K, or not 1 ≤ S < N (with S = N there is no noise and no optimum).
    pub fn optimal_learning_rate(
        hessian: &DMatrix<f64>,
        dataset_size: usize,
        batch_size: usize,
    ) -> Result<OptimalLearningRate, ClosedFormError> {
        let eigen = hessian_eigen(hessian)?;
        check_batch(dataset_size, batch_size)?;
        let ratio = dataset_size as f64 / batch_size as f64;
        let eigenvalues: Vec<f64> = eigen.values.iter().copied().collect();
        let k_max = eigen.values.max();
        let k_min = eigen.values.min();
        let edge = 2.0 / k_max;
        let lower = 2.0 / (ratio * k_max);
        let upper_by_sign = 2.0 / (ratio * k_min);
        let upper = upper_by_sign.min(edge);
        let g = |lr: f64| stationarity_sum(&eigenvalues, lr, ratio);
        let learning_rate = if g(lower) >= 0.0 {
            lower
        } else {
            // Invariant: g(lo) < 0, and g(hi) ≥ 0 (or hi is the edge, where g → +∞).
            let (mut lo, mut hi) = (lower, upper);
            for _ in 0..2100 {
                let mid = lo + 0.5 * (hi - lo);
                if mid <= lo || mid >= hi {
                    break;
                }
                let value = g(mid);
                if value.is_nan() || value >= 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let (g_lo, g_hi) = (g(lo), g(hi));
            if g_hi.is_finite() && g_hi.abs() < g_lo.abs() {
                hi
            } else {
                lo
            }
        };
        let kl = kl_at_learning_rate(hessian, learning_rate, dataset_size, batch_size)?;
        let mandt = mandt_learning_rate(hessian, dataset_size, batch_size)?;
        let mandt_kl = kl_at_learning_rate(hessian, mandt, dataset_size, batch_size).ok();
        Ok(OptimalLearningRate {
            learning_rate,
            kl,
            bracket: (lower, upper),
            mandt: MandtComparison {
                learning_rate: mandt,
                ratio_to_optimal: mandt / learning_rate,
                stable: mandt_kl.is_some(),
                kl: mandt_kl,
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------

/// Sec. 6.2 and Appendix B: the escaping efficiency E = E[L(w_t) − L(w_0)] of Zhu et al., starting
/// at the minimum w_0 = 0, in continuous and discrete time.
pub mod escape {
    use nalgebra::DMatrix;

    use super::{
        check_learning_rate, check_noise, finite_scalar, geometric_sum, require_stable,
        spectral_trace, validate, ClosedFormError, FieldError,
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
}

// ---------------------------------------------------------------------------------------------

/// Sec. 6.3: the Kramers escape rate over a barrier in 1-D, with minibatch-like noise C = k_a/S.
///
/// Symbols: minimum a with curvature k_a, barrier top b with curvature −|k_b|, barrier height ΔL,
/// l ∈ [0, 1] the fraction of the escape path a → b dominated by a's temperature, S the batch
/// size, λ the learning rate, and r the loss scale of Fig. 6(b).
///
/// **Convention for r**: L → rL multiplies k_a, |k_b| and ΔL by r. Eq. 51 then changes only by
/// its prefactor |k_b| → r|k_b|, so the continuous-time γ_c/(r|k_b|) is independent of r; the
/// paper's Fig. 6(b) plots γ/|k_b| with |k_b| the **rescaled** barrier curvature
/// ([`kramers::KramersProblem::scaled_barrier_curvature`]), flat for Eq. 51 and increasing with r
/// for Eq. 52 (through λrk_a).
///
/// `ERRATA.md` ("Wrong", Kramers): Eq. 46 is inverted (P/flux is the escape *time*), so Eq. 52's
/// prefactor is inverted too; the consistent form is [`kramers::discrete_rate_corrected`].
/// Eq. 52 → Eq. 51 as r → 0 only up to the erf factor (ratio → erf(z₀) as printed, 1/erf(z₀)
/// corrected, with z₀ = √(2SΔL/(λk_a)); both → 1 for a high barrier), and not as λ → 0 at fixed S
/// (the ratio tends to e^{S l ΔL}). Against an exact discrete-time rate Eq. 52 is only
/// qualitatively right.
pub mod kramers {
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
                return Err(FieldError::new(
                    "l",
                    self.path_split.to_string(),
                    "a number in [0, 1]",
                )
                .into());
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
}

// ---------------------------------------------------------------------------------------------

/// The 1-D closed forms behind Figures 1–2 (k > 0 the curvature, σ² the noise variance; for
/// Fig. 2(b)'s minibatch noise pass σ² = a·k).
pub mod one_dimensional {
    use super::{
        check_learning_rate, check_momentum, check_nonnegative, check_positive, finite_scalar,
        geometric_sum, require_stable, ClosedFormError, FieldError,
    };

    fn check(
        curvature: f64,
        learning_rate: f64,
        noise_variance: f64,
    ) -> Result<(), ClosedFormError> {
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
}
