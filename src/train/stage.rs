//! What every training stage shares, whatever the network (physics.md section 5): the stage's
//! settings, the model (fresh, resumed from its checkpoint, or for HWA started from the FP
//! checkpoint, remapped), the teacher of distillation, the weight modifiers, the trained
//! parameters with their sqrt(3/n_in) learning-rate scales, the optimiser, the per-step noise
//! ramp and input-range calibration, and the end of an epoch: history, atomic checkpoint,
//! `history.csv`. The loops over the data are in `trainer` (images), `lm_trainer` (text) and
//! `sentence_trainer` (BERT); a fresh FP stage of BERT starts from its pretrained weights.

use super::grad_clip::clip_grad_norm;
use super::hwa;
use super::optimizer::{Optimizer, Param};
use crate::error::{Error, Result};
use crate::experiment::checkpoint::{
    self, EpochRecord, FORMAT, TrainState, load_into_varmap, varmap_tensors,
};
use crate::experiment::load::{build_model, load_model};
use crate::experiment::run_dir::{Stage, checkpoint_path, config_path, history_path};
use crate::experiment::{Experiment, HwaStage, Metric, OptimizerConfig, Schedule};
use crate::fsutil::write_atomic;
use crate::models::Model;
use crate::nn::matrices;
use crate::tile::TileConfig;
use candle_core::{DType, Device, Tensor, TensorId};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

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
    pub metric: Metric,
    pub history: Vec<EpochRecord>,
}

/// The stage's settings in one place.
pub struct StagePlan<'a> {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerConfig,
    pub schedule: Schedule,
    pub grad_clip: f64,
    pub tile: TileConfig,
    pub hwa: Option<&'a HwaStage>,
}

fn plan<'a>(exp: &'a Experiment, opts: &TrainOptions) -> Result<StagePlan<'a>> {
    let c = &exp.config;
    let p = match opts.stage {
        Stage::Fp => StagePlan {
            epochs: c.fp.epochs,
            batch_size: c.fp.batch_size,
            optimizer: c.fp.optimizer,
            schedule: c.fp.schedule,
            grad_clip: c.fp.grad_clip,
            tile: c.fp_tile(),
            hwa: None,
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
                grad_clip: h.grad_clip,
                tile: c.tile.clone(),
                hwa: Some(h),
            }
        }
    };
    Ok(StagePlan {
        epochs: opts.epochs.unwrap_or(p.epochs),
        ..p
    })
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

/// The first non-finite parameter, if any: every parameter's sum in one tensor, read with one
/// transfer from the device (a non-finite element makes its sum non-finite).
fn non_finite_param(params: &[Param]) -> Result<Option<String>> {
    if params.is_empty() {
        return Ok(None);
    }
    let sums = params
        .iter()
        .map(|p| p.var.as_tensor().sum_all()?.to_dtype(DType::F32))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let sums = Tensor::stack(&sums, 0)?.to_vec1::<f32>()?;
    Ok(params
        .iter()
        .zip(&sums)
        .find(|(_, s)| !s.is_finite())
        .map(|(p, _)| p.name.clone()))
}

/// A stage in progress.
pub struct StageRun<'a> {
    pub exp: &'a Experiment,
    pub opts: &'a TrainOptions,
    pub plan: StagePlan<'a>,
    /// Shared, so that an epoch's loop can hold it while the run counts steps.
    pub model: Rc<Model>,
    pub varmap: VarMap,
    pub state: TrainState,
    pub optimizer: Optimizer,
    /// The FP model the HWA stage distils from.
    pub teacher: Option<Rc<Model>>,
    pub ckpt_path: PathBuf,
    /// Keys the random draws of this stage: NoiseRng::stream(seed, [stage_key, ...]).
    pub stage_key: u64,
    /// What the stage counts: `images`, `words` or `sentences`.
    pub items: &'static str,
    calibration_steps: u64,
}

