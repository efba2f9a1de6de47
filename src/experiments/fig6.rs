//! Fig. 6: escape from a sharp minimum (the Kramers problem, Sec. 6.3), in the C¹
//! piecewise-quadratic double well of `FIGURES.md` ([`crate::sim::double_well::DoubleWell`]).
//! - (a) the loss rL(w) with the stationary densities at minimum a: discrete-time
//!   N(0, λ/(S(2 − λrk_a))) (Corollary 1 with C = rk_a/S), wider than the continuous-time
//!   N(0, λ/(2S)); the paper's well half-width √(ΔL/k_a) is marked.
//! - (b) γ/|k_b| versus the loss scale r: simulated escapes (censoring-aware rate with its standard
//!   error), Eq. 51 (flat in r), Eq. 52 times an empirical constant (fitted, or given), and the
//!   exact discrete-time rate from the chain's mean first-passage time (Nyström, `ERRATA.md`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::common::CURVE_POINTS;
use super::common::{count, curve, exact, fit_log_y, linspace, panel, short, task_seed};
use super::data::{ErrorPoint, FigureData, Marker, PointSeries, Role, Scale, Shading};
use super::run::{Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::kramers::{self, KramersProblem};
use crate::config::{DoubleWellConfig, Eq52Form, EscapeRateFigureConfig};
use crate::error::FieldErrors;
use crate::sim::double_well::{erf, exact_mean_escape_steps, DoubleWell, EscapeDynamics};

/// Cells of the Nyström grid of Fig. 6(b)'s exact escape rate (Richardson-extrapolated with half
/// as many): within 0.5% of the 1200-cell value at r = 0.1 and 1e-4 for r ≥ 0.8 (the tests check
/// 1%), at 8–16 ms per value of r natively, so the 20 values of the curve stay well under a second
/// in the browser. (The time goes mostly into the cells² normal CDFs, not the O(cells³) solve.)
pub const EXACT_ESCAPE_CELLS: usize = 200;

/// Values of r on which Fig. 6(b)'s exact escape rate is computed.
pub const EXACT_ESCAPE_POINTS: usize = 20;

/// The prepared Fig. 6(a).
pub(crate) struct DensityPlan {
    config: DoubleWellConfig,
    dynamics: EscapeDynamics,
}

impl DensityPlan {
    pub(crate) fn new(config: &DoubleWellConfig) -> Result<Self, FieldErrors> {
        Ok(Self {
            dynamics: config.to_dynamics()?,
            config: config.clone(),
        })
    }
}

/// The density of N(0, variance) at w.
fn gaussian_density(variance: f64, w: f64) -> f64 {
    (-w * w / (2.0 * variance)).exp() / (std::f64::consts::TAU * variance).sqrt()
}

impl FigurePlan for DensityPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let well = self.dynamics.well;
        let (lr, r, s) = (
            config.learning_rate,
            config.loss_scale,
            config.batch_size as f64,
        );
        let ka = config.well_curvature;
        let x = lr * r * ka;
        // Corollary 1 with K = rk_a and C = rk_a/S: Σ = λC/(K(2 − λK)); Eq. 4: λC/(2K).
        let discrete = lr / (s * (2.0 - x));
        let continuous = lr / (2.0 * s);
        let barrier = well.barrier_top();
        let x_range = (-barrier, 3.0 * barrier);
        let grid = linspace(x_range.0, x_range.1, 2 * CURVE_POINTS + 1);
        let half_width = (config.barrier_height / ka).sqrt();
        let mut panel = panel(
            format!("λrk_a = {}", short(x)),
            "w",
            "rL(w) and density p(w)",
            x_range,
            Scale::Linear,
        );
        panel
            .curves
            .push(curve("loss rL(w)", Role::Reference, &grid, |w| {
                Some(r * well.loss(w))
            }));
        panel.curves.push(curve(
            format!("discrete theory at a: N(0, {})", short(discrete)),
            Role::DiscreteTheory,
            &grid,
            |w| Some(gaussian_density(discrete, w)),
        ));
        panel.curves.push(curve(
            format!("continuous theory at a: N(0, {})", short(continuous)),
            Role::ContinuousTheory,
            &grid,
            |w| Some(gaussian_density(continuous, w)),
        ));
        panel.markers.push(Marker {
            x: half_width,
            label: format!("half-width √(ΔL/k_a) = {} (paper)", short(half_width)),
        });
        panel.markers.push(Marker {
            x: barrier,
            label: format!("barrier top b = {}", short(barrier)),
        });
        let peak = gaussian_density(discrete, 0.0).max(gaussian_density(continuous, 0.0));
        panel.y_range = (0.0, 1.1 * peak.max(r * config.barrier_height));
        let inside = |variance: f64| erf(half_width / (2.0 * variance).sqrt());
        let caption = format!(
            "The double well of FIGURES.md (C¹, piecewise quadratic: curvature k_a = {} at the \
             minima a = 0 and c = {}, −|k_b| = −{} on the barrier, height ΔL = {}, top b = {}), scaled \
             by r = {}, with SGD at λ = {} and Hessian-proportional noise η ~ N(0, r|L″(w)|/S), \
             S = {}. At minimum a the discrete-time theory gives Σ = λ/(S(2 − λrk_a)) = {} \
             (Corollary 1 with C = rk_a/S), wider than the continuous-time λ/(2S) = {} (Eq. 4). The \
             paper approximates the well by its half-width √(ΔL/k_a) = {} (Eq. 47; a Gaussian \
             integral matches Eq. 47 only with √(2ΔL/k_a), ERRATA.md): the discrete density puts \
             {}% of its mass inside it, the continuous one {}%.",
            exact(ka),
            short(2.0 * barrier),
            exact(config.barrier_curvature),
            exact(config.barrier_height),
            short(barrier),
            exact(r),
            exact(lr),
            config.batch_size,
            short(discrete),
            short(continuous),
            short(half_width),
            short(100.0 * inside(discrete)),
            short(100.0 * inside(continuous))
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "6a".to_string(),
            title: "Fig. 6(a) — the Kramers problem: stationary densities in a sharp minimum"
                .to_string(),
            caption,
            panels: vec![panel],
        }
    }

    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}

