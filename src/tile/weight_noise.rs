//! Weight-noise injection for hardware-aware training (physics.md section 5): each mini-batch the
//! normalised weights w~ of a tile are replaced by a noisy copy (forward and backward see the
//! same copy; the gradient flows to the clean weights straight through), and optionally a
//! fraction of them is dropped (drop-connect).
//!
//! The PCM variant draws, for each weight, the noise of its conductance pair: programming noise
//! of both devices plus the accumulated 1/f read noise `t_read_noise_s` (20 s) after programming,
//! without drift (physics.md section 2, Eq. 7 and 10-12), as a Gaussian:
//! sigma_w^2 = sum over the pair (sigma_P(g)^2 + (g Q_s(g) f(t))^2) / (g_max - g_min)^2,
//! times the (ramped) noise scale. Additive: w~ + scale sigma xi; multiplicative:
//! w~ (1 + scale sigma xi).

use super::mapping::pair_targets;
use crate::device::{DeviceModel, StatisticalDevice, statistical::LawBatch};
use crate::rng::NoiseRng;

/// What noise a training forward adds to the normalised weights.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightNoise {
    None,
    /// The device's programming noise plus read noise at `t_read_noise_s`.
    Device {
        device: Box<StatisticalDevice>,
        t_read_noise_s: f64,
    },
    /// w~ + sigma xi.
    Additive {
        sigma: f64,
    },
    /// w~ (1 + sigma xi).
    Multiplicative {
        sigma: f64,
    },
}

/// The per-mini-batch modification of a tile's normalised weights.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightModifier {
    pub noise: WeightNoise,
    /// Multiplies the noise (ramped by the trainer).
    pub scale: f64,
    /// Probability of dropping a weight (drop-connect).
    pub drop_connect: f64,
}

impl WeightModifier {
    /// Whether the modifier changes anything.
    pub fn is_active(&self) -> bool {
        let noisy = !matches!(self.noise, WeightNoise::None) && self.scale > 0.0;
        noisy || self.drop_connect > 0.0
    }

    /// A noisy copy of the normalised weights `w` (any layout), drawn from `seed`.
    pub fn apply(&self, w: &[f32], seed: u64) -> Vec<f32> {
        let mut rng = NoiseRng::new(seed);
        let mut xi = vec![0f32; w.len()];
        let mut out: Vec<f32> = match &self.noise {
            _ if self.scale == 0.0 => w.to_vec(),
            WeightNoise::None => w.to_vec(),
            WeightNoise::Additive { sigma } => {
                rng.fill_normal(&mut xi);
                let s = (sigma * self.scale) as f32;
                w.iter().zip(&xi).map(|(w, x)| w + s * x).collect()
            }
            WeightNoise::Multiplicative { sigma } => {
                rng.fill_normal(&mut xi);
                let s = (sigma * self.scale) as f32;
                w.iter().zip(&xi).map(|(w, x)| w * (1.0 + s * x)).collect()
            }
            WeightNoise::Device {
                device,
                t_read_noise_s,
            } => {
                let sigma = device_sigma(device, w, *t_read_noise_s);
                rng.fill_normal(&mut xi);
                let s = self.scale as f32;
                w.iter()
                    .zip(&xi)
                    .zip(&sigma)
                    .map(|((w, x), sd)| w + s * sd * x)
                    .collect()
            }
        };
        if self.drop_connect > 0.0 {
            for v in out.iter_mut() {
                if rng.uniform() < self.drop_connect {
                    *v = 0.0;
                }
            }
        }
        out
    }
}

