//! # sgd-playground
//!
//! Exact stationary distributions of discrete-time stochastic gradient descent and its variants
//! near a quadratic minimum, after Liu, Ziyin & Ueda, *Stochastic Gradient Descent with Large
//! Learning Rate*; a seeded simulator to check them; and the browser playground built on both.
//!
//! ```
//! use nalgebra::DMatrix;
//! use sgd_playground::model::{Noise, Optimizer, Problem};
//! use sgd_playground::solver;
//!
//! // L = kw²/2 with k = 1, gradient noise σ² = 1, SGD with λ = 1.5 (Fig. 2(a) of the paper).
//! let problem = Problem::new(
//!     Some(DMatrix::from_element(1, 1, 1.0)),
//!     Noise::Gaussian { covariance: DMatrix::from_element(1, 1, 1.0) },
//!     Optimizer::Sgd { learning_rate: 1.5 },
//! )?;
//! let exact = solver::stationary(&problem)?;
//! // Corollary 1: Σ = λσ²/(k(2 − λk)) = 3, four times the continuous-time λσ²/(2k) = 0.75.
//! assert!((exact.sigma[(0, 0)] - 3.0).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Symbols and identifiers
//!
//! | paper | meaning | here |
//! |---|---|---|
//! | K | Hessian at the minimum | [`model::Problem::hessian`], config key `K` |
//! | C | gradient-noise covariance | [`model::Noise::Gaussian`], key `C` |
//! | λ | learning rate | `learning_rate`, key `lr` |
//! | μ | momentum | `momentum`, key `mu` |
//! | ν | QHM interpolation (Eq. 53) | `nu`, key `nu` |
//! | Λ | preconditioner (Cor. 3) | `preconditioner`, key `P` |
//! | Σ | stationary covariance of w | [`solver::Stationary::sigma`] |
//! | S, N | batch size, data-set size | `batch_size`, `dataset_size`, keys `S`, `N` |
//! | k* | largest eigenvalue of K | [`model::Problem::max_curvature`] |
//!
//! ## Modules
//! [`model`] validates a problem once; [`solver`] computes exact covariances and divergence;
//! [`cost`] counts the work a configuration asks for against each front end's limit;
//! [`closed_forms`] has the paper's formulas (corrected where `ERRATA.md` says so); [`sim`]
//! simulates ensembles; [`config`] is the `key=value&…` language shared by URLs, the CLI and the
//! tests; `cli` (native only) is the command line; `web` (wasm32 only) is the browser layer.
//! `ARCHITECTURE.md` has a paragraph per module.

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod closed_forms;
pub mod config;
pub mod conventions;
pub mod cost;
pub mod error;
pub mod experiments;
pub mod figures;
pub mod json;
pub mod linalg;
pub mod model;
#[cfg(not(target_arch = "wasm32"))]
pub mod parallel;
pub mod playground;
pub mod schedule;
pub mod sim;
pub mod solver;
pub mod spectrum;
#[cfg(target_arch = "wasm32")]
pub mod web;
