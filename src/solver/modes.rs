//! The eigenbasis engine for scalar-λ optimizers.
//!
//! For SGD, SGDM, QHM and Nesterov the augmented matrix A of `ERRATA.md` is a polynomial in K,
//! so in K's eigenbasis (K = U diag(k) Uᵀ) it splits into one s×s block a(k_i) per eigenvalue
//! (s = 1 for SGD, 2 for the momentum methods), and the input matrix B into a fixed s-vector b.
//! The discrete Lyapunov equation P = A P Aᵀ + B C Bᵀ then splits into D² independent systems,
//! one per pair of eigenvalues (i, j):
//!
//! X_ij = a_i X_ij a_jᵀ + c̃_ij b bᵀ,  with c̃ = Uᵀ C U,
//!
//! i.e. (I − a_j ⊗ a_i) vec X_ij = c̃_ij vec(b bᵀ): at most 4×4. This is exact (no iteration) and
//! costs O(D³) in all, dominated by the eigen-decomposition and the basis changes. To stay accurate
//! as λ → 0 the blocks are stored as n = I − a, so that I − a_j⊗a_i = n_j⊗I + I⊗n_i − n_j⊗n_i is
//! formed without cancellation.

use nalgebra::DMatrix;

use crate::model::{Conventions, Optimizer, PaperRule, ScalarRule};

/// Largest per-mode state size (w and m).
pub const MAX_BLOCK: usize = 2;

/// A small square matrix of the per-mode dynamics, s×s with s ≤ 2, stored in a 2×2 array.
pub type Block = [[f64; MAX_BLOCK]; MAX_BLOCK];

/// The per-eigenvalue dynamics of a scalar-λ optimizer: z ↦ a(k) z + b η.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeDynamics {
    /// Per-mode state size s: 1 for SGD (w), 2 for the momentum methods (w, m).
    pub size: usize,
    kind: ModeKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ModeKind {
    /// The paper's printed rules (and Nesterov's look-ahead form).
    Paper(PaperRule),
    /// The frameworks' rules ([`ScalarRule`]): θ-form Nesterov, weight decay, dampening, EMA.
    Rule(ScalarRule),
}

impl ModeDynamics {
    /// The per-mode dynamics of a scalar-λ optimizer under the paper's conventions (Nesterov
    /// reported as the frameworks' parameters θ); `None` for preconditioned methods.
    pub fn of(optimizer: &Optimizer) -> Option<Self> {
        Self::new(optimizer, &Conventions::PAPER)
    }

    /// The per-mode dynamics of a scalar-λ optimizer under `conventions`; `None` for
    /// preconditioned methods. The paper's own rules (and Nesterov's look-ahead form) keep their
    /// printed blocks; every other rule goes through [`ScalarRule`].
    pub fn new(optimizer: &Optimizer, conventions: &Conventions) -> Option<Self> {
        if !conventions.is_paper_rule(optimizer) {
            return ScalarRule::new(optimizer, conventions)
                .map(|rule| Self::from_kind(ModeKind::Rule(rule)));
        }
        PaperRule::of(optimizer).map(|rule| Self::from_kind(ModeKind::Paper(rule)))
    }

    /// Heavy-ball momentum with learning rate `lr` (the reduced form of every preconditioned method).
    pub fn momentum(lr: f64, mu: f64) -> Self {
        Self::from_kind(ModeKind::Paper(PaperRule::Momentum { lr, mu }))
    }

    /// The per-mode dynamics of a framework rule given directly (the reduced form of AdamW, whose
    /// decoupled decay stays outside the preconditioner).
    pub fn from_rule(rule: ScalarRule) -> Self {
        Self::from_kind(ModeKind::Rule(rule))
    }

    fn from_kind(kind: ModeKind) -> Self {
        let size = match kind {
            ModeKind::Paper(PaperRule::Sgd { .. }) => 1,
            ModeKind::Rule(rule) if !rule.has_momentum => 1,
            _ => 2,
        };
        Self { size, kind }
    }

