//! The native command line: `sgd-playground solve '<config>'` prints the exact stationary
//! distribution as one JSON object; `sgd-playground simulate '<config>'` runs the simulator on the
//! same configuration and prints its statistics, next to the exact answer, as one JSON object.
//!
//! Everything goes through [`run`], which takes the arguments and the two output streams, so the
//! tests drive it in-process. Exit codes: [`EXIT_OK`] (also when the dynamics diverges: that is an
//! answer, reported as `"diverges": true`, or as diverged particles), [`EXIT_USAGE`] for an invalid
//! configuration or command line (nothing on stdout, one line per problem on stderr), including a
//! simulation larger than [`SimulationLimits::NATIVE`], [`EXIT_FAILURE`] when the output cannot be
//! written.
//!
//! Native only (`lib.rs` compiles it off wasm32). The options are declared once, in `OPTIONS`, and
//! read with `lexopt`: each value as `--opt value` or `--opt=value`; every other argument is a
//! piece of configuration text (several are joined by `&`).

mod options;

use options::{Command, CommandLine};
use std::io::Write;

use crate::closed_forms::kramers::{self, KramersProblem};
use crate::config::{
    Config, DoubleWellConfig, LandscapeConfig, SimulationLimits, KEYS, MAX_TEXT_BYTES, VERSION,
};
use crate::cost::{Budget, Cost};
use crate::error::{FieldError, FieldErrors};
use crate::json::Json;
use crate::model::Noise;
use crate::parallel::map_in_order;
use crate::schedule::curve_times;
use crate::sim::double_well::{exact_mean_escape_steps, EscapeEnsemble};
use crate::sim::loss_curve::{LossEstimate, LossSums};
use crate::sim::{Ensemble, EnsembleStatistics, TimeAveraged, BLOCK_MIN_PARTICLES};
use crate::solver::{self, Divergence, Stationary};

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code when the output cannot be written.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of an invalid command line or configuration.
pub const EXIT_USAGE: i32 = 2;

/// `simulate` advances its ensemble this many steps at a time, so that a long run is a sequence
/// of bounded pieces of work (and the double well can stop once every particle escaped).
pub const SIMULATION_SLICE_STEPS: u64 = 1000;

/// Cells of the grid on which `simulate` computes the double well's exact mean escape time
/// ([`exact_mean_escape_steps`]: about 1e-6 relative accuracy at 1200 cells).
pub const EXACT_ESCAPE_CELLS: usize = 1200;

/// The commands, with one line each for the help text. New commands (`render`) add an entry here
/// and an arm in [`run`].
const COMMANDS: &[(&str, &str)] = &[
    (
        "solve",
        "print the exact stationary distribution of a configuration as one JSON object",
    ),
    (
        "simulate",
        "simulate a configuration (an ensemble of particles) and print its statistics, with the \
         exact answer, as one JSON object",
    ),
    (
        "render",
        "draw a figure of the paper (a configuration with fig=…) to SVG, PNG or CSV, simulation \
         included",
    ),
    ("help", "print this help (also --help, -h)"),
];

