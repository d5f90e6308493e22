//! Rules and timer starters as methods, the per-family task dispatch and
//! the step loop of a generated node.

use super::expr::{local, Cx, Place};
use super::names::{const_name, field_name, ident, variant_name};
use super::node::lit;
use super::plan::{bug, Task};
use super::Gen;
use crate::ir::{Cross, Rule};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use rio_lang::graph::IdxPat;

impl Gen<'_> {
    pub(super) fn target_key(&self, r: &Rule) -> TokenStream {
        let rt = self.rt;
        let Some(l) = self.p.lines.get(r.target) else {
            return quote!([]);
        };
        let mut parts = Vec::new();
        for (d, kind) in l.dims.iter().enumerate() {
            if *kind != rio_lang::graph::DimKind::Number {
                continue;
            }
            match r.pattern.get(d) {
                Some(IdxPat::Var { name, offset: 0 }) => {
                    let v = local(name);
                    parts.push(quote!(#v));
                }
                Some(IdxPat::Var { name, offset }) => {
                    let v = local(name);
                    let o = Literal::i128_unsuffixed(i128::from(*offset));
                    parts.push(quote!(#rt::family::index(i128::from(#v) + #o)?));
                }
                Some(IdxPat::Const(c)) => {
                    let c = Literal::u64_unsuffixed(*c);
                    parts.push(quote!(#c));
                }
                _ => {
                    self.report(bug(r.span, "a definition target without its number index"));
                }
            }
        }
        quote!([#(#parts),*])
    }

    pub(super) fn rule_fn(&self, k: usize, r: &Rule) -> TokenStream {
        let rt = self.rt;
        let cx = Cx {
            rule: r,
            place: Place::Method,
        };
        let name = self.rule_ident(k);
        let a = r.key_vars().len();
        let al = lit(a);
        let fx = self.effects();
        let Some(target) = self.p.lines.get(r.target) else {
            self.report(bug(r.span, "a rule without its target line"));
            return quote!();
        };
        let value = self.val(&r.value, &cx);
        let tkey = self.target_key(r);
        let variant = ident(&variant_name(&target.name));
        let msg = if target.arity() == 0 {
            quote!(Message::#variant(value))
        } else {
            quote!(Message::#variant { key: #tkey, value })
        };
        let effect = match &r.cross {
            Cross::Local => {
                let w = format_ident!("write_{}", field_name(&target.name));
                let key = if target.arity() == 0 {
                    quote!()
                } else {
                    quote!(#tkey,)
                };
                quote!(self.#w(#key value, self.me, out);)
            }
            Cross::Broadcast => quote!(out.send(#rt::Dest::All, #msg);),
            Cross::Link(to) => {
                let to = self.node(to, &cx);
                quote!(let to = #to; out.send(#rt::Dest::One(to), #msg);)
            }
        };
        let doc = format!(
            " `{}` (line {})",
            r.source.lines().next().unwrap_or("").trim(),
            r.line_no
        );
        let (key_param, bind) = if a == 0 {
            (quote!(), quote!())
        } else {
            (
                quote!(key: [u64; #al],),
                cx.bind_key(&quote!(#value #effect)),
            )
        };
        quote! {
            #[doc = #doc]
            fn #name(&mut self, #key_param out: &mut #fx) -> Option<()> {
                #bind
                let value = #value;
                #effect
                Some(())
            }
        }
    }

    pub(super) fn timer_fn(&self, id: usize) -> TokenStream {
        let rt = self.rt;
        let Some(t) = self.plan.timers.get(id) else {
            return quote!();
        };
        let Some(r) = self.p.rules.get(t.rule) else {
            return quote!();
        };
        let cx = Cx {
            rule: r,
            place: Place::Method,
        };
        let a = t.arity;
        let al = lit(a);
        let field = self.timer_field(id);
        let name = format_ident!("start_{}", field);
        let tconst = format_ident!(
            "{}",
            const_name(&self.timer_names.get(id).cloned().unwrap_or_default())
        );
        let arg = self.val(&t.arg, &cx);
        let ms = if t.ms.is_constant() && t.ms.constant >= 0 {
            let c = Literal::u64_unsuffixed(t.ms.constant.unsigned_abs());
            quote!(#c)
        } else {
            let x = self.num(&t.ms, &cx);
            quote!(#rt::family::index(#x)?)
        };
        let fx = self.effects();
        let (key_param, bind, inst) = if a == 0 {
            (quote!(), quote!(), quote!(let inst = &mut self.g0;))
        } else {
            let f = format_ident!("f{}", a);
            (
                quote!(key: [u64; #al],),
                cx.bind_key(&quote!(#arg #ms)),
                quote!(let inst = self.#f.get_mut(&key)?;),
            )
        };
        let key_arg = if a == 0 { quote!(&[]) } else { quote!(&key) };
        let doc = format!(
            " Starts the timer of `{}` once its argument is available.",
            r.source.lines().next().unwrap_or("").trim()
        );
        quote! {
            #[doc = #doc]
            fn #name(&mut self, #key_param out: &mut #fx) -> Option<()> {
                #bind
                let _ = #arg;
                let ms = #ms;
                #inst
                inst.lines.#field = #rt::TimerState::Armed;
                let id = self.timers.arm(#tconst, #key_arg);
                out.set_timer(id, ms);
                Some(())
            }
        }
    }

    /// `run{a}`: runs one task; whether it fired.
    pub(super) fn run_fn(&self, a: usize) -> TokenStream {
        let al = lit(a);
        let Some(fam) = self.plan.families.get(a) else {
            return quote!();
        };
        let fx = self.effects();
        let name = format_ident!("run{}", a);
        let arms: Vec<TokenStream> = (0..fam.tasks.len())
            .map(|t| {
                let c = self.task_const(a, t);
                let key = if a == 0 { quote!() } else { quote!(key,) };
                let call = match fam.tasks.get(t) {
                    Some(Task::Rule(k)) => {
                        let f = self.rule_ident(*k);
                        quote!(self.#f(#key out).is_some())
                    }
                    Some(Task::Timer(id)) => {
                        let f = format_ident!("start_{}", self.timer_field(*id));
                        quote!(self.#f(#key out).is_some())
                    }
                    None => quote!(false),
                };
                quote!(#c => #call,)
            })
            .collect();
        let key_param = if a == 0 {
            quote!()
        } else if arms.is_empty() {
            // A family of inputs only (`x[c][s]` read by a coarser rule).
            quote!(_key: [u64; #al],)
        } else {
            quote!(key: [u64; #al],)
        };
        let out_arg = if arms.is_empty() {
            quote!(_out)
        } else {
            quote!(out)
        };
        quote! {
            /// Runs task `task`; whether it fired.
            #[inline(always)]
            fn #name(&mut self, task: usize, #key_param #out_arg: &mut #fx) -> bool {
                match task {
                    #(#arms)*
                    _ => false,
                }
            }
        }
    }

    /// The step loop: runs dirty tasks until none is left, freeing
    /// finished instances.
    pub(super) fn step_fn(&self) -> TokenStream {
        let fx = self.effects();
        let mut branches = Vec::new();
        let idle: Vec<TokenStream> = (1..self.plan.families.len())
            .map(|a| {
                let wake = format_ident!("wake{}", a);
                quote!(self.#wake.is_empty())
            })
            .collect();
        for a in 1..self.plan.families.len() {
            let f = format_ident!("f{}", a);
            let wake = format_ident!("wake{}", a);
            let run = format_ident!("run{}", a);
            branches.push(quote! {
                if let Some((key, tasks)) = self.#wake.pop() {
                    let Some(inst) = self.#f.get(&key) else { continue };
                    let mut tasks = inst.pending(&tasks);
                    while let Some(t) = tasks.pop_first() {
                        if self.#run(t, key, out) {
                            if let Some(inst) = self.#f.get_mut(&key) {
                                inst.fired.insert(t);
                            }
                        }
                    }
                    if self.#f.get(&key).is_some_and(|i| i.is_finished()) {
                        self.#f.finish(key);
                    }
                    continue;
                }
            });
        }
        quote! {
            /// Runs dirty tasks until none is left (a task that fires wakes
            /// the tasks reading what it wrote), freeing finished instances.
            /// The common case — nothing runnable — returns at once.
            #[inline(always)]
            fn step(&mut self, out: &mut #fx) {
                if self.g0.pending(&self.dirty0).is_empty() #(&& #idle)* {
                    self.dirty0 = rio::Bits::EMPTY;
                    return;
                }
                self.run_dirty(out);
            }

            #[inline(always)]
            fn run_dirty(&mut self, out: &mut #fx) {
                loop {
                    let mut tasks = self.g0.pending(&::core::mem::take(&mut self.dirty0));
                    if !tasks.is_empty() {
                        while let Some(t) = tasks.pop_first() {
                            if self.run0(t, out) {
                                self.g0.fired.insert(t);
                            }
                        }
                        continue;
                    }
                    #(#branches)*
                    break;
                }
            }
        }
    }
}
