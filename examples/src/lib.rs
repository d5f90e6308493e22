//! Example protocols for Rio, with end-to-end tests.
//!
//! [`generated`] holds the nodes `build.rs` compiles from `.rio` files;
//! [`handwritten`] holds plain-Rust state machines written by hand against
//! the same runtime trait: the baselines generated nodes are measured against.

/// `println!` for the binaries: output to a closed pipe (`rio-demo | head
/// -1`) is not an error, so write and ignore failures instead of panicking.
#[macro_export]
macro_rules! say {
    () => {{
        let _ = std::io::Write::write_all(&mut std::io::stdout(), b"\n");
    }};
    ($($t:tt)*) => {{
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_fmt(&mut out, format_args!($($t)*));
        let _ = std::io::Write::write_all(&mut out, b"\n");
    }};
}

pub mod bench;
pub mod browser;
pub mod handwritten;
pub mod properties;
pub mod scenarios;

/// Nodes generated from `.rio` files by `build.rs`.
pub mod generated {
    rio_runtime::include_protocol!("bracha");
    rio_runtime::include_protocol!("bracha_composed");

    /// The slot-sequence protocol (`protocols/slots.rio`) and the Rust
    /// functions it declares.
    pub mod slots {
        /// A vote for the leader's value.
        pub fn wrap(v: u64) -> Option<u64> {
            Some(v)
        }
        /// A vote to skip the slot after a timeout.
        pub fn skip(_t: ()) -> Option<u64> {
            None
        }
        /// The signal that starts the next slot.
        pub fn next(_d: Option<u64>) {}
        rio_runtime::include_protocol!("slots");
        rio_runtime::include_protocol!("signed_slots");
    }

    /// Rust keywords as line names (`protocols/keywords.rio`).
    pub mod keywords {
        /// Adds one.
        pub fn inc(v: u64) -> u64 {
            v.saturating_add(1)
        }
        rio_runtime::include_protocol!("keywords");
    }

    /// More than 128 rules of one arity (`protocols/chain.rio`).
    pub mod chain {
        /// Adds one.
        pub fn inc(v: u64) -> u64 {
            v.saturating_add(1)
        }
        rio_runtime::include_protocol!("chain");
    }

    // Bracha per instance of a family (`protocols/broadcasts.rio`), for the
    // pipelined network benchmark: `mod broadcasts`.
    rio_runtime::include_protocol!("broadcasts");

    /// A crash-fault protocol (`protocols/majority.rio`): majority quorums
    /// are deterministic under `faults f: crash`.
    pub mod majority {
        rio_runtime::include_protocol!("majority");
    }

    /// One ballot of single-decree Paxos (`spec/examples/paxos_ballot.rio`):
    /// phase 2a as one line over a collection of promises.
    pub mod paxos {
        use rio_runtime::Votes;

        /// The value of the highest-ballot promise, or `own` when no
        /// acceptor accepted anything yet.
        pub fn highest(promises: Votes<Option<(u64, u64)>>, own: u64) -> u64 {
            promises.values().flatten().max().map_or(own, |(_, v)| *v)
        }
        rio_runtime::include_protocol!("paxos_ballot");

        /// Single-decree Paxos with f + 1 ballots and leader change
        /// (`spec/examples/paxos.rio`).
        pub mod ballots {
            pub use super::highest;

            /// A promise reporting what was accepted before this ballot.
            pub fn promise(_prepare: u64, last: Option<(u64, u64)>) -> Option<Option<(u64, u64)>> {
                Some(last)
            }
            /// No promise: a higher ballot's prepare came first.
            pub fn refuse(_later: u64) -> Option<Option<(u64, u64)>> {
                None
            }
            /// Accept `value` in `ballot`.
            pub fn accept(value: u64, ballot: u64) -> Option<(u64, u64)> {
                Some((ballot, value))
            }
            /// Not accepted: a higher ballot's prepare came first.
            pub fn skip(_later: u64) -> Option<(u64, u64)> {
                None
            }
            /// What was accepted by the end of a ballot.
            pub fn keep(before: Option<(u64, u64)>, now: Option<(u64, u64)>) -> Option<(u64, u64)> {
                now.or(before)
            }
            rio_runtime::include_protocol!("paxos");

            /// A replicated log: one Paxos instance per slot
            /// (`spec/examples/paxos_log.rio`).
            pub mod log {
                pub use super::{accept, highest, keep, promise, refuse, skip};
                /// The value of a decision `(ballot, value)`.
                pub fn chosen(d: (u64, u64)) -> u64 {
                    d.1
                }
                rio_runtime::include_protocol!("paxos_log");
            }

