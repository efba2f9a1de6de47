//! `fig=adam` (issue 17): Adam, AdamW or RMSprop near a minimum L = wᵀKw/2 with Gaussian
//! gradient noise C.
//! - (a) the stationary training loss E[L] = ½Tr[KΣ] versus the learning rate λ: the β₂ → 1 limit
//!   (the self-consistent v = diag(K_g Σ K_g + C), Σ exact for that v; `solver::adaptive`), the
//!   continuous-time (SDE) prediction of Malladi et al. (2022), SGD and SGDM on the same K and C
//!   (exact, up to their stability edges), and the real optimizer simulated at a few β₂
//!   (time averages after a burn-in of 5/(1 − β₂) steps, ± standard error);
//! - (b) the per-coordinate effective learning rates λ/(√vᵢ + ε) of the limit, against SGD's λ
//!   (the SDE's are the straight lines λ/(√Cᵢᵢ + ε), said in the caption).

use nalgebra::{DMatrix, DVector};

use super::common::{count, exact, fit_log_y, panel, short, task_seed};
use super::data::{
    Curve, ErrorPoint, FigureData, Marker, Panel, PointSeries, Role, Scale, Shading,
};
use super::fig3::matrix_text;
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::config::{AdamFigureConfig, ADAM_FIGURE_LRK_MIN};
use crate::error::FieldErrors;
use crate::linalg::SymmetricEigen;
use crate::model::{AdaptiveKind, Noise, Optimizer, Problem};
use crate::sim::{EnsembleSpec, Start};
use crate::solver;
use crate::solver::adaptive::{
    self, AdaptiveStationary, ADAPTIVE_GAP_MEASURED_LRK, ADAPTIVE_GAP_PER_UNIT,
};

/// The general path's cost of an adaptive step relative to a white-noise SGD step per
/// coordinate (a square root and two divisions more), for the progress weights.
const ADAPTIVE_STEP_WORK: u64 = 3;

/// The learning rates of the theory curves (log-spaced: the curves are smooth on log axes).
const THEORY_POINTS: usize = 100;

/// Learning rates per `refine_theory` call in the page (≈ 0.2 ms each in wasm for D = 2, so a
/// call stays a few ms; the whole sweep is ≈ 20–40 ms, more than a frame).
const THEORY_CHUNK: usize = 20;

/// The theory sweep as far as it got.
struct Sweep {
    /// Progressive mode (the page): `build` draws what is computed, `refine_theory` adds more.
    progressive: bool,
    /// The computed points, in increasing λ.
    points: Vec<TheoryPoint>,
    /// The last v found, the next Newton run's start.
    guess: Option<DVector<f64>>,
}

/// The smallest λk* simulated (below it the time averages need very long runs).
const SIMULATED_LRK_MIN: f64 = 0.03;

/// One λ of the theory sweep.
struct TheoryPoint {
    lr: f64,
    /// The β₂ → 1 limit: the loss, the effective rates and the SDE loss.
    limit: Option<(f64, DVector<f64>, Option<f64>)>,
    /// SGD's exact stationary loss (None past 2/k*).
    sgd: Option<f64>,
    /// SGDM's (None past 2(1+μ)/k*).
    sgdm: Option<f64>,
}

/// The prepared `fig=adam`.
pub(crate) struct AdamPlan {
    config: AdamFigureConfig,
    hessian: DMatrix<f64>,
    covariance: DMatrix<f64>,
    largest_curvature: f64,
    /// The first simulated β₂ (the problem's; the limit does not depend on it).
    beta2: f64,
    sweep: std::sync::Mutex<Sweep>,
    /// The limit at the marked λ.
    marked: Result<AdaptiveStationary, String>,
}

