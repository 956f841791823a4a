//! One training step of the LSTM language model at a small PTB configuration (vocabulary
//! 10,000, embedding and hidden 200, 2 layers, dropout 0.2, batch 20, 35 BPTT steps: 700 tokens):
//! floating point (the `ideal` tile) against hardware-aware (the `standard` PCM tile, weights
//! normalised, PCM weight noise at scale 3 redrawn per step, clipping after the step, learned
//! input ranges and output scales). Issue 7 goal: the HWA step at most 1.5x the FP step.
//! Tokens/s follow from the throughput criterion reports.
//!
//! Run: `cargo bench --bench lm_step`.

use aimc::data::text_corpus::StreamBatches;
use aimc::experiment::HwaStage;
use aimc::models::lstm_lm::{LstmLm, LstmLmConfig};
use aimc::nn::seeded_var_builder;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::lm_epoch::{LmEpochOptions, train_lm_epoch};
use aimc::train::{Optimizer, hwa};
use candle_core::{DType, Device};
use candle_nn::VarMap;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

mod common;

#[global_allocator]
static ALLOCATOR: aimc::alloc::Allocator = aimc::alloc::Allocator;

const VOCAB: usize = 10_000;
const BATCH: usize = 20;
const BPTT: usize = 35;

fn build(tile: &TileConfig) -> (LstmLm, VarMap) {
    let config = LstmLmConfig {
        vocab: VOCAB,
        embedding: 200,
        hidden: 200,
        layers: 2,
        dropout: 0.2,
    };
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu);
    let lm = LstmLm::new(config, vb, tile, NoiseRng::new(1)).unwrap();
    (lm, varmap)
}

fn optimizer(varmap: &VarMap, hwa: bool) -> Optimizer {
    common::sgd_over(varmap, hwa, 1.0, 0.0)
}

fn steps(c: &mut Criterion) {
    aimc::alloc::keep_freed_memory();
    // One window of BPTT steps per call: BATCH streams of BPTT + 1 tokens.
    let mut rng = NoiseRng::new(3);
    let tokens: Vec<u32> = (0..BATCH * (BPTT + 1))
        .map(|_| (rng.next_u64() % VOCAB as u64) as u32)
        .collect();
    let stream = StreamBatches::new(&tokens, BATCH).unwrap();
    let mut g = c.benchmark_group("lstm_lm_small_step");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(3))
        .throughput(Throughput::Elements((BATCH * BPTT) as u64));
    let mut step = 0u64;
    let mut opts = move || {
        step += 1;
        LmEpochOptions {
            bptt: BPTT,
            lr: 1.0,
            grad_clip: 0.25,
            seed: 0,
            first_step: step,
        }
    };

    let (fp, fp_vars) = build(&TileConfig::ideal());
    let mut opt = optimizer(&fp_vars, false);
    g.bench_function("fp", |b| {
        b.iter(|| {
            train_lm_epoch(
                &fp,
                None,
                &stream,
                &mut opt,
                opts(),
                &Device::Cpu,
                &mut || Ok(()),
            )
            .unwrap()
        })
    });

    let tile = TileConfig::standard();
    let (lm, vars) = build(&tile);
    hwa::remap_all(&lm).unwrap();
    let recipe: HwaStage = toml::from_str("epochs = 1").unwrap();
    hwa::install_modifiers(&lm, &recipe, &tile).unwrap();
    hwa::set_noise_scale(&lm, 3.0);
    let mut opt = optimizer(&vars, true);
    g.bench_function("hwa", |b| {
        b.iter(|| {
            train_lm_epoch(
                &lm,
                None,
                &stream,
                &mut opt,
                opts(),
                &Device::Cpu,
                &mut || hwa::after_step(&lm, true),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
