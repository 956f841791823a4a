//! The CIFAR-10 and CIFAR-100 binary formats (the official `*.bin` files): per record, the label
//! byte(s) (CIFAR-10: the class; CIFAR-100: coarse then fine, the fine label is used), then 3072
//! bytes of R, G and B planes of 32x32.

use super::image_set::ImageSet;
use crate::error::{Error, Result};
use std::path::Path;

/// Which CIFAR set a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cifar {
    Ten,
    Hundred,
}

impl Cifar {
    fn label_bytes(self) -> usize {
        match self {
            Cifar::Ten => 1,
            Cifar::Hundred => 2,
        }
    }

    /// Number of classes (fine labels for CIFAR-100).
    pub fn classes(self) -> usize {
        match self {
            Cifar::Ten => 10,
            Cifar::Hundred => 100,
        }
    }
}

const IMAGE_BYTES: usize = 3 * 32 * 32;

/// Parses the bytes of a CIFAR binary file (`source` names it in errors).
pub fn parse_cifar(source: &str, bytes: &[u8], kind: Cifar) -> Result<ImageSet> {
    let record = kind.label_bytes() + IMAGE_BYTES;
    if bytes.is_empty() || !bytes.len().is_multiple_of(record) {
        return Err(Error::data(
            source,
            format!(
                "{} bytes is not a whole number of {record}-byte CIFAR-{} records (truncated after record {})",
                bytes.len(),
                kind.classes(),
                bytes.len() / record
            ),
        ));
    }
    let n = bytes.len() / record;
    let mut pixels = Vec::with_capacity(n * IMAGE_BYTES);
    let mut labels = Vec::with_capacity(n);
    for r in bytes.chunks(record) {
        labels.push(r[kind.label_bytes() - 1] as u32);
        pixels.extend_from_slice(&r[kind.label_bytes()..]);
    }
    ImageSet::new(source, pixels, labels, (3, 32, 32), kind.classes())
}

/// Reads one CIFAR binary file.
pub fn read_cifar(path: &Path, kind: Cifar) -> Result<ImageSet> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_cifar(&path.display().to_string(), &bytes, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(labels: &[u8], fill: u8) -> Vec<u8> {
        let mut r = labels.to_vec();
        r.extend(std::iter::repeat_n(fill, IMAGE_BYTES));
        r
    }

    #[test]
    fn reads_fine_labels_and_planes() {
        let mut bytes = record(&[3, 71], 10);
        bytes.extend(record(&[19, 99], 20));
        let set = parse_cifar("t.bin", &bytes, Cifar::Hundred).unwrap();
        assert_eq!(set.labels, vec![71, 99]);
        assert_eq!((set.channels, set.height, set.width), (3, 32, 32));
        assert!(set.image(1).iter().all(|&p| p == 20));
        let ten = parse_cifar("t.bin", &record(&[9], 1), Cifar::Ten).unwrap();
        assert_eq!(ten.labels, vec![9]);
    }

    #[test]
    fn truncated_and_bad_labels_are_refused() {
        let mut bytes = record(&[3, 71], 10);
        bytes.pop();
        let e = parse_cifar("t.bin", &bytes, Cifar::Hundred)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.bin:") && e.contains("truncated after record 0"),
            "{e}"
        );
        let e = parse_cifar("t.bin", &record(&[12], 0), Cifar::Ten)
            .unwrap_err()
            .to_string();
        assert!(e.contains("label 12") && e.contains("10 classes"), "{e}");
        assert!(parse_cifar("t.bin", &[], Cifar::Ten).is_err());
    }
}
