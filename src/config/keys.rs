//! The key table's machinery: [`KeySpec`], the names each choice key takes, the defaults that
//! depend on the figure, aliases of old spellings, and the README's key table.

use super::{parse_value, shorten, Value, FIGURE_IDS, KEYS, VERSION};
use crate::error::FieldError;

/// One configuration key: everything the parser, the documentation and the help text need.
#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    /// The key, e.g. `lr` (case-sensitive).
    pub key: &'static str,
    /// The label of its control on the page, with the paper's symbol (`learning rate λ`).
    pub label: &'static str,
    /// The span of its slider on the page, if it gets one (otherwise a field, a select or a
    /// checkbox, after its kind).
    pub slider: Option<SliderSpan>,
    /// Words people use for it (`learning_rate`), suggested as this key when given as a key.
    pub aliases: &'static [&'static str],
    /// What it means, with the paper's symbol and equation.
    pub meaning: &'static str,
    /// How the value is written (`number`, `integer`, `matrix`, `list`, `rows`, `name`, `0 or 1`).
    pub format: &'static str,
    /// The default in the configuration language; empty when there is none (see `default_meaning`).
    pub default: &'static str,
    /// The default with `landscape=doublewell`, when it differs from `default` (`lr` and `S`: the
    /// values of `FIGURES.md`, Fig. 6).
    pub double_well_default: Option<&'static str>,
    /// The default in words, e.g. `0.5 (0.5·I)`.
    pub default_meaning: &'static str,
    /// What values are allowed (the `allowed` of its [`FieldError`]s).
    pub allowed: &'static str,
    /// When the key is used, e.g. `opt=qhm`.
    pub used_when: &'static str,
    pub(super) kind: Kind,
}

/// A slider's span on the page: from `min` to `max`, linear or logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliderSpan {
    /// The left end.
    pub min: f64,
    /// The right end.
    pub max: f64,
    /// Logarithmic (for spans of several decades).
    pub log: bool,
}

/// The optimizers, as `opt` names them.
pub(super) const OPTIMIZERS: &[&str] = &crate::model::OPTIMIZER_NAMES;

/// The noise models, as `noise` names them.
pub(super) const NOISES: &[&str] = &["gauss", "batch", "fisher"];

/// The landscapes, as `landscape` names them.
pub(super) const LANDSCAPES: &[&str] = &["quadratic", "doublewell"];

/// Where a simulation of NGD takes its Fisher from, as `fisher` names them.
pub(super) const FISHER_ESTIMATES: &[&str] = &["exact", "ensemble"];

/// Keys whose value decides which other keys are used.
pub(super) const CONTEXT_KEYS: &[&str] = &["fig", "landscape", "opt", "noise", "X", "y"];

/// The loss conventions, as `loss` names them.
pub(super) const LOSS_CONVENTIONS: &[&str] = &["eq28", "half"];

/// The forms of Eq. 52, as `eq52` names them.
pub(super) const EQ52_FORMS: &[&str] = &["printed", "corrected"];

/// The per-figure default of `key` with `fig=figure`, if it has one.
pub fn figure_default(figure: &str, key: &str) -> Option<&'static str> {
    super::figure_entry(figure)?
        .defaults
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, default)| *default)
}

/// The default of `key` as configuration text, with `fig=figure` (`None`: no figure, the
/// quadratic landscape's defaults); `None` when the key has no default (e.g. `fig`, `X`).
///
/// # Example
/// ```
/// use sgd_playground::config::default_text;
/// assert_eq!(default_text(Some("2a"), "particles").as_deref(), Some("10000"));
/// assert_eq!(default_text(Some("6b"), "lr").as_deref(), Some("1"));
/// assert_eq!(default_text(None, "lr").as_deref(), Some("0.5"));
/// ```
pub fn default_text(figure: Option<&str>, key: &str) -> Option<String> {
    let spec = key_spec(key)?;
    let context = match figure.and_then(|id| FIGURE_IDS.iter().find(|known| **known == id)) {
        Some(id) => DefaultContext::figure(id),
        None => DefaultContext {
            double_well: false,
            figure: None,
            optimizer: None,
        },
    };
    default_value(spec, context).map(|value| value.to_string())
}

/// How a form edits a key's value: what [`KeySpec`] allows, as an input element needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InputKind {
    /// One of these names (a select).
    Choice(&'static [&'static str]),
    /// A finite number; `min`/`max` bound it when given (`min_exclusive`: strictly above `min`,
    /// `max_exclusive`: strictly below `max`).
    Number {
        /// Lower bound.
        min: Option<f64>,
        /// Whether the lower bound itself is excluded.
        min_exclusive: bool,
        /// Upper bound.
        max: Option<f64>,
        /// Whether the upper bound itself is excluded.
        max_exclusive: bool,
    },
    /// An integer in `[min, max]`.
    Integer {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// `0` or `1` (a checkbox).
    Flag,
    /// Free text: a matrix, a list, rows or a start point.
    Text,
}

impl KeySpec {
    /// How a form edits this key.
    pub fn input_kind(&self) -> InputKind {
        let number = |min, min_exclusive, max, max_exclusive| InputKind::Number {
            min,
            min_exclusive,
            max,
            max_exclusive,
        };
        match self.kind {
            Kind::Version => InputKind::Integer {
                min: 1,
                max: VERSION,
            },
            Kind::Choice(names) => InputKind::Choice(names),
            Kind::Number(range) => match range {
                Range::Finite => number(None, false, None, false),
                Range::Positive => number(Some(0.0), true, None, false),
                Range::NonNegative => number(Some(0.0), false, None, false),
                Range::UnitHalfOpen => number(Some(0.0), false, Some(1.0), true),
                Range::UnitClosed => number(Some(0.0), false, Some(1.0), false),
            },
            Kind::Integer { min, max } => InputKind::Integer { min, max },
            Kind::Flag => InputKind::Flag,
            Kind::Matrix | Kind::Rows { .. } | Kind::List { .. } | Kind::Start | Kind::Names(_) => {
                InputKind::Text
            }
        }
    }
}

