//! SCAFFOLD (replaced before landing): `fig=bayes`.

use super::data::FigureData;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::BayesFigureConfig;
use crate::error::{FieldError, FieldErrors};

/// SCAFFOLD.
pub(crate) struct BayesPlan;

impl BayesPlan {
    /// SCAFFOLD.
    pub(crate) fn new(_config: &BayesFigureConfig) -> Result<Self, FieldErrors> {
        Err(FieldError::new("fig", "bayes", "not drawn yet").into())
    }
}

impl FigurePlan for BayesPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        unreachable!()
    }
    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
