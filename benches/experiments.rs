//! Experiment timings (not a test: it prints, it does not assert).
//!
//! For every figure at its defaults: the time of `Experiment::new` + `theory()` (median of 5; for
//! Fig. 6(b) the first call, which computes the exact escape-rate curve, is reported apart), and
//! the simulation's planned work and the time of the whole default simulation (run in slices of
//! 10⁶ units, as a browser would). Then the accuracy of Fig. 6(b)'s exact curve
//! ([`EXACT_ESCAPE_CELLS`] Nyström cells) against 1200 cells. Run:
//! `cargo bench --bench experiments [-- --no-simulation]`.

use std::time::Instant;

use sgd_playground::config::{Config, FIGURE_IDS};
use sgd_playground::experiments::{Experiment, EXACT_ESCAPE_CELLS, EXACT_ESCAPE_POINTS};
use sgd_playground::sim::double_well::{exact_mean_escape_steps, DoubleWell, EscapeDynamics};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let simulate = !std::env::args().any(|arg| arg == "--no-simulation");
    for &id in FIGURE_IDS {
        let Ok(config) = Config::parse(&format!("fig={id}")) else {
            println!("fig={id}: does not parse");
            continue;
        };
        // The first theory of 6(b) computes (and keeps) the exact curve: timed on its own.
        let start = Instant::now();
        let Ok(experiment) = Experiment::new(&config) else {
            println!("fig={id}: does not build");
            continue;
        };
        let new_seconds = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let first = experiment.theory();
        let first_seconds = start.elapsed().as_secs_f64();
        let times: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let fresh = Experiment::new(&config).map(|e| e.theory().panels.len());
                let elapsed = start.elapsed().as_secs_f64();
                assert!(fresh.is_ok());
                elapsed
            })
            .collect();
        let cached: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let _ = experiment.theory();
                start.elapsed().as_secs_f64()
            })
            .collect();
        let mut run = experiment.simulation();
        let start = Instant::now();
        let mut slices = 0_u64;
        if simulate {
            while !run.is_done() {
                run.advance(1_000_000);
                slices += 1;
            }
        }
        let simulation_seconds = start.elapsed().as_secs_f64();
        println!(
            "{{\"figure\": \"{id}\", \"new_ms\": {:.3}, \"first_theory_ms\": {:.3}, \"new_and_theory_ms\": {:.3}, \"theory_again_ms\": {:.3}, \"panels\": {}, \"ensembles\": {}, \"planned_work\": {:e}, \"simulation_s\": {:.2}, \"slices_of_1e6\": {}}}",
            1e3 * new_seconds,
            1e3 * first_seconds,
            1e3 * median(times),
            1e3 * median(cached),
            first.panels.len(),
            run.ensembles(),
            run.planned_work(),
            simulation_seconds,
            slices
        );
    }
    // Fig. 6(b)'s exact curve: 300 cells (the figure's) against 1200.
    let mut worst: f64 = 0.0;
    let mut seconds = 0.0;
    let points = EXACT_ESCAPE_POINTS;
    for i in 0..points {
        let r = 0.1 + 1.4 * i as f64 / (points - 1) as f64;
        let Ok(dynamics) = EscapeDynamics::new(DoubleWell::default(), 1.0, r, 2.0) else {
            continue;
        };
        let start = Instant::now();
        let figure = exact_mean_escape_steps(&dynamics, EXACT_ESCAPE_CELLS);
        seconds += start.elapsed().as_secs_f64();
        let reference = exact_mean_escape_steps(&dynamics, 1200);
        if let (Some(figure), Some(reference)) = (figure, reference) {
            worst = worst.max((figure / reference - 1.0).abs());
        }
    }
    println!(
        "{{\"what\": \"Fig. 6(b) exact curve, {points} values of r\", \"cells\": {EXACT_ESCAPE_CELLS}, \"seconds\": {seconds:.3}, \"worst_relative_difference_to_1200_cells\": {worst:e}}}"
    );
}
