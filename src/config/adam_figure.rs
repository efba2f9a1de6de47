//! `fig=adam`: Adam, AdamW or RMSprop near a minimum (issue 17) — the stationary training loss
//! versus the learning rate in the β₂ → 1 limit, the real optimizer simulated at a few β₂, SGD
//! and SGDM on the same K and C, the continuous-time (SDE) prediction, and the per-coordinate
//! effective learning rates λ/(√vᵢ + ε).

use nalgebra::DMatrix;

use super::reading::Reader;
use super::{hessian_and_covariance, FigureParts, MatrixSpec, SweepSimulation, Value};
use crate::error::{FieldError, FieldErrors};
use crate::model::{Adaptive, AdaptiveKind, Noise, Optimizer, Problem};
use crate::solver::adaptive::MAX_ADAPTIVE_DIMENSION;

/// Most β₂ values `fig=adam` simulates.
pub const MAX_SIMULATED_BETA2S: usize = 4;

/// Largest dimension of `fig=adam` (one effective-rate curve per coordinate).
pub const MAX_ADAM_FIGURE_DIMENSION: usize = 8;

/// The smallest λk* of the x-axis.
pub const ADAM_FIGURE_LRK_MIN: f64 = 0.01;

/// `fig=adam`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamFigureConfig {
    /// The adaptive method and its hyper-parameters (`opt`, `beta1`, `eps`, `eps_mode`, `mu` for
    /// RMSprop, `wd`, `centered`); its β₂ is the first simulated one (the theory is β₂ → 1).
    pub method: Adaptive,
    /// The marked learning rate λ (`lr`).
    pub learning_rate: f64,
    /// The momentum μ of the SGDM comparison, and RMSprop's (`mu`).
    pub momentum: f64,
    /// K (`K`, rotated by `angle` when 2×2).
    pub hessian: MatrixSpec,
    /// Rotation of a 2-D K in degrees (`angle`).
    pub angle: f64,
    /// C (`C`).
    pub covariance: MatrixSpec,
    /// The right end of the λk* axis (`lrk_max`).
    pub lrk_max: f64,
    /// The β₂ values simulated (`beta2s`).
    pub beta2s: Vec<f64>,
    /// `points` learning rates per β₂, `particles`, `steps` averaged after the burn-in, `seed`.
    pub simulation: SweepSimulation,
}

impl AdamFigureConfig {
    /// K (rotated) and C.
    ///
    /// # Errors
    /// A [`FieldError`] naming `K`, `angle` or `C`.
    pub fn matrices(&self) -> Result<(DMatrix<f64>, DMatrix<f64>), FieldError> {
        hessian_and_covariance(&self.hessian, self.angle, &self.covariance)
    }

    /// The adaptive method at learning rate `lr` and second-moment decay `beta2`.
    pub fn optimizer(&self, lr: f64, beta2: f64) -> Optimizer {
        Optimizer::Adaptive {
            learning_rate: lr,
            method: Adaptive {
                beta2,
                ..self.method
            },
        }
    }

    /// The model at learning rate `lr` and `beta2`.
    ///
    /// # Errors
    /// Named problems with `K`, `C` and the hyper-parameters.
    pub fn problem(&self, lr: f64, beta2: f64) -> Result<Problem, FieldErrors> {
        let (hessian, covariance) = self.matrices()?;
        Problem::new(
            Some(hessian),
            Noise::Gaussian { covariance },
            self.optimizer(lr, beta2),
        )
    }

    /// The burn-in of the ensembles at `beta2`: 5/(1 − β₂) steps, 5 relaxation times of v.
    pub fn burn_in(beta2: f64) -> u64 {
        (5.0 / (1.0 - beta2)).ceil() as u64
    }

