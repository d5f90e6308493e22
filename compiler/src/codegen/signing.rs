//! Signatures and certificates in generated code (see `spec/codegen.md`,
//! "Signatures").
//!
//! - Every rule whose value contains `sign(..)` is a **purpose**, numbered
//!   in rule order: its signatures cover the protocol's name, the purpose,
//!   the rule's target key, the signer and the value.
//! - `cert(k, votes)` counts the votes of a line produced by exactly one
//!   rule whose value is `sign(..)`, so the purpose of the votes it counts
//!   is known; the smallest such `k` per purpose is the threshold every
//!   received certificate of that purpose must meet.
//! - Every message whose type mentions `Signed`/`Cert` is checked before it
//!   enters a line: each signed value and certificate in it, through
//!   `Option`, tuples, `Votes`, `Vec` and `Box`. A signature hidden in a
//!   type code generation cannot see into (your own struct) is refused
//!   (E0801), not skipped.

use super::names::ident;
use super::plan::{bug, unsupported};
use super::Gen;
use crate::ir::{Cross, Ex};
use proc_macro2::TokenStream;
use quote::quote;
use rio_lang::ast::Span;

impl Gen<'_> {
    /// The rules that sign, in rule order: the purposes.
    pub(super) fn sign_rules(&self) -> Vec<usize> {
        self.p
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let mut found = false;
                crate::ir::walk(&r.value, &mut |e| found |= matches!(e, Ex::Sign(_)));
                found
            })
            .map(|(k, _)| k)
            .collect()
    }

    /// The purpose number of rule `k` (which signs).
    pub(super) fn purpose_of_rule(&self, k: usize) -> Option<u32> {
        let pos = self.sign_rules().iter().position(|r| *r == k)?;
        u32::try_from(pos).ok()
    }

    /// The one rule producing `line`, if it sends `sign(..)` itself: then
    /// its purpose is that of the votes on `line`. `Err` says how many
    /// rules produce `line` when that is not the case.
    fn signing_producer(&self, line: usize) -> Result<usize, usize> {
        let mut producers = self
            .p
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.target == line);
        match (producers.next(), producers.next()) {
            (Some((k, r)), None) if matches!(r.value, Ex::Sign(_)) && r.cross != Cross::Local => {
                Ok(k)
            }
            (first, second) => Err(usize::from(first.is_some()) + usize::from(second.is_some())),
        }
    }

    /// The purpose of the votes a `cert` over `line` counts (reported as
    /// E0801 when the one rule producing `line` does not sign them itself).
    pub(super) fn cert_purpose(&self, line: usize, span: Span) -> Option<u32> {
        let name = self.p.lines.get(line).map_or("?", |l| l.name.as_str());
        match self.signing_producer(line) {
            Ok(k) => self.purpose_of_rule(k),
            Err(1) => {
                self.report(
                    unsupported(
                        span,
                        format!("a certificate over `{name}` when the statement sending `{name}` does not sign it itself"),
                    )
                    .help(format!(
                        "sign where the vote is sent, so the certificate knows what it counts: `{name}[i] = broadcast(sign(v)) from i` or `{name}[i] = link(sign(v), s) from i`"
                    )),
                );
                None
            }
            Err(_) => {
                self.report(unsupported(
                    span,
                    format!("a certificate over `{name}`, which has several producers"),
                ));
                None
            }
        }
    }

    /// `const PURPOSES`-like method: the scheme's purposes, with each
    /// purpose's smallest certificate threshold from the parameters.
    pub(super) fn scheme_fn(&self) -> TokenStream {
        let rt = self.rt;
        let signers = self.sign_rules();
        if signers.is_empty() {
            return quote!();
        }
        let mut entries = Vec::new();
        for k in &signers {
            let Some(r) = self.p.rules.get(*k) else {
                continue;
            };
            let line = self.p.lines.get(r.target).map_or("", |l| l.name.as_str());
            let arity = self.p.lines.get(r.target).map_or(0, |l| l.arity());
            // Every cert over a line this rule produces.
            let mut ks = Vec::new();
            for c in &self.p.rules {
                crate::ir::walk(&c.value, &mut |e| {
                    if let Ex::Cert { k: th, votes } = e {
                        if let Ex::Ref { line: l, .. } = votes.as_ref() {
                            if *l == r.target {
                                ks.push(th.clone());
                            }
                        }
                    }
                });
            }
            let mut mins = Vec::new();
            for th in &ks {
                match self.threshold_field(th) {
                    Some(f) => mins.push(quote!(self.k.#f)),
                    None => {
                        self.report(unsupported(
                            r.span,
                            format!(
                                "a certificate threshold `{th}` that depends on a loop variable"
                            ),
                        ));
                    }
                }
            }
            let cert_k = if mins.is_empty() {
                quote!(None)
            } else {
                quote!([#(#mins),*].into_iter().min())
            };
            entries
                .push(quote!(#rt::crypto::Purpose { line: #line, arity: #arity, cert_k: #cert_k }));
        }
        let len = entries.len();
        quote! {
            /// What this protocol signs: one purpose per signing rule, with
            /// the threshold a received certificate of it must meet.
            fn purposes(&self) -> [#rt::crypto::Purpose; #len] {
                [#(#entries),*]
            }
        }
    }

    /// For a message rule that sends a certificate as it was made
    /// (`qc = cert(k, vote[v][*]) ..; m = broadcast(qc)`, or the `cert`
    /// inline): a check that the received certificate has that purpose,
    /// and — when the message, the certificate and its votes share one
    /// instance key — that key. A lying relayer cannot pass a certificate
    /// of another line or another view for this one.
    pub(super) fn relayed_cert_check(&self, r: &crate::ir::Rule) -> Option<TokenStream> {
        // The certificate expression and the rule it is computed in.
        let (cert_rule, cert_ex, via_identity) = match &r.value {
            e @ Ex::Cert { .. } => (r, e, true),
            Ex::Ref { line, idx } => {
                let mut producers = self.p.rules.iter().filter(|c| c.target == *line);
                let c = producers.next()?;
                if producers.next().is_some() {
                    return None;
                }
                if !matches!(c.value, Ex::Cert { .. }) {
                    return None;
                }
                (c, &c.value, identity(r, *line, idx, self.p))
            }
            _ => return None,
        };
        let Ex::Cert { votes, .. } = cert_ex else {
            return None;
        };
        let Ex::Ref {
            line: vl,
            idx: vidx,
        } = votes.as_ref()
        else {
            return None;
        };
        // Silent: the `cert` itself reports votes it cannot count.
        let purpose = self
            .signing_producer(*vl)
            .ok()
            .and_then(|k| self.purpose_of_rule(k))?;
        let same_key = via_identity && identity(cert_rule, *vl, vidx, self.p);
        let arity = self.p.lines.get(r.target).map_or(0, |l| l.arity());
        Some(if same_key && arity > 0 {
            quote!(value.purpose() == #purpose && value.key() == &key[..])
        } else if same_key {
            quote!(value.purpose() == #purpose && value.key().is_empty())
        } else {
            quote!(value.purpose() == #purpose)
        })
    }

    /// A boolean expression: whether every signature in `value` (of the
    /// type `ty`) is valid; `None` when the type holds none.
    pub(super) fn verify_expr(
        &self,
        ty: &str,
        value: TokenStream,
        span: Span,
    ) -> Option<TokenStream> {
        if !mentions_signatures(ty) {
            return None;
        }
        let Ok(t) = syn::parse_str::<syn::Type>(ty) else {
            self.report(bug(span, "a checked type does not parse"));
            return None;
        };
        // Types are nested at most as deep as the parser allows (E0004).
        Some(self.verify_ty(&t, value, span, 0))
    }

    fn verify_ty(&self, t: &syn::Type, v: TokenStream, span: Span, depth: usize) -> TokenStream {
        let text = quote!(#t).to_string();
        if !mentions_signatures(&text) {
            return quote!(true);
        }
        if depth > 16 {
            self.report(unsupported(
                span,
                format!("signatures nested this deep in `{text}`"),
            ));
            return quote!(false);
        }
        let refuse = |what: String| {
            self.report(
                unsupported(span, what).help(
                    "carry signed values and certificates as the whole value, or inside `Option`, tuples, `Votes`, `Vec` or `Box`, where every signature is checked at receipt",
                ),
            );
            quote!(false)
        };
        match t {
            syn::Type::Paren(p) => self.verify_ty(&p.elem, v, span, depth + 1),
            syn::Type::Group(g) => self.verify_ty(&g.elem, v, span, depth + 1),
            syn::Type::Tuple(tt) => {
                let parts: Vec<TokenStream> = tt
                    .elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let f = syn::Index::from(i);
                        self.verify_ty(e, quote!((&(#v).#f)), span, depth + 1)
                    })
                    .collect();
                quote!((#(#parts)&&*))
            }
            syn::Type::Path(p) if p.qself.is_none() => {
                let Some(seg) = p.path.segments.last() else {
                    return refuse(format!("signatures inside `{text}`"));
                };
                let args: Vec<&syn::Type> = match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .filter_map(|g| match g {
                            syn::GenericArgument::Type(t) => Some(t),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let name = seg.ident.to_string();
                let x = ident("x");
                match (name.as_str(), args.as_slice()) {
                    ("Signed" | "Cert", [inner]) => {
                        let inner = self.verify_ty(inner, quote!(#x.value()), span, depth + 1);
                        if inner.to_string() == "true" {
                            quote!((#v).verify(crypto, &scheme))
                        } else {
                            quote!({ let #x = #v; #x.verify(crypto, &scheme) && #inner })
                        }
                    }
                    ("Option", [inner]) => {
                        let inner = self.verify_ty(inner, quote!(#x), span, depth + 1);
                        quote!((#v).as_ref().map_or(true, |#x| #inner))
                    }
                    ("Votes", [inner]) => {
                        let inner = self.verify_ty(inner, quote!(#x), span, depth + 1);
                        quote!((#v).values().all(|#x| #inner))
                    }
                    ("Vec", [inner]) => {
                        let inner = self.verify_ty(inner, quote!(#x), span, depth + 1);
                        quote!((#v).iter().all(|#x| #inner))
                    }
                    ("Box", [inner]) => self.verify_ty(inner, quote!(&**(#v)), span, depth + 1),
                    _ => refuse(format!("signatures inside `{text}`")),
                }
            }
            syn::Type::Array(a) => {
                let x = ident("x");
                let inner = self.verify_ty(&a.elem, quote!(#x), span, depth + 1);
                quote!((#v).iter().all(|#x| #inner))
            }
            _ => refuse(format!("signatures inside `{text}`")),
        }
    }
}

/// Whether `rule` reads `line` at its own instance: the line's number
/// indices are exactly the rule's number loop variables, in order.
fn identity(
    rule: &crate::ir::Rule,
    line: usize,
    idx: &[rio_lang::graph::Idx],
    p: &crate::ir::Protocol,
) -> bool {
    let Some(l) = p.lines.get(line) else {
        return false;
    };
    let keys = rule.key_vars();
    if l.arity() != keys.len() {
        return false;
    }
    let mut q = 0;
    for (d, kind) in l.dims.iter().enumerate() {
        if *kind != rio_lang::graph::DimKind::Number {
            continue;
        }
        let Some(rio_lang::graph::Idx::Num(lin)) = idx.get(d) else {
            return false;
        };
        let own = lin.constant == 0
            && lin.coeffs.len() == 1
            && lin
                .coeffs
                .iter()
                .next()
                .is_some_and(|(v, c)| *c == 1 && keys.get(q).is_some_and(|k| k == v));
        if !own {
            return false;
        }
        q += 1;
    }
    true
}

/// Whether a type's text names `Signed` or `Cert`.
pub(super) fn mentions_signatures(ty: &str) -> bool {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == "Signed" || w == "Cert")
}
