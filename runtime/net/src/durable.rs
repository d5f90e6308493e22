//! Durable node state: an append-only log, synced to disk before anything
//! it records leaves the node, of every message the node sent (line,
//! instance key, destination, encoded message) and every output it
//! delivered (line, key).
//!
//! Why a log rather than an embedded database: the state is append-only
//! and read back whole once, at start; one `fdatasync` per batch of steps
//! is the whole cost, and a torn last record (a crash mid-write) is simply
//! cut off on load. An embedded store would add a dependency and a B-tree
//! for no query the node ever makes, and it measures slower: redb 2 takes
//! 1.33–1.62x the log's time per durable batch (`cargo bench -p
//! rio-examples --bench store`, `docs/benchmarks.md`).
//!
//! On restart the node re-sends everything it had sent (which also catches
//! up peers that missed it: every message is idempotent, one-shot lines
//! ignore repeats), refuses to send a *different* value on a line and key
//! (and destination) it already sent on — the restarted node cannot turn
//! Byzantine — and never delivers an output twice.
//!
//! **Compaction.** The log would grow with the protocol's history. A node
//! reports its low-water mark over one-index instances
//! ([`rio_runtime::Node::low_water`]: every instance below it is finished
//! there, and it will never send on or output from them again). Once the
//! mark is `2 * keep` past the log's own mark, the log is rewritten without
//! the records of instances below `low - keep`, and starts with that mark
//! ([`Durable::compact`]). A restarted node restores the mark
//! ([`rio_runtime::Node::restore_low_water`]), so it treats those instances
//! as finished, and the log refuses sends and outputs below it
//! ([`Verdict::Stale`]): the guarantees above hold, and the log, its
//! memory and the replay after a restart stay bounded: the records of at
//! most `2 * keep` finished one-index instances, of the live ones above the
//! mark (at most the instance window), and of instances without exactly
//! one index, which are never compacted. The `keep` finished instances below
//! the mark are still re-sent after a restart, for peers that missed them;
//! older ones are not (no state transfer). The rewrite goes to a temporary
//! file that is synced and renamed over the log, so a crash leaves either
//! the old log or the new one.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest record accepted on load; a longer length prefix is corruption.
const MAX_RECORD: usize = 1 << 20;

/// How many finished instances below the node's low-water mark the log
/// keeps by default (re-sent after a restart for peers that missed them).
pub const DEFAULT_KEEP: u64 = 1024;

// New variants go at the end: postcard encodes the variant index, so older
// logs still load.
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
    /// Every one-index instance below `below` is finished: its records were
    /// compacted away.
    Mark {
        below: u64,
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
    /// For an instance below the compaction mark, finished long ago: its
    /// record is gone, so the send is dropped rather than risk a
    /// contradiction.
    Stale,
}

type SentKey = (String, Vec<u64>, Option<u32>);

/// Messages to re-send after a restart: destination (`None`: everyone) and
/// the encoded message.
pub type Replay = Vec<(Option<u32>, Vec<u8>)>;

/// The log file: appends made durable with `fdatasync`, and whole-log
/// replacement for compaction. [`Durable`] holds one until the network
/// runtime takes it ([`Durable::take_file`]) for its writer thread, which
/// syncs while the node goes on working.
pub struct LogFile {
    path: PathBuf,
    file: File,
}

impl LogFile {
    /// Appends `bytes` (whole records) and syncs them (`fdatasync`).
    pub fn append_sync(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.file.write_all(bytes)?;
        self.file.sync_data()
    }

