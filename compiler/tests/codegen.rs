//! Generated code: snapshots (formatted by prettyplease) of every example
//! protocol, with its source; generation is deterministic; constructs code
//! generation does not support yet get an E0801 diagnostic, not a panic.

use std::path::Path;

fn runtime() -> syn::Path {
    syn::parse_str("::rio_runtime").expect("path")
}

fn snapshot(path: &Path) {
    let src = std::fs::read_to_string(path).expect("read");
    let out = rio_compiler::generate(&src, &runtime())
        .unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
    let code = out.formatted();
    assert_eq!(
        code,
        rio_compiler::generate(&src, &runtime())
            .expect("again")
            .formatted(),
        "deterministic"
    );
    assert!(!code.contains("unsafe"), "generated code has no unsafe");
    insta::assert_snapshot!(format!("--- SOURCE\n{src}\n--- GENERATED\n{code}"));
}

#[test]
fn generated_code_of_spec_examples() {
    insta::glob!("../../spec/examples", "*.rio", |path: &Path| snapshot(path));
}

#[test]
fn generated_code_of_example_protocols() {
    insta::glob!("../../examples/protocols", "*.rio", |path: &Path| snapshot(
        path
    ));
}

#[test]
fn unsupported_construct_is_a_diagnostic() {
    let src = "protocol P(nodes n, node s) {\n    in  v: u64 at s\n    out o[i]: u64 at i\n    for i in nodes { o[i] = link(v, i) }\n}\n";
    assert!(
        rio_compiler::check(src).diagnostics.is_empty(),
        "the checker accepts it"
    );
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    let d = diags.first().expect("one diagnostic");
    assert_eq!(d.code.as_str(), "E0801");
    assert_eq!(
        src.get(d.label.span.start..d.label.span.end),
        Some("o[i] = link(v, i)")
    );
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
}
