//! Reading ONNX models written here with the same protobuf schema: the graph, initializers
//! inline, raw or external, symbolic batch dimensions, and every refusal (truncated bytes,
//! unknown opsets, foreign domains, data that does not fit its shape).

use super::fold::fold_constants;
use super::plan::{GroupPolicy, plan_graph};
use super::proto::tensor_proto::{DataLocation, DataType};
use super::proto::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    ValueInfoProto,
};
use super::read::parse_model;
use super::tensor::TensorData;
use prost::Message;
use std::path::Path;

fn input(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dims: Vec<Option<usize>> = dims.iter().map(|d| d.map(|n| n as usize)).collect();
    super::write::value_info(name, &dims)
}

fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        float_data: values.to_vec(),
        ..Default::default()
    }
}

/// A Gemm with an inline weight and a raw bias, opset `opset`.
fn model(opset: i64, nodes: Vec<NodeProto>, initializer: Vec<TensorProto>) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(GraphProto {
            name: Some("g".into()),
            node: nodes,
            initializer,
            input: vec![input("x", &[None, Some(3)])],
            output: vec![ValueInfoProto {
                name: Some("y".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn gemm() -> NodeProto {
    NodeProto {
        name: Some("fc".into()),
        op_type: Some("Gemm".into()),
        input: vec!["x".into(), "w".into(), "b".into()],
        output: vec!["y".into()],
        ..Default::default()
    }
}

fn raw_bias() -> TensorProto {
    TensorProto {
        name: Some("b".into()),
        dims: vec![2],
        data_type: Some(DataType::Float as i32),
        raw_data: Some(
            [0.5f32, -1.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        ..Default::default()
    }
}

fn parse(m: &ModelProto) -> crate::error::Result<super::OnnxModel> {
    parse_model(&m.encode_to_vec(), Path::new("m.onnx"), Path::new("."))
}

#[test]
fn reads_the_graph_and_its_initializers() {
    let w = float_tensor("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let m = parse(&model(13, vec![gemm()], vec![w, raw_bias()])).unwrap();
    assert_eq!(m.opset, 13);
    assert_eq!(m.nodes.len(), 1);
    assert_eq!(m.inputs, vec![("x".to_string(), vec![None, Some(3)])]);
    assert_eq!(m.outputs, vec!["y".to_string()]);
    assert_eq!(m.initializers["w"].dims, vec![2, 3]);
    assert_eq!(m.initializers["b"].data, TensorData::F32(vec![0.5, -1.0]));
}

#[test]
fn reads_external_data_and_half_precision() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = [9.0f32, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(dir.path().join("weights.bin"), &bytes).unwrap();
    let entry = |k: &str, v: &str| StringStringEntryProto {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    let w = TensorProto {
        name: Some("w".into()),
        dims: vec![2, 3],
        data_type: Some(DataType::Float as i32),
        data_location: Some(DataLocation::External as i32),
        external_data: vec![
            entry("location", "weights.bin"),
            entry("offset", "4"),
            entry("length", "24"),
        ],
        ..Default::default()
    };
    let half_bias = TensorProto {
        name: Some("b".into()),
        dims: vec![2],
        data_type: Some(DataType::Float16 as i32),
        raw_data: Some(
            [0.5f32, -1.0]
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
        ),
        ..Default::default()
    };
    let bytes = model(17, vec![gemm()], vec![w.clone(), half_bias]).encode_to_vec();
    let m = parse_model(&bytes, &dir.path().join("m.onnx"), dir.path()).unwrap();
    assert_eq!(
        m.initializers["w"].data,
        TensorData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    );
    assert_eq!(m.initializers["b"].data, TensorData::F32(vec![0.5, -1.0]));
    // Past the end of the file, or outside the model's directory: refused, naming the tensor.
    let mut long = w.clone();
    long.external_data[2] = entry("length", "40");
    let bytes = model(17, vec![gemm()], vec![long]).encode_to_vec();
    let e = parse_model(&bytes, &dir.path().join("m.onnx"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("weights.bin") && e.contains("initializer `w`"),
        "{e}"
    );
    let mut outside = w;
    outside.external_data[0] = entry("location", "../weights.bin");
    let bytes = model(17, vec![gemm()], vec![outside]).encode_to_vec();
    let e = parse_model(&bytes, &dir.path().join("m.onnx"), dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("inside the model's directory"), "{e}");
}

#[test]
fn refuses_what_it_cannot_read_naming_it() {
    let w = float_tensor("w", &[2, 3], &[1.0; 6]);
    let good = model(13, vec![gemm()], vec![w.clone(), raw_bias()]).encode_to_vec();
    let e = parse_model(&good[..good.len() / 2], Path::new("m.onnx"), Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("m.onnx: not an ONNX model"), "{e}");
    for opset in [5, 22] {
        let e = parse(&model(opset, vec![gemm()], vec![w.clone()]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("opset {opset}")) && e.contains("7 to 21"),
            "{e}"
        );
    }
    let mut ml = gemm();
    ml.domain = Some("ai.onnx.ml".into());
    ml.op_type = Some("TreeEnsembleClassifier".into());
    let e = parse(&model(13, vec![ml], vec![])).unwrap_err().to_string();
    assert!(
        e.contains("node `fc` (TreeEnsembleClassifier)") && e.contains("ai.onnx.ml"),
        "{e}"
    );
    let short = float_tensor("w", &[2, 3], &[1.0; 5]);
    let e = parse(&model(13, vec![gemm()], vec![short]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("initializer `w`") && e.contains("5 values for shape [2, 3]"),
        "{e}"
    );
    let mut strings = float_tensor("w", &[1], &[]);
    strings.data_type = Some(DataType::String as i32);
    let e = parse(&model(13, vec![gemm()], vec![strings]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("string tensors are not supported"), "{e}");
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        name: Some(output.into()),
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

fn ints_attribute(name: &str, v: &[i64]) -> super::proto::AttributeProto {
    super::proto::AttributeProto {
        name: Some(name.into()),
        ints: v.to_vec(),
        r#type: Some(super::proto::attribute_proto::AttributeType::Ints as i32),
        ..Default::default()
    }
}

fn i64_tensor(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Int64 as i32),
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

/// Weights written as small subgraphs of constants fold to their values.
#[test]
fn folds_weight_subgraphs() {
    let w = float_tensor("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let mut transpose = node("Transpose", &["w"], "wt");
    transpose.attribute = vec![ints_attribute("perm", &[1, 0])];
    let shape = i64_tensor("shape", &[2], &[2, 2]);
    let fill = super::proto::AttributeProto {
        name: Some("value".into()),
        t: Some(float_tensor("v", &[1], &[0.5])),
        r#type: Some(super::proto::attribute_proto::AttributeType::Tensor as i32),
        ..Default::default()
    };
    let mut filled = node("ConstantOfShape", &["shape"], "filled");
    filled.attribute = vec![fill];
    let flat = i64_tensor("flat", &[1], &[-1]);
    let rows = i64_tensor("rows", &[1], &[1]);
    let mut unsq = node("Unsqueeze", &["w"], "w3");
    unsq.attribute = vec![ints_attribute("axes", &[0])];
    let nodes = vec![
        transpose,
        filled,
        node("Reshape", &["wt", "flat"], "wflat"),
        node("Gather", &["w", "rows"], "row1"),
        node("Concat", &["w", "w"], "ww"),
        unsq,
        node("Relu", &["x"], "not_constant"),
    ];
    let m = parse(&model(11, nodes, vec![w, shape, flat, rows])).unwrap();
    let c = fold_constants(&m).unwrap();
    assert_eq!(c["wt"].dims, vec![3, 2]);
    assert_eq!(c["wt"].to_f32(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(c["filled"].to_f32(), vec![0.5; 4]);
    assert_eq!(c["wflat"].dims, vec![6]);
    assert_eq!(c["row1"].dims, vec![1, 3]);
    assert_eq!(c["row1"].to_f32(), vec![4.0, 5.0, 6.0]);
    assert_eq!(c["ww"].dims, vec![4, 3]);
    assert_eq!(c["w3"].dims, vec![1, 2, 3]);
    assert!(!c.contains_key("not_constant"));
}

/// A shape too large for memory, or a scalar concatenated, is an error naming the node.
#[test]
fn refuses_impossible_constants() {
    let huge = i64_tensor("shape", &[3], &[1 << 20, 1 << 20, 1 << 20]);
    let m = parse(&model(
        11,
        vec![node("ConstantOfShape", &["shape"], "big")],
        vec![huge],
    ))
    .unwrap();
    let e = fold_constants(&m).unwrap_err().to_string();
    assert!(
        e.contains("node `big` (ConstantOfShape)") && e.contains("elements"),
        "{e}"
    );
    let scalar = float_tensor("s", &[], &[1.0]);
    let m = parse(&model(
        11,
        vec![node("Concat", &["s", "s"], "cat")],
        vec![scalar],
    ))
    .unwrap();
    let e = fold_constants(&m).unwrap_err().to_string();
    assert!(e.contains("node `cat` (Concat)"), "{e}");
}

fn int_attribute(name: &str, v: i64) -> super::proto::AttributeProto {
    super::proto::AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(super::proto::attribute_proto::AttributeType::Int as i32),
        ..Default::default()
    }
}

/// Conv (grouped, depthwise 1-D), Gemm (transposed weight), MatMul with a constant right
/// operand and LSTM become their matrices; the rest is counted as digital operations.
#[test]
fn plans_which_nodes_go_on_tiles() {
    let zeros = |name: &str, dims: &[i64]| {
        let n: i64 = dims.iter().product();
        float_tensor(name, dims, &vec![0.0; n as usize])
    };
    let mut grouped = node("Conv", &["x", "wg", "bg"], "c1");
    grouped.attribute = vec![int_attribute("group", 2)];
    let mut depthwise = node("Conv", &["c1", "wd"], "c2");
    depthwise.attribute = vec![int_attribute("group", 4)];
    let mut gemm = node("Gemm", &["c2", "wfc"], "fc");
    gemm.attribute = vec![int_attribute("transB", 1)];
    let nodes = vec![
        grouped,
        node("Relu", &["c1"], "r1"),
        depthwise,
        gemm,
        node("MatMul", &["fc", "wm"], "mm"),
        node("LSTM", &["mm", "wl", "rl"], "lstm"),
        node("Relu", &["lstm"], "out"),
    ];
    let init = vec![
        zeros("wg", &[8, 2, 3, 3]),
        zeros("bg", &[8]),
        zeros("wd", &[4, 1, 5]),
        zeros("wfc", &[10, 36]),
        zeros("wm", &[10, 6]),
        zeros("wl", &[1, 12, 6]),
        zeros("rl", &[1, 12, 3]),
    ];
    let m = parse(&model(14, nodes, init)).unwrap();
    let c = fold_constants(&m).unwrap();
    let plan = plan_graph(&m, &c, GroupPolicy::PerGroup).unwrap();
    let shapes: Vec<(String, String, usize, usize)> = plan
        .matrices()
        .into_iter()
        .map(|x| (x.name, x.kind, x.rows, x.cols))
        .collect();
    let expect = |n: &str, k: &str, r: usize, c: usize| (n.to_string(), k.to_string(), r, c);
    assert_eq!(
        shapes,
        vec![
            expect("c1.group0", "conv2d", 18, 4),
            expect("c1.group1", "conv2d", 18, 4),
            expect("c2.group0", "conv1d", 5, 1),
            expect("c2.group1", "conv1d", 5, 1),
            expect("c2.group2", "conv1d", 5, 1),
            expect("c2.group3", "conv1d", 5, 1),
            expect("fc", "linear", 36, 10),
            expect("mm", "linear", 10, 6),
            expect("lstm.dir0.input", "lstm_input", 6, 12),
            expect("lstm.dir0.recurrent", "lstm_recurrent", 3, 12),
        ]
    );
    assert_eq!(
        plan.digital_ops,
        [("Relu".to_string(), 2)].into_iter().collect()
    );
    // Weights and the conv bias: 144 + 8 + 20 + 360 + 60 + 72 + 36.
    assert_eq!(plan.parameters, 700);
    let digital = plan_graph(&m, &c, GroupPolicy::Digital).unwrap();
    assert_eq!(digital.digital_ops["Conv"], 2);
    assert_eq!(digital.matrices().len(), 4);
}

/// No truncation or corruption of a model panics: each is read or refused.
#[test]
fn damaged_files_never_panic() {
    let w = float_tensor("w", &[2, 3], &[1.0; 6]);
    let mut transpose = node("Transpose", &["w"], "wt");
    transpose.attribute = vec![ints_attribute("perm", &[1, 0])];
    let bytes = model(13, vec![transpose, gemm()], vec![w, raw_bias()]).encode_to_vec();
    let read = |b: &[u8]| {
        if let Ok(m) = parse_model(b, Path::new("m.onnx"), Path::new(".")) {
            let c = fold_constants(&m);
            if let Ok(c) = c {
                let _ = plan_graph(&m, &c, GroupPolicy::PerGroup);
            }
        }
    };
    for n in 0..bytes.len() {
        read(&bytes[..n]);
    }
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            read(&b);
        }
    }
}

/// Conv and pooling reject impossible geometry with an error naming the node, never a panic.
#[test]
fn spatial_ops_refuse_impossible_geometry() {
    use super::attributes::Attributes;
    use super::ops::run;
    use candle_core::{Device, Tensor};
    let d = Device::Cpu;
    let x = Tensor::ones((1, 2, 4, 4), candle_core::DType::F32, &d).unwrap();
    let empty = Tensor::ones((1, 2, 0, 4), candle_core::DType::F32, &d).unwrap();
    let w_bad = Tensor::ones((3, 1, 2, 2), candle_core::DType::F32, &d).unwrap();
    let w_big = Tensor::ones((3, 2, 9, 9), candle_core::DType::F32, &d).unwrap();
    let w_1d = Tensor::ones((3, 2, 2), candle_core::DType::F32, &d).unwrap();
    let conv = node("Conv", &["x", "w"], "y");
    let mut pads = node("Conv", &["x", "w"], "y");
    pads.attribute.push(ints_attribute("pads", &[1, 1]));
    let mut stride0 = node("Conv", &["x", "w"], "y");
    stride0.attribute.push(ints_attribute("strides", &[0, 1]));
    let pool = node("MaxPool", &["x"], "y");
    let mut pool_ok = node("MaxPool", &["x"], "y");
    pool_ok
        .attribute
        .push(ints_attribute("kernel_shape", &[2, 2]));
    let cases: [(&NodeProto, Vec<Tensor>, &str); 7] = [
        (&conv, vec![x.clone(), w_bad], "do not fit"),
        (
            &conv,
            vec![x.clone(), w_big],
            "longer than the padded input",
        ),
        (&conv, vec![x.clone(), w_1d], "weights of rank 3"),
        (&pads, vec![x.clone(), w_1d_ok(&d)], "attribute `pads`"),
        (
            &stride0,
            vec![x.clone(), w_1d_ok(&d)],
            "attribute `strides`",
        ),
        (&pool, vec![x.clone()], "attribute `kernel_shape`"),
        (&pool_ok, vec![empty], "no spatial extent"),
    ];
    for (n, inputs, want) in cases {
        let a = Attributes::of(n, "m.onnx");
        let inputs: Vec<Option<Tensor>> = inputs.into_iter().map(Some).collect();
        let e = run(n.op_type(), &inputs, &a, 21).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("m.onnx"), "{want}: {e}");
    }
}

fn w_1d_ok(d: &candle_core::Device) -> candle_core::Tensor {
    candle_core::Tensor::ones((3, 2, 2, 2), candle_core::DType::F32, d).unwrap()
}

/// The LSTM op refuses what it does not compute by name, and missing inputs, never a panic.
#[test]
fn lstm_refuses_what_it_does_not_compute() {
    use super::attributes::Attributes;
    use super::ops::run;
    use candle_core::{DType, Device, Tensor};
    let d = Device::Cpu;
    let x = Tensor::ones((2, 1, 3), DType::F32, &d).unwrap();
    let w = Tensor::ones((1, 8, 3), DType::F32, &d).unwrap();
    let r = Tensor::ones((1, 8, 2), DType::F32, &d).unwrap();
    let mut clip = node("LSTM", &["x", "w", "r"], "y");
    clip.attribute.push(super::proto::AttributeProto {
        name: Some("clip".into()),
        f: Some(1.0),
        r#type: Some(super::proto::attribute_proto::AttributeType::Float as i32),
        ..Default::default()
    });
    let mut acts = node("LSTM", &["x", "w", "r"], "y");
    acts.attribute.push(super::proto::AttributeProto {
        name: Some("activations".into()),
        strings: vec![b"Relu".to_vec(), b"Tanh".to_vec(), b"Tanh".to_vec()],
        r#type: Some(super::proto::attribute_proto::AttributeType::Strings as i32),
        ..Default::default()
    });
    let mut bidir = node("LSTM", &["x", "w", "r"], "y");
    bidir.attribute.push(super::proto::AttributeProto {
        name: Some("direction".into()),
        s: Some(b"bidirectional".to_vec()),
        r#type: Some(super::proto::attribute_proto::AttributeType::String as i32),
        ..Default::default()
    });
    let plain = node("LSTM", &["x", "w", "r"], "y");
    let all = vec![Some(x.clone()), Some(w.clone()), Some(r.clone())];
    let cases: [(&NodeProto, Vec<Option<Tensor>>, &str); 4] = [
        (&clip, all.clone(), "`clip` is not supported"),
        (&acts, all.clone(), "is not supported"),
        (&bidir, all.clone(), "weights for 1 directions"),
        (&plain, vec![Some(x), Some(w)], "X, W and R are required"),
    ];
    for (n, inputs, want) in cases {
        let a = Attributes::of(n, "m.onnx");
        let e = run("LSTM", &inputs, &a, 14).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("m.onnx"), "{want}: {e}");
    }
    let a = Attributes::of(&plain, "m.onnx");
    let y = run("LSTM", &all, &a, 14).unwrap();
    assert_eq!(y[0].dims(), &[2, 1, 1, 2]);
    assert_eq!(y[1].dims(), &[1, 1, 2]);
}
