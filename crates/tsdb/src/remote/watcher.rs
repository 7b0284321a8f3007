//! Tails the WAL for one remote-write queue, as Prometheus's `wlog.Watcher` does, from a
//! position (segment, byte offset of a record, samples of that record already taken). Series
//! records are collected (from the checkpoint too) and handed to the queue once per run of new
//! series for write relabeling; samples and exemplars of kept series go into one batch per shard
//! (a series always to the same shard, so each shard's requests keep its samples in order), and
//! a full batch comes back encoded and compressed. Segment bytes are read once: the tail of the
//! current segment is cached and extended as the writer appends (it never rewrites bytes).

use crate::int_hash::U64Map;
use super::{encode, BatchSeries, HistogramSample, Metadata, Protocol, Sample, SentSeries};
use crate::error::{Error, Result};
use crate::exemplars::Exemplar;
use crate::labels::Labels;
use crate::record::{self, Record};
use crate::wal::{self, PAGE_SIZE};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A place in the WAL: before the record at `offset` of `segment`, whose first `skip` samples
/// (or exemplars) were already taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub segment: u32,
    pub offset: u64,
    pub skip: u32,
}

enum SeriesState {
    /// Seen in a series record; write relabeling has not decided yet.
    Pending(Labels),
    Kept(Arc<SentSeries>),
    Dropped,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub protocol: Protocol,
    pub send_exemplars: bool,
    /// send_native_histograms: histogram records are read and sent (else skipped, as Prometheus does).
    pub send_histograms: bool,
    /// Samples (and exemplars) per request.
    pub max_samples: usize,
    pub shards: usize,
    /// Snappy-compress payloads (else the caller compresses).
    pub compress: bool,
}

/// A batch ready to send.
#[derive(Debug)]
pub struct ReadyBatch {
    pub shard: u32,
    pub payload: Vec<u8>,
    pub samples: u32,
    pub exemplars: u32,
    pub histograms: u32,
    pub max_t: i64,
    /// Where its first sample was: nothing before this is in the batch.
    pub start: Position,
}

#[derive(Default)]
struct ShardBatch {
    series: Vec<BatchSeries>,
    index: U64Map<usize>,
    samples: usize,
    exemplars: usize,
    histograms: usize,
    max_t: i64,
    start: Position,
}

impl ShardBatch {
    fn len(&self) -> usize {
        self.samples + self.exemplars + self.histograms
    }

    /// Empty, keeping the room its series list and index grew to.
    fn emptied(mut self) -> ShardBatch {
        self.series.clear();
        self.index.clear();
        ShardBatch { series: self.series, index: self.index, ..ShardBatch::default() }
    }
}

/// What a read produced.
#[derive(Debug)]
pub enum Step {
    /// Series to relabel (ref, labels); call `resolve` before reading on.
    NewSeries(Vec<(u64, Labels)>),
    Batches(Vec<ReadyBatch>),
    /// Caught up with the WAL and nothing to flush.
    Idle,
}

/// Counters for the queue's metrics.
#[derive(Clone, Debug, Default)]
pub struct WatcherStats {
    pub records_series: u64,
    pub records_samples: u64,
    pub records_exemplars: u64,
    pub records_histograms: u64,
    pub records_other: u64,
    /// Samples whose series record was never seen (Prometheus's watcher skips them too).
    pub unknown_ref: u64,
    /// Older than the sample age limit.
    pub too_old: u64,
    /// The same two for native-histogram samples (Prometheus counts them apart).
    pub histograms_unknown_ref: u64,
    pub histograms_too_old: u64,
    /// Samples of segments removed before they were read (the backlog bound), counted as read past.
    pub skipped_samples: u64,
    pub segments_lost: u64,
    pub corruptions: u64,
}

const STOP: &str = "\u{0}stop";

