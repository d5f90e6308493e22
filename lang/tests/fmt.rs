//! `rio fmt` (`rio_lang::fmt`): every example is formatted; formatting is
//! idempotent, keeps every comment in order, and a formatted file parses to
//! the same AST (up to spans) and checks to the same graph and diagnostics,
//! over the examples, the diagnostic inputs, re-spaced copies of them and
//! the generation fuzz's mutants.

#[path = "../../compiler/tests/support/mutate.rs"]
mod mutate;

use rio_lang::fmt::format_source;
use std::path::{Path, PathBuf};

fn rio_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rio"))
        .collect();
    files.sort();
    files
}

/// The examples: what `rio fmt` must leave unchanged.
fn examples() -> Vec<PathBuf> {
    let mut v = rio_files("../spec/examples");
    v.extend(rio_files("../examples/protocols"));
    v.extend(rio_files("tests/data/ok"));
    v
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A JSON value with every span (`{start, end}`) replaced by `null`
/// (recursive: the parser bounds the depth of what it accepts).
fn without_spans(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) if m.len() == 2 && m.contains_key("start") && m.contains_key("end") => {
            Value::Null
        }
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, without_spans(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(without_spans).collect()),
        v => v,
    }
}

/// The comments of a source, in order (outside embedded Rust, which the
/// corpus has none in).
fn comment_texts(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(k) = rest.find("//").into_iter().chain(rest.find("/*")).min() {
        let tail = rest.get(k..).unwrap_or_default();
        let end = if tail.starts_with("//") {
            tail.find('\n').unwrap_or(tail.len())
        } else {
            tail.find("*/").map_or(tail.len(), |e| e + 2)
        };
        out.push(tail.get(..end).unwrap_or_default().trim_end().to_string());
        rest = tail.get(end..).unwrap_or_default();
    }
    out
}

/// What must not change: the AST without spans, the diagnostics' codes,
/// the checked graph without spans.
fn meaning(src: &str) -> (serde_json::Value, Vec<String>, serde_json::Value) {
    let out = rio_lang::check_source(src);
    let ast = without_spans(serde_json::to_value(&out.file).expect("AST serialises"));
    let mut codes: Vec<String> = out
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    codes.sort();
    // The graph's maps keyed by span become sorted lists of their values.
    let graph = out.program.as_ref().map(|p| {
        let comps: Vec<serde_json::Value> = p
            .components
            .iter()
            .map(|c| {
                let sorted = |vals: Vec<serde_json::Value>| {
                    let mut v: Vec<String> = vals.into_iter().map(|x| without_spans(x).to_string()).collect();
                    v.sort();
                    v
                };
                serde_json::json!({
                    "decl": without_spans(serde_json::to_value(&c.decl).expect("decl")),
                    "hyps": serde_json::to_value(&c.hyps).expect("hyps"),
                    "lines": without_spans(serde_json::to_value(&c.lines).expect("lines")),
                    "types": sorted(c.types.values().map(|t| serde_json::to_value(t).expect("type")).collect()),
                    "refs": sorted(c.refs.values().map(|r| serde_json::to_value(r).expect("ref")).collect()),
                })
            })
            .collect();
        serde_json::json!({
            "fns": without_spans(serde_json::to_value(&p.fns).expect("fns")),
            "components": comps,
        })
    });
    (ast, codes, graph.unwrap_or_default())
}

