//! The general path: the gradient oracle (Gaussian noise through a factor of C, or a sampled
//! minibatch of Eq. 28) and one step of every update rule, literally as printed. (The main
//! crate's `sim::setup` builds the oracle and the rule from a validated problem.)

use crate::normal::{NormalStream, Ziggurat};

/// The gradient oracle.
#[derive(Clone, Debug)]
pub enum Oracle {
    /// g = K w + L ξ with L Lᵀ = C (row-major D×D each; `diagonal` when both are diagonal).
    Gaussian {
        /// K, row-major D×D.
        hessian: Vec<f64>,
        /// L with L Lᵀ = C, row-major D×D.
        noise_factor: Vec<f64>,
        /// Whether K and L are both diagonal (the diagonal fast path applies in 1-D and 2-D).
        diagonal: bool,
    },
    /// The sampled minibatch gradient of Eq. 28.
    Minibatch {
        /// The data's inputs x_i, row-major N×D.
        inputs: Vec<f64>,
        /// The data's targets y_i (N).
        targets: Vec<f64>,
        /// N.
        samples: usize,
        /// S.
        batch_size: usize,
        /// Whether the minibatch is drawn with replacement.
        with_replacement: bool,
    },
}

/// The paper's scalar-λ rules as printed (the main crate's `conventions::PaperRule`, whose
/// plain-data copy this is: the simulator's kernels do not depend on the main crate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PaperRule {
    /// Eq. 6: w_t = w_{t−1} − λ g_t.
    Sgd {
        /// λ.
        lr: f64,
    },
    /// Eq. 10: m_t = μ m_{t−1} + g_t; w_t = w_{t−1} − λ m_t.
    Momentum {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
    },
    /// Eq. 53: m_t = μ m_{t−1} + (1−μ) g_t; w_t = w_{t−1} − λ[(1−ν) g_t + ν m_t].
    QuasiHyperbolic {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
        /// ν.
        nu: f64,
    },
    /// Sutskever's look-ahead form: the gradient at w − λμm, then as SGDM.
    Nesterov {
        /// λ.
        lr: f64,
        /// μ.
        mu: f64,
    },
}

/// A step as the frameworks document it (PyTorch's `torch.optim.SGD` algorithm, optax's
/// `add_decayed_weights`/`trace`/`ema`, Keras 3's decoupled `weight_decay`), written out
/// literally rather than from the engine's algebra:
/// g ← ∇L(θ) + η + wd_c·θ; the momentum's update and direction d; θ ← θ − λd − λ·wd_d·θ.
#[derive(Clone, Copy, Debug)]
pub struct FrameworkStep {
    /// λ.
    pub lr: f64,
    /// The momentum's update and direction.
    pub momentum: FrameworkMomentum,
    /// wd_c, the decay added to the gradient.
    pub coupled_decay: f64,
    /// wd_d, the decay applied to θ beside the step.
    pub decoupled_decay: f64,
}

/// The momentum of a [`FrameworkStep`] (m ← …; d = …).
#[derive(Clone, Copy, Debug)]
pub enum FrameworkMomentum {
    /// SGD: d = g.
    None,
    /// PyTorch: m ← μm + (1 − τ)g; d = m.
    HeavyBall {
        /// μ.
        mu: f64,
        /// τ.
        dampening: f64,
    },
    /// optax.ema: m ← βm + (1 − β)g; d = m.
    Ema {
        /// β.
        beta: f64,
    },
    /// PyTorch/optax/Keras Nesterov: m ← μm + g; d = g + μm.
    Nesterov {
        /// μ.
        mu: f64,
    },
    /// QHM, Eq. 53: m ← μm + (1 − μ)g; d = (1 − ν)g + νm.
    QuasiHyperbolic {
        /// μ.
        mu: f64,
        /// ν.
        nu: f64,
    },
}

