//! Seconds per training step of WRN-16-4 at batch 64 (FP and HWA), for quick comparisons of
//! allocator or kernel changes (the criterion benchmark `train_step` gives the figures).
//! Run: `cargo run --release --example train_step_timing [-- no-ir-drop]` (the second form
//! trains HWA on the standard tile without IR drop).

use aimc::models::wide_resnet::WideResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{matrices, seeded_var_builder};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::distill::cross_entropy;
use aimc::train::{Optimizer, OptimizerConfig, Param, hwa};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;

#[global_allocator]
static ALLOCATOR: aimc::alloc::MiMalloc = aimc::alloc::MiMalloc;

fn main() {
    aimc::alloc::keep_freed_memory();
    let config = ModelConfig::Wrn(WideResNetConfig {
        depth: 16,
        width: 4,
        classes: 100,
        in_channels: 3,
        dropout: 0.0,
    });
    let mut v = vec![0f32; 64 * 3 * 32 * 32];
    NoiseRng::new(7).fill_normal(&mut v);
    let x = Tensor::from_vec(v, (64, 3, 32, 32), &Device::Cpu).unwrap();
    let y = Tensor::from_vec((0..64u32).collect::<Vec<_>>(), 64, &Device::Cpu).unwrap();
    let no_ir = std::env::args().any(|a| a == "no-ir-drop");
    let hwa_tile = TileConfig {
        ir_drop: !no_ir,
        ..TileConfig::standard()
    };
    for (name, tile) in [("fp", TileConfig::ideal()), ("hwa", hwa_tile)] {
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu);
        let model = Model::build(&config, vb, &tile, NoiseRng::new(1)).unwrap();
        if name == "hwa" {
            hwa::remap_all(&model).unwrap();
            let stage = toml::from_str("epochs = 1").unwrap();
            hwa::install_modifiers(&model, &stage, &tile).unwrap();
            hwa::set_noise_scale(&model, 3.0);
        }
        let params = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(n, v)| Param {
                name: n.clone(),
                var: v.clone(),
                lr_scale: 1.0,
                decay: true,
            })
            .collect();
        let mut opt = Optimizer::new(OptimizerConfig::default(), params).unwrap();
        for step in 0..3u64 {
            let t = std::time::Instant::now();
            for (i, m) in matrices(&model).into_iter().enumerate() {
                m.set_batch_seed(NoiseRng::stream(step, &[i as u64]).next_u64());
            }
            let loss = cross_entropy(&model.classify_t(&x, true).unwrap(), &y).unwrap();
            opt.step(&loss.backward().unwrap(), 0.01).unwrap();
            println!("{name} step {step}: {:.2} s", t.elapsed().as_secs_f64());
        }
    }
}
