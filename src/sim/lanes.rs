//! Many particles' random streams advanced together, one particle per lane, so that the compiler
//! can vectorise the generator across particles (SSE2 natively, `simd128` on wasm32) without
//! changing a single number of any particle's own sequence.
//!
//! - [`StreamLanes`] holds `N` Xoshiro256++ states as a struct of arrays and fills blocks of
//!   normals, lane = particle, each lane exactly as [`NormalStream::fill`] would: the same words,
//!   the same paired 32-bit halves, the same spare. The ziggurat's rectangle test (≈ 99% of
//!   halves) runs on all lanes at once; a half that misses takes the scalar wedge/tail path on its
//!   own lane's generator, in the order the scalar sampler would.
//! - [`jump`] is Xoshiro256++'s 2¹²⁸ jump as a table-driven GF(2) matrix product: the same state
//!   as `Xoshiro256PlusPlus::jump`, several times faster (an ensemble jumps once per particle).

use std::convert::Infallible;
use std::sync::OnceLock;

use rand::TryRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::normal::{generator_from_words, generator_words, half_position, NormalStream, Ziggurat};

/// `N` particles' streams, struct of arrays: `state[k][lane]` is word k of lane's generator.
#[derive(Clone, Debug)]
pub(crate) struct StreamLanes<const N: usize> {
    state: [[u64; N]; 4],
    spare: [Option<u64>; N],
}

impl<const N: usize> StreamLanes<N> {
    /// Loads the streams (at most `N`); missing lanes copy the first stream (their output is
    /// to be ignored). Returns `None` for no streams.
    pub(crate) fn load<'a>(streams: impl IntoIterator<Item = &'a NormalStream>) -> Option<Self> {
        const { assert!(N <= 64, "lanes are bits of a u64 mask") };
        let mut state = [[0u64; N]; 4];
        let mut spare = [None; N];
        let mut loaded = 0;
        for (lane, stream) in streams.into_iter().take(N).enumerate() {
            let (words, s) = stream.to_parts();
            for k in 0..4 {
                state[k][lane] = words[k];
            }
            spare[lane] = s;
            loaded += 1;
        }
        if loaded == 0 {
            return None;
        }
        for lane in loaded..N {
            for k in 0..4 {
                state[k][lane] = state[k][0];
            }
            spare[lane] = spare[0];
        }
        Some(Self { state, spare })
    }

    /// Lane `lane`'s stream as it stands now.
    pub(crate) fn stream(&self, lane: usize) -> NormalStream {
        NormalStream::from_parts(self.words(lane), self.spare[lane])
    }

    fn words(&self, lane: usize) -> [u64; 4] {
        [
            self.state[0][lane],
            self.state[1][lane],
            self.state[2][lane],
            self.state[3][lane],
        ]
    }

    fn set_words(&mut self, lane: usize, words: [u64; 4]) {
        for k in 0..4 {
            self.state[k][lane] = words[k];
        }
    }

    /// Fills `out` (`out[j][lane]`): each lane's next `out.len()` normals, exactly those of
    /// [`NormalStream::fill`] on that lane's stream.
    pub(crate) fn fill(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        let with_spare = self.spare[0].is_some();
        if self.spare.iter().any(|s| s.is_some() != with_spare) {
            // Lanes out of step (never the case in an ensemble, whose particles all draw the same
            // number of normals): one lane at a time.
            let mut column = vec![0.0; out.len()];
            for lane in 0..N {
                let mut stream = self.stream(lane);
                stream.fill(zig, &mut column);
                for (row, value) in out.iter_mut().zip(&column) {
                    row[lane] = *value;
                }
                let (words, spare) = stream.to_parts();
                self.set_words(lane, words);
                self.spare[lane] = spare;
            }
            return;
        }
        let mut rest = out;
        if with_spare {
            let Some((first, tail)) = rest.split_first_mut() else {
                return;
            };
            for lane in 0..N {
                first[lane] = self.spare[lane].take().map_or(0.0, f64::from_bits);
            }
            rest = tail;
        }
        let even = rest.len() & !1;
        let (pairs, last) = rest.split_at_mut(even);
        self.fill_pairs(zig, pairs);
        if let [last] = last {
            let mut pair = [[0.0; N]; 2];
            self.fill_pairs(zig, &mut pair);
            *last = pair[0];
            for lane in 0..N {
                self.spare[lane] = Some(pair[1][lane].to_bits());
            }
        }
    }

    /// Fills `out` (an even number of rows) with [`Ziggurat::sample_pair`] draws, two rows per
    /// generator word.
    ///
    /// The loops over lanes are written for LLVM's loop vectoriser (the state stays in memory,
    /// `state[k][lane]`; with 16 lanes the loops are kept as loops and vectorised, whereas fully
    /// unrolled small ones are left scalar).
    #[inline(always)]
    fn fill_pairs(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        let edges = zig.edges();
        for rows in out.chunks_exact_mut(2) {
            let [first, second] = rows else {
                continue;
            };
            // Blackman & Vigna's xoshiro256++ `next`, on every lane.
            let mut word = [0u64; N];
            let [s0, s1, s2, s3] = &mut self.state;
            for k in 0..N {
                word[k] = s0[k]
                    .wrapping_add(s3[k])
                    .rotate_left(23)
                    .wrapping_add(s0[k]);
                let t = s1[k] << 17;
                s2[k] ^= s0[k];
                s3[k] ^= s1[k];
                s1[k] ^= s2[k];
                s0[k] ^= s3[k];
                s2[k] ^= t;
                s3[k] = s3[k].rotate_left(45);
            }
            // The rectangle test of each half (Ziggurat::sample_pair's fast path).
            // Lanes whose pair missed a rectangle, as bits of a register (not a bool array:
            // byte stores reloaded as a vector stall store forwarding).
            let mut missed = 0u64;
            for k in 0..N {
                let low = word[k] as u32;
                let high = (word[k] >> 32) as u32;
                let (i, j) = ((low & 0xff) as usize, (high & 0xff) as usize);
                first[k] = half_position(low) * edges[i];
                second[k] = half_position(high) * edges[j];
                // (Never NaN: ≥ is "not <".)
                let miss = (first[k].abs() >= edges[i + 1]) | (second[k].abs() >= edges[j + 1]);
                missed |= u64::from(miss) << k;
            }
            while missed != 0 {
                let k = missed.trailing_zeros() as usize;
                missed &= missed - 1;
                let mut rng = LaneRng(self.words(k));
                (first[k], second[k]) = slow_halves(zig, &mut rng, word[k], first[k], second[k]);
                self.set_words(k, rng.0);
            }
        }
    }
}

