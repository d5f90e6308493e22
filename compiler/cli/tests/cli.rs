//! The `rio check` command: exit codes, human and JSON output.

use std::process::Command;

fn rio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rio"))
}

fn root(p: &str) -> String {
    format!("{}/../../{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_ok_exits_zero() {
    let out = rio()
        .args([
            "check",
            &root("spec/examples/bracha.rio"),
            &root("spec/examples/tendermint.rio"),
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("bracha.rio: ok"));
}

#[test]
fn check_reports_what_code_generation_refuses() {
    // Checks, but a node would open instances without end (E0803).
    let dir = std::env::temp_dir().join(format!("rio-cli-runaway-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("runaway.rio");
    std::fs::write(
        &path,
        "protocol Run(nodes n) {\n    in  v[i]: u64 at i\n    out o[h][i]: u64 at i\n    for h in 0.. {\n        for i in nodes {\n            x[h][0][i] = v[i] at i\n        }\n        for r in 0.. {\n            for i in nodes {\n                x[h][r + 1][i] = x[h][r][i] at i\n            }\n        }\n        for i in nodes {\n            o[h][i] = select(?, x[h][*][i]) at i\n        }\n    }\n}\n",
    )
    .expect("write");
    let out = rio()
        .args(["check", &path.display().to_string()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E0803"), "{err}");
    assert!(!err.contains(": ok"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_error_exits_one_with_graphical_report() {
    let out = rio()
        .args(["check", &root("lang/tests/data/err/two_producers.rio")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E0201"), "{err}");
    assert!(err.contains("second producer"), "{err}");
    assert!(err.contains("help:"), "{err}");
}

#[test]
fn check_json_prints_one_object_per_diagnostic() {
    let out = rio()
        .args([
            "check",
            "--format",
            "json",
            &root("lang/tests/data/err/deadlock.rio"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let codes: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(codes.contains(&"E0401".to_string()), "{codes:?}");
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = rio()
        .args(["check", "/nonexistent/x.rio"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn builder_reports_errors_with_file_and_code_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("rio-builder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.rio");
    std::fs::write(
        &bad,
        std::fs::read_to_string(root("lang/tests/data/err/two_producers.rio")).expect("read"),
    )
    .expect("write");
    let err = rio_compiler::Builder::new()
        .file(&bad)
        .out_dir(&dir)
        .compile()
        .expect_err("errors fail the build");
    assert!(err.message.contains("E0201"), "{}", err.message);
    assert!(err.message.contains("bad.rio"), "{}", err.message);
    assert!(!dir.join("bad.rs").exists());
    let good = dir.join("good.rio");
    std::fs::write(
        &good,
        std::fs::read_to_string(root("spec/examples/bracha.rio")).expect("read"),
    )
    .expect("write");
    rio_compiler::Builder::new()
        .file(&good)
        .out_dir(&dir)
        .compile()
        .expect("compiles");
    let code = std::fs::read_to_string(dir.join("good.rs")).expect("generated");
    assert!(code.contains("pub mod bracha"));
}

/// `rio check ... 2>&1 | head -1`: a reader that goes away is not a crash
/// (exit 1 for the errors found, never a panic's 101).
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    let dir = root("lang/tests/data/err");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path().display().to_string())
        .collect();
    files.sort();
    // Far more output than a pipe buffers, so writes after the close fail.
    let files: Vec<String> = (0..20).flat_map(|_| files.clone()).collect();
    for stream in ["stdout", "stderr"] {
        let mut cmd = rio();
        cmd.arg("check").args(&files).args([
            "--format",
            if stream == "stdout" { "json" } else { "human" },
        ]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        // Read a few bytes of the stream with the output, then close both.
        let mut buf = [0u8; 16];
        if stream == "stdout" {
            let _ = child.stdout.take().expect("stdout").read(&mut buf);
            drop(child.stderr.take());
        } else {
            let _ = child.stderr.take().expect("stderr").read(&mut buf);
            drop(child.stdout.take());
        }
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(1), "{stream}: {status:?}");
    }
}

#[test]
fn fmt_rewrites_in_place_and_check_reports() {
    let dir = std::env::temp_dir().join(format!("rio-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("echo.rio");
    let messy = "protocol Echo(nodes n,node s){\n in v:u64 at s // input\nout got[i]:u64 at i\nsent=broadcast(v) from s\nfor i in nodes{got[i]=sent[i] at i}}\n";
    std::fs::write(&file, messy).expect("write");
    let path = file.display().to_string();
    let check = |args: &[&str]| rio().args(args).output().expect("run");
    let out = check(&["fmt", "--check", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not formatted"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        messy,
        "--check changes nothing"
    );
    assert!(check(&["fmt", &path]).status.success());
    let formatted = std::fs::read_to_string(&file).expect("read");
    assert!(
        formatted.contains("    in  v: u64 at s // input\n"),
        "{formatted}"
    );
    assert!(check(&["fmt", "--check", &path]).status.success());
    assert!(check(&["check", &path]).status.success());
    // A syntax error: left alone, diagnostics printed.
    std::fs::write(&file, "protocol P(nodes n {}").expect("write");
    let out = check(&["fmt", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E000"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn graph_writes_svg_and_dot() {
    let dir = std::env::temp_dir().join(format!("rio-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let svg = dir.join("bracha.svg");
    let out = rio()
        .args(["graph", &root("spec/examples/bracha.rio"), "-o"])
        .arg(&svg)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).expect("svg");
    assert!(text.contains("<svg"), "{text}");
    for label in [
        "send = broadcast",
        "strong = quorum(n - f)",
        "in bc",
        "out dlvr",
    ] {
        assert!(text.contains(label), "{label} missing");
    }
    // The README's diagram is what `rio graph` draws today.
    let committed = std::fs::read_to_string(root("docs/img/bracha-wiring.svg")).expect("committed");
    assert!(
        committed == text,
        "docs/img/bracha-wiring.svg is stale: run `cargo run -p rio-cli -- graph spec/examples/bracha.rio -o docs/img/bracha-wiring.svg`"
    );
    let dot = dir.join("bracha.dot");
    let out = rio()
        .args(["graph", "--dot", &root("spec/examples/bracha.rio"), "-o"])
        .arg(&dot)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&dot)
        .expect("dot")
        .starts_with("digraph \"Bracha\""));
    // A file with several protocols needs --protocol.
    let two = dir.join("two.rio");
    let one = "protocol NAME(nodes n, node s) { in v: u64 at s\n out got[i]: u64 at i\n x = broadcast(v) from s\n for i in nodes { got[i] = x[i] at i } }\n";
    std::fs::write(
        &two,
        format!("{}{}", one.replace("NAME", "A"), one.replace("NAME", "B")),
    )
    .expect("write");
    let graph = |extra: &[&str]| {
        rio()
            .arg("graph")
            .arg(&two)
            .arg("-o")
            .arg(dir.join("two.svg"))
            .args(extra)
            .output()
            .expect("run")
    };
    let out = graph(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--protocol"));
    assert!(graph(&["--protocol", "B"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The editor folder's TextMate grammar is valid JSON and highlights every
/// keyword of the grammar and every built-in component.
#[test]
fn the_textmate_grammar_knows_every_keyword_and_builtin() {
    let text = std::fs::read_to_string(root("editors/vscode/syntaxes/rio.tmLanguage.json"))
        .expect("grammar");
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(grammar["scopeName"], "source.rio");
    let all = grammar["repository"].to_string();
    let pest = std::fs::read_to_string(root("lang/src/grammar.pest")).expect("pest");
    let keywords = pest
        .split("keyword    = @{")
        .nth(1)
        .and_then(|k| k.split('}').next())
        .expect("keyword rule");
    for kw in keywords.split('"').skip(1).step_by(2) {
        assert!(all.contains(kw), "keyword `{kw}` is not highlighted");
    }
    for b in rio_lang::Builtin::ALL {
        assert!(
            all.contains(b.name()),
            "built-in `{}` is not highlighted",
            b.name()
        );
    }
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root("editors/vscode/package.json")).expect("package.json"),
    )
    .expect("valid JSON");
    assert_eq!(
        package["contributes"]["languages"][0]["extensions"][0],
        ".rio"
    );
}

/// The README states the minimum Rust version the workspace declares.
#[test]
fn readme_and_cargo_toml_agree_on_the_rust_version() {
    let cargo = std::fs::read_to_string(root("Cargo.toml")).expect("Cargo.toml");
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("rust-version in [workspace.package]");
    let readme = std::fs::read_to_string(root("README.md")).expect("README");
    assert!(
        readme.contains(&format!("stable {version} or newer")),
        "README must say `stable {version} or newer`"
    );
}
