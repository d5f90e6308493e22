//! Snapshot tests of the cost report on every spec example, and its key
//! figures asserted directly (Bracha: 3 steps, 2n^2 + n messages).

use std::path::Path;

#[test]
fn cost_reports_of_spec_examples() {
    insta::glob!("../../spec/examples", "*.rio", |path: &Path| {
        let src = std::fs::read_to_string(path).expect("read");
        let out = rio_compiler::check(&src);
        let program = out.program.expect("checks");
        let text = rio_compiler::cost::render(&rio_compiler::cost::report(&program));
        insta::assert_snapshot!(format!("--- SOURCE\n{src}\n--- COST\n{text}"));
    });
}

#[test]
fn bracha_is_three_steps_and_quadratic() {
    for file in ["bracha.rio", "bracha_composed.rio"] {
        let src = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../spec/examples")
                .join(file),
        )
        .expect("read");
        let program = rio_compiler::check(&src).program.expect("checks");
        let reports = rio_compiler::cost::report(&program);
        let r = reports.first().expect("one protocol");
        assert_eq!(r.depth.get("dlvr"), Some(&Some(3)), "{file}");
        assert_eq!(r.total().to_string(), "2n^2 + n", "{file}");
        assert_eq!(r.total().at(4), 36, "{file}");
        assert_eq!(r.most_per_node().to_string(), "3n", "{file}");
    }
}

#[test]
fn tendermint_good_case_is_three_steps_per_height() {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/examples/tendermint.rio"),
    )
    .expect("read");
    let program = rio_compiler::check(&src).program.expect("checks");
    let r = rio_compiler::cost::report(&program)
        .into_iter()
        .next()
        .expect("one protocol");
    assert_eq!(r.families, vec!["h".to_string(), "r".to_string()]);
    assert_eq!(r.depth.get("decide"), Some(&Some(3)));
}
