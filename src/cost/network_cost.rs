//! The cost of an inference of a network on tiles (docs/cost.md, equations C7 to C10): per analog
//! layer its tiles, MVMs, operations, energy by part and latency; in total the energy, the
//! latency (layers one after another, the tiles of a layer in parallel), the interval between
//! inferences when layers are pipelined, tiles, chip area, TOPS/W and TOPS/mm2 (an operation is
//! a multiplication or an addition: a multiply-accumulate counts 2).

use super::hardware::Hardware;
use super::tile_cost::Energy;
use crate::tile::{TileGeometry, TileGrid};
use serde::Serialize;

/// What an analog layer computes in one inference.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerLoad {
    pub name: String,
    pub kind: String,
    /// Matrix size: inputs (rows) x outputs (columns).
    pub rows: usize,
    pub cols: usize,
    /// Input vectors per inference (a convolution: one per output position; measured: the mean
    /// over the inputs).
    pub mvms: f64,
    /// sum |w| / w_max per tile of the grid (row-major) when the network's weights are known.
    pub weight_sums: Option<Vec<f64>>,
    /// Mean input duty when the network's inputs are known.
    pub duty: Option<f64>,
}

/// The cost of one layer per inference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerCost {
    pub name: String,
    pub kind: String,
    pub tiles: usize,
    pub mvms: f64,
    /// Operations per inference: 2 rows cols mvms.
    pub ops: f64,
    /// Energy per inference, J.
    pub energy: Energy,
    /// Time of the layer's MVMs one after another, s.
    pub latency: f64,
    /// Mean |w| / w_max and input duty the array energy used.
    pub mean_weight: f64,
    pub duty: f64,
}

/// The cost of one inference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkCost {
    pub hardware: String,
    pub tile_rows: usize,
    pub tile_cols: usize,
    pub dac_bits: u32,
    pub adc_bits: u32,
    pub layers: Vec<LayerCost>,
    /// Energy per inference by part, J.
    pub energy: Energy,
    pub energy_total: f64,
    /// Layers one after another, s.
    pub latency: f64,
    /// Layers pipelined over successive inferences: the slowest layer, s.
    pub pipelined_interval: f64,
    pub mvm_time: f64,
    pub tiles: usize,
    /// Chip area: every tile of the network, m².
    pub area: f64,
    pub ops: f64,
    pub tops_per_w: f64,
    /// Operations per second at the sequential latency, per mm² of chip.
    pub tops_per_mm2: f64,
}

/// (C7-C10) The cost of `loads` on tiles of `geometry` of hardware `hw`.
pub fn network_cost(hw: &Hardware, geometry: TileGeometry, loads: &[LayerLoad]) -> NetworkCost {
    let mvm_time = hw.mvm_time();
    let mut layers = Vec::with_capacity(loads.len());
    for l in loads {
        let grid = TileGrid::new(l.rows, l.cols, geometry);
        let duty = l.duty.unwrap_or(hw.array.mean_input);
        let mut per_mvm = Energy::default();
        let mut t = 0;
        let mut weight_total = 0.0;
        for rows in &grid.row_chunks {
            for cols in &grid.col_chunks {
                let (r, c) = (rows.len(), cols.len());
                let weight_sum = match &l.weight_sums {
                    Some(s) => s[t],
                    None => hw.array.mean_weight * (r * c) as f64,
                };
                weight_total += weight_sum;
                per_mvm = per_mvm.plus(&hw.tile_mvm_energy(r, c, weight_sum, duty));
                t += 1;
            }
        }
        // (C7) The layer's digital work per MVM beyond each tile's scaling: the partial sums of
        // the grid's rows added (grid rows - 1 per output), a bias and an activation per output.
        let (grid_rows, _) = grid.shape();
        let layer_ops = ((grid_rows.saturating_sub(1)) + 2) * l.cols;
        per_mvm.digital += layer_ops as f64 * hw.digital.energy_per_op;
        let n = l.mvms;
        layers.push(LayerCost {
            name: l.name.clone(),
            kind: l.kind.clone(),
            tiles: grid.tile_count(),
            mvms: l.mvms,
            ops: 2.0 * (l.rows * l.cols) as f64 * n,
            energy: per_mvm.times(n),
            latency: n * mvm_time,
            mean_weight: if l.rows * l.cols == 0 {
                0.0
            } else {
                weight_total / (l.rows * l.cols) as f64
            },
            duty,
        });
    }
    let energy = layers
        .iter()
        .fold(Energy::default(), |a, l| a.plus(&l.energy));
    let latency: f64 = layers.iter().map(|l| l.latency).sum();
    let pipelined_interval = layers.iter().map(|l| l.latency).fold(0.0, f64::max);
    let tiles: usize = layers.iter().map(|l| l.tiles).sum();
    let area = tiles as f64 * hw.tile_area(geometry.rows, geometry.cols);
    let ops: f64 = layers.iter().map(|l| l.ops).sum();
    let total = energy.total();
    NetworkCost {
        hardware: hw.name.clone(),
        tile_rows: geometry.rows,
        tile_cols: geometry.cols,
        dac_bits: hw.dac.bits,
        adc_bits: hw.adc.bits,
        layers,
        energy,
        energy_total: total,
        latency,
        pipelined_interval,
        mvm_time,
        tiles,
        area,
        ops,
        // (C8) operations per joule, in units of 10^12.
        tops_per_w: if total > 0.0 { ops / total / 1e12 } else { 0.0 },
        // (C9) operations per second per mm², in units of 10^12.
        tops_per_mm2: if latency > 0.0 && area > 0.0 {
            ops / latency / (area * 1e6) / 1e12
        } else {
            0.0
        },
    }
}
