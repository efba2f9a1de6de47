//! The native command line: `sgd-playground solve '<config>'` prints the exact stationary
//! distribution as one JSON object.
//!
//! Everything goes through [`run`], which takes the arguments and the two output streams, so the
//! tests drive it in-process. Exit codes: [`EXIT_OK`] (also when the dynamics diverges: that is an
//! answer, reported as `"diverges": true`), [`EXIT_USAGE`] for an invalid configuration or command
//! line (nothing on stdout, one line per problem on stderr), [`EXIT_FAILURE`] when the output cannot
//! be written.

use std::io::Write;

use crate::config::{Config, KEYS, MAX_TEXT_BYTES, VERSION};
use crate::json::Json;
use crate::solver::{self, Divergence, Stability, Stationary};

/// Exit code of a successful run.
pub const EXIT_OK: i32 = 0;
/// Exit code when the output cannot be written.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of an invalid command line or configuration.
pub const EXIT_USAGE: i32 = 2;

/// The commands, with one line each for the help text. New commands (`simulate`, `render`) add an
/// entry here and an arm in [`run`].
const COMMANDS: &[(&str, &str)] = &[
    (
        "solve",
        "print the exact stationary distribution of a configuration as one JSON object",
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

/// `solve`: configuration text from the arguments (joined by `&`) or from `--config FILE`.
fn solve(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let text = match configuration_text(args) {
        Ok(Some(text)) => text,
        Ok(None) => return write_out(stdout, stderr, SOLVE_HELP),
        Err(message) => return usage_error(stderr, &message),
    };
    let config = match Config::parse(&text) {
        Ok(config) => config,
        Err(problems) => return report_problems(stderr, problems.iter()),
    };
    let problem = match config.to_problem() {
        Ok(problem) => problem,
        Err(problems) => return report_problems(stderr, problems.iter()),
    };
    let output = match solver::stationary(&problem) {
        Ok(stationary) => stationary_json(&config, &stationary),
        Err(divergence) => divergence_json(&config, &divergence),
    };
    write_out(stdout, stderr, &format!("{output}\n"))
}

/// The configuration text of `solve`'s arguments; `Ok(None)` when help was asked for.
fn configuration_text(args: &[String]) -> Result<Option<String>, String> {
    let mut file = None;
    let mut chunks = Vec::new();
    let mut remaining = args.iter();
    while let Some(arg) = remaining.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--config" => match remaining.next() {
                Some(path) => file = Some(path.clone()),
                None => return Err("--config needs a file name".to_string()),
            },
            option if option.starts_with("--config=") => {
                file = Some(option.trim_start_matches("--config=").to_string());
            }
            option if option.starts_with('-') => return Err(format!("unknown option '{option}'")),
            chunk => chunks.push(chunk),
        }
    }
    match (file, chunks.is_empty()) {
        (Some(_), false) => {
            Err("give the configuration either as text or with --config, not both".to_string())
        }
        (Some(path), true) => read_file(&path).map(Some),
        (None, false) => Ok(Some(chunks.join("&"))),
        (None, true) => {
            Err("solve needs a configuration (text such as 'lr=1.5', or --config FILE)".to_string())
        }
    }
}

/// Reads a configuration file, refusing files larger than [`MAX_TEXT_BYTES`] before reading them.
fn read_file(path: &str) -> Result<String, String> {
    let length = std::fs::metadata(path)
        .map_err(|e| format!("cannot read configuration file '{path}': {e}"))?
        .len();
    if length > MAX_TEXT_BYTES as u64 {
        return Err(format!(
            "configuration file '{path}' has {length} bytes; at most {MAX_TEXT_BYTES} are allowed"
        ));
    }
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read configuration file '{path}': {e}"))
}

fn stationary_json(config: &Config, stationary: &Stationary) -> Json {
    let mut members = header(config, false);
    members.extend([
        ("sigma", Json::matrix(&stationary.sigma)),
        ("mean", Json::vector(&stationary.mean)),
        ("train_loss", Json::from(stationary.train_loss)),
        (
            "state_covariance",
            Json::matrix(&stationary.state_covariance),
        ),
        (
            "preconditioner",
            Json::optional_matrix(stationary.preconditioner.as_ref()),
        ),
        (
            "noise_covariance",
            Json::matrix(&stationary.noise_covariance),
        ),
    ]);
    members.extend(stability_members(&stationary.stability));
    Json::object(members)
}

fn divergence_json(config: &Config, divergence: &Divergence) -> Json {
    let mut members = header(config, true);
    members.extend([
        ("reason", Json::from(divergence.reason.as_str())),
        ("sigma", Json::Null),
        ("mean", Json::Null),
        ("train_loss", Json::Null),
        ("state_covariance", Json::Null),
        ("preconditioner", Json::Null),
        ("noise_covariance", Json::Null),
    ]);
    members.extend(stability_members(&divergence.stability));
    Json::object(members)
}

fn header(config: &Config, diverges: bool) -> Vec<(&'static str, Json)> {
    vec![
        ("config", Json::from(config.to_text())),
        ("opt", Json::from(config.optimizer.name())),
        ("noise", Json::from(config.noise.name())),
        ("diverges", Json::from(diverges)),
    ]
}

fn stability_members(stability: &Stability) -> [(&'static str, Json); 4] {
    [
        (
            "effective_curvature",
            Json::from(stability.effective_curvature),
        ),
        ("threshold", Json::from(stability.threshold)),
        ("condition", Json::from(stability.condition.as_str())),
        ("spectral_radius", Json::from(stability.spectral_radius)),
    ]
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
    let lines: String = problems
        .map(|problem| format!("error: {problem}\n"))
        .collect();
    // Nothing more can be done if stderr fails; the exit code still says what happened.
    let _ = stderr.write_all(lines.as_bytes());
    EXIT_USAGE
}

fn usage_error(stderr: &mut dyn Write, message: &str) -> i32 {
    // Nothing more can be done if stderr fails; the exit code still says what happened.
    let _ = write!(stderr, "error: {message}\n\n{USAGE}");
    EXIT_USAGE
}

const USAGE: &str = "\
usage: sgd-playground solve '<config>' [more config text ...]
       sgd-playground solve --config FILE
       sgd-playground help
";

const SOLVE_HELP: &str = "\
usage: sgd-playground solve '<config>' [more config text ...]
       sgd-playground solve --config FILE

Prints the exact stationary distribution of the configuration as one JSON object (exit 0, also
when the dynamics diverges: then \"diverges\" is true and \"reason\" says why). An invalid
configuration prints one line per problem on stderr and exits with 2.
Run `sgd-playground help` for the configuration keys.
";

/// The full help: usage, commands and every configuration key.
fn help_text() -> String {
    let mut text = String::from(
        "sgd-playground: exact stationary distributions of SGD and its variants near a quadratic minimum\n\n",
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
         sgd-playground solve opt=qhm nu=0.7 K=2,0.5\\;0.5,1\n\n\
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
