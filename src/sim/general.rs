//! The general path: the gradient oracle (Gaussian noise through a factor of C, or a sampled
//! minibatch of Eq. 28) and one step of every update rule, literally as printed.

use nalgebra::DMatrix;

use super::normal::{NormalStream, Ziggurat};
use crate::linalg::SymmetricEigen;
use crate::model::{MomentumForm, Optimizer, PaperRule, Problem};

/// The gradient oracle.
#[derive(Clone, Debug)]
pub(super) enum Oracle {
    /// g = K w + L ξ with L Lᵀ = C (row-major D×D each; `diagonal` when both are diagonal).
    Gaussian {
        hessian: Vec<f64>,
        noise_factor: Vec<f64>,
        diagonal: bool,
    },
    /// The sampled minibatch gradient of Eq. 28.
    Minibatch {
        inputs: Vec<f64>,
        targets: Vec<f64>,
        samples: usize,
        batch_size: usize,
        with_replacement: bool,
    },
}

/// A step as the frameworks document it (PyTorch's `torch.optim.SGD` algorithm, optax's
/// `add_decayed_weights`/`trace`/`ema`, Keras 3's decoupled `weight_decay`), written out
/// literally rather than from the engine's algebra:
/// g ← ∇L(θ) + η + wd_c·θ; the momentum's update and direction d; θ ← θ − λd − λ·wd_d·θ.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameworkStep {
    lr: f64,
    momentum: FrameworkMomentum,
    coupled_decay: f64,
    decoupled_decay: f64,
}

/// The momentum of a [`FrameworkStep`] (m ← …; d = …).
#[derive(Clone, Copy, Debug)]
pub(super) enum FrameworkMomentum {
    /// SGD: d = g.
    None,
    /// PyTorch: m ← μm + (1 − τ)g; d = m.
    HeavyBall { mu: f64, dampening: f64 },
    /// optax.ema: m ← βm + (1 − β)g; d = m.
    Ema { beta: f64 },
    /// PyTorch/optax/Keras Nesterov: m ← μm + g; d = g + μm.
    Nesterov { mu: f64 },
    /// QHM, Eq. 53: m ← μm + (1 − μ)g; d = (1 − ν)g + νm.
    QuasiHyperbolic { mu: f64, nu: f64 },
}

impl FrameworkStep {
    pub(super) fn of(problem: &Problem) -> Option<Self> {
        let conventions = problem.conventions();
        let optimizer = problem.optimizer();
        if conventions.is_paper_rule(optimizer) {
            return None;
        }
        let (coupled_decay, decoupled_decay) = conventions.decays();
        let momentum = match *optimizer {
            Optimizer::Sgd { .. } => FrameworkMomentum::None,
            Optimizer::Momentum { momentum, .. } => match conventions.momentum_form {
                MomentumForm::Ema => FrameworkMomentum::Ema { beta: momentum },
                MomentumForm::HeavyBall => FrameworkMomentum::HeavyBall {
                    mu: momentum,
                    dampening: conventions.dampening,
                },
            },
            Optimizer::QuasiHyperbolic { momentum, nu, .. } => {
                FrameworkMomentum::QuasiHyperbolic { mu: momentum, nu }
            }
            Optimizer::Nesterov { momentum, .. } => FrameworkMomentum::Nesterov { mu: momentum },
            _ => return None,
        };
        Some(Self {
            lr: optimizer.learning_rate()?,
            momentum,
            coupled_decay,
            decoupled_decay,
        })
    }

    /// One coordinate's step: the new (θ_a, m_a) from θ_a, m_a and the noisy gradient ∇L + η.
    #[inline(always)]
    pub(super) fn apply(&self, theta: f64, m: f64, noisy_gradient: f64) -> (f64, f64) {
        let g = noisy_gradient + self.coupled_decay * theta;
        let (m, direction) = match self.momentum {
            FrameworkMomentum::None => (m, g),
            FrameworkMomentum::HeavyBall { mu, dampening } => {
                let m = mu * m + (1.0 - dampening) * g;
                (m, m)
            }
            FrameworkMomentum::Ema { beta } => {
                let m = beta * m + (1.0 - beta) * g;
                (m, m)
            }
            FrameworkMomentum::Nesterov { mu } => {
                let m = mu * m + g;
                (m, g + mu * m)
            }
            FrameworkMomentum::QuasiHyperbolic { mu, nu } => {
                let m = mu * m + (1.0 - mu) * g;
                (m, (1.0 - nu) * g + nu * m)
            }
        };
        (
            theta - self.lr * direction - self.lr * self.decoupled_decay * theta,
            m,
        )
    }
}

