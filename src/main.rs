//! The `aimc` command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// Training allocates and frees large tensors at every step; mimalloc keeps the memory mapped
/// instead of returning it to the system after each (glibc's default), which halves the time
/// spent in page faults.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
