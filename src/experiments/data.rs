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
        }
    }
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
}
