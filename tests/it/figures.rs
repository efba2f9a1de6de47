//! Figures rendered natively to SVG, PNG and CSV from hand-built data shaped like the paper's
//! figures; the tests read the output back (coordinates, labels, pixels, numbers).
//!
//! `FIGURES_OUT=/some/dir cargo test --test it figures::` also writes the PNG/SVG files there, to
//! look at them.

use sgd_playground::experiments::data::*;
use sgd_playground::figures::{self, FigureError, FigureStyle};

// ---------------------------------------------------------------- fixtures

/// Deterministic standard normals (xorshift64* + Box–Muller): fixtures must not depend on rand.
struct Normals(u64);
impl Normals {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn empty_panel(title: &str, x_label: &str, y_label: &str) -> Panel {
    Panel::empty(title, x_label, y_label)
}

const DISCRETE: &str = "discrete theory λσ²/(k(2−λk)) (Cor. 1)";
const FINITE: &str = "discrete theory after t = 1000 steps";
const CONTINUOUS: &str = "continuous theory λσ²/(2k)";
const SIMULATION: &str = "simulation (10⁴ runs, 1000 steps)";
const THRESHOLD: &str = "λ = 2/k (divergence)";
const DIVERGED: &str = "diverges";

/// Fig. 2(a): Var[w] versus λ, white noise, log y axis; theory cut at λ = 2, simulation points
/// with error bars (1.4 % standard error), the threshold marker and the diverged region.
/// `n_points` simulated points (partial data while running).
fn fig2a(n_points: usize) -> FigureData {
    let (k, sigma2, t) = (1.0, 1.0, 1000);
    let discrete = |l: f64| l * sigma2 / (k * (2.0 - l * k));
    let finite = |l: f64| discrete(l) * (1.0 - (1.0 - l * k).powi(2 * t));
    let grid: Vec<f64> = (1..400).map(|i| 2.0 * i as f64 / 400.0).collect();
    let mut noise = Normals(7);
    let mut panel = empty_panel("", "learning rate λ", "Var[w]");
    panel.y_scale = Scale::Log;
    panel.x_range = (0.0, 2.1);
    panel.y_range = (0.01, 1000.0);
    panel.curves = vec![
        Curve {
            label: DISCRETE.into(),
            role: Role::DiscreteTheory,
            points: grid.iter().map(|&l| (l, discrete(l))).collect(),
        },
        Curve {
            label: FINITE.into(),
            role: Role::DiscreteTheory,
            points: grid.iter().map(|&l| (l, finite(l))).collect(),
        },
        Curve {
            label: CONTINUOUS.into(),
            role: Role::ContinuousTheory,
            points: grid.iter().map(|&l| (l, l * sigma2 / (2.0 * k))).collect(),
        },
    ];
    panel.points = vec![PointSeries {
        label: SIMULATION.into(),
        role: Role::Simulation,
        points: (1..=40)
            .take(n_points)
            .map(|j| {
                let l = 2.0 * j as f64 / 41.0;
                let y = finite(l) * (1.0 + 0.014 * noise.next());
                ErrorPoint {
                    x: l,
                    y,
                    stderr: 0.014 * y,
                }
            })
            .collect(),
    }];
    panel.markers = vec![Marker {
        x: 2.0,
        label: THRESHOLD.into(),
    }];
    panel.shadings = vec![Shading {
        from: 2.0,
        to: 2.1,
        label: DIVERGED.into(),
    }];
    FigureData {
        table: None,
        notes: Vec::new(),
        id: "2a".into(),
        title: "Fig. 2(a) — variance of w versus learning rate, white noise".into(),
        caption: "k = 1, σ² = 1, w₀ = 0, 10⁴ runs of 1000 steps".into(),
        panels: vec![panel],
    }
}

const LAMBDAS: [f64; 5] = [0.1, 0.5, 1.0, 1.5, 1.9];

/// Fig. 3: five scatter panels (λ = 0.1 … 1.9) in K's eigenbasis with 3σ ellipses.
fn fig3(points_per_panel: usize) -> FigureData {
    let mut noise = Normals(11);
    let panels = LAMBDAS
        .iter()
        .map(|&l| {
            let (s1, s2) = (l / (2.0 - l), l / (0.1 * (2.0 - 0.1 * l)));
            let (c1, c2) = (l / 2.0, 5.0 * l);
            let r = 3.6 * s1.max(s2).max(c2).sqrt();
            let ellipse = |a: f64, b: f64| -> Vec<(f64, f64)> {
                (0..=200)
                    .map(|i| {
                        let th = std::f64::consts::TAU * i as f64 / 200.0;
                        (3.0 * a.sqrt() * th.cos(), 3.0 * b.sqrt() * th.sin())
                    })
                    .collect()
            };
            let mut p = empty_panel(&format!("λ = {l}"), "w₁ (k = 1)", "w₂ (k = 0.1)");
            p.x_range = (-r, r);
            p.y_range = (-r, r);
            p.scatters = vec![Scatter {
                label: "SGD iterates".into(),
                role: Role::Simulation,
                points: (0..points_per_panel)
                    .map(|_| (s1.sqrt() * noise.next(), s2.sqrt() * noise.next()))
                    .collect(),
            }];
            p.curves = vec![
                Curve {
                    label: "3σ ellipse, discrete theory".into(),
                    role: Role::DiscreteTheory,
                    points: ellipse(s1, s2),
                },
                Curve {
                    label: "3σ ellipse, continuous theory".into(),
                    role: Role::ContinuousTheory,
                    points: ellipse(c1, c2),
                },
            ];
            p
        })
        .collect();
    FigureData {
        table: None,
        notes: Vec::new(),
        id: "3".into(),
        title: "Fig. 3 — 2-D white noise: iterates and 3σ ellipses".into(),
        caption: String::new(),
        panels,
    }
}

/// Fig. 6: (a) the double well with markers, linear axes; (b) escape rate, log–log axes with
/// every theory role.
fn fig6() -> FigureData {
    let (ka, kb, dl) = (1.0f64, 0.5f64, 1.0f64);
    let g = (2.0 * dl * ka * kb / (ka + kb)).sqrt();
    let (d1, d2) = (g / ka, g / kb);
    let (b, w2) = (d1 + d2, 2.0 * (d1 + d2) - d1);
    let loss = |w: f64| {
        if w <= d1 {
            ka * w * w / 2.0
        } else if w <= w2 {
            dl - kb * (w - b).powi(2) / 2.0
        } else {
            ka * (w - 2.0 * b).powi(2) / 2.0
        }
    };
    let mut a = empty_panel("(a) double well", "w", "L(w)");
    a.x_range = (-2.0, 2.0 * b + 2.0);
    a.y_range = (0.0, 2.0);
    a.curves = vec![Curve {
        label: "loss L(w)".into(),
        role: Role::Reference,
        points: (0..=300)
            .map(|i| {
                let w = -2.0 + (2.0 * b + 4.0) * i as f64 / 300.0;
                (w, loss(w))
            })
            .collect(),
    }];
    a.markers = vec![
        Marker {
            x: d1,
            label: "well edge w₁".into(),
        },
        Marker {
            x: b,
            label: "barrier top b".into(),
        },
    ];
    let rs: Vec<f64> = (1..=15).map(|i| 0.1 * i as f64).collect();
    let mut p = empty_panel("(b) escape rate", "loss scale r", "γ/|k_b|");
    p.x_scale = Scale::Log;
    p.y_scale = Scale::Log;
    p.x_range = (0.1, 1.5);
    p.y_range = (1e-5, 1.0);
    let exact = |r: f64| 0.05 * (-3.0 / r).exp() / r.sqrt();
    p.curves = vec![
        Curve {
            label: "continuous theory (Eq. 51)".into(),
            role: Role::ContinuousTheory,
            points: rs.iter().map(|&r| (r, 1e-3)).collect(),
        },
        Curve {
            label: "Eq. 52 × 0.42 (fitted)".into(),
            role: Role::FittedTheory,
            points: rs.iter().map(|&r| (r, 0.8 * exact(r))).collect(),
        },
        Curve {
            label: "exact discrete-time rate".into(),
            role: Role::ExactTheory,
            points: rs.iter().map(|&r| (r, exact(r))).collect(),
        },
    ];
    p.points = vec![PointSeries {
        label: "simulation".into(),
        role: Role::Simulation,
        points: rs
            .iter()
            .map(|&r| ErrorPoint {
                x: r,
                y: exact(r) * 1.03,
                stderr: 0.05 * exact(r),
            })
            .collect(),
    }];
    FigureData {
        table: None,
        notes: Vec::new(),
        id: "6".into(),
        title: "Fig. 6 — escape from a sharp minimum".into(),
        caption: String::new(),
        panels: vec![a, p],
    }
}

// ---------------------------------------------------------------- SVG reading

/// One SVG element: its name and attributes (and text content for `<text>`).
#[derive(Debug)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl Elem {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    fn num(&self, k: &str) -> f64 {
        self.attr(k).expect("attribute").parse().expect("number")
    }
    fn points(&self) -> Vec<(f64, f64)> {
        self.attr("points")
            .expect("points attribute")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Every element of plotters' SVG output (flat: one tag per element, `<text>` with content).
fn parse_svg(svg: &str) -> Vec<Elem> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find('>').expect("closing >");
        let tag = &rest[..end];
        let name: String = tag.chars().take_while(|c| c.is_alphanumeric()).collect();
        let mut attrs = Vec::new();
        let mut t = &tag[name.len()..];
        while let Some(eq) = t.find("=\"") {
            let key = t[..eq].trim().to_string();
            let after = &t[eq + 2..];
            let close = after.find('"').expect("closing quote");
            attrs.push((key, unescape(&after[..close])));
            t = &after[close + 1..];
        }
        let mut text = String::new();
        if name == "text" {
            let body = &rest[end + 1..];
            text = unescape(body[..body.find("</text>").expect("</text>")].trim());
        }
        out.push(Elem { name, attrs, text });
        rest = &rest[end + 1..];
    }
    out
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The panels' frames: unfilled rectangles in the axis colour, as (x0, y0, x1, y1).
fn frames(elems: &[Elem], style: &FigureStyle) -> Vec<(f64, f64, f64, f64)> {
    let axis = hex(style.theme.axis);
    let mut f: Vec<_> = elems
        .iter()
        .filter(|e| e.name == "rect" && e.attr("fill") == Some("none"))
        .filter(|e| e.attr("stroke") == Some(axis.as_str()))
        .map(|e| {
            let (x, y) = (e.num("x"), e.num("y"));
            (x, y, x + e.num("width"), y + e.num("height"))
        })
        .collect();
    f.sort_by(|a, b| a.0.total_cmp(&b.0));
    f
}

