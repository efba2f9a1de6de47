//! The frameworks' conventions (issue: PyTorch / optax / Keras): weight decay, dampening, EMA
//! momentum and Nesterov's reported iterate.
//!
//! Independent truth:
//! - each framework's update rule written here from its documentation (PyTorch's
//!   `torch.optim.SGD` algorithm, optax's `add_decayed_weights`/`trace`/`ema`/`scale_by_learning_rate`
//!   chain, Keras 3's velocity form with its decoupled `weight_decay`), simulated as an ensemble;
//!   its measured covariance must match the engine's Σ within the stated standard errors;
//! - the exact engine against the reference Kronecker solve of the augmented system composed
//!   step by step, against the Nesterov change of variables θ = w − λμm, against the identities
//!   (EMA = QHM with ν = 1 = heavy ball at λ(1−β); dampening τ = heavy ball at λ(1−τ); coupled
//!   weight decay = the Hessian K + wd·I), against the continuous-time limit, and its stability
//!   thresholds against the spectral radius.

use crate::common;

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use sgd_playground::model::{
    Conventions, MomentumForm, NesterovForm, Noise, Optimizer, Problem, WeightDecayMode,
};
use sgd_playground::solver::{self, modes::ModeDynamics, reference};

fn gaussian(k: DMatrix<f64>, c: DMatrix<f64>, optimizer: Optimizer, conv: Conventions) -> Problem {
    Problem::new(Some(k), Noise::Gaussian { covariance: c }, optimizer)
        .and_then(|p| p.with_conventions(conv))
        .unwrap_or_else(|e| panic!("problem should build: {e}"))
}

fn one_d() -> (DMatrix<f64>, DMatrix<f64>) {
    (
        DMatrix::from_element(1, 1, 1.0),
        DMatrix::from_element(1, 1, 1.0),
    )
}

/// A 2-D problem whose K and C do not commute (C's axes at 35° to K's).
fn two_d() -> (DMatrix<f64>, DMatrix<f64>) {
    let k = DMatrix::from_row_slice(2, 2, &[2.0, 0.6, 0.6, 1.0]);
    let (s, c) = 35f64.to_radians().sin_cos();
    let rotation = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
    let noise =
        &rotation * DMatrix::from_row_slice(2, 2, &[1.5, 0.0, 0.0, 0.2]) * rotation.transpose();
    (k, (&noise + noise.transpose()) * 0.5)
}

fn conventions(wd: f64, mode: WeightDecayMode, dampening: f64) -> Conventions {
    Conventions {
        weight_decay: wd,
        weight_decay_mode: mode,
        dampening,
        ..Conventions::PAPER
    }
}

fn relative(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    common::relative_difference(a, b)
}

/// Every scalar-λ optimizer under every applicable convention, with a learning rate at
/// `fraction` of its (convention's own) stability threshold.
fn all_rules(k: &DMatrix<f64>, c: &DMatrix<f64>, fraction: f64) -> Vec<(String, Problem)> {
    use WeightDecayMode::{Coupled, Decoupled};
    let mut out = Vec::new();
    let mut push = |name: &str, optimizer: Optimizer, conv: Conventions| {
        let problem = at_fraction(k, c, optimizer, conv, fraction);
        out.push((name.to_string(), problem));
    };
    let sgdm = |mu| Optimizer::Momentum {
        learning_rate: 1.0,
        momentum: mu,
    };
    let nesterov = |mu| Optimizer::Nesterov {
        learning_rate: 1.0,
        momentum: mu,
    };
    let qhm = Optimizer::QuasiHyperbolic {
        learning_rate: 1.0,
        momentum: 0.8,
        nu: 0.7,
    };
    push(
        "sgd wd",
        Optimizer::Sgd { learning_rate: 1.0 },
        conventions(0.3, Coupled, 0.0),
    );
    push(
        "sgd decoupled",
        Optimizer::Sgd { learning_rate: 1.0 },
        conventions(0.3, Decoupled, 0.0),
    );
    push("sgdm wd", sgdm(0.9), conventions(0.2, Coupled, 0.0));
    push("sgdm dampening", sgdm(0.9), conventions(0.0, Coupled, 0.4));
    push(
        "sgdm dampening wd",
        sgdm(0.5),
        conventions(0.2, Coupled, 0.4),
    );
    push(
        "sgdm decoupled",
        sgdm(0.9),
        conventions(0.2, Decoupled, 0.0),
    );
    push(
        "sgdm ema",
        sgdm(0.9),
        Conventions {
            momentum_form: MomentumForm::Ema,
            ..Conventions::PAPER
        },
    );
    push(
        "sgdm ema decoupled",
        sgdm(0.7),
        Conventions {
            momentum_form: MomentumForm::Ema,
            ..conventions(0.5, Decoupled, 0.0)
        },
    );
    push("nesterov", nesterov(0.9), Conventions::PAPER);
    push("nesterov wd", nesterov(0.9), conventions(0.2, Coupled, 0.0));
    push(
        "nesterov decoupled",
        nesterov(0.6),
        conventions(0.4, Decoupled, 0.0),
    );
    push(
        "nesterov lookahead",
        nesterov(0.9),
        Conventions {
            nesterov_form: NesterovForm::LookAhead,
            ..Conventions::PAPER
        },
    );
    push("qhm wd", qhm.clone(), conventions(0.2, Coupled, 0.0));
    push("qhm decoupled", qhm, conventions(0.2, Decoupled, 0.0));
    out
}

