//! Learning-rate schedules, exact loss curves and spectra of real size (issue 16), each against an
//! independent truth: the schedules' formulas written out as PyTorch documents them, the full
//! augmented state recursion stepped one update at a time on dense matrices (no eigenbasis, no
//! jumps), the constant-λ finite-time engine, and the spectra's analytic moments.

use nalgebra::{DMatrix, DVector};
use sgd_playground::conventions::Conventions;
use sgd_playground::model::{Noise, Optimizer, Problem};
use sgd_playground::schedule::{curve_times, Schedule, ScheduleKind};
use sgd_playground::sim::Start;
use sgd_playground::solver::curve::{scheduled, ScheduledDynamics};
use sgd_playground::solver::reference::AugmentedSystem;
use sgd_playground::solver::{self, InitialState};
use sgd_playground::spectrum::Spectrum;

use crate::common::{random_orthogonal, rng, with_spectrum};

fn schedule(kind: ScheduleKind) -> Schedule {
    Schedule {
        kind,
        ..Schedule::CONSTANT
    }
}

/// The rates as PyTorch's schedulers define them, written out independently (floating-point
/// powers and the library cosine), with the warm-up of SequentialLR(LinearLR, …).
fn pytorch_rate(s: &Schedule, lr: f64, t: u64, total: u64) -> f64 {
    if t < s.warmup {
        return lr * (t + 1) as f64 / s.warmup as f64;
    }
    let t = t - s.warmup;
    let span = (total - s.warmup) as f64;
    match s.kind {
        ScheduleKind::Constant => lr,
        ScheduleKind::Step => {
            lr * s
                .gamma
                .powi(s.milestones.iter().filter(|&&m| m <= t).count() as i32)
        }
        ScheduleKind::Exponential => lr * s.gamma.powf(t as f64),
        ScheduleKind::Cosine => {
            s.lr_min
                + (lr - s.lr_min) * (1.0 + (std::f64::consts::PI * t as f64 / span).cos()) / 2.0
        }
        ScheduleKind::Inverse => lr / (1.0 + s.decay * t as f64),
    }
}

#[test]
fn rates_are_pytorchs() {
    let cases = [
        Schedule {
            milestones: vec![10, 25],
            gamma: 0.3,
            ..schedule(ScheduleKind::Step)
        },
        Schedule {
            gamma: 0.97,
            ..schedule(ScheduleKind::Exponential)
        },
        Schedule {
            lr_min: 0.05,
            ..schedule(ScheduleKind::Cosine)
        },
        Schedule {
            lr_min: 0.05,
            warmup: 7,
            ..schedule(ScheduleKind::Cosine)
        },
        Schedule {
            decay: 0.2,
            warmup: 3,
            ..schedule(ScheduleKind::Inverse)
        },
        Schedule {
            milestones: vec![5],
            warmup: 4,
            ..schedule(ScheduleKind::Step)
        },
    ];
    for s in &cases {
        for t in 0..=40 {
            let ours = s.rate(0.8, t, 40);
            let theirs = pytorch_rate(s, 0.8, t, 40);
            // Powers by squaring and the polynomial cosine against the library's: a few ulps.
            assert!(
                (ours - theirs).abs() <= 1e-14 * theirs.abs().max(1e-300),
                "{s:?} t={t}: {ours} vs {theirs}"
            );
        }
        // The runs cover every step with its own rate.
        let runs = s.runs(0.8, 40, &curve_times(40, 9));
        let mut t = 0;
        for run in &runs {
            for _ in 0..run.steps {
                assert_eq!(run.rate.to_bits(), s.rate(0.8, t, 40).to_bits());
                t += 1;
            }
        }
        assert_eq!(t, 40);
    }
}

#[test]
fn curve_times_are_rounded_fractions() {
    assert_eq!(curve_times(10, 200), (0..=10).collect::<Vec<_>>());
    assert_eq!(curve_times(1000, 3), vec![0, 500, 1000]);
    assert_eq!(curve_times(7, 4), vec![0, 2, 5, 7]); // 7/3 = 2.33, 14/3 = 4.67
}

