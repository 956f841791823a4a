//! Networks imported from ONNX files (issue 17; in progress): the protobuf messages
//! (`proto.rs`, generated from the ONNX schema), reading and checking a model (`read.rs`), its
//! tensors (`tensor.rs`), node attributes (`attributes.rs`) and constant folding (`fold.rs`). Mapping the graph's Conv, Gemm, MatMul and LSTM nodes onto the analog
//! layers of `nn/`, the digital ops and the `onnx` architecture of an experiment come next.

pub mod attributes;
pub mod fold;
pub mod proto;
pub mod read;
pub mod tensor;

pub use read::{OnnxModel, read_model};
pub use tensor::{Tensor, TensorData};

#[cfg(test)]
mod tests;
