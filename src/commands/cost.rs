//! `aimc cost`: the energy, latency and area of one inference of a network on the tiles of a
//! hardware file (docs/cost.md). A built-in name, a `[model]` file or an ONNX file is costed at
//! the file's stated mean weight and input; a run directory (or checkpoint) from its programmed
//! weights and the inputs its test set drives the tiles with.

use crate::cost::{Hardware, LayerLoad, NetworkCost, network_cost, resolve_hardware};
use crate::data::dataset::Dataset;
use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::calibrate::calibrate_direct_mapping;
use crate::experiment::load::target_model;
use crate::experiment::run_dir::resolve;
use crate::experiment::{Experiment, Stage, load_task_data};
use crate::models::ModelConfig;
use crate::models::mvm_count::{MatrixCount, Sample, count_model, count_onnx};
use crate::nn::{matrices, program_all, read_all};
use crate::onnx::plan::GroupPolicy;
use crate::tile::{TileConfig, TileGeometry};
use candle_core::{DType, Device};
use serde::Serialize;
use std::path::Path;

/// What to cost, as the command line gives it.
#[derive(Debug, Clone)]
pub struct CostRequest {
    /// A built-in model, a TOML file with a `[model]` section, an ONNX file, or a run
    /// directory / checkpoint (programmed weights and real inputs).
    pub model: String,
    /// A shipped hardware file's name or a path.
    pub hardware: String,
    /// `ROWSxCOLS`; None: the hardware file's tile.
    pub tile: Option<String>,
    /// `HxW` (an image) or `N` (tokens); None: the model's default sample.
    pub input: Option<String>,
    /// Changes to the hardware's figures, e.g. ADC bits (sensitivity studies).
    pub adc_bits: Option<u32>,
    pub dac_bits: Option<u32>,
    /// Grouped convolutions of an ONNX file.
    pub groups: GroupPolicy,
}

/// Where the array's weights and inputs came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivitySource {
    /// `stated` (the hardware file's means) or `measured`.
    pub kind: String,
    /// In words, for a table's header.
    pub describe: String,
}

/// The answer of `aimc cost`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub model: String,
    /// What one inference is.
    pub inference: String,
    pub activity: ActivitySource,
    pub schedule: String,
    pub ops_counted: String,
    pub cost: NetworkCost,
}

/// The schedule the latency assumes.
pub const SCHEDULE: &str = "the tiles of a layer in parallel, its MVMs one after another; \
    layers one after another (latency) or pipelined over successive inferences (interval)";

/// How operations are counted.
pub const OPS_COUNTED: &str =
    "2 per weight per MVM (a multiply-accumulate counts 2), over the weights mapped";

/// Parses `--input`: `HxW` or a token count.
pub fn parse_sample(s: &str) -> Result<Sample> {
    let bad = || {
        Error::invalid_argument(
            "--input",
            "an image size HxW (e.g. 224x224) or a token count",
            s,
        )
    };
    if let Some((h, w)) = s.split_once(['x', 'X']) {
        let height: usize = h.trim().parse().map_err(|_| bad())?;
        let width: usize = w.trim().parse().map_err(|_| bad())?;
        if height == 0 || width == 0 {
            return Err(bad());
        }
        return Ok(Sample::Image { height, width });
    }
    match s.trim().parse::<usize>() {
        Ok(length) if length > 0 => Ok(Sample::Tokens { length }),
        _ => Err(bad()),
    }
}

/// The hardware of `req`: the file with its bits changed as asked.
pub fn hardware_of(req: &CostRequest) -> Result<Hardware> {
    let mut hw = resolve_hardware(&req.hardware)?;
    if let Some(b) = req.adc_bits {
        hw = hw.with_adc_bits(b)?;
    }
    if let Some(b) = req.dac_bits {
        hw = hw.with_dac_bits(b)?;
    }
    Ok(hw)
}

/// Costs `req`.
pub fn cost(req: &CostRequest) -> Result<CostReport> {
    let hw = hardware_of(req)?;
    let geometry = match &req.tile {
        Some(t) => TileGeometry::parse(t)?,
        None => TileGeometry::new(hw.rows, hw.cols)?,
    };
    let sample = req.input.as_deref().map(parse_sample).transpose()?;
    let path = Path::new(&req.model);
    let (loads, inference, activity) =
        if path.is_dir() || path.extension().is_some_and(|e| e == "safetensors") {
            if let Some(s) = sample {
                return Err(Error::invalid_argument(
                    "--input",
                    "no sample size for a run directory (its inference is one of its test items)",
                    s.describe(),
                ));
            }
            measured_loads(path, geometry)?
        } else {
            let (counts, used) = if req.model.ends_with(".onnx") {
                count_onnx(path, geometry, req.groups, sample)?
            } else {
                let config = ModelConfig::resolve(&req.model)?;
                let sample = match sample {
                    Some(s) => Some(s),
                    None => experiment_sample(&req.model)?,
                };
                count_model(&config, geometry, sample)?
            };
            let a = &hw.array;
            (
                stated_loads(&counts),
                used.describe(),
                ActivitySource {
                    kind: "stated".into(),
                    describe: format!(
                        "stated means of {}: |w|/w_max {}, input duty {}",
                        hw.name, a.mean_weight, a.mean_input
                    ),
                },
            )
        };
    Ok(CostReport {
        model: req.model.clone(),
        inference,
        activity,
        schedule: SCHEDULE.into(),
        ops_counted: OPS_COUNTED.into(),
        cost: network_cost(&hw, geometry, &loads),
    })
}

