//! The explorer's panels: the 2-D ellipses (with a simulated cloud) or the per-mode variances,
//! and the caption.

use super::*;

impl ExplorerPlan {
    /// Continuous-time SGD's Σ (Eq. 4, any C), if it exists.
    pub(super) fn continuous_sgd(&self) -> Option<DMatrix<f64>> {
        continuous::ornstein_uhlenbeck_sigma(
            &self.hessian,
            &self.covariance,
            self.config.learning_rate,
            0.0,
        )
        .ok()
    }

    /// The method whose cloud is simulated, if it has a stationary state.
    pub(super) fn simulated(&self) -> Option<(&MethodTheory, &Stationary)> {
        let name = self.config.simulated?;
        let method = self.methods.iter().find(|m| m.name == name)?;
        let stationary = method.exact.as_ref().ok()?;
        Some((method, stationary))
    }

    /// The 3σ ellipses in (w₁, w₂) and the simulated cloud; the note on the fraction inside.
    pub(super) fn ellipse_panel(
        &self,
        outcomes: &[(TaskLabel, Outcome)],
    ) -> (Panel, Option<String>) {
        let mut panel = Panel::empty(
            format!(
                "3σ ellipses of the exact Σ (λ = {})",
                exact(self.config.learning_rate)
            )
            .as_str(),
            "w₁",
            "w₂",
        );
        for method in &self.methods {
            if let Ok(stationary) = &method.exact {
                panel.curves.push(Curve {
                    label: format!("{}, exact Σ", display_name(method.name)),
                    role: method_role(method.name),
                    points: ellipse(&matrix2(&stationary.sigma), SIGMAS),
                });
            }
        }
        if let Some(sigma) = self.continuous_sgd() {
            panel.curves.push(Curve {
                label: "continuous-time SGD (Eq. 4)".to_string(),
                role: Role::ContinuousTheory,
                points: ellipse(&matrix2(&sigma), SIGMAS),
            });
        }
        let (mut x_extent, mut y_extent) = (0.0_f64, 0.0_f64);
        for curve in &panel.curves {
            let (x, y) = extents(&curve.points);
            x_extent = x_extent.max(x);
            y_extent = y_extent.max(y);
        }
        let mut note = None;
        if let Some((method, stationary)) = self.simulated() {
            let cloud = outcomes.iter().find_map(|(label, outcome)| match outcome {
                Outcome::Positions {
                    weights,
                    dimension: 2,
                    diverged,
                } if label.panel == 0 => Some((
                    weights
                        .chunks_exact(2)
                        .map(|w| (w[0], w[1]))
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .collect::<Vec<_>>(),
                    *diverged,
                )),
                _ => None,
            });
            if let Some((points, diverged)) = cloud {
                let sigma = matrix2(&stationary.sigma);
                let inside_count = points
                    .iter()
                    .filter(|(x, y)| inside(&sigma, SIGMAS, *x, *y))
                    .count();
                let total = points.len().max(1) as f64;
                let fraction = inside_count as f64 / total;
                let gaussian = gaussian_fraction_inside();
                let stderr = (gaussian * (1.0 - gaussian) / total).sqrt();
                note = Some(format!(
                    "Simulated {}: {inside_count} of {} particles ({}%) inside the exact 3σ \
                     ellipse; a Gaussian holds {}% (binomial standard error {} points){}.",
                    simulated_name(method.name, &self.config),
                    points.len(),
                    short(100.0 * fraction),
                    short(100.0 * gaussian),
                    short(100.0 * stderr),
                    if diverged > 0 {
                        format!("; {diverged} particles diverged")
                    } else {
                        String::new()
                    }
                ));
                let (x, y) = extents(&points);
                x_extent = x_extent.max(x);
                y_extent = y_extent.max(y);
                panel.scatters.push(Scatter {
                    label: format!(
                        "simulated {} ({} particles, {} steps from the stationary state)",
                        simulated_name(method.name, &self.config),
                        count(self.config.simulation.particles),
                        self.config.simulation.steps
                    ),
                    role: Role::Simulation,
                    // Statistics above come from every particle; the drawing from a sample.
                    points: crate::experiments::data::drawn_sample(&points),
                });
            }
        }
        let pad = |extent: f64| if extent > 0.0 { 1.1 * extent } else { 1.0 };
        panel.x_range = (-pad(x_extent), pad(x_extent));
        panel.y_range = (-pad(y_extent), pad(y_extent));
        (panel, note)
    }

