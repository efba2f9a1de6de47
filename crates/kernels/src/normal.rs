//! A portable standard-normal sampler: the 256-layer ziggurat of Marsaglia & Tsang (2000), as in
//! `rand_distr`, but with its tables and its tail computed by our own `exp`/`ln` written with
//! the four basic operations only. IEEE 754 makes those bit-identical on every target, whereas the platform's
//! `f64::ln` (glibc natively, a Rust port of musl's libm on wasm32) may differ in the last bit;
//! with this sampler the same seed gives the same numbers natively and in the browser.

use rand::Rng;

const LAYERS: usize = 256;
/// Start of the tail, R (Marsaglia & Tsang, 256 layers).
const TAIL_START: f64 = 3.654_152_885_361_009;
/// Area of each layer, V.
const LAYER_AREA: f64 = 0.004_928_673_233_99;

const LN_2_HI: f64 = 6.931_471_803_691_238e-1;
const LN_2_LO: f64 = 1.908_214_929_270_587_7e-10;
const LN_2: f64 = std::f64::consts::LN_2;

/// e^x for x ≤ 0 (and modest x > 0), to ≈ 1 ulp, with + − × ÷ only (deterministic everywhere).
pub fn portable_exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -745.0 {
        return 0.0;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    // x = k ln2 + r, |r| ≤ ln2/2; k rounded half away from zero by hand (no f64::round).
    let t = x / LN_2;
    let k = if t >= 0.0 {
        (t + 0.5) as i64
    } else {
        (t - 0.5) as i64
    };
    let kf = k as f64;
    let r = (x - kf * LN_2_HI) - kf * LN_2_LO;
    // Taylor series to r^14: the remainder is below 4e-18 for |r| ≤ 0.35.
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=14 {
        term = term * r / n as f64;
        sum += term;
    }
    scale_by_power_of_two(sum, k)
}

fn scale_by_power_of_two(value: f64, k: i64) -> f64 {
    // Multiply in at most three exact steps so that 2^k never overflows or goes subnormal early.
    let mut v = value;
    let mut k = k;
    while k > 1000 {
        v *= f64::from_bits(((1023 + 1000) as u64) << 52);
        k -= 1000;
    }
    while k < -1000 {
        v *= f64::from_bits(((1023 - 1000) as u64) << 52);
        k += 1000;
    }
    v * f64::from_bits(((1023 + k) as u64) << 52)
}

/// ln x for finite x > 0, to ≈ 1 ulp, with + − × ÷ only (deterministic everywhere).
pub fn portable_ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let mut bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64;
    if exponent == 0 {
        // Subnormal: normalise by 2^54.
        let scaled = x * f64::from_bits((1023 + 54) << 52);
        bits = scaled.to_bits();
        exponent = ((bits >> 52) & 0x7ff) as i64 - 54;
    }
    let mut e = exponent - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023 << 52)); // in [1, 2)
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m−1)/(m+1) ∈ [−0.172, 0.172]: the series to s^25 is exact to 1e-19.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut power = s;
    let mut sum = 0.0;
    let mut n = 1.0;
    while n < 27.0 {
        sum += power / n;
        power *= s2;
        n += 2.0;
    }
    let ef = e as f64;
    ef * LN_2_HI + (2.0 * sum + ef * LN_2_LO)
}

/// The ziggurat's tables: layer edges x_i and f(x_i) = e^{−x_i²/2}.
#[derive(Clone, Debug)]
pub struct Ziggurat {
    edges: [f64; LAYERS + 1],
    heights: [f64; LAYERS + 1],
    /// x_i · 2⁻²³ (exact: a power-of-two scaling of normal numbers), see [`centred_half`].
    scaled_edges: [f64; LAYERS],
    /// The slope (f(x_i) − f(x_{i+1}))/(x_i − x_{i+1}) of layer i's wedge chord, see
    /// [`Ziggurat::wedge_bounds`] (0 for the base layer, which has no wedge).
    chord_slopes: [f64; LAYERS],
}

