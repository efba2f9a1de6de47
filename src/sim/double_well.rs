//! Escape from a sharp minimum (the Kramers problem, Sec. 6.3 and Fig. 6): a 1-D double well,
//! simulated first-passage times, and the exact discrete-time mean first-passage time.
//!
//! The potential (`FIGURES.md`): a C¹ piecewise-quadratic symmetric double well with curvature k_a
//! in the wells, −|k_b| on the barrier and barrier height ΔL. With g = √(2ΔL k_a|k_b|/(k_a+|k_b|)),
//! d₁ = g/k_a, d₂ = g/|k_b|: well a at 0, junction w₁ = d₁, barrier top b = d₁ + d₂, junction
//! w₂ = 2b − d₁, well c at 2b. The dynamics is SGD on the rescaled loss rL with Hessian-proportional
//! noise, w ← w − λ(rL′(w) + η), η ~ N(0, r|L″(w)|/S); a particle escapes at its first step with
//! w ≥ w₂.

/// The error function and the standard normal CDF (in the kernels' crate, beside the exact
/// escape time that uses them).
pub use sgd_playground_kernels::escape::{erf, normal_cdf};
use sgd_playground_kernels::escape::{mean_escape_steps_on_grid, well_slope_and_curvature};
use sgd_playground_kernels::{advance_escape, seeded_streams, EscapeWalk};

use super::normal::{NormalStream, Ziggurat};
use crate::error::FieldError;

/// The piecewise-quadratic double well.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DoubleWell {
    /// Curvature of the wells, k_a > 0.
    pub well_curvature: f64,
    /// |k_b| > 0, minus the curvature at the barrier top.
    pub barrier_curvature: f64,
    /// Barrier height ΔL = L(b) − L(a) > 0.
    pub barrier_height: f64,
}

impl Default for DoubleWell {
    /// The design of `FIGURES.md`: k_a = 1, |k_b| = 0.5, ΔL = 1.
    fn default() -> Self {
        Self {
            well_curvature: 1.0,
            barrier_curvature: 0.5,
            barrier_height: 1.0,
        }
    }
}

impl DoubleWell {
    /// Validates the three parameters.
    ///
    /// # Errors
    /// A [`FieldError`] naming `k_a`, `k_b` or `dL` when not a finite number > 0.
    pub fn new(
        well_curvature: f64,
        barrier_curvature: f64,
        barrier_height: f64,
    ) -> Result<Self, FieldError> {
        for (name, v) in [
            ("k_a", well_curvature),
            ("k_b", barrier_curvature),
            ("dL", barrier_height),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(FieldError::new(name, v.to_string(), "a finite number > 0"));
            }
        }
        Ok(Self {
            well_curvature,
            barrier_curvature,
            barrier_height,
        })
    }

    fn slope_at_junction(&self) -> f64 {
        let (ka, kb) = (self.well_curvature, self.barrier_curvature);
        (2.0 * self.barrier_height * ka * kb / (ka + kb)).sqrt()
    }

    /// Junction w₁ between well a and the barrier.
    pub fn first_junction(&self) -> f64 {
        self.slope_at_junction() / self.well_curvature
    }

    /// Barrier top b.
    pub fn barrier_top(&self) -> f64 {
        self.first_junction() + self.slope_at_junction() / self.barrier_curvature
    }

    /// Junction w₂ between the barrier and well c: the escape boundary.
    pub fn escape_point(&self) -> f64 {
        2.0 * self.barrier_top() - self.first_junction()
    }

    /// l = |k_b|/(k_a + |k_b|), the fraction of the path a → b where the curvature switches (Eq. 51).
    pub fn switch_fraction(&self) -> f64 {
        self.barrier_curvature / (self.well_curvature + self.barrier_curvature)
    }

    /// L(w).
    pub fn loss(&self, w: f64) -> f64 {
        let (w1, w2, b) = (
            self.first_junction(),
            self.escape_point(),
            self.barrier_top(),
        );
        if w <= w1 {
            0.5 * self.well_curvature * w * w
        } else if w <= w2 {
            self.barrier_height - 0.5 * self.barrier_curvature * (w - b) * (w - b)
        } else {
            let c = 2.0 * b;
            0.5 * self.well_curvature * (w - c) * (w - c)
        }
    }

    /// (L′(w), |L″(w)|).
    #[inline(always)]
    pub fn slope_and_curvature(&self, w: f64, w1: f64, w2: f64, b: f64) -> (f64, f64) {
        well_slope_and_curvature(self.well_curvature, self.barrier_curvature, w, w1, w2, b)
    }
}

/// SGD in the double well: λ, the loss scale r and the batch size S of the noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EscapeDynamics {
    /// The potential.
    pub well: DoubleWell,
    /// Learning rate λ.
    pub learning_rate: f64,
    /// Loss rescaling r (L → rL).
    pub loss_scale: f64,
    /// Batch size S of the Hessian-proportional noise.
    pub batch_size: f64,
}

