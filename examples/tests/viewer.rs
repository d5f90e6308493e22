//! The trace viewer in a real browser: headless Chromium loads the page,
//! a script inside it acts as a user would (filters, collapses, steps,
//! scrolls) and reports what the page then shows; the assertions are on
//! those reports: no two label boxes intersect, filters change what is
//! shown, decided values are readable, drops, crashes and forged messages
//! are drawn as such, and a 100,000-event trace keeps the DOM small.

use rio_examples::browser;
use rio_examples::generated::bracha::{Input, Node, Params};
use rio_runtime::NodeId;
use rio_sim::{Byzantine, Config, Fault, Sim, TraceEvent};
use serde_json::Value;

/// Bracha among 4 with a Byzantine voter that splits, a node that crashes
/// and restarts, and lossy links: every kind of mark in one trace.
fn bracha_trace() -> Vec<TraceEvent> {
    let params = Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    let cfg = Config::new(7)
        .latency(1, 8)
        .loss(0.1)
        .fault(NodeId(3), Fault::Byzantine(Byzantine::Split))
        .fault(
            NodeId(2),
            Fault::CrashRestart {
                at: 30,
                restart: 50,
            },
        );
    let mut sim = Sim::new(4, cfg, move |id| {
        Node::<u64>::new(id, params.clone()).expect("params")
    });
    sim.input_at(0, NodeId(0), Input::Bc(42));
    sim.run().trace
}

/// A slot sequence of `total` slots (node 1 crashed), run for `ms`.
fn slots_trace(total: u64, ms: u64, seed: u64) -> Vec<TraceEvent> {
    rio_examples::scenarios::slots_crashed_leader(seed, total, ms).trace
}

fn run(name: &str, page: &str, script: &str, size: (u32, u32)) -> Value {
    browser::check_page(name, page, script, size).unwrap_or_else(|e| panic!("{e}"))
}

