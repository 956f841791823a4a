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

use super::mapping::WeightMapping;
use crate::device::{DeviceModel, StatisticalDevice, statistical::LawBatch};
use crate::rng::NoiseRng;
use candle_core::{DType, Tensor};
use rayon::prelude::*;

/// What noise a training forward adds to the normalised weights.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightNoise {
    None,
    /// The device's programming noise plus read noise at `t_read_noise_s`, on the devices of
    /// `mapping`.
    Device {
        device: Box<StatisticalDevice>,
        t_read_noise_s: f64,
        mapping: WeightMapping,
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

    /// Whether noise is added (drop-connect aside).
    fn is_noisy(&self) -> bool {
        self.scale != 0.0 && !matches!(self.noise, WeightNoise::None)
    }

    /// The random draws of one modification of `n` weights from `seed`: the standard normals
    /// of the noise (when noisy), then the drop-connect mask (1 kept, 0 dropped), in this order
    /// from one stream. Both implementations below use them, so they draw the same numbers.
    fn draws(&self, n: usize, seed: u64) -> Draws {
        let mut rng = NoiseRng::new(seed);
        let xi = self.is_noisy().then(|| {
            let mut xi = vec![0f32; n];
            rng.fill_normal(&mut xi);
            xi
        });
        let keep = (self.drop_connect > 0.0).then(|| {
            (0..n)
                .map(|_| {
                    if rng.uniform() < self.drop_connect {
                        0.0
                    } else {
                        1.0
                    }
                })
                .collect()
        });
        Draws { xi, keep }
    }

    /// A noisy copy of the normalised weights `w` (any layout), drawn from `seed`.
    pub fn apply(&self, w: &[f32], seed: u64) -> Vec<f32> {
        let draws = self.draws(w.len(), seed);
        let mut out: Vec<f32> = match (&self.noise, &draws.xi) {
            (WeightNoise::None, _) | (_, None) => w.to_vec(),
            (WeightNoise::Additive { sigma }, Some(xi)) => {
                let s = (sigma * self.scale) as f32;
                w.iter().zip(xi).map(|(w, x)| w + s * x).collect()
            }
            (WeightNoise::Multiplicative { sigma }, Some(xi)) => {
                let s = (sigma * self.scale) as f32;
                w.iter().zip(xi).map(|(w, x)| w * (1.0 + s * x)).collect()
            }
            (
                WeightNoise::Device {
                    device,
                    t_read_noise_s,
                    mapping,
                },
                Some(xi),
            ) => {
                let sigma = device_sigma(device, mapping, w, *t_read_noise_s);
                let s = self.scale as f32;
                w.iter()
                    .zip(xi)
                    .zip(&sigma)
                    .map(|((w, x), sd)| w + s * sd * x)
                    .collect()
            }
        };
        if let Some(keep) = &draws.keep {
            for (v, &k) in out.iter_mut().zip(keep) {
                if k == 0.0 {
                    *v = 0.0;
                }
            }
        }
        out
    }

    /// [`Self::apply`] as tensor operations on the device of `w` (f32), for devices other than
    /// the CPU (issue 19): the weights never leave the device; the draws (the same numbers as
    /// `apply`'s, from the seeded stream) are uploaded. The device noise's standard deviation
    /// is interpolated in [`device_sigma_tensor`]'s table; the other noises and drop-connect
    /// give `apply`'s values.
    pub fn apply_tensor(&self, w: &Tensor, seed: u64) -> candle_core::Result<Tensor> {
        let w = w.detach().to_dtype(DType::F32)?;
        let draws = self.draws(w.elem_count(), seed);
        let upload = |v: Vec<f32>| Tensor::from_vec(v, w.shape(), w.device());
        let mut out = match (&self.noise, draws.xi) {
            (WeightNoise::None, _) | (_, None) => w.clone(),
            (WeightNoise::Additive { sigma }, Some(xi)) => {
                let s = (sigma * self.scale) as f32;
                (upload(xi)?.affine(s as f64, 0.0)? + &w)?
            }
            (WeightNoise::Multiplicative { sigma }, Some(xi)) => {
                let s = (sigma * self.scale) as f32;
                (upload(xi)?.affine(s as f64, 1.0)? * &w)?
            }
            (
                WeightNoise::Device {
                    device,
                    t_read_noise_s,
                    mapping,
                },
                Some(xi),
            ) => {
                let sd = device_sigma_tensor(device, mapping, &w, *t_read_noise_s)?;
                ((sd.affine(self.scale as f32 as f64, 0.0)? * upload(xi)?)? + &w)?
            }
        };
        if let Some(keep) = draws.keep {
            out = (out * upload(keep)?)?;
        }
        Ok(out)
    }
}

/// The random numbers of one weight modification.
struct Draws {
    xi: Option<Vec<f32>>,
    keep: Option<Vec<f32>>,
}

