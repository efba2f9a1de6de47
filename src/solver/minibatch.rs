//! The exact minibatch theory for linear regression (Eq. 28), which the paper leaves open.
//!
//! With H_i = 2x_ix_iᵀ, b_i = 2x_i r_i and u = w − ŵ, the gradient noise of a minibatch has
//! covariance C(Σ) = f·[(1/N)Σ_i H_i Σ H_i − KΣK + (1/N)Σ_i b_i b_iᵀ] (f = 1/S with replacement,
//! (N−S)/((N−1)S) without; `ERRATA.md`), so the stationary state solves the *linear* generalized
//! Lyapunov equation P = A P Aᵀ + B C(P_ww) Bᵀ.
//!
//! Solution: for a scalar-λ optimizer the constant-noise engine gives Σ̃ = G ∘ C̃ in K's eigenbasis
//! (G the per-pair gains of [`super::modes`]). Substituting C̃(Σ̃) leaves D(D+1)/2 unknowns:
//! (I − F) vec Σ̃ = vec(G ∘ C̃₀), with F_{cd,ab} = f G_cd [T_{cd,ab} m_ab − k_c k_d δ],
//! T_{cd,ab} = (4/N)Σ_i x̃_ic x̃_id x̃_ia x̃_ib the data's fourth moments, m_ab = 2 off the diagonal.
//!
//! Stability: F is a positive map (PSD → PSD), so by the Krein–Rutman theorem ρ(F) < 1 iff
//! (I − F)Y = I has a positive-definite solution Y. That test is exact; the critical learning rate
//! is found by bisection on it.

use nalgebra::{DMatrix, DVector};

use super::modes::{all_pair_gains, ModeDynamics};
use super::reference::AugmentedSystem;
use super::{
    assemble_state, check, fmt_num, scalar_stability, Divergence, InitialState, Stability,
    Stationary, Transient,
};
use crate::linalg::{min_symmetric_eigenvalue, symmetrize, SymmetricEigen};
use crate::model::{Minibatch, Problem};

/// The data's quantities in K's eigenbasis, independent of the learning rate.
struct EigenData {
    /// Fourth-moment matrix T (m×m, m = D(D+1)/2), already multiplied by the covariance factor f.
    fourth: DMatrix<f64>,
    /// Constant part of C̃ (label noise), D×D.
    constant: DMatrix<f64>,
    /// The (a, b), a ≤ b, index pairs of the symmetric unknowns.
    pairs: Vec<(usize, usize)>,
}

impl EigenData {
    /// `mean_offset`: the stationary E[w] − ŵ when weight decay moves the mean (its terms
    /// f[(1/N)Σ(H_i m + b_i)(H_i m + b_i)ᵀ − K m mᵀ K] join the constant part); `None` for 0.
    fn new(batch: &Minibatch, eigen: &SymmetricEigen, mean_offset: Option<&DVector<f64>>) -> Self {
        let data = &batch.data;
        let n = data.len();
        let d = data.dimension();
        let factor = batch.covariance_factor();
        let x = data.inputs() * &eigen.vectors; // x̃_i as rows
        let pairs: Vec<(usize, usize)> = (0..d).flat_map(|a| (a..d).map(move |b| (a, b))).collect();
        // T = (4f/N) ZᵀZ with Z_{i,(a,b)} = x̃_ia x̃_ib, accumulated over blocks of samples so that
        // memory stays O(block · D²) whatever N.
        const BLOCK: usize = 4096;
        let mut fourth = DMatrix::<f64>::zeros(pairs.len(), pairs.len());
        for start in (0..n).step_by(BLOCK) {
            let rows = BLOCK.min(n - start);
            let z = DMatrix::from_fn(rows, pairs.len(), |i, p| {
                x[(start + i, pairs[p].0)] * x[(start + i, pairs[p].1)]
            });
            fourth += z.transpose() * &z;
        }
        fourth *= 4.0 * factor / n as f64;
        let mut weighted = x.clone();
        for i in 0..n {
            let r = data.residuals()[i];
            weighted.row_mut(i).scale_mut(r * r);
        }
        let constant = match mean_offset {
            Some(offset) => eigen.to_eigenbasis(
                &batch.noise_covariance(&(offset * offset.transpose()), Some(offset)),
            ),
            None => symmetrize(&(x.transpose() * weighted * (4.0 * factor / n as f64))),
        };
        Self {
            fourth,
            constant,
            pairs,
        }
    }
}

/// The reduced linear system for one learning rate: (I − F) and G.
struct Reduced {
    system: DMatrix<f64>,
    gain: DMatrix<f64>,
}

