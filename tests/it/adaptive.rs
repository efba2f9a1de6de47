//! Adam, AdamW and RMSprop (`solver::adaptive`, the simulator's `AdaptiveStep`, the CLI), each
//! against an independent truth: the fixed-point equation v = diag(K_g Σ K_g + C) re-evaluated
//! from the returned Σ, the general Kronecker and Smith-doubling Lyapunov solvers on the
//! frameworks' step composed with v frozen (`AugmentedSystem::adaptive`), a 1-D closed form
//! derived here, the identities Adam(β₁ = 0) = RMSprop(μ = 0) and frozen-v Adam = Corollary 3's
//! preconditioned heavy ball, the frameworks' first steps written out, and the real optimizer
//! simulated at β₂ close to 1 (and at β₂ = 0.9, where the limit must visibly fail).
//!
//! Three tests pin fixed points that exist (found by the closed form, or by the slow dynamics of v
//! through the reference solver and confirmed by simulating the real optimizer) next to the
//! frozen dynamics' stability edge, which Newton's method on G(s) − s alone missed (the solver
//! now also iterates s/G(s) − 1 and the slow dynamics itself).
//!
//! Simulation tolerances. Each simulated entry passes when |sim − theory| ≤ 4.5 SE + bias, where SE
//! is the standard error from the spread of independent per-particle time averages (honest
//! whatever the autocorrelation, including the slow one of v), 4.5 SE is a false-failure chance
//! of about 7e-6 per Gaussian entry (the seeds are fixed, so the outcome is deterministic), and
//! bias = `ADAPTIVE_GAP_PER_UNIT`·(1 − β₂)·scale is the measured gap between the real optimizer
//! at finite β₂ and the β₂ → 1 limit (per unit of 1 − β₂, `src/solver/adaptive.rs`; 0.8 now).

use nalgebra::{DMatrix, DVector};
use sgd_playground::cli::EXIT_USAGE;
use sgd_playground::config::Config;
use sgd_playground::error::FieldError;
use sgd_playground::model::{Adaptive, AdaptiveKind, EpsilonPlacement, Noise, Optimizer, Problem};
use sgd_playground::sim::{Ensemble, EnsembleSpec, Start};
use sgd_playground::solver::adaptive::{self, AdaptiveStationary, ADAPTIVE_GAP_PER_UNIT};
use sgd_playground::solver::reference::{lyapunov_kronecker, lyapunov_smith, AugmentedSystem};
use sgd_playground::solver::{self, Stationary};

use crate::common::max_abs;

// ---------------------------------------------------------------- helpers

/// PyTorch's defaults for `kind` (Adam: β = (0.9, 0.999), bias correction; RMSprop: α = 0.99,
/// no momentum, no bias correction), ε = 1e-8 outside the root, no weight decay.
fn method(kind: AdaptiveKind) -> Adaptive {
    let rmsprop = kind == AdaptiveKind::RmsProp;
    Adaptive {
        kind,
        beta1: if rmsprop { 0.0 } else { 0.9 },
        beta2: if rmsprop { 0.99 } else { 0.999 },
        epsilon: 1e-8,
        epsilon_placement: EpsilonPlacement::Outside,
        momentum: 0.0,
        weight_decay: 0.0,
        centered: false,
        bias_correction: !rmsprop,
    }
}

fn problem(k: &DMatrix<f64>, c: &DMatrix<f64>, learning_rate: f64, method: Adaptive) -> Problem {
    Problem::new(
        Some(k.clone()),
        Noise::Gaussian {
            covariance: c.clone(),
        },
        Optimizer::Adaptive {
            learning_rate,
            method,
        },
    )
    .expect("a valid adaptive problem")
}

fn scalar(x: f64) -> DMatrix<f64> {
    DMatrix::from_element(1, 1, x)
}

/// The non-commuting 2-D problem: K = [[1, 0.5], [0.5, 2]], C = diag(1, 0.2).
fn hessian_2d() -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 2.0])
}

fn noise_2d() -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.2])
}

fn limit(problem: &Problem) -> AdaptiveStationary {
    adaptive::stationary(problem).expect("a β₂ → 1 stationary state")
}

/// Every method of the fixed-point tests, with a label: Adam (with and without coupled decay),
/// AdamW (decoupled decay), RMSprop with μ = 0 and μ = 0.5, each with ε outside and inside the
/// root. ε = 0.05 is large on purpose, so that the two placements give different answers.
fn method_cases() -> Vec<(String, Adaptive)> {
    let mut cases = Vec::new();
    for placement in [EpsilonPlacement::Outside, EpsilonPlacement::Inside] {
        let base = |kind| Adaptive {
            epsilon: 0.05,
            epsilon_placement: placement,
            ..method(kind)
        };
        let variants = [
            ("adam", base(AdaptiveKind::Adam)),
            (
                "adam wd=0.1",
                Adaptive {
                    weight_decay: 0.1,
                    ..base(AdaptiveKind::Adam)
                },
            ),
            (
                "adamw wd=0.1",
                Adaptive {
                    weight_decay: 0.1,
                    ..base(AdaptiveKind::AdamW)
                },
            ),
            ("rmsprop mu=0", base(AdaptiveKind::RmsProp)),
            (
                "rmsprop mu=0.5",
                Adaptive {
                    momentum: 0.5,
                    ..base(AdaptiveKind::RmsProp)
                },
            ),
        ];
        for (name, m) in variants {
            cases.push((format!("{name} eps {}", placement.name()), m));
        }
    }
    cases
}

/// (K, C, label) of the 1-D and the non-commuting 2-D problem.
fn landscapes() -> Vec<(DMatrix<f64>, DMatrix<f64>, &'static str)> {
    vec![
        (scalar(1.5), scalar(0.7), "1-D"),
        (hessian_2d(), noise_2d(), "2-D"),
    ]
}

/// K_g = K + wd_c·I, the Hessian the gradient sees (written out, not `Adaptive::decays`).
fn gradient_hessian(k: &DMatrix<f64>, m: &Adaptive) -> DMatrix<f64> {
    let coupled = match m.kind {
        AdaptiveKind::Adam | AdaptiveKind::RmsProp => m.weight_decay,
        AdaptiveKind::AdamW => 0.0,
    };
    k + DMatrix::identity(k.nrows(), k.nrows()) * coupled
}

/// λ/(√v + ε) or λ/√(v + ε), written out.
fn rate(lr: f64, v: f64, m: &Adaptive) -> f64 {
    match m.epsilon_placement {
        EpsilonPlacement::Outside => lr / (v.sqrt() + m.epsilon),
        EpsilonPlacement::Inside => lr / (v + m.epsilon).sqrt(),
    }
}

// ---------------------------------------------------------------- the β₂ → 1 limit

