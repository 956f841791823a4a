//! Hardware files: the per-component figures of the cost model (docs/cost.md), one TOML file per
//! chip, read with errors naming file:line, the key and what was expected. Quantities carry
//! their units (`"25 fJ"`, `"1 ns"`, `"200 um2"`; `quantity.rs`). Shipped files live in
//! `hardware/` and are built into the binary.

use super::quantity::Dimension;
use crate::error::{Error, InvalidKey, Result};
use crate::toml_file::parse_toml;
use serde::Deserialize;
use std::path::Path;

/// The hardware files built into the binary: (name, contents).
pub const BUILTIN_HARDWARE: [(&str, &str); 1] =
    [("hermes", include_str!("../../hardware/hermes.toml"))];

/// How the ADCs convert the column currents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// The ADC counts during the integration window (a current-controlled oscillator or an
    /// integrating counter): 2^bits cycles, overlapping the input pulses.
    Counting,
    /// Successive approximation after the integration (sample and hold): bits + 1 cycles
    /// (NeuroSim's `SarADC` latency, Peng et al., IEDM 2019).
    Sar,
}

/// The file as written (quantities as text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HardwareFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
    tile: TileSection,
    array: ArraySection,
    dac: DacSection,
    adc: AdcSection,
    digital: DigitalSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TileSection {
    rows: usize,
    cols: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArraySection {
    devices_per_weight: usize,
    cell_area: String,
    read_voltage: String,
    full_weight_conductance: String,
    idle_conductance: String,
    mean_weight: f64,
    mean_input: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DacSection {
    bits: u32,
    lsb_time: String,
    energy_per_step: String,
    area: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdcSection {
    bits: u32,
    conversion: Conversion,
    energy_per_step: String,
    cycle: String,
    columns_per_adc: usize,
    area: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DigitalSection {
    clock: String,
    energy_per_op: String,
    cycles_per_mvm: u32,
    tile_area: String,
}

/// A chip's figures in SI units (J, s, m², V, S).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hardware {
    pub name: String,
    pub description: String,
    pub source: String,
    /// Rows (inputs) and columns (outputs) of a tile.
    pub rows: usize,
    pub cols: usize,
    pub array: ArrayFigures,
    pub dac: DacFigures,
    pub adc: AdcFigures,
    pub digital: DigitalFigures,
}

/// The crossbar: cells, read voltage and conductances.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArrayFigures {
    pub devices_per_weight: usize,
    /// Area of one weight's cell (all its devices), m².
    pub cell_area: f64,
    /// Read voltage across a conducting device, V.
    pub read_voltage: f64,
    /// Conductance of a weight at |w| = w_max, summed over its devices, S.
    pub full_weight_conductance: f64,
    /// Conductance of a weight at w = 0, summed over its devices (devices at g_min), S.
    pub idle_conductance: f64,
    /// Mean |w| / w_max of the weights when no network's weights are given.
    pub mean_weight: f64,
    /// Mean input pulse duty |x| / alpha when no inputs are given.
    pub mean_input: f64,
}

/// The inputs as pulse widths: sign and bits - 1 bits of magnitude.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DacFigures {
    pub bits: u32,
    /// Pulse width of one LSB, s.
    pub lsb_time: f64,
    /// Energy of a conversion is energy_per_step * 2^bits, J.
    pub energy_per_step: f64,
    /// Area of one row's DAC and driver, m².
    pub area: f64,
}

/// The column read-out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdcFigures {
    pub bits: u32,
    pub conversion: Conversion,
    /// Energy of a conversion is energy_per_step * 2^bits (Walden's figure of merit), J.
    pub energy_per_step: f64,
    /// One counting step (counting) or one SAR cycle, s.
    pub cycle: f64,
    /// Columns sharing one ADC through a multiplexer.
    pub columns_per_adc: usize,
    /// Area of one ADC, m².
    pub area: f64,
}

/// The digital periphery of a tile: scaling, bias, accumulation of split layers, activations.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DigitalFigures {
    /// Clock period, s.
    pub cycle: f64,
    /// Energy of one digital operation, J.
    pub energy_per_op: f64,
    /// Cycles after the read-out before a tile's outputs are ready.
    pub cycles_per_mvm: u32,
    /// Area of a tile's digital unit, buffers and control, m².
    pub tile_area: f64,
}

/// `text` of `key` as a quantity of `dim` at least `min` (SI units).
fn quantity(key: &str, text: &str, dim: Dimension, min: f64) -> Result<f64, InvalidKey> {
    match dim.parse(text) {
        Some(v) if v >= min => Ok(v),
        Some(_) => Err(InvalidKey::new(
            key,
            if min > 0.0 {
                format!("a positive {}", dim.expected())
            } else {
                format!("a non-negative {}", dim.expected())
            },
            format!("\"{text}\""),
        )),
        None => Err(InvalidKey::new(key, dim.expected(), format!("\"{text}\""))),
    }
}

fn bits(key: &str, v: u32) -> Result<u32, InvalidKey> {
    if (1..=16).contains(&v) {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "bits from 1 to 16", v))
    }
}

