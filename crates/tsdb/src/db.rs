//! The database: a locked data directory with persistent blocks, the in-memory head and its
//! write-ahead log. Appends are acknowledged once in the WAL; the head is cut into 2h blocks,
//! blocks are merged into larger ones and dropped by retention; queries span head and blocks.
//!
//! Split as Prometheus's `tsdb` package is: this module opens the directory and appends;
//! `head_wal` replays the WAL and checkpoints it, `compact` cuts, merges and drops blocks,
//! `tombstones` deletes, `querier` selects and evaluates.

use crate::block::{now_ms, write_block, Block, BlockMeta, ChunkOut};
use crate::exemplars::{Exemplar, ExemplarRefusal, ExemplarStorage};
use crate::error::{Error, Result};
use crate::fileutil::is_ulid;
use crate::head::{AppendStats, Head, Refusal};
use crate::histogram::Histogram;
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::record;
use crate::wal::{self, Corruption, WalWriter};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

mod agent;
mod compact;
mod head_cut;
mod head_wal;
mod querier;
mod tombstones;
mod wal_order;
mod write_hold;

use compact::merge_chunks;
pub use agent::AgentTruncation;
pub use head_cut::HeadCutProfile;
pub use querier::{HistogramCsr, InstantHistograms, LabelTable, Matrix, SamplesCsr, Selection, TableSet};

#[derive(Clone, Debug)]
pub struct Options {
    /// Blocks older than this (relative to the newest block) are deleted; 0 keeps them forever.
    pub retention_ms: i64,
    /// Oldest blocks are deleted while blocks and WAL together exceed this; 0 means no limit.
    pub retention_bytes: u64,
    pub block_range_ms: i64,
    pub samples_per_chunk: usize,
    pub wal_segment_size: usize,
    /// Exemplars kept in memory (the newest, across all series); 0 stores none.
    pub max_exemplars: usize,
    /// New float chunks are XOR2 (`storage.tsdb.chunk_encoding.floats: xor2`); otherwise XOR
    /// unless they hold start timestamps.
    pub xor2_chunks: bool,
    /// --storage.tsdb.no-lockfile: no lock file, so nothing stops a second process (at the user's risk).
    pub no_lockfile: bool,
    /// Samples later than now plus this are refused as out of bounds (Prometheus's scrape refuses
    /// samples more than 10 minutes ahead); 0 accepts any future time. Either way the head is
    /// never cut into blocks beyond now plus this, so a far-future sample cannot move the head's
    /// minimum valid time past the present.
    pub max_ahead_ms: i64,
    /// Agent mode (`--agent`), a WAL-only database as Prometheus's `tsdb/agent`: the head keeps
    /// each series' open chunk (its last sample orders appends) but no closed chunks, is never
    /// cut into blocks (so
    /// `compact` does nothing), and the WAL is truncated only by `truncate_agent_wal`.
    pub agent: bool,
}

/// Prometheus's `maxAheadTime` of scrapes: 10 minutes.
pub const DEFAULT_MAX_AHEAD_MS: i64 = 10 * 60 * 1000;

/// Label sets `Db::series_refs` creates per hold of the head's lock. Four threads creating 1M
/// series between them, with a query's select every 2 ms: with 4096 per hold the selects waited
/// up to 112-190 ms (holds queue up behind each other on two cores), with 1024 up to 58-76 ms,
/// for 5% more time to create them all.
pub const SERIES_PER_LOCK: usize = 1024;

/// Float samples `Db::append` adds per hold of the head's lock. A 100k-series target's scrape
/// held it for 5-30 ms in one piece with a million series in the head (cache misses, a busy
/// machine), and every query's read of the head waited that long; a slice is a millisecond or two.
pub const SAMPLES_PER_LOCK: usize = 8192;

impl Default for Options {
    fn default() -> Self {
        Options { retention_ms: 15 * 24 * 3600 * 1000, retention_bytes: 0, block_range_ms: 2 * 3600 * 1000, samples_per_chunk: 120, wal_segment_size: wal::DEFAULT_SEGMENT_SIZE, max_exemplars: 0, xor2_chunks: false, no_lockfile: false, max_ahead_ms: DEFAULT_MAX_AHEAD_MS, agent: false }
    }
}

/// One batch of exemplars' outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExemplarAppendStats {
    pub appended: u64,
    pub duplicate: u64,
    pub out_of_order: u64,
    pub labels_too_long: u64,
    pub unknown_ref: u64,
}

