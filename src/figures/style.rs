//! Colours, dashes and markers: the Okabe–Ito palette per [`Role`], light and dark themes.
//!
//! Every role differs in colour *and* in dash pattern / marker shape, so the figures stay readable
//! for colour-blind readers and in grey print.

use crate::experiments::data::Role;
use plotters::style::RGBColor;

/// The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), in its usual order.
pub mod okabe_ito {
    use plotters::style::RGBColor;

    /// Black.
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    /// Bluish green.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
    /// Yellow (too light for lines on white: used only on dark backgrounds).
    pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    /// Reddish purple.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);
}

/// The shape drawn at a point of a [`crate::experiments::data::PointSeries`] and in its legend entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerShape {
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled diamond.
    Diamond,
    /// Filled triangle pointing up.
    TriangleUp,
    /// Filled triangle pointing down.
    TriangleDown,
    /// Diagonal cross (×).
    Cross,
}

/// How one series is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesStyle {
    /// Line, marker and scatter colour.
    pub color: RGBColor,
    /// Dash pattern as alternating on/off lengths in units of the line width; empty = solid.
    pub dash: &'static [f64],
    /// Line width relative to the figure's base line width.
    pub width: f64,
    /// Marker of error-bar points.
    pub marker: MarkerShape,
}

/// Background, text and decoration colours, and one colour per [`Role`].
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// Background fill.
    pub background: RGBColor,
    /// Titles, labels, tick labels.
    pub text: RGBColor,
    /// Axis frame and tick marks.
    pub axis: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Vertical marker lines (thresholds).
    pub marker: RGBColor,
    /// Fill of shaded regions (drawn with [`Theme::shading_opacity`]).
    pub shading: RGBColor,
    /// Opacity of shaded regions, in [0, 1].
    pub shading_opacity: f64,
    /// Opacity of scatter dots, in [0, 1] (dense clouds stay readable as densities).
    pub scatter_opacity: f64,
    /// Colour per role, indexed in [`Role`] declaration order
    /// (discrete, continuous, exact, fitted, simulation, reference).
    pub roles: [RGBColor; 6],
    /// Colours for a second, third … series of the same role and kind.
    pub extra: [RGBColor; 3],
}

impl Theme {
    /// Black on white, for print and SVG/PNG export.
    pub fn light() -> Self {
        use okabe_ito::*;
        Self {
            background: RGBColor(255, 255, 255),
            text: RGBColor(17, 17, 17),
            axis: RGBColor(51, 51, 51),
            grid: RGBColor(225, 225, 225),
            marker: RGBColor(70, 70, 70),
            shading: RGBColor(120, 120, 120),
            shading_opacity: 0.18,
            scatter_opacity: 0.3,
            roles: [
                VERMILLION,
                BLUE,
                BLUISH_GREEN,
                REDDISH_PURPLE,
                BLACK,
                RGBColor(110, 110, 110),
            ],
            extra: [ORANGE, SKY_BLUE, REDDISH_PURPLE],
        }
    }

    /// Light on dark, for a dark page or a dim lecture hall. Blue becomes sky blue and black
    /// becomes near-white, the other Okabe–Ito colours keep enough contrast on dark grey.
    pub fn dark() -> Self {
        use okabe_ito::*;
        Self {
            background: RGBColor(24, 26, 30),
            text: RGBColor(232, 232, 232),
            axis: RGBColor(190, 190, 190),
            grid: RGBColor(58, 62, 68),
            marker: RGBColor(200, 200, 200),
            shading: RGBColor(160, 160, 160),
            shading_opacity: 0.2,
            scatter_opacity: 0.35,
            roles: [
                VERMILLION,
                SKY_BLUE,
                BLUISH_GREEN,
                REDDISH_PURPLE,
                RGBColor(240, 240, 240),
                RGBColor(160, 160, 160),
            ],
            extra: [ORANGE, YELLOW, REDDISH_PURPLE],
        }
    }

    /// The colour of a role in this theme.
    pub fn role_color(&self, role: Role) -> RGBColor {
        self.roles[role_index(role)]
    }
}

/// Everything about a figure's look that is not data: theme, hi-DPI scale, title on/off.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureStyle {
    /// Colours.
    pub theme: Theme,
    /// Device pixels per logical pixel (`window.devicePixelRatio` for a hi-DPI canvas whose
    /// bitmap is `css size × ratio`, 2 for a print-resolution export). Fonts, line widths and
    /// paddings scale with it; non-finite or non-positive values count as 1 (see
    /// [`FigureStyle::effective_scale`]). plotters-canvas takes the *bitmap* size
    /// (`canvas.width`) as the drawing area, so a hi-DPI canvas passes the ratio here and does
    /// not also `setTransform` its context (that would scale twice).
    pub scale: f64,
    /// Draw the figure title above the panels (the page may show it in HTML instead).
    pub show_title: bool,
    /// Draw the legend strip below the panels.
    pub show_legend: bool,
    /// Draw a panel's heatmap cells (SVG, PNG). The page draws them itself as one image
    /// ([`heatmap_rgba`] put into the recorded [`super::PlotFrame`]) and sets this to false.
    pub heatmap_cells: bool,
    /// Fill the area with the background first. The page clears its canvas to transparent
    /// instead when it composites a heatmap image beneath the drawing.
    pub fill_background: bool,
}

