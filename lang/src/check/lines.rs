//! Producers and consumers of lines: every line has exactly one producer per
//! element, every read line is produced, every output is connected, and a
//! line nobody reads is a warning.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{IdxPat, LineKind, Producer};

/// Whether two target patterns can name the same element.
fn overlap(a: &[IdxPat], b: &[IdxPat]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (IdxPat::Const(c), IdxPat::Const(d)) => c == d,
            (IdxPat::Const(c), IdxPat::Var { offset, .. })
            | (IdxPat::Var { offset, .. }, IdxPat::Const(c)) => {
                i64::try_from(*c).is_ok_and(|c| c >= *offset)
            }
            (IdxPat::Var { .. }, IdxPat::Var { .. }) => true,
        })
}

/// The first index of a number dimension no producer covers, if any: the
/// producers must cover `0, 1, 2, ...` given constants and `r + k` (which
/// covers `k..`).
fn first_gap(producers: &[Producer]) -> Option<(usize, u64)> {
    let width = producers.iter().map(|p| p.pattern.len()).max().unwrap_or(0);
    for dim in 0..width {
        let mut consts: Vec<u64> = Vec::new();
        let mut from: Option<i64> = None;
        let mut varies = false;
        for p in producers {
            match p.pattern.get(dim) {
                Some(IdxPat::Const(c)) => {
                    consts.push(*c);
                    varies = true;
                }
                Some(IdxPat::Var { offset, .. }) => {
                    from = Some(from.map_or(*offset, |f: i64| f.min(*offset)));
                    if *offset != 0 {
                        varies = true;
                    }
                }
                None => {}
            }
        }
        if !varies {
            continue;
        }
        let mut k: u64 = 0;
        loop {
            let covered_by_var = from.is_some_and(|f| i64::try_from(k).is_ok_and(|k| k >= f));
            if covered_by_var {
                break;
            }
            if !consts.contains(&k) {
                return Some((dim, k));
            }
            k += 1;
        }
    }
    None
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    for line in cx.lines.values() {
        let name = &line.name;
        match line.kind {
            LineKind::Input => {
                if let Some(p) = line.producers.first() {
                    found.push(
                        Diagnostic::new(Code::AssignInput, p.span, format!("`{name}` is an input: its value comes from outside"))
                            .label("assigned here")
                            .also(line.span, "declared as an input here")
                            .help(format!("produce a new line instead, e.g. `{name}2 = ...`, or declare `{name}` as `out`")),
                    );
                }
                if !line.consumed {
                    found.push(
                        Diagnostic::new(
                            Code::NeverConsumed,
                            line.span,
                            format!("input `{name}` is never read"),
                        )
                        .label("unused input")
                        .help("remove the input, or read it"),
                    );
                }
                continue;
            }
            LineKind::Output if line.producers.is_empty() => {
                found.push(
                    Diagnostic::new(
                        Code::OutputUnconnected,
                        line.span,
                        format!("output `{name}` is never produced"),
                    )
                    .label("unconnected output")
                    .help(format!(
                        "produce it, e.g. `{name}[i] = ... at i` inside `for i in nodes`"
                    )),
                );
                continue;
            }
            LineKind::Local if !line.consumed => {
                found.push(
                    Diagnostic::new(
                        Code::NeverConsumed,
                        line.span,
                        format!("`{name}` is produced but never read"),
                    )
                    .label("unused line")
                    .help("remove it, or connect it to an output"),
                );
            }
            _ => {}
        }
        for (k, a) in line.producers.iter().enumerate() {
            if let Some(b) = line
                .producers
                .iter()
                .skip(k + 1)
                .find(|b| overlap(&a.pattern, &b.pattern))
            {
                found.push(
                    Diagnostic::new(Code::TwoProducers, b.span, format!("`{name}` already has a producer"))
                        .label("second producer")
                        .also(a.span, "first producer")
                        .help("a line carries one value, ever: remove one producer, or give them disjoint indices (`x[0] = ..`, `x[r + 1] = ..`)"),
                );
            }
        }
        if line.consumed && !line.producers.is_empty() {
            if let Some((dim, k)) = first_gap(&line.producers) {
                let span = line.producers.first().map_or(line.span, |p| p.span);
                found.push(
                    Diagnostic::new(Code::NeverProduced, span, format!("`{name}` is read, but no statement produces it at index {k} of dimension {dim}"))
                        .label("producers leave a gap")
                        .help(format!("add the base case, e.g. `{name}[..][{k}] = ...`")),
                );
            }
        }
    }
    found.extend(unreachable(cx));
    for d in found {
        cx.report(d);
    }
}

/// Lines that are read, but only by lines that never reach an output: a
/// part of the protocol that cannot matter (e.g. a mutant that delivers on
/// the sender's own echo leaves READY feeding only itself). Outputs are
/// the roots; a read marks the line it reads when one of the lines it
/// feeds is marked (a worklist, linear in the reads).
fn unreachable(cx: &Ctx<'_>) -> Vec<Diagnostic> {
    let mut feeds: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for r in &cx.reads {
        for c in &r.consumers {
            feeds.entry(c.as_str()).or_default().push(r.line.as_str());
        }
    }
    let mut marked: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut work: Vec<&str> = cx
        .lines
        .values()
        .filter(|l| l.kind == LineKind::Output)
        .map(|l| l.name.as_str())
        .collect();
    while let Some(l) = work.pop() {
        if !marked.insert(l) {
            continue;
        }
        if let Some(reads) = feeds.get(l) {
            work.extend(reads.iter().copied());
        }
    }
    // A component without outputs (a sink) is not judged.
    if marked.is_empty() {
        return Vec::new();
    }
    cx.lines
        .values()
        .filter(|l| l.kind == LineKind::Local && l.consumed && !marked.contains(l.name.as_str()))
        .map(|l| {
            Diagnostic::new(
                Code::NoOutputReached,
                l.producers.first().map_or(l.span, |p| p.span),
                format!("`{}` is read, but nothing it feeds reaches an output", l.name),
            )
            .label("never affects an output")
            .help("connect it to what an output depends on, or remove it (a mistake here often means an output reads the wrong line)")
        })
        .collect()
}
