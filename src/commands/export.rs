//! `aimc export`: a trained network as an ONNX file with its trained weights (issue 18): an
//! imported network as its own graph with the values it learned (`onnx/export.rs`); a built-in
//! image classifier (ResNet, WRN) written node by node (`onnx/write.rs`), taking the images as
//! aimc feeds them (normalised by the training set's statistics when `[data] normalize`); the
//! LSTM language model from token ids [B, T] (int64) and zero states to the logits [B, T, V];
//! BERT from token ids and attention mask [B, T] (int64) to the class logits [B, labels].

use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::load::target_model;
use crate::experiment::run_dir::resolve;
use crate::models::onnx_classifier::OnnxClassifier;
use crate::models::{Interface, ModelConfig};
use crate::nn::seeded_init::fnv1a;
use crate::nn::{program_all, read_all};
use crate::onnx::export::export_model;
use crate::onnx::export_periphery::export_periphery_model;
use crate::onnx::read_model;
use crate::rng::NoiseRng;
use crate::sweep::times::parse_time;
use std::path::Path;

/// One programmed chip: the device, the time after programming, the seed.
#[derive(Debug, Clone)]
pub struct Programmed {
    pub device: String,
    pub time: String,
    pub seed: u64,
}

/// Writes the network of `target` (a run directory, stage directory, checkpoint or an imported
/// network's experiment file) to `out` as ONNX: its trained weights, or with `programmed` the
/// weights one chip holds at that time (programmed and read as repeat 1 of `aimc sweep` with
/// the same device, time and seed; drift compensation folded into the output scales).
///
/// With `periphery` each analog layer is written as its tiles with their deterministic
/// periphery on the experiment's tile (`onnx/write_periphery.rs`; an imported graph's analog
/// nodes replaced in its own graph, `onnx/export_periphery.rs`): the file computes aimc's
/// noise-free tile output.
pub fn export(
    target: &Path,
    out: &Path,
    programmed: Option<&Programmed>,
    periphery: bool,
) -> Result<()> {
    let target = resolve(target)?;
    let exp = &target.experiment;
    let device = candle_core::Device::Cpu;
    let (model, _) = target_model(&target, false, &exp.config.tile, &device)?;
    if let Some(p) = programmed {
        let analog = resolve_device(&p.device)?.device;
        let t = parse_time(&p.time)?;
        let key = fnv1a(&p.device);
        program_all(
            &model,
            &analog,
            NoiseRng::stream(p.seed, &[key, 0]).next_u64(),
        )?;
        read_all(
            &model,
            t,
            NoiseRng::stream(p.seed, &[key, 0, t.to_bits()]).next_u64(),
        )?;
    }
    let ModelConfig::Onnx(config) = &exp.config.model else {
        let not_yet = || {
            Error::invalid_argument(
                "TARGET",
                "an image classifier (ResNet, WRN), the LSTM language model, BERT or a network \
                 imported from ONNX",
                format!("a `{}` network ({})", exp.config.model.name(), exp.file),
            )
        };
        let (input, output) = match exp.config.model.interface() {
            Interface::Images {
                in_channels,
                classes,
                ..
            } => (
                vec![None, Some(in_channels), None, None],
                vec![None, Some(classes)],
            ),
            // Token ids [B, T] to next-word logits [B, T, vocab], from zero states.
            Interface::Text { vocab } => (vec![None, None], vec![None, None, Some(vocab)]),
            // Token ids and attention mask [B, T] to class logits [B, labels].
            Interface::Sentences { num_labels, .. } => {
                (vec![None, None], vec![None, Some(num_labels)])
            }
        };
        let bytes = model
            .onnx_bytes(&input, &output, periphery)
            .ok_or_else(not_yet)??;
        return crate::fsutil::write_atomic(out, &bytes);
    };
    let net = model
        .downcast_ref::<OnnxClassifier>()
        .ok_or_else(|| Error::Tensor("an onnx model that is not an OnnxClassifier".into()))?;
    let onnx = read_model(Path::new(&config.file))?;
    if periphery {
        return export_periphery_model(&onnx, net.graph(), out);
    }
    export_model(&onnx, net.graph(), out)
}
