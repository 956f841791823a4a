//! The `aimc` command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc, keeping freed memory for reuse (see `aimc::alloc`).
#[global_allocator]
static ALLOCATOR: aimc::alloc::MiMalloc = aimc::alloc::MiMalloc;

fn main() -> ExitCode {
    aimc::alloc::keep_freed_memory();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