/// The fixed point is a fixed point to round-off. Truth: the defining equation
/// v = diag(K_g Σ K_g + C), re-evaluated here from the returned Σ (K_g = K + wd·I for Adam and
/// RMSprop, K for AdamW), and P = λ/(√v + ε) (or λ/√(v + ε)) from the returned v, for the 1-D and
/// the non-commuting 2-D problem, at a small and a large learning rate, for every method and both
/// ε placements. Tolerances: Newton stops at max|G(s) − s| ≤ 4ε·s_max·√D, i.e. a relative
/// residual of v of about 1e-15; re-forming K_g Σ K_g costs a few more ulps, so 1e-12·max v
/// leaves three orders of margin yet catches the 1e-9 fallback acceptance (or any loose stop).
/// The rates are recomputed from v = s², so they may differ from the solver's (computed from s)
/// by the rounding of √(s²): 1e-14 relative. The solver's `residual` field must say the same, and
/// `solver::stationary` must return this very Σ.
#[test]
fn fixed_point_residual_is_round_off() {
    for (k, c, shape) in landscapes() {
        for lr in [0.3, 2.0] {
            for (name, m) in method_cases() {
                let label = format!("{shape} lr={lr} {name}");
                let p = problem(&k, &c, lr, m);
                let solution = limit(&p);
                let sigma = &solution.stationary.sigma;
                let k_g = gradient_hessian(&k, &m);
                let moment = &k_g * sigma * &k_g + &c;
                let v = &solution.second_moment;
                let v_max = v.amax();
                for i in 0..k.nrows() {
                    let gap = (moment[(i, i)] - v[i]).abs();
                    assert!(
                        gap <= 1e-12 * v_max,
                        "{label}: v[{i}] = {} but diag(K_g Σ K_g + C) = {} (gap {:.2e} of max v)",
                        v[i],
                        moment[(i, i)],
                        gap / v_max
                    );
                    let expected = rate(lr, v[i], &m);
                    let got = solution.effective_learning_rates[i];
                    assert!(
                        (got - expected).abs() <= 1e-14 * expected,
                        "{label}: rate[{i}] {got} vs λ/(√v + ε) = {expected}"
                    );
                    let preconditioner = solution
                        .stationary
                        .preconditioner
                        .as_ref()
                        .expect("P reported");
                    assert_eq!(preconditioner[(i, i)], got, "{label}: diag(P)");
                }
                assert!(
                    solution.residual <= 1e-12,
                    "{label}: residual {}",
                    solution.residual
                );
                assert!(
                    solution.fixed_points >= 1 && solution.slow_stable,
                    "{label}"
                );
                // Σ is symmetric positive definite, ½Tr[KΣ] is its loss (K, not K_g).
                assert!(sigma.clone().cholesky().is_some(), "{label}: Σ not SPD");
                let loss = 0.5 * (&k * sigma).trace();
                assert!(
                    (solution.stationary.train_loss - loss).abs() <= 1e-14 * loss,
                    "{label}: train loss"
                );
                let via_dispatch = solver::stationary(&p).expect("the same stationary state");
                assert_eq!(
                    via_dispatch, solution.stationary,
                    "{label}: solver::stationary"
                );
            }
        }
    }
}

/// The frozen-v Lyapunov solve against the general references. Truth: the frameworks' step with
/// v frozen at the returned second moment, composed independently as the augmented system
/// (`AugmentedSystem::adaptive`: Adam/AdamW m' = β₁m + (1−β₁)g, θ' = (1 − λwd_d)θ − λDm';
/// RMSprop b' = μb + Dg, θ' = θ − λb'), solved by the dense Kronecker LU and by Smith's doubling,
/// neither of which shares the engine's reduction to Corollary 3 or its eigenbasis. The
/// w-block must equal Σ; the buffer blocks too, once the engine's Corollary-3 buffer m̃
/// (m̃' = μm̃ + g) is converted to the framework's (Adam m = (1 − β₁)m̃, RMSprop b = Dm̃, the
/// scaling the simulator's stationary start uses). Tolerance: both routes are backward stable
/// on a Lyapunov operator of condition κ ≈ 1/(1 − ρ(A)²) ≤ 13 here (ρ(A) ≤ 0.96, asserted), so
/// forward errors are ≲ 1e2·κ·ε ≈ 3e-13; 1e-10 relative (max-abs) leaves wide margin.
#[test]
fn frozen_lyapunov_matches_the_kronecker_and_smith_references() {
    for (k, c, shape) in landscapes() {
        for lr in [0.3, 2.0] {
            for (name, m) in method_cases() {
                let label = format!("{shape} lr={lr} {name}");
                let p = problem(&k, &c, lr, m);
                let solution = limit(&p);
                let system =
                    AugmentedSystem::adaptive(&p, &solution.second_moment).expect("adaptive");
                let q = system.noise_input(&c);
                let kron = lyapunov_kronecker(&system.transition, &q).expect("nonsingular");
                let smith = lyapunov_smith(&system.transition, &q, 64).expect("ρ(A) < 1");
                let rho = system
                    .transition
                    .complex_eigenvalues()
                    .iter()
                    .map(|z| z.norm())
                    .fold(0.0, f64::max);
                assert!(
                    rho <= 0.96,
                    "{label}: ρ(A) = {rho}, κ larger than the tolerance assumes"
                );
                let d = k.nrows();
                let sigma = &solution.stationary.sigma;
                let scale = max_abs(sigma);
                for (route, state) in [("Kronecker", &kron), ("Smith", &smith)] {
                    let w_block = state.view((0, 0), (d, d)).into_owned();
                    let gap = max_abs(&(&w_block - sigma)) / scale;
                    assert!(gap <= 1e-10, "{label} {route}: Σ gap {gap:.2e}");
                }
                // The whole state, the buffer in the framework's units.
                let buffer_scale: DVector<f64> = match m.kind {
                    AdaptiveKind::Adam | AdaptiveKind::AdamW => {
                        DVector::from_element(d, 1.0 - m.beta1)
                    }
                    AdaptiveKind::RmsProp => &solution.effective_learning_rates / lr,
                };
                let mut t = DVector::from_element(2 * d, 1.0);
                t.rows_mut(d, d).copy_from(&buffer_scale);
                let t = DMatrix::from_diagonal(&t);
                let engine_state = &t * &solution.stationary.state_covariance * &t;
                assert_eq!(engine_state.nrows(), 2 * d, "{label}: state size");
                let gap = max_abs(&(&engine_state - &kron)) / max_abs(&kron);
                assert!(gap <= 1e-10, "{label}: state covariance gap {gap:.2e}");
            }
        }
    }
}

/// Σ and v of 1-D RMSprop (μ = 0) in closed form, derived here (see the test below).
fn rmsprop_closed_form(lr: f64, k: f64, c: f64) -> (f64, f64, f64) {
    let a = lr * lr * k * k;
    // δ = 2 − x solves 2cδ² − (8c + a)δ + 8c = 0 (x = 2 − δ in 2cx² + ax − 2a = 0), its small
    // root taken without cancellation.
    let b = 8.0 * c + a;
    // b² − 64c² = a(a + 16c), written so that neither end cancels.
    let delta = 16.0 * c / (b + (a * (a + 16.0 * c)).sqrt());
    let x = 2.0 - delta;
    (c * x / (k * k * delta), 2.0 * c / delta, delta)
}

