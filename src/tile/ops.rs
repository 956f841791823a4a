//! The periphery's element-wise stages as differentiable candle operations: the DAC quantiser and
//! the ADC stage (output noise, S-shaped nonlinearity, quantiser). Backward is straight-through:
//! gradients pass the rounding, and are zero where the DAC clipped or the ADC saturated
//! (physics.md section 5). On the CPU each stage is one fused pass (a custom op); on other
//! devices the same arithmetic is composed from tensor ops (`x + (q - x).detach()`).
//! Noise comes from our seeded [`NoiseRng`], drawn in element order, identical on both paths.

use super::quantize::Quantizer;
use crate::rng::NoiseRng;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Result, Shape, Tensor};

/// S-shaped transfer b tanh(k z / b) / tanh(k); identity for k = 0.
#[inline]
pub(crate) fn s_shape(z: f32, k: f32, bound: f32) -> f32 {
    if k == 0.0 {
        z
    } else {
        bound * (k * z / bound).tanh() / k.tanh()
    }
}

/// The ADC stage's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcStage {
    /// The quantiser, or `None` for an ideal (unquantised, unclipped) read-out.
    pub quantizer: Option<Quantizer>,
    /// S-shape strength k (0 = linear); applies only with a quantiser (it needs a bound).
    pub s_shape: f32,
}

impl AdcStage {
    #[inline]
    fn apply(&self, z: f32) -> f32 {
        match self.quantizer {
            Some(q) => q.apply(s_shape(z, self.s_shape, q.bound)),
            None => z,
        }
    }
}

/// The contiguous f32 data of a CPU storage (custom ops accept contiguous inputs only).
pub(crate) fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("aimc custom op: input not contiguous"),
    }
}

/// Zeroes `grad` where `mask` is false.
fn masked(grad: &Tensor, mask: &Tensor) -> Result<Tensor> {
    grad.mul(&mask.to_dtype(grad.dtype())?)
}

struct QuantOp(Quantizer);

impl CustomOp1 for QuantOp {
    fn name(&self) -> &'static str {
        "aimc-dac"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let out: Vec<f32> = x.iter().map(|&v| self.0.apply(v)).collect();
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(masked(grad, &arg.abs()?.le(self.0.bound as f64)?)?))
    }
}

/// DAC: quantises `x` (already divided by the input range) with `q`, clipping at its bound.
pub fn dac(x: &Tensor, q: Quantizer) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?.apply_op1(QuantOp(q))
    } else {
        dac_composite(x, q)
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
        let mut out = x.to_vec();
        for (row, &a) in out.chunks_mut(n).zip(&inv) {
            for v in row.iter_mut() {
                *v *= a;
            }
            if let Some(q) = self.0 {
                q.apply_slice(row);
            }
        }
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

impl candle_core::CustomOp3 for ScaledDacGrad {
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
        let mut out = Vec::with_capacity(x.len());
        for ((row, grow), a) in x.chunks(n).zip(g.chunks(n)).zip(&inv) {
            out.extend(
                row.iter()
                    .zip(grow)
                    .map(|(&v, &d)| if (v * a).abs() <= bound { d * a } else { 0.0 }),
            );
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// DAC(x / alpha) for x [B, n] and input ranges alpha [1, 1] or [B, 1] (x / alpha without a
/// quantiser). Straight-through backward, zero where clipped; alpha receives its gradient.
pub fn scaled_dac(x: &Tensor, alpha: &Tensor, q: Option<Quantizer>) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        return x
            .contiguous()?
            .apply_op2(&alpha.contiguous()?, ScaledDacOp(q));
    }
    let xs = x.broadcast_div(alpha)?;
    match q {
        Some(q) => dac_composite(&xs, q),
        None => Ok(xs),
    }
}

/// [`dac`] from tensor ops (any device).
pub fn dac_composite(x: &Tensor, q: Quantizer) -> Result<Tensor> {
    let b = q.bound as f64;
    let xc = x.clamp(-b, b)?;
    let qv = ((&xc * q.inv_step() as f64)?.round()? * q.step() as f64)?.clamp(-b, b)?;
    &xc + (qv - &xc)?.detach()
}

struct AdcOp {
    stage: AdcStage,
    std: f32,
    seed: u64,
}

impl CustomOp1 for AdcOp {
    fn name(&self) -> &'static str {
        "aimc-adc"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s, l)?;
        let out: Vec<f32> = if self.std > 0.0 {
            let mut xi = vec![0.0f32; y.len()];
            NoiseRng::new(self.seed).fill_normal(&mut xi);
            y.iter()
                .zip(&xi)
                .map(|(&v, &x)| self.stage.apply(v + self.std * x))
                .collect()
        } else {
            y.iter().map(|&v| self.stage.apply(v)).collect()
        };
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(saturation_grad(&self.stage, res, grad)?))
    }
}