/// One lane's pair after its word: a half that missed its rectangle takes the scalar slow path,
/// the first half's before the second's, drawing from the lane's generator as the scalar sampler
/// would. Returns the two normals.
#[cold]
#[inline(never)]
fn slow_halves(
    zig: &Ziggurat,
    rng: &mut LaneRng,
    word: u64,
    first: f64,
    second: f64,
) -> (f64, f64) {
    let edges = zig.edges();
    let missed = |bits: u32, x: f64| x.abs() >= edges[(bits & 0xff) as usize + 1];
    let (low, high) = (word as u32, (word >> 32) as u32);
    let first = if missed(low, first) {
        zig.half_slow_path(rng, low)
    } else {
        first
    };
    let second = if missed(high, second) {
        zig.half_slow_path(rng, high)
    } else {
        second
    };
    (first, second)
}

/// One lane's Xoshiro256++ generator, by its state words: the same outputs as
/// `Xoshiro256PlusPlus` with that state (tested), without converting to and from it.
struct LaneRng([u64; 4]);

impl TryRng for LaneRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        Ok(result)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        rand::rand_core::utils::fill_bytes_via_next_word(dst, || self.try_next_u64())
    }
}

/// Bits of the state per table of [`jump`].
const JUMP_NIBBLE: usize = 4;

/// `JUMP_TABLE[n][v]`: the jump applied to the state whose only set bits are v at bits
/// 4n … 4n+3 (the state's 256 bits numbered word by word, low bit first).
type JumpTable = [[[u64; 4]; 1 << JUMP_NIBBLE]; 256 / JUMP_NIBBLE];

