//! The time sweep (physics.md section 6): for every device and repeat, program the network anew
//! (its own seed), then for every time read the devices at t (drift and fresh read noise on one
//! trajectory), apply drift compensation and evaluate the whole test set with those weights held
//! fixed. Per (device, time): mean, std, 95 % confidence interval, A* and iso-accuracy.
//! Seeds are keyed by (seed, device name, repeat, time), so adding a device or a time leaves the
//! others' numbers unchanged.

use super::metric::Metric;
use super::stats::{ISO_ACCURACY, Summary, summarize};
use super::target::SweepTarget;
use super::times::SweepTime;
use crate::data::{Augment, Loader};
use crate::device::Device as AnalogDevice;
use crate::error::Result;
use crate::models::Model;
use crate::nn::seeded_init::fnv1a;
use crate::nn::{LstmState, matrices, program_all, read_all};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use crate::train::evaluate::evaluate;
use crate::train::sentence_eval::sentence_batch;
use crate::train::setup::{TaskData, load_model};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The devices, each with the name it is reported under.
    pub devices: Vec<(String, AnalogDevice)>,
    /// The tile the network is programmed onto (its drift compensation applies).
    pub tile: TileConfig,
    pub times: Vec<SweepTime>,
    pub reps: usize,
    pub seed: u64,
}

/// The metric at one (device, time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub device: String,
    pub time_label: String,
    pub time_s: f64,
    /// The metric of each repeat.
    pub values: Vec<f64>,
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// A* of the mean (Eq. 3).
    pub a_star: f64,
    pub iso_accurate: bool,
}

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// `<run>-<stage>`.
    pub run: String,
    pub checkpoint: String,
    pub stage: String,
    /// `accuracy` (higher is better) or `perplexity` (lower is better).
    pub metric: Metric,
    /// The metric of the FP model (digital).
    pub fp: f64,
    /// The chance level: 1 / classes, or the vocabulary size for the perplexity.
    pub chance: f64,
    pub reps: usize,
    pub seed: u64,
    /// The tile configuration programmed (device field aside).
    pub tile: TileConfig,
    pub points: Vec<SweepPoint>,
}

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
    for m in matrices(reference) {
        m.start_input_calibration(f64::INFINITY);
    }
    match (data, reference) {
        (TaskData::Images(data), _) => {
            let mut loader = Loader::new(&data.train, 128, &data.stats, Augment::default(), None);
            for k in 0..loader.batches().min(CALIBRATION_BATCHES) {
                let (x, _) = loader.batch(k, device)?;
                reference.classify_t(&x, false)?;
            }
        }
        (TaskData::Text(text), Model::LstmLm(lm)) => {
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
        (TaskData::Sentences(d), Model::Bert(bert)) => {
            let n = d.train.len().min(CALIBRATION_BATCHES * d.eval_batch);
            for start in (0..n).step_by(d.eval_batch) {
                let range = start..(start + d.eval_batch).min(n);
                let (ids, mask, _) =
                    sentence_batch(&d.tokenizer, &d.train, range, d.max_len, device)?;
                bert.forward_t(&ids, &mask, false)?;
            }
        }
        (TaskData::Text(_) | TaskData::Sentences(_), _) => {
            return Err(crate::error::Error::Tensor(
                "the dataset does not fit the model (text: the LSTM LM, sentences: BERT)".into(),
            ));
        }
    }
    for (r, m) in matrices(reference).into_iter().zip(matrices(model)) {
        r.finish_input_calibration()?;
        m.set_input_ranges(r.input_range())?;
    }
    Ok(())
}

/// Runs the sweep of `target` on `data`; `tick` is called after each evaluation.
pub fn run_sweep(
    target: &SweepTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    tick: &mut dyn FnMut(&str),
) -> Result<SweepResult> {
    let exp = &target.experiment;
    // The digital network on the swept tile's geometry (its input ranges calibrate a direct
    // mapping tile by tile).
    let digital = spec.tile.digital();
    let (fp_model, _, _) = load_model(exp, &digital, &target.fp_checkpoint, device)?;
    let metric = data.metric();
    let fp = evaluate(&fp_model, data, device)?;
    let chance = data.chance();
    let (model, _, state) = load_model(exp, &spec.tile, &target.checkpoint, device)?;
    if state.stage != "hwa" {
        calibrate_direct_mapping(&fp_model, &model, data, device)?;
    }
    drop(fp_model);
    let mut points = Vec::new();
    for (name, analog) in &spec.devices {
        let key = fnv1a(name);
        let mut values = vec![Vec::with_capacity(spec.reps); spec.times.len()];
        for rep in 0..spec.reps as u64 {
            program_all(
                &model,
                analog,
                NoiseRng::stream(spec.seed, &[key, rep]).next_u64(),
            )?;
            for (k, t) in spec.times.iter().enumerate() {
                let read_seed =
                    NoiseRng::stream(spec.seed, &[key, rep, t.seconds.to_bits()]).next_u64();
                read_all(&model, t.seconds, read_seed)?;
                values[k].push(evaluate(&model, data, device)?);
                tick(&format!("{name} rep {} t = {}", rep + 1, t.label));
            }
        }
        for (t, v) in spec.times.iter().zip(values) {
            let s: Summary = summarize(&v);
            let a_star = metric.a_star(s.mean, fp, chance);
            points.push(SweepPoint {
                device: name.clone(),
                time_label: t.label.clone(),
                time_s: t.seconds,
                values: v,
                n: s.n,
                mean: s.mean,
                std: s.std,
                ci_low: s.ci_low,
                ci_high: s.ci_high,
                a_star,
                iso_accurate: a_star > ISO_ACCURACY,
            });
        }
    }
    for m in matrices(&model) {
        m.unprogram();
    }
    Ok(SweepResult {
        run: target.name.clone(),
        checkpoint: target.checkpoint.display().to_string(),
        stage: target.stage.clone(),
        metric,
        fp,
        chance,
        reps: spec.reps,
        seed: spec.seed,
        tile: spec.tile.clone(),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ImageSet;
    use crate::models::ModelConfig;
    use crate::models::resnet::ResNetConfig;
    use crate::nn::seeded_var_builder;
    use crate::train::setup::ExperimentData;
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
        let data = ExperimentData {
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
