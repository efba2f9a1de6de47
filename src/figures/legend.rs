//! The figure's legend: one entry per series identity, laid out in centred rows in a strip
//! below the panels (so it never covers data).

use super::{backend_err, ipt, role_style, style, FigureError, Painter, Rect, SeriesStyle, Theme};
use crate::experiments::data::{FigureData, Role};
use plotters::element::Circle;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::Color;

/// What kind of thing a legend entry stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Curve,
    Points,
    Scatter,
    Shading,
}

/// One series identity of the figure (kind, role, label) with its style.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    kind: Kind,
    role: Option<Role>,
    label: String,
    style: SeriesStyle,
    /// Index among the entries of the same kind and role (0 = first).
    variant: usize,
}

/// All series identities of a figure, in legend order (role, then kind, then first appearance).
/// A curve split in several segments, or repeated in every panel, is one entry; the n-th
/// distinct label of one role and kind gets variant n of the role's style.
pub(super) struct Entries(Vec<Entry>);

impl Entries {
    pub(super) fn collect(data: &FigureData, theme: &Theme) -> Self {
        let mut list: Vec<Entry> = Vec::new();
        let mut add = |kind: Kind, role: Option<Role>, label: &str| {
            if list
                .iter()
                .any(|e| e.kind == kind && e.role == role && e.label == label)
            {
                return;
            }
            let variant = list
                .iter()
                .filter(|e| e.kind == kind && e.role == role)
                .count();
            let style = match role {
                Some(r) => role_style(r, theme, variant),
                None => role_style(Role::Reference, theme, 0),
            };
            list.push(Entry {
                kind,
                role,
                label: label.to_string(),
                style,
                variant,
            });
        };
        for p in &data.panels {
            for c in &p.curves {
                add(Kind::Curve, Some(c.role), &c.label);
            }
            for s in &p.points {
                add(Kind::Points, Some(s.role), &s.label);
            }
            for s in &p.scatters {
                add(Kind::Scatter, Some(s.role), &s.label);
            }
            for s in &p.shadings {
                add(Kind::Shading, None, &s.label);
            }
        }
        // A second, third … series of a role takes a colour that no other series of the figure
        // has while one is free (the extra colours first, then the colours of the roles the
        // figure does not use), so that series of different roles never share one; the same
        // role and label keeps one colour across kinds (a method's curve and its points).
        let palette: Vec<_> = theme
            .extra
            .iter()
            .chain(theme.roles.iter())
            .copied()
            .collect();
        let mut used: Vec<_> = list
            .iter()
            .filter(|e| e.variant == 0 && e.role.is_some())
            .map(|e| e.style.color)
            .collect();
        let mut assigned: Vec<(Role, String, plotters::style::RGBColor)> = Vec::new();
        for e in list.iter_mut().filter(|e| e.variant > 0) {
            let Some(role) = e.role else { continue };
            if let Some((.., color)) = assigned
                .iter()
                .find(|(r, l, _)| *r == role && *l == e.label)
            {
                e.style.color = *color;
                continue;
            }
            if let Some(color) = palette.iter().find(|c| !used.contains(c)) {
                e.style.color = *color;
                used.push(*color);
            }
            assigned.push((role, e.label.clone(), e.style.color));
        }
        list.sort_by_key(|e| (e.role.map_or(usize::MAX, style::role_index), e.kind));
        Self(list)
    }

    pub(super) fn style(&self, kind: Kind, role: Role, label: &str) -> SeriesStyle {
        self.0
            .iter()
            .find(|e| e.kind == kind && e.role == Some(role) && e.label == label)
            .map_or_else(|| role_style(role, &Theme::light(), 0), |e| e.style.clone())
    }

    /// The look of a shading: 0 = plain fill, 1 = hatched, 2 = cross-hatched, … (so two
    /// shaded regions, e.g. "exact theory diverges" and "paper's theory diverges", differ).
    pub(super) fn shading_variant(&self, label: &str) -> usize {
        self.0
            .iter()
            .find(|e| e.kind == Kind::Shading && e.label == label)
            .map_or(0, |e| e.variant)
    }
}

