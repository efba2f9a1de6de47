//! The page's exact-solver panel: shown for a link without `fig` (e.g. `?lr=1.5` or
//! `?opt=sgdm&mu=0.5&K=2,0;0,1`), it solves the configuration's landscape exactly and shows what
//! `sgd-playground solve` returns ([`crate::playground::solution`]): stationary or diverging, the
//! training loss, the stability condition and margin, the spectral radius, Σ. The same form as
//! the figures' (one control per key the configuration reads), the configuration as text, and
//! JSON / CSV downloads and a link.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlButtonElement, HtmlInputElement};

use super::dom::{cast, child, Listener};
use super::events::{Events, PageEvent};
use super::form::Form;
use crate::config::Config;
use crate::playground::controls;
use crate::playground::solution::solution_text;

/// The index edits of the solver's form carry in [`App::edit`](super::app::App::edit) (cards have 0, 1, …).
pub const SOLVER_INDEX: usize = usize::MAX;

/// What a button of the solver panel does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolverAction {
    /// Download the JSON of `sgd-playground solve`.
    Json,
    /// Download every number as CSV.
    Csv,
    /// Copy the link of this configuration.
    CopyLink,
    /// Copy the PyTorch and optax lines that construct this optimizer.
    CopyCode,
}

/// The solver panel.
pub struct SolverPanel {
    config: Config,
    document: Document,
    events: Events,
    input: HtmlInputElement,
    output: Element,
    error: Element,
    /// Where the form's controls live (rebuilt when the keys in use change, e.g. `opt`).
    form_element: Element,
    form: Form,
    /// The keys the form shows.
    keys: Vec<&'static str>,
    message: Element,
    _listeners: Vec<Listener>,
}

impl SolverPanel {
    /// Builds the panel into `parent` and solves `config`.
    pub fn new(
        events: &Events,
        parent: &Element,
        config: &Config,
        from_link: bool,
    ) -> Result<Self, JsValue> {
        let document = parent
            .owner_document()
            .ok_or_else(|| JsValue::from_str("no document"))?;
        let section = child(parent, "section", "card solver", "")?;
        section.set_id("solver");
        section.set_attribute("aria-labelledby", "solver-title")?;
        let heading = child(&section, "h2", "card-title", "Exact solver")?;
        heading.set_id("solver-title");
        let body = child(&section, "div", "card-body", "")?;
        let main = child(&body, "div", "plot", "")?;
        child(
            &main,
            "p",
            "caption",
            "The stationary covariance Σ of any optimizer on L(w) = wᵀKw/2 with gradient noise C, \
             exactly: what `sgd-playground solve` returns, with its stability condition and margin. \
             Change the settings, or edit the configuration text.",
        )?;
        let output = child(&main, "pre", "solution", "")?;
        output.set_attribute("aria-live", "polite")?;
        let label = child(&main, "label", "", "Configuration text")?;
        label.set_attribute("for", "solver-config")?;
        let input: HtmlInputElement = cast(child(&main, "input", "text wide", "")?)?;
        input.set_id("solver-config");
        input.set_type("text");
        input.set_attribute("spellcheck", "false")?;
        input.set_attribute("autocomplete", "off")?;
        input.set_attribute("aria-describedby", "solver-error")?;
        input.set_value(&config.to_text());
        let error = child(&main, "p", "field-error", "")?;
        error.set_id("solver-error");
        error.set_attribute("hidden", "")?;
        let side = child(&body, "div", "side", "")?;
        let form_element = child(&side, "form", "controls", "")?;
        form_element.set_attribute("aria-label", "solver settings")?;
        let actions = child(&section, "div", "actions", "")?;
        let message = child(&section, "p", "action-message", "")?;
        message.set_attribute("role", "status")?;

        let mut listeners = Vec::new();
        let sender = events.clone();
        let input_ref = input.clone();
        listeners.push(Listener::new(&input, "input", move |_| {
            sender.send(PageEvent::SolverInput(input_ref.value()));
        })?);
        for (label, action) in [
            ("JSON", SolverAction::Json),
            ("CSV", SolverAction::Csv),
            ("Copy link", SolverAction::CopyLink),
            ("Copy as code", SolverAction::CopyCode),
        ] {
            let button: HtmlButtonElement = cast(child(&actions, "button", "", label)?)?;
            button.set_type("button");
            let sender = events.clone();
            listeners.push(Listener::new(&button, "click", move |_| {
                sender.send(PageEvent::SolverAction(action));
            })?);
        }
        let form = Form::build(
            events,
            &document,
            &form_element,
            config,
            SOLVER_INDEX,
            "solver",
            None,
        )?;
        let panel = Self {
            config: config.clone(),
            document,
            events: events.clone(),
            input,
            output,
            error,
            form_element,
            form,
            keys: keys_of(config),
            message,
            _listeners: listeners,
        };
        panel.show();
        if !from_link {
            section.set_attribute("hidden", "")?;
        }
        Ok(panel)
    }

