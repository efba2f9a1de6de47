//! `fig=newton` (Sec. 6.5): the stationary Σ of damped Newton (DNM, Λ = λK⁻¹) and natural
//! gradient (NGD, Λ = λ(KΣK)⁻¹, self-consistent) next to SGD's, in 2-D, as 3σ ellipses in the
//! plain coordinates (w₁, w₂), to show how each aligns with the posterior's shape K⁻¹:
//! - (a) white noise C: NGD's Σ (Eq. 62) is only close to ∝ K⁻¹, DNM's is ∝ K⁻¹CK⁻¹ (Eq. 58);
//! - (b) minibatch noise: NGD with its Fisher noise C = (N−S)/(NS)·KΣK (Eq. 63) has Σ ∝ K⁻¹
//!   exactly; DNM and SGD get the Hessian-proportional C = (N−S)/(NS)·K (Eq. 59 and Eq. 34).
//!
//! Every Σ is the engine's (`solver::stationary`); the closed forms are in the labels and checked
//! by the tests.

use nalgebra::DMatrix;

use super::common::{ellipse, exact, extents, matrix2, panel, short};
use super::data::{Curve, FigureData, Panel, Role, Scale};
use super::fig3::{matrix_text, SIGMAS};
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::{hessian_and_covariance, SecondOrderFigureConfig};
use crate::error::{FieldError, FieldErrors};
use crate::linalg::SymmetricEigen;
use crate::model::{Noise, Optimizer, Problem};
use crate::solver;

/// Relative eigenvalue gap below which a 2×2 covariance has no major axis (isotropic).
const ISOTROPIC: f64 = 1e-9;

/// One method's stationary Σ in one panel, or why there is none.
struct Method {
    /// Short name for the caption and notes: `SGD`, `DNM`, `NGD`.
    name: &'static str,
    /// Legend text with the closed form.
    label: String,
    /// Its role (colour).
    role: Role,
    /// Σ, or the divergence (or invalid model) in words.
    sigma: Result<DMatrix<f64>, String>,
}

/// The prepared `fig=newton`.
pub(crate) struct SecondOrderPlan {
    config: SecondOrderFigureConfig,
    /// K (rotated by `angle`).
    hessian: DMatrix<f64>,
    /// White-noise C of panel (a).
    covariance: DMatrix<f64>,
    /// Panel (a)'s and (b)'s methods.
    white: Vec<Method>,
    fisher: Vec<Method>,
}

/// The engine's Σ of a model, or the reason there is none.
fn solve(
    hessian: &DMatrix<f64>,
    noise: Noise,
    optimizer: Optimizer,
) -> Result<DMatrix<f64>, String> {
    let problem = Problem::new(Some(hessian.clone()), noise, optimizer)
        .map_err(|errors| errors.to_string())?;
    let stationary = solver::stationary(&problem).map_err(|divergence| divergence.reason)?;
    if stationary.sigma.iter().all(|x| x.is_finite()) {
        Ok(stationary.sigma)
    } else {
        Err("Σ is not finite".to_string())
    }
}

impl SecondOrderPlan {
    /// Solves the six stationary covariances.
    ///
    /// # Errors
    /// A [`FieldError`] naming `K`, `angle` or `C` (the configuration is validated before, so
    /// only inconsistent inputs reach this).
    pub(crate) fn new(config: &SecondOrderFigureConfig) -> Result<Self, FieldErrors> {
        let (hessian, covariance) =
            hessian_and_covariance(&config.hessian, config.angle, &config.covariance)?;
        if hessian.nrows() != 2 {
            return Err(FieldError::new(
                "K",
                config.hessian.to_string(),
                "a 2×2 symmetric positive definite matrix (fig=newton is 2-dimensional)",
            )
            .into());
        }
        let (lr, mu) = (config.learning_rate, config.momentum);
        let (n, s) = (config.dataset_size as f64, config.batch_size as f64);
        let hessian_noise = &hessian * ((n - s) / (n * s));
        let first_order = if mu > 0.0 {
            Optimizer::Momentum {
                learning_rate: lr,
                momentum: mu,
            }
        } else {
            Optimizer::Sgd { learning_rate: lr }
        };
        let first_order_name = if mu > 0.0 { "SGDM" } else { "SGD" };
        let newton = Optimizer::DampedNewton {
            learning_rate: lr,
            momentum: mu,
        };
        let natural = Optimizer::NaturalGradient {
            learning_rate: lr,
            momentum: mu,
        };
        let gaussian = |covariance: &DMatrix<f64>| Noise::Gaussian {
            covariance: covariance.clone(),
        };
        let white = vec![
            Method {
                name: first_order_name,
                label: if mu > 0.0 {
                    "SGDM, exact Σ (Eq. 16)".to_string()
                } else {
                    "SGD, exact Σ: ΣK + KΣ − λKΣK = λC (Eq. 8)".to_string()
                },
                role: Role::DiscreteTheory,
                sigma: solve(&hessian, gaussian(&covariance), first_order.clone()),
            },
            Method {
                name: "DNM",
                label: "DNM, Σ = (1+μ)/(1−μ)·λ/(2(1+μ) − λ)·K⁻¹CK⁻¹ (Eq. 58)".to_string(),
                role: Role::ExactTheory,
                sigma: solve(&hessian, gaussian(&covariance), newton.clone()),
            },
            Method {
                name: "NGD",
                label: "NGD, Σ = ½K⁻¹[Q + λ/(2(1+μ))·I], self-consistent Λ (Eq. 62)".to_string(),
                role: Role::FittedTheory,
                sigma: solve(&hessian, gaussian(&covariance), natural.clone()),
            },
        ];
        let fisher = vec![
            Method {
                name: first_order_name,
                label: if mu > 0.0 {
                    "SGDM, C = (N−S)/(NS)·K, exact Σ (Eq. 16)".to_string()
                } else {
                    "SGD, C = (N−S)/(NS)·K: Σ = λ(N−S)/(NS)·(2I − λK)⁻¹ (Eq. 34)".to_string()
                },
                role: Role::DiscreteTheory,
                sigma: solve(&hessian, gaussian(&hessian_noise), first_order),
            },
            Method {
                name: "DNM",
                label: "DNM, C = (N−S)/(NS)·K: Σ = (1+μ)/(1−μ)·λ/(2(1+μ) − λ)·(N−S)/(NS)·K⁻¹ \
                        (Eq. 59)"
                    .to_string(),
                role: Role::ExactTheory,
                sigma: solve(&hessian, gaussian(&hessian_noise), newton),
            },
            Method {
                name: "NGD",
                label: "NGD, Fisher noise: Σ = λ[(1+μ)(N−S)/(NS) + 1 − μ]/(2(1−μ²))·K⁻¹ (Eq. 63)"
                    .to_string(),
                role: Role::FittedTheory,
                sigma: solve(
                    &hessian,
                    Noise::Fisher {
                        dataset_size: config.dataset_size,
                        batch_size: config.batch_size,
                    },
                    natural,
                ),
            },
        ];
        Ok(Self {
            config: config.clone(),
            hessian,
            covariance,
            white,
            fisher,
        })
    }

