//! The browser page: reads `lr` from the URL, solves the 1-D SGD problem with the engine
//! ([`crate::solver::stationary`] on a [`crate::model::Problem`]) and writes the result into the
//! page's `#app` element.
//!
//! This layer only converts (URL text → λ, numbers → text) and dispatches. Everything taken from
//! the URL reaches the page through `textContent` or an attribute value, never as HTML.

use nalgebra::DMatrix;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, UrlSearchParams};

use crate::error::FieldError;
use crate::model::{Noise, Optimizer, Problem};
use crate::solver;

/// Id of the element the page renders into; without it, [`start`] does nothing.
pub const ROOT_ID: &str = "app";
/// Id of the page's `lr` text field, refilled with the value in use (optional).
pub const INPUT_ID: &str = "lr";
/// URL query key of the learning rate.
pub const LEARNING_RATE_KEY: &str = "lr";
/// λ used when the URL has no (valid) `lr`.
pub const DEFAULT_LEARNING_RATE: f64 = 1.0;
/// Curvature k of the 1-D loss L(w) = kw²/2.
pub const CURVATURE: f64 = 1.0;
/// Gradient-noise variance σ².
pub const NOISE_VARIANCE: f64 = 1.0;
/// Longest piece of a URL value echoed back in a message.
const MAX_ECHO_CHARS: usize = 40;

/// What the page shows for one `lr` value.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Why the URL's `lr` was not used (then λ is [`DEFAULT_LEARNING_RATE`]).
    pub notice: Option<String>,
    /// The learning rate λ actually solved for.
    pub learning_rate: f64,
    /// The stationary Var[w], or the solver's divergence reason.
    pub variance: Result<f64, String>,
    /// The one-line result shown on the page.
    pub summary: String,
}

/// Entry point: renders into `#app` from the page URL; a no-op when `#app` is missing (as in the
/// wasm-bindgen test page).
#[wasm_bindgen(start)]
pub fn start() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(root) = document.get_element_by_id(ROOT_ID) else {
        return;
    };
    let search = window.location().search().unwrap_or_default();
    let raw = learning_rate_param(&search);
    if let Err(error) = render(&document, &root, raw.as_deref()) {
        web_sys::console::error_2(
            &JsValue::from_str("sgd-playground: rendering failed"),
            &error,
        );
    }
}

/// The raw `lr` value of a query string such as `?lr=1.5` (first one if repeated, percent-decoded).
pub fn learning_rate_param(search: &str) -> Option<String> {
    UrlSearchParams::new_with_str(search)
        .ok()?
        .get(LEARNING_RATE_KEY)
}

/// Replaces the content of `root` with the report for the raw `lr` value (`None`: no `lr` in the
/// URL), and refills the `#lr` field if the page has one.
///
/// # Errors
/// A DOM exception from creating or appending an element.
pub fn render(
    document: &Document,
    root: &Element,
    raw_learning_rate: Option<&str>,
) -> Result<(), JsValue> {
    let report = report(raw_learning_rate);
    root.set_text_content(None);
    if let Some(notice) = &report.notice {
        append_paragraph(document, root, "notice", notice)?;
    }
    let state = if report.variance.is_ok() {
        "result stationary"
    } else {
        "result diverged"
    };
    append_paragraph(document, root, state, &report.summary)?;
    if let Some(input) = document.get_element_by_id(INPUT_ID) {
        let shown = match (raw_learning_rate, &report.notice) {
            (Some(raw), Some(_)) => echo(raw),
            _ => format_number(report.learning_rate),
        };
        input.set_attribute("value", &shown)?;
    }
    Ok(())
}

fn append_paragraph(
    document: &Document,
    root: &Element,
    class: &str,
    text: &str,
) -> Result<(), JsValue> {
    let paragraph = document.create_element("p")?;
    paragraph.set_class_name(class);
    paragraph.set_text_content(Some(text));
    root.append_child(&paragraph)?;
    Ok(())
}