/// A legend laid out in centred rows.
pub(super) struct Legend {
    rows: Vec<Vec<LegendItem>>,
    row_h: f64,
    sample_w: f64,
    gap: f64,
    spacing: f64,
    size: f64,
}

/// Most lines a legend label wraps onto (a longer one is cut on its last line).
const MAX_LABEL_LINES: usize = 3;

struct LegendItem {
    entry: usize,
    text: String,
    /// Its width in the row (for a wrapped label, the wider of its two lines, so that both
    /// lines start at the same x).
    text_w: f64,
    /// Its font size (smaller than the legend's for a label that would not fit).
    size: f64,
    /// A further line of a wrapped label: no sample, the text under the first line's.
    continuation: bool,
}

impl Legend {
    pub(super) fn height(&self) -> f64 {
        if self.rows.is_empty() {
            0.0
        } else {
            self.rows.len() as f64 * self.row_h + 0.2 * self.row_h
        }
    }
    fn item_w(&self, item: &LegendItem) -> f64 {
        self.sample_w + self.gap + item.text_w
    }
    fn row_w(&self, row: &[LegendItem]) -> f64 {
        row.iter().map(|i| self.item_w(i)).sum::<f64>()
            + self.spacing * row.len().saturating_sub(1) as f64
    }
}

