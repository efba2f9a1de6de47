//! Fig. 5: Var[w] versus the momentum μ in 1-D (Sec. 5.3).
//! - (a), (b) white noise with λk = 2.75 and 1: Corollary 2, λσ²/[(1−μ)k(2 − λk/(1+μ))], against
//!   the continuous λσ²/(2k(1−μ)); at λk = 2.75 SGD alone diverges and momentum converges only for
//!   μ > (λk − 2)/2 = 0.375.
//! - (c), (d) the same with the minibatch noise of Fig. 2(b)'s regression, λK = 2.75 and 1: the
//!   paper's λ/[(1−μ)S(2 − λK/(1+μ))], the continuous λ/(2S(1−μ)), and the exact minibatch theory,
//!   finite only on a smaller μ-interval.

use super::common::{count, curve, exact, fit_log_y, linspace, panel, short};
use super::common::{interior, CURVE_POINTS};
use super::data::{FigureData, Marker, Panel, Role, Scale, Shading};
use super::fig2::{variance_points, Regression1d};
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::one_dimensional;
use crate::config::{MinibatchMomentumSweepFigureConfig, MomentumSweepFigureConfig};
use crate::error::FieldErrors;
use crate::model::{Noise, Optimizer, Problem};

/// The μ axis: the x-range (the configured range, widened to show the paper's threshold
/// μ* = (λk − 2)/2 when it lies just below it) and the theory grid above μ*.
struct MomentumAxis {
    range: (f64, f64),
    x_range: (f64, f64),
    threshold: f64,
}

impl MomentumAxis {
    fn new(range: (f64, f64), learning_rate_times_curvature: f64) -> Self {
        let threshold = (learning_rate_times_curvature - 2.0) / 2.0;
        let span = range.1 - range.0;
        let low = if threshold >= 0.0 && threshold < range.1 {
            range.0.min(threshold)
        } else {
            range.0
        };
        Self {
            range,
            x_range: (low - 0.03 * span, range.1 + 0.02 * span),
            threshold,
        }
    }

    /// Where the paper's theory is stationary within the range: (max(μ_min, μ*), μ_max], with μ*
    /// itself excluded.
    fn theory_grid(&self) -> Vec<f64> {
        if self.threshold >= self.range.0 {
            interior(self.threshold, self.range.1, CURVE_POINTS - 1)
                .into_iter()
                .chain(std::iter::once(self.range.1))
                .filter(|&mu| mu > self.threshold)
                .collect()
        } else {
            linspace(self.range.0, self.range.1, CURVE_POINTS)
        }
    }

    /// Marks the paper's threshold and the region below it.
    fn mark_threshold(&self, panel: &mut Panel, what: &str) {
        if self.threshold >= self.x_range.0 && self.threshold < self.x_range.1 {
            panel.markers.push(Marker {
                x: self.threshold,
                label: format!("μ = (λk − 2)/2 = {} ({what})", short(self.threshold)),
            });
            panel.shadings.push(Shading {
                from: self.x_range.0,
                to: self.threshold,
                label: "diverges (λk ≥ 2(1+μ))".to_string(),
            });
        }
    }
}

/// The limit of discrete/continuous as μ → 1: 2/(2 − λk/2).
fn ratio_at_unit_momentum(learning_rate_times_curvature: f64) -> f64 {
    2.0 / (2.0 - learning_rate_times_curvature / 2.0)
}

/// The prepared Fig. 5(a) or 5(b).
pub(crate) struct WhiteNoisePlan {
    config: MomentumSweepFigureConfig,
    id: &'static str,
    axis: MomentumAxis,
}

impl WhiteNoisePlan {
    pub(crate) fn new(config: &MomentumSweepFigureConfig, id: &'static str) -> Self {
        Self {
            config: config.clone(),
            id,
            axis: MomentumAxis::new(config.momentum_range, config.learning_rate_times_curvature),
        }
    }

    fn momenta(&self) -> Vec<f64> {
        let (low, high) = self.config.momentum_range;
        linspace(low, high, self.config.simulation.points)
    }
}

