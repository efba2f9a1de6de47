//! The progressive simulation behind every figure: a fixed list of tasks (one ensemble each), run
//! one after the other in bounded slices of work.

use super::common::task_seed;
use nalgebra::DMatrix;

use crate::config::SweepSimulation;
use crate::model::Problem;
use crate::sim::double_well::{EscapeDynamics, EscapeEnsemble, EscapeStatistics};
use crate::sim::{Ensemble, EnsembleSpec};

/// Work charged for creating one particle: the cost model's ([`crate::cost`]).
const WORK_PER_NEW_PARTICLE: u64 = crate::cost::WORK_PER_NEW_PARTICLE;

/// Where a task's result goes: which panel, at which x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TaskLabel {
    /// Panel index.
    pub panel: usize,
    /// The x value (λ, μ or r); unused by scatter panels.
    pub x: f64,
}

/// What a quadratic ensemble reports when it has run its steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Measure {
    /// Var[w] across particles after the last step (1-D), with its standard error.
    FinalVariance,
    /// Var[w] averaged over the steps after the burn-in and over the particles (1-D), with the
    /// standard error from the spread of the per-particle averages.
    TimeAveragedVariance,
    /// Every live particle's final w.
    FinalPositions,
    /// The training loss ½wᵀKw averaged over the steps after the burn-in and over the particles
    /// (any D; K the problem's), with the standard error from the spread of the per-particle
    /// averages (reported as a [`Outcome::Variance`]).
    TimeAveragedLoss,
}

/// One ensemble to run.
#[derive(Clone, Debug)]
pub(crate) enum TaskKind {
    /// An ensemble of the quadratic model (white or minibatch noise).
    Ensemble {
        /// The model.
        problem: Box<Problem>,
        /// Particles, seed, start, burn-in.
        spec: EnsembleSpec,
        /// Steps to run.
        steps: u64,
        /// What to report.
        measure: Measure,
        /// Work of one particle-step relative to a 1-D white-noise step: D, or
        /// [`crate::cost::minibatch_step`] for minibatch noise (S per-sample gradients).
        work_per_particle_step: u64,
        /// The learning-rate schedule the particles follow (`None`: the problem's constant λ).
        schedule: Option<Box<RateSchedule>>,
    },
    /// Escapes from the double well, until every particle escaped or `max_steps`.
    Escape {
        /// The dynamics.
        dynamics: EscapeDynamics,
        /// Particles.
        particles: usize,
        /// Seed.
        seed: u64,
        /// The most steps.
        max_steps: u64,
        /// A guess of the mean escape time in steps (for the progress estimate only).
        expected_steps: f64,
    },
}

/// A schedule of learning rates for an ensemble: λ_t = `schedule.rate(lr, t, total)`.
#[derive(Clone, Debug)]
pub(crate) struct RateSchedule {
    /// The schedule.
    pub schedule: crate::schedule::Schedule,
    /// The base learning rate.
    pub lr: f64,
    /// T, the schedule's horizon (which may exceed the ensemble's own steps).
    pub total: u64,
}

/// Advances `ensemble` by `count` steps, following `schedule` if any: each run of one rate is
/// one `advance` call after setting the rate (slicing does not change the numbers).
pub(crate) fn advance_scheduled(
    ensemble: &mut Ensemble,
    count: u64,
    schedule: Option<&RateSchedule>,
) {
    let Some(rates) = schedule else {
        ensemble.advance(count);
        return;
    };
    let end = ensemble.steps() + count;
    while ensemble.steps() < end {
        let t = ensemble.steps();
        let next = rates.schedule.next_change(t, rates.total.max(end)).min(end);
        ensemble.set_learning_rate(rates.schedule.rate(rates.lr, t, rates.total));
        ensemble.advance(next.max(t + 1) - t);
    }
}

/// A task and where its result goes.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    /// Where the result goes.
    pub label: TaskLabel,
    /// What to run.
    pub kind: TaskKind,
}