/// Which defaults apply: the double well's (`lr`, `S`), a figure's, or the plain ones.
#[derive(Clone, Copy, Debug)]
pub(super) struct DefaultContext {
    /// `landscape=doublewell`, or a figure of the double well (6a, 6b).
    pub(super) double_well: bool,
    /// The figure, if any.
    pub(super) figure: Option<&'static str>,
    /// The landscape's `opt`, whose frameworks' defaults some keys follow (RMSprop's `mu`,
    /// `beta2` and `bias_correction`).
    pub(super) optimizer: Option<&'static str>,
}

/// The keys whose default follows `opt` (PyTorch's defaults: `RMSprop(alpha=0.99, momentum=0)`,
/// no bias correction).
const OPTIMIZER_DEFAULTS: &[(&str, &str, &str)] = &[
    ("rmsprop", "mu", "0"),
    ("rmsprop", "beta2", "0.99"),
    ("rmsprop", "bias_correction", "0"),
];

impl DefaultContext {
    pub(super) fn figure(id: &'static str) -> Self {
        Self {
            double_well: matches!(id, "6a" | "6b"),
            figure: Some(id),
            optimizer: None,
        }
    }
}

/// The specification of `key`, if it is a key of version 1.
pub fn key_spec(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|spec| spec.key == key)
}

/// The README's table of every key (GitHub Markdown): key, meaning, format, default, allowed
/// values and when it is used, from [`KEYS`] (`|` in the text is escaped).
pub fn keys_markdown_table() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut table = String::from(
        "| key | meaning | format | default | allowed | used when |\n|---|---|---|---|---|---|\n",
    );
    for spec in KEYS {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            spec.key,
            cell(spec.meaning),
            cell(spec.format),
            cell(spec.default_meaning),
            cell(spec.allowed),
            cell(spec.used_when)
        ));
    }
    table
}

/// How a key's value is read.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// The version: an integer ≥ 1.
    Version,
    /// One of these names (ASCII case ignored).
    Choice(&'static [&'static str]),
    /// A finite number in a range.
    Number(Range),
    /// An integer in [min, max].
    Integer { min: u64, max: u64 },
    /// `0` or `1`.
    Flag,
    /// A square matrix in one of [`MatrixSpec`](super::MatrixSpec)'s forms.
    Matrix,
    /// Rows of numbers (a data matrix; one row is one row).
    Rows { max_rows: usize, max_columns: usize },
    /// Numbers separated by `,` (or `;`).
    List { max_len: usize, range: Range },
    /// `zero`, `stationary` (ASCII case ignored), or a point: numbers separated by `,`.
    Start,
    /// One or more distinct names of the list, separated by `,` (ASCII case ignored).
    Names(&'static [&'static str]),
}

/// Allowed range of a number.
#[derive(Clone, Copy, Debug)]
pub(super) enum Range {
    Finite,
    Positive,
    NonNegative,
    UnitHalfOpen,
    UnitClosed,
}

impl Range {
    pub(super) fn contains(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Range::Finite => true,
                Range::Positive => x > 0.0,
                Range::NonNegative => x >= 0.0,
                Range::UnitHalfOpen => (0.0..1.0).contains(&x),
                Range::UnitClosed => (0.0..=1.0).contains(&x),
            }
    }
}

/// The default value of a key for the quadratic landscape, the double well or a figure, `None`
/// for keys without one (`X`, `y`, `w_star`, `burnin` outside figures, `fig`, `eq52_const`, ...).
pub(super) fn default_value(spec: &KeySpec, context: DefaultContext) -> Option<Value> {
    let figure_text = context
        .figure
        .and_then(|figure| figure_default(figure, spec.key));
    let optimizer_text = context.optimizer.and_then(|optimizer| {
        OPTIMIZER_DEFAULTS
            .iter()
            .find(|(opt, key, _)| *opt == optimizer && *key == spec.key)
            .map(|(_, _, text)| *text)
    });
    let text = match (figure_text.or(optimizer_text), spec.double_well_default) {
        (Some(text), _) => text,
        (None, Some(text)) if context.double_well => text,
        _ => spec.default,
    };
    if text.is_empty() {
        None
    } else {
        parse_value(spec, text).ok()
    }
}

pub(super) fn unknown_key(key: &str, raw: &str) -> FieldError {
    let suggestion = KEYS
        .iter()
        .map(|spec| spec.key)
        .find(|known| known.eq_ignore_ascii_case(key))
        .or_else(|| {
            KEYS.iter()
                .find(|spec| {
                    spec.aliases
                        .iter()
                        .any(|alias| alias.eq_ignore_ascii_case(key))
                })
                .map(|spec| spec.key)
        });
    let hint = suggestion.map_or(String::new(), |known| format!(" (did you mean {known}?)"));
    let keys: Vec<&str> = KEYS.iter().map(|spec| spec.key).collect();
    let field = if key.is_empty() {
        "(empty key)".to_string()
    } else {
        shorten(key)
    };
    FieldError::new(
        field,
        shorten(&format!("{key}={raw}")),
        format!("a key of v={VERSION}{hint}: {}", keys.join(", ")),
    )
}
