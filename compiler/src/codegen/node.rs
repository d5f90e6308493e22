//! The node: per-family line structs, task tables, the `Node` struct, its
//! writers, wakers, rules, timer starters, the step loop and the runtime
//! trait implementation.

use super::expr::{Cx, Place};
use super::names::{const_name, field_name, ident, module_name, variant_name};
use super::plan::{bug, KeyMap, KeySrc, Store, Task};
use super::Gen;
use crate::ir::Rule;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use rio_lang::arith::Lin;
use rio_lang::graph::{LineKind, NodeTerm};
use std::collections::BTreeMap;

/// A `usize` as an unsuffixed literal (`2`, not `2usize`).
pub(super) fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

impl Gen<'_> {
    pub(super) fn words(&self, arity: usize) -> usize {
        self.plan.families.get(arity).map_or(1, |f| f.words())
    }

    pub(super) fn inst_ty(&self, arity: usize) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let lines = format_ident!("Lines{}", arity);
        let w = lit(self.words(arity));
        quote!(#rt::Instance<#lines #gen, #w>)
    }

    pub(super) fn rule_ident(&self, k: usize) -> syn::Ident {
        format_ident!(
            "rule_{}",
            self.rule_names.get(k).map_or("x", |s| s.as_str())
        )
    }

    pub(super) fn task_const(&self, arity: usize, task: usize) -> syn::Ident {
        match self
            .plan
            .families
            .get(arity)
            .and_then(|f| f.tasks.get(task))
        {
            Some(Task::Rule(k)) => format_ident!(
                "{}",
                const_name(self.rule_names.get(*k).map_or("x", |s| s.as_str()))
            ),
            Some(Task::Timer(id)) => format_ident!(
                "{}",
                const_name(&format!(
                    "start_{}",
                    self.timer_names.get(*id).map_or("t", |s| s.as_str())
                ))
            ),
            None => format_ident!("TASK"),
        }
    }

    /// Whether some `collect(?, k, ..)` reads line `k`.
    fn collected(&self, target: usize) -> bool {
        self.p.rules.iter().any(|r| {
            let mut found = false;
            crate::ir::walk(&r.value, &mut |e| {
                if let crate::ir::Ex::Collect { votes, .. } = e {
                    found |= matches!(votes.as_ref(), crate::ir::Ex::Ref { line, .. } if *line == target);
                }
            });
            found
        })
    }

    pub(super) fn task_rule(&self, arity: usize, task: usize) -> Option<&Rule> {
        match self
            .plan
            .families
            .get(arity)
            .and_then(|f| f.tasks.get(task))
        {
            Some(Task::Rule(k)) => self.p.rules.get(*k),
            Some(Task::Timer(id)) => self
                .plan
                .timers
                .get(*id)
                .and_then(|t| self.p.rules.get(t.rule)),
            None => None,
        }
    }

    /// The line structs and the task tables of every family.
    fn families_decl(&self) -> TokenStream {
        let rt = self.rt;
        let gen = self.generics();
        let bounds = self.bounds();
        let mut out = Vec::new();
        for (a, fam) in self.plan.families.iter().enumerate() {
            let lines = format_ident!("Lines{}", a);
            let mut fields = Vec::new();
            let mut inits = Vec::new();
            for (k, l) in self.p.lines.iter().enumerate() {
                if l.arity() != a {
                    continue;
                }
                let f = ident(&field_name(&l.name));
                let t = self.line_ty(k);
                match self.plan.stores.get(k) {
                    Some(Store::Tracker { .. }) => {
                        fields.push(quote!(#f: #rt::QuorumTracker<#t>));
                        // Arrival order is kept only where `collect` reads it.
                        if self.collected(k) {
                            inits.push(quote!(#f: #rt::QuorumTracker::ordered(n)));
                        } else {
                            inits.push(quote!(#f: #rt::QuorumTracker::new(n)));
                        }
                    }
                    _ => {
                        fields.push(quote!(#f: Option<#t>));
                        inits.push(quote!(#f: None));
                    }
                }
            }
            for t in self.plan.timers.iter().filter(|t| t.arity == a) {
                let Some(id) = self.plan.timers.iter().position(|x| std::ptr::eq(x, t)) else {
                    continue;
                };
                let f = self.timer_field(id);
                fields.push(quote!(#[doc = " Timer state."] #f: #rt::TimerState));
                inits.push(quote!(#f: #rt::TimerState::Idle));
            }
            let doc = if a == 0 {
                " The lines of the protocol outside number families.".to_string()
            } else {
                format!(" The lines of one instance of the families with {a} number indices.")
            };
            // A family whose lines all have concrete types still carries
            // the protocol's type parameters (one instance of a generic
            // component inside a loop may leave none at arity 0).
            let used = super::expr::idents(&quote!(#(#fields)*));
            if self.p.generics.iter().any(|g| !used.contains(g.as_str())) {
                let gs: Vec<syn::Ident> = self.p.generics.iter().map(|g| ident(g)).collect();
                fields.push(quote!(#[doc = " The protocol's type parameters."] _types: ::core::marker::PhantomData<fn() -> (#(#gs,)*)>));
                inits.push(quote!(_types: ::core::marker::PhantomData));
            }
            let uses_n = inits.iter().any(|i| super::expr::idents(i).contains("n"));
            let n_arg = if uses_n { quote!(n) } else { quote!(_n) };
            out.push(quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                struct #lines #gen { #(#fields,)* }
                impl #bounds #lines #gen {
                    fn new(#n_arg: usize) -> Self {
                        #lines { #(#inits,)* }
                    }
                }
            });
            // Task numbers and sets.
            let w = lit(fam.words());
            let mut consts = Vec::new();
            for t in 0..fam.tasks.len() {
                let c = self.task_const(a, t);
                let t = lit(t);
                consts.push(quote!(const #c: usize = #t;));
            }
            let all = format_ident!("ALL{}", a);
            let rules = format_ident!("RULES{}", a);
            let (nt, nr) = (lit(fam.tasks.len()), lit(fam.rules));
            let start = if a == 0 {
                let inputless: Vec<usize> = (0..fam.tasks.len())
                    .filter(|t| !fam.reads.contains(t))
                    .collect();
                let names = inputless.iter().map(|t| self.task_const(0, *t));
                let set = quote!(#rt::Bits::of(&[#(#names),*]));
                quote! {
                    /// The tasks that read no line: they run on the start event.
                    const START0: #rt::Bits<#w> = #set;
                }
            } else {
                quote!()
            };
            out.push(quote! {
                #(#consts)*
                #start
                /// Every task of this family.
                const #all: #rt::Bits<#w> = #rt::Bits::below(#nt);
                /// The rules (an instance is finished once those running here fired).
                const #rules: #rt::Bits<#w> = #rt::Bits::below(#nr);
            });
        }
        for (id, _) in self.plan.timers.iter().enumerate() {
            let c = format_ident!(
                "{}",
                const_name(&self.timer_names.get(id).cloned().unwrap_or_default())
            );
            let idu = u32::try_from(id).unwrap_or(u32::MAX);
            out.push(quote!(#[doc = " Timer number (what the timer table records)."] const #c: u32 = #idu;));
        }
        quote!(#(#out)*)
    }

    /// Whether a task runs at this node, in the free `here` functions.
    pub(super) fn runs_here(&self, r: &Rule) -> Option<TokenStream> {
        let rt = self.rt;
        let cx = Cx {
            rule: r,
            place: Place::Free,
        };
        let at = match &r.exec {
            NodeTerm::Var(_) => None,
            NodeTerm::Param(p) => {
                let f = ident(p);
                Some(quote!(me == params.#f))
            }
            NodeTerm::Leader(l) => {
                let x = self.num(l, &cx);
                let n = self.n_field();
                Some(quote!(#rt::family::leader(#x, params.#n) == Some(me)))
            }
        };
        // `for r in 0..e`: the rule exists only for instances below `e`.
        let bounds: Vec<TokenStream> = r
            .bounds
            .iter()
            .map(|(v, e)| {
                let var = self.num(&rio_lang::arith::Lin::var(v), &cx);
                let bound = self.num(e, &cx);
                quote!((#var) < (#bound))
            })
            .collect();
        match (at, bounds.is_empty()) {
            (at, true) => at,
            (None, false) => Some(quote!(#(#bounds)&&*)),
            (Some(at), false) => Some(quote!(#at && #(#bounds)&&*)),
        }
    }

    /// `here{a}`: the tasks of the instance at `key` that run at node `me`.
    fn here_fn(&self, a: usize) -> TokenStream {
        let al = lit(a);
        let rt = self.rt;
        let Some(fam) = self.plan.families.get(a) else {
            return quote!();
        };
        let w = lit(fam.words());
        let name = format_ident!("here{}", a);
        let mut always = Vec::new();
        let mut conds = Vec::new();
        for t in 0..fam.tasks.len() {
            let Some(r) = self.task_rule(a, t) else {
                self.report(bug(rio_lang::ast::Span::default(), "a task without a rule"));
                continue;
            };
            match self.runs_here(r) {
                None => always.push(t),
                Some(c) => {
                    let k = self.task_const(a, t);
                    let bind = Cx {
                        rule: r,
                        place: Place::Free,
                    }
                    .bind_key(&c);
                    if bind.is_empty() {
                        conds.push(quote!(if #c { here.insert(#k); }));
                    } else {
                        conds.push(quote!({ #bind if #c { here.insert(#k); } }));
                    }
                }
            }
        }
        let base = if always.is_empty() {
            quote!(#rt::Bits::EMPTY)
        } else {
            self.task_set(a, &always)
        };
        let key_ty = quote!([u64; #al]);
        let key_arg = if conds.iter().any(|c| super::expr::idents(c).contains("key")) {
            quote!(key)
        } else {
            quote!(_key)
        };
        // Name only what the conditions read (a constant bound reads
        // neither the node nor the parameters).
        let used = conds
            .iter()
            .fold(std::collections::BTreeSet::new(), |mut acc, c| {
                acc.extend(super::expr::idents(c));
                acc
            });
        let me_arg = if used.contains("me") {
            quote!(me)
        } else {
            quote!(_me)
        };
        let params_arg = if used.contains("params") {
            quote!(params)
        } else {
            quote!(_params)
        };
        let mutability = if conds.is_empty() {
            quote!()
        } else {
            quote!(mut)
        };
        quote! {
            /// The tasks of the instance at `key` that run at node `me`.
            fn #name(#me_arg: #rt::NodeId, #params_arg: &Params, #key_arg: #key_ty) -> #rt::Bits<#w> {
                let #mutability here = #base;
                #(#conds)*
                here
            }
        }
    }

    /// The live instance at `key` (created, and all its tasks woken, if
    /// new); `None` once finished.
    fn open_fn(&self, a: usize) -> TokenStream {
        let al = lit(a);
        if a == 0 {
            return quote!();
        }
        let name = format_ident!("open{}", a);
        let f = format_ident!("f{}", a);
        let wake = format_ident!("wake{}", a);
        let here = format_ident!("here{}", a);
        let lines = format_ident!("Lines{}", a);
        let all = format_ident!("ALL{}", a);
        let rules = format_ident!("RULES{}", a);
        let inst = self.inst_ty(a);
        let rt = self.rt;
        let n = self.n_field();
        let make = quote! {
            || { #rt::Instance::new(#lines::new(params.#n), Self::#here(me, params, key), &#rules) }
        };
        let consts = self.const_opens(a);
        if !consts.is_empty() {
            return quote! {
                /// The live instance at `key`, created (and all its tasks
                /// woken) if new, with the constants of unbounded families
                /// it reads; `None` once it is finished.
                fn #name(&mut self, key: [u64; #al]) -> Option<&mut #inst> {
                    let (me, params) = (self.me, &self.params);
                    let (_, created) = self.#f.open(key, #make)?;
                    if created {
                        self.#wake.push(key, #all);
                        #(#consts)*
                    }
                    self.#f.get_mut(&key)
                }
            };
        }
        quote! {
            /// The live instance at `key`, created (and all its tasks woken)
            /// if new; `None` once it is finished.
            fn #name(&mut self, key: [u64; #al]) -> Option<&mut #inst> {
                let (me, params) = (self.me, &self.params);
                let (inst, created) = self.#f.open(key, #make)?;
                if created {
                    self.#wake.push(key, #all);
                }
                Some(inst)
            }
        }
    }

    /// Statements opening the instances of constants of unbounded families
    /// that a new instance of family `b` (at `key`) reads
    /// ([`super::plan::ConstOpen`]).
    pub(super) fn const_opens(&self, b: usize) -> Vec<TokenStream> {
        let rt = self.rt;
        let Some(opens) = self.plan.const_opens.get(b) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for o in opens {
            let Some(c) = self.p.rules.get(o.constant) else {
                continue;
            };
            let cx = Cx {
                rule: c,
                place: Place::Method,
            };
            let src = |s: &KeySrc, p: usize| match s {
                KeySrc::Reader(q) => {
                    let q = lit(*q);
                    quote!(Some(key[#q]))
                }
                KeySrc::Value(l) => {
                    let v = self.num(l, &cx);
                    quote!(#rt::family::index(#v))
                }
                KeySrc::Range(_) => {
                    let v = format_ident!("o{}", p);
                    quote!(Some(#v))
                }
            };
            let (ac, _) = self
                .plan
                .rule_task
                .get(o.constant)
                .copied()
                .unwrap_or((0, 0));
            let open = format_ident!("open{}", ac);
            let names: Vec<syn::Ident> =
                (0..o.key.len()).map(|k| format_ident!("k{}", k)).collect();
            let parts: Vec<TokenStream> =
                o.key.iter().enumerate().map(|(p, s)| src(s, p)).collect();
            let exact: Vec<TokenStream> = o
                .key
                .iter()
                .enumerate()
                .filter_map(|(p, s)| match s {
                    KeySrc::Reader(q) => {
                        let q = lit(*q);
                        Some(quote!(key[#q]))
                    }
                    KeySrc::Range(_) => {
                        let v = format_ident!("o{}", p);
                        Some(quote!(#v))
                    }
                    KeySrc::Value(_) => None,
                })
                .collect();
            // Indices over the parameters may be out of range: no instance.
            let mut body = if exact.len() == o.key.len() {
                quote!(let _ = self.#open([#(#exact),*]);)
            } else {
                quote! {
                    if let [#(Some(#names)),*] = [#(#parts),*] {
                        let _ = self.#open([#(#names),*]);
                    }
                }
            };
            let ranges: Vec<(usize, Lin)> = o
                .key
                .iter()
                .enumerate()
                .filter_map(|(p, s)| match s {
                    KeySrc::Range(bound) => Some((p, bound.clone())),
                    _ => None,
                })
                .collect();
            body = self.below_bounds(body, &ranges, &cx);
            let conds: Vec<TokenStream> = o
                .conds
                .iter()
                .map(|(s, v)| {
                    let v = Literal::u64_suffixed(*v);
                    match s {
                        KeySrc::Reader(q) => {
                            let q = lit(*q);
                            quote!(key[#q] == #v)
                        }
                        _ => {
                            let x = src(s, usize::MAX);
                            quote!(#x == Some(#v))
                        }
                    }
                })
                .collect();
            if !conds.is_empty() {
                body = quote!(if #(#conds)&&* { #body });
            }
            // Two constants of one instance (or one read twice): one open.
            if !out
                .iter()
                .any(|x: &TokenStream| x.to_string() == body.to_string())
            {
                out.push(body);
            }
        }
        out
    }

    /// A set of tasks of family `b` by name: `rio::Bits::of(&[READY, DLVR])`,
    /// evaluated at compile time.
    pub(super) fn task_set(&self, b: usize, tasks: &[usize]) -> TokenStream {
        let rt = self.rt;
        let w = lit(self.words(b));
        let names = tasks.iter().map(|t| self.task_const(b, *t));
        quote!(const { #rt::Bits::<#w>::of(&[#(#names),*]) })
    }

    /// Statements waking the tasks that read `line` where they read it,
    /// after a write at `key`. A reader of `x[r + c]` is at `r = k - c`
    /// for a write at `k`.
    pub(super) fn wakes(&self, line: usize) -> Vec<TokenStream> {
        let rt = self.rt;
        let Some(l) = self.p.lines.get(line) else {
            return Vec::new();
        };
        let readers = self.plan.readers.get(line).cloned().unwrap_or_default();
        let a = l.arity();
        // Group by (reader arity, key map).
        let mut groups: BTreeMap<(usize, String), (KeyMap, Vec<usize>)> = BTreeMap::new();
        for r in &readers {
            groups
                .entry((r.arity, format!("{:?}", r.map)))
                .or_insert_with(|| (r.map.clone(), Vec::new()))
                .1
                .push(r.task);
        }
        let mut stmts = Vec::new();
        for ((b, _), (map, mut tasks)) in groups {
            tasks.sort_unstable();
            tasks.dedup();
            let set = self.task_set(b, &tasks);
            if b == 0 {
                stmts.push(quote!(self.dirty0.union_with(&#set);));
                continue;
            }
            let wake = format_ident!("wake{}", b);
            let fam = format_ident!("f{}", b);
            match map {
                KeyMap::Exact(m) => {
                    let parts = m.iter().map(|q| {
                        let q = lit(*q);
                        quote!(key[#q])
                    });
                    let identity = m.iter().copied().eq(0..a);
                    let k = if identity {
                        quote!(key)
                    } else {
                        quote!([#(#parts),*])
                    };
                    if !identity {
                        // A coarser reader (`x[c][0] = select(?, y[*])`
                        // in `for c`, reading `y[c][s]`), or one keyed in
                        // another order, may live in an instance no write
                        // of its own opens: this write opens it (`None`
                        // once it finished).
                        let open = format_ident!("open{}", b);
                        stmts.push(quote! {
                            let k = #k;
                            if self.#open(k).is_some() {
                                self.#wake.push(k, #set);
                            }
                        });
                    } else {
                        stmts.push(quote!(self.#wake.push(#k, #set);));
                    }
                }
                KeyMap::Shifted(m) => {
                    // The reader's instance: `None` below 0 or above the
                    // key range (no such instance).
                    let parts = m.iter().map(|(q, c)| {
                        let q = lit(*q);
                        if *c == 0 {
                            quote!(Some(key[#q]))
                        } else {
                            let x = shift(quote!(key[#q]), *c);
                            quote!(#rt::family::index(#x))
                        }
                    });
                    let open = format_ident!("open{}", b);
                    let names: Vec<syn::Ident> =
                        (0..m.len()).map(|k| format_ident!("k{}", k)).collect();
                    stmts.push(quote! {
                        if let [#(Some(#names)),*] = [#(#parts),*] {
                            let k = [#(#names),*];
                            if self.#open(k).is_some() {
                                self.#wake.push(k, #set);
                            }
                        }
                    });
                }
                KeyMap::Partial(fixed) => {
                    // Readers in bounded loops whose other indices are all
                    // bounded by parameters exist for every index below the
                    // bounds: their instances are opened, not only woken
                    // where they live (`for j in 0..n { x[j][i] = g(y[i]) }`
                    // has no write of its own to open instance `j`).
                    let mut rest = Vec::new();
                    for t in tasks {
                        match self.opened_by_bounds(b, t, &fixed) {
                            Some(stmt) => stmts.push(stmt),
                            None => rest.push(t),
                        }
                    }
                    if rest.is_empty() {
                        continue;
                    }
                    let set = self.task_set(b, &rest);
                    let plain = fixed.iter().all(|(_, _, c)| *c == 0);
                    if plain {
                        let pairs = fixed.iter().map(|(p, q, _)| {
                            let (p, q) = (lit(*p), lit(*q));
                            quote!((#p, key[#q]))
                        });
                        stmts.push(quote! {
                            let mut keys = Vec::new();
                            self.#fam.keys_matching(&[#(#pairs),*], &mut keys);
                            for k in keys {
                                self.#wake.push(k, #set);
                            }
                        });
                    } else {
                        let pairs = fixed.iter().map(|(p, q, c)| {
                            let (p, q) = (lit(*p), lit(*q));
                            if *c == 0 {
                                quote!(Some((#p, key[#q])))
                            } else {
                                let x = shift(quote!(key[#q]), *c);
                                quote!(#rt::family::index(#x).map(|v| (#p, v)))
                            }
                        });
                        stmts.push(quote! {
                            let fixed: Option<Vec<(usize, u64)>> = [#(#pairs),*].into_iter().collect();
                            if let Some(fixed) = fixed {
                                let mut keys = Vec::new();
                                self.#fam.keys_matching(&fixed, &mut keys);
                                for k in keys {
                                    self.#wake.push(k, #set);
                                }
                            }
                        });
                    }
                }
            }
        }
        stmts
    }

    /// For a reader task of family `b` whose key positions not fixed by the
    /// written key are all loop variables with bounds over the parameters:
    /// the statement opening (and waking) every instance below the bounds
    /// that agrees with the written key. `None` for other readers.
    pub(super) fn opened_by_bounds(
        &self,
        b: usize,
        task: usize,
        fixed: &[(usize, usize, i64)],
    ) -> Option<TokenStream> {
        let r = self.task_rule(b, task)?;
        if !matches!(
            self.plan.families.get(b).and_then(|f| f.tasks.get(task)),
            Some(Task::Rule(_))
        ) {
            return None;
        }
        let keys = r.key_vars();
        let free: Vec<usize> = (0..keys.len())
            .filter(|p| !fixed.iter().any(|(q, _, _)| q == p))
            .collect();
        if free.is_empty() || fixed.iter().any(|(_, _, c)| *c != 0) {
            return None;
        }
        let mut bounds = Vec::new();
        for p in &free {
            let var = keys.get(*p)?;
            let (_, bound) = r.bounds.iter().find(|(v, _)| v == var)?;
            if !super::params_only(self.p, bound) {
                return None;
            }
            bounds.push((*p, bound.clone()));
        }
        let cx = Cx {
            rule: r,
            place: Place::Method,
        };
        let set = self.task_set(b, &[task]);
        let open = format_ident!("open{}", b);
        let wake = format_ident!("wake{}", b);
        let parts: Vec<TokenStream> = (0..keys.len())
            .map(|p| match fixed.iter().find(|(q, _, _)| *q == p) {
                Some((_, w, _)) => {
                    let w = lit(*w);
                    quote!(key[#w])
                }
                None => {
                    let v = format_ident!("o{}", p);
                    quote!(#v)
                }
            })
            .collect();
        let body = quote! {
            let k = [#(#parts),*];
            if self.#open(k).is_some() {
                self.#wake.push(k, #set);
            }
        };
        Some(self.below_bounds(body, &bounds, &cx))
    }

    /// `body` inside one loop per `(position, bound)`, outermost first:
    /// `o<position>` runs over `0..bound` (none if the bound is negative).
    fn below_bounds(&self, body: TokenStream, bounds: &[(usize, Lin)], cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        let mut body = body;
        for (p, bound) in bounds.iter().rev() {
            let v = format_ident!("o{}", p);
            let hi = self.num(bound, cx);
            body = quote! {
                if let Some(hi) = #rt::family::index(#hi) {
                    for #v in 0..hi {
                        #body
                    }
                }
            };
        }
        body
    }

    /// `write_<line>` for one-value lines; `vote_<line>` for bundles of
    /// votes: store, then wake the readers (or report evidence).
    fn store_fn(&self, line: usize) -> TokenStream {
        let rt = self.rt;
        let Some(l) = self.p.lines.get(line) else {
            return quote!();
        };
        let f = ident(&field_name(&l.name));
        let t = self.line_ty(line);
        let a = l.arity();
        let al = lit(a);
        let tag = l.name.as_str();
        let fx = self.effects();
        let wakes = self.wakes(line);
        let (key_param, slot) = if a == 0 {
            (quote!(), quote!(self.g0.lines.#f))
        } else {
            (quote!(key: [u64; #al],), quote!(inst.lines.#f))
        };
        let open = if a == 0 {
            quote!()
        } else {
            let open = format_ident!("open{}", a);
            quote!(let Some(inst) = self.#open(key) else { return };)
        };
        let tracker = matches!(self.plan.stores.get(line), Some(Store::Tracker { .. }));
        let wake_all = quote!(#(#wakes)*);
        let body = if tracker {
            if wakes.is_empty() {
                quote!(#rt::vote(&mut #slot, value, from, #tag, out);)
            } else {
                quote!(if #rt::vote(&mut #slot, value, from, #tag, out) { #wake_all })
            }
        } else if l.kind == LineKind::Output {
            let v = ident(&variant_name(&l.name));
            let value = if a == 0 {
                quote!(Output::#v(v.clone()))
            } else {
                quote!(Output::#v { key, value: v.clone() })
            };
            quote! {
                let Some(v) = #rt::store(&mut #slot, value, from, #tag, out) else { return };
                out.output(#value);
                #wake_all
            }
        } else if wakes.is_empty() {
            quote!(#rt::store(&mut #slot, value, from, #tag, out);)
        } else {
            quote!(if #rt::store(&mut #slot, value, from, #tag, out).is_some() { #wake_all })
        };
        let (name, doc) = if tracker {
            (
                format_ident!("vote_{}", field_name(&l.name)),
                format!(
                    " Counts `from`'s vote on `{}`, then wakes its readers.",
                    l.name
                ),
            )
        } else {
            (
                format_ident!("write_{}", field_name(&l.name)),
                format!(" Sets `{}` once, then wakes its readers.", l.name),
            )
        };
        quote! {
            #[doc = #doc]
            fn #name(&mut self, #key_param value: #t, from: #rt::NodeId, out: &mut #fx) {
                #open
                #body
            }
        }
    }

    /// The whole module.
    pub(super) fn module(&self) -> TokenStream {
        let rt = self.rt;
        let p = self.p;
        let gen = self.generics();
        let bounds = self.bounds();
        let modname = ident(&module_name(&p.name));
        let real_rt = self.real_rt;
        let pname = p.name.as_str();
        let params = self.params_type();
        let enums = self.enums();
        let families = self.families_decl();
        let nf = self.n_field();

        // Thresholds computed once.
        let (k_struct, k_field, k_init) = if self.thresholds.is_empty() {
            (quote!(), quote!(), quote!())
        } else {
            let mut fields = Vec::new();
            let mut inits = Vec::new();
            for (lin, name) in &self.thresholds {
                let f = ident(name);
                let doc = format!(" `{lin}`.");
                fields.push(quote!(#[doc = #doc] #f: usize));
                let x = self.param_value(lin, &format!("quorum threshold `{lin}` in range"));
                inits.push(quote!(#f: #x));
            }
            (
                quote! {
                    /// Quorum thresholds, computed once from the parameters.
                    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                    struct Thresholds { #(#fields,)* }
                },
                quote!(#[doc = " Quorum thresholds."] k: Thresholds,),
                quote!(k: Thresholds { #(#inits,)* },),
            )
        };

        let set_windows: Vec<TokenStream> = (1..self.plan.families.len())
            .map(|a| {
                let f = format_ident!("f{}", a);
                quote!(self.#f.set_window(window);)
            })
            .collect();
        let with_window = if set_windows.is_empty() {
            quote!(
                pub fn with_window(self, _window: u64) -> Self {
                    self
                }
            )
        } else {
            quote!(pub fn with_window(mut self, window: u64) -> Self { #(#set_windows)* self })
        };
        let mut fam_fields = Vec::new();
        let mut fam_inits = Vec::new();
        let mut live = Vec::new();
        let mut retained = Vec::new();
        for a in 1..self.plan.families.len() {
            let al = lit(a);
            let f = format_ident!("f{}", a);
            let wake = format_ident!("wake{}", a);
            let inst = self.inst_ty(a);
            let w = lit(self.words(a));
            let doc = format!(" Live instances of the families with {a} number indices.");
            fam_fields.push(quote!(#[doc = #doc] #f: #rt::Family<#al, #inst>));
            fam_fields
                .push(quote!(#[doc = " Instances with dirty tasks."] #wake: #rt::Wakes<#al, #w>));
            let arity_of = |line: &usize| self.p.lines.get(*line).map_or(0, |l| l.arity());
            // Finished instances stay readable where finer families read
            // this one's lines, where another instance does (`x[r - 1]`),
            // or where a coarser rule chooses over this family (an
            // instance may finish in the step that wrote what it reads).
            // A collection over a number dimension (`x[*][i]`, indices
            // `0..n`) reads every instance below `n`, finished ones too.
            let (mut read_finer, mut collected) = (false, false);
            let mut sizes: Vec<rio_lang::arith::Lin> = Vec::new();
            for r in &self.p.rules {
                crate::ir::walk(&r.value, &mut |e| match e {
                    crate::ir::Ex::Ref { line, idx } => {
                        read_finer |= arity_of(line) == a
                            && (r.key_vars().len() > a
                                || idx.iter().any(|i| {
                                    matches!(i, rio_lang::graph::Idx::Num(l) if l.constant != 0)
                                }));
                    }
                    crate::ir::Ex::SelectFamily { of } => {
                        if let crate::ir::Ex::Ref { line, .. } = of.as_ref() {
                            read_finer |= arity_of(line) == a && r.key_vars().len() < a;
                        }
                    }
                    crate::ir::Ex::Collect { votes, .. } => {
                        if let crate::ir::Ex::Ref { line, .. } = votes.as_ref() {
                            if arity_of(line) == a && self.plan.collects_family(self.p, votes) {
                                collected = true;
                                for b in self.plan.family_bounds(self.p, votes).unwrap_or_default()
                                {
                                    if !sizes.contains(&b) {
                                        sizes.push(b);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                });
            }
            if collected {
                // A collection over a number dimension reads every index
                // below the family's bound, finished instances too.
                let mut keep = quote!(#rt::DEFAULT_RETAINED);
                for b in &sizes {
                    let b = self.param_value(b, "a family's index bound in range");
                    keep = quote!(::core::cmp::max(#keep, #b));
                }
                fam_inits.push(quote!(#f: #rt::Family::new().retaining(#keep)));
            } else if read_finer {
                fam_inits.push(quote!(#f: #rt::Family::new().retaining(#rt::DEFAULT_RETAINED)));
            } else {
                fam_inits.push(quote!(#f: #rt::Family::new()));
            }
            fam_inits.push(quote!(#wake: #rt::Wakes::default()));
            live.push(quote!(+ self.#f.live()));
            retained.push(quote!(+ self.#f.retained()));
        }
        let (timer_field, timer_init) = if self.plan.timers.is_empty() {
            (quote!(), quote!())
        } else {
            let maxal = lit(self.plan.max_arity);
            (
                quote!(#[doc = " Armed timers and the instance each belongs to."] timers: #rt::Timers<#maxal>,),
                quote!(timers: #rt::Timers::default(),),
            )
        };
        let w0 = lit(self.words(0));
        let inst0 = self.inst_ty(0);

        let here_fns: Vec<TokenStream> = (0..self.plan.families.len())
            .map(|a| self.here_fn(a))
            .collect();
        let open_fns: Vec<TokenStream> = (0..self.plan.families.len())
            .map(|a| self.open_fn(a))
            .collect();
        let mut store_fns = Vec::new();
        for (k, l) in p.lines.iter().enumerate() {
            let written = l.kind == LineKind::Input || p.rules.iter().any(|r| r.target == k);
            if written {
                store_fns.push(self.store_fn(k));
            }
        }
        let rule_fns: Vec<TokenStream> = p
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| self.rule_fn(k, r))
            .collect();
        let timer_fns: Vec<TokenStream> = (0..self.plan.timers.len())
            .map(|id| self.timer_fn(id))
            .collect();
        let run_fns: Vec<TokenStream> = (0..self.plan.families.len())
            .map(|a| self.run_fn(a))
            .collect();
        let step = self.step_fn();
        let handlers = self.handlers();
        let node_doc = format!(
            " A node of `{}`, projected from the whole-system protocol.",
            p.name
        );
        let mod_doc = format!(
            " Generated by rio-compiler from protocol `{}`. Do not edit.",
            p.name
        );
        // `Votes<T>` in a line's type is the runtime's collection.
        let votes_use = if p
            .lines
            .iter()
            .any(|l| l.ty.split(' ').any(|t| t == "Votes"))
        {
            quote!(use #real_rt::Votes;)
        } else {
            quote!()
        };
        // `Signed<T>` and `Cert<T>`: the runtime's signed values.
        let signed_use = if p
            .lines
            .iter()
            .any(|l| super::signing::mentions_signatures(&l.ty))
        {
            quote!(use #real_rt::{Cert, Signed};)
        } else {
            quote!()
        };
        let purposes = self.scheme_fn();
        quote! {
            #[doc = #mod_doc]
            #[allow(dead_code, unused_imports, unused_parens, non_camel_case_types, clippy::all)]
            pub mod #modname {
                use super::*;
                use ::core::option::Option::{self, None, Some};
                use ::core::result::Result::{self, Err, Ok};
                use #real_rt as rio;
                #votes_use
                #signed_use

                /// The effects a step of this protocol's node produces.
                pub type Effects #gen = rio::Effects<Message #gen, Output #gen>;

                #params
                #enums
                #families
                #k_struct

                #[doc = #node_doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub struct Node #gen {
                    me: #rt::NodeId,
                    params: Params,
                    #k_field
                    /// The lines outside number families.
                    g0: #inst0,
                    /// Dirty tasks of `g0`.
                    dirty0: #rt::Bits<#w0>,
                    #(#fam_fields,)*
                    #timer_field
                }

                impl #bounds Node #gen {
                    /// A node with identity `me`; fails if the parameters break the `where` clause.
                    pub fn new(me: #rt::NodeId, params: Params) -> Result<Self, #rt::ParamError> {
                        params.validate()?;
                        #rt::check_node(#pname, me, params.#nf)?;
                        let g0 = #rt::Instance::new(Lines0::new(params.#nf), Self::here0(me, &params, []), &RULES0);
                        Ok(Node {
                            me,
                            #k_init
                            g0,
                            dirty0: #rt::Bits::EMPTY,
                            #(#fam_inits,)*
                            #timer_init
                            params,
                        })
                    }

                    /// Sets how far ahead of the highest finished instance
                    /// (per index) a peer may open instances (default
                    /// `rio::DEFAULT_WINDOW`); keys beyond are refused as
                    /// evidence.
                    #with_window

                    /// Live instances of number families (for memory checks).
                    pub fn live_instances(&self) -> usize {
                        0 #(#live)*
                    }

                    /// Instance keys retained: live ones plus finished ones
                    /// above the low-water mark (for memory checks).
                    pub fn retained(&self) -> usize {
                        0 #(#retained)*
                    }

                    #(#here_fns)*
                    #(#open_fns)*
                    #(#store_fns)*
                    #(#rule_fns)*
                    #(#timer_fns)*
                    #(#run_fns)*
                    #step
                    #purposes
                }

                #handlers
            }
        }
    }
}

/// `i128::from(x) - c` as tokens, written `+ |c|` when `c` is negative.
fn shift(x: TokenStream, c: i64) -> TokenStream {
    let m = proc_macro2::Literal::i128_suffixed(i128::from(c.unsigned_abs()));
    if c < 0 {
        quote!(i128::from(#x) + #m)
    } else {
        quote!(i128::from(#x) - #m)
    }
}
