//! Head truncation in steps: dropping the persisted chunks of a million series, and the series
//! left empty, took seconds under the database's write lock, and every query and append waited
//! for it. A truncation is now a sequence of short steps (a batch of series each) between which
//! the caller releases the lock, and what a step takes out of the head is handed back to be
//! freed after the lock is released: freeing millions of chunks is itself slow.
//!
//! Between steps queries may see a series with chunks the new block also holds: the querier
//! merges overlapping sources, and the samples are the same. Appends go on; they are all at or
//! after the truncation time, which the head already refuses samples before.

use super::{Head, MemChunk, MemSeries};
use crate::chunkenc::ChunkAppender;

/// What truncation steps took out of the head, to be dropped once the lock is released.
#[derive(Default)]
pub struct Released {
    chunks: Vec<Vec<MemChunk>>,
    open: Vec<ChunkAppender>,
    /// Kept in their boxes: moving them out would copy each one under the lock.
    #[allow(clippy::vec_box)]
    series: Vec<Box<MemSeries>>,
}

impl Released {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.open.is_empty() && self.series.is_empty()
    }
}

/// A truncation under way (see `Head::begin_truncate`).
#[derive(Debug)]
pub struct Truncation {
    mint: i64,
    /// The next series slot whose chunks are truncated.
    next_slot: usize,
    /// Slots from here on belong to series created during the truncation: they are left alone.
    end_slot: usize,
    /// The earliest sample left in the slots done so far.
    min_left: i64,
    /// Series left without samples by the chunk steps, in ref order; removed by the removal
    /// steps if they are still empty then.
    emptied: Vec<u32>,
    next_emptied: usize,
}

impl Truncation {
    /// Whether every series' chunks have been truncated.
    pub fn chunks_done(&self) -> bool {
        self.next_slot >= self.end_slot
    }

    /// Whether every emptied series has been looked at for removal.
    pub fn removal_done(&self) -> bool {
        self.next_emptied >= self.emptied.len()
    }
}

impl Head {
    /// Starts dropping all data before `mint` (it was persisted in a block): from now on samples
    /// before it are refused.
    pub fn begin_truncate(&mut self, mint: i64) -> Truncation {
        self.min_valid_time = self.min_valid_time.max(mint);
        self.begin_removal(mint)
    }

    /// Starts dropping data before `mint` without refusing older samples afterwards (the
    /// agent's series garbage collection: it writes no blocks that they could overlap).
    fn begin_removal(&mut self, mint: i64) -> Truncation {
        self.appended_min_t = i64::MAX;
        Truncation { mint, next_slot: 0, end_slot: self.series.len(), min_left: i64::MAX, emptied: Vec::new(), next_emptied: 0 }
    }

    /// Drops the chunks before the truncation time of up to `max_series` series, moving them
    /// into `released`.
    pub fn truncate_chunks_step(&mut self, tr: &mut Truncation, max_series: usize, released: &mut Released) {
        let stop = tr.end_slot.min(tr.next_slot.saturating_add(max_series.max(1)));
        let mint = tr.mint;
        for r in tr.next_slot..stop {
            let Some(s) = self.series[r].as_deref_mut() else { continue };
            // Chunks are in time order, so the dropped ones are a prefix; the rest is kept as
            // a new (short) vector and the old one, with the dropped chunks, freed later.
            let dropped = s.chunks.iter().take_while(|c| c.max_t < mint).count();
            if dropped == s.chunks.len() {
                released.chunks.push(std::mem::take(&mut s.chunks));
            } else if dropped > 0 {
                let kept = s.chunks.split_off(dropped);
                released.chunks.push(std::mem::replace(&mut s.chunks, kept));
            }
            if s.chunks.iter().any(|c| c.max_t < mint) {
                // Out of time order after all (never expected): drop them one by one.
                s.chunks.retain(|c| c.max_t >= mint);
            }
            if s.open.as_ref().is_some_and(|a| a.num_samples() > 0 && a.max_time() < mint) {
                released.open.extend(s.open.take());
            }
            match s.min_time() {
                Some(t) => tr.min_left = tr.min_left.min(t),
                None => tr.emptied.push(r as u32),
            }
        }
        tr.next_slot = stop;
    }