impl Task {
    /// The time-averaged variance of one 1-D sweep point (Figures 2(b) and 5): the `index`-th
    /// ensemble of a sweep at abscissa `x`, averaged after `burn_in` steps.
    pub(crate) fn time_averaged_variance(
        problem: Problem,
        x: f64,
        index: usize,
        simulation: &SweepSimulation,
        burn_in: u64,
        work_per_particle_step: u64,
    ) -> Task {
        Task {
            label: TaskLabel { panel: 0, x },
            kind: TaskKind::Ensemble {
                problem: Box::new(problem),
                spec: EnsembleSpec {
                    particles: simulation.particles,
                    seed: task_seed(simulation.seed, index),
                    burn_in: Some(burn_in),
                    ..EnsembleSpec::default()
                },
                steps: simulation.steps,
                measure: Measure::TimeAveragedVariance,
                work_per_particle_step,
                schedule: None,
            },
        }
    }
}

/// A finished task's result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// A variance with its standard error, and how many particles diverged.
    Variance {
        /// Var[w].
        value: f64,
        /// Its standard error.
        stderr: f64,
        /// Particles that diverged (excluded).
        diverged: usize,
    },
    /// The final w of every live particle, particle-major (P×D).
    Positions {
        /// The positions.
        weights: Vec<f64>,
        /// D.
        dimension: usize,
        /// Particles that diverged (excluded).
        diverged: usize,
    },
    /// Escape statistics.
    Escape(EscapeStatistics),
    /// The task could not run or measure (every particle diverged, …): the reason.
    Failed(String),
}

/// One task's result as it travels between a Web Worker and the page: [`TaskResult::encode`]
/// writes it as numbers (a `Float64Array` crosses `postMessage` exactly, bit for bit), and
/// [`TaskResult::decode`] reads them back, refusing anything malformed.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskResult(Outcome);

/// The first number of an encoded [`TaskResult`]: which kind of outcome follows.
const TAG_VARIANCE: f64 = 0.0;
const TAG_POSITIONS: f64 = 1.0;
const TAG_ESCAPE: f64 = 2.0;
const TAG_FAILED: f64 = 3.0;

impl TaskResult {
    /// A task that could not run, and why.
    pub fn failed(reason: String) -> TaskResult {
        TaskResult(Outcome::Failed(reason))
    }

    /// The result as numbers: a tag, then the outcome's fields (a failure's reason as its
    /// characters' code points).
    pub fn encode(&self) -> Vec<f64> {
        match &self.0 {
            Outcome::Variance {
                value,
                stderr,
                diverged,
            } => vec![TAG_VARIANCE, *value, *stderr, *diverged as f64],
            Outcome::Positions {
                weights,
                dimension,
                diverged,
            } => {
                let mut numbers = Vec::with_capacity(weights.len() + 3);
                numbers.extend([TAG_POSITIONS, *dimension as f64, *diverged as f64]);
                numbers.extend_from_slice(weights);
                numbers
            }
            Outcome::Escape(statistics) => vec![
                TAG_ESCAPE,
                statistics.steps as f64,
                statistics.particles as f64,
                statistics.escaped as f64,
                statistics.rate_per_step,
                statistics.rate_stderr,
                statistics.mean_escape_steps,
                statistics.mean_escape_steps_stderr,
                statistics.observed_mean_steps,
            ],
            Outcome::Failed(reason) => std::iter::once(TAG_FAILED)
                .chain(reason.chars().map(|c| f64::from(u32::from(c))))
                .collect(),
        }
    }

