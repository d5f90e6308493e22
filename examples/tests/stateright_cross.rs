//! A cross-check of `rio-check` against stateright (0.31): the generated
//! nodes of two-phase commit and of Bracha (with a Byzantine sender),
//! driven as stateright actors (`support/stateright_models.rs`), must give
//! exactly as many unique states as `rio-check` finds without its
//! reduction. A difference means one of the two checkers explores a
//! transition the other does not (or merges states the other keeps
//! apart). The timing comparison is `benches/stateright.rs`.

#[path = "support/stateright_models.rs"]
mod models;

use rio_check::Model;
use rio_examples::generated::bracha;
use rio_examples::generated::two_phase_commit::two_phase_commit as tpc;
use rio_examples::properties::checker::agreement;
use rio_runtime::NodeId;
use stateright::Checker;

fn stateright_states<M>(model: M) -> usize
where
    M: stateright::Model + Send + Sync + 'static,
    M::State: Send + Sync + std::hash::Hash + Clone + PartialEq + 'static,
    M::Action: Send + Sync + Clone + PartialEq,
{
    let c = model.checker().threads(1).spawn_bfs().join();
    assert!(c.is_done(), "stateright finished");
    assert!(
        c.discoveries().is_empty(),
        "stateright found a violation: {:?}",
        c.discoveries().keys().collect::<Vec<_>>()
    );
    c.unique_state_count()
}

#[test]
fn two_phase_commit_state_counts_agree() {
    for n in 3..=5usize {
        for no in [false, true] {
            let votes: Vec<bool> = (0..n).map(|i| !(no && i == 1)).collect();
            let params = tpc::Params {
                n,
                coord: NodeId(0),
            };
            let p = params.clone();
            let mut rio = Model::new(n, move |id| tpc::Node::new(id, p.clone()).expect("params"))
                .reduction(false)
                .safety("agreement", agreement);
            let mut inputs = Vec::new();
            for (i, v) in votes.iter().enumerate() {
                rio = rio.input(NodeId(i as u32), tpc::Input::Vote(*v));
                let mut mine = vec![tpc::Input::Vote(*v)];
                if i == 0 {
                    mine.push(tpc::Input::Go(()));
                }
                inputs.push(mine);
            }
            let rio = rio.input(NodeId(0), tpc::Input::Go(())).check();
            assert!(rio.is_verified(), "{rio}");
            let sr = stateright_states(models::rio_model(
                move |id| tpc::Node::new(id, params.clone()).expect("params"),
                inputs,
                vec![false; n],
                Vec::new(),
            ));
            eprintln!(
                "2PC n = {n}, a no vote: {no}: rio-check {} states, stateright {sr}",
                rio.states
            );
            assert_eq!(rio.states, sr, "2PC n = {n}, a no vote: {no}");
        }
    }
}

#[test]
fn bracha_with_a_byzantine_sender_state_counts_agree() {
    type M = bracha::Message<u64>;
    // An equivocating SEND only: 160,153 states. (With an ECHO 2 added,
    // the unreduced space passes 6 million states: the benchmark's job.)
    {
        let domain = vec![M::Send(1), M::Send(2)];
        let n = 4;
        let params = bracha::Params {
            n,
            f: 1,
            sender: NodeId(0),
        };
        let p = params.clone();
        let rio = Model::new(n, move |id| {
            bracha::Node::<u64>::new(id, p.clone()).expect("params")
        })
        .byzantine(NodeId(0))
        .domain(domain.clone())
        .reduction(false)
        .safety("agreement", agreement)
        .check();
        assert!(rio.is_verified(), "{rio}");
        let sr = stateright_states(models::rio_model(
            move |id| bracha::Node::<u64>::new(id, params.clone()).expect("params"),
            vec![Vec::new(); n],
            vec![true, false, false, false],
            domain.clone(),
        ));
        eprintln!(
            "Bracha n = 4, Byzantine sender {domain:?}: rio-check {} states, stateright {sr}",
            rio.states
        );
        assert_eq!(rio.states, sr, "Bracha, domain {domain:?}");
    }
}
