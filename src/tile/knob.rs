//! The knobs of a sensitivity study (physics.md section 6, paper Fig. 4/5): one non-ideality
//! raised at a time. They come from the periphery's stage list (each stage's knobs, in list
//! order), the device's (`device/knobs.rs`) and the tile size, and set their value through the
//! same checks as the files: [`TileConfig::new`] and the device's validating constructor.

use super::config::TileConfig;
use super::mapping::WeightMapping;
use super::periphery::{KnobInfo, PeripheryConfig, stage::whole_number};
use crate::device::knobs::{DEVICE_KNOBS, DeviceKnob};
use crate::device::{Device, StatisticalDevice};
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// What a knob changes.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A periphery stage (the one that offers the knob).
    Stage,
    /// A parameter of the statistical device.
    Device(&'static DeviceKnob),
    /// Tile rows and columns (square tiles): the tile-mapping study.
    TileSize,
    /// Pairs per weight (`mapping = { pairs = N }`, one pair: `"pair"`): noise averaging.
    Pairs,
}

/// A knob of `aimc sensitivity`.
#[derive(Debug, Clone, Copy)]
pub struct Knob {
    info: KnobInfo,
    target: Target,
}

impl PartialEq for Knob {
    fn eq(&self, other: &Self) -> bool {
        self.info.name == other.info.name
    }
}

impl Eq for Knob {}

const TILE_SIZE: KnobInfo = KnobInfo {
    name: "tile-size",
    help: "Tile rows and columns (square tiles)",
};

const PAIRS: KnobInfo = KnobInfo {
    name: "pairs-per-weight",
    help: "Differential pairs per weight, each programmed to it, averaged",
};

impl Knob {
    /// Every knob: the stages' in list order, the device's, the tile size, pairs per weight.
    pub fn all() -> &'static [Knob] {
        static ALL: OnceLock<Vec<Knob>> = OnceLock::new();
        ALL.get_or_init(|| {
            let periphery = PeripheryConfig::default();
            let stages = periphery.stages();
            let mut knobs: Vec<Knob> = stages
                .iter()
                .flat_map(|s| s.knobs())
                .map(|&info| Knob {
                    info,
                    target: Target::Stage,
                })
                .collect();
            knobs.extend(DEVICE_KNOBS.iter().map(|k| Knob {
                info: KnobInfo {
                    name: k.name,
                    help: k.help,
                },
                target: Target::Device(k),
            }));
            knobs.push(Knob {
                info: TILE_SIZE,
                target: Target::TileSize,
            });
            knobs.push(Knob {
                info: PAIRS,
                target: Target::Pairs,
            });
            knobs
        })
    }

    /// The knob called `name`.
    pub fn find(name: &str) -> Result<Knob> {
        Self::all()
            .iter()
            .copied()
            .find(|k| k.info.name == name)
            .ok_or_else(|| Error::Unknown {
                what: "knob",
                name: name.to_string(),
                known: Self::all()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The name as written on the command line.
    pub fn name(self) -> &'static str {
        self.info.name
    }

    /// Whether the knob changes the tile geometry (the tiles a network occupies).
    pub fn is_tile_size(self) -> bool {
        matches!(self.target, Target::TileSize)
    }

    /// `tile` and `device` with the knob set to `value`, checked as a file would be.
    pub fn apply(
        self,
        value: f64,
        tile: &TileConfig,
        device: &Device,
    ) -> Result<(TileConfig, Device)> {
        let argument = || format!("--values for {}", self.name());
        match self.target {
            Target::Stage => {
                let mut settings = tile.settings().clone();
                let mut stages = settings.periphery.stages_mut();
                let stage = stages
                    .iter_mut()
                    .find(|s| s.knobs().iter().any(|k| k.name == self.name()))
                    .ok_or_else(|| {
                        Error::invalid_argument("--knob", "a knob of a stage", self.name())
                    })?;
                stage
                    .set_knob(self.name(), value)
                    .map_err(|e| e.as_argument(argument()))?;
                drop(stages);
                let tile = TileConfig::new(settings).map_err(|e| e.as_argument(argument()))?;
                Ok((tile, device.clone()))
            }
            Target::TileSize => {
                let n = whole_number("rows", value).map_err(|e| e.as_argument(argument()))?;
                let tile = tile
                    .edit(|t| (t.rows, t.cols) = (n as usize, n as usize))
                    .map_err(|e| e.as_argument(argument()))?;
                Ok((tile, device.clone()))
            }
            Target::Pairs => {
                let n = whole_number("pairs", value).map_err(|e| e.as_argument(argument()))?;
                let tile = tile
                    .edit(|t| {
                        t.mapping = match n {
                            1 => WeightMapping::Pair,
                            n => WeightMapping::Pairs(n as usize),
                        }
                    })
                    .map_err(|e| e.as_argument(argument()))?;
                Ok((tile, device.clone()))
            }
            Target::Device(k) => {
                let Device::Statistical(d) = device else {
                    return Err(Error::invalid_argument(
                        argument(),
                        "a statistical device (the ideal one has no noise)",
                        value,
                    ));
                };
                let d: StatisticalDevice = d
                    .edit(|p| (k.set)(p, value))
                    .map_err(|e| e.as_argument(argument()))?;
                Ok((tile.clone(), Device::Statistical(d)))
            }
        }
    }
}

impl clap::ValueEnum for Knob {
    fn value_variants<'a>() -> &'a [Self] {
        Self::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.info.name).help(self.info.help))
    }
}

