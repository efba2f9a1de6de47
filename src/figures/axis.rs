//! Axes: data → pixel maps, tick positions and labels, clipping and dashing in pixel space.
//!
//! Why our own axes instead of plotters' `ChartBuilder`: each panel picks linear or log for each
//! axis, and plotters encodes that in the coordinate *type* (`RangedCoordf64` vs `LogCoord<f64>`),
//! so one drawing routine would need four chart types (or boxed trait objects and tick wrappers).
//! Instead every axis maps data through `t = v` (linear) or `t = log10 v` (log) to a linear
//! pixel scale, and we place ticks and write their labels ourselves (decades as 10ⁿ). One code
//! path then serves Linear×Linear … Log×Log, values that a log axis cannot show (≤ 0) are dropped
//! explicitly instead of becoming NaN, and clipping to the plot frame (which plotters does not
//! do for paths) happens in the same place.

use crate::experiments::data::Scale;

/// One axis: data value → transformed value `t` (identity or log10) → pixel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Axis {
    /// Linear or log.
    pub scale: Scale,
    /// Transformed range shown, `lo < hi`.
    pub lo: f64,
    /// Upper end of the transformed range.
    pub hi: f64,
    /// Pixel of `lo`.
    pub p_lo: f64,
    /// Pixel of `hi` (smaller than `p_lo` for a y axis).
    pub p_hi: f64,
}

impl Axis {
    /// The transformed value, or `None` if the scale cannot show `v` (not finite; ≤ 0 on log).
    pub fn transform(scale: Scale, v: f64) -> Option<f64> {
        match scale {
            Scale::Linear => v.is_finite().then_some(v),
            Scale::Log => (v.is_finite() && v > 0.0).then(|| v.log10()),
        }
    }

    /// `Axis::transform` with this axis' scale.
    pub fn t(&self, v: f64) -> Option<f64> {
        Self::transform(self.scale, v)
    }

    /// Pixel of a transformed value.
    pub fn px(&self, t: f64) -> f64 {
        self.p_lo + (t - self.lo) / (self.hi - self.lo) * (self.p_hi - self.p_lo)
    }

    /// Whether a transformed value lies in the shown range (with a relative tolerance of 1e-9,
    /// so a tick or marker exactly on the end is kept).
    pub fn contains(&self, t: f64) -> bool {
        let eps = 1e-9 * (self.hi - self.lo);
        t >= self.lo - eps && t <= self.hi + eps
    }

    /// Clamp a transformed value into the shown range.
    pub fn clamp(&self, t: f64) -> f64 {
        t.clamp(self.lo, self.hi)
    }
}

/// The transformed range `(lo, hi)` shown for a requested data range, repaired where possible:
/// reversed ends are swapped; on a log axis an end ≤ 0 is replaced by the data's smallest
/// positive value (or `hi / 1000`); an empty range is widened. `data` are the panel's values
/// along this axis (used only for the log repair). Errors say why nothing can be shown.
pub(crate) fn resolve_range(
    scale: Scale,
    (a, b): (f64, f64),
    data: impl Iterator<Item = f64>,
) -> Result<(f64, f64), String> {
    if !a.is_finite() || !b.is_finite() {
        return Err(format!("range ({a}, {b}) is not finite"));
    }
    let (mut lo, mut hi) = if a <= b { (a, b) } else { (b, a) };
    if scale == Scale::Log && lo <= 0.0 {
        let positive: Vec<f64> = data.filter(|v| v.is_finite() && *v > 0.0).collect();
        let min_pos = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let max_pos = positive.iter().copied().fold(0.0, f64::max);
        if hi <= 0.0 {
            if positive.is_empty() {
                return Err(format!(
                    "log axis over ({a}, {b}) has no positive value to show"
                ));
            }
            (lo, hi) = (min_pos, max_pos);
        } else {
            lo = if min_pos < hi { min_pos } else { hi / 1000.0 };
        }
    }
    let (mut tlo, mut thi) = match scale {
        Scale::Linear => (lo, hi),
        Scale::Log => (lo.log10(), hi.log10()),
    };
    if thi - tlo <= 1e-12 * tlo.abs().max(thi.abs()).max(1e-300) {
        let half = match scale {
            Scale::Linear => (0.05 * tlo.abs()).max(0.5),
            Scale::Log => 0.5,
        };
        tlo -= half;
        thi += half;
    }
    if !(tlo.is_finite() && thi.is_finite() && thi > tlo) {
        return Err(format!("range ({a}, {b}) cannot be shown"));
    }
    Ok((tlo, thi))
}

