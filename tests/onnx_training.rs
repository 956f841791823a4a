//! Imported graphs in training (issue 18): every trainable variable of a graph on tiles gets a
//! gradient (grouped convolution, batch normalisation, an Add of a bias, Gemm, LSTM), batch
//! normalisation updates its running statistics from the batch (or stays frozen), dropout is
//! active in training only, and a graph with dropout resumes training exactly.

mod common;

use aimc::nn::seeded_var_builder;
use aimc::onnx::analog::{AnalogGraph, GraphOptions};
use aimc::onnx::fold::fold_constants;
use aimc::onnx::proto::attribute_proto::AttributeType;
use aimc::onnx::proto::{AttributeProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};
use aimc::onnx::read::parse_model;
use aimc::onnx::trainable::BatchNormMode;
use aimc::onnx::write::{int, ints};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use common::onnx_graph::{init, model, node, scalar};
use prost::Message;
use std::collections::HashMap;
use std::path::Path;

/// A graph of `nodes` over input `x` (untyped), opset 13.
fn graph(nodes: Vec<NodeProto>, initializer: Vec<TensorProto>, outputs: &[&str]) -> Vec<u8> {
    let x = ValueInfoProto {
        name: Some("x".into()),
        ..Default::default()
    };
    model(nodes, initializer, vec![x], outputs, 13)
}

/// `bytes` built on `tile` with batch normalisation `mode`, its variables in the returned map.
fn build(bytes: &[u8], tile: &TileConfig, mode: BatchNormMode) -> (AnalogGraph, VarMap) {
    let model = parse_model(bytes, Path::new("g.onnx"), Path::new(".")).unwrap();
    let constants = fold_constants(&model).unwrap();
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu);
    let options = GraphOptions {
        batch_norm: mode,
        ..Default::default()
    };
    let g = AnalogGraph::build(&model, &constants, options, vb, tile, NoiseRng::new(1)).unwrap();
    (g, varmap)
}

fn input(dims: &[usize], seed: u64) -> HashMap<String, Tensor> {
    let mut rng = NoiseRng::new(seed);
    let mut v = vec![0f32; dims.iter().product()];
    rng.fill_normal(&mut v);
    HashMap::from([(
        "x".to_string(),
        Tensor::from_vec(v, dims, &Device::Cpu).unwrap(),
    )])
}

/// x [2, 4, 6, 6] -> Conv (2 groups) -> BatchNormalization -> Relu -> MaxPool (3x3, stride 2,
/// padded: the gathered, differentiable pooling) -> Add (bias [4, 1, 1]) -> GlobalAveragePool
/// -> Flatten -> Gemm -> y [2, 3]; and x' [5, 2, 3] -> LSTM -> y2.
fn conv_net() -> Vec<u8> {
    let mut rng = NoiseRng::new(9);
    let nodes = vec![
        node(
            "Conv",
            &["x", "w"],
            "c",
            vec![ints("pads", &[1, 1, 1, 1]), int("group", 2)],
        ),
        node(
            "BatchNormalization",
            &["c", "s", "b", "m", "v"],
            "n",
            vec![],
        ),
        node("Relu", &["n"], "r", vec![]),
        node(
            "MaxPool",
            &["r"],
            "mp",
            vec![
                ints("kernel_shape", &[3, 3]),
                ints("strides", &[2, 2]),
                ints("pads", &[1, 1, 1, 1]),
            ],
        ),
        node("Add", &["mp", "bias"], "a", vec![]),
        node("GlobalAveragePool", &["a"], "p", vec![]),
        node("Flatten", &["p"], "f", vec![]),
        node("Gemm", &["f", "fc", "fcb"], "y", vec![int("transB", 1)]),
    ];
    let inits = vec![
        init("w", &[4, 2, 3, 3], false, &mut rng),
        init("s", &[4], true, &mut rng),
        init("b", &[4], false, &mut rng),
        init("m", &[4], false, &mut rng),
        init("v", &[4], true, &mut rng),
        init("bias", &[4, 1, 1], false, &mut rng),
        init("fc", &[3, 4], false, &mut rng),
        init("fcb", &[3], false, &mut rng),
    ];
    graph(nodes, inits, &["y"])
}

fn lstm_net() -> Vec<u8> {
    let mut rng = NoiseRng::new(8);
    let nodes = vec![node(
        "LSTM",
        &["x", "W", "R", "B"],
        "y",
        vec![
            int("hidden_size", 4),
            AttributeProto {
                name: Some("direction".into()),
                r#type: Some(AttributeType::String as i32),
                s: Some(b"bidirectional".to_vec()),
                ..Default::default()
            },
        ],
    )];
    let inits = vec![
        init("W", &[2, 16, 3], false, &mut rng),
        init("R", &[2, 16, 4], false, &mut rng),
        init("B", &[2, 32], false, &mut rng),
    ];
    graph(nodes, inits, &["y"])
}

