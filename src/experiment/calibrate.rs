//! The input ranges of a network mapped directly (physics.md section 5, "direct mapping"): an FP
//! checkpoint never learned them, so each tile's range is set to the mean abs-max of its inputs
//! over the first training batches of the task, observed in the same network computed
//! digitally.

use super::evaluate::wrong_task;
use super::sentence_eval::sentence_batch;
use super::task::TaskData;
use crate::data::{Augment, Loader};
use crate::error::Result;
use crate::models::Model;
use crate::nn::{LstmState, matrices};
use candle_core::{DType, Device, Tensor};

/// Batches of training images (windows of training text, batches of sentences) used to set the input ranges of a
/// model that never learned them.
pub const CALIBRATION_BATCHES: usize = 10;

/// Sets the static input ranges of `model`, an FP checkpoint mapped directly (its ranges were
/// never learned), to each tile's mean abs-max input over the first training batches, observed
/// in `reference`, the same network computed digitally: the FP weights are mapped as they are,
/// and no input the FP network typically produces is clipped. (Clipping at 3 std, the HWA
/// initialisation, costs the demo network 40 points even on an ideal device.)
pub fn calibrate_direct_mapping(
    reference: &Model,
    model: &Model,
    data: &TaskData,
    device: &Device,
) -> Result<()> {
    let ranges = direct_mapping_ranges(reference, data, device)?;
    set_input_ranges(model, &ranges)
}

/// The input ranges of [`calibrate_direct_mapping`], one per tiled matrix of `reference` (whose
/// calibration state they pass through: one caller at a time).
pub fn direct_mapping_ranges(
    reference: &Model,
    data: &TaskData,
    device: &Device,
) -> Result<Vec<Tensor>> {
    for m in matrices(reference) {
        m.start_input_calibration(f64::INFINITY);
    }
    match data {
        TaskData::Images(data) => {
            let net = reference
                .image_classifier()
                .ok_or_else(|| wrong_task(reference, "an image classifier"))?;
            let mut loader = Loader::new(&data.train, 128, &data.stats, Augment::default(), None);
            for k in 0..loader.batches().min(CALIBRATION_BATCHES) {
                let (x, _) = loader.batch(k, device)?;
                net.classify_t(&x, false)?;
            }
        }
        TaskData::Text(text) => {
            let lm = reference
                .language_model()
                .ok_or_else(|| wrong_task(reference, "a language model"))?;
            let stream = text.train_streams(text.valid.batch)?;
            let like = Tensor::zeros(1, DType::F32, device)?;
            let mut states = lm.zero_states(stream.batch, &like)?;
            for (start, steps) in stream
                .windows(text.bptt)
                .into_iter()
                .take(CALIBRATION_BATCHES)
            {
                let (x, _) = stream.window(start, steps);
                let x = Tensor::from_vec(x, (stream.batch, steps), device)?;
                states = LstmState::detach_all(lm.forward_t(&x, &states, false)?.1);
            }
        }
        TaskData::Sentences(d) => {
            let net = reference
                .sentence_classifier()
                .ok_or_else(|| wrong_task(reference, "a sentence classifier"))?;
            let n = d.train.len().min(CALIBRATION_BATCHES * d.eval_batch);
            for start in (0..n).step_by(d.eval_batch) {
                let range = start..(start + d.eval_batch).min(n);
                let (ids, mask, _) =
                    sentence_batch(&d.tokenizer, &d.train, range, d.max_len, device)?;
                net.classify_t(&ids, &mask, false)?;
            }
        }
    }
    matrices(reference)
        .into_iter()
        .map(|r| {
            r.finish_input_calibration()?;
            Ok(r.input_range().copy()?)
        })
        .collect()
}

/// Sets the input ranges of every tiled matrix of `model` (as [`direct_mapping_ranges`] gives
/// them).
pub fn set_input_ranges(model: &Model, ranges: &[Tensor]) -> Result<()> {
    for (m, r) in matrices(model).into_iter().zip(ranges) {
        m.set_input_ranges(r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ImageSet;
    use crate::experiment::task::ImageData;
    use crate::models::ModelConfig;
    use crate::models::resnet::ResNetConfig;
    use crate::nn::seeded_var_builder;
    use crate::rng::NoiseRng;
    use crate::tile::TileConfig;
    use candle_nn::VarMap;

    /// After calibration, the calibration batch itself passes every DAC unclipped: a tile with
    /// only a 16-bit DAC reproduces the digital network. (Ranges at 3 std of the inputs clip the
    /// post-ReLU tails and miss by far more.)
    #[test]
    fn direct_mapping_ranges_pass_the_calibration_inputs_unclipped() {
        let dev = Device::Cpu;
        let config = ModelConfig::Resnet(ResNetConfig {
            depth: 8,
            classes: 10,
            in_channels: 1,
            width: 4,
        });
        // Two variable sets from one seed: the same weights.
        let (vm_ref, vm) = (VarMap::new(), VarMap::new());
        let vb = |vm: &VarMap| seeded_var_builder(vm, 3, DType::F32, &dev);
        let reference =
            Model::build(&config, vb(&vm_ref), &TileConfig::ideal(), NoiseRng::new(1)).unwrap();
        let dac_only = TileConfig::ideal()
            .edit(|t| {
                t.periphery.dac.on = true;
                t.periphery.dac.bits = 16;
            })
            .unwrap();
        let model = Model::build(&config, vb(&vm), &dac_only, NoiseRng::new(1)).unwrap();
        let mut rng = NoiseRng::new(5);
        let pixels = (0..64 * 64).map(|_| (rng.next_u64() % 256) as u8).collect();
        let labels = (0..64).map(|i| i % 10).collect();
        let set = ImageSet::new("synthetic", pixels, labels, (1, 8, 8), 10).unwrap();
        let data = ImageData {
            stats: set.channel_stats(),
            train: set.clone(),
            test: set,
        };
        let task = TaskData::Images(data.clone());
        calibrate_direct_mapping(&reference, &model, &task, &dev).unwrap();
        let mut loader = Loader::new(&data.train, 128, &data.stats, Augment::default(), None);
        let (x, _) = loader.batch(0, &dev).unwrap();
        let digital = reference.classify_t(&x, false).unwrap();
        let analog = model.classify_t(&x, false).unwrap();
        let err = (&analog - &digital)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        let scale = digital.abs().unwrap().max_all().unwrap();
        let rel = err.to_scalar::<f32>().unwrap() / scale.to_scalar::<f32>().unwrap();
        assert!(rel < 1e-3, "relative deviation {rel}");
    }
}
