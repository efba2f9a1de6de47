//! One figure of the page: its `<figure>` element (canvas, read-out, progress, formula, form,
//! caption, actions, data table) and its state (configuration, experiment, running simulation).

use std::rc::Weak;

use super::measure::MeasuredCanvas;
use plotters::prelude::IntoDrawingArea;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Element, HtmlButtonElement, HtmlCanvasElement, HtmlInputElement, HtmlProgressElement,
    HtmlSelectElement,
};

use super::app::{Action, App};
use super::dom::{cast, child, rich_text, Listener};
use super::form::Form;
use crate::config::Config;
use crate::experiments::data::{FigureData, Table};
use crate::experiments::{Experiment, SimulationRun};
use crate::figures::{draw_wrapped, FigureStyle, PlotFrame};
use crate::playground::describe::{describe, nearest, table, MAX_TABLE_ROWS};

/// Narrowest column a panel gets before the panels wrap (CSS pixels).
const MIN_PANEL_WIDTH: f64 = 260.0;
/// Narrowest column of a phone's two-column layout (CSS pixels).
const MIN_PHONE_PANEL_WIDTH: f64 = 160.0;
/// Least time between two redraws of a running simulation (ms).
const REDRAW_INTERVAL_MS: f64 = 250.0;
/// How far from a point the hover read-out still picks it (CSS pixels).
const HOVER_RADIUS: f64 = 28.0;

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

/// What an embed code shows: the controls ticked, the theme and the frame's height.
struct EmbedOptions {
    boxes: Vec<(&'static str, HtmlInputElement)>,
    theme: HtmlSelectElement,
    height: HtmlInputElement,
    code: Element,
    _listeners: Vec<Listener>,
}

/// Height of an embed's frame before the figure reports its own (CSS pixels).
pub const EMBED_HEIGHT: u32 = 520;

/// Which template holds a figure's formula (`None`: the panel's caption says it all).
fn formula_template(id: &str) -> Option<&'static str> {
    Some(match id {
        "1b" => "formula-1b",
        "2a" => "formula-2a",
        "2b" => "formula-2b",
        "3" => "formula-3",
        "4" => "formula-4",
        "5a" | "5b" | "5c" | "5d" => "formula-5a",
        "6a" => "formula-6a",
        "6b" => "formula-6b",
        "phase" => "formula-phase",
        "bayes" => "formula-bayes",
        "escape" => "formula-escape",
        _ => return None,
    })
}

/// The controls an embed code shows by default: the figure's main knob.
pub fn embed_controls(id: &str) -> &'static str {
    match id {
        "1b" | "3" | "4" => "lrs",
        "2a" => "C",
        "2b" => "S",
        "5a" | "5b" | "5c" | "5d" => "lr_k",
        "6a" => "r",
        "phase" => "mu",
        "escape" | "explorer" => "lr",
        "newton" => "angle",
        _ => "S",
    }
}

