//! The simulated loss curve: each particle's loss ½(w − w*)ᵀK(w − w*) at the listed steps of a
//! schedule, summed so that the numbers do not depend on how the ensemble was split across
//! threads. Particles are summed in fixed chunks of [`CHUNK`] by their index in the whole
//! ensemble; a block of consecutive particles sums the chunks it holds whole and keeps the
//! losses of the chunks it shares with its neighbours, which [`LossSums::join`] completes in
//! particle order. One block, or any split, gives the same bits.

use nalgebra::{DMatrix, DVector};

use super::Ensemble;

/// Particles per summation chunk.
pub const CHUNK: usize = 256;

/// Sum, sum of squares and count of the live particles' losses of one chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Moments {
    sum: f64,
    squares: f64,
    count: usize,
}

impl Moments {
    fn of(values: &[f64]) -> Self {
        let mut m = Moments::default();
        for &v in values.iter().filter(|v| !v.is_nan()) {
            m.sum += v;
            m.squares += v * v;
            m.count += 1;
        }
        m
    }
}

/// One block's losses at one listed step: the losses before its first chunk boundary, the
/// moments of its whole chunks, and the losses after its last boundary (NaN: diverged).
#[derive(Clone, Debug, PartialEq)]
pub struct LossSums {
    head: Vec<f64>,
    chunks: Vec<Moments>,
    tail: Vec<f64>,
}

/// The mean loss over the live particles with its standard error (the particles' spread over
/// √n), and how many were live.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossEstimate {
    /// Mean of ½(w − w*)ᵀK(w − w*) over the live particles.
    pub mean: f64,
    /// Its standard error.
    pub stderr: f64,
    /// Live particles.
    pub live: usize,
}

impl LossSums {
    /// The losses of `block`, whose first particle is particle `offset` of the whole ensemble.
    pub fn of(
        block: &Ensemble,
        offset: usize,
        hessian: &DMatrix<f64>,
        minimum: &DVector<f64>,
    ) -> Self {
        let d = block.dimension();
        let mut deviation = DVector::zeros(d);
        let losses: Vec<f64> = (0..block.particles())
            .map(|p| {
                if block.is_diverged(p) {
                    return f64::NAN;
                }
                for (a, slot) in deviation.iter_mut().enumerate() {
                    *slot = block.weights()[p * d + a] - minimum[a];
                }
                0.5 * deviation.dot(&(hessian * &deviation))
            })
            .collect();
        let head_len = ((CHUNK - offset % CHUNK) % CHUNK).min(losses.len());
        let rest = &losses[head_len..];
        let whole = rest.len() / CHUNK * CHUNK;
        LossSums {
            head: losses[..head_len].to_vec(),
            chunks: rest[..whole].chunks(CHUNK).map(Moments::of).collect(),
            tail: rest[whole..].to_vec(),
        }
    }

    /// The estimate from the blocks of one ensemble, in their order.
    pub fn join(blocks: &[LossSums]) -> LossEstimate {
        let mut chunks: Vec<Moments> = Vec::new();
        let mut open: Vec<f64> = Vec::new();
        for block in blocks {
            open.extend_from_slice(&block.head);
            if !block.chunks.is_empty() {
                if !open.is_empty() {
                    chunks.push(Moments::of(&open));
                    open.clear();
                }
                chunks.extend_from_slice(&block.chunks);
            }
            if open.len() >= CHUNK {
                chunks.push(Moments::of(&open[..CHUNK]));
                open.drain(..CHUNK);
            }
            open.extend_from_slice(&block.tail);
            if open.len() >= CHUNK {
                chunks.push(Moments::of(&open[..CHUNK]));
                open.drain(..CHUNK);
            }
        }
        if !open.is_empty() {
            chunks.push(Moments::of(&open));
        }
        let mut total = Moments::default();
        for chunk in &chunks {
            total.sum += chunk.sum;
            total.squares += chunk.squares;
            total.count += chunk.count;
        }
        let n = total.count as f64;
        let mean = total.sum / n;
        let variance = if total.count > 1 {
            ((total.squares - n * mean * mean) / (n - 1.0)).max(0.0)
        } else {
            f64::NAN
        };
        LossEstimate {
            mean,
            stderr: (variance / n).sqrt(),
            live: total.count,
        }
    }
}
