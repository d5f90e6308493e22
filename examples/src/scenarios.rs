//! Simulation scenarios shared by the demo, the tests and the benchmarks.

use crate::generated::slots::slots;
use rio_runtime::NodeId;
use rio_sim::{Config, Fault, Report, Sim};

/// The slot sequence among 4 nodes with node 1 crashed from the start (its
/// slots are skipped by timeouts): nodes 0, 2 and 3 propose for slot 0, and
/// each decision starts the next slot, up to `slots` slots; runs for `ms`
/// simulated milliseconds (later slots are skipped by timeouts, so the run
/// ends only at `ms`).
pub fn slots_crashed_leader(seed: u64, slots: u64, ms: u64) -> Report {
    let params = slots::Params { n: 4, f: 1 };
    let cfg = Config::new(seed)
        .latency(1, 20)
        .max_time(ms)
        .max_steps(100_000_000)
        .fault(NodeId(1), Fault::Crash { at: 0 });
    let mut sim = Sim::new(4, cfg, move |id| {
        slots::Node::new(id, params.clone()).expect("valid parameters")
    });
    for k in [0u32, 2, 3] {
        sim.input_at(
            0,
            NodeId(k),
            slots::Input::Value {
                key: [0],
                value: u64::from(k),
            },
        );
    }
    sim.react(move |i, o| match o {
        slots::Output::Decided { key: [s], .. } if s.saturating_add(1) < slots => {
            Some(slots::Input::Value {
                key: [s + 1],
                value: (s + 1).saturating_mul(100).saturating_add(u64::from(i.0)),
            })
        }
        _ => None,
    });
    sim.run()
}

/// Ben-Or (`spec/examples/ben_or.rio`) among 4 nodes, f = 1: inputs from the
/// seed; node `seed % 4` crashes at a time from the seed (no crash for one
/// seed in five); with `loss > 0`, that share of messages is lost and nodes
/// 0, 1 are cut off from 2, 3 for the first 30 ms. Properties: agreement and
/// validity (safety), termination (every correct node decided) at the end;
/// the run stops once every correct node has decided.
pub fn ben_or(seed: u64, loss: f64) -> Report {
    use crate::generated::ben_or::ben_or::{Input, Node, Output, Params};
    use rand::{Rng as _, SeedableRng as _};
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed ^ 0xBE40);
    let n = 4;
    let inputs: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
    let mut cfg = Config::new(seed).latency(1, 20).max_time(60_000);
    if !seed.is_multiple_of(5) {
        let at = rng.gen_range(0..120);
        cfg = cfg.fault(NodeId((seed % 4) as u32), Fault::Crash { at });
    }
    if loss > 0.0 {
        cfg = cfg.loss(loss).partition(
            0,
            30,
            vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2), NodeId(3)]],
        );
    }
    let mut sim = Sim::new(n, cfg, move |id| {
        Node::new(id, Params { n, f: 1 }).expect("valid parameters")
    });
    for (k, v) in inputs.iter().enumerate() {
        sim.input_at(0, NodeId(k as u32), Input::Input(*v));
    }
    let decided = |v: &rio_sim::View<'_, Node>| -> Vec<(NodeId, bool)> {
        v.correct_outputs()
            .filter_map(|(id, o)| match o {
                Output::Decision { value: Some(d), .. } => Some((id, *d)),
                _ => None,
            })
            .collect()
    };
    sim.safety("agreement", move |v| {
        let d = decided(v);
        match d.iter().find(|(_, x)| Some(*x) != d.first().map(|f| f.1)) {
            Some((id, x)) => Err(format!(
                "node {} decided {x}, another {:?}",
                id.0,
                d.first()
            )),
            None => Ok(()),
        }
    });
    let unanimous = inputs.iter().all(|x| *x == inputs[0]).then_some(inputs[0]);
    sim.safety("validity", move |v| match unanimous {
        Some(u) => match decided(v).iter().find(|(_, x)| *x != u) {
            Some((id, x)) => Err(format!("every input was {u}, node {} decided {x}", id.0)),
            None => Ok(()),
        },
        None => Ok(()),
    });
    let all_decided = move |v: &rio_sim::View<'_, Node>| {
        let who: std::collections::BTreeSet<NodeId> =
            decided(v).into_iter().map(|(id, _)| id).collect();
        v.correct_nodes().all(|id| who.contains(&id))
    };
    sim.eventually("termination", move |v| {
        if all_decided(v) {
            Ok(())
        } else {
            Err("a correct node never decided".into())
        }
    });
    sim.stop_when(all_decided);
    sim.run()
}