            /// Multi-Paxos with leader change: a log in chunks of 8 slots,
            /// one phase 1 per ballot for a whole chunk
            /// (`spec/examples/multi_paxos.rio`).
            pub mod multi {
                pub use super::log::chosen;
                pub use super::{accept, keep, skip};
                use rio_runtime::Votes;

                /// What an acceptor accepted in each slot of a chunk, by
                /// slot: one promise.
                pub type Slots = Vec<Option<(u64, u64)>>;

                /// A promise reporting what was accepted in each slot.
                pub fn promise(_prepare: u64, slots: Votes<Option<(u64, u64)>>) -> Option<Slots> {
                    Some(slots.values().copied().collect())
                }
                /// No promise: a higher ballot's prepare came first.
                pub fn refuse(_later: u64) -> Option<Slots> {
                    None
                }
                /// The value of the highest-ballot acceptance of `slot`
                /// among the promises, or `own` when none accepted any.
                pub fn highest(promises: Votes<Slots>, slot: u64, own: u64) -> u64 {
                    let slot = usize::try_from(slot).unwrap_or(usize::MAX);
                    promises
                        .values()
                        .filter_map(|slots| slots.get(slot).copied().flatten())
                        .max()
                        .map_or(own, |(_, v)| v)
                }
                rio_runtime::include_protocol!("multi_paxos");

                /// A seeded bug: promises that report nothing for slots
                /// other than the first.
                pub mod forgetful {
                    pub use super::{accept, chosen, highest, keep, refuse, skip, Slots};
                    /// A promise that forgets every slot but slot 0.
                    pub fn promise(
                        _prepare: u64,
                        slots: Votes<Option<(u64, u64)>>,
                    ) -> Option<Slots> {
                        Some(
                            slots
                                .iter()
                                .map(|(s, a)| if s.0 == 0 { *a } else { None })
                                .collect(),
                        )
                    }
                    use rio_runtime::Votes;
                    rio_runtime::include_protocol!("multi_paxos");
                }
            }

            /// A seeded bug: promises that forget what was accepted (the
            /// next ballot then proposes its own value).
            pub mod forgetful {
                pub use super::{accept, highest, keep, refuse, skip};
                /// A promise that reports nothing.
                pub fn promise(
                    _prepare: u64,
                    _last: Option<(u64, u64)>,
                ) -> Option<Option<(u64, u64)>> {
                    Some(None)
                }
                rio_runtime::include_protocol!("paxos");
            }
        }

        /// The seeded bug (`protocols/paxos_first_promise.rio`): the leader
        /// proposes from the first promise to arrive.
        pub mod first_promise {
            pub use super::highest;
            rio_runtime::include_protocol!("paxos_first_promise");
        }

        /// A collection sent on (`protocols/new_view.rio`): the leader relays
        /// the view changes it collected.
        pub mod new_view {
            pub use super::highest;
            rio_runtime::include_protocol!("new_view");
        }
    }

    /// Rust constants nested in components
    /// (`lang/tests/data/ok/nested_constants.rio`): their generated code
    /// compiles under the lint gate.
    pub mod nested_constants {
        rio_runtime::include_protocol!("nested_constants");
    }

    /// Bracha broken on purpose (`protocols/bracha_bugs.rio`), for the
    /// model checker's seeded-bug tests.
    pub mod bracha_bugs {
        rio_runtime::include_protocol!("bracha_bugs");
    }

    /// Ben-Or's randomized binary consensus (`spec/examples/ben_or.rio`).
    pub mod ben_or {
        use rio_runtime::Votes;

        /// Phase 1: a value reported by more than `n / 2` nodes, if any.
        pub fn propose(reports: Votes<bool>, n: u64) -> Option<bool> {
            [false, true]
                .into_iter()
                .find(|v| 2 * reports.count(|x| x == v) as u64 > n)
        }

        /// Phase 2: decide `v` on `f + 1` proposals for it.
        pub fn decide(proposals: Votes<Option<bool>>, f: u64) -> Option<bool> {
            decide_on(proposals, f.saturating_add(1))
        }

        /// Decide `v` on `threshold` proposals for it.
        pub fn decide_on(proposals: Votes<Option<bool>>, threshold: u64) -> Option<bool> {
            [false, true]
                .into_iter()
                .find(|v| proposals.count(|x| *x == Some(*v)) as u64 >= threshold)
        }

        /// The next estimate: a proposed value if any, else the coin.
        pub fn adopt(proposals: Votes<Option<bool>>, coin: bool) -> bool {
            proposals.values().flatten().next().copied().unwrap_or(coin)
        }