impl Default for Ziggurat {
    fn default() -> Self {
        Self::new()
    }
}

impl Ziggurat {
    /// Computes the tables (a few microseconds; deterministic).
    pub fn new() -> Self {
        let pdf = |x: f64| portable_exp(-0.5 * x * x);
        let mut edges = [0.0; LAYERS + 1];
        edges[0] = LAYER_AREA / pdf(TAIL_START);
        edges[1] = TAIL_START;
        for i in 1..LAYERS - 1 {
            let f = LAYER_AREA / edges[i] + pdf(edges[i]);
            edges[i + 1] = (-2.0 * portable_ln(f)).sqrt();
        }
        edges[LAYERS] = 0.0;
        let mut heights = [0.0; LAYERS + 1];
        for i in 0..=LAYERS {
            heights[i] = pdf(edges[i]);
        }
        let mut scaled_edges = [0.0; LAYERS];
        for i in 0..LAYERS {
            scaled_edges[i] = edges[i] * HALF_POSITION_STEP;
        }
        let mut chord_slopes = [0.0; LAYERS];
        for i in 1..LAYERS {
            chord_slopes[i] = (heights[i] - heights[i + 1]) / (edges[i] - edges[i + 1]);
        }
        Self {
            edges,
            heights,
            scaled_edges,
            chord_slopes,
        }
    }

