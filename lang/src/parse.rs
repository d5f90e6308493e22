//! Text to AST: the pest grammar (`grammar.pest`) and the lowering of its
//! parse tree into [`crate::ast`], validating embedded Rust with `syn`.
//!
//! Parsing never panics: a syntax error becomes one `E0001` diagnostic at
//! the furthest position pest reached, with the tokens it expected.

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct RioParser;

/// Parses a whole file. On a syntax error returns `None` and one diagnostic;
/// invalid embedded Rust is reported but the AST is still returned.
pub fn parse_file(src: &str) -> (Option<File>, Diagnostics) {
    let mut diags = Diagnostics::default();
    if let Some(d) = too_large(src)
        .or_else(|| too_many_tokens(src))
        .or_else(|| too_deep(src))
    {
        diags.push(d);
        return (None, diags);
    }
    let pairs = match RioParser::parse(Rule::file, src) {
        Ok(p) => p,
        Err(e) => {
            diags.push(syntax_error(src, &e));
            return (None, diags);
        }
    };
    let mut lower = Lower {
        diags: &mut diags,
        types: std::collections::HashMap::new(),
    };
    let mut items = Vec::new();
    for pair in pairs.flat_map(|file| file.into_inner()) {
        match pair.as_rule() {
            Rule::fn_decl => items.push(Item::Fn(lower.fn_decl(pair))),
            Rule::component_decl => items.push(Item::Component(lower.component(pair))),
            _ => {}
        }
    }
    (Some(File { items }), diags)
}

/// Brackets may nest at most this deep.
pub const MAX_NESTING: usize = 64;

/// The largest source text accepted, in bytes (16 MiB). Larger input is
/// refused (E0004) before parsing, so time and memory stay bounded.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;

/// Expressions nest at most this deep, counting every operator of a chain
/// (`1 + 1 + 1` is 3 deep), calls and indices: later passes walk
/// expressions recursively. Deeper input is refused (E0004).
pub const MAX_EXPR_DEPTH: usize = 128;

/// An embedded Rust type or expression may nest `<`, `(`, `[`, `{` at most
/// this deep (E0004 beyond): `syn` parses recursively.
pub const MAX_RUST_NESTING: usize = 12;

/// An embedded Rust type or expression may hold at most this many prefix
/// operators and keywords that open a nested type or expression (`&`, `*`,
/// `-`, `!`, `|`, `=`, `..`, `fn`, `dyn`, `return`, ...): each is a level of
/// recursion in `syn`.
pub const MAX_RUST_PREFIXES: usize = 24;

/// An embedded Rust type or expression may be at most this many tokens long
/// (`syn` nests binary operator chains).
pub const MAX_RUST_TOKENS: usize = 256;

/// The most tokens accepted (names, numbers and punctuation characters,
/// comments excluded). Parsing takes time and memory per token (a few
/// hundred bytes in the parse tree and the AST), so this bound, not the
/// byte size, is what keeps any input within a second or two per million
/// tokens and under 1 GB. Larger input is refused (E0004) before parsing.
pub const MAX_TOKENS: usize = 2_000_000;

fn too_many_tokens(src: &str) -> Option<Diagnostic> {
    let bytes = src.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut tokens = 0usize;
    let mut k = 0;
    while let Some(&b) = bytes.get(k) {
        if b == b'/' && bytes.get(k + 1) == Some(&b'/') {
            while bytes.get(k).is_some_and(|c| *c != b'\n') {
                k += 1;
            }
            continue;
        }
        if b == b'/' && bytes.get(k + 1) == Some(&b'*') {
            k += 2;
            while bytes.get(k).is_some()
                && !(bytes.get(k) == Some(&b'*') && bytes.get(k + 1) == Some(&b'/'))
            {
                k += 1;
            }
            k += 2;
            continue;
        }
        if word(b) {
            while bytes.get(k).is_some_and(|c| word(*c)) {
                k += 1;
            }
            tokens += 1;
        } else {
            tokens += usize::from(!b.is_ascii_whitespace());
            k += 1;
        }
        if tokens > MAX_TOKENS {
            let end = (k..=src.len())
                .find(|e| src.is_char_boundary(*e))
                .unwrap_or(src.len());
            let start = (0..k.min(src.len()))
                .rev()
                .find(|s| src.is_char_boundary(*s))
                .unwrap_or(0);
            return Some(
                Diagnostic::new(
                    Code::TooDeep,
                    Span::new(start, end),
                    format!("the input has more than {MAX_TOKENS} tokens"),
                )
                .label("token limit reached here")
                .help("split the protocol into several files or components"),
            );
        }
    }
    None
}

