//! How the matrices of a network lie on tiles (physics.md section 3): per analog layer its name,
//! kind, matrix size (inputs x outputs), tile grid, tile count and utilisation; the totals of
//! tiles, mapped and digital parameters; the digital operations by count where the network's
//! graph is known (an imported ONNX file); and every tile's cell (the rows and columns of it that
//! hold weights). The map of a built-in network comes from `models/map.rs`, that of an ONNX file
//! from `onnx/map.rs`.

use super::geometry::{TileGeometry, TileGrid};
use serde::Serialize;
use std::collections::BTreeMap;

/// A matrix to place on tiles: the layer's name, what it is (`conv2d`, `linear`, ...) and its
/// size, inputs (rows) x outputs (columns).
#[derive(Debug, Clone, PartialEq)]
pub struct MappedMatrix {
    pub name: String,
    pub kind: String,
    pub rows: usize,
    pub cols: usize,
}

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
    /// The operations computed digitally, by ONNX op type (imported graphs only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub digital_ops: BTreeMap<String, usize>,
}

impl ModelMap {
    /// The map of `layers` on tiles of `geometry`, in a network of `total_parameters`
    /// parameters (those not on tiles are digital).
    pub fn new(geometry: TileGeometry, layers: &[MappedMatrix], total_parameters: usize) -> Self {
        let mut rows = Vec::new();
        let (mut mapped, mut capacity) = (0, 0);
        for m in layers {
            let grid = TileGrid::new(m.rows, m.cols, geometry);
            let (gr, gc) = grid.shape();
            mapped += m.rows * m.cols;
            capacity += grid.tile_count() * geometry.rows * geometry.cols;
            rows.push(MapRow {
                name: m.name.clone(),
                kind: m.kind.clone(),
                rows: m.rows,
                cols: m.cols,
                grid_rows: gr,
                grid_cols: gc,
                tiles: grid.tile_count(),
                utilisation: grid.utilisation(),
            });
        }
        let total_tiles = rows.iter().map(|l| l.tiles).sum();
        ModelMap {
            tile_rows: geometry.rows,
            tile_cols: geometry.cols,
            layers: rows,
            totals: MapTotals {
                total_tiles,
                mapped_parameters: mapped,
                digital_parameters: total_parameters.saturating_sub(mapped),
                utilisation: if capacity == 0 {
                    0.0
                } else {
                    mapped as f64 / capacity as f64
                },
            },
            digital_ops: BTreeMap::new(),
        }
    }
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
            digital_ops: BTreeMap::new(),
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