/// A tick at transformed value `at`; labelled ticks are major (grid line, long tick mark).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Tick {
    /// Transformed position.
    pub at: f64,
    /// Label of a major tick; `None` for a minor tick.
    pub label: Option<String>,
}

/// Ticks for the transformed range `(lo, hi)` with at most `max_labels` (≥ 2) labels, and at
/// least two labels where the range allows (then possibly more than `max_labels`).
pub(crate) fn ticks(scale: Scale, lo: f64, hi: f64, max_labels: usize) -> Vec<Tick> {
    let max_labels = max_labels.max(2);
    match scale {
        Scale::Linear => linear_ticks(lo, hi, max_labels, |v| v),
        Scale::Log => log_ticks(lo, hi, max_labels),
    }
}

/// The smallest "nice" step (1, 2, 2.5, 5 × 10ᵏ) not below `raw`.
fn nice_step(raw: f64) -> f64 {
    let e = raw.log10().floor();
    let p = 10f64.powf(e);
    let f = raw / p;
    let n = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| f <= n * (1.0 + 1e-9))
        .unwrap_or(10.0);
    n * p
}

/// Nice linear ticks over data values `[lo, hi]`, placed at `to_t(value)`.
fn linear_ticks(lo: f64, hi: f64, max_labels: usize, to_t: impl Fn(f64) -> f64) -> Vec<Tick> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return Vec::new();
    }
    let mut step = nice_step(span / max_labels as f64);
    let count = |step: f64| ((hi / step + 1e-9).floor() - (lo / step - 1e-9).ceil() + 1.0).max(0.0);
    while count(step) > max_labels as f64 {
        step = nice_step(step * 1.01);
    }
    // A single label gives no scale: take finer steps (even if that exceeds `max_labels`; the
    // caller then labels fewer of them).
    for _ in 0..8 {
        if count(step) >= 2.0 {
            break;
        }
        let e = 10f64.powf(step.log10().floor());
        let f = step / e;
        step = e * if f < 1.5 {
            0.5
        } else if f < 2.25 {
            1.0
        } else if f < 3.0 {
            2.0
        } else {
            2.5
        };
    }
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    let magnitude = lo.abs().max(hi.abs());
    (k0..=k1)
        .map(|k| {
            let v = k as f64 * step;
            Tick {
                at: to_t(v),
                label: Some(format_linear(v, step, magnitude)),
            }
        })
        .collect()
}

