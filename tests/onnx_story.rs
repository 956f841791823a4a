//! The paper's story on an imported network (issue 18): the demo's FP network (ResNet-8 on the
//! embedded Fashion-MNIST subset, at the quick demo's sizes) trained by aimc, exported to ONNX,
//! imported as a user's own network, fine-tuned hardware-aware from the imported weights, and
//! swept: the imported FP network classifies as the native one, and after a day on the standard
//! PCM tile the HWA network beats the directly mapped one (as `tests/demo.rs` checks for the
//! native network).

mod common;

use aimc::experiment::Experiment;
use aimc::experiment::task::load_image_data;
use common::aimc;
use std::path::Path;

/// The demo's experiment at the quick demo's sizes, FP stage only.
fn native_experiment() -> String {
    let text = std::fs::read_to_string("models/demo-fashion.toml").unwrap();
    let fp_end = text.find("[hwa]").unwrap();
    text[..fp_end].replace(
        "dataset = \"fashion-mnist-demo\"",
        "dataset = \"fashion-mnist-demo\"\ntrain_subset = 1024\ntest_subset = 250",
    )
}

/// The imported network's experiment: the exported file, the native run's normalisation, FP
/// weights as they are, two HWA epochs with the quick demo's recipe.
fn imported_experiment(file: &Path, mean: f64, std: f64) -> String {
    format!(
        r#"[experiment]
name = "imported-resnet8"
seed = 0

[model]
architecture = "onnx"
file = "{}"
mean = [{mean}]
std = [{std}]

[data]
dataset = "fashion-mnist-demo"
train_subset = 1024
test_subset = 250
crop_padding = 2
horizontal_flip = true
normalize = false

[tile]
preset = "standard"

[fp]
epochs = 0

[hwa]
epochs = 2
batch_size = 64
optimizer = {{ kind = "sgd", lr = 0.01, momentum = 0.9, nesterov = true, weight_decay = 5e-4 }}
schedule = {{ kind = "cosine", min_lr = 0.0 }}
noise = {{ kind = "pcm", scale = 3.0, ramp_epochs = 0.5, read_time_s = 20.0 }}
input_range_init_batches = 4
distillation = {{ enabled = true, temperature = 10.0, weight = 0.75 }}
"#,
        file.display()
    )
}

/// `aimc sweep TARGET` at one day, 4 repeats: (FP accuracy, mean accuracy at 1 d).
fn sweep(target: &Path, out: &Path) -> (f64, f64) {
    let (ok, stdout, stderr) = aimc(&[
        "sweep",
        target.to_str().unwrap(),
        "--times",
        "1d",
        "--reps",
        "4",
        "--quiet",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    (
        json[0]["fp"].as_f64().unwrap(),
        json[0]["points"][0]["mean"].as_f64().unwrap(),
    )
}

#[test]
fn exported_imported_and_hwa_trained_the_network_beats_direct_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let native = dir.path().join("native.toml");
    std::fs::write(&native, native_experiment()).unwrap();
    let native_run = dir.path().join("native");
    let (ok, _, stderr) = aimc(&[
        "train",
        native.to_str().unwrap(),
        "--stage",
        "fp",
        "--out",
        native_run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{stderr}");
    let onnx = dir.path().join("resnet8.onnx");
    let (ok, _, stderr) = aimc(&[
        "export",
        native_run.to_str().unwrap(),
        "--out",
        onnx.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    // With --periphery the run's tiles (DAC, ADC quantisers) are written too.
    let with_periphery = dir.path().join("resnet8-periphery.onnx");
    let (ok, _, stderr) = aimc(&[
        "export",
        native_run.to_str().unwrap(),
        "--out",
        with_periphery.to_str().unwrap(),
        "--periphery",
    ]);
    assert!(ok, "{stderr}");
    let ops = |file: &Path| {
        let m = aimc::onnx::read_model(file).unwrap();
        m.nodes.iter().filter(|n| n.op_type() == "Floor").count()
    };
    assert_eq!(ops(&onnx), 0);
    assert!(ops(&with_periphery) > 0);

    // The exported network takes images normalised as the native run normalised them.
    let stats = load_image_data(&Experiment::load(&native).unwrap())
        .unwrap()
        .stats;
    let imported = dir.path().join("imported.toml");
    let text = imported_experiment(&onnx, stats[0].0, stats[0].1);
    std::fs::write(&imported, text).unwrap();
    let imported_run = dir.path().join("imported");
    let (ok, _, stderr) = aimc(&[
        "train",
        imported.to_str().unwrap(),
        "--out",
        imported_run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{stderr}");

    let (native_fp, _) = sweep(&native_run.join("fp"), &dir.path().join("s0"));
    let (fp, direct) = sweep(&imported, &dir.path().join("s1"));
    let (_, hwa) = sweep(&imported_run, &dir.path().join("s2"));
    eprintln!("FP {native_fp} (imported {fp}); at 1 d: direct mapping {direct}, HWA {hwa}");
    assert_eq!(
        fp, native_fp,
        "the imported FP network classifies as the native one"
    );
    assert!(
        hwa > direct,
        "HWA {hwa} against direct mapping {direct} at 1 d"
    );
}
