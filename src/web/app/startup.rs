//! The page's start-up in slices: the steps ([`StartupStep`]), their queue and the message
//! channel that runs each slice as a task of its own, and [`Cards`], the cards found by figure
//! index while they are built out of order.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{report_height, App};
use crate::config::FIGURE_IDS;
use crate::web::card::Card;
use crate::web::dom::now;

/// Milliseconds of start-up work per task: cheap steps (building a card's controls) are
/// batched up to this; a theory or a drawing starts a task or follows less than
/// `HEAVY_STEP_ROOM_MS` (10 ms) of other steps.
pub const STARTUP_SLICE_MS: f64 = 24.0;

/// A theory or a drawing starts a slice, or follows steps that took less than this (ms): one
/// takes up to ~35 ms (Fig. "bayes" is drawn in ~35 ms), so a slice stays under 50 ms.
pub(super) const HEAVY_STEP_ROOM_MS: f64 = 10.0;

/// The page's cards in page order, found by their figure index (during the start-up the figure
/// of the link is built first, so a card's place in the list is not its index until all are).
#[derive(Default)]
pub(super) struct Cards(Vec<Card>);

impl Cards {
    /// Where the card of figure index `index` is in the list, if built.
    fn place(&self, index: usize) -> Option<usize> {
        self.0.binary_search_by_key(&index, |card| card.index).ok()
    }

    /// The card of figure index `index`, if built.
    pub(super) fn get(&self, index: usize) -> Option<&Card> {
        self.0.get(self.place(index)?)
    }

    /// The card of figure index `index`, if built.
    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut Card> {
        let place = self.place(index)?;
        self.0.get_mut(place)
    }

    /// Adds a card in its place (by figure index).
    pub(super) fn insert(&mut self, card: Card) {
        let place = self.0.partition_point(|other| other.index < card.index);
        self.0.insert(place, card);
    }

    /// Removes every card.
    pub(super) fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::ops::Deref for Cards {
    type Target = [Card];
    fn deref(&self) -> &[Card] {
        &self.0
    }
}

impl std::ops::DerefMut for Cards {
    fn deref_mut(&mut self) -> &mut [Card] {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a Cards {
    type Item = &'a Card;
    type IntoIter = std::slice::Iter<'a, Card>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Cards {
    type Item = &'a mut Card;
    type IntoIter = std::slice::IterMut<'a, Card>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

/// One step of the page's start-up. The page is built and drawn in slices of about
/// [`STARTUP_SLICE_MS`] (each its own task, so the tab answers input between them): the figure
/// of the link (or the first) is built, computed and drawn first, and scrolled to; then the
/// other cards' controls, the figures below it first; then the listeners; then each other card's
/// theory and its drawing, as two separate tasks, again the figures below first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StartupStep {
    /// Builds the elements and controls of the card at this figure index.
    Build(usize),
    /// Scrolls to the figure of the link (drawn, the rest of the page not yet built).
    Reveal,
    /// Installs the page's listeners and observers, writes its links, and scrolls to the figure
    /// of the link again if the cards built above it moved it (and the reader did not scroll).
    Settle,
    /// Computes a card's theory ([`Card::prepare`]).
    Prepare(usize),
    /// Draws a card ([`Card::paint`]).
    Paint(usize),
    /// Records the start-up's timings: every theory is drawn.
    Finish,
}

impl StartupStep {
    /// The step in words, with the figure it works on.
    pub(super) fn describe(self) -> String {
        let (what, index) = match self {
            StartupStep::Build(index) => ("building", index),
            StartupStep::Prepare(index) => ("the theory of", index),
            StartupStep::Paint(index) => ("drawing", index),
            StartupStep::Reveal => return "scrolling to the figure".into(),
            StartupStep::Settle => return "the listeners".into(),
            StartupStep::Finish => return "finishing".into(),
        };
        format!(
            "{what} fig. {}",
            FIGURE_IDS.get(index).copied().unwrap_or("?")
        )
    }
}

/// Where the start-up's time went (written to `#app`'s `data-startup` for the end-to-end check).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StartupTiming {
    pub(super) mount_started: f64,
    pub(super) first_drawn: Option<f64>,
    /// The page's scroll offset and the figure's top right after [`StartupStep::Reveal`].
    pub(super) revealed: Option<(f64, f64)>,
    pub(super) slices: u32,
    pub(super) longest_slice_ms: f64,
    /// The slices' time in all (the rest of the start-up's time went to the browser's layout
    /// and painting between them, to input, and to the simulations' frames).
    pub(super) busy_ms: f64,
    /// The step that took longest, and its milliseconds.
    pub(super) longest_step: (Option<StartupStep>, f64),
}

impl App {
    /// Runs the start-up's next slice now and, when steps are left, asks for another task.
    pub(super) fn continue_startup(self: &Rc<Self>) {
        if self.run_startup(STARTUP_SLICE_MS) {
            self.post_startup_task();
        }
    }

