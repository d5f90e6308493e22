//! The canonical layout of a `.rio` file (`rio fmt`).
//!
//! The formatter prints the AST back in one layout and puts every comment
//! back where it was, relative to the items and statements around it:
//!
//! - four spaces per block level; one statement per line; a loop body on its
//!   own lines; one blank line between items; a blank line between two
//!   statements kept (one) where the source had one;
//! - canonical spacing inside statements: `a = f(x, y) at i`, binary
//!   operators spaced, parentheses only where precedence needs them, `in`
//!   ports padded to align with `out`, `where` constraints joined by `, `;
//! - embedded Rust (`{ .. }` constants and types) is kept as written (trimmed):
//!   Rio does not reformat Rust;
//! - comments are kept verbatim: a comment on its own line stays on its own
//!   line before the next item or statement; a comment after a statement on
//!   the same line stays there; a comment inside a statement moves to its own
//!   line after that statement.
//!
//! Formatting is idempotent, and a formatted file parses to the same AST
//! (up to spans) and checks to the same graph (`lang/tests/fmt.rs`). A file
//! with a syntax error is not formatted: the diagnostics are returned. The
//! printer's recursion follows the AST, whose depth the parser bounds
//! (`MAX_EXPR_DEPTH`, `MAX_NESTING`).

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use std::fmt::Write as _;

/// The formatted text of `src`, or its syntax errors.
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = crate::parse::parse_file(src);
    let file = match file {
        Some(f) if !diags.has_errors() => f,
        _ => return Err(diags.into_vec()),
    };
    let comments = comments(src, &embedded_spans(&file));
    let mut p = Printer {
        src,
        out: String::new(),
        indent: 0,
        comments,
        next: 0,
        last_end: 0,
        fresh: true,
        trailing: Vec::new(),
    };
    let mut prev_fn = false;
    for item in &file.items {
        let span = match item {
            Item::Fn(f) => f.span,
            Item::Component(c) => c.span,
        };
        let is_fn = matches!(item, Item::Fn(_));
        // Function declarations in a row stay together unless the source
        // separates them; anything else gets one blank line.
        p.leading(
            span.start,
            if prev_fn && is_fn {
                Next::Stmt
            } else {
                Next::Item
            },
        );
        prev_fn = is_fn;
        match item {
            Item::Fn(f) => p.fn_decl(f),
            Item::Component(c) => p.component(c),
        }
        p.after(span.end);
    }
    p.leading(src.len(), Next::Eof);
    let mut out = align_trailing(&p.out, &p.trailing);
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Aligns the trailing comments of lines that follow each other without a
/// blank line between them, one space after the longest code among them
/// (as gofmt does). `at` are the offsets of their separating spaces.
fn align_trailing(out: &str, at: &[usize]) -> String {
    // Groups of comment offsets with no blank line between them.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &k in at {
        let joined = groups
            .last()
            .and_then(|g| g.last())
            .is_some_and(|&prev| !out.get(prev..k).unwrap_or_default().contains("\n\n"));
        match groups.last_mut() {
            Some(g) if joined => g.push(k),
            _ => groups.push(vec![k]),
        }
    }
    let width = |k: usize| {
        let before = out.get(..k).unwrap_or_default();
        let start = before.rfind('\n').map_or(0, |s| s + 1);
        before.get(start..).unwrap_or_default().chars().count()
    };
    let mut pad: Vec<(usize, usize)> = Vec::new();
    for g in &groups {
        let max = g.iter().map(|&k| width(k)).max().unwrap_or(0);
        pad.extend(g.iter().map(|&k| (k, max - width(k))));
    }
    let mut result = String::with_capacity(out.len());
    let mut last = 0;
    for (k, n) in pad {
        result.push_str(out.get(last..k).unwrap_or_default());
        result.extend(std::iter::repeat_n(' ', n));
        last = k;
    }
    result.push_str(out.get(last..).unwrap_or_default());
    result
}

/// What follows the comments [`Printer::leading`] prints.
#[derive(Clone, Copy)]
enum Next {
    Item,
    Stmt,
    /// A block's closing brace.
    Close,
    /// The end of the file.
    Eof,
}

/// A comment: its byte range in the source.
#[derive(Clone, Copy, Debug)]
struct Comment {
    span: Span,
}

