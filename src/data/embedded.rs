//! The Fashion-MNIST subset built into the binary (`dataset = "fashion-mnist-demo"`): the first
//! 10,000 training and 1,000 test images of Fashion-MNIST (MIT, Zalando SE; the licence is in
//! `src/data/fashion-mnist-demo/LICENSE`), 4.8 MB of gzipped IDX. It lets `aimc demo` run on a
//! machine with nothing but the binary.

use super::idx::{idx_images, parse_idx};
use super::image_set::ImageSet;
use crate::error::Result;

const TRAIN_IMAGES: &[u8] = include_bytes!("fashion-mnist-demo/train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("fashion-mnist-demo/train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("fashion-mnist-demo/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("fashion-mnist-demo/t10k-labels-idx1-ubyte.gz");

/// Where the embedded files are named in messages.
pub const EMBEDDED_SOURCE: &str = "<built-in fashion-mnist-demo>";

/// Decodes the embedded training and test splits.
pub fn embedded_fashion_mnist() -> Result<(ImageSet, ImageSet)> {
    let split = |images: &[u8], labels: &[u8], name: &str| {
        let im_name = format!("{EMBEDDED_SOURCE}/{name}-images-idx3-ubyte.gz");
        let lb_name = format!("{EMBEDDED_SOURCE}/{name}-labels-idx1-ubyte.gz");
        idx_images(
            parse_idx(&im_name, images)?,
            &im_name,
            parse_idx(&lb_name, labels)?,
            &lb_name,
        )
    };
    Ok((
        split(TRAIN_IMAGES, TRAIN_LABELS, "train")?,
        split(TEST_IMAGES, TEST_LABELS, "t10k")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_subset_has_the_stated_sizes_and_all_classes() {
        let (train, test) = embedded_fashion_mnist().unwrap();
        assert_eq!((train.len(), test.len()), (10_000, 1_000));
        assert_eq!((train.channels, train.classes), (1, 10));
        for set in [&train, &test] {
            let mut counts = [0usize; 10];
            for &l in &set.labels {
                counts[l as usize] += 1;
            }
            // Every class holds at least 8 % of the set (the first images of Fashion-MNIST).
            assert!(
                counts.iter().all(|&c| c * 100 >= 8 * set.len()),
                "{counts:?}"
            );
        }
    }
}