fn with_lr(optimizer: &Optimizer, lr: f64) -> Optimizer {
    match *optimizer {
        Optimizer::Sgd { .. } => Optimizer::Sgd { learning_rate: lr },
        Optimizer::Momentum { momentum, .. } => Optimizer::Momentum {
            learning_rate: lr,
            momentum,
        },
        Optimizer::QuasiHyperbolic { momentum, nu, .. } => Optimizer::QuasiHyperbolic {
            learning_rate: lr,
            momentum,
            nu,
        },
        Optimizer::Nesterov { momentum, .. } => Optimizer::Nesterov {
            learning_rate: lr,
            momentum,
        },
        _ => unreachable!("scalar-λ optimizers only"),
    }
}

/// The problem with the learning rate at which the engine's margin ratio (λ(k*+wd)/threshold)
/// is `fraction`, found by bisection (the decoupled threshold itself depends on λ).
fn at_fraction(
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    optimizer: Optimizer,
    conv: Conventions,
    fraction: f64,
) -> Problem {
    let ratio = |lr: f64| {
        let problem = gaussian(k.clone(), c.clone(), with_lr(&optimizer, lr), conv);
        let dynamics = ModeDynamics::new(problem.optimizer(), problem.conventions())
            .expect("valid in this test");
        solver::scalar_stability(problem.optimizer(), &dynamics, problem.hessian_eigen())
            .margin_ratio()
    };
    // With decoupled decay the threshold (2 − λwd)·… falls to 0 as λ grows: past it the ratio is
    // negative or infinite, which counts as "above".
    let below = |lr: f64| {
        let r = ratio(lr);
        r.is_finite() && r > 0.0 && r < fraction
    };
    let (mut lo, mut hi) = (1e-6, 1e-6);
    while below(hi) {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    gaussian(k.clone(), c.clone(), with_lr(&optimizer, lo), conv)
}

#[test]
fn engine_matches_the_reference_solve_of_the_composed_update() {
    // Tolerance 1e-10 relative: the reference is a dense Kronecker LU of size (2D)², whose error
    // is a few ulps times its condition number (≲ 1e4 at 0.9 of the threshold for these sizes).
    let mut rng = common::rng(13);
    let cases = [one_d(), two_d(), {
        let k = common::random_spd(3, 0.3, 2.0, &mut rng);
        let c = common::random_spd(3, 0.1, 1.0, &mut rng);
        (k, c)
    }];
    for (k, c) in &cases {
        for fraction in [0.3, 0.9] {
            for (name, problem) in all_rules(k, c, fraction) {
                let exact = solver::stationary(&problem).expect("valid in this test");
                let system =
                    reference::AugmentedSystem::new(&problem, None).expect("valid in this test");
                let truth =
                    reference::lyapunov_kronecker(&system.transition, &system.noise_input(c))
                        .expect("valid in this test");
                let diff = relative(&exact.state_covariance, &truth);
                assert!(
                    diff < 1e-10,
                    "{name} (D = {}, {fraction} of the threshold): engine vs reference {diff:e}",
                    k.nrows()
                );
            }
        }
    }
}

#[test]
fn nesterov_parameters_are_the_lookahead_state_transformed() {
    // θ = w − λμm with the same m: Σ_θ = Σ_ww − λμ(Σ_wm + Σ_mw) + λ²μ²Σ_mm, to round-off.
    let mut rng = common::rng(7);
    let k3 = common::random_spd(3, 0.2, 1.5, &mut rng);
    let c3 = common::random_spd(3, 0.1, 2.0, &mut rng);
    for (k, c) in [one_d(), two_d(), (k3, c3)] {
        for (lr_k, mu) in [(1.2, 0.9), (0.3, 0.5), (1.0, 0.0)] {
            let lr = lr_k / k.symmetric_eigenvalues().max();
            let optimizer = Optimizer::Nesterov {
                learning_rate: lr,
                momentum: mu,
            };
            let params = solver::stationary(&gaussian(
                k.clone(),
                c.clone(),
                optimizer.clone(),
                Conventions::PAPER,
            ))
            .expect("valid in this test");
            let lookahead = solver::stationary(&gaussian(
                k.clone(),
                c.clone(),
                optimizer,
                Conventions {
                    nesterov_form: NesterovForm::LookAhead,
                    ..Conventions::PAPER
                },
            ))
            .expect("valid in this test");
            let d = k.nrows();
            let mut t = DMatrix::zeros(d, 2 * d);
            t.view_mut((0, 0), (d, d)).fill_with_identity();
            t.view_mut((0, d), (d, d)).fill_with_identity();
            t.view_mut((0, d), (d, d)).scale_mut(-lr * mu);
            let transformed = &t * &lookahead.state_covariance * t.transpose();
            let diff = relative(&params.sigma, &transformed);
            assert!(diff < 1e-12, "D = {d}, λk = {lr_k}, μ = {mu}: {diff:e}");
            // Same spectrum, same threshold.
            assert_eq!(params.stability.threshold, lookahead.stability.threshold);
        }
    }
    // The 1-D case: μ = 0.9, λk = 1.2: the look-ahead w has Σ = 1.895…, the frameworks'
    // θ about six times that (PyTorch measured 11.38 ± 0.01).
    let (k, c) = one_d();
    let optimizer = Optimizer::Nesterov {
        learning_rate: 1.2,
        momentum: 0.9,
    };
    let theta = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        optimizer.clone(),
        Conventions::PAPER,
    ))
    .expect("valid in this test")
    .sigma[(0, 0)];
    let w = solver::stationary(&gaussian(
        k,
        c,
        optimizer,
        Conventions {
            nesterov_form: NesterovForm::LookAhead,
            ..Conventions::PAPER
        },
    ))
    .expect("valid in this test")
    .sigma[(0, 0)];
    assert!((w - 1.895).abs() < 1e-3, "look-ahead Σ = {w}");
    assert!((theta - 11.38).abs() < 0.05, "θ Σ = {theta}");
}

