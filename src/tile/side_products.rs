//! The products a tile needs besides x W^T, computed without gradients (the backward is
//! straight-through, physics.md section 5): the IR-drop correction (Eq. 15-18)
//! dy_i = -c(gamma_ir n sum_j |w_ij||x_j|) sum_j w_ij x_j (1 - (1 - j/n)^2) and the read-noise
//! variance sum_j |w_ij| x_j^2. On the CPU the three inputs (|x|, x^2, x * positions) come from one
//! pass over x and go through two matrix products; elsewhere from tensor ops.

use super::ops::f32_slice;
use super::periphery::Periphery;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Result, Shape, Tensor};

/// IR-drop correction and read-noise variance of one tile's DAC outputs.
pub(crate) struct SideProducts {
    /// dy [B, m], if IR drop is on.
    pub ir_term: Option<Tensor>,
    /// sum_j |w_ij| x_j^2 [B, m], if read noise is on.
    pub read_var: Option<Tensor>,
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
        let mut out = Vec::with_capacity(parts * x.len());
        if self.ir {
            out.extend(x.iter().map(|v| v.abs()));
        }
        if self.read {
            out.extend(x.iter().map(|v| v * v));
        }
        if self.ir {
            let pos = positions(n);
            for row in x.chunks(n) {
                out.extend(row.iter().zip(&pos).map(|(v, p)| v * p));
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((parts * b, n))))
    }
}

/// 1 - (1 - j/n)^2, j = 1..n.
fn positions(n: usize) -> Vec<f32> {
    (1..=n)
        .map(|j| {
            let r = 1.0 - j as f32 / n as f32;
            1.0 - r * r
        })
        .collect()
}

/// (a, weighted) -> -c(k a) weighted, c(a) = 0.05 a^3 - 0.2 a^2 + 0.5 a (Eq. 17).
struct IrTerm {
    k: f32,
}

impl CustomOp2 for IrTerm {
    fn name(&self) -> &'static str {
        "aimc-ir-term"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (a, w) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let out: Vec<f32> = a
            .iter()
            .zip(w)
            .map(|(&a, &w)| {
                let a = self.k * a;
                -(0.05 * a * a * a - 0.2 * a * a + 0.5 * a) * w
            })
            .collect();
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

impl Periphery {
    /// The side products of DAC outputs `xq` [B, n] through normalised weights `w` [m, n] with
    /// absolute values `w_abs`; inputs are detached.
    pub(crate) fn side_products(
        &self,
        xq: &Tensor,
        w: &Tensor,
        w_abs: &Tensor,
    ) -> Result<SideProducts> {
        let (ir, read) = (self.ir_drop, self.read_noise > 0.0);
        if ir.is_none() && !read {
            return Ok(SideProducts {
                ir_term: None,
                read_var: None,
            });
        }
        let (xq, w, w_abs) = (xq.detach(), w.detach(), w_abs.detach());
        let (b, n) = xq.dims2()?;
        if !(xq.device().is_cpu() && xq.dtype() == DType::F32) {
            return Ok(SideProducts {
                ir_term: ir.map(|g| Self::ir_drop_term(g, &xq, &w)).transpose()?,
                read_var: read.then(|| xq.sqr()?.matmul(&w_abs.t()?)).transpose()?,
            });
        }
        let stacked = xq.contiguous()?.apply_op1_no_bwd(&StackInputs {
            ir: ir.is_some(),
            read,
        })?;
        let abs_rows = (ir.is_some() as usize + read as usize) * b;
        let abs_products = stacked.narrow(0, 0, abs_rows)?.matmul(&w_abs.t()?)?;
        let read_var = read
            .then(|| abs_products.narrow(0, abs_rows - b, b))
            .transpose()?;
        let ir_term = match ir {
            Some(g) => {
                let a = abs_products.narrow(0, 0, b)?;
                let weighted = stacked.narrow(0, abs_rows, b)?.matmul(&w.t()?)?;
                Some(a.apply_op2_no_bwd(&weighted, &IrTerm { k: g * n as f32 })?)
            }
            None => None,
        };
        Ok(SideProducts { ir_term, read_var })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use crate::tile::config::TileConfig;
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
        let p = Periphery::new(&TileConfig::standard()).unwrap();
        let s = p.side_products(&x, &w, &w.abs()?)?;
        let g = p.ir_drop.unwrap();
        let expected_ir = Periphery::ir_drop_term(g, &x, &w)?;
        let expected_var = x.sqr()?.matmul(&w.abs()?.t()?)?;
        for (got, want) in [
            (s.ir_term.unwrap(), expected_ir),
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
