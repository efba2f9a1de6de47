//! Hessians of real size given by their spectrum (key `K=powerlaw:…` or `K=mp:…`): K = diag(k),
//! so the per-mode engine needs no D×D matrix, and D can reach a million.
//!
//! Every eigenvalue is computed with + − × ÷ and √ only (the portable `exp`, `ln`, a polynomial
//! cosine and arctangent), so the command line and the page generate the same bits.

use std::fmt;

use crate::schedule::cos_pi;
use crate::sim::normal::{portable_exp, portable_ln};

/// Largest dimension a spectrum may have (the command line; the page allows
/// [`MAX_PAGE_SPECTRUM_DIMENSION`]).
pub const MAX_SPECTRUM_DIMENSION: usize = 1_000_000;

/// Largest dimension of a spectrum in the page (its per-mode curves in a few hundred ms).
pub const MAX_PAGE_SPECTRUM_DIMENSION: usize = 100_000;

/// A Hessian spectrum generator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spectrum {
    /// `powerlaw:D,k_max,alpha`: k_i = k_max·i^(−α), i = 1 … D.
    PowerLaw {
        /// D.
        dimension: usize,
        /// k_max = k_1, the largest eigenvalue.
        k_max: f64,
        /// α ≥ 0, the decay exponent.
        alpha: f64,
    },
    /// `mp:D,ratio,scale`: the Marchenko–Pastur law of XᵀX/N for an N×D matrix X of i.i.d.
    /// entries of variance `scale`, with ratio r = D/N ∈ (0, 1): support
    /// [scale(1 − √r)², scale(1 + √r)²], mean `scale`, second moment scale²(1 + r). The D
    /// eigenvalues are its quantiles at (i − ½)/D, largest first (deterministic: the typical
    /// spectrum of a random-feature regression, not one random draw).
    MarchenkoPastur {
        /// D.
        dimension: usize,
        /// r = D/N.
        ratio: f64,
        /// The entries' variance (the spectrum's mean).
        scale: f64,
    },
}

impl Spectrum {
    /// D.
    pub fn dimension(&self) -> usize {
        match *self {
            Spectrum::PowerLaw { dimension, .. } | Spectrum::MarchenkoPastur { dimension, .. } => {
                dimension
            }
        }
    }

    /// Parses `powerlaw:D,k_max,alpha` or `mp:D,ratio,scale`; `Ok(None)` when `text` names no
    /// generator, `Err(detail)` when it does and something is wrong.
    pub fn parse(text: &str) -> Result<Option<Spectrum>, String> {
        let Some((name, arguments)) = text.split_once(':') else {
            return Ok(None);
        };
        let name = name.trim().to_ascii_lowercase();
        if name != "powerlaw" && name != "mp" {
            return Ok(None);
        }
        let parts: Vec<&str> = arguments.split(',').map(str::trim).collect();
        if parts.len() != 3 {
            return Err(format!(
                "{name} takes three numbers: {}",
                if name == "mp" {
                    "D,ratio,scale"
                } else {
                    "D,k_max,alpha"
                }
            ));
        }
        let dimension: usize = parts[0]
            .parse()
            .ok()
            .filter(|d| (1..=MAX_SPECTRUM_DIMENSION).contains(d))
            .ok_or_else(|| {
                format!(
                    "D = '{}' must be an integer in [1, {MAX_SPECTRUM_DIMENSION}]",
                    parts[0]
                )
            })?;
        let number = |index: usize, what: &str| -> Result<f64, String> {
            parts[index]
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{what} = '{}' is not a finite number", parts[index]))
        };
        if name == "powerlaw" {
            let k_max = number(1, "k_max")?;
            let alpha = number(2, "alpha")?;
            if k_max <= 0.0 {
                return Err(format!("k_max = {k_max} must be > 0"));
            }
            if !(0.0..=8.0).contains(&alpha) {
                return Err(format!("alpha = {alpha} must be in [0, 8]"));
            }
            Ok(Some(Spectrum::PowerLaw {
                dimension,
                k_max,
                alpha,
            }))
        } else {
            let ratio = number(1, "ratio")?;
            let scale = number(2, "scale")?;
            if !(ratio > 0.0 && ratio < 1.0) {
                return Err(format!(
                    "ratio = {ratio} must be in (0, 1) (D < N: with D ≥ N, XᵀX/N has zero eigenvalues)"
                ));
            }
            if scale <= 0.0 {
                return Err(format!("scale = {scale} must be > 0"));
            }
            Ok(Some(Spectrum::MarchenkoPastur {
                dimension,
                ratio,
                scale,
            }))
        }
    }

    /// The D eigenvalues, largest first.
    pub fn eigenvalues(&self) -> Vec<f64> {
        match *self {
            Spectrum::PowerLaw {
                dimension,
                k_max,
                alpha,
            } => (1..=dimension)
                .map(|i| k_max * portable_exp(-alpha * portable_ln(i as f64)))
                .collect(),
            Spectrum::MarchenkoPastur {
                dimension,
                ratio,
                scale,
            } => MarchenkoPastur::new(ratio, scale).quantiles(dimension),
        }
    }
}

impl fmt::Display for Spectrum {
    /// The configuration text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::format_number as n;
        match *self {
            Spectrum::PowerLaw {
                dimension,
                k_max,
                alpha,
            } => write!(f, "powerlaw:{dimension},{},{}", n(k_max), n(alpha)),
            Spectrum::MarchenkoPastur {
                dimension,
                ratio,
                scale,
            } => write!(f, "mp:{dimension},{},{}", n(ratio), n(scale)),
        }
    }
}