/// The update rule, with the constants it needs.
#[derive(Clone, Debug)]
pub(super) enum Update {
    /// The paper's printed rules (Nesterov in Sutskever's look-ahead form).
    Paper(PaperRule),
    /// The frameworks' rules (θ-form Nesterov, weight decay, dampening, EMA momentum).
    Framework(FrameworkStep),
    /// w ← w − Λ m (row-major D×D Λ).
    Preconditioned { lambda: Vec<f64>, mu: f64 },
}

impl Update {
    /// Sets the scalar learning rate λ (a schedule's λ_t); `false` for a preconditioned rule.
    pub(super) fn set_learning_rate(&mut self, rate: f64) -> bool {
        match self {
            Update::Paper(
                PaperRule::Sgd { lr }
                | PaperRule::Momentum { lr, .. }
                | PaperRule::QuasiHyperbolic { lr, .. }
                | PaperRule::Nesterov { lr, .. },
            ) => *lr = rate,
            Update::Framework(step) => step.lr = rate,
            Update::Preconditioned { .. } => return false,
        }
        true
    }

    /// Whether the rule carries a momentum buffer m (all but plain SGD, with or without decay).
    pub(super) fn has_momentum(&self) -> bool {
        !matches!(
            self,
            Update::Paper(PaperRule::Sgd { .. })
                | Update::Framework(FrameworkStep {
                    momentum: FrameworkMomentum::None,
                    ..
                })
        )
    }
}

pub(super) fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    let mut out = Vec::with_capacity(m.len());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// L with L Lᵀ = C for a PSD C: Cholesky when it factors, else U diag(√max(λ,0)).
pub(super) fn psd_factor(c: &DMatrix<f64>) -> DMatrix<f64> {
    match c.clone().cholesky() {
        Some(ch) => ch.l(),
        None => {
            let eigen = SymmetricEigen::new(c);
            let d = c.nrows();
            DMatrix::from_fn(d, d, |i, j| {
                eigen.vectors[(i, j)] * eigen.values[j].max(0.0).sqrt()
            })
        }
    }
}

pub(super) fn gaussian_oracle(hessian: &DMatrix<f64>, covariance: &DMatrix<f64>) -> Oracle {
    let factor = psd_factor(covariance);
    let is_diagonal = |m: &DMatrix<f64>| {
        (0..m.nrows()).all(|i| (0..m.ncols()).all(|j| i == j || m[(i, j)] == 0.0))
    };
    Oracle::Gaussian {
        diagonal: is_diagonal(hessian) && is_diagonal(&factor),
        hessian: row_major(hessian),
        noise_factor: row_major(&factor),
    }
}

/// Per-particle-loop work buffers.
pub(super) struct Scratch {
    gradient: Vec<f64>,
    noise: Vec<f64>,
    lookahead: Vec<f64>,
    /// Index permutation for sampling without replacement (restored after each step).
    permutation: Vec<usize>,
    swaps: Vec<(usize, usize)>,
}

impl Scratch {
    pub(super) fn new(d: usize, oracle: &Oracle) -> Self {
        let permutation = match oracle {
            Oracle::Minibatch {
                samples,
                with_replacement: false,
                ..
            } => (0..*samples).collect(),
            _ => Vec::new(),
        };
        Self {
            gradient: vec![0.0; d],
            noise: vec![0.0; d],
            lookahead: vec![0.0; d],
            permutation,
            swaps: Vec::new(),
        }
    }
}

