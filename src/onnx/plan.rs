//! Which nodes of an imported graph go on tiles (physics.md section 3) and as which matrices:
//! Conv (1-D and 2-D; a grouped or depthwise convolution by the [`GroupPolicy`]), Gemm and
//! MatMul whose weight operand is constant (after constant folding), and the LSTM op (input and
//! recurrent matrices of each direction on separate tiles). Every other node runs digitally;
//! they are counted by op type. Matrices are inputs (rows) x outputs (columns), a convolution's
//! rows ordered C, k... as the analog convolution unrolls them.

use super::attributes::Attributes;
use super::read::{OnnxModel, node_label};
use super::tensor::{Tensor, TensorData};
use crate::error::Result;
use crate::tile::layout::MappedMatrix;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How a grouped convolution (groups > 1, depthwise included) lies on tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GroupPolicy {
    /// Each group its own matrix: (C/g) k x (M/g), g of them.
    #[default]
    PerGroup,
    /// Grouped convolutions run digitally.
    Digital,
}

/// A node placed on tiles and its matrices.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalogNode {
    /// Index of the node in the graph.
    pub node: usize,
    pub matrices: Vec<MappedMatrix>,
}

/// The plan of a graph: its analog nodes, its digital operations by op type, and how many
/// parameters (floating-point constants the graph's nodes use) it has.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphPlan {
    pub analog: Vec<AnalogNode>,
    pub digital_ops: BTreeMap<String, usize>,
    pub parameters: usize,
}

impl GraphPlan {
    /// Every matrix, in node order.
    pub fn matrices(&self) -> Vec<MappedMatrix> {
        self.analog
            .iter()
            .flat_map(|a| a.matrices.iter().cloned())
            .collect()
    }
}

/// The constant 2-D (or higher) floating-point weight `name`, if it is one.
fn weight<'a>(
    constants: &'a BTreeMap<String, Tensor>,
    name: Option<&String>,
) -> Option<&'a Tensor> {
    name.and_then(|n| constants.get(n))
        .filter(|t| matches!(t.data, TensorData::F32(_)) && t.dims.len() >= 2)
}

/// The plan of `model`, whose constants (initializers and folded values) are `constants`.
pub fn plan_graph(
    model: &OnnxModel,
    constants: &BTreeMap<String, Tensor>,
    groups: GroupPolicy,
) -> Result<GraphPlan> {
    let file = model.file.display().to_string();
    let mut analog = Vec::new();
    let mut digital_ops: BTreeMap<String, usize> = BTreeMap::new();
    let mut used: BTreeSet<&String> = BTreeSet::new();
    for (k, node) in model.nodes.iter().enumerate() {
        // Nodes folded into constants are not part of the computation.
        if node.output.iter().all(|o| constants.contains_key(o)) {
            continue;
        }
        used.extend(node.input.iter().filter(|i| constants.contains_key(*i)));
        let a = Attributes::of(node, &file);
        let name = node_label(node);
        let matrix = |suffix: &str, kind: &str, rows: usize, cols: usize| MappedMatrix {
            name: format!("{name}{suffix}"),
            kind: kind.to_string(),
            rows,
            cols,
        };
        let matrices = match node.op_type() {
            "Conv" => match weight(constants, node.input.get(1)) {
                Some(w) if w.dims.len() <= 4 => {
                    let g = a.int("group", 1).max(1) as usize;
                    let (m, c_per_group) = (w.dims[0], w.dims[1]);
                    let kernel: usize = w.dims[2..].iter().product();
                    if m % g != 0 {
                        return Err(a.error(format!(
                            "{m} output channels in {g} groups: expected a multiple of the groups"
                        )));
                    }
                    let kind = if w.dims.len() == 3 {
                        "conv1d"
                    } else {
                        "conv2d"
                    };
                    match (g, groups) {
                        (1, _) => vec![matrix("", kind, c_per_group * kernel, m)],
                        (_, GroupPolicy::PerGroup) => (0..g)
                            .map(|i| {
                                matrix(&format!(".group{i}"), kind, c_per_group * kernel, m / g)
                            })
                            .collect(),
                        (_, GroupPolicy::Digital) => Vec::new(),
                    }
                }
                _ => Vec::new(),
            },
            "Gemm" => match weight(constants, node.input.get(1)) {
                Some(w) if w.dims.len() == 2 => {
                    let (k_dim, n_dim) = if a.int("transB", 0) != 0 {
                        (w.dims[1], w.dims[0])
                    } else {
                        (w.dims[0], w.dims[1])
                    };
                    vec![matrix("", "linear", k_dim, n_dim)]
                }
                _ => Vec::new(),
            },
            "MatMul" => match weight(constants, node.input.get(1)) {
                Some(w) if w.dims.len() == 2 && !constants.contains_key(&node.input[0]) => {
                    vec![matrix("", "linear", w.dims[0], w.dims[1])]
                }
                _ => Vec::new(),
            },
            "LSTM" => match (
                weight(constants, node.input.get(1)),
                weight(constants, node.input.get(2)),
            ) {
                (Some(w), Some(r)) if w.dims.len() == 3 && r.dims.len() == 3 => (0..w.dims[0])
                    .flat_map(|d| {
                        [
                            matrix(
                                &format!(".dir{d}.input"),
                                "lstm_input",
                                w.dims[2],
                                w.dims[1],
                            ),
                            matrix(
                                &format!(".dir{d}.recurrent"),
                                "lstm_recurrent",
                                r.dims[2],
                                r.dims[1],
                            ),
                        ]
                    })
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if matrices.is_empty() {
            *digital_ops.entry(node.op_type().to_string()).or_default() += 1;
        } else {
            analog.push(AnalogNode { node: k, matrices });
        }
    }
    let parameters = used
        .iter()
        .filter_map(|n| constants.get(*n))
        .filter(|t| matches!(t.data, TensorData::F32(_)))
        .map(Tensor::len)
        .sum();
    Ok(GraphPlan {
        analog,
        digital_ops,
        parameters,
    })
}
