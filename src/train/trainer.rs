//! The training loop of one stage (physics.md section 5): FP on the `ideal` tile, or HWA on the
//! experiment's tile started from the FP checkpoint (normalised weights, weight noise redrawn per
//! mini-batch and ramped, clipping, remapping, input ranges from data, learned output scales,
//! sqrt(3/n_in) learning rates, distillation from the FP model). Every epoch: evaluation, then
//! an atomic checkpoint. A resumed run continues exactly: every random draw is keyed by the
//! seed, the stage and the step. A non-finite loss or weight stops the run, keeping the last
//! good checkpoint.

use super::checkpoint::{self, EpochRecord, FORMAT, TrainState, load_into_varmap, varmap_tensors};
use super::distill::{cross_entropy, distillation_loss};
use super::evaluate::{accuracy, count_correct};
use super::experiment::{Experiment, HwaStage};
use super::hwa;
use super::optimizer::{Optimizer, OptimizerConfig, Param};
use super::schedule::Schedule;
use super::setup::{ExperimentData, build_model, load_model};
use crate::data::{Augment, Loader};
use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::models::Model;
use crate::nn::matrices;
use crate::progress::progress_bar;
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::{DType, Device, TensorId};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The two training stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Floating point, on the `ideal` tile.
    Fp,
    /// Hardware-aware, on the experiment's tile, from the FP checkpoint.
    Hwa,
}

impl Stage {
    /// `fp` or `hwa`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Fp => "fp",
            Stage::Hwa => "hwa",
        }
    }
}

/// How to run a stage.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub stage: Stage,
    /// The run directory; the stage writes `<out>/<stage>/`.
    pub out_dir: PathBuf,
    /// Overrides the stage's number of epochs.
    pub epochs: Option<usize>,
    /// Continue from the stage's checkpoint.
    pub resume: bool,
    pub device: Device,
    /// Show a progress bar (when stderr is a terminal) and a line per epoch.
    pub progress: bool,
}

/// What a stage produced.
#[derive(Debug, Clone)]
pub struct StageOutcome {
    pub checkpoint: PathBuf,
    pub history: Vec<EpochRecord>,
}

/// The checkpoint file of `stage` in run directory `out`.
pub fn checkpoint_path(out: &Path, stage: Stage) -> PathBuf {
    out.join(stage.name()).join("checkpoint.safetensors")
}

/// The trained parameters: every variable but batch-norm statistics; input ranges and output
/// scales only where the HWA stage learns them.
fn trained_params(varmap: &VarMap, model: &Model, hwa: Option<&HwaStage>) -> Vec<Param> {
    let mut lr_scale: HashMap<TensorId, f64> = HashMap::new();
    if hwa.is_some_and(|h| h.lr_scaling) {
        for m in matrices(model) {
            for p in m.analog_parameters() {
                lr_scale.insert(p.id(), m.lr_scale());
            }
        }
    }
    let data = varmap.data().lock().expect("lock");
    let mut params: Vec<Param> = data
        .iter()
        .filter(|(name, _)| {
            let is = |suffix: &str| name.ends_with(suffix);
            !(is("running_mean") || is("running_var"))
                && (!is(".input_range") || hwa.is_some_and(|h| h.learn_input_ranges))
                && (!is(".out_scale") || hwa.is_some_and(|h| h.learn_out_scales))
        })
        .map(|(name, var)| Param {
            name: name.clone(),
            var: var.clone(),
            lr_scale: lr_scale.get(&var.as_tensor().id()).copied().unwrap_or(1.0),
            decay: !(name.ends_with(".input_range") || name.ends_with(".out_scale")),
        })
        .collect();
    params.sort_by(|a, b| a.name.cmp(&b.name));
    params
}

/// The first non-finite parameter, if any.
fn non_finite_param(params: &[Param]) -> Result<Option<String>> {
    for p in params {
        let s = p
            .var
            .as_tensor()
            .sum_all()?
            .to_dtype(DType::F32)?
            .to_scalar::<f32>()?;
        if !s.is_finite() {
            return Ok(Some(p.name.clone()));
        }
    }
    Ok(None)
}

/// The stage's settings in one place.
struct StagePlan<'a> {
    epochs: usize,
    batch_size: usize,
    optimizer: OptimizerConfig,
    schedule: Schedule,
    tile: TileConfig,
    hwa: Option<&'a HwaStage>,
    augment: Augment,
}