    /// Removes up to `max_series` of the series the chunk steps left empty (those that got no
    /// sample since), moving them into `released`. Returns the removed refs.
    pub fn remove_emptied_step(&mut self, tr: &mut Truncation, max_series: usize, released: &mut Released) -> Vec<u32> {
        let stop = tr.emptied.len().min(tr.next_emptied.saturating_add(max_series.max(1)));
        let dead: Vec<u32> = tr.emptied[tr.next_emptied..stop].iter().copied().filter(|&r| self.get(r).is_some_and(|s| s.min_time().is_none())).collect();
        tr.next_emptied = stop;
        let series = &self.series;
        self.index.remove(&dead, |r| series[r as usize].as_ref().map(|s| s.labels.to_vec()).unwrap_or_default());
        for &r in &dead {
            if let Some(s) = self.series[r as usize].take() {
                let labels = self.labels_from_ids(&s.labels);
                let h = super::labels_hash(labels.iter().map(|l| (l.name.as_str(), l.value.as_str())));
                self.by_hash.remove(h, r);
                for &(n, v) in s.labels.iter() {
                    self.symbols.release(n);
                    self.symbols.release(v);
                }
                self.num_series -= 1;
                released.series.push(s);
            }
        }
        dead
    }

    /// Ends a truncation whose steps are all done: the head's time range is what is left.
    pub fn finish_truncate(&mut self, tr: Truncation) {
        debug_assert!(tr.chunks_done() && tr.removal_done(), "truncation finished early");
        // Samples appended meanwhile may be in series whose step had already run.
        let new_min = tr.min_left.min(self.appended_min_t);
        self.min_t = new_min;
        if new_min == i64::MAX {
            self.max_t = i64::MIN;
        }
    }

    /// Drops all data before `mint` and the series left empty in one go (for callers that
    /// hold the head alone). Returns the refs of the removed series.
    pub fn truncate(&mut self, mint: i64) -> Vec<u32> {
        let tr = self.begin_truncate(mint);
        self.truncate_in_one_go(tr)
    }

    /// Drops the chunks that end before `mint` and the series with no sample left, in one go,
    /// and still accepts older samples afterwards (the agent's series garbage collection).
    /// Returns the refs of the removed series.
    pub fn remove_before(&mut self, mint: i64) -> Vec<u32> {
        let tr = self.begin_removal(mint);
        self.truncate_in_one_go(tr)
    }