    /// n(k) = I − a(k) for the eigenvalue k (rows of the augmented matrices in `ERRATA.md`).
    pub fn complement(&self, k: f64) -> Block {
        match self.kind {
            ModeKind::Paper(PaperRule::Sgd { lr }) => [[lr * k, 0.0], [0.0, 0.0]],
            // A = [[1−λk, −λμ], [k, μ]]
            ModeKind::Paper(PaperRule::Momentum { lr, mu }) => [[lr * k, lr * mu], [-k, 1.0 - mu]],
            // α = λ(1−μν); A = [[1−αk, −λνμ], [(1−μ)k, μ]]
            ModeKind::Paper(PaperRule::QuasiHyperbolic { lr, mu, nu }) => {
                let alpha = lr * (1.0 - mu * nu);
                [[alpha * k, lr * nu * mu], [-(1.0 - mu) * k, 1.0 - mu]]
            }
            // A = [[1−λk, −λμ(1−λk)], [k, μ(1−λk)]]
            ModeKind::Paper(PaperRule::Nesterov { lr, mu }) => [
                [lr * k, lr * mu * (1.0 - lr * k)],
                [-k, 1.0 - mu + mu * lr * k],
            ],
            // g = (k + wd_c)θ + η; m' = μm + cg; θ' = θ − λ(αg + βm') − λwd_dθ, so with
            // s = α + βc: A = [[1 − λwd_d − λs(k+wd_c), −λβμ], [c(k+wd_c), μ]].
            ModeKind::Rule(rule) => {
                let lr = rule.learning_rate;
                let k_g = k + rule.coupled_decay;
                let decay = lr * rule.decoupled_decay;
                [
                    [
                        decay + lr * rule.step_gain() * k_g,
                        lr * rule.through * rule.momentum,
                    ],
                    [-rule.gradient_gain * k_g, 1.0 - rule.momentum],
                ]
            }
        }
    }

    /// The framework rule behind these dynamics; `None` for the paper's own rules.
    pub fn rule(&self) -> Option<&ScalarRule> {
        match &self.kind {
            ModeKind::Rule(rule) => Some(rule),
            _ => None,
        }
    }

    /// a(k), the per-mode transition block.
    pub fn transition(&self, k: f64) -> Block {
        let n = self.complement(k);
        let mut a = [[0.0; MAX_BLOCK]; MAX_BLOCK];
        for (r, row) in a.iter_mut().enumerate().take(self.size) {
            for (c, entry) in row.iter_mut().enumerate().take(self.size) {
                *entry = if r == c { 1.0 } else { 0.0 } - n[r][c];
            }
        }
        a
    }

    /// b, the per-mode noise input (the same for every eigenvalue).
    pub fn input(&self) -> [f64; MAX_BLOCK] {
        match self.kind {
            ModeKind::Paper(PaperRule::Sgd { lr }) => [-lr, 0.0],
            ModeKind::Paper(PaperRule::Momentum { lr, .. } | PaperRule::Nesterov { lr, .. }) => {
                [-lr, 1.0]
            }
            ModeKind::Paper(PaperRule::QuasiHyperbolic { lr, mu, nu }) => {
                [-lr * (1.0 - mu * nu), 1.0 - mu]
            }
            ModeKind::Rule(rule) => [-rule.learning_rate * rule.step_gain(), rule.gradient_gain],
        }
    }

    /// Spectral radius of a(k).
    pub fn spectral_radius(&self, k: f64) -> f64 {
        let a = self.transition(k);
        if self.size == 1 {
            return a[0][0].abs();
        }
        let trace = a[0][0] + a[1][1];
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let disc = trace * trace - 4.0 * det;
        if disc >= 0.0 {
            let root = disc.sqrt();
            ((trace + root) * 0.5)
                .abs()
                .max(((trace - root) * 0.5).abs())
        } else {
            det.abs().sqrt()
        }
    }

