//! The README's main command: runs protocols compiled from `.rio` files
//! under faults in the in-memory driver and prints what happened.

use rio_examples::generated::bracha::{Input, Message, Node, Output, Params};
use rio_examples::generated::slots::slots;
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn bracha(n: usize, told_two: &dyn Fn(usize) -> bool, title: &str) {
    let f = (n - 1) / 3;
    let params = Params {
        n,
        f,
        sender: NodeId(0),
    };
    let nodes: Vec<Node<u64>> = (0..n)
        .map(|k| Node::new(NodeId(k as u32), params.clone()).expect("params"))
        .collect();
    let mut c = Cluster::new(nodes);
    let mut forged = 0;
    let mut equivocate = |from: NodeId, to: NodeId, m: &Message<u64>| match m {
        Message::Send(_) if from == NodeId(0) => {
            let v = if told_two(to.index()) { 2 } else { 1 };
            forged += usize::from(v == 2);
            Some(Message::Send(v))
        }
        other => Some(other.clone()),
    };
    c.input(NodeId(0), Input::Bc(1), &mut equivocate);
    c.run(u64::MAX, &mut equivocate);
    println!("Bracha, n = {n}, f = {f}: {title}");
    println!("  messages delivered: {}", c.delivered);
    for k in 1..n {
        let got: Vec<String> = c
            .outputs
            .iter()
            .filter(|(id, _)| id.index() == k)
            .map(|(_, o)| match o {
                Output::Dlvr(v) => v.to_string(),
            })
            .collect();
        let told = if told_two(k) { 2 } else { 1 };
        println!(
            "  node {k} (told {told}): {}",
            if got.is_empty() {
                "no delivery".to_string()
            } else {
                format!("delivered {}", got.join(", "))
            }
        );
    }
    let values: std::collections::BTreeSet<String> = c
        .outputs
        .iter()
        .filter(|(id, _)| id.0 != 0)
        .map(|(_, o)| format!("{o:?}"))
        .collect();
    println!(
        "  agreement among correct nodes: {}",
        if values.len() <= 1 { "yes" } else { "VIOLATED" }
    );
}

fn slots_with_crashed_leader() {
    let n = 4;
    let params = slots::Params { n, f: 1 };
    let nodes: Vec<slots::Node> = (0..n)
        .map(|k| slots::Node::new(NodeId(k as u32), params.clone()).expect("params"))
        .collect();
    let mut c = Cluster::new(nodes);
    c.crash(NodeId(1));
    let total = 8u64;
    let last = std::cell::Cell::new(0);
    let mut honest = Cluster::<slots::Node>::honest();
    let mut react = |i: NodeId, o: &slots::Output| match o {
        slots::Output::Decided { key: [s], .. } if s + 1 < total => Some(slots::Input::Value {
            key: [s + 1],
            value: (s + 1) * 100 + u64::from(i.0),
        }),
        slots::Output::Decided { .. } => {
            last.set(last.get() + 1);
            None
        }
    };
    for k in [0u32, 2, 3] {
        c.input_reactive(
            NodeId(k),
            slots::Input::Value {
                key: [0],
                value: u64::from(k),
            },
            &mut honest,
            &mut react,
        );
    }
    while last.get() < 3 && c.run_reactive(10, &mut honest, &mut react) > 0 {}
    println!("Slots, n = 4, rotating leader, node 1 crashed:");
    for s in 0..total {
        let o = c.outputs.iter().find(|(id, o)| {
            id.0 == 0 && matches!(o, slots::Output::Decided { key: [k], .. } if *k == s)
        });
        let text = match o {
            Some((_, slots::Output::Decided { value: Some(v), .. })) => format!("decided {v}"),
            Some((_, slots::Output::Decided { value: None, .. })) => {
                "skipped by timeout".to_string()
            }
            None => "undecided".to_string(),
        };
        println!("  slot {s} (leader {}): {text}", s % 4);
    }
    println!(
        "  virtual time: {} ms, messages delivered: {}, timers fired: {}",
        c.now, c.delivered, c.fired
    );
}

fn main() {
    bracha(
        4,
        &|k| k == 1,
        "equivocating sender (tells node 1 a different value)",
    );
    bracha(
        4,
        &|k| k % 2 == 1,
        "equivocating sender (splits the nodes in half)",
    );
    slots_with_crashed_leader();
}