impl AdamPlan {
    /// Validates the configuration and computes the theory sweep (one Newton solve per λ, each
    /// started from its neighbour's v).
    ///
    /// # Errors
    /// Named problems with `K`, `angle`, `C` and the hyper-parameters.
    pub(crate) fn new(config: &AdamFigureConfig) -> Result<Self, FieldErrors> {
        let (hessian, covariance) = config.matrices()?;
        let first_beta2 = config.beta2s.first().copied().unwrap_or(0.999);
        let marked_problem = config.problem(config.learning_rate, first_beta2)?;
        let largest_curvature = SymmetricEigen::new(&hessian).values.max();
        let marked = adaptive::stationary(&marked_problem).map_err(|d| d.reason);
        Ok(Self {
            config: config.clone(),
            hessian,
            covariance,
            largest_curvature,
            beta2: first_beta2,
            sweep: std::sync::Mutex::new(Sweep {
                progressive: false,
                points: Vec::new(),
                guess: None,
            }),
            marked,
        })
    }

    /// Computes the next `THEORY_CHUNK` learning rates of the sweep; whether there were any.
    fn refine(&self) -> bool {
        let Ok(mut sweep) = self.sweep.lock() else {
            return false;
        };
        let rates = self.theory_rates();
        let start = sweep.points.len();
        if start >= rates.len() {
            return false;
        }
        for &lr in rates.iter().skip(start).take(THEORY_CHUNK) {
            let (point, found) = self.theory_point(lr, sweep.guess.as_ref());
            if found.is_some() {
                sweep.guess = found;
            }
            sweep.points.push(point);
        }
        true
    }

    fn theory_rates(&self) -> Vec<f64> {
        let (low, high) = self.lr_range();
        self.log_spaced(low, high, THEORY_POINTS)
    }

    fn lr_range(&self) -> (f64, f64) {
        (
            ADAM_FIGURE_LRK_MIN / self.largest_curvature,
            self.config.lrk_max / self.largest_curvature,
        )
    }

    fn log_spaced(&self, low: f64, high: f64, n: usize) -> Vec<f64> {
        if n <= 1 {
            return vec![low];
        }
        let (a, b) = (low.ln(), high.ln());
        (0..n)
            .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
            .collect()
    }

    fn model(&self, optimizer: Optimizer) -> Option<Problem> {
        Problem::new(
            Some(self.hessian.clone()),
            Noise::Gaussian {
                covariance: self.covariance.clone(),
            },
            optimizer,
        )
        .ok()
    }

    /// One λ of the sweep, Newton started from `guess` (the previous λ's v); with the v found.
    fn theory_point(
        &self,
        lr: f64,
        guess: Option<&DVector<f64>>,
    ) -> (TheoryPoint, Option<DVector<f64>>) {
        let solution = self
            .model(self.config.optimizer(lr, self.beta2))
            .and_then(|problem| {
                match guess {
                    Some(v) => adaptive::stationary_near(&problem, v),
                    None => adaptive::stationary(&problem),
                }
                .ok()
            });
        let found = solution.as_ref().map(|s| s.second_moment.clone());
        let limit = solution.map(|solution| {
            (
                solution.stationary.train_loss,
                solution.effective_learning_rates,
                solution.sde_train_loss,
            )
        });
        let exact_loss = |optimizer| {
            self.model(optimizer)
                .and_then(|problem| solver::stationary(&problem).ok())
                .map(|s| s.train_loss)
        };
        let point = TheoryPoint {
            lr,
            limit,
            sgd: exact_loss(Optimizer::Sgd { learning_rate: lr }),
            sgdm: exact_loss(Optimizer::Momentum {
                learning_rate: lr,
                momentum: self.config.momentum,
            }),
        };
        (point, found)
    }

    /// The learning rates simulated at the `series`-th β₂: `points` per β₂, log-spaced over the
    /// axis from λk* = 0.03, the series interleaved (series s takes every S-th rate from the
    /// s-th), so that no two series hide each other's points.
    fn simulated_rates(&self, series: usize) -> Vec<f64> {
        let (low, high) = self.lr_range();
        let low = low.max(SIMULATED_LRK_MIN / self.largest_curvature);
        let count = self.config.beta2s.len().max(1);
        let n = self.config.simulation.points * count;
        self.log_spaced(low, high, n)
            .into_iter()
            .skip(series)
            .step_by(count)
            .collect()
    }

