//! Cutting the head into a block: the range's chunks copied, written as a block, the head
//! truncated and the WAL checkpointed (Prometheus's `compactHead` and `truncateMemory`).
//!
//! Queries and appends wait for every hold of the state lock, so with a million series nothing
//! here holds it for the whole head: chunks are copied a batch of series per read-lock hold,
//! the head is truncated a batch of series per write-lock hold, and what is dropped is freed
//! after the lock is released. `HeadCutProfile` says how long the longest hold was.

use super::querier::SymbolIds;
use super::{merge_chunks, Db, LabelTable};
use crate::block::{now_ms, write_block, Block, ChunkOut};
use crate::error::{Error, Result};
use crate::head::Released;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Series whose head chunks one read-lock hold copies (a few ms with 1M series).
const COPY_BATCH: usize = 1024;
/// Series whose old chunks one write-lock hold drops.
const TRUNCATE_BATCH: usize = 2048;
/// Emptied series one write-lock hold removes from the head and its index: each hold also
/// rewrites the postings lists the batch's series are in, some as long as the head (`job`).
const REMOVE_BATCH: usize = 2048;
/// Pause between two truncation steps, for the queries they kept waiting (~500 steps with 1M
/// series, so this adds half a second to a cut that runs in the background).
const STEP_PAUSE: Duration = Duration::from_millis(1);

/// Where the time of one head cut went, in milliseconds. The lock holds are what queries and
/// appends wait for; everything else runs beside them.
#[derive(Clone, Debug, Default)]
pub struct HeadCutProfile {
    pub total_ms: f64,
    /// Longest single hold of the state lock, read or write, by the cut.
    pub max_lock_hold_ms: f64,
    pub copy_ms: f64,
    /// Longest read-lock hold while copying the range's chunks.
    pub copy_max_read_hold_ms: f64,
    pub write_block_ms: f64,
    pub open_block_ms: f64,
    pub truncate_ms: f64,
    /// Longest write-lock hold while truncating the head.
    pub truncate_max_write_hold_ms: f64,
    /// Freeing the truncated chunks and series, after the lock is released.
    pub release_ms: f64,
    pub checkpoint_ms: f64,
    pub series_removed: u64,
}

impl HeadCutProfile {
    /// Records a lock hold that began at `since`; returns its length.
    fn held(&mut self, since: Instant) -> f64 {
        let ms = ms_since(since);
        self.max_lock_hold_ms = self.max_lock_hold_ms.max(ms);
        ms
    }

