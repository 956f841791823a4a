//! A folder of PNG images whose file names end in `_<label>.png` (e.g. `cifar100_0_49.png`), as
//! shipped for smoke tests; all images must have the same size and colour type (grey or RGB,
//! 8-bit).

use super::image_set::ImageSet;
use crate::error::{Error, Result};
use std::path::Path;

/// Decodes one PNG into (channels, height, width, pixels in C, H, W order).
fn decode(path: &Path) -> Result<(usize, usize, usize, Vec<u8>)> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| Error::data(&name, format!("not a readable PNG: {e}")))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| Error::data(&name, format!("corrupt PNG: {e}")))?;
    if info.bit_depth != png::BitDepth::Eight {
        return Err(Error::data(&name, "expected 8-bit samples"));
    }
    let c = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => {
            return Err(Error::data(
                &name,
                format!("unsupported colour type {other:?}"),
            ));
        }
    };
    let (h, w) = (info.height as usize, info.width as usize);
    let keep = c.min(3);
    // Interleaved H, W, C -> planes C, H, W (alpha dropped).
    let mut planes = vec![0u8; keep * h * w];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..keep {
                planes[(ch * h + y) * w + x] = buf[y * info.line_size + x * c + ch];
            }
        }
    }
    Ok((keep, h, w, planes))
}

/// The label in a file name `..._<label>.png`.
fn label_of(path: &Path) -> Option<u32> {
    path.file_stem()?.to_str()?.rsplit('_').next()?.parse().ok()
}

/// Reads every `*.png` of `dir` (sorted by name); `classes` bounds the labels.
pub fn read_png_folder(dir: &Path, classes: usize) -> Result<ImageSet> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::data(dir.display(), "no .png files"));
    }
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    let mut shape = None;
    for p in &paths {
        let label = label_of(p)
            .ok_or_else(|| Error::data(p.display(), "file name does not end in _<label>.png"))?;
        let (c, h, w, px) = decode(p)?;
        match shape {
            None => shape = Some((c, h, w)),
            Some(s) if s != (c, h, w) => {
                return Err(Error::data(
                    p.display(),
                    format!(
                        "image is {c}x{h}x{w}, the first was {}x{}x{}",
                        s.0, s.1, s.2
                    ),
                ));
            }
            Some(_) => {}
        }
        pixels.extend(px);
        labels.push(label);
    }
    ImageSet::new(
        &dir.display().to_string(),
        pixels,
        labels,
        shape.expect("at least one image"),
        classes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_png(path: &Path, w: u32, h: u32, rgb: &[u8]) {
        let file = std::fs::File::create(path).unwrap();
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(rgb).unwrap();
    }

    #[test]
    fn reads_labels_from_names_and_planes() {
        let dir = tempfile::tempdir().unwrap();
        // 2x1 RGB: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6).
        write_png(&dir.path().join("set_0_7.png"), 2, 1, &[1, 2, 3, 4, 5, 6]);
        write_png(&dir.path().join("set_1_2.png"), 2, 1, &[9, 9, 9, 9, 9, 9]);
        let set = read_png_folder(dir.path(), 10).unwrap();
        assert_eq!(set.labels, vec![7, 2]);
        assert_eq!(set.image(0), &[1, 4, 2, 5, 3, 6]);
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x_1.png"), b"not a png").unwrap();
        let e = read_png_folder(dir.path(), 10).unwrap_err().to_string();
        assert!(e.contains("x_1.png") && e.contains("PNG"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        assert!(
            read_png_folder(empty.path(), 10)
                .unwrap_err()
                .to_string()
                .contains("no .png")
        );
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("nolabel.png"), 1, 1, &[0, 0, 0]);
        assert!(
            read_png_folder(dir.path(), 10)
                .unwrap_err()
                .to_string()
                .contains("_<label>.png")
        );
    }
}
