//! Hardware-aware training of a tiled matrix (physics.md section 5): per-mini-batch weight noise
//! and drop-connect (the same noisy copy in forward and backward, gradients to the clean weights),
//! the normalised parametrisation w = out_scale_i w~_ij with w~ clipped to [-1, 1], remapping,
//! input ranges initialised from data, and the crossbar-aware learning-rate factor.

use super::tiled_matrix::TiledMatrix;
use super::weight_noise::WeightModifier;
use crate::rng::NoiseRng;
use candle_core::{DType, Result, Tensor, Var};
use std::sync::Mutex;

/// Training-time state of one matrix.
#[derive(Debug, Default)]
pub(crate) struct TrainingState {
    /// Weights held normalised (w~ in [-1, 1], scales in `out_scale`): the HWA parametrisation.
    pub normalised: bool,
    pub modifier: Option<WeightModifier>,
    /// Seed of the current mini-batch's weight noise.
    pub batch_seed: u64,
    pub calibration: Option<Mutex<Calibration>>,
    /// This mini-batch's weight noise per tile, noisy - clean (detached), drawn at the tile's
    /// first forward: a recurrent matrix applied at every time step sees the same noisy copy
    /// without drawing it again. Cleared with every new seed, modifier, scale or weight change.
    noise_deltas: Mutex<Vec<Option<Tensor>>>,
}

/// Running statistics of each tile's inputs while input ranges are initialised from data.
#[derive(Debug)]
pub(crate) struct Calibration {
    std_factor: f64,
    sum: Vec<f64>,
    count: Vec<u32>,
}

impl TrainingState {
    /// The weights of tile `tile` as this mini-batch sees them: w + (modified(w) - w).detach().
    pub fn modify(&self, w: &Tensor, tile: usize) -> Result<Tensor> {
        let Some(m) = self.modifier.as_ref().filter(|m| m.is_active()) else {
            return Ok(w.clone());
        };
        let mut deltas = self.noise_deltas.lock().expect("lock");
        if deltas.len() <= tile {
            deltas.resize(tile + 1, None);
        }
        if let Some(d) = deltas[tile].as_ref().filter(|d| d.shape() == w.shape()) {
            return w + d;
        }
        let seed = NoiseRng::stream(self.batch_seed, &[tile as u64]).next_u64();
        // On the CPU the host kernel; elsewhere tensor operations on the device, so that the
        // weights are not copied to the host every mini-batch (issue 19).
        let noisy = if w.device().is_cpu() {
            let values = w.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?;
            Tensor::from_vec(m.apply(&values, seed), w.shape(), w.device())?
        } else {
            m.apply_tensor(w, seed)?
        };
        let delta = (noisy.to_dtype(w.dtype())? - w)?.detach();
        deltas[tile] = Some(delta.clone());
        w + delta
    }

    /// Forgets the drawn weight noise (the next forward draws it anew).
    pub fn clear_noise(&self) {
        self.noise_deltas.lock().expect("lock").clear();
    }

    /// Records the inputs `x` [B, n] of tile `tile` while calibrating: min(abs-max, k std).
    /// Returns the tile's running average of those estimates, this batch's included: the range
    /// the batch is computed with while calibrating (physics.md section 5, as aihwkit's
    /// `init_from_data`), so that no layer sees its inputs clipped at a range not yet set from
    /// data, nor the layers after it their effect.
    pub fn observe_inputs(&self, tile: usize, x: &Tensor) -> Result<Option<f64>> {
        let Some(c) = &self.calibration else {
            return Ok(None);
        };
        let x = x.detach().to_dtype(DType::F32)?;
        // One transfer to the host: abs-max, mean and mean square.
        let stats = Tensor::stack(
            &[x.abs()?.max_all()?, x.mean_all()?, x.sqr()?.mean_all()?],
            0,
        )?
        .to_vec1::<f32>()?;
        let (abs_max, mean) = (stats[0] as f64, stats[1] as f64);
        let var = stats[2] as f64 - mean * mean;
        let mut c = c.lock().expect("lock");
        let estimate = abs_max.min(c.std_factor * var.max(0.0).sqrt());
        c.sum[tile] += estimate;
        c.count[tile] += 1;
        Ok(Some(
            (c.sum[tile] / c.count[tile] as f64).max(MIN_INPUT_RANGE),
        ))
    }
}

/// Sets `param` (a variable) to `value`.
fn set_param(param: &Tensor, value: &Tensor) -> Result<()> {
    if !param.is_variable() {
        candle_core::bail!("parameter is not a trainable variable");
    }
    Var::from_tensor(param)?.set(&value.reshape(param.shape())?.to_dtype(param.dtype())?)
}

/// Smallest input range kept after an update (the range must stay positive).
pub const MIN_INPUT_RANGE: f64 = 1e-3;

impl TiledMatrix {
    /// Starts a mini-batch: the weight noise and the per-MVM noise of this batch come from `seed`.
    pub fn set_batch_seed(&self, seed: u64) {
        *self.rng.lock().expect("lock") = NoiseRng::stream(seed, &[0]);
        let mut training = self.training.write().expect("lock");
        training.batch_seed = NoiseRng::stream(seed, &[1]).next_u64();
        training.clear_noise();
    }

