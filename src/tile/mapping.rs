//! Weights to conductances and back (physics.md section 1): per output column gamma_i =
//! max_j |w_ij| (or one scale per tile), w~ = w / gamma in [-1, 1], then one of the mappings of
//! [`WeightMapping`]. The paper's (the default) is one differential pair:
//! g+ = g_min + (g_max - g_min) max(w~, 0), g- = g_min + (g_max - g_min) max(-w~, 0);
//! realised w~ = (g+ - g-) / (g_max - g_min).

use super::config::WeightScaling;
use serde::{Deserialize, Serialize};

/// How a normalised weight w~ in [-1, 1] lies on devices. Every mapping is linear in the
/// conductances: w~ = w0 + sum_k c_k (g_k - g_min) / (g_max - g_min), each device k programmed
/// to g_min + (g_max - g_min) f_k(w~) (aihwkit's converters, `inference/converter/`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightMapping {
    /// One differential pair (the paper's; aihwkit's SinglePairConductanceConverter).
    #[default]
    Pair,
    /// One device with an offset: w~ = 2 (g - g_min) / (g_max - g_min) - 1, the offset (the
    /// conductance of w~ = 0, mid-range) subtracted digitally (aihwkit's
    /// SingleDeviceConductanceConverter, on the normalised range [-1, 1]).
    SingleDevice,
    /// `n` pairs each programmed to w~, their weights averaged: noise averaging (the variance of
    /// independent device noise falls as 1/n).
    Pairs(usize),
    /// Pairs of significance F_0, F_1, ... (aihwkit's NPairConductanceConverter; two factors:
    /// its DualPairConductanceConverter): |w~| S (S = sum F_i, in units of the range) fills the
    /// pairs in order, pair i holding clip((|w~| S - L_i) / F_i, 0, 1) with L_i = sum_{j<i} F_j;
    /// w~ = sum_i F_i (g+_i - g-_i) / (S (g_max - g_min)).
    Significance(Vec<f64>),
}

impl WeightMapping {
    /// Whether this is the default, one pair.
    pub fn is_pair(&self) -> bool {
        *self == WeightMapping::Pair
    }

    /// Devices per weight.
    pub fn devices(&self) -> usize {
        match self {
            WeightMapping::Pair => 2,
            WeightMapping::SingleDevice => 1,
            WeightMapping::Pairs(n) => 2 * n,
            WeightMapping::Significance(f) => 2 * f.len(),
        }
    }