/// Solves the 1-D problem (k = [`CURVATURE`], σ² = [`NOISE_VARIANCE`], plain SGD) for the raw `lr`
/// value, falling back to [`DEFAULT_LEARNING_RATE`] with a notice when it is invalid.
pub fn report(raw_learning_rate: Option<&str>) -> Report {
    let (problem, notice) = match raw_learning_rate.map(problem_for) {
        None => (problem_with_default(), None),
        Some(Ok(problem)) => (Some(problem), None),
        Some(Err(error)) => {
            let notice = format!(
                "{error}. Showing the default λ = {} instead.",
                format_number(DEFAULT_LEARNING_RATE)
            );
            (problem_with_default(), Some(notice))
        }
    };
    let Some(problem) = problem else {
        // Unreachable: the default problem is valid. Kept total so that nothing can panic.
        return Report {
            notice,
            learning_rate: DEFAULT_LEARNING_RATE,
            variance: Err("the default problem is invalid".to_string()),
            summary: "Internal error: the default problem is invalid.".to_string(),
        };
    };
    let learning_rate = problem
        .optimizer()
        .learning_rate()
        .unwrap_or(DEFAULT_LEARNING_RATE);
    let setting = format!(
        "λ = {}, k = {}, σ² = {}",
        format_number(learning_rate),
        format_number(CURVATURE),
        format_number(NOISE_VARIANCE)
    );
    // Mandt et al.'s continuous-time prediction, for contrast: finite for every λ.
    let continuous = learning_rate * NOISE_VARIANCE / (2.0 * CURVATURE);
    let (variance, summary) = match solver::stationary(&problem) {
        Ok(stationary) => {
            let variance = stationary.sigma[(0, 0)];
            let summary = format!(
                "Var[w] = {} for {setting} (discrete theory Σ = λσ²/(k(2−λk)); continuous-time λσ²/(2k) = {})",
                format_number(variance),
                format_number(continuous)
            );
            (Ok(variance), summary)
        }
        Err(divergence) => {
            let summary = format!(
                "No stationary distribution for {setting}: {divergence}. (The continuous-time theory would still predict λσ²/(2k) = {}.)",
                format_number(continuous)
            );
            (Err(divergence.reason), summary)
        }
    };
    Report {
        notice,
        learning_rate,
        variance,
        summary,
    }
}

fn problem_with_default() -> Option<Problem> {
    one_d_problem(DEFAULT_LEARNING_RATE).ok()
}

/// Parses and validates the raw `lr` text; the error names the key, the value as written and the
/// allowed range.
fn problem_for(raw: &str) -> Result<Problem, FieldError> {
    let invalid = || {
        FieldError::new(
            LEARNING_RATE_KEY,
            echo(raw),
            "a finite number > 0 (stationary only for λk < 2)",
        )
    };
    let learning_rate: f64 = raw.trim().parse().map_err(|_| invalid())?;
    // The model validates λ (finite, > 0); keep its verdict but show the value as the user wrote it.
    one_d_problem(learning_rate).map_err(|_| invalid())
}

fn one_d_problem(learning_rate: f64) -> Result<Problem, crate::error::FieldErrors> {
    Problem::new(
        Some(DMatrix::from_element(1, 1, CURVATURE)),
        Noise::Gaussian {
            covariance: DMatrix::from_element(1, 1, NOISE_VARIANCE),
        },
        Optimizer::Sgd { learning_rate },
    )
}

/// A URL value shortened for messages.
fn echo(raw: &str) -> String {
    if raw.chars().count() <= MAX_ECHO_CHARS {
        raw.to_string()
    } else {
        let head: String = raw.chars().take(MAX_ECHO_CHARS).collect();
        format!("{head}…")
    }
}

/// A number rounded to 12 significant digits, printed in its shortest form (`3`, not
/// `2.9999999999999996`), with an exponent when very large or small.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    if rounded != 0.0 && (rounded.abs() >= 1e6 || rounded.abs() < 1e-4) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

/// The simulator benchmark in the browser engine (`scripts/bench-wasm.cjs`): runs the workload of
/// `sim::workload` named `2a` or `3` with `particles` particles per learning rate for `steps` steps
/// and returns `[particle-steps done, checksum]` (the checksum equals the native benchmark's: the
/// simulation is bit-identical across targets). The caller times it.
#[wasm_bindgen]
pub fn bench_simulation(workload: &str, particles: u32, steps: u32) -> Vec<f64> {
    match crate::sim::workload::Workload::from_name(workload) {
        Some(w) => {
            let (work, checksum) =
                crate::sim::workload::run(w, particles as usize, u64::from(steps));
            vec![work, checksum]
        }
        None => vec![0.0, f64::NAN],
    }
}

/// Benchmark hook for `scripts/bench-wasm.cjs`: builds the figure of the configuration text and
/// computes its theory (`simulate = false`) or runs its whole simulation (`simulate = true`).
/// Returns the number of simulated points drawn (0 for theory only), or −1 for an invalid
/// configuration. The caller times it.
#[wasm_bindgen]
pub fn bench_figure(config_text: &str, simulate: bool) -> f64 {
    let Ok(config) = crate::config::Config::parse(config_text) else {
        return -1.0;
    };
    let Ok(experiment) = crate::experiments::Experiment::new(&config) else {
        return -1.0;
    };
    if !simulate {
        return if experiment.theory().panels.is_empty() {
            -1.0
        } else {
            0.0
        };
    }
    let mut run = experiment.simulation();
    while !run.is_done() {
        run.advance(10_000_000);
    }
    experiment
        .figure(&run)
        .panels
        .iter()
        .map(|panel| {
            panel
                .points
                .iter()
                .map(|series| series.points.len())
                .sum::<usize>()
        })
        .sum::<usize>() as f64
}
