//! Fig. 2: Var[w] versus the learning rate λ in 1-D.
//! - (a) white noise (Sec. 5.1): the discrete theory after T steps, λσ²/(k(2−λk))·[1 − (1−λk)^{2T}],
//!   its stationary limit (Corollary 1) and the continuous-time λσ²/(2k), which misses the
//!   divergence at λ = 2/k; simulated ensembles after T steps.
//! - (b) minibatch noise of Eq. 28's regression (Sec. 5.2): the paper's λ/(S(2−λK)) (C ≈ K/S), the
//!   continuous λ/(2S), and the exact minibatch theory (`ERRATA.md`), which diverges before 2/K;
//!   simulated ensembles averaged in time after a burn-in, around the least-squares ŵ.

use nalgebra::DMatrix;

use super::common::{
    count, curve, exact, fit_log_y, interior, panel, short, task_seed, CURVE_POINTS,
};
use super::data::{ErrorPoint, FigureData, Marker, PointSeries, Role, Scale, Shading};
use super::minibatch::MinibatchVariance1d;
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::one_dimensional;
use crate::config::{
    DataConfig, LearningRateSweepFigureConfig, LossConvention, MinibatchSweepFigureConfig,
    RegressionFigureConfig,
};
use crate::error::{FieldError, FieldErrors};
use crate::model::{Minibatch, Noise, Optimizer, Problem};
use crate::sim::{EnsembleSpec, Start};
use crate::solver::minibatch::critical_learning_rate;

/// The simulated points of a 1-D sweep, from the finished ensembles' variances.
pub(crate) fn variance_points(label: String, outcomes: &[(TaskLabel, Outcome)]) -> PointSeries {
    let mut points: Vec<ErrorPoint> = outcomes
        .iter()
        .filter_map(|(task, outcome)| match outcome {
            Outcome::Variance { value, stderr, .. } if value.is_finite() && *value > 0.0 => {
                Some(ErrorPoint {
                    x: task.x,
                    y: *value,
                    stderr: *stderr,
                })
            }
            _ => None,
        })
        .collect();
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    PointSeries {
        label,
        role: Role::Simulation,
        points,
    }
}

/// The prepared Fig. 2(a).
pub(crate) struct WhiteNoisePlan {
    config: LearningRateSweepFigureConfig,
}

impl WhiteNoisePlan {
    pub(crate) fn new(config: &LearningRateSweepFigureConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }

    /// The simulated learning rates λ_j = (2/k)·j/(points+1).
    fn learning_rates(&self) -> Vec<f64> {
        interior(
            0.0,
            2.0 / self.config.curvature,
            self.config.simulation.points,
        )
    }
}

