//! `aimc cost`'s tables and plot: per analog layer its tiles, MVMs, energy by part (DAC, array,
//! ADC, digital) and latency, then the totals; the energy breakdown per layer as stacked bars
//! (PNG + SVG). Quantities print with their units (`cost/quantity.rs`), CSV in SI base units.

use super::format::TextTable;
use super::plot_style::{FONT, Figure, color, write_png_and_svg};
use crate::cost::{Dimension, NetworkCost};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

fn energy(v: f64) -> String {
    Dimension::Energy.format(v, 4)
}

fn time(v: f64) -> String {
    Dimension::Time.format(v, 4)
}

/// Per layer, then a `total` row: name, kind, tiles, MVMs, energy of each part and in all,
/// latency; `units`: quantities with their units (text), else plain SI numbers (CSV).
pub fn cost_table(c: &NetworkCost, units: bool) -> TextTable {
    let mut t = TextTable::new(&[
        "layer",
        "kind",
        "tiles",
        "mvms",
        if units { "dac" } else { "dac_j" },
        if units { "array" } else { "array_j" },
        if units { "adc" } else { "adc_j" },
        if units { "digital" } else { "digital_j" },
        if units { "energy" } else { "energy_j" },
        if units { "latency" } else { "latency_s" },
    ]);
    let e = |v: f64| if units { energy(v) } else { format!("{v:.6e}") };
    let s = |v: f64| if units { time(v) } else { format!("{v:.6e}") };
    let mvms = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v}")
        } else {
            format!("{v:.2}")
        }
    };
    for l in &c.layers {
        let mut row = vec![
            l.name.clone(),
            l.kind.clone(),
            l.tiles.to_string(),
            mvms(l.mvms),
        ];
        row.extend(l.energy.parts().iter().map(|(_, v)| e(*v)));
        row.push(e(l.energy.total()));
        row.push(s(l.latency));
        t.push(row);
    }
    let mut row = vec![
        "total".to_string(),
        String::new(),
        c.tiles.to_string(),
        mvms(c.layers.iter().map(|l| l.mvms).sum()),
    ];
    row.extend(c.energy.parts().iter().map(|(_, v)| e(*v)));
    row.push(e(c.energy_total));
    row.push(s(c.latency));
    t.push(row);
    t
}

/// The totals in words, one per line.
pub fn cost_summary(c: &NetworkCost) -> Vec<String> {
    let part = |v: f64| {
        format!(
            "{} ({:.1} %)",
            energy(v),
            100.0 * v / c.energy_total.max(f64::MIN_POSITIVE)
        )
    };
    vec![
        format!(
            "energy per inference {}: DAC {}, array {}, ADC {}, digital {}",
            energy(c.energy_total),
            part(c.energy.dac),
            part(c.energy.array),
            part(c.energy.adc),
            part(c.energy.digital)
        ),
        format!(
            "latency per inference {} (MVM {}); pipelined interval {}",
            time(c.latency),
            time(c.mvm_time),
            time(c.pipelined_interval)
        ),
        format!(
            "{} tiles of {}x{}, chip area {}",
            c.tiles,
            c.tile_rows,
            c.tile_cols,
            Dimension::Area.format(c.area, 4)
        ),
        format!(
            "{:.4e} operations: {:.3} TOPS/W, {:.3} TOPS/mm2",
            c.ops, c.tops_per_w, c.tops_per_mm2
        ),
    ]
}

struct CostFigure<'a> {
    cost: &'a NetworkCost,
    title: &'a str,
}

impl Figure for CostFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let layers = &self.cost.layers;
        let max = layers.iter().map(|l| l.energy.total()).fold(0.0, f64::max);
        // The unit of the axis: the printed unit of the largest bar.
        let (unit, scale) = Dimension::Energy.unit_for(max);
        let n = layers.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (FONT, 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                -0.5f64..n as f64 - 0.5,
                0f64..(max / scale * 1.08).max(1e-12),
            )
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("analog layer (in network order)")
            .y_desc(format!("energy per inference ({unit})"))
            .x_labels(n.min(20))
            .x_label_formatter(&|x| {
                // Layers are numbered from 1 at the bars' centres.
                if (x - x.round()).abs() < 1e-9 && *x >= 0.0 {
                    format!("{}", x.round() as usize + 1)
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        for (p, name) in ["DAC", "array", "ADC", "digital"].iter().enumerate() {
            let c = color(p);
            chart
                .draw_series(layers.iter().enumerate().map(|(i, l)| {
                    let parts = l.energy.parts();
                    let below: f64 = parts[..p].iter().map(|(_, v)| v).sum::<f64>() / scale;
                    let top = below + parts[p].1 / scale;
                    let x = i as f64;
                    Rectangle::new([(x - 0.4, below), (x + 0.4, top)], c.filled())
                }))
                .map_err(|e| e.to_string())?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 14))
            .draw()
            .map_err(|e| e.to_string())
    }
}

/// The energy breakdown per layer as `<stem>.png` and `<stem>.svg`.
pub fn plot_cost(cost: &NetworkCost, title: &str, stem: &Path) -> Result<[PathBuf; 2]> {
    let width = (300 + 18 * cost.layers.len() as u32).clamp(700, 1600);
    write_png_and_svg(stem, (width, 600), &CostFigure { cost, title })
}