/// Decades (labelled 10ⁿ, or plainly when every label lies in 0.01 … 1000), with 2–9 × 10ⁿ as
/// minor ticks; in a range of less than two decades also 2 and 5 × 10ⁿ labelled; below a factor
/// ~5 plain linear ticks.
fn log_ticks(lo: f64, hi: f64, max_labels: usize) -> Vec<Tick> {
    let eps = 1e-9;
    let k0 = (lo - eps).ceil() as i64;
    let k1 = (hi + eps).floor() as i64;
    let decades = (k1 - k0 + 1).max(0) as usize;
    let in_range = |t: f64| t >= lo - eps && t <= hi + eps;
    // (position, label as m × 10ᵏ)
    let mut raw: Vec<(f64, Option<(i32, i64)>)> = Vec::new();
    if decades >= 2 {
        let stride = decades.div_ceil(max_labels).max(1) as i64;
        let with_25 = stride == 1 && decades * 3 <= max_labels && hi - lo < 3.0;
        let minor = hi - lo <= 8.0;
        for k in (k0 - 1)..=k1 {
            for m in 1..10 {
                let at = k as f64 + f64::from(m).log10();
                if !in_range(at) {
                    continue;
                }
                let labelled =
                    (m == 1 && k.rem_euclid(stride) == 0) || (with_25 && (m == 2 || m == 5));
                if labelled {
                    raw.push((at, Some((m, k))));
                } else if minor || m == 1 {
                    raw.push((at, None));
                }
            }
        }
    } else {
        for k in (k0 - 1)..=(k0 + 1) {
            for m in [1, 2, 5] {
                let at = k as f64 + f64::from(m).log10();
                if in_range(at) {
                    raw.push((at, Some((m, k))));
                }
            }
        }
        if raw.len() < 2 || raw.len() > max_labels {
            return linear_ticks(10f64.powf(lo), 10f64.powf(hi), max_labels, f64::log10);
        }
    }
    // One notation per axis: 0.01 next to 5×10⁻³ reads badly.
    let plain = raw
        .iter()
        .filter_map(|(_, l)| *l)
        .all(|(_, k)| (-2..=3).contains(&k));
    raw.into_iter()
        .map(|(at, l)| Tick {
            at,
            label: l.map(|(m, k)| format_power(m, k, plain)),
        })
        .collect()
}

/// Unicode superscript of an integer (10⁻³).
fn superscript(k: i64) -> String {
    k.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// `m × 10ᵏ` for a log tick: plain decimals (`plain`, for 0.01 … 1000) or `m×10ᵏ`.
fn format_power(m: i32, k: i64, plain: bool) -> String {
    if plain {
        let v = m as f64 * 10f64.powi(k as i32);
        minus(format!("{:.*}", (-k).max(0) as usize, v))
    } else if m == 1 {
        format!("10{}", superscript(k))
    } else {
        format!("{m}×10{}", superscript(k))
    }
}

/// A linear tick label with as many decimals as the step needs; `m×10ⁿ` for very large or
/// very small magnitudes.
fn format_linear(v: f64, step: f64, magnitude: f64) -> String {
    // Kill rounding noise such as 3e-17 for the tick at zero.
    let v = if v.abs() < 1e-9 * step { 0.0 } else { v };
    let step_exp = step.log10().floor();
    // Steps 2.5 × 10ᵏ need one digit more than 1, 2 or 5 × 10ᵏ.
    let extra = usize::from((step / 10f64.powf(step_exp) - 2.5).abs() < 1e-6);
    if !(1e-3..1e5).contains(&magnitude) {
        if v == 0.0 {
            return "0".to_string();
        }
        let e = magnitude.log10().floor();
        let decimals = ((e - step_exp) as usize + extra).min(6);
        let m = v / 10f64.powf(e);
        return minus(format!("{m:.decimals$}×10{}", superscript(e as i64)));
    }
    let decimals = ((-step_exp).max(0.0) as usize + extra).min(10);
    minus(format!("{v:.decimals$}"))
}

/// Typographic minus sign.
fn minus(s: String) -> String {
    s.replace('-', "−")
}

/// Clip a polyline to `[x0, x1] × [y0, y1]` (Liang–Barsky per segment); `None` points break it.
/// Returns the visible runs, each with at least two points.
pub(crate) fn clip_polyline(
    points: impl Iterator<Item = Option<(f64, f64)>>,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    let mut flush = |run: &mut Vec<(f64, f64)>| {
        if run.len() >= 2 {
            runs.push(std::mem::take(run));
        } else {
            run.clear();
        }
    };
    for p in points {
        match (prev, p) {
            (Some(a), Some(b)) => match clip_segment(a, b, (x0, x1, y0, y1)) {
                Some((ca, cb, a_cut, b_cut)) => {
                    if run.is_empty() || a_cut {
                        flush(&mut run);
                        run.push(ca);
                    }
                    run.push(cb);
                    if b_cut {
                        flush(&mut run);
                    }
                }
                None => flush(&mut run),
            },
            _ => flush(&mut run),
        }
        prev = p;
    }
    flush(&mut run);
    runs
}

/// The visible part of a segment: its ends, and whether each end was moved by clipping.
type Clipped = ((f64, f64), (f64, f64), bool, bool);

/// Liang–Barsky: the visible part of segment a→b.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Option<Clipped> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1), t0 > 0.0, t1 < 1.0))
}

