//! The exact minibatch theory of 1-D regression (Eq. 28), reduced to a closed form so that a
//! figure's curve of 200 points costs microseconds.
//!
//! `ERRATA.md` ("Minibatch noise, exactly"): with u = w − ŵ the gradient noise of a minibatch has
//! variance C(Σ) = f·[(1/N)Σ_i H_i² Σ − K²Σ + (1/N)Σ_i b_i²], H_i = 2x_i², b_i = 2x_i r_i
//! (f = 1/S with replacement, (N−S)/((N−1)S) without). In 1-D the stationary Σ of SGDM with a
//! constant noise variance C is G·C with G = λ/((1−μ)k(2 − λk/(1+μ))) (Corollary 2, exact in 1-D),
//! so Σ = G(c₀ + aΣ), i.e.
//!
//! Σ = G c₀ / (1 − G a),  a = f[(4/N)Σx_i⁴ − K²] ≥ 0,  c₀ = f(4/N)Σx_i²r_i²,
//!
//! stationary exactly when λk < 2(1+μ) and G a < 1. This is the D = 1 case of the engine's linear
//! system ([`crate::solver::minibatch`]); the tests check both agree.

use crate::model::Minibatch;

/// The data's moments that the 1-D exact minibatch theory needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MinibatchVariance1d {
    /// K = (2/N)Σx_i² (Eq. 28's convention).
    pub curvature: f64,
    /// a = f[(4/N)Σx_i⁴ − K²]: the multiplicative part of the noise, C = c₀ + aΣ.
    pub multiplicative: f64,
    /// c₀ = f(4/N)Σx_i²r_i²: the additive part (label noise at ŵ).
    pub additive: f64,
}

impl MinibatchVariance1d {
    /// The moments of a 1-D data set (`None` for D ≠ 1).
    pub fn new(batch: &Minibatch) -> Option<Self> {
        let data = &batch.data;
        if data.dimension() != 1 || data.is_empty() {
            return None;
        }
        let n = data.len() as f64;
        let factor = batch.covariance_factor();
        let inputs = data.inputs().column(0);
        let curvature = data.hessian()[(0, 0)];
        let fourth: f64 = inputs.iter().map(|x| x.powi(4)).sum::<f64>() * 4.0 / n;
        let additive: f64 = inputs
            .iter()
            .zip(data.residuals().iter())
            .map(|(x, r)| x * x * r * r)
            .sum::<f64>()
            * 4.0
            * factor
            / n;
        Some(Self {
            curvature,
            multiplicative: (factor * (fourth - curvature * curvature)).max(0.0),
            additive,
        })
    }

    /// The stationary gain G = λ/((1−μ)k(2 − λk/(1+μ))) of SGDM for a unit noise variance
    /// (Corollary 2), `None` unless λk < 2(1+μ).
    fn gain(&self, learning_rate: f64, momentum: f64) -> Option<f64> {
        let x = learning_rate * self.curvature;
        let margin = 2.0 - x / (1.0 + momentum);
        (margin > 0.0 && momentum < 1.0)
            .then(|| learning_rate / ((1.0 - momentum) * self.curvature * margin))
            .filter(|gain| gain.is_finite() && *gain > 0.0)
    }

    /// The exact stationary Var[w] of SGDM (μ = 0: SGD) with Eq. 28's learning rate λ, `None`
    /// where it diverges.
    pub fn variance(&self, learning_rate: f64, momentum: f64) -> Option<f64> {
        let gain = self.gain(learning_rate, momentum)?;
        let denominator = 1.0 - gain * self.multiplicative;
        let variance = gain * self.additive / denominator;
        (denominator > 0.0 && variance.is_finite()).then_some(variance)
    }

    /// The μ-interval (in [0, 1)) where SGDM with Eq. 28's learning rate λ is stationary, `None`
    /// when there is none. With x = λk, G a < 1 reads 2kμ² + (λa − kx)μ + λa − k(2 − x) < 0, so
    /// the interval lies between the roots of that quadratic, and above (x − 2)/2 (Sec. 4.5).
    pub fn stable_momenta(&self, learning_rate: f64) -> Option<(f64, f64)> {
        let k = self.curvature;
        let x = learning_rate * k;
        let la = learning_rate * self.multiplicative;
        let (quadratic, linear, constant) = (2.0 * k, la - k * x, la - k * (2.0 - x));
        let discriminant = linear * linear - 4.0 * quadratic * constant;
        if discriminant.is_nan() || discriminant < 0.0 {
            return None;
        }
        let root = discriminant.sqrt();
        let low = (-linear - root) / (2.0 * quadratic);
        let high = (-linear + root) / (2.0 * quadratic);
        let low = low.max((x - 2.0) / 2.0).max(0.0);
        let high = high.min(1.0);
        (low < high && low.is_finite() && high.is_finite()).then_some((low, high))
    }
}
