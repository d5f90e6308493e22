//! Rust names for the things of a protocol: escaping (raw identifiers for
//! Rust keywords), refusal of names Rust cannot use at all, and uniqueness
//! of every generated name (a clash is diagnostic E0802, never a silently
//! shadowed field).

use crate::ir::Protocol;
use proc_macro2::Span;
use rio_lang::diagnostic::{Code, Diagnostic};
use std::collections::{BTreeMap, BTreeSet};

/// Rust keywords (strict and reserved, edition 2021): usable as raw
/// identifiers `r#match`.
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Names Rust accepts in no form, not even as raw identifiers.
const UNUSABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `s` can name a Rust item (directly or as a raw identifier).
pub fn usable(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    first_ok && s.chars().all(|c| c == '_' || c.is_alphanumeric()) && !UNUSABLE.contains(&s)
}

/// The identifier for `s`: raw if it is a keyword. Only names checked by
/// [`check`] reach here; anything else becomes an identifier that cannot
/// compile (never reached: `check` reports it first).
pub fn ident(s: &str) -> syn::Ident {
    if !usable(s) {
        return syn::Ident::new("__rio_unusable_name", Span::call_site());
    }
    if KEYWORDS.contains(&s) {
        syn::Ident::new_raw(s, Span::call_site())
    } else {
        syn::Ident::new(s, Span::call_site())
    }
}

/// `cb.echo` → `cb_echo`.
pub fn field_name(line: &str) -> String {
    line.replace('.', "_")
}

/// `cb.echo` → `CbEcho`.
pub fn variant_name(line: &str) -> String {
    line.split(['.', '_'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

/// `BrachaBroadcast` → `bracha_broadcast`.
pub fn module_name(protocol: &str) -> String {
    let mut out = String::new();
    for (k, c) in protocol.chars().enumerate() {
        if c.is_uppercase() && k > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `cb.echo` → `CB_ECHO`.
pub fn const_name(s: &str) -> String {
    let mut out = String::new();
    for (k, c) in s.chars().enumerate() {
        if c.is_uppercase() && k > 0 && !out.ends_with('_') {
            out.push('_');
        }
        if c == '.' {
            out.push('_');
        } else {
            out.extend(c.to_uppercase());
        }
    }
    out
}

/// Hands out names that are unique within one namespace: the first taker
/// of a name gets it; later ones get `name_2`, `name_3`, ...
#[derive(Default)]
pub struct Unique {
    taken: BTreeSet<String>,
}

impl Unique {
    pub fn reserve(&mut self, s: &str) {
        self.taken.insert(s.to_string());
    }
    pub fn take(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        let mut k = 2;
        loop {
            let cand = format!("{base}_{k}");
            if self.taken.insert(cand.clone()) {
                return cand;
            }
            k += 1;
        }
    }
}

fn clash(span: rio_lang::ast::Span, what: &str, name: &str, other: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NameClash,
        span,
        format!("{what} `{name}` and `{other}` map to the same Rust name"),
    )
    .label("this name")
    .help("rename one of them (generated Rust joins `instance.line` with `_`, and names variants in CamelCase)")
}

fn unusable(span: rio_lang::ast::Span, what: &str, name: &str, rust: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NameClash,
        span,
        format!("{what} `{name}` becomes `{rust}` in Rust, which Rust reserves"),
    )
    .label("this name")
    .help("rename it: `self`, `Self`, `super`, `crate` and `_` cannot name anything in generated code")
}

/// Checks every name generated code derives from the protocol.
pub fn check(p: &Protocol, span_of_line: &dyn Fn(usize) -> rio_lang::ast::Span) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let protocol_span = span_of_line(usize::MAX);
    let m = module_name(&p.name);
    if !usable(&m) {
        diags.push(unusable(protocol_span, "protocol", &p.name, &m));
    }
    let mut fields: BTreeMap<String, &str> = BTreeMap::new();
    let mut variants: BTreeMap<(u8, String), &str> = BTreeMap::new();
    let messages: BTreeSet<usize> = p
        .rules
        .iter()
        .filter(|r| r.cross != crate::ir::Cross::Local)
        .map(|r| r.target)
        .collect();
    for (k, l) in p.lines.iter().enumerate() {
        let f = field_name(&l.name);
        if !usable(&f) {
            diags.push(unusable(span_of_line(k), "line", &l.name, &f));
        } else if let Some(other) = fields.insert(f, &l.name) {
            diags.push(clash(span_of_line(k), "lines", &l.name, other));
        }
        // Message, input and output variants live in three enums.
        let space = if messages.contains(&k) {
            Some(0)
        } else {
            match l.kind {
                rio_lang::graph::LineKind::Input => Some(1),
                rio_lang::graph::LineKind::Output => Some(2),
                _ => None,
            }
        };
        if let Some(space) = space {
            let v = variant_name(&l.name);
            if !usable(&v) || v.is_empty() {
                diags.push(unusable(span_of_line(k), "line", &l.name, &v));
            } else if let Some(other) = variants.insert((space, v), &l.name) {
                diags.push(clash(span_of_line(k), "lines", &l.name, other));
            }
        }
        // Output lines are also output variants when they carry messages.
        if messages.contains(&k) && l.kind == rio_lang::graph::LineKind::Output {
            variants.insert((2, variant_name(&l.name)), &l.name);
        }
    }
    for (_, name) in &p.params {
        if !usable(name) {
            diags.push(unusable(protocol_span, "parameter", name, name));
        }
    }
    for g in &p.generics {
        if !usable(g) {
            diags.push(unusable(protocol_span, "type parameter", g, g));
        }
    }
    for r in &p.rules {
        for (v, _) in &r.loops {
            if !usable(v) {
                diags.push(unusable(r.span, "loop variable", v, v));
            }
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_raw_identifiers() {
        for k in KEYWORDS {
            let id = ident(k);
            assert_eq!(id.to_string(), format!("r#{k}"));
        }
        assert_eq!(ident("echo").to_string(), "echo");
        for u in UNUSABLE {
            assert!(!usable(u));
        }
        assert_eq!(const_name("cb.echo"), "CB_ECHO");
        assert_eq!(const_name("timeoutPropose"), "TIMEOUT_PROPOSE");
        let mut u = Unique::default();
        assert_eq!(u.take("a"), "a");
        assert_eq!(u.take("a"), "a_2");
        u.reserve("b");
        assert_eq!(u.take("b"), "b_2");
    }
}
