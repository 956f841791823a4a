//! The ONNX LSTM operator in floating point (forward, reverse or bidirectional; optional bias,
//! initial states and peepholes; `layout` 0 or 1), with the operator's default activations
//! (sigmoid, tanh, tanh) and gate order i, o, f, c:
//! i = σ(x Wi^T + h Ri^T + Pi ⊙ c + Wbi + Rbi), f = σ(x Wf^T + h Rf^T + Pf ⊙ c + Wbf + Rbf),
//! g = tanh(x Wc^T + h Rc^T + Wbc + Rbc), c' = f ⊙ c + i ⊙ g,
//! o = σ(x Wo^T + h Ro^T + Po ⊙ c' + Wbo + Rbo), h' = o ⊙ tanh(c').
//! Other activations, `clip`, `input_forget` and partial `sequence_lens` are refused by name.
//! The matrix products x W^T and h R^T are the caller's ([`lstm_with`]): floating point here, a
//! tile's in an imported graph on tiles.

use super::attributes::Attributes;
use crate::error::{Error, Result};
use candle_core::{D, Tensor};

/// The matrix products of an LSTM node: for direction `d`, x W_d^T (`recurrent` false, x
/// [rows, input]) or h R_d^T (`recurrent` true, h [batch, hidden]).
pub type Products<'a> = &'a dyn Fn(usize, bool, &Tensor) -> candle_core::Result<Tensor>;

/// Outputs Y [seq, directions, batch, hidden] (layout 1: [batch, seq, directions, hidden]),
/// Y_h and Y_c [directions, batch, hidden] (layout 1: [batch, directions, hidden]), with the
/// products in floating point.
pub fn lstm(inputs: &[Option<Tensor>], a: &Attributes) -> Result<Vec<Tensor>> {
    let (Some(Some(w)), Some(Some(r))) = (inputs.get(1), inputs.get(2)) else {
        return Err(a.error("inputs X, W and R are required"));
    };
    let (dirs, four_h, _) = w.dims3().map_err(|e| a.error(Error::from(e)))?;
    lstm_with(inputs, a, (dirs, four_h / 4), &|d, recurrent, v| {
        let m = if recurrent { r } else { w };
        v.matmul(&m.get(d)?.t()?)
    })
}

