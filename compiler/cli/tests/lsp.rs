//! `rio lsp` driven by a scripted client over stdio: initialize, open a
//! file with an error (its diagnostic is published), fix it (the
//! diagnostics clear), hover a line (type, dimensions, domain), go to its
//! definition, complete line names, and shut down cleanly. Every read waits
//! on the server's next message with a generous deadline.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rio"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn rio lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("json");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self.wait(|m| m.get("id") == Some(&json!(id)));
        assert!(reply.get("error").is_none(), "{method}: {reply}");
        reply.get("result").cloned().unwrap_or(Value::Null)
    }

    /// The next message that `want` accepts (others are skipped).
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let end = std::time::Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            let m = self
                .messages
                .recv_timeout(left)
                .expect("the server answers before the deadline");
            if want(&m) {
                return m;
            }
        }
    }

    fn diagnostics(&mut self) -> Vec<Value> {
        let m = self.wait(|m| m["method"] == "textDocument/publishDiagnostics");
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

const URI: &str = "file:///tmp/bracha.rio";

fn position_of(text: &str, needle: &str) -> Value {
    let k = text.find(needle).expect("needle") + 1;
    let line = text[..k].matches('\n').count();
    let col = k - text[..k].rfind('\n').map_or(0, |p| p + 1);
    json!({"line": line, "character": col})
}

#[test]
fn a_scripted_editor_session() {
    let good = include_str!("../../../spec/examples/bracha.rio");
    let bad = good.replace("quorum(?, f + 1", "quorum(f + 1");
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({"capabilities": {}, "processId": null, "rootUri": null}),
    );
    assert!(
        init["capabilities"]["hoverProvider"]
            .as_bool()
            .unwrap_or(false),
        "{init}"
    );
    c.notify("initialized", json!({}));

    // Diagnostics as you type.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "rio", "version": 1, "text": bad}}),
    );
    let diags = c.diagnostics();
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "E0501" && d["severity"] == 1),
        "{diags:?}"
    );
    let d = diags.iter().find(|d| d["code"] == "E0501").expect("E0501");
    // At the threshold, in UTF-16 line/character positions.
    let at = position_of(&bad, "f + 1, ready");
    assert_eq!(d["range"]["start"]["line"], at["line"], "{d}");
    assert_eq!(
        d["range"]["start"]["character"].as_u64(),
        at["character"].as_u64().map(|c| c - 1),
        "{d}"
    );
    assert!(d["message"].as_str().unwrap_or("").contains("help:"), "{d}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": good}]}),
    );
    assert_eq!(c.diagnostics(), Vec::<Value>::new());

    // Hover: a line's type, dimensions and domain.
    let pos = position_of(good, "echo[*]");
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": pos}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        text.contains("line `echo`") && text.contains("lives at"),
        "{hover}"
    );

    // Go to definition: where `echo` is produced.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": URI}, "position": pos}),
    );
    assert_eq!(def["uri"], URI, "{def}");
    let echo_def = position_of(good, "echo[i] =");
    assert_eq!(def["range"]["start"]["line"], echo_def["line"], "{def}");

    // Completion of line names.
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": position_of(good, "dlvr[i] =")}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    for l in ["echo", "ready", "strong", "weak", "dlvr", "quorum"] {
        assert!(labels.contains(&l), "{l} missing from {labels:?}");
    }

    // An unknown request is an error, not a crash.
    c.next_id += 1;
    let id = c.next_id;
    c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "rio/unknown", "params": {}}));
    let reply = c.wait(|m| m.get("id") == Some(&json!(id)));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");

    // Closing clears the diagnostics; shutdown and exit end the process.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(c.diagnostics(), Vec::<Value>::new());
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().expect("exit");
    assert!(status.success(), "{status}");
}
