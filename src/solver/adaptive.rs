//! Adam, AdamW and RMSprop near a minimum in the β₂ → 1 limit (our addition; derivation in
//! `docs/adam.md`).
//!
//! With β₂ → 1 the second-moment estimate v averages g² over 1/(1 − β₂) steps, so at stationarity
//! it concentrates at v = diag(E[g gᵀ]) = diag(K_g Σ K_g + C) (K_g = K + wd_c·I the Hessian the
//! gradient sees; the mean is 0 for the quadratic with Gaussian noise), and the bias corrections
//! are 1. With v frozen the method is linear: Adam and AdamW are preconditioned EMA momentum with
//! D = diag(1/(√v + ε)) (or 1/√(v + ε), `eps_mode=inside`), i.e. Corollary 3's heavy ball with
//! Λ = λ(1 − β₁)D and μ = β₁ (AdamW keeps its decay θ ← (1 − λ·wd)θ outside Λ); RMSprop is
//! Corollary 3 with Λ = λD and its own μ. Its stationary Σ(v) is exact (the preconditioned
//! Lyapunov solve of the parent module), and the stationary state is a fixed point
//!
//! v = F(v) := diag(K_g Σ(v) K_g + C),
//!
//! solved here by Newton's method on s = √v (Jacobian by finite differences, backtracking when a
//! trial v makes the frozen dynamics unstable), from several starts to report whether the fixed
//! point is unique. The slow dynamics of v (time scale 1/(1 − β₂)) is v̇ ∝ F(v) − v, so a fixed
//! point is reached by the real optimizer only if the eigenvalues of ∂F/∂v − I have negative
//! real parts (reported as `slow_stable`).
//!
//! The continuous-time (SDE) prediction, for comparison, is the λ → 0 limit at fixed β's, as in
//! Malladi, Lyu, Panigrahi & Arora, "On the SDEs and Scaling Rules for Adaptive Gradient
//! Algorithms" (NeurIPS 2022): v tracks the noise's diagonal, v = diag(C), and Σ solves the
//! Ornstein–Uhlenbeck Lyapunov equation (P K_g + λ·wd_d)Σ + Σ(K_g P + λ·wd_d) = P C P with
//! P = λD.

use nalgebra::{DMatrix, DVector};

use super::{reduced_stationary, Divergence, Stability, Stationary};
use crate::linalg::{symmetrize, SymmetricEigen};
use crate::model::{Adaptive, AdaptiveKind, Noise, Optimizer, Problem, ScalarRule};
use crate::solver::modes::ModeDynamics;

/// The measured gap between the real optimizer and the β₂ → 1 limit per unit of 1 − β₂: the
/// largest relative gap of the loss over the study of `docs/adam.md` (λk* ≤ 9.2, β₂ from 0.9 to
/// 0.999, 1-D and non-commuting 2-D), divided by 1 − β₂, rounded up.
pub const ADAPTIVE_GAP_PER_UNIT: f64 = 1.0;

/// The largest λk* of that study: beyond it the gap was not measured.
pub const ADAPTIVE_GAP_MEASURED_LRK: f64 = 9.2;

/// 1 − β₂ above which `solve` warns (the gap may then exceed `ADAPTIVE_GAP_PER_UNIT`·0.02 = 2%).
pub const ADAPTIVE_TRUSTED_GAP: f64 = 0.02;

/// Largest dimension the fixed-point solver accepts (each Newton step solves D + 1 frozen
/// problems of O(D³)).
pub const MAX_ADAPTIVE_DIMENSION: usize = 64;

/// Dimension up to which the fixed point is also searched from further starts (to report
/// whether it is unique).
const MULTI_START_DIMENSION: usize = 16;

/// Newton iterations per start before giving up.
const MAX_NEWTON_ITERATIONS: usize = 100;

/// Relative change of s between fixed points counted as distinct.
const DISTINCT_FIXED_POINTS: f64 = 1e-6;