struct AdcNoiseOp {
    stage: AdcStage,
    seed: u64,
    /// (out_noise, read_noise): the second input is the read-noise sum v and the standard
    /// deviation sqrt(out^2 + read^2 v); None: the second input is the standard deviation.
    variance: Option<(f32, f32)>,
}

impl CustomOp2 for AdcNoiseOp {
    fn name(&self) -> &'static str {
        "aimc-adc-noise"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s1, l1)?;
        let std = f32_slice(s2, l2)?;
        if y.len() != std.len() {
            candle_core::bail!("aimc-adc-noise: {} outputs but {} stds", y.len(), std.len());
        }
        let mut xi = vec![0.0f32; y.len()];
        NoiseRng::new(self.seed).fill_normal(&mut xi);
        let out: Vec<f32> = match self.variance {
            Some((o, r)) => {
                let (o2, r2) = (o * o, r * r);
                y.iter()
                    .zip(std)
                    .zip(&xi)
                    .map(|((&v, &s), &x)| self.stage.apply(v + (o2 + r2 * s).sqrt() * x))
                    .collect()
            }
            None => y
                .iter()
                .zip(std)
                .zip(&xi)
                .map(|((&v, &s), &x)| self.stage.apply(v + s * x))
                .collect(),
        };
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _y: &Tensor,
        _std: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(saturation_grad(&self.stage, res, grad)?), None))
    }
}

fn saturation_grad(stage: &AdcStage, res: &Tensor, grad: &Tensor) -> Result<Tensor> {
    match stage.quantizer {
        Some(q) if res.device().is_cpu() && res.dtype() == DType::F32 => res
            .contiguous()?
            .apply_op2_no_bwd(&grad.contiguous()?, &SaturationMask(q.bound)),
        Some(q) => masked(grad, &res.abs()?.lt(q.bound as f64)?),
        None => Ok(grad.clone()),
    }
}

/// (res, grad) -> grad where |res| < bound, else 0: the ADC's straight-through gradient.
struct SaturationMask(f32);

