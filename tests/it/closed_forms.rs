//! Every closed form of `closed_forms` against the exact engine (`solver`) where `ERRATA.md` says
//! the paper is right, and the documented failures where it says the print is wrong.
//!
//! Random cases: D ∈ {1, 2, 5, 20}; K with log-uniform eigenvalues (condition number up to 100,
//! overall scale 0.1–10) and random eigenvectors, sometimes with repeated eigenvalues; C either
//! commuting with K (shared eigenvectors, block-diagonal on repeated eigenvalues) or a generic SPD
//! matrix; λ from 5% to 99% of the stability limit; μ ∈ {0, .3, .6, .9}; ν ∈ {0, .3, .7, 1}.
//! Everything is seeded (Xoshiro256++), so every run checks the same cases.
//!
//! Tolerances. Both sides are double-precision evaluations of the same exact quantity by different
//! routes (closed form through K's eigen-decomposition; engine through per-pair 2×2/4×4 Lyapunov
//! solves, or NGD's preconditioned reduction). Rounding K by one ulp moves Σ ∝ [K(threshold − λK)]⁻¹
//! by a relative amount ≈ ε·κ(K)·threshold/(threshold − λk*), with ε = 2.2e-16: so every comparison
//! uses a relative (Frobenius) error bound `TOL × κ(K) × edge`, edge = 1/(1 − λk*/threshold), with
//! `TOL` = 1e-12, i.e. ~5000 ε. Momentum methods get an extra 1/(1−μ) (the engine's per-pair
//! systems are that much worse conditioned), DNM and NGD κ(K)² (they invert K twice, through
//! K⁻¹CK⁻¹ or Λ = λ(KΣK)⁻¹), NGD its own edge factor from the engine's stability report. The
//! measured worst case is 3e-15 × that amplification (a margin of 300), while every misprint the
//! tests detect is a relative error ≥ 1e-1.

use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use sgd_playground::closed_forms::{
    bayes, continuous, discrete, escape, kramers, one_dimensional, relative_commutator,
    second_order, ClosedFormError, Commutation,
};
use sgd_playground::linalg::SymmetricEigen;
use sgd_playground::model::{Noise, Optimizer, Problem};
use sgd_playground::solver::{self, InitialState};

/// Relative tolerance per unit of κ(K) × edge amplification (see the module comment).
const TOL: f64 = 1e-12;

const DIMENSIONS: [usize; 4] = [1, 2, 5, 20];
const FRACTIONS: [f64; 6] = [0.05, 0.3, 0.6, 0.9, 0.97, 0.99];
const MOMENTA: [f64; 4] = [0.0, 0.3, 0.6, 0.9];
const NUS: [f64; 4] = [0.0, 0.3, 0.7, 1.0];
/// Random cases per dimension.
const SEEDS: u64 = 3;

// ---------------------------------------------------------------------------------------------
// Random cases.

struct Case {
    dimension: usize,
    hessian: DMatrix<f64>,
    /// κ(K) = k*/k_min.
    condition: f64,
    k_max: f64,
    /// Commutes with K (shared eigenvectors; block-diagonal on repeated eigenvalues).
    commuting_noise: DMatrix<f64>,
    /// A generic SPD matrix (does not commute with K for D > 1).
    general_noise: DMatrix<f64>,
}

fn gaussian_matrix(rows: usize, cols: usize, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| StandardNormal.sample(rng))
}

fn random_orthogonal(d: usize, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    gaussian_matrix(d, d, rng).qr().q()
}

fn symmetric(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

fn random_spd(d: usize, rng: &mut Xoshiro256PlusPlus, floor: f64) -> DMatrix<f64> {
    let g = gaussian_matrix(d, d, rng);
    symmetric(&(&g * g.transpose() / d as f64 + DMatrix::identity(d, d) * floor))
}

/// Case `seed` of dimension `d`: seed % 3 == 2 (and D ≥ 5) gives K repeated eigenvalues.
fn case(d: usize, seed: u64) -> Case {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1000 * d as u64 + seed);
    let scale = 10f64.powf(rng.random_range(-1.0..1.0));
    let log_condition = if d == 1 {
        0.0
    } else {
        rng.random_range(0.5..2.0)
    };
    let degenerate = seed % 3 == 2 && d >= 5;
    let mut eigenvalues: Vec<f64> = (0..d)
        .map(|i| {
            let t = if d == 1 {
                0.0
            } else if degenerate {
                // Three distinct values, repeated.
                (i % 3) as f64 / 2.0
            } else if i < 2 {
                i as f64 // pin both ends of the spectrum
            } else {
                rng.random_range(0.0..1.0)
            };
            scale * 10f64.powf(-log_condition * t)
        })
        .collect();
    eigenvalues.sort_by(|a, b| b.total_cmp(a));
    let u = random_orthogonal(d, &mut rng);
    let hessian = symmetric(
        &(&u * DMatrix::from_diagonal(&DVector::from_vec(eigenvalues.clone())) * u.transpose()),
    );
    // Commuting C: block-diagonal in K's eigenbasis on each group of equal eigenvalues.
    let mut c_eigenbasis = DMatrix::zeros(d, d);
    let mut start = 0;
    while start < d {
        let mut end = start + 1;
        while end < d && eigenvalues[end] == eigenvalues[start] {
            end += 1;
        }
        let block =
            random_spd(end - start, &mut rng, 0.05) * 10f64.powf(rng.random_range(-1.0..1.0));
        c_eigenbasis
            .view_mut((start, start), (end - start, end - start))
            .copy_from(&block);
        start = end;
    }
    let commuting_noise = symmetric(&(&u * c_eigenbasis * u.transpose()));
    let general_noise = random_spd(d, &mut rng, 0.05) * 10f64.powf(rng.random_range(-1.0..1.0));
    let k_max = eigenvalues[0];
    let condition = eigenvalues[0] / eigenvalues[d - 1];
    Case {
        dimension: d,
        hessian,
        condition,
        k_max,
        commuting_noise,
        general_noise,
    }
}

