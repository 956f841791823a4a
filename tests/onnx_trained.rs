//! A network someone else trained, imported from ONNX: the ONNX model zoo's MNIST classifier
//! mnist-8 (`aimc data fetch onnx-mnist`, from the qonnx 1.0.0 wheel) on the real MNIST test set
//! (`aimc data fetch mnist`). On the ideal preset it classifies every test image as the ONNX
//! reference evaluator does (tests/fixtures/onnx-mnist-reference.txt, written by
//! scripts/onnx-classifier-reference.py); its experiment file is swept, studied and reported
//! through the CLI like a built-in network's run.

mod common;

use aimc::experiment::Experiment;
use aimc::experiment::load::build_model;
use aimc::experiment::task::load_image_data;
use aimc::tile::TileConfig;
use candle_core::{Device, Tensor};
use std::path::Path;

/// The experiment of the shipped file, when its data are fetched.
fn experiment() -> Option<Experiment> {
    common::fetched_set("onnx-mnist", "model.onnx")?;
    common::fetched_set("mnist", "t10k-images-idx3-ubyte")?;
    Some(Experiment::load(Path::new("models/mnist-onnx.toml")).unwrap())
}

/// The reference: (images, right), every prediction, the logits of the first images.
fn reference() -> (usize, usize, Vec<u32>, Vec<Vec<f32>>) {
    let text = std::fs::read_to_string("tests/fixtures/onnx-mnist-reference.txt").unwrap();
    let mut lines = text.lines();
    let counts: Vec<usize> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    let predictions = lines
        .next()
        .unwrap()
        .chars()
        .map(|c| c.to_digit(10).unwrap())
        .collect();
    let logits = lines
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect();
    (counts[0], counts[1], predictions, logits)
}

/// The reference evaluator's accuracy on the first `n` test images of `exp`.
fn reference_accuracy(exp: &Experiment, n: usize) -> f64 {
    let (_, _, want, _) = reference();
    let labels = load_image_data(exp).unwrap().test.labels;
    (0..n).filter(|&i| want[i] == labels[i]).count() as f64 / n as f64
}

/// On the ideal preset, the imported classifier gives the reference evaluator's class for every
/// one of the 10,000 test images (hence its accuracy, 98.91 %), and its logits to the rounding
/// of f32 sums: a relative error (to the largest logit) of at most 6 sqrt(2) 2^-24
/// sqrt(sum of fan-ins), the fan-ins 25 + 200 + 256 of its three matrices (the bound of the
/// light models' test, tests/onnx_light.rs).
#[test]
fn the_trained_classifier_classifies_as_the_reference_evaluator() {
    let Some(exp) = experiment() else {
        return;
    };
    let device = Device::Cpu;
    let (model, _) = build_model(&exp, &TileConfig::ideal(), &device).unwrap();
    let data = load_image_data(&exp).unwrap();
    let (n, right, want, want_logits) = reference();
    assert_eq!(data.test.len(), n);
    let stats = vec![(0.0, 1.0)];
    let mut loader = aimc::data::Loader::new(&data.test, 500, &stats, Default::default(), None);
    let (mut predictions, mut labels, mut first) = (Vec::new(), Vec::new(), None);
    for k in 0..loader.batches() {
        let (x, y) = loader.batch(k, &device).unwrap();
        let logits = model.classify_t(&x, false).unwrap();
        if first.is_none() {
            first = Some(logits.narrow(0, 0, 16).unwrap());
        }
        predictions.extend(logits.argmax(1).unwrap().to_vec1::<u32>().unwrap());
        labels.extend(y.to_vec1::<u32>().unwrap());
    }
    let differ: Vec<usize> = (0..n).filter(|&i| predictions[i] != want[i]).collect();
    assert!(differ.is_empty(), "images classified otherwise: {differ:?}");
    let correct = (0..n).filter(|&i| predictions[i] == labels[i]).count();
    assert_eq!(correct, right);
    let got = first.unwrap().to_vec2::<f32>().unwrap();
    let scale = want_logits
        .iter()
        .flatten()
        .fold(0f32, |m, v| m.max(v.abs()));
    let max_err = got
        .iter()
        .flatten()
        .zip(want_logits.iter().flatten())
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    let bound = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * ((25 + 200 + 256) as f32).sqrt();
    eprintln!("mnist-8 logits: max relative error {}", max_err / scale);
    assert!(max_err / scale <= bound, "{} > {bound}", max_err / scale);
}