fn texts(v: &Value) -> Vec<String> {
    v["texts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bracha_trace_draws_without_overlaps_and_filters_change_what_is_shown() {
    let trace = bracha_trace();
    let page = rio_sim::viewer::html("Bracha, split voter, crash and restart", 4, &trace);
    std::fs::write(std::env::temp_dir().join("rio-viewer-bracha.html"), &page).ok();
    let script = r#"
(async () => {
  try {
    const out = {};
    out.all = snapshot();
    out.outputs = boxes('#rio-svg text.label.output').map((b) => b.text);
    out.outputRight = Math.max(0, ...boxes('#rio-svg text.label.output').map((b) => b.x + b.w));
    out.viewWidth = $('rio-scroll').clientWidth;
    out.forged = document.querySelectorAll('#rio-svg line.msg.forged').length;
    out.forgedLabels = boxes('#rio-svg text.label.forged').length;
    out.drops = document.querySelectorAll('#rio-svg text.cross').length;
    out.dropLines = document.querySelectorAll('#rio-svg line.msg.drop').length;
    out.byzLane = [...document.querySelectorAll('.lane-name.byz')].map((d) => d.textContent);
    // Node 2 crashed and restarted: two lifeline segments with a gap.
    const lifes = [...document.querySelectorAll('#rio-svg line.life')].map((l) => ({
      x: +l.getAttribute('x1'), y1: +l.getAttribute('y1'), y2: +l.getAttribute('y2') }));
    const xs = [...new Set(lifes.map((l) => l.x))].sort((a, b) => a - b);
    out.segments = xs.map((x) => lifes.filter((l) => l.x === x).length);
    const crash = [...document.querySelectorAll('#rio-svg text.fault-mark')].map((t) => +t.getAttribute('y'));
    out.crashMarks = crash.length;
    // Hover over a forged message's label: the tooltip has it in full.
    const forged = document.querySelector('#rio-svg text.label.forged').getBoundingClientRect();
    $('rio-svg').dispatchEvent(new MouseEvent('mousemove', {
      clientX: forged.left + forged.width / 2, clientY: forged.top + forged.height / 2, bubbles: true }));
    out.tip = $('rio-tip').textContent;
    out.tipShown = getComputedStyle($('rio-tip')).display;
    // Filter by line.
    change('rio-line', 'ready');
    out.ready = snapshot();
    change('rio-line', '');
    // Filter by node: hide node 3 (the Byzantine one).
    change('rio-line', '');
    document.querySelector('#rio-nodes input[data-node="3"]').checked = false;
    document.querySelector('#rio-nodes input[data-node="3"]').dispatchEvent(new Event('change'));
    out.noNode3 = snapshot();
    out.lanes = [...document.querySelectorAll('.lane-name')].map((d) => d.textContent);
    out.forgedWithout3 = document.querySelectorAll('#rio-svg line.msg.forged').length;
    // Step through events: the details panel shows the full event.
    $('rio-next').click();
    $('rio-next').click();
    out.details = $('rio-details').textContent;
    out.current = document.querySelectorAll('#rio-svg rect.cur').length;
    report(out);
  } catch (e) {
    report({ error: String(e && e.stack || e) });
  }
})();
"#;
    let v = run("viewer-bracha", &page, script, (1400, 2400));
    assert!(v["error"].is_null(), "page script failed: {}", v["error"]);
    let all = &v["all"];
    assert!(all["labels"].as_u64().unwrap_or(0) > 30, "{all}");
    assert_eq!(
        all["overlaps"],
        Value::Array(vec![]),
        "label boxes intersect"
    );
    assert_eq!(all["outside"], Value::Array(vec![]), "labels cut off");
    // Decided values: readable in full and inside the view.
    let outputs: Vec<String> = v["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let expected = trace
        .iter()
        .filter(|e| matches!(e.kind, rio_sim::Kind::Output { .. }))
        .count();
    assert!(expected >= 2, "the run delivers");
    assert_eq!(outputs.len(), expected, "{outputs:?}");
    assert!(outputs.iter().all(|o| o == "⇒ Dlvr(42)"), "{outputs:?}");
    assert!(
        v["outputRight"].as_f64().unwrap_or(f64::MAX) <= v["viewWidth"].as_f64().unwrap_or(0.0),
        "decided values cut off: {v}"
    );
    // Forged messages, drops, the Byzantine lane, crash and restart.
    assert!(v["forged"].as_u64().unwrap_or(0) > 0, "{v}");
    assert_eq!(v["forged"], v["forgedLabels"], "each forged arrow labelled");
    assert!(v["drops"].as_u64().unwrap_or(0) > 0, "{v}");
    assert_eq!(v["byzLane"], serde_json::json!(["node 3 (Byzantine)"]));
    assert_eq!(
        v["segments"],
        serde_json::json!([1, 1, 2, 1]),
        "node 2's lifeline ends and resumes"
    );
    assert_eq!(v["crashMarks"], 2, "crash and restart marked");
    // Hover shows the full event, structured value included.
    assert_eq!(v["tipShown"], "block");
    let tip = v["tip"].as_str().unwrap_or("");
    assert!(tip.contains("FORGED") && tip.contains("node 3 →"), "{tip}");
    assert!(
        tip.contains("\"Echo\": ") || tip.contains("\"Ready\": "),
        "{tip}"
    );
    // The line filter: only READY messages (and outputs, faults) remain.
    let ready = texts(&v["ready"]);
    let msgs: Vec<&String> = ready
        .iter()
        .filter(|t| t.starts_with("Send") || t.starts_with("Echo") || t.starts_with("Ready"))
        .collect();
    assert!(!msgs.is_empty());
    assert!(msgs.iter().all(|t| t.starts_with("Ready")), "{msgs:?}");
    assert_ne!(v["ready"]["count"], all["count"]);
    assert_eq!(v["ready"]["overlaps"], Value::Array(vec![]));
    // The node filter: node 3's lane and its (forged) messages are gone.
    assert_eq!(
        v["lanes"],
        serde_json::json!(["node 0", "node 1", "node 2"])
    );
    assert_eq!(v["forgedWithout3"], 0);
    assert_eq!(v["noNode3"]["overlaps"], Value::Array(vec![]));
    // Stepping selects an event and shows it in full.
    assert_eq!(v["current"], 1);
    let details = v["details"].as_str().unwrap_or("");
    assert!(details.contains("step"), "{details}");
}

#[test]
fn instances_filter_and_collapse_and_decided_values_stay_readable() {
    let trace = slots_trace(12, 2_000, 3);
    let page = rio_sim::viewer::html("Slot sequence, node 1 crashed", 4, &trace);
    let script = r#"
(async () => {
  try {
    const out = {};
    out.all = snapshot();
    // Only instance 5.
    change('rio-key', '5');
    out.five = snapshot();
    change('rio-key', '');
    // Collapse every instance: one summary row each, outputs still shown.
    $('rio-collapse-all').click();
    out.collapsed = snapshot();
    out.summaries = document.querySelectorAll('#rio-svg rect.summary').length;
    out.decided = boxes('#rio-svg text.label.output').map((b) => b.text);
    // Click the first summary row: that instance opens again.
    const first = document.querySelector('#rio-svg text.summary-text');
    out.opened = first.getAttribute('data-key');
    first.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    out.afterClick = [...document.querySelectorAll('#rio-svg rect.summary')].map((r) => r.getAttribute('data-key'));
    out.checked = [...document.querySelectorAll('#rio-keys input')].filter((c) => c.checked).length;
    out.keys = document.querySelectorAll('#rio-keys input').length;
    report(out);
  } catch (e) {
    report({ error: String(e && e.stack || e) });
  }
})();
"#;
    let v = run("viewer-slots", &page, script, (1400, 4000));
    assert!(v["error"].is_null(), "page script failed: {}", v["error"]);
    for view in ["all", "five", "collapsed"] {
        assert_eq!(v[view]["overlaps"], Value::Array(vec![]), "{view}");
        assert_eq!(v[view]["outside"], Value::Array(vec![]), "{view}");
    }
    // The key filter keeps instance 5's messages and outputs only.
    let five = texts(&v["five"]);
    let keyed: Vec<&String> = five.iter().filter(|t| t.contains("key: [")).collect();
    assert!(keyed.len() >= 5, "{five:?}");
    assert!(keyed.iter().all(|t| t.contains("key: [5]")), "{keyed:?}");
    assert_ne!(v["five"]["count"], v["all"]["count"]);
    // Collapsed: no message labels, one summary per instance in view, and
    // every decided value in view readable in full.
    let collapsed = texts(&v["collapsed"]);
    assert!(
        !collapsed
            .iter()
            .any(|t| t.starts_with("Vote") || t.starts_with("Proposal")),
        "{collapsed:?}"
    );
    assert!(v["summaries"].as_u64().unwrap_or(0) >= 10, "{v}");
    let decided: Vec<&str> = v["decided"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let outputs: Vec<String> = trace
        .iter()
        .filter_map(|e| match &e.kind {
            rio_sim::Kind::Output { output, .. } => Some(format!("⇒ {output}")),
            _ => None,
        })
        .collect();
    assert!(decided.len() >= 30, "{decided:?}");
    for d in &decided {
        assert!(outputs.iter().any(|o| o == d), "not shown in full: {d}");
    }
    // Clicking a summary opens that instance.
    assert_eq!(v["opened"], "0");
    let after: Vec<&str> = v["afterClick"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(!after.is_empty() && !after.contains(&"0"), "{after:?}");
    assert_eq!(
        v["checked"].as_u64().map(|c| c + 1),
        v["keys"].as_u64(),
        "the instance list follows"
    );
}

#[test]
fn a_hundred_thousand_events_keep_the_dom_small() {
    let trace = slots_trace(2_000, 450_000, 5);
    assert!(trace.len() >= 100_000, "{} events", trace.len());
    let page = rio_sim::viewer::html("100,000 events", 4, &trace);
    let script = r#"
(async () => {
  try {
    const out = {};
    out.top = snapshot();
    out.rows = window.rioViewer.rows();
    // Jump to the middle, as a scroll bar drag would.
    const s = $('rio-scroll');
    s.scrollTop = s.scrollHeight / 2;
    s.dispatchEvent(new Event('scroll'));
    await frame();
    await frame();
    out.scrollTop = s.scrollTop;
    out.scrollHeight = s.scrollHeight;
    out.clientHeight = s.clientHeight;
    out.middle = snapshot();
    // Filter to one instance of thousands.
    change('rio-key', '1000');
    out.one = snapshot();
    out.oneRows = window.rioViewer.rows();
    report(out);
  } catch (e) {
    report({ error: String(e && e.stack || e) });
  }
})();
"#;
    let v = run("viewer-100k", &page, script, (1400, 1000));
    assert!(v["error"].is_null(), "page script failed: {}", v["error"]);
    assert!(v["rows"].as_u64().unwrap_or(0) > 50_000, "{}", v["rows"]);
    for view in ["top", "middle", "one"] {
        let elements = v[view]["elements"].as_u64().unwrap_or(u64::MAX);
        assert!(elements < 2_000, "{view}: {elements} SVG elements");
        assert!(
            v[view]["labels"].as_u64().unwrap_or(0) > 10,
            "{view}: {}",
            v[view]
        );
        assert_eq!(v[view]["overlaps"], Value::Array(vec![]), "{view}");
    }
    // The middle of the trace is drawn: its time labels are far from 0.
    let middle = texts(&v["middle"]);
    let late = middle
        .iter()
        .filter_map(|t| t.strip_suffix(" ms").and_then(|n| n.parse::<u64>().ok()))
        .filter(|t| *t > 100_000)
        .count();
    assert!(
        late > 5,
        "{} {} {} {middle:?}",
        v["scrollTop"],
        v["scrollHeight"],
        v["clientHeight"]
    );
    let one = texts(&v["one"]);
    assert!(one.iter().any(|t| t.contains("key: [1000]")), "{one:?}");
    assert!(v["oneRows"].as_u64().unwrap_or(u64::MAX) < 200);
}

#[test]
fn rio_trace_renders_trace_files_and_refuses_what_is_not_a_trace() {
    let dir = browser::scratch("rio-trace");
    let trace = bracha_trace();
    // Two files, as two network nodes would write them: merged by time.
    let (a, b): (Vec<TraceEvent>, Vec<TraceEvent>) = trace
        .iter()
        .cloned()
        .partition(|e| matches!(e.kind, rio_sim::Kind::Deliver { to: 0 | 1, .. }));
    let (fa, fb, out) = (
        dir.join("a.jsonl"),
        dir.join("b.jsonl"),
        dir.join("out.html"),
    );
    std::fs::write(&fa, rio_runtime::trace::to_jsonl(&a)).expect("write");
    std::fs::write(&fb, rio_runtime::trace::to_jsonl(&b)).expect("write");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rio-trace"))
        .arg(&fa)
        .arg(&fb)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run rio-trace");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        said.starts_with(&format!("{} events of 4 nodes", trace.len())),
        "{said}"
    );
    let page = std::fs::read_to_string(&out).expect("page written");
    assert!(page.contains("\"forged\":true") && page.contains("rio-svg"));
    // Not a trace: an error naming the file, exit 1, nothing written.
    std::fs::write(&fa, "{\"step\": \"x\"}\n").expect("write");
    let bad = dir.join("bad.html");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_rio-trace"))
        .arg(&fa)
        .arg("-o")
        .arg(&bad)
        .output()
        .expect("run rio-trace");
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("a.jsonl is not a Rio trace"), "{err}");
    assert!(!bad.exists());
}

#[test]
fn coins_are_drawn_and_filtered_with_timers() {
    let trace = rio_examples::scenarios::ben_or(3, 0.0).trace;
    let flips = trace
        .iter()
        .filter(|e| matches!(e.kind, rio_sim::Kind::Coin { .. }))
        .count();
    assert!(flips > 0, "seed 3 flips coins");
    let page = rio_sim::viewer::html("Ben-Or", 4, &trace);
    let script = r#"
(async () => {
  try {
    const out = { all: snapshot() };
    change('rio-minor', false);
    out.quiet = snapshot();
    report(out);
  } catch (e) {
    report({ error: String(e && e.stack || e) });
  }
})();
"#;
    let v = run("viewer-coins", &page, script, (1400, 20000));
    assert!(v["error"].is_null(), "page script failed: {}", v["error"]);
    let all = texts(&v["all"]);
    let coins: Vec<&String> = all
        .iter()
        .filter(|t| t.starts_with("coin flip = "))
        .collect();
    assert!(!coins.is_empty(), "{all:?}");
    assert_eq!(v["all"]["overlaps"], Value::Array(vec![]));
    assert!(!texts(&v["quiet"]).iter().any(|t| t.starts_with("coin ")));
}

/// Labels are cut by their measured width, not by a character count, so
/// wide scripts, emoji and very long values never overlap or stick out;
/// markup in values stays text. (With only the DejaVu fonts CI has, SVG
/// text draws these glyphs one monospace cell wide, so here the test
/// guards the layout rather than the measurement.)
#[test]
fn wide_and_hostile_text_never_overlaps() {
    use rio_sim::Kind;
    // `⟹` and `∰` draw wider than a monospace cell with the fonts CI has
    // (DejaVu); wide scripts and emoji do wherever their fonts are installed.
    let wide = "⟹∰漢字🙂".repeat(40);
    let mut trace = Vec::new();
    for k in 0..60u64 {
        let (from, to) = ((k % 3) as u32, ((k + 1) % 3) as u32);
        let kind = match k % 4 {
            0 => Kind::Deliver {
                from,
                to,
                msg: format!("{wide}<b>{k}</b>"),
                sent_at: k,
                sent_step: Some(k),
                value: None,
                slot: None,
                forged: false,
            },
            1 => Kind::Output {
                node: to,
                output: format!("{wide}{k}"),
                value: None,
                slot: None,
            },
            2 => Kind::Input {
                node: from,
                input: "<script>alert(1)</script>".repeat(5),
                value: None,
                slot: None,
            },
            _ => Kind::Drop {
                from,
                to,
                msg: wide.clone(),
                reason: "loss".into(),
                sent_at: None,
                sent_step: None,
                slot: None,
                forged: true,
            },
        };
        trace.push(TraceEvent {
            step: k + 1,
            t: k * 1_000_000_007,
            kind,
        });
    }
    let page = rio_sim::viewer::html("wide text", 3, &trace);
    let script = r#"
(async () => {
  try {
    report({ snap: snapshot(), scripts: document.querySelectorAll('script').length });
  } catch (e) {
    report({ error: String(e && e.stack || e) });
  }
})();
"#;
    let v = run("viewer-wide", &page, script, (1400, 2400));
    assert!(v["error"].is_null(), "page script failed: {}", v["error"]);
    assert!(v["snap"]["labels"].as_u64().unwrap_or(0) > 50, "{v}");
    assert_eq!(v["snap"]["overlaps"], Value::Array(vec![]), "{v}");
    assert_eq!(v["snap"]["outside"], Value::Array(vec![]), "{v}");
    // The page's own two scripts and the probe's: no script from the trace.
    assert_eq!(v["scripts"], 3);
}
