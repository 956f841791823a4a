//! `aimc export` of built-in image classifiers (issue 18): a ResNet and a WRN in the HWA
//! parametrisation (normalised weights, output scales), with batch-norm statistics moved by
//! training passes, written as ONNX and imported again compute the network's logits on the
//! ideal preset (to f32 rounding: 6 sqrt(2) 2^-24 sqrt(sum of fan-ins), the bound of
//! tests/onnx_light.rs); the CLI refuses what it does not export yet.

mod common;

use aimc::models::bert::Pooling;
use aimc::models::resnet::ResNetConfig;
use aimc::models::wide_resnet::WideResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{matrices, seeded_var_builder};
use aimc::onnx::execute::run_graph;
use aimc::onnx::fold::fold_constants;
use aimc::onnx::read::parse_model;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;

fn images(seed: u64) -> Tensor {
    let mut v = vec![0f32; 4 * 3 * 16 * 16];
    NoiseRng::new(seed).fill_normal(&mut v);
    Tensor::from_vec(v, (4, 3, 16, 16), &Device::Cpu).unwrap()
}

/// The two exported architectures: a ResNet-8 (width 4) and a WRN-10-1, 3 channels, 10 classes.
fn configs() -> [ModelConfig; 2] {
    [
        ModelConfig::Resnet(ResNetConfig {
            depth: 8,
            classes: 10,
            in_channels: 3,
            width: 4,
        }),
        ModelConfig::Wrn(WideResNetConfig {
            depth: 10,
            width: 1,
            classes: 10,
            in_channels: 3,
            dropout: 0.0,
        }),
    ]
}

/// `config` built from seed 5 on the ideal preset, batch-norm statistics moved by three
/// training passes, in HWA's parametrisation (normalised weights, output scales).
fn trained_like(config: &ModelConfig) -> Model {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 5, DType::F32, &Device::Cpu);
    let model = Model::build(config, vb, &TileConfig::ideal(), NoiseRng::new(2)).unwrap();
    for seed in 0..3 {
        model.classify_t(&images(seed), true).unwrap();
    }
    aimc::train::hwa::remap_all(&model).unwrap();
    model
}

fn export(model: &Model) -> Vec<u8> {
    model
        .onnx_bytes(&[None, Some(3), None, None], &[None, Some(10)], false)
        .unwrap()
        .unwrap()
}

/// A 2-layer LSTM language model (vocabulary 20, embedding 6, hidden 5) from seed 3, in HWA's
/// parametrisation.
fn language_model() -> Model {
    let config = common::models::tiny_lstm_lm();
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 3, DType::F32, &Device::Cpu);
    let model = Model::build(&config, vb, &TileConfig::ideal(), NoiseRng::new(2)).unwrap();
    aimc::train::hwa::remap_all(&model).unwrap();
    model
}

/// A 2-layer BERT (vocabulary 30, hidden 8, 2 heads, FFN 16, 3 labels) from seed 6 with
/// `pooling`, in HWA's parametrisation.
fn bert(pooling: Pooling) -> Model {
    let config = common::models::tiny_bert(pooling);
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 6, DType::F32, &Device::Cpu);
    let model = Model::build(&config, vb, &TileConfig::ideal(), NoiseRng::new(2)).unwrap();
    aimc::train::hwa::remap_all(&model).unwrap();
    model
}

/// BERT's test sentences: token ids (7919 k) mod 20 of shape [2, 4] and the attention mask
/// [[1, 1, 1, 1], [1, 1, 1, 0]] (int64), as `scripts/onnx-export-reference.py` makes them.
fn sentences() -> (Tensor, Tensor) {
    let ids: Vec<i64> = (0..8).map(|k| (k * 7919) % 20).collect();
    let mask: Vec<i64> = vec![1, 1, 1, 1, 1, 1, 1, 0];
    (
        Tensor::from_vec(ids, (2, 4), &Device::Cpu).unwrap(),
        Tensor::from_vec(mask, (2, 4), &Device::Cpu).unwrap(),
    )
}

/// The relative error of `got` against `want` (to the largest |want|), and its bound for a
/// network whose matrices have `fan_ins` rows in all.
fn relative(got: &[f32], want: &[f32], fan_ins: usize) -> (f32, f32) {
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let err = got
        .iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    let bound = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * (fan_ins as f32).sqrt();
    (err / scale, bound)
}

