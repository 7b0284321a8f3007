//! The head block: recent samples in memory, XOR-compressed as they arrive.
//!
//! Each series keeps its closed chunks and one open chunk. A chunk is cut at `samples_per_chunk`
//! samples or when a sample crosses the block-range boundary after the chunk's first sample, so
//! no chunk straddles two blocks and compaction can move whole chunks. Label strings are interned
//! once in `Symbols`; a series stores only symbol ids.

use crate::chunkenc::{is_stale_nan, ChunkAppender};
use crate::histogram::Histogram;
use crate::index::{PostingsIndex, Symbols};
use crate::labels::{Label, Labels};
use crate::matcher::Matcher;

mod histograms;
mod refs_by_hash;
mod truncate;

use refs_by_hash::RefsByHash;
pub use truncate::{Released, Truncation};

/// A closed chunk of one series.
#[derive(Clone, Debug)]
pub struct MemChunk {
    pub min_t: i64,
    pub max_t: i64,
    /// The encoding byte, then the chunk bytes (as in a chunk file, so no field is added).
    data: Box<[u8]>,
}

impl MemChunk {
    pub fn new(min_t: i64, max_t: i64, encoding: u8, bytes: &[u8]) -> MemChunk {
        let mut data = Vec::with_capacity(bytes.len() + 1);
        data.push(encoding);
        data.extend_from_slice(bytes);
        MemChunk { min_t, max_t, data: data.into() }
    }

    pub fn encoding(&self) -> u8 {
        self.data[0]
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data[1..]
    }
}

#[derive(Debug)]
pub struct MemSeries {
    /// (name, value) symbol ids, sorted by the name strings.
    pub labels: Box<[(u32, u32)]>,
    pub chunks: Vec<MemChunk>,
    pub open: Option<ChunkAppender>,
    /// End of the block range the open chunk belongs to (exclusive).
    open_until: i64,
    pub last_t: i64,
    pub last_v_bits: u64,
    /// The last sample when it was a histogram (for duplicates and to turn a float stale
    /// marker into a histogram one, as Prometheus does).
    pub last_h: Option<Box<Histogram>>,
}

impl MemSeries {
    pub fn min_time(&self) -> Option<i64> {
        self.chunks.first().map(|c| c.min_t).or_else(|| self.open.as_ref().filter(|a| a.num_samples() > 0).map(|a| a.min_time()))
    }

    pub fn max_time(&self) -> Option<i64> {
        if self.open.as_ref().is_some_and(|a| a.num_samples() > 0) || !self.chunks.is_empty() {
            Some(self.last_t)
        } else {
            None
        }
    }

    pub fn num_chunks(&self) -> usize {
        self.chunks.len() + usize::from(self.open.as_ref().is_some_and(|a| a.num_samples() > 0))
    }

    /// Moves the open chunk (if it has samples) to the closed ones, or drops it when closed
    /// chunks are not kept (agent mode: nothing reads them, so memory stays one chunk a series).
    fn close_open(&mut self, keep: bool) {
        if let Some(a) = self.open.take() {
            if keep && a.num_samples() > 0 {
                self.chunks.push(MemChunk::new(a.min_time(), a.max_time(), a.encoding(), a.bytes()));
            }
        }
    }

    /// Chunks overlapping `[mint, maxt]`, the open one included, as (min, max, encoding, bytes).
    /// The last sample when it is a float in an open XOR chunk (the chunk `chunks_in` gives
    /// last): what an instant query needs of that chunk, without decoding it.
    pub fn open_last_float(&self) -> Option<(i64, f64)> {
        let open = self.open.as_ref()?;
        let float_last = open.num_samples() > 0 && open.encoding() == crate::chunkenc::ENCODING_XOR && open.max_time() == self.last_t && self.last_h.is_none();
        float_last.then(|| (self.last_t, f64::from_bits(self.last_v_bits)))
    }

    pub fn chunks_in(&self, mint: i64, maxt: i64) -> impl Iterator<Item = (i64, i64, u8, &[u8])> {
        let closed = self.chunks.iter().filter(move |c| c.max_t >= mint && c.min_t <= maxt).map(|c| (c.min_t, c.max_t, c.encoding(), c.bytes()));
        let open = self.open.as_ref().filter(move |a| a.num_samples() > 0 && a.max_time() >= mint && a.min_time() <= maxt).map(|a| (a.min_time(), a.max_time(), a.encoding(), a.bytes()));
        closed.chain(open)
    }
}

