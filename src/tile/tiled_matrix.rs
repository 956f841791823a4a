//! A weight matrix on a grid of crossbar tiles (physics.md sections 1, 3, 4): the split, the
//! per-tile input ranges, programming through a device model, reading at a time t, global drift
//! compensation and the forward pass. Partial sums of input chunks are added digitally.
//!
//! In training (and before programming) the tiles use the current weights, normalised per
//! column; after programming, inference uses the weights realised by the devices at the time
//! last read.

use super::activity::Activity;
use super::config::{TileConfig, WeightScaling};
use super::geometry::TileGrid;
use super::mapping::output_scales;
use super::periphery::Periphery;
use super::periphery::drift_compensation::compensated_scales;
use super::training::TrainingState;
use crate::device::{Device as AnalogDevice, DeviceModel, ProgrammedState};
use crate::rng::NoiseRng;
use candle_core::{D, DType, Result, Tensor, Var};
use candle_nn::{Init, VarBuilder};
use rayon::prelude::*;
use std::sync::{Mutex, RwLock};

/// One programmed tile.
#[derive(Debug)]
struct ProgrammedTile {
    /// The device pairs: first the g+ devices, then the g- devices.
    state: ProgrammedState,
    /// Output scales gamma, one per column.
    gamma: Vec<f32>,
    /// Realised normalised weights [m, n] at the time last read, and their absolute values.
    weights: Tensor,
    weights_abs: Tensor,
    /// GDC reference s_ref (one value, or one per column) measured right after programming.
    gdc_reference: Vec<f32>,
    /// Digital output scale [1, m] at the time last read: gamma_i times the compensation factor.
    out_scale: Tensor,
}

/// One tile as inference uses it, noise aside: the matrix rows (inputs, an analog bias the
/// last) and columns (outputs) it holds, its normalised weights [m, n], its digital output
/// scales [m] and its static input range.
#[derive(Debug, Clone)]
pub struct TileBlock {
    pub rows: std::ops::Range<usize>,
    pub cols: std::ops::Range<usize>,
    pub weights: Tensor,
    pub out_scale: Tensor,
    pub input_range: f32,
}

#[derive(Debug)]
struct Programmed {
    device: AnalogDevice,
    tiles: Vec<ProgrammedTile>,
}

/// A weight matrix [out, in] held on tiles.
#[derive(Debug)]
pub struct TiledMatrix {
    name: String,
    /// What the matrix is in its model: `linear`, `conv2d`, `lstm_input`, `lstm_recurrent`.
    kind: &'static str,
    /// The weight parameter as the layer holds it (e.g. [out, in, kh, kw] for a convolution).
    pub(super) weight_param: Tensor,
    /// The weights as a matrix [out, in].
    pub(super) weight: Tensor,
    /// A bias held on the tiles as an extra input row driven by 1 (`digital_bias = false`).
    pub(super) analog_bias: Option<Tensor>,
    pub(super) grid: TileGrid,
    config: TileConfig,
    periphery: Periphery,
    /// Static input range alpha per tile [tiles] (row-major over the grid); learnable.
    pub(super) input_range: Tensor,
    /// Digital output scale per column [out], 1 unless learned in HWA training: the effective
    /// weights are out_scale_i * w_ij.
    pub(super) out_scale: Tensor,
    pub(super) rng: Mutex<NoiseRng>,
    pub(super) training: RwLock<TrainingState>,
    programmed: RwLock<Option<Programmed>>,
    /// Input vectors read and their pulse duty, for the cost model.
    activity: Activity,
}

/// Converts an aimc error into a candle error (for use inside candle-returning functions).
pub(crate) fn candle_err(e: crate::error::Error) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

impl TiledMatrix {
    /// A matrix with weights `weight` [out, in] (or [out, ...], flattened to a matrix; typically
    /// a `Var`'s tensor), split over tiles of `config`; `rng` seeds the per-forward noise. Input
    /// ranges and output scales are own variables; [`TiledMatrix::with_parameters`] takes them
    /// from a `VarBuilder` instead (for training and checkpoints).
    pub fn new(name: &str, weight: Tensor, config: &TileConfig, rng: NoiseRng) -> Result<Self> {
        Self::with_analog_bias(name, weight, None, config, rng)
    }