/// The full augmented system stepped one update at a time: M ← A_t M A_tᵀ + B_t C B_tᵀ on the
/// sD×sD second moment, A_t and B_t built by the reference solver for each λ_t.
fn reference_curve(
    problem: &Problem,
    s: &Schedule,
    steps: u64,
    w0: &DVector<f64>,
    times: &[u64],
) -> (Vec<f64>, DMatrix<f64>) {
    let d = problem.dimension();
    let blocks = problem.optimizer().state_blocks();
    let lr = problem
        .optimizer()
        .learning_rate()
        .expect("a valid reference step");
    let Noise::Gaussian { covariance } = problem.noise() else {
        panic!()
    };
    let mut z = DVector::zeros(blocks * d);
    z.rows_mut(0, d).copy_from(w0);
    let mut second = &z * z.transpose();
    let mut losses = Vec::new();
    let loss = |m: &DMatrix<f64>| 0.5 * (problem.hessian() * m.view((0, 0), (d, d))).trace();
    for t in 0..=steps {
        if times.contains(&t) {
            losses.push(loss(&second));
        }
        if t == steps {
            break;
        }
        let at = problem
            .with_optimizer(
                problem
                    .optimizer()
                    .with_learning_rate(s.rate(lr, t, steps))
                    .expect("a valid reference step"),
            )
            .expect("a valid reference step");
        let system = AugmentedSystem::new(&at, None).expect("a valid reference step");
        let a = &system.transition;
        let b = &system.input;
        second = a * &second * a.transpose() + b * covariance * b.transpose();
        z = a * z;
    }
    let sigma = second.view((0, 0), (d, d)) - z.rows(0, d) * z.rows(0, d).transpose();
    (losses, sigma)
}

#[test]
fn exact_curves_match_the_stepped_full_state_recursion() {
    let mut random = rng(16);
    let q = random_orthogonal(3, &mut random);
    let k = with_spectrum(&q, &[1.6, 0.7, 0.2]);
    // C does not commute with K.
    let c = DMatrix::from_row_slice(3, 3, &[1.0, 0.3, -0.2, 0.3, 0.5, 0.1, -0.2, 0.1, 0.8]);
    let w0 = DVector::from_row_slice(&[1.0, -2.0, 0.5]);
    let optimizers = [
        Optimizer::Sgd { learning_rate: 0.9 },
        Optimizer::Momentum {
            learning_rate: 0.4,
            momentum: 0.8,
        },
        Optimizer::QuasiHyperbolic {
            learning_rate: 0.6,
            momentum: 0.9,
            nu: 0.7,
        },
        Optimizer::Nesterov {
            learning_rate: 0.5,
            momentum: 0.6,
        },
    ];
    let schedules = [
        Schedule::CONSTANT,
        Schedule {
            milestones: vec![20, 45],
            gamma: 0.2,
            warmup: 5,
            ..schedule(ScheduleKind::Step)
        },
        Schedule {
            gamma: 0.98,
            ..schedule(ScheduleKind::Exponential)
        },
        Schedule {
            lr_min: 0.01,
            warmup: 10,
            ..schedule(ScheduleKind::Cosine)
        },
        Schedule {
            decay: 0.05,
            ..schedule(ScheduleKind::Inverse)
        },
    ];
    for optimizer in &optimizers {
        for conventions in [Conventions::PAPER, pytorch_decay()] {
            let problem = Problem::new(
                Some(k.clone()),
                Noise::Gaussian {
                    covariance: c.clone(),
                },
                optimizer.clone(),
            )
            .unwrap();
            let Ok(problem) = problem.with_conventions(conventions) else {
                continue;
            };
            for s in &schedules {
                let run = scheduled(&problem, s, 80, 17, &Start::Point(w0.clone())).unwrap();
                let (losses, sigma) = reference_curve(&problem, s, 80, &w0, &run.curve.times);
                // Round-off only: both are exact; the jumps (binary doubling over ≤ 80 steps)
                // and the eigenbasis change each add a few ulps per operation.
                for (ours, theirs) in run.curve.train_loss.iter().zip(&losses) {
                    assert!(
                        (ours - theirs).abs() <= 1e-11 * theirs.abs().max(1.0),
                        "{optimizer:?} {s:?}: {ours} vs {theirs}"
                    );
                }
                let scale = sigma.abs().max().max(1.0);
                assert!(
                    (&run.sigma - &sigma).abs().max() <= 1e-11 * scale,
                    "{optimizer:?} {s:?}"
                );
            }
        }
    }
}