fn texts(elems: &[Elem]) -> Vec<&Elem> {
    elems.iter().filter(|e| e.name == "text").collect()
}

fn has_text(elems: &[Elem], s: &str) -> bool {
    texts(elems).iter().any(|e| e.text == s)
}

fn polylines<'a>(elems: &'a [Elem], stroke: &str) -> Vec<&'a Elem> {
    elems
        .iter()
        .filter(|e| e.name == "polyline" && e.attr("stroke") == Some(stroke))
        .collect()
}

fn assert_clean(svg: &str) {
    for bad in ["NaN", "inf"] {
        assert!(!svg.contains(bad), "{bad} in SVG");
    }
}

fn write_out(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("FIGURES_OUT") {
        std::fs::create_dir_all(&dir).expect("FIGURES_OUT dir");
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).expect("write figure");
    }
}

// ---------------------------------------------------------------- SVG tests

#[test]
fn fig2a_svg_has_labels_marker_and_error_bars_in_place() {
    let style = FigureStyle::light();
    let data = fig2a(40);
    for (w, h) in [(1200, 700), (800, 500), (480, 360)] {
        let svg = figures::to_svg(&data, w, h, &style).unwrap();
        write_out(&format!("fig2a_{w}x{h}.svg"), svg.as_bytes());
        assert_clean(&svg);
        let elems = parse_svg(&svg);

        for label in [
            DISCRETE, FINITE, CONTINUOUS, SIMULATION, DIVERGED, THRESHOLD,
        ] {
            assert!(has_text(&elems, label), "{w}×{h}: label {label:?} missing");
        }
        assert!(has_text(&elems, "learning rate λ"));
        assert!(has_text(&elems, "Var[w]"));
        assert!(has_text(&elems, &data.title));
        // Log axis: decades labelled.
        for tick in ["0.01", "0.1", "1", "10", "100", "1000"] {
            assert!(has_text(&elems, tick), "{w}×{h}: tick {tick}");
        }

        let f = frames(&elems, &style);
        assert_eq!(f.len(), 1);
        let (x0, y0, x1, y1) = f[0];

        // The threshold marker: a vertical dash-dot line whose pixel x maps back to λ = 2.
        let marker = polylines(&elems, &hex(style.theme.marker));
        assert!(!marker.is_empty());
        let expected = x0 + (2.0 - 0.0) / (2.1 - 0.0) * (x1 - x0);
        for m in &marker {
            for (x, y) in m.points() {
                assert!(
                    (x - expected).abs() <= 1.0,
                    "marker at {x}, expected {expected}"
                );
                assert!(y >= y0 - 1.0 && y <= y1 + 1.0);
            }
        }
        let lambda = (marker[0].points()[0].0 - x0) / (x1 - x0) * 2.1;
        assert!((lambda - 2.0).abs() < 2.1 / (x1 - x0), "λ = {lambda}");

        // One vertical error bar per point inside the frame, each centred on a point's λ.
        let sim = hex(style.theme.role_color(Role::Simulation));
        let bars: Vec<Vec<(f64, f64)>> = polylines(&elems, &sim)
            .iter()
            .map(|e| e.points())
            .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && p[0].1 <= y1 + 1.0)
            .collect();
        assert_eq!(bars.len(), data.panels[0].points[0].points.len());
        let mut xs: Vec<f64> = bars.iter().map(|b| b[0].0).collect();
        xs.sort_by(f64::total_cmp);
        for (x, p) in xs.iter().zip(&data.panels[0].points[0].points) {
            let expected = x0 + p.x / 2.1 * (x1 - x0);
            assert!((x - expected).abs() <= 1.0);
        }

        // Log y: a bar's centre maps back to its value (marker centre = circle).
        let circles: Vec<&Elem> = elems
            .iter()
            .filter(|e| e.name == "circle" && e.attr("fill") == Some(sim.as_str()))
            .filter(|e| e.num("cy") <= y1)
            .collect();
        assert_eq!(circles.len(), bars.len());
        for (c, p) in circles.iter().zip(&data.panels[0].points[0].points) {
            let t = (y1 - c.num("cy")) / (y1 - y0) * 5.0 - 2.0;
            assert!(
                (t - p.y.log10()).abs() < 1.5 * 5.0 / (y1 - y0),
                "{t} vs {}",
                p.y
            );
        }

        // Everything lies on the canvas; legend strip below the frame.
        for t in texts(&elems) {
            let (x, y) = (t.num("x"), t.num("y"));
            assert!(
                x >= 0.0 && x <= w as f64 && y >= 0.0 && y <= h as f64,
                "{t:?}"
            );
            if [DISCRETE, FINITE, CONTINUOUS, SIMULATION, DIVERGED].contains(&t.text.as_str()) {
                assert!(
                    y > y1 + 20.0,
                    "legend entry {:?} not below the panel",
                    t.text
                );
            }
        }
    }
}

