//! The BERT workload end to end on a tiny made-up "pretrained" model (config.json,
//! model.safetensors, vocab.txt) and made-up SST-2 files: the FP stage starts from the pretrained
//! weights, FP then HWA with distillation, exact resume, the accuracy sweep (direct mapping and
//! HWA) and `aimc train` / `aimc sweep`; experiment files that do not fit are refused naming the
//! key or the file.

mod common;

use aimc::experiment::Experiment;
use aimc::experiment::Metric;
use aimc::experiment::Stage;
use aimc::experiment::run_dir::checkpoint_path;
use aimc::experiment::run_dir::resolve;
use aimc::experiment::{TaskData, load_task_data};
use aimc::models::bert::{BertClassifier, BertConfig, Pooling};
use aimc::rng::NoiseRng;
use aimc::sweep::{SweepSpec, parse_times, run_sweep};
use aimc::tile::TileConfig;
use aimc::train::train;
use candle_core::{DType, Device};
use candle_nn::VarMap;
use common::{aimc, checkpoint_tensors, train_options};
use std::path::Path;

const WORDS: [&str; 17] = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "film", "movie", "was", "is", "very",
    "good", "great", "bad", "awful", "plot", "quite",
];

/// The encoder of the made-up pretrained model.
fn tiny_bert() -> BertConfig {
    BertConfig {
        pretrained: None,
        vocab_size: WORDS.len(),
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 24,
        type_vocab_size: 2,
        num_labels: 2,
        pooling: Pooling::Mean,
        dropout: 0.0,
        layer_norm_eps: 1e-12,
    }
}

/// Writes a Hugging Face-style model directory: config.json, model.safetensors (seeded random
/// weights with `bert.` names), vocab.txt.
fn write_pretrained(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let c = tiny_bert();
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "vocab_size": c.vocab_size,
        "hidden_size": c.hidden_size,
        "num_hidden_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads,
        "intermediate_size": c.intermediate_size,
        "max_position_embeddings": c.max_position_embeddings,
        "type_vocab_size": c.type_vocab_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "layer_norm_eps": 1e-12,
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let varmap = VarMap::new();
    let vb = aimc::nn::seeded_var_builder(&varmap, 77, DType::F32, &Device::Cpu);
    BertClassifier::new(c, vb.clone(), vb, &TileConfig::ideal(), NoiseRng::new(0)).unwrap();
    let tensors: std::collections::HashMap<String, candle_core::Tensor> = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| !n.starts_with("classifier") && !n.ends_with("input_range"))
        .filter(|(n, _)| !n.ends_with("out_scale"))
        .map(|(n, v)| (format!("bert.{n}"), v.as_tensor().clone()))
        .collect();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("vocab.txt"), WORDS.join("\n")).unwrap();
}

/// Sentences of a tiny grammar, labelled by their adjective.
fn sentences(n: usize, seed: u64) -> String {
    let mut rng = NoiseRng::new(seed);
    let mut pick = |k: usize| (rng.next_u64() % k as u64) as usize;
    let mut s = String::from("sentence\tlabel\n");
    for _ in 0..n {
        let subject = ["the film", "the movie", "the plot"][pick(3)];
        let verb = ["was", "is"][pick(2)];
        let adverb = ["", "very ", "quite "][pick(3)];
        let (adjective, label) = [("good", 1), ("great", 1), ("bad", 0), ("awful", 0)][pick(4)];
        s.push_str(&format!("{subject} {verb} {adverb}{adjective}\t{label}\n"));
    }
    s
}

fn experiment_text(extra_model: &str, extra_data: &str) -> String {
    format!(
        r#"[experiment]
name = "bert-test"
seed = 5

[model]
architecture = "bert"
pretrained = "pretrained"
num_labels = 2
pooling = "mean"
{extra_model}
[data]
dataset = "sst2"
dir = "sst2"
max_len = 12
eval_batch_size = 16
{extra_data}
[tile]
preset = "standard"

[fp]
epochs = 3
batch_size = 16
optimizer = {{ kind = "adamw", lr = 3e-3, weight_decay = 0.0 }}
schedule = {{ kind = "constant" }}

[hwa]
epochs = 2
batch_size = 16
optimizer = {{ kind = "adamw", lr = 1e-3, weight_decay = 0.0 }}
schedule = {{ kind = "constant" }}
noise = {{ kind = "pcm", scale = 3.0, ramp_epochs = 0.5 }}
input_range_init_batches = 3
lr_scaling = false
distillation = {{ enabled = true, temperature = 2.0, weight = 0.5 }}
"#
    )
}

