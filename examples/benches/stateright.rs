//! `rio-check` beside stateright 0.31, in one run on one machine: the same
//! two-phase commit and the same Bracha, checked by Rio from the `.rio`
//! source (reduction on and off) and by stateright as hand-written actor
//! models (`tests/support/stateright_models.rs`), plus Rio's generated
//! nodes driven by stateright (which must count exactly what `rio-check`
//! counts without reduction: asserted whenever both finish).
//!
//! `cargo bench -p rio-examples --bench stateright -- [--limit SECS] [--max-n N]`
//!
//! Every check stops at the time limit (default 30 s) and is then reported
//! as incomplete with the states it reached. Rio runs on one thread (its
//! default), stateright on every core (its own recommendation); the
//! `--exhaust` rows also run Rio's depth-first search on every core.
//! Prints a Markdown table (`docs/benchmarks.md` keeps the latest).

#[path = "../tests/support/stateright_models.rs"]
mod models;

use rio_check::{Model, Search, Verdict};
use rio_examples::generated::two_phase_commit::two_phase_commit as tpc;
use rio_examples::generated::{bracha, bracha_bugs};
use rio_examples::properties::checker::{agreement, totality};
use rio_runtime::NodeId;
use stateright::actor::{is_no_op, Actor, ActorModel, ActorModelState, Out};
use stateright::{Checker, Expectation};
use std::borrow::Cow;
use std::time::{Duration, Instant};

struct Row {
    model: String,
    checker: &'static str,
    verdict: String,
    states: usize,
    time: Duration,
    done: bool,
}

fn rio<N: rio_runtime::Node + Send + Sync + 'static>(
    model: &str,
    checker: &'static str,
    m: Model<N>,
    limit: Duration,
) -> Row
where
    N::Message: Send + Sync,
    N::Input: Send + Sync,
    N::Output: Send + Sync,
{
    let out = m.max_time(limit).max_states(usize::MAX).check();
    let (verdict, done) = match &out.verdict {
        Verdict::Verified => ("verified".to_string(), true),
        Verdict::Violation { property, .. } => (format!("{property} violated"), true),
        Verdict::Incomplete { .. } => ("incomplete (time limit)".to_string(), false),
    };
    Row {
        model: model.to_string(),
        checker,
        verdict,
        states: out.states,
        time: out.elapsed,
        done,
    }
}

fn stateright<A>(
    model: &str,
    checker: &'static str,
    m: ActorModel<A>,
    limit: Duration,
    dfs: bool,
) -> Row
where
    A: Actor + Send + Sync + 'static,
    A::Msg: Ord + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::State: Send + Sync,
    A::Random: Send + Sync,
    A::Storage: Send + Sync,
{
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    let b = stateright::Model::checker(m).threads(cores).timeout(limit);
    let (found, states) = if dfs {
        finish(b.spawn_dfs().join())
    } else {
        finish(b.spawn_bfs().join())
    };
    let time = started.elapsed();
    let timed_out = time >= limit;
    let verdict = if !found.is_empty() {
        format!("{} violated", found.join(", "))
    } else if timed_out {
        "incomplete (time limit)".to_string()
    } else {
        "verified".to_string()
    };
    Row {
        model: model.to_string(),
        checker,
        verdict,
        states,
        time,
        done: !found.is_empty() || !timed_out,
    }
}

/// The properties a finished stateright run found violated, and its unique
/// states.
fn finish<M>(c: impl Checker<M>) -> (Vec<&'static str>, usize)
where
    M: stateright::Model,
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let found = c.discoveries().keys().copied().collect();
    (found, c.unique_state_count())
}

/// Totality for the hand-written Bracha, in `rio-check`'s sense: at a
/// state where no message can change anything (stateright keeps messages
/// whose delivery is a no-op on the network), if one correct node
/// delivered, every correct node did.
fn bracha_totality(
    m: &ActorModel<models::bracha::Role>,
    s: &ActorModelState<models::bracha::Role>,
) -> bool {
    let correct = || {
        s.actor_states
            .iter()
            .zip(&m.actors)
            .filter(|(_, a)| matches!(a, models::bracha::Role::Correct { .. }))
    };
    let delivered = correct().filter(|(st, _)| st.delivered.is_some()).count();
    if delivered == 0 || delivered == correct().count() {
        return true;
    }
    for env in s.network.iter_deliverable() {
        let dst = usize::from(env.dst);
        let (Some(actor), Some(st)) = (m.actors.get(dst), s.actor_states.get(dst)) else {
            continue;
        };
        let mut st = Cow::Borrowed(&**st);
        let mut out = Out::new();
        actor.on_msg(env.dst, &mut st, env.src, *env.msg, &mut out);
        if !is_no_op(&st, &out) {
            return true; // not quiescent yet
        }
    }
    false
}

