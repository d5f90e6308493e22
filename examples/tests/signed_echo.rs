//! Reiter's signed echo broadcast (`spec/examples/signed_echo.rio`) in the
//! simulator with symbolic signatures, beside the same protocol without
//! signatures (`examples/protocols/unsigned_echo.rio`).
//!
//! A Byzantine node signs only as itself, replays what it saw, and cannot
//! forge a correct node's signature (`rio_runtime::crypto`): with n = 4 and
//! f = 1 a lying sender can gather at most two correct signatures on each
//! of two values, one short of a certificate, so no two correct nodes
//! deliver different values. Without signatures the same sender splits
//! them.

use rio_examples::generated::echo::signed_echo::{Input, Message, Node, Output, Params};
use rio_examples::generated::echo::unsigned_echo as unsigned;
use rio_examples::properties::{agreement, totality};
use rio_runtime::crypto::{Signed, SYMBOLIC};
use rio_runtime::{Cert, Effects, Node as _, NodeId};
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim, View};

const N: usize = 4;
const SENDER: NodeId = NodeId(0);

fn params() -> Params {
    Params {
        n: N,
        f: 1,
        sender: SENDER,
    }
}

/// The Byzantine behaviour of a seed (all derived from the messages).
fn behaviour(seed: u64) -> Byzantine {
    match seed % 4 {
        0 if (seed / 4).is_multiple_of(2) => Byzantine::Split,
        0 => Byzantine::TwoFaced,
        1 => Byzantine::Equivocate,
        2 => Byzantine::Random { every: 3 },
        _ => Byzantine::Replay { every: 2 },
    }
}

/// Seed-chosen latencies and Byzantine behaviour of `byzantine`.
fn config(seed: u64, byzantine: NodeId) -> Config {
    Config::new(seed)
        .no_trace()
        .latency(1, 1 + seed % 30)
        .duplicate(0.05)
        .max_time(400)
        .fault(byzantine, Fault::Byzantine(behaviour(seed)))
}

fn sim(cfg: Config, value: u64) -> Sim<Node<u64>> {
    let mut s = Sim::new(N, cfg, |id| Node::new(id, params()).expect("params"));
    s.input_at(0, SENDER, Input::Bc(value));
    s.safety("agreement", agreement);
    s
}

#[test]
fn a_lying_sender_cannot_split_the_correct_nodes_over_10_000_seeds() {
    let delivering = std::sync::atomic::AtomicU64::new(0);
    let summary = sweep(0..10_000, |seed| {
        let r = sim(config(seed, SENDER), seed % 5).run();
        // The sender's own output aside, a correct node delivered.
        if r.outputs >= 2 {
            delivering.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    });
    let delivering = delivering.into_inner();
    eprintln!("Byzantine sender, signed: {summary}; correct nodes delivered in {delivering} runs");
    assert_eq!(summary.runs, 10_000);
    assert!(summary.violations.is_empty(), "{summary}");
    // Not vacuous: the lying sender still gets values through, only never
    // two different ones.
    assert!(delivering >= 2_000, "deliveries in only {delivering} runs");
}

#[test]
fn with_a_correct_sender_every_correct_node_delivers_its_value_over_10_000_seeds() {
    let summary = sweep(0..10_000, |seed| {
        // One Byzantine echoer, any of the others.
        let byz = NodeId(1 + (seed % 3) as u32);
        let value = 7 + seed % 3;
        let mut s = sim(config(seed, byz), value);
        s.eventually("totality", totality);
        s.eventually("validity", move |v: &View<'_, Node<u64>>| {
            let correct = v.correct_nodes().count();
            let good = v
                .correct_outputs()
                .filter(|(_, o)| **o == Output::Dlvr(value))
                .count();
            if good == correct {
                Ok(())
            } else {
                Err(format!(
                    "{good} of {correct} correct nodes delivered {value}"
                ))
            }
        });
        s.run()
    });
    eprintln!("Byzantine echoer, signed: {summary}");
    assert!(summary.violations.is_empty(), "{summary}");
}

