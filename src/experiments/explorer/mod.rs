//! `fig=explorer`: Table 1 live. For one K, one noise C + aK (Theorem 3) and one set of
//! hyper-parameters, every chosen method's exact stationary Σ (the engine), the paper's closed form
//! (Table 1, "this work", corrected per `ERRATA.md`), the continuous-time prediction (Table 1,
//! "previous work", Eq. 4), the training loss ½Tr\[KΣ\] three ways, the stability margin, and the
//! `sgd-playground solve` configuration that reproduces the row.
//!
//! Panels: for a 2-D K, the 3σ ellipses {wᵀΣ⁻¹w = 9} of every method's exact Σ in the plain
//! coordinates (w₁, w₂), with the simulated cloud of one method if asked; for any D, the variance
//! of each of K's modes (Σ in K's eigenbasis, diagonal) against the mode's curvature k_i.

mod panels;
mod table;

use nalgebra::DMatrix;

use super::common::{count, ellipse, exact, extents, inside, matrix2, short, task_seed};
use super::data::{
    Curve, ErrorPoint, FigureData, Panel, PointSeries, Role, Scale, Scatter, Table, TableValue,
};
use super::fig3::{gaussian_fraction_inside, matrix_text, SIGMAS};
use super::run::{Measure, Outcome, Task, TaskKind, TaskLabel};
use super::FigurePlan;
use crate::closed_forms::{
    continuous, discrete, relative_commutator, second_order, ClosedFormError, Commutation,
};
use crate::config::format_number;
use crate::config::{angle_applies, rotated_hessian, ExplorerFigureConfig, MatrixSpec};
use crate::error::FieldErrors;
use crate::linalg::SymmetricEigen;
use crate::model::{Conventions, Optimizer, Problem};
use crate::sim::{EnsembleSpec, Start};
use crate::solver::{self, Stability, Stationary};

/// Relative commutator ‖KC − CK‖_F/(‖K‖_F‖C‖_F) above which a closed form that assumes
/// [C, K] = 0 is flagged (commuting matrices built in floating point stay near 1e-16).
pub(crate) const COMMUTATOR_FLAG: f64 = 1e-12;

/// The paper's closed form for one method's Σ.
pub(super) struct ClosedSigma {
    /// Σ, or why the formula cannot be evaluated.
    sigma: Result<DMatrix<f64>, ClosedFormError>,
    /// Where it comes from, e.g. `Cor. 1`.
    source: &'static str,
    /// The relative commutator of the matrices the formula needs to commute (`None`: the formula
    /// holds for any C).
    commutator: Option<f64>,
}

