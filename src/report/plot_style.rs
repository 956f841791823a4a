//! Shared plot style: the embedded DejaVu font (no system fonts needed), the colour cycle, and
//! writing one figure as both PNG and SVG.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// The font family every plot uses.
pub const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans as [`FONT`] (once per process).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TrueType file; a failure here is a build defect.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The colour cycle (Tableau 10).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The `i`-th colour of the cycle.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub fn lighten(c: RGBColor, amount: f64) -> RGBColor {
    let mix = |v: u8| (v as f64 + (255.0 - v as f64) * amount).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Draws the series labels of `chart` in the lower left, on a translucent white box.
pub fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    font_size: u32,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, font_size))
        .draw()
        .map_err(|e| e.to_string())
}

/// Draws the FP level as a dashed black line across `x` at height `y`, labelled `FP`.
pub fn fp_line<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    (x0, x1): (f64, f64),
    y: f64,
) -> Result<(), String> {
    chart
        .draw_series(DashedLineSeries::new(
            [(x0, y), (x1, y)],
            8,
            6,
            BLACK.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?
        .label("FP")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    Ok(())
}

/// Writes text files atomically; returns their paths.
pub fn write_text_files(files: Vec<(PathBuf, String)>) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in files {
        crate::fsutil::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Draws onto `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `figure` at `size` into `<stem>.png` and `<stem>.svg` (each written to a temporary
/// file, then renamed) and returns both paths.
pub fn write_png_and_svg(
    stem: &Path,
    size: (u32, u32),
    figure: &impl Figure,
) -> Result<[PathBuf; 2]> {
    register_fonts();
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let dir = png.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let plot_err = |path: &Path, message: String| Error::Plot {
        path: path.to_path_buf(),
        message,
    };
    // PNG: plotters writes the file itself; draw to a temporary name, then rename.
    let tmp_png = dir.join(format!(
        ".{}.tmp-{}.png",
        png.file_stem().and_then(|s| s.to_str()).unwrap_or("plot"),
        std::process::id()
    ));
    {
        let root = BitMapBackend::new(&tmp_png, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| plot_err(&png, e.to_string()))?;
        figure.draw(&root).map_err(|m| plot_err(&png, m))?;
        root.present().map_err(|e| plot_err(&png, e.to_string()))?;
    }
    std::fs::rename(&tmp_png, &png).map_err(|e| Error::io(&png, e))?;
    let mut svg_text = String::new();
    {
        let root = SVGBackend::with_string(&mut svg_text, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| plot_err(&svg, e.to_string()))?;
        figure.draw(&root).map_err(|m| plot_err(&svg, m))?;
        root.present().map_err(|e| plot_err(&svg, e.to_string()))?;
    }
    crate::fsutil::write_atomic(&svg, svg_text.as_bytes())?;
    Ok([png, svg])
}
