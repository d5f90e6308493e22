//! Property tests: no input makes the front end panic, whether random bytes,
//! random token soup, or a valid protocol with one character changed.

use proptest::prelude::*;

const BRACHA: &str = include_str!("../../spec/examples/bracha.rio");
const TENDERMINT: &str = include_str!("../../spec/examples/tendermint.rio");

const TOKENS: &[&str] = &[
    "protocol",
    "component",
    "fn",
    "in",
    "out",
    "for",
    "at",
    "from",
    "where",
    "nodes",
    "faults",
    "node",
    "P",
    "x",
    "y",
    "i",
    "r",
    "n",
    "f",
    "s",
    "T",
    "u64",
    "Option<T>",
    "=",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "*",
    "?",
    "+",
    "-",
    ",",
    ":",
    ";",
    ">",
    "<",
    ">=",
    "0",
    "1",
    "3",
    "..",
    "broadcast",
    "quorum",
    "select",
    "link",
    "def",
    "sync",
    "timer",
    "delay",
    "leader",
    "some",
    "pair",
    "transpose",
    "->",
    ".",
    "{ None }",
    "\n",
];

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let src = format!(
            "protocol P(nodes n) {{ x = {}a{} }}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let out = rio_lang::check_source(&src);
        let d = out.diagnostics.first().expect("a diagnostic");
        assert_eq!(d.code.as_str(), "E0001");
        assert!(d.message.contains("nested more than"), "{}", d.message);
    }
    // At the bound (63 parentheses inside the protocol's braces), nesting parses,
    // even on a 2 MiB test thread in a debug build.
    let ok = format!(
        "protocol P(nodes n) {{ x = {}a{} }}",
        "(".repeat(63),
        ")".repeat(63)
    );
    assert!(rio_lang::check_source(&ok)
        .diagnostics
        .iter()
        .all(|d| d.code.as_str() != "E0001"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,200}") {
        let _ = rio_lang::check_source(&s);
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
        let _ = rio_lang::check_source(&toks.join(" "));
    }

    #[test]
    fn mutated_protocols_never_panic(pos in 0usize..2000, tok in proptest::sample::select(TOKENS), which in 0usize..2, delete in 0usize..8) {
        let base = if which == 0 { BRACHA } else { TENDERMINT };
        let mut cut = pos % base.len();
        while !base.is_char_boundary(cut) { cut -= 1; }
        let mut end = (cut + delete).min(base.len());
        while !base.is_char_boundary(end) { end += 1; }
        let src = format!("{}{}{}", &base[..cut], tok, &base[end..]);
        let out = rio_lang::check_source(&src);
        for d in &out.diagnostics {
            prop_assert!(d.label.span.end <= src.len());
            prop_assert!(d.label.span.start <= d.label.span.end);
        }
        // Rendering must not panic either.
        let _ = rio_lang::diagnostic::render("m.rio", &src, &out.diagnostics);
    }
}