/// One method's row: the exact engine result and the paper's formulas beside it.
pub(super) struct MethodTheory {
    /// The value of `methods` (`sgd`, `sgdm`, …).
    name: &'static str,
    /// The engine's model (also what a simulation runs).
    problem: Problem,
    /// The exact stationary state, or why there is none.
    exact: Result<Stationary, String>,
    /// The stability diagnostics (also of a diverging method).
    stability: Stability,
    /// Table 1, "this work" (`None`: not in the paper, e.g. Nesterov).
    closed: Option<ClosedSigma>,
    /// Table 1's approximation error (training loss), with its source.
    closed_loss: Option<(Result<f64, ClosedFormError>, &'static str)>,
    /// Continuous-time Σ (Eq. 4) with its source (`None`: no continuous-time result).
    continuous: Option<(Result<DMatrix<f64>, ClosedFormError>, &'static str)>,
    /// Continuous-time training loss λTr C/(4(1−μ)).
    continuous_loss: Option<Result<f64, ClosedFormError>>,
    /// The `sgd-playground solve` configuration of this row.
    solve_config: String,
}

/// The convention keys of a method's `solve` configuration that differ from the paper's rules.
fn convention_pairs(conventions: &Conventions) -> Vec<String> {
    let paper = Conventions::PAPER;
    let mut pairs = Vec::new();
    if conventions.weight_decay != paper.weight_decay {
        pairs.push(format!("wd={}", format_number(conventions.weight_decay)));
    }
    if conventions.weight_decay_mode != paper.weight_decay_mode {
        pairs.push(format!("wd_mode={}", conventions.weight_decay_mode.name()));
    }
    if conventions.dampening != paper.dampening {
        pairs.push(format!(
            "dampening={}",
            format_number(conventions.dampening)
        ));
    }
    if conventions.momentum_form != paper.momentum_form {
        pairs.push(format!(
            "momentum_form={}",
            conventions.momentum_form.name()
        ));
    }
    if conventions.nesterov_form != paper.nesterov_form {
        pairs.push(format!(
            "nesterov_form={}",
            conventions.nesterov_form.name()
        ));
    }
    pairs
}

/// The conventions that differ from the paper's rules, in words for a caption (no key names: a
/// caption's `_` would read as a subscript).
fn convention_words(conventions: &Conventions) -> Vec<String> {
    let paper = Conventions::PAPER;
    let mut words = Vec::new();
    if conventions.weight_decay != paper.weight_decay {
        let mode = match conventions.weight_decay_mode {
            crate::model::WeightDecayMode::Coupled => "coupled",
            crate::model::WeightDecayMode::Decoupled => "decoupled",
        };
        words.push(format!(
            "{mode} weight decay wd = {}",
            format_number(conventions.weight_decay)
        ));
    }
    if conventions.dampening != paper.dampening {
        words.push(format!(
            "dampening τ = {}",
            format_number(conventions.dampening)
        ));
    }
    if conventions.momentum_form != paper.momentum_form {
        words.push("EMA momentum m ← μm + (1−μ)g".to_string());
    }
    if conventions.nesterov_form != paper.nesterov_form {
        words.push("Nesterov's look-ahead iterate w = θ + λμm".to_string());
    }
    words
}

/// The prepared explorer.
pub(crate) struct ExplorerPlan {
    config: ExplorerFigureConfig,
    /// K (rotated by `angle`).
    hessian: DMatrix<f64>,
    /// The noise C + aK.
    covariance: DMatrix<f64>,
    /// ‖KC − CK‖_F/(‖K‖_F‖C‖_F) of K and C + aK.
    commutator: f64,
    /// K's eigenvalues in increasing order and the matching eigenvectors (columns).
    curvatures: Vec<f64>,
    basis: DMatrix<f64>,
    /// One entry per chosen method, in table order.
    methods: Vec<MethodTheory>,
}

/// Display name of a method.
fn display_name(name: &str) -> &'static str {
    match name {
        "sgd" => "SGD",
        "sgdm" => "SGDM",
        "qhm" => "QHM",
        "nesterov" => "Nesterov",
        "dnm" => "DNM",
        "ngd" => "NGD",
        "adam" => "Adam (β₂ → 1)",
        _ => "preconditioned SGDM",
    }
}

/// First-order methods are drawn as discrete theory, the second-order and preconditioned ones as
/// exact theory (so that the legend's colours cycle within each group).
fn method_role(name: &str) -> Role {
    match name {
        "dnm" | "ngd" | "precond" | "adam" => Role::ExactTheory,
        _ => Role::DiscreteTheory,
    }
}

/// A matrix as configuration text that round-trips exactly: one number for 1×1, else rows
/// separated by `;`, entries by `,`.
fn config_matrix(m: &DMatrix<f64>) -> String {
    if m.nrows() == 1 && m.ncols() == 1 {
        return format_number(m[(0, 0)]);
    }
    (0..m.nrows())
        .map(|i| {
            (0..m.ncols())
                .map(|j| format_number(m[(i, j)]))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Σ in a table cell (4 significant digits): the number for D = 1, the matrix for D = 2, its
/// eigenvalues (decreasing) for D > 2.
pub(crate) fn sigma_text(sigma: &DMatrix<f64>) -> String {
    match sigma.nrows() {
        1 => short(sigma[(0, 0)]),
        2 => {
            let rows: Vec<String> = (0..2)
                .map(|i| format!("[{}, {}]", short(sigma[(i, 0)]), short(sigma[(i, 1)])))
                .collect();
            format!("[{}]", rows.join(", "))
        }
        _ => {
            let mut values: Vec<f64> = SymmetricEigen::new(sigma).values.iter().copied().collect();
            values.sort_by(|a, b| b.total_cmp(a));
            let text: Vec<String> = values.iter().map(|&v| short(v)).collect();
            format!("eigenvalues {}", text.join(", "))
        }
    }
}

/// Every entry of a matrix (4 significant digits), one row per line: `[a, b, c]`.
pub(crate) fn matrix_rows(m: &DMatrix<f64>) -> String {
    (0..m.nrows())
        .map(|i| {
            let row: Vec<String> = (0..m.ncols()).map(|j| short(m[(i, j)])).collect();
            format!("[{}]", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// max_ij |A_ij − B_ij| / √(B_ii B_jj): the largest difference of an entry relative to the scale of
/// its two variances in B (so a small variance's error is not hidden by a large one; 0 when A = B).
pub(crate) fn max_relative_difference(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    let mut largest = 0.0_f64;
    for i in 0..b.nrows() {
        for j in 0..b.ncols() {
            let difference = (a[(i, j)] - b[(i, j)]).abs();
            if difference > 0.0 {
                largest = largest.max(difference / (b[(i, i)] * b[(j, j)]).abs().sqrt());
            }
        }
    }
    largest
}

/// Whether every off-diagonal entry is zero.
fn is_diagonal(m: &DMatrix<f64>) -> bool {
    (0..m.nrows()).all(|i| (0..m.ncols()).all(|j| i == j || m[(i, j)] == 0.0))
}

/// The symmetric square root of a symmetric positive definite matrix.
fn symmetric_root(m: &DMatrix<f64>) -> DMatrix<f64> {
    SymmetricEigen::new(m).map(|s| s.max(0.0).sqrt())
}

/// Corollary 3 with Corollary 2: for Λ, K and C that commute, preconditioned SGDM is SGDM with
/// λ = 1 on K' = Λ^{1/2}KΛ^{1/2}, C' = Λ^{1/2}CΛ^{1/2} (`ERRATA.md`, augmented systems), i.e.
/// Σ = [ΛK(2I − ΛK/(1+μ))]⁻¹Λ²C/(1−μ). Returns Σ (evaluated with [`Commutation::Ignore`]), the
/// training loss (Eq. 27 on K', C': exact for any Λ and C) and the relative commutator of K', C'.
fn preconditioned_closed_form(
    hessian: &DMatrix<f64>,
    covariance: &DMatrix<f64>,
    preconditioner: &DMatrix<f64>,
    momentum: f64,
) -> (
    Result<DMatrix<f64>, ClosedFormError>,
    Result<f64, ClosedFormError>,
    f64,
) {
    let root = symmetric_root(preconditioner);
    let reduced_hessian = &root * hessian * &root;
    let reduced_hessian = (&reduced_hessian + reduced_hessian.transpose()) * 0.5;
    let reduced_noise = &root * covariance * &root;
    let reduced_noise = (&reduced_noise + reduced_noise.transpose()) * 0.5;
    let sigma = discrete::momentum_sigma(
        &reduced_hessian,
        &reduced_noise,
        1.0,
        momentum,
        Commutation::Ignore,
    )
    .map(|reduced| &root * reduced * &root);
    let loss = discrete::momentum_train_loss(&reduced_hessian, &reduced_noise, 1.0, momentum);
    let commutator = relative_commutator(&reduced_hessian, &reduced_noise);
    (sigma, loss, commutator)
}

impl ExplorerPlan {
    /// Solves every chosen method exactly and evaluates the paper's formulas beside it.
    ///
    /// # Errors
    /// Every problem the configuration's model finds (a `P` of the wrong size, …), each naming a
    /// key.
    pub(crate) fn new(config: &ExplorerFigureConfig) -> Result<Self, FieldErrors> {
        let hessian = rotated_hessian(&config.hessian, config.angle)?;
        let covariance = config.noise_covariance()?;
        let commutator = relative_commutator(&hessian, &covariance);
        let (mut curvatures, basis) = super::common::sorted_eigenbasis(&hessian);
        curvatures.reverse();
        let d = basis.ncols();
        let basis = DMatrix::from_fn(d, d, |i, j| basis[(i, d - 1 - j)]);
        let mut methods = Vec::new();
        for &name in &config.methods {
            let problem = config.problem(name)?;
            methods.push(Self::method_theory(
                config,
                name,
                problem,
                &hessian,
                &covariance,
                commutator,
            ));
        }
        Ok(Self {
            config: config.clone(),
            hessian,
            covariance,
            commutator,
            curvatures,
            basis,
            methods,
        })
    }

    fn method_theory(
        config: &ExplorerFigureConfig,
        name: &'static str,
        problem: Problem,
        hessian: &DMatrix<f64>,
        covariance: &DMatrix<f64>,
        commutator: f64,
    ) -> MethodTheory {
        let (lr, mu, nu) = (config.learning_rate, config.momentum, config.nu);
        let (exact, stability) = match solver::stationary(&problem) {
            Ok(stationary) => {
                let stability = stationary.stability.clone();
                (Ok(stationary), stability)
            }
            Err(divergence) => (Err(divergence.reason), divergence.stability),
        };
        let preconditioner = match problem.optimizer() {
            Optimizer::Preconditioned { preconditioner, .. } => Some(preconditioner.clone()),
            _ => None,
        };
        let commuting_only = |sigma, source| {
            Some(ClosedSigma {
                sigma,
                source,
                commutator: Some(commutator),
            })
        };
        let any_noise = |sigma, source| {
            Some(ClosedSigma {
                sigma,
                source,
                commutator: None,
            })
        };
        let ignore = Commutation::Ignore;
        // The frameworks' conventions map onto the paper's formulas where an identity exists:
        // coupled weight decay is the Hessian K + wd·I in the dynamics (the loss stays ½Tr[KΣ]),
        // dampening τ is λ(1 − τ), EMA momentum is λ(1 − μ). Decoupled decay has no closed form.
        let rule = problem.scalar_rule();
        let paper_rule = problem.conventions().is_paper_rule(problem.optimizer());
        let decoupled = rule.is_some_and(|rule| rule.decoupled_decay > 0.0);
        let (dynamics_hessian, lr) = match rule {
            Some(rule) if !paper_rule => {
                let eye = DMatrix::<f64>::identity(hessian.nrows(), hessian.ncols());
                let scaled = if matches!(problem.optimizer(), Optimizer::Momentum { .. }) {
                    lr * rule.gradient_gain
                } else {
                    lr
                };
                (hessian + eye * rule.coupled_decay, scaled)
            }
            _ => (hessian.clone(), lr),
        };
        let decayed = !paper_rule && problem.conventions().weight_decay > 0.0;
        let dynamics_hessian = &dynamics_hessian;
        let ou = |momentum: f64| {
            continuous::ornstein_uhlenbeck_sigma(dynamics_hessian, covariance, lr, momentum)
        };
        // The loss of a closed-form Σ under weight decay: ½Tr[KΣ] of the un-regularised K.
        let loss_of = |sigma: &Result<DMatrix<f64>, ClosedFormError>| {
            sigma.clone().map(|sigma| 0.5 * (hessian * sigma).trace())
        };
        let (closed, closed_loss, continuous_sigma, continuous_momentum) = match problem.optimizer()
        {
            Optimizer::Sgd { .. }
            | Optimizer::Momentum { .. }
            | Optimizer::QuasiHyperbolic { .. }
            | Optimizer::Nesterov { .. }
                if decoupled =>
            {
                (None, None, None, None)
            }
            // The β₂ → 1 limit has no closed form; its continuous-time counterpart is the SDE of
            // Malladi et al. (2022), v = diag C.
            Optimizer::Adaptive { .. } => (
                None,
                None,
                crate::solver::adaptive::stationary(&problem)
                    .ok()
                    .and_then(|solution| solution.sde_sigma)
                    .map(|sigma| (Ok(sigma), "SDE, Malladi et al. 2022 (v = diag C)")),
                None,
            ),
            Optimizer::Sgd { .. } if decayed => {
                let sigma = discrete::sgd_sigma(dynamics_hessian, covariance, lr, ignore);
                let loss = loss_of(&sigma);
                (
                    commuting_only(sigma, "Cor. 1 on K + wd·I"),
                    Some((loss, "½Tr[KΣ], Σ of Cor. 1 on K + wd·I")),
                    Some((ou(0.0), "Eq. 4 on K + wd·I")),
                    Some(0.0),
                )
            }
            Optimizer::Momentum { .. } if !paper_rule => {
                let sigma = discrete::momentum_sigma(dynamics_hessian, covariance, lr, mu, ignore);
                let loss = loss_of(&sigma);
                (
                    commuting_only(sigma, "Cor. 2 on K + wd·I at λ·(gradient weight)"),
                    Some((loss, "½Tr[KΣ], Σ of Cor. 2")),
                    Some((ou(mu), "Eq. 4 with λ/(1−μ) on K + wd·I")),
                    Some(mu),
                )
            }
            Optimizer::QuasiHyperbolic { .. } if decayed => {
                let sigma = discrete::qhm_sigma(dynamics_hessian, covariance, lr, mu, nu, ignore);
                let loss = loss_of(&sigma);
                (
                    commuting_only(sigma, "Eq. 57 corrected, on K + wd·I"),
                    Some((loss, "½Tr[KΣ], Σ of Eq. 57")),
                    Some((ou(0.0), "λ/2·(K + wd·I)⁻¹C")),
                    Some(0.0),
                )
            }
            Optimizer::Sgd { .. } => {
                // Theorem 3 when the noise is σ²I + aK with a ≠ 0; Corollary 1 otherwise.
                let closed = match (&config.covariance, config.hessian_noise) {
                    (MatrixSpec::Scalar(white), a) if a != 0.0 => any_noise(
                        discrete::mixed_noise_sigma(hessian, *white, a, lr),
                        "Thm. 3",
                    ),
                    _ => commuting_only(
                        discrete::sgd_sigma(hessian, covariance, lr, ignore),
                        "Cor. 1",
                    ),
                };
                (
                    closed,
                    Some((discrete::sgd_train_loss(hessian, covariance, lr), "Eq. 27")),
                    Some((ou(0.0), "Eq. 4, Mandt et al.")),
                    Some(0.0),
                )
            }
            Optimizer::Momentum { .. } => (
                commuting_only(
                    discrete::momentum_sigma(hessian, covariance, lr, mu, ignore),
                    "Cor. 2",
                ),
                Some((
                    discrete::momentum_train_loss(hessian, covariance, lr, mu),
                    "Eq. 27",
                )),
                Some((ou(mu), "Eq. 4 with λ/(1−μ), Mandt et al.")),
                Some(mu),
            ),
            Optimizer::QuasiHyperbolic { .. } => (
                commuting_only(
                    discrete::qhm_sigma(hessian, covariance, lr, mu, nu, ignore),
                    "Eq. 57 corrected",
                ),
                Some((
                    discrete::qhm_train_loss(hessian, covariance, lr, mu, nu),
                    "Eq. 56 corrected",
                )),
                // ERRATA.md, Table 1 previous work QHM: λ/2·K⁻¹C, not λ/(2(1−μ))·K⁻¹C.
                Some((ou(0.0), "λ/2·K⁻¹C corrected, Gitman et al.")),
                Some(0.0),
            ),
            // Not in the paper; its small-λ limit is heavy ball's (checked by the tests).
            Optimizer::Nesterov { .. } => (
                None,
                None,
                Some((ou(mu), "as SGDM; not in the paper")),
                Some(mu),
            ),
            Optimizer::DampedNewton { .. } => (
                any_noise(
                    second_order::damped_newton_sigma(hessian, covariance, lr, mu),
                    "Eq. 58",
                ),
                Some((
                    second_order::damped_newton_train_loss(hessian, covariance, lr, mu),
                    "Eq. 60",
                )),
                None,
                None,
            ),
            Optimizer::NaturalGradient { .. } => (
                any_noise(
                    second_order::natural_gradient_sigma(hessian, covariance, lr, mu),
                    "Eq. 62",
                ),
                Some((
                    second_order::natural_gradient_train_loss(hessian, covariance, lr, mu),
                    "Eq. 64",
                )),
                None,
                None,
            ),
            Optimizer::Preconditioned { .. } => match &preconditioner {
                Some(p) => {
                    let (sigma, loss, reduced_commutator) =
                        preconditioned_closed_form(hessian, covariance, p, mu);
                    (
                        Some(ClosedSigma {
                            sigma,
                            source: "Cor. 3 with Cor. 2",
                            commutator: Some(reduced_commutator),
                        }),
                        Some((loss, "Eq. 27 on Λ^½KΛ^½")),
                        None,
                        None,
                    )
                }
                None => (None, None, None, None),
            },
        };
        let continuous_loss = if matches!(problem.optimizer(), Optimizer::Adaptive { .. }) {
            continuous_sigma.as_ref().map(|(sigma, _)| loss_of(sigma))
        } else if paper_rule || rule.is_none() {
            continuous_momentum.map(|m| continuous::train_loss(covariance, lr, m))
        } else {
            continuous_sigma.as_ref().map(|(sigma, _)| loss_of(sigma))
        };
        let solve_config = Self::solve_config(
            name,
            problem.conventions(),
            config,
            hessian,
            covariance,
            &preconditioner,
        );
        MethodTheory {
            name,
            problem,
            exact,
            stability,
            closed,
            closed_loss,
            continuous: continuous_sigma,
            continuous_loss,
            solve_config,
        }
    }

    /// The `sgd-playground solve` configuration of a method: only the keys it uses, K and C + aK
    /// resolved as full matrices.
    fn solve_config(
        name: &str,
        conventions: &Conventions,
        config: &ExplorerFigureConfig,
        hessian: &DMatrix<f64>,
        covariance: &DMatrix<f64>,
        preconditioner: &Option<DMatrix<f64>>,
    ) -> String {
        let mut pairs = vec![format!("opt={name}")];
        if name != "precond" {
            pairs.push(format!("lr={}", format_number(config.learning_rate)));
        }
        if let ("adam", Some((beta1, beta2, eps))) = (name, config.adam) {
            pairs.push(format!("beta1={}", format_number(beta1)));
            pairs.push(format!("beta2={}", format_number(beta2)));
            pairs.push(format!("eps={}", format_number(eps)));
        } else if name != "sgd" {
            pairs.push(format!("mu={}", format_number(config.momentum)));
        }
        if name == "qhm" {
            pairs.push(format!("nu={}", format_number(config.nu)));
        }
        if let Some(p) = preconditioner {
            pairs.push(format!("P={}", config_matrix(p)));
        }
        pairs.extend(convention_pairs(conventions));
        pairs.push(format!("K={}", config_matrix(hessian)));
        pairs.push(format!("C={}", config_matrix(covariance)));
        pairs.join("&")
    }
}

impl FigurePlan for ExplorerPlan {
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        let mut notes = Vec::new();
        if self.commutator > COMMUTATOR_FLAG {
            notes.push(format!(
                "C and K do not commute (relative commutator ‖KC − CK‖/(‖K‖‖C‖) = {}): Table 1's \
                 closed forms for SGD, SGDM and QHM (and preconditioned SGDM) do not apply and are \
                 shown flagged with how far off they are; Eq. 58 and 62 (DNM, NGD) and the \
                 training losses hold for any C; the exact column is the engine's.",
                short(self.commutator)
            ));
        }
        for method in &self.methods {
            if let Err(reason) = &method.exact {
                notes.push(format!("{}: {reason}.", display_name(method.name)));
            }
        }
        let mut panels = Vec::new();
        let mut simulation_note = None;
        if self.hessian.nrows() == 2 {
            let (panel, note) = self.ellipse_panel(outcomes);
            panels.push(panel);
            simulation_note = note;
        }
        panels.push(self.mode_panel());
        if let Some(note) = &simulation_note {
            notes.push(note.clone());
        }
        FigureData {
            id: "explorer".to_string(),
            title: "Theory explorer — Table 1 live".to_string(),
            caption: self.caption(simulation_note.as_deref()),
            panels,
            table: Some(self.table()),
            notes,
        }
    }

    fn tasks(&self) -> Vec<Task> {
        let Some((method, _)) = self.simulated() else {
            return Vec::new();
        };
        if self.hessian.nrows() != 2 {
            return Vec::new();
        }
        let simulation = &self.config.simulation;
        vec![Task {
            label: TaskLabel { panel: 0, x: 0.0 },
            kind: TaskKind::Ensemble {
                problem: Box::new(method.problem.clone()),
                spec: EnsembleSpec {
                    particles: simulation.particles,
                    seed: task_seed(simulation.seed, 0),
                    start: Start::Stationary,
                    ..EnsembleSpec::default()
                },
                steps: simulation.steps,
                measure: Measure::FinalPositions,
                work_per_particle_step: if method.name == "sgd" { 2 } else { 4 },
                schedule: None,
            },
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FigureConfig};

    fn plan(text: &str) -> ExplorerPlan {
        let config = Config::parse(text).expect("config");
        match config.figure {
            Some(figure @ FigureConfig::Explorer(_)) => {
                figure.validate().expect("valid");
                match figure {
                    FigureConfig::Explorer(explorer) => ExplorerPlan::new(&explorer).expect("plan"),
                    _ => unreachable!(),
                }
            }
            _ => panic!("not an explorer configuration"),
        }
    }

    #[test]
    fn solve_configs_reproduce_the_internal_sigma_bit_for_bit() {
        for text in [
            "fig=explorer",
            "fig=explorer&K=2,0.3,0.05&angle=0&C=0.5,1,2&a=0.2&P=1,0.5,2&lr=0.3",
        ] {
            let plan = plan(text);
            for method in &plan.methods {
                let config = Config::parse(&method.solve_config).expect(&method.solve_config);
                let problem = config.to_problem().expect("problem");
                let solved = solver::stationary(&problem).expect("stationary");
                let internal = method.exact.as_ref().expect("stationary");
                assert!(
                    max_relative_difference(&solved.sigma, &internal.sigma) <= 1e-12,
                    "{}",
                    method.solve_config
                );
            }
        }
    }

    #[test]
    fn matrices_in_configuration_text_round_trip() {
        let m = DMatrix::from_row_slice(2, 2, &[0.1 + 0.2, 1.0 / 3.0, 1.0 / 3.0, 2.0]);
        assert_eq!(
            config_matrix(&m),
            "0.30000000000000004,0.3333333333333333;0.3333333333333333,2"
        );
        assert_eq!(config_matrix(&DMatrix::from_element(1, 1, 0.5)), "0.5");
        assert_eq!(
            sigma_text(&DMatrix::from_row_slice(2, 2, &[0.26, 0.01, 0.01, 2.6])),
            "[[0.26, 0.01], [0.01, 2.6]]"
        );
    }
}
