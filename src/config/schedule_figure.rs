//! `fig=schedule`: training under learning-rate schedules — the exact expected loss versus the
//! step for up to four schedules at once, simulated points with their standard errors, and the
//! rates λ_t below (issue 16).

use super::reading::{read_optimizer, Reader};
use super::{resolve_optimizer, FigureParts, MatrixSpec, OptimizerConfig, SweepSimulation, Value};
use crate::error::{FieldError, FieldErrors};
use crate::model::{Noise, Problem};
use crate::schedule::{Schedule, ScheduleKind};
use crate::sim::Start;
use crate::solver::curve::SpectralProblem;
use crate::spectrum::MAX_PAGE_SPECTRUM_DIMENSION;
use nalgebra::DVector;

/// The curves `schedules` may list: each schedule, with or without the warm-up.
pub const SCHEDULE_CURVES: &[&str] = &[
    "constant",
    "step",
    "exp",
    "cosine",
    "inverse",
    "warmup-constant",
    "warmup-step",
    "warmup-exp",
    "warmup-cosine",
    "warmup-inverse",
];

/// Most curves `fig=schedule` draws.
pub const MAX_SCHEDULE_CURVES: usize = 4;

/// `fig=schedule`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleFigureConfig {
    /// The optimizer (`opt`: sgd, sgdm, qhm or nesterov, `lr`, `mu`, `nu`).
    pub optimizer: OptimizerConfig,
    /// K: a diagonal or full matrix, or a spectrum (`K`).
    pub hessian: MatrixSpec,
    /// σ² of C = σ²·I + a·K, or a matrix the size of K (`C`).
    pub covariance: MatrixSpec,
    /// a (`a`).
    pub hessian_noise: f64,
    /// The start w₀ (`start`; one number: every coordinate).
    pub start: Start,
    /// The curves drawn (`schedules`).
    pub curves: Vec<&'static str>,
    /// The shared schedule parameters (`milestones`, `gamma`, `lr_min`, `decay`, `warmup`); its
    /// kind is unused (each curve has its own).
    pub parameters: Schedule,
    /// `points` simulated steps per curve, `particles`, `steps` = T, `seed`.
    pub simulation: SweepSimulation,
}

impl ScheduleFigureConfig {
    /// The schedule of curve `name` (one of [`SCHEDULE_CURVES`]).
    pub fn schedule(&self, name: &str) -> Schedule {
        let (warm, kind) = match name.strip_prefix("warmup-") {
            Some(kind) => (true, kind),
            None => (false, name),
        };
        Schedule {
            kind: ScheduleKind::from_name(kind).unwrap_or_default(),
            warmup: if warm { self.parameters.warmup } else { 0 },
            ..self.parameters.clone()
        }
    }

    /// The per-mode model when K is a spectrum (C must then be one number).
    ///
    /// # Errors
    /// Named problems with `C`, `opt` or the optimizer's parameters.
    pub fn spectral_problem(&self) -> Result<Option<SpectralProblem>, FieldErrors> {
        let MatrixSpec::Spectrum(spectrum) = &self.hessian else {
            return Ok(None);
        };
        super::spectral_model(
            spectrum,
            &self.covariance,
            self.hessian_noise,
            &self.optimizer,
            crate::model::Conventions::PAPER,
            &self.start,
        )
        .map(Some)
    }

    /// The dense model (K a matrix, or a spectrum of D ≤ 512 written out) that the ensembles run.
    ///
    /// # Errors
    /// Named problems with `K`, `C`, `opt` and the optimizer's parameters.
    pub fn problem(&self) -> Result<Problem, FieldErrors> {
        let hessian = self.hessian.to_matrix();
        let d = hessian.nrows();
        let covariance = super::reading::resolve(&self.covariance, "C", d)?;
        let optimizer = resolve_optimizer(&self.optimizer, d)?;
        Problem::new(
            Some(hessian.clone()),
            Noise::Gaussian {
                covariance: covariance + hessian * self.hessian_noise,
            },
            optimizer,
        )
    }

    /// The start point, one number broadcast to D.
    pub fn start_point(&self, dimension: usize) -> DVector<f64> {
        match &self.start {
            Start::Point(point) if point.len() == dimension => point.clone(),
            Start::Point(point) if point.len() == 1 => DVector::from_element(dimension, point[0]),
            _ => DVector::zeros(dimension),
        }
    }

