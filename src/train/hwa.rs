//! The hardware-aware stage's mechanisms applied to a model (physics.md section 5): the weight
//! modifier of every tiled matrix, the noise ramp, clipping and remapping, input-range
//! calibration.

use crate::device::{Device as AnalogDevice, resolve_device};
use crate::error::{Error, Result};
use crate::experiment::{HwaStage, NoiseConfig, NoiseKind};
use crate::nn::{AnalogModule, matrices};
use crate::tile::{TileConfig, WeightModifier, WeightNoise};

/// The weight noise of `noise` for tiles of `tile` (at full scale).
pub fn weight_noise(noise: &NoiseConfig, tile: &TileConfig) -> Result<WeightNoise> {
    let device = |name: &str| -> Result<WeightNoise> {
        let device = resolve_device(name)?.device;
        let statistical = match &device {
            AnalogDevice::Statistical(d) => d.clone(),
            AnalogDevice::Ideal(_) => device.statistical_view(),
        };
        Ok(WeightNoise::Device {
            device: Box::new(statistical),
            t_read_noise_s: noise.read_time_s,
            mapping: tile.mapping.clone(),
        })
    };
    match noise.kind {
        NoiseKind::Pcm => device("pcm"),
        NoiseKind::Device => device(&tile.device),
        NoiseKind::Additive => Ok(WeightNoise::Additive { sigma: noise.sigma }),
        NoiseKind::Multiplicative => Ok(WeightNoise::Multiplicative { sigma: noise.sigma }),
        NoiseKind::None => Ok(WeightNoise::None),
    }
}

/// The noise scale after `epochs_done` (fractional) epochs: a linear ramp from 0 to the full
/// scale over `ramp_epochs`.
pub fn ramped_scale(noise: &NoiseConfig, epochs_done: f64) -> f64 {
    if noise.ramp_epochs <= 0.0 {
        return noise.scale;
    }
    noise.scale * (epochs_done / noise.ramp_epochs).clamp(0.0, 1.0)
}

/// Installs the weight modifier of `hwa` (scale 0 until the first ramp step) on every matrix.
pub fn install_modifiers(
    model: &dyn AnalogModule,
    hwa: &HwaStage,
    tile: &TileConfig,
) -> Result<()> {
    let noise = weight_noise(&hwa.noise, tile)?;
    for m in matrices(model) {
        m.set_weight_modifier(Some(WeightModifier {
            noise: noise.clone(),
            scale: 0.0,
            drop_connect: hwa.drop_connect,
        }));
    }
    Ok(())
}

/// Sets the noise scale of every matrix.
pub fn set_noise_scale(model: &dyn AnalogModule, scale: f64) {
    for m in matrices(model) {
        m.set_noise_scale(scale);
    }
}

/// Turns every matrix into the normalised parametrisation (or remaps it).
pub fn remap_all(model: &dyn AnalogModule) -> Result<()> {
    for m in matrices(model) {
        m.remap()
            .map_err(|e| Error::Tensor(format!("{}: remap: {e}", m.name())))?;
    }
    Ok(())
}

/// After an update: clip the analog weights (if `clip`) and keep input ranges positive.
pub fn after_step(model: &dyn AnalogModule, clip: bool) -> Result<()> {
    for m in matrices(model) {
        if clip {
            m.clip_weights()?;
        }
        m.clamp_input_range()?;
    }
    Ok(())
}

/// Starts (`start`) or ends the initialisation of input ranges from data on every matrix.
pub fn calibrate_input_ranges(model: &dyn AnalogModule, start: Option<f64>) -> Result<()> {
    for m in matrices(model) {
        match start {
            Some(std_factor) => m.start_input_calibration(std_factor),
            None => m.finish_input_calibration()?,
        }
    }
    Ok(())
}