fn all_cases() -> Vec<Case> {
    DIMENSIONS
        .iter()
        .flat_map(|&d| (0..SEEDS).map(move |s| case(d, s)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Comparisons.

fn relative_error(actual: &DMatrix<f64>, expected: &DMatrix<f64>) -> f64 {
    (actual - expected).norm() / expected.norm()
}

fn scalar_relative_error(actual: f64, expected: f64) -> f64 {
    (actual - expected).abs() / expected.abs()
}

/// 1/(1 − λk*/threshold): how much rounding is amplified near the stability edge.
fn edge(effective_curvature: f64, threshold: f64) -> f64 {
    1.0 / (1.0 - effective_curvature / threshold)
}

#[track_caller]
fn assert_matrix_close(
    actual: &DMatrix<f64>,
    expected: &DMatrix<f64>,
    amplification: f64,
    what: &str,
) {
    let error = relative_error(actual, expected);
    assert!(
        error <= TOL * amplification,
        "{what}: relative error {error:e} > {:e}\nclosed form {actual}\nengine {expected}",
        TOL * amplification
    );
}

#[track_caller]
fn assert_scalar_close(actual: f64, expected: f64, amplification: f64, what: &str) {
    let error = scalar_relative_error(actual, expected);
    assert!(
        error <= TOL * amplification,
        "{what}: {actual} vs {expected}, relative error {error:e} > {:e}",
        TOL * amplification
    );
}

fn gaussian_problem(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    optimizer: Optimizer,
) -> Problem {
    Problem::new(
        Some(hessian.clone()),
        Noise::Gaussian {
            covariance: noise_cov.clone(),
        },
        optimizer,
    )
    .expect("valid problem")
}

fn engine(
    hessian: &DMatrix<f64>,
    noise_cov: &DMatrix<f64>,
    optimizer: Optimizer,
) -> solver::Stationary {
    solver::stationary(&gaussian_problem(hessian, noise_cov, optimizer)).expect("stationary")
}

fn sgd(learning_rate: f64) -> Optimizer {
    Optimizer::Sgd { learning_rate }
}

fn sgdm(learning_rate: f64, momentum: f64) -> Optimizer {
    Optimizer::Momentum {
        learning_rate,
        momentum,
    }
}

fn qhm(learning_rate: f64, momentum: f64, nu: f64) -> Optimizer {
    Optimizer::QuasiHyperbolic {
        learning_rate,
        momentum,
        nu,
    }
}

// ---------------------------------------------------------------------------------------------
// Table 1, this work: SGD.

#[test]
fn sgd_closed_forms_match_engine() {
    for c in all_cases() {
        for &fraction in &FRACTIONS {
            let lr = fraction * 2.0 / c.k_max;
            let amplification = c.condition * edge(fraction * 2.0, 2.0);
            let context = format!(
                "D={} κ={:.1} λk*={:.3}",
                c.dimension,
                c.condition,
                lr * c.k_max
            );

            // Corollary 1 (commuting C) and Theorem 1 / Eq. 8 (any C).
            let exact = engine(&c.hessian, &c.commuting_noise, sgd(lr));
            let cor1 = discrete::sgd_sigma(&c.hessian, &c.commuting_noise, lr, Commutation::Check)
                .expect("Cor. 1");
            assert_matrix_close(
                &cor1,
                &exact.sigma,
                amplification,
                &format!("Cor. 1, {context}"),
            );
            let general = engine(&c.hessian, &c.general_noise, sgd(lr));
            let eq8 =
                discrete::sgd_lyapunov_sigma(&c.hessian, &c.general_noise, lr).expect("Eq. 8");
            assert_matrix_close(
                &eq8,
                &general.sigma,
                amplification,
                &format!("Eq. 8, {context}"),
            );

            // Table 1 approximation error / Eq. 73 (any C).
            let loss = discrete::sgd_train_loss(&c.hessian, &c.general_noise, lr).expect("loss");
            assert_scalar_close(
                loss,
                general.train_loss,
                amplification,
                &format!("SGD loss, {context}"),
            );
            let limit = escape::discrete_efficiency_limit(&c.hessian, &c.general_noise, lr)
                .expect("Eq. 73");
            assert_scalar_close(
                limit,
                general.train_loss,
                amplification,
                &format!("Eq. 73, {context}"),
            );

            // Theorem 3, Corollaries 4 and 5 (C = σ²I + aK).
            let (white, scale) = (0.7, 1.3);
            let mixed_noise =
                DMatrix::identity(c.dimension, c.dimension) * white + &c.hessian * scale;
            let exact = engine(&c.hessian, &mixed_noise, sgd(lr));
            let theorem3 =
                discrete::mixed_noise_sigma(&c.hessian, white, scale, lr).expect("Thm 3");
            assert_matrix_close(
                &theorem3,
                &exact.sigma,
                amplification,
                &format!("Theorem 3, {context}"),
            );
            let exact = engine(&c.hessian, &(&c.hessian * scale), sgd(lr));
            let cor4 = discrete::hessian_noise_sigma(&c.hessian, scale, lr).expect("Cor. 4");
            assert_matrix_close(
                &cor4,
                &exact.sigma,
                amplification,
                &format!("Cor. 4, {context}"),
            );
            let white_noise = DMatrix::identity(c.dimension, c.dimension) * white;
            let exact = engine(&c.hessian, &white_noise, sgd(lr));
            let cor5 = discrete::white_noise_sigma(&c.hessian, white, lr).expect("Cor. 5");
            assert_matrix_close(
                &cor5,
                &exact.sigma,
                amplification,
                &format!("Cor. 5, {context}"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table 1, this work: SGD with momentum.

#[test]
fn momentum_closed_forms_match_engine() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            let threshold = discrete::momentum_threshold(mu);
            for &fraction in &FRACTIONS {
                let lr = fraction * threshold / c.k_max;
                // The per-pair systems of the engine carry an extra 1/(1−μ) of conditioning.
                let amplification =
                    c.condition * edge(fraction * threshold, threshold) / (1.0 - mu);
                let context = format!(
                    "D={} κ={:.1} μ={mu} λk*={:.3}",
                    c.dimension,
                    c.condition,
                    lr * c.k_max
                );

                let exact = engine(&c.hessian, &c.commuting_noise, sgdm(lr, mu));
                let cor2 = discrete::momentum_sigma(
                    &c.hessian,
                    &c.commuting_noise,
                    lr,
                    mu,
                    Commutation::Check,
                )
                .expect("Cor. 2");
                assert_matrix_close(
                    &cor2,
                    &exact.sigma,
                    amplification,
                    &format!("Cor. 2, {context}"),
                );
                let eq18 = discrete::momentum_sigma_rescaled(
                    &c.hessian,
                    &c.commuting_noise,
                    lr,
                    mu,
                    Commutation::Check,
                )
                .expect("Eq. 18");
                assert_matrix_close(
                    &eq18,
                    &exact.sigma,
                    amplification,
                    &format!("Eq. 18–19, {context}"),
                );
                // Eq. 19: SGDM is SGD with (λ̃, C̃).
                let (rescaled_rate, rescaled_noise) =
                    discrete::momentum_rescaling(lr, mu, &c.commuting_noise).expect("Eq. 19");
                let via_sgd = discrete::sgd_sigma(
                    &c.hessian,
                    &rescaled_noise,
                    rescaled_rate,
                    Commutation::Check,
                )
                .expect("Eq. 19 via Cor. 1");
                assert_matrix_close(
                    &via_sgd,
                    &exact.sigma,
                    amplification,
                    &format!("Eq. 19, {context}"),
                );

                // Eq. 16 and Eq. 27 for non-commuting C.
                let general = engine(&c.hessian, &c.general_noise, sgdm(lr, mu));
                let eq16 = discrete::momentum_lyapunov_sigma(&c.hessian, &c.general_noise, lr, mu)
                    .expect("Eq. 16");
                assert_matrix_close(
                    &eq16,
                    &general.sigma,
                    amplification,
                    &format!("Eq. 16, {context}"),
                );
                let eq27 = discrete::momentum_train_loss(&c.hessian, &c.general_noise, lr, mu)
                    .expect("Eq. 27");
                assert_scalar_close(
                    eq27,
                    general.train_loss,
                    amplification,
                    &format!("Eq. 27, {context}"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// QHM with the corrected h(K).

#[test]
fn qhm_corrected_closed_forms_match_engine() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            for &nu in &NUS {
                let threshold = discrete::qhm_threshold(mu, nu);
                for &fraction in &FRACTIONS {
                    let lr = fraction * threshold / c.k_max;
                    let amplification =
                        c.condition * edge(fraction * threshold, threshold) / (1.0 - mu);
                    let context =
                        format!("D={} μ={mu} ν={nu} λk*={:.3}", c.dimension, lr * c.k_max);
                    let exact = engine(&c.hessian, &c.commuting_noise, qhm(lr, mu, nu));
                    let sigma = discrete::qhm_sigma(
                        &c.hessian,
                        &c.commuting_noise,
                        lr,
                        mu,
                        nu,
                        Commutation::Check,
                    )
                    .expect("QHM Σ");
                    assert_matrix_close(
                        &sigma,
                        &exact.sigma,
                        amplification,
                        &format!("QHM Σ, {context}"),
                    );
                    let general = engine(&c.hessian, &c.general_noise, qhm(lr, mu, nu));
                    let loss = discrete::qhm_train_loss(&c.hessian, &c.general_noise, lr, mu, nu)
                        .expect("Eq. 56");
                    assert_scalar_close(
                        loss,
                        general.train_loss,
                        amplification,
                        &format!("Eq. 56, {context}"),
                    );
                }
            }
        }
    }
}

#[test]
fn qhm_h_reduces_to_sgd_and_momentum() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            for &fraction in &[0.1, 0.5, 0.9] {
                // ν = 0: h = λK(2I − λK), QHM is SGD.
                let lr = fraction * 2.0 / c.k_max;
                let h = discrete::qhm_h(&c.hessian, lr, mu, 0.0).expect("h");
                let sgd_h = SymmetricEigen::new(&c.hessian).map(|k| lr * k * (2.0 - lr * k));
                assert_matrix_close(&h, &sgd_h, c.condition, "h at ν = 0");
                let qhm_sigma = discrete::qhm_sigma(
                    &c.hessian,
                    &c.commuting_noise,
                    lr,
                    mu,
                    0.0,
                    Commutation::Check,
                )
                .expect("QHM");
                let sgd_sigma =
                    discrete::sgd_sigma(&c.hessian, &c.commuting_noise, lr, Commutation::Check)
                        .expect("SGD");
                assert_matrix_close(
                    &qhm_sigma,
                    &sgd_sigma,
                    c.condition * edge(fraction * 2.0, 2.0),
                    "Σ at ν = 0",
                );

                // ν = 1: SGDM with learning rate λ(1−μ).
                let threshold = discrete::qhm_threshold(mu, 1.0);
                let lr = fraction * threshold / c.k_max;
                let qhm_sigma = discrete::qhm_sigma(
                    &c.hessian,
                    &c.commuting_noise,
                    lr,
                    mu,
                    1.0,
                    Commutation::Check,
                )
                .expect("QHM");
                let sgdm_sigma = discrete::momentum_sigma(
                    &c.hessian,
                    &c.commuting_noise,
                    lr * (1.0 - mu),
                    mu,
                    Commutation::Check,
                )
                .expect("SGDM");
                let amplification = c.condition * edge(fraction * threshold, threshold);
                assert_matrix_close(&qhm_sigma, &sgdm_sigma, amplification, "Σ at ν = 1");
                let h = discrete::qhm_h(&c.hessian, lr, mu, 1.0).expect("h");
                let expected = SymmetricEigen::new(&c.hessian)
                    .map(|k| lr * k * (2.0 - lr * (1.0 - mu) * k / (1.0 + mu)));
                assert_matrix_close(&h, &expected, amplification, "h at ν = 1");
            }
        }
    }
}

/// `ERRATA.md`: Eq. 57's printed h(K) is wrong (Σ off by up to 30×). Show that it disagrees with
/// the engine, beyond doubt, already at ν = 0 (where QHM is plain SGD). Measured here: the
/// training loss of Eq. 56 with the printed h is off by up to 39× (3.9× at ν = 0).
#[test]
fn qhm_printed_h_disagrees_with_engine() {
    let mut worst: f64 = 0.0;
    let mut at_nu_zero: f64 = 0.0;
    for c in all_cases() {
        for &mu in &MOMENTA[1..] {
            for &nu in &NUS {
                let threshold = discrete::qhm_threshold(mu, nu);
                for &fraction in &[0.3, 0.9] {
                    let lr = fraction * threshold / c.k_max;
                    let exact = engine(&c.hessian, &c.general_noise, qhm(lr, mu, nu)).train_loss;
                    let error = match discrete::qhm_train_loss_as_printed(
                        &c.hessian,
                        &c.general_noise,
                        lr,
                        mu,
                        nu,
                    ) {
                        Ok(printed) => scalar_relative_error(printed, exact),
                        // A non-finite or sign-flipped printed value is as wrong as it gets.
                        Err(_) => f64::INFINITY,
                    };
                    worst = worst.max(error);
                    if nu == 0.0 {
                        at_nu_zero = at_nu_zero.max(error);
                    }
                }
            }
        }
    }
    assert!(
        worst > 1.0,
        "printed Eq. 57 should be far off somewhere; worst relative error {worst}"
    );
    assert!(
        at_nu_zero > 0.1,
        "printed Eq. 57 should fail even at ν = 0; worst there {at_nu_zero}"
    );
    // The corrected h(K) in the same cases is exact (qhm_corrected_closed_forms_match_engine).
}

// ---------------------------------------------------------------------------------------------
// Commutation: Corollary 1 needs [C, K] = 0, Eq. 8 and Eq. 27 do not.

#[test]
fn corollaries_fail_for_non_commuting_noise_while_general_forms_hold() {
    let mut worst_cor1: f64 = 0.0;
    let mut worst_cor2: f64 = 0.0;
    for c in all_cases().into_iter().filter(|c| c.dimension > 1) {
        assert!(relative_commutator(&c.hessian, &c.general_noise) > 1e-3);
        assert!(relative_commutator(&c.hessian, &c.commuting_noise) < 1e-13);
        let lr = 0.9 * 2.0 / c.k_max;
        let err = discrete::sgd_sigma(&c.hessian, &c.general_noise, lr, Commutation::Check)
            .expect_err("must refuse");
        assert!(matches!(err, ClosedFormError::NotCommuting { .. }), "{err}");

        let exact = engine(&c.hessian, &c.general_noise, sgd(lr));
        let cor1 = discrete::sgd_sigma(&c.hessian, &c.general_noise, lr, Commutation::Ignore)
            .expect("evaluated");
        worst_cor1 = worst_cor1.max(relative_error(&cor1, &exact.sigma));
        // Its trace with K is still right: Tr[Kφ(K)C] is the same for the literal product.
        let amplification = c.condition * edge(1.8, 2.0);
        assert_scalar_close(
            0.5 * (&c.hessian * &cor1).trace(),
            exact.train_loss,
            amplification,
            "Tr[KΣ] of Cor. 1",
        );
        let eq27 =
            discrete::momentum_train_loss(&c.hessian, &c.general_noise, lr, 0.0).expect("Eq. 27");
        assert_scalar_close(eq27, exact.train_loss, amplification, "Eq. 27");

        let mu = 0.6;
        let lr = 0.9 * discrete::momentum_threshold(mu) / c.k_max;
        let exact = engine(&c.hessian, &c.general_noise, sgdm(lr, mu));
        let cor2 =
            discrete::momentum_sigma(&c.hessian, &c.general_noise, lr, mu, Commutation::Ignore)
                .expect("evaluated");
        worst_cor2 = worst_cor2.max(relative_error(&cor2, &exact.sigma));
        let eq16 = discrete::momentum_lyapunov_sigma(&c.hessian, &c.general_noise, lr, mu)
            .expect("Eq. 16");
        assert_matrix_close(
            &eq16,
            &exact.sigma,
            c.condition * edge(0.9, 1.0) / (1.0 - mu),
            "Eq. 16",
        );
    }
    // Measured: Cor. 1 off by 42% and Cor. 2 by 60% of ‖Σ‖_F in the worst case here; anything above
    // 10% is a failure no rounding can explain.
    assert!(
        worst_cor1 > 0.1,
        "Cor. 1 should be wrong for non-commuting C (worst {worst_cor1})"
    );
    assert!(
        worst_cor2 > 0.1,
        "Cor. 2 should be wrong for non-commuting C (worst {worst_cor2})"
    );
}

// ---------------------------------------------------------------------------------------------
// Table 1, previous work: the continuous-time limit.

#[test]
fn discrete_tends_to_continuous_time_with_error_of_order_lambda_k() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            let threshold = discrete::momentum_threshold(mu);
            let mut previous: Option<(f64, f64)> = None;
            for &fraction in &[1e-2, 1e-3, 1e-4] {
                let lr = fraction * threshold / c.k_max;
                let x = lr * c.k_max;
                let exact = engine(&c.hessian, &c.general_noise, sgdm(lr, mu));
                let ou = continuous::ornstein_uhlenbeck_sigma(&c.hessian, &c.general_noise, lr, mu)
                    .expect("OU");
                let error = relative_error(&ou, &exact.sigma);
                // From the eigenbasis form of Eq. 16: |d_ij/((1−μ)(k_i+k_j)) − 1| ≤ λk*(1/2 + μ/(1−μ)²).
                let bound = x * (0.5 + mu / ((1.0 - mu) * (1.0 - mu)));
                assert!(
                    error <= bound * 1.01 + 1e-12,
                    "OU vs Eq. 16: {error:e} > {bound:e} (D={}, μ={mu})",
                    c.dimension
                );
                if let Some((previous_x, previous_error)) = previous {
                    // O(λk): ten times smaller λ, ten times smaller error, once in the linear regime
                    // (bound < 5%) and above rounding.
                    if previous_error > 1e-9
                        && previous_x * (0.5 + mu / ((1.0 - mu) * (1.0 - mu))) < 0.05
                    {
                        let ratio = (error / previous_error) / (x / previous_x);
                        assert!(
                            (0.5..2.0).contains(&ratio),
                            "error is not O(λk): ratio {ratio} (D={}, μ={mu})",
                            c.dimension
                        );
                    }
                }
                previous = Some((x, error));

                // Table 1, previous work, commuting C: Mandt's SGD/SGDM and the corrected QHM.
                let exact = engine(&c.hessian, &c.commuting_noise, sgdm(lr, mu));
                let mandt = continuous::momentum_sigma(
                    &c.hessian,
                    &c.commuting_noise,
                    lr,
                    mu,
                    Commutation::Check,
                )
                .expect("Mandt");
                // Exactly: Σ_mandt/Σ = (2 − λk/(1+μ))/2 per eigenvalue.
                assert!(
                    relative_error(&mandt, &exact.sigma) <= 0.5 * x / (1.0 + mu) * 1.01 + 1e-12
                );
                if mu == 0.0 {
                    let sgd_mandt = continuous::sgd_sigma(
                        &c.hessian,
                        &c.commuting_noise,
                        lr,
                        Commutation::Check,
                    )
                    .expect("Mandt");
                    assert_matrix_close(&sgd_mandt, &mandt, 1.0, "λ/2 K⁻¹C");
                }
                for &nu in &NUS {
                    let exact = engine(&c.hessian, &c.commuting_noise, qhm(lr, mu, nu));
                    let corrected = continuous::qhm_sigma(
                        &c.hessian,
                        &c.commuting_noise,
                        lr,
                        mu,
                        nu,
                        Commutation::Check,
                    )
                    .expect("QHM continuous");
                    let error = relative_error(&corrected, &exact.sigma);
                    assert!(
                        error <= 2.0 * x / (1.0 - mu) + 1e-12,
                        "QHM λ/2 K⁻¹C: {error:e} at λk* = {x:e}, μ={mu} ν={nu}"
                    );
                    // The printed λ/(2(1−μ))K⁻¹C is off by the factor 1/(1−μ) as λ → 0.
                    let printed = continuous::qhm_sigma_as_printed(
                        &c.hessian,
                        &c.commuting_noise,
                        lr,
                        mu,
                        nu,
                        Commutation::Check,
                    )
                    .expect("printed");
                    let printed_error = relative_error(&printed, &exact.sigma);
                    let factor_error = mu / (1.0 - mu);
                    assert!(
                        (printed_error - factor_error).abs() <= 2.0 * x / (1.0 - mu).powi(2) + 1e-9
                    );
                }
            }
        }
    }
}

#[test]
fn approximation_error_expansions_are_second_order() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            for &fraction in &[1e-2, 1e-3] {
                let threshold = discrete::momentum_threshold(mu);
                let lr = fraction * threshold / c.k_max;
                let x = lr * c.k_max;
                let exact = discrete::momentum_train_loss(&c.hessian, &c.general_noise, lr, mu)
                    .expect("Eq. 27");
                let expansion =
                    continuous::momentum_train_loss_expansion(&c.hessian, &c.general_noise, lr, mu)
                        .expect("expansion");
                // Eq. 27 is λ/(4(1−μ)) Σ c̃_ii/(1 − y_i), y_i = λk_i/(2(1+μ)); the expansion drops Σ y²/(1−y).
                let y = x / (2.0 * (1.0 + mu));
                let error = scalar_relative_error(expansion, exact);
                assert!(
                    error <= y * y / (1.0 - y) * 1.01 + 1e-13,
                    "SGDM expansion: {error:e}"
                );
                if mu == 0.0 {
                    let sgd_expansion =
                        continuous::sgd_train_loss_expansion(&c.hessian, &c.general_noise, lr)
                            .expect("expansion");
                    assert_scalar_close(sgd_expansion, expansion, 1.0, "SGD expansion");
                }
                // The continuous-time loss λ/(4(1−μ)) Tr C is first order.
                let continuous_loss =
                    continuous::train_loss(&c.general_noise, lr, mu).expect("loss");
                assert!(scalar_relative_error(continuous_loss, exact) <= y / (1.0 - y) * 1.01);
                let ou = continuous::ornstein_uhlenbeck_sigma(&c.hessian, &c.general_noise, lr, mu)
                    .expect("OU");
                assert_scalar_close(
                    0.5 * (&c.hessian * ou).trace(),
                    continuous_loss,
                    c.condition,
                    "OU loss",
                );
                for &nu in &NUS {
                    let exact = discrete::qhm_train_loss(&c.hessian, &c.general_noise, lr, mu, nu)
                        .expect("Eq. 56");
                    let expansion = continuous::qhm_train_loss_expansion(
                        &c.hessian,
                        &c.general_noise,
                        lr,
                        mu,
                        nu,
                    )
                    .expect("QHM");
                    let error = scalar_relative_error(expansion, exact);
                    // Third-order remainder: relative error O((λk*)²), constant up to ~1/(1−μ)².
                    let bound = 4.0 * (x / (1.0 - mu)).powi(2);
                    assert!(
                        error <= bound + 1e-13,
                        "QHM expansion: {error:e} > {bound:e} at μ={mu} ν={nu}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Second-order methods.

#[test]
fn damped_newton_matches_engine() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            let threshold = 2.0 * (1.0 + mu);
            for &fraction in &FRACTIONS {
                let lr = fraction * threshold;
                let amplification =
                    c.condition * c.condition * edge(fraction * threshold, threshold) / (1.0 - mu);
                let optimizer = Optimizer::DampedNewton {
                    learning_rate: lr,
                    momentum: mu,
                };
                let exact = engine(&c.hessian, &c.general_noise, optimizer.clone());
                let eq58 = second_order::damped_newton_sigma(&c.hessian, &c.general_noise, lr, mu)
                    .expect("Eq. 58");
                assert_matrix_close(&eq58, &exact.sigma, amplification, "Eq. 58");
                let eq60 =
                    second_order::damped_newton_train_loss(&c.hessian, &c.general_noise, lr, mu)
                        .expect("Eq. 60");
                assert_scalar_close(eq60, exact.train_loss, amplification, "Eq. 60");

                let (n, s) = (1000, 10);
                let noise = &c.hessian * ((n - s) as f64 / (n * s) as f64);
                let exact = engine(&c.hessian, &noise, optimizer);
                let eq59 = second_order::damped_newton_sigma_minibatch(&c.hessian, lr, mu, n, s)
                    .expect("Eq. 59");
                assert_matrix_close(&eq59, &exact.sigma, amplification, "Eq. 59");
                let loss =
                    second_order::damped_newton_train_loss_minibatch(&c.hessian, lr, mu, n, s)
                        .expect("Eq. 60b");
                assert_scalar_close(loss, exact.train_loss, amplification, "Eq. 60, 2nd line");
            }
        }
    }
}

#[test]
fn natural_gradient_matches_engine() {
    for c in all_cases() {
        for &mu in &MOMENTA {
            for &lr in &[0.01, 0.5, 3.0, 10.0] {
                let optimizer = Optimizer::NaturalGradient {
                    learning_rate: lr,
                    momentum: mu,
                };
                let amplification = c.condition * c.condition / (1.0 - mu);
                let context = format!("D={} κ={:.1} μ={mu} λ={lr}", c.dimension, c.condition);
                // Eq. 62 with a non-commuting C: the engine starts from Eq. 62 and checks that the
                // preconditioned solve with Λ = λ(KΣK)⁻¹ reproduces it; here check that
                // independently, through solver::preconditioned on our Σ.
                let exact = engine(&c.hessian, &c.general_noise, optimizer.clone());
                // NGD has its own edge: ΛK → 2(1+μ) as λ grows (the noise term βCK⁻¹ becomes small
                // next to α²), so the edge amplification comes from the engine's stability report.
                let amplification = amplification
                    * edge(
                        exact.stability.effective_curvature,
                        exact.stability.threshold,
                    );
                let eq62 =
                    second_order::natural_gradient_sigma(&c.hessian, &c.general_noise, lr, mu)
                        .expect("Eq. 62");
                assert_matrix_close(
                    &eq62,
                    &exact.sigma,
                    amplification,
                    &format!("Eq. 62 vs engine NGD, {context}"),
                );
                let fisher = symmetric(&(&c.hessian * &eq62 * &c.hessian));
                let preconditioner = SymmetricEigen::new(&fisher).map(|v| lr / v);
                let self_consistent =
                    solver::preconditioned(&c.hessian, &c.general_noise, &preconditioner, mu)
                        .expect("preconditioned");
                assert_matrix_close(
                    &self_consistent.sigma,
                    &eq62,
                    amplification,
                    &format!("Eq. 62 self-consistency, {context}"),
                );
                let eq64 =
                    second_order::natural_gradient_train_loss(&c.hessian, &c.general_noise, lr, mu)
                        .expect("Eq. 64");
                assert_scalar_close(
                    eq64,
                    exact.train_loss,
                    amplification,
                    &format!("Eq. 64, 1st line, {context}"),
                );

                // Eq. 63 / Eq. 64 2nd line (corrected) with Fisher noise.
                let (n, s) = (500, 20);
                let problem = Problem::new(
                    Some(c.hessian.clone()),
                    Noise::Fisher {
                        dataset_size: n,
                        batch_size: s,
                    },
                    optimizer,
                )
                .expect("problem");
                let exact = solver::stationary(&problem).expect("NGD Fisher");
                let amplification = c.condition * c.condition / (1.0 - mu)
                    * edge(
                        exact.stability.effective_curvature,
                        exact.stability.threshold,
                    );
                let eq63 = second_order::natural_gradient_sigma_fisher(&c.hessian, lr, mu, n, s)
                    .expect("Eq. 63");
                assert_matrix_close(
                    &eq63,
                    &exact.sigma,
                    amplification,
                    &format!("Eq. 63, {context}"),
                );
                let noise = symmetric(
                    &(&c.hessian * &eq63 * &c.hessian * ((n - s) as f64 / (n * s) as f64)),
                );
                let fisher = symmetric(&(&c.hessian * &eq63 * &c.hessian));
                let preconditioner = SymmetricEigen::new(&fisher).map(|v| lr / v);
                let self_consistent =
                    solver::preconditioned(&c.hessian, &noise, &preconditioner, mu)
                        .expect("preconditioned");
                assert_matrix_close(
                    &self_consistent.sigma,
                    &eq63,
                    amplification,
                    &format!("Eq. 63 self-consistency, {context}"),
                );
                let eq64 =
                    second_order::natural_gradient_train_loss_fisher(&c.hessian, lr, mu, n, s)
                        .expect("Eq. 64b");
                assert_scalar_close(
                    eq64,
                    exact.train_loss,
                    amplification,
                    &format!("Eq. 64, 2nd line (corrected), {context}"),
                );
                // The printed (N−S)/(N−S) = 1 in place of (N−S)/(NS) is far off.
                let printed =
                    lr * ((1.0 + mu) + 1.0 - mu) / (4.0 * (1.0 - mu * mu)) * c.dimension as f64;
                assert!(scalar_relative_error(printed, exact.train_loss) > 0.1);
            }
        }
    }
}

#[test]
fn natural_gradient_without_noise_is_marginal() {
    let c = case(5, 0);
    let err = second_order::natural_gradient_sigma_fisher(&c.hessian, 0.5, 0.3, 100, 100)
        .expect_err("S = N");
    assert!(
        matches!(err, ClosedFormError::Invalid(ref e) if e.field == "S"),
        "{err}"
    );
    // A singular C: the noiseless direction sits on the edge ΛK = 2(1+μ); the engine agrees.
    // (Exactly singular: a C that is singular only up to rounding can pass as barely stable, in
    // the closed form and in the engine alike.)
    let hessian = DMatrix::from_diagonal(&DVector::from_row_slice(&[2.0, 0.5, 1.0]));
    let singular = DMatrix::from_diagonal(&DVector::from_row_slice(&[1.0, 0.0, 0.3]));
    for &(lr, mu) in &[(0.5, 0.3), (0.01, 0.0), (4.0, 0.9)] {
        let err = second_order::natural_gradient_sigma(&hessian, &singular, lr, mu)
            .expect_err("marginal");
        assert!(matches!(err, ClosedFormError::Unstable { .. }), "{err}");
        let problem = gaussian_problem(
            &hessian,
            &singular,
            Optimizer::NaturalGradient {
                learning_rate: lr,
                momentum: mu,
            },
        );
        assert!(
            solver::stationary(&problem).is_err(),
            "the engine should call it marginal too"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Bayes-optimal learning rate.

fn spectrum_hessian(eigenvalues: &[f64], seed: u64) -> DMatrix<f64> {
    let d = eigenvalues.len();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let u = random_orthogonal(d, &mut rng);
    symmetric(&(&u * DMatrix::from_diagonal(&DVector::from_row_slice(eigenvalues)) * u.transpose()))
}

#[test]
fn bayes_root_minimises_kl_on_a_dense_scan() {
    let batches = [
        (1000, 1),
        (1000, 10),
        (1000, 100),
        (1000, 500),
        (1000, 700),
        (1000, 990),
        (10, 9),
    ];
    for c in all_cases() {
        for &(n, s) in &batches {
            let optimum = bayes::optimal_learning_rate(&c.hessian, n, s).expect("optimum");
            let lr = optimum.learning_rate;
            let (lo, hi) = optimum.bracket;
            assert!(lo <= lr && lr <= hi && lr < 2.0 / c.k_max);
            // Eq. 36 vanishes there (relative to its two sides).
            let derivative = bayes::kl_derivative(&c.hessian, lr, n, s).expect("derivative");
            let d = c.dimension as f64;
            assert!(
                derivative.abs() * lr / d < 1e-9 * c.condition,
                "∂D_KL/∂λ = {derivative:e} at the root"
            );
            // Dense scan of (0, 2/k*), then a finer one around λ*: no grid point has a lower KL, and
            // each grid's minimum is next to λ*.
            let kl_at = |x: f64| bayes::kl_at_learning_rate(&c.hessian, x, n, s).expect("kl");
            let tolerance = 1e-12 * optimum.kl.abs().max(1.0);
            let coarse = 2.0 / c.k_max / 2000.0;
            let fine = coarse / 100.0;
            let grids = [
                (
                    coarse,
                    (1..2000).map(|i| i as f64 * coarse).collect::<Vec<_>>(),
                ),
                (
                    fine,
                    (-200..=200)
                        .map(|i| lr + i as f64 * fine)
                        .filter(|&x| x > 0.0 && x < 2.0 / c.k_max)
                        .collect(),
                ),
            ];
            for (spacing, grid) in grids {
                let mut best = (f64::INFINITY, 0.0);
                for x in grid {
                    let kl = kl_at(x);
                    assert!(
                        kl >= optimum.kl - tolerance,
                        "KL({x}) = {kl} < KL(λ*) = {}",
                        optimum.kl
                    );
                    if kl < best.0 {
                        best = (kl, x);
                    }
                }
                assert!(
                    (best.1 - lr).abs() <= spacing * 1.0001,
                    "grid argmin {} vs root {lr}",
                    best.1
                );
            }
            // Eq. 37 has exactly one root (proved in the doc): count sign changes of ∂D_KL/∂λ.
            let mut changes = 0;
            let mut last = None;
            for i in 1..1000 {
                let x = 2.0 / c.k_max * i as f64 / 1000.0;
                let sign = bayes::kl_derivative(&c.hessian, x, n, s).expect("derivative") > 0.0;
                if last.is_some_and(|l| l != sign) {
                    changes += 1;
                }
                last = Some(sign);
            }
            assert_eq!(changes, 1, "D={} N={n} S={s}", c.dimension);
        }
    }
}

#[test]
fn kl_formulas_agree_with_engine_and_finite_differences() {
    for c in all_cases() {
        let (n, s) = (1000, 50);
        for &fraction in &[0.1, 0.5, 0.9] {
            let lr = fraction * 2.0 / c.k_max;
            // Eq. 34 = the engine's SGD Σ with C = (N−S)/(NS) K, and Eq. 33 on it.
            let noise = &c.hessian * ((n - s) as f64 / (n * s) as f64);
            let exact = engine(&c.hessian, &noise, sgd(lr));
            let eq34 = bayes::minibatch_sigma(&c.hessian, lr, n, s).expect("Eq. 34");
            assert_matrix_close(
                &eq34,
                &exact.sigma,
                c.condition * edge(fraction * 2.0, 2.0),
                "Eq. 34",
            );
            let kl_engine = bayes::kl_divergence(&c.hessian, &exact.sigma, n).expect("Eq. 33");
            let kl = bayes::kl_at_learning_rate(&c.hessian, lr, n, s).expect("Eq. 33–34");
            assert!(
                (kl - kl_engine).abs()
                    <= 1e-9 * (1.0 + kl.abs()) * c.condition * edge(fraction * 2.0, 2.0)
            );
            // Eq. 36/2 against a central difference of D_KL.
            let h = lr * 1e-5;
            let plus = bayes::kl_at_learning_rate(&c.hessian, lr + h, n, s).expect("kl");
            let minus = bayes::kl_at_learning_rate(&c.hessian, lr - h, n, s).expect("kl");
            let numeric = (plus - minus) / (2.0 * h);
            let analytic = bayes::kl_derivative(&c.hessian, lr, n, s).expect("derivative");
            assert!(
                (numeric - analytic).abs() <= 1e-5 * (analytic.abs() + c.dimension as f64 / lr),
                "{numeric} vs {analytic}"
            );
            // Eq. 36 as printed is twice this: its left-minus-right side, summed directly.
            let eigen = SymmetricEigen::new(&c.hessian);
            let (nf, sf) = (n as f64, s as f64);
            let printed: f64 = eigen
                .values
                .iter()
                .map(|&k| {
                    (nf - 2.0 * sf) / sf * k / (2.0 - lr * k)
                        + (nf - sf) / sf * lr * k * k / (2.0 - lr * k).powi(2)
                })
                .sum::<f64>()
                - c.dimension as f64 / lr;
            assert!((printed - 2.0 * analytic).abs() <= 1e-9 * printed.abs().max(1.0 / lr));
        }
    }
}

#[test]
fn mandt_is_exact_for_isotropic_hessian() {
    for &d in &DIMENSIONS {
        for &k in &[0.1, 1.0, 7.0] {
            for &(n, s) in &[(1000, 1), (1000, 100), (100, 90)] {
                let hessian = DMatrix::identity(d, d) * k;
                let optimum = bayes::optimal_learning_rate(&hessian, n, s).expect("optimum");
                let mandt = bayes::mandt_learning_rate(&hessian, n, s).expect("Mandt");
                assert!(scalar_relative_error(optimum.learning_rate, mandt) < 1e-14);
                assert!((optimum.mandt.ratio_to_optimal - 1.0).abs() < 1e-14);
                assert!(optimum.mandt.stable);
            }
        }
    }
}

#[test]
fn mandt_overshoots_for_anisotropic_hessian_and_can_diverge() {
    // S ≤ 2N/3: Mandt never undershoots (Jensen, see the doc of optimal_learning_rate).
    let mut worst_ratio: f64 = 1.0;
    for c in all_cases().into_iter().filter(|c| c.condition > 1.5) {
        for &(n, s) in &[(1000, 1), (1000, 50), (1000, 300), (1000, 666)] {
            let optimum = bayes::optimal_learning_rate(&c.hessian, n, s).expect("optimum");
            assert!(
                optimum.mandt.ratio_to_optimal > 1.0,
                "Mandt undershoots: {:?}",
                optimum.mandt
            );
            if let Some(kl) = optimum.mandt.kl {
                assert!(kl > optimum.kl);
            }
            worst_ratio = worst_ratio.max(optimum.mandt.ratio_to_optimal);
        }
    }
    assert!(
        worst_ratio > 1.2,
        "Mandt should overshoot markedly somewhere ({worst_ratio})"
    );
    // One sharp direction among many flat ones: Mandt's λ lands past 2/k*.
    let mut eigenvalues = vec![0.1; 20];
    eigenvalues[0] = 10.0;
    let hessian = spectrum_hessian(&eigenvalues, 7);
    let optimum = bayes::optimal_learning_rate(&hessian, 1000, 100).expect("optimum");
    assert!(
        !optimum.mandt.stable && optimum.mandt.kl.is_none(),
        "{:?}",
        optimum.mandt
    );
    assert!(optimum.mandt.learning_rate * 10.0 >= 2.0);
    assert!(optimum.learning_rate * 10.0 < 2.0 && optimum.kl.is_finite());
}

// ---------------------------------------------------------------------------------------------
// Escaping efficiency.

#[test]
fn discrete_efficiency_matches_engine_transient() {
    for c in all_cases() {
        // Finite time needs no stability: also past the edge.
        for &fraction in &[0.05, 0.5, 0.9, 0.99, 1.0, 1.02] {
            let lr = fraction * 2.0 / c.k_max;
            let problem = gaussian_problem(&c.hessian, &c.general_noise, sgd(lr));
            for &steps in &[0u64, 1, 2, 3, 10, 100, 1000] {
                let exact = solver::transient(&problem, steps, &InitialState::default())
                    .expect("transient");
                let eq41 = escape::discrete_efficiency(&c.hessian, &c.general_noise, lr, steps)
                    .expect("Eq. 41");
                if steps == 0 {
                    assert_eq!(eq41, 0.0);
                    continue;
                }
                // Rounding of λk near 2 is amplified by t·|(1−λk)|^{2t−1}-like factors: use the number of steps.
                let amplification =
                    c.condition * steps as f64 * edge(fraction.min(0.99) * 2.0, 2.0);
                assert_scalar_close(
                    eq41,
                    exact.train_loss,
                    amplification,
                    &format!("Eq. 41, t={steps}, λk*={:.3}", lr * c.k_max),
                );
                if steps == 1 {
                    // Eq. 72.
                    let eq72 = 0.5 * lr * lr * (&c.hessian * &c.general_noise).trace();
                    assert_scalar_close(eq41, eq72, c.condition, "Eq. 72");
                }
                if steps <= 100 {
                    // Eq. 41's first line (Eq. 71 with its λ² restored), summed directly.
                    let step = DMatrix::identity(c.dimension, c.dimension) - &c.hessian * lr;
                    let mut power = DMatrix::identity(c.dimension, c.dimension);
                    let mut sum = 0.0;
                    for _ in 0..steps {
                        sum += (&c.general_noise * &c.hessian * &power).trace();
                        power = &power * &step * &step;
                    }
                    assert_scalar_close(
                        eq41,
                        0.5 * lr * lr * sum,
                        amplification,
                        "Eq. 41, first line",
                    );
                }
            }
            if fraction < 1.0 {
                let limit = escape::discrete_efficiency_limit(&c.hessian, &c.general_noise, lr)
                    .expect("Eq. 73");
                let late = escape::discrete_efficiency(&c.hessian, &c.general_noise, lr, 1 << 40)
                    .expect("late");
                assert_scalar_close(
                    late,
                    limit,
                    c.condition * edge(fraction * 2.0, 2.0),
                    "t → ∞",
                );
            } else {
                assert!(matches!(
                    escape::discrete_efficiency_limit(&c.hessian, &c.general_noise, lr),
                    Err(ClosedFormError::Unstable { .. })
                ));
            }
        }
    }
}

#[test]
fn discrete_efficiency_exceeds_continuous() {
    // Per eigen-mode (Eq. 74), on a dense grid of λk ∈ (0, 2) and t, including λk > 1.2785 where the
    // paper's proof step (Eq. 76) fails (`ERRATA.md`).
    let one = DMatrix::from_element(1, 1, 1.0);
    for i in 1..400 {
        let x = 2.0 * i as f64 / 400.0;
        for steps in (0..60).chain([100, 1000, 100_000]) {
            let discrete = escape::discrete_efficiency(&one, &one, x, steps).expect("E_d");
            let continuous =
                escape::continuous_efficiency(&one, &one, x, steps as f64).expect("E_c");
            assert!(
                discrete >= continuous * (1.0 - 1e-14),
                "λk = {x}, t = {steps}: {discrete} < {continuous}"
            );
        }
    }
    for c in all_cases() {
        for &fraction in &[0.1, 0.7, 0.99] {
            let lr = fraction * 2.0 / c.k_max;
            for steps in [1u64, 5, 50, 5000] {
                let discrete = escape::discrete_efficiency(&c.hessian, &c.general_noise, lr, steps)
                    .expect("E_d");
                let continuous =
                    escape::continuous_efficiency(&c.hessian, &c.general_noise, lr, steps as f64)
                        .expect("E_c");
                assert!(discrete >= continuous * (1.0 - 1e-13));
            }
            // Limits: E_c → λ/4 Tr C, and E_c(t) ≈ tλ²/2 Tr[KC] for short times.
            let limit = escape::continuous_efficiency_limit(&c.general_noise, lr).expect("limit");
            let late = escape::continuous_efficiency(
                &c.hessian,
                &c.general_noise,
                lr,
                1e9 / (lr * c.k_max) * c.condition,
            )
            .expect("late");
            assert_scalar_close(late, limit, 1.0, "E_c(∞)");
            let t = 1e-6;
            let early =
                escape::continuous_efficiency(&c.hessian, &c.general_noise, lr, t).expect("early");
            let linear = t * lr * lr / 2.0 * (&c.hessian * &c.general_noise).trace();
            assert!(scalar_relative_error(early, linear) < 1e-5);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kramers rates.

fn kramers_problem(learning_rate: f64, loss_scale: f64) -> kramers::KramersProblem {
    kramers::KramersProblem {
        minimum_curvature: 1.0,
        barrier_curvature: 0.8,
        barrier_height: 0.5,
        path_split: 0.6,
        batch_size: 4.0,
        learning_rate,
        loss_scale,
    }
}

#[test]
fn kramers_rates_limits_and_scale_convention() {
    for &lr in &[0.05, 0.3, 1.0] {
        let base = kramers_problem(lr, 1.0);
        // z₀ = √(2SΔL/(λk_a)) at r → 0.
        let z0 =
            (2.0 * base.batch_size * base.barrier_height / (lr * base.minimum_curvature)).sqrt();
        for &r in &[1e-6, 1e-9] {
            let p = kramers_problem(lr, r);
            let gamma_c = kramers::continuous_rate(&p).expect("Eq. 51");
            let printed = kramers::discrete_rate_as_printed(&p).expect("Eq. 52");
            let corrected = kramers::discrete_rate_corrected(&p).expect("Eq. 52 corrected");
            // r → 0: Eq. 52 → Eq. 51 up to the erf factor (printed: × erf(z₀); corrected: ÷ erf(z₀)).
            // The remaining factors are √(2/(2−λrk_a)) e^{S l rΔL} and the erf argument's shift, all
            // 1 + O(r(λk_a + S l ΔL + S ΔL)).
            let erf = kramers::error_function(z0);
            let p_base = &base;
            let first_order = r
                * (lr * p_base.minimum_curvature + 2.0 * p_base.batch_size * p_base.barrier_height);
            assert!(
                scalar_relative_error(printed / gamma_c, erf) < 2.0 * first_order,
                "printed"
            );
            assert!(
                scalar_relative_error(corrected / gamma_c, 1.0 / erf) < 2.0 * first_order,
                "corrected"
            );
        }
        // Continuous γ_c/(r|k_b|) does not depend on r (Fig. 6(b)'s flat line); Eq. 52's grows with r.
        let mut last_printed = 0.0;
        let mut last_corrected = 0.0;
        let flat =
            kramers::continuous_rate(&base).expect("Eq. 51") / base.scaled_barrier_curvature();
        for i in 1..40 {
            let r = 1.999 / (lr * base.minimum_curvature) * i as f64 / 40.0;
            let p = kramers_problem(lr, r);
            let per_curvature =
                kramers::continuous_rate(&p).expect("Eq. 51") / p.scaled_barrier_curvature();
            assert!(scalar_relative_error(per_curvature, flat) < 1e-13);
            let printed = kramers::discrete_rate_as_printed(&p).expect("Eq. 52")
                / p.scaled_barrier_curvature();
            let corrected = kramers::discrete_rate_corrected(&p).expect("corrected")
                / p.scaled_barrier_curvature();
            assert!(printed > last_printed, "Eq. 52 should increase with r");
            assert!(
                corrected > last_corrected || r * lr > 1.9,
                "corrected Eq. 52 should increase with r"
            );
            last_printed = printed;
            last_corrected = corrected;
        }
        // Past the edge λrk_a ≥ 2 there is no stationary well distribution.
        let p = kramers_problem(lr, 2.0 / lr);
        assert!(matches!(
            kramers::discrete_rate_as_printed(&p),
            Err(ClosedFormError::Unstable { .. })
        ));
    }
    // With a high barrier (z₀ ≫ 1) both variants tend to Eq. 51 as r → 0.
    let mut p = kramers_problem(0.3, 1e-9);
    p.barrier_height = 2.0;
    let gamma_c = kramers::continuous_rate(&p).expect("Eq. 51");
    // (z₀ = √53, erf(z₀) = 1 − 1e-24; what remains is 1 + O(r S l ΔL) ≈ 1 + 5e-9; γ_c ≈ e^{−59}.)
    assert!(
        scalar_relative_error(kramers::discrete_rate_as_printed(&p).expect("52"), gamma_c) < 1e-7
    );
    assert!(
        scalar_relative_error(kramers::discrete_rate_corrected(&p).expect("52c"), gamma_c) < 1e-7
    );
    // λ → 0 at fixed S and r = 1: the ratio tends to e^{S l ΔL}, not 1 (`ERRATA.md`).
    // (The rates themselves are ~e^{−4.4/λ}: λ ≥ 0.01 keeps them above underflow; the remaining
    // factor √(2/(2−λk_a))·erf(z) is 1 + O(λk_a).)
    for &lr in &[0.04, 0.02, 0.01] {
        let p = kramers_problem(lr, 1.0);
        let ratio = kramers::discrete_rate_as_printed(&p).expect("52")
            / kramers::continuous_rate(&p).expect("51");
        let expected = (p.batch_size * p.path_split * p.barrier_height).exp();
        assert!(
            scalar_relative_error(ratio, expected) < lr * p.minimum_curvature,
            "{ratio} vs {expected}"
        );
    }
}

#[test]
fn error_function_values() {
    // Reference values (Abramowitz & Stegun / mpmath, rounded to 16 digits).
    let table = [
        (0.0, 0.0),
        (1e-8, 1.1283791670955126e-8),
        (0.1, 0.1124629160182849),
        (0.5, 0.5204998778130465),
        (1.0, 0.8427007929497149),
        (2.0, 0.9953222650189527),
        (2.9, 0.9999589021219005),
        (3.0, 0.9999779095030014),
        (3.5, 0.9999992569016276),
        (5.0, 0.9999999999984626),
    ];
    for (x, expected) in table {
        let value = kramers::error_function(x);
        // A few ulps.
        assert!(
            (value - expected).abs() <= 4e-16 * expected,
            "erf({x}) = {value:e}, expected {expected:e}"
        );
        assert_eq!(kramers::error_function(-x), -value);
    }
}

// ---------------------------------------------------------------------------------------------
// The 1-D helpers.

#[test]
fn one_dimensional_helpers_match_engine() {
    for &k in &[0.3, 1.0, 4.0] {
        for &mu in &MOMENTA {
            for &fraction in &FRACTIONS {
                let lr = fraction * 2.0 * (1.0 + mu) / k;
                let variance = 0.7;
                let hessian = DMatrix::from_element(1, 1, k);
                let noise = DMatrix::from_element(1, 1, variance);
                let exact = engine(&hessian, &noise, sgdm(lr, mu)).sigma[(0, 0)];
                let closed = one_dimensional::momentum_variance(k, lr, mu, variance).expect("1-D");
                assert_scalar_close(
                    closed,
                    exact,
                    edge(fraction, 1.0) / (1.0 - mu),
                    "1-D SGDM variance",
                );
                let continuous =
                    one_dimensional::continuous_variance(k, lr, mu, variance).expect("OU");
                let ou = continuous::ornstein_uhlenbeck_sigma(&hessian, &noise, lr, mu)
                    .expect("OU")[(0, 0)];
                assert_scalar_close(continuous, ou, 1.0, "1-D OU variance");
            }
        }
        for &fraction in &[0.05, 0.5, 0.99, 1.0, 1.01] {
            let lr = fraction * 2.0 / k;
            let problem = gaussian_problem(
                &DMatrix::from_element(1, 1, k),
                &DMatrix::from_element(1, 1, 0.7),
                sgd(lr),
            );
            for steps in [0u64, 1, 7, 200] {
                let exact = solver::transient(&problem, steps, &InitialState::default())
                    .expect("transient");
                let closed =
                    one_dimensional::sgd_variance_after(k, lr, 0.7, steps).expect("finite time");
                let tolerance = TOL * (1 + steps) as f64 * exact.sigma[(0, 0)].abs().max(1e-300);
                assert!(
                    (closed - exact.sigma[(0, 0)]).abs() <= tolerance,
                    "{closed} vs {}",
                    exact.sigma[(0, 0)]
                );
            }
            if fraction < 1.0 {
                let stationary = one_dimensional::sgd_variance(k, lr, 0.7).expect("Cor. 5");
                let late = one_dimensional::sgd_variance_after(k, lr, 0.7, 1 << 40).expect("late");
                assert_scalar_close(late, stationary, edge(fraction, 1.0), "t → ∞");
            }
            let continuous =
                one_dimensional::continuous_variance_after(k, lr, 0.7, 1e6).expect("OU(t)");
            let limit = one_dimensional::continuous_variance(k, lr, 0.0, 0.7).expect("OU");
            assert_scalar_close(continuous, limit, 1.0, "OU(t → ∞)");
            // Eq. 2 against the continuous decay: equal to first order for small λk.
            let w = one_dimensional::discrete_trajectory(k, lr, 1.0, 3).expect("Eq. 2");
            assert!((w - (1.0 - lr * k).powi(3)).abs() <= 1e-15, "Eq. 2");
            let wc = one_dimensional::continuous_trajectory(k, lr, 1.0, 3.0).expect("w(t)");
            assert_scalar_close(wc, (-3.0 * lr * k).exp(), 1.0, "w(t)");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid input: typed errors, never a panic.

#[test]
fn invalid_inputs_give_typed_errors() {
    let c = case(2, 0);
    let k = &c.hessian;
    let noise = &c.general_noise;
    let field = |result: Result<DMatrix<f64>, ClosedFormError>| match result {
        Err(ClosedFormError::Invalid(e)) => e.field,
        other => panic!("expected an invalid-field error, got {other:?}"),
    };
    let not_spd = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]);
    assert_eq!(
        field(discrete::sgd_lyapunov_sigma(&not_spd, noise, 0.1)),
        "K"
    );
    let not_symmetric = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
    assert_eq!(
        field(discrete::sgd_lyapunov_sigma(&not_symmetric, noise, 0.1)),
        "K"
    );
    assert_eq!(
        field(discrete::sgd_lyapunov_sigma(
            &DMatrix::zeros(0, 0),
            noise,
            0.1
        )),
        "K"
    );
    assert_eq!(
        field(discrete::sgd_lyapunov_sigma(
            k,
            &DMatrix::identity(3, 3),
            0.1
        )),
        "C"
    );
    assert_eq!(field(discrete::sgd_lyapunov_sigma(k, &not_spd, 0.1)), "C");
    assert_eq!(field(discrete::sgd_lyapunov_sigma(k, noise, 0.0)), "lr");
    assert_eq!(
        field(discrete::sgd_lyapunov_sigma(k, noise, f64::NAN)),
        "lr"
    );
    assert_eq!(
        field(discrete::momentum_lyapunov_sigma(k, noise, 0.1, 1.0)),
        "mu"
    );
    assert_eq!(
        field(discrete::qhm_sigma(
            k,
            noise,
            0.1,
            0.5,
            1.5,
            Commutation::Ignore
        )),
        "nu"
    );
    assert_eq!(
        field(second_order::natural_gradient_sigma_fisher(
            k, 0.1, 0.5, 10, 0
        )),
        "S"
    );
    assert_eq!(field(bayes::minibatch_sigma(k, 0.1, 1, 1)), "N");
    let with_nan = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, f64::NAN, 1.0]);
    assert_eq!(
        field(continuous::ornstein_uhlenbeck_sigma(k, &with_nan, 0.1, 0.0)),
        "C"
    );

    // At and past the stability edge.
    let edge_rate = 2.0 / c.k_max;
    for lr in [edge_rate, edge_rate * 1.5] {
        assert!(matches!(
            discrete::sgd_sigma(k, &c.commuting_noise, lr, Commutation::Check),
            Err(ClosedFormError::Unstable { .. })
        ));
        assert!(matches!(
            discrete::sgd_train_loss(k, noise, lr),
            Err(ClosedFormError::Unstable { .. })
        ));
        assert!(matches!(
            one_dimensional::sgd_variance(c.k_max, lr, 1.0),
            Err(ClosedFormError::Unstable { .. })
        ));
    }
    let mu = 0.5;
    let lr = discrete::momentum_threshold(mu) / c.k_max;
    assert!(matches!(
        discrete::momentum_train_loss(k, noise, lr, mu),
        Err(ClosedFormError::Unstable { .. })
    ));
    let lr = discrete::qhm_threshold(mu, 0.7) / c.k_max;
    assert!(matches!(
        discrete::qhm_train_loss(k, noise, lr, mu, 0.7),
        Err(ClosedFormError::Unstable { .. })
    ));
    assert!(matches!(
        second_order::damped_newton_sigma(k, noise, 3.0, mu),
        Err(ClosedFormError::Unstable { .. })
    ));
    assert!(matches!(
        bayes::kl_at_learning_rate(k, 2.0 / c.k_max, 100, 10),
        Err(ClosedFormError::Unstable { .. })
    ));
    assert!(bayes::optimal_learning_rate(k, 100, 100).is_err());
    let mut bad = kramers_problem(0.1, 1.0);
    bad.path_split = 1.5;
    assert!(
        matches!(kramers::continuous_rate(&bad), Err(ClosedFormError::Invalid(ref e)) if e.field == "l")
    );
    // Every error has a message.
    let message = discrete::sgd_sigma(k, noise, 0.1, Commutation::Check)
        .expect_err("non-commuting")
        .to_string();
    assert!(message.contains("[C, K] = 0"), "{message}");
}
