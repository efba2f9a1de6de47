//! Fig. 3: 2-D SGD with white noise, the particles' cloud in K's eigenbasis with the 3σ ellipses
//! {xᵀΣ⁻¹x = 9} of the discrete theory (Corollary 1, solved exactly by the engine for any C) and of
//! the continuous theory (Eq. 4), one panel per λ. A 3σ ellipse holds 98.9% of a 2-D Gaussian (the
//! paper's "99%").

use nalgebra::{DMatrix, Matrix2};

use super::common::{
    count, ellipse, exact, exact_list, extents, inside, matrix2, panel, short, sorted_eigenbasis,
    task_seed,
};
use super::data::{Curve, FigureData, Panel, Role, Scale, Scatter};
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::config::WhiteNoiseScatterFigureConfig;
use crate::error::FieldErrors;
use crate::model::{Noise, Optimizer, Problem};
use crate::sim::EnsembleSpec;
use crate::solver;

/// The radius of the ellipses: 3σ.
pub(crate) const SIGMAS: f64 = 3.0;

/// Fraction of a 2-D Gaussian inside its 3σ ellipse: 1 − e^{−9/2}.
pub(crate) fn gaussian_fraction_inside() -> f64 {
    1.0 - (-SIGMAS * SIGMAS / 2.0).exp()
}

/// One panel's theory: the covariances in K's eigenbasis.
pub(crate) struct PanelTheory {
    /// λ.
    pub learning_rate: f64,
    /// Discrete-time (the paper's) Σ, if stationary.
    pub discrete: Option<Matrix2<f64>>,
    /// Continuous-time Σ.
    pub continuous: Matrix2<f64>,
    /// Exact Σ (Fig. 4's exact minibatch theory), if any and stationary.
    pub exact: Option<Matrix2<f64>>,
}

/// Builds a scatter panel: ellipses, the cloud (projected by `project`) and the fractions inside.
pub(crate) fn scatter_panel(
    theory: &PanelTheory,
    axis_labels: (String, String),
    discrete_label: &str,
    cloud: Option<&[(f64, f64)]>,
    note: Option<&str>,
) -> Panel {
    let mut title = format!("λ = {}", exact(theory.learning_rate));
    if let Some(note) = note {
        title.push_str(" — ");
        title.push_str(note);
    }
    let mut panel = panel(
        title,
        axis_labels.0,
        axis_labels.1,
        (-1.0, 1.0),
        Scale::Linear,
    );
    let mut ellipses = Vec::new();
    if let Some(sigma) = &theory.discrete {
        ellipses.push(Curve {
            label: discrete_label.to_string(),
            role: Role::DiscreteTheory,
            points: ellipse(sigma, SIGMAS),
        });
    }
    ellipses.push(Curve {
        label: "continuous theory, 3σ".to_string(),
        role: Role::ContinuousTheory,
        points: ellipse(&theory.continuous, SIGMAS),
    });
    if let Some(sigma) = &theory.exact {
        ellipses.push(Curve {
            label: "exact minibatch theory, 3σ".to_string(),
            role: Role::ExactTheory,
            points: ellipse(sigma, SIGMAS),
        });
    }
    let (mut x_extent, mut y_extent) = (0.0_f64, 0.0_f64);
    for curve in &ellipses {
        let (x, y) = extents(&curve.points);
        x_extent = x_extent.max(x);
        y_extent = y_extent.max(y);
    }
    panel.curves = ellipses;
    if let Some(points) = cloud {
        let total = points.len().max(1) as f64;
        let fraction = |sigma: &Matrix2<f64>| {
            points
                .iter()
                .filter(|(x, y)| inside(sigma, SIGMAS, *x, *y))
                .count() as f64
                / total
        };
        // One legend entry for every panel; each panel's title carries its own fractions.
        let (which, inside) = match theory.exact.as_ref().or(theory.discrete.as_ref()) {
            Some(sigma) => (
                if theory.exact.is_some() {
                    "exact"
                } else {
                    "discrete"
                },
                short(100.0 * fraction(sigma)),
            ),
            None => ("discrete", "–".to_string()),
        };
        let drawn = super::data::drawn_sample(points);
        let shown = if drawn.len() < points.len() {
            format!(
                "{} particles per panel, {} drawn",
                points.len(),
                drawn.len()
            )
        } else {
            format!("{} points per panel", points.len())
        };
        let label =
            format!("simulation ({shown}; title: % inside the {which} / continuous 3σ ellipse)");
        panel.title = format!(
            "{} ({}% / {}%)",
            panel.title,
            inside,
            short(100.0 * fraction(&theory.continuous))
        );
        let (x, y) = extents(points);
        x_extent = x_extent.max(x);
        y_extent = y_extent.max(y);
        panel.scatters.push(Scatter {
            label,
            role: Role::Simulation,
            points: drawn,
        });
    }
    let pad = |extent: f64| if extent > 0.0 { 1.1 * extent } else { 1.0 };
    panel.x_range = (-pad(x_extent), pad(x_extent));
    panel.y_range = (-pad(y_extent), pad(y_extent));
    panel
}

