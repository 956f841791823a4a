//! Helpers of the CPU kernels of candle custom ops (the tile's fused passes, im2col).

use candle_core::{CpuStorage, Layout, Result, Tensor};

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