/// Runs the program with `args` (`args[0]` is the program name) and returns the exit code.
///
/// # Example
/// ```
/// let args: Vec<String> = ["sgd-playground", "solve", "lr=1.5"].map(String::from).to_vec();
/// let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
/// let code = sgd_playground::cli::run(&args, &mut stdout, &mut stderr);
/// assert_eq!(code, 0);
/// assert!(String::from_utf8(stdout).unwrap().contains(r#""sigma":[[3]]"#)); // λ/(2−λ)
/// ```
pub fn run(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let rest = args.get(1..).unwrap_or_default();
    let Some((command, command_args)) = rest.split_first() else {
        return usage_error(stderr, "missing command");
    };
    match command.as_str() {
        "solve" => solve(command_args, stdout, stderr),
        "simulate" => simulate(command_args, stdout, stderr),
        "render" => render(command_args, stdout, stderr),
        "help" | "--help" | "-h" => write_out(stdout, stderr, &help_text()),
        "--version" | "-V" => write_out(
            stdout,
            stderr,
            &format!(
                "sgd-playground {} (configuration language v={VERSION})\n",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        other => {
            let available: Vec<&str> = COMMANDS.iter().map(|(name, _)| *name).collect();
            usage_error(
                stderr,
                &format!(
                    "unknown command '{other}'; available: {}",
                    available.join(", ")
                ),
            )
        }
    }
}

/// The configuration of `command` from its arguments (text joined by `&`, or `--config FILE`),
/// parsed strictly, with `render`'s options. `Err` holds the exit code once help, a usage error
/// or the configuration's problems have been written.
fn read_config(
    command: Command,
    args: &[String],
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(Config, CommandOptions), i32> {
    let line = match CommandLine::parse(command, args) {
        Ok(line) => line,
        Err(problem) => return Err(usage_error(stderr, &problem.to_string())),
    };
    if line.help {
        return Err(write_out(stdout, stderr, command.help()));
    }
    let text = match line.configuration_text(command) {
        Ok(text) => text,
        Err(problem) => return Err(usage_error(stderr, &problem.to_string())),
    };
    // A pasted link or query works too: its page keys (embed, ctl, theme, workers) are not read
    // here.
    let text = crate::playground::config_text_of(&text);
    match Config::parse(&text) {
        Ok(config) => Ok((config, line.options)),
        Err(problems) => Err(report_problems(stderr, problems.iter())),
    }
}

/// `solve`: the exact stationary distribution of the quadratic landscape.
fn solve(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let (config, options) = match read_config(Command::Solve, args, stdout, stderr) {
        Ok(read) => read,
        Err(code) => return code,
    };
    // `solve` runs no simulation: only the theory's cost counts.
    if let Err(problem) = Cost::of(&config).check_theory(&Budget::NATIVE) {
        return report_problems(stderr, std::iter::once(&problem));
    }
    let threads = options.threads;
    if let Some(spectral) = config.spectral_problem() {
        let problem = match spectral {
            Ok(problem) => problem,
            Err(problems) => return report_problems(stderr, problems.iter()),
        };
        let output =
            crate::playground::solution::spectral_json(&config, &problem, |blocks, work| {
                map_in_order(blocks, threads, work)
            });
        return write_out(stdout, stderr, &format!("{output}\n"));
    }
    let problem = match config.to_problem() {
        Ok(problem) => problem,
        Err(problems) => return report_problems(stderr, problems.iter()),
    };
    let curve = match config.quadratic() {
        Some(quadratic) if quadratic.curve_points.is_some() => {
            match solver::curve::scheduled(
                &problem,
                &quadratic.schedule,
                config.simulation.steps,
                quadratic.curve_points.unwrap_or(2),
                &quadratic.ensemble.start,
            ) {
                Ok(run) => Some(run),
                Err(problem) => return report_problems(stderr, std::iter::once(&problem)),
            }
        }
        _ => None,
    };
    let solution = crate::playground::solution::Solution::of(problem);
    let mut output = crate::playground::solution::solution_json(&config, &solution);
    if let (Some(run), Json::Object(members)) = (&curve, &mut output) {
        members.extend(
            crate::playground::solution::curve_members(run)
                .into_iter()
                .map(|(key, value)| (key.to_string(), value)),
        );
    }
    write_out(stdout, stderr, &format!("{output}\n"))
}

/// `simulate`: an ensemble on the quadratic landscape, or escapes from the double well.
fn simulate(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let (config, options) = match read_config(Command::Simulate, args, stdout, stderr) {
        Ok(read) => read,
        Err(code) => return code,
    };
    if let Err(problem) = Cost::of(&config).check(&Budget::NATIVE) {
        return report_problems(stderr, std::iter::once(&problem));
    }
    let output = match &config.landscape {
        LandscapeConfig::Quadratic(_) => simulate_quadratic(&config, options.threads),
        LandscapeConfig::DoubleWell(well) => simulate_double_well(&config, well, options.threads),
    };
    match output {
        Ok(output) => write_out(stdout, stderr, &format!("{output}\n")),
        Err(problems) => report_problems(stderr, problems.iter()),
    }
}

fn simulate_quadratic(config: &Config, threads: usize) -> Result<Json, FieldErrors> {
    let problem = config.to_problem()?;
    config.check_simulation_size(problem.dimension(), &SimulationLimits::NATIVE)?;
    let spec = config.ensemble_spec(&problem)?;
    let ensemble = Ensemble::new(&problem, &spec)?;
    let exact = solver::stationary(&problem);
    // Blocks of particles on the threads, put back together before any statistic: the numbers
    // of one thread (every particle has its own stream).
    let blocks = ensemble.split(threads, BLOCK_MIN_PARTICLES);
    // With a curve: the schedule's runs, each particle's loss recorded at the listed steps.
    let quadratic = config.quadratic();
    let curve = quadratic.and_then(|q| Some((q, q.curve_points?)));
    let lr = problem.optimizer().learning_rate();
    let runs = match (curve, lr) {
        (Some((q, points)), Some(lr)) => {
            let times = curve_times(config.simulation.steps, points);
            let runs = q.schedule.runs(lr, config.simulation.steps, &times);
            Some((times, runs))
        }
        _ => None,
    };
    let minimum = match problem.noise() {
        Noise::Minibatch(batch) => batch.data.least_squares().clone(),
        _ => nalgebra::DVector::zeros(problem.dimension()),
    };
    let offsets: Vec<usize> = blocks
        .iter()
        .scan(0, |next, block| {
            let offset = *next;
            *next += block.particles();
            Some(offset)
        })
        .collect();
    let (blocks, seconds) = timed(|| {
        map_in_order(
            blocks.into_iter().zip(offsets).collect(),
            threads,
            |(mut block, offset)| {
                let Some((times, runs)) = &runs else {
                    run_in_slices(config.simulation.steps, |slice| {
                        block.advance(slice);
                        true
                    });
                    return (block, Vec::new());
                };
                let record =
                    |block: &Ensemble| LossSums::of(block, offset, problem.hessian(), &minimum);
                let mut sums = vec![record(&block)];
                sums.resize(times.len(), sums[0].clone());
                for run in runs {
                    block.set_learning_rate(run.rate);
                    run_in_slices(run.steps, |slice| {
                        block.advance(slice);
                        true
                    });
                    if let Some(at) = run.ends_at_break {
                        sums[at] = record(&block);
                    }
                }
                (block, sums)
            },
        )
    });
    let (blocks, sums): (Vec<Ensemble>, Vec<Vec<LossSums>>) = blocks.into_iter().unzip();
    let simulated_curve = runs.as_ref().map(|(times, _)| {
        let estimates: Vec<LossEstimate> = (0..times.len())
            .map(|i| {
                let at: Vec<LossSums> = sums.iter().map(|block| block[i].clone()).collect();
                LossSums::join(&at)
            })
            .collect();
        let t: Vec<f64> = times.iter().map(|&t| t as f64).collect();
        // `runs` exists only with a quadratic landscape and a scalar learning rate.
        let lr = lr.unwrap_or(f64::NAN);
        let rates: Vec<f64> = times
            .iter()
            .map(|&t| quadratic.map_or(lr, |q| q.schedule.rate(lr, t, config.simulation.steps)))
            .collect();
        Json::object([
            ("t", Json::numbers(&t)),
            ("lr", Json::numbers(&rates)),
            (
                "train_loss",
                Json::numbers(&estimates.iter().map(|e| e.mean).collect::<Vec<_>>()),
            ),
            (
                "train_loss_stderr",
                Json::numbers(&estimates.iter().map(|e| e.stderr).collect::<Vec<_>>()),
            ),
            (
                "live",
                Json::numbers(&estimates.iter().map(|e| e.live as f64).collect::<Vec<_>>()),
            ),
        ])
    });
    let ensemble = Ensemble::join(blocks).ok_or_else(blocks_not_joined)?;
    let steps_run = ensemble.steps();
    let statistics = ensemble.statistics();
    let (opt, noise) = config.quadratic().map_or(("", ""), |quadratic| {
        (quadratic.optimizer.name(), quadratic.noise.name())
    });
    let mut members = vec![
        ("config", Json::from(config.to_text())),
        ("landscape", Json::from("quadratic")),
        ("opt", Json::from(opt)),
        ("noise", Json::from(noise)),
    ];
    members.extend(ensemble_members(&statistics));
    if let Some(curve) = simulated_curve {
        members.push(("curve", curve));
    }
    let mut exact = exact_json(&exact);
    if let (Json::Object(fields), true) = (
        &mut exact,
        matches!(
            problem.optimizer(),
            crate::model::Optimizer::Adaptive { .. }
        ),
    ) {
        // The simulation runs the real optimizer; the exact answer is its β₂ → 1 limit.
        fields.insert(0, ("approximation".to_string(), Json::from("beta2 -> 1")));
    }
    members.extend([
        ("exact", exact),
        ("seconds", Json::from(seconds)),
        (
            "particle_steps_per_second",
            Json::from(per_second(statistics.particles, steps_run, seconds)),
        ),
    ]);
    Ok(Json::object(members))
}

fn ensemble_members(statistics: &EnsembleStatistics) -> [(&'static str, Json); 8] {
    // With every particle diverged there is no mean (the simulator reports zeros): null.
    let mean = if statistics.diverged == statistics.particles {
        Json::numbers(&vec![f64::NAN; statistics.mean.len()])
    } else {
        Json::vector(&statistics.mean)
    };
    [
        ("steps", Json::from(statistics.steps)),
        ("particles", Json::from(statistics.particles)),
        ("diverged", Json::from(statistics.diverged)),
        ("mean", mean),
        ("mean_stderr", Json::vector(&statistics.mean_stderr)),
        ("sigma", Json::matrix(&statistics.covariance)),
        ("sigma_stderr", Json::matrix(&statistics.covariance_stderr)),
        (
            "time_averaged",
            statistics
                .time_averaged
                .as_ref()
                .map_or(Json::Null, time_averaged_json),
        ),
    ]
}

fn time_averaged_json(averages: &TimeAveraged) -> Json {
    Json::object([
        (
            "samples_per_particle",
            Json::from(averages.samples_per_particle),
        ),
        ("mean", Json::vector(&averages.mean)),
        ("sigma", Json::matrix(&averages.covariance)),
        ("sigma_stderr", Json::matrix(&averages.covariance_stderr)),
    ])
}

/// The solver's answer for comparison with a simulation.
fn exact_json(exact: &Result<Stationary, Divergence>) -> Json {
    match exact {
        Ok(stationary) => Json::object([
            ("diverges", Json::from(false)),
            ("sigma", Json::matrix(&stationary.sigma)),
            ("mean", Json::vector(&stationary.mean)),
            ("train_loss", Json::from(stationary.train_loss)),
        ]),
        Err(divergence) => Json::object([
            ("diverges", Json::from(true)),
            ("reason", Json::from(divergence.reason.as_str())),
        ]),
    }
}

fn simulate_double_well(
    config: &Config,
    well: &DoubleWellConfig,
    threads: usize,
) -> Result<Json, FieldErrors> {
    let dynamics = well.to_dynamics()?;
    config.check_simulation_size(1, &SimulationLimits::NATIVE)?;
    let simulation = &config.simulation;
    let ensemble = EscapeEnsemble::new(dynamics, simulation.particles, simulation.seed)?;
    // Blocks on the threads: each stops at the end of the slice in which its last particle
    // escaped, so the joined ensemble has run what the whole one would have (the most of any).
    let blocks = ensemble.split(threads, BLOCK_MIN_PARTICLES);
    let (blocks, seconds) = timed(|| {
        map_in_order(blocks, threads, |mut block| {
            run_in_slices(simulation.steps, |slice| {
                block.advance(slice);
                !block.all_escaped()
            });
            block
        })
    });
    let ensemble = EscapeEnsemble::join(blocks).ok_or_else(blocks_not_joined)?;
    let steps_run = ensemble.steps();
    let statistics = ensemble.statistics();
    let exact_steps = exact_mean_escape_steps(&dynamics, EXACT_ESCAPE_CELLS);
    // Sec. 6.3's closed forms with the same parameters; both give γ in the continuous time of the
    // rescaled loss (one step is λ), and Fig. 6(b) divides by the rescaled |k_b|, r|k_b|, as
    // rate_over_barrier_curvature does for a per-step rate.
    let kramers_problem = KramersProblem {
        minimum_curvature: well.well_curvature,
        barrier_curvature: well.barrier_curvature,
        barrier_height: well.barrier_height,
        path_split: dynamics.well.switch_fraction(),
        batch_size: well.batch_size as f64,
        learning_rate: well.learning_rate,
        loss_scale: well.loss_scale,
    };
    let over_barrier_curvature = |rate: f64| rate / kramers_problem.scaled_barrier_curvature();
    let gamma = |rate: f64| dynamics.rate_over_barrier_curvature(rate);
    Ok(Json::object([
        ("config", Json::from(config.to_text())),
        ("landscape", Json::from("doublewell")),
        ("steps", Json::from(statistics.steps)),
        ("particles", Json::from(statistics.particles)),
        ("escaped", Json::from(statistics.escaped)),
        ("rate_per_step", Json::from(statistics.rate_per_step)),
        ("rate_stderr", Json::from(statistics.rate_stderr)),
        (
            "mean_escape_steps",
            Json::from(statistics.mean_escape_steps),
        ),
        (
            "mean_escape_steps_stderr",
            Json::from(statistics.mean_escape_steps_stderr),
        ),
        (
            "observed_mean_escape_steps",
            Json::from(statistics.observed_mean_steps),
        ),
        ("gamma_over_kb", Json::from(gamma(statistics.rate_per_step))),
        (
            "gamma_over_kb_stderr",
            Json::from(gamma(statistics.rate_stderr)),
        ),
        ("exact_mean_escape_steps", Json::from(exact_steps)),
        (
            "exact_gamma_over_kb",
            Json::from(exact_steps.map(|steps| gamma(1.0 / steps))),
        ),
        (
            "kramers_eq51",
            Json::from(
                kramers::continuous_rate(&kramers_problem)
                    .ok()
                    .map(over_barrier_curvature),
            ),
        ),
        (
            "kramers_eq52",
            Json::from(
                kramers::discrete_rate_as_printed(&kramers_problem)
                    .ok()
                    .map(over_barrier_curvature),
            ),
        ),
        (
            "kramers_eq52_corrected",
            Json::from(
                kramers::discrete_rate_corrected(&kramers_problem)
                    .ok()
                    .map(over_barrier_curvature),
            ),
        ),
        ("seconds", Json::from(seconds)),
        (
            "particle_steps_per_second",
            Json::from(per_second(statistics.particles, steps_run, seconds)),
        ),
    ]))
}

/// Runs `total` steps in slices of at most [`SIMULATION_SLICE_STEPS`], calling `advance` with each
/// slice's length; stops early when `advance` returns false. Returns the steps run.
fn run_in_slices(total: u64, mut advance: impl FnMut(u64) -> bool) -> u64 {
    let mut done = 0;
    while done < total {
        let slice = SIMULATION_SLICE_STEPS.min(total - done);
        done += slice;
        if !advance(slice) {
            break;
        }
    }
    done
}

/// The error of blocks of an ensemble that cannot be put back together (never expected: they
/// come from one ensemble and ran the same steps).
fn blocks_not_joined() -> FieldErrors {
    FieldError::new(
        "particles",
        "(blocks)",
        "blocks of one ensemble that ran the same steps (an internal error: please report it)",
    )
    .into()
}

/// Runs `work` and measures its wall-clock time in seconds.
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let start = std::time::Instant::now();
    let result = work();
    (result, start.elapsed().as_secs_f64())
}

/// Nominal particle-steps (particles × steps run, diverged or escaped particles included) per
/// second.
fn per_second(particles: usize, steps: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| particles as f64 * steps as f64 / seconds)
}

/// Reads a configuration file: only a regular file (not a device such as `/dev/zero`, a pipe or
/// a directory), refused when larger than [`MAX_TEXT_BYTES`] before reading, and never more than
/// that read even if it grows meanwhile.
fn read_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    let shown = crate::error::escape_text(path);
    let cannot = |e: std::io::Error| format!("cannot read configuration file '{shown}': {e}");
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if !metadata.is_file() {
        return Err(format!(
            "configuration file '{shown}' is not a regular file (a device, pipe or directory); \
             give a file, or the configuration as text"
        ));
    }
    let length = metadata.len();
    if length > MAX_TEXT_BYTES as u64 {
        return Err(format!(
            "configuration file '{shown}' has {length} bytes; at most {MAX_TEXT_BYTES} are allowed"
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_TEXT_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "configuration file '{shown}' has more than {MAX_TEXT_BYTES} bytes; at most \
             {MAX_TEXT_BYTES} are allowed"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("configuration file '{shown}' is not UTF-8 text"))
}

/// Writes `text` to stdout; a write failure is reported on stderr with [`EXIT_FAILURE`].
fn write_out(stdout: &mut dyn Write, stderr: &mut dyn Write, text: &str) -> i32 {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(e) => {
            // Nothing more can be done if stderr fails too.
            let _ = writeln!(stderr, "error: cannot write the output: {e}");
            EXIT_FAILURE
        }
    }
}

fn report_problems<'a>(
    stderr: &mut dyn Write,
    problems: impl Iterator<Item = &'a crate::error::FieldError>,
) -> i32 {
    // Identical problems once, with their count (a text of 20,000 `a=` is one line).
    let problems: Vec<crate::error::FieldError> = problems.cloned().collect();
    let lines: String = crate::playground::merge_problems(&problems)
        .into_iter()
        .map(|(problem, count)| {
            if count > 1 {
                format!("error: {problem} (×{count})\n")
            } else {
                format!("error: {problem}\n")
            }
        })
        .collect();
    // Nothing more can be done if stderr fails; the exit code still says what happened.
    let _ = stderr.write_all(lines.as_bytes());
    EXIT_USAGE
}

fn usage_error(stderr: &mut dyn Write, message: &str) -> i32 {
    // Nothing more can be done if stderr fails; the exit code still says what happened.
    // One line, whatever the user typed (an option or file name with a line break in it).
    let message = crate::error::escape_text(message);
    let _ = write!(stderr, "error: {message}\n\n{USAGE}");
    EXIT_USAGE
}

const USAGE: &str = "\
usage: sgd-playground solve '<config>' [more config text ...]
       sgd-playground solve --config FILE
       sgd-playground simulate '<config>' [more config text ...] [--threads N]
       sgd-playground simulate --config FILE [--threads N]
       sgd-playground render '<config with fig=…>' [--format svg|png|csv|table] [--out FILE]
                             [--threads N]
       sgd-playground help
An option's value is given as --opt value or --opt=value (--config=FILE, --width=800).
";

const SOLVE_HELP: &str = "\
usage: sgd-playground solve '<config>' [more config text ...] [--threads N]
       sgd-playground solve --config FILE [--threads N]

Prints the exact stationary distribution of the configuration as one JSON object (exit 0, also
when the dynamics diverges: then \"diverges\" is true and \"reason\" says why). An invalid
configuration prints one line per problem on stderr and exits with 2. The simulation keys
(particles, seed, ...) are accepted and ignored; landscape=doublewell has no exact stationary
distribution (use simulate).
With steps or a schedule (schedule, milestones, gamma, lr_min, decay, warmup, curve_points) it
adds the exact expected-loss curve from start (\"curve\": t, lr, train_loss at curve_points
steps) and the state after the steps (\"final\"); the other members keep their meaning (the
stationary state at lr). With K given by its spectrum (K=powerlaw:D,k_max,alpha or
K=mp:D,ratio,scale, D up to 1000000) every variance and mean is per mode in K's eigenbasis.
--threads N computes the modes of a spectrum's curve on N threads (default: every core); the
output is the same for any N.
Examples:
  sgd-playground solve 'opt=sgdm&lr=0.5&mu=0.9&K=1,0.1&schedule=cosine&steps=1000&start=3'
  sgd-playground solve 'opt=sgdm&lr=0.5&mu=0.9&K=powerlaw:1000000,1,1&C=0.01&steps=10000&start=1'
Run `sgd-playground help` for the configuration keys.
";

const SIMULATE_HELP: &str = "\
usage: sgd-playground simulate '<config>' [more config text ...] [--threads N]
       sgd-playground simulate --config FILE [--threads N]

Simulates `particles` independent particles for `steps` steps (seeded by `seed`, reproducible)
and prints one JSON object: the ensemble's mean and covariance (\"sigma\") with standard errors,
the diverged particles, time averages after `burnin` steps (if given), and the solver's exact
answer (\"exact\") for comparison. With landscape=doublewell: escapes from the double well (the
run stops once every particle escaped), the escape rate and mean escape time with standard
errors, the exact mean escape time and the Kramers rates of Eq. 51 and 52.
An invalid configuration, or particles × steps × D above 1e11, prints one line per problem on
stderr and exits with 2.
--threads N runs blocks of particles on N threads (default: every core); the output is the same
for any N, except \"seconds\" and \"particle_steps_per_second\", which measure the run.
Examples:
  sgd-playground simulate 'lr=1&particles=4000&steps=200&start=stationary&burnin=0'
  sgd-playground simulate 'landscape=doublewell&r=1.2&particles=500&steps=100000'
Run `sgd-playground help` for the configuration keys.
";

const RENDER_HELP: &str = "\
usage: sgd-playground render '<config with fig=…>' [--format svg|png|csv|table] [--out FILE]
                             [--width PIXELS] [--height PIXELS] [--theme light|dark] [--theory-only]
                             [--threads N]
       sgd-playground render --config FILE [options]

Draws one of the paper's figures (fig = 1b, 2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6a, 6b) or of the
panels beyond them (phase, bayes, escape, newton, explorer) with the same drawing code as the web
page: the theory curves and, unless --theory-only, the simulated points
with their standard errors (the whole simulation runs first; its size is set by the figure's keys).
--format defaults to the extension of --out (else svg); without --out the SVG or CSV goes to stdout
(a PNG needs --out). CSV is tidy: one row per point (panel, series, role, x, y, stderr; a heatmap
adds value). --format table writes the numbers of fig=explorer's table (Table 1 live) as CSV,
one per line: row,quantity,i,j,value.
--threads N runs the simulation's ensembles (and blocks of the particles of each, when there are
fewer ensembles than threads) on N threads, by default every core; the output is the same for any N.
The default size is 1200 × 600 pixels. Every option takes its value as --opt value or --opt=value.
Examples:
  sgd-playground render 'fig=2a' --out fig2a.svg
  sgd-playground render 'fig=3&particles=2000' --format png --out fig3.png
  sgd-playground render 'fig=6b' --theory-only --format csv
  sgd-playground render 'fig=explorer&C=1,0.2' --format table
";

/// Output format of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RenderFormat {
    Svg,
    Png,
    Csv,
    /// The figure's own table as CSV (`fig=explorer`).
    Table,
}

/// The sizes `--width` and `--height` allow, in pixels.
const PIXELS: std::ops::RangeInclusive<u32> = 100..=8000;

/// The options beyond the configuration: `render`'s, and `--threads`.
struct CommandOptions {
    /// `--threads N` (`simulate`, `render`): the most threads to run on; every core by default.
    /// The output is the same for any number (only `seconds` and the throughput it implies
    /// differ).
    threads: usize,
    /// `--format`, else from `--out`'s extension, else SVG (set once the options are read).
    format: Option<RenderFormat>,
    out: Option<String>,
    width: u32,
    height: u32,
    dark: bool,
    theory_only: bool,
}

impl Default for CommandOptions {
    fn default() -> Self {
        CommandOptions {
            threads: crate::parallel::available_threads(),
            format: None,
            out: None,
            width: 1200,
            height: 600,
            dark: false,
            theory_only: false,
        }
    }
}

/// `render`: a figure's data drawn by `figures` (the web page's drawing code) to a file.
fn render(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let (config, options) = match read_config(Command::Render, args, stdout, stderr) {
        Ok(read) => read,
        Err(code) => return code,
    };
    // The same cost model as the page, with the command line's limit, before anything is built;
    // --theory-only runs no simulation.
    let cost = Cost::of(&config);
    let checked = if options.theory_only {
        cost.check_theory(&Budget::NATIVE)
    } else {
        cost.check(&Budget::NATIVE)
    };
    if let Err(problem) = checked {
        return report_problems(stderr, std::iter::once(&problem));
    }
    let experiment = match crate::experiments::Experiment::new(&config) {
        Ok(experiment) => experiment,
        Err(problems) => return report_problems(stderr, problems.iter()),
    };
    if !options.theory_only {
        if let Err(problem) = config.check_simulation_size(1, &SimulationLimits::NATIVE) {
            return report_problems(stderr, std::iter::once(&problem));
        }
    }
    if options.format == Some(RenderFormat::Table) && experiment.theory().table.is_none() {
        return usage_error(
            stderr,
            &format!(
                "--format: invalid value 'table'; allowed: svg, png or csv with fig={} (only \
                 fig=explorer has a table)",
                experiment.id()
            ),
        );
    }
    let data = if options.theory_only {
        experiment.theory()
    } else {
        let mut run = experiment.simulation();
        run.finish_on_threads(options.threads);
        experiment.figure(&run)
    };
    let style = if options.dark {
        crate::figures::FigureStyle::dark()
    } else {
        crate::figures::FigureStyle::light()
    };
    let bytes: Vec<u8> = match options.format.unwrap_or(RenderFormat::Svg) {
        RenderFormat::Csv => crate::figures::to_csv(&data).into_bytes(),
        RenderFormat::Table => data
            .table
            .as_ref()
            .map(crate::figures::table_csv)
            .unwrap_or_default()
            .into_bytes(),
        RenderFormat::Svg => {
            match crate::figures::to_svg(&data, options.width, options.height, &style) {
                Ok(svg) => svg.into_bytes(),
                Err(e) => return failure(stderr, &format!("cannot draw the figure: {e}")),
            }
        }
        RenderFormat::Png => {
            if options.out.is_none() {
                return usage_error(stderr, "a PNG needs --out FILE");
            }
            match crate::figures::to_png(&data, options.width, options.height, &style) {
                Ok(png) => png,
                Err(e) => return failure(stderr, &format!("cannot draw the figure: {e}")),
            }
        }
    };
    match &options.out {
        Some(path) => match std::fs::write(path, &bytes) {
            Ok(()) => EXIT_OK,
            Err(e) => failure(stderr, &format!("cannot write '{path}': {e}")),
        },
        None => match stdout.write_all(&bytes) {
            Ok(()) => EXIT_OK,
            Err(_) => EXIT_FAILURE,
        },
    }
}

/// Writes `message` to stderr and returns [`EXIT_FAILURE`].
fn failure(stderr: &mut dyn Write, message: &str) -> i32 {
    let _ = writeln!(stderr, "error: {message}");
    EXIT_FAILURE
}

/// The full help: usage, commands and every configuration key.
fn help_text() -> String {
    let mut text = String::from(
        "sgd-playground: exact stationary distributions of SGD and its variants near a quadratic minimum, and simulations\n\n",
    );
    text.push_str(USAGE);
    text.push_str("\ncommands:\n");
    for (name, description) in COMMANDS {
        text.push_str(&format!("  {name:<10} {description}\n"));
    }
    text.push_str(&format!(
        "\nconfiguration (v={VERSION}): key=value pairs separated by & or new lines ('#' starts a comment line);\n\
         matrices are rows separated by ; with entries separated by , (one row = a diagonal; for C and P\n\
         one number s = s·I). Examples:\n  \
         sgd-playground solve 'opt=sgdm&lr=1.5&mu=0.5&K=1,0.1&C=0.2'\n  \
         sgd-playground solve opt=qhm nu=0.7 K=2,0.5\\;0.5,1\n  \
         sgd-playground simulate 'lr=1&particles=4000&steps=200&start=stationary&burnin=0'\n  \
         sgd-playground simulate 'landscape=doublewell&r=1.2&particles=500&steps=100000'\n\n\
         keys:\n"
    ));
    for spec in KEYS {
        text.push_str(&format!(
            "  {:<10} {} [{}; default {}]\n             allowed: {}; used when: {}\n",
            spec.key, spec.meaning, spec.format, spec.default_meaning, spec.allowed, spec.used_when
        ));
    }
    text
}
