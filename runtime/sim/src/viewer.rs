//! The trace viewer: one self-contained HTML file per trace (from the
//! simulator, the model checker or a network run: they share the format of
//! [`rio_runtime::trace`]). No network access and no external files: the
//! page carries its trace as JSON and its script and styles inline.
//!
//! What the page shows (see `docs/simulator.md`, "Trace viewer"):
//!
//! - one lane per node on a time axis, one row per event, an arrow from the
//!   row that sent a message to the row that received it;
//! - labels that never overlap, by construction: an event's label lives in
//!   its own row, right of the lane where it happens, cut to fit before the
//!   next lane; full values (the structured JSON too) on hover and in the
//!   details panel;
//! - drops drawn from where they were sent to where they were going, with a
//!   cross; crashes end a lifeline and restarts resume it; Byzantine nodes'
//!   lanes and messages are marked, forged messages more strongly;
//! - filters by node, by line and by instance key; instances collapsed to
//!   one summary row each; stepping through events (buttons, ↑ ↓);
//! - only the rows in view are drawn, so 100,000 events stay smooth
//!   (`cargo run --release -p rio-examples --bin rio-viewerbench` measures).

use rio_runtime::trace::TraceEvent;
use serde::Serialize;

const PAGE: &str = include_str!("viewer/page.html");
const SCRIPT: &str = include_str!("viewer/viewer.js");
const STYLE: &str = include_str!("viewer/viewer.css");

#[derive(Serialize)]
struct Data<'a> {
    title: &'a str,
    nodes: usize,
    unit: &'a str,
    events: &'a [TraceEvent],
}

/// The viewer page for a trace of `nodes` nodes whose times are in
/// milliseconds (the simulator's and the network runtime's traces).
pub fn html(title: &str, nodes: usize, trace: &[TraceEvent]) -> String {
    html_in(title, nodes, "ms", trace)
}

/// The viewer page for a trace whose times are in `unit` (the model
/// checker's traces count steps: `"step"`).
pub fn html_in(title: &str, nodes: usize, unit: &str, trace: &[TraceEvent]) -> String {
    let data = Data {
        title,
        nodes,
        unit,
        events: trace,
    };
    // Inside a <script> element only `</` can end it early; JSON has `<`
    // only inside strings, where `\u003c` means the same.
    let json = serde_json::to_string(&data)
        .unwrap_or_else(|_| "{\"title\":\"\",\"nodes\":0,\"unit\":\"\",\"events\":[]}".into())
        .replace('<', "\\u003c");
    let mut out = String::with_capacity(PAGE.len() + SCRIPT.len() + STYLE.len() + json.len());
    let mut rest = PAGE;
    while let Some(at) = rest.find("{{") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let Some(end) = after.find("}}") else {
            out.push_str(after);
            return out;
        };
        let name = after.get(2..end).unwrap_or("");
        match name {
            "TITLE" => out.push_str(&crate::diagram::esc(title)),
            "CSS" => out.push_str(STYLE),
            "JS" => out.push_str(SCRIPT),
            "DATA" => out.push_str(&json),
            _ => {}
        }
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rio_runtime::trace::Kind;

    #[test]
    fn the_page_carries_the_trace_and_nothing_can_close_its_script() {
        let trace = vec![TraceEvent {
            step: 1,
            t: 0,
            kind: Kind::Input {
                node: 0,
                input: "</script><b>".into(),
                value: None,
                slot: None,
            },
        }];
        let page = html("a <title>", 1, &trace);
        assert!(page.contains("<title>a &lt;title&gt;</title>"));
        assert_eq!(page.matches("</script>").count(), 2, "only the page's own");
        assert!(page.contains("\\u003c/script>\\u003cb>"));
        assert!(!page.contains("{{"), "every placeholder filled");
        // The embedded JSON parses back to the trace.
        let start = page
            .find("application/json\">")
            .map(|i| i + 18)
            .unwrap_or(0);
        let end = page[start..]
            .find("</script>")
            .map(|i| start + i)
            .unwrap_or(start);
        let v: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
        assert_eq!(v["events"][0]["input"], "</script><b>");
        assert_eq!(v["unit"], "ms");
    }
}
