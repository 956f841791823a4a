//! Output for people and scripts: text tables, CSV and JSON, and plots as PNG + SVG.

pub mod cost_report;
pub mod device_plot;
pub mod drift_plot;
pub mod fit_plot;
pub mod format;
pub mod map_table;
pub mod plot_style;
pub mod sensitivity_report;
pub mod sweep_report;
pub mod tile_map_plot;
pub mod tradeoff_plot;

pub use format::{OutputFormat, TextTable};
