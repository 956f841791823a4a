//! Networks imported from ONNX files (issue 17; in progress): the protobuf messages
//! (`proto.rs`, generated from the ONNX schema), reading and checking a model (`read.rs`), its
//! tensors (`tensor.rs`), node attributes (`attributes.rs`), constant folding (`fold.rs`), the
//! plan of which nodes go on tiles as which matrices (`plan.rs`) and the map of a model on tiles
//! (`map.rs`, `aimc map model.onnx`), and running a graph's digital operations (`execute.rs`,
//! `ops.rs`: the op set checked against the ONNX node tests so far). Building the plan into the
//! analog layers of `nn/`, the rest of the digital ops and the `onnx` architecture of an
//! experiment come next.

pub mod analog;
pub mod attributes;
pub mod execute;
pub mod fold;
pub mod lstm;
pub mod map;
pub mod ops;
pub mod plan;
pub mod proto;
pub mod read;
pub mod shape;
pub mod spatial;
pub mod tensor;

pub use read::{OnnxModel, read_model};
pub use tensor::{Tensor, TensorData};

#[cfg(test)]
mod tests;
