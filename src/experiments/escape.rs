//! `fig=escape` (Sec. 6.2): the escaping efficiency E(t) = E[L(w_t) − L(w_0)] of Zhu et al. from
//! the minimum w_0 = 0, L = wᵀKw/2, with Gaussian gradient noise C.
//! - (a) E versus the step t: the exact discrete-time E_d(t) (Eq. 41), the continuous-time E_c(t)
//!   (Eq. 40), their t → ∞ limits (Eq. 73 and λ/4·Tr C), and simulated ensembles (the mean of L
//!   over the particles after t steps, with its standard error);
//! - (b) the gain of anisotropic noise aligned with K over isotropic noise of the same trace,
//!   Tr[KC]/Tr[KC̄] with C̄ = (Tr C/D)·I (E_d(1)'s ratio, Eq. 72), versus the condition number of
//!   K, with the long-time ratio of E_d(∞) (and E_c(∞)'s, always 1) and the configuration's own
//!   (K, C) marked.

use nalgebra::DMatrix;

use super::common::{count, exact, fit_log_y, linspace, panel, short, task_seed, CURVE_POINTS};
use super::data::{Curve, ErrorPoint, FigureData, Panel, PointSeries, Role, Scale};
use super::fig3::matrix_text;
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::escape;
use crate::config::{hessian_and_covariance, EscapeEfficiencyFigureConfig};
use crate::error::FieldErrors;
use crate::linalg::SymmetricEigen;
use crate::model::{Noise, Optimizer, Problem};
use crate::sim::EnsembleSpec;

/// The step counts of a sweep's ensembles: t_j = round(T·j/points) (at least 1), j = 1..points.
pub(super) fn sweep_steps(simulation: &crate::config::SweepSimulation) -> Vec<u64> {
    let points = simulation.points.max(1) as f64;
    (1..=simulation.points)
        .map(|j| ((simulation.steps as f64 * j as f64 / points).round() as u64).max(1))
        .collect()
}

/// Largest condition number of panel (b)'s axis (unless the configuration's K is worse).
const CONDITION_MAX: f64 = 1e4;

/// The prepared `fig=escape`.
pub(crate) struct EscapeEfficiencyPlan {
    config: EscapeEfficiencyFigureConfig,
    /// K (rotated by `angle`).
    hessian: DMatrix<f64>,
    /// C.
    covariance: DMatrix<f64>,
    /// K's largest and smallest eigenvalues.
    largest_curvature: f64,
    smallest_curvature: f64,
    /// The SGD model the ensembles run.
    problem: Problem,
}

impl EscapeEfficiencyPlan {
    /// Prepares the panels: K, C and the SGD model.
    ///
    /// # Errors
    /// A [`FieldError`] naming `K`, `angle`, `C` or `lr` (the configuration is validated before,
    /// so only inconsistent inputs reach this).
    pub(crate) fn new(config: &EscapeEfficiencyFigureConfig) -> Result<Self, FieldErrors> {
        let (hessian, covariance) =
            hessian_and_covariance(&config.hessian, config.angle, &config.covariance)?;
        let problem = Problem::new(
            Some(hessian.clone()),
            Noise::Gaussian {
                covariance: covariance.clone(),
            },
            Optimizer::Sgd {
                learning_rate: config.learning_rate,
            },
        )?;
        let eigen = SymmetricEigen::new(&hessian);
        Ok(Self {
            config: config.clone(),
            largest_curvature: eigen.values.max(),
            smallest_curvature: eigen.values.min(),
            hessian,
            covariance,
            problem,
        })
    }

    fn learning_rate(&self) -> f64 {
        self.config.learning_rate
    }

    /// Whether SGD has a stationary state (λk* < 2), i.e. E_d(t) has a finite limit.
    fn stable(&self) -> bool {
        self.learning_rate() * self.largest_curvature < 2.0
    }

    /// E_d(t), Eq. 41.
    fn discrete(&self, steps: u64) -> Option<f64> {
        escape::discrete_efficiency(&self.hessian, &self.covariance, self.learning_rate(), steps)
            .ok()
    }