    /// Replaces the whole log by `image` (a compacted log): written to a
    /// temporary file, synced, renamed over the log, directory synced; a
    /// crash leaves the old log or the new one.
    pub fn replace(&mut self, image: &[u8]) -> std::io::Result<()> {
        let mut tmp_name = self.path.clone().into_os_string();
        tmp_name.push(".compact");
        let tmp = PathBuf::from(tmp_name);
        {
            let mut o = OpenOptions::new();
            o.create(true).write(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o.open(&tmp)?;
            f.write_all(image)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        Ok(())
    }
}

/// The open log and what it holds.
pub struct Durable {
    file: Option<LogFile>,
    /// Records appended since the last sync: written with one `write` and
    /// one `fdatasync` per batch.
    pending: Vec<u8>,
    /// Every send, with its position in the log (replayed in that order).
    sent: BTreeMap<SentKey, (u64, Vec<u8>)>,
    delivered: BTreeSet<(String, Vec<u64>)>,
    /// One-index instances below it are compacted away.
    mark: u64,
    seq: u64,
    unsynced: bool,
}

/// Whether a record's key is for a one-index instance below `mark`.
fn below(key: &[u64], mark: u64) -> bool {
    matches!(key, [k] if *k < mark)
}

fn encode(r: &Record, out: &mut Vec<u8>) -> std::io::Result<()> {
    let body = postcard::to_stdvec(r).map_err(std::io::Error::other)?;
    let len = u32::try_from(body.len()).map_err(std::io::Error::other)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(())
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
        let mut mark = 0u64;
        let mut seq = 0u64;
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
                    if !below(&key, mark) {
                        sent.insert((line, key, to), (seq, msg));
                        seq += 1;
                    }
                }
                Ok(Record::Delivered { line, key }) => {
                    if !below(&key, mark) {
                        delivered.insert((line, key));
                    }
                }
                Ok(Record::Mark { below: m }) => mark = mark.max(m),
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
        let d = Durable {
            file: Some(LogFile {
                path: path.to_path_buf(),
                file,
            }),
            pending: Vec::new(),
            sent,
            delivered,
            mark,
            seq,
            unsynced: false,
        };
        let replay = d.replay();
        Ok((d, replay))
    }

    /// Every recorded send, in the order it was recorded.
    fn replay(&self) -> Replay {
        let mut all: Vec<(u64, Option<u32>, &Vec<u8>)> = self
            .sent
            .iter()
            .map(|((_, _, to), (seq, msg))| (*seq, *to, msg))
            .collect();
        all.sort_unstable_by_key(|(seq, _, _)| *seq);
        all.into_iter().map(|(_, to, m)| (to, m.clone())).collect()
    }

    /// The compaction mark: one-index instances below it are gone from the
    /// log; a restarted node must treat them as finished
    /// ([`rio_runtime::Node::restore_low_water`]).
    pub fn mark(&self) -> u64 {
        self.mark
    }

    fn append(&mut self, r: &Record) -> std::io::Result<()> {
        encode(r, &mut self.pending)?;
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
        if below(key, self.mark) {
            return Ok(Verdict::Stale);
        }
        let k = (line.to_string(), key.to_vec(), to);
        match self.sent.get(&k) {
            Some((_, old)) if old.as_slice() == msg => Ok(Verdict::Same),
            Some(_) => Ok(Verdict::Conflict),
            None => {
                self.append(&Record::Sent {
                    line: k.0.clone(),
                    key: k.1.clone(),
                    to,
                    msg: msg.to_vec(),
                })?;
                self.sent.insert(k, (self.seq, msg.to_vec()));
                self.seq += 1;
                Ok(Verdict::New)
            }
        }
    }

