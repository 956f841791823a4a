//! The training loop and the HWA mechanisms (issue 4): training on real data (the first images
//! of Fashion-MNIST, as the binary embeds them: no download needed), gradients, checkpoints,
//! resume, weight noise, clipping, divergence.

mod common;

use aimc::experiment::Experiment;
use aimc::experiment::ImageData;
use aimc::experiment::Stage;
use aimc::experiment::checkpoint::{self, TrainState, load_into_varmap, varmap_tensors};
use aimc::experiment::load::build_model;
use aimc::experiment::run_dir::checkpoint_path;
use aimc::experiment::task::load_image_data;
use aimc::models::Model;
use aimc::nn::matrices;
use aimc::rng::NoiseRng;
use aimc::tile::{TileConfig, TiledMatrix, WeightModifier, WeightNoise};
use aimc::train::hwa;
use aimc::train::trainer::train_stage;
use candle_core::{DType, Device, Tensor, Var};
use std::path::Path;

/// A ResNet-8 on Fashion-MNIST with `train`/`test` images and the given stage sections.
fn experiment_text(train: usize, test: usize, stages: &str) -> String {
    format!(
        r#"[experiment]
name = "test"
seed = 3

[model]
architecture = "resnet"
depth = 8
classes = 10
in_channels = 1

[data]
dataset = "fashion-mnist-demo"
train_subset = {train}
test_subset = {test}

{stages}
"#
    )
}

fn experiment(dir: &Path, text: &str) -> Experiment {
    let path = dir.join("exp.toml");
    std::fs::write(&path, text).unwrap();
    Experiment::load(&path).unwrap()
}

#[test]
fn a_small_network_trains_well_above_chance() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(
        dir.path(),
        &experiment_text(
            1024,
            500,
            "[fp]\nepochs = 1\nbatch_size = 32\noptimizer = { kind = \"sgd\", lr = 0.1 }\nschedule = { kind = \"constant\" }",
        ),
    );
    let data = load_image_data(&exp).unwrap();
    let out = train_stage(
        &exp,
        &data,
        &common::train_options(Stage::Fp, dir.path(), Some(1), false),
    )
    .unwrap();
    let acc = out.history[0].eval_metric;
    // Chance is 10 %; one epoch over 1,024 images reaches about 44 %.
    assert!(acc > 0.35, "test accuracy {acc}");
    assert!(out.checkpoint.is_file());
    assert!(dir.path().join("fp/config.toml").is_file());
    let csv = std::fs::read_to_string(dir.path().join("fp/history.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

/// Stages of the resume test: every HWA mechanism on, short ramps and calibration.
const STAGES: &str = r#"[fp]
epochs = 2
batch_size = 32
optimizer = { kind = "sgd", lr = 0.05 }

[hwa]
epochs = 2
batch_size = 32
optimizer = { kind = "adamw", lr = 0.001 }
noise = { kind = "pcm", scale = 3.0, ramp_epochs = 1.5 }
drop_connect = 0.01
remap_every_epoch = true
input_range_init_batches = 2
"#;

fn checkpoint_tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let c = checkpoint::load(path, &Device::Cpu).unwrap();
    let mut v: Vec<(String, Vec<f32>)> = c
        .tensors
        .iter()
        .map(|(n, t)| {
            let values = t.flatten_all().unwrap().to_dtype(DType::F32).unwrap();
            (n.clone(), values.to_vec1::<f32>().unwrap())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn resume_equals_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &experiment_text(96, 32, STAGES));
    let data = load_image_data(&exp).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for stage in [Stage::Fp, Stage::Hwa] {
        train_stage(
            &exp,
            &data,
            &common::train_options(stage, &a, Some(2), false),
        )
        .unwrap();
        train_stage(
            &exp,
            &data,
            &common::train_options(stage, &b, Some(1), false),
        )
        .unwrap();
        train_stage(
            &exp,
            &data,
            &common::train_options(stage, &b, Some(2), true),
        )
        .unwrap();
        let (ta, tb) = (
            checkpoint_tensors(&checkpoint_path(&a, stage)),
            checkpoint_tensors(&checkpoint_path(&b, stage)),
        );
        assert_eq!(ta.len(), tb.len());
        for ((na, va), (nb, vb)) in ta.iter().zip(&tb) {
            assert_eq!(na, nb);
            assert_eq!(va, vb, "{stage:?}: tensor {na} differs after resume");
        }
        let state = checkpoint::load(&checkpoint_path(&b, stage), &Device::Cpu)
            .unwrap()
            .state;
        assert_eq!(state.epoch, 2);
        assert_eq!(state.history.len(), 2);
    }
    // The HWA run kept its weights on the tiles' range and learned its input ranges.
    let hwa = checkpoint_tensors(&checkpoint_path(&a, Stage::Hwa));
    let conv = hwa.iter().find(|(n, _)| n == "conv1.weight").unwrap();
    assert!(conv.1.iter().all(|v| v.abs() <= 1.0));
    let range = hwa
        .iter()
        .find(|(n, _)| n == "conv1.weight.input_range")
        .unwrap();
    assert!(range.1.iter().all(|&r| r > 0.0 && r != 1.0), "{range:?}");
}

#[test]
fn a_diverging_run_stops_naming_the_step_and_keeps_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let good = "[fp]\nepochs = 2\nbatch_size = 32\noptimizer = { kind = \"sgd\", lr = 0.05 }";
    let exp = experiment(dir.path(), &experiment_text(64, 32, good));
    let data = load_image_data(&exp).unwrap();
    train_stage(
        &exp,
        &data,
        &common::train_options(Stage::Fp, dir.path(), Some(1), false),
    )
    .unwrap();
    let bad = "[fp]\nepochs = 2\nbatch_size = 32\noptimizer = { kind = \"sgd\", lr = 1e30 }";
    let exp = experiment(dir.path(), &experiment_text(64, 32, bad));
    let err = train_stage(
        &exp,
        &data,
        &common::train_options(Stage::Fp, dir.path(), Some(2), true),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("diverged at epoch 2, step"), "{err}");
    assert!(err.contains("checkpoint.safetensors"), "{err}");
    let kept = checkpoint::load(&checkpoint_path(dir.path(), Stage::Fp), &Device::Cpu).unwrap();
    assert_eq!(kept.state.epoch, 1);
}

/// The HWA stage without an FP checkpoint, and resume without a checkpoint, are refused.
#[test]
fn missing_checkpoints_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &experiment_text(64, 32, STAGES));
    let data = ImageData {
        train: tiny_set(),
        test: tiny_set(),
        stats: vec![(0.0, 1.0)],
    };
    let err = train_stage(
        &exp,
        &data,
        &common::train_options(Stage::Hwa, dir.path(), Some(1), false),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("fp/checkpoint.safetensors") && err.contains("--stage fp"),
        "{err}"
    );
    let err = train_stage(
        &exp,
        &data,
        &common::train_options(Stage::Fp, dir.path(), Some(1), true),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no checkpoint to resume from"), "{err}");
}