    /// Reads numbers written by [`TaskResult::encode`]; `None` for anything else.
    pub fn decode(numbers: &[f64]) -> Option<TaskResult> {
        let (&tag, rest) = numbers.split_first()?;
        let count = |x: f64| {
            (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 9.007_199_254_740_992e15)
                .then_some(x as u64)
        };
        let outcome = if tag == TAG_VARIANCE {
            let [value, stderr, diverged] = rest else {
                return None;
            };
            Outcome::Variance {
                value: *value,
                stderr: *stderr,
                diverged: usize::try_from(count(*diverged)?).ok()?,
            }
        } else if tag == TAG_POSITIONS {
            let (&[dimension, diverged], weights) = rest.split_first_chunk::<2>()?;
            let dimension = usize::try_from(count(dimension)?).ok()?;
            if dimension == 0 || weights.len() % dimension != 0 {
                return None;
            }
            Outcome::Positions {
                weights: weights.to_vec(),
                dimension,
                diverged: usize::try_from(count(diverged)?).ok()?,
            }
        } else if tag == TAG_ESCAPE {
            let [steps, particles, escaped, rate, rate_stderr, mean, mean_stderr, observed] = rest
            else {
                return None;
            };
            Outcome::Escape(EscapeStatistics {
                steps: count(*steps)?,
                particles: usize::try_from(count(*particles)?).ok()?,
                escaped: usize::try_from(count(*escaped)?).ok()?,
                rate_per_step: *rate,
                rate_stderr: *rate_stderr,
                mean_escape_steps: *mean,
                mean_escape_steps_stderr: *mean_stderr,
                observed_mean_steps: *observed,
            })
        } else if tag == TAG_FAILED {
            let reason = rest
                .iter()
                .map(|&code| char::from_u32(u32::try_from(count(code)?).ok()?))
                .collect::<Option<String>>()?;
            Outcome::Failed(reason)
        } else {
            return None;
        };
        Some(TaskResult(outcome))
    }
}

/// The ensemble of the task being run.
#[derive(Debug)]
enum Active {
    Ensemble(Box<Ensemble>),
    Escape(Box<EscapeEnsemble>),
}

/// A figure's simulation, run in bounded slices: see [`SimulationRun::advance`].
#[derive(Debug)]
pub struct SimulationRun {
    figure_id: &'static str,
    tasks: Vec<Task>,
    /// Planned work of each task (for [`SimulationRun::progress`]).
    planned: Vec<f64>,
    /// Index of the task being run (or next to run).
    next: usize,
    active: Option<Active>,
    /// The finished tasks' results, in the order of the tasks (whatever order they finished
    /// in), and the index of each one's task.
    outcomes: Vec<(TaskLabel, Outcome)>,
    outcome_tasks: Vec<usize>,
    work_done: u64,
}

impl SimulationRun {
    pub(crate) fn new(figure_id: &'static str, tasks: Vec<Task>) -> Self {
        let planned = tasks.iter().map(planned_work).collect();
        Self {
            figure_id,
            tasks,
            planned,
            next: 0,
            active: None,
            outcomes: Vec::new(),
            outcome_tasks: Vec::new(),
            work_done: 0,
        }
    }

