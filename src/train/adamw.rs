//! AdamW (Loshchilov & Hutter), as PyTorch's `torch.optim.AdamW`:
//! p = p (1 - lr wd); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//! p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).

use crate::experiment::optimizer::AdamWConfig;
use candle_core::{Result, Tensor, Var};

/// The moment estimates of one variable.
#[derive(Debug, Clone)]
pub struct AdamWState {
    pub m: Tensor,
    pub v: Tensor,
}

/// Step `t` (from 1) of AdamW on `var` with gradient `grad` (module header).
pub fn adamw_update(
    var: &Var,
    grad: &Tensor,
    state: &mut Option<AdamWState>,
    c: &AdamWConfig,
    lr: f64,
    weight_decay: f64,
    t: u64,
) -> Result<()> {
    let (m, v) = match state.take() {
        Some(s) => (s.m, s.v),
        None => (grad.zeros_like()?, grad.zeros_like()?),
    };
    let m = ((m * c.beta1)? + (grad * (1.0 - c.beta1))?)?;
    let v = ((v * c.beta2)? + (grad.sqr()? * (1.0 - c.beta2))?)?;
    let m_hat = (&m / (1.0 - c.beta1.powi(t as i32)))?;
    let v_hat = (&v / (1.0 - c.beta2.powi(t as i32)))?;
    let p = (var.as_tensor() * (1.0 - lr * weight_decay))?;
    let update = (m_hat / (v_hat.sqrt()? + c.eps)?)?;
    var.set(&(p - (update * lr)?)?)?;
    *state = Some(AdamWState { m, v });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Two steps on loss = p^2 / 2 (gradient p) from p = 1 with lr 0.1, wd 0.1, eps 0, computed
    /// by hand: step 1: p = 0.99; m = 0.1, v = 0.001, m^ = 1, v^ = 1, p = 0.89.
    /// Step 2: g = 0.89, p = 0.8811; m = 0.179, v = 0.0017911, m^ = 0.179/0.19 = 0.9421053,
    /// v^ = 0.0017911/0.001999 = 0.8959980, update = 0.9421053/0.9465716, p = 0.7815719.
    #[test]
    fn matches_hand_computed_updates() -> Result<()> {
        let p = Var::new(&[1.0f32], &Device::Cpu)?;
        let c = AdamWConfig {
            lr: 0.1,
            eps: 0.0,
            weight_decay: 0.1,
            ..AdamWConfig::default()
        };
        let mut state = None;
        for (t, expected) in [(1, 0.89), (2, 0.781_571_9)] {
            let g = p.as_tensor().clone();
            adamw_update(&p, &g, &mut state, &c, c.lr, c.weight_decay, t)?;
            let v = p.as_tensor().to_vec1::<f32>()?[0] as f64;
            assert!((v - expected).abs() < 2e-6, "step {t}: {v} vs {expected}");
        }
        Ok(())
    }
}
