//! The public types of a generated module: `Params` with its check of the
//! `where` clause, the `Message` enum (one variant per cross-domain line),
//! `Input` and `Output`, and the derived adversary (`ForgeMessage`).

use super::names::{ident, variant_name};
use super::Gen;
use crate::ir::{Cross, Line, Rule};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use rio_lang::ast::ParamKind;
use rio_lang::graph::LineKind;
use std::collections::BTreeSet;

/// `constant` and `[(coeff, params.x), ..]` of a linear form over
/// parameters, for the runtime's checked `affine`.
pub(super) fn affine_terms(
    l: &rio_lang::arith::Lin,
    params: &TokenStream,
) -> (Literal, Vec<TokenStream>) {
    let terms = l
        .coeffs
        .iter()
        .map(|(v, k)| {
            let f = ident(v);
            let k = Literal::i64_unsuffixed(*k);
            quote!((#k, #params.#f))
        })
        .collect();
    (Literal::i64_unsuffixed(l.constant), terms)
}

/// A linear form over parameters with floor divisions as a checked
/// `Option<i128>` expression (`rio::family::lin_value`): the atoms'
/// definitions are computed first, each as a `floor_div` term. For
/// thresholds and `where` clauses, whose coefficients are not bounded.
pub(super) fn checked_value(
    l: &rio_lang::arith::Lin,
    params: &TokenStream,
    rt: &TokenStream,
) -> TokenStream {
    let mut atoms: std::collections::BTreeMap<&str, TokenStream> =
        std::collections::BTreeMap::new();
    let term = |atoms: &std::collections::BTreeMap<&str, TokenStream>, v: &str, k: i64| {
        let k = Literal::i64_unsuffixed(k);
        match atoms.get(v) {
            Some(a) => quote!((#k, #a)),
            None => {
                let f = ident(v);
                quote!((#k, #rt::family::param(#params.#f)))
            }
        }
    };
    for (name, e, d) in l.atoms() {
        let terms: Vec<TokenStream> = e.coeffs.iter().map(|(v, k)| term(&atoms, v, *k)).collect();
        let c = Literal::i64_unsuffixed(e.constant);
        let d = Literal::i64_unsuffixed(d);
        atoms.insert(
            name,
            quote!(#rt::family::floor_div(#rt::family::lin_value(#c, &[#(#terms),*]), #d)),
        );
    }
    let terms: Vec<TokenStream> = l.coeffs.iter().map(|(v, k)| term(&atoms, v, *k)).collect();
    let c = Literal::i64_unsuffixed(l.constant);
    quote!(#rt::family::lin_value(#c, &[#(#terms),*]))
}

/// The types the message enum carries.
fn msg_types_of<'a>(g: &'a Gen<'_>) -> Vec<&'a str> {
    g.message_lines()
        .iter()
        .map(|(_, l)| l.ty.as_str())
        .collect()
}

impl Gen<'_> {
    /// The lines produced by a `broadcast` or `link` (one message variant
    /// each), with the first rule producing each.
    pub(super) fn message_lines(&self) -> Vec<(&Rule, &Line)> {
        let mut seen = BTreeSet::new();
        self.p
            .rules
            .iter()
            .filter(|r| r.cross != Cross::Local && seen.insert(r.target))
            .filter_map(|r| self.p.lines.get(r.target).map(|l| (r, l)))
            .collect()
    }

    /// A variant carrying a line's value (and its instance key, in a family).
    fn variant(&self, l: &Line, line: usize, doc: &str) -> TokenStream {
        let v = ident(&variant_name(&l.name));
        let t = self.line_ty(line);
        let a = l.arity();
        if a == 0 {
            quote!(#[doc = #doc] #v(#t))
        } else {
            quote!(#[doc = #doc] #v { key: [u64; #a], value: #t })
        }
    }

    /// A hidden variant that mentions every type parameter, for enums that
    /// would otherwise leave one unused.
    fn phantom(&self, used: &[&str], serde: bool) -> TokenStream {
        let missing: Vec<syn::Ident> = self
            .p
            .generics
            .iter()
            .filter(|g| {
                !used.iter().any(|t| {
                    t.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|tok| tok == g.as_str())
                })
            })
            .map(|g| ident(g))
            .collect();
        if missing.is_empty() {
            return quote!();
        }
        let skip = if serde {
            quote!(#[serde(skip)])
        } else {
            quote!()
        };
        quote!(#[doc(hidden)] #skip __Phantom(::core::convert::Infallible, ::core::marker::PhantomData<(#(#missing,)*)>),)
    }

    pub(super) fn params_type(&self) -> TokenStream {
        let rt = self.rt;
        let p = self.p;
        let pname = p.name.as_str();
        let fields: Vec<TokenStream> = p
            .params
            .iter()
            .map(|(k, n)| {
                let f = ident(n);
                match k {
                    ParamKind::Nodes => quote!(#[doc = " The number of nodes."] pub #f: usize),
                    ParamKind::Faults => {
                        quote!(#[doc = " The number of faulty nodes tolerated."] pub #f: usize)
                    }
                    ParamKind::Node => {
                        quote!(#[doc = " A distinguished node."] pub #f: #rt::NodeId)
                    }
                }
            })
            .collect();
        let checks: Vec<TokenStream> = p
            .constraints
            .iter()
            // `f >= 0` holds for any `usize`: no check.
            .filter(|(l, _)| !(l.constant >= 0 && l.coeffs.values().all(|c| *c >= 0)))
            .filter(|(l, _)| l.divs.is_empty())
            .map(|(l, text)| {
                let (c, terms) = affine_terms(l, &quote!(self));
                let text = text.trim();
                quote!((#c, &[#(#terms),*], #text))
            })
            .collect();
        // Clauses with floor division (`n / 2`), computed with checks.
        let div_checks: Vec<TokenStream> = p
            .constraints
            .iter()
            .filter(|(l, _)| !l.divs.is_empty())
            .map(|(l, text)| {
                let x = checked_value(l, &quote!(self), &quote!(#rt));
                let text = text.trim();
                quote!(#rt::family::check_clause(#pname, #text, #x)?;)
            })
            .collect();
        let nf = self.n_field();
        let node_checks: Vec<TokenStream> = p
            .params
            .iter()
            .filter(|(k, _)| *k == ParamKind::Node)
            .map(|(_, n)| {
                let f = ident(n);
                let text = format!("{n} < {}", p.nodes_param().unwrap_or("n"));
                quote!(if self.#f.index() >= self.#nf { return Err(#rt::ParamError { protocol: #pname, constraint: #text }); })
            })
            .collect();
        quote! {
            /// Protocol parameters, checked against the `where` clause by [`Node::new`].
            #[derive(Clone, Debug, PartialEq, Eq, Hash)]
            pub struct Params { #(#fields,)* }

            impl Params {
                /// Checks the resilience constraint and the node parameters.
                pub fn validate(&self) -> Result<(), #rt::ParamError> {
                    #rt::check_where(#pname, &[#(#checks),*])?;
                    #(#div_checks)*
                    #(#node_checks)*
                    Ok(())
                }
            }
        }
    }

    /// `Message`, `Input`, `Output` and the adversary.
    pub(super) fn enums(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let mut msg_variants = Vec::new();
        let mut msg_types = Vec::new();
        for (r, l) in self.message_lines() {
            msg_types.push(l.ty.as_str());
            let doc = format!(
                " `{}` (line {}).",
                r.source.lines().next().unwrap_or("").trim(),
                r.line_no
            );
            msg_variants.push(self.variant(l, r.target, &doc));
        }
        let mut in_variants = Vec::new();
        let mut out_variants = Vec::new();
        let mut in_types = Vec::new();
        let mut out_types = Vec::new();
        for (k, l) in self.p.lines.iter().enumerate() {
            let doc = format!(" Port `{}`.", l.name);
            match l.kind {
                LineKind::Input => {
                    in_types.push(l.ty.as_str());
                    in_variants.push(self.variant(l, k, &doc));
                }
                LineKind::Output => {
                    out_types.push(l.ty.as_str());
                    out_variants.push(self.variant(l, k, &doc));
                }
                _ => {}
            }
        }
        let msg_phantom = self.phantom(&msg_types, true);
        let in_phantom = self.phantom(&in_types, false);
        let out_phantom = self.phantom(&out_types, false);
        let serde_path = "rio::serde";
        let forge = self.forge_impl();
        let slotted = self.slotted_impls();
        quote! {
            /// Messages: one variant per cross-domain component, named after the line it produces.
            #[derive(Clone, Debug, PartialEq, Eq, Hash)]
            #[derive(#rt::serde::Serialize, #rt::serde::Deserialize)]
            #[serde(crate = #serde_path)]
            pub enum Message #gen { #(#msg_variants,)* #msg_phantom }

            /// Inputs from the application.
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub enum Input #gen { #(#in_variants,)* #in_phantom }

            /// Outputs to the application.
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub enum Output #gen { #(#out_variants,)* #out_phantom }

            #forge
            #slotted
        }
    }

    /// `Slotted` for `Message`, `Input` and `Output`: each value's line and key.
    fn slotted_impls(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let bounds = self.bounds();
        let arms = |enum_name: TokenStream, lines: Vec<&Line>, phantom: bool| {
            let mut arms: Vec<TokenStream> = lines
                .iter()
                .map(|l| {
                    let v = ident(&variant_name(&l.name));
                    let tag = l.name.as_str();
                    if l.arity() == 0 {
                        quote!(#enum_name::#v(_) => (#tag, &[]),)
                    } else {
                        quote!(#enum_name::#v { key, .. } => (#tag, key),)
                    }
                })
                .collect();
            if phantom {
                arms.push(quote!(#enum_name::__Phantom(never, _) => match *never {},));
            }
            arms
        };
        let msg_lines: Vec<&Line> = self.message_lines().into_iter().map(|(_, l)| l).collect();
        let msg_types: Vec<&str> = msg_lines.iter().map(|l| l.ty.as_str()).collect();
        let out_lines: Vec<&Line> = self
            .p
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Output)
            .collect();
        let out_types: Vec<&str> = out_lines.iter().map(|l| l.ty.as_str()).collect();
        let in_lines: Vec<&Line> = self
            .p
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Input)
            .collect();
        let in_types: Vec<&str> = in_lines.iter().map(|l| l.ty.as_str()).collect();
        let msg_phantom = !self.phantom(&msg_types, true).is_empty();
        let out_phantom = !self.phantom(&out_types, false).is_empty();
        let in_phantom = !self.phantom(&in_types, false).is_empty();
        let msg_arms = arms(quote!(Message), msg_lines, msg_phantom);
        let out_arms = arms(quote!(Output), out_lines, out_phantom);
        let in_arms = arms(quote!(Input), in_lines, in_phantom);
        let body = |arms: Vec<TokenStream>| {
            if arms.is_empty() {
                quote!(match *self {})
            } else {
                quote!(match self { #(#arms)* })
            }
        };
        let (mb, ob, ib) = (body(msg_arms), body(out_arms), body(in_arms));
        quote! {
            impl #bounds #rt::Slotted for Input #gen {
                fn slot(&self) -> (&'static str, &[u64]) { #ib }
            }
            impl #bounds #rt::Slotted for Message #gen {
                fn slot(&self) -> (&'static str, &[u64]) { #mb }
            }
            impl #bounds #rt::Slotted for Output #gen {
                fn slot(&self) -> (&'static str, &[u64]) { #ob }
            }
        }
    }

    /// The `Node` methods that give an input's and an output's value as
    /// structured JSON for traces: through `Serialize` where the line's type
    /// has it (decided where the type is known), `None` otherwise.
    pub(super) fn value_json_fns(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let fns = |kind: LineKind, enum_name: TokenStream, method: TokenStream| {
            let lines: Vec<&Line> = self.p.lines.iter().filter(|l| l.kind == kind).collect();
            let types: Vec<&str> = lines.iter().map(|l| l.ty.as_str()).collect();
            if lines.is_empty() {
                return quote! {
                    fn #method(x: &#enum_name #gen) -> ::core::option::Option<#rt::trace::JsonValue> {
                        match *x {}
                    }
                };
            }
            // A probe per arm: each arm's value has its own type.
            let probes: Vec<TokenStream> = lines
                .iter()
                .map(|l| {
                    let v = ident(&variant_name(&l.name));
                    let pat = if l.arity() == 0 {
                        quote!(#enum_name::#v(value))
                    } else {
                        quote!(#enum_name::#v { value, .. })
                    };
                    quote! {
                        #pat => {
                            use #rt::trace::json::{ViaNothing as _, ViaSerde as _};
                            (&#rt::trace::json::Probe(value)).rio_json()
                        }
                    }
                })
                .collect();
            let phantom = if self.phantom(&types, false).is_empty() {
                quote!()
            } else {
                quote!(#enum_name::__Phantom(never, _) => match *never {},)
            };
            quote! {
                fn #method(x: &#enum_name #gen) -> ::core::option::Option<#rt::trace::JsonValue> {
                    match x {
                        #(#probes)*
                        #phantom
                    }
                }
            }
        };
        let i = fns(LineKind::Input, quote!(Input), quote!(input_value));
        let o = fns(LineKind::Output, quote!(Output), quote!(output_value));
        quote!(#i #o)
    }

    /// `ForgeMessage` for the message enum: the adversary, derived from the
    /// message types.
    fn forge_impl(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let bounds =
            self.bounds_with(quote!(+ #rt::Forge + ::core::fmt::Debug + ::core::cmp::PartialEq));
        let mut any_arms = Vec::new();
        let mut like_arms = Vec::new();
        let mut twin_arms = Vec::new();
        for (_, l) in self.message_lines() {
            let v = ident(&variant_name(&l.name));
            if l.arity() == 0 {
                any_arms.push(quote!(Message::#v(#rt::Forge::forge(rng))));
                like_arms.push(quote!(Message::#v(_) => Message::#v(#rt::Forge::forge(rng)),));
                twin_arms.push(quote!(Message::#v(value) => Message::#v(twin.alt(value)),));
            } else {
                any_arms.push(quote!(Message::#v { key: #rt::Forge::forge(rng), value: #rt::Forge::forge(rng) }));
                like_arms.push(quote!(Message::#v { key, .. } => Message::#v { key: *key, value: #rt::Forge::forge(rng) },));
                twin_arms.push(quote!(Message::#v { key, value } => Message::#v { key: *key, value: twin.alt(value) },));
            }
        }
        let count = any_arms.len();
        let Some(last) = any_arms.pop() else {
            return quote! {
                impl #bounds #rt::ForgeMessage for Message #gen {
                    fn forge_any(_rng: &mut #rt::forge::Rng) -> Option<Self> {
                        None
                    }
                    fn forge_like(&self, _rng: &mut #rt::forge::Rng) -> Self {
                        self.clone()
                    }
                }
            };
        };
        let idx: Vec<Literal> = (0..any_arms.len()).map(Literal::usize_unsuffixed).collect();
        let count = Literal::usize_unsuffixed(count);
        let phantom_arm = if self.phantom(&msg_types_of(self), true).is_empty() {
            quote!()
        } else {
            quote!(Message::__Phantom(never, _) => match *never {},)
        };
        quote! {
            impl #bounds #rt::ForgeMessage for Message #gen {
                fn forge_any(rng: &mut #rt::forge::Rng) -> Option<Self> {
                    Some(match #rt::rand::Rng::gen_range(rng, 0..#count) {
                        #(#idx => #any_arms,)*
                        _ => #last,
                    })
                }
                fn forge_like(&self, rng: &mut #rt::forge::Rng) -> Self {
                    match self {
                        #(#like_arms)*
                        #phantom_arm
                    }
                }
                fn forge_twin(&self, twin: &#rt::forge::Twin, _rng: &mut #rt::forge::Rng) -> Self {
                    match self {
                        #(#twin_arms)*
                        #phantom_arm
                    }
                }
            }
        }
    }
}
