//! The `[tile]` configuration: geometry, device, weight mapping and every periphery stage, each
//! switchable (physics.md sections 1, 3, 4). Named presets: `ideal` (exact floating point: the
//! digital baseline) and `standard` (the paper's tile). A TOML `[tile]` section may name a
//! `preset` and override any key.

use super::geometry::TileGeometry;
use super::quantize::Quantizer;
use crate::error::{Error, Result};
use crate::toml_file::key_line;
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

/// How the input range alpha of a tile is chosen (physics.md section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum InputScaling {
    /// One alpha per tile, fixed (learned in HWA training): `input_range`.
    Static,
    /// alpha = max_j |x_j| of each input vector (noise management).
    Dynamic,
    /// Dynamic, then doubled and redone for input vectors that saturate the ADC.
    Iterative,
}

/// Global drift compensation (physics.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum DriftCompensation {
    /// One factor per tile.
    Global,
    /// One factor per output column.
    #[value(alias = "column")]
    PerColumn,
    /// No compensation.
    None,
}

/// A resolved, validated tile configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileConfig {
    /// Inputs per tile.
    pub rows: usize,
    /// Outputs per tile.
    pub cols: usize,
    /// Device name (devices/NAME.toml or built-in) or path to a device file.
    pub device: String,
    pub weight_scaling: WeightScaling,
    /// DAC on the inputs (Eq. 5).
    pub dac: bool,
    pub dac_bits: u32,
    pub dac_bound: f64,
    /// ADC on the outputs (Eq. 5).
    pub adc: bool,
    pub adc_bits: u32,
    pub adc_bound: f64,
    /// S-shaped ADC nonlinearity strength k: z -> b tanh(k z / b) / tanh(k); 0 = linear.
    pub adc_s_shape: f64,
    /// Output noise sigma_out, in units of the normalised output (Eq. 14).
    pub out_noise: f64,
    /// Short-term read noise referred to the output: sigma_i = read_noise sqrt(sum_j |w_ij| x_j^2).
    pub read_noise: f64,
    /// IR drop (Eq. 15-18).
    pub ir_drop: bool,
    /// Scale factor of the IR-drop term.
    pub ir_drop_scale: f64,
    /// gamma_ir: wire resistance times g_max (0.35 Ohm * 5 µS).
    pub ir_drop_gamma: f64,
    pub input_scaling: InputScaling,
    /// Static input range alpha (initial value; learned in HWA training).
    pub input_range: f64,
    /// Most rounds of iterative bound management.
    pub bm_max_iterations: u32,
    /// Bias added digitally (true) or as an extra analog row driven by 1 (false).
    pub digital_bias: bool,
    pub drift_compensation: DriftCompensation,
}

/// The names of the built-in presets.
pub const TILE_PRESETS: [&str; 2] = ["ideal", "standard"];

impl TileConfig {
    /// The paper's tile: 512x512, PCM, 8-bit DAC (bound 1) and ADC (bound 10), output noise
    /// 0.04, read noise 0.0175, IR drop on, per-column scales, static input range, global GDC.
    pub fn standard() -> Self {
        Self {
            rows: 512,
            cols: 512,
            device: "pcm".into(),
            weight_scaling: WeightScaling::PerColumn,
            dac: true,
            dac_bits: 8,
            dac_bound: 1.0,
            adc: true,
            adc_bits: 8,
            adc_bound: 10.0,
            adc_s_shape: 0.0,
            out_noise: 0.04,
            read_noise: 0.0175,
            ir_drop: true,
            ir_drop_scale: 1.0,
            ir_drop_gamma: 0.35 * 5e-6,
            input_scaling: InputScaling::Static,
            input_range: 1.0,
            bm_max_iterations: 5,
            digital_bias: true,
            drift_compensation: DriftCompensation::Global,
        }
    }

