//! Reading an `.onnx` file: the protobuf `ModelProto` (decoded by prost), checked before use.
//! The default operator set must be one aimc knows (7 to [`MAX_OPSET`]); every node must belong
//! to it; initializers are read with their data, inline or in external files beside the model.
//! A truncated or malformed file, an unknown opset or a node of another domain is an error
//! naming the file (and the node and its op type), never a panic.

use super::proto::{ModelProto, NodeProto};
use super::tensor::{Tensor, read_tensor};
use crate::error::{Error, Result};
use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The oldest default-domain opset read.
pub const MIN_OPSET: i64 = 7;
/// The newest default-domain opset read (onnx 1.16's).
pub const MAX_OPSET: i64 = 21;

/// A model read from a file: its graph's nodes, inputs and outputs, and the initializers.
#[derive(Debug, Clone)]
pub struct OnnxModel {
    /// The file it came from (for messages).
    pub file: PathBuf,
    /// The default-domain opset version.
    pub opset: i64,
    /// The graph's nodes, in file order (topologically sorted, as ONNX requires).
    pub nodes: Vec<NodeProto>,
    /// The graph's inputs that are not initializers: (name, shape with `None` for a symbolic
    /// dimension such as the batch).
    pub inputs: Vec<(String, Vec<Option<usize>>)>,
    /// The graph's output names.
    pub outputs: Vec<String>,
    /// The declared shapes of the graph's outputs (empty when not declared).
    pub output_shapes: Vec<Vec<Option<usize>>>,
    /// The initializers by name.
    pub initializers: BTreeMap<String, Tensor>,
}

/// The name of `node` for messages: its name, or its first output when unnamed.
pub fn node_label(node: &NodeProto) -> String {
    match node.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => format!(
            "(output {})",
            node.output.first().map(String::as_str).unwrap_or("?")
        ),
    }
}

/// Reads and checks the model at `path`.
pub fn read_model(path: &Path) -> Result<OnnxModel> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse_model(&bytes, path, base)
}

/// Parses the bytes of a model that came from `file` (for messages), reading external data
/// relative to `base`.
pub fn parse_model(bytes: &[u8], file: &Path, base: &Path) -> Result<OnnxModel> {
    let name = file.display().to_string();
    let model = ModelProto::decode(bytes).map_err(|e| {
        Error::data(
            &name,
            format!("not an ONNX model (truncated or malformed protobuf: {e})"),
        )
    })?;
    let opset = default_opset(&model, &name)?;
    let graph = model
        .graph
        .ok_or_else(|| Error::data(&name, "an ONNX model without a graph"))?;
    for node in &graph.node {
        let domain = node.domain.as_deref().unwrap_or("");
        if !(domain.is_empty() || domain == "ai.onnx") {
            return Err(Error::data(
                &name,
                format!(
                    "node `{}` ({}): operator domain `{domain}` is not supported (only the default ONNX domain is)",
                    node_label(node),
                    node.op_type()
                ),
            ));
        }
    }
    let mut initializers = BTreeMap::new();
    for t in &graph.initializer {
        let tname = t.name.clone().unwrap_or_default();
        let what = format!("{name}: initializer `{tname}`");
        initializers.insert(tname, read_tensor(t, base, &what)?);
    }
    let inputs = graph
        .input
        .iter()
        .filter_map(|v| {
            let n = v.name.clone().unwrap_or_default();
            (!initializers.contains_key(&n)).then(|| (n, value_shape(v)))
        })
        .collect();
    let outputs = graph
        .output
        .iter()
        .map(|v| v.name.clone().unwrap_or_default())
        .collect();
    let output_shapes = graph.output.iter().map(value_shape).collect();
    Ok(OnnxModel {
        file: file.to_path_buf(),
        opset,
        nodes: graph.node,
        inputs,
        outputs,
        output_shapes,
        initializers,
    })
}

/// The default-domain opset version of `model`, checked to be one aimc reads.
fn default_opset(model: &ModelProto, file: &str) -> Result<i64> {
    let version = model
        .opset_import
        .iter()
        .find(|o| matches!(o.domain.as_deref(), None | Some("") | Some("ai.onnx")))
        .and_then(|o| o.version);
    match version {
        Some(v) if (MIN_OPSET..=MAX_OPSET).contains(&v) => Ok(v),
        Some(v) => Err(Error::data(
            file,
            format!(
                "opset {v} of the default ONNX domain: aimc reads opsets {MIN_OPSET} to {MAX_OPSET}"
            ),
        )),
        None => Err(Error::data(
            file,
            "no opset of the default ONNX domain imported (opset_import)",
        )),
    }
}

/// The shape of a graph input or output: known dimensions, `None` for symbolic or unknown ones.
fn value_shape(v: &super::proto::ValueInfoProto) -> Vec<Option<usize>> {
    use super::proto::tensor_shape_proto::dimension::Value;
    use super::proto::type_proto::Value as TypeValue;
    let Some(TypeValue::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Vec::new();
    };
    t.shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(Value::DimValue(n)) if n > 0 => Some(n as usize),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}