/// The faults of an ACS run: which node misbehaves and how.
pub fn acs_fault(seed: u64) -> (NodeId, Fault) {
    use rio_sim::Byzantine;
    let node = NodeId((seed % 6) as u32);
    let fault = match seed % 7 {
        0 => Fault::Byzantine(Byzantine::Equivocate),
        1 => Fault::Byzantine(Byzantine::Split),
        2 => Fault::Byzantine(Byzantine::Random { every: 5 }),
        3 => Fault::Byzantine(Byzantine::Replay { every: 3 }),
        4 => Fault::Byzantine(Byzantine::Silent),
        5 => Fault::Crash { at: seed % 50 },
        _ => Fault::Crash { at: 0 },
    };
    (node, fault)
}

/// HoneyBadgerBFT's asynchronous common subset (`spec/examples/acs.rio`)
/// among 6 nodes, f = 1 (Byzantine Ben-Or needs n > 5f): node `j` proposes
/// `100 + j`; one node misbehaves as [`acs_fault`] picks from the seed.
/// Properties: every correct node outputs the same subset (agreement),
/// with at least `n - f` proposers and every value the one its proposer
/// input if that proposer is correct (validity), checked after every step;
/// every correct node outputs (termination), checked at the end. The run
/// stops once every correct node has output (the agreements' rounds go on).
pub fn acs(seed: u64) -> Report {
    use crate::generated::acs::acs::{Input, Node, Output, Params};
    let n = 6usize;
    let (bad, fault) = acs_fault(seed);
    let cfg = Config::new(seed)
        .latency(1, 30)
        .max_time(120_000)
        .fault(bad, fault.clone());
    let mut sim = Sim::new(n, cfg, move |id| {
        Node::new(id, Params { n, f: 1 }).expect("valid parameters")
    });
    for j in 0..n as u64 {
        sim.input_at(
            j,
            NodeId(j as u32),
            Input::Value {
                key: [j],
                value: 100 + j,
            },
        );
    }
    let correct_sender =
        move |j: u64| j != u64::from(bad.0) || matches!(fault, Fault::Crash { .. });
    let outputs = |v: &rio_sim::View<'_, Node>| -> Vec<(NodeId, Vec<(u64, u64)>)> {
        v.correct_outputs()
            .map(|(id, o)| match o {
                Output::Common(set) => (id, set.clone()),
            })
            .collect()
    };
    sim.safety("agreement", move |v| {
        let out = outputs(v);
        match out
            .iter()
            .find(|(_, s)| Some(s) != out.first().map(|f| &f.1))
        {
            Some((id, s)) => Err(format!(
                "node {} output {s:?}, another {:?}",
                id.0,
                out.first().map(|f| &f.1)
            )),
            None => Ok(()),
        }
    });
    sim.safety("validity", move |v| {
        for (id, set) in outputs(v) {
            if set.len() < n - 1 {
                return Err(format!(
                    "node {} output {} proposers: {set:?}",
                    id.0,
                    set.len()
                ));
            }
            if let Some((j, x)) = set
                .iter()
                .find(|(j, x)| correct_sender(*j) && *x != 100 + j)
            {
                return Err(format!("node {} output {x} for correct proposer {j}", id.0));
            }
        }
        Ok(())
    });
    let all_output = move |v: &rio_sim::View<'_, Node>| {
        let who: std::collections::BTreeSet<NodeId> =
            v.correct_outputs().map(|(id, _)| id).collect();
        v.correct_nodes().all(|id| who.contains(&id))
    };
    sim.eventually("termination", move |v| {
        if all_output(v) {
            Ok(())
        } else {
            Err("a correct node never output".into())
        }
    });
    sim.stop_when(all_output);
    sim.run()
}

