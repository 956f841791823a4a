//! The DAC (physics.md section 3, Eq. 5): each input divided by the tile's input range alpha and
//! quantised with q bits over [-b, b] (standard tile: 8 bits, b = 1). Keys `dac`, `dac_bits`,
//! `dac_bound`. The backward is straight-through (physics.md section 5): the gradient passes the
//! rounding, is zero where the DAC clipped, and alpha gets its own. On the CPU one fused pass
//! per row (a custom op); elsewhere the same arithmetic from tensor ops.

use super::stage::{KnobInfo, Stage, bits, positive, whole_number};
use crate::cpu_op::{f32_slice, fused_cpu, par_rows, par_zip_rows, with_avx2};
use crate::error::{InvalidKey, Result as AimcResult};
use crate::tile::quantize::{Quantizer, quantize_ste};
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use serde::{Deserialize, Serialize};

/// `dac`, `dac_bits`, `dac_bound` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DacConfig {
    /// DAC on the inputs.
    #[serde(rename = "dac")]
    pub on: bool,
    #[serde(rename = "dac_bits")]
    pub bits: u32,
    /// Inputs (divided by the input range) are clipped to [-bound, bound].
    #[serde(rename = "dac_bound")]
    pub bound: f64,
}

impl Default for DacConfig {
    /// The standard tile's: 8 bits over [-1, 1].
    fn default() -> Self {
        Self {
            on: true,
            bits: 8,
            bound: 1.0,
        }
    }
}

impl DacConfig {
    /// A DAC of `bits` over [-bound, bound], checked.
    pub fn new(bits: u32, bound: f64) -> std::result::Result<Self, InvalidKey> {
        let c = Self {
            on: true,
            bits,
            bound,
        };
        c.validate()?;
        Ok(c)
    }

    /// The quantiser, if the DAC is on.
    pub fn quantizer(&self) -> AimcResult<Option<Quantizer>> {
        self.on
            .then(|| Quantizer::new(self.bits, self.bound))
            .transpose()
    }
}

const KNOBS: [KnobInfo; 1] = [KnobInfo {
    name: "dac-bits",
    help: "DAC resolution (bits)",
}];

impl Stage for DacConfig {
    fn name(&self) -> &'static str {
        "dac"
    }

    fn error_row(&self) -> Option<&'static str> {
        Some("dac_adc")
    }

    fn is_exact(&self) -> bool {
        !self.on
    }

    fn switch_off(&mut self) {
        self.on = false;
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        bits("dac_bits", self.bits)?;
        positive("dac_bound", self.bound)?;
        Ok(())
    }

    fn knobs(&self) -> &'static [KnobInfo] {
        &KNOBS
    }

    fn set_knob(&mut self, _knob: &str, value: f64) -> std::result::Result<(), InvalidKey> {
        self.bits = whole_number("dac_bits", value)?;
        Ok(())
    }
}

/// DAC(x / alpha) for x [B, n] and input ranges alpha [1, 1] or [B, 1] (x / alpha without a
/// quantiser). Straight-through backward, zero where clipped; alpha receives its gradient.
pub fn scaled_dac(x: &Tensor, alpha: &Tensor, q: Option<Quantizer>) -> Result<Tensor> {
    if fused_cpu(x) {
        return x
            .contiguous()?
            .apply_op2(&alpha.contiguous()?, ScaledDacOp(q));
    }
    let xs = x.broadcast_div(alpha)?;
    match q {
        Some(q) => quantize_ste(&xs, q),
        None => Ok(xs),
    }
}

/// x -> DAC(x / alpha), alpha [1, 1] or one per row [B, 1]; without a quantiser x / alpha.
pub(crate) struct ScaledDacOp(pub(crate) Option<Quantizer>);

