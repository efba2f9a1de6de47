//! `fig=phase`: the stability phase diagram of SGDM and QHM over the plane (λk, μ).
//!
//! Each cell is one 1-D exact solve (the eigenbasis reduces any D to independent modes, so one
//! mode is the whole story): the stationary training loss L = ½kΣ of the discrete dynamics
//! relative to the continuous-time prediction L_c, drawn as log₁₀(L/L_c).
//!
//! - **White noise** (`noise=gauss`): Σ = G(λ, μ, ν; k)·σ² with G the mode gain of
//!   [`ModeDynamics::pair_gain`], so L/L_c depends on λk, μ (and ν) only. For SGDM this is
//!   Corollary 2: L/L_c = 2(1+μ)/(2(1+μ) − λk). The continuous-time prediction is
//!   λσ²/(2k(1−μ)) for SGDM and λσ²/(2k) for QHM (Table 1, previous work, corrected:
//!   `ERRATA.md`). The divergence boundary is λk = 2(1+μ) (SGDM, Sec. 4.5) or
//!   λk = 2(1+μ)/(1+μ−2μν) (QHM, `ERRATA.md`).
//! - **Minibatch noise** (`noise=batch`, 1-D regression of Eq. 28): the exact theory of
//!   [`crate::solver::minibatch`] reduces in 1-D to Σ = G·c₀/(1 − G·a), with c₀ = (4f/N)Σx_i²r_i²
//!   the label-noise part of C at the minimum and a = (4f/N)Σx_i⁴ − f·k² ≥ 0 its state-dependent
//!   part (f the sampling factor). The second moment diverges where G·a reaches 1, strictly
//!   before the mean dynamics does: the exact boundary lies below the paper's λk = 2(1+μ).
//!   L_c uses C = c₀.

use super::common::{exact, short};
use super::data::{Curve, ErrorPoint, FigureData, Heatmap, Panel, PointSeries, Role, Scale};
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::discrete::{momentum_threshold, qhm_threshold};
use crate::config::{LossConvention, PhaseDiagramFigureConfig, PhaseMethod};
use crate::error::{FieldError, FieldErrors};
use crate::model::Conventions;
use crate::solver::modes::ModeDynamics;

/// Most |log₁₀(L/L_c)| the colour scale spans: beyond 100×, the colour saturates.
const MAX_LOG_RATIO: f64 = 2.0;

/// Points of a boundary curve (one per μ).
const BOUNDARY_POINTS: usize = 400;

/// The 1-D problem behind every cell, in Eq. 28's convention for minibatch noise.
#[derive(Clone, Debug)]
struct Mode {
    /// SGDM or QHM.
    method: PhaseMethod,
    /// The curvature k (1 for white noise, whose ratio does not depend on k; the data's K₂₈ for
    /// minibatch noise).
    curvature: f64,
    /// The state-dependent part a of the minibatch noise (0: white noise).
    state_noise: f64,
    /// Coupled weight decay (white noise): the dynamics sees λ(k + wd), the loss ½kΣ.
    weight_decay: f64,
}

impl Mode {
    /// The gain G = Σ per unit of noise at x = λk and μ, `None` where the mean dynamics diverges.
    fn gain(&self, x: f64, momentum: f64) -> Option<f64> {
        let learning_rate = x / self.curvature;
        let conventions = Conventions {
            weight_decay: self.weight_decay,
            ..Conventions::PAPER
        };
        let dynamics = ModeDynamics::new(
            &self.method.optimizer(learning_rate, momentum),
            &conventions,
        )?;
        // The edge itself is divergent (Σ ∝ 1/(threshold − λk) has no correct digit there).
        if dynamics.spectral_radius(self.curvature) >= 1.0 - 8.0 * f64::EPSILON {
            return None;
        }
        let gain = dynamics.pair_gain(self.curvature, self.curvature)?[0][0];
        (gain.is_finite() && gain > 0.0).then_some(gain)
    }

    /// Σ per unit of constant noise (c₀ = 1), `None` where the second moment diverges.
    fn sigma(&self, x: f64, momentum: f64) -> Option<f64> {
        let gain = self.gain(x, momentum)?;
        let amplification = 1.0 - gain * self.state_noise;
        (amplification > 0.0).then(|| gain / amplification)
    }