    fn check(&self) -> Result<(), FieldErrors> {
        let mut problems = Vec::new();
        if !matches!(self.optimizer.name(), "sgd" | "sgdm" | "qhm" | "nesterov") {
            problems.push(FieldError::new(
                "opt",
                self.optimizer.name(),
                "sgd, sgdm, qhm or nesterov with fig=schedule (a schedule scales a scalar λ)",
            ));
        }
        if self.curves.len() > MAX_SCHEDULE_CURVES {
            problems.push(FieldError::new(
                "schedules",
                self.curves.join(","),
                format!("at most {MAX_SCHEDULE_CURVES} schedules"),
            ));
        }
        if self.parameters.warmup > self.simulation.steps {
            problems.push(FieldError::new(
                "warmup",
                self.parameters.warmup.to_string(),
                format!(
                    "an integer in [0, steps] (steps = {})",
                    self.simulation.steps
                ),
            ));
        }
        let d = self.hessian.natural_dimension();
        if let MatrixSpec::Spectrum(spectrum) = &self.hessian {
            if d > MAX_PAGE_SPECTRUM_DIMENSION {
                problems.push(FieldError::new(
                    "K",
                    spectrum.to_string(),
                    format!(
                        "a spectrum of D ≤ {MAX_PAGE_SPECTRUM_DIMENSION} with fig=schedule (solve \
                         takes D ≤ 1000000)"
                    ),
                ));
            }
        }
        if matches!(self.start, Start::Stationary) {
            problems.push(FieldError::new(
                "start",
                "stationary",
                "zero, one number (every coordinate) or D numbers with fig=schedule",
            ));
        }
        if let Start::Point(point) = &self.start {
            if point.len() != 1 && point.len() != d {
                problems.push(FieldError::new(
                    "start",
                    format!("{} numbers", point.len()),
                    format!("one number or {d} numbers (D = {d})"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(FieldErrors(problems));
        }
        if self.spectral_problem()?.is_none() || d <= crate::model::MAX_DIMENSION {
            self.problem()?;
        }
        Ok(())
    }

    /// Whether the ensembles can run (a dense model of D ≤ 512).
    pub fn simulated(&self) -> bool {
        self.simulation.points > 0
            && self.simulation.particles > 0
            && self.hessian.natural_dimension() <= crate::model::MAX_DIMENSION
    }
}

/// Reads `fig=schedule`'s keys; reports milestones that are not increasing integers.
pub(super) fn read(reader: &mut Reader, problems: &mut Vec<FieldError>) -> ScheduleFigureConfig {
    let optimizer = read_optimizer(reader);
    let curves = match reader.value("schedules") {
        Some(Value::Names(names)) => names,
        _ => vec!["constant"],
    };
    let mut parameters = Schedule::CONSTANT;
    parameters.milestones = super::reading::read_milestones(reader, problems);
    parameters.gamma = reader.number("gamma");
    parameters.lr_min = reader.number("lr_min");
    parameters.decay = reader.number("decay");
    parameters.warmup = reader.integer("warmup");
    ScheduleFigureConfig {
        optimizer,
        hessian: reader.hessian(),
        covariance: reader.matrix("C"),
        hessian_noise: reader.number("a"),
        start: reader.start("start"),
        curves,
        parameters,
        simulation: super::reading::read_sweep(reader),
    }
}

impl FigureParts for ScheduleFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn planned_particle_steps(&self) -> u128 {
        if !self.simulated() {
            return 0;
        }
        let simulation = &self.simulation;
        // Point j of a curve runs T·j/points steps: (points + 1)/2 · T per particle.
        let steps = (simulation.points as u128 + 1) * u128::from(simulation.steps) / 2;
        steps
            * simulation.particles as u128
            * self.hessian.natural_dimension() as u128
            * self.curves.len() as u128
    }

    fn particles_per_ensemble(&self) -> usize {
        if self.simulated() {
            self.simulation.particles
        } else {
            0
        }
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        super::landscape::push_optimizer_values(values, &self.optimizer);
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("C", Value::Matrix(self.covariance.clone())),
            ("a", Value::Number(self.hessian_noise)),
            ("start", Value::Start(self.start.clone())),
            ("schedules", Value::Names(self.curves.clone())),
            (
                "milestones",
                Value::List(
                    self.parameters
                        .milestones
                        .iter()
                        .map(|&m| m as f64)
                        .collect(),
                ),
            ),
            ("gamma", Value::Number(self.parameters.gamma)),
            ("lr_min", Value::Number(self.parameters.lr_min)),
            ("decay", Value::Number(self.parameters.decay)),
            ("warmup", Value::Integer(self.parameters.warmup)),
        ]);
        super::push_sweep_values(values, &self.simulation);
    }
}
