//! SCAFFOLD (replaced before landing): `fig=explorer`.

use super::data::FigureData;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::ExplorerFigureConfig;
use crate::error::{FieldError, FieldErrors};

/// SCAFFOLD.
pub(crate) struct ExplorerPlan;

impl ExplorerPlan {
    /// SCAFFOLD.
    pub(crate) fn new(_config: &ExplorerFigureConfig) -> Result<Self, FieldErrors> {
        Err(FieldError::new("fig", "explorer", "not drawn yet").into())
    }
}

impl FigurePlan for ExplorerPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        unreachable!()
    }
    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