fn tiny_set() -> aimc::data::ImageSet {
    let pixels: Vec<u8> = (0..4 * 28 * 28).map(|i| (i % 251) as u8).collect();
    aimc::data::ImageSet::new("tiny", pixels, vec![0, 1, 2, 3], (1, 28, 28), 10).unwrap()
}

fn random_images(b: usize, seed: u64) -> Tensor {
    let mut v = vec![0f32; b * 28 * 28];
    NoiseRng::new(seed).fill_normal(&mut v);
    Tensor::from_vec(v, (b, 1, 28, 28), &Device::Cpu).unwrap()
}

/// Every variable that a stage trains receives a non-zero gradient.
#[test]
fn every_trainable_variable_gets_a_gradient() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &experiment_text(64, 32, STAGES));
    let labels = Tensor::new(&[0u32, 1, 2, 3, 4, 5, 6, 7], &Device::Cpu).unwrap();
    for hwa_stage in [false, true] {
        let tile = if hwa_stage {
            exp.config.tile.clone()
        } else {
            exp.config.fp_tile()
        };
        let (model, varmap) = build_model(&exp, &tile, &Device::Cpu).unwrap();
        if hwa_stage {
            hwa::remap_all(&model).unwrap();
            hwa::install_modifiers(&model, exp.config.hwa.as_ref().unwrap(), &tile).unwrap();
            hwa::set_noise_scale(&model, 1.0);
        }
        for (i, m) in matrices(&model).into_iter().enumerate() {
            m.set_batch_seed(i as u64);
        }
        let logits = model.classify_t(&random_images(8, 1), true).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &labels).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        let mut checked = 0;
        for (name, var) in data.iter() {
            let trained = !(name.ends_with("running_mean")
                || name.ends_with("running_var")
                || (!hwa_stage && name.ends_with(".input_range")));
            if !trained {
                continue;
            }
            let g = grads
                .get(var)
                .unwrap_or_else(|| panic!("hwa {hwa_stage}: no gradient for {name}"));
            let norm = g
                .abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(norm > 0.0, "hwa {hwa_stage}: zero gradient for {name}");
            checked += 1;
        }
        assert!(checked > 20, "{checked}");
    }
}

