//! The simulator against the exact theory, within computed standard errors.
//!
//! Each test starts the ensemble in the exact stationary state (so no burn-in bias), then time-
//! averages the covariance over T steps and P independent particles. The standard error of each
//! entry comes from the spread of the P per-particle time averages (independent across
//! particles, whatever the autocorrelation in time). A case passes when every entry is within
//! 4 standard errors: for one Gaussian estimate the chance of a false failure is 6e-5; the seeds
//! are fixed, so the outcome is deterministic.

use crate::common;

use common::*;
use nalgebra::{DMatrix, DVector};
use sgd_playground::model::{Minibatch, Noise, Optimizer, Problem, RegressionData};
use sgd_playground::sim::double_well::{
    exact_mean_escape_steps, DoubleWell, EscapeDynamics, EscapeEnsemble,
};
use sgd_playground::sim::normal::{NormalStream, Ziggurat};
use sgd_playground::sim::{Ensemble, EnsembleSpec, NaturalGradientFisher, Start};
use sgd_playground::solver;

const SIGMAS: f64 = 4.0;

fn assert_within_stderr(
    label: &str,
    simulated: &DMatrix<f64>,
    stderr: &DMatrix<f64>,
    exact: &DMatrix<f64>,
) {
    for a in 0..exact.nrows() {
        for b in 0..exact.ncols() {
            let diff = (simulated[(a, b)] - exact[(a, b)]).abs();
            assert!(
                diff <= SIGMAS * stderr[(a, b)],
                "{label} entry ({a},{b}): simulated {} ± {} vs exact {} ({:.1} standard errors)",
                simulated[(a, b)],
                stderr[(a, b)],
                exact[(a, b)],
                diff / stderr[(a, b)]
            );
        }
    }
}

fn time_averaged_check(label: &str, problem: &Problem, particles: usize, steps: u64, seed: u64) {
    let exact = solver::stationary(problem).expect("stable");
    let spec = EnsembleSpec {
        particles,
        seed,
        start: Start::Stationary,
        burn_in: Some(0),
        ..EnsembleSpec::default()
    };
    let mut ensemble = Ensemble::new(problem, &spec).expect("ensemble");
    ensemble.advance(steps);
    let stats = ensemble.statistics();
    assert_eq!(stats.diverged, 0, "{label}");
    let averaged = stats.time_averaged.expect("time averages");
    assert_within_stderr(
        label,
        &averaged.covariance,
        &averaged.covariance_stderr,
        &exact.sigma,
    );
    // The standard errors are small enough for the check to mean something: ≤ 5% of the scale.
    let scale = max_abs(&exact.sigma);
    assert!(
        max_abs(&averaged.covariance_stderr) < 0.05 * scale,
        "{label}: standard errors too large to test anything"
    );
}

fn optimizers(k_max: f64, fraction: f64, d: usize, seed: u64) -> Vec<Optimizer> {
    let mu = 0.5;
    let nu = 0.7;
    let mut g = rng(seed);
    let lambda = random_spd(d, 0.3, 1.0, &mut g);
    let product_top = (&lambda * &lambda).symmetric_eigenvalues().max().sqrt(); // upper bound on ‖Λ‖
    let _ = product_top;
    vec![
        Optimizer::Sgd {
            learning_rate: fraction * 2.0 / k_max,
        },
        Optimizer::Momentum {
            learning_rate: fraction * 2.0 * (1.0 + mu) / k_max,
            momentum: mu,
        },
        Optimizer::QuasiHyperbolic {
            learning_rate: fraction * 2.0 * (1.0 + mu) / ((1.0 + mu - 2.0 * mu * nu) * k_max),
            momentum: mu,
            nu,
        },
        Optimizer::Nesterov {
            learning_rate: fraction * 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * k_max),
            momentum: mu,
        },
        Optimizer::DampedNewton {
            learning_rate: fraction * 2.0 * (1.0 + mu),
            momentum: mu,
        },
        Optimizer::Preconditioned {
            preconditioner: lambda,
            momentum: mu,
        },
    ]
}

