//! ONNX tensors (`TensorProto`) as numbers: the element types a network's weights and shape
//! constants come in (float, double, float16, bfloat16, integers, bool), from their typed fields,
//! their little-endian `raw_data`, or an external data file beside the model (`location`,
//! `offset`, `length` of `external_data`). Floating types become f32, integer types i64.

use super::proto::TensorProto;
use super::proto::tensor_proto::{DataLocation, DataType};
use crate::error::{Error, Result};
use std::path::Path;

/// The numbers of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// float, double, float16, bfloat16.
    F32(Vec<f32>),
    /// int8 to int64, uint8 to uint32, bool.
    I64(Vec<i64>),
}

/// A tensor: its shape and numbers (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub data: TensorData,
}

impl Tensor {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numbers as f32 (integers converted).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The numbers as i64 (floats truncated toward zero).
    pub fn to_i64(&self) -> Vec<i64> {
        match &self.data {
            TensorData::F32(v) => v.iter().map(|&x| x as i64).collect(),
            TensorData::I64(v) => v.clone(),
        }
    }
}

/// The most elements a tensor of a model may have (2^31): beyond, a shape is taken for a
/// malformed file rather than allocated.
pub const MAX_ELEMENTS: usize = 1 << 31;

/// The number of elements of `dims`, if at most [`MAX_ELEMENTS`].
pub fn element_count(dims: &[usize]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
}

/// The element type of `t`, named for messages.
fn type_name(code: i32) -> String {
    DataType::try_from(code)
        .map(|d| d.as_str_name().to_lowercase())
        .unwrap_or_else(|_| format!("data type {code}"))
}

/// Reads `t` (`what` names it in messages, e.g. `model.onnx: initializer conv1.weight`);
/// external data is read relative to `base` (the model's directory).
pub fn read_tensor(t: &TensorProto, base: &Path, what: &str) -> Result<Tensor> {
    let bad = |m: String| Error::data(what, m);
    let dims = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}"))))
        .collect::<Result<Vec<usize>>>()?;
    let n = element_count(&dims)
        .ok_or_else(|| bad(format!("shape {dims:?}: more than {MAX_ELEMENTS} elements")))?;
    let external = t.data_location == Some(DataLocation::External as i32);
    let raw: Option<Vec<u8>> = if external {
        Some(read_external(t, base, what)?)
    } else {
        t.raw_data.clone().filter(|r| !r.is_empty())
    };
    let code = t.data_type.unwrap_or(0);
    let data_type =
        DataType::try_from(code).map_err(|_| bad(format!("unknown data type {code}")))?;
    let name = type_name(code);
    let data = match raw {
        Some(bytes) => from_raw(data_type, &bytes, n, &name).map_err(bad)?,
        None => from_fields(t, data_type, &name).map_err(bad)?,
    };
    let tensor = Tensor { dims, data };
    if tensor.len() != n {
        return Err(bad(format!(
            "{} values for shape {:?} ({n} expected)",
            tensor.len(),
            tensor.dims
        )));
    }
    Ok(tensor)
}

/// The bytes of an externally stored tensor: `location` relative to `base`, from `offset`,
/// `length` bytes (the rest of the file when absent).
fn read_external(t: &TensorProto, base: &Path, what: &str) -> Result<Vec<u8>> {
    let get = |key: &str| {
        t.external_data
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .and_then(|e| e.value.clone())
    };
    let location = get("location")
        .ok_or_else(|| Error::data(what, "stored externally but names no `location`"))?;
    if Path::new(&location).is_absolute() || location.split(['/', '\\']).any(|p| p == "..") {
        return Err(Error::data(
            what,
            format!("external data `{location}`: expected a path inside the model's directory"),
        ));
    }
    let number = |key: &str| -> Result<Option<usize>> {
        get(key)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    Error::data(
                        what,
                        format!("external data `{key}`: expected a number, found `{v}`"),
                    )
                })
            })
            .transpose()
    };
    let path = base.join(&location);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let offset = number("offset")?.unwrap_or(0);
    let end = match number("length")? {
        Some(len) => offset.checked_add(len),
        None => Some(bytes.len()),
    };
    match end {
        Some(end) if offset <= end && end <= bytes.len() => Ok(bytes[offset..end].to_vec()),
        _ => Err(Error::data(
            path.display(),
            format!(
                "{what}: external data from byte {offset} past the end of the file ({} bytes)",
                bytes.len()
            ),
        )),
    }
}