impl serde::Serialize for Knob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Knob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Knob::find(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::resolve_device;

    #[test]
    fn knobs_set_what_they_name_and_refuse_bad_values() {
        let pcm = resolve_device("pcm").unwrap().device;
        let tile = TileConfig::standard();
        let knob = |n: &str| Knob::find(n).unwrap();
        let (t, _) = knob("adc-bits").apply(6.0, &tile, &pcm).unwrap();
        assert_eq!(t.periphery.adc.bits, 6);
        let (t, _) = knob("tile-size").apply(256.0, &tile, &pcm).unwrap();
        assert_eq!((t.rows, t.cols), (256, 256));
        let (t, _) = knob("pairs-per-weight").apply(4.0, &tile, &pcm).unwrap();
        assert_eq!(t.mapping, WeightMapping::Pairs(4));
        let (t, _) = knob("pairs-per-weight").apply(1.0, &tile, &pcm).unwrap();
        assert_eq!(t.mapping, WeightMapping::Pair);
        let (_, d) = knob("drift-scale").apply(2.0, &tile, &pcm).unwrap();
        assert_eq!(d.as_statistical().unwrap().drift_scale, 2.0);
        let (_, d) = knob("stuck-reset").apply(0.1, &tile, &pcm).unwrap();
        assert_eq!(d.as_statistical().unwrap().stuck.p_reset, 0.1);
        for (k, v, expected) in [
            ("adc-bits", 6.5, "a whole number"),
            ("adc-bits", 25.0, "1 to 24 bits"),
            ("out-noise", -1.0, "a finite number >= 0"),
            ("stuck-gmax", 1.5, "a probability in [0, 1]"),
            ("tile-size", 0.0, "at least 1 row"),
            ("pairs-per-weight", 0.0, "at least 1 pair"),
        ] {
            let e = knob(k).apply(v, &tile, &pcm).unwrap_err().to_string();
            assert!(e.contains(k) && e.contains(expected), "{k} {v}: {e}");
        }
        let ideal = resolve_device("ideal").unwrap().device;
        let e = knob("drift-scale")
            .apply(2.0, &tile, &ideal)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("drift-scale") && e.contains("statistical"),
            "{e}"
        );
    }

    #[test]
    fn every_knob_is_listed_once_and_round_trips() {
        let names: Vec<&str> = Knob::all().iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "dac-bits",
                "adc-bits",
                "out-noise",
                "read-noise",
                "ir-drop-scale",
                "prog-noise-scale",
                "drift-scale",
                "stuck-reset",
                "stuck-gmax",
                "tile-size",
                "pairs-per-weight"
            ]
        );
        for k in Knob::all() {
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(serde_json::from_str::<Knob>(&json).unwrap(), *k);
        }
        assert!(Knob::find("volume").is_err());
    }
}
