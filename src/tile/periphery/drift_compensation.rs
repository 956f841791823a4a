//! Global drift compensation (physics.md section 4): right after programming, known inputs
//! (one-hot vectors) go through the noisy tile and s_ref = mean |y| is recorded; at a later read
//! the same measurement gives s_t and the tile's outputs are multiplied by s_ref / s_t. One
//! factor per tile (`global`) or per output column (`per_column`); `none` turns it off (key
//! `drift_compensation`). The read-out carries the tile's own noise and quantisation
//! (`one_hot.rs`). Measured with the device's drift in the `drift` row of `aimc tile error`.

use super::stage::Stage;
use candle_core::cpu::kernels::VecOps;
use serde::{Deserialize, Serialize};

/// Global drift compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DriftCompensation {
    /// One factor per tile.
    Global,
    /// One factor per output column.
    #[value(alias = "column")]
    PerColumn,
    /// No compensation.
    None,
}

/// `drift_compensation` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftCompensationConfig {
    #[serde(rename = "drift_compensation")]
    pub mode: DriftCompensation,
}

impl Default for DriftCompensationConfig {
    /// The paper's: one factor per tile.
    fn default() -> Self {
        Self {
            mode: DriftCompensation::Global,
        }
    }
}

impl Stage for DriftCompensationConfig {
    fn name(&self) -> &'static str {
        "drift_compensation"
    }

    fn error_row(&self) -> Option<&'static str> {
        Some("drift")
    }

    fn switch_off(&mut self) {
        self.mode = DriftCompensation::None;
    }
}

impl DriftCompensationConfig {
    /// The measurement s of a one-hot read-out's magnitudes `y_abs` [n, m]: mean |y| (one
    /// value), its `m` column means (`per_column`), or nothing without compensation. The sums
    /// run in candle's order (its CPU sum kernel; row by row per column), so the numbers equal
    /// `mean_all` and `mean(0)` of the tensor.
    pub(crate) fn measure(&self, y_abs: &[f32], m: usize) -> Vec<f32> {
        let scale = |len: usize| (1.0 / len as f64) as f32;
        match self.mode {
            DriftCompensation::Global => {
                let mut sum = 0.0f32;
                // SAFETY: `len` elements are read from a slice that has them.
                unsafe { f32::vec_reduce_sum(y_abs.as_ptr(), &mut sum, y_abs.len()) };
                vec![sum * scale(y_abs.len()) + 0.0]
            }
            DriftCompensation::PerColumn if m == 0 => Vec::new(),
            DriftCompensation::PerColumn => {
                let mut sums = vec![0.0f32; m];
                for row in y_abs.chunks_exact(m) {
                    for (s, v) in sums.iter_mut().zip(row) {
                        *s += v;
                    }
                }
                let k = scale(y_abs.len() / m);
                sums.iter().map(|s| s * k + 0.0).collect()
            }
            DriftCompensation::None => Vec::new(),
        }
    }

    /// Whether a measurement is made at all.
    pub(crate) fn is_on(&self) -> bool {
        self.mode != DriftCompensation::None
    }
}

/// The output scales of `m` columns after a read: gamma_i times the factor s_ref / s_t of the
/// column (or of the tile); a factor is 1 where the measurement is 0.
pub(crate) fn compensated_scales(gamma: &[f32], reference: &[f32], now: &[f32]) -> Vec<f32> {
    let factor: Vec<f32> = reference
        .iter()
        .zip(now)
        .map(|(r, s)| if *s > 0.0 { r / s } else { 1.0 })
        .collect();
    gamma
        .iter()
        .enumerate()
        .map(|(i, g)| g * factor[if factor.len() == 1 { 0 } else { i }])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use candle_core::{Device, Tensor};

    /// The measurements are candle's `mean_all` and `mean(0)` of the magnitudes, to the bit.
    #[test]
    fn measurements_equal_candle_means() {
        let (n, m) = (37, 23);
        let mut y = vec![0.0f32; n * m];
        NoiseRng::new(4).fill_normal(&mut y);
        y.iter_mut().for_each(|v| *v = v.abs());
        let t = Tensor::from_slice(&y, (n, m), &Device::Cpu).unwrap();
        let with = |mode| DriftCompensationConfig { mode }.measure(&y, m);
        let global = t.mean_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(with(DriftCompensation::Global), vec![global]);
        let columns = t.mean(0).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(with(DriftCompensation::PerColumn), columns);
        assert!(with(DriftCompensation::None).is_empty());
    }
}
