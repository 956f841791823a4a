//! Command-line interface: argument definitions (clap) and dispatch to the commands.

mod cost_cmd;
mod data_cmd;
mod demo_cmd;
mod device_cmd;
mod export_cmd;
mod map_cmd;
mod report_cmd;
mod sensitivity_cmd;
mod split_args;
mod sweep_cmd;
mod tile_cmd;
mod train_cmd;

use clap::{Parser, Subcommand};

/// aimc: simulate deep networks on analog in-memory computing hardware (PCM / ReRAM crossbars).
#[derive(Debug, Parser)]
#[command(name = "aimc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole story end to end: FP training, direct mapping, HWA training, sweeps, report.
    Demo(demo_cmd::DemoArgs),
    /// Device models: list, show, sample and plot (devices/*.toml or built-ins).
    #[command(subcommand)]
    Device(device_cmd::DeviceCommand),
    /// Crossbar tiles: the MVM error of a configuration.
    #[command(subcommand)]
    Tile(tile_cmd::TileCommand),
    /// How a model lies on tiles: per layer matrix size, tile grid and utilisation; totals.
    Map(map_cmd::MapArgs),
    /// What an inference costs: energy, latency and area per layer and in total on a chip's tiles.
    Cost(cost_cmd::CostArgs),
    /// Datasets: list what is known and present, fetch what registries ship.
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// Train an experiment (models/*.toml): FP, then hardware-aware; checkpoints and resume.
    Train(train_cmd::TrainArgs),
    /// Accuracy over time after programming (1 s to years), with repeats: a report and a plot.
    Sweep(sweep_cmd::SweepArgs),
    /// Combine sweeps (direct mapping vs HWA, devices, tiles) into one table and plot.
    Report(report_cmd::ReportArgs),
    /// Accuracy at one time while one non-ideality (or the tile size) varies.
    Sensitivity(sensitivity_cmd::SensitivityArgs),
    /// A trained network as an ONNX file with its trained weights.
    Export(export_cmd::ExportArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo_cmd::run(args),
        Command::Device(cmd) => device_cmd::run(cmd),
        Command::Tile(cmd) => tile_cmd::run(cmd),
        Command::Map(args) => map_cmd::run(args),
        Command::Cost(args) => cost_cmd::run(args),
        Command::Data(cmd) => data_cmd::run(cmd),
        Command::Train(args) => train_cmd::run(args),
        Command::Sweep(args) => sweep_cmd::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Sensitivity(args) => sensitivity_cmd::run(args),
        Command::Export(args) => export_cmd::run(args),
    }
}
