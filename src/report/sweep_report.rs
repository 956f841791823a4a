//! The report of one or more sweeps (physics.md section 6): `sweep.csv` (one row per run,
//! device and time), `sweep.json` (an array of the sweeps, repeats included), `summary.md` (the
//! paper's table: FP, the metric at each time, then A*) and the drift plot `drift.png` +
//! `drift.svg`. Every file is written atomically.

use super::drift_plot::plot_drift;
use super::format::TextTable;
use super::plot_style::write_text_files;
use crate::error::{Error, Result};
use crate::experiment::Metric;
use crate::sweep::SweepResult;
use std::path::{Path, PathBuf};

/// One row per (run, device, time).
pub fn points_table(results: &[SweepResult]) -> TextTable {
    let mut t = TextTable::new(&[
        "run",
        "device",
        "time",
        "time_s",
        "n",
        "mean",
        "std",
        "ci_low",
        "ci_high",
        "fp",
        "a_star",
        "iso_accurate",
    ]);
    for r in results {
        for p in &r.points {
            t.push(vec![
                r.run.clone(),
                p.device.clone(),
                p.time_label.clone(),
                p.time_s.to_string(),
                p.n.to_string(),
                format!("{:.6}", p.mean),
                format!("{:.6}", p.std),
                format!("{:.6}", p.ci_low),
                format!("{:.6}", p.ci_high),
                format!("{:.6}", r.fp),
                format!("{:.6}", p.a_star),
                p.iso_accurate.to_string(),
            ]);
        }
    }
    t
}

/// The time labels of all sweeps, ordered by time.
fn time_columns(results: &[SweepResult]) -> Vec<(String, f64)> {
    let mut cols: Vec<(String, f64)> = Vec::new();
    for p in results.iter().flat_map(|r| &r.points) {
        if !cols.iter().any(|(_, s)| *s == p.time_s) {
            cols.push((p.time_label.clone(), p.time_s));
        }
    }
    cols.sort_by(|a, b| a.1.total_cmp(&b.1));
    cols
}

/// The paper's table: per run and device, FP, the metric at each time (mean ± std; accuracy in
/// %), then A* at each time (marked `(iso)` when iso-accurate).
pub fn comparison_table(results: &[SweepResult]) -> TextTable {
    let cols = time_columns(results);
    let mut header = vec!["run".to_string(), "device".into(), "FP".into()];
    header.extend(cols.iter().map(|(l, _)| l.clone()));
    header.extend(cols.iter().map(|(l, _)| format!("A* {l}")));
    let mut t = TextTable {
        header,
        rows: Vec::new(),
    };
    for r in results {
        let mut devices: Vec<&str> = Vec::new();
        for p in &r.points {
            if !devices.contains(&p.device.as_str()) {
                devices.push(&p.device);
            }
        }
        for d in devices {
            let at = |t: f64| r.points.iter().find(|p| p.device == d && p.time_s == t);
            let m = r.metric;
            let fp = match m {
                Metric::Accuracy => format!("{:.2}", m.shown(r.fp)),
                Metric::Perplexity => format!("{:.1}", r.fp),
            };
            let mut row = vec![r.run.clone(), d.to_string(), fp];
            row.extend(cols.iter().map(|(_, t)| match at(*t) {
                Some(p) => m.mean_std(p.mean, p.std),
                None => "-".into(),
            }));
            row.extend(cols.iter().map(|(_, t)| match at(*t) {
                Some(p) => format!(
                    "{:.1} %{}",
                    100.0 * p.a_star,
                    if p.iso_accurate { " (iso)" } else { "" }
                ),
                None => "-".into(),
            }));
            t.push(row);
        }
    }
    t
}

/// The sentence that explains the table's numbers (of an accuracy sweep).
pub const TABLE_LEGEND: &str = "Test accuracy (%) after programming onto analog tiles: mean ± \
    standard deviation over the repeats (each repeat programs the network anew; 95 % confidence \
    intervals in `sweep.csv`). A* = 1 - (e - e_FP) / (e_chance - e_FP) of the mean (physics.md \
    Eq. 3), e the test error; iso-accurate when A* > 99 %.";

