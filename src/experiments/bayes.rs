//! `fig=bayes` (Sec. 6.1): SGD as approximate Bayesian inference. The KL divergence D_KL(λ)
//! (Eq. 33) between SGD's stationary Gaussian N(0, Σ) and the posterior N(0, (NK)⁻¹) versus the
//! learning rate, with the minibatch noise C = (N−S)/(NS)·K:
//! - discrete time: Σ the exact stationary covariance, solved by the engine (Eq. 34 in closed
//!   form), which diverges at λ = 2/k*;
//! - continuous time (Mandt et al. 2017): the Ornstein–Uhlenbeck Σ = λ/(2S)·I of C ≈ K/S (their
//!   S ≪ N), whose minimiser is exactly their λ*_c = 2SD/(N Tr K).
//!
//! The exact optimum λ* is the root of Eq. 37 (whose sides carry a factor 2, `ERRATA.md`); Mandt's
//! λ*_c overshoots it for anisotropic K and can land where SGD diverges (`ERRATA.md`).

use nalgebra::DMatrix;

use super::common::{curve, interior, panel, short, CURVE_POINTS};
use super::data::{FigureData, Marker, Role, Scale, Shading};
use super::fig3::matrix_text;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::bayes::{self, OptimalLearningRate};
use crate::config::{rotated_hessian, BayesFigureConfig};
use crate::error::{FieldError, FieldErrors};
use crate::model::{Noise, Optimizer, Problem};
use crate::solver;

/// The x axis extends to this multiple of Mandt's λ*_c when λ*_c lies beyond 2/k*.
const BEYOND_MANDT: f64 = 1.15;

/// The x axis extends to this multiple of 2/k* otherwise (to show the diverged region).
const BEYOND_EDGE: f64 = 1.1;

/// The prepared `fig=bayes`.
pub(crate) struct BayesPlan {
    config: BayesFigureConfig,
    /// K (rotated by `angle`).
    hessian: DMatrix<f64>,
    /// The minibatch noise C = (N−S)/(NS)·K.
    covariance: DMatrix<f64>,
    /// (N−S)/(NS).
    noise_scale: f64,
    /// k*, K's largest eigenvalue.
    largest_curvature: f64,
    /// λ*, λ*_c and their KL divergences.
    optimum: OptimalLearningRate,
}

impl BayesPlan {
    /// Prepares the panel: K, C and the optimum λ* (root of Eq. 37).
    ///
    /// # Errors
    /// A [`FieldError`] naming `K`, `angle`, `N` or `S` (the configuration is validated before,
    /// so only inconsistent inputs reach this).
    pub(crate) fn new(config: &BayesFigureConfig) -> Result<Self, FieldErrors> {
        let hessian = rotated_hessian(&config.hessian, config.angle)?;
        let (n, s) = (config.dataset_size as f64, config.batch_size as f64);
        let noise_scale = (n - s) / (n * s);
        let covariance = &hessian * noise_scale;
        // Builds the model once to report a bad K or S by its key.
        Problem::new(
            Some(hessian.clone()),
            Noise::Gaussian {
                covariance: covariance.clone(),
            },
            Optimizer::Sgd {
                learning_rate: 1e-3,
            },
        )?;
        let optimum =
            bayes::optimal_learning_rate(&hessian, config.dataset_size, config.batch_size)
                .map_err(|error| {
                    FieldError::new(
                        "S",
                        config.batch_size.to_string(),
                        format!("a batch size with an optimal learning rate ({error})"),
                    )
                })?;
        let largest_curvature = crate::linalg::SymmetricEigen::new(&hessian).values.max();
        if !(largest_curvature.is_finite() && largest_curvature > 0.0) {
            return Err(FieldError::new(
                "K",
                matrix_text(&hessian),
                "a symmetric positive definite matrix",
            )
            .into());
        }
        Ok(Self {
            config: config.clone(),
            hessian,
            covariance,
            noise_scale,
            largest_curvature,
            optimum,
        })
    }

