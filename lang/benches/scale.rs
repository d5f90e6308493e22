//! Time and peak memory of parse + check on chain protocols: 5k and 50k
//! definitions, in textual order and reversed (each line read before it is
//! defined), chains of ~7 MB (under the token limit) and ~10 MB (over it:
//! refused with E0004), and 2 MB of the densest text (one token every two
//! bytes).
//!
//! Run: `cargo bench -p rio-lang --bench scale`. Each case runs in a child
//! process of this binary so its peak resident memory (`VmHWM` from
//! `/proc/self/status`, Linux only) is its own.

use std::time::Instant;

/// A protocol whose body is a chain `x1 = f(x0) at i`, `x2 = f(x1) at i`,
/// ... of `len` definitions, reversed (every read before its definition)
/// if `reversed`.
pub fn chain(len: usize, reversed: bool) -> String {
    let mut defs: Vec<String> = (1..=len)
        .map(|k| format!("        x{k} = f(x{}) at i\n", k - 1))
        .collect();
    if reversed {
        defs.reverse();
    }
    let mut s = String::from(
        "fn f(v: u64) -> u64;\nprotocol Chain(nodes n, node s) {\n    in  v: u64 at s\n    out o[i]: u64 at i\n    sent = broadcast(v) from s\n    for i in nodes {\n        x0 = def(sent[i])\n",
    );
    s.extend(defs);
    s.push_str(&format!("        o[i] = def(x{len})\n    }}\n}}\n"));
    s
}

/// A chain of about `bytes` bytes.
fn chain_of_bytes(bytes: usize) -> String {
    let mut len = bytes / 40;
    loop {
        let s = chain(len, false);
        if s.len() >= bytes {
            return s;
        }
        len += (bytes - s.len()) / 30 + 1;
    }
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_case(case: &str) {
    let src = match case {
        "5k" => chain(5_000, false),
        "5k-reversed" => chain(5_000, true),
        "50k" => chain(50_000, false),
        "50k-reversed" => chain(50_000, true),
        "7MB" => chain_of_bytes(7_000_000),
        "10MB" => chain_of_bytes(10_000_000),
        // The densest text: one token per two bytes, all in one call.
        "dense-2MB" => format!(
            "fn f(v: u64) -> u64;\nprotocol D(nodes n, node s) {{\n    in v: u64 at s\n    x = f({}v) at s\n}}\n",
            "v,".repeat(995_000)
        ),
        _ => return,
    };
    let start = Instant::now();
    let (file, _) = rio_lang::parse::parse_file(&src);
    let parse_secs = start.elapsed().as_secs_f64();
    let parse_peak = peak_kib().map_or(0, |k| k / 1024);
    drop(file);
    let start = Instant::now();
    let out = rio_lang::check_source(&src);
    let secs = start.elapsed().as_secs_f64();
    let errors = out.diagnostics.iter().filter(|d| d.is_error()).count();
    println!(
        "{case:>13}: {:>7} lines, {:>5.1} MB: parse + check {secs:>6.3} s, peak {:>5} MiB (parse alone {parse_secs:.3} s, {parse_peak} MiB), {errors} errors",
        src.lines().count(),
        src.len() as f64 / 1e6,
        peak_kib().map_or(0, |k| k / 1024),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(k) = args.iter().position(|a| a == "--case") {
        if let Some(case) = args.get(k + 1) {
            run_case(case);
        }
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    for case in [
        "5k",
        "5k-reversed",
        "50k",
        "50k-reversed",
        "7MB",
        "10MB",
        "dense-2MB",
    ] {
        let status = std::process::Command::new(&exe)
            .args(["--case", case])
            .status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            println!("{case:>13}: failed ({status:?})");
        }
    }
}
