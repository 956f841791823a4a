//! Monte-Carlo statistics of a device: program n devices at each target, read each at each time.
//! This is `aimc device sample`.

use super::model::DeviceModel;
use crate::error::{Error, Result};
use crate::rng::NoiseRng;
use serde::Serialize;

/// Statistics of the reads at one (target, time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRow {
    pub g_target_us: f64,
    pub t_s: f64,
    pub g_mean_us: f64,
    pub g_std_us: f64,
    pub nu_mean: f64,
    pub nu_std: f64,
    pub n: usize,
}

/// Sample mean and standard deviation (n - 1 in the denominator), accumulated in f64.
pub fn mean_std(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let ss = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>();
    (
        mean,
        if n > 1.0 {
            (ss / (n - 1.0)).sqrt()
        } else {
            0.0
        },
    )
}

/// Programs `n` devices at each target (µS) and reads all of them at each time (s) after
/// programming, so that each device follows one trajectory through the times. Target `i` draws
/// from stream `[i]` of `seed`.
pub fn sample_device(
    device: &dyn DeviceModel,
    g_targets_us: &[f64],
    times_s: &[f64],
    n: usize,
    seed: u64,
) -> Result<Vec<SampleRow>> {
    if n < 2 {
        return Err(Error::invalid_argument("n", "at least 2 devices", n));
    }
    let (g_min, g_max) = (device.g_min_us(), device.g_max_us());
    for &g in g_targets_us {
        if !(g_min..=g_max).contains(&g) {
            return Err(Error::invalid_argument(
                "target conductance",
                format!("a value in [g_min, g_max] = [{g_min}, {g_max}] µS"),
                g,
            ));
        }
    }
    for &t in times_s {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::invalid_argument("time", "a finite time >= 0 s", t));
        }
    }
    super::check_times("the device", device, times_s)?;
    let mut rows = Vec::with_capacity(g_targets_us.len() * times_s.len());
    let mut g_read = vec![0.0f32; n];
    for (i, &g) in g_targets_us.iter().enumerate() {
        let mut rng = NoiseRng::stream(seed, &[i as u64]);
        let targets = vec![g as f32; n];
        let state = device.program(&targets, &mut rng);
        let (nu_mean, nu_std) = mean_std(&state.nu);
        for &t in times_s {
            device.read(&state, t, &mut rng, &mut g_read);
            let (g_mean_us, g_std_us) = mean_std(&g_read);
            rows.push(SampleRow {
                g_target_us: g,
                t_s: t,
                g_mean_us,
                g_std_us,
                nu_mean,
                nu_std,
                n,
            });
        }
    }
    Ok(rows)
}