    /// The configuration solved.
    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// A message under the buttons.
    pub fn say(&self, text: &str) {
        self.message.set_text_content(Some(text));
    }

    /// New configuration text typed: solved when valid, the errors listed when not.
    pub fn set_text(&mut self, text: &str) -> bool {
        // The cost is checked first: nothing larger than this tab's budget is ever solved.
        let parsed = Config::parse(text).and_then(|config| {
            crate::playground::check_browser_cost(&config)?;
            config.to_problem().map(|_| config)
        });
        match parsed {
            Ok(config) => {
                self.config = config;
                let _ = self.error.set_attribute("hidden", "");
                let _ = self.input.remove_attribute("aria-invalid");
                self.show();
                self.refresh_form(None);
                true
            }
            Err(problems) => {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.error.set_text_content(Some(&text.join("\n")));
                let _ = self.error.remove_attribute("hidden");
                let _ = self.input.set_attribute("aria-invalid", "true");
                false
            }
        }
    }

    /// One edit of the form, checked strictly (and against the model: a K of the wrong size is
    /// reported at its control). Returns whether the configuration changed.
    pub fn edit(&mut self, key: &'static str, raw: &str) -> bool {
        let edited = crate::playground::with_value(&self.config, key, raw).and_then(|config| {
            config.to_problem()?;
            Ok(config)
        });
        match edited {
            Ok(config) => {
                let changed = !config.same_as(&self.config);
                self.config = config;
                self.input.set_value(&self.config.to_text());
                let _ = self.error.set_attribute("hidden", "");
                let _ = self.input.remove_attribute("aria-invalid");
                self.show();
                self.refresh_form(Some(key));
                changed
            }
            Err(problems) => {
                let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.form.show_field_errors(key, &messages);
                false
            }
        }
    }

    /// Sets a slider's typed field (the slider itself moved).
    pub fn show_slider_value(&self, key: &str, value: &str) {
        self.form.show_slider_value(key, value);
    }

    /// Rebuilds the form when the keys in use changed (another optimizer or noise), else writes
    /// the values into it (not into the field being edited).
    fn refresh_form(&mut self, editing: Option<&str>) {
        let keys = keys_of(&self.config);
        if keys == self.keys {
            self.form.show_values(&self.config, editing);
            return;
        }
        self.form_element.set_text_content(None);
        if let Ok(form) = Form::build(
            &self.events,
            &self.document,
            &self.form_element,
            &self.config,
            SOLVER_INDEX,
            "solver",
            None,
        ) {
            self.form = form;
            self.keys = keys;
        }
    }

    fn show(&self) {
        self.output
            .set_text_content(Some(&solution_text(&self.config)));
    }
}

fn keys_of(config: &Config) -> Vec<&'static str> {
    controls(config).iter().map(|control| control.key).collect()
}
