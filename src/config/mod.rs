//! The configuration language shared by the URL query, the command line and the tests: text
//! `key=value&key=value` parsed once into a typed [`Config`]; every later layer trusts it.
//!
//! # Syntax
//! - Pairs `key=value` separated by `&` or new lines; blank pairs are ignored, and so is a line
//!   starting with `#` (a comment, in a file).
//! - A leading `?`, or a whole pasted URL up to its `?`, is ignored, and keys and values are
//!   percent-decoded (`%2C` is `,`; `+` is a space, as in a form-encoded query, except as an
//!   exponent sign: `1e+3`). Spaces around keys, values and matrix entries do not matter.
//! - Matrices (`K`, `C`, `P`): rows separated by `;`, entries by `,` (`K=2,0.5;0.5,1`). One row of
//!   D numbers is the D×D diagonal (`K=1,0.1`); one number s is 1×1 for `K` and s·I (the size of K)
//!   for `C` and `P`. Data (`X`): rows of samples, even for one row. Lists (`y`, `x_var`,
//!   `w_star`, a `start` point): numbers separated by `,`.
//! - Version key `v`: only `1` exists (absent means 1). A larger version was written by a newer
//!   program: an error for [`Config::parse`], a warning for [`Config::parse_lenient`].
//!
//! Every key is described once, in [`KEYS`] (meaning, format, default, allowed values, when it is
//! used); the README's table ([`keys_markdown_table`]) and `sgd-playground help` are written from
//! the same text.
//!
//! # What a configuration holds
//! - The landscape (`landscape`): the quadratic model of the theory ([`QuadraticConfig`]: `opt`,
//!   `noise` and their keys, plus the simulation's `start`, `burnin`, `bound`, `fisher`), or the
//!   double well of the Kramers experiment ([`DoubleWellConfig`]: `lr`, `r`, `S`, `k_a`, `k_b`,
//!   `dL`; plain SGD only).
//! - The simulation's size and seed ([`SimulationConfig`]: `particles`, `steps`, `seed`), read by
//!   `simulate` and the browser's simulations; `solve` accepts and ignores them.
//!
//! Two keys have a default that depends on the landscape: `lr` (0.5, or 1 for the double well)
//! and `S` (100, or 2), the values of `FIGURES.md`. The canonical text omits a key exactly when it
//! has the default of its landscape, so it still round-trips.
//!
//! # Strict and lenient
//! [`Config::parse`] (command line, tests) rejects the text with every problem listed: unknown or
//! repeated keys, invalid values, and keys that the chosen `landscape`/`opt`/`noise` does not use.
//! [`Config::parse_lenient`] (browser) reports the same problems but replaces each offending key by
//! its default and keeps every valid key; it also checks the model ([`Config::validate`]), and
//! resets the keys the model rejects (a K that is not positive definite, a C of the wrong size, a
//! loss scale r beyond the well's stability, ...), so that its result normally builds.
//!
//! # Layout
//! - `mod.rs`: the [`Config`] API (parse strictly or leniently, validate, canonical text, the
//!   model and simulation it describes).
//! - `syntax`: the text syntax (pairs, percent-decoding, numbers, matrices, lists, rows) and the
//!   typed values; `keys`: the key machinery ([`KeySpec`], choice names, figure defaults,
//!   the README table); `key_table`: [`KEYS`], every key described once.
//! - `reading`: typed reading of the entries into a [`Config`], reporting unused keys.
//! - `landscape`: the quadratic model and the double well; `figures`: the paper's figures;
//!   `panels`: the panels beyond them.
//!
//! # Adding a key
//! One [`KeySpec`] entry in [`KEYS`] (`key_table.rs`; its position is its place in
//! [`Config::to_text`]), a field in the typed configuration (`landscape.rs`, `figures.rs` or
//! `panels.rs`), one line reading it (`reading.rs`, or the panel's reader) and one line writing
//! it (the configuration's key values). The entry carries the key's page label, slider span
//! and aliases too: the compiler asks for each. A key given but not read is reported
//! automatically as not used with the chosen options.

use std::collections::BTreeMap;

use crate::error::{FieldError, FieldErrors};
use crate::model::{Noise, Problem};
use crate::sim::double_well::EscapeDynamics;
use crate::sim::{EnsembleSpec, Start};
use crate::solver::curve::SpectralProblem;
use landscape::resolve_optimizer;
use nalgebra::DMatrix;