    fn truncate_in_one_go(&mut self, mut tr: Truncation) -> Vec<u32> {
        let mut released = Released::default();
        self.truncate_chunks_step(&mut tr, usize::MAX, &mut released);
        let dead = self.remove_emptied_step(&mut tr, usize::MAX, &mut released);
        self.finish_truncate(tr);
        dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::matcher::Matcher;

    fn labels(i: usize) -> Labels {
        Labels::from_pairs([("__name__", "m".to_string()), ("job", "j".into()), ("i", i.to_string())])
    }

    fn append(h: &mut Head, r: u32, t: i64) {
        assert_eq!(h.check(r, t, 1.0), Ok(true), "sample {t} of series {r} is accepted");
        h.append_checked(r, 0, t, 1.0);
    }

    /// A head of `n` series with samples at 100, 600 and (for odd series) 1500: a truncation
    /// at 1000 empties the even ones.
    fn head(n: usize) -> (Head, Vec<u32>) {
        let mut h = Head::new(2, 1000);
        let refs: Vec<u32> = (0..n).map(|i| h.get_or_create(&labels(i), None).0).collect();
        for (i, &r) in refs.iter().enumerate() {
            append(&mut h, r, 100);
            append(&mut h, r, 600);
            if i % 2 == 1 {
                append(&mut h, r, 1500);
            }
        }
        (h, refs)
    }

    fn times(h: &Head, r: u32) -> Vec<i64> {
        h.get(r).map(|s| s.chunks_in(i64::MIN, i64::MAX).flat_map(|(_, _, e, b)| crate::chunkenc::ChunkIterator::new(e, b).map(|x| x.1).collect::<Vec<_>>()).collect()).unwrap_or_default()
    }

    #[test]
    fn stepwise_truncation_matches_one_go() {
        let (mut whole, refs) = head(101);
        let dead_whole = whole.truncate(1000);
        let (mut steps, _) = head(101);
        let mut released = Released::default();
        let mut tr = steps.begin_truncate(1000);
        while !tr.chunks_done() {
            steps.truncate_chunks_step(&mut tr, 7, &mut released);
        }
        assert!(!released.is_empty(), "dropped chunks are handed back to be freed");
        let mut dead = Vec::new();
        while !tr.removal_done() {
            dead.extend(steps.remove_emptied_step(&mut tr, 5, &mut released));
        }
        steps.finish_truncate(tr);
        assert_eq!(dead, dead_whole);
        assert_eq!(dead.len(), 51);
        assert_eq!(steps.num_series(), whole.num_series());
        assert_eq!(steps.time_range(), whole.time_range());
        assert_eq!(steps.time_range(), Some((1500, 1500)));
        let all = [Matcher::Equal { name: "job".into(), value: "j".into() }];
        assert_eq!(steps.select(&all, i64::MIN, i64::MAX), whole.select(&all, i64::MIN, i64::MAX));
        for &r in &refs {
            assert_eq!(times(&steps, r), times(&whole, r));
        }
        assert_eq!(steps.index.all(), whole.index.all());
        assert_eq!(steps.symbols.len(), whole.symbols.len());
    }

    #[test]
    fn appends_between_steps_are_kept() {
        let (mut h, refs) = head(10);
        let mut released = Released::default();
        let mut tr = h.begin_truncate(1000);
        assert_eq!(h.check(refs[9], 900, 1.0), Err(crate::head::Refusal::TooOld), "the truncated range is refused from the start");
        h.truncate_chunks_step(&mut tr, 5, &mut released);
        // Series 0 (already stepped over, emptied) and 8 (not yet) get a sample; a new series
        // is created after the truncation began.
        append(&mut h, refs[0], 2000);
        append(&mut h, refs[8], 1200);
        let (late, _) = h.get_or_create(&labels(99), None);
        while !tr.chunks_done() {
            h.truncate_chunks_step(&mut tr, 5, &mut released);
        }
        let mut dead = Vec::new();
        while !tr.removal_done() {
            dead.extend(h.remove_emptied_step(&mut tr, 2, &mut released));
        }
        h.finish_truncate(tr);
        assert_eq!(dead, vec![refs[2], refs[4], refs[6]], "series that got samples, and the new one, stay");
        assert_eq!(times(&h, refs[0]), vec![2000]);
        assert_eq!(times(&h, refs[8]), vec![1200]);
        assert!(h.get(late).is_some());
        assert_eq!(h.time_range(), Some((1200, 2000)), "the time range counts samples appended during the truncation");
        assert_eq!(h.find(&labels(2)), None);
        assert_eq!(h.find(&labels(0)), Some(refs[0]));
    }

    #[test]
    fn a_head_truncated_to_nothing_has_no_time_range() {
        let mut h = Head::new(2, 1000);
        let (r, _) = h.get_or_create(&labels(0), None);
        append(&mut h, r, 100);
        assert_eq!(h.truncate(1000), vec![r]);
        assert_eq!(h.time_range(), None);
        assert_eq!(h.num_series(), 0);
    }
}
