//! The trade-off plot of a sensitivity study with a hardware file (`tradeoff.png` + `.svg`):
//! the metric against the energy per inference, one point per knob value (mean ± std over the
//! repeats, labelled with the value), joined in the order of the values, the FP level dashed.

use super::plot_style::{FONT, Figure, color, fp_line, lighten, write_png_and_svg};
use crate::cost::Dimension;
use crate::error::Result;
use crate::sweep::sensitivity::SensitivityResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
struct TradeoffFigure<'a>(&'a SensitivityResult);

impl Figure for TradeoffFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let r = self.0;
        let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
        let energies: Vec<f64> = r
            .rows
            .iter()
            .map(|row| row.energy_j.unwrap_or(0.0))
            .collect();
        let hi_e = energies.iter().copied().fold(0.0, f64::max);
        // The axis unit: the printed unit of the largest energy.
        let (unit, scale) = Dimension::Energy.unit_for(hi_e);
        let xs: Vec<f64> = energies.iter().map(|v| v / scale).collect();
        let (x0, x1) = (
            xs.iter().copied().fold(f64::MAX, f64::min),
            xs.iter().copied().fold(f64::MIN, f64::max),
        );
        let pad = ((x1 - x0) * 0.08).max(x1.abs() * 0.05).max(1e-12);
        let m = r.metric;
        let y = |v: f64| m.shown(v);
        let lo = r
            .rows
            .iter()
            .map(|x| x.point.mean - x.point.std)
            .fold(r.fp, f64::min);
        let hi = r
            .rows
            .iter()
            .map(|x| x.point.mean + x.point.std)
            .fold(r.fp, f64::max);
        let (y0, y1) = m.axis_range(lo, hi);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{} at {} against energy per inference ({}, knob {})",
                    m.title(),
                    r.time_label,
                    r.hardware.as_deref().unwrap_or(""),
                    r.knob.name()
                ),
                (FONT, 20),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(format!("energy per inference ({unit})"))
            .y_desc(m.label())
            .label_style((FONT, 14))
            .draw()
            .map_err(e)?;
        fp_line(&mut chart, (x0 - pad, x1 + pad), y(r.fp))?;
        let c = color(0);
        let points: Vec<(f64, f64)> = r
            .rows
            .iter()
            .zip(&xs)
            .map(|(row, &x)| (x, y(row.point.mean)))
            .collect();
        chart
            .draw_series(r.rows.iter().zip(&xs).map(|(row, &x)| {
                PathElement::new(
                    [
                        (x, y(row.point.mean - row.point.std)),
                        (x, y(row.point.mean + row.point.std)),
                    ],
                    lighten(c, 0.3).stroke_width(2),
                )
            }))
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(e)?
            .label(format!("{} {} ({})", r.run, r.device, r.knob.name()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(r.rows.iter().zip(points).map(|(row, p)| {
                EmptyElement::at(p)
                    + Circle::new((0, 0), 4, c.filled())
                    + Text::new(format!("{}", row.value), (6, -16), (FONT, 14))
            }))
            .map_err(e)?;
        // Lower right: the cheap, inaccurate values sit lower left.
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 13))
            .draw()
            .map_err(|x| x.to_string())
    }
}

/// Draws the trade-off of `r` (every row with its energy) as `<stem>.png` and `<stem>.svg`.
pub fn plot_tradeoff(r: &SensitivityResult, stem: &Path) -> Result<[PathBuf; 2]> {
    write_png_and_svg(stem, (1000, 640), &TradeoffFigure(r))
}
