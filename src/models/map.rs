//! `aimc map`: how a model lies on tiles. Per analog layer its name, kind, matrix size (inputs x
//! outputs; a convolution is C_in*kh*kw x C_out), tile grid, tile count and utilisation; totals
//! of tiles, mapped and digital parameters; and every tile's cell (the rows and columns of it that
//! hold weights), from the layer's own grid. Built from the model definition itself, with
//! zero-cost placeholder weights.

use super::shapes::{ParamLog, ShapeRecorder};
use super::{Model, ModelConfig};
use crate::error::{Error, Result};
use crate::nn::matrices;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TileGeometry, TileGrid};
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

/// One tile of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct TileCell {
    /// Index of the layer in the map.
    pub layer: usize,
    pub label: String,
    /// Rows (inputs) and columns (outputs) of this tile holding weights.
    pub used_rows: usize,
    pub used_cols: usize,
}

/// The tiles of `map`, layer by layer, each layer's grid row by row.
pub fn tile_cells(map: &ModelMap) -> Vec<TileCell> {
    let geometry = TileGeometry {
        rows: map.tile_rows,
        cols: map.tile_cols,
    };
    let mut cells = Vec::new();
    for (l, layer) in map.layers.iter().enumerate() {
        let grid = TileGrid::new(layer.rows, layer.cols, geometry);
        let several = grid.tile_count() > 1;
        for (i, r) in grid.row_chunks.iter().enumerate() {
            for (j, c) in grid.col_chunks.iter().enumerate() {
                cells.push(TileCell {
                    layer: l,
                    label: if several {
                        format!("{} [{i},{j}]", layer.name)
                    } else {
                        layer.name.clone()
                    },
                    used_rows: r.len(),
                    used_cols: c.len(),
                });
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, rows: usize, cols: usize) -> MapRow {
        let grid = TileGrid::new(rows, cols, TileGeometry { rows: 4, cols: 4 });
        let (gr, gc) = grid.shape();
        MapRow {
            name: name.into(),
            kind: "linear".into(),
            rows,
            cols,
            grid_rows: gr,
            grid_cols: gc,
            tiles: grid.tile_count(),
            utilisation: grid.utilisation(),
        }
    }

    #[test]
    fn cells_follow_the_grids_of_the_layers() {
        let map = ModelMap {
            tile_rows: 4,
            tile_cols: 4,
            layers: vec![row("a", 3, 2), row("b", 6, 5)],
            totals: MapTotals {
                total_tiles: 5,
                mapped_parameters: 36,
                digital_parameters: 0,
                utilisation: 36.0 / 80.0,
            },
        };
        let cells = tile_cells(&map);
        let used: Vec<_> = cells
            .iter()
            .map(|c| (c.label.as_str(), c.used_rows, c.used_cols))
            .collect();
        // 6 rows split 3 + 3, 5 columns 3 + 2 (physics of split_dimension).
        assert_eq!(
            used,
            [
                ("a", 3, 2),
                ("b [0,0]", 3, 3),
                ("b [0,1]", 3, 2),
                ("b [1,0]", 3, 3),
                ("b [1,1]", 3, 2)
            ]
        );
        let used_total: usize = cells.iter().map(|c| c.used_rows * c.used_cols).sum();
        assert_eq!(used_total, map.totals.mapped_parameters);
    }
}
