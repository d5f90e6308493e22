//! Ed25519 signatures on the wire: the [`Crypto`] provider a networked
//! node signs and verifies with (`sign(v)`, `cert(k, votes)`, and every
//! signature in a received value, checked before it enters a line).
//!
//! Keys: a node's Ed25519 signing key is **derived** from its X25519
//! (Noise) private key — the seed is SHA-256 of a domain tag and that key —
//! so a configuration holds one secret. Its public half is what peers list
//! as the node's `signing_key` ([`signing_public_key`] computes it;
//! `rio-node cluster` writes it). A peer without a `signing_key` cannot
//! have its signatures verified: they are refused.
//!
//! Certificates are verified in one batch (`ed25519_dalek::verify_batch`).

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rio_runtime::crypto::{Crypto, Signature};
use rio_runtime::NodeId;
use sha2::{Digest, Sha256};

/// The Ed25519 provider of one node.
pub struct Ed25519 {
    me: NodeId,
    key: SigningKey,
    /// Every node's verifying key, by id (`None`: unknown, refused).
    peers: Vec<Option<VerifyingKey>>,
}

impl std::fmt::Debug for Ed25519 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519").field("me", &self.me).finish()
    }
}

/// The Ed25519 signing key derived from an X25519 private key.
pub fn derive_signing_key(x25519_private: &[u8]) -> SigningKey {
    let mut h = Sha256::new();
    h.update(b"rio ed25519 signing key v1\0");
    h.update(x25519_private);
    let seed: [u8; 32] = h.finalize().into();
    SigningKey::from_bytes(&seed)
}

/// The public Ed25519 key (hex) of the node whose X25519 private key is
/// `private_hex`: what its peers configure as its `signing_key`.
pub fn signing_public_key(private_hex: &str) -> Result<String, String> {
    let private = hex::decode(private_hex.trim()).map_err(|e| e.to_string())?;
    if private.len() != 32 {
        return Err(format!("expected 32 bytes, got {}", private.len()));
    }
    Ok(hex::encode(
        derive_signing_key(&private).verifying_key().to_bytes(),
    ))
}

/// Decodes a hex Ed25519 public key.
pub fn decode_verifying_key(hex_key: &str) -> Result<VerifyingKey, String> {
    let b = hex::decode(hex_key.trim()).map_err(|e| e.to_string())?;
    let b: [u8; 32] = b
        .try_into()
        .map_err(|b: Vec<u8>| format!("expected 32 bytes, got {}", b.len()))?;
    VerifyingKey::from_bytes(&b).map_err(|e| e.to_string())
}

impl Ed25519 {
    /// Node `me` with the signing key derived from its X25519 private key,
    /// and every node's verifying key (its own is derived).
    pub fn new(me: NodeId, x25519_private: &[u8], peers: Vec<Option<VerifyingKey>>) -> Self {
        let key = derive_signing_key(x25519_private);
        let mut peers = peers;
        if let Some(own) = peers.get_mut(me.index()) {
            *own = Some(key.verifying_key());
        }
        Ed25519 { me, key, peers }
    }

    fn verifying(&self, signer: NodeId) -> Option<&VerifyingKey> {
        self.peers.get(signer.index()).and_then(Option::as_ref)
    }
}

fn dalek(sig: &Signature) -> ed25519_dalek::Signature {
    ed25519_dalek::Signature::from_bytes(&sig.to_bytes())
}

impl Crypto for Ed25519 {
    fn sign(&self, signer: NodeId, msg: &[u8]) -> Option<Signature> {
        (signer == self.me).then(|| Signature::from_bytes(self.key.sign(msg).to_bytes()))
    }

    fn verify(&self, signer: NodeId, msg: &[u8], sig: &Signature) -> bool {
        self.verifying(signer)
            .is_some_and(|k| k.verify_strict(msg, &dalek(sig)).is_ok())
    }

    fn verify_all(&self, items: &[(NodeId, Vec<u8>, Signature)]) -> bool {
        if items.len() < 2 {
            return items.iter().all(|(s, m, g)| self.verify(*s, m, g));
        }
        let mut keys = Vec::with_capacity(items.len());
        for (s, _, _) in items {
            match self.verifying(*s) {
                Some(k) => keys.push(*k),
                None => return false,
            }
        }
        let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
        let sigs: Vec<ed25519_dalek::Signature> = items.iter().map(|(_, _, g)| dalek(g)).collect();
        ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(me: u32, privates: &[[u8; 32]]) -> Ed25519 {
        let peers = privates
            .iter()
            .map(|p| Some(derive_signing_key(p).verifying_key()))
            .collect();
        Ed25519::new(
            NodeId(me),
            privates.get(me as usize).unwrap_or(&[0; 32]),
            peers,
        )
    }

    #[test]
    fn signs_as_itself_only_and_verifies_everyone() {
        let privates = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let p0 = provider(0, &privates);
        let p1 = provider(1, &privates);
        assert!(p0.sign(NodeId(1), b"m").is_none());
        let s = p0.sign(NodeId(0), b"m").expect("own key");
        assert!(p1.verify(NodeId(0), b"m", &s));
        assert!(!p1.verify(NodeId(1), b"m", &s));
        assert!(!p1.verify(NodeId(0), b"n", &s));
        assert!(!p1.verify(NodeId(7), b"m", &s));
        let s2 = p1.sign(NodeId(1), b"m").expect("own key");
        let batch = vec![
            (NodeId(0), b"m".to_vec(), s),
            (NodeId(1), b"m".to_vec(), s2),
        ];
        assert!(p0.verify_all(&batch));
        let bad = vec![(NodeId(0), b"m".to_vec(), s), (NodeId(1), b"m".to_vec(), s)];
        assert!(!p0.verify_all(&bad));
    }

    #[test]
    fn the_public_key_is_derived_from_the_noise_key() {
        let hexkey = hex::encode([5u8; 32]);
        let public = signing_public_key(&hexkey).expect("derives");
        let k = decode_verifying_key(&public).expect("decodes");
        assert_eq!(k, derive_signing_key(&[5u8; 32]).verifying_key());
        assert!(signing_public_key("abcd").is_err());
        assert!(decode_verifying_key("zz").is_err());
    }
}