mod adam_figure;
mod catalogue;
mod figures;
mod key_table;
mod keys;
mod landscape;
mod panels;
mod reading;
mod schedule_figure;
mod syntax;

pub use panels::{
    angle_applies, hessian_and_covariance, rotated_hessian, BayesFigureConfig,
    EscapeEfficiencyFigureConfig, ExplorerFigureConfig, PhaseDiagramFigureConfig, PhaseMethod,
    SecondOrderFigureConfig, EXPLORER_METHODS, MAX_PANEL_DIMENSION,
};

pub use adam_figure::{
    AdamFigureConfig, ADAM_FIGURE_LRK_MIN, MAX_ADAM_FIGURE_DIMENSION, MAX_SIMULATED_BETA2S,
};
pub use catalogue::{figure_entry, FigureEntry, FIGURES, FIGURE_IDS};
use figures::{
    check_figure_size, compact_count, push_regression_values, push_sweep_values, FigureParts,
};
pub use figures::{
    DecayFigureConfig, Eq52Form, EscapeRateFigureConfig, FigureConfig,
    LearningRateSweepFigureConfig, LossConvention, MinibatchMomentumSweepFigureConfig,
    MinibatchScatterFigureConfig, MinibatchSweepFigureConfig, MomentumSweepFigureConfig,
    RegressionFigureConfig, SweepSimulation, WhiteNoiseScatterFigureConfig, MAX_FIGURE_PANELS,
    MAX_FIGURE_POINTS, MAX_TRAJECTORY_STEPS,
};
pub use key_table::KEYS;
pub use keys::{
    default_text, figure_default, key_spec, keys_markdown_table, InputKind, KeySpec, SliderSpan,
};
use keys::{
    default_value, unknown_key, DefaultContext, Kind, Range, CONTEXT_KEYS, EQ52_FORMS,
    FISHER_ESTIMATES, LANDSCAPES, LOSS_CONVENTIONS, NOISES, OPTIMIZERS,
};
use landscape::push_convention_values;
pub use landscape::{
    DataConfig, DoubleWellConfig, EnsembleConfig, GeneratedData, LandscapeConfig, MatrixSpec,
    NoiseConfig, OptimizerConfig, QuadraticConfig, SimulationConfig, SimulationLimits,
};
use reading::{
    assemble, read_conventions, read_regression, read_sweep, reset_named_keys, resolve, Reader,
};
pub use schedule_figure::{ScheduleFigureConfig, MAX_SCHEDULE_CURVES, SCHEDULE_CURVES};
pub use syntax::{encode, format_number};
use syntax::{list_text, parse_value, read, rows_text, Entry, Reading, Value};
pub(crate) use syntax::{percent_decode, shorten};

/// The version of the configuration language this program reads and writes (key `v`).
pub const VERSION: u64 = 1;

/// Longest configuration text accepted, in bytes: 1 MiB, room for a data set `X` of some
/// thousands of rows in a file (a URL is far shorter).
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// A parsed configuration (version 1): what to optimize, how, and how to simulate it; or, with
/// `fig`, one of the paper's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The landscape and the optimizer on it (`landscape` and the keys it uses). With a figure it
    /// is not read and stays at its defaults.
    pub landscape: LandscapeConfig,
    /// The simulation's size and seed (`particles`, `steps`, `seed`). With a figure it is not read
    /// and stays at its defaults (the figure holds its own).
    pub simulation: SimulationConfig,
    /// The figure drawn (`fig` and the keys it reads); `None` without `fig`.
    pub figure: Option<FigureConfig>,
}

impl Default for Config {
    /// Every key at its default: the quadratic `opt=sgd&lr=0.5&noise=gauss&K=1&C=1`, simulated
    /// with 1000 particles for 1000 steps from w = 0.
    fn default() -> Self {
        assemble(&BTreeMap::new()).0
    }
}

