//! Compaction and retention: the head cut into blocks (its steps are in `head_cut`), blocks
//! merged level by level, deletions applied by rewriting, and blocks dropped by time or size
//! retention (Prometheus's `compact.go` and the compaction and retention parts of `db.go`).

use super::{Db, Tombstones};
use crate::block::{write_block, Block, BlockMeta, ChunkOut};
use crate::chunkenc::{is_histogram_encoding, placement, ChunkAppender, ChunkIterator, HistogramAppender, HistogramIterator, MIN_SAMPLES_BEFORE_SIZE_CUT, TARGET_CHUNK_BYTES};
use crate::histogram::Histogram;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::wal;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::sync::Arc;

impl Db {
    /// Reads blocks' series, applies deletions, merges them and writes one new block.
    pub(super) fn rewrite_blocks(&self, blocks: &[Arc<Block>], stones: &HashMap<String, Tombstones>, level: u32) -> Result<Option<BlockMeta>> {
        let mint = blocks.iter().map(|b| b.meta.min_time).min().unwrap_or(0);
        let maxt = blocks.iter().map(|b| b.meta.max_time).max().unwrap_or(0);
        let xor2 = self.state.read().map_err(|_| Error::Closed)?.head.xor2_chunks;
        let mut merged: BTreeMap<Labels, MergedSeries> = BTreeMap::new();
        for b in blocks {
            let bs = stones.get(&b.meta.ulid);
            for s in b.all_series()? {
                let e = merged.entry(s.labels).or_default();
                for c in &s.chunks {
                    let (encoding, data) = b.chunk(c.r)?;
                    e.0.push(ChunkOut { min_t: c.min_t, max_t: c.max_t, encoding, data: data.to_vec() });
                }
                if let Some(ivs) = bs.and_then(|t| t.get(&s.id)) {
                    e.1.extend_from_slice(ivs);
                }
            }
        }
        let series: Vec<(Labels, Vec<ChunkOut>)> = merged
            .into_iter()
            .map(|(l, (chunks, st))| (l, merge_chunks(chunks, &st, mint, maxt - 1, self.opts.samples_per_chunk, self.opts.block_range_ms, xor2)))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        if series.is_empty() {
            return Ok(None);
        }
        let mut sources: Vec<String> = blocks.iter().flat_map(|b| b.meta.sources.iter().cloned()).collect();
        sources.sort();
        sources.dedup();
        write_block(&self.dir, mint, maxt, level, sources, &series, None).map(Some)
    }

    /// Replaces `old` blocks by `new` (if any) in the state, then deletes the old directories.
    pub(super) fn swap_blocks(&self, old: &[Arc<Block>], new: Option<BlockMeta>) -> Result<()> {
        let opened = match new {
            Some(m) => Some(Arc::new(Block::open(&self.dir.join(&m.ulid))?)),
            None => None,
        };
        {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            st.blocks.retain(|b| !old.iter().any(|o| o.meta.ulid == b.meta.ulid));
            for o in old {
                st.block_tombstones.remove(&o.meta.ulid);
            }
            if let Some(b) = opened {
                st.blocks.push(b);
            }
            st.blocks.sort_by_key(|b| b.meta.min_time);
        }
        for o in old {
            let gone = o.dir.with_extension("tmp-for-deletion");
            if fs::rename(&o.dir, &gone).is_ok() {
                let _ = fs::remove_dir_all(&gone);
            }
        }
        Ok(())
    }

    /// Head to blocks, block merging, retention. Safe to call from a background thread.
    pub fn compact(&self) -> Result<()> {
        let _c = self.compacting.lock().map_err(|_| Error::Closed)?;
        let r = self.compact_locked();
        let mut c = self.counters.lock().unwrap();
        match &r {
            Ok(()) => c.compactions += 1,
            Err(_) => c.compactions_failed += 1,
        }
        r
    }

    fn compact_locked(&self) -> Result<()> {
        if self.opts.agent {
            // The agent writes no blocks: its WAL is truncated by `truncate_agent_wal`.
            return Ok(());
        }
        while let Some((start, end)) = self.head_compactable()? {
            self.compact_head_range(start, end)?;
        }
        self.compact_blocks()?;
        self.apply_retention()
    }

    /// Leveled merging: blocks that fall in one window of 3x, 9x, ... the block range are
    /// merged once the window is complete.
    fn compact_blocks(&self) -> Result<()> {
        let (retention_ms, _) = self.retention();
        let max_range = if retention_ms > 0 { (retention_ms / 10).min(31 * 24 * 3600 * 1000) } else { 31 * 24 * 3600 * 1000 };
        let mut range = self.opts.block_range_ms * 3;
        while range <= max_range {
            loop {
                let group = {
                    let st = self.state.read().map_err(|_| Error::Closed)?;
                    let newest = st.blocks.iter().map(|b| b.meta.max_time).max().unwrap_or(i64::MIN);
                    let mut windows: BTreeMap<i64, Vec<Arc<Block>>> = BTreeMap::new();
                    for b in &st.blocks {
                        let w = b.meta.min_time.div_euclid(range);
                        if b.meta.max_time <= (w + 1) * range {
                            windows.entry(w).or_default().push(b.clone());
                        }
                    }
                    windows.into_iter().find(|(w, bs)| bs.len() > 1 && (w + 1) * range <= newest).map(|(_, bs)| bs)
                };
                let Some(group) = group else { break };
                let stones = self.state.read().map_err(|_| Error::Closed)?.block_tombstones.clone();
                let level = group.iter().map(|b| b.meta.level).max().unwrap_or(1) + 1;
                let meta = self.rewrite_blocks(&group, &stones, level)?;
                self.swap_blocks(&group, meta)?;
            }
            range *= 3;
        }
        Ok(())
    }

