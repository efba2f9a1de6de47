//! The paper's figures as experiments: a typed configuration in, [`data::FigureData`] out.
//!
//! A configuration with `fig` (see [`crate::config::FigureConfig`]) builds an [`Experiment`]:
//! - [`Experiment::theory`]: the theory curves, thresholds, diverged regions, axes and caption,
//!   with empty simulation series (closed forms and small engine solves: instant; Fig. 6(b)'s
//!   exact escape-rate curve is computed once, on first use, and kept);
//! - [`Experiment::simulation`]: a [`SimulationRun`] that the caller advances in bounded slices
//!   ([`SimulationRun::advance`]), so that a browser can run a few milliseconds per frame;
//! - [`Experiment::figure`]: the theory plus every simulated point finished so far. A partial run
//!   is a valid figure: points fill in as their ensembles finish. The numbers do not depend on how
//!   the run was sliced (every ensemble is reproducible bit for bit, and the ensembles run one
//!   after the other in a fixed order).
//!
//! Every number in a [`data::FigureData`] is finite: a theory curve is cut where its dynamics
//! diverges, the diverged region is a [`data::Shading`] and the threshold a [`data::Marker`].
//!
//! # Example
//! ```
//! use sgd_playground::config::Config;
//! use sgd_playground::experiments::Experiment;
//! let config = Config::parse("fig=5a&points=4&particles=50&steps=300&burnin=100").unwrap();
//! let experiment = Experiment::new(&config).unwrap();
//! let theory = experiment.theory();
//! assert_eq!(theory.panels[0].markers[0].x, 0.375); // μ = (λk − 2)/2 with λk = 2.75
//! let mut run = experiment.simulation();
//! while !run.is_done() {
//!     run.advance(100_000); // a bounded piece of work, e.g. one animation frame
//! }
//! let figure = experiment.figure(&run);
//! assert_eq!(figure.panels[0].points[0].points.len(), 4);
//! ```

pub mod data;

mod adam;
mod bayes;
mod common;
mod escape;
mod explorer;
mod fig1b;
mod fig2;
mod fig3;
mod fig4;
mod fig5;
mod fig6;
mod minibatch;
mod newton;
mod phase;
mod run;
mod schedule;

pub use fig6::{EXACT_ESCAPE_CELLS, EXACT_ESCAPE_POINTS};
pub use run::{SimulationRun, TaskResult};

use crate::config::{Config, FigureConfig, FIGURE_IDS};
use crate::error::{FieldError, FieldErrors};
use data::FigureData;
use run::{Outcome, Task, TaskLabel};

/// What every figure module provides: its theory and simulated points as [`FigureData`], and the
/// ensembles its simulation runs.
trait FigurePlan: Send + Sync {
    /// The figure with the simulated points of `outcomes` (none: the theory alone).
    fn build(&self, outcomes: &[(TaskLabel, Outcome)]) -> FigureData;
    /// The simulation's ensembles, in the order they run.
    fn tasks(&self) -> Vec<Task>;
    /// Progressive mode: expensive theory parts wait for [`FigurePlan::refine_theory`] instead
    /// of being computed on first use.
    fn set_progressive(&self, _progressive: bool) {}
    /// Computes one more expensive theory part; whether it did.
    fn refine_theory(&self) -> bool {
        false
    }
    /// Whether every theory part is computed.
    fn theory_complete(&self) -> bool {
        true
    }
}

/// One of the paper's figures, ready to draw: validated, with its theory's expensive parts
/// prepared.
pub struct Experiment {
    id: &'static str,
    plan: Box<dyn FigurePlan>,
}

impl std::fmt::Debug for Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Experiment").field("id", &self.id).finish()
    }
}

impl Experiment {
    /// The experiment of the configuration's figure (`fig`).
    ///
    /// # Errors
    /// An error naming `fig` when the configuration has no figure; otherwise every problem
    /// [`FigureConfig::validate`] finds, each naming a key, its value and what is allowed.
    pub fn new(config: &Config) -> Result<Experiment, FieldErrors> {
        match &config.figure {
            Some(figure) => Experiment::from_figure(figure),
            None => Err(FieldError::new(
                "fig",
                "(none)",
                format!("one of {} (the figure to draw)", FIGURE_IDS.join(", ")),
            )
            .into()),
        }
    }

