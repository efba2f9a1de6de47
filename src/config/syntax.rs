//! The text syntax: pairs, percent-decoding and -encoding, numbers (read, and written by
//! [`format_number`]), matrices, lists and rows, and the typed values they become.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nalgebra::{DMatrix, DVector};

use super::{key_spec, unknown_key, KeySpec, Kind, MatrixSpec, Range, MAX_TEXT_BYTES, VERSION};
use crate::error::FieldError;
use crate::model::MAX_DIMENSION;
use crate::sim::Start;
use crate::spectrum::Spectrum;

/// Magnitudes at or above this are written in exponent form (`1e16`), not as long digit strings.
const EXPONENT_ABOVE: f64 = 1e16;
/// Non-zero magnitudes below this are written in exponent form (`1e-7`), not as `0.0000001`.
const EXPONENT_BELOW: f64 = 1e-5;

/// The shortest text that parses back to exactly `x`: Rust's `{}` (shortest round-trip digits) for
/// ordinary magnitudes, `{:e}` (also shortest round-trip) below 1e-5 and from 1e16 on, so that
/// neither 1e300 nor 1e-300 turns into hundreds of digits. Both forms are valid JSON numbers and
/// valid configuration numbers. Non-finite values give `NaN`, `inf` or `-inf` (never valid JSON:
/// [`crate::json::Json`] writes them as `null`).
///
/// # Example
/// ```
/// use sgd_playground::config::format_number;
/// assert_eq!(format_number(0.1), "0.1");
/// assert_eq!(format_number(3.0), "3");
/// assert_eq!(format_number(1.5e-7), "1.5e-7");
/// assert_eq!(format_number(2e300), "2e300");
/// ```
pub fn format_number(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 || !x.is_finite() || (EXPONENT_BELOW..EXPONENT_ABOVE).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Integer(u64),
    Number(f64),
    Flag(bool),
    Choice(&'static str),
    Matrix(MatrixSpec),
    Rows(DMatrix<f64>),
    List(Vec<f64>),
    Start(Start),
    Names(Vec<&'static str>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(n) => write!(f, "{n}"),
            Value::Number(x) => f.write_str(&format_number(*x)),
            Value::Flag(flag) => f.write_str(if *flag { "1" } else { "0" }),
            Value::Choice(name) => f.write_str(name),
            Value::Matrix(matrix) => write!(f, "{matrix}"),
            Value::Rows(rows) => f.write_str(&rows_text(rows)),
            Value::List(entries) => f.write_str(&list_text(entries)),
            Value::Start(Start::Zero) => f.write_str("zero"),
            Value::Start(Start::Stationary) => f.write_str("stationary"),
            Value::Start(Start::Point(point)) => f.write_str(&list_text(point.as_slice())),
            Value::Names(names) => f.write_str(&names.join(",")),
        }
    }
}

