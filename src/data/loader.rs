//! Mini-batches of an [`ImageSet`]: a seeded shuffle per epoch, optional augmentation (random
//! crop with zero padding, horizontal flip) and per-channel normalisation, as f32 tensors
//! [B, C, H, W] with u32 labels [B].

use super::image_set::ImageSet;
use crate::rng::NoiseRng;
use candle_core::{Device, Result, Tensor};

/// Training-time augmentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Augment {
    /// Zero padding before a random crop back to the original size (0 = no crop).
    pub crop_padding: usize,
    /// Flip left-right with probability 1/2.
    pub horizontal_flip: bool,
}

/// Batches of one epoch over an image set.
#[derive(Debug, Clone)]
pub struct Loader<'a> {
    set: &'a ImageSet,
    order: Vec<usize>,
    batch: usize,
    mean: Vec<f32>,
    std: Vec<f32>,
    augment: Augment,
    rng: NoiseRng,
}

impl<'a> Loader<'a> {
    /// Batches of `batch` images; `shuffle_seed` = Some(seed) shuffles (stream `[epoch]` of the
    /// seed), None keeps the file order. `stats` are the per-channel (mean, std) of [0, 1] pixels.
    pub fn new(
        set: &'a ImageSet,
        batch: usize,
        stats: &[(f64, f64)],
        augment: Augment,
        shuffle_seed: Option<(u64, u64)>,
    ) -> Self {
        let mut rng = NoiseRng::new(0);
        let order = match shuffle_seed {
            Some((seed, epoch)) => {
                // The augmentation draws continue the stream of the shuffle.
                rng = NoiseRng::stream(seed, &[epoch]);
                rng.permutation(set.len())
            }
            None => (0..set.len()).collect(),
        };
        Self {
            set,
            order,
            batch: batch.max(1),
            mean: stats.iter().map(|s| s.0 as f32).collect(),
            std: stats.iter().map(|s| s.1.max(1e-6) as f32).collect(),
            augment,
            rng,
        }
    }

    /// Number of batches (the last may be smaller).
    pub fn batches(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }

    /// Batch `k` as (images [B, C, H, W], labels [B]) on `device`.
    pub fn batch(&mut self, k: usize, device: &Device) -> Result<(Tensor, Tensor)> {
        let idx = &self.order[k * self.batch..((k + 1) * self.batch).min(self.order.len())];
        let s = self.set;
        let (c, h, w) = (s.channels, s.height, s.width);
        let mut out = vec![0f32; idx.len() * c * h * w];
        let mut labels = Vec::with_capacity(idx.len());
        for (b, &i) in idx.iter().enumerate() {
            let img = s.image(i);
            let p = self.augment.crop_padding;
            let (dy, dx) = if p > 0 {
                let r = self.rng.next_u64();
                (
                    (r % (2 * p as u64 + 1)) as isize - p as isize,
                    ((r >> 32) % (2 * p as u64 + 1)) as isize - p as isize,
                )
            } else {
                (0, 0)
            };
            let flip = self.augment.horizontal_flip && self.rng.next_u64() & 1 == 1;
            for ch in 0..c {
                let (m, sd) = (
                    self.mean.get(ch).copied().unwrap_or(0.0),
                    self.std.get(ch).copied().unwrap_or(1.0),
                );
                for y in 0..h {
                    for x in 0..w {
                        let sx = if flip { w - 1 - x } else { x } as isize + dx;
                        let sy = y as isize + dy;
                        let v = if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                            img[(ch * h + sy as usize) * w + sx as usize] as f32 / 255.0
                        } else {
                            0.0
                        };
                        out[((b * c + ch) * h + y) * w + x] = (v - m) / sd;
                    }
                }
            }
            labels.push(s.labels[i]);
        }
        let n = idx.len();
        Ok((
            Tensor::from_vec(out, (n, c, h, w), device)?,
            Tensor::from_vec(labels, n, device)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ImageSet {
        // 5 images of 1x2x2, pixel values = 10 * image index + position.
        let pixels: Vec<u8> = (0..5)
            .flat_map(|i| (0..4).map(move |p| (10 * i + p) as u8))
            .collect();
        ImageSet::new("t", pixels, vec![0, 1, 2, 3, 4], (1, 2, 2), 5).unwrap()
    }

    #[test]
    fn batches_cover_the_set_once_and_shuffle_by_seed() -> Result<()> {
        let s = set();
        let labels = |seed: Option<(u64, u64)>| -> Result<Vec<u32>> {
            let mut l = Loader::new(&s, 2, &[(0.0, 1.0)], Augment::default(), seed);
            assert_eq!(l.batches(), 3);
            let mut all = Vec::new();
            for k in 0..l.batches() {
                all.extend(l.batch(k, &Device::Cpu)?.1.to_vec1::<u32>()?);
            }
            Ok(all)
        };
        assert_eq!(labels(None)?, vec![0, 1, 2, 3, 4]);
        let a = labels(Some((7, 0)))?;
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
        assert_eq!(a, labels(Some((7, 0)))?);
        let other: Vec<_> = (1..6).map(|e| labels(Some((7, e))).unwrap()).collect();
        assert!(other.iter().any(|o| *o != a), "epochs reshuffle");
        Ok(())
    }

    #[test]
    fn normalises_and_flips() -> Result<()> {
        let s = set();
        let mut l = Loader::new(&s, 5, &[(0.5, 0.25)], Augment::default(), None);
        let (x, _) = l.batch(0, &Device::Cpu)?;
        let v = x.flatten_all()?.to_vec1::<f32>()?;
        assert!((v[1] - (1.0 / 255.0 - 0.5) / 0.25).abs() < 1e-6);
        // With flips on, every image is itself or mirrored left-right, and both occur.
        let flip = Augment {
            crop_padding: 0,
            horizontal_flip: true,
        };
        let (mut same, mut mirrored) = (0, 0);
        for epoch in 0..8 {
            let mut l = Loader::new(&s, 5, &[(0.0, 1.0)], flip, Some((1, epoch)));
            let (x, y) = l.batch(0, &Device::Cpu)?;
            let x = x.flatten_all()?.to_vec1::<f32>()?;
            for (b, &i) in y.to_vec1::<u32>()?.iter().enumerate() {
                let got: Vec<u8> = x[4 * b..4 * b + 4]
                    .iter()
                    .map(|v| (v * 255.0).round() as u8)
                    .collect();
                let orig = s.image(i as usize).to_vec();
                let mirror = vec![orig[1], orig[0], orig[3], orig[2]];
                if got == orig {
                    same += 1;
                } else {
                    assert_eq!(got, mirror);
                    mirrored += 1;
                }
            }
        }
        assert!(same > 0 && mirrored > 0);
        // A random crop with padding 1 shifts by at most one pixel, filling with zeros.
        let crop = Augment {
            crop_padding: 1,
            horizontal_flip: false,
        };
        let mut l = Loader::new(&s, 5, &[(0.0, 1.0)], crop, Some((2, 0)));
        let (x, y) = l.batch(0, &Device::Cpu)?;
        let x = x.flatten_all()?.to_vec1::<f32>()?;
        for (b, &i) in y.to_vec1::<u32>()?.iter().enumerate() {
            let orig = s.image(i as usize);
            for v in &x[4 * b..4 * b + 4] {
                let p = (v * 255.0).round() as u8;
                assert!(p == 0 || orig.contains(&p), "{p} not from image {i}");
            }
        }
        Ok(())
    }
}