/// The sentence that explains the table's numbers of a perplexity sweep.
pub const PERPLEXITY_LEGEND: &str = "Test perplexity (lower is better) after programming onto \
    analog tiles: mean ± standard deviation over the repeats (each repeat programs the network \
    anew; 95 % confidence intervals in `sweep.csv`). A* = 1 - (p - p_FP) / (p_chance - p_FP) of \
    the mean (physics.md Eq. 3 with the perplexity p in place of the test error), the chance \
    level p_chance being the vocabulary size (the perplexity of uniform predictions); \
    iso-accurate when A* > 99 %.";

/// The legend of the table of `results` (by the first sweep's metric).
pub fn table_legend(results: &[SweepResult]) -> &'static str {
    match results.first().map(|r| r.metric) {
        Some(Metric::Perplexity) => PERPLEXITY_LEGEND,
        _ => TABLE_LEGEND,
    }
}

/// The Markdown summary: how each sweep was run, the comparison table and the drift plot.
pub fn summary_markdown(results: &[SweepResult]) -> String {
    let metric = results.first().map(|r| r.metric).unwrap_or_default();
    let mut s = format!("# {} after programming\n\n", metric.title());
    s.push_str(table_legend(results));
    s.push_str("\n\n");
    s.push_str(&sweep_settings_markdown(results));
    s.push('\n');
    s.push_str(&comparison_table(results).to_markdown(2));
    s.push_str(&format!(
        "\n![{} over time after programming](drift.png)\n",
        metric.name()
    ));
    s
}

/// One bullet per sweep: checkpoint, repeats, seed, tile, compensation, FP and chance.
pub fn sweep_settings_markdown(results: &[SweepResult]) -> String {
    let mut s = String::new();
    for r in results {
        // The name an experiment file uses (`global`, `per_column`, `none`).
        let compensation = serde_json::to_value(r.tile.periphery.drift_compensation.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        s.push_str(&format!(
            "- `{}`: checkpoint `{}`, {} repeats, seed {}, tile {}x{}, drift compensation {}, \
             FP {}, chance {}\n",
            r.run,
            r.checkpoint,
            r.reps,
            r.seed,
            r.tile.rows,
            r.tile.cols,
            compensation,
            r.metric.value(r.fp),
            r.metric.value(r.chance)
        ));
    }
    s
}

/// Writes the report of `results` into `out`; returns the paths written.
pub fn write_report(results: &[SweepResult], out: &Path) -> Result<Vec<PathBuf>> {
    write_report_with_summary(results, out, summary_markdown(results))
}

/// [`write_report`] with another `summary.md` text.
pub fn write_report_with_summary(
    results: &[SweepResult],
    out: &Path,
    summary: String,
) -> Result<Vec<PathBuf>> {
    let json = serde_json::to_string_pretty(results)
        .map_err(|e| Error::Tensor(format!("serialising the sweep: {e}")))?;
    let files = [
        (out.join("sweep.csv"), points_table(results).to_csv()),
        (out.join("sweep.json"), json + "\n"),
        (out.join("summary.md"), summary),
    ];
    let mut written = write_text_files(files.into())?;
    written.extend(plot_drift(results, out)?);
    Ok(written)
}

/// Reads the sweeps of a report directory (its `sweep.json`) or of a `sweep.json` file.
pub fn read_sweeps(path: &Path) -> Result<Vec<SweepResult>> {
    let file = if path.is_dir() {
        path.join("sweep.json")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(Error::data(
            file.display(),
            "no sweep: expected a report directory written by `aimc sweep` (with sweep.json)              or a sweep.json file",
        ));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::data(
            file.display(),
            format!(
                "not a sweep written by `aimc sweep` (line {}: {e})",
                e.line()
            ),
        )
    })
}
