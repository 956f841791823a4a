//! The tests that take a compute device (issue 19, the GPU check's subset): `AIMC_TEST_DEVICE`
//! names it (`cpu`, the default, or `cuda` in a build with `--features cuda`). Each computes on
//! that device what it also computes on the CPU: the MVM error of the standard tile (the same
//! weights, inputs and noise seeds) and an HWA training step of a small ResNet (a finite
//! gradient for every variable, the same loss). On the CPU both sides take the same path: the
//! run checks the harness (the GPU check's dry run).

mod common;

use aimc::models::resnet::ResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{AnalogModule, matrices, seeded_var_builder};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::distill::cross_entropy;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use common::wrn_step::WrnStep;

/// The device of `AIMC_TEST_DEVICE`.
fn test_device() -> Device {
    match std::env::var("AIMC_TEST_DEVICE").as_deref() {
        Err(_) | Ok("") | Ok("cpu") => Device::Cpu,
        Ok("cuda") => aimc::commands::compute_device(true, "AIMC_TEST_DEVICE")
            .unwrap_or_else(|e| panic!("{e}")),
        Ok(other) => panic!("AIMC_TEST_DEVICE={other}: expected cpu or cuda"),
    }
}

fn randn(dims: &[usize], std: f32, seed: u64, device: &Device) -> Tensor {
    let mut v = vec![0f32; dims.iter().product()];
    NoiseRng::new(seed).fill_normal(&mut v);
    let v: Vec<f32> = v.iter().map(|x| x * std).collect();
    Tensor::from_vec(v, dims, device).unwrap()
}

/// eps_M of the standard PCM tile (all non-idealities, 256 x 256, 200 vectors, one day) on the
/// device and on the CPU. The issue asks for agreement within sampling error; with the same
/// draws the two differ only by the rounding of sums and rare ADC level changes, bounded here
/// by 2 % of eps_M.
#[test]
fn the_mvm_error_on_the_device_is_the_cpus() {
    let tile = TileConfig::standard()
        .edit(|t| {
            t.rows = 256;
            t.cols = 256;
        })
        .unwrap();
    let pcm = aimc::device::resolve_device("pcm").unwrap().device;
    let on =
        |d: &Device| aimc::tile::mvm_error::mvm_error_on(&tile, &pcm, 200, 86_400.0, 3, d).unwrap();
    let (cpu, dev) = (on(&Device::Cpu), on(&test_device()));
    eprintln!("eps_M: cpu {cpu}, device {dev}");
    assert!(
        cpu > 0.0 && (dev - cpu).abs() <= 0.02 * cpu,
        "{dev} vs {cpu}"
    );
}

/// A small ResNet on the standard tile, one HWA forward and backward on the device and on the
/// CPU from the same weights and seeds: the same loss (to 1e-4 relative), and a finite
/// gradient for every variable on the device.
#[test]
fn an_hwa_step_on_the_device_matches_the_cpu() {
    let config = ModelConfig::Resnet(ResNetConfig {
        depth: 8,
        classes: 10,
        in_channels: 3,
        width: 4,
    });
    let tile = TileConfig::standard();
    let step = |device: &Device| {
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, 5, DType::F32, device);
        let model = Model::build(&config, vb, &tile, NoiseRng::new(2)).unwrap();
        aimc::train::hwa::remap_all(&model).unwrap();
        let stage: aimc::experiment::HwaStage = toml::from_str("epochs = 1").unwrap();
        aimc::train::hwa::install_modifiers(&model, &stage, &tile).unwrap();
        aimc::train::hwa::set_noise_scale(&model, 1.0);
        for (i, m) in matrices(&model as &dyn AnalogModule)
            .into_iter()
            .enumerate()
        {
            m.set_batch_seed(NoiseRng::stream(9, &[i as u64]).next_u64());
        }
        let x = randn(&[4, 3, 16, 16], 1.0, 1, device);
        let y = Tensor::from_vec(vec![0u32, 3, 7, 9], 4, device).unwrap();
        let loss = cross_entropy(&model.classify_t(&x, true).unwrap(), &y).unwrap();
        let grads = loss.backward().unwrap();
        for (name, var) in varmap.data().lock().unwrap().iter() {
            if name.contains("running_") {
                continue;
            }
            let g = grads
                .get(var)
                .unwrap_or_else(|| panic!("{name} gets no gradient"));
            let s = g
                .abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(s.is_finite(), "{name}: gradient sum {s}");
        }
        loss.to_scalar::<f32>().unwrap()
    };
    let (cpu, dev) = (step(&Device::Cpu), step(&test_device()));
    eprintln!("HWA loss: cpu {cpu}, device {dev}");
    assert!((dev - cpu).abs() <= 1e-4 * cpu.abs(), "{dev} vs {cpu}");
}

/// A whole number from the environment variable `name`, else `default`.
fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: expected a whole number")),
        _ => default,
    }
}

/// The GPU check's step timer (issue 19): WRN-16-4 training steps on CIFAR-sized inputs at
/// batch `AIMC_STEP_BATCH` (default 128) on the device, FP (ideal tile) and HWA (standard PCM
/// tile): one warm-up step each (kernel loading, allocator growth), then the mean of
/// `AIMC_STEP_REPEATS` (default 3) steps, each ending with its loss on the host. Prints one
/// `step-time` line that scripts/gpu-check.sh reads; the losses must be finite.
#[test]
#[ignore = "minutes on a CPU: scripts/gpu-check.sh runs it"]
fn wrn_16_4_step_time() {
    let device = test_device();
    let batch = env_count("AIMC_STEP_BATCH", 128);
    let repeats = env_count("AIMC_STEP_REPEATS", 3).max(1);
    let time = |hwa: bool| {
        let mut s = WrnStep::new(16, 4, batch, hwa, &device);
        assert!(s.run().is_finite(), "warm-up loss");
        let start = std::time::Instant::now();
        for _ in 0..repeats {
            let loss = s.run();
            assert!(loss.is_finite(), "loss {loss} (hwa {hwa})");
        }
        start.elapsed().as_secs_f64() / repeats as f64
    };
    let fp = time(false);
    let hwa = time(true);
    println!(
        "step-time batch={batch} repeats={repeats} fp_s={fp:.4} hwa_s={hwa:.4} ratio={:.2}",
        hwa / fp
    );
}
