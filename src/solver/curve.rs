//! Exact expected-loss curves under a learning-rate schedule.
//!
//! For a scalar-λ optimizer every step's map z ↦ a(k; λ_t) z + b(λ_t) η is still a polynomial in
//! K, so K's eigenbasis still splits the problem: with white noise the second moment
//! M_ij = E[z_i z_jᵀ] of each pair of modes obeys M_ij ← a_i M_ij a_jᵀ + c̃_ij b bᵀ (the mean
//! needs no separate term: E[η] = 0), and
//!
//! E[L(w_t)] = ½Tr[K(Σ_t + μ_t μ_tᵀ)] = ½ Σ_i k_i (M_ii)₀₀,
//!
//! so the loss curve needs only the D diagonal pairs, and the final Σ_T all D² pairs (the dense
//! case only). The schedule is cut into runs of one rate ([`Schedule::runs`]); a run of n > 4
//! steps is jumped at once with (a_iⁿ, a_jⁿ, Σ_{s<n} a_iˢ b bᵀ a_jˢᵀ) built by binary doubling,
//! computed once per pair and distinct (rate, length) — so a constant or step schedule costs
//! O(D · runs), and only steps where λ changes are stepped one by one.
//!
//! The exact minibatch noise of linear regression (Eq. 28) couples the covariance to itself; its
//! curve iterates the exact moment recursion on the augmented system ([`super::minibatch`]).

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};

use super::modes::{Block, ModeDynamics};
use super::InitialState;
use crate::error::FieldError;
use crate::linalg::symmetrize;
use crate::model::{Conventions, Noise, Optimizer, Problem};
use crate::schedule::{curve_times, Run, Schedule};
use crate::sim::Start;

/// Runs of at most this many steps are stepped; longer ones are jumped.
const STEP_AT_MOST: u64 = 4;

/// Modes per block of the per-mode engine: the unit of work of a thread, of a slice of the page,
/// and of the summation order (blocks are summed in order, so the numbers do not depend on how
/// the blocks were shared out).
pub const MODE_BLOCK: usize = 512;

/// The expected loss at the listed steps.
#[derive(Clone, Debug, PartialEq)]
pub struct LossCurve {
    /// The listed steps t_i = round(i·T/(n − 1)).
    pub times: Vec<u64>,
    /// λ_t at each listed step (at t = T the schedule's formula, though no update uses it).
    pub rates: Vec<f64>,
    /// E[L(w_t)] − L(w*) at each listed step: ½Tr[K(Σ_t + μ_t μ_tᵀ)].
    pub train_loss: Vec<f64>,
}

/// A dense problem's curve and its final state.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledRun {
    /// The loss curve.
    pub curve: LossCurve,
    /// E[w_T].
    pub mean: DVector<f64>,
    /// Σ_T, the covariance of w_T.
    pub sigma: DMatrix<f64>,
    /// E[L(w_T)] − L(w*).
    pub train_loss: f64,
}

/// One block of modes' share of a per-mode run ([`ScheduledDynamics::modes`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ModeBlock {
    /// ½ Σ k_i (M_ii)₀₀ over the block's modes, at each listed step.
    pub loss: Vec<f64>,
    /// E[w̃_i] at T, per mode.
    pub mean: Vec<f64>,
    /// Var[w̃_i] at T, per mode.
    pub variance: Vec<f64>,
}

/// (a_iⁿ, a_jⁿ, Σ_{s<n} a_iˢ b bᵀ a_jˢᵀ) for a run of n steps.
#[derive(Clone, Copy, Debug)]
struct Jump {
    power_i: Block,
    power_j: Block,
    sum: Block,
}

/// A schedule turned into per-run mode dynamics, ready to evolve any pair of modes.
#[derive(Clone, Debug)]
pub struct ScheduledDynamics {
    runs: Vec<Run>,
    dynamics: Vec<ModeDynamics>,
    jump_of_run: Vec<Option<usize>>,
    jumps: usize,
    size: usize,
    times: Vec<u64>,
    rates: Vec<f64>,
}