/// New series handed out per `read`: opening over a large WAL finds every series at once, and the
/// queue relabels them in JavaScript; a bounded run per step keeps its event loop answering.
pub const SERIES_PER_STEP: usize = 2048;

pub struct Watcher {
    dir: PathBuf,
    pos: Position,
    opts: Options,
    series: U64Map<SeriesState>,
    pending: Vec<u64>,
    /// How many of `pending` the last `NewSeries` offered (what `resolve` must answer).
    offered: usize,
    batches: Vec<ShardBatch>,
    /// Batches that filled while a reshard moved held samples (shard, batch): sent first.
    full: Vec<(usize, ShardBatch)>,
    /// The cached bytes of segment `cache_segment` from file offset `cache_base`.
    cache: Vec<u8>,
    cache_segment: u32,
    cache_base: u64,
    /// The last record decoded (segment, offset, record) when a read stopped inside it.
    record_cache: Option<(u32, u64, Record)>,
    /// The uncompressed body of the batch being encoded (kept: its size repeats batch after batch).
    encode_buf: Vec<u8>,
    pub stats: WatcherStats,
}

enum Mode {
    /// Collect series only, up to (excluding) this position; samples are skipped.
    SeriesUntil(Position),
    /// Collect series only, counting the samples as lost, up to the start of this segment.
    SkipTo(u32),
    Send { min_t: i64 },
}

impl Watcher {
    /// Opens at `start` (None: the end of the WAL, for a new queue). Series before the start are
    /// read (checkpoint and segments), so samples after it find their labels.
    pub fn open(dir: &Path, start: Option<Position>, opts: Options) -> Result<Watcher> {
        let mut w = Watcher { dir: dir.to_path_buf(), pos: Position::default(), opts, series: U64Map::default(), pending: Vec::new(), offered: 0, batches: Vec::new(), full: Vec::new(), cache: Vec::new(), cache_segment: u32::MAX, cache_base: 0, record_cache: None, encode_buf: Vec::new(), stats: WatcherStats::default() };
        w.batches.resize_with(w.opts.shards.max(1), ShardBatch::default);
        let first = w.read_checkpoint()?;
        let segments = wal::list_segments(dir)?;
        let begin = segments.iter().copied().find(|&s| s >= first).unwrap_or(first);
        w.pos = Position { segment: begin, offset: 0, skip: 0 };
        let until = match start {
            Some(p) if p.segment >= begin => p,
            Some(_) => {
                // The savepoint's segment is gone (removed past the backlog bound): start at the oldest left.
                w.stats.segments_lost += 1;
                w.pos
            }
            None => Position { segment: segments.last().copied().unwrap_or(begin), offset: u64::MAX, skip: 0 },
        };
        w.scan(Mode::SeriesUntil(until))?;
        Ok(w)
    }

    pub fn position(&self) -> Position {
        self.pos
    }

    /// The start of the oldest sample held in an unfinished batch, if any.
    pub fn held_start(&self) -> Option<Position> {
        self.held().filter(|b| b.len() > 0).map(|b| b.start).min()
    }

    /// Float and histogram samples held in unfinished batches (what the batch deadline flushes:
    /// a queue that only sends histograms must flush too).
    pub fn held_samples(&self) -> usize {
        self.held().map(|b| b.samples + b.histograms).sum()
    }

    fn held(&self) -> impl Iterator<Item = &ShardBatch> {
        self.full.iter().map(|(_, b)| b).chain(self.batches.iter())
    }

