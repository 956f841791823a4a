//! The ADC (physics.md section 3, Eq. 5): an optional S-shaped transfer
//! z -> b tanh(k z / b) / tanh(k) (k = 0: linear), then quantisation with q bits over [-b, b]
//! (standard tile: 8 bits, b = 10). Keys `adc`, `adc_bits`, `adc_bound`, `adc_s_shape`. The
//! backward is straight-through, zero where the ADC saturated (physics.md section 5). The noise
//! added before it and the fused read-out pass are in `readout.rs`.

use super::stage::{KnobInfo, Stage, bits, non_negative, positive, whole_number};
use crate::cpu_op::{f32_slice, fused_cpu, masked, par_zip_rows};
use crate::error::{InvalidKey, Result as AimcResult};
use crate::tile::quantize::{Quantizer, quantize_ste};
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use serde::{Deserialize, Serialize};

/// `adc`, `adc_bits`, `adc_bound`, `adc_s_shape` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdcConfig {
    /// ADC on the outputs.
    #[serde(rename = "adc")]
    pub on: bool,
    #[serde(rename = "adc_bits")]
    pub bits: u32,
    /// Outputs saturate at +-bound.
    #[serde(rename = "adc_bound")]
    pub bound: f64,
    /// S-shaped nonlinearity strength k: z -> b tanh(k z / b) / tanh(k); 0 = linear.
    #[serde(rename = "adc_s_shape")]
    pub s_shape: f64,
}

impl Default for AdcConfig {
    /// The standard tile's: 8 bits over [-10, 10], linear.
    fn default() -> Self {
        Self {
            on: true,
            bits: 8,
            bound: 10.0,
            s_shape: 0.0,
        }
    }
}

impl AdcConfig {
    /// An ADC of `bits` over [-bound, bound] with S-shape strength `s_shape`, checked.
    pub fn new(bits: u32, bound: f64, s_shape: f64) -> std::result::Result<Self, InvalidKey> {
        let c = Self {
            on: true,
            bits,
            bound,
            s_shape,
        };
        c.validate()?;
        Ok(c)
    }
}

const KNOBS: [KnobInfo; 1] = [KnobInfo {
    name: "adc-bits",
    help: "ADC resolution (bits)",
}];

impl Stage for AdcConfig {
    fn name(&self) -> &'static str {
        "adc"
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
        bits("adc_bits", self.bits)?;
        positive("adc_bound", self.bound)?;
        non_negative("adc_s_shape", self.s_shape)?;
        Ok(())
    }

    fn knobs(&self) -> &'static [KnobInfo] {
        &KNOBS
    }

    fn set_knob(&mut self, _knob: &str, value: f64) -> std::result::Result<(), InvalidKey> {
        self.bits = whole_number("adc_bits", value)?;
        Ok(())
    }
}

/// S-shaped transfer b tanh(k z / b) / tanh(k); identity for k = 0.
#[inline]
pub(crate) fn s_shape(z: f32, k: f32, bound: f32) -> f32 {
    if k == 0.0 {
        z
    } else {
        bound * (k * z / bound).tanh() / k.tanh()
    }
}

/// The ADC of a validated configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adc {
    /// The quantiser, or `None` for an ideal (unquantised, unclipped) read-out.
    pub quantizer: Option<Quantizer>,
    /// S-shape strength k (0 = linear); applies only with a quantiser (it needs a bound).
    pub s_shape: f32,
}

impl Adc {
    /// The ADC of `c`.
    pub fn new(c: &AdcConfig) -> AimcResult<Self> {
        Ok(Self {
            quantizer: c.on.then(|| Quantizer::new(c.bits, c.bound)).transpose()?,
            s_shape: c.s_shape as f32,
        })
    }

    /// The ADC of one value: S-shape, then the quantiser.
    #[inline]
    pub fn apply(&self, z: f32) -> f32 {
        match self.quantizer {
            Some(q) => q.apply(s_shape(z, self.s_shape, q.bound)),
            None => z,
        }
    }

    /// [`Adc::apply`] on every element of `z`, in place (a pass per part, vectorised).
    #[inline(always)]
    pub fn apply_slice(&self, z: &mut [f32]) {
        let Some(q) = self.quantizer else {
            return;
        };
        let k = self.s_shape;
        if k > 0.0 {
            for v in z.iter_mut() {
                *v = s_shape(*v, k, q.bound);
            }
        }
        q.apply_slice(z);
    }