/// Hardware-aware training's forward on the standard tile: the loss reaches every variable
/// except the running statistics (kept out of the optimiser).
#[test]
fn every_trainable_variable_of_an_imported_graph_gets_a_gradient() {
    let tile = TileConfig::standard();
    for (bytes, dims, expected) in [
        (conv_net(), vec![2, 4, 6, 6], 13),
        (lstm_net(), vec![5, 2, 3], 13),
    ] {
        let (g, varmap) = build(&bytes, &tile, BatchNormMode::Trainable);
        let y = g.forward(&input(&dims, 3), true).unwrap().remove(0);
        let grads = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let trainable: Vec<&String> = data
            .keys()
            .filter(|n| !(n.ends_with("running_mean") || n.ends_with("running_var")))
            .collect();
        assert_eq!(trainable.len(), expected, "{trainable:?}");
        for name in trainable {
            let g = grads.get(data[name].as_tensor());
            assert!(g.is_some(), "no gradient for `{name}`");
        }
    }
}

/// In training, batch normalisation normalises by the batch's statistics and moves the running
/// ones: running = 0.9 running + 0.1 batch (ONNX's default momentum; population variance).
/// Frozen, it has no variables and computes as in inference.
#[test]
fn batch_norm_learns_in_training_and_is_frozen_by_the_key() {
    let mut rng = NoiseRng::new(4);
    let nodes = vec![node(
        "BatchNormalization",
        &["x", "s", "b", "m", "v"],
        "y",
        vec![],
    )];
    let inits = vec![
        init("s", &[3], true, &mut rng),
        init("b", &[3], false, &mut rng),
        init("m", &[3], false, &mut rng),
        init("v", &[3], true, &mut rng),
    ];
    let bytes = graph(nodes, inits, &["y"]);
    let tile = TileConfig::ideal();
    let x = input(&[4, 3, 5, 5], 2);
    let (g, varmap) = build(&bytes, &tile, BatchNormMode::Trainable);
    let var = |name: &str| {
        let data = varmap.data().lock().unwrap();
        data[name].as_tensor().to_vec1::<f32>().unwrap()
    };
    let (mean0, var0) = (var("y.running_mean"), var("y.running_var"));
    let inference = g.forward(&x, false).unwrap().remove(0);
    assert_eq!(
        var("y.running_mean"),
        mean0,
        "inference leaves the statistics"
    );
    let train = g.forward(&x, true).unwrap().remove(0);
    let xs = x["x"].transpose(0, 1).unwrap().flatten_from(1).unwrap();
    let batch_mean = xs.mean(1).unwrap().to_vec1::<f32>().unwrap();
    let batch_var = xs
        .broadcast_sub(&xs.mean_keepdim(1).unwrap())
        .unwrap()
        .sqr()
        .unwrap()
        .mean(1)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for c in 0..3 {
        let m = 0.9 * mean0[c] + 0.1 * batch_mean[c];
        let v = 0.9 * var0[c] + 0.1 * batch_var[c];
        assert!((var("y.running_mean")[c] - m).abs() < 1e-6);
        assert!((var("y.running_var")[c] - v).abs() < 1e-6);
    }
    // Normalised by the batch: per channel, mean = shift and std = scale (to f32 rounding).
    let (scale, shift) = (var("y.weight"), var("y.bias"));
    let ys = train.transpose(0, 1).unwrap().flatten_from(1).unwrap();
    let means = ys.mean(1).unwrap().to_vec1::<f32>().unwrap();
    for c in 0..3 {
        assert!(
            (means[c] - shift[c]).abs() < 1e-5,
            "{} {}",
            means[c],
            shift[c]
        );
    }
    let sd = ys
        .broadcast_sub(&ys.mean_keepdim(1).unwrap())
        .unwrap()
        .sqr()
        .unwrap()
        .mean(1)
        .unwrap()
        .sqrt()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for c in 0..3 {
        // var / (var + eps) under the square root: eps = 1e-5 against variances near 1.
        assert!(
            (sd[c] - scale[c]).abs() < 1e-4 * scale[c],
            "{} {}",
            sd[c],
            scale[c]
        );
    }
    let (frozen, frozen_vars) = build(&bytes, &tile, BatchNormMode::Frozen);
    assert!(frozen_vars.data().lock().unwrap().is_empty());
    let a = frozen.forward(&x, true).unwrap().remove(0);
    let diff = (a - inference).unwrap().abs().unwrap().max_all().unwrap();
    assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
}

