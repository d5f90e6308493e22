//! End-to-end regressions for the back end: protocols that used to
//! generate wrong or uncompilable code now compile (warning-free: the CI
//! lint gate builds this crate with `-D warnings`) and run.

use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn ids(n: usize) -> impl Iterator<Item = NodeId> {
    (0..n).map(|k| NodeId(u32::try_from(k).expect("small")))
}

/// Rust keywords (`match`, `type`, `loop`, `async`, `final`) as line names.
#[test]
fn keyword_line_names_compile_and_deliver() {
    use rio_examples::generated::keywords::keywords::{Input, Node, Output, Params};
    let params = Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    let mut c = Cluster::new(
        ids(4)
            .map(|i| Node::new(i, params.clone()).expect("params"))
            .collect::<Vec<_>>(),
    );
    let mut honest = Cluster::<Node>::honest();
    c.input(NodeId(0), Input::Type(5), &mut honest);
    c.run(10_000, &mut honest);
    let mut got: Vec<(NodeId, Output)> = c.outputs.clone();
    got.sort_by_key(|(i, _)| *i);
    assert_eq!(
        got,
        ids(4).map(|i| (i, Output::Final(7))).collect::<Vec<_>>()
    );
}

/// 70 rules of arity 0 and 70 of arity 1 (plus timers-free bookkeeping):
/// task bit sets past 64 and 128 bits.
#[test]
fn more_than_128_rules_of_one_arity_all_fire() {
    use rio_examples::generated::chain::chain::{Input, Node, Output, Params};
    let params = Params { n: 4, s: NodeId(0) };
    let mut c = Cluster::new(
        ids(4)
            .map(|i| Node::new(i, params.clone()).expect("params"))
            .collect::<Vec<_>>(),
    );
    let mut honest = Cluster::<Node>::honest();
    c.input(NodeId(0), Input::V(1), &mut honest);
    for k in 0..3u64 {
        c.input(
            NodeId(0),
            Input::W {
                key: [k],
                value: 10 * k,
            },
            &mut honest,
        );
    }
    c.run(100_000, &mut honest);
    for i in ids(4) {
        assert!(
            c.outputs.contains(&(i, Output::O(72))),
            "{i}: {:?}",
            c.outputs
        );
        for k in 0..3u64 {
            assert!(
                c.outputs.contains(&(
                    i,
                    Output::P {
                        key: [k],
                        value: 10 * k + 71
                    }
                )),
                "{i} slot {k}: {:?}",
                c.outputs
            );
        }
    }
    // Finished slot instances are freed.
    assert!(c.nodes.iter().all(|n| n.live_instances() == 0));
}

/// The generation fuzz's mutants that generate code are compiled into this
/// crate (`build.rs`, `rio_examples::fuzz_sample`): enough of them to mean
/// something, checked when this test crate compiles.
const _: () = assert!(
    rio_examples::fuzz_sample::SAMPLES >= 20,
    "too few fuzz mutants compiled"
);

/// A crash-fault protocol (`faults f: crash`): its majority quorum needs no
/// `?`; it decides with `f` nodes crashed; the simulator refuses to make
/// one of its nodes Byzantine (the protocol promises nothing against lies).
mod crash_model {
    use rio_examples::generated::majority::majority_decide::{Input, Node, Output, Params};
    use rio_runtime::{FaultModel, Node as _, NodeId};
    use rio_sim::{Byzantine, Config, Fault, Sim};

    fn sim(cfg: Config) -> Sim<Node> {
        let params = Params {
            n: 5,
            f: 2,
            leader: NodeId(0),
        };
        Sim::new(5, cfg, move |id| {
            Node::new(id, params.clone()).expect("params")
        })
    }

    #[test]
    fn decides_with_f_crashes() {
        assert_eq!(Node::fault_model(), FaultModel::Crash);
        for seed in 0..50 {
            let cfg = Config::new(seed)
                .fault(NodeId(3), Fault::Crash { at: 0 })
                .fault(NodeId(4), Fault::Crash { at: seed % 7 });
            let mut s = sim(cfg);
            s.input_at(0, NodeId(0), Input::V(8));
            let r = s.run();
            let decided = r
                .trace
                .iter()
                .filter(|e| {
                    matches!(&e.kind, rio_sim::Kind::Output { output, .. }
                        if *output == format!("{:?}", Output::Decided(8)))
                })
                .count();
            assert!(decided >= 3, "seed {seed}: {decided} decided");
        }
    }