    /// Sets the weight modifier of training forwards (None: clean weights).
    pub fn set_weight_modifier(&self, modifier: Option<WeightModifier>) {
        let mut training = self.training.write().expect("lock");
        training.modifier = modifier;
        training.clear_noise();
    }

    /// Sets the noise scale of the weight modifier (the ramp).
    pub fn set_noise_scale(&self, scale: f64) {
        let mut training = self.training.write().expect("lock");
        if let Some(m) = training.modifier.as_mut() {
            m.scale = scale;
        }
        training.clear_noise();
    }

    /// The weight modifier in use.
    pub fn weight_modifier(&self) -> Option<WeightModifier> {
        self.training.read().expect("lock").modifier.clone()
    }

    /// Whether the weights are held normalised (HWA parametrisation).
    pub fn is_normalised(&self) -> bool {
        self.training.read().expect("lock").normalised
    }

    /// Declares the weights normalised without changing them (a checkpoint of an HWA run).
    pub fn set_normalised(&self, normalised: bool) {
        self.training.write().expect("lock").normalised = normalised;
    }

    /// Remaps: per output column s_i = max_j |w_ij| (bias on the tiles included); w /= s,
    /// out_scale *= s, so that the effective weights are unchanged and max |w~| = 1 per column.
    /// The first call turns the FP weights into the normalised HWA parametrisation.
    pub fn remap(&self) -> Result<()> {
        let w = self.tiled_weight()?;
        let s = w.abs()?.max_keepdim(1)?;
        let s = (s.eq(0.0)?.to_dtype(s.dtype())? + &s)?;
        set_param(&self.weight_param, &self.weight.broadcast_div(&s)?)?;
        if let Some(b) = &self.analog_bias {
            set_param(b, &b.div(&s.squeeze(1)?)?)?;
        }
        set_param(&self.out_scale, &(&self.out_scale * s.squeeze(1)?)?)?;
        self.set_normalised(true);
        self.training.read().expect("lock").clear_noise();
        Ok(())
    }

    /// Clips the (normalised) weights on the tiles to [-1, 1].
    pub fn clip_weights(&self) -> Result<()> {
        set_param(&self.weight_param, &self.weight_param.clamp(-1.0, 1.0)?)?;
        if let Some(b) = &self.analog_bias {
            set_param(b, &b.clamp(-1.0, 1.0)?)?;
        }
        self.training.read().expect("lock").clear_noise();
        Ok(())
    }

    /// Keeps every input range at least [`MIN_INPUT_RANGE`].
    pub fn clamp_input_range(&self) -> Result<()> {
        let r = self.input_range.clamp(MIN_INPUT_RANGE, f64::MAX)?;
        set_param(&self.input_range, &r)
    }

    /// The crossbar-aware learning-rate factor of the weights on these tiles, sqrt(3 / n_in)
    /// with n_in the rows of the largest input chunk (physics.md section 5).
    pub fn lr_scale(&self) -> f64 {
        let rows = self
            .grid
            .row_chunks
            .iter()
            .map(|r| r.len())
            .max()
            .unwrap_or(1);
        (3.0 / rows as f64).sqrt()
    }

    /// The parameters held on the tiles: the weight (as the layer holds it) and an analog bias.
    pub fn analog_parameters(&self) -> Vec<&Tensor> {
        std::iter::once(&self.weight_param)
            .chain(self.analog_bias.as_ref())
            .collect()
    }

    /// Starts initialising the input ranges from data: every training forward records
    /// min(abs-max, `std_factor` std) of each tile's inputs.
    pub fn start_input_calibration(&self, std_factor: f64) {
        let n = self.tile_count();
        self.training.write().expect("lock").calibration = Some(Mutex::new(Calibration {
            std_factor,
            sum: vec![0.0; n],
            count: vec![0; n],
        }));
    }

    /// Sets the input ranges of all tiles (one per tile, e.g. those another model calibrated).
    pub fn set_input_ranges(&self, ranges: &Tensor) -> Result<()> {
        if ranges.elem_count() != self.tile_count() {
            candle_core::bail!(
                "{}: {} input ranges for {} tiles",
                self.name(),
                ranges.elem_count(),
                self.tile_count()
            );
        }
        set_param(&self.input_range, ranges)
    }

    /// Ends the calibration: each tile's input range becomes the average of what it recorded
    /// (tiles that saw no input keep theirs).
    pub fn finish_input_calibration(&self) -> Result<()> {
        let Some(c) = self.training.write().expect("lock").calibration.take() else {
            return Ok(());
        };
        let c = c.into_inner().expect("lock");
        let old = self.input_range.to_dtype(DType::F32)?.to_vec1::<f32>()?;
        let new: Vec<f32> = old
            .iter()
            .enumerate()
            .map(|(t, &o)| match c.count[t] {
                0 => o,
                n => ((c.sum[t] / n as f64).max(MIN_INPUT_RANGE)) as f32,
            })
            .collect();
        let n = new.len();
        set_param(
            &self.input_range,
            &Tensor::from_vec(new, n, self.input_range.device())?,
        )
    }
}