    fn name(&self) -> &'static str {
        match self.config.method.kind {
            AdaptiveKind::Adam => "Adam",
            AdaptiveKind::AdamW => "AdamW",
            AdaptiveKind::RmsProp => "RMSprop",
        }
    }

    fn loss_panel(
        &self,
        sweep: &[TheoryPoint],
        outcomes: &[(TaskLabel, Outcome)],
    ) -> (Panel, usize) {
        let (low, high) = self.lr_range();
        let k = self.largest_curvature;
        let mu = self.config.momentum;
        let mut panel = panel(
            format!("(a) {}: stationary loss vs λ", self.name()),
            "learning rate λ",
            "training loss E[L] = ½Tr[KΣ]",
            (low, high),
            Scale::Log,
        );
        panel.x_scale = Scale::Log;
        // A curve per run of defined values (a gap where the limit has no fixed point).
        let segments = |label: &str, role: Role, value: &dyn Fn(&TheoryPoint) -> Option<f64>| {
            let mut curves = Vec::new();
            let mut current = Vec::new();
            for point in sweep {
                match value(point).filter(|y| y.is_finite() && *y > 0.0) {
                    Some(y) => current.push((point.lr, y)),
                    None if !current.is_empty() => curves.push(std::mem::take(&mut current)),
                    None => {}
                }
            }
            if !current.is_empty() {
                curves.push(current);
            }
            curves
                .into_iter()
                .map(|points| Curve {
                    label: label.to_string(),
                    role,
                    points,
                })
                .collect::<Vec<_>>()
        };
        panel.curves.extend(segments(
            &format!(
                "{}, β₂ → 1 limit: v = diag(K_gΣK_g + C), Σ exact",
                self.name()
            ),
            Role::ExactTheory,
            &|p| p.limit.as_ref().map(|l| l.0),
        ));
        panel.curves.extend(segments(
            "continuous time (SDE, Malladi et al. 2022): v = diag C",
            Role::ContinuousTheory,
            &|p| p.limit.as_ref().and_then(|l| l.2),
        ));
        panel.curves.extend(segments(
            "SGD, exact (Cor. 1)",
            Role::DiscreteTheory,
            &|p| p.sgd,
        ));
        panel.curves.extend(segments(
            &format!("SGDM μ = {}, exact (Cor. 2)", short(mu)),
            Role::DiscreteTheory,
            &|p| p.sgdm,
        ));
        let mut left_out = 0;
        for (series, &beta2) in self.config.beta2s.iter().enumerate() {
            let mut points = Vec::new();
            for (label, outcome) in outcomes.iter().filter(|(label, _)| label.panel == series) {
                match outcome {
                    Outcome::Variance {
                        value,
                        stderr,
                        diverged: 0,
                    } if *value > 0.0 => points.push(ErrorPoint {
                        x: label.x,
                        y: *value,
                        stderr: *stderr,
                    }),
                    _ => left_out += 1,
                }
            }
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            let gap = ADAPTIVE_GAP_PER_UNIT * (1.0 - beta2) * 100.0;
            panel.points.push(PointSeries {
                label: format!(
                    "simulated {}, β₂ = {} (limit trusted to ±{}%)",
                    self.name(),
                    exact(beta2),
                    short(gap.max(0.01))
                ),
                role: Role::Simulation,
                points,
            });
        }
        let measured = ADAPTIVE_GAP_MEASURED_LRK / k;
        if measured < high {
            panel.shadings.push(Shading {
                from: measured,
                to: high,
                label: format!(
                    "finite-β₂ gap not measured (λk* > {})",
                    short(ADAPTIVE_GAP_MEASURED_LRK)
                ),
            });
        }
        let sgd_edge = 2.0 / k;
        if sgd_edge < high {
            panel.shadings.push(Shading {
                from: sgd_edge,
                to: high,
                label: "SGD diverges (λk* ≥ 2)".to_string(),
            });
            panel.markers.push(Marker {
                x: sgd_edge,
                label: "2/k*".to_string(),
            });
        }
        let sgdm_edge = 2.0 * (1.0 + mu) / k;
        if sgdm_edge < high {
            panel.markers.push(Marker {
                x: sgdm_edge,
                label: "2(1+μ)/k*".to_string(),
            });
        }
        panel.markers.push(Marker {
            x: self.config.learning_rate,
            label: format!("λ = {}", exact(self.config.learning_rate)),
        });
        fit_log_y(&mut panel);
        (panel, left_out)
    }

    fn rates_panel(&self, sweep: &[TheoryPoint]) -> Panel {
        let (low, high) = self.lr_range();
        let mut panel = panel(
            "(b) per-coordinate effective learning rates",
            "learning rate λ",
            "λ/(√vᵢ + ε)",
            (low, high),
            Scale::Log,
        );
        panel.x_scale = Scale::Log;
        let d = self.hessian.nrows();
        for i in 0..d {
            panel.curves.push(Curve {
                label: format!("coordinate {}, β₂ → 1 limit", i + 1),
                role: Role::ExactTheory,
                points: sweep
                    .iter()
                    .filter_map(|p| p.limit.as_ref().map(|l| (p.lr, l.1[i])))
                    .filter(|(_, y)| y.is_finite() && *y > 0.0)
                    .collect(),
            });
        }
        panel.curves.push(Curve {
            label: "SGD: λ".to_string(),
            role: Role::Reference,
            points: vec![(low, low), (high, high)],
        });
        panel.markers.push(Marker {
            x: self.config.learning_rate,
            label: format!("λ = {}", exact(self.config.learning_rate)),
        });
        fit_log_y(&mut panel);
        panel
    }

    fn caption(&self) -> String {
        let config = &self.config;
        let method = &config.method;
        let rmsprop = method.kind == AdaptiveKind::RmsProp;
        let simulation = &config.simulation;
        let at_marked = match &self.marked {
            Ok(solution) => {
                let list =
                    |v: &DVector<f64>| v.iter().map(|&x| short(x)).collect::<Vec<_>>().join(", ");
                format!(
                    "At λ = {}: E[L] = {} in the limit (SDE: {}), v = ({}), effective rates \
                     ({}); the fixed point took {} Newton steps (relative residual {}), {} found \
                     from {} starts, {} for v's slow dynamics.",
                    exact(config.learning_rate),
                    short(solution.stationary.train_loss),
                    solution.sde_train_loss.map_or("—".to_string(), short),
                    list(&solution.second_moment),
                    list(&solution.effective_learning_rates),
                    solution.iterations,
                    short(solution.residual),
                    solution.fixed_points,
                    solution.starts,
                    if solution.slow_stable {
                        "attracting"
                    } else {
                        "not attracting"
                    }
                )
            }
            Err(reason) => format!("At λ = {}: {reason}.", exact(config.learning_rate)),
        };
        let hyper = if rmsprop {
            format!(
                "μ = {}, ε = {}{}",
                short(method.momentum),
                short(method.epsilon),
                if method.centered { ", centered" } else { "" }
            )
        } else {
            format!(
                "β₁ = {}, ε = {}",
                short(method.beta1),
                short(method.epsilon)
            )
        };
        format!(
            "{} (PyTorch's update rule; {hyper}{}{}) on L = wᵀKw/2 with K = {} (k* = {}) and \
             Gaussian gradient noise C = {}. In the β₂ → 1 limit the second-moment estimate \
             concentrates at v = diag(E[ggᵀ]) = diag(K_gΣK_g + C), so the method is \
             preconditioned momentum with P = λ·diag(1/(√v + ε)) and Σ is a fixed point, solved \
             by Newton's method with the exact discrete-time Lyapunov solve inside (docs/adam.md). \
             The continuous-time (SDE) prediction (Malladi et al. 2022) takes λ → 0: v = diag C \
             and the Ornstein–Uhlenbeck Σ, whose effective rates are the straight lines λ/(√Cᵢᵢ + ε) \
             that (b)'s curves leave as λ grows. SGD and SGDM run on the same K and C (exact, Cor. 1 \
             and 2) and diverge at λk* = 2 and 2(1+μ); the adaptive methods do not: v grows \
             with Σ and holds the effective rates below their edge. Points: the real optimizer \
             at each β₂ ({} learning rates, {} particles each, started at the limit's state with \
             bias corrections spent, a burn-in of 5/(1 − β₂) steps, then E[L] averaged over {} \
             steps and the particles, ± standard error; seed {}); its gap to the limit grows \
             about in proportion to 1 − β₂ (measured: at most {}·(1 − β₂) relative for \
             λk* ≤ 9). {at_marked}",
            self.name(),
            if method.epsilon_placement == crate::model::EpsilonPlacement::Inside {
                ", ε inside the root"
            } else {
                ""
            },
            if method.weight_decay > 0.0 {
                format!(
                    ", weight decay {} {}",
                    short(method.weight_decay),
                    if method.kind == AdaptiveKind::AdamW {
                        "decoupled"
                    } else {
                        "coupled"
                    }
                )
            } else {
                String::new()
            },
            matrix_text(&self.hessian),
            short(self.largest_curvature),
            matrix_text(&self.covariance),
            simulation.points,
            count(simulation.particles),
            count(simulation.steps as usize),
            simulation.seed,
            short(ADAPTIVE_GAP_PER_UNIT),
        )
    }
}

