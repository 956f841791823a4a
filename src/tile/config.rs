//! The `[tile]` configuration (physics.md sections 1, 3, 4): geometry, device, weight mapping
//! and the periphery's stages, each switchable. Named presets: `ideal` (exact floating point:
//! the digital baseline) and `standard` (the paper's tile). A TOML `[tile]` section may name a
//! `preset` and override any key; each stage reads its own keys (`periphery/`).
//!
//! [`TileSettings`] is the plain data of a section; [`TileConfig`] is a checked one, the only
//! kind tiles accept: built by [`TileConfig::new`] (or [`TileConfig::edit`]), which runs every
//! stage's check, so that files, command-line flags and sensitivity knobs meet the same rules.

use super::geometry::TileGeometry;
use super::mapping::WeightMapping;
use super::periphery::PeripheryConfig;
use crate::error::{Error, InvalidKey, Result};
use crate::toml_file::{section_value, take_keys, unknown_key};
use serde::{Deserialize, Serialize};

/// How weights are normalised before mapping to conductances (physics.md section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum WeightScaling {
    /// gamma_i = max_j |w_ij| per output column (paper Eq. 21/22).
    PerColumn,
    /// One scale per tile, max |W| (aihwkit's default converter).
    PerTile,
}

/// The keys of a `[tile]` section besides the periphery's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ArrayKeys {
    rows: usize,
    cols: usize,
    device: String,
    weight_scaling: WeightScaling,
    mapping: WeightMapping,
}

/// Every key of a `[tile]` section, as plain data (unchecked; see [`TileConfig`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileSettings {
    /// Inputs per tile.
    pub rows: usize,
    /// Outputs per tile.
    pub cols: usize,
    /// Device name (devices/NAME.toml or built-in) or path to a device file.
    pub device: String,
    pub weight_scaling: WeightScaling,
    /// How a weight lies on devices (`mapping/`): `"pair"` (default), `"single_device"`,
    /// `{ pairs = N }` or `{ significance = [F0, F1, ...] }`. Written out only when not the
    /// default (files and reports of pair tiles are as before).
    #[serde(default, skip_serializing_if = "WeightMapping::is_pair")]
    pub mapping: WeightMapping,
    /// Every periphery stage (keys flattened, in list order).
    #[serde(flatten)]
    pub periphery: PeripheryConfig,
}

/// A checked tile configuration: read its settings through `Deref`, change them with
/// [`TileConfig::edit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TileSettings", into = "TileSettings")]
pub struct TileConfig(TileSettings);

impl std::ops::Deref for TileConfig {
    type Target = TileSettings;

    fn deref(&self) -> &TileSettings {
        &self.0
    }
}

impl TryFrom<TileSettings> for TileConfig {
    type Error = InvalidKey;

    fn try_from(s: TileSettings) -> Result<Self, InvalidKey> {
        Self::new(s)
    }
}

impl From<TileConfig> for TileSettings {
    fn from(c: TileConfig) -> Self {
        c.0
    }
}

/// The names of the built-in presets.
pub const TILE_PRESETS: [&str; 2] = ["ideal", "standard"];

impl TileConfig {
    /// Checks `settings`: at least one row and column, and every stage's values. The error
    /// names the key as written in a `[tile]` section.
    pub fn new(settings: TileSettings) -> Result<Self, InvalidKey> {
        if settings.rows == 0 {
            return Err(InvalidKey::new("rows", "at least 1 row", 0));
        }
        if settings.cols == 0 {
            return Err(InvalidKey::new("cols", "at least 1 column", 0));
        }
        for stage in settings.periphery.stages() {
            stage.validate()?;
        }
        settings.mapping.validate()?;
        Ok(Self(settings))
    }

    /// A copy with `change` applied to its settings, checked again.
    pub fn edit(&self, change: impl FnOnce(&mut TileSettings)) -> Result<Self, InvalidKey> {
        let mut s = self.0.clone();
        change(&mut s);
        Self::new(s)
    }

    /// The settings.
    pub fn settings(&self) -> &TileSettings {
        &self.0
    }

    /// The paper's tile: 512x512, PCM, 8-bit DAC (bound 1) and ADC (bound 10), output noise
    /// 0.04, read noise 0.0175, IR drop on, per-column scales, static input range, global GDC:
    /// every stage's default.
    pub fn standard() -> Self {
        Self(TileSettings {
            rows: 512,
            cols: 512,
            device: "pcm".into(),
            weight_scaling: WeightScaling::PerColumn,
            mapping: WeightMapping::Pair,
            periphery: PeripheryConfig::default(),
        })
    }

    /// Exact floating point: ideal device, every non-ideality switched off. The digital
    /// baseline is this preset.
    pub fn ideal() -> Self {
        let mut s = Self::standard().0;
        s.device = "ideal".into();
        for stage in s.periphery.stages_mut() {
            stage.switch_off();
        }
        Self(s)
    }

