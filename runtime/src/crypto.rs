//! Signatures and certificates: what `sign(v)` and `cert(k, votes)`
//! produce, and the providers that sign and verify them.
//!
//! - [`Signed<T>`]: a value signed by one node (its `signer`), for one
//!   *purpose* — the line whose rule signed it, and that line's instance
//!   key. The signature covers the protocol's name, the purpose, the key,
//!   the signer and the value's wire encoding (postcard), so a signature
//!   given for one line, instance or protocol is worthless on another.
//! - [`Cert<T>`]: at least `k` signatures from distinct signers on one
//!   value, for one purpose: a transferable proof that `k` nodes vouched
//!   for it.
//!
//! Both are values like any other: they can be sent on, collected and
//! carried forward. A generated node checks every signature in a value
//! before the value enters a line ([`Signed::verify`], [`Cert::verify`]
//! against the protocol's [`Scheme`]): a bad one drops the message and is
//! counted as evidence against the peer that sent it.
//!
//! Who signs and verifies is the driver's [`Crypto`] provider
//! ([`crate::Effects::crypto`]):
//!
//! - [`Symbolic`] (the default, used by the simulator, the model checker and
//!   the in-memory driver): a keyed hash per node, deterministic (the same
//!   seed, the same trace), with keys that only the provider knows. A
//!   Byzantine node can sign only as itself and replay what it has seen
//!   ([`Powers`]); it cannot forge a correct node's signature.
//! - Ed25519 on the wire (`rio-net`), with keys in the node configuration.

use crate::NodeId;
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A signature: 64 bytes (Ed25519's size; the symbolic provider uses the
/// first 32).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Signature {
    hi: [u8; 32],
    lo: [u8; 32],
}

impl Signature {
    pub fn from_bytes(b: [u8; 64]) -> Self {
        let mut hi = [0u8; 32];
        let mut lo = [0u8; 32];
        hi.copy_from_slice(b.get(..32).unwrap_or(&[0; 32]));
        lo.copy_from_slice(b.get(32..).unwrap_or(&[0; 32]));
        Signature { hi, lo }
    }
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        for (d, s) in b.iter_mut().zip(self.hi.iter().chain(self.lo.iter())) {
            *d = *s;
        }
        b
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Eight hex digits are enough to tell signatures apart in a trace.
        write!(f, "sig:")?;
        for b in self.hi.iter().take(4) {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Who signs and verifies: the symbolic provider in simulation and
/// checking, Ed25519 on the wire.
pub trait Crypto: Send + Sync {
    /// Signs `msg` as `signer`; `None` if this provider holds no key for
    /// `signer` (a node signs only as itself).
    fn sign(&self, signer: NodeId, msg: &[u8]) -> Option<Signature>;
    /// Whether `sig` is `signer`'s signature on `msg`.
    fn verify(&self, signer: NodeId, msg: &[u8], sig: &Signature) -> bool;
    /// Whether every signature verifies (a provider may batch).
    fn verify_all(&self, items: &[(NodeId, Vec<u8>, Signature)]) -> bool {
        items.iter().all(|(s, m, g)| self.verify(*s, m, g))
    }
}

/// The symbolic provider: node `i`'s signature on `m` is a keyed SHA-256
/// of `m` under a key derived from `i` and a secret of this module. It
/// signs as any node: drivers that model a Byzantine node hand that node
/// only its own signing power ([`Powers`]). Deterministic.
#[derive(Clone, Copy, Debug, Default)]
pub struct Symbolic;

/// The symbolic provider's secret (not exported: nothing outside this
/// module can compute a symbolic signature except through [`Crypto`]).
const SYMBOLIC_SECRET: &[u8; 32] = b"rio symbolic signatures v1 \x8e\x11\x5a\xc3\x07";

impl Symbolic {
    fn tag(signer: NodeId, msg: &[u8]) -> Signature {
        let mut h = Sha256::new();
        h.update(SYMBOLIC_SECRET);
        h.update(signer.0.to_le_bytes());
        // The length first: no extension of one message is another's tag.
        h.update((msg.len() as u64).to_le_bytes());
        h.update(msg);
        h.update(SYMBOLIC_SECRET);
        let d: [u8; 32] = h.finalize().into();
        Signature { hi: d, lo: [0; 32] }
    }
}

impl Crypto for Symbolic {
    fn sign(&self, signer: NodeId, msg: &[u8]) -> Option<Signature> {
        Some(Symbolic::tag(signer, msg))
    }
    fn verify(&self, signer: NodeId, msg: &[u8], sig: &Signature) -> bool {
        Symbolic::tag(signer, msg) == *sig
    }
}

/// The provider drivers use when they install none.
pub static SYMBOLIC: Symbolic = Symbolic;

/// What a protocol signs: one entry per line whose rule calls `sign`
/// (generated), with that line's key length and the smallest threshold of
/// the `cert(k, ..)`s over it (`None`: nothing certifies it, so no
/// certificate of this purpose is valid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purpose {
    pub line: &'static str,
    pub arity: usize,
    pub cert_k: Option<usize>,
}

/// A protocol's signing scheme, as a generated node checks received values
/// against it.
#[derive(Clone, Copy, Debug)]
pub struct Scheme<'a> {
    pub protocol: &'static str,
    pub n: usize,
    pub purposes: &'a [Purpose],
}

