//! The paper's figures as experiments: the numbers the paper states (thresholds, ellipse axes,
//! limits), the exact theories against the engine, simulations against theory within computed
//! standard errors, finiteness of every figure (defaults, edited, partial), slicing invariance,
//! and errors that name key, value and what is allowed.

use crate::common;
use common::experiment;
use sgd_playground::closed_forms::one_dimensional;
use sgd_playground::config::{Config, FIGURE_IDS};
use sgd_playground::experiments::data::{Curve, FigureData, Panel, Role, Scale};
use sgd_playground::experiments::{Experiment, SimulationRun};
use sgd_playground::model::{Minibatch, Noise, Optimizer, Problem, RegressionData};
use sgd_playground::sim::double_well::{exact_mean_escape_steps, DoubleWell, EscapeDynamics};
use sgd_playground::solver::{self, minibatch::critical_learning_rate};

/// Tolerance of the statistical comparisons, in standard errors.
const SIGMAS: f64 = 4.0;

/// Runs the whole simulation in slices of `budget` units, checking every partial figure.
fn run_to_end(experiment: &Experiment, budget: u64) -> (SimulationRun, FigureData) {
    let mut run = experiment.simulation();
    let mut progress = run.progress();
    let mut guard = 0;
    while !run.is_done() {
        run.advance(budget);
        let now = run.progress();
        assert!(
            (0.0..=1.0).contains(&now) && now >= progress,
            "{progress} → {now}"
        );
        progress = now;
        assert_finite(&experiment.figure(&run));
        guard += 1;
        assert!(guard < 1_000_000, "the run does not finish");
    }
    assert_eq!(run.progress(), 1.0);
    let figure = experiment.figure(&run);
    assert_finite(&figure);
    (run, figure)
}

fn assert_finite(figure: &FigureData) {
    let id = &figure.id;
    assert!(
        !figure.caption.is_empty() && !figure.title.is_empty(),
        "{id}"
    );
    assert!(!figure.panels.is_empty(), "{id}");
    for panel in &figure.panels {
        let ranges = [panel.x_range, panel.y_range];
        for (low, high) in ranges {
            assert!(
                low.is_finite() && high.is_finite() && low < high,
                "{id}: range {low}..{high}"
            );
        }
        if panel.y_scale == Scale::Log {
            assert!(panel.y_range.0 > 0.0, "{id}: log range {:?}", panel.y_range);
        }
        for curve in &panel.curves {
            for &(x, y) in &curve.points {
                assert!(
                    x.is_finite() && y.is_finite(),
                    "{id}: {} ({x}, {y})",
                    curve.label
                );
            }
        }
        for series in &panel.points {
            for point in &series.points {
                assert!(
                    point.x.is_finite()
                        && point.y.is_finite()
                        && point.stderr.is_finite()
                        && point.stderr >= 0.0,
                    "{id}: {point:?}"
                );
            }
        }
        for scatter in &panel.scatters {
            assert!(scatter
                .points
                .iter()
                .all(|(x, y)| x.is_finite() && y.is_finite()));
        }
        for marker in &panel.markers {
            assert!(marker.x.is_finite(), "{id}: {}", marker.label);
        }
        for shading in &panel.shadings {
            assert!(
                shading.from.is_finite() && shading.to.is_finite() && shading.from <= shading.to,
                "{id}: {shading:?}"
            );
        }
    }
}

fn curve_with<'a>(panel: &'a Panel, role: Role, label_part: &str) -> &'a Curve {
    panel
        .curves
        .iter()
        .find(|curve| curve.role == role && curve.label.contains(label_part))
        .unwrap_or_else(|| panic!("no {role:?} curve '{label_part}' in {}", panel.title))
}

