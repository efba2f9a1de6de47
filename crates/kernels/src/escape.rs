//! The double well of Fig. 6 (the main crate's `sim::double_well`, whose `DoubleWell` and
//! `EscapeDynamics` give an [`EscapeWalk`]'s numbers): its simulated particles, and the exact
//! mean first-passage time's linear system on a grid, with the error function it needs.

use nalgebra::{DMatrix, DVector};

use crate::normal::{NormalStream, Ziggurat};

/// SGD on the rescaled piecewise-quadratic double well with Hessian-proportional noise (the main
/// crate's `sim::double_well`, whose `DoubleWell` and `EscapeDynamics` give these numbers).
#[derive(Clone, Copy, Debug)]
pub struct EscapeWalk {
    /// k_a, the wells' curvature.
    pub well_curvature: f64,
    /// |k_b|, minus the barrier top's curvature.
    pub barrier_curvature: f64,
    /// w₁, the junction of well a and the barrier.
    pub first_junction: f64,
    /// w₂, the junction of the barrier and well c: the escape boundary.
    pub escape_point: f64,
    /// b, the barrier top.
    pub barrier_top: f64,
    /// λ.
    pub learning_rate: f64,
    /// The loss scale r.
    pub loss_scale: f64,
    /// The batch size S of the noise.
    pub batch_size: f64,
}

/// (L′(w), |L″(w)|) of the double well with curvatures k_a (wells) and |k_b| (barrier), junctions
/// w₁ and w₂ and barrier top b.
#[inline(always)]
pub fn well_slope_and_curvature(
    well_curvature: f64,
    barrier_curvature: f64,
    w: f64,
    w1: f64,
    w2: f64,
    b: f64,
) -> (f64, f64) {
    if w <= w1 {
        (well_curvature * w, well_curvature)
    } else if w <= w2 {
        (-barrier_curvature * (w - b), barrier_curvature)
    } else {
        (well_curvature * (w - 2.0 * b), well_curvature)
    }
}

/// Advances every particle still in the well by `steps` steps,
/// w ← w − λ(rL′(w) + η), η ~ N(0, r|L″(w)|/S): particle p at `positions[p]` with stream
/// `streams[p]`; one that reaches w ≥ w₂ gets its escape step (counted from `steps_before`) in
/// `escaped_at[p]` and stops there.
#[inline(never)]
pub fn advance_escape(
    walk: &EscapeWalk,
    zig: &Ziggurat,
    positions: &mut [f64],
    streams: &mut [NormalStream],
    escaped_at: &mut [Option<u64>],
    steps_before: u64,
    steps: u64,
) {
    let EscapeWalk {
        well_curvature,
        barrier_curvature,
        first_junction: w1,
        escape_point: w2,
        barrier_top: b,
        learning_rate: lr,
        loss_scale: r,
        batch_size,
    } = *walk;
    let noise_scale = r / batch_size;
    for p in 0..positions.len() {
        if escaped_at[p].is_some() {
            continue;
        }
        let mut w = positions[p];
        let rng = &mut streams[p];
        for step in 0..steps {
            let (slope, curvature) =
                well_slope_and_curvature(well_curvature, barrier_curvature, w, w1, w2, b);
            let eta = (noise_scale * curvature).sqrt() * rng.normal(zig);
            w -= lr * (r * slope + eta);
            if w >= w2 {
                escaped_at[p] = Some(steps_before + step + 1);
                break;
            }
        }
        positions[p] = w;
    }
}

/// erf(x) to ≈ 1e-13 absolute: the Maclaurin series for |x| ≤ 3, the continued fraction of erfc
/// (modified Lentz) beyond.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    let value = if ax <= 3.0 {
        // 2/√π Σ (−1)ⁿ x^{2n+1}/(n!(2n+1)); terms fall below 1e-17 by n = 60 for |x| ≤ 3.
        let x2 = ax * ax;
        let mut term = ax;
        let mut sum = ax;
        for n in 1..80 {
            term *= -x2 / n as f64;
            let contribution = term / (2 * n + 1) as f64;
            sum += contribution;
            if contribution.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        1.0 - erfc_continued_fraction(ax)
    };
    if x < 0.0 {
        -value
    } else {
        value
    }
}