    fn check(&self) -> Result<(), FieldErrors> {
        let mut problems = Vec::new();
        if self.beta2s.len() > MAX_SIMULATED_BETA2S {
            problems.push(FieldError::new(
                "beta2s",
                super::list_text(&self.beta2s),
                format!("at most {MAX_SIMULATED_BETA2S} values in [0, 1)"),
            ));
        }
        for &beta2 in &self.beta2s {
            if !(beta2.is_finite() && (0.0..1.0).contains(&beta2)) {
                problems.push(FieldError::new(
                    "beta2s",
                    super::format_number(beta2),
                    "numbers in [0, 1)",
                ));
            } else if beta2 > 0.99999 {
                problems.push(FieldError::new(
                    "beta2s",
                    super::format_number(beta2),
                    "numbers ≤ 0.99999 with fig=adam (the burn-in is 5/(1 − β₂) steps)",
                ));
            }
        }
        if !(self.lrk_max.is_finite() && self.lrk_max > 2.0 * ADAM_FIGURE_LRK_MIN) {
            problems.push(FieldError::new(
                "lrk_max",
                super::format_number(self.lrk_max),
                format!(
                    "a finite number > {} (the λk* axis starts at {ADAM_FIGURE_LRK_MIN})",
                    2.0 * ADAM_FIGURE_LRK_MIN
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(FieldErrors(problems));
        }
        let (hessian, _) = self.matrices()?;
        let d = hessian.nrows();
        if d > MAX_ADAM_FIGURE_DIMENSION.min(MAX_ADAPTIVE_DIMENSION) {
            return Err(FieldError::new(
                "K",
                self.hessian.to_string(),
                format!("a matrix of size at most {MAX_ADAM_FIGURE_DIMENSION} with fig=adam (one effective-rate curve per coordinate)"),
            )
            .into());
        }
        self.problem(
            self.learning_rate,
            self.beta2s.first().copied().unwrap_or(0.999),
        )?;
        Problem::new(
            Some(hessian),
            Noise::Gaussian {
                covariance: self.matrices()?.1,
            },
            Optimizer::Momentum {
                learning_rate: self.learning_rate,
                momentum: self.momentum,
            },
        )?;
        Ok(())
    }

    /// Whether the ensembles run.
    pub fn simulated(&self) -> bool {
        self.simulation.points > 0 && self.simulation.particles > 0 && !self.beta2s.is_empty()
    }
}

/// Reads `fig=adam`'s keys.
pub(super) fn read(reader: &mut Reader, problems: &mut Vec<FieldError>) -> AdamFigureConfig {
    let name = reader.choice("opt");
    let kind = AdaptiveKind::from_name(name).unwrap_or_else(|| {
        problems.push(FieldError::new(
            "opt",
            name,
            "adam, adamw or rmsprop with fig=adam",
        ));
        AdaptiveKind::Adam
    });
    let rmsprop = kind == AdaptiveKind::RmsProp;
    let momentum = reader.number("mu");
    let beta2s = match reader.value("beta2s") {
        Some(Value::List(values)) => values,
        _ => vec![0.9, 0.999],
    };
    let method = Adaptive {
        beta2: beta2s.first().copied().unwrap_or(0.999),
        momentum: if rmsprop { momentum } else { 0.0 },
        ..super::reading::read_adaptive(reader, kind)
    };
    AdamFigureConfig {
        method,
        learning_rate: reader.number("lr"),
        momentum,
        hessian: reader.hessian(),
        angle: reader.number("angle"),
        covariance: reader.matrix("C"),
        lrk_max: reader.number("lrk_max"),
        beta2s,
        simulation: super::reading::read_sweep(reader),
    }
}

impl FigureParts for AdamFigureConfig {
    fn validate(&self, _id: &'static str) -> Result<(), FieldErrors> {
        self.check()
    }

    fn planned_particle_steps(&self) -> u128 {
        if !self.simulated() {
            return 0;
        }
        let d = self.hessian.natural_dimension() as u128;
        let per_point: u128 = self
            .beta2s
            .iter()
            .map(|&beta2| u128::from(Self::burn_in(beta2) + self.simulation.steps))
            .sum();
        per_point * self.simulation.points as u128 * self.simulation.particles as u128 * d
    }

    fn particles_per_ensemble(&self) -> usize {
        if self.simulated() {
            self.simulation.particles
        } else {
            0
        }
    }

    fn push_key_values(&self, values: &mut Vec<(&'static str, Value)>) {
        let method = &self.method;
        let rmsprop = method.kind == AdaptiveKind::RmsProp;
        values.push(("opt", Value::Choice(method.name())));
        values.push(("lr", Value::Number(self.learning_rate)));
        values.push(("mu", Value::Number(self.momentum)));
        if !rmsprop {
            values.push(("beta1", Value::Number(method.beta1)));
        }
        values.extend([
            ("eps", Value::Number(method.epsilon)),
            ("eps_mode", Value::Choice(method.epsilon_placement.name())),
            ("wd", Value::Number(method.weight_decay)),
        ]);
        if rmsprop {
            values.push(("centered", Value::Flag(method.centered)));
        }
        values.extend([
            ("K", Value::Matrix(self.hessian.clone())),
            ("angle", Value::Number(self.angle)),
            ("C", Value::Matrix(self.covariance.clone())),
            ("lrk_max", Value::Number(self.lrk_max)),
            ("beta2s", Value::List(self.beta2s.clone())),
        ]);
        super::push_sweep_values(values, &self.simulation);
    }
}
