//! Every core, the same numbers: an ensemble split into blocks of particles and joined again,
//! a figure's simulation run on 1, 2 or 3 threads, tasks finished out of order (as Web Workers
//! deliver them), and the command line's `--threads`, all give exactly the numbers of one
//! thread — compared bit for bit (as `Debug` text or JSON), not within a tolerance.

use nalgebra::{DMatrix, DVector};
use sgd_playground::cli::{EXIT_OK, EXIT_USAGE};
use sgd_playground::experiments::{SimulationRun, TaskResult};
use sgd_playground::model::{Noise, Optimizer, Problem};
use sgd_playground::sim::double_well::{DoubleWell, EscapeDynamics, EscapeEnsemble};
use sgd_playground::sim::{Ensemble, EnsembleSpec, Start};

use crate::common::experiment;

fn gaussian_problem(k: DMatrix<f64>, c: DMatrix<f64>, optimizer: Optimizer) -> Problem {
    Problem::new(Some(k), Noise::Gaussian { covariance: c }, optimizer).expect("valid problem")
}

/// Advances `ensemble` by `slices` (in that order).
fn advance(ensemble: &mut Ensemble, slices: &[u64]) {
    for &slice in slices {
        ensemble.advance(slice);
    }
}

#[test]
fn an_ensemble_split_into_blocks_and_joined_is_the_whole_ensemble() {
    let dense_k = DMatrix::from_row_slice(3, 3, &[2.0, 0.3, 0.1, 0.3, 1.0, 0.2, 0.1, 0.2, 0.5]);
    let dense_c = DMatrix::from_row_slice(3, 3, &[1.0, 0.2, 0.0, 0.2, 0.5, 0.1, 0.0, 0.1, 0.3]);
    let cases = [
        // 1-D SGD near its edge, with a tight bound: some particles diverge (the fast path).
        (
            gaussian_problem(
                DMatrix::from_element(1, 1, 1.0),
                DMatrix::from_element(1, 1, 1.0),
                Optimizer::Sgd { learning_rate: 1.9 },
            ),
            8.0,
            Start::Zero,
        ),
        // 2-D momentum from the stationary distribution (its own start stream).
        (
            gaussian_problem(
                DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 0.1])),
                DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 0.02])),
                Optimizer::Momentum {
                    learning_rate: 0.9,
                    momentum: 0.5,
                },
            ),
            1e8,
            Start::Stationary,
        ),
        // 3-D dense K and C, Nesterov (the general path), from a point.
        (
            gaussian_problem(
                dense_k,
                dense_c,
                Optimizer::Nesterov {
                    learning_rate: 0.4,
                    momentum: 0.6,
                },
            ),
            1e8,
            Start::Point(DVector::from_vec(vec![1.0, -1.0, 0.5])),
        ),
    ];
    for (problem, bound, start) in cases {
        let spec = EnsembleSpec {
            particles: 1003,
            seed: 11,
            start,
            burn_in: Some(20),
            divergence_bound: bound,
            ..EnsembleSpec::default()
        };
        let mut whole = Ensemble::new(&problem, &spec).expect("ensemble");
        let blocks_of = whole.clone();
        advance(&mut whole, &[7, 150, 43]);
        let expected = format!("{:?}", whole.statistics());
        for blocks in [1, 2, 3, 7] {
            let parts = blocks_of.clone().split(blocks, 100);
            assert_eq!(
                parts.len(),
                blocks,
                "{blocks} blocks of 1003 (at least 100 each)"
            );
            // Each block sliced its own way: slicing never changes a number.
            let parts: Vec<Ensemble> = parts
                .into_iter()
                .enumerate()
                .map(|(index, mut part)| {
                    if index % 2 == 0 {
                        advance(&mut part, &[200]);
                    } else {
                        advance(&mut part, &[1, 199]);
                    }
                    part
                })
                .collect();
            let joined = Ensemble::join(parts).expect("blocks of one ensemble");
            assert_eq!(joined.particles(), 1003);
            assert_eq!(joined.weights(), whole.weights(), "{blocks} blocks");
            assert_eq!(
                format!("{:?}", joined.statistics()),
                expected,
                "{blocks} blocks"
            );
        }
        // Fewer particles than the minimum block: one block.
        assert_eq!(blocks_of.clone().split(4, 2000).len(), 1);
    }
    let (tested_divergence, _) = {
        let problem = gaussian_problem(
            DMatrix::from_element(1, 1, 1.0),
            DMatrix::from_element(1, 1, 1.0),
            Optimizer::Sgd { learning_rate: 1.9 },
        );
        let spec = EnsembleSpec {
            particles: 1003,
            seed: 11,
            divergence_bound: 8.0,
            ..EnsembleSpec::default()
        };
        let mut ensemble = Ensemble::new(&problem, &spec).expect("ensemble");
        ensemble.advance(200);
        (ensemble.statistics().diverged, ())
    };
    // The case the first problem is for: some particles diverged beside survivors.
    assert!(
        tested_divergence > 0 && tested_divergence < 1003,
        "{tested_divergence} diverged"
    );
    // Blocks that ran different steps are not one ensemble.
    let problem = gaussian_problem(
        DMatrix::from_element(1, 1, 1.0),
        DMatrix::from_element(1, 1, 1.0),
        Optimizer::Sgd { learning_rate: 0.5 },
    );
    let mut parts = Ensemble::new(&problem, &EnsembleSpec::default())
        .expect("ensemble")
        .split(2, 1);
    parts[1].advance(1);
    assert!(Ensemble::join(parts).is_none());
}

