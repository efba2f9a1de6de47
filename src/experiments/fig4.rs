//! Fig. 4: 2-D minibatch regression (Eq. 28, x ~ N(0, diag(1, 0.1))), the particles' cloud around
//! ŵ in K's eigenbasis with 3σ ellipses: the paper's Σ = (λ/S)(2I − λK)⁻¹ (Corollary 4 with
//! C ≈ K/S), the continuous (λ/(2S))·I, and the exact minibatch Σ (`ERRATA.md`), larger than both.

use nalgebra::{DMatrix, Matrix2};

use super::common::{count, exact_list, matrix2, short, sorted_eigenbasis, task_seed};
use super::data::FigureData;
use super::fig3::{gaussian_fraction_inside, projected_cloud, scatter_panel, PanelTheory};
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::config::{DataConfig, LossConvention, MinibatchScatterFigureConfig};
use crate::error::FieldErrors;
use crate::model::{Optimizer, Problem};
use crate::sim::EnsembleSpec;
use crate::solver;

/// The prepared Fig. 4.
pub(crate) struct MinibatchScatterPlan {
    config: MinibatchScatterFigureConfig,
    /// An SGD model on the data (Eq. 28's convention).
    problem: Problem,
    /// g: K = g·K₂₈ and λ₂₈ = g·λ.
    scale: f64,
    /// K's eigenvalues in the chosen convention, decreasing, and its eigenvectors (columns).
    curvatures: Vec<f64>,
    basis: DMatrix<f64>,
    /// ŵ.
    centre: (f64, f64),
    panels: Vec<PanelTheory>,
}

impl MinibatchScatterPlan {
    pub(crate) fn new(config: &MinibatchScatterFigureConfig) -> Result<Self, FieldErrors> {
        let regression = &config.regression;
        let problem = regression.to_problem(Optimizer::Sgd {
            learning_rate: 1e-3,
        })?;
        let scale = regression.loss.gradient_scale();
        let (curvatures_28, basis) = sorted_eigenbasis(problem.hessian());
        let curvatures: Vec<f64> = curvatures_28.iter().map(|k| scale * k).collect();
        let s = regression.batch_size as f64;
        let mean = problem.stationary_mean();
        let centre = (mean[0], mean[1]);
        let mut panels = Vec::new();
        for &learning_rate in &config.learning_rates {
            // The paper's Σ = (λ/S)(2I − λK)⁻¹ is diagonal in K's eigenbasis.
            let discrete = curvatures.iter().all(|k| learning_rate * k < 2.0).then(|| {
                Matrix2::from_fn(|i, j| {
                    if i == j {
                        learning_rate / (s * (2.0 - learning_rate * curvatures[i]))
                    } else {
                        0.0
                    }
                })
            });
            let continuous = Matrix2::identity() * (learning_rate / (2.0 * s));
            let exact = problem
                .with_optimizer(Optimizer::Sgd {
                    learning_rate: scale * learning_rate,
                })
                .ok()
                .and_then(|model| solver::stationary(&model).ok())
                .map(|stationary| matrix2(&(basis.transpose() * &stationary.sigma * &basis)));
            panels.push(PanelTheory {
                learning_rate,
                discrete,
                continuous,
                exact,
            });
        }
        Ok(Self {
            config: config.clone(),
            problem,
            scale,
            curvatures,
            basis,
            centre,
            panels,
        })
    }
}

