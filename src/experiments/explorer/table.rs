//! The explorer's table: one row per method (exact Σ, the closed form and its source, the
//! continuous-time Σ, losses, stability), as text and as numbers.

use super::*;

impl ExplorerPlan {
    /// The stability margin in words, e.g. `λk* = 0.5 < 2(1+μ) = 3.8 (13.16% of the threshold)`.
    pub(super) fn stability_text(stability: &Stability, stable: bool) -> String {
        let (lhs, rhs) = stability
            .condition
            .split_once(" < ")
            .unwrap_or(("λk*", "threshold"));
        let threshold = short(stability.threshold);
        let bound = if rhs == threshold {
            threshold
        } else {
            format!("{rhs} = {threshold}")
        };
        format!(
            "{lhs} = {} {} {bound} ({}% of the threshold)",
            short(stability.effective_curvature),
            if stable { "<" } else { "≥" },
            short(100.0 * stability.margin_ratio())
        )
    }

    pub(super) fn table(&self) -> Table {
        let header = [
            "method",
            "exact Σ (engine)",
            "Table 1 Σ (this work)",
            "continuous-time Σ (previous work)",
            "L = ½Tr[KΣ], exact",
            "L, Table 1",
            "L, continuous time",
            "stability",
            "solve config",
        ]
        .map(String::from)
        .to_vec();
        let mut table = Table {
            caption: String::new(),
            header,
            rows: Vec::new(),
            details: Vec::new(),
            values: Vec::new(),
        };
        for method in &self.methods {
            self.push_row(&mut table, method);
        }
        let d = self.hessian.nrows();
        let shown = match d {
            1 => "Σ",
            2 => "Σ as [[Σ₁₁, Σ₁₂], [Σ₂₁, Σ₂₂]]",
            _ => "Σ by its eigenvalues (open a cell for every entry)",
        };
        table.caption = format!(
            "Table 1 live at λ = {}, μ = {}: {shown} (4 significant digits; the Table CSV has every \
             entry at full precision) from the exact engine, the paper's closed form (corrected per \
             ERRATA.md) and the continuous-time theory, each formula with its \"max rel. diff.\" \
             max_ij |Σ_formula − Σ_exact|_ij / √(Σ_ii Σ_jj) from the exact Σ; the training loss \
             ½Tr[KΣ] three ways; λk* (or max eig ΛK) against the method's stability threshold; \
             and the configuration `sgd-playground solve` takes to reproduce the row.",
            exact(self.config.learning_rate),
            exact(self.config.momentum)
        );
        table
    }

    /// A Σ in a cell, with its every entry behind it when the cell shows only eigenvalues (D > 2).
    pub(super) fn sigma_cell(
        table: &mut Table,
        column: usize,
        sigma: &DMatrix<f64>,
        suffix: &str,
    ) -> String {
        if sigma.nrows() > 2 {
            table.details.push(crate::experiments::data::TableDetail {
                row: table.rows.len(),
                column,
                text: matrix_rows(sigma),
            });
        }
        format!("{}{suffix}", sigma_text(sigma))
    }

    /// Appends one method's row, its full-precision numbers and its expandable cells.
    pub(super) fn push_row(&self, table: &mut Table, method: &MethodTheory) {
        let key = method.name;
        let number = |table: &mut Table, quantity: &str, value: f64| {
            if value.is_finite() {
                table.values.push(TableValue {
                    row: key.to_string(),
                    quantity: quantity.to_string(),
                    entry: None,
                    value,
                });
            }
        };
        let matrix = |table: &mut Table, quantity: &str, m: &DMatrix<f64>| {
            for i in 0..m.nrows() {
                for j in 0..m.ncols() {
                    if m[(i, j)].is_finite() {
                        table.values.push(TableValue {
                            row: key.to_string(),
                            quantity: quantity.to_string(),
                            entry: Some((i + 1, j + 1)),
                            value: m[(i, j)],
                        });
                    }
                }
            }
        };
        let name = format!("{} ({})", display_name(method.name), method.name);
        let stable = method.exact.is_ok();
        let stability = Self::stability_text(&method.stability, stable);
        number(table, "stable", if stable { 1.0 } else { 0.0 });
        number(
            table,
            "effective_curvature",
            method.stability.effective_curvature,
        );
        number(table, "threshold", method.stability.threshold);
        number(
            table,
            "fraction_of_threshold",
            method.stability.margin_ratio(),
        );
        let stationary = match &method.exact {
            Ok(stationary) => stationary,
            Err(reason) => {
                let dash = "—".to_string();
                table.rows.push(vec![
                    name,
                    reason.clone(),
                    dash.clone(),
                    dash.clone(),
                    dash.clone(),
                    dash.clone(),
                    dash,
                    stability,
                    method.solve_config.clone(),
                ]);
                return;
            }
        };
        let sigma = &stationary.sigma;
        matrix(table, "sigma_exact", sigma);
        number(table, "loss_exact", stationary.train_loss);
        let exact_cell = Self::sigma_cell(table, 1, sigma, "");
        let closed = match &method.closed {
            None => "— (not in the paper)".to_string(),
            Some(closed) => match &closed.sigma {
                Err(error) => format!("— ({}: {error})", closed.source),
                Ok(formula) => {
                    let difference = max_relative_difference(formula, sigma);
                    matrix(table, "sigma_table1", formula);
                    number(table, "sigma_table1_max_rel_diff", difference);
                    let assumption = match closed.commutator {
                        Some(c) if c > COMMUTATOR_FLAG => format!(
                            "; assumes {} commute, which they do not",
                            if method.name == "precond" {
                                "Λ, K and C"
                            } else {
                                "C and K"
                            }
                        ),
                        _ => String::new(),
                    };
                    let suffix = format!(
                        " ({}; max rel. diff. {}{assumption})",
                        closed.source,
                        short(difference)
                    );
                    Self::sigma_cell(table, 2, formula, &suffix)
                }
            },
        };
        let continuous = match &method.continuous {
            None => "— (none in the paper)".to_string(),
            Some((Err(error), source)) => format!("— ({source}: {error})"),
            Some((Ok(formula), source)) => {
                let difference = max_relative_difference(formula, sigma);
                matrix(table, "sigma_continuous", formula);
                number(table, "sigma_continuous_max_rel_diff", difference);
                let suffix = format!(" ({source}; max rel. diff. {})", short(difference));
                Self::sigma_cell(table, 3, formula, &suffix)
            }
        };
        let closed_loss = match &method.closed_loss {
            None => "—".to_string(),
            Some((Ok(loss), source)) => {
                number(table, "loss_table1", *loss);
                format!("{} ({source})", short(*loss))
            }
            Some((Err(error), source)) => format!("— ({source}: {error})"),
        };
        let continuous_loss = match &method.continuous_loss {
            None => "—".to_string(),
            Some(Ok(loss)) => {
                number(table, "loss_continuous", *loss);
                short(*loss)
            }
            Some(Err(error)) => format!("— ({error})"),
        };
        table.rows.push(vec![
            name,
            exact_cell,
            closed,
            continuous,
            short(stationary.train_loss),
            closed_loss,
            continuous_loss,
            stability,
            method.solve_config.clone(),
        ]);
    }
}