/// Intervals of the table of [`device_sigma_tensor`] over w~ in [-1, 1] (a power of two: the
/// grid points, w~ = 0 among them, are exact in f32).
pub const SIGMA_TABLE_INTERVALS: usize = 4096;

/// The grid of [`device_sigma_tensor`]'s table: w~_k = -1 + 2k / K, k = 0..=K.
pub fn sigma_table_grid() -> Vec<f32> {
    let k = SIGMA_TABLE_INTERVALS;
    (0..=k).map(|i| -1.0 + 2.0 * i as f32 / k as f32).collect()
}

/// [`device_sigma`] of each weight of `w` (f32) as tensor operations on its device: the law
/// tabulated at [`sigma_table_grid`] (it depends on w~ only through clamp(w~, -1, 1), as the
/// pair's targets do) and interpolated linearly, sigma(w~) = s_k + (u - k)(s_{k+1} - s_k) with
/// u = (w~ + 1) K / 2 and k = floor(u). Linear interpolation errs by at most h^2/8 max|s''|
/// within an interval (h = 2/K) and by a quarter of a slope change times h across a kink
/// (w~ = 0, the pair's kink, is a grid point): both at most the largest second difference of
/// the table away from w~ = 0.
pub fn device_sigma_tensor(
    device: &StatisticalDevice,
    mapping: &WeightMapping,
    w: &Tensor,
    t_s: f64,
) -> candle_core::Result<Tensor> {
    let k = SIGMA_TABLE_INTERVALS;
    let s = device_sigma(device, mapping, &sigma_table_grid(), t_s);
    let slope: Vec<f32> = s.windows(2).map(|p| p[1] - p[0]).collect();
    let dev = w.device();
    let u = ((w.clamp(-1f32, 1f32)? + 1.0)? * (k as f64 / 2.0))?;
    let index = u.floor()?.clamp(0f32, (k - 1) as f32)?;
    let frac = (&u - &index)?;
    let index = index.flatten_all()?.to_dtype(DType::U32)?;
    let at = |table: Vec<f32>| -> candle_core::Result<Tensor> {
        Tensor::from_vec(table, k, dev)?
            .index_select(&index, 0)?
            .reshape(w.shape())
    };
    let mut base = s;
    base.truncate(k);
    at(base)? + (frac * at(slope)?)?
}

/// The standard deviation, in normalised-weight units, of the device noise of each weight in
/// `w` (module header) on the devices of `mapping`: programming noise plus read noise at `t_s`,
/// no drift, of each device k, weighted by its coefficient: sigma_w^2 = sum_k c_k^2 var_k /
/// (g_max - g_min)^2. Element by element, so blocks of weights run in parallel (the same
/// numbers on any thread count).
pub fn device_sigma(
    device: &StatisticalDevice,
    mapping: &WeightMapping,
    w: &[f32],
    t_s: f64,
) -> Vec<f32> {
    if w.len() <= SIGMA_BLOCK {
        return device_sigma_block(device, mapping, w, t_s);
    }
    let blocks: Vec<Vec<f32>> = w
        .par_chunks(SIGMA_BLOCK)
        .map(|w| device_sigma_block(device, mapping, w, t_s))
        .collect();
    blocks.concat()
}

/// Weights per parallel task of [`device_sigma`].
const SIGMA_BLOCK: usize = 1 << 14;

