//! A sweep split into shards (`aimc sweep --shard I/N`): the units of work are (device, repeat)
//! pairs, each evaluated at every time; unit u (in device, repeat order) belongs to shard
//! (u mod N) + 1, so shards take about equal time. A shard writes its units' values with the
//! study it belongs to (`shard-I-of-N.json`); merging checks that every shard of 1..N is there
//! once and of the same study, then builds exactly the result of the unsharded sweep.

use super::run::{SweepPoint, SweepResult};
use super::stats::{ISO_ACCURACY, summarize};
use super::times::SweepTime;
use crate::error::{Error, Result};
use crate::experiment::Metric;
use crate::tile::TileConfig;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The I-th of N parts of a sweep (1 <= I <= N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole sweep: one shard.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::invalid_argument("--shard", "I/N with 1 <= I <= N, e.g. 2/3", s);
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether unit `u` (device-major, repeat-minor) is this shard's.
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count + 1 == self.index
    }

    /// The file a shard writes into the report directory.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// What makes two shards parts of one sweep: everything the result holds but the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepStudy {
    pub run: String,
    pub checkpoint: String,
    pub stage: String,
    pub metric: Metric,
    pub fp: f64,
    pub chance: f64,
    pub reps: usize,
    pub seed: u64,
    pub tile: TileConfig,
    pub devices: Vec<String>,
    pub times: Vec<SweepTime>,
}

/// The values of one (device, repeat) at every time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitValues {
    pub device: String,
    pub rep: usize,
    pub values: Vec<f64>,
}

/// What a shard computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepShard {
    pub study: SweepStudy,
    pub shard: Shard,
    pub units: Vec<UnitValues>,
}

/// The result of a study from the values of all its units (any order).
pub fn assemble(study: &SweepStudy, units: &[UnitValues]) -> Result<SweepResult> {
    let mut points = Vec::new();
    for device in &study.devices {
        let mut reps: Vec<&UnitValues> = units.iter().filter(|u| &u.device == device).collect();
        reps.sort_by_key(|u| u.rep);
        let found: Vec<usize> = reps.iter().map(|u| u.rep).collect();
        if found != (0..study.reps).collect::<Vec<_>>() {
            return Err(Error::data(
                format!("device `{device}`"),
                format!("repeats {found:?} of {} (each once expected)", study.reps),
            ));
        }
        for (k, t) in study.times.iter().enumerate() {
            let v: Vec<f64> = reps.iter().map(|u| u.values[k]).collect();
            let s = summarize(&v);
            let a_star = study.metric.a_star(s.mean, study.fp, study.chance);
            points.push(SweepPoint {
                device: device.clone(),
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
    Ok(SweepResult {
        run: study.run.clone(),
        checkpoint: study.checkpoint.clone(),
        stage: study.stage.clone(),
        metric: study.metric,
        fp: study.fp,
        chance: study.chance,
        reps: study.reps,
        seed: study.seed,
        tile: study.tile.clone(),
        points,
    })
}

/// Reads a shard file of `command` (e.g. `aimc sweep`).
pub fn read_json<S: DeserializeOwned>(path: &Path, command: &str) -> Result<S> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::data(
            path.display(),
            format!("not a shard of `{command} --shard` ({e})"),
        )
    })
}

/// Reads a shard file of `aimc sweep`.
pub fn read_shard(path: &Path) -> Result<SweepShard> {
    read_json(path, "aimc sweep")
}

/// The first field in which `b` differs from `a`, in words.
pub(crate) fn difference(a: &SweepStudy, b: &SweepStudy) -> Option<String> {
    let differs =
        |name: &str, x: String, y: String| (x != y).then(|| format!("{name}: {x} against {y}"));
    differs("checkpoint", a.checkpoint.clone(), b.checkpoint.clone())
        .or_else(|| differs("run", a.run.clone(), b.run.clone()))
        .or_else(|| differs("seed", a.seed.to_string(), b.seed.to_string()))
        .or_else(|| differs("repeats", a.reps.to_string(), b.reps.to_string()))
        .or_else(|| {
            let labels = |s: &SweepStudy| {
                s.times
                    .iter()
                    .map(|t| t.label.clone())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            differs("times", labels(a), labels(b))
        })
        .or_else(|| differs("devices", a.devices.join(","), b.devices.join(",")))
        .or_else(|| (a.tile != b.tile).then(|| "tile: the [tile] settings differ".to_string()))
        .or_else(|| (a != b).then(|| "the FP reference or the metric differs".to_string()))
}

/// The shard files in `dir` (`shard-*.json`), sorted.
pub fn shard_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::data(
            dir.display(),
            "no shard files (shard-I-of-N.json, written by `aimc sweep --shard I/N --out DIR` \
             or `aimc sensitivity --shard I/N --out DIR`)",
        ));
    }
    Ok(paths)
}

/// How a kind of shard file names its part and compares its study.
pub trait ShardFile: DeserializeOwned {
    /// The command that writes it (for messages).
    const COMMAND: &'static str;
    fn shard(&self) -> Shard;
    /// The first way `other`'s study differs from this one's, in words.
    fn differs(&self, other: &Self) -> Option<String>;
}

impl ShardFile for SweepShard {
    const COMMAND: &'static str = "aimc sweep";
    fn shard(&self) -> Shard {
        self.shard
    }
    fn differs(&self, other: &Self) -> Option<String> {
        difference(&self.study, &other.study)
    }
}

/// Reads the shards at `paths` (in `dir`), each checked against the first: one split, one
/// study, every part of 1..N once.
pub fn read_split<S: ShardFile>(dir: &Path, paths: &[PathBuf]) -> Result<Vec<S>> {
    let first: S = read_json(&paths[0], S::COMMAND)?;
    let n = first.shard().count;
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n];
    let mut shards = Vec::new();
    for p in paths {
        let s: S = read_json(p, S::COMMAND)?;
        if s.shard().count != n {
            return Err(Error::data(
                p.display(),
                format!(
                    "a shard of {} parts, but {} is one of {n}: one study, one split",
                    s.shard().count,
                    paths[0].display()
                ),
            ));
        }
        if let Some(d) = first.differs(&s) {
            return Err(Error::data(
                p.display(),
                format!("not the study of {}: {d}", paths[0].display()),
            ));
        }
        let slot = &mut seen[s.shard().index - 1];
        if let Some(other) = slot {
            return Err(Error::data(
                p.display(),
                format!(
                    "shard {}/{n} twice (also {})",
                    s.shard().index,
                    other.display()
                ),
            ));
        }
        *slot = Some(p);
        shards.push(s);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{n}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(Error::data(
            dir.display(),
            format!("missing shard(s) {}", missing.join(", ")),
        ));
    }
    Ok(shards)
}

/// Merges the shards of one sweep at `paths` in `dir` ([`shard_paths`]): all of 1..N once, of
/// one study.
pub fn merge_shards(dir: &Path, paths: &[PathBuf]) -> Result<SweepResult> {
    let shards: Vec<SweepShard> = read_split(dir, paths)?;
    let units: Vec<UnitValues> = shards.iter().flat_map(|s| s.units.clone()).collect();
    assemble(&shards[0].study, &units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_units_round_robin() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(
                Shard::parse(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("--shard"),
                "{bad}"
            );
        }
        let owners: Vec<usize> = (0..7)
            .map(|u| {
                (1..=3)
                    .find(|&i| Shard { index: i, count: 3 }.owns(u))
                    .unwrap()
            })
            .collect();
        assert_eq!(owners, [1, 2, 3, 1, 2, 3, 1]);
        assert!((0..5).all(|u| Shard::WHOLE.owns(u)));
    }
}