    /// One standard normal draw.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0xff) as usize;
            // u uniform in [−1, 1) from the top 52 bits, without an int→float conversion: the bits
            // as the mantissa of a number in [2, 4), minus 3. The low 8 bits pick the layer.
            let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
            let x = u * self.edges[i];
            if x.abs() < self.edges[i + 1] {
                return x;
            }
            if let Some(value) = self.slow_path(rng, i, x, u) {
                return value;
            }
        }
    }

    /// Two draws from one 64-bit word (the classic 32-bit ziggurat of Marsaglia & Tsang: per
    /// half, 8 bits pick the layer and 24 bits the position, so a draw is resolved to 2⁻²³ of its
    /// layer's width, ≤ 4e-7: invisible to any statistic this crate estimates). A half that misses
    /// the rectangle goes through the exact wedge/tail test, and a rejection restarts with
    /// [`Ziggurat::sample`]: the output is exactly the ziggurat's distribution.
    #[inline(always)]
    pub fn sample_pair<R: Rng + ?Sized>(&self, rng: &mut R) -> (f64, f64) {
        let bits = rng.next_u64();
        let first = self.half_to_normal(bits as u32, rng);
        let second = self.half_to_normal((bits >> 32) as u32, rng);
        (first, second)
    }

    #[inline(always)]
    fn half_to_normal<R: Rng + ?Sized>(&self, bits: u32, rng: &mut R) -> f64 {
        let i = (bits & 0xff) as usize;
        let u = half_position(bits);
        let x = u * self.edges[i];
        if x.abs() < self.edges[i + 1] {
            return x;
        }
        self.half_slow_path(rng, bits)
    }

    /// The layer edges x_0 … x_256 (x_i is the half-width of layer i's rectangle).
    #[inline(always)]
    pub(crate) fn edges(&self) -> &[f64; LAYERS + 1] {
        &self.edges
    }

    /// x_i · 2⁻²³ for the layers i = 0 … 255: `centred_half(bits) as f64 * scaled_edges()[i]`
    /// is `half_position(bits) * edges()[i]`, bit for bit (see [`centred_half`]).
    #[inline(always)]
    pub(crate) fn scaled_edges(&self) -> &[f64; LAYERS] {
        &self.scaled_edges
    }

    /// What [`Ziggurat::sample_pair`] does with a half `bits` whose point missed its layer's
    /// rectangle: the wedge or tail test, and on rejection a fresh [`Ziggurat::sample`].
    #[cold]
    #[inline(never)]
    pub(crate) fn half_slow_path<R: Rng + ?Sized>(&self, rng: &mut R, bits: u32) -> f64 {
        let i = (bits & 0xff) as usize;
        let u = half_position(bits);
        let x = u * self.edges[i];
        match self.slow_path(rng, i, x, u) {
            Some(value) => value,
            None => self.sample(rng),
        }
    }

    #[cold]
    #[inline(never)]
    fn slow_path<R: Rng + ?Sized>(&self, rng: &mut R, i: usize, x: f64, u: f64) -> Option<f64> {
        if i == 0 {
            // Tail beyond R (Marsaglia 1964): x = −ln(U₁)/R, y = −ln(U₂) until 2y ≥ x².
            loop {
                let tail = -portable_ln(open_unit(rng)) / TAIL_START;
                let y = -portable_ln(open_unit(rng));
                if y + y >= tail * tail {
                    let value = TAIL_START + tail;
                    return Some(if u < 0.0 { -value } else { value });
                }
            }
        }
        let f = self.heights[i + 1] + (self.heights[i] - self.heights[i + 1]) * open_unit(rng);
        // Most points are decided by lines that bound the density over the wedge, without
        // an exponential; the rest by the exponential itself.
        let (lower, upper) = self.wedge_bounds(i, x.abs());
        if f < lower - WEDGE_MARGIN {
            return Some(x);
        }
        if f > upper + WEDGE_MARGIN {
            return None;
        }
        below_exp(f, -0.5 * x * x).then_some(x)
    }

    /// Lines below and above the density e^{−t²/2} at t = |x| in layer i's wedge
    /// x_{i+1} ≤ t ≤ x_i: where the density is convex (t ≥ 1) it lies below its chord over the
    /// wedge and above its tangents at both ends; where concave (t ≤ 1) the other way round; in
    /// the one layer across t = 1, (−∞, ∞). The chord and tangents come from the tables
    /// (f(x_i) to ≈ 1 ulp), and they and the comparisons are computed to a few ulps of 1, so
    /// a point more than [`WEDGE_MARGIN`] beyond a line is on that side of the density and of
    /// [`portable_exp`]: the pre-test decides exactly as the exponential would.
    #[inline(always)]
    fn wedge_bounds(&self, i: usize, t: f64) -> (f64, f64) {
        let (near, far) = (self.edges[i + 1], self.edges[i]);
        let (f_near, f_far) = (self.heights[i + 1], self.heights[i]);
        let chord = f_near + self.chord_slopes[i] * (t - near);
        // f'(t) = −t f(t).
        let tangent_near = f_near * (1.0 - near * (t - near));
        let tangent_far = f_far * (1.0 + far * (far - t));
        if near >= 1.0 {
            (larger(tangent_near, tangent_far), chord)
        } else if far <= 1.0 {
            (chord, smaller(tangent_near, tangent_far))
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        }
    }
}

