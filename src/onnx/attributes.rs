//! The attributes of an ONNX node, read by name with their defaults; a missing required
//! attribute or one of the wrong kind is an error naming the node and its op type.

use super::proto::NodeProto;
use super::read::node_label;
use super::tensor::{Tensor, read_tensor};
use crate::error::{Error, Result};
use std::path::Path;

/// The attributes of one node, with the node for messages.
pub struct Attributes<'a> {
    node: &'a NodeProto,
    /// The model file (for messages).
    file: &'a str,
}

impl<'a> Attributes<'a> {
    /// The attributes of `node` of the model in `file`.
    pub fn of(node: &'a NodeProto, file: &'a str) -> Self {
        Self { node, file }
    }

    fn get(&self, name: &str) -> Option<&'a super::proto::AttributeProto> {
        self.node
            .attribute
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }

    /// The number of outputs the graph asks of this node (empty names are omitted outputs).
    pub fn output_count(&self) -> usize {
        self.node.output.iter().filter(|o| !o.is_empty()).count()
    }

    /// An error about this node: `message` after the file, the node and its op type.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::data(
            self.file,
            format!(
                "node `{}` ({}): {message}",
                node_label(self.node),
                self.node.op_type()
            ),
        )
    }

    /// Integer attribute `name`, or `default`.
    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.get(name).and_then(|a| a.i).unwrap_or(default)
    }

    /// Float attribute `name`, or `default`.
    pub fn float(&self, name: &str, default: f32) -> f32 {
        self.get(name).and_then(|a| a.f).unwrap_or(default)
    }

    /// Integer-list attribute `name`, if present.
    pub fn ints(&self, name: &str) -> Option<Vec<i64>> {
        self.get(name).map(|a| a.ints.clone())
    }

    /// String attribute `name`, if present.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name)
            .and_then(|a| a.s.as_ref())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }

    /// String-list attribute `name`, if present.
    pub fn string_list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|a| {
            a.strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
    }

    /// Tensor attribute `name`, if present, read (external data relative to `base`).
    pub fn tensor(&self, name: &str, base: &Path) -> Result<Option<Tensor>> {
        self.get(name)
            .and_then(|a| a.t.as_ref())
            .map(|t| {
                read_tensor(
                    t,
                    base,
                    &format!("{}: node `{}`", self.file, node_label(self.node)),
                )
            })
            .transpose()
    }

    /// Whether attribute `name` is given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}
