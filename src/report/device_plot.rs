//! `aimc device plot`: programming sigma vs g, drift exponent mean +- std vs g, and mean
//! conductance vs time after programming (log axis, 1 s to 10 years) for a few targets; several
//! devices overlay in one figure. Curves are the exact moments of `device::moments`.

use super::plot_style::{FONT, Figure, color, legend, lighten, write_png_and_svg};
use crate::device::StatisticalDevice;
use crate::device::moments::device_moments;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Targets of the time panel, as fractions of each device's g_max.
pub const TIME_PANEL_TARGETS: [f64; 3] = [1.0, 0.5, 0.2];
/// Time range of the time panel: 1 s to 10 years.
pub const TIME_RANGE_S: (f64, f64) = (1.0, 10.0 * 365.0 * 86400.0);

/// The figure: one entry per device (name, model).
pub struct DeviceFigure {
    pub devices: Vec<(String, StatisticalDevice)>,
}

fn linspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| a + (b - a) * i as f64 / (n - 1) as f64)
}

fn logspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    linspace(a.ln(), b.ln(), n).map(f64::exp)
}

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

impl DeviceFigure {
    fn g_axis_max(&self) -> f64 {
        self.devices
            .iter()
            .map(|(_, d)| d.g_max_us)
            .fold(0.0, f64::max)
    }

    fn sigma_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let curves: Vec<Vec<(f64, f64)>> = self
            .devices
            .iter()
            .map(|(_, d)| {
                linspace(0.0, d.g_max_us, 101)
                    .map(|g| (g, d.target_laws(g).sigma_prog_us))
                    .collect()
            })
            .collect();
        let y_max = curves
            .iter()
            .flatten()
            .map(|p| p.1)
            .fold(0.0, f64::max)
            .max(0.1)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption("Programming noise", (FONT, 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..self.g_axis_max(), 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("target conductance g (µS)")
            .y_desc("sigma_P (µS)")
            .label_style((FONT, 13))
            .draw()
            .map_err(e)?;
        for (i, ((name, _), pts)) in self.devices.iter().zip(curves).enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(e)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, 12)
    }

    fn nu_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let curves: Vec<Vec<(f64, f64, f64)>> = self
            .devices
            .iter()
            .map(|(_, d)| {
                logspace(d.g_max_us * 1e-3, d.g_max_us, 121)
                    .map(|g| {
                        let m = device_moments(d, g, 0.0);
                        (g, m.nu_mean, m.nu_std)
                    })
                    .collect()
            })
            .collect();
        let y_max = curves
            .iter()
            .flatten()
            .map(|p| p.1 + p.2)
            .fold(0.0, f64::max)
            .max(0.01)
            * 1.15;
        let x_min = self.g_axis_max() * 1e-3;
        let mut chart = ChartBuilder::on(area)
            .caption("Drift exponent (mean ± std)", (FONT, 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d((x_min..self.g_axis_max()).log_scale(), 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("target conductance g (µS)")
            .y_desc("drift exponent nu")
            .label_style((FONT, 13))
            .draw()
            .map_err(e)?;
        for (i, ((name, _), pts)) in self.devices.iter().zip(curves).enumerate() {
            let c = color(i);
            let band = lighten(c, 0.5);
            for sign in [-1.0, 1.0] {
                chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|&(g, m, s)| (g, (m + sign * s).max(0.0))),
                        band.stroke_width(1),
                    ))
                    .map_err(e)?;
            }
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|&(g, m, _)| (g, m)),
                    c.stroke_width(2),
                ))
                .map_err(e)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, 12)
    }

    fn time_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (t0, t1) = TIME_RANGE_S;
        let mut series = Vec::new();
        for (i, (name, d)) in self.devices.iter().enumerate() {
            for (k, frac) in TIME_PANEL_TARGETS.iter().enumerate() {
                let g = d.g_min_us + frac * (d.g_max_us - d.g_min_us);
                // A device measured only up to some time is drawn only up to it.
                let end = d.relaxation.max_time_s().unwrap_or(f64::INFINITY);
                let pts: Vec<(f64, f64)> = logspace(t0, t1, 80)
                    .filter(|&t| t <= end * (1.0 + 1e-9))
                    .map(|t| (t, device_moments(d, g, t).g_mean_us))
                    .collect();
                let c = lighten(color(i), 0.3 * k as f64);
                series.push((format!("{name}, g_T = {g:.3} µS"), c, pts));
            }
        }
        let y_max = series
            .iter()
            .flat_map(|s| s.2.iter().map(|p| p.1))
            .fold(0.0, f64::max)
            .max(0.1)
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption("Mean conductance after programming", (FONT, 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d((t0..t1).log_scale(), 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("time after programming (s)")
            .y_desc("mean g (µS)")
            .x_label_formatter(&|t| format!("{t:.0e}"))
            .label_style((FONT, 13))
            .draw()
            .map_err(e)?;
        for (label, c, pts) in series {
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        legend(&mut chart, 12)
    }
}

impl Figure for DeviceFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let panels = root.split_evenly((1, 3));
        self.sigma_panel(&panels[0])?;
        self.nu_panel(&panels[1])?;
        self.time_panel(&panels[2])
    }
}

/// Writes `devices.png` and `devices.svg` into `out_dir`; returns their paths.
pub fn plot_devices(
    devices: Vec<(String, StatisticalDevice)>,
    out_dir: &Path,
) -> Result<[PathBuf; 2]> {
    write_png_and_svg(
        &out_dir.join("devices"),
        (1800, 560),
        &DeviceFigure { devices },
    )
}