    /// The figure this run belongs to.
    pub fn figure_id(&self) -> &'static str {
        self.figure_id
    }

    pub(crate) fn outcomes(&self) -> &[(TaskLabel, Outcome)] {
        &self.outcomes
    }

    /// Does about `budget` units of work and returns the work done: a unit is one particle-step
    /// of a 1-D white-noise ensemble (a D-dimensional step counts D, a minibatch step 2·S·D + D,
    /// and creating a particle 100: the units of [`crate::cost`]). At least one step of the current ensemble runs when the budget
    /// is smaller than one step of all its particles, so the run always moves on; a budget of 0
    /// does nothing. Natively, 10⁶ units take 4–8 ms (measured on every figure's defaults).
    pub fn advance(&mut self, budget: u64) -> u64 {
        let mut spent: u64 = 0;
        while spent < budget && !self.is_done() {
            let remaining = budget - spent;
            spent = spent.saturating_add(self.step(remaining));
        }
        self.work_done = self.work_done.saturating_add(spent);
        spent
    }

    /// Work done so far (in the units of [`SimulationRun::advance`]).
    pub fn work_done(&self) -> u64 {
        self.work_done
    }

    /// The planned work of the whole run, for a progress bar or a time estimate (the escape
    /// ensembles of Fig. 6(b) stop when every particle escaped, so theirs is an estimate).
    pub fn planned_work(&self) -> f64 {
        self.planned.iter().fold(0.0, |total, work| total + work)
    }

    /// How many ensembles the run has (finished or not).
    pub fn ensembles(&self) -> usize {
        self.tasks.len()
    }

    /// How many ensembles have finished.
    pub fn finished_ensembles(&self) -> usize {
        self.outcomes.len()
    }

    /// Fraction done, in [0, 1]: 1 exactly when [`SimulationRun::is_done`].
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            return 1.0;
        }
        let total = self.planned_work();
        if total.is_nan() || total <= 0.0 {
            return 0.0;
        }
        let finished = self
            .outcome_tasks
            .iter()
            .filter_map(|&index| self.planned.get(index))
            .fold(0.0, |total, work| total + work);
        let current = if self.active.is_some() {
            self.planned.get(self.next).copied().unwrap_or(0.0) * self.active_fraction()
        } else {
            0.0
        };
        ((finished + current) / total).clamp(0.0, 1.0)
    }

    /// [`SimulationRun::progress`] counting also the tasks being run elsewhere: `(index,
    /// fraction done)` of each.
    pub fn progress_with(&self, elsewhere: &[(usize, f64)]) -> f64 {
        let total = self.planned_work();
        let extra = elsewhere
            .iter()
            .filter(|(index, _)| !self.is_finished(*index))
            .map(|&(index, fraction)| {
                self.planned.get(index).copied().unwrap_or(0.0) * fraction.clamp(0.0, 1.0)
            })
            .fold(0.0, |sum, work| sum + work);
        if self.is_done() || total.is_nan() || total <= 0.0 {
            return self.progress();
        }
        (self.progress() + extra / total).clamp(0.0, 1.0)
    }

    /// Whether every ensemble has finished.
    pub fn is_done(&self) -> bool {
        self.outcomes.len() >= self.tasks.len()
    }

    /// Whether task `index` has finished.
    pub fn is_finished(&self, index: usize) -> bool {
        self.outcome_tasks.binary_search(&index).is_ok()
    }

    /// Fraction of the current task done.
    fn active_fraction(&self) -> f64 {
        let Some(task) = self.tasks.get(self.next) else {
            return 1.0;
        };
        match (&self.active, &task.kind) {
            (Some(Active::Ensemble(ensemble)), TaskKind::Ensemble { steps, .. }) => {
                ensemble.steps() as f64 / (*steps).max(1) as f64
            }
            (Some(Active::Escape(ensemble)), TaskKind::Escape { max_steps, .. }) => {
                let statistics = ensemble.statistics();
                let escaped = statistics.escaped as f64 / statistics.particles.max(1) as f64;
                escaped.max(ensemble.steps() as f64 / (*max_steps).max(1) as f64)
            }
            _ => 0.0,
        }
    }

    /// One slice of at most about `remaining` units (at least one step); returns the work done.
    fn step(&mut self, remaining: u64) -> u64 {
        // Tasks finished elsewhere (a worker) are skipped.
        while self.active.is_none() && self.is_finished(self.next) {
            self.next += 1;
        }
        let Some(task) = self.tasks.get(self.next) else {
            return 0;
        };
        let label = task.label;
        let Some(active) = &mut self.active else {
            // Start the next task.
            let (active, work) = start(&task.kind);
            match active {
                Ok(active) => self.active = Some(active),
                Err(reason) => self.finish(label, Outcome::Failed(reason)),
            }
            return work.max(1);
        };
        match (active, &task.kind) {
            (
                Active::Ensemble(ensemble),
                TaskKind::Ensemble {
                    problem,
                    steps,
                    measure,
                    work_per_particle_step,
                    schedule,
                    ..
                },
            ) => {
                let per_step = (ensemble.particles() as u64)
                    .saturating_mul(*work_per_particle_step)
                    .max(1);
                let left = steps.saturating_sub(ensemble.steps());
                let count = (remaining / per_step).clamp(1, left.max(1)).min(left);
                advance_scheduled(ensemble, count, schedule.as_deref());
                let work = count.saturating_mul(per_step);
                if ensemble.steps() >= *steps {
                    let outcome = measure_ensemble(ensemble, *measure, problem.hessian());
                    self.finish(label, outcome);
                }
                work
            }
            (Active::Escape(ensemble), TaskKind::Escape { max_steps, .. }) => {
                let statistics = ensemble.statistics();
                let alive = (statistics.particles - statistics.escaped).max(1) as u64;
                let left = max_steps.saturating_sub(ensemble.steps());
                let count = (remaining / alive).clamp(1, left.max(1)).min(left);
                ensemble.advance(count);
                if ensemble.all_escaped() || ensemble.steps() >= *max_steps {
                    let outcome = Outcome::Escape(ensemble.statistics());
                    self.finish(label, outcome);
                }
                count.saturating_mul(alive)
            }
            _ => {
                self.finish(label, Outcome::Failed("mismatched task".to_string()));
                1
            }
        }
    }

    fn finish(&mut self, label: TaskLabel, outcome: Outcome) {
        let index = self.next;
        self.record(index, label, outcome);
        self.active = None;
        self.next += 1;
    }

    /// Files task `index`'s result in task order (once: a second result is ignored).
    fn record(&mut self, index: usize, label: TaskLabel, outcome: Outcome) {
        if let Err(position) = self.outcome_tasks.binary_search(&index) {
            self.outcome_tasks.insert(position, index);
            self.outcomes.insert(position, (label, outcome));
        }
    }

    /// Takes the result of task `index` computed elsewhere (a Web Worker running
    /// [`SimulationRun::run_task`] on the same configuration): the figure gets it as if this run
    /// had computed it, and [`SimulationRun::advance`] skips the task. Returns false (and changes
    /// nothing) for an index out of range, a task already finished, or the task being run here.
    pub fn accept(&mut self, index: usize, result: TaskResult) -> bool {
        let outcome = result.0;
        let Some(task) = self.tasks.get(index) else {
            return false;
        };
        if self.is_finished(index) || (self.active.is_some() && self.next == index) {
            return false;
        }
        let label = task.label;
        let work = self.planned.get(index).copied().unwrap_or(0.0);
        self.record(index, label, outcome);
        self.work_done = self.work_done.saturating_add((work as u64).max(1));
        true
    }

    /// Runs task `index` alone, from scratch, to its end, calling `progress` with the fraction
    /// done after every piece of about `budget` units; the result is the one this run would
    /// record for the task (every task has its own seed). `None` for an index out of range.
    pub fn run_task(
        &self,
        index: usize,
        budget: u64,
        mut progress: impl FnMut(f64),
    ) -> Option<TaskResult> {
        let task = self.tasks.get(index)?.clone();
        let mut alone = SimulationRun::new(self.figure_id, vec![task]);
        while !alone.is_done() {
            alone.advance(budget.max(1));
            progress(alone.progress());
        }
        alone.outcomes.pop().map(|(_, outcome)| TaskResult(outcome))
    }

    /// Runs every task not yet finished to its end on up to `threads` threads (native only):
    /// tasks side by side, and the particles of an ensemble in blocks when there are fewer
    /// tasks than threads. The results are exactly those of [`SimulationRun::advance`] on one
    /// thread, whatever `threads` (tested): every particle has its own stream, the blocks are
    /// put back together before anything is measured, and the results are filed in task order.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn finish_on_threads(&mut self, threads: usize) {
        // The task in progress, if any, finishes here (only it: `advance` would go on with the
        // next tasks on this thread).
        while self.active.is_some() {
            let work = self.step(u64::MAX);
            self.work_done = self.work_done.saturating_add(work);
        }
        if threads <= 1 {
            while !self.is_done() {
                self.advance(10_000_000);
            }
            return;
        }
        let waiting: Vec<usize> = (0..self.tasks.len())
            .filter(|&index| !self.is_finished(index))
            .collect();
        // Waves of 2 tasks per thread: a slow task does not hold the others up, and no more
        // ensembles than that are in memory at once.
        for wave in waiting.chunks(2 * threads) {
            let tasks = &self.tasks;
            let started = crate::parallel::map_in_order(wave.to_vec(), threads, |index| {
                (index, start(&tasks[index].kind).0)
            });
            let blocks = if wave.len() >= threads {
                1
            } else {
                threads.div_ceil(wave.len())
            };
            let mut units = Vec::new();
            let mut failures = Vec::new();
            for (index, active) in started {
                match active {
                    Ok(Active::Ensemble(ensemble)) => units.extend(
                        ensemble
                            .split(blocks, crate::sim::BLOCK_MIN_PARTICLES)
                            .into_iter()
                            .map(|block| (index, Active::Ensemble(Box::new(block)))),
                    ),
                    Ok(Active::Escape(ensemble)) => units.extend(
                        ensemble
                            .split(blocks, crate::sim::BLOCK_MIN_PARTICLES)
                            .into_iter()
                            .map(|block| (index, Active::Escape(Box::new(block)))),
                    ),
                    Err(reason) => failures.push((index, Outcome::Failed(reason))),
                }
            }
            let finished = crate::parallel::map_in_order(units, threads, |(index, active)| {
                (index, run_to_end(active, &tasks[index].kind))
            });
            // Consecutive blocks of one task, joined in order, then measured.
            let mut groups: Vec<(usize, Vec<Active>)> = Vec::new();
            for (index, active) in finished {
                match groups.last_mut() {
                    Some((last, blocks)) if *last == index => blocks.push(active),
                    _ => groups.push((index, vec![active])),
                }
            }
            let mut results = failures;
            for (index, blocks) in groups {
                results.push((index, measure_blocks(blocks, &self.tasks[index].kind)));
            }
            for (index, outcome) in results {
                let label = self.tasks[index].label;
                let work = self.planned.get(index).copied().unwrap_or(0.0);
                self.record(index, label, outcome);
                self.work_done = self.work_done.saturating_add((work as u64).max(1));
            }
        }
        self.next = self.tasks.len();
    }
}