/// Why a sample was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    OutOfOrder,
    /// Same timestamp as the last sample, different value.
    Duplicate,
    /// Older than what the head still accepts (already persisted in a block); Prometheus's
    /// head calls this "out of bounds".
    TooOld,
    /// Too far in the future (beyond the database's `max_ahead_ms` from now): Prometheus's
    /// scrape refuses these as "out of bounds" too, so that one bad clock cannot move the head
    /// ahead of every other target.
    OutOfBounds,
    UnknownRef,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppendStats {
    pub appended: u64,
    pub out_of_order: u64,
    pub duplicate: u64,
    pub too_old: u64,
    pub out_of_bounds: u64,
    pub unknown_ref: u64,
    /// The batch index and reason of the first refused sample, so that a caller (the
    /// remote-write receiver) can name the offender instead of only counting.
    pub first_refused: Option<(usize, Refusal)>,
}

impl AppendStats {
    /// Counts the refusal of the batch's sample `i`, remembering the first one.
    pub fn refuse(&mut self, i: usize, r: Refusal) {
        self.first_refused.get_or_insert((i, r));
        self.count(r);
    }

    pub fn count(&mut self, r: Refusal) {
        match r {
            Refusal::OutOfOrder => self.out_of_order += 1,
            Refusal::Duplicate => self.duplicate += 1,
            Refusal::TooOld => self.too_old += 1,
            Refusal::OutOfBounds => self.out_of_bounds += 1,
            Refusal::UnknownRef => self.unknown_ref += 1,
        }
    }
}

/// The predicted end of a chunk that started at `start` and reached `cur` at `1/ratio` of its
/// target size, so that the time left until `max` is split into equally full chunks.
fn chunk_end_time(start: i64, cur: i64, max: i64, ratio: f64) -> i64 {
    let n = (max - start) as f64 / ((cur - start + 1) as f64 * ratio);
    if n <= 1.0 {
        return max;
    }
    (start as f64 + (max - start) as f64 / n.floor()) as i64
}

