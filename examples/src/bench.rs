//! Helpers shared by the network benchmark binaries.

use std::time::Duration;

/// `k` free TCP ports on loopback, found by binding (all bound at once, so
/// they are distinct).
pub fn free_ports(k: usize) -> Vec<u16> {
    let ls: Vec<std::net::TcpListener> = (0..k)
        .filter_map(|_| std::net::TcpListener::bind("127.0.0.1:0").ok())
        .collect();
    ls.iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.port())
        .collect()
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(k).copied().unwrap_or_default()
}
