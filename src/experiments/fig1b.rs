//! Fig. 1(b): deterministic decay (Sec. 2, Eq. 2). Continuous gradient flow w(t) = w₀·exp(−λkt)
//! against the discrete iterates w_t = (1 − λk)^t w₀: for 1/k < λ < 2/k the iterates overshoot the
//! minimum and oscillate around it while the flow decays monotonically.

use super::common::{curve, exact, exact_list, linspace, panel, CURVE_POINTS};
use super::data::{FigureData, Role, Scale};
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::DecayFigureConfig;

/// The prepared Fig. 1(b).
pub(crate) struct DecayPlan {
    config: DecayFigureConfig,
}

impl DecayPlan {
    pub(crate) fn new(config: &DecayFigureConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

impl FigurePlan for DecayPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let k = config.curvature;
        let start = config.start;
        let steps = config.steps;
        let half_height = if start == 0.0 { 1.0 } else { 1.1 * start.abs() };
        let times = linspace(0.0, steps as f64, CURVE_POINTS + 1);
        let panels = config
            .learning_rates
            .iter()
            .map(|&lr| {
                let factor = 1.0 - lr * k;
                let mut panel = panel(
                    format!("λ = {} (λk = {})", exact(lr), exact(lr * k)),
                    "step t",
                    "wₜ",
                    (0.0, steps as f64),
                    Scale::Linear,
                );
                panel.y_range = (-half_height, half_height);
                panel.curves.push(curve(
                    "continuous time, w₀·exp(−λkt)",
                    Role::ContinuousTheory,
                    &times,
                    |t| Some(start * (-lr * k * t).exp()),
                ));
                // |1 − λk| ≤ 1 (validated), so every iterate is finite.
                let mut iterate = start;
                let mut points = Vec::with_capacity(steps as usize + 1);
                for t in 0..=steps {
                    points.push((t as f64, iterate));
                    iterate *= factor;
                }
                panel.curves.push(super::data::Curve {
                    label: "discrete time, (1 − λk)ᵗ w₀ (Eq. 2)".to_string(),
                    role: Role::DiscreteTheory,
                    points,
                });
                panel
            })
            .collect();
        let caption = format!(
            "Deterministic gradient descent (no noise) on L(w) = kw²/2 with k = {} from w₀ = {}, over \
             {} steps: the continuous-time flow w₀·exp(−λkt) against the discrete iterates \
             (1 − λk)ᵗ w₀ (Eq. 2) for λ = {}. For λ < 1/k both decay monotonically and the \
             continuous approximation is good to O((λk)²) per step; for 1/k < λ < 2/k the iterates \
             overshoot the minimum and oscillate around it while converging, which no continuous \
             flow does; beyond 2/k they diverge. (Sec. 2, a schematic of the paper's Fig. 1(b).)",
            exact(k),
            exact(start),
            steps,
            exact_list(&config.learning_rates)
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "1b".to_string(),
            title: "Fig. 1(b) — continuous versus discrete deterministic decay".to_string(),
            caption,
            panels,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