impl ScheduledDynamics {
    /// The dynamics of `optimizer` under `conventions` with the rates of `schedule` (from the
    /// optimizer's learning rate) over `steps` steps, listing `points` points; `None` for an
    /// optimizer without a scalar learning rate (`precond`, `dnm`, `ngd`).
    pub fn new(
        optimizer: &Optimizer,
        conventions: &Conventions,
        schedule: &Schedule,
        steps: u64,
        points: usize,
    ) -> Option<Self> {
        let lr = optimizer.learning_rate()?;
        let times = curve_times(steps, points);
        let rates = times.iter().map(|&t| schedule.rate(lr, t, steps)).collect();
        let runs = schedule.runs(lr, steps, &times);
        let mut dynamics = Vec::with_capacity(runs.len());
        let mut jump_of_run = Vec::with_capacity(runs.len());
        let mut kinds: BTreeMap<(u64, u64), usize> = BTreeMap::new();
        let mut last: Option<(u64, ModeDynamics)> = None;
        for run in &runs {
            let bits = run.rate.to_bits();
            let run_dynamics = match last {
                Some((last_bits, last_dynamics)) if last_bits == bits => last_dynamics,
                _ => ModeDynamics::new(&optimizer.with_learning_rate(run.rate)?, conventions)?,
            };
            last = Some((bits, run_dynamics));
            dynamics.push(run_dynamics);
            jump_of_run.push((run.steps > STEP_AT_MOST).then(|| {
                let next = kinds.len();
                *kinds.entry((bits, run.steps)).or_insert(next)
            }));
        }
        let size = dynamics.first().map_or(1, |d| d.size);
        Some(Self {
            runs,
            dynamics,
            jump_of_run,
            jumps: kinds.len(),
            size,
            times,
            rates,
        })
    }

    /// The listed steps.
    pub fn times(&self) -> &[u64] {
        &self.times
    }

    /// λ_t at the listed steps.
    pub fn rates(&self) -> &[f64] {
        &self.rates
    }

    /// Evolves the pair (k_i, k_j) with noise c̃_ij from the second moment `start` and mode i's mean `mean`
    /// (state entries), calling `record(index, M)` at every listed step after 0. Returns M_T and
    /// mode i's mean at T.
    fn evolve(
        &self,
        (k_i, k_j, noise): (f64, f64, f64),
        start: Block,
        mean: [f64; 2],
        jumps: &mut Vec<Option<Jump>>,
        mut record: impl FnMut(usize, &Block),
    ) -> (Block, [f64; 2]) {
        jumps.clear();
        jumps.resize(self.jumps, None);
        let s = self.size;
        let mut m = start;
        let mut z = mean;
        for (index, run) in self.runs.iter().enumerate() {
            let dynamics = &self.dynamics[index];
            match self.jump_of_run[index] {
                Some(kind) => {
                    let jump = *jumps[kind]
                        .get_or_insert_with(|| Jump::new(dynamics, k_i, k_j, run.steps));
                    let moved = mul(&mul(&jump.power_i, &m, s), &transpose(&jump.power_j), s);
                    m = add_scaled(&moved, &jump.sum, noise, s);
                    z = apply(&jump.power_i, &z, s);
                }
                None => {
                    let a_i = dynamics.transition(k_i);
                    let a_j = if k_j.to_bits() == k_i.to_bits() {
                        a_i
                    } else {
                        dynamics.transition(k_j)
                    };
                    let b = dynamics.input();
                    let drive = outer(&b, &b, s);
                    for _ in 0..run.steps {
                        let moved = mul(&mul(&a_i, &m, s), &transpose(&a_j), s);
                        m = add_scaled(&moved, &drive, noise, s);
                        z = apply(&a_i, &z, s);
                    }
                }
            }
            if let Some(at) = run.ends_at_break {
                record(at, &m);
            }
        }
        (m, z)
    }