/// The reciprocal range of each row of `x` [B, n] from `alpha` ([1, 1] or [B, 1]).
fn row_inverse(alpha: &[f32], rows: usize) -> Result<Vec<f32>> {
    match alpha.len() {
        1 => Ok(vec![1.0 / alpha[0]; rows]),
        n if n == rows => Ok(alpha.iter().map(|a| 1.0 / a).collect()),
        n => candle_core::bail!("aimc-scaled-dac: {n} input ranges for {rows} rows"),
    }
}

impl CustomOp2 for ScaledDacOp {
    fn name(&self) -> &'static str {
        "aimc-scaled-dac"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, alpha) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let n = l1.dims().last().copied().unwrap_or(1).max(1);
        let inv = row_inverse(alpha, x.len() / n)?;
        let mut out = vec![0.0f32; x.len()];
        par_rows(&mut out, n, |start, rows| {
            with_avx2(
                #[inline(always)]
                || {
                    let first = start / n;
                    for (i, row) in rows.chunks_mut(n).enumerate() {
                        let a = inv[first + i];
                        let src = &x[start + i * n..][..n];
                        for (v, &xv) in row.iter_mut().zip(src) {
                            *v = xv * a;
                        }
                        if let Some(q) = self.0 {
                            q.apply_slice(row);
                        }
                    }
                },
            )
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        alpha: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // dx = grad / alpha where |x / alpha| <= bound; dalpha = -sum_j dx_j x_j / alpha.
        let dx = x.apply_op3_no_bwd(alpha, &grad.contiguous()?, &ScaledDacGrad(self.0))?;
        let per_row = alpha.elem_count() != 1;
        let dot = dx.apply_op2_no_bwd(x, &RowDot { per_row })?;
        let dalpha = (dot.reshape(alpha.shape())? / alpha)?.neg()?;
        Ok((Some(dx), Some(dalpha)))
    }
}

/// (a, b) [B, n] -> sum_j a_j b_j per row [B, 1], or over everything [1].
struct RowDot {
    per_row: bool,
}

impl CustomOp2 for RowDot {
    fn name(&self) -> &'static str {
        "aimc-row-dot"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (a, b) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let n = l1.dims().last().copied().unwrap_or(1).max(1);
        let rows: Vec<f32> = a
            .chunks(n)
            .zip(b.chunks(n))
            .map(|(u, v)| u.iter().zip(v).map(|(p, q)| (p * q) as f64).sum::<f64>() as f32)
            .collect();
        if self.per_row {
            let r = rows.len();
            Ok((CpuStorage::F32(rows), Shape::from((r, 1))))
        } else {
            let total = rows.iter().map(|&v| v as f64).sum::<f64>() as f32;
            Ok((CpuStorage::F32(vec![total]), Shape::from(1)))
        }
    }
}

/// The input gradient of [`ScaledDacOp`]: (x, alpha, grad) -> grad / alpha, zero where clipped.
struct ScaledDacGrad(Option<Quantizer>);

