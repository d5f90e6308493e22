//! The README's binaries treat a closed stdout (`rio-demo | head -1`) as
//! the end of the reader's interest, not as a crash.

use std::process::{Command, Stdio};

fn survives_a_closed_pipe(bin: &str, args: &[&str], dir: &std::path::Path) {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    // Close the reading end before the program writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("panicked"),
        "{bin}: {:?}\n{stderr}",
        out.status
    );
}

#[test]
fn binaries_survive_a_closed_stdout() {
    let dir = std::env::temp_dir().join(format!("rio-bins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let trace = dir.join("t.jsonl");
    std::fs::write(
        &trace,
        "{\"step\":1,\"t\":0,\"event\":\"input\",\"node\":0,\"input\":\"x\"}\n",
    )
    .expect("write");
    let page = dir.join("t.html");
    survives_a_closed_pipe(env!("CARGO_BIN_EXE_rio-sweep"), &["20"], &dir);
    survives_a_closed_pipe(
        env!("CARGO_BIN_EXE_rio-trace"),
        &[
            trace.to_str().unwrap_or_default(),
            "-o",
            page.to_str().unwrap_or_default(),
        ],
        &dir,
    );
    // rio-demo writes its pages under the working directory.
    survives_a_closed_pipe(env!("CARGO_BIN_EXE_rio-demo"), &[], &dir);
}
