//! Rust code generation: one module per protocol with a node state machine
//! implementing the runtime's sans-I/O `Node` trait.
//!
//! Projection happens here. Every node runs the same rules; a rule runs at a
//! node when its execution domain is that node (`for i in nodes` binds `i`
//! to the node itself; `at s` runs only at `s`; `leader(e)` only at node
//! `e mod n`). At a node, a line family is stored by instance key (its number
//! indices: heights, rounds, slots): a line whose elements at this node are
//! one value is an `Option<T>` slot; one whose elements form a bundle over
//! senders (`echo[*][i]`) is a `QuorumTracker<T>`. Lines with the same number
//! of number indices share one instance (`rio_runtime::Instance`) per key,
//! kept in a `rio_runtime::Family` that frees it once every rule of it that
//! runs at this node has fired. Cross-domain rules (`broadcast`, `link`)
//! become message variants named after the line they produce.
//!
//! The generated code is declarations and rule bodies; the mechanics
//! (families and their garbage collection, bit sets of tasks, the wake
//! queue, timer keys, checked key arithmetic) live in the runtime.
//!
//! Layout: [`plan`] decides (stores, tasks, readers, what is unsupported),
//! [`names`] names, [`expr`] expressions, [`types`] the public types,
//! [`node`] the node's state and writers, [`rules`] its rules and step
//! loop, [`handlers`] its event handlers.

mod expr;
mod handlers;
pub mod names;
mod node;
mod plan;
mod rules;
mod signing;
mod types;

use crate::ir::{Protocol, Rule};
use names::{field_name, ident, Unique};
pub use names::{module_name, variant_name};
use plan::{bug, Plan};
use proc_macro2::TokenStream;
use quote::quote;
use rio_lang::arith::Lin;
use rio_lang::diagnostic::Diagnostic;
use std::cell::RefCell;
use std::collections::BTreeMap;

pub(crate) struct Gen<'a> {
    p: &'a Protocol,
    /// The runtime as generated code names it: the alias `rio`.
    rt: &'a syn::Path,
    /// The runtime's real path (`::rio_runtime`), aliased once as `rio`.
    real_rt: &'a syn::Path,
    plan: Plan,
    errors: RefCell<Vec<Diagnostic>>,
    /// Method-name stem of each rule (`echo`, `start`, `start_2`).
    rule_names: Vec<String>,
    /// Field holding each timer's state, in its instance's lines.
    timer_names: Vec<String>,
    /// Thresholds computed once from the parameters, by expression.
    thresholds: BTreeMap<Lin, String>,
}

