//! A configuration's form: one control per key (slider with a typed field, number, select,
//! checkbox or text), built from [`crate::playground::controls()`]. Used by every figure's card and
//! by the exact-solver panel; edits go to [`App::edit`](super::app::App::edit) and are applied once per frame.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlButtonElement, HtmlInputElement, HtmlSelectElement};

use super::dom::{cast, child, element, Listener};
use super::events::{Events, PageEvent};
use crate::config::Config;
use crate::playground::controls::{
    needs_fine_steps, nudge, slider_position, slider_value, SLIDER_STEPS,
};
use crate::playground::{controls, Control, Widget};

/// The inputs of one control.
pub(crate) struct Input {
    control: Control,
    /// The range input of a slider.
    slider: Option<HtmlInputElement>,
    /// The typed field (input or select).
    field: Element,
    /// Where this control's error is shown.
    error: Element,
}

/// The controls of one form and their listeners (removed on drop).
pub struct Form {
    inputs: Vec<Input>,
    listeners: Vec<Listener>,
}

impl Form {
    /// A form without controls.
    pub fn empty() -> Form {
        Form {
            inputs: Vec::new(),
            listeners: Vec::new(),
        }
    }

    /// One control per key of `config` (only those listed in `shown`, an embed's controls), built
    /// into `form`. Edits go to [`App::edit`](super::app::App::edit) with `index` (a card's index, or the solver's);
    /// `prefix` makes the elements' ids unique on the page.
    pub fn build(
        events: &Events,
        document: &Document,
        form: &Element,
        config: &Config,
        index: usize,
        prefix: &str,
        shown: Option<&[String]>,
    ) -> Result<Form, JsValue> {
        let mut this = Form {
            inputs: Vec::new(),
            listeners: Vec::new(),
        };
        for control in controls(config) {
            if let Some(shown) = shown {
                if !shown.iter().any(|key| key == control.key) {
                    continue;
                }
            }
            let key = control.key;
            let field_id = format!("ctl-{prefix}-{key}");
            let hint_id = format!("{field_id}-hint");
            let error_id = format!("{field_id}-error");
            let row = child(form, "div", "control", "")?;
            row.set_attribute("data-key", key)?;
            let label = child(&row, "label", "", &control.label)?;
            label.set_attribute("for", &field_id)?;
            label.set_attribute("title", control.meaning)?;
            let inputs = child(&row, "div", "inputs", "")?;
            let mut slider = None;
            let field: Element = match &control.widget {
                Widget::Slider { min, max, log } => {
                    let range: HtmlInputElement = cast(child(&inputs, "input", "slider", "")?)?;
                    range.set_type("range");
                    range.set_min("0");
                    range.set_max(&SLIDER_STEPS.to_string());
                    range.set_step("1");
                    range.set_attribute("aria-label", &format!("{} (slider)", control.label))?;
                    range.set_attribute("aria-describedby", &hint_id)?;
                    let (min, max, log) = (*min, *max, *log);
                    let events = events.clone();
                    let range_ref = range.clone();
                    this.listeners
                        .push(Listener::new(&range, "input", move |_| {
                            let position = range_ref.value().parse::<u32>().unwrap_or(0);
                            let value = slider_value(position, min, max, log);
                            events.send(PageEvent::Slid {
                                card: index,
                                key,
                                value: crate::config::format_number(value),
                            });
                        })?);
                    slider = Some(range);
                    let number = element(document, "input", "number", "")?;
                    number.set_attribute("type", "text")?;
                    number.set_attribute("inputmode", "decimal")?;
                    number
                }
                Widget::Integer { min, max } => {
                    let number = element(document, "input", "number", "")?;
                    number.set_attribute("type", "number")?;
                    number.set_attribute("min", &min.to_string())?;
                    number.set_attribute("max", &max.to_string())?;
                    number.set_attribute("step", "1")?;
                    number
                }
                Widget::Select(names) => {
                    let select = element(document, "select", "", "")?;
                    for name in *names {
                        let option = child(&select, "option", "", name)?;
                        option.set_attribute("value", name)?;
                    }
                    select
                }
                Widget::Checkbox => {
                    let checkbox = element(document, "input", "", "")?;
                    checkbox.set_attribute("type", "checkbox")?;
                    checkbox
                }
                Widget::Text => {
                    let text = element(document, "input", "text", "")?;
                    text.set_attribute("type", "text")?;
                    text
                }
            };
            field.set_id(&field_id);
            field.set_attribute("name", key)?;
            field.set_attribute("autocomplete", "off")?;
            field.set_attribute("spellcheck", "false")?;
            field.set_attribute("aria-describedby", &format!("{hint_id} {error_id}"))?;
            inputs.append_child(&field)?;
            if let (true, Widget::Slider { min, max, .. }) =
                (needs_fine_steps(&control.widget), &control.widget)
            {
                // A slider over several decades moves a few percent per pixel: it gets the whole
                // row, and − / + buttons step the value by about 6% (40 steps a decade).
                row.set_attribute("class", "control wide")?;
                let (min, max) = (*min, *max);
                for (text, up, name) in [("−", false, "smaller"), ("+", true, "larger")] {
                    let step: HtmlButtonElement = cast(child(&inputs, "button", "step", text)?)?;
                    step.set_type("button");
                    step.set_attribute(
                        "aria-label",
                        &format!("{} a little {name}", control.label),
                    )?;
                    let events = events.clone();
                    let field_ref = field.clone();
                    this.listeners.push(Listener::new(&step, "click", move |_| {
                        let current = field_ref
                            .dyn_ref::<HtmlInputElement>()
                            .and_then(|input| input.value().trim().parse::<f64>().ok())
                            .filter(|value| value.is_finite() && *value > 0.0);
                        let Some(current) = current else {
                            return;
                        };
                        let value = nudge(current, up, min, max);
                        events.send(PageEvent::Slid {
                            card: index,
                            key,
                            value: crate::config::format_number(value),
                        });
                    })?);
                }
            }
            let event = match control.widget {
                Widget::Select(_) | Widget::Checkbox => "change",
                _ => "input",
            };
            let events = events.clone();
            let field_ref = field.clone();
            let widget = control.widget.clone();
            this.listeners.push(Listener::new(&field, event, move |_| {
                let raw = read_field(&field_ref, &widget);
                events.send(PageEvent::Edit {
                    card: index,
                    key,
                    raw,
                });
            })?);
            let mut hint_text = format!("allowed: {}", control.allowed);
            if let Some(default) = &control.default {
                hint_text.push_str(&format!("; paper: {default}"));
            }
            let hint = child(&row, "p", "hint", &hint_text)?;
            hint.set_id(&hint_id);
            let error = child(&row, "p", "field-error", "")?;
            error.set_id(&error_id);
            error.set_attribute("hidden", "")?;
            this.inputs.push(Input {
                control,
                slider,
                field,
                error,
            });
        }
        this.show_values(config, None);
        Ok(this)
    }

