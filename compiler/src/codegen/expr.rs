//! Expressions: a rule's value as Rust code, and the arithmetic of keys,
//! thresholds and leaders (exact `i128` arithmetic, range-checked where it
//! becomes an index or a node, so a key sent by a peer cannot overflow).

use super::names::{field_name, ident};
use super::plan::{bug, Store};
use super::Gen;
use crate::ir::{Ex, Rule};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use rio_lang::arith::Lin;
use rio_lang::ast::ParamKind;
use rio_lang::graph::{DimKind, Idx, NodeTerm};

/// Locals generated functions use; loop variables with these names are
/// bound as `v_<name>` instead.
const TAKEN: &[&str] = &[
    "key", "value", "out", "from", "me", "params", "here", "inst", "i", "n", "k", "id",
];

/// Where generated code runs: a method (`self.params`) or a free function
/// of the node's identity and parameters (`params`).
#[derive(Clone, Copy, PartialEq)]
pub enum Place {
    Method,
    Free,
}

/// What [`Gen::family_read`] finds: `self.#fam.iter_readable() #filter`
/// yields the instances, `i.lines.#field` the line, `k[stars[..]]` the
/// starred indices.
struct FamilyRead {
    fam: syn::Ident,
    field: syn::Ident,
    filter: TokenStream,
    stars: Vec<usize>,
}

/// The context of one rule's code.
pub struct Cx<'r> {
    pub rule: &'r Rule,
    pub place: Place,
}

/// Every identifier in `ts` (iteratively).
pub fn idents(ts: &TokenStream) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![ts.clone()];
    while let Some(ts) = stack.pop() {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => stack.push(g.stream()),
                _ => {}
            }
        }
    }
    out
}

/// The local a loop variable is bound to.
pub fn local(var: &str) -> syn::Ident {
    if TAKEN.contains(&var) {
        format_ident!("v_{}", var)
    } else {
        ident(var)
    }
}

