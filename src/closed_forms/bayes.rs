//! Sec. 6.1: the learning rate that makes SGD's stationary distribution the best Gaussian
//! approximation (in KL) of the posterior f ∝ exp(−N wᵀKw/2), with minibatch noise
//! C = (N−S)/(NS) · K.

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