    /// Per-mode variance: (k_i, (VᵀΣV)_ii) for every method, on log-log axes.
    pub(super) fn mode_panel(&self) -> Panel {
        let mut panel = Panel::empty(
            "per-mode variance: stiff versus flat directions",
            "curvature k_i of K's mode i",
            "variance along mode i, (VᵀΣV)_ii",
        );
        panel.x_scale = Scale::Log;
        panel.y_scale = Scale::Log;
        let modes = |sigma: &DMatrix<f64>| -> Vec<ErrorPoint> {
            let rotated = self.basis.transpose() * sigma * &self.basis;
            self.curvatures
                .iter()
                .enumerate()
                .map(|(i, &k)| ErrorPoint {
                    x: k,
                    y: rotated[(i, i)],
                    stderr: 0.0,
                })
                .filter(|p| p.x.is_finite() && p.y.is_finite() && p.x > 0.0 && p.y > 0.0)
                .collect()
        };
        // The same labels and roles as the ellipses: one legend entry, one colour per method.
        // Modes are joined by a line (in increasing k); one mode is a marker.
        let mut push = |label: String, role: Role, points: Vec<ErrorPoint>| {
            if points.len() > 1 {
                panel.curves.push(Curve {
                    label,
                    role,
                    points: points.iter().map(|p| (p.x, p.y)).collect(),
                });
            } else {
                panel.points.push(PointSeries {
                    label,
                    role,
                    points,
                });
            }
        };
        for method in &self.methods {
            if let Ok(stationary) = &method.exact {
                push(
                    format!("{}, exact Σ", display_name(method.name)),
                    method_role(method.name),
                    modes(&stationary.sigma),
                );
            }
        }
        if let Some(sigma) = self.continuous_sgd() {
            push(
                "continuous-time SGD (Eq. 4)".to_string(),
                Role::ContinuousTheory,
                modes(&sigma),
            );
        }
        let low = self.curvatures.first().copied().unwrap_or(1.0);
        let high = self.curvatures.last().copied().unwrap_or(1.0);
        panel.x_range = (low / 1.5, high * 1.5);
        crate::experiments::common::fit_log_y(&mut panel);
        panel
    }

    pub(super) fn caption(&self, note: Option<&str>) -> String {
        let config = &self.config;
        let d = self.hessian.nrows();
        let noise = if config.hessian_noise == 0.0 {
            format!("C = {}", matrix_text(&self.covariance))
        } else {
            format!(
                "C + aK = {} (a = {}, Theorem 3)",
                matrix_text(&self.covariance),
                exact(config.hessian_noise)
            )
        };
        // The rotation is named only when it applied (a 2×2 K written as its eigenvalues).
        let rotation = if angle_applies(&config.hessian, config.angle) {
            format!(
                ", {} rotated by {}°",
                matrix_text(&config.hessian.to_matrix()),
                exact(config.angle)
            )
        } else {
            String::new()
        };
        // A diagonal K shows its eigenvalues already.
        let eigenvalues = if is_diagonal(&self.hessian) {
            String::new()
        } else {
            format!(
                " (eigenvalues {})",
                self.curvatures
                    .iter()
                    .rev()
                    .map(|&k| short(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let methods: Vec<&str> = self.methods.iter().map(|m| display_name(m.name)).collect();
        let mut caption = format!(
            "{d}-D quadratic L = wᵀKw/2 with K = {}{rotation}{eigenvalues} and Gaussian noise \
             of covariance {noise}; λ = {}, μ = {}, ν = {} (QHM), Λ = {} (preconditioned SGDM). \
             Methods: {}. ",
            matrix_text(&self.hessian),
            exact(config.learning_rate),
            exact(config.momentum),
            exact(config.nu),
            config.preconditioner,
            methods.join(", ")
        );
        let conventions = convention_words(&config.conventions);
        if !conventions.is_empty() {
            caption.push_str(&format!(
                "Frameworks' conventions: {} (each applied to the methods it fits: weight decay to \
                 SGD, SGDM, QHM and Nesterov, dampening and the momentum form to SGDM, the \
                 Nesterov form to Nesterov; Table 1's formulas through their exact identities, \
                 none with decoupled decay). ",
                conventions.join(", ")
            ));
        }
        if d == 2 {
            caption.push_str(
                "Left: the boundary {wᵀΣ⁻¹w = 9} (3σ, holding 98.9% of a 2-D Gaussian) of every \
                 stationary method's exact Σ in the plain coordinates (w₁, w₂), with continuous-time \
                 SGD's (Eq. 4, ΣK + KΣ = λC). ",
            );
            if let Some(name) = config.simulated {
                caption.push_str(&format!(
                    "Points: {} particles of {} started in the exact stationary state and run {} \
                     steps (seed {}), their final positions. ",
                    count(config.simulation.particles),
                    simulated_name(name, config),
                    config.simulation.steps,
                    config.simulation.seed
                ));
                if let Some(note) = note {
                    caption.push_str(note);
                    caption.push(' ');
                }
            }
            caption.push_str("Right: the");
        } else {
            caption.push_str("The panel shows the");
        }
        caption.push_str(
            " variance of each of K's modes (the diagonal of Σ in K's eigenbasis) against its \
             curvature k_i, log-log: how each method treats stiff and flat directions. Diverging \
             methods have no Σ and are left out of the panels.",
        );
        caption
    }
}

/// The name of the simulated method: Adam runs at its finite β₂, not in the limit of its row.
fn simulated_name(name: &str, config: &crate::config::ExplorerFigureConfig) -> String {
    match (name, config.adam) {
        ("adam", Some((_, beta2, _))) => {
            format!("Adam at β₂ = {}", crate::config::format_number(beta2))
        }
        _ => display_name(name).to_string(),
    }
}
