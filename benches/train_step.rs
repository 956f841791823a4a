//! One training step of WRN-16-4 at batch 64 on CIFAR-sized inputs (3x32x32, 100 classes):
//! floating point (the `ideal` tile) against hardware-aware (the `standard` PCM tile, weights
//! normalised, PCM weight noise at scale 3 redrawn per batch, clipping, learned input ranges and
//! output scales), with and without the distillation teacher's forward. Issue 4 goal: the HWA
//! step at most 1.5x the FP step. Images/s follow from the throughput criterion reports.
//!
//! Run: `cargo bench --bench train_step`.

use aimc::experiment::Distillation;
use aimc::experiment::NoiseConfig;
use aimc::experiment::{OptimizerConfig, SgdConfig};
use aimc::models::Model;
use aimc::models::ModelConfig;
use aimc::models::wide_resnet::WideResNetConfig;
use aimc::nn::{matrices, seeded_var_builder};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::distill::{cross_entropy, distillation_loss};
use aimc::train::{Optimizer, Param, hwa};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: aimc::alloc::Allocator = aimc::alloc::Allocator;

const BATCH: usize = 64;

fn wrn() -> ModelConfig {
    ModelConfig::Wrn(WideResNetConfig {
        depth: 16,
        width: 4,
        classes: 100,
        in_channels: 3,
        dropout: 0.0,
    })
}

fn build(tile: &TileConfig) -> (Model, VarMap) {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu);
    let model = Model::build(&wrn(), vb, tile, NoiseRng::new(1)).unwrap();
    (model, varmap)
}

fn optimizer(varmap: &VarMap) -> Optimizer {
    let data = varmap.data().lock().unwrap();
    let params = data
        .iter()
        .filter(|(n, _)| !n.contains("running_"))
        .map(|(n, v)| Param {
            name: n.clone(),
            var: v.clone(),
            lr_scale: 1.0,
            decay: true,
        })
        .collect();
    Optimizer::new(OptimizerConfig::Sgd(SgdConfig::default()), params).unwrap()
}

fn batch() -> (Tensor, Tensor) {
    let mut v = vec![0f32; BATCH * 3 * 32 * 32];
    NoiseRng::new(7).fill_normal(&mut v);
    let x = Tensor::from_vec(v, (BATCH, 3, 32, 32), &Device::Cpu).unwrap();
    let y: Vec<u32> = (0..BATCH as u32).map(|i| i % 100).collect();
    (x, Tensor::from_vec(y, BATCH, &Device::Cpu).unwrap())
}

fn steps(c: &mut Criterion) {
    aimc::alloc::keep_freed_memory();
    let (x, y) = batch();
    let mut g = c.benchmark_group("wrn16-4_batch64_step");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(BATCH as u64));

    let (fp, fp_vars) = build(&TileConfig::ideal());
    let mut opt = optimizer(&fp_vars);
    g.bench_function("fp", |b| {
        b.iter(|| {
            let loss = cross_entropy(&fp.classify_t(&x, true).unwrap(), &y).unwrap();
            opt.step(&loss.backward().unwrap(), 0.01).unwrap();
        })
    });

    let tile = TileConfig::standard();
    let (model, vars) = build(&tile);
    hwa::remap_all(&model).unwrap();
    let stage: aimc::experiment::HwaStage = toml::from_str("epochs = 1").unwrap();
    hwa::install_modifiers(&model, &stage, &tile).unwrap();
    hwa::set_noise_scale(&model, NoiseConfig::default().scale);
    let mut opt = optimizer(&vars);
    let mut step = 0u64;
    let mut hwa_step = |teacher: Option<&Model>| {
        step += 1;
        for (i, m) in matrices(&model).into_iter().enumerate() {
            m.set_batch_seed(NoiseRng::stream(step, &[i as u64]).next_u64());
        }
        let logits = model.classify_t(&x, true).unwrap();
        let loss = match teacher {
            Some(t) => {
                let t_logits = t.classify_t(&x, false).unwrap();
                distillation_loss(&logits, &t_logits, &y, &Distillation::default()).unwrap()
            }
            None => cross_entropy(&logits, &y).unwrap(),
        };
        opt.step(&loss.backward().unwrap(), 0.01).unwrap();
        hwa::after_step(&model, true).unwrap();
    };
    g.bench_function("hwa", |b| b.iter(|| hwa_step(None)));
    g.bench_function("hwa_with_distillation", |b| b.iter(|| hwa_step(Some(&fp))));
    g.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
