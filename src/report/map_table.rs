//! The map of a network on tiles as a table (`aimc map`, the demo's `tile_map.csv`).

use super::format::TextTable;
use crate::tile::layout::ModelMap;

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
