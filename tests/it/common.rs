//! Shared helpers for the integration tests: seeded random SPD matrices with a controlled
//! spectrum, and a figure's experiment from its configuration text.
#![allow(dead_code)]

use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded generator for test inputs.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// A Haar-ish random orthogonal matrix (QR of a Gaussian matrix).
pub fn random_orthogonal(dim: usize, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    let g = DMatrix::from_fn(dim, dim, |_, _| StandardNormal.sample(rng));
    g.qr().q()
}

/// Q diag(values) Qᵀ, symmetrised exactly.
pub fn with_spectrum(q: &DMatrix<f64>, values: &[f64]) -> DMatrix<f64> {
    let m = q * DMatrix::from_diagonal(&DVector::from_row_slice(values)) * q.transpose();
    (&m + m.transpose()) * 0.5
}

/// Eigenvalues spread log-uniformly over [low, high] (both ends included when dim ≥ 2).
pub fn spread(dim: usize, low: f64, high: f64) -> Vec<f64> {
    if dim == 1 {
        return vec![high];
    }
    (0..dim)
        .map(|i| low * (high / low).powf(i as f64 / (dim - 1) as f64))
        .collect()
}

/// A random SPD matrix with eigenvalues in [low, high] and random eigenvectors.
pub fn random_spd(dim: usize, low: f64, high: f64, rng: &mut Xoshiro256PlusPlus) -> DMatrix<f64> {
    let q = random_orthogonal(dim, rng);
    let mut values = spread(dim, low, high);
    // Shuffle so the largest eigenvalue is not always on the same eigenvector.
    for i in (1..values.len()).rev() {
        let j = rng.random_range(0..=i);
        values.swap(i, j);
    }
    with_spectrum(&q, &values)
}

/// Largest |entry|.
pub fn max_abs(m: &DMatrix<f64>) -> f64 {
    m.iter().fold(0.0_f64, |a, v| a.max(v.abs()))
}

/// max |a − b| / max |b|.
pub fn relative_difference(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    max_abs(&(a - b)) / max_abs(b)
}

/// The experiment of a configuration text that must parse and build (the test fails, naming
/// every problem, otherwise).
pub fn experiment(text: &str) -> sgd_playground::experiments::Experiment {
    let config = match sgd_playground::config::Config::parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("'{text}' should parse, got:\n{errors}"),
    };
    match sgd_playground::experiments::Experiment::new(&config) {
        Ok(experiment) => experiment,
        Err(errors) => panic!("'{text}' should build, got:\n{errors}"),
    }
}