fn plan<'a>(exp: &'a Experiment, opts: &TrainOptions) -> Result<StagePlan<'a>> {
    let c = &exp.config;
    let augment = Augment {
        crop_padding: c.data.crop_padding,
        horizontal_flip: c.data.horizontal_flip,
    };
    let p = match opts.stage {
        Stage::Fp => StagePlan {
            epochs: c.fp.epochs,
            batch_size: c.fp.batch_size,
            optimizer: c.fp.optimizer,
            schedule: c.fp.schedule,
            tile: c.fp_tile(),
            hwa: None,
            augment,
        },
        Stage::Hwa => {
            let h = c.hwa.as_ref().ok_or_else(|| {
                Error::invalid_value(
                    &exp.file,
                    "hwa",
                    "an [hwa] section for --stage hwa",
                    "nothing",
                )
            })?;
            StagePlan {
                epochs: h.epochs,
                batch_size: h.batch_size,
                optimizer: h.optimizer,
                schedule: h.schedule,
                tile: c.tile.clone(),
                hwa: Some(h),
                augment,
            }
        }
    };
    Ok(StagePlan {
        epochs: opts.epochs.unwrap_or(p.epochs),
        ..p
    })
}

/// Runs (or resumes) one stage of `exp` on `data`.
pub fn train_stage(
    exp: &Experiment,
    data: &ExperimentData,
    opts: &TrainOptions,
) -> Result<StageOutcome> {
    let plan = plan(exp, opts)?;
    let dev = &opts.device;
    let stage_dir = opts.out_dir.join(opts.stage.name());
    let ckpt_path = checkpoint_path(&opts.out_dir, opts.stage);
    let ckpt_name = ckpt_path.display().to_string();
    let seed = exp.config.experiment.seed;
    let stage_key = opts.stage as u64 + 1;

    let (model, varmap) = build_model(exp, &plan.tile, dev)?;
    let mut state = TrainState {
        format: FORMAT.into(),
        experiment: exp.config.experiment.name.clone(),
        stage: opts.stage.name().into(),
        epoch: 0,
        step: 0,
        normalised: false,
        history: Vec::new(),
    };
    let mut resumed_tensors = None;
    if opts.resume {
        if !ckpt_path.exists() {
            return Err(Error::data(
                &ckpt_name,
                "no checkpoint to resume from (run without --resume)",
            ));
        }
        let ckpt = checkpoint::load(&ckpt_path, dev)?;
        if ckpt.state.stage != opts.stage.name() {
            return Err(Error::data(
                &ckpt_name,
                format!("a checkpoint of stage `{}`", ckpt.state.stage),
            ));
        }
        load_into_varmap(&varmap, &ckpt.tensors, &ckpt_name)?;
        state = ckpt.state;
        resumed_tensors = Some(ckpt.tensors);
        for m in matrices(&model) {
            m.set_normalised(state.normalised);
        }
    } else if plan.hwa.is_some() {
        let fp = checkpoint_path(&opts.out_dir, Stage::Fp);
        if !fp.exists() {
            return Err(Error::data(
                fp.display(),
                format!(
                    "the HWA stage starts from the FP checkpoint: run `aimc train {} --stage fp` first",
                    exp.file
                ),
            ));
        }
        let ckpt = checkpoint::load(&fp, dev)?;
        load_into_varmap(&varmap, &ckpt.tensors, &fp.display().to_string())?;
        hwa::remap_all(&model)?;
        state.normalised = true;
    }

    let teacher = match plan.hwa {
        Some(h) if h.distillation.enabled => {
            let fp = checkpoint_path(&opts.out_dir, Stage::Fp);
            Some(load_model(exp, &exp.config.fp_tile(), &fp, dev)?.0)
        }
        _ => None,
    };
    if let Some(h) = plan.hwa {
        hwa::install_modifiers(&model, h, &plan.tile)?;
    }

    let params = trained_params(&varmap, &model, plan.hwa);
    let mut optimizer = Optimizer::new(plan.optimizer, params)?;
    if let Some(t) = &resumed_tensors {
        optimizer.load_state(t, state.step)?;
    }
    write_atomic(
        &stage_dir.join("config.toml"),
        exp.resolved()?.to_toml()?.as_bytes(),
    )?;

    let batches = data.train.len().div_ceil(plan.batch_size);
    let calibration_batches =
        plan.hwa
            .filter(|h| h.learn_input_ranges)
            .map_or(0, |h| h.input_range_init_batches.min(batches)) as u64;
    let lr0 = plan.optimizer.lr();
    for epoch in state.epoch..plan.epochs {
        let lr = plan.schedule.lr(lr0, epoch, plan.epochs);
        let mut loader = Loader::new(
            &data.train,
            plan.batch_size,
            &data.stats,
            plan.augment,
            Some((
                NoiseRng::stream(seed, &[stage_key]).next_u64(),
                epoch as u64,
            )),
        );
        let bar = progress_bar(
            &format!("{} epoch {}/{}", opts.stage.name(), epoch + 1, plan.epochs),
            batches as u64,
            opts.progress,
        );
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let mut noise_scale = 0.0;
        for k in 0..batches {
            let step = state.step;
            if let Some(h) = plan.hwa {
                noise_scale = hwa::ramped_scale(&h.noise, epoch as f64 + k as f64 / batches as f64);
                hwa::set_noise_scale(&model, noise_scale);
                if step == 0 && calibration_batches > 0 {
                    hwa::calibrate_input_ranges(&model, Some(h.input_range_std_factor))?;
                }
            }
            for (i, m) in matrices(&model).into_iter().enumerate() {
                m.set_batch_seed(NoiseRng::stream(seed, &[stage_key, step, i as u64]).next_u64());
            }
            let (x, y) = loader.batch(k, dev)?;
            let logits = model.classify_t(&x, true)?;
            let loss = match (&teacher, plan.hwa) {
                (Some(t), Some(h)) => {
                    distillation_loss(&logits, &t.classify_t(&x, false)?, &y, &h.distillation)?
                }
                _ => cross_entropy(&logits, &y)?,
            };
            let loss_value = loss.to_dtype(DType::F32)?.to_scalar::<f32>()? as f64;
            let diverged = |what: String| Error::Diverged {
                epoch: epoch + 1,
                step: step + 1,
                what,
                checkpoint: if ckpt_path.exists() {
                    ckpt_name.clone()
                } else {
                    "none written yet".into()
                },
            };
            if !loss_value.is_finite() {
                bar.abandon();
                return Err(diverged(format!("the loss is {loss_value}")));
            }
            let grads = loss.backward()?;
            optimizer.step(&grads, lr)?;
            if let Some(h) = plan.hwa {
                hwa::after_step(&model, h.clip)?;
            }
            if let Some(name) = non_finite_param(optimizer.params())? {
                bar.abandon();
                return Err(diverged(format!("parameter `{name}` is not finite")));
            }
            state.step += 1;
            if calibration_batches > 0 && state.step == calibration_batches {
                hwa::calibrate_input_ranges(&model, None)?;
            }
            let n = y.dim(0)?;
            loss_sum += loss_value * n as f64;
            correct += count_correct(&logits, &y)?;
            seen += n;
            bar.inc(1);
            bar.set_message(format!(
                "loss {:.4}  acc {:.2}%  {:.0} img/s",
                loss_sum / seen as f64,
                100.0 * correct as f64 / seen as f64,
                seen as f64 / start.elapsed().as_secs_f64()
            ));
        }
        let images_per_s = seen as f64 / start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        if plan.hwa.is_some_and(|h| h.remap_every_epoch) {
            hwa::remap_all(&model)?;
        }
        let test_accuracy = accuracy(&model, &data.test, &data.stats, dev)?;
        let record = EpochRecord {
            epoch: epoch + 1,
            lr,
            noise_scale,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            test_accuracy,
            images_per_s,
        };
        if opts.progress {
            eprintln!(
                "{} epoch {}/{}: loss {:.4}, train {:.2}%, test {:.2}%, {:.0} img/s",
                opts.stage.name(),
                epoch + 1,
                plan.epochs,
                record.train_loss,
                100.0 * record.train_accuracy,
                100.0 * record.test_accuracy,
                record.images_per_s
            );
        }
        state.history.push(record);
        state.epoch = epoch + 1;
        let mut tensors = varmap_tensors(&varmap);
        tensors.extend(optimizer.state_tensors());
        checkpoint::save(&ckpt_path, &tensors, &state)?;
        write_atomic(
            &stage_dir.join("history.csv"),
            history_csv(&state.history).as_bytes(),
        )?;
    }
    Ok(StageOutcome {
        checkpoint: ckpt_path,
        history: state.history,
    })
}

/// The history as CSV.
pub fn history_csv(history: &[EpochRecord]) -> String {
    let mut s =
        String::from("epoch,lr,noise_scale,train_loss,train_accuracy,test_accuracy,images_per_s\n");
    for r in history {
        s.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.epoch,
            r.lr,
            r.noise_scale,
            r.train_loss,
            r.train_accuracy,
            r.test_accuracy,
            r.images_per_s
        ));
    }
    s
}
