//! A figure as text: the canvas's text alternative, the data table and the hover read-out, all
//! generated from the same [`FigureData`] the canvas draws.

use crate::experiments::data::{Curve, FigureData, Panel, Role};
use crate::figures::{data_rows, DataRow, PlotFrame};

/// Most rows the page's data table shows at first (a button shows them all; the CSV export has
/// them all).
pub const MAX_TABLE_ROWS: usize = 500;

/// A number for people: 4 significant digits, shortest form (`3.02`, `0.000125`, `1.5e+06` is
/// written `1.5e6`).
///
/// # Example
/// ```
/// use sgd_playground::playground::describe::readable;
/// assert_eq!(readable(3.0199), "3.02");
/// assert_eq!(readable(0.75), "0.75");
/// assert_eq!(readable(1234567.0), "1.235e6");
/// assert_eq!(readable(-0.000012345), "-1.235e-5");
/// ```
pub fn readable(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs();
    let rounded = super::controls::round_significant(x, 4);
    if x != 0.0 && !(1e-4..1e6).contains(&magnitude) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

/// The short name of an axis label: what precedes a comma or parenthesis, and the symbol when
/// the label ends with one (`learning rate λ` → `λ`, `Var[w]` stays).
fn symbol(label: &str) -> &str {
    let label = label.trim();
    match label.rsplit_once(' ') {
        Some((_, last)) if last.chars().count() <= 3 => last,
        _ => label,
    }
}

/// The text alternative of a figure's canvas: its title, then per panel the axes and the key
/// numbers — at the simulated point of largest x (or 3/4 of the way along x without one) every
/// series' value there, e.g. `at λ = 1.5: simulation 3.02 ± 0.04, discrete theory 3, continuous
/// theory 0.75`.
///
/// # Example
/// ```
/// use sgd_playground::config::Config;
/// use sgd_playground::experiments::Experiment;
/// use sgd_playground::playground::describe::describe;
/// let experiment = Experiment::new(&Config::parse("fig=2a").unwrap()).unwrap();
/// let text = describe(&experiment.theory());
/// assert!(text.contains("at λ = 1.5"), "{text}");
/// ```
pub fn describe(data: &FigureData) -> String {
    let mut parts = vec![format!("{}.", data.title.trim())];
    for panel in &data.panels {
        parts.push(describe_panel(panel));
    }
    parts.join(" ")
}

fn describe_panel(panel: &Panel) -> String {
    let (x_name, y_name) = (symbol(&panel.x_label), symbol(&panel.y_label));
    let mut text = String::new();
    if !panel.title.trim().is_empty() {
        text.push_str(panel.title.trim());
        text.push_str(": ");
    }
    text.push_str(&format!(
        "{} from {} to {} against {}",
        panel.y_label.trim(),
        readable(panel.y_range.0),
        readable(panel.y_range.1),
        panel.x_label.trim()
    ));
    let mut values = Vec::new();
    let simulated = panel
        .points
        .iter()
        .flat_map(|series| series.points.iter().map(move |point| (series, point)))
        .max_by(|a, b| a.1.x.total_cmp(&b.1.x));
    let at = match simulated {
        Some((series, point)) => {
            values.push(format!(
                "{} {} ± {}",
                series.label.trim(),
                readable(point.y),
                readable(point.stderr)
            ));
            Some(point.x)
        }
        None if !panel.curves.is_empty() => {
            Some(panel.x_range.0 + 0.75 * (panel.x_range.1 - panel.x_range.0))
        }
        None => None,
    };
    if let Some(x) = at {
        let mut seen: Vec<&str> = Vec::new();
        for curve in &panel.curves {
            if seen.contains(&curve.label.as_str()) {
                continue;
            }
            if let Some(y) = interpolate(curve, x) {
                seen.push(&curve.label);
                values.push(format!("{} {}", curve.label.trim(), readable(y)));
            }
        }
        if !values.is_empty() {
            text.push_str(&format!(
                "; at {x_name} = {}, {y_name}: {}",
                readable(x),
                values.join(", ")
            ));
        }
    }
    if let Some(heatmap) = &panel.heatmap {
        let values: Vec<f64> = heatmap.values.iter().flatten().copied().collect();
        let missing = heatmap.values.len() - values.len();
        let (low, high) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if !values.is_empty() {
            text.push_str(&format!(
                "; colour: {} from {} to {} over {}×{} cells",
                heatmap.label.trim(),
                readable(low),
                readable(high),
                heatmap.columns,
                heatmap.rows
            ));
        }
        if missing > 0 {
            text.push_str(&format!(
                "; {} of the cells: {}",
                readable(100.0 * missing as f64 / heatmap.values.len().max(1) as f64) + "%",
                heatmap.missing_label.trim()
            ));
        }
    }
    for scatter in &panel.scatters {
        let n = scatter.points.len();
        if n > 0 {
            let (sx, sy) = scatter
                .points
                .iter()
                .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
            text.push_str(&format!(
                "; {}: {n} samples centred at ({}, {})",
                scatter.label.trim(),
                readable(sx / n as f64),
                readable(sy / n as f64)
            ));
        }
    }
    for marker in &panel.markers {
        text.push_str(&format!(
            "; {} at {x_name} = {}",
            marker.label.trim(),
            readable(marker.x)
        ));
    }
    text.push('.');
    text
}

/// The curve's value at `x` by linear interpolation, if the curve is a function of x (strictly
/// increasing x) whose span contains `x`.
fn interpolate(curve: &Curve, x: f64) -> Option<f64> {
    let points = &curve.points;
    if points.len() < 2 || points.windows(2).any(|pair| pair[1].0 <= pair[0].0) {
        return None;
    }
    let index = points.partition_point(|point| point.0 < x);
    if index == 0 {
        return (points[0].0 == x).then_some(points[0].1);
    }
    let (x1, y1) = *points.get(index)?;
    let (x0, y0) = points[index - 1];
    Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
}

/// The data table: a header, the rows (at most `limit` of them, all when `None`) and the total
/// number of rows. The simulated points (those with a standard error) come first, then the rest
/// in the CSV export's order (theory curves, scatters, heatmap cells): with thousands of theory
/// samples, the few simulated points are what a reader opens the table for.
pub fn table(
    data: &FigureData,
    limit: Option<usize>,
) -> (Vec<&'static str>, Vec<Vec<String>>, usize) {
    let mut rows = data_rows(data);
    // Stable: within each group the CSV's order (panel by panel, series by series) is kept.
    rows.sort_by_key(|row| row.stderr.is_none());
    let total = rows.len();
    let with_values = rows.iter().any(|row| row.value.is_some());
    let shown = rows
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|row: DataRow| {
            let mut cells = vec![
                row.panel,
                row.series,
                crate::figures::role_name(row.role).to_string(),
                readable(row.x),
                readable(row.y),
                row.stderr.map(readable).unwrap_or_default(),
            ];
            if with_values {
                cells.push(row.value.map(readable).unwrap_or_default());
            }
            cells
        })
        .collect();
    let mut header = vec!["panel", "series", "role", "x", "y", "standard error"];
    if with_values {
        header.push("value");
    }
    (header, shown, total)
}

