//! The Tendermint structure of the language reference, compiled and run:
//! in the good case every node decides the first leader's block at height 0.

use rio_examples::generated::tendermint::tendermint::{Input, Node, Output, Params};
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

#[test]
fn good_case_decides_the_first_leaders_block() {
    let n = 4;
    let params = Params { n, f: 1 };
    let mut c = Cluster::new(
        (0..n)
            .map(|k| Node::new(NodeId(k as u32), params.clone()).expect("params"))
            .collect::<Vec<_>>(),
    );
    let mut honest = Cluster::<Node>::honest();
    for k in 0..n {
        c.input(
            NodeId(k as u32),
            Input::Block {
                key: [0],
                value: 100 + k as u64,
            },
            &mut honest,
        );
    }
    // Rounds go on by timeouts forever; a bounded run covers the decision.
    c.run(2_000, &mut honest);
    let decisions: Vec<&(NodeId, Output)> = c
        .outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Decide { .. }))
        .collect();
    assert_eq!(decisions.len(), n, "{decisions:?}");
    assert!(
        decisions.iter().all(|(_, o)| *o
            == Output::Decide {
                key: [0],
                value: 100
            }),
        "{decisions:?}"
    );
}