fn pytorch_decay() -> Conventions {
    Conventions {
        weight_decay: 0.05,
        ..Conventions::PAPER
    }
}

#[test]
fn the_constant_schedule_is_the_finite_time_engine_and_settles_at_the_stationary_state() {
    let k = DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.5]);
    let c = DMatrix::from_row_slice(2, 2, &[0.7, 0.1, 0.1, 0.3]);
    let problem = Problem::new(
        Some(k),
        Noise::Gaussian { covariance: c },
        Optimizer::Momentum {
            learning_rate: 0.8,
            momentum: 0.5,
        },
    )
    .unwrap();
    let w0 = DVector::from_row_slice(&[2.0, -1.0]);
    for steps in [1, 7, 100, 5000] {
        let run = scheduled(
            &problem,
            &Schedule::CONSTANT,
            steps,
            50,
            &Start::Point(w0.clone()),
        )
        .unwrap();
        let transient = solver::transient(
            &problem,
            steps,
            &InitialState {
                offset: Some(w0.clone()),
                state_covariance: None,
            },
        )
        .unwrap();
        assert!(
            (&run.sigma - &transient.sigma).abs().max() <= 1e-12,
            "T={steps}"
        );
        assert!((&run.mean - &transient.mean).abs().max() <= 1e-12);
        assert!((run.train_loss - transient.train_loss).abs() <= 1e-12 * transient.train_loss);
    }
    let stationary = solver::stationary(&problem).unwrap();
    let late = scheduled(&problem, &Schedule::CONSTANT, 100_000, 2, &Start::Zero).unwrap();
    assert!((late.train_loss - stationary.train_loss).abs() <= 1e-12 * stationary.train_loss);
    // From the stationary state, a constant schedule stays there at every listed step.
    let stay = scheduled(&problem, &Schedule::CONSTANT, 300, 7, &Start::Stationary).unwrap();
    for loss in &stay.curve.train_loss {
        assert!((loss - stationary.train_loss).abs() <= 1e-12 * stationary.train_loss);
    }
}

#[test]
fn a_step_schedule_is_the_constant_closed_form_on_each_segment() {
    // SGD, one mode: E[w_t²] = (1−λk)^{2t} w₀² + λ²σ²(1 − (1−λk)^{2t})/(1 − (1−λk)²) on a segment
    // of constant λ, restarted from the segment's start.
    let (k, sigma2, w0) = (1.3, 0.4, 3.0);
    let problem = Problem::new(
        Some(DMatrix::from_element(1, 1, k)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, sigma2),
        },
        Optimizer::Sgd { learning_rate: 1.2 },
    )
    .unwrap();
    let s = Schedule {
        milestones: vec![40],
        gamma: 0.25,
        ..schedule(ScheduleKind::Step)
    };
    let run = scheduled(
        &problem,
        &s,
        100,
        101,
        &Start::Point(DVector::from_element(1, w0)),
    )
    .unwrap();
    let segment = |lr: f64, second0: f64, t: u64| {
        let r = (1.0 - lr * k).powi(2);
        r.powi(t as i32) * second0 + lr * lr * sigma2 * (1.0 - r.powi(t as i32)) / (1.0 - r)
    };
    let at_milestone = segment(1.2, w0 * w0, 40);
    for (t, loss) in run.curve.times.iter().zip(&run.curve.train_loss) {
        let second = if *t <= 40 {
            segment(1.2, w0 * w0, *t)
        } else {
            segment(0.3, at_milestone, t - 40)
        };
        assert!(
            (loss - 0.5 * k * second).abs() <= 1e-12 * loss.max(1.0),
            "t={t}"
        );
    }
}

