//! Generation is fuzzed like the front end: mutated example protocols that
//! still check go through code generation, which must either generate a
//! module that parses (checked inside `generate`) or give diagnostics that
//! are not internal errors (E0900) — and never panic.

use proptest::prelude::*;

const SOURCES: &[&str] = &[
    include_str!("../../spec/examples/bracha.rio"),
    include_str!("../../spec/examples/bracha_composed.rio"),
    include_str!("../../spec/examples/tendermint.rio"),
    include_str!("../../examples/protocols/slots.rio"),
    include_str!("../../examples/protocols/keywords.rio"),
    include_str!("../../spec/examples/signed_echo.rio"),
    include_str!("../../spec/examples/hotstuff.rio"),
    include_str!("../../spec/examples/tendermint_pol.rio"),
    include_str!("../../spec/examples/acs.rio"),
    include_str!("../../examples/protocols/all_broadcast.rio"),
    include_str!("../../examples/protocols/fan_out.rio"),
    include_str!("../../examples/protocols/instance_shapes.rio"),
    include_str!("../../spec/examples/paxos.rio"),
    include_str!("../../spec/examples/pbft.rio"),
    include_str!("../../spec/examples/multi_paxos.rio"),
    include_str!("../../examples/protocols/coarse_reader.rio"),
    include_str!("../../examples/protocols/unbounded_constant.rio"),
    include_str!("../../lang/tests/data/ok/collect_slots.rio"),
];

#[path = "support/mutate.rs"]
mod mutate;
use mutate::{mutate, SWAPS};

fn runtime() -> syn::Path {
    syn::parse_str("::rio_runtime").expect("path")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn mutated_protocols_generate_or_diagnose(
        which in 0usize..SOURCES.len(),
        picks in proptest::collection::vec((0usize..64, 0usize..16), 1..4),
    ) {
        let src = mutate(SOURCES[which], &picks);
        match rio_compiler::generate(&src, &runtime()) {
            Ok(out) => {
                // `generate` already refused output that does not parse;
                // check the formatted text too.
                prop_assert!(syn::parse_file(&out.formatted()).is_ok());
            }
            Err(diags) => {
                prop_assert!(!diags.is_empty());
                prop_assert!(
                    diags.iter().all(|d| d.code.as_str() != "E0900"),
                    "internal error on:\n{src}\n{diags:?}"
                );
            }
        }
    }
}

/// How much of the fuzz reaches the back end (a fuzz that only produces
/// checker errors would test nothing).
#[test]
fn mutations_reach_code_generation() {
    let mut generated = 0;
    for original in SOURCES {
        for swap in 0..SWAPS.len() {
            let src = mutate(original, &[(swap, 0)]);
            if src != *original && rio_compiler::generate(&src, &runtime()).is_ok() {
                generated += 1;
            }
        }
    }
    assert!(generated >= 20, "only {generated} mutants generated code");
}
