//! Weights to differential conductance pairs and back (physics.md section 1): per output
//! column gamma_i = max_j |w_ij| (or one scale per tile), w~ = w / gamma in [-1, 1];
//! g+ = g_min + (g_max - g_min) max(w~, 0), g- = g_min + (g_max - g_min) max(-w~, 0);
//! realised w~ = (g+ - g-) / (g_max - g_min).

use super::config::WeightScaling;

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
