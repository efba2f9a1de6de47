//! AVX2 builds of the simulator's two hot loops, taken at run time when the CPU has AVX2
//! (x86-64): the generator and ziggurat across lanes ([`fill_pairs_across`]) and the diagonal
//! fast path's block of steps ([`run_unchecked`]). The portable build is the target's baseline
//! (SSE2 natively), so the binary runs on any x86-64 and uses AVX2 where it is there.
//!
//! This module holds the crate's only `unsafe`: calling a `#[target_feature(enable = "avx2")]`
//! function, which is sound exactly when the CPU has AVX2, checked by
//! `is_x86_feature_detected!` just before (std caches the answer; the check is one atomic load).
//! Each function body is the portable code itself, inlined and compiled with AVX2 enabled; no
//! intrinsic, no pointer. The numbers are the same bit for bit (tested): Rust never contracts
//! a·b + c into a fused multiply-add and never reorders floating-point operations, so vector
//! code computes each lane exactly as scalar code does.
//!
//! On other targets every function here declines (returns `false`/`None`) and the caller runs
//! its portable build.

use super::diagonal::{Block, DiagonalLanes};
use super::lanes::StreamLanes;
use super::normal::Ziggurat;

/// Whether this CPU has AVX2 (and, in unit tests, [`portable_only`] is not in force).
#[cfg(target_arch = "x86_64")]
pub(super) fn available() -> bool {
    #[cfg(test)]
    if PORTABLE_ONLY.with(std::cell::Cell::get) {
        return false;
    }
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(all(test, target_arch = "x86_64"))]
thread_local! {
    static PORTABLE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on this thread as on a CPU without AVX2, so that unit tests check the portable
/// builds on any machine.
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) fn portable_only<T>(f: impl FnOnce() -> T) -> T {
    PORTABLE_ONLY.with(|flag| flag.set(true));
    let value = f();
    PORTABLE_ONLY.with(|flag| flag.set(false));
    value
}

/// Whether this CPU has AVX2: never, off x86-64.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn available() -> bool {
    false
}

/// Runs `f`: off x86-64 everything is portable.
#[cfg(all(test, not(target_arch = "x86_64")))]
pub(super) fn portable_only<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Runs [`StreamLanes::fill_pairs_across`] compiled for AVX2 and returns true if this CPU has
/// AVX2; otherwise does nothing and returns false.
#[inline(always)]
pub(super) fn fill_pairs_across<const N: usize>(
    lanes: &mut StreamLanes<N>,
    zig: &Ziggurat,
    out: &mut [[f64; N]],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the CPU has AVX2 (checked just above), the call's only requirement.
        #[allow(unsafe_code)]
        unsafe {
            x86::fill_pairs_across(lanes, zig, out)
        };
        return true;
    }
    let _ = (lanes, zig, out);
    false
}

/// Runs [`DiagonalLanes::run_unchecked`]'s body compiled for AVX2 and returns its result if
/// this CPU has AVX2; otherwise does nothing and returns `None`.
#[inline(always)]
pub(super) fn run_unchecked<const D: usize>(
    lanes: &mut DiagonalLanes<D>,
    rule: &impl Fn(usize, f64, f64, f64) -> (f64, f64),
    block: Block<'_, D>,
) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the CPU has AVX2 (checked just above), the call's only requirement.
        #[allow(unsafe_code)]
        let done = unsafe { x86::run_unchecked(lanes, rule, block) };
        return Some(done);
    }
    let _ = (lanes, rule, block);
    None
}

/// The AVX2 builds: each the portable body, inlined into a function compiled with AVX2.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Block, DiagonalLanes, StreamLanes, Ziggurat};

    #[target_feature(enable = "avx2")]
    pub(super) fn fill_pairs_across<const N: usize>(
        lanes: &mut StreamLanes<N>,
        zig: &Ziggurat,
        out: &mut [[f64; N]],
    ) {
        lanes.fill_pairs_across(zig, out);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn run_unchecked<const D: usize>(
        lanes: &mut DiagonalLanes<D>,
        rule: &impl Fn(usize, f64, f64, f64) -> (f64, f64),
        block: Block<'_, D>,
    ) -> bool {
        lanes.run_unchecked_portable(rule, block)
    }
}