/// After every update the analog weights lie in [-1, 1] (and would not without the clip).
#[test]
fn clipping_holds_after_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &experiment_text(64, 32, STAGES));
    let tile = exp.config.tile.clone();
    let (model, varmap) = build_model(&exp, &tile, &Device::Cpu).unwrap();
    hwa::remap_all(&model).unwrap();
    let vars: Vec<Var> = varmap.all_vars();
    let mut opt = aimc::train::Optimizer::new(
        aimc::experiment::OptimizerConfig::Sgd(aimc::experiment::SgdConfig {
            lr: 5.0,
            ..Default::default()
        }),
        vars.iter()
            .enumerate()
            .map(|(k, v)| aimc::train::Param {
                name: k.to_string(),
                var: v.clone(),
                lr_scale: 1.0,
                decay: false,
            })
            .collect(),
    )
    .unwrap();
    let labels = Tensor::new(&[1u32, 3, 5, 7], &Device::Cpu).unwrap();
    let max_abs = |model: &Model| -> f32 {
        matrices(model)
            .iter()
            .flat_map(|m| m.analog_parameters())
            .map(|p| {
                p.abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
            })
            .fold(0.0, f32::max)
    };
    let mut exceeded = false;
    for step in 0..3 {
        let logits = model.classify_t(&random_images(4, step), true).unwrap();
        let loss = candle_nn::loss::cross_entropy(&logits, &labels).unwrap();
        opt.step(&loss.backward().unwrap(), 1.0).unwrap();
        exceeded |= max_abs(&model) > 1.0;
        hwa::after_step(&model, true).unwrap();
        let m = max_abs(&model);
        assert!(m <= 1.0, "step {step}: max |w| = {m}");
    }
    assert!(
        exceeded,
        "the updates never left [-1, 1]: the test proves nothing"
    );
}

/// Weight noise is drawn once per mini-batch (the same within one, new in the next), flows
/// straight through to the clean weights, and is absent in evaluation.
#[test]
fn weight_noise_changes_per_batch_and_is_absent_in_evaluation() {
    let dev = Device::Cpu;
    let w = Var::from_vec(
        (0..6 * 5)
            .map(|i| (i as f32 / 30.0) - 0.5)
            .collect::<Vec<_>>(),
        (6, 5),
        &dev,
    )
    .unwrap();
    let m = TiledMatrix::new(
        "m",
        w.as_tensor().clone(),
        &TileConfig::ideal(),
        NoiseRng::new(0),
    )
    .unwrap();
    m.set_weight_modifier(Some(WeightModifier {
        noise: WeightNoise::Additive { sigma: 0.1 },
        scale: 1.0,
        drop_connect: 0.0,
    }));
    let x = Tensor::ones((2, 5), DType::F32, &dev).unwrap();
    let clean = x.matmul(&w.as_tensor().t().unwrap()).unwrap();
    let run = |train: bool| m.forward_t(&x, train).unwrap().flatten_all().unwrap();
    let values = |t: &Tensor| t.to_vec1::<f32>().unwrap();
    m.set_batch_seed(1);
    let (a1, a2) = (run(true), run(true));
    assert_eq!(
        values(&a1),
        values(&a2),
        "noise redrawn within a mini-batch"
    );
    m.set_batch_seed(2);
    let b = run(true);
    assert_ne!(
        values(&a1),
        values(&b),
        "noise not redrawn for a new mini-batch"
    );
    let clean = values(&clean.flatten_all().unwrap());
    assert_ne!(values(&a1), clean);
    let eval = values(&run(false));
    for (e, c) in eval.iter().zip(&clean) {
        assert!((e - c).abs() < 1e-6, "evaluation saw noise: {e} vs {c}");
    }
    // Straight through: d sum(y) / dw_ij = sum_b x_bj = 2, as without noise.
    let g = m
        .forward_t(&x, true)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gw = values(&g.get(&w).unwrap().flatten_all().unwrap());
    assert!(gw.iter().all(|&v| (v - 2.0).abs() < 1e-6), "{gw:?}");
}