/// Runs a task's ensemble (or a block of it) to the task's end: all its steps, or until every
/// particle escaped.
#[cfg(not(target_arch = "wasm32"))]
fn run_to_end(active: Active, kind: &TaskKind) -> Active {
    match (active, kind) {
        (
            Active::Ensemble(mut ensemble),
            TaskKind::Ensemble {
                steps, schedule, ..
            },
        ) => {
            let left = steps.saturating_sub(ensemble.steps());
            advance_scheduled(&mut ensemble, left, schedule.as_deref());
            Active::Ensemble(ensemble)
        }
        (Active::Escape(mut ensemble), TaskKind::Escape { max_steps, .. }) => {
            while !ensemble.all_escaped() && ensemble.steps() < *max_steps {
                ensemble.advance(1000.min(max_steps - ensemble.steps()));
            }
            Active::Escape(ensemble)
        }
        (active, _) => active,
    }
}

/// The result of a task run in blocks: the blocks joined in order, then measured as one.
#[cfg(not(target_arch = "wasm32"))]
fn measure_blocks(blocks: Vec<Active>, kind: &TaskKind) -> Outcome {
    let mut ensembles = Vec::new();
    let mut escapes = Vec::new();
    for block in blocks {
        match block {
            Active::Ensemble(ensemble) => ensembles.push(*ensemble),
            Active::Escape(ensemble) => escapes.push(*ensemble),
        }
    }
    let joined = match kind {
        TaskKind::Ensemble {
            measure, problem, ..
        } => Ensemble::join(ensembles)
            .map(|ensemble| measure_ensemble(&ensemble, *measure, problem.hessian())),
        TaskKind::Escape { .. } => {
            EscapeEnsemble::join(escapes).map(|ensemble| Outcome::Escape(ensemble.statistics()))
        }
    };
    joined.unwrap_or_else(|| Outcome::Failed("blocks of different ensembles".to_string()))
}

