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
