//! `aimc map`: how a model lies on tiles. Per analog layer its name, kind, matrix size (inputs x
//! outputs; a convolution is C_in*kh*kw x C_out), tile grid, tile count and utilisation; totals
//! of tiles, mapped and digital parameters. Built from the model definition itself, with
//! zero-cost placeholder weights.

use super::shapes::{ParamLog, ShapeRecorder};
use super::{Model, ModelConfig};
use crate::error::{Error, Result};
use crate::nn::matrices;
use crate::report::TextTable;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TileGeometry};
use candle_core::{DType, Device};
use serde::Serialize;

/// One analog layer of the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapRow {
    pub name: String,
    pub kind: String,
    pub rows: usize,
    pub cols: usize,
    pub grid_rows: usize,
    pub grid_cols: usize,
    pub tiles: usize,
    pub utilisation: f64,
}

/// The totals of the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapTotals {
    pub total_tiles: usize,
    pub mapped_parameters: usize,
    pub digital_parameters: usize,
    /// Mapped weights over the capacity of all tiles used.
    pub utilisation: f64,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelMap {
    pub tile_rows: usize,
    pub tile_cols: usize,
    pub layers: Vec<MapRow>,
    pub totals: MapTotals,
}

/// Maps `config` onto tiles of `geometry`.
pub fn map_model(config: &ModelConfig, geometry: TileGeometry) -> Result<ModelMap> {
    let log: ParamLog = Default::default();
    let vb = candle_nn::VarBuilder::from_backend(
        Box::new(ShapeRecorder { log: log.clone() }),
        DType::F32,
        Device::Cpu,
    );
    let tile = TileConfig::ideal_on(geometry);
    let model =
        Model::build(config, vb, &tile, NoiseRng::new(0)).map_err(|e| match Error::from(e) {
            Error::Tensor(m) => Error::invalid_argument("model", "a buildable architecture", m),
            other => other,
        })?;
    let mut layers = Vec::new();
    let mut mapped = 0;
    let mut capacity = 0;
    for m in matrices(&model) {
        let (rows, cols) = m.matrix_size();
        let (gr, gc) = m.grid().shape();
        mapped += rows * cols;
        capacity += m.tile_count() * geometry.rows * geometry.cols;
        layers.push(MapRow {
            name: m.name().to_string(),
            kind: m.kind().to_string(),
            rows,
            cols,
            grid_rows: gr,
            grid_cols: gc,
            tiles: m.tile_count(),
            utilisation: m.grid().utilisation(),
        });
    }
    let total_params: usize = log
        .lock()
        .expect("lock")
        .iter()
        // The tiles' periphery scales (input ranges, output scales) are not network parameters.
        .filter(|(n, _)| !n.ends_with(".input_range") && !n.ends_with(".out_scale"))
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    let total_tiles = layers.iter().map(|l| l.tiles).sum();
    Ok(ModelMap {
        tile_rows: geometry.rows,
        tile_cols: geometry.cols,
        layers,
        totals: MapTotals {
            total_tiles,
            mapped_parameters: mapped,
            digital_parameters: total_params - mapped,
            utilisation: if capacity == 0 {
                0.0
            } else {
                mapped as f64 / capacity as f64
            },
        },
    })
}

/// Per layer: name, kind, matrix rows (inputs) and columns (outputs), tile grid, tiles and
/// utilisation.
pub fn map_table(map: &ModelMap) -> TextTable {
    let mut t = TextTable::new(&[
        "layer",
        "kind",
        "rows",
        "cols",
        "grid",
        "tiles",
        "utilisation",
    ]);
    for l in &map.layers {
        t.push(vec![
            l.name.clone(),
            l.kind.clone(),
            l.rows.to_string(),
            l.cols.to_string(),
            format!("{}x{}", l.grid_rows, l.grid_cols),
            l.tiles.to_string(),
            format!("{:.3}", l.utilisation),
        ]);
    }
    t
}
