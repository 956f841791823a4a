//! `aimc device list | show | sample | plot`.

use aimc::device::registry::{list_devices, resolve_device, search_dirs};
use aimc::device::resolved_file::resolved_file;
use aimc::device::sample::sample_device;
use aimc::report::device_plot::plot_devices;
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
        /// Target conductances in µS, comma-separated.
        #[arg(long = "g-us", value_delimiter = ',', default_value = "0.5,12.5,25")]
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
    }
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
    let mut models = Vec::new();
    for d in devices {
        let spec = resolve_device(d)?;
        models.push((spec.name.clone(), spec.device.statistical_view()));
    }
    let paths = plot_devices(models, out)?;
    for p in paths {
        println!("{}", p.display());
    }
    Ok(())
}