/// Compares the solver's 1-D RMSprop with the closed form, to round-off times the conditioning.
fn check_rmsprop_closed_form(lr: f64, k: f64, c: f64, epsilon: f64) {
    let m = Adaptive {
        epsilon,
        ..method(AdaptiveKind::RmsProp)
    };
    let solution = limit(&problem(&scalar(k), &scalar(c), lr, m));
    let (sigma, v, delta) = rmsprop_closed_form(lr, k, c);
    let x = 2.0 - delta;
    assert!(delta > 0.0 && delta < 2.0);
    // Σ ∝ x/(2 − x) with x = λk/√v: a relative error e of √v is one of 2e/δ in Σ and v.
    let tolerance = f64::max(1e-12, 100.0 * f64::EPSILON * 2.0 / delta);
    let got = solution.stationary.sigma[(0, 0)];
    let label = format!("λ={lr} k={k} c={c} (2 − λk/√v = {delta:.2e})");
    assert!(
        (got - sigma).abs() <= tolerance * sigma,
        "{label}: Σ {got} vs closed form {sigma} ({:.2e} relative)",
        (got - sigma).abs() / sigma
    );
    let got_v = solution.second_moment[0];
    assert!(
        (got_v - v).abs() <= tolerance * v,
        "{label}: v {got_v} vs closed form {v}"
    );
    // The effective curvature pk is the root x.
    let x_got = solution.effective_learning_rates[0] * k;
    assert!((x_got - x).abs() <= 1e-12 * x, "{label}: x {x_got} vs {x}");
}

/// 1-D RMSprop (μ = 0) in closed form, derived here. With v frozen the step is SGD at the rate
/// p = λ/√v (ε = 1e-30 is negligible), so Σ = p c/(k(2 − pk)) (Cor. 1). With x = pk = λk/√v the
/// fixed point v = k²Σ + c gives v = c x/(2 − x) + c = 2c/(2 − x), and √v = λk/x gives
/// λ²k²/x² = 2c/(2 − x), i.e. 2c x² + λ²k² x − 2λ²k² = 0, whose positive root lies in (0, 2):
/// the method is stable at every λ, and approaches the edge x = 2 as δ = 2 − x ≈ 8c/(λk)² when
/// the noise is small. Then Σ = c x/(k²δ), v = 2c/δ (δ is computed without cancellation). β₁ is
/// irrelevant (RMSprop has none). Tolerance: 1e-12 relative (a handful of roundings and Newton's
/// stop at round-off) where the problem is well conditioned; near the edge a relative error e of
/// √v becomes 2e/δ in Σ, so the allowance is max(1e-12, 100ε·2/δ).
#[test]
fn one_dimensional_rmsprop_matches_its_closed_form() {
    for (lr, k, c) in [
        (0.01, 1.0, 1.0),
        (0.3, 1.0, 1.0),
        (1.0, 2.5, 0.3),
        (7.0, 0.2, 4.0),
        (100.0, 1.0, 1.0),
        (1000.0, 1.0, 1.0),
    ] {
        check_rmsprop_closed_form(lr, k, c, 1e-30);
    }
}

/// The same closed form close to the edge: λ = 0.01, k = 1, c = 1e-12 (gradient-noise std 1e-6),
/// where δ = 2 − λk/√v ≈ 8c/(λk)² = 8e-8, Σ = c x/(k²δ) ≈ 2.5e-5; also λ = 100, k = 3, c = 1e-3 and
/// λ = 2e4, k = c = 1: every (λk)²/c ≳ 1e8. ε = 1e-30 as in the closed form (PyTorch's ε = 1e-8
/// would move v by 2ε/√v = 4e-6 relative here, above the tolerance). The frozen solve's relative
/// round-off is about ε_mach/δ here, so Newton stops on a step below 1e-8 rather than on a
/// residual at round-off (this test once caught the solver calling such a point "no stationary
/// state").
#[test]
fn one_dimensional_rmsprop_next_to_its_edge() {
    check_rmsprop_closed_form(0.01, 1.0, 1e-12, 1e-30);
    check_rmsprop_closed_form(100.0, 3.0, 1e-3, 1e-30);
    check_rmsprop_closed_form(2e4, 1.0, 1.0, 1e-30);
}

/// F(v) = diag(K_g Σ(v) K_g + C) through the independent reference (the frameworks' step with v
/// frozen, `AugmentedSystem::adaptive`, solved by the Kronecker LU), with Σ(v) and ρ(A); `None`
/// where the frozen dynamics is unstable (ρ(A) ≥ 1).
fn reference_map(
    p: &Problem,
    k_g: &DMatrix<f64>,
    c: &DMatrix<f64>,
    v: &DVector<f64>,
) -> Option<(DVector<f64>, DMatrix<f64>, f64)> {
    let system = AugmentedSystem::adaptive(p, v)?;
    let rho = system
        .transition
        .complex_eigenvalues()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max);
    if rho.is_nan() || rho >= 1.0 {
        return None;
    }
    let state = lyapunov_kronecker(&system.transition, &system.noise_input(c))?;
    let d = c.nrows();
    let sigma = state.view((0, 0), (d, d)).into_owned();
    let moment = k_g * &sigma * k_g + c;
    Some((DVector::from_fn(d, |i, _| moment[(i, i)]), sigma, rho))
}

/// The slow dynamics of v in the β₂ → 1 limit, v̇ ∝ F(v) − v, stepped by explicit Euler (step α,
/// halved whenever a step would make the frozen dynamics unstable) from a large, stable v until
/// |F(v) − v| ≤ 1e-13·max v: the fixed point the real optimizer is attracted to, found without
/// the solver's Newton method. Returns (v, Σ(v), ρ(A)).
fn slow_dynamics_fixed_point(
    p: &Problem,
    k_g: &DMatrix<f64>,
    c: &DMatrix<f64>,
    start: DVector<f64>,
) -> (DVector<f64>, DMatrix<f64>, f64) {
    let mut v = start;
    let mut alpha = 0.2;
    for _ in 0..100_000 {
        let (f, sigma, rho) = reference_map(p, k_g, c, &v).expect("a stable iterate");
        if (&f - &v).amax() <= 1e-13 * v.amax() {
            return (v, sigma, rho);
        }
        let trial = &v * (1.0 - alpha) + &f * alpha;
        if reference_map(p, k_g, c, &trial).is_some() {
            v = trial;
        } else {
            alpha *= 0.5;
        }
    }
    panic!("the slow dynamics did not settle (v = {:?})", v.as_slice());
}

