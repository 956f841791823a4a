//! `aimc tile error`: the MVM error eps_M of a tile configuration (physics.md section 3), with
//! all its non-idealities and with each alone.

use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::tile::TileConfig;
use crate::tile::mvm_error::{MvmErrorRow, mvm_error_report};

/// A measurement, as the command line gives it.
#[derive(Debug, Clone)]
pub struct TileErrorRequest {
    /// A preset or a file with a `[tile]` section.
    pub tile: String,
    /// Overrides the tile's device, rows and columns.
    pub device: Option<String>,
    pub rows: Option<usize>,
    pub cols: Option<usize>,
    /// Input vectors averaged over.
    pub batch: usize,
    /// Time after programming, s.
    pub t_s: f64,
    pub seed: u64,
    /// Where to compute.
    pub compute: candle_core::Device,
}

/// The configuration measured and its rows.
#[derive(Debug, Clone)]
pub struct TileErrorOutcome {
    pub config: TileConfig,
    pub rows: Vec<MvmErrorRow>,
}

/// Measures eps_M for `req`. The overrides go through the checks of a `[tile]` section.
pub fn tile_error(req: &TileErrorRequest) -> Result<TileErrorOutcome> {
    let config = TileConfig::resolve(&req.tile)?
        .edit(|t| {
            t.rows = req.rows.unwrap_or(t.rows);
            t.cols = req.cols.unwrap_or(t.cols);
            if let Some(d) = &req.device {
                t.device = d.clone();
            }
        })
        .map_err(|e| {
            let flag = format!("--{}", e.key);
            e.as_argument(flag)
        })?;
    if !(req.t_s.is_finite() && req.t_s >= 0.0) {
        return Err(Error::invalid_argument(
            "--t-s",
            "a finite time >= 0 s",
            req.t_s,
        ));
    }
    let spec = resolve_device(&config.device)?;
    crate::device::check_times(&format!("device `{}`", spec.name), &spec.device, &[req.t_s])?;
    let rows = mvm_error_report(&config, &spec, req.batch, req.t_s, req.seed, &req.compute)?;
    Ok(TileErrorOutcome { config, rows })
}