#[test]
fn ema_dampening_and_coupled_decay_are_the_identities_they_claim() {
    // Exact identities of the dynamics: equal to 1e-12 relative (round-off of two solves).
    let (k, c) = two_d();
    let (lr, beta) = (0.4, 0.8);
    let ema = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        Optimizer::Momentum {
            learning_rate: lr,
            momentum: beta,
        },
        Conventions {
            momentum_form: MomentumForm::Ema,
            ..Conventions::PAPER
        },
    ))
    .expect("valid in this test");
    let qhm = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        Optimizer::QuasiHyperbolic {
            learning_rate: lr,
            momentum: beta,
            nu: 1.0,
        },
        Conventions::PAPER,
    ))
    .expect("valid in this test");
    let heavy = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        Optimizer::Momentum {
            learning_rate: lr * (1.0 - beta),
            momentum: beta,
        },
        Conventions::PAPER,
    ))
    .expect("valid in this test");
    assert!(relative(&ema.sigma, &qhm.sigma) < 1e-12);
    assert!(relative(&ema.sigma, &heavy.sigma) < 1e-12);
    assert!((ema.stability.threshold - 2.0 * (1.0 + beta) / (1.0 - beta)).abs() < 1e-12);

    let tau = 0.3;
    let damped = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        Optimizer::Momentum {
            learning_rate: lr,
            momentum: 0.6,
        },
        conventions(0.0, WeightDecayMode::Coupled, tau),
    ))
    .expect("valid in this test");
    let scaled = solver::stationary(&gaussian(
        k.clone(),
        c.clone(),
        Optimizer::Momentum {
            learning_rate: lr * (1.0 - tau),
            momentum: 0.6,
        },
        Conventions::PAPER,
    ))
    .expect("valid in this test");
    assert!(relative(&damped.sigma, &scaled.sigma) < 1e-12);
    assert_eq!(damped.stability.condition, "λk* < 2(1+μ)/(1−τ)");

    let wd = 0.25;
    for optimizer in [
        Optimizer::Sgd { learning_rate: 0.5 },
        Optimizer::Momentum {
            learning_rate: 0.3,
            momentum: 0.7,
        },
        Optimizer::Nesterov {
            learning_rate: 0.3,
            momentum: 0.7,
        },
        Optimizer::QuasiHyperbolic {
            learning_rate: 0.3,
            momentum: 0.7,
            nu: 0.5,
        },
    ] {
        let decayed = gaussian(
            k.clone(),
            c.clone(),
            optimizer.clone(),
            conventions(wd, WeightDecayMode::Coupled, 0.0),
        );
        let ridge_k = &k + DMatrix::identity(2, 2) * wd;
        let ridge = gaussian(ridge_k, c.clone(), optimizer.clone(), Conventions::PAPER);
        let a = solver::stationary(&decayed).expect("valid in this test");
        let b = solver::stationary(&ridge).expect("valid in this test");
        assert!(relative(&a.sigma, &b.sigma) < 1e-12, "{}", optimizer.name());
        // The loss is the un-regularised ½Tr[KΣ], not ½Tr[(K + wd)Σ].
        let loss = 0.5 * (&k * &a.sigma).trace();
        assert!((a.train_loss - loss).abs() < 1e-14 * loss);
        assert!(a.train_loss < b.train_loss);
        assert!(a.stability.condition.starts_with("λ(k*+wd) < "));
    }
}

#[test]
fn thresholds_are_where_the_spectral_radius_reaches_one() {
    // The closed-form bound on u = λ(k + wd_c) against the per-mode spectral radius, which must
    // be below 1 just under it and above 1 just over it (relative step 1e-6; the radius moves by
    // O(1e-6) there, far above its round-off).
    let (k, c) = one_d();
    for fraction in [0.5] {
        for (name, problem) in all_rules(&k, &c, fraction) {
            let dynamics = ModeDynamics::new(problem.optimizer(), problem.conventions())
                .expect("valid in this test");
            let stability =
                solver::scalar_stability(problem.optimizer(), &dynamics, problem.hessian_eigen());
            let lr = problem
                .optimizer()
                .learning_rate()
                .expect("valid in this test");
            let wd_c = problem.conventions().decays().0;
            let k_edge = stability.threshold / lr - wd_c;
            let below = dynamics.spectral_radius(k_edge * (1.0 - 1e-6));
            let above = dynamics.spectral_radius(k_edge * (1.0 + 1e-6));
            assert!(
                below < 1.0 && above > 1.0,
                "{name}: radius {below} / {above} around k = {k_edge}"
            );
        }
    }
}

#[test]
fn small_learning_rate_gives_the_continuous_time_result_with_weight_decay() {
    // λ → 0: Σ → (λ/2)·C/(k + wd) for SGD with coupled decay, and (λ/(2(1−μ)))·C/(k + wd) for
    // heavy-ball momentum, in 1-D; the first correction is O(λ), so at λ = 1e-6 the relative
    // difference is ~1e-6.
    let (k, c) = one_d();
    let wd = 0.5;
    let lr = 1e-6;
    for (optimizer, scale) in [
        (Optimizer::Sgd { learning_rate: lr }, 1.0),
        (
            Optimizer::Momentum {
                learning_rate: lr,
                momentum: 0.5,
            },
            2.0,
        ),
    ] {
        let sigma = solver::stationary(&gaussian(
            k.clone(),
            c.clone(),
            optimizer,
            conventions(wd, WeightDecayMode::Coupled, 0.0),
        ))
        .expect("valid in this test")
        .sigma[(0, 0)];
        let continuous = scale * lr / (2.0 * (1.0 + wd));
        assert!(
            ((sigma - continuous) / continuous).abs() < 1e-5,
            "{sigma} vs {continuous}"
        );
    }
}