    /// The continuous-time Σ per unit of noise: λ/(2k(1−μ)) for SGDM, λ/(2k) for QHM (k + wd
    /// for k with weight decay).
    fn continuous_sigma(&self, x: f64, momentum: f64) -> f64 {
        let learning_rate = x / self.curvature;
        let curvature = self.curvature + self.weight_decay;
        match self.method {
            PhaseMethod::Momentum => learning_rate / (2.0 * curvature * (1.0 - momentum)),
            PhaseMethod::QuasiHyperbolic { .. } => learning_rate / (2.0 * curvature),
        }
    }

    /// log₁₀(L/L_c) at (λk, μ), `None` where the dynamics diverges.
    fn log_ratio(&self, x: f64, momentum: f64) -> Option<f64> {
        let ratio = self.sigma(x, momentum)? / self.continuous_sigma(x, momentum);
        let log = ratio.log10();
        log.is_finite().then_some(log)
    }

    /// The paper's divergence boundary in λk at μ (the mean dynamics): the bound on λ(k + wd),
    /// divided by 1 + wd/k.
    fn paper_threshold(&self, momentum: f64) -> f64 {
        let bound = match self.method {
            PhaseMethod::Momentum => momentum_threshold(momentum),
            PhaseMethod::QuasiHyperbolic { nu } => qhm_threshold(momentum, nu),
        };
        if self.weight_decay == 0.0 {
            bound
        } else {
            bound / (1.0 + self.weight_decay / self.curvature)
        }
    }

