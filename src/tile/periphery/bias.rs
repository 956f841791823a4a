//! Where a layer's bias is added (physics.md section 3: "Bias is digital"): digitally after the
//! read-out (`digital_bias = true`, the paper's), or on the tiles as an extra input row driven
//! by 1, which then shares the array's noise and quantisation (`digital_bias = false`). Not a
//! non-ideality by itself: every row of `aimc tile error` keeps it as configured.

use super::stage::Stage;
use serde::{Deserialize, Serialize};

/// `digital_bias` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BiasConfig {
    /// Bias added digitally (true) or as an extra analog row driven by 1 (false).
    #[serde(rename = "digital_bias")]
    pub digital: bool,
}

impl Default for BiasConfig {
    /// The paper's: digital.
    fn default() -> Self {
        Self { digital: true }
    }
}

impl Stage for BiasConfig {
    fn name(&self) -> &'static str {
        "bias"
    }
}