impl Scheme<'_> {
    fn purpose(&self, p: u32) -> Option<&Purpose> {
        self.purposes.get(p as usize)
    }
}

/// The bytes a signature covers: a domain tag, the protocol, the purpose
/// and key, the signer and the value's postcard encoding. `None` if the
/// value cannot be encoded.
pub fn signing_bytes<T: Serialize>(
    protocol: &str,
    purpose: u32,
    key: &[u64],
    signer: NodeId,
    value: &T,
) -> Option<Vec<u8>> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(b"rio-sig\0");
    m.extend_from_slice(&(protocol.len() as u32).to_le_bytes());
    m.extend_from_slice(protocol.as_bytes());
    m.extend_from_slice(&purpose.to_le_bytes());
    m.push(u8::try_from(key.len()).ok()?);
    for k in key {
        m.extend_from_slice(&k.to_le_bytes());
    }
    m.extend_from_slice(&signer.0.to_le_bytes());
    postcard::to_extend(value, m).ok()
}

/// The parts of signed bytes (the inverse of [`signing_bytes`]).
struct Parsed<'m> {
    protocol: &'m [u8],
    purpose: u32,
    key: Vec<u64>,
    value: &'m [u8],
}

fn parse(m: &[u8]) -> Option<Parsed<'_>> {
    let rest = m.strip_prefix(b"rio-sig\0")?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    let protocol = rest.get(..len)?;
    let rest = rest.get(len..)?;
    let (purpose, rest) = rest.split_first_chunk::<4>()?;
    let (klen, mut rest) = rest.split_first()?;
    let mut key = Vec::new();
    for _ in 0..*klen {
        let (k, r) = rest.split_first_chunk::<8>()?;
        key.push(u64::from_le_bytes(*k));
        rest = r;
    }
    let (_signer, value) = rest.split_first_chunk::<4>()?;
    Some(Parsed {
        protocol,
        purpose: u32::from_le_bytes(*purpose),
        key,
        value,
    })
}

/// A value signed by one node, for one purpose (a line and its instance).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Signed<T> {
    signer: NodeId,
    purpose: u32,
    key: Vec<u64>,
    value: T,
    sig: Signature,
}

impl<T: Serialize> Signed<T> {
    /// Signs `value` as `signer` with `crypto`: what `sign(v)` does at a
    /// node. `None` if the provider holds no key for `signer` or the value
    /// cannot be encoded.
    pub fn sign(
        crypto: &dyn Crypto,
        protocol: &str,
        purpose: u32,
        key: &[u64],
        signer: NodeId,
        value: T,
    ) -> Option<Self> {
        let m = signing_bytes(protocol, purpose, key, signer, &value)?;
        let sig = crypto.sign(signer, &m)?;
        Some(Signed {
            signer,
            purpose,
            key: key.to_vec(),
            value,
            sig,
        })
    }

    /// Whether the signature is valid, by a node of the system, for a
    /// purpose of the scheme with a key of the right length.
    pub fn verify(&self, crypto: &dyn Crypto, scheme: &Scheme<'_>) -> bool {
        let Some(p) = scheme.purpose(self.purpose) else {
            return false;
        };
        if self.signer.index() >= scheme.n || self.key.len() != p.arity {
            return false;
        }
        signing_bytes(
            scheme.protocol,
            self.purpose,
            &self.key,
            self.signer,
            &self.value,
        )
        .is_some_and(|m| crypto.verify(self.signer, &m, &self.sig))
    }
}

