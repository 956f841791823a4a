//! `aimc map model.onnx` end to end on a model written here (issue 17): the analog layers and
//! the digital operations, and the errors of a truncated file and an unknown opset.

mod common;

use aimc::onnx::proto::tensor_proto::DataType;
use aimc::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    ValueInfoProto, attribute_proto::AttributeType,
};
use common::aimc;
use prost::Message;
use std::path::Path;

/// x -> Gemm(W [10, 20] transposed) -> Relu -> MatMul(W2 [10, 3]), opset `opset`.
fn write_model(path: &Path, opset: i64) {
    let tensor = |name: &str, dims: &[i64]| TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        float_data: vec![0.1; dims.iter().product::<i64>() as usize],
        ..Default::default()
    };
    let node = |op: &str, inputs: &[&str], output: &str| NodeProto {
        name: Some(output.into()),
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    };
    let mut gemm = node("Gemm", &["x", "w", "b"], "fc");
    gemm.attribute = vec![AttributeProto {
        name: Some("transB".into()),
        i: Some(1),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }];
    let m = ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(GraphProto {
            node: vec![
                gemm,
                node("Relu", &["fc"], "r"),
                node("MatMul", &["r", "w2"], "y"),
            ],
            initializer: vec![
                tensor("w", &[10, 20]),
                tensor("b", &[10]),
                tensor("w2", &[10, 3]),
            ],
            input: vec![ValueInfoProto {
                name: Some("x".into()),
                ..Default::default()
            }],
            output: vec![ValueInfoProto {
                name: Some("y".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    std::fs::write(path, m.encode_to_vec()).unwrap();
}

#[test]
fn maps_an_onnx_file_onto_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.onnx");
    write_model(&path, 13);
    let (ok, out, err) = aimc(&[
        "map",
        path.to_str().unwrap(),
        "--tile",
        "8x8",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(
        (layers[0]["name"].as_str(), layers[0]["rows"].as_u64()),
        (Some("fc"), Some(20))
    );
    assert_eq!(layers[0]["cols"], 10);
    // 20 rows in 3 chunks of at most 8, 10 columns in 2: 6 tiles; 10 x 3: 2 x 1.
    assert_eq!(layers[0]["tiles"], 6);
    assert_eq!(layers[1]["tiles"], 2);
    assert_eq!(v["totals"]["total_tiles"], 8);
    assert_eq!(v["totals"]["mapped_parameters"], 230);
    assert_eq!(v["totals"]["digital_parameters"], 10);
    assert_eq!(v["digital_ops"]["Relu"], 1);
    let (ok, table, err) = aimc(&["map", path.to_str().unwrap(), "--tile", "8x8"]);
    assert!(ok, "{err}");
    assert!(table.contains("digital ops: Relu 1"), "{table}");
}

#[test]
fn unreadable_onnx_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.onnx");
    write_model(&path, 30);
    let (ok, _, err) = aimc(&["map", path.to_str().unwrap()]);
    assert!(
        !ok && err.contains("new.onnx") && err.contains("opset 30"),
        "{err}"
    );
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.onnx");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let (ok, _, err) = aimc(&["map", cut.to_str().unwrap()]);
    assert!(!ok && err.contains("cut.onnx: not an ONNX model"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// README's list of ONNX operators is the executor's list ([`aimc::onnx::ops::SUPPORTED`]),
/// in the same order.
#[test]
fn readme_lists_the_supported_onnx_operators() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = "backend node tests of its own (`tests/onnx_node_tests.rs`): ";
    let start = readme.find(marker).expect("README's ONNX operator list") + marker.len();
    let list = &readme[start..];
    let list = &list[..list.find('.').unwrap()];
    let listed: Vec<&str> = list.split(',').map(str::trim).collect();
    assert_eq!(listed, aimc::onnx::ops::SUPPORTED);
}

/// The `[model]` section of an imported network: each bad key is an error naming the file and
/// the key; classes and channels the graph does not declare must be given.
#[test]
fn experiment_files_of_imported_networks_refuse_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    write_model(&dir.path().join("mlp.onnx"), 13);
    let load = |model: &str, data: &str| {
        let path = dir.path().join("exp.toml");
        let text = format!(
            "[experiment]\nname = \"x\"\n\n[model]\narchitecture = \"onnx\"\n{model}\n\n\
             [data]\ndataset = \"mnist\"\n{data}\n\n[fp]\nepochs = 1\n"
        );
        std::fs::write(&path, text).unwrap();
        aimc::experiment::Experiment::load(&path)
    };
    let given = "file = \"mlp.onnx\"\nclasses = 3\nin_channels = 1";
    assert!(load(given, "normalize = false").is_ok());
    for (model, data, key) in [
        (given, "", "data.normalize"),
        (
            "classes = 3\nin_channels = 1",
            "normalize = false",
            "model.file",
        ),
        (
            "file = \"mlp.onnx\"\nin_channels = 1",
            "normalize = false",
            "model.classes",
        ),
        (
            &format!("{given}\nscale = 0.0"),
            "normalize = false",
            "model.scale",
        ),
        (
            &format!("{given}\nmean = [1.0, 2.0]"),
            "normalize = false",
            "model.mean",
        ),
        (
            &format!("{given}\nstd = [0.0]"),
            "normalize = false",
            "model.std",
        ),
        (
            &format!("{given}\nlayout = \"chw\""),
            "normalize = false",
            "layout",
        ),
        (
            &format!("{given}\ngroups = \"some\""),
            "normalize = false",
            "groups",
        ),
    ] {
        let e = load(model, data).expect_err(key).to_string();
        assert!(e.contains("exp.toml") && e.contains(key), "{key}: {e}");
    }
    // A file that is not there is named when the network is built.
    let missing = "file = \"none.onnx\"";
    let e = load(missing, "normalize = false").unwrap_err().to_string();
    assert!(e.contains("none.onnx"), "{e}");
}

/// Classes and input channels come from the graph's declared shapes (ResNet-50: 1000, 3).
#[test]
fn classes_and_channels_come_from_the_graph() {
    let Some(dir) = common::fetched_set("onnx-light", "light_resnet50.onnx") else {
        return;
    };
    let exp_dir = tempfile::tempdir().unwrap();
    let path = exp_dir.path().join("exp.toml");
    let file = std::path::absolute(dir.join("light_resnet50.onnx")).unwrap();
    let text = format!(
        "[experiment]\nname = \"r50\"\n\n[model]\narchitecture = \"onnx\"\nfile = \"{}\"\n\n\
         [data]\ndataset = \"cifar10\"\nnormalize = false\n\n[fp]\nepochs = 1\n",
        file.display()
    );
    std::fs::write(&path, text).unwrap();
    let exp = aimc::experiment::Experiment::load(&path).unwrap();
    assert_eq!(
        exp.config.model.interface(),
        aimc::models::Interface::Images {
            classes: 1000,
            in_channels: 3,
            preprocessed: true
        }
    );
}

/// An image classifier whose graph has no output is an error naming the file, not a panic.
#[test]
fn a_graph_without_outputs_is_refused_as_a_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.onnx");
    write_model(&path, 13);
    let mut m = ModelProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
    m.graph.as_mut().unwrap().output.clear();
    std::fs::write(&path, m.encode_to_vec()).unwrap();
    let config = aimc::models::ModelConfig::from_toml(
        "exp.toml",
        &format!(
            "[model]\narchitecture = \"onnx\"\nfile = \"{}\"\nclasses = 3\nin_channels = 1\n",
            path.display()
        ),
    )
    .unwrap();
    let varmap = candle_nn::VarMap::new();
    let vb = aimc::nn::seeded_var_builder(
        &varmap,
        0,
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    );
    let tile = aimc::tile::TileConfig::ideal();
    let e = aimc::models::Model::build(&config, vb, &tile, aimc::rng::NoiseRng::new(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("mlp.onnx") && e.contains("no output"), "{e}");
}
