//! Generated Bracha in the deterministic simulator: agreement, validity and
//! totality under Byzantine senders (derived from the message types), crashes,
//! partitions, loss and duplication; byte-identical traces per seed; a
//! violation reports its seed and replay command; a 10,000-seed sweep.

use rio_examples::generated::bracha::{Input, Node, Output, Params};
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Report, Sim, View};

type B = Node<u64>;

fn sim(n: usize, cfg: Config) -> Sim<B> {
    let params = Params {
        n,
        f: (n - 1) / 3,
        sender: NodeId(0),
    };
    let mut s = Sim::new(n, cfg, move |id| {
        Node::new(id, params.clone()).expect("valid params")
    });
    s.input_at(0, NodeId(0), Input::Bc(42));
    s.safety("agreement", agreement);
    s
}

fn agreement(v: &View<'_, B>) -> Result<(), String> {
    let mut first: Option<&Output<u64>> = None;
    for (id, o) in v.correct_outputs() {
        match first {
            None => first = Some(o),
            Some(f) if f != o => {
                return Err(format!("node {} delivered {o:?}, another {f:?}", id.0))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// If the sender is correct, every correct node delivers its value.
fn validity(v: &View<'_, B>) -> Result<(), String> {
    for id in v.correct_nodes() {
        let got: Vec<&Output<u64>> = v
            .correct_outputs()
            .filter(|(k, _)| *k == id)
            .map(|(_, o)| o)
            .collect();
        if got != [&Output::Dlvr(42)] {
            return Err(format!("node {} delivered {got:?}", id.0));
        }
    }
    Ok(())
}

/// If one correct node delivers, every correct node delivers.
fn totality(v: &View<'_, B>) -> Result<(), String> {
    let delivered: Vec<NodeId> = v.correct_outputs().map(|(k, _)| k).collect();
    let correct: Vec<NodeId> = v.correct_nodes().collect();
    if !delivered.is_empty() && delivered.len() != correct.len() {
        return Err(format!(
            "{} of {} correct nodes delivered",
            delivered.len(),
            correct.len()
        ));
    }
    Ok(())
}

#[test]
fn correct_sender_under_crash_duplication_and_reordering() {
    for seed in 0..50 {
        let cfg = Config::new(seed)
            .seed_from_env()
            .latency(1, 50)
            .duplicate(0.2)
            .fault(NodeId(3), Fault::Crash { at: 5 });
        let mut s = sim(4, cfg);
        s.eventually("validity", validity);
        s.run().assert_ok();
    }
}

#[test]
fn equivocating_sender_keeps_agreement_and_totality() {
    for seed in 0..200 {
        let cfg = Config::new(seed)
            .seed_from_env()
            .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
        let mut s = sim(4, cfg);
        s.eventually("totality", totality);
        s.run().assert_ok();
    }
}

#[test]
fn random_and_replaying_byzantine_nodes_keep_agreement() {
    for seed in 0..50 {
        for b in [
            Byzantine::Random { every: 3 },
            Byzantine::Replay { every: 2 },
            Byzantine::Silent,
        ] {
            let cfg = Config::new(seed)
                .seed_from_env()
                .max_time(2_000)
                .fault(NodeId(2), Fault::Byzantine(b));
            let mut s = sim(7, cfg);
            s.eventually("validity", validity);
            s.run().assert_ok();
        }
    }
}

#[test]
fn partition_that_heals_and_loss_keep_agreement() {
    for seed in 0..50 {
        let groups = vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2), NodeId(3)]];
        let cfg = Config::new(seed)
            .seed_from_env()
            .loss(0.05)
            .partition(0, 30, groups)
            .fault(
                NodeId(3),
                Fault::CrashRestart {
                    at: 10,
                    restart: 40,
                },
            );
        let mut s = sim(4, cfg);
        s.run().assert_ok();
    }
}

#[test]
fn same_seed_gives_the_same_trace_byte_for_byte() {
    let run = |seed| {
        let cfg = Config::new(seed)
            .latency(1, 20)
            .duplicate(0.1)
            .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
        sim(4, cfg).run().trace_jsonl()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(
        run(7),
        run(8),
        "different seeds explore different schedules"
    );
}

#[test]
fn a_violation_reports_step_seed_replay_command_and_diagram() {
    let cfg = Config::new(5);
    let mut s = sim(4, cfg);
    s.safety("nobody delivers", |v| match v.outputs.first() {
        Some((_, id, o)) => Err(format!("node {} output {o:?}", id.0)),
        None => Ok(()),
    });
    let report = s.run();
    let v = report.violation.clone().expect("violated");
    assert_eq!(v.property, "nobody delivers");
    assert!(
        v.step > 0 && report.steps == v.step,
        "the run stopped at the violating step"
    );
    let panic = std::panic::catch_unwind(|| report.assert_ok()).expect_err("assert_ok panics");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("seed: 5"), "{text}");
    assert!(text.contains("RIO_SEED=5 cargo test"), "{text}");
    assert!(text.contains("rio-sim-5.html"), "{text}");
}

#[test]
fn trace_and_diagram_snapshots() {
    let cfg = Config::new(1)
        .latency(1, 5)
        .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
    let report: Report = sim(4, cfg).run();
    insta::assert_snapshot!("bracha_equivocating_trace", report.trace_jsonl());
    insta::assert_snapshot!(
        "bracha_equivocating_diagram",
        report.diagram("Bracha, n = 4, equivocating sender, seed 1")
    );
}

#[test]
fn sweep_of_10_000_seeds_finds_no_violation() {
    let summary = sweep(0..10_000, |seed| {
        let cfg = Config::new(seed)
            .no_trace()
            .latency(1, 30)
            .duplicate(0.05)
            .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
        let mut s = sim(4, cfg);
        s.eventually("totality", totality);
        s.run()
    });
    assert_eq!(summary.runs, 10_000);
    assert!(summary.violations.is_empty(), "{summary}");
}

/// Traces carry each delivered message as structured JSON beside its
/// printed form (issue: structured values in traces).
#[test]
fn trace_deliveries_carry_structured_values() {
    let r = sim(4, Config::new(3).latency(1, 10)).run();
    let echo = r
        .trace
        .iter()
        .find_map(|e| match &e.kind {
            rio_sim::Kind::Deliver { msg, value, .. } if msg == "Echo(42)" => value.clone(),
            _ => None,
        })
        .expect("an echo was delivered");
    assert_eq!(echo, serde_json::json!({ "Echo": 42 }));
    // And it survives the JSON-lines round trip.
    let back = rio_runtime::trace::from_jsonl(&r.trace_jsonl()).expect("parses");
    assert_eq!(back, r.trace);
}

/// Inputs and outputs trace as structured JSON where their type is
/// `Serialize`, and as their printed form only where it is not.
mod values {
    /// A type that is not `Serialize`: outputs of it still trace.
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct Opaque(pub u64);

    pub fn wrap(v: u64) -> Opaque {
        Opaque(v)
    }

    rio_macros::protocol! {
        fn wrap(v: u64) -> Opaque;

        protocol Values(nodes n, faults f) where n > 3 * f {
            in  put[s][i]: u64 at i
            out plain[s][i]: u64 at i
            out opaque[s][i]: Opaque at i

            for s in 0.. {
                for i in nodes {
                    plain[s][i] = put[s][i] at i
                    opaque[s][i] = wrap(put[s][i]) at i
                }
            }
        }
    }
}

#[test]
fn inputs_and_outputs_trace_as_structured_json_where_serializable() {
    use values::values::{Input, Node, Params};
    let mut sim = Sim::new(4, Config::new(1), |id| {
        Node::new(id, Params { n: 4, f: 1 }).expect("params")
    });
    sim.input_at(
        0,
        NodeId(2),
        Input::Put {
            key: [7],
            value: 42,
        },
    );
    let report = sim.run();
    let lines: Vec<String> = report
        .trace
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    assert_eq!(
        lines,
        [
            r#"{"step":1,"t":0,"event":"input","node":2,"input":"Put { key: [7], value: 42 }","value":42,"line":"put","key":[7]}"#,
            r#"{"step":1,"t":0,"event":"output","node":2,"output":"Plain { key: [7], value: 42 }","value":42,"line":"plain","key":[7]}"#,
            r#"{"step":1,"t":0,"event":"output","node":2,"output":"Opaque { key: [7], value: Opaque(42) }","line":"opaque","key":[7]}"#,
        ]
    );
    assert_eq!(
        rio_runtime::trace::from_jsonl(&report.trace_jsonl()).expect("parses"),
        report.trace
    );
}

/// A simulator run replays along its own trace (`Config::replay`): with
/// duplication, loss, an equivocating sender's forged messages, a crash
/// and restart, and an input after time 0, the replay delivers the same
/// messages in the same order, gives the same outputs and does not diverge.
#[test]
fn a_simulator_trace_replays_in_the_simulator() {
    let params = Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    let mut replayed = 0;
    for seed in 0..300 {
        let cfg = |c: Config| {
            c.fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate))
                .fault(NodeId(2), Fault::CrashRestart { at: 3, restart: 9 })
        };
        let p = params.clone();
        let mut sim = Sim::new(
            4,
            cfg(Config::new(seed).latency(1, 10).duplicate(0.2).loss(0.1)),
            move |id| Node::<u64>::new(id, p.clone()).expect("params"),
        );
        sim.input_at(5, NodeId(0), Input::Bc(42));
        let original = sim.run();
        let p = params.clone();
        let mut again = Sim::new(
            4,
            cfg(Config::new(0)).replay(original.trace.clone()),
            move |id| Node::<u64>::new(id, p.clone()).expect("params"),
        );
        again.input_at(5, NodeId(0), Input::Bc(42));
        let report = again.run();
        if report.diverged.is_some() && std::env::var("RIO_DEBUG").is_ok() {
            eprintln!("ORIGINAL\n{}", original.trace_jsonl());
            eprintln!("REPLAY\n{}", report.trace_jsonl());
        }
        assert_eq!(report.diverged, None, "seed {seed}");
        let deliveries = |t: &[rio_sim::TraceEvent]| -> Vec<(u32, u32, String)> {
            t.iter()
                .filter_map(|e| match &e.kind {
                    rio_sim::Kind::Deliver { from, to, msg, .. } => Some((*from, *to, msg.clone())),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            deliveries(&report.trace),
            deliveries(&original.trace),
            "seed {seed}"
        );
        replayed += 1;
    }
    assert_eq!(replayed, 300);
}

/// A replay script is input (read from disk, perhaps edited): one that
/// names a node the run does not have is refused with the step, before any
/// node is made or called for it.
#[test]
fn a_script_naming_a_missing_node_is_refused() {
    let params = Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    for kind in [
        rio_sim::Kind::Fault {
            node: 9,
            fault: "restart".into(),
        },
        rio_sim::Kind::Timer { node: 4, id: 0 },
        rio_sim::Kind::Deliver {
            from: 7,
            to: 1,
            msg: "Send(1)".into(),
            sent_at: 0,
            sent_step: None,
            value: Some(serde_json::json!({ "Send": 1 })),
            slot: None,
            forged: false,
        },
    ] {
        let script = vec![rio_sim::TraceEvent {
            step: 3,
            t: 1,
            kind,
        }];
        let p = params.clone();
        let mut sim = Sim::new(4, Config::new(0).replay(script), move |id| {
            // A node id outside 0..4 would be refused by the parameters.
            Node::<u64>::new(id, p.clone()).expect("a node of the run")
        });
        let report = sim.run();
        let why = report.diverged.expect("refused");
        assert!(
            why.starts_with("step 3 of the script: node ")
                && why.ends_with("is not one of the 4 nodes"),
            "{why}"
        );
    }
}