/// The spans of embedded Rust (constants and types): comment markers inside
/// them belong to Rust, not to Rio.
fn embedded_spans(file: &File) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut exprs: Vec<&Expr> = Vec::new();
    let mut stmts: Vec<&Stmt> = Vec::new();
    for item in &file.items {
        match item {
            Item::Fn(f) => {
                spans.extend(f.params.iter().map(|p| p.ty.span));
                spans.push(f.ret.span);
            }
            Item::Component(c) => {
                for k in &c.constraints {
                    exprs.push(&k.lhs);
                    exprs.push(&k.rhs);
                }
                stmts.extend(c.body.iter());
            }
        }
    }
    while let Some(s) = stmts.pop() {
        match s {
            Stmt::Port(p) => {
                spans.push(p.ty.span);
                exprs.push(&p.at);
            }
            Stmt::For(l) => {
                stmts.extend(l.body.iter());
                exprs.extend(l.bound.iter());
            }
            Stmt::Instance(i) => {
                exprs.extend(i.args.iter());
                exprs.extend(i.bindings.iter().map(|b| &b.value));
            }
            Stmt::Def(d) => {
                if let Some(t) = &d.ty {
                    spans.push(t.span);
                }
                exprs.push(&d.value);
                exprs.extend(d.at.iter().chain(d.from.iter()));
                exprs.extend(d.indices.iter().filter_map(|i| match i {
                    Index::Expr(e) => Some(e),
                    Index::Star(_) => None,
                }));
            }
        }
    }
    while let Some(e) = exprs.pop() {
        match &e.kind {
            ExprKind::Rust(_) => spans.push(e.span),
            ExprKind::Call { args, .. } => exprs.extend(args.iter()),
            ExprKind::Ref { indices, .. } => exprs.extend(indices.iter().filter_map(|i| match i {
                Index::Expr(e) => Some(e),
                Index::Star(_) => None,
            })),
            ExprKind::Binary { lhs, rhs, .. } => {
                exprs.push(lhs);
                exprs.push(rhs);
            }
            ExprKind::Number(_) | ExprKind::Unspecified => {}
        }
    }
    spans.sort_unstable();
    spans
}

/// Every `//` and `/* */` comment outside embedded Rust, in order (the
/// grammar's `COMMENT`: block comments do not nest).
fn comments(src: &str, embedded: &[Span]) -> Vec<Comment> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut skip = embedded.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        while skip.peek().is_some_and(|s| s.end <= i) {
            skip.next();
        }
        if let Some(s) = skip.peek().filter(|s| s.start <= i) {
            i = s.end;
            continue;
        }
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |k| i + k);
            out.push(Comment {
                span: Span::new(i, end),
            });
            i = end;
        } else if rest.starts_with(b"/*") {
            let end = src
                .get(i + 2..)
                .and_then(|r| r.find("*/"))
                .map_or(bytes.len(), |k| i + 2 + k + 2);
            out.push(Comment {
                span: Span::new(i, end),
            });
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

struct Printer<'s> {
    src: &'s str,
    out: String,
    indent: usize,
    comments: Vec<Comment>,
    /// The next comment not yet printed.
    next: usize,
    /// Where the last printed thing ended in the source.
    last_end: usize,
    /// Nothing printed yet in the current block (no blank line before).
    fresh: bool,
    /// Offsets in `out` where a trailing comment's separating space is.
    trailing: Vec<usize>,
}

