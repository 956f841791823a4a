//! An experiment file (`models/*.toml`): the model, the data, the tile of the hardware-aware
//! stage and the two training stages (physics.md section 5): `[experiment]`, `[model]`,
//! `[data]`, `[tile]` (optional, default the `standard` preset), `[fp]`, `[hwa]`. Unknown keys
//! and impossible values are refused with the file, line and key named. The resolved
//! configuration (every default written out) is saved beside each checkpoint.

use super::distill::Distillation;
use super::optimizer::OptimizerConfig;
use super::schedule::Schedule;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::models::ModelConfig;
use crate::models::bert_pretrained::is_fetched_name;
use crate::tile::TileConfig;
use crate::toml_file::{key_line, parse_section};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `[experiment]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seeds initialisation, shuffling, augmentation and every noise draw.
    #[serde(default)]
    pub seed: u64,
}

/// `[data]`: an image dataset (subsets, augmentation) or a text corpus (subsets, the BPTT
/// window, the evaluation batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub dataset: Dataset,
    /// Directory of the files (default: `<data dir>/<dataset>`, see `aimc data list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Use only the first N training / test images, or words of a text (0 = all; for a text
    /// `test_subset` caps the validation split too).
    #[serde(default)]
    pub train_subset: usize,
    #[serde(default)]
    pub test_subset: usize,
    /// Text: steps of truncated back-propagation through time [default 35].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bptt: Option<usize>,
    /// Text: parallel streams of validation and test evaluation [default 10]; sentences: the
    /// evaluation batch [default 32].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_batch_size: Option<usize>,
    /// Sentences: at most this many tokens, [CLS] and [SEP] included [default 128].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    /// Sentences of one file (`sentiment`): the fraction held out for evaluation, chosen by a
    /// shuffle seeded with the experiment's seed [default 0.1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_fraction: Option<f64>,
    /// Random crop after zero padding of this many pixels (0 = none).
    #[serde(default)]
    pub crop_padding: usize,
    #[serde(default)]
    pub horizontal_flip: bool,
    /// Normalise each channel by the training set's mean and std.
    #[serde(default = "yes")]
    pub normalize: bool,
}

fn yes() -> bool {
    true
}

impl DataConfig {
    /// The BPTT window of a text (35 unless given: Zaremba et al.'s and the paper's).
    pub fn bptt(&self) -> usize {
        self.bptt.unwrap_or(35)
    }

    /// Streams of the evaluation of a text (10 unless given), sentences per evaluation batch (32).
    pub fn eval_batch_size(&self) -> usize {
        let default = match self.dataset {
            Dataset::Sentences(_) => 32,
            _ => 10,
        };
        self.eval_batch_size.unwrap_or(default)
    }

    /// The longest token sequence of a sentence (128 unless given).
    pub fn max_len(&self) -> usize {
        self.max_len.unwrap_or(128)
    }

    /// The held-out fraction of a one-file sentence dataset (0.1 unless given).
    pub fn dev_fraction(&self) -> f64 {
        self.dev_fraction.unwrap_or(0.1)
    }
}

/// `[fp]`: the floating-point stage (the `ideal` tile preset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FpStage {
    pub epochs: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    #[serde(default = "default_schedule")]
    pub schedule: Schedule,
    /// Largest global gradient norm (0 = no clipping; the language model's is 0.25).
    #[serde(default)]
    pub grad_clip: f64,
}

fn default_batch() -> usize {
    128
}

fn default_schedule() -> Schedule {
    Schedule::Cosine { min_lr: 0.0 }
}

/// Which weight noise the HWA stage injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseKind {
    /// The built-in PCM device's programming noise plus read noise (physics.md section 5).
    Pcm,
    /// The same, from the device of the `[tile]` section.
    Device,
    /// w~ + sigma xi.
    Additive,
    /// w~ (1 + sigma xi).
    Multiplicative,
    None,
}

/// `[hwa.noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseConfig {
    pub kind: NoiseKind,
    /// Final noise scale (multiplies the device noise, or sigma).
    pub scale: f64,
    /// Epochs over which the scale ramps linearly from 0 (0 = full scale from the start).
    pub ramp_epochs: f64,
    /// sigma of the additive and multiplicative kinds.
    pub sigma: f64,
    /// Accumulated read noise of the device kinds, seconds after programming.
    pub read_time_s: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self {
            kind: NoiseKind::Pcm,
            scale: 3.0,
            ramp_epochs: 10.0,
            sigma: 0.02,
            read_time_s: 20.0,
        }
    }
}

