//! Experiment timings (not a test: it prints, it does not assert).
//!
//! For every figure at its defaults: the time of `Experiment::new` + `theory()` (median of 5; for
//! Fig. 6(b) the first call, which computes the exact escape-rate curve, is reported apart), and
//! the simulation's planned work. Then the accuracy of Fig. 6(b)'s exact curve (300 Nyström cells)
//! against 1200 cells. Run: `cargo bench --bench experiments`.

use std::time::Instant;

use sgd_playground::config::Config;
use sgd_playground::experiments::Experiment;
use sgd_playground::sim::escape::{exact_mean_escape_steps, DoubleWell, EscapeDynamics};

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    for id in [
        "1b", "2a", "2b", "3", "4", "5a", "5b", "5c", "5d", "6a", "6b",
    ] {
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
        let run = experiment.simulation();
        println!(
            "{{\"figure\": \"{id}\", \"new_ms\": {:.3}, \"first_theory_ms\": {:.3}, \"new_and_theory_ms\": {:.3}, \"theory_again_ms\": {:.3}, \"panels\": {}, \"ensembles\": {}, \"planned_work\": {:e}}}",
            1e3 * new_seconds,
            1e3 * first_seconds,
            1e3 * median(times),
            1e3 * median(cached),
            first.panels.len(),
            run.ensembles(),
            run.planned_work()
        );
    }
    // Fig. 6(b)'s exact curve: 300 cells (the figure's) against 1200.
    let mut worst: f64 = 0.0;
    let mut seconds = 0.0;
    for i in 0..20 {
        let r = 0.1 + 1.4 * i as f64 / 19.0;
        let Ok(dynamics) = EscapeDynamics::new(DoubleWell::default(), 1.0, r, 2.0) else {
            continue;
        };
        let start = Instant::now();
        let figure = exact_mean_escape_steps(&dynamics, 300);
        seconds += start.elapsed().as_secs_f64();
        let reference = exact_mean_escape_steps(&dynamics, 1200);
        if let (Some(figure), Some(reference)) = (figure, reference) {
            worst = worst.max((figure / reference - 1.0).abs());
        }
    }
    println!(
        "{{\"what\": \"Fig. 6(b) exact curve, 20 values of r\", \"cells\": 300, \"seconds\": {seconds:.3}, \"worst_relative_difference_to_1200_cells\": {worst:e}}}"
    );
}
