//! The reader against the ONNX project's own backend node tests (`aimc data fetch
//! onnx-node-tests`, the 1,282 tests of the pinned onnx 1.16.2 wheel; skipped with a message when
//! absent, unless `AIMC_REQUIRE_DATA=1`): every model reads, or is refused for an opset older
//! than 7 or for an operator domain other than the default one; every model's constants fold
//! without error; every test of a supported digital op runs to its expected outputs.

mod common;

use aimc::onnx::fold::fold_constants;
use aimc::onnx::read_model;

#[test]
fn every_node_test_model_reads_or_is_refused_for_its_opset_or_domain() {
    let Some(dir) = common::fetched_set("onnx-node-tests", "test_relu/model.onnx") else {
        return;
    };
    let (mut read, mut refused) = (0, Vec::new());
    let mut tests: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    tests.sort();
    for test in &tests {
        let path = test.join("model.onnx");
        match read_model(&path) {
            Ok(model) => {
                fold_constants(&model).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                read += 1;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.contains("opset") || e.contains("domain"),
                    "{}: {e}",
                    path.display()
                );
                refused.push(e);
            }
        }
    }
    assert_eq!(tests.len(), 1282);
    // 37 use opsets 1 to 6 or only other domains (training, ML).
    assert_eq!(refused.len(), 37, "{refused:#?}");
    assert_eq!(read, 1245);
}

