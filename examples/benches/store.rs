//! The durable log (`rio_net::Durable`: an append-only file, one
//! `fdatasync` per batch) beside an embedded store from a well-kept crate
//! (redb 2, a copy-on-write B-tree, committed with its default immediate
//! durability), on the same records and batches: what a durable node writes
//! per group commit. The issue asked for the store unless the log measured
//! better; this is the measurement.
//!
//! `cargo bench -p rio-examples --bench store -- [BATCHES] [RECORDS]`
//! (defaults 2000 batches of 8 records). Prints the median and p90 time per
//! durable batch of each and the ratio, from one run.

use redb::{Database, TableDefinition};
use rio_net::Durable;
use std::time::{Duration, Instant};

const SENT: TableDefinition<(&str, u64, u32), &[u8]> = TableDefinition::new("sent");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(k).copied().unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let batches: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let records: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(8);
    let dir = std::env::temp_dir().join(format!("rio-storebench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    // A message as the network runtime encodes it: about 40 bytes.
    let msg = [7u8; 40];

    let (mut log, _) = Durable::open(&dir.join("node.state")).unwrap_or_else(|e| panic!("{e}"));
    let mut log_times = Vec::new();
    for b in 0..batches {
        let t = Instant::now();
        for r in 0..records {
            let key = [b * records + r];
            log.send("echo", &key, None, &msg)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        log.sync().unwrap_or_else(|e| panic!("{e}"));
        log_times.push(t.elapsed());
    }

    let db = Database::create(dir.join("node.redb")).unwrap_or_else(|e| panic!("{e}"));
    let mut db_times = Vec::new();
    for b in 0..batches {
        let t = Instant::now();
        let tx = db.begin_write().unwrap_or_else(|e| panic!("{e}"));
        {
            let mut table = tx.open_table(SENT).unwrap_or_else(|e| panic!("{e}"));
            for r in 0..records {
                table
                    .insert(("echo", b * records + r, u32::MAX), msg.as_slice())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        tx.commit().unwrap_or_else(|e| panic!("{e}"));
        db_times.push(t.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);

    log_times.sort();
    db_times.sort();
    let (l50, l90) = (percentile(&log_times, 0.5), percentile(&log_times, 0.9));
    let (d50, d90) = (percentile(&db_times, 0.5), percentile(&db_times, 0.9));
    println!(
        "{batches} batches of {records} records ({} B each), one durable commit per batch:",
        msg.len()
    );
    println!("  rio_net::Durable (append + fdatasync): p50 {l50:?}, p90 {l90:?}");
    println!("  redb 2 (write transaction, commit):    p50 {d50:?}, p90 {d90:?}");
    println!(
        "  redb / log: {:.2}x at p50, {:.2}x at p90",
        d50.as_secs_f64() / l50.as_secs_f64().max(1e-9),
        d90.as_secs_f64() / l90.as_secs_f64().max(1e-9)
    );
}