impl<'s> Printer<'s> {
    fn text(&self, s: Span) -> &'s str {
        let src: &'s str = self.src;
        src.get(s.start..s.end).unwrap_or_default()
    }

    /// A blank line in the source between the last printed thing and `pos`
    /// (the gap holds only whitespace: comments are printed as they come).
    fn blank_before(&self, pos: usize) -> bool {
        let gap = self.src.get(self.last_end..pos).unwrap_or_default();
        gap.matches('\n').count() >= 2
    }

    fn line_start(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    /// Prints the comments before `pos` on their own lines, with the blank
    /// lines the source had between them, then the separation before what
    /// is at `pos`.
    fn leading(&mut self, pos: usize, at: Next) {
        // Items are separated by exactly one blank line; a comment directly
        // above an item stays attached to it.
        let mut first = true;
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.span.start >= pos {
                break;
            }
            let item_gap = first && matches!(at, Next::Item | Next::Eof);
            if !self.fresh && (item_gap || self.blank_before(c.span.start)) {
                self.out.push('\n');
            }
            first = false;
            self.line_start();
            let text = self.text(c.span);
            self.out.push_str(text);
            self.out.push('\n');
            self.next += 1;
            self.last_end = c.span.end;
            self.fresh = false;
        }
        let gap = match at {
            Next::Item => first || self.blank_before(pos),
            Next::Stmt => self.blank_before(pos),
            Next::Close | Next::Eof => false,
        };
        if !self.fresh && gap {
            self.out.push('\n');
        }
        self.fresh = false;
    }

    /// After a statement or item ending at `end`: a comment on the same
    /// source line stays on its line; comments inside it follow on their
    /// own lines.
    fn after(&mut self, end: usize) {
        let end = self.content_end(end);
        // Comments inside the construct (between its tokens).
        let mut inside = Vec::new();
        while let Some(c) = self.comments.get(self.next).copied() {
            if c.span.start >= end {
                break;
            }
            inside.push(c);
            self.next += 1;
        }
        let mut end = end;
        if let Some(c) = self.comments.get(self.next).copied() {
            let gap = self.src.get(end..c.span.start).unwrap_or_default();
            if !gap.contains('\n') && inside.is_empty() {
                let text = self.text(c.span);
                self.trailing.push(self.out.len());
                self.out.push(' ');
                self.out.push_str(text);
                self.next += 1;
                end = c.span.end;
            }
        }
        self.out.push('\n');
        for c in inside {
            self.line_start();
            let text = self.text(c.span);
            self.out.push_str(text);
            self.out.push('\n');
        }
        self.last_end = end;
    }

    /// Where a construct whose span ends at `end` really ends: a span may
    /// take in the whitespace and comments after its last token.
    fn content_end(&self, end: usize) -> usize {
        let mut end = end;
        loop {
            let text = self.src.get(..end).unwrap_or_default();
            end = text.trim_end().len();
            match self
                .comments
                .iter()
                .rev()
                .find(|c| c.span.end == end && c.span.start < end)
            {
                Some(c) => end = c.span.start,
                None => return end,
            }
        }
    }

    fn fn_decl(&mut self, f: &FnDecl) {
        self.line_start();
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name.name, self.text(p.ty.span).trim()))
            .collect();
        let _ = write!(
            self.out,
            "fn {}({}) -> {};",
            f.name.name,
            params.join(", "),
            self.text(f.ret.span).trim()
        );
    }

    fn component(&mut self, c: &ComponentDecl) {
        self.line_start();
        let kind = match c.kind {
            ComponentKind::Protocol => "protocol",
            ComponentKind::Component => "component",
        };
        let _ = write!(self.out, "{kind} {}", c.name.name);
        if !c.generics.is_empty() {
            let g: Vec<&str> = c.generics.iter().map(|g| g.name.as_str()).collect();
            let _ = write!(self.out, "<{}>", g.join(", "));
        }
        let params: Vec<String> = c
            .params
            .iter()
            .map(|p| {
                let kind = match p.kind {
                    ParamKind::Nodes => "nodes",
                    ParamKind::Faults => "faults",
                    ParamKind::Node => "node",
                };
                let model = match p.model {
                    Some((FaultModel::Crash, _)) => ": crash",
                    Some((FaultModel::Byzantine, _)) => ": byzantine",
                    None => "",
                };
                format!("{kind} {}{model}", p.name.name)
            })
            .collect();
        let _ = write!(self.out, "({})", params.join(", "));
        if !c.constraints.is_empty() {
            let cs: Vec<String> = c
                .constraints
                .iter()
                .map(|k| {
                    let op = match k.op {
                        CmpOp::Ge => ">=",
                        CmpOp::Le => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::Lt => "<",
                        CmpOp::Eq => "==",
                    };
                    format!("{} {op} {}", self.expr(&k.lhs), self.expr(&k.rhs))
                })
                .collect();
            let _ = write!(self.out, " where {}", cs.join(", "));
        }
        self.block(&c.body, c.span);
    }

    /// ` {`, the statements, `}` of the construct spanning `span` (the
    /// caller prints what follows).
    fn block(&mut self, body: &[Stmt], span: Span) {
        self.out.push_str(" {\n");
        // The block opens at the construct's first `{` (headers hold none).
        let open = self
            .src
            .get(span.start..span.end)
            .and_then(|t| t.find('{'))
            .map_or(span.start, |k| span.start + k + 1);
        self.last_end = open;
        self.indent += 1;
        self.fresh = true;
        for s in body {
            self.leading(stmt_span(s).start, Next::Stmt);
            self.stmt(s);
        }
        self.leading(span.end.saturating_sub(1), Next::Close);
        self.indent -= 1;
        self.line_start();
        self.out.push('}');
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Port(p) => {
                self.line_start();
                let dir = match p.dir {
                    PortDir::In => "in ",
                    PortDir::Out => "out",
                };
                let idx: String = p.indices.iter().map(|i| format!("[{}]", i.name)).collect();
                let at = self.expr(&p.at);
                let _ = write!(
                    self.out,
                    "{dir} {}{idx}: {} at {at}",
                    p.name.name,
                    self.text(p.ty.span).trim()
                );
                self.after(p.span.end);
            }
            Stmt::For(l) => {
                self.line_start();
                let range = match l.range {
                    Range::Nodes => "nodes".to_string(),
                    Range::Numbers => {
                        let text = self.text(l.range_span);
                        let start = text.split("..").next().unwrap_or("0").trim();
                        match &l.bound {
                            Some(b) => format!("{start}..{}", self.expr(b)),
                            None => format!("{start}.."),
                        }
                    }
                };
                let _ = write!(self.out, "for {} in {range}", l.var.name);
                self.block(&l.body, l.span);
                self.after(l.span.end);
            }
            Stmt::Instance(i) => {
                self.line_start();
                let args: Vec<String> = i.args.iter().map(|a| self.expr(a)).collect();
                let binds: Vec<String> = i
                    .bindings
                    .iter()
                    .map(|b| format!("{} = {}", b.port.name, self.expr(&b.value)))
                    .collect();
                let binds = if binds.is_empty() {
                    "{}".to_string()
                } else {
                    format!("{{ {} }}", binds.join(", "))
                };
                let _ = write!(
                    self.out,
                    "{} = {}({}) {binds}",
                    i.name.name,
                    i.component.name,
                    args.join(", ")
                );
                self.after(i.span.end);
            }
            Stmt::Def(d) => {
                self.line_start();
                let mut line = d.target.name.clone();
                for i in &d.indices {
                    line.push_str(&self.index(i));
                }
                if let Some(t) = &d.ty {
                    let _ = write!(line, ": {}", self.text(t.span).trim());
                }
                let _ = write!(line, " = {}", self.expr(&d.value));
                if let Some(a) = &d.at {
                    let _ = write!(line, " at {}", self.expr(a));
                }
                if let Some(f) = &d.from {
                    let _ = write!(line, " from {}", self.expr(f));
                }
                self.out.push_str(&line);
                self.after(d.span.end);
            }
        }
    }

    fn index(&self, i: &Index) -> String {
        match i {
            Index::Star(_) => "[*]".into(),
            Index::Expr(e) => format!("[{}]", self.expr(e)),
        }
    }

    fn expr(&self, e: &Expr) -> String {
        self.expr_prec(e, 0)
    }

    /// `e`, parenthesised if its precedence is below `min`.
    fn expr_prec(&self, e: &Expr, min: u8) -> String {
        match &e.kind {
            ExprKind::Number(n) => n.to_string(),
            ExprKind::Unspecified => "?".into(),
            ExprKind::Rust(_) => {
                let t = self.text(e.span).trim();
                let inner = t
                    .strip_prefix('{')
                    .and_then(|t| t.strip_suffix('}'))
                    .unwrap_or(t)
                    .trim();
                if inner.is_empty() {
                    "{}".into()
                } else {
                    format!("{{ {inner} }}")
                }
            }
            ExprKind::Call { name, args } => {
                let a: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                format!("{}({})", name.name, a.join(", "))
            }
            ExprKind::Ref {
                name,
                field,
                indices,
            } => {
                let mut s = name.name.clone();
                if let Some(f) = field {
                    s.push('.');
                    s.push_str(&f.name);
                }
                for i in indices {
                    s.push_str(&self.index(i));
                }
                s
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (p, sym) = match op {
                    BinOp::Add => (1, "+"),
                    BinOp::Sub => (1, "-"),
                    BinOp::Mul => (2, "*"),
                    BinOp::Div => (2, "/"),
                    BinOp::Rem => (2, "%"),
                };
                // Left-associative: a right operand of the same precedence
                // keeps its parentheses (`a - (b - c)`).
                let s = format!(
                    "{} {sym} {}",
                    self.expr_prec(lhs, p),
                    self.expr_prec(rhs, p + 1)
                );
                if p < min {
                    format!("({s})")
                } else {
                    s
                }
            }
        }
    }
}

fn stmt_span(s: &Stmt) -> Span {
    match s {
        Stmt::Port(p) => p.span,
        Stmt::For(l) => l.span,
        Stmt::Instance(i) => i.span,
        Stmt::Def(d) => d.span,
    }
}