fn fmt_row(r: &Row) -> String {
    format!(
        "| {} | {} | {} | {} | {:.3} s |",
        r.model,
        r.checker,
        r.verdict,
        group(r.states),
        r.time.as_secs_f64()
    )
}

fn group(k: usize) -> String {
    let s = k.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn emit(rows: &mut Vec<Row>, r: Row) -> bool {
    eprintln!("{}", fmt_row(&r));
    let done = r.done;
    rows.push(r);
    done
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|k| args.get(k + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let limit = Duration::from_secs(value("--limit").unwrap_or(30));
    let max_n = value("--max-n").unwrap_or(7) as usize;
    let mut rows = Vec::new();

    // Two-phase commit, every participant votes yes, no crashes; the
    // coordinator's timer may fire at any point (a choice).
    let (mut rio_on, mut rio_off, mut sr_rio, mut sr_hand) = (true, true, true, true);
    for n in 3..=max_n {
        let name = format!("2PC, {n} nodes");
        let make = move |reduction: bool| {
            let params = tpc::Params {
                n,
                coord: NodeId(0),
            };
            let mut m = Model::new(n, move |id| {
                tpc::Node::new(id, params.clone()).expect("params")
            })
            .reduction(reduction)
            .safety("agreement", agreement);
            for i in 0..n {
                m = m.input(NodeId(i as u32), tpc::Input::Vote(true));
            }
            m.input(NodeId(0), tpc::Input::Go(()))
        };
        let mut off_states = None;
        if rio_on {
            rio_on = emit(
                &mut rows,
                rio(&name, "rio-check, reduction on", make(true), limit),
            );
        }
        if rio_off {
            let r = rio(&name, "rio-check, reduction off", make(false), limit);
            off_states = r.done.then_some(r.states);
            rio_off = emit(&mut rows, r);
        }
        if sr_rio {
            let params = tpc::Params {
                n,
                coord: NodeId(0),
            };
            let inputs = (0..n)
                .map(|i| {
                    let mut v = vec![tpc::Input::Vote(true)];
                    if i == 0 {
                        v.push(tpc::Input::Go(()));
                    }
                    v
                })
                .collect();
            let m = models::rio_model(
                move |id| tpc::Node::new(id, params.clone()).expect("params"),
                inputs,
                vec![false; n],
                Vec::new(),
            );
            let r = stateright(&name, "stateright, Rio's nodes", m, limit, false);
            if let (Some(a), true) = (off_states, r.done) {
                assert_eq!(a, r.states, "{name}: the two checkers disagree");
            }
            sr_rio = emit(&mut rows, r);
        }
        if sr_hand {
            sr_hand = emit(
                &mut rows,
                stateright(
                    &name,
                    "stateright, hand-written",
                    models::tpc::model(n),
                    limit,
                    false,
                ),
            );
        }
    }

    // Bracha, n = 4, f = 1, node 0 a Byzantine sender.
    type M = bracha::Message<u64>;
    use models::bracha::Msg as H;
    let adversaries: Vec<(&str, Vec<M>, Vec<H>)> = vec![
        (
            "equivocating SEND",
            vec![M::Send(1), M::Send(2)],
            vec![H::Send(1), H::Send(2)],
        ),
        (
            "SEND, ECHO, READY for 1 and 2",
            vec![
                M::Send(1),
                M::Send(2),
                M::Echo(1),
                M::Echo(2),
                M::Ready(1),
                M::Ready(2),
            ],
            vec![
                H::Send(1),
                H::Send(2),
                H::Echo(1),
                H::Echo(2),
                H::Ready(1),
                H::Ready(2),
            ],
        ),
    ];
    let params = bracha::Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    for (adv, domain, pool) in &adversaries {
        let name = format!("Bracha n = 4, Byzantine sender: {adv}");
        let make = |reduction: bool, spent: bool| {
            let p = params.clone();
            Model::new(4, move |id| {
                bracha::Node::<u64>::new(id, p.clone()).expect("params")
            })
            .byzantine(NodeId(0))
            .domain(domain.clone())
            .reduction(reduction)
            .spent_choices(spent)
            .safety("agreement", agreement)
            .termination("totality", totality)
        };
        emit(
            &mut rows,
            rio(&name, "rio-check, reduction on", make(true, true), limit),
        );
        emit(
            &mut rows,
            rio(
                &name,
                "rio-check, reduction on, line graph only",
                make(true, false),
                limit,
            ),
        );
        let r = rio(&name, "rio-check, reduction off", make(false, false), limit);
        let off_states = r.done.then_some(r.states);
        emit(&mut rows, r);
        let p = params.clone();
        let m = models::rio_model(
            move |id| bracha::Node::<u64>::new(id, p.clone()).expect("params"),
            vec![Vec::new(); 4],
            vec![true, false, false, false],
            domain.clone(),
        );
        let r = stateright(&name, "stateright, Rio's nodes", m, limit, false);
        if let (Some(a), true) = (off_states, r.done) {
            assert_eq!(a, r.states, "{name}: the two checkers disagree");
        }
        emit(&mut rows, r);
        let m = models::bracha::model(4, 2, pool.clone()).property(
            Expectation::Always,
            "totality",
            bracha_totality,
        );
        emit(
            &mut rows,
            stateright(&name, "stateright, hand-written", m, limit, false),
        );
    }

    // The amplification threshold lowered to f (READY on f equal READYs):
    // breaks totality under the strong adversary.
    let (_, domain, pool) = &adversaries[1];
    let name = "Bracha n = 4, weak threshold f (bug), strong adversary";
    for (search, label) in [(Search::Bfs, "BFS"), (Search::Dfs, "DFS")] {
        let p = bracha_bugs::weak_too_small::Params {
            n: 4,
            f: 1,
            sender: NodeId(0),
        };
        let m = Model::new(4, move |id| {
            bracha_bugs::weak_too_small::Node::<u64>::new(id, p.clone()).expect("params")
        })
        .byzantine(NodeId(0))
        .domain(
            domain
                .iter()
                .map(|m| match m {
                    M::Send(v) => bracha_bugs::weak_too_small::Message::Send(*v),
                    M::Echo(v) => bracha_bugs::weak_too_small::Message::Echo(*v),
                    M::Ready(v) => bracha_bugs::weak_too_small::Message::Ready(*v),
                })
                .collect(),
        )
        .search(search)
        .safety("agreement", agreement)
        .termination("totality", totality);
        emit(
            &mut rows,
            rio(
                &format!("{name}, {label}"),
                "rio-check, reduction on",
                m,
                limit,
            ),
        );
        let m = models::bracha::model(4, 1, pool.clone()).property(
            Expectation::Always,
            "totality",
            bracha_totality,
        );
        emit(
            &mut rows,
            stateright(
                &format!("{name}, {label}"),
                "stateright, hand-written",
                m,
                limit,
                search == Search::Dfs,
            ),
        );
    }

    // `--exhaust SECS`: the strong adversary once more, depth-first (less
    // memory for the frontier), with a longer time bound, with and without
    // the state-aware moves.
    if let Some(secs) = value("--exhaust") {
        let (_, domain, _) = &adversaries[1];
        let name = "Bracha n = 4, Byzantine sender: SEND, ECHO, READY for 1 and 2, DFS";
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // A row's label lives as long as the table.
        let on_all: &'static str =
            Box::leak(format!("rio-check, reduction on, {cores} threads").into_boxed_str());
        for (spent, threads, label) in [
            (true, 1, "rio-check, reduction on"),
            (true, cores, on_all),
            (false, 1, "rio-check, reduction on, line graph only"),
        ] {
            let p = params.clone();
            let m = Model::new(4, move |id| {
                bracha::Node::<u64>::new(id, p.clone()).expect("params")
            })
            .byzantine(NodeId(0))
            .domain(domain.clone())
            .search(Search::Dfs)
            .threads(threads)
            .spent_choices(spent)
            .safety("agreement", agreement)
            .termination("totality", totality);
            emit(&mut rows, rio(name, label, m, Duration::from_secs(secs)));
        }
    }

    println!("| model | checker | verdict | unique states | time |");
    println!("|---|---|---|---:|---:|");
    for r in &rows {
        println!("{}", fmt_row(r));
    }
}
