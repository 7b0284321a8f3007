//! An instant query's one step without decoding whole chunks: the newest float sample of a
//! series in the lookback window is the last sample of its newest chunk when that chunk ends
//! inside the window, a block remembers its chunks' last samples (see block/last_samples.rs)
//! and the head knows its open chunk's.

use super::{ChunkSrc, Selection};
use crate::error::Result;

/// What the shortcut found for one series.
pub(super) enum Newest {
    /// No chunk overlaps the window: no sample.
    Nothing,
    /// The newest sample at or before the window's end (it may be older than the window's start).
    Sample(i64, f64),
    /// The shortcut does not apply: decode the samples.
    Decode,
}

impl Selection {
    /// The newest sample of series `i` in `[lo, hi]` when it can be had without decoding: no
    /// deletions, every chunk overlapping the window a float chunk, no two of them overlapping
    /// in time, and the newest ending at or before `hi` and either a block's or the head's open
    /// chunk (whose last sample the selection took from the head).
    pub(super) fn newest_float_sample(&self, i: usize, lo: i64, hi: i64) -> Result<Newest> {
        let s = &self.series[i];
        if !s.deleted.is_empty() {
            return Ok(Newest::Decode);
        }
        let mut newest = None;
        let mut prev_max = i64::MIN;
        for c in s.chunks.iter().filter(|c| c.max_t >= lo && c.min_t <= hi) {
            // Chunks are sorted by start; one that starts before the previous ended overlaps it.
            if c.min_t <= prev_max {
                return Ok(Newest::Decode);
            }
            prev_max = c.max_t;
            newest = Some(c);
        }
        let Some(c) = newest else { return Ok(Newest::Nothing) };
        if c.max_t > hi {
            return Ok(Newest::Decode);
        }
        // Earlier chunks in the window must hold floats too: a series that switched between
        // floats and histograms is left to the decoding path's rules for mixed series.
        for other in s.chunks.iter().filter(|o| o.max_t >= lo && o.min_t <= hi && o.min_t < c.min_t) {
            if crate::chunkenc::is_histogram_encoding(self.chunk_data(other)?.0) {
                return Ok(Newest::Decode);
            }
        }
        let last = match &c.src {
            &ChunkSrc::Block(b, r) => self.blocks[b as usize].last_float_sample(r)?,
            ChunkSrc::Owned { last, .. } => *last,
        };
        match last {
            // The index's end time must be the sample's own, else trust the samples.
            Some((t, v)) if t == c.max_t => Ok(Newest::Sample(t, v)),
            _ => Ok(Newest::Decode),
        }
    }
}