    /// The block of modes with eigenvalues `eigenvalues`, noise variances c̃_ii `noise` and
    /// starting points w̃₀ `start` (momentum 0, no spread): its share of the loss curve and its
    /// final means and variances. Modes run [`LANES`] at a time as a struct of arrays (the
    /// compiler vectorises the updates across modes), each with exactly its own arithmetic; the
    /// loss adds the modes in their order.
    pub fn modes(&self, eigenvalues: &[f64], noise: &[f64], start: &[f64]) -> ModeBlock {
        let mut loss = vec![0.0; self.times.len()];
        let mut mean = Vec::with_capacity(eigenvalues.len());
        let mut variance = Vec::with_capacity(eigenvalues.len());
        let mut jumps: Vec<Option<[SymmetricJump; LANES]>> = Vec::new();
        let count = eigenvalues.len().min(noise.len()).min(start.len());
        for first in (0..count).step_by(LANES) {
            let used = LANES.min(count - first);
            // A short last group repeats its first mode; those lanes are dropped.
            let lane = |l: usize| first + if l < used { l } else { 0 };
            let k: [f64; LANES] = std::array::from_fn(|l| eigenvalues[lane(l)]);
            let c: [f64; LANES] = std::array::from_fn(|l| noise[lane(l)]);
            let w0: [f64; LANES] = std::array::from_fn(|l| start[lane(l)]);
            // M = [[a, b], [b, d]] = E[z zᵀ] and z = E[(w̃, m̃)] per lane.
            let mut a: [f64; LANES] = std::array::from_fn(|l| w0[l] * w0[l]);
            let mut b = [0.0; LANES];
            let mut d = [0.0; LANES];
            let mut z0 = w0;
            let mut z1 = [0.0; LANES];
            for l in 0..used {
                loss[0] += 0.5 * k[l] * a[l];
            }
            jumps.clear();
            jumps.resize(self.jumps, None);
            for (index, run) in self.runs.iter().enumerate() {
                let dynamics = &self.dynamics[index];
                match self.jump_of_run[index] {
                    Some(kind) => {
                        let jump = jumps[kind].get_or_insert_with(|| {
                            std::array::from_fn(|l| {
                                SymmetricJump::from(Jump::new(dynamics, k[l], k[l], run.steps))
                            })
                        });
                        let p: [[f64; 4]; LANES] = std::array::from_fn(|l| jump[l].power);
                        let s: [[f64; 3]; LANES] = std::array::from_fn(|l| jump[l].sum);
                        for l in 0..LANES {
                            step_lane(
                                &p[l], &s[l], c[l], &mut a[l], &mut b[l], &mut d[l], &mut z0[l],
                                &mut z1[l],
                            );
                        }
                    }
                    None => {
                        let input = dynamics.input();
                        let drive = [
                            input[0] * input[0],
                            input[0] * input[1],
                            input[1] * input[1],
                        ];
                        let p: [[f64; 4]; LANES] = std::array::from_fn(|l| {
                            let t = dynamics.transition(k[l]);
                            [t[0][0], t[0][1], t[1][0], t[1][1]]
                        });
                        for _ in 0..run.steps {
                            for l in 0..LANES {
                                step_lane(
                                    &p[l], &drive, c[l], &mut a[l], &mut b[l], &mut d[l],
                                    &mut z0[l], &mut z1[l],
                                );
                            }
                        }
                    }
                }
                if let Some(at) = run.ends_at_break {
                    for l in 0..used {
                        loss[at] += 0.5 * k[l] * a[l];
                    }
                }
            }
            for l in 0..used {
                mean.push(z0[l]);
                variance.push(a[l] - z0[l] * z0[l]);
            }
        }
        ModeBlock {
            loss,
            mean,
            variance,
        }
    }

