//! The page: the figure cards, the URL, the notices, the simulation scheduler (slices per
//! animation frame), the theme, embed mode.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlCanvasElement, Window};

mod inspect;
mod links;
mod startup;

pub use links::HOST_SNIPPET;
use links::{page_base, report_height};
pub use startup::STARTUP_SLICE_MS;
use startup::{Cards, StartupStep, StartupTiming};

use super::card::{page_style, Card};
use super::dom::{cast, child, copy_text, download_text, download_url, now, Listener};
use super::events::{Events, PageEvent};
use super::solver::{SolverAction, SOLVER_INDEX};
use super::workers::WorkerPool;
use crate::config::{Config, FIGURE_IDS};
use crate::figures::{draw_wrapped, to_csv, to_svg};
use crate::playground::{
    link_query, open, page_notice, paper_config, read_query, with_value, PageOptions, ThemeChoice,
};

/// Milliseconds of simulation per animation frame (the page's longest task stays well under
/// 50 ms; the rest of the frame is left to drawing and input).
pub const SIMULATION_BUDGET_MS: f64 = 10.0;
/// The URL is rewritten this long after the last edit (ms).
pub const URL_DEBOUNCE_MS: f64 = 250.0;

/// What a card's button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Back to the paper's configuration.
    Reset,
    /// Pause or resume the simulation.
    TogglePause,
    /// Run the simulation again with the same seed.
    Rerun,
    /// Run it with another seed.
    NewSeed,
    /// Show or hide the data table.
    ToggleData,
    /// Show every row of the data table.
    ShowAllData,
    /// Download a PNG at twice the canvas resolution.
    Png,
    /// Download the SVG.
    Svg,
    /// Download the data as CSV.
    Csv,
    /// Download the figure's own table (the theory explorer) as CSV.
    TableCsv,
    /// Copy the PyTorch and optax lines of every compared method (the explorer).
    CopyCode,
    /// Download the configuration text.
    ConfigText,
    /// Copy the link of this figure.
    CopyLink,
    /// Copy an iframe embedding this figure, and open the embed options.
    CopyEmbed,
    /// The embed options changed: show the new code.
    EmbedChanged,
    /// Copy the embed code shown in the options.
    CopyEmbedAgain,
}

/// A ResizeObserver's or IntersectionObserver's callback, kept alive with it.
type ObserverCallback = Closure<dyn FnMut(js_sys::Array)>;

/// A message port's callback, kept alive with its channel.
type MessageCallback = Closure<dyn FnMut(JsValue)>;

/// An edit waiting for the next frame.
struct Edit {
    card: usize,
    key: &'static str,
    raw: String,
}

struct State {
    /// The height last posted to an embedding page (embed mode), so a frame posts only changes.
    reported_height: i32,
    window: Window,
    document: Document,
    root: Element,
    notices: Option<Element>,
    options: PageOptions,
    cards: Cards,
    solver: Option<super::solver::SolverPanel>,
    /// The card the URL shows (`None`: the solver, or nothing yet).
    url_card: Option<usize>,
    /// When an edit last changed the URL's configuration (ms), until it is written.
    url_dirty_since: Option<f64>,
    pending: Vec<Edit>,
    frame_requested: bool,
    /// The pending animation frame's id (cancelled on unmount, before its closure is dropped).
    frame_id: Option<i32>,
    frame_closure: Option<Closure<dyn FnMut(f64)>>,
    listeners: Vec<Listener>,
    observers: Vec<(JsValue, ObserverCallback)>,
    dark: bool,
    stopped: bool,
    /// Where the page's elements send their events (set right after the app exists).
    events: Option<Events>,
    /// Milliseconds from navigation to all theory drawn (the start-up's end).
    pub theory_drawn_ms: f64,
    /// The start-up's steps still to run, in order (see [`StartupStep`]).
    startup: VecDeque<StartupStep>,
    /// The configuration of each figure not yet built (by figure index).
    unbuilt: Vec<Option<Config>>,
    /// Where the cards after the first are built during the start-up: an element outside the
    /// document (no style or layout work between the slices), moved into the page at once.
    nursery: Option<Element>,
    /// The CSS width of the cards' canvases, once measured (every card has the same layout).
    card_width: Option<f64>,
    /// The message channel that runs the start-up's slices back to back (a message task, unlike
    /// a timer, is neither clamped to 4 ms nor throttled in a background tab).
    startup_channel: Option<(web_sys::MessageChannel, MessageCallback)>,
    startup_timing: StartupTiming,
    /// How many Web Workers run the simulations (`workers=`, else one per core, at most 8;
    /// 0: the page's thread).
    workers: usize,
    /// The pool, started with the first simulation after the start-up.
    pool: Option<WorkerPool>,
    /// The pool's status last written to `#app`'s `data-workers`.
    workers_status: String,
}

