//! The painter's heatmaps: the cells (or their runs) and the colour bar beside the panel.

use super::axis::{self, Axis};
use super::{heatmap_color, missing_color};
use super::{FigureError, Painter, Rect};
use crate::experiments::data::{Heatmap, Scale};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};

impl<DB: DrawingBackend> Painter<'_, DB> {
    /// Width of a heatmap's colour bar strip: gap, bar, tick labels, vertical label.
    pub(super) fn color_bar_width(&self, heatmap: &Heatmap) -> Result<f64, FigureError> {
        let (m, b) = (self.m, self.m.base);
        let (lo, hi) = heatmap.color_range;
        let mut label_w: f64 = 0.0;
        for t in axis::ticks(Scale::Linear, lo, hi, 5) {
            if let Some(l) = &t.label {
                label_w = label_w.max(self.text_w(l, m.tick())?);
            }
        }
        Ok(0.6 * b + 0.9 * b + 0.3 * b + label_w + 0.4 * b + 1.2 * m.label())
    }

    /// The cells of a heatmap, one rectangle per run of equal colour in a row (a smooth field
    /// needs far fewer rectangles than cells, which keeps an SVG small).
    pub(super) fn heatmap_cells(
        &self,
        heatmap: &Heatmap,
        ax: &Axis,
        ay: &Axis,
        plot: Rect,
    ) -> Result<(), FigureError> {
        let (x0, x1) = heatmap.x_range;
        let (y0, y1) = heatmap.y_range;
        let (columns, rows) = (heatmap.columns, heatmap.rows);
        if columns == 0 || rows == 0 {
            return Ok(());
        }
        let x_at = |i: usize| ax.px(x0 + (x1 - x0) * i as f64 / columns as f64);
        let y_at = |j: usize| ay.px(y0 + (y1 - y0) * j as f64 / rows as f64);
        let clip = |r: Rect| Rect {
            x0: r.x0.max(plot.x0),
            x1: r.x1.min(plot.x1),
            y0: r.y0.max(plot.y0),
            y1: r.y1.min(plot.y1),
        };
        for row in 0..rows {
            let mut start = 0;
            let mut color = heatmap_color(heatmap.value(0, row), heatmap.color_range, self.theme);
            for column in 1..=columns {
                let next = (column < columns).then(|| {
                    heatmap_color(heatmap.value(column, row), heatmap.color_range, self.theme)
                });
                if next == Some(color) {
                    continue;
                }
                let r = clip(Rect {
                    x0: x_at(start).floor(),
                    x1: x_at(column).ceil(),
                    y0: y_at(row + 1).floor(),
                    y1: y_at(row).ceil(),
                });
                if r.x1 > r.x0 && r.y1 > r.y0 {
                    self.fill_rect(r, color, 1.0)?;
                }
                if let Some(next) = next {
                    color = next;
                    start = column;
                }
            }
        }
        Ok(())
    }

    /// The colour bar of a heatmap at x0, as tall as the plot: the scale, its ticks, its label,
    /// and a swatch for missing cells at the bottom.
    pub(super) fn color_bar(
        &self,
        heatmap: &Heatmap,
        x0: f64,
        plot: Rect,
    ) -> Result<(), FigureError> {
        let (m, theme, b) = (self.m, self.theme, self.m.base);
        let swatch = 1.0 * b;
        let bar = Rect {
            x0,
            x1: x0 + 0.9 * b,
            y0: plot.y0,
            y1: plot.y1 - swatch - 0.4 * b,
        };
        if bar.y1 - bar.y0 < 2.0 * b {
            return Ok(());
        }
        let (lo, hi) = heatmap.color_range;
        const STEPS: usize = 48;
        for i in 0..STEPS {
            let t0 = i as f64 / STEPS as f64;
            let t1 = (i + 1) as f64 / STEPS as f64;
            let value = lo + (hi - lo) * (t0 + t1) / 2.0;
            let r = Rect {
                x0: bar.x0,
                x1: bar.x1,
                y0: (bar.y1 - t1 * (bar.y1 - bar.y0)).floor(),
                y1: (bar.y1 - t0 * (bar.y1 - bar.y0)).ceil(),
            };
            self.fill_rect(r, heatmap_color(Some(value), (lo, hi), theme), 1.0)?;
        }
        let frame = self.stroke(theme.axis, 1.0, (0.5 * m.line).max(1.0));
        self.path(
            &[
                (bar.x0, bar.y0),
                (bar.x1, bar.y0),
                (bar.x1, bar.y1),
                (bar.x0, bar.y1),
                (bar.x0, bar.y0),
            ],
            frame,
        )?;
        let mut label_right = bar.x1;
        for t in axis::ticks(Scale::Linear, lo, hi, 5) {
            let y = bar.y1 - (t.at - lo) / (hi - lo) * (bar.y1 - bar.y0);
            self.path(&[(bar.x1, y), (bar.x1 + 0.25 * b, y)], frame)?;
            if let Some(l) = &t.label {
                let at = (bar.x1 + 0.3 * b, y);
                self.text(
                    l,
                    at,
                    m.tick(),
                    theme.text,
                    (HPos::Left, VPos::Center),
                    false,
                )?;
                label_right = label_right.max(at.0 + self.text_w(l, m.tick())?);
            }
        }
        // Missing cells: a swatch under the bar, labelled.
        let sw = Rect {
            x0: bar.x0,
            x1: bar.x1,
            y0: plot.y1 - swatch,
            y1: plot.y1,
        };
        self.fill_rect(sw, missing_color(theme), 1.0)?;
        self.path(
            &[
                (sw.x0, sw.y0),
                (sw.x1, sw.y0),
                (sw.x1, sw.y1),
                (sw.x0, sw.y1),
                (sw.x0, sw.y0),
            ],
            frame,
        )?;
        let size = 0.85 * m.tick();
        let (t, size) = self.fit(&heatmap.missing_label, size, 0.6 * size, 4.0 * b)?;
        self.text(
            &t,
            (bar.x1 + 0.3 * b, (sw.y0 + sw.y1) / 2.0),
            size,
            theme.text,
            (HPos::Left, VPos::Center),
            false,
        )?;
        // The scale's label, vertical, right of the tick labels.
        let size = m.label();
        let (t, size) = self.fit(heatmap.label.trim(), size, 0.75 * size, bar.y1 - bar.y0)?;
        let at = (label_right + 0.4 * b, (bar.y0 + bar.y1) / 2.0);
        self.text(&t, at, size, theme.text, (HPos::Center, VPos::Top), true)?;
        Ok(())
    }
}