    /// The experiment of a figure configuration.
    ///
    /// # Errors
    /// Every problem [`FigureConfig::validate`] finds.
    pub fn from_figure(figure: &FigureConfig) -> Result<Experiment, FieldErrors> {
        figure.validate()?;
        let plan: Box<dyn FigurePlan> = match figure {
            FigureConfig::Fig1b(config) => Box::new(fig1b::DecayPlan::new(config)),
            FigureConfig::Fig2a(config) => Box::new(fig2::WhiteNoisePlan::new(config)),
            FigureConfig::Fig2b(config) => Box::new(fig2::MinibatchPlan::new(config)?),
            FigureConfig::Fig3(config) => Box::new(fig3::WhiteNoiseScatterPlan::new(config)?),
            FigureConfig::Fig4(config) => Box::new(fig4::MinibatchScatterPlan::new(config)?),
            FigureConfig::Fig5a(config) => Box::new(fig5::WhiteNoisePlan::new(config, "5a")),
            FigureConfig::Fig5b(config) => Box::new(fig5::WhiteNoisePlan::new(config, "5b")),
            FigureConfig::Fig5c(config) => Box::new(fig5::MinibatchPlan::new(config, "5c")?),
            FigureConfig::Fig5d(config) => Box::new(fig5::MinibatchPlan::new(config, "5d")?),
            FigureConfig::Fig6a(config) => Box::new(fig6::DensityPlan::new(config)?),
            FigureConfig::Fig6b(config) => Box::new(fig6::EscapeRatePlan::new(config)?),
            FigureConfig::Phase(config) => Box::new(phase::PhaseDiagramPlan::new(config)?),
            FigureConfig::Bayes(config) => Box::new(bayes::BayesPlan::new(config)?),
            FigureConfig::Escape(config) => Box::new(escape::EscapeEfficiencyPlan::new(config)?),
            FigureConfig::Newton(config) => Box::new(newton::SecondOrderPlan::new(config)?),
            FigureConfig::Explorer(config) => Box::new(explorer::ExplorerPlan::new(config)?),
            FigureConfig::Schedule(config) => Box::new(schedule::SchedulePlan::new(config)?),
            FigureConfig::Adam(config) => Box::new(adam::AdamPlan::new(config)?),
        };
        Ok(Experiment {
            id: figure.id(),
            plan,
        })
    }

    /// The figure id (`1b`, `2a`, …, `6b`).
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The same experiment in progressive mode (the browser): an expensive theory part (the exact
    /// escape rate of Fig. 6(b), one solve per value of r) is left out of [`Experiment::theory`]
    /// and [`Experiment::figure`] until [`Experiment::refine_theory`] computes it, piece by
    /// piece, so that no call blocks a page for long. Otherwise such parts are computed on first
    /// use (the command line, the tests).
    pub fn progressive(self) -> Self {
        self.plan.set_progressive(true);
        self
    }

    /// Computes one more piece of the theory (progressive mode); returns whether it did (false:
    /// the theory is complete).
    pub fn refine_theory(&self) -> bool {
        self.plan.refine_theory()
    }

    /// Whether the theory is complete (always, outside progressive mode).
    pub fn theory_complete(&self) -> bool {
        self.plan.theory_complete()
    }

    /// The theory alone: curves, thresholds, shading, axes, caption; simulation series empty.
    pub fn theory(&self) -> FigureData {
        self.plan.build(&[])
    }

    /// A new simulation run of this figure, not started (no work is done until
    /// [`SimulationRun::advance`]). Theory-only figures (1(b), 6(a)) get a run that is already
    /// done.
    pub fn simulation(&self) -> SimulationRun {
        SimulationRun::new(self.id, self.plan.tasks())
    }

    /// The theory with the simulated points `run` has finished so far. A run of another
    /// experiment contributes nothing.
    pub fn figure(&self, run: &SimulationRun) -> FigureData {
        if run.figure_id() == self.id {
            self.plan.build(run.outcomes())
        } else {
            self.theory()
        }
    }
}
