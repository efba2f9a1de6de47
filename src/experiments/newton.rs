//! SCAFFOLD (replaced before landing): `fig=newton`.

use super::data::FigureData;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::SecondOrderFigureConfig;
use crate::error::{FieldError, FieldErrors};

/// SCAFFOLD.
pub(crate) struct SecondOrderPlan;

impl SecondOrderPlan {
    /// SCAFFOLD.
    pub(crate) fn new(_config: &SecondOrderFigureConfig) -> Result<Self, FieldErrors> {
        Err(FieldError::new("fig", "newton", "not drawn yet").into())
    }
}

impl FigurePlan for SecondOrderPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        unreachable!()
    }
    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
