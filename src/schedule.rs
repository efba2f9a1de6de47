//! Learning-rate schedules as PyTorch's `torch.optim.lr_scheduler` means them: λ_t is the rate
//! of the update from step t to t + 1 (t = 0 … T − 1, T = `steps`), stepped once per update.
//!
//! | `schedule` | λ_t (after the warm-up, t counted from its end) | PyTorch |
//! |---|---|---|
//! | `constant` | lr | none |
//! | `step` | lr·γ^(number of milestones ≤ t) | `MultiStepLR(milestones, gamma)` |
//! | `exp` | lr·γ^t | `ExponentialLR(gamma)` |
//! | `cosine` | m + (lr − m)(1 + cos(πt/T′))/2, T′ = T − W | `CosineAnnealingLR(T_max=T′, eta_min=m)` |
//! | `inverse` | lr/(1 + d·t) | `LambdaLR(lambda t: 1/(1 + d*t))` |
//!
//! `warmup=W` prepends a linear warm-up λ_t = lr·(t + 1)/W for t < W (PyTorch's
//! `LinearLR(start_factor=1/W, total_iters=W − 1)` chained before the schedule with
//! `SequentialLR`). Every rate is computed with + − × ÷ only (γ^t by repeated squaring, the cosine
//! by a polynomial), so the command line and the page give the same bits.

use std::fmt;

/// A schedule's shape (key `schedule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ScheduleKind {
    /// λ_t = lr.
    #[default]
    Constant,
    /// MultiStepLR: λ_t = lr·γ^(milestones ≤ t).
    Step,
    /// ExponentialLR: λ_t = lr·γ^t.
    Exponential,
    /// CosineAnnealingLR with T_max the steps after the warm-up.
    Cosine,
    /// λ_t = lr/(1 + d·t).
    Inverse,
}

/// Every schedule's configuration name, in the order of the `schedule` key's documentation.
pub const SCHEDULE_NAMES: [&str; 5] = ["constant", "step", "exp", "cosine", "inverse"];

impl ScheduleKind {
    /// The configuration name (`constant`, `step`, `exp`, `cosine`, `inverse`).
    pub fn name(self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Step => "step",
            ScheduleKind::Exponential => "exp",
            ScheduleKind::Cosine => "cosine",
            ScheduleKind::Inverse => "inverse",
        }
    }

    /// The shape of a configuration name; `None` for another name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "constant" => ScheduleKind::Constant,
            "step" => ScheduleKind::Step,
            "exp" => ScheduleKind::Exponential,
            "cosine" => ScheduleKind::Cosine,
            "inverse" => ScheduleKind::Inverse,
            _ => return None,
        })
    }
}

/// A learning-rate schedule relative to the base rate `lr` (keys `schedule`, `milestones`,
/// `gamma`, `lr_min`, `decay`, `warmup`).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The shape after the warm-up.
    pub kind: ScheduleKind,
    /// `step`: the steps (counted from the end of the warm-up) at which λ is multiplied by γ,
    /// increasing.
    pub milestones: Vec<u64>,
    /// `step`, `exp`: the factor γ.
    pub gamma: f64,
    /// `cosine`: the final rate m (η_min).
    pub lr_min: f64,
    /// `inverse`: the decay d.
    pub decay: f64,
    /// Linear warm-up steps W (0: none).
    pub warmup: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::CONSTANT
    }
}

impl Schedule {
    /// The constant schedule: λ_t = lr.
    pub const CONSTANT: Schedule = Schedule {
        kind: ScheduleKind::Constant,
        milestones: Vec::new(),
        gamma: 0.1,
        lr_min: 0.0,
        decay: 0.0,
        warmup: 0,
    };

    /// Whether λ_t = lr at every step.
    pub fn is_constant(&self) -> bool {
        self.warmup == 0 && self.is_constant_after_warmup()
    }

