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

/// The elements per task of a parallel pass over rows of `n` elements: about [`PASS_BLOCK`],
/// whole rows, at least one.
fn row_block(n: usize) -> usize {
    let n = n.max(1);
    (PASS_BLOCK / n).max(1) * n
}

/// `f(first_element, block)` on blocks of whole rows of `out` (rows of `n` elements), in
/// parallel.
pub fn par_rows(out: &mut [f32], n: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    let block = row_block(n);
    out.par_chunks_mut(block)
        .enumerate()
        .for_each(|(k, chunk)| f(k * block, chunk));
}

/// `f(row, a_i, b_i)` for every element of `a` and `b` (same length; rows of `n` elements), in
/// parallel over blocks of whole rows, into a new vector that is not zeroed first (a pass over
/// memory fewer than filling a zeroed one).
pub fn par_zip_rows(
    a: &[f32],
    b: &[f32],
    n: usize,
    f: impl Fn(usize, f32, f32) -> f32 + Sync + Send,
) -> Vec<f32> {
    assert_eq!(
        a.len(),
        b.len(),
        "par_zip_rows: slices of different lengths"
    );
    let (n, block) = (n.max(1), row_block(n));
    let mut out = Vec::with_capacity(a.len());
    out.spare_capacity_mut()[..a.len()]
        .par_chunks_mut(block)
        .enumerate()
        .for_each(|(k, chunk)| {
            let start = k * block;
            let rows = chunk
                .chunks_mut(n)
                .zip(a[start..].chunks(n))
                .zip(b[start..].chunks(n));
            for (r, ((out, a), b)) in rows.enumerate() {
                for ((o, &u), &v) in out.iter_mut().zip(a).zip(b) {
                    o.write(f(start / n + r, u, v));
                }
            }
        });
    // SAFETY: the chunks cover the first a.len() elements, and each element of a chunk was
    // written above: from `start` on, `a` and `b` hold at least as many elements as the chunk.
    unsafe { out.set_len(a.len()) };
    out
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
