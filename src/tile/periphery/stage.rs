//! What every periphery stage is (physics.md section 3): a configuration whose keys sit in the
//! `[tile]` section (serde, defaults of the paper's standard tile), a check of its values, the
//! switch that turns it off (as the `ideal` preset has it), the row of `aimc tile error` that
//! measures it alone, and the sensitivity knobs it offers.
//!
//! The list of stages (`periphery_stages!`, invoked in `mod.rs`) is the one place that names
//! them: it makes the configuration (its keys in list order, read from TOML stage by stage), the
//! rows of `aimc tile error` and the knobs of `aimc sensitivity`.

use crate::error::InvalidKey;
pub use crate::value_check::{non_negative, positive, whole_number};

/// A sensitivity knob: its name on the command line and what it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnobInfo {
    /// As written after `--knob`, e.g. `adc-bits`.
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
}

/// A periphery stage's configuration.
pub trait Stage: std::fmt::Debug {
    /// The stage's name (its file's), e.g. `adc`.
    fn name(&self) -> &'static str;

    /// The row of `aimc tile error` measuring this stage with every other non-ideality off
    /// (stages naming the same row are measured together); `None` for a stage that is no
    /// non-ideality by itself and stays as configured in every row (e.g. input scaling).
    fn error_row(&self) -> Option<&'static str> {
        None
    }

    /// Whether the stage, as configured, leaves the matrix product exact.
    fn is_exact(&self) -> bool {
        true
    }

    /// Turns the non-ideality off, as the `ideal` preset has it.
    fn switch_off(&mut self) {}

    /// Checks every value; the error names the key as written in a `[tile]` section.
    fn validate(&self) -> Result<(), InvalidKey> {
        Ok(())
    }

    /// The sensitivity knobs of this stage.
    fn knobs(&self) -> &'static [KnobInfo] {
        &[]
    }

    /// Sets knob `knob` (one of [`Stage::knobs`]) to `value`; the caller validates the result.
    fn set_knob(&mut self, knob: &str, value: f64) -> Result<(), InvalidKey> {
        Err(InvalidKey::new(
            knob,
            format!("a knob of stage `{}`", self.name()),
            value,
        ))
    }
}

/// Quantiser bits in 1..=24 (what [`crate::tile::Quantizer`] accepts).
pub fn bits(key: &str, bits: u32) -> Result<(), InvalidKey> {
    if (1..=24).contains(&bits) {
        Ok(())
    } else {
        Err(InvalidKey::new(key, "1 to 24 bits", bits))
    }
}

/// The rows of `aimc tile error` that the stages of a list make, in list order, each once.
pub fn error_rows(stages: &[&dyn Stage]) -> Vec<&'static str> {
    let mut rows: Vec<&'static str> = Vec::new();
    for row in stages.iter().filter_map(|s| s.error_row()) {
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    rows
}

/// The knobs the stages of a list offer, in list order.
pub fn stage_knobs(stages: &[&dyn Stage]) -> Vec<KnobInfo> {
    stages.iter().flat_map(|s| s.knobs()).copied().collect()
}

/// Declares a periphery: a configuration struct with one field per stage, each stage's keys
/// flattened into the `[tile]` section in list order, and the stage list over its fields.
/// A new stage is one field here (its type implementing [`Stage`], serde and `Default`).
///
/// The struct gets `stages()` and `stages_mut()` (the list, in order), `take_keys()` (each
/// stage's keys read from a TOML table, stage by stage, so that an error names its key) and
/// `Default` (every stage's default: the standard tile).
macro_rules! periphery_stages {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( $(#[$field_meta])* #[serde(flatten)] pub $field: $ty, )*
        }

        impl $name {
            /// The stages, in list order.
            pub fn stages(&self) -> Vec<&dyn $crate::tile::periphery::Stage> {
                vec![$(&self.$field),*]
            }

            /// The stages, in list order, to change.
            pub fn stages_mut(&mut self) -> Vec<&mut dyn $crate::tile::periphery::Stage> {
                vec![$(&mut self.$field),*]
            }

            /// Reads each stage's keys from `table` (a `[tile]` section; the keys read are removed),
            /// each stage starting from its value in `base`. Errors name the key under `prefix`
            /// and its line in `file` (contents `text`).
            pub fn take_keys(
                base: &Self,
                table: &mut toml::Table,
                file: &str,
                text: &str,
                prefix: &str,
            ) -> $crate::error::Result<Self> {
                Ok(Self {
                    $( $field: $crate::toml_file::take_keys(&base.$field, table, file, text, prefix)?, )*
                })
            }
        }
    };
}

pub(crate) use periphery_stages;

#[cfg(test)]
mod tests {
    //! A made-up stage added to the list: one file (here a module) and one line make its keys,
    //! its row of `aimc tile error` and its knob.
    use super::*;
    use crate::tile::periphery::{
        AdcConfig, BiasConfig, DacConfig, DriftCompensationConfig, InputScalingConfig,
        IrDropConfig, OutputNoiseConfig, ReadNoiseConfig,
    };
    use serde::{Deserialize, Serialize};

