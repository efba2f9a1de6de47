//! Typed reading: from the entries of a text to a [`super::Config`], each key read once (a key
//! given but not read is reported as unused), with the model's sizes resolved.

use std::collections::{BTreeMap, BTreeSet};

use nalgebra::DMatrix;

use super::{
    default_value, key_spec, list_text, shorten, Config, DataConfig, DecayFigureConfig,
    DefaultContext, DoubleWellConfig, EnsembleConfig, Entry, Eq52Form, EscapeRateFigureConfig,
    FigureConfig, GeneratedData, LandscapeConfig, LearningRateSweepFigureConfig, LossConvention,
    MatrixSpec, MinibatchMomentumSweepFigureConfig, MinibatchScatterFigureConfig,
    MinibatchSweepFigureConfig, MomentumSweepFigureConfig, NoiseConfig, OptimizerConfig,
    QuadraticConfig, RegressionFigureConfig, SimulationConfig, SweepSimulation, Value,
    WhiteNoiseScatterFigureConfig,
};
use crate::config::format_number;
use crate::conventions::{Conventions, MomentumForm, NesterovForm, WeightDecayMode};
use crate::error::FieldError;
use crate::model::{Adaptive, AdaptiveKind, EpsilonPlacement};
use crate::schedule::{Schedule, ScheduleKind};
use crate::sim::{NaturalGradientFisher, Start};

/// The matrix `spec` for a model of dimension D, or an error naming `key`, its size, `K` and
/// K's size (D×D: the size of K, or of the data's inputs with `noise=batch`).
pub(super) fn resolve(
    spec: &MatrixSpec,
    key: &str,
    dimension: usize,
) -> Result<DMatrix<f64>, FieldError> {
    spec.resolve(dimension).ok_or_else(|| {
        FieldError::new(
            key,
            format!("{} ({})", shorten(&spec.to_string()), spec.size_text()),
            format!(
                "one number s (s·I), {dimension} diagonal entries or a {dimension}x{dimension} matrix \
                 (the size of K, which is {dimension}×{dimension})"
            ),
        )
    })
}