#[test]
fn without_signatures_the_same_sender_splits_them() {
    let summary = sweep(0..1_000, |seed| {
        let mut s = Sim::new(N, config(seed, SENDER), |id| {
            unsigned::Node::new(
                id,
                unsigned::Params {
                    n: N,
                    f: 1,
                    sender: SENDER,
                },
            )
            .expect("params")
        });
        s.input_at(0, SENDER, unsigned::Input::Bc(seed % 5));
        s.safety("agreement", agreement);
        s.run()
    });
    eprintln!("Byzantine sender, unsigned: {summary}");
    assert!(
        summary.violations.len() >= 50,
        "the split was found in only {} of 1000 runs\n{summary}",
        summary.violations.len()
    );
}

/// Delivers `msg` from `from` to a fresh correct node 1 and returns what it
/// output and the evidence it recorded.
fn deliver(from: NodeId, msg: Message<u64>) -> (Vec<Output<u64>>, usize) {
    let mut node = Node::new(NodeId(1), params()).expect("params");
    let mut fx = Effects::default();
    node.on_start(&mut fx);
    fx.clear();
    node.on_message(from, msg, &mut fx);
    (fx.outputs.clone(), fx.evidence.len())
}

/// Signed echoes as correct nodes make them (purpose 0: the `echo` line).
fn echo(signer: u32, v: u64) -> Signed<u64> {
    Signed::sign(&SYMBOLIC, "SignedEcho", 0, &[], NodeId(signer), v).expect("signs")
}

#[test]
fn a_certificate_without_k_real_signers_is_refused() {
    // Three real signers on 5: delivered.
    let votes = [echo(0, 5), echo(2, 5), echo(3, 5)];
    let good = Cert::assemble(3, 0, &[], votes.iter()).expect("three signers");
    assert_eq!(
        deliver(SENDER, Message::Final(good)),
        (vec![Output::Dlvr(5)], 0)
    );
    // Two real signers are one short of n - f = 3.
    let short = Cert::assemble(2, 0, &[], votes.iter().take(2)).expect("two signers");
    assert_eq!(deliver(SENDER, Message::Final(short)), (vec![], 1));
    // A signature moved to another value, or to another signer, is no
    // signature: the sender's own signature on 6 and two on 5 do not make
    // a certificate on 6.
    let mixed = [echo(0, 6), echo(2, 6), echo(3, 5)];
    assert!(Cert::assemble(3, 0, &[], mixed.iter()).is_none());
    let json = serde_json::to_value(Cert::assemble(3, 0, &[], votes.iter()).expect("cert"))
        .expect("encodes");
    let mut forged = json.clone();
    forged["value"] = serde_json::json!(6);
    let forged: Cert<u64> = serde_json::from_value(forged).expect("decodes");
    assert_eq!(deliver(SENDER, Message::Final(forged)), (vec![], 1));
    // A signature for another purpose (a different protocol's) is refused.
    let other = Signed::sign(&SYMBOLIC, "Other", 0, &[], NodeId(2), 5u64).expect("signs");
    let mut node = Node::new(SENDER, params()).expect("params");
    let mut fx = Effects::default();
    node.on_start(&mut fx);
    fx.clear();
    node.on_message(NodeId(2), Message::Echo(other), &mut fx);
    assert_eq!(fx.evidence.len(), 1, "{fx:?}");
}

#[test]
fn certificates_of_f_plus_1_are_split_by_a_lying_sender() {
    use rio_examples::generated::echo::weak_signed_echo as weak;
    let summary = sweep(0..1_000, |seed| {
        let mut s = Sim::new(N, config(seed, SENDER), |id| {
            weak::Node::new(
                id,
                weak::Params {
                    n: N,
                    f: 1,
                    sender: SENDER,
                },
            )
            .expect("params")
        });
        s.input_at(0, SENDER, weak::Input::Bc(seed % 5));
        s.safety("agreement", agreement);
        s.run()
    });
    eprintln!("Byzantine sender, certificates of f + 1: {summary}");
    assert!(
        !summary.violations.is_empty(),
        "the adversary never assembled two certificates\n{summary}"
    );
}