    /// Whether an output is new (then recorded) or was delivered before
    /// (or is for an instance below the compaction mark).
    pub fn deliver(&mut self, line: &str, key: &[u64]) -> std::io::Result<bool> {
        if below(key, self.mark) {
            return Ok(false);
        }
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
    /// Fails once the file was taken ([`Durable::take_file`]).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced {
            let bytes = self.take_pending();
            self.file_mut()?.append_sync(&bytes)?;
        }
        Ok(())
    }

    /// The records appended since the last call, encoded, for whoever
    /// holds the file to write and sync before anything they record
    /// leaves the node.
    pub fn take_pending(&mut self) -> Vec<u8> {
        self.unsynced = false;
        std::mem::take(&mut self.pending)
    }

    /// Takes the log file, to write from another thread: from then on
    /// [`Durable::take_pending`] and [`Durable::compaction`] hand over the
    /// bytes to write, in order.
    pub fn take_file(&mut self) -> Option<LogFile> {
        self.file.take()
    }

    fn file_mut(&mut self) -> std::io::Result<&mut LogFile> {
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the durable log's file was taken"))
    }

    /// Compacts the log if the node's low-water mark `low` is at least
    /// `2 * keep` past the log's mark: drops the records of one-index
    /// instances below `low - keep` and rewrites the log
    /// ([`LogFile::replace`]). Amortized, each record is rewritten a
    /// bounded number of times. Returns whether it compacted. Call it after
    /// [`Durable::sync`].
    pub fn compact(&mut self, low: u64, keep: u64) -> std::io::Result<bool> {
        self.sync()?;
        match self.compaction(low, keep)? {
            Some(image) => {
                self.file_mut()?.replace(&image)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// [`Durable::compact`] without the writing: drops the records below
    /// the new mark and returns the whole compacted log to write with
    /// [`LogFile::replace`] (which supersedes every record taken before
    /// with [`Durable::take_pending`]), or `None` if it is not yet time.
    pub fn compaction(&mut self, low: u64, keep: u64) -> std::io::Result<Option<Vec<u8>>> {
        let keep = keep.max(1);
        let target = low.saturating_sub(keep);
        if target < self.mark.saturating_add(keep) {
            return Ok(None);
        }
        self.sent.retain(|(_, key, _), _| !below(key, target));
        self.delivered.retain(|(_, key)| !below(key, target));
        let mut out = Vec::new();
        encode(&Record::Mark { below: target }, &mut out)?;
        let mut sends: Vec<(&SentKey, &(u64, Vec<u8>))> = self.sent.iter().collect();
        sends.sort_unstable_by_key(|(_, (seq, _))| *seq);
        for ((line, key, to), (_, msg)) in sends {
            encode(
                &Record::Sent {
                    line: line.clone(),
                    key: key.clone(),
                    to: *to,
                    msg: msg.clone(),
                },
                &mut out,
            )?;
        }
        for (line, key) in &self.delivered {
            encode(
                &Record::Delivered {
                    line: line.clone(),
                    key: key.clone(),
                },
                &mut out,
            )?;
        }
        // Records appended since the last sync are in the image.
        self.pending.clear();
        self.unsynced = false;
        self.mark = target;
        Ok(Some(out))
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

    #[test]
    fn compaction_bounds_the_log_and_keeps_its_guarantees() {
        let dir = std::env::temp_dir().join(format!("rio-compact-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("node.state");
        let _ = std::fs::remove_file(&path);
        let keep = 8;
        let mut sizes = Vec::new();
        {
            let (mut d, _) = Durable::open(&path).expect("open");
            d.send("global", &[], None, b"G").expect("send");
            d.send("pair", &[0, 0], None, b"P").expect("send");
            for k in 0..1000u64 {
                let v = k.to_be_bytes();
                assert_eq!(d.send("echo", &[k], None, &v).expect("send"), Verdict::New);
                assert!(d.deliver("dlvr", &[k]).expect("deliver"));
                d.sync().expect("sync");
                // The node finished every instance up to k.
                d.compact(k + 1, keep).expect("compact");
                sizes.push(std::fs::metadata(&path).expect("size").len());
            }
            // Never more than 2 * keep instances below the node's mark, plus
            // the two records without one index.
            assert!(
                d.len() <= 2 * (2 * keep as usize) + 2,
                "{} records",
                d.len()
            );
            // Compacted whenever the node's mark reached the log's + 2 * keep:
            // last at 1000, to 1000 - keep.
            assert_eq!(d.mark(), 992);
        }
        let max = sizes.iter().max().copied().unwrap_or(0);
        assert!(max < 2_000, "log bounded: {max} bytes");
        let (mut d, replay) = Durable::open(&path).expect("reopen");
        let mark = d.mark();
        assert!(mark > 900, "the mark survives a restart: {mark}");
        // Replay: in the order sent, the records without one index first.
        assert_eq!(replay.first(), Some(&(None, b"G".to_vec())));
        assert_eq!(replay.get(1), Some(&(None, b"P".to_vec())));
        assert_eq!(replay.len(), 2 + (1000 - mark) as usize);
        // Below the mark: refused, never delivered; above it: as before.
        assert_eq!(
            d.send("echo", &[0], None, b"x").expect("send"),
            Verdict::Stale
        );
        assert!(!d.deliver("dlvr", &[mark - 1]).expect("deliver"));
        assert_eq!(
            d.send("echo", &[mark], None, b"x").expect("send"),
            Verdict::Conflict
        );
        assert!(!d.deliver("dlvr", &[mark]).expect("deliver"));
        assert_eq!(
            d.send("pair", &[0, 0], None, b"Q").expect("send"),
            Verdict::Conflict
        );
        assert!(!path.with_extension("state.compact").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