    /// Whether the shape after the warm-up keeps λ_t = lr.
    fn is_constant_after_warmup(&self) -> bool {
        match self.kind {
            ScheduleKind::Constant => true,
            ScheduleKind::Step => self.milestones.is_empty() || self.gamma == 1.0,
            ScheduleKind::Exponential => self.gamma == 1.0,
            ScheduleKind::Cosine => false,
            ScheduleKind::Inverse => self.decay == 0.0,
        }
    }

    /// λ_t for base rate `lr` over a run of `total` = T steps. Defined for every t ≥ 0 (t = T
    /// gives the formula's value, though no update uses it).
    pub fn rate(&self, lr: f64, t: u64, total: u64) -> f64 {
        if t < self.warmup {
            return lr * (t + 1) as f64 / self.warmup as f64;
        }
        let t = t - self.warmup;
        match self.kind {
            ScheduleKind::Constant => lr,
            ScheduleKind::Step => {
                let passed = self.milestones.iter().filter(|&&m| m <= t).count();
                lr * power(self.gamma, passed as u64)
            }
            ScheduleKind::Exponential => lr * power(self.gamma, t),
            ScheduleKind::Cosine => {
                let span = total.saturating_sub(self.warmup).max(1);
                let phase = t.min(span) as f64 / span as f64;
                self.lr_min + (lr - self.lr_min) * (1.0 + cos_pi(phase)) * 0.5
            }
            ScheduleKind::Inverse => lr / (1.0 + self.decay * t as f64),
        }
    }

    /// The largest λ_t over t < `total` (the rate the stability of a run is bounded by).
    pub fn peak(&self, lr: f64, total: u64) -> f64 {
        // Every shape is monotone after the warm-up, and the warm-up rises to lr: the extremes
        // are at its ends.
        let mut peak = self.rate(lr, 0, total);
        if self.warmup > 0 {
            peak = peak.max(self.rate(lr, self.warmup - 1, total));
        }
        if total > self.warmup {
            peak = peak
                .max(self.rate(lr, self.warmup, total))
                .max(self.rate(lr, total - 1, total));
        }
        peak
    }

    /// The maximal runs of steps with one rate, each cut at the given `breaks` (increasing steps
    /// in (0, T]): `(rate, steps)` pairs covering 0 … T − 1 in order, with the index of each break
    /// a run ends at.
    pub fn runs(&self, lr: f64, total: u64, breaks: &[u64]) -> Vec<Run> {
        let mut runs = Vec::new();
        let mut breaks = breaks
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, b)| b > 0)
            .peekable();
        let mut t = 0;
        while t < total {
            let change = self.next_change(t, total).min(total);
            let (end, at_break) = match breaks.peek() {
                Some(&(index, at)) if at <= change => {
                    breaks.next();
                    (at, Some(index))
                }
                _ => (change, None),
            };
            runs.push(Run {
                rate: self.rate(lr, t, total),
                steps: end - t,
                ends_at_break: at_break,
            });
            t = end;
        }
        runs
    }

    /// The first step after `t` whose rate may differ from step t's (at most `total` when the
    /// rate stays).
    pub fn next_change(&self, t: u64, total: u64) -> u64 {
        if t < self.warmup || !self.is_constant_after_warmup() && self.kind != ScheduleKind::Step {
            return t + 1;
        }
        let after = t - self.warmup;
        match self.kind {
            ScheduleKind::Step => self
                .milestones
                .iter()
                .copied()
                .find(|&m| m > after)
                .map_or(total, |m| m + self.warmup),
            _ => total,
        }
    }
}

/// A run of steps at one rate (see [`Schedule::runs`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    /// λ during the run.
    pub rate: f64,
    /// Steps in the run (≥ 1).
    pub steps: u64,
    /// The index of the break the run ends at, if it ends at one.
    pub ends_at_break: Option<usize>,
}

