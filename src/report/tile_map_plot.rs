//! The tile map of a network: every tile it uses drawn as a square of the tile's size (rows =
//! inputs down, columns = outputs across), the part holding weights filled in the colour of its
//! layer, labelled with the layer, its place in the layer's grid and the fill.

use super::plot_style::{FONT, Figure, color, lighten, write_png_and_svg};
use crate::error::Result;
use crate::tile::layout::{ModelMap, TileCell, tile_cells};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Pixels per tile square and the label space under it.
const CELL: i32 = 150;
const LABEL: i32 = 40;
const GAP: i32 = 24;
const TOP: i32 = 60;

struct TileMapFigure<'a> {
    map: &'a ModelMap,
    title: &'a str,
    cells: Vec<TileCell>,
    per_row: usize,
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

impl Figure for TileMapFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let t = &self.map.totals;
        let title = format!(
            "{} on {}x{} tiles: {} tiles, utilisation {:.1} %",
            self.title,
            self.map.tile_rows,
            self.map.tile_cols,
            t.total_tiles,
            100.0 * t.utilisation
        );
        let centre = Pos::new(HPos::Center, VPos::Top);
        let width = root.dim_in_pixel().0 as i32;
        root.draw(&Text::new(
            title,
            (width / 2, 15),
            (FONT, 22).into_font().into_text_style(root).pos(centre),
        ))
        .map_err(e)?;
        for (k, cell) in self.cells.iter().enumerate() {
            let (row, col) = ((k / self.per_row) as i32, (k % self.per_row) as i32);
            let x0 = GAP + col * (CELL + GAP);
            let y0 = TOP + row * (CELL + LABEL + GAP);
            let c = color(cell.layer);
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + CELL, y0 + CELL)],
                RGBColor(245, 245, 245).filled(),
            ))
            .map_err(e)?;
            let h = (CELL as f64 * cell.used_rows as f64 / self.map.tile_rows as f64).ceil() as i32;
            let w = (CELL as f64 * cell.used_cols as f64 / self.map.tile_cols as f64).ceil() as i32;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + w.max(3), y0 + h.max(3))],
                lighten(c, 0.15).filled(),
            ))
            .map_err(e)?;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + CELL, y0 + CELL)],
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(e)?;
            let style = (FONT, 13).into_font().into_text_style(root).pos(centre);
            let fill = 100.0 * (cell.used_rows * cell.used_cols) as f64
                / (self.map.tile_rows * self.map.tile_cols) as f64;
            let below = y0 + CELL + 4;
            root.draw(&Text::new(
                cell.label.clone(),
                (x0 + CELL / 2, below),
                style.clone(),
            ))
            .map_err(e)?;
            root.draw(&Text::new(
                format!("{}x{}, {fill:.1} %", cell.used_rows, cell.used_cols),
                (x0 + CELL / 2, below + 17),
                style,
            ))
            .map_err(e)?;
        }
        Ok(())
    }
}

/// Writes `tile_map.png` and `tile_map.svg` into `out_dir`; `title` names the network.
pub fn plot_tile_map(map: &ModelMap, title: &str, out_dir: &Path) -> Result<[PathBuf; 2]> {
    let cells = tile_cells(map);
    let n = cells.len().max(1);
    let per_row = n.min(8);
    let rows = n.div_ceil(per_row) as i32;
    let width = (GAP + per_row as i32 * (CELL + GAP)).max(700);
    let height = TOP + rows * (CELL + LABEL + GAP);
    write_png_and_svg(
        &out_dir.join("tile_map"),
        (width as u32, height as u32),
        &TileMapFigure {
            map,
            title,
            cells,
            per_row,
        },
    )
}