impl FigurePlan for WhiteNoisePlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let (k, sigma2) = (config.curvature, config.noise_variance);
        let x = config.learning_rate_times_curvature;
        let lr = x / k;
        let axis = &self.axis;
        let mut panel = panel(
            format!("λk = {}", exact(x)),
            "momentum μ",
            "Var[w]",
            axis.x_range,
            Scale::Log,
        );
        panel.curves.push(curve(
            "discrete theory (Cor. 2)",
            Role::DiscreteTheory,
            &axis.theory_grid(),
            |mu| one_dimensional::momentum_variance(k, lr, mu, sigma2).ok(),
        ));
        panel.curves.push(curve(
            "continuous-time theory: λσ²/(2k(1−μ))",
            Role::ContinuousTheory,
            &linspace(
                self.config.momentum_range.0,
                self.config.momentum_range.1,
                CURVE_POINTS,
            ),
            |mu| one_dimensional::continuous_variance(k, lr, mu, sigma2).ok(),
        ));
        axis.mark_threshold(&mut panel, "divergence");
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
        let threshold_text = if axis.threshold > 0.0 {
            format!(
                "Without momentum SGD diverges (λk ≥ 2); with momentum it is stationary only for \
                 μ > (λk − 2)/2 = {} (Sec. 4.5; shaded below), which the continuous theory misses.",
                short(axis.threshold)
            )
        } else {
            format!(
                "Nothing diverges for μ < 1, but the ratio discrete/continuous tends to \
                 2/(2 − λk/2) = {} as μ → 1: the error of the continuous theory does not vanish.",
                short(ratio_at_unit_momentum(x))
            )
        };
        let caption = format!(
            "Var[w] of SGD with momentum (Eq. 10) on L = kw²/2 with k = {}, λk = {} (λ = {}), \
             Gaussian noise σ² = {}, versus μ from {} to {}. Lines: the discrete theory \
             λσ²/[(1−μ)k(2 − λk/(1+μ))] (Corollary 2) and the continuous-time λσ²/(2k(1−μ)). \
             {threshold_text} Points: {} particles per μ at {} evenly spaced μ (those where the \
             theory diverges are not simulated), from w₀ = 0, burn-in {} steps, then the variance \
             averaged over the remaining {} steps and the particles, with standard errors from the \
             spread of the per-particle averages (seed {}).",
            exact(k),
            exact(x),
            short(lr),
            exact(sigma2),
            exact(config.momentum_range.0),
            exact(config.momentum_range.1),
            count(simulation.particles),
            simulation.points,
            config.burn_in,
            simulation.steps.saturating_sub(config.burn_in),
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: self.id.to_string(),
            title: format!(
                "Fig. 5({}) — variance of w versus momentum, white noise, λk = {}",
                &self.id[1..],
                exact(x)
            ),
            caption,
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let config = &self.config;
        let simulation = &config.simulation;
        let k = config.curvature;
        let learning_rate = config.learning_rate_times_curvature / k;
        self.momenta()
            .into_iter()
            .enumerate()
            .filter(|(_, mu)| *mu > self.axis.threshold)
            .filter_map(|(index, momentum)| {
                let problem = Problem::new(
                    Some(nalgebra::DMatrix::from_element(1, 1, k)),
                    Noise::Gaussian {
                        covariance: nalgebra::DMatrix::from_element(1, 1, config.noise_variance),
                    },
                    Optimizer::Momentum {
                        learning_rate,
                        momentum,
                    },
                )
                .ok()?;
                Some(Task::time_averaged_variance(
                    problem,
                    momentum,
                    index,
                    simulation,
                    config.burn_in,
                    1,
                ))
            })
            .collect()
    }
}

/// The prepared Fig. 5(c) or 5(d).
pub(crate) struct MinibatchPlan {
    config: MinibatchMomentumSweepFigureConfig,
    id: &'static str,
    regression: Regression1d,
    axis: MomentumAxis,
    /// The μ-interval where the exact minibatch theory is stationary, within [0, 1).
    stable: Option<(f64, f64)>,
}

impl MinibatchPlan {
    pub(crate) fn new(
        config: &MinibatchMomentumSweepFigureConfig,
        id: &'static str,
    ) -> Result<Self, FieldErrors> {
        let regression = Regression1d::new(&config.regression)?;
        let learning_rate_28 = config.learning_rate_times_curvature / regression.exact.curvature;
        let stable = regression.exact.stable_momenta(learning_rate_28);
        Ok(Self {
            axis: MomentumAxis::new(config.momentum_range, config.learning_rate_times_curvature),
            config: config.clone(),
            id,
            regression,
            stable,
        })
    }

    /// λ in the chosen convention.
    fn learning_rate(&self) -> f64 {
        self.config.learning_rate_times_curvature / self.regression.curvature
    }

    /// Whether the exact minibatch theory is stationary at μ.
    fn exactly_stable(&self, momentum: f64) -> bool {
        let learning_rate_28 = self.regression.scale * self.learning_rate();
        self.regression
            .exact
            .variance(learning_rate_28, momentum)
            .is_some()
    }

    fn momenta(&self) -> Vec<f64> {
        let (low, high) = self.config.momentum_range;
        linspace(low, high, self.config.simulation.points)
    }
}

