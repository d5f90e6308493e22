//! Data-driven diagnostic tests: every file in `tests/data/err/` starts with
//! `// expect: CODE at LINE:COL`; checking it must produce that diagnostic at
//! that position. The rendered diagnostics are snapshotted with their source.

use rio_lang::diagnostic::{line_col, render};
use std::path::Path;

fn expectation(src: &str) -> (String, usize, usize) {
    let first = src.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("// expect: ")
        .expect("first line must be `// expect: CODE at LINE:COL`");
    let (code, pos) = rest.split_once(" at ").expect("`CODE at LINE:COL`");
    let (line, col) = pos.split_once(':').expect("LINE:COL");
    (
        code.to_string(),
        line.parse().expect("line"),
        col.parse().expect("col"),
    )
}

#[test]
fn every_malformed_input_gets_its_diagnostic_at_its_span() {
    let mut count = 0;
    let mut failures = Vec::new();
    insta::glob!("data/err/*.rio", |path: &Path| {
        let src = std::fs::read_to_string(path).expect("read");
        let (code, line, col) = expectation(&src);
        let out = rio_lang::check_source(&src);
        let found = out.diagnostics.iter().any(|d| {
            let lc = line_col(&src, d.label.span.start);
            d.code.as_str() == code && lc.line == line && lc.column == col
        });
        let listed: Vec<String> = out
            .diagnostics
            .iter()
            .map(|d| {
                let lc = line_col(&src, d.label.span.start);
                format!("{} at {}:{}", d.code.as_str(), lc.line, lc.column)
            })
            .collect();
        if !found {
            failures.push(format!(
                "{}: expected {code} at {line}:{col}, got {listed:?}",
                path.display()
            ));
        }
        for d in &out.diagnostics {
            assert!(
                !d.help.is_empty(),
                "{}: {} has no help line",
                path.display(),
                d.code.as_str()
            );
            assert!(
                !d.label.message.is_empty(),
                "{}: {} has no label",
                path.display(),
                d.code.as_str()
            );
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        insta::assert_snapshot!(format!(
            "--- SOURCE\n{src}\n--- DIAGNOSTICS\n{}",
            render(&name, &src, &out.diagnostics)
        ));
        count += 1;
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count >= 30, "only {count} malformed inputs");
}

#[test]
fn every_code_is_exercised_by_a_test_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/err");
    let mut seen = std::collections::HashSet::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let src = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        seen.insert(expectation(&src).0);
    }
    let missing: Vec<&str> = rio_lang::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(*c))
        // E08xx come from code generation and E0900 is an internal error;
        // rio-compiler's tests cover them.
        .filter(|c| !c.starts_with("E08") && !c.starts_with("E09"))
        .collect();
    assert!(missing.is_empty(), "codes without a test file: {missing:?}");
}

#[test]
fn json_output_carries_code_span_and_position() {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/err/two_producers.rio"),
    )
    .expect("read");
    let out = rio_lang::check_source(&src);
    let json = rio_lang::diagnostic::render_json("two_producers.rio", &src, &out.diagnostics);
    let first: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("one line")).expect("json");
    assert_eq!(first["code"], "E0201");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["start"]["line"], 13);
    assert!(first["help"].as_str().is_some_and(|h| !h.is_empty()));
}