pub(super) fn list_text(entries: &[f64]) -> String {
    entries
        .iter()
        .map(|&x| format_number(x))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn rows_text(matrix: &DMatrix<f64>) -> String {
    matrix
        .row_iter()
        .map(|row| {
            row.iter()
                .map(|&x| format_number(x))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// A valid value read from the text.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub(super) value: Value,
    /// The value as written (decoded), for messages.
    pub(super) raw: String,
    /// Index of the pair in the text, to report in text order.
    pub(super) position: usize,
}

/// The text read pair by pair, before the keys are put together.
#[derive(Default)]
pub(super) struct Reading {
    /// The valid values, by key (the first of repeated keys).
    pub(super) entries: BTreeMap<&'static str, Entry>,
    /// Every problem, in text order.
    pub(super) problems: Vec<FieldError>,
    /// `v` larger than [`VERSION`](super::VERSION).
    pub(super) newer_version: Option<FieldError>,
    /// Known keys given with an invalid value.
    pub(super) invalid: BTreeSet<&'static str>,
}

pub(super) fn read(text: &str) -> Reading {
    let mut reading = Reading::default();
    if text.len() > MAX_TEXT_BYTES {
        reading.problems.push(FieldError::new(
            "config",
            format!("a text of {} bytes", text.len()),
            format!("a text of at most {MAX_TEXT_BYTES} bytes (1 MiB)"),
        ));
        return reading;
    }
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    for (position, pair) in split_pairs(text).into_iter().enumerate() {
        let (key, raw) = match pair {
            Ok(pair) => pair,
            Err(problem) => {
                reading.problems.push(problem);
                continue;
            }
        };
        let Some(spec) = key_spec(&key) else {
            reading.problems.push(unknown_key(&key, &raw));
            continue;
        };
        if let Some(first) = seen.get(spec.key) {
            reading.problems.push(FieldError::new(
                spec.key,
                shorten(&raw),
                format!(
                    "one value per key ({} is already given as '{}')",
                    spec.key,
                    shorten(first)
                ),
            ));
            continue;
        }
        seen.insert(spec.key, raw.clone());
        match parse_value(spec, &raw) {
            Ok(Value::Integer(version))
                if matches!(spec.kind, Kind::Version) && version > VERSION =>
            {
                reading.newer_version = Some(FieldError::new(
                    "v",
                    raw,
                    format!(
                        "{VERSION} (this text was written by a newer version of sgd-playground, for \
                         v={version}; this one reads v={VERSION} keys only)"
                    ),
                ));
            }
            Ok(value) => {
                reading.entries.insert(
                    spec.key,
                    Entry {
                        value,
                        raw,
                        position,
                    },
                );
            }
            Err(problem) => {
                reading.invalid.insert(spec.key);
                reading.problems.push(problem);
            }
        }
    }
    reading
}

/// Splits the text into decoded `(key, value)` pairs (see the module docs for the syntax).
pub(super) fn split_pairs(text: &str) -> Vec<Result<(String, String), FieldError>> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    // A pasted URL or query: drop everything up to its '?' when no pair comes before it.
    let text = match text.split_once('?') {
        Some((before, after)) if !before.contains(['=', '&', '\n', '\r']) => after,
        _ => text,
    };
    let mut pairs = Vec::new();
    for line in text.split(['\n', '\r']) {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for segment in line.split('&') {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            let Some((raw_key, raw_value)) = segment.split_once('=') else {
                let decoded = percent_decode(segment).unwrap_or_else(|lossy| lossy);
                pairs.push(Err(FieldError::new(
                    shorten(decoded.trim()),
                    shorten(decoded.trim()),
                    "key=value pairs separated by & or new lines",
                )));
                continue;
            };
            let key = match percent_decode(raw_key) {
                Ok(key) => key.trim().to_string(),
                Err(lossy) => {
                    pairs.push(Err(FieldError::new(
                        shorten(lossy.trim()),
                        shorten(segment),
                        "percent-encoded UTF-8 text",
                    )));
                    continue;
                }
            };
            match percent_decode(raw_value) {
                Ok(value) => pairs.push(Ok((key, value.trim().to_string()))),
                Err(lossy) => pairs.push(Err(FieldError::new(
                    key,
                    shorten(&lossy),
                    "percent-encoded UTF-8 text",
                ))),
            }
        }
    }
    pairs
}

/// Decodes `%XX` escapes and `+` (a space, except as an exponent sign as in `1e+3`). A `%` not
/// followed by two hex digits is kept as it is. `Err` holds a lossy decoding when the bytes are
/// not UTF-8.
pub(crate) fn percent_decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let high = bytes.get(i + 1).and_then(|&b| hex_digit(b));
                let low = bytes.get(i + 2).and_then(|&b| hex_digit(b));
                if let (Some(high), Some(low)) = (high, low) {
                    decoded.push(high * 16 + low);
                    i += 3;
                    continue;
                }
                decoded.push(b'%');
            }
            b'+' if !is_exponent_sign(bytes, i) => decoded.push(b' '),
            other => decoded.push(other),
        }
        i += 1;
    }
    String::from_utf8(decoded).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Percent-encodes what a query value cannot hold literally (`&`, `=`, `#`, `%`, `+`, spaces,
/// control characters and non-ASCII characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        let literal = byte.is_ascii_alphanumeric() || b"-._~,;:!*()'/".contains(&byte);
        if literal {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(super) fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Whether the `+` at `index` is the sign of an exponent: `<digit or .>e+<digit>`.
pub(super) fn is_exponent_sign(bytes: &[u8], index: usize) -> bool {
    let before = index.checked_sub(1).and_then(|i| bytes.get(i));
    let mantissa_end = index.checked_sub(2).and_then(|i| bytes.get(i));
    matches!(before, Some(b'e' | b'E'))
        && mantissa_end.is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.get(index + 1).is_some_and(u8::is_ascii_digit)
}

/// A value short enough for a one-line message.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    const KEEP: usize = 60;
    let length = text.chars().count();
    if length <= LIMIT {
        text.to_string()
    } else {
        let start: String = text.chars().take(KEEP).collect();
        format!("{start}… ({length} characters)")
    }
}

pub(super) fn parse_value(spec: &KeySpec, raw: &str) -> Result<Value, FieldError> {
    let invalid = |detail: Option<String>| {
        let allowed = match detail {
            Some(detail) => format!("{} ({detail})", spec.allowed),
            None => spec.allowed.to_string(),
        };
        FieldError::new(spec.key, shorten(raw), allowed)
    };
    if raw.is_empty() {
        return Err(invalid(Some("the value is empty".to_string())));
    }
    match spec.kind {
        Kind::Version => parse_integer(raw)
            .filter(|&n| n >= 1)
            .map(Value::Integer)
            .ok_or_else(|| invalid(None)),
        Kind::Choice(names) => names
            .iter()
            .copied()
            .find(|name| name.eq_ignore_ascii_case(raw))
            .map(Value::Choice)
            .ok_or_else(|| invalid(None)),
        Kind::Number(range) => parse_number(raw)
            .filter(|&x| range.contains(x))
            .map(Value::Number)
            .ok_or_else(|| invalid(None)),
        Kind::Integer { min, max } => parse_integer(raw)
            .filter(|n| (min..=max).contains(n))
            .map(Value::Integer)
            .ok_or_else(|| invalid(None)),
        Kind::Flag => match raw {
            "1" | "true" => Ok(Value::Flag(true)),
            "0" | "false" => Ok(Value::Flag(false)),
            _ => Err(invalid(None)),
        },
        Kind::Matrix if spec.key == "K" => match Spectrum::parse(raw) {
            Ok(Some(spectrum)) => Ok(Value::Matrix(MatrixSpec::Spectrum(spectrum))),
            Err(detail) => Err(invalid(Some(detail))),
            Ok(None) => parse_matrix(raw)
                .map(Value::Matrix)
                .map_err(|d| invalid(Some(d))),
        },
        Kind::Matrix => parse_matrix(raw)
            .map(Value::Matrix)
            .map_err(|d| invalid(Some(d))),
        Kind::Rows {
            max_rows,
            max_columns,
        } => parse_rows(raw, max_rows, max_columns)
            .map(|table| Value::Rows(table.to_matrix()))
            .map_err(|d| invalid(Some(d))),
        Kind::List { max_len, range } => parse_list(raw, max_len, range)
            .map(Value::List)
            .map_err(|d| invalid(Some(d))),
        Kind::Start if raw.eq_ignore_ascii_case("zero") => Ok(Value::Start(Start::Zero)),
        Kind::Start if raw.eq_ignore_ascii_case("stationary") => {
            Ok(Value::Start(Start::Stationary))
        }
        Kind::Start => parse_list(raw, MAX_DIMENSION, Range::Finite)
            .map(|point| Value::Start(Start::Point(DVector::from_vec(point))))
            .map_err(|d| invalid(Some(d))),
        Kind::Names(names) => parse_names(raw, names)
            .map(Value::Names)
            .map_err(|d| invalid(Some(d))),
    }
}

/// Distinct names of `names` separated by `,`, kept in the order of `names`.
pub(super) fn parse_names(
    raw: &str,
    names: &'static [&'static str],
) -> Result<Vec<&'static str>, String> {
    let mut chosen = Vec::new();
    for part in raw.split(',') {
        let part = part.trim();
        let Some(name) = names.iter().copied().find(|n| n.eq_ignore_ascii_case(part)) else {
            return Err(format!("{} is not one of them", shorten(part)));
        };
        if chosen.contains(&name) {
            return Err(format!("{name} is named twice"));
        }
        chosen.push(name);
    }
    chosen.sort_by_key(|name| names.iter().position(|n| n == name));
    Ok(chosen)
}

