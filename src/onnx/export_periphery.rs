//! An imported network written back with its analog nodes as tiles with their deterministic
//! periphery (`aimc export --periphery` of an imported graph, issue 18): the file's own graph
//! with its learned values (`export.rs`), every Conv, Gemm and MatMul on tiles replaced by the
//! nodes `write_periphery.rs` writes for its layers, in the file's opset: a convolution's
//! groups each read the whole input through kernels that are zero outside the group's
//! channels and are concatenated (the node's own attributes but `group`), a bias that is a
//! graph value added after; Gemm's transA a Transpose, a beta C that is a graph value added
//! after. The weights only the replaced nodes read are dropped. LSTM nodes are refused by
//! name: their products are inside the ONNX LSTM operator.

use super::analog::{AnalogGraph, AnalogOp, Step};
use super::export::export_bytes;
use super::proto::{ModelProto, NodeProto};
use super::read::{OnnxModel, node_label};
use super::write::{GraphWriter, initializer_info, int};
use super::write_periphery::Product;
use crate::error::{Error, Result};
use prost::Message;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The nodes computing analog node `step` (its file node `node`) with the tiles' periphery;
/// returns the value of its output.
fn write_step(w: &mut GraphWriter, step: &Step, op: &AnalogOp, node: &NodeProto) -> Result<String> {
    let x = node.input.first().cloned().unwrap_or_default();
    match op {
        AnalogOp::Conv {
            layers,
            value_bias,
            weight_dims,
            ..
        } => {
            let c = layers[0].in_channels();
            let (kh, kw) = layers[0].kernel();
            // A 1-D convolution's layers are 2-D of height 1.
            let kernel = if weight_dims.len() == 3 {
                vec![kw]
            } else {
                vec![kh, kw]
            };
            let k: usize = kernel.iter().product();
            let attrs: Vec<_> = (node.attribute.iter())
                .filter(|a| a.name.as_deref() != Some("group"))
                .cloned()
                .collect();
            let mut parts = Vec::with_capacity(layers.len());
            for (g, layer) in layers.iter().enumerate() {
                let product = Product::Conv {
                    channels: c * layers.len(),
                    kernel: kernel.clone(),
                    attrs: attrs.clone(),
                    row_offset: g * c * k,
                };
                let y = w.tiles(&x, layer.matrix(), &product)?;
                parts.push(w.digital_bias(&y, layer.bias(), layer.matrix().name(), &product)?);
            }
            let mut y = match parts.len() {
                1 => parts.remove(0),
                _ => {
                    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                    w.node("Concat", &parts, vec![int("axis", 1)])
                }
            };
            if *value_bias && let Some(b) = node.input.get(2) {
                let axes: Vec<i64> = (1..=kernel.len() as i64).collect();
                let b = w.unsqueeze(b, &axes)?;
                y = w.node("Add", &[&y, &b], vec![]);
            }
            Ok(y)
        }
        AnalogOp::Gemm {
            trans_a,
            linear,
            add,
            ..
        } => {
            let x = if *trans_a {
                w.node("Transpose", &[&x], vec![])
            } else {
                x
            };
            let m = linear.matrix();
            let y = w.tiles(&x, m, &Product::Linear)?;
            let mut y = w.digital_bias(&y, linear.bias(), m.name(), &Product::Linear)?;
            if let (Some(beta), Some(c)) = (add, node.input.get(2)) {
                let beta = w.init(&format!("{}.beta", m.name()), beta)?;
                let c = w.node("Mul", &[c, &beta], vec![]);
                y = w.node("Add", &[&y, &c], vec![]);
            }
            Ok(y)
        }
        AnalogOp::MatMul(linear) => w.tiles(&x, linear.matrix(), &Product::Linear),
        AnalogOp::Lstm { .. } => Err(Error::invalid_argument(
            "--periphery",
            "Conv, Gemm and MatMul nodes on tiles (an LSTM's products are inside the ONNX LSTM \
             operator, where no periphery can be written)",
            format!("the LSTM node {} (node {})", node_label(node), step.index),
        )),
    }
}

/// The bytes of `model`'s file with the learned values of `graph` and its analog nodes
/// written as tiles with their periphery.
pub fn export_periphery_bytes(model: &OnnxModel, graph: &AnalogGraph) -> Result<Vec<u8>> {
    let file = model.file.display().to_string();
    let bytes = export_bytes(model, &graph.trained_values()?)?;
    let mut proto = ModelProto::decode(bytes.as_slice())
        .map_err(|e| Error::data(&file, format!("not an ONNX model: {e}")))?;
    let ir_version = proto.ir_version.unwrap_or(0);
    let opset = (proto.opset_import.iter())
        .find(|o| o.domain.as_deref().unwrap_or("").is_empty())
        .and_then(|o| o.version)
        .unwrap_or(1);
    let g = proto
        .graph
        .as_mut()
        .ok_or_else(|| Error::data(&file, "an ONNX model without a graph"))?;
    let mut w = GraphWriter::for_graph(opset, "aimc.");
    w.write_periphery();
    let mut replaced: HashMap<usize, Vec<NodeProto>> = HashMap::new();
    for step in &graph.steps {
        let Some(op) = &step.analog else {
            continue;
        };
        let node = &g.node[step.index];
        let y = write_step(&mut w, step, op, node)?;
        let output = node.output.first().cloned().unwrap_or_default();
        let (nodes, initializers) = w.drain(&y, &output);
        if ir_version < 4 {
            // Before IR 4 every initializer is also a graph input.
            g.input.extend(initializers.iter().map(initializer_info));
        }
        g.initializer.extend(initializers);
        replaced.insert(step.index, nodes);
    }
    let nodes = std::mem::take(&mut g.node);
    for (i, node) in nodes.into_iter().enumerate() {
        match replaced.remove(&i) {
            Some(new) => g.node.extend(new),
            None => g.node.push(node),
        }
    }
    // Initializers no node reads any more (the replaced weights) go, and before IR 4 their
    // graph inputs with them.
    let read: HashSet<&str> = (g.node.iter())
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(g.output.iter().filter_map(|o| o.name.as_deref()))
        .collect();
    let dropped: HashSet<String> = (g.initializer.iter())
        .filter_map(|i| i.name.clone())
        .filter(|n| !read.contains(n.as_str()))
        .collect();
    g.initializer
        .retain(|i| !dropped.contains(i.name.as_deref().unwrap_or("")));
    g.input
        .retain(|v| !dropped.contains(v.name.as_deref().unwrap_or("")));
    Ok(proto.encode_to_vec())
}

/// Writes `model` with the learned values of `graph`, its analog nodes as tiles with their
/// periphery, to `out` (atomically).
pub fn export_periphery_model(model: &OnnxModel, graph: &AnalogGraph, out: &Path) -> Result<()> {
    let bytes = export_periphery_bytes(model, graph)?;
    crate::fsutil::write_atomic(out, &bytes)
}