/// The prepared Fig. 6(b).
pub(crate) struct EscapeRatePlan {
    config: EscapeRateFigureConfig,
    well: DoubleWell,
    /// The exact γ/|k_b| on [`EXACT_ESCAPE_POINTS`] values of r: computed on first use, or
    /// point by point in progressive mode.
    exact: Mutex<ExactCurve>,
    /// Progressive mode (see [`super::Experiment::progressive`]).
    progressive: AtomicBool,
}

/// The exact curve so far.
#[derive(Default)]
struct ExactCurve {
    /// Points computed, in increasing r.
    points: Vec<(f64, f64)>,
    /// How many of the r values were tried.
    tried: usize,
}

impl EscapeRatePlan {
    pub(crate) fn new(config: &EscapeRateFigureConfig) -> Result<Self, FieldErrors> {
        let well = &config.well;
        Ok(Self {
            well: DoubleWell::new(
                well.well_curvature,
                well.barrier_curvature,
                well.barrier_height,
            )?,
            config: config.clone(),
            exact: Mutex::new(ExactCurve::default()),
            progressive: AtomicBool::new(false),
        })
    }

    fn dynamics(&self, loss_scale: f64) -> Option<EscapeDynamics> {
        let well = &self.config.well;
        EscapeDynamics::new(
            self.well,
            well.learning_rate,
            loss_scale,
            well.batch_size as f64,
        )
        .ok()
    }

    fn kramers(&self, loss_scale: f64) -> KramersProblem {
        let well = &self.config.well;
        KramersProblem {
            minimum_curvature: well.well_curvature,
            barrier_curvature: well.barrier_curvature,
            barrier_height: well.barrier_height,
            path_split: self.well.switch_fraction(),
            batch_size: well.batch_size as f64,
            learning_rate: well.learning_rate,
            loss_scale,
        }
    }

    /// Eq. 51, γ_c/(r|k_b|).
    fn eq51(&self, loss_scale: f64) -> Option<f64> {
        let problem = self.kramers(loss_scale);
        kramers::continuous_rate(&problem)
            .ok()
            .map(|rate| rate / problem.scaled_barrier_curvature())
    }