impl FigurePlan for WhiteNoisePlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let (k, sigma2) = (config.curvature, config.noise_variance);
        let steps = config.simulation.steps;
        let edge = 2.0 / k;
        let x_max = 1.05 * edge;
        let mut panel = panel(
            format!("k = {}, σ² = {}, T = {steps}", exact(k), exact(sigma2)),
            "learning rate λ",
            "Var[w]",
            (0.0, x_max),
            Scale::Log,
        );
        // Both discrete curves stop short of λ = 2/k, where the stationary one diverges.
        let below_edge = interior(0.0, edge, CURVE_POINTS);
        panel.curves.push(curve(
            format!("discrete theory after T = {steps} steps"),
            Role::DiscreteTheory,
            &below_edge,
            |lr| one_dimensional::sgd_variance_after(k, lr, sigma2, steps).ok(),
        ));
        panel.curves.push(curve(
            "discrete theory, stationary (Cor. 1)",
            Role::DiscreteTheory,
            &below_edge,
            |lr| one_dimensional::sgd_variance(k, lr, sigma2).ok(),
        ));
        panel.curves.push(curve(
            "continuous-time theory (Mandt et al.)",
            Role::ContinuousTheory,
            &interior(0.0, x_max, CURVE_POINTS),
            |lr| one_dimensional::continuous_variance(k, lr, 0.0, sigma2).ok(),
        ));
        panel.markers.push(Marker {
            x: edge,
            label: "λ = 2/k (divergence)".to_string(),
        });
        panel.shadings.push(Shading {
            from: edge,
            to: x_max,
            label: "diverges (λk ≥ 2)".to_string(),
        });
        let simulation = &config.simulation;
        panel.points.push(variance_points(
            format!(
                "simulation ({} particles, T = {steps} steps)",
                count(simulation.particles)
            ),
            outcomes,
        ));
        fit_log_y(&mut panel);
        let caption = format!(
            "Var[w] after T = {steps} steps of SGD (Eq. 6) on L = kw²/2 with k = {}, Gaussian \
             gradient noise of variance σ² = {}, from w₀ = {}. Lines: the discrete-time theory after \
             T steps, λσ²/(k(2−λk))·[1 − (1−λk)^(2T)], its stationary limit λσ²/(k(2−λk)) \
             (Corollary 1), which diverges at λ = 2/k (shaded beyond), and the continuous-time \
             theory λσ²/(2k) (Mandt et al. 2017), which misses the divergence. Points: {} \
             independent particles per λ at the {} values λ_j = (2/k)·j/{} (j = 1..{}), variance \
             across particles after T steps with its standard error from the ensemble (seed {}).",
            exact(k),
            exact(sigma2),
            exact(config.start),
            count(simulation.particles),
            simulation.points,
            simulation.points + 1,
            simulation.points,
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "2a".to_string(),
            title: "Fig. 2(a) — variance of w versus learning rate, white noise".to_string(),
            caption,
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let config = &self.config;
        let simulation = &config.simulation;
        let start = if config.start == 0.0 {
            Start::Zero
        } else {
            Start::Point(nalgebra::DVector::from_element(1, config.start))
        };
        self.learning_rates()
            .into_iter()
            .enumerate()
            .filter_map(|(index, learning_rate)| {
                let problem = Problem::new(
                    Some(DMatrix::from_element(1, 1, config.curvature)),
                    Noise::Gaussian {
                        covariance: DMatrix::from_element(1, 1, config.noise_variance),
                    },
                    Optimizer::Sgd { learning_rate },
                )
                .ok()?;
                Some(Task {
                    label: TaskLabel {
                        panel: 0,
                        x: learning_rate,
                    },
                    kind: TaskKind::Ensemble {
                        problem: Box::new(problem),
                        spec: EnsembleSpec {
                            particles: simulation.particles,
                            seed: task_seed(simulation.seed, index),
                            start: start.clone(),
                            ..EnsembleSpec::default()
                        },
                        steps: simulation.steps,
                        measure: Measure::FinalVariance,
                        work_per_particle_step: 1,
                        schedule: None,
                    },
                })
            })
            .collect()
    }
}

/// A 1-D regression task of the minibatch figures, prepared: the data set, its K, ŵ and the exact
/// minibatch moments.
pub(crate) struct Regression1d {
    /// The noise model (Eq. 28's convention).
    pub batch: Minibatch,
    /// An SGD model on the data (Eq. 28's convention).
    pub problem: Problem,
    /// The exact minibatch moments.
    pub exact: MinibatchVariance1d,
    /// g: K = g·K₂₈ and λ₂₈ = g·λ ([`LossConvention::gradient_scale`]).
    pub scale: f64,
    /// K in the chosen loss convention.
    pub curvature: f64,
    /// The configuration.
    pub config: RegressionFigureConfig,
}

impl Regression1d {
    pub(crate) fn new(config: &RegressionFigureConfig) -> Result<Self, FieldErrors> {
        let batch = config.to_minibatch()?;
        let problem = config.to_problem(Optimizer::Sgd {
            learning_rate: 1e-3,
        })?;
        let exact = MinibatchVariance1d::new(&batch)
            .ok_or_else(|| FieldError::new("x_var", "(more than one input)", "one input"))?;
        let scale = config.loss.gradient_scale();
        Ok(Self {
            curvature: scale * exact.curvature,
            batch,
            problem,
            exact,
            scale,
            config: config.clone(),
        })
    }

