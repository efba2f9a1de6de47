//! The benchmark workloads of the simulator (Fig. 2(a) and Fig. 3 of the paper, and Adam on
//! Fig. 3's model), shared by the
//! native benchmark (`benches/simulate.rs`) and the wasm one (`scripts/bench-wasm.sh`), so both
//! measure exactly the same code.

use nalgebra::DMatrix;

use super::{Ensemble, EnsembleSpec};
use crate::model::{Noise, Optimizer, Problem};

/// Which figure's workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Fig. 2(a): 1-D SGD, k = 1, σ² = 1.
    Figure2a,
    /// Fig. 3: 2-D SGD, K = diag(1, 0.1), C = I.
    Figure3,
    /// `fig=adam`'s ensembles: 2-D PyTorch Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, bias
    /// correction on), K = diag(1, 0.1), C = I (the general path: no lanes for adaptive steps).
    Adam,
}

impl Workload {
    /// Parses `2a` or `3`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "2a" => Some(Self::Figure2a),
            "3" => Some(Self::Figure3),
            "adam" => Some(Self::Adam),
            _ => None,
        }
    }
}

/// Number of learning rates of the workloads: λ_j = 2j/41, j = 1..40 (all of (0, 2/k*)).
pub const LEARNING_RATES: usize = 40;

/// Runs `LEARNING_RATES` ensembles of `particles` particles for `steps` steps each from w₀ = 0 and
/// returns (particle-steps done, a checksum of the final variances so the work cannot be skipped).
pub fn run(workload: Workload, particles: usize, steps: u64) -> (f64, f64) {
    let (hessian, covariance) = match workload {
        Workload::Figure2a => (
            DMatrix::from_element(1, 1, 1.0),
            DMatrix::from_element(1, 1, 1.0),
        ),
        Workload::Figure3 | Workload::Adam => (
            DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 0.1])),
            DMatrix::identity(2, 2),
        ),
    };
    let mut checksum = 0.0;
    for j in 1..=LEARNING_RATES {
        let learning_rate = 2.0 * j as f64 / (LEARNING_RATES + 1) as f64;
        let Ok(problem) = Problem::new(
            Some(hessian.clone()),
            Noise::Gaussian {
                covariance: covariance.clone(),
            },
            match workload {
                Workload::Adam => Optimizer::Adaptive {
                    learning_rate,
                    method: crate::model::Adaptive::pytorch(crate::model::AdaptiveKind::Adam),
                },
                _ => Optimizer::Sgd { learning_rate },
            },
        ) else {
            return (0.0, f64::NAN);
        };
        let spec = EnsembleSpec {
            particles,
            seed: j as u64,
            ..EnsembleSpec::default()
        };
        let Ok(mut ensemble) = Ensemble::new(&problem, &spec) else {
            return (0.0, f64::NAN);
        };
        ensemble.advance(steps);
        checksum += ensemble.statistics().covariance[(0, 0)];
    }
    ((LEARNING_RATES * particles) as f64 * steps as f64, checksum)
}
