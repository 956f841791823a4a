//! An experiment file (`models/*.toml`): the model, the data, the tile of the hardware-aware
//! stage and the two training stages (physics.md section 5): `[experiment]`, `[model]`,
//! `[data]`, `[tile]` (optional, default the `standard` preset), `[fp]`, `[hwa]`. Unknown keys
//! and impossible values are refused with the file, line and key named. The resolved
//! configuration (every default written out) is saved beside each checkpoint.

use super::data_section::DataConfig;
use super::optimizer::OptimizerConfig;
use super::schedule::Schedule;
use super::stages::{FpStage, HwaStage};
use super::task::check_pairing;
use crate::error::{Error, Result};
use crate::models::ModelConfig;
use crate::models::architecture::{is_fetched_name, pretrained_dir};
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
        c.data = c.data.with_defaults_written();
        if let Some(dir) = self.pretrained_dir() {
            // A fetched model's name stays a name (found in the data directory).
            if !c.model.pretrained().is_some_and(is_fetched_name) {
                let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
                c.model.set_pretrained(dir.display().to_string());
            }
        }
        if c.data.dir.is_some() {
            let dir = self.data_dir();
            let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
            c.data.dir = Some(dir.display().to_string());
        }
        Ok(c)
    }

    /// The directory of the pretrained model (`model.pretrained`), if any.
    pub fn pretrained_dir(&self) -> Option<PathBuf> {
        self.config
            .model
            .pretrained()
            .map(|p| pretrained_dir(&self.base_dir, p))
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
        check_pairing(self, file, text)?;
        // An imported network may take its file's weights as the FP checkpoint (0 epochs).
        let imported = self.model.trained_weights_file().is_some();
        check(
            self.fp.epochs >= 1 || imported,
            "fp.epochs",
            "at least 1 epoch (0 only for an imported network: its file's weights as they are)",
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
