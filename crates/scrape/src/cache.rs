//! The per-target scrape cache: series text -> storage ref, and the bookkeeping of which series the
//! previous scrape had (stale markers for the ones that vanish).
//!
//! A scrape is two steps. `scan` reads the body: lines whose series it knows become pending
//! samples; if any line needs the full parser (an unknown series, an unusual spelling, HELP/TYPE
//! comments that changed) it returns the residue for the caller to parse. `finish` then takes the
//! caller's samples for the residue (with the refs it resolved), checks the sample limit and hands
//! back the whole batch plus the refs that went stale. `fail` ends a scrape that failed.

use crate::line::{find_newline, split_rest, split_sample, starts_with_series};
use crate::series_index::SeriesIndex;
use std::hash::{BuildHasher, Hasher};

/// The ref of a series that metric relabeling dropped: cached so its rules are not run again.
pub const DROPPED: u32 = u32::MAX;

/// Entries unseen for this many scrapes are forgotten, so a target that churns series does not
/// grow the cache forever (checked every this many scrapes).
const FORGET_AFTER: u32 = 10;

/// `Slot::pos` when the series's place in the order is unknown.
pub(crate) const NO_POS: u32 = u32::MAX;

/// A scrape's sample lines in order, as slots of the series index (whose arena holds the texts in
/// about this order). Targets expose the same series in the same order scrape after scrape, so
/// each line is first compared in place with the series at the same position: sequential memory,
/// no hashing, no lookup in a large table (whose cache misses would cost more than the rest of
/// the line).
#[derive(Default)]
struct Order {
    items: Vec<u32>,
}

impl Order {
    fn clear(&mut self) {
        self.items.clear();
    }

    /// Makes self the first `n` items of `other`.
    fn copy_prefix(&mut self, other: &Order, n: usize) {
        self.clear();
        self.items.extend_from_slice(&other.items[..n]);
    }
}

/// What `scan` found.
#[derive(Debug, PartialEq)]
pub enum ScanOutcome {
    /// Every line was handled here: call `finish` with no residue samples.
    Complete,
    /// These lines need the full parser: the body with handled lines blanked (line numbers kept).
    Residue(Vec<u8>),
}

/// A finished scrape: the samples to append (in scrape order: handled lines first, then the
/// residue's) and the refs of the previous scrape that this one no longer has.
#[derive(Debug, Default, PartialEq)]
pub struct Finished {
    pub refs: Vec<u32>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
    pub stale: Vec<u32>,
    /// Samples in the body (handled lines and residue lines, dropped series included).
    pub scraped: usize,
    /// Residue series not in the cache before (Prometheus's scrape_series_added).
    pub added: usize,
}

/// The sample limit was exceeded: nothing is appended and the scrape fails.
#[derive(Debug, PartialEq)]
pub struct SampleLimitExceeded;

#[derive(Default)]
pub struct ScrapeCache {
    index: SeriesIndex,
    iteration: u32,
    /// Refs the previous successful scrape appended, sorted and unique.
    previous: Vec<u32>,
    /// The HELP/TYPE/UNIT comment lines of the last successful scrape, hashed: when they change,
    /// the caller re-reads the metadata.
    metadata_hash: Option<u64>,
    pending: Pending,
    /// The sample lines of the last scrape that changed the order (see `Order`).
    order: Order,
    /// The order being built by the current scrape, once it differs from `order`.
    next_order: Order,
    /// Whether `previous` is exactly the refs of `order` (then an in-order scrape has no stale series).
    previous_is_order: bool,
}

#[derive(Default)]
struct Pending {
    refs: Vec<u32>,
    timestamps: Vec<i64>,
    values: Vec<f64>,
    /// Refs whose sample carried its own (honored) timestamp: Prometheus does not track their
    /// staleness unless `track_timestamps_staleness` is set.
    untracked: Vec<u32>,
    scraped: usize,
    metadata_hash: u64,
    /// Whether the scrape's sample lines were exactly `order`, in order.
    in_order: bool,
}