fn too_large(src: &str) -> Option<Diagnostic> {
    if src.len() <= MAX_SOURCE_BYTES {
        return None;
    }
    let mut at = MAX_SOURCE_BYTES;
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    Some(
        Diagnostic::new(
            Code::TooDeep,
            Span::new(at, at),
            format!(
                "the input is {} bytes, more than the limit of {MAX_SOURCE_BYTES}",
                src.len()
            ),
        )
        .label("the input is cut off here")
        .help("split the protocol into several files or components"),
    )
}

/// Rejects input nested deeper than [`MAX_NESTING`] before parsing. pest is
/// used without its `std` feature, which also removes its per-rule stack
/// probe (a third of the parse time); this bound is what keeps deep input
/// from exhausting the stack in the parser, the lowering and the checker.
/// Angle brackets (generic arguments of embedded Rust types, which the
/// grammar nests) count too, from a `<` to its `>`, and are forgotten at
/// `{`, `}` and `;` (where a `<` is a comparison); they are E0004.
fn too_deep(src: &str) -> Option<Diagnostic> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut angles = 0usize;
    let mut k = 0;
    while let Some(&b) = bytes.get(k) {
        match b {
            b'/' if bytes.get(k + 1) == Some(&b'/') => {
                while bytes.get(k).is_some_and(|c| *c != b'\n') {
                    k += 1;
                }
            }
            b'/' if bytes.get(k + 1) == Some(&b'*') => {
                k += 2;
                while bytes.get(k).is_some()
                    && !(bytes.get(k) == Some(&b'*') && bytes.get(k + 1) == Some(&b'/'))
                {
                    k += 1;
                }
                k += 1;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            Code::Syntax,
                            Span::new(k, k + 1),
                            format!("brackets nested more than {MAX_NESTING} deep"),
                        )
                        .label("too deep")
                        .help("flatten the expression: name intermediate lines"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'<' => {
                angles += 1;
                if depth + angles > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            Code::TooDeep,
                            Span::new(k, k + 1),
                            format!("brackets and `<` nested more than {MAX_NESTING} deep"),
                        )
                        .label("too deep")
                        .help("simplify the type: name it with a Rust `type` alias"),
                    );
                }
            }
            b'>' if k > 0 && !matches!(bytes.get(k - 1), Some(b'-' | b'=')) => {
                angles = angles.saturating_sub(1)
            }
            b';' => angles = 0,
            _ => {}
        }
        if matches!(b, b'{' | b'}') {
            angles = 0;
        }
        k += 1;
    }
    None
}

