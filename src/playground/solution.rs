//! The exact solver's answer for a landscape configuration (a link without `fig`), in the three
//! forms the CLI and the page share: the JSON object `sgd-playground solve` prints, readable text
//! for the page's solver panel, and a CSV of every number for scripts.

use nalgebra::DMatrix;

use super::describe::readable;
use crate::config::format_number;
use crate::config::Config;
use crate::conventions::framework_code;
use crate::error::FieldErrors;
use crate::json::Json;
use crate::model::{Optimizer, Problem};
use crate::solver::adaptive::{AdaptiveStationary, ADAPTIVE_GAP_PER_UNIT, ADAPTIVE_TRUSTED_GAP};
use crate::solver::{self, Divergence, Stability, Stationary};

/// Most rows and columns of a matrix the readable text prints (the JSON and CSV have them all).
const MAX_SHOWN: usize = 12;

/// The model of a landscape configuration with its exact answer.
pub struct Solution {
    /// The validated model (built once: its optimizer and conventions give the framework code).
    pub problem: Problem,
    /// The stationary state, or why there is none.
    pub result: Result<Stationary, Divergence>,
    /// For Adam, AdamW and RMSprop: how the β₂ → 1 fixed point was found, v, the effective
    /// learning rates and the SDE prediction.
    pub adaptive: Option<AdaptiveStationary>,
}

/// The exact result of `config`'s landscape: the stationary state, or why there is none.
///
/// # Errors
/// The configuration's problems (each naming a key) when it is not a valid model.
pub fn solve(config: &Config) -> Result<Solution, FieldErrors> {
    Ok(Solution::of(config.to_problem()?))
}

impl Solution {
    /// The exact answer for a validated model.
    pub fn of(problem: Problem) -> Self {
        if matches!(problem.optimizer(), Optimizer::Adaptive { .. }) {
            let found = solver::adaptive::stationary(&problem);
            let result = match &found {
                Ok(solution) => Ok(solution.stationary.clone()),
                Err(divergence) => Err(divergence.clone()),
            };
            return Solution {
                problem,
                result,
                adaptive: found.ok(),
            };
        }
        let result = solver::stationary(&problem);
        Solution {
            problem,
            result,
            adaptive: None,
        }
    }
}

/// How far the β₂ → 1 limit is from the real optimizer at this β₂, in words, when it matters
/// (`docs/adam.md`: the gap measured by simulation grows about in proportion to 1 − β₂).
pub fn beta2_note(problem: &Problem) -> Option<String> {
    let Optimizer::Adaptive { method, .. } = problem.optimizer() else {
        return None;
    };
    let gap = 1.0 - method.beta2;
    (gap > ADAPTIVE_TRUSTED_GAP).then(|| {
        format!(
            "β₂ = {}: the β₂ → 1 limit is an approximation; at 1 − β₂ = {} the real optimizer's loss \
             differs from it by up to about {}% (measured for λk* ≤ 9, docs/adam.md); below \
             1 − β₂ = {} the gap stays under {}%",
            format_number(method.beta2),
            readable(gap),
            readable(ADAPTIVE_GAP_PER_UNIT * gap * 100.0),
            format_number(ADAPTIVE_TRUSTED_GAP),
            readable(ADAPTIVE_GAP_PER_UNIT * ADAPTIVE_TRUSTED_GAP * 100.0)
        )
    })
}

/// The JSON of the β₂ → 1 solution's extras: the label, v, the effective rates, the fixed-point
/// search and the SDE prediction.
fn adaptive_members(
    problem: &Problem,
    adaptive: Option<&AdaptiveStationary>,
) -> Vec<(&'static str, Json)> {
    if !matches!(problem.optimizer(), Optimizer::Adaptive { .. }) {
        return Vec::new();
    }
    let mut members = vec![("approximation", Json::from("beta2 -> 1"))];
    if let Some(note) = beta2_note(problem) {
        members.push(("warning", Json::from(note.as_str())));
    }
    if let Some(a) = adaptive {
        members.push((
            "adaptive",
            Json::object([
                ("second_moment", Json::vector(&a.second_moment)),
                (
                    "effective_learning_rates",
                    Json::vector(&a.effective_learning_rates),
                ),
                ("fixed_point_iterations", Json::from(a.iterations as f64)),
                ("fixed_point_residual", Json::from(a.residual)),
                ("fixed_points_found", Json::from(a.fixed_points as f64)),
                ("starts", Json::from(a.starts as f64)),
                ("slow_dynamics_stable", Json::from(a.slow_stable)),
                (
                    "sde",
                    Json::object([
                        (
                            "sigma",
                            a.sde_sigma.as_ref().map_or(Json::Null, Json::matrix),
                        ),
                        (
                            "train_loss",
                            a.sde_train_loss.map_or(Json::Null, Json::from),
                        ),
                        (
                            "reference",
                            Json::from(
                                "Malladi, Lyu, Panigrahi, Arora (2022), On the SDEs and Scaling Rules for Adaptive Gradient Algorithms: λ → 0, v = diag(C)",
                            ),
                        ),
                    ]),
                ),
            ]),
        ));
    }
    members
}

