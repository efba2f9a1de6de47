//! Many particles' random streams advanced together, one particle per lane, so that the compiler
//! can vectorise the generator across particles (SSE2 natively, `simd128` on wasm32) without
//! changing a single number of any particle's own sequence.
//!
//! - [`StreamLanes`] holds `N` Xoshiro256++ states as a struct of arrays and fills blocks of
//!   normals, lane = particle, each lane exactly as [`NormalStream::fill`] would: the same words,
//!   the same paired 32-bit halves, the same spare. Its [`Kernel`] runs the block lane by lane
//!   (natively without AVX2), two lanes at a time in `simd128` registers (wasm32,
//!   [`super::pair`]), or all lanes at once compiled for AVX2 ([`super::avx2`], x86-64 CPUs that
//!   have it). The ziggurat's rectangle test (≈ 98.5% of halves) is inline; a half that
//!   misses takes the scalar wedge/tail path on its own lane's generator, in the order the scalar
//!   sampler would.
//! - [`jump`] is Xoshiro256++'s 2¹²⁸ jump as a table-driven GF(2) matrix product: the same state
//!   as `Xoshiro256PlusPlus::jump`, several times faster (an ensemble jumps once per particle).

use std::convert::Infallible;
use std::sync::OnceLock;

use rand::TryRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::avx2;
use super::normal::{centred_half, generator_from_words, generator_words, NormalStream, Ziggurat};
use super::pair::{F64x2, U64x2};

/// How [`StreamLanes::fill`] walks the lanes through a block. Every kernel gives the same
/// numbers, bit for bit (tested); they differ only in speed, which depends on the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// One lane at a time through the whole block, its generator in scalar registers: the best
    /// on x86-64 without AVX2 (SSE2 has no 64-bit rotations, and LLVM turns the other kernels
    /// into a worse mix of scalar and vector instructions) and on other targets.
    Single,
    /// Two lanes at a time in `simd128` registers ([`U64x2`]): wasm32, whose V8 code for them
    /// beats the scalar one.
    Paired,
    /// All lanes at once, word by word: loops over the lanes written for LLVM's loop
    /// vectoriser, compiled for AVX2 when the CPU has it (four lanes per 256-bit register).
    Across,
}