/// Reads the keys of a [`Config`](super::Config) from the valid entries, defaults filling the gaps; reports keys
/// that were given but are not used, `X`/`y` given alone, `burnin` not below `steps`, and an `opt`
/// other than `sgd` with the double well.
pub(super) fn assemble(entries: &BTreeMap<&'static str, Entry>) -> (Config, Vec<FieldError>) {
    let mut reader = Reader {
        entries,
        used: BTreeSet::from(["v"]),
        context: DefaultContext {
            double_well: false,
            figure: None,
            optimizer: None,
        },
        refused: Vec::new(),
    };
    let mut problems = Vec::new();
    // First: the figure, whose keys replace the landscape's.
    let figure_id = reader.choice("fig");
    if !figure_id.is_empty() {
        reader.context = DefaultContext::figure(figure_id);
        let figure = read_figure(&mut reader, figure_id, &mut problems);
        let config = Config {
            figure: Some(figure),
            ..Config::default()
        };
        problems.append(&mut reader.refused);
        report_unused(entries, &reader, &format!("fig={figure_id}"), &mut problems);
        return (config, problems);
    }
    // Then the landscape decides the defaults of lr and S.
    reader.context.double_well = reader.choice("landscape") == "doublewell";
    let simulation = SimulationConfig {
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    };
    let landscape = if reader.context.double_well {
        if reader.choice("opt") != "sgd" {
            if let Some(entry) = entries.get("opt") {
                problems.push(FieldError::new(
                    "opt",
                    shorten(&entry.raw),
                    "sgd with landscape=doublewell (the Kramers experiment of Sec. 6.3 runs plain SGD)",
                ));
            }
        }
        LandscapeConfig::DoubleWell(DoubleWellConfig {
            learning_rate: reader.number("lr"),
            loss_scale: reader.number("r"),
            batch_size: reader.count("S"),
            well_curvature: reader.number("k_a"),
            barrier_curvature: reader.number("k_b"),
            barrier_height: reader.number("dL"),
        })
    } else {
        let optimizer = read_optimizer(&mut reader);
        let conventions = read_conventions(&mut reader, optimizer.name());
        let noise = read_noise(&mut reader, &mut problems);
        let burn_in = match reader.given("burnin") {
            Some(Value::Integer(burn_in)) => Some(burn_in),
            _ => None,
        };
        if let (Some(burn_in), Some(entry)) = (burn_in, entries.get("burnin")) {
            if burn_in >= simulation.steps {
                problems.push(FieldError::new(
                    "burnin",
                    shorten(&entry.raw),
                    format!(
                        "an integer in [0, steps − 1] (steps = {}: time averages need a step after \
                         the burn-in)",
                        simulation.steps
                    ),
                ));
            }
        }
        let ensemble = EnsembleConfig {
            start: reader.start("start"),
            burn_in: burn_in.filter(|burn_in| *burn_in < simulation.steps),
            divergence_bound: reader.number("bound"),
            natural_gradient_fisher: match optimizer {
                OptimizerConfig::NaturalGradient { .. } => match reader.choice("fisher") {
                    "ensemble" => NaturalGradientFisher::Ensemble,
                    _ => NaturalGradientFisher::Exact,
                },
                _ => NaturalGradientFisher::Exact,
            },
        };
        let (schedule, curve_points) = read_schedule(
            &mut reader,
            &optimizer,
            &noise,
            simulation.steps,
            &mut problems,
        );
        LandscapeConfig::Quadratic(QuadraticConfig {
            optimizer,
            conventions,
            noise,
            ensemble,
            schedule,
            curve_points,
        })
    };
    let config = Config {
        landscape,
        simulation,
        figure: None,
    };
    let context = match &config.landscape {
        LandscapeConfig::Quadratic(quadratic) => {
            let given_data = matches!(
                quadratic.noise,
                NoiseConfig::Minibatch {
                    data: DataConfig::Given { .. },
                    ..
                }
            );
            format!(
                "opt={} and noise={}{}",
                quadratic.optimizer.name(),
                quadratic.noise.name(),
                if given_data { " with X given" } else { "" }
            )
        }
        LandscapeConfig::DoubleWell(_) => "landscape=doublewell".to_string(),
    };
    problems.append(&mut reader.refused);
    report_unused(entries, &reader, &context, &mut problems);
    (config, problems)
}