/// [`device_sigma`] of one block of weights.
fn device_sigma_block(
    device: &StatisticalDevice,
    mapping: &WeightMapping,
    w: &[f32],
    t_s: f64,
) -> Vec<f32> {
    let (g_min, g_max) = (device.g_min_us as f32, device.g_max_us as f32);
    let g = mapping.targets(w, g_min, g_max);
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
    if mapping.is_pair() {
        return (0..n).map(|k| (var[k] + var[n + k]).sqrt() * inv).collect();
    }
    let (c, _) = mapping.coefficients();
    (0..n)
        .map(|k| {
            let v: f32 = c
                .iter()
                .enumerate()
                .map(|(d, ck)| ck * ck * var[d * n + k])
                .sum();
            v.sqrt() * inv
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks in parallel give the numbers of one element at a time.
    #[test]
    fn parallel_blocks_equal_single_weights() {
        let d = pcm();
        let n = 3 * SIGMA_BLOCK + 17;
        let w: Vec<f32> = (0..n).map(|i| (i as f32 * 0.618).sin()).collect();
        for mapping in [
            WeightMapping::Pair,
            WeightMapping::SingleDevice,
            WeightMapping::Pairs(2),
        ] {
            let all = device_sigma(&d, &mapping, &w, 20.0);
            let one: Vec<f32> = (w.iter())
                .flat_map(|v| device_sigma(&d, &mapping, &[*v], 20.0))
                .collect();
            assert_eq!(all, one);
        }
    }
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
        let s = device_sigma(&d, &WeightMapping::Pair, &[1.0, -1.0, 0.0], 20.0);
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
                    mapping: WeightMapping::Pair,
                },
                2.0 * device_sigma(&pcm(), &WeightMapping::Pair, &[0.5], 20.0)[0] as f64,
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

    /// The tensor implementation (used on devices other than the CPU) on the CPU: the same
    /// draws, so additive and multiplicative noise and drop-connect give `apply`'s values.
    #[test]
    fn the_tensor_path_gives_the_host_values() -> candle_core::Result<()> {
        let n = 4096;
        let mut w = vec![0f32; n];
        NoiseRng::new(4).fill_normal(&mut w);
        let wt = Tensor::from_vec(w.clone(), (64, 64), &candle_core::Device::Cpu)?;
        for noise in [
            WeightNoise::None,
            WeightNoise::Additive { sigma: 0.1 },
            WeightNoise::Multiplicative { sigma: 0.2 },
        ] {
            for (scale, drop_connect) in [(1.5, 0.0), (0.0, 0.1), (0.7, 0.05)] {
                let m = WeightModifier {
                    noise: noise.clone(),
                    scale,
                    drop_connect,
                };
                let host = m.apply(&w, 11);
                let tensor = m.apply_tensor(&wt, 11)?.flatten_all()?.to_vec1::<f32>()?;
                assert_eq!(
                    host, tensor,
                    "{noise:?}, scale {scale}, drop {drop_connect}"
                );
            }
        }
        Ok(())
    }

    /// The interpolated device sigma against the law at weights off and on the grid (beyond
    /// [-1, 1] too): within the largest second difference of the table (the bound in
    /// `device_sigma_tensor`'s comment) plus f32 rounding of the interpolation (4 ulp of the
    /// largest sigma); and `apply_tensor` with device noise within scale |xi| times that of
    /// `apply`.
    #[test]
    fn the_interpolated_device_sigma_is_the_law() -> candle_core::Result<()> {
        let d = pcm();
        let table = device_sigma(&d, &WeightMapping::Pair, &sigma_table_grid(), 20.0);
        // The second difference centred on w~ = 0 (the kink of the pair, |w~|) is left out:
        // that kink is a grid point, where the interpolation is exact.
        let centre = SIGMA_TABLE_INTERVALS / 2 - 1;
        let second = table
            .windows(3)
            .enumerate()
            .filter(|&(k, _)| k != centre)
            .map(|(_, p)| (p[2] - 2.0 * p[1] + p[0]).abs())
            .fold(0f32, f32::max);
        let largest = table.iter().copied().fold(0f32, f32::max);
        let bound = second + 4.0 * f32::EPSILON * largest;
        let mut w: Vec<f32> = (0..20_001)
            .map(|i| -1.2 + 2.4 * i as f32 / 20_000.0)
            .collect();
        w.extend(sigma_table_grid());
        w.extend([0.0, -0.0, 1.0, -1.0, 5.0, -5.0]);
        let n = w.len();
        let wt = Tensor::from_vec(w.clone(), n, &candle_core::Device::Cpu)?;
        let exact = device_sigma(&d, &WeightMapping::Pair, &w, 20.0);
        let interpolated =
            device_sigma_tensor(&d, &WeightMapping::Pair, &wt, 20.0)?.to_vec1::<f32>()?;
        let worst = exact
            .iter()
            .zip(&interpolated)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        eprintln!("interpolated sigma: worst {worst}, bound {bound}, largest {largest}");
        assert!(worst <= bound, "worst {worst}, bound {bound}");
        // The design goal of the table's size: within a per-mille of the largest sigma (the
        // PCM read noise's clamp near g = 0 is a kink inside an interval: 3e-4 here).
        assert!(
            worst < 1e-3 * largest,
            "the table resolves the law: {worst}"
        );
        let m = WeightModifier {
            noise: WeightNoise::Device {
                device: Box::new(d),
                t_read_noise_s: 20.0,
                mapping: WeightMapping::Pair,
            },
            scale: 2.0,
            drop_connect: 0.02,
        };
        let host = m.apply(&w, 5);
        let tensor = m.apply_tensor(&wt, 5)?.to_vec1::<f32>()?;
        let xi = m.draws(n, 5).xi.unwrap();
        for k in 0..n {
            let tolerance = 2.0 * xi[k].abs() * bound + 4.0 * f32::EPSILON * (1.0 + host[k].abs());
            assert!(
                (host[k] - tensor[k]).abs() <= tolerance,
                "w {}: {} vs {}",
                w[k],
                host[k],
                tensor[k]
            );
            assert_eq!(host[k] == 0.0, tensor[k] == 0.0, "the same weights dropped");
        }
        Ok(())
    }
}