impl<T> Signed<T> {
    pub fn signer(&self) -> NodeId {
        self.signer
    }
    pub fn value(&self) -> &T {
        &self.value
    }
    pub fn into_value(self) -> T {
        self.value
    }
    /// The index of the purpose (the signing line) in the protocol's scheme.
    pub fn purpose(&self) -> u32 {
        self.purpose
    }
    /// The instance key of the signing line.
    pub fn key(&self) -> &[u64] {
        &self.key
    }
    pub fn signature(&self) -> &Signature {
        &self.sig
    }
}

/// At least `k` signatures from distinct signers on one value, for one
/// purpose. Signers are strictly increasing (decoding refuses anything
/// else).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Cert<T> {
    purpose: u32,
    key: Vec<u64>,
    value: T,
    sigs: Vec<(NodeId, Signature)>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Cert<T> {
    /// Refuses signers that are not strictly increasing: a peer cannot
    /// count one signer twice.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw<T> {
            purpose: u32,
            key: Vec<u64>,
            value: T,
            sigs: Vec<(NodeId, Signature)>,
        }
        let raw = Raw::<T>::deserialize(d)?;
        if !increasing(&raw.sigs) {
            return Err(serde::de::Error::custom(
                "a certificate's signers must be strictly increasing",
            ));
        }
        Ok(Cert {
            purpose: raw.purpose,
            key: raw.key,
            value: raw.value,
            sigs: raw.sigs,
        })
    }
}

fn increasing(sigs: &[(NodeId, Signature)]) -> bool {
    sigs.windows(2).all(|w| match w {
        [a, b] => a.0 < b.0,
        _ => true,
    })
}

impl<T: Clone + Eq + Serialize> Cert<T> {
    /// The certificate of the first value (in `votes`' order) that at
    /// least `k` distinct signers signed for `purpose` and `key`, with its
    /// `k` lowest signers: what `cert(k, votes)` produces. Votes for
    /// another purpose or key are not counted.
    pub fn assemble<'a>(
        k: usize,
        purpose: u32,
        key: &[u64],
        votes: impl IntoIterator<Item = &'a Signed<T>>,
    ) -> Option<Self>
    where
        T: 'a,
    {
        if k == 0 {
            return None;
        }
        let mut groups: Vec<(&T, Vec<(NodeId, Signature)>)> = Vec::new();
        for s in votes {
            if s.purpose != purpose || s.key != key {
                continue;
            }
            let g = match groups.iter_mut().position(|(v, _)| **v == s.value) {
                Some(i) => groups.get_mut(i)?,
                None => {
                    groups.push((&s.value, Vec::new()));
                    groups.last_mut()?
                }
            };
            if !g.1.iter().any(|(x, _)| *x == s.signer) {
                g.1.push((s.signer, s.sig));
            }
        }
        let (value, mut sigs) = groups.into_iter().find(|(_, s)| s.len() >= k)?;
        sigs.sort_by_key(|(s, _)| *s);
        sigs.truncate(k);
        Some(Cert {
            purpose,
            key: key.to_vec(),
            value: value.clone(),
            sigs,
        })
    }

    /// Whether the certificate holds at least its purpose's threshold of
    /// valid signatures from distinct nodes of the system (one batch
    /// verification).
    pub fn verify(&self, crypto: &dyn Crypto, scheme: &Scheme<'_>) -> bool {
        let Some(p) = scheme.purpose(self.purpose) else {
            return false;
        };
        let Some(k) = p.cert_k else {
            return false;
        };
        if self.sigs.len() < k
            || self.sigs.len() > scheme.n
            || self.key.len() != p.arity
            || !increasing(&self.sigs)
            || self.sigs.iter().any(|(s, _)| s.index() >= scheme.n)
        {
            return false;
        }
        let mut items = Vec::with_capacity(self.sigs.len());
        for (s, sig) in &self.sigs {
            let Some(m) = signing_bytes(scheme.protocol, self.purpose, &self.key, *s, &self.value)
            else {
                return false;
            };
            items.push((*s, m, *sig));
        }
        crypto.verify_all(&items)
    }
}

impl<T> Cert<T> {
    pub fn value(&self) -> &T {
        &self.value
    }
    pub fn into_value(self) -> T {
        self.value
    }
    /// The signers, increasing.
    pub fn signers(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.sigs.iter().map(|(s, _)| *s)
    }
    /// How many signatures it holds.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }
    pub fn purpose(&self) -> u32 {
        self.purpose
    }
    pub fn key(&self) -> &[u64] {
        &self.key
    }
}