/// The weight noise of a mini-batch is drawn once per tile (a recurrent matrix reuses it at
/// every time step), and drawn anew when the weights change (clipping after an update) or the
/// noise scale changes: the noisy copy always follows the current weights.
#[test]
fn the_noise_of_a_mini_batch_follows_weight_and_scale_changes() {
    let dev = Device::Cpu;
    let a: Vec<f32> = (0..4 * 3).map(|i| (i as f32 / 12.0) - 0.4).collect();
    let b: Vec<f32> = a.iter().map(|v| 0.5 * v + 0.1).collect();
    let modifier = WeightModifier {
        noise: WeightNoise::Multiplicative { sigma: 0.2 },
        scale: 1.0,
        drop_connect: 0.0,
    };
    let make = |values: &[f32]| {
        let w = Var::from_vec(values.to_vec(), (4, 3), &dev).unwrap();
        let m = TiledMatrix::new(
            "m",
            w.as_tensor().clone(),
            &TileConfig::ideal(),
            NoiseRng::new(0),
        )
        .unwrap();
        m.set_weight_modifier(Some(modifier.clone()));
        m.set_batch_seed(1);
        (w, m)
    };
    let x = Tensor::ones((2, 3), DType::F32, &dev).unwrap();
    let run = |m: &TiledMatrix| {
        let y = m.forward_t(&x, true).unwrap();
        y.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    let (w, m) = make(&a);
    let first = run(&m);
    assert_eq!(run(&m), first, "the same mini-batch, the same noise");
    w.set(&Tensor::from_vec(b.clone(), (4, 3), &dev).unwrap())
        .unwrap();
    m.clip_weights().unwrap();
    let after = run(&m);
    let (_, fresh) = make(&b);
    assert_eq!(after, run(&fresh), "noise drawn for the old weights");
    assert_ne!(after, first);
    m.set_noise_scale(0.0);
    let clean = x.matmul(&w.as_tensor().t().unwrap()).unwrap();
    let clean = clean.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (y, c) in run(&m).iter().zip(&clean) {
        assert!(
            (y - c).abs() < 1e-6,
            "scale 0 kept the old noise: {y} vs {c}"
        );
    }
}

/// A checkpoint restores a model exactly; a missing, misshaped or foreign tensor is named.
#[test]
fn checkpoint_round_trip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path(), &experiment_text(64, 32, STAGES));
    let tile = exp.config.fp_tile();
    let (a, va) = build_model(&exp, &tile, &Device::Cpu).unwrap();
    let path = dir.path().join("c.safetensors");
    let state = TrainState {
        format: checkpoint::FORMAT.into(),
        experiment: "test".into(),
        stage: "fp".into(),
        epoch: 3,
        step: 42,
        normalised: false,
        metric: aimc::experiment::Metric::Accuracy,
        history: Vec::new(),
    };
    checkpoint::save(&path, &varmap_tensors(&va), &state).unwrap();
    // A model with other weights, then loaded: the same outputs.
    let mut other = exp.clone();
    other.config.experiment.seed = 99;
    let (b, vb) = build_model(&other, &tile, &Device::Cpu).unwrap();
    let x = random_images(3, 5);
    let out = |m: &Model| {
        m.classify_t(&x, false)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    assert_ne!(out(&a), out(&b));
    let loaded = checkpoint::load(&path, &Device::Cpu).unwrap();
    assert_eq!(loaded.state, state);
    load_into_varmap(&vb, &loaded.tensors, "c.safetensors").unwrap();
    assert_eq!(out(&a), out(&b));

    let mut tensors = loaded.tensors.clone();
    tensors.remove("fc.weight");
    let err = load_into_varmap(&vb, &tensors, "c.safetensors")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c.safetensors") && err.contains("`fc.weight` missing"),
        "{err}"
    );
    let mut tensors = loaded.tensors.clone();
    tensors.insert(
        "fc.weight".into(),
        Tensor::zeros((3, 3), DType::F32, &Device::Cpu).unwrap(),
    );
    let err = load_into_varmap(&vb, &tensors, "c.safetensors")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`fc.weight` has shape [3, 3]") && err.contains("[10, 64]"),
        "{err}"
    );
    let mut tensors = loaded.tensors.clone();
    tensors.insert(
        "lstm.weight".into(),
        Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap(),
    );
    let err = load_into_varmap(&vb, &tensors, "c.safetensors")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`lstm.weight` is not part of the model"),
        "{err}"
    );

    // A truncated file.
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = checkpoint::load(&cut, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut.safetensors"), "{err}");
}