impl EscapeDynamics {
    /// Validates λ, r, S; the well must be stable in the discrete sense, λ r k_a < 2.
    ///
    /// # Errors
    /// A [`FieldError`] naming `lr`, `r` or `S`.
    pub fn new(
        well: DoubleWell,
        learning_rate: f64,
        loss_scale: f64,
        batch_size: f64,
    ) -> Result<Self, FieldError> {
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(FieldError::new(
                "lr",
                learning_rate.to_string(),
                "a finite number > 0",
            ));
        }
        if !(batch_size.is_finite() && batch_size > 0.0) {
            return Err(FieldError::new(
                "S",
                batch_size.to_string(),
                "a finite number > 0",
            ));
        }
        let limit = 2.0 / (learning_rate * well.well_curvature);
        if !(loss_scale.is_finite() && loss_scale > 0.0 && loss_scale < limit) {
            return Err(FieldError::new(
                "r",
                loss_scale.to_string(),
                format!(
                    "a number in (0, 2/(λk_a) = {limit}) (beyond it the well itself is unstable)"
                ),
            ));
        }
        Ok(Self {
            well,
            learning_rate,
            loss_scale,
            batch_size,
        })
    }

    /// The walk's numbers for the kernels' crate.
    fn walk(&self) -> EscapeWalk {
        let well = self.well;
        EscapeWalk {
            well_curvature: well.well_curvature,
            barrier_curvature: well.barrier_curvature,
            first_junction: well.first_junction(),
            escape_point: well.escape_point(),
            barrier_top: well.barrier_top(),
            learning_rate: self.learning_rate,
            loss_scale: self.loss_scale,
            batch_size: self.batch_size,
        }
    }

    /// Converts a per-step escape rate into the paper's γ/|k_b| (Fig. 6b): time is measured in
    /// units of λr (the continuous time of the rescaled loss).
    pub fn rate_over_barrier_curvature(&self, escapes_per_step: f64) -> f64 {
        escapes_per_step / (self.learning_rate * self.loss_scale * self.well.barrier_curvature)
    }
}

/// Escape statistics of an ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct EscapeStatistics {
    /// Steps simulated so far.
    pub steps: u64,
    /// Particles.
    pub particles: usize,
    /// Particles that escaped.
    pub escaped: usize,
    /// Maximum-likelihood escape rate per step for exponential escape times with right
    /// censoring: escaped / (total steps at risk).
    pub rate_per_step: f64,
    /// Its standard error, rate/√escaped.
    pub rate_stderr: f64,
    /// 1/rate: the mean escape time in steps (censoring-aware).
    pub mean_escape_steps: f64,
    /// Standard error of the mean escape time.
    pub mean_escape_steps_stderr: f64,
    /// Plain mean of the observed escape times (biased low while some particles have not escaped).
    pub observed_mean_steps: f64,
}

/// An ensemble of particles starting in well a; step-able like [`super::Ensemble`].
#[derive(Clone, Debug)]
pub struct EscapeEnsemble {
    dynamics: EscapeDynamics,
    positions: Vec<f64>,
    streams: Vec<NormalStream>,
    escaped_at: Vec<Option<u64>>,
    steps: u64,
    zig: Ziggurat,
}

impl EscapeEnsemble {
    /// All particles start at the bottom of well a (w = 0); particle p uses the seed's stream
    /// jumped p times.
    ///
    /// # Errors
    /// A [`FieldError`] naming `particles` when 0 or above [`super::MAX_PARTICLES`].
    pub fn new(dynamics: EscapeDynamics, particles: usize, seed: u64) -> Result<Self, FieldError> {
        if particles == 0 || particles > super::MAX_PARTICLES {
            return Err(FieldError::new(
                "particles",
                particles.to_string(),
                format!("an integer in [1, {}]", super::MAX_PARTICLES),
            ));
        }
        let streams = seeded_streams(seed, particles);
        Ok(Self {
            dynamics,
            positions: vec![0.0; particles],
            streams,
            escaped_at: vec![None; particles],
            steps: 0,
            zig: Ziggurat::new(),
        })
    }

    /// Advances every particle still in the well by `steps` steps.
    pub fn advance(&mut self, steps: u64) {
        advance_escape(
            &self.dynamics.walk(),
            &self.zig,
            &mut self.positions,
            &mut self.streams,
            &mut self.escaped_at,
            self.steps,
            steps,
        );
        self.steps += steps;
    }