    /// Checks the parameters: at least one pair, significance factors finite and > 0.
    pub fn validate(&self) -> Result<(), crate::error::InvalidKey> {
        match self {
            WeightMapping::Pairs(0) => Err(crate::error::InvalidKey::new(
                "mapping.pairs",
                "at least 1 pair",
                0,
            )),
            WeightMapping::Significance(f) if f.is_empty() => Err(crate::error::InvalidKey::new(
                "mapping.significance",
                "at least one factor",
                "[]",
            )),
            WeightMapping::Significance(f) => {
                for (i, &v) in f.iter().enumerate() {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(crate::error::InvalidKey::new(
                            format!("mapping.significance[{i}]"),
                            "a factor > 0",
                            v,
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Each device's coefficient c_k and the offset w0 (module header).
    pub fn coefficients(&self) -> (Vec<f32>, f32) {
        match self {
            WeightMapping::Pair => (vec![1.0, -1.0], 0.0),
            WeightMapping::SingleDevice => (vec![2.0], -1.0),
            WeightMapping::Pairs(n) => {
                let c = 1.0 / *n as f32;
                ((0..*n).flat_map(|_| [c, -c]).collect(), 0.0)
            }
            WeightMapping::Significance(f) => {
                let s: f64 = f.iter().sum();
                (
                    f.iter()
                        .flat_map(|fi| [(fi / s) as f32, -(fi / s) as f32])
                        .collect(),
                    0.0,
                )
            }
        }
    }

    /// Target conductances of the devices of normalised weights `w_norm` (n weights): device
    /// k of every weight in block k (devices() blocks of n). The pair's layout is
    /// [`pair_targets`]'s.
    pub fn targets(&self, w_norm: &[f32], g_min: f32, g_max: f32) -> Vec<f32> {
        let range = g_max - g_min;
        let at = |f: &dyn Fn(f32) -> f32| -> Vec<f32> {
            w_norm.iter().map(|&w| g_min + range * f(w)).collect()
        };
        match self {
            WeightMapping::Pair => pair_targets(w_norm, g_min, g_max),
            WeightMapping::SingleDevice => at(&|w| (w.clamp(-1.0, 1.0) + 1.0) * 0.5),
            WeightMapping::Pairs(n) => {
                let pair = pair_targets(w_norm, g_min, g_max);
                let (plus, minus) = pair.split_at(w_norm.len());
                (0..*n)
                    .flat_map(|_| plus.iter().chain(minus))
                    .copied()
                    .collect()
            }
            WeightMapping::Significance(f) => {
                let s: f64 = f.iter().sum();
                let mut out = Vec::with_capacity(w_norm.len() * 2 * f.len());
                let mut lower = 0.0f64;
                for &fi in f {
                    let fill = |w: f32| {
                        let v = (w.clamp(0.0, 1.0) as f64 * s - lower) / fi;
                        v.clamp(0.0, 1.0) as f32
                    };
                    out.extend(at(&|w| fill(w)));
                    out.extend(at(&|w| fill(-w)));
                    lower += fi;
                }
                out
            }
        }
    }

    /// Normalised weights realised by conductances `g` laid out as in [`Self::targets`].
    pub fn weights(&self, g: &[f32], g_min: f32, g_max: f32) -> Vec<f32> {
        if *self == WeightMapping::Pair {
            return pair_weights(g, g_min, g_max);
        }
        let (c, w0) = self.coefficients();
        let n = g.len() / c.len();
        let inv = 1.0 / (g_max - g_min);
        let mut w = vec![w0; n];
        for (k, &ck) in c.iter().enumerate() {
            for (wi, &gk) in w.iter_mut().zip(&g[k * n..(k + 1) * n]) {
                *wi += ck * (gk - g_min) * inv;
            }
        }
        w
    }
}

/// Scales of a block of `m` outputs x `n` inputs (row-major, one row per output): one per output.
/// A column of zeros gets scale 1 (it maps to g_min pairs either way).
pub fn output_scales(w: &[f32], m: usize, n: usize, scaling: WeightScaling) -> Vec<f32> {
    debug_assert_eq!(w.len(), m * n);
    let fix = |s: f32| if s > 0.0 { s } else { 1.0 };
    match scaling {
        WeightScaling::PerColumn => w
            .chunks(n)
            .map(|row| fix(row.iter().fold(0.0f32, |a, &v| a.max(v.abs()))))
            .collect(),
        WeightScaling::PerTile => {
            let s = fix(w.iter().fold(0.0f32, |a, &v| a.max(v.abs())));
            vec![s; m]
        }
    }
}

/// Target conductances of the pairs of normalised weights `w_norm`: the first `len` devices
/// are the g+ devices, the next `len` the g- devices.
pub fn pair_targets(w_norm: &[f32], g_min: f32, g_max: f32) -> Vec<f32> {
    let range = g_max - g_min;
    let plus = w_norm.iter().map(|&w| g_min + range * w.clamp(0.0, 1.0));
    let minus = w_norm.iter().map(|&w| g_min + range * (-w).clamp(0.0, 1.0));
    plus.chain(minus).collect()
}

/// Normalised weights realised by pair conductances laid out as in [`pair_targets`].
pub fn pair_weights(g: &[f32], g_min: f32, g_max: f32) -> Vec<f32> {
    let half = g.len() / 2;
    let inv = 1.0 / (g_max - g_min);
    g[..half]
        .iter()
        .zip(&g[half..])
        .map(|(p, m)| (p - m) * inv)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_column_and_per_tile_scales() {
        let w = [0.5, -2.0, 1.0, 0.0, 0.0, 0.0];
        assert_eq!(
            output_scales(&w, 2, 3, WeightScaling::PerColumn),
            vec![2.0, 1.0]
        );
        assert_eq!(
            output_scales(&w, 2, 3, WeightScaling::PerTile),
            vec![2.0, 2.0]
        );
    }

    /// Every mapping realises the weights it maps (noise-free devices), each device within
    /// [g_min, g_max].
    #[test]
    fn every_mapping_round_trips() {
        let w: Vec<f32> = (0..=40).map(|i| i as f32 / 20.0 - 1.0).collect();
        for m in [
            WeightMapping::Pair,
            WeightMapping::SingleDevice,
            WeightMapping::Pairs(3),
            WeightMapping::Significance(vec![1.0, 3.0]),
            WeightMapping::Significance(vec![1.0, 2.0, 4.0]),
        ] {
            for (g_min, g_max) in [(0.0, 25.0), (9.0, 88.2)] {
                let g = m.targets(&w, g_min, g_max);
                assert_eq!(g.len(), w.len() * m.devices(), "{m:?}");
                assert!(g.iter().all(|&v| v >= g_min && v <= g_max), "{m:?}");
                let back = m.weights(&g, g_min, g_max);
                for (a, b) in w.iter().zip(&back) {
                    assert!((a - b).abs() < 1e-5, "{m:?}: {a} -> {b}");
                }
            }
        }
        // Significance [1, 3]: |w~| S = 4 |w~| fills the first pair (F = 1) up to w~ = 1/4.
        let g = WeightMapping::Significance(vec![1.0, 3.0]).targets(&[0.125, 0.5], 0.0, 1.0);
        assert_eq!(g, vec![0.5, 1.0, 0.0, 0.0, 0.0, 1.0 / 3.0, 0.0, 0.0]);
    }

    #[test]
    fn pairs_round_trip() {
        let w = [0.25f32, -1.0, 0.0, 1.0];
        let g = pair_targets(&w, 0.0, 25.0);
        assert_eq!(g, vec![6.25, 0.0, 0.0, 25.0, 0.0, 25.0, 0.0, 0.0]);
        assert_eq!(pair_weights(&g, 0.0, 25.0), w.to_vec());
        let g = pair_targets(&w, 5.0, 25.0);
        assert_eq!(g[0], 10.0);
        assert_eq!(g[5], 25.0);
        assert_eq!(pair_weights(&g, 5.0, 25.0), w.to_vec());
    }
}
