//! Small DOM helpers: create elements with text (never HTML), listen to events with listeners that
//! are removed when dropped, download a blob, copy to the clipboard.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, HtmlAnchorElement};

/// Creates `<tag class="class">` with `text` as its text content (empty: none).
pub fn element(
    document: &Document,
    tag: &str,
    class: &str,
    text: &str,
) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    Ok(element)
}

/// Creates a child of `parent` (see [`element`]).
pub fn child(parent: &Element, tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let document = parent
        .owner_document()
        .ok_or_else(|| JsValue::from_str("element without a document"))?;
    let element = element(&document, tag, class, text)?;
    parent.append_child(&element)?;
    Ok(element)
}

/// Casts an element to a more specific type.
pub fn cast<T: JsCast>(element: Element) -> Result<T, JsValue> {
    element
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str("unexpected element type"))
}

/// An event listener that is removed from its target when dropped (so nothing outlives the app).
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Adds `handler` for `event` on `target`.
    pub fn new(
        target: &EventTarget,
        event: &'static str,
        handler: impl FnMut(Event) + 'static,
    ) -> Result<Self, JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(handler);
        target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
        Ok(Self {
            target: target.clone(),
            event,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.event, self.closure.as_ref().unchecked_ref());
    }
}

/// Offers `url` for download as `file_name` (a temporary, invisible link).
pub fn download_url(document: &Document, url: &str, file_name: &str) -> Result<(), JsValue> {
    let anchor: HtmlAnchorElement = cast(document.create_element("a")?)?;
    anchor.set_href(url);
    anchor.set_download(file_name);
    anchor.set_attribute("hidden", "")?;
    let body = document
        .body()
        .ok_or_else(|| JsValue::from_str("no body"))?;
    body.append_child(&anchor)?;
    anchor.click();
    body.remove_child(&anchor)?;
    Ok(())
}

/// A blob of `text` with a MIME type.
pub fn text_blob(text: &str, mime: &str) -> Result<web_sys::Blob, JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
}

/// Offers `text` for download as `file_name`.
pub fn download_text(
    document: &Document,
    text: &str,
    mime: &str,
    file_name: &str,
) -> Result<(), JsValue> {
    let blob = text_blob(text, mime)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let result = download_url(document, &url, file_name);
    web_sys::Url::revoke_object_url(&url)?;
    result
}

/// Writes `text` to the clipboard; `done(true)` once written, `done(false)` if the browser
/// refused (no clipboard API, no permission, insecure page).
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let write = || -> Result<js_sys::Promise, JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let navigator = js_sys::Reflect::get(&window, &JsValue::from_str("navigator"))?;
        let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))?;
        let write_text: js_sys::Function =
            js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))?.dyn_into()?;
        write_text
            .call1(&clipboard, &JsValue::from_str(text))?
            .dyn_into::<js_sys::Promise>()
    };
    match write() {
        Ok(promise) => {
            let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
            let on_done = done.clone();
            let ok = Closure::once(move |_: JsValue| {
                if let Some(done) = on_done.borrow_mut().take() {
                    done(true);
                }
            });
            let failed = Closure::once(move |_: JsValue| {
                if let Some(done) = done.borrow_mut().take() {
                    done(false);
                }
            });
            let _ = promise.then2(&ok, &failed);
            // Each runs at most once, when the promise settles; the browser owns them until then.
            ok.forget();
            failed.forget();
        }
        Err(_) => done(false),
    }
}

/// Milliseconds since the page started (`performance.now()`), 0 without a performance object.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}

/// Puts `text` into `element` with its sub- and superscripts ([`crate::figures::rich`]) as
/// `<sub>` and `<sup>` elements: every piece goes in as a text node, never parsed as HTML.
///
/// # Errors
/// A DOM exception.
pub fn rich_text(element: &Element, text: &str) -> Result<(), JsValue> {
    use crate::figures::rich::{pieces, Shift};
    element.set_text_content(None);
    let document = element
        .owner_document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    for piece in pieces(text) {
        match piece.shift {
            Shift::Base => {
                // ParentNode.append of a string inserts a Text node.
                element.append_with_str_1(&piece.text)?;
            }
            Shift::Sub | Shift::Sup => {
                let tag = if piece.shift == Shift::Sub {
                    "sub"
                } else {
                    "sup"
                };
                let script = document.create_element(tag)?;
                script.set_text_content(Some(&piece.text));
                element.append_child(&script)?;
            }
        }
    }
    Ok(())
}
