//! Every example of the language reference (`spec/examples/*.rio`) and every
//! file in `tests/data/ok/` parses and checks without a diagnostic; their
//! ASTs are snapshotted with their source.

use std::path::Path;

fn check_ok(path: &Path) -> rio_lang::Checked {
    let src = std::fs::read_to_string(path).expect("read");
    let out = rio_lang::check_source(&src);
    assert!(
        out.diagnostics.is_empty(),
        "{} has diagnostics:\n{}",
        path.display(),
        rio_lang::diagnostic::render(&path.display().to_string(), &src, &out.diagnostics)
    );
    assert!(out.program.is_some());
    out
}

#[test]
fn spec_examples_parse_and_check() {
    let mut count = 0;
    insta::glob!("../../spec/examples", "*.rio", |path: &Path| {
        let out = check_ok(path);
        let src = std::fs::read_to_string(path).expect("read");
        insta::assert_snapshot!(format!(
            "--- SOURCE\n{src}\n--- AST\n{:#?}",
            out.file.expect("ast")
        ));
        count += 1;
    });
    assert!(count >= 3);
}

#[test]
fn ok_inputs_parse_and_check() {
    insta::glob!("data/ok/*.rio", |path: &Path| {
        let out = check_ok(path);
        let src = std::fs::read_to_string(path).expect("read");
        insta::assert_snapshot!(format!(
            "--- SOURCE\n{src}\n--- AST\n{:#?}",
            out.file.expect("ast")
        ));
    });
}

#[test]
fn bracha_lines_have_the_expected_shapes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/examples/bracha.rio");
    let program = check_ok(&path).program.expect("program");
    let c = program.component("Bracha").expect("Bracha");
    let echo = &c.lines["echo"];
    assert_eq!(echo.dims.len(), 2, "echo[sender][receiver]");
    assert_eq!(
        echo.domain,
        rio_lang::graph::LineDomain::Dim(1),
        "an echo lives at its receiver"
    );
    assert_eq!(
        c.lines["ready"].ty, "T",
        "ready's type is inferred through the quorum cycle"
    );
}

/// A 5,000-definition chain, every line read before it is defined: the
/// worklist inference types it in linear time (the old whole-program rounds
/// took minutes and gigabytes).
#[test]
fn a_long_reversed_chain_checks() {
    let len = 5_000;
    let mut src = String::from(
        "fn f(v: u64) -> u64;\nprotocol Chain(nodes n, node s) {\n    in  v: u64 at s\n    out o[i]: u64 at i\n    sent = broadcast(v) from s\n    for i in nodes {\n",
    );
    src.push_str(&format!("        o[i] = def(x{len})\n"));
    for k in (1..=len).rev() {
        src.push_str(&format!("        x{k} = f(x{}) at i\n", k - 1));
    }
    src.push_str("        x0 = def(sent[i])\n    }\n}\n");
    let out = rio_lang::check_source(&src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics.first());
    let program = out.program.expect("checked");
    let chain = program.component("Chain").expect("component");
    let last = chain.lines.get(&format!("x{len}")).expect("line");
    assert_eq!(last.ty, "u64");
    assert_eq!(last.domain, rio_lang::graph::LineDomain::Dim(0));
}
