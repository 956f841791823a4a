//! Experiment files (models/*.toml) and `aimc train` arguments: every shipped file loads, the
//! resolved configuration loads back to itself, and bad files or flags are refused naming the
//! file, the line and the key.

mod common;

use aimc::experiment::ExperimentConfig;
use common::aimc;

#[test]
fn shipped_experiments_load_and_round_trip() {
    let mut n = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/models")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        // MiniLM's sizes come from its config.json: `aimc data fetch minilm` (CI fetches it).
        if text.contains("pretrained = \"minilm\"") && common::minilm_dir().is_none() {
            continue;
        }
        let config = ExperimentConfig::parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        // An imported network's file may only evaluate its own weights.
        assert!(
            config.hwa.is_some() || config.model.trained_weights_file().is_some(),
            "{file}: no [hwa] stage"
        );
        let resolved = config.to_toml().unwrap();
        let again = ExperimentConfig::parse("resolved.toml", &resolved)
            .unwrap_or_else(|e| panic!("{file} resolved: {e}\n{resolved}"));
        assert_eq!(again, config, "{file}");
        n += 1;
    }
    assert!(n >= 3, "{n} experiment files");
}

const GOOD: &str = r#"[experiment]
name = "x"

[model]
architecture = "resnet"
depth = 8
classes = 10
in_channels = 1

[data]
dataset = "fashion-mnist"

[fp]
epochs = 1

[hwa]
epochs = 1
"#;

const LM: &str = r#"[experiment]
name = "lm"

[model]
architecture = "lstm-lm"
vocab = 50
embedding = 8
hidden = 8
layers = 2
dropout = 0.2

[data]
dataset = "ptb"
bptt = 35

[fp]
epochs = 1
optimizer = { kind = "sgd", lr = 20.0, momentum = 0.0, nesterov = false, weight_decay = 0.0 }
schedule = { kind = "plateau", factor = 0.25 }
grad_clip = 0.25
"#;

#[test]
fn a_language_model_experiment_loads_with_its_text_keys() {
    let c = ExperimentConfig::parse("exp.toml", LM).unwrap();
    assert_eq!(c.data.dataset.name(), "ptb");
    assert_eq!((c.data.bptt(), c.data.eval_batch_size()), (35, 10));
    assert_eq!(c.fp.grad_clip, 0.25);
    assert_eq!(
        c.fp.schedule,
        aimc::experiment::Schedule::Plateau { factor: 0.25 }
    );
    let again = ExperimentConfig::parse("resolved.toml", &c.to_toml().unwrap()).unwrap();
    assert_eq!(again, c);
}

fn error_of(text: &str) -> String {
    ExperimentConfig::parse("exp.toml", text)
        .unwrap_err()
        .to_string()
}

#[test]
fn defaults_follow_the_paper_recipe() {
    let c = ExperimentConfig::parse("exp.toml", GOOD).unwrap();
    let h = c.hwa.clone().unwrap();
    assert_eq!(
        (h.noise.scale, h.noise.ramp_epochs, h.noise.read_time_s),
        (3.0, 10.0, 20.0)
    );
    assert_eq!(
        (h.distillation.temperature, h.distillation.weight),
        (10.0, 0.75)
    );
    assert!(h.clip && h.learn_out_scales && h.learn_input_ranges && h.lr_scaling);
    assert_eq!(c.tile, aimc::tile::TileConfig::standard());
    assert_eq!(c.fp_tile().device, "ideal");
}

#[test]
fn bad_files_name_the_line_and_key() {
    let cases = [
        (
            GOOD.replace("epochs = 1\n\n[hwa]", "epochs = 1\nepocs = 2\n\n[hwa]"),
            "exp.toml:15",
            "epocs",
        ),
        (
            format!("{GOOD}drop_connect = 1.5\n"),
            "exp.toml:18",
            "hwa.drop_connect",
        ),
        (
            format!("{GOOD}noise = {{ kind = \"loud\" }}\n"),
            "exp.toml:18",
            "hwa.noise.kind",
        ),
        (
            format!("{GOOD}distillation = {{ temperature = -1.0 }}\n"),
            "exp.toml:18",
            "hwa.distillation.temperature",
        ),
        (
            format!("{GOOD}optimizer = {{ kind = \"sgd\", lr = 0.0 }}\n"),
            "exp.toml:18",
            "hwa.optimizer.lr",
        ),
        (format!("{GOOD}\n[extra]\na = 1\n"), "exp.toml:19", "extra"),
        (
            GOOD.replace("\"fashion-mnist\"", "\"imagenet\""),
            "exp.toml:11",
            "data.dataset",
        ),
        (
            GOOD.replace(
                "architecture = \"resnet\"\ndepth = 8\nclasses = 10\nin_channels = 1",
                "architecture = \"lstm-lm\"\nvocab = 50\nembedding = 8\nhidden = 8\nlayers = 1",
            ),
            "exp.toml:5",
            "model.architecture",
        ),
        (GOOD.replace("[fp]\nepochs = 1\n", ""), "exp.toml", "[fp]"),
        (
            GOOD.replace("\"fashion-mnist\"", "\"ptb\""),
            "exp.toml:5",
            "model.architecture",
        ),
        (
            GOOD.replace(
                "dataset = \"fashion-mnist\"",
                "dataset = \"fashion-mnist\"\nbptt = 35",
            ),
            "exp.toml:12",
            "data.bptt",
        ),
        (
            LM.replace("dropout = 0.2", "dropout = 1.0"),
            "exp.toml:10",
            "model.dropout",
        ),
        (
            LM.replace("bptt = 35", "bptt = 0"),
            "exp.toml:14",
            "data.bptt",
        ),
        (
            LM.replace("bptt = 35", "bptt = 35\nhorizontal_flip = true"),
            "exp.toml:15",
            "data.horizontal_flip",
        ),
        (
            LM.replace("factor = 0.25", "factor = 0.0"),
            "exp.toml:19",
            "fp.schedule.factor",
        ),
        (
            LM.replace("grad_clip = 0.25", "grad_clip = -1.0"),
            "exp.toml:20",
            "fp.grad_clip",
        ),
    ];
    for (text, at, key) in cases {
        let e = error_of(&text);
        assert!(
            e.starts_with(at) && e.contains(key),
            "expected {at} and {key}: {e}"
        );
    }
}

#[test]
fn train_cli_help_and_errors() {
    let (ok, out, _) = aimc(&["train", "--help"]);
    assert!(ok);
    for flag in [
        "--stage", "--out", "--epochs", "--resume", "--device", "--format",
    ] {
        assert!(out.contains(flag), "{flag} missing from --help");
    }
    let (ok, _, err) = aimc(&["train", "no/such/experiment.toml"]);
    assert!(!ok && err.contains("no/such/experiment.toml"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, format!("{GOOD}clip = \"yes\"\n")).unwrap();
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap()]);
    assert!(
        !ok && err.contains("bad.toml:18") && err.contains("hwa.clip"),
        "{err}"
    );
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap(), "--epochs", "0"]);
    assert!(!ok && err.contains("--epochs"), "{err}");
    let (ok, _, err) = aimc(&["train", path.to_str().unwrap(), "--stage", "both"]);
    assert!(!ok && err.contains("--stage"), "{err}");
}
