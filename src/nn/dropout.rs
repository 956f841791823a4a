//! Dropout with masks from our seeded noise source (candle's own RNG cannot be seeded).

use crate::rng::NoiseRng;
use candle_core::{Result, Tensor};
use std::sync::Mutex;

/// Zeroes each element with probability `p` in training and scales the rest by 1/(1-p).
#[derive(Debug)]
pub struct SeededDropout {
    p: f32,
    rng: Mutex<NoiseRng>,
}

impl SeededDropout {
    /// Dropout with probability `p` in [0, 1).
    pub fn new(p: f32, rng: NoiseRng) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            candle_core::bail!("dropout probability must be in [0, 1), found {p}");
        }
        Ok(Self {
            p,
            rng: Mutex::new(rng),
        })
    }

    /// Restarts the masks from `seed` (per mini-batch, so that a resumed run draws the same).
    pub fn reseed(&self, seed: u64) {
        *self.rng.lock().expect("lock") = NoiseRng::new(seed);
    }

    /// Applies the dropout when `train`; the identity otherwise.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if !train || self.p == 0.0 {
            return Ok(x.clone());
        }
        let mut rng = self.rng.lock().expect("lock");
        let keep = 1.0 / (1.0 - self.p);
        let mask: Vec<f32> = (0..x.elem_count())
            .map(|_| {
                if rng.uniform() < self.p as f64 {
                    0.0
                } else {
                    keep
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x * mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn drops_about_p_and_keeps_the_mean() -> Result<()> {
        let d = SeededDropout::new(0.25, NoiseRng::new(0))?;
        let x = Tensor::ones(40_000, candle_core::DType::F32, &Device::Cpu)?;
        let y = d.forward_t(&x, true)?.to_vec1::<f32>()?;
        let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / 40_000.0;
        // 5 standard errors of a proportion with n = 40,000.
        assert!((zeros - 0.25).abs() < 5.0 * (0.25f64 * 0.75 / 40_000.0).sqrt());
        assert_eq!(d.forward_t(&x, false)?.to_vec1::<f32>()?, vec![1.0; 40_000]);
        Ok(())
    }
}