    /// Changes the shard count in place (the series stay known: nothing is read again). Held
    /// samples move to their series' new shard, in order; a moved batch keeps the oldest start
    /// of what went into it, so the savepoint still covers every held sample.
    pub fn set_shards(&mut self, n: usize) {
        let n = n.max(1);
        let mut old: Vec<ShardBatch> = std::mem::take(&mut self.full).into_iter().map(|(_, b)| b).collect();
        old.append(&mut self.batches);
        self.batches.resize_with(n, ShardBatch::default);
        self.opts.shards = n;
        for b in old {
            // The batch's series in the order they came, each with its ref.
            let mut refs = vec![0u64; b.series.len()];
            for (&r, &i) in &b.index {
                refs[i] = r;
            }
            for (s, r) in b.series.into_iter().zip(refs) {
                let entries = s.samples.into_iter().map(Entry::Sample).chain(s.exemplars.into_iter().map(Entry::Exemplar)).chain(s.histograms.into_iter().map(Entry::Histogram));
                for e in entries {
                    self.add_moving_full(r, Arc::clone(&s.series), e, b.start);
                }
            }
        }
    }

    /// `add`, setting a batch that fills aside to be sent first.
    fn add_moving_full(&mut self, r: u64, series: Arc<SentSeries>, entry: Entry, at: Position) {
        let shard = self.shard_of(r);
        if self.add(r, series, entry, at) {
            let b = std::mem::take(&mut self.batches[shard]);
            self.full.push((shard, b));
        }
    }

    fn shard_of(&self, r: u64) -> usize {
        ((r.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) % self.batches.len() as u64) as usize
    }

    pub fn set_protocol(&mut self, p: Protocol) {
        self.opts.protocol = p;
    }

    /// The labels of the `i`th series the last `NewSeries` offered (a verdict may keep them as they are).
    pub fn offered_labels(&self, i: usize) -> Option<&Labels> {
        if i >= self.offered {
            return None;
        }
        match self.series.get(&self.pending[i]) {
            Some(SeriesState::Pending(l)) => Some(l),
            _ => None,
        }
    }

    /// Write relabeling's verdict on the series last returned by `NewSeries`, in that order:
    /// `Some(labels)` kept (maybe changed), `None` dropped.
    pub fn resolve(&mut self, verdicts: Vec<Option<(Labels, Option<Metadata>)>>) -> Result<()> {
        if verdicts.len() != self.offered {
            return Err(Error::Invalid(format!("{} verdicts for {} new series", verdicts.len(), self.offered)));
        }
        self.offered = 0;
        for (r, v) in self.pending.drain(..verdicts.len()).zip(verdicts) {
            let state = match v {
                Some((l, md)) => SeriesState::Kept(Arc::new(SentSeries::new(l, md))),
                None => SeriesState::Dropped,
            };
            self.series.insert(r, state);
        }
        Ok(())
    }

    /// Reads on: new series to relabel, the batches that filled up (all non-empty ones with
    /// `flush`), or Idle. Samples before `min_t` are dropped (the sample age limit).
    pub fn read(&mut self, flush: bool, min_t: i64) -> Result<Step> {
        if self.pending.is_empty() {
            self.scan(Mode::Send { min_t })?;
        }
        if !self.pending.is_empty() {
            self.offered = self.pending.len().min(SERIES_PER_STEP);
            let out = self.pending[..self.offered].iter().map(|r| match self.series.get(r) {
                Some(SeriesState::Pending(l)) => (*r, l.clone()),
                _ => (*r, Labels::default()),
            });
            return Ok(Step::NewSeries(out.collect()));
        }
        let ready = self.take_batches(flush);
        Ok(if ready.is_empty() { Step::Idle } else { Step::Batches(ready) })
    }

    /// Moves past everything before segment `segment` (the backlog bound dropped it): series are
    /// still collected, samples counted as skipped. Held batches are kept.
    pub fn skip_to(&mut self, segment: u32) -> Result<()> {
        if segment > self.pos.segment {
            self.scan(Mode::SkipTo(segment))?;
        }
        Ok(())
    }