impl Kernel {
    /// The fastest kernel for this target and, on x86-64, this CPU.
    fn for_this_machine() -> Self {
        if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            Kernel::Paired
        } else if avx2::available() {
            Kernel::Across
        } else {
            Kernel::Single
        }
    }
}

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
    ///
    /// Kept out of line: inlined into the ensemble's loop, V8 compiled the paired lanes about 20%
    /// slower (wasm32).
    #[inline(never)]
    pub(crate) fn fill(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        self.fill_with(Kernel::for_this_machine(), zig, out);
    }

    /// [`StreamLanes::fill`] with the given kernel: the same numbers with every kernel.
    #[inline(always)]
    fn fill_with(&mut self, kernel: Kernel, zig: &Ziggurat, out: &mut [[f64; N]]) {
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
        self.fill_pairs(kernel, zig, pairs);
        if let [last] = last {
            let mut pair = [[0.0; N]; 2];
            self.fill_pairs(kernel, zig, &mut pair);
            *last = pair[0];
            for lane in 0..N {
                self.spare[lane] = Some(pair[1][lane].to_bits());
            }
        }
    }

    /// Fills `out` (an even number of rows) with [`Ziggurat::sample_pair`] draws, two rows per
    /// generator word.
    #[inline(always)]
    fn fill_pairs(&mut self, kernel: Kernel, zig: &Ziggurat, out: &mut [[f64; N]]) {
        match kernel {
            Kernel::Single => self.fill_pairs_single(zig, out),
            Kernel::Paired => self.fill_pairs_paired(zig, out),
            Kernel::Across => {
                if !avx2::fill_pairs_across(self, zig, out) {
                    self.fill_pairs_across(zig, out);
                }
            }
        }
    }

    /// [`StreamLanes::fill_pairs`] all lanes at once, word by word. The loops over the lanes
    /// are written for LLVM's loop vectoriser: the state stays in memory (`state[k][lane]`), and
    /// with 16 lanes the loops are kept as loops and vectorised, whereas fully unrolled small
    /// ones are left scalar. Lanes whose pair missed a rectangle are collected as bits of a
    /// register (not a bool array: byte stores reloaded as a vector stall store forwarding) and
    /// then take the scalar wedge/tail path one by one, in the order the scalar sampler would.
    #[inline(always)]
    pub(super) fn fill_pairs_across(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        let edges = zig.edges();
        let scaled = zig.scaled_edges();
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
            // The rectangle test of each half (Ziggurat::sample_pair's fast path), with
            // `centred_half · x_i·2⁻²³ = half_position · x_i`.
            let mut missed = 0u64;
            for k in 0..N {
                let (low, high) = (word[k] as u32, (word[k] >> 32) as u32);
                let (i, j) = ((low & 0xff) as usize, (high & 0xff) as usize);
                first[k] = f64::from(centred_half(low)) * scaled[i];
                second[k] = f64::from(centred_half(high)) * scaled[j];
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

    /// [`StreamLanes::fill_pairs`] one lane at a time, through the whole block: the lane's state
    /// stays in registers (scalar 64-bit rotations, which SSE2 lacks), and LLVM does the two
    /// halves' conversions and tests with scalar or two-wide SSE2 instructions. The rectangle
    /// test (≈ 98.5% of halves) is inline; a half that misses takes the scalar wedge/tail path on
    /// the lane's generator, in the order the scalar sampler would.
    #[inline(always)]
    fn fill_pairs_single(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        let edges = zig.edges();
        let scaled = zig.scaled_edges();
        for lane in 0..N {
            let mut rng = LaneRng(self.words(lane));
            for rows in out.chunks_exact_mut(2) {
                let [first, second] = rows else {
                    continue;
                };
                let word = rng.step();
                let (low, high) = (word as u32, (word >> 32) as u32);
                let (i, j) = ((low & 0xff) as usize, (high & 0xff) as usize);
                // = half_position(low) * edges[i], and the same for the high half.
                let x = f64::from(centred_half(low)) * scaled[i];
                let y = f64::from(centred_half(high)) * scaled[j];
                first[lane] = x;
                second[lane] = y;
                // (Never NaN: ≥ is "not <".)
                if (x.abs() >= edges[i + 1]) | (y.abs() >= edges[j + 1]) {
                    (first[lane], second[lane]) = slow_halves(zig, &mut rng, word, x, y);
                }
            }
            self.set_words(lane, rng.0);
        }
    }

    /// [`StreamLanes::fill_pairs`] two lanes at a time in vector registers ([`U64x2`]) through
    /// the whole block: the generator and the rectangle test run on both lanes at once (simd128
    /// has no gathers, so the tables are read lane by lane); a half that misses takes the scalar
    /// wedge/tail path on its own lane's generator, in the order the scalar sampler would.
    #[inline(always)]
    fn fill_pairs_paired(&mut self, zig: &Ziggurat, out: &mut [[f64; N]]) {
        const { assert!(N.is_multiple_of(2), "lanes go in pairs") };
        let edges = zig.edges();
        let scaled = zig.scaled_edges();
        for q in 0..N / 2 {
            let (a, b) = (2 * q, 2 * q + 1);
            let [mut s0, mut s1, mut s2, mut s3] =
                [0, 1, 2, 3].map(|k| U64x2::new(self.state[k][a], self.state[k][b]));
            for rows in out.chunks_exact_mut(2) {
                let [first, second] = rows else {
                    continue;
                };
                // Blackman & Vigna's xoshiro256++ `next`, on both lanes.
                let sum = s0.add(s3);
                let word = sum.shl::<23>().or(sum.shr::<41>()).add(s0);
                let t = s1.shl::<17>();
                s2 = s2.xor(s0);
                s3 = s3.xor(s1);
                s1 = s1.xor(s2);
                s0 = s0.xor(s3);
                s2 = s2.xor(t);
                s3 = s3.shl::<45>().or(s3.shr::<19>());
                // The rectangle test of each half (Ziggurat::sample_pair's fast path), with
                // `centred_half · x_i·2⁻²³ = half_position · x_i`.
                let [word_a, word_b] = word.lanes();
                let (i_a, j_a) = (word_a as u8 as usize, (word_a >> 32) as u8 as usize);
                let (i_b, j_b) = (word_b as u8 as usize, (word_b >> 32) as u8 as usize);
                let (low, high) = word.centred_halves();
                let x_low = low.mul(F64x2::new(scaled[i_a], scaled[i_b]));
                let x_high = high.mul(F64x2::new(scaled[j_a], scaled[j_b]));
                // (Never NaN: ≥ is "not <".)
                let missed = x_low
                    .abs()
                    .ge_mask(F64x2::new(edges[i_a + 1], edges[i_b + 1]))
                    | x_high
                        .abs()
                        .ge_mask(F64x2::new(edges[j_a + 1], edges[j_b + 1]));
                [first[a], first[b]] = x_low.lanes();
                [second[a], second[b]] = x_high.lanes();
                if missed != 0 {
                    let mut words = [s0, s1, s2, s3].map(U64x2::lanes);
                    for (l, lane, word) in [(0, a, word_a), (1, b, word_b)] {
                        if missed & (1 << l) != 0 {
                            let mut rng = LaneRng(words.map(|w| w[l]));
                            (first[lane], second[lane]) =
                                slow_halves(zig, &mut rng, word, first[lane], second[lane]);
                            for k in 0..4 {
                                words[k][l] = rng.0[k];
                            }
                        }
                    }
                    [s0, s1, s2, s3] = words.map(|[x, y]| U64x2::new(x, y));
                }
            }
            for (k, s) in [s0, s1, s2, s3].into_iter().enumerate() {
                [self.state[k][a], self.state[k][b]] = s.lanes();
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

impl LaneRng {
    /// Blackman & Vigna's xoshiro256++ `next`.
    #[inline(always)]
    fn step(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl TryRng for LaneRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.step())
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

    const KERNELS: [Kernel; 3] = [Kernel::Single, Kernel::Paired, Kernel::Across];

    #[test]
    fn across_kernel_is_the_same_with_and_without_avx2() {
        // `Kernel::Across` runs the AVX2 build where the CPU has it; here its portable build
        // against the single-lane kernel, block after block, slow paths included.
        let zig = Ziggurat::new();
        let scalar = streams(16, 11);
        let mut portable = StreamLanes::<16>::load(&scalar).expect("streams");
        let mut single = portable.clone();
        let mut dispatched = portable.clone();
        let (mut a, mut b, mut c) = (
            vec![[0.0; 16]; 512],
            vec![[0.0; 16]; 512],
            vec![[0.0; 16]; 512],
        );
        for _ in 0..20 {
            portable.fill_pairs_across(&zig, &mut a);
            single.fill_pairs_single(&zig, &mut b);
            dispatched.fill_pairs(Kernel::Across, &zig, &mut c);
            for ((x, y), z) in a.iter().zip(&b).zip(&c) {
                for lane in 0..16 {
                    assert_eq!(x[lane].to_bits(), y[lane].to_bits());
                    assert_eq!(z[lane].to_bits(), y[lane].to_bits());
                }
            }
        }
        assert_eq!(portable.state, single.state);
        assert_eq!(dispatched.state, single.state);
    }

    #[test]
    fn lanes_draw_each_streams_own_normals() {
        // Many blocks of odd and even lengths (the spare carried across), long enough that slow
        // paths (wedges, tail) happen on every lane; then lanes out of step.
        let zig = Ziggurat::new();
        let mut scalar = streams(4, 7);
        let mut lanes = StreamLanes::<4>::load(&scalar).expect("streams");
        let mut out = vec![[0.0; 4]; 3001];
        let mut calls = 0u32;
        let mut check = |lanes: &mut StreamLanes<4>, scalar: &mut [NormalStream], len: usize| {
            // Each kernel in turn (the same numbers with every one).
            calls += 1;
            lanes.fill_with(
                KERNELS[calls as usize % KERNELS.len()],
                &zig,
                &mut out[..len],
            );
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
        for (n, len) in [1001, 64, 3, 1001, 5, 12].into_iter().enumerate() {
            lanes.fill_with(KERNELS[n % KERNELS.len()], &zig, &mut out[..len]);
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