/// The larger of two finite numbers (`f64::max` is a call of `fmax` in wasm32, for its NaN rule).
#[inline(always)]
fn larger(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// The smaller of two finite numbers (see [`larger`]).
#[inline(always)]
fn smaller(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// How far beyond a bounding line of [`Ziggurat::wedge_bounds`] a point must be to be decided
/// by it: far above the few-ulp (≈ 1e-15) errors of the lines, the tables and the exponential.
const WEDGE_MARGIN: f64 = 1e-12;

/// Whether f < [`portable_exp`]`(y)`, for y ≤ 0 and 0 ≤ f ≤ 1: exactly that comparison, mostly
/// decided by the platform's `exp`, several times faster. Any libm's `exp` (like ours) is within
/// a few ulps (~1e-15 relative) of e^y, far inside the 1e-9 margin, so whenever the platform's
/// value decides the comparison ours decides it the same way; the rare f within the margin is
/// compared with ours. The platform's value never reaches a result: the numbers stay the same
/// on every target.
#[inline]
fn below_exp(f: f64, y: f64) -> bool {
    let approx = y.exp();
    let margin = approx * 1e-9;
    if f < approx - margin {
        true
    } else if f > approx + margin {
        false
    } else {
        f < portable_exp(y)
    }
}

/// The position u ∈ [−1, 1) of a 32-bit half within its layer: the 24 high bits as the top of a
/// mantissa in [2, 4), minus 3 (the low 8 bits pick the layer).
#[inline(always)]
pub(crate) fn half_position(bits: u32) -> f64 {
    f64::from_bits((u64::from(bits >> 8) << 28) | 0x4000_0000_0000_0000) - 3.0
}

/// The spacing 2⁻²³ of [`half_position`]'s values.
const HALF_POSITION_STEP: f64 = 1.0 / (1u64 << 23) as f64;

/// [`half_position`]`(bits)` / 2⁻²³, an integer in [−2²³, 2²³): the 24 high bits minus 2²³ (as
/// a signed shift of the bits with the top one flipped).
///
/// Why `centred_half(bits) as f64 * x_i·2⁻²³` is `half_position(bits) * x_i` exactly:
/// `half_position` is (2 + p·2⁻²³) − 3 for the 24 high bits p, and that subtraction is exact, so
/// it is u = (p − 2²³)·2⁻²³; the integer converts exactly, and x_i·2⁻²³ is exact (a power of two
/// times a normal number). Both products are then the same real number u·x_i, rounded once.
/// The integer form converts two halves at once with one instruction (SSE2's `cvtdq2pd`,
/// simd128's `f64x2.convert_low_i32x4_s`) where the bit pattern needs four or five.
#[inline(always)]
pub(crate) fn centred_half(bits: u32) -> i32 {
    ((bits ^ 0x8000_0000) as i32) >> 8
}

/// A particle's random stream: a Xoshiro256++ generator and the spare normal of the last pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalStream {
    rng: rand_xoshiro::Xoshiro256PlusPlus,
    spare: Option<u64>,
}

impl NormalStream {
    /// A stream over `rng`.
    pub fn new(rng: rand_xoshiro::Xoshiro256PlusPlus) -> Self {
        Self { rng, spare: None }
    }

    /// The next standard normal (two per generator word; see [`Ziggurat::sample_pair`]).
    #[inline(always)]
    pub fn normal(&mut self, zig: &Ziggurat) -> f64 {
        if let Some(bits) = self.spare.take() {
            return f64::from_bits(bits);
        }
        let (first, second) = zig.sample_pair(&mut self.rng);
        self.spare = Some(second.to_bits());
        first
    }

    /// Fills `out` with the next `out.len()` normals: the same numbers, in the same order, as
    /// that many calls of [`NormalStream::normal`], in a tighter loop.
    #[inline]
    pub fn fill(&mut self, zig: &Ziggurat, out: &mut [f64]) {
        let mut rest = out;
        if let Some(bits) = self.spare.take() {
            match rest.split_first_mut() {
                Some((first, tail)) => {
                    *first = f64::from_bits(bits);
                    rest = tail;
                }
                None => {
                    self.spare = Some(bits);
                    return;
                }
            }
        }
        let mut pairs = rest.chunks_exact_mut(2);
        for pair in &mut pairs {
            let (a, b) = zig.sample_pair(&mut self.rng);
            pair[0] = a;
            pair[1] = b;
        }
        if let [last] = pairs.into_remainder() {
            let (a, b) = zig.sample_pair(&mut self.rng);
            *last = a;
            self.spare = Some(b.to_bits());
        }
    }

    /// The generator's state words and the spare normal's bits (see [`NormalStream::from_parts`]).
    pub(crate) fn to_parts(&self) -> ([u64; 4], Option<u64>) {
        (generator_words(&self.rng), self.spare)
    }

    /// The stream with generator state `words` (as from [`NormalStream::to_parts`], never all
    /// zero) and spare `spare`.
    pub(crate) fn from_parts(words: [u64; 4], spare: Option<u64>) -> Self {
        Self {
            rng: generator_from_words(words),
            spare,
        }
    }

    /// A uniform index in [0, n) (n ≥ 1).
    #[inline(always)]
    pub fn index_below(&mut self, n: u64) -> u64 {
        index_below(&mut self.rng, n)
    }
}

/// The Xoshiro256++ generator whose state words are `words` (never all zero).
pub(crate) fn generator_from_words(words: [u64; 4]) -> rand_xoshiro::Xoshiro256PlusPlus {
    let mut bytes = [0u8; 32];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::from_seed(bytes)
}

/// The state words of a Xoshiro256++ generator.
pub(crate) fn generator_words(rng: &rand_xoshiro::Xoshiro256PlusPlus) -> [u64; 4] {
    let bytes = rng.state();
    let mut words = [0u64; 4];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *word = u64::from_le_bytes(le);
    }
    words
}