/// The final positions of a finished task, projected on `basis` (columns) around `centre`.
pub(crate) fn projected_cloud(
    outcomes: &[(TaskLabel, Outcome)],
    panel: usize,
    basis: &DMatrix<f64>,
    centre: (f64, f64),
) -> Option<Vec<(f64, f64)>> {
    outcomes.iter().find_map(|(label, outcome)| match outcome {
        Outcome::Positions {
            weights, dimension, ..
        } if label.panel == panel && *dimension == 2 => Some(
            weights
                .chunks_exact(2)
                .map(|w| {
                    let (u, v) = (w[0] - centre.0, w[1] - centre.1);
                    (
                        basis[(0, 0)] * u + basis[(1, 0)] * v,
                        basis[(0, 1)] * u + basis[(1, 1)] * v,
                    )
                })
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect(),
        ),
        _ => None,
    })
}

/// The prepared Fig. 3.
pub(crate) struct WhiteNoiseScatterPlan {
    config: WhiteNoiseScatterFigureConfig,
    hessian: DMatrix<f64>,
    covariance: DMatrix<f64>,
    /// K's eigenvalues, decreasing, and eigenvectors (columns).
    curvatures: Vec<f64>,
    basis: DMatrix<f64>,
    panels: Vec<PanelTheory>,
}

impl WhiteNoiseScatterPlan {
    pub(crate) fn new(config: &WhiteNoiseScatterFigureConfig) -> Result<Self, FieldErrors> {
        let hessian = config.hessian.to_matrix();
        let covariance = config
            .covariance
            .resolve(2)
            .unwrap_or_else(|| DMatrix::identity(2, 2));
        let (curvatures, basis) = sorted_eigenbasis(&hessian);
        let covariance_in_basis = basis.transpose() * &covariance * &basis;
        let mut panels = Vec::new();
        for &learning_rate in &config.learning_rates {
            let problem = Problem::new(
                Some(hessian.clone()),
                Noise::Gaussian {
                    covariance: covariance.clone(),
                },
                Optimizer::Sgd { learning_rate },
            )?;
            let discrete = solver::stationary(&problem)
                .ok()
                .map(|stationary| matrix2(&(basis.transpose() * &stationary.sigma * &basis)));
            // Eq. 4 in K's eigenbasis: Σ̃_ij = λC̃_ij/(k_i + k_j).
            let continuous = Matrix2::from_fn(|i, j| {
                learning_rate * covariance_in_basis[(i, j)] / (curvatures[i] + curvatures[j])
            });
            panels.push(PanelTheory {
                learning_rate,
                discrete,
                continuous,
                exact: None,
            });
        }
        Ok(Self {
            config: config.clone(),
            hessian,
            covariance,
            curvatures,
            basis,
            panels,
        })
    }
}

