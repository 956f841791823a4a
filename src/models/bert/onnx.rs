//! BERT written as ONNX (`aimc export`, issue 18): token ids `input` [B, T] and
//! `attention_mask` [B, T] (int64; 1 = token, 0 = padding) to class logits [B, labels], with
//! the weights as they act (`onnx/write.rs`). The same arithmetic as [`BertClassifier`]'s
//! inference pass, in standard ops of opset 13: embeddings and the mask by Gather (the mask's
//! values index the two-entry tables of the additive mask and of the mean's weights), positions
//! by Shape, Gather and Range, LayerNorm from ReduceMean, Sub, Mul, Add, Sqrt and Div, GELU from
//! Erf, attention from Reshape, Transpose, MatMul and Softmax, mean pooling from ReduceSum.

use super::{BertClassifier, Layer, LayerNorm, Pooling};
use crate::error::Result;
use crate::onnx::write::{GraphWriter, int, ints};
use candle_core::{Device, Tensor};

impl LayerNorm {
    /// `x` [..., H] normalised over its last axis as candle's `layer_norm_slow` computes it.
    fn write(&self, w: &mut GraphWriter, x: &str) -> Result<String> {
        let mean = w.node("ReduceMean", &[x], vec![ints("axes", &[-1])]);
        let d = w.node("Sub", &[x, &mean], vec![]);
        let sq = w.node("Mul", &[&d, &d], vec![]);
        let var = w.node("ReduceMean", &[&sq], vec![ints("axes", &[-1])]);
        let eps = w.init("layer_norm.eps", &Tensor::new(self.eps, &Device::Cpu)?)?;
        let var = w.node("Add", &[&var, &eps], vec![]);
        let std = w.node("Sqrt", &[&var], vec![]);
        let normed = w.node("Div", &[&d, &std], vec![]);
        let weight = w.init("layer_norm.weight", &self.weight)?;
        let bias = w.init("layer_norm.bias", &self.bias)?;
        let scaled = w.node("Mul", &[&normed, &weight], vec![]);
        Ok(w.node("Add", &[&scaled, &bias], vec![]))
    }
}

impl Layer {
    /// `x` [B, T, H] through the layer, with the additive mask `additive` [B, 1, 1, T].
    fn write(&self, w: &mut GraphWriter, x: &str, additive: &str) -> Result<String> {
        let h = self.query.matrix().matrix_size().1;
        let hd = h / self.heads;
        let heads_shape = w.init_i64(
            "heads_shape",
            &Tensor::new(&[0i64, 0, self.heads as i64, hd as i64], &Device::Cpu)?,
        )?;
        let split = |w: &mut GraphWriter, y: &str, perm: &[i64]| {
            let y = w.node("Reshape", &[y, &heads_shape], vec![]);
            w.node("Transpose", &[&y], vec![ints("perm", perm)])
        };
        let q = w.linear_nd(x, &self.query)?;
        let q = split(w, &q, &[0, 2, 1, 3]);
        let k = w.linear_nd(x, &self.key)?;
        let k_t = split(w, &k, &[0, 2, 3, 1]);
        let v = w.linear_nd(x, &self.value)?;
        let v = split(w, &v, &[0, 2, 1, 3]);
        let scores = w.node("MatMul", &[&q, &k_t], vec![]);
        // candle divides by a float as a multiplication by its inverse.
        let inv = (1.0 / (hd as f64).sqrt()) as f32;
        let inv = w.init("attention.scale", &Tensor::new(inv, &Device::Cpu)?)?;
        let scores = w.node("Mul", &[&scores, &inv], vec![]);
        let scores = w.node("Add", &[&scores, additive], vec![]);
        let probs = w.node("Softmax", &[&scores], vec![int("axis", -1)]);
        let ctx = w.node("MatMul", &[&probs, &v], vec![]);
        let ctx = w.node("Transpose", &[&ctx], vec![ints("perm", &[0, 2, 1, 3])]);
        let merged = w.init_i64(
            "hidden_shape",
            &Tensor::new(&[0i64, 0, h as i64], &Device::Cpu)?,
        )?;
        let ctx = w.node("Reshape", &[&ctx, &merged], vec![]);
        let a = w.linear_nd(&ctx, &self.attn_out)?;
        let sum = w.node("Add", &[&a, x], vec![]);
        let x = self.attn_ln.write(w, &sum)?;
        let f = w.linear_nd(&x, &self.intermediate)?;
        let f = gelu(w, &f)?;
        let f = w.linear_nd(&f, &self.output)?;
        let sum = w.node("Add", &[&f, &x], vec![]);
        self.out_ln.write(w, &sum)
    }
}

