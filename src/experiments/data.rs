//! What an experiment produces and a figure draws: plain data, no drawing, no browser.
//!
//! The same [`FigureData`] feeds the canvas, the SVG/PNG export, the CSV export, the text
//! alternative of the page and the native tests. Everything is finite: an experiment never puts
//! NaN or ±∞ in a series (a theory curve that diverges is cut at the threshold and the diverged
//! region is a [`Shading`] instead).

/// Linear or logarithmic axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Linear axis.
    Linear,
    /// Base-10 logarithmic axis (all values > 0).
    Log,
}

/// The role of a series: decides its colour, dash and marker (colour-blind-safe palette with
/// distinct dashes, so curves stay distinguishable in grey print), and its legend order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// This paper's discrete-time theory.
    DiscreteTheory,
    /// Continuous-time theory (Mandt et al. 2017 and the like).
    ContinuousTheory,
    /// Our exact result where the paper approximates (exact minibatch theory, exact escape rate).
    ExactTheory,
    /// A curve with an empirical constant fitted (Eq. 52 × constant in Fig. 6(b)).
    FittedTheory,
    /// Simulation (points with standard-error bars, or a scatter cloud).
    Simulation,
    /// Any other reference curve (e.g. the potential in Fig. 6(a)).
    Reference,
}

/// A theory curve: (x, y) pairs in increasing x; finite values only. A curve may be split in
/// several segments (e.g. around a divergence) by giving several `Curve`s with the same label.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Legend text, e.g. `discrete theory (Cor. 1)`.
    pub label: String,
    /// Its role (style).
    pub role: Role,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// One simulated value with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErrorPoint {
    /// Abscissa.
    pub x: f64,
    /// Estimated value.
    pub y: f64,
    /// Standard error of `y` (≥ 0).
    pub stderr: f64,
}

/// Simulated points with error bars.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSeries {
    /// Legend text, e.g. `simulation (10⁴ particles, 1000 steps)`.
    pub label: String,
    /// Its role (usually [`Role::Simulation`]).
    pub role: Role,
    /// The points (may be fewer than planned while a simulation is running).
    pub points: Vec<ErrorPoint>,
}

/// Most points of one scatter drawn and exported per panel: a cloud of more particles is
/// subsampled evenly ([`drawn_sample`]); the statistics a figure states (fractions inside an
/// ellipse, mean losses) come from every particle.
pub const MAX_DRAWN_POINTS: usize = 10_000;

/// At most [`MAX_DRAWN_POINTS`] of `points`, evenly spaced in their order (the particles are
/// independent, so every subset of indices is an unbiased sample); all of them when fewer.
///
/// # Example
/// ```
/// use sgd_playground::experiments::data::{drawn_sample, MAX_DRAWN_POINTS};
/// let cloud: Vec<(f64, f64)> = (0..25_000).map(|i| (i as f64, 0.0)).collect();
/// let drawn = drawn_sample(&cloud);
/// assert_eq!(drawn.len(), MAX_DRAWN_POINTS);
/// assert_eq!(drawn[1], (2.0, 0.0)); // every 2.5th particle
/// assert_eq!(drawn_sample(&cloud[..10]).len(), 10);
/// ```
pub fn drawn_sample(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_DRAWN_POINTS {
        return points.to_vec();
    }
    (0..MAX_DRAWN_POINTS)
        .filter_map(|i| points.get(i * points.len() / MAX_DRAWN_POINTS).copied())
        .collect()
}

/// A cloud of (x, y) samples (Fig. 3 and 4).
#[derive(Clone, Debug, PartialEq)]
pub struct Scatter {
    /// Legend text.
    pub label: String,
    /// Its role.
    pub role: Role,
    /// The samples.
    pub points: Vec<(f64, f64)>,
}

/// A vertical line at x (a divergence threshold, a half-width, an optimum…).
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Where.
    pub x: f64,
    /// Its label, e.g. `λ = 2/k (divergence)`.
    pub label: String,
}

/// A shaded x-interval (e.g. the diverged region).
#[derive(Clone, Debug, PartialEq)]
pub struct Shading {
    /// From.
    pub from: f64,
    /// To.
    pub to: f64,
    /// Its label, e.g. `diverges`.
    pub label: String,
}

/// One set of axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Panel title, e.g. `λ = 1.5`.
    pub title: String,
    /// x-axis label with its symbol, e.g. `learning rate λ`.
    pub x_label: String,
    /// y-axis label with its symbol, e.g. `Var[w]`.
    pub y_label: String,
    /// x scale.
    pub x_scale: Scale,
    /// y scale.
    pub y_scale: Scale,
    /// x range shown.
    pub x_range: (f64, f64),
    /// y range shown.
    pub y_range: (f64, f64),
    /// Theory curves.
    pub curves: Vec<Curve>,
    /// Simulated points with error bars.
    pub points: Vec<PointSeries>,
    /// Scatter clouds.
    pub scatters: Vec<Scatter>,
    /// Vertical lines.
    pub markers: Vec<Marker>,
    /// Shaded x-intervals.
    pub shadings: Vec<Shading>,
    /// A colour-coded grid under everything else (the phase diagram), if any.
    pub heatmap: Option<Heatmap>,
}