        /// Thresholds for `protocols/ben_or_rounds.rio`.
        pub fn f_plus_one(f: u64) -> u64 {
            f.saturating_add(1)
        }
        /// The seeded bug's threshold: one proposal.
        pub fn one(_f: u64) -> u64 {
            1
        }

        rio_runtime::include_protocol!("ben_or");

        /// Two rounds, correct (`ben_or_rounds`) and deciding on a single
        /// proposal (`ben_or_eager`), for the model checker.
        pub mod rounds {
            pub use super::{adopt, decide_on, f_plus_one, one, propose};
            rio_runtime::include_protocol!("ben_or_rounds");
        }
    }

    /// Two-phase commit with a timeout (`spec/examples/two_phase_commit.rio`).
    pub mod two_phase_commit {
        use rio_runtime::Votes;

        /// Commit iff every vote is yes.
        pub fn all_yes(votes: Votes<bool>) -> bool {
            votes.values().all(|v| *v)
        }

        /// A timeout aborts.
        pub fn abort(_timeout: ()) -> bool {
            false
        }
        rio_runtime::include_protocol!("two_phase_commit");
    }

    /// A function that learns its node's id (`protocols/node_ids.rio`).
    pub mod node_ids {
        use rio_runtime::NodeId;

        /// Tags a value with the node it reached.
        pub fn tag(v: u64, me: NodeId) -> u64 {
            v * 100 + u64::from(me.0)
        }
        rio_runtime::include_protocol!("node_ids");
    }

    /// A bounded loop (`protocols/rounds.rio`): f + 1 rounds.
    pub mod rounds {
        rio_runtime::include_protocol!("rounds");
    }

    /// Floor division in a `where` clause, a loop bound and a threshold
    /// (`protocols/floor_rounds.rio`).
    pub mod floor_rounds {
        rio_runtime::include_protocol!("floor_rounds");
    }

    /// A read of an earlier instance, `decided[s - 1]`
    /// (`protocols/linked_slots.rio`).
    pub mod linked_slots {
        /// Links a slot's decision to the previous one's.
        pub fn link_to(prev: u64, v: u64) -> u64 {
            prev.saturating_mul(1000).saturating_add(v)
        }
        rio_runtime::include_protocol!("linked_slots");
    }

    /// A family whose leader domain moves: a base case at `leader(0)` and a
    /// step at `leader(v + 1)` (`protocols/token_ring.rio`).
    pub mod token_ring {
        /// The token, one hop further.
        pub fn pass(t: u64) -> u64 {
            t.saturating_add(1)
        }
        rio_runtime::include_protocol!("token_ring");
    }

    /// One Bracha instance per sender, inside a loop over senders
    /// (`protocols/all_broadcast.rio`).
    pub mod all_broadcast {
        rio_runtime::include_protocol!("all_broadcast");
    }

    /// A bounded family fed only by a coarser line, and a collection over
    /// its number dimension (`protocols/fan_out.rio`).
    pub mod fan_out {
        use rio_runtime::Votes;
        /// `y + j`.
        pub fn shift(y: u64, j: u64) -> u64 {
            y.saturating_add(j)
        }
        /// The sum of the collected values, times 1000 plus how many.
        pub fn sum(xs: Votes<u64>) -> u64 {
            let s: u64 = xs.values().fold(0, |a, b| a.saturating_add(*b));
            s.saturating_mul(1000).saturating_add(xs.len() as u64)
        }
        rio_runtime::include_protocol!("fan_out");
    }

    /// Component instances in loops of other shapes
    /// (`protocols/instance_shapes.rio`).
    pub mod instance_shapes {
        /// Both values, in one number.
        pub fn both(a: u64, b: u64) -> u64 {
            a.saturating_mul(1000).saturating_add(b)
        }
        rio_runtime::include_protocol!("instance_shapes");
    }

    /// A timer whose duration uses a loop variable
    /// (`protocols/backoff.rio`).
    pub mod backoff {
        rio_runtime::include_protocol!("backoff");
    }

    /// A choice in an instance that opens late
    /// (`protocols/late_choice.rio`).
    pub mod late_choice {
        /// The option that opens the instance.
        pub fn first(late: u64) -> u64 {
            late
        }
        /// The option available from the start.
        pub fn second(early: u64) -> u64 {
            early
        }
        rio_runtime::include_protocol!("late_choice");
    }

    /// A rule keyed by fewer loop variables than the line it reads
    /// (`protocols/coarse_reader.rio`).
    pub mod coarse_reader {
        rio_runtime::include_protocol!("coarse_reader");
    }

    /// Constants of an unbounded family read from a coarser instance
    /// (`protocols/unbounded_constant.rio`).
    pub mod unbounded_constant {
        use rio_runtime::Votes;

