//! The network runtime end to end: real `rio-node` processes on loopback.
//! Four processes deliver; with one killed the others still deliver; a fifth
//! party sending garbage, oversized frames, undecodable messages or trying
//! to connect with an unknown key changes nothing (each is logged and its
//! connection dropped). The nodes' traces merge into one trace that checks
//! and renders like a simulator trace.
//!
//! Every wait is on a condition (a node's `listening on` line, its
//! `delivered` line, its exit after SIGTERM) with a generous deadline, never
//! a fixed sleep, so the tests pass on a saturated machine.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any one condition may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(120);

struct Cluster {
    dir: PathBuf,
    children: Vec<(u32, Child)>,
    lines: mpsc::Receiver<(u32, String)>,
    lines_tx: mpsc::Sender<(u32, String)>,
    /// Lines received but not consumed yet.
    seen: Vec<(u32, String)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_base_port() -> u16 {
    // Four consecutive free ports, found by binding.
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = l.local_addr().expect("addr").port();
        drop(l);
        if base < 60_000
            && (1..4).all(|k| std::net::TcpListener::bind(("127.0.0.1", base + k)).is_ok())
        {
            return base;
        }
    }
}

fn cluster(name: &str) -> Cluster {
    cluster_with(name, &["--trace"])
}

fn cluster_with(name: &str, extra: &[&str]) -> Cluster {
    let dir = std::env::temp_dir().join(format!("rio-net-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let base = free_base_port();
    let out = Command::new(env!("CARGO_BIN_EXE_rio-node"))
        .args([
            "cluster",
            "--nodes",
            "4",
            "--base-port",
            &base.to_string(),
            "--dir",
        ])
        .arg(&dir)
        .args(extra)
        .output()
        .expect("rio-node cluster");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (lines_tx, lines) = mpsc::channel();
    Cluster {
        dir,
        children: Vec::new(),
        lines,
        lines_tx,
        seen: Vec::new(),
    }
}

impl Cluster {
    fn start(&mut self, k: u32, extra: &[&str]) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rio-node"))
            .arg("run")
            .arg(self.dir.join(format!("node{k}.toml")))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.join(format!("node{k}.log"))).expect("log file"))
            .spawn()
            .expect("spawn rio-node");
        let stdout = child.stdout.take().expect("stdout");
        let tx = self.lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send((k, line));
            }
        });
        self.children.push((k, child));
        self.next_line(|j, l| j == k && l.starts_with("listening on"));
    }

    /// Consumes and returns the first line (already received or to come)
    /// that `want` accepts; fails the test after [`DEADLINE`].
    fn next_line(&mut self, want: impl Fn(u32, &str) -> bool) -> (u32, String) {
        if let Some(pos) = self.seen.iter().position(|(k, l)| want(*k, l)) {
            return self.seen.remove(pos);
        }
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((k, line)) if want(k, &line) => return (k, line),
                Ok(other) => self.seen.push(other),
                Err(_) => panic!(
                    "timed out waiting for a line; seen {:?}; logs in {}",
                    self.seen,
                    self.dir.display()
                ),
            }
        }
    }

    /// Asks every node to stop (SIGTERM: graceful, traces written) and
    /// waits for them to exit.
    fn terminate_all(&mut self) {
        for (_, c) in &self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
        }
        self.wait_all();
    }

    /// Kills node `k`'s process.
    fn kill(&mut self, k: u32) {
        if let Some(pos) = self.children.iter().position(|(id, _)| *id == k) {
            let (_, mut child) = self.children.remove(pos);
            child.kill().expect("kill");
            let _ = child.wait();
        }
    }

    /// Waits for `count` lines `delivered VALUE`; returns (node, value).
    fn deliveries(&mut self, count: usize) -> Vec<(u32, String)> {
        (0..count)
            .map(|_| {
                let (k, line) = self.next_line(|_, l| l.starts_with("delivered "));
                (k, line.trim_start_matches("delivered ").to_string())
            })
            .collect()
    }

    fn log(&self, k: u32) -> String {
        std::fs::read_to_string(self.dir.join(format!("node{k}.log"))).unwrap_or_default()
    }

    fn config(&self, k: u32) -> rio_net::NetConfig {
        let text = std::fs::read_to_string(self.dir.join(format!("node{k}.toml"))).expect("config");
        rio_net::NetConfig::from_toml(&text).expect("valid config")
    }

    fn wait_all(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.wait();
        }
    }
}