impl Config {
    /// Parses configuration text strictly.
    ///
    /// # Errors
    /// Every problem found, one [`FieldError`] each naming the key, the value and what is allowed:
    /// text longer than [`MAX_TEXT_BYTES`], a pair without `=`, an unknown or repeated key, an
    /// invalid value, a key not used with the chosen `landscape`, `opt` and `noise`, `X` without
    /// `y` (or the reverse), `burnin` not below `steps`, an `opt` other than `sgd` with the double
    /// well, a version newer than [`VERSION`]. Whether the model itself is valid (K positive
    /// definite, C of the size of K, ...) is checked by [`Config::validate`].
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let config = Config::parse("opt=sgdm&lr=1.5&mu=0.5&particles=200").unwrap();
    /// let quadratic = config.quadratic().unwrap();
    /// assert_eq!(quadratic.optimizer, OptimizerConfig::Momentum { learning_rate: 1.5, momentum: 0.5 });
    /// assert_eq!(config.simulation.particles, 200);
    /// let errors = Config::parse("lr=-1&nu=0.3").unwrap_err();
    /// assert_eq!(errors.0[0].to_string(), "lr: invalid value '-1'; allowed: a finite number > 0");
    /// assert_eq!(errors.0[1].field, "nu"); // not used with opt=sgd
    /// ```
    pub fn parse(text: &str) -> Result<Config, FieldErrors> {
        let reading = read(text);
        if let Some(newer) = reading.newer_version {
            // The other problems would only be consequences of reading a newer language.
            return Err(FieldErrors(vec![newer]));
        }
        let (config, assembly_problems) = assemble(&reading.entries);
        let mut problems = reading.problems;
        // With landscape, opt, noise, X or y unreadable, which keys are used is unknown: no
        // guesses. With steps unreadable, burnin would be compared with a guess.
        if !CONTEXT_KEYS.iter().any(|key| reading.invalid.contains(key)) {
            let steps_unknown = reading.invalid.contains("steps");
            problems.extend(
                assembly_problems
                    .into_iter()
                    .filter(|problem| !(steps_unknown && problem.field == "burnin")),
            );
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(FieldErrors(problems))
        }
    }

    /// Parses configuration text leniently (the browser): never fails. Every problem is reported
    /// and the offending key replaced by its default; every valid key is kept. Beyond
    /// [`Config::parse`]'s checks the model is checked ([`Config::validate`]) and the keys it
    /// rejects are reset too, so the result builds unless the defaults themselves conflict with
    /// the kept keys (e.g. `noise=batch&replace=0&N=50`: the default S = 100 exceeds N; then that
    /// problem is reported too). A repeated key keeps its first value; a newer version is a
    /// warning, and the keys this version knows are read.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, OptimizerConfig};
    /// let (config, problems) = Config::parse_lenient("opt=sgdm&lr=-1&mu=0.5&colour=red");
    /// let optimizer = &config.quadratic().unwrap().optimizer;
    /// assert_eq!(*optimizer, OptimizerConfig::Momentum { learning_rate: 0.5, momentum: 0.5 });
    /// assert_eq!(problems.len(), 2); // lr invalid (default 0.5 used), colour unknown
    /// ```
    pub fn parse_lenient(text: &str) -> (Config, Vec<FieldError>) {
        Config::parse_lenient_within(text, &crate::cost::Budget::NATIVE)
    }

    /// [`Config::parse_lenient`] for a front end whose theory budget is `budget`: before the model
    /// is built to validate it, its theory's cost ([`crate::cost::Cost`]) is checked, and a key
    /// that asks for too much (`N`, `x_var`, `X`, `K`, `res`, …) is reset and reported like an
    /// invalid value; so opening a link never builds a model larger than the budget allows.
    pub fn parse_lenient_within(
        text: &str,
        budget: &crate::cost::Budget,
    ) -> (Config, Vec<FieldError>) {
        let Reading {
            mut entries,
            mut problems,
            newer_version,
            invalid: _,
        } = read(text);
        if let Some(newer) = newer_version {
            problems.insert(0, newer);
        }
        loop {
            let (config, assembly_problems) = assemble(&entries);
            let (removed, mut unfixable) =
                reset_named_keys(&mut entries, assembly_problems, &mut problems);
            if removed {
                continue;
            }
            if let Err(too_large) = crate::cost::Cost::of(&config).check_theory(budget) {
                let (removed, mut left) =
                    reset_named_keys(&mut entries, vec![too_large], &mut problems);
                if removed {
                    continue;
                }
                // Nothing to reset (a default asks for it): the caller decides.
                problems.append(&mut unfixable);
                problems.append(&mut left);
                return (config, problems);
            }
            match config.validate() {
                Ok(()) => {
                    problems.append(&mut unfixable);
                    return (config, problems);
                }
                Err(model_problems) => {
                    let (removed, mut model_unfixable) =
                        reset_named_keys(&mut entries, model_problems.0, &mut problems);
                    if !removed {
                        problems.append(&mut unfixable);
                        problems.append(&mut model_unfixable);
                        return (config, problems);
                    }
                }
            }
        }
    }