    fn truncate_held(&mut self, since: Instant) {
        let ms = self.held(since);
        self.truncate_max_write_hold_ms = self.truncate_max_write_hold_ms.max(ms);
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// One batch of series copied under the read lock: all chunk bytes in one buffer, so the hold
/// costs a few allocations rather than one per chunk, and the labels as rows of the cut's label
/// table, so that a series costs no owned string (two per label were 10M allocations and as
/// many frees for a million series).
#[derive(Default)]
struct CopiedBatch {
    bytes: Vec<u8>,
    /// (min time, max time, encoding, bytes' range) of every chunk.
    chunks: Vec<(i64, i64, u8, Range<usize>)>,
    series: Vec<CopiedSeries>,
}

/// A copied series' row in the label table, its range of `CopiedBatch::chunks`, and its
/// deleted intervals.
type CopiedSeries = (usize, Range<usize>, Vec<(i64, i64)>);

impl Db {
    /// The time profile of the last head cut, if the head was cut since the database opened.
    pub fn last_head_cut(&self) -> Option<HeadCutProfile> {
        self.last_head_cut.lock().unwrap().clone()
    }

    /// Whether the head spans enough time to cut a block (1.5 block ranges, as Prometheus).
    /// The head's end counts only up to now plus `max_ahead_ms`: a sample from the far future
    /// (replayed from an older WAL, or appended with no limit) would otherwise have the head cut
    /// up to it, and the minimum valid time that follows the cut would refuse every present-day
    /// sample. It stays in the head until its time comes.
    pub(super) fn head_compactable(&self) -> Result<Option<(i64, i64)>> {
        let st = self.state.read().map_err(|_| Error::Closed)?;
        let Some((min, max)) = st.head.time_range() else { return Ok(None) };
        let max = max.min((now_ms() as i64).saturating_add(self.opts.max_ahead_ms.max(0)));
        let br = self.opts.block_range_ms;
        if max - min <= br / 2 * 3 {
            return Ok(None);
        }
        let start = min.div_euclid(br) * br;
        Ok(Some((start, start + br)))
    }

    /// Persists the head's `[start, end)` as a block and truncates the head and the WAL.
    pub(super) fn compact_head_range(&self, start: i64, end: i64) -> Result<()> {
        let began = Instant::now();
        let mut prof = HeadCutProfile::default();
        let (refs, xor2) = {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            let held = Instant::now();
            // From now on the head refuses samples for this range: they would be lost.
            st.head.min_valid_time = st.head.min_valid_time.max(end);
            let out = (st.head.refs().collect::<Vec<u32>>(), st.head.xor2_chunks);
            drop(st);
            prof.held(held);
            out
        };
        // Nothing can change the range while it is copied batch by batch: the head refuses
        // samples before `end`, and only this (serialized) compaction truncates.
        let t = Instant::now();
        let mut table = LabelTable::new();
        let mut series: Vec<(usize, Vec<ChunkOut>)> = Vec::new();
        for batch in refs.chunks(COPY_BATCH) {
            let copied = self.copy_head_range(batch, start, end, &mut table, &mut prof)?;
            for (row, range, stones) in copied.series {
                let chunks = copied.chunks[range].iter().map(|(a, b, encoding, bytes)| ChunkOut { min_t: *a, max_t: *b, encoding: *encoding, data: copied.bytes[bytes.clone()].to_vec() }).collect();
                let chunks = merge_chunks(chunks, &stones, start, end - 1, self.opts.samples_per_chunk, self.opts.block_range_ms, xor2);
                if !chunks.is_empty() {
                    series.push((row, chunks));
                }
            }
        }
        series.sort_by(|a, b| table.cmp_sets(a.0, b.0));
        let series: Vec<_> = series.into_iter().map(|(row, chunks)| (table.set_ref(row), chunks)).collect();
        prof.copy_ms = ms_since(t);
        let t = Instant::now();
        let meta = if series.is_empty() { None } else { Some(write_block(&self.dir, start, end, 1, vec![], &series, None)?) };
        drop(series);
        drop(table);
        prof.write_block_ms = ms_since(t);
        let t = Instant::now();
        let opened = match &meta {
            Some(m) => Some(Arc::new(Block::open(&self.dir.join(&m.ulid))?)),
            None => None,
        };
        prof.open_block_ms = ms_since(t);
        let t = Instant::now();
        let removed = self.truncate_head(end, opened, &mut prof)?;
        prof.truncate_ms = ms_since(t);
        prof.series_removed = removed;
        {
            let mut c = self.counters.lock().unwrap();
            c.head_truncations += 1;
            c.series_removed += removed;
        }
        let t = Instant::now();
        let r = self.checkpoint(&|_, _| false, end).map(|_| ());
        prof.checkpoint_ms = ms_since(t);
        prof.total_ms = ms_since(began);
        *self.last_head_cut.lock().unwrap() = Some(prof);
        r
    }

    /// Copies the chunks in `[start, end)` of a batch of series, with their deletions, under
    /// one read-lock hold, and adds their labels to `table`.
    fn copy_head_range(&self, refs: &[u32], start: i64, end: i64, table: &mut LabelTable, prof: &mut HeadCutProfile) -> Result<CopiedBatch> {
        let mut out = CopiedBatch::default();
        let st = self.state.read().map_err(|_| Error::Closed)?;
        let held = Instant::now();
        // The head's symbol numbers are only good while the lock is held, so each hold maps them anew.
        let mut symbols = SymbolIds::default();
        for &r in refs {
            let Some(s) = st.head.get(r) else { continue };
            let first = out.chunks.len();
            for (a, b, encoding, data) in s.chunks_in(start, end - 1) {
                let at = out.bytes.len();
                out.bytes.extend_from_slice(data);
                out.chunks.push((a, b, encoding, at..out.bytes.len()));
            }
            if out.chunks.len() > first {
                let row = table.push_head_set(&mut symbols, &st.head.symbols, &s.labels);
                out.series.push((row, first..out.chunks.len(), st.head_tombstones.get(&r).cloned().unwrap_or_default()));
            }
        }
        drop(st);
        let ms = prof.held(held);
        prof.copy_max_read_hold_ms = prof.copy_max_read_hold_ms.max(ms);
        Ok(out)
    }

    /// Adds the block cut from the head (if any) and drops the head's data before `end`, a
    /// batch of series per write-lock hold, freeing what was dropped outside the lock. Returns
    /// how many series were removed.
    fn truncate_head(&self, end: i64, block: Option<Arc<Block>>, prof: &mut HeadCutProfile) -> Result<u64> {
        let mut released = Released::default();
        let mut tr = {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            let held = Instant::now();
            // The block goes in first: until a series is truncated, queries find its chunks in
            // both and merge them; the other way round they would find neither.
            if let Some(b) = block {
                st.blocks.push(b);
                st.blocks.sort_by_key(|b| b.meta.min_time);
            }
            let tr = st.head.begin_truncate(end);
            drop(st);
            prof.truncate_held(held);
            tr
        };
        let release = |released: &mut Released, prof: &mut HeadCutProfile| -> Result<()> {
            let t = Instant::now();
            drop(std::mem::take(released));
            prof.release_ms += ms_since(t);
            // With appends queued too, the steps and the appends took turns while queries waited
            // across many steps (0.6 s with 1M series). The pause gives the readers let in the
            // time to take the lock before this thread writes again.
            self.let_waiting_readers_in()?;
            std::thread::sleep(STEP_PAUSE);
            Ok(())
        };
        while !tr.chunks_done() {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            let held = Instant::now();
            st.head.truncate_chunks_step(&mut tr, TRUNCATE_BATCH, &mut released);
            drop(st);
            prof.truncate_held(held);
            release(&mut released, prof)?;
        }
        let mut removed = 0u64;
        while !tr.removal_done() {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            let held = Instant::now();
            let dead = st.head.remove_emptied_step(&mut tr, REMOVE_BATCH, &mut released);
            for r in &dead {
                st.head_tombstones.remove(r);
            }
            st.exemplars.remove_series(&dead);
            drop(st);
            prof.truncate_held(held);
            removed += dead.len() as u64;
            release(&mut released, prof)?;
        }
        let mut st = self.state.write().map_err(|_| Error::Closed)?;
        st.head.finish_truncate(tr);
        Ok(removed)
    }
}
