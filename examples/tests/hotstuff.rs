//! Basic HotStuff (`spec/examples/hotstuff.rio`) in the simulator with
//! symbolic signatures: quorum certificates, view change through the
//! highest certificate, and a timeout pacemaker.
//!
//! n = 4, f = 1. Every node proposes its own block (100 + its id). Over
//! 10,000 seeds one node is faulty — which one, and how, from the seed:
//! split, equivocating, random or replaying Byzantine (a Byzantine leader
//! of its view equivocates its proposal and relays forged certificates), or
//! crashed at a random time — with latencies from 1 ms up to 50 ms and
//! duplicated messages. Agreement: no two correct nodes decide differently;
//! termination: every correct node decides (the pacemaker moves past a
//! faulty leader).

use rio_examples::generated::hotstuff::hot_stuff::{Input, Node, Output, Params};
use rio_examples::properties::agreement;
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim, View};

const N: usize = 4;

fn params() -> Params {
    Params { n: N, f: 1 }
}

/// Every correct node has decided.
fn all_decided(v: &View<'_, Node>) -> bool {
    let decided: std::collections::BTreeSet<NodeId> = v.correct_outputs().map(|(k, _)| k).collect();
    v.correct_nodes().all(|k| decided.contains(&k))
}

fn sim(cfg: Config) -> Sim<Node> {
    let mut s = Sim::new(N, cfg, |id| Node::new(id, params()).expect("params"));
    for i in 0..N as u32 {
        s.input_at(0, NodeId(i), Input::Block(100 + u64::from(i)));
    }
    s.safety("agreement", agreement);
    s.stop_when(all_decided);
    s
}

/// The fault of a seed: one Byzantine node, or (every fifth seed) a crash.
fn faults(seed: u64) -> Config {
    let node = NodeId((seed / 5 % 4) as u32);
    let fault = match seed % 5 {
        0 if (seed / 20).is_multiple_of(2) => Fault::Byzantine(Byzantine::Split),
        0 => Fault::Byzantine(Byzantine::TwoFaced),
        1 => Fault::Byzantine(Byzantine::Equivocate),
        2 => Fault::Byzantine(Byzantine::Random { every: 7 }),
        3 => Fault::Byzantine(Byzantine::Replay { every: 5 }),
        _ => Fault::Crash {
            at: seed / 20 % 200,
        },
    };
    Config::new(seed)
        .no_trace()
        .latency(1, 1 + seed % 50)
        .duplicate(0.05)
        .max_time(60_000)
        .fault(node, fault)
}

#[test]
fn the_good_case_decides_the_first_leaders_block_in_view_0() {
    let mut s = sim(Config::new(1).latency(1, 10).max_time(60_000));
    let r = s.run();
    r.assert_ok();
    let outs = s.outputs();
    assert_eq!(outs.len(), N, "{outs:?}");
    for (t, _, o) in outs {
        assert_eq!(*o, Output::Decide(100));
        assert!(*t < 4_000, "decided in view 0, at {t} ms");
    }
}

#[test]
fn a_byzantine_leader_or_replica_never_splits_the_decision_over_10_000_seeds() {
    let summary = sweep(0..10_000, |seed| {
        let mut s = sim(faults(seed));
        s.eventually("termination", |v: &View<'_, Node>| {
            if all_decided(v) {
                Ok(())
            } else {
                Err("a correct node never decided".into())
            }
        });
        s.run()
    });
    eprintln!("HotStuff, one faulty node: {summary}");
    assert_eq!(summary.runs, 10_000);
    assert!(summary.violations.is_empty(), "{summary}");
}

#[test]
fn a_silent_leader_is_passed_by_the_pacemaker() {
    // Node 0 leads view 0 and says nothing: view 1's leader decides.
    let cfg = Config::new(3)
        .latency(1, 10)
        .max_time(60_000)
        .fault(NodeId(0), Fault::Byzantine(Byzantine::Silent));
    let mut s = sim(cfg);
    s.run().assert_ok();
    let outs: Vec<_> = s.outputs().iter().filter(|(_, k, _)| k.0 != 0).collect();
    assert_eq!(outs.len(), 3, "{outs:?}");
    for (t, _, o) in outs {
        assert_eq!(*o, Output::Decide(101));
        assert!((4_000..8_000).contains(t), "decided in view 1, at {t} ms");
    }
}