fn scaled_preconditioner(k: &DMatrix<f64>, o: Optimizer, fraction: f64) -> Optimizer {
    match o {
        Optimizer::Preconditioned {
            preconditioner,
            momentum,
        } => {
            let top = (&preconditioner * k)
                .complex_eigenvalues()
                .iter()
                .map(|z| z.re)
                .fold(f64::MIN, f64::max);
            Optimizer::Preconditioned {
                preconditioner: preconditioner * (fraction * 2.0 * (1.0 + momentum) / top),
                momentum,
            }
        }
        other => other,
    }
}

#[test]
fn gaussian_noise_simulation_matches_the_exact_covariance() {
    let mut g = rng(101);
    for (d, steps) in [(1usize, 400u64), (2, 400), (5, 300)] {
        let k = random_spd(d, 0.2, 1.0, &mut g);
        let c = random_spd(d, 0.2, 1.0, &mut g);
        let k_max = k.symmetric_eigenvalues().max();
        for fraction in [0.5, 0.95] {
            for o in optimizers(k_max, fraction, d, 7) {
                let o = scaled_preconditioner(&k, o, fraction);
                let problem = Problem::new(
                    Some(k.clone()),
                    Noise::Gaussian {
                        covariance: c.clone(),
                    },
                    o.clone(),
                )
                .expect("valid");
                time_averaged_check(
                    &format!("{} D={d} at {fraction} of the threshold", o.name()),
                    &problem,
                    2000,
                    steps,
                    5,
                );
            }
        }
    }
}

#[test]
fn ensemble_statistics_at_one_time_match_the_exact_transient() {
    // From w₀ = 0, after t steps the ensemble covariance must match the exact Σ_t (Fig. 2a's
    // finite-time theory). P = 20000 particles: the relative standard error is ≈ √(2/P) = 1%.
    let k = DMatrix::from_element(1, 1, 1.0);
    let c = DMatrix::from_element(1, 1, 1.0);
    for lr in [0.3, 1.0, 1.9] {
        let problem = Problem::new(
            Some(k.clone()),
            Noise::Gaussian {
                covariance: c.clone(),
            },
            Optimizer::Sgd { learning_rate: lr },
        )
        .expect("valid");
        let mut ensemble = Ensemble::new(
            &problem,
            &EnsembleSpec {
                particles: 20_000,
                seed: 3,
                ..EnsembleSpec::default()
            },
        )
        .expect("ensemble");
        ensemble.advance(5);
        let stats = ensemble.statistics();
        let exact = solver::transient(&problem, 5, &Default::default()).expect("transient");
        assert_within_stderr(
            &format!("SGD λ={lr} t=5"),
            &stats.covariance,
            &stats.covariance_stderr,
            &exact.sigma,
        );
    }
}

fn regression(n: usize, seed: u64, x_var: &[f64], s: usize, replace: bool) -> Minibatch {
    Minibatch {
        data: RegressionData::generate(n, seed, x_var, &vec![1.0; x_var.len()], 1.0).expect("data"),
        batch_size: s,
        with_replacement: replace,
    }
}

#[test]
fn minibatch_simulation_matches_the_exact_minibatch_theory() {
    for (x_var, replace, o) in [
        (vec![1.0], true, Optimizer::Sgd { learning_rate: 0.7 }),
        (
            vec![1.0],
            false,
            Optimizer::Momentum {
                learning_rate: 0.3,
                momentum: 0.6,
            },
        ),
        (vec![1.0, 0.1], true, Optimizer::Sgd { learning_rate: 0.6 }),
        (
            vec![1.0, 0.1],
            true,
            Optimizer::QuasiHyperbolic {
                learning_rate: 0.5,
                momentum: 0.6,
                nu: 0.7,
            },
        ),
    ] {
        let batch = regression(200, 11, &x_var, 10, replace);
        let problem =
            Problem::new(None, Noise::Minibatch(Box::new(batch)), o.clone()).expect("valid");
        time_averaged_check(
            &format!("minibatch {} D={} replace={replace}", o.name(), x_var.len()),
            &problem,
            1000,
            400,
            9,
        );
    }
}