        /// The round's input plus every weight.
        pub fn total(go: u64, ws: Votes<u64>) -> u64 {
            ws.iter().fold(go, |acc, (_, w)| acc.saturating_add(*w))
        }

        rio_runtime::include_protocol!("unbounded_constant");
    }

    /// HoneyBadgerBFT's asynchronous common subset (`spec/examples/acs.rio`):
    /// n reliable broadcasts and n Byzantine Ben-Or agreements.
    pub mod acs {
        use rio_runtime::Votes;

        /// Whether more than `(n + f) / 2` of `count` votes: `2 * count > n + f`.
        fn over(count: usize, n: u64, f: u64) -> bool {
            (count as u64).saturating_mul(2) > n.saturating_add(f)
        }

        /// Propose `v` if more than `(n + f) / 2` of the reports are `v`.
        pub fn over_half(reports: Votes<bool>, n: u64, f: u64) -> Option<bool> {
            [false, true]
                .into_iter()
                .find(|v| over(reports.count(|x| x == v), n, f))
        }

        /// Decide `v` on more than `(n + f) / 2` proposals for it.
        pub fn decide_on(proposals: Votes<Option<bool>>, n: u64, f: u64) -> Option<bool> {
            [false, true]
                .into_iter()
                .find(|v| over(proposals.count(|x| *x == Some(*v)), n, f))
        }

        /// The next estimate: `v` on `f + 1` proposals for it, else the coin.
        pub fn adopt(proposals: Votes<Option<bool>>, f: u64, coin: bool) -> bool {
            [false, true]
                .into_iter()
                .find(|v| proposals.count(|x| *x == Some(*v)) as u64 > f)
                .unwrap_or(coin)
        }

        /// Vote 1: the proposer's broadcast was delivered.
        pub fn delivered(_v: u64) -> bool {
            true
        }
        /// Vote 0: `n - f` agreements decided 1 already.
        pub fn enough(_ones: Votes<()>) -> bool {
            false
        }
        /// `Some` if the agreement decided 1.
        pub fn is_one(d: bool) -> Option<()> {
            d.then_some(())
        }
        /// `Some` if the agreement decided 0.
        pub fn is_zero(d: bool) -> Option<()> {
            (!d).then_some(())
        }
        /// A proposer left out of the subset.
        pub fn left_out(_zero: ()) -> Option<u64> {
            None
        }
        /// A proposer in the subset, with its value.
        pub fn taken(v: u64, _one: ()) -> Option<u64> {
            Some(v)
        }
        /// The common subset: `(proposer, value)` for every proposer in it.
        pub fn subset(values: Votes<Option<u64>>) -> Vec<(u64, u64)> {
            values
                .iter()
                .filter_map(|(j, v)| v.map(|v| (u64::from(j.0), v)))
                .collect()
        }

        rio_runtime::include_protocol!("acs");
    }

    /// PBFT with view change, single-shot, without signatures
    /// (`spec/examples/pbft.rio`): the view change's decision rule.
    pub mod pbft {
        use rio_runtime::Votes;

        /// A replica's view-change report: the `(view, value)` it last
        /// prepared, and per value the highest view in which it accepted a
        /// pre-prepare for it (`(value, view)`, one entry per value).
        pub type Report = (Option<(u64, u64)>, Vec<(u64, u64)>);

        /// The views and values a report is taken at. A report is a
        /// peer's claim: a Byzantine one may say anything a report can
        /// say, and nothing more is read from it. A correct replica's list
        /// holds one entry per view it pre-prepared in, at most `f + 1`;
        /// entries beyond that are ignored, so that a hostile report costs
        /// at most `f + 1` comparisons per question.
        fn backed(r: &Report, f: u64) -> impl Iterator<Item = &(u64, u64)> {
            let cap = usize::try_from(f.saturating_add(1)).unwrap_or(usize::MAX);
            r.1.iter().take(cap)
        }

        /// PBFT's decision rule with its thresholds as parameters: the
        /// correct rule ([`Rule::pbft`]) and the seeded bugs below share it.
        #[derive(Clone, Copy)]
        pub(super) struct Rule {
            /// Condition A1: reports that must not contradict a claim
            /// (`n - f`).
            pub(super) a1: u64,
            /// Condition A2: whether a claim needs `f + 1` reports that
            /// accepted its pre-prepare.
            pub(super) a2: bool,
            /// The fallback: reports that prepared nothing, after which any
            /// value may be proposed (`n - f`).
            pub(super) null: u64,
        }

        impl Rule {
            /// PBFT's own thresholds.
            pub(super) fn pbft(n: u64, f: u64) -> Rule {
                Rule {
                    a1: n.saturating_sub(f),
                    a2: true,
                    null: n.saturating_sub(f),
                }
            }

