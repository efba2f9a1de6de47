//! A card's embed options (which controls, theme, height) and the embed code they give.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement, HtmlSelectElement};

use super::Card;
use crate::web::app::Action;
use crate::web::dom::{cast, child, Listener};
use crate::web::events::{Events, PageEvent};

/// What an embed code shows: the controls ticked, the theme and the frame's height.
pub(super) struct EmbedOptions {
    boxes: Vec<(&'static str, HtmlInputElement)>,
    theme: HtmlSelectElement,
    height: HtmlInputElement,
    code: Element,
    _listeners: Vec<Listener>,
}

/// Height of an embed's frame before the figure reports its own (CSS pixels).
pub const EMBED_HEIGHT: u32 = 520;

/// The controls an embed code shows by default: the figure's main knob (the catalogue's
/// [`FigureEntry::embed_controls`](crate::config::FigureEntry::embed_controls)).
pub fn embed_controls(id: &str) -> &'static str {
    crate::config::figure_entry(id).map_or("S", |entry| entry.embed_controls)
}

impl Card {
    /// Shows the embed options under the actions, built on first use: one checkbox per control
    /// (the figure's main knob ticked), the theme and the frame's height. A change asks the app
    /// for a new code ([`Action::EmbedChanged`]).
    pub fn open_embed_options(&mut self, events: &Events) -> Result<(), JsValue> {
        let holder = &self.elements.embed_holder;
        holder.remove_attribute("hidden")?;
        if self.embed_options.is_some() {
            return Ok(());
        }
        let index = self.index;
        let mut listeners = Vec::new();
        let changed = |element: &Element, event: &'static str| -> Result<Listener, JsValue> {
            let events = events.clone();
            Listener::new(element, event, move |_| {
                events.send(PageEvent::Action {
                    card: index,
                    action: Action::EmbedChanged,
                });
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
            let events = events.clone();
            listeners.push(Listener::new(&again, "click", move |_| {
                events.send(PageEvent::Action {
                    card: index,
                    action: Action::CopyEmbedAgain,
                });
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
}