    /// E_c(t), Eq. 40.
    fn continuous(&self, time: f64) -> Option<f64> {
        escape::continuous_efficiency(&self.hessian, &self.covariance, self.learning_rate(), time)
            .ok()
    }

    /// The step counts of the simulated ensembles: t_j = round(T·j/points) (at least 1),
    /// j = 1..points.
    fn simulated_steps(&self) -> Vec<u64> {
        sweep_steps(&self.config.simulation)
    }

    /// The integer steps where the theory curves are evaluated: every step up to
    /// [`CURVE_POINTS`], rounded even spacing beyond.
    fn curve_steps(&self) -> Vec<u64> {
        let horizon = self.config.simulation.steps;
        if horizon <= CURVE_POINTS as u64 {
            return (0..=horizon).collect();
        }
        let mut steps: Vec<u64> = linspace(0.0, horizon as f64, CURVE_POINTS + 1)
            .into_iter()
            .map(|t| (t.round() as u64).min(horizon))
            .collect();
        steps.dedup();
        steps
    }

    /// The simulated points: the mean of L = ½wᵀKw over the live particles after t_j steps, with
    /// its standard error; and how many ensembles were left out (a particle diverged, or the
    /// ensemble failed).
    fn simulated_points(&self, outcomes: &[(TaskLabel, Outcome)]) -> (Vec<ErrorPoint>, usize) {
        let mut points = Vec::new();
        let mut left_out = 0;
        for (label, outcome) in outcomes.iter().filter(|(label, _)| label.panel == 0) {
            match outcome {
                Outcome::Positions {
                    weights,
                    dimension,
                    diverged: 0,
                } if *dimension == self.hessian.nrows() => {
                    match mean_loss(&self.hessian, weights, *dimension) {
                        Some((mean, stderr)) => points.push(ErrorPoint {
                            x: label.x,
                            y: mean,
                            stderr,
                        }),
                        None => left_out += 1,
                    }
                }
                _ => left_out += 1,
            }
        }
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        (points, left_out)
    }

    /// Panel (a): E_d, E_c, their limits and the simulation versus t.
    fn efficiency_panel(&self, points: Vec<ErrorPoint>) -> Panel {
        let config = &self.config;
        let horizon = config.simulation.steps.max(1);
        let stable = self.stable();
        // Past λk* = 2, E_d grows geometrically: a log axis (from t = 1, E(0) = 0) shows it.
        let scale = if stable { Scale::Linear } else { Scale::Log };
        let mut panel = panel(
            format!(
                "(a) λ = {}, λk* = {}: E(t) from w₀ = 0",
                exact(self.learning_rate()),
                short(self.learning_rate() * self.largest_curvature)
            ),
            "steps t",
            "escape efficiency E(t) = E[L(w_t)]",
            (0.0, horizon as f64),
            scale,
        );
        let first = if stable { 0 } else { 1 };
        let steps: Vec<u64> = self
            .curve_steps()
            .into_iter()
            .filter(|&t| t >= first)
            .collect();
        let times: Vec<f64> = steps.iter().map(|&t| t as f64).collect();
        panel.curves.push(Curve {
            label: "E_d(t), exact discrete time (Eq. 41)".to_string(),
            role: Role::DiscreteTheory,
            points: steps
                .iter()
                .filter_map(|&t| self.discrete(t).map(|e| (t as f64, e)))
                .filter(|(_, e)| e.is_finite())
                .collect(),
        });
        panel.curves.push(super::common::curve(
            "E_c(t), continuous time (Eq. 40)",
            Role::ContinuousTheory,
            &times,
            |t| self.continuous(t),
        ));
        let horizontal = |label: &str, value: Option<f64>| {
            value.filter(|v| v.is_finite()).map(|v| Curve {
                label: label.to_string(),
                role: Role::Reference,
                points: vec![(0.0, v), (horizon as f64, v)],
            })
        };
        if stable {
            panel.curves.extend(horizontal(
                "E_d(∞) = λ/2·Tr[(2I−λK)⁻¹C]",
                escape::discrete_efficiency_limit(
                    &self.hessian,
                    &self.covariance,
                    self.learning_rate(),
                )
                .ok(),
            ));
        }
        panel.curves.extend(horizontal(
            "E_c(∞) = λ/4·Tr C",
            escape::continuous_efficiency_limit(&self.covariance, self.learning_rate()).ok(),
        ));
        panel.points.push(PointSeries {
            label: format!(
                "simulation ({} particles per t, mean of L = ½wᵀKw ± standard error)",
                count(config.simulation.particles)
            ),
            role: Role::Simulation,
            points,
        });
        if stable {
            let top = highest_value(&panel, 0.0);
            panel.y_range = (0.0, if top > 0.0 { 1.1 * top } else { 1.0 });
        } else {
            fit_log_y(&mut panel);
        }
        panel
    }

