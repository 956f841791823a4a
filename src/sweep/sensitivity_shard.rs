//! A sensitivity study split into shards (`aimc sensitivity --shard I/N`): the units of work
//! are (knob value, repeat) pairs; unit u = value index x repeats + repeat belongs to shard
//! (u mod N) + 1, so shards take about equal time. A shard writes, for every value it touched,
//! that value's sweep study (its FP reference and tile), its repeats and its energy, with the
//! study they belong to; merging checks the split and the study (`shard.rs`) and builds exactly
//! the result of the unsharded study.

use super::run::SweepPoint;
use super::sensitivity::{SensitivityResult, SensitivityRow};
use super::shard::{Shard, ShardFile, SweepStudy, UnitValues, assemble, difference};
use super::times::SweepTime;
use crate::error::{Error, Result};
use crate::tile::{Knob, TileConfig};
use serde::{Deserialize, Serialize};

/// What makes two shards parts of one sensitivity study: everything but the values measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityStudy {
    pub run: String,
    pub checkpoint: String,
    pub knob: Knob,
    pub values: Vec<f64>,
    pub device: String,
    /// The tile the knob is applied to.
    pub tile: TileConfig,
    pub time: SweepTime,
    pub reps: usize,
    pub seed: u64,
    /// The hardware file the energies are computed for (`--hardware`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<String>,
}

/// One knob value as a shard evaluated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueRun {
    /// The value's index in the study's values.
    pub index: usize,
    /// Tiles the network occupies with this value.
    pub tiles: usize,
    /// The sweep of this value (its FP reference, metric and tile).
    pub sweep: SweepStudy,
    /// The repeats of this value the shard evaluated.
    pub units: Vec<UnitValues>,
    /// Energy per inference on the study's hardware, J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
}

/// What a shard of a sensitivity study computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityShard {
    pub study: SensitivityStudy,
    pub shard: Shard,
    pub runs: Vec<ValueRun>,
}

impl ShardFile for SensitivityShard {
    const COMMAND: &'static str = "aimc sensitivity";
    fn shard(&self) -> Shard {
        self.shard
    }
    fn differs(&self, other: &Self) -> Option<String> {
        let (a, b) = (&self.study, &other.study);
        let differs =
            |name: &str, x: String, y: String| (x != y).then(|| format!("{name}: {x} against {y}"));
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        differs("checkpoint", a.checkpoint.clone(), b.checkpoint.clone())
            .or_else(|| differs("run", a.run.clone(), b.run.clone()))
            .or_else(|| differs("knob", a.knob.name().into(), b.knob.name().into()))
            .or_else(|| differs("values", list(&a.values), list(&b.values)))
            .or_else(|| differs("device", a.device.clone(), b.device.clone()))
            .or_else(|| differs("time", a.time.label.clone(), b.time.label.clone()))
            .or_else(|| differs("seed", a.seed.to_string(), b.seed.to_string()))
            .or_else(|| differs("repeats", a.reps.to_string(), b.reps.to_string()))
            .or_else(|| {
                let hw = |h: &Option<String>| h.clone().unwrap_or_else(|| "none".into());
                differs("hardware", hw(&a.hardware), hw(&b.hardware))
            })
            .or_else(|| (a.tile != b.tile).then(|| "tile: the [tile] settings differ".into()))
            .or_else(|| (a != b).then(|| "the study differs".into()))
    }
}

/// The unit of (value `index`, repeat `rep`) in a study of `reps` repeats per value.
pub fn unit(index: usize, rep: usize, reps: usize) -> usize {
    index * reps + rep
}

/// The result of a study from the runs of all its shards (any order; a value split over shards
/// appears once per shard).
pub fn assemble_sensitivity(
    study: &SensitivityStudy,
    runs: &[ValueRun],
) -> Result<SensitivityResult> {
    let mut rows = Vec::new();
    let mut last: Option<&SweepStudy> = None;
    for (index, &value) in study.values.iter().enumerate() {
        let parts: Vec<&ValueRun> = runs.iter().filter(|r| r.index == index).collect();
        let Some(first) = parts.first() else {
            return Err(Error::data(
                format!("value {value}"),
                "no shard evaluated it",
            ));
        };
        for p in &parts[1..] {
            if let Some(d) = difference(&first.sweep, &p.sweep)
                .or_else(|| (p.tiles != first.tiles).then(|| "tiles differ".into()))
                .or_else(|| (p.energy_j != first.energy_j).then(|| "energies differ".into()))
            {
                return Err(Error::data(
                    format!("value {value}"),
                    format!("its shards disagree: {d}"),
                ));
            }
        }
        let units: Vec<UnitValues> = parts.iter().flat_map(|p| p.units.clone()).collect();
        let sweep = assemble(&first.sweep, &units)?;
        let point: SweepPoint = sweep.points[0].clone();
        rows.push(SensitivityRow {
            value,
            tiles: first.tiles,
            point,
            energy_j: first.energy_j,
        });
        last = Some(&first.sweep);
    }
    let r =
        last.ok_or_else(|| Error::invalid_argument("--values", "at least one value", "none"))?;
    Ok(SensitivityResult {
        run: r.run.clone(),
        checkpoint: r.checkpoint.clone(),
        knob: study.knob,
        device: study.device.clone(),
        time_label: study.time.label.clone(),
        time_s: study.time.seconds,
        metric: r.metric,
        fp: r.fp,
        chance: r.chance,
        reps: study.reps,
        seed: study.seed,
        rows,
        hardware: study.hardware.clone(),
    })
}

#[cfg(test)]
mod tests {
    use crate::rng::NoiseRng;

    /// A merged report is built from numbers read back from shard files: they must be the
    /// numbers written (serde_json's `float_roundtrip`; without it this energy comes back one
    /// ulp off and the merged sensitivity.json differs from the unsharded one).
    #[test]
    fn numbers_read_back_from_a_shard_are_those_written() {
        let mut rng = NoiseRng::stream(7, &[]);
        let mut values = vec![1.4471473520000001e-6, 0.1 + 0.2, f64::MIN_POSITIVE];
        values.extend((0..10_000).map(|_| f64::from_bits(rng.next_u64() >> 2)));
        let text = serde_json::to_string(&values).unwrap();
        let back: Vec<f64> = serde_json::from_str(&text).unwrap();
        for (a, b) in values.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a:e} read back as {b:e}");
        }
    }
}
