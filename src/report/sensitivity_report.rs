//! The report of a sensitivity study: `sensitivity.csv`, `sensitivity.json`, `summary.md` and
//! `sensitivity.png` + `.svg` (the metric against the knob's value, mean with its 95 %
//! confidence band, the FP level dashed). Every file is written atomically.

use super::format::TextTable;
use super::plot_style::{
    FONT, Figure, color, fp_line, legend, lighten, write_png_and_svg, write_text_files,
};
use super::tradeoff_plot::plot_tradeoff;
use crate::cost::Dimension;
use crate::error::{Error, Result};
use crate::sweep::sensitivity::SensitivityResult;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One row per value.
pub fn sensitivity_table(r: &SensitivityResult) -> TextTable {
    let mut header = vec![
        "knob", "value", "tiles", "time", "n", "mean", "std", "ci_low", "ci_high", "fp", "a_star",
    ];
    if r.hardware.is_some() {
        header.push("energy_j");
    }
    let mut t = TextTable::new(&header);
    for row in &r.rows {
        let p = &row.point;
        let mut cells = vec![
            r.knob.name().into(),
            row.value.to_string(),
            row.tiles.to_string(),
            r.time_label.clone(),
            p.n.to_string(),
            format!("{:.6}", p.mean),
            format!("{:.6}", p.std),
            format!("{:.6}", p.ci_low),
            format!("{:.6}", p.ci_high),
            format!("{:.6}", r.fp),
            format!("{:.6}", p.a_star),
        ];
        if r.hardware.is_some() {
            cells.push(row.energy_j.map_or(String::new(), |e| format!("{e:.6e}")));
        }
        t.push(cells);
    }
    t
}

fn markdown(r: &SensitivityResult) -> String {
    let m = r.metric;
    let label = m.label();
    let mut s = format!(
        "# Sensitivity to {}\n\n{}{} of `{}` ({}) at {} after programming with \
         device `{}`: mean ± std over {} repeats (seed {}); FP {}, chance {}.{}\n\n\
         | {} | tiles |{} {} | A* |\n|---:|---:|{}---:|---:|\n",
        r.knob.name(),
        label[..1].to_uppercase(),
        &label[1..],
        r.run,
        r.checkpoint,
        r.time_label,
        r.device,
        r.reps,
        r.seed,
        m.value(r.fp),
        m.value(r.chance),
        match &r.hardware {
            Some(h) => format!(
                " Energy per inference on hardware `{h}` (`aimc cost` on the tile of each value, \
                 at the file's stated mean weight and input)."
            ),
            None => String::new(),
        },
        r.knob.name(),
        if r.hardware.is_some() {
            " energy |"
        } else {
            ""
        },
        m.name(),
        if r.hardware.is_some() { "---:|" } else { "" },
    );
    for row in &r.rows {
        let p = &row.point;
        let energy = match (&r.hardware, row.energy_j) {
            (Some(_), Some(e)) => format!(" {} |", Dimension::Energy.format(e, 4)),
            _ => String::new(),
        };
        s.push_str(&format!(
            "| {} | {} |{energy} {} | {:.1} % |\n",
            row.value,
            row.tiles,
            m.mean_std(p.mean, p.std),
            100.0 * p.a_star
        ));
    }
    s.push_str(&format!(
        "\n![{} against the knob](sensitivity.png)\n",
        m.name()
    ));
    if r.hardware.is_some() {
        s.push_str(&format!(
            "\n![{} against the energy per inference](tradeoff.png)\n",
            m.name()
        ));
    }
    s
}

struct SensitivityFigure<'a>(&'a SensitivityResult);

impl Figure for SensitivityFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let r = self.0;
        let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
        let xs = r.rows.iter().map(|row| row.value);
        let (x0, x1) = (
            xs.clone().fold(f64::MAX, f64::min),
            xs.fold(f64::MIN, f64::max),
        );
        let pad = ((x1 - x0) * 0.05).max(1e-9);
        let m = r.metric;
        let y = |v: f64| m.shown(v);
        let lo = r.rows.iter().map(|x| x.point.ci_low).fold(r.fp, f64::min);
        let hi = r.rows.iter().map(|x| x.point.ci_high).fold(r.fp, f64::max);
        let (y0, y1) = m.axis_range(lo, hi);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{} at {} against {}",
                    m.title(),
                    r.time_label,
                    r.knob.name()
                ),
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(r.knob.name())
            .y_desc(m.label())
            .label_style((FONT, 14))
            .draw()
            .map_err(e)?;
        let c = color(0);
        fp_line(&mut chart, (x0 - pad, x1 + pad), y(r.fp))?;
        let band: Vec<(f64, f64)> = r
            .rows
            .iter()
            .map(|row| (row.value, y(row.point.ci_high)))
            .chain(
                r.rows
                    .iter()
                    .rev()
                    .map(|row| (row.value, y(row.point.ci_low))),
            )
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                lighten(c, 0.7).filled(),
            )))
            .map_err(e)?;
        let mean: Vec<(f64, f64)> = r
            .rows
            .iter()
            .map(|row| (row.value, y(row.point.mean)))
            .collect();
        chart
            .draw_series(LineSeries::new(mean.clone(), c.stroke_width(2)))
            .map_err(e)?
            .label(format!("{} {}", r.run, r.device))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(mean.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(e)?;
        legend(&mut chart, 13)
    }
}

/// Writes the report of `r` into `out`; returns the paths written.
pub fn write_sensitivity_report(r: &SensitivityResult, out: &Path) -> Result<Vec<PathBuf>> {
    let json = serde_json::to_string_pretty(r)
        .map_err(|e| Error::Tensor(format!("serialising the study: {e}")))?;
    let files = [
        (out.join("sensitivity.csv"), sensitivity_table(r).to_csv()),
        (out.join("sensitivity.json"), json + "\n"),
        (out.join("summary.md"), markdown(r)),
    ];
    let mut written = write_text_files(files.into())?;
    written.extend(write_png_and_svg(
        &out.join("sensitivity"),
        (1000, 640),
        &SensitivityFigure(r),
    )?);
    if r.hardware.is_some() && r.rows.iter().all(|row| row.energy_j.is_some()) {
        written.extend(plot_tradeoff(r, &out.join("tradeoff"))?);
    }
    Ok(written)
}