/// Checks that `p` has an attracting fixed point, found independently, that the real optimizer
/// settles at, and then that the solver finds it. Truth, two independent ways: (1) the slow
/// dynamics of v stepped through the reference map settles at a v with |F(v) − v| ≤ 1e-13·max v
/// and ρ(A) < 1; (2) the real optimizer (PyTorch's step from θ = 0, bias correction as
/// configured; 200 particles, 50 000 steps averaged after 30 000) has a time-averaged Σ within
/// 4.5 SE + `ADAPTIVE_GAP_PER_UNIT`·(1 − β₂)·scale of that fixed point's Σ. Then (3): the solver
/// must return that v (1e-9 relative).
fn check_missed_fixed_point(label: &str, k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, m: Adaptive) {
    let p = problem(k, c, lr, m);
    let d = k.nrows();
    let k_g = gradient_hessian(k, &m);
    // (1) The slow dynamics, from a v large enough for max eig(PK_g) ≤ 1: √v = λ·Σ|K_g|.
    let start = DVector::from_element(d, (lr * k_g.abs().sum()).powi(2));
    let (v, sigma, rho) = slow_dynamics_fixed_point(&p, &k_g, c, start);
    assert!(rho < 1.0, "{label}");
    eprintln!(
        "{label}: slow dynamics: v = {:?}, ρ(A) = {rho}",
        v.as_slice()
    );
    // (2) The real optimizer from zero.
    let spec = EnsembleSpec {
        particles: 200,
        seed: 3,
        start: Start::Zero,
        burn_in: Some(30_000),
        ..EnsembleSpec::default()
    };
    let mut ensemble = Ensemble::new(&p, &spec).expect("ensemble");
    ensemble.advance(80_000);
    let stats = ensemble.statistics();
    assert_eq!(stats.diverged, 0, "{label}");
    let averaged = stats.time_averaged.expect("time averages");
    for a in 0..d {
        for b in a..d {
            let scale = (sigma[(a, a)] * sigma[(b, b)]).sqrt();
            let diff = (averaged.covariance[(a, b)] - sigma[(a, b)]).abs();
            let se = averaged.covariance_stderr[(a, b)];
            eprintln!(
                "{label} ({a},{b}): sim {:.5} ± {se:.5} vs fixed point {:.5} ({:.1} SE)",
                averaged.covariance[(a, b)],
                sigma[(a, b)],
                diff / se
            );
            assert!(
                diff <= 4.5 * se + ADAPTIVE_GAP_PER_UNIT * (1.0 - m.beta2) * scale,
                "{label} ({a},{b})"
            );
        }
    }
    // (3) The solver must find it.
    let solution = adaptive::stationary(&p).expect("the fixed point found above");
    let gap = (&solution.second_moment - &v).amax() / v.amax();
    assert!(
        gap <= 1e-9,
        "{label}: v {:?} vs {:?}",
        solution.second_moment.as_slice(),
        v.as_slice()
    );
}

/// A fixed point the solver misses, far from round-off trouble (unlike the 1-D case above), with
/// PyTorch's RMSprop defaults (μ = 0, ε = 1e-8 outside, no decay) on a 3-D problem found by a
/// random sweep, at a moderate λ = 1.3247 (truth and checks in `check_missed_fixed_point`, run at
/// β₂ = 0.9999). Measured: the slow dynamics settles at v = (6.5482, 0.85534, 2.6710) with
/// ρ(A) = 0.99930; the real optimizer's Σ is within 1.5 SE of that fixed point's Σ at
/// β₂ = 0.9999, and within 0.3% even at PyTorch's default α = 0.99. Newton on G(s) − s alone
/// reported "diverges: no stationary state ... Newton stopped at a relative residual 5.45e-2". The sweep
/// (600 random 2- to 4-D problems, λ log-uniform in [0.01, 30], PyTorch defaults): 43 of 200 3-D
/// RMSprop (μ = 0) and 2 of 200 4-D RMSprop (μ = 0.9) problems are reported as having no
/// stationary state, at λ from 1.3 up; Adam (β₁ = 0.9) 0 of 200.
#[test]
fn rmsprop_fixed_point_the_solver_misses() {
    let k = DMatrix::from_row_slice(
        3,
        3,
        &[
            2.145990196100659,
            -0.6941298681086316,
            1.039316458931545,
            -0.6941298681086316,
            0.28981547565113736,
            -0.4100338786732212,
            1.039316458931545,
            -0.4100338786732212,
            1.0014926628689476,
        ],
    );
    let c = DMatrix::from_row_slice(
        3,
        3,
        &[
            0.6410502729476265,
            0.21790108136312183,
            -0.4269208154705305,
            0.21790108136312183,
            0.09892008592094134,
            -0.13255262854362485,
            -0.4269208154705305,
            -0.13255262854362485,
            0.2926524177331164,
        ],
    );
    let m = Adaptive {
        beta2: 0.9999,
        ..method(AdaptiveKind::RmsProp)
    };
    check_missed_fixed_point("3-D rmsprop", &k, &c, 1.3247, m);
}

/// The same with Adam, small β₁ = 0.018667, coupled wd = 3, ε = 1e-8 inside, λ = 8 on a 2-D
/// problem from the sweep: K = [[2.5211, −1.0768], [−1.0768, 0.5789]],
/// C = [[0.01423, −0.06458], [−0.06458, 0.99577]] (β₂ = 0.9999; truth and checks in
/// `check_missed_fixed_point`). Measured: the slow dynamics settles at v = (645.947, 323.140),
/// ρ(A) = 0.9987; the real optimizer's Σ = [[14.848, −14.783], [−14.783, 14.901]] ± 0.003 is 2.2
/// SE from the fixed point's [[14.854, −14.790], [−14.790, 14.907]]. Newton on G(s) − s alone
/// reported "no stationary state" (residual 1.3e-1): following λ upwards it tracked the branch up
/// to λ ≈ 7.2 (max eig(PK) at 99.92% of its bound) and lost it at 7.24 (residual 1.5e-5).
#[test]
fn adam_fixed_point_the_solver_misses() {
    let k = DMatrix::from_row_slice(
        2,
        2,
        &[
            2.521123261770278,
            -1.0767634886309332,
            -1.0767634886309332,
            0.5788767382297226,
        ],
    );
    let c = DMatrix::from_row_slice(
        2,
        2,
        &[
            0.014230788060519443,
            -0.06458003261303927,
            -0.06458003261303927,
            0.9957692119394806,
        ],
    );
    let m = Adaptive {
        beta1: 0.018667409775256816,
        beta2: 0.9999,
        epsilon_placement: EpsilonPlacement::Inside,
        weight_decay: 3.0,
        ..method(AdaptiveKind::Adam)
    };
    check_missed_fixed_point("2-D adam", &k, &c, 8.0, m);
}