pub(super) fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

pub(super) fn parse_integer(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok()
}

/// Numbers read row by row, all rows of the same length.
pub(super) struct Table {
    pub(super) entries: Vec<f64>,
    pub(super) rows: usize,
    pub(super) columns: usize,
}

impl Table {
    pub(super) fn to_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.rows, self.columns, |i, j| {
            self.entries
                .get(i * self.columns + j)
                .copied()
                .unwrap_or(f64::NAN)
        })
    }
}

/// Rows separated by `;`, entries by `,`; `Err` says what is wrong.
pub(super) fn parse_rows(text: &str, max_rows: usize, max_columns: usize) -> Result<Table, String> {
    let mut table = Table {
        entries: Vec::new(),
        rows: 0,
        columns: 0,
    };
    for (row_index, row) in text.split(';').enumerate() {
        let row_number = row_index + 1;
        if table.rows == max_rows {
            return Err(format!("more than {max_rows} rows"));
        }
        let mut columns = 0;
        for entry in row.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(format!("row {row_number} has an empty entry"));
            }
            if columns == max_columns {
                return Err(format!(
                    "row {row_number} has more than {max_columns} entries"
                ));
            }
            let Some(x) = parse_number(entry) else {
                return Err(format!(
                    "'{}' in row {row_number} is not a finite number",
                    shorten(entry)
                ));
            };
            table.entries.push(x);
            columns += 1;
        }
        if row_index == 0 {
            table.columns = columns;
        } else if columns != table.columns {
            return Err(format!(
                "row {row_number} has {}, row 1 has {}",
                entries_text(columns),
                entries_text(table.columns)
            ));
        }
        table.rows += 1;
    }
    Ok(table)
}