impl fmt::Display for Schedule {
    /// A short description: `cosine to 0.01 after 100 warm-up steps`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::format_number as n;
        match self.kind {
            ScheduleKind::Constant => f.write_str("constant")?,
            ScheduleKind::Step => {
                let milestones: Vec<String> = self.milestones.iter().map(u64::to_string).collect();
                write!(f, "×{} at {}", n(self.gamma), milestones.join(", "))?;
            }
            ScheduleKind::Exponential => write!(f, "×{} per step", n(self.gamma))?,
            ScheduleKind::Cosine => write!(f, "cosine to {}", n(self.lr_min))?,
            ScheduleKind::Inverse => write!(f, "1/(1 + {}t)", n(self.decay))?,
        }
        if self.warmup > 0 {
            write!(f, ", {} warm-up steps", self.warmup)?;
        }
        Ok(())
    }
}

/// The listed steps of a curve of `points` points over T = `total` steps:
/// t_i = round(i·T/(n − 1)), i = 0 … n − 1, with n = min(points, T + 1) (points ≥ 2).
pub fn curve_times(total: u64, points: usize) -> Vec<u64> {
    let n = (points.max(2) as u64).min(total + 1);
    (0..n)
        .map(|i| {
            // round(i·T/(n−1)) in integers: ⌊(2iT + n − 1) / (2(n − 1))⌋.
            let numerator = 2 * u128::from(i) * u128::from(total) + u128::from(n - 1);
            (numerator / (2 * u128::from(n - 1))) as u64
        })
        .collect()
}

/// x^n by repeated squaring (+ − × ÷ only).
fn power(x: f64, mut n: u64) -> f64 {
    let mut base = x;
    let mut acc = 1.0;
    while n > 0 {
        if n & 1 == 1 {
            acc *= base;
        }
        base *= base;
        n >>= 1;
    }
    acc
}

/// cos(πx) for x in [0, 1], to ≈ 1 ulp, with + − × ÷ only (deterministic on every target).
pub fn cos_pi(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    let (sign, x) = if x > 0.5 { (-1.0, 1.0 - x) } else { (1.0, x) };
    // cos y for y = πx ∈ [0, π/2]: Taylor to y²⁴, remainder below (π/2)²⁶/26! < 1e-21.
    let y = std::f64::consts::PI * x;
    let y2 = y * y;
    let mut sum = 0.0;
    for n in (1..=12u32).rev() {
        // Horner in y²: 1 − y²/(2·1)(1 − y²/(4·3)(…)).
        let denominator = f64::from((2 * n) * (2 * n - 1));
        sum = y2 / denominator * (1.0 - sum);
    }
    sign * (1.0 - sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cos_pi_matches_the_library_cosine() {
        for i in 0..=1000 {
            let x = f64::from(i) / 1000.0;
            let exact = (std::f64::consts::PI * x).cos();
            assert!((cos_pi(x) - exact).abs() <= 4.0 * f64::EPSILON, "x = {x}");
        }
    }

    #[test]
    fn power_is_exact_for_small_integers() {
        assert_eq!(power(0.5, 10), 1.0 / 1024.0);
        assert_eq!(power(3.0, 0), 1.0);
    }

    #[test]
    fn runs_cover_every_step_and_end_at_breaks() {
        let schedule = Schedule {
            kind: ScheduleKind::Step,
            milestones: vec![30, 70],
            gamma: 0.5,
            ..Schedule::CONSTANT
        };
        let breaks = curve_times(100, 5);
        assert_eq!(breaks, vec![0, 25, 50, 75, 100]);
        let runs = schedule.runs(1.0, 100, &breaks);
        assert_eq!(runs.iter().map(|r| r.steps).sum::<u64>(), 100);
        let lengths: Vec<u64> = runs.iter().map(|r| r.steps).collect();
        assert_eq!(lengths, vec![25, 5, 20, 20, 5, 25]);
        let ends: Vec<Option<usize>> = runs.iter().map(|r| r.ends_at_break).collect();
        assert_eq!(ends, vec![Some(1), None, Some(2), None, Some(3), Some(4)]);
    }
}
