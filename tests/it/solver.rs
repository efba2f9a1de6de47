//! The exact engine against independent truth: the general Kronecker and Smith-doubling solvers on
//! the full augmented system, direct iteration of the covariance recursion, limits, and the
//! stability thresholds.
//!
//! Tolerances. The engine and the references solve the same linear system by different routes;
//! both are backward stable, so their forward errors are bounded by ε times the condition of the
//! Lyapunov operator, κ ≈ 1/(1 − ρ(A)²) (the sum Σ_k ρ^{2k}), times a small polynomial in the size.
//! Each test computes κ for its case and allows `TOL_FACTOR · ε · n · κ`, with TOL_FACTOR = 1e3
//! covering the eigen-decomposition's own O(n ε) error and the basis changes.

use crate::common;

use common::*;
use nalgebra::DMatrix;
use sgd_playground::model::{Minibatch, Noise, Optimizer, Problem, RegressionData};
use sgd_playground::solver::{self, reference, InitialState};

const TOL_FACTOR: f64 = 1e3;

fn gaussian(k: &DMatrix<f64>, c: &DMatrix<f64>, optimizer: Optimizer) -> Problem {
    Problem::new(
        Some(k.clone()),
        Noise::Gaussian {
            covariance: c.clone(),
        },
        optimizer,
    )
    .expect("valid problem")
}

/// The optimizer of kind `which` at a fraction of its stability threshold for curvature `k_max`.
fn optimizer_at(
    which: usize,
    fraction: f64,
    k_max: f64,
    mu: f64,
    nu: f64,
    d: usize,
    rng_seed: u64,
) -> Optimizer {
    match which {
        0 => Optimizer::Sgd {
            learning_rate: fraction * 2.0 / k_max,
        },
        1 => Optimizer::Momentum {
            learning_rate: fraction * 2.0 * (1.0 + mu) / k_max,
            momentum: mu,
        },
        2 => Optimizer::QuasiHyperbolic {
            learning_rate: fraction * 2.0 * (1.0 + mu) / ((1.0 + mu - 2.0 * mu * nu) * k_max),
            momentum: mu,
            nu,
        },
        3 => Optimizer::Nesterov {
            learning_rate: fraction * 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * k_max),
            momentum: mu,
        },
        4 => Optimizer::DampedNewton {
            learning_rate: fraction * 2.0 * (1.0 + mu),
            momentum: mu,
        },
        _ => {
            // A non-commuting SPD preconditioner, scaled afterwards by the caller's fraction.
            let mut g = rng(rng_seed);
            Optimizer::Preconditioned {
                preconditioner: random_spd(d, 0.3, 1.0, &mut g),
                momentum: mu,
            }
        }
    }
}