    fn take_batches(&mut self, all: bool) -> Vec<ReadyBatch> {
        let max = self.opts.max_samples.max(1);
        let mut out = Vec::new();
        for (i, b) in std::mem::take(&mut self.full) {
            out.push(self.ready(i, &b));
        }
        for i in 0..self.batches.len() {
            let n = self.batches[i].len();
            if n == 0 || (!all && n < max) {
                continue;
            }
            // Encoded where it is and emptied in place: the next batch reuses its room.
            let b = std::mem::take(&mut self.batches[i]);
            out.push(self.ready(i, &b));
            self.batches[i] = b.emptied();
        }
        out
    }

    fn ready(&mut self, shard: usize, b: &ShardBatch) -> ReadyBatch {
        // One encoding buffer for every batch: a fresh one of this size would be mapped and
        // faulted in anew each time.
        let mut body = std::mem::take(&mut self.encode_buf);
        body.clear();
        encode(self.opts.protocol, &b.series, &mut body);
        let payload = if self.opts.compress { crate::snappy::encode(&body) } else { body.clone() };
        self.encode_buf = body;
        ReadyBatch { shard: shard as u32, payload, samples: b.samples as u32, exemplars: b.exemplars as u32, histograms: b.histograms as u32, max_t: b.max_t, start: b.start }
    }

    fn read_checkpoint(&mut self) -> Result<u32> {
        let Some((cp, n)) = wal::last_checkpoint(&self.dir)? else { return Ok(0) };
        for s in wal::list_segments(&cp)? {
            let data = wal::read_segment_file(&cp, s)?;
            let mut found = Vec::new();
            wal::read_segment(s, &data, |rec| {
                if let Ok(Record::Series(list)) = record::decode(rec) {
                    found.extend(list);
                }
                Ok(())
            });
            for (r, l) in found {
                self.add_series(r, l);
            }
        }
        Ok(n + 1)
    }

    /// A series record: relabeled anew even when the ref is known (after a restart the head may
    /// give a freed ref to other labels; a repeat of the same labels is rare and cheap).
    fn add_series(&mut self, r: u64, labels: Labels) {
        if !matches!(self.series.get(&r), Some(SeriesState::Pending(_))) {
            self.pending.push(r);
        }
        self.series.insert(r, SeriesState::Pending(labels));
    }