    /// Exact floating point: ideal device, no DAC/ADC, no noise, no IR drop, no compensation.
    /// The digital baseline is this preset.
    pub fn ideal() -> Self {
        Self {
            device: "ideal".into(),
            dac: false,
            adc: false,
            out_noise: 0.0,
            read_noise: 0.0,
            ir_drop: false,
            drift_compensation: DriftCompensation::None,
            ..Self::standard()
        }
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
    /// an experiment file can be passed as is).
    pub fn from_toml(file: &str, text: &str) -> Result<Self> {
        let overrides: TileOverrides = crate::toml_file::parse_section(file, text, "tile")?
            .ok_or_else(|| Error::invalid_value(file, "tile", "a [tile] section", "nothing"))?;
        overrides.resolve(file, text)
    }

    /// Geometry of one tile.
    pub fn geometry(&self) -> Result<TileGeometry> {
        TileGeometry::new(self.rows, self.cols)
    }

    /// The DAC quantiser, if on.
    pub fn dac_quantizer(&self) -> Result<Option<Quantizer>> {
        self.dac
            .then(|| Quantizer::new(self.dac_bits, self.dac_bound))
            .transpose()
    }

    /// The ADC quantiser, if on.
    pub fn adc_quantizer(&self) -> Result<Option<Quantizer>> {
        self.adc
            .then(|| Quantizer::new(self.adc_bits, self.adc_bound))
            .transpose()
    }

    /// Checks every value; `file` names the source in messages.
    pub fn validate(&self, file: &str, text: &str) -> Result<()> {
        let err = |key: &str, expected: &str, found: String| {
            let key = format!("tile.{key}");
            let file = match key_line(text, &key) {
                Some(l) => format!("{file}:{l}"),
                None => file.to_string(),
            };
            Err(Error::invalid_value(file, key, expected, found))
        };
        if self.rows == 0 {
            return err("rows", "at least 1 row", "0".into());
        }
        if self.cols == 0 {
            return err("cols", "at least 1 column", "0".into());
        }
        for (key, bits) in [("dac_bits", self.dac_bits), ("adc_bits", self.adc_bits)] {
            if !(1..=24).contains(&bits) {
                return err(key, "1 to 24 bits", bits.to_string());
            }
        }
        for (key, v) in [
            ("dac_bound", self.dac_bound),
            ("adc_bound", self.adc_bound),
            ("input_range", self.input_range),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return err(key, "a finite number > 0", v.to_string());
            }
        }
        for (key, v) in [
            ("adc_s_shape", self.adc_s_shape),
            ("out_noise", self.out_noise),
            ("read_noise", self.read_noise),
            ("ir_drop_scale", self.ir_drop_scale),
            ("ir_drop_gamma", self.ir_drop_gamma),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return err(key, "a finite number >= 0", v.to_string());
            }
        }
        if self.bm_max_iterations == 0 {
            return err("bm_max_iterations", "at least 1 iteration", "0".into());
        }
        Ok(())
    }
}

/// `[tile]` as written: a preset and any keys overriding it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TileOverrides {
    preset: Option<String>,
    rows: Option<usize>,
    cols: Option<usize>,
    device: Option<String>,
    weight_scaling: Option<WeightScaling>,
    dac: Option<bool>,
    dac_bits: Option<u32>,
    dac_bound: Option<f64>,
    adc: Option<bool>,
    adc_bits: Option<u32>,
    adc_bound: Option<f64>,
    adc_s_shape: Option<f64>,
    out_noise: Option<f64>,
    read_noise: Option<f64>,
    ir_drop: Option<bool>,
    ir_drop_scale: Option<f64>,
    ir_drop_gamma: Option<f64>,
    input_scaling: Option<InputScaling>,
    input_range: Option<f64>,
    bm_max_iterations: Option<u32>,
    digital_bias: Option<bool>,
    drift_compensation: Option<DriftCompensation>,
}

impl TileOverrides {
    fn resolve(self, file: &str, text: &str) -> Result<TileConfig> {
        let preset = self.preset.as_deref().unwrap_or("standard");
        let mut c = TileConfig::preset(preset).map_err(|_| {
            Error::invalid_value(file, "tile.preset", "\"ideal\" or \"standard\"", preset)
        })?;
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { c.$f = v; } )* };
        }
        set!(
            rows,
            cols,
            device,
            weight_scaling,
            dac,
            dac_bits,
            dac_bound,
            adc,
            adc_bits,
            adc_bound,
            adc_s_shape,
            out_noise,
            read_noise,
            ir_drop,
            ir_drop_scale,
            ir_drop_gamma,
            input_scaling,
            input_range,
            bm_max_iterations,
            digital_bias,
            drift_compensation
        );
        c.validate(file, text)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_is_the_paper() {
        let s = TileConfig::standard();
        assert_eq!((s.rows, s.cols, s.dac_bits, s.adc_bits), (512, 512, 8, 8));
        assert_eq!(
            (s.dac_bound, s.adc_bound, s.out_noise, s.read_noise),
            (1.0, 10.0, 0.04, 0.0175)
        );
        assert!(s.ir_drop && s.dac && s.adc);
        assert_eq!(s.device, "pcm");
        assert_eq!(s.drift_compensation, DriftCompensation::Global);
        assert!((s.ir_drop_gamma - 1.75e-6).abs() < 1e-18);
    }

    #[test]
    fn toml_overrides_a_preset() {
        let text = "[tile]\npreset = \"ideal\"\nrows = 256\nadc = true\n[training]\nepochs = 3\n";
        let c = TileConfig::from_toml("t.toml", text).unwrap();
        assert_eq!(c.rows, 256);
        assert!(c.adc && !c.dac);
        assert_eq!(c.device, "ideal");
    }

    #[test]
    fn refuses_impossible_values() {
        let e = |t: &str| TileConfig::from_toml("t.toml", t).unwrap_err().to_string();
        assert!(
            e("[tile]\nrows = 0\n").contains("t.toml:2: key `tile.rows`: expected at least 1 row")
        );
        assert!(e("[tile]\nadc_bits = 0\n").contains("tile.adc_bits"));
        assert!(e("[tile]\nout_noise = -0.1\n").contains("tile.out_noise"));
        assert!(e("[tile]\nrowz = 3\n").contains("unknown field `rowz`"));
        assert!(e("[tile]\npreset = \"fancy\"\n").contains("tile.preset"));
        assert!(
            e("[tile]\ndrift_compensation = \"sometimes\"\n").contains("tile.drift_compensation")
        );
        assert!(e("[model]\n").contains("[tile] section"));
    }
}