    /// Panel (b): Tr[KC]/Tr[KC̄] (and the t → ∞ ratio) versus the condition number κ.
    fn alignment_panel(&self) -> Panel {
        let d = self.hessian.nrows();
        let lr = self.learning_rate();
        let k_max = self.largest_curvature;
        let user_condition = k_max / self.smallest_curvature;
        let condition_max = if user_condition.is_finite() {
            CONDITION_MAX.max(1.5 * user_condition)
        } else {
            CONDITION_MAX
        };
        // The synthetic K has the configuration's D (at least 2) and k*, so λk* is the same.
        let dimension = d.max(2);
        let mut panel = panel(
            format!(
                "(b) C ∝ K versus C̄ = (Tr C/D)·I, D = {dimension}, k* = {}",
                short(k_max)
            ),
            "condition number κ = k*/k_min (K's eigenvalues log-spaced from k* to k*/κ)",
            "E(C) / E(C̄)",
            (1.0, condition_max),
            Scale::Linear,
        );
        panel.x_scale = Scale::Log;
        let conditions: Vec<f64> = linspace(0.0, condition_max.log10(), CURVE_POINTS)
            .into_iter()
            .map(|e| 10f64.powf(e))
            .collect();
        let synthetic = |condition: f64| {
            let values: Vec<f64> = (0..dimension)
                .map(|i| k_max * condition.powf(-(i as f64) / (dimension - 1) as f64))
                .collect();
            let hessian = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(values));
            let isotropic =
                DMatrix::identity(dimension, dimension) * (hessian.trace() / dimension as f64);
            (hessian, isotropic)
        };
        panel.curves.push(super::common::curve(
            "after one step: E_d(1) ratio Tr[KC]/Tr[KC̄] (Eq. 72)",
            Role::DiscreteTheory,
            &conditions,
            |condition| {
                let (hessian, isotropic) = synthetic(condition);
                ratio(
                    escape::discrete_efficiency(&hessian, &hessian, lr, 1).ok(),
                    escape::discrete_efficiency(&hessian, &isotropic, lr, 1).ok(),
                )
            },
        ));
        if self.stable() {
            panel.curves.push(super::common::curve(
                "long time: E_d(∞) ratio Tr[(2I−λK)⁻¹C]/Tr[(2I−λK)⁻¹C̄] (Eq. 73)",
                Role::ExactTheory,
                &conditions,
                |condition| {
                    let (hessian, isotropic) = synthetic(condition);
                    ratio(
                        escape::discrete_efficiency_limit(&hessian, &hessian, lr).ok(),
                        escape::discrete_efficiency_limit(&hessian, &isotropic, lr).ok(),
                    )
                },
            ));
        }
        panel.curves.push(Curve {
            label: "long time, continuous: E_c(∞) ratio = Tr C/Tr C̄ = 1 (blind to the alignment)"
                .to_string(),
            role: Role::ContinuousTheory,
            points: vec![(1.0, 1.0), (condition_max, 1.0)],
        });
        let trace = self.covariance.trace();
        let user_isotropic = DMatrix::identity(d, d) * (trace / d as f64);
        let one_step = ratio(
            escape::discrete_efficiency(&self.hessian, &self.covariance, lr, 1).ok(),
            escape::discrete_efficiency(&self.hessian, &user_isotropic, lr, 1).ok(),
        );
        let long_time = if self.stable() {
            ratio(
                escape::discrete_efficiency_limit(&self.hessian, &self.covariance, lr).ok(),
                escape::discrete_efficiency_limit(&self.hessian, &user_isotropic, lr).ok(),
            )
        } else {
            None
        };
        if user_condition.is_finite() {
            for (name, value) in [("E_d(1)", one_step), ("E_d(∞)", long_time)] {
                if let Some(value) = value {
                    panel.points.push(PointSeries {
                        label: format!(
                            "this K, C: {name} ratio {} at κ = {}",
                            short(value),
                            short(user_condition)
                        ),
                        role: Role::Reference,
                        points: vec![ErrorPoint {
                            x: user_condition,
                            y: value,
                            stderr: 0.0,
                        }],
                    });
                }
            }
        }
        // (Its points have no error: their top is the value.)
        let top = highest_value(&panel, 1.0);
        panel.y_range = (0.0, 1.1 * top);
        panel
    }
}

