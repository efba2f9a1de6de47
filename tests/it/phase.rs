//! `fig=phase`: the stability phase diagram against the exact engine.
//!
//! Every cell and boundary is checked against an independent computation: the engine's
//! `solver::stationary` (white noise: a Lyapunov solve in K's eigenbasis; minibatch: the exact
//! D(D+1)/2 system) and its bisection for the minibatch critical learning rate.

use crate::common;
use nalgebra::DMatrix;
use sgd_playground::config::{Config, FigureConfig};
use sgd_playground::experiments::data::{FigureData, Heatmap, Role};
use sgd_playground::model::{Conventions, Noise, Optimizer, Problem};
use sgd_playground::solver;

fn theory(text: &str) -> FigureData {
    common::experiment(text).theory()
}

fn heatmap(data: &FigureData) -> &Heatmap {
    data.panels[0].heatmap.as_ref().expect("a heatmap")
}

fn optimizer(qhm_nu: Option<f64>, learning_rate: f64, momentum: f64) -> Optimizer {
    match qhm_nu {
        None => Optimizer::Momentum {
            learning_rate,
            momentum,
        },
        Some(nu) => Optimizer::QuasiHyperbolic {
            learning_rate,
            momentum,
            nu,
        },
    }
}

/// k = σ² = 1, λ = x, with coupled weight decay `wd` (PyTorch's weight_decay).
fn white_problem(qhm_nu: Option<f64>, x: f64, mu: f64, wd: f64) -> Result<Problem, String> {
    Problem::new(
        Some(DMatrix::from_element(1, 1, 1.0)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, 1.0),
        },
        optimizer(qhm_nu, x, mu),
    )
    .and_then(|problem| {
        problem.with_conventions(Conventions {
            weight_decay: wd,
            ..Conventions::PAPER
        })
    })
    .map_err(|e| format!("{e:?}"))
}

/// The divergence boundary drawn on the diagram coincides with the engine's divergence test: just
/// below each boundary point (1e-9 relative) the engine finds a stationary distribution, just
/// above it none. 1e-9 is far above the engine's edge tolerance (8 ulps) and the boundary's own
/// rounding, and far below any visible distance.
#[test]
fn the_boundary_is_the_engines_divergence_along_a_dense_line() {
    for (text, nu, wd) in [
        ("fig=phase&lrk_max=8", None, 0.0),
        ("fig=phase&opt=qhm&nu=0.7&lrk_max=8", Some(0.7), 0.0),
        ("fig=phase&opt=qhm&nu=0.2&lrk_max=8", Some(0.2), 0.0),
        ("fig=phase&lrk_max=8&wd=0.3", None, 0.3),
        ("fig=phase&opt=qhm&nu=0.7&lrk_max=8&wd=1.5", Some(0.7), 1.5),
    ] {
        let data = theory(text);
        let boundary = data.panels[0]
            .curves
            .iter()
            .find(|curve| curve.role == Role::DiscreteTheory)
            .expect("the boundary");
        assert!(boundary.points.len() > 300, "{text}: dense");
        for &(x, mu) in &boundary.points {
            let below = white_problem(nu, x * (1.0 - 1e-9), mu, wd).expect("valid");
            let above = white_problem(nu, x * (1.0 + 1e-9), mu, wd).expect("valid");
            assert!(
                solver::stationary(&below).is_ok(),
                "{text}: λk = {x}, μ = {mu} should be stable just below the boundary"
            );
            assert!(
                solver::stationary(&above).is_err(),
                "{text}: λk = {x}, μ = {mu} should diverge just above the boundary"
            );
        }
    }
}

/// Every cell against the engine: stable exactly where the engine is, and L/L_c equal to the
/// engine's Σ over the continuous-time Σ (λσ²/(2k(1−μ)) for SGDM, λσ²/(2k) for QHM) to 1e-9
/// relative (two independent solves of a ≤ 4×4 system, away from the edge where Σ ≤ 10²·Σ_c).
#[test]
fn every_cell_is_the_engines_ratio() {
    for (text, nu, wd) in [
        ("fig=phase&res=60", None, 0.0),
        ("fig=phase&opt=qhm&nu=0.7&res=60&lrk_max=7", Some(0.7), 0.0),
        ("fig=phase&res=60&wd=0.4", None, 0.4),
    ] {
        let data = theory(text);
        let map = heatmap(&data);
        assert_eq!((map.columns, map.rows), (60, 60));
        for row in 0..map.rows {
            for column in 0..map.columns {
                let (x, mu) = map.cell_center(column, row);
                let engine = solver::stationary(&white_problem(nu, x, mu, wd).expect("valid"));
                match (map.value(column, row), engine) {
                    (Some(log_ratio), Ok(stationary)) => {
                        // The continuous-time Σ of the same decayed dynamics (k + wd).
                        let continuous = match nu {
                            None => x / (2.0 * (1.0 + wd) * (1.0 - mu)),
                            Some(_) => x / (2.0 * (1.0 + wd)),
                        };
                        let expected = stationary.sigma[(0, 0)] / continuous;
                        let ratio = 10f64.powf(log_ratio);
                        assert!(
                            (ratio - expected).abs() <= 1e-9 * expected,
                            "{text}: cell ({x}, {mu}): {ratio} vs engine {expected}"
                        );
                    }
                    (None, Err(_)) => {}
                    (cell, engine) => panic!(
                        "{text}: cell ({x}, {mu}) is {cell:?} but the engine says {:?}",
                        engine.map(|s| s.sigma[(0, 0)])
                    ),
                }
            }
        }
    }
}