    /// Brings the cache up to date for the current segment; false when the segment is missing.
    fn fill_cache(&mut self) -> Result<bool> {
        let seg = self.pos.segment;
        let page_start = self.pos.offset / PAGE_SIZE as u64 * PAGE_SIZE as u64;
        if self.cache_segment != seg || self.pos.offset < self.cache_base {
            self.cache.clear();
            self.cache_segment = seg;
            self.cache_base = page_start;
        } else if page_start > self.cache_base + (4 << 20) && (page_start - self.cache_base) * 2 > self.cache.len() as u64 {
            // Drop what lies before the current page, so a long segment is not held whole; only
            // once it is most of the cache, so catching up moves each byte at most once more.
            let cut = (page_start - self.cache_base) as usize;
            self.cache.drain(..cut);
            self.cache_base = page_start;
        }
        let path = self.dir.join(wal::segment_name(seg));
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(format!("open WAL segment {}", path.display()), e)),
        };
        let from = self.cache_base + self.cache.len() as u64;
        f.seek(SeekFrom::Start(from)).map_err(|e| Error::io("seek WAL segment", e))?;
        f.read_to_end(&mut self.cache).map_err(|e| Error::io(format!("read WAL segment {}", path.display()), e))?;
        Ok(true)
    }

    /// Reads records from the current position in the given mode until it stops (a batch full,
    /// new series to relabel, the end of the WAL, or the mode's limit).
    fn scan(&mut self, mode: Mode) -> Result<()> {
        loop {
            match mode {
                Mode::SeriesUntil(p) if self.pos >= p => return Ok(()),
                Mode::SkipTo(s) if self.pos.segment >= s => return Ok(()),
                _ => {}
            }
            let seg = self.pos.segment;
            // A later segment means this one is complete: checked before reading it.
            let next_exists = self.dir.join(wal::segment_name(seg + 1)).exists();
            if !self.fill_cache()? {
                let Some(next) = wal::list_segments(&self.dir)?.into_iter().find(|&s| s > seg) else { return Ok(()) };
                if matches!(mode, Mode::Send { .. }) {
                    self.stats.segments_lost += u64::from(next - seg);
                }
                self.pos = Position { segment: next, offset: 0, skip: 0 };
                continue;
            }
            let data = std::mem::take(&mut self.cache);
            let start = (self.pos.offset.saturating_sub(self.cache_base) as usize).min(data.len());
            let base = self.cache_base;
            let corruption = wal::read_segment_from(seg, &data, base, start, |rs, re, rec| self.on_record(seg, rs, re, rec, &mode));
            self.cache = data;
            match corruption {
                Some(c) if c.reason == STOP => return Ok(()),
                Some(_) if next_exists => {
                    // Damage in a finished segment: what follows it there cannot be read.
                    self.stats.corruptions += 1;
                    self.pos = Position { segment: seg + 1, offset: 0, skip: 0 };
                }
                // The writer is in the middle of a record: read it when it is whole.
                Some(_) => return Ok(()),
                None if next_exists => self.pos = Position { segment: seg + 1, offset: 0, skip: 0 },
                None => return Ok(()),
            }
        }
    }

    fn on_record(&mut self, seg: u32, rs: u64, re: u64, rec: &[u8], mode: &Mode) -> std::result::Result<(), String> {
        let skip = if rs == self.pos.offset && seg == self.pos.segment { self.pos.skip as usize } else { 0 };
        let done = Position { segment: seg, offset: re, skip: 0 };
        if let Mode::SeriesUntil(p) = mode {
            if (seg, rs) >= (p.segment, p.offset) {
                self.pos = Position { segment: seg, offset: rs, skip: if rs == p.offset && seg == p.segment { p.skip } else { 0 } };
                return Err(STOP.into());
            }
        }
        // A record a full batch stopped in is read again from where it stopped: decoded once.
        let decoded = match self.record_cache.take() {
            Some((s, o, d)) if s == seg && o == rs => d,
            _ => match record::decode(rec) {
                Ok(d) => d,
                Err(_) => {
                    self.stats.corruptions += 1;
                    self.pos = done;
                    return Ok(());
                }
            },
        };
        let decoded = match decoded {
            Record::Series(list) => {
                self.stats.records_series += 1;
                for (r, l) in list {
                    self.add_series(r, l);
                }
                self.pos = done;
                return Ok(());
            }
            d => d,
        };
        let n = match &decoded {
            Record::Samples(list) => list.len(),
            Record::Exemplars(list) if self.opts.send_exemplars => list.len(),
            Record::Histograms(list) if self.opts.send_histograms => list.len(),
            _ => {
                match decoded {
                    Record::Exemplars(_) => self.stats.records_exemplars += 1,
                    Record::Histograms(_) => self.stats.records_histograms += 1,
                    _ => self.stats.records_other += 1,
                }
                self.pos = done;
                return Ok(());
            }
        };
        if skip == 0 {
            match decoded {
                Record::Samples(_) => self.stats.records_samples += 1,
                Record::Exemplars(_) => self.stats.records_exemplars += 1,
                _ => self.stats.records_histograms += 1,
            }
        }
        let min_t = match mode {
            Mode::Send { min_t } => *min_t,
            Mode::SkipTo(_) => {
                self.stats.skipped_samples += n.saturating_sub(skip) as u64;
                self.pos = done;
                return Ok(());
            }
            Mode::SeriesUntil(_) => {
                self.pos = done;
                return Ok(());
            }
        };
        if !self.pending.is_empty() {
            // New series first: the queue relabels them, then this record is read again.
            self.pos = Position { segment: seg, offset: rs, skip: skip as u32 };
            self.record_cache = Some((seg, rs, decoded));
            return Err(STOP.into());
        }
        let stopped_at = match &decoded {
            Record::Samples(list) => self.take_entries(seg, rs, skip, min_t, list.iter().map(|s| (s.r, Entry::Sample(Sample { st: s.st, t: s.t, v: s.v })))),
            Record::Exemplars(list) => self.take_entries(seg, rs, skip, min_t, list.iter().map(|(r, e)| (*r, Entry::Exemplar(e.clone())))),
            Record::Histograms(list) => self.take_entries(seg, rs, skip, min_t, list.iter().map(|s| (s.r, Entry::Histogram(HistogramSample { st: s.st, t: s.t, h: s.h.clone() })))),
            _ => None,
        };
        match stopped_at {
            Some(i) if i + 1 < n => {
                self.pos = Position { segment: seg, offset: rs, skip: i as u32 + 1 };
                self.record_cache = Some((seg, rs, decoded));
                Err(STOP.into())
            }
            Some(_) => {
                self.pos = done;
                Err(STOP.into())
            }
            None => {
                self.pos = done;
                Ok(())
            }
        }
    }

    /// Adds a record's entries from `skip` on to their shards' batches; the index of the entry
    /// that filled a batch (the read stops after it), or None when the record was taken whole.
    fn take_entries(&mut self, seg: u32, rs: u64, skip: usize, min_t: i64, entries: impl Iterator<Item = (u64, Entry)>) -> Option<usize> {
        for (i, (r, entry)) in entries.enumerate().skip(skip) {
            let kept = match self.series.get(&r) {
                Some(SeriesState::Kept(k)) => Arc::clone(k),
                Some(SeriesState::Dropped) => continue,
                Some(SeriesState::Pending(_)) | None => {
                    match entry {
                        Entry::Histogram(_) => self.stats.histograms_unknown_ref += 1,
                        _ => self.stats.unknown_ref += 1,
                    }
                    continue;
                }
            };
            let t = match &entry {
                Entry::Sample(s) => s.t,
                Entry::Exemplar(e) => e.t,
                Entry::Histogram(h) => h.t,
            };
            if t < min_t {
                match entry {
                    Entry::Histogram(_) => self.stats.histograms_too_old += 1,
                    _ => self.stats.too_old += 1,
                }
                continue;
            }
            let at = Position { segment: seg, offset: rs, skip: i as u32 };
            if self.add(r, kept, entry, at) {
                return Some(i);
            }
        }
        None
    }

    /// Adds to the series' shard batch; true when that batch is now full.
    fn add(&mut self, r: u64, series: Arc<SentSeries>, entry: Entry, at: Position) -> bool {
        let shard = self.shard_of(r);
        let b = &mut self.batches[shard];
        if b.len() == 0 {
            b.start = at;
            b.max_t = i64::MIN;
        } else if at < b.start {
            // Only when a reshard moves held samples: the batch starts at its oldest part.
            b.start = at;
        }
        let idx = match b.index.get(&r) {
            Some(&i) => i,
            None => {
                b.series.push(BatchSeries { series, samples: Vec::new(), exemplars: Vec::new(), histograms: Vec::new() });
                b.index.insert(r, b.series.len() - 1);
                b.series.len() - 1
            }
        };
        match entry {
            Entry::Sample(s) => {
                b.max_t = b.max_t.max(s.t);
                b.series[idx].samples.push(s);
                b.samples += 1;
            }
            Entry::Exemplar(e) => {
                b.series[idx].exemplars.push(e);
                b.exemplars += 1;
            }
            Entry::Histogram(h) => {
                b.max_t = b.max_t.max(h.t);
                b.series[idx].histograms.push(h);
                b.histograms += 1;
            }
        }
        b.len() >= self.opts.max_samples.max(1)
    }
}

enum Entry {
    Sample(Sample),
    Exemplar(Exemplar),
    Histogram(HistogramSample),
}
