//! One peer's outgoing messages, retained for retransmission.
//!
//! The node appends every frame for a peer to its [`Outbox`] (never
//! blocking); the peer's dialer sends them in order. A frame stays in the
//! outbox after it is written, up to [`RETAIN_FRAMES`] frames and
//! [`RETAIN_BYTES`] bytes per peer (oldest evicted first), because a write
//! that succeeded may still be lost: the peer may crash with it unread in
//! its socket buffer, and a peer that restarts has lost whatever it had not
//! made durable. So on every new connection the dialer sends the whole
//! retained outbox again, oldest first: a peer that was down, or restarted,
//! catches up on every instance whose messages are still retained. Receivers
//! ignore duplicates (one vote per sender per line), so re-sending is always
//! safe.
//!
//! Bounds: memory per peer is at most `RETAIN_BYTES` (plus one frame); the
//! work a reconnection causes is at most `RETAIN_FRAMES` frames. A peer that
//! was away for longer than the outbox covers misses the messages evicted
//! before they were ever written (counted as lost, and logged once per
//! power of two; evicting frames already written is routine): catching up on those needs
//! state transfer, which Rio does not do.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio_util::bytes::Bytes;

/// Frames retained per peer, at most.
pub const RETAIN_FRAMES: usize = 4096;
/// Bytes retained per peer, at most.
pub const RETAIN_BYTES: usize = 2 << 20;

#[derive(Default)]
struct Frames {
    /// `(sequence number, frame)`, oldest first; sequence numbers increase
    /// by one.
    frames: VecDeque<(u64, Bytes)>,
    bytes: usize,
    next_seq: u64,
    /// Frames before this one were written to some connection at least
    /// once: evicting them is routine, not a loss.
    written: u64,
    /// Frames evicted before they were ever written: lost for the peer.
    lost: u64,
}

/// A peer's outbox, shared by the node (appends) and the dialer (sends).
#[derive(Clone, Default)]
pub struct Outbox {
    inner: Arc<(Mutex<Frames>, Notify)>,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Frames> {
        // A panic while holding the lock cannot leave the frames
        // inconsistent (every update is a push or a pop): keep going.
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a frame, evicting the oldest beyond the bounds. Returns how
    /// many frames have been lost so far (evicted before they were ever
    /// written: the peer is down or slow), if this push lost one.
    pub fn push(&self, frame: Bytes) -> Option<u64> {
        let mut f = self.lock();
        let seq = f.next_seq;
        f.next_seq += 1;
        f.bytes += frame.len();
        f.frames.push_back((seq, frame));
        let mut lost = false;
        while f.frames.len() > RETAIN_FRAMES || (f.bytes > RETAIN_BYTES && f.frames.len() > 1) {
            if let Some((seq, old)) = f.frames.pop_front() {
                f.bytes -= old.len();
                if seq >= f.written {
                    f.lost += 1;
                    lost = true;
                }
            }
        }
        let count = f.lost;
        drop(f);
        self.inner.1.notify_one();
        lost.then_some(count)
    }

    /// The sequence number of the oldest retained frame (where a new
    /// connection starts).
    pub fn oldest(&self) -> u64 {
        let f = self.lock();
        f.frames.front().map_or(f.next_seq, |(s, _)| *s)
    }

    /// The first retained frame with sequence number `>= seq`, and its
    /// number (a cheap clone: frames are shared, not copied). `wrote` notes,
    /// under the same lock, that frame `wrote` was written to a connection:
    /// evicting it later is routine, not a loss.
    pub fn get_from(&self, seq: u64, wrote: Option<u64>) -> Option<(u64, Bytes)> {
        let mut f = self.lock();
        if let Some(w) = wrote {
            f.written = f.written.max(w.saturating_add(1));
        }
        let first = f.frames.front()?.0;
        let k = usize::try_from(seq.saturating_sub(first)).ok()?;
        f.frames.get(k).cloned()
    }

    /// Waits until a frame is pushed (or one was pushed since the last
    /// wait).
    pub async fn pushed(&self) {
        self.inner.1.notified().await;
    }

    /// Frames and bytes retained now.
    pub fn retained(&self) -> (usize, usize) {
        let f = self.lock();
        (f.frames.len(), f.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retains_within_bounds_and_resends_from_the_oldest() {
        let o = Outbox::default();
        for k in 0..(RETAIN_FRAMES as u64 + 10) {
            let lost = o.push(Bytes::from(k.to_le_bytes().to_vec()));
            assert_eq!(
                lost,
                (k >= RETAIN_FRAMES as u64).then(|| k - RETAIN_FRAMES as u64 + 1),
                "{k}"
            );
        }
        assert_eq!(o.retained(), (RETAIN_FRAMES, RETAIN_FRAMES * 8));
        assert_eq!(o.oldest(), 10);
        let (seq, frame) = o.get_from(0, None).expect("clamped to the oldest");
        assert_eq!((seq, frame.to_vec()), (10, 10u64.to_le_bytes().to_vec()));
        assert_eq!(o.get_from(12, None).map(|f| f.0), Some(12));
        assert_eq!(o.get_from(RETAIN_FRAMES as u64 + 10, None), None);
        // Evicting frames that were written is routine, not a loss.
        let _ = o.get_from(0, Some(RETAIN_FRAMES as u64 + 9));
        assert_eq!(o.push(Bytes::from(vec![0; 8])), None);
    }

    #[test]
    fn byte_bound_keeps_at_least_the_newest_frame() {
        let o = Outbox::default();
        o.push(Bytes::from(vec![0; RETAIN_BYTES / 2]));
        o.push(Bytes::from(vec![1; RETAIN_BYTES / 2]));
        assert_eq!(o.retained().0, 2);
        o.push(Bytes::from(vec![2; 10]));
        assert_eq!(o.retained(), (2, RETAIN_BYTES / 2 + 10));
        o.push(Bytes::from(vec![3; RETAIN_BYTES + 1]));
        assert_eq!(o.retained(), (1, RETAIN_BYTES + 1));
    }
}