    /// As [`TiledMatrix::new`], with a bias [out] on the tiles: an extra input row driven by 1.
    pub fn with_analog_bias(
        name: &str,
        weight: Tensor,
        analog_bias: Option<Tensor>,
        config: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        let weight_param = weight;
        let out_features = weight_param.dim(0)?;
        let weight = weight_param.flatten_from(1)?;
        let mut in_features = weight.dim(1)?;
        if analog_bias.is_some() {
            in_features += 1;
        }
        let geometry = config.geometry();
        let grid = TileGrid::new(in_features, out_features, geometry);
        let periphery = Periphery::new(&config.periphery).map_err(candle_err)?;
        let dev = weight.device();
        let ranges = vec![config.periphery.input_scaling.range as f32; grid.tile_count()];
        let input_range = Var::from_vec(ranges, grid.tile_count(), dev)?
            .as_tensor()
            .clone();
        let out_scale = Var::ones(out_features, weight.dtype(), dev)?
            .as_tensor()
            .clone();
        Ok(Self {
            name: name.to_string(),
            kind: "linear",
            weight_param,
            weight,
            analog_bias,
            grid,
            config: config.clone(),
            periphery,
            input_range,
            out_scale,
            rng: Mutex::new(rng),
            training: RwLock::new(TrainingState::default()),
            programmed: RwLock::new(None),
            activity: Activity::default(),
        })
    }

    /// Takes the input ranges (`input_range` [tiles], initialised to the configured range) and
    /// output scales (`out_scale` [out], initialised to 1) from `vb`, so that they are trained
    /// and saved with the model.
    pub fn with_parameters(mut self, vb: &VarBuilder) -> Result<Self> {
        let tiles = self.grid.tile_count();
        let init = Init::Const(self.config.periphery.input_scaling.range);
        self.input_range = vb.get_with_hints(tiles, "input_range", init)?;
        self.out_scale = vb.get_with_hints(self.weight.dim(0)?, "out_scale", Init::Const(1.0))?;
        Ok(self)
    }

    /// Sets what the matrix is in its model (see [`TiledMatrix::kind`]).
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// The layer name (for maps and reports).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the matrix is in its model: `linear`, `conv2d`, `lstm_input`, `lstm_recurrent`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// (inputs, outputs) of the matrix on the tiles (an analog bias counts as an input).
    pub fn matrix_size(&self) -> (usize, usize) {
        let rows = self.grid.row_chunks.last().map_or(0, |r| r.end);
        let cols = self.grid.col_chunks.last().map_or(0, |c| c.end);
        (rows, cols)
    }

    /// The grid of tiles.
    pub fn grid(&self) -> &TileGrid {
        &self.grid
    }

    /// The tile configuration.
    pub fn config(&self) -> &TileConfig {
        &self.config
    }

    /// The current (digital) weights [out, in].
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The matrix on the tiles: the weights, with the analog bias as a last column if any.
    pub fn tiled_weight(&self) -> Result<Tensor> {
        match &self.analog_bias {
            Some(b) => Tensor::cat(&[&self.weight, &b.unsqueeze(1)?], 1),
            None => Ok(self.weight.clone()),
        }
    }

    /// Number of tiles.
    pub fn tile_count(&self) -> usize {
        self.grid.tile_count()
    }

    /// The learnable static input ranges [tiles], one per tile.
    pub fn input_range(&self) -> &Tensor {
        &self.input_range
    }

    /// The output scales [out] (1 unless learned).
    pub fn out_scale(&self) -> &Tensor {
        &self.out_scale
    }

    /// The weights as they act, out_scale_i w_ij, with the analog bias as a last column if any.
    pub fn effective_weight(&self) -> Result<Tensor> {
        self.tiled_weight()?
            .broadcast_mul(&self.out_scale.unsqueeze(1)?)
    }