impl CustomOp3 for ScaledDacGrad {
    fn name(&self) -> &'static str {
        "aimc-scaled-dac-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, alpha, g) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?, f32_slice(s3, l3)?);
        let n = l1.dims().last().copied().unwrap_or(1).max(1);
        let inv = row_inverse(alpha, x.len() / n)?;
        let bound = self.0.map_or(f32::INFINITY, |q| q.bound);
        if g.len() != x.len() {
            candle_core::bail!(
                "aimc-scaled-dac-grad: {} gradients for {} inputs",
                g.len(),
                x.len()
            );
        }
        let out = par_zip_rows(x, g, n, |row, v, d| {
            let a = inv[row];
            if (v * a).abs() <= bound { d * a } else { 0.0 }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn q8(b: f64) -> Quantizer {
        Quantizer::new(8, b).unwrap()
    }

    /// The fused DAC(x / alpha) and its gradients equal the composite ones.
    #[test]
    fn scaled_dac_equals_composite_with_gradients() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.5, (6, 7), &dev)?)?;
        for (alpha, q) in [
            (Var::new(&[[1.3f32]], &dev)?, Some(q8(1.0))),
            (Var::new(&[[0.7f32]], &dev)?, None),
            (
                Var::from_vec(vec![0.5f32, 1.0, 2.0, 1.5, 0.9, 3.0], (6, 1), &dev)?,
                Some(q8(1.0)),
            ),
        ] {
            let weights = Tensor::randn(0f32, 1.0, (6, 7), &dev)?;
            let run = |fused: bool| -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
                let y = if fused {
                    scaled_dac(&x, &alpha, q)?
                } else {
                    let xs = x.broadcast_div(&alpha)?;
                    match q {
                        Some(q) => quantize_ste(&xs, q)?,
                        None => xs,
                    }
                };
                let g = (&y * &weights)?.sum_all()?.backward()?;
                Ok((
                    y.flatten_all()?.to_vec1()?,
                    g.get(&x).unwrap().flatten_all()?.to_vec1()?,
                    g.get(&alpha).unwrap().flatten_all()?.to_vec1()?,
                ))
            };
            let (a, b) = (run(true)?, run(false)?);
            for (u, v) in [(&a.0, &b.0), (&a.1, &b.1), (&a.2, &b.2)] {
                for (p, r) in u.iter().zip(v.iter()) {
                    assert!((p - r).abs() <= 1e-5 * r.abs().max(1.0), "{p} vs {r}");
                }
            }
        }
        Ok(())
    }

    /// The input gradient follows the rule, element by element, over many parallel blocks
    /// with one range per row.
    #[test]
    fn input_gradient_rule_holds_across_blocks() -> Result<()> {
        let dev = Device::Cpu;
        let (rows, n) = (1500, 7);
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.5, (rows, n), &dev)?)?;
        let alpha = Tensor::rand(0.5f32, 2.0, (rows, 1), &dev)?;
        let weights = Tensor::randn(0f32, 1.0, (rows, n), &dev)?;
        let y = scaled_dac(&x, &alpha, Some(q8(1.0)))?;
        let g = (&y * &weights)?.sum_all()?.backward()?;
        let got = g.get(&x).unwrap().to_vec2::<f32>()?;
        let (xs, ws) = (x.to_vec2::<f32>()?, weights.to_vec2::<f32>()?);
        for (i, a) in alpha.flatten_all()?.to_vec1::<f32>()?.iter().enumerate() {
            let inv = 1.0 / a;
            for j in 0..n {
                let want = if (xs[i][j] * inv).abs() <= 1.0 {
                    ws[i][j] * inv
                } else {
                    0.0
                };
                assert_eq!(got[i][j], want, "row {i}, column {j}");
            }
        }
        Ok(())
    }

    #[test]
    fn gradients_pass_except_where_clipped() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_vec(vec![0.3f32, -0.7, 1.5, -2.0], (1, 4), &dev)?;
        let one = Tensor::new(&[[1f32]], &dev)?;
        for fused in [true, false] {
            let y = if fused {
                scaled_dac(x.as_tensor(), &one, Some(q8(1.0)))?
            } else {
                quantize_ste(x.as_tensor(), q8(1.0))?
            };
            let g = y.sum_all()?.backward()?;
            assert_eq!(
                g.get(&x).unwrap().flatten_all()?.to_vec1::<f32>()?,
                vec![1.0, 1.0, 0.0, 0.0]
            );
        }
        Ok(())
    }

    #[test]
    fn validates_and_switches_off() {
        let mut c = DacConfig::default();
        assert!(c.validate().is_ok() && !c.is_exact());
        c.switch_off();
        assert!(c.is_exact() && c.quantizer().unwrap().is_none());
        c.bits = 0;
        assert_eq!(c.validate().unwrap_err().key, "dac_bits");
        let mut c = DacConfig::default();
        c.set_knob("dac-bits", 6.0).unwrap();
        assert_eq!(c.bits, 6);
        assert!(c.set_knob("dac-bits", 6.5).is_err());
    }
}