impl ScrapeCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Series texts cached.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// Reads a body. `scrape_ts` stamps samples without a timestamp (and all of them unless
    /// `honor_timestamps`). Series whose samples carry an honored timestamp get no stale marker
    /// when they vanish unless `track_timestamps_staleness`.
    pub fn scan(&mut self, body: &[u8], scrape_ts: i64, honor_timestamps: bool, track_timestamps_staleness: bool) -> ScanOutcome {
        self.iteration = self.iteration.wrapping_add(1);
        let it = self.iteration;
        let p = &mut self.pending;
        p.refs.clear();
        p.timestamps.clear();
        p.values.clear();
        p.untracked.clear();
        p.scraped = 0;
        // `finish` hands the vectors out: size them for a scrape like the last one at once
        // rather than regrowing them by doubling (copies of a few hundred KB each scrape).
        let expected = self.order.items.len();
        p.refs.reserve(expected);
        p.timestamps.reserve(expected);
        p.values.reserve(expected);
        let mut meta = self.index.hasher().build_hasher();
        // (line number, start, end) of each line left to the full parser.
        let mut left: Vec<(usize, usize, usize)> = Vec::new();
        let mut line_no = 0usize;
        let mut pos = 0usize;
        let order = &self.order;
        let next = &mut self.next_order;
        let index = &mut self.index;
        // The cursor into `order`, and whether every sample line so far was order[k] for its k.
        let mut j = 0usize;
        let mut in_order = true;
        while pos <= body.len() {
            let nl = find_newline(&body[pos..]).map_or(body.len(), |k| pos + k);
            // A `\r` before the line break stays in the line: Prometheus refuses \r\n line ends
            // (the `\r` ends up in the value or timestamp), so such lines go to the full parser.
            let (start, end) = (pos, nl);
            pos = nl + 1;
            line_no += 1;
            let line = &body[start..end];
            if line.is_empty() {
                continue;
            }
            if line[0] == b'#' {
                meta.write(line);
                meta.write_u8(b'\n');
                left.push((line_no, start, end));
                continue;
            }
            let mut handled: Option<(u32, f64, Option<i64>)> = None;
            if j < order.items.len() {
                let key = index.text(order.items[j]);
                if starts_with_series(line, key) {
                    handled = split_rest(line, key.len()).map(|(v, t)| (index.slot(order.items[j]).r, v, t));
                }
            }
            if handled.is_some() {
                j += 1;
                if !in_order {
                    next.items.push(order.items[j - 1]);
                }
            } else {
                if in_order {
                    in_order = false;
                    next.copy_prefix(order, j);
                }
                handled = split_sample(line).and_then(|s| {
                    let id = index.find(s.series)?;
                    let e = index.slot_mut(id);
                    e.seen = it;
                    // A vanished series shifts the order: resync the cursor where this one was.
                    let was = e.pos as usize;
                    if e.pos != NO_POS && was < order.items.len() && order.items[was] == id {
                        j = was + 1;
                    }
                    e.pos = next.items.len() as u32;
                    next.items.push(id);
                    Some((e.r, s.value, s.timestamp))
                });
            }
            match handled {
                Some((r, value, timestamp)) => {
                    p.scraped += 1;
                    if r != DROPPED {
                        p.refs.push(r);
                        p.timestamps.push(match timestamp {
                            Some(t) if honor_timestamps => {
                                if !track_timestamps_staleness {
                                    p.untracked.push(r);
                                }
                                t
                            }
                            _ => scrape_ts,
                        });
                        p.values.push(value);
                    }
                }
                None => left.push((line_no, start, end)),
            }
        }
        if in_order && j != order.items.len() {
            in_order = false;
            next.copy_prefix(order, j);
        }
        p.in_order = in_order;
        p.metadata_hash = meta.finish();
        let only_unchanged_comments = Some(p.metadata_hash) == self.metadata_hash && left.iter().all(|&(_, s, _)| body[s] == b'#');
        if only_unchanged_comments {
            return ScanOutcome::Complete;
        }
        let mut residue = Vec::with_capacity(line_no + left.iter().map(|&(_, s, e)| e - s).sum::<usize>());
        let mut at_line = 1;
        for (n, s, e) in left {
            residue.resize(residue.len() + (n - at_line), b'\n');
            residue.extend_from_slice(&body[s..e]);
            residue.push(b'\n');
            at_line = n + 1;
        }
        ScanOutcome::Residue(residue)
    }

    /// Ends a scrape that `scan` began. `residue` holds the full parser's samples for the residue:
    /// series texts (as the full parser cut them) with the refs resolved for them (`DROPPED` for
    /// series that metric relabeling dropped), timestamps and values. `sample_limit` 0 = none.
    pub fn finish(&mut self, residue: ResidueSamples<'_>, sample_limit: usize) -> Result<Finished, SampleLimitExceeded> {
        let it = self.iteration;
        let mut added = 0;
        let mut new: Vec<(&[u8], u32)> = Vec::new();
        for (series, &r) in residue.series.iter().zip(residue.refs) {
            match self.index.find(series) {
                Some(id) => {
                    let e = self.index.slot_mut(id);
                    e.r = r;
                    e.seen = it;
                }
                None => new.push((series, r)),
            }
        }
        self.index.reserve(new.len(), new.iter().map(|(s, _)| s.len()).sum());
        for (series, r) in new {
            // The residue may name a new series twice: the first one counts.
            if self.index.find(series).is_some() {
                continue;
            }
            if r != DROPPED {
                added += 1;
            }
            self.index.insert(series, r, it, NO_POS);
        }
        let p = std::mem::take(&mut self.pending);
        let mut out = Finished { refs: p.refs, timestamps: p.timestamps, values: p.values, stale: Vec::new(), scraped: p.scraped + residue.refs.len(), added };
        for ((&r, &t), &v) in residue.refs.iter().zip(residue.timestamps).zip(residue.values) {
            if r != DROPPED {
                out.refs.push(r);
                out.timestamps.push(t);
                out.values.push(v);
            }
        }
        if sample_limit > 0 && out.refs.len() > sample_limit {
            return Err(SampleLimitExceeded);
        }
        let mut untracked: Vec<u32> = p.untracked.iter().chain(residue.untracked).copied().collect();
        // The same lines in the same order as the scrape that set `previous`: nothing went stale.
        if !(p.in_order && residue.refs.is_empty() && self.previous_is_order && untracked.is_empty()) {
            let mut current = out.refs.clone();
            current.sort_unstable();
            current.dedup();
            if !untracked.is_empty() {
                untracked.sort_unstable();
                current.retain(|r| untracked.binary_search(r).is_err());
            }
            out.stale = sorted_difference(&self.previous, &current);
            self.previous = current;
        }
        self.previous_is_order = residue.refs.is_empty() && untracked.is_empty();
        if !p.in_order {
            std::mem::swap(&mut self.order, &mut self.next_order);
            // Most targets keep this order from now on: hold it without the slack of its growth,
            // and let the old one go rather than keep its buffers for a change that rarely comes
            // (together ~20% of the cache's bytes, tests/memory_per_series.rs).
            self.order.items.shrink_to_fit();
            self.next_order = Order::default();
        }
        self.metadata_hash = Some(p.metadata_hash);
        if it.is_multiple_of(FORGET_AFTER) {
            // Lines taken in order did not touch their entries: they count as seen now.
            for &id in &self.order.items {
                self.index.slot_mut(id).seen = it;
            }
            self.index.retain(|e| it.wrapping_sub(e.seen) <= FORGET_AFTER);
        }
        Ok(out)
    }

    /// Takes back a finished scrape's vectors once its samples are appended, so the next scan
    /// fills them again instead of allocating (and page-faulting) a few hundred KB anew.
    pub fn recycle(&mut self, f: Finished) {
        let p = &mut self.pending;
        if p.refs.capacity() == 0 {
            p.refs = f.refs;
            p.timestamps = f.timestamps;
            p.values = f.values;
        }
    }

    /// Counts `refs` among the previous scrape's series, so `finish` marks them stale unless this
    /// scrape has them (a target whose earlier scrapes went through another cache).
    pub fn adopt_previous(&mut self, refs: &[u32]) {
        if refs.is_empty() {
            return;
        }
        self.previous.extend_from_slice(refs);
        self.previous.sort_unstable();
        self.previous.dedup();
        self.previous_is_order = false;
    }

    /// Like `fail`, but the series in `keep` are not returned as stale: another cache took this
    /// scrape and appended them.
    pub fn fail_except(&mut self, keep: &[u32]) -> Vec<u32> {
        let mut stale = self.fail();
        if !keep.is_empty() {
            let mut keep = keep.to_vec();
            keep.sort_unstable();
            stale.retain(|r| keep.binary_search(r).is_err());
        }
        stale
    }

    /// Ends a scrape that failed (target down, bad body, a limit): every series of the previous
    /// successful scrape goes stale, which is returned.
    pub fn fail(&mut self) -> Vec<u32> {
        self.pending = Pending::default();
        self.metadata_hash = None;
        self.previous_is_order = false;
        std::mem::take(&mut self.previous)
    }

    /// The refs the last successful scrape appended (stale markers when the target goes away).
    pub fn last_refs(&self) -> &[u32] {
        &self.previous
    }

    /// Forgets every series text (the storage no longer knows some refs).
    pub fn clear(&mut self) {
        self.index.clear();
        self.order.clear();
        self.next_order.clear();
        self.previous_is_order = false;
        self.metadata_hash = None;
    }
}