/// "1 entry", "3 entries".
pub(super) fn entries_text(count: usize) -> String {
    if count == 1 {
        "1 entry".to_string()
    } else {
        format!("{count} entries")
    }
}

pub(super) fn parse_matrix(text: &str) -> Result<MatrixSpec, String> {
    let table = parse_rows(text, MAX_DIMENSION, MAX_DIMENSION)?;
    match (table.rows, table.columns) {
        (1, 1) => Ok(MatrixSpec::Scalar(
            table.entries.first().copied().unwrap_or(f64::NAN),
        )),
        (1, _) => Ok(MatrixSpec::Diagonal(table.entries)),
        (rows, columns) if rows == columns => Ok(MatrixSpec::Full(table.to_matrix())),
        (rows, columns) => Err(format!(
            "{rows} rows of {}: not square",
            entries_text(columns)
        )),
    }
}

/// Numbers separated by `,` or `;`.
pub(super) fn parse_list(text: &str, max_len: usize, range: Range) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    for (index, entry) in text.split([',', ';']).enumerate() {
        let entry = entry.trim();
        if values.len() == max_len {
            return Err(format!("more than {max_len} numbers"));
        }
        match parse_number(entry) {
            Some(x) if range.contains(x) => values.push(x),
            _ if entry.is_empty() => return Err(format!("entry {} is empty", index + 1)),
            _ => return Err(format!("entry {} is '{}'", index + 1, shorten(entry))),
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(value: &str) -> String {
        percent_decode(value).unwrap_or_else(|lossy| lossy)
    }

    #[test]
    fn decoding_keeps_malformed_escapes() {
        assert_eq!(decode("a%2Cb"), "a,b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("a+b"), "a b");
        assert_eq!(decode("%E2%80%A6"), "…");
    }

    #[test]
    fn encoding_round_trips() {
        for value in ["1,0.1", "a&b=c", "50%", "x y", "λ", "1e-7"] {
            assert_eq!(decode(&encode(value)), value);
        }
        assert_eq!(encode("1,0;2"), "1,0;2");
    }

    #[test]
    fn numbers_round_trip_exactly() {
        let values = [
            0.1,
            1.0 / 3.0,
            -2.5,
            1e-5,
            9.999_999_999_999_999e-6,
            1e16,
            9_999_999_999_999_998.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            123_456_789.123_456_79,
        ];
        for x in values {
            let text = format_number(x);
            let back: f64 = text.parse().expect("a number");
            assert_eq!(back.to_bits(), x.to_bits(), "{x} written as {text}");
        }
    }

    #[test]
    fn numbers_use_exponents_only_at_extreme_magnitudes() {
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(1e15), "1000000000000000");
        assert_eq!(format_number(1e16), "1e16");
        assert_eq!(format_number(1e-5), "0.00001");
        assert_eq!(format_number(-3e-6), "-3e-6");
        assert_eq!(format_number(0.0), "0");
    }
}