/// One framework's documented update, written out on plain vectors.
#[derive(Clone, Copy, Debug)]
enum FrameworkRule {
    /// `torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)`, from the
    /// algorithm in its documentation: g += wd·θ; b = g at the first step, else μb + (1−τ)g;
    /// g = g + μb if nesterov else b; θ −= lr·g.
    Torch {
        lr: f64,
        momentum: f64,
        dampening: f64,
        weight_decay: f64,
        nesterov: bool,
    },
    /// `optax.chain(add_decayed_weights(wd_c), trace(μ, nesterov) | ema(β, debias=False),
    /// add_decayed_weights(wd_d), scale_by_learning_rate(lr))`: u = g + wd_c·θ;
    /// trace: t = u + μt, u = u + μt if nesterov else t; ema: t = (1−β)u + βt, u = t;
    /// u += wd_d·θ; θ += −lr·u.
    Optax {
        lr: f64,
        decay: f64,
        ema: bool,
        nesterov: bool,
        wd_before: f64,
        wd_after: f64,
    },
    /// `keras.optimizers.SGD(lr, momentum, nesterov, weight_decay)` (Keras 3): first
    /// θ −= θ·wd·lr (`_apply_weight_decay`), then with the gradient taken before it:
    /// v = −g·lr + v·μ; θ += −g·lr + v·μ if nesterov else v.
    Keras {
        lr: f64,
        momentum: f64,
        nesterov: bool,
        weight_decay: f64,
    },
}

impl FrameworkRule {
    fn step(&self, theta: &mut [f64], buffer: &mut [f64], g: &[f64], first: bool) {
        let d = theta.len();
        match *self {
            FrameworkRule::Torch {
                lr,
                momentum,
                dampening,
                weight_decay,
                nesterov,
            } => {
                for a in 0..d {
                    let mut d_p = g[a] + weight_decay * theta[a];
                    if momentum != 0.0 {
                        buffer[a] = if first {
                            d_p
                        } else {
                            momentum * buffer[a] + (1.0 - dampening) * d_p
                        };
                        d_p = if nesterov {
                            d_p + momentum * buffer[a]
                        } else {
                            buffer[a]
                        };
                    }
                    theta[a] += -lr * d_p;
                }
            }
            FrameworkRule::Optax {
                lr,
                decay,
                ema,
                nesterov,
                wd_before,
                wd_after,
            } => {
                for a in 0..d {
                    let mut u = g[a] + wd_before * theta[a];
                    if ema {
                        buffer[a] = (1.0 - decay) * u + decay * buffer[a];
                        u = buffer[a];
                    } else if decay > 0.0 {
                        buffer[a] = u + decay * buffer[a];
                        u = if nesterov {
                            u + decay * buffer[a]
                        } else {
                            buffer[a]
                        };
                    }
                    u += wd_after * theta[a];
                    theta[a] += -lr * u;
                }
            }
            FrameworkRule::Keras {
                lr,
                momentum,
                nesterov,
                weight_decay,
            } => {
                for a in 0..d {
                    theta[a] -= theta[a] * weight_decay * lr;
                    if momentum > 0.0 {
                        buffer[a] = -g[a] * lr + buffer[a] * momentum;
                        theta[a] += if nesterov {
                            -g[a] * lr + buffer[a] * momentum
                        } else {
                            buffer[a]
                        };
                    } else {
                        theta[a] += -g[a] * lr;
                    }
                }
            }
        }
    }
}

/// Time-and-ensemble covariance of θ under g = Kθ + Lξ, with its standard error from the spread
/// of the per-particle time averages (independent particles): (Σ, SE).
fn simulate(
    rule: FrameworkRule,
    k: &DMatrix<f64>,
    c: &DMatrix<f64>,
    particles: usize,
    burn_in: usize,
    steps: usize,
    seed: u64,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let d = k.nrows();
    let factor = c.clone().cholesky().expect("C positive definite").l();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut per_particle: Vec<DMatrix<f64>> = Vec::with_capacity(particles);
    let mut theta = vec![0.0; d];
    let mut buffer = vec![0.0; d];
    let mut g = vec![0.0; d];
    let mut xi = vec![0.0; d];
    for _ in 0..particles {
        theta.iter_mut().for_each(|v| *v = 0.0);
        buffer.iter_mut().for_each(|v| *v = 0.0);
        let mut second = DMatrix::<f64>::zeros(d, d);
        for t in 0..burn_in + steps {
            for v in xi.iter_mut() {
                *v = StandardNormal.sample(&mut rng);
            }
            for a in 0..d {
                g[a] = (0..d)
                    .map(|b| k[(a, b)] * theta[b] + factor[(a, b)] * xi[b])
                    .sum();
            }
            rule.step(&mut theta, &mut buffer, &g, t == 0);
            if t >= burn_in {
                let v = DVector::from_column_slice(&theta);
                second += &v * v.transpose();
            }
        }
        per_particle.push(second / steps as f64);
    }
    let n = particles as f64;
    let mean = per_particle
        .iter()
        .fold(DMatrix::zeros(d, d), |acc, m| acc + m)
        / n;
    let variance = per_particle.iter().fold(DMatrix::zeros(d, d), |acc, m| {
        acc + (m - &mean).map(|x| x * x)
    }) / (n - 1.0);
    (mean, variance.map(|v| (v / n).sqrt()))
}