#[test]
fn minibatch_curves_match_the_constant_engine_and_respond_to_the_schedule() {
    let config = sgd_playground::config::Config::parse(
        "noise=batch&opt=sgdm&lr=0.3&mu=0.5&S=10&N=40&x_var=1,0.5",
    )
    .unwrap();
    let problem = config.to_problem().unwrap();
    let run = scheduled(&problem, &Schedule::CONSTANT, 60, 4, &Start::Zero).unwrap();
    let minimum = match problem.noise() {
        Noise::Minibatch(batch) => batch.data.least_squares().clone(),
        _ => unreachable!(),
    };
    // The constant engine's start is relative to the stationary mean (ŵ without weight decay).
    let transient = solver::transient(
        &problem,
        60,
        &InitialState {
            offset: Some(-&minimum),
            state_covariance: None,
        },
    )
    .unwrap();
    assert!((run.train_loss - transient.train_loss).abs() <= 1e-12 * transient.train_loss);
    assert!((&run.sigma - &transient.sigma).abs().max() <= 1e-12);
    // Decaying λ lowers the final loss below the constant run's.
    let decayed = scheduled(
        &problem,
        &Schedule {
            lr_min: 0.0,
            ..schedule(ScheduleKind::Cosine)
        },
        60,
        4,
        &Start::Zero,
    )
    .unwrap();
    assert!(decayed.train_loss < run.train_loss);
    assert_eq!(decayed.curve.train_loss[0], run.curve.train_loss[0]);
}

#[test]
fn per_mode_blocks_are_the_dense_engine_for_a_diagonal_hessian() {
    let eigenvalues = Spectrum::PowerLaw {
        dimension: 40,
        k_max: 2.0,
        alpha: 1.0,
    }
    .eigenvalues();
    let (sigma2, a) = (0.3, 0.5);
    let noise: Vec<f64> = eigenvalues.iter().map(|k| sigma2 + a * k).collect();
    let start = vec![1.0; 40];
    let optimizer = Optimizer::Momentum {
        learning_rate: 0.5,
        momentum: 0.9,
    };
    let s = Schedule {
        lr_min: 0.0,
        warmup: 20,
        ..schedule(ScheduleKind::Cosine)
    };
    let dynamics = ScheduledDynamics::new(&optimizer, &Conventions::PAPER, &s, 300, 31).unwrap();
    // Blocks of any size give the same modes; the curve sums blocks in order.
    let whole = dynamics.modes(&eigenvalues, &noise, &start);
    let halves = [
        dynamics.modes(&eigenvalues[..17], &noise[..17], &start[..17]),
        dynamics.modes(&eigenvalues[17..], &noise[17..], &start[17..]),
    ];
    assert_eq!(
        [halves[0].variance.clone(), halves[1].variance.clone()].concat(),
        whole.variance
    );
    let k = DMatrix::from_diagonal(&DVector::from_vec(eigenvalues.clone()));
    let c = DMatrix::from_diagonal(&DVector::from_vec(noise.clone()));
    let problem = Problem::new(Some(k), Noise::Gaussian { covariance: c }, optimizer).unwrap();
    let dense = scheduled(
        &problem,
        &s,
        300,
        31,
        &Start::Point(DVector::from_element(1, 1.0)),
    )
    .unwrap();
    let curve = dynamics.curve(std::slice::from_ref(&whole));
    for (ours, theirs) in curve.train_loss.iter().zip(&dense.curve.train_loss) {
        assert!(
            (ours - theirs).abs() <= 1e-12 * theirs,
            "{ours} vs {theirs}"
        );
    }
    assert_eq!(curve.rates, dense.curve.rates);
}

