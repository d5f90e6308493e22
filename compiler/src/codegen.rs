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
//! of number dimensions share one instance struct per key; an instance is
//! freed once every rule of it that runs at this node has fired, and later
//! messages for it are ignored, so memory stays bounded when a protocol runs
//! forever. Cross-domain rules (`broadcast`, `link`) become message variants
//! named after the line they produce.

use crate::ir::{Cross, Ex, Protocol, Rule};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use rio_lang::arith::Lin;
use rio_lang::ast::ParamKind;
use rio_lang::diagnostic::{Code, Diagnostic};
use rio_lang::graph::{DimKind, Idx, IdxPat, LineDomain, LineKind, NodeTerm};
use std::collections::BTreeSet;

/// How a line is stored at one node.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Store {
    /// One value per instance key.
    Scalar,
    /// One value per sender per instance key; the sender is dimension `dim`.
    Tracker { dim: usize },
}

struct Gen<'a> {
    p: &'a Protocol,
    rt: &'a syn::Path,
    stores: Vec<Store>,
    errors: Vec<Diagnostic>,
    max_arity: usize,
}

fn unsupported(what: String) -> Diagnostic {
    Diagnostic::new(
        Code::Unsupported,
        rio_lang::ast::Span::default(),
        format!("code generation does not support {what} yet"),
    )
    .label("not supported by code generation")
    .help("the checker accepts it; rewrite it with the supported subset (see spec/codegen.md)")
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

fn ty(text: &str) -> TokenStream {
    syn::parse_str::<syn::Type>(text).map_or_else(|e| e.to_compile_error(), |t| quote!(#t))
}

fn ident(s: &str) -> syn::Ident {
    syn::Ident::new(s, Span::call_site())
}

/// Generates the module of one protocol.
pub fn generate(p: &Protocol, rt: &syn::Path) -> Result<TokenStream, Vec<Diagnostic>> {
    let mut g = Gen {
        p,
        rt,
        stores: Vec::new(),
        errors: Vec::new(),
        max_arity: p.lines.iter().map(|l| l.arity()).max().unwrap_or(0),
    };
    g.classify();
    for r in &p.rules {
        g.check_rule(r);
    }
    if !g.errors.is_empty() {
        return Err(g.errors);
    }
    Ok(g.module())
}

impl Gen<'_> {
    fn classify(&mut self) {
        for l in &self.p.lines {
            let domain_dim = match l.domain {
                LineDomain::Dim(d) => Some(d),
                _ => None,
            };
            let others: Vec<usize> = l
                .dims
                .iter()
                .enumerate()
                .filter(|(k, d)| **d == DimKind::Node && Some(*k) != domain_dim)
                .map(|(k, _)| k)
                .collect();
            let store = match others.as_slice() {
                [] => Store::Scalar,
                [d] => Store::Tracker { dim: *d },
                _ => {
                    self.errors.push(unsupported(format!(
                        "line `{}` with more than one sender dimension",
                        l.name
                    )));
                    Store::Scalar
                }
            };
            if l.kind == LineKind::Input && store != Store::Scalar {
                self.errors.push(unsupported(format!(
                    "input `{}` bundled over senders",
                    l.name
                )));
            }
            self.stores.push(store);
        }
    }

    fn check_rule(&mut self, r: &Rule) {
        if let (NodeTerm::Leader(_), true) = (
            &r.exec,
            r.pattern
                .iter()
                .any(|p| matches!(p, IdxPat::Const(_) | IdxPat::Var { offset: 1.., .. })),
        ) {
            self.errors.push(unsupported(format!(
                "a leader-run statement with shifted indices (line {})",
                r.line_no
            )));
        }
        self.check_ex(&r.value, r);
    }

    fn check_ex(&mut self, e: &Ex, r: &Rule) {
        match e {
            Ex::Ref { idx, line } => {
                for i in idx {
                    if let Idx::Num(l) = i {
                        if l.constant != 0 || l.coeffs.len() != 1 {
                            self.errors.push(unsupported(format!(
                                "reading another instance (`{}[.. {l} ..]`, line {}): instances are freed once done",
                                self.p.lines.get(*line).map_or("", |l| l.name.as_str()),
                                r.line_no
                            )));
                        }
                    }
                }
            }
            Ex::Fn { args, .. } => args.iter().for_each(|a| self.check_ex(a, r)),
            Ex::Select { options } => options.iter().for_each(|a| self.check_ex(a, r)),
            Ex::Quorum { votes: a, .. } | Ex::Some(a) | Ex::Timer { arg: a, .. } => {
                self.check_ex(a, r)
            }
            Ex::SelectFamily { .. } | Ex::Const { .. } => {}
            Ex::Sync(a, b) | Ex::Pair(a, b) => {
                self.check_ex(a, r);
                self.check_ex(b, r);
            }
        }
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

    /// `<T: Clone + Eq + Hash + Debug + Serialize + DeserializeOwned + extra, ..>`.
    fn bounds_with(&self, extra: TokenStream) -> TokenStream {
        let rt = self.rt;
        let gs: Vec<syn::Ident> = self.p.generics.iter().map(|g| ident(g)).collect();
        if gs.is_empty() {
            quote!()
        } else {
            quote!(<#(#gs: ::core::clone::Clone + ::core::cmp::Eq + ::core::hash::Hash + ::core::fmt::Debug
                + #rt::serde::Serialize + #rt::serde::de::DeserializeOwned #extra),*>)
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
                !used
                    .iter()
                    .any(|t| t.split(' ').any(|tok| tok == g.as_str()))
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

    /// `ForgeMessage` for the message enum: the adversary, derived from the
    /// message types.
    fn forge_impl(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let bounds = self.bounds_with(quote!(+ #rt::Forge));
        let mut any_arms = Vec::new();
        let mut like_arms = Vec::new();
        for (_, l) in self.message_lines() {
            let v = ident(&variant_name(&l.name));
            let k = any_arms.len();
            let _ = k;
            if l.arity() == 0 {
                any_arms.push(quote!(Message::#v(#rt::Forge::forge(rng))));
                like_arms.push(quote!(Message::#v(_) => Message::#v(#rt::Forge::forge(rng)),));
            } else {
                any_arms.push(quote!(Message::#v { key: #rt::Forge::forge(rng), value: #rt::Forge::forge(rng) }));
                like_arms.push(quote!(Message::#v { key, .. } => Message::#v { key: *key, value: #rt::Forge::forge(rng) },));
            }
        }
        let count = any_arms.len();
        if count == 0 {
            return quote! {
                impl #bounds #rt::ForgeMessage for Message #gen {
                    fn forge_any(_rng: &mut #rt::forge::Rng) -> ::core::option::Option<Self> {
                        ::core::option::Option::None
                    }
                    fn forge_like(&self, _rng: &mut #rt::forge::Rng) -> Self {
                        ::core::clone::Clone::clone(self)
                    }
                }
            };
        }
        let last = any_arms.pop();
        let idx: Vec<usize> = (0..any_arms.len()).collect();
        quote! {
            impl #bounds #rt::ForgeMessage for Message #gen {
                fn forge_any(rng: &mut #rt::forge::Rng) -> ::core::option::Option<Self> {
                    ::core::option::Option::Some(match #rt::rand::Rng::gen_range(rng, 0..#count) {
                        #(#idx => #any_arms,)*
                        _ => #last,
                    })
                }
                fn forge_like(&self, rng: &mut #rt::forge::Rng) -> Self {
                    #[allow(unreachable_patterns)]
                    match self {
                        #(#like_arms)*
                        other => other.clone(),
                    }
                }
            }
        }
    }

    /// The lines produced by a `broadcast` or `link` (one message variant
    /// each), with the first rule producing each.
    fn message_lines(&self) -> Vec<(&Rule, &crate::ir::Line)> {
        let mut seen = BTreeSet::new();
        self.p
            .rules
            .iter()
            .filter(|r| r.cross != Cross::Local && seen.insert(r.target))
            .filter_map(|r| self.p.lines.get(r.target).map(|l| (r, l)))
            .collect()
    }

    fn key_ty(arity: usize) -> TokenStream {
        quote!([u64; #arity])
    }

    fn lin(&self, l: &Lin) -> TokenStream {
        self.lin_with(l, &quote!(self.params))
    }

    /// Linear arithmetic as `i64` code; parameters are read from `params`.
    fn lin_with(&self, l: &Lin, params: &TokenStream) -> TokenStream {
        let mut terms = vec![];
        let c = l.constant;
        terms.push(quote!(#c));
        for (v, k) in &l.coeffs {
            let var = match self.p.params.iter().find(|(_, n)| n == v) {
                Some((ParamKind::Nodes | ParamKind::Faults, _)) => {
                    let f = ident(v);
                    quote!((#params.#f as i64))
                }
                _ => {
                    let f = format_ident!("v_{}", v);
                    quote!((#f as i64))
                }
            };
            terms.push(quote!(#k * #var));
        }
        quote!((#(#terms)+*))
    }

    fn node(&self, t: &NodeTerm) -> TokenStream {
        let rt = self.rt;
        match t {
            NodeTerm::Param(p) => {
                let f = ident(p);
                quote!(self.params.#f)
            }
            NodeTerm::Var(_) => quote!(self.me),
            NodeTerm::Leader(l) => {
                let lin = self.lin(l);
                let n = self.n_field();
                quote!(#rt::NodeId(u32::try_from((#lin).rem_euclid(self.params.#n as i64)).unwrap_or(0)))
            }
        }
    }

    fn n_field(&self) -> syn::Ident {
        ident(self.p.nodes_param().unwrap_or("n"))
    }

    /// Whether rule `r` runs at this node (with its key bound).
    fn runs_here(&self, r: &Rule) -> TokenStream {
        match &r.exec {
            NodeTerm::Var(_) => quote!(true),
            t => {
                let n = self.node(t);
                quote!(self.me == #n)
            }
        }
    }

    /// Binds the rule's number loop variables from `key`.
    fn bind_key(&self, r: &Rule) -> TokenStream {
        let vars: Vec<syn::Ident> = r
            .key_vars()
            .iter()
            .map(|v| format_ident!("v_{}", v))
            .collect();
        if vars.is_empty() {
            quote!(let _ = key;)
        } else {
            quote!(#[allow(unused_variables)] let [#(#vars),*] = key;)
        }
    }

    fn rules_of(&self, arity: usize) -> Vec<(usize, &Rule)> {
        self.p
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.key_vars().len() == arity)
            .collect()
    }

    fn bit(&self, rule: usize) -> u64 {
        let r = self.p.rules.get(rule);
        let arity = r.map_or(0, |r| r.key_vars().len());
        let pos = self
            .rules_of(arity)
            .iter()
            .position(|(k, _)| *k == rule)
            .unwrap_or(0);
        1u64 << pos
    }

    fn inst_ref(arity: usize, key: TokenStream) -> TokenStream {
        if arity == 0 {
            quote!(::core::option::Option::Some(&self.g0))
        } else {
            let g = format_ident!("g{}", arity);
            quote!(self.#g.get(&#key))
        }
    }

    /// Code computing `Option<[u64; k]>`: the number key of a reference.
    fn ref_key(&self, line: usize, idx: &[Idx]) -> TokenStream {
        let Some(l) = self.p.lines.get(line) else {
            return quote!(None);
        };
        let mut parts = Vec::new();
        for (k, d) in l.dims.iter().enumerate() {
            if *d != DimKind::Number {
                continue;
            }
            match idx.get(k) {
                Some(Idx::Num(lin)) => {
                    let c = self.lin(lin);
                    parts.push(quote!(u64::try_from(#c).ok()?));
                }
                _ => parts.push(quote!(return None)),
            }
        }
        let la = l.arity();
        quote!((|| -> ::core::option::Option<[u64; #la]> { ::core::option::Option::Some([#(#parts),*]) })())
    }

    fn ex(&self, e: &Ex, point: &str, arity: usize) -> TokenStream {
        match e {
            Ex::Ref { line, idx } => {
                let l = self.p.lines.get(*line);
                let la = l.map_or(0, |l| l.arity());
                let f = ident(&field_name(l.map_or("", |l| l.name.as_str())));
                let key = self.ref_key(*line, idx);
                let inst = Self::inst_ref(la, quote!(key));
                // The always-live instance needs no key: straight-line code.
                match (self.stores.get(*line), la) {
                    (Some(Store::Tracker { dim }), _) => match idx.get(*dim) {
                        Some(Idx::Node(t)) if la == 0 => {
                            let node = self.node(t);
                            quote!(self.g0.#f.get(#node).cloned())
                        }
                        Some(Idx::Node(t)) => {
                            let node = self.node(t);
                            quote!(#key.and_then(|key| #inst).and_then(|i| i.#f.get(#node).cloned()))
                        }
                        _ => quote!(::core::option::Option::None),
                    },
                    (_, 0) => quote!(self.g0.#f.clone()),
                    _ => quote!(#key.and_then(|key| #inst).and_then(|i| i.#f.clone())),
                }
            }
            Ex::Const { ty: t, code } => {
                let t = ty(t);
                let code = syn::parse_str::<syn::Expr>(code)
                    .map_or_else(|e| e.to_compile_error(), |c| quote!(#c));
                quote!(::core::option::Option::Some::<#t>(#code))
            }
            Ex::Fn { name, args } => {
                let f = ident(name);
                if args.is_empty() {
                    return quote!(::core::option::Option::Some(#f()));
                }
                let vals: Vec<TokenStream> =
                    args.iter().map(|a| self.ex(a, point, arity)).collect();
                let names: Vec<syn::Ident> =
                    (0..args.len()).map(|k| format_ident!("a{}", k)).collect();
                quote!(match (#(#vals,)*) {
                    (#(::core::option::Option::Some(#names),)*) => ::core::option::Option::Some(#f(#(#names),*)),
                    _ => ::core::option::Option::None,
                })
            }
            Ex::Quorum { k, votes } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    return quote!(::core::option::Option::None);
                };
                let l = self.p.lines.get(*line);
                let la = l.map_or(0, |l| l.arity());
                let f = ident(&field_name(l.map_or("", |l| l.name.as_str())));
                let key = self.ref_key(*line, idx);
                let inst = Self::inst_ref(la, quote!(key));
                let k = self.lin(k);
                if la == 0 {
                    return quote!(usize::try_from(#k).ok().and_then(|k| self.g0.#f.reached(k).cloned()));
                }
                quote!(#key.and_then(|key| #inst).and_then(|i| usize::try_from(#k).ok().and_then(|k| i.#f.reached(k).cloned())))
            }
            Ex::SelectFamily { of } => {
                let Ex::Ref { line, idx } = of.as_ref() else {
                    return quote!(::core::option::Option::None);
                };
                let Some(l) = self.p.lines.get(*line) else {
                    return quote!(None);
                };
                let g = format_ident!("g{}", l.arity());
                let f = ident(&field_name(&l.name));
                let mut conds = Vec::new();
                let mut pos = 0usize;
                for (k, d) in l.dims.iter().enumerate() {
                    if *d != DimKind::Number {
                        continue;
                    }
                    if let Some(Idx::Num(lin)) = idx.get(k) {
                        let c = self.lin(lin);
                        conds.push(quote!(i64::try_from(key[#pos]).ok() == ::core::option::Option::Some(#c)));
                    }
                    pos += 1;
                }
                quote!(self.#g.iter().filter(|(key, _)| true #(&& #conds)*).find_map(|(_, i)| i.#f.clone()))
            }
            Ex::Select { options } => {
                let vals: Vec<TokenStream> =
                    options.iter().map(|o| self.ex(o, point, arity)).collect();
                let names: Vec<syn::Ident> = (0..options.len())
                    .map(|k| format_ident!("o{}", k))
                    .collect();
                let idxs: Vec<usize> = (0..options.len()).collect();
                quote!({
                    #(let #names = #vals;)*
                    if true #(&& #names.is_none())* {
                        ::core::option::Option::None
                    } else {
                        match out.choose(self.me, #point, &[#(#names.is_some()),*]) {
                            #(#idxs => #names,)*
                            _ => ::core::option::Option::None,
                        }
                    }
                })
            }
            Ex::Sync(a, b) => {
                let (a, b) = (self.ex(a, point, arity), self.ex(b, point, arity));
                quote!(match (#a, #b) { (::core::option::Option::Some(a), ::core::option::Option::Some(_)) => ::core::option::Option::Some(a), _ => ::core::option::Option::None })
            }
            Ex::Pair(a, b) => {
                let (a, b) = (self.ex(a, point, arity), self.ex(b, point, arity));
                quote!(match (#a, #b) { (::core::option::Option::Some(a), ::core::option::Option::Some(b)) => ::core::option::Option::Some((a, b)), _ => ::core::option::Option::None })
            }
            Ex::Some(a) => {
                let a = self.ex(a, point, arity);
                quote!((#a).flatten())
            }
            Ex::Timer { id, arg, delay, .. } => {
                let t = format_ident!("t{}", id);
                let inst = Self::inst_ref(arity, quote!(key));
                let fired = quote!(#inst.is_some_and(|i| i.#t == 2));
                if *delay {
                    let a = self.ex(arg, point, arity);
                    quote!(if #fired { #a } else { ::core::option::Option::None })
                } else {
                    quote!(if #fired { ::core::option::Option::Some(()) } else { ::core::option::Option::None })
                }
            }
        }
    }

    /// The target key and writer call of a local rule.
    fn target_key(&self, r: &Rule) -> TokenStream {
        let Some(l) = self.p.lines.get(r.target) else {
            return quote!([]);
        };
        let mut parts = Vec::new();
        for (k, d) in l.dims.iter().enumerate() {
            if *d != DimKind::Number {
                continue;
            }
            match r.pattern.get(k) {
                Some(IdxPat::Var { name, offset }) => {
                    let v = format_ident!("v_{}", name);
                    parts.push(quote!(#v.wrapping_add_signed(#offset)));
                }
                Some(IdxPat::Const(c)) => parts.push(quote!(#c)),
                None => parts.push(quote!(0u64)),
            }
        }
        quote!([#(#parts),*])
    }

    fn rule_fn(&self, k: usize, r: &Rule) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let name = format_ident!("rule_{}", k);
        let arity = r.key_vars().len();
        let key_ty = Self::key_ty(arity);
        let runs = self.runs_here(r);
        let bind = self.bind_key(r);
        let bit = self.bit(k);
        let target = self.p.lines.get(r.target);
        let tname = target.map_or("", |l| l.name.as_str());
        let value = self.ex(&r.value, tname, arity);
        let inst = Self::inst_ref(arity, quote!(key));
        let not_live = if arity == 0 {
            quote!(self.g0.fired & #bit != 0)
        } else {
            quote!(#inst.is_none_or(|i| i.fired & #bit != 0))
        };
        let inst_mut = if arity == 0 {
            quote!(::core::option::Option::Some(&mut self.g0))
        } else {
            let g = format_ident!("g{}", arity);
            quote!(self.#g.get_mut(&key))
        };
        let doc = format!(
            " `{}` (line {})",
            r.source.lines().next().unwrap_or("").trim(),
            r.line_no
        );
        let variant = ident(&variant_name(tname));
        let tkey = self.target_key(r);
        let tarity = target.map_or(0, |l| l.arity());
        let msg = if tarity == 0 {
            quote!(Message::#variant(value))
        } else {
            quote!(Message::#variant { key: #tkey, value })
        };
        let effect = match &r.cross {
            Cross::Local => {
                let w = format_ident!("write_{}", field_name(tname));
                quote!(self.#w(#tkey, value, self.me, out);)
            }
            Cross::Broadcast => quote!(out.send(#rt::Dest::All, #msg);),
            Cross::Link(to) => {
                let to = self.node(to);
                quote!(out.send(#rt::Dest::One(#to), #msg);)
            }
        };
        quote! {
            #[doc = #doc]
            #[allow(unused_variables, clippy::all)]
            #[inline]
            fn #name(&mut self, key: #key_ty, out: &mut #rt::Effects<Message #gen, Output #gen>) -> bool {
                #bind
                if !(#runs) || #not_live {
                    return false;
                }
                let value = #value;
                let ::core::option::Option::Some(value) = value else { return false };
                if let ::core::option::Option::Some(i) = #inst_mut {
                    i.fired |= #bit;
                }
                #effect
                true
            }
        }
    }

    fn module(&mut self) -> TokenStream {
        let rt = self.rt;
        let p = self.p;
        let gen = self.generics();
        let bounds = self.bounds();
        let modname = ident(&module_name(&p.name));
        let pname = p.name.as_str();

        // Params.
        let param_fields: Vec<TokenStream> = p
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
            .map(|(l, text)| {
                let c = self.lin_with(l, &quote!(self));
                quote!(if #c < 0 { return ::core::result::Result::Err(#rt::ParamError { protocol: #pname, constraint: #text }); })
            })
            .collect();
        let nf = self.n_field();
        let node_checks: Vec<TokenStream> = p
            .params
            .iter()
            .filter(|(k, _)| *k == ParamKind::Node)
            .map(|(_, n)| {
                let f = ident(n);
                let text = format!("{n} < {}", self.p.nodes_param().unwrap_or("n"));
                quote!(if self.#f.index() >= self.#nf { return ::core::result::Result::Err(#rt::ParamError { protocol: #pname, constraint: #text }); })
            })
            .collect();

        // Instance structs.
        let mut inst_structs = Vec::new();
        let mut node_fields = Vec::new();
        let mut node_init = Vec::new();
        for arity in 0..=self.max_arity {
            let sname = format_ident!("Inst{}", arity);
            let mut fields = Vec::new();
            let mut inits = Vec::new();
            for (k, l) in p.lines.iter().enumerate() {
                if l.arity() != arity {
                    continue;
                }
                let f = ident(&field_name(&l.name));
                let t = ty(&l.ty);
                let doc = format!(" Line `{}`.", l.name);
                match self.stores.get(k) {
                    Some(Store::Tracker { .. }) => {
                        fields.push(quote!(#[doc = #doc] #f: #rt::QuorumTracker<#t>));
                        inits.push(quote!(#f: #rt::QuorumTracker::new(n)));
                    }
                    _ => {
                        fields.push(quote!(#[doc = #doc] #f: ::core::option::Option<#t>));
                        inits.push(quote!(#f: ::core::option::Option::None));
                    }
                }
            }
            for (_, r) in self.rules_of(arity) {
                collect_timers(&r.value, &mut |id| {
                    let t = format_ident!("t{}", id);
                    fields.push(quote!(#t: u8));
                    inits.push(quote!(#t: 0));
                });
            }
            let doc = if arity == 0 {
                " The lines of the protocol outside number families.".to_string()
            } else {
                format!(" The lines of one instance of the families with {arity} number indices.")
            };
            inst_structs.push(quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                struct #sname #gen {
                    /// Which rules of this instance have fired (bit per rule).
                    fired: u64,
                    #(#fields,)*
                }
                impl #bounds #sname #gen {
                    #[allow(unused_variables)]
                    fn new(n: usize) -> Self {
                        #sname { fired: 0, #(#inits,)* }
                    }
                }
            });
            let g = format_ident!("g{}", arity);
            if arity == 0 {
                node_fields.push(quote!(g0: Inst0 #gen));
                node_init.push(quote!(g0: Inst0::new(n)));
            } else {
                let done = format_ident!("done{}", arity);
                let low = format_ident!("low{}", arity);
                let keys = format_ident!("keys{}", arity);
                let key_ty = Self::key_ty(arity);
                node_fields.push(quote!(#g: ::std::collections::BTreeMap<#key_ty, #sname #gen>));
                node_fields.push(quote!(#done: ::std::collections::BTreeSet<#key_ty>));
                node_fields.push(quote!(#low: u64));
                node_fields.push(quote!(#keys: ::std::vec::Vec<#key_ty>));
                node_init.push(quote!(#g: ::std::collections::BTreeMap::new()));
                node_init.push(quote!(#done: ::std::collections::BTreeSet::new()));
                node_init.push(quote!(#low: 0));
                node_init.push(quote!(#keys: ::std::vec::Vec::new()));
            }
        }

        // Messages, inputs, outputs.
        let pre_readers = readers(p);
        let mut msg_variants = Vec::new();
        let mut msg_arms = Vec::new();
        let mut msg_types: Vec<&str> = Vec::new();
        for (r, l) in self.message_lines() {
            msg_types.push(&l.ty);
            let v = ident(&variant_name(&l.name));
            let t = ty(&l.ty);
            let a = l.arity();
            let doc = format!(
                " `{}` (line {}).",
                r.source.lines().next().unwrap_or("").trim(),
                r.line_no
            );
            if a == 0 {
                msg_variants.push(quote!(#[doc = #doc] #v(#t)));
            } else {
                let kt = Self::key_ty(a);
                msg_variants.push(quote!(#[doc = #doc] #v { key: #kt, value: #t }));
            }
            let pat = if a == 0 {
                quote!(Message::#v(value))
            } else {
                quote!(Message::#v { key, value })
            };
            let key = if a == 0 { quote!([]) } else { quote!(key) };
            let tag = l.name.as_str();
            // Authenticate the sender where the rule runs at one node.
            let auth = match &r.exec {
                NodeTerm::Var(_) => quote!(),
                NodeTerm::Param(pn) => {
                    let f = ident(pn);
                    quote!(if from != self.params.#f { out.faulty(from, #tag); return; })
                }
                NodeTerm::Leader(lin) => {
                    let vars: Vec<syn::Ident> = r
                        .key_vars()
                        .iter()
                        .map(|v| format_ident!("v_{}", v))
                        .collect();
                    let lc = self.lin(lin);
                    let n = self.n_field();
                    quote!({
                        #[allow(unused_variables)]
                        let [#(#vars),*] = #key;
                        let leader = #rt::NodeId(u32::try_from((#lc).rem_euclid(self.params.#n as i64)).unwrap_or(0));
                        if from != leader { out.faulty(from, #tag); return; }
                    })
                }
            };
            let f = ident(&field_name(&l.name));
            let store = match self.stores.get(r.target) {
                Some(Store::Tracker { .. }) => quote! {
                    if let ::core::option::Option::Some(i) = self.#f(#key) {
                        if i.#f.insert(from, value) == #rt::Insert::Conflict {
                            out.faulty(from, #tag);
                        }
                    }
                },
                _ => {
                    let w = format_ident!("write_{}", field_name(&l.name));
                    quote!(self.#w(#key, value, from, out);)
                }
            };
            let mask = mask_lit(pre_readers.get(r.target).copied().unwrap_or(0));
            msg_arms.push(quote!(#pat => { #auth #store #mask }));
        }
        let msg_phantom = self.phantom(&msg_types, true);
        let forge_impl = self.forge_impl();

        let mut in_variants = Vec::new();
        let mut in_arms = Vec::new();
        let mut out_variants = Vec::new();
        let mut in_types = Vec::new();
        let mut out_types = Vec::new();
        for l in &p.lines {
            if !matches!(l.kind, LineKind::Input | LineKind::Output) {
                continue;
            }
            let v = ident(&variant_name(&l.name));
            let t = ty(&l.ty);
            let a = l.arity();
            let doc = format!(" Port `{}`.", l.name);
            let variant = if a == 0 {
                quote!(#[doc = #doc] #v(#t))
            } else {
                let kt = Self::key_ty(a);
                quote!(#[doc = #doc] #v { key: #kt, value: #t })
            };
            if l.kind == LineKind::Input {
                in_types.push(l.ty.as_str());
                in_variants.push(variant);
                let pat = if a == 0 {
                    quote!(Input::#v(value))
                } else {
                    quote!(Input::#v { key, value })
                };
                let key = if a == 0 { quote!([]) } else { quote!(key) };
                let here = match &l.domain {
                    LineDomain::Param(pn) => {
                        let f = ident(pn);
                        quote!(self.me == self.params.#f)
                    }
                    _ => quote!(true),
                };
                let w = format_ident!("write_{}", field_name(&l.name));
                let mask = p
                    .lines
                    .iter()
                    .position(|x| x.name == l.name)
                    .and_then(|k| pre_readers.get(k))
                    .copied()
                    .unwrap_or(0);
                let mask = mask_lit(mask);
                in_arms.push(quote!(#pat => { if #here { let me = self.me; self.#w(#key, value, me, out); } #mask }));
            } else {
                out_types.push(l.ty.as_str());
                out_variants.push(variant);
            }
        }
        let in_phantom = self.phantom(&in_types, false);
        let out_phantom = self.phantom(&out_types, false);
        let in_phantom_arm = if in_phantom.is_empty() {
            quote!()
        } else {
            quote!(Input::__Phantom(never, _) => match never {},)
        };

        // Per-line accessors and writers.
        let mut helpers = Vec::new();
        for (k, l) in p.lines.iter().enumerate() {
            let f = ident(&field_name(&l.name));
            let a = l.arity();
            let key_ty = Self::key_ty(a);
            let sname = format_ident!("Inst{}", a);
            let get_mut = if a == 0 {
                quote!(::core::option::Option::Some(&mut self.g0))
            } else {
                let g = format_ident!("g{}", a);
                let done = format_ident!("done{}", a);
                let low = format_ident!("low{}", a);
                let n = self.n_field();
                quote! {
                    if key[0] < self.#low || self.#done.contains(&key) {
                        return ::core::option::Option::None;
                    }
                    match self.#g.entry(key) {
                        ::std::collections::btree_map::Entry::Occupied(o) => ::core::option::Option::Some(o.into_mut()),
                        ::std::collections::btree_map::Entry::Vacant(v) => {
                            self.created |= 1 << #a;
                            ::core::option::Option::Some(v.insert(#sname::new(self.params.#n)))
                        }
                    }
                }
            };
            helpers.push(quote! {
                /// The live instance holding this line at `key`, created if
                /// needed; `None` once the instance is done.
                #[allow(unused_variables)]
                fn #f(&mut self, key: #key_ty) -> ::core::option::Option<&mut #sname #gen> {
                    #get_mut
                }
            });
            if self.stores.get(k) == Some(&Store::Scalar) {
                let w = format_ident!("write_{}", field_name(&l.name));
                let t = ty(&l.ty);
                let tag = l.name.as_str();
                let emit = if l.kind == LineKind::Output {
                    let v = ident(&variant_name(&l.name));
                    if a == 0 {
                        quote!(out.output(Output::#v(value.clone()));)
                    } else {
                        quote!(out.output(Output::#v { key, value: value.clone() });)
                    }
                } else {
                    quote!()
                };
                helpers.push(quote! {
                    /// Sets this line at `key` (once; a different second value
                    /// is evidence against its sender `from`, and ignored).
                    #[allow(unused_variables)]
                    fn #w(&mut self, key: #key_ty, value: #t, from: #rt::NodeId, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        let ::core::option::Option::Some(i) = self.#f(key) else { return };
                        match &i.#f {
                            ::core::option::Option::None => {
                                i.#f = ::core::option::Option::Some(value.clone());
                                #emit
                            }
                            ::core::option::Option::Some(old) if *old != value => out.faulty(from, #tag),
                            ::core::option::Option::Some(_) => {}
                        }
                    }
                });
            }
        }

        // Rules and the step loop.
        let rule_fns: Vec<TokenStream> = p
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| self.rule_fn(k, r))
            .collect();
        let mut timer_fns = Vec::new();
        let mut timer_arms = Vec::new();
        // Tasks: rule k is task k; the starter of timer t is task R + t. A
        // task re-runs only when a line it reads changed ("dirty" bits).
        let nrules = p.rules.len();
        let ntasks = nrules + p.timers;
        if ntasks > 128 {
            self.errors.push(unsupported(format!(
                "more than 128 rules and timers ({ntasks})"
            )));
        }
        let bit = |t: usize| {
            1u128
                .checked_shl(u32::try_from(t).unwrap_or(127))
                .unwrap_or(0)
        };
        let line_readers = readers(p);
        let mut arity_tasks = vec![0u128; self.max_arity + 1];
        let mut timer_rule = vec![0usize; p.timers];
        let mut task_fns = Vec::new();
        let mut task_arms = Vec::new();
        for (k, r) in p.rules.iter().enumerate() {
            let arity = r.key_vars().len();
            if let Some(m) = arity_tasks.get_mut(arity) {
                *m |= bit(k);
            }
            let f = format_ident!("rule_{}", k);
            let task = format_ident!("task_{}", k);
            task_fns.push((task.clone(), arity, quote!(fired |= self.#f(key, out);)));
            let mut ids = Vec::new();
            collect_timers(&r.value, &mut |id| ids.push(id));
            for id in ids {
                if let Some(slot) = timer_rule.get_mut(id) {
                    *slot = k;
                }
                let Some((arg, ms)) = find_timer(&r.value, id) else {
                    continue;
                };
                let _ = arg;
                if let Some(m) = arity_tasks.get_mut(arity) {
                    *m |= bit(nrules + id);
                }
                let fname = format_ident!("timer_{}", id);
                let t = format_ident!("t{}", id);
                let runs = self.runs_here(r);
                let bind = self.bind_key(r);
                let key_ty = Self::key_ty(arity);
                let a = self.ex(arg, "", arity);
                let ms = self.lin(ms);
                let inst_mut = if arity == 0 {
                    quote!(::core::option::Option::Some(&mut self.g0))
                } else {
                    let g = format_ident!("g{}", arity);
                    quote!(self.#g.get_mut(&key))
                };
                let pack = match arity {
                    0 => quote!(0u64),
                    1 => quote!(key[0]),
                    _ => quote!((key[0] << 24) | key[1]),
                };
                let idu = id as u64;
                timer_fns.push(quote! {
                    #[allow(unused_variables, clippy::all)]
                    fn #fname(&mut self, key: #key_ty, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        #bind
                        if !(#runs) { return; }
                        let idle = #inst_mut.is_some_and(|i| i.#t == 0);
                        if !idle { return; }
                        if (#a).is_none() { return; }
                        if let ::core::option::Option::Some(i) = #inst_mut { i.#t = 1; }
                        let ms = u64::try_from(#ms).unwrap_or(0);
                        out.set_timer(#rt::TimerId((#pack << 16) | #idu), ms);
                    }
                });
                let task = format_ident!("task_{}", nrules + id);
                task_fns.push((task, arity, quote!(self.#fname(key, out);)));
                let unpack = match arity {
                    0 => quote!([]),
                    1 => quote!([packed]),
                    _ => quote!([packed >> 24, packed & 0xff_ffff]),
                };
                let rule_bit = mask_lit(bit(k));
                timer_arms.push(quote!(#idu => {
                    let key: #key_ty = #unpack;
                    if let ::core::option::Option::Some(i) = #inst_mut {
                        if i.#t == 1 { i.#t = 2; }
                    }
                    #rule_bit
                }));
            }
        }
        let mut task_defs = Vec::new();
        for (task, arity, call) in &task_fns {
            let body = if *arity == 0 {
                quote!({ let key = []; #call })
            } else {
                let g = format_ident!("g{}", arity);
                let keys = format_ident!("keys{}", arity);
                quote!({
                    let mut keys = ::core::mem::take(&mut self.#keys);
                    keys.clear();
                    keys.extend(self.#g.keys().copied());
                    for &key in &keys { #call }
                    self.#keys = keys;
                })
            };
            task_defs.push(quote! {
                #[allow(unused_mut)]
                #[inline]
                fn #task(&mut self, out: &mut #rt::Effects<Message #gen, Output #gen>) -> bool {
                    let mut fired = false;
                    #body
                    fired
                }
            });
        }
        for (k, r) in p.rules.iter().enumerate() {
            let task = format_ident!("task_{}", k);
            let dirty = mask_lit(line_readers.get(r.target).copied().unwrap_or(0));
            let ku = k as u32;
            // A fired rule of the arity-0 instance (which is never freed) never
            // needs to run again.
            let done = if r.key_vars().is_empty() {
                let b = mask_lit(bit(k));
                quote!(self.done0 |= #b;)
            } else {
                quote!()
            };
            task_arms.push(
                quote!(#ku => { if self.#task(out) { #done dirty |= #dirty & !self.done0; fired = true; } }),
            );
        }
        for id in 0..p.timers {
            let task = format_ident!("task_{}", nrules + id);
            let ku = (nrules + id) as u32;
            task_arms.push(quote!(#ku => { self.#task(out); }));
        }
        let all_tasks: u128 = if ntasks >= 128 {
            u128::MAX
        } else {
            (1u128 << ntasks) - 1
        };
        let all_lit = mask_lit(all_tasks);
        // Dirty bits fit a u64 for all but very large protocols.
        let mask_ty = if ntasks <= 64 {
            quote!(u64)
        } else {
            quote!(u128)
        };
        let created_arms: Vec<TokenStream> = arity_tasks
            .iter()
            .enumerate()
            .map(|(a, m)| {
                let m = mask_lit(*m);
                quote!(if self.created & (1 << #a) != 0 { dirty |= #m; })
            })
            .collect();
        let _ = &timer_rule;
        // Instances are only created in number families.
        let created_check = if self.max_arity == 0 {
            quote!()
        } else {
            quote! {
                if self.created != 0 {
                    #(#created_arms)*
                    self.created = 0;
                    dirty &= !self.done0;
                }
            }
        };

        // Garbage collection of finished instances.
        let mut gc = Vec::new();
        for arity in 1..=self.max_arity {
            let rules = self.rules_of(arity);
            if rules.is_empty() {
                continue;
            }
            let g = format_ident!("g{}", arity);
            let done = format_ident!("done{}", arity);
            let low = format_ident!("low{}", arity);
            let keys = format_ident!("keys{}", arity);
            let masks: Vec<TokenStream> = rules
                .iter()
                .map(|(k, r)| {
                    let bit = self.bit(*k);
                    let runs = self.runs_here(r);
                    let vars: Vec<syn::Ident> = r.key_vars().iter().map(|v| format_ident!("v_{}", v)).collect();
                    quote!({ #[allow(unused_variables)] let [#(#vars),*] = key; if #runs { mask |= #bit; } })
                })
                .collect();
            let compact = if arity == 1 {
                quote!(while self.#done.remove(&[self.#low]) { self.#low += 1; })
            } else {
                quote!()
            };
            gc.push(quote! {
                let mut keys = ::core::mem::take(&mut self.#keys);
                keys.clear();
                keys.extend(self.#g.keys().copied());
                for &key in &keys {
                    let mut mask = 0u64;
                    #(#masks)*
                    if self.#g.get(&key).is_some_and(|i| i.fired & mask == mask) {
                        self.#g.remove(&key);
                        self.#done.insert(key);
                    }
                }
                self.#keys = keys;
                #compact
            });
        }
        let live: Vec<TokenStream> = (1..=self.max_arity)
            .map(|a| {
                let g = format_ident!("g{}", a);
                quote!(+ self.#g.len())
            })
            .collect();
        let done_sizes: Vec<TokenStream> = (1..=self.max_arity)
            .map(|a| {
                let d = format_ident!("done{}", a);
                quote!(+ self.#d.len())
            })
            .collect();
        let timer_match = if timer_arms.is_empty() {
            quote!(let _ = timer; 0)
        } else {
            quote! {
                let packed = timer.0 >> 16;
                #[allow(unused_variables)]
                let _ = packed;
                match timer.0 & 0xffff {
                    #(#timer_arms)*
                    _ => 0,
                }
            }
        };
        let serde_path = format!("{}::serde", quote!(#rt).to_string().replace(' ', ""));
        let node_doc = format!(
            " A node of `{}`, projected from the whole-system protocol.",
            p.name
        );
        let mod_doc = format!(
            " Generated by rio-compiler from protocol `{}`. Do not edit.",
            p.name
        );
        quote! {
            #[doc = #mod_doc]
            #[allow(dead_code, unused_imports, unused_mut, unused_parens, non_camel_case_types, clippy::all)]
            pub mod #modname {
                use super::*;

                /// Protocol parameters, checked against the `where` clause by [`Node::new`].
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub struct Params { #(#param_fields,)* }

                impl Params {
                    /// Checks the resilience constraint and the node parameters.
                    pub fn validate(&self) -> ::core::result::Result<(), #rt::ParamError> {
                        #(#checks)*
                        #(#node_checks)*
                        ::core::result::Result::Ok(())
                    }
                }

                /// Messages: one variant per cross-domain component, named after the line it produces.
                #[derive(Clone, Debug, PartialEq, Eq, Hash, #rt::serde::Serialize, #rt::serde::Deserialize)]
                #[serde(crate = #serde_path)]
                pub enum Message #gen { #(#msg_variants,)* #msg_phantom }

                /// Inputs from the application.
                #[derive(Clone, Debug, PartialEq, Eq)]
                pub enum Input #gen { #(#in_variants,)* #in_phantom }

                /// Outputs to the application.
                #[derive(Clone, Debug, PartialEq, Eq)]
                pub enum Output #gen { #(#out_variants,)* #out_phantom }

                #forge_impl

                #(#inst_structs)*

                #[doc = #node_doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub struct Node #gen {
                    me: #rt::NodeId,
                    params: Params,
                    /// Whether the first event ran every task.
                    started: bool,
                    /// Arities whose instances were created during this step.
                    created: u8,
                    /// Rules of the arity-0 instance that fired (task bits).
                    done0: #mask_ty,
                    #(#node_fields,)*
                }

                impl #bounds Node #gen {
                    /// A node with identity `me`; fails if the parameters break the `where` clause.
                    pub fn new(me: #rt::NodeId, params: Params) -> ::core::result::Result<Self, #rt::ParamError> {
                        params.validate()?;
                        if me.index() >= params.#nf {
                            return ::core::result::Result::Err(#rt::ParamError { protocol: #pname, constraint: "me < n" });
                        }
                        let n = params.#nf;
                        ::core::result::Result::Ok(Node { me, params, started: false, created: 0, done0: 0, #(#node_init,)* })
                    }

                    /// Live instances of number families (for memory checks).
                    pub fn live_instances(&self) -> usize {
                        0 #(#live)*
                    }

                    /// Instance keys retained: live ones plus finished ones
                    /// above the low-water mark (for memory checks).
                    pub fn retained(&self) -> usize {
                        self.live_instances() #(#done_sizes)*
                    }

                    #(#helpers)*
                    #(#rule_fns)*
                    #(#timer_fns)*

                    #(#task_defs)*

                    /// Runs the dirty tasks until none is left (a task that
                    /// fires dirties the tasks reading its line), then frees
                    /// finished instances.
                    #[inline(always)]
                    fn step(&mut self, mut dirty: #mask_ty, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        if !self.started {
                            self.started = true;
                            dirty = #all_lit;
                        }
                        let mut fired = false;
                        dirty &= !self.done0;
                        loop {
                            #created_check
                            if dirty == 0 { break; }
                            let t = dirty.trailing_zeros();
                            dirty &= dirty - 1;
                            match t {
                                #(#task_arms)*
                                _ => {}
                            }
                        }
                        if fired {
                            #(#gc)*
                        }
                    }
                }

                impl #bounds #rt::Node for Node #gen {
                    type Message = Message #gen;
                    type Input = Input #gen;
                    type Output = Output #gen;

                    fn id(&self) -> #rt::NodeId { self.me }

                    fn on_input(&mut self, input: Input #gen, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        let dirty: #mask_ty = match input {
                            #(#in_arms)*
                            #in_phantom_arm
                        };
                        self.step(dirty, out);
                    }

                    fn on_message(&mut self, from: #rt::NodeId, msg: Message #gen, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        if from.index() >= self.params.#nf { return; }
                        let dirty: #mask_ty = match msg {
                            #(#msg_arms)*
                            #[allow(unreachable_patterns)]
                            _ => 0,
                        };
                        self.step(dirty, out);
                    }

                    fn on_timer(&mut self, timer: #rt::TimerId, out: &mut #rt::Effects<Message #gen, Output #gen>) {
                        let dirty: #mask_ty = { #timer_match };
                        self.step(dirty, out);
                    }
                }
            }
        }
    }
}

/// A task bit set as an unsuffixed literal (its type is `u64` or `u128`).
fn mask_lit(m: u128) -> TokenStream {
    let l = proc_macro2::Literal::u128_unsuffixed(m);
    quote!(#l)
}

/// The lines an expression reads.
fn collect_reads(e: &Ex, out: &mut Vec<usize>) {
    match e {
        Ex::Ref { line, .. } => out.push(*line),
        Ex::Fn { args, .. } => args.iter().for_each(|a| collect_reads(a, out)),
        Ex::Select { options } => options.iter().for_each(|a| collect_reads(a, out)),
        Ex::Quorum { votes: a, .. }
        | Ex::Some(a)
        | Ex::SelectFamily { of: a }
        | Ex::Timer { arg: a, .. } => collect_reads(a, out),
        Ex::Sync(a, b) | Ex::Pair(a, b) => {
            collect_reads(a, out);
            collect_reads(b, out);
        }
        Ex::Const { .. } => {}
    }
}

/// For every line, the tasks (rules, then timer starters) that read it, as
/// a bit set.
fn readers(p: &Protocol) -> Vec<u128> {
    let bit = |t: usize| {
        1u128
            .checked_shl(u32::try_from(t).unwrap_or(127))
            .unwrap_or(0)
    };
    let mut lr = vec![0u128; p.lines.len()];
    for (k, r) in p.rules.iter().enumerate() {
        let mut reads = Vec::new();
        collect_reads(&r.value, &mut reads);
        for l in reads {
            if let Some(m) = lr.get_mut(l) {
                *m |= bit(k);
            }
        }
        let mut ids = Vec::new();
        collect_timers(&r.value, &mut |id| ids.push(id));
        for id in ids {
            if let Some((arg, _)) = find_timer(&r.value, id) {
                let mut reads = Vec::new();
                collect_reads(arg, &mut reads);
                for l in reads {
                    if let Some(m) = lr.get_mut(l) {
                        *m |= bit(p.rules.len() + id);
                    }
                }
            }
        }
    }
    lr
}

fn collect_timers(e: &Ex, f: &mut dyn FnMut(usize)) {
    match e {
        Ex::Timer { id, arg, .. } => {
            f(*id);
            collect_timers(arg, f);
        }
        Ex::Fn { args, .. } => args.iter().for_each(|a| collect_timers(a, f)),
        Ex::Select { options } => options.iter().for_each(|a| collect_timers(a, f)),
        Ex::Quorum { votes: a, .. } | Ex::Some(a) | Ex::SelectFamily { of: a } => {
            collect_timers(a, f)
        }
        Ex::Sync(a, b) | Ex::Pair(a, b) => {
            collect_timers(a, f);
            collect_timers(b, f);
        }
        Ex::Ref { .. } | Ex::Const { .. } => {}
    }
}

fn find_timer(e: &Ex, want: usize) -> Option<(&Ex, &Lin)> {
    match e {
        Ex::Timer { id, arg, ms, .. } if *id == want => Some((arg, ms)),
        Ex::Timer { arg, .. } => find_timer(arg, want),
        Ex::Fn { args, .. } => args.iter().find_map(|a| find_timer(a, want)),
        Ex::Select { options } => options.iter().find_map(|a| find_timer(a, want)),
        Ex::Quorum { votes: a, .. } | Ex::Some(a) | Ex::SelectFamily { of: a } => {
            find_timer(a, want)
        }
        Ex::Sync(a, b) | Ex::Pair(a, b) => find_timer(a, want).or_else(|| find_timer(b, want)),
        Ex::Ref { .. } | Ex::Const { .. } => None,
    }
}