/// GELU with the error function: 0.5 x (1 + erf(x / sqrt 2)).
fn gelu(w: &mut GraphWriter, x: &str) -> Result<String> {
    let c = |w: &mut GraphWriter, hint: &str, v: f32| w.init(hint, &Tensor::new(v, &Device::Cpu)?);
    let sqrt2 = c(w, "gelu.sqrt2", std::f32::consts::SQRT_2)?;
    let (one, half) = (c(w, "gelu.one", 1.0)?, c(w, "gelu.half", 0.5)?);
    let e = w.node("Div", &[x, &sqrt2], vec![]);
    let e = w.node("Erf", &[&e], vec![]);
    let e = w.node("Add", &[&e, &one], vec![]);
    let e = w.node("Mul", &[&e, &half], vec![]);
    Ok(w.node("Mul", &[&e, x], vec![]))
}

impl BertClassifier {
    /// The inference pass from token ids `ids` (the graph's input) and the second graph input
    /// `attention_mask`; returns the logits' value.
    pub(super) fn write(&self, w: &mut GraphWriter, ids: &str) -> Result<String> {
        let cpu = Device::Cpu;
        w.input_tokens();
        let mask = w.extra_token_input("attention_mask", &[None, None]);
        let word = w.embedding(ids, self.word.embeddings())?;
        // Positions 0 .. T of T = the ids' second dimension.
        let shape = w.node("Shape", &[ids], vec![]);
        let zero = w.init_i64("zero", &Tensor::new(0i64, &cpu)?)?;
        let one = w.init_i64("one", &Tensor::new(1i64, &cpu)?)?;
        let t = w.node("Gather", &[&shape, &one], vec![]);
        let positions = w.node("Range", &[&zero, &t, &one], vec![]);
        let position = w.embedding(&positions, self.position.embeddings())?;
        // Token type 0 throughout.
        let token_type = self.token_type.embeddings().get(0)?;
        let token_type = w.init("token_type", &token_type)?;
        let e = w.node("Add", &[&word, &position], vec![]);
        let e = w.node("Add", &[&e, &token_type], vec![]);
        let mut x = self.emb_ln.write(w, &e)?;
        // (1 - mask) * -10000 as [B, 1, 1, T]: the mask's value picks a table entry.
        let table = w.init("mask_table", &Tensor::new(&[-10000f32, 0.0], &cpu)?)?;
        let additive = w.node("Gather", &[&table, &mask], vec![]);
        let axes = w.init_i64("axes", &Tensor::new(&[1i64, 2], &cpu)?)?;
        let additive = w.node("Unsqueeze", &[&additive, &axes], vec![]);
        for layer in &self.layers {
            x = layer.write(w, &x, &additive)?;
        }
        let pooled = match self.pooling {
            Pooling::Cls => {
                let cls = w.node("Gather", &[&x, &zero], vec![int("axis", 1)]);
                let p = w.linear(&cls, &self.pooler)?;
                w.node("Tanh", &[&p], vec![])
            }
            Pooling::Mean => {
                let table = w.init("mean_table", &Tensor::new(&[0f32, 1.0], &cpu)?)?;
                let m = w.node("Gather", &[&table, &mask], vec![]);
                let axis2 = w.init_i64("axes", &Tensor::new(&[2i64], &cpu)?)?;
                let m = w.node("Unsqueeze", &[&m, &axis2], vec![]);
                let weighted = w.node("Mul", &[&x, &m], vec![]);
                let axis1 = w.init_i64("axes", &Tensor::new(&[1i64], &cpu)?)?;
                let keep = int("keepdims", 0);
                let sum = w.node("ReduceSum", &[&weighted, &axis1], vec![keep.clone()]);
                let count = w.node("ReduceSum", &[&m, &axis1], vec![keep]);
                let floor = w.init("mean.floor", &Tensor::new(1e-9f32, &cpu)?)?;
                let count = w.node("Clip", &[&count, &floor], vec![]);
                w.node("Div", &[&sum, &count], vec![])
            }
        };
        w.linear(&pooled, &self.classifier)
    }
}
