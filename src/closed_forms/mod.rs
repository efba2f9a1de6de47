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

pub mod bayes;
pub mod continuous;
pub mod discrete;
pub mod escape;
pub mod kramers;
pub mod one_dimensional;
pub mod second_order;

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