/// The JSON object of `sgd-playground solve`: the configuration, the optimizer and noise, whether
/// it diverges, Σ, the mean, the training loss, the state and noise covariances, the
/// preconditioner and the stability diagnostics (`null` where a diverging run has none).
pub fn solution_json(config: &Config, solution: &Solution) -> Json {
    let result = &solution.result;
    let (opt, noise) = config.quadratic().map_or(("", ""), |quadratic| {
        (quadratic.optimizer.name(), quadratic.noise.name())
    });
    let mut members = vec![
        ("config", Json::from(config.to_text())),
        ("opt", Json::from(opt)),
        ("noise", Json::from(noise)),
        ("diverges", Json::from(result.is_err())),
        (
            "framework",
            framework_json(solution.problem.optimizer(), solution.problem.conventions()),
        ),
    ];
    members.extend(adaptive_members(
        &solution.problem,
        solution.adaptive.as_ref(),
    ));
    let stability = match result {
        Ok(stationary) => {
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
            &stationary.stability
        }
        Err(divergence) => {
            members.extend([
                ("reason", Json::from(divergence.reason.as_str())),
                ("sigma", Json::Null),
                ("mean", Json::Null),
                ("train_loss", Json::Null),
                ("state_covariance", Json::Null),
                ("preconditioner", Json::Null),
                ("noise_covariance", Json::Null),
            ]);
            &divergence.stability
        }
    };
    members.extend(stability_members(stability));
    Json::object(members)
}