fn fraction(key: &str, v: f64) -> Result<f64, InvalidKey> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "a fraction from 0 to 1", v))
    }
}

fn at_least_one(key: &str, v: usize) -> Result<usize, InvalidKey> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "at least 1", v))
    }
}

impl HardwareFile {
    fn check(self) -> Result<Hardware, InvalidKey> {
        use Dimension::*;
        let (a, d, c, g) = (&self.array, &self.dac, &self.adc, &self.digital);
        let clock = quantity("digital.clock", &g.clock, Frequency, f64::MIN_POSITIVE)?;
        let hw = Hardware {
            name: self.name.clone(),
            description: self.description.clone(),
            source: self.source.clone(),
            rows: at_least_one("tile.rows", self.tile.rows)?,
            cols: at_least_one("tile.cols", self.tile.cols)?,
            array: ArrayFigures {
                devices_per_weight: at_least_one("array.devices_per_weight", a.devices_per_weight)?,
                cell_area: quantity("array.cell_area", &a.cell_area, Area, f64::MIN_POSITIVE)?,
                read_voltage: quantity("array.read_voltage", &a.read_voltage, Voltage, 0.0)?,
                full_weight_conductance: quantity(
                    "array.full_weight_conductance",
                    &a.full_weight_conductance,
                    Conductance,
                    0.0,
                )?,
                idle_conductance: quantity(
                    "array.idle_conductance",
                    &a.idle_conductance,
                    Conductance,
                    0.0,
                )?,
                mean_weight: fraction("array.mean_weight", a.mean_weight)?,
                mean_input: fraction("array.mean_input", a.mean_input)?,
            },
            dac: DacFigures {
                bits: bits("dac.bits", d.bits)?,
                lsb_time: quantity("dac.lsb_time", &d.lsb_time, Time, f64::MIN_POSITIVE)?,
                energy_per_step: quantity("dac.energy_per_step", &d.energy_per_step, Energy, 0.0)?,
                area: quantity("dac.area", &d.area, Area, 0.0)?,
            },
            adc: AdcFigures {
                bits: bits("adc.bits", c.bits)?,
                conversion: c.conversion,
                energy_per_step: quantity("adc.energy_per_step", &c.energy_per_step, Energy, 0.0)?,
                cycle: quantity("adc.cycle", &c.cycle, Time, f64::MIN_POSITIVE)?,
                columns_per_adc: at_least_one("adc.columns_per_adc", c.columns_per_adc)?,
                area: quantity("adc.area", &c.area, Area, 0.0)?,
            },
            digital: DigitalFigures {
                cycle: 1.0 / clock,
                energy_per_op: quantity("digital.energy_per_op", &g.energy_per_op, Energy, 0.0)?,
                cycles_per_mvm: g.cycles_per_mvm,
                tile_area: quantity("digital.tile_area", &g.tile_area, Area, 0.0)?,
            },
        };
        if hw.dac.bits < 2 {
            return Err(InvalidKey::new(
                "dac.bits",
                "at least 2 (a sign and one bit of magnitude)",
                hw.dac.bits,
            ));
        }
        if hw.adc.columns_per_adc > hw.cols {
            return Err(InvalidKey::new(
                "adc.columns_per_adc",
                format!("at most the tile's {} columns", hw.cols),
                hw.adc.columns_per_adc,
            ));
        }
        Ok(hw)
    }
}

impl Hardware {
    /// The same hardware with `bits` ADC bits (the conversion energy and time follow their
    /// laws; the ADC's area is kept).
    pub fn with_adc_bits(mut self, b: u32) -> Result<Self> {
        self.adc.bits = bits("adc.bits", b).map_err(|e| e.as_argument("ADC bits"))?;
        Ok(self)
    }

    /// The same hardware with `bits` DAC bits (a sign and bits - 1 bits of pulse width).
    pub fn with_dac_bits(mut self, b: u32) -> Result<Self> {
        if !(2..=16).contains(&b) {
            return Err(Error::invalid_argument("DAC bits", "bits from 2 to 16", b));
        }
        self.dac.bits = b;
        Ok(self)
    }
}

/// Reads the hardware file `file` (contents `text`).
pub fn parse_hardware(file: &str, text: &str) -> Result<Hardware> {
    let raw: HardwareFile = parse_toml(file, text)?;
    raw.check().map_err(|e| e.in_file(file, text, ""))
}

/// A shipped hardware file by name (`hermes`) or a path to a `.toml` file.
pub fn resolve_hardware(arg: &str) -> Result<Hardware> {
    if arg.ends_with(".toml") || arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR) {
        let text = std::fs::read_to_string(arg).map_err(|e| Error::io(Path::new(arg), e))?;
        return parse_hardware(arg, &text);
    }
    match BUILTIN_HARDWARE.iter().find(|(n, _)| *n == arg) {
        Some((name, text)) => parse_hardware(&format!("<built-in hardware/{name}.toml>"), text),
        None => Err(Error::Unknown {
            what: "hardware",
            name: arg.to_string(),
            known: BUILTIN_HARDWARE
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
