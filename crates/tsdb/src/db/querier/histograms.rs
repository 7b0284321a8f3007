//! A selection's native-histogram reads: the raw histogram samples of each series, and which
//! steps of an instant evaluation take a histogram (the newest sample in the lookback window is
//! a histogram, not a float or a stale marker of either kind).

use super::Selection;
use crate::chunkenc::{is_histogram_encoding, HistogramIterator};
use crate::error::{Error, Result};
use crate::histogram::Histogram;
use crate::kernels::Steps;
use crate::limits;

/// Histogram samples of every series, series i at `offsets[i]..offsets[i+1]`.
#[derive(Debug, Default)]
pub struct HistogramCsr {
    pub offsets: Vec<u32>,
    pub t: Vec<i64>,
    /// Start timestamps (0 = none).
    pub st: Vec<i64>,
    pub h: Vec<Histogram>,
}

/// Instant sampling of histograms: `index[series * steps + step]` is the position in `h` of the
/// histogram that step takes (-1: none, the step has a float or nothing); `timestamps` the
/// sample's own time (0 where none).
#[derive(Debug, Default)]
pub struct InstantHistograms {
    pub index: Vec<i32>,
    pub timestamps: Vec<i64>,
    pub h: Vec<Histogram>,
}

/// Rough bytes of a decoded histogram, for the query's memory limit.
fn approx_bytes(h: &Histogram) -> u64 {
    160 + 8 * (h.positive_buckets.len() + h.negative_buckets.len() + h.custom_values.len()) as u64 + 8 * (h.positive_spans.len() + h.negative_spans.len()) as u64
}

impl Selection {
    /// Whether series `i` has a histogram chunk overlapping `[lo, hi]`.
    pub(super) fn has_histograms(&self, i: usize, lo: i64, hi: i64) -> Result<bool> {
        self.has_chunk(i, lo, hi, true)
    }

    /// Whether series `i` has a float chunk overlapping `[lo, hi]` (a series of histograms only
    /// has no float to show at any step).
    pub(super) fn has_floats(&self, i: usize, lo: i64, hi: i64) -> Result<bool> {
        self.has_chunk(i, lo, hi, false)
    }

