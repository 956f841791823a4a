//! The MVM error of a tile configuration (physics.md section 3):
//! eps_M = ||y - y_ideal||_2 / ||y_ideal||_2, averaged over input vectors, with
//! W ~ N(0, 0.246^2), x ~ U(-1, 1), one full tile, for all non-idealities together and for each
//! alone. This is `aimc tile error`.

use super::config::TileConfig;
use super::periphery::{PeripheryConfig, stage::error_rows};
use super::tiled_matrix::TiledMatrix;
use crate::device::{Device as AnalogDevice, DeviceSpec};
use crate::error::{Error, Result};
use crate::rng::NoiseRng;
use candle_core::{Device, Tensor};
use serde::Serialize;

/// Std of the random weights of the measurement.
pub const WEIGHT_STD: f64 = 0.246;

/// The row of the device's programming noise (placed after the read noise's, as the paper's
/// sensitivity study lists them).
const PROG_NOISE: &str = "prog_noise";
/// The row of the device's drift, measured with the drift-compensation stage.
const DRIFT: &str = "drift";

/// The non-idealities measured one at a time, in report order: `all`, then the rows of the
/// periphery's stage list with the device's programming noise after the read noise and its
/// drift in the row of drift compensation.
pub fn nonidealities() -> Vec<&'static str> {
    let mut rows = vec!["all"];
    for row in error_rows(&PeripheryConfig::default().stages()) {
        rows.push(row);
        if row == "read_noise" {
            rows.push(PROG_NOISE);
        }
    }
    for device_row in [PROG_NOISE, DRIFT] {
        if !rows.contains(&device_row) {
            rows.push(device_row);
        }
    }
    rows
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MvmErrorRow {
    pub nonideality: String,
    pub eps_m: f64,
}

/// The configuration and device with only `which` switched on (from `tile` and `device`): the
/// stages of other rows switched off, the device's noise and drift scaled to 0 unless `which`
/// is its programming noise or drift.
pub fn isolate(
    which: &str,
    tile: &TileConfig,
    device: &DeviceSpec,
) -> Result<(TileConfig, AnalogDevice)> {
    if !nonidealities().contains(&which) {
        return Err(Error::Unknown {
            what: "non-ideality",
            name: which.to_string(),
            known: nonidealities().join(", "),
        });
    }
    if which == "all" {
        return Ok((tile.clone(), device.device.clone()));
    }
    let c = tile
        .edit(|t| {
            for stage in t.periphery.stages_mut() {
                if stage.error_row().is_some_and(|row| row != which) {
                    stage.switch_off();
                }
            }
        })
        .map_err(|e| e.as_argument("tile"))?;
    let stat = device.device.statistical_view();
    let d = stat
        .edit(|p| {
            if which != PROG_NOISE {
                p.programming_noise_scale = 0.0;
            }
            if which != DRIFT {
                p.drift_scale = 0.0;
                // A relaxation is part of the device's change over time.
                p.relaxation = crate::device::laws::relaxation::RelaxationLaw::None;
            }
            p.read_noise_scale = 0.0;
        })
        .map_err(|e| e.as_argument("device"))?;
    Ok((c, AnalogDevice::Statistical(d)))
}

/// eps_M of `config` with `device` at `t_s` after programming, for `batch` inputs (seeded),
/// computed on the CPU.
pub fn mvm_error(
    config: &TileConfig,
    device: &AnalogDevice,
    batch: usize,
    t_s: f64,
    seed: u64,
) -> Result<f64> {
    mvm_error_on(config, device, batch, t_s, seed, &Device::Cpu)
}

/// [`mvm_error`] computed on `dev` (the same weights, inputs and noise seeds: on another
/// device, within sampling error of the CPU's).
pub fn mvm_error_on(
    config: &TileConfig,
    device: &AnalogDevice,
    batch: usize,
    t_s: f64,
    seed: u64,
    dev: &Device,
) -> Result<f64> {
    let per_vector = relative_errors(config, device, batch, t_s, seed, dev)?;
    Ok(per_vector.mean_all()?.to_scalar::<f32>()? as f64)
}

/// The relative error of each of the `batch` input vectors of [`mvm_error`] (computed on the
/// CPU), whose mean is eps_M: for the spread of the estimate.
pub fn mvm_errors_per_vector(
    config: &TileConfig,
    device: &AnalogDevice,
    batch: usize,
    t_s: f64,
    seed: u64,
) -> Result<Vec<f64>> {
    let per_vector = relative_errors(config, device, batch, t_s, seed, &Device::Cpu)?;
    let v = per_vector.flatten_all()?.to_vec1::<f32>()?;
    Ok(v.into_iter().map(f64::from).collect())
}

/// ||y - y_ideal|| / ||y_ideal|| per input vector, [batch, 1].
fn relative_errors(
    config: &TileConfig,
    device: &AnalogDevice,
    batch: usize,
    t_s: f64,
    seed: u64,
    dev: &Device,
) -> Result<Tensor> {
    if batch == 0 {
        return Err(Error::invalid_argument(
            "batch",
            "at least 1 input vector",
            0,
        ));
    }
    let (rows, cols) = (config.rows, config.cols);
    let mut rng = NoiseRng::stream(seed, &[0]);
    let w: Vec<f32> = (0..rows * cols)
        .map(|_| (rng.normal() * WEIGHT_STD) as f32)
        .collect();
    let x: Vec<f32> = (0..batch * rows)
        .map(|_| (2.0 * rng.uniform() - 1.0) as f32)
        .collect();
    let run = || -> candle_core::Result<Tensor> {
        let w = Tensor::from_vec(w, (cols, rows), dev)?;
        let x = Tensor::from_vec(x, (batch, rows), dev)?;
        let ideal = x.matmul(&w.t()?)?;
        let m = TiledMatrix::new("tile", w, config, NoiseRng::stream(seed, &[1]))?;
        m.program(device, NoiseRng::stream(seed, &[2]).next_u64())?;
        m.read_at(t_s, NoiseRng::stream(seed, &[3]).next_u64())?;
        let y = m.forward_t(&x, false)?;
        let err = (y - &ideal)?.sqr()?.sum_keepdim(1)?.sqrt()?;
        let norm = ideal.sqr()?.sum_keepdim(1)?.sqrt()?;
        err / norm
    };
    Ok(run()?)
}

/// eps_M for every entry of [`nonidealities`], computed on `dev`.
pub fn mvm_error_report(
    tile: &TileConfig,
    device: &DeviceSpec,
    batch: usize,
    t_s: f64,
    seed: u64,
    dev: &Device,
) -> Result<Vec<MvmErrorRow>> {
    nonidealities()
        .into_iter()
        .map(|which| {
            let (c, d) = isolate(which, tile, device)?;
            Ok(MvmErrorRow {
                nonideality: which.to_string(),
                eps_m: mvm_error_on(&c, &d, batch, t_s, seed, dev)?,
            })
        })
        .collect()
}