/// The cost of one inference of the trained network of `run` (a run directory or checkpoint)
/// on `hw` as `tile` uses it (`cost/on_tile.rs`), from its programmed weights and test inputs.
pub fn run_cost_on_tile(run: &Path, hw: &Hardware, tile: &TileConfig) -> Result<CostReport> {
    let (hw_t, geometry) = hw.clone().on_tile(tile)?;
    let (loads, inference, activity) = measured_loads(run, geometry)?;
    Ok(CostReport {
        model: run.display().to_string(),
        inference,
        activity,
        schedule: SCHEDULE.into(),
        ops_counted: OPS_COUNTED.into(),
        cost: network_cost(&hw_t, geometry, &loads),
    })
}

/// The loads of counted matrices at the hardware's stated means.
fn stated_loads(counts: &[MatrixCount]) -> Vec<LayerLoad> {
    counts
        .iter()
        .map(|c| LayerLoad {
            name: c.name.clone(),
            kind: c.kind.clone(),
            rows: c.rows,
            cols: c.cols,
            mvms: c.mvms as f64,
            weight_sums: None,
            duty: None,
        })
        .collect()
}

/// The sample of an experiment file's data set (`[data] dataset`), if it names an image set of
/// a known size.
fn experiment_sample(model: &str) -> Result<Option<Sample>> {
    if !model.ends_with(".toml") {
        return Ok(None);
    }
    let text = std::fs::read_to_string(model).map_err(|e| Error::io(model, e))?;
    let Some(toml::Value::Table(data)) = crate::toml_file::section_value(model, &text, "data")?
    else {
        return Ok(None);
    };
    let name = data.get("dataset").and_then(|v| v.as_str()).unwrap_or("");
    Ok(Dataset::from_name(name).and_then(image_sample))
}

/// One image of `dataset`, if its images have one size.
fn image_sample(dataset: Dataset) -> Option<Sample> {
    dataset
        .image_size()
        .map(|(height, width)| Sample::Image { height, width })
}

/// The cost of one inference of `exp`'s network on each of `tiles` (a sensitivity study's
/// configurations), with `hw`'s stated means: MVMs counted once, the hardware as each tile
/// uses it (`cost/on_tile.rs`). A sentence is `[data] max_len` tokens.
pub fn costs_on_tiles(
    hw: &Hardware,
    exp: &Experiment,
    tiles: &[TileConfig],
) -> Result<Vec<NetworkCost>> {
    let Some(first) = tiles.first() else {
        return Ok(Vec::new());
    };
    let data = &exp.config.data;
    let sample = match data.dataset {
        Dataset::Sentences(_) => Some(Sample::Tokens {
            length: data.max_len(),
        }),
        d => image_sample(d),
    };
    let (counts, _) = count_model(&exp.config.model, first.geometry(), sample)?;
    let loads = stated_loads(&counts);
    tiles
        .iter()
        .map(|t| {
            let (hw_t, geometry) = hw.clone().on_tile(t)?;
            Ok(network_cost(&hw_t, geometry, &loads))
        })
        .collect()
}

/// The loads of a trained network (run directory or checkpoint): programmed with its tile's
/// device at t = 1 s on tiles of `geometry`, its test set run through it; MVMs per inference
/// and input duty measured, |w| / w_max summed per tile from the programmed weights.
fn measured_loads(
    path: &Path,
    geometry: TileGeometry,
) -> Result<(Vec<LayerLoad>, String, ActivitySource)> {
    let target = resolve(path)?;
    let exp = &target.experiment;
    let dev = Device::Cpu;
    let tile = exp
        .config
        .tile
        .edit(|t| {
            t.rows = geometry.rows;
            t.cols = geometry.cols;
        })
        .map_err(|e| e.as_argument("--tile"))?;
    let data = load_task_data(exp)?;
    let (model, stage) = target_model(&target, false, &tile, &dev)?;
    if stage != Stage::Hwa.name() {
        let (fp_model, _) = target_model(&target, true, &TileConfig::digital(&tile), &dev)?;
        calibrate_direct_mapping(&fp_model, &model, &data, &dev)?;
    }
    let analog = resolve_device(&tile.device)?.device;
    program_all(&model, &analog, exp.config.experiment.seed)?;
    read_all(&model, 1.0, exp.config.experiment.seed)?;
    let mut loads = Vec::new();
    for m in matrices(&model) {
        m.activity().reset();
        m.activity().record(true);
        let sums = m
            .tile_blocks()?
            .iter()
            .map(|b| {
                b.weights
                    .abs()?
                    .to_dtype(DType::F64)?
                    .sum_all()?
                    .to_scalar::<f64>()
            })
            .collect::<candle_core::Result<Vec<f64>>>()?;
        let (rows, cols) = m.matrix_size();
        loads.push(LayerLoad {
            name: m.name().to_string(),
            kind: m.kind().to_string(),
            rows,
            cols,
            mvms: 0.0,
            weight_sums: Some(sums),
            duty: None,
        });
    }
    crate::experiment::evaluate::evaluate(&model, &data, &dev)?;
    let (_, items) = data.sizes();
    let items = items.max(1);
    for (load, m) in loads.iter_mut().zip(matrices(&model)) {
        m.activity().record(false);
        load.mvms = m.activity().vectors() as f64 / items as f64;
        load.duty = m.activity().mean_duty();
    }
    let item = match &data {
        crate::experiment::TaskData::Images(_) => "test image",
        crate::experiment::TaskData::Text(_) => "test token",
        crate::experiment::TaskData::Sentences(_) => "test sentence",
    };
    Ok((
        loads,
        format!("one {item}, the mean over {items}"),
        ActivitySource {
            kind: "measured".into(),
            describe: format!(
                "measured: {} programmed on `{}` (t = 1 s) and its {items} {item}s",
                target.name, tile.device
            ),
        },
    ))
}
