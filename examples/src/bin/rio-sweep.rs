//! Sweeps seeds of Bracha (n = 4, equivocating sender, duplication), of
//! Ben-Or (`--protocol ben-or`), of HoneyBadgerBFT's asynchronous common
//! subset (`--protocol acs`), of Paxos with leader change (`--protocol
//! paxos`) or of PBFT with view change (`--protocol pbft`) in the simulator
//! on every core, checking
//! their properties; prints a summary (and a progress bar on a terminal).
//!
//! `cargo run --release -p rio-examples --bin rio-sweep -- [SEEDS] [--protocol ben-or|acs|paxos|paxos-log|multi-paxos|pbft|pbft-lax-null|pbft-lax-a1] [--aim MIN,MAX]`
//! (default 10000 seeds of Bracha). `pbft-lax-null` and `pbft-lax-a1` are
//! seeded bugs (they should fail); `--aim` adds delays aimed at choice
//! points to the PBFT runs (`rio_sim::Config::aim`).

use clap::Parser;
use rio_examples::generated::bracha::{Input, Node, Params};
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim};

/// Sweep seeds of a protocol in the simulator.
#[derive(Parser)]
#[command(name = "rio-sweep")]
struct Args {
    /// How many seeds (0..SEEDS) to run.
    #[arg(default_value_t = 10_000)]
    seeds: u64,
    /// Which protocol: Bracha (n = 4, equivocating sender, duplication) or
    /// Ben-Or (n = 4, a crash at a random time, random inputs).
    #[arg(long, value_enum, default_value_t = Protocol::Bracha)]
    protocol: Protocol,
    /// Ben-Or, Paxos and PBFT only: lose this share of messages and partition the nodes
    /// for the first 30 ms; termination is then not required (Ben-Or needs
    /// reliable links for it), agreement and validity are.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// PBFT only: delays aimed at choice points, `MIN,MAX` ms more for a
    /// correct message that feeds a live choice at its receiver.
    #[arg(long, value_parser = parse_aim)]
    aim: Option<(u64, u64)>,
}

fn parse_aim(s: &str) -> Result<(u64, u64), String> {
    let (lo, hi) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected MIN,MAX (milliseconds)"))?;
    let num = |x: &str| x.trim().parse::<u64>().map_err(|e| format!("`{x}`: {e}"));
    Ok((num(lo)?, num(hi)?))
}

/// A PBFT run of seed `seed` with build `$m` of the protocol (the correct
/// one or a seeded bug) and the sweep's loss and aimed delays.
macro_rules! pbft_run {
    ($m:path, $seed:expr, $loss:expr, $aim:expr) => {{
        use $m::{Input, Node, Output, Params};
        let mut setup = rio_examples::scenarios::pbft_setup($seed);
        setup.aim = $aim;
        rio_examples::scenarios::pbft_with(
            $seed,
            $loss,
            setup,
            |id, n, f| Node::new(id, Params { n, f }).expect("valid parameters"),
            Input::Request,
            |o| match o {
                Output::Decided { key: [view], value } => (*view, *value),
            },
        )
    }};
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Protocol {
    Bracha,
    BenOr,
    /// HoneyBadgerBFT's asynchronous common subset, n = 6, one faulty node.
    Acs,
    /// Single-decree Paxos with f + 1 ballots, n = 3 or 5, crashes
    /// (`--loss` for lossy links: safety only).
    Paxos,
    /// A replicated log of Paxos instances, 20 slots, n = 3 or 5, crashes.
    PaxosLog,
    /// Multi-Paxos with leader change, 3 chunks of 8 slots, n = 3 or 5,
    /// crashes (`--loss` for lossy links: safety only).
    MultiPaxos,
    /// PBFT with view change, n = 4 or 7, up to f faulty nodes (Byzantine
    /// or crashed), slow links in a quarter of the seeds (`--loss` for
    /// lossy links: safety only).
    Pbft,
    /// A seeded bug: PBFT with its fallback rule on `f + 1` reports.
    PbftLaxNull,
    /// A seeded bug: PBFT with condition A1 on `n - f - 1` reports.
    PbftLaxA1,
}

fn main() {
    let args = Args::parse();
    let seeds = args.seeds;
    let loss = args.loss.clamp(0.0, 1.0);
    let aim = args.aim;
    let (what, summary) = match args.protocol {
        Protocol::Paxos => (
            format!("Paxos, f + 1 ballots, n = 3 or 5, crashed nodes and leaders, loss {loss}, {seeds} seeds"),
            sweep(0..seeds, |seed| rio_examples::scenarios::paxos(seed, loss)),
        ),
        Protocol::PaxosLog => (
            format!("Paxos log, 20 slots, n = 3 or 5, crashed nodes and leaders, {seeds} seeds"),
            sweep(0..seeds, |seed| rio_examples::scenarios::paxos_log(seed, 20)),
        ),
        Protocol::MultiPaxos => (
            format!("Multi-Paxos, 3 chunks of 8 slots, n = 3 or 5, crashed nodes and leaders, loss {loss}, {seeds} seeds"),
            sweep(0..seeds, |seed| rio_examples::scenarios::multi_paxos(seed, 3, loss)),
        ),
        Protocol::Pbft => (
            format!("PBFT, n = 4 or 7, up to f faulty nodes (equivocating, splitting, two-faced, random, replaying, silent or crashed), slow links in a quarter, loss {loss}, aimed delays {aim:?}, {seeds} seeds"),
            sweep(0..seeds, |seed| pbft_run!(rio_examples::generated::pbft::pbft, seed, loss, aim)),
        ),
        Protocol::PbftLaxNull => (
            format!("PBFT with the fallback on f + 1 reports (a seeded bug), loss {loss}, aimed delays {aim:?}, {seeds} seeds"),
            sweep(0..seeds, |seed| pbft_run!(rio_examples::generated::pbft::lax_null::pbft, seed, loss, aim)),
        ),
        Protocol::PbftLaxA1 => (
            format!("PBFT with A1 on n - f - 1 reports (a seeded bug), loss {loss}, aimed delays {aim:?}, {seeds} seeds"),
            sweep(0..seeds, |seed| pbft_run!(rio_examples::generated::pbft::lax_a1::pbft, seed, loss, aim)),
        ),
        Protocol::Acs => (
            format!("ACS, n = 6, f = 1, one node equivocating, splitting, random, replaying, silent or crashed, {seeds} seeds"),
            sweep(0..seeds, rio_examples::scenarios::acs),
        ),
        Protocol::BenOr => (
            format!("Ben-Or, n = 4, a crash at a random time, random inputs, loss {loss}, {seeds} seeds"),
            sweep(0..seeds, |seed| {
                let mut r = rio_examples::scenarios::ben_or(seed, loss);
                if loss > 0.0
                    && r.violation
                        .as_ref()
                        .is_some_and(|v| v.property == "termination")
                {
                    r.violation = None;
                }
                r
            }),
        ),
        Protocol::Bracha => (
            format!("Bracha, n = 4, equivocating sender, {seeds} seeds"),
            sweep(0..seeds, bracha),
        ),
    };
    rio_examples::say!("{what}");
    rio_examples::say!("{}", summary.to_string().trim_end());
    if !summary.violations.is_empty() {
        std::process::exit(1);
    }
}

/// Bracha at n = 4 with an equivocating sender and duplication.
fn bracha(seed: u64) -> rio_sim::Report {
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
}