impl FigurePlan for MinibatchPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let regression = &self.regression;
        let (k, s) = (regression.curvature, regression.config.batch_size as f64);
        let x = config.learning_rate_times_curvature;
        let lr = self.learning_rate();
        let axis = &self.axis;
        let (mu_min, mu_max) = config.momentum_range;
        let mut panel = panel(
            format!("λK = {}", exact(x)),
            "momentum μ",
            "Var[w]",
            axis.x_range,
            Scale::Log,
        );
        panel.curves.push(curve(
            "discrete theory, C ≈ K/S (Cor. 2)",
            Role::DiscreteTheory,
            &axis.theory_grid(),
            |mu| one_dimensional::momentum_variance(k, lr, mu, k / s).ok(),
        ));
        panel.curves.push(curve(
            "continuous-time theory: λ/(2S(1−μ))",
            Role::ContinuousTheory,
            &linspace(mu_min, mu_max, CURVE_POINTS),
            |mu| one_dimensional::continuous_variance(k, lr, mu, k / s).ok(),
        ));
        axis.mark_threshold(&mut panel, "paper's divergence");
        let lr_28 = regression.scale * lr;
        let mut exact_text = String::from("the exact minibatch theory diverges for every μ");
        match self.stable {
            Some((low, high)) => {
                let from = low.max(mu_min);
                let to = high.min(mu_max);
                if from < to {
                    let mut grid = interior(from, to, CURVE_POINTS);
                    if from == mu_min && self.exactly_stable(mu_min) {
                        grid.insert(0, mu_min);
                    }
                    if to == mu_max && self.exactly_stable(mu_max) {
                        grid.push(mu_max);
                    }
                    panel.curves.push(curve(
                        "exact minibatch theory (ERRATA.md)",
                        Role::ExactTheory,
                        &grid,
                        |mu| regression.exact.variance(lr_28, mu),
                    ));
                }
                let (x_low, x_high) = axis.x_range;
                if low > 0.0 && low > x_low {
                    panel.markers.push(Marker {
                        x: low,
                        label: format!("μ = {} (exact minibatch divergence)", short(low)),
                    });
                    panel.shadings.push(Shading {
                        from: x_low,
                        to: low.min(x_high),
                        label: "exact theory diverges".to_string(),
                    });
                }
                if high < 1.0 && high < x_high {
                    panel.markers.push(Marker {
                        x: high,
                        label: format!("μ = {} (exact minibatch divergence)", short(high)),
                    });
                    panel.shadings.push(Shading {
                        from: high.max(x_low),
                        to: x_high,
                        label: "exact theory diverges".to_string(),
                    });
                }
                exact_text = if low > 0.0 && high < 1.0 {
                    format!(
                        "the exact minibatch theory is finite only for {} < μ < {}",
                        short(low),
                        short(high)
                    )
                } else if high < 1.0 {
                    format!(
                        "the exact minibatch theory is finite only for μ < {}",
                        short(high)
                    )
                } else if low > 0.0 {
                    format!(
                        "the exact minibatch theory is finite only for μ > {}",
                        short(low)
                    )
                } else {
                    "the exact minibatch theory is finite for every μ in [0, 1)".to_string()
                };
            }
            None => {
                let (x_low, x_high) = axis.x_range;
                panel.shadings.push(Shading {
                    from: x_low,
                    to: x_high,
                    label: "exact theory diverges".to_string(),
                });
            }
        }
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
        let caption = format!(
            "Var[w] of SGD with momentum (Eq. 10) with minibatch noise, versus μ from {} to {}, at \
             λK = {} (λ = {}). {}. Lines: the paper's λ/[(1−μ)S(2 − λK/(1+μ))] (Corollary 2 with \
             C ≈ K/S; it diverges for μ ≤ (λK − 2)/2), the continuous-time λ/(2S(1−μ)), and the \
             exact minibatch theory (C(Σ) depends on Σ; ERRATA.md): {exact_text} (shaded outside). \
             Points: {} particles per μ at {} evenly spaced μ (only where the exact theory is \
             finite), from w₀ = 0, burn-in {} steps, then the variance around the \
             time-and-ensemble mean averaged over the remaining {} steps, with standard errors \
             from the spread of the per-particle averages (seed {}).",
            exact(mu_min),
            exact(mu_max),
            exact(x),
            short(lr),
            regression.describe(),
            count(simulation.particles),
            simulation.points,
            config.burn_in,
            simulation.steps.saturating_sub(config.burn_in),
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: self.id.to_string(),
            title: format!(
                "Fig. 5({}) — variance of w versus momentum, minibatch noise, λK = {}",
                &self.id[1..],
                exact(x)
            ),
            caption,
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let config = &self.config;
        let simulation = &config.simulation;
        let work = crate::cost::minibatch_step(config.regression.batch_size, 1);
        let learning_rate = self.learning_rate();
        self.momenta()
            .into_iter()
            .enumerate()
            .filter(|(_, mu)| self.exactly_stable(*mu))
            .filter_map(|(index, momentum)| {
                let problem = self.regression.model(learning_rate, momentum)?;
                Some(Task::time_averaged_variance(
                    problem,
                    momentum,
                    index,
                    simulation,
                    config.burn_in,
                    work,
                ))
            })
            .collect()
    }
}