#[test]
fn minibatch_simulation_visibly_disagrees_with_the_hessian_noise_guess() {
    // C ≈ K/S (the paper's Sec. 5.2 theory) predicts λ/(S(2−λK)); the simulation sits many
    // standard errors above it (ERRATA.md: off by ≈ 2× with unit label noise).
    let batch = regression(1000, 1, &[1.0], 100, true);
    let k = batch.data.hessian()[(0, 0)];
    let lr = 0.7 / k;
    let problem = Problem::new(
        None,
        Noise::Minibatch(Box::new(batch)),
        Optimizer::Sgd { learning_rate: lr },
    )
    .expect("valid");
    let mut ensemble = Ensemble::new(
        &problem,
        &EnsembleSpec {
            particles: 1000,
            seed: 4,
            start: Start::Stationary,
            burn_in: Some(0),
            ..EnsembleSpec::default()
        },
    )
    .expect("ensemble");
    ensemble.advance(300);
    let averaged = ensemble.statistics().time_averaged.expect("averages");
    let guess = lr / (100.0 * (2.0 - lr * k));
    let (value, se) = (
        averaged.covariance[(0, 0)],
        averaged.covariance_stderr[(0, 0)],
    );
    assert!(
        (value - guess) > 10.0 * se,
        "simulated {value} ± {se} vs C≈K/S {guess}"
    );
}

#[test]
fn natural_gradient_with_an_ensemble_fisher_estimate_finds_the_exact_state() {
    let k = DMatrix::from_row_slice(2, 2, &[1.0, 0.3, 0.3, 0.5]);
    let small_noise = DMatrix::from_row_slice(2, 2, &[0.5, 0.1, 0.1, 0.3]);
    let problem = Problem::new(
        Some(k.clone()),
        Noise::Gaussian {
            covariance: small_noise,
        },
        Optimizer::NaturalGradient {
            learning_rate: 0.5,
            momentum: 0.0,
        },
    )
    .expect("valid");
    time_averaged_check("ngd exact Λ", &problem, 2000, 200, 21);
    // Coupled: Λ from the ensemble's own covariance every step. In 1-D with u = kσ/λ and
    // γ = c/(kλ) the covariance map is u ↦ u − 2 + 1/u + γ/u², whose fixed point is stable only
    // for γ > 2u² − u at u > 1 + 1/√2, i.e. γ ≳ 4.1. With large noise (γ ≈ 12 here) the coupled
    // ensemble settles on the exact state; we allow 4 standard errors plus the O(1/√P) = 2.2%
    // bias of estimating Λ from P = 2000 particles.
    let large_noise = DMatrix::from_row_slice(2, 2, &[6.0, 0.5, 0.5, 3.0]);
    let problem = Problem::new(
        Some(k),
        Noise::Gaussian {
            covariance: large_noise,
        },
        Optimizer::NaturalGradient {
            learning_rate: 0.5,
            momentum: 0.0,
        },
    )
    .expect("valid");
    let exact = solver::stationary(&problem).expect("stable");
    let coupled = |seed: u64| {
        let spec = EnsembleSpec {
            particles: 2000,
            seed,
            start: Start::Stationary,
            burn_in: Some(50),
            natural_gradient_fisher: NaturalGradientFisher::Ensemble,
            ..EnsembleSpec::default()
        };
        let mut ensemble = Ensemble::new(&problem, &spec).expect("ensemble");
        ensemble.advance(250);
        ensemble.statistics().time_averaged.expect("averages")
    };
    let averaged = coupled(22);
    for a in 0..2 {
        for b in 0..2 {
            let tol = SIGMAS * averaged.covariance_stderr[(a, b)] + 0.022 * max_abs(&exact.sigma);
            assert!(
                (averaged.covariance[(a, b)] - exact.sigma[(a, b)]).abs() <= tol,
                "coupled NGD ({a},{b}): {} vs {}",
                averaged.covariance[(a, b)],
                exact.sigma[(a, b)]
            );
        }
    }
}