fn addr(cfg: &rio_net::NetConfig) -> String {
    cfg.listen.clone()
}

#[test]
fn four_processes_deliver_and_their_traces_merge() {
    let mut c = cluster("four");
    for k in 1..4 {
        c.start(k, &[]);
    }
    c.start(0, &["--broadcast", "42"]);
    let got = c.deliveries(4);
    assert!(got.iter().all(|(_, v)| v == "42"), "{got:?}");
    c.terminate_all();
    let traces: Vec<_> = (0..4)
        .map(|k| {
            let text = std::fs::read_to_string(c.dir.join(format!("node{k}.trace.jsonl")))
                .expect("trace written at shutdown");
            rio_net::parse_trace(&text).expect("trace parses")
        })
        .collect();
    let merged = rio_net::merge_traces(traces);
    // Each node delivered, so each received the SEND, at least n - f = 3
    // ECHOs and 3 READYs; messages still in flight at SIGTERM may be
    // missing, but none is delivered twice.
    let delivered: Vec<(u32, u32, String)> = merged
        .iter()
        .filter_map(|e| match &e.kind {
            rio_sim::Kind::Deliver { from, to, msg, .. } => Some((*from, *to, msg.clone())),
            _ => None,
        })
        .collect();
    let distinct: std::collections::BTreeSet<_> = delivered.iter().collect();
    assert_eq!(
        distinct.len(),
        delivered.len(),
        "no message delivered twice"
    );
    assert!(
        (4 * 7..=4 + 2 * 16).contains(&delivered.len()),
        "{} deliveries",
        delivered.len()
    );
    // After the fact: agreement holds on the merged trace.
    let outputs: std::collections::BTreeSet<String> = merged
        .iter()
        .filter_map(|e| match &e.kind {
            rio_sim::Kind::Output { output, .. } => Some(output.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs.len(), 1, "{outputs:?}");
    let svg = rio_sim::diagram::svg("cluster", 4, &merged, Default::default());
    // A lifeline per node and an arrow per delivery between two nodes.
    let arrows = delivered.iter().filter(|(from, to, _)| from != to).count();
    assert!(svg.contains("node 3"));
    assert!(svg.matches("<line").count() >= 4 + arrows, "{svg}");
    // The trace viewer draws a network trace too: without sending steps,
    // each arrow starts at the first row of its send time, never below
    // its delivery; lines and keys came over the wire with the trace.
    assert!(merged.iter().any(|e| matches!(
        &e.kind,
        rio_sim::Kind::Deliver { slot: Some(s), .. } if s.line == "echo"
    )));
    let page = rio_sim::viewer::html("cluster", 4, &merged);
    let v = rio_examples::browser::check_page(
        "net-trace",
        &page,
        r#"
const arrows = [...document.querySelectorAll('#rio-svg line.msg')];
report({
  snap: snapshot(),
  arrows: arrows.length,
  backwards: arrows.filter((a) => +a.getAttribute('y1') > +a.getAttribute('y2')).length,
});
"#,
        (1400, 8000),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["snap"]["overlaps"], serde_json::json!([]), "{v}");
    assert_eq!(v["backwards"], 0, "{v}");
    assert!(v["arrows"].as_u64().unwrap_or(0) >= arrows as u64, "{v}");
}

/// The generated cluster directory holds private keys: owner-only, and
/// without `--trace` no node records a trace.
#[cfg(unix)]
#[test]
fn cluster_files_are_private_and_untraced_by_default() {
    use std::os::unix::fs::PermissionsExt;
    let c = cluster_with("private", &[]);
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&c.dir), 0o700);
    for k in 0..4 {
        assert_eq!(mode(&c.dir.join(format!("node{k}.toml"))), 0o600);
        assert!(c.config(k).trace.is_none());
    }
}