#[test]
fn curves_and_shadings_are_clipped_to_the_frame() {
    let style = FigureStyle::light();
    let svg = figures::to_svg(&fig2a(40), 900, 600, &style).unwrap();
    let elems = parse_svg(&svg);
    let (x0, y0, x1, y1) = frames(&elems, &style)[0];
    for role in [Role::DiscreteTheory, Role::ContinuousTheory] {
        let lines = polylines(&elems, &hex(style.theme.role_color(role)));
        assert!(!lines.is_empty());
        for l in lines.iter().filter(|l| l.points()[0].1 <= y1 + 1.0) {
            for (x, y) in l.points() {
                assert!(x >= x0 - 1.0 && x <= x1 + 1.0 && y >= y0 - 1.0 && y <= y1 + 1.0);
            }
        }
    }
    // The shading spans λ ∈ [2, 2.1], i.e. from the marker to the right edge.
    let shade = hex(style.theme.shading);
    let rects: Vec<&Elem> = elems
        .iter()
        .filter(|e| e.name == "rect" && e.attr("fill") == Some(shade.as_str()))
        .filter(|e| e.num("y") <= y1 && e.num("height") > 10.0)
        .collect();
    assert_eq!(rects.len(), 1);
    let expected = x0 + 2.0 / 2.1 * (x1 - x0);
    assert!((rects[0].num("x") - expected).abs() <= 1.0);
    assert!((rects[0].num("x") + rects[0].num("width") - x1).abs() <= 1.0);
}

