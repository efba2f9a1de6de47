//! Simulator throughput (not a test: it prints, it does not assert).
//!
//! The workloads of `../shared/bench/reference.py mc`: Fig. 2(a) (1-D SGD, k = 1, σ² = 1) and
//! Fig. 3 (2-D, K = diag(1, 0.1), C = I), 40 learning rates × P particles × 1000 steps from w₀ = 0.
//! Prints one JSON line per workload with the median particle-steps per second over 5 runs.
//! Run: `cargo bench --bench simulate [-- PARTICLES]` (default 10⁴).

use std::time::Instant;

use sgd_playground::sim::workload::{run, Workload};

fn main() {
    let particles: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let steps = 1000;
    for (name, workload) in [
        ("Fig. 2(a)", Workload::Figure2a),
        ("Fig. 3", Workload::Figure3),
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
}