#[test]
fn spectra_have_their_analytic_moments() {
    // Power law: k_1 = k_max exactly, k_i = k_max i^(−α): exp's argument −α ln i (up to ≈ 10
    // here) carries an absolute error of a few ulps of itself (≈ 4e-15), which becomes that
    // relative error of k_i.
    let power = Spectrum::PowerLaw {
        dimension: 1000,
        k_max: 3.0,
        alpha: 1.5,
    }
    .eigenvalues();
    assert_eq!(power[0], 3.0);
    for (i, k) in power.iter().enumerate() {
        let exact = 3.0 * ((i + 1) as f64).powf(-1.5);
        assert!((k - exact).abs() <= 1e-14 * exact, "i={i}: {k} vs {exact}");
    }
    // Marchenko–Pastur quantiles: the midpoint rule of the quantile function gives the moments
    // E[k] = s and E[k²] = s²(1 + r) with an error O(D^{-3/2}) (the square-root edges); with
    // D = 20000 it is below 1e-6 relative (measured 2e-8 and 4e-8 at r = 0.3).
    for (ratio, scale) in [(0.3, 2.0), (0.05, 1.0), (0.9, 0.5)] {
        let values = Spectrum::MarchenkoPastur {
            dimension: 20_000,
            ratio,
            scale,
        }
        .eigenvalues();
        let n = values.len() as f64;
        let first = values.iter().sum::<f64>() / n;
        let second = values.iter().map(|k| k * k).sum::<f64>() / n;
        assert!(
            (first - scale).abs() <= 1e-6 * scale,
            "r={ratio}: mean {first}"
        );
        let exact = scale * scale * (1.0 + ratio);
        assert!(
            (second - exact).abs() <= 1e-6 * exact,
            "r={ratio}: second moment {second}"
        );
        let (low, high) = (
            scale * (1.0 - ratio.sqrt()).powi(2),
            scale * (1.0 + ratio.sqrt()).powi(2),
        );
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
        assert!(values[0] < high && *values.last().unwrap() > low);
    }
}

#[test]
fn spectrum_text_is_read_and_refused_by_name() {
    assert_eq!(
        Spectrum::parse("powerlaw:1000,2,1.5").unwrap(),
        Some(Spectrum::PowerLaw {
            dimension: 1000,
            k_max: 2.0,
            alpha: 1.5
        })
    );
    assert_eq!(Spectrum::parse("1,2").unwrap(), None);
    for bad in [
        "mp:10,1.5,1",
        "mp:10,0.5,-1",
        "powerlaw:0,1,1",
        "powerlaw:2000000,1,1",
        "powerlaw:10,1",
        "mp:10,x,1",
    ] {
        assert!(Spectrum::parse(bad).is_err(), "{bad}");
    }
    let text = Spectrum::MarchenkoPastur {
        dimension: 50,
        ratio: 0.25,
        scale: 1.5,
    }
    .to_string();
    assert_eq!(text, "mp:50,0.25,1.5");
}

fn cli(args: &[&str]) -> (i32, serde_json::Value, String) {
    let outcome = crate::cli::run_with(args);
    let json = if outcome.code == 0 {
        serde_json::from_str(&outcome.stdout).expect("JSON")
    } else {
        serde_json::Value::Null
    };
    (outcome.code, json, outcome.stderr)
}

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

#[test]
fn solve_adds_the_curve_and_keeps_its_stationary_answer() {
    let text =
        "opt=sgdm&lr=0.5&mu=0.9&K=1,0.1&C=1&schedule=cosine&steps=200&curve_points=5&start=3";
    let (code, with_curve, _) = cli(&["solve", text]);
    assert_eq!(code, 0);
    let (_, without, _) = cli(&["solve", "opt=sgdm&lr=0.5&mu=0.9&K=1,0.1&C=1&start=3"]);
    // The stationary answer at lr is unchanged; the curve is added.
    assert_eq!(with_curve["sigma"], without["sigma"]);
    assert_eq!(with_curve["train_loss"], without["train_loss"]);
    assert!(without.get("curve").is_none());
    let curve = &with_curve["curve"];
    assert_eq!(numbers(&curve["t"]), [0.0, 50.0, 100.0, 150.0, 200.0]);
    assert_eq!(numbers(&curve["lr"])[2], 0.25);
    // L_0 = ½ Σ k_i w_i² = ½(9 + 0.9).
    assert!((numbers(&curve["train_loss"])[0] - 4.95).abs() < 1e-15);
    assert_eq!(with_curve["final"]["train_loss"], curve["train_loss"][4]);
}