    fn apply_retention(&self) -> Result<()> {
        let doomed: Vec<Arc<Block>> = {
            let st = self.state.read().map_err(|_| Error::Closed)?;
            let mut doomed = Vec::new();
            let newest = st.blocks.iter().map(|b| b.meta.max_time).max().unwrap_or(i64::MIN);
            let (retention_ms, retention_bytes) = self.retention();
            if retention_ms > 0 {
                doomed.extend(st.blocks.iter().filter(|b| newest - b.meta.max_time > retention_ms).cloned());
            }
            if retention_bytes > 0 {
                let mut total: u64 = st.blocks.iter().map(|b| b.size_bytes).sum::<u64>() + wal::dir_size(&self.dir.join("wal"));
                for b in &st.blocks {
                    // Oldest first (blocks are sorted by time).
                    if total <= retention_bytes {
                        break;
                    }
                    total -= b.size_bytes;
                    if !doomed.iter().any(|d| d.meta.ulid == b.meta.ulid) {
                        doomed.push(b.clone());
                    }
                }
            }
            doomed
        };
        if !doomed.is_empty() {
            self.counters.lock().unwrap().blocks_deleted_by_retention += doomed.len() as u64;
            self.swap_blocks(&doomed, None)?;
        }
        Ok(())
    }
}

/// Chunks of one series gathered from several blocks, with its deleted intervals.
type MergedSeries = (Vec<ChunkOut>, Vec<(i64, i64)>);

/// A decoded sample of either kind with its start timestamp: a float or a histogram.
enum Value {
    Float(i64, f64),
    Histogram(i64, Box<Histogram>),
}

/// Re-encodes samples into chunks of at most `per_chunk` samples that do not cross `range`
/// boundaries: floats as XOR (XOR2 for chunks that hold a start timestamp), histograms as
/// encoding 2 or 3 with the head's rules (a histogram's hint becomes a new chunk's header).
fn encode_chunks(samples: &[(i64, Value)], per_chunk: usize, range: i64, xor2: bool) -> Vec<ChunkOut> {
    let mut out = Vec::new();
    let mut app: Option<ChunkAppender> = None;
    let mut until = i64::MIN;
    let done = |app: &ChunkAppender| ChunkOut { min_t: app.min_time(), max_t: app.max_time(), encoding: app.encoding(), data: app.bytes().to_vec() };
    for (t, v) in samples {
        let t = *t;
        match v {
            Value::Float(st, f) => {
                let cut = match &app {
                    None | Some(ChunkAppender::Histogram(_)) => true,
                    Some(a) => a.num_samples() >= per_chunk || t >= until,
                };
                if cut {
                    if let Some(a) = app.take().filter(|a| a.num_samples() > 0) {
                        out.push(done(&a));
                    }
                    app = Some(ChunkAppender::new(xor2));
                    until = t.div_euclid(range) * range + range;
                }
                app.as_mut().expect("open chunk").append(*st, t, *f);
            }
            Value::Histogram(st, h) => {
                let full = |a: &HistogramAppender| a.num_samples() >= per_chunk || t >= until || (a.bytes().len() >= TARGET_CHUNK_BYTES && a.num_samples() >= MIN_SAMPLES_BEFORE_SIZE_CUT);
                let (cut, how) = placement(app.as_ref().and_then(ChunkAppender::as_histogram), h, full);
                if let Some(header) = cut {
                    if let Some(a) = app.take().filter(|a| a.num_samples() > 0) {
                        out.push(done(&a));
                    }
                    app = Some(ChunkAppender::Histogram(Box::new(if *st != 0 { HistogramAppender::new_st(h.integer, header) } else { HistogramAppender::new(h.integer, header) })));
                    until = t.div_euclid(range) * range + range;
                }
                match app.as_mut() {
                    Some(ChunkAppender::Histogram(a)) => a.append(*st, t, h, &how),
                    _ => unreachable!("a histogram chunk is open"),
                }
            }
        }
    }
    if let Some(a) = app.filter(|a| a.num_samples() > 0) {
        out.push(done(&a));
    }
    out
}

/// Merges chunk lists of one series: kept as they are unless they overlap or have deletions,
/// in which case the samples are decoded, merged (first source wins on equal timestamps),
/// filtered and re-encoded.
pub(super) fn merge_chunks(mut chunks: Vec<ChunkOut>, stones: &[(i64, i64)], mint: i64, maxt: i64, per_chunk: usize, range: i64, xor2: bool) -> Vec<ChunkOut> {
    chunks.sort_by_key(|c| c.min_t);
    let overlap = chunks.windows(2).any(|w| w[1].min_t <= w[0].max_t);
    let outside = chunks.iter().any(|c| c.min_t < mint || c.max_t > maxt);
    let hit = chunks.iter().any(|c| stones.iter().any(|&(a, b)| a <= c.max_t && c.min_t <= b));
    if !overlap && !hit && !outside {
        return chunks;
    }
    let mut samples: Vec<(i64, Value)> = Vec::new();
    for c in &chunks {
        if is_histogram_encoding(c.encoding) {
            let mut it = HistogramIterator::new(c.encoding, &c.data);
            while let Some((t, h)) = it.next() {
                samples.push((t, Value::Histogram(it.st(), Box::new(h))));
            }
        } else {
            samples.extend(ChunkIterator::new(c.encoding, &c.data).map(|(st, t, v)| (t, Value::Float(st, v))));
        }
    }
    samples.sort_by_key(|s| s.0);
    samples.dedup_by_key(|s| s.0);
    samples.retain(|&(t, _)| t >= mint && t <= maxt && !stones.iter().any(|&(a, b)| a <= t && t <= b));
    encode_chunks(&samples, per_chunk, range, xor2)
}