/// The exported files, run by the ONNX reference evaluator (`scripts/onnx-export-reference.py`,
/// onnx 1.16.2 with batch normalisation as the operator defines it) on the closed-form input
/// x[k] = ((7919 k) mod 1000) / 1000 - 0.5 of shape [2, 3, 16, 16] (for the language model the
/// token ids (7919 k) mod 20 of shape [2, 4]): aimc's import of the same files gives the same
/// logits. The files are `tests/fixtures/onnx-export/*.onnx`; today's
/// export of the same networks is byte-identical to them on processors with the fixtures'
/// matrix kernels (`AIMC_WRITE_FIXTURES=1` writes them anew).
#[test]
fn exported_networks_run_as_the_reference_evaluator_runs_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx-export");
    let device = Device::Cpu;
    let lm = language_model();
    let lm_bytes = lm
        .onnx_bytes(&[None, None], &[None, None, Some(20)], false)
        .unwrap()
        .unwrap();
    let mut networks: Vec<(Model, Vec<u8>, &str)> = configs()
        .iter()
        .map(|c| {
            let m = trained_like(c);
            let b = export(&m);
            (m, b, c.name())
        })
        .collect();
    networks.push((lm, lm_bytes, "lstm-lm"));
    let bert = bert(Pooling::Cls);
    let bert_bytes = bert
        .onnx_bytes(&[None, None], &[None, Some(3)], false)
        .unwrap()
        .unwrap();
    networks.push((bert, bert_bytes, "bert"));
    for (model, bytes, name) in networks {
        let file = dir.join(format!("{name}.onnx"));
        if std::env::var_os("AIMC_WRITE_FIXTURES").is_some() {
            // Then `scripts/onnx-export-reference.py` writes the reference logits.
            std::fs::write(&file, &bytes).unwrap();
            continue;
        } else if common::same_kernels_as_fixtures() {
            assert!(std::fs::read(&file).unwrap() == bytes, "{}", file.display());
        }
        let onnx = aimc::onnx::read_model(&file).unwrap();
        let constants = fold_constants(&onnx).unwrap();
        let mut inputs = HashMap::new();
        let x = if name == "lstm-lm" {
            let ids: Vec<i64> = (0..8).map(|k| (k * 7919) % 20).collect();
            Tensor::from_vec(ids, (2, 4), &device).unwrap()
        } else if name == "bert" {
            let (ids, mask) = sentences();
            inputs.insert(onnx.inputs[1].0.clone(), mask);
            ids
        } else {
            let n = 2 * 3 * 16 * 16;
            let x: Vec<f32> = (0..n)
                .map(|k| ((k * 7919) % 1000) as f32 / 1000.0 - 0.5)
                .collect();
            Tensor::from_vec(x, (2, 3, 16, 16), &device).unwrap()
        };
        inputs.insert(onnx.inputs[0].0.clone(), x);
        let got = run_graph(&onnx, &constants, &inputs, &device)
            .unwrap()
            .remove(0);
        let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap();
        let want: Vec<f32> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
        let shape = match name {
            "lstm-lm" => "2 4 20",
            "bert" => "2 3",
            _ => "2 10",
        };
        assert_eq!(text.lines().next().unwrap(), shape);
        let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
        let (rel, bound) = relative(&got, &want, fan_ins);
        eprintln!("{} vs the reference evaluator: {rel} (bound {bound})", name);
        assert!(rel <= bound, "{}: {rel} > {bound}", name);
    }
}

#[test]
fn resnet_and_wrn_export_and_import_to_the_same_logits() {
    let device = Device::Cpu;
    for config in configs() {
        let model = trained_like(&config);
        let x = images(9);
        let want = model.classify_t(&x, false).unwrap();
        let bytes = export(&model);
        let onnx = parse_model(&bytes, Path::new("exported.onnx"), Path::new(".")).unwrap();
        let constants = fold_constants(&onnx).unwrap();
        let inputs = HashMap::from([(onnx.inputs[0].0.clone(), x)]);
        let got = run_graph(&onnx, &constants, &inputs, &device)
            .unwrap()
            .remove(0);
        let err = (&got - &want).unwrap().abs().unwrap().max_all().unwrap();
        let scale = want.abs().unwrap().max_all().unwrap();
        let rel = err.to_scalar::<f32>().unwrap() / scale.to_scalar::<f32>().unwrap();
        let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
        let bound = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * (fan_ins as f32).sqrt();
        eprintln!("{}: relative error {rel} (bound {bound})", config.name());
        assert!(rel <= bound, "{}: {rel} > {bound}", config.name());
        // Every analog layer of the network is an analog node of the imported graph.
        let map = aimc::onnx::plan::plan_graph(&onnx, &constants, Default::default()).unwrap();
        assert_eq!(map.matrices().len(), matrices(&model).len());
    }
}

/// `--programmed`: the weights one programmed chip holds at a time. A ResNet programmed with
/// PCM and read one day later, on a tile whose periphery is ideal (so the tile computes exactly
/// with its realised weights), gives the logits its export computes; the realised weights are
/// not the trained ones.
#[test]
fn a_programmed_chip_exports_the_weights_it_holds() {
    let device = Device::Cpu;
    let config = &configs()[0];
    let model = trained_like(config);
    let trained = export(&model);
    let pcm = aimc::device::resolve_device("pcm").unwrap().device;
    aimc::nn::program_all(&model, &pcm, 11).unwrap();
    aimc::nn::read_all(&model, 86_400.0, 12).unwrap();
    let x = images(4);
    let want = model.classify_t(&x, false).unwrap();
    let bytes = export(&model);
    assert_ne!(bytes, trained);
    let onnx = parse_model(&bytes, Path::new("chip.onnx"), Path::new(".")).unwrap();
    let constants = fold_constants(&onnx).unwrap();
    let inputs = HashMap::from([(onnx.inputs[0].0.clone(), x)]);
    let got = run_graph(&onnx, &constants, &inputs, &device)
        .unwrap()
        .remove(0);
    let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
    let (rel, bound) = relative(
        &got.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        &want.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        fan_ins,
    );
    assert!(rel <= bound, "{rel} > {bound}");
}

