//! Unrolling of convolution inputs (im2col) as one pass on the CPU, with its adjoint (col2im)
//! as the backward pass: x [B, C, H, W] -> [B * Ho * Wo, C * kh * kw], rows in output-pixel
//! order, columns ordered C, kh, kw (physics.md section 3), or any range of those columns (the
//! rows of one tile: the gradient of x is then folded back per tile, never through a full-width
//! unrolled gradient). Any stride and dilation per axis and any zero padding per side (ONNX's
//! `strides`, `dilations`, `pads`). On the CPU images run in parallel (the same bytes on any
//! thread count); other devices use tensor ops.

use super::conv2d::Conv2dGeometry;
use crate::cpu_op::f32_slice;
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// The geometry of a 2-D convolution: stride and dilation per axis (height, width) and zero
/// padding per side (top, left, bottom, right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub pads: [usize; 4],
}

impl From<Conv2dGeometry> for ConvGeometry {
    fn from(g: Conv2dGeometry) -> Self {
        Self {
            stride: (g.stride, g.stride),
            dilation: (1, 1),
            pads: [g.padding; 4],
        }
    }
}

impl ConvGeometry {
    /// (Ho, Wo) of an input of H x W and a kernel of kh x kw:
    /// (H + pad_top + pad_bottom - dilation (kh - 1) - 1) / stride + 1, likewise for W.
    pub fn output_size(
        &self,
        (h, w): (usize, usize),
        (kh, kw): (usize, usize),
    ) -> Result<(usize, usize)> {
        let [pt, pl, pb, pr] = self.pads;
        let (sh, sw) = self.stride;
        let (dh, dw) = self.dilation;
        let (hp, wp) = (h + pt + pb, w + pl + pr);
        let (eh, ew) = (dh * (kh.max(1) - 1) + 1, dw * (kw.max(1) - 1) + 1);
        if hp < eh || wp < ew || sh == 0 || sw == 0 || dh == 0 || dw == 0 {
            candle_core::bail!(
                "conv2d: kernel {kh}x{kw} (dilation {dh}x{dw}) larger than the padded input \
                 {hp}x{wp}, or a stride or dilation of 0"
            );
        }
        Ok(((hp - eh) / sh + 1, (wp - ew) / sw + 1))
    }
}

/// Kernel and geometry of an unrolling, with the input shape.
#[derive(Debug, Clone, Copy)]
struct Unroll {
    b: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    g: ConvGeometry,
    ho: usize,
    wo: usize,
    /// The unrolled columns kept: [start, start + len) of C * kh * kw.
    cols: (usize, usize),
}

impl Unroll {
    /// Elements of one image's unrolled rows, and of the image itself.
    fn image_sizes(&self) -> (usize, usize) {
        (self.ho * self.wo * self.cols.1, self.c * self.h * self.w)
    }

