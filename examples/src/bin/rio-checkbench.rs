//! Measures the model checker's parallel search (`Model::threads`)
//! against its one-threaded search in one run: Bracha with two Byzantine
//! voters (ECHO 2, READY 2) at n = 4 with one, or at n = 7 with two
//! (`--large`), checked RUNS times (default 3) on 1 thread and on every
//! core, alternating, breadth-first (the deterministic level-by-level
//! search) or depth-first with `--dfs` (threads sharing a fingerprint
//! set); prints the states, the wall times, and the median speed-up.
//!
//! `cargo run --release -p rio-examples --bin rio-checkbench [RUNS] [--large] [--dfs]`

use clap::Parser;
use rio_check::{Model, Outcome, Search, View};
use rio_examples::generated::bracha::{Input, Message, Node, Params};
use rio_runtime::NodeId;

/// Measure the model checker on 1 thread and on every core.
#[derive(Parser)]
#[command(name = "rio-checkbench")]
struct Args {
    /// Runs of each.
    #[arg(default_value_t = 3)]
    runs: usize,
    /// n = 7 with two Byzantine voters instead of n = 4 with one (321,641
    /// states). Since the unsound "lowest node only" search was retired,
    /// n = 7 does not finish within the 10-minute bound.
    #[arg(long)]
    large: bool,
    /// Depth-first search (on several threads: a shared fingerprint set)
    /// instead of breadth-first (level by level).
    #[arg(long)]
    dfs: bool,
}

fn agreement(v: &View<'_, rio_examples::generated::bracha::Output<u64>>) -> Result<(), String> {
    let mut seen = None;
    for (_, o) in v.correct_outputs() {
        match seen {
            Some(s) if s != o => return Err(format!("{o:?} and {s:?}")),
            _ => seen = Some(o),
        }
    }
    Ok(())
}

fn check(n: usize, threads: usize, search: Search) -> Outcome {
    let params = Params {
        n,
        f: (n - 1) / 3,
        sender: NodeId(0),
    };
    let mut m = Model::new(n, move |id| {
        Node::<u64>::new(id, params.clone()).expect("valid parameters")
    })
    .input(NodeId(0), Input::Bc(1))
    .domain(vec![Message::Echo(2), Message::Ready(2)])
    .safety("agreement", agreement)
    .threads(threads)
    .search(search)
    .max_time(std::time::Duration::from_secs(600));
    for b in (n - (n - 1) / 3)..n {
        m = m.byzantine(NodeId(b as u32));
    }
    m.check()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let args = Args::parse();
    let n = if args.large { 7 } else { 4 };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let search = if args.dfs { Search::Dfs } else { Search::Bfs };
    rio_examples::say!(
        "Bracha n = {n}, Byzantine voters sending ECHO 2 and READY 2, {search:?}; 1 thread vs {cores}"
    );
    let mut ratios = Vec::new();
    for run in 0..args.runs {
        let one = check(n, 1, search);
        let all = check(n, cores, search);
        assert_eq!(
            one.states, all.states,
            "the same states on any thread count"
        );
        let r = one.elapsed.as_secs_f64() / all.elapsed.as_secs_f64().max(1e-9);
        rio_examples::say!(
            "run {run}: {} states; 1 thread {:.2?} ({:.0} states/s), {cores} threads {:.2?} ({:.0} states/s): {r:.2}x",
            one.states,
            one.elapsed,
            one.states_per_second(),
            all.elapsed,
            all.states_per_second()
        );
        ratios.push(r);
    }
    rio_examples::say!("median speed-up on {cores} threads: {:.2}x", median(ratios));
}