#[test]
fn with_one_node_killed_the_others_deliver() {
    let mut c = cluster("killed");
    for k in 1..4 {
        c.start(k, &[]);
    }
    // Kill node 3 before the broadcast.
    c.kill(3);
    c.start(0, &["--broadcast", "7"]);
    let got = c.deliveries(3);
    assert!(got.iter().all(|(k, v)| v == "7" && *k != 3), "{got:?}");
}

/// A Noise initiator with the given private key: returns a transport and
/// the raw stream, after a complete handshake.
fn noise_connect(addr: &str, private: &[u8]) -> Option<(TcpStream, snow::TransportState)> {
    let mut s = TcpStream::connect(addr).ok()?;
    let mut hs = snow::Builder::new("Noise_XX_25519_ChaChaPoly_BLAKE2s".parse().ok()?)
        .local_private_key(private)
        .ok()?
        .build_initiator()
        .ok()?;
    let mut buf = vec![0u8; 65_535];
    let send = |s: &mut TcpStream, b: &[u8]| {
        let len = u32::try_from(b.len()).unwrap_or(0).to_be_bytes();
        s.write_all(&len).and_then(|()| s.write_all(b))
    };
    let recv = |s: &mut TcpStream| -> Option<Vec<u8>> {
        use std::io::Read;
        let mut len = [0u8; 4];
        s.read_exact(&mut len).ok()?;
        let mut b = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut b).ok()?;
        Some(b)
    };
    let len = hs.write_message(&[], &mut buf).ok()?;
    send(&mut s, buf.get(..len)?).ok()?;
    let m2 = recv(&mut s)?;
    hs.read_message(&m2, &mut buf).ok()?;
    let len = hs.write_message(&[], &mut buf).ok()?;
    send(&mut s, buf.get(..len)?).ok()?;
    Some((s, hs.into_transport_mode().ok()?))
}

fn framed_send(
    s: &mut TcpStream,
    t: &mut snow::TransportState,
    payload: &[u8],
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 65_535];
    let len = t
        .write_message(payload, &mut buf)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    s.write_all(&u32::try_from(len).unwrap_or(0).to_be_bytes())?;
    s.write_all(buf.get(..len).unwrap_or_default())
}

#[test]
fn garbage_oversized_undecodable_and_impersonating_peers_change_nothing() {
    let mut c = cluster("garbage");
    for k in 1..4 {
        c.start(k, &[]);
    }
    let target = addr(&c.config(1));
    // Garbage bytes: not a handshake.
    let mut s = TcpStream::connect(&target).expect("connect");
    s.write_all(b"\x00\x00\x00\x05hello, I am not noise")
        .expect("write");
    drop(s);
    // An oversized frame header (10 MB).
    let mut s = TcpStream::connect(&target).expect("connect");
    s.write_all(&10_000_000u32.to_be_bytes()).expect("write");
    s.write_all(&[0u8; 1024]).expect("write");
    drop(s);
    // A complete handshake with a key nobody configured (an outsider
    // impersonating node 0 cannot present node 0's key).
    let outsider = snow::Builder::new("Noise_XX_25519_ChaChaPoly_BLAKE2s".parse().expect("params"))
        .generate_keypair()
        .expect("kp");
    if let Some((mut s, mut t)) = noise_connect(&target, &outsider.private) {
        let forged = postcard::to_stdvec(&(
            0u64,
            rio_examples::generated::bracha::Message::<u64>::Send(666),
        ))
        .expect("encode");
        let _ = framed_send(&mut s, &mut t, &forged);
    }
    // An authenticated peer (node 3's key) sending an undecodable message.
    let key3 = hex::decode(c.config(3).private_key).expect("hex");
    let (mut s, mut t) = noise_connect(&target, &key3).expect("node 3's key is accepted");
    framed_send(&mut s, &mut t, &[0xff, 0xff, 0xff, 0xff, 0x13]).expect("send");
    // Node 1 logs each of the four attacks (and keeps running).
    let reasons = [
        "frame size too big",
        "handshake: input error",
        "unknown peer key",
        "malformed message",
    ];
    let end = Instant::now() + DEADLINE;
    while !reasons.iter().all(|r| c.log(1).contains(r)) {
        assert!(
            Instant::now() < end,
            "node 1's log lacks one of {reasons:?}:\n{}",
            c.log(1)
        );
        std::thread::yield_now();
    }
    // The cluster still works: the sender broadcasts and everybody delivers.
    c.start(0, &["--broadcast", "5"]);
    let got = c.deliveries(4);
    assert!(
        got.iter().all(|(_, v)| v == "5"),
        "nothing forged was delivered: {got:?}"
    );
    c.terminate_all();
}

