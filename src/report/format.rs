//! Output formats for command results: an aligned text table, CSV, JSON.

use serde::Serialize;

/// `--format` of the commands that print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for reading.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// JSON for scripts.
    Json,
}

/// A table of strings with a header, printable aligned or as CSV.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len());
        self.rows.push(row);
    }

    /// Aligned text: numbers right-aligned, text left-aligned.
    pub fn to_text(&self) -> String {
        let ncol = self.header.len();
        let mut width = vec![0; ncol];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |row: &[String]| {
            let cells: Vec<String> = row
                .iter()
                .zip(&width)
                .map(|(c, &w)| {
                    if c.parse::<f64>().is_ok() {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    /// A Markdown table: the first `text_columns` columns left-aligned, the others right-aligned.
    pub fn to_markdown(&self, text_columns: usize) -> String {
        let cell = |c: &String| c.replace('|', "\\|");
        let line = |row: &[String]| {
            let cells: Vec<String> = row.iter().map(cell).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut out = line(&self.header);
        let rule: Vec<&str> = (0..self.header.len())
            .map(|i| if i < text_columns { "---" } else { "---:" })
            .collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }

    /// CSV with a header line; cells with commas, quotes or newlines are quoted.
    pub fn to_csv(&self) -> String {
        let esc = |c: &String| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        };
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(esc).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// Pretty JSON of any serialisable value, with a trailing newline.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("plain data serialises to JSON");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_aligns_and_csv_quotes() {
        let mut t = TextTable::new(&["name", "value"]);
        t.push(vec!["a".into(), "1.5".into()]);
        t.push(vec!["b,c".into(), "10".into()]);
        let text = t.to_text();
        assert!(text.contains("a       1.5"), "{text}");
        assert_eq!(t.to_csv(), "name,value\na,1.5\n\"b,c\",10\n");
        assert_eq!(
            t.to_markdown(1),
            "| name | value |\n|---|---:|\n| a | 1.5 |\n| b,c | 10 |\n"
        );
    }
}
