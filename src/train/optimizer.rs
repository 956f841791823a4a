//! The optimiser of a training stage: SGD (momentum, Nesterov, weight decay) or AdamW over named
//! parameters, each with its own learning-rate factor (the crossbar-aware sqrt(3/n_in) scaling
//! of physics.md section 5) and weight-decay switch; its state can be saved and restored so
//! that a resumed run continues exactly.

use super::adamw::{AdamWState, adamw_update};
use super::sgd::sgd_update;
use crate::experiment::optimizer::OptimizerConfig;
use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use std::collections::HashMap;

/// A trained parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub var: Var,
    /// Multiplies the learning rate.
    pub lr_scale: f64,
    /// Whether weight decay applies.
    pub decay: bool,
}

/// The optimiser over a list of parameters.
#[derive(Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    params: Vec<Param>,
    momentum: Vec<Option<Tensor>>,
    adam: Vec<Option<AdamWState>>,
    steps: u64,
}

impl Optimizer {
    /// An optimiser with fresh state.
    pub fn new(config: OptimizerConfig, params: Vec<Param>) -> Result<Self> {
        if let OptimizerConfig::Sgd(c) = config
            && c.nesterov
            && (c.momentum <= 0.0 || c.dampening != 0.0)
        {
            candle_core::bail!("Nesterov momentum needs momentum > 0 and zero dampening");
        }
        let n = params.len();
        Ok(Self {
            config,
            params,
            momentum: vec![None; n],
            adam: vec![None; n],
            steps: 0,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One update at learning rate `lr` (times each parameter's factor).
    pub fn step(&mut self, grads: &GradStore, lr: f64) -> Result<()> {
        self.steps += 1;
        for (k, p) in self.params.iter().enumerate() {
            let Some(g) = grads.get(&p.var) else { continue };
            let lr = lr * p.lr_scale;
            match &self.config {
                OptimizerConfig::Sgd(c) => {
                    let wd = if p.decay { c.weight_decay } else { 0.0 };
                    sgd_update(&p.var, g, &mut self.momentum[k], c, lr, wd)?;
                }
                OptimizerConfig::Adamw(c) => {
                    let wd = if p.decay { c.weight_decay } else { 0.0 };
                    adamw_update(&p.var, g, &mut self.adam[k], c, lr, wd, self.steps)?;
                }
            }
        }
        Ok(())
    }

    /// The state as named tensors (`optimizer.<param>.momentum`, `.m`, `.v`).
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (k, p) in self.params.iter().enumerate() {
            if let Some(b) = &self.momentum[k] {
                out.push((format!("optimizer.{}.momentum", p.name), b.clone()));
            }
            if let Some(s) = &self.adam[k] {
                out.push((format!("optimizer.{}.m", p.name), s.m.clone()));
                out.push((format!("optimizer.{}.v", p.name), s.v.clone()));
            }
        }
        out
    }

    /// Restores the state saved by [`Optimizer::state_tensors`] after `steps` steps.
    pub fn load_state(&mut self, tensors: &HashMap<String, Tensor>, steps: u64) -> Result<()> {
        self.steps = steps;
        for (k, p) in self.params.iter().enumerate() {
            let get = |suffix: &str| -> Result<Option<Tensor>> {
                let name = format!("optimizer.{}.{suffix}", p.name);
                match tensors.get(&name) {
                    Some(t) if t.shape() != p.var.shape() => candle_core::bail!(
                        "{name}: shape {:?}, expected {:?}",
                        t.dims(),
                        p.var.dims()
                    ),
                    Some(t) => Ok(Some(t.to_dtype(p.var.dtype())?.to_device(p.var.device())?)),
                    None => Ok(None),
                }
            };
            self.momentum[k] = get("momentum")?;
            self.adam[k] = match (get("m")?, get("v")?) {
                (Some(m), Some(v)) => Some(AdamWState { m, v }),
                _ => None,
            };
        }
        Ok(())
    }
}
