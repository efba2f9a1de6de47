//! SCAFFOLD (replaced before landing): `fig=phase`.

use super::data::FigureData;
use super::run::{Outcome, Task, TaskLabel};
use super::FigurePlan;
use crate::config::PhaseDiagramFigureConfig;
use crate::error::{FieldError, FieldErrors};

/// SCAFFOLD.
pub(crate) struct PhaseDiagramPlan;

impl PhaseDiagramPlan {
    /// SCAFFOLD.
    pub(crate) fn new(_config: &PhaseDiagramFigureConfig) -> Result<Self, FieldErrors> {
        Err(FieldError::new("fig", "phase", "not drawn yet").into())
    }
}

impl FigurePlan for PhaseDiagramPlan {
    fn build(&self, _outcomes: &[(TaskLabel, Outcome)]) -> FigureData {
        unreachable!()
    }
    fn tasks(&self) -> Vec<Task> {
        Vec::new()
    }
}