/// The PyTorch and optax code of the model's optimizer.
fn framework_json(
    optimizer: &crate::model::Optimizer,
    conventions: &crate::model::Conventions,
) -> Json {
    let code = framework_code(optimizer, conventions);
    Json::object([
        ("pytorch", Json::from(code.pytorch.as_str())),
        ("optax", Json::from(code.optax.as_str())),
    ])
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

/// The stability margin in words: `λk* = 1.5 < 2 (75% of the threshold; margin 0.5)`.
fn stability_text(stability: &Stability, stable: bool) -> String {
    let (lhs, rhs) = stability
        .condition
        .split_once(" < ")
        .unwrap_or(("λk*", "threshold"));
    let threshold = readable(stability.threshold);
    let bound = if rhs == threshold {
        threshold
    } else {
        format!("{rhs} = {threshold}")
    };
    format!(
        "{lhs} = {} {} {bound} ({}% of the threshold; margin {})",
        readable(stability.effective_curvature),
        if stable { "<" } else { "≥" },
        readable(100.0 * stability.margin_ratio()),
        readable(stability.threshold - stability.effective_curvature)
    )
}

/// A matrix as aligned rows of readable numbers (at most [`MAX_SHOWN`] rows and columns).
fn matrix_lines(text: &mut String, name: &str, m: &DMatrix<f64>) {
    text.push_str(&format!("{name} =\n"));
    for i in 0..m.nrows().min(MAX_SHOWN) {
        let row: Vec<String> = (0..m.ncols().min(MAX_SHOWN))
            .map(|j| format!("{:>11}", readable(m[(i, j)])))
            .collect();
        text.push_str(&format!("  {}\n", row.join(" ")));
    }
    if m.nrows() > MAX_SHOWN || m.ncols() > MAX_SHOWN {
        text.push_str(&format!(
            "  … ({}×{}; the JSON and CSV downloads have all of it)\n",
            m.nrows(),
            m.ncols()
        ));
    }
}

/// What `solve` returns, for people: stationary or diverging (said once), the training loss, the
/// stability condition with its margin, the spectral radius, Σ, the mean when it is not 0, the
/// stationary noise covariance and the preconditioner used (4 significant digits).
pub fn solution_text(config: &Config) -> String {
    let solution = match solve(config) {
        Ok(solution) => solution,
        Err(problems) => {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return text.join("\n");
        }
    };
    let mut text = String::new();
    if matches!(solution.problem.optimizer(), Optimizer::Adaptive { .. }) {
        text.push_str("approximation: the β₂ → 1 limit (v frozen at its fixed point; the simulator runs the real optimizer)\n");
        if let Some(note) = beta2_note(&solution.problem) {
            text.push_str(&format!("warning: {note}\n"));
        }
    }
    match &solution.result {
        Ok(stationary) => {
            let sigma = &stationary.sigma;
            text.push_str("stationary: a stationary distribution exists\n");
            text.push_str(&format!(
                "training loss L = ½Tr[KΣ] = {}\n",
                readable(stationary.train_loss)
            ));
            text.push_str(&format!(
                "stability: {}\n",
                stability_text(&stationary.stability, true)
            ));
            text.push_str(&format!(
                "spectral radius of the dynamics: {} (< 1)\n",
                readable(stationary.stability.spectral_radius)
            ));
            if sigma.nrows() == 1 {
                text.push_str(&format!(
                    "stationary Var[w] = {}\n",
                    readable(sigma[(0, 0)])
                ));
            }
            matrix_lines(&mut text, "Σ", sigma);
            if stationary.mean.iter().any(|&m| m != 0.0) {
                let mean: Vec<String> = stationary.mean.iter().map(|&m| readable(m)).collect();
                text.push_str(&format!("mean of w = [{}]\n", mean.join(", ")));
            }
            matrix_lines(
                &mut text,
                "noise covariance at stationarity C",
                &stationary.noise_covariance,
            );
            if let Some(a) = &solution.adaptive {
                let list = |v: &nalgebra::DVector<f64>| {
                    v.iter()
                        .map(|&x| readable(x))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                text.push_str(&format!(
                    "second moment v = diag(K_g Σ K_g + C) = [{}]\neffective learning rates λ/(√v + ε) = [{}]\n",
                    list(&a.second_moment),
                    list(&a.effective_learning_rates)
                ));
                text.push_str(&format!(
                    "fixed point: {} Newton steps, residual {}, {} found from {} starts, {}\n",
                    a.iterations,
                    readable(a.residual),
                    a.fixed_points,
                    a.starts,
                    if a.slow_stable {
                        "attracting for v's slow dynamics"
                    } else {
                        "NOT attracting for v's slow dynamics"
                    }
                ));
                if let Some(loss) = a.sde_train_loss {
                    text.push_str(&format!(
                        "continuous-time (SDE, Malladi et al. 2022) loss: {}\n",
                        readable(loss)
                    ));
                }
            } else if let Some(p) = &stationary.preconditioner {
                matrix_lines(&mut text, "preconditioner used Λ", p);
            }
        }
        Err(divergence) => {
            // Said once, with readable numbers (the engine's reason, with every digit, is in the
            // JSON download).
            let stability = &divergence.stability;
            if stability.effective_curvature.is_finite() && stability.threshold.is_finite() {
                text.push_str(&format!(
                    "diverges: no stationary distribution; {}\n",
                    stability_text(stability, false)
                ));
            } else {
                text.push_str(&divergence.reason);
                text.push('\n');
            }
            text.push_str(&format!(
                "spectral radius of the dynamics: {}\n",
                readable(divergence.stability.spectral_radius)
            ));
        }
    }
    let code = framework_code(solution.problem.optimizer(), solution.problem.conventions());
    text.push_str(&format!(
        "as code (PyTorch): {}\nas code (optax): {}\n",
        code.pytorch, code.optax
    ));
    text
}

/// The PyTorch and optax constructions of every method the theory explorer compares (the
/// explorer's "Copy as code"), one block per method; `None` for another figure.
pub fn explorer_code(config: &Config) -> Option<String> {
    let Some(crate::config::FigureConfig::Explorer(explorer)) = &config.figure else {
        return None;
    };
    let blocks: Vec<String> = explorer
        .methods
        .iter()
        .map(|method| match explorer.problem(method) {
            Ok(problem) => {
                let code = framework_code(problem.optimizer(), problem.conventions());
                format!("# {method}\n{}\n{}", code.pytorch, code.optax)
            }
            Err(problems) => format!("# {method}: {problems}"),
        })
        .collect();
    Some(blocks.join("\n\n"))
}

/// The PyTorch and optax construction of the configuration's optimizer, `None` without a valid
/// model ([`framework_code`]).
pub fn framework(config: &Config) -> Option<crate::conventions::FrameworkCode> {
    let problem = config.to_problem().ok()?;
    Some(framework_code(problem.optimizer(), problem.conventions()))
}

/// Every number of the answer at full precision, one per line: `quantity,i,j,value` (i, j
/// 1-based for a matrix entry, empty for a scalar). A diverging configuration has only its
/// stability numbers and `diverges,,,1`.
///
/// # Errors
/// The configuration's problems when it is not a valid model.
pub fn solution_csv(config: &Config) -> Result<String, FieldErrors> {
    let result = solve(config)?;
    let mut out = String::from("quantity,i,j,value\n");
    let scalar = |out: &mut String, name: &str, value: f64| {
        if value.is_finite() {
            out.push_str(&format!("{name},,,{}\n", format_number(value)));
        }
    };
    let matrix = |out: &mut String, name: &str, m: &DMatrix<f64>| {
        for i in 0..m.nrows() {
            for j in 0..m.ncols() {
                out.push_str(&format!(
                    "{name},{},{},{}\n",
                    i + 1,
                    j + 1,
                    format_number(m[(i, j)])
                ));
            }
        }
    };
    let stability = match &result.result {
        Ok(stationary) => {
            scalar(&mut out, "diverges", 0.0);
            scalar(&mut out, "train_loss", stationary.train_loss);
            matrix(&mut out, "sigma", &stationary.sigma);
            for (i, &m) in stationary.mean.iter().enumerate() {
                out.push_str(&format!("mean,{},,{}\n", i + 1, format_number(m)));
            }
            matrix(&mut out, "noise_covariance", &stationary.noise_covariance);
            if let Some(p) = &stationary.preconditioner {
                matrix(&mut out, "preconditioner", p);
            }
            &stationary.stability
        }
        Err(divergence) => {
            scalar(&mut out, "diverges", 1.0);
            &divergence.stability
        }
    };
    scalar(
        &mut out,
        "effective_curvature",
        stability.effective_curvature,
    );
    scalar(&mut out, "threshold", stability.threshold);
    scalar(&mut out, "fraction_of_threshold", stability.margin_ratio());
    scalar(&mut out, "spectral_radius", stability.spectral_radius);
    Ok(out)
}

/// `solve`'s `curve` and `final` members for a schedule over a dense model: the expected loss at
/// the listed steps with the rate of each, then Σ_T, E[w_T] and L_T.
pub fn curve_members(run: &crate::solver::curve::ScheduledRun) -> [(&'static str, Json); 2] {
    [
        ("curve", loss_curve_json(&run.curve)),
        (
            "final",
            Json::object([
                (
                    "steps",
                    Json::from(run.curve.times.last().copied().unwrap_or(0)),
                ),
                ("sigma", Json::matrix(&run.sigma)),
                ("mean", Json::vector(&run.mean)),
                ("train_loss", Json::from(run.train_loss)),
            ]),
        ),
    ]
}

/// `{"t": […], "lr": […], "train_loss": […]}`.
pub fn loss_curve_json(curve: &crate::solver::curve::LossCurve) -> Json {
    let times: Vec<f64> = curve.times.iter().map(|&t| t as f64).collect();
    Json::object([
        ("t", Json::numbers(&times)),
        ("lr", Json::numbers(&curve.rates)),
        ("train_loss", Json::numbers(&curve.train_loss)),
    ])
}

/// `solve` for K given by its spectrum: per-mode variances in K's eigenbasis (no D×D matrix),
/// the stationary state at `lr`, and with `steps` or a schedule the exact loss curve and the final
/// per-mode means and variances. `map_blocks` runs the curve's blocks of modes (on threads in the
/// command line); their results are summed in block order, so the numbers do not depend on it.
pub fn spectral_json(
    config: &Config,
    problem: &crate::solver::curve::SpectralProblem,
    map_blocks: impl FnOnce(
        Vec<std::ops::Range<usize>>,
        &(dyn Fn(std::ops::Range<usize>) -> crate::solver::curve::ModeBlock + Sync),
    ) -> Vec<crate::solver::curve::ModeBlock>,
) -> Json {
    let quadratic = config.quadratic();
    let spectrum = quadratic.map_or(String::new(), |q| match &q.noise {
        crate::config::NoiseConfig::Gaussian { hessian, .. } => hessian.to_string(),
        _ => String::new(),
    });
    let mut members = vec![
        ("config", Json::from(config.to_text())),
        ("opt", Json::from(problem.optimizer.name())),
        ("noise", Json::from("gauss")),
        ("spectrum", Json::from(spectrum)),
        ("dimension", Json::from(problem.eigenvalues.len())),
        (
            "basis",
            Json::from(
                "per mode in K's eigenbasis: K = diag(k), k_i largest first, C = σ²·I + a·K; \
                 variances and means are per mode (no D×D matrix is written)",
            ),
        ),
        (
            "framework",
            framework_json(&problem.optimizer, &problem.conventions),
        ),
        ("eigenvalues", Json::numbers(&problem.eigenvalues)),
    ];
    if let Some(solution) = problem.stationary() {
        members.push(("diverges", Json::from(solution.stationary.is_err())));
        match &solution.stationary {
            Ok(variances) => members.extend([
                ("variance", Json::numbers(variances)),
                (
                    "train_loss",
                    Json::from(solution.stationary_loss.unwrap_or(f64::NAN)),
                ),
            ]),
            Err(reason) => members.extend([
                ("reason", Json::from(reason.as_str())),
                ("variance", Json::Null),
                ("train_loss", Json::Null),
            ]),
        }
        members.extend(stability_members(&solution.stability));
    }
    let curve = quadratic.and_then(|q| {
        let points = q.curve_points?;
        crate::solver::curve::ScheduledDynamics::new(
            &problem.optimizer,
            &problem.conventions,
            &q.schedule,
            config.simulation.steps,
            points,
        )
    });
    if let Some(dynamics) = curve {
        let noise = problem.noise();
        let blocks = map_blocks(problem.blocks(), &|range| {
            problem.curve_block(&dynamics, &noise, range)
        });
        let curve = dynamics.curve(&blocks);
        let final_loss = curve.train_loss.last().copied().unwrap_or(f64::NAN);
        let mean: Vec<f64> = blocks.iter().flat_map(|b| b.mean.iter().copied()).collect();
        let variance: Vec<f64> = blocks
            .iter()
            .flat_map(|b| b.variance.iter().copied())
            .collect();
        members.push(("curve", loss_curve_json(&curve)));
        members.push((
            "final",
            Json::object([
                ("steps", Json::from(config.simulation.steps)),
                ("variance", Json::numbers(&variance)),
                ("mean", Json::numbers(&mean)),
                ("train_loss", Json::from(final_loss)),
            ]),
        ));
    }
    Json::object(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text).expect("valid")
    }

    #[test]
    fn the_text_has_what_solve_returns_readably() {
        let text = solution_text(&config("opt=sgdm&mu=0.5&lr=1&K=2,0;0,1&C=1"));
        for part in [
            "training loss L = ½Tr[KΣ] = ",
            "stability: λk* = 2 < 2(1+μ) = 3 (66.67% of the threshold; margin 1)",
            "% of the threshold; margin ",
            "spectral radius of the dynamics: ",
            "Σ =\n",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        // Readable: no number printed with more than 4 significant digits.
        assert!(!text.contains("0000000"), "{text}");
    }

    #[test]
    fn divergence_is_said_once() {
        let text = solution_text(&config("lr=2.5"));
        assert_eq!(text.matches("diverges").count(), 1, "{text}");
        assert!(text.starts_with("diverges: "), "{text}");
        assert!(text.contains("spectral radius"), "{text}");
    }

    #[test]
    fn the_csv_has_every_number_at_full_precision() {
        let config = config("lr=0.3&K=2,0.5;0.5,1&C=1,0;0,2");
        let result = solve(&config).expect("valid").result.expect("stationary");
        let csv = solution_csv(&config).expect("valid");
        for i in 0..2 {
            for j in 0..2 {
                let line = csv
                    .lines()
                    .find(|l| l.starts_with(&format!("sigma,{},{},", i + 1, j + 1)))
                    .expect("entry");
                let value: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
                // Shortest round-trip text: the very same f64.
                assert_eq!(value, result.sigma[(i, j)]);
            }
        }
        let loss: f64 = csv
            .lines()
            .find_map(|l| l.strip_prefix("train_loss,,,"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(loss, result.train_loss);
        assert!(csv.contains("\nthreshold,,,2\n"), "{csv}");
    }
}
