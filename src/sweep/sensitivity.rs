//! Sensitivity studies (physics.md section 6, paper Fig. 4/5): one non-ideality raised at a
//! time, the metric at one time after programming for each value. `tile-size` is the
//! tile-mapping study: tiles used and accuracy per tile size.

use super::metric::Metric;
use super::run::{SweepPoint, SweepSpec, run_sweep};
use super::target::SweepTarget;
use super::times::SweepTime;
use crate::device::Device as AnalogDevice;
use crate::error::{Error, Result};
use crate::models::map::map_model;
use crate::tile::TileConfig;
use crate::train::setup::TaskData;
use serde::{Deserialize, Serialize};

/// The knobs of a sensitivity study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Knob {
    /// ADC resolution (bits).
    AdcBits,
    /// DAC resolution (bits).
    DacBits,
    /// Output noise sigma_out.
    OutNoise,
    /// Short-term read noise referred to the output.
    ReadNoise,
    /// Scale of the device's programming noise.
    ProgNoiseScale,
    /// Scale of the device's drift exponents.
    DriftScale,
    /// Scale of the IR-drop term.
    IrDropScale,
    /// Probability of a device stuck at 0.
    StuckReset,
    /// Probability of a device stuck at g_max.
    StuckGmax,
    /// Tile rows and columns (square tiles).
    TileSize,
}

impl Knob {
    /// The name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Knob::AdcBits => "adc-bits",
            Knob::DacBits => "dac-bits",
            Knob::OutNoise => "out-noise",
            Knob::ReadNoise => "read-noise",
            Knob::ProgNoiseScale => "prog-noise-scale",
            Knob::DriftScale => "drift-scale",
            Knob::IrDropScale => "ir-drop-scale",
            Knob::StuckReset => "stuck-reset",
            Knob::StuckGmax => "stuck-gmax",
            Knob::TileSize => "tile-size",
        }
    }

    /// `tile` and `device` with the knob set to `value`.
    pub fn apply(
        self,
        value: f64,
        tile: &TileConfig,
        device: &AnalogDevice,
    ) -> Result<(TileConfig, AnalogDevice)> {
        let bad = |expected: &str| {
            Error::invalid_argument(format!("--values for {}", self.name()), expected, value)
        };
        let whole = |lo: f64, hi: f64| -> Result<usize> {
            if value.fract() == 0.0 && (lo..=hi).contains(&value) {
                Ok(value as usize)
            } else {
                Err(bad(&format!("a whole number in [{lo}, {hi}]")))
            }
        };
        let non_negative = || -> Result<f64> {
            if value >= 0.0 && value.is_finite() {
                Ok(value)
            } else {
                Err(bad("a value >= 0"))
            }
        };
        let mut t = tile.clone();
        let mut d = device.clone();
        fn statistical(
            d: &mut AnalogDevice,
            bad: impl Fn(&str) -> Error,
        ) -> Result<&mut crate::StatisticalDevice> {
            match d {
                AnalogDevice::Statistical(s) => Ok(s),
                AnalogDevice::Ideal(_) => {
                    Err(bad("a statistical device (the ideal one has no noise)"))
                }
            }
        }
        match self {
            Knob::AdcBits => t.adc_bits = whole(2.0, 24.0)? as u32,
            Knob::DacBits => t.dac_bits = whole(2.0, 24.0)? as u32,
            Knob::OutNoise => t.out_noise = non_negative()?,
            Knob::ReadNoise => t.read_noise = non_negative()?,
            Knob::IrDropScale => t.ir_drop_scale = non_negative()?,
            Knob::TileSize => {
                let n = whole(1.0, 1_048_576.0)?;
                (t.rows, t.cols) = (n, n);
            }
            Knob::ProgNoiseScale => {
                statistical(&mut d, bad)?.programming_noise_scale = non_negative()?
            }
            Knob::DriftScale => statistical(&mut d, bad)?.drift_scale = non_negative()?,
            Knob::StuckReset | Knob::StuckGmax => {
                if !(0.0..=1.0).contains(&value) {
                    return Err(bad("a probability in [0, 1]"));
                }
                let s = &mut statistical(&mut d, bad)?.stuck;
                if self == Knob::StuckReset {
                    s.p_reset = value;
                } else {
                    s.p_g_max = value;
                }
                if s.p_reset + s.p_g_max + s.p_random > 1.0 {
                    return Err(bad("stuck probabilities summing to at most 1"));
                }
            }
        }
        crate::tile::Periphery::new(&t)?;
        Ok((t, d))
    }
}

