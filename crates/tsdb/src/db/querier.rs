//! The querier: selecting series over head and blocks into a `Selection` that holds no lock,
//! label names and values, and the selection's decoding and evaluation into dense matrices
//! (Prometheus's `querier.go`).

use super::Db;
use crate::block::Block;
use crate::chunkenc::{is_stale_nan, ChunkIterator, XorIterator, ENCODING_XOR};
use crate::error::{Error, Result};
use crate::kernels::{eval_extended_series, eval_range_series, eval_range_series_st, instant_series, reads_start_timestamps, smoothed_instant_series, Extension, RangeFn, Steps};
use crate::labels::Labels;
use crate::limits;
use crate::matcher::Matcher;
use std::collections::BTreeSet;
use std::sync::Arc;

mod histograms;
mod label_table;
mod newest;
pub use histograms::{HistogramCsr, InstantHistograms};
pub use label_table::{LabelTable, TableSet};
pub(super) use label_table::SymbolIds;
use newest::Newest;

impl Db {
    /// Series matching the matchers with samples in `[mint, maxt]`, merged over head and blocks.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Selection> {
        let st = self.state.read().map_err(|_| Error::Closed)?;
        if st.closed {
            return Err(Error::Closed);
        }
        // Each source's series, then one sort by labels: a block lists its series sorted already,
        // and the sort merges such runs in linear time (a map keyed by label sets cost more here
        // than the rest of the selection), then the same series from several sources are merged.
        // Labels go into one table, each source's symbols copied once (see label_table.rs).
        let mut table = LabelTable::new();
        let mut all: Vec<(usize, SelSeries)> = Vec::new();
        let mut blocks: Vec<Arc<Block>> = Vec::new();
        let mut ids: Vec<(u32, u32)> = Vec::new();
        for b in st.blocks.iter().filter(|b| b.meta.max_time > mint && b.meta.min_time <= maxt) {
            let stones = st.block_tombstones.get(&b.meta.ulid);
            let block = blocks.len() as u32;
            let mut symbols = SymbolIds::default();
            b.for_each_selected(matchers, mint, maxt, |id, pairs, chunks| {
                ids.clear();
                for &(n, v) in pairs {
                    let n = table.intern(&mut symbols, n, |x| b.symbol(x))?;
                    let v = table.intern(&mut symbols, v, |x| b.symbol(x))?;
                    ids.push((n, v));
                }
                let mut e = SelSeries::default();
                e.chunks.extend(chunks.iter().map(|c| SelChunk { min_t: c.min_t, max_t: c.max_t, src: ChunkSrc::Block(block, c.r) }));
                if let Some(ivs) = stones.and_then(|t| t.get(&id)) {
                    e.deleted.extend_from_slice(ivs);
                }
                all.push((table.push_set_checked(&ids), e));
                Ok(())
            })?;
            blocks.push(b.clone());
        }
        let mut symbols = SymbolIds::default();
        // The head's chunks are copied (the selection holds no lock), all into one buffer.
        let mut head_bytes: Vec<u8> = Vec::new();
        for r in st.head.select(matchers, mint, maxt) {
            let s = st.head.get(r).expect("selected ref");
            let mut e = SelSeries::default();
            e.chunks.extend(s.chunks_in(mint, maxt).map(|(a, b, encoding, data)| {
                let at = head_bytes.len();
                head_bytes.extend_from_slice(data);
                SelChunk { min_t: a, max_t: b, src: ChunkSrc::Owned { encoding, bytes: at..head_bytes.len(), last: None } }
            }));
            // The open chunk comes last: its last sample is known without decoding it.
            if let (Some((t, v)), Some(SelChunk { max_t, src: ChunkSrc::Owned { encoding: ENCODING_XOR, last, .. }, .. })) = (s.open_last_float(), e.chunks.last_mut()) {
                if *max_t == t {
                    *last = Some((t, v));
                }
            }
            if let Some(ivs) = st.head_tombstones.get(&r) {
                e.deleted.extend_from_slice(ivs);
            }
            all.push((table.push_head_set(&mut symbols, &st.head.symbols, &s.labels), e));
        }
        drop(st);
        all.sort_by(|a, b| table.cmp_sets(a.0, b.0));
        let mut order: Vec<usize> = Vec::with_capacity(all.len());
        let mut series: Vec<SelSeries> = Vec::with_capacity(all.len());
        for (set, s) in all {
            match (order.last(), series.last_mut()) {
                (Some(&last), Some(into)) if table.cmp_sets(last, set).is_eq() => {
                    into.chunks.extend(s.chunks);
                    into.deleted.extend(s.deleted);
                }
                _ => {
                    order.push(set);
                    series.push(s);
                }
            }
        }
        for s in &mut series {
            s.chunks.sort_by_key(|c| c.min_t);
        }
        Ok(Selection { labels: table.reordered(order), series, blocks, head_bytes, mint, maxt })
    }

    pub fn label_names(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        if matchers.is_empty() {
            let st = self.state.read().map_err(|_| Error::Closed)?;
            for n in st.head.index.names() {
                out.insert(st.head.symbols.lookup(n).to_string());
            }
            for b in st.blocks.iter().filter(|b| b.meta.max_time > mint && b.meta.min_time <= maxt) {
                out.extend(b.label_names());
            }
        } else {
            let sel = self.select(matchers, mint, maxt)?;
            for i in 0..sel.len() {
                out.extend(sel.labels.set(i).map(|(n, _)| n.to_string()));
            }
        }
        Ok(out.into_iter().collect())
    }

    pub fn label_values(&self, name: &str, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        if matchers.is_empty() {
            let st = self.state.read().map_err(|_| Error::Closed)?;
            if let Some(n) = st.head.symbols.get(name) {
                for &v in st.head.index.values_of(n) {
                    out.insert(st.head.symbols.lookup(v).to_string());
                }
            }
            for b in st.blocks.iter().filter(|b| b.meta.max_time > mint && b.meta.min_time <= maxt) {
                out.extend(b.label_values(name));
            }
        } else {
            let sel = self.select(matchers, mint, maxt)?;
            for i in 0..sel.len() {
                if let Some((_, v)) = sel.labels.set(i).find(|&(n, _)| n == name) {
                    out.insert(v.to_string());
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// Appends the (st, t, v) samples in `[lo, hi]` that are not deleted to the buffers (`st` only
/// when given). Returns false if a timestamp was not after the one before it (sources overlap).
#[allow(clippy::too_many_arguments)]
fn push_samples(samples: impl Iterator<Item = (i64, i64, f64)>, lo: i64, hi: i64, deletions: &Vec<(i64, i64)>, t: &mut Vec<i64>, v: &mut Vec<f64>, mut st: Option<&mut Vec<i64>>) -> bool {
    let mut sorted = true;
    for (sts, ts, val) in samples {
        if ts > hi {
            break;
        }
        if ts < lo || (!deletions.is_empty() && deleted(Some(deletions), ts)) {
            continue;
        }
        if t.last().is_some_and(|&p| p >= ts) {
            sorted = false;
        }
        t.push(ts);
        v.push(val);
        if let Some(st) = st.as_deref_mut() {
            st.push(sts);
        }
    }
    sorted
}

fn deleted(stones: Option<&Vec<(i64, i64)>>, t: i64) -> bool {
    stones.is_some_and(|s| s.iter().any(|&(a, b)| a <= t && t <= b))
}

enum ChunkSrc {
    /// A head chunk's encoding and where its bytes, copied at selection time, are in the
    /// selection's `head_bytes`; for the open chunk of floats its last sample (see
    /// `newest_float_sample`).
    Owned { encoding: u8, bytes: std::ops::Range<usize>, last: Option<(i64, f64)> },
    /// A chunk of the selection's block at this index (see `Selection::blocks`): one shared
    /// handle per block rather than one per chunk.
    Block(u32, u64),
}

struct SelChunk {
    min_t: i64,
    max_t: i64,
    src: ChunkSrc,
}

#[derive(Default)]
struct SelSeries {
    chunks: Vec<SelChunk>,
    deleted: Vec<(i64, i64)>,
}

/// Dense series x steps result: index `[series * steps + step]`.
#[derive(Debug, Default)]
pub struct Matrix {
    pub values: Vec<f64>,
    pub present: Vec<u8>,
    pub timestamps: Vec<i64>,
}

impl Matrix {
    /// A zeroed `series x steps` matrix (with sample timestamps if asked), its cells counted as
    /// samples and its bytes against the query's limits BEFORE anything is allocated. (The addon
    /// hands these vectors to JavaScript without copying them.)
    pub fn alloc(series: usize, steps: usize, with_timestamps: bool) -> Result<Matrix> {
        let cells = limits::cells(series, steps)?;
        let per_cell: u64 = if with_timestamps { 17 } else { 9 };
        limits::reserve(cells as u64, (cells as u64).saturating_mul(per_cell))?;
        Ok(Matrix {
            values: limits::filled(cells, 0.0)?,
            present: limits::filled(cells, 0)?,
            timestamps: if with_timestamps { limits::filled(cells, 0)? } else { Vec::new() },
        })
    }
}

/// Raw samples of every series, series i at `offsets[i]..offsets[i+1]`.
#[derive(Debug, Default)]
pub struct SamplesCsr {
    pub offsets: Vec<u32>,
    pub t: Vec<i64>,
    pub v: Vec<f64>,
}

/// The series of one selection, sorted by labels, with their chunks. Holds no lock: chunk data
/// is copied from the head and referenced (memory-mapped) from blocks.
pub struct Selection {
    labels: LabelTable,
    series: Vec<SelSeries>,
    /// The blocks the chunks are read from (memory-mapped); held so that they stay open.
    blocks: Vec<Arc<Block>>,
    /// The head chunks' bytes, one after another.
    head_bytes: Vec<u8>,
    mint: i64,
    maxt: i64,
}

impl Selection {
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series' label sets, in selection order.
    pub fn label_table(&self) -> &LabelTable {
        &self.labels
    }

    /// The series' label sets as owned `Labels` (the label table is cheaper to read).
    pub fn labels(&self) -> Vec<Labels> {
        (0..self.len()).map(|i| self.labels.labels(i)).collect()
    }

    /// A chunk's encoding and bytes.
    fn chunk_data<'a>(&'a self, c: &'a SelChunk) -> Result<(u8, &'a [u8])> {
        match &c.src {
            ChunkSrc::Owned { encoding, bytes, .. } => Ok((*encoding, &self.head_bytes[bytes.clone()])),
            ChunkSrc::Block(b, r) => self.blocks[*b as usize].chunk(*r),
        }
    }

    /// Samples of series `i` in `[lo, hi]` (within the selection's range) into the buffers,
    /// deletions applied; sorted and de-duplicated if sources overlapped.
    pub fn decode(&self, i: usize, lo: i64, hi: i64, t: &mut Vec<i64>, v: &mut Vec<f64>) -> Result<()> {
        self.decode_with_st(i, lo, hi, t, v, None).map(|_| ())
    }

    /// As `decode`, also filling `st` with the samples' start timestamps (0 = none) when
    /// given. Returns whether any chunk read could carry start timestamps.
    pub fn decode_with_st(&self, i: usize, lo: i64, hi: i64, t: &mut Vec<i64>, v: &mut Vec<f64>, mut st: Option<&mut Vec<i64>>) -> Result<bool> {
        t.clear();
        v.clear();
        if let Some(st) = st.as_deref_mut() {
            st.clear();
        }
        let (lo, hi) = (lo.max(self.mint), hi.min(self.maxt));
        let s = &self.series[i];
        let mut sorted = true;
        let mut any_st = false;
        for c in s.chunks.iter().filter(|c| c.max_t >= lo && c.min_t <= hi) {
            let (enc, data) = self.chunk_data(c)?;
            let err = if enc == ENCODING_XOR {
                let mut it = XorIterator::new(data);
                sorted &= push_samples(it.by_ref().map(|(ts, val)| (0, ts, val)), lo, hi, &s.deleted, t, v, st.as_deref_mut());
                it.error().map(str::to_string)
            } else {
                // Histogram chunks give their stale markers only (they end a float series too).
                let mut it = ChunkIterator::new(enc, data);
                any_st |= it.has_start_timestamps();
                sorted &= push_samples(it.by_ref(), lo, hi, &s.deleted, t, v, st.as_deref_mut());
                it.error()
            };
            if let Some(e) = err {
                return Err(Error::Corrupt(format!("chunk of {}: {e}", self.labels.labels(i))));
            }
        }
        // One series' samples are held while its steps are evaluated; the loops over series
        // stop here when the query's deadline passed.
        limits::check()?;
        limits::transient(t.len() as u64, t.len() as u64 * 24)?;
        if !sorted {
            let mut rows: Vec<(i64, f64, i64)> = (0..t.len()).map(|j| (t[j], v[j], st.as_deref().map_or(0, |s| s[j]))).collect();
            rows.sort_by_key(|p| p.0);
            rows.dedup_by_key(|p| p.0);
            t.clear();
            v.clear();
            if let Some(st) = st.as_deref_mut() {
                st.clear();
            }
            for (a, b, c) in rows {
                t.push(a);
                v.push(b);
                if let Some(st) = st.as_deref_mut() {
                    st.push(c);
                }
            }
        }
        Ok(any_st)
    }

    /// All samples in the selection's range, stale markers left out.
    pub fn samples(&self) -> Result<SamplesCsr> {
        self.samples_keeping_stale_markers(false)
    }

    /// All samples in the selection's range; with `keep_stale`, stale markers too (what remote
    /// read sends, and what a merge with remote series needs to end a series where it went stale).
    pub fn samples_keeping_stale_markers(&self, keep_stale: bool) -> Result<SamplesCsr> {
        let mut out = SamplesCsr { offsets: Vec::with_capacity(self.len() + 1), ..Default::default() };
        out.offsets.push(0);
        let (mut t, mut v) = (Vec::new(), Vec::new());
        for i in 0..self.len() {
            self.decode(i, self.mint, self.maxt, &mut t, &mut v)?;
            // The samples stay in the result: counted for the rest of the query.
            limits::reserve(t.len() as u64, t.len() as u64 * 16)?;
            out.t.try_reserve(t.len()).map_err(|_| Error::Aborted(limits::Abort::TooLarge(format!("{} samples", out.t.len() + t.len()))))?;
            out.v.try_reserve(t.len()).map_err(|_| Error::Aborted(limits::Abort::TooLarge(format!("{} samples", out.v.len() + t.len()))))?;
            for (&a, &b) in t.iter().zip(&v) {
                if keep_stale || !is_stale_nan(b) {
                    out.t.push(a);
                    out.v.push(b);
                }
            }
            out.offsets.push(out.t.len() as u32);
        }
        Ok(out)
    }

    /// Instant-vector sampling at every step.
    pub fn instant(&self, steps: &Steps, lookback: i64) -> Result<Matrix> {
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, true)?;
        let (mut t, mut v) = (Vec::new(), Vec::new());
        let (lo, hi) = ((steps.start - lookback + 1).max(self.mint), steps.end.min(self.maxt));
        for i in 0..self.len() {
            // One step (an instant query): the newest sample, often without decoding a chunk.
            if n == 1 {
                match self.newest_float_sample(i, lo, hi)? {
                    Newest::Nothing => continue,
                    Newest::Sample(at, value) => {
                        if i % 256 == 0 {
                            limits::check()?;
                        }
                        instant_series(&[at], &[value], steps, lookback, &mut m.values[i..i + 1], &mut m.timestamps[i..i + 1], &mut m.present[i..i + 1]);
                        continue;
                    }
                    Newest::Decode => {}
                }
            }
            if !self.has_floats(i, steps.start - lookback + 1, steps.end)? {
                continue; // histograms only: no float at any step (the row stays absent)
            }
            self.decode(i, steps.start - lookback + 1, steps.end, &mut t, &mut v)?;
            let r = i * n..(i + 1) * n;
            instant_series(&t, &v, steps, lookback, &mut m.values[r.clone()], &mut m.timestamps[r.clone()], &mut m.present[r.clone()]);
            self.hide_floats_under_histograms(i, &t, steps, lookback, &mut m.present[r])?;
        }
        Ok(m)
    }

    /// `instant`, plus the start timestamp (0 = none) of the sample each present step took.
    pub fn instant_st(&self, steps: &Steps, lookback: i64) -> Result<(Matrix, Vec<i64>)> {
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, true)?;
        let cells = limits::cells(n, self.len())?;
        limits::reserve(0, cells as u64 * 16)?;
        let mut starts = limits::filled(cells, 0i64)?;
        let (mut t, mut v, mut st) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.len() {
            self.decode_with_st(i, steps.start - lookback + 1, steps.end, &mut t, &mut v, Some(&mut st))?;
            let r = i * n..(i + 1) * n;
            instant_series(&t, &v, steps, lookback, &mut m.values[r.clone()], &mut m.timestamps[r.clone()], &mut m.present[r.clone()]);
            self.hide_floats_under_histograms(i, &t, steps, lookback, &mut m.present[r.clone()])?;
            for j in r {
                if m.present[j] == 1 {
                    // The sample taken is the one at that timestamp (timestamps are unique).
                    let k = t.partition_point(|&x| x < m.timestamps[j]);
                    starts[j] = st.get(k).copied().unwrap_or(0);
                }
            }
        }
        Ok((m, starts))
    }

    /// `absent_over_time`: one row, present (value 1) at the steps where no selected series
    /// has a sample in the window.
    pub fn eval_absent(&self, steps: &Steps, range: i64) -> Result<Matrix> {
        let n = steps.len();
        let any = self.eval_range(&RangeFn::PresentOverTime, steps, range)?;
        let mut m = Matrix::alloc(1, n, false)?;
        m.values.fill(1.0);
        m.present.fill(1);
        for i in 0..self.len() {
            for (j, &p) in any.present[i * n..(i + 1) * n].iter().enumerate() {
                if p == 1 {
                    m.present[j] = 0;
                    m.values[j] = 0.0;
                }
            }
        }
        Ok(m)
    }

    /// A range function over `anchored` or `smoothed` windows at every step.
    pub fn eval_range_extended(&self, f: &RangeFn, ext: Extension, steps: &Steps, range: i64, lookback: i64) -> Result<Matrix> {
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, false)?;
        let after = if ext == Extension::Smoothed { lookback } else { 0 };
        let (mut t, mut v) = (Vec::new(), Vec::new());
        for i in 0..self.len() {
            self.decode(i, steps.start - range - lookback + 1, steps.end + after, &mut t, &mut v)?;
            let r = i * n..(i + 1) * n;
            eval_extended_series(f, ext, &t, &v, steps, range, lookback, &mut m.values[r.clone()], &mut m.present[r]);
        }
        Ok(m)
    }

    /// Instant sampling of a `smoothed` selector: values interpolated at each step.
    pub fn instant_smoothed(&self, steps: &Steps, lookback: i64) -> Result<Matrix> {
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, false)?;
        let (mut t, mut v) = (Vec::new(), Vec::new());
        for i in 0..self.len() {
            self.decode(i, steps.start - lookback, steps.end + lookback, &mut t, &mut v)?;
            let r = i * n..(i + 1) * n;
            smoothed_instant_series(&t, &v, steps, lookback, &mut m.values[r.clone()], &mut m.present[r]);
        }
        Ok(m)
    }

    /// A range-vector function at every step.
    pub fn eval_range(&self, f: &RangeFn, steps: &Steps, range: i64) -> Result<Matrix> {
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, false)?;
        let (mut t, mut v) = (Vec::new(), Vec::new());
        for i in 0..self.len() {
            self.decode(i, steps.start - range + 1, steps.end, &mut t, &mut v)?;
            let r = i * n..(i + 1) * n;
            eval_range_series(f, &t, &v, steps, range, &mut m.values[r.clone()], &mut m.present[r]);
        }
        Ok(m)
    }

    /// `eval_range` reading start timestamps (for `rate`, `increase`, `irate`, `resets`; other
    /// functions ignore them). Also returns the series whose windows held samples with
    /// overlapping start timestamps (a warning in Prometheus).
    pub fn eval_range_st(&self, f: &RangeFn, steps: &Steps, range: i64) -> Result<(Matrix, Vec<u32>)> {
        if !reads_start_timestamps(f) {
            return Ok((self.eval_range(f, steps, range)?, Vec::new()));
        }
        let n = steps.len();
        let mut m = Matrix::alloc(self.len(), n, false)?;
        let mut overlaps = Vec::new();
        let (mut t, mut v, mut st) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.len() {
            let any_st = self.decode_with_st(i, steps.start - range + 1, steps.end, &mut t, &mut v, Some(&mut st))?;
            let r = i * n..(i + 1) * n;
            if !any_st {
                eval_range_series(f, &t, &v, steps, range, &mut m.values[r.clone()], &mut m.present[r]);
            } else if eval_range_series_st(f, &t, &v, &st, steps, range, &mut m.values[r.clone()], &mut m.present[r]) {
                overlaps.push(i as u32);
            }
        }
        Ok((m, overlaps))
    }
}