/// Rescales a preconditioned problem so that max eig(ΛK) = fraction · 2(1+μ).
fn scale_preconditioner(k: &DMatrix<f64>, optimizer: Optimizer, fraction: f64) -> Optimizer {
    match optimizer {
        Optimizer::Preconditioned {
            preconditioner,
            momentum,
        } => {
            let product = &preconditioner * k;
            let top = product
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

fn tolerance(spectral_radius: f64, n: usize) -> f64 {
    let kappa = 1.0 / (1.0 - spectral_radius * spectral_radius);
    TOL_FACTOR * f64::EPSILON * n as f64 * kappa
}

#[test]
fn eigenbasis_engine_equals_kronecker_reference_small_dimensions() {
    let mut cases = 0;
    for (seed, d) in [(1u64, 1usize), (2, 2), (3, 5), (4, 2), (5, 5)] {
        let mut g = rng(seed);
        let k = random_spd(d, 0.05, 1.0, &mut g);
        let c = random_spd(d, 0.1, 1.0, &mut g);
        for which in 0..6 {
            for &fraction in &[0.05, 0.5, 0.95, 0.99] {
                for &mu in &[0.0, 0.3, 0.6, 0.9] {
                    for &nu in &[0.0, 0.3, 0.7, 1.0] {
                        if which != 2 && nu != 0.0 {
                            continue;
                        }
                        let k_max = k.symmetric_eigenvalues().max();
                        let optimizer = optimizer_at(which, fraction, k_max, mu, nu, d, seed + 100);
                        let optimizer = scale_preconditioner(&k, optimizer, fraction);
                        let problem = gaussian(&k, &c, optimizer.clone());
                        let exact = solver::stationary(&problem).expect("below threshold");
                        let system = reference::AugmentedSystem::new(
                            &problem,
                            exact.preconditioner.as_ref(),
                        )
                        .expect("system");
                        let q = system.noise_input(&c);
                        let truth = reference::lyapunov_kronecker(&system.transition, &q)
                            .expect("nonsingular");
                        let n = truth.nrows();
                        let err = relative_difference(&exact.state_covariance, &truth);
                        let tol = tolerance(exact.stability.spectral_radius, n);
                        assert!(
                            err <= tol,
                            "{} D={d} fraction={fraction} mu={mu} nu={nu}: relative error {err:e} > {tol:e}",
                            optimizer.name()
                        );
                        // Residual of the Lyapunov equation itself, relative: ≤ 1e-12·D.
                        let residual = &exact.state_covariance
                            - &system.transition
                                * &exact.state_covariance
                                * system.transition.transpose()
                            - &q;
                        let scale = max_abs(&exact.state_covariance);
                        assert!(
                            max_abs(&residual) <= 1e-12 * d as f64 * scale,
                            "{} residual",
                            optimizer.name()
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 300);
}

#[test]
fn eigenbasis_engine_equals_smith_reference_large_dimensions() {
    for (seed, d) in [(11u64, 20usize), (12, 64)] {
        let mut g = rng(seed);
        let k = random_spd(d, 0.05, 1.0, &mut g);
        let c = random_spd(d, 0.1, 1.0, &mut g);
        for which in [0usize, 1, 2, 3, 5] {
            let (fraction, mu, nu) = (0.9, 0.6, 0.7);
            let optimizer = scale_preconditioner(
                &k,
                optimizer_at(which, fraction, 1.0, mu, nu, d, seed),
                fraction,
            );
            let problem = gaussian(&k, &c, optimizer.clone());
            let exact = solver::stationary(&problem).expect("below threshold");
            let system = reference::AugmentedSystem::new(&problem, exact.preconditioner.as_ref())
                .expect("system");
            let q = system.noise_input(&c);
            let truth = reference::lyapunov_smith(&system.transition, &q, 60).expect("converges");
            let n = truth.nrows();
            let err = relative_difference(&exact.state_covariance, &truth);
            let tol = tolerance(exact.stability.spectral_radius, n);
            assert!(err <= tol, "{} D={d}: {err:e} > {tol:e}", optimizer.name());
            // Σ symmetric and positive semi-definite.
            assert_eq!(exact.sigma, exact.sigma.transpose());
            let min = exact.sigma.symmetric_eigenvalues().min();
            assert!(
                min > 0.0,
                "{} D={d}: Σ has eigenvalue {min:e}",
                optimizer.name()
            );
            let residual = &exact.state_covariance
                - &system.transition * &exact.state_covariance * system.transition.transpose()
                - &q;
            assert!(max_abs(&residual) <= 1e-12 * d as f64 * max_abs(&exact.state_covariance));
        }
    }
}

/// Continuous-time OU solution of Eq. 4, KΣ + ΣK = λ/(1−μ) C, solved independently here in K's
/// eigenbasis.
fn ornstein_uhlenbeck(k: &DMatrix<f64>, c: &DMatrix<f64>, lr: f64, mu: f64) -> DMatrix<f64> {
    let eigen = k.clone().symmetric_eigen();
    let u = &eigen.eigenvectors;
    let ct = u.transpose() * c * u;
    let d = k.nrows();
    let st = DMatrix::from_fn(d, d, |i, j| {
        lr / (1.0 - mu) * ct[(i, j)] / (eigen.eigenvalues[i] + eigen.eigenvalues[j])
    });
    u * st * u.transpose()
}

#[test]
fn small_learning_rate_gives_the_continuous_time_solution() {
    // Σ_discrete − Σ_continuous = O(λk*) relative (Theorem 1's remark), so at λk* = 1e-6 the
    // difference must be below a few λk*; we allow 4·λk*/(1−μ)² to cover the momentum terms.
    let mut g = rng(21);
    for d in [1usize, 2, 5, 20] {
        let k = random_spd(d, 0.05, 1.0, &mut g);
        let c = random_spd(d, 0.1, 1.0, &mut g);
        let k_max = k.symmetric_eigenvalues().max();
        let lr = 1e-6 / k_max;
        for (optimizer, mu) in [
            (Optimizer::Sgd { learning_rate: lr }, 0.0),
            (
                Optimizer::Momentum {
                    learning_rate: lr,
                    momentum: 0.6,
                },
                0.6,
            ),
            (
                Optimizer::Nesterov {
                    learning_rate: lr,
                    momentum: 0.3,
                },
                0.3,
            ),
        ] {
            let exact = solver::stationary(&gaussian(&k, &c, optimizer.clone())).expect("stable");
            let continuous = ornstein_uhlenbeck(&k, &c, lr, mu);
            let err = relative_difference(&exact.sigma, &continuous);
            let bound = 4.0 * lr * k_max / ((1.0 - mu) * (1.0 - mu));
            assert!(
                err <= bound,
                "{} D={d}: {err:e} > {bound:e}",
                optimizer.name()
            );
            assert!(err > 0.0 || d == 0);
        }
        // QHM is normalised (Eq. 53): its small-λ limit is λ/2 K⁻¹C-type, i.e. OU with μ = 0
        // (ERRATA.md corrects Table 1's "previous work" entry).
        let qhm = Optimizer::QuasiHyperbolic {
            learning_rate: lr,
            momentum: 0.6,
            nu: 0.7,
        };
        let exact = solver::stationary(&gaussian(&k, &c, qhm)).expect("stable");
        let err = relative_difference(&exact.sigma, &ornstein_uhlenbeck(&k, &c, lr, 0.0));
        assert!(err <= 4.0 * lr * k_max / 0.16, "qhm D={d}: {err:e}");
    }
}

#[test]
fn limits_between_methods() {
    let mut g = rng(31);
    for d in [1usize, 2, 5] {
        let k = random_spd(d, 0.05, 1.0, &mut g);
        let c = random_spd(d, 0.1, 1.0, &mut g);
        let lr = 1.3;
        let solve = |o: Optimizer| {
            solver::stationary(&gaussian(&k, &c, o))
                .expect("stable")
                .sigma
        };
        let sgd = solve(Optimizer::Sgd { learning_rate: lr });
        // SGDM with μ = 0 is SGD (the momentum state is then just the last gradient).
        let sgdm0 = solve(Optimizer::Momentum {
            learning_rate: lr,
            momentum: 0.0,
        });
        assert!(relative_difference(&sgdm0, &sgd) <= 1e-12, "μ = 0");
        // QHM ν = 0 is SGD; ν = 1 is SGDM with learning rate λ(1−μ) (Eq. 53).
        let qhm0 = solve(Optimizer::QuasiHyperbolic {
            learning_rate: lr,
            momentum: 0.7,
            nu: 0.0,
        });
        assert!(relative_difference(&qhm0, &sgd) <= 1e-12, "ν = 0");
        let mu = 0.7;
        let qhm1 = solve(Optimizer::QuasiHyperbolic {
            learning_rate: lr,
            momentum: mu,
            nu: 1.0,
        });
        let sgdm = solve(Optimizer::Momentum {
            learning_rate: lr * (1.0 - mu),
            momentum: mu,
        });
        assert!(relative_difference(&qhm1, &sgdm) <= 1e-12, "ν = 1");
        // Nesterov with μ = 0 is SGD.
        let nesterov0 = solve(Optimizer::Nesterov {
            learning_rate: lr,
            momentum: 0.0,
        });
        assert!(
            relative_difference(&nesterov0, &sgd) <= 1e-12,
            "Nesterov μ = 0"
        );
        // Preconditioner Λ = λI is SGDM with learning rate λ.
        let precond = solve(Optimizer::Preconditioned {
            preconditioner: DMatrix::identity(d, d) * lr,
            momentum: 0.4,
        });
        let sgdm = solve(Optimizer::Momentum {
            learning_rate: lr,
            momentum: 0.4,
        });
        assert!(relative_difference(&precond, &sgdm) <= 1e-12, "Λ = λI");
    }
}

#[test]
fn every_threshold_is_the_edge_of_the_spectral_radius() {
    // Independent of the Jury-criterion derivation: just below the stated threshold the spectral
    // radius of the full augmented A is < 1, just above it is > 1.
    let k = DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.4]);
    let c = DMatrix::identity(2, 2);
    for &mu in &[0.0, 0.3, 0.6, 0.9] {
        for &nu in &[0.0, 0.3, 0.7, 1.0] {
            for which in 0..5 {
                let k_max = k.symmetric_eigenvalues().max();
                let radius = |fraction: f64| {
                    let o = optimizer_at(which, fraction, k_max, mu, nu, 2, 0);
                    let p = Problem::new(
                        Some(k.clone()),
                        Noise::Gaussian {
                            covariance: c.clone(),
                        },
                        o,
                    )
                    .expect("valid");
                    let system = reference::AugmentedSystem::new(&p, None).expect("system");
                    system
                        .transition
                        .complex_eigenvalues()
                        .iter()
                        .map(|z| z.norm())
                        .fold(0.0, f64::max)
                };
                assert!(
                    radius(0.999) < 1.0,
                    "which={which} mu={mu} nu={nu}: ρ(0.999) = {}",
                    radius(0.999)
                );
                assert!(
                    radius(1.001) > 1.0,
                    "which={which} mu={mu} nu={nu}: ρ(1.001) = {}",
                    radius(1.001)
                );
            }
        }
    }
}

#[test]
fn divergence_at_and_beyond_every_threshold_and_accuracy_just_below() {
    let mut g = rng(41);
    for d in [1usize, 2, 5] {
        let k = if d == 1 {
            DMatrix::from_element(1, 1, 1.0)
        } else {
            // Diagonal K so that k* and therefore "exactly on the edge" is exact in binary.
            DMatrix::from_diagonal(&nalgebra::DVector::from_vec(spread(d, 0.125, 1.0)))
        };
        let c = random_spd(d, 0.1, 1.0, &mut g);
        for which in 0..6 {
            for &mu in &[0.0, 0.5, 0.9] {
                let nu = 0.5;
                for &fraction in &[1.0, 1.5, 10.0] {
                    let o = scale_preconditioner(
                        &k,
                        optimizer_at(which, fraction, 1.0, mu, nu, d, 7),
                        fraction,
                    );
                    let result = solver::stationary(&gaussian(&k, &c, o.clone()));
                    let divergence = result.expect_err("at or beyond the threshold");
                    assert!(
                        divergence.stability.spectral_radius >= 1.0 - 1e-9,
                        "{}",
                        divergence.reason
                    );
                    assert!(
                        divergence.reason.starts_with("diverges"),
                        "{}",
                        divergence.reason
                    );
                    if fraction == 1.0 && which != 5 {
                        assert!(
                            divergence.reason.contains("exactly on the stability edge"),
                            "{}",
                            divergence.reason
                        );
                    }
                }
                // 0.995 of the threshold: relative accuracy ≤ 1e-8 against the Kronecker reference.
                let o =
                    scale_preconditioner(&k, optimizer_at(which, 0.995, 1.0, mu, nu, d, 7), 0.995);
                let problem = gaussian(&k, &c, o.clone());
                let exact = solver::stationary(&problem).expect("just below the threshold");
                let system =
                    reference::AugmentedSystem::new(&problem, exact.preconditioner.as_ref())
                        .expect("system");
                let truth =
                    reference::lyapunov_kronecker(&system.transition, &system.noise_input(&c))
                        .expect("nonsingular");
                let err = relative_difference(&exact.state_covariance, &truth);
                assert!(err <= 1e-8, "{} D={d} mu={mu}: {err:e}", o.name());
            }
        }
    }
}

#[test]
fn one_dimensional_sgd_near_the_edge_matches_corollary_1() {
    // Σ = λσ²/(k(2−λk)); the engine avoids the cancellation in 1 − (1−λk)².
    for &x in &[1e-9, 1e-4, 0.5, 1.0, 1.9, 1.99, 1.999_999] {
        let problem = gaussian(
            &DMatrix::from_element(1, 1, 1.0),
            &DMatrix::from_element(1, 1, 1.0),
            Optimizer::Sgd { learning_rate: x },
        );
        let sigma = solver::stationary(&problem).expect("stable").sigma[(0, 0)];
        let exact = x / (2.0 - x);
        assert!(
            (sigma - exact).abs() <= 1e-13 * exact / (2.0 - x),
            "x={x}: {sigma} vs {exact}"
        );
    }
}

#[test]
fn transient_matches_direct_iteration_and_tends_to_stationary() {
    let mut g = rng(51);
    let d = 3;
    let k = random_spd(d, 0.1, 1.0, &mut g);
    let c = random_spd(d, 0.1, 1.0, &mut g);
    for which in 0..6 {
        let o = scale_preconditioner(&k, optimizer_at(which, 0.8, 1.0, 0.5, 0.5, d, 3), 0.8);
        let problem = gaussian(&k, &c, o.clone());
        let stationary = solver::stationary(&problem).expect("stable");
        let system = reference::AugmentedSystem::new(&problem, stationary.preconditioner.as_ref())
            .expect("system");
        let q = system.noise_input(&c);
        let n = q.nrows();
        // A random PSD start of the whole state.
        let start = random_spd(n, 0.01, 0.5, &mut g);
        let initial = InitialState {
            offset: None,
            state_covariance: Some(start.clone()),
        };
        let mut p = start.clone();
        for t in 0..60u64 {
            let exact = solver::transient(&problem, t, &initial).expect("transient");
            let err = relative_difference(&exact.state_covariance, &p);
            assert!(err <= 1e-11, "{} t={t}: {err:e}", o.name());
            p = &system.transition * &p * system.transition.transpose() + &q;
        }
        let late = solver::transient(&problem, 1 << 40, &initial).expect("transient");
        assert!(
            relative_difference(&late.state_covariance, &stationary.state_covariance) <= 1e-10,
            "{}",
            o.name()
        );
        // A stationary start stays stationary.
        let from_stationary = InitialState {
            offset: None,
            state_covariance: Some(stationary.state_covariance.clone()),
        };
        let same = solver::transient(&problem, 17, &from_stationary).expect("transient");
        assert!(relative_difference(&same.state_covariance, &stationary.state_covariance) <= 1e-11);
    }
}

#[test]
fn natural_gradient_is_self_consistent() {
    let mut g = rng(61);
    for d in [1usize, 2, 5] {
        let k = random_spd(d, 0.1, 1.0, &mut g);
        let c = random_spd(d, 0.1, 1.0, &mut g);
        for &mu in &[0.0, 0.5] {
            let lr = 0.7;
            let problem = gaussian(
                &k,
                &c,
                Optimizer::NaturalGradient {
                    learning_rate: lr,
                    momentum: mu,
                },
            );
            let ngd = solver::stationary(&problem).expect("C ≻ 0 gives a stationary NGD");
            // Self-consistency checked by the independent Kronecker solver: with Λ = λ(KΣK)⁻¹ built
            // from the returned Σ, the preconditioned dynamics must have exactly that Σ.
            let fisher = &k * &ngd.sigma * &k;
            let lambda = fisher.try_inverse().expect("invertible") * lr;
            let lambda = (&lambda + lambda.transpose()) * 0.5;
            let system = reference::AugmentedSystem::new(&problem, Some(&lambda)).expect("system");
            let truth = reference::lyapunov_kronecker(&system.transition, &system.noise_input(&c))
                .expect("nonsingular");
            let sigma = truth.view((0, 0), (d, d)).into_owned();
            let err = relative_difference(&ngd.sigma, &sigma);
            assert!(
                err <= 1e-9,
                "NGD D={d} mu={mu}: Λ(Σ) gives back Σ only to {err:e}"
            );
        }
        // Fisher noise, Eq. 63: Σ = λ[(1+μ)s + 1 − μ]/(2(1−μ²)) K⁻¹.
        let (n, s, lr, mu) = (1000usize, 100usize, 0.8, 0.3);
        let problem = Problem::new(
            Some(k.clone()),
            Noise::Fisher {
                dataset_size: n,
                batch_size: s,
            },
            Optimizer::NaturalGradient {
                learning_rate: lr,
                momentum: mu,
            },
        )
        .expect("valid");
        let fisher = solver::stationary(&problem).expect("stable");
        let scale = (n - s) as f64 / (n * s) as f64;
        let expected = k.clone().try_inverse().expect("SPD")
            * (lr * ((1.0 + mu) * scale + 1.0 - mu) / (2.0 * (1.0 - mu * mu)));
        assert!(relative_difference(&fisher.sigma, &expected) <= 1e-10);
        // S = N: no noise, the "fluctuation" is a marginal period-2 oscillation (ERRATA.md).
        let edge = Problem::new(
            Some(k.clone()),
            Noise::Fisher {
                dataset_size: n,
                batch_size: n,
            },
            Optimizer::NaturalGradient {
                learning_rate: lr,
                momentum: mu,
            },
        )
        .expect("valid");
        let divergence = solver::stationary(&edge).expect_err("marginal");
        assert!(
            divergence.reason.contains("period-2"),
            "{}",
            divergence.reason
        );
    }
}

fn regression(n: usize, seed: u64, x_var: &[f64], s: usize, replace: bool) -> Minibatch {
    let w_star = vec![1.0; x_var.len()];
    Minibatch {
        data: RegressionData::generate(n, seed, x_var, &w_star, 1.0).expect("data"),
        batch_size: s,
        with_replacement: replace,
    }
}

#[test]
fn minibatch_stationary_is_the_limit_of_the_exact_moment_recursion() {
    // Independent route: iterate M_{t+1} = A M Aᵀ + B C(M) Bᵀ on the full augmented system in the
    // original coordinates (solver::transient for minibatch noise) until it converges.
    for (x_var, opt) in [
        (vec![1.0], Optimizer::Sgd { learning_rate: 0.6 }),
        (
            vec![1.0, 0.1],
            Optimizer::Momentum {
                learning_rate: 0.3,
                momentum: 0.5,
            },
        ),
        (
            vec![1.0, 0.3, 0.1],
            Optimizer::QuasiHyperbolic {
                learning_rate: 0.5,
                momentum: 0.6,
                nu: 0.7,
            },
        ),
        (
            vec![1.0, 0.1],
            Optimizer::Nesterov {
                learning_rate: 0.4,
                momentum: 0.5,
            },
        ),
    ] {
        for replace in [true, false] {
            let batch = regression(200, 3, &x_var, 20, replace);
            let problem =
                Problem::new(None, Noise::Minibatch(Box::new(batch)), opt.clone()).expect("valid");
            let exact = solver::stationary(&problem).expect("stable");
            let iterated =
                solver::transient(&problem, 20_000, &InitialState::default()).expect("transient");
            let err = relative_difference(&iterated.state_covariance, &exact.state_covariance);
            assert!(err <= 1e-9, "{} replace={replace}: {err:e}", opt.name());
            assert!((&iterated.mean - &exact.mean).amax() <= 1e-12);
            // The exact bound is below the paper's 2(1+μ)-type bound.
            assert!(
                exact.stability.threshold
                    < solver::stationary(
                        &Problem::new(
                            Some(problem.hessian().clone()),
                            Noise::Gaussian {
                                covariance: DMatrix::identity(x_var.len(), x_var.len())
                            },
                            opt.clone()
                        )
                        .expect("valid")
                    )
                    .expect("stable")
                    .stability
                    .threshold
            );
        }
    }
}

#[test]
fn minibatch_critical_learning_rate_is_the_edge() {
    let batch = regression(1000, 0, &[1.0], 100, true);
    for mu in [0.0, 0.5, 0.9] {
        let base = Problem::new(
            None,
            Noise::Minibatch(Box::new(batch.clone())),
            Optimizer::Momentum {
                learning_rate: 0.1,
                momentum: mu,
            },
        )
        .expect("valid");
        let critical = solver::minibatch::critical_learning_rate(&base, &batch).expect("bound");
        let k = base.max_curvature();
        assert!(
            critical * k < 2.0 * (1.0 + mu),
            "mu={mu}: exact bound {} not below 2(1+μ)",
            critical * k
        );
        let at = |lr: f64| {
            let p = Problem::new(
                None,
                Noise::Minibatch(Box::new(batch.clone())),
                Optimizer::Momentum {
                    learning_rate: lr,
                    momentum: mu,
                },
            )
            .expect("valid");
            solver::stationary(&p)
        };
        let below = at(critical * (1.0 - 1e-6)).expect("stable just below");
        assert!(below.sigma[(0, 0)] > 0.0);
        let above = at(critical * (1.0 + 1e-6)).expect_err("diverges just above");
        assert!(
            above.reason.contains("exact minibatch bound"),
            "{}",
            above.reason
        );
        // Just above, the moment recursion indeed grows: compare 100 and 200 steps.
        let p = Problem::new(
            None,
            Noise::Minibatch(Box::new(batch.clone())),
            Optimizer::Momentum {
                learning_rate: critical * 1.01,
                momentum: mu,
            },
        )
        .expect("valid");
        // (The growth is fast: near λk = 2 the second-moment map's radius moves ≈ 4 per unit of λk.)
        let t1 = solver::transient(&p, 100, &InitialState::default())
            .expect("t")
            .sigma[(0, 0)];
        let t2 = solver::transient(&p, 200, &InitialState::default())
            .expect("t")
            .sigma[(0, 0)];
        assert!(
            t2.is_finite() && t2 > 2.0 * t1,
            "mu={mu}: {t1} → {t2} should grow"
        );
    }
}

#[test]
fn minibatch_matches_the_population_form_for_a_large_data_set() {
    // ERRATA.md: for Gaussian x, C(Σ) → (1/S)(KΣK + Tr[KΣ]K + 2σ²K). 1-D SGD then solves
    // Σ[λk(2−λk) − 2λ²k²/S] = 2λ²σ²k/S. With N = 2·10⁵ the data's fourth moment has a relative
    // sampling error ≈ √(96/N)/3 ≈ 0.7%, and K's ≈ √(2/N) ≈ 0.3%; we allow 3% (≈ 4 standard errors).
    let batch = regression(200_000, 5, &[1.0], 10, true);
    let lr = 0.5;
    let problem = Problem::new(
        None,
        Noise::Minibatch(Box::new(batch)),
        Optimizer::Sgd { learning_rate: lr },
    )
    .expect("valid");
    let exact = solver::stationary(&problem).expect("stable").sigma[(0, 0)];
    let (k, s) = (2.0, 10.0);
    let population = 2.0 * lr * lr * k / s / (lr * k * (2.0 - lr * k) - 2.0 * lr * lr * k * k / s);
    assert!(
        (exact / population - 1.0).abs() < 0.03,
        "{exact} vs {population}"
    );
    // And it is visibly not the paper's C ≈ K/S guess λ/(S(2−λK)) (off by ≈ 2× here).
    let paper = lr / (s * (2.0 - lr * k));
    assert!(exact / paper > 1.5, "{exact} vs paper {paper}");
}

#[test]
fn minibatch_matches_monte_carlo() {
    // 1-D SGD on a fixed data set of N = 50, S = 5 with replacement, 4000 independent particles,
    // 400 steps (λK ≈ 1: relaxation time ≈ 1 step, so 400 steps is stationary to e⁻⁴⁰⁰).
    // Standard error of the sample variance from the sample fourth moment: √((m₄ − s⁴)/P).
    // Pass if within 4 standard errors (false-failure probability ≈ 6e-5; the seed is fixed).
    use rand::{RngExt, SeedableRng};
    let batch = regression(50, 9, &[1.0], 5, true);
    let k = batch.data.hessian()[(0, 0)];
    let lr = 1.0 / k;
    let problem = Problem::new(
        None,
        Noise::Minibatch(Box::new(batch.clone())),
        Optimizer::Sgd { learning_rate: lr },
    )
    .expect("valid");
    let exact = solver::stationary(&problem).expect("stable");
    let x = batch.data.inputs().column(0).into_owned();
    let y = batch.data.targets().clone();
    let w_hat = exact.mean[0];
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(77);
    let particles = 4000;
    let mut samples = Vec::with_capacity(particles);
    for _ in 0..particles {
        let mut w = 0.0;
        for _ in 0..400 {
            let mut g = 0.0;
            for _ in 0..5 {
                let i = rng.random_range(0..50);
                g += 2.0 * x[i] * (x[i] * w - y[i]);
            }
            w -= lr * g / 5.0;
        }
        samples.push(w - w_hat);
    }
    let p = particles as f64;
    let mean = samples.iter().sum::<f64>() / p;
    let var = samples.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (p - 1.0);
    let m4 = samples.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / p;
    let se = ((m4 - var * var) / p).sqrt();
    let sigma = exact.sigma[(0, 0)];
    assert!(
        (var - sigma).abs() <= 4.0 * se,
        "MC {var} ± {se} vs exact {sigma}"
    );
    // The Gaussian-noise guess C ≈ K/S is many standard errors away.
    let guess = lr / (5.0 * (2.0 - lr * k));
    assert!(
        (var - guess).abs() > 8.0 * se,
        "MC {var} ± {se} vs C≈K/S {guess}"
    );
}

#[test]
fn invalid_models_are_rejected_with_the_field_named() {
    let one = DMatrix::from_element(1, 1, 1.0);
    let sgd = Optimizer::Sgd { learning_rate: 0.5 };
    let check = |k: Option<DMatrix<f64>>, c: DMatrix<f64>, o: Optimizer, field: &str| {
        let err = Problem::new(k, Noise::Gaussian { covariance: c }, o).expect_err("invalid");
        assert!(
            err.0.iter().any(|e| e.field == field),
            "expected an error on {field}: {err}"
        );
        assert!(err
            .0
            .iter()
            .all(|e| !e.allowed.is_empty() && !e.value.is_empty()));
    };
    check(
        Some(DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.4, 1.0])),
        DMatrix::identity(2, 2),
        sgd.clone(),
        "K",
    );
    check(
        Some(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0])),
        DMatrix::identity(2, 2),
        sgd.clone(),
        "K",
    );
    check(
        Some(DMatrix::from_element(1, 1, f64::NAN)),
        one.clone(),
        sgd.clone(),
        "K",
    );
    check(Some(DMatrix::zeros(0, 0)), one.clone(), sgd.clone(), "K");
    check(None, one.clone(), sgd.clone(), "K");
    check(Some(one.clone()), DMatrix::identity(2, 2), sgd.clone(), "C");
    check(
        Some(one.clone()),
        DMatrix::from_element(1, 1, -1.0),
        sgd.clone(),
        "C",
    );
    check(
        Some(one.clone()),
        one.clone(),
        Optimizer::Sgd {
            learning_rate: -1.0,
        },
        "lr",
    );
    check(
        Some(one.clone()),
        one.clone(),
        Optimizer::Sgd {
            learning_rate: f64::NAN,
        },
        "lr",
    );
    check(
        Some(one.clone()),
        one.clone(),
        Optimizer::Momentum {
            learning_rate: 0.5,
            momentum: 1.0,
        },
        "mu",
    );
    check(
        Some(one.clone()),
        one.clone(),
        Optimizer::QuasiHyperbolic {
            learning_rate: 0.5,
            momentum: 0.5,
            nu: 1.5,
        },
        "nu",
    );
    check(
        Some(one.clone()),
        one.clone(),
        Optimizer::Preconditioned {
            preconditioner: DMatrix::from_element(1, 1, 0.0),
            momentum: 0.0,
        },
        "P",
    );
    // Several problems at once are all reported.
    let err = Problem::new(
        Some(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0])),
        Noise::Gaussian {
            covariance: one.clone(),
        },
        Optimizer::Momentum {
            learning_rate: -1.0,
            momentum: 2.0,
        },
    )
    .expect_err("invalid");
    assert!(err.0.len() >= 3, "{err}");
    // Data that cannot define a Hessian.
    let err = RegressionData::new(
        DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0]),
        nalgebra::DVector::from_vec(vec![1.0, 2.0]),
    )
    .expect_err("collinear");
    assert_eq!(err.field, "X");
}

#[test]
fn a_divergence_reason_prints_numbers_without_rounding_noise() {
    // λk = 2.2: the spectral radius is 1.2 up to rounding (1.2000000000000002 as an f64); the
    // reason, written for a person, says 1.2; a real excess of 1e-10 is still visible.
    let problem = |lr: f64| {
        Problem::new(
            Some(DMatrix::from_element(1, 1, 1.0)),
            Noise::Gaussian {
                covariance: DMatrix::from_element(1, 1, 1.0),
            },
            Optimizer::Sgd { learning_rate: lr },
        )
        .unwrap()
    };
    let reason = solver::stationary(&problem(2.2)).unwrap_err().reason;
    assert!(
        reason.contains("λk* = 2.2 is not below 2") && reason.contains("dynamics 1.2 ≥ 1"),
        "{reason}"
    );
    let reason = solver::stationary(&problem(2.0000000001))
        .unwrap_err()
        .reason;
    assert!(reason.contains("λk* = 2.0000000001"), "{reason}");
}