    /// The weights as the tiles act with them, [out, in] (the analog bias as a last column, if
    /// any): once programmed, each tile's realised weights at the time last read times its
    /// output scales (the learned scales and the drift compensation folded in); else the
    /// effective weights.
    pub fn acting_weight(&self) -> Result<Tensor> {
        let guard = self.programmed.read().expect("lock");
        let Some(p) = guard.as_ref() else {
            return self.effective_weight();
        };
        let mut rows = Vec::with_capacity(self.grid.col_chunks.len());
        for c in 0..self.grid.col_chunks.len() {
            let blocks = (0..self.grid.row_chunks.len())
                .map(|r| {
                    let t = &p.tiles[self.tile_index(r, c)];
                    t.weights.broadcast_mul(&t.out_scale.t()?)
                })
                .collect::<Result<Vec<_>>>()?;
            rows.push(Tensor::cat(&blocks, 1)?);
        }
        Tensor::cat(&rows, 0)
    }

    /// Every tile (row-major over the grid) as [`TiledMatrix::forward_t`] uses it in
    /// inference: once programmed the realised weights at the time last read and their output
    /// scales (drift compensation folded in), else the current weights normalised per block.
    pub fn tile_blocks(&self) -> Result<Vec<TileBlock>> {
        let programmed = self.programmed.read().expect("lock");
        let normalised = self.training.read().expect("lock").normalised;
        let weight = match programmed.as_ref() {
            Some(_) => None,
            None => Some(self.tiled_weight()?),
        };
        let mut blocks = Vec::with_capacity(self.grid.tile_count());
        for (r, rows) in self.grid.row_chunks.iter().enumerate() {
            for (c, cols) in self.grid.col_chunks.iter().enumerate() {
                let t = self.tile_index(r, c);
                let (weights, scale) = match programmed.as_ref() {
                    Some(p) => (p.tiles[t].weights.clone(), p.tiles[t].out_scale.clone()),
                    None => {
                        let weight = weight.as_ref().expect("digital weights");
                        self.digital_block(weight, r, c, normalised)?
                    }
                };
                blocks.push(TileBlock {
                    rows: rows.clone(),
                    cols: cols.clone(),
                    weights,
                    out_scale: scale.flatten_all()?,
                    input_range: self.input_range.get(t)?.to_dtype(DType::F32)?.to_scalar()?,
                });
            }
        }
        Ok(blocks)
    }

    /// The stream that seeds each forward pass's noise (one draw per pass), as it is now.
    pub fn noise_state(&self) -> NoiseRng {
        self.rng.lock().expect("lock").clone()
    }

    /// Sets the stream that seeds each forward pass's noise.
    pub fn set_noise_state(&self, rng: NoiseRng) {
        *self.rng.lock().expect("lock") = rng;
    }

    /// Moves the noise stream on by `passes` forward passes (as if they had run).
    pub fn skip_noise(&self, passes: u64) {
        let mut rng = self.rng.lock().expect("lock");
        for _ in 0..passes {
            rng.next_u64();
        }
    }

    /// What the matrix was asked to compute (input vectors, input duty).
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// The periphery the tiles read through.
    pub fn periphery(&self) -> &Periphery {
        &self.periphery
    }

    /// Whether the matrix has been programmed.
    pub fn is_programmed(&self) -> bool {
        self.programmed.read().expect("lock").is_some()
    }

    /// Forgets the programmed state: inference uses the digital weights again.
    pub fn unprogram(&self) {
        *self.programmed.write().expect("lock") = None;
    }

    fn tile_index(&self, r: usize, c: usize) -> usize {
        r * self.grid.col_chunks.len() + c
    }

    /// The normalised block (r, c) of the current weights and its scales [1, m]: the output
    /// scales times, unless the weights are held normalised (HWA), the block's column maxima.
    fn digital_block(
        &self,
        weight: &Tensor,
        r: usize,
        c: usize,
        normalised: bool,
    ) -> Result<(Tensor, Tensor)> {
        let (rr, cr) = (&self.grid.row_chunks[r], &self.grid.col_chunks[c]);
        let block = weight
            .narrow(0, cr.start, cr.len())?
            .narrow(1, rr.start, rr.len())?;
        let out_scale = self.out_scale.narrow(0, cr.start, cr.len())?.unsqueeze(0)?;
        if normalised {
            return Ok((block, out_scale));
        }
        let abs_max = block.abs()?.max_keepdim(D::Minus1)?.detach();
        let gamma = match self.config.weight_scaling {
            WeightScaling::PerColumn => abs_max,
            WeightScaling::PerTile => abs_max
                .max_keepdim(0)?
                .broadcast_as(abs_max.shape())?
                .contiguous()?,
        };
        // A zero column keeps scale 1.
        let gamma = (gamma.eq(0.0)?.to_dtype(block.dtype())? + &gamma)?;
        let w_norm = block.broadcast_div(&gamma)?;
        Ok((w_norm, (gamma.t()? * out_scale)?))
    }