#[test]
fn framework_update_rules_measure_the_engines_covariance() {
    // Each framework's own rule, simulated from its documentation, against `solve` for the same
    // configuration, at 0.88 of the threshold (where the discrete-time corrections are large),
    // in 1-D and in 2-D with non-commuting K and C. Every entry of Σ must be within 4.5 standard
    // errors: 4.5σ has a two-sided probability 7e-6, so over the ≈80 entries compared a failure
    // means a wrong rule, not bad luck (the standard errors come from 300 independent particles,
    // each averaging 3000 steps after 1000 of burn-in, ≫ the slowest correlation time, ~40 steps).
    use WeightDecayMode::{Coupled, Decoupled};
    let fraction = 0.88;
    let sgdm = |mu| Optimizer::Momentum {
        learning_rate: 1.0,
        momentum: mu,
    };
    let nesterov = |mu| Optimizer::Nesterov {
        learning_rate: 1.0,
        momentum: mu,
    };
    // (what the user wrote, the configuration that describes it, the rule at a given λ)
    type Build = fn(f64) -> FrameworkRule;
    let cases: Vec<(&str, Optimizer, Conventions, Build)> = vec![
        ("torch SGD(momentum=0.9)", sgdm(0.9), Conventions::PAPER, |lr| FrameworkRule::Torch {
            lr, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false,
        }),
        ("torch SGD(momentum=0.9, nesterov=True)", nesterov(0.9), Conventions::PAPER, |lr| {
            FrameworkRule::Torch { lr, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: true }
        }),
        (
            "torch SGD(momentum=0.9, nesterov=True, weight_decay=0.1)",
            nesterov(0.9),
            conventions(0.1, Coupled, 0.0),
            |lr| FrameworkRule::Torch { lr, momentum: 0.9, dampening: 0.0, weight_decay: 0.1, nesterov: true },
        ),
        (
            "torch SGD(momentum=0.8, dampening=0.5, weight_decay=0.2)",
            sgdm(0.8),
            conventions(0.2, Coupled, 0.5),
            |lr| FrameworkRule::Torch { lr, momentum: 0.8, dampening: 0.5, weight_decay: 0.2, nesterov: false },
        ),
        (
            "torch SGD(weight_decay=0.3)",
            Optimizer::Sgd { learning_rate: 1.0 },
            conventions(0.3, Coupled, 0.0),
            |lr| FrameworkRule::Torch { lr, momentum: 0.0, dampening: 0.0, weight_decay: 0.3, nesterov: false },
        ),
        ("optax.sgd(momentum=0.9, nesterov=True)", nesterov(0.9), Conventions::PAPER, |lr| {
            FrameworkRule::Optax { lr, decay: 0.9, ema: false, nesterov: true, wd_before: 0.0, wd_after: 0.0 }
        }),
        (
            "optax.chain(add_decayed_weights(0.1), sgd(momentum=0.9))",
            sgdm(0.9),
            conventions(0.1, Coupled, 0.0),
            |lr| FrameworkRule::Optax { lr, decay: 0.9, ema: false, nesterov: false, wd_before: 0.1, wd_after: 0.0 },
        ),
        (
            "optax.chain(ema(0.9, debias=False), scale_by_learning_rate)",
            sgdm(0.9),
            Conventions { momentum_form: MomentumForm::Ema, ..Conventions::PAPER },
            |lr| FrameworkRule::Optax { lr, decay: 0.9, ema: true, nesterov: false, wd_before: 0.0, wd_after: 0.0 },
        ),
        (
            "optax.chain(trace(0.8, nesterov=True), add_decayed_weights(0.3), scale_by_learning_rate)",
            nesterov(0.8),
            conventions(0.3, Decoupled, 0.0),
            |lr| FrameworkRule::Optax { lr, decay: 0.8, ema: false, nesterov: true, wd_before: 0.0, wd_after: 0.3 },
        ),
        ("keras SGD(momentum=0.9, nesterov=True)", nesterov(0.9), Conventions::PAPER, |lr| {
            FrameworkRule::Keras { lr, momentum: 0.9, nesterov: true, weight_decay: 0.0 }
        }),
        (
            "keras SGD(momentum=0.9, nesterov=True, weight_decay=0.2)",
            nesterov(0.9),
            conventions(0.2, Decoupled, 0.0),
            |lr| FrameworkRule::Keras { lr, momentum: 0.9, nesterov: true, weight_decay: 0.2 },
        ),
        (
            "keras SGD(momentum=0.7, weight_decay=0.4)",
            sgdm(0.7),
            conventions(0.4, Decoupled, 0.0),
            |lr| FrameworkRule::Keras { lr, momentum: 0.7, nesterov: false, weight_decay: 0.4 },
        ),
        (
            "keras SGD(weight_decay=0.5)",
            Optimizer::Sgd { learning_rate: 1.0 },
            conventions(0.5, Decoupled, 0.0),
            |lr| FrameworkRule::Keras { lr, momentum: 0.0, nesterov: false, weight_decay: 0.5 },
        ),
    ];
    let mut report = Vec::new();
    for (dimension, (k, c)) in [one_d(), two_d()].into_iter().enumerate() {
        for (index, (name, optimizer, conv, build)) in cases.iter().enumerate() {
            let problem = at_fraction(&k, &c, optimizer.clone(), *conv, fraction);
            let lr = problem
                .optimizer()
                .learning_rate()
                .expect("valid in this test");
            let exact = solver::stationary(&problem).expect("valid in this test");
            let (measured, stderr) = simulate(
                build(lr),
                &k,
                &c,
                300,
                1000,
                3000,
                1000 + 31 * index as u64 + dimension as u64,
            );
            for a in 0..k.nrows() {
                for b in a..k.nrows() {
                    let z = (measured[(a, b)] - exact.sigma[(a, b)]) / stderr[(a, b)];
                    report.push(format!(
                        "{name} D={} λ={lr:.4} Σ[{a}{b}]: simulated {:.4} ± {:.4}, engine {:.4}, z = {z:+.2}",
                        k.nrows(),
                        measured[(a, b)],
                        stderr[(a, b)],
                        exact.sigma[(a, b)]
                    ));
                    assert!(
                        z.abs() < 4.5,
                        "{}",
                        report.last().expect("valid in this test")
                    );
                }
            }
        }
    }
    println!("{}", report.join("\n"));
}