/// Refuses embedded Rust that `syn` would parse with deep recursion: more
/// than [`MAX_RUST_TOKENS`] tokens, brackets (`<` included) nested more than
/// [`MAX_RUST_NESTING`] deep, or more than [`MAX_RUST_PREFIXES`] prefix
/// operators and keywords. Conservative: string contents are not special.
fn rust_too_deep(text: &str, span: Span, what: &str) -> Option<Diagnostic> {
    const PREFIX_KEYWORDS: &[&str] = &[
        "fn", "impl", "dyn", "return", "break", "continue", "move", "let", "if", "else", "for",
        "while", "loop", "match", "unsafe", "async", "await", "const", "static", "mut", "box",
        "yield", "where", "ref", "in", "as",
    ];
    let bytes = text.as_bytes();
    let (mut depth, mut max_depth, mut prefixes, mut tokens) = (0usize, 0usize, 0usize, 0usize);
    let mut k = 0;
    while let Some(&b) = bytes.get(k) {
        let start = k;
        k += 1;
        if b.is_ascii_whitespace() {
            continue;
        }
        tokens += 1;
        if b.is_ascii_alphanumeric() || b == b'_' {
            while bytes
                .get(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                k += 1;
            }
            let word = text.get(start..k).unwrap_or("");
            prefixes += usize::from(PREFIX_KEYWORDS.contains(&word));
            continue;
        }
        match b {
            b'(' | b'[' | b'{' | b'<' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'>' if !matches!(bytes.get(start.wrapping_sub(1)), Some(b'-' | b'=')) => {
                depth = depth.saturating_sub(1)
            }
            b'&' | b'*' | b'-' | b'!' | b'|' | b'=' | b'#' | b'.' | b'?' => prefixes += 1,
            _ => {}
        }
    }
    let problem = if tokens > MAX_RUST_TOKENS {
        format!("is {tokens} tokens long, more than {MAX_RUST_TOKENS}")
    } else if max_depth > MAX_RUST_NESTING {
        format!("nests brackets {max_depth} deep, more than {MAX_RUST_NESTING}")
    } else if prefixes > MAX_RUST_PREFIXES {
        format!("has {prefixes} operators and keywords, more than {MAX_RUST_PREFIXES}")
    } else {
        return None;
    };
    Some(
        Diagnostic::new(
            Code::TooDeep,
            span,
            format!("this embedded Rust {what} {problem}"),
        )
        .label("too complex to embed")
        .help(
            "define it in Rust (a `type` alias, a `const` or a function) and refer to it by name",
        ),
    )
}

fn syntax_error(src: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, e)) => (s, e),
    };
    // Point at the offending token, not an empty position.
    let end = if end > start {
        end
    } else {
        let rest = src.get(start..).unwrap_or("");
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let tok = match rest.chars().next() {
            Some(c) if word(c) => rest
                .char_indices()
                .find(|(_, c)| !word(*c))
                .map_or(rest.len(), |(i, _)| i),
            _ => 0,
        };
        start + tok.max(rest.chars().next().map_or(0, char::len_utf8))
    };
    let found = src.get(start..end).unwrap_or("").trim();
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<String> = positives.iter().map(|r| rule_name(*r)).collect();
            names.sort();
            names.dedup();
            names
        }
        pest::error::ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    let message = if found.is_empty() {
        "unexpected end of input".to_string()
    } else {
        format!("unexpected `{found}`")
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {}", expected.join(", "))
    };
    Diagnostic::new(Code::Syntax, Span::new(start, end), message)
        .label(label)
        .help("see spec/language.md for the syntax of each construct")
}