/// `[hwa]`: the hardware-aware stage, started from the FP checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HwaStage {
    pub epochs: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default = "default_hwa_optimizer")]
    pub optimizer: OptimizerConfig,
    #[serde(default = "default_schedule")]
    pub schedule: Schedule,
    /// Largest global gradient norm (0 = no clipping).
    #[serde(default)]
    pub grad_clip: f64,
    #[serde(default)]
    pub noise: NoiseConfig,
    /// Probability of dropping each weight per mini-batch.
    #[serde(default)]
    pub drop_connect: f64,
    /// Clip the normalised analog weights to [-1, 1] after every step.
    #[serde(default = "yes")]
    pub clip: bool,
    /// Recompute the output scales (max |w~| = 1 per column) after every epoch.
    #[serde(default)]
    pub remap_every_epoch: bool,
    #[serde(default = "yes")]
    pub learn_out_scales: bool,
    #[serde(default = "yes")]
    pub learn_input_ranges: bool,
    /// Batches over which the input ranges are initialised from data (0 = keep the start value).
    #[serde(default = "default_init_batches")]
    pub input_range_init_batches: usize,
    /// The initial range is min(abs-max, this many standard deviations) of a tile's inputs.
    #[serde(default = "default_std_factor")]
    pub input_range_std_factor: f64,
    /// Scale each analog weight's learning rate by sqrt(3 / n_in) of its tiles.
    #[serde(default = "yes")]
    pub lr_scaling: bool,
    #[serde(default)]
    pub distillation: Distillation,
}

fn default_hwa_optimizer() -> OptimizerConfig {
    OptimizerConfig::Sgd(super::SgdConfig {
        lr: 0.01,
        ..super::SgdConfig::default()
    })
}

fn default_init_batches() -> usize {
    10
}

fn default_std_factor() -> f64 {
    3.0
}

/// A whole experiment, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    pub experiment: ExperimentMeta,
    pub model: ModelConfig,
    pub data: DataConfig,
    /// The tile of the HWA stage and of evaluation on hardware.
    pub tile: TileConfig,
    pub fp: FpStage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hwa: Option<HwaStage>,
}

/// The sections an experiment file may have.
const SECTIONS: [&str; 6] = ["experiment", "model", "data", "tile", "fp", "hwa"];

/// An experiment read from a file.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The file it came from (for messages).
    pub file: String,
    /// Relative paths in the file are relative to this directory.
    pub base_dir: PathBuf,
    pub config: ExperimentConfig,
}

impl Experiment {
    /// Reads and validates an experiment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file = path.display().to_string();
        let config = ExperimentConfig::parse(&file, &text)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            file,
            base_dir,
            config,
        })
    }

    /// The configuration with a relative data directory made absolute, so that it can be
    /// read from anywhere (as the `config.toml` beside a checkpoint).
    pub fn resolved(&self) -> Result<ExperimentConfig> {
        let mut c = self.config.clone();
        if c.data.dataset.is_text() {
            c.data.bptt = Some(c.data.bptt());
            c.data.eval_batch_size = Some(c.data.eval_batch_size());
        }
        if let Dataset::Sentences(d) = c.data.dataset {
            c.data.max_len = Some(c.data.max_len());
            c.data.eval_batch_size = Some(c.data.eval_batch_size());
            if d.is_split() {
                c.data.dev_fraction = Some(c.data.dev_fraction());
            }
        }
        if let (ModelConfig::Bert(b), Some(dir)) = (&mut c.model, self.pretrained_dir()) {
            // A fetched model's name stays a name (found in the data directory).
            if !b.pretrained.as_deref().is_some_and(is_fetched_name) {
                let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
                b.pretrained = Some(dir.display().to_string());
            }
        }
        if c.data.dir.is_some() {
            let dir = self.data_dir();
            let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
            c.data.dir = Some(dir.display().to_string());
        }
        Ok(c)
    }

    /// The directory of the pretrained BERT model (`model.pretrained`), if any.
    pub fn pretrained_dir(&self) -> Option<PathBuf> {
        match &self.config.model {
            ModelConfig::Bert(b) => b
                .pretrained
                .as_deref()
                .map(|p| crate::models::bert_pretrained::pretrained_dir(&self.base_dir, p)),
            _ => None,
        }
    }

    /// The directory of the dataset's files.
    pub fn data_dir(&self) -> PathBuf {
        match &self.config.data.dir {
            Some(d) => self.base_dir.join(d),
            None => self.config.data.dataset.default_dir(),
        }
    }
}

