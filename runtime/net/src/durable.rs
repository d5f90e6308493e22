//! Durable node state: an append-only log, synced to disk before anything
//! it records leaves the node, of every message the node sent (line,
//! instance key, destination, encoded message) and every output it
//! delivered (line, key).
//!
//! Why a log rather than an embedded database: the state is append-only
//! and read back whole once, at start; one `fdatasync` per batch of steps
//! is the whole cost, and a torn last record (a crash mid-write) is simply
//! cut off on load. An embedded store (redb, sled) would add a dependency
//! and a B-tree for no query the node ever makes.
//!
//! On restart the node re-sends everything it had sent (which also catches
//! up peers that missed it: every message is idempotent, one-shot lines
//! ignore repeats), refuses to send a *different* value on a line and key
//! (and destination) it already sent on — the restarted node cannot turn
//! Byzantine — and never delivers an output twice.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

/// Largest record accepted on load; a longer length prefix is corruption.
const MAX_RECORD: usize = 1 << 20;

#[derive(Serialize, Deserialize)]
enum Record {
    Sent {
        line: String,
        key: Vec<u64>,
        to: Option<u32>,
        msg: Vec<u8>,
    },
    Delivered {
        line: String,
        key: Vec<u64>,
    },
}

/// What the log says about a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Never sent on this line and key: recorded now.
    New,
    /// The same value again (a retransmission): fine.
    Same,
    /// A different value than before: must not leave the node.
    Conflict,
}

type SentKey = (String, Vec<u64>, Option<u32>);

/// Messages to re-send after a restart: destination (`None`: everyone) and
/// the encoded message.
pub type Replay = Vec<(Option<u32>, Vec<u8>)>;

/// The open log and what it holds.
pub struct Durable {
    file: File,
    /// Records appended since the last sync: written with one `write` and
    /// one `fdatasync` per batch.
    pending: Vec<u8>,
    sent: BTreeMap<SentKey, Vec<u8>>,
    delivered: BTreeSet<(String, Vec<u64>)>,
    unsynced: bool,
}

impl Durable {
    /// Opens (or creates) the log at `path`, drops a torn tail, and returns
    /// it with the messages to re-send: `(destination, encoded message)`.
    pub fn open(path: &Path) -> std::io::Result<(Durable, Replay)> {
        let mut bytes = Vec::new();
        if let Ok(mut f) = File::open(path) {
            f.read_to_end(&mut bytes)?;
        }
        let mut sent = BTreeMap::new();
        let mut delivered = BTreeSet::new();
        let mut replay = Vec::new();
        let mut at = 0usize;
        while let Some(len_bytes) = bytes.get(at..at + 4) {
            let mut len = [0u8; 4];
            len.copy_from_slice(len_bytes);
            let len = u32::from_be_bytes(len) as usize;
            let Some(body) = bytes
                .get(at + 4..at + 4 + len)
                .filter(|_| len <= MAX_RECORD)
            else {
                break;
            };
            match postcard::from_bytes::<Record>(body) {
                Ok(Record::Sent { line, key, to, msg }) => {
                    replay.push((to, msg.clone()));
                    sent.insert((line, key, to), msg);
                }
                Ok(Record::Delivered { line, key }) => {
                    delivered.insert((line, key));
                }
                Err(_) => break,
            }
            at += 4 + len;
        }
        let mut o = OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let file = o.open(path)?;
        // Cut a torn or corrupt tail so new records follow valid ones.
        file.set_len(at as u64)?;
        Ok((
            Durable {
                file,
                pending: Vec::new(),
                sent,
                delivered,
                unsynced: false,
            },
            replay,
        ))
    }

    fn append(&mut self, r: &Record) -> std::io::Result<()> {
        let body = postcard::to_stdvec(r).map_err(std::io::Error::other)?;
        let len = u32::try_from(body.len()).map_err(std::io::Error::other)?;
        self.pending.extend_from_slice(&len.to_be_bytes());
        self.pending.extend_from_slice(&body);
        self.unsynced = true;
        Ok(())
    }

    /// Checks a send against the log, recording it if new.
    pub fn send(
        &mut self,
        line: &str,
        key: &[u64],
        to: Option<u32>,
        msg: &[u8],
    ) -> std::io::Result<Verdict> {
        let k = (line.to_string(), key.to_vec(), to);
        match self.sent.get(&k) {
            Some(old) if old.as_slice() == msg => Ok(Verdict::Same),
            Some(_) => Ok(Verdict::Conflict),
            None => {
                self.append(&Record::Sent {
                    line: k.0.clone(),
                    key: k.1.clone(),
                    to,
                    msg: msg.to_vec(),
                })?;
                self.sent.insert(k, msg.to_vec());
                Ok(Verdict::New)
            }
        }
    }

    /// Whether an output is new (then recorded) or was delivered before.
    pub fn deliver(&mut self, line: &str, key: &[u64]) -> std::io::Result<bool> {
        let k = (line.to_string(), key.to_vec());
        if self.delivered.contains(&k) {
            return Ok(false);
        }
        self.append(&Record::Delivered {
            line: k.0.clone(),
            key: k.1.clone(),
        })?;
        self.delivered.insert(k);
        Ok(true)
    }

    /// Makes every record so far durable (one `fdatasync` per batch).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
            self.file.sync_data()?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Records held (for memory checks).
    pub fn len(&self) -> usize {
        self.sent.len() + self.delivered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen_and_a_torn_tail() {
        let dir = std::env::temp_dir().join(format!("rio-durable-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("node.state");
        let _ = std::fs::remove_file(&path);
        {
            let (mut d, replay) = Durable::open(&path).expect("open");
            assert!(replay.is_empty());
            assert_eq!(d.send("echo", &[], None, b"A").expect("send"), Verdict::New);
            assert_eq!(
                d.send("echo", &[], None, b"A").expect("send"),
                Verdict::Same
            );
            assert_eq!(
                d.send("echo", &[], None, b"B").expect("send"),
                Verdict::Conflict
            );
            assert_eq!(
                d.send("vote", &[3], Some(1), b"C").expect("send"),
                Verdict::New
            );
            assert!(d.deliver("dlvr", &[]).expect("deliver"));
            assert!(!d.deliver("dlvr", &[]).expect("deliver"));
            d.sync().expect("sync");
        }
        // A torn record at the end (a crash mid-write) is cut off.
        let mut f = OpenOptions::new().append(true).open(&path).expect("append");
        f.write_all(&[0, 0, 0, 50, 1, 2]).expect("torn");
        drop(f);
        let (mut d, replay) = Durable::open(&path).expect("reopen");
        assert_eq!(replay, [(None, b"A".to_vec()), (Some(1), b"C".to_vec())]);
        assert_eq!(
            d.send("echo", &[], None, b"B").expect("send"),
            Verdict::Conflict
        );
        assert!(!d.deliver("dlvr", &[]).expect("deliver"));
        assert!(d.deliver("dlvr", &[1]).expect("deliver"));
        d.sync().expect("sync");
        drop(d);
        let (d, _) = Durable::open(&path).expect("reopen");
        assert_eq!(d.len(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