/// The largest finite value a panel shows (curves, and points with their error bar), at least
/// `floor`.
fn highest_value(panel: &Panel, floor: f64) -> f64 {
    panel
        .curves
        .iter()
        .flat_map(|curve| curve.points.iter().map(|&(_, y)| y))
        .chain(
            panel
                .points
                .iter()
                .flat_map(|series| series.points.iter().map(|p| p.y + p.stderr)),
        )
        .filter(|y| y.is_finite())
        .fold(floor, f64::max)
}

/// a/b when both exist and b > 0.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => Some(a / b),
        _ => None,
    }
}

/// The mean of L = ½wᵀKw over particles (`weights` particle-major, P×D) and its standard error
/// (sample standard deviation/√P); `None` with fewer than 2 particles or a non-finite value.
pub(super) fn mean_loss(
    hessian: &DMatrix<f64>,
    weights: &[f64],
    dimension: usize,
) -> Option<(f64, f64)> {
    if dimension == 0 {
        return None;
    }
    let losses: Vec<f64> = weights
        .chunks_exact(dimension)
        .map(|w| {
            let mut total = 0.0;
            for i in 0..dimension {
                for j in 0..dimension {
                    total += w[i] * hessian[(i, j)] * w[j];
                }
            }
            0.5 * total
        })
        .collect();
    let p = losses.len();
    if p < 2 {
        return None;
    }
    let mean = losses.iter().sum::<f64>() / p as f64;
    let variance = losses.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / (p - 1) as f64;
    let stderr = (variance / p as f64).sqrt();
    (mean.is_finite() && stderr.is_finite()).then_some((mean, stderr))
}