    /// The curve of blocks computed by [`Self::modes`], summed in block order.
    pub fn curve<'a>(&self, blocks: impl IntoIterator<Item = &'a ModeBlock>) -> LossCurve {
        let mut train_loss = vec![0.0; self.times.len()];
        for block in blocks {
            for (total, part) in train_loss.iter_mut().zip(&block.loss) {
                *total += part;
            }
        }
        LossCurve {
            times: self.times.clone(),
            rates: self.rates.clone(),
            train_loss,
        }
    }
}

impl Jump {
    fn new(dynamics: &ModeDynamics, k_i: f64, k_j: f64, steps: u64) -> Self {
        let s = dynamics.size;
        let a_i = dynamics.transition(k_i);
        let a_j = dynamics.transition(k_j);
        let b = dynamics.input();
        let identity = [[1.0, 0.0], [0.0, if s == 2 { 1.0 } else { 0.0 }]];
        let mut power_i = identity;
        let mut power_j = identity;
        let mut sum = [[0.0; 2]; 2];
        for bit in (0..64).rev() {
            if steps >> bit == 0 {
                continue;
            }
            // n → 2n: sum ← sum + a_iⁿ sum a_jⁿᵀ, powers squared.
            let moved = mul(&mul(&power_i, &sum, s), &transpose(&power_j), s);
            sum = add_scaled(&sum, &moved, 1.0, s);
            power_i = mul(&power_i, &power_i, s);
            power_j = mul(&power_j, &power_j, s);
            if (steps >> bit) & 1 == 1 {
                // n → n + 1: sum ← sum + (a_iⁿ b)(a_jⁿ b)ᵀ, powers times a.
                let term = outer(&apply(&power_i, &b, s), &apply(&power_j, &b, s), s);
                sum = add_scaled(&sum, &term, 1.0, s);
                power_i = mul(&power_i, &a_i, s);
                power_j = mul(&power_j, &a_j, s);
            }
        }
        Self {
            power_i,
            power_j,
            sum,
        }
    }
}

/// Modes run side by side by [`ScheduledDynamics::modes`].
const LANES: usize = 8;

/// A [`Jump`] of a mode with itself: aⁿ row-major and the symmetric noise sum (s₀₀, s₀₁, s₁₁).
#[derive(Clone, Copy, Debug)]
struct SymmetricJump {
    power: [f64; 4],
    sum: [f64; 3],
}

impl From<Jump> for SymmetricJump {
    fn from(jump: Jump) -> Self {
        let p = jump.power_i;
        SymmetricJump {
            power: [p[0][0], p[0][1], p[1][0], p[1][1]],
            sum: [jump.sum[0][0], jump.sum[0][1], jump.sum[1][1]],
        }
    }
}

/// One lane's M ← P M Pᵀ + c·S (M and S symmetric) and z ← P z. For SGD (s = 1) the unused
/// entries of P, S, M and z stay 0.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn step_lane(
    p: &[f64; 4],
    s: &[f64; 3],
    c: f64,
    a: &mut f64,
    b: &mut f64,
    d: &mut f64,
    z0: &mut f64,
    z1: &mut f64,
) {
    let q00 = p[0] * *a + p[1] * *b;
    let q01 = p[0] * *b + p[1] * *d;
    let q10 = p[2] * *a + p[3] * *b;
    let q11 = p[2] * *b + p[3] * *d;
    *a = q00 * p[0] + q01 * p[1] + c * s[0];
    *b = q00 * p[2] + q01 * p[3] + c * s[1];
    *d = q10 * p[2] + q11 * p[3] + c * s[2];
    let (y0, y1) = (p[0] * *z0 + p[1] * *z1, p[2] * *z0 + p[3] * *z1);
    *z0 = y0;
    *z1 = y1;
}

