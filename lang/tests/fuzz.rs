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
    "collect",
    "Votes<u8>",
    "0..f + 1",
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

fn codes(src: &str) -> Vec<&'static str> {
    rio_lang::check_source(src)
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn long_chains_and_deep_embedded_rust_are_diagnostics_not_stack_overflows() {
    let sum = vec!["1"; 30_000].join(" + ");
    let rust_sum = vec!["x"; 50_000].join(" + ");
    let cases = [
        format!(
            "protocol P(nodes n, faults f) {{ for i in nodes {{ x = quorum({sum}, v) at i }} }}"
        ),
        format!("protocol P(nodes n) {{ for r in 0.. {{ x[r] = y[{sum}] }} }}"),
        format!("protocol P(nodes n) where n > {sum} {{ }}"),
        format!(
            "fn f(v: {}u8{}) -> u64;",
            "Vec<".repeat(1000),
            ">".repeat(1000)
        ),
        format!("fn f(v: {}u8{}) -> u64;", "Vec<".repeat(40), ">".repeat(40)),
        format!("fn f(v: {}u8) -> u64;", "&".repeat(100_000)),
        format!("fn f(v: {}u8) -> u64;", "*const ".repeat(10_000)),
        format!(
            "protocol P(nodes n) {{ for i in nodes {{ x: i64 = {{ {}1 }} at i }} }}",
            "-".repeat(100_000)
        ),
        format!(
            "protocol P(nodes n) {{ for i in nodes {{ x: bool = {{ {}true }} at i }} }}",
            "!".repeat(100_000)
        ),
        format!("protocol P(nodes n) {{ for i in nodes {{ x: u64 = {{ {rust_sum} }} at i }} }}"),
        format!(
            "protocol P(nodes n) {{ for i in nodes {{ x: u64 = {{ {}x }} at i }} }}",
            "|a| ".repeat(10_000)
        ),
    ];
    for src in &cases {
        let found = codes(src);
        assert!(
            found.contains(&"E0004"),
            "{}...: {found:?}",
            src.get(..80).unwrap_or(src)
        );
    }
}

#[test]
fn at_the_bounds_everything_parses_on_a_small_stack() {
    // The bounds hold with room to spare on a 2 MiB thread in a debug build.
    let sum = vec!["1"; 128].join(" + ");
    let prefixes = "& ".repeat(12);
    let angles = "Vec<".repeat(11);
    let closes = ">".repeat(11);
    let cases = [
        format!("protocol P(nodes n, faults f) where n > {sum} {{ }}"),
        format!("fn f(v: {prefixes}{angles}u8{closes}) -> u64;"),
        format!(
            "protocol P(nodes n) {{ for i in nodes {{ x: u64 = {{ {} {}x{} }} at i }} }}",
            "- ! * ".repeat(8),
            "(".repeat(11),
            ")".repeat(11)
        ),
        format!(
            "protocol P(nodes n) {{ for i in nodes {{ x: u64 = {{ {} }} at i }} }}",
            vec!["x"; 128].join(" + ")
        ),
    ];
    for src in cases {
        let found = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || codes(&src))
            .expect("spawn")
            .join()
            .expect("no panic");
        assert!(!found.contains(&"E0004"), "{found:?}");
        assert!(
            !found.contains(&"E0002") && !found.contains(&"E0003"),
            "{found:?}"
        );
    }
}

#[test]
fn too_many_tokens_are_refused() {
    let src = format!("fn f(v: u64) -> u64; // {}\n", "v, ".repeat(1000));
    assert!(codes(&src).is_empty());
    let src = format!(
        "protocol P(nodes n) {{ for i in nodes {{ x = f({}v) at i }} }}",
        "v,".repeat(rio_lang::parse::MAX_TOKENS / 2)
    );
    assert_eq!(codes(&src), ["E0004"]);
}

#[test]
fn oversized_input_is_refused() {
    let src = format!("// {}\n", "x".repeat(rio_lang::parse::MAX_SOURCE_BYTES));
    assert_eq!(codes(&src), ["E0004"]);
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

    /// What an editor sends while typing: the language server's queries
    /// and the formatter never panic on a half-edited file, at any offset,
    /// and a formatted file formats to itself.
    #[test]
    fn editor_queries_and_the_formatter_never_panic(pos in 0usize..2000, tok in proptest::sample::select(TOKENS), which in 0usize..2, delete in 0usize..8, at in 0usize..2100) {
        let base = if which == 0 { BRACHA } else { TENDERMINT };
        let mut cut = pos % base.len();
        while !base.is_char_boundary(cut) { cut -= 1; }
        let mut end = (cut + delete).min(base.len());
        while !base.is_char_boundary(end) { end += 1; }
        let src = format!("{}{}{}", &base[..cut], tok, &base[end..]);
        let a = rio_lang::ide::analyze(&src);
        let _ = (a.hover(at), a.definition(at), a.completions(at));
        if let Some(span) = a.definition(at) {
            prop_assert!(span.end <= src.len());
        }
        if let Ok(once) = rio_lang::fmt::format_source(&src) {
            prop_assert_eq!(rio_lang::fmt::format_source(&once).ok(), Some(once));
        }
    }
}