/// The mounted page.
pub struct App {
    state: RefCell<State>,
}

/// Mounts the page into `root` for the URL query `query` (e.g. `?fig=2a&C=2`): one card per
/// figure (or the one figure of `embed=1`), the notices of anything invalid, the scheduler.
///
/// # Errors
/// A DOM exception while building the page.
pub fn mount(root: &Element, query: &str) -> Result<Rc<App>, JsValue> {
    let mount_started = now();
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let document = window
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let request = read_query(query);
    let opened = open(&request.config_text);
    let mut notices: Vec<String> = request.problems.iter().map(page_notice).collect();
    notices.extend(opened.notices.iter().cloned());
    let options = request.options;
    if options.embed {
        // An embed's `ctl=` key the figure has no control for is said, not silently dropped.
        let figure_config = match &opened.config.figure {
            Some(_) => opened.config.clone(),
            None => paper_config("2a").unwrap_or_default(),
        };
        notices.extend(crate::playground::unknown_control_notice(
            &figure_config,
            options.controls.as_deref(),
        ));
    }
    // Identical problems once, at most MAX_NOTICES items: a link of 20,000 keys stays one alert.
    let notices = crate::playground::cap_notices(notices);
    let dark = theme_is_dark(options.theme, &window);
    if let Some(html) = document.document_element() {
        match options.theme {
            ThemeChoice::Auto => html.remove_attribute("data-theme")?,
            theme => html.set_attribute("data-theme", theme.name())?,
        }
        if options.embed {
            html.class_list().add_1("embed")?;
        }
    }
    root.set_text_content(None);
    let app = Rc::new(App {
        state: RefCell::new(State {
            window: window.clone(),
            document: document.clone(),
            root: root.clone(),
            notices: document.get_element_by_id("notices"),
            options: options.clone(),
            cards: Cards::default(),
            solver: None,
            url_card: None,
            url_dirty_since: None,
            pending: Vec::new(),
            reported_height: -1,
            frame_requested: false,
            frame_id: None,
            frame_closure: None,
            listeners: Vec::new(),
            observers: Vec::new(),
            dark,
            stopped: false,
            events: None,
            theory_drawn_ms: 0.0,
            startup: VecDeque::new(),
            unbuilt: Vec::new(),
            nursery: None,
            card_width: None,
            startup_channel: None,
            workers: options.workers.unwrap_or_else(|| {
                crate::playground::default_workers(window.navigator().hardware_concurrency())
            }),
            pool: None,
            workers_status: String::new(),
            startup_timing: StartupTiming {
                mount_started,
                ..StartupTiming::default()
            },
        }),
    });
    let weak = Rc::downgrade(&app);
    // The one channel the cards, forms and the solver panel send their events through.
    let events = {
        let weak = weak.clone();
        Events::new(move |event| {
            if let Some(app) = weak.upgrade() {
                app.dispatch(event);
            }
        })
    };
    app.state.borrow_mut().events = Some(events.clone());
    let focus = opened.config.figure.as_ref().map(|figure| figure.id());
    {
        let mut state = app.state.borrow_mut();
        let notices_element = match &state.notices {
            Some(element) => element.clone(),
            None => {
                let element = child(root, "div", "notices", "")?;
                element.set_attribute("role", "alert")?;
                element
            }
        };
        show_notices(&notices_element, &notices)?;
        state.notices = Some(notices_element);
        if options.embed {
            let config = match &opened.config.figure {
                Some(_) => opened.config.clone(),
                None => paper_config("2a").unwrap_or_default(),
            };
            state.unbuilt = vec![Some(config)];
            state.url_card = Some(0);
        } else {
            if opened.config.figure.is_none() {
                state.solver = Some(super::solver::SolverPanel::new(
                    &events,
                    root,
                    &opened.config,
                    !request.config_text.is_empty(),
                )?);
            }
            if let Some(toc) = document.get_element_by_id("toc") {
                toc.set_text_content(None);
                for id in FIGURE_IDS {
                    let link = child(&toc, "a", "", &crate::playground::short_name(id))?;
                    link.set_attribute("href", &format!("#fig-{id}"))?;
                }
            }
            for (index, id) in FIGURE_IDS.iter().enumerate() {
                let config = if focus == Some(*id) {
                    state.url_card = Some(index);
                    opened.config.clone()
                } else {
                    paper_config(id).unwrap_or_default()
                };
                state.unbuilt.push(Some(config));
            }
        }
        // The figure of the link first, then the ones below it (in view after the scroll), then
        // those above.
        let count = state.unbuilt.len();
        let first = state.url_card.unwrap_or(0);
        let order: Vec<usize> = (first..count).chain(0..first).collect();
        let mut steps = VecDeque::with_capacity(3 * count + 3);
        steps.extend([
            StartupStep::Build(first),
            StartupStep::Prepare(first),
            StartupStep::Paint(first),
            StartupStep::Reveal,
        ]);
        for &index in order.iter().skip(1) {
            steps.push_back(StartupStep::Build(index));
        }
        steps.push_back(StartupStep::Settle);
        for &index in order.iter().skip(1) {
            steps.push_back(StartupStep::Prepare(index));
            steps.push_back(StartupStep::Paint(index));
        }
        steps.push_back(StartupStep::Finish);
        state.startup = steps;
        state.nursery = Some(document.create_element("div")?);
        root.set_attribute("aria-busy", "true")?;
    }
    // The first slice is a task of its own too: the engine's instantiation task ends here.
    app.post_startup_task();
    app.request_frame();
    Ok(app)
}