/// Dropout (ratio 0.5) zeroes about half of a training batch and doubles the rest; in
/// inference it is the identity. Of n = 4000 values, the zeroed count is binomial: within
/// 4.5 sigma = 4.5 sqrt(n / 4) of n / 2.
#[test]
fn dropout_is_active_in_training_only() {
    let ratio = scalar("ratio", 0.5);
    let bytes = graph(
        vec![node("Dropout", &["x", "ratio"], "y", vec![])],
        vec![ratio],
        &["y"],
    );
    let (g, _) = build(&bytes, &TileConfig::ideal(), BatchNormMode::Trainable);
    let x = input(&[4000], 5);
    let xs = x["x"].to_vec1::<f32>().unwrap();
    let same = g
        .forward(&x, false)
        .unwrap()
        .remove(0)
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(same, xs);
    let y = g
        .forward(&x, true)
        .unwrap()
        .remove(0)
        .to_vec1::<f32>()
        .unwrap();
    let zeroed = y.iter().filter(|&&v| v == 0.0).count() as f64;
    assert!((zeroed - 2000.0).abs() <= 4.5 * 1000f64.sqrt(), "{zeroed}");
    for (a, b) in y.iter().zip(&xs) {
        assert!(*a == 0.0 || (a - 2.0 * b).abs() <= 1e-6 * b.abs());
    }
}

/// A graph with dropout (Flatten -> Gemm 784 x 16 -> Relu -> Dropout 0.5 -> Gemm 16 x 10) on
/// Fashion-MNIST images, trained two epochs in one go and one epoch then resumed for the
/// second, FP then HWA: the same checkpoints to the bit (the masks are drawn per mini-batch
/// from the run's seed, not from where the network's generator was left).
#[test]
fn an_imported_graph_with_dropout_resumes_exactly() {
    use aimc::experiment::run_dir::checkpoint_path;
    use aimc::experiment::task::load_image_data;
    use aimc::experiment::{Experiment, Stage};
    use aimc::train::trainer::train_stage;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = NoiseRng::new(3);
    let ratio = scalar("ratio", 0.5);
    let bytes = graph(
        vec![
            node("Flatten", &["x"], "f", vec![]),
            node("Gemm", &["f", "w1", "b1"], "h", vec![int("transB", 1)]),
            node("Relu", &["h"], "r", vec![]),
            node("Dropout", &["r", "ratio"], "d", vec![]),
            node("Gemm", &["d", "w2", "b2"], "y", vec![int("transB", 1)]),
        ],
        vec![
            init("w1", &[16, 784], false, &mut rng),
            init("b1", &[16], false, &mut rng),
            ratio,
            init("w2", &[10, 16], false, &mut rng),
            init("b2", &[10], false, &mut rng),
        ],
        &["y"],
    );
    // The images' shape declared: [N, 1, 28, 28].
    let mut proto = ModelProto::decode(bytes.as_slice()).unwrap();
    proto.graph.as_mut().unwrap().input[0] =
        aimc::onnx::write::value_info("x", &[None, Some(1), Some(28), Some(28)]);
    std::fs::write(dir.path().join("net.onnx"), proto.encode_to_vec()).unwrap();
    let text = r#"[experiment]
name = "dropout"
seed = 3

[model]
architecture = "onnx"
file = "net.onnx"
classes = 10
in_channels = 1

[data]
dataset = "fashion-mnist-demo"
train_subset = 96
test_subset = 32
normalize = false

[fp]
epochs = 2
batch_size = 32
optimizer = { kind = "sgd", lr = 0.01 }

[hwa]
epochs = 2
batch_size = 32
optimizer = { kind = "adamw", lr = 0.001 }
noise = { kind = "pcm", scale = 3.0, ramp_epochs = 1.5 }
input_range_init_batches = 2
"#;
    let path = dir.path().join("exp.toml");
    std::fs::write(&path, text).unwrap();
    let exp = Experiment::load(&path).unwrap();
    let data = load_image_data(&exp).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for stage in [Stage::Fp, Stage::Hwa] {
        let run = |out: &Path, epochs: usize, resume: bool| {
            let options = common::train_options(stage, out, Some(epochs), resume);
            train_stage(&exp, &data, &options).unwrap();
        };
        run(&a, 2, false);
        run(&b, 1, false);
        run(&b, 2, true);
        let (ta, tb) = (
            common::checkpoint_tensors(&checkpoint_path(&a, stage)),
            common::checkpoint_tensors(&checkpoint_path(&b, stage)),
        );
        assert_eq!(ta.len(), tb.len());
        for ((na, va), (nb, vb)) in ta.iter().zip(&tb) {
            assert_eq!(na, nb);
            assert_eq!(va, vb, "{stage:?}: tensor {na} differs after resume");
        }
    }
}