fn marker_at(panel: &Panel, label_part: &str) -> f64 {
    panel
        .markers
        .iter()
        .find(|marker| marker.label.contains(label_part))
        .unwrap_or_else(|| panic!("no marker '{label_part}' in {}", panel.title))
        .x
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// The 1-D regression of Fig. 2(b)/5(c)/5(d) at its defaults, built independently of the figure.
fn default_regression(learning_rate: f64, momentum: f64) -> (Problem, Minibatch) {
    let data = RegressionData::generate(1000, 0, &[1.0], &[1.0], 1.0).expect("data");
    let batch = Minibatch {
        data,
        batch_size: 100,
        with_replacement: true,
    };
    let optimizer = if momentum > 0.0 {
        Optimizer::Momentum {
            learning_rate,
            momentum,
        }
    } else {
        Optimizer::Sgd { learning_rate }
    };
    let problem =
        Problem::new(None, Noise::Minibatch(Box::new(batch.clone())), optimizer).expect("model");
    (problem, batch)
}

// ---------------------------------------------------------------- every figure

#[test]
fn every_figure_is_finite_at_its_defaults() {
    for id in FIGURE_IDS {
        let experiment = experiment(&format!("fig={id}"));
        assert_eq!(experiment.id(), *id);
        let theory = experiment.theory();
        assert_eq!(theory.id, *id);
        assert_finite(&theory);
        for panel in &theory.panels {
            assert!(!panel.x_label.is_empty() && !panel.y_label.is_empty());
            // The theory alone has no simulated point yet (other point series are theory: a
            // marked configuration, a single-mode value).
            assert!(panel
                .points
                .iter()
                .filter(|series| series.role == Role::Simulation)
                .all(|series| series.points.is_empty()));
            assert!(panel.scatters.is_empty());
        }
    }
}

#[test]
fn edited_figures_run_to_the_end_and_stay_finite() {
    let texts = [
        "fig=1b&lrs=0.5,1&start=-3&steps=7&K=2",
        "fig=2a&K=2&C=0.5&start=1&points=3&particles=50&steps=40&seed=3",
        "fig=2b&points=3&particles=20&steps=60&burnin=20&loss=half&label_var=0.5&N=200&S=20",
        "fig=2b&points=2&particles=10&steps=30&burnin=10&X=1;2;-1;0.5;3&y=1,2,0,1,2&S=2&replace=0",
        "fig=3&lrs=0.9,0.2&particles=100&steps=50&C=1,0.2;0.2,0.5&K=2,0.3;0.3,1",
        "fig=4&lrs=0.3,0.95&particles=50&steps=30&S=10&N=300",
        "fig=4&lrs=1.9&loss=half&particles=40&steps=20",
        "fig=5a&mu_min=0.1&points=4&particles=30&steps=200&burnin=100",
        "fig=5b&lr_k=3.5&mu_max=0.95&points=3&particles=30&steps=100&burnin=50",
        "fig=5c&points=4&particles=10&steps=100&burnin=50&mu_min=0.2",
        "fig=5d&lr_k=1.9&points=3&particles=10&steps=60&burnin=30&loss=half",
        "fig=6a&r=1.9&lr=1&S=5&k_b=2&dL=0.5",
        "fig=6b&r_min=0.9&r_max=1.6&points=2&particles=20&steps=300&eq52=corrected",
        "fig=6b&points=1&particles=5&steps=50&eq52_const=2.5&k_a=2&lr=0.5",
    ];
    for text in texts {
        let experiment = experiment(text);
        assert_finite(&experiment.theory());
        let (run, figure) = run_to_end(&experiment, 20_000);
        assert_eq!(run.finished_ensembles(), run.ensembles(), "{text}");
        // The caption is generated from the configuration: an edited value shows up in it.
        assert!(!figure.caption.contains("NaN"), "{text}");
    }
}

#[test]
fn slicing_a_run_does_not_change_the_figure() {
    for text in [
        "fig=2a&points=3&particles=40&steps=50",
        "fig=3&lrs=1,1.5&particles=30&steps=40",
        "fig=5c&points=5&particles=8&steps=40&burnin=10",
        "fig=6b&points=2&particles=30&steps=2000&r_min=1&r_max=1.4",
    ] {
        let experiment = experiment(text);
        let (_, whole) = run_to_end(&experiment, u64::MAX);
        let (_, sliced) = run_to_end(&experiment, 777);
        assert_eq!(whole, sliced, "{text}");
    }
}

#[test]
fn partial_runs_show_the_points_finished_so_far() {
    let experiment = experiment("fig=2a&points=4&particles=100&steps=100");
    let mut run = experiment.simulation();
    assert_eq!(run.ensembles(), 4);
    assert_eq!(run.progress(), 0.0);
    let mut seen = 0;
    while !run.is_done() {
        let work = run.advance(3_000);
        assert!(work > 0 && work <= 3_000 + 100 * 100, "{work}");
        let figure = experiment.figure(&run);
        let points = figure.panels[0].points[0].points.len();
        assert_eq!(points, run.finished_ensembles());
        assert!(points >= seen);
        seen = points;
    }
    assert_eq!(seen, 4);
    assert_eq!(run.advance(1_000), 0, "a finished run does no work");
    // A run of another figure adds nothing.
    let other = self::experiment("fig=5a").simulation();
    assert_eq!(experiment.figure(&other), experiment.theory());
}

#[test]
fn theory_only_figures_have_a_finished_run() {
    for id in ["1b", "6a"] {
        let experiment = experiment(&format!("fig={id}"));
        let mut run = experiment.simulation();
        assert!(run.is_done());
        assert_eq!(run.progress(), 1.0);
        assert_eq!(run.advance(100), 0);
        assert_eq!(experiment.figure(&run), experiment.theory());
    }
}

// ---------------------------------------------------------------- numbers the paper states

#[test]
fn fig1b_iterates_are_powers_of_one_minus_lambda_k() {
    let theory = experiment("fig=1b").theory();
    assert_eq!(theory.panels.len(), 3);
    for (panel, lr) in theory.panels.iter().zip([1.25_f64, 1.5, 1.75]) {
        let discrete = curve_with(panel, Role::DiscreteTheory, "Eq. 2");
        assert_eq!(discrete.points.len(), 21);
        for &(t, w) in &discrete.points {
            assert!((w - (1.0 - lr).powi(t as i32)).abs() < 1e-15, "{lr} {t}");
        }
        // 1 < λk < 2: the iterates change sign every step; the flow never does.
        assert!(discrete
            .points
            .windows(2)
            .all(|pair| pair[0].1 * pair[1].1 < 0.0));
        let continuous = curve_with(panel, Role::ContinuousTheory, "continuous");
        assert!(continuous
            .points
            .iter()
            .all(|&(t, w)| w > 0.0 && relative(w, (-lr * t).exp()) < 1e-12));
    }
}

#[test]
fn fig2a_theory_is_corollary_1_and_its_finite_time_version() {
    let theory = experiment("fig=2a").theory();
    let panel = &theory.panels[0];
    assert_eq!(panel.y_scale, Scale::Log);
    assert_eq!(marker_at(panel, "2/k"), 2.0);
    let stationary = curve_with(panel, Role::DiscreteTheory, "stationary");
    for &(lr, variance) in &stationary.points {
        assert!(lr < 2.0 && relative(variance, lr / (2.0 - lr)) < 1e-12);
    }
    let finite_time = curve_with(panel, Role::DiscreteTheory, "after T = 1000");
    for &(lr, variance) in &finite_time.points {
        let expected = lr / (2.0 - lr) * (1.0 - (1.0 - lr).powi(2000));
        assert!(relative(variance, expected) < 1e-9, "{lr}");
    }
    let continuous = curve_with(panel, Role::ContinuousTheory, "continuous");
    assert!(
        continuous.points.iter().any(|&(lr, _)| lr > 2.0),
        "drawn past 2/k"
    );
    assert!(panel.shadings.iter().any(|s| s.from == 2.0));
}

#[test]
fn fig2a_simulation_matches_the_discrete_theory_not_the_continuous_one() {
    // 11 learning rates λ_j = 2j/12 (λ = 1.5 is j = 9), 4000 particles, 1000 steps.
    let experiment = experiment("fig=2a&points=11&particles=4000&steps=1000&seed=7");
    let (_, figure) = run_to_end(&experiment, 50_000_000);
    let points = &figure.panels[0].points[0].points;
    assert_eq!(points.len(), 11);
    for point in points {
        let theory = one_dimensional::sgd_variance_after(1.0, point.x, 1.0, 1000).expect("finite");
        assert!(
            (point.y - theory).abs() <= SIGMAS * point.stderr,
            "λ = {}: {} ± {} vs {theory}",
            point.x,
            point.y,
            point.stderr
        );
    }
    let at = points
        .iter()
        .find(|point| point.x == 1.5)
        .expect("λ = 1.5 is simulated");
    let continuous = 1.5 / 2.0;
    assert!(
        (at.y - continuous).abs() >= 10.0 * at.stderr,
        "{} ± {} vs continuous {continuous}",
        at.y,
        at.stderr
    );
}

#[test]
fn fig2b_exact_minibatch_theory_diverges_before_two_over_k() {
    let theory = experiment("fig=2b").theory();
    let panel = &theory.panels[0];
    let (problem, batch) = default_regression(0.5, 0.0);
    let k = problem.hessian()[(0, 0)];
    let critical = critical_learning_rate(&problem, &batch).expect("a threshold");
    assert!(critical < 2.0 / k);
    assert!(relative(marker_at(panel, "exact minibatch divergence"), critical) < 1e-10);
    assert!(relative(marker_at(panel, "2/K"), 2.0 / k) < 1e-12);
    let exact = curve_with(panel, Role::ExactTheory, "exact");
    assert!(exact.points.iter().all(|&(lr, _)| lr < critical));
    // The exact curve is the engine's answer (a few points) and exceeds the paper's C ≈ K/S.
    for &(lr, variance) in exact.points.iter().step_by(37) {
        let model = problem
            .with_optimizer(Optimizer::Sgd { learning_rate: lr })
            .expect("model");
        let engine = solver::stationary(&model).expect("stationary").sigma[(0, 0)];
        assert!(
            relative(variance, engine) < 1e-9,
            "λ = {lr}: {variance} vs {engine}"
        );
        assert!(variance > lr / (100.0 * (2.0 - lr * k)));
    }
    let paper = curve_with(panel, Role::DiscreteTheory, "C ≈ K/S");
    assert!(paper
        .points
        .iter()
        .all(|&(lr, v)| relative(v, lr / (100.0 * (2.0 - lr * k))) < 1e-12));
}

#[test]
fn fig2b_simulation_agrees_with_the_exact_minibatch_theory() {
    let experiment = experiment("fig=2b&points=3&particles=100&steps=1500&burnin=300&seed=1");
    let (_, figure) = run_to_end(&experiment, 100_000_000);
    let panel = &figure.panels[0];
    let points = &panel.points[0].points;
    assert_eq!(points.len(), 3);
    let (problem, _) = default_regression(0.5, 0.0);
    for point in points {
        let model = problem
            .with_optimizer(Optimizer::Sgd {
                learning_rate: point.x,
            })
            .expect("model");
        let exact = solver::stationary(&model).expect("stationary").sigma[(0, 0)];
        assert!(
            (point.y - exact).abs() <= SIGMAS * point.stderr,
            "λ = {}: {} ± {} vs exact {exact}",
            point.x,
            point.y,
            point.stderr
        );
    }
}

#[test]
fn fig3_ellipses_have_the_semi_axes_of_section_5_1() {
    let theory = experiment("fig=3").theory();
    assert_eq!(theory.panels.len(), 5);
    for (panel, lr) in theory.panels.iter().zip([0.1_f64, 0.5, 1.0, 1.5, 1.9]) {
        let extent = |curve: &Curve| {
            curve
                .points
                .iter()
                .fold((0.0_f64, 0.0_f64), |(a, b), &(x, y)| {
                    (a.max(x.abs()), b.max(y.abs()))
                })
        };
        let discrete = curve_with(panel, Role::DiscreteTheory, "Cor. 1");
        assert_eq!(discrete.points.first(), discrete.points.last(), "closed");
        let (x, y) = extent(discrete);
        assert!(
            relative(x, 3.0 * (lr / (2.0 - lr)).sqrt()) < 1e-9,
            "λ = {lr}: {x}"
        );
        assert!(
            relative(y, 3.0 * (lr / (0.1 * (2.0 - 0.1 * lr))).sqrt()) < 1e-9,
            "λ = {lr}: {y}"
        );
        let (x, y) = extent(curve_with(panel, Role::ContinuousTheory, "continuous"));
        assert!(relative(x, 3.0 * (lr / 2.0).sqrt()) < 1e-9);
        assert!(relative(y, 3.0 * (5.0 * lr).sqrt()) < 1e-9);
    }
}

#[test]
fn fig3_cloud_fills_the_discrete_ellipse_not_the_continuous_one() {
    // λ = 1.5: Σ = diag(3, 8.11) (discrete) against diag(0.75, 7.5) (continuous); 400 steps
    // ≥ 50/(0.1λ) = 333.
    let experiment = experiment("fig=3&lrs=1.5&particles=4000&steps=400&seed=2");
    let (_, figure) = run_to_end(&experiment, 10_000_000);
    let cloud = &figure.panels[0].scatters[0].points;
    assert_eq!(cloud.len(), 4000);
    let fraction = |a: f64, b: f64| {
        cloud
            .iter()
            .filter(|(x, y)| x * x / a + y * y / b <= 9.0)
            .count() as f64
            / cloud.len() as f64
    };
    let expected = 1.0 - (-4.5_f64).exp(); // 98.9%
    let stderr = (expected * (1.0 - expected) / cloud.len() as f64).sqrt();
    let discrete = fraction(1.5 / 0.5, 1.5 / (0.1 * (2.0 - 0.15)));
    assert!((discrete - expected).abs() <= SIGMAS * stderr, "{discrete}");
    assert!(fraction(0.75, 7.5) < 0.9);
}

#[test]
fn fig4_exact_ellipse_is_larger_than_both_and_the_caption_states_the_hessian() {
    let theory = experiment("fig=4").theory();
    assert!(theory.caption.contains("diag(2, 0.2)"));
    for panel in &theory.panels {
        let extent = |curve: &Curve| {
            curve
                .points
                .iter()
                .fold(0.0_f64, |a, &(x, y)| a.max(x.hypot(y)))
        };
        let exact = extent(curve_with(panel, Role::ExactTheory, "exact"));
        let paper = extent(curve_with(panel, Role::DiscreteTheory, "C ≈ K/S"));
        let continuous = extent(curve_with(panel, Role::ContinuousTheory, "continuous"));
        assert!(exact > paper && paper > continuous, "{}", panel.title);
    }
}

#[test]
fn fig5a_diverges_at_mu_three_eighths() {
    for text in ["fig=5a", "fig=5a&mu_min=0.1"] {
        let theory = experiment(text).theory();
        let panel = &theory.panels[0];
        let threshold = marker_at(panel, "(λk − 2)/2");
        assert!((threshold - 0.375).abs() < 1e-12, "{threshold}");
        let discrete = curve_with(panel, Role::DiscreteTheory, "Cor. 2");
        assert!(discrete.points.iter().all(|&(mu, _)| mu > 0.375));
        for &(mu, variance) in &discrete.points {
            let expected = 2.75 / ((1.0 - mu) * (2.0 - 2.75 / (1.0 + mu)));
            assert!(relative(variance, expected) < 1e-12);
        }
        assert!(panel
            .shadings
            .iter()
            .any(|s| s.to == threshold && s.from <= threshold));
    }
    // Nothing is simulated where the theory diverges.
    let experiment = experiment("fig=5a&mu_min=0.1&points=10&particles=5&steps=20&burnin=5");
    let (_, figure) = run_to_end(&experiment, u64::MAX);
    assert!(figure.panels[0].points[0]
        .points
        .iter()
        .all(|point| point.x > 0.375));
}

#[test]
fn fig5b_continuous_error_does_not_vanish_as_mu_goes_to_one() {
    let theory = experiment("fig=5b").theory();
    let panel = &theory.panels[0];
    assert!(panel.markers.is_empty(), "no divergence at λk = 1");
    let discrete = curve_with(panel, Role::DiscreteTheory, "Cor. 2");
    let continuous = curve_with(panel, Role::ContinuousTheory, "continuous");
    let (mu, d) = *discrete.points.last().expect("points");
    let c = continuous
        .points
        .iter()
        .find(|(x, _)| *x == mu)
        .expect("same μ")
        .1;
    // At μ = 0.99 the ratio is 2/(2 − 1/1.99), close to its limit 4/3.
    assert!(relative(d / c, 2.0 / (2.0 - 1.0 / 1.99)) < 1e-12);
    assert!((d / c - 4.0 / 3.0).abs() < 0.01);
    assert!(theory.caption.contains("1.333"));
}

#[test]
fn fig5a_simulation_matches_corollary_2() {
    let experiment = experiment(
        "fig=5a&points=3&mu_min=0.5&mu_max=0.9&particles=400&steps=3000&burnin=1000&seed=4",
    );
    let (_, figure) = run_to_end(&experiment, 50_000_000);
    let points = &figure.panels[0].points[0].points;
    assert_eq!(points.len(), 3);
    for point in points {
        let theory =
            one_dimensional::momentum_variance(1.0, 2.75, point.x, 1.0).expect("stationary");
        assert!(
            (point.y - theory).abs() <= SIGMAS * point.stderr,
            "μ = {}: {} ± {} vs {theory}",
            point.x,
            point.y,
            point.stderr
        );
    }
}

#[test]
fn fig5c_exact_minibatch_theory_is_finite_on_an_interval_only() {
    let theory = experiment("fig=5c").theory();
    let panel = &theory.panels[0];
    assert!((marker_at(panel, "paper's divergence") - 0.375).abs() < 1e-12);
    let ends: Vec<f64> = panel
        .markers
        .iter()
        .filter(|marker| marker.label.contains("exact minibatch divergence"))
        .map(|marker| marker.x)
        .collect();
    assert_eq!(ends.len(), 2, "{:?}", panel.markers);
    let (low, high) = (ends[0], ends[1]);
    // FIGURES.md: roughly (0.45, 0.90) with unit label noise.
    assert!(
        (0.40..0.50).contains(&low) && (0.85..0.95).contains(&high),
        "{low} {high}"
    );
    let k = default_regression(0.5, 0.0).0.hessian()[(0, 0)];
    let learning_rate = 2.75 / k;
    // The engine agrees on both ends and on the curve.
    for (mu, stable) in [
        (low - 1e-6, false),
        (low + 1e-6, true),
        (high - 1e-6, true),
        (high + 1e-6, false),
    ] {
        let (problem, _) = default_regression(learning_rate, mu);
        assert_eq!(solver::stationary(&problem).is_ok(), stable, "μ = {mu}");
    }
    let exact = curve_with(panel, Role::ExactTheory, "exact");
    assert!(exact.points.iter().all(|&(mu, _)| mu > low && mu < high));
    for &(mu, variance) in exact.points.iter().step_by(41) {
        let (problem, _) = default_regression(learning_rate, mu);
        let engine = solver::stationary(&problem).expect("stationary").sigma[(0, 0)];
        assert!(
            relative(variance, engine) < 1e-9,
            "μ = {mu}: {variance} vs {engine}"
        );
    }
    // Shaded outside the interval.
    assert!(panel.shadings.iter().any(|s| s.to == low));
    assert!(panel.shadings.iter().any(|s| s.from == high));
}

#[test]
fn fig6a_discrete_density_is_twice_as_wide_at_lambda_r_k_one() {
    let theory = experiment("fig=6a").theory();
    let panel = &theory.panels[0];
    assert_eq!(marker_at(panel, "√(ΔL/k_a)"), 1.0);
    let peak = |curve: &Curve| curve.points.iter().fold(0.0_f64, |a, &(_, y)| a.max(y));
    let discrete = peak(curve_with(panel, Role::DiscreteTheory, "N(0, 0.5)"));
    let continuous = peak(curve_with(panel, Role::ContinuousTheory, "N(0, 0.25)"));
    let tau = std::f64::consts::TAU;
    assert!(relative(discrete, 1.0 / (tau * 0.5).sqrt()) < 1e-3);
    assert!(relative(continuous, 1.0 / (tau * 0.25).sqrt()) < 1e-3);
    let loss = curve_with(panel, Role::Reference, "loss");
    let top = loss.points.iter().fold(0.0_f64, |a, &(_, y)| a.max(y));
    assert!(top >= 1.0 - 1e-3, "the barrier ΔL = 1 is drawn");
}

#[test]
fn fig6b_exact_rate_rises_with_r_while_eq51_is_flat() {
    let theory = experiment("fig=6b").theory();
    let panel = &theory.panels[0];
    let exact = curve_with(panel, Role::ExactTheory, "exact");
    assert_eq!(exact.points.len(), 20);
    assert!(exact.points.windows(2).all(|pair| pair[1].1 > pair[0].1));
    let eq51 = curve_with(panel, Role::ContinuousTheory, "Eq. 51");
    let first = eq51.points[0].1;
    assert!(eq51.points.iter().all(|&(_, y)| relative(y, first) < 1e-12));
    assert!(
        exact.points[0].1 > first,
        "the exact rate is above the continuous one"
    );
    // The exact curve (200 Nyström cells) against 1200 cells.
    for &(r, y) in [exact.points[0], exact.points[10], exact.points[19]].iter() {
        let dynamics = EscapeDynamics::new(DoubleWell::default(), 1.0, r, 2.0).expect("valid");
        let steps = exact_mean_escape_steps(&dynamics, 1200).expect("solvable");
        let reference = dynamics.rate_over_barrier_curvature(1.0 / steps);
        assert!(relative(y, reference) < 0.01, "r = {r}: {y} vs {reference}");
    }
    // Without simulated points the constant is fitted to the exact curve, and printed.
    let fitted = curve_with(panel, Role::FittedTheory, "Eq. 52 ×");
    assert!(theory
        .caption
        .contains("fitted by least squares in log space to the exact rate"));
    assert!(!fitted.points.is_empty());
    let given = experiment("fig=6b&eq52_const=3").theory();
    assert!(
        curve_with(&given.panels[0], Role::FittedTheory, "× 3")
            .points
            .len()
            > 1
    );
}

#[test]
fn fig6b_simulated_rate_matches_the_exact_rate() {
    let experiment = experiment("fig=6b&points=2&r_min=0.8&r_max=1.4&particles=2000&seed=17");
    let (_, figure) = run_to_end(&experiment, 200_000_000);
    let panel = &figure.panels[0];
    let points = &panel.points[0].points;
    assert_eq!(points.len(), 2);
    for point in points {
        let dynamics =
            EscapeDynamics::new(DoubleWell::default(), 1.0, point.x, 2.0).expect("valid");
        let steps = exact_mean_escape_steps(&dynamics, 1200).expect("solvable");
        let exact = dynamics.rate_over_barrier_curvature(1.0 / steps);
        assert!(
            (point.y - exact).abs() <= SIGMAS * point.stderr,
            "r = {}: {} ± {} vs exact {exact}",
            point.x,
            point.y,
            point.stderr
        );
    }
    assert!(figure.caption.contains("to the 2 simulated points"));
}

// ---------------------------------------------------------------- configuration and errors

#[test]
fn figure_texts_round_trip_through_the_canonical_text() {
    for text in [
        "fig=2a&points=11&particles=4000&steps=1000&seed=7",
        "fig=3&lrs=0.9,0.2&C=1,0.2;0.2,0.5&K=2,0.3;0.3,1",
        "fig=5c&lr_k=2.5&mu_min=0.3&loss=half&x_var=2&w_star=-1",
        "fig=6b&eq52=corrected&eq52_const=2.5&r_min=0.2",
        "fig=1b&start=zero",
        "FIG=2B",
    ] {
        let Ok(config) = Config::parse(text) else {
            // "FIG" is not a key: keys are case-sensitive.
            assert_eq!(text, "FIG=2B");
            continue;
        };
        let canonical = config.to_text();
        assert!(canonical.starts_with("v=1&fig="), "{canonical}");
        let again = Config::parse(&canonical).expect("canonical text parses");
        assert_eq!(again, config, "{text}");
        assert_eq!(again.to_text(), canonical);
    }
    assert_eq!(
        Config::parse("fig=2B&steps=1000&particles=10000")
            .expect("parses")
            .to_text(),
        "v=1&fig=2b&particles=10000&steps=1000"
    );
}

#[test]
fn invalid_figure_keys_name_key_value_and_allowed() {
    let cases: [(&str, &str, &str, &str); 10] = [
        (
            "fig=9",
            "fig",
            "9",
            "1b, 2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6a, 6b",
        ),
        ("fig=2a&K=1,2", "K", "1,2", "one-dimensional"),
        ("fig=2a&lr=0.5", "lr", "0.5", "no lr with fig=2a"),
        (
            "fig=5a&mu_min=0.9&mu_max=0.5",
            "mu_min",
            "0.9",
            "below mu_max",
        ),
        ("fig=2b&burnin=3000", "burnin", "3000", "steps − 1"),
        ("fig=3&lrs=0.5,2.5", "lrs", "0.5,2.5", "2/k*"),
        ("fig=6b&r_max=2.5", "r_max", "2.5", "2/(λk_a)"),
        ("fig=2b&x_var=1,0.1", "x_var", "1,0.1", "one input"),
        ("fig=1b&steps=20000", "steps", "20000", "10000"),
        ("fig=5a&lr_k=4", "lr_k", "4", "2(1+μ_max)"),
    ];
    for (text, key, value, allowed) in cases {
        let errors = match Config::parse(text) {
            Err(errors) => errors,
            Ok(config) => match Experiment::new(&config) {
                Err(errors) => errors,
                Ok(_) => panic!("'{text}' should be rejected"),
            },
        };
        let error = errors
            .iter()
            .find(|error| error.field == key)
            .unwrap_or_else(|| panic!("{text}: no error naming {key}: {errors}"));
        assert_eq!(error.value, value, "{text}");
        assert!(error.allowed.contains(allowed), "{text}: {}", error.allowed);
    }
    // Without fig there is no experiment; with fig there is no quadratic model.
    let errors = Experiment::new(&Config::default()).expect_err("no figure");
    assert_eq!(errors.0[0].field, "fig");
    let figure = Config::parse("fig=2a").expect("parses");
    assert_eq!(figure.to_problem().expect_err("a figure").0[0].field, "fig");
}

#[test]
fn lenient_parsing_resets_invalid_figure_keys() {
    let (config, problems) = Config::parse_lenient("fig=3&lrs=0.5,2.5&particles=50");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "lrs");
    assert_eq!(config.to_text(), "v=1&fig=3&particles=50");
    assert!(Experiment::new(&config).is_ok());
}
