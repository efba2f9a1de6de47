//! Small typed errors shared by every layer.
//!
//! A user can only ever cause a [`FieldError`]: it names the configuration key (or model field), the
//! offending value and what is allowed, so the CLI, the browser and the tests can all show the same
//! precise message.

use std::fmt;

/// One invalid input: which field, what value, what would have been allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: invalid value '{}'; allowed: {}",
            self.field, self.value, self.allowed
        )
    }
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