    /// The ADC from tensor ops (any device): the same numbers as [`Adc::apply`], with the
    /// straight-through gradient.
    pub fn composite(&self, z: &Tensor) -> Result<Tensor> {
        let Some(q) = self.quantizer else {
            return Ok(z.clone());
        };
        let b = q.bound as f64;
        let shaped = if self.s_shape > 0.0 {
            let k = self.s_shape as f64;
            let s = ((z * (k / b))?.tanh()? * (b / k.tanh()))?;
            (z + (s - z)?.detach())?
        } else {
            z.clone()
        };
        quantize_ste(&shaped, q)
    }

    /// The straight-through gradient of the ADC: `grad` where the output `res` did not
    /// saturate, else 0.
    pub fn saturation_grad(&self, res: &Tensor, grad: &Tensor) -> Result<Tensor> {
        match self.quantizer {
            Some(q) if fused_cpu(res) => res
                .contiguous()?
                .apply_op2_no_bwd(&grad.contiguous()?, &SaturationMask(q.bound)),
            Some(q) => masked(grad, &res.abs()?.lt(q.bound as f64)?),
            None => Ok(grad.clone()),
        }
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
        if grad.len() != res.len() {
            candle_core::bail!(
                "aimc-saturation-mask: {} gradients for {} outputs",
                grad.len(),
                res.len()
            );
        }
        let out = par_zip_rows(
            res,
            grad,
            1,
            |_, r, g| if r.abs() < self.0 { g } else { 0.0 },
        );
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn slice_and_composite_equal_the_element_rule() -> Result<()> {
        let y = Tensor::randn(0f32, 6.0, (16, 40), &Device::Cpu)?;
        let v = y.flatten_all()?.to_vec1::<f32>()?;
        for c in [
            AdcConfig::default(),
            AdcConfig {
                s_shape: 1.5,
                ..AdcConfig::default()
            },
            AdcConfig {
                on: false,
                ..AdcConfig::default()
            },
        ] {
            let adc = Adc::new(&c).unwrap();
            let mut slice = v.clone();
            adc.apply_slice(&mut slice);
            let composite = adc.composite(&y)?.flatten_all()?.to_vec1::<f32>()?;
            for ((x, s), t) in v.iter().zip(&slice).zip(&composite) {
                assert_eq!(adc.apply(*x), *s);
                assert!((s - t).abs() <= 1e-5 * s.abs().max(1.0), "{s} vs {t}");
            }
        }
        Ok(())
    }

    /// The saturation gradient follows the rule, element by element, over many parallel blocks.
    #[test]
    fn saturation_gradient_rule_holds_across_blocks() -> Result<()> {
        let dev = Device::Cpu;
        let res = Tensor::randn(0f32, 8.0, (300, 70), &dev)?;
        let grad = Tensor::randn(0f32, 1.0, (300, 70), &dev)?;
        let adc = Adc::new(&AdcConfig::default()).unwrap();
        let bound = adc.quantizer.expect("ADC on").bound;
        let got = adc
            .saturation_grad(&res, &grad)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let (r, g) = (
            res.flatten_all()?.to_vec1::<f32>()?,
            grad.flatten_all()?.to_vec1::<f32>()?,
        );
        assert!(r.iter().any(|v| v.abs() >= bound) && r.iter().any(|v| v.abs() < bound));
        for ((got, r), g) in got.iter().zip(&r).zip(&g) {
            assert_eq!(*got, if r.abs() < bound { *g } else { 0.0 });
        }
        Ok(())
    }

    #[test]
    fn validates_bits_bound_and_shape() {
        for (c, key) in [
            (
                AdcConfig {
                    bits: 25,
                    ..Default::default()
                },
                "adc_bits",
            ),
            (
                AdcConfig {
                    bound: 0.0,
                    ..Default::default()
                },
                "adc_bound",
            ),
            (
                AdcConfig {
                    s_shape: -1.0,
                    ..Default::default()
                },
                "adc_s_shape",
            ),
        ] {
            assert_eq!(c.validate().unwrap_err().key, key);
        }
    }
}