    /// The `ideal` preset on this tile's geometry and input range: the digital network with the
    /// same parameter shapes (the FP stage, the FP reference of a sweep).
    pub fn digital(&self) -> Self {
        let mut s = Self::ideal().0;
        s.rows = self.rows;
        s.cols = self.cols;
        s.periphery.input_scaling.range = self.periphery.input_scaling.range;
        Self(s)
    }

    /// The `ideal` preset on tiles of `geometry` (how a network lies on them).
    pub fn ideal_on(geometry: TileGeometry) -> Self {
        let mut s = Self::ideal().0;
        s.rows = geometry.rows;
        s.cols = geometry.cols;
        Self(s)
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "ideal" => Ok(Self::ideal()),
            "standard" => Ok(Self::standard()),
            _ => Err(Error::Unknown {
                what: "tile preset",
                name: name.to_string(),
                known: TILE_PRESETS.join(", "),
            }),
        }
    }

    /// A preset name or a path to a TOML file with a `[tile]` section.
    pub fn resolve(arg: &str) -> Result<Self> {
        if TILE_PRESETS.contains(&arg) {
            return Self::preset(arg);
        }
        let text = std::fs::read_to_string(arg).map_err(|e| Error::io(arg, e))?;
        Self::from_toml(arg, &text)
    }

    /// Parses the `[tile]` section of a TOML document (other top-level sections are ignored, so
    /// an experiment file can be passed as is): its `preset` (default `standard`), then every
    /// key given, each read by the part of the configuration that owns it.
    pub fn from_toml(file: &str, text: &str) -> Result<Self> {
        let value = section_value(file, text, "tile")?
            .ok_or_else(|| Error::invalid_value(file, "tile", "a [tile] section", "nothing"))?;
        let toml::Value::Table(mut table) = value else {
            return Err(Error::invalid_value(file, "tile", "a table", "a value"));
        };
        let expected = "\"ideal\" or \"standard\"";
        let base = match table.remove("preset") {
            None => Self::standard(),
            Some(toml::Value::String(p)) => Self::preset(&p)
                .map_err(|_| Error::invalid_value(file, "tile.preset", expected, p))?,
            Some(other) => return Err(Error::invalid_value(file, "tile.preset", expected, other)),
        };
        let known = Self::keys();
        let s = &base.0;
        let array = ArrayKeys {
            rows: s.rows,
            cols: s.cols,
            device: s.device.clone(),
            weight_scaling: s.weight_scaling,
            mapping: s.mapping.clone(),
        };
        let array = take_keys(&array, &mut table, file, text, "tile")?;
        let periphery = PeripheryConfig::take_keys(&s.periphery, &mut table, file, text, "tile")?;
        if !table.is_empty() {
            return Err(unknown_key(file, text, "tile", &table, &known));
        }
        Self::new(TileSettings {
            rows: array.rows,
            cols: array.cols,
            device: array.device,
            weight_scaling: array.weight_scaling,
            mapping: array.mapping,
            periphery,
        })
        .map_err(|e| e.in_file(file, text, "tile"))
    }

    /// Every key a `[tile]` section takes, in order (`preset` first).
    pub fn keys() -> Vec<String> {
        // The TOML text keeps the order of the fields (a table would sort them).
        let text = toml::to_string(&Self::standard().0).unwrap_or_default();
        let keys = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()));
        std::iter::once("preset".to_string())
            .chain(keys)
            .chain(std::iter::once("mapping".to_string()))
            .collect()
    }

    /// Geometry of one tile.
    pub fn geometry(&self) -> TileGeometry {
        TileGeometry {
            rows: self.rows,
            cols: self.cols,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::periphery::DriftCompensation;

    #[test]
    fn standard_is_the_paper() {
        let s = TileConfig::standard();
        let p = &s.periphery;
        assert_eq!((s.rows, s.cols, p.dac.bits, p.adc.bits), (512, 512, 8, 8));
        assert_eq!(
            (
                p.dac.bound,
                p.adc.bound,
                p.out_noise.sigma,
                p.read_noise.sigma
            ),
            (1.0, 10.0, 0.04, 0.0175)
        );
        assert!(p.ir_drop.on && p.dac.on && p.adc.on);
        assert_eq!(s.device, "pcm");
        assert_eq!(p.drift_compensation.mode, DriftCompensation::Global);
        assert!((p.ir_drop.gamma - 1.75e-6).abs() < 1e-18);
    }

    #[test]
    fn toml_overrides_a_preset() {
        let text = "[tile]\npreset = \"ideal\"\nrows = 256\nadc = true\n[training]\nepochs = 3\n";
        let c = TileConfig::from_toml("t.toml", text).unwrap();
        assert_eq!(c.rows, 256);
        assert!(c.periphery.adc.on && !c.periphery.dac.on);
        assert_eq!(c.device, "ideal");
    }

    /// Every key a `[tile]` section took before the stages had files of their own still reads
    /// into the same setting.
    #[test]
    fn every_key_users_write_still_reads() {
        let text = r#"[tile]
preset = "ideal"
rows = 256
cols = 128
device = "reram-like"
weight_scaling = "per_tile"
dac = true
dac_bits = 6
dac_bound = 2.0
adc = true
adc_bits = 10
adc_bound = 12.0
adc_s_shape = 1.5
out_noise = 0.05
read_noise = 0.01
ir_drop = true
ir_drop_scale = 2.0
ir_drop_gamma = 3e-6
input_scaling = "iterative"
input_range = 2.5
bm_max_iterations = 3
digital_bias = false
drift_compensation = "per_column"
"#;
        let c = TileConfig::from_toml("t.toml", text).unwrap();
        let p = &c.periphery;
        assert_eq!(
            (c.rows, c.cols, c.device.as_str()),
            (256, 128, "reram-like")
        );
        assert_eq!(c.weight_scaling, WeightScaling::PerTile);
        assert_eq!((p.dac.on, p.dac.bits, p.dac.bound), (true, 6, 2.0));
        assert_eq!(
            (p.adc.on, p.adc.bits, p.adc.bound, p.adc.s_shape),
            (true, 10, 12.0, 1.5)
        );
        assert_eq!((p.out_noise.sigma, p.read_noise.sigma), (0.05, 0.01));
        assert_eq!(
            (p.ir_drop.on, p.ir_drop.scale, p.ir_drop.gamma),
            (true, 2.0, 3e-6)
        );
        let s = &p.input_scaling;
        assert_eq!(
            (s.mode, s.range, s.max_iterations),
            (crate::tile::InputScaling::Iterative, 2.5, 3)
        );
        assert!(!p.bias.digital);
        assert_eq!(p.drift_compensation.mode, DriftCompensation::PerColumn);
        // Written back (as beside a checkpoint), the section reads to the same configuration.
        let written = format!("[tile]\n{}", toml::to_string(&c).unwrap());
        assert_eq!(TileConfig::from_toml("w.toml", &written).unwrap(), c);
    }

    #[test]
    fn keys_are_those_of_the_files() {
        let keys = TileConfig::keys();
        let expected = [
            "preset",
            "rows",
            "cols",
            "device",
            "weight_scaling",
            "dac",
            "dac_bits",
            "dac_bound",
            "adc",
            "adc_bits",
            "adc_bound",
            "adc_s_shape",
            "out_noise",
            "read_noise",
            "ir_drop",
            "ir_drop_scale",
            "ir_drop_gamma",
            "input_scaling",
            "input_range",
            "bm_max_iterations",
            "digital_bias",
            "drift_compensation",
            "mapping",
        ];
        assert_eq!(keys, expected);
    }

    #[test]
    fn refuses_impossible_values() {
        let e = |t: &str| TileConfig::from_toml("t.toml", t).unwrap_err().to_string();
        assert!(
            e("[tile]\nrows = 0\n").contains("t.toml:2: key `tile.rows`: expected at least 1 row")
        );
        assert!(e("[tile]\nadc_bits = 0\n").contains("t.toml:2: key `tile.adc_bits`"));
        assert!(e("[tile]\nout_noise = -0.1\n").contains("tile.out_noise"));
        assert!(e("[tile]\nrowz = 3\n").contains("t.toml:2: key `tile`: unknown field `rowz`"));
        assert!(e("[tile]\nadc_bits = \"x\"\n").contains("t.toml:2: key `tile.adc_bits`"));
        assert!(e("[tile]\npreset = \"fancy\"\n").contains("tile.preset"));
        assert!(
            e("[tile]\ndrift_compensation = \"sometimes\"\n").contains("tile.drift_compensation")
        );
        assert!(e("[model]\n").contains("[tile] section"));
    }

    #[test]
    fn edits_are_checked_and_serialisation_round_trips() {
        let s = TileConfig::standard();
        assert_eq!(
            s.edit(|t| t.periphery.adc.bits = 30).unwrap_err().key,
            "adc_bits"
        );
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.starts_with("{\"rows\":512,\"cols\":512,\"device\":\"pcm\""));
        assert_eq!(serde_json::from_str::<TileConfig>(&json).unwrap(), s);
        let bad = json.replace("\"rows\":512", "\"rows\":0");
        assert!(serde_json::from_str::<TileConfig>(&bad).is_err());
        let digital = s.edit(|t| t.rows = 128).unwrap().digital();
        assert_eq!((digital.rows, digital.device.as_str()), (128, "ideal"));
        assert!(digital.periphery.stages().iter().all(|st| st.is_exact()));
    }
}
