//! The experiment of an imported network given on the command line (`aimc sweep --model
//! FILE.onnx --dataset NAME ...`): the `[model]` and `[data]` sections an experiment file would
//! hold, written from the flags and read by the same code as a file (same checks, same
//! defaults), on the standard tile unless `--tile` says otherwise.

use super::file::{Experiment, ExperimentConfig};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// An imported network and its data, as flags give them.
#[derive(Debug, Clone, Default)]
pub struct ImportedSpec {
    /// The `.onnx` file.
    pub model: PathBuf,
    /// The dataset's name (`mnist`, ...).
    pub dataset: String,
    /// The dataset's directory [default: the data directory's].
    pub data_dir: Option<PathBuf>,
    /// `[model]` preprocessing: scale, mean and std per channel (None: the defaults).
    pub scale: Option<f64>,
    pub mean: Option<Vec<f64>>,
    pub std: Option<Vec<f64>>,
    /// `nchw` or `nhwc`.
    pub layout: Option<String>,
    /// Use only the first N test (training) images; 0 = all.
    pub test_subset: usize,
    pub train_subset: usize,
}

impl ImportedSpec {
    /// The experiment: named after the model file, seed 0.
    pub fn experiment(&self) -> Result<Experiment> {
        let file = format!("--model {}", self.model.display());
        let absolute = std::path::absolute(&self.model).map_err(|e| Error::io(&self.model, e))?;
        let name = self
            .model
            .file_stem()
            .map_or("onnx".into(), |s| s.to_string_lossy().into_owned());
        let mut model = toml::Table::new();
        model.insert("architecture".into(), "onnx".into());
        model.insert("file".into(), absolute.display().to_string().into());
        let floats = |v: &[f64]| toml::Value::Array(v.iter().map(|&x| x.into()).collect());
        if let Some(s) = self.scale {
            model.insert("scale".into(), s.into());
        }
        if let Some(m) = &self.mean {
            model.insert("mean".into(), floats(m));
        }
        if let Some(s) = &self.std {
            model.insert("std".into(), floats(s));
        }
        if let Some(l) = &self.layout {
            model.insert("layout".into(), l.clone().into());
        }
        let mut data = toml::Table::new();
        data.insert("dataset".into(), self.dataset.clone().into());
        data.insert("normalize".into(), false.into());
        data.insert("test_subset".into(), (self.test_subset as i64).into());
        data.insert("train_subset".into(), (self.train_subset as i64).into());
        if let Some(d) = &self.data_dir {
            let d = std::path::absolute(d).map_err(|e| Error::io(d, e))?;
            data.insert("dir".into(), d.display().to_string().into());
        }
        let mut meta = toml::Table::new();
        meta.insert("name".into(), name.into());
        let mut fp = toml::Table::new();
        fp.insert("epochs".into(), 1.into());
        let mut doc = toml::Table::new();
        doc.insert("experiment".into(), meta.into());
        doc.insert("model".into(), model.into());
        doc.insert("data".into(), data.into());
        doc.insert("fp".into(), fp.into());
        let text = toml::to_string(&doc)
            .map_err(|e| Error::Tensor(format!("writing the experiment of {file}: {e}")))?;
        let config = ExperimentConfig::parse(&file, &text).map_err(as_flags)?;
        Ok(Experiment {
            file,
            base_dir: Path::new(".").to_path_buf(),
            config,
        })
    }
}

/// The keys of the written sections and the flags that set them.
const FLAGS: [(&str, &str); 9] = [
    ("model.file", "--model"),
    ("model.classes", "--model"),
    ("model.in_channels", "--model"),
    ("model.scale", "--scale"),
    ("model.mean", "--mean"),
    ("model.std", "--std"),
    ("model.layout", "--layout"),
    ("data.dataset", "--dataset"),
    ("data.dir", "--data-dir"),
];

/// An error about a key of the written sections as one about the flag that set it.
fn as_flags(e: Error) -> Error {
    let flag = |key: &str| {
        FLAGS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key.to_string(), |(_, f)| f.to_string())
    };
    match e {
        Error::InvalidValue {
            key,
            expected,
            found,
            ..
        } => Error::invalid_argument(flag(&key), expected, found),
        Error::Parse { message, .. } => {
            let message = FLAGS.iter().fold(message, |m, (k, f)| {
                m.replace(&format!("`{k}`"), &format!("`{f}`"))
            });
            Error::Parse {
                file: "the command line".into(),
                location: String::new(),
                message,
            }
        }
        other => other,
    }
}