impl Panel {
    /// A panel with its title and axis labels, linear axes over [0, 1] × [0, 1] and no data.
    pub fn empty(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            curves: Vec::new(),
            points: Vec::new(),
            scatters: Vec::new(),
            markers: Vec::new(),
            shadings: Vec::new(),
            heatmap: None,
        }
    }
}

/// A colour-coded grid of cells over a panel's plane (the phase diagram): `columns × rows` cells
/// covering `x_range × y_range` (linear axes), each a value or missing (diverged).
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// The colour bar's label, e.g. `log₁₀ (L / L_continuous)`.
    pub label: String,
    /// What a missing cell means, e.g. `diverges`.
    pub missing_label: String,
    /// Cells per row.
    pub columns: usize,
    /// Rows of cells.
    pub rows: usize,
    /// The x extent of the grid: cell column i covers [x₀ + i·w, x₀ + (i+1)·w].
    pub x_range: (f64, f64),
    /// The y extent: cell row j (from the bottom) covers [y₀ + j·h, y₀ + (j+1)·h].
    pub y_range: (f64, f64),
    /// Row-major from the bottom row up, left to right: `values[j * columns + i]`; `None` where
    /// the dynamics diverges. Every value is finite.
    pub values: Vec<Option<f64>>,
    /// The values mapped to the two ends of the colour scale (values beyond are clamped).
    pub color_range: (f64, f64),
}

impl Heatmap {
    /// The cell under (x, y), `None` outside the grid.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let fx = (x - x0) / (x1 - x0);
        let fy = (y - y0) / (y1 - y0);
        if !(0.0..=1.0).contains(&fx) || !(0.0..=1.0).contains(&fy) {
            return None;
        }
        let column = ((fx * self.columns as f64) as usize).min(self.columns.saturating_sub(1));
        let row = ((fy * self.rows as f64) as usize).min(self.rows.saturating_sub(1));
        Some((column, row))
    }

    /// The centre of a cell.
    pub fn cell_center(&self, column: usize, row: usize) -> (f64, f64) {
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        // Interpolated as a·(1 − t) + b·t: finite for any finite range (the width b − a or
        // (i + ½)·width would overflow near f64::MAX, e.g. lrk_max=1e308).
        let between = |a: f64, b: f64, index: usize, count: usize| {
            let t = (index as f64 + 0.5) / count.max(1) as f64;
            a * (1.0 - t) + b * t
        };
        (
            between(x0, x1, column, self.columns),
            between(y0, y1, row, self.rows),
        )
    }

    /// The value of a cell (`None`: missing or outside).
    pub fn value(&self, column: usize, row: usize) -> Option<f64> {
        if column >= self.columns || row >= self.rows {
            return None;
        }
        self.values
            .get(row * self.columns + column)
            .copied()
            .flatten()
    }
}

/// A table of numbers shown beside a figure (the theory explorer): text cells, first column the
/// row's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// What the table shows.
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
    /// Longer text behind some cells (e.g. a D > 2 Σ in full behind its eigenvalues): the page
    /// shows it expandable under the cell.
    pub details: Vec<TableDetail>,
    /// Every number of the table at full precision, one per line of the numeric CSV export
    /// ([`crate::figures::table_csv`]).
    pub values: Vec<TableValue>,
}

/// The full text behind one cell of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub struct TableDetail {
    /// The row's index in [`Table::rows`].
    pub row: usize,
    /// The column's index.
    pub column: usize,
    /// The full text (lines separated by `\n`).
    pub text: String,
}

/// One number of a [`Table`], for scripts: which row, which quantity, which matrix entry.
#[derive(Clone, Debug, PartialEq)]
pub struct TableValue {
    /// The row's key (e.g. the method, `sgdm`).
    pub row: String,
    /// What the number is (e.g. `sigma_exact`, `loss_exact`, `threshold`).
    pub quantity: String,
    /// Row and column of a matrix entry, 1-based (`None` for a scalar).
    pub entry: Option<(usize, usize)>,
    /// The number.
    pub value: f64,
}

/// Everything one figure shows.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureData {
    /// The figure id of the configuration (`2a`, `3`, …).
    pub id: String,
    /// Title, e.g. `Fig. 2(a) — variance of w versus learning rate, white noise`.
    pub title: String,
    /// Caption generated from the configuration (so it never drifts from the figure).
    pub caption: String,
    /// The panels, drawn left to right (wrapping on narrow screens is the page's job).
    pub panels: Vec<Panel>,
    /// A table of numbers shown with the figure (the theory explorer), if any.
    pub table: Option<Table>,
    /// Warnings and remarks to show above the caption (e.g. Mandt's λ lands where SGD diverges).
    pub notes: Vec<String>,
}
