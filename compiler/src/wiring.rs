//! The wiring diagram of a protocol (`rio graph`), as Graphviz DOT text.
//!
//! Drawn from the flattened IR (component instances inlined), the way the
//! design draws protocols: every definition is a **component** (a box:
//! its built-in or Rust function, where it runs, and its family indices),
//! every **line** is a wire from its producer to each component that reads
//! it, labelled with the line's name. Inputs and outputs are the
//! protocol's ports (green and blue ellipses). Messages (`broadcast`,
//! `link`) are dashed wires; thresholds (`quorum`, `collect`) show their
//! threshold; choices (`?`: `select`, a `quorum(?, ..)`, `collect`) are
//! orange; a component instantiated once per instance of a
//! family says so (`for r`), and families stacked in one wire carry their
//! indices (`echo[b][*][i]`). The CLI lays the DOT out with a maintained
//! crate (layout-rs) and writes SVG; the DOT itself is stable text, so it
//! is what the tests snapshot.

use crate::ir::{Cross, Ex, Protocol, Rule};
use rio_lang::ast::Range;
use rio_lang::graph::{LineDomain, LineKind};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The DOT text of `p`'s wiring diagram.
pub fn dot(p: &Protocol) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&p.name));
    let _ = writeln!(out, "  rankdir=TB;");
    // Ports.
    for (k, l) in p.lines.iter().enumerate() {
        let (fill, what) = match l.kind {
            LineKind::Input => ("palegreen", "in"),
            LineKind::Output => ("lightblue", "out"),
            _ => continue,
        };
        let label = format!("{what} {}{}\n@{}", l.name, dims(p, k), domain(&l.domain));
        let _ = writeln!(
            out,
            "  {} [shape=ellipse, style=filled, fillcolor={fill}, label={}];",
            port_id(k),
            quote(&label)
        );
    }
    // Components: one per definition.
    for (r, rule) in p.rules.iter().enumerate() {
        let (label, choice) = component_label(p, rule);
        let fill = if choice { "orange" } else { "white" };
        let _ = writeln!(
            out,
            "  {} [shape=box, style=filled, fillcolor={fill}, label={}];",
            rule_id(r),
            quote(&label)
        );
    }
    // Wires: a line from each of its producers (or its input port) to each
    // reader (or its output port).
    let mut wires = BTreeSet::new();
    for (r, rule) in p.rules.iter().enumerate() {
        for line in reads(&rule.value) {
            for from in producers(p, line) {
                wires.insert((from, rule_id(r), line));
            }
        }
    }
    for (k, l) in p.lines.iter().enumerate() {
        if l.kind == LineKind::Output {
            for from in producers(p, k) {
                wires.insert((from, port_id(k), k));
            }
        }
    }
    for (from, to, line) in wires {
        let Some(l) = p.lines.get(line) else { continue };
        let message = p
            .rules
            .iter()
            .any(|r| r.target == line && r.cross != Cross::Local);
        let style = if message { ", style=dashed" } else { "" };
        let label = format!("{}{}", l.name, dims(p, line));
        let _ = writeln!(out, "  {from} -> {to} [label={}{style}];", quote(&label));
    }
    out.push_str("}\n");
    out
}

fn port_id(line: usize) -> String {
    format!("port{line}")
}

fn rule_id(rule: usize) -> String {
    format!("c{rule}")
}

/// Where a line comes from: its producing rules, or its input port.
fn producers(p: &Protocol, line: usize) -> Vec<String> {
    let rules: Vec<String> = p
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.target == line)
        .map(|(k, _)| rule_id(k))
        .collect();
    if rules.is_empty() && p.lines.get(line).is_some_and(|l| l.kind == LineKind::Input) {
        vec![port_id(line)]
    } else {
        rules
    }
}

/// A line's dimensions as index placeholders: `[#][*]` style, with node
/// dimensions `[n]` and number dimensions `[..]`.
fn dims(p: &Protocol, line: usize) -> String {
    p.lines.get(line).map_or_else(String::new, |l| {
        l.dims
            .iter()
            .map(|d| match d {
                rio_lang::graph::DimKind::Node => "[n]",
                rio_lang::graph::DimKind::Number => "[..]",
            })
            .collect()
    })
}

