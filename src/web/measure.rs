//! The canvas backend with text measured by the canvas itself.
//!
//! plotters measures text on the web by inserting a `<span>` into the page and reading its
//! `offsetHeight`: one forced layout of the whole page per label measured, which made layout the
//! largest cost of drawing the page (a profile of the start-up: 32% in `offsetHeight` and
//! `clientWidth`). [`MeasuredCanvas`] draws through [`CanvasBackend`] unchanged and answers
//! [`DrawingBackend::estimate_text_size`] with the 2-D context's `measureText` in the font
//! `draw_text` uses, remembering every answer (the labels of a page repeat).

use std::cell::RefCell;
use std::collections::HashMap;

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Most remembered text sizes; the memory is cleared when full.
const MAX_REMEMBERED: usize = 8192;

/// Line height of a label: CSS `line-height: normal` of the sans-serif faces, what the `<span>`
/// measurement reported.
const LINE_HEIGHT: f64 = 1.15;

thread_local! {
    /// (font, text) → (width, height) in pixels.
    static SIZES: RefCell<HashMap<(String, String), (u32, u32)>> = RefCell::new(HashMap::new());
}

/// [`CanvasBackend`], with text measured by the canvas (see the module documentation).
pub struct MeasuredCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
}

impl MeasuredCanvas {
    /// The backend of a canvas; `None` without a 2-D context.
    pub fn new(canvas: HtmlCanvasElement) -> Option<Self> {
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()?
            .dyn_into::<CanvasRenderingContext2d>()
            .ok()?;
        Some(Self {
            inner: CanvasBackend::with_canvas_object(canvas)?,
            context,
        })
    }
}

/// The CSS font `CanvasBackend::draw_text` sets for a text style.
fn font_of<S: BackendTextStyle>(style: &S) -> String {
    format!(
        "{} {}px {}",
        style.style().as_str(),
        style.size(),
        style.family().as_str()
    )
}

impl DrawingBackend for MeasuredCanvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let key = (font_of(style), text.to_string());
        if let Some(size) = SIZES.with(|sizes| sizes.borrow().get(&key).copied()) {
            return Ok(size);
        }
        self.context.set_font(&key.0);
        let size = match self.context.measure_text(text) {
            Ok(metrics) => (
                metrics.width().ceil().max(0.0) as u32,
                (style.size() * LINE_HEIGHT).ceil() as u32,
            ),
            // Never expected; the page's own measurement still works.
            Err(_) => return self.inner.estimate_text_size(text, style),
        };
        SIZES.with(|sizes| {
            let mut sizes = sizes.borrow_mut();
            if sizes.len() >= MAX_REMEMBERED {
                sizes.clear();
            }
            sizes.insert(key, size);
        });
        Ok(size)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (width, height): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (width, height), src)
    }
}