    /// y = x W^T on the tiles, x [B, in] -> [B, out]. `train` uses the current weights even
    /// after programming.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let columns = |start, len| x.narrow(D::Minus1, start, len);
        self.forward_columns_t(&columns, x.dim(0)?, train)
    }

    /// [`Self::forward_t`] of an input x [batch, in] given by its columns: `columns(start, len)`
    /// is x[:, start..start + len], asked for the input rows of each tile. A convolution unrolls
    /// each tile's rows on its own this way (`im2col_columns`), so that the gradient of its
    /// input is folded back per tile instead of through a full-width unrolled gradient.
    pub fn forward_columns_t(
        &self,
        columns: &dyn Fn(usize, usize) -> Result<Tensor>,
        batch: usize,
        train: bool,
    ) -> Result<Tensor> {
        let seed = self.rng.lock().expect("lock").next_u64();
        self.activity.count(batch);
        let recording = self.activity.recording();
        let training = self.training.read().expect("lock");
        let programmed = self.programmed.read().expect("lock");
        let programmed = if train { None } else { programmed.as_ref() };
        // An analog bias is the last input row, driven by 1.
        let inputs = self.weight.dim(1)?;
        let tile_input = |start: usize, len: usize| -> Result<Tensor> {
            if self.analog_bias.is_none() || start + len <= inputs {
                return columns(start, len);
            }
            let x = (start < inputs)
                .then(|| columns(start, inputs - start))
                .transpose()?;
            let (dtype, device) = match &x {
                Some(x) => (x.dtype(), x.device().clone()),
                None => (self.weight.dtype(), self.weight.device().clone()),
            };
            let ones = Tensor::ones((batch, 1), dtype, &device)?;
            match x {
                Some(x) => Tensor::cat(&[&x, &ones], 1),
                None => Ok(ones),
            }
        };
        let weight = match programmed {
            Some(_) => None,
            None => Some(self.tiled_weight()?),
        };
        // Each tile row's input once, shared by the tiles of that row.
        let row_inputs = (self.grid.row_chunks.iter())
            .map(|rr| tile_input(rr.start, rr.len()))
            .collect::<Result<Vec<_>>>()?;
        let mut outputs = Vec::with_capacity(self.grid.col_chunks.len());
        for c in 0..self.grid.col_chunks.len() {
            let mut acc: Option<Tensor> = None;
            for (r, xr) in row_inputs.iter().enumerate() {
                let t = self.tile_index(r, c);
                let tile_seed = NoiseRng::stream(seed, &[t as u64]).next_u64();
                let fused = !train
                    && self.periphery.has_fused_inference()
                    && xr.device().is_cpu()
                    && xr.dtype() == DType::F32;
                let mut calibrating = None;
                let (w, w_abs, scale) = match programmed {
                    Some(p) => {
                        let tile = &p.tiles[t];
                        (
                            tile.weights.clone(),
                            Some(&tile.weights_abs),
                            tile.out_scale.clone(),
                        )
                    }
                    None => {
                        let weight = weight.as_ref().expect("digital weights");
                        let (w, scale) = self.digital_block(weight, r, c, training.normalised)?;
                        // Input ranges are calibrated in training and in inference (before
                        // programming a model whose ranges were never learned).
                        calibrating = training.observe_inputs(t, xr)?;
                        if train {
                            (training.modify(&w, t)?, None, scale)
                        } else {
                            (w, None, scale)
                        }
                    }
                };
                let alpha_t = match calibrating {
                    Some(range) => Tensor::new(range as f32, xr.device())?
                        .to_dtype(self.input_range.dtype())?,
                    None => self.input_range.get(t)?,
                };
                if recording {
                    let duty = xr
                        .broadcast_div(&alpha_t.to_dtype(xr.dtype())?)?
                        .abs()?
                        .clamp(0.0, 1.0)?
                        .to_dtype(DType::F64)?
                        .sum_all()?
                        .to_scalar::<f64>()?;
                    self.activity.add_duty(duty, xr.elem_count() as u64);
                }
                let y = if fused {
                    let alpha = alpha_t.to_scalar::<f32>()?;
                    let w_abs = match w_abs {
                        Some(a) => a.clone(),
                        None => w.abs()?,
                    };
                    let scale = scale.flatten_all()?.to_vec1::<f32>()?;
                    self.periphery
                        .forward_inference(xr, &w, &w_abs, alpha, &scale, tile_seed)?
                } else {
                    self.periphery
                        .forward_scaled(xr, &w, &alpha_t, Some(&scale), tile_seed)?
                };
                acc = Some(match acc {
                    Some(a) => (a + y)?,
                    None => y,
                });
            }
            outputs.push(acc.expect("at least one input chunk"));
        }
        Tensor::cat(&outputs, D::Minus1)
    }

    /// Programs every tile with `device` (stream `[tile]` of `seed`), then reads it right after
    /// programming (t = 0) and records the drift-compensation reference.
    pub fn program(&self, device: &AnalogDevice, seed: u64) -> Result<()> {
        let w = self
            .effective_weight()?
            .to_dtype(DType::F32)?
            .to_vec2::<f32>()?;
        let (g_min, g_max) = (device.g_min_us() as f32, device.g_max_us() as f32);
        // Tiles in index order (t = r * columns + c), programmed in parallel: each draws from
        // its own stream, so the result does not depend on the thread count.
        let columns = self.grid.col_chunks.len();
        let tiles = (0..self.grid.row_chunks.len() * columns)
            .into_par_iter()
            .map(|t| {
                let (r, c) = (t / columns, t % columns);
                debug_assert_eq!(self.tile_index(r, c), t);
                let (rr, cr) = (&self.grid.row_chunks[r], &self.grid.col_chunks[c]);
                let (m, n) = (cr.len(), rr.len());
                let block: Vec<f32> = w[cr.clone()]
                    .iter()
                    .flat_map(|row| row[rr.clone()].iter().copied())
                    .collect();
                let gamma = output_scales(&block, m, n, self.config.weight_scaling);
                let w_norm: Vec<f32> = block
                    .chunks(n)
                    .zip(&gamma)
                    .flat_map(|(row, g)| row.iter().map(move |v| v / g))
                    .collect();
                let mut rng = NoiseRng::stream(seed, &[t as u64]);
                let targets = self.config.mapping.targets(&w_norm, g_min, g_max);
                let state = device.program(&targets, &mut rng);
                let dev = self.weight.device();
                Ok(ProgrammedTile {
                    state,
                    out_scale: Tensor::from_slice(&gamma, (1, m), dev)?,
                    gamma,
                    weights: Tensor::zeros((m, n), DType::F32, dev)?,
                    weights_abs: Tensor::zeros((m, n), DType::F32, dev)?,
                    gdc_reference: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        *self.programmed.write().expect("lock") = Some(Programmed {
            device: device.clone(),
            tiles,
        });
        self.read_tiles(0.0, seed, true)
    }

    /// The drift-compensation measurement of realised weights `w` [m, n] (physics.md section
    /// 4): one-hot inputs through the noisy tile, mean |y| (per column for the per-column
    /// variant); nothing without compensation.
    fn gdc_measure(
        &self,
        w: &[f32],
        (m, n): (usize, usize),
        seed: u64,
        t: usize,
    ) -> Result<Vec<f32>> {
        let compensation = &self.config.periphery.drift_compensation;
        if !compensation.is_on() {
            return Ok(Vec::new());
        }
        let rng_seed = NoiseRng::stream(seed, &[t as u64, 0x6dc]).next_u64();
        let mut y = self.periphery.one_hot_readout(w, m, n, rng_seed)?;
        for v in &mut y {
            *v = v.abs();
        }
        Ok(compensation.measure(&y, m))
    }

    /// Reads every programmed tile `t_s` seconds after programming (drift plus fresh 1/f read
    /// noise, stream `[tile]` of `seed`) and updates the drift compensation. The realised
    /// weights are then held fixed for inference until the next read.
    pub fn read_at(&self, t_s: f64, seed: u64) -> Result<()> {
        self.read_tiles(t_s, seed, false)
    }

    /// [`Self::read_at`]; with `reference` (the read right after programming) the
    /// drift-compensation measurement is recorded as the reference instead of applied.
    fn read_tiles(&self, t_s: f64, seed: u64, reference: bool) -> Result<()> {
        let mut guard = self.programmed.write().expect("lock");
        let Some(p) = guard.as_mut() else {
            candle_core::bail!("{}: read before programming", self.name);
        };
        if let Some(max) = p.device.max_time_s().filter(|&m| t_s > m) {
            candle_core::bail!(
                "{}: a read {t_s} s after programming, but the device is measured only up to \
                 {max} s (aimc does not extrapolate it)",
                self.name
            );
        }
        let (g_min, g_max) = (p.device.g_min_us() as f32, p.device.g_max_us() as f32);
        let device = &p.device;
        // In parallel over tiles, each from its own stream (thread-count independent), in
        // plain Rust: candle ops inside the loop would queue on candle's own thread pool.
        p.tiles
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(t, tile)| {
                let mut rng = NoiseRng::stream(seed, &[t as u64, 1]);
                let mut g = vec![0.0f32; tile.state.len()];
                device.read(&tile.state, t_s, &mut rng, &mut g);
                let shape = tile.weights.dims2()?;
                let w = self.config.mapping.weights(&g, g_min, g_max);
                if reference {
                    tile.gdc_reference = self.gdc_measure(&w, shape, seed, t)?;
                } else if !tile.gdc_reference.is_empty() {
                    let now = self.gdc_measure(&w, shape, seed, t)?;
                    let scale = compensated_scales(&tile.gamma, &tile.gdc_reference, &now);
                    tile.out_scale = Tensor::from_vec(scale, (1, shape.0), tile.weights.device())?;
                }
                let w_abs: Vec<f32> = w.iter().map(|v| v.abs()).collect();
                tile.weights = Tensor::from_vec(w, shape, tile.weights.device())?;
                tile.weights_abs = Tensor::from_vec(w_abs, shape, tile.weights.device())?;
                Ok(())
            })
    }

    /// The realised normalised weights and scales of tile (r, c), if programmed: (w~ [m, n], gamma [m]).
    pub fn realised_tile(&self, r: usize, c: usize) -> Result<Option<(Tensor, Tensor)>> {
        let guard = self.programmed.read().expect("lock");
        let Some(p) = guard.as_ref() else {
            return Ok(None);
        };
        let t = &p.tiles[self.tile_index(r, c)];
        let gamma = Tensor::from_slice(&t.gamma, t.gamma.len(), t.weights.device())?;
        Ok(Some((t.weights.clone(), gamma)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::pcm;

    /// Programming, reading and the forward pass of a matrix on 3 x 3 tiles give the same bytes
    /// on one thread and on three.
    #[test]
    fn tiles_give_the_same_bytes_on_any_thread_count() {
        let config = TileConfig::standard()
            .edit(|t| {
                t.rows = 16;
                t.cols = 8;
            })
            .unwrap();
        let mut v = vec![0f32; 20 * 40 + 64 * 40];
        NoiseRng::new(1).fill_normal(&mut v);
        let w = Tensor::from_slice(&v[..800], (20, 40), &candle_core::Device::Cpu).unwrap();
        let x = Tensor::from_slice(&v[800..], (64, 40), &candle_core::Device::Cpu).unwrap();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let m = TiledMatrix::new("m", w.clone(), &config, NoiseRng::new(0)).unwrap();
                assert_eq!(m.tile_count(), 9);
                m.program(&AnalogDevice::Statistical(pcm()), 7).unwrap();
                m.read_at(3600.0, 8).unwrap();
                let y = m.forward_t(&x, false).unwrap();
                y.flatten_all().unwrap().to_vec1::<f32>().unwrap()
            })
        };
        assert_eq!(run(1), run(3));
    }
}
