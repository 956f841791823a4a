//! Helpers of the CPU kernels of candle custom ops (the tile's fused passes, im2col). The
//! element passes run in parallel over blocks of whole rows ([`par_rows`]); each element is
//! computed alone, so the results do not depend on the thread count.

use candle_core::{CpuStorage, Layout, Result, Tensor};
use rayon::prelude::*;

/// About this many elements per task of a parallel pass (whole rows, at least one row).
const PASS_BLOCK: usize = 8192;

/// Spins of candle's CPU thread pool after each operation before its threads park. candle 0.11's
/// default, 25,000, keeps its threads busy for about a millisecond after every parallel
/// operation, time they take from rayon's threads on a loaded machine: in a profile of
/// programming a 4096x4096 layer on 2 cores, 18 % of the samples were these spins, and with 200
/// it took 1.25-1.37 s instead of 1.72 s (docs/benchmarks.md).
pub const CANDLE_POOL_SPINS: u32 = 200;

/// Sets `CANDLE_BARRIER_POOL_SPIN_LIMIT` to [`CANDLE_POOL_SPINS`] unless the user set it; candle
/// reads it when its pool starts (its first parallel operation). Numbers do not change.
///
/// # Safety
/// No other thread may read or write the environment meanwhile: call it first thing in `main`
/// (or before a benchmark's first candle operation).
pub unsafe fn limit_candle_pool_spinning() {
    const VAR: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";
    if let Some(value) = spin_limit_to_set(std::env::var_os(VAR).as_deref()) {
        // SAFETY: the caller guarantees that no other thread uses the environment.
        unsafe { std::env::set_var(VAR, value) };
    }
}

/// The spin limit to write, given the variable's value now: ours unless the user set one.
fn spin_limit_to_set(current: Option<&std::ffi::OsStr>) -> Option<String> {
    current.is_none().then(|| CANDLE_POOL_SPINS.to_string())
}

/// `f()` compiled for AVX2 where the processor has it (8 lanes instead of SSE2's 4; no FMA, so
/// the same numbers as the baseline build). `f` must be an `#[inline(always)]` closure, and the
/// functions it calls `#[inline(always)]`, to be compiled into the AVX2 function.
#[inline(always)]
pub fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the processor supports AVX2 (checked above).
        return unsafe { run(f) };
    }
    f()
}

/// `f(first_element, block)` on blocks of whole rows of `out` (rows of `n` elements), in
/// parallel.
pub fn par_rows(out: &mut [f32], n: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    let n = n.max(1);
    let block = (PASS_BLOCK / n).max(1) * n;
    out.par_chunks_mut(block)
        .enumerate()
        .for_each(|(k, chunk)| f(k * block, chunk));
}

/// The contiguous f32 data of a CPU storage (custom ops accept contiguous inputs only).
pub fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("aimc custom op: input not contiguous"),
    }
}

/// Whether a custom op's fused CPU kernel applies to `t` (f32 on the CPU); other devices and
/// dtypes take the composite path of tensor ops.
pub fn fused_cpu(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == candle_core::DType::F32
}

/// Zeroes `grad` where `mask` is false.
pub fn masked(grad: &Tensor, mask: &Tensor) -> Result<Tensor> {
    grad.mul(&mask.to_dtype(grad.dtype())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our spin limit is written unless the user set one (the environment itself is not touched
    /// here: tests run on threads that read it).
    #[test]
    fn spin_limit_is_ours_unless_set() {
        assert_eq!(spin_limit_to_set(None), Some("200".to_string()));
        assert_eq!(spin_limit_to_set(Some(std::ffi::OsStr::new("25000"))), None);
    }
}