/// The stationary state of Adam, AdamW or RMSprop in the β₂ → 1 limit, with how it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveStationary {
    /// Σ, the state covariance and the stability of the dynamics linearised with v frozen at the
    /// fixed point; `train_loss` is ½Tr[KΣ]; `preconditioner` is P = λ·diag(1/(√v + ε)).
    pub stationary: Stationary,
    /// v = diag(K_g Σ K_g + C) at the fixed point.
    pub second_moment: DVector<f64>,
    /// λ/(√vᵢ + ε) (or λ/√(vᵢ + ε)): the per-coordinate effective learning rates.
    pub effective_learning_rates: DVector<f64>,
    /// Newton iterations of the start that found the reported fixed point.
    pub iterations: usize,
    /// max |F(v) − v| / max v at the fixed point (round-off when converged).
    pub residual: f64,
    /// How many distinct fixed points the starts found (1 for every case we know).
    pub fixed_points: usize,
    /// How many starts were tried.
    pub starts: usize,
    /// Whether the slow dynamics of v is attracted to the fixed point (eigenvalues of
    /// ∂F/∂v − I with negative real parts).
    pub slow_stable: bool,
    /// The continuous-time (SDE) prediction of Σ (Malladi et al. 2022), `None` if its
    /// Lyapunov equation has no positive solution.
    pub sde_sigma: Option<DMatrix<f64>>,
    /// ½Tr[K Σ_SDE].
    pub sde_train_loss: Option<f64>,
}

/// What the frozen problem needs, taken once from the problem.
struct Frozen<'a> {
    lr: f64,
    method: Adaptive,
    hessian: &'a DMatrix<f64>,
    /// K_g = K + wd_c·I.
    gradient_hessian: DMatrix<f64>,
    noise: &'a DMatrix<f64>,
}

impl Frozen<'_> {
    /// P = λ·diag(1/(√v + ε)) from s = √v.
    fn effective_rates(&self, root: &DVector<f64>) -> DVector<f64> {
        root.map(|s| {
            self.lr
                / self
                    .method
                    .epsilon_placement
                    .denominator(s * s, self.method.epsilon)
        })
    }

    /// The exact stationary state with v = s² frozen.
    fn solve(&self, root: &DVector<f64>) -> Result<Stationary, Divergence> {
        let rates = self.effective_rates(root);
        let method = &self.method;
        let (_, decoupled) = method.decays();
        let mut out = match method.kind {
            AdaptiveKind::RmsProp => {
                let mu = method.momentum;
                let lambda = DMatrix::from_diagonal(&rates);
                let dynamics = ModeDynamics::momentum(1.0, mu);
                reduced_stationary(
                    &self.gradient_hessian,
                    self.noise,
                    &lambda,
                    &dynamics,
                    |k_max| (k_max, 2.0 * (1.0 + mu), "max eig(PK) < 2(1+μ)".to_string()),
                )?
            }
            AdaptiveKind::Adam | AdaptiveKind::AdamW => {
                let beta1 = method.beta1;
                // Corollary 3's heavy ball: Λ = λ(1 − β₁)D, μ = β₁; AdamW's decay stays outside Λ.
                let lambda = DMatrix::from_diagonal(&(&rates * (1.0 - beta1)));
                let dynamics = if decoupled > 0.0 {
                    ModeDynamics::from_rule(ScalarRule {
                        learning_rate: 1.0,
                        momentum: beta1,
                        has_momentum: true,
                        gradient_gain: 1.0,
                        direct: 0.0,
                        through: 1.0,
                        coupled_decay: 0.0,
                        decoupled_decay: self.lr * decoupled,
                    })
                } else {
                    ModeDynamics::momentum(1.0, beta1)
                };
                let threshold = match dynamics.rule() {
                    Some(rule) => rule.curvature_threshold(),
                    None => 2.0 * (1.0 + beta1),
                };
                let condition = if decoupled > 0.0 {
                    "max eig(PK) < the decoupled-decay bound of EMA momentum"
                } else {
                    "max eig(PK) < 2(1+β₁)/(1−β₁)"
                };
                reduced_stationary(
                    &self.gradient_hessian,
                    self.noise,
                    &lambda,
                    &dynamics,
                    |k_max| {
                        (
                            k_max / (1.0 - beta1),
                            threshold / (1.0 - beta1),
                            condition.to_string(),
                        )
                    },
                )?
            }
        };
        out.train_loss = 0.5 * (self.hessian * &out.sigma).trace();
        out.preconditioner = Some(DMatrix::from_diagonal(&rates));
        Ok(out)
    }

    /// G(s) = √diag(K_g Σ(s²) K_g + C), with the frozen solution.
    fn map(&self, root: &DVector<f64>) -> Result<(DVector<f64>, Stationary), Divergence> {
        let stationary = self.solve(root)?;
        let k = &self.gradient_hessian;
        let moment = k * &stationary.sigma * k + self.noise;
        let image = DVector::from_fn(root.len(), |i, _| moment[(i, i)].max(0.0).sqrt());
        Ok((image, stationary))
    }
}