/// The Marchenko–Pastur law in the angle θ of x = c − h·cos θ (c = s(1 + r), h = 2s√r), where
/// its density is smooth: F(θ) = (2s/π)[sin θ/h + cθ/h² − (2√(ab)/h²)·atan(√(b/a)·tan(θ/2))]
/// with a = c − h, b = c + h the edges (the integral of (2s/π)·sin²φ/(c − h cos φ), by partial
/// fractions).
struct MarchenkoPastur {
    scale: f64,
    centre: f64,
    half_width: f64,
    lower: f64,
    upper: f64,
}

impl MarchenkoPastur {
    fn new(ratio: f64, scale: f64) -> Self {
        let root = ratio.sqrt();
        Self {
            scale,
            centre: scale * (1.0 + ratio),
            half_width: 2.0 * scale * root,
            lower: scale * (1.0 - root) * (1.0 - root),
            upper: scale * (1.0 + root) * (1.0 + root),
        }
    }

    /// x(θ) with θ = π·p.
    fn point(&self, p: f64) -> f64 {
        self.centre - self.half_width * cos_pi(p)
    }

    /// F(θ) with θ = π·p, p ∈ [0, 1].
    fn cdf(&self, p: f64) -> f64 {
        let cos = cos_pi(p);
        let sin = (1.0 - cos * cos).max(0.0).sqrt();
        let h = self.half_width;
        let theta = std::f64::consts::PI * p;
        // tan(θ/2) = sin θ/(1 + cos θ); at θ = π the arctangent is π/2.
        let angle = if cos <= -1.0 {
            std::f64::consts::FRAC_PI_2
        } else {
            portable_atan((self.upper / self.lower).sqrt() * sin / (1.0 + cos))
        };
        let value = 2.0 * self.scale / std::f64::consts::PI
            * (sin / h + self.centre * theta / (h * h)
                - 2.0 * (self.lower * self.upper).sqrt() / (h * h) * angle);
        value.clamp(0.0, 1.0)
    }

    /// dF/dp = π·(2s/π)·sin²θ/(c − h cos θ).
    fn cdf_slope(&self, p: f64) -> f64 {
        let cos = cos_pi(p);
        2.0 * self.scale * (1.0 - cos * cos) / (self.centre - self.half_width * cos)
    }

    /// The quantiles at (i − ½)/D, largest first: Newton steps in p, kept inside a bisection
    /// bracket, warm-started from the previous quantile.
    fn quantiles(&self, dimension: usize) -> Vec<f64> {
        let mut out = vec![0.0; dimension];
        let mut previous = 0.0;
        for i in 0..dimension {
            let target = (i as f64 + 0.5) / dimension as f64;
            let (mut low, mut high) = (previous, 1.0);
            let mut p = if i == 0 { 0.5 } else { previous };
            for _ in 0..100 {
                let value = self.cdf(p) - target;
                if value == 0.0 {
                    break;
                }
                if value < 0.0 {
                    low = p;
                } else {
                    high = p;
                }
                let slope = self.cdf_slope(p);
                let newton = p - value / slope;
                let next = if slope > 0.0 && newton > low && newton < high {
                    newton
                } else {
                    0.5 * (low + high)
                };
                if (next - p).abs() <= 1e-16 * p.max(1e-300) || high - low <= f64::EPSILON * high {
                    p = next;
                    break;
                }
                p = next;
            }
            previous = p;
            // Ascending quantiles fill the output from its end: largest first.
            out[dimension - 1 - i] = self.point(p).clamp(self.lower, self.upper);
        }
        out
    }
}

/// atan x for finite x ≥ 0 with + − × ÷ and √ only: two half-angle reductions
/// atan x = 2·atan(x/(1 + √(1 + x²))) after atan x = π/2 − atan(1/x) for x > 1, then the Taylor
/// series (|x| < 0.2: remainder below 0.2²⁵/25 < 1e-18).
pub fn portable_atan(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return -portable_atan(-x);
    }
    if x.is_infinite() {
        return std::f64::consts::FRAC_PI_2;
    }
    let (offset, sign, mut y) = if x > 1.0 {
        (std::f64::consts::FRAC_PI_2, -1.0, 1.0 / x)
    } else {
        (0.0, 1.0, x)
    };
    let mut factor = 1.0;
    for _ in 0..2 {
        y /= 1.0 + (1.0 + y * y).sqrt();
        factor *= 2.0;
    }
    let y2 = y * y;
    let mut sum = 0.0;
    for n in (0..12u32).rev() {
        sum = 1.0 / f64::from(2 * n + 1) - y2 * sum;
    }
    offset + sign * factor * y * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atan_matches_the_library() {
        for i in 0..2000 {
            let x = f64::from(i) * 0.01;
            assert!(
                (portable_atan(x) - x.atan()).abs() <= 4.0 * f64::EPSILON,
                "x = {x}"
            );
        }
    }

    #[test]
    fn the_distribution_function_runs_from_zero_to_one() {
        let law = MarchenkoPastur::new(0.3, 2.0);
        assert!(law.cdf(0.0).abs() < 1e-15);
        assert!((law.cdf(1.0) - 1.0).abs() < 1e-14);
        // The slope is the derivative: central differences.
        for p in [0.1, 0.4, 0.77] {
            let h = 1e-6;
            let numeric = (law.cdf(p + h) - law.cdf(p - h)) / (2.0 * h);
            assert!((numeric - law.cdf_slope(p)).abs() < 1e-8, "p = {p}");
        }
    }
}