    /// Whether two configurations are the same, judged by their canonical text (what a link
    /// shares): the same answer as `==` for valid configurations, without the derived
    /// comparison's code in the page's `.wasm` (9 KB before compression).
    pub fn same_as(&self, other: &Config) -> bool {
        self.to_text() == other.to_text()
    }

    /// The canonical text: `v=1` first, then, in the order of [`KEYS`], every key the
    /// configuration uses whose value differs from its default (the default of its landscape:
    /// `lr` and `S` differ for the double well); numbers in shortest round-trip form
    /// ([`format_number`]). `Config::parse(&c.to_text()) == Ok(c)` for every configuration whose
    /// values are valid (as [`Config::parse`] and [`MatrixSpec`] define).
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// let config = Config::parse("mu=0.5&opt=sgdm&K=2,0;0,1&lr=0.5&steps=500").unwrap();
    /// assert_eq!(config.to_text(), "v=1&opt=sgdm&mu=0.5&K=2,0;0,1&steps=500");
    /// let well = Config::parse("landscape=doublewell&lr=1&S=2&r=1.2").unwrap();
    /// assert_eq!(well.to_text(), "v=1&landscape=doublewell&r=1.2");
    /// ```
    pub fn to_text(&self) -> String {
        let values = self.key_values();
        let context = self.default_context();
        // `steps` given asks `solve` for a loss curve: written even at its default.
        let curve = self.quadratic().is_some_and(|q| q.curve_points.is_some());
        let mut text = format!("v={VERSION}");
        for spec in KEYS {
            let Some((_, value)) = values.iter().find(|(key, _)| *key == spec.key) else {
                continue;
            };
            if default_value(spec, context).as_ref() == Some(value)
                && !(curve && spec.key == "steps")
            {
                continue;
            }
            text.push('&');
            text.push_str(spec.key);
            text.push('=');
            text.push_str(&value.to_string());
        }
        text
    }

    /// Every key this configuration uses, with its value as the configuration text writes it
    /// (defaults included), in the order of [`KEYS`]: what a form editing it shows.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::Config;
    /// let values = Config::parse("fig=2a").unwrap().used_values();
    /// assert_eq!(values[0], ("fig", "2a".to_string()));
    /// assert!(values.contains(&("particles", "10000".to_string())));
    /// ```
    pub fn used_values(&self) -> Vec<(&'static str, String)> {
        let values = self.key_values();
        KEYS.iter()
            .filter_map(|spec| {
                values
                    .iter()
                    .find(|(key, _)| *key == spec.key)
                    .map(|(key, value)| (*key, value.to_string()))
            })
            .collect()
    }

    /// Which defaults apply: those of the landscape, or of the figure.
    fn default_context(&self) -> DefaultContext {
        match &self.figure {
            Some(figure) => DefaultContext::figure(figure.id()),
            None => DefaultContext {
                double_well: matches!(self.landscape, LandscapeConfig::DoubleWell(_)),
                figure: None,
                optimizer: self.quadratic().map(|q| q.optimizer.name()),
            },
        }
    }

    /// An error naming `fig` for the commands that take a landscape, not a figure.
    fn figure_error(&self, needed: &str) -> Option<FieldErrors> {
        self.figure.as_ref().map(|figure| {
            FieldError::new(
                "fig",
                figure.id(),
                format!("no fig here: {needed} (a figure is drawn by its experiment)"),
            )
            .into()
        })
    }

    /// The per-mode model of a quadratic landscape whose `K` is a spectrum generator
    /// (`powerlaw:…`, `mp:…`); `None` for any other configuration.
    ///
    /// # Errors
    /// Named problems: `C` not one number σ² (C = σ²·I + a·K must commute with K), an optimizer
    /// without a scalar learning rate, `start=stationary`, a start point of another size, and
    /// whatever [`Problem::new`] finds in the optimizer and conventions.
    pub fn spectral_problem(&self) -> Option<Result<SpectralProblem, FieldErrors>> {
        let quadratic = self.quadratic()?;
        let NoiseConfig::Gaussian {
            hessian: MatrixSpec::Spectrum(spectrum),
            covariance,
            hessian_noise,
        } = &quadratic.noise
        else {
            return None;
        };
        Some(spectral_model(
            spectrum,
            covariance,
            *hessian_noise,
            &quadratic.optimizer,
            quadratic.conventions,
            &quadratic.ensemble.start,
        ))
    }

