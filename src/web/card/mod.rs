//! One figure of the page: its `<figure>` element (canvas, read-out, progress, formula, form,
//! caption, actions, data table) and its state (configuration, experiment, running simulation).

mod canvas;
mod embed;
mod extras;

pub use canvas::{device_pixel_ratio, page_style};
use embed::EmbedOptions;
pub use embed::{embed_controls, EMBED_HEIGHT};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlButtonElement, HtmlCanvasElement, HtmlProgressElement};

use super::app::Action;
use super::dom::{cast, child, rich_text, Listener};
use super::events::{Events, PageEvent};
use super::form::Form;
use super::workers::{Report, WorkerPool};
use crate::config::Config;
use crate::experiments::data::{FigureData, Table};
use crate::experiments::{Experiment, SimulationRun};
use crate::figures::PlotFrame;

/// Least time between two redraws of a running simulation (ms).
const REDRAW_INTERVAL_MS: f64 = 250.0;

/// The elements of a card the app updates.
pub struct Elements {
    /// The `<figure>`.
    pub figure: Element,
    /// The drawing.
    pub canvas: HtmlCanvasElement,
    readout: Element,
    hover_dot: Element,
    progress: HtmlProgressElement,
    status: Element,
    caption: Element,
    title: Element,
    message: Element,
    data: Element,
    /// Warnings and remarks of the figure ([`FigureData::notes`]).
    notes: Element,
    /// The figure's own table of numbers ([`FigureData::table`], the theory explorer).
    numbers: Element,
    pause: Option<HtmlButtonElement>,
    data_toggle: Option<HtmlButtonElement>,
    /// "Show all N rows" of a data table cut at [`MAX_TABLE_ROWS`].
    data_all: Option<HtmlButtonElement>,
    /// The progress bar and status line of the simulation.
    sim_status: Element,
    /// Where the embed options go (filled on the first "Copy embed code").
    embed_holder: Element,
    /// The buttons that only apply to a figure with a simulation (hidden otherwise).
    simulation_buttons: Vec<HtmlButtonElement>,
}

/// A figure on the page.
pub struct Card {
    /// Its index in the app.
    pub index: usize,
    /// The figure id (`2a`, …).
    pub id: &'static str,
    /// The configuration shown.
    pub config: Config,
    experiment: Option<Experiment>,
    run: Option<SimulationRun>,
    /// The run's id for the worker pool (new for every run, so that a stale result is
    /// recognised and dropped).
    pub run_id: u32,
    /// The run's tasks given to workers and not finished: (task index, fraction done).
    in_flight: Vec<(usize, f64)>,
    /// Runs whose tasks are still in workers and must be stopped (an edit, a pause).
    pub stale_runs: Vec<u32>,
    /// Run the simulation here even when workers could (a task a worker lost).
    local_only: bool,
    /// On how many workers the simulation runs (0: the page's thread), for the status line.
    workers_shown: usize,
    /// Workers were asked for but cannot run (the status line says so).
    pub workers_unavailable: bool,
    /// Paused by the user.
    pub paused: bool,
    /// Visible in the viewport (off-screen figures do not simulate).
    pub visible: bool,
    data: Option<FigureData>,
    frames: Vec<PlotFrame>,
    /// When the figure was last drawn (ms).
    last_draw: f64,
    /// Work of the run when last drawn.
    drawn_work: u64,
    /// Shown at the last draw: the canvas bitmap size and theme, to redraw only on a change.
    drawn_size: (u32, u32, bool),
    /// The experiment was built from the configuration ([`Card::prepare`]): until then, during
    /// the page's start-up, the card has its controls but nothing to draw.
    prepared: bool,
    /// Drawn at least once since it was prepared.
    painted: bool,
    /// When [`Card::prepare`] started (ms), for the timings the end-to-end check prints.
    prepare_started: f64,
    data_open: bool,
    /// The data table shows every row (not only the first [`MAX_TABLE_ROWS`]).
    data_all: bool,
    /// The notes and table last put in the page, to rebuild them only when they change.
    shown_extras: Option<(Vec<String>, Option<Table>)>,
    /// The canvas's CSS width at the last [`Card::measure`].
    css_width: f64,
    /// The elements.
    pub elements: Elements,
    form: Form,
    /// The embed options (which controls, theme, height), once opened.
    embed_options: Option<EmbedOptions>,
    _listeners: Vec<Listener>,
}