impl FrameworkStep {
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

/// Adam, AdamW or RMSprop as PyTorch's `torch.optim` runs them (single-tensor path), elementwise,
/// with optax's variants (ε under the root, RMSprop's bias correction) behind flags:
///
/// ```text
/// g ← ∇L(θ) + η + wd_c·θ
/// Adam/AdamW: θ ← θ(1 − λ·wd_d); m ← lerp(m, g, 1 − β₁); v ← β₂v + ((1 − β₂)g)·g;
///             θ ← θ − (λ/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε)
/// RMSprop:    v ← β₂v + (1 − β₂)g·g; centered: ḡ ← lerp(ḡ, g, 1 − β₂), a = √(v − ḡ²), else √v;
///             a ← a + ε; with μ > 0: b ← μb + g/a, θ ← θ − λb; else θ ← θ − λ·g/a
/// ```
///
/// (`lerp` is PyTorch's: s + w(e − s) for w < ½, e − (e − s)(1 − w) otherwise; `addcmul` and
/// `addcdiv` associate as ATen's CPU kernels do, self + (value·a)·b and self + (value·a)/b, so
/// every operation is PyTorch's in float64, in its order.) With ε inside,
/// the denominator is √(v̂ + ε). The bias-correction powers are computed by squaring (+ − × ÷
/// only), so every target gives the same bits.
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveStep {
    /// λ.
    pub lr: f64,
    /// Which method.
    pub rule: AdaptiveRule,
    /// β₂ (RMSprop's α).
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// ε under the root (optax's rmsprop default).
    pub eps_inside: bool,
    /// wd_c, added to the gradient (Adam, RMSprop).
    pub coupled_decay: f64,
    /// wd_d, θ ← θ(1 − λ·wd_d) (AdamW).
    pub decoupled_decay: f64,
    /// Divide by 1 − βᵗ at step t (off: the corrections are 1, as after infinitely many steps).
    pub bias_correction: bool,
}

/// The method of an [`AdaptiveStep`].
#[derive(Clone, Copy, Debug)]
pub enum AdaptiveRule {
    /// Adam and AdamW, with β₁.
    Adam {
        /// β₁.
        beta1: f64,
    },
    /// RMSprop.
    RmsProp {
        /// Heavy-ball momentum μ of the normalised gradient (0: none).
        momentum: f64,
        /// Divide by the root of v − ḡ².
        centered: bool,
    },
}

/// PyTorch's `lerp`: start + weight·(end − start), computed from the nearer end.
#[inline(always)]
fn lerp(start: f64, end: f64, weight: f64) -> f64 {
    if weight < 0.5 {
        start + weight * (end - start)
    } else {
        end - (end - start) * (1.0 - weight)
    }
}

/// 1 − βᵗ with βᵗ by repeated squaring (the same bits on every target).
#[inline(always)]
fn bias_factor(beta: f64, t: u64) -> f64 {
    let (mut base, mut exponent, mut power) = (beta, t, 1.0);
    while exponent > 0 {
        if exponent & 1 == 1 {
            power *= base;
        }
        base *= base;
        exponent >>= 1;
    }
    1.0 - power
}

impl AdaptiveStep {
    /// Whether the method carries a first-moment (Adam) or momentum (RMSprop, μ > 0) buffer.
    pub fn has_buffer(&self) -> bool {
        match self.rule {
            AdaptiveRule::Adam { .. } => true,
            AdaptiveRule::RmsProp { momentum, .. } => momentum > 0.0,
        }
    }

    /// Whether the method keeps the average gradient ḡ (centered RMSprop).
    pub fn is_centered(&self) -> bool {
        matches!(self.rule, AdaptiveRule::RmsProp { centered: true, .. })
    }

    /// The denominator from the second moment v̂ (already bias-corrected when ε is inside).
    #[inline(always)]
    fn denominator(&self, root_or_moment: f64) -> f64 {
        if self.eps_inside {
            (root_or_moment + self.eps).sqrt()
        } else {
            root_or_moment.sqrt() + self.eps
        }
    }

