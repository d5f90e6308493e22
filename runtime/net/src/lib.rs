//! The network runtime: one node of a generated protocol as a real process,
//! over authenticated TCP, on tokio.
//!
//! - Peers come from a TOML [`NetConfig`]: this node's id, listen address and
//!   private key; every peer's id, address and public key.
//! - Links are TCP with length-delimited frames (at most [`MAX_FRAME`]
//!   bytes), authenticated and encrypted with a Noise `XX` handshake over
//!   static X25519 keys: a connection whose key is not a configured peer's,
//!   or a peer that presents another peer's address with the wrong key, is
//!   rejected and logged.
//! - Messages are `(sent_at, message)` encoded with postcard.
//! - Each node dials every peer once for its outgoing messages (reconnecting
//!   with exponential backoff) and accepts the peers' connections for its
//!   incoming ones.
//! - Every queue is bounded: readers wait for the node (TCP backpressure).
//!   A peer's outgoing messages go to its [`outbox::Outbox`], which retains
//!   the last few thousand (bounded in frames and bytes) and sends them all
//!   again on every new connection: a peer that was down or restarted
//!   catches up on the instances whose messages are still retained; older
//!   ones are evicted (counted and logged) — as the network would drop them.
//! - A malformed, oversized or undecryptable frame drops that connection
//!   with a logged reason; the node keeps running.
//! - The node records the simulator's trace events; traces of a cluster
//!   merge ([`merge_traces`]) into one trace that renders as the same
//!   sequence diagram.

use futures_util::{SinkExt, StreamExt};
pub use rio_runtime::trace::{Kind, TraceEvent};
mod durable;
pub mod outbox;
pub mod signing;