/// The CLI refuses the chip's flags without `--programmed`, and what it does not export.
#[test]
fn export_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.onnx");
    let (ok, _, stderr) = common::aimc(&[
        "export",
        "runs/none",
        "--out",
        out.to_str().unwrap(),
        "--device",
        "pcm",
    ]);
    assert!(!ok && stderr.contains("--programmed"), "{stderr}");
    let (ok, _, stderr) = common::aimc(&["export", "runs/none", "--out", out.to_str().unwrap()]);
    assert!(!ok && stderr.contains("runs/none"), "{stderr}");
    let (ok, stdout, _) = common::aimc(&["export", "--help"]);
    assert!(ok && stdout.contains("--programmed"), "{stdout}");
    assert!(!out.exists());
}

/// The LSTM language model (2 layers, HWA's parametrisation) exported and imported: from token
/// ids and zero states, the same next-word logits (to f32 rounding of its sums).
#[test]
fn the_language_model_exports_and_imports_to_the_same_logits() {
    let device = Device::Cpu;
    let model = language_model();
    let ids: Vec<u32> = vec![1, 2, 3, 4, 19, 0, 7, 7];
    let tokens = Tensor::from_vec(ids.clone(), (2, 4), &device).unwrap();
    let lm = model.language_model().unwrap();
    let states = lm
        .zero_states(2, &Tensor::zeros(1, DType::F32, &device).unwrap())
        .unwrap();
    let want = lm.forward_t(&tokens, &states, false).unwrap().0;
    let bytes = model
        .onnx_bytes(&[None, None], &[None, None, Some(20)], false)
        .unwrap()
        .unwrap();
    let onnx = parse_model(&bytes, Path::new("lm.onnx"), Path::new(".")).unwrap();
    let constants = fold_constants(&onnx).unwrap();
    let ids: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
    let inputs = HashMap::from([(
        onnx.inputs[0].0.clone(),
        Tensor::from_vec(ids, (2, 4), &device).unwrap(),
    )]);
    let got = run_graph(&onnx, &constants, &inputs, &device)
        .unwrap()
        .remove(0);
    assert_eq!(got.dims(), want.dims());
    let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
    let (rel, bound) = relative(
        &got.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        &want.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        fan_ins * 4,
    );
    eprintln!("lstm-lm: relative error {rel} (bound {bound})");
    assert!(rel <= bound, "{rel} > {bound}");
    // Its LSTM and decoder matrices are analog nodes of the imported graph.
    let plan = aimc::onnx::plan::plan_graph(&onnx, &constants, Default::default()).unwrap();
    assert_eq!(plan.matrices().len(), matrices(&model).len());
}

/// BERT (2 layers, HWA's parametrisation; [CLS] pooling and mean pooling) exported and
/// imported: from token ids and an attention mask with padding, the same class logits (to f32
/// rounding of its sums); its matrices (the pooler's but with mean pooling, which leaves it
/// out) are analog nodes of the imported graph.
#[test]
fn bert_exports_and_imports_to_the_same_logits() {
    let device = Device::Cpu;
    for pooling in [Pooling::Cls, Pooling::Mean] {
        let model = bert(pooling);
        let (ids, mask) = sentences();
        let want = model
            .sentence_classifier()
            .unwrap()
            .classify_t(&ids.to_dtype(DType::U32).unwrap(), &mask, false)
            .unwrap();
        let bytes = model
            .onnx_bytes(&[None, None], &[None, Some(3)], false)
            .unwrap()
            .unwrap();
        let onnx = parse_model(&bytes, Path::new("bert.onnx"), Path::new(".")).unwrap();
        let constants = fold_constants(&onnx).unwrap();
        let inputs = HashMap::from([
            (onnx.inputs[0].0.clone(), ids),
            (onnx.inputs[1].0.clone(), mask),
        ]);
        let got = run_graph(&onnx, &constants, &inputs, &device)
            .unwrap()
            .remove(0);
        assert_eq!(got.dims(), want.dims());
        let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
        let (rel, bound) = relative(
            &got.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            &want.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            fan_ins,
        );
        eprintln!("bert ({pooling:?}): relative error {rel} (bound {bound})");
        assert!(rel <= bound, "{pooling:?}: {rel} > {bound}");
        let plan = aimc::onnx::plan::plan_graph(&onnx, &constants, Default::default()).unwrap();
        let on_tiles = matrices(&model).len() - usize::from(pooling == Pooling::Mean);
        assert_eq!(plan.matrices().len(), on_tiles);
    }
}