/// g ← ∇L(at) + η: the gradient the optimizer sees.
#[inline(always)]
pub(super) fn gradient(
    oracle: &Oracle,
    zig: &Ziggurat,
    rng: &mut NormalStream,
    at: &[f64],
    scratch: &mut Scratch,
) {
    let Scratch {
        gradient: out,
        noise,
        permutation: scratch_perm,
        swaps,
        ..
    } = scratch;
    let d = at.len();
    match oracle {
        Oracle::Gaussian {
            hessian,
            noise_factor,
            diagonal,
        } => {
            if *diagonal {
                for a in 0..d {
                    out[a] = hessian[a * d + a] * at[a] + noise_factor[a * d + a] * rng.normal(zig);
                }
            } else {
                for v in noise.iter_mut() {
                    *v = rng.normal(zig);
                }
                for a in 0..d {
                    let row = a * d;
                    let mut acc = 0.0;
                    for b in 0..d {
                        acc += hessian[row + b] * at[b] + noise_factor[row + b] * noise[b];
                    }
                    out[a] = acc;
                }
            }
        }
        Oracle::Minibatch {
            inputs,
            targets,
            samples,
            batch_size,
            with_replacement,
        } => {
            out.iter_mut().for_each(|v| *v = 0.0);
            let n = *samples as u64;
            let add = |i: usize, out: &mut [f64]| {
                let x = &inputs[i * d..(i + 1) * d];
                let residual = x.iter().zip(at).map(|(a, b)| a * b).sum::<f64>() - targets[i];
                for (o, xa) in out.iter_mut().zip(x) {
                    *o += 2.0 * xa * residual;
                }
            };
            if *with_replacement {
                for _ in 0..*batch_size {
                    add(rng.index_below(n) as usize, out);
                }
            } else {
                // Partial Fisher–Yates, undone afterwards so the permutation is the identity again.
                swaps.clear();
                for k in 0..*batch_size {
                    let j = k + rng.index_below(n - k as u64) as usize;
                    scratch_perm.swap(k, j);
                    swaps.push((k, j));
                    add(scratch_perm[k], out);
                }
                for &(k, j) in swaps.iter().rev() {
                    scratch_perm.swap(k, j);
                }
            }
            let s = *batch_size as f64;
            out.iter_mut().for_each(|v| *v /= s);
        }
    }
}

/// One step of the optimizer, literally as printed.
#[inline(always)]
pub(super) fn step_once(
    update: &Update,
    oracle: &Oracle,
    zig: &Ziggurat,
    rng: &mut NormalStream,
    w: &mut [f64],
    m: &mut [f64],
    s: &mut Scratch,
) {
    let d = w.len();
    match update {
        // Eq. 6: w_t = w_{t−1} − λ g_t.
        Update::Paper(PaperRule::Sgd { lr }) => {
            gradient(oracle, zig, rng, w, s);
            let g = &s.gradient;
            for a in 0..d {
                w[a] -= lr * g[a];
            }
        }
        // Eq. 10: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − λ m_t.
        Update::Paper(PaperRule::Momentum { lr, mu }) => {
            gradient(oracle, zig, rng, w, s);
            let g = &s.gradient;
            for a in 0..d {
                m[a] = mu * m[a] + g[a];
                w[a] -= lr * m[a];
            }
        }
        // Eq. 53: m_t = μ m_{t−1} + (1−μ) g_t; w_t = w_{t−1} − λ[(1−ν) g_t + ν m_t].
        Update::Paper(PaperRule::QuasiHyperbolic { lr, mu, nu }) => {
            gradient(oracle, zig, rng, w, s);
            let g = &s.gradient;
            for a in 0..d {
                m[a] = mu * m[a] + (1.0 - mu) * g[a];
                w[a] -= lr * ((1.0 - nu) * g[a] + nu * m[a]);
            }
        }
        // Nesterov (our addition): the gradient at the look-ahead w − λμm.
        Update::Paper(PaperRule::Nesterov { lr, mu }) => {
            for a in 0..d {
                s.lookahead[a] = w[a] - lr * mu * m[a];
            }
            let lookahead = std::mem::take(&mut s.lookahead);
            gradient(oracle, zig, rng, &lookahead, s);
            s.lookahead = lookahead;
            let g = &s.gradient;
            for a in 0..d {
                m[a] = mu * m[a] + g[a];
                w[a] -= lr * m[a];
            }
        }
        // The frameworks' documented step, coordinate by coordinate.
        Update::Framework(step) => {
            gradient(oracle, zig, rng, w, s);
            let g = &s.gradient;
            if m.is_empty() {
                for a in 0..d {
                    w[a] = step.apply(w[a], 0.0, g[a]).0;
                }
            } else {
                for a in 0..d {
                    (w[a], m[a]) = step.apply(w[a], m[a], g[a]);
                }
            }
        }
        // Corollary 3: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − Λ m_t.
        Update::Preconditioned { lambda, mu } => {
            gradient(oracle, zig, rng, w, s);
            let g = &s.gradient;
            for a in 0..d {
                m[a] = mu * m[a] + g[a];
            }
            for a in 0..d {
                let mut acc = 0.0;
                for b in 0..d {
                    acc += lambda[a * d + b] * m[b];
                }
                w[a] -= acc;
            }
        }
    }
}
