//! The plot of `aimc device fit`: the measured per-level values against the fitted laws:
//! programming sigma vs g, the drift exponent's mu and sigma vs g (the clipped log-linear laws,
//! or the table's lines), and the read-noise level Q_s vs g.

use super::plot_style::{FONT, Figure, color, legend, write_png_and_svg};
use crate::device::fit::DeviceFit;
use crate::device::fit::drift_fit::NuLaw;
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// A quantity: its label, the measured points and the fitted curve, (g, value) each.
type Series = (String, Vec<(f64, f64)>, Vec<(f64, f64)>);

/// A panel: measured points and fitted curves, one colour per quantity, on a log g axis.
struct Panel {
    title: &'static str,
    y_desc: &'static str,
    series: Vec<Series>,
}

impl Panel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let all = || {
            self.series
                .iter()
                .flat_map(|s| s.1.iter().chain(&s.2))
                .copied()
        };
        let x_max = all().map(|p| p.0).fold(0.0, f64::max) * 1.05;
        let x_min = all().map(|p| p.0).fold(f64::MAX, f64::min) * 0.8;
        let y_max = all().map(|p| p.1).fold(0.0, f64::max).max(1e-6) * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, (FONT, 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((x_min.max(1e-9)..x_max).log_scale(), 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("target conductance g (µS)")
            .y_desc(self.y_desc)
            .label_style((FONT, 13))
            .draw()
            .map_err(e)?;
        for (i, (label, points, curve)) in self.series.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(curve.clone(), c.stroke_width(2)))
                .map_err(e)?
                .label(format!("{label} (fit)"))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(e)?
                .label(format!("{label} (data)"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        legend(&mut chart, 12)
    }
}

struct FitFigure {
    panels: Vec<Panel>,
}

impl Figure for FitFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let areas = root.split_evenly((1, self.panels.len()));
        for (panel, area) in self.panels.iter().zip(&areas) {
            panel.draw(area)?;
        }
        Ok(())
    }
}

fn curve(lo: f64, hi: f64, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=100)
        .map(|i| {
            let g = (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / 100.0).exp();
            (g, f(g))
        })
        .collect()
}

fn panels(fit: &DeviceFit) -> Vec<Panel> {
    let prog = &fit.prog;
    let g_lo = prog
        .levels
        .first()
        .map_or(1e-3, |l| l.g_target_us.max(1e-3));
    let mut out = vec![Panel {
        title: "Programming noise",
        y_desc: "sigma_P (µS)",
        series: vec![(
            "sigma_P".into(),
            prog.levels
                .iter()
                .map(|l| (l.g_target_us, l.std_us))
                .collect(),
            curve(g_lo, prog.g_max_us, |g| prog.sigma_us(g)),
        )],
    }];
    let Some(d) = &fit.drift else {
        return out;
    };
    let (lo, hi) = (
        d.levels.first().map_or(g_lo, |l| l.g_target_us),
        d.levels.last().map_or(d.g_max_us, |l| l.g_target_us),
    );
    let x = |g: f64| (g / d.g_max_us).ln();
    let table = |pick: fn(&crate::device::fit::drift_fit::DriftLevel) -> f64| {
        d.levels
            .iter()
            .map(|l| (l.g_target_us, pick(l)))
            .collect::<Vec<_>>()
    };
    let (mu_curve, sigma_curve) = match &d.nu_law {
        NuLaw::LogLinear { mu, sigma } => (
            curve(lo, hi, |g| mu.eval(x(g))),
            curve(lo, hi, |g| sigma.eval(x(g))),
        ),
        NuLaw::Table { .. } => (table(|l| l.nu_mean), table(|l| l.nu_std)),
    };
    out.push(Panel {
        title: "Drift exponent: nu = |N(mu, sigma)|",
        y_desc: "mu_nu, sigma_nu",
        series: vec![
            ("mu_nu".into(), table(|l| l.nu_mean), mu_curve),
            ("sigma_nu".into(), table(|l| l.nu_std), sigma_curve),
        ],
    });
    if let Some(r) = &d.read_fit {
        out.push(Panel {
            title: "Read noise level",
            y_desc: "Q_s",
            series: vec![(
                "Q_s".into(),
                d.levels
                    .iter()
                    .filter(|l| l.q_s > 0.0)
                    .map(|l| (l.g_target_us, l.q_s))
                    .collect(),
                curve(lo, hi, |g| r.eval(x(g)).exp()),
            )],
        });
    }
    out
}

/// Writes `<stem>.png` and `<stem>.svg`; returns their paths.
pub fn plot_fit(fit: &DeviceFit, stem: &Path) -> Result<[PathBuf; 2]> {
    let panels = panels(fit);
    let width = 600 * panels.len() as u32;
    write_png_and_svg(stem, (width, 560), &FitFigure { panels })
}
