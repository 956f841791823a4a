//! Tile forward passes against candle's plain operations of the same shape, measured in the same
//! run (issue 3 goals as ratios to the floor):
//! - 512x512 layer, batch 1024: (a) DAC + ADC + output noise only (goal <= 1.3x the matmul),
//!   (b) the full standard preset, programmed with PCM and read at 1 h (goal <= 4.5x: four
//!   products), (c) the product of the tile's CPU passes alone (`aimc::gemm`);
//! - conv2d 64 -> 64 channels, 3x3, 32x32, batch 32: analog (ideal and standard) against
//!   candle's conv2d (goal <= 1x);
//! - programming plus one read of a 4096x4096 layer (33.5 M devices).
//!
//! Run: `cargo bench --bench tile_forward` (or `scripts/bench-table.sh` for the table of every
//! benchmark, benches/README.md).

use aimc::device::{Device as AnalogDevice, pcm};
use aimc::nn::{AnalogConv2d, Conv2dGeometry};
use aimc::rng::NoiseRng;
use aimc::tile::{TileConfig, TiledMatrix};
use candle_core::{Device, Module, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: aimc::alloc::Allocator = aimc::alloc::Allocator;

fn randn(shape: &[usize], std: f64, seed: u64) -> Tensor {
    let mut rng = NoiseRng::new(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| (rng.normal() * std) as f32).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn linear(c: &mut Criterion) {
    // As the binary: freed memory is kept for reuse (`aimc::alloc`).
    aimc::alloc::keep_freed_memory();
    let w = randn(&[512, 512], 0.05, 1);
    let x = randn(&[1024, 512], 0.5, 2);
    let digital = candle_nn::Linear::new(w.clone(), None);
    let periphery_only = TileConfig::standard()
        .edit(|t| {
            t.device = "ideal".into();
            t.periphery.read_noise.sigma = 0.0;
            t.periphery.ir_drop.on = false;
        })
        .unwrap();
    let a = TiledMatrix::new("a", w.clone(), &periphery_only, NoiseRng::new(0)).unwrap();
    a.program(&AnalogDevice::Ideal(Default::default()), 0)
        .unwrap();
    let b = TiledMatrix::new("b", w.clone(), &TileConfig::standard(), NoiseRng::new(0)).unwrap();
    b.program(&AnalogDevice::Statistical(pcm()), 0).unwrap();
    b.read_at(3600.0, 1).unwrap();
    let mut g = c.benchmark_group("linear_512x512_batch1024");
    g.sample_size(20);
    g.bench_function("candle_matmul", |bn| {
        bn.iter(|| black_box(digital.forward(&x).unwrap()))
    });
    // The product the tile's CPU passes use (matrixmultiply's sgemm, `aimc::gemm`).
    g.bench_function("aimc_product", |bn| {
        bn.iter(|| black_box(aimc::gemm::matmul_wt(&x, &w).unwrap()))
    });
    g.bench_function("dac_adc_out_noise", |bn| {
        bn.iter(|| black_box(a.forward_t(&x, false).unwrap()))
    });
    g.bench_function("standard_preset", |bn| {
        bn.iter(|| black_box(b.forward_t(&x, false).unwrap()))
    });
    g.finish();
}

fn conv(c: &mut Criterion) {
    aimc::alloc::keep_freed_memory();
    let w = randn(&[64, 64, 3, 3], 0.05, 1);
    let x = randn(&[32, 64, 32, 32], 0.5, 2);
    let geo = Conv2dGeometry {
        stride: 1,
        padding: 1,
    };
    let ideal = AnalogConv2d::new(
        "i",
        w.clone(),
        None,
        geo,
        &TileConfig::ideal(),
        NoiseRng::new(0),
    )
    .unwrap();
    let standard = AnalogConv2d::new(
        "s",
        w.clone(),
        None,
        geo,
        &TileConfig::standard(),
        NoiseRng::new(0),
    )
    .unwrap();
    standard
        .matrix()
        .program(&AnalogDevice::Statistical(pcm()), 0)
        .unwrap();
    standard.matrix().read_at(3600.0, 1).unwrap();
    let mut g = c.benchmark_group("conv2d_64x64_3x3_32x32_batch32");
    g.sample_size(10);
    g.bench_function("candle_conv2d", |bn| {
        bn.iter(|| black_box(x.conv2d(&w, 1, 1, 1, 1).unwrap()))
    });
    g.bench_function("analog_ideal", |bn| {
        bn.iter(|| black_box(ideal.forward(&x).unwrap()))
    });
    g.bench_function("analog_standard", |bn| {
        bn.iter(|| black_box(standard.forward(&x).unwrap()))
    });
    g.finish();
}

fn program_large(c: &mut Criterion) {
    let w = randn(&[4096, 4096], 0.05, 1);
    let m = TiledMatrix::new("big", w, &TileConfig::standard(), NoiseRng::new(0)).unwrap();
    let device = AnalogDevice::Statistical(pcm());
    let mut g = c.benchmark_group("layer_4096x4096");
    g.sample_size(10);
    g.bench_function("program_and_read_1h", |bn| {
        bn.iter(|| {
            m.program(&device, 0).unwrap();
            m.read_at(3600.0, 1).unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, linear, conv, program_large);
criterion_main!(benches);
