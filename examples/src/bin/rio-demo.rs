//! The README's main command: simulates protocols compiled from `.rio` files
//! under faults in the deterministic simulator, prints what happened, and
//! writes the trace (JSON lines), a static sequence diagram (SVG) and the
//! interactive trace viewer (HTML) of each run.
//!
//! `cargo run -p rio-examples --bin rio-demo [SEED]` (default seed 1; the
//! same seed prints and writes the same thing, byte for byte).

use rio_examples::generated::bracha::{Input, Node, Output, Params};
use rio_runtime::NodeId;
use rio_sim::{Byzantine, Config, Fault, Report, Sim};
use std::path::Path;

fn write(dir: &Path, name: &str, title: &str, report: &Report) {
    let _ = std::fs::create_dir_all(dir);
    let files = [
        (format!("{name}.svg"), report.diagram(title)),
        (format!("{name}.html"), report.viewer(title)),
        (format!("{name}.trace.jsonl"), report.trace_jsonl()),
    ];
    for (file, text) in files {
        let path = dir.join(file);
        match std::fs::write(&path, text) {
            Ok(()) => rio_examples::say!("  wrote {}", path.display()),
            Err(e) => eprintln!("  cannot write {}: {e}", path.display()),
        }
    }
}

/// Bracha among 4 nodes with `fault` on `faulty`, described by `what`.
fn bracha(seed: u64, dir: &Path, name: &str, faulty: NodeId, fault: Fault, what: &str) {
    let n = 4;
    let params = Params {
        n,
        f: 1,
        sender: NodeId(0),
    };
    let cfg = Config::new(seed)
        .latency(1, 20)
        .duplicate(0.1)
        .fault(faulty, fault);
    let mut sim = Sim::new(n, cfg, move |id| {
        Node::<u64>::new(id, params.clone()).expect("valid parameters")
    });
    sim.input_at(0, NodeId(0), Input::Bc(42));
    sim.safety("agreement", rio_examples::properties::agreement);
    sim.eventually("totality", rio_examples::properties::totality);
    let report = sim.run();
    rio_examples::say!("Bracha's reliable broadcast, n = 4, f = 1, seed {seed}");
    rio_examples::say!("  {what}");
    rio_examples::say!("  latency 1-20 ms, 10% of messages duplicated");
    rio_examples::say!(
        "  {} steps, {} ms simulated, {} messages delivered, {} dropped",
        report.steps,
        report.time,
        report.delivered,
        report.dropped
    );
    let evidence = report
        .trace
        .iter()
        .filter(|e| matches!(e.kind, rio_sim::Kind::Evidence { .. }))
        .count();
    rio_examples::say!("  evidence of faulty peers recorded by correct nodes: {evidence}");
    for k in (0..n).filter(|k| NodeId(*k as u32) != faulty) {
        let outs: Vec<String> = report
            .trace
            .iter()
            .filter_map(|e| match &e.kind {
                rio_sim::Kind::Output { node, output, .. } if *node as usize == k => {
                    Some(format!("{output} at {} ms", e.t))
                }
                _ => None,
            })
            .collect();
        rio_examples::say!(
            "  node {k}: {}",
            if outs.is_empty() {
                "did not deliver".to_string()
            } else {
                outs.join(", ")
            }
        );
    }
    match &report.violation {
        None => rio_examples::say!(
            "  agreement and totality hold: correct nodes deliver the same value, all or none"
        ),
        Some(v) => rio_examples::say!(
            "  VIOLATION of {}: {} (replay: {})",
            v.property,
            v.detail,
            report.replay_command()
        ),
    }
    let _ = Output::<u64>::Dlvr;
    write(
        dir,
        name,
        &format!("Bracha, n = 4, {what}, seed {seed}"),
        &report,
    );
}

fn slots_crashed_leader(seed: u64, dir: &Path) {
    let total = 8;
    let report = rio_examples::scenarios::slots_crashed_leader(seed, total, 5_000);
    rio_examples::say!(
        "Slot sequence, n = 4, rotating leader, node 1 crashed from the start, seed {seed}"
    );
    for s in 0..total {
        let decided = report.trace.iter().find_map(|e| match &e.kind {
            rio_sim::Kind::Output {
                node: 0, output, ..
            } if output.contains(&format!("key: [{s}]")) => Some((e.t, output.clone())),
            _ => None,
        });
        let text = match decided {
            Some((t, o)) if o.contains("None") => format!("skipped by the timeout at {t} ms"),
            Some((t, o)) => format!("{o} at {t} ms"),
            None => "undecided".into(),
        };
        rio_examples::say!("  slot {s} (leader {}): {text}", s % 4);
    }
    write(
        dir,
        "slots",
        &format!("Slot sequence, node 1 crashed, seed {seed}"),
        &report,
    );
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let dir = Path::new("target").join("rio-demo");
    bracha(
        seed,
        &dir,
        "bracha-equivocating",
        NodeId(0),
        Fault::Byzantine(Byzantine::Equivocate),
        "node 0 (the sender) is Byzantine: it equivocates, sending each node a different forged value",
    );
    rio_examples::say!();
    bracha(
        seed,
        &dir,
        "bracha-crash",
        NodeId(3),
        Fault::Crash { at: 5 },
        "node 3 crashes at 5 ms; the sender is correct",
    );
    rio_examples::say!();
    slots_crashed_leader(seed, &dir);
}
