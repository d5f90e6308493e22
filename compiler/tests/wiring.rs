//! Wiring diagrams (`rio graph`): the DOT of every spec example, with its
//! source; every line of a protocol appears as a wire or a port, messages
//! are dashed, choices marked.

#[test]
fn wiring_diagrams_of_spec_examples() {
    insta::glob!("../../spec/examples", "*.rio", |path: &std::path::Path| {
        let src = std::fs::read_to_string(path).expect("read");
        let diagrams = rio_compiler::wiring::dot_of_source(&src).expect("checks");
        let dots: Vec<String> = diagrams.into_iter().map(|(_, d)| d).collect();
        insta::assert_snapshot!(format!("--- SOURCE\n{src}\n--- DOT\n{}", dots.join("\n")));
    });
}

#[test]
fn every_line_is_drawn_and_messages_are_dashed() {
    let src = include_str!("../../spec/examples/bracha.rio");
    let (_, dot) = rio_compiler::wiring::dot_of_source(src)
        .expect("checks")
        .pop()
        .expect("one protocol");
    for line in [
        "bc",
        "send[n]",
        "echo[n][n]",
        "strong[n]",
        "weak[n]",
        "ready[n][n]",
        "dlvr[n]",
    ] {
        assert!(
            dot.contains(&format!("label=\"{line}\"")),
            "{line} missing:\n{dot}"
        );
    }
    assert!(
        dot.contains("[label=\"echo[n][n]\", style=dashed]"),
        "{dot}"
    );
    assert!(
        dot.contains("[label=\"strong[n]\"]"),
        "a local wire is solid:\n{dot}"
    );
    // `weak = quorum(?, f + 1, ..)` and the `select(?, ..)` are choices.
    assert_eq!(dot.matches("fillcolor=orange").count(), 2, "{dot}");
}

#[test]
fn a_file_with_errors_has_no_diagram() {
    let errs = rio_compiler::wiring::dot_of_source("protocol P(nodes n) { out x: u64 at y }")
        .expect_err("does not check");
    assert!(!errs.is_empty());
}
