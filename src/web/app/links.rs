//! The links the page writes: the address bar, the canonical link, Copy link, the embed code,
//! an embed's "open in playground" link, and the height an embed posts to its host.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Window};

use super::{App, State, URL_DEBOUNCE_MS};
use crate::playground::{link_query, PageOptions};
use crate::web::dom::now;

/// The 10-line host-page snippet that sizes embedded figures to their content.
pub const HOST_SNIPPET: &str = "<script>\n\
addEventListener(\"message\", (event) => {\n\
  const data = event.data;\n\
  if (!data || data.type !== \"sgd-playground:height\") return;\n\
  for (const frame of document.querySelectorAll(\"iframe\")) {\n\
    if (frame.contentWindow === event.source) frame.style.height = data.height + \"px\";\n\
  }\n\
});\n\
</script>";

/// Tells the host page the embedded document's height, when it changed since the last report.
pub(super) fn report_height(state: &mut State) {
    let Some(html) = state.document.document_element() else {
        return;
    };
    let height = html.scroll_height();
    if height == state.reported_height {
        return;
    }
    let Ok(Some(parent)) = state.window.parent() else {
        return;
    };
    state.reported_height = height;
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &"sgd-playground:height".into());
    let _ = js_sys::Reflect::set(&message, &"height".into(), &JsValue::from(height));
    let _ = parent.post_message(&message, "*");
}

/// The page's real address without query and fragment, its folder included (the site works at
/// any path prefix: `https://host/teaching/sgd/`, `…/index.html`, even `file:///…`, where
/// `origin` would be `null`).
pub(super) fn page_base(window: &Window) -> String {
    let href = window.location().href().unwrap_or_default();
    href.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Points the page's `<link rel="canonical">` at `href` (created in `<head>` if missing).
pub(super) fn set_canonical(document: &Document, href: &str) {
    let existing = document
        .query_selector("link[rel=\"canonical\"]")
        .ok()
        .flatten();
    let link = match existing {
        Some(link) => link,
        None => {
            let Ok(link) = document.create_element("link") else {
                return;
            };
            let _ = link.set_attribute("rel", "canonical");
            if let Ok(Some(head)) = document.query_selector("head") {
                let _ = head.append_child(&link);
            }
            link
        }
    };
    let _ = link.set_attribute("href", href);
}

pub(super) fn hash(window: &Window) -> String {
    window.location().hash().unwrap_or_default()
}

/// Escapes text for an HTML attribute value in double quotes (the embed code).
pub(super) fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl App {
    /// The absolute link to a card's configuration, with the page's theme (the embed code is
    /// [`App::embed_code`]'s).
    pub(super) fn link_for(&self, state: &State, index: usize) -> String {
        let base = page_base(&state.window);
        let Some(card) = state.cards.get(index) else {
            return base;
        };
        let options = PageOptions {
            embed: false,
            controls: None,
            theme: state.options.theme,
            // How many cores a machine lends is not part of what a link shares.
            workers: None,
        };
        format!("{base}?{}", link_query(&card.config, &options))
    }

    /// The iframe of a card with the controls, theme and height chosen in its embed options.
    pub(super) fn embed_code(&self, state: &State, index: usize) -> String {
        let Some(card) = state.cards.get(index) else {
            return String::new();
        };
        let (controls, theme, height) = card.embed_choice();
        let options = PageOptions {
            embed: true,
            controls: Some(controls),
            theme,
            workers: None,
        };
        let src = format!(
            "{}?{}",
            page_base(&state.window),
            link_query(&card.config, &options)
        );
        let title = card
            .data()
            .map(|data| data.title.clone())
            .unwrap_or_default();
        format!(
            "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" \
             style=\"border:0\" loading=\"lazy\"></iframe>\n{}",
            html_attribute(&src),
            html_attribute(&title),
            HOST_SNIPPET
        )
    }

    /// Updates the links the page writes from its configuration: the canonical link (the
    /// full-page link of the figure the URL shows) and, embedded, the "open in playground" link.
    pub(super) fn update_links(&self) {
        let state = self.state.borrow();
        let href = match state.url_card {
            Some(index) => self.link_for(&state, index),
            None => page_base(&state.window),
        };
        set_canonical(&state.document, &href);
        if state.options.embed {
            if let Some(card) = state.cards.first() {
                card.set_open_link(&href);
            }
        }
    }

    /// Writes the URL of the card last edited, once the edits have rested (or now, `force`).
    pub(super) fn write_url(&self, force: bool) {
        let mut state = self.state.borrow_mut();
        let Some(since) = state.url_dirty_since else {
            return;
        };
        if !force && now() - since < URL_DEBOUNCE_MS {
            return;
        }
        state.url_dirty_since = None;
        let query = match state.url_card {
            Some(index) => match state.cards.get(index) {
                Some(card) => link_query(&card.config, &state.options),
                None => return,
            },
            None => match &state.solver {
                Some(solver) => link_query(&solver.config(), &state.options),
                None => return,
            },
        };
        let url = format!("?{query}{}", hash(&state.window));
        if let Ok(history) = state.window.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
        }
        // Embedded, the canonical link is the full page's (update_links).
        if !state.options.embed {
            let canonical = format!("{}?{query}", page_base(&state.window));
            set_canonical(&state.document, &canonical);
        }
    }
}
