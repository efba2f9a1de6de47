//! What the page's elements ask of the page: a card's button, a form's control, the canvas's
//! pointer, the solver panel. Cards, forms and the solver panel send a [`PageEvent`] through
//! [`Events`] and know nothing of [`App`](super::App); the app builds the one `Events` it hands
//! out around a weak reference to itself and dispatches each event ([`App::dispatch`](super::App::dispatch)).

use std::rc::Rc;

use super::app::Action;
use super::solver::SolverAction;

/// One thing an element of the page asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum PageEvent {
    /// A card's button (or its embed options) asks for an action.
    Action {
        /// The card's index.
        card: usize,
        /// What it asks.
        action: Action,
    },
    /// A control's text changed (applied once per frame).
    Edit {
        /// The card's index ([`super::solver::SOLVER_INDEX`] for the solver panel).
        card: usize,
        /// The key the control sets.
        key: &'static str,
        /// What the control holds.
        raw: String,
    },
    /// A slider (or a −/+ step) moved: its typed field follows, then as [`PageEvent::Edit`].
    Slid {
        /// The card's index.
        card: usize,
        /// The key the slider sets.
        key: &'static str,
        /// The slider's value as configuration text.
        value: String,
    },
    /// The pointer is over a card's canvas at this point (CSS pixels), or left it.
    Hover {
        /// The card's index.
        card: usize,
        /// Where, or `None` when the pointer left.
        at: Option<(f64, f64)>,
    },
    /// The solver panel's configuration text changed.
    SolverInput(String),
    /// A button of the solver panel.
    SolverAction(SolverAction),
}

/// Where the page's elements send their events: cheap to clone (one `Rc`).
#[derive(Clone)]
pub struct Events(Rc<dyn Fn(PageEvent)>);

impl Events {
    /// Events handled by `handler`.
    pub fn new(handler: impl Fn(PageEvent) + 'static) -> Self {
        Self(Rc::new(handler))
    }

    /// Sends `event` to the handler, now.
    pub fn send(&self, event: PageEvent) {
        (self.0)(event);
    }
}
