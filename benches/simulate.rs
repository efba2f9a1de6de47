//! Simulator throughput (not a test: it prints, it does not assert).
//!
//! The workloads of `../shared/bench/reference.py mc`: Fig. 2(a) (1-D SGD, k = 1, σ² = 1) and
//! Fig. 3 (2-D, K = diag(1, 0.1), C = I), 40 learning rates × P particles × 1000 steps from w₀ = 0.
//! Prints one JSON line per workload with the median particle-steps per second over 5 runs.
//! Then the command line's run on every core (issue 18): `simulate 'K=1&C=1&lr=1.5&
//! particles=100000&steps=1000'` split into blocks of particles on 1, 2, … threads up to every
//! core, with the median time of 7 runs and the speedup over one thread (the numbers are the same
//! on any number of threads: the checksum says so).
//! Run: `cargo bench --bench simulate [-- PARTICLES]` (default 10⁴).

use std::time::Instant;

use sgd_playground::config::Config;
use sgd_playground::parallel::{available_threads, map_in_order};
use sgd_playground::sim::workload::{run, Workload};
use sgd_playground::sim::{Ensemble, BLOCK_MIN_PARTICLES};

fn main() {
    let particles: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let steps = 1000;
    for (name, workload) in [
        ("Fig. 2(a)", Workload::Figure2a),
        ("Fig. 3", Workload::Figure3),
        ("Adam 2-D", Workload::Adam),
    ] {
        let mut rates = Vec::new();
        let mut checksum = 0.0;
        for _ in 0..5 {
            let start = Instant::now();
            let (work, sum) = run(workload, particles, steps);
            rates.push(work / start.elapsed().as_secs_f64());
            checksum = sum;
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "{{\"what\": \"sgd-playground native {name}\", \"particles\": {particles}, \"steps\": {steps}, \"particle_steps_per_second\": {:e}, \"min\": {:e}, \"max\": {:e}, \"checksum\": {checksum}}}",
            rates[2], rates[0], rates[4]
        );
    }
    threads();
}

/// The command line's 10⁵-particle 1-D SGD run on 1, 2, … threads (ensemble creation included,
/// as `simulate` does it).
fn threads() {
    let text = "K=1&C=1&lr=1.5&particles=100000&steps=1000";
    let Ok(config) = Config::parse(text) else {
        return;
    };
    let Ok(problem) = config.to_problem() else {
        return;
    };
    let Ok(spec) = config.ensemble_spec(&problem) else {
        return;
    };
    let mut one_thread = None;
    let all = available_threads();
    let mut counts: Vec<usize> = (1..=all.min(2)).collect();
    if all > 2 {
        counts.push(all);
    }
    for threads in counts {
        let mut seconds = Vec::new();
        let mut checksum = 0.0;
        for _ in 0..7 {
            let start = Instant::now();
            let Ok(ensemble) = Ensemble::new(&problem, &spec) else {
                return;
            };
            let blocks = map_in_order(
                ensemble.split(threads, BLOCK_MIN_PARTICLES),
                threads,
                |mut block| {
                    block.advance(1000);
                    block
                },
            );
            let Some(joined) = Ensemble::join(blocks) else {
                return;
            };
            checksum = joined.statistics().covariance[(0, 0)];
            seconds.push(start.elapsed().as_secs_f64());
        }
        seconds.sort_by(f64::total_cmp);
        let median = seconds[3];
        let base = *one_thread.get_or_insert(median);
        println!(
            "{{\"what\": \"sgd-playground native simulate '{text}' on {threads} thread(s)\", \"threads\": {threads}, \"seconds\": {median:e}, \"particle_steps_per_second\": {:e}, \"speedup\": {:.2}, \"sigma\": {checksum}}}",
            1e8 / median,
            base / median
        );
    }
}