/// erfc(x) for x > 3 by its continued fraction erfc x = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).
fn erfc_continued_fraction(x: f64) -> f64 {
    let tiny = 1e-300;
    // f = x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))) by modified Lentz.
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for n in 1..200 {
        let a = n as f64 * 0.5;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// Standard normal CDF Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    if z < -3.0 * std::f64::consts::SQRT_2 {
        0.5 * erfc_continued_fraction(-z / std::f64::consts::SQRT_2)
    } else {
        0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
    }
}

/// |z| beyond which Φ(z) is taken as 0 or 1 (Φ(−8.5) ≈ 9.5e-18).
const CDF_CUTOFF: f64 = 8.5;

/// The mean first-passage time (in steps) from w = 0 to w ≥ w₂ of the walk, by the Nyström
/// scheme of the main crate's `sim::double_well::exact_mean_escape_steps` on `cells` cells (≥ 2),
/// without its Richardson extrapolation. None for a singular system.
#[inline(never)]
pub fn mean_escape_steps_on_grid(walk: &EscapeWalk, cells: usize) -> Option<f64> {
    let EscapeWalk {
        well_curvature,
        barrier_curvature,
        first_junction: w1,
        escape_point: w2,
        barrier_top: b,
        learning_rate: lr,
        loss_scale: r,
        batch_size,
    } = *walk;
    // The left wall is quadratic: the walk stays within a few stationary widths of 0; take the
    // mirror of the escape point, which is ≥ 4 widths for every parameter this module accepts.
    let widest = lr * (r * well_curvature / batch_size).sqrt()
        / (lr * r * well_curvature * (2.0 - lr * r * well_curvature)).sqrt();
    let low = -(w2.max(12.0 * widest));
    // The noise variance jumps at the junction w₁ (|L″| switches from k_a to |k_b|), so τ jumps
    // there too: put a cell edge exactly on w₁ (two uniform grids) to keep the scheme O(h²).
    let below = (((w1 - low) / (w2 - low) * cells as f64).round() as usize).clamp(1, cells - 1);
    let h_low = (w1 - low) / below as f64;
    let h_high = (w2 - w1) / (cells - below) as f64;
    let edge = |j: usize| {
        if j <= below {
            low + j as f64 * h_low
        } else {
            w1 + (j - below) as f64 * h_high
        }
    };
    let mut system = DMatrix::<f64>::identity(cells, cells);
    for i in 0..cells {
        let centre = 0.5 * (edge(i) + edge(i + 1));
        let (slope, curvature) =
            well_slope_and_curvature(well_curvature, barrier_curvature, centre, w1, w2, b);
        let mean = centre - lr * r * slope;
        let sd = lr * (r * curvature / batch_size).sqrt();
        let mut previous = 0.0; // mass below w_lo is folded into cell 0: start from Φ(−∞) = 0.
        for j in 0..cells {
            // Beyond 8.5 standard deviations Φ is 0 or 1 to within 1e-17, below the rounding
            // of the diagonal's 1: skip the evaluation (most cells are that far).
            let z = (edge(j + 1) - mean) / sd;
            let cdf = if z < -CDF_CUTOFF {
                0.0
            } else if z > CDF_CUTOFF {
                1.0
            } else {
                normal_cdf(z)
            };
            system[(i, j)] -= cdf - previous;
            previous = cdf;
            if cdf == 1.0 {
                break;
            }
        }
    }
    let ones = DVector::from_element(cells, 1.0);
    let tau = system.lu().solve(&ones)?;
    // τ at w = 0 (inside the lower grid) by linear interpolation between cell centres.
    let position = (0.0 - low) / h_low - 0.5;
    let i = (position.floor().max(0.0) as usize).min(below.saturating_sub(2));
    let frac = position - i as f64;
    let value = tau[i] * (1.0 - frac) + tau[i + 1] * frac;
    value.is_finite().then_some(value)
}