/// Adam with β₁ = 0 is RMSprop with μ = 0, in the limit and step by step. Truth: the two
/// updates coincide algebraically (m = g, bias corrections of 1: θ ← θ − λ g/(√v + ε) for both).
/// In the limit Σ, v and the rates agree to 1e-12 relative (the two code paths build the same
/// frozen problem; 1e-12 allows for a differently ordered Newton). In the simulator, with bias
/// correction off and the same seed and start, PyTorch's arithmetic gives the same bits:
/// lerp(m, g, 1) = g − (g − m)·0 = g exactly and lr/1 = lr, √v/√1 = √v, so the weights must be
/// bit-identical after many steps (the general path, the only one adaptive methods take).
#[test]
fn adam_without_first_moment_is_rmsprop() {
    for (k, c, shape) in landscapes() {
        for placement in [EpsilonPlacement::Outside, EpsilonPlacement::Inside] {
            let adam = Adaptive {
                beta1: 0.0,
                beta2: 0.99,
                epsilon: 0.01,
                epsilon_placement: placement,
                bias_correction: false,
                ..method(AdaptiveKind::Adam)
            };
            let rmsprop = Adaptive {
                beta2: 0.99,
                epsilon: 0.01,
                epsilon_placement: placement,
                ..method(AdaptiveKind::RmsProp)
            };
            let label = format!("{shape} eps {}", placement.name());
            let pa = problem(&k, &c, 0.4, adam);
            let pr = problem(&k, &c, 0.4, rmsprop);
            let (sa, sr) = (limit(&pa), limit(&pr));
            let gap = max_abs(&(&sa.stationary.sigma - &sr.stationary.sigma))
                / max_abs(&sr.stationary.sigma);
            assert!(gap <= 1e-12, "{label}: Σ gap {gap:.2e}");
            let v_gap = (&sa.second_moment - &sr.second_moment).amax() / sr.second_moment.amax();
            assert!(v_gap <= 1e-12, "{label}: v gap {v_gap:.2e}");

            let spec = EnsembleSpec {
                particles: 16,
                seed: 41,
                start: Start::Zero,
                ..EnsembleSpec::default()
            };
            let mut ea = Ensemble::new(&pa, &spec).expect("adam ensemble");
            let mut er = Ensemble::new(&pr, &spec).expect("rmsprop ensemble");
            ea.advance(500);
            er.advance(500);
            assert_eq!(bits(ea.weights()), bits(er.weights()), "{label}");
            assert!(ea.weights().iter().any(|w| *w != 0.0), "{label}: moved");
        }
    }
}

/// Frozen-v Adam is Corollary 3's preconditioned heavy ball, the engine's existing
/// `Optimizer::Preconditioned`: Truth: with m̃ = m/(1 − β₁), Adam's m' = β₁m + (1 − β₁)g,
/// θ' = θ − λDm' is m̃' = β₁m̃ + g, θ' = θ − λ(1 − β₁)D m̃', so Λ = λ(1 − β₁)D, μ = β₁ (and RMSprop is
/// Λ = λD with its μ). Built from the adaptive solution's v, the precond problem's Σ (solved by
/// `solver::stationary` through its own dispatch) must be the adaptive Σ: bit for bit when Λ is
/// formed from the solver's own rates (the same reduction with the same inputs), and to 1e-14
/// relative when Λ is formed from v by the formula (√(s²) rounds).
#[test]
fn frozen_adam_is_the_preconditioned_heavy_ball() {
    for (k, c, shape) in landscapes() {
        for lr in [0.3, 2.0] {
            let cases = [
                ("adam", method(AdaptiveKind::Adam)),
                (
                    "adam eps=0.05 inside",
                    Adaptive {
                        epsilon: 0.05,
                        epsilon_placement: EpsilonPlacement::Inside,
                        ..method(AdaptiveKind::Adam)
                    },
                ),
                (
                    "rmsprop mu=0.5",
                    Adaptive {
                        momentum: 0.5,
                        ..method(AdaptiveKind::RmsProp)
                    },
                ),
            ];
            for (name, m) in cases {
                let label = format!("{shape} lr={lr} {name}");
                let solution = limit(&problem(&k, &c, lr, m));
                let (gain, mu) = match m.kind {
                    AdaptiveKind::RmsProp => (1.0, m.momentum),
                    _ => (1.0 - m.beta1, m.beta1),
                };
                let precond = |lambda: DVector<f64>| -> Stationary {
                    let p = Problem::new(
                        Some(k.clone()),
                        Noise::Gaussian {
                            covariance: c.clone(),
                        },
                        Optimizer::Preconditioned {
                            preconditioner: DMatrix::from_diagonal(&lambda),
                            momentum: mu,
                        },
                    )
                    .expect("a valid precond problem");
                    solver::stationary(&p).expect("stable")
                };
                let exact = precond(&solution.effective_learning_rates * gain);
                assert_eq!(
                    bits(exact.sigma.as_slice()),
                    bits(solution.stationary.sigma.as_slice()),
                    "{label}: Σ of precond with the solver's Λ"
                );
                let formula = precond(solution.second_moment.map(|v| rate(lr, v, &m) * gain));
                let scale = max_abs(&solution.stationary.sigma);
                let gap = max_abs(&(&formula.sigma - &solution.stationary.sigma)) / scale;
                assert!(gap <= 1e-14, "{label}: Σ gap {gap:.2e} with Λ from v");
            }
        }
    }
}

// ---------------------------------------------------------------- the real optimizer

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// The time-averaged covariance of the real optimizer from the limit's stationary state, after a
/// burn-in: (simulated Σ, its standard errors, the limit's Σ).
fn simulate_from_limit(
    p: &Problem,
    particles: usize,
    burn_in: u64,
    averaged: u64,
    seed: u64,
) -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let theory = limit(p).stationary.sigma;
    let spec = EnsembleSpec {
        particles,
        seed,
        start: Start::Stationary,
        burn_in: Some(burn_in),
        ..EnsembleSpec::default()
    };
    let mut ensemble = Ensemble::new(p, &spec).expect("ensemble");
    ensemble.advance(burn_in + averaged);
    let stats = ensemble.statistics();
    assert_eq!(stats.diverged, 0);
    let averaged = stats.time_averaged.expect("time averages");
    (averaged.covariance, averaged.covariance_stderr, theory)
}

/// Simulation at β₂ = 0.9999 against the limit, entry by entry (see the module's tolerance:
/// 4.5 SE + `ADAPTIVE_GAP_PER_UNIT`·(1 − β₂)·√(Σ_aa Σ_bb), the bias 8e-5 relative, far below
/// the SE). The burn-in is 3/(1 − β₂) = 30 000 steps, three time constants of v, so that v's
/// fluctuations at finite β₂ are in their own stationary state; 40 000 steps are averaged.
fn check_near_limit(label: &str, p: &Problem, particles: usize, seed: u64) {
    let Optimizer::Adaptive { method, .. } = p.optimizer() else {
        unreachable!()
    };
    let gap = 1.0 - method.beta2;
    let burn_in = (3.0 / gap).round() as u64;
    let (sim, se, theory) = simulate_from_limit(p, particles, burn_in, 40_000, seed);
    for a in 0..theory.nrows() {
        for b in 0..theory.ncols() {
            let scale = (theory[(a, a)] * theory[(b, b)]).sqrt();
            let bias = ADAPTIVE_GAP_PER_UNIT * gap * scale;
            let diff = (sim[(a, b)] - theory[(a, b)]).abs();
            eprintln!(
                "{label} ({a},{b}): sim {:.6} ± {:.6} vs limit {:.6} ({:.2} SE, {:.3}% of scale)",
                sim[(a, b)],
                se[(a, b)],
                theory[(a, b)],
                diff / se[(a, b)],
                100.0 * diff / scale
            );
            assert!(
                diff <= 4.5 * se[(a, b)] + bias,
                "{label} ({a},{b}): simulated {} ± {} vs limit {} ({:.1} SE)",
                sim[(a, b)],
                se[(a, b)],
                theory[(a, b)],
                diff / se[(a, b)]
            );
            // The check means something: SE ≤ 1% of the entry's scale.
            assert!(
                se[(a, b)] <= 0.01 * scale,
                "{label} ({a},{b}): SE too large"
            );
        }
    }
}