/// Whether the page draws dark: as the link says, or as the system prefers.
fn theme_is_dark(theme: ThemeChoice, window: &Window) -> bool {
    match theme {
        ThemeChoice::Dark => true,
        ThemeChoice::Light => false,
        ThemeChoice::Auto => prefers_dark(window),
    }
}

fn prefers_dark(window: &Window) -> bool {
    window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches())
}

fn show_notices(element: &Element, notices: &[String]) -> Result<(), JsValue> {
    element.set_text_content(None);
    if notices.is_empty() {
        element.set_attribute("hidden", "")?;
        return Ok(());
    }
    element.remove_attribute("hidden")?;
    let heading = if notices.len() == 1 {
        "One setting of this link could not be used:".to_string()
    } else {
        format!("{} settings of this link could not be used:", notices.len())
    };
    child(element, "p", "notices-title", &heading)?;
    let list = child(element, "ul", "", "")?;
    for notice in notices {
        child(&list, "li", "", notice)?;
    }
    Ok(())
}

impl App {
    /// Carries out what an element of the page asks ([`PageEvent`]).
    pub fn dispatch(self: &Rc<Self>, event: PageEvent) {
        match event {
            PageEvent::Action { card, action } => self.action(card, action),
            PageEvent::Edit { card, key, raw } => self.edit(card, key, raw),
            PageEvent::Slid { card, key, value } => self.slid(card, key, value),
            PageEvent::Hover { card, at } => self.hover(card, at),
            PageEvent::SolverInput(text) => self.solver_input(&text),
            PageEvent::SolverAction(action) => self.solver_action(action),
        }
    }