fn reduced_system(
    dynamics: &ModeDynamics,
    eigen: &SymmetricEigen,
    data: &EigenData,
    factor: f64,
) -> Option<(Reduced, Vec<Vec<DMatrix<f64>>>)> {
    let gains = all_pair_gains(dynamics, eigen.values.as_slice())?;
    let gain = gains[0][0].clone();
    let m = data.pairs.len();
    let k = &eigen.values;
    let mut system = DMatrix::<f64>::identity(m, m);
    for (row, &(c, d)) in data.pairs.iter().enumerate() {
        let g = gain[(c, d)];
        for (col, &(a, b)) in data.pairs.iter().enumerate() {
            let multiplicity = if a == b { 1.0 } else { 2.0 };
            let mut f = data.fourth[(row, col)] * multiplicity;
            if row == col {
                f -= factor * k[c] * k[d];
            }
            system[(row, col)] -= g * f;
        }
    }
    Some((Reduced { system, gain }, gains))
}

fn unpack(pairs: &[(usize, usize)], values: &DVector<f64>, d: usize) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(d, d);
    for (p, &(a, b)) in pairs.iter().enumerate() {
        out[(a, b)] = values[p];
        out[(b, a)] = values[p];
    }
    out
}

/// Whether the second-moment dynamics at this learning rate is stable (exact test, see module doc).
fn second_moment_stable(
    dynamics: &ModeDynamics,
    eigen: &SymmetricEigen,
    data: &EigenData,
    factor: f64,
) -> bool {
    let d = eigen.values.len();
    let Some((reduced, _)) = reduced_system(dynamics, eigen, data, factor) else {
        return false;
    };
    let identity = DVector::from_iterator(
        data.pairs.len(),
        data.pairs
            .iter()
            .map(|&(a, b)| if a == b { 1.0 } else { 0.0 }),
    );
    // Y = Σ_n F^n(G ∘ I)-like series; G ∘ I is positive definite (G_aa > 0 when stable).
    let rhs = DVector::from_iterator(
        data.pairs.len(),
        data.pairs
            .iter()
            .zip(identity.iter())
            .map(|(&(a, b), v)| reduced.gain[(a, b)] * v),
    );
    match reduced.system.lu().solve(&rhs) {
        Some(y) => {
            let y = unpack(&data.pairs, &y, d);
            y.iter().all(|v| v.is_finite()) && min_symmetric_eigenvalue(&y) > 0.0
        }
        None => false,
    }
}