/// Builds a task's ensemble; returns it (or why not) and the work it took.
fn start(kind: &TaskKind) -> (Result<Active, String>, u64) {
    match kind {
        TaskKind::Ensemble { problem, spec, .. } => {
            let work = (spec.particles as u64).saturating_mul(WORK_PER_NEW_PARTICLE);
            let ensemble = Ensemble::new(problem, spec)
                .map(|ensemble| Active::Ensemble(Box::new(ensemble)))
                .map_err(|error| error.to_string());
            (ensemble, work)
        }
        TaskKind::Escape {
            dynamics,
            particles,
            seed,
            ..
        } => {
            let work = (*particles as u64).saturating_mul(WORK_PER_NEW_PARTICLE);
            let ensemble = EscapeEnsemble::new(*dynamics, *particles, *seed)
                .map(|ensemble| Active::Escape(Box::new(ensemble)))
                .map_err(|error| error.to_string());
            (ensemble, work)
        }
    }
}

/// The planned work of a task.
fn planned_work(task: &Task) -> f64 {
    match &task.kind {
        TaskKind::Ensemble {
            spec,
            steps,
            work_per_particle_step,
            ..
        } => {
            spec.particles as f64
                * (*steps as f64 * *work_per_particle_step as f64 + WORK_PER_NEW_PARTICLE as f64)
        }
        TaskKind::Escape {
            particles,
            max_steps,
            expected_steps,
            ..
        } => {
            let steps = if expected_steps.is_finite() && *expected_steps > 0.0 {
                expected_steps.min(*max_steps as f64)
            } else {
                *max_steps as f64
            };
            *particles as f64 * (steps + WORK_PER_NEW_PARTICLE as f64)
        }
    }
}

