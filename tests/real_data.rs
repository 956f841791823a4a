//! The readers on real data: the Fashion-MNIST test set from Debian's `dataset-fashion-mnist`
//! (MIT). Skipped with a message when the package is not installed, unless
//! `AIMC_REQUIRE_DATA=1` (as `.ci/run` sets after installing it).

use aimc::data::idx::read_idx_images;
use std::path::Path;

const DIR: &str = "/usr/share/datasets/fashion-mnist";

fn available() -> bool {
    let present = Path::new(DIR).join("t10k-images-idx3-ubyte.gz").is_file();
    if !present {
        assert!(
            std::env::var("AIMC_REQUIRE_DATA").is_err(),
            "{DIR} missing: apt-get install -y dataset-fashion-mnist"
        );
        eprintln!("skipped: {DIR} not installed (apt-get install -y dataset-fashion-mnist)");
    }
    present
}

#[test]
fn fashion_mnist_test_set_reads_as_published() {
    if !available() {
        return;
    }
    let dir = Path::new(DIR);
    let set = read_idx_images(
        &dir.join("t10k-images-idx3-ubyte.gz"),
        &dir.join("t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    assert_eq!(set.len(), 10_000);
    assert_eq!((set.channels, set.height, set.width), (1, 28, 28));
    // 1,000 images of each of the 10 classes.
    let mut counts = [0usize; 10];
    for &l in &set.labels {
        counts[l as usize] += 1;
    }
    assert_eq!(counts, [1000; 10]);
    // The published pixel statistics of Fashion-MNIST: mean 0.286, std 0.353.
    let (mean, std) = set.channel_stats()[0];
    assert!(
        (mean - 0.286).abs() < 0.002 && (std - 0.353).abs() < 0.002,
        "{mean} {std}"
    );
}
