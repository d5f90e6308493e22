//! Causal deadlock: a line whose value waits, through plain components
//! only, on itself.
//!
//! Edges through a quorum or a choice (`select`) are legal (another vote or
//! option can make the value available), and so are edges between different
//! instances of a forward loop (`x[r + 1]` reads `x[r]`). What remains must
//! be acyclic; each strongly connected component of it is one E0401.

use super::Ctx;
use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};
use std::collections::BTreeMap;

/// One read of a line by the producer of other lines.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    /// The lines whose value this read feeds.
    pub consumers: Vec<String>,
    /// The line read.
    pub line: String,
    /// Not through a quorum, choice or forward-loop shift.
    pub hard: bool,
    pub span: Span,
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    // Graph: consumer -> line it waits on (hard edges only).
    let mut names: Vec<&str> = cx.lines.keys().map(String::as_str).collect();
    names.sort_unstable();
    let id = |n: &str| names.binary_search(&n).ok();
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); names.len()];
    for r in cx.reads.iter().filter(|r| r.hard) {
        let Some(to) = id(&r.line) else { continue };
        for c in &r.consumers {
            if let Some(from) = id(c) {
                if let Some(list) = edges.get_mut(from) {
                    list.push((to, r.span));
                }
            }
        }
    }
    let sccs = tarjan(&edges);
    let mut found = Vec::new();
    for scc in sccs {
        let self_loop = scc.len() == 1
            && scc.first().is_some_and(|v| {
                edges
                    .get(*v)
                    .is_some_and(|es| es.iter().any(|(t, _)| t == v))
            });
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let mut members: Vec<usize> = scc.clone();
        members.sort_unstable();
        // One read on the cycle per member, in name order.
        let mut reads: BTreeMap<usize, Span> = BTreeMap::new();
        for &m in &members {
            if let Some((_, s)) = edges
                .get(m)
                .and_then(|es| es.iter().find(|(t, _)| members.contains(t)))
            {
                reads.insert(m, *s);
            }
        }
        let cycle: Vec<String> = members
            .iter()
            .filter_map(|m| names.get(*m))
            .map(|n| format!("`{n}`"))
            .collect();
        let mut spans = reads.values().copied();
        let Some(primary) = spans.next() else {
            continue;
        };
        let mut d = Diagnostic::new(Code::CausalDeadlock, primary, format!("{} wait on each other: none can ever be produced", cycle.join(", ")))
            .label("this read closes the cycle")
            .help("break the cycle with a quorum, a `select(?, ..)` with an option outside the cycle, or read the previous instance (`x[r - 1]`)");
        for s in spans {
            d = d.also(s, "waits here");
        }
        found.push(d);
    }
    for d in found {
        cx.report(d);
    }
}

/// Tarjan's strongly connected components, iteratively.
fn tarjan(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index.get(root) != Some(&usize::MAX) {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some((v, ei)) = work.pop() {
            if ei == 0 {
                set(&mut index, v, next);
                set(&mut low, v, next);
                next += 1;
                stack.push(v);
                set(&mut on_stack, v, true);
            }
            let succ = edges.get(v).and_then(|es| es.get(ei)).map(|e| e.0);
            if let Some(w) = succ {
                work.push((v, ei + 1));
                if get(&index, w) == usize::MAX {
                    work.push((w, 0));
                } else if get(&on_stack, w) {
                    let m = get(&low, v).min(get(&index, w));
                    set(&mut low, v, m);
                }
                continue;
            }
            if get(&low, v) == get(&index, v) {
                let mut scc = Vec::new();
                while let Some(w) = stack.pop() {
                    set(&mut on_stack, w, false);
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(scc);
            }
            if let Some(&(parent, _)) = work.last() {
                let m = get(&low, parent).min(get(&low, v));
                set(&mut low, parent, m);
            }
        }
    }
    out
}

fn get<T: Copy + Default>(v: &[T], i: usize) -> T {
    v.get(i).copied().unwrap_or_default()
}

fn set<T>(v: &mut [T], i: usize, x: T) {
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}