impl FigurePlan for WhiteNoiseScatterPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let (k1, k2) = (self.curvatures[0], self.curvatures[1]);
        let panels = self
            .panels
            .iter()
            .enumerate()
            .map(|(index, theory)| {
                let cloud = projected_cloud(outcomes, index, &self.basis, (0.0, 0.0));
                scatter_panel(
                    theory,
                    (
                        format!("w·e₁ (k₁ = {})", short(k1)),
                        format!("w·e₂ (k₂ = {})", short(k2)),
                    ),
                    "discrete theory (Cor. 1), 3σ",
                    cloud.as_deref(),
                    None,
                )
            })
            .collect();
        let config = &self.config;
        let simulation = &config.simulation;
        let slowest = config
            .learning_rates
            .iter()
            .fold(f64::INFINITY, |acc, &lr| acc.min(lr))
            * k2;
        let needed = 50.0 / slowest;
        let steps_note = if simulation.steps as f64 >= needed {
            format!("≥ 50/(k₂λ) = {} for every λ: stationary", short(needed))
        } else {
            format!(
                "shorter than 50/(k₂λ) = {} at the smallest λ: that cloud is not yet stationary \
                 along e₂",
                short(needed)
            )
        };
        let caption = format!(
            "2-D SGD on L = wᵀKw/2 with K = {} (eigenvalues k₁ = {}, k₂ = {}) and Gaussian noise of \
             covariance C = {}, shown in K's eigenbasis (e₁ the stiff direction). Ellipses: the \
             boundary {{xᵀΣ⁻¹x = 9}} (3σ, holding {}% of a 2-D Gaussian: the paper's \"99%\") of \
             the discrete-time Σ = λ[K(2I − λK)]⁻¹C (Corollary 1; for diagonal K and C = I, \
             diag(λ/(k₁(2−λk₁)), λ/(k₂(2−λk₂)))) and of the continuous-time Σ (Eq. 4, \
             ΣK + KΣ = λC; λ/(2k)·C for C = I). Points: {} particles per λ = {}, each run {} steps \
             from w₀ = 0 ({steps_note}), their final positions (seed {}).",
            matrix_text(&self.hessian),
            short(k1),
            short(k2),
            matrix_text(&self.covariance),
            short(100.0 * gaussian_fraction_inside()),
            count(simulation.particles),
            exact_list(&config.learning_rates),
            simulation.steps,
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "3".to_string(),
            title: "Fig. 3 — 2-D white noise: stationary clouds and 3σ ellipses".to_string(),
            caption,
            panels,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let simulation = &self.config.simulation;
        self.panels
            .iter()
            .enumerate()
            .filter(|(_, theory)| theory.discrete.is_some())
            .filter_map(|(index, theory)| {
                let problem = Problem::new(
                    Some(self.hessian.clone()),
                    Noise::Gaussian {
                        covariance: self.covariance.clone(),
                    },
                    Optimizer::Sgd {
                        learning_rate: theory.learning_rate,
                    },
                )
                .ok()?;
                Some(Task {
                    label: TaskLabel {
                        panel: index,
                        x: theory.learning_rate,
                    },
                    kind: TaskKind::Ensemble {
                        problem: Box::new(problem),
                        spec: EnsembleSpec {
                            particles: simulation.particles,
                            seed: task_seed(simulation.seed, index),
                            ..EnsembleSpec::default()
                        },
                        steps: simulation.steps,
                        measure: Measure::FinalPositions,
                        work_per_particle_step: 2,
                        schedule: None,
                    },
                })
            })
            .collect()
    }
}

/// A matrix in words: `diag(1, 0.1)` or `[[a, b], [c, d]]`.
pub(crate) fn matrix_text(m: &DMatrix<f64>) -> String {
    let off_diagonal = (0..m.nrows()).any(|i| (0..m.ncols()).any(|j| i != j && m[(i, j)] != 0.0));
    if off_diagonal {
        let rows: Vec<String> = (0..m.nrows())
            .map(|i| {
                let row: Vec<String> = (0..m.ncols()).map(|j| short(m[(i, j)])).collect();
                format!("[{}]", row.join(", "))
            })
            .collect();
        format!("[{}]", rows.join(", "))
    } else {
        let diagonal: Vec<String> = (0..m.nrows()).map(|i| short(m[(i, i)])).collect();
        format!("diag({})", diagonal.join(", "))
    }
}
