//! Instruction counts for the generated vs hand-written Bracha comparison,
//! immune to a noisy machine: run under callgrind with a fixed number of
//! broadcasts and compare the totals.
//!
//! ```text
//! cargo bench -p rio-examples --bench bracha_instr --no-run
//! valgrind --tool=callgrind target/release/deps/bracha_instr-* generated 16 200
//! valgrind --tool=callgrind target/release/deps/bracha_instr-* handwritten 16 200
//! ```
//! (`cargo bench -p rio-examples --bench bracha_instr` alone runs both once.)

use rio_examples::generated::bracha as gen;
use rio_examples::handwritten::bracha::Bracha;
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn id(k: usize) -> NodeId {
    NodeId(u32::try_from(k).unwrap_or(u32::MAX))
}

fn generated(n: usize) -> u64 {
    let params = gen::Params {
        n,
        f: (n - 1) / 3,
        sender: NodeId(0),
    };
    let mut c = Cluster::new(
        (0..n)
            .map(|k| gen::Node::new(id(k), params.clone()).unwrap_or_else(|e| panic!("{e}")))
            .collect::<Vec<_>>(),
    );
    let mut honest = Cluster::<gen::Node<u64>>::honest();
    c.input(NodeId(0), gen::Input::Bc(1), &mut honest);
    c.run(u64::MAX, &mut honest);
    c.delivered
}

fn handwritten(n: usize) -> u64 {
    let mut c = Cluster::new(
        (0..n)
            .map(|k| Bracha::new(id(k), n, (n - 1) / 3, NodeId(0)))
            .collect::<Vec<_>>(),
    );
    let mut honest = Cluster::<Bracha<u64>>::honest();
    c.input(NodeId(0), 1, &mut honest);
    c.run(u64::MAX, &mut honest);
    c.delivered
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let which = args.first().map_or("both", String::as_str);
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let reps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut total = 0;
    for _ in 0..reps {
        if which != "handwritten" {
            total += generated(n);
        }
        if which != "generated" {
            total += handwritten(n);
        }
    }
    println!("{which} n={n} reps={reps}: {total} deliveries");
}
