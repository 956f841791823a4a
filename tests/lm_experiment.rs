//! The language-model workload end to end on a small made-up corpus written as PTB files:
//! `aimc train` (FP then HWA with every mechanism, plateau schedule, gradient clipping), exact
//! resume, the perplexity sweep with its A* (chance = the vocabulary size) and its report, and
//! the errors of a corpus that does not fit the experiment.

mod common;

use aimc::data::text_corpus::TextCorpus;
use aimc::experiment::Experiment;
use aimc::experiment::Metric;
use aimc::experiment::Stage;
use aimc::experiment::metric::normalized_perplexity;
use aimc::experiment::run_dir::checkpoint_path;
use aimc::experiment::run_dir::resolve;
use aimc::experiment::schedule::plateau_lr;
use aimc::experiment::{TaskData, load_task_data};
use aimc::report::sweep_report::write_report;
use aimc::rng::NoiseRng;
use aimc::sweep::{SweepSpec, parse_times, run_sweep};
use aimc::tile::TileConfig;
use aimc::train::train;
use candle_core::Device;
use common::{aimc, checkpoint_tensors, train_options};
use std::path::Path;

/// Writes `ptb.{train,valid,test}.txt` of sentences from a tiny grammar into `dir`; returns
/// the vocabulary size.
fn write_corpus(dir: &Path) -> usize {
    let subjects = ["the cat", "a dog", "my bird", "the fish", "<unk>"];
    let verbs = ["sees", "likes", "chases"];
    let objects = ["the ball", "a stick", "the sun"];
    let mut rng = NoiseRng::new(9);
    let mut pick = |n: usize| (rng.next_u64() % n as u64) as usize;
    let mut lines = |n: usize| {
        (0..n)
            .map(|_| {
                let (s, v, o) = (pick(5), pick(3), pick(3));
                format!("{} {} {}\n", subjects[s], verbs[v], objects[o])
            })
            .collect::<String>()
    };
    let texts = [lines(300), lines(60), lines(60)];
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in ["train", "valid", "test"].iter().zip(&texts) {
        std::fs::write(dir.join(format!("ptb.{name}.txt")), text).unwrap();
    }
    let files = ["train", "valid", "test"].map(|n| dir.join(format!("ptb.{n}.txt")));
    TextCorpus::read(&files[0], &files[1], &files[2])
        .unwrap()
        .vocab
        .len()
}

fn experiment_text(vocab: usize, extra_data: &str) -> String {
    format!(
        r#"[experiment]
name = "lm-test"
seed = 3

[model]
architecture = "lstm-lm"
vocab = {vocab}
embedding = 16
hidden = 24
layers = 2
dropout = 0.1

[data]
dataset = "ptb"
dir = "corpus"
bptt = 10
eval_batch_size = 4
{extra_data}
[tile]
preset = "standard"

[fp]
epochs = 3
batch_size = 4
optimizer = {{ kind = "sgd", lr = 10.0, momentum = 0.0, nesterov = false, weight_decay = 0.0 }}
schedule = {{ kind = "plateau", factor = 0.25 }}
grad_clip = 0.5

[hwa]
epochs = 2
batch_size = 8
optimizer = {{ kind = "sgd", lr = 0.5, momentum = 0.0, nesterov = false, weight_decay = 0.0 }}
schedule = {{ kind = "plateau", factor = 0.25 }}
grad_clip = 0.5
noise = {{ kind = "pcm", scale = 3.0, ramp_epochs = 0.5 }}
input_range_init_batches = 3
lr_scaling = false
remap_every_epoch = true
distillation = {{ enabled = true, temperature = 2.0, weight = 0.5 }}
"#
    )
}

fn setup(dir: &Path, extra_data: &str) -> Experiment {
    let vocab = write_corpus(&dir.join("corpus"));
    let path = dir.join("lm.toml");
    std::fs::write(&path, experiment_text(vocab, extra_data)).unwrap();
    Experiment::load(&path).unwrap()
}

