//! Two-lane vectors of `u64` and `f64` for the paired lanes of [`super::lanes`]: `simd128` on
//! wasm32 when the build enables it (`.cargo/config.toml` does), plain pairs elsewhere (natively
//! the lanes go one by one; the plain pairs let the paired code be tested there). Every operation
//! is exact integer arithmetic or a single IEEE 754 operation per lane, so both give the same
//! bits. (Natively the fastest kernels are the single-lane one, or with AVX2 the all-lanes one
//! of [`super::avx2`]; wasm32's intrinsics used here are safe functions.)

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) use plain::{F64x2, U64x2};
/// The backend of this target.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use simd128::{F64x2, U64x2};

/// Plain pairs: the reference semantics.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod plain {
    use crate::normal::centred_half;

    /// Two `u64`.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct U64x2([u64; 2]);
    /// Two `f64`.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F64x2([f64; 2]);

    impl U64x2 {
        #[inline(always)]
        pub(crate) fn new(a: u64, b: u64) -> Self {
            Self([a, b])
        }
        #[inline(always)]
        pub(crate) fn lanes(self) -> [u64; 2] {
            self.0
        }
        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            Self([
                self.0[0].wrapping_add(o.0[0]),
                self.0[1].wrapping_add(o.0[1]),
            ])
        }
        #[inline(always)]
        pub(crate) fn xor(self, o: Self) -> Self {
            Self([self.0[0] ^ o.0[0], self.0[1] ^ o.0[1]])
        }
        #[inline(always)]
        pub(crate) fn or(self, o: Self) -> Self {
            Self([self.0[0] | o.0[0], self.0[1] | o.0[1]])
        }
        #[inline(always)]
        pub(crate) fn shl<const S: u32>(self) -> Self {
            Self([self.0[0] << S, self.0[1] << S])
        }
        #[inline(always)]
        pub(crate) fn shr<const S: u32>(self) -> Self {
            Self([self.0[0] >> S, self.0[1] >> S])
        }
        /// [`centred_half`] of the low halves and of the high halves, as `f64`.
        #[inline(always)]
        pub(crate) fn centred_halves(self) -> (F64x2, F64x2) {
            let c = |w: u64, shift: u32| f64::from(centred_half((w >> shift) as u32));
            (
                F64x2([c(self.0[0], 0), c(self.0[1], 0)]),
                F64x2([c(self.0[0], 32), c(self.0[1], 32)]),
            )
        }
    }

    impl F64x2 {
        #[inline(always)]
        pub(crate) fn new(a: f64, b: f64) -> Self {
            Self([a, b])
        }
        #[inline(always)]
        pub(crate) fn lanes(self) -> [f64; 2] {
            self.0
        }
        #[inline(always)]
        pub(crate) fn mul(self, o: Self) -> Self {
            Self([self.0[0] * o.0[0], self.0[1] * o.0[1]])
        }
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            Self([self.0[0].abs(), self.0[1].abs()])
        }
        /// Bit l set where lane l of `self` ≥ that of `o` (false for NaN).
        #[inline(always)]
        pub(crate) fn ge_mask(self, o: Self) -> u32 {
            u32::from(self.0[0] >= o.0[0]) | (u32::from(self.0[1] >= o.0[1]) << 1)
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::*;

    /// Two `u64` in a `v128`.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct U64x2(v128);
    /// Two `f64` in a `v128`.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F64x2(v128);

    impl U64x2 {
        #[inline(always)]
        pub(crate) fn new(a: u64, b: u64) -> Self {
            Self(u64x2(a, b))
        }
        #[inline(always)]
        pub(crate) fn lanes(self) -> [u64; 2] {
            [
                u64x2_extract_lane::<0>(self.0),
                u64x2_extract_lane::<1>(self.0),
            ]
        }
        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            Self(i64x2_add(self.0, o.0))
        }
        #[inline(always)]
        pub(crate) fn xor(self, o: Self) -> Self {
            Self(v128_xor(self.0, o.0))
        }
        #[inline(always)]
        pub(crate) fn or(self, o: Self) -> Self {
            Self(v128_or(self.0, o.0))
        }
        #[inline(always)]
        pub(crate) fn shl<const S: u32>(self) -> Self {
            Self(i64x2_shl(self.0, S))
        }
        #[inline(always)]
        pub(crate) fn shr<const S: u32>(self) -> Self {
            Self(u64x2_shr(self.0, S))
        }
        /// [`crate::normal::centred_half`] of the low halves and of the high halves, as
        /// `f64`: one signed shift for the four halves, two conversions.
        #[inline(always)]
        pub(crate) fn centred_halves(self) -> (F64x2, F64x2) {
            let c = i32x4_shr(v128_xor(self.0, u32x4_splat(0x8000_0000)), 8);
            (
                F64x2(f64x2_convert_low_i32x4(i32x4_shuffle::<0, 2, 0, 2>(c, c))),
                F64x2(f64x2_convert_low_i32x4(i32x4_shuffle::<1, 3, 1, 3>(c, c))),
            )
        }
    }

    impl F64x2 {
        #[inline(always)]
        pub(crate) fn new(a: f64, b: f64) -> Self {
            Self(f64x2(a, b))
        }
        #[inline(always)]
        pub(crate) fn lanes(self) -> [f64; 2] {
            [
                f64x2_extract_lane::<0>(self.0),
                f64x2_extract_lane::<1>(self.0),
            ]
        }
        #[inline(always)]
        pub(crate) fn mul(self, o: Self) -> Self {
            Self(f64x2_mul(self.0, o.0))
        }
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            Self(f64x2_abs(self.0))
        }
        #[inline(always)]
        pub(crate) fn ge_mask(self, o: Self) -> u32 {
            u32::from(i64x2_bitmask(f64x2_ge(self.0, o.0)))
        }
    }
}