#[test]
fn an_escape_ensemble_split_into_blocks_and_joined_is_the_whole_ensemble() {
    let dynamics = EscapeDynamics::new(DoubleWell::default(), 1.0, 1.3, 2.0).expect("valid");
    let run = |mut ensemble: EscapeEnsemble| {
        while !ensemble.all_escaped() && ensemble.steps() < 40_000 {
            ensemble.advance(500);
        }
        ensemble
    };
    let whole = EscapeEnsemble::new(dynamics, 301, 4).expect("ensemble");
    let expected = run(whole.clone()).statistics();
    assert!(expected.escaped > 0, "{expected:?}");
    for blocks in [2, 3, 5] {
        let parts: Vec<EscapeEnsemble> = whole
            .clone()
            .split(blocks, 10)
            .into_iter()
            .map(run)
            .collect();
        assert_eq!(parts.len(), blocks);
        let joined = EscapeEnsemble::join(parts).expect("blocks");
        assert_eq!(joined.statistics(), expected, "{blocks} blocks");
    }
}

/// Figures of every kind of task: 1-D sweeps (final and time-averaged variances, minibatch
/// noise), 2-D clouds of positions, escapes from the double well, the explorer's ensemble.
const FIGURES: &[&str] = &[
    "fig=2a&points=7&particles=1500&steps=300",
    "fig=2b&points=5&particles=600&steps=200&burnin=100",
    "fig=3&lrs=1,1.5&particles=1200&steps=100",
    "fig=5c&points=4&particles=700&steps=100&burnin=50&mu_min=0.2",
    "fig=6b&r_min=0.9&r_max=1.6&points=3&particles=600&steps=3000",
    "fig=explorer&sim=sgdm&particles=2000&steps=200",
];

/// The figure data of a run, as text (every number with all its digits).
fn figure_text(config: &str, run: &SimulationRun) -> String {
    format!("{:?}", experiment(config).figure(run))
}

#[test]
fn a_figure_is_the_same_on_one_two_or_three_threads() {
    for &config in FIGURES {
        let experiment = experiment(config);
        let mut sequential = experiment.simulation();
        assert!(sequential.ensembles() > 0, "{config}");
        while !sequential.is_done() {
            sequential.advance(50_000);
        }
        let expected = figure_text(config, &sequential);
        // The simulated points are there (not two theories compared).
        assert_ne!(expected, format!("{:?}", experiment.theory()), "{config}");
        for threads in [1, 2, 3] {
            let mut run = experiment.simulation();
            run.finish_on_threads(threads);
            assert!(run.is_done());
            assert_eq!(
                figure_text(config, &run),
                expected,
                "{config} on {threads} threads"
            );
        }
        // A run already under way when the threads take over.
        let mut run = experiment.simulation();
        run.advance(20_000);
        run.finish_on_threads(2);
        assert_eq!(
            figure_text(config, &run),
            expected,
            "{config}, begun on one thread"
        );
    }
}

