//! One form control per configuration key a figure reads: which input element, its label with the
//! paper's symbol, its range, and the value shown.

use crate::config::{default_text, key_spec, Config, InputKind};

/// The input element of a control.
#[derive(Clone, Debug, PartialEq)]
pub enum Widget {
    /// A range input with a typed number field beside it. The slider covers `[min, max]`
    /// (logarithmically when `log`); the number field accepts anything the key allows, so a value
    /// outside the slider's span can still be typed.
    Slider {
        /// Left end of the slider.
        min: f64,
        /// Right end of the slider.
        max: f64,
        /// Logarithmic slider.
        log: bool,
    },
    /// A number field (integers).
    Integer {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// A select of names.
    Select(&'static [&'static str]),
    /// A checkbox (`0` or `1`).
    Checkbox,
    /// A text field (matrices, lists, data rows, numbers without a natural range).
    Text,
}

/// Slider positions: a slider has this many steps from `min` to `max`.
pub const SLIDER_STEPS: u32 = 1000;

/// One control of a figure's form.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    /// The configuration key it edits.
    pub key: &'static str,
    /// Its label, with the paper's symbol (e.g. `learning rate λ`).
    pub label: String,
    /// The value shown (configuration text).
    pub value: String,
    /// The figure's default of the key (what "reset to paper" restores).
    pub default: Option<String>,
    /// What values are allowed, in words (as error messages say it).
    pub allowed: &'static str,
    /// What the key means (the README's wording).
    pub meaning: &'static str,
    /// The input element.
    pub widget: Widget,
}

/// Labels of the keys, with the paper's symbols.
const LABELS: &[(&str, &str)] = &[
    ("lr", "learning rate λ"),
    ("lrs", "learning rates λ (one panel each)"),
    ("lr_k", "λk"),
    ("mu", "momentum μ"),
    ("mu_min", "smallest momentum μ"),
    ("mu_max", "largest momentum μ"),
    ("nu", "QHM ν"),
    ("wd", "weight decay wd"),
    ("wd_mode", "weight decay enters"),
    ("dampening", "dampening τ (PyTorch)"),
    ("momentum_form", "momentum accumulates as"),
    ("nesterov_form", "Nesterov iterate reported"),
    ("K", "Hessian K"),
    ("C", "noise covariance C"),
    ("S", "batch size S"),
    ("replace", "sample with replacement"),
    ("N", "data set size N"),
    ("data_seed", "data seed"),
    ("x_var", "input variances E[x²] (per coordinate)"),
    ("w_star", "true weights w*"),
    ("label_var", "label noise variance"),
    ("X", "data X (rows)"),
    ("y", "labels y"),
    ("loss", "loss convention"),
    ("r", "loss scale r"),
    ("r_min", "smallest r"),
    ("r_max", "largest r"),
    ("k_a", "well curvature k_a"),
    ("k_b", "barrier curvature k_b"),
    ("dL", "barrier height ΔL"),
    ("eq52", "form of Eq. 52"),
    ("eq52_const", "constant of Eq. 52"),
    ("points", "simulated points"),
    ("particles", "particles per point"),
    ("steps", "steps"),
    ("burnin", "burn-in steps"),
    ("seed", "seed"),
    ("start", "start w₀"),
    ("opt", "optimizer"),
    ("noise", "noise"),
    ("lrk_max", "largest λk shown"),
    ("res", "cells per axis"),
    ("angle", "rotation of K (degrees)"),
    ("a", "Hessian-proportional noise a (C + aK)"),
    ("P", "preconditioner Λ"),
    ("methods", "methods compared"),
    ("sim", "simulate the cloud of"),
];

/// Slider spans: (key, min, max, logarithmic). Keys not listed get a number or text field.
const SLIDERS: &[(&str, f64, f64, bool)] = &[
    ("lr", 0.01, 3.0, false),
    ("lr_k", 0.05, 4.0, false),
    ("mu", 0.0, 0.99, false),
    ("mu_min", 0.0, 0.99, false),
    ("mu_max", 0.0, 0.99, false),
    ("nu", 0.0, 1.0, false),
    ("wd", 0.0, 1.0, false),
    ("dampening", 0.0, 0.99, false),
    ("label_var", 0.01, 10.0, true),
    ("r", 0.05, 3.0, false),
    ("r_min", 0.05, 3.0, false),
    ("r_max", 0.05, 3.0, false),
    ("k_a", 0.1, 10.0, true),
    ("k_b", 0.1, 10.0, true),
    ("dL", 0.01, 10.0, true),
    ("eq52_const", 0.01, 100.0, true),
    ("lrk_max", 1.0, 12.0, false),
    ("angle", -90.0, 90.0, false),
    ("a", 0.0, 2.0, false),
];

/// Figures whose `K` and `C` are one number (1-D): these get a slider.
const SCALAR_FIGURES: &[&str] = &["1b", "2a", "5a", "5b"];