/// The outcome of Newton's method from one start.
struct Root {
    root: DVector<f64>,
    stationary: Stationary,
    jacobian: DMatrix<f64>,
    iterations: usize,
    residual: f64,
}

/// The stationary state of an adaptive method in the β₂ → 1 limit.
///
/// # Errors
/// [`Divergence`] when no fixed point exists (noise that vanishes in some direction lets v
/// shrink until the frozen dynamics reaches its stability edge), when Newton's method does not
/// converge, or for a problem that is not an adaptive method with Gaussian noise of dimension
/// ≤ [`MAX_ADAPTIVE_DIMENSION`].
pub fn stationary(problem: &Problem) -> Result<AdaptiveStationary, Divergence> {
    solve(problem, None)
}

/// As [`stationary`], but one Newton run from the second moment `guess` (a neighbouring
/// solution's v, as a sweep over λ has), falling back to the safe start if the guess makes the
/// frozen dynamics unstable; `fixed_points` then counts that run only.
///
/// # Errors
/// As [`stationary`].
pub fn stationary_near(
    problem: &Problem,
    guess: &DVector<f64>,
) -> Result<AdaptiveStationary, Divergence> {
    solve(problem, Some(guess))
}

fn solve(
    problem: &Problem,
    guess: Option<&DVector<f64>>,
) -> Result<AdaptiveStationary, Divergence> {
    let fail = Divergence::without_stability;
    let (
        Optimizer::Adaptive {
            learning_rate,
            method,
        },
        Noise::Gaussian { covariance },
    ) = (problem.optimizer(), problem.noise())
    else {
        return Err(fail(format!(
            "opt={} with noise={} has no adaptive solver",
            problem.optimizer().name(),
            problem.noise().name()
        )));
    };
    let d = problem.dimension();
    if d > MAX_ADAPTIVE_DIMENSION {
        return Err(fail(format!(
            "the β₂ → 1 fixed point is solved for D ≤ {MAX_ADAPTIVE_DIMENSION} (here D = {d})"
        )));
    }
    let (coupled, decoupled) = method.decays();
    let decay = learning_rate * decoupled;
    if decay >= 2.0 {
        // θ ← (1 − λ·wd)θ alone already flips and grows, whatever v is.
        return Err(Divergence {
            stability: Stability {
                effective_curvature: decay,
                threshold: 2.0,
                condition: "λ·wd < 2 (AdamW's decoupled decay)".to_string(),
                spectral_radius: (1.0 - decay).abs(),
            },
            reason: format!(
                "diverges: AdamW's decay multiplies θ by 1 − λ·wd = {} each step, so |θ| grows \
                 whatever the second moment is (λ·wd must stay below 2)",
                super::fmt_num(1.0 - decay)
            ),
        });
    }
    let frozen = Frozen {
        lr: *learning_rate,
        method: *method,
        hessian: problem.hessian(),
        gradient_hessian: problem.hessian() + DMatrix::identity(d, d) * coupled,
        noise: covariance,
    };
    // A start where the frozen dynamics is surely stable: λ·‖K_g‖/s ≤ 1 (every threshold is ≥ 2),
    // and at least the noise's own scale.
    let k_norm = frozen
        .gradient_hessian
        .iter()
        .map(|x| x.abs())
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let safe = learning_rate * k_norm;
    let base = DVector::from_fn(d, |i, _| covariance[(i, i)].max(0.0).sqrt().max(safe));
    let near = guess
        .filter(|v| v.len() == d && v.iter().all(|x| x.is_finite() && *x >= 0.0))
        .map(|v| v.map(f64::sqrt))
        .filter(|s| frozen.solve(s).is_ok());
    let mut starts = vec![near.unwrap_or_else(|| base.clone())];
    if guess.is_none() && d <= MULTI_START_DIMENSION {
        starts.push(&base * 30.0);
        let noise_root = DVector::from_fn(d, |i, _| covariance[(i, i)].max(0.0).sqrt());
        if noise_root.iter().all(|s| *s > 0.0) && frozen.solve(&noise_root).is_ok() {
            starts.push(noise_root);
        }
    }
    let tried = starts.len();
    let mut found: Vec<Root> = Vec::new();
    let mut last_failure = None;
    for start in starts {
        let found_here =
            newton(&frozen, start.clone(), Form::Difference).or_else(|difference_failed| {
                newton(&frozen, start, Form::Ratio).map_err(|_| difference_failed)
            });
        match found_here {
            Ok(root) => {
                let distinct = found.iter().all(|other| {
                    let scale = other.root.amax().max(root.root.amax());
                    (&other.root - &root.root).amax() > DISTINCT_FIXED_POINTS * scale
                });
                if distinct {
                    found.push(root);
                }
            }
            Err(reason) => last_failure = Some(reason),
        }
    }
    if found.is_empty() {
        // Newton's method can stall where the fixed point sits close to the frozen dynamics'
        // stability edge; the slow dynamics of v itself (v ← v·(F(v)/v)^α, the average that
        // β₂ → 1 performs) is attracted to a slow-stable fixed point from anywhere stable, and
        // Newton then polishes where it stopped.
        if let Some(relaxed) = relax(&frozen, &base) {
            let polished = newton(&frozen, relaxed.clone(), Form::Ratio)
                .or_else(|_| newton(&frozen, relaxed, Form::Difference));
            match polished {
                Ok(root) => found.push(root),
                Err(reason) => last_failure = Some(reason),
            }
        }
    }
    if found.is_empty() {
        return Err(fail(
            last_failure.unwrap_or_else(|| "no fixed point found".to_string()),
        ));
    }
    let fixed_points = found.len();
    // Report the first slow-stable fixed point (the one the optimizer settles at), else the first.
    let stable: Vec<bool> = found
        .iter()
        .map(|root| slow_stable(&root.jacobian))
        .collect();
    let index = stable.iter().position(|&s| s).unwrap_or(0);
    let slow_stable = stable[index];
    let root = found.swap_remove(index);
    let second_moment = root.root.map(|s| s * s);
    let effective_learning_rates = frozen.effective_rates(&root.root);
    let (sde_sigma, sde_train_loss) = match sde_sigma(&frozen) {
        Some(sigma) => {
            let loss = 0.5 * (problem.hessian() * &sigma).trace();
            (Some(sigma), Some(loss))
        }
        None => (None, None),
    };
    Ok(AdaptiveStationary {
        stationary: root.stationary,
        second_moment,
        effective_learning_rates,
        iterations: root.iterations,
        residual: root.residual,
        fixed_points,
        starts: tried,
        slow_stable,
        sde_sigma,
        sde_train_loss,
    })
}