fn mul(a: &Block, b: &Block, s: usize) -> Block {
    if s == 1 {
        return [[a[0][0] * b[0][0], 0.0], [0.0, 0.0]];
    }
    [
        [
            a[0][0] * b[0][0] + a[0][1] * b[1][0],
            a[0][0] * b[0][1] + a[0][1] * b[1][1],
        ],
        [
            a[1][0] * b[0][0] + a[1][1] * b[1][0],
            a[1][0] * b[0][1] + a[1][1] * b[1][1],
        ],
    ]
}

fn transpose(a: &Block) -> Block {
    [[a[0][0], a[1][0]], [a[0][1], a[1][1]]]
}

fn add_scaled(a: &Block, b: &Block, scale: f64, s: usize) -> Block {
    let mut out = *a;
    for r in 0..s {
        for c in 0..s {
            out[r][c] += scale * b[r][c];
        }
    }
    out
}

fn outer(x: &[f64; 2], y: &[f64; 2], s: usize) -> Block {
    let mut out = [[0.0; 2]; 2];
    for r in 0..s {
        for c in 0..s {
            out[r][c] = x[r] * y[c];
        }
    }
    out
}

fn apply(a: &Block, x: &[f64; 2], s: usize) -> [f64; 2] {
    if s == 1 {
        return [a[0][0] * x[0], 0.0];
    }
    [
        a[0][0] * x[0] + a[0][1] * x[1],
        a[1][0] * x[0] + a[1][1] * x[1],
    ]
}

/// The exact curve and final state of a dense `problem` (K and C as matrices, or the exact
/// minibatch noise) under `schedule` over `steps` steps, listing `points` points, from `start`:
/// w₀ = 0, a point (one number stands for every coordinate), or the stationary state at the
/// base learning rate; momentum 0 unless stationary.
///
/// # Errors
/// A [`FieldError`] naming `opt` for an optimizer without a scalar learning rate (`precond`,
/// `dnm`, `ngd`) or Fisher noise, `start` for a point of another size or a stationary start
/// where the base learning rate has no stationary state.
pub fn scheduled(
    problem: &Problem,
    schedule: &Schedule,
    steps: u64,
    points: usize,
    start: &Start,
) -> Result<ScheduledRun, FieldError> {
    let unsupported = || {
        FieldError::new(
            "opt",
            problem.optimizer().name(),
            "sgd, sgdm, qhm or nesterov with noise=gauss or batch (a schedule scales a scalar \
             learning rate)",
        )
    };
    let dynamics = ScheduledDynamics::new(
        problem.optimizer(),
        problem.conventions(),
        schedule,
        steps,
        points,
    )
    .ok_or_else(unsupported)?;
    let d = problem.dimension();
    // The starting state relative to the minimum (0, or ŵ for regression).
    let minimum = match problem.noise() {
        Noise::Minibatch(batch) => batch.data.least_squares().clone(),
        _ => DVector::zeros(d),
    };
    let initial = match start {
        Start::Zero => InitialState {
            offset: Some(-&minimum),
            state_covariance: None,
        },
        Start::Point(point) if point.len() == d || point.len() == 1 => {
            let point = if point.len() == d {
                point.clone()
            } else {
                DVector::from_element(d, point[0])
            };
            InitialState {
                offset: Some(point - &minimum),
                state_covariance: None,
            }
        }
        Start::Point(point) => {
            return Err(FieldError::new(
                "start",
                point.len().to_string() + " numbers",
                format!("zero, stationary, one number or {d} numbers (D = {d})"),
            ))
        }
        Start::Stationary => {
            let stationary = super::stationary(problem).map_err(|divergence| {
                FieldError::new(
                    "start",
                    "stationary",
                    format!(
                        "zero or a point: the base learning rate has no stationary state ({})",
                        divergence.reason
                    ),
                )
            })?;
            InitialState {
                offset: Some(&stationary.mean - &minimum),
                state_covariance: Some(stationary.state_covariance),
            }
        }
    };
    match problem.noise() {
        Noise::Gaussian { covariance } => Ok(gaussian(problem, covariance, &dynamics, &initial)),
        Noise::Minibatch(batch) => {
            super::minibatch::scheduled(problem, batch, &dynamics, &initial).ok_or_else(unsupported)
        }
        Noise::Fisher { .. } => Err(unsupported()),
    }
}