/// The package's own test data set (`test_data_set_0`: one image, its logits) passes.
#[test]
fn the_packages_test_data_set_passes() {
    use aimc::onnx::execute::{from_candle, run_graph, to_candle};
    use aimc::onnx::proto::TensorProto;
    use aimc::onnx::tensor::{TensorData, read_tensor};
    use prost::Message;
    let Some(dir) = common::fetched_set("onnx-mnist", "model.onnx") else {
        return;
    };
    let pb = |name: &str| {
        let path = dir.join("test_data_set_0").join(name);
        let t = TensorProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
        read_tensor(&t, &dir, name).unwrap()
    };
    let model = aimc::onnx::read_model(&dir.join("model.onnx")).unwrap();
    let constants = aimc::onnx::fold::fold_constants(&model).unwrap();
    let device = Device::Cpu;
    let x: Tensor = to_candle(&pb("input_0.pb"), &device).unwrap();
    let inputs = [(model.inputs[0].0.clone(), x)].into_iter().collect();
    let y = from_candle(&run_graph(&model, &constants, &inputs, &device).unwrap()[0]).unwrap();
    let want = pb("output_0.pb");
    let (TensorData::F32(got), TensorData::F32(want)) = (&y.data, &want.data) else {
        panic!("f32 logits expected");
    };
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
    }
}