/// Reports every given key that `reader` did not read, in text order.
pub(super) fn report_unused(
    entries: &BTreeMap<&'static str, Entry>,
    reader: &Reader,
    context: &str,
    problems: &mut Vec<FieldError>,
) {
    let mut unused: Vec<(&'static str, &Entry)> = entries
        .iter()
        .filter(|(key, _)| !reader.used.contains(*key))
        .map(|(key, entry)| (*key, entry))
        .collect();
    unused.sort_by_key(|(_, entry)| entry.position);
    for (key, entry) in unused {
        let used_when = key_spec(key).map_or("", |spec| spec.used_when);
        problems.push(FieldError::new(
            key,
            shorten(&entry.raw),
            format!("no {key} with {context} ({key} is used when {used_when})"),
        ));
    }
}

/// The keys of `fig` (see [`FigureConfig`]); reports a `K`, `C` or `start` of the wrong shape, an
/// empty range and `burnin` not below `steps`.
pub(super) fn read_figure(
    reader: &mut Reader,
    id: &'static str,
    problems: &mut Vec<FieldError>,
) -> FigureConfig {
    match id {
        "1b" => FigureConfig::Fig1b(DecayFigureConfig {
            curvature: read_scalar(reader, "K", id, problems),
            learning_rates: reader.list("lrs"),
            start: read_scalar_start(reader, id, problems),
            steps: reader.integer("steps"),
        }),
        "2a" => FigureConfig::Fig2a(LearningRateSweepFigureConfig {
            curvature: read_scalar(reader, "K", id, problems),
            noise_variance: read_scalar(reader, "C", id, problems),
            start: read_scalar_start(reader, id, problems),
            simulation: read_sweep(reader),
        }),
        "2b" => {
            let regression = read_regression(reader, problems);
            let simulation = read_sweep(reader);
            FigureConfig::Fig2b(MinibatchSweepFigureConfig {
                regression,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            })
        }
        "3" => FigureConfig::Fig3(WhiteNoiseScatterFigureConfig {
            hessian: reader.matrix("K"),
            covariance: reader.matrix("C"),
            learning_rates: reader.list("lrs"),
            simulation: read_panels(reader),
        }),
        "4" => FigureConfig::Fig4(MinibatchScatterFigureConfig {
            regression: read_regression(reader, problems),
            learning_rates: reader.list("lrs"),
            simulation: read_panels(reader),
        }),
        "5a" | "5b" => {
            let curvature = read_scalar(reader, "K", id, problems);
            let noise_variance = read_scalar(reader, "C", id, problems);
            let learning_rate_times_curvature = reader.number("lr_k");
            let momentum_range = read_range(reader, ("mu_min", "mu_max"), problems);
            let simulation = read_sweep(reader);
            let figure = MomentumSweepFigureConfig {
                curvature,
                noise_variance,
                learning_rate_times_curvature,
                momentum_range,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            };
            if id == "5a" {
                FigureConfig::Fig5a(figure)
            } else {
                FigureConfig::Fig5b(figure)
            }
        }
        "5c" | "5d" => {
            let regression = read_regression(reader, problems);
            let learning_rate_times_curvature = reader.number("lr_k");
            let momentum_range = read_range(reader, ("mu_min", "mu_max"), problems);
            let simulation = read_sweep(reader);
            let figure = MinibatchMomentumSweepFigureConfig {
                regression,
                learning_rate_times_curvature,
                momentum_range,
                burn_in: read_figure_burn_in(reader, simulation.steps, problems),
                simulation,
            };
            if id == "5c" {
                FigureConfig::Fig5c(figure)
            } else {
                FigureConfig::Fig5d(figure)
            }
        }
        "6a" => FigureConfig::Fig6a(DoubleWellConfig {
            learning_rate: reader.number("lr"),
            loss_scale: reader.number("r"),
            batch_size: reader.count("S"),
            well_curvature: reader.number("k_a"),
            barrier_curvature: reader.number("k_b"),
            barrier_height: reader.number("dL"),
        }),
        "phase" | "bayes" | "escape" | "newton" | "explorer" => {
            super::panels::read_panel(reader, id, problems)
        }
        "schedule" => FigureConfig::Schedule(super::schedule_figure::read(reader, problems)),
        "adam" => FigureConfig::Adam(super::adam_figure::read(reader, problems)),
        _ => FigureConfig::Fig6b(EscapeRateFigureConfig {
            well: DoubleWellConfig {
                learning_rate: reader.number("lr"),
                loss_scale: 1.0,
                batch_size: reader.count("S"),
                well_curvature: reader.number("k_a"),
                barrier_curvature: reader.number("k_b"),
                barrier_height: reader.number("dL"),
            },
            loss_scale_range: read_range(reader, ("r_min", "r_max"), problems),
            eq52: match reader.choice("eq52") {
                "corrected" => Eq52Form::Corrected,
                _ => Eq52Form::Printed,
            },
            eq52_constant: match reader.given("eq52_const") {
                Some(Value::Number(constant)) => Some(constant),
                _ => None,
            },
            simulation: read_sweep(reader),
        }),
    }
}

/// A figure's one-number `K` or `C` (1-D figures): a matrix of one entry.
pub(super) fn read_scalar(
    reader: &mut Reader,
    key: &'static str,
    figure: &str,
    problems: &mut Vec<FieldError>,
) -> f64 {
    match reader.matrix(key) {
        MatrixSpec::Scalar(value) => value,
        other => {
            problems.push(FieldError::new(
                key,
                shorten(&other.to_string()),
                format!("one finite number > 0 (fig={figure} is one-dimensional)"),
            ));
            f64::NAN
        }
    }
}

/// A 1-D figure's `start`: `zero` or one number w₀.
pub(super) fn read_scalar_start(
    reader: &mut Reader,
    figure: &str,
    problems: &mut Vec<FieldError>,
) -> f64 {
    match reader.start("start") {
        Start::Zero => 0.0,
        Start::Point(point) if point.len() == 1 => point[0],
        other => {
            problems.push(FieldError::new(
                "start",
                shorten(&Value::Start(other).to_string()),
                format!("zero or one finite number w₀ (fig={figure} is one-dimensional)"),
            ));
            f64::NAN
        }
    }
}

/// `points`, `particles`, `steps`, `seed`.
pub(super) fn read_sweep(reader: &mut Reader) -> SweepSimulation {
    SweepSimulation {
        points: reader.count("points"),
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    }
}

/// `particles`, `steps`, `seed` of the scatter figures.
pub(super) fn read_panels(reader: &mut Reader) -> SimulationConfig {
    SimulationConfig {
        particles: reader.count("particles"),
        steps: reader.integer("steps"),
        seed: reader.integer("seed"),
    }
}

/// `burnin` of a figure (it has a default there); reports it when not below `steps`.
pub(super) fn read_figure_burn_in(
    reader: &mut Reader,
    steps: u64,
    problems: &mut Vec<FieldError>,
) -> u64 {
    let burn_in = reader.integer("burnin");
    if burn_in >= steps {
        problems.push(FieldError::new(
            "burnin",
            burn_in.to_string(),
            format!(
                "an integer in [0, steps − 1] (steps = {steps}: time averages need a step after the \
                 burn-in)"
            ),
        ));
    }
    burn_in
}

/// A range (low, high) from two keys; reports `low` not below `high` (naming the given one).
pub(super) fn read_range(
    reader: &mut Reader,
    (low_key, high_key): (&'static str, &'static str),
    problems: &mut Vec<FieldError>,
) -> (f64, f64) {
    let low = reader.number(low_key);
    let high = reader.number(high_key);
    if low >= high {
        let (key, value, allowed) = if reader.entries.contains_key(low_key) {
            (
                low_key,
                low,
                format!("a number below {high_key} = {}", format_number(high)),
            )
        } else {
            (
                high_key,
                high,
                format!("a number above {low_key} = {}", format_number(low)),
            )
        };
        problems.push(FieldError::new(key, format_number(value), allowed));
    }
    (low, high)
}

/// The regression task of a minibatch figure.
pub(super) fn read_regression(
    reader: &mut Reader,
    problems: &mut Vec<FieldError>,
) -> RegressionFigureConfig {
    RegressionFigureConfig {
        data: read_data(reader, problems),
        batch_size: reader.count("S"),
        with_replacement: reader.flag("replace"),
        loss: match reader.choice("loss") {
            "half" => LossConvention::Half,
            _ => LossConvention::Eq28,
        },
    }
}

/// The keys of `opt` (quadratic landscape).
pub(super) fn read_optimizer(reader: &mut Reader) -> OptimizerConfig {
    match reader.choice("opt") {
        "sgdm" => OptimizerConfig::Momentum {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "qhm" => OptimizerConfig::QuasiHyperbolic {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
            nu: reader.number("nu"),
        },
        "nesterov" => OptimizerConfig::Nesterov {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "precond" => OptimizerConfig::Preconditioned {
            preconditioner: reader.matrix("P"),
            momentum: reader.number("mu"),
        },
        "dnm" => OptimizerConfig::DampedNewton {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        "ngd" => OptimizerConfig::NaturalGradient {
            learning_rate: reader.number("lr"),
            momentum: reader.number("mu"),
        },
        name @ ("adam" | "adamw" | "rmsprop") => {
            // RMSprop's defaults are PyTorch's (μ = 0, β₂ = 0.99, no bias correction).
            reader.context.optimizer = Some(name);
            let kind = AdaptiveKind::from_name(name).unwrap_or(AdaptiveKind::Adam);
            let method = read_adaptive(reader, kind);
            OptimizerConfig::Adaptive {
                learning_rate: reader.number("lr"),
                method: Adaptive {
                    beta2: reader.number("beta2"),
                    momentum: if kind == AdaptiveKind::RmsProp {
                        reader.number("mu")
                    } else {
                        0.0
                    },
                    bias_correction: reader.flag("bias_correction"),
                    ..method
                },
            }
        }
        _ => OptimizerConfig::Sgd {
            learning_rate: reader.number("lr"),
        },
    }
}

/// The keys every use of an adaptive method reads the same way (`beta1` for Adam and AdamW,
/// `eps`, `eps_mode`, `wd`, `centered` for RMSprop); β₂, RMSprop's μ and the bias correction are
/// PyTorch's defaults, for the caller to read its own way.
pub(super) fn read_adaptive(reader: &mut Reader, kind: AdaptiveKind) -> Adaptive {
    let rmsprop = kind == AdaptiveKind::RmsProp;
    let pytorch = Adaptive::pytorch(kind);
    Adaptive {
        beta1: if rmsprop {
            pytorch.beta1
        } else {
            reader.number("beta1")
        },
        epsilon: reader.number("eps"),
        epsilon_placement: EpsilonPlacement::from_name(reader.choice("eps_mode"))
            .unwrap_or_default(),
        weight_decay: reader.number("wd"),
        centered: rmsprop && reader.flag("centered"),
        ..pytorch
    }
}

/// The frameworks' conventions of a scalar-λ `opt` (`wd` and `wd_mode` for sgd, sgdm, qhm and
/// nesterov; `dampening` and `momentum_form` for sgdm; `nesterov_form` for nesterov). Keys that do
/// not apply are not read, so giving them is reported as unused. `"*"` reads all five (a panel
/// comparing methods, which applies each to the methods it fits).
pub(super) fn read_conventions(reader: &mut Reader, optimizer: &str) -> Conventions {
    let mut conventions = Conventions::PAPER;
    let every = optimizer == "*";
    if every || matches!(optimizer, "sgd" | "sgdm" | "qhm" | "nesterov") {
        conventions.weight_decay = reader.number("wd");
        conventions.weight_decay_mode =
            WeightDecayMode::from_name(reader.choice("wd_mode")).unwrap_or_default();
    }
    if every || optimizer == "sgdm" {
        conventions.dampening = reader.number("dampening");
        conventions.momentum_form =
            MomentumForm::from_name(reader.choice("momentum_form")).unwrap_or_default();
    }
    if every || optimizer == "nesterov" {
        conventions.nesterov_form =
            NesterovForm::from_name(reader.choice("nesterov_form")).unwrap_or_default();
    }
    conventions
}

/// The schedule keys (read for scalar-λ optimizers with Gaussian or minibatch noise, so that
/// they are reported as unused otherwise) and whether `solve` draws a curve (`steps` or a
/// schedule key given). Reports milestones that are not increasing integers, `exp` without
/// `gamma`, `inverse` without `decay` and a warm-up longer than the run.
pub(super) fn read_schedule(
    reader: &mut Reader,
    optimizer: &OptimizerConfig,
    noise: &NoiseConfig,
    steps: u64,
    problems: &mut Vec<FieldError>,
) -> (Schedule, Option<usize>) {
    let scalar = matches!(optimizer.name(), "sgd" | "sgdm" | "qhm" | "nesterov")
        && !matches!(noise, NoiseConfig::Fisher { .. });
    if !scalar {
        return (Schedule::CONSTANT, None);
    }
    let kind = ScheduleKind::from_name(reader.choice("schedule")).unwrap_or_default();
    let mut schedule = Schedule {
        kind,
        ..Schedule::CONSTANT
    };
    let require =
        |reader: &mut Reader, key: &'static str, problems: &mut Vec<FieldError>| match reader
            .given(key)
        {
            Some(Value::Number(x)) => x,
            _ => {
                problems.push(FieldError::new(
                    key,
                    "",
                    format!("a finite number > 0 (schedule={} needs {key})", kind.name()),
                ));
                1.0
            }
        };
    match kind {
        ScheduleKind::Step => {
            schedule.milestones = read_milestones(reader, problems);
            schedule.gamma = reader.number("gamma");
        }
        ScheduleKind::Exponential => schedule.gamma = require(reader, "gamma", problems),
        ScheduleKind::Cosine => schedule.lr_min = reader.number("lr_min"),
        ScheduleKind::Inverse => schedule.decay = require(reader, "decay", problems),
        ScheduleKind::Constant => {}
    }
    let warmup = reader.integer("warmup");
    if warmup > steps {
        if let Some(entry) = reader.entries.get("warmup") {
            problems.push(FieldError::new(
                "warmup",
                shorten(&entry.raw),
                format!("an integer in [0, steps] (steps = {steps})"),
            ));
        }
    } else {
        schedule.warmup = warmup;
    }
    let points = reader.count("curve_points");
    let asks = [
        "steps",
        "schedule",
        "milestones",
        "gamma",
        "lr_min",
        "decay",
        "warmup",
        "curve_points",
    ]
    .iter()
    .any(|key| reader.entries.contains_key(key));
    (schedule, asks.then_some(points))
}

/// `milestones`: increasing integers ≥ 1; anything else is reported (and none are used).
pub(super) fn read_milestones(reader: &mut Reader, problems: &mut Vec<FieldError>) -> Vec<u64> {
    let milestones = reader.list("milestones");
    let integers: Option<Vec<u64>> = milestones
        .iter()
        .map(|&m| (m.fract() == 0.0 && (1.0..=1e15).contains(&m)).then_some(m as u64))
        .collect();
    match integers {
        Some(integers) if integers.windows(2).all(|pair| pair[0] < pair[1]) => integers,
        _ => {
            problems.push(FieldError::new(
                "milestones",
                list_text(&milestones),
                "increasing integers ≥ 1 separated by ,",
            ));
            Vec::new()
        }
    }
}

/// The keys of `noise` (quadratic landscape); reports `X` or `y` given alone.
pub(super) fn read_noise(reader: &mut Reader, problems: &mut Vec<FieldError>) -> NoiseConfig {
    match reader.choice("noise") {
        "batch" => {
            let data = read_data(reader, problems);
            NoiseConfig::Minibatch {
                data,
                batch_size: reader.count("S"),
                with_replacement: reader.flag("replace"),
            }
        }
        "fisher" => NoiseConfig::Fisher {
            hessian: reader.matrix("K"),
            dataset_size: reader.count("N"),
            batch_size: reader.count("S"),
        },
        _ => NoiseConfig::Gaussian {
            hessian: reader.hessian(),
            covariance: reader.matrix("C"),
            hessian_noise: reader.number("a"),
        },
    }
}

/// The regression data set: `X` and `y`, or generated; reports `X` or `y` given alone.
pub(super) fn read_data(reader: &mut Reader, problems: &mut Vec<FieldError>) -> DataConfig {
    let inputs = reader.given("X");
    let targets = reader.given("y");
    match (inputs, targets) {
        (Some(Value::Rows(inputs)), Some(Value::List(targets))) => {
            DataConfig::Given { inputs, targets }
        }
        (inputs, targets) => {
            if let Some(entry) = reader.entries.get("X").filter(|_| inputs.is_some()) {
                problems.push(FieldError::new(
                    "X",
                    shorten(&entry.raw),
                    "X together with y, its N targets (y is missing)",
                ));
            }
            if let Some(entry) = reader.entries.get("y").filter(|_| targets.is_some()) {
                problems.push(FieldError::new(
                    "y",
                    shorten(&entry.raw),
                    "y together with X, the N×D inputs (X is missing)",
                ));
            }
            DataConfig::Generated(GeneratedData {
                dataset_size: reader.count("N"),
                seed: reader.integer("data_seed"),
                input_variances: reader.list("x_var"),
                true_weights: match reader.given("w_star") {
                    Some(Value::List(weights)) => Some(weights),
                    _ => None,
                },
                label_variance: reader.number("label_var"),
            })
        }
    }
}

/// Reads values for [`assemble`], remembering which keys were read. Fallbacks for a value of the
/// wrong kind are unreachable while [`KEYS`](super::KEYS) is consistent (a unit test checks it); they only
/// avoid panics.
pub(super) struct Reader<'a> {
    pub(super) entries: &'a BTreeMap<&'static str, Entry>,
    pub(super) used: BTreeSet<&'static str>,
    /// Which defaults apply.
    pub(super) context: DefaultContext,
    /// Values of a kind the reading key does not take here (a spectrum where a matrix is needed).
    pub(super) refused: Vec<FieldError>,
}

impl Reader<'_> {
    /// The given value of `key`, or its default.
    pub(super) fn value(&mut self, key: &'static str) -> Option<Value> {
        self.used.insert(key);
        match self.entries.get(key) {
            Some(entry) => Some(entry.value.clone()),
            None => key_spec(key).and_then(|spec| default_value(spec, self.context)),
        }
    }

    /// The given value of `key`, without default.
    pub(super) fn given(&mut self, key: &'static str) -> Option<Value> {
        self.used.insert(key);
        self.entries.get(key).map(|entry| entry.value.clone())
    }

    pub(super) fn choice(&mut self, key: &'static str) -> &'static str {
        match self.value(key) {
            Some(Value::Choice(name)) => name,
            _ => "",
        }
    }

    pub(super) fn number(&mut self, key: &'static str) -> f64 {
        match self.value(key) {
            Some(Value::Number(x)) => x,
            _ => f64::NAN,
        }
    }

    pub(super) fn integer(&mut self, key: &'static str) -> u64 {
        match self.value(key) {
            Some(Value::Integer(n)) => n,
            _ => 0,
        }
    }

    pub(super) fn count(&mut self, key: &'static str) -> usize {
        usize::try_from(self.integer(key)).unwrap_or(usize::MAX)
    }

    pub(super) fn flag(&mut self, key: &'static str) -> bool {
        matches!(self.value(key), Some(Value::Flag(true)))
    }

    /// A matrix; a spectrum generator (`K` only) is refused here, where a matrix is needed, and
    /// read by [`Reader::hessian`].
    pub(super) fn matrix(&mut self, key: &'static str) -> MatrixSpec {
        match self.value(key) {
            Some(Value::Matrix(MatrixSpec::Spectrum(spectrum))) => {
                self.refused.push(FieldError::new(
                    key,
                    spectrum.to_string(),
                    "a matrix here (a spectrum such as powerlaw:D,k_max,alpha is read with \
                     landscape=quadratic and noise=gauss, and with fig=schedule)",
                ));
                MatrixSpec::Scalar(f64::NAN)
            }
            Some(Value::Matrix(matrix)) => matrix,
            _ => MatrixSpec::Scalar(f64::NAN),
        }
    }

    /// `K` where a spectrum generator is allowed too.
    pub(super) fn hessian(&mut self) -> MatrixSpec {
        match self.value("K") {
            Some(Value::Matrix(matrix)) => matrix,
            _ => MatrixSpec::Scalar(f64::NAN),
        }
    }

    pub(super) fn list(&mut self, key: &'static str) -> Vec<f64> {
        match self.value(key) {
            Some(Value::List(values)) => values,
            _ => Vec::new(),
        }
    }

    pub(super) fn start(&mut self, key: &'static str) -> Start {
        match self.value(key) {
            Some(Value::Start(start)) => start,
            _ => Start::Zero,
        }
    }
}

/// Moves each problem naming a given key into `problems` and removes that key (it falls back to
/// its default). Returns whether a key was removed, and the problems naming no given key.
pub(super) fn reset_named_keys(
    entries: &mut BTreeMap<&'static str, Entry>,
    found: Vec<FieldError>,
    problems: &mut Vec<FieldError>,
) -> (bool, Vec<FieldError>) {
    let mut removed = false;
    let mut unfixable = Vec::new();
    for problem in found {
        if entries.remove(problem.field.as_str()).is_some() {
            removed = true;
            problems.push(problem);
        } else {
            unfixable.push(problem);
        }
    }
    (removed, unfixable)
}