fn gaussian(
    problem: &Problem,
    covariance: &DMatrix<f64>,
    dynamics: &ScheduledDynamics,
    initial: &InitialState,
) -> ScheduledRun {
    let eigen = problem.hessian_eigen();
    let d = eigen.values.len();
    let s = dynamics.size;
    let k = &eigen.values;
    let c_tilde = eigen.to_eigenbasis(covariance);
    let offset = initial
        .offset
        .as_ref()
        .map_or_else(|| DVector::zeros(d), |w| eigen.vectors.transpose() * w);
    // The initial state covariance in the eigenbasis, block (r, c) at [r][c].
    let spread: Option<Vec<Vec<DMatrix<f64>>>> = initial
        .state_covariance
        .as_ref()
        .filter(|p| p.nrows() == s * d)
        .map(|p| {
            (0..s)
                .map(|r| {
                    (0..s)
                        .map(|c| eigen.to_eigenbasis(&p.view((r * d, c * d), (d, d)).into_owned()))
                        .collect()
                })
                .collect()
        });
    let start = |i: usize, j: usize| -> Block {
        let mut m = [[0.0; 2]; 2];
        m[0][0] = offset[i] * offset[j];
        if let Some(spread) = &spread {
            for (r, row) in m.iter_mut().enumerate().take(s) {
                for (c, entry) in row.iter_mut().enumerate().take(s) {
                    *entry += spread[r][c][(i, j)];
                }
            }
        }
        m
    };
    let mut loss = vec![0.0; dynamics.times.len()];
    let mut second = DMatrix::zeros(d, d);
    let mut mean = DVector::zeros(d);
    let mut jumps = Vec::new();
    for i in 0..d {
        for j in i..d {
            let m0 = start(i, j);
            let diagonal = i == j;
            if diagonal {
                loss[0] += 0.5 * k[i] * m0[0][0];
            }
            let (m, z) = dynamics.evolve(
                (k[i], k[j], c_tilde[(i, j)]),
                m0,
                [offset[i], 0.0],
                &mut jumps,
                |at, m| {
                    if diagonal {
                        loss[at] += 0.5 * k[i] * m[0][0];
                    }
                },
            );
            second[(i, j)] = m[0][0];
            second[(j, i)] = m[0][0];
            if diagonal {
                mean[i] = z[0];
            }
        }
    }
    let sigma_tilde = &second - &mean * mean.transpose();
    let sigma = symmetrize(&eigen.from_eigenbasis(&sigma_tilde));
    let mean = &eigen.vectors * mean;
    let train_loss = loss.last().copied().unwrap_or(f64::NAN);
    ScheduledRun {
        curve: LossCurve {
            times: dynamics.times.clone(),
            rates: dynamics.rates.clone(),
            train_loss: loss,
        },
        mean,
        sigma,
        train_loss,
    }
}

impl ScheduledDynamics {
    /// The runs of one rate, with the listed steps they end at (for the minibatch recursion).
    pub(super) fn run_list(&self) -> &[Run] {
        &self.runs
    }
}

/// A scalar-λ optimizer on K = diag(k) given by its spectrum, with noise C = σ²·I + a·K
/// (commuting with K, so each mode is exact on its own): no D×D matrix anywhere.
#[derive(Clone, Debug)]
pub struct SpectralProblem {
    /// The optimizer (scalar learning rate).
    pub optimizer: Optimizer,
    /// The frameworks' conventions.
    pub conventions: Conventions,
    /// k_i, largest first.
    pub eigenvalues: Vec<f64>,
    /// σ² of C = σ²·I + a·K.
    pub noise_variance: f64,
    /// a of C = σ²·I + a·K.
    pub hessian_noise: f64,
    /// w₀ per mode (one number: the same for every mode).
    pub start: Vec<f64>,
}

