//! SGD with momentum, Nesterov momentum and (coupled) weight decay, as PyTorch's `torch.optim.SGD`
//! (candle-nn's SGD has neither momentum nor weight decay):
//! g = grad + wd p; b = mu b + (1 - dampening) g (b = g at the first step);
//! d = g + mu b (Nesterov) or b; p = p - lr d.

use crate::experiment::optimizer::SgdConfig;
use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use candle_nn::Optimizer;

/// One SGD step of `var` with gradient `grad` and momentum buffer `buf` at learning rate `lr`
/// and weight decay `weight_decay` (module header).
pub fn sgd_update(
    var: &Var,
    grad: &Tensor,
    buf: &mut Option<Tensor>,
    c: &SgdConfig,
    lr: f64,
    weight_decay: f64,
) -> Result<()> {
    // Detached: an update built from the variable's tensor would record the operation, and the
    // momentum buffer would then hold every earlier step's buffer alive through it (a few
    // parameter-sized tensors more every step).
    let w = var.as_tensor().detach();
    let mut g = grad.detach();
    if weight_decay != 0.0 {
        g = (g + (&w * weight_decay)?)?;
    }
    if c.momentum != 0.0 {
        let b = match buf.take() {
            Some(b) => ((b * c.momentum)? + (&g * (1.0 - c.dampening))?)?,
            None => g.clone(),
        };
        g = if c.nesterov {
            (g + (&b * c.momentum)?)?
        } else {
            b.clone()
        };
        *buf = Some(b);
    }
    var.set(&(w - (g * lr)?)?)
}

/// SGD with momentum over a set of variables.
#[derive(Debug)]
pub struct SgdMomentum {
    vars: Vec<(Var, Option<Tensor>)>,
    config: SgdConfig,
}

impl Optimizer for SgdMomentum {
    type Config = SgdConfig;

    fn new(vars: Vec<Var>, config: SgdConfig) -> Result<Self> {
        if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
            candle_core::bail!("Nesterov momentum needs momentum > 0 and zero dampening");
        }
        Ok(Self {
            vars: vars.into_iter().map(|v| (v, None)).collect(),
            config,
        })
    }

    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let c = self.config;
        for (var, buf) in self.vars.iter_mut() {
            let Some(grad) = grads.get(var) else { continue };
            sgd_update(var, grad, buf, &c, c.lr, c.weight_decay)?;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Three steps on loss = sum(p^2 / 2) (gradient p) from p = 1, computed by hand with
    /// PyTorch's rules: lr 0.1, momentum 0.9, weight decay 0.1.
    #[test]
    // 0.6931 below is the hand-computed second iterate, not ln 2.
    #[allow(clippy::approx_constant)]
    fn matches_hand_computed_updates() -> Result<()> {
        for (nesterov, expected) in [
            // g = 1.1 p. Plain momentum: b1 = 1.1, p1 = 0.89; g2 = 0.979, b2 = 1.969, p2 = 0.6931;
            // g3 = 0.76241, b3 = 2.53451, p3 = 0.439649.
            (false, [0.89, 0.6931, 0.439_649]),
            // Nesterov: d = g + 0.9 b. Step 1: d = 2.09, p1 = 0.791; g2 = 0.8701, b2 = 1.8601,
            // d = 2.54419, p2 = 0.5365810; g3 = 0.59023910, b3 = 2.26432910, d = 2.62813529,
            // p3 = 0.27376747.
            (true, [0.791, 0.536_581, 0.273_767_47]),
        ] {
            let p = Var::new(&[1.0f32], &Device::Cpu)?;
            let mut opt = SgdMomentum::new(
                vec![p.clone()],
                SgdConfig {
                    lr: 0.1,
                    momentum: 0.9,
                    dampening: 0.0,
                    weight_decay: 0.1,
                    nesterov,
                },
            )?;
            for e in expected {
                let loss = (p.as_tensor().sqr()? * 0.5)?.sum_all()?;
                opt.backward_step(&loss)?;
                let v = p.as_tensor().to_vec1::<f32>()?[0] as f64;
                assert!((v - e).abs() < 1e-6, "nesterov {nesterov}: {v} vs {e}");
            }
        }
        Ok(())
    }

    #[test]
    fn refuses_nesterov_without_momentum() {
        let cfg = SgdConfig {
            momentum: 0.0,
            ..SgdConfig::default()
        };
        assert!(SgdMomentum::new(vec![], cfg).is_err());
    }
}
