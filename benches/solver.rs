//! Benchmark of the exact stationary solve (not a test: it prints, it does not assert).
//!
//! Same problems as `../shared/bench/reference.py solver`: K with eigenvalues evenly spaced in
//! [0.05, 1] and random eigenvectors, C = GGᵀ/D + 0.1 I, λ = 1.5, μ = 0.5, D = 2, 10, 50, 200.
//! Prints one JSON object per line with median seconds of:
//! - `build_and_solve`: validating the model (K SPD, C PSD, the eigen-decomposition of K) and the solve;
//! - `solve_only`: the solve on an already built model.
//!
//! Run: `cargo bench --bench solver` (and `python reference.py solver` in the same session).

use std::hint::black_box;
use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use sgd_playground::model::{Noise, Optimizer, Problem};
use sgd_playground::solver;

fn random_problem(dim: usize, rng: &mut Xoshiro256PlusPlus) -> (DMatrix<f64>, DMatrix<f64>) {
    let g: DMatrix<f64> = DMatrix::from_fn(dim, dim, |_, _| StandardNormal.sample(rng));
    let q = g.qr().q();
    let values: DVector<f64> = DVector::from_fn(dim, |i, _| {
        if dim == 1 {
            1.0
        } else {
            0.05 + 0.95 * i as f64 / (dim - 1) as f64
        }
    });
    let k: DMatrix<f64> = &q * DMatrix::from_diagonal(&values) * q.transpose();
    let k = (&k + k.transpose()) * 0.5;
    let g: DMatrix<f64> = DMatrix::from_fn(dim, dim, |_, _| StandardNormal.sample(rng));
    let c: DMatrix<f64> =
        &g * g.transpose() / dim as f64 + DMatrix::<f64>::identity(dim, dim) * 0.1;
    (k, (&c + c.transpose()) * 0.5)
}

fn median_seconds(mut f: impl FnMut(), repeats: usize) -> f64 {
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let (lr, mu) = (1.5, 0.5);
    for dim in [2usize, 10, 50, 200] {
        let (k, c) = random_problem(dim, &mut rng);
        let repeats = match dim {
            2 => 2000,
            10 => 500,
            50 => 50,
            _ => 11,
        };
        let mut line =
            format!("{{\"what\": \"sgd-playground exact stationary solve\", \"dim\": {dim}");
        for (name, optimizer) in [
            ("sgd_DxD", Optimizer::Sgd { learning_rate: lr }),
            (
                "sgdm_augmented_2Dx2D",
                Optimizer::Momentum {
                    learning_rate: lr,
                    momentum: mu,
                },
            ),
        ] {
            let build = || {
                Problem::new(
                    Some(k.clone()),
                    Noise::Gaussian {
                        covariance: c.clone(),
                    },
                    optimizer.clone(),
                )
            };
            let Ok(problem) = build() else {
                eprintln!("benchmark problem is invalid");
                return;
            };
            let end_to_end = median_seconds(
                || {
                    if let Ok(p) = build() {
                        let _ = black_box(solver::stationary(&p));
                    }
                },
                repeats,
            );
            let solve_only = median_seconds(
                || {
                    let _ = black_box(solver::stationary(&problem));
                },
                repeats,
            );
            line.push_str(&format!(
                ", \"{name}_build_and_solve_seconds\": {end_to_end:e}, \"{name}_solve_only_seconds\": {solve_only:e}"
            ));
        }
        line.push('}');
        println!("{line}");
    }
    adaptive(&mut rng);
}

/// Adam's β₂ → 1 fixed point (`solver::adaptive`) on the same kind of problems, λ = 0.1: the
/// median seconds of the full search (every start) and of one Newton run from a neighbouring
/// solution's v (as a sweep over λ does it), with the Newton steps each took.
fn adaptive(rng: &mut Xoshiro256PlusPlus) {
    for dim in [2usize, 8, 16, 64] {
        let (k, c) = random_problem(dim, rng);
        let optimizer = |learning_rate| Optimizer::Adaptive {
            learning_rate,
            method: sgd_playground::model::Adaptive::pytorch(
                sgd_playground::model::AdaptiveKind::Adam,
            ),
        };
        let model = |lr| {
            Problem::new(
                Some(k.clone()),
                Noise::Gaussian {
                    covariance: c.clone(),
                },
                optimizer(lr),
            )
        };
        let (Ok(problem), Ok(neighbour)) = (model(0.1), model(0.1 * 1.035)) else {
            eprintln!("benchmark problem is invalid");
            return;
        };
        let Ok(start) = solver::adaptive::stationary(&neighbour) else {
            eprintln!("benchmark problem has no fixed point");
            return;
        };
        let repeats = match dim {
            2 => 500,
            8 => 100,
            16 => 20,
            _ => 3,
        };
        let full = median_seconds(
            || {
                let _ = black_box(solver::adaptive::stationary(&problem));
            },
            repeats,
        );
        let near = median_seconds(
            || {
                let _ = black_box(solver::adaptive::stationary_near(
                    &problem,
                    &start.second_moment,
                ));
            },
            repeats,
        );
        let steps = |r: Result<solver::adaptive::AdaptiveStationary, _>| {
            r.map_or(-1, |s| s.iterations as i64)
        };
        println!(
            "{{\"what\": \"sgd-playground Adam beta2 -> 1 fixed point\", \"dim\": {dim}, \"full_search_seconds\": {full:e}, \"newton_steps\": {}, \"from_neighbour_seconds\": {near:e}, \"newton_steps_from_neighbour\": {}}}",
            steps(solver::adaptive::stationary(&problem)),
            steps(solver::adaptive::stationary_near(&problem, &start.second_moment)),
        );
    }
}