/// `aimc sweep` of the experiment file (a small test subset), then `aimc sensitivity` and
/// `aimc report` of the sweep, as for a trained run: the FP accuracy is the digital network's,
/// the report files are written.
#[test]
fn an_imported_network_is_swept_studied_and_reported() {
    let Some(exp) = experiment() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mnist.toml");
    let text = std::fs::read_to_string(&exp.file).unwrap().replace(
        "normalize = false",
        "normalize = false\ntrain_subset = 256\ntest_subset = 200",
    );
    let model = aimc::data::catalog::data_dir().join("onnx-mnist/model.onnx");
    let text = text.replace(
        "file = \"onnx-mnist\"",
        &format!(
            "file = \"{}\"",
            std::path::absolute(model).unwrap().display()
        ),
    );
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("sweep");
    let (ok, stdout, stderr) = common::aimc(&[
        "sweep",
        file.to_str().unwrap(),
        "--reps",
        "2",
        "--times",
        "1s,1y",
        "--quiet",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let r = &json[0];
    assert_eq!(r["run"], "mnist-onnx-fp");
    assert_eq!(r["stage"], "fp");
    assert_eq!(r["points"].as_array().unwrap().len(), 2);
    assert_eq!(r["fp"].as_f64().unwrap(), reference_accuracy(&exp, 200));
    for f in [
        "sweep.csv",
        "sweep.json",
        "summary.md",
        "drift.png",
        "drift.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let study = dir.path().join("study");
    let (ok, _, stderr) = common::aimc(&[
        "sensitivity",
        file.to_str().unwrap(),
        "--knob",
        "adc-bits",
        "--values",
        "4,8",
        "--reps",
        "1",
        "--quiet",
        "--out",
        study.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(study.join("sensitivity.csv").is_file());
    let combined = dir.path().join("combined");
    let (ok, _, stderr) = common::aimc(&[
        "report",
        out.to_str().unwrap(),
        "--out",
        combined.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(combined.join("summary.md").is_file());
}

/// An experiment file is a sweep target only for a network that holds trained weights.
#[test]
fn an_untrained_architectures_experiment_file_is_refused_as_a_target() {
    let (ok, _, stderr) = common::aimc(&["sweep", "models/resnet8-fashion-small.toml", "--quiet"]);
    assert!(!ok);
    assert!(
        stderr.contains("resnet8-fashion-small.toml") && stderr.contains("no trained weights"),
        "{stderr}"
    );
}

/// `aimc sweep --model FILE.onnx --dataset NAME`: the same sweep without an experiment file;
/// flags describing an imported network's data are refused with a run directory, and bad values
/// name their flag.
#[test]
fn the_model_flag_sweeps_an_onnx_file_given_on_the_command_line() {
    let Some(exp) = experiment() else {
        return;
    };
    let model = aimc::data::catalog::data_dir().join("onnx-mnist/model.onnx");
    let model = model.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let args = |extra: &[&str]| {
        let mut a = vec!["sweep", "--quiet", "--reps", "1", "--times", "1s"];
        a.extend_from_slice(extra);
        common::aimc(&a)
    };
    let (ok, stdout, stderr) = args(&[
        "--model",
        model,
        "--dataset",
        "mnist",
        "--scale",
        "255",
        "--test-subset",
        "100",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["run"], "model-fp");
    assert_eq!(
        json[0]["fp"].as_f64().unwrap(),
        reference_accuracy(&exp, 100)
    );
    for (extra, needle) in [
        (vec!["runs/none", "--dataset", "mnist"], "--dataset"),
        (vec!["--model", model], "--dataset"),
        (
            vec!["--model", model, "--dataset", "mnist", "--scale", "-1"],
            "--scale",
        ),
        (
            vec!["--model", model, "--dataset", "mnist", "--mean", "1,2"],
            "--mean",
        ),
        (vec!["--model", model, "--dataset", "nosuch"], "--dataset"),
    ] {
        let (ok, _, stderr) = args(&extra);
        assert!(!ok && stderr.contains(needle), "{extra:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// `aimc train` of an imported network: `fp.epochs = 0` takes the file's weights as the FP
/// checkpoint, the HWA stage fine-tunes them (one epoch of 512 images, distillation from the
/// imported network), and `aimc sweep` of the run evaluates the HWA checkpoint as for a
/// built-in network. The FP network classifies 98.6 % of these 500 test images; one HWA epoch
/// at a learning rate suited to its raw 0..255 inputs keeps it above 90 % on the standard PCM
/// tile one second after programming (chance: 10 %). `aimc export` of the run writes the file's
/// graph with the trained weights, which computes what the HWA network computes on the ideal
/// preset (to the f32 bound of the reference test).
#[test]
fn an_imported_network_trains_hardware_aware_sweeps_and_exports() {
    let Some(exp) = experiment() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mnist-hwa.toml");
    let model =
        std::path::absolute(aimc::data::catalog::data_dir().join("onnx-mnist/model.onnx")).unwrap();
    let text = std::fs::read_to_string(&exp.file)
        .unwrap()
        .replace(
            "file = \"onnx-mnist\"",
            &format!("file = \"{}\"", model.display()),
        )
        .replace(
            "normalize = false",
            "normalize = false\ntrain_subset = 512\ntest_subset = 500",
        )
        .replace("[fp]\nepochs = 1", "[fp]\nepochs = 0")
        + "\n[hwa]\nepochs = 1\nbatch_size = 32\n\
           optimizer = { kind = \"sgd\", lr = 0.00001, momentum = 0.9 }\n\
           noise = { kind = \"pcm\", scale = 3.0, ramp_epochs = 0.5 }\n";
    std::fs::write(&file, text).unwrap();
    let runs = dir.path().join("run");
    let (ok, _, stderr) = common::aimc(&[
        "train",
        file.to_str().unwrap(),
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{stderr}");
    for stage in ["fp", "hwa"] {
        assert!(runs.join(stage).join("checkpoint.safetensors").is_file());
    }
    let (ok, stdout, stderr) = common::aimc(&[
        "sweep",
        runs.to_str().unwrap(),
        "--reps",
        "1",
        "--times",
        "1s",
        "--quiet",
        "--format",
        "json",
        "--out",
        dir.path().join("sweep").to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["stage"], "hwa");
    assert_eq!(
        json[0]["fp"].as_f64().unwrap(),
        reference_accuracy(&exp, 500)
    );
    let hwa = json[0]["points"][0]["mean"].as_f64().unwrap();
    assert!(hwa > 0.9, "HWA accuracy {hwa}");

    let exported = dir.path().join("exported.onnx");
    let (ok, _, stderr) = common::aimc(&[
        "export",
        runs.to_str().unwrap(),
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    // The HWA network on the ideal preset, and the exported graph.
    let target = aimc::experiment::run_dir::resolve(&runs).unwrap();
    let digital = target.experiment.config.tile.digital();
    let device = Device::Cpu;
    let (trained, _) =
        aimc::experiment::load::target_model(&target, false, &digital, &device).unwrap();
    let data = load_image_data(&target.experiment).unwrap();
    let stats = vec![(0.0, 1.0)];
    let mut loader = aimc::data::Loader::new(&data.test, 16, &stats, Default::default(), None);
    let (x, _) = loader.batch(0, &device).unwrap();
    let want = trained.classify_t(&x, false).unwrap();
    let model = aimc::onnx::read_model(&exported).unwrap();
    let constants = aimc::onnx::fold::fold_constants(&model).unwrap();
    let mut got = Vec::new();
    for i in 0..16 {
        let image = (x.narrow(0, i, 1).unwrap() * 255.0).unwrap();
        let inputs = [(model.inputs[0].0.clone(), image)].into_iter().collect();
        let y = aimc::onnx::execute::run_graph(&model, &constants, &inputs, &device).unwrap();
        got.push(y[0].clone());
    }
    let got = Tensor::cat(&got, 0).unwrap();
    let err = (&got - &want).unwrap().abs().unwrap().max_all().unwrap();
    let scale = want.abs().unwrap().max_all().unwrap();
    let rel = err.to_scalar::<f32>().unwrap() / scale.to_scalar::<f32>().unwrap();
    let bound = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * ((25 + 200 + 256) as f32).sqrt();
    assert!(rel <= bound, "exported vs trained: {rel} > {bound}");
    // The export carries the trained weights, not the file's.
    let original = aimc::onnx::read_model(&model_file(&exp)).unwrap();
    let trained_w = &model.initializers["Parameter5"];
    assert_ne!(trained_w.data, original.initializers["Parameter5"].data);
    // The chip after one day holds other weights again.
    let chip = dir.path().join("chip.onnx");
    let (ok, _, stderr) = common::aimc(&[
        "export",
        runs.to_str().unwrap(),
        "--out",
        chip.to_str().unwrap(),
        "--programmed",
        "--time",
        "1d",
    ]);
    assert!(ok, "{stderr}");
    let chip = aimc::onnx::read_model(&chip).unwrap();
    assert_ne!(chip.initializers["Parameter5"].data, trained_w.data);
    // With --periphery (opset 8: Clip's bounds as attributes) the analog nodes become their
    // tiles: quantisers (Floor) in, the file's weights of the replaced nodes out.
    let periphery = dir.path().join("periphery.onnx");
    let (ok, _, stderr) = common::aimc(&[
        "export",
        runs.to_str().unwrap(),
        "--out",
        periphery.to_str().unwrap(),
        "--periphery",
    ]);
    assert!(ok, "{stderr}");
    let periphery = aimc::onnx::read_model(&periphery).unwrap();
    assert!(periphery.nodes.iter().any(|n| n.op_type() == "Floor"));
    assert!(!periphery.initializers.contains_key("Parameter5"));
}

/// The model file of the shipped experiment.
fn model_file(exp: &Experiment) -> std::path::PathBuf {
    std::path::PathBuf::from(exp.config.model.trained_weights_file().unwrap())
}

/// The export of an untrained imported network (its experiment file) is the file's network:
/// the same logits on the package's test input, to the bit. A built-in architecture's
/// experiment file has no trained weights to export: an error naming the file.
#[test]
fn exporting_an_imported_network_as_it_is_gives_the_same_network() {
    let Some(exp) = experiment() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("same.onnx");
    let (ok, _, stderr) = common::aimc(&["export", &exp.file, "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let device = Device::Cpu;
    let logits = |path: &Path| {
        let model = aimc::onnx::read_model(path).unwrap();
        let constants = aimc::onnx::fold::fold_constants(&model).unwrap();
        let x = Tensor::ones((1, 1, 28, 28), candle_core::DType::F32, &device).unwrap();
        let x = (x * 100.0).unwrap();
        let inputs = [(model.inputs[0].0.clone(), x)].into_iter().collect();
        let y = aimc::onnx::execute::run_graph(&model, &constants, &inputs, &device).unwrap();
        y[0].flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    assert_eq!(logits(&out), logits(&model_file(&exp)));
    let (ok, _, stderr) = common::aimc(&[
        "export",
        "models/resnet8-fashion-small.toml",
        "--out",
        dir.path().join("r.onnx").to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("resnet8-fashion-small.toml"),
        "{stderr}"
    );
    assert!(!dir.path().join("r.onnx").exists());
}