impl<'a> StageRun<'a> {
    /// Opens the stage: a fresh model, the stage's checkpoint (`resume`), or for HWA the FP
    /// checkpoint remapped; then the teacher, the modifiers, the optimiser and `config.toml`.
    pub fn open(exp: &'a Experiment, opts: &'a TrainOptions, metric: Metric) -> Result<Self> {
        let plan = plan(exp, opts)?;
        let dev = &opts.device;
        let ckpt_path = checkpoint_path(&opts.out_dir, opts.stage);
        let ckpt_name = ckpt_path.display().to_string();
        let (model, varmap) = build_model(exp, &plan.tile, dev)?;
        let mut state = TrainState {
            format: FORMAT.into(),
            experiment: exp.config.experiment.name.clone(),
            stage: opts.stage.name().into(),
            epoch: 0,
            step: 0,
            normalised: false,
            metric,
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
        } else if let Some(dir) = exp.pretrained_dir() {
            exp.config.model.load_pretrained(&varmap, &dir, dev)?;
        }
        let teacher = match plan.hwa {
            Some(h) if h.distillation.enabled => {
                let fp = checkpoint_path(&opts.out_dir, Stage::Fp);
                Some(Rc::new(load_model(exp, &exp.config.fp_tile(), &fp, dev)?.0))
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
            &config_path(&opts.out_dir, opts.stage),
            exp.resolved()?.to_toml()?.as_bytes(),
        )?;
        Ok(Self {
            exp,
            opts,
            plan,
            model: Rc::new(model),
            varmap,
            state,
            optimizer,
            teacher,
            ckpt_path,
            stage_key: opts.stage as u64 + 1,
            items: exp.config.data.dataset.items(),
            calibration_steps: 0,
        })
    }

    /// The experiment's seed.
    pub fn seed(&self) -> u64 {
        self.exp.config.experiment.seed
    }

    /// The learning rate of `epoch` (the schedule, and for `plateau` the evaluations so far).
    pub fn lr(&self, epoch: usize) -> f64 {
        let metric = self.state.metric;
        let history: Vec<f64> = self
            .state
            .history
            .iter()
            .map(|r| metric.as_lower_better(r.eval_metric))
            .collect();
        self.plan
            .schedule
            .lr(self.plan.optimizer.lr(), epoch, self.plan.epochs, &history)
    }

    /// Sets how many steps (of `steps_per_epoch`) initialise the input ranges from data.
    pub fn set_calibration(&mut self, steps_per_epoch: usize) {
        self.calibration_steps =
            self.plan
                .hwa
                .filter(|h| h.learn_input_ranges)
                .map_or(0, |h| h.input_range_init_batches.min(steps_per_epoch)) as u64;
    }

    /// Before step `k` of `steps` of `epoch`: the ramped noise scale (returned) and the start of
    /// the input-range calibration.
    pub fn before_step(&self, epoch: usize, k: usize, steps: usize) -> Result<f64> {
        let Some(h) = self.plan.hwa else {
            return Ok(0.0);
        };
        let scale = hwa::ramped_scale(&h.noise, epoch as f64 + k as f64 / steps as f64);
        hwa::set_noise_scale(&*self.model, scale);
        if self.state.step == 0 && self.calibration_steps > 0 {
            hwa::calibrate_input_ranges(&*self.model, Some(h.input_range_std_factor))?;
        }
        Ok(scale)
    }

    /// An error for a diverged run at `epoch`, naming the last good checkpoint.
    pub fn diverged(&self, epoch: usize, what: String) -> Error {
        diverged(&self.ckpt_path, epoch, self.state.step, what)
    }

    /// After an update: HWA clipping, the finiteness check, the step count, the end of the
    /// input-range calibration.
    pub fn after_update(&mut self, epoch: usize) -> Result<()> {
        if let Some(h) = self.plan.hwa {
            hwa::after_step(&*self.model, h.clip)?;
        }
        if let Some(name) = non_finite_param(self.optimizer.params())? {
            return Err(self.diverged(epoch, format!("parameter `{name}` is not finite")));
        }
        self.state.step += 1;
        if self.calibration_steps > 0 && self.state.step == self.calibration_steps {
            hwa::calibrate_input_ranges(&*self.model, None)?;
        }
        Ok(())
    }

    /// The progress bar of `epoch` (from 0) over `steps` steps.
    pub fn epoch_bar(&self, epoch: usize, steps: usize) -> indicatif::ProgressBar {
        crate::progress::progress_bar(
            &format!(
                "{} epoch {}/{}",
                self.opts.stage.name(),
                epoch + 1,
                self.plan.epochs
            ),
            steps as u64,
            self.opts.progress,
        )
    }

    /// One optimisation step on `loss` at learning rate `lr`: the finiteness check, the
    /// gradients (clipped to the stage's norm), the update and [`Self::after_update`]. Returns
    /// the loss.
    pub fn update(&mut self, loss: &Tensor, epoch: usize, lr: f64) -> Result<f64> {
        let value = loss.to_dtype(DType::F32)?.to_scalar::<f32>()? as f64;
        if !value.is_finite() {
            return Err(self.diverged(epoch, format!("the loss is {value}")));
        }
        let mut grads = loss.backward()?;
        if self.plan.grad_clip > 0.0 {
            clip_grad_norm(&mut grads, self.optimizer.params(), self.plan.grad_clip)?;
        }
        self.optimizer.step(&grads, lr)?;
        self.after_update(epoch)?;
        Ok(value)
    }

    /// Remaps the output scales when the stage asks for it after every epoch.
    pub fn end_of_epoch_remap(&self) -> Result<()> {
        if self.plan.hwa.is_some_and(|h| h.remap_every_epoch) {
            hwa::remap_all(&*self.model)?;
        }
        Ok(())
    }

    /// Records an epoch: the line on stderr, the checkpoint and `history.csv`.
    pub fn finish_epoch(&mut self, record: EpochRecord) -> Result<()> {
        let metric = self.state.metric;
        if self.opts.progress {
            let m = |v: f64| format!("{:.2}{}", metric.shown(v), metric.unit());
            eprintln!(
                "{} epoch {}/{}: loss {:.4}, train {}, {} {}, {:.0} {}/s",
                self.opts.stage.name(),
                record.epoch,
                self.plan.epochs,
                record.train_loss,
                m(record.train_metric),
                eval_name(metric),
                m(record.eval_metric),
                record.items_per_s,
                self.items,
            );
        }
        self.state.epoch = record.epoch;
        self.state.history.push(record);
        self.save_checkpoint()
    }

    /// Writes the checkpoint and `history.csv` of the stage as it stands.
    pub fn save_checkpoint(&self) -> Result<()> {
        let metric = self.state.metric;
        let mut tensors = varmap_tensors(&self.varmap);
        tensors.extend(self.optimizer.state_tensors());
        checkpoint::save(&self.ckpt_path, &tensors, &self.state)?;
        write_atomic(
            &history_path(&self.opts.out_dir, self.opts.stage),
            history_csv(&self.state.history, metric, self.items).as_bytes(),
        )
    }

    /// What the stage produced.
    pub fn outcome(self) -> StageOutcome {
        StageOutcome {
            checkpoint: self.ckpt_path,
            metric: self.state.metric,
            history: self.state.history,
        }
    }
}

/// The error of a run diverged at `epoch` (from 0), in the step after `steps_done`.
pub fn diverged(checkpoint: &Path, epoch: usize, steps_done: u64, what: String) -> Error {
    Error::Diverged {
        epoch: epoch + 1,
        step: steps_done + 1,
        what,
        checkpoint: if checkpoint.exists() {
            checkpoint.display().to_string()
        } else {
            "none written yet".into()
        },
    }
}

/// What the per-epoch evaluation is run on: `test` (images) or `valid` (text).
pub fn eval_name(metric: Metric) -> &'static str {
    match metric {
        Metric::Accuracy => "test",
        Metric::Perplexity => "valid",
    }
}