/// 1-D Adam, K = 1, C = 1, λ = 0.3, β₂ = 0.9999: the real optimizer (PyTorch's step) against the
/// β₂ → 1 limit (tolerance in `check_near_limit`).
#[test]
fn simulated_adam_matches_the_limit_in_one_dimension() {
    let adam = Adaptive {
        beta2: 0.9999,
        ..method(AdaptiveKind::Adam)
    };
    check_near_limit(
        "1-D adam",
        &problem(&scalar(1.0), &scalar(1.0), 0.3, adam),
        1000,
        11,
    );
}

/// The same 1-D problem with Adam's ε = 0.3 inside the root (optax's eps_root placement, which
/// lowers Σ by 11% here, so the kernel's placement is checked) and with centered RMSprop (whose
/// ḡ² ~ (1 − β₂)·E[g²] the limit neglects); tolerance in `check_near_limit`.
#[test]
fn simulated_variants_match_the_limit_in_one_dimension() {
    let one = |m| problem(&scalar(1.0), &scalar(1.0), 0.3, m);
    let inside = Adaptive {
        beta2: 0.9999,
        epsilon: 0.3,
        epsilon_placement: EpsilonPlacement::Inside,
        ..method(AdaptiveKind::Adam)
    };
    check_near_limit("1-D adam eps=0.3 inside", &one(inside), 500, 16);
    let centered = Adaptive {
        beta2: 0.9999,
        centered: true,
        ..method(AdaptiveKind::RmsProp)
    };
    check_near_limit("1-D centered rmsprop", &one(centered), 500, 17);
}

/// The non-commuting 2-D problem at λ = 0.3, β₂ = 0.9999 (tolerance in `check_near_limit`), for
/// Adam (the off-diagonal Σ₁₂ checks that v is the diagonal of E[ggᵀ] and that the preconditioner
/// does not commute with K), AdamW with decoupled wd = 0.1 (the decay θ ← (1 − λwd)θ outside the
/// preconditioner) and RMSprop with heavy-ball momentum μ = 0.5 (the buffer b = D m̃ of the
/// stationary start, and Λ = λD, not λ(1 − μ)D).
#[test]
fn simulated_methods_match_the_limit_in_two_dimensions() {
    let fast = |m: Adaptive| Adaptive { beta2: 0.9999, ..m };
    let cases = [
        ("2-D adam", fast(method(AdaptiveKind::Adam)), 12),
        (
            "2-D adamw",
            Adaptive {
                weight_decay: 0.1,
                ..fast(method(AdaptiveKind::AdamW))
            },
            13,
        ),
        (
            "2-D rmsprop",
            Adaptive {
                momentum: 0.5,
                ..fast(method(AdaptiveKind::RmsProp))
            },
            14,
        ),
    ];
    for (label, m, seed) in cases {
        check_near_limit(
            label,
            &problem(&hessian_2d(), &noise_2d(), 0.3, m),
            1000,
            seed,
        );
    }
}

/// At β₂ = 0.9 the limit is not exact, and the test can see it (so the β₂ = 0.9999 agreement above
/// is not a tolerance that accepts anything). 1-D Adam, K = C = 1, λ = 0.3: the simulated Σ must
/// differ from the limit by more than 4 SE, but by less than the documented worst case
/// `ADAPTIVE_GAP_PER_UNIT`·(1 − β₂) = 8% relative (plus 4 SE). The burn-in, 1 000 steps, is
/// 100 time constants of v.
#[test]
fn at_finite_beta2_the_limit_is_visibly_approximate() {
    let beta2 = 0.9;
    let m = Adaptive {
        beta2,
        ..method(AdaptiveKind::Adam)
    };
    let p = problem(&scalar(1.0), &scalar(1.0), 0.3, m);
    let (sim, se, theory) = simulate_from_limit(&p, 2000, 1_000, 40_000, 15);
    let (sim, se, theory) = (sim[(0, 0)], se[(0, 0)], theory[(0, 0)]);
    let diff = (sim - theory).abs();
    eprintln!(
        "β₂ = 0.9: sim {sim:.6} ± {se:.6} vs limit {theory:.6}: {:.2}% ({:.1} SE)",
        100.0 * diff / theory,
        diff / se
    );
    assert!(
        diff > 4.0 * se,
        "the gap {diff} is not resolved ({:.1} SE)",
        diff / se
    );
    let bound = ADAPTIVE_GAP_PER_UNIT * (1.0 - beta2) * theory;
    assert!(
        diff <= bound + 4.0 * se,
        "gap {:.2}% above the documented {:.2}%",
        100.0 * diff / theory,
        100.0 * bound / theory
    );
}