/// The metric at one knob value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    pub value: f64,
    /// Tiles the network occupies with this configuration.
    pub tiles: usize,
    pub point: SweepPoint,
}

/// A whole sensitivity study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityResult {
    pub run: String,
    pub checkpoint: String,
    pub knob: Knob,
    pub device: String,
    pub time_label: String,
    pub time_s: f64,
    /// What `fp`, `chance` and the rows measure (accuracy when absent: older studies).
    #[serde(default)]
    pub metric: Metric,
    pub fp: f64,
    pub chance: f64,
    pub reps: usize,
    pub seed: u64,
    pub rows: Vec<SensitivityRow>,
}

/// Runs the study: for each value the sweep of `target` at `time` on `tile` with `device`
/// (named `device_name`), the knob set to the value. `tick` follows every evaluation.
#[allow(clippy::too_many_arguments)]
pub fn run_sensitivity(
    target: &SweepTarget,
    knob: Knob,
    values: &[f64],
    (device_name, device): (&str, &AnalogDevice),
    tile: &TileConfig,
    time: &SweepTime,
    (reps, seed): (usize, u64),
    data: &TaskData,
    compute: &candle_core::Device,
    tick: &mut dyn FnMut(&str),
) -> Result<SensitivityResult> {
    // Every value is checked before the first (long) evaluation.
    let configs = values
        .iter()
        .map(|&v| knob.apply(v, tile, device))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    let mut last = None;
    for (&value, (t, d)) in values.iter().zip(configs) {
        let tiles = map_model(&target.experiment.config.model, t.geometry()?)?
            .totals
            .total_tiles;
        let spec = SweepSpec {
            devices: vec![(device_name.to_string(), d)],
            tile: t,
            times: vec![time.clone()],
            reps,
            seed,
        };
        let r = run_sweep(target, &spec, data, compute, tick)?;
        rows.push(SensitivityRow {
            value,
            tiles,
            point: r.points[0].clone(),
        });
        last = Some(r);
    }
    let r =
        last.ok_or_else(|| Error::invalid_argument("--values", "at least one value", "none"))?;
    Ok(SensitivityResult {
        run: r.run,
        checkpoint: r.checkpoint,
        knob,
        device: device_name.to_string(),
        time_label: time.label.clone(),
        time_s: time.seconds,
        metric: r.metric,
        fp: r.fp,
        chance: r.chance,
        reps,
        seed,
        rows,
    })
}

/// Parses `v1,v2,...`.
pub fn parse_values(list: &str) -> Result<Vec<f64>> {
    list.split(',')
        .map(|s| {
            s.trim().parse::<f64>().map_err(|_| {
                Error::invalid_argument("--values", "comma-separated numbers", format!("`{s}`"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_set_what_they_name_and_refuse_bad_values() {
        let pcm = crate::device::resolve_device("pcm").unwrap().device;
        let tile = TileConfig::standard();
        let (t, _) = Knob::AdcBits.apply(6.0, &tile, &pcm).unwrap();
        assert_eq!(t.adc_bits, 6);
        let (t, _) = Knob::TileSize.apply(256.0, &tile, &pcm).unwrap();
        assert_eq!((t.rows, t.cols), (256, 256));
        let (_, d) = Knob::DriftScale.apply(2.0, &tile, &pcm).unwrap();
        assert_eq!(d.as_statistical().unwrap().drift_scale, 2.0);
        let (_, d) = Knob::StuckReset.apply(0.1, &tile, &pcm).unwrap();
        assert_eq!(d.as_statistical().unwrap().stuck.p_reset, 0.1);
        for (k, v) in [
            (Knob::AdcBits, 6.5),
            (Knob::OutNoise, -1.0),
            (Knob::StuckGmax, 1.5),
            (Knob::TileSize, 0.0),
        ] {
            assert!(k.apply(v, &tile, &pcm).is_err(), "{k:?} {v}");
        }
        let ideal = crate::device::resolve_device("ideal").unwrap().device;
        let e = Knob::DriftScale
            .apply(2.0, &tile, &ideal)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("drift-scale") && e.contains("statistical"),
            "{e}"
        );
        assert_eq!(parse_values("1, 2.5,3").unwrap(), vec![1.0, 2.5, 3.0]);
        assert!(parse_values("1,x").unwrap_err().to_string().contains("`x`"));
    }
}