/// The node tests of the ops aimc supports (every test whose graph holds only supported ops and
/// whose values are tensors), run on every data set against the expected outputs:
/// floating-point values to a relative error of 1e-5, integers exactly. Tests of Conv, Gemm,
/// MatMul and LSTM run a second time with their weights as constants, on tiles of the ideal
/// preset.
#[test]
fn every_node_test_of_a_supported_op_passes() {
    use aimc::onnx::execute::{from_candle, run_graph, to_candle};
    use aimc::onnx::ops::SUPPORTED;
    use aimc::onnx::plan::{GroupPolicy, plan_graph};
    use aimc::onnx::proto::{ModelProto, TensorProto, type_proto};
    use aimc::onnx::tensor::{TensorData, read_tensor};
    use prost::Message;
    use std::collections::{BTreeMap, HashMap};

    let Some(dir) = common::fetched_set("onnx-node-tests", "test_relu/model.onnx") else {
        return;
    };
    let device = candle_core::Device::Cpu;
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    let mut ran_on_tiles: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut refused_features = Vec::new();
    let mut tests: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    tests.sort();
    for test in &tests {
        let path = test.join("model.onnx");
        let proto = ModelProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
        let graph = proto.graph.as_ref().unwrap();
        let all_tensors = graph.input.iter().chain(&graph.output).all(|v| {
            matches!(
                v.r#type.as_ref().and_then(|t| t.value.as_ref()),
                Some(type_proto::Value::TensorType(_))
            )
        });
        let Ok(model) = aimc::onnx::read_model(&path) else {
            continue;
        };
        let constants = fold_constants(&model).unwrap();
        let ops: Vec<&str> = model
            .nodes
            .iter()
            .filter(|n| !n.output.iter().all(|o| constants.contains_key(o)))
            .map(|n| n.op_type())
            .collect();
        if !all_tensors || ops.is_empty() || !ops.iter().all(|op| SUPPORTED.contains(op)) {
            continue;
        }
        let mut sets: Vec<_> = std::fs::read_dir(test)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        sets.sort();
        for set in sets {
            let pb = |name: String| {
                let bytes = std::fs::read(set.join(name)).unwrap();
                let t = TensorProto::decode(bytes.as_slice()).unwrap();
                read_tensor(&t, &set, "pb").unwrap()
            };
            let inputs: HashMap<String, candle_core::Tensor> = model
                .inputs
                .iter()
                .enumerate()
                .map(|(k, (name, _))| {
                    (
                        name.clone(),
                        to_candle(&pb(format!("input_{k}.pb")), &device).unwrap(),
                    )
                })
                .collect();
            let label = format!("{}", test.file_name().unwrap().to_string_lossy());
            let outputs = match run_graph(&model, &constants, &inputs, &device) {
                Ok(o) => o,
                // A feature refused by name (e.g. training mode) is not a wrong result.
                Err(e) if e.to_string().contains("is not supported") => {
                    refused_features.push(format!("{label}: {e}"));
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let differs = |outputs: &[candle_core::Tensor]| {
                outputs.iter().enumerate().any(|(k, got)| {
                    let want = pb(format!("output_{k}.pb"));
                    let got = from_candle(got).unwrap();
                    let close = got.dims == want.dims
                        && match (&got.data, &want.data) {
                            (TensorData::F32(a), TensorData::F32(b)) => a
                                .iter()
                                .zip(b)
                                .all(|(x, y)| (x - y).abs() <= 1e-5 * y.abs().max(1.0) || x == y),
                            (a, b) => a == b,
                        };
                    !close
                })
            };
            if differs(&outputs) {
                failures.push(format!("{label}: an output differs"));
            }
            // The same test with the weights (and biases) of Conv, Gemm, MatMul and LSTM nodes
            // made constants: those nodes then run on tiles (the ideal preset); and with the
            // weights alone constants (a bias or C that is a value of the graph).
            for with_bias in [true, false] {
                let mut on_tiles = constants.clone();
                let mut rest = inputs.clone();
                for node in &model.nodes {
                    let weights: &[usize] = match (node.op_type(), with_bias) {
                        ("Conv" | "Gemm", true) => &[1, 2],
                        ("LSTM", true) => &[1, 2, 3],
                        ("LSTM", false) => &[1, 2],
                        ("Conv" | "Gemm" | "MatMul", _) => &[1],
                        _ => &[],
                    };
                    for name in weights.iter().filter_map(|&i| node.input.get(i)) {
                        if let Some(t) = rest.remove(name) {
                            on_tiles.insert(name.clone(), from_candle(&t).unwrap());
                        }
                    }
                }
                let plan = plan_graph(&model, &on_tiles, GroupPolicy::PerGroup).unwrap();
                if plan.analog.is_empty() {
                    continue;
                }
                match run_graph(&model, &on_tiles, &rest, &device) {
                    Ok(outputs) if !differs(&outputs) => {
                        for a in &plan.analog {
                            let op = model.nodes[a.node].op_type();
                            *ran_on_tiles.entry(op.to_string()).or_default() += 1;
                        }
                    }
                    Ok(_) => failures.push(format!("{label}: an output differs on tiles")),
                    Err(e) => failures.push(format!("{label} on tiles: {e}")),
                }
            }
            for op in &ops {
                *ran.entry(op.to_string()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "node tests run, by op: {ran:?}; on tiles: {ran_on_tiles:?}; refused features: \
         {refused_features:#?}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
    for op in ["Conv", "Gemm", "MatMul", "LSTM"] {
        assert!(
            ran_on_tiles.get(op).is_some_and(|&n| n > 0),
            "no node test ran {op} on tiles: {ran_on_tiles:?}"
        );
    }
    for op in SUPPORTED.iter().filter(|op| !OPSET_1_ONLY.contains(op)) {
        assert!(
            ran.get(*op).is_some_and(|&n| n > 0),
            "no node test ran for {op}: {ran:?}"
        );
    }
}

/// Supported ops whose only node tests are opset-1 models (which the reader refuses); their
/// semantics have not changed since opset 1, so [`opset_1_only_ops_pass_their_node_tests`]
/// runs those tests' single node directly.
const OPSET_1_ONLY: &[&str] = &["GlobalAveragePool", "GlobalMaxPool"];

#[test]
fn opset_1_only_ops_pass_their_node_tests() {
    use aimc::onnx::attributes::Attributes;
    use aimc::onnx::execute::{from_candle, to_candle};
    use aimc::onnx::proto::{ModelProto, TensorProto};
    use aimc::onnx::tensor::{TensorData, read_tensor};
    use prost::Message;

    let Some(dir) = common::fetched_set("onnx-node-tests", "test_relu/model.onnx") else {
        return;
    };
    let device = candle_core::Device::Cpu;
    let mut ran = 0;
    for name in [
        "test_globalaveragepool",
        "test_globalaveragepool_precomputed",
        "test_globalmaxpool",
        "test_globalmaxpool_precomputed",
    ] {
        let test = dir.join(name);
        let proto =
            ModelProto::decode(std::fs::read(test.join("model.onnx")).unwrap().as_slice()).unwrap();
        let node = &proto.graph.as_ref().unwrap().node[0];
        assert!(OPSET_1_ONLY.contains(&node.op_type()), "{name}");
        let set = test.join("test_data_set_0");
        let pb = |file: &str| {
            let bytes = std::fs::read(set.join(file)).unwrap();
            read_tensor(&TensorProto::decode(bytes.as_slice()).unwrap(), &set, file).unwrap()
        };
        let x = to_candle(&pb("input_0.pb"), &device).unwrap();
        let attributes = Attributes::of(node, name);
        let got = aimc::onnx::ops::run(node.op_type(), &[Some(x)], &attributes, 1).unwrap();
        let (got, want) = (from_candle(&got[0]).unwrap(), pb("output_0.pb"));
        assert_eq!(got.dims, want.dims, "{name}");
        let (TensorData::F32(g), TensorData::F32(w)) = (&got.data, &want.data) else {
            panic!("{name}: not f32");
        };
        for (x, y) in g.iter().zip(w) {
            assert!(
                (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                "{name}: {x} vs {y}"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}
