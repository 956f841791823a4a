//! An in-memory image classification set: u8 pixels in [N, C, H, W] order and class labels.

use crate::error::{Error, Result};

/// Images and labels, as read from a dataset file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// Pixels, image after image, each in C, H, W order.
    pub pixels: Vec<u8>,
    pub labels: Vec<u32>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Number of classes (labels are below it).
    pub classes: usize,
}

impl ImageSet {
    /// A set after checking that sizes agree and labels are below `classes`.
    pub fn new(
        source: &str,
        pixels: Vec<u8>,
        labels: Vec<u32>,
        (channels, height, width): (usize, usize, usize),
        classes: usize,
    ) -> Result<Self> {
        let size = channels * height * width;
        if size == 0 || pixels.len() != labels.len() * size {
            return Err(Error::data(
                source,
                format!(
                    "{} pixel bytes for {} images of {channels}x{height}x{width}",
                    pixels.len(),
                    labels.len()
                ),
            ));
        }
        if let Some((i, l)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| **l as usize >= classes)
        {
            return Err(Error::data(
                source,
                format!("label {l} of image {i} is not below {classes} classes"),
            ));
        }
        Ok(Self {
            pixels,
            labels,
            channels,
            height,
            width,
            classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let s = self.image_size();
        &self.pixels[i * s..(i + 1) * s]
    }

    /// The first `n` images (or all).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            pixels: self.pixels[..n * self.image_size()].to_vec(),
            labels: self.labels[..n].to_vec(),
            ..self.clone()
        }
    }

    /// Per-channel mean and standard deviation of the pixels scaled to [0, 1].
    pub fn channel_stats(&self) -> Vec<(f64, f64)> {
        let hw = self.height * self.width;
        (0..self.channels)
            .map(|c| {
                let (mut s, mut s2, mut n) = (0.0f64, 0.0f64, 0.0f64);
                for i in 0..self.len() {
                    for &p in &self.image(i)[c * hw..(c + 1) * hw] {
                        let v = p as f64 / 255.0;
                        s += v;
                        s2 += v * v;
                        n += 1.0;
                    }
                }
                let mean = s / n.max(1.0);
                (mean, (s2 / n.max(1.0) - mean * mean).max(0.0).sqrt())
            })
            .collect()
    }
}
