//! The read-out of a tile's outputs: noise (`output_noise.rs`, with read noise in variance), the
//! ADC (`adc.rs`) and, in inference, the digital output scale of each column, as one CPU kernel
//! shared by the training op (with the ADC's straight-through backward) and the inference op; on
//! other devices the same numbers from tensor ops. The noise comes from stream `seed`, one
//! standard normal per output in element order, in blocks keyed by their index
//! (`rng::fill_normal_blocks`), on every path; the CPU kernel draws each block in the pass
//! that consumes it, the blocks in parallel.

use super::adc::Adc;
use super::output_noise::{NoiseStd, StdSlice, add_noise};
use crate::cpu_op::{f32_slice, fused_cpu, par_rows, with_avx2};
use crate::rng::{NORMAL_BLOCK, for_each_normal_block};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// The kernel: z = ADC(y + std xi), times `col_scale` per column when given, with xi the
/// standard normal draws of stream `seed` (one per output; no noise without a seed), drawn
/// block by block in the pass that consumes them, in parallel.
pub(crate) fn kernel(
    y: &[f32],
    std: StdSlice<'_>,
    seed: Option<u64>,
    adc: &Adc,
    col_scale: Option<&[f32]>,
) -> Result<Vec<f32>> {
    if let Some(len) = std.len().filter(|&len| len != y.len()) {
        candle_core::bail!("aimc-readout: {len} stds for {} outputs", y.len());
    }
    let mut z = vec![0.0f32; y.len()];
    match seed {
        Some(seed) => for_each_normal_block(seed, &mut z, |start, xi| {
            with_avx2(
                #[inline(always)]
                || {
                    add_noise(&y[start..][..xi.len()], std.range(start), xi);
                    finish(start, xi, adc, col_scale);
                },
            )
        }),
        None => par_rows(&mut z, NORMAL_BLOCK, |start, z| {
            with_avx2(
                #[inline(always)]
                || {
                    z.copy_from_slice(&y[start..][..z.len()]);
                    finish(start, z, adc, col_scale);
                },
            )
        }),
    }
    Ok(z)
}

/// The ADC and the column scales on the outputs `z` from element `start` on.
#[inline(always)]
fn finish(start: usize, z: &mut [f32], adc: &Adc, col_scale: Option<&[f32]>) {
    adc.apply_slice(z);
    let Some(scale) = col_scale else {
        return;
    };
    // Row by row: the first one from the block's first column.
    let first = (scale.len() - start % scale.len()).min(z.len());
    let (head, rest) = z.split_at_mut(first);
    for (v, s) in head.iter_mut().zip(&scale[start % scale.len()..]) {
        *v *= s;
    }
    for row in rest.chunks_mut(scale.len()) {
        for (v, s) in row.iter_mut().zip(scale) {
            *v *= s;
        }
    }
}

/// The training op of a uniform std: y -> ADC(y + std xi).
struct UniformReadout {
    adc: Adc,
    std: f32,
    seed: u64,
}

impl CustomOp1 for UniformReadout {
    fn name(&self) -> &'static str {
        "aimc-readout"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s, l)?;
        let seed = (self.std > 0.0).then_some(self.seed);
        let z = kernel(y, StdSlice::Uniform(self.std), seed, &self.adc, None)?;
        Ok((CpuStorage::F32(z), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(self.adc.saturation_grad(res, grad)?))
    }
}

/// The training op of a std per output: (y, s) -> ADC(y + std(s) xi), with s the std itself or,
/// with `variance`, the read-noise sums.
struct ElementReadout {
    adc: Adc,
    seed: u64,
    /// (out_noise, read_noise): std = sqrt(out^2 + read^2 s); None: std = s.
    variance: Option<(f32, f32)>,
}

impl CustomOp2 for ElementReadout {
    fn name(&self) -> &'static str {
        "aimc-readout-std"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (y, s) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        if y.len() != s.len() {
            candle_core::bail!("aimc-readout-std: {} outputs but {} stds", y.len(), s.len());
        }
        let std = match self.variance {
            Some((out, read)) => StdSlice::ReadVariance { sums: s, out, read },
            None => StdSlice::PerElement(s),
        };
        let z = kernel(y, std, Some(self.seed), &self.adc, None)?;
        Ok((CpuStorage::F32(z), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _y: &Tensor,
        _std: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(self.adc.saturation_grad(res, grad)?), None))
    }
}

