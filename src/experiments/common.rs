//! Helpers shared by the figures: grids, axis ranges, ellipses, seeds, number formatting.

use nalgebra::{DMatrix, Matrix2};

use super::data::{Curve, Panel, Role, Scale};
use crate::config::format_number;
use crate::linalg::SymmetricEigen;

/// Points of a smooth theory curve.
pub(crate) const CURVE_POINTS: usize = 200;

/// Points of an ellipse polygon (closed: the first point is repeated at the end).
pub(crate) const ELLIPSE_POINTS: usize = 100;

/// `n` evenly spaced values from `low` to `high`, both included (`[low]` for n = 1).
pub(crate) fn linspace(low: f64, high: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![low],
        _ => (0..n)
            .map(|i| low + (high - low) * i as f64 / (n - 1) as f64)
            .collect(),
    }
}

/// `n` evenly spaced values strictly inside (low, high): low + (high − low)·j/(n+1), j = 1..n.
pub(crate) fn interior(low: f64, high: f64, n: usize) -> Vec<f64> {
    (1..=n)
        .map(|j| low + (high - low) * j as f64 / (n + 1) as f64)
        .collect()
}

/// The seed of the `index`-th ensemble of a figure: distinct, well-mixed streams per ensemble.
pub(crate) fn task_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A curve from (x, f(x)), keeping only finite values.
pub(crate) fn curve(
    label: impl Into<String>,
    role: Role,
    xs: &[f64],
    f: impl Fn(f64) -> Option<f64>,
) -> Curve {
    Curve {
        label: label.into(),
        role,
        points: xs
            .iter()
            .filter_map(|&x| f(x).map(|y| (x, y)))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect(),
    }
}

/// An empty panel with its axes; the ranges are set by [`fit_log_y`] and the like.
pub(crate) fn panel(
    title: impl Into<String>,
    x_label: impl Into<String>,
    y_label: impl Into<String>,
    x_range: (f64, f64),
    y_scale: Scale,
) -> Panel {
    Panel {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        x_scale: Scale::Linear,
        y_scale,
        x_range,
        y_range: (0.0, 1.0),
        curves: Vec::new(),
        points: Vec::new(),
        scatters: Vec::new(),
        markers: Vec::new(),
        shadings: Vec::new(),
        heatmap: None,
    }
}

/// Sets a log y-range around every positive value of the panel's curves and points (error bars
/// included), padded by a factor 1.5; (0.1, 10) when there is none.
pub(crate) fn fit_log_y(panel: &mut Panel) {
    let mut low = f64::INFINITY;
    let mut high = 0.0_f64;
    let mut include = |y: f64| {
        if y.is_finite() && y > 0.0 {
            low = low.min(y);
            high = high.max(y);
        }
    };
    for curve in &panel.curves {
        for &(_, y) in &curve.points {
            include(y);
        }
    }
    for series in &panel.points {
        for point in &series.points {
            include(point.y + point.stderr);
            include(point.y - point.stderr);
            include(point.y);
        }
    }
    panel.y_range = if high > 0.0 && low.is_finite() {
        (low / 1.5, (high * 1.5).min(f64::MAX))
    } else {
        (0.1, 10.0)
    };
}

