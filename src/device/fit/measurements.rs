//! Measured device data as CSV files with a header (columns in any order, extra columns
//! ignored): programming data `g_target_us,g_measured_us` (one row per device) and drift data
//! `device_id,g_target_us,t_s,g_us` (one row per read; the reads of one device share its id).
//! Errors name the file, the line and the column.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The devices programmed to one target conductance.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammingLevel {
    pub g_target_us: f64,
    /// The conductance measured right after programming, one per device.
    pub g_measured_us: Vec<f64>,
}

/// The reads of one device over time.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftTrace {
    pub device_id: String,
    pub g_target_us: f64,
    /// (t_s, g_us), in file order.
    pub reads: Vec<(f64, f64)>,
}

/// A CSV file split into numbered rows of named columns.
struct Table<'a> {
    file: String,
    columns: Vec<&'a str>,
    /// (line number, cells).
    rows: Vec<(usize, Vec<&'a str>)>,
}

impl<'a> Table<'a> {
    fn parse(path: &Path, text: &'a str, required: &[&str]) -> Result<Self> {
        let file = path.display().to_string();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(Error::data(
                &file,
                format!("empty: expected the header `{}`", required.join(",")),
            ));
        };
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        if let Some(missing) = required.iter().find(|c| !columns.contains(c)) {
            return Err(Error::data(
                format!("{file}:1"),
                format!(
                    "column `{missing}` missing: expected a header with {} (found `{}`)",
                    required.join(","),
                    header.trim()
                ),
            ));
        }
        let rows = lines
            .map(|(i, l)| (i + 1, l.split(',').map(str::trim).collect::<Vec<_>>()))
            .collect();
        Ok(Self {
            file,
            columns,
            rows,
        })
    }

    /// The cell of `column` in `row`, as text.
    fn cell(&self, (line, cells): &(usize, Vec<&'a str>), column: &str) -> Result<&'a str> {
        let k = self
            .columns
            .iter()
            .position(|c| *c == column)
            .expect("required columns checked");
        cells.get(k).copied().ok_or_else(|| {
            Error::data(
                format!("{}:{line}", self.file),
                format!(
                    "column {} ({column}) missing: {} cells for {} columns",
                    k + 1,
                    cells.len(),
                    self.columns.len()
                ),
            )
        })
    }

    /// The cell of `column` in `row` as a finite number.
    fn number(&self, row: &(usize, Vec<&'a str>), column: &str) -> Result<f64> {
        let text = self.cell(row, column)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(Error::data(
                format!("{}:{}", self.file, row.0),
                format!(
                    "column {} ({column}): expected a number, found `{text}`",
                    self.column_number(column)
                ),
            )),
        }
    }

    fn column_number(&self, column: &str) -> usize {
        self.columns.iter().position(|c| *c == column).unwrap_or(0) + 1
    }

    fn error(&self, line: usize, column: &str, message: String) -> Error {
        Error::data(
            format!("{}:{line}", self.file),
            format!(
                "column {} ({column}): {message}",
                self.column_number(column)
            ),
        )
    }
}

/// Reads programming data, grouped by target level (ascending). Every level needs at least two
/// devices (a standard deviation); conductances must be >= 0.
pub fn read_programming(path: &Path) -> Result<Vec<ProgrammingLevel>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let table = Table::parse(path, &text, &["g_target_us", "g_measured_us"])?;
    // Keyed by the bits of the target: equal numbers in the file are one level.
    let mut levels: BTreeMap<u64, (usize, ProgrammingLevel)> = BTreeMap::new();
    for row in &table.rows {
        let target = table.number(row, "g_target_us")?;
        let measured = table.number(row, "g_measured_us")?;
        for (column, v) in [("g_target_us", target), ("g_measured_us", measured)] {
            if v < 0.0 {
                return Err(table.error(row.0, column, format!("a conductance >= 0, found {v}")));
            }
        }
        levels
            .entry(target.to_bits())
            .or_insert_with(|| {
                (
                    row.0,
                    ProgrammingLevel {
                        g_target_us: target,
                        g_measured_us: Vec::new(),
                    },
                )
            })
            .1
            .g_measured_us
            .push(measured);
    }
    if levels.is_empty() {
        return Err(Error::data(path.display(), "no data rows after the header"));
    }
    let mut out: Vec<ProgrammingLevel> = Vec::with_capacity(levels.len());
    for (first_line, level) in levels.into_values() {
        if level.g_measured_us.len() < 2 {
            return Err(table.error(
                first_line,
                "g_target_us",
                format!(
                    "the level {} µS has a single device: at least 2 are needed for a standard deviation",
                    level.g_target_us
                ),
            ));
        }
        out.push(level);
    }
    out.sort_by(|a, b| a.g_target_us.total_cmp(&b.g_target_us));
    Ok(out)
}