    /// Calls `f(row, input_offset, col_offset, len)` for every run of kept kernel columns of
    /// one (output pixel, channel, kernel row) of one image that lies inside the input: `len`
    /// consecutive elements of the image's row `row` starting at kept column `col_offset`
    /// (counted from the first kept column) come from consecutive elements of the image
    /// starting at `input_offset` (with a dilation of the width above 1, every run is one
    /// element). Runs are visited in row order; every image has the same runs. Only the
    /// channels holding kept columns are visited, and only runs of a channel cut by the ends of
    /// the kept range are clipped.
    #[inline]
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (h, w) = (self.h as isize, self.w as isize);
        let (kh, kw) = (self.kh as isize, self.kw as isize);
        let (sh, sw) = (self.g.stride.0 as isize, self.g.stride.1 as isize);
        let (dh, dw) = (self.g.dilation.0 as isize, self.g.dilation.1 as isize);
        let (pt, pl) = (self.g.pads[0] as isize, self.g.pads[1] as isize);
        let (start, end) = (self.cols.0 as isize, (self.cols.0 + self.cols.1) as isize);
        let per_channel = (self.kh * self.kw).max(1);
        let channels = self.cols.0 / per_channel..(self.cols.0 + self.cols.1).div_ceil(per_channel);
        // A run of `len` columns from `col`, clipped to the kept range unless `whole`.
        let mut emit = |row: usize, src: isize, col: isize, len: isize, whole: bool| {
            if whole {
                f(row, src as usize, (col - start) as usize, len as usize);
            } else {
                let (lo, hi) = (col.max(start), (col + len).min(end));
                if lo < hi {
                    f(
                        row,
                        (src + lo - col) as usize,
                        (lo - start) as usize,
                        (hi - lo) as usize,
                    );
                }
            }
        };
        let mut rows_i: Vec<isize> = Vec::with_capacity(self.kh);
        for oh in 0..self.ho {
            let h0 = oh as isize * sh - pt;
            rows_i.clear();
            rows_i.extend((0..kh).filter(|i| (0..h).contains(&(h0 + i * dh))));
            for ow in 0..self.wo {
                let row = oh * self.wo + ow;
                let w0 = ow as isize * sw - pl;
                let (j_lo, j_hi) = ((-w0).max(0), (w - w0).min(kw));
                if dw == 1 && j_lo >= j_hi {
                    continue;
                }
                for c in channels.clone() {
                    let plane = c * self.h * self.w;
                    let first = c as isize * kh * kw;
                    let whole = first >= start && first + kh * kw <= end;
                    for &i in &rows_i {
                        let line = plane as isize + (h0 + i * dh) * w;
                        let col = (c as isize * kh + i) * kw;
                        if dw == 1 {
                            emit(row, line + w0 + j_lo, col + j_lo, j_hi - j_lo, whole);
                        } else {
                            for j in (0..kw).filter(|j| (0..w).contains(&(w0 + j * dw))) {
                                emit(row, line + w0 + j * dw, col + j, 1, whole);
                            }
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
        let (rows, k) = (u.b * u.ho * u.wo, u.cols.1);
        let mut out = vec![0.0f32; rows * k];
        let (unrolled, image) = u.image_sizes();
        // Images in parallel: each writes its own rows.
        out.par_chunks_mut(unrolled.max(1))
            .zip(x.par_chunks(image.max(1)))
            .for_each(|(out, x)| {
                u.for_each_run(|row, src, col, len| {
                    let dst = row * k + col;
                    // Runs are short (the kernel width): a loop beats a call to memcpy.
                    for (o, v) in out[dst..dst + len].iter_mut().zip(&x[src..src + len]) {
                        *o = *v;
                    }
                })
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
        let k = u.cols.1;
        let mut out = vec![0.0f32; u.b * u.c * u.h * u.w];
        let (unrolled, image) = u.image_sizes();
        // Images in parallel, each summed in the same order on any thread count.
        out.par_chunks_mut(image.max(1))
            .zip(g.par_chunks(unrolled.max(1)))
            .for_each(|(out, g)| {
                u.for_each_run(|row, dst, col, len| {
                    let src = row * k + col;
                    for (o, v) in out[dst..dst + len].iter_mut().zip(&g[src..src + len]) {
                        *o += v;
                    }
                })
            });
        Ok((CpuStorage::F32(out), Shape::from((u.b, u.c, u.h, u.w))))
    }
}

/// The unrolled input and (Ho, Wo).
pub fn im2col(
    x: &Tensor,
    kh: usize,
    kw: usize,
    g: impl Into<ConvGeometry>,
) -> Result<(Tensor, (usize, usize))> {
    let c = x.dims4()?.1;
    im2col_columns(x, kh, kw, g, (0, c * kh * kw))
}

/// Columns [start, start + len) of the unrolled input (`cols` = (start, len)), and (Ho, Wo).
/// Its gradient is folded back onto x directly (col2im of these columns).
pub fn im2col_columns(
    x: &Tensor,
    kh: usize,
    kw: usize,
    g: impl Into<ConvGeometry>,
    cols: (usize, usize),
) -> Result<(Tensor, (usize, usize))> {
    let g = g.into();
    let (b, c, h, w) = x.dims4()?;
    let (ho, wo) = g.output_size((h, w), (kh, kw))?;
    if cols.0 + cols.1 > c * kh * kw {
        candle_core::bail!(
            "im2col: columns {}..{} outside the {} unrolled columns",
            cols.0,
            cols.0 + cols.1,
            c * kh * kw
        );
    }
    if !(x.device().is_cpu() && x.dtype() == DType::F32) {
        let all = im2col_composite(x, kh, kw, g, (ho, wo))?;
        return Ok((all.narrow(1, cols.0, cols.1)?, (ho, wo)));
    }
    let u = Unroll {
        b,
        c,
        h,
        w,
        kh,
        kw,
        g,
        ho,
        wo,
        cols,
    };
    Ok((x.contiguous()?.apply_op1(Im2Col(u))?, (ho, wo)))
}

/// [`im2col`] from tensor ops (any device).
pub fn im2col_composite(
    x: &Tensor,
    kh: usize,
    kw: usize,
    g: impl Into<ConvGeometry>,
    (ho, wo): (usize, usize),
) -> Result<Tensor> {
    let g = g.into();
    let (b, c, _, _) = x.dims4()?;
    let [pt, pl, pb, pr] = g.pads;
    let x = x.pad_with_zeros(2, pt, pb)?.pad_with_zeros(3, pl, pr)?;
    let ((sh, sw), (dh, dw)) = (g.stride, g.dilation);
    let dev = x.device();
    let mut patches = Vec::with_capacity(kh * kw);
    for i in 0..kh {
        for j in 0..kw {
            let rows: Vec<u32> = (0..ho).map(|k| (i * dh + k * sh) as u32).collect();
            let cols: Vec<u32> = (0..wo).map(|k| (j * dw + k * sw) as u32).collect();
            let p = x
                .index_select(&Tensor::new(rows.as_slice(), dev)?, 2)?
                .index_select(&Tensor::new(cols.as_slice(), dev)?, 3)?;
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

    fn geometries() -> Vec<ConvGeometry> {
        let g = |stride, dilation, pads| ConvGeometry {
            stride,
            dilation,
            pads,
        };
        vec![
            Conv2dGeometry {
                stride: 1,
                padding: 1,
            }
            .into(),
            Conv2dGeometry {
                stride: 2,
                padding: 1,
            }
            .into(),
            Conv2dGeometry {
                stride: 2,
                padding: 0,
            }
            .into(),
            g((1, 2), (1, 1), [0, 1, 2, 0]),
            g((2, 1), (2, 2), [1, 1, 1, 1]),
            g((1, 1), (1, 3), [0, 2, 0, 2]),
        ]
    }

    /// A variable of `batch` random 3-channel 7x6 images from stream `seed`.
    fn random_input(seed: u64, batch: usize) -> Result<Var> {
        let mut rng = NoiseRng::new(seed);
        let v: Vec<f32> = (0..batch * 3 * 7 * 6)
            .map(|_| rng.normal() as f32)
            .collect();
        Var::from_vec(v, (batch, 3, 7, 6), &Device::Cpu)
    }

    #[test]
    fn fused_matches_composite_forward_and_backward() -> Result<()> {
        let x = random_input(2, 2)?;
        for g in geometries() {
            let (fast, hw) = im2col(x.as_tensor(), 3, 3, g)?;
            let slow = im2col_composite(x.as_tensor(), 3, 3, g, hw)?;
            assert_eq!(fast.to_vec2::<f32>()?, slow.to_vec2::<f32>()?, "{g:?}");
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

    /// A range of columns is those columns of the full unrolling, and its gradient that of the
    /// full unrolling with zero gradient elsewhere, to the bit.
    #[test]
    fn column_ranges_equal_the_full_unrolling() -> Result<()> {
        let x = random_input(5, 2)?;
        for g in geometries() {
            let (full, hw) = im2col(x.as_tensor(), 3, 3, g)?;
            let weights = full.cos()?.detach();
            for (start, len) in [(0, 27), (0, 5), (7, 13), (26, 1), (9, 9)] {
                let (part, part_hw) = im2col_columns(x.as_tensor(), 3, 3, g, (start, len))?;
                assert_eq!(part_hw, hw);
                let expected = full.narrow(1, start, len)?;
                assert_eq!(part.to_vec2::<f32>()?, expected.to_vec2::<f32>()?, "{g:?}");
                let w = weights.narrow(1, start, len)?.contiguous()?;
                let grad = |t: &Tensor, w: &Tensor| -> Result<Vec<f32>> {
                    let grads = (t * w)?.sum_all()?.backward()?;
                    grads.get(&x).expect("grad").flatten_all()?.to_vec1::<f32>()
                };
                let mask = Tensor::zeros(full.shape(), DType::F32, &Device::Cpu)?
                    .slice_assign(&[0..full.dim(0)?, start..start + len], &w)?;
                assert_eq!(grad(&part, &w)?, grad(&full, &mask)?, "{g:?} {start}+{len}");
            }
            assert!(im2col_columns(x.as_tensor(), 3, 3, g, (20, 8)).is_err());
        }
        Ok(())
    }

    /// Unrolling and its adjoint give the same bytes on 1 and 3 threads.
    #[test]
    fn same_bytes_on_any_thread_count() -> Result<()> {
        let x = random_input(4, 5)?;
        let run = |threads| -> Result<(Vec<f32>, Vec<f32>)> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                let (cols, _) = im2col(x.as_tensor(), 3, 3, geometries()[4])?;
                let weights = cols.sin()?;
                let grads = (&cols * &weights)?.sum_all()?.backward()?;
                Ok((
                    cols.flatten_all()?.to_vec1::<f32>()?,
                    grads
                        .get(&x)
                        .expect("grad")
                        .flatten_all()?
                        .to_vec1::<f32>()?,
                ))
            })
        };
        assert_eq!(run(1)?, run(3)?);
        Ok(())
    }

    /// The unrolled product equals candle's convolution (symmetric padding, equal strides and
    /// dilations, which candle's conv2d takes).
    #[test]
    fn unrolled_product_equals_candle_conv2d() -> Result<()> {
        let mut rng = NoiseRng::new(3);
        let mut randn = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.normal() as f32).collect() };
        let x = Tensor::from_vec(randn(2 * 3 * 9 * 8), (2, 3, 9, 8), &Device::Cpu)?;
        let w = Tensor::from_vec(randn(4 * 3 * 3 * 3), (4, 3, 3, 3), &Device::Cpu)?;
        for (stride, padding, dilation) in [(1, 1, 1), (2, 0, 1), (1, 2, 2), (2, 1, 3)] {
            let g = ConvGeometry {
                stride: (stride, stride),
                dilation: (dilation, dilation),
                pads: [padding; 4],
            };
            let (cols, (ho, wo)) = im2col(&x, 3, 3, g)?;
            let ours = cols
                .matmul(&w.flatten_from(1)?.t()?)?
                .reshape((2, ho, wo, 4))?
                .permute((0, 3, 1, 2))?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let theirs = x
                .conv2d(&w, padding, stride, dilation, 1)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            assert_eq!(ours.len(), theirs.len());
            for (a, b) in ours.iter().zip(&theirs) {
                assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
        Ok(())
    }
}