/// A number for a caption or label: at most 4 significant digits, no trailing zeros.
pub(crate) fn short(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor();
    if (-4.0..6.0).contains(&magnitude) {
        let decimals = (3.0 - magnitude).max(0.0) as usize;
        let text = format!("{x:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        let text = format!("{x:.3e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => format!(
                "{}e{exponent}",
                mantissa.trim_end_matches('0').trim_end_matches('.')
            ),
            _ => text,
        }
    }
}

/// A configuration value as written in the configuration text (shortest round trip).
pub(crate) fn exact(x: f64) -> String {
    format_number(x)
}

/// A list of configuration values: `0.1, 0.5, 1`.
pub(crate) fn exact_list(values: &[f64]) -> String {
    values
        .iter()
        .map(|&x| exact(x))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A count with thousands written as 10⁴ when round: `10⁴`, `2000`.
pub(crate) fn count(n: usize) -> String {
    const SUPERSCRIPTS: [&str; 10] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"];
    let mut power = 0;
    let mut rest = n;
    while rest >= 10 && rest.is_multiple_of(10) {
        rest /= 10;
        power += 1;
    }
    if rest == 1 && power >= 4 {
        let digits: String = power
            .to_string()
            .chars()
            .filter_map(|c| c.to_digit(10).and_then(|d| SUPERSCRIPTS.get(d as usize)))
            .copied()
            .collect();
        format!("10{digits}")
    } else {
        n.to_string()
    }
}

/// The boundary {x : xᵀΣ⁻¹x = radius²} of a 2×2 covariance Σ (PSD; a degenerate Σ gives a
/// segment), as a closed polygon of [`ELLIPSE_POINTS`] + 1 points: x = radius·V·diag(√s)·(cos θ,
/// sin θ) with Σ = V diag(s) Vᵀ.
pub(crate) fn ellipse(sigma: &Matrix2<f64>, radius: f64) -> Vec<(f64, f64)> {
    let symmetric = (sigma + sigma.transpose()) * 0.5;
    let eigen = symmetric.symmetric_eigen();
    let root = |s: f64| s.max(0.0).sqrt();
    let (s0, s1) = (root(eigen.eigenvalues[0]), root(eigen.eigenvalues[1]));
    let v = eigen.eigenvectors;
    let points: Vec<(f64, f64)> = (0..=ELLIPSE_POINTS)
        .map(|i| {
            let theta = std::f64::consts::TAU * (i % ELLIPSE_POINTS) as f64 / ELLIPSE_POINTS as f64;
            let (a, b) = (radius * s0 * theta.cos(), radius * s1 * theta.sin());
            (v[(0, 0)] * a + v[(0, 1)] * b, v[(1, 0)] * a + v[(1, 1)] * b)
        })
        .collect();
    if points.iter().all(|(x, y)| x.is_finite() && y.is_finite()) {
        points
    } else {
        Vec::new()
    }
}

/// Whether x lies inside {xᵀΣ⁻¹x ≤ radius²} (false for a singular Σ).
pub(crate) fn inside(sigma: &Matrix2<f64>, radius: f64, x: f64, y: f64) -> bool {
    let determinant = sigma[(0, 0)] * sigma[(1, 1)] - sigma[(0, 1)] * sigma[(1, 0)];
    if determinant.is_nan() || determinant <= 0.0 {
        return false;
    }
    // xᵀΣ⁻¹x with the adjugate.
    let quadratic = (sigma[(1, 1)] * x * x - (sigma[(0, 1)] + sigma[(1, 0)]) * x * y
        + sigma[(0, 0)] * y * y)
        / determinant;
    quadratic <= radius * radius
}

/// A 2×2 nalgebra matrix from a 2×2 `DMatrix` (zeros where it is smaller).
pub(crate) fn matrix2(m: &DMatrix<f64>) -> Matrix2<f64> {
    Matrix2::from_fn(|i, j| m.get((i, j)).copied().unwrap_or(0.0))
}

/// K's eigenbasis for the scatter figures: eigenvalues in decreasing order (the stiff direction
/// first, as the paper's diag(λ/(2−λ), λ/(0.1(2−0.1λ)))), each eigenvector signed so that its
/// largest entry is positive (a deterministic choice).
pub(crate) fn sorted_eigenbasis(matrix: &DMatrix<f64>) -> (Vec<f64>, DMatrix<f64>) {
    let eigen = SymmetricEigen::new(matrix);
    let d = eigen.values.len();
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eigen.values[b].total_cmp(&eigen.values[a]));
    let values = order.iter().map(|&i| eigen.values[i]).collect();
    let mut vectors = DMatrix::zeros(d, d);
    for (column, &i) in order.iter().enumerate() {
        let v = eigen.vectors.column(i);
        let largest = v
            .iter()
            .copied()
            .fold(0.0_f64, |acc, x| if x.abs() > acc.abs() { x } else { acc });
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        vectors.set_column(column, &(v * sign));
    }
    (values, vectors)
}

/// The largest |x| and |y| of points (0 when empty).
pub(crate) fn extents(points: &[(f64, f64)]) -> (f64, f64) {
    points.iter().fold((0.0_f64, 0.0_f64), |(a, b), &(x, y)| {
        (a.max(x.abs()), b.max(y.abs()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_keep_four_digits() {
        assert_eq!(short(2.028_762), "2.029");
        assert_eq!(short(0.375), "0.375");
        assert_eq!(short(1000.0), "1000");
        assert_eq!(short(0.000_123_46), "0.0001235");
        assert_eq!(short(1.5e-7), "1.5e-7");
        assert_eq!(short(-3.0), "-3");
        assert_eq!(count(10_000), "10⁴");
        assert_eq!(count(2000), "2000");
    }

    #[test]
    fn ellipses_have_the_semi_axes_of_the_covariance() {
        let sigma = Matrix2::new(4.0, 0.0, 0.0, 1.0);
        let points = ellipse(&sigma, 3.0);
        assert_eq!(points.len(), ELLIPSE_POINTS + 1);
        assert_eq!(points.first(), points.last());
        let (x, y) = extents(&points);
        assert!(
            (x - 6.0).abs() < 1e-12 && (y - 3.0).abs() < 1e-12,
            "{x} {y}"
        );
        assert!(inside(&sigma, 3.0, 5.9, 0.0) && !inside(&sigma, 3.0, 0.0, 3.1));
    }
}
