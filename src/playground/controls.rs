//! One form control per configuration key a figure reads: which input element, its label with the
//! paper's symbol, its range, and the value shown.

use crate::config::{default_text, key_spec, Config, InputKind, SliderSpan};

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
    /// What values are allowed, in words, with the paper's symbols where the key table names
    /// other keys (`μₘₐₓ` for `mu_max`).
    pub allowed: String,
    /// What the key means (the README's wording).
    pub meaning: &'static str,
    /// The input element.
    pub widget: Widget,
}

/// The selects a figure narrows: (figure, key, the names offered, what is allowed in words).
const NARROWER_SELECTS: &[(&str, &str, &[&str], &str)] = &[
    (
        "phase",
        "opt",
        &["sgdm", "qhm"],
        "sgdm or qhm (the momentum methods the diagram is drawn for)",
    ),
    (
        "phase",
        "noise",
        &["gauss", "batch"],
        "gauss (white noise C) or batch (minibatch noise of the data)",
    ),
    (
        "schedule",
        "opt",
        &["sgd", "sgdm", "qhm", "nesterov"],
        "sgd, sgdm, qhm or nesterov (a schedule scales a scalar λ)",
    ),
    (
        "adam",
        "opt",
        &["adam", "adamw", "rmsprop"],
        "adam, adamw or rmsprop (the adaptive methods)",
    ),
];

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
            let scalar = figure
                .and_then(crate::config::figure_entry)
                .is_some_and(|entry| entry.scalar_model);
            let mut widget = widget(key, spec.input_kind(), scalar);
            // Figures that take fewer names than the key allows elsewhere offer only those.
            let narrowed = NARROWER_SELECTS
                .iter()
                .find(|(id, name, ..)| figure == Some(*id) && key == *name);
            if let Some((_, _, names, _)) = narrowed {
                widget = Widget::Select(names);
            }
            let mut label = spec.label.to_string();
            let mut allowed = spec.allowed;
            if scalar && key == "K" {
                label = "curvature k".to_string();
                allowed = "a finite number > 0";
            } else if scalar && key == "C" {
                label = "noise variance σ²".to_string();
                allowed = "a finite number > 0";
            }
            if let Some((.., words)) = narrowed {
                allowed = words;
            }
            let allowed = with_symbols(allowed);
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

/// Keys that hints name, and the paper's symbols for them.
const SYMBOLS: &[(&str, &str)] = &[
    ("mu_max", "μₘₐₓ"),
    ("mu_min", "μₘᵢₙ"),
    ("r_max", "rₘₐₓ"),
    ("r_min", "rₘᵢₙ"),
    ("lrk_max", "(λk)ₘₐₓ"),
    ("k_a", "kₐ"),
    ("lr_k", "λk"),
];

/// `text` with every configuration key of `SYMBOLS` written as the paper's symbol (whole
/// words only: `2(1+mu_max)` → `2(1+μₘₐₓ)`, `λk_a` → `λkₐ`).
pub fn with_symbols(text: &str) -> String {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while let Some(c) = rest.chars().next() {
        let previous = out.chars().last();
        for (key, symbol) in SYMBOLS {
            let Some(after) = rest.strip_prefix(key) else {
                continue;
            };
            let ends = !after.chars().next().is_some_and(identifier);
            // `λk_a`: the key starts inside a symbol, after a non-ASCII letter; `xk_a` is a word.
            let starts = previous.is_none_or(|p| !identifier(p));
            let inside_symbol = key.starts_with("k_") && previous == Some('λ');
            if ends && (starts || inside_symbol) {
                out.push_str(symbol);
                rest = after;
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The next value of a finely stepped control: `value` times or divided by 10^(1/40) (about 6%
/// per step, 40 steps a decade), rounded to 3 significant digits, kept in `[min, max]`, and
/// always moving by at least one rounded step. For a slider whose span is several decades, where
/// one pixel of the slider is already a few percent.
pub fn nudge(value: f64, up: bool, min: f64, max: f64) -> f64 {
    let factor = 10f64.powf(1.0 / 40.0);
    let target = if up { value * factor } else { value / factor };
    let mut next = round_significant(target, 3);
    if next == value {
        // 3 digits could round back: move by one unit in the third digit.
        let unit = 10f64.powf(value.abs().log10().floor() - 2.0);
        next = round_significant(if up { value + unit } else { value - unit }, 3);
    }
    next.clamp(min, max)
}

/// Whether a slider spans so many decades that it also gets fine steps ([`nudge`]).
pub fn needs_fine_steps(widget: &Widget) -> bool {
    matches!(widget, Widget::Slider { min, max, log: true } if max / min >= 100.0)
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
    if let Some(SliderSpan { min, max, log }) = key_spec(key).and_then(|spec| spec.slider) {
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
    fn hints_write_the_paper_symbols() {
        assert_eq!(
            with_symbols("a finite number in (0, 2(1+mu_max)) (SGDM diverges for λk ≥ 2(1+μ))"),
            "a finite number in (0, 2(1+μₘₐₓ)) (SGDM diverges for λk ≥ 2(1+μ))"
        );
        assert_eq!(
            with_symbols("below mu_max, above mu_min"),
            "below μₘₐₓ, above μₘᵢₙ"
        );
        assert_eq!(with_symbols("in (0, 2/(λk_a))"), "in (0, 2/(λkₐ))");
        // Only whole keys: other words with the same letters stay.
        assert_eq!(with_symbols("mu_maxima, emu_max"), "mu_maxima, emu_max");
        let phase = crate::config::Config::parse("fig=phase").expect("valid");
        let all = controls(&phase);
        let opt = all.iter().find(|c| c.key == "opt").expect("opt");
        assert!(opt.allowed.starts_with("sgdm or qhm"), "{}", opt.allowed);
        assert!(all.iter().all(|c| !c.allowed.contains("mu_max")));
    }

    #[test]
    fn fine_steps_move_a_few_percent_and_stay_in_range() {
        let mut value = 1.0;
        for _ in 0..40 {
            let next = nudge(value, true, 0.01, 100.0);
            assert!(next > value && next / value < 1.1, "{value} → {next}");
            value = next;
        }
        // 40 steps are a decade, to the rounding of each step.
        assert!((value / 10.0 - 1.0).abs() < 0.05, "{value}");
        assert_eq!(nudge(100.0, true, 0.01, 100.0), 100.0);
        assert_eq!(nudge(0.01, false, 0.01, 100.0), 0.01);
        assert!(nudge(2.0, false, 0.01, 100.0) < 2.0);
        let sigma = Widget::Slider {
            min: 0.01,
            max: 100.0,
            log: true,
        };
        assert!(needs_fine_steps(&sigma));
        assert!(!needs_fine_steps(&Widget::Slider {
            min: 0.0,
            max: 1.0,
            log: false
        }));
    }

    #[test]
    fn rounding_keeps_three_digits() {
        assert_eq!(round_significant(1.23456, 3), 1.23);
        assert_eq!(round_significant(0.000123456, 3), 0.000123);
        assert_eq!(round_significant(0.1 + 0.2, 3), 0.3);
        assert_eq!(round_significant(98765.0, 3), 98800.0);
    }
}
