//! Networks imported from ONNX files: the protobuf messages (`proto.rs`, generated from the ONNX
//! schema), reading and checking a model (`read.rs`), its tensors (`tensor.rs`), node attributes
//! (`attributes.rs`), constant folding (`fold.rs`), the plan of which nodes go on tiles as which
//! matrices (`plan.rs`), the map of a model on tiles (`map.rs`, `aimc map model.onnx`), the
//! graph built on tiles with the analog layers of `nn/` (`analog.rs`), its digital operations
//! (`ops.rs`, `spatial.rs`, `lstm.rs`, `shape.rs`) and the floating-point run of a graph
//! (`execute.rs`: the graph on the ideal preset). The `onnx` architecture of an experiment is
//! `models/onnx_classifier.rs`.

pub mod analog;
pub mod attributes;
pub mod execute;
pub mod export;
pub mod export_periphery;
pub mod fold;
pub mod lstm;
pub mod map;
pub mod ops;
pub mod plan;
pub mod proto;
pub mod read;
pub mod reduce;
pub mod shape;
pub mod spatial;
pub mod tensor;
pub mod trainable;
pub mod write;
pub mod write_periphery;
pub mod write_scan;

pub use read::{OnnxModel, read_model};
pub use tensor::{Tensor, TensorData};

#[cfg(test)]
mod tests;