impl Card {
    /// Builds the card's elements into `parent` and draws its theory.
    pub fn new(
        events: &Events,
        parent: &Element,
        index: usize,
        config: Config,
        embed: Option<&[String]>,
    ) -> Result<Card, JsValue> {
        let document = parent
            .owner_document()
            .ok_or_else(|| JsValue::from_str("no document"))?;
        let id = config.figure.as_ref().map_or("", |figure| figure.id());
        let figure = child(parent, "figure", "card", "")?;
        figure.set_id(&format!("fig-{id}"));
        figure.set_attribute("aria-labelledby", &format!("title-{id}"))?;
        figure.set_attribute("data-figure", id)?;
        // The title is the figure's caption; the generated description goes under the plot.
        let title_holder = child(&figure, "figcaption", "", "")?;
        let heading = child(&title_holder, "h2", "card-title", "")?;
        heading.set_id(&format!("title-{id}"));

        let body = child(&figure, "div", "card-body", "")?;
        let plot = child(&body, "div", "plot", "")?;
        let canvas_box = child(&plot, "div", "canvas-box", "")?;
        let canvas: HtmlCanvasElement = cast(child(&canvas_box, "canvas", "", "")?)?;
        // Marks the point the read-out names (decoration: the read-out is the text).
        let hover_dot = child(&canvas_box, "span", "hover-dot", "")?;
        hover_dot.set_attribute("aria-hidden", "true")?;
        hover_dot.set_attribute("hidden", "")?;
        canvas.set_attribute("role", "img")?;
        canvas.set_attribute("tabindex", "0")?;
        let readout = child(&plot, "p", "readout", "")?;
        readout.set_attribute("aria-live", "polite")?;
        let sim = child(&plot, "div", "sim-status", "")?;
        let progress: HtmlProgressElement = cast(child(&sim, "progress", "", "")?)?;
        progress.set_max(1.0);
        progress.set_attribute("aria-label", "simulation progress")?;
        let status = child(&sim, "span", "status-text", "")?;
        status.set_attribute("role", "status")?;

        if embed.is_none() {
            if let Some(template) = crate::config::figure_entry(id)
                .and_then(|entry| entry.formula_template)
                .and_then(|name| document.get_element_by_id(name))
            {
                if let Ok(template) = template.dyn_into::<web_sys::HtmlTemplateElement>() {
                    let formula = child(&plot, "div", "formula", "")?;
                    formula.append_child(&template.content().clone_node_with_deep(true)?)?;
                }
            }
        }
        let side = child(&body, "div", "side", "")?;
        let form = child(&side, "form", "controls", "")?;
        form.set_attribute("aria-label", "settings")?;
        let notes = child(&plot, "div", "notes", "")?;
        notes.set_attribute("role", "status")?;
        notes.set_attribute("hidden", "")?;
        // The figure's table spans the card (below the plot and the form): 9 columns do not fit
        // beside the form.
        let numbers = child(&body, "div", "numbers", "")?;
        numbers.set_attribute("hidden", "")?;
        let caption = child(&plot, "p", "caption", "")?;
        caption.set_id(&format!("caption-{id}"));
        figure.set_attribute("aria-describedby", &format!("caption-{id}"))?;
        if embed.is_some() {
            caption.set_attribute("hidden", "")?;
        }
        let actions = child(&figure, "div", "actions", "")?;
        let message = child(&figure, "p", "action-message", "")?;
        message.set_attribute("role", "status")?;
        let embed_holder = child(&figure, "div", "embed-options", "")?;
        embed_holder.set_attribute("hidden", "")?;
        let data = child(&figure, "div", "data", "")?;
        data.set_attribute("hidden", "")?;

        let mut listeners = Vec::new();
        let mut pause = None;
        let mut data_toggle = None;
        let mut data_all = None;
        let mut simulation_buttons = Vec::new();
        if embed.is_some() {
            let link = child(&actions, "a", "open-link", "Open in the playground ↗")?;
            link.set_attribute("target", "_blank")?;
            link.set_attribute("rel", "noopener")?;
        } else {
            let mut button = |label: &str, action: Action| -> Result<HtmlButtonElement, JsValue> {
                let button: HtmlButtonElement = cast(child(&actions, "button", "", label)?)?;
                button.set_type("button");
                let events = events.clone();
                let listener = Listener::new(&button, "click", move |_| {
                    events.send(PageEvent::Action {
                        card: index,
                        action,
                    });
                })?;
                listeners.push(listener);
                Ok(button)
            };
            button("Reset to paper", Action::Reset)?;
            let pause_button = button("Pause", Action::TogglePause)?;
            simulation_buttons.push(pause_button.clone());
            pause = Some(pause_button);
            simulation_buttons.push(button("Rerun same seed", Action::Rerun)?);
            simulation_buttons.push(button("New seed", Action::NewSeed)?);
            data_toggle = Some(button("Show data", Action::ToggleData)?);
            let all = button("Show all rows", Action::ShowAllData)?;
            all.set_attribute("hidden", "")?;
            data_all = Some(all);
            button("PNG", Action::Png)?;
            button("SVG", Action::Svg)?;
            button("CSV", Action::Csv)?;
            if id == "explorer" {
                button("Table CSV", Action::TableCsv)?;
                button("Copy as code", Action::CopyCode)?;
            }
            button("Config", Action::ConfigText)?;
            button("Copy link", Action::CopyLink)?;
            button("Copy embed code", Action::CopyEmbed)?;
        }
        if let Some(button) = &data_toggle {
            button.set_attribute("aria-expanded", "false")?;
        }

        // Hover read-out.
        {
            let moved = events.clone();
            listeners.push(Listener::new(&canvas, "pointermove", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::MouseEvent>() else {
                    return;
                };
                moved.send(PageEvent::Hover {
                    card: index,
                    at: Some((f64::from(event.offset_x()), f64::from(event.offset_y()))),
                });
            })?);
            // A tap (touch or pen) reads out the point under the finger; it stays until the next
            // tap, since a finger has no hover to leave.
            let tapped = events.clone();
            listeners.push(Listener::new(&canvas, "pointerdown", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::PointerEvent>() else {
                    return;
                };
                if event.pointer_type() == "mouse" {
                    return;
                }
                tapped.send(PageEvent::Hover {
                    card: index,
                    at: Some((f64::from(event.offset_x()), f64::from(event.offset_y()))),
                });
            })?);
            let left = events.clone();
            listeners.push(Listener::new(&canvas, "pointerleave", move |event| {
                let touch = event
                    .dyn_ref::<web_sys::PointerEvent>()
                    .is_some_and(|event| event.pointer_type() != "mouse");
                if touch {
                    return;
                }
                left.send(PageEvent::Hover {
                    card: index,
                    at: None,
                });
            })?);
        }

        let mut card = Card {
            index,
            id,
            config,
            experiment: None,
            run: None,
            run_id: next_run_id(),
            in_flight: Vec::new(),
            stale_runs: Vec::new(),
            local_only: false,
            workers_shown: 0,
            workers_unavailable: false,
            paused: false,
            visible: true,
            data: None,
            frames: Vec::new(),
            last_draw: 0.0,
            drawn_work: 0,
            drawn_size: (0, 0, false),
            prepared: false,
            painted: false,
            prepare_started: 0.0,
            data_open: false,
            data_all: false,
            shown_extras: None,
            css_width: 720.0,
            elements: Elements {
                figure,
                canvas,
                readout,
                hover_dot,
                progress,
                status,
                caption,
                title: heading,
                message,
                data,
                notes,
                numbers,
                pause,
                data_toggle,
                data_all,
                sim_status: sim,
                embed_holder,
                simulation_buttons,
            },
            form: Form::empty(),
            embed_options: None,
            _listeners: listeners,
        };
        card.elements
            .title
            .set_text_content(Some(&crate::playground::short_name(id)));
        card.form = Form::build(events, &document, &form, &card.config, index, id, embed)?;
        Ok(card)
    }

    /// Writes the configuration's values into the form (except into the field of `editing`,
    /// which holds what the user is typing) and clears the errors.
    pub fn show_values(&mut self, editing: Option<&str>) {
        self.form.show_values(&self.config, editing);
    }

    /// Shows an edit's errors at its control (the figure keeps its last valid configuration).
    pub fn show_field_errors(&self, key: &str, messages: &[String]) {
        self.form.show_field_errors(key, messages);
    }

    /// Sets a slider's typed field (the slider itself moved).
    pub fn show_slider_value(&self, key: &str, value: &str) {
        self.form.show_slider_value(key, value);
    }

    /// Replaces the configuration: new experiment, theory drawn at once, new simulation queued.
    pub fn set_config(&mut self, config: Config, dark: bool) {
        self.config = config;
        self.restart(dark);
    }

    /// Rebuilds the experiment from the configuration and restarts its simulation.
    pub fn restart(&mut self, dark: bool) {
        self.prepare();
        self.paint(dark);
    }

    /// The first half of [`Card::restart`]: builds the experiment and its theory (the caption
    /// and title follow), queues the simulation; draws nothing. The page's start-up runs the two
    /// halves in separate tasks, so that no task holds both a theory and a drawing.
    pub fn prepare(&mut self) {
        self.prepare_started = super::dom::now();
        self.prepared = true;
        self.painted = false;
        self.run = None;
        self.paused = false;
        self.forget_workers();
        self.run_id = next_run_id();
        self.local_only = false;
        match Experiment::new(&self.config).map(Experiment::progressive) {
            Ok(experiment) => {
                let theory = experiment.theory();
                // Sub- and superscripts as <sub>/<sup> elements around text nodes (never HTML).
                let _ = rich_text(&self.elements.caption, theory.caption.trim());
                let _ = rich_text(&self.elements.title, theory.title.trim());
                let run = experiment.simulation();
                self.run = (run.ensembles() > 0).then_some(run);
                self.data = Some(theory);
                self.experiment = Some(experiment);
            }
            Err(problems) => {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.experiment = None;
                self.data = None;
                self.elements.caption.set_text_content(Some(&format!(
                    "Cannot draw this figure: {}",
                    text.join("; ")
                )));
            }
        }
        self.drawn_work = 0;
        let computed = super::dom::now();
        // Timing for the end-to-end check: the theory computed (ms).
        let _ = self.elements.figure.set_attribute(
            "data-theory-ms",
            &format!("{:.2}", computed - self.prepare_started),
        );
    }

    /// The second half of [`Card::restart`]: draws what [`Card::prepare`] computed and shows
    /// the simulation's progress.
    pub fn paint(&mut self, dark: bool) {
        let started = super::dom::now();
        self.force_draw(dark);
        self.show_progress();
        // Timing for the end-to-end check: how long the drawing took (ms).
        let drawn = super::dom::now();
        let _ = self
            .elements
            .figure
            .set_attribute("data-draw-ms", &format!("{:.2}", drawn - started));
    }

    /// Whether the card has been prepared (its theory computed, or its error shown).
    pub fn is_prepared(&self) -> bool {
        self.prepared
    }

    /// Whether the card has been drawn since it was last prepared.
    pub fn is_painted(&self) -> bool {
        self.painted
    }

    /// Whether the theory or a simulation is waiting for work.
    pub fn wants_work(&self) -> bool {
        let theory = self
            .experiment
            .as_ref()
            .is_some_and(|experiment| !experiment.theory_complete());
        let undrawn = self
            .run
            .as_ref()
            .is_some_and(|run| run.work_done() > self.drawn_work);
        theory || (!self.paused && self.run.as_ref().is_some_and(|run| !run.is_done())) || undrawn
    }

    /// Completes the theory piece by piece within `budget_ms` (the exact escape rate of 6(b));
    /// redraws when it changed. Returns whether it is complete.
    fn refine_theory(&mut self, budget_ms: f64, dark: bool) -> bool {
        let Some(experiment) = &self.experiment else {
            return true;
        };
        if experiment.theory_complete() {
            return true;
        }
        let start = super::dom::now();
        while !experiment.theory_complete() && super::dom::now() - start < budget_ms {
            experiment.refine_theory();
        }
        let complete = experiment.theory_complete();
        let now = super::dom::now();
        if complete || now - self.last_draw > 200.0 {
            self.data = Some(match &self.run {
                Some(run) => experiment.figure(run),
                None => experiment.theory(),
            });
            self.force_draw(dark);
        }
        complete
    }

    /// The run's tasks in workers are to be stopped (the page cancels them in its next frame).
    fn forget_workers(&mut self) {
        if !self.in_flight.is_empty() {
            self.stale_runs.push(self.run_id);
            self.in_flight.clear();
        }
    }

    /// Takes a worker's report on task `index` of this card's run.
    pub fn receive(&mut self, index: usize, report: Report) {
        let Some(position) = self.in_flight.iter().position(|(task, _)| *task == index) else {
            return;
        };
        match report {
            Report::Progress(fraction) => self.in_flight[position].1 = fraction,
            Report::Done(result) => {
                self.in_flight.swap_remove(position);
                if let Some(run) = self.run.as_mut() {
                    run.accept(index, result);
                }
            }
            Report::Lost => {
                // The page runs the rest itself (a worker that lost a task may lose it again).
                self.in_flight.swap_remove(position);
                self.local_only = true;
            }
        }
    }

    /// Gives the run's next tasks (in order, not finished, not already given) to idle workers.
    fn dispatch(&mut self, pool: &WorkerPool) {
        let Some(run) = &self.run else { return };
        let mut idle = pool.idle();
        if idle == 0 || run.is_done() {
            return;
        }
        let count = run.ensembles();
        // Written once a task is given (most frames, every worker is busy or nothing is left).
        let mut text = None;
        for index in 0..count {
            if idle == 0 {
                break;
            }
            if run.is_finished(index) || self.in_flight.iter().any(|(task, _)| *task == index) {
                continue;
            }
            let text = text.get_or_insert_with(|| self.config.to_text());
            if !pool.submit(self.run_id, index, count, text) {
                break;
            }
            self.in_flight.push((index, 0.0));
            idle -= 1;
        }
    }

    /// Completes the theory, then (with `simulate`) runs the simulation, for about `budget_ms`
    /// milliseconds in all (in chunks, or by giving its tasks to `pool`'s workers); redraws when
    /// enough changed. Returns whether work is left that this call could have done.
    pub fn work(
        &mut self,
        budget_ms: f64,
        dark: bool,
        simulate: bool,
        pool: Option<&WorkerPool>,
    ) -> bool {
        let start = super::dom::now();
        if !self.refine_theory(budget_ms, dark) {
            return true;
        }
        if self.paused || !simulate {
            return false;
        }
        let budget_ms = budget_ms - (super::dom::now() - start);
        let pool = pool.filter(|_| !self.local_only);
        self.workers_shown = pool.map_or(0, WorkerPool::size);
        if pool.is_none() && !self.in_flight.is_empty() {
            // Workers became unavailable: their tasks are run here.
            self.forget_workers();
        }
        let Some(run) = self.run.as_mut() else {
            return false;
        };
        // A redraw that is due gets the frame to itself (never simulation and drawing in one
        // task: the page's longest task stays the larger of the two, not their sum).
        let now = super::dom::now();
        let progressed = run.work_done() > self.drawn_work;
        if progressed && (run.is_done() || now - self.last_draw > REDRAW_INTERVAL_MS) {
            if let Some(experiment) = &self.experiment {
                self.data = Some(experiment.figure(run));
            }
            self.drawn_work = run.work_done();
            let done = run.is_done();
            self.force_draw(dark);
            self.show_progress();
            return !done;
        }
        if let Some(pool) = pool {
            self.dispatch(pool);
            self.show_progress();
            return self.run.as_ref().is_some_and(|run| !run.is_done());
        }
        // About 0.5 ms of wasm per chunk on a laptop (10⁵ units ≈ 10⁵ 1-D particle-steps).
        const CHUNK: u64 = 100_000;
        let start = super::dom::now();
        while !run.is_done() && super::dom::now() - start < budget_ms {
            run.advance(CHUNK);
        }
        self.show_progress();
        // Finished: one more frame draws the last points.
        true
    }

    fn show_progress(&self) {
        let (progress, text) = match &self.run {
            None => (
                1.0,
                "theory only (no simulation in this figure)".to_string(),
            ),
            Some(run) if run.is_done() => (
                1.0,
                format!("simulation done: {} ensembles", run.ensembles()),
            ),
            Some(run) => {
                let progress = run.progress_with(&self.in_flight);
                let state = if self.paused {
                    "paused".to_string()
                } else if !self.visible && self.in_flight.is_empty() {
                    "waiting (off-screen)".to_string()
                } else if self.workers_shown > 0 {
                    format!(
                        "simulating on {} worker{}",
                        self.workers_shown,
                        if self.workers_shown == 1 { "" } else { "s" }
                    )
                } else if self.workers_unavailable {
                    "simulating on the page's thread (Web Workers unavailable)".to_string()
                } else {
                    "simulating".to_string()
                };
                (
                    progress,
                    format!(
                        "{state}: {:.0}% ({} of {} ensembles)",
                        100.0 * progress,
                        run.finished_ensembles(),
                        run.ensembles()
                    ),
                )
            }
        };
        self.elements.progress.set_value(progress);
        self.elements.status.set_text_content(Some(&text));
        // A figure without a simulation shows neither its progress nor the buttons that would
        // restart one.
        let theory_only = self.run.is_none();
        let _ = set_hidden(&self.elements.sim_status, theory_only);
        for button in &self.elements.simulation_buttons {
            let _ = set_hidden(button, theory_only);
        }
        if let Some(pause) = &self.elements.pause {
            pause.set_text_content(Some(if self.paused { "Resume" } else { "Pause" }));
            pause.set_disabled(self.run.as_ref().is_none_or(|run| run.is_done()));
        }
    }

    /// Pauses or resumes the simulation.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        if self.paused {
            // The tasks in workers stop at once; resuming runs them again (same numbers).
            self.forget_workers();
        }
        self.show_progress();
    }

    /// A message under the actions (export done, link copied, …).
    pub fn say(&self, text: &str) {
        self.elements.message.set_text_content(Some(text));
    }

    /// The data drawn (theory, plus the simulation so far).
    pub fn data(&self) -> Option<&FigureData> {
        self.data.as_ref()
    }

    /// Whether the simulation finished and its last points are drawn.
    pub fn simulation_done(&self) -> bool {
        self.run
            .as_ref()
            .is_none_or(|run| run.is_done() && run.work_done() == self.drawn_work)
    }
}

/// A new id for a simulation run (unique in the page).
fn next_run_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Shows or hides an element.
pub(super) fn set_hidden(element: &Element, hidden: bool) -> Result<(), JsValue> {
    if hidden {
        element.set_attribute("hidden", "")
    } else {
        element.remove_attribute("hidden")
    }
}