/// Generates the module of one protocol, or the diagnostics saying why not.
pub fn generate(p: &Protocol, rt: &syn::Path) -> Result<TokenStream, Vec<Diagnostic>> {
    // A line's first producer, or its declaration (an input's port).
    let span_of_line = |k: usize| {
        p.rules
            .iter()
            .find(|r| r.target == k)
            .map(|r| r.span)
            .or_else(|| p.lines.get(k).map(|l| l.span))
            .unwrap_or_default()
    };
    let mut diags = names::check(p, &span_of_line);
    let plan = match Plan::new(p) {
        Ok(plan) => plan,
        Err(d) => {
            diags.extend(d);
            return Err(diags);
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut methods = Unique::default();
    let rule_names = p
        .rules
        .iter()
        .map(|r| {
            methods.take(&field_name(
                p.lines.get(r.target).map_or("rule", |l| l.name.as_str()),
            ))
        })
        .collect();
    let mut fields = Unique::default();
    for l in &p.lines {
        fields.reserve(&field_name(&l.name));
    }
    let timer_names = plan
        .timers
        .iter()
        .map(|t| {
            let target = p
                .rules
                .get(t.rule)
                .and_then(|r| p.lines.get(r.target))
                .map_or("timer", |l| l.name.as_str());
            fields.take(&format!("timer_{}", field_name(target)))
        })
        .collect();
    let mut thresholds = BTreeMap::new();
    let mut names = Unique::default();
    for r in &p.rules {
        plan::walk(&r.value, &mut |e| {
            if let crate::ir::Ex::Quorum { k, .. }
            | crate::ir::Ex::Collect { k, .. }
            | crate::ir::Ex::Cert { k, .. } = e
            {
                if params_only(p, k) && !thresholds.contains_key(k) {
                    let target = p.lines.get(r.target).map_or("quorum", |l| l.name.as_str());
                    thresholds.insert(k.clone(), names.take(&field_name(target)));
                }
            }
            // A collection over a number dimension: its index bounds.
            if let crate::ir::Ex::Collect { votes, .. } = e {
                for b in plan.family_bounds(p, votes).unwrap_or_default() {
                    if params_only(p, &b) && !thresholds.contains_key(&b) {
                        let target = p.lines.get(r.target).map_or("indices", |l| l.name.as_str());
                        thresholds
                            .insert(b, names.take(&format!("{}_indices", field_name(target))));
                    }
                }
            }
        });
    }
    let alias: syn::Path = syn::parse_quote!(rio);
    let g = Gen {
        p,
        rt: &alias,
        real_rt: rt,
        plan,
        errors: RefCell::new(Vec::new()),
        rule_names,
        timer_names,
        thresholds,
    };
    let tokens = g.module();
    let errors = g.errors.into_inner();
    if errors.is_empty() {
        Ok(tokens)
    } else {
        Err(errors)
    }
}

/// Whether `l` mentions only `nodes`/`faults` parameters.
pub(super) fn params_only(p: &Protocol, l: &Lin) -> bool {
    l.free_vars().iter().all(|v| {
        p.params.iter().any(|(k, n)| {
            n == v
                && matches!(
                    k,
                    rio_lang::ast::ParamKind::Nodes | rio_lang::ast::ParamKind::Faults
                )
        })
    })
}

impl Gen<'_> {
    fn report(&self, d: Diagnostic) {
        self.errors.borrow_mut().push(d);
    }

    fn ty(&self, text: &str, r: &Rule) -> TokenStream {
        match syn::parse_str::<syn::Type>(text) {
            Ok(t) => quote!(#t),
            Err(_) => {
                self.report(bug(
                    r.span,
                    &format!("the checked type `{text}` does not parse"),
                ));
                quote!(())
            }
        }
    }

    /// A line's type (lines without a rule report at the protocol).
    fn line_ty(&self, line: usize) -> TokenStream {
        let text = self.p.lines.get(line).map_or("()", |l| l.ty.as_str());
        match syn::parse_str::<syn::Type>(text) {
            Ok(t) => quote!(#t),
            Err(_) => {
                self.report(bug(
                    rio_lang::ast::Span::default(),
                    &format!("the checked type `{text}` does not parse"),
                ));
                quote!(())
            }
        }
    }

    /// A `usize` computed from the parameters at construction (`params` in
    /// scope; `?` on a `ParamError` naming `what` when out of range).
    fn param_value(&self, lin: &Lin, what: &str) -> TokenStream {
        let rt = self.rt;
        let pname = self.p.name.as_str();
        if lin.divs.is_empty() {
            let (c, terms) = types::affine_terms(lin, &quote!(params));
            quote!(#rt::threshold_of(#pname, #what, #c, &[#(#terms),*])?)
        } else {
            let x = types::checked_value(lin, &quote!(params), &quote!(#rt));
            quote!(#rt::family::threshold_value(#pname, #what, #x)?)
        }
    }

    fn n_field(&self) -> syn::Ident {
        ident(self.p.nodes_param().unwrap_or("n"))
    }

    fn timer_field(&self, id: usize) -> syn::Ident {
        ident(self.timer_names.get(id).map_or("timer", |s| s.as_str()))
    }

    fn threshold_field(&self, k: &Lin) -> Option<syn::Ident> {
        self.thresholds.get(k).map(|s| ident(s))
    }

    fn generics(&self) -> TokenStream {
        let gs: Vec<syn::Ident> = self.p.generics.iter().map(|g| ident(g)).collect();
        if gs.is_empty() {
            quote!()
        } else {
            quote!(<#(#gs),*>)
        }
    }

    fn bounds(&self) -> TokenStream {
        self.bounds_with(quote!())
    }

    /// `<T: rio::Value + extra, ..>`.
    fn bounds_with(&self, extra: TokenStream) -> TokenStream {
        let rt = self.rt;
        let gs: Vec<syn::Ident> = self.p.generics.iter().map(|g| ident(g)).collect();
        if gs.is_empty() {
            quote!()
        } else {
            quote!(<#(#gs: #rt::Value #extra),*>)
        }
    }

    /// The module's `Effects<T>` alias of `rio::Effects<Message<T>, Output<T>>`.
    fn effects(&self) -> TokenStream {
        let gen = self.generics();
        quote!(Effects #gen)
    }
}