#[test]
fn partial_data_draws_fewer_error_bars() {
    let style = FigureStyle::dark();
    for n in [0, 1, 5] {
        let svg = figures::to_svg(&fig2a(n), 800, 500, &style).unwrap();
        let elems = parse_svg(&svg);
        let (_, _, _, y1) = frames(&elems, &style)[0];
        let sim = hex(style.theme.role_color(Role::Simulation));
        let bars = polylines(&elems, &sim)
            .iter()
            .map(|e| e.points())
            .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && p[0].1 <= y1)
            .count();
        assert_eq!(bars, n);
    }
}

#[test]
fn fig3_svg_has_five_panels_scatter_and_ellipses() {
    let style = FigureStyle::light();
    let n = 2000;
    let data = fig3(n);
    let svg = figures::to_svg(&data, 1500, 420, &style).unwrap();
    write_out("fig3.svg", svg.as_bytes());
    assert_clean(&svg);
    let elems = parse_svg(&svg);
    let f = frames(&elems, &style);
    assert_eq!(f.len(), 5);
    for w in f.windows(2) {
        assert!(w[0].2 < w[1].0, "panels overlap: {w:?}");
    }
    for l in LAMBDAS {
        assert!(has_text(&elems, &format!("λ = {l}")));
    }
    for label in [
        "SGD iterates",
        "3σ ellipse, discrete theory",
        "3σ ellipse, continuous theory",
        "w₁ (k = 1)",
        "w₂ (k = 0.1)",
    ] {
        assert!(has_text(&elems, label), "{label}");
    }
    // Every sample is inside its (symmetric, 3.6σ-wide) panel: all dots drawn, inside frames.
    let sim = hex(style.theme.role_color(Role::Simulation));
    let dots: Vec<(f64, f64)> = elems
        .iter()
        .filter(|e| e.name == "circle" && e.attr("fill") == Some(sim.as_str()))
        .map(|e| (e.num("cx"), e.num("cy")))
        .filter(|&(_, y)| y <= f[0].3 + 1.0)
        .collect();
    let inside = data
        .panels
        .iter()
        .flat_map(|p| {
            p.scatters[0]
                .points
                .iter()
                .filter(|(x, y)| x.abs() <= p.x_range.1 && y.abs() <= p.y_range.1)
        })
        .count();
    assert_eq!(dots.len(), inside);
    for (x, y) in dots {
        assert!(f
            .iter()
            .any(|&(x0, y0, x1, y1)| x >= x0 && x <= x1 && y >= y0 && y <= y1));
    }
    // Each panel's discrete ellipse is centred on the panel's origin.
    let disc = polylines(&elems, &hex(style.theme.role_color(Role::DiscreteTheory)));
    for &(x0, y0, x1, y1) in &f {
        let pts: Vec<(f64, f64)> = disc
            .iter()
            .flat_map(|e| e.points())
            .filter(|&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
            .collect();
        assert!(pts.len() > 50);
        let (xmin, xmax) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
        assert!(((xmin + xmax) / 2.0 - (x0 + x1) / 2.0).abs() <= 2.0);
    }
}

#[test]
fn fig6_svg_log_log_axes_and_every_role() {
    let style = FigureStyle::light();
    let data = fig6();
    let svg = figures::to_svg(&data, 1200, 500, &style).unwrap();
    write_out("fig6.svg", svg.as_bytes());
    assert_clean(&svg);
    let elems = parse_svg(&svg);
    for label in [
        "loss L(w)",
        "continuous theory (Eq. 51)",
        "Eq. 52 × 0.42 (fitted)",
        "exact discrete-time rate",
        "simulation",
        "well edge w₁",
        "barrier top b",
        // γ/|k_b| with a real subscript: three pieces.
        "γ/|k",
        "b",
        "|",
        "loss scale r",
    ] {
        assert!(has_text(&elems, label), "{label}");
    }
    for tick in ["10⁻⁵", "10⁻⁴", "10⁻²", "10⁰", "0.1", "0.2", "0.5", "1"] {
        assert!(has_text(&elems, tick), "{tick}");
    }
    // Every role has its own colour in the drawing.
    for role in [
        Role::Reference,
        Role::ContinuousTheory,
        Role::FittedTheory,
        Role::ExactTheory,
        Role::Simulation,
    ] {
        assert!(
            !polylines(&elems, &hex(style.theme.role_color(role))).is_empty(),
            "{role:?}"
        );
    }
}

#[test]
fn hi_dpi_scale_doubles_the_layout() {
    let data = fig2a(40);
    let one = FigureStyle::light();
    let two = FigureStyle::light().with_scale(2.0);
    let f1 = frames(
        &parse_svg(&figures::to_svg(&data, 700, 450, &one).unwrap()),
        &one,
    )[0];
    let f2 = frames(
        &parse_svg(&figures::to_svg(&data, 1400, 900, &two).unwrap()),
        &two,
    )[0];
    for (a, b) in [(f1.0, f2.0), (f1.1, f2.1), (f1.2, f2.2), (f1.3, f2.3)] {
        assert!((2.0 * a - b).abs() <= 4.0, "{f1:?} {f2:?}");
    }
}

// ---------------------------------------------------------------- robustness

#[test]
fn nothing_panics_at_any_size() {
    let style = FigureStyle::light();
    for data in [fig2a(40), fig3(200), fig6()] {
        for (w, h) in [
            (1, 1),
            (10, 10),
            (60, 40),
            (120, 90),
            (200, 150),
            (300, 1000),
            (2000, 120),
        ] {
            let svg = figures::to_svg(&data, w, h, &style).unwrap();
            assert_clean(&svg);
            figures::to_png(&data, w, h, &style).unwrap();
        }
    }
    assert!(matches!(
        figures::to_svg(&fig2a(1), 0, 10, &style),
        Err(FigureError::InvalidSize { .. })
    ));
}

#[test]
fn empty_figures_and_panels_draw_axes_only() {
    let style = FigureStyle::light();
    let none = FigureData {
        table: None,
        notes: Vec::new(),
        id: "x".into(),
        title: "nothing yet".into(),
        caption: String::new(),
        panels: vec![],
    };
    let elems = parse_svg(&figures::to_svg(&none, 600, 400, &style).unwrap());
    assert!(has_text(&elems, "nothing yet"));

    let mut one = none.clone();
    one.panels.push(empty_panel("empty", "μ", "Var[w]"));
    let svg = figures::to_svg(&one, 600, 400, &style).unwrap();
    let elems = parse_svg(&svg);
    assert_eq!(frames(&elems, &style).len(), 1);
    assert!(has_text(&elems, "μ") && has_text(&elems, "Var[w]") && has_text(&elems, "1.0"));
}

#[test]
fn ranges_are_repaired_or_reported() {
    let style = FigureStyle::light();
    // Log axis starting at 0 (and reversed): repaired from the data.
    let mut data = fig2a(40);
    data.panels[0].y_range = (1000.0, 0.0);
    let svg = figures::to_svg(&data, 800, 500, &style).unwrap();
    assert_clean(&svg);
    // Empty range: widened.
    data.panels[0].x_range = (1.0, 1.0);
    assert_clean(&figures::to_svg(&data, 800, 500, &style).unwrap());
    // A NaN bound cannot be repaired: reported, with the panel index and axis.
    let mut bad = fig6();
    bad.panels[1].y_range = (f64::NAN, 1.0);
    match figures::to_svg(&bad, 800, 500, &style) {
        Err(FigureError::InvalidRange {
            panel: 1,
            axis: "y",
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // Non-positive log range with no positive data.
    let mut neg = fig6();
    neg.panels[1].x_range = (-1.0, 0.0);
    neg.panels[1].curves.clear();
    neg.panels[1].points.clear();
    assert!(matches!(
        figures::to_svg(&neg, 800, 500, &style),
        Err(FigureError::InvalidRange {
            panel: 1,
            axis: "x",
            ..
        })
    ));
    // Non-finite data values and negative stderr are skipped or repaired, never drawn as NaN.
    let mut odd = fig2a(40);
    odd.panels[0].curves[0].points.push((f64::NAN, 1.0));
    odd.panels[0].curves[0].points.push((1.0, f64::INFINITY));
    odd.panels[0].points[0].points[3].stderr = f64::NAN;
    odd.panels[0].points[0].points[4].stderr = -0.5;
    odd.panels[0].points[0].points[5].y = -1.0;
    assert_clean(&figures::to_svg(&odd, 800, 500, &style).unwrap());
}

// ---------------------------------------------------------------- PNG

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png_bytes[12..16], b"IHDR");
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn png_decodes_and_has_text_and_data() {
    for (name, data, w, h, style) in [
        ("fig2a.png", fig2a(40), 1200, 700, FigureStyle::light()),
        (
            "fig2a_narrow.png",
            fig2a(40),
            480,
            360,
            FigureStyle::light(),
        ),
        (
            "fig2a_partial_dark.png",
            fig2a(12),
            900,
            560,
            FigureStyle::dark(),
        ),
        ("fig3.png", fig3(2000), 1500, 420, FigureStyle::light()),
        ("fig3_narrow.png", fig3(500), 480, 360, FigureStyle::light()),
        ("fig6.png", fig6(), 1200, 500, FigureStyle::light()),
        (
            "fig6_dark_2x.png",
            fig6(),
            2000,
            840,
            FigureStyle::dark().with_scale(2.0),
        ),
    ] {
        let bytes = figures::to_png(&data, w, h, &style).unwrap();
        write_out(name, &bytes);
        let (pw, ph, px) = decode(&bytes);
        assert_eq!((pw, ph), (w, h));
        let bg = style.theme.background;
        let at = |x: u32, y: u32| {
            let i = 3 * (y * w + x) as usize;
            (px[i], px[i + 1], px[i + 2])
        };
        let differs = |x, y| at(x, y) != (bg.0, bg.1, bg.2);
        let changed = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| differs(x, y))
            .count();
        assert!(changed > (w * h / 50) as usize, "{name}: nearly blank");
        // Text pixels in the title band (top 6 % of the height, middle third of the width).
        let band = (h as f64 * 0.06) as u32;
        let title_px = (0..band)
            .flat_map(|y| (w / 3..2 * w / 3).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (r, g, b) = at(x, y);
                let t = style.theme.text;
                let dist = |a: u8, b: u8| (a as i32 - b as i32).abs();
                dist(r, t.0) + dist(g, t.1) + dist(b, t.2) < 120
            })
            .count();
        assert!(title_px > 30, "{name}: no title text ({title_px} px)");
    }
}

// ---------------------------------------------------------------- CSV

/// RFC 4180 reader (quoted fields with doubled quotes and line breaks).
fn read_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "CSV must end with a newline"
    );
    rows
}

