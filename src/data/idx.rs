//! The IDX format of MNIST and Fashion-MNIST, plain or gzipped: magic 0x00 0x00 0x08 (unsigned
//! bytes) then the number of dimensions, the dimensions as big-endian u32, then the data.

use super::image_set::ImageSet;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// The dimensions and the data of an IDX file of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses IDX bytes (gunzipped first if they start with the gzip magic).
pub fn parse_idx(source: &str, bytes: &[u8]) -> Result<IdxArray> {
    let raw;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| Error::data(source, format!("corrupt gzip stream: {e}")))?;
        raw = out;
        &raw[..]
    } else {
        bytes
    };
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(Error::data(
            source,
            "not an IDX file (expected magic 0x00 0x00 <type> <dims>)",
        ));
    }
    if bytes[2] != 0x08 {
        return Err(Error::data(
            source,
            format!(
                "IDX data type 0x{:02x} is not unsigned bytes (0x08)",
                bytes[2]
            ),
        ));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if ndims == 0 || bytes.len() < header {
        return Err(Error::data(
            source,
            format!("truncated IDX header ({ndims} dimensions)"),
        ));
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| {
            u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let expected: usize = dims.iter().product();
    let data = &bytes[header..];
    if data.len() != expected {
        return Err(Error::data(
            source,
            format!(
                "IDX dimensions {dims:?} need {expected} bytes of data, found {}",
                data.len()
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: data.to_vec(),
    })
}

/// Reads an IDX file.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_idx(&path.display().to_string(), &bytes)
}

/// An image set from an IDX image file [N, H, W] and an IDX label file [N] (10 classes).
pub fn read_idx_images(images: &Path, labels: &Path) -> Result<ImageSet> {
    idx_images(
        read_idx(images)?,
        &images.display().to_string(),
        read_idx(labels)?,
        &labels.display().to_string(),
    )
}

/// An image set from parsed IDX arrays of images [N, H, W] and labels [N] (`name` and
/// `labels_name` name their sources in errors).
pub fn idx_images(im: IdxArray, name: &str, lb: IdxArray, labels_name: &str) -> Result<ImageSet> {
    if im.dims.len() != 3 {
        return Err(Error::data(
            name,
            format!(
                "expected images of 3 dimensions [N, H, W], found {:?}",
                im.dims
            ),
        ));
    }
    if lb.dims.len() != 1 || lb.dims[0] != im.dims[0] {
        return Err(Error::data(
            labels_name,
            format!(
                "expected {} labels [N], found dimensions {:?}",
                im.dims[0], lb.dims
            ),
        ));
    }
    let labels: Vec<u32> = lb.data.iter().map(|&l| l as u32).collect();
    ImageSet::new(name, im.data, labels, (1, im.dims[1], im.dims[2]), 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b.extend(data);
        b
    }

    #[test]
    fn reads_plain_and_gzipped() {
        let plain = idx(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let a = parse_idx("x", &plain).unwrap();
        assert_eq!(a.dims, vec![2, 2, 3]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        let b = parse_idx("x.gz", &gz.finish().unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn image_set_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let (ip, lp) = (dir.path().join("i"), dir.path().join("l"));
        std::fs::write(&ip, idx(&[2, 2, 2], &[0, 50, 100, 150, 200, 250, 255, 0])).unwrap();
        std::fs::write(&lp, idx(&[2], &[7, 3])).unwrap();
        let set = read_idx_images(&ip, &lp).unwrap();
        assert_eq!(set.labels, vec![7, 3]);
        assert_eq!((set.channels, set.height, set.width), (1, 2, 2));
        std::fs::write(&lp, idx(&[3], &[7, 3, 1])).unwrap();
        assert!(
            read_idx_images(&ip, &lp)
                .unwrap_err()
                .to_string()
                .contains("expected 2 labels")
        );
    }

    #[test]
    fn corrupt_files_are_refused_by_name() {
        let e = |b: &[u8]| parse_idx("f.idx", b).unwrap_err().to_string();
        assert!(e(&[1, 2, 3]).starts_with("f.idx: not an IDX file"));
        assert!(e(&idx(&[4], &[1, 2])).contains("need 4 bytes of data, found 2"));
        assert!(e(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0]).contains("not unsigned bytes"));
        assert!(e(&[0, 0, 8, 2, 0, 0]).contains("truncated IDX header"));
        assert!(e(&[0x1f, 0x8b, 1, 2, 3]).contains("corrupt gzip"));
    }
}
