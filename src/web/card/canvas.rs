//! A card's canvas: its size for the card's width (panels per row, phone layout), drawing
//! through `plotters-canvas` at the device pixel ratio (heatmaps composited beneath), the hover
//! read-out.

use plotters::prelude::IntoDrawingArea;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use super::Card;
use crate::experiments::data::FigureData;
use crate::figures::{draw_wrapped, FigureStyle, PlotFrame};
use crate::playground::describe::{describe, nearest};
use crate::web::dom::cast;
use crate::web::measure::MeasuredCanvas;

/// Narrowest column a panel gets before the panels wrap (CSS pixels).
const MIN_PANEL_WIDTH: f64 = 260.0;

/// Narrowest column of a phone's two-column layout (CSS pixels).
const MIN_PHONE_PANEL_WIDTH: f64 = 160.0;

/// How far from a point the hover read-out still picks it (CSS pixels).
const HOVER_RADIUS: f64 = 28.0;

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

/// The canvas's 2-D context.
pub(super) fn context_2d(
    canvas: &HtmlCanvasElement,
) -> Result<web_sys::CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2-D context"))?
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("not a 2-D context"))
}

/// Paints every panel's heatmap beneath what is drawn (`destination-over`): each heatmap is put
/// once into an image of one pixel per cell ([`crate::figures::heatmap_rgba`]) and scaled into
/// its plot frame; then the background fills what is still transparent.
pub(super) fn composite_heatmaps(
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

impl Card {
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

    pub(super) fn layout(&self) -> (f64, f64, usize) {
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

    pub(super) fn canvas_size(&self) -> (u32, u32) {
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
            let _ = self.elements.figure.set_attribute(
                "data-painted-at-ms",
                &format!("{:.1}", crate::web::dom::now()),
            );
        }
        self.last_draw = crate::web::dom::now();
    }

    pub(super) fn draw(&mut self, dark: bool) -> Result<(), JsValue> {
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

    /// The panels' frames of the last draw.
    pub fn frames(&self) -> &[PlotFrame] {
        &self.frames
    }

    /// The canvas's CSS size (for exports at the same aspect).
    pub fn css_size(&self) -> (f64, f64, usize) {
        self.layout()
    }
}