#[test]
fn solve_works_per_mode_for_a_spectrum_and_agrees_with_the_dense_engine() {
    let spectral = "opt=nesterov&lr=0.4&mu=0.8&K=mp:60,0.25,1&C=0.2&a=0.3&steps=150&schedule=step&milestones=100&warmup=20&start=1";
    let (code, per_mode, stderr) = cli(&["solve", spectral]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(per_mode["dimension"], 60);
    let eigenvalues = numbers(&per_mode["eigenvalues"]);
    // The same model written densely: K = diag(k), C = 0.2·I + 0.3·K.
    let k_text: Vec<String> = eigenvalues.iter().map(|k| format!("{k:?}")).collect();
    let c_text: Vec<String> = eigenvalues
        .iter()
        .map(|k| format!("{:?}", 0.2 + 0.3 * k))
        .collect();
    let dense = format!(
        "opt=nesterov&lr=0.4&mu=0.8&K={}&C={}&steps=150&schedule=step&milestones=100&warmup=20&start=1",
        k_text.join(","),
        c_text.join(",")
    );
    let (code, dense, stderr) = cli(&["solve", &dense]);
    assert_eq!(code, 0, "{stderr}");
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1e-3))
    };
    assert!(close(
        &numbers(&per_mode["curve"]["train_loss"]),
        &numbers(&dense["curve"]["train_loss"])
    ));
    let sigma: Vec<f64> = dense["sigma"]
        .as_array()
        .expect("rows")
        .iter()
        .enumerate()
        .map(|(i, row)| row[i].as_f64().expect("a number"))
        .collect();
    // The dense engine's eigenbasis is K's own (diagonal): Σ's diagonal is the per-mode variance.
    assert!(close(&numbers(&per_mode["variance"]), &sigma));
    assert!(per_mode["spectral_radius"]
        .as_f64()
        .is_some_and(|r| r < 1.0));
    // Threads change nothing.
    let (_, one, _) = cli(&["solve", spectral, "--threads", "1"]);
    let (_, three, _) = cli(&["solve", spectral, "--threads", "3"]);
    assert_eq!(one, three);
}

#[test]
fn simulate_follows_the_schedule_within_its_standard_errors() {
    for text in [
        "opt=sgdm&lr=0.5&mu=0.9&K=1,0.1&C=1&schedule=cosine&steps=200&curve_points=6&start=3&particles=20000",
        "opt=sgd&lr=1.6&K=1.2,0.3;0.3,0.5&C=0.5,0.2;0.2,0.4&schedule=step&milestones=30&gamma=0.3&warmup=10&steps=80&curve_points=9&start=2,-1&particles=20000&seed=3",
        "noise=batch&N=50&S=5&x_var=1,0.4&opt=sgdm&lr=0.2&mu=0.5&schedule=exp&gamma=0.98&steps=60&curve_points=4&particles=20000",
    ] {
        let (code, exact, stderr) = cli(&["solve", text]);
        assert_eq!(code, 0, "{stderr}");
        let (code, simulated, stderr) = cli(&["simulate", text, "--threads", "2"]);
        assert_eq!(code, 0, "{stderr}");
        let exact_loss = numbers(&exact["curve"]["train_loss"]);
        let curve = &simulated["curve"];
        assert_eq!(curve["t"], exact["curve"]["t"]);
        assert_eq!(curve["lr"], exact["curve"]["lr"]);
        let mean = numbers(&curve["train_loss"]);
        let se = numbers(&curve["train_loss_stderr"]);
        for i in 0..mean.len() {
            // 4.5 standard errors: with ≤ 9 points per run and 3 runs the chance that an exact
            // curve fails somewhere is below 1e-4 (Gaussian tails of a mean of 20000 particles).
            // The start is deterministic: the same number up to the order of summation.
            let allowed = (4.5 * se[i]).max(1e-12 * exact_loss[i]);
            assert!((mean[i] - exact_loss[i]).abs() <= allowed, "{text} point {i}: {} vs {} ± {}", mean[i], exact_loss[i], se[i]);
        }
        // The curve is the same bits on one thread.
        let (_, single, _) = cli(&["simulate", text, "--threads", "1"]);
        assert_eq!(single["curve"], simulated["curve"]);
    }
}