    /// The quadratic landscape, `None` for the double well (and for a figure, whose landscape is
    /// not read).
    pub fn quadratic(&self) -> Option<&QuadraticConfig> {
        if self.figure.is_some() {
            return None;
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => Some(quadratic),
            LandscapeConfig::DoubleWell(_) => None,
        }
    }

    /// The validated quadratic model (what `solve` solves and `simulate` simulates).
    ///
    /// # Errors
    /// Every problem [`Problem::new`] finds, each naming a configuration key (`K`, `C`, `P`, `lr`,
    /// `mu`, `nu`, `noise`, `S`, `N`, `X`, `y`, `x_var`, `w_star`, `label_var`), plus a diagonal `C`
    /// or `P` whose length is not the size of K, and invalid data (XᵀX singular, ...); with
    /// `landscape=doublewell`, an error naming `landscape` (the double well has no exact
    /// stationary distribution here: it is simulated); with `fig`, an error naming `fig`.
    pub fn to_problem(&self) -> Result<Problem, FieldErrors> {
        if let Some(error) = self.figure_error("the quadratic model is read from opt, noise, K, …")
        {
            return Err(error);
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => quadratic.to_problem(),
            LandscapeConfig::DoubleWell(_) => Err(FieldError::new(
                "landscape",
                "doublewell",
                "quadratic (the exact stationary distribution is that of the quadratic model; the \
                 double well is simulated: sgd-playground simulate)",
            )
            .into()),
        }
    }

    /// The validated double-well dynamics.
    ///
    /// # Errors
    /// With `landscape=quadratic`, an error naming `landscape`; else what
    /// [`DoubleWellConfig::to_dynamics`] reports (`r` beyond the well's stability, ...).
    pub fn to_escape_dynamics(&self) -> Result<EscapeDynamics, FieldErrors> {
        if let Some(error) = self.figure_error("the double well is read with landscape=doublewell")
        {
            return Err(error);
        }
        match &self.landscape {
            LandscapeConfig::DoubleWell(well) => Ok(well.to_dynamics()?),
            LandscapeConfig::Quadratic(_) => Err(FieldError::new(
                "landscape",
                "quadratic",
                "doublewell (the escape experiment needs the double well)",
            )
            .into()),
        }
    }

    /// The simulator's ensemble specification for `problem` (built from this configuration).
    ///
    /// # Errors
    /// An error naming `start` when a start point does not have D entries, or `landscape` for
    /// the double well (simulated by [`crate::sim::double_well::EscapeEnsemble`] instead).
    pub fn ensemble_spec(&self, problem: &Problem) -> Result<EnsembleSpec, FieldErrors> {
        if let Some(error) = self.figure_error("a simulation of the quadratic model") {
            return Err(error);
        }
        let LandscapeConfig::Quadratic(quadratic) = &self.landscape else {
            return Err(FieldError::new(
                "landscape",
                "doublewell",
                "quadratic (the double well is simulated by its escape ensemble)",
            )
            .into());
        };
        let dimension = problem.dimension();
        let mut start = quadratic.ensemble.start.clone();
        if let Start::Point(point) = &start {
            if point.len() == 1 && dimension > 1 {
                // One number: the same for every coordinate.
                start = Start::Point(nalgebra::DVector::from_element(dimension, point[0]));
            } else if point.len() != dimension {
                return Err(FieldError::new(
                    "start",
                    shorten(&list_text(point.as_slice())),
                    format!(
                        "zero, stationary, one number (every coordinate) or {dimension} finite \
                         numbers separated by , (D = {dimension}, the size of K)"
                    ),
                )
                .into());
            }
        }
        Ok(EnsembleSpec {
            particles: self.simulation.particles,
            seed: self.simulation.seed,
            start,
            burn_in: quadratic.ensemble.burn_in,
            divergence_bound: quadratic.ensemble.divergence_bound,
            natural_gradient_fisher: quadratic.ensemble.natural_gradient_fisher,
        })
    }