impl FigurePlan for MinibatchScatterPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let (k1, k2) = (self.curvatures[0], self.curvatures[1]);
        let panels = self
            .panels
            .iter()
            .enumerate()
            .map(|(index, theory)| {
                let cloud = projected_cloud(outcomes, index, &self.basis, self.centre);
                let note = theory
                    .exact
                    .is_none()
                    .then_some("exact minibatch theory diverges: not simulated");
                scatter_panel(
                    theory,
                    (
                        format!("(w − ŵ)·e₁ (k₁ = {})", short(k1)),
                        format!("(w − ŵ)·e₂ (k₂ = {})", short(k2)),
                    ),
                    "discrete theory, C ≈ K/S (Cor. 4), 3σ",
                    cloud.as_deref(),
                    note,
                )
            })
            .collect();
        let config = &self.config;
        let regression = &config.regression;
        let simulation = &config.simulation;
        let data = match &regression.data {
            DataConfig::Given { inputs, .. } => {
                format!("the given data set (N = {} samples)", inputs.nrows())
            }
            DataConfig::Generated(generated) => format!(
                "N = {} samples x ~ N(0, diag({})), y = w*ᵀx + ε with w* = ({}) and ε ~ N(0, \
                 σ_ε² = {}) (data seed {})",
                generated.dataset_size,
                exact_list(&generated.input_variances),
                generated
                    .true_weights
                    .as_ref()
                    .map_or_else(|| "1, 1".to_string(), |w| exact_list(w)),
                super::common::exact(generated.label_variance),
                generated.seed
            ),
        };
        let loss = match regression.loss {
            LossConvention::Eq28 => format!(
                "Eq. 28's loss as printed has no ½, so K = (2/N)Σx_ix_iᵀ ≈ 2E[xxᵀ] has eigenvalues \
                 {} and {} (≈ diag(2, 0.2) for x ~ N(0, diag(1, 0.1)), not the diag(1, 0.1) the \
                 paper states)",
                short(k1),
                short(k2)
            ),
            LossConvention::Half => format!(
                "with the loss (1/2N)Σ(wᵀx_i − y_i)² (Eq. 28 with a ½), K = (1/N)Σx_ix_iᵀ has \
                 eigenvalues {} and {} (the paper's diag(1, 0.1)); SGD with λ on it is SGD with λ/2 \
                 on Eq. 28's loss",
                short(k1),
                short(k2)
            ),
        };
        let slowest = config
            .learning_rates
            .iter()
            .fold(f64::INFINITY, |acc, &lr| acc.min(lr))
            * k2;
        let needed = 10.0 / slowest;
        let steps_note = if simulation.steps as f64 >= needed {
            format!("≥ 10/(k₂λ) = {} for every λ", short(needed))
        } else {
            format!(
                "shorter than 10/(k₂λ) = {} at the smallest λ: that cloud is not yet stationary",
                short(needed)
            )
        };
        let caption = format!(
            "Linear regression on {data}, minibatches of S = {} drawn {} replacement; {loss}. The \
             cloud is shown around ŵ = ({}, {}) (the stationary mean, not w*) in K's eigenbasis. \
             Ellipses (3σ, {}% of a 2-D Gaussian): the paper's Σ = (λ/S)(2I − λK)⁻¹ \
             (Corollary 4 with C ≈ K/S), the continuous-time (λ/(2S))·I, and the exact minibatch Σ \
             (C(Σ) depends on Σ; ERRATA.md), larger than both. Points: {} particles per λ = {}, \
             each run {} steps from w₀ = 0 ({steps_note}), their final positions (seed {}).",
            regression.batch_size,
            if regression.with_replacement {
                "with"
            } else {
                "without"
            },
            short(self.centre.0),
            short(self.centre.1),
            short(100.0 * gaussian_fraction_inside()),
            count(simulation.particles),
            exact_list(&config.learning_rates),
            simulation.steps,
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "4".to_string(),
            title: "Fig. 4 — 2-D minibatch noise: stationary clouds and 3σ ellipses".to_string(),
            caption,
            panels,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let simulation = &self.config.simulation;
        let work = crate::cost::minibatch_step(self.config.regression.batch_size, 2);
        self.panels
            .iter()
            .enumerate()
            .filter(|(_, theory)| theory.exact.is_some())
            .filter_map(|(index, theory)| {
                let problem = self
                    .problem
                    .with_optimizer(Optimizer::Sgd {
                        learning_rate: self.scale * theory.learning_rate,
                    })
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
                        work_per_particle_step: work,
                        schedule: None,
                    },
                })
            })
            .collect()
    }
}
