//! What a tiled matrix was asked to compute, counted for the cost model (docs/cost.md): the input
//! vectors it read (one matrix-vector multiplication each, on every tile of its grid) and, while
//! recording, the inputs' mean pulse duty d = min(|x| / alpha, 1) over the rows driven, the
//! fraction of the integration window a row conducts when inputs are pulse widths.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters of one tiled matrix.
#[derive(Debug, Default)]
pub struct Activity {
    vectors: AtomicU64,
    /// Forward passes (each draws one seed from the matrix's noise stream).
    calls: AtomicU64,
    recording: AtomicBool,
    /// Sum of the duties and the number of (vector, row) pairs they came from.
    duty: Mutex<(f64, u64)>,
}

impl Activity {
    /// Counts one forward pass of `n` input vectors.
    pub fn count(&self, n: usize) {
        self.vectors.fetch_add(n as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Forward passes since the start (never reset: sweeps count the noise seeds drawn).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Input vectors read since the start (or the last [`Activity::reset`]).
    pub fn vectors(&self) -> u64 {
        self.vectors.load(Ordering::Relaxed)
    }

    /// Starts (or stops) recording the input duty; recording costs one pass over the inputs.
    pub fn record(&self, on: bool) {
        self.recording.store(on, Ordering::Relaxed);
    }

    /// Whether the input duty is being recorded.
    pub fn recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    /// Adds `sum` of duties over `n` (vector, row) pairs.
    pub fn add_duty(&self, sum: f64, n: u64) {
        let mut d = self.duty.lock().expect("lock");
        d.0 += sum;
        d.1 += n;
    }

    /// The mean input duty recorded, `None` before any input.
    pub fn mean_duty(&self) -> Option<f64> {
        let d = self.duty.lock().expect("lock");
        (d.1 > 0).then(|| d.0 / d.1 as f64)
    }

    /// Clears the counters.
    pub fn reset(&self) {
        self.vectors.store(0, Ordering::Relaxed);
        *self.duty.lock().expect("lock") = (0.0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_averages() {
        let a = Activity::default();
        assert_eq!(a.mean_duty(), None);
        a.count(3);
        a.count(2);
        a.add_duty(1.5, 4);
        a.add_duty(0.5, 4);
        assert_eq!((a.vectors(), a.calls()), (5, 2));
        assert_eq!(a.mean_duty(), Some(0.25));
        a.reset();
        assert_eq!((a.vectors(), a.mean_duty()), (0, None));
    }
}
