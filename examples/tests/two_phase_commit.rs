//! Two-phase commit with a timeout (`spec/examples/two_phase_commit.rio`):
//! its phase 2 is one line over a collection of all n votes. In the
//! simulator over 10,000 seeds (crashes of participants and of the
//! coordinator, message loss, reordering): every node that decides decides
//! the same; commit only if every participant voted yes; with a live
//! coordinator and no loss every live node decides. The model checker
//! verifies the safety properties for 3 to 6 participants with a crash.

use rio_check::Model;
use rio_examples::generated::two_phase_commit::two_phase_commit::{Input, Node, Output, Params};
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Config, Fault, Sim};

const COORD: NodeId = NodeId(0);

/// Node `i`'s vote in run `seed`: all yes in half the runs.
fn vote(seed: u64, i: u32) -> bool {
    seed.is_multiple_of(2) || !(seed / 2 + u64::from(i)).is_multiple_of(5)
}

fn decisions(outputs: &[(NodeId, Output)]) -> Vec<bool> {
    outputs
        .iter()
        .map(|(_, o)| match o {
            Output::Decided(d) => *d,
        })
        .collect()
}

/// Agreement: no two nodes (crashed or not) decide differently.
fn agreement(outputs: &[(NodeId, Output)]) -> Result<(), String> {
    let d = decisions(outputs);
    if d.windows(2).all(|w| w.first() == w.get(1)) {
        Ok(())
    } else {
        Err(format!("decisions {d:?}"))
    }
}

/// Validity: commit only if every participant voted yes.
fn validity(votes: &[bool], outputs: &[(NodeId, Output)]) -> Result<(), String> {
    if decisions(outputs).contains(&true) && votes.contains(&false) {
        Err(format!("committed although the votes were {votes:?}"))
    } else {
        Ok(())
    }
}

#[test]
fn sweep_of_10_000_seeds_under_crashes_and_loss() {
    let summary = sweep(0..10_000, |seed| {
        let n = 3 + (seed % 4) as usize;
        let mut cfg = Config::new(seed).no_trace().latency(1, 60).max_time(5_000);
        // A quarter of the runs crash a participant, one in eight the
        // coordinator, one in eight lose messages.
        let coord_crash = seed % 8 == 1;
        let lossy = seed % 8 == 5;
        match seed % 4 {
            2 => {
                let who = NodeId(1 + (seed / 4 % (n as u64 - 1)) as u32);
                cfg = cfg.fault(who, Fault::Crash { at: seed % 90 });
            }
            _ if coord_crash => cfg = cfg.fault(COORD, Fault::Crash { at: seed % 90 }),
            _ if lossy => cfg = cfg.loss(0.1),
            _ => {}
        }
        let votes: Vec<bool> = (0..n as u32).map(|i| vote(seed, i)).collect();
        let params = Params { n, coord: COORD };
        let mut s = Sim::new(n, cfg, move |id| {
            Node::new(id, params.clone()).expect("params")
        });
        for (i, v) in votes.iter().enumerate() {
            s.input_at(0, NodeId(i as u32), Input::Vote(*v));
        }
        s.input_at(1, COORD, Input::Go(()));
        s.safety("agreement", |v| {
            agreement(
                v.outputs
                    .iter()
                    .map(|(_, id, o)| (*id, o.clone()))
                    .collect::<Vec<_>>()
                    .as_slice(),
            )
        });
        let vs = votes.clone();
        s.safety("validity", move |v| {
            validity(
                &vs,
                v.outputs
                    .iter()
                    .map(|(_, id, o)| (*id, o.clone()))
                    .collect::<Vec<_>>()
                    .as_slice(),
            )
        });
        if !coord_crash && !lossy {
            s.eventually("termination", |v| {
                let decided: std::collections::BTreeSet<NodeId> =
                    v.correct_outputs().map(|(k, _)| k).collect();
                if v.correct_nodes().all(|k| decided.contains(&k)) {
                    Ok(())
                } else {
                    Err(format!("{} decided", decided.len()))
                }
            });
        }
        s.run()
    });
    assert_eq!(summary.runs, 10_000);
    assert!(summary.violations.is_empty(), "{summary}");
}

#[test]
fn the_checker_verifies_3_to_6_participants_with_a_crash() {
    for n in 3..=6usize {
        // Participant 1 votes no when `no` is set: every behaviour aborts.
        for no in [false, true] {
            let votes: Vec<bool> = (0..n).map(|i| !(no && i == 1)).collect();
            let params = Params { n, coord: COORD };
            let vs = votes.clone();
            let mut m = Model::new(n, move |id| Node::new(id, params.clone()).expect("params"))
                .crashes(1)
                .safety("agreement", |v| agreement(v.outputs))
                .safety("validity", move |v| validity(&vs, v.outputs));
            for (i, v) in votes.iter().enumerate() {
                m = m.input(NodeId(i as u32), Input::Vote(*v));
            }
            let out = m.input(COORD, Input::Go(())).check();
            eprintln!("2PC, {n} participants, a no vote: {no}, 1 crash: {out}");
            assert!(out.is_verified(), "{out}");
        }
    }
}

/// With every vote yes, no faults and fast links (well inside the
/// timeout), every node commits; with one no vote, every node aborts.
#[test]
fn all_yes_commits_and_one_no_aborts() {
    for seed in 0..200u64 {
        for no in [false, true] {
            let n = 3 + (seed % 4) as usize;
            let params = Params { n, coord: COORD };
            let mut s = Sim::new(n, Config::new(seed).latency(1, 10), move |id| {
                Node::new(id, params.clone()).expect("params")
            });
            for i in 0..n as u32 {
                s.input_at(0, NodeId(i), Input::Vote(!(no && i == 2)));
            }
            s.input_at(1, COORD, Input::Go(()));
            let want = !no;
            s.eventually("everyone decides", move |v| {
                let d: Vec<bool> = v
                    .correct_outputs()
                    .map(|(_, o)| match o {
                        Output::Decided(d) => *d,
                    })
                    .collect();
                if d.len() == n && d.iter().all(|x| *x == want) {
                    Ok(())
                } else {
                    Err(format!("decisions {d:?}, wanted all {want}"))
                }
            });
            s.run().assert_ok();
        }
    }
}

/// The simulator hands back typed outputs after a run.
#[test]
fn typed_outputs_after_a_run() {
    let params = Params { n: 3, coord: COORD };
    let mut s = Sim::new(3, Config::new(1).latency(1, 5), move |id| {
        Node::new(id, params.clone()).expect("params")
    });
    for i in 0..3 {
        s.input_at(0, NodeId(i), Input::Vote(true));
    }
    s.input_at(1, COORD, Input::Go(()));
    s.run().assert_ok();
    let decided: Vec<(NodeId, bool)> = s
        .outputs()
        .iter()
        .map(|(_, id, o)| match o {
            Output::Decided(d) => (*id, *d),
        })
        .collect();
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|(_, d)| *d), "{decided:?}");
}