    /// D_KL (Eq. 33) at the engine's exact stationary Σ of SGD at `learning_rate`; `None` where
    /// SGD diverges.
    fn discrete_kl(&self, learning_rate: f64) -> Option<f64> {
        let problem = Problem::new(
            Some(self.hessian.clone()),
            Noise::Gaussian {
                covariance: self.covariance.clone(),
            },
            Optimizer::Sgd { learning_rate },
        )
        .ok()?;
        let stationary = solver::stationary(&problem).ok()?;
        bayes::kl_divergence(&self.hessian, &stationary.sigma, self.config.dataset_size).ok()
    }

    /// D_KL (Eq. 33) at Mandt et al.'s continuous-time Σ = λ/(2S)·I (the Ornstein–Uhlenbeck
    /// ΣK + KΣ = λC with C = K/S).
    fn continuous_kl(&self, learning_rate: f64) -> Option<f64> {
        let d = self.hessian.nrows();
        let sigma =
            DMatrix::identity(d, d) * (learning_rate / (2.0 * self.config.batch_size as f64));
        bayes::kl_divergence(&self.hessian, &sigma, self.config.dataset_size).ok()
    }
}

/// `values` with `extra` inserted in order (if it lies strictly inside their range).
fn with_point(mut values: Vec<f64>, extra: f64) -> Vec<f64> {
    if extra.is_finite() {
        values.push(extra);
        values.sort_by(f64::total_cmp);
        values.dedup();
    }
    values
}