fn rule_name(r: Rule) -> String {
    match r {
        Rule::ident => "a name".into(),
        Rule::number => "a number".into(),
        Rule::expr | Rule::term => "an expression".into(),
        Rule::rust_type => "a Rust type".into(),
        Rule::fn_decl => "`fn`".into(),
        Rule::component_decl | Rule::component_kind => "`protocol` or `component`".into(),
        Rule::param | Rule::param_kind => "a parameter (`nodes n`, `faults f`, `node s`)".into(),
        Rule::fault_model | Rule::fault_kind => "a fault model (`: crash` or `: byzantine`)".into(),
        Rule::port | Rule::port_dir => "`in` or `out`".into(),
        Rule::for_loop => "`for`".into(),
        Rule::def | Rule::instance => "a definition `name = ...`".into(),
        Rule::cmp_op => "a comparison (`>`, `>=`, ...)".into(),
        Rule::add_op | Rule::mul_op => "an operator".into(),
        Rule::annotation | Rule::at_kw => "`at`".into(),
        Rule::from_kw => "`from`".into(),
        Rule::nodes_range => "`nodes`".into(),
        Rule::number_range => "`0..`".into(),
        Rule::EOI => "end of input".into(),
        Rule::call_or_ref => "a name".into(),
        Rule::call_args => "`(`".into(),
        Rule::ref_rest => "`[` or `.`".into(),
        Rule::component_name => "a component name".into(),
        Rule::index => "`[`".into(),
        Rule::type_annot => "`:` or `=`".into(),
        Rule::block => "`{`".into(),
        Rule::generics => "`<`".into(),
        Rule::where_clause => "`where` or `{`".into(),
        Rule::binding => "a binding `port = value`".into(),
        Rule::star => "`*`".into(),
        Rule::unspecified => "`?`".into(),
        Rule::port_index => "`[`".into(),
        Rule::constraint => "a constraint such as `n > 3 * f`".into(),
        other => format!("{other:?}"),
    }
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

struct Lower<'d> {
    diags: &'d mut Diagnostics,
    /// Embedded Rust types already validated, by source text.
    types: std::collections::HashMap<String, String>,
}