    /// Checks what [`Config::parse`] cannot check alone: the quadratic model
    /// ([`Config::to_problem`]) and the size of a start point ([`Config::ensemble_spec`]), or the
    /// double well's dynamics ([`Config::to_escape_dynamics`]). The simulation's size is checked
    /// separately ([`Config::check_simulation_size`]), against the limits of where it runs; and
    /// `start=stationary` with a diverging dynamics only when the ensemble is built (it needs the
    /// solver: [`crate::sim::Ensemble::new`] names `start`).
    ///
    /// # Errors
    /// Every problem found, each naming a configuration key.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        if let Some(figure) = &self.figure {
            return figure.validate();
        }
        match &self.landscape {
            LandscapeConfig::Quadratic(_) => {
                let problem = self.to_problem()?;
                self.ensemble_spec(&problem).map(|_| ())
            }
            LandscapeConfig::DoubleWell(_) => self.to_escape_dynamics().map(|_| ()),
        }
    }

    /// Refuses a simulation larger than `limits`: particles × steps × max(D, 1) particle-steps,
    /// and the particles' state in memory (D numbers of position, D of momentum, a generator, and
    /// with `burnin` the D + D² time-average sums per particle). With a figure, its planned work
    /// ([`FigureConfig::planned_particle_steps`]: every point's ensemble, one after the other) and
    /// one ensemble's state, whatever `dimension`. `dimension` is D (1 for the
    /// double well).
    ///
    /// # Errors
    /// A [`FieldError`] naming `particles`, whose message names `steps` and the limit.
    ///
    /// # Example
    /// ```
    /// use sgd_playground::config::{Config, SimulationLimits};
    /// let config = Config::parse("particles=100000&steps=20000000").unwrap();
    /// let error = config.check_simulation_size(1, &SimulationLimits::NATIVE).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "particles: invalid value '100000'; allowed: particles × steps × D ≤ 1e11 \
    ///      (here 100000 × 20000000 × 1 = 2e12): fewer particles or steps"
    /// );
    /// ```
    pub fn check_simulation_size(
        &self,
        dimension: usize,
        limits: &SimulationLimits,
    ) -> Result<(), FieldError> {
        if let Some(figure) = &self.figure {
            return check_figure_size(figure, limits);
        }
        let particles = self.simulation.particles;
        let steps = self.simulation.steps;
        let dimension = dimension.max(1);
        let work = particles as u128 * u128::from(steps) * dimension as u128;
        if work > u128::from(limits.max_particle_steps) {
            return Err(FieldError::new(
                "particles",
                particles.to_string(),
                format!(
                    "particles × steps × D ≤ {} (here {particles} × {steps} × {dimension} = {}): \
                     fewer particles or steps",
                    compact_count(u128::from(limits.max_particle_steps)),
                    compact_count(work)
                ),
            ));
        }
        // Per particle: a random stream (a Xoshiro256++ generator and a spare normal, 48 bytes)
        // and its divergence or escape record (16 bytes), plus its numbers.
        let numbers_per_particle = match &self.landscape {
            LandscapeConfig::DoubleWell(_) => 1,
            LandscapeConfig::Quadratic(quadratic) => {
                let time_average_sums = if quadratic.ensemble.burn_in.is_some() {
                    dimension as u128 * (dimension as u128 + 1)
                } else {
                    0
                };
                2 * dimension as u128 + time_average_sums
            }
        };
        let bytes_per_particle = 64 + 8 * numbers_per_particle;
        let bytes = particles as u128 * bytes_per_particle;
        if bytes > u128::from(limits.max_state_bytes) {
            let most = u128::from(limits.max_state_bytes) / bytes_per_particle;
            return Err(FieldError::new(
                "particles",
                particles.to_string(),
                format!(
                    "at most {most} particles with D = {dimension}{} (each needs {bytes_per_particle} \
                     bytes of state; the limit is {} MiB)",
                    if numbers_per_particle > 2 * dimension as u128 {
                        " and burnin"
                    } else {
                        ""
                    },
                    limits.max_state_bytes >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Every key this configuration uses, with its value (defaults included), in no particular
    /// order.
    fn key_values(&self) -> Vec<(&'static str, Value)> {
        if let Some(figure) = &self.figure {
            return figure.key_values();
        }
        let simulation = &self.simulation;
        let mut values = vec![
            ("landscape", Value::Choice(self.landscape.name())),
            ("particles", Value::Integer(simulation.particles as u64)),
            ("steps", Value::Integer(simulation.steps)),
            ("seed", Value::Integer(simulation.seed)),
        ];
        match &self.landscape {
            LandscapeConfig::Quadratic(quadratic) => quadratic.push_key_values(&mut values),
            LandscapeConfig::DoubleWell(well) => values.extend([
                ("opt", Value::Choice("sgd")),
                ("lr", Value::Number(well.learning_rate)),
                ("r", Value::Number(well.loss_scale)),
                ("S", Value::Integer(well.batch_size as u64)),
                ("k_a", Value::Number(well.well_curvature)),
                ("k_b", Value::Number(well.barrier_curvature)),
                ("dL", Value::Number(well.barrier_height)),
            ]),
        }
        values
    }
}

/// The per-mode model of K = diag(spectrum) with C = σ²·I + a·K (`covariance` must be the one
/// number σ²), for `solve` and `fig=schedule` alike.
///
/// # Errors
/// Named problems: `C` not one number, an optimizer without a scalar learning rate,
/// `start=stationary`, a start point of another size, and whatever [`Problem::new`] finds in the
/// optimizer and conventions.
pub(crate) fn spectral_model(
    spectrum: &crate::spectrum::Spectrum,
    covariance: &MatrixSpec,
    hessian_noise: f64,
    optimizer: &OptimizerConfig,
    conventions: crate::model::Conventions,
    start: &Start,
) -> Result<SpectralProblem, FieldErrors> {
    let mut problems = Vec::new();
    let noise_variance = match covariance {
        MatrixSpec::Scalar(value) => *value,
        other => {
            problems.push(FieldError::new(
                "C",
                shorten(&other.to_string()),
                "one number σ² ≥ 0 with K a spectrum (the noise C = σ²·I + a·K commutes \
                 with K; a is the key a)",
            ));
            f64::NAN
        }
    };
    let optimizer = resolve_optimizer(optimizer, 1).map_err(FieldErrors::from)?;
    if !matches!(optimizer.name(), "sgd" | "sgdm" | "qhm" | "nesterov") {
        problems.push(FieldError::new(
            "opt",
            optimizer.name(),
            "sgd, sgdm, qhm or nesterov with K a spectrum (the per-mode engine needs a \
             scalar learning rate)",
        ));
    }
    let d = spectrum.dimension();
    let start = match start {
        crate::sim::Start::Zero => Vec::new(),
        crate::sim::Start::Point(point) if point.len() == 1 || point.len() == d => {
            point.iter().copied().collect()
        }
        other => {
            problems.push(FieldError::new(
                "start",
                shorten(&Value::Start(other.clone()).to_string()),
                format!("zero, one number (every mode) or {d} numbers with K a spectrum"),
            ));
            Vec::new()
        }
    };
    if !problems.is_empty() {
        return Err(FieldErrors(problems));
    }
    let eigenvalues = spectrum.eigenvalues();
    // The optimizer, conventions and noise checked on the largest mode alone.
    let k_max = eigenvalues.first().copied().unwrap_or(1.0);
    Problem::new(
        Some(DMatrix::from_element(1, 1, k_max)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, noise_variance + hessian_noise * k_max),
        },
        optimizer.clone(),
    )?
    .with_conventions(conventions)?;
    Ok(SpectralProblem {
        optimizer,
        conventions,
        eigenvalues,
        noise_variance,
        hessian_noise,
        start,
    })
}

#[cfg(test)]
mod tests {
    use super::figures::FigureConfig;
    use super::key_table::KEYS;
    use super::keys::key_spec;
    use super::keys::Kind;
    use super::syntax::parse_value;
    use super::syntax::percent_decode;
    use super::syntax::split_pairs;
    use super::syntax::Value;
    use super::*;
    use crate::model::MAX_DATASET_SIZE;
    use crate::model::MAX_DIMENSION;
    use crate::model::MAX_MINIBATCH_DIMENSION;
    use crate::sim::MAX_PARTICLES;
    use crate::sim::MAX_PARTICLE_STEPS;

    #[test]
    fn every_default_parses_to_the_kind_of_its_key() {
        for spec in KEYS {
            if spec.default.is_empty() {
                assert!(
                    matches!(
                        spec.key,
                        "X" | "y"
                            | "w_star"
                            | "burnin"
                            | "fig"
                            | "lrs"
                            | "eq52_const"
                            | "milestones"
                            | "decay"
                    ),
                    "{} has no default",
                    spec.key
                );
                continue;
            }
            for default in std::iter::once(spec.default).chain(spec.double_well_default) {
                let value = parse_value(spec, default).expect("a valid default");
                assert!(
                    kind_matches(spec.kind, &value),
                    "default of {} is {value:?}",
                    spec.key
                );
            }
        }
    }

    #[test]
    fn every_figure_default_is_valid_documented_and_used() {
        for (figure, key, default) in FIGURES.iter().flat_map(|entry| {
            entry
                .defaults
                .iter()
                .map(move |(key, default)| (&entry.id, key, default))
        }) {
            assert!(FIGURE_IDS.contains(figure), "{figure}");
            let spec = key_spec(key).expect("a key");
            let value = parse_value(spec, default).expect("a valid default");
            assert!(kind_matches(spec.kind, &value), "{figure}: {key}={default}");
            assert!(
                spec.used_when.contains(figure) || spec.used_when.contains("every fig"),
                "{key} is not documented as used with fig={figure}"
            );
            assert!(
                spec.default_meaning.contains(default) && spec.default_meaning.contains(figure),
                "{key}: the default {default} of fig={figure} is not documented"
            );
        }
        // Every figure's configuration builds from its defaults alone.
        for figure in FIGURE_IDS {
            let config = Config::parse(&format!("fig={figure}")).expect("defaults parse");
            assert_eq!(config.figure.as_ref().map(FigureConfig::id), Some(*figure));
            config.validate().expect("defaults validate");
            assert_eq!(config.to_text(), format!("v=1&fig={figure}"));
        }
    }

    fn kind_matches(kind: Kind, value: &Value) -> bool {
        match kind {
            Kind::Version | Kind::Integer { .. } => matches!(value, Value::Integer(_)),
            Kind::Choice(_) => matches!(value, Value::Choice(_)),
            Kind::Number(_) => matches!(value, Value::Number(_)),
            Kind::Flag => matches!(value, Value::Flag(_)),
            Kind::Matrix => matches!(value, Value::Matrix(_)),
            Kind::Rows { .. } => matches!(value, Value::Rows(_)),
            Kind::List { .. } => matches!(value, Value::List(_)),
            Kind::Start => matches!(value, Value::Start(_)),
            Kind::Names(_) => matches!(value, Value::Names(_)),
        }
    }

    #[test]
    fn keys_are_unique_and_documented() {
        for (i, spec) in KEYS.iter().enumerate() {
            assert!(
                KEYS[..i].iter().all(|other| other.key != spec.key),
                "{} twice",
                spec.key
            );
            for text in [
                spec.meaning,
                spec.format,
                spec.default_meaning,
                spec.allowed,
                spec.used_when,
            ] {
                assert!(!text.is_empty(), "{} lacks documentation", spec.key);
            }
        }
    }

    #[test]
    fn documented_limits_match_the_model() {
        let dataset = MAX_DATASET_SIZE.to_string();
        for key in ["S", "N", "X"] {
            assert!(
                key_spec(key).expect("known").allowed.contains(&dataset),
                "{key}"
            );
        }
        let dimension = MAX_MINIBATCH_DIMENSION.to_string();
        for key in ["x_var", "X"] {
            assert!(
                key_spec(key).expect("known").allowed.contains(&dimension),
                "{key}"
            );
        }
        assert!(key_spec("K")
            .expect("known")
            .allowed
            .contains(&MAX_DIMENSION.to_string()));
        for key in ["data_seed", "seed"] {
            assert!(
                key_spec(key)
                    .expect("known")
                    .allowed
                    .contains(&u64::MAX.to_string()),
                "{key}"
            );
        }
        assert!(key_spec("particles")
            .expect("known")
            .allowed
            .contains(&MAX_PARTICLES.to_string()));
        assert!(key_spec("steps")
            .expect("known")
            .allowed
            .contains(&MAX_PARTICLE_STEPS.to_string()));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("2%2C0.5%3B1").as_deref(), Ok("2,0.5;1"));
        assert_eq!(percent_decode("a+b").as_deref(), Ok("a b"));
        assert_eq!(percent_decode("1e+3").as_deref(), Ok("1e+3"));
        assert_eq!(percent_decode("1.E+3").as_deref(), Ok("1.E+3"));
        assert_eq!(percent_decode("+1").as_deref(), Ok(" 1"));
        assert_eq!(percent_decode("%2B1").as_deref(), Ok("+1"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Ok("%zz%4"));
        assert_eq!(percent_decode("%CE%BB").as_deref(), Ok("λ"));
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn pairs_are_split_on_ampersands_and_lines() {
        let pairs: Vec<_> = split_pairs("?a=1&&b = 2\r\n# c=3 & d=4\n  e=5&")
            .into_iter()
            .map(|pair| pair.expect("well formed"))
            .collect();
        let expected = [("a", "1"), ("b", "2"), ("e", "5")];
        assert_eq!(pairs.len(), expected.len());
        for ((key, value), (want_key, want_value)) in pairs.iter().zip(expected) {
            assert_eq!((key.as_str(), value.as_str()), (want_key, want_value));
        }
    }
}