impl FigurePlan for EscapeEfficiencyPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let simulation = &config.simulation;
        let lr = self.learning_rate();
        let horizon = simulation.steps;
        let (points, left_out) = self.simulated_points(outcomes);
        let mut notes = Vec::new();
        if !self.stable() {
            notes.push(format!(
                "λk* = {} ≥ 2: SGD diverges, E_d(t) grows geometrically and has no t → ∞ limit \
                 (only E_c(∞) is drawn; log scale)",
                short(lr * self.largest_curvature)
            ));
        }
        if left_out > 0 {
            notes.push(format!(
                "{left_out} simulated ensemble(s) left out: particles diverged (|w| > 10⁸) or the \
                 ensemble failed"
            ));
        }
        let panels = vec![self.efficiency_panel(points), self.alignment_panel()];
        let d = self.hessian.nrows();
        let text = |value: Option<f64>| value.map_or_else(|| "—".to_string(), short);
        let limit = if self.stable() {
            format!(
                "E_d(∞) = λ/2·Tr[(2I−λK)⁻¹C] = {} (Eq. 73)",
                text(escape::discrete_efficiency_limit(&self.hessian, &self.covariance, lr).ok())
            )
        } else {
            "E_d has no finite limit (λk* ≥ 2)".to_string()
        };
        let caption = format!(
            "SGD (Eq. 6) on L = wᵀKw/2 with K = {} (D = {d}, k* = {}, κ = {}), Gaussian gradient \
             noise C = {} and λ = {}, from the minimum w₀ = 0. (a) The escaping efficiency \
             E(t) = E[L(w_t) − L(w₀)]: exactly E_d(t) = λ/4·Tr[(I − λK/2)⁻¹(I − (I − λK)^(2t))C] \
             (Eq. 41), against the continuous-time E_c(t) = λ/4·Tr[(I − exp(−2λKt))C] (Eq. 40); \
             at T = {horizon}: E_d = {}, E_c = {}; {limit}, E_c(∞) = λ/4·Tr C = {}. Points: {} \
             independent ensembles of {} particles, ensemble j run t_j = round(T·j/{}) steps \
             (seed {}), each the mean of L over its particles with its standard error. (b) Noise \
             aligned with K (C ∝ K) against isotropic noise of the same trace C̄ = (Tr C/D)·I, \
             for K with log-spaced eigenvalues from k* down to k*/κ: after one step the ratio is \
             Tr[KC]/Tr[KC̄] (Eq. 72), which grows with κ (Zhu et al.'s anisotropic advantage); the \
             continuous long-time limit λ/4·Tr C cannot see the alignment at all (ratio 1), the \
             exact discrete one keeps part of it. The markers are this configuration's K and C.",
            matrix_text(&self.hessian),
            short(self.largest_curvature),
            short(self.largest_curvature / self.smallest_curvature),
            matrix_text(&self.covariance),
            exact(lr),
            text(self.discrete(horizon)),
            text(self.continuous(horizon as f64)),
            text(escape::continuous_efficiency_limit(&self.covariance, lr).ok()),
            simulation.points,
            count(simulation.particles),
            simulation.points,
            simulation.seed,
        );
        FigureData {
            id: "escape".to_string(),
            title: "Sec. 6.2 — escape efficiency from a minimum".to_string(),
            caption,
            panels,
            table: None,
            notes,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let simulation = &self.config.simulation;
        let d = self.hessian.nrows() as u64;
        self.simulated_steps()
            .into_iter()
            .enumerate()
            .map(|(index, steps)| Task {
                label: TaskLabel {
                    panel: 0,
                    x: steps as f64,
                },
                kind: TaskKind::Ensemble {
                    problem: Box::new(self.problem.clone()),
                    spec: EnsembleSpec {
                        particles: simulation.particles,
                        seed: task_seed(simulation.seed, index + 1),
                        ..EnsembleSpec::default()
                    },
                    steps,
                    measure: Measure::FinalPositions,
                    work_per_particle_step: d,
                    schedule: None,
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_loss_of_known_particles() {
        let hessian = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![2.0, 0.0]));
        // L = w₁²: 1, 4, 9 → mean 14/3, sample variance ((1−14/3)² + (4−14/3)² + (9−14/3)²)/2.
        let (mean, stderr) =
            mean_loss(&hessian, &[1.0, 5.0, 2.0, 5.0, 3.0, 5.0], 2).unwrap_or((f64::NAN, f64::NAN));
        let variance = ((1.0_f64 - 14.0 / 3.0).powi(2)
            + (4.0_f64 - 14.0 / 3.0).powi(2)
            + (9.0_f64 - 14.0 / 3.0).powi(2))
            / 2.0;
        assert!((mean - 14.0 / 3.0).abs() < 1e-12);
        assert!((stderr - (variance / 3.0).sqrt()).abs() < 1e-12);
        assert!(mean_loss(&hessian, &[1.0, 2.0], 2).is_none());
    }
}