pub use durable::{Durable, LogFile, Verdict, DEFAULT_KEEP};
use rio_runtime::{Dest, Effects, Node, NodeId, Slotted, TimerId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_util::codec::{Framed, LengthDelimitedCodec};
use tracing::{debug, error, info, warn};

/// The largest frame accepted (Noise's message limit).
pub const MAX_FRAME: usize = 65_535;
const NOISE: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";
/// Capacity of every queue.
pub const QUEUE: usize = 1024;

/// Frames written to a peer's connection with one flush, at most.
const WRITE_BATCH: usize = 256;

/// Messages handled before the effects of the batch are made durable and
/// sent (group commit).
pub const BATCH: usize = 64;

/// Connections still in their handshake, at most; more are closed at once.
/// Each costs a socket and a small buffer for at most the handshake
/// timeout, so half-open or idle connections cannot pile up.
pub const MAX_PENDING: usize = 32;

/// Authenticated connections from one peer, at most (a reconnecting peer
/// may briefly have two; an insider cannot open more).
pub const MAX_PER_PEER: usize = 2;

/// Counts a peer's live inbound connections; the count drops with the
/// guard.
struct PeerSlot {
    peers: std::sync::Arc<std::sync::Mutex<BTreeMap<NodeId, usize>>>,
    peer: NodeId,
}

impl PeerSlot {
    fn take(
        peers: &std::sync::Arc<std::sync::Mutex<BTreeMap<NodeId, usize>>>,
        peer: NodeId,
    ) -> Option<PeerSlot> {
        let mut map = peers.lock().ok()?;
        let n = map.entry(peer).or_insert(0);
        if *n >= MAX_PER_PEER {
            return None;
        }
        *n += 1;
        Some(PeerSlot {
            peers: std::sync::Arc::clone(peers),
            peer,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.peers.lock() {
            if let Some(n) = map.get_mut(&self.peer) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

/// Log lines an attacker can cause are aggregated: the first of each kind
/// (per peer or address class and reason) is logged, then only the 2nd,
/// 4th, 8th, ... with the running count, so `k` events write about
/// `log2(k)` lines.
#[derive(Default)]
struct LogLimiter {
    counts: BTreeMap<(u32, &'static str), u64>,
}

impl LogLimiter {
    /// The running count if this occurrence should be logged.
    fn hit(&mut self, who: u32, what: &'static str) -> Option<u64> {
        let c = self.counts.entry((who, what)).or_insert(0);
        *c = c.saturating_add(1);
        c.is_power_of_two().then_some(*c)
    }
}

/// A node's configuration file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NetConfig {
    pub id: u32,
    /// `host:port` to listen on.
    pub listen: String,
    /// This node's X25519 private key, hex.
    pub private_key: String,
    /// Where to write this node's trace (JSON lines) at shutdown.
    #[serde(default)]
    pub trace: Option<String>,
    /// The node's durable state (see [`Durable`]): what it sent and
    /// delivered, synced before it leaves the node, reloaded on restart.
    /// Without it a restarted node forgets (and may contradict) what it
    /// sent before.
    #[serde(default)]
    pub state: Option<String>,
    /// How many finished instances below the node's low-water mark the
    /// durable state keeps (re-sent after a restart for peers that missed
    /// them); older records are compacted away (see [`Durable`]). Default
    /// [`durable::DEFAULT_KEEP`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_keep: Option<u64>,
    pub peers: Vec<PeerConfig>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerConfig {
    pub id: u32,
    /// `host:port` the peer listens on.
    pub addr: String,
    /// The peer's X25519 public key, hex.
    pub public_key: String,
    /// The peer's Ed25519 public key, hex: what its signatures (`sign`,
    /// `cert`) are verified with. It is derived from the peer's X25519
    /// private key ([`signing::signing_public_key`]); without it the
    /// peer's signatures are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
}

/// Why the network runtime could not start or stopped.
#[derive(Debug)]
pub enum NetError {
    Config(String),
    Io(std::io::Error),
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Config(m) => write!(f, "configuration: {m}"),
            NetError::Io(e) => write!(f, "i/o: {e}"),
        }
    }
}

impl std::error::Error for NetError {}

impl From<std::io::Error> for NetError {
    fn from(e: std::io::Error) -> Self {
        NetError::Io(e)
    }
}

impl NetConfig {
    pub fn from_toml(text: &str) -> Result<Self, NetError> {
        let cfg: NetConfig = toml::from_str(text).map_err(|e| NetError::Config(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
    /// Number of nodes: the peers and this one.
    pub fn n(&self) -> usize {
        self.peers.len() + 1
    }
    fn validate(&self) -> Result<(), NetError> {
        let n = self.n();
        let mut ids: Vec<u32> = self.peers.iter().map(|p| p.id).chain([self.id]).collect();
        ids.sort_unstable();
        if ids.iter().enumerate().any(|(k, id)| *id as usize != k) {
            return Err(NetError::Config(format!(
                "node ids must be 0..{n}, each once: got {ids:?}"
            )));
        }
        decode_key(&self.private_key).map_err(|e| NetError::Config(format!("private_key: {e}")))?;
        for p in &self.peers {
            decode_key(&p.public_key)
                .map_err(|e| NetError::Config(format!("peer {} public_key: {e}", p.id)))?;
            if let Some(k) = &p.signing_key {
                signing::decode_verifying_key(k)
                    .map_err(|e| NetError::Config(format!("peer {} signing_key: {e}", p.id)))?;
            }
        }
        Ok(())
    }
}

fn decode_key(hex_key: &str) -> Result<Vec<u8>, String> {
    let k = hex::decode(hex_key.trim()).map_err(|e| e.to_string())?;
    if k.len() != 32 {
        return Err(format!("expected 32 bytes, got {}", k.len()));
    }
    Ok(k)
}

/// A fresh X25519 key pair, hex encoded: `(private, public)`.
pub fn keypair() -> Result<(String, String), NetError> {
    let params = NOISE
        .parse()
        .map_err(|e| NetError::Config(format!("{e:?}")))?;
    let kp = snow::Builder::new(params)
        .generate_keypair()
        .map_err(|e| NetError::Config(format!("{e:?}")))?;
    Ok((hex::encode(kp.private), hex::encode(kp.public)))
}

/// Milliseconds since the Unix epoch: trace time, comparable across the
/// processes of one machine.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A running node: its application boundary and its shutdown switch.
pub struct Handle<N: Node> {
    /// Inputs from the application (bounded).
    pub inputs: mpsc::Sender<N::Input>,
    /// Outputs to the application (bounded: a slow reader slows the node).
    pub outputs: mpsc::Receiver<N::Output>,
    /// The address the node actually listens on.
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Vec<TraceEvent>>,
}

impl<N: Node> Handle<N> {
    /// Stops the node gracefully; returns its trace.
    pub async fn shutdown(self) -> Vec<TraceEvent> {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

type Inbound<M> = (NodeId, u64, M);

fn builder() -> Result<snow::Builder<'static>, snow::Error> {
    Ok(snow::Builder::new(NOISE.parse()?))
}

fn noise_err(e: snow::Error) -> std::io::Error {
    std::io::Error::other(format!("noise: {e}"))
}

/// Starts `node` with the network described by `cfg`.
pub async fn start<N>(cfg: NetConfig, node: N) -> Result<Handle<N>, NetError>
where
    N: Node + Send + 'static,
    N::Message: Slotted + Send + Sync + 'static,
    N::Input: Send + 'static,
    N::Output: Slotted + Send + 'static,
{
    cfg.validate()?;
    let durable = match &cfg.state {
        Some(path) => {
            let (d, replay) = Durable::open(std::path::Path::new(path))?;
            Some((d, replay, cfg.state_keep.unwrap_or(DEFAULT_KEEP)))
        }
        None => None,
    };
    let me = NodeId(cfg.id);
    let private = decode_key(&cfg.private_key).map_err(NetError::Config)?;
    let listener = TcpListener::bind(&cfg.listen).await?;
    let local_addr = listener.local_addr()?;
    info!(node = cfg.id, %local_addr, "listening");
    let (stop, stop_rx) = watch::channel(false);
    let (in_tx, in_rx) = mpsc::channel::<Inbound<N::Message>>(QUEUE);
    let (input_tx, input_rx) = mpsc::channel::<N::Input>(QUEUE);
    let (output_tx, output_rx) = mpsc::channel::<N::Output>(QUEUE);

    // Known peers by public key.
    let mut keys: BTreeMap<Vec<u8>, NodeId> = BTreeMap::new();
    for p in &cfg.peers {
        if let Ok(k) = decode_key(&p.public_key) {
            keys.insert(k, NodeId(p.id));
        }
    }
    tokio::spawn(accept_loop::<N::Message>(
        listener,
        private.clone(),
        keys,
        in_tx,
        stop_rx.clone(),
    ));

    // One dialer per peer, sending from the peer's outbox.
    let mut outbound: BTreeMap<NodeId, outbox::Outbox> = BTreeMap::new();
    for p in &cfg.peers {
        let outbox = outbox::Outbox::default();
        outbound.insert(NodeId(p.id), outbox.clone());
        let key = decode_key(&p.public_key).unwrap_or_default();
        tokio::spawn(dial_loop(
            p.addr.clone(),
            NodeId(p.id),
            key,
            private.clone(),
            outbox,
            stop_rx.clone(),
        ));
    }
    let trace_path = cfg.trace.clone();
    let n = cfg.n();
    // Ed25519: this node's key derived from its Noise key, the peers' from
    // the configuration.
    let mut verifying = vec![None; n];
    for p in &cfg.peers {
        if let Some(slot) = verifying.get_mut(p.id as usize) {
            *slot = p
                .signing_key
                .as_deref()
                .and_then(|k| signing::decode_verifying_key(k).ok());
        }
    }
    let crypto: std::sync::Arc<dyn rio_runtime::Crypto> =
        std::sync::Arc::new(signing::Ed25519::new(me, &private, verifying));
    let task = tokio::spawn(async move {
        let trace = run_node(
            node,
            me,
            n,
            crypto,
            durable,
            trace_path.is_some(),
            in_rx,
            input_rx,
            output_tx,
            outbound,
            stop_rx,
        )
        .await;
        if let Some(path) = trace_path {
            let text = rio_runtime::trace::to_jsonl(&trace);
            if let Err(e) = std::fs::write(&path, text) {
                warn!(%path, error = %e, "cannot write trace");
            }
        }
        trace
    });
    Ok(Handle {
        inputs: input_tx,
        outputs: output_rx,
        local_addr,
        stop,
        task,
    })
}

#[allow(clippy::too_many_arguments)]
async fn run_node<N: Node>(
    mut node: N,
    me: NodeId,
    n: usize,
    crypto: std::sync::Arc<dyn rio_runtime::Crypto>,
    durable: Option<(Durable, durable::Replay, u64)>,
    // Without a trace file nothing is recorded: a long-running node's
    // memory stays bounded.
    tracing_on: bool,
    mut inbound: mpsc::Receiver<Inbound<N::Message>>,
    mut inputs: mpsc::Receiver<N::Input>,
    outputs: mpsc::Sender<N::Output>,
    outbound: BTreeMap<NodeId, outbox::Outbox>,
    mut stop: watch::Receiver<bool>,
) -> Vec<TraceEvent>
where
    N::Message: Slotted,
    N::Output: Slotted + Send + 'static,
{
    let mut fx: Effects<N::Message, N::Output> = Effects {
        crypto: Some(crypto),
        ..Effects::default()
    };
    let (mut durable, replay, keep) = match durable {
        Some((d, r, keep)) => {
            // Instances compacted away are finished: never reopened.
            node.restore_low_water(d.mark());
            (Some(d), r, keep)
        }
        None => (None, Vec::new(), DEFAULT_KEEP),
    };
    let mut writer = match durable.as_mut().and_then(Durable::take_file) {
        Some(file) => match Writer::start(me, file, outbound.clone(), outputs.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                error!(node = me.0, error = %e, "cannot start the durable state's writer: stopping");
                return Vec::new();
            }
        },
        None => None,
    };
    let mut replay = Some(replay);
    let mut timers: tokio_util::time::DelayQueue<TimerId> = tokio_util::time::DelayQueue::new();
    let mut trace = Vec::new();
    let mut step = 0u64;
    let mut local: VecDeque<N::Message> = VecDeque::new();
    let mut evidence_log = LogLimiter::default();
    let mut record = |trace: &mut Vec<TraceEvent>, kind: Kind| {
        if tracing_on {
            step += 1;
            trace.push(TraceEvent {
                step,
                t: now_ms(),
                kind,
            });
        }
    };
    // The start event, routed like any other step's effects below.
    let mut starting = true;
    loop {
        fx.clear();
        if writer.as_ref().is_some_and(Writer::failed) {
            error!(node = me.0, "cannot write the durable state: stopping");
            return trace;
        }
        if starting {
            starting = false;
            node.on_start(&mut fx);
            // A restarted node re-sends what it had sent: its own copies
            // restore its lines, and peers that missed them catch up.
            for (to, bytes) in replay.take().unwrap_or_default() {
                match postcard::from_bytes::<N::Message>(&bytes) {
                    Ok(msg) => fx
                        .sends
                        .push((to.map_or(Dest::All, |t| Dest::One(NodeId(t))), msg)),
                    Err(e) => {
                        warn!(error = %e, "undecodable message in the durable state: skipped")
                    }
                }
            }
            if durable.is_some() {
                info!(node = me.0, resent = fx.sends.len(), "durable state loaded");
            }
        } else {
            tokio::select! {
                biased;
                _ = stop.changed() => break,
                Some((from, sent_at, msg)) = inbound.recv() => {
                    if tracing_on {
                        record(&mut trace, deliver_event(from, me, &msg, sent_at));
                    }
                    node.on_message(from, msg, &mut fx);
                    // Group commit: handle what else has already arrived,
                    // so one sync of the durable state covers the batch.
                    for _ in 1..BATCH {
                        let Ok((from, sent_at, msg)) = inbound.try_recv() else { break };
                        if tracing_on {
                            record(&mut trace, deliver_event(from, me, &msg, sent_at));
                        }
                        node.on_message(from, msg, &mut fx);
                    }
                }
                Some(input) = inputs.recv() => {
                    if tracing_on {
                        record(&mut trace, Kind::Input { node: me.0, input: format!("{input:?}"), value: N::input_value(&input), slot: N::input_slot(&input) });
                    }
                    node.on_input(input, &mut fx);
                }
                Some(expired) = timers.next() => {
                    let id = expired.into_inner();
                    if tracing_on {
                        record(&mut trace, Kind::Timer { node: me.0, id: id.0 });
                    }
                    node.on_timer(id, &mut fx);
                }
                else => break,
            }
        }
        // Route effects; messages to self are handled here, in order. What
        // leaves the node (messages to peers, outputs) is held until the
        // durable state of the whole batch is synced, once.
        let mut held_sends: Vec<(NodeId, tokio_util::bytes::Bytes)> = Vec::new();
        let mut held_outputs: Vec<N::Output> = Vec::new();
        loop {
            if let Some(d) = durable.as_mut() {
                if let Err(e) = make_durable(d, me, &mut fx, &mut evidence_log) {
                    error!(node = me.0, error = %e, "cannot write the durable state: stopping");
                    return trace;
                }
            }
            for (id, ms) in fx.timers.drain(..) {
                timers.insert(id, Duration::from_millis(ms));
            }
            // Choices and coins (from the operating system here): traced,
            // then gone.
            if tracing_on {
                for kind in fx.traced() {
                    record(&mut trace, kind);
                }
            }
            fx.choices.clear();
            fx.flips.clear();
            for e in fx.evidence.drain(..) {
                if let Some(count) = evidence_log.hit(e.peer.0, e.line) {
                    warn!(
                        node = me.0,
                        peer = e.peer.0,
                        line = e.line,
                        count,
                        "evidence of a faulty peer"
                    );
                }
                record(
                    &mut trace,
                    Kind::Evidence {
                        node: me.0,
                        peer: e.peer.0,
                        line: e.line.to_string(),
                    },
                );
            }
            for (dest, msg) in fx.sends.drain(..) {
                let sent_at = now_ms();
                let targets: Vec<NodeId> = match dest {
                    Dest::All => (0..n)
                        .map(|k| NodeId(u32::try_from(k).unwrap_or(u32::MAX)))
                        .collect(),
                    Dest::One(to) => vec![to],
                };
                let bytes = match postcard::to_stdvec(&(sent_at, &msg)) {
                    Ok(b) => tokio_util::bytes::Bytes::from(b),
                    Err(e) => {
                        warn!(error = %e, "cannot encode a message");
                        continue;
                    }
                };
                for to in targets {
                    if to == me {
                        local.push_back(msg.clone());
                    } else {
                        held_sends.push((to, bytes.clone()));
                    }
                }
            }
            held_outputs.append(&mut fx.outputs);
            let Some(msg) = local.pop_front() else { break };
            if tracing_on {
                record(&mut trace, deliver_event(me, me, &msg, now_ms()));
            }
            node.on_message(me, msg, &mut fx);
        }
        for o in &held_outputs {
            if tracing_on {
                let output = format!("{o:?}");
                let slot = Some(rio_runtime::trace::Slot::of(o.slot()));
                record(
                    &mut trace,
                    Kind::Output {
                        node: me.0,
                        output,
                        value: N::output_value(o),
                        slot,
                    },
                );
            }
        }
        if let (Some(d), Some(w)) = (durable.as_mut(), writer.as_ref()) {
            // The writer thread syncs the batch's records, then lets its
            // sends and outputs go; the node goes on meanwhile (and the
            // records of what it does next join the writer's next sync).
            let batch = WriterCmd::Batch {
                records: d.take_pending(),
                sends: held_sends,
                outputs: held_outputs,
            };
            let mut compacted = None;
            match d.compaction(node.low_water(), keep) {
                Ok(image) => compacted = image,
                Err(e) => error!(node = me.0, error = %e, "cannot compact the durable state"),
            }
            if w.tx.send(batch).await.is_err() {
                error!(node = me.0, "the durable state's writer stopped: stopping");
                return trace;
            }
            if let Some(image) = compacted {
                debug!(
                    node = me.0,
                    mark = d.mark(),
                    records = d.len(),
                    "durable state compacted"
                );
                if w.tx.send(WriterCmd::Replace(image)).await.is_err() {
                    error!(node = me.0, "the durable state's writer stopped: stopping");
                    return trace;
                }
            }
            continue;
        }
        release_sends(me, &outbound, held_sends, &mut evidence_log);
        for o in held_outputs {
            if outputs.send(o).await.is_err() {
                warn!(node = me.0, "application dropped the output channel");
            }
        }
    }
    // Let the writer finish what it was handed (a graceful stop loses no
    // output that was made durable). Bounded: a writer blocked on an
    // application that no longer reads its outputs is left to end when the
    // output channel closes.
    if let Some(w) = writer.take() {
        drop(w.tx);
        let join = tokio::task::spawn_blocking(move || w.thread.join());
        if tokio::time::timeout(Duration::from_secs(5), join)
            .await
            .is_err()
        {
            warn!(
                node = me.0,
                "the durable state's writer did not finish within 5 s of the stop"
            );
        }
    }
    info!(node = me.0, "stopped");
    trace
}

/// Pushes a step's messages into the peers' outboxes (aggregated warnings
/// when a slow or down peer's outbox evicts).
fn release_sends(
    me: NodeId,
    outbound: &BTreeMap<NodeId, outbox::Outbox>,
    sends: Vec<(NodeId, tokio_util::bytes::Bytes)>,
    log: &mut LogLimiter,
) {
    for (to, bytes) in sends {
        match outbound.get(&to).map(|q| q.push(bytes)) {
            Some(None) => {}
            Some(Some(_)) => {
                if let Some(count) = log.hit(to.0, "outbox full") {
                    warn!(
                        node = me.0,
                        peer = to.0,
                        count,
                        "peer down or slow: messages evicted from its outbox before they were sent"
                    );
                }
            }
            None => warn!(node = me.0, peer = to.0, "no such peer"),
        }
    }
}

/// What a durable node hands its writer thread, in order.
enum WriterCmd<O> {
    /// Records to append and sync, then the sends and outputs they cover.
    Batch {
        records: Vec<u8>,
        sends: Vec<(NodeId, tokio_util::bytes::Bytes)>,
        outputs: Vec<O>,
    },
    /// The whole compacted log ([`Durable::compaction`]): it holds every
    /// record handed over before.
    Replace(Vec<u8>),
}

/// Commands a writer may be behind by before the node waits for it.
const WRITER_QUEUE: usize = 64;

/// A durable node's writer thread: it takes every batch handed over since
/// its last sync, appends their records with one write and one
/// `fdatasync` (group commit across the node's steps), and only then
/// pushes their sends into the outboxes and their outputs to the
/// application, in order. The node does not wait for the disk; it waits
/// only if the writer falls `WRITER_QUEUE` batches behind.
struct Writer<O> {
    tx: mpsc::Sender<WriterCmd<O>>,
    thread: std::thread::JoinHandle<()>,
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<O: Send + 'static> Writer<O> {
    fn start(
        me: NodeId,
        mut file: LogFile,
        outbound: BTreeMap<NodeId, outbox::Outbox>,
        outputs: mpsc::Sender<O>,
    ) -> std::io::Result<Writer<O>> {
        let (tx, mut rx) = mpsc::channel::<WriterCmd<O>>(WRITER_QUEUE);
        let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = failed.clone();
        let thread = std::thread::Builder::new()
            .name(format!("rio-durable-{}", me.0))
            .spawn(move || {
                let mut log = LogLimiter::default();
                let mut records = Vec::new();
                let mut sends = Vec::new();
                let mut outs = Vec::new();
                while let Some(first) = rx.blocking_recv() {
                    let mut next = Some(first);
                    let mut result = Ok(());
                    while let Some(cmd) = next.take() {
                        match cmd {
                            WriterCmd::Batch {
                                records: r,
                                sends: s,
                                outputs: o,
                            } => {
                                records.extend_from_slice(&r);
                                sends.extend(s);
                                outs.extend(o);
                            }
                            WriterCmd::Replace(image) => {
                                // The image holds the records gathered so far.
                                records.clear();
                                if result.is_ok() {
                                    result = file.replace(&image);
                                }
                            }
                        }
                        next = rx.try_recv().ok();
                    }
                    if result.is_ok() {
                        result = file.append_sync(&records);
                    }
                    records.clear();
                    if let Err(e) = result {
                        error!(node = me.0, error = %e, "cannot write the durable state");
                        flag.store(true, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    release_sends(me, &outbound, std::mem::take(&mut sends), &mut log);
                    for o in outs.drain(..) {
                        if outputs.blocking_send(o).is_err() {
                            warn!(node = me.0, "application dropped the output channel");
                        }
                    }
                }
            })?;
        Ok(Writer { tx, thread, failed })
    }

    fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

async fn accept_loop<M>(
    listener: TcpListener,
    private: Vec<u8>,
    keys: BTreeMap<Vec<u8>, NodeId>,
    inbound: mpsc::Sender<Inbound<M>>,
    mut stop: watch::Receiver<bool>,
) where
    M: for<'de> Deserialize<'de> + Send + 'static,
{
    let pending = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_PENDING));
    let per_peer = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let log = std::sync::Arc::new(std::sync::Mutex::new(LogLimiter::default()));
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            a = listener.accept() => a,
        };
        let (stream, addr) = match accepted {
            Ok(x) => {
                backoff = Duration::from_millis(10);
                x
            }
            Err(e) => {
                // Out of descriptors (EMFILE) or similar: back off instead
                // of spinning, and log it aggregated.
                if let Some(count) = log.lock().ok().and_then(|mut l| l.hit(0, "accept failed")) {
                    warn!(error = %e, count, "accept failed; backing off");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        // A bounded number of connections may be in their handshake.
        let Ok(permit) = std::sync::Arc::clone(&pending).try_acquire_owned() else {
            if let Some(count) = log
                .lock()
                .ok()
                .and_then(|mut l| l.hit(0, "too many pending"))
            {
                warn!(%addr, count, "too many connections in handshake: closed");
            }
            drop(stream);
            continue;
        };
        let (private, keys, inbound, stop, log, per_peer) = (
            private.clone(),
            keys.clone(),
            inbound.clone(),
            stop.clone(),
            std::sync::Arc::clone(&log),
            std::sync::Arc::clone(&per_peer),
        );
        tokio::spawn(async move {
            match serve_inbound(stream, private, keys, inbound, stop, permit, per_peer).await {
                Ok(()) => {}
                Err((what, reason)) => {
                    if let Some(count) = log.lock().ok().and_then(|mut l| l.hit(0, what)) {
                        warn!(%addr, %reason, count, "connection dropped");
                    }
                }
            }
        });
    }
}

fn framed(stream: TcpStream) -> Framed<TcpStream, LengthDelimitedCodec> {
    let _ = stream.set_nodelay(true);
    Framed::new(
        stream,
        LengthDelimitedCodec::builder()
            .max_frame_length(MAX_FRAME)
            .new_codec(),
    )
}

async fn next_frame(f: &mut Framed<TcpStream, LengthDelimitedCodec>) -> Result<Vec<u8>, String> {
    match f.next().await {
        Some(Ok(b)) => Ok(b.to_vec()),
        Some(Err(e)) => Err(format!("bad frame: {e}")),
        None => Err("closed".into()),
    }
}

/// The trace event of a delivered message (a network node knows when it was
/// sent, on the cluster's clock, but not by which of the sender's steps).
fn deliver_event<M: Slotted + Serialize + std::fmt::Debug>(
    from: NodeId,
    to: NodeId,
    msg: &M,
    sent_at: u64,
) -> Kind {
    Kind::Deliver {
        from: from.0,
        to: to.0,
        msg: format!("{msg:?}"),
        sent_at,
        sent_step: None,
        value: serde_json::to_value(msg).ok(),
        slot: Some(rio_runtime::trace::Slot::of(msg.slot())),
        forged: false,
    }
}

/// Passes a step's sends and outputs through the durable log: a send on a
/// line and key already sent with a different value is dropped (the node
/// would contradict itself after a restart), an output delivered before is
/// dropped; the rest is recorded (and synced, once per batch, before
/// anything leaves the node).
fn make_durable<M: Slotted + Serialize, O: Slotted>(
    d: &mut Durable,
    me: NodeId,
    fx: &mut Effects<M, O>,
    log: &mut LogLimiter,
) -> std::io::Result<()> {
    let mut err = None;
    fx.sends.retain(|(dest, msg)| {
        let (line, key) = msg.slot();
        let to = match dest {
            Dest::All => None,
            Dest::One(t) => Some(t.0),
        };
        let verdict = postcard::to_stdvec(msg)
            .map_err(std::io::Error::other)
            .and_then(|bytes| d.send(line, key, to, &bytes));
        match verdict {
            Ok(Verdict::New | Verdict::Same) => true,
            Ok(Verdict::Conflict) => {
                if let Some(count) = log.hit(me.0, "durable conflict") {
                    warn!(
                        node = me.0,
                        line,
                        count,
                        "suppressed a send that contradicts what this node sent before a restart"
                    );
                }
                false
            }
            // For an instance finished long ago (below the compaction
            // mark): a rule outside it fired again after a restart.
            Ok(Verdict::Stale) => false,
            Err(e) => {
                err = Some(e);
                false
            }
        }
    });
    fx.outputs.retain(|o| {
        let (line, key) = o.slot();
        match d.deliver(line, key) {
            Ok(new) => new,
            Err(e) => {
                err = Some(e);
                false
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Why an inbound connection was dropped: a kind (for aggregated logging)
/// and the detail.
type Dropped = (&'static str, String);

/// Handshake as responder, identify the peer by its key, then read.
async fn serve_inbound<M>(
    stream: TcpStream,
    private: Vec<u8>,
    keys: BTreeMap<Vec<u8>, NodeId>,
    inbound: mpsc::Sender<Inbound<M>>,
    mut stop: watch::Receiver<bool>,
    permit: tokio::sync::OwnedSemaphorePermit,
    per_peer: std::sync::Arc<std::sync::Mutex<BTreeMap<NodeId, usize>>>,
) -> Result<(), Dropped>
where
    M: for<'de> Deserialize<'de>,
{
    let mut f = framed(stream);
    let mut hs = builder()
        .and_then(|b| b.local_private_key(&private))
        .and_then(|b| b.build_responder())
        .map_err(|e| ("noise setup", format!("noise setup: {e}")))?;
    // Handshake messages are small: a full-size buffer only once the peer
    // is authenticated.
    let mut buf = vec![0u8; 1024];
    let handshake = async {
        let m1 = next_frame(&mut f).await?;
        hs.read_message(&m1, &mut buf)
            .map_err(|e| format!("handshake: {e}"))?;
        let len = hs
            .write_message(&[], &mut buf)
            .map_err(|e| format!("handshake: {e}"))?;
        f.send(tokio_util::bytes::Bytes::copy_from_slice(
            buf.get(..len).unwrap_or_default(),
        ))
        .await
        .map_err(|e| e.to_string())?;
        let m3 = next_frame(&mut f).await?;
        hs.read_message(&m3, &mut buf)
            .map_err(|e| format!("handshake: {e}"))?;
        Ok::<(), String>(())
    };
    tokio::time::timeout(Duration::from_secs(5), handshake)
        .await
        .map_err(|_| ("handshake", "handshake timed out".to_string()))?
        .map_err(|e| ("handshake", e))?;
    drop(permit);
    let remote = hs
        .get_remote_static()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let Some(peer) = keys.get(&remote).copied() else {
        return Err((
            "unknown key",
            format!("unknown peer key {}", hex::encode(&remote)),
        ));
    };
    let Some(_slot) = PeerSlot::take(&per_peer, peer) else {
        return Err((
            "too many from peer",
            format!("peer {} has {MAX_PER_PEER} connections already", peer.0),
        ));
    };
    let mut transport = hs
        .into_transport_mode()
        .map_err(|e| ("noise", format!("noise: {e}")))?;
    info!(peer = peer.0, "peer connected");
    let mut buf = vec![0u8; MAX_FRAME];
    loop {
        let frame = tokio::select! {
            _ = stop.changed() => return Ok(()),
            fr = next_frame(&mut f) => fr,
        };
        let frame = match frame {
            Ok(fr) => fr,
            Err(e) if e == "closed" => return Ok(()),
            Err(e) => return Err(("peer frame", format!("from peer {}: {e}", peer.0))),
        };
        let len = transport.read_message(&frame, &mut buf).map_err(|e| {
            (
                "peer decrypt",
                format!("from peer {}: cannot decrypt: {e}", peer.0),
            )
        })?;
        let (sent_at, msg): (u64, M) = decode_envelope(buf.get(..len).unwrap_or_default())
            .map_err(|e| ("peer message", format!("from peer {}: {e}", peer.0)))?;
        if inbound.send((peer, sent_at, msg)).await.is_err() {
            return Ok(());
        }
    }
}

/// Dials one peer forever: connect, handshake as initiator, check the
/// peer's key, then send queued messages; reconnect with backoff on failure.
async fn dial_loop(
    addr: String,
    peer: NodeId,
    key: Vec<u8>,
    private: Vec<u8>,
    outbox: outbox::Outbox,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut buf = vec![0u8; MAX_FRAME];
    let mut connections = 0u64;
    loop {
        if *stop.borrow() {
            return;
        }
        let conn = tokio::select! {
            _ = stop.changed() => return,
            c = connect(&addr, &private, &mut buf) => c,
        };
        let (mut f, mut transport, remote) = match conn {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(peer = peer.0, %addr, error = %e, "cannot connect; retrying");
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        if remote != key {
            warn!(peer = peer.0, %addr, "the node at this address presented another key: possible impersonation; not sending");
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
            continue;
        }
        backoff = Duration::from_millis(50);
        // Every connection starts from the oldest retained frame: what an
        // earlier connection wrote may never have been read (see `outbox`).
        let mut next = outbox.oldest();
        // The last frame written, noted with the next lookup.
        let mut written: Option<u64> = None;
        connections += 1;
        if connections > 1 {
            let (frames, bytes) = outbox.retained();
            info!(
                peer = peer.0,
                frames, bytes, "reconnected: re-sending the retained messages"
            );
        }
        loop {
            // The peer never writes after the handshake, so anything on the
            // read side means the connection is gone: reconnect before a
            // message is written into a dead socket.
            let frame = loop {
                if let Some(x) = outbox.get_from(next, written.take()) {
                    break Some(x);
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = outbox.pushed() => {}
                    _ = f.next() => {
                        warn!(peer = peer.0, "connection closed by peer; reconnecting");
                        break None;
                    }
                }
            };
            // This frame and every other one already retained (up to
            // `WRITE_BATCH`) are encrypted into the connection's buffer and
            // written with one flush: one system call per batch, not per
            // message, when messages queue up.
            let mut frame = frame;
            let mut batched = 0;
            let mut last = None;
            let mut sent: Result<(), String> = Ok(());
            while let Some((seq, bytes)) = frame.take() {
                sent = match transport.write_message(&bytes, &mut buf) {
                    Ok(len) => f
                        .feed(tokio_util::bytes::Bytes::copy_from_slice(
                            buf.get(..len).unwrap_or_default(),
                        ))
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if sent.is_err() {
                    break;
                }
                last = Some(seq);
                next = seq + 1;
                batched += 1;
                if batched < WRITE_BATCH {
                    frame = outbox.get_from(next, None);
                }
            }
            if sent.is_ok() {
                sent = SinkExt::<tokio_util::bytes::Bytes>::flush(&mut f)
                    .await
                    .map_err(|e| e.to_string());
            }
            if let Err(e) = sent {
                warn!(peer = peer.0, error = %e, "send failed; reconnecting");
                break;
            }
            written = last;
        }
    }
}

type Conn = (
    Framed<TcpStream, LengthDelimitedCodec>,
    snow::TransportState,
    Vec<u8>,
);

async fn connect(addr: &str, private: &[u8], buf: &mut [u8]) -> Result<Conn, std::io::Error> {
    let stream = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::other("connect timed out"))??;
    let mut f = framed(stream);
    let mut hs = builder()
        .and_then(|b| b.local_private_key(private))
        .and_then(|b| b.build_initiator())
        .map_err(noise_err)?;
    let handshake = async {
        let len = hs.write_message(&[], buf).map_err(noise_err)?;
        f.send(tokio_util::bytes::Bytes::copy_from_slice(
            buf.get(..len).unwrap_or_default(),
        ))
        .await?;
        let m2 = next_frame(&mut f).await.map_err(std::io::Error::other)?;
        hs.read_message(&m2, buf).map_err(noise_err)?;
        let len = hs.write_message(&[], buf).map_err(noise_err)?;
        f.send(tokio_util::bytes::Bytes::copy_from_slice(
            buf.get(..len).unwrap_or_default(),
        ))
        .await?;
        Ok::<(), std::io::Error>(())
    };
    tokio::time::timeout(Duration::from_secs(5), handshake)
        .await
        .map_err(|_| std::io::Error::other("handshake timed out"))??;
    let remote = hs
        .get_remote_static()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let transport = hs.into_transport_mode().map_err(noise_err)?;
    Ok((f, transport, remote))
}

/// Decodes a decrypted frame: `(sent_at, message)`. Untrusted input: never
/// panics, and rejects trailing bytes.
pub fn decode_envelope<M: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<(u64, M), String> {
    match postcard::take_from_bytes::<(u64, M)>(bytes) {
        Ok((v, [])) => Ok(v),
        Ok((_, rest)) => Err(format!("malformed message: {} trailing bytes", rest.len())),
        Err(e) => Err(format!("malformed message: {e}")),
    }
}

/// Merges the traces of a cluster's nodes into one, ordered by time, with
/// times relative to the first event and steps renumbered: the same format
/// as the simulator's, for the same diagrams and after-the-fact checks.
pub fn merge_traces(traces: Vec<Vec<TraceEvent>>) -> Vec<TraceEvent> {
    let mut all: Vec<TraceEvent> = traces.into_iter().flatten().collect();
    all.sort_by_key(|e| e.t);
    let t0 = all.first().map_or(0, |e| e.t);
    for (k, e) in all.iter_mut().enumerate() {
        e.step = k as u64 + 1;
        e.t -= t0;
        if let Kind::Deliver { sent_at, .. } = &mut e.kind {
            *sent_at = sent_at.saturating_sub(t0);
        }
    }
    all
}

/// Parses a trace written as JSON lines by a node.
pub fn parse_trace(text: &str) -> Result<Vec<TraceEvent>, String> {
    rio_runtime::trace::from_jsonl(text)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn cfg() -> NetConfig {
        let (p0, _) = keypair().expect("keys");
        let (_, q1) = keypair().expect("keys");
        NetConfig {
            id: 0,
            listen: "127.0.0.1:0".into(),
            private_key: p0,
            trace: None,
            state: None,
            state_keep: None,
            peers: vec![PeerConfig {
                id: 1,
                addr: "127.0.0.1:1".into(),
                public_key: q1,
                signing_key: None,
            }],
        }
    }

    #[test]
    fn config_round_trips_through_toml() {
        let c = cfg();
        assert_eq!(NetConfig::from_toml(&c.to_toml()).expect("parses"), c);
    }

    #[test]
    fn bad_configs_are_clear_errors() {
        let mut c = cfg();
        c.peers[0].id = 5;
        let e = NetConfig::from_toml(&c.to_toml()).expect_err("ids");
        assert!(e.to_string().contains("node ids must be 0..2"), "{e}");
        let mut c = cfg();
        c.private_key = "zz".into();
        assert!(NetConfig::from_toml(&c.to_toml())
            .expect_err("hex")
            .to_string()
            .contains("private_key"));
        let mut c = cfg();
        c.peers[0].public_key = "abcd".into();
        assert!(NetConfig::from_toml(&c.to_toml())
            .expect_err("len")
            .to_string()
            .contains("expected 32 bytes"));
        assert!(NetConfig::from_toml("id = ").is_err());
    }

    #[test]
    fn random_bytes_never_panic_the_decoder() {
        use rand::{Rng as _, SeedableRng};
        let mut rng = rio_runtime::forge::Rng::seed_from_u64(7);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            let _ = decode_envelope::<(u64, Option<Vec<u8>>)>(&bytes);
        }
        let ok = postcard::to_stdvec(&(5u64, (1u64, Some(vec![1u8])))).expect("encode");
        assert_eq!(
            decode_envelope::<(u64, Option<Vec<u8>>)>(&ok),
            Ok((5, (1, Some(vec![1]))))
        );
        let mut long = ok.clone();
        long.push(0);
        assert!(
            decode_envelope::<(u64, Option<Vec<u8>>)>(&long).is_err(),
            "trailing bytes rejected"
        );
    }
}