/// The controls of `config`'s figure (or landscape), one per key it reads except `v` and `fig`,
/// in the order of [`crate::config::KEYS`].
///
/// # Example
/// ```
/// use sgd_playground::config::Config;
/// use sgd_playground::playground::{controls, Widget};
/// let config = Config::parse("fig=2a&C=2").unwrap();
/// let all = controls(&config);
/// let noise = all.iter().find(|c| c.key == "C").unwrap();
/// assert_eq!(noise.value, "2");
/// assert_eq!(noise.default.as_deref(), Some("1"));
/// assert!(matches!(noise.widget, Widget::Slider { log: true, .. }));
/// ```
pub fn controls(config: &Config) -> Vec<Control> {
    let figure = config.figure.as_ref().map(|figure| figure.id());
    config
        .used_values()
        .into_iter()
        .filter(|(key, _)| !matches!(*key, "v" | "fig"))
        .filter_map(|(key, value)| {
            let spec = key_spec(key)?;
            let scalar = figure.is_some_and(|id| SCALAR_FIGURES.contains(&id));
            let mut widget = widget(key, spec.input_kind(), scalar);
            // The phase diagram takes only the momentum methods and two noise models.
            if figure == Some("phase") {
                match key {
                    "opt" => widget = Widget::Select(&["sgdm", "qhm"]),
                    "noise" => widget = Widget::Select(&["gauss", "batch"]),
                    _ => {}
                }
            }
            let mut label = LABELS
                .iter()
                .find(|(name, _)| *name == key)
                .map_or_else(|| key.to_string(), |(_, label)| (*label).to_string());
            let mut allowed = spec.allowed;
            if scalar && key == "K" {
                label = "curvature k".to_string();
                allowed = "a finite number > 0";
            } else if scalar && key == "C" {
                label = "noise variance σ²".to_string();
                allowed = "a finite number > 0";
            }
            Some(Control {
                key,
                label,
                value,
                default: default_text(figure, key),
                allowed,
                meaning: spec.meaning,
                widget,
            })
        })
        .collect()
}

fn widget(key: &str, kind: InputKind, scalar: bool) -> Widget {
    if scalar && key == "K" {
        return Widget::Slider {
            min: 0.1,
            max: 10.0,
            log: true,
        };
    }
    if scalar && key == "C" {
        return Widget::Slider {
            min: 0.01,
            max: 100.0,
            log: true,
        };
    }
    if let Some(&(_, min, max, log)) = SLIDERS.iter().find(|(name, ..)| *name == key) {
        return Widget::Slider { min, max, log };
    }
    match kind {
        InputKind::Choice(names) => Widget::Select(names),
        InputKind::Flag => Widget::Checkbox,
        InputKind::Integer { min, max } => Widget::Integer { min, max },
        InputKind::Number { .. } | InputKind::Text => Widget::Text,
    }
}

/// The value at a slider position in `[0, SLIDER_STEPS]`, rounded to 3 significant digits so
/// that links stay short.
pub fn slider_value(position: u32, min: f64, max: f64, log: bool) -> f64 {
    let fraction = f64::from(position.min(SLIDER_STEPS)) / f64::from(SLIDER_STEPS);
    let value = if log {
        min * (max / min).powf(fraction)
    } else {
        min + fraction * (max - min)
    };
    round_significant(value, 3)
}

/// The slider position closest to `value` (clamped to the slider's span).
pub fn slider_position(value: f64, min: f64, max: f64, log: bool) -> u32 {
    if !value.is_finite() {
        return 0;
    }
    let fraction = if log {
        if value <= 0.0 {
            0.0
        } else {
            (value / min).ln() / (max / min).ln()
        }
    } else {
        (value - min) / (max - min)
    };
    (fraction.clamp(0.0, 1.0) * f64::from(SLIDER_STEPS)).round() as u32
}

/// `x` rounded to `digits` significant digits.
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits - 1 - magnitude);
    let rounded = (x * factor).round() / factor;
    // Printed through the shortest round-trip form, so 0.30000000000000004 becomes 0.3.
    format!("{rounded:.*e}", (digits - 1).max(0) as usize)
        .parse()
        .unwrap_or(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_positions_round_trip() {
        for (min, max, log) in [(0.01, 3.0, false), (0.1, 10.0, true)] {
            for position in [0, 1, 250, 500, 999, 1000] {
                let value = slider_value(position, min, max, log);
                let back = slider_position(value, min, max, log);
                assert!(
                    back.abs_diff(position) <= 2,
                    "{position} → {value} → {back}"
                );
            }
        }
        assert_eq!(slider_value(1000, 0.1, 10.0, true), 10.0);
        assert_eq!(slider_value(500, 0.1, 10.0, true), 1.0);
        assert_eq!(slider_position(50.0, 0.1, 10.0, true), 1000);
    }

    #[test]
    fn rounding_keeps_three_digits() {
        assert_eq!(round_significant(1.23456, 3), 1.23);
        assert_eq!(round_significant(0.000123456, 3), 0.000123);
        assert_eq!(round_significant(0.1 + 0.2, 3), 0.3);
        assert_eq!(round_significant(98765.0, 3), 98800.0);
    }
}