/// Single-decree Paxos with f + 1 ballots (`spec/examples/paxos.rio`): n = 3,
/// f = 1 for even seeds, n = 5, f = 2 for odd ones; inputs `10 + k`. Latency
/// 1–20 ms, or up to 600 ms for one seed in three (so the ballots overlap and
/// an acceptor meets a higher ballot's prepare mid-ballot). Up to `f` nodes
/// crash at times from the seed (or at 0), and with `loss > 0` that share of
/// messages is lost. Properties: agreement (every decision, of any ballot,
/// by any node, carries one value) and validity (an input) after every
/// step; termination at the end (every correct node decided), unless
/// messages were lost or a ballot above the highest one with a live leader
/// was started by a leader that then crashed (with bounded ballots nothing
/// can pass that ballot).
pub fn paxos(seed: u64, loss: f64) -> Report {
    use crate::generated::paxos::ballots::paxos::{Input, Node, Output, Params};
    use rand::{Rng as _, SeedableRng as _};
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed ^ 0xBA11);
    let (n, f) = if seed.is_multiple_of(2) {
        (3, 1)
    } else {
        (5, 2)
    };
    let slow = seed.is_multiple_of(3);
    let mut cfg = Config::new(seed)
        .latency(1, if slow { 600 } else { 20 })
        .max_time(60_000);
    let crashes = rng.gen_range(0..=f);
    let mut crashed: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for _ in 0..crashes {
        let node = rng.gen_range(0..n as u32);
        if crashed.contains_key(&node) {
            continue;
        }
        let at = if rng.gen_bool(0.3) {
            0
        } else {
            rng.gen_range(0..700)
        };
        crashed.insert(node, at);
        cfg = cfg.fault(NodeId(node), Fault::Crash { at });
    }
    // Ballot b is led by node b (b <= f < n). With bounded ballots, a
    // correct node must decide when the highest ballot with a leader that
    // never crashes is not passed by a higher one: every higher ballot's
    // leader crashed before starting it (before its 300 ms delay; ballot
    // 0 starts at once).
    let top = (0..=f as u32).rev().find(|b| !crashed.contains_key(b));
    let passed = top.is_none_or(|top| {
        crashed
            .iter()
            .any(|(node, at)| *node > top && *node <= f as u32 && *at >= 299)
    });
    if loss > 0.0 {
        cfg = cfg.loss(loss);
    }
    let mut sim = Sim::new(n, cfg, move |id| {
        Node::new(id, Params { n, f }).expect("valid parameters")
    });
    for k in 0..n as u64 {
        sim.input_at(0, NodeId(k as u32), Input::Value(10 + k));
    }
    sim.safety("agreement", move |v| {
        let mut values = v.outputs.iter().map(|(_, _, o)| match o {
            Output::Decided { value: (_, x), .. } => *x,
        });
        let first = values.next();
        match values.find(|x| Some(*x) != first) {
            Some(x) => Err(format!("decided {x} and {first:?}")),
            None => Ok(()),
        }
    });
    sim.safety("validity", move |v| {
        for (_, id, o) in v.outputs {
            let Output::Decided { value: (_, x), .. } = o;
            if !(10..10 + n as u64).contains(x) {
                return Err(format!("node {} decided {x}, nobody's input", id.0));
            }
        }
        Ok(())
    });
    let live = loss == 0.0 && !passed;
    sim.eventually("termination", move |v| {
        let who: std::collections::BTreeSet<NodeId> =
            v.correct_outputs().map(|(id, _)| id).collect();
        if !live || v.correct_nodes().all(|id| who.contains(&id)) {
            Ok(())
        } else {
            Err("a correct node never decided".into())
        }
    });
    sim.run()
}

