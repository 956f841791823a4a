//! `aimc device list | show | sample | plot | fit`.

use aimc::commands::device::{self, FitOutcome};
use aimc::device::fit::FitOptions;
use aimc::device::registry::{list_devices, resolve_device, search_dirs};
use aimc::device::resolved_file;
use aimc::device::sample::sample_device;
use aimc::report::format::to_json;
use aimc::report::{OutputFormat, TextTable};
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the devices found (AIMC_DEVICES, ./devices, then the built-ins), one line each.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Print the resolved parameters of a device: every key, defaults filled in.
    Show {
        /// A device name (see `aimc device list`) or a path to a .toml file.
        device: String,
        #[arg(long, value_enum, default_value = "toml")]
        format: ShowFormat,
    },
    /// Program n devices at each target conductance and read each at each time after programming.
    ///
    /// Reports, per (target, time), mean and std of the conductance read and of the drift
    /// exponent. t = 0 is right after programming: no drift, no read noise.
    Sample {
        /// A device name (see `aimc device list`) or a path to a .toml file.
        device: String,
        /// Target conductances in µS, comma-separated [default: 2 %, 50 % and 100 % of the
        /// way from the device's g_min to its g_max; 0.5,12.5,25 for PCM].
        #[arg(long = "g-us", value_delimiter = ',')]
        g_us: Vec<f64>,
        /// Times after programming in s, comma-separated.
        #[arg(
            long = "t-s",
            value_delimiter = ',',
            default_value = "0,1,3600,86400,31536000"
        )]
        t_s: Vec<f64>,
        /// Devices programmed per target.
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Seed of the noise source.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Plot programming sigma, drift exponent and mean conductance over time (PNG and SVG).
    Plot {
        /// Device names or .toml paths; several overlay in one figure.
        #[arg(required = true)]
        devices: Vec<String>,
        /// Output directory.
        #[arg(long, default_value = "reports/devices")]
        out: PathBuf,
    },
    /// Fit a device model to measurements and write it as a custom device file.
    ///
    /// Programming noise: sigma_P as a polynomial in g/g_max, least squares on the per-level
    /// std weighted by counts. With drift data: nu per device from ln g vs ln((t + t0)/t0), mu
    /// and sigma of nu per level as clipped log-linear laws in g (or a table when the chi^2
    /// rejects the law, saying why), and the 1/f read-noise level from the residuals. Writes the
    /// device file (fit quality in comments) and a plot of data against the fit (PNG and SVG).
    /// Needs a build with `--features linalg`.
    Fit {
        /// CSV with the header g_target_us,g_measured_us: one row per device, several devices
        /// per target level.
        #[arg(long)]
        programming: PathBuf,
        /// CSV with the header device_id,g_target_us,t_s,g_us: one row per read, the reads of
        /// one device sharing its id.
        #[arg(long)]
        drift: Option<PathBuf>,
        /// Name of the device [default: the programming file's stem].
        #[arg(long)]
        name: Option<String>,
        /// The device file to write [default: devices/NAME.toml]; the plot goes beside it
        /// (NAME-fit.png, NAME-fit.svg).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Degree of the programming-noise polynomial.
        #[arg(long, default_value_t = 2)]
        degree: usize,
        /// g_max in µS [default: the largest target level].
        #[arg(long = "g-max-us")]
        g_max_us: Option<f64>,
        /// Reference time t0 of the drift law, s.
        #[arg(long = "t0-s", default_value_t = 20.0)]
        t0_s: f64,
        /// Read duration t_read of the 1/f read-noise law, s.
        #[arg(long = "t-read-s", default_value_t = 250e-9)]
        t_read_s: f64,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
}

/// `--format` of `device show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Toml,
    Json,
}

pub fn run(cmd: DeviceCommand) -> anyhow::Result<()> {
    match cmd {
        DeviceCommand::List { format } => list(format),
        DeviceCommand::Show { device, format } => show(&device, format),
        DeviceCommand::Sample {
            device,
            g_us,
            t_s,
            n,
            seed,
            format,
        } => sample(&device, &g_us, &t_s, n, seed, format),
        DeviceCommand::Plot { devices, out } => plot(&devices, &out),
        DeviceCommand::Fit {
            programming,
            drift,
            name,
            out,
            degree,
            g_max_us,
            t0_s,
            t_read_s,
            format,
        } => {
            let name = name.unwrap_or_else(|| {
                programming
                    .file_stem()
                    .map_or("fitted".into(), |s| s.to_string_lossy().into_owned())
            });
            let out = out.unwrap_or_else(|| PathBuf::from("devices").join(format!("{name}.toml")));
            let opts = FitOptions {
                programming: &programming,
                drift: drift.as_deref(),
                name: &name,
                degree,
                g_max_us,
                t0_s,
                t_read_s,
            };
            fit(&opts, &out, format)
        }
    }
}

