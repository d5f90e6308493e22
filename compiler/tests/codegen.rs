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
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    insta::assert_snapshot!(
        format!("generated_{stem}"),
        format!("--- SOURCE\n{src}\n--- GENERATED\n{code}")
    );
}

fn rio_files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rio"))
        .collect();
    files.sort();
    files
}

#[test]
fn generated_code_of_spec_examples() {
    let files = rio_files("../spec/examples");
    assert!(files.len() >= 3);
    files.iter().for_each(|f| snapshot(f));
}

#[test]
fn generated_code_of_example_protocols() {
    let files = rio_files("../examples/protocols");
    assert!(!files.is_empty());
    files
        .iter()
        // `chain.rio` is 140 near-identical rules: `regressions.rs` checks it.
        .filter(|f| !f.ends_with("chain.rio"))
        .for_each(|f| snapshot(f));
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

/// A component instance inside `for j in nodes` would put its statements
/// inside two node loops: refused once, at the instance, with the rewrite
/// (`for j in 0..n` and `leader(j)`), and no follow-on error for the line
/// that reads the refused instance's output.
#[test]
fn an_instance_inside_a_node_loop_is_one_diagnostic_with_the_rewrite() {
    let src = include_str!("../../lang/tests/data/ok/instance_in_node_loop.rio");
    assert!(
        rio_compiler::check(src).diagnostics.is_empty(),
        "the checker accepts it"
    );
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = diags.first().expect("one diagnostic");
    assert_eq!(d.code.as_str(), "E0801");
    assert!(src
        .get(d.label.span.start..d.label.span.end)
        .is_some_and(|t| t.starts_with("rb = Cb(n, f, j)")));
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
}

/// An instance inside a loop, of a component that itself instantiates
/// another: the inner instance's lines get the outer loop's dimension too
/// (`rb.cb.send[j]`, keyed by the sender).
#[test]
fn an_instance_inside_a_looped_instance_is_generated() {
    let src = include_str!("../../lang/tests/data/ok/nested_instances_in_loop.rio");
    let code = rio_compiler::generate(src, &runtime())
        .expect("generated")
        .formatted();
    assert!(
        code.contains("RbCbSend { key: [u64; 1usize], value: T }"),
        "{code}"
    );
    assert!(
        code.contains("RbReady { key: [u64; 1usize], value: T }"),
        "{code}"
    );
}

#[test]
fn certificates_over_votes_signed_elsewhere_are_a_diagnostic() {
    // The votes are signed by one statement and sent by another: the
    // certificate could not tell which purpose it counts.
    let src = "protocol P(nodes n, faults f, node s) where n > 3 * f {\n    in  v: u64 at s\n    out o[i]: u64 at i\n    send = broadcast(v) from s\n    for i in nodes {\n        signed = sign(send[i]) at i\n        echo[i] = link(signed, s) from i\n    }\n    proof = cert(n - f, echo[*]) at s\n    fin = broadcast(proof) from s\n    for i in nodes { o[i] = payload(fin[i]) at i }\n}\n";
    assert!(rio_compiler::check(src).diagnostics.is_empty());
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    assert!(
        diags.iter().all(|d| d.code.as_str() == "E0801"),
        "{diags:?}"
    );
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
}

#[test]
fn signatures_hidden_in_a_type_code_generation_cannot_see_into_are_a_diagnostic() {
    // A signed value inside the user's own type would reach a line
    // unchecked: refused, never skipped.
    let src = "fn wrap(s: Signed<u64>) -> Wrapper<Signed<u64>>;\nfn open(w: Wrapper<Signed<u64>>) -> u64;\nprotocol P(nodes n, node s) {\n    in  v: u64 at s\n    out o[i]: u64 at i\n    w = wrap(sign(v)) at s\n    sent = broadcast(w) from s\n    for i in nodes { o[i] = open(sent[i]) at i }\n}\n";
    assert!(rio_compiler::check(src).diagnostics.is_empty());
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    assert!(
        diags.iter().any(|d| d.code.as_str() == "E0801"),
        "{diags:?}"
    );
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
}

#[test]
fn a_forward_loop_that_never_waits_is_refused() {
    // `x[r + 1] = x[r]` makes every instance as soon as the previous one
    // exists: generated code would open instances without end in one step.
    let src = "protocol Run(nodes n) {\n    in  v[i]: u64 at i\n    out o[h][i]: u64 at i\n    for h in 0.. {\n        for i in nodes {\n            x[h][0][i] = v[i] at i\n        }\n        for r in 0.. {\n            for i in nodes {\n                x[h][r + 1][i] = x[h][r][i] at i\n            }\n        }\n        for i in nodes {\n            o[h][i] = select(?, x[h][*][i]) at i\n        }\n    }\n}\n";
    assert!(rio_compiler::check(src).diagnostics.is_empty());
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    assert!(
        diags.iter().all(|d| d.code.as_str() == "E0803"),
        "{diags:?}"
    );
    assert_eq!(
        diags
            .first()
            .and_then(|d| src.get(d.label.span.start..d.label.span.end)),
        Some("x[h][r + 1][i] = x[h][r][i] at i")
    );
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
    // Waiting on a timer of the instance makes it a loop of rounds.
    let ok = src.replace(
        "= x[h][r][i] at i",
        "= sync(x[h][r][i], timer(x[h][r][i], 10)) at i",
    );
    assert!(rio_compiler::generate(&ok, &runtime()).is_ok());
    // The same step written as a read of the previous instance.
    let back = "protocol Back(nodes n, node s) {\n    in  v: u64 at s\n    out o[r]: u64 at s\n    x[0] = v at s\n    for r in 0.. {\n        o[r] = x[r] at s\n        y[r] = x[r - 1] at s\n    }\n    for r in 0.. {\n        x[r + 1] = y[r + 1] at s\n    }\n}\n";
    assert!(rio_compiler::check(back).diagnostics.is_empty());
    let diags = rio_compiler::generate(back, &runtime()).expect_err("codegen refuses it");
    assert!(
        diags.iter().all(|d| d.code.as_str() == "E0803"),
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| back.get(d.label.span.start..d.label.span.end) == Some("y[r] = x[r - 1] at s")),
        "{diags:?}"
    );
}