impl<DB: DrawingBackend> Painter<'_, DB> {
    pub(super) fn layout_legend(
        &self,
        entries: &Entries,
        avail_w: f64,
    ) -> Result<Legend, FigureError> {
        let b = self.m.base;
        let mut legend = Legend {
            rows: Vec::new(),
            row_h: 1.5 * self.m.legend(),
            sample_w: 2.6 * b,
            gap: 0.45 * b,
            spacing: 1.3 * b,
            size: self.m.legend(),
        };
        let max_text = (avail_w - legend.sample_w - legend.gap).max(b);
        let mut row: Vec<LegendItem> = Vec::new();
        for (i, e) in entries.0.iter().enumerate() {
            if e.label.trim().is_empty() {
                continue;
            }
            let label = e.label.trim();
            // A long label on a narrow figure is drawn a little smaller (down to 85%), then on
            // lines of its own (up to three), and only then smaller still (70%) and cut.
            let (text, size) = self.fit(label, legend.size, 0.85 * legend.size, max_text)?;
            let (text, size) = if text == label {
                (text, size)
            } else {
                let size = 0.85 * legend.size;
                let lines = self.wrap_lines(label, size, max_text, MAX_LABEL_LINES)?;
                if lines.len() > 1 {
                    let mut fitted_lines = Vec::with_capacity(lines.len());
                    let mut text_w: f64 = 0.0;
                    for line in &lines {
                        let (text, line_size) =
                            self.fit(line, size, 0.7 * legend.size, max_text)?;
                        text_w = text_w.max(self.text_w(&text, line_size)?);
                        fitted_lines.push((text, line_size));
                    }
                    if !row.is_empty() {
                        legend.rows.push(std::mem::take(&mut row));
                    }
                    for (k, (text, size)) in fitted_lines.into_iter().enumerate() {
                        legend.rows.push(vec![LegendItem {
                            entry: i,
                            text,
                            text_w,
                            size,
                            continuation: k > 0,
                        }]);
                    }
                    continue;
                }
                self.fit(label, legend.size, 0.7 * legend.size, max_text)?
            };
            let text_w = self.text_w(&text, size)?;
            let item = LegendItem {
                entry: i,
                text,
                text_w,
                size,
                continuation: false,
            };
            if !row.is_empty()
                && legend.row_w(&row) + legend.spacing + legend.item_w(&item) > avail_w
            {
                legend.rows.push(std::mem::take(&mut row));
            }
            row.push(item);
        }
        if !row.is_empty() {
            legend.rows.push(row);
        }
        Ok(legend)
    }

    pub(super) fn draw_legend(
        &self,
        legend: &Legend,
        entries: &Entries,
        top: f64,
    ) -> Result<(), FigureError> {
        let (w, _) = self.area.dim_in_pixel();
        let b = self.m.base;
        for (k, row) in legend.rows.iter().enumerate() {
            let yc = top + (k as f64 + 0.65) * legend.row_h;
            let mut x = (f64::from(w) - legend.row_w(row)) / 2.0;
            for item in row {
                let e = &entries.0[item.entry];
                let (x0, x1) = (x, x + legend.sample_w);
                let xm = (x0 + x1) / 2.0;
                match e.kind {
                    _ if item.continuation => {}
                    Kind::Curve => self.styled_line(&[(x0, yc), (x1, yc)], &e.style)?,
                    Kind::Points => {
                        let r = 0.26 * b;
                        let bar = (yc + 0.45 * legend.row_h, yc - 0.45 * legend.row_h);
                        self.error_point((xm, yc), bar, (true, true), &e.style, r)?;
                    }
                    Kind::Scatter => {
                        for (dx, dy) in [(-0.8, 0.2), (-0.3, -0.25), (0.1, 0.3), (0.5, -0.1)] {
                            let at = (xm + dx * b, yc + dy * b);
                            self.area
                                .draw(&Circle::new(
                                    ipt(at),
                                    (0.14 * b).round().max(1.0) as u32,
                                    e.style.color.mix(0.8).filled(),
                                ))
                                .map_err(backend_err)?;
                        }
                    }
                    Kind::Shading => {
                        let h = 0.35 * legend.row_h;
                        let r = Rect {
                            x0,
                            x1,
                            y0: yc - h,
                            y1: yc + h,
                        };
                        self.shade(r, e.variant)?;
                    }
                }
                let tx = x1 + legend.gap;
                let pos = (HPos::Left, VPos::Center);
                self.text(&item.text, (tx, yc), item.size, self.theme.text, pos, false)?;
                x += legend.item_w(item) + legend.spacing;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::data::{Curve, Panel, Scatter, Shading};

    fn curve(label: &str, role: Role) -> Curve {
        Curve {
            label: label.into(),
            role,
            points: vec![(0.0, 0.0), (1.0, 1.0)],
        }
    }

    #[test]
    fn legend_entries_are_unique_ordered_by_role_and_styled_apart() {
        let mut a = Panel::empty("", "", "");
        a.curves = vec![
            curve("sim mean", Role::Simulation),
            curve("continuous", Role::ContinuousTheory),
            curve("discrete", Role::DiscreteTheory),
            curve("discrete", Role::DiscreteTheory), // a second segment of the same curve
            curve("discrete, finite t", Role::DiscreteTheory),
        ];
        a.shadings = vec![Shading {
            from: 1.0,
            to: 2.0,
            label: "diverges".into(),
        }];
        let mut b = a.clone();
        b.scatters = vec![Scatter {
            label: "iterates".into(),
            role: Role::Simulation,
            points: vec![],
        }];
        let data = FigureData {
            table: None,
            notes: Vec::new(),
            id: String::new(),
            title: String::new(),
            caption: String::new(),
            panels: vec![a, b],
        };
        let e = Entries::collect(&data, &Theme::light());
        let labels: Vec<&str> = e.0.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "discrete",
                "discrete, finite t",
                "continuous",
                "sim mean",
                "iterates",
                "diverges"
            ]
        );
        let first = e.style(Kind::Curve, Role::DiscreteTheory, "discrete");
        let second = e.style(Kind::Curve, Role::DiscreteTheory, "discrete, finite t");
        assert_ne!(first.dash, second.dash);
        assert_ne!(first.color, second.color);
    }
}
