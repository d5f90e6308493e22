//! Seed sweeps: the same simulation under thousands of seeds, in parallel
//! across cores, with a progress bar and a summary.

use crate::Report;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The outcome of a sweep.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub runs: u64,
    /// `(seed, property, detail)` of every violating run, by seed.
    pub violations: Vec<(u64, String, String)>,
    /// The slowest run: its seed and wall time.
    pub slowest: Option<(u64, Duration)>,
    /// Simulated steps, summed over runs.
    pub steps: u64,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "runs: {}, violations: {}, steps: {}, wall time: {:.2?}",
            self.runs,
            self.violations.len(),
            self.steps,
            self.elapsed
        )?;
        if let Some((seed, d)) = self.slowest {
            writeln!(f, "slowest run: seed {seed} ({d:.2?})")?;
        }
        for (seed, p, d) in self.violations.iter().take(10) {
            writeln!(f, "  seed {seed}: {p}: {d} (replay with RIO_SEED={seed})")?;
        }
        Ok(())
    }
}

/// Runs `run(seed)` for every seed, on every core. The progress bar is
/// drawn only on a terminal.
pub fn sweep<F>(seeds: Range<u64>, run: F) -> Summary
where
    F: Fn(u64) -> Report + Sync,
{
    let start = Instant::now();
    let total = seeds.end.saturating_sub(seeds.start);
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    let next = AtomicU64::new(seeds.start);
    let result = Mutex::new(Summary::default());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= seeds.end {
                    break;
                }
                let t = Instant::now();
                let report = run(seed);
                let took = t.elapsed();
                if let Ok(mut sum) = result.lock() {
                    sum.runs += 1;
                    sum.steps += report.steps;
                    if sum.slowest.is_none_or(|(_, d)| took > d) {
                        sum.slowest = Some((seed, took));
                    }
                    if let Some(v) = report.violation {
                        sum.violations.push((seed, v.property, v.detail));
                    }
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let mut sum = result.into_inner().unwrap_or_default();
    sum.violations.sort();
    sum.elapsed = start.elapsed();
    sum
}
