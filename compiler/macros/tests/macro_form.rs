//! The macro form: a protocol written inside Rust runs like the same
//! protocol compiled from a `.rio` file; its diagnostics point at the right
//! tokens (compile-fail tests with checked-in `.stderr`).

use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

rio_macros::protocol! {
    // Bracha's reliable broadcast, as in spec/examples/bracha.rio.
    protocol Bracha<T>(nodes n, faults f, node sender) where n > 3 * f {
        in  bc: T at sender
        out dlvr[i]: T at i

        send = broadcast(bc) from sender
        for i in nodes {
            echo[i] = broadcast(send[i]) from i
            strong = quorum(n - f, echo[*][i]) at i
            weak = quorum(?, f + 1, ready[*][i]) at i
            ready[i] = broadcast(select(?, strong, weak)) from i
            dlvr[i] = quorum(n - f, ready[*][i]) at i
        }
    }
}

#[test]
fn macro_bracha_delivers_everywhere() {
    for n in [4, 7, 10] {
        let params = bracha::Params {
            n,
            f: (n - 1) / 3,
            sender: NodeId(0),
        };
        let nodes = (0..n)
            .map(|k| bracha::Node::<u64>::new(NodeId(k as u32), params.clone()).expect("params"))
            .collect();
        let mut c = Cluster::new(nodes);
        let mut honest = Cluster::<bracha::Node<u64>>::honest();
        c.input(NodeId(0), bracha::Input::Bc(9), &mut honest);
        c.run(u64::MAX, &mut honest);
        assert_eq!(c.outputs.len(), n);
        assert!(c.outputs.iter().all(|(_, o)| *o == bracha::Output::Dlvr(9)));
        assert_eq!(c.delivered, (n + 2 * n * n) as u64);
    }
}

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