#[test]
fn csv_round_trips_every_number() {
    let mut data = fig6();
    data.panels[1].points[0].label = "simulation, \"exact\" escape\ntimes".into();
    data.panels.extend(fig3(50).panels);
    let csv = figures::to_csv(&data);
    let rows = read_csv(&csv);
    assert_eq!(rows[0], ["panel", "series", "role", "x", "y", "stderr"]);
    let mut expected = Vec::new();
    for p in &data.panels {
        for c in &p.curves {
            for &(x, y) in &c.points {
                expected.push((p.title.clone(), c.label.clone(), c.role, x, y, None));
            }
        }
        for s in &p.points {
            for e in &s.points {
                expected.push((
                    p.title.clone(),
                    s.label.clone(),
                    s.role,
                    e.x,
                    e.y,
                    Some(e.stderr),
                ));
            }
        }
        for s in &p.scatters {
            for &(x, y) in &s.points {
                expected.push((p.title.clone(), s.label.clone(), s.role, x, y, None));
            }
        }
    }
    assert_eq!(rows.len() - 1, expected.len());
    for (row, (panel, series, role, x, y, se)) in rows[1..].iter().zip(expected) {
        assert_eq!(row.len(), 6);
        assert_eq!(row[0], panel);
        assert_eq!(row[1], series);
        assert_eq!(row[2], figures::role_name(role));
        assert_eq!(row[3].parse::<f64>().unwrap(), x);
        assert_eq!(row[4].parse::<f64>().unwrap(), y);
        match se {
            Some(se) => assert_eq!(row[5].parse::<f64>().unwrap(), se),
            None => assert_eq!(row[5], ""),
        }
    }
    // Untitled panels get a name.
    let csv = figures::to_csv(&fig2a(3));
    assert!(csv.lines().nth(1).unwrap().starts_with("panel 1,"));
}