/// The pretrained directory, the SST-2 files and `bert.toml` in `dir`.
fn setup(dir: &Path) -> Experiment {
    write_pretrained(&dir.join("pretrained"));
    std::fs::create_dir_all(dir.join("sst2")).unwrap();
    std::fs::write(dir.join("sst2/train.tsv"), sentences(160, 1)).unwrap();
    std::fs::write(dir.join("sst2/dev.tsv"), sentences(48, 2)).unwrap();
    let path = dir.join("bert.toml");
    std::fs::write(&path, experiment_text("", "")).unwrap();
    Experiment::load(&path).unwrap()
}

fn tensor(all: &[(String, Vec<f32>)], name: &str) -> Vec<f32> {
    all.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no tensor {name}"))
        .1
        .clone()
}

#[test]
fn fp_starts_from_the_pretrained_weights() {
    let dir = tempfile::tempdir().unwrap();
    let exp = setup(dir.path());
    let data = load_task_data(&exp).unwrap();
    // One epoch at a vanishing learning rate: the checkpoint keeps the pretrained encoder.
    let text = experiment_text("", "").replace("lr = 3e-3", "lr = 1e-12");
    let path = dir.path().join("still.toml");
    std::fs::write(&path, text).unwrap();
    let still = Experiment::load(&path).unwrap();
    let out = dir.path().join("still");
    train(
        &still,
        &data,
        &train_options(Stage::Fp, &out, Some(1), false),
    )
    .unwrap();
    let trained = checkpoint_tensors(&checkpoint_path(&out, Stage::Fp));
    let pretrained = candle_core::safetensors::load(
        dir.path().join("pretrained/model.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    for name in [
        "embeddings.word_embeddings.weight",
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.0.output.LayerNorm.bias",
    ] {
        let want = pretrained[&format!("bert.{name}")]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let got = tensor(&trained, name);
        let diff = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-6, "{name}: {diff}");
    }
    drop(exp);
}

#[test]
fn fp_then_hwa_train_resume_exactly_and_sweep_by_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let exp = setup(dir.path());
    let data = load_task_data(&exp).unwrap();
    let TaskData::Sentences(s) = &data else {
        panic!("a sentence experiment loads sentences")
    };
    assert_eq!((s.train.len(), s.test.len()), (160, 48));
    assert_eq!(data.metric(), Metric::Accuracy);
    assert_eq!(data.chance(), 0.5);

    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let fp = train(&exp, &data, &train_options(Stage::Fp, &a, None, false)).unwrap();
    assert_eq!(fp.metric, Metric::Accuracy);
    assert_eq!(fp.history.len(), 3);
    let acc = fp.history[2].eval_metric;
    assert!(acc >= 0.9, "FP accuracy {acc}");
    let hwa = train(&exp, &data, &train_options(Stage::Hwa, &a, None, false)).unwrap();
    assert_eq!(hwa.history.len(), 2);
    assert!(hwa.history[0].noise_scale > 0.0);
    let hwa_acc = hwa.history[1].eval_metric;
    assert!(hwa_acc >= 0.85, "HWA accuracy {hwa_acc}");
    for (stage, epochs) in [(Stage::Fp, 3), (Stage::Hwa, 2)] {
        train(&exp, &data, &train_options(stage, &b, Some(1), false)).unwrap();
        train(&exp, &data, &train_options(stage, &b, Some(epochs), true)).unwrap();
        let (ta, tb) = (
            checkpoint_tensors(&checkpoint_path(&a, stage)),
            checkpoint_tensors(&checkpoint_path(&b, stage)),
        );
        assert_eq!(ta.len(), tb.len());
        for ((na, va), (_, vb)) in ta.iter().zip(&tb) {
            assert_eq!(va, vb, "{stage:?}: tensor {na} differs after resume");
        }
    }
    // The HWA weights stay on the tiles' range; the input ranges were learned.
    let hwa_tensors = checkpoint_tensors(&checkpoint_path(&a, Stage::Hwa));
    let w = tensor(&hwa_tensors, "encoder.layer.0.intermediate.dense.weight");
    assert!(w.iter().all(|v| v.abs() <= 1.0));
    let range = tensor(
        &hwa_tensors,
        "encoder.layer.0.attention.self.query.weight.input_range",
    );
    assert!(range.iter().all(|&r| r > 0.0 && r != 1.0), "{range:?}");
    let csv = std::fs::read_to_string(a.join("hwa/history.csv")).unwrap();
    assert!(csv.starts_with(
        "epoch,lr,noise_scale,train_loss,train_accuracy,test_accuracy,sentences_per_s\n"
    ));

    // Sweeps of the HWA and (direct mapping) the FP checkpoint: accuracies, chance 1/2.
    let pcm = aimc::device::resolve_device("pcm").unwrap().device;
    let spec = SweepSpec {
        devices: vec![("pcm".into(), pcm)],
        tile: TileConfig::standard(),
        times: parse_times("1s,1y").unwrap(),
        reps: 2,
        seed: 1,
    };
    for run in [a.clone(), a.join("fp")] {
        let target = resolve(&run).unwrap();
        let r = run_sweep(&target, &spec, &data, &Device::Cpu, &mut |_| {}).unwrap();
        assert_eq!(r.metric, Metric::Accuracy);
        assert_eq!(r.chance, 0.5);
        assert_eq!(r.fp, acc, "the FP model's accuracy");
        for p in &r.points {
            assert_eq!(p.values.len(), 2);
            assert!(p.values.iter().all(|v| (0.0..=1.0).contains(v)));
            assert!(
                p.mean > 0.6,
                "{}: {} at {}",
                target.stage,
                p.mean,
                p.time_label
            );
        }
        let again = run_sweep(&target, &spec, &data, &Device::Cpu, &mut |_| {}).unwrap();
        assert_eq!(again.points, r.points, "the same seed, the same numbers");
    }
}