/// A fast, non-cryptographic hash of a label set (FNV-1a over names and values with separators).
pub fn labels_hash<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |b: &[u8]| {
        for &x in b {
            h ^= x as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for (n, v) in pairs {
        feed(n.as_bytes());
        feed(v.as_bytes());
    }
    h
}

#[derive(Debug)]
pub struct Head {
    pub symbols: Symbols,
    pub index: PostingsIndex,
    series: Vec<Option<Box<MemSeries>>>,
    by_hash: RefsByHash,
    num_series: usize,
    samples_per_chunk: usize,
    block_range: i64,
    /// Samples before this time are refused (they belong to persisted blocks).
    pub min_valid_time: i64,
    min_t: i64,
    max_t: i64,
    /// The earliest sample appended since a truncation began (it may land in a series the
    /// truncation has already passed).
    appended_min_t: i64,
    pub samples_appended: u64,
    pub chunks_created: u64,
    /// New chunks are XOR2 (`storage.tsdb.chunk_encoding.floats: xor2`) rather than XOR.
    pub xor2_chunks: bool,
    /// Whether cut chunks are kept; the agent's head keeps only each series' open chunk, since
    /// nothing queries it (its samples live in the WAL for remote write).
    pub keep_closed_chunks: bool,
}

impl Head {
    pub fn new(samples_per_chunk: usize, block_range: i64) -> Head {
        Head {
            symbols: Symbols::default(),
            index: PostingsIndex::default(),
            // Ref 0 is never used: Prometheus treats it as "no ref", and our WAL is theirs.
            series: vec![None],
            by_hash: RefsByHash::default(),
            num_series: 0,
            samples_per_chunk: samples_per_chunk.clamp(1, u16::MAX as usize),
            block_range: block_range.max(1),
            min_valid_time: i64::MIN,
            min_t: i64::MAX,
            max_t: i64::MIN,
            appended_min_t: i64::MAX,
            samples_appended: 0,
            chunks_created: 0,
            xor2_chunks: false,
            keep_closed_chunks: true,
        }
    }

    pub fn num_series(&self) -> usize {
        self.num_series
    }

    /// The time range of the samples in the head, if any.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        (self.min_t <= self.max_t).then_some((self.min_t, self.max_t))
    }

    pub fn next_ref(&self) -> u32 {
        self.series.len() as u32
    }

    pub fn get(&self, r: u32) -> Option<&MemSeries> {
        self.series.get(r as usize).and_then(|s| s.as_deref())
    }

    pub fn labels_of(&self, r: u32) -> Option<Labels> {
        self.get(r).map(|s| self.labels_from_ids(&s.labels))
    }

    pub fn labels_from_ids(&self, ids: &[(u32, u32)]) -> Labels {
        Labels::from_sorted(ids.iter().map(|&(n, v)| Label { name: self.symbols.lookup(n).to_string(), value: self.symbols.lookup(v).to_string() }).collect())
    }

    /// The ref of the series with these labels, if it is in the head.
    pub fn find(&self, labels: &Labels) -> Option<u32> {
        let pairs = || labels.iter().map(|l| (l.name.as_str(), l.value.as_str()));
        self.find_hashed(labels_hash(pairs()), pairs)
    }

    /// The series with these label pairs, given their hash. `pairs` yields the set afresh on
    /// each call, sorted by name, unique and without empty values.
    fn find_hashed<'a, I: ExactSizeIterator<Item = (&'a str, &'a str)>>(&self, h: u64, pairs: impl Fn() -> I) -> Option<u32> {
        let same = |ids: &[(u32, u32)]| ids.len() == pairs().len() && ids.iter().zip(pairs()).all(|(&(n, v), (ln, lv))| self.symbols.lookup(n) == ln && self.symbols.lookup(v) == lv);
        self.by_hash.candidates(h).find(|&r| self.get(r).is_some_and(|s| same(&s.labels)))
    }

    /// Creates the series with the given ref (from WAL replay) or the next free one. Returns the
    /// ref and whether it was created.
    pub fn get_or_create(&mut self, labels: &Labels, wanted_ref: Option<u32>) -> (u32, bool) {
        self.get_or_create_by(|| labels.iter().map(|l| (l.name.as_str(), l.value.as_str())), wanted_ref)
    }

    /// `get_or_create` for a label set as borrowed pairs, which the caller guarantees are sorted
    /// by name, unique and non-empty (`labels::is_canonical`): the WAL replay reads them out of
    /// the record's bytes, without a `Labels` (two strings and a vector) per series.
    pub fn get_or_create_sorted(&mut self, pairs: &[(&str, &str)], wanted_ref: Option<u32>) -> (u32, bool) {
        debug_assert!(crate::labels::is_canonical(pairs));
        self.get_or_create_by(|| pairs.iter().copied(), wanted_ref)
    }

    fn get_or_create_by<'a, I: ExactSizeIterator<Item = (&'a str, &'a str)>>(&mut self, pairs: impl Fn() -> I, wanted_ref: Option<u32>) -> (u32, bool) {
        let h = labels_hash(pairs());
        if let Some(r) = self.find_hashed(h, &pairs) {
            return (r, false);
        }
        let r = wanted_ref.unwrap_or(self.series.len() as u32);
        let ids: Box<[(u32, u32)]> = pairs().map(|(n, v)| (self.symbols.intern(n), self.symbols.intern(v))).collect();
        if self.series.len() <= r as usize {
            self.series.resize_with(r as usize + 1, || None);
        }
        self.index.add(r, &ids);
        self.by_hash.insert(h, r);
        self.series[r as usize] = Some(Box::new(MemSeries { labels: ids, chunks: Vec::new(), open: None, open_until: i64::MIN, last_t: i64::MIN, last_v_bits: 0, last_h: None }));
        self.num_series += 1;
        (r, true)
    }

    /// Checks whether a sample would be accepted, without appending it.
    pub fn check(&self, r: u32, t: i64, v: f64) -> Result<bool, Refusal> {
        let s = self.get(r).ok_or(Refusal::UnknownRef)?;
        if t < self.min_valid_time {
            return Err(Refusal::TooOld);
        }
        if s.last_t == i64::MIN || t > s.last_t {
            return Ok(true);
        }
        if t == s.last_t {
            // Same timestamp and same value is an idempotent re-append (e.g. a retried
            // scrape), accepted without storing anything, as Prometheus does.
            let same = match &s.last_h {
                Some(h) => h.is_stale() && is_stale_nan(v),
                None => v.to_bits() == s.last_v_bits,
            };
            return if same { Ok(false) } else { Err(Refusal::Duplicate) };
        }
        Err(Refusal::OutOfOrder)
    }

    /// Appends a sample that `check` accepted; `st` is its start timestamp (0 = none).
    pub fn append_checked(&mut self, r: u32, st: i64, t: i64, v: f64) {
        if is_stale_nan(v) {
            if let Some(integer) = self.get(r).and_then(|s| s.last_h.as_ref()).map(|h| h.integer) {
                // After a histogram, the stale marker is a histogram stale marker (Prometheus's
                // head does the same), so the series' histogram chunk is not cut for it.
                return self.append_histogram_checked(r, 0, t, &Histogram::stale_marker(integer));
            }
        }
        let per_chunk = self.samples_per_chunk;
        let block_range = self.block_range;
        let xor2 = self.xor2_chunks;
        let keep = self.keep_closed_chunks;
        let s = self.series[r as usize].as_deref_mut().expect("checked ref");
        // Prometheus's cutting rule (so our chunks match its chunks): at a quarter of the
        // target size, predict an end time that spreads the rest of the block range evenly
        // over chunks; cut there, at the block boundary, or at twice the target size.
        if let Some(a) = &s.open {
            if a.num_samples() == per_chunk / 4 && a.num_samples() > 0 {
                s.open_until = chunk_end_time(a.min_time(), a.max_time(), s.open_until, 4.0);
            }
        }
        let needs_cut = match &s.open {
            None | Some(ChunkAppender::Histogram(_)) => true,
            Some(a) => a.num_samples() >= per_chunk * 2 || t >= s.open_until,
        };
        if needs_cut {
            s.close_open(keep);
            s.open = Some(ChunkAppender::new(xor2));
            s.open_until = t.div_euclid(block_range) * block_range + block_range;
            self.chunks_created += 1;
        }
        s.open.as_mut().expect("open chunk").append(st, t, v);
        s.last_t = t;
        s.last_v_bits = v.to_bits();
        s.last_h = None;
        self.note_sample_time(t);
    }

    /// Widens the head's time range to a sample just appended, and counts it.
    fn note_sample_time(&mut self, t: i64) {
        self.min_t = self.min_t.min(t);
        self.max_t = self.max_t.max(t);
        self.appended_min_t = self.appended_min_t.min(t);
        self.samples_appended += 1;
    }

    /// Series refs matching the matchers that have samples in `[mint, maxt]`.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<u32> {
        let mut refs = self.index.select(&self.symbols, matchers);
        refs.retain(|&r| self.get(r).is_some_and(|s| s.min_time().is_some_and(|a| a <= maxt) && s.max_time().is_some_and(|b| b >= mint)));
        refs
    }

    /// Live series refs in ref order.
    pub fn refs(&self) -> impl Iterator<Item = u32> + '_ {
        self.series.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(r, _)| r as u32)
    }

    pub fn num_chunks(&self) -> usize {
        self.series.iter().flatten().map(|s| s.num_chunks()).sum()
    }

    /// Approximate heap bytes used by chunk data (for statistics).
    pub fn chunk_bytes(&self) -> usize {
        self.series.iter().flatten().map(|s| s.chunks.iter().map(|c| c.bytes().len()).sum::<usize>() + s.open.as_ref().map_or(0, |a| a.bytes().len())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::ChunkIterator;

    fn labels(name: &str, job: &str) -> Labels {
        Labels::from_pairs([("__name__", name), ("job", job)])
    }

    fn append(h: &mut Head, r: u32, t: i64, v: f64) -> Result<(), Refusal> {
        if h.check(r, t, v)? {
            h.append_checked(r, 0, t, v);
        }
        Ok(())
    }

    #[test]
    fn refs_are_stable_and_labels_round_trip() {
        let mut h = Head::new(120, 7_200_000);
        let (a, created) = h.get_or_create(&labels("up", "x"), None);
        assert!(created);
        let (b, _) = h.get_or_create(&labels("up", "y"), None);
        assert_ne!(a, b);
        assert_eq!(h.get_or_create(&labels("up", "x"), None), (a, false));
        assert_eq!(h.labels_of(b), Some(labels("up", "y")));
    }

    #[test]
    fn out_of_order_and_duplicates_are_refused() {
        let mut h = Head::new(120, 7_200_000);
        let (r, _) = h.get_or_create(&labels("up", "x"), None);
        append(&mut h, r, 1000, 1.0).unwrap();
        assert_eq!(append(&mut h, r, 999, 1.0), Err(Refusal::OutOfOrder));
        assert_eq!(append(&mut h, r, 1000, 2.0), Err(Refusal::Duplicate));
        assert_eq!(append(&mut h, r, 1000, 1.0), Ok(()), "same value again is accepted as a no-op");
        assert_eq!(h.check(99, 1, 1.0), Err(Refusal::UnknownRef));
        assert_eq!(h.samples_appended, 1);
    }

    #[test]
    fn chunks_are_cut_by_count_and_block_boundary() {
        let mut h = Head::new(120, 7_200_000);
        let (r, _) = h.get_or_create(&labels("up", "x"), None);
        for i in 0..300 {
            append(&mut h, r, i * 15_000, i as f64).unwrap();
        }
        let s = h.get(r).unwrap();
        // 300 samples at 15s = 75 min: cut at 120 and 240.
        assert_eq!(s.num_chunks(), 3);
        let mut h = Head::new(120, 7_200_000);
        let (r, _) = h.get_or_create(&labels("up", "x"), None);
        append(&mut h, r, 7_199_000, 1.0).unwrap();
        append(&mut h, r, 7_200_000, 2.0).unwrap();
        let s = h.get(r).unwrap();
        assert_eq!(s.num_chunks(), 2, "a chunk never straddles a block boundary");
        let all: Vec<(i64, i64, f64)> = s.chunks_in(i64::MIN, i64::MAX).flat_map(|(_, _, e, b)| ChunkIterator::new(e, b).collect::<Vec<_>>()).collect();
        assert_eq!(all, vec![(0, 7_199_000, 1.0), (0, 7_200_000, 2.0)]);
    }

    #[test]
    fn new_chunks_follow_the_configured_encoding() {
        let mut h = Head::new(120, 7_200_000);
        let (r, _) = h.get_or_create(&labels("up", "x"), None);
        append(&mut h, r, 1000, 1.0).unwrap();
        h.xor2_chunks = true;
        append(&mut h, r, 2000, 1.0).unwrap();
        append(&mut h, r, 7_200_000, 2.0).unwrap();
        let encodings: Vec<u8> = h.get(r).unwrap().chunks_in(i64::MIN, i64::MAX).map(|c| c.2).collect();
        // The open chunk keeps its encoding until it is cut.
        assert_eq!(encodings, vec![crate::chunkenc::ENCODING_XOR, crate::chunkenc::ENCODING_XOR2]);
    }

    #[test]
    fn the_agent_keeps_no_closed_chunks_and_its_collection_refuses_nothing_old() {
        let mut h = Head::new(120, 7_200_000);
        h.keep_closed_chunks = false;
        let (a, _) = h.get_or_create(&labels("idle", "x"), None);
        let (b, _) = h.get_or_create(&labels("busy", "x"), None);
        append(&mut h, a, 100, 1.0).unwrap();
        for i in 0..1000 {
            append(&mut h, b, i * 15_000, 1.0).unwrap();
        }
        assert_eq!(h.get(b).unwrap().num_chunks(), 1, "cut chunks are dropped");
        assert_eq!(h.remove_before(1000), vec![a]);
        let (c, _) = h.get_or_create(&labels("late", "x"), None);
        assert_eq!(append(&mut h, c, 500, 1.0), Ok(()), "no minimum valid time: no blocks to overlap");
    }

    #[test]
    fn truncate_drops_old_chunks_and_empty_series() {
        let mut h = Head::new(120, 1000);
        let (a, _) = h.get_or_create(&labels("old", "x"), None);
        let (b, _) = h.get_or_create(&labels("new", "x"), None);
        append(&mut h, a, 100, 1.0).unwrap();
        append(&mut h, b, 100, 1.0).unwrap();
        append(&mut h, b, 1500, 1.0).unwrap();
        let dead = h.truncate(1000);
        assert_eq!(dead, vec![a]);
        assert_eq!(h.num_series(), 1);
        assert_eq!(h.find(&labels("old", "x")), None);
        assert_eq!(h.select(&[Matcher::Equal { name: "job".into(), value: "x".into() }], 0, 2000), vec![b]);
        assert_eq!(h.time_range(), Some((1500, 1500)));
        assert_eq!(append(&mut h, b, 900, 1.0), Err(Refusal::TooOld));
        // The strings only the removed series used are gone; ids are reused.
        assert_eq!(h.symbols.get("old"), None);
        assert_eq!(h.symbols.len(), 4);
        let (c, _) = h.get_or_create(&labels("again", "y"), None);
        assert_eq!(h.labels_of(c), Some(labels("again", "y")));
        assert_eq!(h.labels_of(b), Some(labels("new", "x")));
    }
}