            /// Condition A1 for the claim `(w, x)`: reports that do not
            /// contradict it (prepared nothing, prepared in a lower view,
            /// or prepared `x` in `w`).
            fn uncontradicted(&self, reports: &Votes<Report>, w: u64, x: u64) -> bool {
                let ok = reports.count(|r| match r.0 {
                    None => true,
                    Some((view, value)) => view < w || (view == w && value == x),
                });
                ok as u64 >= self.a1
            }

            /// Condition A2 for the claim `(w, x)`: `f + 1` reports, one of
            /// them from a correct replica, accepted a pre-prepare for `x`
            /// in `w` or later.
            fn vouched(&self, reports: &Votes<Report>, w: u64, x: u64, f: u64) -> bool {
                let ok =
                    reports.count(|r| backed(r, f).any(|&(value, view)| value == x && view >= w));
                !self.a2 || ok as u64 > f
            }

            /// The prepared claims that the reports make safe to propose,
            /// highest view first.
            fn safe_claims(&self, reports: &Votes<Report>, f: u64) -> Vec<(u64, u64)> {
                let mut claims: Vec<(u64, u64)> = reports.values().filter_map(|r| r.0).collect();
                claims.sort_unstable_by(|a, b| b.cmp(a));
                claims.dedup();
                claims.retain(|&(w, x)| {
                    self.uncontradicted(reports, w, x) && self.vouched(reports, w, x, f)
                });
                claims
            }

            /// Whether enough reports prepared nothing: then no value can
            /// have been decided before, and any value may be proposed.
            fn nothing_prepared(&self, reports: &Votes<Report>) -> bool {
                reports.count(|r| r.0.is_none()) as u64 >= self.null
            }

            /// The new primary's proposal: the value of the highest safe
            /// claim, else its own request if nothing was prepared, else
            /// `None` (wait for more reports).
            pub(super) fn choose(&self, reports: &Votes<Report>, own: u64, f: u64) -> Option<u64> {
                match self.safe_claims(reports, f).first() {
                    Some(&(_, x)) => Some(x),
                    None => self.nothing_prepared(reports).then_some(own),
                }
            }

            /// `Some(proposal)` if the reports make it safe to accept: a
            /// safe claim for it, or nothing prepared.
            pub(super) fn admits(
                &self,
                reports: &Votes<Report>,
                proposal: u64,
                f: u64,
            ) -> Option<u64> {
                let ok = self.nothing_prepared(reports)
                    || self
                        .safe_claims(reports, f)
                        .iter()
                        .any(|&(_, x)| x == proposal);
                ok.then_some(proposal)
            }
        }

        /// The new primary's proposal from these reports (PBFT's rule).
        pub fn choose(reports: Votes<Report>, own: u64, n: u64, f: u64) -> Option<u64> {
            Rule::pbft(n, f).choose(&reports, own, f)
        }

        /// `Some(proposal)` if these reports make it safe to accept (PBFT's
        /// rule).
        pub fn admits(reports: Votes<Report>, proposal: u64, n: u64, f: u64) -> Option<u64> {
            Rule::pbft(n, f).admits(&reports, proposal, f)
        }

        /// The report after view `view`: what was prepared in it, and the
        /// pre-prepare accepted in it.
        pub fn record(
            before: Report,
            view: u64,
            sent: Option<u64>,
            prepared: Option<u64>,
        ) -> Report {
            let (last, mut seen) = before;
            if let Some(x) = sent {
                match seen.iter_mut().find(|(value, _)| *value == x) {
                    Some(entry) => entry.1 = entry.1.max(view),
                    None => seen.push((x, view)),
                }
            }
            (prepared.map(|x| (view, x)).or(last), seen)
        }

        /// View 0 takes its primary's value as it is; later views check it.
        pub fn opening(value: u64, view: u64) -> Option<u64> {
            (view == 0).then_some(value)
        }
        /// There is no view change into view 0.
        pub fn no_view_change((): ()) -> Option<Report> {
            None
        }
        /// This view's step, taken.
        pub fn take(v: u64) -> Option<u64> {
            Some(v)
        }
        /// This view's step, not taken: the replica moved on.
        pub fn skip((): ()) -> Option<u64> {
            None
        }

        rio_runtime::include_protocol!("pbft");

        /// A seeded bug: reports that forget what was prepared (a new
        /// primary then proposes its own request over a decided value).
        pub mod forgetful {
            pub use super::{admits, choose, no_view_change, opening, skip, take, Report};
            /// The report after a view, without the prepared claim.
            pub fn record(
                before: Report,
                view: u64,
                sent: Option<u64>,
                _prepared: Option<u64>,
            ) -> Report {
                super::record(before, view, sent, None)
            }
            rio_runtime::include_protocol!("pbft");
        }