/// [`lstm`] of `directions` directions of `hidden` units with the matrix products of
/// `products` (inputs W and R are not read).
pub fn lstm_with(
    inputs: &[Option<Tensor>],
    a: &Attributes,
    (dirs, h): (usize, usize),
    products: Products,
) -> Result<Vec<Tensor>> {
    let t = |e: candle_core::Error| a.error(Error::from(e));
    let get = |i: usize| inputs.get(i).and_then(Option::as_ref);
    let refuse = |what: &str| a.error(format!("{what} is not supported"));
    if let Some(acts) = a.string_list("activations")
        && acts != ["Sigmoid", "Tanh", "Tanh"].repeat(acts.len() / 3)
    {
        return Err(refuse(&format!("activations {acts:?}")));
    }
    if a.has("clip") {
        return Err(refuse("`clip`"));
    }
    if a.int("input_forget", 0) != 0 {
        return Err(refuse("`input_forget`"));
    }
    let layout = a.int("layout", 0);
    let Some(x) = get(0) else {
        return Err(a.error("input X is required"));
    };
    let x = if layout == 1 {
        x.transpose(0, 1).map_err(t)?
    } else {
        x.clone()
    };
    let (seq, batch, _) = x.dims3().map_err(t)?;
    let four_h = 4 * h;
    if let Some(lens) = get(4) {
        let lens = lens
            .flatten_all()
            .and_then(|l| l.to_dtype(candle_core::DType::I64))
            .and_then(|l| l.to_vec1::<i64>())
            .map_err(t)?;
        if lens.iter().any(|&l| l != seq as i64) {
            return Err(refuse("`sequence_lens` shorter than the sequence"));
        }
    }
    let direction = a.string("direction").unwrap_or_else(|| "forward".into());
    let reverse: Vec<bool> = match (direction.as_str(), dirs) {
        ("forward", 1) => vec![false],
        ("reverse", 1) => vec![true],
        ("bidirectional", 2) => vec![false, true],
        (d, n) => {
            return Err(a.error(format!("direction `{d}` with weights for {n} directions")));
        }
    };
    let state = |i: usize| -> Result<Option<Tensor>> {
        match get(i) {
            Some(s) if layout == 1 => Ok(Some(s.transpose(0, 1).map_err(t)?)),
            s => Ok(s.cloned()),
        }
    };
    let (h0, c0) = (state(5)?, state(6)?);
    let zeros = Tensor::zeros((batch, h), x.dtype(), x.device()).map_err(t)?;
    let (mut ys, mut hs, mut cs) = (Vec::new(), Vec::new(), Vec::new());
    for (d, &rev) in reverse.iter().enumerate() {
        let bias = match get(3) {
            Some(b) => {
                let b = b.get(d).map_err(t)?;
                (b.narrow(0, 0, four_h).map_err(t)? + b.narrow(0, four_h, four_h).map_err(t)?)
                    .map_err(t)?
            }
            None => Tensor::zeros(four_h, x.dtype(), x.device()).map_err(t)?,
        };
        let peep = |k: usize| -> Result<Option<Tensor>> {
            get(7)
                .map(|p| p.get(d).and_then(|p| p.narrow(0, k * h, h)).map_err(t))
                .transpose()
        };
        let (pi, po, pf) = (peep(0)?, peep(1)?, peep(2)?);
        let mut hh = match &h0 {
            Some(s) => s.get(d).map_err(t)?,
            None => zeros.clone(),
        };
        let mut cc = match &c0 {
            Some(s) => s.get(d).map_err(t)?,
            None => zeros.clone(),
        };
        let xw = x
            .reshape((seq * batch, x.dim(2).map_err(t)?))
            .and_then(|v| products(d, false, &v))
            .and_then(|v| v.broadcast_add(&bias))
            .and_then(|v| v.reshape((seq, batch, four_h)))
            .map_err(t)?;
        let mut out = vec![None; seq];
        let steps: Vec<usize> = if rev {
            (0..seq).rev().collect()
        } else {
            (0..seq).collect()
        };
        let with_peep = |g: Tensor, p: &Option<Tensor>, c: &Tensor| -> Result<Tensor> {
            match p {
                Some(p) => (g + c.broadcast_mul(p).map_err(t)?).map_err(t),
                None => Ok(g),
            }
        };
        for s in steps {
            let gates = (xw.get(s).map_err(t)? + products(d, true, &hh).map_err(t)?).map_err(t)?;
            let gate = |k: usize| gates.narrow(D::Minus1, k * h, h).map_err(t);
            let i = candle_nn::ops::sigmoid(&with_peep(gate(0)?, &pi, &cc)?).map_err(t)?;
            let f = candle_nn::ops::sigmoid(&with_peep(gate(2)?, &pf, &cc)?).map_err(t)?;
            let g = gate(3)?.tanh().map_err(t)?;
            cc = ((f * &cc).map_err(t)? + (i * g).map_err(t)?).map_err(t)?;
            let o = candle_nn::ops::sigmoid(&with_peep(gate(1)?, &po, &cc)?).map_err(t)?;
            hh = (o * cc.tanh().map_err(t)?).map_err(t)?;
            out[s] = Some(hh.clone());
        }
        let out: Vec<Tensor> = out.into_iter().flatten().collect();
        ys.push(Tensor::stack(&out, 0).map_err(t)?);
        hs.push(hh);
        cs.push(cc);
    }
    let y = Tensor::stack(&ys, 1).map_err(t)?;
    let (yh, yc) = (
        Tensor::stack(&hs, 0).map_err(t)?,
        Tensor::stack(&cs, 0).map_err(t)?,
    );
    if layout == 1 {
        Ok(vec![
            y.permute((2, 0, 1, 3)).map_err(t)?,
            yh.transpose(0, 1).map_err(t)?,
            yc.transpose(0, 1).map_err(t)?,
        ])
    } else {
        Ok(vec![y, yh, yc])
    }
}
