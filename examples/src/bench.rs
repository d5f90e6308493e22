//! Helpers shared by the network benchmark binaries.

use rio_net::{keypair, NetConfig, PeerConfig};
use std::time::Duration;

/// The runtime the loopback tests and benches run nodes on: two worker
/// threads (the machines here have two cores), timers and I/O enabled.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a tokio runtime: {e}"))
}

/// Configs for an `n`-node cluster on loopback (fresh keys, free ports, no
/// trace); with `state_dir`, each node keeps durable state there.
pub fn loopback_cluster(n: usize, state_dir: Option<&std::path::Path>) -> Vec<NetConfig> {
    let ports = free_ports(n);
    let keys: Vec<(String, String)> = (0..n)
        .map(|_| keypair().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let addr = |k: usize| format!("127.0.0.1:{}", ports.get(k).copied().unwrap_or(0));
    (0..n)
        .map(|k| NetConfig {
            id: u32::try_from(k).unwrap_or(u32::MAX),
            listen: addr(k),
            private_key: keys.get(k).map(|p| p.0.clone()).unwrap_or_default(),
            trace: None,
            state: state_dir.map(|d| d.join(format!("node{k}.state")).display().to_string()),
            state_keep: None,
            peers: (0..n)
                .filter(|j| *j != k)
                .map(|j| PeerConfig {
                    id: u32::try_from(j).unwrap_or(u32::MAX),
                    addr: addr(j),
                    public_key: keys.get(j).map(|p| p.1.clone()).unwrap_or_default(),
                    signing_key: keys
                        .get(j)
                        .and_then(|p| rio_net::signing::signing_public_key(&p.0).ok()),
                })
                .collect(),
        })
        .collect()
}

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
