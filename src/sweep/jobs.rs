//! The units of a study spread over the cores of one machine (`--jobs N`): job j of J takes
//! every J-th unit, starting at the j-th, and runs them on its own copy of the network; the
//! results are put back in unit order (the noise cursor makes each unit's numbers those of the
//! sequential run).

use crate::error::{Error, Result};
use std::sync::mpsc;

/// The jobs when none are asked for: the cores this process may use.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The jobs of `--jobs`: at least one; none given, [`default_jobs`].
pub fn jobs(given: Option<usize>) -> Result<usize> {
    match given {
        Some(0) => Err(Error::invalid_argument("--jobs", "at least 1", 0)),
        Some(n) => Ok(n),
        None => Ok(default_jobs()),
    }
}

/// `units` dealt round-robin to at most `jobs` jobs (at least one, none empty unless `units`
/// is).
pub fn split(units: &[usize], jobs: usize) -> Vec<Vec<usize>> {
    let jobs = jobs.clamp(1, units.len().max(1));
    (0..jobs)
        .map(|j| units.iter().skip(j).step_by(jobs).copied().collect())
        .collect()
}

/// Runs `work` on every part, each on its own thread when there are several; `tick` is called
/// on the calling thread for every message the parts send. The results in the parts' order.
pub fn in_parallel<T: Send>(
    parts: &[Vec<usize>],
    tick: &mut dyn FnMut(&str),
    work: impl Fn(&[usize], &mut dyn FnMut(&str)) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    if parts.len() <= 1 {
        return parts.iter().map(|p| work(p, tick)).collect();
    }
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = parts
            .iter()
            .map(|part| {
                let tx = tx.clone();
                scope.spawn(move || {
                    let mut send = |m: &str| {
                        let _ = tx.send(m.to_string());
                    };
                    work(part, &mut send)
                })
            })
            .collect();
        drop(tx);
        for message in rx {
            tick(&message);
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Tensor("a job of the study panicked".into())))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_at_least_one_and_default_to_the_cores() {
        let e = jobs(Some(0)).unwrap_err().to_string();
        assert!(e.contains("--jobs") && e.contains("at least 1"), "{e}");
        assert_eq!(jobs(Some(3)).unwrap(), 3);
        assert_eq!(jobs(None).unwrap(), default_jobs());
        assert!(default_jobs() >= 1);
    }

    #[test]
    fn units_are_dealt_round_robin_to_non_empty_jobs() {
        assert_eq!(split(&[0, 2, 4, 6, 8], 2), vec![vec![0, 4, 8], vec![2, 6]]);
        assert_eq!(split(&[3, 5], 8), vec![vec![3], vec![5]]);
        assert_eq!(split(&[], 4), vec![Vec::<usize>::new()]);
        assert_eq!(split(&[1, 2], 0), vec![vec![1, 2]]);
    }

    #[test]
    fn parts_run_on_threads_and_come_back_in_order() {
        let parts = split(&(0..10).collect::<Vec<_>>(), 3);
        let mut ticks = 0;
        let sums = in_parallel(&parts, &mut |_| ticks += 1, |units, tick| {
            for _ in units {
                tick("unit");
            }
            Ok(units.iter().sum::<usize>())
        })
        .unwrap();
        assert_eq!(sums, vec![3 + 6 + 9, 1 + 4 + 7, 2 + 5 + 8]);
        assert_eq!(ticks, 10);
        let failed = in_parallel(&parts, &mut |_| {}, |units, _| {
            if units.contains(&4) {
                Err(Error::Tensor("unit 4".into()))
            } else {
                Ok(())
            }
        });
        assert!(failed.unwrap_err().to_string().contains("unit 4"));
    }
}
