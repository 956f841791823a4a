//! `aimc device plot | fit`: the work of the device commands beyond what the device layer
//! answers directly (`list_devices`, `resolved_file`, `sample_device`): plotting several devices
//! in one figure, and a device file fitted to measurements written with its plot.

use crate::device::fit::drift_fit::NuLaw;
use crate::device::fit::{DeviceFit, FitOptions, fit_device};
use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::report::device_plot::plot_devices;
use crate::report::fit_plot::plot_fit;
use std::path::{Path, PathBuf};

/// `devices.png` and `devices.svg` of the devices named (or files) in `devices`, into `out`.
pub fn plot(devices: &[String], out: &Path) -> Result<Vec<PathBuf>> {
    let mut models = Vec::new();
    for d in devices {
        let spec = resolve_device(d)?;
        models.push((spec.name.clone(), spec.device.statistical_view()));
    }
    Ok(plot_devices(models, out)?.to_vec())
}

/// A fitted device, written.
#[derive(Debug)]
pub struct FitOutcome {
    pub fit: DeviceFit,
    /// The plot of the data against the fit (PNG, SVG).
    pub plots: Vec<PathBuf>,
    /// The drift law chosen, in words (and why a table, when one).
    pub drift_law: String,
}

/// Fits a device to the measurements of `opts` and writes its file to `out` (atomically), with
/// its plot beside it (`NAME-fit.png`, `.svg`).
pub fn fit(opts: &FitOptions, out: &Path) -> Result<FitOutcome> {
    for (flag, v) in [("--t0-s", opts.t0_s), ("--t-read-s", opts.t_read_s)] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(Error::invalid_argument(flag, "a time > 0 s", v));
        }
    }
    let fit = fit_device(opts)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    write_atomic(out, fit.toml.as_bytes())?;
    let stem = out.with_file_name(format!("{}-fit", opts.name));
    let plots = plot_fit(&fit, &stem)?.to_vec();
    let drift_law = match fit.drift.as_ref().map(|d| &d.nu_law) {
        None => "none (no drift data)".to_string(),
        Some(NuLaw::LogLinear { .. }) => "clipped log-linear".to_string(),
        Some(NuLaw::Table { reason }) => format!("table ({reason})"),
    };
    Ok(FitOutcome {
        fit,
        plots,
        drift_law,
    })
}