/// The exact critical learning rate λ_c of the minibatch dynamics (largest λ with a stationary
/// second moment), by bisection to 1e-12 relative on the exact stability test.
pub fn critical_learning_rate(problem: &Problem, batch: &Minibatch) -> Option<f64> {
    let optimizer = problem.optimizer();
    let conventions = problem.conventions();
    let eigen = problem.hessian_eigen();
    let data = EigenData::new(batch, eigen, None);
    let factor = batch.covariance_factor();
    let base = ModeDynamics::new(optimizer, conventions)?;
    let det = scalar_stability(optimizer, &base, eigen);
    let lr = optimizer.learning_rate()?;
    let stable = |l: f64| {
        optimizer
            .with_learning_rate(l)
            .and_then(|at| ModeDynamics::new(&at, conventions))
            .is_some_and(|dynamics| second_moment_stable(&dynamics, eigen, &data, factor))
    };
    // The deterministic bound at this λ; with decoupled weight decay the bound itself depends on
    // λ, so widen the bracket until its top is unstable (at most 2⁶⁰ times).
    let mut hi = det.threshold * lr / det.effective_curvature;
    if !(hi.is_finite() && hi > 0.0) {
        return None;
    }
    let mut lo = 0.0;
    if stable(hi * (1.0 - 1e-12)) {
        if conventions.decays().1 == 0.0 {
            return Some(hi);
        }
        let mut widened = 0;
        while stable(hi) {
            lo = hi;
            hi *= 2.0;
            widened += 1;
            if widened > 60 {
                return None;
            }
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if stable(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    Some(lo)
}

/// Stationary state under exact minibatch noise.
pub(super) fn stationary(problem: &Problem, batch: &Minibatch) -> Result<Stationary, Divergence> {
    let optimizer = problem.optimizer();
    let eigen = problem.hessian_eigen();
    let d = problem.dimension();
    let Some(dynamics) = ModeDynamics::new(optimizer, problem.conventions()) else {
        return Err(Divergence {
            stability: Stability {
                effective_curvature: f64::NAN,
                threshold: f64::NAN,
                condition: String::new(),
                spectral_radius: f64::NAN,
            },
            reason: format!("opt={} is not supported with noise=batch", optimizer.name()),
        });
    };
    let deterministic = scalar_stability(optimizer, &dynamics, eigen);
    check(&deterministic)?;
    let mean = problem.stationary_mean();
    let offset = &mean - batch.data.least_squares();
    let shifted = offset.iter().any(|v| *v != 0.0);
    let data = EigenData::new(batch, eigen, shifted.then_some(&offset));
    let factor = batch.covariance_factor();
    let lr = optimizer.learning_rate().unwrap_or(1.0);
    let k_max = eigen.values.max();
    let exact_bound = |problem: &Problem| {
        critical_learning_rate(problem, batch).map_or(f64::NAN, |critical| critical * k_max)
    };
    let diverges = |reason: &str| {
        let threshold = exact_bound(problem);
        Divergence {
            reason: format!(
                "diverges: {reason}; λk* = {} is not below the exact minibatch bound {} (the paper's C ≈ K/S bound is {} = {})",
                fmt_num(lr * k_max),
                fmt_num(threshold),
                deterministic.condition.split(" < ").nth(1).unwrap_or("2(1+μ)"),
                fmt_num(deterministic.threshold)
            ),
            stability: Stability {
                effective_curvature: lr * k_max,
                threshold,
                condition: "λk* < exact minibatch bound".to_string(),
                spectral_radius: deterministic.spectral_radius,
            },
        }
    };
    if !second_moment_stable(&dynamics, eigen, &data, factor) {
        return Err(diverges(
            "the multiplicative minibatch noise makes the second moment grow without bound",
        ));
    }
    let Some((reduced, gains)) = reduced_system(&dynamics, eigen, &data, factor) else {
        return Err(diverges("the generalized Lyapunov equation is singular"));
    };
    let rhs = DVector::from_iterator(
        data.pairs.len(),
        data.pairs
            .iter()
            .map(|&(a, b)| reduced.gain[(a, b)] * data.constant[(a, b)]),
    );
    let Some(solution) = reduced.system.lu().solve(&rhs) else {
        return Err(diverges("the generalized Lyapunov equation is singular"));
    };
    let sigma_tilde = unpack(&data.pairs, &solution, d);
    // Total noise covariance in the eigenbasis at the solution, then every state block.
    let c_tilde = noise_in_eigenbasis(&data, &sigma_tilde, &eigen.values, factor);
    let (sigma, state) = assemble_state(dynamics.size, eigen, &gains, &c_tilde);
    let train_loss = problem.loss_above_minimum(&sigma);
    Ok(Stationary {
        mean,
        sigma,
        state_covariance: state,
        train_loss,
        stability: Stability {
            effective_curvature: lr * k_max,
            threshold: exact_bound(problem),
            condition: "λk* < exact minibatch bound".to_string(),
            spectral_radius: deterministic.spectral_radius,
        },
        preconditioner: None,
        noise_covariance: eigen.from_eigenbasis(&c_tilde),
    })
}

/// C̃(Σ̃) = C̃₀ + f[(4/N)Σ_i (x̃_iᵀΣ̃x̃_i) x̃_ix̃_iᵀ − K̃Σ̃K̃], via the precomputed fourth moments.
fn noise_in_eigenbasis(
    data: &EigenData,
    sigma_tilde: &DMatrix<f64>,
    k: &DVector<f64>,
    factor: f64,
) -> DMatrix<f64> {
    let d = sigma_tilde.nrows();
    let packed = DVector::from_iterator(
        data.pairs.len(),
        data.pairs
            .iter()
            .map(|&(a, b)| sigma_tilde[(a, b)] * if a == b { 1.0 } else { 2.0 }),
    );
    let fourth = unpack(&data.pairs, &(&data.fourth * packed), d);
    let mut c = &data.constant + fourth;
    for a in 0..d {
        for b in 0..d {
            c[(a, b)] -= factor * k[a] * k[b] * sigma_tilde[(a, b)];
        }
    }
    symmetrize(&c)
}

/// Finite-time second moments under minibatch noise, by iterating the exact moment recursion
/// M_{t+1} = A M_t Aᵀ + B C(M_t,ww, m_t) Bᵀ, m_{t+1} = A m_t on the augmented system. O(t·(sD)³):
/// meant for the small D of regression figures.
pub(super) fn transient(
    problem: &Problem,
    batch: &Minibatch,
    steps: u64,
    initial: &InitialState,
) -> Transient {
    let d = problem.dimension();
    let s = problem.optimizer().state_blocks();
    let Some(system) = AugmentedSystem::new(problem, None) else {
        let zero = DMatrix::zeros(d, d);
        return Transient {
            steps,
            mean: DVector::zeros(d),
            sigma: zero.clone(),
            state_covariance: DMatrix::zeros(s * d, s * d),
            train_loss: f64::NAN,
        };
    };
    // Moments of z = (u, m) with u = w − ŵ (what the noise depends on); the start is
    // `offset` away from the stationary mean, which weight decay moves off ŵ.
    let minimum = batch.data.least_squares();
    let mut mean = DVector::zeros(s * d);
    let mut start = problem.stationary_mean() - minimum;
    if let Some(offset) = &initial.offset {
        start += offset;
    }
    mean.rows_mut(0, d).copy_from(&start);
    let mut second = match &initial.state_covariance {
        Some(p) if p.nrows() == s * d => p.clone(),
        _ => DMatrix::zeros(s * d, s * d),
    } + &mean * mean.transpose();
    let a = &system.transition;
    let b = &system.input;
    let drive = system.drive(problem, minimum);
    let driven = drive.iter().any(|v| *v != 0.0);
    for _ in 0..steps {
        let m_w = mean.rows(0, d).into_owned();
        let noise = batch.noise_covariance(&second.view((0, 0), (d, d)).into_owned(), Some(&m_w));
        let mut next = a * &second * a.transpose() + b * noise * b.transpose();
        if driven {
            // E[(Az + e)(Az + e)ᵀ] = A M Aᵀ + (A m)eᵀ + e(A m)ᵀ + eeᵀ.
            let moved = a * &mean;
            next += &moved * drive.transpose()
                + &drive * moved.transpose()
                + &drive * drive.transpose();
            mean = moved + &drive;
        } else {
            mean = a * mean;
        }
        second = symmetrize(&next);
    }
    let state = symmetrize(&(&second - &mean * mean.transpose()));
    let sigma = state.view((0, 0), (d, d)).into_owned();
    let train_loss = 0.5 * (problem.hessian() * second.view((0, 0), (d, d))).trace();
    Transient {
        steps,
        mean: minimum + mean.rows(0, d),
        sigma,
        state_covariance: state,
        train_loss,
    }
}

/// The exact loss curve under a schedule: the moment recursion of [`transient`] with the
/// augmented system of each run's rate, from u₀ = `initial.offset` (w₀ − ŵ) and its spread.
/// `None` if some rate has no augmented system.
pub(super) fn scheduled(
    problem: &Problem,
    batch: &Minibatch,
    dynamics: &super::curve::ScheduledDynamics,
    initial: &InitialState,
) -> Option<super::curve::ScheduledRun> {
    let d = problem.dimension();
    let s = problem.optimizer().state_blocks();
    let minimum = batch.data.least_squares();
    let hessian = problem.hessian();
    let mut mean = DVector::zeros(s * d);
    if let Some(offset) = &initial.offset {
        mean.rows_mut(0, d).copy_from(offset);
    }
    let mut second = match &initial.state_covariance {
        Some(p) if p.nrows() == s * d => p.clone(),
        _ => DMatrix::zeros(s * d, s * d),
    } + &mean * mean.transpose();
    let loss_of = |second: &DMatrix<f64>| 0.5 * (hessian * second.view((0, 0), (d, d))).trace();
    let mut loss = vec![f64::NAN; dynamics.times().len()];
    loss[0] = loss_of(&second);
    let mut system: Option<(u64, AugmentedSystem, DVector<f64>)> = None;
    for run in dynamics.run_list() {
        let bits = run.rate.to_bits();
        if system.as_ref().map(|(b, _, _)| *b) != Some(bits) {
            let at_rate = problem
                .with_optimizer(problem.optimizer().with_learning_rate(run.rate)?)
                .ok()?;
            let augmented = AugmentedSystem::new(&at_rate, None)?;
            let drive = augmented.drive(&at_rate, minimum);
            system = Some((bits, augmented, drive));
        }
        let (_, augmented, drive) = system.as_ref()?;
        let (a, b) = (&augmented.transition, &augmented.input);
        let driven = drive.iter().any(|v| *v != 0.0);
        for _ in 0..run.steps {
            let m_w = mean.rows(0, d).into_owned();
            let noise =
                batch.noise_covariance(&second.view((0, 0), (d, d)).into_owned(), Some(&m_w));
            let mut next = a * &second * a.transpose() + b * noise * b.transpose();
            if driven {
                let moved = a * &mean;
                next += &moved * drive.transpose()
                    + drive * moved.transpose()
                    + drive * drive.transpose();
                mean = moved + drive;
            } else {
                mean = a * mean;
            }
            second = symmetrize(&next);
        }
        if let Some(at) = run.ends_at_break {
            loss[at] = loss_of(&second);
        }
    }
    let state = symmetrize(&(&second - &mean * mean.transpose()));
    let train_loss = loss.last().copied().unwrap_or(f64::NAN);
    Some(super::curve::ScheduledRun {
        curve: super::curve::LossCurve {
            times: dynamics.times().to_vec(),
            rates: dynamics.rates().to_vec(),
            train_loss: loss,
        },
        mean: minimum + mean.rows(0, d),
        sigma: state.view((0, 0), (d, d)).into_owned(),
        train_loss,
    })
}
