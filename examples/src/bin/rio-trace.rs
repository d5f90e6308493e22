//! Renders traces as the interactive trace viewer (one self-contained HTML
//! page): a simulator or checker trace, or the per-node traces of a network
//! cluster, merged by time.
//!
//! `cargo run -p rio-examples --bin rio-trace -- target/rio-demo/slots.trace.jsonl -o slots.html`
//! `cargo run -p rio-examples --bin rio-trace -- cluster/node*.trace.jsonl -o cluster.html`

use clap::Parser;
use rio_sim::{Kind, TraceEvent};
use std::path::PathBuf;
use std::process::ExitCode;

/// Render traces (JSON lines) as an interactive HTML page.
#[derive(Parser)]
#[command(name = "rio-trace")]
struct Args {
    /// Trace files (JSON lines); several are merged by time, as the traces
    /// of a network cluster's nodes are.
    #[arg(required = true)]
    traces: Vec<PathBuf>,
    /// Where to write the page.
    #[arg(short, long)]
    output: PathBuf,
    /// The page's title (default: the first file's name).
    #[arg(long)]
    title: Option<String>,
    /// Number of nodes (default: one more than the highest node id seen).
    #[arg(long)]
    nodes: Option<usize>,
    /// The unit of the trace's times: `ms` (simulator, network) or `step`
    /// (model checker).
    #[arg(long, default_value = "ms")]
    unit: String,
}

fn highest_node(trace: &[TraceEvent]) -> usize {
    trace
        .iter()
        .map(|e| match &e.kind {
            Kind::Deliver { from, to, .. } | Kind::Drop { from, to, .. } => (*from).max(*to),
            Kind::Evidence { node, peer, .. } => (*node).max(*peer),
            Kind::Input { node, .. }
            | Kind::Output { node, .. }
            | Kind::Timer { node, .. }
            | Kind::Coin { node, .. }
            | Kind::Choice { node, .. }
            | Kind::Fault { node, .. } => *node,
            Kind::Violation { .. } => 0,
        })
        .max()
        .map_or(0, |n| n as usize + 1)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut traces = Vec::new();
    for path in &args.traces {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        match rio_runtime::trace::from_jsonl(&text) {
            Ok(t) => traces.push(t),
            Err(e) => {
                eprintln!("error: {} is not a Rio trace: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let trace = if traces.len() == 1 {
        traces.pop().unwrap_or_default()
    } else {
        rio_net::merge_traces(traces)
    };
    let nodes = args.nodes.unwrap_or_else(|| highest_node(&trace));
    let title = args.title.unwrap_or_else(|| {
        args.traces
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    });
    let page = rio_sim::viewer::html_in(&title, nodes, &args.unit, &trace);
    if let Err(e) = std::fs::write(&args.output, page) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return ExitCode::FAILURE;
    }
    rio_examples::say!(
        "{} events of {nodes} nodes: {}",
        trace.len(),
        args.output.display()
    );
    ExitCode::SUCCESS
}
