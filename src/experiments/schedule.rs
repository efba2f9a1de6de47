//! `fig=schedule` (issue 16): training under learning-rate schedules.
//! - (a) the expected training loss E[L(w_t)] = ½Tr[K(Σ_t + μ_tμ_tᵀ)] versus the step t for up to
//!   four schedules: exact curves ([`crate::solver::curve`], mode by mode in K's eigenbasis,
//!   computed progressively in blocks of modes), simulated points (independent ensembles run to
//!   t_j with the schedule, the mean loss with its standard error), and the stationary floors of
//!   the initial and the final rates as horizontal references;
//! - (b) the rates λ_t.

use std::sync::Mutex;

use nalgebra::DMatrix;

use super::common::{count, exact, fit_log_y, panel, short, task_seed};
use super::data::{Curve, ErrorPoint, FigureData, PointSeries, Role, Scale};
use super::run::{Measure, Outcome, RateSchedule, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::config::{MatrixSpec, ScheduleFigureConfig};
use crate::error::FieldErrors;
use crate::model::Problem;
use crate::schedule::{curve_times, Schedule};
use crate::sim::{EnsembleSpec, Start};
use crate::solver::curve::{LossCurve, ModeBlock, ScheduledDynamics, MODE_BLOCK};
use crate::solver::modes::ModeDynamics;

/// Points of each exact curve.
const THEORY_POINTS: usize = 200;

/// One drawn schedule.
struct ScheduleCurve {
    name: &'static str,
    schedule: Schedule,
    dynamics: ScheduledDynamics,
    /// The rate of the last update, λ_{T−1}.
    final_rate: f64,
}

/// The exact curves' blocks computed so far: for each curve, its blocks in order, and each
/// block's share of the two stationary floors.
#[derive(Default)]
struct Progress {
    blocks: Vec<Vec<(ModeBlock, f64, f64)>>,
    progressive: bool,
}

/// The prepared `fig=schedule`.
pub(crate) struct SchedulePlan {
    config: ScheduleFigureConfig,
    curves: Vec<ScheduleCurve>,
    /// k_i, c̃_ii and w̃₀ per mode (K's eigenbasis).
    eigenvalues: Vec<f64>,
    noise: Vec<f64>,
    start: Vec<f64>,
    /// The base rate's per-mode dynamics (its stationary floor).
    base: ModeDynamics,
    /// The optimizer at the base rate.
    optimizer: crate::model::Optimizer,
    /// The dense model the ensembles run (D ≤ 512).
    problem: Option<Problem>,
    hessian: Option<DMatrix<f64>>,
    progress: Mutex<Progress>,
}

impl SchedulePlan {
    /// Prepares the modes (a spectrum, or K's eigen-decomposition), the schedules and the model.
    ///
    /// # Errors
    /// The configuration's problems, each naming a key.
    pub(crate) fn new(config: &ScheduleFigureConfig) -> Result<Self, FieldErrors> {
        let steps = config.simulation.steps;
        let (optimizer, eigenvalues, noise, start, problem) = match config.spectral_problem()? {
            Some(spectral) => {
                let d = spectral.eigenvalues.len();
                let noise = spectral.noise();
                let start = (0..d).map(|i| spectral.start_of(i)).collect();
                let problem = config.simulated().then(|| config.problem()).transpose()?;
                (
                    spectral.optimizer,
                    spectral.eigenvalues,
                    noise,
                    start,
                    problem,
                )
            }
            None => {
                let problem = config.problem()?;
                let eigen = problem.hessian_eigen();
                let d = eigen.values.len();
                let crate::model::Noise::Gaussian { covariance } = problem.noise() else {
                    return Err(crate::error::FieldError::new("C", "", "Gaussian noise").into());
                };
                let c_tilde = eigen.to_eigenbasis(covariance);
                let w0 = eigen.vectors.transpose() * config.start_point(d);
                (
                    problem.optimizer().clone(),
                    eigen.values.iter().copied().collect(),
                    (0..d).map(|i| c_tilde[(i, i)]).collect(),
                    w0.iter().copied().collect(),
                    Some(problem),
                )
            }
        };
        let conventions = crate::model::Conventions::PAPER;
        let lr = optimizer.learning_rate().unwrap_or(f64::NAN);
        let invalid = || {
            FieldErrors::from(crate::error::FieldError::new(
                "opt",
                optimizer.name(),
                "sgd, sgdm, qhm or nesterov with fig=schedule",
            ))
        };
        let curves = config
            .curves
            .iter()
            .map(|&name| {
                let schedule = config.schedule(name);
                let dynamics = ScheduledDynamics::new(
                    &optimizer,
                    &conventions,
                    &schedule,
                    steps,
                    THEORY_POINTS,
                )
                .ok_or_else(invalid)?;
                Ok(ScheduleCurve {
                    name,
                    final_rate: schedule.rate(lr, steps.saturating_sub(1), steps),
                    schedule,
                    dynamics,
                })
            })
            .collect::<Result<Vec<_>, FieldErrors>>()?;
        let base = ModeDynamics::new(&optimizer, &conventions).ok_or_else(invalid)?;
        let hessian = problem.as_ref().map(|p| p.hessian().clone());
        Ok(Self {
            config: config.clone(),
            progress: Mutex::new(Progress {
                blocks: curves.iter().map(|_| Vec::new()).collect(),
                progressive: false,
            }),
            curves,
            eigenvalues,
            noise,
            start,
            base,
            optimizer,
            problem,
            hessian,
        })
    }

    fn block_count(&self) -> usize {
        self.eigenvalues.len().div_ceil(MODE_BLOCK)
    }

    /// Block `index` of curve `curve`: its loss share and its share of the floors (base rate,
    /// final rate).
    fn compute_block(&self, curve: &ScheduleCurve, index: usize) -> (ModeBlock, f64, f64) {
        let range = index * MODE_BLOCK..((index + 1) * MODE_BLOCK).min(self.eigenvalues.len());
        let block = curve.dynamics.modes(
            &self.eigenvalues[range.clone()],
            &self.noise[range.clone()],
            &self.start[range.clone()],
        );
        let final_dynamics = self
            .optimizer
            .with_learning_rate(curve.final_rate)
            .and_then(|optimizer| ModeDynamics::new(&optimizer, &crate::model::Conventions::PAPER))
            .unwrap_or(self.base);
        let floor = |dynamics: &ModeDynamics| {
            range
                .clone()
                .map(|i| {
                    let k = self.eigenvalues[i];
                    dynamics
                        .pair_gain(k, k)
                        .map_or(f64::NAN, |gain| 0.5 * k * gain[0][0] * self.noise[i])
                })
                .sum::<f64>()
        };
        (block, floor(&self.base), floor(&final_dynamics))
    }

    /// Computes the next block of the first unfinished curve; whether there was one.
    fn refine(&self) -> bool {
        let next = {
            let Ok(progress) = self.progress.lock() else {
                return false;
            };
            progress
                .blocks
                .iter()
                .enumerate()
                .find(|(_, blocks)| blocks.len() < self.block_count())
                .map(|(curve, blocks)| (curve, blocks.len()))
        };
        let Some((curve, index)) = next else {
            return false;
        };
        let block = self.compute_block(&self.curves[curve], index);
        if let Ok(mut progress) = self.progress.lock() {
            if progress.blocks[curve].len() == index {
                progress.blocks[curve].push(block);
            }
        }
        true
    }

    fn complete(&self) -> bool {
        self.progress.lock().is_ok_and(|progress| {
            progress
                .blocks
                .iter()
                .all(|blocks| blocks.len() >= self.block_count())
        })
    }

    /// The simulated points of curve `index`.
    fn simulated_points(&self, index: usize, outcomes: &[(TaskLabel, Outcome)]) -> Vec<ErrorPoint> {
        let Some(hessian) = &self.hessian else {
            return Vec::new();
        };
        let mut points: Vec<ErrorPoint> = outcomes
            .iter()
            .filter(|(label, _)| label.panel == index)
            .filter_map(|(label, outcome)| match outcome {
                Outcome::Positions {
                    weights,
                    dimension,
                    diverged: 0,
                } if *dimension == hessian.nrows() => {
                    super::escape::mean_loss(hessian, weights, *dimension).map(|(y, stderr)| {
                        ErrorPoint {
                            x: label.x,
                            y,
                            stderr,
                        }
                    })
                }
                _ => None,
            })
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        points
    }
}

impl FigurePlan for SchedulePlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let config = &self.config;
        let steps = config.simulation.steps;
        let lr = config.optimizer.learning_rate().unwrap_or(f64::NAN);
        if !self.progress.lock().is_ok_and(|p| p.progressive) {
            while self.refine() {}
        }
        let total = self.block_count();
        // Each curve's sums (no copy of the blocks' per-mode numbers), or how far it got.
        let summaries: Vec<Result<(LossCurve, f64, f64), usize>> = self
            .progress
            .lock()
            .map(|progress| {
                self.curves
                    .iter()
                    .zip(&progress.blocks)
                    .map(|(curve, blocks)| {
                        if blocks.len() < total {
                            return Err(blocks.len());
                        }
                        Ok((
                            curve.dynamics.curve(blocks.iter().map(|b| &b.0)),
                            blocks.iter().map(|b| b.1).sum(),
                            blocks.iter().map(|b| b.2).sum(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut loss_panel = panel(
            format!(
                "(a) expected training loss, {} λ = {}",
                config.optimizer.name(),
                exact(lr)
            ),
            "step t",
            "E[L(w_t)] − L(w*)",
            (0.0, steps as f64),
            Scale::Log,
        );
        let mut rate_panel = panel(
            "(b) learning rate λ_t",
            "step t",
            "λ_t",
            (0.0, steps as f64),
            Scale::Linear,
        );
        let mut notes = Vec::new();
        let mut base_floor = None;
        for (index, curve) in self.curves.iter().enumerate() {
            let label = curve.name.to_string();
            if let Some(Ok((loss, base, final_floor))) = summaries.get(index) {
                let final_floor = *final_floor;
                base_floor = Some(*base);
                loss_panel.curves.push(Curve {
                    label: label.clone(),
                    role: Role::DiscreteTheory,
                    points: loss
                        .times
                        .iter()
                        .zip(&loss.train_loss)
                        .map(|(&t, &l)| (t as f64, l))
                        .filter(|(_, l)| l.is_finite() && *l > 0.0)
                        .collect(),
                });
                if final_floor.is_finite()
                    && final_floor > 0.0
                    && curve.final_rate.to_bits() != lr.to_bits()
                {
                    loss_panel.curves.push(Curve {
                        label: format!("floor at the final λ of {}", curve.name),
                        role: Role::Reference,
                        points: vec![(0.0, final_floor), (steps as f64, final_floor)],
                    });
                }
            } else {
                let finished = match summaries.get(index) {
                    Some(Err(finished)) => *finished,
                    _ => 0,
                };
                notes.push(format!(
                    "computing the exact curve of {}: {finished} of {total} blocks of modes",
                    curve.name
                ));
            }
            let times = curve_times(steps, THEORY_POINTS);
            rate_panel.curves.push(Curve {
                label,
                role: Role::DiscreteTheory,
                points: times
                    .iter()
                    .map(|&t| {
                        (
                            t as f64,
                            curve
                                .schedule
                                .rate(lr, t.min(steps.saturating_sub(1)), steps),
                        )
                    })
                    // A growing exponential schedule overflows: its rates stop where they do.
                    .filter(|(_, rate)| rate.is_finite())
                    .collect(),
            });
            let points = self.simulated_points(index, outcomes);
            if !points.is_empty() {
                loss_panel.points.push(PointSeries {
                    label: format!("{} (simulated)", curve.name),
                    role: Role::Simulation,
                    points,
                });
            }
        }
        if let Some(floor) = base_floor.filter(|f| f.is_finite() && *f > 0.0) {
            loss_panel.curves.push(Curve {
                label: format!("stationary floor at λ = {}", exact(lr)),
                role: Role::ContinuousTheory,
                points: vec![(0.0, floor), (steps as f64, floor)],
            });
        } else if base_floor.is_some() {
            notes.push(format!(
                "λ = {} has no stationary state: its floor is not drawn",
                exact(lr)
            ));
        }
        // The y-range fits the curves and points; a floor far below them (a rate annealed to
        // almost 0) is left out of the range rather than squashing the curves.
        let mut fitted = loss_panel.clone();
        fitted.curves.retain(|c| c.role != Role::Reference);
        fit_log_y(&mut fitted);
        let (fit_low, fit_high) = fitted.y_range;
        // Floors within a factor 30 below the curves widen the range; lower ones are only in
        // the caption.
        let lowest_floor = loss_panel
            .curves
            .iter()
            .filter(|c| c.role == Role::Reference)
            .filter_map(|c| c.points.first().map(|p| p.1))
            .filter(|&y| y >= fit_low / 30.0)
            .fold(fit_low, f64::min);
        loss_panel.y_range = (lowest_floor.min(fit_low * 1.5) / 1.5, fit_high);
        let (low, high) = loss_panel.y_range;
        for floor in loss_panel
            .curves
            .iter_mut()
            .filter(|c| c.role == Role::Reference)
        {
            if floor
                .points
                .first()
                .is_some_and(|p| p.1 < low || p.1 > high)
            {
                floor.points.clear();
            }
        }
        loss_panel.curves.retain(|c| !c.points.is_empty());
        let high = rate_panel
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .fold(0.0_f64, f64::max);
        // (A growing exponential schedule can reach f64::MAX: the margin must not overflow.)
        rate_panel.y_range = (
            0.0,
            if high > 0.0 {
                (high * 1.1).min(f64::MAX)
            } else {
                1.0
            },
        );
        if !config.simulated() && config.simulation.points > 0 && config.simulation.particles > 0 {
            notes.push(format!(
                "D = {} > 512: no simulation (the exact curves only)",
                self.eigenvalues.len()
            ));
        }
        let model = match &config.hessian {
            MatrixSpec::Spectrum(spectrum) => {
                format!("K = {spectrum} (D = {})", self.eigenvalues.len())
            }
            other => format!("K = {other} (D = {})", self.eigenvalues.len()),
        };
        let parameters = &config.parameters;
        let caption = format!(
            "{} with λ = {} on L = wᵀKw/2, {model}, Gaussian gradient noise C = {} + {}·K, from \
             w₀ = {} (momentum 0). Schedules as PyTorch's, λ_t the rate of the update t → t+1: \
             step = ×γ = {} at the milestones {}, exp = ×γ per step, cosine to lr_min = {} \
             (T_max = T − warm-up), inverse = λ/(1 + {}·t); warmup- = {} linear warm-up steps \
             first. (a) The exact E[L(w_t)] = ½Tr[K(Σ_t + μ_tμ_tᵀ)], mode by mode in K's \
             eigenbasis (each step's map is a polynomial in K), against simulated ensembles: point j \
             of a schedule is an independent ensemble of {} particles run t_j = round(T·j/{}) \
             steps (seed {}), the mean loss with its standard error. The horizontal lines are the \
             stationary loss at the base λ and at each schedule's final λ: decaying λ lowers the \
             floor that a constant λ keeps. (b) λ_t.",
            config.optimizer.name(),
            exact(lr),
            config.covariance,
            short(config.hessian_noise),
            match &config.start {
                Start::Point(point) => super::common::exact_list(point.as_slice()),
                _ => "0".to_string(),
            },
            short(parameters.gamma),
            if parameters.milestones.is_empty() {
                "(none)".to_string()
            } else {
                parameters
                    .milestones
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            short(parameters.lr_min),
            short(parameters.decay),
            parameters.warmup,
            count(config.simulation.particles),
            config.simulation.points,
            config.simulation.seed,
        );
        FigureData {
            id: "schedule".to_string(),
            title: "Training under learning-rate schedules".to_string(),
            caption,
            panels: vec![loss_panel, rate_panel],
            table: None,
            notes,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let (Some(problem), true) = (&self.problem, self.config.simulated()) else {
            return Vec::new();
        };
        let simulation = &self.config.simulation;
        let d = problem.dimension();
        let lr = self.config.optimizer.learning_rate().unwrap_or(f64::NAN);
        let start = Start::Point(self.config.start_point(d));
        let step_counts = super::escape::sweep_steps(&self.config.simulation);
        let mut tasks = Vec::new();
        for (index, curve) in self.curves.iter().enumerate() {
            for (j, &steps) in step_counts.iter().enumerate() {
                tasks.push(Task {
                    label: TaskLabel {
                        panel: index,
                        x: steps as f64,
                    },
                    kind: TaskKind::Ensemble {
                        problem: Box::new(problem.clone()),
                        spec: EnsembleSpec {
                            particles: simulation.particles,
                            seed: task_seed(simulation.seed, index * step_counts.len() + j + 1),
                            start: start.clone(),
                            ..EnsembleSpec::default()
                        },
                        steps,
                        measure: Measure::FinalPositions,
                        work_per_particle_step: if d <= 2 { d as u64 } else { (d * d + d) as u64 },
                        schedule: Some(Box::new(RateSchedule {
                            schedule: curve.schedule.clone(),
                            lr,
                            total: simulation.steps,
                        })),
                    },
                });
            }
        }
        tasks
    }

    fn set_progressive(&self, progressive: bool) {
        if let Ok(mut progress) = self.progress.lock() {
            progress.progressive = progressive;
        }
    }

    fn refine_theory(&self) -> bool {
        self.refine()
    }

    fn theory_complete(&self) -> bool {
        self.complete()
    }
}