/// The mean of independent values and its standard error (`None` for fewer than two).
fn mean_and_stderr(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    Some((mean, (variance / n as f64).sqrt()))
}

/// The result of a finished quadratic ensemble (`hessian`: the model's K, for the loss).
fn measure_ensemble(ensemble: &Ensemble, measure: Measure, hessian: &DMatrix<f64>) -> Outcome {
    let statistics = ensemble.statistics();
    let live = statistics.particles - statistics.diverged;
    if live < 2 {
        return Outcome::Failed(format!(
            "{} of {} particles diverged",
            statistics.diverged, statistics.particles
        ));
    }
    let variance = match measure {
        Measure::FinalVariance => Some((
            statistics.covariance[(0, 0)],
            statistics.covariance_stderr[(0, 0)],
        )),
        Measure::TimeAveragedVariance => statistics.time_averaged.as_ref().map(|averaged| {
            (
                averaged.covariance[(0, 0)],
                averaged.covariance_stderr[(0, 0)],
            )
        }),
        Measure::TimeAveragedLoss => ensemble
            .time_averaged_losses(hessian)
            .and_then(|losses| mean_and_stderr(&losses)),
        Measure::FinalPositions => {
            let dimension = ensemble.dimension();
            let mut weights = Vec::with_capacity(live * dimension);
            for particle in 0..ensemble.particles() {
                if !ensemble.is_diverged(particle) {
                    let start = particle * dimension;
                    weights.extend_from_slice(
                        ensemble
                            .weights()
                            .get(start..start + dimension)
                            .unwrap_or_default(),
                    );
                }
            }
            return Outcome::Positions {
                weights,
                dimension,
                diverged: statistics.diverged,
            };
        }
    };
    match variance {
        Some((value, stderr)) if value.is_finite() && stderr.is_finite() => Outcome::Variance {
            value,
            stderr,
            diverged: statistics.diverged,
        },
        _ => Outcome::Failed("no finite variance".to_string()),
    }
}