/// A replicated log of Paxos instances (`spec/examples/paxos_log.rio`):
/// n = 3, f = 1 (even seeds) or n = 5, f = 2 (odd seeds), `slots` slots
/// whose commands every node submits at time `s`, node `k` proposing
/// `1000 * s + k`. Up to `f` nodes crash at times from the seed, never the
/// leader of the last ballot (node `f`: with bounded ballots a slot whose
/// last ballot was abandoned stalls, see [`paxos`]). Properties: per slot,
/// one value, and someone's command for that slot, after every step;
/// every correct node has every slot at the end.
pub fn paxos_log(seed: u64, slots: u64) -> Report {
    use crate::generated::paxos::ballots::log::log::{Input, Node, Output, Params};
    use rand::SeedableRng as _;
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed ^ 0x106);
    let (n, f) = if seed.is_multiple_of(2) {
        (3, 1)
    } else {
        (5, 2)
    };
    let cfg = log_faults(seed, &mut rng, n, f);
    let mut sim = Sim::new(n, cfg, move |id| {
        Node::new(id, Params { n, f }).expect("valid parameters")
    });
    for s in 0..slots {
        for k in 0..n as u64 {
            sim.input_at(
                s,
                NodeId(k as u32),
                Input::Command {
                    key: [s],
                    value: 1000 * s + k,
                },
            );
        }
    }
    sim.safety("agreement", |v| {
        let mut per_slot = std::collections::BTreeMap::<u64, u64>::new();
        for (_, id, o) in v.outputs {
            let Output::Entry { key: [s], value } = o;
            if *per_slot.entry(*s).or_insert(*value) != *value {
                return Err(format!(
                    "node {} logged {value} at slot {s}, another {}",
                    id.0, per_slot[s]
                ));
            }
        }
        Ok(())
    });
    sim.safety("validity", move |v| {
        for (_, id, o) in v.outputs {
            let Output::Entry { key: [s], value } = o;
            if !(1000 * s..1000 * s + n as u64).contains(value) {
                return Err(format!("node {} logged {value} at slot {s}", id.0));
            }
        }
        Ok(())
    });
    let complete = move |v: &rio_sim::View<'_, Node>| {
        v.correct_nodes()
            .all(|id| v.correct_outputs().filter(|(k, _)| *k == id).count() as u64 == slots)
    };
    sim.eventually("termination", move |v| {
        if complete(v) {
            Ok(())
        } else {
            Err("a correct node is missing a slot".into())
        }
    });
    sim.run()
}

/// The links and crashes of a replicated-log run: latency 1–20 ms, or up to
/// 400 ms for one seed in three (ballots overlap); up to `f` nodes crash at
/// times in 0..500 ms, never node `f`, the leader of the last ballot (with
/// bounded ballots a slot whose last ballot was abandoned stalls, see
/// [`paxos`]).
fn log_faults(seed: u64, rng: &mut rio_runtime::forge::Rng, n: usize, f: usize) -> Config {
    use rand::Rng as _;
    let mut cfg = Config::new(seed)
        .latency(1, if seed.is_multiple_of(3) { 400 } else { 20 })
        .max_time(120_000);
    let mut crashed = std::collections::BTreeSet::new();
    for _ in 0..rng.gen_range(0..=f) {
        let node = rng.gen_range(0..n as u32);
        if node == f as u32 || !crashed.insert(node) {
            continue;
        }
        cfg = cfg.fault(
            NodeId(node),
            Fault::Crash {
                at: rng.gen_range(0..500),
            },
        );
    }
    cfg
}

/// Multi-Paxos with leader change (`spec/examples/multi_paxos.rio`): n = 3,
/// f = 1 (even seeds) or n = 5, f = 2 (odd seeds), `chunks` chunks of 8
/// slots; every node submits the command of slot `s` of chunk `c` at time
/// `8c + s` ms, node `k` proposing `1000 * (8c + s) + k`. Links and crashes
/// as for [`paxos_log`]; with `loss > 0` that share of messages is lost
/// (termination is then not required). Properties: per slot, one value,
/// someone's command for that slot, after every step; every correct node
/// has every slot at the end. `make` builds the nodes (a seeded bug
/// swaps in another build of the protocol).
pub fn multi_paxos(seed: u64, chunks: u64, loss: f64) -> Report {
    use crate::generated::paxos::ballots::multi::multi_paxos::{Input, Node, Output, Params};
    multi_paxos_with(
        seed,
        chunks,
        loss,
        |id, n, f| Node::new(id, Params { n, f }).expect("valid parameters"),
        |key, value| Input::Command { key, value },
        |o| match o {
            Output::Entry { key, value } => (*key, *value),
        },
    )
}