/// What the pointer is over: the nearest data point of the panel under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// The panel's index.
    pub panel: usize,
    /// The series' legend text.
    pub series: String,
    /// The series' role.
    pub role: Role,
    /// The point.
    pub x: f64,
    /// Its value.
    pub y: f64,
    /// Its standard error (simulated points).
    pub stderr: Option<f64>,
    /// Its pixel (device pixels), to draw a highlight.
    pub pixel: (f64, f64),
    /// The read-out as one line, e.g. `simulation: λ = 1.5, Var[w] = 3.02 ± 0.04`.
    pub text: String,
}

/// The data point nearest to `pointer` (device pixels) within `max_distance` pixels, among the
/// points of the panel whose frame contains the pointer (curve vertices, simulated points and
/// scatter samples).
pub fn nearest(
    data: &FigureData,
    frames: &[PlotFrame],
    pointer: (f64, f64),
    max_distance: f64,
) -> Option<Readout> {
    let frame = frames.iter().find(|frame| frame.contains(pointer))?;
    let panel = data.panels.get(frame.panel)?;
    let curves = panel.curves.iter().flat_map(|curve| {
        curve
            .points
            .iter()
            .map(move |&(x, y)| (curve.label.as_str(), curve.role, x, y, None))
    });
    let simulated = panel.points.iter().flat_map(|series| {
        series.points.iter().map(move |point| {
            (
                series.label.as_str(),
                series.role,
                point.x,
                point.y,
                Some(point.stderr),
            )
        })
    });
    let samples = panel.scatters.iter().flat_map(|scatter| {
        scatter
            .points
            .iter()
            .map(move |&(x, y)| (scatter.label.as_str(), scatter.role, x, y, None))
    });
    let closest = curves
        .chain(simulated)
        .chain(samples)
        .filter_map(|candidate| {
            let pixel = frame.pixel_of((candidate.2, candidate.3))?;
            let distance = (pixel.0 - pointer.0).hypot(pixel.1 - pointer.1);
            (distance <= max_distance).then_some((distance, candidate, pixel))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((_, (series, role, x, y, stderr), pixel)) = closest else {
        // Away from every point, a heatmap reads out the cell under the pointer.
        return panel
            .heatmap
            .as_ref()
            .and_then(|heatmap| heatmap_readout(panel, heatmap, frame, pointer));
    };
    let series = series.to_string();
    let value = match stderr {
        Some(se) => format!("{} ± {}", readable(y), readable(se)),
        None => readable(y),
    };
    let text = format!(
        "{}: {} = {}, {} = {value}",
        series.trim(),
        symbol(&panel.x_label),
        readable(x),
        symbol(&panel.y_label)
    );
    Some(Readout {
        panel: frame.panel,
        series,
        role,
        x,
        y,
        stderr,
        pixel,
        text,
    })
}

/// The read-out of the heatmap cell under `pointer`.
fn heatmap_readout(
    panel: &Panel,
    heatmap: &crate::experiments::data::Heatmap,
    frame: &PlotFrame,
    pointer: (f64, f64),
) -> Option<Readout> {
    let (x, y) = frame.data_at(pointer);
    let (column, row) = heatmap.cell_at(x, y)?;
    let (cx, cy) = heatmap.cell_center(column, row);
    let value = heatmap.value(column, row);
    let shown = match value {
        Some(v) => format!("{} = {}", heatmap.label.trim(), readable(v)),
        None => heatmap.missing_label.trim().to_string(),
    };
    let text = format!(
        "{} = {}, {} = {}: {shown}",
        symbol(&panel.x_label),
        readable(cx),
        symbol(&panel.y_label),
        readable(cy)
    );
    Some(Readout {
        panel: frame.panel,
        series: heatmap.label.clone(),
        role: crate::experiments::data::Role::Reference,
        x: cx,
        y: value.unwrap_or(cy),
        stderr: None,
        pixel: frame.pixel_of((cx, cy))?,
        text,
    })
}