    #[test]
    #[should_panic(expected = "fault model is crash")]
    fn the_simulator_refuses_byzantine_nodes() {
        let _ = sim(Config::new(1).fault(NodeId(2), Fault::Byzantine(Byzantine::Equivocate)));
    }
}

/// Issue "a fn cannot learn its own node's id": `i` passed as a value
/// inside `for i in nodes` is the node's id.
#[test]
fn a_function_learns_its_own_node_id() {
    use rio_examples::generated::node_ids::node_ids::{Input, Node, Output, Params};
    let params = Params { n: 4, s: NodeId(2) };
    let mut c = Cluster::new(
        (0..4)
            .map(|k| Node::new(NodeId(k), params.clone()).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<Node>::honest();
    c.input(NodeId(2), Input::V(7), &mut honest);
    c.run(1_000, &mut honest);
    let mut got: Vec<(u32, u64)> = c
        .outputs
        .iter()
        .map(|(id, o)| match o {
            Output::Got(v) => (id.0, *v),
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, vec![(0, 700), (1, 701), (2, 702), (3, 703)]);
}

/// Issue "bounded loops `0..e`": `for r in 0..f + 1` runs rounds 0 and 1
/// at n = 4, f = 1; round 2 has inputs but no rule, so no output.
#[test]
fn a_bounded_loop_runs_its_rounds_only() {
    use rio_examples::generated::rounds::rounds::{Input, Node, Output, Params};
    let params = Params { n: 4, f: 1 };
    let mut c = Cluster::new(
        (0..4)
            .map(|k| Node::new(NodeId(k), params.clone()).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<Node>::honest();
    for r in 0..3u64 {
        for k in 0..4u32 {
            c.input(
                NodeId(k),
                Input::Value {
                    key: [r],
                    value: r * 10 + u64::from(k),
                },
                &mut honest,
            );
        }
    }
    c.run(10_000, &mut honest);
    let mut got: Vec<(u64, u32, u64)> = c
        .outputs
        .iter()
        .map(|(id, o)| match o {
            Output::Got { key: [r], value } => (*r, id.0, *value),
        })
        .collect();
    got.sort_unstable();
    // Round r is led by node r: every node gets 10 * r + r.
    let want: Vec<(u64, u32, u64)> = (0..2u64)
        .flat_map(|r| (0..4u32).map(move |k| (r, k, r * 10 + r)))
        .collect();
    assert_eq!(got, want);
}

/// Floor division (`protocols/floor_rounds.rio`): the `where` clause
/// `n % 2 >= 1` refuses even `n`; `0..n / 2` runs 2 rounds at n = 5 (round
/// 2 has an input but no rule); each round decides on `n / 2 + 1` = 3
/// acceptances, so it still decides with f = 2 nodes crashed, and the
/// threshold is not 2: with 3 nodes crashed nobody decides.
#[test]
fn floor_division_in_where_bounds_and_thresholds() {
    use rio_examples::generated::floor_rounds::floor_rounds::{Input, Node, Output, Params};
    let params = |n| Params {
        n,
        f: 2,
        leader: NodeId(0),
    };
    let err = Node::new(NodeId(0), params(6)).expect_err("n = 6 is even");
    assert_eq!(err.constraint, "n % 2 >= 1");
    for (crashed, deciders) in [(0u32, 5usize), (2, 3), (3, 0)] {
        let mut c = Cluster::new(
            (0..5)
                .map(|k| Node::new(NodeId(k), params(5)).expect("params"))
                .collect(),
        );
        let mut honest = Cluster::<Node>::honest();
        for r in 0..3u64 {
            c.input(
                NodeId(0),
                Input::V {
                    key: [r],
                    value: 100 + r,
                },
                &mut honest,
            );
        }
        // Crash the last `crashed` nodes before anything is delivered.
        for k in 5 - crashed..5 {
            c.crash(NodeId(k));
        }
        c.run(10_000, &mut honest);
        let mut got: Vec<(u64, u64)> = c
            .outputs
            .iter()
            .map(|(_, o)| match o {
                Output::Decided { key: [r], value } => (*r, *value),
            })
            .collect();
        got.sort_unstable();
        let want: Vec<(u64, u64)> = (0..2u64)
            .flat_map(|r| std::iter::repeat_n((r, 100 + r), deciders))
            .collect();
        assert_eq!(got, want, "{crashed} crashed");
    }
}

/// A read of an earlier instance (`protocols/linked_slots.rio`:
/// `linked[s] = link_to(decided[s - 1], decided[s])`) in the simulator
/// with random delays, so slots decide in any order at a node: every node
/// links every slot from 1 to its predecessor, exactly once, whichever of
/// the two decided first; slot 0 links to nothing. Also with 100 slots,
/// more than the 64 finished instances a family keeps readable, fed in
/// order.
#[test]
fn a_read_of_an_earlier_instance_links_every_slot() {
    use rio_examples::generated::linked_slots::linked_slots::{Input, Node, Output, Params};
    use rio_sim::{Config, Sim};
    let slots = 100u64;
    for seed in 0..20 {
        let cfg = Config::new(seed);
        let mut sim = Sim::new(3, cfg, |id| {
            Node::new(id, Params { n: 3, f: 1 }).expect("params")
        });
        for s in 0..slots {
            for k in 0..3u32 {
                sim.input_at(
                    s,
                    NodeId(k),
                    Input::Value {
                        key: [s],
                        value: 10 + s,
                    },
                );
            }
        }
        let report = sim.run();
        assert!(
            report.violation.is_none(),
            "seed {seed}: {:?}",
            report.violation
        );
        let mut linked: Vec<(u32, u64, u64)> = sim
            .outputs()
            .iter()
            .filter_map(|(_, id, o)| match o {
                Output::Linked { key: [s], value } => Some((id.0, *s, *value)),
                Output::Decided { .. } => None,
            })
            .collect();
        linked.sort_unstable();
        let want: Vec<(u32, u64, u64)> = (0..3u32)
            .flat_map(|k| (1..slots).map(move |s| (k, s, (10 + s - 1) * 1000 + 10 + s)))
            .collect();
        assert_eq!(linked, want, "seed {seed}");
    }
}

/// A family whose leader domain moves (`protocols/token_ring.rio`): view
/// 0's token is created at `leader(0)` from its input, and view `v + 1`'s
/// at `leader(v + 1)` from what `leader(v)` passed on. Over 2n views at
/// n = 3, each view is held once, by its own leader, with the token one hop
/// further; another node's input makes no token.
#[test]
fn a_token_moves_from_leader_to_leader() {
    use rio_examples::generated::token_ring::token_ring::{Input, Node, Output, Params};
    let mut c = Cluster::new(
        (0..3)
            .map(|k| Node::new(NodeId(k), Params { n: 3, f: 1 }).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<Node>::honest();
    for k in 0..3u32 {
        c.input(NodeId(k), Input::Start(100 * u64::from(k) + 7), &mut honest);
    }
    c.run(10_000, &mut honest);
    let mut got: Vec<(u64, u32, u64)> = c
        .outputs
        .iter()
        .map(|(id, o)| match o {
            Output::Held { key: [v], value } => (*v, id.0, *value),
        })
        .collect();
    got.sort_unstable();
    let want: Vec<(u64, u32, u64)> = (0..6u64).map(|v| (v, (v % 3) as u32, 7 + v)).collect();
    assert_eq!(got, want);
}

/// Memory stays bounded when an instance never finishes
/// (`protocols/linked_slots.rio`: slot 0's `linked` can never fire). Before
/// the family floor, slot 0 stayed live and every later finished key stayed
/// above a stuck low-water mark: over 300 keys after 300 slots. With a
/// window of 16, a node keeps at most the window's worth plus the 64
/// finished instances it keeps readable for `decided[s - 1]`, and still
/// links every slot to its predecessor.
#[test]
fn an_instance_that_never_finishes_does_not_pin_memory() {
    use rio_examples::generated::linked_slots::linked_slots::{Input, Node, Output, Params};
    let mut c = Cluster::new(
        (0..3)
            .map(|k| {
                Node::new(NodeId(k), Params { n: 3, f: 1 })
                    .expect("params")
                    .with_window(16)
            })
            .collect(),
    );
    let mut honest = Cluster::<Node>::honest();
    for s in 0..300u64 {
        for k in 0..3u32 {
            c.input(NodeId(k), Input::Value { key: [s], value: s }, &mut honest);
        }
        c.run(100_000, &mut honest);
    }
    for node in &c.nodes {
        assert!(
            node.retained() <= 16 + 64 + 4,
            "retained {}",
            node.retained()
        );
    }
    let linked = c
        .outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Linked { .. }))
        .count();
    assert_eq!(linked, 3 * 299);
}

/// A bounded family fed only by a coarser line (`protocols/fan_out.rio`:
/// `for j in 0..n { x[j][i] = shift(y[i], j) }`). Before, nothing opened
/// instance `j`, so no `x` was ever produced (a silent gap in the back
/// end); now the write of `y` opens every instance below `n`, and the
/// collection over the number dimension reads all `n` of them.
#[test]
fn a_bounded_family_fed_by_a_coarser_line_runs_every_instance() {
    use rio_examples::generated::fan_out::fan_out::{Input, Node, Output, Params};
    let n = 4usize;
    let mut c = Cluster::new(
        (0..n as u32)
            .map(|k| Node::new(NodeId(k), Params { n, f: 1 }).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<Node>::honest();
    for k in 0..n as u32 {
        c.input(NodeId(k), Input::Y(10 * u64::from(k)), &mut honest);
    }
    c.run(10_000, &mut honest);
    let mut xs: Vec<(u32, u64, u64)> = Vec::new();
    let mut totals: Vec<(u32, u64)> = Vec::new();
    for (id, o) in &c.outputs {
        match o {
            Output::X { key: [j], value } => xs.push((id.0, *j, *value)),
            Output::Total(t) => totals.push((id.0, *t)),
        }
    }
    xs.sort_unstable();
    totals.sort_unstable();
    let want: Vec<(u32, u64, u64)> = (0..n as u32)
        .flat_map(|k| (0..n as u64).map(move |j| (k, j, 10 * u64::from(k) + j)))
        .collect();
    assert_eq!(xs, want);
    let want: Vec<(u32, u64)> = (0..n as u32)
        .map(|k| (k, (40 * u64::from(k) + 6) * 1000 + 4))
        .collect();
    assert_eq!(totals, want);
}

/// The outputs of a cluster as sorted tuples, by `f`.
fn sorted<O, T: Ord>(outputs: &[(NodeId, O)], f: impl Fn(NodeId, &O) -> T) -> Vec<T> {
    let mut got: Vec<T> = outputs.iter().map(|(id, o)| f(*id, o)).collect();
    got.sort_unstable();
    got
}

/// Component instances in loops of other shapes
/// (`protocols/instance_shapes.rio`): an unbounded loop of instances whose
/// sender rotates; a non-generic protocol instantiating a generic component
/// at a fixed sender, reading the previous slot's instance (before, the
/// instance's lines kept the component's `T` and the module did not
/// compile); and a constant bound to the input, from the start event.
#[test]
fn instances_in_loops_of_other_shapes_run() {
    use rio_examples::generated::instance_shapes::{constant, fixed_sender, rotating};
    let n = 4usize;
    // Rotating: slot r is sent by node r mod n.
    let mut c = Cluster::new(
        (0..n as u32)
            .map(|k| rotating::Node::new(NodeId(k), rotating::Params { n, f: 1 }).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<rotating::Node<u64>>::honest();
    for r in 0..6u64 {
        for k in 0..n as u32 {
            // Only `leader(r)` takes slot r's input.
            c.input(
                NodeId(k),
                rotating::Input::V {
                    key: [r],
                    value: 10 * r + u64::from(k),
                },
                &mut honest,
            );
        }
    }
    c.run(100_000, &mut honest);
    let got = sorted(&c.outputs, |id, o| match o {
        rotating::Output::Got { key: [r], value } => (id.0, *r, *value),
    });
    let want: Vec<(u32, u64, u64)> = (0..n as u32)
        .flat_map(|k| (0..6u64).map(move |r| (k, r, 10 * r + r % 4)))
        .collect();
    assert_eq!(got, want);

    // FixedSender: three slots from node 2, each linked to the previous.
    let params = fixed_sender::Params {
        n,
        f: 1,
        s: NodeId(2),
    };
    let mut c = Cluster::new(
        (0..n as u32)
            .map(|k| fixed_sender::Node::new(NodeId(k), params.clone()).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<fixed_sender::Node>::honest();
    for r in 0..3u64 {
        c.input(
            NodeId(2),
            fixed_sender::Input::V {
                key: [r],
                value: 5 + r,
            },
            &mut honest,
        );
    }
    c.run(100_000, &mut honest);
    let got = sorted(&c.outputs, |id, o| match o {
        fixed_sender::Output::Got { key: [r], value } => (id.0, *r, *value),
    });
    // Slot 0 has no previous slot, so only slots 1 and 2 output.
    let want: Vec<(u32, u64, u64)> = (0..n as u32)
        .flat_map(|k| (1..3u64).map(move |r| (k, r, (5 + r) * 1000 + 4 + r)))
        .collect();
    assert_eq!(got, want);

    // Constant: every node broadcasts its constant from the start event.
    let mut c = Cluster::new(
        (0..n as u32)
            .map(|k| constant::Node::new(NodeId(k), constant::Params { n, f: 1 }).expect("params"))
            .collect(),
    );
    let mut honest = Cluster::<constant::Node>::honest();
    c.run(100_000, &mut honest);
    assert_eq!(c.outputs.len(), n * n, "{:?}", c.outputs);
}

/// A duration over a loop variable (`protocols/backoff.rio`:
/// `delay(go[i], 100 * r + 10)` in `for r in 0..3`), which was E0101: each
/// round's output comes its own delay after the input, in the simulator's
/// virtual time.
#[test]
fn a_delay_can_grow_with_the_round() {
    use rio_examples::generated::backoff::backoff::{Input, Node, Output, Params};
    use rio_sim::{Config, Sim};
    let mut sim = Sim::new(3, Config::new(1), |id| {
        Node::new(id, Params { n: 3, f: 1 }).expect("params")
    });
    for k in 0..3u32 {
        sim.input_at(5, NodeId(k), Input::Go(7));
    }
    sim.run().assert_ok();
    let mut got: Vec<(u64, u32, u64)> = sim
        .outputs()
        .iter()
        .map(|(t, id, o)| match o {
            Output::Late { key: [r], value } => {
                assert_eq!(*value, 7);
                (*r, id.0, *t)
            }
        })
        .collect();
    got.sort_unstable();
    let want: Vec<(u64, u32, u64)> = (0..3u64)
        .flat_map(|r| (0..3u32).map(move |k| (r, k, 5 + 100 * r + 10)))
        .collect();
    assert_eq!(got, want);
}

/// A choice in an instance that opens late takes the option that became
/// available first (`protocols/late_choice.rio`). `early[i]` arrives at
/// 0 ms; instance `s` opens when `late[s][i]` arrives at 10 ms. Before,
/// the two were a tie at the opening and the simulator's seeded chooser
/// took either; now the older one, in every seed. The other way round
/// (`late` first), the instance exists and fires on `late` alone.
#[test]
fn a_choice_in_a_late_instance_takes_the_older_option() {
    use rio_examples::generated::late_choice::late_choice::{Input, Node, Output, Params};
    let run = |seed: u64, early_at: u64, late_at: u64| {
        let mut sim = rio_sim::Sim::new(4, rio_sim::Config::new(seed).latency(1, 5), |id| {
            Node::new(id, Params { n: 4, f: 1 }).expect("params")
        });
        for k in 0..4u32 {
            sim.input_at(early_at, NodeId(k), Input::Early(1));
            for s in 0..3u64 {
                sim.input_at(late_at, NodeId(k), Input::Late { key: [s], value: 2 });
            }
        }
        let report = sim.run();
        report.assert_ok();
        let picks: std::collections::BTreeSet<u64> = report
            .trace
            .iter()
            .filter_map(|e| match &e.kind {
                rio_sim::Kind::Output { output, .. } => Some(output.clone()),
                _ => None,
            })
            .map(|o| {
                assert!(o.starts_with("Pick"), "{o}");
                u64::from(o.ends_with("value: 1 }"))
            })
            .collect();
        picks
    };
    for seed in 0..40 {
        assert_eq!(
            run(seed, 0, 10),
            [1].into(),
            "seed {seed}: the early option"
        );
        assert_eq!(run(seed, 10, 0), [0].into(), "seed {seed}: the late option");
    }
    let _ = Output::Pick { key: [0], value: 0 };
}

/// A rule keyed by fewer loop variables than the line it reads
/// (`protocols/coarse_reader.rio`: `head[c][i] = select(?, x[c][*][i])`)
/// lives in an instance no line of its own opens; the write of `x[c][s]`
/// opens it. Before, `head` was never output. Each chunk `c` gets its head,
/// and it is one of that chunk's values.
#[test]
fn a_reader_keyed_by_fewer_indices_runs() {
    use rio_examples::generated::coarse_reader::coarse_reader::{Input, Node, Output, Params};
    let mut sim = rio_sim::Sim::new(4, rio_sim::Config::new(7).latency(1, 5), |id| {
        Node::new(id, Params { n: 4, f: 1 }).expect("params")
    });
    for k in 0..4u32 {
        for c in 0..3u64 {
            for s in 0..2u64 {
                sim.input_at(
                    10 * c + s,
                    NodeId(k),
                    Input::X {
                        key: [c, s],
                        value: 100 * c + s,
                    },
                );
            }
        }
    }
    let report = sim.run();
    report.assert_ok();
    let mut heads = std::collections::BTreeMap::new();
    for e in &report.trace {
        if let rio_sim::Kind::Output { node, output, .. } = &e.kind {
            heads.insert((*node, output.clone()), ());
        }
    }
    assert_eq!(heads.len(), 12, "one head per node and chunk: {heads:?}");
    for ((_, o), ()) in heads {
        assert!(
            (0..3).any(|c| o
                == format!(
                    "{:?}",
                    Output::Head {
                        key: [c],
                        value: 100 * c
                    }
                )),
            "{o}"
        );
    }
}

/// Constants of an unbounded family read from a coarser instance
/// (`protocols/unbounded_constant.rio`: `ws[r] = collect(?, 3, w[r][*])`
/// over the constants `w[r][k] = { 5 }`): nothing writes a line of
/// instance `(r, k)`, so creating the reader's instance `r` opens them.
/// Before, the weights never existed and no sum was output.
#[test]
fn constants_of_an_unbounded_family_read_from_a_coarser_instance_exist() {
    use rio_examples::generated::unbounded_constant::weights::{Input, Node, Output, Params};
    let mut sim = rio_sim::Sim::new(4, rio_sim::Config::new(3).latency(1, 5), |id| {
        Node::new(id, Params { n: 4, f: 1 }).expect("params")
    });
    for k in 0..4u32 {
        for r in 0..3u64 {
            sim.input_at(10 * r, NodeId(k), Input::Go { key: [r], value: r });
        }
    }
    let report = sim.run();
    report.assert_ok();
    let mut sums = std::collections::BTreeSet::new();
    for e in &report.trace {
        if let rio_sim::Kind::Output { node, output, .. } = &e.kind {
            sums.insert((*node, output.clone()));
        }
    }
    let mut want = std::collections::BTreeSet::new();
    for k in 0..4u32 {
        for r in 0..3u64 {
            let o = Output::Sum {
                key: [r],
                value: r + 15,
            };
            want.insert((k, format!("{o:?}")));
        }
    }
    assert_eq!(sums, want);
}