fn jump_table() -> &'static JumpTable {
    static TABLE: OnceLock<Box<JumpTable>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The jump is linear over GF(2) in the state (xoshiro's transition is): its columns
        // are the jumps of the 256 unit states, computed by the reference implementation.
        let mut columns = [[0u64; 4]; 256];
        for (bit, column) in columns.iter_mut().enumerate() {
            let mut unit = [0u64; 4];
            unit[bit / 64] = 1 << (bit % 64);
            let mut rng = generator_from_words(unit);
            rng.jump();
            *column = generator_words(&rng);
        }
        let mut table = Box::new([[[0u64; 4]; 1 << JUMP_NIBBLE]; 256 / JUMP_NIBBLE]);
        for (n, entries) in table.iter_mut().enumerate() {
            for (v, entry) in entries.iter_mut().enumerate() {
                for j in 0..JUMP_NIBBLE {
                    if v & (1 << j) != 0 {
                        for k in 0..4 {
                            entry[k] ^= columns[n * JUMP_NIBBLE + j][k];
                        }
                    }
                }
            }
        }
        table
    })
}

/// `rng.jump()` (2¹²⁸ steps ahead), the same state, by table: 64 lookups instead of 256 steps.
pub(crate) fn jump(rng: &mut Xoshiro256PlusPlus) {
    let table = jump_table();
    let words = generator_words(rng);
    let mut out = [0u64; 4];
    for (n, entries) in table.iter().enumerate() {
        let word = words[n * JUMP_NIBBLE / 64];
        let v = (word >> ((n * JUMP_NIBBLE) % 64)) as usize & ((1 << JUMP_NIBBLE) - 1);
        for k in 0..4 {
            out[k] ^= entries[v][k];
        }
    }
    *rng = generator_from_words(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn table_jump_is_the_reference_jump() {
        for seed in [0, 1, 42, u64::MAX] {
            let mut reference = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut fast = reference.clone();
            for _ in 0..50 {
                reference.jump();
                jump(&mut fast);
                assert_eq!(reference, fast, "seed {seed}");
            }
        }
    }

    #[test]
    fn lane_generator_is_xoshiro256plusplus() {
        use rand::Rng;
        let mut reference = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut lane = LaneRng(generator_words(&reference));
        for _ in 0..1000 {
            assert_eq!(lane.next_u64(), reference.next_u64());
        }
        assert_eq!(lane.next_u32(), reference.next_u32());
        let (mut a, mut b) = ([0u8; 13], [0u8; 13]);
        lane.fill_bytes(&mut a);
        reference.fill_bytes(&mut b);
        assert_eq!(a, b);
        assert_eq!(lane.0, generator_words(&reference));
    }

    fn streams(count: usize, seed: u64) -> Vec<NormalStream> {
        let mut base = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..count)
            .map(|_| {
                let s = NormalStream::new(base.clone());
                base.jump();
                s
            })
            .collect()
    }

    #[test]
    fn lanes_draw_each_streams_own_normals() {
        // Many blocks of odd and even lengths (the spare carried across), long enough that slow
        // paths (wedges, tail) happen on every lane; then lanes out of step.
        let zig = Ziggurat::new();
        let mut scalar = streams(4, 7);
        let mut lanes = StreamLanes::<4>::load(&scalar).expect("streams");
        let mut out = vec![[0.0; 4]; 3001];
        let mut check = |lanes: &mut StreamLanes<4>, scalar: &mut [NormalStream], len: usize| {
            lanes.fill(&zig, &mut out[..len]);
            for lane in 0..4 {
                for row in &out[..len] {
                    assert_eq!(
                        row[lane].to_bits(),
                        scalar[lane].normal(&zig).to_bits(),
                        "lane {lane}, block {len}"
                    );
                }
                assert_eq!(lanes.stream(lane), scalar[lane]);
            }
        };
        for len in [1, 2, 3, 3000, 3001, 0, 7, 256, 1] {
            check(&mut lanes, &mut scalar, len);
        }
        scalar[3].normal(&zig);
        let mut lanes = StreamLanes::<4>::load(&scalar).expect("streams");
        for len in [1, 2, 3, 300, 0, 7] {
            check(&mut lanes, &mut scalar, len);
        }
        // In step (the ensemble's case), and padded lanes copy the first.
        let mut scalar = streams(3, 8);
        let mut lanes = StreamLanes::<8>::load(&scalar).expect("streams");
        let mut out = vec![[0.0; 8]; 1001];
        for len in [1001, 64, 3] {
            lanes.fill(&zig, &mut out[..len]);
            for lane in 0..3 {
                for row in &out[..len] {
                    assert_eq!(row[lane].to_bits(), scalar[lane].normal(&zig).to_bits());
                }
                assert_eq!(lanes.stream(lane), scalar[lane]);
            }
            assert_eq!(lanes.stream(7), lanes.stream(0));
        }
    }
}