    /// Eq. 52 (as configured), γ/(r|k_b|), before the constant.
    fn eq52(&self, loss_scale: f64) -> Option<f64> {
        let problem = self.kramers(loss_scale);
        let rate = match self.config.eq52 {
            Eq52Form::Printed => kramers::discrete_rate_as_printed(&problem),
            Eq52Form::Corrected => kramers::discrete_rate_corrected(&problem),
        };
        rate.ok()
            .map(|rate| rate / problem.scaled_barrier_curvature())
            .filter(|y| y.is_finite() && *y > 0.0)
    }

    /// The exact γ/|k_b| = (1/τ)/(λr|k_b|), τ the exact mean escape time in steps: all of it,
    /// or in progressive mode the points computed so far.
    fn exact_curve(&self) -> Vec<(f64, f64)> {
        if !self.progressive.load(Ordering::Relaxed) {
            while self.refine_exact() {}
        }
        self.exact
            .lock()
            .map(|curve| curve.points.clone())
            .unwrap_or_default()
    }

    /// Computes the exact rate at the next value of r; whether there was one.
    fn refine_exact(&self) -> bool {
        let Ok(mut curve) = self.exact.lock() else {
            return false;
        };
        if curve.tried >= EXACT_ESCAPE_POINTS {
            return false;
        }
        let (low, high) = self.config.loss_scale_range;
        let r = linspace(low, high, EXACT_ESCAPE_POINTS)[curve.tried];
        curve.tried += 1;
        let point = self.dynamics(r).and_then(|dynamics| {
            let steps = exact_mean_escape_steps(&dynamics, EXACT_ESCAPE_CELLS)?;
            let y = dynamics.rate_over_barrier_curvature(1.0 / steps);
            (y.is_finite() && y > 0.0).then_some((r, y))
        });
        curve.points.extend(point);
        true
    }