/// Every real figure of the paper (the experiments' default configurations, theory only) renders
/// to SVG with its title, axis labels, every curve's and marker's label and nothing non-finite.
#[test]
fn every_paper_figure_renders_its_labels_and_markers() {
    use sgd_playground::config::{Config, FIGURE_IDS};
    use sgd_playground::experiments::Experiment;
    for id in FIGURE_IDS {
        let config = Config::parse(&format!("fig={id}")).expect("default figure config");
        let data = Experiment::new(&config).expect("experiment").theory();
        let style = FigureStyle::light();
        let svg = sgd_playground::figures::to_svg(&data, 1200, 600, &style).expect("svg");
        assert_clean(&svg);
        let elems = parse_svg(&svg);
        // (The SVG reader trims each text, so spaces are compared away.)
        let plain = |text: &str| -> String {
            sgd_playground::figures::rich::plain(text)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect()
        };
        // Sub- and superscripts are pieces of their own, in reading order: the label without
        // its markup is the pieces joined.
        let all_text: String = texts(&elems)
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            all_text.contains(&plain(&data.title)),
            "fig={id}: title missing"
        );
        for panel in &data.panels {
            assert!(
                all_text.contains(&plain(&panel.x_label))
                    && all_text.contains(&plain(&panel.y_label)),
                "fig={id}: axis labels of {}",
                panel.title
            );
            for curve in &panel.curves {
                assert!(
                    all_text.contains(&plain(&curve.label)),
                    "fig={id}: legend lacks {:?}",
                    curve.label
                );
            }
            for marker in &panel.markers {
                assert!(
                    all_text.contains(&plain(&marker.label)),
                    "fig={id}: marker label {:?} missing",
                    marker.label
                );
            }
        }
        assert_eq!(
            frames(&elems, &style).len(),
            data.panels.len(),
            "fig={id}: one frame per panel"
        );
    }
}