        /// A seeded bug: the decision rule without PBFT's condition A2 (a
        /// prepared claim needs no `f + 1` replicas that accepted its
        /// pre-prepare), so a false claim in a high view wins.
        pub mod unvouched {
            use super::Rule;
            pub use super::{no_view_change, opening, record, skip, take, Report};
            use rio_runtime::Votes;

            fn rule(n: u64, f: u64) -> Rule {
                Rule {
                    a2: false,
                    ..Rule::pbft(n, f)
                }
            }
            /// [`super::choose`] without condition A2.
            pub fn choose(reports: Votes<Report>, own: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).choose(&reports, own, f)
            }
            /// [`super::admits`] without condition A2.
            pub fn admits(reports: Votes<Report>, proposal: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).admits(&reports, proposal, f)
            }
            rio_runtime::include_protocol!("pbft");
        }

        /// A seeded bug: the fallback ("any value, once `n - f` reports
        /// prepared nothing") on `f + 1` reports.
        pub mod lax_null {
            use super::Rule;
            pub use super::{no_view_change, opening, record, skip, take, Report};
            use rio_runtime::Votes;

            fn rule(n: u64, f: u64) -> Rule {
                Rule {
                    null: f.saturating_add(1),
                    ..Rule::pbft(n, f)
                }
            }
            /// [`super::choose`] with the fallback on `f + 1` reports.
            pub fn choose(reports: Votes<Report>, own: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).choose(&reports, own, f)
            }
            /// [`super::admits`] with the fallback on `f + 1` reports.
            pub fn admits(reports: Votes<Report>, proposal: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).admits(&reports, proposal, f)
            }
            rio_runtime::include_protocol!("pbft");
        }

        /// A seeded bug: condition A1 on `n - f - 1` reports instead of
        /// `n - f`.
        pub mod lax_a1 {
            use super::Rule;
            pub use super::{no_view_change, opening, record, skip, take, Report};
            use rio_runtime::Votes;

            fn rule(n: u64, f: u64) -> Rule {
                Rule {
                    a1: n.saturating_sub(f).saturating_sub(1),
                    ..Rule::pbft(n, f)
                }
            }
            /// [`super::choose`] with the weaker A1.
            pub fn choose(reports: Votes<Report>, own: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).choose(&reports, own, f)
            }
            /// [`super::admits`] with the weaker A1.
            pub fn admits(reports: Votes<Report>, proposal: u64, n: u64, f: u64) -> Option<u64> {
                rule(n, f).admits(&reports, proposal, f)
            }
            rio_runtime::include_protocol!("pbft");
        }
    }

    /// The structure of Tendermint (`spec/examples/tendermint.rio`), with
    /// blocks as numbers: it compiles and runs its good case.
    pub mod tendermint {
        /// A block (a number, in this example).
        pub type Block = u64;
        /// The leader proposes its valid block, if any, else its own.
        pub fn propose(own: Block, valid: Option<Block>) -> Block {
            valid.unwrap_or(own)
        }
        /// Prevote for the proposal unless locked on another block.
        pub fn prevote_for(proposal: Block, locked: Option<Block>) -> Option<Block> {
            match locked {
                Some(l) if l != proposal => None,
                _ => Some(proposal),
            }
        }
        /// Prevote or precommit nil after a timeout.
        pub fn nil(_timeout: ()) -> Option<Block> {
            None
        }
        /// Lock on a polka's block; keep the previous lock otherwise.
        pub fn relock(previous: Option<Block>, polka: Option<Block>) -> Option<Block> {
            polka.or(previous)
        }
        rio_runtime::include_protocol!("tendermint");
    }

    /// Tendermint with signatures and proof-of-lock
    /// (`spec/examples/tendermint_pol.rio`), with blocks as numbers.
    pub mod tendermint_pol {
        use rio_runtime::Cert;

        /// A block (a number, in this example).
        pub type Block = u64;
        /// A polka: n - f signed prevotes for one value (or for nil).
        type Pol = Cert<Option<Block>>;

        /// A certificate's height and round: its instance key `[h, r]`.
        fn height(c: &Pol) -> u64 {
            c.key().first().copied().unwrap_or(0)
        }
        fn round(c: &Pol) -> u64 {
            c.key().get(1).copied().unwrap_or(0)
        }

        /// The valid value with its proof-of-lock, or the node's own block.
        pub fn propose(own: Block, valid: Option<Pol>) -> (Block, Option<Pol>) {
            match valid {
                Some(p) => match *p.value() {
                    Some(v) => (v, Some(p)),
                    None => (own, None),
                },
                None => (own, None),
            }
        }

        /// Tendermint's prevote rule: a proposal whose proof-of-lock (if
        /// any) is a polka for it from an earlier round of this height, if
        /// the node is not locked, is locked on it, or the proof is no older
        /// than its lock.
        pub fn prevote_for(
            proposal: (Block, Option<Pol>),
            locked: Option<Pol>,
            h: u64,
            r: u64,
        ) -> Option<Block> {
            let (block, pol) = proposal;
            if let Some(p) = &pol {
                if *p.value() != Some(block) || height(p) != h || round(p) >= r {
                    return None;
                }
            }
            match locked {
                None => Some(block),
                Some(l) if *l.value() == Some(block) => Some(block),
                Some(l) if pol.as_ref().is_some_and(|p| round(p) >= round(&l)) => Some(block),
                Some(_) => None,
            }
        }

        /// Nil, after a timeout.
        pub fn nil(_timeout: ()) -> Option<Block> {
            None
        }

        /// Precommit on a polka (a nil polka precommits nil).
        pub fn lock_on(polka: Pol) -> Option<Pol> {
            Some(polka)
        }

        /// No polka before the timeout.
        pub fn no_lock(_timeout: ()) -> Option<Pol> {
            None
        }

        /// The value a precommit carries.
        pub fn vote_of(choice: Option<Pol>) -> Option<Block> {
            choice.and_then(|p| *p.value())
        }

        /// A polka for a value replaces the previous lock (or valid value).
        pub fn relock(previous: Option<Pol>, polka: Option<Pol>) -> Option<Pol> {
            match polka {
                Some(p) if p.value().is_some() => Some(p),
                _ => previous,
            }
        }

        rio_runtime::include_protocol!("tendermint_pol");
    }

    /// Dolev–Strong authenticated broadcast
    /// (`spec/examples/dolev_strong.rio`) and the Rust functions it declares.
    pub mod dolev_strong {
        use rio_runtime::{NodeId, Signed, Votes};

        /// A chain: a value and the signatures that relayed it, the
        /// sender's first. Each signature is on the list of values its
        /// signer accepted in that round.
        pub type Chain = (u64, Vec<Signed<Vec<u64>>>);

        /// The sender's value as a chain without signatures yet.
        pub fn start(v: Option<u64>) -> Vec<Chain> {
            v.map(|v| vec![(v, Vec::new())]).unwrap_or_default()
        }

        /// The values of the chains to relay (what this node signs).
        pub fn values(fresh: Vec<Chain>) -> Vec<u64> {
            fresh.iter().map(|(v, _)| *v).collect()
        }

        /// The chains with this node's signature appended.
        pub fn endorse(fresh: Vec<Chain>, mine: Signed<Vec<u64>>) -> Vec<Chain> {
            fresh
                .into_iter()
                .map(|(v, mut links)| {
                    links.push(mine.clone());
                    (v, links)
                })
                .collect()
        }

        /// A chain valid in round `k`: at least `k + 1` distinct signers,
        /// the sender first, each signing a list holding the value. (Every
        /// signature was verified when the message arrived.)
        fn valid(chain: &Chain, sender: NodeId, k: u64) -> bool {
            let (v, links) = chain;
            let need = usize::try_from(k).unwrap_or(usize::MAX).saturating_add(1);
            let mut signers: Vec<NodeId> = links.iter().map(|l| l.signer()).collect();
            signers.sort_unstable();
            signers.dedup();
            links.len() >= need
                && signers.len() == links.len()
                && links.first().is_some_and(|l| l.signer() == sender)
                && links.iter().all(|l| l.value().contains(v))
        }

        /// The chains accepted in round `k`: valid, for values not accepted
        /// before, at most two values in all (two prove the sender lied).
        fn accepted(
            known: &[u64],
            heard: &Votes<Vec<Chain>>,
            sender: NodeId,
            k: u64,
        ) -> Vec<Chain> {
            let mut all = known.to_vec();
            let mut out = Vec::new();
            for c in heard.values().flatten() {
                if all.len() >= 2 {
                    break;
                }
                if !all.contains(&c.0) && valid(c, sender, k) {
                    all.push(c.0);
                    out.push(c.clone());
                }
            }
            out
        }

        /// The values accepted so far, after round `k`.
        pub fn learn(
            known: Vec<u64>,
            heard: Votes<Vec<Chain>>,
            sender: NodeId,
            k: u64,
        ) -> Vec<u64> {
            let new = accepted(&known, &heard, sender, k);
            let mut all = known;
            all.extend(new.iter().map(|c| c.0));
            all
        }

        /// The chains to relay in round `k + 1`.
        pub fn news(
            known: Vec<u64>,
            heard: Votes<Vec<Chain>>,
            sender: NodeId,
            k: u64,
        ) -> Vec<Chain> {
            accepted(&known, &heard, sender, k)
        }

        /// After the last round (`k = f`): the one value accepted, or
        /// nothing.
        pub fn decide(
            known: Vec<u64>,
            heard: Votes<Vec<Chain>>,
            sender: NodeId,
            k: u64,
            f: u64,
        ) -> Option<Option<u64>> {
            if k != f {
                return None;
            }
            Some(match learn(known, heard, sender, k).as_slice() {
                [v] => Some(*v),
                _ => None,
            })
        }

        rio_runtime::include_protocol!("dolev_strong");
    }

    /// Basic HotStuff, single-shot (`spec/examples/hotstuff.rio`), with
    /// blocks as numbers and the Rust functions it declares.
    pub mod hotstuff {
        use rio_runtime::{Cert, Votes};

        /// A block (a number, in this example).
        pub type Block = u64;

        /// A certificate's view: its instance key.
        fn view(qc: &Cert<Block>) -> u64 {
            qc.key().first().copied().unwrap_or(0)
        }

        /// The value of the highest certificate, else the leader's own block.
        pub fn propose(own: Block, high: Option<Cert<Block>>) -> Block {
            high.map_or(own, |qc| *qc.value())
        }

        /// The highest certificate reported.
        pub fn highest(reports: Votes<Option<Cert<Block>>>) -> Option<Cert<Block>> {
            reports
                .values()
                .flatten()
                .max_by_key(|qc| view(qc))
                .cloned()
        }

        /// HotStuff's safe-node rule: vote for a proposal that carries the
        /// value of its justification, and extends the lock or is justified
        /// by a newer certificate than the lock.
        pub fn safe(
            proposal: (Block, Option<Cert<Block>>),
            lock: Option<Cert<Block>>,
        ) -> Option<Block> {
            let (block, justify) = proposal;
            if justify.as_ref().is_some_and(|j| *j.value() != block) {
                return None;
            }
            match lock {
                None => Some(block),
                Some(l) if *l.value() == block => Some(block),
                Some(l) if justify.as_ref().is_some_and(|j| view(j) > view(&l)) => Some(block),
                Some(_) => None,
            }
        }

        /// The newer of a held certificate and a new one.
        pub fn newer(old: Option<Cert<Block>>, qc: Cert<Block>) -> Option<Cert<Block>> {
            match old {
                Some(o) if view(&o) >= view(&qc) => Some(o),
                _ => Some(qc),
            }
        }

        /// The newer of two held certificates (the first on a tie).
        pub fn newest(a: Option<Cert<Block>>, b: Option<Cert<Block>>) -> Option<Cert<Block>> {
            match (a, b) {
                (Some(a), Some(b)) if view(&b) > view(&a) => Some(b),
                (Some(a), _) => Some(a),
                (None, b) => b,
            }
        }

        /// The certificate's value, if the replica locked on exactly it.
        pub fn locked_on(lock: Option<Cert<Block>>, qc: Cert<Block>) -> Option<Block> {
            lock.filter(|l| *l == qc).map(|l| *l.value())
        }

        rio_runtime::include_protocol!("hotstuff");
    }

    /// Reiter's signed echo broadcast (`spec/examples/signed_echo.rio`) and
    /// the same protocol without signatures
    /// (`protocols/unsigned_echo.rio`), and with certificates too small
    /// (`protocols/weak_signed_echo.rio`, a seeded bug).
    pub mod echo {
        rio_runtime::include_protocol!("signed_echo");
        rio_runtime::include_protocol!("unsigned_echo");
        rio_runtime::include_protocol!("weak_signed_echo");
    }
}

/// A sample of mutants of the example protocols that generate code (see
/// `build.rs`): compiled here, so generated code beyond the examples must
/// compile warning-free too.
#[allow(missing_docs)]
pub mod fuzz_sample {
    /// Adds one.
    pub fn inc(v: u64) -> u64 {
        v.saturating_add(1)
    }
    /// A vote for the leader's value.
    pub fn wrap(v: u64) -> Option<u64> {
        Some(v)
    }
    /// A vote to skip the slot.
    pub fn skip(_t: ()) -> Option<u64> {
        None
    }
    /// The signal that starts the next slot.
    pub fn next(_d: Option<u64>) {}
    include!(concat!(env!("OUT_DIR"), "/fuzz_sample.rs"));
}