    /// Whether series `i` has a chunk overlapping `[lo, hi]` that holds histograms (or floats).
    fn has_chunk(&self, i: usize, lo: i64, hi: i64, histograms: bool) -> Result<bool> {
        for c in self.series[i].chunks.iter().filter(|c| c.max_t >= lo && c.min_t <= hi) {
            if is_histogram_encoding(self.chunk_data(c)?.0) == histograms {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Histogram samples (stale markers included) of series `i` in `[lo, hi]` within the
    /// selection's range, deletions applied, sorted by time; `st` their start timestamps.
    pub fn decode_histograms(&self, i: usize, lo: i64, hi: i64, t: &mut Vec<i64>, st: &mut Vec<i64>, h: &mut Vec<Histogram>) -> Result<()> {
        t.clear();
        st.clear();
        h.clear();
        let (lo, hi) = (lo.max(self.mint), hi.min(self.maxt));
        let s = &self.series[i];
        let mut sorted = true;
        for c in s.chunks.iter().filter(|c| c.max_t >= lo && c.min_t <= hi) {
            let (enc, data) = self.chunk_data(c)?;
            if !is_histogram_encoding(enc) {
                continue;
            }
            let mut it = HistogramIterator::new(enc, data);
            while let Some((ts, x)) = it.next() {
                if ts > hi {
                    break;
                }
                if ts < lo || s.deleted.iter().any(|&(a, b)| a <= ts && ts <= b) {
                    continue;
                }
                if t.last().is_some_and(|&p| p >= ts) {
                    sorted = false;
                }
                limits::transient(1, approx_bytes(&x))?;
                t.push(ts);
                st.push(it.st());
                h.push(x);
            }
            if let Some(e) = it.error() {
                return Err(Error::Corrupt(format!("histogram chunk of {}: {e}", self.labels.labels(i))));
            }
        }
        limits::check()?;
        if !sorted {
            let mut rows: Vec<(i64, i64, Histogram)> = t.drain(..).zip(st.drain(..)).zip(h.drain(..)).map(|((a, b), c)| (a, b, c)).collect();
            rows.sort_by_key(|r| r.0);
            rows.dedup_by_key(|r| r.0);
            for (a, b, c) in rows {
                t.push(a);
                st.push(b);
                h.push(c);
            }
        }
        Ok(())
    }

    /// All histogram samples in the selection's range, stale markers left out.
    pub fn histogram_samples(&self) -> Result<HistogramCsr> {
        let mut out = HistogramCsr { offsets: Vec::with_capacity(self.len() + 1), ..Default::default() };
        out.offsets.push(0);
        let (mut t, mut st, mut h) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.len() {
            if self.has_histograms(i, self.mint, self.maxt)? {
                self.decode_histograms(i, self.mint, self.maxt, &mut t, &mut st, &mut h)?;
                for ((ts, s), x) in t.drain(..).zip(st.drain(..)).zip(h.drain(..)) {
                    if !x.is_stale() {
                        limits::reserve(1, approx_bytes(&x))?;
                        out.t.push(ts);
                        out.st.push(s);
                        out.h.push(x);
                    }
                }
            }
            out.offsets.push(out.t.len() as u32);
        }
        Ok(out)
    }

    /// For each step, the index into `hist_t` of the histogram the step takes, if any: the
    /// newest histogram in `(step - lookback, step]` when no float sample (or stale marker,
    /// all in `float_t`) is newer. Both lists are sorted; `hist_t` holds no stale markers.
    pub(super) fn histogram_picks(float_t: &[i64], hist_t: &[i64], steps: &Steps, lookback: i64) -> Vec<Option<usize>> {
        let (mut fi, mut hi) = (0usize, 0usize);
        let mut out = Vec::with_capacity(steps.len());
        for k in 0..steps.len() {
            let at = steps.at(k);
            while fi < float_t.len() && float_t[fi] <= at {
                fi += 1;
            }
            while hi < hist_t.len() && hist_t[hi] <= at {
                hi += 1;
            }
            let newest_hist = hi.checked_sub(1).filter(|&j| hist_t[j] > at - lookback);
            let newest_float = fi.checked_sub(1).map(|j| float_t[j]);
            out.push(newest_hist.filter(|&j| newest_float.is_none_or(|f| f < hist_t[j])));
        }
        out
    }

    /// The histogram sample each series takes at each step (see `InstantHistograms`).
    pub fn instant_histograms(&self, steps: &Steps, lookback: i64) -> Result<InstantHistograms> {
        let n = steps.len();
        let cells = limits::cells(self.len(), n)?;
        limits::reserve(0, cells as u64 * 12)?;
        let mut out = InstantHistograms { index: limits::filled(cells, -1i32)?, timestamps: limits::filled(cells, 0i64)?, h: Vec::new() };
        let (lo, hi) = (steps.start - lookback + 1, steps.end);
        let (mut ft, mut fv, mut ht, mut hst, mut hs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..self.len() {
            if !self.has_histograms(i, lo, hi)? {
                continue;
            }
            self.decode_histograms(i, lo, hi, &mut ht, &mut hst, &mut hs)?;
            if self.has_chunk(i, lo, hi, false)? {
                self.decode(i, lo, hi, &mut ft, &mut fv)?;
            } else {
                // Only histograms: the float view is just their stale markers; no second decode.
                ft.clear();
                ft.extend(ht.iter().zip(&hs).filter(|(_, x)| x.is_stale()).map(|(&t, _)| t));
            }
            let (kt, kh): (Vec<i64>, Vec<Histogram>) = ht.drain(..).zip(hs.drain(..)).filter(|(_, x)| !x.is_stale()).unzip();
            // Each distinct histogram goes into `h` once, however many steps take it.
            let mut placed: Vec<Option<i32>> = vec![None; kt.len()];
            for (k, pick) in Self::histogram_picks(&ft, &kt, steps, lookback).into_iter().enumerate() {
                let Some(j) = pick else { continue };
                let idx = match placed[j] {
                    Some(x) => x,
                    None => {
                        limits::reserve(1, approx_bytes(&kh[j]))?;
                        out.h.push(kh[j].clone());
                        let x = (out.h.len() - 1) as i32;
                        placed[j] = Some(x);
                        x
                    }
                };
                out.index[i * n + k] = idx;
                out.timestamps[i * n + k] = kt[j];
            }
        }
        Ok(out)
    }

    /// Clears the float cells of series `i` (row `present`) whose step takes a histogram.
    pub(super) fn hide_floats_under_histograms(&self, i: usize, float_t: &[i64], steps: &Steps, lookback: i64, present: &mut [u8]) -> Result<()> {
        let (lo, hi) = (steps.start - lookback + 1, steps.end);
        if !self.has_histograms(i, lo, hi)? {
            return Ok(());
        }
        let (mut ht, mut hst, mut hs) = (Vec::new(), Vec::new(), Vec::new());
        self.decode_histograms(i, lo, hi, &mut ht, &mut hst, &mut hs)?;
        let kept: Vec<i64> = ht.iter().zip(&hs).filter(|(_, x)| !x.is_stale()).map(|(&t, _)| t).collect();
        for (k, pick) in Self::histogram_picks(float_t, &kept, steps, lookback).into_iter().enumerate() {
            if pick.is_some() {
                present[k] = 0;
            }
        }
        Ok(())
    }
}