// ---------------------------------------------------------------- rich text

/// One `<text>` element of an SVG: position, size, rotation and content.
#[derive(Debug)]
struct SvgText {
    x: f64,
    y: f64,
    size: f64,
    rotated: bool,
    content: String,
}

fn svg_texts(svg: &str) -> Vec<SvgText> {
    let attribute = |tag: &str, name: &str| -> f64 {
        let key = format!(" {name}=\"");
        tag.split(&key)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let (tag, rest) = chunk.split_once('>')?;
            let content = rest.split("</text>").next()?.trim().to_string();
            Some(SvgText {
                x: attribute(tag, "x"),
                y: attribute(tag, "y"),
                size: attribute(tag, "font-size"),
                rotated: tag.contains("rotate("),
                content,
            })
        })
        .collect()
}

/// Sub- and superscripts are drawn, not written out: in the SVG, the script is a text element of
/// its own, smaller, after its base along the reading direction, and with its baseline lowered
/// (a subscript) or raised (a superscript); the markup characters `_`, `^`, `{`, `}` are gone.
/// Horizontal (title, x label, legend) and vertical (y label) text alike.
#[test]
fn sub_and_superscripts_are_drawn_with_real_baseline_shifts() {
    let mut panel = empty_panel("stability: L/L_c", "curvature k_i", "variance (VᵀΣV)_ii");
    panel.curves.push(Curve {
        label: "λ*_c and e^{2t}".to_string(),
        role: Role::DiscreteTheory,
        points: vec![(0.1, 0.2), (0.9, 0.8)],
    });
    let data = FigureData {
        id: "rich".to_string(),
        title: "scripts".to_string(),
        caption: String::new(),
        panels: vec![panel],
        table: None,
        notes: Vec::new(),
    };
    let svg = figures::to_svg(&data, 900, 500, &FigureStyle::light()).expect("svg");
    let texts = svg_texts(&svg);
    for raw in ["L/L_c", "k_i", ")_ii", "λ*_c", "^{2t}"] {
        assert!(!svg.contains(raw), "{raw} written out");
    }
    // (base piece, script, subscript?) in reading order.
    for (base, script, sub) in [
        ("stability: L/L", "c", true),
        ("curvature k", "i", true),
        ("variance (VᵀΣV)", "ii", true),
        ("λ*", "c", true),
        ("and e", "2t", false),
    ] {
        let at = texts
            .iter()
            .position(|t| t.content == base)
            .unwrap_or_else(|| panic!("no text {base:?} in {texts:?}"));
        let (b, s) = (&texts[at], &texts[at + 1]);
        assert_eq!(s.content, script, "{base}");
        assert!(
            s.size < 0.8 * b.size && s.size > 0.6 * b.size,
            "{b:?} {s:?}"
        );
        assert_eq!(b.rotated, s.rotated);
        // Along the reading direction (right, or up for the rotated y label) and off the
        // baseline (down, or right when rotated, for a subscript), by at least 2 px.
        let (along, off) = if b.rotated {
            (b.y - s.y, s.x - b.x)
        } else {
            (s.x - b.x, s.y - b.y)
        };
        assert!(along > 0.0, "{b:?} {s:?}");
        if sub {
            assert!(off > 2.0, "subscript not lowered: {b:?} {s:?}");
        } else {
            assert!(off < -2.0, "superscript not raised: {b:?} {s:?}");
        }
    }
}
