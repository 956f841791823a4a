//! The periphery of a crossbar tile (physics.md sections 3 and 4), one file per stage: input
//! scaling, DAC, IR drop, read noise, output noise, ADC, where the bias goes, drift
//! compensation. Each stage file holds its configuration (its `[tile]` keys, defaults of the
//! paper's standard tile, a check of its values), its forward from tensor ops with the
//! straight-through backward, and its fused CPU kernel. The passes that chain them are
//! `forward.rs` (with gradients), `inference.rs` (fused, no gradients) and `one_hot.rs` (the
//! drift-compensation read-out), around the array's products (`array.rs`) and the read-out
//! kernel (`readout.rs`).
//!
//! [`PeripheryConfig`] below is the one list of stages. It makes the `[tile]` keys (in this
//! order), the rows of `aimc tile error` (each stage alone, all together) and the knobs of
//! `aimc sensitivity`. A new non-ideality is a new stage file, implementing [`Stage`], plus one
//! line in this list (and its call in the passes above, at its place in the signal chain):
//!
//! ```
//! use aimc::error::InvalidKey;
//! use aimc::tile::periphery::{KnobInfo, Stage};
//!
//! /// A made-up stage: a gain error of every output column (`output_gain = 0.01`).
//! #[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
//! #[serde(default)]
//! pub struct OutputGainConfig {
//!     #[serde(rename = "output_gain")]
//!     pub gain: f64,
//! }
//!
//! impl Stage for OutputGainConfig {
//!     fn name(&self) -> &'static str { "output_gain" }
//!     fn error_row(&self) -> Option<&'static str> { Some("output_gain") }
//!     fn is_exact(&self) -> bool { self.gain == 0.0 }
//!     fn switch_off(&mut self) { self.gain = 0.0 }
//!     fn validate(&self) -> Result<(), InvalidKey> {
//!         aimc::value_check::non_negative("output_gain", self.gain)?;
//!         Ok(())
//!     }
//!     fn knobs(&self) -> &'static [KnobInfo] {
//!         &[KnobInfo { name: "output-gain", help: "Gain error of the outputs" }]
//!     }
//!     fn set_knob(&mut self, _: &str, v: f64) -> Result<(), InvalidKey> {
//!         self.gain = v;
//!         Ok(())
//!     }
//! }
//!
//! // With `output_gain: OutputGainConfig,` added to the list, a `[tile]` section takes
//! // `output_gain = 0.01`, `aimc tile error` gets a row `output_gain`, `aimc sensitivity` a knob
//! // `output-gain`; the tests of `stage.rs` build such a list and check all three.
//! let mut stage = OutputGainConfig { gain: -1.0 };
//! assert_eq!(stage.validate().unwrap_err().key, "output_gain");
//! stage.set_knob("output-gain", 0.01)?;
//! assert!(stage.validate().is_ok() && !stage.is_exact());
//! # Ok::<(), InvalidKey>(())
//! ```

pub mod adc;
pub mod array;
pub mod bias;
pub mod dac;
pub mod drift_compensation;
pub mod forward;
pub mod inference;
pub mod input_scaling;
pub mod ir_drop;
pub mod one_hot;
pub mod output_noise;
pub mod read_noise;
pub mod readout;
pub mod stage;

pub use adc::{Adc, AdcConfig};
pub use bias::BiasConfig;
pub use dac::DacConfig;
pub use drift_compensation::{DriftCompensation, DriftCompensationConfig};
pub use input_scaling::{InputScaling, InputScalingConfig};
pub use ir_drop::IrDropConfig;
pub use output_noise::{NoiseStd, OutputNoiseConfig};
pub use read_noise::ReadNoiseConfig;
pub use stage::{KnobInfo, Stage};

use super::quantize::Quantizer;
use crate::error::Result;
use stage::periphery_stages;

periphery_stages! {
    /// The periphery's configuration: every stage, in the order of its keys in a `[tile]`
    /// section and of the rows of `aimc tile error`. The one list of stages.
    pub struct PeripheryConfig {
        dac: DacConfig,
        adc: AdcConfig,
        out_noise: OutputNoiseConfig,
        read_noise: ReadNoiseConfig,
        ir_drop: IrDropConfig,
        input_scaling: InputScalingConfig,
        bias: BiasConfig,
        drift_compensation: DriftCompensationConfig,
    }
}

/// The periphery of a validated configuration, as the passes use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Periphery {
    pub dac: Option<Quantizer>,
    pub adc: Adc,
    pub out_noise: f32,
    pub read_noise: f32,
    /// gamma_ir * ir_drop_scale, if IR drop is on.
    pub ir_drop: Option<f32>,
    pub input_scaling: InputScalingConfig,
}

impl Periphery {
    /// The periphery of configuration `c`.
    pub fn new(c: &PeripheryConfig) -> Result<Self> {
        Ok(Self {
            dac: c.dac.quantizer()?,
            adc: Adc::new(&c.adc)?,
            out_noise: c.out_noise.sigma as f32,
            read_noise: c.read_noise.sigma as f32,
            ir_drop: c.ir_drop.strength(),
            input_scaling: c.input_scaling,
        })
    }

    /// Whether no stage makes the result differ from the exact product.
    pub fn is_ideal(&self) -> bool {
        self.dac.is_none()
            && self.adc.quantizer.is_none()
            && self.out_noise == 0.0
            && self.read_noise == 0.0
            && self.ir_drop.is_none()
    }
}
