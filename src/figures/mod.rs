//! Figures: [`FigureData`] drawn on any plotters backend, and exported as SVG, PNG and CSV.
//!
//! [`draw`] is the one drawing routine, generic over [`DrawingBackend`] (the pattern of plotters'
//! `examples/console.rs`): the browser canvas (plotters-canvas), the SVG export and the native
//! tests all call it unchanged. The caller picks the area's size; the panels share one row, one
//! legend sits in a strip below them (so it never covers data), and every size — fonts, lines,
//! paddings — is relative to the area, so a figure reads the same on a phone and on a lecture
//! projector. `experiments` decides *what* is shown; this module only decides *how*.
//!
//! Native builds render text with `ab_glyph` and an embedded DejaVu Sans (registered on first
//! use); in the browser the canvas draws text itself and no font is shipped.

mod axis;
mod export;
mod heatmap;
mod legend;
mod marks;
pub mod rich;
mod style;
mod text;

#[cfg(not(target_arch = "wasm32"))]
pub use export::to_png;
pub use export::{data_rows, table_csv, to_csv, to_svg, DataRow};
pub use style::{
    heatmap_color, heatmap_rgba, missing_color, okabe_ito, role_name, role_style, FigureStyle,
    MarkerShape, SeriesStyle, Theme,
};

use crate::experiments::data::{FigureData, Panel, Scale};
use axis::{Axis, Tick};
use legend::Entries;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::Rectangle;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle};
use std::fmt;

/// Why a figure could not be drawn (completely).
#[derive(Clone, Debug, PartialEq)]
pub enum FigureError {
    /// A panel's axis range cannot be shown even after repair (a bound is NaN or infinite, or a
    /// log axis has nothing positive to show). The other panels are still drawn.
    InvalidRange {
        /// Index of the panel (0-based).
        panel: usize,
        /// `"x"` or `"y"`.
        axis: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An export size of zero, or too large to allocate (more than 2¹⁶ pixels a side or
    /// 2²⁶ pixels in all).
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The embedded font could not be registered (native builds only).
    Font,
    /// The drawing backend reported an error.
    Backend(String),
    /// PNG encoding failed.
    Encode(String),
}

impl fmt::Display for FigureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRange {
                panel,
                axis,
                reason,
            } => write!(f, "panel {}: invalid {axis} range: {reason}", panel + 1),
            Self::InvalidSize { width, height } => {
                write!(f, "invalid figure size {width}×{height}")
            }
            Self::Font => write!(f, "the embedded font could not be loaded"),
            Self::Backend(e) => write!(f, "drawing failed: {e}"),
            Self::Encode(e) => write!(f, "PNG encoding failed: {e}"),
        }
    }
}

impl std::error::Error for FigureError {}

pub(super) fn backend_err<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> FigureError {
    FigureError::Backend(e.to_string())
}

/// Registers the embedded DejaVu Sans as plotters' `sans-serif` once per process. Plotters'
/// `ab_glyph` text engine knows no system fonts: without this, measuring any text fails.
#[cfg(not(target_arch = "wasm32"))]
fn ensure_fonts() -> Result<(), FigureError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    ok.then_some(()).ok_or(FigureError::Font)
}

/// The browser measures and draws text itself.
#[cfg(target_arch = "wasm32")]
fn ensure_fonts() -> Result<(), FigureError> {
    Ok(())
}