/// Minibatch noise: the exact boundary equals the engine's critical learning rate (its own
/// bisection on the exact second-moment test) to 1e-9 relative (both bisect to ≤ 1e-12), and lies
/// strictly below the paper's λk = 2(1+μ).
#[test]
fn the_minibatch_boundary_is_the_engines_critical_learning_rate_and_lies_below_the_papers() {
    let text = "fig=phase&noise=batch&S=10&N=200&data_seed=3";
    let data = theory(text);
    let panel = &data.panels[0];
    let exact = panel
        .curves
        .iter()
        .find(|curve| curve.role == Role::ExactTheory)
        .expect("the exact boundary");
    let Some(FigureConfig::Phase(phase)) = Config::parse(text).expect("valid").figure else {
        panic!("not a phase diagram");
    };
    let regression = phase.regression.expect("minibatch");
    let batch = regression.to_minibatch().expect("data");
    let curvature = batch.data.hessian()[(0, 0)];
    for &(x, mu) in exact.points.iter().step_by(40) {
        let problem = regression
            .to_problem(Optimizer::Momentum {
                learning_rate: 0.1 / curvature,
                momentum: mu,
            })
            .expect("valid");
        let critical = solver::minibatch::critical_learning_rate(&problem, &batch)
            .expect("a critical learning rate");
        let expected = critical * curvature;
        assert!(
            (x - expected).abs() <= 1e-9 * expected,
            "μ = {mu}: diagram {x}, engine {expected}"
        );
        assert!(
            x < 2.0 * (1.0 + mu) * (1.0 - 1e-3),
            "μ = {mu}: {x} not below the paper's"
        );
    }
    // The cells agree with the engine's minibatch Σ: stable and finite exactly below the boundary.
    let map = heatmap(&data);
    for row in (0..map.rows).step_by(20) {
        for column in (0..map.columns).step_by(10) {
            let (x, mu) = map.cell_center(column, row);
            let problem = regression
                .to_problem(Optimizer::Momentum {
                    learning_rate: x / curvature,
                    momentum: mu,
                })
                .expect("valid");
            let engine = solver::stationary(&problem);
            assert_eq!(
                map.value(column, row).is_some(),
                engine.is_ok(),
                "cell ({x}, {mu})"
            );
        }
    }
}

/// The marked configuration, the colour range and the figure's invariants.
#[test]
fn the_marked_configuration_and_every_number_are_finite() {
    for text in [
        "fig=phase",
        "fig=phase&lr_k=3.5&mu=0.2",
        "fig=phase&opt=qhm&nu=1&mu_max=0.5&res=10",
        "fig=phase&noise=batch&loss=half&replace=0",
    ] {
        let data = theory(text);
        let panel = &data.panels[0];
        let map = heatmap(&data);
        assert_eq!(map.values.len(), map.columns * map.rows, "{text}");
        assert!(map.values.iter().flatten().all(|v| v.is_finite()), "{text}");
        assert!(map.color_range.0 < map.color_range.1, "{text}");
        let marked = &panel.points[0];
        assert!(marked.label.starts_with("this configuration"), "{text}");
        for curve in &panel.curves {
            assert!(
                curve
                    .points
                    .iter()
                    .all(|(x, y)| x.is_finite() && y.is_finite()),
                "{text}"
            );
        }
    }
    // λk = 3.5 > 2(1+0.2) = 2.4: the marked configuration diverges, and says so.
    let data = theory("fig=phase&lr_k=3.5&mu=0.2");
    assert!(data.panels[0].points[0].label.ends_with("diverges"));
    assert!(data.caption.contains("diverges"));
}

#[test]
fn bad_values_name_their_key() {
    for (text, key) in [
        ("fig=phase&opt=sgd", "opt"),
        ("fig=phase&noise=fisher", "noise"),
        ("fig=phase&res=5", "res"),
        ("fig=phase&mu_max=0", "mu_max"),
        ("fig=phase&lrk_max=-1", "lrk_max"),
    ] {
        let problems = Config::parse(text)
            .and_then(|config| config.validate().map(|()| config))
            .expect_err(text);
        assert!(
            problems.iter().any(|p| p.field == key),
            "{text}: {problems:?}"
        );
    }
}