#[test]
fn fp_then_hwa_train_resume_exactly_and_sweep_by_perplexity() {
    let dir = tempfile::tempdir().unwrap();
    let exp = setup(dir.path(), "");
    let data = load_task_data(&exp).unwrap();
    let TaskData::Text(text) = &data else {
        panic!("a text experiment loads text")
    };
    let vocab = text.corpus.vocab.len() as f64;
    assert_eq!(data.metric(), Metric::Perplexity);
    assert_eq!(data.chance(), vocab);

    // FP then HWA in one go (run a); FP 1 epoch, then resumed to 3 (run b).
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let fp = train(&exp, &data, &train_options(Stage::Fp, &a, None, false)).unwrap();
    assert_eq!(fp.metric, Metric::Perplexity);
    assert_eq!(fp.history.len(), 3);
    let first = fp.history[0].eval_metric;
    let last = fp.history[2].eval_metric;
    assert!(
        last < first / 2.0 && last < vocab / 3.0,
        "{first} -> {last} (vocabulary {vocab})"
    );
    // The plateau schedule: each epoch's rate follows from the validation before it.
    let valid: Vec<f64> = fp.history.iter().map(|r| r.eval_metric).collect();
    for (k, r) in fp.history.iter().enumerate() {
        assert_eq!(r.lr, plateau_lr(10.0, 0.25, &valid[..k]));
    }
    let hwa = train(&exp, &data, &train_options(Stage::Hwa, &a, None, false)).unwrap();
    assert_eq!(hwa.history.len(), 2);
    assert!(hwa.history[0].noise_scale > 0.0);
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
    let w = hwa_tensors.iter().find(|(n, _)| n == "lstm.0.weight_ih");
    assert!(w.unwrap().1.iter().all(|v| v.abs() <= 1.0));
    let range = hwa_tensors
        .iter()
        .find(|(n, _)| n == "decoder.weight.input_range")
        .unwrap();
    assert!(range.1.iter().all(|&r| r > 0.0 && r != 1.0), "{range:?}");
    let csv = std::fs::read_to_string(a.join("fp/history.csv")).unwrap();
    assert!(csv.starts_with(
        "epoch,lr,noise_scale,train_loss,train_perplexity,valid_perplexity,words_per_s\n"
    ));
    assert_eq!(csv.lines().count(), 4);

    // The sweep of the HWA checkpoint: perplexities, A* against the vocabulary size.
    let target = resolve(&a).unwrap();
    assert_eq!(target.stage, "hwa");
    let tile = TileConfig::standard();
    let pcm = aimc::device::resolve_device("pcm").unwrap().device;
    let spec = SweepSpec {
        devices: vec![("pcm".into(), pcm)],
        tile,
        times: parse_times("1s,1y").unwrap(),
        reps: 2,
        seed: 1,
    };
    let r = run_sweep(&target, &spec, &data, &Device::Cpu, &mut |_| {}).unwrap();
    assert_eq!(r.metric, Metric::Perplexity);
    assert_eq!(r.chance, vocab);
    assert!(r.fp > 1.0 && r.fp < vocab / 2.0, "{}", r.fp);
    for p in &r.points {
        assert_eq!(p.values.len(), 2);
        assert!(p.values.iter().all(|v| v.is_finite() && *v > 1.0));
        assert_eq!(p.a_star, normalized_perplexity(p.mean, r.fp, vocab));
    }
    // The same seed, the same numbers.
    let again = run_sweep(&target, &spec, &data, &Device::Cpu, &mut |_| {}).unwrap();
    assert_eq!(again.points, r.points);
    let out = dir.path().join("report");
    write_report(std::slice::from_ref(&r), &out).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.starts_with("# Perplexity after programming"));
    assert!(summary.contains("vocabulary size"), "{summary}");
    let fp_cell = format!("| {:.1} |", r.fp);
    assert!(summary.contains(&fp_cell), "{fp_cell} missing:\n{summary}");
    let json = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    assert!(json.contains("\"metric\": \"perplexity\""));
}

#[test]
fn a_corpus_that_does_not_fit_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let exp = setup(dir.path(), "");
    let vocab = match &exp.config.model {
        aimc::models::ModelConfig::LstmLm(c) => c.vocab,
        _ => unreachable!(),
    };
    // Another vocabulary size in the model.
    let path = dir.path().join("wrong.toml");
    std::fs::write(&path, experiment_text(vocab + 1, "")).unwrap();
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap(), "--quiet"]);
    assert!(
        !ok && err.contains("model.vocab") && err.contains(&format!("({vocab} words")),
        "{err}"
    );
    // More streams than the validation text can fill.
    let path = dir.path().join("streams.toml");
    let text = experiment_text(vocab, "").replace("eval_batch_size = 4", "eval_batch_size = 1000");
    std::fs::write(&path, text).unwrap();
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap(), "--quiet"]);
    assert!(!ok && err.contains("data.eval_batch_size"), "{err}");
    // A missing corpus file names the file and the fetch command.
    std::fs::remove_file(dir.path().join("corpus/ptb.valid.txt")).unwrap();
    let (ok, _, err) = aimc(&["train", dir.path().join("lm.toml").to_str().unwrap()]);
    assert!(
        !ok && err.contains("ptb.valid.txt") && err.contains("aimc data fetch ptb"),
        "{err}"
    );
}

#[test]
fn the_cli_trains_and_sweeps_a_language_model() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "train_subset = 1200\ntest_subset = 200\n");
    let exp = dir.path().join("lm.toml");
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
        out.contains("valid_perplexity") && out.contains("words_per_s"),
        "{out}"
    );
    let report = dir.path().join("report");
    let out = common::sweep_cli(&run, &report);
    assert!(out.contains("FP perplexity"), "{out}");
}
