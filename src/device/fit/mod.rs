//! Device models from measurements (`aimc device fit`): programming noise from per-level spreads
//! (`prog_fit`), drift exponents and read noise from reads over time (`drift_fit`), laws fitted
//! with their quality (`clipped_fit`, `least_squares`), written as a `custom` device file that
//! loads like any other (`fitted_file`).

pub mod clipped_fit;
pub mod drift_fit;
pub mod fitted_file;
pub mod least_squares;
pub mod measurements;
pub mod prog_fit;

use crate::device::file::parse_device;
use crate::error::{Error, Result};
use drift_fit::{DriftFit, fit_drift};
use fitted_file::{FileHeader, fitted_device_toml};
use prog_fit::{ProgNoiseFit, fit_programming_noise};
use std::path::Path;

/// What to fit.
#[derive(Debug, Clone)]
pub struct FitOptions<'a> {
    pub programming: &'a Path,
    pub drift: Option<&'a Path>,
    pub name: &'a str,
    /// Degree of the programming-noise polynomial.
    pub degree: usize,
    /// g_max in µS (default: the largest target level).
    pub g_max_us: Option<f64>,
    /// Reference times of the drift and read-noise laws.
    pub t0_s: f64,
    pub t_read_s: f64,
}

/// A fit: its parts and the device file's text (already checked to load).
#[derive(Debug, Clone)]
pub struct DeviceFit {
    pub prog: ProgNoiseFit,
    pub drift: Option<DriftFit>,
    pub toml: String,
}

/// Reads the measurements, fits every law and renders the device file.
pub fn fit_device(opts: &FitOptions) -> Result<DeviceFit> {
    let levels = measurements::read_programming(opts.programming)?;
    let g_max_us = match opts.g_max_us {
        Some(g) => g,
        None => levels.iter().map(|l| l.g_target_us).fold(0.0, f64::max),
    };
    if !(g_max_us > 0.0 && g_max_us.is_finite()) {
        return Err(Error::Fit(format!(
            "g_max must be > 0 µS, found {g_max_us} (the largest target level of {})",
            opts.programming.display()
        )));
    }
    let prog = fit_programming_noise(&levels, g_max_us, opts.degree)?;
    let drift = match opts.drift {
        Some(path) => {
            let traces = measurements::read_drift(path)?;
            Some(fit_drift(&traces, g_max_us, opts.t0_s, opts.t_read_s)?)
        }
        None => None,
    };
    let programming_csv = opts.programming.display().to_string();
    let drift_csv = opts.drift.map(|p| p.display().to_string());
    let toml = fitted_device_toml(
        &FileHeader {
            name: opts.name,
            programming_csv: &programming_csv,
            drift_csv: drift_csv.as_deref(),
        },
        &prog,
        drift.as_ref(),
    );
    // The file must load like any other device file.
    parse_device(&format!("{} (fitted)", opts.name), &toml, opts.name)?;
    Ok(DeviceFit { prog, drift, toml })
}