/// Draw `data` filling `area`: optional figure title, the panels in one row, one legend below.
///
/// Data outside a panel's ranges is clipped; values a log axis cannot show (≤ 0) are left out
/// (a curve is broken there); a curve vertex at ±∞ draws the line off the frame towards it;
/// a panel without data shows its axes; ranges are repaired where that is unambiguous (see
/// [`FigureError::InvalidRange`] for when not). An area too small for legible text (under about
/// six by five times the base font size) is only filled with the background.
///
/// # Errors
/// [`FigureError::InvalidRange`] after drawing everything else, if a panel's range is unusable;
/// [`FigureError::Backend`] if the backend fails; [`FigureError::Font`] if the embedded font
/// cannot be registered.
///
/// # Example
/// ```
/// use plotters::prelude::*;
/// use sgd_playground::experiments::data::*;
/// use sgd_playground::figures::{draw, FigureStyle};
///
/// let data = FigureData {
///     table: None,
///     notes: Vec::new(),
///     id: "demo".into(),
///     title: "Var[w] versus λ".into(),
///     caption: String::new(),
///     panels: vec![Panel {
///         title: String::new(),
///         x_label: "learning rate λ".into(),
///         y_label: "Var[w]".into(),
///         x_scale: Scale::Linear,
///         y_scale: Scale::Log,
///         x_range: (0.0, 2.0),
///         y_range: (0.01, 100.0),
///         curves: vec![Curve {
///             label: "continuous λ/2".into(),
///             role: Role::ContinuousTheory,
///             points: (1..20).map(|i| (0.1 * i as f64, 0.05 * i as f64)).collect(),
///         }],
///         points: vec![],
///         scatters: vec![],
///         markers: vec![],
///         shadings: vec![],
///         heatmap: None,
///     }],
/// };
/// let mut svg = String::new();
/// {
///     let root = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
///     draw(&data, &root, &FigureStyle::default())?;
///     root.present()?;
/// }
/// assert!(svg.contains("Var[w]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn draw<DB: DrawingBackend>(
    data: &FigureData,
    area: &DrawingArea<DB, Shift>,
    style: &FigureStyle,
) -> Result<(), FigureError> {
    draw_recording(data, area, style, &mut Vec::new())
}

/// [`draw`], also recording where each panel's plot frame landed and which data range it shows
/// (appended to `frames`, one per panel that had room for its axes), so that a pointer position
/// can be mapped back to data (the page's hover read-out). Frames are recorded even when a
/// panel fails with [`FigureError::InvalidRange`] (that panel has none).
///
/// # Errors
/// As [`draw`].
pub fn draw_recording<DB: DrawingBackend>(
    data: &FigureData,
    area: &DrawingArea<DB, Shift>,
    style: &FigureStyle,
    frames: &mut Vec<PlotFrame>,
) -> Result<(), FigureError> {
    draw_part(data, data, area, style, frames)
}

