//! Editor queries over one source text: what the language server (`rio
//! lsp`) answers. The shell owns the protocol and positions; this core
//! answers in byte offsets and spans.
//!
//! - diagnostics: the checker's, unchanged;
//! - hover on a name: a line's type, dimensions and domain (and whether it
//!   is an input, output or local line); a function's signature; a
//!   built-in's usage;
//! - go to definition: a line's declaration (its port, or its first
//!   producer), a function's or component's declaration;
//! - completion: the lines of the enclosing protocol or component, the
//!   declared functions and components, and the built-ins.
//!
//! The checked graph is used even when the file has errors (every line the
//! checker could type is known), so queries keep working while typing.

use crate::ast::{ComponentDecl, File, Item, Span};
use crate::graph::{DimKind, Line, LineDomain, LineKind, Program};
use crate::{Builtin, Diagnostic};

/// One analysed source text.
pub struct Analysis<'s> {
    src: &'s str,
    file: Option<File>,
    program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What kind of thing a completion names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Line,
    Function,
    Component,
    Builtin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// A one-line description (a line's type, a function's signature).
    pub detail: String,
}

/// Parses and checks `src` (never panics, like [`crate::check_source`]).
pub fn analyze(src: &str) -> Analysis<'_> {
    let (file, parse_diags) = crate::parse::parse_file(src);
    let mut diagnostics = parse_diags.into_vec();
    let program = match &file {
        Some(f) if diagnostics.iter().all(|d| !d.is_error()) => {
            let (program, diags) = crate::check_file(f);
            diagnostics.extend(diags.into_vec());
            Some(program)
        }
        _ => None,
    };
    diagnostics.sort_by_key(|d| (d.label.span.start, d.label.span.end));
    Analysis {
        src,
        file,
        program,
        diagnostics,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Analysis<'_> {
    /// The identifier at byte `offset` (or just before it), with its span.
    fn ident_at(&self, offset: usize) -> Option<(Span, &str)> {
        let src = self.src;
        let offset = offset.min(src.len());
        let before = src.get(..offset)?;
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_ident_char(*c))
            .last()
            .map_or(offset, |(k, _)| k);
        let after = src.get(offset..)?;
        let end = offset
            + after
                .char_indices()
                .find(|(_, c)| !is_ident_char(*c))
                .map_or(after.len(), |(k, _)| k);
        let word = src.get(start..end)?;
        (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()))
            .then_some((Span::new(start, end), word))
    }

    /// The protocol or component whose body holds `offset`.
    fn component_at(&self, offset: usize) -> Option<&ComponentDecl> {
        self.file.as_ref()?.items.iter().find_map(|i| match i {
            Item::Component(c) if c.span.start <= offset && offset <= c.span.end => Some(c),
            _ => None,
        })
    }

    /// The checked line `name` of the component holding `offset` (an
    /// instance output when the name is followed by `.port`).
    fn line_at(&self, offset: usize, span: Span, name: &str) -> Option<&Line> {
        let comp = self.component_at(offset)?;
        let checked = self.program.as_ref()?.component(&comp.name.name)?;
        // `cb.output`: the instance's output line.
        let rest = self.src.get(span.end..).unwrap_or_default();
        if let Some(port) = rest.strip_prefix('.') {
            let field: String = port.chars().take_while(|c| is_ident_char(*c)).collect();
            if let Some(l) = checked.lines.get(&format!("{name}.{field}")) {
                return Some(l);
            }
        }
        // On the `output` of `cb.output`.
        let before = self.src.get(..span.start).unwrap_or_default();
        if let Some(inst) = before.strip_suffix('.') {
            let owner: String = inst
                .chars()
                .rev()
                .take_while(|c| is_ident_char(*c))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if let Some(l) = checked.lines.get(&format!("{owner}.{name}")) {
                return Some(l);
            }
        }
        checked.lines.get(name)
    }

    /// Markdown for the thing under `offset`, and the span it covers.
    pub fn hover(&self, offset: usize) -> Option<(Span, String)> {
        let (span, name) = self.ident_at(offset)?;
        if let Some(l) = self.line_at(offset, span, name) {
            return Some((span, describe_line(l)));
        }
        let file = self.file.as_ref()?;
        for item in &file.items {
            match item {
                Item::Fn(f) if f.name.name == name => {
                    let text = self.src.get(f.span.start..f.span.end).unwrap_or_default();
                    return Some((span, format!("Rust function\n```rio\n{}\n```", text.trim())));
                }
                Item::Component(c) if c.name.name == name => {
                    let kind = match c.kind {
                        crate::ast::ComponentKind::Protocol => "protocol",
                        crate::ast::ComponentKind::Component => "component",
                    };
                    let params: Vec<String> = c
                        .params
                        .iter()
                        .map(|p| {
                            let k = match p.kind {
                                crate::ast::ParamKind::Nodes => "nodes",
                                crate::ast::ParamKind::Faults => "faults",
                                crate::ast::ParamKind::Node => "node",
                            };
                            format!("{k} {}", p.name.name)
                        })
                        .collect();
                    return Some((
                        span,
                        format!("{kind} `{}({})`", c.name.name, params.join(", ")),
                    ));
                }
                _ => {}
            }
        }
        Builtin::from_name(name).map(|b| (span, format!("built-in `{}`", b.usage())))
    }

    /// Where the thing under `offset` is declared.
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let (span, name) = self.ident_at(offset)?;
        if let Some(l) = self.line_at(offset, span, name) {
            return Some(l.span);
        }
        self.file.as_ref()?.items.iter().find_map(|i| match i {
            Item::Fn(f) if f.name.name == name => Some(f.name.span),
            Item::Component(c) if c.name.name == name => Some(c.name.span),
            _ => None,
        })
    }

    /// What can be written at `offset`: the enclosing component's lines,
    /// then functions, components and built-ins.
    pub fn completions(&self, offset: usize) -> Vec<Completion> {
        let mut out = Vec::new();
        let checked = self
            .component_at(offset)
            .and_then(|c| self.program.as_ref()?.component(&c.name.name));
        if let Some(c) = checked {
            for (name, l) in &c.lines {
                out.push(Completion {
                    label: name.clone(),
                    kind: CompletionKind::Line,
                    detail: short_type(l),
                });
            }
        }
        if let Some(file) = &self.file {
            for item in &file.items {
                match item {
                    Item::Fn(f) => out.push(Completion {
                        label: f.name.name.clone(),
                        kind: CompletionKind::Function,
                        detail: self
                            .src
                            .get(f.span.start..f.span.end)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    }),
                    Item::Component(c) => out.push(Completion {
                        label: c.name.name.clone(),
                        kind: CompletionKind::Component,
                        detail: String::new(),
                    }),
                }
            }
        }
        for b in Builtin::ALL {
            out.push(Completion {
                label: b.name().to_string(),
                kind: CompletionKind::Builtin,
                detail: b.usage().to_string(),
            });
        }
        out
    }
}

