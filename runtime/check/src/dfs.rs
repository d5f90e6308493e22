//! Depth-first search on several threads, with a shared set of
//! fingerprints.
//!
//! Each thread owns a stack of states and its part of the search tree.
//! A successor is kept by the thread that inserts its fingerprint first
//! (the set is split into [`SHARDS`] locked parts, so two threads rarely
//! wait for one another), which expands it on its own stack: states are
//! made, expanded and freed on one thread. A thread whose stack runs dry
//! takes work from a shared pool, and a busy thread moves the older half
//! of its stack there (the larger subtrees in a depth-first search) when
//! another is waiting. The search ends when every thread waits on an
//! empty pool, or when one of them meets a violation or a bound.
//!
//! The reduction is a function of the state alone ([`Model::actions`]), so
//! the explored graph does not depend on the order: a verified model has
//! the same states and transitions as on one thread. What depends on the
//! schedule is which counterexample is found first, and where a bound
//! cuts the search; neither is deterministic here, unlike the
//! breadth-first parallel search.

use super::{progress_bar, FpHash, Model, Move, Outcome, Roots, State, Verdict};
use rio_runtime::Node;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Parts of the fingerprint set, each behind its own lock.
const SHARDS: usize = 64;

/// A stack longer than this is shared with a waiting thread.
const SHARE_ABOVE: usize = 2;

/// A search tree node: `(thread, index)` packed, the roots' own tree as
/// thread `threads`.
type Id = u64;