/// [`multi_paxos`] with the nodes built by `make(id, n, f)` (a seeded bug
/// swaps in another build of the protocol), commands made by
/// `command([chunk, slot], value)` and log entries read by `entry`.
pub fn multi_paxos_with<N>(
    seed: u64,
    chunks: u64,
    loss: f64,
    make: impl Fn(NodeId, usize, usize) -> N + 'static,
    command: fn([u64; 2], u64) -> N::Input,
    entry: fn(&N::Output) -> ([u64; 2], u64),
) -> Report
where
    N: rio_runtime::Node + 'static,
    N::Message: rio_runtime::forge::ForgeMessage,
{
    use rand::SeedableRng as _;
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed ^ 0x3B1);
    let (n, f) = if seed.is_multiple_of(2) {
        (3, 1)
    } else {
        (5, 2)
    };
    let mut cfg = log_faults(seed, &mut rng, n, f);
    if loss > 0.0 {
        cfg = cfg.loss(loss);
    }
    let mut sim = Sim::new(n, cfg, move |id| make(id, n, f));
    for c in 0..chunks {
        for s in 0..8 {
            for k in 0..n as u64 {
                sim.input_at(
                    8 * c + s,
                    NodeId(k as u32),
                    command([c, s], 1000 * (8 * c + s) + k),
                );
            }
        }
    }
    sim.safety("agreement", move |v| {
        let mut per_slot = std::collections::BTreeMap::<[u64; 2], u64>::new();
        for (_, id, o) in v.outputs {
            let (key, value) = entry(o);
            if *per_slot.entry(key).or_insert(value) != value {
                return Err(format!(
                    "node {} logged {value} at chunk {} slot {}, another {}",
                    id.0, key[0], key[1], per_slot[&key]
                ));
            }
        }
        Ok(())
    });
    sim.safety("validity", move |v| {
        for (_, id, o) in v.outputs {
            let ([c, s], value) = entry(o);
            let base = 1000 * (8 * c + s);
            if !(base..base + n as u64).contains(&value) {
                return Err(format!(
                    "node {} logged {value} at chunk {c} slot {s}",
                    id.0
                ));
            }
        }
        Ok(())
    });
    let complete = move |v: &rio_sim::View<'_, N>| {
        v.correct_nodes()
            .all(|id| v.correct_outputs().filter(|(k, _)| *k == id).count() as u64 == 8 * chunks)
    };
    sim.eventually("termination", move |v| {
        if loss > 0.0 || complete(v) {
            Ok(())
        } else {
            Err("a correct node is missing a slot".into())
        }
    });
    sim.stop_when(complete);
    sim.run()
}

/// How a PBFT run is set up: its size, its faulty nodes and how each
/// misbehaves, and whether its links are slow enough that views time out
/// mid-way.
#[derive(Clone, Debug)]
pub struct PbftSetup {
    pub n: usize,
    pub f: usize,
    pub faults: Vec<(NodeId, Fault)>,
    /// Latency up to 1.5 s: view 0 may time out with values prepared at
    /// some replicas, so the view change carries real claims. Termination
    /// is then not required (a bounded number of views may all time out).
    pub slow: bool,
    /// Delays aimed at choice points (`rio_sim::Config::aim`), `(min, max)`
    /// ms more for correct messages that feed a live choice. Like slow
    /// links, termination is then not required.
    pub aim: Option<(u64, u64)>,
}

/// The setup of PBFT seed `seed`: n = 7, f = 2 for one seed in four, else
/// n = 4, f = 1; up to `f` faulty nodes, the view-0 primary among them in
/// half the seeds, each Byzantine (equivocating, splitting, two-faced,
/// random, replaying, silent) or crashed at a time from the seed; slow links in
/// one seed in four.
pub fn pbft_setup(seed: u64) -> PbftSetup {
    use rand::{Rng as _, SeedableRng as _};
    use rio_sim::Byzantine;
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed ^ 0x9BF7);
    let (n, f) = if seed % 4 == 3 { (7, 2) } else { (4, 1) };
    let mut faulty = std::collections::BTreeSet::new();
    if seed.is_multiple_of(2) {
        faulty.insert(0u32);
    }
    let count = rng.gen_range(0..=f).max(faulty.len());
    while faulty.len() < count {
        faulty.insert(rng.gen_range(0..n as u32));
    }
    let faults = faulty
        .into_iter()
        .map(|node| {
            let fault = match rng.gen_range(0..7) {
                0 => Fault::Byzantine(Byzantine::Equivocate),
                1 => Fault::Byzantine(Byzantine::Split),
                2 => Fault::Byzantine(Byzantine::Random { every: 5 }),
                3 => Fault::Byzantine(Byzantine::Replay { every: 3 }),
                4 => Fault::Byzantine(Byzantine::Silent),
                5 => Fault::Byzantine(Byzantine::TwoFaced),
                _ => Fault::Crash {
                    at: rng.gen_range(0..3000),
                },
            };
            (NodeId(node), fault)
        })
        .collect();
    PbftSetup {
        n,
        f,
        faults,
        slow: seed % 4 == 1,
        aim: None,
    }
}