    fn install_listeners(self: &Rc<Self>, weak: &Weak<App>) -> Result<(), JsValue> {
        let mut state = self.state.borrow_mut();
        // Theme changes of the system.
        if let Ok(Some(query)) = state.window.match_media("(prefers-color-scheme: dark)") {
            let app = weak.clone();
            let listener = Listener::new(&query, "change", move |_| {
                if let Some(app) = app.upgrade() {
                    app.system_theme_changed();
                }
            })?;
            state.listeners.push(listener);
        }
        // Printing: figures on white paper, whatever the screen's theme.
        for (event, printing) in [("beforeprint", true), ("afterprint", false)] {
            let app = weak.clone();
            let listener = Listener::new(&state.window, event, move |_| {
                if let Some(app) = app.upgrade() {
                    app.printing(printing);
                }
            })?;
            state.listeners.push(listener);
        }
        // Resizes: each canvas follows its box.
        let app = weak.clone();
        let resized = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            if let Some(app) = app.upgrade() {
                app.resized();
            }
        });
        let resize_observer = web_sys::ResizeObserver::new(resized.as_ref().unchecked_ref())?;
        for card in &state.cards {
            resize_observer.observe(&card.elements.canvas);
        }
        if state.options.embed {
            if let Some(html) = state.document.document_element() {
                resize_observer.observe(&html);
            }
        }
        state.observers.push((resize_observer.into(), resized));
        // Visibility: off-screen figures do not simulate.
        let app = weak.clone();
        let seen = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let Some(app) = app.upgrade() else {
                return;
            };
            for entry in entries.iter() {
                let Ok(entry) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() else {
                    continue;
                };
                let target = entry.target();
                let index = target
                    .get_attribute("data-index")
                    .and_then(|index| index.parse::<usize>().ok());
                if let Some(index) = index {
                    app.set_visible(index, entry.is_intersecting());
                }
            }
        });
        let intersection_observer =
            web_sys::IntersectionObserver::new(seen.as_ref().unchecked_ref())?;
        for card in &state.cards {
            card.elements
                .figure
                .set_attribute("data-index", &card.index.to_string())?;
            intersection_observer.observe(&card.elements.figure);
        }
        state.observers.push((intersection_observer.into(), seen));
        Ok(())
    }

    /// Stops everything: listeners removed, observers disconnected, no more frames (tests mount
    /// and unmount the app several times).
    pub fn unmount(&self) {
        let mut state = self.state.borrow_mut();
        state.stopped = true;
        if let Some(id) = state.frame_id.take() {
            let _ = state.window.cancel_animation_frame(id);
        }
        state.frame_requested = false;
        state.startup.clear();
        if let Some((channel, _)) = state.startup_channel.take() {
            channel.port1().set_onmessage(None);
        }
        state.listeners.clear();
        for (observer, _) in &state.observers {
            if let Some(observer) = observer.dyn_ref::<web_sys::ResizeObserver>() {
                observer.disconnect();
            }
            if let Some(observer) = observer.dyn_ref::<web_sys::IntersectionObserver>() {
                observer.disconnect();
            }
        }
        state.observers.clear();
        state.cards.clear();
        state.solver = None;
        // Dropping the pool terminates its workers.
        state.pool = None;
        state.root.set_text_content(None);
    }

    fn system_theme_changed(&self) {
        let mut state = self.state.borrow_mut();
        if state.options.theme != ThemeChoice::Auto {
            return;
        }
        let dark = prefers_dark(&state.window);
        state.dark = dark;
        for card in &mut state.cards {
            card.force_draw(dark);
        }
    }

    /// Redraws every figure light for printing, and back afterwards.
    fn printing(self: &Rc<Self>, printing: bool) {
        // A page printed during its start-up prints every figure.
        if printing {
            self.finish_startup();
        }
        let Ok(mut state) = self.state.try_borrow_mut() else {
            return;
        };
        let dark = !printing && theme_is_dark(state.options.theme, &state.window);
        state.dark = dark;
        for card in &mut state.cards {
            card.force_draw(dark);
        }
    }

    fn resized(&self) {
        let Ok(mut state) = self.state.try_borrow_mut() else {
            return;
        };
        let dark = state.dark;
        measure_cards(&mut state.cards);
        for card in &mut state.cards {
            card.draw_if_resized(dark);
        }
        if state.options.embed {
            report_height(&mut state);
        }
    }

    fn set_visible(self: &Rc<Self>, index: usize, visible: bool) {
        if let Some(card) = self.state.borrow_mut().cards.get_mut(index) {
            card.visible = visible;
        }
        if visible {
            self.request_frame();
        }
    }

    /// A control's new text: applied at the next frame (several events of one frame coalesce).
    pub fn edit(self: &Rc<Self>, card: usize, key: &'static str, raw: String) {
        {
            let mut state = self.state.borrow_mut();
            state
                .pending
                .retain(|edit| !(edit.card == card && edit.key == key));
            state.pending.push(Edit { card, key, raw });
        }
        self.request_frame();
    }

    /// A slider moved: its typed field shows the value, then as [`App::edit`].
    pub fn slid(self: &Rc<Self>, card: usize, key: &'static str, value: String) {
        {
            let state = self.state.borrow();
            if card == SOLVER_INDEX {
                if let Some(solver) = &state.solver {
                    solver.show_slider_value(key, &value);
                }
            } else if let Some(card) = state.cards.get(card) {
                card.show_slider_value(key, &value);
            }
        }
        self.edit(card, key, value);
    }

    /// Applies waiting edits and writes the URL now (the animation frame does it otherwise;
    /// tests call this).
    pub fn flush(&self) {
        self.apply_edits();
        self.write_url(true);
    }

    fn apply_edits(&self) {
        let started = now();
        let mut state = self.state.borrow_mut();
        let edits = std::mem::take(&mut state.pending);
        let applied = !edits.is_empty();
        let dark = state.dark;
        for edit in edits {
            if edit.card == SOLVER_INDEX {
                let changed = state
                    .solver
                    .as_mut()
                    .is_some_and(|solver| solver.edit(edit.key, &edit.raw));
                if changed {
                    state.url_card = None;
                    state.url_dirty_since = Some(now());
                }
                continue;
            }
            let Some(card) = state.cards.get_mut(edit.card) else {
                continue;
            };
            match with_value(&card.config, edit.key, &edit.raw) {
                Ok(config) => {
                    if !config.same_as(&card.config) {
                        card.set_config(config, dark);
                    }
                    card.show_values(Some(edit.key));
                    state.url_card = Some(edit.card);
                    state.url_dirty_since = Some(now());
                }
                Err(problems) => {
                    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    card.show_field_errors(edit.key, &messages);
                }
            }
        }
        if applied {
            // The latency of the last edit (theory and drawing), for the end-to-end check.
            let _ = state
                .root
                .set_attribute("data-last-edit-ms", &format!("{:.2}", now() - started));
        }
        drop(state);
        self.update_links();
    }

    /// A button of the solver panel: a download of `solve`'s JSON or of every number as CSV, or
    /// the link copied.
    pub fn solver_action(self: &Rc<Self>, action: SolverAction) {
        let state = self.state.borrow();
        let Some(solver) = &state.solver else {
            return;
        };
        let config = solver.config();
        let result = match action {
            SolverAction::Json => crate::playground::solution::solve(&config)
                .map_err(|problems| problems.to_string())
                .and_then(|solution| {
                    let json = crate::playground::solution::solution_json(&config, &solution);
                    download_text(
                        &state.document,
                        &format!("{json}\n"),
                        "application/json",
                        "sgd-playground-solve.json",
                    )
                    .map(|()| "JSON saved (what `sgd-playground solve` prints).".to_string())
                    .map_err(|error| format!("{error:?}"))
                }),
            SolverAction::Csv => crate::playground::solution::solution_csv(&config)
                .map_err(|problems| problems.to_string())
                .and_then(|csv| {
                    download_text(
                        &state.document,
                        &csv,
                        "text/csv",
                        "sgd-playground-solve.csv",
                    )
                    .map(|()| "CSV saved (every number at full precision).".to_string())
                    .map_err(|error| format!("{error:?}"))
                }),
            SolverAction::CopyLink | SolverAction::CopyCode => {
                let (text, what) = if action == SolverAction::CopyLink {
                    let link = format!(
                        "{}?{}",
                        page_base(&state.window),
                        link_query(&config, &state.options)
                    );
                    (link, "Link")
                } else {
                    match crate::playground::solution::framework(&config) {
                        Some(code) => (code.to_string(), "Code"),
                        None => {
                            solver.say("No code: the configuration is not a valid model.");
                            return;
                        }
                    }
                };
                let weak = Rc::downgrade(self);
                let shown = text.clone();
                copy_text(&text, move |copied| {
                    if let Some(app) = weak.upgrade() {
                        if let Some(solver) = &app.state.borrow().solver {
                            solver.say(&if copied {
                                format!("{what} copied: {shown}")
                            } else {
                                format!("Copy this: {shown}")
                            });
                        }
                    }
                });
                return;
            }
        };
        solver.say(&result.unwrap_or_else(|error| format!("That did not work: {error}")));
    }

    /// New text in the solver panel: solved, and (when valid) what the URL shows.
    pub fn solver_input(self: &Rc<Self>, text: &str) {
        {
            let mut state = self.state.borrow_mut();
            let valid = state
                .solver
                .as_mut()
                .is_some_and(|solver| solver.set_text(text));
            if valid {
                state.url_card = None;
                state.url_dirty_since = Some(now());
            }
        }
        self.request_frame();
    }

    /// A button of a card.
    pub fn action(self: &Rc<Self>, index: usize, action: Action) {
        let result = self.run_action(index, action);
        if let Err(error) = result {
            if let Some(card) = self.state.borrow().cards.get(index) {
                card.say(&format!(
                    "That did not work: {}",
                    error.as_string().unwrap_or_else(|| format!("{error:?}"))
                ));
            }
        }
        self.request_frame();
    }

    fn run_action(self: &Rc<Self>, index: usize, action: Action) -> Result<(), JsValue> {
        let mut state = self.state.borrow_mut();
        let dark = state.dark;
        let document = state.document.clone();
        let link = self.link_for(&state, index);
        let events = state.events.clone();
        let Some(card) = state.cards.get_mut(index) else {
            return Ok(());
        };
        let file = format!("sgd-playground-fig-{}", card.id);
        match action {
            Action::Reset => {
                if let Some(config) = paper_config(card.id) {
                    card.set_config(config, dark);
                    card.show_values(None);
                    card.say("Back to the paper's settings.");
                }
                state.url_card = Some(index);
                state.url_dirty_since = Some(now());
            }
            Action::TogglePause => card.toggle_pause(),
            Action::Rerun => {
                card.restart(dark);
                card.say("Simulation restarted with the same seed.");
            }
            Action::NewSeed => {
                let seed = (js_sys::Math::random() * 4_294_967_296.0) as u64;
                if let Ok(config) = with_value(&card.config, "seed", &seed.to_string()) {
                    card.set_config(config, dark);
                    card.show_values(None);
                    card.say(&format!("Simulation restarted with seed {seed}."));
                    state.url_card = Some(index);
                    state.url_dirty_since = Some(now());
                }
            }
            Action::ToggleData => card.toggle_data()?,
            Action::ShowAllData => card.show_all_data()?,
            Action::Png => {
                let url = png_data_url(card, dark)?;
                download_url(&document, &url, &format!("{file}.png"))?;
                card.say("PNG saved (twice the on-screen resolution).");
            }
            Action::Svg => {
                let svg = svg_text(card, dark)?;
                download_text(&document, &svg, "image/svg+xml", &format!("{file}.svg"))?;
                card.say("SVG saved.");
            }
            Action::Csv => {
                let csv = card.data().map(to_csv).unwrap_or_default();
                download_text(&document, &csv, "text/csv", &format!("{file}.csv"))?;
                card.say("CSV saved.");
            }
            Action::TableCsv => {
                let csv = card
                    .data()
                    .and_then(|data| data.table.as_ref())
                    .map(crate::figures::table_csv)
                    .unwrap_or_default();
                download_text(&document, &csv, "text/csv", &format!("{file}-table.csv"))?;
                card.say("Table CSV saved.");
            }
            Action::CopyCode => {
                let code =
                    crate::playground::solution::explorer_code(&card.config).unwrap_or_default();
                let weak = Rc::downgrade(self);
                let shown = code.clone();
                copy_text(&code, move |copied| {
                    say_later(&weak, index, copied, "Code copied", &shown);
                });
            }
            Action::ConfigText => {
                let text = card.config.to_text();
                download_text(
                    &document,
                    &format!("{text}\n"),
                    "text/plain",
                    &format!("{file}.txt"),
                )?;
                card.say(&format!("Configuration saved: {text}"));
            }
            Action::CopyLink => {
                let weak = Rc::downgrade(self);
                let shown = link.clone();
                copy_text(&link, move |copied| {
                    say_later(&weak, index, copied, "Link copied", &shown);
                });
            }
            Action::EmbedChanged => {
                let embed = self.embed_code(&state, index);
                if let Some(card) = state.cards.get(index) {
                    card.show_embed_code(&embed);
                }
            }
            Action::CopyEmbed | Action::CopyEmbedAgain => {
                if let Some(events) = &events {
                    card.open_embed_options(events)?;
                }
                let embed = self.embed_code(&state, index);
                if let Some(card) = state.cards.get(index) {
                    card.show_embed_code(&embed);
                }
                let weak = Rc::downgrade(self);
                let shown = embed.clone();
                copy_text(&embed, move |copied| {
                    say_later(&weak, index, copied, "Embed code copied", &shown);
                });
            }
        }
        Ok(())
    }

    /// The hover read-out of a card.
    pub fn hover(&self, index: usize, at: Option<(f64, f64)>) {
        if let Ok(state) = self.state.try_borrow() {
            if let Some(card) = state.cards.get(index) {
                card.hover(at);
            }
        }
    }

    /// Asks for an animation frame if none is pending.
    pub fn request_frame(self: &Rc<Self>) {
        let mut state = self.state.borrow_mut();
        if state.frame_requested || state.stopped {
            return;
        }
        if state.frame_closure.is_none() {
            let weak = Rc::downgrade(self);
            state.frame_closure = Some(Closure::<dyn FnMut(f64)>::new(move |_time: f64| {
                if let Some(app) = weak.upgrade() {
                    app.frame();
                }
            }));
        }
        let id = state.frame_closure.as_ref().and_then(|closure| {
            state
                .window
                .request_animation_frame(closure.as_ref().unchecked_ref())
                .ok()
        });
        state.frame_requested = id.is_some();
        state.frame_id = id;
    }

    /// One animation frame: edits, then simulation slices (the focused figure first, then the
    /// visible ones in page order), then the URL.
    fn frame(self: &Rc<Self>) {
        {
            let mut state = self.state.borrow_mut();
            state.frame_requested = false;
            state.frame_id = None;
        }
        if self.state.borrow().stopped {
            return;
        }
        self.apply_edits();
        // The simulations wait for the start-up (under a second): a frame that both redraws a
        // simulation and lays out the page being built would run long.
        let more = if self.state.borrow().startup.is_empty() {
            self.simulate(SIMULATION_BUDGET_MS)
        } else {
            false
        };
        self.write_url(false);
        // An embedded figure re-posts its height after any frame that changed it: a resize
        // notification alone can come before the last layout (or be skipped while busy).
        if let Ok(mut state) = self.state.try_borrow_mut() {
            if state.options.embed {
                report_height(&mut state);
            }
        }
        let url_waiting = self.state.borrow().url_dirty_since.is_some();
        if more || url_waiting {
            self.request_frame();
        }
    }

    /// Runs simulations for about `budget_ms` (or gives their tasks to the workers, and takes
    /// what they finished); returns whether any still wants work.
    pub fn simulate(&self, budget_ms: f64) -> bool {
        let mut guard = self.state.borrow_mut();
        let state = &mut *guard;
        if state.workers > 0 && state.pool.is_none() {
            state.pool = Some(WorkerPool::new(state.workers));
        }
        if let Some(pool) = &state.pool {
            for card in state.cards.iter_mut() {
                for run in card.stale_runs.drain(..) {
                    pool.cancel(run);
                }
            }
            for (run, index, report) in pool.drain() {
                if let Some(card) = state.cards.iter_mut().find(|card| card.run_id == run) {
                    card.receive(index, report);
                }
            }
        }
        let pool = state.pool.as_ref().filter(|pool| pool.problem().is_none());
        let unavailable = state.pool.is_some() && pool.is_none();
        // `#app`'s data-workers: the pool's size and ready workers, or why there is none.
        let status = match &state.pool {
            None => "0".to_string(),
            Some(pool) => match pool.problem() {
                Some(problem) => format!("unavailable: {problem}"),
                None => format!("{} ({} ready)", pool.size(), pool.ready()),
            },
        };
        if status != state.workers_status {
            let _ = state.root.set_attribute("data-workers", &status);
            state.workers_status = status;
        }
        let dark = state.dark;
        let focus = state.url_card;
        let start = now();
        let mut order: Vec<usize> = focus.into_iter().collect();
        order.extend(
            state
                .cards
                .iter()
                .map(|card| card.index)
                .filter(|index| Some(*index) != focus),
        );
        let mut more = false;
        for index in order {
            let Some(card) = state.cards.get_mut(index) else {
                continue;
            };
            if !card.wants_work() {
                continue;
            }
            // Off-screen figures complete their theory but do not simulate.
            let simulate = card.visible || Some(index) == focus;
            let left = budget_ms - (now() - start);
            if left <= 0.0 {
                more = true;
                break;
            }
            card.workers_unavailable = unavailable;
            more |= card.work(left, dark, simulate, pool);
        }
        more
    }
}

