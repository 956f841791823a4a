//! The ONNX project's nine light architecture models (`aimc data fetch onnx-light`; skipped
//! with a message when absent, unless `AIMC_REQUIRE_DATA=1`): each maps onto 512x512 and 256x256
//! tiles, and ResNet-50's tile count equals the one computed here by hand from its layer shapes.

mod common;

use aimc::onnx::map::map_onnx;
use aimc::onnx::plan::GroupPolicy;
use aimc::tile::TileGeometry;

/// The matrices of ResNet-50 (He et al. 2016, table 1), inputs x outputs: the 7x7 stem, the
/// bottleneck blocks (1x1 reduce, 3x3, 1x1 expand, and a 1x1 projection on the first block of
/// each stage) and the classifier.
fn resnet50_matrices() -> Vec<(usize, usize)> {
    let mut m = vec![(3 * 7 * 7, 64)];
    let mut in_ch = 64;
    for (width, blocks) in [(64, 3), (128, 4), (256, 6), (512, 3)] {
        let out = 4 * width;
        for b in 0..blocks {
            m.push((in_ch, width));
            m.push((width * 9, width));
            m.push((width, out));
            if b == 0 {
                m.push((in_ch, out));
            }
            in_ch = out;
        }
    }
    m.push((2048, 1000));
    m
}

/// Tiles of a matrix: ceil(rows / tile rows) x ceil(cols / tile cols) (physics.md section 3).
fn tiles(matrices: &[(usize, usize)], t: usize) -> usize {
    matrices
        .iter()
        .map(|(r, c)| r.div_ceil(t) * c.div_ceil(t))
        .sum()
}

#[test]
fn the_light_models_map_and_resnet50_matches_the_hand_count() {
    let Some(dir) = common::fetched_set("onnx-light", "light_resnet50.onnx") else {
        return;
    };
    for name in [
        "bvlc_alexnet",
        "densenet121",
        "inception_v1",
        "inception_v2",
        "resnet50",
        "shufflenet",
        "squeezenet",
        "vgg19",
        "zfnet512",
    ] {
        for t in [512, 256] {
            let path = dir.join(format!("light_{name}.onnx"));
            let map = map_onnx(
                &path,
                TileGeometry::new(t, t).unwrap(),
                GroupPolicy::PerGroup,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                map.totals.total_tiles > 0 && !map.digital_ops.is_empty(),
                "{name}"
            );
            if name == "resnet50" {
                let hand = resnet50_matrices();
                assert_eq!(map.layers.len(), hand.len());
                let shapes: Vec<(usize, usize)> =
                    map.layers.iter().map(|l| (l.rows, l.cols)).collect();
                assert_eq!(shapes, hand);
                assert_eq!(map.totals.total_tiles, tiles(&hand, t), "{t}x{t}");
                let weights: usize = hand.iter().map(|(r, c)| r * c).sum();
                assert_eq!(map.totals.mapped_parameters, weights);
            }
        }
    }
    // 155 tiles of 512x512 (1 stem + 13 + 21 + 55 + 57 by stage + 8 for the classifier).
    assert_eq!(tiles(&resnet50_matrices(), 512), 155);
}