    /// Runs every start-up step left, now (tests and tools that read the page right after
    /// [`mount`](super::mount); printing).
    pub fn finish_startup(self: &Rc<Self>) {
        while self.run_startup(f64::INFINITY) {}
    }

    /// Whether the start-up is complete: every card built, its theory drawn.
    pub fn started(&self) -> bool {
        self.state.borrow().startup.is_empty()
    }

    /// Runs start-up steps for about `budget_ms` (a theory or a drawing only as the slice's
    /// first step); returns whether steps are left.
    pub(super) fn run_startup(self: &Rc<Self>, budget_ms: f64) -> bool {
        let started = now();
        let mut ran = 0;
        loop {
            let step = {
                let mut state = self.state.borrow_mut();
                if state.stopped {
                    return false;
                }
                let heavy = matches!(
                    state.startup.front(),
                    Some(StartupStep::Prepare(_) | StartupStep::Paint(_))
                );
                let elapsed = now() - started;
                let room = if heavy { HEAVY_STEP_ROOM_MS } else { budget_ms };
                if ran > 0 && elapsed >= room.min(budget_ms) {
                    break;
                }
                match state.startup.pop_front() {
                    Some(step) => step,
                    None => break,
                }
            };
            let step_started = now();
            let result = self.startup_step(step);
            if let Ok(mut state) = self.state.try_borrow_mut() {
                let took = now() - step_started;
                if took > state.startup_timing.longest_step.1 {
                    state.startup_timing.longest_step = (Some(step), took);
                }
            }
            if let Err(error) = result {
                web_sys::console::error_2(
                    &JsValue::from_str("sgd-playground: a start-up step failed"),
                    &error,
                );
            }
            ran += 1;
        }
        let mut state = self.state.borrow_mut();
        let timing = &mut state.startup_timing;
        timing.slices += 1;
        let took = now() - started;
        timing.longest_slice_ms = timing.longest_slice_ms.max(took);
        timing.busy_ms += took;
        !state.startup.is_empty()
    }

    /// Moves the cards built outside the page into it, in page order around the first card.
    pub(super) fn move_nursery_into_page(&self) -> Result<(), JsValue> {
        let mut state = self.state.borrow_mut();
        if state.nursery.take().is_none() {
            return Ok(());
        }
        let first = state.url_card.unwrap_or(0);
        let root = state.root.clone();
        let anchor = state
            .cards
            .get(first)
            .map(|card| card.elements.figure.clone());
        for card in &state.cards {
            let figure = &card.elements.figure;
            match (&anchor, card.index) {
                (_, index) if index == first => {}
                (Some(anchor), index) if index < first => {
                    root.insert_before(figure, Some(anchor))?;
                }
                _ => {
                    root.append_child(figure)?;
                }
            }
        }
        Ok(())
    }

    /// Queues the next start-up slice as a task of its own (a message to our own channel).
    pub(super) fn post_startup_task(self: &Rc<Self>) {
        let mut state = self.state.borrow_mut();
        if state.startup_channel.is_none() {
            let Ok(channel) = web_sys::MessageChannel::new() else {
                return;
            };
            let weak = Rc::downgrade(self);
            let closure = Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
                if let Some(app) = weak.upgrade() {
                    app.continue_startup();
                }
            });
            channel
                .port1()
                .set_onmessage(Some(closure.as_ref().unchecked_ref()));
            state.startup_channel = Some((channel, closure));
        }
        if let Some((channel, _)) = &state.startup_channel {
            let _ = channel.port2().post_message(&JsValue::NULL);
        }
    }