impl CustomOp2 for SaturationMask {
    fn name(&self) -> &'static str {
        "aimc-saturation-mask"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (res, grad) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let out: Vec<f32> = res
            .iter()
            .zip(grad)
            .map(|(r, g)| if r.abs() < self.0 { *g } else { 0.0 })
            .collect();
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// The noise added before the ADC.
#[derive(Debug, Clone)]
pub enum OutputNoise {
    /// The same std for every output.
    Uniform(f32),
    /// One std per output (same shape as the outputs).
    PerElement(Tensor),
    /// std = sqrt(out^2 + read^2 v) per output, from the read-noise sums v (physics.md section 3).
    ReadVariance { sums: Tensor, out: f32, read: f32 },
}

/// ADC stage: adds `noise` (drawn from stream `seed`), applies the S-shape and the quantiser.
/// Straight-through backward, zero where saturated.
pub fn adc(y: &Tensor, noise: &OutputNoise, stage: AdcStage, seed: u64) -> Result<Tensor> {
    if !(y.device().is_cpu() && y.dtype() == DType::F32) {
        return adc_composite(y, noise, stage, seed);
    }
    let y = y.contiguous()?;
    match noise {
        OutputNoise::Uniform(std) => y.apply_op1(AdcOp {
            stage,
            std: *std,
            seed,
        }),
        OutputNoise::PerElement(std) => y.apply_op2(
            &std.contiguous()?,
            AdcNoiseOp {
                stage,
                seed,
                variance: None,
            },
        ),
        OutputNoise::ReadVariance { sums, out, read } => y.apply_op2(
            &sums.contiguous()?,
            AdcNoiseOp {
                stage,
                seed,
                variance: Some((*out, *read)),
            },
        ),
    }
}

/// [`adc`] from tensor ops (any device); the same numbers as the fused CPU op.
pub fn adc_composite(
    y: &Tensor,
    noise: &OutputNoise,
    stage: AdcStage,
    seed: u64,
) -> Result<Tensor> {
    let n = y.elem_count();
    let draw = || -> Result<Tensor> {
        let mut rng = NoiseRng::new(seed);
        let mut xi = vec![0.0f32; n];
        rng.fill_normal(&mut xi);
        Tensor::from_vec(xi, y.shape(), y.device())?.to_dtype(y.dtype())
    };
    let z = match noise {
        OutputNoise::Uniform(std) if *std > 0.0 => (y + (draw()? * *std as f64)?.detach())?,
        OutputNoise::Uniform(_) => y.clone(),
        OutputNoise::PerElement(std) => (y + (draw()? * std)?.detach())?,
        OutputNoise::ReadVariance { sums, out, read } => {
            let std = ((sums * (*read as f64).powi(2))? + (*out as f64).powi(2))?.sqrt()?;
            (y + (draw()? * std)?.detach())?
        }
    };
    let Some(q) = stage.quantizer else {
        return Ok(z);
    };
    let b = q.bound as f64;
    let shaped = if stage.s_shape > 0.0 {
        let k = stage.s_shape as f64;
        let s = ((&z * (k / b))?.tanh()? * (b / k.tanh()))?;
        (&z + (s - &z)?.detach())?
    } else {
        z
    };
    dac_composite(&shaped, q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn q8(b: f64) -> Quantizer {
        Quantizer::new(8, b).unwrap()
    }

    #[test]
    fn fused_and_composite_agree() -> Result<()> {
        let dev = Device::Cpu;
        let y = (Tensor::randn(0f32, 6.0, (16, 40), &dev)?).contiguous()?;
        let std = (Tensor::rand(0f32, 0.5, (16, 40), &dev)?).contiguous()?;
        for stage in [
            AdcStage {
                quantizer: Some(q8(10.0)),
                s_shape: 0.0,
            },
            AdcStage {
                quantizer: Some(q8(10.0)),
                s_shape: 1.5,
            },
            AdcStage {
                quantizer: None,
                s_shape: 0.0,
            },
        ] {
            for noise in [
                OutputNoise::Uniform(0.04),
                OutputNoise::Uniform(0.0),
                OutputNoise::PerElement(std.clone()),
                OutputNoise::ReadVariance {
                    sums: std.clone(),
                    out: 0.04,
                    read: 0.0175,
                },
            ] {
                let a = adc(&y, &noise, stage, 7)?.flatten_all()?.to_vec1::<f32>()?;
                let b = adc_composite(&y, &noise, stage, 7)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                for (u, v) in a.iter().zip(&b) {
                    assert!((u - v).abs() <= 1e-5 * u.abs().max(1.0), "{u} vs {v}");
                }
            }
        }
        let x = Tensor::randn(0f32, 1.0, (8, 9), &dev)?;
        let a = dac(&x, q8(1.0))?.flatten_all()?.to_vec1::<f32>()?;
        let b = dac_composite(&x, q8(1.0))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn gradients_pass_except_where_clipped_or_saturated() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_vec(vec![0.3f32, -0.7, 1.5, -2.0], 4, &dev)?;
        let g = dac(x.as_tensor(), q8(1.0))?.sum_all()?.backward()?;
        assert_eq!(
            g.get(&x).unwrap().to_vec1::<f32>()?,
            vec![1.0, 1.0, 0.0, 0.0]
        );
        let y = Var::from_vec(vec![3.0f32, -9.0, 12.0, -10.5], 4, &dev)?;
        let stage = AdcStage {
            quantizer: Some(q8(10.0)),
            s_shape: 0.0,
        };
        for composite in [false, true] {
            let out = if composite {
                adc_composite(y.as_tensor(), &OutputNoise::Uniform(0.0), stage, 0)?
            } else {
                adc(y.as_tensor(), &OutputNoise::Uniform(0.0), stage, 0)?
            };
            let g = out.sum_all()?.backward()?;
            assert_eq!(
                g.get(&y).unwrap().to_vec1::<f32>()?,
                vec![1.0, 1.0, 0.0, 0.0]
            );
        }
        Ok(())
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
                        Some(q) => dac_composite(&xs, q)?,
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

    #[test]
    fn same_seed_same_noise() -> Result<()> {
        let y = Tensor::zeros((4, 5), DType::F32, &Device::Cpu)?;
        let stage = AdcStage {
            quantizer: None,
            s_shape: 0.0,
        };
        let a = adc(&y, &OutputNoise::Uniform(1.0), stage, 3)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let b = adc(&y, &OutputNoise::Uniform(1.0), stage, 3)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let c = adc(&y, &OutputNoise::Uniform(1.0), stage, 4)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert_eq!(a, b);
        assert_ne!(a, c);
        Ok(())
    }
}