    /// The solution X of X = a_i X a_jᵀ + b bᵀ for the pair (k_i, k_j): the stationary
    /// cross-covariance of modes i and j per unit of noise covariance c̃_ij. `None` when the pair
    /// system is singular (marginal stability).
    pub fn pair_gain(&self, k_i: f64, k_j: f64) -> Option<Block> {
        let s = self.size;
        let n_i = self.complement(k_i);
        let n_j = self.complement(k_j);
        let b = self.input();
        // Row-major vec: x[r*s + c] = X[r][c]. (a_i X a_jᵀ)[r][c] = Σ a_i[r][p] X[p][q] a_j[c][q].
        // The system matrix is I − a_i ⊗ a_j in this ordering; with a = I − n:
        // I − (I−n_i)⊗(I−n_j) = n_i⊗I + I⊗n_j − n_i⊗n_j.
        let m = s * s;
        let mut system = [[0.0; 4]; 4];
        let mut rhs = [0.0; 4];
        for r in 0..s {
            for c in 0..s {
                let row = r * s + c;
                rhs[row] = b[r] * b[c];
                for p in 0..s {
                    for q in 0..s {
                        let col = p * s + q;
                        let id_rp = if r == p { 1.0 } else { 0.0 };
                        let id_cq = if c == q { 1.0 } else { 0.0 };
                        system[row][col] =
                            n_i[r][p] * id_cq + id_rp * n_j[c][q] - n_i[r][p] * n_j[c][q];
                    }
                }
            }
        }
        let x = solve_small(&mut system, &mut rhs, m)?;
        let mut out = [[0.0; MAX_BLOCK]; MAX_BLOCK];
        for r in 0..s {
            for c in 0..s {
                out[r][c] = x[r * s + c];
            }
        }
        Some(out)
    }
}

