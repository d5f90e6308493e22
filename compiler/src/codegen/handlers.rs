//! The runtime trait implementation of a generated node: the handlers of
//! the start event, inputs, messages (with sender authentication) and
//! timers.

use super::expr::{Cx, Place};
use super::names::{const_name, field_name, ident, variant_name};
use super::node::lit;
use super::plan::{unsupported, KeyMap, Store, Task};
use super::Gen;
use crate::ir::{Cross, Ex};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use rio_lang::graph::{LineDomain, LineKind, NodeTerm};

impl Gen<'_> {
    /// Whether this node is `leader(e)` of an input's key (`e` over the
    /// line's indices `#k`, all of them numbers: an input is never bundled
    /// over senders).
    fn input_at_leader(&self, l: &crate::ir::Line, lin: &rio_lang::arith::Lin) -> TokenStream {
        let rt = self.rt;
        let keys: Vec<String> = (0..l.dims.len()).map(|k| format!("in_key{k}")).collect();
        let renamed = lin.checked_subst(&|v| {
            v.strip_prefix('#')
                .and_then(|k| k.parse::<usize>().ok())
                .and_then(|k| keys.get(k))
                .map(|k| rio_lang::arith::Lin::var(k))
        });
        let all_numbers = l
            .dims
            .iter()
            .all(|d| *d == rio_lang::graph::DimKind::Number);
        let (Some(renamed), true) = (renamed, all_numbers) else {
            self.report(unsupported(
                l.span,
                format!("input `{}` at `leader({lin})`", l.name),
            ));
            return quote!(false);
        };
        // The key's variables, as a rule of their own would name them.
        let rule = crate::ir::Rule {
            target: 0,
            pattern: Vec::new(),
            loops: keys
                .iter()
                .map(|k| (k.clone(), rio_lang::ast::Range::Numbers))
                .collect(),
            value: Ex::Num(renamed.clone()),
            exec: NodeTerm::Leader(renamed.clone()),
            cross: Cross::Local,
            bounds: Vec::new(),
            source: String::new(),
            line_no: 0,
            span: l.span,
        };
        let cx = Cx {
            rule: &rule,
            place: Place::Method,
        };
        let x = self.num(&renamed, &cx);
        let bind = cx.bind_key(&x);
        let n = self.n_field();
        quote!({ #bind #rt::family::leader(#x, self.params.#n) == Some(self.me) })
    }

    /// For the one rule producing a message line inside bounded loops,
    /// with the key being its loop variables (no offsets): the condition
    /// that a received key lies below the bounds. `None` otherwise (no
    /// bounds, several producers, shifted targets).
    fn key_in_bounds(&self, r: &crate::ir::Rule, cx: &Cx<'_>) -> Option<TokenStream> {
        if r.bounds.is_empty()
            || self.p.rules.iter().filter(|x| x.target == r.target).count() != 1
            || r.pattern
                .iter()
                .any(|x| !matches!(x, rio_lang::graph::IdxPat::Var { offset: 0, .. }))
        {
            return None;
        }
        let conds: Vec<TokenStream> = r
            .bounds
            .iter()
            .map(|(v, e)| {
                let var = self.num(&rio_lang::arith::Lin::var(v), cx);
                let bound = self.num(e, cx);
                quote!((#var) < (#bound))
            })
            .collect();
        let check = quote!(#(#conds)&&*);
        let bind = cx.bind_key(&check);
        Some(quote!({ #bind #check }))
    }

    pub(super) fn handlers(&self) -> TokenStream {
        let rt = self.rt;
        // Rules of bounded families that read no line (a constant per
        // instance, `c[r] = { 7 } at leader(r)` in `for r in 0..n`): every
        // instance below the bounds is opened on start, as the rules
        // outside families run there.
        let mut start_bounded = Vec::new();
        for (a, fam) in self.plan.families.iter().enumerate().skip(1) {
            for t in 0..fam.tasks.len() {
                // A rule that waits on its own timer reads what starts it.
                if !self.plan.is_constant(self.p, a, t) {
                    continue;
                }
                if let Some(stmt) = self.opened_by_bounds(a, t, &[]) {
                    start_bounded.push(stmt);
                }
            }
        }
        // Constants of unbounded families read from outside any family.
        start_bounded.extend(self.const_opens(0));
        let gen = self.generics();
        let fx = self.effects();
        // Inputs.
        let mut in_arms = Vec::new();
        for l in self.p.lines.iter().filter(|l| l.kind == LineKind::Input) {
            let v = ident(&variant_name(&l.name));
            let w = format_ident!("write_{}", field_name(&l.name));
            let (pat, key) = if l.arity() == 0 {
                (quote!(Input::#v(value)), quote!())
            } else {
                (quote!(Input::#v { key, value }), quote!(key,))
            };
            let here = match &l.domain {
                LineDomain::Param(pn) => {
                    let f = ident(pn);
                    quote!(self.me == self.params.#f)
                }
                LineDomain::Dim(_) => quote!(true),
                LineDomain::Leader(lin) => self.input_at_leader(l, lin),
            };
            in_arms.push(quote!(#pat => if #here { self.#w(#key value, self.me, out); }));
        }
        if !self.phantom_free(LineKind::Input) {
            in_arms.push(quote!(Input::__Phantom(never, _) => match never {},));
        }
        // Messages.
        let mut msg_arms = Vec::new();
        // `is_spent`: keys above the window may open later, so they are
        // never spent; everything else is spent iff a no-op now.
        let mut spent_arms = Vec::new();
        for (r, l) in self.message_lines() {
            let cx = Cx {
                rule: r,
                place: Place::Method,
            };
            let v = ident(&variant_name(&l.name));
            let a = l.arity();
            let (pat, key) = if a == 0 {
                (quote!(Message::#v(value)), quote!())
            } else {
                (quote!(Message::#v { key, value }), quote!(key,))
            };
            let tag = l.name.as_str();
            // Only the node the rule runs at may send it.
            let auth = match &r.exec {
                NodeTerm::Var(_) => quote!(),
                NodeTerm::Param(pn) => {
                    let f = ident(pn);
                    quote!(if from != self.params.#f { out.faulty(from, #tag); return; })
                }
                NodeTerm::Leader(lin) => {
                    // The leader is computed from the message's key (the
                    // plan refuses leader-run rules with shifted indices, so
                    // the key is the rule's own).
                    let x = self.num(lin, &cx);
                    let bind = cx.bind_key(&x);
                    let n = self.n_field();
                    quote! {
                        #bind
                        if #rt::family::leader(#x, self.params.#n) != Some(from) {
                            out.faulty(from, #tag);
                            return;
                        }
                    }
                }
            };
            let store = match self.plan.stores.get(r.target) {
                Some(Store::Tracker { .. }) => {
                    let f = format_ident!("vote_{}", field_name(&l.name));
                    quote!(self.#f(#key value, from, out);)
                }
                _ => {
                    let f = format_ident!("write_{}", field_name(&l.name));
                    quote!(self.#f(#key value, from, out);)
                }
            };
            // A peer may only open instances within the window of progress.
            let window = if a == 0 {
                quote!()
            } else {
                let fam = format_ident!("f{}", a);
                quote!(if !self.#fam.in_window(&key) { out.faulty(from, #tag); return; })
            };
            // A collection of votes names its senders: they must be nodes.
            let senders = if l.ty.starts_with("Votes <") {
                let n = self.n_field();
                quote!(if !value.well_formed(self.params.#n) { out.faulty(from, #tag); return; })
            } else {
                quote!()
            };
            // Every signature in the value is checked before it enters a line.
            let relayed = self.relayed_cert_check(r);
            let sigs = match self.verify_expr(&l.ty, quote!((&value)), r.span) {
                Some(check) => {
                    let check = match relayed {
                        Some(own) => quote!((#own) && #check),
                        None => check,
                    };
                    let n = self.n_field();
                    let pname = self.p.name.as_str();
                    // A node's own messages were made from values it
                    // checked already: only peers' are verified.
                    quote! {
                        if from != self.me {
                            let purposes = self.purposes();
                            let scheme = #rt::crypto::Scheme { protocol: #pname, n: self.params.#n, purposes: &purposes };
                            let crypto = out.crypto();
                            if !(#check) {
                                out.faulty(from, #tag);
                                return;
                            }
                        }
                    }
                }
                None => quote!(),
            };
            // A key outside the producer's bounded loop (`for j in 0..n`)
            // names no instance: evidence, like a key beyond the window.
            let in_bounds = self
                .key_in_bounds(r, &cx)
                .map(|ok| quote!(if !(#ok) { out.faulty(from, #tag); return; }));
            msg_arms.push(quote!(#pat => { #window #in_bounds #auth #senders #sigs #store }));
            // A vote nobody here will ever read again is spent.
            let dead = match self.plan.stores.get(r.target) {
                Some(Store::Tracker { .. }) => self.readers_dead(r.target, &quote!(fired)),
                _ => None,
            };
            if a == 0 {
                if let Some(dead) = dead {
                    spent_arms.push(quote! {
                        Message::#v(..) => {
                            let fired = &self.g0.fired;
                            if #dead {
                                return true;
                            }
                        }
                    });
                }
            } else {
                let fam = format_ident!("f{}", a);
                let dead = dead.map(|dead| {
                    quote! {
                        if let Some(inst) = self.#fam.get(key) {
                            let fired = &inst.fired;
                            if #dead {
                                return true;
                            }
                        }
                    }
                });
                spent_arms.push(quote! {
                    Message::#v { key, .. } => {
                        if !self.#fam.in_window(key) {
                            return false;
                        }
                        #dead
                    }
                });
            }
        }
        if !self.phantom_free_messages() {
            msg_arms.push(quote!(Message::__Phantom(never, _) => match never {},));
        }
        // Timers.
        let mut timer_arms = Vec::new();
        for (id, t) in self.plan.timers.iter().enumerate() {
            let c = format_ident!(
                "{}",
                const_name(&self.timer_names.get(id).cloned().unwrap_or_default())
            );
            let field = self.timer_field(id);
            let a = t.arity;
            let al = lit(a);
            let rule_task = self.plan.rule_task.get(t.rule).map_or(0, |(_, task)| *task);
            let task = self.task_const(a, rule_task);
            let maxal = lit(self.plan.max_arity);
            if a == 0 {
                timer_arms.push(quote!(#c => {
                    let _ = key;
                    if self.g0.lines.#field == #rt::TimerState::Armed {
                        self.g0.lines.#field = #rt::TimerState::Fired;
                        self.dirty0.insert(#task);
                    }
                }));
            } else {
                let f = format_ident!("f{}", a);
                let wake = format_ident!("wake{}", a);
                timer_arms.push(quote!(#c => {
                    let key = #rt::family::prefix::<#al, #maxal>(&key);
                    if let Some(inst) = self.#f.get_mut(&key) {
                        if inst.lines.#field == #rt::TimerState::Armed {
                            inst.lines.#field = #rt::TimerState::Fired;
                            self.#wake.push(key, #rt::Bits::single(#task));
                        }
                    }
                }));
            }
        }
        let on_timer = if timer_arms.is_empty() {
            quote!(fn on_timer(&mut self, _timer: #rt::TimerId, _out: &mut #fx) {})
        } else {
            quote! {
                fn on_timer(&mut self, timer: #rt::TimerId, out: &mut #fx) {
                    if let Some((t, key)) = self.timers.fire(timer) {
                        match t {
                            #(#timer_arms)*
                            _ => {}
                        }
                    }
                    self.step(out);
                }
            }
        };
        let nf = self.n_field();
        let bounds = self.bounds();
        let value_fns = self.value_json_fns();
        let fault_model = match self.p.fault_model {
            rio_lang::ast::FaultModel::Crash => quote! {
                fn fault_model() -> #rt::FaultModel {
                    #rt::FaultModel::Crash
                }
            },
            rio_lang::ast::FaultModel::Byzantine => quote!(),
        };
        // An enum without variants has no values: its handler is `match x {}`.
        let on_input = if in_arms.is_empty() {
            quote!(fn on_input(&mut self, input: Input #gen, _out: &mut #fx) { match input {} })
        } else {
            quote! {
                fn on_input(&mut self, input: Input #gen, out: &mut #fx) {
                    match input {
                        #(#in_arms)*
                    }
                    self.step(out);
                }
            }
        };
        let on_message = if msg_arms.is_empty() {
            quote!(fn on_message(&mut self, _from: #rt::NodeId, msg: Message #gen, _out: &mut #fx) { match msg {} })
        } else {
            quote! {
                fn on_message(&mut self, from: #rt::NodeId, msg: Message #gen, out: &mut #fx) {
                    if from.index() >= self.params.#nf {
                        return;
                    }
                    match msg {
                        #(#msg_arms)*
                    }
                    self.step(out);
                }
            }
        };
        let is_spent = if msg_arms.is_empty() {
            quote!()
        } else {
            // Every variant is matched or a wildcard covers the rest.
            let rest = if spent_arms.len() == msg_arms.len() {
                quote!()
            } else {
                quote!(_ => {})
            };
            let matcher = if spent_arms.is_empty() {
                quote!()
            } else {
                quote! {
                    match msg {
                        #(#spent_arms)*
                        #rest
                    }
                }
            };
            quote! {
                fn is_spent(&self, from: #rt::NodeId, msg: &Message #gen) -> bool {
                    #matcher
                    #rt::noop_by_trial(self, from, msg)
                }
            }
        };
        // `forget_spent`: clear the trackers nobody here reads again.
        let mut forgets = Vec::new();
        for (line, l) in self.p.lines.iter().enumerate() {
            if !matches!(self.plan.stores.get(line), Some(Store::Tracker { .. })) {
                continue;
            }
            let Some(dead) = self.readers_dead(line, &quote!(fired)) else {
                continue;
            };
            let f = ident(&field_name(&l.name));
            let a = l.arity();
            forgets.push(if a == 0 {
                quote! {
                    let fired = &self.g0.fired;
                    if #dead {
                        self.g0.lines.#f.forget();
                    }
                }
            } else {
                let fam = format_ident!("f{}", a);
                quote! {
                    for inst in self.#fam.iter_mut() {
                        let fired = &inst.fired;
                        if #dead {
                            inst.lines.#f.forget();
                        }
                    }
                }
            });
        }
        let forget_spent = if forgets.is_empty() {
            quote!()
        } else {
            quote! {
                fn forget_spent(&mut self) {
                    #({ #forgets })*
                }
            }
        };
        // Deliveries that no choice point reads commute (the checker's
        // reduction).
        let commuting: Vec<TokenStream> = self
            .message_lines()
            .into_iter()
            .filter(|(r, _)| self.choice_free(r.target))
            .map(|(_, l)| {
                let v = ident(&variant_name(&l.name));
                quote!(Message::#v { .. } => true,)
            })
            .collect();
        let commutes = if commuting.is_empty() {
            quote!()
        } else {
            quote! {
                fn commutes(msg: &Message #gen) -> bool {
                    #[allow(unreachable_patterns)]
                    match msg {
                        #(#commuting)*
                        _ => false,
                    }
                }
            }
        };
        // Deliveries whose choice points are spent in this state commute
        // too (the checker's reduction, in the receiver's state).
        let mut calm_arms = Vec::new();
        for (r, l) in self.message_lines() {
            if self.choice_free(r.target) {
                continue;
            }
            let Some(calm) = self.quiet_below(r.target, &quote!(fired), &mut Vec::new()) else {
                continue;
            };
            let calm = calm.tokens();
            let v = ident(&variant_name(&l.name));
            let a = l.arity();
            calm_arms.push(if a == 0 {
                quote! {
                    Message::#v(..) => {
                        let fired = &self.g0.fired;
                        #calm
                    }
                }
            } else {
                let fam = format_ident!("f{}", a);
                quote! {
                    Message::#v { key, .. } => match self.#fam.get(key) {
                        Some(inst) => {
                            let fired = &inst.fired;
                            #calm
                        }
                        None => false,
                    },
                }
            });
        }
        let commutes_here = if calm_arms.is_empty() {
            quote!()
        } else {
            quote! {
                fn commutes_here(&self, msg: &Message #gen) -> bool {
                    if <Self as #rt::Node>::commutes(msg) {
                        return true;
                    }
                    #[allow(unreachable_patterns)]
                    match msg {
                        #(#calm_arms)*
                        _ => false,
                    }
                }
            }
        };
        // Durable state compacts by the one-index family's low-water mark.
        let low_water = if self.plan.families.len() > 1 {
            quote! {
                fn low_water(&self) -> u64 {
                    self.f1.low()
                }

                fn restore_low_water(&mut self, low: u64) {
                    self.f1.finish_below(low);
                }
            }
        } else {
            quote!()
        };
        quote! {
            impl #bounds #rt::Node for Node #gen {
                type Message = Message #gen;
                type Input = Input #gen;
                type Output = Output #gen;

                fn id(&self) -> #rt::NodeId {
                    self.me
                }

                #fault_model

                fn message_slot(msg: &Message #gen) -> ::core::option::Option<#rt::trace::Slot> {
                    ::core::option::Option::Some(#rt::trace::Slot::of(#rt::Slotted::slot(msg)))
                }

                #value_fns

                fn input_slot(input: &Input #gen) -> ::core::option::Option<#rt::trace::Slot> {
                    ::core::option::Option::Some(#rt::trace::Slot::of(#rt::Slotted::slot(input)))
                }

                fn output_slot(output: &Output #gen) -> ::core::option::Option<#rt::trace::Slot> {
                    ::core::option::Option::Some(#rt::trace::Slot::of(#rt::Slotted::slot(output)))
                }

                fn on_start(&mut self, out: &mut #fx) {
                    self.dirty0 = START0;
                    #(#start_bounded)*
                    self.step(out);
                }

                #on_input

                #on_message

                #is_spent

                #forget_spent

                #commutes

                #commutes_here

                #low_water

                #on_timer
            }
        }
    }

    /// Whether no choice point at the receiving node reads `line`,
    /// directly or through local lines (see `rio_runtime::Node::commutes`):
    /// every task reading it belongs to a rule without `quorum(?, ..)`,
    /// `collect`, `select`, `gather`, `cert` or `coin`, and so does every
    /// task reading a local line such a rule writes. Messages and outputs
    /// those rules produce end the chain (a message is judged at its own
    /// receiver). Iterative; each line is visited once.
    fn choice_free(&self, line: usize) -> bool {
        let mut todo = vec![line];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(l) = todo.pop() {
            if !seen.insert(l) {
                continue;
            }
            for r in self.plan.readers.get(l).into_iter().flatten() {
                let task = self
                    .plan
                    .families
                    .get(r.arity)
                    .and_then(|f| f.tasks.get(r.task));
                let rule = match task {
                    Some(Task::Rule(k)) => *k,
                    Some(Task::Timer(id)) => match self.plan.timers.get(*id) {
                        Some(t) => t.rule,
                        None => return false,
                    },
                    None => return false,
                };
                let Some(rule) = self.p.rules.get(rule) else {
                    return false;
                };
                if chooses(rule) {
                    return false;
                }
                if rule.cross == Cross::Local {
                    // A local line with several producers is set by
                    // whichever fires first: a race, so a choice.
                    if self.raced(rule.target) {
                        return false;
                    }
                    todo.push(rule.target);
                }
            }
        }
        true
    }

    /// Whether a line has several producers (set by whichever fires first).
    fn raced(&self, line: usize) -> bool {
        self.p.rules.iter().filter(|r| r.target == line).count() > 1
    }

    /// A condition over `fired` (the task bits of the instance holding
    /// `line`) under which delivering a message on `line` here commutes
    /// with every other event (`rio_runtime::Node::commutes_here`): every
    /// reader of `line` has fired, or produces a dead line
    /// ([`Self::readers_dead`]), or is choice-free and leads — as a message
    /// or output, or through a local line with one producer — only to
    /// readers that pass the same test. Fired and dead stay so, so the
    /// condition, once true, holds in every later state. `None` when it
    /// cannot be shown here: a reader in another instance, or a cycle.
    fn quiet_below(
        &self,
        line: usize,
        fired: &TokenStream,
        visiting: &mut Vec<usize>,
    ) -> Option<Cond> {
        // Bounded: the chain never revisits a line.
        if visiting.contains(&line) {
            return None;
        }
        let a = self.p.lines.get(line)?.arity();
        let tasks = self.readers_here(line)?;
        visiting.push(line);
        let terms: Option<Vec<Cond>> = tasks
            .into_iter()
            .map(|t| self.quiet_task(a, t, fired, visiting))
            .collect();
        visiting.pop();
        Some(Cond::all(terms?))
    }

    /// [`Self::quiet_below`] for one reading task `t` of family `a`.
    fn quiet_task(
        &self,
        a: usize,
        t: usize,
        fired: &TokenStream,
        visiting: &mut Vec<usize>,
    ) -> Option<Cond> {
        let c = self.task_const(a, t);
        let fired_t = Cond::When(quote!(#fired.contains(#c)));
        Some(match self.plan.families.get(a)?.tasks.get(t)? {
            Task::Rule(k) => {
                let rule = self.p.rules.get(*k)?;
                let calm = if chooses(rule) || self.raced(rule.target) {
                    None
                } else if rule.cross == Cross::Local {
                    self.quiet_below(rule.target, fired, visiting)
                } else {
                    // A message: judged at its own receiver.
                    Some(Cond::Always)
                };
                match calm {
                    Some(calm) => fired_t.or(calm),
                    None => match self.local_dead(rule.target, fired, visiting) {
                        Some(dead) => fired_t.or(Cond::When(dead)),
                        None => fired_t,
                    },
                }
            }
            Task::Timer(id) => {
                let rule = self.p.rules.get(self.plan.timers.get(*id)?.rule)?;
                if chooses(rule) {
                    fired_t
                } else {
                    Cond::Always
                }
            }
        })
    }

    /// The tasks reading `line` (sorted, each once), if every reader is in
    /// the instance holding it; `None` if one is in another instance.
    fn readers_here(&self, line: usize) -> Option<Vec<usize>> {
        let a = self.p.lines.get(line)?.arity();
        let readers = self.plan.readers.get(line).map_or(&[][..], Vec::as_slice);
        let identity = KeyMap::Exact((0..a).collect());
        let mut tasks: Vec<usize> = Vec::new();
        for r in readers {
            if r.arity != a || r.map != identity {
                return None;
            }
            tasks.push(r.task);
        }
        tasks.sort_unstable();
        tasks.dedup();
        Some(tasks)
    }

    /// A condition over `fired` (the task bits of the instance holding
    /// `line`) that holds once no task here can ever read `line` again:
    /// every reader in the same instance has fired, or produces a local
    /// line that is itself dead in this sense (a `select` that already
    /// chose makes its options dead). `None` when that cannot be shown:
    /// a reader in another instance, an output or a message line down the
    /// chain, a line with several producers, or a cycle.
    fn readers_dead(&self, line: usize, fired: &TokenStream) -> Option<TokenStream> {
        let mut visiting = Vec::new();
        self.dead_below(line, fired, &mut visiting)
    }

    fn dead_below(
        &self,
        line: usize,
        fired: &TokenStream,
        visiting: &mut Vec<usize>,
    ) -> Option<TokenStream> {
        // Bounded: the chain never revisits a line, so at most one level
        // per line of the protocol.
        if visiting.contains(&line) {
            return None;
        }
        let a = self.p.lines.get(line)?.arity();
        let tasks = self.readers_here(line)?;
        if tasks.is_empty() {
            return None;
        }
        visiting.push(line);
        let mut terms = Vec::new();
        for t in tasks {
            let c = self.task_const(a, t);
            let fired_t = quote!(#fired.contains(#c));
            let below = match self.plan.families.get(a).and_then(|f| f.tasks.get(t)) {
                Some(Task::Rule(k)) => self
                    .p
                    .rules
                    .get(*k)
                    .and_then(|rule| self.local_dead(rule.target, fired, visiting)),
                _ => None,
            };
            terms.push(match below {
                Some(d) => quote!((#fired_t || #d)),
                None => fired_t,
            });
        }
        visiting.pop();
        Some(quote!(#(#terms)&&*))
    }

    /// [`Self::dead_below`] for a line a rule here produces: only a local,
    /// non-output line with that single producer can be dead before it is
    /// produced.
    fn local_dead(
        &self,
        line: usize,
        fired: &TokenStream,
        visiting: &mut Vec<usize>,
    ) -> Option<TokenStream> {
        let l = self.p.lines.get(line)?;
        if l.kind == LineKind::Output {
            return None;
        }
        let mut producers = self.p.rules.iter().filter(|r| r.target == line);
        let only = producers.next()?;
        if producers.next().is_some() || only.cross != Cross::Local {
            return None;
        }
        self.dead_below(line, fired, visiting)
    }

    fn phantom_free(&self, kind: LineKind) -> bool {
        let types: Vec<&str> = self
            .p
            .lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.ty.as_str())
            .collect();
        self.generics_all_used(&types)
    }

    fn phantom_free_messages(&self) -> bool {
        let types: Vec<&str> = self
            .message_lines()
            .iter()
            .map(|(_, l)| l.ty.as_str())
            .collect();
        self.generics_all_used(&types)
    }

    fn generics_all_used(&self, types: &[&str]) -> bool {
        self.p.generics.iter().all(|g| {
            types.iter().any(|t| {
                t.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|tok| tok == g.as_str())
            })
        })
    }
}

/// Whether a rule's value has a choice point: `quorum(?, ..)`, `collect`,
/// `select`, `gather`, `cert` or `coin`.
fn chooses(rule: &crate::ir::Rule) -> bool {
    let mut chooses = false;
    crate::ir::walk(&rule.value, &mut |e| {
        chooses |= matches!(
            e,
            Ex::Quorum { chooses: true, .. }
                | Ex::Collect { .. }
                | Ex::Select { .. }
                | Ex::SelectFamily { .. }
                | Ex::Gather { .. }
                | Ex::Cert { .. }
                | Ex::Coin(_)
        );
    });
    chooses
}

/// A condition of generated code, with "always" kept apart so that it
/// folds away instead of printing `|| true`.
enum Cond {
    Always,
    When(TokenStream),
}

impl Cond {
    fn or(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Always, _) | (_, Cond::Always) => Cond::Always,
            (Cond::When(a), Cond::When(b)) => Cond::When(quote!((#a || #b))),
        }
    }

    fn all(terms: Vec<Cond>) -> Cond {
        let when: Vec<TokenStream> = terms
            .into_iter()
            .filter_map(|t| match t {
                Cond::Always => None,
                Cond::When(x) => Some(x),
            })
            .collect();
        if when.is_empty() {
            Cond::Always
        } else {
            Cond::When(quote!(#(#when)&&*))
        }
    }

    fn tokens(self) -> TokenStream {
        match self {
            Cond::Always => quote!(true),
            Cond::When(x) => x,
        }
    }
}
