//! One fine-tuning step of a BERT sentence classifier at the size of all-MiniLM-L6-v2 (vocabulary
//! 30,522, hidden 384, 6 layers, 12 heads, FFN 1,536, mean pooling, 2 labels) on 16 sentences of
//! 32 tokens: floating point (the `ideal` tile) against hardware-aware (the `standard` PCM tile,
//! weights normalised, PCM weight noise at scale 3 redrawn per step, clipping after the step,
//! learned input ranges and output scales), and HWA on that tile without IR drop and read noise
//! (their side products cost three more matrix products per tile in the forward pass). Issue 8
//! goal: the HWA step at most 1.5x the FP step.
//! Sentences/s follow from the throughput criterion reports. Random weights: the cost of a step
//! does not depend on their values.
//!
//! Run: `cargo bench --bench bert_step`.

use aimc::experiment::HwaStage;
use aimc::models::bert::{BertClassifier, BertConfig, Pooling};
use aimc::nn::seeded_var_builder;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::{Optimizer, hwa};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

mod common;

#[global_allocator]
static ALLOCATOR: aimc::alloc::Allocator = aimc::alloc::Allocator;

const BATCH: usize = 16;
const TOKENS: usize = 32;

fn build(tile: &TileConfig) -> (BertClassifier, VarMap) {
    let config = BertConfig {
        pretrained: None,
        vocab_size: 30_522,
        hidden_size: 384,
        num_hidden_layers: 6,
        num_attention_heads: 12,
        intermediate_size: 1536,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        num_labels: 2,
        pooling: Pooling::Mean,
        dropout: 0.1,
        layer_norm_eps: 1e-12,
    };
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu);
    let m = BertClassifier::new(config, vb.clone(), vb, tile, NoiseRng::new(1)).unwrap();
    (m, varmap)
}

fn optimizer(varmap: &VarMap, hwa: bool) -> Optimizer {
    common::sgd_over(varmap, hwa, 1e-3, 0.9)
}

/// One step: forward, cross-entropy, backward, update, `after`.
fn step(
    m: &BertClassifier,
    opt: &mut Optimizer,
    batch: &(Tensor, Tensor, Tensor),
    after: &dyn Fn(),
) {
    let (ids, mask, labels) = batch;
    let logits = m.forward_t(ids, mask, true).unwrap();
    let loss = candle_nn::loss::cross_entropy(&logits, labels).unwrap();
    let grads = loss.backward().unwrap();
    opt.step(&grads, 1e-3).unwrap();
    after();
}

fn steps(c: &mut Criterion) {
    aimc::alloc::keep_freed_memory();
    let mut rng = NoiseRng::new(3);
    let ids: Vec<u32> = (0..BATCH * TOKENS)
        .map(|_| 1000 + (rng.next_u64() % 20_000) as u32)
        .collect();
    let dev = Device::Cpu;
    let batch = (
        Tensor::from_vec(ids, (BATCH, TOKENS), &dev).unwrap(),
        Tensor::ones((BATCH, TOKENS), DType::U32, &dev).unwrap(),
        Tensor::from_vec((0..BATCH as u32).map(|i| i % 2).collect(), BATCH, &dev).unwrap(),
    );
    let mut g = c.benchmark_group("bert_minilm_step");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(BATCH as u64));

    let (fp, fp_vars) = build(&TileConfig::ideal());
    let mut opt = optimizer(&fp_vars, false);
    let mut seed = 0u64;
    g.bench_function("fp", |b| {
        b.iter(|| {
            seed += 1;
            fp.set_batch_seed(seed);
            step(&fp, &mut opt, &batch, &|| {})
        })
    });

    // The standard tile, and the same without the IR drop and read noise whose side products
    // (|x| |W|^T, x^2 |W|^T, the position-weighted x W^T) add three products per tile.
    let without_side_products = TileConfig::standard()
        .edit(|t| {
            t.periphery.ir_drop.on = false;
            t.periphery.read_noise.sigma = 0.0;
        })
        .unwrap();
    for (name, tile) in [
        ("hwa", TileConfig::standard()),
        ("hwa_without_ir_drop_and_read_noise", without_side_products),
    ] {
        let (m, vars) = build(&tile);
        hwa::remap_all(&m).unwrap();
        let recipe: HwaStage = toml::from_str("epochs = 1").unwrap();
        hwa::install_modifiers(&m, &recipe, &tile).unwrap();
        hwa::set_noise_scale(&m, 3.0);
        let mut opt = optimizer(&vars, true);
        g.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                m.set_batch_seed(seed);
                step(&m, &mut opt, &batch, &|| hwa::after_step(&m, true).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
