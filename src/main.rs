//! The `aimc` command line.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc, keeping freed memory for reuse (see `aimc::alloc`).
#[global_allocator]
static ALLOCATOR: aimc::alloc::Allocator = aimc::alloc::Allocator;

/// Writes candle's default thread count into `RAYON_NUM_THREADS` when it is not set. candle
/// 0.11 asks for its thread count at every matrix product and, without the variable, counts the
/// physical cores by reading `/proc/cpuinfo` each time: 18 % of the time of a sweep of small
/// products (mnist-8 one image at a time). The count is the same, so are the results.
fn fix_thread_count() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let n = candle_core::utils::get_num_threads();
        // SAFETY: the first statement of `main`, before any thread is started.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
    }
}

fn main() -> ExitCode {
    fix_thread_count();
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