#[test]
fn bad_schedules_and_spectra_are_refused_by_name() {
    for (text, field) in [
        ("schedule=exp", "gamma"),
        ("schedule=inverse", "decay"),
        ("schedule=step&milestones=50,20", "milestones"),
        ("schedule=step&milestones=2.5", "milestones"),
        ("schedule=cosine&steps=10&warmup=11", "warmup"),
        ("schedule=weekly", "schedule"),
        ("opt=precond&schedule=cosine", "schedule"),
        ("K=powerlaw:1000,1,1&C=1,2", "C"),
        ("K=mp:100,1.5,1", "K"),
        ("K=powerlaw:10,1,1&opt=dnm", "opt"),
        ("K=powerlaw:10,1,1&start=stationary", "start"),
        ("curve_points=1", "curve_points"),
    ] {
        let (code, _, stderr) = cli(&["solve", text]);
        assert_eq!(code, 2, "{text}");
        assert!(
            stderr.starts_with(&format!("error: {field}:")),
            "{text}: {stderr}"
        );
    }
    // The dense engine and the simulator stop at D = 512, by name.
    let outcome = crate::cli::run_with(&["simulate", "K=powerlaw:1000,1,1&particles=10&steps=10"]);
    assert!(
        outcome.stderr.starts_with("error: K:"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn the_schedule_figure_draws_exact_curves_that_its_simulation_confirms() {
    use sgd_playground::experiments::Experiment;
    let text = "fig=schedule&K=1,0.3,0.05&C=0.02&points=3&particles=4000&steps=120&milestones=60&warmup=20";
    let config = sgd_playground::config::Config::parse(text).expect("a valid link");
    let experiment = Experiment::new(&config).expect("an experiment");
    let mut run = experiment.simulation();
    while !run.is_done() {
        run.advance(10_000_000);
    }
    let figure = experiment.figure(&run);
    let loss = &figure.panels[0];
    for name in ["constant", "step", "cosine", "warmup-cosine"] {
        let curve = loss
            .curves
            .iter()
            .find(|c| c.label == name)
            .expect("an exact curve");
        let points = loss
            .points
            .iter()
            .find(|p| p.label == format!("{name} (simulated)"))
            .expect("simulated points");
        assert_eq!(points.points.len(), 3);
        for point in &points.points {
            let exact = curve
                .points
                .iter()
                .find(|(t, _)| *t == point.x)
                .expect("the exact value at the point's step")
                .1;
            // 4.5 standard errors (12 points of 4000 particles: a false alarm below 1e-4).
            assert!(
                (point.y - exact).abs() <= 4.5 * point.stderr,
                "{name} t={}: {} ± {} vs {exact}",
                point.x,
                point.y,
                point.stderr
            );
        }
    }
    // Progressive (the page) and at once (the command line): the same figure.
    let progressive = Experiment::new(&config)
        .expect("an experiment")
        .progressive();
    assert!(!progressive.theory_complete());
    while progressive.refine_theory() {}
    assert_eq!(progressive.theory(), experiment.theory());
}

#[test]
fn the_figure_and_solve_give_the_same_curve_for_a_spectrum() {
    use sgd_playground::experiments::Experiment;
    let figure =
        "fig=schedule&K=powerlaw:3000,1,1.2&C=0.01&a=0.1&schedules=cosine&steps=400&start=1";
    let config = sgd_playground::config::Config::parse(figure).expect("a valid link");
    let theory = Experiment::new(&config).expect("an experiment").theory();
    let curve = theory.panels[0]
        .curves
        .iter()
        .find(|c| c.label == "cosine")
        .expect("a curve");
    let (code, solved, stderr) = cli(&[
        "solve",
        "opt=sgdm&lr=0.5&mu=0.9&K=powerlaw:3000,1,1.2&C=0.01&a=0.1&schedule=cosine&steps=400&start=1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let times = numbers(&solved["curve"]["t"]);
    let losses = numbers(&solved["curve"]["train_loss"]);
    for (t, l) in &curve.points {
        let i = times.iter().position(|x| x == t).expect("the same steps");
        // The same blocks summed in the same order: the same bits.
        assert_eq!(*l, losses[i], "t={t}");
    }
}
