//! The MVM error of a tile configuration (physics.md section 3):
//! eps_M = ||y - y_ideal||_2 / ||y_ideal||_2, averaged over input vectors, with
//! W ~ N(0, 0.246^2), x ~ U(-1, 1), one full tile, for all non-idealities together and for each
//! alone. This is `aimc tile error`.

use super::config::{DriftCompensation, TileConfig};
use super::tiled_matrix::TiledMatrix;
use crate::device::{Device as AnalogDevice, DeviceSpec, StatisticalDevice};
use crate::error::{Error, Result};
use crate::rng::NoiseRng;
use candle_core::{Device, Tensor};
use serde::Serialize;

/// Std of the random weights of the measurement.
pub const WEIGHT_STD: f64 = 0.246;

/// The non-idealities measured one at a time, in report order.
pub const NONIDEALITIES: [&str; 7] = [
    "all",
    "dac_adc",
    "out_noise",
    "read_noise",
    "prog_noise",
    "ir_drop",
    "drift",
];

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MvmErrorRow {
    pub nonideality: String,
    pub eps_m: f64,
}

/// The configuration and device with only `which` switched on (from `tile` and `device`).
pub fn isolate(
    which: &str,
    tile: &TileConfig,
    device: &DeviceSpec,
) -> Result<(TileConfig, AnalogDevice)> {
    let stat = device.device.statistical_view();
    let quiet = StatisticalDevice {
        programming_noise_scale: 0.0,
        drift_scale: 0.0,
        read_noise_scale: 0.0,
        ..stat.clone()
    };
    let mut c = TileConfig {
        device: tile.device.clone(),
        rows: tile.rows,
        cols: tile.cols,
        weight_scaling: tile.weight_scaling,
        input_scaling: tile.input_scaling,
        input_range: tile.input_range,
        bm_max_iterations: tile.bm_max_iterations,
        ..TileConfig::ideal()
    };
    let mut d = AnalogDevice::Statistical(quiet.clone());
    match which {
        "all" => return Ok((tile.clone(), device.device.clone())),
        "dac_adc" => {
            c.dac = tile.dac;
            c.dac_bits = tile.dac_bits;
            c.dac_bound = tile.dac_bound;
            c.adc = tile.adc;
            c.adc_bits = tile.adc_bits;
            c.adc_bound = tile.adc_bound;
            c.adc_s_shape = tile.adc_s_shape;
        }
        "out_noise" => c.out_noise = tile.out_noise,
        "read_noise" => c.read_noise = tile.read_noise,
        "prog_noise" => {
            d = AnalogDevice::Statistical(StatisticalDevice {
                programming_noise_scale: stat.programming_noise_scale,
                ..quiet
            })
        }
        "ir_drop" => {
            c.ir_drop = tile.ir_drop;
            c.ir_drop_scale = tile.ir_drop_scale;
            c.ir_drop_gamma = tile.ir_drop_gamma;
        }
        "drift" => {
            d = AnalogDevice::Statistical(StatisticalDevice {
                drift_scale: stat.drift_scale,
                ..quiet
            });
            c.drift_compensation = tile.drift_compensation;
        }
        other => {
            return Err(Error::Unknown {
                what: "non-ideality",
                name: other.to_string(),
                known: NONIDEALITIES.join(", "),
            });
        }
    }
    if which != "drift" {
        c.drift_compensation = DriftCompensation::None;
    }
    Ok((c, d))
}

/// eps_M of `config` with `device` at `t_s` after programming, for `batch` inputs (seeded).
pub fn mvm_error(
    config: &TileConfig,
    device: &AnalogDevice,
    batch: usize,
    t_s: f64,
    seed: u64,
) -> Result<f64> {
    if batch == 0 {
        return Err(Error::invalid_argument(
            "batch",
            "at least 1 input vector",
            0,
        ));
    }
    let dev = Device::Cpu;
    let (rows, cols) = (config.rows, config.cols);
    let mut rng = NoiseRng::stream(seed, &[0]);
    let w: Vec<f32> = (0..rows * cols)
        .map(|_| (rng.normal() * WEIGHT_STD) as f32)
        .collect();
    let x: Vec<f32> = (0..batch * rows)
        .map(|_| (2.0 * rng.uniform() - 1.0) as f32)
        .collect();
    let run = || -> candle_core::Result<f64> {
        let w = Tensor::from_vec(w, (cols, rows), &dev)?;
        let x = Tensor::from_vec(x, (batch, rows), &dev)?;
        let ideal = x.matmul(&w.t()?)?;
        let m = TiledMatrix::new("tile", w, config, NoiseRng::stream(seed, &[1]))?;
        m.program(device, NoiseRng::stream(seed, &[2]).next_u64())?;
        m.read_at(t_s, NoiseRng::stream(seed, &[3]).next_u64())?;
        let y = m.forward_t(&x, false)?;
        let err = (y - &ideal)?.sqr()?.sum_keepdim(1)?.sqrt()?;
        let norm = ideal.sqr()?.sum_keepdim(1)?.sqrt()?;
        (err / norm)?
            .mean_all()?
            .to_scalar::<f32>()
            .map(|v| v as f64)
    };
    Ok(run()?)
}

/// eps_M for every entry of [`NONIDEALITIES`].
pub fn mvm_error_report(
    tile: &TileConfig,
    device: &DeviceSpec,
    batch: usize,
    t_s: f64,
    seed: u64,
) -> Result<Vec<MvmErrorRow>> {
    NONIDEALITIES
        .iter()
        .map(|&which| {
            let (c, d) = isolate(which, tile, device)?;
            Ok(MvmErrorRow {
                nonideality: which.to_string(),
                eps_m: mvm_error(&c, &d, batch, t_s, seed)?,
            })
        })
        .collect()
}