    /// One step of every coordinate at step number t (from 1).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        t: u64,
        theta: &mut [f64],
        buffer: &mut [f64],
        second: &mut [f64],
        average: &mut [f64],
        gradient: &[f64],
    ) {
        let (beta2, lr) = (self.beta2, self.lr);
        match self.rule {
            AdaptiveRule::Adam { beta1 } => {
                let (correction1, correction2) = if self.bias_correction {
                    (bias_factor(beta1, t), bias_factor(beta2, t))
                } else {
                    (1.0, 1.0)
                };
                let step_size = lr / correction1;
                let root2 = correction2.sqrt();
                for a in 0..theta.len() {
                    let g = gradient[a] + self.coupled_decay * theta[a];
                    if self.decoupled_decay != 0.0 {
                        theta[a] *= 1.0 - lr * self.decoupled_decay;
                    }
                    buffer[a] = lerp(buffer[a], g, 1.0 - beta1);
                    // addcmul_(g, g, value = 1 − β₂): v + ((1 − β₂)·g)·g, as ATen associates it.
                    second[a] = second[a] * beta2 + (1.0 - beta2) * g * g;
                    let denom = if self.eps_inside {
                        (second[a] / correction2 + self.eps).sqrt()
                    } else {
                        second[a].sqrt() / root2 + self.eps
                    };
                    // addcdiv_(m, denom, value = −step_size): θ + (−step_size·m)/denom.
                    theta[a] += (-step_size * buffer[a]) / denom;
                }
            }
            AdaptiveRule::RmsProp { momentum, centered } => {
                let correction = if self.bias_correction {
                    bias_factor(beta2, t)
                } else {
                    1.0
                };
                for a in 0..theta.len() {
                    let g = gradient[a] + self.coupled_decay * theta[a];
                    second[a] = second[a] * beta2 + (1.0 - beta2) * g * g;
                    let moment = if centered {
                        average[a] = lerp(average[a], g, 1.0 - beta2);
                        let mean = average[a] / correction;
                        second[a] / correction - mean * mean
                    } else {
                        second[a] / correction
                    };
                    let avg = self.denominator(moment);
                    if momentum > 0.0 {
                        buffer[a] = buffer[a] * momentum + g / avg;
                        theta[a] += -lr * buffer[a];
                    } else {
                        theta[a] += (-lr * g) / avg;
                    }
                }
            }
        }
    }
}

/// The update rule, with the constants it needs.
#[derive(Clone, Debug)]
pub enum Update {
    /// The paper's printed rules (Nesterov in Sutskever's look-ahead form).
    Paper(PaperRule),
    /// The frameworks' rules (θ-form Nesterov, weight decay, dampening, EMA momentum).
    Framework(FrameworkStep),
    /// w ← w − Λ m.
    Preconditioned {
        /// Λ, row-major D×D.
        lambda: Vec<f64>,
        /// μ.
        mu: f64,
    },
    /// Adam, AdamW, RMSprop (state: the buffer in `momenta`, v and ḡ in their own arrays).
    Adaptive(AdaptiveStep),
}

impl Update {
    /// Sets the scalar learning rate λ (a schedule's λ_t); `false` for a preconditioned rule.
    pub fn set_learning_rate(&mut self, rate: f64) -> bool {
        match self {
            Update::Paper(
                PaperRule::Sgd { lr }
                | PaperRule::Momentum { lr, .. }
                | PaperRule::QuasiHyperbolic { lr, .. }
                | PaperRule::Nesterov { lr, .. },
            ) => *lr = rate,
            Update::Framework(step) => step.lr = rate,
            Update::Adaptive(step) => step.lr = rate,
            Update::Preconditioned { .. } => return false,
        }
        true
    }

    /// Whether the rule carries a momentum buffer m (all but plain SGD, with or without decay).
    pub fn has_momentum(&self) -> bool {
        match self {
            Update::Adaptive(step) => step.has_buffer(),
            _ => !matches!(
                self,
                Update::Paper(PaperRule::Sgd { .. })
                    | Update::Framework(FrameworkStep {
                        momentum: FrameworkMomentum::None,
                        ..
                    })
            ),
        }
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

/// A particle's state beside w: the momentum m, an adaptive method's v and ḡ, and the step's
/// number t (from 1).
pub(super) struct ParticleState<'a> {
    /// m (empty for rules without momentum).
    pub(super) momentum: &'a mut [f64],
    /// v.
    pub(super) second: &'a mut [f64],
    /// ḡ (centered RMSprop; empty otherwise).
    pub(super) average: &'a mut [f64],
    /// t.
    pub(super) step: u64,
}

/// One step of the optimizer, literally as printed.
#[inline(always)]
pub(super) fn step_once(
    update: &Update,
    oracle: &Oracle,
    zig: &Ziggurat,
    rng: &mut NormalStream,
    w: &mut [f64],
    state: &mut ParticleState,
    s: &mut Scratch,
) {
    let d = w.len();
    let m = &mut *state.momentum;
    match update {
        Update::Adaptive(step) => {
            gradient(oracle, zig, rng, w, s);
            step.apply(state.step, w, m, state.second, state.average, &s.gradient);
        }
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