/// The per-mode answer for a [`SpectralProblem`].
#[derive(Clone, Debug)]
pub struct SpectralSolution {
    /// The stability condition at the base rate (spectral radius over every mode).
    pub stability: super::Stability,
    /// Var[w̃_i] at stationarity per mode, or why there is none.
    pub stationary: Result<Vec<f64>, String>,
    /// ½ Σ k_i Var[w̃_i] at stationarity.
    pub stationary_loss: Option<f64>,
}

impl SpectralProblem {
    /// c̃_ii = σ² + a·k_i.
    pub fn noise(&self) -> Vec<f64> {
        self.eigenvalues
            .iter()
            .map(|k| self.noise_variance + self.hessian_noise * k)
            .collect()
    }

    /// w₀ of mode i.
    pub fn start_of(&self, i: usize) -> f64 {
        match self.start.len() {
            0 => 0.0,
            1 => self.start[0],
            _ => self.start.get(i).copied().unwrap_or(0.0),
        }
    }

    /// The stationary per-mode variances at the base learning rate.
    pub fn stationary(&self) -> Option<SpectralSolution> {
        let dynamics = ModeDynamics::new(&self.optimizer, &self.conventions)?;
        let k_max = self.eigenvalues.iter().copied().fold(f64::NAN, f64::max);
        let k_min = self.eigenvalues.iter().copied().fold(f64::NAN, f64::min);
        let ends = crate::linalg::SymmetricEigen::new(&DMatrix::from_diagonal(
            &DVector::from_row_slice(&[k_max, k_min]),
        ));
        let mut stability = super::scalar_stability(&self.optimizer, &dynamics, &ends);
        stability.spectral_radius = self
            .eigenvalues
            .iter()
            .map(|&k| dynamics.spectral_radius(k))
            .fold(stability.spectral_radius, f64::max);
        let noise = self.noise();
        let stationary = if stability.spectral_radius >= 1.0
            || stability.effective_curvature >= stability.threshold
        {
            Err(format!(
                "{}: {} = {} ≥ {} (spectral radius {})",
                "no stationary state",
                stability.condition.split(" < ").next().unwrap_or("λk*"),
                crate::config::format_number(stability.effective_curvature),
                crate::config::format_number(stability.threshold),
                crate::config::format_number(stability.spectral_radius)
            ))
        } else {
            self.eigenvalues
                .iter()
                .zip(&noise)
                .map(|(&k, &c)| dynamics.pair_gain(k, k).map(|gain| gain[0][0] * c))
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(|| "a mode sits exactly on the stability edge".to_string())
        };
        let stationary_loss = stationary.as_ref().ok().map(|variances| {
            0.5 * self
                .eigenvalues
                .iter()
                .zip(variances)
                .map(|(k, v)| k * v)
                .sum::<f64>()
        });
        Some(SpectralSolution {
            stability,
            stationary,
            stationary_loss,
        })
    }

    /// The modes in blocks of [`MODE_BLOCK`]: (eigenvalues, noise, start) slices.
    pub fn blocks(&self) -> Vec<std::ops::Range<usize>> {
        (0..self.eigenvalues.len())
            .step_by(MODE_BLOCK)
            .map(|start| start..(start + MODE_BLOCK).min(self.eigenvalues.len()))
            .collect()
    }

    /// Block `range` of the curve of `dynamics`.
    pub fn curve_block(
        &self,
        dynamics: &ScheduledDynamics,
        noise: &[f64],
        range: std::ops::Range<usize>,
    ) -> ModeBlock {
        let start: Vec<f64> = range.clone().map(|i| self.start_of(i)).collect();
        dynamics.modes(&self.eigenvalues[range.clone()], &noise[range], &start)
    }
}