/// A type as written: the normalised token text without its spaces around
/// brackets (`Option<(u64, u64)>`).
fn pretty_type(t: &str) -> String {
    t.replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
}

fn short_type(l: &Line) -> String {
    let mut t = pretty_type(&l.ty);
    for d in l.dims.iter().rev() {
        t = match d {
            DimKind::Node => format!("[{t}; n]"),
            DimKind::Number => format!("[{t}; ..]"),
        };
    }
    t
}

/// A line's hover text.
fn describe_line(l: &Line) -> String {
    let kind = match l.kind {
        LineKind::Input => "input line",
        LineKind::Output => "output line",
        LineKind::Local => "line",
        LineKind::InstanceOutput => "component output",
    };
    let dims: Vec<String> = l
        .dims
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let kind = match d {
                DimKind::Node => "node",
                DimKind::Number => "number",
            };
            match l.dim_names.get(k).filter(|n| !n.is_empty()) {
                Some(n) => format!("`{n}`: {kind}"),
                None => kind.to_string(),
            }
        })
        .collect();
    let dims = if dims.is_empty() {
        "none (one value)".to_string()
    } else {
        dims.join(", ")
    };
    let domain = match &l.domain {
        LineDomain::Param(p) => format!("node `{p}`"),
        LineDomain::Dim(k) => match l.dim_names.get(*k).filter(|n| !n.is_empty()) {
            Some(n) => format!("node `{n}` (its index)"),
            None => format!("the node of its index {k}"),
        },
        LineDomain::Leader(e) => format!("`leader({e})`"),
    };
    let ty = if l.ty.is_empty() {
        "not inferred yet".to_string()
    } else {
        format!("`{}`", pretty_type(&l.ty))
    };
    format!(
        "{kind} `{}`: {ty}\n\n- dimensions: {dims}\n- lives at: {domain}\n- as a whole: `{}`",
        l.name,
        short_type(l)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = include_str!("../../spec/examples/bracha.rio");

    fn at(needle: &str, nth: usize) -> usize {
        SRC.match_indices(needle)
            .nth(nth)
            .map(|(k, _)| k + 1)
            .expect("needle")
    }

    #[test]
    fn hover_definition_and_completion_on_bracha() {
        let a = analyze(SRC);
        assert!(a.diagnostics.is_empty());
        let (_, text) = a.hover(at("echo[*]", 0)).expect("hover on a read");
        assert!(text.contains("line `echo`"), "{text}");
        assert!(
            text.contains("node, node") || text.contains(": node"),
            "{text}"
        );
        let def = a.definition(at("echo[*]", 0)).expect("definition");
        assert!(SRC
            .get(def.start..def.end)
            .is_some_and(|t| t.starts_with("echo")));
        let (_, q) = a.hover(at("quorum", 0)).expect("builtin");
        assert!(q.contains("quorum(k, votes)"), "{q}");
        let labels: Vec<String> = a
            .completions(at("dlvr[i] =", 0))
            .into_iter()
            .map(|c| c.label)
            .collect();
        for l in [
            "echo", "ready", "strong", "weak", "dlvr", "bc", "quorum", "select",
        ] {
            assert!(labels.iter().any(|x| x == l), "{l} missing: {labels:?}");
        }
    }

    #[test]
    fn queries_never_panic_anywhere_in_a_broken_file() {
        let broken = "protocol P(nodes n, node s) {\n  in v: u64 at s\n  out got[i]: u64 at i\n  x = broadcast(v) from s\n  for i in nodes { got[i] = x[i] at i \n";
        let a = analyze(broken);
        assert!(!a.diagnostics.is_empty());
        for k in 0..=broken.len() + 2 {
            let _ = (a.hover(k), a.definition(k), a.completions(k));
        }
        let ok = analyze(SRC);
        for k in 0..=SRC.len() {
            let _ = (ok.hover(k), ok.definition(k), ok.completions(k));
        }
    }
}
