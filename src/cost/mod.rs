//! The cost of an inference on analog tiles (docs/cost.md): hardware files with per-component
//! figures (`hardware.rs`, units in `quantity.rs`), the closed forms of one MVM on one tile
//! (`tile_cost.rs`) and the sum over a network's layers (`network_cost.rs`).

pub mod hardware;
pub mod network_cost;
pub mod on_tile;
pub mod quantity;
pub mod tile_cost;

pub use hardware::{Hardware, parse_hardware, resolve_hardware};
pub use network_cost::{LayerCost, LayerLoad, NetworkCost, network_cost};
pub use quantity::Dimension;
pub use tile_cost::Energy;
