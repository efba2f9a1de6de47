//! The painter's marks: strokes and paths, series (lines, markers, error bars), shaded bands
//! and vertical markers with their labels.

use super::axis::{self, Axis};
use super::legend::{Entries, Kind};
use super::{
    backend_err, beyond, clamped, ipt, sample_line, FigureError, MarkerShape, Painter, Rect,
    SeriesStyle,
};
use crate::experiments::data::Panel;
use plotters::element::{Circle, PathElement, Polygon, Rectangle};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, ShapeStyle};

impl<DB: DrawingBackend> Painter<'_, DB> {
    pub(super) fn stroke(&self, color: RGBColor, opacity: f64, width: f64) -> ShapeStyle {
        ShapeStyle {
            color: color.mix(opacity),
            filled: false,
            stroke_width: width.round().max(1.0) as u32,
        }
    }

    pub(super) fn path(&self, pts: &[(f64, f64)], style: ShapeStyle) -> Result<(), FigureError> {
        if pts.len() < 2 {
            return Ok(());
        }
        let pts: Vec<(i32, i32)> = pts.iter().map(|p| ipt(*p)).collect();
        self.area
            .draw(&PathElement::new(pts, style))
            .map_err(backend_err)
    }

    /// A line in a series style: its colour, width and dash pattern.
    pub(super) fn styled_line(
        &self,
        pts: &[(f64, f64)],
        s: &SeriesStyle,
    ) -> Result<(), FigureError> {
        let width = s.width * self.m.line;
        let pattern: Vec<f64> = s.dash.iter().map(|l| l * width.max(1.5)).collect();
        for piece in axis::dash(pts, &pattern) {
            self.path(&piece, self.stroke(s.color, 1.0, width))?;
        }
        Ok(())
    }

    pub(super) fn fill_rect(
        &self,
        r: Rect,
        color: RGBColor,
        opacity: f64,
    ) -> Result<(), FigureError> {
        self.area
            .draw(&Rectangle::new(
                [ipt((r.x0, r.y0)), ipt((r.x1, r.y1))],
                color.mix(opacity).filled(),
            ))
            .map_err(backend_err)
    }

    /// A shaded region in the look of shading `variant`: a translucent fill, with diagonal
    /// hatching from variant 1 on (lines anchored to the area, so overlapping regions line up).
    pub(super) fn shade(&self, r: Rect, variant: usize) -> Result<(), FigureError> {
        let theme = self.theme;
        let fill = if variant == 0 { 1.0 } else { 0.35 };
        self.fill_rect(r, theme.shading, fill * theme.shading_opacity)?;
        if variant == 0 {
            return Ok(());
        }
        let step = 0.6 * self.m.base * (1.0 + 0.25 * ((variant - 1) / 2) as f64);
        let st = self.stroke(theme.shading, 0.55, (0.5 * self.m.line).max(1.0));
        let bounds = (r.x0, r.x1, r.y0, r.y1);
        // Lines x ± y = c·step through the rectangle; odd variants lean one way, even ones
        // (from 2 on) are cross-hatched.
        let directions: &[f64] = if variant % 2 == 1 {
            &[1.0]
        } else {
            &[1.0, -1.0]
        };
        for &d in directions {
            let corners = [(r.x0, r.y0), (r.x0, r.y1), (r.x1, r.y0), (r.x1, r.y1)];
            let v = corners.map(|(x, y)| x + d * y);
            let c0 = (v.iter().copied().fold(f64::INFINITY, f64::min) / step).floor() as i64;
            let c1 = (v.iter().copied().fold(f64::NEG_INFINITY, f64::max) / step).ceil() as i64;
            for c in c0..=c1.min(c0 + 10_000) {
                // Points with x + d·y = c·step at y = y0 and y = y1.
                let x_at = |y: f64| c as f64 * step - d * y;
                let line = [Some((x_at(r.y0), r.y0)), Some((x_at(r.y1), r.y1))];
                for run in axis::clip_polyline(line.into_iter(), bounds) {
                    self.path(&run, st)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn marker(
        &self,
        shape: MarkerShape,
        (x, y): (f64, f64),
        r: f64,
        color: RGBColor,
    ) -> Result<(), FigureError> {
        let poly = |pts: &[(f64, f64)]| -> Vec<(i32, i32)> {
            pts.iter()
                .map(|(dx, dy)| ipt((x + dx * r, y + dy * r)))
                .collect()
        };
        let fill = color.filled();
        let res = match shape {
            MarkerShape::Circle => {
                self.area
                    .draw(&Circle::new(ipt((x, y)), r.round().max(1.0) as u32, fill))
            }
            MarkerShape::Square => self.area.draw(&Polygon::new(
                poly(&[(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]),
                fill,
            )),
            MarkerShape::Diamond => self.area.draw(&Polygon::new(
                poly(&[(0.0, -1.2), (1.2, 0.0), (0.0, 1.2), (-1.2, 0.0)]),
                fill,
            )),
            MarkerShape::TriangleUp => self.area.draw(&Polygon::new(
                poly(&[(0.0, -1.2), (1.1, 0.8), (-1.1, 0.8)]),
                fill,
            )),
            MarkerShape::TriangleDown => self.area.draw(&Polygon::new(
                poly(&[(0.0, 1.2), (1.1, -0.8), (-1.1, -0.8)]),
                fill,
            )),
            MarkerShape::Cross => {
                let st = self.stroke(color, 1.0, 0.45 * r);
                self.path(&[(x - r, y - r), (x + r, y + r)], st)?;
                return self.path(&[(x - r, y + r), (x + r, y - r)], st);
            }
        };
        res.map_err(backend_err)
    }

    /// An error-bar point: the bar (one vertical line), caps where the bar is not clipped, and
    /// the marker on a background-coloured halo so it stays visible on top of curves.
    pub(super) fn error_point(
        &self,
        c: (f64, f64),
        (bar_lo, bar_hi): (f64, f64),
        (cap_lo, cap_hi): (bool, bool),
        s: &SeriesStyle,
        r: f64,
    ) -> Result<(), FigureError> {
        let st = self.stroke(s.color, 1.0, 0.8 * self.m.line);
        self.path(&[(c.0, bar_lo), (c.0, bar_hi)], st)?;
        let cap = 0.9 * r;
        for (y, on) in [(bar_lo, cap_lo), (bar_hi, cap_hi)] {
            if on {
                self.path(&[(c.0 - cap, y), (c.0 + cap, y)], st)?;
            }
        }
        if s.marker != MarkerShape::Cross {
            self.marker(s.marker, c, r + 0.12 * self.m.base, self.theme.background)?;
        }
        self.marker(s.marker, c, r, s.color)
    }

    /// Shaded regions and vertical marker lines (beneath everything else); the lines are added
    /// to `ink`, so that no other marker's label crosses them.
    pub(super) fn shadings_and_markers(
        &self,
        panel: &Panel,
        ax: &Axis,
        plot: Rect,
        entries: &Entries,
        ink: &mut Vec<(f64, f64)>,
    ) -> Result<(), FigureError> {
        let (m, theme) = (self.m, self.theme);
        for s in &panel.shadings {
            if let (Some(a), Some(b)) = (clamped(ax, s.from), clamped(ax, s.to)) {
                let (a, b) = (ax.px(a.min(b)), ax.px(a.max(b)));
                if b > a {
                    let r = Rect {
                        x0: a,
                        x1: b,
                        y0: plot.y0,
                        y1: plot.y1,
                    };
                    self.shade(r, entries.shading_variant(&s.label))?;
                }
            }
        }
        let marker_style = SeriesStyle {
            color: theme.marker,
            dash: &[6.0, 2.5, 1.5, 2.5],
            width: 0.7,
            marker: MarkerShape::Cross,
        };
        for mk in &panel.markers {
            if let Some(t) = ax.t(mk.x).filter(|t| ax.contains(*t)) {
                let x = ax.px(t);
                let line = [(x, plot.y1), (x, plot.y0)];
                self.styled_line(&line, &marker_style)?;
                // Another marker's label should not cross this line either.
                sample_line(&line, 0.25 * m.base, ink);
            }
        }
        Ok(())
    }

    /// Scatters, curves, error-bar points — in that order, so that lines sit on clouds and
    /// points on lines — clipped to the plot. Adds pixel samples of all of them to `ink` (for
    /// placing marker labels where they hide the least); with `draw` false it only does that.
    pub(super) fn series(
        &self,
        panel: &Panel,
        ax: &Axis,
        ay: &Axis,
        entries: &Entries,
        ink: &mut Vec<(f64, f64)>,
        draw: bool,
    ) -> Result<(), FigureError> {
        let (m, theme) = (self.m, self.theme);
        let inside = |x: f64, y: f64| -> Option<(f64, f64)> {
            let (tx, ty) = (ax.t(x)?, ay.t(y)?);
            (ax.contains(tx) && ay.contains(ty)).then(|| (ax.px(tx), ay.px(ty)))
        };
        for s in &panel.scatters {
            let st = entries.style(Kind::Scatter, s.role, &s.label);
            let r = (0.11 * m.base).round().max(1.0) as u32;
            let fill = st.color.mix(theme.scatter_opacity).filled();
            for (i, &(x, y)) in s.points.iter().enumerate() {
                if let Some(p) = inside(x, y) {
                    if draw {
                        self.area
                            .draw(&Circle::new(ipt(p), r, fill))
                            .map_err(backend_err)?;
                    }
                    if i % 4 == 0 {
                        ink.push(p);
                    }
                }
            }
        }
        let bounds = (ax.lo, ax.hi, ay.lo, ay.hi);
        for c in &panel.curves {
            let st = entries.style(Kind::Curve, c.role, &c.label);
            let pts = c
                .points
                .iter()
                .map(|&(x, y)| Some((beyond(ax, x)?, beyond(ay, y)?)));
            for run in axis::clip_polyline(pts, bounds) {
                let px: Vec<(f64, f64)> = run.iter().map(|&(x, y)| (ax.px(x), ay.px(y))).collect();
                sample_line(&px, 0.25 * m.base, ink);
                if draw {
                    if panel.heatmap.is_some() {
                        // Over a heatmap a curve gets a solid halo of the background colour, so
                        // that it stands out from cells of any colour.
                        let width = (st.width * m.line).max(1.0) + 0.25 * m.base;
                        self.path(&px, self.stroke(theme.background, 0.85, width))?;
                    }
                    self.styled_line(&px, &st)?;
                }
            }
        }
        for s in &panel.points {
            let st = entries.style(Kind::Points, s.role, &s.label);
            for p in &s.points {
                let Some(c) = inside(p.x, p.y) else { continue };
                let se = if p.stderr.is_finite() {
                    p.stderr.abs()
                } else {
                    0.0
                };
                let (lo, hi) = (clamped(ay, p.y - se), clamped(ay, p.y + se));
                let lo = lo.unwrap_or(ay.lo);
                let hi = hi.unwrap_or(ay.hi);
                let cap_lo = ay.t(p.y - se).is_some_and(|t| t >= ay.lo);
                let cap_hi = ay.t(p.y + se).is_some_and(|t| t <= ay.hi);
                let bar = (ay.px(lo), ay.px(hi));
                ink.extend([c, (c.0, bar.0), (c.0, bar.1)]);
                if draw {
                    self.error_point(c, bar, (cap_lo, cap_hi), &st, 0.26 * m.base)?;
                }
            }
        }
        Ok(())
    }

    /// Labels of vertical markers, written along their line on the side and end (top/bottom)
    /// where they cover the fewest data samples, on a translucent background.
    pub(super) fn marker_labels(
        &self,
        panel: &Panel,
        ax: &Axis,
        plot: Rect,
        ink: &[(f64, f64)],
    ) -> Result<(), FigureError> {
        let (m, theme) = (self.m, self.theme);
        let gap = 0.35 * m.base;
        let mut taken: Vec<Rect> = Vec::new();
        for mk in &panel.markers {
            let label = mk.label.trim();
            let Some(t) = ax.t(mk.x).filter(|t| ax.contains(*t)) else {
                continue;
            };
            if label.is_empty() {
                continue;
            }
            let size = m.marker_label();
            let max_l = plot.y1 - plot.y0 - 2.0 * gap;
            let (text, size) = self.fit(label, size, 0.8 * size, max_l)?;
            let len = self.text_w(&text, size)?;
            let th = 1.05 * size;
            let x = ax.px(t);
            let mut best: Option<(f64, Rect, bool, bool)> = None;
            for (right_side, at_top) in [(true, true), (false, true), (true, false), (false, false)]
            {
                let (x0, x1) = if right_side {
                    (x + 0.5 * gap, x + 0.5 * gap + th)
                } else {
                    (x - 0.5 * gap - th, x - 0.5 * gap)
                };
                let (y0, y1) = if at_top {
                    (plot.y0 + gap, plot.y0 + gap + len)
                } else {
                    (plot.y1 - gap - len, plot.y1 - gap)
                };
                let r = Rect { x0, x1, y0, y1 };
                let mut score = ink.iter().filter(|p| r.contains(**p)).count() as f64;
                if x0 < plot.x0 || x1 > plot.x1 {
                    score += 1e6;
                }
                score += 1e3 * taken.iter().filter(|o| o.overlaps(&r)).count() as f64;
                if best.as_ref().is_none_or(|b| score < b.0) {
                    best = Some((score, r, right_side, at_top));
                }
            }
            let Some((_, r, right_side, at_top)) = best else {
                continue;
            };
            self.fill_rect(r, theme.background, 0.75)?;
            let (px, v) = if right_side {
                (r.x0, VPos::Top)
            } else {
                (r.x1, VPos::Bottom)
            };
            let (py, h) = if at_top {
                (r.y0, HPos::Right)
            } else {
                (r.y1, HPos::Left)
            };
            self.text(&text, (px, py), size, theme.text, (h, v), true)?;
            taken.push(r);
        }
        Ok(())
    }
}
