//! SCAFFOLD (replaced before landing): `fig=escape`.

use super::data::FigureData;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::EscapeEfficiencyFigureConfig;
use crate::error::{FieldError, FieldErrors};

/// SCAFFOLD.
pub(crate) struct EscapeEfficiencyPlan;

impl EscapeEfficiencyPlan {
    /// SCAFFOLD.
    pub(crate) fn new(_config: &EscapeEfficiencyFigureConfig) -> Result<Self, FieldErrors> {
        Err(FieldError::new("fig", "escape", "not drawn yet").into())
    }
}

impl FigurePlan for EscapeEfficiencyPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        unreachable!()
    }
    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