/// Numbers from little-endian `raw` bytes of `n` elements.
fn from_raw(
    t: DataType,
    raw: &[u8],
    n: usize,
    name: &str,
) -> std::result::Result<TensorData, String> {
    let size = match t {
        DataType::Float | DataType::Int32 | DataType::Uint32 => 4,
        DataType::Double | DataType::Int64 | DataType::Uint64 => 8,
        DataType::Float16 | DataType::Bfloat16 | DataType::Int16 | DataType::Uint16 => 2,
        DataType::Int8 | DataType::Uint8 | DataType::Bool => 1,
        _ => return Err(format!("{name} tensors are not supported")),
    };
    if raw.len() != n * size {
        return Err(format!(
            "raw data of {} bytes for {n} {name} values ({} bytes expected)",
            raw.len(),
            n * size
        ));
    }
    let words = raw.chunks_exact(size);
    Ok(match t {
        DataType::Float => TensorData::F32(
            words
                .map(|w| f32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect(),
        ),
        DataType::Double => TensorData::F32(
            words
                .map(|w| f64::from_le_bytes(w.try_into().expect("8 bytes")) as f32)
                .collect(),
        ),
        DataType::Float16 => TensorData::F32(
            words
                .map(|w| half::f16::from_le_bytes([w[0], w[1]]).to_f32())
                .collect(),
        ),
        DataType::Bfloat16 => TensorData::F32(
            words
                .map(|w| half::bf16::from_le_bytes([w[0], w[1]]).to_f32())
                .collect(),
        ),
        DataType::Int64 | DataType::Uint64 => TensorData::I64(
            words
                .map(|w| i64::from_le_bytes(w.try_into().expect("8 bytes")))
                .collect(),
        ),
        DataType::Int32 => TensorData::I64(
            words
                .map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]]) as i64)
                .collect(),
        ),
        DataType::Uint32 => TensorData::I64(
            words
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as i64)
                .collect(),
        ),
        DataType::Int16 => TensorData::I64(
            words
                .map(|w| i16::from_le_bytes([w[0], w[1]]) as i64)
                .collect(),
        ),
        DataType::Uint16 => TensorData::I64(
            words
                .map(|w| u16::from_le_bytes([w[0], w[1]]) as i64)
                .collect(),
        ),
        DataType::Int8 => TensorData::I64(words.map(|w| w[0] as i8 as i64).collect()),
        DataType::Uint8 | DataType::Bool => TensorData::I64(words.map(|w| w[0] as i64).collect()),
        _ => unreachable!("sizes above"),
    })
}

/// Numbers from the typed fields of `t`.
fn from_fields(
    t: &TensorProto,
    data_type: DataType,
    name: &str,
) -> std::result::Result<TensorData, String> {
    Ok(match data_type {
        DataType::Float => TensorData::F32(t.float_data.clone()),
        DataType::Double => TensorData::F32(t.double_data.iter().map(|&v| v as f32).collect()),
        DataType::Float16 => TensorData::F32(
            t.int32_data
                .iter()
                .map(|&v| half::f16::from_bits(v as u16).to_f32())
                .collect(),
        ),
        DataType::Bfloat16 => TensorData::F32(
            t.int32_data
                .iter()
                .map(|&v| half::bf16::from_bits(v as u16).to_f32())
                .collect(),
        ),
        DataType::Int64 => TensorData::I64(t.int64_data.clone()),
        DataType::Uint64 | DataType::Uint32 => {
            TensorData::I64(t.uint64_data.iter().map(|&v| v as i64).collect())
        }
        DataType::Int32
        | DataType::Int16
        | DataType::Int8
        | DataType::Uint16
        | DataType::Uint8
        | DataType::Bool => TensorData::I64(t.int32_data.iter().map(|&v| v as i64).collect()),
        _ => return Err(format!("{name} tensors are not supported")),
    })
}