#[test]
fn natural_gradient_with_an_ensemble_fisher_estimate_is_unstable_for_small_noise() {
    // The finding of the previous test's comment: at γ = c/(kλ) = 1 the fixed point u = 1 has
    // slope 1 − 4/u + 1/u² = −2, so the coupled covariance does not settle on the exact Σ.
    let problem = Problem::new(
        Some(DMatrix::from_element(1, 1, 1.0)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, 0.5),
        },
        Optimizer::NaturalGradient {
            learning_rate: 0.5,
            momentum: 0.0,
        },
    )
    .expect("valid");
    let exact = solver::stationary(&problem).expect("stable").sigma[(0, 0)];
    let spec = EnsembleSpec {
        particles: 2000,
        seed: 3,
        start: Start::Stationary,
        burn_in: Some(50),
        natural_gradient_fisher: NaturalGradientFisher::Ensemble,
        ..EnsembleSpec::default()
    };
    let mut ensemble = Ensemble::new(&problem, &spec).expect("ensemble");
    ensemble.advance(250);
    let stats = ensemble.statistics();
    let away = stats.time_averaged.map_or(f64::INFINITY, |t| {
        (t.covariance[(0, 0)] / exact - 1.0).abs()
    });
    assert!(
        stats.diverged > 0 || away > 0.1,
        "the coupled NGD unexpectedly settled: {away}"
    );
}

#[test]
fn diverging_particles_are_counted_and_excluded() {
    let problem = Problem::new(
        Some(DMatrix::from_element(1, 1, 1.0)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, 1.0),
        },
        Optimizer::Sgd {
            learning_rate: 2.05,
        },
    )
    .expect("valid");
    let mut ensemble = Ensemble::new(
        &problem,
        &EnsembleSpec {
            particles: 100,
            ..EnsembleSpec::default()
        },
    )
    .expect("ensemble");
    ensemble.advance(2000);
    let stats = ensemble.statistics();
    assert_eq!(stats.diverged, 100);
    assert!(
        stats.covariance.iter().all(|v| v.is_nan()),
        "no live particle, no covariance"
    );
    // Stable: none diverges.
    let problem = problem
        .with_optimizer(Optimizer::Sgd { learning_rate: 1.9 })
        .expect("valid");
    let mut ensemble = Ensemble::new(
        &problem,
        &EnsembleSpec {
            particles: 100,
            ..EnsembleSpec::default()
        },
    )
    .expect("ensemble");
    ensemble.advance(2000);
    assert_eq!(ensemble.statistics().diverged, 0);
}

#[test]
fn slicing_never_changes_a_number() {
    let batch = regression(100, 2, &[1.0, 0.5], 7, false);
    let problems = vec![
        Problem::new(
            Some(DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.6])),
            Noise::Gaussian {
                covariance: DMatrix::identity(2, 2),
            },
            Optimizer::Nesterov {
                learning_rate: 0.8,
                momentum: 0.5,
            },
        )
        .expect("valid"),
        Problem::new(
            None,
            Noise::Minibatch(Box::new(batch)),
            Optimizer::Momentum {
                learning_rate: 0.2,
                momentum: 0.5,
            },
        )
        .expect("valid"),
    ];
    for problem in problems {
        let spec = EnsembleSpec {
            particles: 50,
            seed: 9,
            burn_in: Some(30),
            ..EnsembleSpec::default()
        };
        let mut whole = Ensemble::new(&problem, &spec).expect("ensemble");
        whole.advance(100);
        let mut sliced = Ensemble::new(&problem, &spec).expect("ensemble");
        for slice in [1u64, 7, 13, 29, 50] {
            sliced.advance(slice);
        }
        assert_eq!(whole.weights(), sliced.weights());
        assert_eq!(whole.statistics(), sliced.statistics());
    }
}

#[test]
fn the_diagonal_fast_path_gives_the_general_path_numbers() {
    let k = DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 0.1]));
    for o in [
        Optimizer::Sgd { learning_rate: 1.2 },
        Optimizer::Momentum {
            learning_rate: 0.9,
            momentum: 0.5,
        },
        Optimizer::QuasiHyperbolic {
            learning_rate: 0.9,
            momentum: 0.5,
            nu: 0.7,
        },
        Optimizer::Nesterov {
            learning_rate: 0.9,
            momentum: 0.5,
        },
    ] {
        for d in [1usize, 2] {
            let k = k.view((0, 0), (d, d)).into_owned();
            let c =
                DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 0.5]).rows(0, d).into_owned());
            let problem =
                Problem::new(Some(k), Noise::Gaussian { covariance: c }, o.clone()).expect("valid");
            let spec = EnsembleSpec {
                particles: 30,
                seed: 8,
                burn_in: Some(20),
                start: Start::Stationary,
                ..EnsembleSpec::default()
            };
            let mut fast = Ensemble::new(&problem, &spec).expect("ensemble");
            let mut general = fast.clone();
            general.force_general_path();
            fast.advance(77);
            general.advance(77);
            assert_eq!(fast.weights(), general.weights(), "{} D={d}", o.name());
            assert_eq!(
                fast.statistics(),
                general.statistics(),
                "{} D={d}",
                o.name()
            );
        }
    }
}