impl ExperimentConfig {
    /// Parses and validates the text of an experiment file.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let table: toml::Table = crate::toml_file::parse_toml(file, text)?;
        if let Some(k) = table.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
            let at = key_line(text, k).map_or(file.to_string(), |l| format!("{file}:{l}"));
            return Err(Error::invalid_value(
                at,
                k.as_str(),
                format!("one of the sections {}", SECTIONS.join(", ")),
                format!("`{k}`"),
            ));
        }
        let missing =
            |s: &str| Error::invalid_value(file, s, format!("a [{s}] section"), "nothing");
        let tile = if table.contains_key("tile") {
            TileConfig::from_toml(file, text)?
        } else {
            TileConfig::standard()
        };
        let config = Self {
            experiment: parse_section(file, text, "experiment")?
                .ok_or_else(|| missing("experiment"))?,
            model: ModelConfig::from_toml(file, text)?,
            data: parse_section(file, text, "data")?.ok_or_else(|| missing("data"))?,
            tile,
            fp: parse_section(file, text, "fp")?.ok_or_else(|| missing("fp"))?,
            hwa: parse_section(file, text, "hwa")?,
        };
        config.validate(file, text)?;
        Ok(config)
    }

    /// The TOML text of the resolved configuration (loads back to the same configuration).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Tensor(format!("serialising the experiment: {e}")))
    }

    /// The tile of the FP stage: the `ideal` preset on the geometry of the experiment's tile
    /// (so that both stages share parameter shapes).
    pub fn fp_tile(&self) -> TileConfig {
        self.tile.digital()
    }

    /// The model fits the dataset: an image classifier with at least 2 classes on an image
    /// dataset, the language model on a text, BERT (from a pretrained directory) on sentences;
    /// each dataset's keys only with it.
    fn validate_model_and_data(&self, file: &str, text: &str) -> Result<()> {
        let at =
            |key: &str| key_line(text, key).map_or(file.to_string(), |l| format!("{file}:{l}"));
        let d = &self.data;
        let checks: Vec<(&str, bool, &str, String)> = match (&self.model, d.dataset) {
            (ModelConfig::Resnet(_) | ModelConfig::Wrn(_), Dataset::Image(_)) => {
                let classes = match &self.model {
                    ModelConfig::Resnet(c) => c.classes,
                    ModelConfig::Wrn(c) => c.classes,
                    _ => unreachable!("matched above"),
                };
                let mut checks = vec![(
                    "model.classes",
                    classes >= 2,
                    "at least 2 classes",
                    classes.to_string(),
                )];
                checks.extend(not_for(
                    "no text or sentence keys for an image dataset",
                    &[
                        ("data.bptt", d.bptt.map(|v| v.to_string())),
                        (
                            "data.eval_batch_size",
                            d.eval_batch_size.map(|v| v.to_string()),
                        ),
                        ("data.max_len", d.max_len.map(|v| v.to_string())),
                        ("data.dev_fraction", d.dev_fraction.map(|v| v.to_string())),
                    ],
                ));
                checks
            }
            (ModelConfig::LstmLm(c), Dataset::Text(_)) => {
                let (bptt, eval) = (d.bptt(), d.eval_batch_size());
                let mut checks = vec![
                    (
                        "model.vocab",
                        c.vocab >= 2,
                        "at least 2 words",
                        c.vocab.to_string(),
                    ),
                    (
                        "model.hidden",
                        c.hidden >= 1,
                        "at least 1",
                        c.hidden.to_string(),
                    ),
                    (
                        "model.embedding",
                        c.embedding >= 1,
                        "at least 1",
                        c.embedding.to_string(),
                    ),
                    (
                        "model.layers",
                        c.layers >= 1,
                        "at least 1",
                        c.layers.to_string(),
                    ),
                    (
                        "model.dropout",
                        (0.0..1.0).contains(&c.dropout),
                        "a probability in [0, 1)",
                        c.dropout.to_string(),
                    ),
                    ("data.bptt", bptt >= 1, "at least 1 step", bptt.to_string()),
                    (
                        "data.eval_batch_size",
                        eval >= 1,
                        "at least 1",
                        eval.to_string(),
                    ),
                ];
                checks.extend(not_for(
                    "no sentence keys for a text corpus",
                    &[
                        ("data.max_len", d.max_len.map(|v| v.to_string())),
                        ("data.dev_fraction", d.dev_fraction.map(|v| v.to_string())),
                    ],
                ));
                checks.extend(no_augmentation(d));
                checks
            }
            (ModelConfig::Bert(c), Dataset::Sentences(sentences)) => {
                let (max_len, eval, dev) = (d.max_len(), d.eval_batch_size(), d.dev_fraction());
                let mut checks = vec![
                    (
                        "model.pretrained",
                        c.pretrained.is_some(),
                        "a pretrained model directory (e.g. \"minilm\", `aimc data fetch minilm`): its tokenizer reads the sentences",
                        "nothing".to_string(),
                    ),
                    (
                        "model.num_labels",
                        c.num_labels == 2,
                        "2 labels (negative, positive)",
                        c.num_labels.to_string(),
                    ),
                    (
                        "model.dropout",
                        (0.0..1.0).contains(&c.dropout),
                        "a probability in [0, 1)",
                        c.dropout.to_string(),
                    ),
                    (
                        "data.max_len",
                        max_len >= 3 && max_len <= c.max_position_embeddings,
                        "at least 3 tokens and at most the model's max_position_embeddings",
                        format!(
                            "{max_len} (max_position_embeddings {})",
                            c.max_position_embeddings
                        ),
                    ),
                    (
                        "data.eval_batch_size",
                        eval >= 1,
                        "at least 1",
                        eval.to_string(),
                    ),
                    (
                        "data.dev_fraction",
                        dev > 0.0 && dev < 1.0,
                        "a fraction in (0, 1)",
                        dev.to_string(),
                    ),
                ];
                if !sentences.is_split() {
                    checks.extend(not_for(
                        "no dev_fraction for `sst2` (its dev.tsv is the evaluation set)",
                        &[("data.dev_fraction", d.dev_fraction.map(|v| v.to_string()))],
                    ));
                }
                checks.extend(not_for(
                    "no bptt for sentences",
                    &[("data.bptt", d.bptt.map(|v| v.to_string()))],
                ));
                checks.extend(no_augmentation(d));
                checks
            }
            (model, dataset) => {
                let expected = match dataset {
                    Dataset::Image(_) => "\"resnet\" or \"wrn\" for an image dataset",
                    Dataset::Text(_) => "\"lstm-lm\" for a text dataset",
                    Dataset::Sentences(_) => "\"bert\" for a sentence dataset",
                };
                let found = match model {
                    ModelConfig::Resnet(_) | ModelConfig::Wrn(_) => "an image classifier",
                    ModelConfig::LstmLm(_) => "a language model",
                    ModelConfig::Bert(_) => "BERT",
                };
                vec![(
                    "model.architecture",
                    false,
                    expected,
                    format!("{found} (dataset `{}`)", dataset.name()),
                )]
            }
        };
        for (key, ok, expected, found) in checks {
            if !ok {
                return Err(Error::invalid_value(at(key), key, expected, found));
            }
        }
        Ok(())
    }

    fn validate(&self, file: &str, text: &str) -> Result<()> {
        let check = |ok: bool, key: &str, expected: &str, found: String| -> Result<()> {
            if ok {
                return Ok(());
            }
            let at = key_line(text, key).map_or(file.to_string(), |l| format!("{file}:{l}"));
            Err(Error::invalid_value(at, key, expected, found))
        };
        let optimizer = |prefix: &str, o: &OptimizerConfig| -> Result<()> {
            let lr = o.lr();
            check(
                lr > 0.0 && lr.is_finite(),
                &format!("{prefix}.optimizer.lr"),
                "a learning rate > 0",
                lr.to_string(),
            )?;
            match o {
                OptimizerConfig::Sgd(c) => {
                    check(
                        (0.0..1.0).contains(&c.momentum),
                        &format!("{prefix}.optimizer.momentum"),
                        "a value in [0, 1)",
                        c.momentum.to_string(),
                    )?;
                    check(
                        c.weight_decay >= 0.0,
                        &format!("{prefix}.optimizer.weight_decay"),
                        "a value >= 0",
                        c.weight_decay.to_string(),
                    )?;
                    check(
                        !c.nesterov || (c.momentum > 0.0 && c.dampening == 0.0),
                        &format!("{prefix}.optimizer.nesterov"),
                        "momentum > 0 and dampening 0 with Nesterov momentum",
                        format!("momentum {}, dampening {}", c.momentum, c.dampening),
                    )
                }
                OptimizerConfig::Adamw(c) => {
                    check(
                        (0.0..1.0).contains(&c.beta1) && (0.0..1.0).contains(&c.beta2),
                        &format!("{prefix}.optimizer.beta1"),
                        "betas in [0, 1)",
                        format!("{}, {}", c.beta1, c.beta2),
                    )?;
                    check(
                        c.eps > 0.0,
                        &format!("{prefix}.optimizer.eps"),
                        "a value > 0",
                        c.eps.to_string(),
                    )?;
                    check(
                        c.weight_decay >= 0.0,
                        &format!("{prefix}.optimizer.weight_decay"),
                        "a value >= 0",
                        c.weight_decay.to_string(),
                    )
                }
            }
        };
        let schedule = |prefix: &str, s: &Schedule| -> Result<()> {
            match *s {
                Schedule::Constant => Ok(()),
                Schedule::Cosine { min_lr } => check(
                    min_lr >= 0.0,
                    &format!("{prefix}.schedule.min_lr"),
                    "a value >= 0",
                    min_lr.to_string(),
                ),
                Schedule::Plateau { factor } => check(
                    factor > 0.0 && factor <= 1.0,
                    &format!("{prefix}.schedule.factor"),
                    "a factor in (0, 1]",
                    factor.to_string(),
                ),
                Schedule::Step { every, gamma } => {
                    check(
                        every >= 1,
                        &format!("{prefix}.schedule.every"),
                        "at least 1 epoch",
                        every.to_string(),
                    )?;
                    check(
                        gamma > 0.0,
                        &format!("{prefix}.schedule.gamma"),
                        "a factor > 0",
                        gamma.to_string(),
                    )
                }
            }
        };
        self.validate_model_and_data(file, text)?;
        check(
            self.fp.epochs >= 1,
            "fp.epochs",
            "at least 1 epoch",
            self.fp.epochs.to_string(),
        )?;
        check(
            self.fp.batch_size >= 1,
            "fp.batch_size",
            "at least 1",
            self.fp.batch_size.to_string(),
        )?;
        optimizer("fp", &self.fp.optimizer)?;
        schedule("fp", &self.fp.schedule)?;
        check(
            self.fp.grad_clip >= 0.0,
            "fp.grad_clip",
            "a norm >= 0 (0 = no clipping)",
            self.fp.grad_clip.to_string(),
        )?;
        if let Some(h) = &self.hwa {
            check(
                h.epochs >= 1,
                "hwa.epochs",
                "at least 1 epoch",
                h.epochs.to_string(),
            )?;
            check(
                h.batch_size >= 1,
                "hwa.batch_size",
                "at least 1",
                h.batch_size.to_string(),
            )?;
            optimizer("hwa", &h.optimizer)?;
            schedule("hwa", &h.schedule)?;
            check(
                h.grad_clip >= 0.0,
                "hwa.grad_clip",
                "a norm >= 0 (0 = no clipping)",
                h.grad_clip.to_string(),
            )?;
            let n = &h.noise;
            check(
                n.scale >= 0.0 && n.scale.is_finite(),
                "hwa.noise.scale",
                "a scale >= 0",
                n.scale.to_string(),
            )?;
            check(
                n.ramp_epochs >= 0.0,
                "hwa.noise.ramp_epochs",
                "a number of epochs >= 0",
                n.ramp_epochs.to_string(),
            )?;
            check(
                n.sigma >= 0.0,
                "hwa.noise.sigma",
                "a standard deviation >= 0",
                n.sigma.to_string(),
            )?;
            check(
                n.read_time_s >= 0.0,
                "hwa.noise.read_time_s",
                "a time >= 0 s",
                n.read_time_s.to_string(),
            )?;
            check(
                (0.0..1.0).contains(&h.drop_connect),
                "hwa.drop_connect",
                "a probability in [0, 1)",
                h.drop_connect.to_string(),
            )?;
            check(
                h.input_range_std_factor > 0.0,
                "hwa.input_range_std_factor",
                "a factor > 0",
                h.input_range_std_factor.to_string(),
            )?;
            let d = &h.distillation;
            check(
                d.temperature > 0.0,
                "hwa.distillation.temperature",
                "a temperature > 0",
                d.temperature.to_string(),
            )?;
            check(
                (0.0..=1.0).contains(&d.weight),
                "hwa.distillation.weight",
                "a weight in [0, 1]",
                d.weight.to_string(),
            )?;
        }
        Ok(())
    }
}

/// Checks that refuse the keys of `keys` that are set (`expected` says why).
fn not_for<'a>(
    expected: &'a str,
    keys: &[(&'a str, Option<String>)],
) -> Vec<(&'a str, bool, &'a str, String)> {
    keys.iter()
        .filter_map(|(key, v)| v.clone().map(|v| (*key, false, expected, v)))
        .collect()
}

/// Checks that refuse image augmentation for a text or sentences.
fn no_augmentation(d: &DataConfig) -> Vec<(&'static str, bool, &'static str, String)> {
    vec![
        (
            "data.crop_padding",
            d.crop_padding == 0,
            "no image augmentation for text",
            d.crop_padding.to_string(),
        ),
        (
            "data.horizontal_flip",
            !d.horizontal_flip,
            "no image augmentation for text",
            "true".into(),
        ),
    ]
}