/// The standard deviation, in normalised-weight units, of the pair noise of each weight in `w`
/// (module header): programming noise of both devices plus read noise at `t_s`, no drift.
pub fn device_sigma(device: &StatisticalDevice, w: &[f32], t_s: f64) -> Vec<f32> {
    let (g_min, g_max) = (device.g_min_us as f32, device.g_max_us as f32);
    let g = pair_targets(w, g_min, g_max);
    let mut laws = LawBatch::default();
    device.laws_into(&g, &mut laws);
    let f = device.read_time_factor(t_s) as f32;
    let var: Vec<f32> = g
        .iter()
        .zip(&laws.sigma_prog_us)
        .zip(&laws.read_level)
        .map(|((g, sp), q)| sp * sp + (g * q * f).powi(2))
        .collect();
    let inv = 1.0 / (g_max - g_min);
    let n = w.len();
    (0..n).map(|k| (var[k] + var[n + k]).sqrt() * inv).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::resolve_device;

    fn pcm() -> StatisticalDevice {
        resolve_device("pcm")
            .unwrap()
            .device
            .as_statistical()
            .unwrap()
            .clone()
    }

    /// At w~ = 1: g+ = 25 µS (sigma_P = 0.26348 + 1.9650 - 1.1731 = 1.05538 µS,
    /// Q_s = 0.0088), g- = 0 (sigma_P = 0.26348, no read noise); read factor at 20 s:
    /// sqrt(ln((20 + 20 + 2.5e-7) / 5e-7)).
    #[test]
    fn pcm_sigma_matches_closed_form() {
        let d = pcm();
        let f = ((40.0f64 + 2.5e-7) / 5e-7).ln().sqrt();
        let read = 25.0 * 0.0088 * f;
        let expected = (1.05538f64.powi(2) + 0.26348f64.powi(2) + read * read).sqrt() / 25.0;
        let s = device_sigma(&d, &[1.0, -1.0, 0.0], 20.0);
        assert!(
            (s[0] as f64 - expected).abs() < 1e-5,
            "{} vs {expected}",
            s[0]
        );
        assert_eq!(s[0], s[1], "symmetric in the sign of the weight");
        let zero = (2.0f64 * 0.26348f64.powi(2)).sqrt() / 25.0;
        assert!((s[2] as f64 - zero).abs() < 1e-6);
    }

    #[test]
    fn sampled_noise_has_the_modelled_spread() {
        let n = 100_000;
        let w = vec![0.5f32; n];
        for (noise, sigma) in [
            (WeightNoise::Additive { sigma: 0.1 }, 0.2),
            (WeightNoise::Multiplicative { sigma: 0.1 }, 0.1),
            (
                WeightNoise::Device {
                    device: Box::new(pcm()),
                    t_read_noise_s: 20.0,
                },
                2.0 * device_sigma(&pcm(), &[0.5], 20.0)[0] as f64,
            ),
        ] {
            let m = WeightModifier {
                noise,
                scale: 2.0,
                drop_connect: 0.0,
            };
            let out = m.apply(&w, 7);
            let mean = out.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            let var = out.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
            // SE of the mean sigma/sqrt(n); SE of the variance sigma^2 sqrt(2/n): 5 SE.
            assert!((mean - 0.5).abs() < 5.0 * sigma / (n as f64).sqrt());
            assert!((var - sigma * sigma).abs() < 5.0 * sigma * sigma * (2.0 / n as f64).sqrt());
        }
    }

    #[test]
    fn drop_connect_drops_the_given_fraction() {
        let n = 100_000;
        let m = WeightModifier {
            noise: WeightNoise::None,
            scale: 1.0,
            drop_connect: 0.01,
        };
        let dropped = m
            .apply(&vec![1.0; n], 3)
            .iter()
            .filter(|&&v| v == 0.0)
            .count();
        let sd = (n as f64 * 0.01 * 0.99).sqrt();
        assert!((dropped as f64 - 1000.0).abs() < 5.0 * sd, "{dropped}");
        assert_ne!(m.apply(&[1.0; 64], 1), m.apply(&[1.0; 64], 2));
        assert_eq!(m.apply(&[1.0; 64], 1), m.apply(&[1.0; 64], 1));
    }
}
