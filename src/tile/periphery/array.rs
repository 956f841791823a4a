//! The products the crossbar array computes besides y = x W^T, for the stages that need them,
//! without gradients (the backward is straight-through, physics.md section 5): IR drop's
//! a = |x| |W|^T and (x * positions) W^T (`ir_drop.rs`) and read noise's v = x^2 |W|^T
//! (`read_noise.rs`). On the CPU the inputs |x|, x^2 and x * positions come from parallel passes
//! over x and go through two matrix products (|x| and x^2 stacked against |W|; `gemm.rs`);
//! elsewhere each from tensor ops.

use super::ir_drop::{IrCorrected, positions, term};
use super::read_noise::variance_sums;
use crate::cpu_op::{f32_slice, fused_cpu, par_rows, with_avx2};
use crate::gemm::matmul_wt;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

/// The IR-drop correction and the read-noise sums of one tile's DAC outputs.
pub(crate) struct SideProducts {
    /// The IR-drop correction, if IR drop is on.
    ir: Option<IrCorrection>,
    /// sum_j |w_ij| x_j^2 [B, m], if read noise is on.
    pub read_var: Option<Tensor>,
}

/// The IR-drop correction of y: dy from tensor ops, or the sums the fused pass finishes.
enum IrCorrection {
    Term(Tensor),
    Sums { a: Tensor, weighted: Tensor, k: f32 },
}

impl SideProducts {
    /// y plus the IR-drop correction (y itself without IR drop); the correction is a constant
    /// for the gradient.
    pub fn corrected(&self, y: Tensor) -> Result<Tensor> {
        match &self.ir {
            None => Ok(y),
            Some(IrCorrection::Term(dy)) => y + dy,
            Some(IrCorrection::Sums { a, weighted, k }) => {
                y.contiguous()?
                    .apply_op3(a, weighted, IrCorrected { k: *k })
            }
        }
    }
}

/// x [B, n] -> rows [|x| (if IR drop); x^2 (if read noise); x * positions (if IR drop)].
struct StackInputs {
    ir: bool,
    read: bool,
}

impl CustomOp1 for StackInputs {
    fn name(&self) -> &'static str {
        "aimc-side-inputs"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let (b, n) = l.shape().dims2()?;
        let parts = 2 * self.ir as usize + self.read as usize;
        let mut out = vec![0.0f32; parts * x.len()];
        let (abs, rest) = out.split_at_mut(if self.ir { x.len() } else { 0 });
        let (sq, weighted) = rest.split_at_mut(if self.read { x.len() } else { 0 });
        let pos = positions(n);
        par_rows(abs, n, |start, part| {
            with_avx2(
                #[inline(always)]
                || {
                    for (o, v) in part.iter_mut().zip(&x[start..]) {
                        *o = v.abs();
                    }
                },
            )
        });
        par_rows(sq, n, |start, part| {
            with_avx2(
                #[inline(always)]
                || {
                    for (o, v) in part.iter_mut().zip(&x[start..]) {
                        *o = v * v;
                    }
                },
            )
        });
        par_rows(weighted, n, |start, part| {
            with_avx2(
                #[inline(always)]
                || {
                    for (o, row) in part.chunks_mut(n).zip(x[start..].chunks(n)) {
                        for ((o, v), p) in o.iter_mut().zip(row).zip(&pos) {
                            *o = v * p;
                        }
                    }
                },
            )
        });
        Ok((CpuStorage::F32(out), Shape::from((parts * b, n))))
    }
}

/// The side products of DAC outputs `xq` [B, n] through normalised weights `w` [m, n] with
/// absolute values `w_abs`: the IR-drop correction with strength `ir` (gamma_ir times its scale)
/// if on, the read-noise sums if `read`. Inputs are detached.
pub(crate) fn side_products(
    ir: Option<f32>,
    read: bool,
    xq: &Tensor,
    w: &Tensor,
    w_abs: &Tensor,
) -> Result<SideProducts> {
    if ir.is_none() && !read {
        return Ok(SideProducts {
            ir: None,
            read_var: None,
        });
    }
    let (xq, w, w_abs) = (xq.detach(), w.detach(), w_abs.detach());
    let (b, n) = xq.dims2()?;
    if !fused_cpu(&xq) {
        return Ok(SideProducts {
            ir: ir
                .map(|g| term(g, &xq, &w).map(IrCorrection::Term))
                .transpose()?,
            read_var: read.then(|| variance_sums(&xq, &w_abs)).transpose()?,
        });
    }
    let stacked = xq.contiguous()?.apply_op1_no_bwd(&StackInputs {
        ir: ir.is_some(),
        read,
    })?;
    let abs_rows = (ir.is_some() as usize + read as usize) * b;
    let abs_products = matmul_wt(&stacked.narrow(0, 0, abs_rows)?, &w_abs)?;
    let read_var = read
        .then(|| abs_products.narrow(0, abs_rows - b, b))
        .transpose()?;
    let ir = match ir {
        Some(g) => Some(IrCorrection::Sums {
            a: abs_products.narrow(0, 0, b)?.contiguous()?,
            weighted: matmul_wt(&stacked.narrow(0, abs_rows, b)?, &w)?,
            k: g * n as f32,
        }),
        None => None,
    };
    Ok(SideProducts { ir, read_var })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use candle_core::Device;

    fn randn(shape: (usize, usize), std: f64, seed: u64) -> Result<Tensor> {
        let mut v = vec![0f32; shape.0 * shape.1];
        NoiseRng::new(seed).fill_normal(&mut v);
        Tensor::from_vec(v, shape, &Device::Cpu)? * std
    }

    /// The fused products equal the composite formulas.
    #[test]
    fn fused_side_products_equal_the_formulas() -> Result<()> {
        let x = randn((9, 30), 0.5, 1)?;
        let w = randn((7, 30), 0.4, 2)?.clamp(-1.0, 1.0)?;
        let g = 1.75e-6f32;
        let s = side_products(Some(g), true, &x, &w, &w.abs()?)?;
        let y = randn((9, 7), 1.0, 3)?;
        let expected_ir = (&y + term(g, &x, &w)?)?;
        let expected_var = variance_sums(&x, &w.abs()?)?;
        for (got, want) in [
            (s.corrected(y)?, expected_ir),
            (s.read_var.unwrap(), expected_var),
        ] {
            let (a, b) = (
                got.flatten_all()?.to_vec1::<f32>()?,
                want.flatten_all()?.to_vec1::<f32>()?,
            );
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() <= 1e-5 * v.abs().max(1e-2), "{u} vs {v}");
            }
        }
        Ok(())
    }
}
