//! An LSTM layer with its tiles' periphery as an ONNX Scan (`aimc export --periphery` of the
//! LSTM language model, issue 18): the ONNX LSTM operator computes its products inside, where no
//! periphery can be written, so the layer is written as aimc's `AnalogLstm::forward_t` computes
//! it: the input products of all steps through the input matrix's tiles (`write_periphery.rs`)
//! plus b_ih, then a Scan over time whose body takes the recurrent product h W_hh^T through the
//! recurrent matrix's tiles plus b_hh, adds the step's input product and forms the gates i, f,
//! g, o (Gather of each quarter), c = f c + i g, h = o tanh(c), from zero states. aimc's own
//! importer does not run Scan; the ONNX reference evaluator and onnxruntime do.

use super::proto::attribute_proto::AttributeType;
use super::proto::{AttributeProto, GraphProto};
use super::write::{GraphWriter, int, value_info};
use super::write_periphery::Product;
use crate::error::Result;
use crate::nn::AnalogLstm;
use candle_core::{Device, Tensor};

impl GraphWriter {
    /// `x` [T, B, in] through LSTM layer `l` with its tiles' periphery: [T, B, hidden], from
    /// zero states; `layer` numbers the Scan's body.
    pub(super) fn lstm_periphery(
        &mut self,
        x: &str,
        l: &AnalogLstm,
        layer: usize,
    ) -> Result<String> {
        let (w_ih, _, b_ih, _) = l.parts();
        let h = l.hidden();
        let cpu = Device::Cpu;
        let xs = self.tiles(x, w_ih, &Product::Linear)?;
        let b = self.init(&format!("{}.bias", w_ih.name()), b_ih)?;
        let xs = self.node("Add", &[&xs, &b], vec![]);
        // Zero states [B, hidden]: the first step's inputs times a zero matrix.
        let zero = self.init_i64("zero", &Tensor::new(0i64, &cpu)?)?;
        let x0 = self.node("Gather", &[x, &zero], vec![int("axis", 0)]);
        let inputs = w_ih.weight().dim(1)?;
        let z = self.init(
            "zero_state",
            &Tensor::zeros((inputs, h), candle_core::DType::F32, &cpu)?,
        )?;
        let h0 = self.node("MatMul", &[&x0, &z], vec![]);
        // Its own value for c (the reference evaluator's Scan maps its inputs by name).
        let c0 = self.node("Identity", &[&h0], vec![]);
        let body = self.scan_body(l, layer)?;
        let attrs = vec![
            AttributeProto {
                name: Some("body".into()),
                r#type: Some(AttributeType::Graph as i32),
                g: Some(body),
                ..Default::default()
            },
            int("num_scan_inputs", 1),
        ];
        let outputs = self.node_outputs("Scan", &[&h0, &c0, &xs], 3, attrs);
        Ok(outputs[2].clone())
    }

    /// The Scan body of one step: (h, c, the step's input product) -> (h, c, h).
    fn scan_body(&self, l: &AnalogLstm, layer: usize) -> Result<GraphProto> {
        let (_, w_hh, _, b_hh) = l.parts();
        let h = l.hidden();
        let cpu = Device::Cpu;
        let prefix = format!("lstm{layer}.step.");
        let mut w = GraphWriter::for_graph(super::write::OPSET, &prefix);
        w.write_periphery();
        let (h_in, c_in, x_in) = (
            format!("{prefix}h_in"),
            format!("{prefix}c_in"),
            format!("{prefix}x_in"),
        );
        let r = w.tiles(&h_in, w_hh, &Product::Linear)?;
        let b = w.init(&format!("{}.bias", w_hh.name()), b_hh)?;
        let r = w.node("Add", &[&r, &b], vec![]);
        let gates = w.node("Add", &[&x_in, &r], vec![]);
        let quarter = |w: &mut GraphWriter, k: usize| -> Result<String> {
            let idx: Vec<i64> = (k * h..(k + 1) * h).map(|v| v as i64).collect();
            let idx = w.init_i64("gate", &Tensor::new(idx.as_slice(), &cpu)?)?;
            Ok(w.node("Gather", &[&gates, &idx], vec![int("axis", 1)]))
        };
        let (i, f, g, o) = (
            quarter(&mut w, 0)?,
            quarter(&mut w, 1)?,
            quarter(&mut w, 2)?,
            quarter(&mut w, 3)?,
        );
        let i = w.node("Sigmoid", &[&i], vec![]);
        let f = w.node("Sigmoid", &[&f], vec![]);
        let g = w.node("Tanh", &[&g], vec![]);
        let o = w.node("Sigmoid", &[&o], vec![]);
        let fc = w.node("Mul", &[&f, &c_in], vec![]);
        let ig = w.node("Mul", &[&i, &g], vec![]);
        let c = w.node("Add", &[&fc, &ig], vec![]);
        let tc = w.node("Tanh", &[&c], vec![]);
        let h_out = w.node("Mul", &[&o, &tc], vec![]);
        let y = w.node("Identity", &[&h_out], vec![]);
        let state = [None, Some(h)];
        Ok(w.into_graph(
            &format!("lstm{layer}_step"),
            vec![
                value_info(&h_in, &state),
                value_info(&c_in, &state),
                value_info(&x_in, &[None, Some(4 * h)]),
            ],
            vec![
                value_info(&h_out, &state),
                value_info(&c, &state),
                value_info(&y, &state),
            ],
        ))
    }
}