    /// The exact boundary in λk at μ: the largest λk with a stationary second moment (the
    /// paper's for white noise; found by bisection to 1e-13 relative for minibatch noise).
    fn exact_threshold(&self, momentum: f64) -> f64 {
        let paper = self.paper_threshold(momentum);
        if self.state_noise == 0.0 {
            return paper;
        }
        let (mut low, mut high) = (0.0, paper);
        while high - low > 1e-13 * high {
            let mid = 0.5 * (low + high);
            if self.sigma(mid, momentum).is_some() {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }
}

/// The phase diagram, computed once.
pub(crate) struct PhaseDiagramPlan {
    config: PhaseDiagramFigureConfig,
    mode: Mode,
    heatmap: Heatmap,
    /// The convention's curvature K and the data's constant noise, for the caption.
    minibatch: Option<MinibatchSummary>,
}

/// What the caption says about the data set.
#[derive(Clone, Copy, Debug)]
struct MinibatchSummary {
    /// K in the chosen loss convention.
    curvature: f64,
    batch_size: usize,
    dataset_size: usize,
    loss: LossConvention,
}

impl PhaseDiagramPlan {
    /// Validates the configuration and computes every cell.
    ///
    /// # Errors
    /// What [`crate::config::FigureConfig::validate`] reports, and the data keys at fault.
    pub(crate) fn new(config: &PhaseDiagramFigureConfig) -> Result<Self, FieldErrors> {
        let (mode, minibatch) = match &config.regression {
            None => (
                Mode {
                    method: config.method.clone(),
                    curvature: 1.0,
                    state_noise: 0.0,
                    weight_decay: config.weight_decay,
                },
                None,
            ),
            Some(regression) => {
                let batch = regression.to_minibatch()?;
                let data = &batch.data;
                let n = data.len() as f64;
                let factor = batch.covariance_factor();
                let inputs = data.inputs();
                let curvature = data.hessian()[(0, 0)];
                let fourth: f64 = inputs.iter().map(|x| x.powi(4)).sum::<f64>() * 4.0 / n;
                let state_noise = factor * (fourth - curvature * curvature);
                if !(curvature > 0.0 && state_noise.is_finite()) {
                    return Err(FieldError::new(
                        "x_var",
                        "(data)",
                        "a data set with Σx_i² > 0 (K = 2XᵀX/N positive)",
                    )
                    .into());
                }
                (
                    Mode {
                        method: config.method.clone(),
                        curvature,
                        state_noise: state_noise.max(0.0),
                        weight_decay: 0.0,
                    },
                    Some(MinibatchSummary {
                        curvature: curvature * regression.loss.gradient_scale(),
                        batch_size: regression.batch_size,
                        dataset_size: data.len(),
                        loss: regression.loss,
                    }),
                )
            }
        };
        let heatmap = compute_heatmap(config, &mode);
        Ok(Self {
            config: config.clone(),
            mode,
            heatmap,
            minibatch,
        })
    }

    fn method_name(&self) -> &'static str {
        match self.config.method {
            PhaseMethod::Momentum => "SGDM",
            PhaseMethod::QuasiHyperbolic { .. } => "QHM",
        }
    }

    fn boundary(&self, exact_boundary: bool) -> Curve {
        let config = &self.config;
        let top = config.momentum_max;
        let points = (0..=BOUNDARY_POINTS)
            .map(|i| top * i as f64 / BOUNDARY_POINTS as f64)
            .map(|mu| {
                let x = if exact_boundary {
                    self.mode.exact_threshold(mu)
                } else {
                    self.mode.paper_threshold(mu)
                };
                (x, mu)
            })
            .filter(|(x, _)| x.is_finite() && *x <= config.learning_rate_times_curvature_max)
            .collect();
        let decayed = config.weight_decay > 0.0;
        let label = match (exact_boundary, &config.method) {
            (true, _) => "exact minibatch divergence (second moment)".to_string(),
            (false, PhaseMethod::Momentum) if decayed => "divergence λ(k+wd) = 2(1+μ)".to_string(),
            (false, PhaseMethod::Momentum) => "divergence λk = 2(1+μ) (Sec. 4.5)".to_string(),
            (false, PhaseMethod::QuasiHyperbolic { .. }) if decayed => {
                "divergence λ(k+wd) = 2(1+μ)/(1+μ−2μν)".to_string()
            }
            (false, PhaseMethod::QuasiHyperbolic { .. }) => {
                "divergence λk = 2(1+μ)/(1+μ−2μν)".to_string()
            }
        };
        Curve {
            label,
            role: if exact_boundary {
                Role::ExactTheory
            } else {
                Role::DiscreteTheory
            },
            points,
        }
    }

    fn caption(&self, marked: Option<f64>) -> String {
        let config = &self.config;
        let method = match config.method {
            PhaseMethod::Momentum => "SGDM (Eq. 10)".to_string(),
            PhaseMethod::QuasiHyperbolic { nu } => format!("QHM (Eq. 53) with ν = {}", exact(nu)),
        };
        let continuous = match config.method {
            PhaseMethod::Momentum => "λC/(2k(1−μ))",
            PhaseMethod::QuasiHyperbolic { .. } => "λC/(2k) (Table 1 corrected, ERRATA.md)",
        };
        let mut text = format!(
            "Stationary training loss L of {method} relative to the continuous-time prediction \
             L_c (Σ = {continuous}), colour-coded as log₁₀(L/L_c) over {0}×{0} cells of the \
             plane (λk, μ); each cell is an exact solve. Grey: no stationary distribution. ",
            config.resolution
        );
        match &self.minibatch {
            None if config.weight_decay > 0.0 => text.push_str(&format!(
                "White noise with coupled weight decay wd = {}·k (PyTorch's SGD weight decay): the \
                 dynamics sees λ(k + wd) while the loss stays ½kΣ, so the whole diagram is the \
                 undecayed one squeezed by 1 + wd/k = {} along λk, and the boundary sits at \
                 λk = threshold/(1 + wd/k); the continuous-time theory (on k + wd) never diverges. ",
                exact(config.weight_decay),
                short(1.0 + config.weight_decay),
            )),
            None => text.push_str(
                "White noise: the ratio depends on λk and μ only (for SGDM, Corollary 2 gives \
                 L/L_c = 2(1+μ)/(2(1+μ) − λk)); the continuous-time theory never diverges. ",
            ),
            Some(summary) => text.push_str(&format!(
                "Minibatch noise of 1-D linear regression (Eq. 28, N = {}, S = {}, loss={}, K = {}): \
                 the exact theory's second moment diverges before the mean dynamics does, so its \
                 boundary lies below the paper's λk = threshold; at μ = 0 it is λk = {} instead of 2. ",
                summary.dataset_size,
                summary.batch_size,
                summary.loss.name(),
                short(summary.curvature),
                short(self.mode.exact_threshold(0.0)),
            )),
        }
        let x = config.learning_rate_times_curvature;
        let mu = config.momentum;
        match marked {
            Some(ratio) => text.push_str(&format!(
                "The marked configuration λk = {}, μ = {} has L/L_c = {}.",
                exact(x),
                exact(mu),
                short(ratio)
            )),
            None => text.push_str(&format!(
                "The marked configuration λk = {}, μ = {} diverges (the boundary at this μ is λk = {}).",
                exact(x),
                exact(mu),
                short(self.mode.exact_threshold(mu))
            )),
        }
        text
    }
}

/// Every cell of the diagram, at the cell centres.
fn compute_heatmap(config: &PhaseDiagramFigureConfig, mode: &Mode) -> Heatmap {
    let n = config.resolution.max(1);
    let x_range = (0.0, config.learning_rate_times_curvature_max);
    let y_range = (0.0, config.momentum_max);
    let mut values = Vec::with_capacity(n * n);
    for row in 0..n {
        let mu = y_range.1 * (row as f64 + 0.5) / n as f64;
        for column in 0..n {
            let x = x_range.1 * (column as f64 + 0.5) / n as f64;
            values.push(mode.log_ratio(x, mu));
        }
    }
    let (low, high) = values
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let color_range = if low <= high {
        let low = low.clamp(-MAX_LOG_RATIO, 0.0);
        let high = high.min(MAX_LOG_RATIO).max(low + 0.1);
        (low, high)
    } else {
        (0.0, 1.0)
    };
    Heatmap {
        label: "log₁₀(L / L_c)".to_string(),
        missing_label: "diverges".to_string(),
        columns: n,
        rows: n,
        x_range,
        y_range,
        values,
        color_range,
    }
}

impl FigurePlan for PhaseDiagramPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let mut panel = Panel::empty(
            match &self.minibatch {
                None => "white noise",
                Some(_) => "minibatch noise (exact)",
            },
            "λk (learning rate × curvature)",
            "momentum μ",
        );
        panel.x_scale = Scale::Linear;
        panel.y_scale = Scale::Linear;
        panel.x_range = (0.0, config.learning_rate_times_curvature_max);
        panel.y_range = (0.0, config.momentum_max);
        panel.heatmap = Some(self.heatmap.clone());
        let paper = self.boundary(false);
        if !paper.points.is_empty() {
            panel.curves.push(paper);
        }
        if self.minibatch.is_some() {
            let exact_curve = self.boundary(true);
            if !exact_curve.points.is_empty() {
                panel.curves.push(exact_curve);
            }
        }
        let x = config.learning_rate_times_curvature;
        let mu = config.momentum;
        let ratio = self.mode.log_ratio(x, mu).map(|log| 10f64.powf(log));
        let label = match ratio {
            Some(ratio) => format!(
                "this configuration (λk = {}, μ = {}): L/L_c = {}",
                exact(x),
                exact(mu),
                short(ratio)
            ),
            None => format!(
                "this configuration (λk = {}, μ = {}): diverges",
                exact(x),
                exact(mu)
            ),
        };
        if x <= config.learning_rate_times_curvature_max && mu <= config.momentum_max {
            panel.points.push(PointSeries {
                label,
                role: Role::DiscreteTheory,
                points: vec![ErrorPoint {
                    x,
                    y: mu,
                    stderr: 0.0,
                }],
            });
        }
        let mut notes = Vec::new();
        if x > config.learning_rate_times_curvature_max || mu > config.momentum_max {
            notes.push(format!(
                "The marked configuration (λk = {}, μ = {}) lies outside the diagram (lrk_max = {}, \
                 mu_max = {}).",
                exact(x),
                exact(mu),
                exact(config.learning_rate_times_curvature_max),
                exact(config.momentum_max)
            ));
        }
        FigureData {
            table: None,
            notes,
            id: "phase".to_string(),
            title: format!(
                "Stability phase diagram of {} — L/L_c over (λk, μ)",
                self.method_name()
            ),
            caption: self.caption(ratio),
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FigureConfig};

    fn plan(text: &str) -> PhaseDiagramPlan {
        let config = Config::parse(text).expect("valid");
        match config.figure {
            Some(FigureConfig::Phase(phase)) => PhaseDiagramPlan::new(&phase).expect("builds"),
            _ => panic!("not a phase diagram"),
        }
    }

    #[test]
    fn white_noise_sgdm_cells_are_corollary_2() {
        let plan = plan("fig=phase&res=40");
        let heatmap = &plan.heatmap;
        for row in 0..heatmap.rows {
            for column in 0..heatmap.columns {
                let (x, mu) = heatmap.cell_center(column, row);
                let threshold = 2.0 * (1.0 + mu);
                match heatmap.value(column, row) {
                    Some(log) => {
                        let expected = threshold / (threshold - x);
                        let ratio = 10f64.powf(log);
                        // Exact solve against the closed form: a 4×4 elimination and a log10
                        // round trip, far from the edge (ratio < 100): 1e-10 relative.
                        assert!(
                            (ratio - expected).abs() <= 1e-10 * expected,
                            "{x} {mu}: {ratio} vs {expected}"
                        );
                    }
                    None => assert!(x >= threshold * (1.0 - 1e-12), "{x} {mu} should be stable"),
                }
            }
        }
    }
}
