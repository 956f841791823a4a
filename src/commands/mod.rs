//! The work of every command of the `aimc` binary, one file each (the demo a folder): the CLI
//! (`src/cli/`) parses the arguments into a request, calls the function here and prints what it
//! returns. This layer sits on top of all others: it chains training, sweeps and reports.

pub mod cost;
pub mod data;
pub mod demo;
pub mod device;
pub mod export;
pub mod map;
pub mod report;
pub mod sensitivity;
pub mod sweep;
pub mod tile_error;
pub mod train;

use crate::error::{Error, Result};

/// Where to compute: the CPU, or the first CUDA GPU (a build with `--features cuda`); `flag`
/// names the option that asked, for the error of a build without CUDA.
pub fn compute_device(cuda: bool, flag: &str) -> Result<candle_core::Device> {
    if !cuda {
        return Ok(candle_core::Device::Cpu);
    }
    if cfg!(feature = "cuda") {
        Ok(candle_core::Device::new_cuda(0)?)
    } else {
        Err(Error::invalid_argument(
            format!("{flag} cuda"),
            "a binary built with CUDA (`cargo build --release --features cuda`)",
            "a build without it",
        ))
    }
}