// ---------------------------------------------------------------------------
// The adversary's powers.

/// A signature a node saw or made: the signed bytes and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    signer: NodeId,
    msg: Vec<u8>,
    sig: Signature,
}

/// How many signatures a [`Recorder`] keeps (the oldest are dropped).
const SEEN_CAP: usize = 4096;

/// A provider for one Byzantine node in a simulation: it verifies like
/// the inner provider and remembers every signature the node saw verified
/// or made itself — what the node may replay. Signing is allowed as the
/// node itself only.
pub struct Recorder {
    me: NodeId,
    inner: Arc<dyn Crypto>,
    seen: Mutex<Vec<Seen>>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder").field("me", &self.me).finish()
    }
}

impl Recorder {
    pub fn new(me: NodeId, inner: Arc<dyn Crypto>) -> Self {
        Recorder {
            me,
            inner,
            seen: Mutex::new(Vec::new()),
        }
    }
    pub fn me(&self) -> NodeId {
        self.me
    }
    fn remember(&self, signer: NodeId, msg: &[u8], sig: &Signature) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen
            .iter()
            .any(|s| s.signer == signer && s.sig == *sig && s.msg == msg)
        {
            return;
        }
        if seen.len() >= SEEN_CAP {
            seen.remove(0);
        }
        seen.push(Seen {
            signer,
            msg: msg.to_vec(),
            sig: *sig,
        });
    }
    fn snapshot(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// How many distinct signatures this node has seen or made.
    pub fn seen_count(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or(0)
    }
}

impl Crypto for Recorder {
    fn sign(&self, signer: NodeId, msg: &[u8]) -> Option<Signature> {
        if signer != self.me {
            return None;
        }
        let sig = self.inner.sign(signer, msg)?;
        self.remember(signer, msg, &sig);
        Some(sig)
    }
    fn verify(&self, signer: NodeId, msg: &[u8], sig: &Signature) -> bool {
        let ok = self.inner.verify(signer, msg, sig);
        if ok {
            self.remember(signer, msg, sig);
        }
        ok
    }
}

thread_local! {
    static POWERS: RefCell<Option<Arc<Recorder>>> = const { RefCell::new(None) };
}

/// The powers of a Byzantine node in a forgery: while a [`Powers`] guard
/// for its [`Recorder`] is alive on this thread, [`crate::Forge`] for
/// [`Signed`] and [`Cert`] signs as that node and replays what it has
/// seen. Without one, forged signatures are garbage (a forger without
/// keys).
pub struct Powers {
    prev: Option<Arc<Recorder>>,
}

impl Powers {
    /// Grants `recorder`'s node its powers until the guard is dropped.
    pub fn enter(recorder: &Arc<Recorder>) -> Powers {
        let prev = POWERS.with(|p| p.replace(Some(recorder.clone())));
        Powers { prev }
    }
    /// Runs `f` with `recorder`'s powers.
    pub fn with<R>(recorder: &Arc<Recorder>, f: impl FnOnce() -> R) -> R {
        let _guard = Powers::enter(recorder);
        f()
    }
    fn current() -> Option<Arc<Recorder>> {
        POWERS.with(|p| p.borrow().clone())
    }
}

impl Drop for Powers {
    fn drop(&mut self) {
        let prev = self.prev.take();
        POWERS.with(|p| *p.borrow_mut() = prev);
    }
}

/// A seen signature, its value decoded as `T`.
#[derive(Clone)]
struct Decoded<'s, T> {
    seen: &'s Seen,
    protocol: Vec<u8>,
    purpose: u32,
    key: Vec<u64>,
    value: T,
}

/// The seen signatures whose values decode as `T`.
fn decode_seen<T: DeserializeOwned>(seen: &[Seen]) -> Vec<Decoded<'_, T>> {
    seen.iter()
        .filter_map(|s| {
            let p = parse(&s.msg)?;
            let value = postcard::from_bytes::<T>(p.value).ok()?;
            Some(Decoded {
                seen: s,
                protocol: p.protocol.to_vec(),
                purpose: p.purpose,
                key: p.key,
                value,
            })
        })
        .collect()
}