    /// The minibatch SGD(M) model with this convention's λ (converted to Eq. 28's).
    pub(crate) fn model(&self, learning_rate: f64, momentum: f64) -> Option<Problem> {
        let learning_rate = self.scale * learning_rate;
        let optimizer = if momentum > 0.0 {
            Optimizer::Momentum {
                learning_rate,
                momentum,
            }
        } else {
            Optimizer::Sgd { learning_rate }
        };
        self.problem.with_optimizer(optimizer).ok()
    }

    /// ŵ, the least-squares solution: the stationary mean.
    pub(crate) fn least_squares(&self) -> f64 {
        self.batch.data.least_squares()[0]
    }

    /// The task in words, for a caption: data, sampling, loss convention.
    pub(crate) fn describe(&self) -> String {
        let config = &self.config;
        let data = match &config.data {
            DataConfig::Given { inputs, .. } => {
                format!("the given data set (N = {} samples)", inputs.nrows())
            }
            DataConfig::Generated(generated) => format!(
                "N = {} samples x ~ N(0, {}), y = w*x + ε with w* = {} and label noise ε ~ N(0, \
                 σ_ε² = {}) (data seed {})",
                generated.dataset_size,
                generated
                    .input_variances
                    .first()
                    .map_or_else(String::new, |&v| exact(v)),
                generated
                    .true_weights
                    .as_ref()
                    .and_then(|w| w.first())
                    .map_or_else(|| "1".to_string(), |&w| exact(w)),
                exact(generated.label_variance),
                generated.seed
            ),
        };
        let loss = match config.loss {
            LossConvention::Eq28 => format!(
                "Eq. 28's loss as printed, (1/N)Σ(wx_i − y_i)² (no ½), so K = (2/N)Σx_i² = {}",
                short(self.curvature)
            ),
            LossConvention::Half => format!(
                "the loss (1/2N)Σ(wx_i − y_i)² (Eq. 28 with a ½: SGD with λ on it is SGD with λ/2 \
                 on Eq. 28's), so K = (1/N)Σx_i² = {}",
                short(self.curvature)
            ),
        };
        format!(
            "Linear regression on {data}, minibatches of S = {} drawn {} replacement; {loss}; \
             ŵ = {}",
            config.batch_size,
            if config.with_replacement {
                "with"
            } else {
                "without"
            },
            short(self.least_squares())
        )
    }
}

/// The prepared Fig. 2(b).
pub(crate) struct MinibatchPlan {
    config: MinibatchSweepFigureConfig,
    regression: Regression1d,
    /// The exact minibatch threshold λ_c (this convention's λ).
    critical: f64,
}

impl MinibatchPlan {
    pub(crate) fn new(config: &MinibatchSweepFigureConfig) -> Result<Self, FieldErrors> {
        let regression = Regression1d::new(&config.regression)?;
        let critical = critical_learning_rate(&regression.problem, &regression.batch)
            .map(|critical| critical / regression.scale)
            .filter(|critical| critical.is_finite() && *critical > 0.0)
            .unwrap_or(2.0 / regression.curvature);
        Ok(Self {
            config: config.clone(),
            regression,
            critical,
        })
    }

    fn learning_rates(&self) -> Vec<f64> {
        interior(
            0.0,
            2.0 / self.regression.curvature,
            self.config.simulation.points,
        )
    }
}

