//! The ONNX project's nine light architecture models (`aimc data fetch onnx-light`; skipped
//! with a message when absent, unless `AIMC_REQUIRE_DATA=1`): each maps onto 512x512 and 256x256
//! tiles, and ResNet-50's tile count equals the one computed here by hand from its layer shapes;
//! each runs end to end to the ONNX reference evaluator's values.

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

/// The nine light models (file stems).
const MODELS: [&str; 9] = [
    "light_bvlc_alexnet",
    "light_densenet121",
    "light_inception_v1",
    "light_inception_v2",
    "light_resnet50",
    "light_shufflenet",
    "light_squeezenet",
    "light_vgg19",
    "light_zfnet512",
];

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
    for name in MODELS {
        let name = name.trim_start_matches("light_");
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

/// Every light model runs end to end through the executor, on the closed-form input of
/// `scripts/onnx-reference.py`, to the logits the ONNX reference evaluator (onnx 1.16.2) gives
/// (tests/fixtures/onnx-light-reference; batch normalisation replaced by the operator's
/// inference formula and LRN by the operator's formula, see the script). The weights are all 0.02, so the logits of one model
/// are equal, but their magnitude (up to 1e31 for VGG-19) depends on every layer: padding,
/// pooling, LRN, batch normalisation, concatenation and the shape arithmetic of the graph.
#[test]
fn every_light_model_runs_to_the_reference_evaluators_logits() {
    use aimc::onnx::execute::{from_candle, run_graph};
    use aimc::onnx::fold::fold_constants;
    use aimc::onnx::tensor::TensorData;
    use std::collections::HashMap;

    let Some(dir) = common::fetched_set("onnx-light", "light_resnet50.onnx") else {
        return;
    };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx-light-reference");
    let device = candle_core::Device::Cpu;
    let mut worst = Vec::new();
    for name in MODELS {
        let text = std::fs::read_to_string(fixtures.join(format!("{name}.txt"))).unwrap();
        let mut lines = text.lines();
        let value = lines.next().unwrap().to_string();
        let dims: Vec<usize> = lines
            .next()
            .unwrap()
            .split(' ')
            .map(|d| d.parse().unwrap())
            .collect();
        let want: Vec<f32> = lines.map(|v| v.parse().unwrap()).collect();

        let mut model = aimc::onnx::read_model(&dir.join(format!("{name}.onnx"))).unwrap();
        model.outputs = vec![value];
        let constants = fold_constants(&model).unwrap();
        let (input, shape) = model
            .inputs
            .iter()
            .find(|(n, _)| !constants.contains_key(n))
            .unwrap();
        let shape: Vec<usize> = shape.iter().map(|d| d.unwrap_or(1)).collect();
        let n: usize = shape.iter().product();
        let x: Vec<f32> = (0..n as i64)
            .map(|k| ((k * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        let x = candle_core::Tensor::from_vec(x, shape, &device).unwrap();
        let inputs = HashMap::from([(input.clone(), x)]);
        let got = run_graph(&model, &constants, &inputs, &device).unwrap();
        let got = from_candle(&got[0]).unwrap();
        assert_eq!(got.dims, dims, "{name}");
        let TensorData::F32(got) = got.data else {
            panic!("{name}: not f32")
        };
        let err = got
            .iter()
            .zip(&want)
            .map(|(g, w)| ((g - w) / w.abs().max(1e-30)).abs())
            .fold(0.0f32, f32::max);
        // Both sides sum in f32, in different orders: a sum of n terms carries a relative
        // rounding error of about u sqrt(n) (u = 2^-24, one standard deviation for errors that
        // add up as a random walk), and the layers' errors add in quadrature, so the two differ
        // by sqrt(2) u sqrt(sum of fan-ins) per standard deviation; allowed: 6 of them.
        let fan_ins: usize = map_onnx(
            &dir.join(format!("{name}.onnx")),
            TileGeometry::new(512, 512).unwrap(),
            GroupPolicy::PerGroup,
        )
        .unwrap()
        .layers
        .iter()
        .map(|l| l.rows)
        .sum();
        let tolerance = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * (fan_ins as f32).sqrt();
        worst.push((name, err, tolerance));
        assert!(
            err <= tolerance,
            "{name}: relative error {err} > {tolerance}"
        );
    }
    eprintln!("largest relative error and tolerance per model: {worst:?}");
}
