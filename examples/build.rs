//! Compiles the example protocols from `.rio` to Rust at build time, and a
//! sample of mutants of them (the generation fuzz's mutations) that
//! generate code: the crate compiles them too, so the lint gate
//! (`-D warnings`) covers generated code beyond the hand-picked examples.

#[path = "../compiler/tests/support/mutate.rs"]
mod mutate;

use std::fmt::Write as _;

fn main() {
    rio_compiler::Builder::new()
        .file("../spec/examples/bracha.rio")
        .file("../spec/examples/bracha_composed.rio")
        .file("protocols/slots.rio")
        .file("protocols/signed_slots.rio")
        .file("protocols/keywords.rio")
        .file("protocols/chain.rio")
        .file("protocols/majority.rio")
        .file("protocols/broadcasts.rio")
        .file("../spec/examples/tendermint.rio")
        .file("../spec/examples/paxos_ballot.rio")
        .file("../spec/examples/paxos.rio")
        .file("../spec/examples/paxos_log.rio")
        .file("../spec/examples/multi_paxos.rio")
        .file("../spec/examples/two_phase_commit.rio")
        .file("protocols/paxos_first_promise.rio")
        .file("protocols/new_view.rio")
        .file("protocols/bracha_bugs.rio")
        .file("protocols/node_ids.rio")
        .file("protocols/rounds.rio")
        .file("protocols/floor_rounds.rio")
        .file("protocols/linked_slots.rio")
        .file("protocols/token_ring.rio")
        .file("protocols/all_broadcast.rio")
        .file("protocols/fan_out.rio")
        .file("protocols/backoff.rio")
        .file("protocols/late_choice.rio")
        .file("protocols/coarse_reader.rio")
        .file("protocols/unbounded_constant.rio")
        .file("protocols/instance_shapes.rio")
        .file("../spec/examples/acs.rio")
        .file("../spec/examples/pbft.rio")
        .file("../spec/examples/ben_or.rio")
        .file("protocols/ben_or_rounds.rio")
        .file("../spec/examples/signed_echo.rio")
        .file("protocols/unsigned_echo.rio")
        .file("protocols/weak_signed_echo.rio")
        .file("../spec/examples/hotstuff.rio")
        .file("../spec/examples/tendermint_pol.rio")
        .file("../spec/examples/dolev_strong.rio")
        .file("../lang/tests/data/ok/nested_constants.rio")
        .compile_or_exit();
    fuzz_sample();
}

/// Every single mutation and a fixed set of pairs of the examples whose
/// functions the crate defines (`examples/src/lib.rs`, `fuzz_sample`).
fn fuzz_sample() {
    let sources = [
        include_str!("../spec/examples/bracha.rio"),
        include_str!("protocols/slots.rio"),
        include_str!("protocols/keywords.rio"),
    ];
    let runtime: syn::Path = syn::parse_quote!(::rio_runtime);
    let mut out = String::new();
    let mut kept = 0usize;
    let n = mutate::SWAPS.len();
    for src in sources {
        let mut picks: Vec<Vec<(usize, usize)>> = (0..n).map(|s| vec![(s, 0)]).collect();
        picks.extend((0..n).map(|s| vec![(s, 1), ((s * 7 + 3) % n, 0)]));
        for p in picks {
            let mutant = mutate::mutate(src, &p);
            if mutant == src {
                continue;
            }
            if let Ok(code) = rio_compiler::generate(&mutant, &runtime) {
                let _ = writeln!(
                    out,
                    "/// Mutant {kept}.\npub mod sample_{kept} {{\n    #[allow(unused_imports)]\n    use super::*;\n{}\n}}",
                    code.formatted()
                );
                kept += 1;
            }
        }
    }
    let _ = writeln!(
        out,
        "/// How many mutants this crate compiles.\npub const SAMPLES: usize = {kept};"
    );
    let dir = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    std::fs::write(format!("{dir}/fuzz_sample.rs"), out).unwrap_or_else(|e| panic!("write: {e}"));
    println!("cargo:rerun-if-changed=../compiler/tests/support/mutate.rs");
}