#[test]
fn weight_decay_on_regression_moves_the_mean_and_adds_the_bias_to_the_loss() {
    // Minibatch regression with w* ≠ 0: weight decay pulls the stationary mean from ŵ to
    // (K + r)⁻¹Kŵ with r = wd (coupled) or wd/κ (decoupled). Checked against the fixed point of
    // the composed affine dynamics (exact, 1e-10), against the finite-time recursion run long
    // (its Σ_t converges geometrically to Σ; 1e-8), and against the project's simulator (means
    // and Σ within 4.5 standard errors).
    use sgd_playground::config::Config;
    use sgd_playground::sim::{Ensemble, EnsembleSpec, Start};
    for text in [
        "opt=sgdm&lr=0.2&mu=0.5&wd=0.3&noise=batch&x_var=1,0.5&w_star=1,-2&S=8&N=200",
        "opt=nesterov&lr=0.15&mu=0.6&wd=0.4&wd_mode=decoupled&noise=batch&x_var=1,0.5&w_star=1,-2&S=8&N=200",
    ] {
        let problem = Config::parse(text).expect("valid in this test").to_problem().expect("valid in this test");
        let exact = solver::stationary(&problem).expect("valid in this test");
        let sgd_playground::model::Noise::Minibatch(batch) = problem.noise() else {
            unreachable!()
        };
        let minimum = batch.data.least_squares().clone();
        // Fixed point of z = Az + e in u = θ − ŵ coordinates.
        let system = reference::AugmentedSystem::new(&problem, None).expect("valid in this test");
        let drive = system.drive(&problem, &minimum);
        let n = system.transition.nrows();
        let fixed = (DMatrix::identity(n, n) - &system.transition).lu().solve(&drive).expect("valid in this test");
        let expected_mean = &minimum + fixed.rows(0, 2);
        let mean_error = (&exact.mean - &expected_mean).amax() / expected_mean.amax();
        assert!(mean_error < 1e-10, "{text}: mean {} vs {}", exact.mean, expected_mean);
        assert!((&exact.mean - &minimum).amax() > 0.05, "weight decay must move the mean");
        // Loss: ½Tr[KΣ] + ½(θ̄ − ŵ)ᵀK(θ̄ − ŵ).
        let bias = &exact.mean - &minimum;
        let loss = 0.5 * (problem.hessian() * &exact.sigma).trace()
            + 0.5 * bias.dot(&(problem.hessian() * &bias));
        assert!((exact.train_loss - loss).abs() < 1e-12 * loss);
        // The finite-time recursion, from the stationary mean, converges to the same Σ.
        let long = solver::transient(&problem, 4000, &Default::default()).expect("valid in this test");
        assert!(relative(&long.sigma, &exact.sigma) < 1e-8, "{text}: transient {} vs {}", long.sigma, exact.sigma);
        assert!((&long.mean - &exact.mean).amax() < 1e-8);
        // The simulator.
        let mut ensemble = Ensemble::new(
            &problem,
            &EnsembleSpec {
                particles: 400,
                seed: 5,
                start: Start::Stationary,
                burn_in: Some(500),
                ..EnsembleSpec::default()
            },
        )
        .expect("valid in this test");
        ensemble.advance(3000);
        let averaged = ensemble.statistics().time_averaged.expect("valid in this test");
        for a in 0..2 {
            for b in a..2 {
                let z = (averaged.covariance[(a, b)] - exact.sigma[(a, b)])
                    / averaged.covariance_stderr[(a, b)];
                assert!(z.abs() < 4.5, "{text}: Σ[{a}{b}] {} vs {} (z = {z})", averaged.covariance[(a, b)], exact.sigma[(a, b)]);
            }
            // The mean's standard error: the spread of Σ over √(particles × effective samples) is
            // bounded by √(Σ_aa/particles) (time averaging only shrinks it).
            let bound = 4.5 * (exact.sigma[(a, a)] / 400.0).sqrt();
            assert!((averaged.mean[a] - exact.mean[a]).abs() < bound, "{text}: mean {} vs {}", averaged.mean[a], exact.mean[a]);
        }
    }
}

#[test]
fn conventions_that_do_not_apply_are_named() {
    let (k, c) = one_d();
    let build = |optimizer: Optimizer, conv: Conventions| {
        Problem::new(
            Some(k.clone()),
            Noise::Gaussian {
                covariance: c.clone(),
            },
            optimizer,
        )
        .expect("valid in this test")
        .with_conventions(conv)
        .expect_err("should be rejected")
        .0
    };
    let nesterov = Optimizer::Nesterov {
        learning_rate: 0.5,
        momentum: 0.9,
    };
    let errors = build(
        nesterov.clone(),
        conventions(0.0, WeightDecayMode::Coupled, 0.1),
    );
    assert_eq!(errors[0].field, "dampening");
    assert!(errors[0].allowed.contains("zero dampening"));
    let errors = build(
        Optimizer::DampedNewton {
            learning_rate: 0.5,
            momentum: 0.0,
        },
        conventions(0.1, WeightDecayMode::Coupled, 0.0),
    );
    assert_eq!(errors[0].field, "wd");
    let errors = build(
        nesterov,
        Conventions {
            nesterov_form: NesterovForm::LookAhead,
            ..conventions(0.1, WeightDecayMode::Coupled, 0.0)
        },
    );
    assert_eq!(errors[0].field, "wd");
    let errors = build(
        Optimizer::Sgd { learning_rate: 0.5 },
        Conventions {
            momentum_form: MomentumForm::Ema,
            ..Conventions::PAPER
        },
    );
    assert_eq!(errors[0].field, "momentum_form");
    let errors = build(
        Optimizer::Sgd { learning_rate: 0.5 },
        conventions(-1.0, WeightDecayMode::Coupled, 0.0),
    );
    assert_eq!(
        errors[0].to_string(),
        "wd: invalid value '-1'; allowed: a finite number ≥ 0"
    );
}