fn domain(d: &LineDomain) -> String {
    match d {
        LineDomain::Param(p) => p.clone(),
        LineDomain::Dim(k) => format!("each node (dim {k})"),
        LineDomain::Leader(l) => format!("leader({l})"),
    }
}

/// The component's label (what it computes, where, for which family) and
/// whether it is a choice point.
fn component_label(p: &Protocol, r: &Rule) -> (String, bool) {
    let (what, choice) = describe(&r.value);
    // A `quorum(?, ..)` is a choice too (the IR keeps only the threshold;
    // `?` is legal only in choice positions, E0602).
    let choice = choice || r.source.contains("(?");
    let what = match &r.cross {
        Cross::Local => what,
        Cross::Broadcast => format!("broadcast({what})"),
        Cross::Link(to) => format!("link({what}, {to})"),
    };
    let target = p.lines.get(r.target).map_or("", |l| l.name.as_str());
    let families: Vec<String> = r
        .loops
        .iter()
        .filter(|(_, range)| *range == Range::Numbers)
        .map(|(v, _)| match r.bounds.iter().find(|(b, _)| b == v) {
            Some((_, e)) => format!("{v} < {e}"),
            None => v.clone(),
        })
        .collect();
    let mut label = format!("{target} = {what}\n@{}", r.exec);
    if !families.is_empty() {
        let _ = write!(label, "  for {}", families.join(", "));
    }
    (label, choice)
}

/// What an expression computes, in a few words, and whether it chooses.
fn describe(e: &Ex) -> (String, bool) {
    match e {
        Ex::Ref { .. } => ("copy".into(), false),
        Ex::Const { .. } => ("{ const }".into(), false),
        Ex::NodeId(t) => (format!("id of {t}"), false),
        Ex::Num(l) => (format!("number {l}"), false),
        Ex::Coin(_) => ("coin".into(), true),
        Ex::Fn { name, .. } => (format!("{name}(..)"), false),
        Ex::Quorum { k, .. } => (format!("quorum({k})"), false),
        Ex::Collect { k, .. } => (format!("collect(?, {k})"), true),
        Ex::Cert { k, .. } => (format!("cert({k})"), false),
        Ex::Gather { .. } => ("gather(?, by deadline)".into(), true),
        Ex::Sign(inner) => {
            let (d, c) = describe(inner);
            (format!("sign({d})"), c)
        }
        Ex::Payload(inner) => {
            let (d, c) = describe(inner);
            (format!("payload({d})"), c)
        }
        Ex::Select { options } => (format!("select(?, {} options)", options.len()), true),
        Ex::SelectFamily { .. } => ("select(?, family)".into(), true),
        Ex::Sync(..) => ("sync".into(), false),
        Ex::Pair(..) => ("pair".into(), false),
        Ex::Some(inner) => {
            let (d, c) = describe(inner);
            (format!("some({d})"), c)
        }
        Ex::Timer { ms, delay, .. } => {
            let f = if *delay { "delay" } else { "timer" };
            (format!("{f}({ms} ms)"), false)
        }
    }
}

/// The lines an expression reads (timer arguments included: the timer
/// starts on them).
fn reads(e: &Ex) -> Vec<usize> {
    let mut out = Vec::new();
    crate::ir::walk(e, &mut |x| {
        if let Ex::Ref { line, .. } = x {
            out.push(*line);
        }
    });
    out.sort_unstable();
    out.dedup();
    out
}

/// A DOT string literal.
fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The wiring diagrams (DOT) of every protocol in `src`, or the diagnostics
/// saying why not.
pub fn dot_of_source(src: &str) -> Result<Vec<(String, String)>, Vec<rio_lang::Diagnostic>> {
    let checked = rio_lang::check_source(src);
    let Some(program) = checked.program else {
        return Err(checked.diagnostics);
    };
    let mut out = Vec::new();
    for c in &program.components {
        if c.decl.kind != rio_lang::ast::ComponentKind::Protocol {
            continue;
        }
        let p = crate::ir::build(&program, src, &c.decl.name.name)?;
        out.push((p.name.clone(), dot(&p)));
    }
    Ok(out)
}