impl FigureStyle {
    /// Light theme, scale 1, with title.
    pub fn light() -> Self {
        Self {
            theme: Theme::light(),
            scale: 1.0,
            show_title: true,
            show_legend: true,
            heatmap_cells: true,
            fill_background: true,
        }
    }

    /// Dark theme, scale 1, with title.
    pub fn dark() -> Self {
        Self {
            theme: Theme::dark(),
            ..Self::light()
        }
    }

    /// The same style at another hi-DPI scale.
    pub fn with_scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// The scale actually used: `scale` clamped to [0.25, 8], 1 if not finite.
    pub fn effective_scale(&self) -> f64 {
        if self.scale.is_finite() && self.scale > 0.0 {
            self.scale.clamp(0.25, 8.0)
        } else {
            1.0
        }
    }
}

impl Default for FigureStyle {
    fn default() -> Self {
        Self::light()
    }
}

/// Position of a role in [`Role`]'s declaration order.
pub(crate) fn role_index(role: Role) -> usize {
    match role {
        Role::DiscreteTheory => 0,
        Role::ContinuousTheory => 1,
        Role::ExactTheory => 2,
        Role::FittedTheory => 3,
        Role::Simulation => 4,
        Role::Reference => 5,
    }
}

/// Stable machine name of a role (CSV column, test look-ups).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::DiscreteTheory => "discrete_theory",
        Role::ContinuousTheory => "continuous_theory",
        Role::ExactTheory => "exact_theory",
        Role::FittedTheory => "fitted_theory",
        Role::Simulation => "simulation",
        Role::Reference => "reference",
    }
}

const SOLID: &[f64] = &[];
const DASHED: &[f64] = &[4.0, 2.5];
const DOTTED: &[f64] = &[1.2, 1.6];
const DASH_DOT: &[f64] = &[5.0, 2.0, 1.2, 2.0];
const LONG_DASH: &[f64] = &[8.0, 3.0];
/// Dash patterns of a second, third … series of one role.
const VARIANT_DASHES: [&[f64]; 3] = [LONG_DASH, &[2.5, 2.0], &[6.0, 2.0, 1.2, 2.0, 1.2, 2.0]];
/// Markers of a second, third … point series of one role.
const VARIANT_MARKERS: [MarkerShape; 3] = [
    MarkerShape::Square,
    MarkerShape::Diamond,
    MarkerShape::TriangleUp,
];

/// The style of the `variant`-th series (0 = first) of `role` in a figure: theory curves differ
/// by dash (discrete solid, continuous dashed, exact dotted, fitted dash-dot), points by marker.
/// Further series of the same role get an extra colour and dash, so two curves never look alike.
pub fn role_style(role: Role, theme: &Theme, variant: usize) -> SeriesStyle {
    let (dash, width, marker) = match role {
        Role::DiscreteTheory => (SOLID, 1.0, MarkerShape::TriangleUp),
        Role::ContinuousTheory => (DASHED, 1.0, MarkerShape::TriangleDown),
        Role::ExactTheory => (DOTTED, 1.3, MarkerShape::Diamond),
        Role::FittedTheory => (DASH_DOT, 1.0, MarkerShape::Square),
        Role::Simulation => (SOLID, 0.8, MarkerShape::Circle),
        Role::Reference => (SOLID, 0.8, MarkerShape::Cross),
    };
    if variant == 0 {
        SeriesStyle {
            color: theme.role_color(role),
            dash,
            width,
            marker,
        }
    } else {
        let k = (variant - 1) % 3;
        SeriesStyle {
            color: theme.extra[k],
            dash: VARIANT_DASHES[k],
            width,
            marker: VARIANT_MARKERS[k],
        }
    }
}