#[test]
fn tasks_finished_out_of_order_elsewhere_give_the_same_figure() {
    for &config in FIGURES {
        let experiment = experiment(config);
        let mut sequential = experiment.simulation();
        while !sequential.is_done() {
            sequential.advance(1_000_000);
        }
        let expected = figure_text(config, &sequential);
        // As a pool of workers delivers them: the last task first, through the numbers a
        // worker posts back.
        let mut run = experiment.simulation();
        let count = run.ensembles();
        let mut reports = 0;
        for index in (0..count).rev() {
            let result = run
                .run_task(index, 30_000, |fraction| {
                    assert!((0.0..=1.0).contains(&fraction));
                    reports += 1;
                })
                .expect("a task");
            let numbers = result.encode();
            let decoded = TaskResult::decode(&numbers).expect("decodes");
            assert_eq!(decoded, result);
            assert!(run.accept(index, decoded.clone()));
            assert!(!run.accept(index, decoded), "a task is accepted once");
        }
        assert!(reports >= count);
        assert!(run.is_done());
        assert_eq!(figure_text(config, &run), expected, "{config}");
        assert!(run.run_task(count, 1, |_| {}).is_none());
        // Half done elsewhere, the rest here: advance skips what was accepted.
        let mut run = experiment.simulation();
        for index in (0..count).filter(|index| index % 2 == 1) {
            let result = run.run_task(index, 1_000_000, |_| {}).expect("a task");
            assert!(run.accept(index, result));
        }
        while !run.is_done() {
            run.advance(1_000_000);
        }
        assert_eq!(
            figure_text(config, &run),
            expected,
            "{config}, half elsewhere"
        );
    }
}

#[test]
fn malformed_task_results_are_refused() {
    for numbers in [
        &[][..],
        &[9.0],
        &[0.0, 1.0, 0.1],
        &[0.0, 1.0, 0.1, -1.0],
        &[0.0, 1.0, 0.1, 0.5],
        &[1.0, 2.0, 0.0, 1.0, 2.0, 3.0],
        &[1.0, 0.0, 0.0],
        &[2.0, 1.0, 2.0],
        &[3.0, f64::NAN],
        &[3.0, 1.0e12],
    ] {
        assert!(TaskResult::decode(numbers).is_none(), "{numbers:?}");
    }
    let failed = TaskResult::decode(&[3.0, 111.0, 107.0]).expect("a failure's reason");
    assert_eq!(failed.encode(), [3.0, 111.0, 107.0]);
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let outcome = crate::cli::run_with(args);
    (outcome.code, outcome.stdout, outcome.stderr)
}

/// `simulate`'s JSON without the two members that measure the run's time.
fn without_timing(json: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let object = value.as_object_mut().expect("an object");
    for timing in ["seconds", "particle_steps_per_second"] {
        assert!(object.remove(timing).is_some(), "{timing} in {json}");
    }
    value
}

#[test]
fn the_command_line_gives_the_same_output_on_any_number_of_threads() {
    for config in [
        "K=1&C=1&lr=1.5&particles=5000&steps=300&burnin=100",
        "K=2,0.3;0.3,1&C=1,0.2;0.2,0.5&opt=sgdm&mu=0.5&lr=0.3&particles=3001&steps=200",
        "noise=batch&N=20&S=4&lr=0.8&particles=2000&steps=150",
        "landscape=doublewell&r=1.3&particles=3000&steps=20000",
    ] {
        let (code, one, stderr) = cli(&["simulate", config, "--threads", "1"]);
        assert_eq!(code, EXIT_OK, "{config}: {stderr}");
        let expected = without_timing(&one);
        for threads in ["2", "3"] {
            let (code, out, _) = cli(&["simulate", config, "--threads", threads]);
            assert_eq!(code, EXIT_OK);
            assert_eq!(
                without_timing(&out),
                expected,
                "{config} on {threads} threads"
            );
        }
    }
    for config in FIGURES {
        let (code, one, stderr) = cli(&["render", config, "--format", "csv", "--threads", "1"]);
        assert_eq!(code, EXIT_OK, "{config}: {stderr}");
        for threads in ["2", "3"] {
            let (code, out, _) = cli(&["render", config, "--format", "csv", "--threads", threads]);
            assert_eq!(code, EXIT_OK);
            assert_eq!(out, one, "{config} on {threads} threads");
        }
    }
}

#[test]
fn threads_outside_the_allowed_range_are_refused_by_name() {
    for value in ["0", "257", "two", "-1", ""] {
        let (code, out, stderr) = cli(&["simulate", "lr=1", "--threads", value]);
        assert_eq!(code, EXIT_USAGE, "{value}");
        assert_eq!(out, "");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains("--threads") && first.contains("[1, 256]"),
            "{value}: {first}"
        );
    }
    // `solve` takes --threads for a spectrum's curve, with the same range.
    let (code, _, stderr) = cli(&["solve", "lr=1", "--threads", "0"]);
    assert_eq!(code, EXIT_USAGE);
    assert!(
        stderr.contains("--threads") && stderr.contains("[1, 256]"),
        "{stderr}"
    );
}