    /// A gain error of every output (`output_gain`): the made-up stage's whole file.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    pub struct OutputGainConfig {
        #[serde(rename = "output_gain")]
        pub gain: f64,
    }

    impl Stage for OutputGainConfig {
        fn name(&self) -> &'static str {
            "output_gain"
        }
        fn error_row(&self) -> Option<&'static str> {
            Some("output_gain")
        }
        fn is_exact(&self) -> bool {
            self.gain == 0.0
        }
        fn switch_off(&mut self) {
            self.gain = 0.0;
        }
        fn validate(&self) -> Result<(), InvalidKey> {
            non_negative("output_gain", self.gain)?;
            Ok(())
        }
        fn knobs(&self) -> &'static [KnobInfo] {
            &[KnobInfo {
                name: "output-gain",
                help: "Gain error of the outputs",
            }]
        }
        fn set_knob(&mut self, _: &str, value: f64) -> Result<(), InvalidKey> {
            self.gain = value;
            Ok(())
        }
    }

    periphery_stages! {
        /// The periphery's list with the made-up stage as its last line.
        pub struct ExtendedPeriphery {
            dac: DacConfig,
            adc: AdcConfig,
            out_noise: OutputNoiseConfig,
            read_noise: ReadNoiseConfig,
            ir_drop: IrDropConfig,
            input_scaling: InputScalingConfig,
            bias: BiasConfig,
            drift_compensation: DriftCompensationConfig,
            output_gain: OutputGainConfig,
        }
    }

    #[test]
    fn one_line_in_the_list_makes_keys_rows_and_knobs() {
        let text = "[tile]\nadc_bits = 6\noutput_gain = 0.01\n";
        let toml::Value::Table(mut table) =
            toml::from_str::<toml::Table>(text).unwrap()["tile"].clone()
        else {
            panic!("a table")
        };
        let p = ExtendedPeriphery::take_keys(
            &ExtendedPeriphery::default(),
            &mut table,
            "t.toml",
            text,
            "tile",
        )
        .unwrap();
        assert!(table.is_empty());
        assert_eq!((p.adc.bits, p.output_gain.gain), (6, 0.01));
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            json.ends_with("\"drift_compensation\":\"global\",\"output_gain\":0.01}"),
            "{json}"
        );
        assert_eq!(
            error_rows(&p.stages()),
            [
                "dac_adc",
                "out_noise",
                "read_noise",
                "ir_drop",
                "drift",
                "output_gain"
            ]
        );
        let knobs: Vec<&str> = stage_knobs(&p.stages()).iter().map(|k| k.name).collect();
        assert_eq!(knobs.last(), Some(&"output-gain"));
        // The row measures the stage alone: every other row's stage switched off.
        let mut alone = p.clone();
        for s in alone.stages_mut() {
            if s.error_row().is_some_and(|r| r != "output_gain") {
                s.switch_off();
            }
        }
        let exact: Vec<bool> = alone.stages().iter().map(|s| s.is_exact()).collect();
        assert_eq!(
            exact,
            [true, true, true, true, true, true, true, true, false]
        );
        // Its values go through its check, from a file as from a knob.
        let bad = "[tile]\noutput_gain = -1\n";
        let mut table = toml::from_str::<toml::Table>(bad).unwrap()["tile"]
            .as_table()
            .unwrap()
            .clone();
        let p = ExtendedPeriphery::take_keys(
            &ExtendedPeriphery::default(),
            &mut table,
            "t.toml",
            bad,
            "tile",
        )
        .unwrap();
        let errors: Vec<InvalidKey> = p
            .stages()
            .iter()
            .filter_map(|s| s.validate().err())
            .collect();
        assert_eq!(
            errors[0].clone().in_file("t.toml", bad, "tile").to_string(),
            "t.toml:2: key `tile.output_gain`: expected a finite number >= 0, found -1"
        );
    }

    /// Each stage's constructor runs the check a `[tile]` section gets.
    #[test]
    fn constructors_check_as_the_files_do() {
        use crate::tile::periphery::InputScaling;
        assert_eq!(DacConfig::new(0, 1.0).unwrap_err().key, "dac_bits");
        assert_eq!(AdcConfig::new(8, -1.0, 0.0).unwrap_err().key, "adc_bound");
        assert_eq!(
            OutputNoiseConfig::new(f64::NAN).unwrap_err().key,
            "out_noise"
        );
        assert_eq!(ReadNoiseConfig::new(-0.1).unwrap_err().key, "read_noise");
        assert_eq!(
            IrDropConfig::new(-1.0, 1e-6).unwrap_err().key,
            "ir_drop_scale"
        );
        let e = InputScalingConfig::new(InputScaling::Static, 1.0, 0).unwrap_err();
        assert_eq!(e.key, "bm_max_iterations");
        assert_eq!(AdcConfig::new(8, 10.0, 0.0).unwrap(), AdcConfig::default());
        assert_eq!(DacConfig::new(8, 1.0).unwrap(), DacConfig::default());
    }
}