#[test]
fn convention_keys_round_trip_and_are_checked_like_the_others() {
    use sgd_playground::config::Config;
    for text in [
        "v=1&opt=sgdm&wd=0.0005&dampening=0.1",
        "v=1&opt=sgdm&momentum_form=ema&wd=0.01&wd_mode=decoupled",
        "v=1&opt=nesterov&nesterov_form=lookahead",
        "v=1&opt=nesterov&wd=0.1",
        "v=1&opt=qhm&wd=0.2&wd_mode=decoupled",
        "v=1&wd=0.3",
    ] {
        let config = Config::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        // Canonical text: the keys in table order, so compare as sets of pairs.
        let mut written: Vec<&str> = Vec::new();
        let canonical = config.to_text();
        written.extend(canonical.split('&'));
        let mut given: Vec<&str> = text.split('&').collect();
        written.sort_unstable();
        given.sort_unstable();
        assert_eq!(written, given, "{text} → {canonical}");
        assert_eq!(
            Config::parse(&canonical).expect("valid in this test"),
            config
        );
        config
            .to_problem()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    // Keys that do not apply to the optimizer are named, with where they are used.
    for (text, field) in [
        ("opt=sgd&dampening=0.1", "dampening"),
        ("opt=qhm&momentum_form=ema", "momentum_form"),
        ("opt=sgdm&nesterov_form=lookahead", "nesterov_form"),
        ("opt=dnm&wd=0.1", "wd"),
        ("opt=sgdm&wd=-1", "wd"),
        ("opt=sgdm&wd_mode=sideways", "wd_mode"),
        ("opt=sgdm&dampening=1", "dampening"),
        ("opt=sgdm&momentum_form=ema&dampening=0.5", "dampening"),
        ("opt=nesterov&nesterov_form=lookahead&wd=0.1", "wd"),
    ] {
        let problems = match Config::parse(text) {
            Err(errors) => errors.0,
            Ok(config) => config.to_problem().expect_err("should be rejected").0,
        };
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        assert_eq!(problems[0].field, field, "{text}: {}", problems[0]);
    }
    // The page's lenient reading keeps every valid key and resets the bad one.
    let (config, problems) = Config::parse_lenient("opt=sgdm&mu=0.5&wd=0.1&dampening=2");
    assert_eq!(problems.len(), 1);
    assert_eq!(config.to_text(), "v=1&opt=sgdm&mu=0.5&wd=0.1");
}

#[test]
fn the_simulator_runs_every_framework_rule_as_the_engine_solves_it() {
    // The project's own ensembles (the diagonal fast path for diagonal K and C, the general path
    // otherwise) against the engine at 0.85 of each threshold, every Σ entry within 4.5 standard
    // errors (from 400 independent particles; see the framework test for the 4.5), and the fast
    // path bit for bit equal to the general path.
    use sgd_playground::sim::{Ensemble, EnsembleSpec, Start};
    let diagonal = (
        DMatrix::from_row_slice(2, 2, &[1.5, 0.0, 0.0, 0.4]),
        DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.5]),
    );
    for (k, c) in [two_d(), diagonal] {
        for (name, problem) in all_rules(&k, &c, 0.85) {
            let exact = solver::stationary(&problem).expect("stable at 0.85 of the threshold");
            let spec = EnsembleSpec {
                particles: 400,
                seed: 11,
                start: Start::Stationary,
                burn_in: Some(0),
                ..EnsembleSpec::default()
            };
            let mut ensemble = Ensemble::new(&problem, &spec).expect("ensemble");
            ensemble.advance(2000);
            let averaged = ensemble.statistics().time_averaged.expect("time averages");
            for a in 0..2 {
                for b in a..2 {
                    let z = (averaged.covariance[(a, b)] - exact.sigma[(a, b)])
                        / averaged.covariance_stderr[(a, b)];
                    assert!(
                        z.abs() < 4.5,
                        "{name}: Σ[{a}{b}] simulated {} ± {}, engine {} (z = {z:.2})",
                        averaged.covariance[(a, b)],
                        averaged.covariance_stderr[(a, b)],
                        exact.sigma[(a, b)]
                    );
                }
            }
            let mut general = Ensemble::new(&problem, &spec).expect("ensemble");
            general.force_general_path();
            general.advance(2000);
            assert_eq!(
                general.weights(),
                ensemble.weights(),
                "{name}: fast path ≠ general path"
            );
        }
    }
}