impl FigurePlan for AdamPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        if !self.sweep.lock().is_ok_and(|sweep| sweep.progressive) {
            while self.refine() {}
        }
        let guard = self.sweep.lock();
        let sweep: &[TheoryPoint] = guard.as_ref().map_or(&[], |sweep| &sweep.points);
        let (loss, left_out) = self.loss_panel(sweep, outcomes);
        let mut notes = Vec::new();
        if sweep.len() < THEORY_POINTS {
            notes.push(format!(
                "computing the theory curves: {} of {THEORY_POINTS} learning rates",
                sweep.len()
            ));
        }
        if sweep.iter().any(|p| p.limit.is_none()) {
            notes.push(
                "the β₂ → 1 limit has no fixed point for part of the λ range (a direction without \
                 noise lets v shrink to the stability edge); the curve is left out there"
                    .to_string(),
            );
        }
        if let Err(reason) = &self.marked {
            notes.push(format!("at the marked λ: {reason}"));
        }
        if left_out > 0 {
            notes.push(format!(
                "{left_out} simulated point(s) left out: particles diverged or the ensemble failed"
            ));
        }
        FigureData {
            id: "adam".to_string(),
            title: format!(
                "{} near a minimum: the β₂ → 1 limit, simulated at finite β₂",
                self.name()
            ),
            caption: self.caption(),
            panels: vec![loss, self.rates_panel(sweep)],
            table: None,
            notes,
        }
    }

    fn set_progressive(&self, progressive: bool) {
        if let Ok(mut sweep) = self.sweep.lock() {
            sweep.progressive = progressive;
        }
    }

    fn refine_theory(&self) -> bool {
        self.refine()
    }

    fn theory_complete(&self) -> bool {
        self.sweep
            .lock()
            .is_ok_and(|sweep| sweep.points.len() >= THEORY_POINTS)
    }

    fn tasks(&self) -> Vec<Task> {
        if !self.config.simulated() {
            return Vec::new();
        }
        let simulation = &self.config.simulation;
        let d = self.hessian.nrows() as u64;
        let mut tasks = Vec::new();
        for (series, &beta2) in self.config.beta2s.iter().enumerate() {
            let burn_in = AdamFigureConfig::burn_in(beta2);
            for lr in self.simulated_rates(series) {
                let Some(problem) = self.model(self.config.optimizer(lr, beta2)) else {
                    continue;
                };
                let index = tasks.len() + 1;
                tasks.push(Task {
                    label: TaskLabel {
                        panel: series,
                        x: lr,
                    },
                    kind: TaskKind::Ensemble {
                        problem: Box::new(problem),
                        spec: EnsembleSpec {
                            particles: simulation.particles,
                            seed: task_seed(simulation.seed, index),
                            start: Start::Stationary,
                            burn_in: Some(burn_in),
                            ..EnsembleSpec::default()
                        },
                        steps: burn_in + simulation.steps,
                        measure: Measure::TimeAveragedLoss,
                        work_per_particle_step: ADAPTIVE_STEP_WORK * d,
                        schedule: None,
                    },
                });
            }
        }
        tasks
    }
}