fn fit(opts: &FitOptions, out: &std::path::Path, format: OutputFormat) -> anyhow::Result<()> {
    let FitOutcome {
        fit,
        plots,
        drift_law: law,
    } = device::fit(opts, out)?;
    if format == OutputFormat::Json {
        let v = serde_json::json!({
            "device_file": out.display().to_string(),
            "plots": plots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "programming_coefficients_us": fit.prog.coefficients_us,
            "programming_standard_errors_us": fit.prog.standard_errors_us,
            "programming_r_squared": fit.prog.r_squared,
            "drift_law": law,
            "q_coeff": fit.drift.as_ref().and_then(|d| d.q_coeff()),
            "q_exponent": fit.drift.as_ref().and_then(|d| d.q_exponent()),
        });
        print!("{}", to_json(&v));
        return Ok(());
    }
    let c: Vec<String> = fit
        .prog
        .coefficients_us
        .iter()
        .zip(&fit.prog.standard_errors_us)
        .map(|(c, s)| format!("{c:.5} ± {s:.5}"))
        .collect();
    println!(
        "programming noise: c = [{}] µS, R^2 = {:.4}",
        c.join(", "),
        fit.prog.r_squared
    );
    println!("drift law: {law}");
    if let Some((q, x)) = fit
        .drift
        .as_ref()
        .and_then(|d| d.q_coeff().zip(d.q_exponent()))
    {
        println!("read noise: q_coeff = {q:.5}, q_exponent = {x:.4}");
    }
    println!("wrote {}", out.display());
    for p in plots {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn list(format: OutputFormat) -> anyhow::Result<()> {
    let entries = list_devices();
    match format {
        OutputFormat::Json => print!("{}", to_json(&entries)),
        OutputFormat::Table | OutputFormat::Csv => {
            let mut t = TextTable::new(&["name", "kind", "source", "description"]);
            for e in &entries {
                let kind = e.kind.map_or("invalid", |k| k.as_str()).to_string();
                let desc = e.error.clone().unwrap_or_else(|| e.description.clone());
                t.push(vec![e.name.clone(), kind, e.source.clone(), desc]);
            }
            let text = if format == OutputFormat::Csv {
                t.to_csv()
            } else {
                t.to_text()
            };
            print!("{text}");
            if entries.is_empty() {
                let dirs: Vec<String> = search_dirs()
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                eprintln!("no devices found in {}", dirs.join(", "));
            }
        }
    }
    Ok(())
}

fn show(device: &str, format: ShowFormat) -> anyhow::Result<()> {
    let spec = resolve_device(device)?;
    let file = resolved_file(&spec);
    match format {
        ShowFormat::Toml => {
            let text = toml::to_string(&file).context("serialising the resolved device")?;
            println!("# {device}: resolved parameters (every key explicit)");
            print!("{text}");
        }
        ShowFormat::Json => print!("{}", to_json(&file)),
    }
    Ok(())
}

fn sample(
    device: &str,
    g_us: &[f64],
    t_s: &[f64],
    n: usize,
    seed: u64,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let spec = resolve_device(device)?;
    let g_max = aimc::device::DeviceModel::g_max_us(&spec.device);
    let g_min = aimc::device::DeviceModel::g_min_us(&spec.device);
    let defaults = [0.02, 0.5, 1.0].map(|f| g_min + f * (g_max - g_min));
    let g_us = if g_us.is_empty() { &defaults[..] } else { g_us };
    let rows = sample_device(&spec.device, g_us, t_s, n, seed)?;
    if format == OutputFormat::Json {
        print!("{}", to_json(&rows));
        return Ok(());
    }
    let mut t = TextTable::new(&[
        "g_target_us",
        "t_s",
        "g_mean_us",
        "g_std_us",
        "nu_mean",
        "nu_std",
        "n",
    ]);
    let csv = format == OutputFormat::Csv;
    let num = |v: f64| {
        if csv {
            v.to_string()
        } else {
            format!("{v:.5}")
        }
    };
    for r in &rows {
        t.push(vec![
            r.g_target_us.to_string(),
            r.t_s.to_string(),
            num(r.g_mean_us),
            num(r.g_std_us),
            num(r.nu_mean),
            num(r.nu_std),
            r.n.to_string(),
        ]);
    }
    print!("{}", if csv { t.to_csv() } else { t.to_text() });
    Ok(())
}

fn plot(devices: &[String], out: &std::path::Path) -> anyhow::Result<()> {
    for p in device::plot(devices, out)? {
        println!("{}", p.display());
    }
    Ok(())
}