/// PBFT with view change (`spec/examples/pbft.rio`) as [`pbft_setup`]
/// picks it; node `j` requests `1 + j % 2`. With `loss > 0`, that share of
/// messages is lost. Properties: agreement (every decision by a correct
/// node, in any view, carries one value) and validity (a request, unless a
/// primary of some view is Byzantine: a Byzantine primary may propose
/// anything, as in PBFT without client signatures) after every step;
/// termination (every correct node decided) at the end, on reliable and
/// not-slow links. The run goes on after the decisions, through every
/// view: every later view's change then carries the decided value's
/// prepared claims, and must keep it.
pub fn pbft(seed: u64, loss: f64) -> Report {
    use crate::generated::pbft::pbft::{Input, Node, Output, Params};
    pbft_with(
        seed,
        loss,
        pbft_setup(seed),
        |id, n, f| Node::new(id, Params { n, f }).expect("valid parameters"),
        Input::Request,
        |o| match o {
            Output::Decided { key: [view], value } => (*view, *value),
        },
    )
}

/// [`pbft`] over any setup and any build of the protocol (a seeded bug,
/// for one): `make` builds node `id` for `(n, f)`, `request` is the
/// request input, `decision` reads a decision as `(view, value)`.
pub fn pbft_with<N>(
    seed: u64,
    loss: f64,
    setup: PbftSetup,
    make: impl Fn(NodeId, usize, usize) -> N + 'static,
    request: fn(u64) -> N::Input,
    decision: fn(&N::Output) -> (u64, u64),
) -> Report
where
    N: rio_runtime::Node + 'static,
    N::Message: rio_runtime::forge::ForgeMessage,
{
    let (n, f) = (setup.n, setup.f);
    let mut cfg = Config::new(seed)
        .latency(1, if setup.slow { 1500 } else { 300 })
        .max_time(60_000);
    for (node, fault) in &setup.faults {
        cfg = cfg.fault(*node, fault.clone());
    }
    if loss > 0.0 {
        cfg = cfg.loss(loss);
    }
    if let Some((lo, hi)) = setup.aim {
        cfg = cfg.aim(lo, hi);
    }
    let byzantine_primary = setup
        .faults
        .iter()
        .any(|(node, fault)| node.index() <= f && matches!(fault, Fault::Byzantine(_)));
    let mut sim = Sim::new(n, cfg, move |id| make(id, n, f));
    for j in 0..n as u64 {
        sim.input_at(0, NodeId(j as u32), request(1 + j % 2));
    }
    let decided = move |v: &rio_sim::View<'_, N>| -> Vec<(NodeId, u64, u64)> {
        v.correct_outputs()
            .map(|(id, o)| {
                let (view, value) = decision(o);
                (id, view, value)
            })
            .collect()
    };
    sim.safety("agreement", move |v| {
        let d = decided(v);
        match d
            .iter()
            .find(|(_, _, x)| Some(*x) != d.first().map(|d| d.2))
        {
            Some((id, view, x)) => Err(format!(
                "node {} decided {x} in view {view}, another {:?}",
                id.0,
                d.first()
            )),
            None => Ok(()),
        }
    });
    sim.safety("validity", move |v| {
        if byzantine_primary {
            return Ok(());
        }
        match decided(v).iter().find(|(_, _, x)| !(1..=2).contains(x)) {
            Some((id, view, x)) => Err(format!(
                "node {} decided {x} in view {view}, nobody's request",
                id.0
            )),
            None => Ok(()),
        }
    });
    // Aimed delays, like slow links, may outlast the view timers.
    let live = loss == 0.0 && !setup.slow && setup.aim.is_none();
    sim.eventually("termination", move |v| {
        let who: std::collections::BTreeSet<NodeId> =
            decided(v).into_iter().map(|(id, _, _)| id).collect();
        if !live || v.correct_nodes().all(|id| who.contains(&id)) {
            Ok(())
        } else {
            Err("a correct node never decided".into())
        }
    });
    sim.run()
}