/// The first two steps from a point, without noise (C = 0, allowed: PSD), written out as the
/// frameworks document them, g = Kθ (+ wd·θ coupled). Adam (`torch.optim.Adam`'s single-tensor
/// step): m ← lerp(m, g, 1 − β₁), v ← β₂v + (1 − β₂)g², bc_i = 1 − β_iᵗ, step_size = λ/bc1,
/// denom = √v/√bc2 + ε (optax's eps_root: √(v/bc2 + ε)), θ ← θ(1 − λ·wd) (AdamW) − step_size·m/denom.
/// RMSprop (`torch.optim.RMSprop`; optax's bias correction divides v and ḡ by bc2): v as above,
/// centered: ḡ ← lerp(ḡ, g, 1 − β₂), a = √(v − ḡ²) + ε, else √v + ε; with μ > 0 b ← μb + g/a,
/// θ ← θ − λb, else θ ← θ − λg/a. The kernel must give the same bits: the same operations in the
/// same order (ATen's CPU addcmul and addcdiv: v + ((1 − β₂)·g)·g and θ + (−step_size·m)/denom). And the first step's size, the
/// well-known one: λ·sign(g) for Adam and bias-corrected RMSprop (ε/|g| ≤ 2e-8 relative);
/// λ(1 − β₁)/√(1 − β₂) ≈ 3.16λ for Adam without bias correction; λ/√(1 − β₂) = 10λ for PyTorch's
/// RMSprop (α = 0.99, no correction), λ/√((1 − β₂) − (1 − β₂)²) for centered RMSprop.
#[test]
fn first_steps_are_the_frameworks_from_a_point() {
    let k = hessian_2d();
    // g₀ = Kθ₀ = (0.6, −1.1): well above ε.
    let theta0 = DVector::from_row_slice(&[1.0, -0.8]);
    let zero = DMatrix::zeros(2, 2);
    let lr = 0.05;
    let rmsprop = method(AdaptiveKind::RmsProp);
    let cases = [
        ("adam", method(AdaptiveKind::Adam)),
        (
            "adam wd=0.2",
            Adaptive {
                weight_decay: 0.2,
                ..method(AdaptiveKind::Adam)
            },
        ),
        (
            "adamw wd=0.2",
            Adaptive {
                weight_decay: 0.2,
                ..method(AdaptiveKind::AdamW)
            },
        ),
        (
            "adam eps=1e-3 inside",
            Adaptive {
                epsilon: 1e-3,
                epsilon_placement: EpsilonPlacement::Inside,
                ..method(AdaptiveKind::Adam)
            },
        ),
        (
            "adam no bias correction",
            Adaptive {
                bias_correction: false,
                ..method(AdaptiveKind::Adam)
            },
        ),
        ("rmsprop", rmsprop),
        (
            "rmsprop bias correction wd=0.2",
            Adaptive {
                bias_correction: true,
                weight_decay: 0.2,
                ..rmsprop
            },
        ),
        (
            "centered rmsprop mu=0.5",
            Adaptive {
                centered: true,
                momentum: 0.5,
                ..rmsprop
            },
        ),
        (
            "rmsprop mu=0.5 eps=1e-3 inside",
            Adaptive {
                momentum: 0.5,
                epsilon: 1e-3,
                epsilon_placement: EpsilonPlacement::Inside,
                ..rmsprop
            },
        ),
    ];
    for (label, m) in cases {
        let p = problem(&k, &zero, lr, m);
        let spec = EnsembleSpec {
            particles: 3,
            seed: 5,
            start: Start::Point(theta0.clone()),
            ..EnsembleSpec::default()
        };
        let mut ensemble = Ensemble::new(&p, &spec).expect("ensemble");
        // The frameworks' step, written out.
        let (wd_c, wd_d) = match m.kind {
            AdaptiveKind::AdamW => (0.0, m.weight_decay),
            _ => (m.weight_decay, 0.0),
        };
        let (b1, b2) = (m.beta1, m.beta2);
        let mut theta = [theta0[0], theta0[1]];
        let mut buffer = [0.0; 2];
        let mut second = [0.0; 2];
        let mut average = [0.0; 2];
        for t in 1..=2_i32 {
            let g: Vec<f64> = (0..2)
                .map(|a| (k[(a, 0)] * theta[0] + k[(a, 1)] * theta[1]) + wd_c * theta[a])
                .collect();
            let (bc1, bc2) = if m.bias_correction {
                (1.0 - b1.powi(t), 1.0 - b2.powi(t))
            } else {
                (1.0, 1.0)
            };
            let before = theta;
            for a in 0..2 {
                second[a] = second[a] * b2 + (1.0 - b2) * g[a] * g[a];
                match m.kind {
                    AdaptiveKind::Adam | AdaptiveKind::AdamW => {
                        if wd_d != 0.0 {
                            theta[a] *= 1.0 - lr * wd_d;
                        }
                        // lerp with weight 1 − β₁ = 0.1 < ½: start + weight·(end − start).
                        buffer[a] += (1.0 - b1) * (g[a] - buffer[a]);
                        let denom = match m.epsilon_placement {
                            EpsilonPlacement::Outside => second[a].sqrt() / bc2.sqrt() + m.epsilon,
                            EpsilonPlacement::Inside => (second[a] / bc2 + m.epsilon).sqrt(),
                        };
                        theta[a] += (-(lr / bc1) * buffer[a]) / denom;
                    }
                    AdaptiveKind::RmsProp => {
                        let moment = if m.centered {
                            // lerp with weight 1 − β₂ = 0.01 < ½.
                            average[a] += (1.0 - b2) * (g[a] - average[a]);
                            second[a] / bc2 - (average[a] / bc2) * (average[a] / bc2)
                        } else {
                            second[a] / bc2
                        };
                        let denom = match m.epsilon_placement {
                            EpsilonPlacement::Outside => moment.sqrt() + m.epsilon,
                            EpsilonPlacement::Inside => (moment + m.epsilon).sqrt(),
                        };
                        if m.momentum > 0.0 {
                            buffer[a] = buffer[a] * m.momentum + g[a] / denom;
                            theta[a] += -lr * buffer[a];
                        } else {
                            theta[a] += (-lr * g[a]) / denom;
                        }
                    }
                }
            }
            ensemble.advance(1);
            for particle in 0..3 {
                let w = &ensemble.weights()[2 * particle..2 * particle + 2];
                assert_eq!(
                    bits(w),
                    bits(&theta),
                    "{label} step {t} particle {particle}"
                );
            }
            if t == 1 && m.epsilon_placement == EpsilonPlacement::Outside {
                // The first step's size, per coordinate, beside any decoupled decay.
                let gap = (1.0 - b2) / bc2;
                let size = match m.kind {
                    AdaptiveKind::RmsProp if m.centered => 1.0 / (gap - gap * gap).sqrt(),
                    AdaptiveKind::RmsProp => 1.0 / gap.sqrt(),
                    _ => (1.0 - b1) / bc1 / gap.sqrt(),
                };
                for a in 0..2 {
                    let step = before[a] * (1.0 - lr * wd_d) - theta[a];
                    let expected = lr * size * g[a].signum();
                    assert!(
                        (step - expected).abs() <= 1e-5 * lr * size,
                        "{label}: first step {step} vs {expected}"
                    );
                }
                if m.bias_correction {
                    assert!((size - 1.0).abs() < 1e-12, "{label}: λ·sign(g)");
                }
            }
        }
    }
}

/// Split/join keeps every bit. Truth: the unsplit ensemble advanced alike (every particle owns its
/// stream, its buffer, v and ḡ, and the step counter of the bias corrections travels with each
/// block). Adam from zero with bias correction (so t matters), Adam from the limit's stationary
/// state, and centered RMSprop with momentum (the ḡ array); the statistics, time averages
/// included, must be equal too.
#[test]
fn split_and_join_keep_every_bit() {
    let cases = [
        ("adam zero", method(AdaptiveKind::Adam), Start::Zero),
        (
            "adam stationary",
            method(AdaptiveKind::Adam),
            Start::Stationary,
        ),
        (
            "centered rmsprop",
            Adaptive {
                centered: true,
                momentum: 0.5,
                ..method(AdaptiveKind::RmsProp)
            },
            Start::Zero,
        ),
    ];
    for (label, m, start) in cases {
        let p = problem(&hessian_2d(), &noise_2d(), 0.1, m);
        let spec = EnsembleSpec {
            particles: 10,
            seed: 99,
            start,
            burn_in: Some(5),
            ..EnsembleSpec::default()
        };
        let mut whole = Ensemble::new(&p, &spec).expect("ensemble");
        let mut split = whole.clone();
        whole.advance(40);
        split.advance(7);
        let mut parts = split.split(3, 1);
        assert_eq!(parts.len(), 3, "{label}");
        for part in &mut parts {
            part.advance(20);
            part.advance(13);
        }
        let joined = Ensemble::join(parts).expect("blocks of one ensemble");
        assert_eq!(bits(joined.weights()), bits(whole.weights()), "{label}");
        assert_eq!(joined.statistics(), whole.statistics(), "{label}");
    }
}