/// [`draw_recording`] of `data`, with the series styles and the legend of `whole` (a row of a
/// wrapped figure keeps the colours of the whole figure, and its legend lists every series).
fn draw_part<DB: DrawingBackend>(
    data: &FigureData,
    whole: &FigureData,
    area: &DrawingArea<DB, Shift>,
    style: &FigureStyle,
    frames: &mut Vec<PlotFrame>,
) -> Result<(), FigureError> {
    ensure_fonts()?;
    let theme = &style.theme;
    if style.fill_background {
        area.fill(&theme.background).map_err(backend_err)?;
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let m = Metrics::new(w, h, style.effective_scale());
    if w < 6.0 * m.base || h < 5.0 * m.base {
        return Ok(());
    }
    let p = Painter { area, m, theme };
    let entries = Entries::collect(whole, theme);

    let mut top = 0.6 * m.pad;
    if style.show_title && !data.title.trim().is_empty() {
        let size = m.title();
        let (text, size) = p.fit(data.title.trim(), size, 0.7 * size, w - 2.0 * m.pad)?;
        p.text(
            &text,
            (w / 2.0, top),
            size,
            theme.text,
            (HPos::Center, VPos::Top),
            false,
        )?;
        top += 1.25 * size;
    }
    let legend = p.layout_legend(&entries, w - 2.0 * m.pad)?;
    let legend_height = if style.show_legend {
        legend.height()
    } else {
        0.0
    };
    let bottom = h - 0.4 * m.pad - legend_height;

    let mut first_error = None;
    let n = data.panels.len();
    if n > 0 {
        let col = (w - 0.5 * m.pad) / n as f64;
        for (i, panel) in data.panels.iter().enumerate() {
            let x0 = 0.5 * m.pad + i as f64 * col;
            let rect = Rect {
                x0,
                x1: x0 + col,
                y0: top,
                y1: bottom,
            };
            match p.draw_panel(i, panel, rect, &entries, style.heatmap_cells) {
                Ok(frame) => frames.extend(frame),
                Err(e @ FigureError::InvalidRange { .. }) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
    }
    if style.show_legend {
        p.draw_legend(&legend, &entries, bottom)?;
    }
    first_error.map_or(Ok(()), Err)
}

/// [`draw_recording`] with the panels wrapped into rows of at most `columns` (a phone-width page):
/// the area is split into equal horizontal strips, the title (if any) goes on the first, the
/// legend on the last. Frames are recorded in area coordinates with the figure's panel indices.
///
/// # Errors
/// As [`draw`]; the first error of any row.
pub fn draw_wrapped<DB: DrawingBackend>(
    data: &FigureData,
    area: &DrawingArea<DB, Shift>,
    style: &FigureStyle,
    columns: usize,
    frames: &mut Vec<PlotFrame>,
) -> Result<(), FigureError> {
    let count = data.panels.len();
    if count <= columns.max(1) {
        return draw_recording(data, area, style, frames);
    }
    // Balanced rows: 4 panels in at most 3 columns are 2 + 2, not 3 + 1.
    let rows = count.div_ceil(columns.max(1));
    let columns = count.div_ceil(rows);
    let (width, height) = area.dim_in_pixel();
    // A short last row leaves margins that no row fills.
    if style.fill_background {
        area.fill(&style.theme.background).map_err(backend_err)?;
    }
    let strips = area.split_evenly((rows, 1));
    let strip_height = f64::from(height) / rows as f64;
    let mut first_error = None;
    for (row, strip) in strips.iter().enumerate() {
        let first = row * columns;
        let panels = data.panels[first..(first + columns).min(count)].to_vec();
        let part = FigureData {
            panels,
            title: if row == 0 {
                data.title.clone()
            } else {
                String::new()
            },
            ..data.clone()
        };
        let row_style = FigureStyle {
            show_title: style.show_title && row == 0,
            show_legend: style.show_legend && row + 1 == rows,
            ..style.clone()
        };
        // A short last row keeps the panels' width, centred.
        let shown = part.panels.len();
        let inset = if shown < columns {
            (f64::from(width) * (columns - shown) as f64 / columns as f64 / 2.0).round() as i32
        } else {
            0
        };
        let strip = strip.margin(0, 0, inset, inset);
        let mut row_frames = Vec::new();
        let result = draw_part(&part, data, &strip, &row_style, &mut row_frames);
        let offset = strip_height * row as f64;
        frames.extend(row_frames.into_iter().map(|frame| PlotFrame {
            panel: frame.panel + first,
            top: frame.top + offset,
            bottom: frame.bottom + offset,
            left: frame.left + f64::from(inset),
            right: frame.right + f64::from(inset),
            ..frame
        }));
        match result {
            Ok(()) => {}
            Err(e @ FigureError::InvalidRange { .. }) => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Where one panel's plot frame is on the drawing area (device pixels, origin top-left) and
/// which data it shows: maps a pointer position back to data, and data to pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotFrame {
    /// Index of the panel in [`FigureData::panels`].
    pub panel: usize,
    /// Pixel column of the frame's left edge (x range start).
    pub left: f64,
    /// Pixel column of the right edge (x range end).
    pub right: f64,
    /// Pixel row of the top edge (y range end).
    pub top: f64,
    /// Pixel row of the bottom edge (y range start).
    pub bottom: f64,
    /// x scale.
    pub x_scale: Scale,
    /// Shown x range, transformed (log10 of the data on a log axis).
    pub x_range: (f64, f64),
    /// y scale.
    pub y_scale: Scale,
    /// Shown y range, transformed.
    pub y_range: (f64, f64),
}

impl PlotFrame {
    /// Whether a pixel lies inside the frame.
    pub fn contains(&self, (px, py): (f64, f64)) -> bool {
        px >= self.left && px <= self.right && py >= self.top && py <= self.bottom
    }

    /// The pixel of a data point, `None` if its scale cannot show it (≤ 0 on a log axis, not
    /// finite). Points outside the shown range map outside the frame.
    pub fn pixel_of(&self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
        let tx = Axis::transform(self.x_scale, x)?;
        let ty = Axis::transform(self.y_scale, y)?;
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        Some((
            self.left + (tx - x0) / (x1 - x0) * (self.right - self.left),
            self.bottom - (ty - y0) / (y1 - y0) * (self.bottom - self.top),
        ))
    }

    /// The data point at a pixel (inverse of [`PlotFrame::pixel_of`]).
    pub fn data_at(&self, (px, py): (f64, f64)) -> (f64, f64) {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let tx = x0 + (px - self.left) / (self.right - self.left) * (x1 - x0);
        let ty = y0 + (self.bottom - py) / (self.bottom - self.top) * (y1 - y0);
        let back = |scale, t: f64| match scale {
            Scale::Linear => t,
            Scale::Log => 10f64.powf(t),
        };
        (back(self.x_scale, tx), back(self.y_scale, ty))
    }
}

/// Sizes in device pixels, all derived from the area and the hi-DPI scale.
#[derive(Clone, Copy, Debug)]
pub(super) struct Metrics {
    /// Base font size: 2.1% of the smaller of width and 1.6 × height, in logical pixels
    /// clamped to [11, 26] (≈ 18 px on a 1024 × 600 projector slide), times the scale.
    base: f64,
    /// Base line width.
    line: f64,
    /// Outer padding.
    pad: f64,
}

impl Metrics {
    fn new(w: f64, h: f64, scale: f64) -> Self {
        let (lw, lh) = (w / scale, h / scale);
        let base = scale * (0.021 * lw.min(1.6 * lh)).clamp(11.0, 26.0);
        Self {
            base,
            line: (base / 8.0).max(1.0),
            pad: 0.5 * base,
        }
    }
    fn title(&self) -> f64 {
        1.2 * self.base
    }
    fn panel_title(&self) -> f64 {
        1.05 * self.base
    }
    fn label(&self) -> f64 {
        self.base
    }
    fn tick(&self) -> f64 {
        0.85 * self.base
    }
    fn legend(&self) -> f64 {
        0.9 * self.base
    }
    fn marker_label(&self) -> f64 {
        0.8 * self.base
    }
}

/// A rectangle in device pixels relative to the area.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rect {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Rect {
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// Draws on one area with one set of metrics and one theme.
pub(super) struct Painter<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    m: Metrics,
    theme: &'a Theme,
}

pub(super) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size.max(1.0), FontStyle::Normal)
}

pub(super) fn ipt((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

impl<DB: DrawingBackend> Painter<'_, DB> {
    fn draw_panel(
        &self,
        index: usize,
        panel: &Panel,
        rect: Rect,
        entries: &Entries,
        heatmap_cells: bool,
    ) -> Result<Option<PlotFrame>, FigureError> {
        let (m, theme, b) = (self.m, self.theme, self.m.base);
        let mut top = rect.y0;
        // The title is measured now and drawn once the plot's horizontal extent is known.
        let mut title = None;
        if !panel.title.trim().is_empty() {
            let size = m.panel_title();
            let max_w = rect.x1 - rect.x0 - b;
            let (t, size) = self.fit(panel.title.trim(), size, 0.75 * size, max_w)?;
            let w = self.text_w(&t, size)?;
            title = Some((t, size, w, top));
            top += 1.35 * size;
        } else {
            top += 0.3 * b;
        }
        top += 0.6 * m.tick();

        let invalid = |axis, reason| FigureError::InvalidRange {
            panel: index,
            axis,
            reason,
        };
        let ranges = axis::resolve_range(panel.x_scale, panel.x_range, xs(panel))
            .map_err(|r| invalid("x", r))
            .and_then(|x| {
                axis::resolve_range(panel.y_scale, panel.y_range, ys(panel))
                    .map(|y| (x, y))
                    .map_err(|r| invalid("y", r))
            });
        let ((x_lo, x_hi), (y_lo, y_hi)) = match ranges {
            Ok(r) => r,
            Err(e) => {
                if let Some((t, size, _, y)) = &title {
                    let at = ((rect.x0 + rect.x1) / 2.0, *y);
                    self.text(t, at, *size, theme.text, (HPos::Center, VPos::Top), false)?;
                }
                // Say so where the panel would be, then report it.
                let size = m.tick();
                let (t, size) = self.fit(&e.to_string(), size, size, rect.x1 - rect.x0 - b)?;
                let at = ((rect.x0 + rect.x1) / 2.0, (top + rect.y1) / 2.0);
                self.text(
                    &t,
                    at,
                    size,
                    theme.text,
                    (HPos::Center, VPos::Center),
                    false,
                )?;
                return Err(e);
            }
        };

        let (tick_len, gap) = (0.35 * b, 0.3 * b);
        // The x description uses the panel's width, on two lines if one would cut it.
        let x_lines = self.wrap_axis_label(panel.x_label.trim(), m.label(), rect.x1 - rect.x0)?;
        let desc = |label: &str| {
            if label.trim().is_empty() {
                0.0
            } else {
                1.2 * m.label() + gap
            }
        };
        let x_desc = if x_lines.is_empty() {
            0.0
        } else {
            1.2 * m.label() * x_lines.len() as f64 + gap
        };
        let bottom = rect.y1 - (tick_len + gap + 1.1 * m.tick() + x_desc);
        if bottom - top < 2.0 * b {
            return Ok(None);
        }
        let max_y = ((bottom - top) / (2.4 * m.tick())).floor() as usize;
        let y_ticks = axis::ticks(panel.y_scale, y_lo, y_hi, max_y.clamp(2, 10));
        let mut y_label_w: f64 = 0.0;
        for t in &y_ticks {
            if let Some(l) = &t.label {
                y_label_w = y_label_w.max(self.text_w(l, m.tick())?);
            }
        }
        let left = rect.x0 + desc(&panel.y_label) + y_label_w + gap + tick_len;
        let mut right = rect.x1 - 0.9 * b;
        // A heatmap's colour bar takes a strip at the right of the panel.
        let color_bar = match &panel.heatmap {
            Some(heatmap) => {
                let width = self.color_bar_width(heatmap)?;
                right -= width;
                Some((heatmap, right + 0.9 * b))
            }
            None => None,
        };
        if right - left < 2.0 * b {
            return Ok(None);
        }
        let x_ticks = self.x_ticks(panel.x_scale, (x_lo, x_hi), (left, right))?;
        // The last label is centred on its tick: keep its right half inside the panel.
        if let Some(t) = x_ticks.iter().rev().find(|t| t.label.is_some()) {
            let w = self.text_w(t.label.as_deref().unwrap_or(""), m.tick())?;
            let px = left + (t.at - x_lo) / (x_hi - x_lo) * (right - left);
            let overflow = px + w / 2.0 - (rect.x1 - 0.2 * b);
            if overflow > 0.0 {
                right -= overflow * (right - left) / (px - left).max(1.0);
            }
        }
        if right - left < 2.0 * b {
            return Ok(None);
        }
        let ax = Axis {
            scale: panel.x_scale,
            lo: x_lo,
            hi: x_hi,
            p_lo: left,
            p_hi: right,
        };
        let ay = Axis {
            scale: panel.y_scale,
            lo: y_lo,
            hi: y_hi,
            p_lo: bottom,
            p_hi: top,
        };
        let plot = Rect {
            x0: left,
            x1: right,
            y0: top,
            y1: bottom,
        };

        if let Some((t, size, w, y)) = &title {
            // Centred over the plot, but kept inside the panel.
            let cx = ((left + right) / 2.0)
                .min(rect.x1 - w / 2.0)
                .max(rect.x0 + w / 2.0);
            self.text(
                t,
                (cx, *y),
                *size,
                theme.text,
                (HPos::Center, VPos::Top),
                false,
            )?;
        }
        match &panel.heatmap {
            // The cells hide the grid; the page paints them as an image (heatmap_cells false).
            Some(heatmap) if heatmap_cells => self.heatmap_cells(heatmap, &ax, &ay, plot)?,
            Some(_) => {}
            None => self.grid(&ax, &ay, &x_ticks, &y_ticks, plot)?,
        }
        if let Some((heatmap, x0)) = color_bar {
            self.color_bar(heatmap, x0, plot)?;
        }
        let mut ink = Vec::new();
        // Marker labels go beneath the data (a curve may cross a label, never the reverse), at
        // the place where they hide the least of it: measure the data first, then draw it.
        self.shadings_and_markers(panel, &ax, plot, entries, &mut ink)?;
        self.series(panel, &ax, &ay, entries, &mut ink, false)?;
        self.marker_labels(panel, &ax, plot, &ink)?;
        self.series(panel, &ax, &ay, entries, &mut Vec::new(), true)?;
        self.frame_and_ticks(&ax, &ay, &x_ticks, &y_ticks, plot, tick_len, gap)?;

        // Axis descriptions.
        for (k, line) in x_lines.iter().enumerate() {
            let size = m.label();
            let room = rect.x1 - rect.x0;
            let (t, size) = self.fit(line, size, 0.75 * size, room)?;
            // Centred under the plot, moved left or right as far as it must to stay inside
            // the panel.
            let half = 0.5 * self.text_w(&t, size)?;
            let centre =
                (0.5 * (left + right)).clamp(rect.x0 + half, (rect.x1 - half).max(rect.x0 + half));
            let at = (
                centre,
                bottom + tick_len + gap + 1.1 * m.tick() + 1.2 * m.label() * k as f64,
            );
            self.text(&t, at, size, theme.text, (HPos::Center, VPos::Top), false)?;
        }
        if !panel.y_label.trim().is_empty() {
            let size = m.label();
            let (t, size) = self.fit(panel.y_label.trim(), size, 0.75 * size, bottom - top)?;
            let at = (rect.x0, (top + bottom) / 2.0);
            self.text(&t, at, size, theme.text, (HPos::Center, VPos::Top), true)?;
        }
        Ok(Some(PlotFrame {
            panel: index,
            left,
            right,
            top,
            bottom,
            x_scale: panel.x_scale,
            x_range: (x_lo, x_hi),
            y_scale: panel.y_scale,
            y_range: (y_lo, y_hi),
        }))
    }

    /// x ticks with as many labels as fit side by side.
    fn x_ticks(
        &self,
        scale: Scale,
        (lo, hi): (f64, f64),
        (left, right): (f64, f64),
    ) -> Result<Vec<Tick>, FigureError> {
        let px_per_t = (right - left) / (hi - lo);
        let min_gap = 0.8 * self.m.base;
        let mut fallback = Vec::new();
        for max in (2..=10).rev() {
            let ticks = axis::ticks(scale, lo, hi, max);
            let mut labelled = Vec::new();
            for t in &ticks {
                if let Some(l) = &t.label {
                    labelled.push((t.at * px_per_t, self.text_w(l, self.m.tick())?));
                }
            }
            let fits = labelled
                .windows(2)
                .all(|w| w[1].0 - w[0].0 >= (w[0].1 + w[1].1) / 2.0 + min_gap);
            if fits {
                return Ok(ticks);
            }
            fallback = ticks;
        }
        // Even two labels collide: keep the ticks, label only the first and last.
        let n = fallback.iter().filter(|t| t.label.is_some()).count();
        let mut seen = 0;
        for t in &mut fallback {
            if t.label.is_some() {
                seen += 1;
                if seen != 1 && seen != n {
                    t.label = None;
                }
            }
        }
        Ok(fallback)
    }

    fn grid(
        &self,
        ax: &Axis,
        ay: &Axis,
        x_ticks: &[Tick],
        y_ticks: &[Tick],
        plot: Rect,
    ) -> Result<(), FigureError> {
        let width = (0.5 * self.m.line).max(1.0);
        for (ticks, axis, is_x) in [(x_ticks, ax, true), (y_ticks, ay, false)] {
            for t in ticks.iter().filter(|t| axis.contains(t.at)) {
                let opacity = if t.label.is_some() { 1.0 } else { 0.45 };
                let st = self.stroke(self.theme.grid, opacity, width);
                let p = axis.px(t.at);
                if is_x {
                    self.path(&[(p, plot.y0), (p, plot.y1)], st)?;
                } else {
                    self.path(&[(plot.x0, p), (plot.x1, p)], st)?;
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn frame_and_ticks(
        &self,
        ax: &Axis,
        ay: &Axis,
        x_ticks: &[Tick],
        y_ticks: &[Tick],
        plot: Rect,
        tick_len: f64,
        gap: f64,
    ) -> Result<(), FigureError> {
        let (m, theme) = (self.m, self.theme);
        let st = self.stroke(theme.axis, 1.0, 0.6 * m.line);
        self.area
            .draw(&Rectangle::new(
                [ipt((plot.x0, plot.y0)), ipt((plot.x1, plot.y1))],
                st,
            ))
            .map_err(backend_err)?;
        for t in x_ticks.iter().filter(|t| ax.contains(t.at)) {
            let x = ax.px(t.at);
            let len = if t.label.is_some() {
                tick_len
            } else {
                0.55 * tick_len
            };
            self.path(&[(x, plot.y1), (x, plot.y1 + len)], st)?;
            if let Some(l) = &t.label {
                let at = (x, plot.y1 + tick_len + 0.5 * gap);
                self.text(
                    l,
                    at,
                    m.tick(),
                    theme.text,
                    (HPos::Center, VPos::Top),
                    false,
                )?;
            }
        }
        for t in y_ticks.iter().filter(|t| ay.contains(t.at)) {
            let y = ay.px(t.at);
            let len = if t.label.is_some() {
                tick_len
            } else {
                0.55 * tick_len
            };
            self.path(&[(plot.x0 - len, y), (plot.x0, y)], st)?;
            if let Some(l) = &t.label {
                let at = (plot.x0 - tick_len - 0.5 * gap, y);
                self.text(
                    l,
                    at,
                    m.tick(),
                    theme.text,
                    (HPos::Right, VPos::Center),
                    false,
                )?;
            }
        }
        Ok(())
    }
}

/// Transformed `v` clamped into the axis; ±∞ and (on log axes) values ≤ 0 go to the ends.
pub(super) fn clamped(axis: &Axis, v: f64) -> Option<f64> {
    if let Some(t) = axis.t(v) {
        Some(axis.clamp(t))
    } else if v == f64::INFINITY {
        Some(axis.hi)
    } else if v == f64::NEG_INFINITY || (axis.scale == Scale::Log && v <= 0.0) {
        Some(axis.lo)
    } else {
        None
    }
}

/// Transformed `v` for a curve vertex. ±∞ (a divergence) is put far outside the range, so the
/// line runs off the frame towards it; NaN and, on a log axis, values ≤ 0 break the line (a
/// segment towards log 0 = −∞ would be drawn as a misleading near-vertical drop).
pub(super) fn beyond(axis: &Axis, v: f64) -> Option<f64> {
    let far = 100.0 * (axis.hi - axis.lo);
    if v == f64::INFINITY {
        Some(axis.hi + far)
    } else if v == f64::NEG_INFINITY && axis.scale == Scale::Linear {
        Some(axis.lo - far)
    } else {
        axis.t(v)
    }
}

/// Points every `step` pixels along a polyline (at most 4096 per call).
pub(super) fn sample_line(line: &[(f64, f64)], step: f64, out: &mut Vec<(f64, f64)>) {
    for w in line.windows(2) {
        let len = (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1);
        let n = ((len / step).ceil() as usize).clamp(1, 4096);
        for i in 0..n {
            let t = i as f64 / n as f64;
            out.push((
                w[0].0 + t * (w[1].0 - w[0].0),
                w[0].1 + t * (w[1].1 - w[0].1),
            ));
        }
    }
}

/// Every x value of a panel (for repairing a log x range).
pub(super) fn xs(p: &Panel) -> impl Iterator<Item = f64> + '_ {
    let c = p.curves.iter().flat_map(|c| c.points.iter().map(|q| q.0));
    let e = p.points.iter().flat_map(|s| s.points.iter().map(|q| q.x));
    let s = p.scatters.iter().flat_map(|s| s.points.iter().map(|q| q.0));
    let m = p.markers.iter().map(|m| m.x);
    c.chain(e).chain(s).chain(m)
}

/// Every y value of a panel (for repairing a log y range).
pub(super) fn ys(p: &Panel) -> impl Iterator<Item = f64> + '_ {
    let c = p.curves.iter().flat_map(|c| c.points.iter().map(|q| q.1));
    let e = p.points.iter().flat_map(|s| s.points.iter().map(|q| q.y));
    let s = p.scatters.iter().flat_map(|s| s.points.iter().map(|q| q.1));
    c.chain(e).chain(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::{IntoDrawingArea, SVGBackend};

    fn panel() -> Panel {
        Panel::empty("", "", "")
    }

    #[test]
    fn metrics_follow_the_area_and_the_scale() {
        let small = Metrics::new(480.0, 360.0, 1.0);
        let large = Metrics::new(1600.0, 900.0, 1.0);
        let retina = Metrics::new(3200.0, 1800.0, 2.0);
        assert_eq!(small.base, 11.0);
        assert!(large.base > small.base && large.base <= 26.0);
        assert!((retina.base - 2.0 * large.base).abs() < 1e-12);
        assert!((retina.line - 2.0 * large.line).abs() < 1e-12);
    }

    #[test]
    fn curve_vertices_at_infinity_leave_the_frame_nan_breaks() {
        let lin = Axis {
            scale: Scale::Linear,
            lo: 0.0,
            hi: 1.0,
            p_lo: 0.0,
            p_hi: 100.0,
        };
        let log = Axis {
            scale: Scale::Log,
            ..lin
        };
        assert!(beyond(&lin, f64::INFINITY).is_some_and(|t| t > 10.0));
        assert!(beyond(&lin, f64::NEG_INFINITY).is_some_and(|t| t < -10.0));
        assert_eq!(beyond(&lin, f64::NAN), None);
        assert_eq!(beyond(&log, 0.0), None);
        assert_eq!(beyond(&log, -1.0), None);
        assert_eq!(clamped(&log, 0.0), Some(0.0));
        assert_eq!(clamped(&log, 1e9), Some(1.0));
        assert_eq!(clamped(&lin, f64::NAN), None);
    }

    #[test]
    fn a_tiny_area_gets_only_the_background() {
        let data = FigureData {
            table: None,
            notes: Vec::new(),
            id: String::new(),
            title: "title".into(),
            caption: String::new(),
            panels: vec![panel()],
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (40, 30)).into_drawing_area();
            draw(&data, &root, &FigureStyle::default()).unwrap();
            root.present().unwrap();
        }
        assert_eq!(svg.matches("<rect").count(), 1);
        assert!(!svg.contains("<text"));
    }
}