/// Formats `src` (which must parse) and checks every promise.
fn check_formats(name: &str, src: &str) -> bool {
    let Ok(once) = format_source(src) else {
        return false;
    };
    let twice = format_source(&once)
        .unwrap_or_else(|d| panic!("{name}: formatted text does not parse: {d:?}\n{once}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(
        comment_texts(src),
        comment_texts(&once),
        "{name}: comments changed\n{once}"
    );
    let (a, b) = (meaning(src), meaning(&once));
    assert_eq!(a.0, b.0, "{name}: the AST changed\n{once}");
    assert_eq!(a.1, b.1, "{name}: the diagnostics changed\n{once}");
    assert_eq!(a.2, b.2, "{name}: the checked graph changed\n{once}");
    true
}

#[test]
fn every_example_is_formatted() {
    let files = examples();
    assert!(files.len() >= 10, "{files:?}");
    for p in files {
        let src = read(&p);
        let formatted = format_source(&src).unwrap_or_else(|d| panic!("{}: {d:?}", p.display()));
        assert!(
            formatted == src,
            "{} is not formatted: run `cargo run -p rio-cli -- fmt {}`",
            p.display(),
            p.display()
        );
    }
}

/// The same text with its layout disturbed: indentation dropped, lines
/// joined where a comment does not end them, extra spaces.
fn respaced(src: &str) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let t = line.trim_start();
        if t.contains("//") {
            out.push_str(t);
            out.push('\n');
        } else {
            out.push_str(
                &t.replace(", ", " ,  ")
                    .replace(" = ", "=")
                    .replace('(', "( "),
            );
            out.push(' ');
        }
    }
    out
}

#[test]
fn formatting_is_idempotent_and_keeps_comments_and_meaning() {
    let (mut parsed, mut respaced_ok, mut total) = (0, 0, 0);
    for p in examples().into_iter().chain(rio_files("tests/data/err")) {
        let src = read(&p);
        let name = p.display().to_string();
        total += 1;
        if check_formats(&name, &src) {
            parsed += 1;
            // A joined line can end a Rust type early: such a re-spacing is
            // a syntax error, and is skipped.
            respaced_ok += usize::from(check_formats(
                &format!("{name} (re-spaced)"),
                &respaced(&src),
            ));
        } else {
            let syntax = rio_lang::check_source(&src)
                .diagnostics
                .iter()
                .any(|d| d.code.as_str().starts_with("E000"));
            assert!(syntax, "{name} parses but was not formatted");
        }
    }
    assert!(parsed + 12 >= total, "only {parsed} of {total} parse");
    assert!(
        respaced_ok * 2 >= parsed,
        "only {respaced_ok} of {parsed} re-spaced inputs parse"
    );
}

#[test]
fn formatting_the_fuzz_corpus_keeps_meaning() {
    let sources = [
        include_str!("../../spec/examples/bracha.rio"),
        include_str!("../../spec/examples/tendermint.rio"),
        include_str!("../../examples/protocols/slots.rio"),
    ];
    let n = mutate::SWAPS.len();
    let mut count = 0;
    for src in sources {
        for s in 0..n {
            for picks in [vec![(s, 0)], vec![(s, 1), ((s * 7 + 3) % n, 0)]] {
                let mutant = mutate::mutate(src, &picks);
                count += usize::from(check_formats(&format!("mutant {picks:?}"), &mutant));
            }
        }
    }
    assert!(count >= 100, "{count}");
}

#[test]
fn a_messy_file_formats_to_the_canonical_layout() {
    let src = "// Echo: the sender's value, relayed once.\nfn   relay(v:u64)->u64 ;\nfn keep(v: u64) -> u64;\n\n\n\nprotocol Echo( nodes n,faults f : crash,node s) where n>2*f&&f>=0{\n  in v:u64 at s   // the input\n      out got[i]:u64 at i\n\n\n  sent=broadcast(relay(v)) from s\n  for i in nodes { got[i]=keep(sent[i]) at i // kept\n  /* between */ }\n  x[0]: u64 = {  7 } at s // base\n  for r in 0..{ x[r+1] = keep(x[r]) at s\n  y[r] = keep(x[r - (1 - 1)]) at s }\n}\n// the end\n";
    let out = format_source(src).expect("parses");
    insta::assert_snapshot!(format!("--- INPUT\n{src}\n--- FORMATTED\n{out}"));
    assert!(check_formats("messy", src));
}

#[test]
fn a_syntax_error_is_not_formatted() {
    let err = format_source("protocol P(nodes n { }").expect_err("syntax error");
    assert!(
        err.iter().any(|d| d.code.as_str().starts_with("E000")),
        "{err:?}"
    );
}