/// Counts of the exemplar storage, for the server's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExemplarStats {
    pub max_exemplars: u64,
    pub exemplars_in_storage: u64,
    pub series_with_exemplars: u64,
    pub appended_total: u64,
    pub out_of_order_total: u64,
}

/// What WAL replay found when the database was opened.
#[derive(Clone, Debug, Default)]
pub struct ReplayReport {
    pub series: u64,
    pub samples: u64,
    pub duration_ms: f64,
    /// The corruption that was cut off (the WAL was repaired and the database opened anyway).
    pub corruption: Option<Corruption>,
    /// Interrupted checkpoints (`checkpoint.N.tmp`) removed at open.
    pub removed_temporary: Vec<String>,
}

/// Counters since the database was opened.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub samples_appended: u64,
    pub out_of_order: u64,
    pub duplicate: u64,
    pub too_old: u64,
    /// Refused for being too far in the future (`Options::max_ahead_ms`).
    pub out_of_bounds: u64,
    pub unknown_ref: u64,
    pub series_created: u64,
    pub series_removed: u64,
    pub wal_corruptions: u64,
    pub compactions: u64,
    pub compactions_failed: u64,
    pub head_truncations: u64,
    pub checkpoints: u64,
    pub blocks_deleted_by_retention: u64,
}

#[derive(Clone, Debug, Default)]
pub struct DbStats {
    pub num_series: u64,
    pub num_label_pairs: u64,
    pub chunk_count: u64,
    pub head_chunk_bytes: u64,
    pub min_time: Option<i64>,
    pub max_time: Option<i64>,
    pub wal_bytes: u64,
    pub blocks_bytes: u64,
    pub blocks: Vec<BlockMeta>,
    pub counters: Counters,
    pub series_count_by_metric_name: Vec<(String, u64)>,
    pub label_value_count_by_label_name: Vec<(String, u64)>,
    pub memory_in_bytes_by_label_name: Vec<(String, u64)>,
    pub series_count_by_label_value_pair: Vec<(String, u64)>,
}

type Tombstones = HashMap<u32, Vec<(i64, i64)>>;
struct State {
    head: Head,
    blocks: Vec<Arc<Block>>,
    head_tombstones: Tombstones,
    /// Deletions per block ULID (also in each block's tombstones file).
    block_tombstones: HashMap<String, Tombstones>,
    exemplars: ExemplarStorage,
    closed: bool,
}

pub struct Db {
    dir: PathBuf,
    opts: Options,
    /// The held lock file (none with `no_lockfile`).
    _lock: Option<File>,
    state: RwLock<State>,
    wal: Mutex<Option<WalWriter>>,
    /// The order in which writers get the WAL (see `write_wal_after`).
    wal_order: wal_order::WalOrder,
    /// One compaction (or deletion rewrite) at a time.
    compacting: Mutex<()>,
    /// (time in ms, bytes); changed by config reloads (`storage.tsdb.retention`).
    retention: Mutex<(i64, u64)>,
    counters: Mutex<Counters>,
    /// WAL segments from this one on are kept at checkpoints (remote-write queues still read them).
    wal_floor: Mutex<Option<u32>>,
    /// Agent mode: series removed by garbage collection whose WAL record must stay in
    /// checkpoints until the segments that may still hold their samples are checkpointed too
    /// (ref → the segment being written when the series was removed).
    agent_deleted: Mutex<HashMap<u32, u32>>,
    /// Where the time of the last head cut went, above all how long it held the state lock.
    last_head_cut: Mutex<Option<HeadCutProfile>>,
    pub replay: ReplayReport,
}