/// The history as CSV; the columns name the metric and what was counted
/// (`train_accuracy,test_accuracy,images_per_s`, `train_perplexity,valid_perplexity,words_per_s`
/// or `...,sentences_per_s`).
pub fn history_csv(history: &[EpochRecord], metric: Metric, items: &str) -> String {
    let mut s = format!(
        "epoch,lr,noise_scale,train_loss,train_{m},{e}_{m},{items}_per_s\n",
        m = metric.name(),
        e = eval_name(metric)
    );
    for r in history {
        s.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.epoch,
            r.lr,
            r.noise_scale,
            r.train_loss,
            r.train_metric,
            r.eval_metric,
            r.items_per_s
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    fn param(name: &str, values: &[f32]) -> Param {
        Param {
            name: name.into(),
            var: Var::from_slice(values, values.len(), &Device::Cpu).unwrap(),
            lr_scale: 1.0,
            decay: true,
        }
    }

    /// The check names the first parameter holding a NaN or an infinity, in parameter order.
    #[test]
    fn the_first_non_finite_parameter_is_named() {
        let finite = param("a", &[1.0, -2.0]);
        let nan = param("b", &[0.0, f32::NAN]);
        let inf = param("c", &[f32::INFINITY]);
        assert_eq!(non_finite_param(&[]).unwrap(), None);
        assert_eq!(
            non_finite_param(std::slice::from_ref(&finite)).unwrap(),
            None
        );
        let all = [finite, nan, inf];
        assert_eq!(non_finite_param(&all).unwrap().as_deref(), Some("b"));
        assert_eq!(non_finite_param(&all[2..]).unwrap().as_deref(), Some("c"));
    }
}