impl Card {
    /// Builds the card's elements into `parent` and draws its theory.
    pub fn new(
        app: &Weak<App>,
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
            if let Some(template) =
                formula_template(id).and_then(|name| document.get_element_by_id(name))
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
                let app = app.clone();
                let listener = Listener::new(&button, "click", move |_| {
                    if let Some(app) = app.upgrade() {
                        app.action(index, action);
                    }
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
            let moved = app.clone();
            listeners.push(Listener::new(&canvas, "pointermove", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::MouseEvent>() else {
                    return;
                };
                if let Some(app) = moved.upgrade() {
                    app.hover(
                        index,
                        Some((f64::from(event.offset_x()), f64::from(event.offset_y()))),
                    );
                }
            })?);
            // A tap (touch or pen) reads out the point under the finger; it stays until the next
            // tap, since a finger has no hover to leave.
            let tapped = app.clone();
            listeners.push(Listener::new(&canvas, "pointerdown", move |event| {
                let Some(event) = event.dyn_ref::<web_sys::PointerEvent>() else {
                    return;
                };
                if event.pointer_type() == "mouse" {
                    return;
                }
                if let Some(app) = tapped.upgrade() {
                    app.hover(
                        index,
                        Some((f64::from(event.offset_x()), f64::from(event.offset_y()))),
                    );
                }
            })?);
            let left = app.clone();
            listeners.push(Listener::new(&canvas, "pointerleave", move |event| {
                let touch = event
                    .dyn_ref::<web_sys::PointerEvent>()
                    .is_some_and(|event| event.pointer_type() != "mouse");
                if touch {
                    return;
                }
                if let Some(app) = left.upgrade() {
                    app.hover(index, None);
                }
            })?);
        }

        let mut card = Card {
            index,
            id,
            config,
            experiment: None,
            run: None,
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
        card.form = Form::build(app, &document, &form, &card.config, index, id, embed)?;
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

    /// Completes the theory, then (with `simulate`) runs the simulation, for about `budget_ms`
    /// milliseconds in all (in chunks); redraws when enough changed. Returns whether work is
    /// left that this call could have done.
    pub fn work(&mut self, budget_ms: f64, dark: bool, simulate: bool) -> bool {
        let start = super::dom::now();
        if !self.refine_theory(budget_ms, dark) {
            return true;
        }
        if self.paused || !simulate {
            return false;
        }
        let budget_ms = budget_ms - (super::dom::now() - start);
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
                let state = if self.paused {
                    "paused"
                } else if !self.visible {
                    "waiting (off-screen)"
                } else {
                    "simulating"
                };
                (
                    run.progress(),
                    format!(
                        "{state}: {:.0}% ({} of {} ensembles)",
                        100.0 * run.progress(),
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
        self.show_progress();
    }

    /// Redraws if the canvas size or the theme changed since the last draw.
    pub fn draw_if_resized(&mut self, dark: bool) {
        if !self.prepared {
            return;
        }
        let (width, height) = self.canvas_size();
        if (width, height, dark) != self.drawn_size {
            self.force_draw(dark);
        }
    }

    /// The canvas bitmap size for its CSS width: (device width, device height), and the CSS size.
    /// Reads the canvas's CSS width (a layout read: the app measures every card first, then
    /// draws them, so that drawing one never forces a layout before measuring the next).
    pub fn measure(&mut self) {
        let width = f64::from(self.elements.canvas.client_width());
        self.set_css_width(width);
    }

    /// The canvas's CSS width of the last measure.
    pub fn css_width(&self) -> f64 {
        self.css_width
    }

    /// Sets the canvas's CSS width (measured on a card of the same layout); 720 px when the card
    /// is not laid out (0).
    pub fn set_css_width(&mut self, width: f64) {
        self.css_width = if width > 0.0 { width } else { 720.0 };
    }

    fn layout(&self) -> (f64, f64, usize) {
        let css_width = self.css_width;
        let panels = self
            .data
            .as_ref()
            .map_or(1, |data| data.panels.len().max(1));
        let mut columns = ((css_width / MIN_PANEL_WIDTH).floor() as usize).clamp(1, panels);
        // Three or more panels on a phone: two narrower columns rather than one tall stack
        // (Fig. 3's four panels were 1,400 px tall one under another).
        if panels >= 3 && columns == 1 && css_width / 2.0 >= MIN_PHONE_PANEL_WIDTH {
            columns = 2;
        }
        let rows = panels.div_ceil(columns);
        let cell = css_width / columns as f64;
        // Taller panels on a phone, where a panel is narrow and its legend takes more room.
        let aspect = if cell < 500.0 { 0.85 } else { 0.68 };
        let row_height = (cell * aspect).clamp(220.0, 400.0);
        // The legend's own rows beyond the two the base allowance holds.
        let legend = self.data.as_ref().map_or(0.0, |data| {
            (crate::playground::legend_height_estimate(data, css_width) - 34.0).max(0.0)
        });
        let css_height = rows as f64 * row_height + 44.0 + legend;
        (css_width, css_height, columns)
    }

    fn canvas_size(&self) -> (u32, u32) {
        let (css_width, css_height, _) = self.layout();
        let ratio = device_pixel_ratio();
        (
            (css_width * ratio).round() as u32,
            (css_height * ratio).round() as u32,
        )
    }

    /// Draws the current data now (nothing before [`Card::prepare`]: the theme changing or a
    /// print during start-up leaves a card that is not yet prepared blank).
    pub fn force_draw(&mut self, dark: bool) {
        if !self.prepared {
            return;
        }
        if let Err(error) = self.draw(dark) {
            web_sys::console::error_2(&JsValue::from_str("sgd-playground: drawing failed"), &error);
        }
        if !self.painted {
            self.painted = true;
            // When it was first drawn (ms since navigation), for the end-to-end check: the
            // figure of the link is drawn first.
            let _ = self
                .elements
                .figure
                .set_attribute("data-painted-at-ms", &format!("{:.1}", super::dom::now()));
        }
        self.last_draw = super::dom::now();
    }

    fn draw(&mut self, dark: bool) -> Result<(), JsValue> {
        let canvas = &self.elements.canvas;
        let (_, css_height, columns) = self.layout();
        let ratio = device_pixel_ratio();
        let (width, height) = self.canvas_size();
        canvas
            .style()
            .set_property("height", &format!("{css_height}px"))?;
        // On a phone the plot stays in view while the controls under it move (CSS), when it
        // takes at most half the screen.
        if let (Some(holder), Some(window)) = (canvas.parent_element(), web_sys::window()) {
            let screen = window
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
            let _ = holder
                .class_list()
                .toggle_with_force("sticky", css_height <= 0.5 * screen);
        }
        if canvas.width() != width || canvas.height() != height {
            canvas.set_width(width);
            canvas.set_height(height);
        }
        self.drawn_size = (width, height, dark);
        self.frames.clear();
        let Some(data) = &self.data else {
            canvas.set_attribute(
                "aria-label",
                "This figure cannot be drawn with these settings.",
            )?;
            return Ok(());
        };
        let backend = MeasuredCanvas::new(canvas.clone())
            .ok_or_else(|| JsValue::from_str("no 2-D context"))?;
        let area = backend.into_drawing_area();
        let has_heatmap = data.panels.iter().any(|panel| panel.heatmap.is_some());
        let style = FigureStyle {
            // A heatmap is one image composited beneath the drawing (below), not one rectangle
            // per run of cells: the drawing leaves the canvas transparent where it has no ink.
            heatmap_cells: !has_heatmap,
            fill_background: !has_heatmap,
            ..page_style(dark)
        }
        .with_scale(ratio);
        if has_heatmap {
            context_2d(canvas)?.clear_rect(0.0, 0.0, f64::from(width), f64::from(height));
        }
        let result = draw_wrapped(data, &area, &style, columns, &mut self.frames);
        area.present()
            .map_err(|error| JsValue::from_str(&error.to_string()))?;
        if has_heatmap {
            composite_heatmaps(canvas, data, &self.frames, &style)?;
        }
        canvas.set_attribute("aria-label", &describe(data))?;
        if self.data_open {
            self.fill_table()?;
        }
        self.show_extras()?;
        result.map_err(|error| JsValue::from_str(&error.to_string()))
    }

    /// Puts the figure's notes and table in the page when they changed (text only: nothing of
    /// a figure is ever parsed as HTML).
    fn show_extras(&mut self) -> Result<(), JsValue> {
        let (notes, table) = match &self.data {
            Some(data) => (data.notes.clone(), data.table.clone()),
            None => (Vec::new(), None),
        };
        if self.shown_extras.as_ref() == Some(&(notes.clone(), table.clone())) {
            return Ok(());
        }
        let holder = &self.elements.notes;
        holder.set_text_content(None);
        for note in &notes {
            child(holder, "p", "note", note)?;
        }
        set_hidden(holder, notes.is_empty())?;
        let holder = &self.elements.numbers;
        holder.set_text_content(None);
        if let Some(table) = &table {
            let element = child(holder, "table", "", "")?;
            child(&element, "caption", "", &table.caption)?;
            let head = child(&element, "thead", "", "")?;
            let tr = child(&head, "tr", "", "")?;
            for name in &table.header {
                let th = child(&tr, "th", "", name)?;
                th.set_attribute("scope", "col")?;
            }
            let body = child(&element, "tbody", "", "")?;
            for (index, row) in table.rows.iter().enumerate() {
                let tr = child(&body, "tr", "", "")?;
                for (column, cell) in row.iter().enumerate() {
                    if column == 0 {
                        let th = child(&tr, "th", "", cell)?;
                        th.set_attribute("scope", "row")?;
                        continue;
                    }
                    let detail = table
                        .details
                        .iter()
                        .find(|d| d.row == index && d.column == column);
                    match detail {
                        // The full matrix behind its eigenvalues, one click away.
                        Some(detail) => {
                            let td = child(&tr, "td", "", "")?;
                            let details = child(&td, "details", "", "")?;
                            child(&details, "summary", "", cell)?;
                            child(&details, "pre", "", &detail.text)?;
                        }
                        None => {
                            child(&tr, "td", "", cell)?;
                        }
                    }
                }
            }
        }
        set_hidden(holder, table.is_none())?;
        self.shown_extras = Some((notes, table));
        Ok(())
    }

    /// The hover read-out at a CSS-pixel position of the canvas (`None`: the pointer left).
    pub fn hover(&self, at: Option<(f64, f64)>) {
        let ratio = device_pixel_ratio();
        let readout = at.and_then(|(x, y)| {
            let data = self.data.as_ref()?;
            nearest(
                data,
                &self.frames,
                (x * ratio, y * ratio),
                HOVER_RADIUS * ratio,
            )
        });
        let dot = &self.elements.hover_dot;
        match &readout {
            Some(readout) => {
                let (x, y) = (readout.pixel.0 / ratio, readout.pixel.1 / ratio);
                let _ = dot.set_attribute("style", &format!("left: {x:.1}px; top: {y:.1}px"));
                let _ = dot.remove_attribute("hidden");
            }
            None => {
                let _ = dot.set_attribute("hidden", "");
            }
        }
        self.elements.readout.set_text_content(Some(
            readout.as_ref().map_or("", |readout| readout.text.as_str()),
        ));
    }

    /// Shows or hides the data table.
    pub fn toggle_data(&mut self) -> Result<(), JsValue> {
        self.data_open = !self.data_open;
        if let Some(button) = &self.elements.data_toggle {
            button.set_text_content(Some(if self.data_open {
                "Hide data"
            } else {
                "Show data"
            }));
            button.set_attribute(
                "aria-expanded",
                if self.data_open { "true" } else { "false" },
            )?;
        }
        if self.data_open {
            self.fill_table()?;
            self.elements.data.remove_attribute("hidden")?;
        } else {
            self.elements.data.set_attribute("hidden", "")?;
            self.elements.data.set_text_content(None);
            self.data_all = false;
            if let Some(button) = &self.elements.data_all {
                button.set_attribute("hidden", "")?;
            }
        }
        Ok(())
    }

    /// Shows every row of the open data table.
    pub fn show_all_data(&mut self) -> Result<(), JsValue> {
        self.data_all = true;
        if self.data_open {
            self.fill_table()?;
        }
        Ok(())
    }

    fn fill_table(&self) -> Result<(), JsValue> {
        let holder = &self.elements.data;
        holder.set_text_content(None);
        let Some(data) = &self.data else {
            return Ok(());
        };
        let limit = (!self.data_all).then_some(MAX_TABLE_ROWS);
        let (header, rows, total) = table(data, limit);
        let cut = rows.len() < total;
        if let Some(button) = &self.elements.data_all {
            button.set_text_content(Some(&format!("Show all {total} rows")));
            set_hidden(button, !cut)?;
        }
        let table = child(holder, "table", "", "")?;
        let caption = if cut {
            format!(
                "Data of {}: simulated points first, then theory (first {} of {total} rows; \
                 \"Show all {total} rows\" or the CSV export has all)",
                self.id,
                rows.len()
            )
        } else {
            format!(
                "Data of {}: simulated points first, then theory ({total} rows)",
                self.id
            )
        };
        child(&table, "caption", "", &caption)?;
        let head = child(&table, "thead", "", "")?;
        let tr = child(&head, "tr", "", "")?;
        for name in header {
            let th = child(&tr, "th", "", name)?;
            th.set_attribute("scope", "col")?;
        }
        let body = child(&table, "tbody", "", "")?;
        for row in rows {
            let tr = child(&body, "tr", "", "")?;
            for cell in row {
                child(&tr, "td", "", &cell)?;
            }
        }
        Ok(())
    }

    /// A message under the actions (export done, link copied, …).
    pub fn say(&self, text: &str) {
        self.elements.message.set_text_content(Some(text));
    }

    /// The panels' frames of the last draw.
    pub fn frames(&self) -> &[PlotFrame] {
        &self.frames
    }

    /// The data drawn (theory, plus the simulation so far).
    pub fn data(&self) -> Option<&FigureData> {
        self.data.as_ref()
    }

    /// The canvas's CSS size (for exports at the same aspect).
    pub fn css_size(&self) -> (f64, f64, usize) {
        self.layout()
    }

    /// Shows the embed options under the actions, built on first use: one checkbox per control
    /// (the figure's main knob ticked), the theme and the frame's height. A change asks the app
    /// for a new code ([`Action::EmbedChanged`]).
    pub fn open_embed_options(&mut self, app: &Weak<App>) -> Result<(), JsValue> {
        let holder = &self.elements.embed_holder;
        holder.remove_attribute("hidden")?;
        if self.embed_options.is_some() {
            return Ok(());
        }
        let index = self.index;
        let mut listeners = Vec::new();
        let changed = |element: &Element, event: &'static str| -> Result<Listener, JsValue> {
            let app = app.clone();
            Listener::new(element, event, move |_| {
                if let Some(app) = app.upgrade() {
                    app.action(index, Action::EmbedChanged);
                }
            })
        };
        let set = child(holder, "fieldset", "", "")?;
        child(&set, "legend", "", "Controls the embedded figure shows")?;
        let defaults: Vec<&str> = embed_controls(self.id).split(',').collect();
        let mut boxes = Vec::new();
        for control in crate::playground::controls(&self.config) {
            let label = child(&set, "label", "embed-choice", "")?;
            let input: HtmlInputElement = cast(child(&label, "input", "", "")?)?;
            input.set_type("checkbox");
            input.set_value(control.key);
            input.set_checked(defaults.contains(&control.key));
            child(&label, "span", "", &control.label)?;
            listeners.push(changed(&input, "change")?);
            boxes.push((control.key, input));
        }
        let row = child(holder, "div", "embed-look", "")?;
        let theme_label = child(&row, "label", "", "Theme ")?;
        let theme: HtmlSelectElement = cast(child(&theme_label, "select", "", "")?)?;
        for (value, text) in [
            ("auto", "follow the reader's system"),
            ("light", "light"),
            ("dark", "dark"),
        ] {
            let option = child(&theme, "option", "", text)?;
            option.set_attribute("value", value)?;
        }
        listeners.push(changed(&theme, "change")?);
        let height_label = child(&row, "label", "", " Height before it sizes itself (px) ")?;
        let height: HtmlInputElement = cast(child(&height_label, "input", "", "")?)?;
        height.set_type("number");
        height.set_min("200");
        height.set_max("2000");
        height.set_value(&EMBED_HEIGHT.to_string());
        listeners.push(changed(&height, "input")?);
        let code = child(holder, "pre", "embed-code", "")?;
        let again: HtmlButtonElement = cast(child(holder, "button", "", "Copy this code")?)?;
        again.set_type("button");
        {
            let app = app.clone();
            listeners.push(Listener::new(&again, "click", move |_| {
                if let Some(app) = app.upgrade() {
                    app.action(index, Action::CopyEmbedAgain);
                }
            })?);
        }
        self.embed_options = Some(EmbedOptions {
            boxes,
            theme,
            height,
            code,
            _listeners: listeners,
        });
        Ok(())
    }

    /// The embed's controls (the main knob until the options are opened), theme and height.
    pub fn embed_choice(&self) -> (Vec<String>, crate::playground::ThemeChoice, u32) {
        use crate::playground::ThemeChoice;
        let Some(options) = &self.embed_options else {
            let controls = embed_controls(self.id)
                .split(',')
                .map(String::from)
                .collect();
            return (controls, ThemeChoice::Auto, EMBED_HEIGHT);
        };
        let controls = options
            .boxes
            .iter()
            .filter(|(_, input)| input.checked())
            .map(|(key, _)| (*key).to_string())
            .collect();
        let theme = match options.theme.value().as_str() {
            "light" => ThemeChoice::Light,
            "dark" => ThemeChoice::Dark,
            _ => ThemeChoice::Auto,
        };
        let height = options
            .height
            .value()
            .parse::<u32>()
            .map_or(EMBED_HEIGHT, |h| h.clamp(200, 2000));
        (controls, theme, height)
    }

    /// Shows the current embed code in the options.
    pub fn show_embed_code(&self, code: &str) {
        if let Some(options) = &self.embed_options {
            options.code.set_text_content(Some(code));
        }
    }

    /// Sets the "open in playground" link of an embedded card.
    pub fn set_open_link(&self, href: &str) {
        if let Ok(Some(link)) = self.elements.figure.query_selector("a.open-link") {
            let _ = link.set_attribute("href", href);
        }
    }

    /// Whether the simulation finished and its last points are drawn.
    pub fn simulation_done(&self) -> bool {
        self.run
            .as_ref()
            .is_none_or(|run| run.is_done() && run.work_done() == self.drawn_work)
    }
}

/// The page's figure style: theme, no title (the page shows it as a heading).
pub fn page_style(dark: bool) -> FigureStyle {
    let style = if dark {
        FigureStyle::dark()
    } else {
        FigureStyle::light()
    };
    FigureStyle {
        show_title: false,
        ..style
    }
}

/// Shows or hides an element.
fn set_hidden(element: &Element, hidden: bool) -> Result<(), JsValue> {
    if hidden {
        element.set_attribute("hidden", "")
    } else {
        element.remove_attribute("hidden")
    }
}

/// The canvas's 2-D context.
fn context_2d(canvas: &HtmlCanvasElement) -> Result<web_sys::CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2-D context"))?
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("not a 2-D context"))
}

/// Paints every panel's heatmap beneath what is drawn (`destination-over`): each heatmap is put
/// once into an image of one pixel per cell ([`crate::figures::heatmap_rgba`]) and scaled into
/// its plot frame; then the background fills what is still transparent.
fn composite_heatmaps(
    canvas: &HtmlCanvasElement,
    data: &FigureData,
    frames: &[PlotFrame],
    style: &FigureStyle,
) -> Result<(), JsValue> {
    let context = context_2d(canvas)?;
    let document = canvas
        .owner_document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    context.save();
    context.set_global_composite_operation("destination-over")?;
    context.set_image_smoothing_enabled(false);
    for frame in frames {
        let Some(heatmap) = data
            .panels
            .get(frame.panel)
            .and_then(|panel| panel.heatmap.as_ref())
        else {
            continue;
        };
        let (columns, rows) = (heatmap.columns as u32, heatmap.rows as u32);
        if columns == 0 || rows == 0 {
            continue;
        }
        let bytes = crate::figures::heatmap_rgba(heatmap, &style.theme);
        let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            wasm_bindgen::Clamped(&bytes),
            columns,
            rows,
        )?;
        let cells: HtmlCanvasElement = cast(document.create_element("canvas")?)?;
        cells.set_width(columns);
        cells.set_height(rows);
        context_2d(&cells)?.put_image_data(&image, 0.0, 0.0)?;
        let (x0, x1) = heatmap.x_range;
        let (y0, y1) = heatmap.y_range;
        let (Some((left, bottom)), Some((right, top))) =
            (frame.pixel_of((x0, y0)), frame.pixel_of((x1, y1)))
        else {
            continue;
        };
        // Only the part inside the frame (a heatmap may extend beyond the shown range).
        context.save();
        context.begin_path();
        context.rect(
            frame.left,
            frame.top,
            frame.right - frame.left,
            frame.bottom - frame.top,
        );
        context.clip();
        context.draw_image_with_html_canvas_element_and_dw_and_dh(
            &cells,
            left,
            top,
            right - left,
            bottom - top,
        )?;
        context.restore();
    }
    let background = style.theme.background;
    context.set_fill_style_str(&format!(
        "rgb({}, {}, {})",
        background.0, background.1, background.2
    ));
    context.fill_rect(
        0.0,
        0.0,
        f64::from(canvas.width()),
        f64::from(canvas.height()),
    );
    context.restore();
    Ok(())
}

/// `window.devicePixelRatio`, at least 1.
pub fn device_pixel_ratio() -> f64 {
    web_sys::window()
        .map(|window| window.device_pixel_ratio())
        .filter(|ratio| ratio.is_finite() && *ratio > 0.0)
        .map_or(1.0, |ratio| ratio.max(1.0))
}
