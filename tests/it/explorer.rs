//! `fig=explorer` (Table 1 live): every row reproducible with `sgd-playground solve`, the paper's
//! closed forms equal to the engine where they apply and flagged where they do not, the λ → 0
//! limit, divergence, dimensions 1 to 6, and the simulated cloud against the 3σ ellipse.

use crate::common;
use common::experiment;
use nalgebra::DMatrix;
use sgd_playground::config::Config;
use sgd_playground::experiments::data::{FigureData, Panel, Table};
use sgd_playground::figures::{self, FigureStyle};
use sgd_playground::solver;

const METHOD: usize = 0;
const EXACT: usize = 1;
const CLOSED: usize = 2;
const CONTINUOUS: usize = 3;
const LOSS_EXACT: usize = 4;
const LOSS_CLOSED: usize = 5;
const STABILITY: usize = 7;
const SOLVE: usize = 8;

fn table(figure: &FigureData) -> &Table {
    figure.table.as_ref().expect("the explorer has a table")
}

/// The row of a method (`sgd`, `sgdm`, …): its first cell ends with `(name)`.
fn row<'a>(table: &'a Table, name: &str) -> &'a [String] {
    table
        .rows
        .iter()
        .find(|row| row[METHOD].ends_with(&format!("({name})")))
        .unwrap_or_else(|| panic!("no row {name}"))
}

