//! The hand-written Bracha baseline runs to delivery in the in-memory
//! driver, and a Byzantine sender that equivocates cannot make two correct
//! nodes deliver different values.

use rio_examples::handwritten::bracha::{Bracha, Message};
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn cluster(n: usize) -> Cluster<Bracha<u64>> {
    let f = (n - 1) / 3;
    Cluster::new(
        (0..n)
            .map(|k| Bracha::new(NodeId(k as u32), n, f, NodeId(0)))
            .collect(),
    )
}

#[test]
fn all_correct_nodes_deliver_the_senders_value() {
    for n in [4, 7, 10] {
        let mut c = cluster(n);
        let mut honest = Cluster::<Bracha<u64>>::honest();
        c.input(NodeId(0), 42, &mut honest);
        c.run(u64::MAX, &mut honest);
        assert_eq!(c.outputs.len(), n, "n = {n}");
        assert!(c.outputs.iter().all(|(_, v)| *v == 42));
        // SEND n + ECHO n^2 + READY n^2 messages.
        assert_eq!(c.delivered, (n + 2 * n * n) as u64);
    }
}

#[test]
fn equivocating_sender_cannot_split_correct_nodes() {
    for n in [4, 7, 10] {
        let mut c = cluster(n);
        // The sender (node 0) tells half the nodes 1 and the other half 2.
        let mut equivocate = |from: NodeId, to: NodeId, m: &Message<u64>| match m {
            Message::Send(_) if from == NodeId(0) => {
                Some(Message::Send(if to.index().is_multiple_of(2) {
                    1
                } else {
                    2
                }))
            }
            other => Some(other.clone()),
        };
        c.input(NodeId(0), 0, &mut equivocate);
        c.run(u64::MAX, &mut equivocate);
        let values: std::collections::BTreeSet<u64> = c
            .outputs
            .iter()
            .filter(|(id, _)| id.0 != 0)
            .map(|(_, v)| *v)
            .collect();
        assert!(
            values.len() <= 1,
            "n = {n}: correct nodes delivered {values:?}"
        );
    }
}
