//! Simulation scenarios shared by the demo, the tests and the benchmarks.

use crate::generated::slots::slots;
use rio_runtime::NodeId;
use rio_sim::{Config, Fault, Report, Sim};

/// The slot sequence among 4 nodes with node 1 crashed from the start (its
/// slots are skipped by timeouts): nodes 0, 2 and 3 propose for slot 0, and
/// each decision starts the next slot, up to `slots` slots; runs for `ms`
/// simulated milliseconds (later slots are skipped by timeouts, so the run
/// ends only at `ms`).
pub fn slots_crashed_leader(seed: u64, slots: u64, ms: u64) -> Report {
    let params = slots::Params { n: 4, f: 1 };
    let cfg = Config::new(seed)
        .latency(1, 20)
        .max_time(ms)
        .max_steps(100_000_000)
        .fault(NodeId(1), Fault::Crash { at: 0 });
    let mut sim = Sim::new(4, cfg, move |id| {
        slots::Node::new(id, params.clone()).expect("valid parameters")
    });
    for k in [0u32, 2, 3] {
        sim.input_at(
            0,
            NodeId(k),
            slots::Input::Value {
                key: [0],
                value: u64::from(k),
            },
        );
    }
    sim.react(move |i, o| match o {
        slots::Output::Decided { key: [s], .. } if s.saturating_add(1) < slots => {
            Some(slots::Input::Value {
                key: [s + 1],
                value: (s + 1).saturating_mul(100).saturating_add(u64::from(i.0)),
            })
        }
        _ => None,
    });
    sim.run()
}