/// A residual with the frozen solution it came from, or why the frozen dynamics diverges there.
type Evaluated = Result<(DVector<f64>, Stationary), Divergence>;

/// What Newton's method drives to zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// r(s) = G(s) − s.
    Difference,
    /// r(s) = s/G(s) − 1, elementwise: next to the frozen dynamics' stability edge G grows like
    /// 1/distance, so s/G is smooth (about linear in the distance) where G − s is stiff.
    Ratio,
}

/// Newton's method on r(s) (`form`) from `start`, with a finite-difference Jacobian and
/// backtracking (a trial point must keep the frozen dynamics stable and s > 0, and lower max |r|).
/// The returned Jacobian is always that of G(s) − s (for the slow-stability test).
fn newton(frozen: &Frozen, start: DVector<f64>, form: Form) -> Result<Root, String> {
    let d = start.len();
    let residual_of = |s: &DVector<f64>| -> Evaluated {
        let (image, stationary) = frozen.map(s)?;
        let r = match form {
            Form::Difference => image - s,
            Form::Ratio => s.zip_map(&image, |s, g| s / g.max(f64::MIN_POSITIVE) - 1.0),
        };
        Ok((r, stationary))
    };
    let jacobian_of = |s: &DVector<f64>,
                       r: &DVector<f64>,
                       residual: &dyn Fn(&DVector<f64>) -> Evaluated|
     -> Result<DMatrix<f64>, String> {
        // By forward differences: the frozen problem is analytic in s on the stable side, where
        // every probe stays (a larger s is a smaller, more stable step).
        let mut jacobian = DMatrix::zeros(d, d);
        for j in 0..d {
            let h = 1e-7 * s[j].max(1e-300) + 1e-300;
            let mut probe = s.clone();
            probe[j] += h;
            let (rp, _) = residual(&probe).map_err(|e| e.reason)?;
            jacobian.set_column(j, &((rp - r) / h));
        }
        Ok(jacobian)
    };
    let mut s = start;
    let (mut r, mut stationary) = residual_of(&s).map_err(|e| {
        format!(
            "the start of the fixed-point search is unstable ({})",
            e.reason
        )
    })?;
    let scale_of = |s: &DVector<f64>| match form {
        Form::Difference => s.amax().max(f64::MIN_POSITIVE),
        Form::Ratio => 1.0,
    };
    let mut iterations = 0;
    let converged = loop {
        let scale = scale_of(&s);
        let norm = r.amax();
        if norm <= 4.0 * f64::EPSILON * scale * (d as f64).sqrt().max(1.0) {
            break true;
        }
        if iterations == MAX_NEWTON_ITERATIONS {
            break norm <= 1e-9 * scale;
        }
        let jacobian = jacobian_of(&s, &r, &residual_of)?;
        iterations += 1;
        let step = match jacobian.lu().solve(&(-&r)) {
            Some(step) if step.iter().all(|x| x.is_finite()) => step,
            _ => -&r,
        };
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let trial = DVector::from_fn(d, |i, _| (s[i] + alpha * step[i]).max(s[i] * 0.05));
            if let Ok((rt, st)) = residual_of(&trial) {
                if rt.amax() < (1.0 - 1e-4 * alpha) * norm || rt.amax() <= 1e-15 * scale {
                    s = trial;
                    r = rt;
                    stationary = st;
                    accepted = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !accepted {
            // No step lowers the residual: either it is at round-off, or at the precision the
            // frozen solve has next to the stability edge (Σ ∝ 1/distance to the edge, so its
            // relative error is ε/distance), where the Newton step itself has become tiny.
            let stagnated = norm <= 1e-6 * scale && step.amax() <= 1e-8 * s.amax();
            break norm <= 1e-9 * scale || stagnated;
        }
    };
    let (image, _) = frozen.map(&s).map_err(|e| e.reason)?;
    let difference = &image - &s;
    let residual = relative_residual(&s, &difference);
    if !converged {
        return Err(no_fixed_point(frozen, residual));
    }
    let difference_of = |s: &DVector<f64>| -> Evaluated {
        let (image, stationary) = frozen.map(s)?;
        Ok((image - s, stationary))
    };
    Ok(Root {
        jacobian: jacobian_of(&s, &difference, &difference_of)?,
        residual,
        root: s,
        stationary,
        iterations,
    })
}

/// The slow dynamics of v, stepped in log v: s ← s·(G(s)/s)^α, α halved for a step whose v
/// makes the frozen dynamics unstable and grown back after stable ones; the iterate with the
/// smallest residual if it is below 5% (close enough for Newton to polish), `None` otherwise.
fn relax(frozen: &Frozen, start: &DVector<f64>) -> Option<DVector<f64>> {
    let d = start.len();
    let iterations = if d <= 8 { 4000 } else { 400 };
    let mut s = start.clone();
    let (mut image, _) = frozen.map(&s).ok()?;
    let mut alpha: f64 = 0.5;
    let mut best: Option<(f64, DVector<f64>)> = None;
    for _ in 0..iterations {
        let residual = (&image - &s).amax() / s.amax().max(f64::MIN_POSITIVE);
        if best.as_ref().is_none_or(|(r, _)| residual < *r) {
            best = Some((residual, s.clone()));
        }
        if residual <= 1e-12 {
            break;
        }
        let trial = s.zip_map(&image, |s, g| {
            if s > 0.0 && g > 0.0 {
                s * (g / s).powf(alpha)
            } else {
                (1.0 - alpha) * s + alpha * g
            }
        });
        match frozen.map(&trial) {
            Ok((next, _)) => {
                s = trial;
                image = next;
                alpha = (alpha * 1.25).min(0.5);
            }
            Err(_) => {
                alpha *= 0.5;
                if alpha < 1e-9 {
                    break;
                }
            }
        }
    }
    best.filter(|(residual, _)| *residual <= 0.05)
        .map(|(_, s)| s)
}

/// max |F(v) − v| / max v from s and r = G(s) − s (F = G², v = s²).
fn relative_residual(s: &DVector<f64>, r: &DVector<f64>) -> f64 {
    let v_max = s.map(|x| x * x).amax().max(f64::MIN_POSITIVE);
    let gap = s
        .zip_map(r, |s, r| ((s + r) * (s + r) - s * s).abs())
        .amax();
    gap / v_max
}

fn no_fixed_point(frozen: &Frozen, relative: f64) -> String {
    let silent = (0..frozen.noise.nrows())
        .filter(|&i| frozen.noise[(i, i)] <= 0.0)
        .count();
    let hint = if silent > 0 {
        format!(
            " C has {silent} zero diagonal entr{}: v can shrink there until the dynamics with v \
             frozen reaches its stability edge, where real Adam oscillates instead of settling",
            if silent == 1 { "y" } else { "ies" }
        )
    } else {
        String::new()
    };
    format!(
        "diverges: no stationary state in the β₂ → 1 limit: the fixed point v = diag(K_g Σ K_g + C) \
         was not found (Newton stopped at a relative residual {relative:.3e}).{hint}"
    )
}

/// Whether every eigenvalue of ∂r/∂s = ∂G/∂s − I has a negative real part (the slow dynamics
/// of v, ṡ ∝ G(s) − s near the fixed point, is attracted to it). Without an eigen-solver: the
/// Cayley transform (I + J)(I − J)⁻¹ of J scaled to unit size maps Re λ < 0 to |·| < 1, and its
/// powers 2⁶⁴ (by squaring) vanish exactly when its spectral radius is below 1.
fn slow_stable(jacobian: &DMatrix<f64>) -> bool {
    let d = jacobian.nrows();
    if d == 0 {
        return true;
    }
    let scale = jacobian.amax();
    if !(scale.is_finite() && scale > 0.0) {
        return false;
    }
    let j = jacobian / scale;
    let eye = DMatrix::<f64>::identity(d, d);
    let Some(inverse) = (&eye - &j).lu().try_inverse() else {
        return false;
    };
    let mut power = (&eye + &j) * inverse;
    for _ in 0..64 {
        let size = power.amax();
        if !size.is_finite() || size > 1e100 {
            return false;
        }
        if size < 1e-100 {
            return true;
        }
        power = &power * &power;
    }
    power.amax() < 1.0
}

/// Σ of the continuous-time limit: v = diag(C), P = λ/(√v + ε) per coordinate, and
/// (P K_g + δ)Σ + Σ(K_g P + δ) = P C P with δ = λ·wd_d, solved in the basis of
/// P^{1/2} K_g P^{1/2}.
fn sde_sigma(frozen: &Frozen) -> Option<DMatrix<f64>> {
    let d = frozen.noise.nrows();
    let noise_root = DVector::from_fn(d, |i, _| frozen.noise[(i, i)].max(0.0).sqrt());
    let rates = frozen.effective_rates(&noise_root);
    let (_, decoupled) = frozen.method.decays();
    let delta = frozen.lr * decoupled;
    let root = DMatrix::from_diagonal(&rates.map(f64::sqrt));
    let reduced = SymmetricEigen::new(&symmetrize(&(&root * &frozen.gradient_hessian * &root)));
    let c = reduced.to_eigenbasis(&symmetrize(&(&root * frozen.noise * &root)));
    let mut sigma = DMatrix::zeros(d, d);
    for i in 0..d {
        for j in 0..d {
            let rate = reduced.values[i] + reduced.values[j] + 2.0 * delta;
            if rate <= 0.0 {
                return None;
            }
            sigma[(i, j)] = c[(i, j)] / rate;
        }
    }
    let sigma = reduced.from_eigenbasis(&sigma);
    Some(symmetrize(&(&root * sigma * &root)))
}

#[cfg(test)]
mod tests {
    use super::slow_stable;
    use nalgebra::DMatrix;

    /// The Cayley test agrees with the eigenvalues, which are known here: a stable focus
    /// (−0.01 ± 5i, nearly on the axis), a saddle, an unstable focus, a defective stable block
    /// (λ = −1 twice) and 1×1 cases on both sides of 0.
    #[test]
    fn the_cayley_test_finds_the_sign_of_the_real_parts() {
        let m = |rows: &[f64]| DMatrix::from_row_slice(2, 2, rows);
        assert!(slow_stable(&m(&[-0.01, 5.0, -5.0, -0.01])));
        assert!(!slow_stable(&m(&[0.5, 0.0, 0.0, -3.0])));
        assert!(!slow_stable(&m(&[0.01, 5.0, -5.0, 0.01])));
        assert!(slow_stable(&m(&[-1.0, 100.0, 0.0, -1.0])));
        assert!(slow_stable(&DMatrix::from_element(1, 1, -1e-3)));
        assert!(!slow_stable(&DMatrix::from_element(1, 1, 1e-3)));
        assert!(!slow_stable(&DMatrix::from_element(1, 1, 0.0)));
    }
}