/// Every number written in a cell, in order (digits, `.`, `-`, `e`).
fn numbers(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<f64>| {
        if let Ok(x) = current.trim_end_matches(['.', 'e', '-']).parse::<f64>() {
            if current.chars().any(|c| c.is_ascii_digit()) {
                out.push(x);
            }
        }
        current.clear();
    };
    for c in text.chars() {
        let continues = c.is_ascii_digit()
            || c == '.'
            || (c == '-' && (current.is_empty() || current.ends_with('e')))
            || (c == 'e' && !current.is_empty() && !current.contains('e'));
        if continues {
            current.push(c);
        } else {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The number after `max rel. diff.` in a cell.
fn relative_difference(cell: &str) -> f64 {
    let (_, rest) = cell
        .split_once("max rel. diff. ")
        .unwrap_or_else(|| panic!("no difference in {cell}"));
    numbers(rest)[0]
}

/// Every number of the figure is finite, and it renders to SVG.
fn check_finite_and_renders(figure: &FigureData) {
    for panel in &figure.panels {
        let ranges = [
            panel.x_range.0,
            panel.x_range.1,
            panel.y_range.0,
            panel.y_range.1,
        ];
        assert!(ranges.iter().all(|x| x.is_finite()), "{}", panel.title);
        assert!(panel.x_range.0 < panel.x_range.1 && panel.y_range.0 < panel.y_range.1);
        for curve in &panel.curves {
            assert!(curve
                .points
                .iter()
                .all(|(x, y)| x.is_finite() && y.is_finite()));
        }
        for series in &panel.points {
            assert!(series
                .points
                .iter()
                .all(|p| p.x.is_finite() && p.y.is_finite() && p.stderr.is_finite()));
        }
    }
    let table = table(figure);
    assert!(table.rows.iter().all(|row| row.len() == table.header.len()));
    let svg = figures::to_svg(figure, 1000, 500, &FigureStyle::light()).expect("svg");
    assert!(svg.contains("<svg"));
}

/// K's eigenvalues (increasing) and the diagonal of Σ in K's eigenbasis.
fn modes(hessian: &DMatrix<f64>, sigma: &DMatrix<f64>) -> Vec<(f64, f64)> {
    let eigen = hessian.clone().symmetric_eigen();
    let mut modes: Vec<(f64, f64)> = (0..hessian.nrows())
        .map(|i| {
            let v = eigen.eigenvectors.column(i);
            (eigen.eigenvalues[i], (v.transpose() * sigma * v)[(0, 0)])
        })
        .collect();
    modes.sort_by(|a, b| a.0.total_cmp(&b.0));
    modes
}

#[test]
fn every_row_is_reproduced_by_its_solve_config() {
    // Defaults: K = diag(1, 0.1) rotated by 30°, C = I, λ = 0.5, μ = 0.9, ν = 0.7, Λ = 0.5·I, plus
    // a Hessian part of the noise and a full preconditioner to exercise every key; then the
    // frameworks' conventions (each applied to the rows it fits, and written into their solve
    // configs).
    for conventions in [
        "",
        "&wd=0.2&dampening=0.3",
        "&wd=0.1&wd_mode=decoupled&momentum_form=ema",
        "&nesterov_form=lookahead",
    ] {
        every_row_is_reproduced(&format!(
            "fig=explorer&a=0.3&P=0.6,0.1;0.1,0.3{conventions}"
        ));
    }
}

fn every_row_is_reproduced(text: &str) {
    let figure = experiment(text).theory();
    check_finite_and_renders(&figure);
    let table = table(&figure);
    assert_eq!(table.rows.len(), 7);
    let per_mode = figure.panels.last().expect("per-mode panel");
    for row in &table.rows {
        let config = Config::parse(&row[SOLVE]).unwrap_or_else(|e| panic!("{}: {e:?}", row[SOLVE]));
        let problem = config.to_problem().expect("problem");
        let solved = solver::stationary(&problem).expect("stationary at the defaults");
        // The printed Σ (4 significant digits).
        let printed = numbers(&row[EXACT]);
        assert_eq!(printed.len(), 4, "{}", row[EXACT]);
        for (value, truth) in printed.iter().zip(solved.sigma.transpose().iter()) {
            assert!(
                (value - truth).abs() <= 5.0001e-4 * truth.abs() + 1e-300,
                "{} vs {truth} ({})",
                value,
                row[METHOD]
            );
        }
        let loss = numbers(&row[LOSS_EXACT])[0];
        assert!((loss - solved.train_loss).abs() <= 5.0001e-4 * solved.train_loss);
        // The plan's own Σ, at full precision: the per-mode points are the diagonal of its Σ in
        // K's eigenbasis.
        let name = row[METHOD].split(" (").next().expect("name");
        let series = per_mode_series(per_mode, &format!("{name}, exact Σ"));
        let expected = modes(problem.hessian(), &solved.sigma);
        assert_eq!(series.len(), 2);
        for ((x, y), (k, variance)) in series.iter().zip(&expected) {
            assert!((x - k).abs() <= 1e-12 * k);
            assert!(
                (y - variance).abs() <= 1e-12 * variance,
                "{name}: {y} vs {variance}"
            );
        }
    }
    // The real command line, once: its JSON training loss is the engine's, to the last digit.
    let sgdm = row(table, "sgdm");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sgd-playground"))
        .args(["solve", &sgdm[SOLVE]])
        .output()
        .expect("run sgd-playground");
    assert!(output.status.success(), "{output:?}");
    let json = String::from_utf8(output.stdout).expect("utf-8");
    let (_, rest) = json.split_once("\"train_loss\":").expect("train_loss");
    let cli_loss: f64 = rest
        .split([',', '}'])
        .next()
        .and_then(|s| s.trim().parse().ok())
        .expect("a number");
    let problem = Config::parse(&sgdm[SOLVE])
        .and_then(|c| c.to_problem())
        .expect("problem");
    let exact = solver::stationary(&problem).expect("stationary").train_loss;
    assert_eq!(cli_loss, exact);
}

#[test]
fn closed_forms_equal_the_engine_when_everything_commutes() {
    // Diagonal K, C = I, diagonal Λ: every Table 1 formula applies (QHM's with the corrected
    // h(K) of ERRATA.md), Nesterov has none. Coupled weight decay (K + wd·I in the dynamics),
    // dampening (λ(1 − τ)) and EMA momentum (λ(1 − μ)) keep them exact.
    for conventions in ["", "&wd=0.2&dampening=0.3", "&wd=0.05&momentum_form=ema"] {
        closed_forms_equal_the_engine(&format!(
            "fig=explorer&K=1,0.1&angle=0&C=1&a=0&P=0.5,2{conventions}"
        ));
    }
    // Decoupled weight decay has no closed form: the rows say so instead of a wrong number.
    let figure =
        experiment("fig=explorer&K=1,0.1&angle=0&C=1&a=0&wd=0.2&wd_mode=decoupled").theory();
    for name in ["sgd", "sgdm", "qhm", "nesterov"] {
        assert!(
            row(table_of(&figure), name)[CLOSED].starts_with('—'),
            "{name}"
        );
    }
}

fn closed_forms_equal_the_engine(text: &str) {
    let figure = experiment(text).theory();
    check_finite_and_renders(&figure);
    assert!(figure.notes.is_empty(), "{:?}", figure.notes);
    let table = table(&figure);
    for name in ["sgd", "sgdm", "qhm", "dnm", "ngd", "precond"] {
        let row = row(table, name);
        assert!(!row[CLOSED].contains("assumes"), "{}", row[CLOSED]);
        let difference = relative_difference(&row[CLOSED]);
        assert!(difference < 1e-10, "{name}: {}", row[CLOSED]);
        // Table 1's training loss agrees with the exact one to the printed digits.
        assert_eq!(
            numbers(&row[LOSS_CLOSED])[0],
            numbers(&row[LOSS_EXACT])[0],
            "{name}"
        );
    }
    assert!(row(table, "nesterov")[CLOSED].starts_with('—'));
}

#[test]
fn theorem_three_applies_to_a_rotated_k() {
    // Theorem 3: C = σ²I + aK commutes with any K, rotated or not.
    let figure = experiment("fig=explorer&C=0.5&a=0.3&methods=sgd").theory();
    let sgd = row(table_of(&figure), "sgd");
    assert!(sgd[CLOSED].contains("Thm. 3"), "{}", sgd[CLOSED]);
    assert!(relative_difference(&sgd[CLOSED]) < 1e-10, "{}", sgd[CLOSED]);
}

fn table_of(figure: &FigureData) -> &Table {
    table(figure)
}

#[test]
fn non_commuting_noise_is_flagged() {
    let figure = experiment("fig=explorer&K=1,0.1&angle=30&C=1,0.2").theory();
    check_finite_and_renders(&figure);
    let flags: Vec<&String> = figure
        .notes
        .iter()
        .filter(|n| n.contains("C and K do not commute"))
        .collect();
    assert_eq!(flags.len(), 1, "{:?}", figure.notes);
    let table = table(&figure);
    for name in ["sgd", "sgdm", "qhm", "precond"] {
        let cell = &row(table, name)[CLOSED];
        assert!(
            cell.contains("max rel. diff.") && cell.contains("commute, which they do not"),
            "{name}: {cell}"
        );
    }
    // Eq. 58 and 62 hold for any C (ERRATA.md): not flagged, and exact.
    for name in ["dnm", "ngd"] {
        let cell = &row(table, name)[CLOSED];
        assert!(relative_difference(cell) < 1e-10, "{name}: {cell}");
    }
    // The continuous-time Σ is Eq. 4 solved for any C (a Lyapunov equation): never flagged.
    assert!(!row(table, "sgd")[CONTINUOUS].contains("assumes"));
}

#[test]
fn small_learning_rates_approach_the_continuous_time_theory() {
    // exact/continuous − 1 = O(λk*): in each mode SGD's ratio is 2/(2 − λk) = 1 + λk/2, SGDM's
    // 1/(1 − λk/(2(1+μ))); QHM and Nesterov also differ at first order in λk/(1−μ) (Nesterov's
    // Σ at λk = 1e-5, μ = 0.9 is 8.7e-5 below λ/(2(1−μ))k: a coefficient ≈ 9). With λk* = 1e-4 the
    // largest is < 1e-3.
    let figure = experiment("fig=explorer&K=1,0.1&angle=0&lr=1e-4").theory();
    check_finite_and_renders(&figure);
    let table = table(&figure);
    for name in ["sgd", "sgdm", "qhm", "nesterov"] {
        let cell = &row(table, name)[CONTINUOUS];
        assert!(relative_difference(cell) < 1e-3, "{name}: {cell}");
    }
    // At full precision, SGD's per-mode variances against Eq. 4's λ/(2k).
    let per_mode = figure.panels.last().expect("per-mode panel");
    let series = |label: &str| per_mode_series(per_mode, label);
    for (exact, continuous) in series("SGD, exact Σ")
        .iter()
        .zip(series("continuous-time SGD (Eq. 4)").iter())
    {
        let ratio = exact.1 / continuous.1;
        assert!((ratio - 1.0 - 1e-4 * exact.0 / 2.0).abs() < 1e-8, "{ratio}");
    }
    // At a large λ they are far apart.
    let figure = experiment("fig=explorer&K=1,0.1&angle=0&lr=1.5&methods=sgd").theory();
    let cell = &row(table_of(&figure), "sgd")[CONTINUOUS];
    assert!(relative_difference(cell) > 0.5, "{cell}");
}

#[test]
fn a_diverging_method_keeps_its_row_and_the_figure_stays_finite() {
    // Nesterov diverges at λk* = 2(1+μ)/(1+2μ) = 1.357 (μ = 0.9); SGD, SGDM, QHM do not at 1.4.
    let figure = experiment("fig=explorer&lr=1.4").theory();
    check_finite_and_renders(&figure);
    let table = table(&figure);
    let nesterov = row(table, "nesterov");
    assert!(
        nesterov[EXACT].starts_with("diverges"),
        "{}",
        nesterov[EXACT]
    );
    assert!(nesterov[STABILITY].contains('≥'), "{}", nesterov[STABILITY]);
    assert!(nesterov[LOSS_EXACT].starts_with('—'));
    assert!(figure
        .notes
        .iter()
        .any(|n| n.starts_with("Nesterov: diverges")));
    let sgdm = row(table, "sgdm");
    assert!(
        sgdm[STABILITY].contains("λk* = 1.4 < 2(1+μ) = 3.8"),
        "{}",
        sgdm[STABILITY]
    );
    // No ellipse or per-mode series for the diverged method.
    for panel in &figure.panels {
        assert!(panel
            .curves
            .iter()
            .all(|c| !c.label.starts_with("Nesterov")));
        assert!(panel
            .points
            .iter()
            .all(|s| !s.label.starts_with("Nesterov")));
    }
    // The solve config of the diverged row reports the same divergence.
    let problem = Config::parse(&nesterov[SOLVE])
        .and_then(|c| c.to_problem())
        .expect("problem");
    assert!(solver::stationary(&problem).is_err());
}

#[test]
fn one_and_six_dimensional_hessians_have_the_per_mode_panel_only() {
    let figure = experiment("fig=explorer&K=2&angle=0&C=0.5&a=0.1").theory();
    check_finite_and_renders(&figure);
    assert_eq!(figure.panels.len(), 1);
    assert_eq!(table(&figure).rows.len(), 7);
    assert!(figure.panels[0].points.iter().all(|s| s.points.len() == 1));
    let figure =
        experiment("fig=explorer&K=3,1,0.3,0.1,0.03,0.01&angle=0&C=1,2,1,2,1,2&lr=0.3&P=0.2")
            .theory();
    check_finite_and_renders(&figure);
    assert_eq!(figure.panels.len(), 1);
    let table = table(&figure);
    assert!(table
        .rows
        .iter()
        .all(|r| r[EXACT].starts_with("eigenvalues")));
    assert_eq!(numbers(&row(table, "sgd")[EXACT]).len(), 6);
    assert!(figure.panels[0].points.is_empty());
    assert!(figure.panels[0].curves.iter().all(|c| c.points.len() == 6));
    // Diagonal K and C commute: the closed forms hold.
    assert!(relative_difference(&row(table, "sgdm")[CLOSED]) < 1e-10);
    // Two-dimensional: both panels.
    assert_eq!(experiment("fig=explorer").theory().panels.len(), 2);
}

#[test]
fn the_simulated_cloud_fills_the_exact_ellipse_like_a_gaussian() {
    let particles = 600;
    let text = format!("fig=explorer&sim=sgdm&particles={particles}&steps=50&seed=3");
    let experiment = experiment(&text);
    let mut run = experiment.simulation();
    while !run.is_done() {
        run.advance(1_000_000);
    }
    let figure = experiment.figure(&run);
    check_finite_and_renders(&figure);
    let cloud = &figure.panels[0].scatters[0].points;
    assert_eq!(cloud.len(), particles);
    let config = Config::parse(&row(table(&figure), "sgdm")[SOLVE]).expect("config");
    let sigma = solver::stationary(&config.to_problem().expect("problem"))
        .expect("stationary")
        .sigma;
    let inverse = sigma.try_inverse().expect("invertible");
    let inside = cloud
        .iter()
        .filter(|(x, y)| {
            let w = nalgebra::DVector::from_row_slice(&[*x, *y]);
            (w.transpose() * &inverse * &w)[(0, 0)] <= 9.0
        })
        .count();
    let fraction = inside as f64 / particles as f64;
    let gaussian = 1.0 - (-4.5_f64).exp();
    let stderr = (gaussian * (1.0 - gaussian) / particles as f64).sqrt();
    assert!(
        (fraction - gaussian).abs() < 4.0 * stderr,
        "{fraction} vs {gaussian} ± {stderr}"
    );
    let note = figure
        .notes
        .iter()
        .find(|n| n.starts_with("Simulated SGDM"))
        .expect("a note on the simulation");
    assert!(
        note.contains(&format!("{inside} of {particles} particles")),
        "{note}"
    );
}

/// A per-mode series by label: a curve (D ≥ 2) or a single point (D = 1), as (k_i, variance).
fn per_mode_series(panel: &Panel, label: &str) -> Vec<(f64, f64)> {
    if let Some(curve) = panel.curves.iter().find(|c| c.label == label) {
        return curve.points.clone();
    }
    panel
        .points
        .iter()
        .find(|s| s.label == label)
        .map(|s| s.points.iter().map(|p| (p.x, p.y)).collect())
        .unwrap_or_else(|| panic!("no per-mode series {label}"))
}

/// A K written as a full matrix is used exactly as written (the default `angle` of 30° rotates
/// only a K written as its two eigenvalues): the explorer's SGD Σ is `solve`'s for the same K
/// and C, and the caption names no rotation. A diagonal K is rotated, and the caption says so.
#[test]
fn a_full_matrix_k_is_used_as_written_and_a_diagonal_one_is_rotated() {
    let figure = experiment("fig=explorer&K=2,0.5;0.5,1&C=1,0;0,2&methods=sgd").theory();
    let table = table(&figure);
    let sgd = row(table, "sgd");
    assert!(
        sgd[SOLVE].contains("&K=2,0.5;0.5,1&C=1,0;0,2"),
        "{}",
        sgd[SOLVE]
    );
    assert!(!figure.caption.contains("rotated"), "{}", figure.caption);
    let solved = solver::stationary(
        &Config::parse("lr=0.5&K=2,0.5;0.5,1&C=1,0;0,2")
            .expect("config")
            .to_problem()
            .expect("problem"),
    )
    .expect("stationary");
    let mut entries = 0;
    for value in table.values.iter().filter(|v| v.quantity == "sigma_exact") {
        let (i, j) = value.entry.expect("a matrix entry");
        // The same solver on the same matrices: the same numbers.
        assert_eq!(value.value, solved.sigma[(i - 1, j - 1)], "Σ_{i}{j}");
        entries += 1;
    }
    assert_eq!(entries, 4);
    // Rotating this K by 30° would change Σ₁₁ by more than 10%: the check above can fail.
    let rotated_k = Config::parse("lr=0.5&K=1.3169872981077808,0.6830127018922193;0.6830127018922193,1.6830127018922192&C=1,0;0,2")
        .expect("config")
        .to_problem()
        .expect("problem");
    let rotated_sigma = solver::stationary(&rotated_k).expect("stationary").sigma;
    assert!((rotated_sigma[(0, 0)] / solved.sigma[(0, 0)] - 1.0).abs() > 0.1);

    let rotated = experiment("fig=explorer&K=2,1&angle=30&methods=sgd").theory();
    assert!(
        rotated.caption.contains("diag(2, 1) rotated by 30°"),
        "{}",
        rotated.caption
    );
    let k = row(table_of(&rotated), "sgd")[SOLVE].clone();
    assert!(!k.contains("K=2,1&") && k.contains(";"), "{k}");
}

/// The Table CSV is numbers a script reads: one line per number, `row,quantity,i,j,value`, every
/// Σ entry (D > 2 included) at full precision, the losses and the stability numbers.
#[test]
fn the_table_csv_is_numeric_and_complete() {
    let figure = experiment("fig=explorer&K=3,1,0.3&methods=sgd,sgdm&lr=0.3").theory();
    let table = table(&figure);
    let csv = figures::table_csv(table);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("row,quantity,i,j,value"));
    let parsed: Vec<(String, String, String, String, f64)> = lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 5, "{line}");
            let value = cells[4].parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
            (
                cells[0].to_string(),
                cells[1].to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
                value,
            )
        })
        .collect();
    for (method, config) in [
        ("sgd", "opt=sgd&lr=0.3&K=3,0,0;0,1,0;0,0,0.3&C=1"),
        ("sgdm", "opt=sgdm&lr=0.3&mu=0.9&K=3,0,0;0,1,0;0,0,0.3&C=1"),
    ] {
        let problem = Config::parse(config)
            .expect("config")
            .to_problem()
            .expect("problem");
        let solved = solver::stationary(&problem).expect("stationary");
        let sigma: Vec<&(String, String, String, String, f64)> = parsed
            .iter()
            .filter(|row| row.0 == method && row.1 == "sigma_exact")
            .collect();
        assert_eq!(sigma.len(), 9, "{method}: every entry of the 3×3 Σ");
        for (_, _, i, j, value) in sigma {
            let (i, j): (usize, usize) = (i.parse().expect("i"), j.parse().expect("j"));
            assert_eq!(*value, solved.sigma[(i - 1, j - 1)], "{method} Σ_{i}{j}");
        }
        let loss = parsed
            .iter()
            .find(|row| row.0 == method && row.1 == "loss_exact")
            .expect("loss");
        assert_eq!(loss.4, solved.train_loss);
        for quantity in [
            "threshold",
            "effective_curvature",
            "sigma_table1",
            "loss_table1",
        ] {
            assert!(
                parsed
                    .iter()
                    .any(|row| row.0 == method && row.1 == quantity),
                "{method}: {quantity}"
            );
        }
    }
    // The page shows every entry of a D > 2 Σ behind its eigenvalues.
    let exact_detail = table
        .details
        .iter()
        .find(|d| d.column == EXACT && d.row == 0)
        .expect("Σ in full");
    assert_eq!(
        exact_detail.text.lines().count(),
        3,
        "{}",
        exact_detail.text
    );
    assert!(table.rows[0][EXACT].starts_with("eigenvalues"));
}

/// The caption of a D = 3 explorer names no rotation, shows K once, and has no sentence
/// fragment; both formula columns say "max rel. diff." the same way.
#[test]
fn the_caption_and_the_wording_are_consistent() {
    let figure = experiment("fig=explorer&K=3,1,0.3").theory();
    let caption = &figure.caption;
    assert!(!caption.contains("rotated"), "{caption}");
    assert_eq!(caption.matches("diag(3, 1, 0.3)").count(), 1, "{caption}");
    assert!(!caption.contains(". the"), "{caption}");
    assert!(
        caption.contains("The panel shows the variance"),
        "{caption}"
    );
    let figure = experiment("fig=explorer&K=1,0.1&C=1,0.2").theory();
    for row in &table(&figure).rows {
        assert!(!row[CLOSED].contains("off by"), "{}", row[CLOSED]);
    }
}