/// Gaussian elimination with partial pivoting on an m×m system (m ≤ 4). `None` if singular.
fn solve_small(a: &mut [[f64; 4]; 4], b: &mut [f64; 4], m: usize) -> Option<[f64; 4]> {
    let scale = a
        .iter()
        .take(m)
        .flat_map(|r| r.iter().take(m))
        .fold(0.0_f64, |s, v| s.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    for col in 0..m {
        let pivot = (col..m).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= f64::EPSILON * scale * 1e-3 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..m {
            let factor = a[row][col] / a[col][col];
            if factor != 0.0 {
                for k in col..m {
                    a[row][k] -= factor * a[col][k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = [0.0; 4];
    for row in (0..m).rev() {
        let mut acc = b[row];
        for k in row + 1..m {
            acc -= a[row][k] * x[k];
        }
        x[row] = acc / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Per-pair gains of every block entry, as s×s matrices of D×D arrays: `gains[r][c][(i, j)]` is
/// X_ij\[r\]\[c\]. `None` if some pair system is singular.
pub fn all_pair_gains(
    dynamics: &ModeDynamics,
    eigenvalues: &[f64],
) -> Option<Vec<Vec<DMatrix<f64>>>> {
    let d = eigenvalues.len();
    let s = dynamics.size;
    let mut gains = vec![vec![DMatrix::zeros(d, d); s]; s];
    for i in 0..d {
        for j in i..d {
            let x = dynamics.pair_gain(eigenvalues[i], eigenvalues[j])?;
            for r in 0..s {
                for c in 0..s {
                    gains[r][c][(i, j)] = x[r][c];
                    // X_ji = X_ijᵀ.
                    gains[c][r][(j, i)] = x[r][c];
                }
            }
        }
    }
    Some(gains)
}

/// 4×4 matrix product helper for the doubling of transient solutions.
fn mat4_mul(a: &[[f64; 4]; 4], b: &[[f64; 4]; 4], m: usize) -> [[f64; 4]; 4] {
    let mut out = [[0.0; 4]; 4];
    for r in 0..m {
        for c in 0..m {
            let mut acc = 0.0;
            for k in 0..m {
                acc += a[r][k] * b[k][c];
            }
            out[r][c] = acc;
        }
    }
    out
}

fn mat4_add(a: &[[f64; 4]; 4], b: &[[f64; 4]; 4], m: usize) -> [[f64; 4]; 4] {
    let mut out = [[0.0; 4]; 4];
    for r in 0..m {
        for c in 0..m {
            out[r][c] = a[r][c] + b[r][c];
        }
    }
    out
}

impl ModeDynamics {
    /// After `steps` steps from X_ij(0) = `start`: X(t) = a_i^t X(0) (a_j^t)ᵀ + c Σ_{s<t} a_i^s b bᵀ (a_j^s)ᵀ,
    /// with `c` the pair's noise covariance c̃_ij. Exact for any stability (binary doubling of the
    /// Kronecker map; no stationary solution assumed).
    pub fn pair_transient(
        &self,
        k_i: f64,
        k_j: f64,
        steps: u64,
        start: &Block,
        noise: f64,
    ) -> Block {
        let s = self.size;
        let m = s * s;
        let a_i = self.transition(k_i);
        let a_j = self.transition(k_j);
        let b = self.input();
        // T = a_i ⊗ a_j in the row-major vec ordering.
        let mut t = [[0.0; 4]; 4];
        for r in 0..s {
            for c in 0..s {
                for p in 0..s {
                    for q in 0..s {
                        t[r * s + c][p * s + q] = a_i[r][p] * a_j[c][q];
                    }
                }
            }
        }
        let mut identity = [[0.0; 4]; 4];
        for (r, row) in identity.iter_mut().enumerate().take(m) {
            row[r] = 1.0;
        }
        // (power, sum) = (T^n, Σ_{s<n} T^s), built from the bits of `steps`, most significant first.
        let mut power = identity;
        let mut sum = [[0.0; 4]; 4];
        for bit in (0..64).rev() {
            if steps >> bit == 0 {
                continue;
            }
            // n → 2n: sum ← sum + T^n sum, power ← power².
            sum = mat4_add(&sum, &mat4_mul(&power, &sum, m), m);
            power = mat4_mul(&power, &power, m);
            if (steps >> bit) & 1 == 1 {
                // n → n+1: sum ← sum + T^n, power ← power T.
                sum = mat4_add(&sum, &power, m);
                power = mat4_mul(&power, &t, m);
            }
        }
        let mut out = [[0.0; MAX_BLOCK]; MAX_BLOCK];
        for r in 0..s {
            for c in 0..s {
                let row = r * s + c;
                let mut acc = 0.0;
                for p in 0..s {
                    for q in 0..s {
                        let col = p * s + q;
                        acc += power[row][col] * start[p][q] + noise * sum[row][col] * b[p] * b[q];
                    }
                }
                out[r][c] = acc;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_pair_gain_is_the_one_dimensional_formula() {
        // X = (1−λk)² X + λ²  ⇒  X = λ/(k(2−λk)).
        let dynamics = ModeDynamics::of(&Optimizer::Sgd { learning_rate: 1.5 }).unwrap();
        let x = dynamics.pair_gain(1.0, 1.0).unwrap();
        let exact = 1.5 / (2.0 - 1.5);
        assert!((x[0][0] - exact).abs() <= 1e-14 * exact);
    }

    #[test]
    fn transient_converges_to_the_stationary_gain() {
        let dynamics = ModeDynamics::of(&Optimizer::Momentum {
            learning_rate: 0.7,
            momentum: 0.6,
        })
        .unwrap();
        let stationary = dynamics.pair_gain(1.3, 0.4).unwrap();
        let zero = [[0.0; 2]; 2];
        let late = dynamics.pair_transient(1.3, 0.4, 100_000, &zero, 1.0);
        for r in 0..2 {
            for c in 0..2 {
                assert!(
                    (late[r][c] - stationary[r][c]).abs()
                        <= 1e-12 * stationary[r][c].abs().max(1.0)
                );
            }
        }
    }

    #[test]
    fn transient_matches_direct_iteration() {
        let dynamics = ModeDynamics::of(&Optimizer::Nesterov {
            learning_rate: 0.9,
            momentum: 0.5,
        })
        .unwrap();
        let (ki, kj) = (1.1, 0.3);
        let a_i = dynamics.transition(ki);
        let a_j = dynamics.transition(kj);
        let b = dynamics.input();
        let start = [[0.3, -0.1], [0.2, 0.5]];
        let mut x = start;
        for steps in 0..40u64 {
            let doubled = dynamics.pair_transient(ki, kj, steps, &start, 0.7);
            for r in 0..2 {
                for c in 0..2 {
                    assert!(
                        (doubled[r][c] - x[r][c]).abs() <= 1e-12 * (1.0 + x[r][c].abs()),
                        "step {steps}"
                    );
                }
            }
            let mut next = [[0.0; 2]; 2];
            for r in 0..2 {
                for c in 0..2 {
                    let mut acc = 0.7 * b[r] * b[c];
                    for p in 0..2 {
                        for q in 0..2 {
                            acc += a_i[r][p] * x[p][q] * a_j[c][q];
                        }
                    }
                    next[r][c] = acc;
                }
            }
            x = next;
        }
    }
}