/// Reads drift data, one trace per device id (in order of first appearance). Times must be >= 0,
/// a device keeps one target, and each device needs at least three reads at distinct times (a
/// line and its residuals).
pub fn read_drift(path: &Path) -> Result<Vec<DriftTrace>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let table = Table::parse(path, &text, &["device_id", "g_target_us", "t_s", "g_us"])?;
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut traces: Vec<(usize, DriftTrace)> = Vec::new();
    for row in &table.rows {
        let id = table.cell(row, "device_id")?;
        let target = table.number(row, "g_target_us")?;
        let t = table.number(row, "t_s")?;
        let g = table.number(row, "g_us")?;
        if t < 0.0 {
            return Err(table.error(row.0, "t_s", format!("a time >= 0 s, found {t}")));
        }
        for (column, v) in [("g_target_us", target), ("g_us", g)] {
            if v < 0.0 {
                return Err(table.error(row.0, column, format!("a conductance >= 0, found {v}")));
            }
        }
        let k = *index.entry(id).or_insert_with(|| {
            traces.push((
                row.0,
                DriftTrace {
                    device_id: id.to_string(),
                    g_target_us: target,
                    reads: Vec::new(),
                },
            ));
            traces.len() - 1
        });
        let trace = &mut traces[k].1;
        if trace.g_target_us != target {
            return Err(table.error(
                row.0,
                "g_target_us",
                format!(
                    "device `{id}` was read with target {} µS before, {target} µS here",
                    trace.g_target_us
                ),
            ));
        }
        trace.reads.push((t, g));
    }
    if traces.is_empty() {
        return Err(Error::data(path.display(), "no data rows after the header"));
    }
    for (first_line, trace) in &traces {
        let mut times: Vec<f64> = trace.reads.iter().map(|r| r.0).collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        if times.len() < 3 {
            return Err(table.error(
                *first_line,
                "device_id",
                format!(
                    "device `{}` is read at {} distinct time(s): at least 3 are needed to fit its drift",
                    trace.device_id,
                    times.len()
                ),
            ));
        }
    }
    Ok(traces.into_iter().map(|(_, t)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn error(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn programming_rows_group_by_level() {
        let (_d, p) = write(
            "p.csv",
            "g_measured_us,g_target_us\n1.1,1\n0.9,1\n\n5.2,5\n4.7,5\n5.0,5\n",
        );
        let levels = read_programming(&p).unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0].g_target_us, 1.0);
        assert_eq!(levels[0].g_measured_us, vec![1.1, 0.9]);
        assert_eq!(levels[1].g_measured_us.len(), 3);
    }

    #[test]
    fn bad_programming_files_name_file_line_and_column() {
        let (_d, p) = write("p.csv", "g_target_us,g\n1,1\n");
        let e = error(read_programming(&p));
        assert!(
            e.contains("p.csv:1") && e.contains("`g_measured_us` missing"),
            "{e}"
        );
        let (_d, p) = write("p.csv", "g_target_us,g_measured_us\n1,1\n1,x\n");
        let e = error(read_programming(&p));
        assert!(
            e.contains("p.csv:3") && e.contains("column 2 (g_measured_us)"),
            "{e}"
        );
        assert!(e.contains("`x`"), "{e}");
        let (_d, p) = write("p.csv", "g_target_us,g_measured_us\n1,1\n1,1.2\n2,2\n");
        let e = error(read_programming(&p));
        assert!(e.contains("p.csv:4") && e.contains("single device"), "{e}");
        let (_d, p) = write("p.csv", "g_target_us,g_measured_us\n1,-1\n");
        let e = error(read_programming(&p));
        assert!(e.contains("p.csv:2") && e.contains(">= 0"), "{e}");
        let (_d, p) = write("p.csv", "g_target_us,g_measured_us\n1\n");
        let e = error(read_programming(&p));
        assert!(e.contains("p.csv:2") && e.contains("missing"), "{e}");
    }

    #[test]
    fn drift_rows_group_by_device() {
        let text = "device_id,g_target_us,t_s,g_us\na,10,20,9\nb,5,20,4.8\na,10,200,8\n\
                    a,10,2000,7\nb,5,200,4.5\nb,5,2000,4.2\n";
        let (_d, p) = write("d.csv", text);
        let traces = read_drift(&p).unwrap();
        assert_eq!(traces.len(), 2);
        assert_eq!(traces[0].device_id, "a");
        assert_eq!(
            traces[0].reads,
            vec![(20.0, 9.0), (200.0, 8.0), (2000.0, 7.0)]
        );
        assert_eq!(traces[1].g_target_us, 5.0);
    }

    #[test]
    fn bad_drift_files_name_file_line_and_column() {
        let (_d, p) = write("d.csv", "device_id,g_target_us,t_s,g_us\na,10,-1,9\n");
        let e = error(read_drift(&p));
        assert!(e.contains("d.csv:2") && e.contains("column 3 (t_s)"), "{e}");
        assert!(e.contains("a time >= 0"), "{e}");
        let (_d, p) = write("d.csv", "device_id,g_target_us,g_us\na,10,9\n");
        let e = error(read_drift(&p));
        assert!(e.contains("`t_s` missing"), "{e}");
        let (_d, p) = write(
            "d.csv",
            "device_id,g_target_us,t_s,g_us\na,10,20,9\na,10,200,8\n",
        );
        let e = error(read_drift(&p));
        assert!(
            e.contains("d.csv:2") && e.contains("2 distinct time(s)"),
            "{e}"
        );
        let (_d, p) = write(
            "d.csv",
            "device_id,g_target_us,t_s,g_us\na,10,20,9\na,12,200,8\n",
        );
        let e = error(read_drift(&p));
        assert!(e.contains("d.csv:3") && e.contains("target 10"), "{e}");
    }
}