    /// Writes the configuration's values into the form (except into the field of `editing`,
    /// which holds what the user is typing) and clears the errors.
    pub fn show_values(&mut self, config: &Config, editing: Option<&str>) {
        let current = controls(config);
        for input in &mut self.inputs {
            let Some(control) = current.iter().find(|c| c.key == input.control.key) else {
                continue;
            };
            input.control.value = control.value.clone();
            let _ = input.error.set_attribute("hidden", "");
            input.error.set_text_content(None);
            let _ = input.field.remove_attribute("aria-invalid");
            if let (Some(slider), Widget::Slider { min, max, log }) =
                (&input.slider, &input.control.widget)
            {
                if let Ok(value) = control.value.parse::<f64>() {
                    slider.set_value(&slider_position(value, *min, *max, *log).to_string());
                }
            }
            if editing == Some(input.control.key) {
                continue;
            }
            write_field(&input.field, &input.control.widget, &control.value);
        }
    }

    /// Shows an edit's errors at its control (the figure keeps its last valid configuration).
    pub fn show_field_errors(&self, key: &str, messages: &[String]) {
        for input in &self.inputs {
            if input.control.key != key {
                continue;
            }
            input.error.set_text_content(Some(&messages.join("; ")));
            let _ = input.error.remove_attribute("hidden");
            let _ = input.field.set_attribute("aria-invalid", "true");
        }
    }

    /// Sets a slider's typed field (the slider itself moved).
    pub fn show_slider_value(&self, key: &str, value: &str) {
        for input in &self.inputs {
            if input.control.key == key {
                write_field(&input.field, &input.control.widget, value);
            }
        }
    }
}

fn read_field(field: &Element, widget: &Widget) -> String {
    match widget {
        Widget::Select(_) => field
            .dyn_ref::<HtmlSelectElement>()
            .map(HtmlSelectElement::value)
            .unwrap_or_default(),
        Widget::Checkbox => {
            let checked = field
                .dyn_ref::<HtmlInputElement>()
                .is_some_and(HtmlInputElement::checked);
            (if checked { "1" } else { "0" }).to_string()
        }
        _ => field
            .dyn_ref::<HtmlInputElement>()
            .map(HtmlInputElement::value)
            .unwrap_or_default(),
    }
}

fn write_field(field: &Element, widget: &Widget, value: &str) {
    match widget {
        Widget::Select(_) => {
            if let Some(select) = field.dyn_ref::<HtmlSelectElement>() {
                select.set_value(value);
            }
        }
        Widget::Checkbox => {
            if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
                input.set_checked(value == "1");
            }
        }
        _ => {
            if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
                input.set_value(value);
            }
        }
    }
}