    /// The simulated γ/|k_b| with standard errors.
    fn simulated(&self, outcomes: &[(TaskLabel, Outcome)]) -> Vec<ErrorPoint> {
        outcomes
            .iter()
            .filter_map(|(label, outcome)| match outcome {
                Outcome::Escape(statistics) if statistics.escaped > 0 => {
                    let dynamics = self.dynamics(label.x)?;
                    let y = dynamics.rate_over_barrier_curvature(statistics.rate_per_step);
                    let stderr = dynamics.rate_over_barrier_curvature(statistics.rate_stderr);
                    (y.is_finite() && y > 0.0 && stderr.is_finite()).then_some(ErrorPoint {
                        x: label.x,
                        y,
                        stderr,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// The least-squares constant in log space: exp(mean(ln y − ln Eq. 52)).
    fn fitted_constant(&self, targets: &[(f64, f64)]) -> Option<f64> {
        let logs: Vec<f64> = targets
            .iter()
            .filter_map(|&(r, y)| self.eq52(r).map(|model| y.ln() - model.ln()))
            .filter(|v| v.is_finite())
            .collect();
        (!logs.is_empty())
            .then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp())
            .filter(|c| c.is_finite() && *c > 0.0)
    }
}

impl FigurePlan for EscapeRatePlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let well = &config.well;
        let (low, high) = config.loss_scale_range;
        let span = high - low;
        let x_range = (low - 0.03 * span, high + 0.03 * span);
        let grid = linspace(low, high, CURVE_POINTS);
        let simulated = self.simulated(outcomes);
        let exact_curve = self.exact_curve();
        let (constant, how) = match config.eq52_constant {
            Some(constant) => (constant, "given (eq52_const)".to_string()),
            None => {
                let simulated_targets: Vec<(f64, f64)> =
                    simulated.iter().map(|point| (point.x, point.y)).collect();
                match self.fitted_constant(&simulated_targets) {
                    Some(constant) => (
                        constant,
                        format!(
                            "fitted by least squares in log space to the {} simulated points",
                            simulated_targets.len()
                        ),
                    ),
                    None => (
                        self.fitted_constant(&exact_curve).unwrap_or(1.0),
                        "fitted by least squares in log space to the exact rate (no simulated \
                         point yet)"
                            .to_string(),
                    ),
                }
            }
        };
        let form = match config.eq52 {
            Eq52Form::Printed => "Eq. 52",
            Eq52Form::Corrected => "Eq. 52 (corrected prefactor)",
        };
        let mut panel = panel(
            format!("λ = {}, S = {}", exact(well.learning_rate), well.batch_size),
            "loss scale r",
            "γ/|k_b|",
            x_range,
            Scale::Log,
        );
        panel.curves.push(curve(
            "continuous theory (Eq. 51)",
            Role::ContinuousTheory,
            &grid,
            |r| self.eq51(r),
        ));
        panel.curves.push(curve(
            format!("{form} × {}", short(constant)),
            Role::FittedTheory,
            &grid,
            |r| self.eq52(r).map(|y| constant * y),
        ));
        panel.curves.push(super::data::Curve {
            label: "exact discrete-time rate (mean first passage)".to_string(),
            role: Role::ExactTheory,
            points: exact_curve.to_vec(),
        });
        let limit = 2.0 / (well.learning_rate * well.well_curvature);
        if limit < x_range.1 {
            panel.markers.push(Marker {
                x: limit,
                label: "r = 2/(λk_a) (the well itself is unstable)".to_string(),
            });
            panel.shadings.push(Shading {
                from: limit,
                to: x_range.1,
                label: "unstable well".to_string(),
            });
        }
        let simulation = &config.simulation;
        panel.points.push(PointSeries {
            label: format!(
                "simulation ({} particles per r, censoring-aware rate)",
                count(simulation.particles)
            ),
            role: Role::Simulation,
            points: simulated,
        });
        fit_log_y(&mut panel);
        let caption = format!(
            "Escape rate from minimum a of the double well of FIGURES.md (C¹, piecewise quadratic: \
             k_a = {}, |k_b| = {}, ΔL = {}, so l = |k_b|/(k_a + |k_b|) = {}) scaled by r (L → rL), \
             SGD with λ = {} and noise η ~ N(0, r|L″(w)|/S), S = {}, from w = 0; a particle escapes \
             at its first step beyond the junction w₂ = {}. γ/|k_b| = (1/mean escape steps)/(λr|k_b|). \
             Lines: the continuous theory Eq. 51 (flat in r); {form} times the constant {} ({how}; \
             the paper fits one too; Eq. 46, hence Eq. 52's prefactor, is inverted in print, \
             ERRATA.md); and the exact discrete-time rate from the chain's mean first-passage time \
             (Nyström on {} cells, Richardson-extrapolated, at {} values of r). Points: {} particles \
             per r at {} evenly spaced r from {} to {}, run until all escaped or {} steps, the \
             censoring-aware rate (escapes / steps at risk) with its standard error (seed {}).",
            exact(well.well_curvature),
            exact(well.barrier_curvature),
            exact(well.barrier_height),
            short(self.well.switch_fraction()),
            exact(well.learning_rate),
            well.batch_size,
            short(self.well.escape_point()),
            short(constant),
            EXACT_ESCAPE_CELLS,
            EXACT_ESCAPE_POINTS,
            count(simulation.particles),
            simulation.points,
            exact(low),
            exact(high),
            simulation.steps,
            simulation.seed
        );
        FigureData {
            table: None,
            notes: Vec::new(),
            id: "6b".to_string(),
            title: "Fig. 6(b) — escape rate from a sharp minimum versus loss scale".to_string(),
            caption,
            panels: vec![panel],
        }
    }

    fn set_progressive(&self, progressive: bool) {
        self.progressive.store(progressive, Ordering::Relaxed);
    }

    fn refine_theory(&self) -> bool {
        self.refine_exact()
    }

    fn theory_complete(&self) -> bool {
        self.exact
            .lock()
            .map(|curve| curve.tried >= EXACT_ESCAPE_POINTS)
            .unwrap_or(true)
    }

    fn tasks(&self) -> Vec<Task> {
        let config = &self.config;
        let simulation = &config.simulation;
        let (low, high) = config.loss_scale_range;
        linspace(low, high, simulation.points)
            .into_iter()
            .enumerate()
            .filter_map(|(index, r)| {
                let dynamics = self.dynamics(r)?;
                // A guess of the mean escape time for the progress bar: the corrected Eq. 52.
                let expected_steps = kramers::discrete_rate_corrected(&self.kramers(r))
                    .ok()
                    .map(|rate| 1.0 / (rate * config.well.learning_rate))
                    .unwrap_or(f64::NAN);
                Some(Task {
                    label: TaskLabel { panel: 0, x: r },
                    kind: TaskKind::Escape {
                        dynamics,
                        particles: simulation.particles,
                        seed: task_seed(simulation.seed, index),
                        max_steps: simulation.steps,
                        expected_steps,
                    },
                })
            })
            .collect()
    }
}