/// A constant of an unbounded family exists once something opens its
/// instance: a read from the reader's own instance or a coarser one opens
/// it, but a read at a shifted index (`base[r + 1]` from instance `r`)
/// would open instances without end, one per new instance: refused, with
/// the rewrite.
#[test]
fn a_constant_of_an_unbounded_family_read_at_a_shifted_index_is_a_diagnostic() {
    let src = "fn pick(v: u64, base: u64) -> u64;\n\nprotocol P(nodes n, faults f) where n > 3 * f {\n    in  v[r][i]: u64 at i\n    out o[r][i]: u64 at i\n\n    for r in 0.. {\n        for i in nodes {\n            base[r][i]: u64 = { 7 } at i\n            o[r][i] = pick(v[r][i], base[r + 1][i]) at i\n        }\n    }\n}\n";
    let diags = rio_compiler::generate(src, &runtime()).expect_err("codegen refuses it");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = diags.first().expect("one diagnostic");
    assert_eq!(d.code.as_str(), "E0801");
    assert_eq!(
        src.get(d.label.span.start..d.label.span.end),
        Some("o[r][i] = pick(v[r][i], base[r + 1][i]) at i")
    );
    insta::assert_snapshot!(rio_lang::diagnostic::render("p.rio", src, &diags));
    // Read where it is defined, it generates.
    let ok = src.replace("base[r + 1][i]", "base[r][i]");
    assert!(rio_compiler::generate(&ok, &runtime()).is_ok());
}