/// The full parser's samples for a residue, as parallel slices.
pub struct ResidueSamples<'a> {
    pub series: &'a [&'a [u8]],
    pub refs: &'a [u32],
    pub timestamps: &'a [i64],
    /// Refs of residue samples with their own honored timestamp (no staleness tracking).
    pub untracked: &'a [u32],
    pub values: &'a [f64],
}

impl ResidueSamples<'_> {
    pub const NONE: ResidueSamples<'static> = ResidueSamples { series: &[], refs: &[], timestamps: &[], values: &[], untracked: &[] };
}

/// Elements of sorted `a` not in sorted `b`.
fn sorted_difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j >= b.len() || b[j] != x {
            out.push(x);
        }
    }
    out
}

/// A word-at-a-time multiplicative hasher with a per-process random seed: series texts are long
/// and hashed once per sample line, where SipHash would cost more than the rest of the line. The
/// seed keeps a target from choosing colliding series texts.
#[derive(Clone, Copy)]
pub struct SeededHash(u64);

impl Default for SeededHash {
    fn default() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(0);
        SeededHash(h.finish() | 1)
    }
}

impl BuildHasher for SeededHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(self.0)
    }
}

pub struct WordHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl WordHasher {
    #[inline]
    fn mix(&mut self, w: u64) {
        let x = (self.0 ^ w).wrapping_mul(K);
        self.0 = x ^ (x >> 29);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(K);
        x ^ (x >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn residue_lines(o: &ScanOutcome) -> Vec<String> {
        match o {
            ScanOutcome::Complete => vec![],
            ScanOutcome::Residue(r) => String::from_utf8_lossy(r).split('\n').map(String::from).collect(),
        }
    }

    /// What the full parser would hand back for a residue: every sample line, with `refs` deciding.
    fn parse_residue(o: &ScanOutcome) -> Vec<(&[u8], f64)> {
        let ScanOutcome::Residue(r) = o else { return vec![] };
        r.split(|&c| c == b'\n').filter(|l| !l.is_empty() && l[0] != b'#').map(|l| split_sample(l).map(|s| (s.series, s.value)).unwrap()).collect()
    }

    #[test]
    fn first_scrape_is_residue_then_complete() {
        let mut c = ScrapeCache::new();
        let body = b"# TYPE a counter\na_total 1\nb{x=\"1\"} 2 500\n";
        let o = c.scan(body, 1000, true, true);
        assert_eq!(residue_lines(&o), ["# TYPE a counter", "a_total 1", "b{x=\"1\"} 2 500", ""]);
        let parsed = parse_residue(&o);
        let series: Vec<&[u8]> = parsed.iter().map(|p| p.0).collect();
        let f = c.finish(ResidueSamples { series: &series, refs: &[7, 8], timestamps: &[1000, 500], values: &[1.0, 2.0], untracked: &[] }, 0).unwrap();
        assert_eq!((f.refs.clone(), f.scraped, f.added, f.stale.len()), (vec![7, 8], 2, 2, 0));

        let o = c.scan(b"# TYPE a counter\na_total 3\nb{x=\"1\"} 4 600\n", 2000, true, true);
        assert_eq!(o, ScanOutcome::Complete);
        let f = c.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!((f.refs, f.timestamps, f.values, f.scraped, f.added), (vec![7, 8], vec![2000, 600], vec![3.0, 4.0], 2, 0));

        // Without honor_timestamps the scrape time stamps every sample.
        c.scan(b"# TYPE a counter\na_total 5\nb{x=\"1\"} 6 700\n", 3000, false, true);
        assert_eq!(c.finish(ResidueSamples::NONE, 0).unwrap().timestamps, vec![3000, 3000]);
    }

    #[test]
    fn new_series_and_unusual_lines_come_back_with_their_line_numbers() {
        let mut c = ScrapeCache::new();
        c.scan(b"a 1\n", 1, false, true);
        c.finish(ResidueSamples { series: &[b"a"], refs: &[1], timestamps: &[1], values: &[1.0], untracked: &[] }, 0).unwrap();
        let o = c.scan(b"a 1\nb 2\na 0x10\na 1\r\n", 2, false, true);
        assert_eq!(residue_lines(&o), ["", "b 2", "a 0x10", "a 1\r", ""]);
    }

    #[test]
    fn changed_comments_send_the_scrape_to_the_full_parser() {
        let mut c = ScrapeCache::new();
        c.scan(b"# HELP a x\na 1\n", 1, false, true);
        c.finish(ResidueSamples { series: &[b"a"], refs: &[1], timestamps: &[1], values: &[1.0], untracked: &[] }, 0).unwrap();
        assert_eq!(c.scan(b"# HELP a x\na 1\n", 2, false, true), ScanOutcome::Complete);
        c.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!(residue_lines(&c.scan(b"# HELP a y\na 1\n", 3, false, true)), ["# HELP a y", ""]);
    }

    #[test]
    fn vanished_series_go_stale_and_dropped_series_are_not_appended() {
        let mut c = ScrapeCache::new();
        c.scan(b"a 1\nb 2\nc 3\n", 1, false, true);
        c.finish(ResidueSamples { series: &[b"a", b"b", b"c"], refs: &[1, 2, DROPPED], timestamps: &[1, 1, 1], values: &[1.0, 2.0, 3.0], untracked: &[] }, 0).unwrap();
        assert_eq!(c.scan(b"a 1\nc 3\n", 2, false, true), ScanOutcome::Complete);
        let f = c.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!((f.refs, f.stale, f.scraped), (vec![1], vec![2], 2));
        assert_eq!(c.fail(), vec![1]);
        assert!(c.last_refs().is_empty());
    }

    #[test]
    fn series_of_another_cache_are_adopted_or_kept() {
        let mut c = ScrapeCache::new();
        c.scan(b"a 1\n", 1, false, true);
        c.adopt_previous(&[1, 9]);
        let f = c.finish(ResidueSamples { series: &[b"a"], refs: &[1], timestamps: &[1], values: &[1.0], untracked: &[] }, 0).unwrap();
        assert_eq!(f.stale, vec![9], "9 went away; 1 is in this scrape");
        assert_eq!(c.fail_except(&[5, 1]), Vec::<u32>::new());
        c.scan(b"a 1\n", 2, false, true);
        c.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!(c.fail_except(&[]), vec![1]);
    }

    #[test]
    fn series_with_their_own_timestamps_are_not_marked_stale() {
        for track in [false, true] {
            let mut c = ScrapeCache::new();
            c.scan(b"a 1\nb 2 500\n", 1000, true, track);
            // From the residue: `b` carried a timestamp (the caller says so), `a` did not.
            c.finish(ResidueSamples { series: &[b"a", b"b"], refs: &[1, 2], timestamps: &[1000, 500], values: &[1.0, 2.0], untracked: if track { &[] } else { &[2] } }, 0).unwrap();
            // Both known now: the next scan handles them itself.
            assert_eq!(c.scan(b"a 1\nb 2 600\n", 2000, true, track), ScanOutcome::Complete);
            c.finish(ResidueSamples::NONE, 0).unwrap();
            assert_eq!(c.scan(b"", 3000, true, track), ScanOutcome::Complete);
            let f = c.finish(ResidueSamples::NONE, 0).unwrap();
            assert_eq!(f.stale, if track { vec![1, 2] } else { vec![1] }, "track_timestamps_staleness: {track}");
        }
    }

    #[test]
    fn recycled_vectors_are_refilled_from_scratch() {
        let mut c = ScrapeCache::new();
        c.scan(b"a 1\nb 2\n", 1, false, true);
        let f = c.finish(ResidueSamples { series: &[b"a", b"b"], refs: &[1, 2], timestamps: &[1, 1], values: &[1.0, 2.0], untracked: &[] }, 0).unwrap();
        c.recycle(f);
        assert_eq!(c.scan(b"b 5\n", 2, false, true), ScanOutcome::Complete);
        let f = c.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!((f.refs, f.timestamps, f.values, f.stale), (vec![2], vec![2], vec![5.0], vec![1]));
    }

    #[test]
    fn the_sample_limit_fails_the_scrape() {
        let mut c = ScrapeCache::new();
        c.scan(b"a 1\nb 2\n", 1, false, true);
        assert_eq!(c.finish(ResidueSamples { series: &[b"a", b"b"], refs: &[1, 2], timestamps: &[1, 1], values: &[1.0, 2.0], untracked: &[] }, 1), Err(SampleLimitExceeded));
    }

    #[test]
    fn unseen_entries_are_forgotten() {
        let mut c = ScrapeCache::new();
        c.scan(b"old 1\n", 1, false, true);
        c.finish(ResidueSamples { series: &[b"old"], refs: &[1], timestamps: &[1], values: &[1.0], untracked: &[] }, 0).unwrap();
        for i in 0..20 {
            if let ScanOutcome::Residue(_) = c.scan(b"new 1\n", i, false, true) {
                c.finish(ResidueSamples { series: &[b"new"], refs: &[2], timestamps: &[i], values: &[1.0], untracked: &[] }, 0).unwrap();
            } else {
                c.finish(ResidueSamples::NONE, 0).unwrap();
            }
        }
        assert_eq!(c.len(), 1);
    }

    /// Series come, go and move between scrapes: the refs appended and the stale ones are always
    /// what a plain set comparison says, whichever way each line was found.
    #[test]
    fn shifting_orders_give_the_same_answers_as_sets() {
        let universe: Vec<String> = (0..40).map(|i| format!("m{{i=\"{i}\"}}")).collect();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut c = ScrapeCache::new();
        let mut previous: Vec<u32> = Vec::new();
        let mut last_picked: Vec<usize> = Vec::new();
        for round in 0..300i64 {
            // A subset of the universe, mostly in order, sometimes shuffled a little.
            let mut picked: Vec<usize> = (0..universe.len()).filter(|_| next() % 10 != 0).collect();
            if next() % 4 == 0 && picked.len() > 2 {
                let a = (next() as usize) % picked.len();
                let b = (next() as usize) % picked.len();
                picked.swap(a, b);
            }
            // Often the same series as last time: the steady state, taken in order.
            if round > 0 && next() % 2 == 0 {
                picked = last_picked.clone();
            }
            last_picked = picked.clone();
            let body: String = picked.iter().map(|&i| format!("{} {round}\n", universe[i])).collect();
            let outcome = c.scan(body.as_bytes(), round, false, true);
            let residue: Vec<(&[u8], u32)> = match &outcome {
                ScanOutcome::Complete => vec![],
                ScanOutcome::Residue(r) => r
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let s = split_sample(l).unwrap().series;
                        let i: u32 = std::str::from_utf8(&s[5..s.len() - 2]).unwrap().parse().unwrap();
                        (s, if i % 7 == 3 { DROPPED } else { i })
                    })
                    .collect(),
            };
            let series: Vec<&[u8]> = residue.iter().map(|x| x.0).collect();
            let refs: Vec<u32> = residue.iter().map(|x| x.1).collect();
            let n = refs.len();
            let f = c.finish(ResidueSamples { series: &series, refs: &refs, timestamps: &vec![round; n], values: &vec![round as f64; n], untracked: &[] }, 0).unwrap();
            let mut expected: Vec<u32> = picked.iter().map(|&i| i as u32).filter(|i| i % 7 != 3).collect();
            let mut got = f.refs.clone();
            got.sort_unstable();
            expected.sort_unstable();
            assert_eq!(got, expected, "round {round}");
            let stale: Vec<u32> = previous.iter().copied().filter(|r| expected.binary_search(r).is_err()).collect();
            assert_eq!(f.stale, stale, "round {round}");
            assert!(f.values.iter().all(|&v| v == round as f64) && f.timestamps.iter().all(|&t| t == round));
            previous = expected;
        }
    }
}