impl<T> crate::Forge for Signed<T>
where
    T: crate::Forge + Serialize + DeserializeOwned,
{
    /// With powers: a replay of a signed value the node saw (half the
    /// time), else a forged value signed as the node itself for a purpose
    /// it saw. Without: a garbage signature claiming a random signer.
    fn forge(rng: &mut crate::forge::Rng) -> Self {
        use rand::Rng as _;
        let garbage = |rng: &mut crate::forge::Rng| Signed {
            signer: NodeId(rng.gen_range(0..8)),
            purpose: 0,
            key: Vec::new(),
            value: T::forge(rng),
            sig: Signature::from_bytes([0; 64]),
        };
        let Some(powers) = Powers::current() else {
            return garbage(rng);
        };
        let seen = powers.snapshot();
        let decodable = decode_seen::<T>(&seen);
        if decodable.is_empty() {
            return garbage(rng);
        }
        let pick = rng.gen_range(0..decodable.len());
        let Some(d) = decodable.into_iter().nth(pick) else {
            return garbage(rng);
        };
        if rng.gen_bool(0.5) {
            return Signed {
                signer: d.seen.signer,
                purpose: d.purpose,
                key: d.key,
                value: d.value,
                sig: d.seen.sig,
            };
        }
        let (protocol, purpose, key, value) = (d.protocol, d.purpose, d.key, d.value);
        // A value of its own choosing, signed as itself.
        let value = if rng.gen_bool(0.5) {
            T::forge(rng)
        } else {
            value
        };
        let protocol = String::from_utf8_lossy(&protocol).into_owned();
        Signed::sign(&*powers, &protocol, purpose, &key, powers.me(), value)
            .unwrap_or_else(|| garbage(rng))
    }
}