// ---------------------------------------------------------------- configuration and CLI

/// The errors of a configuration text, from parsing or from building the model.
fn errors_of(text: &str) -> Vec<FieldError> {
    match Config::parse(text) {
        Err(errors) => errors.0,
        Ok(config) => match config.to_problem() {
            Err(errors) => errors.0,
            Ok(problem) => panic!("'{text}' should be rejected, got {problem:?}"),
        },
    }
}

/// Bad adaptive input is refused with an error naming the key, by the library and by the CLI
/// (exit code 2, the key on stderr, nothing on stdout). Truth: the documented ranges (β ∈ [0, 1),
/// ε > 0, wd ≥ 0) and the documented ownership of the keys (mu and centered are RMSprop's, beta1
/// Adam's; adaptive methods take Gaussian noise only; AdamW's decay is decoupled by definition).
/// The valid neighbours, optax's bias-corrected RMSprop among them, are accepted.
#[test]
fn bad_adaptive_input_names_the_key() {
    let cases = [
        ("opt=adam&beta1=1", "beta1"),
        ("opt=adam&beta2=1", "beta2"),
        ("opt=adam&beta2=-0.1", "beta2"),
        ("opt=rmsprop&beta2=1", "beta2"),
        ("opt=adam&eps=0", "eps"),
        ("opt=adam&eps=-1", "eps"),
        ("opt=rmsprop&eps=0", "eps"),
        ("opt=adam&mu=0.5", "mu"),
        ("opt=adamw&mu=0.5", "mu"),
        ("opt=rmsprop&mu=1", "mu"),
        ("opt=adam&centered=1", "centered"),
        ("opt=rmsprop&beta1=0.5", "beta1"),
        ("opt=adam&noise=batch", "noise"),
        ("opt=adamw&wd_mode=coupled", "wd_mode"),
        ("opt=adam&wd=-1", "wd"),
        ("opt=adamw&wd=-1", "wd"),
        ("opt=adam&eps_mode=middle", "eps_mode"),
    ];
    for (text, key) in cases {
        let errors = errors_of(text);
        assert!(
            errors.iter().any(|e| e.field == key),
            "{text}: errors {errors:?} do not name {key}"
        );
        let outcome = crate::cli::run_with(&["solve", text]);
        assert_eq!(outcome.code, EXIT_USAGE, "{text}: {}", outcome.stderr);
        assert_eq!(outcome.stdout, "", "{text}");
        assert!(
            outcome
                .stderr
                .lines()
                .any(|line| line.contains(&format!("{key}: invalid value"))),
            "{text}: stderr does not name {key}: {}",
            outcome.stderr
        );
    }
    // The valid neighbours are accepted (so the cases above fail for the named reason only).
    for text in [
        "opt=adam&beta1=0&beta2=0",
        "opt=rmsprop&mu=0.5&centered=1",
        "opt=adamw&wd=0.1",
        "opt=adam&wd=0.1&eps=1&eps_mode=inside",
        // optax's rmsprop(bias_correction=True).
        "opt=rmsprop&bias_correction=1",
    ] {
        assert!(
            Config::parse(text).is_ok_and(|c| c.to_problem().is_ok()),
            "'{text}' should be valid"
        );
    }
}

fn solve_json(text: &str) -> serde_json::Value {
    let outcome = crate::cli::run_with(&["solve", text]);
    assert_eq!(outcome.code, 0, "{text}: {}", outcome.stderr);
    serde_json::from_str(&outcome.stdout).expect("JSON")
}

/// `solve` labels the β₂ → 1 answer and reports the fixed-point search: "approximation":
/// "beta2 -> 1", an "adaptive" object with fixed_points_found ≥ 1 and the second moment, Σ equal
/// to the library's (the JSON round-trips f64, so exactly), no warning at β₂ = 0.999 (1 − β₂
/// below the trusted 0.02) but one at β₂ = 0.9; and without noise (C = 0), or with none in a
/// coordinate that a diagonal K leaves alone, there is no fixed point (v shrinks to 0 and the
/// frozen dynamics reaches its edge): "diverges": true with a reason saying there is no
/// stationary state. (With a non-diagonal K the noise of one coordinate reaches the other's
/// gradient, so C = diag(1, 0) has a stationary state.)
#[test]
fn solve_reports_the_limit_and_its_caveats() {
    let text = "opt=adam&lr=0.3&K=1,0.5;0.5,2&C=1,0.2";
    let json = solve_json(text);
    assert_eq!(json["approximation"], "beta2 -> 1");
    assert_eq!(json["diverges"], false);
    assert!(json.get("warning").is_none(), "{}", json["warning"]);
    let adaptive = &json["adaptive"];
    assert!(adaptive["fixed_points_found"].as_f64().expect("a number") >= 1.0);
    let library = limit(&problem(
        &hessian_2d(),
        &noise_2d(),
        0.3,
        method(AdaptiveKind::Adam),
    ));
    let v: Vec<f64> = adaptive["second_moment"]
        .as_array()
        .expect("v")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect();
    assert_eq!(v, library.second_moment.as_slice());
    for a in 0..2 {
        for b in 0..2 {
            assert_eq!(
                json["sigma"][a][b].as_f64(),
                Some(library.stationary.sigma[(a, b)]),
                "Σ[{a}][{b}]"
            );
        }
    }

    let warned = solve_json("opt=adam&lr=0.3&beta2=0.9");
    assert_eq!(warned["approximation"], "beta2 -> 1");
    let warning = warned["warning"].as_str().expect("a warning at β₂ = 0.9");
    assert!(warning.contains("β₂ → 1"), "{warning}");

    // No noise at all, or none in a coordinate that K does not couple to the others: v can
    // shrink there until the frozen dynamics is at its edge.
    for opt in ["adam", "adamw", "rmsprop"] {
        for landscape in ["K=1,0.5;0.5,2&C=0", "K=1,2&C=1,0"] {
            let text = format!("opt={opt}&lr=0.3&{landscape}");
            let diverging = solve_json(&text);
            assert_eq!(diverging["diverges"], true, "{text}");
            let reason = diverging["reason"].as_str().expect("a reason");
            assert!(reason.contains("no stationary state"), "{text}: {reason}");
            assert_eq!(diverging["sigma"], serde_json::Value::Null, "{text}");
        }
        // Noise in one coordinate only, but K couples them: E[g₂²] > 0, a stationary state.
        let coupled = solve_json(&format!("opt={opt}&lr=0.3&K=1,0.5;0.5,2&C=1,0"));
        assert_eq!(coupled["diverges"], false, "{opt}");
    }
}