/// Stops of the viridis colour map (perceptually uniform, colour-blind safe, readable in grey),
/// evenly spaced from 0 to 1.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The colour of a heatmap value: viridis over `range` (clamped), or the theme's colour for a
/// missing (diverged) cell: the shading colour blended into the background.
pub fn heatmap_color(value: Option<f64>, range: (f64, f64), theme: &Theme) -> RGBColor {
    let Some(value) = value else {
        return missing_color(theme);
    };
    let span = range.1 - range.0;
    // 64 levels: smooth to the eye, and runs of equal colour keep an SVG small.
    let t = if span > 0.0 {
        (((value - range.0) / span).clamp(0.0, 1.0) * 63.0).round() / 63.0
    } else {
        0.5
    };
    let position = t * (VIRIDIS.len() - 1) as f64;
    let index = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let fraction = position - index as f64;
    let (a, b) = (VIRIDIS[index], VIRIDIS[index + 1]);
    let lerp =
        |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * fraction).round() as u8;
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// The colour of a missing heatmap cell in this theme.
pub fn missing_color(theme: &Theme) -> RGBColor {
    let mix = |b: u8, s: u8| ((f64::from(b) * 0.6) + f64::from(s) * 0.4).round() as u8;
    let (b, s) = (theme.background, theme.shading);
    RGBColor(mix(b.0, s.0), mix(b.1, s.1), mix(b.2, s.2))
}

/// A heatmap as RGBA bytes, `columns × rows`, the top row (largest y) first: an `ImageData`.
pub fn heatmap_rgba(heatmap: &crate::experiments::data::Heatmap, theme: &Theme) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(heatmap.columns * heatmap.rows * 4);
    for row in (0..heatmap.rows).rev() {
        for column in 0..heatmap.columns {
            let c = heatmap_color(heatmap.value(column, row), heatmap.color_range, theme);
            bytes.extend([c.0, c.1, c.2, 255]);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 6] = [
        Role::DiscreteTheory,
        Role::ContinuousTheory,
        Role::ExactTheory,
        Role::FittedTheory,
        Role::Simulation,
        Role::Reference,
    ];

    #[test]
    fn roles_differ_in_colour_and_in_dash_or_marker() {
        for theme in [Theme::light(), Theme::dark()] {
            for (i, a) in ROLES.iter().enumerate() {
                for b in &ROLES[i + 1..] {
                    let (sa, sb) = (role_style(*a, &theme, 0), role_style(*b, &theme, 0));
                    assert_ne!(sa.color, sb.color, "{a:?} {b:?}");
                    assert_ne!(sa.marker, sb.marker, "{a:?} {b:?}");
                }
            }
            // Theory curves are told apart by dash alone (grey print).
            let dashes: Vec<_> = ROLES[..4]
                .iter()
                .map(|r| role_style(*r, &theme, 0).dash)
                .collect();
            for i in 0..dashes.len() {
                for j in i + 1..dashes.len() {
                    assert_ne!(dashes[i], dashes[j]);
                }
            }
        }
    }

    #[test]
    fn variants_differ_from_the_first_series() {
        let t = Theme::light();
        for role in ROLES {
            let first = role_style(role, &t, 0);
            for v in 1..5 {
                let s = role_style(role, &t, v);
                assert!(s.color != first.color || s.dash != first.dash);
            }
        }
    }

    #[test]
    fn scale_is_sanitised() {
        assert_eq!(
            FigureStyle::light().with_scale(f64::NAN).effective_scale(),
            1.0
        );
        assert_eq!(FigureStyle::light().with_scale(-2.0).effective_scale(), 1.0);
        assert_eq!(
            FigureStyle::light().with_scale(100.0).effective_scale(),
            8.0
        );
        assert_eq!(FigureStyle::dark().with_scale(2.0).effective_scale(), 2.0);
    }

    #[test]
    fn heatmap_colours_span_viridis_clamp_and_mark_missing_cells() {
        use crate::experiments::data::Heatmap;
        let theme = Theme::light();
        assert_eq!(
            heatmap_color(Some(0.0), (0.0, 1.0), &theme),
            RGBColor(68, 1, 84)
        );
        assert_eq!(
            heatmap_color(Some(1.0), (0.0, 1.0), &theme),
            RGBColor(253, 231, 37)
        );
        // Beyond the range: clamped to the ends.
        assert_eq!(
            heatmap_color(Some(-5.0), (0.0, 1.0), &theme),
            RGBColor(68, 1, 84)
        );
        assert_eq!(
            heatmap_color(Some(9.0), (0.0, 1.0), &theme),
            RGBColor(253, 231, 37)
        );
        let missing = heatmap_color(None, (0.0, 1.0), &theme);
        assert_eq!(missing, missing_color(&theme));
        assert_ne!(missing, theme.background);
        // RGBA, top row (largest y) first: the missing cell of the bottom row lands last.
        let heatmap = Heatmap {
            label: "v".into(),
            missing_label: "diverges".into(),
            columns: 2,
            rows: 2,
            x_range: (0.0, 1.0),
            y_range: (0.0, 1.0),
            values: vec![Some(0.0), None, Some(1.0), Some(1.0)],
            color_range: (0.0, 1.0),
        };
        let bytes = heatmap_rgba(&heatmap, &theme);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[0..4], &[253, 231, 37, 255]);
        assert_eq!(&bytes[8..12], &[68, 1, 84, 255]);
        assert_eq!(&bytes[12..16], &[missing.0, missing.1, missing.2, 255]);
    }
}
