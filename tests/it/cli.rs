//! The command line, driven in-process through `cli::run` (and once as the real binary): `solve`,
//! `simulate` (checked against the exact answers in reported standard errors), help and errors.
//! Every output is parsed by serde_json (refusing repeated keys, below), so "exactly one JSON
//! object" is checked, not assumed.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Command;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use sgd_playground::cli::{run, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use sgd_playground::config::{Config, KEYS};

/// Outcome of one run.
pub(crate) struct Outcome {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs the command line in-process with `args` (after the program's name).
pub(crate) fn run_with(args: &[&str]) -> Outcome {
    let args: Vec<String> = std::iter::once("sgd-playground")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run(&args, &mut stdout, &mut stderr);
    Outcome {
        code,
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `solve` and returns its JSON object, checking exit code 0, empty stderr, one line.
fn solve(config: &str) -> Json {
    let outcome = run_with(&["solve", config]);
    assert_eq!(outcome.code, EXIT_OK, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    assert!(outcome.stdout.ends_with('\n'));
    assert_eq!(outcome.stdout.lines().count(), 1, "{}", outcome.stdout);
    parse_json(&outcome.stdout)
}

/// Runs `simulate` and returns its JSON object, checking exit code 0, empty stderr, one line.
fn simulate(config: &str) -> Json {
    let outcome = run_with(&["simulate", config]);
    assert_eq!(outcome.code, EXIT_OK, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.stderr, "");
    assert!(outcome.stdout.ends_with('\n'));
    assert_eq!(outcome.stdout.lines().count(), 1, "{}", outcome.stdout);
    parse_json(&outcome.stdout)
}

/// Runs a command that must fail with a usage error; returns its stderr lines.
fn usage_errors(args: &[&str]) -> Vec<String> {
    let outcome = run_with(args);
    assert_eq!(outcome.code, EXIT_USAGE, "{args:?}: {}", outcome.stdout);
    assert_eq!(outcome.stdout, "", "{args:?}");
    outcome.stderr.lines().map(String::from).collect()
}

fn number(value: &Json) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("number expected, got {value:?}"))
}

fn numbers(value: &Json) -> Vec<f64> {
    match value {
        Json::Array(entries) => entries.iter().map(number).collect(),
        other => panic!("array expected, got {other:?}"),
    }
}

fn matrix(value: &Json) -> Vec<Vec<f64>> {
    match value {
        Json::Array(rows) => rows
            .iter()
            .map(|row| match row {
                Json::Array(entries) => entries.iter().map(number).collect(),
                other => panic!("row expected, got {other:?}"),
            })
            .collect(),
        other => panic!("matrix expected, got {other:?}"),
    }
}

fn text(value: &Json) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("string expected, got {value:?}"))
}

/// The fields every solve output has, diverging or not.
const FIELDS: &[&str] = &[
    "config",
    "opt",
    "noise",
    "diverges",
    "sigma",
    "mean",
    "train_loss",
    "state_covariance",
    "preconditioner",
    "noise_covariance",
    "effective_curvature",
    "threshold",
    "condition",
    "spectral_radius",
];

#[test]
fn one_dimensional_sgd_matches_the_closed_form() {
    // Σ = λσ²/(k(2−λk)) (Cor. 1). Tolerance 1e-12 relative: the 1×1 Lyapunov solve costs a few
    // ulps, and the JSON numbers are shortest round-trip, so they transfer the f64 exactly.
    let (lr, k, c) = (1.5, 0.8, 0.5);
    let output = solve(&format!("lr={lr}&K={k}&C={c}"));
    let expected = lr * c / (k * (2.0 - lr * k));
    let sigma = matrix(output.field("sigma"));
    assert_eq!(sigma.len(), 1);
    assert!(
        (sigma[0][0] - expected).abs() <= 1e-12 * expected,
        "{} vs {expected}",
        sigma[0][0]
    );
    let loss = number(output.field("train_loss"));
    assert!(
        (loss - 0.5 * k * expected).abs() <= 1e-12 * loss,
        "train loss ½kΣ"
    );
    assert_eq!(*output.field("diverges"), Json::Bool(false));
    assert_eq!(number(output.field("threshold")), 2.0);
    assert_eq!(number(output.field("effective_curvature")), lr * k);
    // SGD's per-mode map is w ↦ (1−λk)w.
    assert!((number(output.field("spectral_radius")) - (1.0 - lr * k).abs()).abs() < 1e-15);
    assert_eq!(numbers(output.field("mean")), [0.0]);
}

#[test]
fn the_output_has_every_field_and_a_canonical_config() {
    let output = solve("opt=sgdm&mu=0.5&lr=1.5&K=1,0.1&C=0.2");
    for field in FIELDS {
        output.field(field);
    }
    assert_eq!(text(output.field("opt")), "sgdm");
    assert_eq!(text(output.field("noise")), "gauss");
    let config = text(output.field("config"));
    assert_eq!(config, "v=1&opt=sgdm&lr=1.5&mu=0.5&K=1,0.1&C=0.2");
    assert_eq!(
        Config::parse(config),
        Config::parse("opt=sgdm&mu=0.5&lr=1.5&K=1,0.1&C=0.2")
    );
    assert_eq!(
        matrix(output.field("state_covariance")).len(),
        4,
        "(w, m) for D = 2"
    );
    assert_eq!(*output.field("preconditioner"), Json::Null);
    assert_eq!(
        matrix(output.field("noise_covariance")),
        [[0.2, 0.0], [0.0, 0.2]]
    );
    assert_eq!(text(output.field("condition")), "λk* < 2(1+μ)");
}

#[test]
fn preconditioned_methods_report_their_preconditioner() {
    let output = solve("opt=dnm&lr=0.5&K=2,4");
    // Λ = λK⁻¹ for damped Newton; its eigenvalues are λ/k exactly up to round-off.
    let preconditioner = matrix(output.field("preconditioner"));
    assert!(
        (preconditioner[0][0] - 0.25).abs() < 1e-15 && (preconditioner[1][1] - 0.125).abs() < 1e-15
    );
}

#[test]
fn divergence_is_an_answer_not_an_error() {
    // λk = 2 is exactly the edge (ERRATA.md: the condition is strict).
    for lr in ["2", "2.5"] {
        let output = solve(&format!("lr={lr}"));
        for field in FIELDS.iter().chain(&["reason"]) {
            output.field(field);
        }
        assert_eq!(*output.field("diverges"), Json::Bool(true));
        assert_eq!(*output.field("sigma"), Json::Null);
        assert_eq!(*output.field("train_loss"), Json::Null);
        assert!(
            text(output.field("reason")).contains("diverges"),
            "{:?}",
            output.field("reason")
        );
        assert_eq!(number(output.field("threshold")), 2.0);
        let lr: f64 = lr.parse().expect("a number");
        assert_eq!(number(output.field("effective_curvature")), lr);
        // |1 − λk| for k = 1: exactly representable, so exact.
        assert_eq!(number(output.field("spectral_radius")), lr - 1.0);
    }
}

#[test]
fn an_invalid_configuration_prints_nothing_and_names_each_key() {
    let outcome = run_with(&["solve", "lr=-1&colour=red&opt=sgd&nu=0.5"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert_eq!(outcome.stdout, "");
    let lines: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", outcome.stderr);
    assert_eq!(
        lines[0],
        "error: lr: invalid value '-1'; allowed: a finite number > 0"
    );
    assert!(
        lines[1].starts_with("error: colour: invalid value 'colour=red'; allowed: a key of v=1")
    );
    assert!(lines[2].starts_with("error: nu: invalid value '0.5'; allowed: no nu with opt=sgd"));
}

#[test]
fn an_invalid_model_prints_nothing_and_names_the_key() {
    let outcome = run_with(&["solve", "K=1,2;2,1"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert_eq!(outcome.stdout, "");
    assert_eq!(outcome.stderr.lines().count(), 1);
    assert!(
        outcome
            .stderr
            .starts_with("error: K: invalid value '1,2;2,1'; allowed: "),
        "{}",
        outcome.stderr
    );
}

#[test]
fn several_arguments_are_one_configuration() {
    let joined = solve("opt=sgdm&lr=1.5&mu=0.5");
    let outcome = run_with(&["solve", "opt=sgdm", "lr=1.5", "mu=0.5"]);
    assert_eq!(outcome.code, EXIT_OK, "{}", outcome.stderr);
    assert_eq!(parse_json(&outcome.stdout), joined);
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("sgd-playground-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("a writable temporary directory");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_configuration_file_has_lines_and_comments() {
    let file = TempFile::new(
        "solve.conf",
        "# 1-D SGD near the edge\nlr=1.5\n\nK=0.8\n# noise\nC=0.5\n",
    );
    let expected = solve("lr=1.5&K=0.8&C=0.5");
    for args in [
        vec!["solve", "--config", file.path()],
        vec!["solve", &format!("--config={}", file.path())],
    ] {
        let outcome = run_with(&args);
        assert_eq!(outcome.code, EXIT_OK, "{}", outcome.stderr);
        assert_eq!(parse_json(&outcome.stdout), expected);
    }
}

#[test]
fn configuration_file_problems_are_usage_errors() {
    let missing = std::env::temp_dir().join("sgd-playground-no-such-file.conf");
    let outcome = run_with(&["solve", "--config", missing.to_str().expect("UTF-8")]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert_eq!(outcome.stdout, "");
    assert!(
        outcome
            .stderr
            .starts_with("error: cannot read configuration file"),
        "{}",
        outcome.stderr
    );

    let file = TempFile::new("both.conf", "lr=1");
    let outcome = run_with(&["solve", "--config", file.path(), "lr=1.5"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert!(outcome.stderr.contains("not both"), "{}", outcome.stderr);

    let outcome = run_with(&["solve", "--config"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert!(
        outcome.stderr.contains("--config needs a file name"),
        "{}",
        outcome.stderr
    );

    let file = TempFile::new("bad.conf", "lr=1\nlr=-1\n");
    let outcome = run_with(&["solve", "--config", file.path()]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert_eq!(outcome.stdout, "");
    assert!(
        outcome.stderr.starts_with("error: lr: invalid value '-1'"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn command_line_mistakes_print_usage_on_stderr() {
    for (args, message) in [
        (vec![], "error: missing command"),
        (
            vec!["frobnicate"],
            "error: unknown command 'frobnicate'; available: solve, simulate, render, help",
        ),
        (vec!["solve"], "error: solve needs a configuration"),
        (vec!["simulate"], "error: simulate needs a configuration"),
        (
            vec!["simulate", "--particles", "10"],
            "error: unknown option '--particles'",
        ),
        (
            vec!["solve", "--fast", "lr=1"],
            "error: unknown option '--fast'",
        ),
    ] {
        let outcome = run_with(&args);
        assert_eq!(outcome.code, EXIT_USAGE, "{args:?}");
        assert_eq!(outcome.stdout, "", "{args:?}");
        assert!(
            outcome.stderr.starts_with(message),
            "{args:?}: {}",
            outcome.stderr
        );
        assert!(
            outcome.stderr.contains("usage: sgd-playground solve"),
            "{args:?}"
        );
    }
}

#[test]
fn help_lists_the_commands_and_every_key() {
    for flag in ["help", "--help", "-h"] {
        let outcome = run_with(&[flag]);
        assert_eq!(outcome.code, EXIT_OK);
        assert_eq!(outcome.stderr, "");
        assert!(outcome.stdout.contains("\n  solve "));
        assert!(outcome.stdout.contains("\n  simulate "));
        assert!(outcome
            .stdout
            .contains("sgd-playground simulate 'landscape=doublewell&r=1.2"));
        for spec in KEYS {
            assert!(
                outcome
                    .stdout
                    .contains(&format!("\n  {:<10} {}", spec.key, spec.meaning)),
                "{} missing from help",
                spec.key
            );
        }
    }
    let outcome = run_with(&["solve", "--help"]);
    assert_eq!(outcome.code, EXIT_OK);
    assert!(outcome.stdout.starts_with("usage: sgd-playground solve"));
    let outcome = run_with(&["simulate", "-h"]);
    assert_eq!(outcome.code, EXIT_OK);
    assert!(outcome.stdout.starts_with("usage: sgd-playground simulate"));
    assert!(outcome.stdout.contains("sgd-playground simulate 'lr=1&"));
}

/// A writer that always fails, as a closed pipe does.
struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
    }
}

#[test]
fn an_unwritable_output_is_a_failure() {
    let args: Vec<String> = ["sgd-playground", "solve", "lr=1"]
        .map(String::from)
        .to_vec();
    let mut stderr = Vec::new();
    assert_eq!(run(&args, &mut Broken, &mut stderr), EXIT_FAILURE);
    assert!(String::from_utf8_lossy(&stderr).starts_with("error: cannot write the output"));
}

#[test]
fn the_real_binary_exits_with_the_documented_codes() {
    let binary = env!("CARGO_BIN_EXE_sgd-playground");
    let output = Command::new(binary)
        .args(["solve", "lr=1.5"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(EXIT_OK));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(
        matrix(parse_json(&stdout).field("sigma")),
        [[3.0]],
        "λ/(2−λ) for k = σ² = 1, exact in binary"
    );

    let output = Command::new(binary)
        .args(["solve", "lr=-1"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(EXIT_USAGE));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: lr: invalid value '-1'; allowed: a finite number > 0\n"
    );

    let output = Command::new(binary)
        .args(["simulate", "lr=1", "particles=100", "steps=20"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(EXIT_OK));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let simulated = parse_json(&stdout);
    assert_eq!(number(simulated.field("particles")), 100.0);
    assert_eq!(number(simulated.field("steps")), 20.0);
    assert_eq!(
        text(simulated.field("config")),
        "v=1&lr=1&particles=100&steps=20"
    );
}

// ---------------------------------------------------------------- simulate

/// The fields every quadratic simulate output has.
const SIMULATE_FIELDS: &[&str] = &[
    "config",
    "landscape",
    "opt",
    "noise",
    "steps",
    "particles",
    "diverged",
    "mean",
    "mean_stderr",
    "sigma",
    "sigma_stderr",
    "time_averaged",
    "exact",
    "seconds",
    "particle_steps_per_second",
];

#[test]
fn simulated_sgd_agrees_with_the_exact_covariance() {
    // 1-D SGD at λk = 1: Σ = λσ²/(k(2−λk)) = 1, and w_t is independent of w_{t−1} (1 − λk = 0).
    let output = simulate("lr=1&particles=4000&steps=200&start=stationary&burnin=0");
    for field in SIMULATE_FIELDS {
        output.field(field);
    }
    assert_eq!(
        text(output.field("config")),
        "v=1&lr=1&particles=4000&steps=200&burnin=0&start=stationary"
    );
    assert_eq!(text(output.field("landscape")), "quadratic");
    assert_eq!(text(output.field("opt")), "sgd");
    assert_eq!(number(output.field("steps")), 200.0);
    assert_eq!(number(output.field("particles")), 4000.0);
    assert_eq!(number(output.field("diverged")), 0.0);
    let exact = output.field("exact");
    assert_eq!(*exact.field("diverges"), Json::Bool(false));
    assert_eq!(matrix(exact.field("sigma")), [[1.0]]);
    assert_eq!(number(exact.field("train_loss")), 0.5);

    let averaged = output.field("time_averaged");
    assert_eq!(number(averaged.field("samples_per_particle")), 200.0);
    let sigma = matrix(averaged.field("sigma"))[0][0];
    let stderr = matrix(averaged.field("sigma_stderr"))[0][0];
    assert!(stderr > 0.0 && stderr < 0.01, "stderr {stderr}");
    assert!(
        (sigma - 1.0).abs() < 4.0 * stderr,
        "time-averaged Σ = {sigma} ± {stderr}, exact 1"
    );
    // The ensemble at the last step, within its own (larger) standard error.
    let sigma = matrix(output.field("sigma"))[0][0];
    let stderr = matrix(output.field("sigma_stderr"))[0][0];
    assert!((sigma - 1.0).abs() < 4.0 * stderr, "Σ = {sigma} ± {stderr}");
    let mean = numbers(output.field("mean"))[0];
    let stderr = numbers(output.field("mean_stderr"))[0];
    assert!(mean.abs() < 4.0 * stderr, "mean {mean} ± {stderr}");
    assert!(number(output.field("seconds")) >= 0.0);
    assert!(number(output.field("particle_steps_per_second")) > 0.0);
}

#[test]
fn simulations_are_reproducible_and_seeded() {
    let without_timing = |output: Json| {
        let Json::Object(mut members) = output else {
            panic!("an object");
        };
        members.remove("seconds").expect("seconds");
        members
            .remove("particle_steps_per_second")
            .expect("particle_steps_per_second");
        members
    };
    let config = "opt=sgdm&mu=0.5&K=1,0.1&particles=50&steps=30&burnin=10";
    let first = without_timing(simulate(config));
    assert_eq!(first, without_timing(simulate(config)));
    assert_ne!(first, without_timing(simulate(&format!("{config}&seed=1"))));
    // Without burnin there are no time averages.
    assert_eq!(
        *simulate("particles=10&steps=5").field("time_averaged"),
        Json::Null
    );
}

#[test]
fn a_diverging_learning_rate_diverges_every_particle() {
    let output = simulate("lr=2.5&particles=200&steps=1000");
    assert_eq!(number(output.field("diverged")), 200.0);
    assert_eq!(*output.field("mean"), Json::Array(vec![Json::Null]));
    assert_eq!(*output.field("time_averaged"), Json::Null);
    let exact = output.field("exact");
    assert_eq!(*exact.field("diverges"), Json::Bool(true));
    assert!(text(exact.field("reason")).contains("diverges"));
}

#[test]
fn the_double_well_escapes_at_the_exact_mean_time() {
    let output = simulate("landscape=doublewell&r=1.2&particles=500&steps=100000");
    assert_eq!(text(output.field("landscape")), "doublewell");
    assert_eq!(
        text(output.field("config")),
        "v=1&landscape=doublewell&r=1.2&particles=500&steps=100000"
    );
    assert_eq!(number(output.field("escaped")), 500.0);
    // The run stops once every particle escaped, at the end of a slice of 1000 steps.
    let steps = number(output.field("steps"));
    assert!(steps < 100_000.0 && steps % 1000.0 == 0.0, "steps {steps}");
    let mean = number(output.field("mean_escape_steps"));
    let stderr = number(output.field("mean_escape_steps_stderr"));
    let exact = number(output.field("exact_mean_escape_steps"));
    assert!(
        (mean - exact).abs() < 4.0 * stderr,
        "mean escape {mean} ± {stderr} steps, exact {exact}"
    );
    // Every particle escaped: the censoring-aware mean is the plain mean.
    assert_eq!(mean, number(output.field("observed_mean_escape_steps")));
    // γ/|k_b| = (1/mean escape steps)/(λ r |k_b|), λ = 1 and |k_b| = 0.5.
    let gamma = number(output.field("gamma_over_kb"));
    let expected = number(output.field("rate_per_step")) / (1.2 * 0.5);
    assert!((gamma - expected).abs() <= 1e-12 * expected);
    assert!(number(output.field("gamma_over_kb_stderr")) > 0.0);
    let exact_gamma = number(output.field("exact_gamma_over_kb"));
    assert!((exact_gamma - 1.0 / (exact * 0.6)).abs() <= 1e-12 * exact_gamma);
    // Eq. 51 is flat in r: γ/|k_b| = e^{−2SΔL(l/k_a + (1−l)/|k_b|)/λ}/(2π) with l = 1/3, S = 2.
    let eq51 = number(output.field("kramers_eq51"));
    let flat = (-4.0 * (1.0 / 3.0 + 2.0 / 3.0 / 0.5_f64)).exp() / (2.0 * std::f64::consts::PI);
    assert!((eq51 - flat).abs() <= 1e-12 * flat, "{eq51} vs {flat}");
    for field in ["kramers_eq52", "kramers_eq52_corrected"] {
        assert!(
            number(output.field(field)) > eq51,
            "{field}: the discrete rate is larger"
        );
    }
}

#[test]
fn a_too_large_simulation_is_refused_with_the_limit() {
    let lines = usage_errors(&["simulate", "particles=10000000&steps=1000000"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        lines[0],
        "error: particles: invalid value '10000000'; allowed: at most 1e11 units of work for the \
         simulation in the command line (here 1e13; a unit is one 1-D particle-step, see the \
         README's cost model): lower particles or steps"
    );
    // D counts: 1e6 × 1e5 particle-steps of D = 2 (the diagonal fast path, 2 units each).
    let lines = usage_errors(&["simulate", "particles=1000000&steps=100000&K=1,1"]);
    assert!(lines[0].contains("(here 2e11;"), "{lines:?}");
    // A dense K counts D² + D per particle-step: 512×512 at 1000 particle-steps is 2.6e8 units,
    // fine, at 10⁶ it is refused.
    let dense: String = (0..512)
        .map(|i| {
            (0..512)
                .map(|j| if i == j { "1" } else { "0" })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(";");
    let lines = usage_errors(&["simulate", &format!("K={dense}&particles=1000&steps=1000")]);
    assert!(lines[0].contains("(here 2.63e11;"), "{lines:?}");
    // S counts: each minibatch step is S per-sample gradients.
    let lines = usage_errors(&[
        "simulate",
        "noise=batch&S=1000000&N=1000000&particles=1000&steps=1000",
    ]);
    assert!(
        lines[0].ends_with("lower particles, steps or S"),
        "{lines:?}"
    );
    // The double well too.
    let lines = usage_errors(&[
        "simulate",
        "landscape=doublewell&particles=10000000&steps=100000",
    ]);
    assert!(lines[0].starts_with("error: particles: "), "{lines:?}");
    assert!(lines[0].contains("steps"), "{lines:?}");
}

#[test]
fn simulate_reports_invalid_configurations_like_solve() {
    for (config, key) in [
        ("steps=10&burnin=10", "burnin"),
        ("start=1,2&K=1", "start"),
        ("start=stationary&lr=3", "start"),
        ("particles=0", "particles"),
        ("K=1,2;2,1", "K"),
        ("landscape=doublewell&r=2.5", "r"),
        ("landscape=doublewell&opt=sgdm", "opt"),
    ] {
        let lines = usage_errors(&["simulate", config]);
        assert_eq!(lines.len(), 1, "{config}: {lines:?}");
        assert!(
            lines[0].starts_with(&format!("error: {key}: invalid value '")),
            "{config}: {lines:?}"
        );
        assert!(lines[0].contains("; allowed: "), "{lines:?}");
    }
}

#[test]
fn solve_ignores_the_simulation_keys_and_refuses_the_double_well() {
    let output = solve("lr=1.5&particles=10&steps=5&seed=3&start=stationary&burnin=1&bound=9");
    assert_eq!(matrix(output.field("sigma")), [[3.0]]);
    assert_eq!(
        text(output.field("config")),
        "v=1&lr=1.5&particles=10&steps=5&burnin=1&seed=3&start=stationary&bound=9"
    );
    let lines = usage_errors(&["solve", "landscape=doublewell"]);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("error: landscape: invalid value 'doublewell'; allowed: quadratic"),
        "{lines:?}"
    );
}

// ---------------------------------------------------------------- reading JSON (serde_json)

/// A JSON value read by serde_json, refusing an object with a repeated key (serde_json's own
/// `Value` would keep the last one silently).
struct Strict(Json);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Json, E> {
        Ok(Json::from(value))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Json, E> {
        Ok(Json::from(value))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Json, E> {
        Ok(Json::from(value))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Json, E> {
        Ok(Json::from(value))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if members.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format!("'{key}' repeated")));
            }
        }
        Ok(Json::Object(members))
    }
}

/// The member `key` of an object; panics (failing the test) when absent.
trait Field {
    fn field(&self, key: &str) -> &Json;
}

impl Field for Json {
    fn field(&self, key: &str) -> &Json {
        let Json::Object(members) = self else {
            panic!("object expected, got {self:?}");
        };
        members
            .get(key)
            .unwrap_or_else(|| panic!("no '{key}' in {self:?}"))
    }
}

/// Parses exactly one JSON object (surrounding whitespace allowed), panicking on anything else.
fn parse_json(text: &str) -> Json {
    let Strict(value) =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not one JSON value ({e}): {text}"));
    assert!(value.is_object(), "an object expected: {text}");
    value
}

#[test]
fn the_json_reader_rejects_what_it_should() {
    // The checks above rely on this reader being strict; make sure it is.
    for bad in [
        "{\"a\":1,}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":NaN}",
        "{\"a\":1} x",
        "[1]",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{\"b\":1,\"b\":1}}",
    ] {
        let result = std::panic::catch_unwind(|| parse_json(bad));
        assert!(result.is_err(), "accepted {bad}");
    }
    assert_eq!(
        parse_json(r#" {"a":[-0.5e-3,true,null],"b\n":"\u00e9"} "#),
        serde_json::json!({"a": [-0.5e-3, true, null], "b\n": "é"})
    );
    // Shortest round-trip numbers come back as the same f64 (float_roundtrip).
    for x in [
        0.1,
        1.0 / 3.0,
        2.0_f64.sqrt(),
        5e-324,
        f64::MAX,
        -1.2345678901234567e-89,
    ] {
        let Strict(value) = serde_json::from_str(&format!("{x:?}")).expect("a number");
        assert_eq!(value.as_f64(), Some(x), "{x:?}");
    }
}

#[test]
fn render_writes_svg_png_and_csv_of_a_figure() {
    let dir = std::env::temp_dir().join(format!("sgd-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (format, check) in [
        ("svg", b"<svg".as_slice()),
        ("png", b"\x89PNG".as_slice()),
        ("csv", b"panel,series,role,x,y,stderr".as_slice()),
    ] {
        let out = dir.join(format!("fig5a.{format}"));
        let path = out.to_string_lossy().to_string();
        let outcome = run_with(&[
            "render",
            "fig=5a&points=5&particles=20&steps=100&burnin=50",
            "--out",
            &path,
        ]);
        assert_eq!(outcome.code, EXIT_OK, "{format}: {}", outcome.stderr);
        let bytes = std::fs::read(&out).expect("written");
        assert!(
            bytes.starts_with(check),
            "{format} output starts with {:?}",
            &bytes[..8.min(bytes.len())]
        );
    }
    // The CSV carries the theory's threshold-free points and the 5 simulated ones.
    let csv = std::fs::read_to_string(dir.join("fig5a.csv")).expect("csv");
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",simulation,") || l.contains("Simulation"))
            .count(),
        5,
        "{csv}"
    );
    // Bad options and configurations are usage errors naming the problem.
    let outcome = run_with(&["render", "fig=2a", "--format", "gif"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert!(
        outcome
            .stderr
            .starts_with("error: --format: invalid value 'gif'"),
        "{}",
        outcome.stderr
    );
    let outcome = run_with(&["render", "lr=1"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert!(outcome.stderr.contains("fig"), "{}", outcome.stderr);
    // The explorer's table as numeric CSV: one number per line, every Σ entry of each method;
    // a figure without a table refuses the format before simulating anything.
    let outcome = run_with(&[
        "render",
        "fig=explorer&methods=sgd,ngd",
        "--format",
        "table",
    ]);
    assert_eq!(outcome.code, EXIT_OK, "{}", outcome.stderr);
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert_eq!(lines[0], "row,quantity,i,j,value", "{}", outcome.stdout);
    for method in ["sgd", "ngd"] {
        let entries = lines
            .iter()
            .filter(|line| line.starts_with(&format!("{method},sigma_exact,")))
            .count();
        assert_eq!(entries, 4, "{}", outcome.stdout);
    }
    for line in &lines[1..] {
        let value = line.rsplit(',').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    let outcome = run_with(&["render", "fig=2a", "--format", "table"]);
    assert_eq!(outcome.code, EXIT_USAGE);
    assert!(
        outcome.stderr.contains("only fig=explorer has a table"),
        "{}",
        outcome.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_copied_playground_link_is_read_as_its_configuration() {
    // The page's link (with its page keys and fragment) and the bare text give the same answer.
    let from_link = solve("https://example.org/sgd/?v=1&lr=1.5&theme=dark&embed=1#fig-2a");
    let from_text = solve("lr=1.5");
    assert_eq!(text(from_link.field("config")), "v=1&lr=1.5");
    assert_eq!(
        matrix(from_link.field("sigma")),
        matrix(from_text.field("sigma"))
    );
    // Var[w] = λσ²/(k(2 − λk)) = 1.5/0.5 = 3.
    assert!((matrix(from_link.field("sigma"))[0][0] - 3.0).abs() < 1e-12);
}

// ---------------------------------------------------------------- options

#[test]
fn every_option_takes_its_value_with_a_space_or_an_equals_sign() {
    let render = |args: &[&str]| {
        let mut all = vec!["render", "fig=2a", "--theory-only"];
        all.extend_from_slice(args);
        let outcome = run_with(&all);
        assert_eq!(outcome.code, EXIT_OK, "{args:?}: {}", outcome.stderr);
        assert_eq!(outcome.stderr, "", "{args:?}");
        outcome.stdout
    };
    let spaced = render(&["--width", "800", "--height", "500", "--theme", "dark"]);
    let joined = render(&["--width=800", "--height=500", "--theme=dark"]);
    assert_eq!(spaced, joined);
    assert!(
        spaced.starts_with("<svg"),
        "{}",
        &spaced[..40.min(spaced.len())]
    );
    assert!(
        spaced.contains(r#"width="800""#) && spaced.contains(r#"height="500""#),
        "{}",
        &spaced[..200.min(spaced.len())]
    );
    // The two forms mix, and the default size is another drawing.
    assert_eq!(
        render(&["--width=800", "--height", "500", "--theme=dark"]),
        spaced
    );
    assert_ne!(render(&["--theme=dark"]), spaced);

    assert_eq!(render(&["--format=svg"]), render(&["--format", "svg"]));
    let csv = render(&["--format=csv"]);
    assert!(csv.starts_with("panel,series,role,x,y,stderr"), "{csv}");
    assert_eq!(csv, render(&["--format", "csv"]));

    let dir = std::env::temp_dir().join(format!("sgd-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("fig2a.csv");
    let path = out.to_string_lossy().to_string();
    assert_eq!(render(&[&format!("--out={path}")]), "");
    assert_eq!(std::fs::read_to_string(&out).expect("written"), csv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_reads_its_configuration_file_with_either_form() {
    let file = TempFile::new("render.conf", "# Fig. 2(a)\nfig=2a\n");
    let expected = run_with(&["render", "fig=2a", "--theory-only", "--format=csv"]);
    assert_eq!(expected.code, EXIT_OK, "{}", expected.stderr);
    for config in [
        vec!["--config", file.path()],
        vec![&format!("--config={}", file.path())],
    ] {
        let mut args = vec!["render"];
        args.extend(config.iter().copied());
        args.extend(["--theory-only", "--format", "csv"]);
        let outcome = run_with(&args);
        assert_eq!(outcome.code, EXIT_OK, "{args:?}: {}", outcome.stderr);
        assert_eq!(outcome.stdout, expected.stdout, "{args:?}");
    }
}

#[test]
fn option_mistakes_name_the_option_the_value_and_what_is_allowed() {
    for (args, message) in [
        (
            vec!["render", "fig=2a", "--colour", "red"],
            "error: unknown option '--colour'; allowed with render: --config FILE, \
             --format svg|png|csv|table, --out FILE, --width PIXELS, --height PIXELS, \
             --theme light|dark, --theory-only, --threads N, --help (-h)",
        ),
        (
            vec!["render", "fig=2a", "--colour=red"],
            "error: unknown option '--colour'",
        ),
        (vec!["render", "fig=2a", "-x"], "error: unknown option '-x'"),
        // render's options are not solve's.
        (
            vec!["solve", "lr=1", "--width", "800"],
            "error: unknown option '--width'; allowed with solve: --config FILE, --threads N, --help \
             (-h)",
        ),
        (
            vec!["simulate", "lr=1", "--theory-only"],
            "error: unknown option '--theory-only'; allowed with simulate: --config FILE, \
             --threads N, --help (-h)",
        ),
        // A missing value, at the end of the command line.
        (
            vec!["render", "fig=2a", "--width"],
            "error: --width needs a number of pixels",
        ),
        (
            vec!["render", "fig=2a", "--height"],
            "error: --height needs a number of pixels",
        ),
        (
            vec!["render", "fig=2a", "--out"],
            "error: --out needs a file name",
        ),
        (
            vec!["render", "fig=2a", "--format"],
            "error: --format needs a format (svg, png, csv or table)",
        ),
        (
            vec!["render", "fig=2a", "--theme"],
            "error: --theme needs a theme (light or dark)",
        ),
        (
            vec!["render", "--config"],
            "error: --config needs a file name",
        ),
        // Invalid values, in either form.
        (
            vec!["render", "fig=2a", "--width=50"],
            "error: --width: invalid value '50'; allowed: an integer in [100, 8000]",
        ),
        (
            vec!["render", "fig=2a", "--height", "wide"],
            "error: --height: invalid value 'wide'; allowed: an integer in [100, 8000]",
        ),
        (
            vec!["render", "fig=2a", "--theme=blue"],
            "error: --theme: invalid value 'blue'; allowed: light or dark",
        ),
        (
            vec!["render", "fig=2a", "--format=gif"],
            "error: --format: invalid value 'gif'; allowed: svg, png, csv or table",
        ),
        (
            vec!["render", "fig=2a", "--theory-only=yes"],
            "error: --theory-only: invalid value 'yes'; allowed: no value (--theory-only is a \
             flag)",
        ),
    ] {
        let outcome = run_with(&args);
        assert_eq!(outcome.code, EXIT_USAGE, "{args:?}");
        assert_eq!(outcome.stdout, "", "{args:?}");
        let first = outcome.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with(message), "{args:?}: {}", outcome.stderr);
        assert!(
            outcome.stderr.contains("usage: sgd-playground solve"),
            "{args:?}"
        );
    }
    // Help is an option like the others, in either place.
    for args in [["render", "--help"], ["render", "-h"]] {
        let outcome = run_with(&args);
        assert_eq!(outcome.code, EXIT_OK, "{args:?}");
        assert!(outcome.stdout.starts_with("usage: sgd-playground render"));
    }
}
