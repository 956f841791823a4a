//! Small ONNX graphs built in tests: nodes, seeded initializers, a model of opset N.

use aimc::onnx::proto::tensor_proto::DataType;
use aimc::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    ValueInfoProto,
};
use aimc::rng::NoiseRng;
use prost::Message;

/// A node `op` of `inputs` with one output `output` (also its name).
pub fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        name: Some(output.into()),
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

/// An initializer of shape `dims` with values from a seeded stream (`positive`: in [0.5, 1.5],
/// else in [-0.5, 0.5]).
pub fn init(name: &str, dims: &[i64], positive: bool, rng: &mut NoiseRng) -> TensorProto {
    let n: i64 = dims.iter().product();
    let float_data = (0..n)
        .map(|_| {
            let u = rng.uniform() as f32;
            if positive { 0.5 + u } else { u - 0.5 }
        })
        .collect();
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(DataType::Float as i32),
        float_data,
        ..Default::default()
    }
}

/// A scalar f32 initializer.
pub fn scalar(name: &str, v: f32) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: vec![],
        data_type: Some(DataType::Float as i32),
        float_data: vec![v],
        ..Default::default()
    }
}

/// A model of opset `opset`: `nodes` over `inputs`, outputs named `outputs` (untyped).
pub fn model(
    nodes: Vec<NodeProto>,
    initializer: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: &[&str],
    opset: i64,
) -> Vec<u8> {
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
            input: inputs,
            output: (outputs.iter())
                .map(|o| ValueInfoProto {
                    name: Some(o.to_string()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}