/// Measures the canvases' width. Every card has the same column layout, so the first card's
/// width is every card's: one layout read, and the cards below the fold (`content-visibility:
/// auto` in the style sheet) need not be laid out to be drawn.
fn measure_cards(cards: &mut [Card]) {
    let Some((first, rest)) = cards.split_first_mut() else {
        return;
    };
    first.measure();
    let width = first.css_width();
    for card in rest {
        card.set_css_width(width);
    }
}

fn say_later(weak: &Weak<App>, index: usize, copied: bool, what: &str, text: &str) {
    let Some(app) = weak.upgrade() else {
        return;
    };
    let Ok(state) = app.state.try_borrow() else {
        return;
    };
    if let Some(card) = state.cards.get(index) {
        if copied {
            card.say(&format!("{what}: {text}"));
        } else {
            card.say(&format!(
                "The browser did not allow copying; select and copy this: {text}"
            ));
        }
    }
}

/// The card drawn at twice its on-screen CSS size, as a PNG data URL.
fn png_data_url(card: &Card, dark: bool) -> Result<String, JsValue> {
    let data = card
        .data()
        .ok_or_else(|| JsValue::from_str("nothing to export"))?;
    let (css_width, css_height, columns) = card.css_size();
    let scale = 2.0;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let canvas: HtmlCanvasElement = cast(document.create_element("canvas")?)?;
    canvas.set_width((css_width * scale).round() as u32);
    canvas.set_height((css_height * scale).round() as u32);
    // The page's own backend: the drawing code is compiled once for the canvas (a second
    // backend type would carry a second copy of every drawing function in the .wasm), and text
    // is measured by the canvas, not by a <span> laid out per label.
    let backend = super::measure::MeasuredCanvas::new(canvas.clone())
        .ok_or_else(|| JsValue::from_str("no 2-D context"))?;
    let area = plotters::prelude::IntoDrawingArea::into_drawing_area(backend);
    let style = crate::figures::FigureStyle {
        show_title: true,
        ..page_style(dark)
    }
    .with_scale(scale);
    let _ = draw_wrapped(data, &area, &style, columns, &mut Vec::new());
    area.present()
        .map_err(|error| JsValue::from_str(&error.to_string()))?;
    canvas.to_data_url_with_type("image/png")
}

fn svg_text(card: &Card, dark: bool) -> Result<String, JsValue> {
    let data = card
        .data()
        .ok_or_else(|| JsValue::from_str("nothing to export"))?;
    let (css_width, css_height, _) = card.css_size();
    let style = crate::figures::FigureStyle {
        show_title: true,
        ..page_style(dark)
    };
    let width = css_width.max(480.0).round() as u32;
    let height = css_height.max(320.0).round() as u32;
    to_svg(data, width, height, &style).map_err(|error| JsValue::from_str(&error.to_string()))
}