/// Split a pixel polyline into dashes; `pattern` alternates on/off lengths in pixels.
/// An empty (or non-positive) pattern returns the line unchanged.
pub(crate) fn dash(line: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() || pattern.iter().any(|l| !(*l > 0.0 && l.is_finite())) {
        return vec![line.to_vec()];
    }
    let mut out = Vec::new();
    let mut idx = 0;
    let mut left = pattern[0];
    let mut current: Vec<(f64, f64)> = line.first().map(|p| vec![*p]).unwrap_or_default();
    for w in line.windows(2) {
        let (mut a, b) = (w[0], w[1]);
        let mut len = (b.0 - a.0).hypot(b.1 - a.1);
        while len > left {
            let t = left / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if idx % 2 == 0 {
                current.push(p);
                out.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            len -= left;
            a = p;
            idx = (idx + 1) % pattern.len();
            left = pattern[idx];
        }
        left -= len;
        if idx % 2 == 0 {
            current.push(b);
        }
    }
    if idx % 2 == 0 && current.len() >= 2 {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[Tick]) -> Vec<&str> {
        t.iter().filter_map(|t| t.label.as_deref()).collect()
    }

    #[test]
    fn linear_ticks_are_nice_and_in_range() {
        let t = ticks(Scale::Linear, 0.0, 2.0, 6);
        assert_eq!(labels(&t), ["0.0", "0.5", "1.0", "1.5", "2.0"]);
        let t = ticks(Scale::Linear, 0.38, 0.99, 5);
        assert_eq!(labels(&t), ["0.4", "0.6", "0.8"]);
        let t = ticks(Scale::Linear, -3.0, 3.0, 7);
        assert_eq!(labels(&t), ["−3", "−2", "−1", "0", "1", "2", "3"]);
        let t = ticks(Scale::Linear, 0.0, 10.0, 5);
        assert_eq!(labels(&t), ["0.0", "2.5", "5.0", "7.5", "10.0"]);
        // Never a single label.
        let t = ticks(Scale::Linear, -8.6, 8.6, 2);
        assert_eq!(labels(&t), ["−5", "0", "5"]);
        for max in 2..12 {
            let t = ticks(Scale::Linear, -0.37, 12.9, max);
            assert!(t.len() <= max && t.len() >= 2, "{max}: {t:?}");
            assert!(t.iter().all(|t| (-0.37..=12.9).contains(&t.at)));
        }
    }

    #[test]
    fn huge_and_tiny_linear_labels_use_powers_of_ten() {
        let t = ticks(Scale::Linear, 0.0, 4e5, 5);
        assert_eq!(labels(&t), ["0", "1×10⁵", "2×10⁵", "3×10⁵", "4×10⁵"]);
        let t = ticks(Scale::Linear, 0.0, 4e-4, 3);
        assert_eq!(labels(&t), ["0", "2×10⁻⁴", "4×10⁻⁴"]);
    }

    #[test]
    fn log_ticks_label_decades() {
        let t = ticks(Scale::Log, -2.0, 2.0, 8);
        assert_eq!(labels(&t), ["0.01", "0.1", "1", "10", "100"]);
        assert!(t.iter().filter(|t| t.label.is_none()).count() >= 30);
        let t = ticks(Scale::Log, -6.0, 6.0, 5);
        assert_eq!(labels(&t), ["10⁻⁶", "10⁻³", "10⁰", "10³", "10⁶"]);
        // One notation per axis.
        let t = ticks(Scale::Log, (1.5e-4f64).log10(), (0.015f64).log10(), 8);
        assert_eq!(
            labels(&t),
            ["2×10⁻⁴", "5×10⁻⁴", "10⁻³", "2×10⁻³", "5×10⁻³", "10⁻²"]
        );
        // Less than two decades: 1-2-5 ticks.
        let t = ticks(Scale::Log, (0.3f64).log10(), (8.0f64).log10(), 6);
        assert_eq!(labels(&t), ["0.5", "1", "2", "5"]);
        // A factor of 1.5: linear ticks placed on the log axis.
        let t = ticks(Scale::Log, (2.0f64).log10(), (3.0f64).log10(), 4);
        assert_eq!(labels(&t), ["2.0", "2.5", "3.0"]);
        assert!((t[1].at - 2.5f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn ranges_are_repaired_or_rejected() {
        let none = std::iter::empty;
        assert_eq!(
            resolve_range(Scale::Linear, (2.0, 0.0), none()),
            Ok((0.0, 2.0))
        );
        let (lo, hi) = resolve_range(Scale::Linear, (1.0, 1.0), none()).unwrap();
        assert!(lo < 1.0 && hi > 1.0);
        let (lo, hi) =
            resolve_range(Scale::Log, (0.0, 100.0), [0.0, 0.5, 3.0].into_iter()).unwrap();
        assert!((lo - 0.5f64.log10()).abs() < 1e-12 && (hi - 2.0).abs() < 1e-12);
        let (lo, _) = resolve_range(Scale::Log, (-1.0, 100.0), none()).unwrap();
        assert!((lo - (-1.0)).abs() < 1e-12);
        assert!(resolve_range(Scale::Log, (-1.0, 0.0), none()).is_err());
        assert!(resolve_range(Scale::Linear, (f64::NAN, 1.0), none()).is_err());
        assert!(resolve_range(Scale::Linear, (0.0, f64::INFINITY), none()).is_err());
    }

    #[test]
    fn clipping_keeps_the_inside_and_breaks_at_gaps() {
        let r = (0.0, 1.0, 0.0, 1.0);
        let pts = [(-1.0, 0.5), (0.5, 0.5), (2.0, 0.5)].map(Some);
        let runs = clip_polyline(pts.into_iter(), r);
        assert_eq!(runs, vec![vec![(0.0, 0.5), (0.5, 0.5), (1.0, 0.5)]]);
        // Leaves and re-enters: two runs.
        let pts = [(0.2, 0.5), (0.5, 2.0), (0.8, 0.5)].map(Some);
        let runs = clip_polyline(pts.into_iter(), r);
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().flatten().all(|p| p.1 <= 1.0 + 1e-12));
        // A None breaks the line; a lone point draws nothing.
        let pts = [Some((0.1, 0.1)), Some((0.2, 0.2)), None, Some((0.3, 0.3))];
        assert_eq!(clip_polyline(pts.into_iter(), r).len(), 1);
        // Entirely outside.
        let pts = [(2.0, 2.0), (3.0, 3.0)].map(Some);
        assert!(clip_polyline(pts.into_iter(), r).is_empty());
    }

    #[test]
    fn dashes_follow_the_pattern() {
        let line = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
        let d = dash(&line, &[3.0, 2.0]);
        // 20 px of line: dashes at [0,3], [5,8], [10,13], [15,18].
        assert_eq!(d.len(), 4);
        let lens: Vec<f64> = d
            .iter()
            .map(|r| {
                r.windows(2)
                    .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
                    .sum()
            })
            .collect();
        assert!(lens.iter().all(|l| (l - 3.0).abs() < 1e-9), "{lens:?}");
        // The third dash turns the corner.
        assert_eq!(d[2], vec![(10.0, 0.0), (10.0, 3.0)]);
        assert_eq!(d[1], vec![(5.0, 0.0), (8.0, 0.0)]);
        assert_eq!(dash(&line, &[]), vec![line.to_vec()]);
    }

    #[test]
    fn axis_maps_ends_to_pixels() {
        let a = Axis {
            scale: Scale::Log,
            lo: -2.0,
            hi: 2.0,
            p_lo: 300.0,
            p_hi: 100.0,
        };
        assert_eq!(a.px(a.t(0.01).unwrap()), 300.0);
        assert_eq!(a.px(a.t(1.0).unwrap()), 200.0);
        assert_eq!(a.t(0.0), None);
        assert_eq!(a.t(f64::NAN), None);
    }
}
