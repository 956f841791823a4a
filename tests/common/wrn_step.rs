//! A training step of a Wide ResNet on CIFAR-sized inputs (3x32x32, 100 classes, batch of
//! seeded normal images) on a given device: floating point (the `ideal` tile) or hardware-aware
//! (the standard PCM tile: weights normalised and remapped, PCM weight noise at the default
//! scale redrawn per step, clipping, learned input ranges and output scales), SGD with Nesterov
//! momentum and weight decay. The memory test and the GPU check's step timer use it.

use aimc::experiment::{HwaStage, NoiseConfig, OptimizerConfig, SgdConfig};
use aimc::models::wide_resnet::WideResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{matrices, seeded_var_builder};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::distill::cross_entropy;
use aimc::train::{Optimizer, Param, hwa};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;

/// One model, its optimiser and its batch.
pub struct WrnStep {
    pub model: Model,
    pub varmap: VarMap,
    hwa: bool,
    opt: Optimizer,
    x: Tensor,
    y: Tensor,
    step: u64,
}

impl WrnStep {
    /// A WRN-`depth`-`width`, hardware-aware when `hwa`, at batch `batch` on `device`.
    pub fn new(depth: usize, width: usize, batch: usize, hwa: bool, device: &Device) -> Self {
        let config = ModelConfig::Wrn(WideResNetConfig {
            depth,
            width,
            classes: 100,
            in_channels: 3,
            dropout: 0.0,
        });
        let tile = if hwa {
            TileConfig::standard()
        } else {
            TileConfig::ideal()
        };
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, 0, DType::F32, device);
        let model = Model::build(&config, vb, &tile, NoiseRng::new(1)).unwrap();
        if hwa {
            hwa::remap_all(&model).unwrap();
            let stage: HwaStage = toml::from_str("epochs = 1").unwrap();
            hwa::install_modifiers(&model, &stage, &tile).unwrap();
            hwa::set_noise_scale(&model, NoiseConfig::default().scale);
        }
        let params = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| !n.contains("running_"))
            .map(|(n, v)| Param {
                name: n.clone(),
                var: v.clone(),
                lr_scale: 1.0,
                decay: true,
            })
            .collect();
        let sgd = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 5e-4,
            nesterov: true,
        };
        let opt = Optimizer::new(OptimizerConfig::Sgd(sgd), params).unwrap();
        let mut v = vec![0f32; batch * 3 * 32 * 32];
        NoiseRng::new(7).fill_normal(&mut v);
        let x = Tensor::from_vec(v, (batch, 3, 32, 32), device).unwrap();
        let y: Vec<u32> = (0..batch as u32).map(|i| i % 100).collect();
        let y = Tensor::from_vec(y, batch, device).unwrap();
        Self {
            model,
            varmap,
            hwa,
            opt,
            x,
            y,
            step: 0,
        }
    }

    /// One step (forward, backward, update, the HWA constraints); returns the loss, read back
    /// to the host (so a device has finished the step when this returns).
    pub fn run(&mut self) -> f32 {
        let loss = self.forward();
        self.update(loss)
    }

    /// The forward pass of the next step (its batch seeds set): the loss, the graph of the
    /// backward pass held by it.
    pub fn forward(&mut self) -> Tensor {
        self.step += 1;
        if self.hwa {
            for (i, m) in matrices(&self.model).into_iter().enumerate() {
                m.set_batch_seed(NoiseRng::stream(self.step, &[i as u64]).next_u64());
            }
        }
        cross_entropy(&self.model.classify_t(&self.x, true).unwrap(), &self.y).unwrap()
    }

    /// The rest of the step of `loss`: backward, update, the HWA constraints; returns the loss
    /// read back to the host, the device synchronised (the graph is freed with `loss`).
    pub fn update(&mut self, loss: Tensor) -> f32 {
        self.opt.step(&loss.backward().unwrap(), 0.01).unwrap();
        if self.hwa {
            hwa::after_step(&self.model, true).unwrap();
        }
        let value = loss.to_scalar::<f32>().unwrap();
        self.x.device().synchronize().unwrap();
        value
    }
}