fn id(thread: usize, index: usize) -> Id {
    ((thread as u64) << 40) | (index as u64 & ((1 << 40) - 1))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A thread that panicked holding a lock has its panic re-raised after
    // the join; the data (a pool, a set) is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why the search stopped early.
enum Stop {
    Violation {
        property: String,
        detail: String,
        at: Id,
    },
    Incomplete(String),
}

/// Work waiting for a thread.
struct Pool<N: Node> {
    states: Vec<(State<N>, Id)>,
    /// Threads waiting for work.
    idle: usize,
    /// Every thread waited on an empty pool, or the search stopped.
    done: bool,
}

struct Shared<N: Node> {
    seen: Vec<Mutex<HashSet<u64, FpHash>>>,
    states: AtomicUsize,
    transitions: AtomicUsize,
    pool: Mutex<Pool<N>>,
    wake: Condvar,
    /// Mirrors `pool.idle > 0`, read without the lock.
    hungry: AtomicUsize,
    stopped: AtomicBool,
    stop: Mutex<Option<Stop>>,
}

impl<N: Node> Shared<N> {
    fn insert(&self, fp: u64) -> bool {
        let shard = (fp >> 58) as usize % SHARDS;
        let fresh = self.seen.get(shard).is_some_and(|s| lock(s).insert(fp));
        if fresh {
            self.states.fetch_add(1, Ordering::Relaxed);
        }
        fresh
    }

    /// Records the first reason to stop, and wakes every waiting thread.
    fn halt(&self, why: Stop) {
        {
            let mut stop = lock(&self.stop);
            if stop.is_none() {
                *stop = Some(why);
            }
        }
        self.stopped.store(true, Ordering::SeqCst);
        let mut pool = lock(&self.pool);
        pool.done = true;
        self.wake.notify_all();
    }

    /// The next state to expand from the pool, waiting while other threads
    /// may still add some; `None` once the search is over.
    fn take(&self, threads: usize) -> Option<(State<N>, Id)> {
        let mut pool = lock(&self.pool);
        loop {
            if pool.done {
                return None;
            }
            if let Some(x) = pool.states.pop() {
                return Some(x);
            }
            pool.idle += 1;
            self.hungry.fetch_add(1, Ordering::SeqCst);
            if pool.idle == threads {
                pool.done = true;
                self.wake.notify_all();
                return None;
            }
            pool = self.wake.wait(pool).unwrap_or_else(PoisonError::into_inner);
            pool.idle -= 1;
            self.hungry.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Moves the older half of a stack to the pool for a waiting thread.
    fn share(&self, stack: &mut Vec<(State<N>, Id)>) {
        let half = stack.len() / 2;
        let mut pool = lock(&self.pool);
        pool.states.extend(stack.drain(..half));
        self.wake.notify_all();
    }
}

impl<N> Model<N>
where
    N: Node + Send + Sync,
    N::Message: Send + Sync,
    N::Input: Sync,
    N::Output: Send + Sync,
{
    /// Depth-first search on [`Model::threads`] threads (see the module
    /// docs).
    pub(super) fn check_parallel_dfs(&self) -> Outcome {
        let start = Instant::now();
        let Roots {
            roots,
            seen,
            tree,
            states,
        } = match self.roots(start) {
            Ok(r) => r,
            Err(o) => return o,
        };
        let threads = self.threads;
        let shared = Shared {
            seen: (0..SHARDS)
                .map(|_| Mutex::new(HashSet::default()))
                .collect(),
            states: AtomicUsize::new(0),
            transitions: AtomicUsize::new(0),
            pool: Mutex::new(Pool {
                states: states
                    .into_iter()
                    .rev()
                    .map(|(s, k)| (s, id(threads, k)))
                    .collect(),
                idle: 0,
                done: false,
            }),
            wake: Condvar::new(),
            hungry: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            stop: Mutex::new(None),
        };
        for fp in seen {
            shared.insert(fp);
        }
        let bar = progress_bar();
        type Tree = Vec<(Id, Move)>;
        type Caught = Result<Tree, Box<dyn std::any::Any + Send>>;
        let trees: Vec<Caught> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|w| {
                    let (shared, bar) = (&shared, &bar);
                    scope.spawn(move || {
                        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            self.dfs_worker(w, shared, bar, start)
                        }));
                        if run.is_err() {
                            // Never leave the others waiting on a pool
                            // this thread would have filled.
                            shared.halt(Stop::Incomplete("a node panicked".into()));
                        }
                        run
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(Err))
                .collect()
        });
        bar.finish_and_clear();
        let mut all: Vec<Tree> = Vec::with_capacity(threads);
        for t in trees {
            match t {
                Ok(t) => all.push(t),
                // A node panicked: never a silent "verified".
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let states = shared.states.load(Ordering::SeqCst);
        let transitions = shared.transitions.load(Ordering::SeqCst);
        let verdict = match shared
            .stop
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            None => Verdict::Verified,
            Some(Stop::Incomplete(reason)) => Verdict::Incomplete { reason },
            Some(Stop::Violation {
                property,
                detail,
                at,
            }) => {
                // Back to a root through the threads' trees.
                let mut path = Vec::new();
                let mut at = at;
                let root = loop {
                    let (t, i) = ((at >> 40) as usize, (at & ((1 << 40) - 1)) as usize);
                    if t == threads {
                        break tree.get(i).map_or(0, |(r, _)| *r);
                    }
                    match all.get(t).and_then(|tr| tr.get(i)) {
                        Some((parent, mv)) => {
                            path.push(*mv);
                            at = *parent;
                        }
                        None => break 0,
                    }
                };
                path.reverse();
                let trace = self.replay_path(&roots, root, path, &property, &detail);
                Verdict::Violation {
                    property,
                    detail,
                    trace,
                }
            }
        };
        Outcome {
            verdict,
            states,
            transitions,
            elapsed: start.elapsed(),
        }
    }

    /// One thread of [`Model::check_parallel_dfs`]: its part of the tree.
    fn dfs_worker(
        &self,
        w: usize,
        shared: &Shared<N>,
        bar: &indicatif::ProgressBar,
        start: Instant,
    ) -> Vec<(Id, Move)> {
        let threads = self.threads;
        let mut tree: Vec<(Id, Move)> = Vec::new();
        let mut stack: Vec<(State<N>, Id)> = Vec::new();
        let mut pops = 0usize;
        loop {
            if shared.stopped.load(Ordering::Relaxed) {
                break;
            }
            let Some((s, at)) = stack.pop().or_else(|| shared.take(threads)) else {
                break;
            };
            if stack.len() >= SHARE_ABOVE && shared.hungry.load(Ordering::Relaxed) > 0 {
                shared.share(&mut stack);
            }
            if let Some((property, detail)) = self.violation(&s) {
                shared.halt(Stop::Violation {
                    property,
                    detail,
                    at,
                });
                break;
            }
            if shared.states.load(Ordering::Relaxed) >= self.max_states {
                let reason = format!("stopped at the state bound ({})", self.max_states);
                shared.halt(Stop::Incomplete(reason));
                break;
            }
            pops += 1;
            if pops.is_multiple_of(1024) {
                if w == 0 {
                    bar.set_position(shared.states.load(Ordering::Relaxed) as u64);
                }
                if start.elapsed() > self.max_time {
                    let reason = format!("stopped at the time bound ({:?})", self.max_time);
                    shared.halt(Stop::Incomplete(reason));
                    break;
                }
            }
            if pops == 1 || pops.is_multiple_of(1024) {
                if let Some(Verdict::Incomplete { reason }) = self.over_memory() {
                    shared.halt(Stop::Incomplete(reason));
                    break;
                }
            }
            let mut made = 0usize;
            for a in self.actions(&s) {
                let moves = match self.successors(&s, a) {
                    Ok(m) => m,
                    Err(reason) => {
                        shared.halt(Stop::Incomplete(reason));
                        return tree;
                    }
                };
                for (mv, next) in moves {
                    made += 1;
                    if shared.insert(next.fingerprint()) {
                        tree.push((at, mv));
                        stack.push((next, id(w, tree.len() - 1)));
                    }
                }
            }
            shared.transitions.fetch_add(made, Ordering::Relaxed);
        }
        tree
    }
}
