//! Sweeps seeds of Bracha (n = 4, equivocating sender, duplication) in the
//! simulator on every core, checking agreement and totality; prints a summary
//! (and a progress bar on a terminal).
//!
//! `cargo run --release -p rio-examples --bin rio-sweep [SEEDS]` (default 10000).

use clap::Parser;
use rio_examples::generated::bracha::{Input, Node, Params};
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim};

/// Sweep seeds of Bracha (n = 4, equivocating sender) in the simulator.
#[derive(Parser)]
#[command(name = "rio-sweep")]
struct Args {
    /// How many seeds (0..SEEDS) to run.
    #[arg(default_value_t = 10_000)]
    seeds: u64,
}

fn main() {
    let seeds = Args::parse().seeds;
    let summary = sweep(0..seeds, |seed| {
        let params = Params {
            n: 4,
            f: 1,
            sender: NodeId(0),
        };
        let cfg = Config::new(seed)
            .no_trace()
            .latency(1, 30)
            .duplicate(0.05)
            .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
        let mut sim = Sim::new(4, cfg, move |id| {
            Node::<u64>::new(id, params.clone()).expect("valid parameters")
        });
        sim.input_at(0, NodeId(0), Input::Bc(42));
        sim.safety("agreement", rio_examples::properties::agreement);
        sim.eventually("totality", rio_examples::properties::totality);
        sim.run()
    });
    rio_examples::say!("Bracha, n = 4, equivocating sender, {seeds} seeds");
    rio_examples::say!("{}", summary.to_string().trim_end());
    if !summary.violations.is_empty() {
        std::process::exit(1);
    }
}