#[test]
fn the_page_offers_the_conventions_where_they_apply() {
    use sgd_playground::config::Config;
    use sgd_playground::playground::{controls, Widget};
    let keys = |text: &str| -> Vec<&'static str> {
        controls(&Config::parse(text).expect("valid"))
            .iter()
            .map(|control| control.key)
            .collect()
    };
    let conventions = [
        "wd",
        "wd_mode",
        "dampening",
        "momentum_form",
        "nesterov_form",
    ];
    let has = |text: &str, expected: &[&str]| {
        let found = keys(text);
        for key in conventions {
            assert_eq!(
                found.contains(&key),
                expected.contains(&key),
                "{text}: control {key} (controls: {found:?})"
            );
        }
    };
    has("fig=explorer", &conventions);
    has("opt=sgdm", &["wd", "wd_mode", "dampening", "momentum_form"]);
    has("opt=nesterov", &["wd", "wd_mode", "nesterov_form"]);
    has("opt=qhm", &["wd", "wd_mode"]);
    has("opt=ngd", &[]);
    has("fig=phase", &["wd"]);
    has("fig=phase&noise=batch", &[]);
    // Each has a label with its symbol, not the bare key, and the right widget.
    for control in controls(&Config::parse("fig=explorer").expect("valid")) {
        match control.key {
            "wd" | "dampening" => {
                assert!(control.label.contains(' '), "{}", control.label);
                assert!(matches!(control.widget, Widget::Slider { .. }));
            }
            "wd_mode" | "momentum_form" | "nesterov_form" => {
                assert!(matches!(control.widget, Widget::Select(_)));
            }
            _ => {}
        }
    }
}

#[test]
fn solve_prints_the_pytorch_and_optax_code_of_the_configuration() {
    // The `framework` object of `sgd-playground solve`, from the real binary: the constructions a
    // user pastes into a notebook, with the configuration's numbers.
    let run = |text: &str| -> String {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sgd-playground"))
            .args(["solve", text])
            .output()
            .expect("run sgd-playground");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let cases = [
        (
            "opt=nesterov&lr=0.1&mu=0.9&wd=5e-4",
            "torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.0005, nesterov=True)",
            "optax.chain(optax.add_decayed_weights(0.0005), optax.trace(decay=0.9, nesterov=True), optax.scale_by_learning_rate(0.1))",
        ),
        (
            "opt=sgdm&lr=0.5&mu=0.9&dampening=0.1",
            "torch.optim.SGD(params, lr=0.5, momentum=0.9, dampening=0.1)",
            "# optax.trace has no dampening; the same dynamics: optax.sgd(0.45, momentum=0.9) (dampening τ scales λ by 1 − τ)",
        ),
        (
            "opt=sgdm&lr=0.2&mu=0.95&momentum_form=ema",
            "# PyTorch's SGD has no EMA momentum; the same dynamics: torch.optim.SGD(params, lr=0.2, momentum=0.95, dampening=0.95)",
            "optax.chain(optax.ema(decay=0.95, debias=False), optax.scale_by_learning_rate(0.2))",
        ),
        ("lr=1.5", "torch.optim.SGD(params, lr=1.5)", "optax.sgd(1.5)"),
    ];
    for (text, pytorch, optax) in cases {
        let json = run(text);
        let expected = format!(
            "\"framework\":{{\"pytorch\":\"{}\",\"optax\":\"{}\"}}",
            pytorch, optax
        );
        assert!(
            json.contains(&expected),
            "{text}:\n{json}\nlacks\n{expected}"
        );
    }
}

#[test]
fn the_solver_panel_and_the_explorer_give_the_code_of_their_optimizers() {
    use sgd_playground::config::Config;
    use sgd_playground::playground::solution::{explorer_code, solution_text};
    let text = solution_text(
        &Config::parse("opt=sgdm&lr=0.3&mu=0.9&wd=0.01&wd_mode=decoupled").expect("valid"),
    );
    assert!(
        text.contains("as code (optax): optax.chain(optax.trace(decay=0.9), optax.add_decayed_weights(0.01), optax.scale_by_learning_rate(0.3))"),
        "{text}"
    );
    assert!(text.contains("p.mul_(1 - 0.3 * 0.01)"), "{text}");
    let code = explorer_code(&Config::parse("fig=explorer&wd=0.1&dampening=0.2").expect("valid"))
        .expect("explorer");
    // Every compared method, each with the conventions it takes.
    for part in [
        "# sgd\ntorch.optim.SGD(params, lr=0.5, weight_decay=0.1)",
        "# sgdm\ntorch.optim.SGD(params, lr=0.5, momentum=0.9, dampening=0.2, weight_decay=0.1)",
        "# nesterov\ntorch.optim.SGD(params, lr=0.5, momentum=0.9, weight_decay=0.1, nesterov=True)",
        "# dnm\n# torch.optim has no dnm",
    ] {
        assert!(code.contains(part), "{part:?} in\n{code}");
    }
    assert!(explorer_code(&Config::parse("fig=2a").expect("valid")).is_none());
}

#[test]
fn captions_and_legends_say_which_conventions_are_drawn() {
    // The explorer's caption names the conventions in words (no key names: a caption's `_` reads
    // as a subscript), and the phase diagram's boundary is labelled with λ(k+wd).
    let explorer =
        common::experiment("fig=explorer&wd=0.1&dampening=0.2&momentum_form=heavyball").theory();
    assert!(
        explorer
            .caption
            .contains("coupled weight decay wd = 0.1, dampening τ = 0.2"),
        "{}",
        explorer.caption
    );
    for key in ["wd_mode", "momentum_form", "nesterov_form", "weight_decay"] {
        assert!(!explorer.caption.contains(key), "{}", explorer.caption);
    }
    let plain = common::experiment("fig=explorer").theory();
    assert!(!plain.caption.contains("conventions"), "{}", plain.caption);
    let phase = common::experiment("fig=phase&wd=0.3").theory();
    assert!(
        phase.panels[0]
            .curves
            .iter()
            .any(|curve| curve.label == "divergence λ(k+wd) = 2(1+μ)"),
        "{:?}",
        phase.panels[0]
            .curves
            .iter()
            .map(|c| &c.label)
            .collect::<Vec<_>>()
    );
    assert!(!phase.caption.contains("weight_decay"), "{}", phase.caption);
}