    /// K⁻¹ scaled to the trace of the first available Σ among `methods` (NGD's first).
    fn posterior_shape(&self, methods: &[Method]) -> Option<DMatrix<f64>> {
        let inverse = SymmetricEigen::new(&self.hessian).map(|k| 1.0 / k);
        let trace = methods
            .iter()
            .rev()
            .find_map(|method| method.sigma.as_ref().ok())
            .map(DMatrix::trace)?;
        let scale = trace / inverse.trace();
        scale.is_finite().then(|| inverse * scale)
    }

    /// One panel: the methods' 3σ ellipses and the ∝ K⁻¹ reference, equal symmetric ranges.
    fn ellipse_panel(&self, title: String, methods: &[Method]) -> Panel {
        let mut panel = panel(title, "w₁", "w₂", (-1.0, 1.0), Scale::Linear);
        for method in methods {
            if let Ok(sigma) = &method.sigma {
                let points = ellipse(&matrix2(sigma), SIGMAS);
                if !points.is_empty() {
                    panel.curves.push(Curve {
                        label: format!("{}, 3σ", method.label),
                        role: method.role,
                        points,
                    });
                }
            }
        }
        if let Some(shape) = self.posterior_shape(methods) {
            let points = ellipse(&matrix2(&shape), SIGMAS);
            if !points.is_empty() {
                panel.curves.push(Curve {
                    label: "∝ K⁻¹ (posterior shape), scaled to NGD's trace".to_string(),
                    role: Role::Reference,
                    points,
                });
            }
        }
        let extent = panel
            .curves
            .iter()
            .map(|curve| {
                let (x, y) = extents(&curve.points);
                x.max(y)
            })
            .fold(0.0_f64, f64::max);
        let half = if extent > 0.0 && extent.is_finite() {
            1.1 * extent
        } else {
            1.0
        };
        panel.x_range = (-half, half);
        panel.y_range = (-half, half);
        panel
    }

