//! Unrolling of convolution inputs (im2col) as one pass on the CPU, with its adjoint (col2im)
//! as the backward pass: x [B, C, H, W] -> [B * Ho * Wo, C * kh * kw], rows in output-pixel
//! order, columns ordered C, kh, kw (physics.md section 3). Other devices use tensor ops.

use super::conv2d::Conv2dGeometry;
use crate::cpu_op::f32_slice;
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};

/// Kernel and geometry of an unrolling, with the input shape.
#[derive(Debug, Clone, Copy)]
struct Unroll {
    b: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    padding: usize,
    ho: usize,
    wo: usize,
}

impl Unroll {
    /// Calls `f(row, input_offset, col_offset, len)` for every run of kernel columns of one
    /// (output pixel, channel, kernel row) that lies inside the input: `len` consecutive
    /// elements of row `row` starting at column `col_offset` come from consecutive input
    /// elements starting at `input_offset`. Runs are visited in row order.
    #[inline]
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (h, w) = (self.h as isize, self.w as isize);
        let (kh, kw) = (self.kh as isize, self.kw as isize);
        for b in 0..self.b {
            for oh in 0..self.ho {
                let h0 = (oh * self.stride) as isize - self.padding as isize;
                let (i_lo, i_hi) = ((-h0).max(0), (h - h0).min(kh));
                for ow in 0..self.wo {
                    let row = (b * self.ho + oh) * self.wo + ow;
                    let w0 = (ow * self.stride) as isize - self.padding as isize;
                    let (j_lo, j_hi) = ((-w0).max(0), (w - w0).min(kw));
                    if j_lo >= j_hi {
                        continue;
                    }
                    let len = (j_hi - j_lo) as usize;
                    for c in 0..self.c {
                        let plane = (b * self.c + c) * self.h * self.w;
                        for i in i_lo..i_hi {
                            let src = plane as isize + (h0 + i) * w + w0 + j_lo;
                            let col = (c as isize * kh + i) * kw + j_lo;
                            f(row, src as usize, col as usize, len);
                        }
                    }
                }
            }
        }
    }
}

struct Im2Col(Unroll);

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "aimc-im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let u = self.0;
        let (rows, k) = (u.b * u.ho * u.wo, u.c * u.kh * u.kw);
        let mut out = vec![0.0f32; rows * k];
        u.for_each_run(|row, src, col, len| {
            let dst = row * k + col;
            // Runs are short (the kernel width): a loop beats a call to memcpy.
            for (o, v) in out[dst..dst + len].iter_mut().zip(&x[src..src + len]) {
                *o = *v;
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((rows, k))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&Col2Im(self.0))?))
    }
}

struct Col2Im(Unroll);

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "aimc-col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = f32_slice(s, l)?;
        let u = self.0;
        let k = u.c * u.kh * u.kw;
        let mut out = vec![0.0f32; u.b * u.c * u.h * u.w];
        u.for_each_run(|row, dst, col, len| {
            let src = row * k + col;
            for (o, v) in out[dst..dst + len].iter_mut().zip(&g[src..src + len]) {
                *o += v;
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((u.b, u.c, u.h, u.w))))
    }
}

/// The unrolled input and (Ho, Wo).
pub fn im2col(
    x: &Tensor,
    kh: usize,
    kw: usize,
    g: Conv2dGeometry,
) -> Result<(Tensor, (usize, usize))> {
    let (b, c, h, w) = x.dims4()?;
    let (hp, wp) = (h + 2 * g.padding, w + 2 * g.padding);
    if hp < kh || wp < kw || g.stride == 0 {
        candle_core::bail!(
            "conv2d: kernel {kh}x{kw} larger than the padded input {hp}x{wp}, or stride 0"
        );
    }
    let (ho, wo) = ((hp - kh) / g.stride + 1, (wp - kw) / g.stride + 1);
    if !(x.device().is_cpu() && x.dtype() == DType::F32) {
        return Ok((im2col_composite(x, kh, kw, g, (ho, wo))?, (ho, wo)));
    }
    let u = Unroll {
        b,
        c,
        h,
        w,
        kh,
        kw,
        stride: g.stride,
        padding: g.padding,
        ho,
        wo,
    };
    Ok((x.contiguous()?.apply_op1(Im2Col(u))?, (ho, wo)))
}

/// [`im2col`] from tensor ops (any device).
pub fn im2col_composite(
    x: &Tensor,
    kh: usize,
    kw: usize,
    g: Conv2dGeometry,
    (ho, wo): (usize, usize),
) -> Result<Tensor> {
    let (b, c, _, _) = x.dims4()?;
    let x = if g.padding > 0 {
        x.pad_with_zeros(2, g.padding, g.padding)?
            .pad_with_zeros(3, g.padding, g.padding)?
    } else {
        x.clone()
    };
    let mut patches = Vec::with_capacity(kh * kw);
    for i in 0..kh {
        for j in 0..kw {
            let mut p =
                x.narrow(2, i, (ho - 1) * g.stride + 1)?
                    .narrow(3, j, (wo - 1) * g.stride + 1)?;
            if g.stride > 1 {
                let rows: Vec<u32> = (0..ho).map(|k| (k * g.stride) as u32).collect();
                let cols: Vec<u32> = (0..wo).map(|k| (k * g.stride) as u32).collect();
                let dev = x.device();
                p = p
                    .contiguous()?
                    .index_select(&Tensor::new(rows.as_slice(), dev)?, 2)?
                    .index_select(&Tensor::new(cols.as_slice(), dev)?, 3)?;
            }
            patches.push(p);
        }
    }
    // [B, C, kh*kw, Ho, Wo] -> [B, Ho, Wo, C, kh*kw] -> [B*Ho*Wo, C*kh*kw]
    Tensor::stack(&patches, 2)?
        .permute((0, 3, 4, 1, 2))?
        .reshape((b * ho * wo, c * kh * kw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use candle_core::{Device, Var};

    #[test]
    fn fused_matches_composite_forward_and_backward() -> Result<()> {
        let mut rng = NoiseRng::new(2);
        let v: Vec<f32> = (0..2 * 3 * 7 * 6).map(|_| rng.normal() as f32).collect();
        let x = Var::from_vec(v, (2, 3, 7, 6), &Device::Cpu)?;
        for g in [
            Conv2dGeometry {
                stride: 1,
                padding: 1,
            },
            Conv2dGeometry {
                stride: 2,
                padding: 1,
            },
            Conv2dGeometry {
                stride: 2,
                padding: 0,
            },
        ] {
            let (fast, hw) = im2col(x.as_tensor(), 3, 3, g)?;
            let slow = im2col_composite(x.as_tensor(), 3, 3, g, hw)?;
            assert_eq!(fast.to_vec2::<f32>()?, slow.to_vec2::<f32>()?);
            let weights = Tensor::arange(0f32, fast.elem_count() as f32, &Device::Cpu)?
                .reshape(fast.shape())?;
            let gf = (fast * &weights)?.sum_all()?.backward()?;
            let gs = (slow * &weights)?.sum_all()?.backward()?;
            let a = gf.get(&x).unwrap().flatten_all()?.to_vec1::<f32>()?;
            let b = gs.get(&x).unwrap().flatten_all()?.to_vec1::<f32>()?;
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() <= 1e-3 * v.abs().max(1.0), "{u} vs {v}");
            }
        }
        Ok(())
    }
}