/// The read-out of outputs `y`: `noise` (drawn from stream `seed`) added, then the ADC.
/// Straight-through backward, zero where saturated.
pub fn readout(y: &Tensor, noise: &NoiseStd, adc: Adc, seed: u64) -> Result<Tensor> {
    if !fused_cpu(y) {
        return readout_composite(y, noise, adc, seed);
    }
    let y = y.contiguous()?;
    match noise {
        NoiseStd::Uniform(std) => y.apply_op1(UniformReadout {
            adc,
            std: *std,
            seed,
        }),
        NoiseStd::PerElement(std) => y.apply_op2(
            &std.contiguous()?,
            ElementReadout {
                adc,
                seed,
                variance: None,
            },
        ),
        NoiseStd::ReadVariance { sums, out, read } => y.apply_op2(
            &sums.contiguous()?,
            ElementReadout {
                adc,
                seed,
                variance: Some((*out, *read)),
            },
        ),
    }
}

/// [`readout`] from tensor ops (any device); the same numbers as the fused CPU op.
pub fn readout_composite(y: &Tensor, noise: &NoiseStd, adc: Adc, seed: u64) -> Result<Tensor> {
    adc.composite(&noise.add_composite(y, seed)?)
}

/// The inference op: (y, v) -> ADC(y + std xi) * col_scale[col], std = sqrt(out^2 + read^2 v)
/// with read noise, out otherwise (`v` ignored); xi from stream `seed`.
pub(crate) struct InferenceReadout {
    pub adc: Adc,
    pub out_noise: f32,
    pub read_noise: f32,
    pub seed: u64,
    pub col_scale: Vec<f32>,
}

impl CustomOp2 for InferenceReadout {
    fn name(&self) -> &'static str {
        "aimc-inference-readout"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (y, var) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let std = if self.read_noise > 0.0 {
            StdSlice::ReadVariance {
                sums: var,
                out: self.out_noise,
                read: self.read_noise,
            }
        } else {
            StdSlice::Uniform(self.out_noise)
        };
        let noisy = self.out_noise > 0.0 || self.read_noise > 0.0;
        let seed = noisy.then_some(self.seed);
        let z = kernel(y, std, seed, &self.adc, Some(&self.col_scale))?;
        Ok((CpuStorage::F32(z), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::quantize::Quantizer;
    use candle_core::{DType, Device, Var};

    fn adc(bound: f64, s_shape: f32) -> Adc {
        Adc {
            quantizer: Some(Quantizer::new(8, bound).unwrap()),
            s_shape,
        }
    }

    #[test]
    fn fused_and_composite_agree() -> Result<()> {
        let dev = Device::Cpu;
        let y = (Tensor::randn(0f32, 6.0, (16, 40), &dev)?).contiguous()?;
        let std = (Tensor::rand(0f32, 0.5, (16, 40), &dev)?).contiguous()?;
        let ideal = Adc {
            quantizer: None,
            s_shape: 0.0,
        };
        for a in [adc(10.0, 0.0), adc(10.0, 1.5), ideal] {
            for noise in [
                NoiseStd::Uniform(0.04),
                NoiseStd::Uniform(0.0),
                NoiseStd::PerElement(std.clone()),
                NoiseStd::ReadVariance {
                    sums: std.clone(),
                    out: 0.04,
                    read: 0.0175,
                },
            ] {
                let f = readout(&y, &noise, a, 7)?.flatten_all()?.to_vec1::<f32>()?;
                let c = readout_composite(&y, &noise, a, 7)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                for (u, v) in f.iter().zip(&c) {
                    assert!((u - v).abs() <= 1e-5 * u.abs().max(1.0), "{u} vs {v}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn gradients_pass_except_where_saturated() -> Result<()> {
        let y = Var::from_vec(vec![3.0f32, -9.0, 12.0, -10.5], 4, &Device::Cpu)?;
        for composite in [false, true] {
            let noise = NoiseStd::Uniform(0.0);
            let out = if composite {
                readout_composite(y.as_tensor(), &noise, adc(10.0, 0.0), 0)?
            } else {
                readout(y.as_tensor(), &noise, adc(10.0, 0.0), 0)?
            };
            let g = out.sum_all()?.backward()?;
            assert_eq!(
                g.get(&y).unwrap().to_vec1::<f32>()?,
                vec![1.0, 1.0, 0.0, 0.0]
            );
        }
        Ok(())
    }

    #[test]
    fn same_seed_same_noise() -> Result<()> {
        let y = Tensor::zeros((4, 5), DType::F32, &Device::Cpu)?;
        let ideal = Adc {
            quantizer: None,
            s_shape: 0.0,
        };
        let run = |seed| -> Result<Vec<f32>> {
            readout(&y, &NoiseStd::Uniform(1.0), ideal, seed)?
                .flatten_all()?
                .to_vec1::<f32>()
        };
        assert_eq!(run(3)?, run(3)?);
        assert_ne!(run(3)?, run(4)?);
        Ok(())
    }
}