    /// Splits the ensemble into at most `blocks` ensembles of consecutive particles (at least
    /// `min_particles` each), to be advanced independently and put back together by
    /// [`EscapeEnsemble::join`] with exactly the numbers of the unsplit ensemble (tested).
    pub fn split(mut self, blocks: usize, min_particles: usize) -> Vec<EscapeEnsemble> {
        let sizes = super::block_sizes(self.positions.len(), blocks, min_particles);
        let mut parts = Vec::with_capacity(sizes.len());
        let mut end = self.positions.len();
        for &size in sizes.iter().skip(1).rev() {
            let start = end - size;
            parts.push(EscapeEnsemble {
                dynamics: self.dynamics,
                positions: self.positions.split_off(start),
                streams: self.streams.split_off(start),
                escaped_at: self.escaped_at.split_off(start),
                steps: self.steps,
                zig: self.zig.clone(),
            });
            end = start;
        }
        parts.push(self);
        parts.reverse();
        parts
    }

    /// Puts back together the blocks of [`EscapeEnsemble::split`], in their order (`None` for
    /// none). A block whose particles all escaped may have stopped early: the joined ensemble
    /// has run the most steps of any block, which is what the unsplit ensemble, advanced in the
    /// same slices until every particle escaped, would have run.
    pub fn join(parts: Vec<EscapeEnsemble>) -> Option<EscapeEnsemble> {
        let mut parts = parts.into_iter();
        let mut whole = parts.next()?;
        for part in parts {
            whole.steps = whole.steps.max(part.steps);
            whole.positions.extend(part.positions);
            whole.streams.extend(part.streams);
            whole.escaped_at.extend(part.escaped_at);
        }
        Some(whole)
    }

    /// Steps simulated so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether every particle has escaped.
    pub fn all_escaped(&self) -> bool {
        self.escaped_at.iter().all(Option::is_some)
    }

    /// The escape statistics now.
    pub fn statistics(&self) -> EscapeStatistics {
        let times: Vec<u64> = self.escaped_at.iter().flatten().copied().collect();
        let escaped = times.len();
        let censored = self.positions.len() - escaped;
        let at_risk =
            times.iter().map(|&t| t as f64).sum::<f64>() + censored as f64 * self.steps as f64;
        let rate = if at_risk > 0.0 {
            escaped as f64 / at_risk
        } else {
            f64::NAN
        };
        let rate_stderr = rate / (escaped as f64).sqrt();
        let mean = 1.0 / rate;
        EscapeStatistics {
            steps: self.steps,
            particles: self.positions.len(),
            escaped,
            rate_per_step: rate,
            rate_stderr,
            mean_escape_steps: mean,
            mean_escape_steps_stderr: mean / (escaped as f64).sqrt(),
            observed_mean_steps: if escaped > 0 {
                times.iter().map(|&t| t as f64).sum::<f64>() / escaped as f64
            } else {
                f64::NAN
            },
        }
    }
}

/// The exact mean first-passage time (in steps) from w = 0 to w ≥ w₂ of the discrete-time chain,
/// from τ(w) = 1 + ∫_{w < w₂} p(w → w′) τ(w′) dw′ (`FIGURES.md`), discretised on `cells` cells of
/// [w_lo, w₂) with the exact Gaussian cell probabilities from each cell centre (Nyström), mass
/// below w_lo folded into the first cell, and a cell edge on the junction w₁. The scheme converges
/// as O(h²) (checked: successive halvings shrink the change 4×), so the result is Richardson-
/// extrapolated from `cells` and `cells/2` cells: (4τ_M − τ_{M/2})/3, accurate to ≈ 1e-6 relative
/// at M = 1200. Returns None for fewer than 20 cells or a singular system.
pub fn exact_mean_escape_steps(dynamics: &EscapeDynamics, cells: usize) -> Option<f64> {
    if cells < 20 {
        return None;
    }
    let walk = dynamics.walk();
    let fine = mean_escape_steps_on_grid(&walk, cells)?;
    let coarse = mean_escape_steps_on_grid(&walk, cells / 2)?;
    Some((4.0 * fine - coarse) / 3.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_is_continuous_and_smooth() {
        let well = DoubleWell::default();
        let (w1, w2, b) = (
            well.first_junction(),
            well.escape_point(),
            well.barrier_top(),
        );
        for x in [w1, w2] {
            assert!((well.loss(x - 1e-9) - well.loss(x + 1e-9)).abs() < 1e-8);
            let left = well.slope_and_curvature(x - 1e-12, w1, w2, b).0;
            let right = well.slope_and_curvature(x + 1e-12, w1, w2, b).0;
            assert!((left - right).abs() < 1e-9);
        }
        assert!((well.loss(b) - 1.0).abs() < 1e-15);
        assert!((well.switch_fraction() - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn erf_matches_known_values() {
        // erf(0.5), erf(1), erf(2), erf(3.5) to 15 digits (Abramowitz & Stegun, Table 7.1).
        for (x, v) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.5, 0.999_999_256_901_627_7),
        ] {
            assert!((erf(x) - v).abs() < 1e-13, "erf({x}) = {}", erf(x));
            assert!((erf(-x) + v).abs() < 1e-13);
        }
        assert!((normal_cdf(-6.0) - 9.865_876_450_377e-10).abs() < 1e-20);
    }
}