impl FigurePlan for MinibatchPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let regression = &self.regression;
        let k = regression.curvature;
        let s = regression.config.batch_size as f64;
        let edge = 2.0 / k;
        let x_max = 1.05 * edge;
        let critical = self.critical;
        let mut panel = panel(
            format!(
                "N = {}, S = {}, K = {}",
                regression.batch.data.len(),
                s,
                short(k)
            ),
            "learning rate λ",
            "Var[w]",
            (0.0, x_max),
            Scale::Log,
        );
        panel.curves.push(curve(
            "discrete theory, C ≈ K/S: λ/(S(2 − λK))",
            Role::DiscreteTheory,
            &interior(0.0, edge, CURVE_POINTS),
            |lr| (lr * k < 2.0).then(|| lr / (s * (2.0 - lr * k))),
        ));
        panel.curves.push(curve(
            "continuous-time theory: λ/(2S)",
            Role::ContinuousTheory,
            &interior(0.0, x_max, CURVE_POINTS),
            |lr| Some(lr / (2.0 * s)),
        ));
        panel.curves.push(curve(
            "exact minibatch theory (ERRATA.md)",
            Role::ExactTheory,
            &interior(0.0, critical, CURVE_POINTS),
            |lr| regression.exact.variance(regression.scale * lr, 0.0),
        ));
        panel.markers.push(Marker {
            x: critical,
            label: format!(
                "critical λ = {} (exact minibatch divergence)",
                short(critical)
            ),
        });
        panel.markers.push(Marker {
            x: edge,
            label: "λ = 2/K (paper's divergence)".to_string(),
        });
        if critical < edge {
            panel.shadings.push(Shading {
                from: critical,
                to: edge,
                label: "exact theory diverges".to_string(),
            });
        }
        panel.shadings.push(Shading {
            from: edge,
            to: x_max,
            label: "diverges (λK ≥ 2)".to_string(),
        });
        let config = &self.config;
        let simulation = &config.simulation;
        panel.points.push(variance_points(
            format!(
                "simulation ({} particles, time average after {} steps)",
                count(simulation.particles),
                config.burn_in
            ),
            outcomes,
        ));
        fit_log_y(&mut panel);
        let slowest = self
            .learning_rates()
            .first()
            .map_or(0.0, |lr| 10.0 / (lr * k));
        let burn_in_note = if (config.burn_in as f64) >= slowest {
            format!("≥ 10/(λK) = {} for every simulated λ", short(slowest))
        } else {
            format!(
                "shorter than 10/(λK) = {} at the smallest λ: those points may not be stationary",
                short(slowest)
            )
        };
        let skipped = self
            .learning_rates()
            .iter()
            .filter(|&&lr| lr >= critical)
            .count();
        let caption = format!(
            "Var[w] of SGD with minibatch noise. {}. Lines: the paper's discrete theory \
             λ/(S(2 − λK)) (Corollary 1 with C ≈ K/S), the continuous-time λ/(2S), and the exact \
             minibatch theory (the noise covariance C(Σ) depends on Σ; ERRATA.md), which diverges \
             at λ_c = {} (λ_cK = {}) before the paper's 2/K = {}. Points: {} particles per λ at \
             λ_j = (2/K)·j/{} (j = 1..{}{}), from w₀ = 0, burn-in {} steps ({burn_in_note}), then \
             the variance around the time-and-ensemble mean (the stationary mean is ŵ, not w*) \
             averaged over the remaining {} steps, with standard errors from the spread of the \
             per-particle averages (seed {}).",
            regression.describe(),
            short(critical),
            short(critical * k),
            short(edge),
            count(simulation.particles),
            simulation.points + 1,
            simulation.points,
            if skipped > 0 {
                format!("; the {skipped} at or beyond the critical λ are not simulated")
            } else {
                String::new()
            },
            config.burn_in,
            simulation.steps.saturating_sub(config.burn_in),
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "2b".to_string(),
            title: "Fig. 2(b) — variance of w versus learning rate, minibatch noise".to_string(),
            caption,
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let config = &self.config;
        let simulation = &config.simulation;
        let work = crate::cost::minibatch_step(config.regression.batch_size, 1);
        self.learning_rates()
            .into_iter()
            .enumerate()
            .filter(|(_, lr)| *lr < self.critical)
            .filter_map(|(index, learning_rate)| {
                let problem = self.regression.model(learning_rate, 0.0)?;
                Some(Task::time_averaged_variance(
                    problem,
                    learning_rate,
                    index,
                    simulation,
                    config.burn_in,
                    work,
                ))
            })
            .collect()
    }
}
