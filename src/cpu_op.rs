//! Helpers of the CPU kernels of candle custom ops (the tile's fused passes, im2col). The
//! element passes run in parallel over blocks of whole rows ([`par_rows`]); each element is
//! computed alone, so the results do not depend on the thread count.

use candle_core::{CpuStorage, Layout, Result, Tensor};
use rayon::prelude::*;

/// About this many elements per task of a parallel pass (whole rows, at least one row).
const PASS_BLOCK: usize = 8192;

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