/// Uniform in (0, 1] from 53 random bits.
#[inline(always)]
pub fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in [0, n) by Lemire's multiply-shift with rejection (unbiased, portable).
#[inline(always)]
pub fn index_below<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let product = (rng.next_u64() as u128) * (n as u128);
        if (product as u64) >= threshold {
            return (product >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn portable_functions_match_the_platform_to_a_few_ulps() {
        for i in 1..2000 {
            let x = i as f64 * 0.0137 - 20.0;
            let e = portable_exp(x);
            assert!(
                (e - x.exp()).abs() <= 4.0 * f64::EPSILON * x.exp(),
                "exp({x})"
            );
            let y = i as f64 * 0.731 + 1e-300 * i as f64;
            let l = portable_ln(y);
            assert!(
                (l - y.ln()).abs() <= 4.0 * f64::EPSILON * y.ln().abs().max(1.0),
                "ln({y})"
            );
        }
        assert!((portable_ln(5e-320) - 5e-320_f64.ln()).abs() < 1e-12);
        assert_eq!(portable_ln(1.0), 0.0);
    }

    #[test]
    fn below_exp_is_the_portable_comparison() {
        // Near the margin, at it, and far from it, over the wedge's range of y.
        for i in 0..=20_000 {
            let y = -6.7 * i as f64 / 20_000.0;
            let e = portable_exp(y);
            for f in [
                e,
                e * (1.0 + 1e-16),
                e * (1.0 - 1e-16),
                e * (1.0 + 2e-9),
                e * (1.0 - 2e-9),
                e * 0.9,
                (e * 1.1).min(1.0),
            ] {
                assert_eq!(below_exp(f, y), f < e, "f = {f}, y = {y}");
            }
        }
    }

    #[test]
    fn wedge_lines_bound_the_density_with_room_to_spare() {
        // Over every layer's wedge, at 2000 points each plus both ends: the lower line is below
        // the portable exponential and the upper above it, each by more than a tenth of
        // WEDGE_MARGIN less than the truth allows (so the margin is ten times the largest error
        // seen); in the layer across t = 1 the lines are (−∞, ∞).
        let zig = Ziggurat::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut decided = 0u64;
        let mut total = 0u64;
        for i in 1..LAYERS - 1 {
            let (near, far) = (zig.edges[i + 1], zig.edges[i]);
            for k in 0..=2001 {
                let t = match k {
                    0 => near,
                    2001 => far,
                    _ => near + (far - near) * open_unit(&mut rng),
                };
                let density = portable_exp(-0.5 * t * t);
                let (lower, upper) = zig.wedge_bounds(i, t);
                assert!(lower < density + 0.1 * WEDGE_MARGIN, "layer {i}, t = {t}");
                assert!(upper > density - 0.1 * WEDGE_MARGIN, "layer {i}, t = {t}");
                if near < 1.0 && far > 1.0 {
                    assert_eq!((lower, upper), (f64::NEG_INFINITY, f64::INFINITY));
                }
                // A wedge point's height: the share of heights the lines decide.
                let f = zig.heights[i + 1]
                    + (zig.heights[i] - zig.heights[i + 1]) * open_unit(&mut rng);
                total += 1;
                if f < lower - WEDGE_MARGIN || f > upper + WEDGE_MARGIN {
                    decided += 1;
                    assert_eq!(f < lower - WEDGE_MARGIN, f < density, "layer {i}, t = {t}");
                }
            }
        }
        // The point of the lines: they decide almost every wedge point (measured ≈ 99%).
        assert!(decided as f64 > 0.95 * total as f64, "{decided} of {total}");
    }

    #[test]
    fn slow_path_decides_as_the_exponential_alone() {
        // The ziggurat's wedge decision with the lines first equals the decision by the
        // exponential alone, point by point, for points drawn in the wedges and for points
        // placed on and next to the density curve and the lines (the hard cases).
        let zig = Ziggurat::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let decide = |i: usize, x: f64, f: f64| -> bool {
            let (lower, upper) = zig.wedge_bounds(i, x.abs());
            if f < lower - WEDGE_MARGIN {
                return true;
            }
            if f > upper + WEDGE_MARGIN {
                return false;
            }
            below_exp(f, -0.5 * x * x)
        };
        for i in 1..LAYERS - 1 {
            let (near, far) = (zig.edges[i + 1], zig.edges[i]);
            for _ in 0..500 {
                let x = -(near + (far - near) * open_unit(&mut rng));
                let density = portable_exp(-0.5 * x * x);
                let (lower, upper) = zig.wedge_bounds(i, x.abs());
                let random = zig.heights[i + 1]
                    + (zig.heights[i] - zig.heights[i + 1]) * open_unit(&mut rng);
                for f in [
                    random,
                    density,
                    density * (1.0 + 1e-16),
                    density * (1.0 - 1e-16),
                    lower - WEDGE_MARGIN,
                    lower - 2.0 * WEDGE_MARGIN,
                    upper + WEDGE_MARGIN,
                    upper + 2.0 * WEDGE_MARGIN,
                ] {
                    if f.is_finite() {
                        assert_eq!(decide(i, x, f), f < density, "layer {i}, x = {x}, f = {f}");
                    }
                }
            }
        }
    }

    #[test]
    fn moments_of_the_sampler() {
        // 10⁶ draws: mean, variance, fourth moment and the tail mass P(|x| > 3) within 5 standard
        // errors of N(0, 1)'s (0, 1, 3, 0.0026998).
        let zig = Ziggurat::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let n = 1_000_000;
        let (mut s1, mut s2, mut s4, mut tail) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = zig.sample(&mut rng);
            s1 += x;
            s2 += x * x;
            s4 += x * x * x * x;
            if x.abs() > 3.0 {
                tail += 1.0;
            }
        }
        let nf = n as f64;
        assert!((s1 / nf).abs() < 5.0 / nf.sqrt());
        assert!((s2 / nf - 1.0).abs() < 5.0 * (2.0 / nf).sqrt());
        assert!((s4 / nf - 3.0).abs() < 5.0 * (96.0 / nf).sqrt());
        let p = 0.002_699_796;
        assert!((tail / nf - p).abs() < 5.0 * (p / nf).sqrt());
    }

    #[test]
    fn centred_halves_give_the_half_positions() {
        let zig = Ziggurat::new();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let edge_bits = [
            0u32,
            0xff,
            0x7fff_ff00,
            0x8000_0000,
            0x8000_00ff,
            0xffff_ff00,
            u32::MAX,
        ];
        let random = (0..1_000_000).map(|_| rng.next_u32());
        for bits in edge_bits.into_iter().chain(random) {
            let i = (bits & 0xff) as usize;
            assert_eq!(
                (f64::from(centred_half(bits)) * zig.scaled_edges()[i]).to_bits(),
                (half_position(bits) * zig.edges()[i]).to_bits(),
                "{bits:#x}"
            );
        }
        assert_eq!(centred_half(0x8000_0000), 0);
        assert_eq!(centred_half(0), -(1 << 23));
        assert_eq!(centred_half(u32::MAX), (1 << 23) - 1);
    }

    #[test]
    fn index_below_is_in_range_and_covers_it() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[index_below(&mut rng, 7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 850 && c < 1150), "{seen:?}");
    }
}