impl<T> crate::Forge for Cert<T>
where
    T: crate::Forge + Clone + Eq + Serialize + DeserializeOwned,
{
    /// With powers: a certificate on a value the node saw signed, with
    /// every signature on it the node has seen plus its own (so as many
    /// real signers as it can muster; it cannot make more). Without: a
    /// certificate of garbage signatures.
    fn forge(rng: &mut crate::forge::Rng) -> Self {
        use rand::Rng as _;
        let garbage = |rng: &mut crate::forge::Rng| {
            let len = rng.gen_range(0..4u32);
            Cert {
                purpose: 0,
                key: Vec::new(),
                value: T::forge(rng),
                sigs: (0..len)
                    .map(|s| (NodeId(s), Signature::from_bytes([0; 64])))
                    .collect(),
            }
        };
        let Some(powers) = Powers::current() else {
            return garbage(rng);
        };
        let seen = powers.snapshot();
        let decoded = decode_seen::<T>(&seen);
        let pick = match decoded.len() {
            0 => return garbage(rng),
            len => rng.gen_range(0..len),
        };
        let Some(d) = decoded.get(pick).cloned() else {
            return garbage(rng);
        };
        let (protocol, purpose, key, value) = (d.protocol, d.purpose, d.key, d.value);
        let mut sigs: Vec<(NodeId, Signature)> = decoded
            .iter()
            .filter(|x| {
                x.protocol == protocol && x.purpose == purpose && x.key == key && x.value == value
            })
            .map(|x| (x.seen.signer, x.seen.sig))
            .collect();
        let protocol = String::from_utf8_lossy(&protocol).into_owned();
        if let Some(own) = Signed::sign(
            &*powers,
            &protocol,
            purpose,
            &key,
            powers.me(),
            value.clone(),
        ) {
            sigs.push((own.signer, own.sig));
        }
        sigs.sort_by_key(|(s, _)| *s);
        sigs.dedup_by_key(|(s, _)| *s);
        Cert {
            purpose,
            key,
            value,
            sigs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Forge as _;
    use rand::SeedableRng as _;

    const PURPOSES: &[Purpose] = &[Purpose {
        line: "echo",
        arity: 1,
        cert_k: Some(3),
    }];

    fn scheme() -> Scheme<'static> {
        Scheme {
            protocol: "P",
            n: 4,
            purposes: PURPOSES,
        }
    }

    fn signed(signer: u32, v: u64) -> Signed<u64> {
        Signed::sign(&SYMBOLIC, "P", 0, &[7], NodeId(signer), v).expect("signs")
    }

    #[test]
    fn a_signature_verifies_only_for_its_signer_value_and_purpose() {
        let s = signed(1, 5);
        assert!(s.verify(&SYMBOLIC, &scheme()));
        let mut other = s.clone();
        other.signer = NodeId(2);
        assert!(!other.verify(&SYMBOLIC, &scheme()));
        let mut other = s.clone();
        other.value = 6;
        assert!(!other.verify(&SYMBOLIC, &scheme()));
        let mut other = s.clone();
        other.key = vec![8];
        assert!(!other.verify(&SYMBOLIC, &scheme()));
        let other_protocol = Scheme {
            protocol: "Q",
            ..scheme()
        };
        assert!(!s.verify(&SYMBOLIC, &other_protocol));
        let mut out_of_range = signed(4, 5);
        out_of_range.sig = Symbolic::tag(NodeId(4), b"x");
        assert!(!out_of_range.verify(&SYMBOLIC, &scheme()));
    }

    #[test]
    fn a_certificate_needs_k_distinct_valid_signers() {
        let votes = [signed(0, 5), signed(1, 6), signed(2, 5), signed(3, 5)];
        let c = Cert::assemble(3, 0, &[7], votes.iter()).expect("three signed 5");
        assert_eq!(*c.value(), 5);
        assert_eq!(c.signers().map(|s| s.0).collect::<Vec<_>>(), vec![0, 2, 3]);
        assert!(c.verify(&SYMBOLIC, &scheme()));
        assert!(Cert::assemble(3, 0, &[7], votes.get(..3).unwrap_or(&[])).is_none());
        // Too few, a repeated signer, a bad signature: refused.
        let mut short = c.clone();
        short.sigs.pop();
        assert!(!short.verify(&SYMBOLIC, &scheme()));
        let mut twice = c.clone();
        if let (Some(a), Some(b)) = (twice.sigs.first().copied(), twice.sigs.get_mut(1)) {
            *b = a;
        }
        assert!(!twice.verify(&SYMBOLIC, &scheme()));
        let mut other_value = c.clone();
        other_value.value = 6;
        assert!(!other_value.verify(&SYMBOLIC, &scheme()));
        // Decoding refuses signers out of order.
        let json = serde_json::to_string(&twice).expect("encodes");
        assert!(serde_json::from_str::<Cert<u64>>(&json).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]
        /// A certificate as a peer sends it (postcard bytes), with a few
        /// bytes changed: it fails to decode, or fails to verify, unless it
        /// decodes to the original certificate.
        #[test]
        fn tampered_certificates_never_verify(
            flips in proptest::collection::vec((0usize..512, 1u8..=255), 1..4),
        ) {
            let votes = [signed(0, 5), signed(2, 5), signed(3, 5)];
            let cert = Cert::assemble(3, 0, &[7], votes.iter()).expect("cert");
            let mut bytes = postcard::to_allocvec(&cert).expect("encodes");
            for (at, x) in flips {
                let len = bytes.len();
                if let Some(b) = bytes.get_mut(at % len) {
                    *b ^= x;
                }
            }
            if let Ok(c) = postcard::from_bytes::<Cert<u64>>(&bytes) {
                proptest::prop_assert!(!c.verify(&SYMBOLIC, &scheme()) || c == cert, "{c:?}");
            }
            if let Ok(s) = postcard::from_bytes::<Signed<u64>>(&bytes) {
                // Some byte strings decode as a signed value too: one that
                // verifies was really signed.
                if s.verify(&SYMBOLIC, &scheme()) {
                    proptest::prop_assert!(votes.contains(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn a_byzantine_node_signs_only_as_itself_and_replays_what_it_saw() {
        let rec = Arc::new(Recorder::new(NodeId(3), Arc::new(Symbolic)));
        assert!(rec.sign(NodeId(0), b"m").is_none());
        // It saw node 0's and node 1's signatures on 5.
        for s in [signed(0, 5), signed(1, 5)] {
            assert!(s.verify(&*rec, &scheme()));
        }
        let mut rng = crate::forge::Rng::seed_from_u64(1);
        Powers::with(&rec, || {
            for _ in 0..200 {
                let s = Signed::<u64>::forge(&mut rng);
                assert!(s.verify(&SYMBOLIC, &scheme()), "{s:?}");
                assert!(s.signer.0 == 3 || s.value == 5, "{s:?}");
                // At most three real signers on one value: 0, 1 and itself.
                let c = Cert::<u64>::forge(&mut rng);
                assert!(c.len() <= 3);
                if c.value != 5 {
                    assert!(c.len() <= 1, "{c:?}");
                }
            }
        });
        // Without powers, forgeries do not verify.
        let s = Signed::<u64>::forge(&mut rng);
        assert!(!s.verify(&SYMBOLIC, &scheme()));
    }
}