/// Resident memory of a process, in KiB (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A flood of idle connections, half-done handshakes and garbage against
/// one node: it keeps delivering, and its memory and log stay bounded (at
/// most `MAX_PENDING` connections wait in a handshake; the rest are closed
/// at once; drops are logged aggregated).
#[cfg(target_os = "linux")]
#[test]
fn connection_floods_leave_memory_and_logs_bounded() {
    let mut c = cluster_with("flood", &[]);
    for k in 1..4 {
        c.start(k, &[]);
    }
    let target = addr(&c.config(1));
    let pid = c
        .children
        .iter()
        .find(|(k, _)| *k == 1)
        .map(|(_, ch)| ch.id())
        .expect("node 1");
    let before = rss_kib(pid).expect("rss");
    let mut held = Vec::new();
    for k in 0..600 {
        let Ok(mut s) = TcpStream::connect(&target) else {
            continue;
        };
        match k % 3 {
            // Idle: connects and says nothing.
            0 => {}
            // Half a handshake: a plausible first frame, then silence.
            1 => {
                let _ = s.write_all(&32u32.to_be_bytes());
                let _ = s.write_all(&[7u8; 32]);
            }
            // Garbage, then silence.
            _ => {
                let _ = s.write_all(b"\x00\x00\x00\x04junkjunkjunk");
            }
        }
        held.push(s);
    }
    c.start(0, &["--broadcast", "11"]);
    let got = c.deliveries(4);
    assert!(got.iter().all(|(_, v)| v == "11"), "{got:?}");
    let after = rss_kib(pid).expect("rss");
    drop(held);
    c.terminate_all();
    let log = c.log(1);
    eprintln!(
        "flood: node 1 RSS {before} KiB -> {after} KiB, log {} bytes",
        log.len()
    );
    assert!(
        after.saturating_sub(before) < 8 * 1024,
        "node 1 grew from {before} KiB to {after} KiB"
    );
    assert!(
        log.len() < 16 * 1024,
        "node 1 logged {} bytes:\n{}",
        log.len(),
        log.lines().take(20).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn peers_reconnect_after_a_node_restarts() {
    let mut c = cluster("restart");
    for k in 1..4 {
        c.start(k, &[]);
    }
    // Node 0 starts and connects to everyone.
    c.start(0, &[]);
    // Node 3 dies and comes back on the same address; node 0 too. The
    // others notice the closed connections and reconnect with backoff.
    c.kill(3);
    c.start(3, &[]);
    c.kill(0);
    c.start(0, &["--broadcast", "9"]);
    let got = c.deliveries(4);
    assert!(got.iter().all(|(_, v)| v == "9"), "{got:?}");
    let restarted: Vec<u32> = got.iter().map(|(k, _)| *k).collect();
    assert!(
        restarted.contains(&3),
        "the restarted node delivered: {got:?}"
    );
}

/// Issue "restart turns a correct node Byzantine": with a Byzantine sender
/// (this test, holding node 0's key) that equivocates, node 2 delivers,
/// is killed with SIGKILL and restarted, and is then fed the *other* value.
/// Its durable state makes it re-send what it had sent, refuse to echo the
/// other value (a logged suppression instead of evidence at its peers), and
/// not deliver again.
#[test]
fn a_restarted_node_never_contradicts_itself() {
    use rio_examples::generated::bracha::Message;
    let mut c = cluster_with("durable", &[]);
    for k in 1..4 {
        c.start(k, &[]);
    }
    let key0 = hex::decode(c.config(0).private_key).expect("hex");
    let send_as_0 = |c: &Cluster, k: u32, msgs: &[Message<u64>]| {
        let (mut s, mut t) =
            noise_connect(&addr(&c.config(k)), &key0).expect("node 0's key is accepted");
        for m in msgs {
            let bytes = postcard::to_stdvec(&(0u64, m)).expect("encode");
            framed_send(&mut s, &mut t, &bytes).expect("send");
        }
        // Keep the connection open until the node has read it all.
        s
    };
    // Equivocation: SEND(1) to node 1, SEND(2) to nodes 2 and 3, and an
    // ECHO(2) to everyone so that value 2 gathers an echo quorum.
    let _h1 = send_as_0(&c, 1, &[Message::Send(1), Message::Echo(2)]);
    let _h2 = send_as_0(&c, 2, &[Message::Send(2), Message::Echo(2)]);
    let _h3 = send_as_0(&c, 3, &[Message::Send(2), Message::Echo(2)]);
    let got = c.deliveries(3);
    assert!(got.iter().all(|(_, v)| v == "2"), "{got:?}");
    // Node 2 crashes hard and comes back with its durable state.
    c.kill(2);
    c.start(2, &[]);
    // The Byzantine sender now tells the restarted node the other value.
    let _h2b = send_as_0(&c, 2, &[Message::Send(1)]);
    let end = Instant::now() + DEADLINE;
    while !c.log(2).contains("suppressed a send that contradicts") {
        assert!(Instant::now() < end, "node 2 never refused:\n{}", c.log(2));
        std::thread::yield_now();
    }
    c.terminate_all();
    for k in [1, 3] {
        let log = c.log(k);
        assert!(
            !log.lines()
                .any(|l| l.contains("evidence of a faulty peer") && l.contains("peer=2")),
            "node {k} saw node 2 contradict itself:\n{log}"
        );
    }
    assert!(
        !c.seen
            .iter()
            .any(|(k, l)| *k == 2 && l.starts_with("delivered")),
        "node 2 delivered twice: {:?}",
        c.seen
    );
}

/// Reiter's signed echo broadcast as four processes with Ed25519
/// signatures: an authenticated insider (node 3's Noise key) sends node 1 a
/// FINAL whose certificate carries its own real signature and two forged
/// ones. Node 1 refuses it (logged as evidence against node 3), and the
/// real broadcast still reaches everyone.
#[test]
fn a_certificate_with_forged_signatures_is_refused_on_the_wire() {
    use rio_examples::generated::echo::signed_echo::Message;
    use rio_runtime::crypto::{Signed, SYMBOLIC};
    use rio_runtime::{Cert, NodeId};

    let mut c = cluster("signed");
    let proto = ["--protocol", "signed-echo"];
    for k in 1..4 {
        c.start(k, &proto);
    }
    let target = addr(&c.config(1));
    let key3 = hex::decode(c.config(3).private_key).expect("hex");
    // Node 3's real Ed25519 signature on 666 (an insider signs as itself)...
    let peers = vec![None; 4];
    let own = rio_net::signing::Ed25519::new(NodeId(3), &key3, peers);
    let real = Signed::sign(&own, "SignedEcho", 0, &[], NodeId(3), 666u64).expect("own key");
    // ... and two it cannot make: nodes 0's and 2's, forged.
    let fake = |s: u32| Signed::sign(&SYMBOLIC, "SignedEcho", 0, &[], NodeId(s), 666u64);
    let votes = [fake(0).expect("sig"), fake(2).expect("sig"), real];
    let cert = Cert::assemble(3, 0, &[], votes.iter()).expect("three signers");
    let forged = postcard::to_stdvec(&(0u64, Message::<u64>::Final(cert))).expect("encode");
    let (mut s, mut t) = noise_connect(&target, &key3).expect("node 3's key is accepted");
    framed_send(&mut s, &mut t, &forged).expect("send");
    let end = Instant::now() + DEADLINE;
    while !(c.log(1).contains("evidence of a faulty peer") && c.log(1).contains("line=\"final\"")) {
        assert!(
            Instant::now() < end,
            "node 1 did not refuse the forged certificate:\n{}",
            c.log(1)
        );
        std::thread::yield_now();
    }
    // The honest sender's broadcast: every node delivers its value, and
    // nobody delivered 666.
    c.start(0, &["--protocol", "signed-echo", "--broadcast", "5"]);
    let got = c.deliveries(4);
    assert!(
        got.iter().all(|(_, v)| v == "5"),
        "only the signed value is delivered: {got:?}"
    );
    c.terminate_all();
}