impl Db {
    pub fn open(dir: &Path, opts: Options) -> Result<Db> {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("create data directory {}", dir.display()), e))?;
        let lock = if opts.no_lockfile {
            None
        } else {
            let lock_path = dir.join("lock");
            let lock = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| Error::io(format!("open lock file {}", lock_path.display()), e))?;
            if lock.try_lock().is_err() {
                return Err(Error::Locked(format!("the data directory {} is in use by another process (lock file {} is held)", dir.display(), lock_path.display())));
            }
            Some(lock)
        };
        let blocks = Self::load_blocks(dir)?;
        let mut block_tombstones = HashMap::new();
        for b in &blocks {
            if !b.tombstones.is_empty() {
                block_tombstones.insert(b.meta.ulid.clone(), b.tombstones.clone());
            }
        }
        let mut head = Head::new(opts.samples_per_chunk, opts.block_range_ms);
        head.xor2_chunks = opts.xor2_chunks;
        head.keep_closed_chunks = !opts.agent;
        if let Some(max) = blocks.iter().map(|b| b.meta.max_time).max() {
            head.min_valid_time = max;
        }
        let mut state = State { head, blocks, head_tombstones: HashMap::new(), block_tombstones, exemplars: ExemplarStorage::new(opts.max_exemplars), closed: false };
        let wal_dir = dir.join("wal");
        // Interrupted checkpoints are incomplete copies: never read, removed as Prometheus does
        // (in the WAL directory and, for old layouts, the data directory).
        let mut removed = wal::remove_temporary_checkpoints(&wal_dir)?;
        removed.extend(wal::remove_temporary_checkpoints(dir)?);
        let mut replay = Self::replay(&wal_dir, &mut state)?;
        replay.removed_temporary.extend(removed);
        let next = wal::list_segments(&wal_dir)?.last().map_or(0, |s| s + 1).max(wal::last_checkpoint(&wal_dir)?.map_or(0, |(_, n)| n + 1));
        let writer = WalWriter::create(&wal_dir, next, opts.wal_segment_size)?;
        let counters = Counters { wal_corruptions: u64::from(replay.corruption.is_some()), ..Counters::default() };
        Ok(Db { dir: dir.to_path_buf(), retention: Mutex::new((opts.retention_ms, opts.retention_bytes)), opts, _lock: lock, state: RwLock::new(state), wal: Mutex::new(Some(writer)), wal_order: wal_order::WalOrder::default(), compacting: Mutex::new(()), counters: Mutex::new(counters), wal_floor: Mutex::new(None), agent_deleted: Mutex::new(HashMap::new()), last_head_cut: Mutex::new(None), replay })
    }

    fn load_blocks(dir: &Path) -> Result<Vec<Arc<Block>>> {
        let mut blocks = Vec::new();
        for e in fs::read_dir(dir).map_err(|e| Error::io(format!("list {}", dir.display()), e))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let legacy_tmp = name.strip_suffix(".tmp").is_some_and(is_ulid);
            if name.ends_with(".tmp-for-creation") || name.ends_with(".tmp-for-deletion") || legacy_tmp {
                // Left over from a crash in the middle of writing or deleting a block.
                let _ = fs::remove_dir_all(e.path());
                continue;
            }
            if is_ulid(&name) && e.path().join("meta.json").exists() {
                blocks.push(Block::open(&e.path())?);
            }
        }
        // A block whose data is all in another, newer block (a crash after a merge or rewrite,
        // before the old block was deleted) is dropped now.
        let supersedes = |y: &Block, x: &Block| {
            y.meta.ulid != x.meta.ulid
                && x.meta.sources.iter().all(|s| y.meta.sources.contains(s))
                && (y.meta.level > x.meta.level || (y.meta.level == x.meta.level && y.meta.ulid > x.meta.ulid))
        };
        let mut keep = Vec::new();
        for x in &blocks {
            if blocks.iter().any(|y| supersedes(y, x)) {
                let _ = fs::remove_dir_all(&x.dir);
            }
        }
        for x in blocks {
            if x.dir.exists() {
                keep.push(Arc::new(x));
            }
        }
        keep.sort_by_key(|b| b.meta.min_time);
        Ok(keep)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    fn write_wal(&self, records: &[&[u8]]) -> Result<()> {
        self.write_wal_after((), records)
    }

    /// Logs records taken into the head under the state lock `guard`, after releasing it: a
    /// ticket taken under the lock keeps the records in the order the head took them, and the
    /// wait for the writer happens without the lock, so neither queries nor the next appender
    /// wait for the disk behind it (a WAL write stalls for hundreds of ms while a block or
    /// checkpoint is being written).
    /// Between two write holds of a long operation: the lock prefers waiting writers, so queries
    /// would wait across every queued writer's holds. A read hold is granted once no writer
    /// waits, with all readers waiting then: taking one lets them in before this thread writes.
    pub(crate) fn let_waiting_readers_in(&self) -> Result<()> {
        drop(self.state.read().map_err(|_| Error::Closed)?);
        Ok(())
    }

    fn write_wal_after<G>(&self, guard: G, records: &[&[u8]]) -> Result<()> {
        let ticket = self.wal_order.ticket();
        drop(guard);
        let turn = self.wal_order.wait_turn(ticket);
        let mut w = self.wal.lock().map_err(|_| Error::Closed)?;
        let writer = w.as_mut().ok_or(Error::Closed)?;
        writer.log(records)?;
        let closed = writer.take_unsynced();
        // A segment the records filled is fsynced after the writer's lock is let go: the fsync
        // of a full segment can take a second on a busy disk (a block being written), and the
        // next appends wait for their turn at the writer.
        drop(w);
        drop(turn);
        for f in closed {
            f.sync_all().map_err(|e| Error::io("fsync WAL segment", e))?;
        }
        Ok(())
    }

    /// Refs of the head series with these labels, created (and logged) when new. The head's lock
    /// is taken per `SERIES_PER_LOCK` label sets: a large target's first scrape creates 100k
    /// series, and queries (which read the head under the same lock) would wait for all of them.
    /// An empty label set is refused before any series is created.
    pub fn series_refs(&self, label_sets: &[Labels]) -> Result<Vec<u32>> {
        if let Some(i) = label_sets.iter().position(|l| l.is_empty()) {
            return Err(Error::Invalid(format!("label set {i} is empty")));
        }
        let mut refs = Vec::with_capacity(label_sets.len());
        for (i, chunk) in label_sets.chunks(SERIES_PER_LOCK).enumerate() {
            if i > 0 {
                // Ten targets' first scrapes creating series on the thread pool kept a writer
                // always waiting: a select waited up to 1.3-2.4 s (see SERIES_PER_LOCK).
                self.let_waiting_readers_in()?;
            }
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            if st.closed {
                return Err(Error::Closed);
            }
            let mut created: Vec<(u64, &Labels)> = Vec::new();
            for l in chunk {
                let (r, new) = st.head.get_or_create(l, None);
                if new {
                    created.push((r as u64, l));
                }
                refs.push(r);
            }
            if !created.is_empty() {
                let mut rec = Vec::new();
                record::encode_series(&mut rec, &created);
                self.write_wal_after(st, &[&rec])?;
                self.counters.lock().unwrap().series_created += created.len() as u64;
            }
        }
        Ok(refs)
    }

    /// Stores exemplars of existing series (logged in the WAL first); refused ones are counted
    /// by reason. With `max_exemplars` 0 nothing is stored.
    pub fn append_exemplars(&self, items: &[(u32, Exemplar)]) -> Result<ExemplarAppendStats> {
        let mut stats = ExemplarAppendStats::default();
        let mut st = self.state.write().map_err(|_| Error::Closed)?;
        if st.closed {
            return Err(Error::Closed);
        }
        if st.exemplars.capacity() == 0 {
            return Ok(stats);
        }
        let mut accepted: Vec<(u64, &Exemplar)> = Vec::new();
        for (r, e) in items {
            if st.head.get(*r).is_none() {
                stats.unknown_ref += 1;
                continue;
            }
            match st.exemplars.add(*r, e.clone()) {
                Ok(()) => accepted.push((*r as u64, e)),
                Err(ExemplarRefusal::Duplicate) => stats.duplicate += 1,
                Err(ExemplarRefusal::OutOfOrder) => stats.out_of_order += 1,
                Err(ExemplarRefusal::LabelsTooLong) => stats.labels_too_long += 1,
            }
        }
        stats.appended = accepted.len() as u64;
        if !accepted.is_empty() {
            let mut rec = Vec::new();
            record::encode_exemplars(&mut rec, &accepted);
            self.write_wal_after(st, &[&rec])?;
        }
        Ok(stats)
    }

    /// Exemplars in `[mint, maxt]` of the series matching any of the matcher sets, by series labels.
    pub fn select_exemplars(&self, matcher_sets: &[Vec<Matcher>], mint: i64, maxt: i64) -> Result<Vec<(Labels, Vec<Exemplar>)>> {
        let st = self.state.read().map_err(|_| Error::Closed)?;
        if st.closed {
            return Err(Error::Closed);
        }
        let mut out = Vec::new();
        for r in st.exemplars.series() {
            let Some(labels) = st.head.labels_of(r) else { continue };
            let selected = matcher_sets.iter().any(|ms| ms.iter().all(|m| m.matches(labels.get(m.name()).unwrap_or(""))));
            if !selected {
                continue;
            }
            let list = st.exemplars.of_series(r, mint, maxt);
            if !list.is_empty() {
                out.push((labels, list));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Changes how many exemplars are kept (a config reload); 0 drops them all.
    pub fn set_max_exemplars(&self, n: usize) -> Result<()> {
        self.state.write().map_err(|_| Error::Closed)?.exemplars.resize(n);
        Ok(())
    }

    /// The retention in force: (time in ms, bytes), 0 = no limit of that kind.
    pub fn retention(&self) -> (i64, u64) {
        *self.retention.lock().unwrap()
    }

    /// Changes the retention (a config reload); blocks beyond it go at the next compaction.
    /// Keeps WAL segments from `segment` on when the head is truncated (None: no floor): the
    /// checkpoint then covers only the segments before it, so a remote-write queue that has not
    /// sent them yet still finds their samples.
    pub fn set_wal_retention_floor(&self, segment: Option<u32>) {
        *self.wal_floor.lock().unwrap() = segment;
    }

    pub fn wal_retention_floor(&self) -> Option<u32> {
        *self.wal_floor.lock().unwrap()
    }

    pub fn set_retention(&self, ms: i64, bytes: u64) {
        *self.retention.lock().unwrap() = (ms, bytes);
    }

    /// Whether new float chunks are XOR2 (`storage.tsdb.chunk_encoding.floats`); open chunks keep
    /// their encoding until they are cut.
    pub fn set_xor2_chunks(&self, on: bool) -> Result<()> {
        self.state.write().map_err(|_| Error::Closed)?.head.xor2_chunks = on;
        Ok(())
    }

    pub fn exemplar_stats(&self) -> Result<ExemplarStats> {
        let st = self.state.read().map_err(|_| Error::Closed)?;
        let e = &st.exemplars;
        Ok(ExemplarStats { max_exemplars: e.capacity() as u64, exemplars_in_storage: e.len() as u64, series_with_exemplars: e.series_count() as u64, appended_total: e.appended, out_of_order_total: e.out_of_order })
    }

    /// Appends samples; each refused sample is counted by reason and the rest is kept. Returns
    /// once the accepted samples are in the WAL. `sts`, when given, are the samples' start
    /// timestamps (0 = none).
    pub fn append(&self, refs: &[u32], ts: &[i64], vs: &[f64], sts: Option<&[i64]>) -> Result<AppendStats> {
        if refs.len() != ts.len() || ts.len() != vs.len() || sts.is_some_and(|s| s.len() != ts.len()) {
            return Err(Error::Invalid(format!("refs, timestamps, values and start timestamps differ in length ({}, {}, {}, {})", refs.len(), ts.len(), vs.len(), sts.map_or(ts.len(), <[i64]>::len))));
        }
        let st_of = |i: usize| sts.map_or(0, |s| s[i]);
        let mut stats = AppendStats::default();
        let mut rec = Vec::with_capacity(17 + refs.len().min(SAMPLES_PER_LOCK) * 12);
        let mut accepted = Vec::with_capacity(refs.len().min(SAMPLES_PER_LOCK));
        let max_t = self.max_appendable_time();
        // One WAL record per slice, its place in the WAL taken while the slice's lock is held: the
        // WAL keeps the order in which the head took the samples (replay refuses older samples).
        for start in (0..refs.len()).step_by(SAMPLES_PER_LOCK) {
            let end = (start + SAMPLES_PER_LOCK).min(refs.len());
            if start > 0 {
                // With other appends queued, queries would wait across their slices and ours.
                self.let_waiting_readers_in()?;
            }
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            if st.closed {
                return Err(Error::Closed);
            }
            let head = &mut st.head;
            accepted.clear();
            for i in start..end {
                if ts[i] > max_t {
                    stats.refuse(i, Refusal::OutOfBounds);
                    continue;
                }
                match head.check(refs[i], ts[i], vs[i]) {
                    Ok(true) => {
                        head.append_checked(refs[i], st_of(i), ts[i], vs[i]);
                        accepted.push(i);
                    }
                    Ok(false) => {}
                    Err(r) => stats.refuse(i, r),
                }
            }
            stats.appended += accepted.len() as u64;
            if accepted.is_empty() {
                continue;
            }
            rec.clear();
            record::encode_samples(&mut rec, accepted.iter().map(|&i| record::RefSample { r: refs[i] as u64, st: st_of(i), t: ts[i], v: vs[i] }));
            self.write_wal_after(st, &[&rec])?;
        }
        let mut c = self.counters.lock().unwrap();
        c.samples_appended += stats.appended;
        c.out_of_order += stats.out_of_order;
        c.duplicate += stats.duplicate;
        c.too_old += stats.too_old;
        c.out_of_bounds += stats.out_of_bounds;
        c.unknown_ref += stats.unknown_ref;
        Ok(stats)
    }

    /// Appends native-histogram samples as `append` does floats: invalid histograms refuse the
    /// whole batch before anything is stored (the error names the sample and why); refused
    /// samples are counted by reason; returns once the accepted ones are in the WAL. `sts` are
    /// the samples' start timestamps (0 = none), stored in histogram chunks with start
    /// timestamps and logged in the V2 histogram records.
    pub fn append_histograms(&self, refs: &[u32], ts: &[i64], hs: &[Histogram], sts: Option<&[i64]>) -> Result<AppendStats> {
        if refs.len() != ts.len() || ts.len() != hs.len() || sts.is_some_and(|s| s.len() != ts.len()) {
            return Err(Error::Invalid(format!("refs, timestamps, histograms and start timestamps differ in length ({}, {}, {}, {})", refs.len(), ts.len(), hs.len(), sts.map_or(ts.len(), <[i64]>::len))));
        }
        let st_of = |i: usize| sts.map_or(0, |s| s[i]);
        for (i, h) in hs.iter().enumerate() {
            h.validate().map_err(|e| Error::Invalid(format!("histogram {i} (series ref {}, timestamp {}): {e}", refs[i], ts[i])))?;
        }
        let mut stats = AppendStats::default();
        {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            if st.closed {
                return Err(Error::Closed);
            }
            let head = &mut st.head;
            let mut accepted = Vec::new();
            let max_t = self.max_appendable_time();
            for i in 0..refs.len() {
                if ts[i] > max_t {
                    stats.refuse(i, Refusal::OutOfBounds);
                    continue;
                }
                match head.check_histogram(refs[i], ts[i], &hs[i]) {
                    Ok(true) => {
                        head.append_histogram_checked(refs[i], st_of(i), ts[i], &hs[i]);
                        accepted.push(record::RefHistogramSample { r: refs[i] as u64, st: st_of(i), t: ts[i], h: hs[i].clone() });
                    }
                    Ok(false) => {}
                    Err(r) => stats.refuse(i, r),
                }
            }
            stats.appended = accepted.len() as u64;
            if !accepted.is_empty() {
                let recs = record::encode_histograms(&accepted);
                let recs: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
                self.write_wal_after(st, &recs)?;
            }
        }
        let mut c = self.counters.lock().unwrap();
        c.samples_appended += stats.appended;
        c.out_of_order += stats.out_of_order;
        c.duplicate += stats.duplicate;
        c.too_old += stats.too_old;
        c.out_of_bounds += stats.out_of_bounds;
        c.unknown_ref += stats.unknown_ref;
        Ok(stats)
    }

    /// The latest timestamp an append accepts now (`Options::max_ahead_ms`).
    fn max_appendable_time(&self) -> i64 {
        if self.opts.max_ahead_ms <= 0 {
            i64::MAX
        } else {
            (now_ms() as i64).saturating_add(self.opts.max_ahead_ms)
        }
    }

    /// Writes a consistent copy of the data into `dir`: blocks hard-linked, and the head as one
    /// more block when `with_head`.
    pub fn snapshot(&self, dir: &Path, with_head: bool) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("create snapshot directory {}", dir.display()), e))?;
        let st = self.state.read().map_err(|_| Error::Closed)?;
        for b in &st.blocks {
            let target = dir.join(&b.meta.ulid);
            link_tree(&b.dir, &target)?;
        }
        if with_head {
            if let Some((min, max)) = st.head.time_range() {
                let mut series = Vec::new();
                for r in st.head.refs() {
                    let s = st.head.get(r).expect("live ref");
                    let chunks: Vec<ChunkOut> = s.chunks_in(min, max).map(|(a, b, encoding, d)| ChunkOut { min_t: a, max_t: b, encoding, data: d.to_vec() }).collect();
                    let stones = st.head_tombstones.get(&r).cloned().unwrap_or_default();
                    let chunks = merge_chunks(chunks, &stones, min, max, self.opts.samples_per_chunk, self.opts.block_range_ms, st.head.xor2_chunks);
                    if !chunks.is_empty() {
                        series.push((st.head.labels_from_ids(&s.labels), chunks));
                    }
                }
                series.sort_by(|a, b| a.0.cmp(&b.0));
                if !series.is_empty() {
                    write_block(dir, min, max + 1, 1, vec![], &series, None)?;
                }
            }
        }
        Ok(())
    }

    pub fn counters(&self) -> Counters {
        self.counters.lock().unwrap().clone()
    }

    /// Where the data starts: the oldest block's start or the head's oldest sample (Prometheus's
    /// DB.StartTime), without walking the index as `stats` does. A remote-read endpoint without
    /// `read_recent` is asked only for ranges starting before it.
    pub fn start_time(&self) -> Option<i64> {
        let st = self.state.read().ok()?;
        let blocks = st.blocks.iter().map(|b| b.meta.min_time).min();
        let head = st.head.time_range().map(|r| r.0);
        match (blocks, head) {
            (Some(b), Some(h)) => Some(b.min(h)),
            (b, h) => b.or(h),
        }
    }

    /// Head statistics and cardinality (the top `limit` of each list).
    pub fn stats(&self, limit: usize) -> DbStats {
        // Read before the state lock: listing the WAL directory can wait for a busy disk.
        let wal_bytes = wal::dir_size(&self.dir.join("wal"));
        let st = match self.state.read() {
            Ok(s) => s,
            Err(_) => return DbStats::default(),
        };
        let head = &st.head;
        let sym = &head.symbols;
        let mut by_metric = Vec::new();
        let mut value_counts = Vec::new();
        let mut memory = Vec::new();
        let mut pairs = Vec::new();
        let name_id = sym.get(crate::labels::METRIC_NAME);
        // The cardinality lists cost a string per label pair of the head (seconds with a million
        // series, under the lock appends wait for): only built when some of them are asked for
        // (/metrics asks for none, once a second).
        for n in head.index.names().filter(|_| limit > 0) {
            let values = head.index.values_of(n);
            let name = sym.lookup(n);
            value_counts.push((name.to_string(), values.len() as u64));
            let mut mem = 0u64;
            for &v in values {
                let count = head.index.postings(n, v).len() as u64;
                let value = sym.lookup(v);
                mem += value.len() as u64 * count;
                pairs.push((format!("{name}={value}"), count));
                if Some(n) == name_id {
                    by_metric.push((value.to_string(), count));
                }
            }
            memory.push((name.to_string(), mem));
        }
        let top = |mut v: Vec<(String, u64)>| {
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(limit);
            v
        };
        let range = head.time_range();
        DbStats {
            num_series: head.num_series() as u64,
            num_label_pairs: head.index.num_pairs() as u64,
            chunk_count: head.num_chunks() as u64,
            head_chunk_bytes: head.chunk_bytes() as u64,
            min_time: range.map(|r| r.0),
            max_time: range.map(|r| r.1),
            wal_bytes,
            blocks_bytes: st.blocks.iter().map(|b| b.size_bytes).sum(),
            blocks: st.blocks.iter().map(|b| b.meta.clone()).collect(),
            counters: self.counters(),
            series_count_by_metric_name: top(by_metric),
            label_value_count_by_label_name: top(value_counts),
            memory_in_bytes_by_label_name: top(memory),
            series_count_by_label_value_pair: top(pairs),
        }
    }

    /// Flushes and fsyncs the WAL, and releases the directory (the lock goes with the Db).
    pub fn close(&self) -> Result<()> {
        let _c = self.compacting.lock().map_err(|_| Error::Closed)?;
        let mut st = self.state.write().map_err(|_| Error::Closed)?;
        if st.closed {
            return Ok(());
        }
        st.closed = true;
        if let Some(mut w) = self.wal.lock().map_err(|_| Error::Closed)?.take() {
            w.close()?;
        }
        Ok(())
    }

    pub fn now_ms() -> u64 {
        now_ms()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn link_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| Error::io(format!("create {}", to.display()), e))?;
    for e in fs::read_dir(from).map_err(|e| Error::io(format!("list {}", from.display()), e))?.flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            link_tree(&e.path(), &target)?;
        } else if fs::hard_link(e.path(), &target).is_err() {
            fs::copy(e.path(), &target).map_err(|err| Error::io(format!("copy {}", e.path().display()), err))?;
        }
    }
    Ok(())
}