impl Cx<'_> {
    /// `let [h, r] = key;` for the rule's number loop variables that
    /// `body` uses (`_` for the others; nothing if it uses none).
    pub fn bind_key(&self, body: &TokenStream) -> TokenStream {
        let used = idents(body);
        let vars: Vec<syn::Ident> = self.rule.key_vars().iter().map(|v| local(v)).collect();
        if !vars.iter().any(|v| used.contains(&v.to_string())) {
            return quote!();
        }
        let pats = vars.iter().map(|v| {
            if used.contains(&v.to_string()) {
                quote!(#v)
            } else {
                quote!(_)
            }
        });
        quote!(let [#(#pats),*] = key;)
    }
    fn params(&self) -> TokenStream {
        match self.place {
            Place::Method => quote!(self.params),
            Place::Free => quote!(params),
        }
    }
    fn me(&self) -> TokenStream {
        match self.place {
            Place::Method => quote!(self.me),
            Place::Free => quote!(me),
        }
    }
}

impl Gen<'_> {
    /// Linear arithmetic as an exact `i128` expression (the plan bounds
    /// coefficients so it cannot overflow).
    pub fn num(&self, l: &Lin, cx: &Cx<'_>) -> TokenStream {
        let params = cx.params();
        let keys = cx.rule.key_vars();
        let mut terms: Vec<(i64, TokenStream)> = Vec::new();
        for (v, c) in &l.coeffs {
            // A floor division (`n / 2`): its definition, exactly, then
            // `div_euclid` by a positive constant (cannot overflow).
            if let Some((def, d)) = l.divs.get(v) {
                let inner = self.num(
                    &Lin {
                        divs: l.divs.clone(),
                        ..def.clone()
                    },
                    cx,
                );
                let d = proc_macro2::Literal::i128_suffixed(i128::from(*d));
                terms.push((*c, quote!((#inner).div_euclid(#d))));
                continue;
            }
            let var = match self.p.params.iter().find(|(_, n)| n == v) {
                Some((ParamKind::Nodes | ParamKind::Faults, _)) => {
                    let f = ident(v);
                    quote!((#params.#f as i128))
                }
                _ if keys.contains(&v.as_str()) => {
                    let x = local(v);
                    quote!(i128::from(#x))
                }
                _ => {
                    self.report(bug(
                        cx.rule.span,
                        &format!("`{v}` is neither a parameter nor a loop variable here"),
                    ));
                    quote!(0i128)
                }
            };
            terms.push((*c, var));
        }
        let mut out = TokenStream::new();
        for (k, (c, var)) in terms.iter().enumerate() {
            let mag = c.unsigned_abs();
            let term = if mag == 1 {
                var.clone()
            } else {
                let m = proc_macro2::Literal::i128_unsuffixed(i128::from(mag));
                quote!(#m * #var)
            };
            out = match (k, *c < 0) {
                (0, false) => term,
                (0, true) => quote!(-#term),
                (_, false) => quote!(#out + #term),
                (_, true) => quote!(#out - #term),
            };
        }
        let c = l.constant;
        let lit = proc_macro2::Literal::i128_unsuffixed(i128::from(c.unsigned_abs()));
        match (terms.is_empty(), c) {
            (true, _) => {
                let lit = proc_macro2::Literal::i128_suffixed(i128::from(c));
                quote!(#lit)
            }
            (false, 0) => out,
            (false, c) if c > 0 => quote!(#out + #lit),
            (false, _) => quote!(#out - #lit),
        }
    }

    /// A node term as a `NodeId` expression (may use `?`).
    pub fn node(&self, t: &NodeTerm, cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        let params = cx.params();
        match t {
            NodeTerm::Param(p) => {
                let f = ident(p);
                quote!(#params.#f)
            }
            NodeTerm::Var(_) => cx.me(),
            NodeTerm::Leader(l) => {
                let x = self.num(l, cx);
                let n = self.n_field();
                quote!(#rt::family::leader(#x, #params.#n)?)
            }
        }
    }

    /// The instance key of `line` as read with `idx` (may use `?`): `key`
    /// itself when the reference names the rule's own instance.
    pub fn ref_key(&self, line: usize, idx: &[Idx], cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        let Some(l) = self.p.lines.get(line) else {
            self.report(bug(cx.rule.span, "a reference to a missing line"));
            return quote!([]);
        };
        let keys = cx.rule.key_vars();
        let mut parts = Vec::new();
        let mut identity = l.arity() == keys.len();
        let mut q = 0;
        for (d, kind) in l.dims.iter().enumerate() {
            if *kind != DimKind::Number {
                continue;
            }
            match idx.get(d) {
                Some(Idx::Num(lin)) => {
                    let own =
                        lin.constant == 0
                            && lin.coeffs.len() == 1
                            && lin.coeffs.iter().next().is_some_and(|(v, c)| {
                                *c == 1 && keys.get(q).is_some_and(|k| k == v)
                            });
                    identity &= own;
                    let simple = lin.constant == 0
                        && lin.coeffs.len() == 1
                        && lin.coeffs.values().all(|c| *c == 1)
                        && lin.coeffs.keys().all(|v| keys.contains(&v.as_str()));
                    if simple {
                        let v = lin
                            .coeffs
                            .keys()
                            .next()
                            .map_or_else(|| local(""), |v| local(v));
                        parts.push(quote!(#v));
                    } else {
                        let x = self.num(lin, cx);
                        parts.push(quote!(#rt::family::index(#x)?));
                    }
                }
                _ => {
                    self.report(bug(cx.rule.span, "a reference without a number index"));
                    identity = false;
                }
            }
            q += 1;
        }
        if identity {
            quote!(key)
        } else {
            quote!([#(#parts),*])
        }
    }

    /// The instance holding `line` as read with `idx`: an expression of the
    /// instance's type (may use `?`).
    fn inst(&self, line: usize, idx: &[Idx], cx: &Cx<'_>) -> TokenStream {
        let a = self.p.lines.get(line).map_or(0, |l| l.arity());
        if a == 0 {
            return quote!(self.g0);
        }
        let key = self.ref_key(line, idx, cx);
        let f = format_ident!("f{}", a);
        let other = key.to_string() != "key";
        if a < cx.rule.key_vars().len() || other {
            // A coarser instance (a round reading its height's line), or
            // another instance of the family (`x[r - 1]`), may have
            // finished here while this one runs: it stays readable.
            quote!(self.#f.get_or_retired(&#key)?)
        } else {
            quote!(self.#f.get(&#key)?)
        }
    }

    /// `collect(?, k, x[*][i])` over a number dimension: the values of the
    /// instances whose starred index is below the family's index bound
    /// (the largest of its definitions' loop bounds), from the live and the
    /// readable finished instances, as `Votes` with the index in place of
    /// the sender; the lowest `k` indices once `k` are available.
    fn collect_family(&self, k: &Lin, votes: &Ex, cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        let Some(fr) = self.family_read(votes, cx) else {
            return quote!(None?);
        };
        let ([star], (fam, f, filter)) = (fr.stars.as_slice(), (fr.fam, fr.field, fr.filter))
        else {
            self.report(bug(
                cx.rule.span,
                "a family collection without exactly one star",
            ));
            return quote!(None?);
        };
        let k = self.threshold_value(k, cx);
        let Some(sizes) = self.plan.family_bounds(self.p, votes) else {
            self.report(bug(
                cx.rule.span,
                "a family collection without index bounds",
            ));
            return quote!(None?);
        };
        let mut bound: Option<TokenStream> = None;
        for s in &sizes {
            let s = self.threshold_value(s, cx);
            bound = Some(match bound {
                Some(b) => quote!(::core::cmp::max(#b, #s)),
                None => s,
            });
        }
        quote!(#rt::family::collect_indices(
            self.#fam.iter_readable() #filter .map(|(k, i)| (k[#star], i.lines.#f.as_ref())),
            #bound,
            #k,
        )?)
    }

    /// A threshold's value: the precomputed field, or computed here.
    /// Whether choice option `o` of rule `r` reads only lines of
    /// instances that enclose the rule's own (a read naming fewer of the
    /// rule's loop variables, or no line at all). Such an option, when
    /// available, became available no later than any option that reads
    /// the rule's own instance: the rule's instance may open after it (a
    /// later message, an unbounded family), and would otherwise see the
    /// two as a tie and let the chooser take the newer one. When both are
    /// available it is taken first (spec/language.md, "Built-in
    /// components"). Options with timers, coins or reads over a family's
    /// instances count as the rule's own.
    fn outer_option(&self, o: &Ex, r: &Rule) -> bool {
        let keys = r.key_vars();
        if keys.is_empty() {
            return false;
        }
        let mut outer = true;
        crate::ir::walk(o, &mut |e| match e {
            Ex::Ref { line, idx } => {
                let dims = self
                    .p
                    .lines
                    .get(*line)
                    .map(|l| l.dims.as_slice())
                    .unwrap_or(&[]);
                let mut named = std::collections::BTreeSet::new();
                for (d, i) in idx.iter().enumerate() {
                    match i {
                        Idx::Num(l) => named.extend(l.free_vars()),
                        Idx::Star if dims.get(d) == Some(&DimKind::Number) => outer = false,
                        _ => {}
                    }
                }
                if keys.iter().all(|k| named.contains(k)) {
                    outer = false;
                }
            }
            Ex::Timer { .. } | Ex::Coin(_) | Ex::SelectFamily { .. } | Ex::Gather { .. } => {
                outer = false
            }
            _ => {}
        });
        outer
    }

    fn threshold_value(&self, k: &Lin, cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        match self.threshold_field(k) {
            Some(field) => quote!(self.k.#field),
            None => {
                let x = self.num(k, cx);
                quote!(#rt::family::threshold(#x)?)
            }
        }
    }

    /// A read over a family's instances (`x[h][*][i]`): the family field,
    /// the line's field, the filter on the named number indices and the
    /// key positions of the starred ones. `None` (reported) if `e` is not a
    /// line.
    fn family_read(&self, e: &Ex, cx: &Cx<'_>) -> Option<FamilyRead> {
        let Ex::Ref { line, idx } = e else {
            self.report(bug(
                cx.rule.span,
                "a family read of something other than a line",
            ));
            return None;
        };
        let l = self.p.lines.get(*line)?;
        let mut conds = Vec::new();
        let mut stars = Vec::new();
        let mut pos = 0usize;
        for (d, kind) in l.dims.iter().enumerate() {
            if *kind != DimKind::Number {
                continue;
            }
            match idx.get(d) {
                Some(Idx::Num(lin)) => {
                    let x = self.num(lin, cx);
                    conds.push(quote!(i128::from(k[#pos]) == #x));
                }
                Some(Idx::Star) => stars.push(pos),
                _ => {}
            }
            pos += 1;
        }
        let filter = if conds.is_empty() {
            quote!()
        } else {
            quote!(.filter(|(k, _)| #(#conds)&&*))
        };
        Some(FamilyRead {
            fam: format_ident!("f{}", l.arity()),
            field: self.line_field(*line),
            filter,
            stars,
        })
    }

    fn line_field(&self, line: usize) -> syn::Ident {
        ident(&field_name(
            self.p.lines.get(line).map_or("", |l| l.name.as_str()),
        ))
    }

    /// The value of `e` as an expression of its Rust type; unavailable
    /// inputs leave the enclosing function with `None` (`?`).
    pub fn val(&self, e: &Ex, cx: &Cx<'_>) -> TokenStream {
        let rt = self.rt;
        match e {
            Ex::Ref { line, idx } => {
                let inst = self.inst(*line, idx, cx);
                let f = self.line_field(*line);
                match self.plan.stores.get(*line) {
                    Some(Store::Tracker { dim }) => match idx.get(*dim) {
                        Some(Idx::Node(t)) => {
                            let node = self.node(t, cx);
                            quote!(#inst.lines.#f.get(#node)?.clone())
                        }
                        _ => {
                            self.report(bug(cx.rule.span, "a bundle of votes read as one value"));
                            quote!(None?)
                        }
                    },
                    _ => quote!(#inst.lines.#f.clone()?),
                }
            }
            Ex::NodeId(t) => self.node(t, cx),
            Ex::Const { ty, code } => {
                let t = self.ty(ty, cx.rule);
                let code = match syn::parse_str::<syn::Expr>(code) {
                    Ok(c) => quote!(#c),
                    Err(_) => {
                        self.report(bug(cx.rule.span, "a checked Rust constant does not parse"));
                        quote!(())
                    }
                };
                quote!({ let c: #t = #code; c })
            }
            Ex::Fn { name, args } => {
                let f = ident(name);
                let vals: Vec<TokenStream> = args.iter().map(|a| self.val(a, cx)).collect();
                quote!(super::#f(#(#vals),*))
            }
            Ex::Collect { k, votes } if self.plan.collects_family(self.p, votes) => {
                self.collect_family(k, votes, cx)
            }
            Ex::Quorum { k, votes, .. } | Ex::Collect { k, votes } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    self.report(bug(
                        cx.rule.span,
                        "a quorum over something other than a line",
                    ));
                    return quote!(None?);
                };
                let inst = self.inst(*line, idx, cx);
                let f = self.line_field(*line);
                let k = self.threshold_value(k, cx);
                if matches!(e, Ex::Collect { .. }) {
                    quote!(#inst.lines.#f.first(#k)?)
                } else {
                    quote!(#inst.lines.#f.reached(#k)?.clone())
                }
            }
            Ex::Cert { k, votes } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    self.report(bug(
                        cx.rule.span,
                        "a certificate over something other than a line",
                    ));
                    return quote!(None?);
                };
                let Some(purpose) = self.cert_purpose(*line, cx.rule.span) else {
                    return quote!(None?);
                };
                let inst = self.inst(*line, idx, cx);
                let key = if self.p.lines.get(*line).map_or(0, |l| l.arity()) == 0 {
                    quote!([])
                } else {
                    self.ref_key(*line, idx, cx)
                };
                let f = self.line_field(*line);
                let k = match self.threshold_field(k) {
                    Some(field) => quote!(self.k.#field),
                    None => {
                        self.report(super::plan::unsupported(
                            cx.rule.span,
                            format!(
                                "a certificate threshold `{k}` that depends on a loop variable"
                            ),
                        ));
                        return quote!(None?);
                    }
                };
                quote!(#inst.lines.#f.certified(#k, #purpose, &#key)?)
            }
            Ex::Gather { votes, deadline } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    self.report(bug(
                        cx.rule.span,
                        "a gather over something other than a line",
                    ));
                    return quote!(None?);
                };
                let d = self.val(deadline, cx);
                let inst = self.inst(*line, idx, cx);
                let f = self.line_field(*line);
                // Once the deadline is available: every vote present then.
                quote!({ let _ = #d; #inst.lines.#f.all() })
            }
            Ex::Sign(a) => {
                let a = self.val(a, cx);
                let Some(purpose) = self
                    .p
                    .rules
                    .iter()
                    .position(|r| std::ptr::eq(r, cx.rule))
                    .and_then(|k| self.purpose_of_rule(k))
                else {
                    self.report(bug(cx.rule.span, "a signing rule without its purpose"));
                    return quote!(None?);
                };
                let tkey = self.target_key(cx.rule);
                let me = cx.me();
                let protocol = self.p.name.as_str();
                quote!({
                    let value = #a;
                    #rt::Signed::sign(out.crypto(), #protocol, #purpose, &#tkey, #me, value)?
                })
            }
            Ex::Payload(a) => {
                let a = self.val(a, cx);
                quote!(#a.into_value())
            }
            Ex::SelectFamily { of } => {
                let Some(FamilyRead {
                    fam, field, filter, ..
                }) = self.family_read(of, cx)
                else {
                    return quote!(None?);
                };
                // Finished instances too: an instance can finish in the step
                // that wrote the value this choice reads.
                quote!(self.#fam.iter_readable() #filter .find_map(|(_, i)| i.lines.#field.clone())?)
            }
            Ex::Select { options } => {
                let names: Vec<syn::Ident> = (0..options.len())
                    .map(|k| format_ident!("o{}", k))
                    .collect();
                let vals: Vec<TokenStream> = options
                    .iter()
                    .map(|o| {
                        let v = self.val(o, cx);
                        quote!((|| Some(#v))())
                    })
                    .collect();
                let idxs: Vec<proc_macro2::Literal> = (0..options.len())
                    .map(proc_macro2::Literal::usize_unsuffixed)
                    .collect();
                let point = self
                    .p
                    .lines
                    .get(cx.rule.target)
                    .map_or("", |l| l.name.as_str());
                let me = cx.me();
                // Options over enclosing instances only come first when
                // available (see `outer_option`); only a choice that mixes
                // both kinds says so.
                let outer: Vec<bool> = options
                    .iter()
                    .map(|o| self.outer_option(o, cx.rule))
                    .collect();
                let mixed = outer.iter().any(|o| *o) && outer.iter().any(|o| !*o);
                let available: Vec<TokenStream> = names
                    .iter()
                    .zip(&outer)
                    .map(|(x, o)| {
                        if mixed && !*o {
                            quote!(#x.is_some() && !earlier)
                        } else {
                            quote!(#x.is_some())
                        }
                    })
                    .collect();
                let earlier = if mixed {
                    let outs = names.iter().zip(&outer).filter_map(|(x, o)| o.then_some(x));
                    quote!(let earlier = #(#outs.is_some())||*;)
                } else {
                    quote!()
                };
                quote!({
                    #(let #names = #vals;)*
                    if #(#names.is_none())&&* {
                        return None;
                    }
                    #earlier
                    match out.choose(#me, #point, &[#(#available),*]) {
                        #(#idxs => #names,)*
                        _ => None,
                    }?
                })
            }
            Ex::Sync(a, b) => {
                let (a, b) = (self.val(a, cx), self.val(b, cx));
                quote!({ let value = #a; let _ = #b; value })
            }
            Ex::Pair(a, b) => {
                let (a, b) = (self.val(a, cx), self.val(b, cx));
                quote!((#a, #b))
            }
            Ex::Some(a) => {
                let a = self.val(a, cx);
                quote!(#a?)
            }
            Ex::Num(l) => {
                // Parameters and loop variables are never negative and fit
                // in u64; the conversion is checked all the same.
                let v = self.num(l, cx);
                quote!(u64::try_from(#v).ok()?)
            }
            Ex::Coin(a) => {
                let a = self.val(a, cx);
                let point = self
                    .p
                    .lines
                    .get(cx.rule.target)
                    .map_or("", |l| l.name.as_str());
                let me = cx.me();
                quote!({ let _ = #a; out.coin(#me, #point) })
            }
            Ex::Timer { id, arg, delay, .. } => {
                let state = self.timer_field(*id);
                let own = if cx.rule.key_vars().is_empty() {
                    quote!(self.g0)
                } else {
                    let f = format_ident!("f{}", cx.rule.key_vars().len());
                    quote!(self.#f.get(&key)?)
                };
                let fired = quote!(if #own.lines.#state != #rt::TimerState::Fired { return None; });
                if *delay {
                    let a = self.val(arg, cx);
                    quote!({ #fired #a })
                } else {
                    quote!({ #fired })
                }
            }
        }
    }
}