#[test]
fn the_cli_trains_and_sweeps_bert() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let exp = dir.path().join("bert.toml");
    let run = dir.path().join("run");
    let (ok, out, err) = aimc(&[
        "train",
        exp.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--epochs",
        "1",
        "--quiet",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("test_accuracy") && out.contains("sentences_per_s"),
        "{out}"
    );
    // The resolved configuration beside the checkpoint names the pretrained directory
    // absolutely and loads from anywhere.
    let config = std::fs::read_to_string(run.join("fp/config.toml")).unwrap();
    let pretrained = std::path::absolute(dir.path().join("pretrained")).unwrap();
    assert!(config.contains(&format!("pretrained = \"{}\"", pretrained.display())));
    assert!(config.contains("hidden_size = 16"), "{config}");
    let report = dir.path().join("report");
    let out = common::sweep_cli(&run, &report);
    assert!(out.contains("FP accuracy"), "{out}");
}

/// `aimc train` on `bert.toml` rewritten by `edit`: fails, and stderr contains every `needle`.
fn refused(dir: &Path, name: &str, text: &str, needles: &[&str]) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap(), "--quiet"]);
    assert!(!ok, "{name}: accepted");
    for n in needles {
        assert!(err.contains(n), "{name}: `{n}` not in: {err}");
    }
}

#[test]
fn experiments_that_do_not_fit_are_refused_naming_the_key_or_file() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = dir.path();
    let good = experiment_text("", "");
    refused(
        d,
        "no-pretrained.toml",
        &good.replace("pretrained = \"pretrained\"\n", "vocab_size = 17\nhidden_size = 16\nnum_hidden_layers = 1\nnum_attention_heads = 2\nintermediate_size = 32\nmax_position_embeddings = 24\ntype_vocab_size = 2\n"),
        &["no-pretrained.toml", "model.pretrained", "aimc data fetch minilm"],
    );
    refused(
        d,
        "other-size.toml",
        &experiment_text("hidden_size = 32\n", ""),
        &[
            "other-size.toml:10",
            "model.hidden_size",
            "16, as in",
            "config.json",
        ],
    );
    refused(
        d,
        "no-config.toml",
        &good.replace("pretrained = \"pretrained\"", "pretrained = \"elsewhere\""),
        &["elsewhere/config.json", "missing"],
    );
    refused(
        d,
        "long.toml",
        &good.replace("max_len = 12", "max_len = 100"),
        &["long.toml:14", "data.max_len", "max_position_embeddings 24"],
    );
    refused(
        d,
        "dev.toml",
        &experiment_text("", "dev_fraction = 0.2\n"),
        &["data.dev_fraction", "sst2"],
    );
    refused(
        d,
        "bptt.toml",
        &experiment_text("", "bptt = 10\n"),
        &["data.bptt", "no bptt for sentences"],
    );
    refused(
        d,
        "labels.toml",
        &good.replace("num_labels = 2", "num_labels = 3"),
        &["model.num_labels"],
    );
    refused(
        d,
        "images.toml",
        &good.replace("dataset = \"sst2\"", "dataset = \"fashion-mnist\""),
        &[
            "model.architecture",
            "\"resnet\" or \"wrn\"",
            "\"bert\", a sentence classifier",
        ],
    );
    // The tokenizer knows more tokens than the model embeds.
    let big = d.join("big");
    std::fs::create_dir_all(&big).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(d.join("pretrained").join(f), big.join(f)).unwrap();
    }
    let mut words = WORDS.join("\n");
    words.push_str("\nextra\nmore");
    std::fs::write(big.join("vocab.txt"), words).unwrap();
    refused(
        d,
        "tokens.toml",
        &good.replace("pretrained = \"pretrained\"", "pretrained = \"big\""),
        &["model.vocab_size", "19 tokens"],
    );
    // A missing dev file names the file and the fetch command.
    std::fs::remove_file(d.join("sst2/dev.tsv")).unwrap();
    refused(d, "bert2.toml", &good, &["dev.tsv", "aimc data fetch sst2"]);
}
