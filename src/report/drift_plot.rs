//! The drift plot: the metric against time after programming on a log axis, the mean of the
//! repeats with a band of ± one standard deviation (the 95 % intervals are in the CSV: with few
//! repeats they are too wide to read a plot by), one line per run and device, and each run's FP level
//! as a dashed reference line (one line when all runs share it).

use super::plot_style::{FONT, Figure, color, legend, lighten, write_png_and_svg};
use crate::error::Result;
use crate::sweep::SweepResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

struct DriftFigure<'a> {
    results: &'a [SweepResult],
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

impl Figure for DriftFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let points = || self.results.iter().flat_map(|r| &r.points);
        let t_min = points()
            .map(|p| p.time_s)
            .filter(|t| *t > 0.0)
            .fold(f64::MAX, f64::min);
        let t_max = points().map(|p| p.time_s).fold(0.0, f64::max);
        let (t0, t1) = if t_min <= t_max {
            (t_min / 2.0, t_max * 2.0)
        } else {
            (0.5, 2.0)
        };
        let metric = self.results.first().map(|r| r.metric).unwrap_or_default();
        let y = |v: f64| metric.shown(v);
        let lo = points()
            .map(|p| p.mean - p.std)
            .chain(self.results.iter().map(|r| r.fp))
            .fold(f64::MAX, f64::min);
        let hi = points()
            .map(|p| p.mean + p.std)
            .chain(self.results.iter().map(|r| r.fp))
            .fold(f64::MIN, f64::max);
        let (y0, y1) = if lo <= hi {
            metric.axis_range(lo, hi)
        } else {
            (0.0, 100.0)
        };
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{} after programming (mean ± std over the repeats)",
                    metric.title()
                ),
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d((t0..t1).log_scale(), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("time after programming (s)")
            .y_desc(metric.label())
            .x_label_formatter(&|t| format!("{t:.0e}"))
            .label_style((FONT, 14))
            .draw()
            .map_err(e)?;
        // One FP line when every run shares the FP model (direct mapping vs HWA of one run),
        // else one per run in the colour of its first curve.
        let shared_fp = self.results.windows(2).all(|w| w[0].fp == w[1].fp);
        let mut fp_lines = Vec::new();
        let mut first_curve = 0;
        for r in self.results {
            if !shared_fp {
                fp_lines.push((r.fp, color(first_curve), format!("{} FP", r.run)));
            }
            first_curve += devices_of(r).len();
        }
        if shared_fp && let Some(r) = self.results.first() {
            fp_lines.push((r.fp, RGBColor(60, 60, 60), "FP (digital)".into()));
        }
        for (fp, c, label) in fp_lines {
            chart
                .draw_series(DashedLineSeries::new(
                    [(t0, y(fp)), (t1, y(fp))],
                    8,
                    6,
                    c.stroke_width(1),
                ))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(1)));
        }
        // Every band first, then every line over them (a later band would hide an earlier line).
        let mut series = Vec::new();
        for r in self.results {
            for d in devices_of(r) {
                let c = color(series.len());
                let mut pts: Vec<_> = r
                    .points
                    .iter()
                    .filter(|p| p.device == d && p.time_s > 0.0)
                    .collect();
                pts.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
                let band: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|p| (p.time_s, y(p.mean + p.std)))
                    .chain(pts.iter().rev().map(|p| (p.time_s, y(p.mean - p.std))))
                    .collect();
                let mean: Vec<(f64, f64)> = pts.iter().map(|p| (p.time_s, y(p.mean))).collect();
                series.push((format!("{} {d}", r.run), c, band, mean));
            }
        }
        for (_, c, band, _) in &series {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band.clone(),
                    lighten(*c, 0.7).filled(),
                )))
                .map_err(e)?;
        }
        for (label, c, _, mean) in series {
            chart
                .draw_series(LineSeries::new(mean.clone(), c.stroke_width(2)))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            chart
                .draw_series(mean.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                .map_err(e)?;
        }
        legend(&mut chart, 13)
    }
}

/// The devices of a sweep, in the order of its points.
fn devices_of(r: &SweepResult) -> Vec<&str> {
    let mut devices: Vec<&str> = Vec::new();
    for p in &r.points {
        if !devices.contains(&p.device.as_str()) {
            devices.push(&p.device);
        }
    }
    devices
}

/// Writes `drift.png` and `drift.svg` into `out_dir`.
pub fn plot_drift(results: &[SweepResult], out_dir: &Path) -> Result<[PathBuf; 2]> {
    write_png_and_svg(
        &out_dir.join("drift"),
        (1000, 640),
        &DriftFigure { results },
    )
}
