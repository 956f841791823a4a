//! A VarBuilder backend that hands out zero tensors (broadcast views: no memory) and records every
//! parameter's name and shape: how `aimc map` builds a model from its definition without weights.

use candle_core::{DType, Device, Result, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use std::sync::{Arc, Mutex};

/// The recorded parameters, shared with the builder.
pub type ParamLog = Arc<Mutex<Vec<(String, Vec<usize>)>>>;

/// Records parameters and returns zeros.
pub struct ShapeRecorder {
    pub log: ParamLog,
}

impl SimpleBackend for ShapeRecorder {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _h: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> Result<Tensor> {
        let mut log = self.log.lock().expect("lock");
        if !log.iter().any(|(n, _)| n == name) {
            log.push((name.to_string(), s.dims().to_vec()));
        }
        Tensor::zeros((), dtype, dev)?.broadcast_as(s)
    }

    fn get_unchecked(&self, name: &str, _dtype: DType, _dev: &Device) -> Result<Tensor> {
        candle_core::bail!("shape recorder: {name} requested without a shape")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}