#[test]
fn value_stability_of_a_fixed_seed() {
    // Pins the generator, the ziggurat and the update order: a change here changes every
    // simulated figure, so it must be deliberate (then update these numbers).
    use rand::SeedableRng;
    let zig = Ziggurat::new();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
    let single: Vec<f64> = (0..2).map(|_| zig.sample(&mut rng)).collect();
    let mut stream = NormalStream::new(rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42));
    let paired: Vec<f64> = (0..4).map(|_| stream.normal(&zig)).collect();
    let problem = Problem::new(
        Some(DMatrix::from_element(1, 1, 1.0)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, 1.0),
        },
        Optimizer::Sgd { learning_rate: 0.5 },
    )
    .expect("valid");
    let mut ensemble = Ensemble::new(
        &problem,
        &EnsembleSpec {
            particles: 2,
            seed: 42,
            ..EnsembleSpec::default()
        },
    )
    .expect("ensemble");
    ensemble.advance(3);
    assert_eq!(single, [0.8343975468437956, -0.514962928147295]);
    assert_eq!(
        paired,
        [
            -0.6174076115927082,
            1.190938914776783,
            -0.45038694019226605,
            -0.5861708659695734
        ]
    );
    assert_eq!(
        ensemble.weights(),
        [0.004634692851025801, -0.10791771984278811]
    );
}

#[test]
fn simulated_escape_rate_matches_the_exact_mean_first_passage_time() {
    // Mean escape steps from 2000 particles run until all escaped: the censoring-free estimate
    // has a relative standard error 1/√2000 = 2.2% (exponential times). The extrapolated Nyström
    // solution on 1200 cells is converged to < 1e-4 (checked against 600 cells below).
    for r in [0.8, 1.4] {
        let dynamics = EscapeDynamics::new(DoubleWell::default(), 1.0, r, 2.0).expect("valid");
        let exact = exact_mean_escape_steps(&dynamics, 1200).expect("solvable");
        let coarser = exact_mean_escape_steps(&dynamics, 600).expect("solvable");
        assert!(
            (exact / coarser - 1.0).abs() < 1e-4,
            "r={r}: grid not converged: {exact} vs {coarser}"
        );
        let mut ensemble = EscapeEnsemble::new(dynamics, 2000, 17).expect("ensemble");
        while !ensemble.all_escaped() && ensemble.steps() < 1_000_000 {
            ensemble.advance(500);
        }
        let stats = ensemble.statistics();
        assert_eq!(stats.escaped, 2000);
        let diff = (stats.mean_escape_steps - exact).abs();
        assert!(
            diff <= SIGMAS * stats.mean_escape_steps_stderr,
            "r={r}: simulated {} ± {} vs exact {exact}",
            stats.mean_escape_steps,
            stats.mean_escape_steps_stderr
        );
    }
}

#[test]
fn censoring_aware_escape_estimate_is_unbiased_before_everyone_escaped() {
    // Stop at roughly the median escape time: the plain mean of observed times is biased low,
    // the censored MLE is not (within its standard error).
    let dynamics = EscapeDynamics::new(DoubleWell::default(), 1.0, 1.0, 2.0).expect("valid");
    let exact = exact_mean_escape_steps(&dynamics, 1200).expect("solvable");
    let mut ensemble = EscapeEnsemble::new(dynamics, 4000, 5).expect("ensemble");
    ensemble.advance((0.7 * exact) as u64);
    let stats = ensemble.statistics();
    assert!(
        stats.escaped > 1000 && stats.escaped < 3500,
        "{}",
        stats.escaped
    );
    assert!(stats.observed_mean_steps < 0.6 * exact);
    assert!(
        (stats.mean_escape_steps - exact).abs() <= SIGMAS * stats.mean_escape_steps_stderr,
        "{} ± {} vs {exact}",
        stats.mean_escape_steps,
        stats.mean_escape_steps_stderr
    );
    let _ = DVector::<f64>::zeros(1);
}