impl FigurePlan for BayesPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let (n, s) = (config.dataset_size, config.batch_size);
        let d = self.hessian.nrows();
        let edge = 2.0 / self.largest_curvature;
        let optimal = self.optimum.learning_rate;
        let mandt = &self.optimum.mandt;
        let mandt_lr = mandt.learning_rate;
        let mandt_diverges = !mandt.stable || mandt_lr >= edge;
        let x_max = if mandt_diverges {
            BEYOND_MANDT * mandt_lr
        } else {
            (BEYOND_EDGE * edge).max(BEYOND_MANDT * mandt_lr)
        };
        let mut panel = panel(
            format!(
                "K = {}, N = {n}, S = {s}: D_KL(q_λ ‖ posterior)",
                matrix_text(&self.hessian)
            ),
            "learning rate λ",
            "D_KL (Eq. 33)",
            (0.0, x_max),
            Scale::Linear,
        );
        let discrete_grid = with_point(interior(0.0, edge, CURVE_POINTS), optimal);
        let discrete = curve(
            "discrete: Eq. 33 with the exact Σ",
            Role::DiscreteTheory,
            &discrete_grid,
            |lr| self.discrete_kl(lr),
        );
        let continuous_grid = with_point(interior(0.0, x_max, CURVE_POINTS), mandt_lr);
        let continuous = curve(
            "continuous time (Mandt et al.): Eq. 33 with Σ = λ/(2S)·I",
            Role::ContinuousTheory,
            &continuous_grid,
            |lr| self.continuous_kl(lr),
        );
        // y range: the minimum region and both optima, not the poles at λ → 0 and λ → 2/k*
        // (the drawing clips what lies above).
        let discrete_optimum = self.discrete_kl(optimal);
        let continuous_optimum = self.continuous_kl(mandt_lr);
        let candidates = [
            discrete_optimum.map(|kl| 3.0 * kl),
            continuous_optimum.map(|kl| 3.0 * kl),
            self.discrete_kl(optimal / 3.0),
            self.continuous_kl(mandt_lr / 3.0),
            if mandt_diverges {
                None
            } else {
                self.discrete_kl(mandt_lr).map(|kl| 1.5 * kl)
            },
        ];
        let top = candidates
            .iter()
            .flatten()
            .copied()
            .filter(|y| y.is_finite())
            .fold(0.0_f64, f64::max);
        panel.y_range = (0.0, if top > 0.0 { top } else { 1.0 });
        panel.curves.push(discrete);
        panel.curves.push(continuous);
        panel.markers.push(Marker {
            x: optimal,
            label: format!("λ* = {} (exact optimum, root of Eq. 37)", short(optimal)),
        });
        panel.markers.push(Marker {
            x: mandt_lr,
            label: format!("λ*_c = 2SD/(N Tr K) = {} (Mandt et al.)", short(mandt_lr)),
        });
        panel.markers.push(Marker {
            x: edge,
            label: format!("λ = 2/k* = {} (divergence)", short(edge)),
        });
        panel.shadings.push(Shading {
            from: edge,
            to: x_max,
            label: "SGD diverges (λk* ≥ 2)".to_string(),
        });

        let mut notes = Vec::new();
        let kl_text = |kl: Option<f64>| kl.map_or_else(|| "—".to_string(), short);
        let mandt_text = if mandt_diverges {
            notes.push(format!(
                "Mandt's λ*_c = {} lies beyond the divergence 2/k* = {}: SGD has no stationary \
                 distribution there (ERRATA.md)",
                short(mandt_lr),
                short(edge)
            ));
            "where SGD diverges (no stationary distribution; ERRATA.md)".to_string()
        } else {
            format!("where the exact D_KL = {}", kl_text(mandt.kl))
        };
        let caption = format!(
            "SGD (Eq. 6) as approximate Bayesian inference on L = wᵀKw/2 with K = {} (D = {d}, \
             k* = {}), N = {n} data and batches of S = {s}: minibatch noise C = (N−S)/(NS)·K = {}·K. \
             The curves are the KL divergence D_KL(q‖f) (Eq. 33) between SGD's stationary \
             Gaussian q = N(0, Σ) and the posterior f = N(0, (NK)⁻¹). Discrete: Σ the exact \
             stationary covariance (engine; Eq. 34, Σ = λ(N−S)/(NS)·(2I − λK)⁻¹), which diverges \
             at λ = 2/k* = {} (shaded beyond). Continuous: Mandt et al.'s Σ = λ/(2S)·I (C ≈ K/S, \
             S ≪ N), minimised exactly at their λ*_c = 2SD/(N Tr K); with the same C = \
             (N−S)/(NS)·K the continuous Σ would be λ(N−S)/(2NS)·I, minimised at N/(N−S)·λ*_c. \
             The exact optimum is λ* = {} (root of Eq. 37, whose sides are twice ∂D_KL/∂λ: \
             ERRATA.md), with D_KL = {}; Mandt's λ*_c = {} = {}·λ*, {}. λ*_c = λ* only when K is \
             isotropic.",
            matrix_text(&self.hessian),
            short(self.largest_curvature),
            short(self.noise_scale),
            short(edge),
            short(optimal),
            short(self.optimum.kl),
            short(mandt_lr),
            short(mandt.ratio_to_optimal),
            mandt_text,
        );
        FigureData {
            id: "bayes".to_string(),
            title: "Sec. 6.1 — Bayes-optimal learning rate".to_string(),
            caption,
            panels: vec![panel],
            table: None,
            notes,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MatrixSpec;

    fn plan(diagonal: &[f64], n: usize, s: usize) -> BayesPlan {
        let config = BayesFigureConfig {
            hessian: MatrixSpec::Diagonal(diagonal.to_vec()),
            angle: 0.0,
            dataset_size: n,
            batch_size: s,
        };
        match BayesPlan::new(&config) {
            Ok(plan) => plan,
            Err(errors) => panic!("{errors}"),
        }
    }

    #[test]
    fn the_engine_kl_is_eq_33_at_eq_34() {
        let plan = plan(&[1.0, 0.1], 1000, 100);
        for lr in [0.05, 0.3, 1.0, 1.9] {
            let engine = plan.discrete_kl(lr).unwrap_or(f64::NAN);
            let closed = bayes::kl_at_learning_rate(&plan.hessian, lr, 1000, 100).unwrap_or(0.0);
            assert!(
                (engine - closed).abs() <= 1e-10 * (1.0 + closed.abs()),
                "{lr}: {engine} {closed}"
            );
        }
        assert!(plan.discrete_kl(2.0).is_none());
    }

    #[test]
    fn isotropic_optimum_is_mandts_with_zero_kl() {
        let plan = plan(&[0.5], 200, 20);
        let mandt = plan.optimum.mandt.learning_rate;
        assert!((plan.optimum.learning_rate - mandt).abs() < 1e-12 * mandt);
        let figure = plan.build(&[]);
        assert!(figure.notes.is_empty());
        assert!(figure.panels[0].y_range.1 > 0.0);
    }
}