    #[inline(never)]
    pub(super) fn startup_step(self: &Rc<Self>, step: StartupStep) -> Result<(), JsValue> {
        match step {
            StartupStep::Build(index) => {
                let mut state = self.state.borrow_mut();
                let embed = state.options.embed;
                let Some(config) = state.unbuilt.get_mut(index).and_then(Option::take) else {
                    return Ok(());
                };
                let shown: Option<Vec<String>> =
                    embed.then(|| state.options.controls.clone().unwrap_or_default());
                // The first card goes straight into the page; the others wait outside it.
                let root = match (&state.nursery, state.cards.is_empty()) {
                    (Some(nursery), false) => nursery.clone(),
                    _ => state.root.clone(),
                };
                let Some(events) = state.events.clone() else {
                    return Ok(());
                };
                let card = Card::new(&events, &root, index, config, shown.as_deref())?;
                // The notices go where the reader lands: into the figure the link opens.
                if state.url_card == Some(index) {
                    if let Some(notices) = &state.notices {
                        if notices.get_attribute("hidden").is_none() {
                            let figure = &card.elements.figure;
                            let after_title =
                                figure.first_element_child().and_then(|t| t.next_sibling());
                            figure.insert_before(notices, after_title.as_ref())?;
                        }
                    }
                }
                state.cards.insert(card);
            }
            StartupStep::Reveal => {
                let mut state = self.state.borrow_mut();
                if let (Some(index), false) = (state.url_card, state.options.embed) {
                    if let Some(card) = state.cards.get(index) {
                        let figure = card.elements.figure.clone();
                        figure.scroll_into_view();
                        let top = figure.get_bounding_client_rect().top();
                        let scrolled = state.window.scroll_y().unwrap_or(0.0);
                        state.startup_timing.revealed = Some((scrolled, top));
                    }
                }
            }
            StartupStep::Settle => {
                self.move_nursery_into_page()?;
                let weak = Rc::downgrade(self);
                self.install_listeners(&weak)?;
                self.update_links();
                let state = self.state.borrow();
                // The cards built above the figure moved it down, unless the browser's scroll
                // anchoring kept it in place (then the page's offset changed with them).
                if let (Some(index), Some((scrolled, top))) =
                    (state.url_card, state.startup_timing.revealed)
                {
                    if let Some(card) = state.cards.get(index) {
                        let figure = &card.elements.figure;
                        let unscrolled = state.window.scroll_y().unwrap_or(0.0) == scrolled;
                        let moved = (figure.get_bounding_client_rect().top() - top).abs() > 1.0;
                        if unscrolled && moved {
                            figure.scroll_into_view();
                        }
                    }
                }
            }
            StartupStep::Prepare(index) => {
                let mut state = self.state.borrow_mut();
                // One layout read, on the first card: every card has the same column layout.
                let width = match state.card_width {
                    Some(width) => width,
                    None => {
                        let Some(card) = state.cards.get_mut(index) else {
                            return Ok(());
                        };
                        card.measure();
                        let width = card.css_width();
                        state.card_width = Some(width);
                        width
                    }
                };
                if let Some(card) = state.cards.get_mut(index) {
                    // An edit during the start-up already prepared it.
                    if !card.is_prepared() {
                        card.set_css_width(width);
                        card.prepare();
                    }
                }
            }
            StartupStep::Paint(index) => {
                let mut state = self.state.borrow_mut();
                let dark = state.dark;
                let Some(card) = state.cards.get_mut(index) else {
                    return Ok(());
                };
                if card.is_prepared() && !card.is_painted() {
                    card.paint(dark);
                }
                if state.startup_timing.first_drawn.is_none() {
                    state.startup_timing.first_drawn = Some(now());
                }
            }
            StartupStep::Finish => {
                let mut state = self.state.borrow_mut();
                state.theory_drawn_ms = now();
                let timing = state.startup_timing;
                let root = state.root.clone();
                // Where the start-up time goes (the end-to-end check prints it).
                root.set_attribute(
                    "data-startup",
                    &format!(
                        "first figure drawn {:.1} ms after the engine started, all {} in {:.1} \
                         ms, in {} tasks (the longest {:.1} ms, {:.1} ms in all; the longest step \
                         {}, {:.1} ms)",
                        timing.first_drawn.unwrap_or(state.theory_drawn_ms) - timing.mount_started,
                        state.cards.len(),
                        state.theory_drawn_ms - timing.mount_started,
                        timing.slices + 1,
                        timing.longest_slice_ms,
                        timing.busy_ms,
                        timing
                            .longest_step
                            .0
                            .map(StartupStep::describe)
                            .unwrap_or_default(),
                        timing.longest_step.1,
                    ),
                )?;
                root.set_attribute(
                    "data-mount-start-ms",
                    &format!("{:.1}", timing.mount_started),
                )?;
                if let Some(first) = timing.first_drawn {
                    root.set_attribute("data-first-drawn-ms", &format!("{first:.1}"))?;
                }
                root.set_attribute(
                    "data-theory-drawn-ms",
                    &format!("{:.1}", state.theory_drawn_ms),
                )?;
                root.set_attribute("aria-busy", "false")?;
                // An embedded figure tells its host its height now: a cross-origin frame below
                // the host's fold gets no rendering updates (no ResizeObserver callback, no
                // animation frame) until it is scrolled to.
                if state.options.embed {
                    report_height(&mut state);
                }
                drop(state);
                // The figures in view start simulating.
                self.request_frame();
            }
        }
        Ok(())
    }
}
