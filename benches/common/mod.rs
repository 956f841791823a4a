//! What the training-step benchmarks share: SGD over a model's variables.

use aimc::experiment::{OptimizerConfig, SgdConfig};
use aimc::train::{Optimizer, Param};
use candle_nn::VarMap;

/// SGD (no weight decay) over every variable of `varmap` but batch-norm running statistics
/// (never trained); the tiles' input ranges and output scales only when `hwa` (the HWA stage
/// learns them).
pub fn sgd_over(varmap: &VarMap, hwa: bool, lr: f64, momentum: f64) -> Optimizer {
    let data = varmap.data().lock().unwrap();
    let params = data
        .iter()
        .filter(|(n, _)| !n.contains("running_"))
        .filter(|(n, _)| hwa || !(n.ends_with(".input_range") || n.ends_with(".out_scale")))
        .map(|(n, v)| Param {
            name: n.clone(),
            var: v.clone(),
            lr_scale: 1.0,
            decay: false,
        })
        .collect();
    let sgd = SgdConfig {
        lr,
        momentum,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    };
    Optimizer::new(OptimizerConfig::Sgd(sgd), params).unwrap()
}
