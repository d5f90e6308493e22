//! Message sequence diagrams from traces: a self-contained SVG with one
//! lifeline per node, an arrow per delivered message (from send time to
//! delivery time), dropped messages crossed out, outputs and faults marked.

use rio_runtime::trace::{Kind, TraceEvent};
use std::fmt::Write as _;

/// How much of a trace to draw.
#[derive(Clone, Copy, Debug)]
pub struct DiagramOptions {
    /// Events drawn at most (the rest is summarised in the title).
    pub max_events: usize,
    /// Show messages a node sends to itself.
    pub self_messages: bool,
}

impl Default for DiagramOptions {
    fn default() -> Self {
        DiagramOptions {
            max_events: 400,
            self_messages: false,
        }
    }
}

/// Escapes text for HTML and SVG (also the trace viewer's title).
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(28).collect();
    if s.chars().count() > 28 {
        t.push('…');
    }
    t
}

/// Renders a trace of `nodes` nodes as an SVG document.
pub fn svg(title: &str, nodes: usize, trace: &[TraceEvent], opts: DiagramOptions) -> String {
    let events: Vec<&TraceEvent> = trace.iter().take(opts.max_events).collect();
    let end = events
        .iter()
        .map(|e| e.t.max(deliver_time(e)))
        .max()
        .unwrap_or(0)
        .max(1);
    let col = 160.0;
    let left = 80.0;
    let top = 70.0;
    let height = 900.0_f64.min(40.0 + events.len() as f64 * 12.0).max(200.0);
    let y = |t: u64| top + (t as f64 / end as f64) * height;
    let x = |n: u32| left + f64::from(n) * col;
    let width = left * 2.0 + col * (nodes.saturating_sub(1)) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="monospace" font-size="10">"#,
        w = width + 120.0,
        h = top + height + 60.0
    );
    s.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>"##);
    s.push_str(r##"<rect width="100%" height="100%" fill="white"/>"##);
    let more = trace.len().saturating_sub(events.len());
    let subtitle = if more > 0 {
        format!(" (first {} events; {more} more)", events.len())
    } else {
        String::new()
    };
    let _ = write!(
        s,
        r#"<text x="10" y="20" font-size="14">{}{}</text>"#,
        esc(title),
        esc(&subtitle)
    );
    for n in 0..nodes {
        let n = u32::try_from(n).unwrap_or(0);
        let _ = write!(
            s,
            r##"<text x="{x}" y="{ty}" text-anchor="middle" font-size="12">node {n}</text><line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#999" stroke-dasharray="4 3"/>"##,
            x = x(n),
            ty = top - 12.0,
            y1 = top - 5.0,
            y2 = top + height + 10.0
        );
    }
    for e in &events {
        match &e.kind {
            Kind::Deliver {
                from,
                to,
                msg,
                sent_at,
                ..
            } => {
                if from == to && !opts.self_messages {
                    continue;
                }
                let _ = write!(
                    s,
                    r##"<g><title>t={t} {msg}</title><line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" marker-end="url(#arrow)"/><text x="{tx}" y="{tyy}" fill="#225">{label}</text></g>"##,
                    t = e.t,
                    msg = esc(msg),
                    x1 = x(*from),
                    y1 = y(*sent_at),
                    x2 = x(*to),
                    y2 = y(e.t),
                    tx = (x(*from) + x(*to)) / 2.0,
                    tyy = (y(*sent_at) + y(e.t)) / 2.0 - 2.0,
                    label = esc(&short(msg))
                );
            }
            Kind::Drop {
                from,
                to,
                msg,
                reason,
                ..
            } => {
                if from == to && !opts.self_messages {
                    continue;
                }
                let (x1, x2, y1) = (x(*from), x(*to), y(e.t));
                let mx = (x1 + x2) / 2.0;
                let _ = write!(
                    s,
                    r##"<g><title>t={t} dropped ({reason}): {msg}</title><line x1="{x1}" y1="{y1}" x2="{mx}" y2="{y1}" stroke="#c33" stroke-dasharray="3 2"/><text x="{mx}" y="{y1}" fill="#c33" font-size="14" text-anchor="middle">✕</text></g>"##,
                    t = e.t,
                    reason = esc(reason),
                    msg = esc(msg)
                );
            }
            Kind::Output { node, output, .. } => {
                let _ = write!(
                    s,
                    r##"<g><circle cx="{cx}" cy="{cy}" r="5" fill="#2a2"/><text x="{tx}" y="{ty}" fill="#161">{label}</text></g>"##,
                    cx = x(*node),
                    cy = y(e.t),
                    tx = x(*node) + 8.0,
                    ty = y(e.t) + 4.0,
                    label = esc(&short(output))
                );
            }
            Kind::Fault { node, fault } => {
                let _ = write!(
                    s,
                    r##"<g><text x="{cx}" y="{cy}" fill="#d00" font-size="16" text-anchor="middle">✖</text><text x="{tx}" y="{cy}" fill="#d00">{label}</text></g>"##,
                    cx = x(*node),
                    cy = y(e.t) + 5.0,
                    tx = x(*node) + 10.0,
                    label = esc(fault)
                );
            }
            Kind::Violation { property, detail } => {
                let _ = write!(
                    s,
                    r##"<g><line x1="0" y1="{yy}" x2="{w}" y2="{yy}" stroke="#d00" stroke-width="2"/><text x="10" y="{ty}" fill="#d00">violation of {p}: {d}</text></g>"##,
                    yy = y(e.t),
                    w = width + 120.0,
                    ty = y(e.t) - 4.0,
                    p = esc(property),
                    d = esc(detail)
                );
            }
            _ => {}
        }
    }
    s.push_str("</svg>\n");
    s
}

fn deliver_time(e: &TraceEvent) -> u64 {
    e.t
}

/// Wraps the SVG in a minimal HTML page.
pub fn html(title: &str, nodes: usize, trace: &[TraceEvent], opts: DiagramOptions) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n{}</body></html>\n",
        esc(title),
        svg(title, nodes, trace, opts)
    )
}