    /// Each method's alignment with K⁻¹, for the caption.
    fn alignment_text(&self, methods: &[Method]) -> String {
        let inverse = SymmetricEigen::new(&self.hessian).map(|k| 1.0 / k);
        let root = SymmetricEigen::new(&self.hessian).map(f64::sqrt);
        methods
            .iter()
            .map(|method| match &method.sigma {
                Ok(sigma) => {
                    let angle = match (major_axis(sigma), major_axis(&inverse)) {
                        (Some(a), Some(b)) => {
                            // atan2 keeps full precision near 0° (acos(1 − ε) loses half).
                            let cross = (a.0 * b.1 - a.1 * b.0).abs();
                            let dot = (a.0 * b.0 + a.1 * b.1).abs();
                            let degrees = cross.atan2(dot).to_degrees();
                            format!("{}°", short(if degrees < 1e-9 { 0.0 } else { degrees }))
                        }
                        _ => "— (no major axis)".to_string(),
                    };
                    format!(
                        "{}: major axis {angle} from K⁻¹'s, eig(ΣK) max/min = {}",
                        method.name,
                        short(spread(&(&root * sigma * &root)))
                    )
                }
                Err(_) => format!("{}: diverges", method.name),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The unit major eigenvector of a symmetric 2×2 matrix; `None` when it is isotropic.
fn major_axis(m: &DMatrix<f64>) -> Option<(f64, f64)> {
    let eigen = SymmetricEigen::new(m);
    let (high, low) = (eigen.values.max(), eigen.values.min());
    if !(high > 0.0 && (high - low) > ISOTROPIC * high) {
        return None;
    }
    let index = eigen.values.imax();
    let v = eigen.vectors.column(index);
    Some((v[0], v[1]))
}

/// The ratio of the largest to the smallest eigenvalue of a symmetric matrix (1: ∝ I).
fn spread(m: &DMatrix<f64>) -> f64 {
    let eigen = SymmetricEigen::new(m);
    eigen.values.max() / eigen.values.min()
}

impl FigurePlan for SecondOrderPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let (n, s) = (config.dataset_size, config.batch_size);
        let panels = vec![
            self.ellipse_panel(
                format!("(a) white noise C = {}", matrix_text(&self.covariance)),
                &self.white,
            ),
            self.ellipse_panel(
                format!("(b) minibatch Fisher noise (Eq. 63), N = {n}, S = {s}"),
                &self.fisher,
            ),
        ];
        let mut notes = Vec::new();
        for (panel, methods) in [("(a)", &self.white), ("(b)", &self.fisher)] {
            for method in methods.iter() {
                if let Err(reason) = &method.sigma {
                    notes.push(format!(
                        "{} in panel {panel}: {reason}; its ellipse is left out",
                        method.name
                    ));
                }
            }
        }
        let caption = format!(
            "Stationary covariances of three methods on L = wᵀKw/2 with K = {}{}, λ = {}, μ = {}: 3σ ellipses wᵀΣ⁻¹w = 9 in the plain coordinates (w₁, w₂), \
             every Σ solved exactly by the engine. DNM preconditions with Λ = λK⁻¹, NGD with \
             Λ = λ(KΣK)⁻¹ where Σ is its own stationary covariance (self-consistent). The thin grey \
             ellipse is K⁻¹, the posterior's shape, scaled to NGD's trace. (a) White noise C = {}: \
             {}. (b) Minibatch noise with N = {n}, S = {s}: NGD with its Fisher noise \
             C = (N−S)/(NS)·KΣK (Eq. 63) has Σ ∝ K⁻¹ exactly; DNM and SGD get the \
             Hessian-proportional C = (N−S)/(NS)·K: {}. (Angles between major axes; eig(ΣK) \
             max/min = 1 means Σ ∝ K⁻¹.)",
            matrix_text(&self.hessian),
            if !crate::config::angle_applies(&config.hessian, config.angle) {
                String::new()
            } else {
                format!(
                    " ({} rotated by {}°)",
                    matrix_text(&config.hessian.to_matrix()),
                    exact(config.angle)
                )
            },
            exact(config.learning_rate),
            exact(config.momentum),
            matrix_text(&self.covariance),
            self.alignment_text(&self.white),
            self.alignment_text(&self.fisher),
        );
        FigureData {
            id: "newton".to_string(),
            title: "Sec. 6.5 — damped Newton and natural gradient: Σ against K⁻¹".to_string(),
            caption,
            panels,
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
    use crate::closed_forms::second_order;
    use crate::config::MatrixSpec;

    fn relative(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
        (a - b).abs().max() / b.abs().max()
    }

    #[test]
    fn engine_matches_eq_58_59_62_63() {
        let config = SecondOrderFigureConfig {
            hessian: MatrixSpec::Diagonal(vec![1.0, 0.1]),
            angle: 30.0,
            covariance: MatrixSpec::Diagonal(vec![1.0, 0.3]),
            learning_rate: 0.5,
            momentum: 0.3,
            dataset_size: 1000,
            batch_size: 100,
        };
        let plan = match SecondOrderPlan::new(&config) {
            Ok(plan) => plan,
            Err(errors) => panic!("{errors}"),
        };
        let k = &plan.hessian;
        let c = &plan.covariance;
        let sigma = |methods: &[Method], i: usize| match &methods[i].sigma {
            Ok(sigma) => sigma.clone(),
            Err(reason) => panic!("{reason}"),
        };
        let closed = [
            (
                sigma(&plan.white, 1),
                second_order::damped_newton_sigma(k, c, 0.5, 0.3),
            ),
            (
                sigma(&plan.white, 2),
                second_order::natural_gradient_sigma(k, c, 0.5, 0.3),
            ),
            (
                sigma(&plan.fisher, 1),
                second_order::damped_newton_sigma_minibatch(k, 0.5, 0.3, 1000, 100),
            ),
            (
                sigma(&plan.fisher, 2),
                second_order::natural_gradient_sigma_fisher(k, 0.5, 0.3, 1000, 100),
            ),
        ];
        for (engine, closed) in closed {
            let closed = closed.unwrap_or_else(|error| panic!("{error}"));
            assert!(relative(&engine, &closed) < 1e-10, "{engine} {closed}");
        }
    }
}
