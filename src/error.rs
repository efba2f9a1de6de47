//! Small typed errors shared by every layer.
//!
//! A user can only ever cause a [`FieldError`]: it names the configuration key (or model field), the
//! offending value and what is allowed, so the CLI, the browser and the tests can all show the same
//! precise message.

use std::fmt;

/// One invalid input: which field, what value, what would have been allowed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// The configuration key or model field, e.g. `lr` or `K`.
    pub field: String,
    /// The value as the user wrote it (or a short description of it, for a matrix).
    pub value: String,
    /// What is allowed, e.g. `a finite number > 0`.
    pub allowed: String,
}

impl FieldError {
    /// Builds an error for `field` holding `value`, where `allowed` says what would be accepted.
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for FieldError {
    /// `field: invalid value 'value'; allowed: allowed`, on one line: control characters, bidi
    /// overrides and invisible characters in any part are shown escaped ([`escape_text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: invalid value '{}'; allowed: {}",
            escape_text(&self.field),
            escape_text(&self.value),
            escape_text(&self.allowed)
        )
    }
}

/// Whether `c` must not be echoed as it is: a control character (it would break a line or move
/// the cursor), a bidirectional formatting character (it would reorder the text around it) or an
/// invisible one (zero-width spaces and joiners, the byte-order mark, the soft hyphen, …).
pub fn is_unsafe_to_echo(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// `text` safe to echo on one line: `\n`, `\r`, `\t`, and `\u{…}` for every other character of
/// [`is_unsafe_to_echo`] (e.g. U+202E, the right-to-left override, becomes `\u{202e}`); a
/// backslash stays as it is. Borrowed when nothing needs escaping.
///
/// # Example
/// ```
/// use sgd_playground::error::escape_text;
/// assert_eq!(escape_text("1\n2"), "1\\n2");
/// assert_eq!(escape_text("a\u{202E}b"), "a\\u{202e}b");
/// assert_eq!(escape_text("λ = 1,5"), "λ = 1,5");
/// ```
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_to_echo) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if is_unsafe_to_echo(c) => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    std::borrow::Cow::Owned(escaped)
}

impl std::error::Error for FieldError {}

/// Every problem found in one input, in the order found. Never empty when returned as an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// The list of problems.
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Short human description of a matrix for an error message: its size and, when small, its entries.
pub(crate) fn describe_matrix(m: &nalgebra::DMatrix<f64>) -> String {
    if m.is_empty() {
        "(empty matrix)".to_string()
    } else if m.len() <= 9 {
        let rows: Vec<String> = (0..m.nrows())
            .map(|i| {
                (0..m.ncols())
                    .map(|j| format!("{}", m[(i, j)]))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        rows.join(";")
    } else {
        format!("a {}x{} matrix", m.nrows(), m.ncols())
    }
}