impl Lower<'_> {
    fn rust_type(&mut self, pair: Pair<'_, Rule>) -> RustType {
        let raw = pair.as_str();
        let trimmed = raw.trim_end();
        let start = pair.as_span().start();
        let span = Span::new(start, start + trimmed.len());
        if let Some(text) = self.types.get(trimmed) {
            return RustType {
                text: text.clone(),
                span,
            };
        }
        if let Some(d) = rust_too_deep(trimmed, span, "type") {
            self.diags.push(d);
            return RustType {
                text: "()".into(),
                span,
            };
        }
        let text = match syn::parse_str::<syn::Type>(trimmed) {
            Ok(ty) => {
                let text = normalize_tokens(&ty);
                self.types.insert(trimmed.to_string(), text.clone());
                text
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::BadRustType,
                        span,
                        format!("`{trimmed}` is not a Rust type"),
                    )
                    .label(e.to_string())
                    .help("write a Rust type such as `u64`, `Vec<u8>` or `(Block, Round)`"),
                );
                trimmed.to_string()
            }
        };
        RustType { text, span }
    }

    fn fn_decl(&mut self, pair: Pair<'_, Rule>) -> FnDecl {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let name = inner.next().map(ident).unwrap_or_else(|| missing(span));
        let mut params = Vec::new();
        let mut ret = None;
        for p in inner {
            match p.as_rule() {
                Rule::fn_param => {
                    let mut pi = p.into_inner();
                    let name = pi.next().map(ident).unwrap_or_else(|| missing(span));
                    let ty = pi.next().map(|t| self.rust_type(t));
                    params.push(FnParam {
                        name,
                        ty: ty.unwrap_or_else(|| missing_type(span)),
                    });
                }
                Rule::rust_type => ret = Some(self.rust_type(p)),
                _ => {}
            }
        }
        FnDecl {
            name,
            params,
            ret: ret.unwrap_or_else(|| missing_type(span)),
            span,
        }
    }

    fn component(&mut self, pair: Pair<'_, Rule>) -> ComponentDecl {
        let span = span_of(&pair);
        let mut kind = ComponentKind::Protocol;
        let mut name = missing(span);
        let mut generics = Vec::new();
        let mut params = Vec::new();
        let mut constraints = Vec::new();
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::component_kind if p.as_str() == "component" => {
                    kind = ComponentKind::Component
                }
                Rule::ident => name = ident(p),
                Rule::generics => generics = p.into_inner().map(ident).collect(),
                Rule::param => {
                    let mut pi = p.into_inner();
                    let k = match pi.next().map(|k| k.as_str().to_string()).as_deref() {
                        Some("nodes") => ParamKind::Nodes,
                        Some("faults") => ParamKind::Faults,
                        _ => ParamKind::Node,
                    };
                    let name = pi.next().map(ident).unwrap_or_else(|| missing(span));
                    let model = pi.next().and_then(|m| {
                        let mspan = span_of(&m);
                        let kind = m.into_inner().next()?;
                        let model = if kind.as_str() == "crash" {
                            FaultModel::Crash
                        } else {
                            FaultModel::Byzantine
                        };
                        Some((model, mspan))
                    });
                    params.push(Param {
                        kind: k,
                        name,
                        model,
                    });
                }
                Rule::where_clause => {
                    for c in p.into_inner() {
                        let cspan = span_of(&c);
                        let mut ci = c.into_inner();
                        let lhs = ci.next().map(|e| self.expr(e));
                        let op = match ci.next().map(|o| o.as_str().to_string()).as_deref() {
                            Some(">=") => CmpOp::Ge,
                            Some("<=") => CmpOp::Le,
                            Some(">") => CmpOp::Gt,
                            Some("<") => CmpOp::Lt,
                            _ => CmpOp::Eq,
                        };
                        let rhs = ci.next().map(|e| self.expr(e));
                        if let (Some(lhs), Some(rhs)) = (lhs, rhs) {
                            constraints.push(Constraint {
                                lhs,
                                op,
                                rhs,
                                span: cspan,
                            });
                        }
                    }
                }
                Rule::block => body = self.block(p),
                _ => {}
            }
        }
        ComponentDecl {
            kind,
            name,
            generics,
            params,
            constraints,
            body,
            span,
        }
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Vec<Stmt> {
        pair.into_inner().filter_map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        // A statement's span ends at its last token, not at the whitespace
        // pest consumed looking for an optional annotation.
        let span = {
            let s = span_of(&pair);
            Span::new(s.start, s.start + pair.as_str().trim_end().len())
        };
        match pair.as_rule() {
            Rule::port => {
                let mut dir = PortDir::In;
                let mut name = missing(span);
                let mut indices = Vec::new();
                let mut ty = missing_type(span);
                let mut at = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::port_dir if p.as_str() == "out" => dir = PortDir::Out,
                        Rule::ident => name = ident(p),
                        Rule::port_index => indices.extend(p.into_inner().map(ident)),
                        Rule::rust_type => ty = self.rust_type(p),
                        Rule::expr => at = Some(self.expr(p)),
                        _ => {}
                    }
                }
                Some(Stmt::Port(Port {
                    dir,
                    name,
                    indices,
                    ty,
                    at: at.unwrap_or_else(|| missing_expr(span)),
                    span,
                }))
            }
            Rule::for_loop => {
                let mut var = missing(span);
                let mut range = Range::Nodes;
                let mut range_span = span;
                let mut bound = None;
                let mut body = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => var = ident(p),
                        Rule::nodes_range => {
                            range = Range::Nodes;
                            range_span = span_of(&p);
                        }
                        Rule::number_range => {
                            range = Range::Numbers;
                            range_span = span_of(&p);
                            // Families are indexed from 0: a loop starting
                            // elsewhere would silently mean `0..`.
                            if let Some(start) =
                                p.clone().into_inner().find(|q| q.as_rule() == Rule::number)
                            {
                                if !start.as_str().trim_start_matches('0').is_empty() {
                                    self.diags.push(
                                        Diagnostic::new(
                                            Code::Syntax,
                                            span_of(&start),
                                            format!("a number loop starts at 0, not {}", start.as_str()),
                                        )
                                        .label("must be 0")
                                        .help("write `for r in 0..` and offset the index instead: `x[r + 1] = ..` (the base case `x[0]` is a separate definition)"),
                                    );
                                }
                            }
                            bound = p
                                .into_inner()
                                .find(|q| q.as_rule() == Rule::expr)
                                .map(|q| self.expr(q));
                        }
                        Rule::block => body = self.block(p),
                        _ => {}
                    }
                }
                Some(Stmt::For(ForLoop {
                    var,
                    range,
                    range_span,
                    bound,
                    body,
                    span,
                }))
            }
            Rule::instance => {
                let mut inner = pair.into_inner();
                let name = inner.next().map(ident).unwrap_or_else(|| missing(span));
                let component = inner.next().map(ident).unwrap_or_else(|| missing(span));
                // (`component_name` is lowered like any name.)
                let mut args = Vec::new();
                let mut bindings = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::expr => args.push(self.expr(p)),
                        Rule::binding => {
                            let mut bi = p.into_inner();
                            let port = bi.next().map(ident).unwrap_or_else(|| missing(span));
                            let value = bi
                                .next()
                                .map(|e| self.expr(e))
                                .unwrap_or_else(|| missing_expr(span));
                            bindings.push(Binding { port, value });
                        }
                        _ => {}
                    }
                }
                Some(Stmt::Instance(Instance {
                    name,
                    component,
                    args,
                    bindings,
                    span,
                }))
            }
            Rule::def => {
                let mut target = missing(span);
                let mut indices = Vec::new();
                let mut ty = None;
                let mut value = None;
                let mut at = None;
                let mut from = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => target = ident(p),
                        Rule::index => indices.push(self.index(p).0),
                        Rule::type_annot => ty = p.into_inner().next().map(|t| self.rust_type(t)),
                        Rule::expr => value = Some(self.expr(p)),
                        Rule::annotation => {
                            let mut ai = p.into_inner();
                            let is_at = ai.next().is_some_and(|k| k.as_rule() == Rule::at_kw);
                            let e = ai.next().map(|e| self.expr(e));
                            if is_at {
                                at = e;
                            } else {
                                from = e;
                            }
                        }
                        _ => {}
                    }
                }
                Some(Stmt::Def(Def {
                    target,
                    indices,
                    ty,
                    value: value.unwrap_or_else(|| missing_expr(span)),
                    at,
                    from,
                    span,
                }))
            }
            _ => None,
        }
    }

    /// An index and its depth.
    fn index(&mut self, pair: Pair<'_, Rule>) -> (Index, usize) {
        let span = span_of(&pair);
        match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::star => (Index::Star(span_of(&p)), 0),
            Some(p) => {
                let (e, d) = self.expr_d(p);
                (Index::Expr(e), d)
            }
            None => (Index::Star(span), 0),
        }
    }

    /// An expression whose depth is at most [`MAX_EXPR_DEPTH`], or an E0004
    /// and a placeholder.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.expr_d(pair).0
    }

    /// Reports an expression deeper than [`MAX_EXPR_DEPTH`].
    fn too_deep_expr(&mut self, span: Span) -> (Expr, usize) {
        self.diags.push(
            Diagnostic::new(
                Code::TooDeep,
                span,
                format!("this expression nests more than {MAX_EXPR_DEPTH} operators, calls and indices deep"),
            )
            .label("too deep")
            .help("split it: name intermediate lines, or sum fewer terms per expression (each operator of a chain counts)"),
        );
        (missing_expr(span), 1)
    }

    /// An expression and its depth (a leaf is 1). Binary chains, which pest
    /// gives flat, are folded in a loop; the fold stops at the depth bound,
    /// so no deep tree is ever built (or dropped).
    fn expr_d(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::term => {
                let mut inner = pair.into_inner();
                let (mut acc, mut depth) = match inner.next() {
                    Some(first) => self.expr_d(first),
                    None => return (missing_expr(span), 1),
                };
                while let (Some(op), Some(rhs)) = (inner.next(), inner.next()) {
                    let op = match op.as_str() {
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        "/" => BinOp::Div,
                        _ => BinOp::Rem,
                    };
                    if depth >= MAX_EXPR_DEPTH {
                        return self.too_deep_expr(span);
                    }
                    let (rhs, rd) = self.expr_d(rhs);
                    depth = depth.max(rd) + 1;
                    if depth > MAX_EXPR_DEPTH {
                        return self.too_deep_expr(span);
                    }
                    let s = acc.span.to(rhs.span);
                    acc = Expr {
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(acc),
                            rhs: Box::new(rhs),
                        },
                        span: s,
                    };
                }
                (acc, depth)
            }
            Rule::paren => match pair.into_inner().next() {
                Some(e) => self.expr_d(e),
                None => (missing_expr(span), 1),
            },
            Rule::number => {
                let kind = match pair.as_str().parse::<u64>() {
                    Ok(n) => ExprKind::Number(n),
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::new(Code::Syntax, span, "number too large")
                                .label("does not fit in 64 bits")
                                .help("use a number below 2^64"),
                        );
                        ExprKind::Number(0)
                    }
                };
                (Expr { kind, span }, 1)
            }
            Rule::unspecified => (
                Expr {
                    kind: ExprKind::Unspecified,
                    span,
                },
                1,
            ),
            Rule::rust_block => {
                let text = pair
                    .into_inner()
                    .next()
                    .map_or("", |p| p.as_str())
                    .trim()
                    .to_string();
                if let Some(d) = rust_too_deep(&text, span, "expression") {
                    self.diags.push(d);
                    return (missing_expr(span), 1);
                }
                let text = match syn::parse_str::<syn::Expr>(&text) {
                    Ok(e) => normalize_tokens(&e),
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::new(Code::BadRustExpr, span, format!("`{text}` is not a Rust expression"))
                                .label(e.to_string())
                                .help("write a Rust expression inside the braces, such as `{ None }` or `{ 0u64 }`"),
                        );
                        text
                    }
                };
                (
                    Expr {
                        kind: ExprKind::Rust(text),
                        span,
                    },
                    1,
                )
            }
            Rule::call_or_ref => {
                // The span ends at the last token (pest may have skipped
                // whitespace looking for indices).
                let span = Span::new(span.start, span.start + pair.as_str().trim_end().len());
                let mut inner = pair.into_inner();
                let name = inner.next().map(ident).unwrap_or_else(|| missing(span));
                let Some(rest) = inner.next() else {
                    return (missing_expr(span), 1);
                };
                let mut depth = 0;
                if rest.as_rule() == Rule::call_args {
                    let mut args = Vec::new();
                    for a in rest.into_inner() {
                        let (a, d) = self.expr_d(a);
                        depth = depth.max(d);
                        args.push(a);
                    }
                    if depth >= MAX_EXPR_DEPTH {
                        return self.too_deep_expr(span);
                    }
                    return (
                        Expr {
                            kind: ExprKind::Call { name, args },
                            span,
                        },
                        depth + 1,
                    );
                }
                let mut field = None;
                let mut indices = Vec::new();
                for p in rest.into_inner() {
                    match p.as_rule() {
                        Rule::ident => field = Some(ident(p)),
                        Rule::index => {
                            let (ix, d) = self.index(p);
                            depth = depth.max(d);
                            indices.push(ix);
                        }
                        _ => {}
                    }
                }
                if depth >= MAX_EXPR_DEPTH {
                    return self.too_deep_expr(span);
                }
                (
                    Expr {
                        kind: ExprKind::Ref {
                            name,
                            field,
                            indices,
                        },
                        span,
                    },
                    depth + 1,
                )
            }
            _ => (missing_expr(span), 1),
        }
    }
}

/// The canonical text of a Rust type written as `text`, if it parses.
pub(crate) fn normalize_type(text: &str) -> Option<String> {
    syn::parse_str::<syn::Type>(text)
        .ok()
        .map(|t| normalize_tokens(&t))
}

/// The canonical text of a syn node: its tokens joined by single spaces.
fn normalize_tokens<T: quote::ToTokens>(node: &T) -> String {
    node.to_token_stream().to_string()
}

fn missing(span: Span) -> Ident {
    Ident {
        name: String::new(),
        span,
    }
}

fn missing_type(span: Span) -> RustType {
    RustType {
        text: "()".into(),
        span,
    }
}

fn missing_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Unspecified,
        span,
    }
}
