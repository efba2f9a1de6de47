//! A tiny JSON writer (no serde): a value tree ([`Json`]) written compactly by its `Display`.
//!
//! Numbers are written in their shortest round-trip form ([`format_number`], the configuration
//! language's number syntax, which JSON shares), so a reader gets back
//! exactly the `f64` that was computed; non-finite numbers, which JSON cannot represent, become
//! `null`. Matrices are arrays of rows.

use std::fmt::{self, Write as _};

use nalgebra::{DMatrix, DVector};

use crate::config::format_number;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; written as `null` when not finite.
    Number(f64),
    /// A string, escaped when written.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object; members are written in this order (keys are not deduplicated).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` members, in order.
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Json)>) -> Self {
        Json::Object(
            members
                .into_iter()
                .map(|(key, value)| (key.into(), value))
                .collect(),
        )
    }

    /// An array of numbers.
    pub fn numbers(values: &[f64]) -> Self {
        Json::Array(values.iter().map(|&v| Json::Number(v)).collect())
    }

    /// A vector as an array of numbers.
    pub fn vector(vector: &DVector<f64>) -> Self {
        Self::numbers(vector.as_slice())
    }

    /// A matrix as an array of rows, each an array of numbers.
    pub fn matrix(matrix: &DMatrix<f64>) -> Self {
        Json::Array(
            matrix
                .row_iter()
                .map(|row| Json::Array(row.iter().map(|&v| Json::Number(v)).collect()))
                .collect(),
        )
    }

    /// `Some(matrix)` as [`Json::matrix`], `None` as `null`.
    pub fn optional_matrix(matrix: Option<&DMatrix<f64>>) -> Self {
        matrix.map_or(Json::Null, Self::matrix)
    }
}

impl From<f64> for Json {
    fn from(value: f64) -> Self {
        Json::Number(value)
    }
}

impl From<u64> for Json {
    /// A count as a number (exact up to 2⁵³, far beyond any count this program reports).
    fn from(value: u64) -> Self {
        Json::Number(value as f64)
    }
}

impl From<usize> for Json {
    /// A count as a number (exact up to 2⁵³, far beyond any count this program reports).
    fn from(value: usize) -> Self {
        Json::Number(value as f64)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    /// `Some(value)` as the value, `None` as `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or(Json::Null, Into::into)
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Self {
        Json::Bool(value)
    }
}

impl From<&str> for Json {
    fn from(value: &str) -> Self {
        Json::String(value.to_string())
    }
}

impl From<String> for Json {
    fn from(value: String) -> Self {
        Json::String(value)
    }
}

impl fmt::Display for Json {
    /// Compact JSON text (no spaces, no trailing newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(value) => f.write_str(if *value { "true" } else { "false" }),
            Json::Number(value) if value.is_finite() => f.write_str(&format_number(*value)),
            Json::Number(_) => f.write_str("null"),
            Json::String(text) => write_string(f, text),
            Json::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Json::Object(members) => {
                f.write_char('{')?;
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, key)?;
                    f.write_char(':')?;
                    write!(f, "{value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// Writes `text` as a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`,
/// … or `\u00XX`; U+2028 and U+2029 escaped too, so the output can be embedded in JavaScript.
fn write_string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                write!(f, "\\u{:04x}", u32::from(c))?
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_numbers_are_null() {
        let value = Json::numbers(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0]);
        assert_eq!(value.to_string(), "[null,null,null,1]");
    }

    #[test]
    fn strings_are_escaped() {
        let value = Json::from("a\"b\\c\nd\te\u{1}f\u{2028}é");
        assert_eq!(value.to_string(), r#""a\"b\\c\nd\te\u0001f\u2028é""#);
    }

    #[test]
    fn objects_keep_order_and_escape_keys() {
        let value = Json::object([
            ("b", Json::from(true)),
            ("a\"", Json::Null),
            ("c", Json::from(2.5)),
        ]);
        assert_eq!(value.to_string(), r#"{"b":true,"a\"":null,"c":2.5}"#);
        assert_eq!(Json::object(Vec::<(String, Json)>::new()).to_string(), "{}");
        assert_eq!(Json::Array(vec![]).to_string(), "[]");
    }

    #[test]
    fn counts_and_options_convert() {
        assert_eq!(Json::from(12_u64).to_string(), "12");
        assert_eq!(Json::from(4_000_000_000_usize).to_string(), "4000000000");
        assert_eq!(Json::from(None::<f64>).to_string(), "null");
        assert_eq!(Json::from(Some(0.5)).to_string(), "0.5");
    }

    #[test]
    fn matrices_are_arrays_of_rows() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.5]);
        assert_eq!(Json::matrix(&m).to_string(), "[[1,2,3],[4,5,6.5]]");
        assert_eq!(Json::optional_matrix(None).to_string(), "null");
        let v = DVector::from_vec(vec![0.25, -1.0]);
        assert_eq!(Json::vector(&v).to_string(), "[0.25,-1]");
    }
}
