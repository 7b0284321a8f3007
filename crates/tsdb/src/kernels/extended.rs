//! `anchored` and `smoothed` range selectors (Prometheus 3's extended range selectors): windows
//! that take the sample at or before their start, or interpolate at both edges.

use super::{drop_stale, RangeFn, Steps};

/// Extended range selectors (Prometheus 3 `promql-extended-range-selectors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension {
    /// The window also sees the last sample at or before its start (within the lookback).
    Anchored,
    /// Values at the window's edges are interpolated between the neighbouring samples.
    Smoothed,
}

impl Extension {
    pub fn from_name(name: &str) -> Option<Extension> {
        match name {
            "anchored" => Some(Extension::Anchored),
            "smoothed" => Some(Extension::Smoothed),
            _ => None,
        }
    }

    /// The functions the modifier may be used with, sorted (Prometheus's error lists them).
    pub fn allowed(self) -> &'static [&'static str] {
        match self {
            Extension::Anchored => &["changes", "delta", "increase", "rate", "resets"],
            Extension::Smoothed => &["delta", "increase", "rate"],
        }
    }
}

fn interpolate(t1: i64, v1: f64, t2: i64, v2: f64, t: i64, is_counter: bool) -> f64 {
    let y1 = if is_counter && v2 < v1 { 0.0 } else { v1 };
    y1 + (v2 - y1) * (t - t1) as f64 / (t2 - t1) as f64
}

/// rate/increase/delta over an anchored or smoothed window: the difference between the values
/// at the window's edges (picked or interpolated), corrected for counter resets, not extrapolated.
#[allow(clippy::too_many_arguments)]
fn extended_rate(t: &[i64], v: &[f64], range_start: i64, range_end: i64, range_ms: i64, smoothed: bool, is_counter: bool, is_rate: bool) -> Option<f64> {
    if t.is_empty() {
        return None;
    }
    let mut last = t.len() - 1;
    // The last sample at or before the range start, else the first sample.
    let mut first = t[..last].partition_point(|&x| x <= range_start).saturating_sub(1);
    if smoothed {
        last = t[..last].partition_point(|&x| x < range_end);
    }
    if t[last] <= range_start {
        return None;
    }
    if smoothed && t[first] > range_end {
        return None;
    }
    let left = if smoothed && t[first] < range_start { interpolate(t[first], v[first], t[first + 1], v[first + 1], range_start, is_counter) } else { v[first] };
    let right = if smoothed && last > 0 && t[last] > range_end { interpolate(t[last - 1], v[last - 1], t[last], v[last], range_end, is_counter) } else { v[last] };
    let mut result = right - left;
    if is_counter {
        if t[first] <= range_start {
            first += 1;
        }
        if t[last] >= range_end {
            last = last.wrapping_sub(1);
        }
        let mut prev = left;
        let mut correction = 0.0;
        if last != usize::MAX && first <= last {
            for &x in &v[first..=last] {
                if x < prev {
                    correction += prev;
                }
                prev = x;
            }
        }
        if right < prev {
            correction += prev;
        }
        result += correction;
    }
    if is_rate {
        result /= range_ms as f64 / 1000.0;
    }
    Some(result)
}

/// `resets`/`changes` over an anchored window: counted from the last sample at or before the
/// window start (the anchor), if any; nothing when no sample is inside the window.
fn anchored_count(f: &RangeFn, t: &[i64], v: &[f64], range_start: i64) -> Option<f64> {
    let after = t.partition_point(|&x| x <= range_start);
    if after == t.len() {
        return None;
    }
    let start = after.saturating_sub(1);
    let w = &v[start..];
    Some(match f {
        RangeFn::Resets => w.windows(2).filter(|p| p[1] < p[0]).count() as f64,
        _ => w.windows(2).filter(|p| !(p[1] == p[0] || (p[1].is_nan() && p[0].is_nan()))).count() as f64,
    })
}

/// A range function over anchored or smoothed windows at every step. The caller checked that
/// the function allows the modifier. Samples must cover `(start - range - lookback, end +
/// lookback]` (the lookback after the end only for smoothed).
#[allow(clippy::too_many_arguments)]
pub fn eval_extended_series(f: &RangeFn, ext: Extension, ts: &[i64], vs: &[f64], steps: &Steps, range: i64, lookback: i64, out: &mut [f64], present: &mut [u8]) {
    let (ts, vs) = drop_stale(ts, vs);
    let smoothed = ext == Extension::Smoothed;
    for i in 0..steps.len() {
        let t = steps.at(i);
        let range_start = t - range;
        let lo = ts.partition_point(|&x| x <= range_start - lookback);
        let hi_t = if smoothed { t + lookback } else { t };
        let hi = ts.partition_point(|&x| x <= hi_t);
        let (wt, wv) = (&ts[lo..hi.max(lo)], &vs[lo..hi.max(lo)]);
        let r = match f {
            RangeFn::Rate => extended_rate(wt, wv, range_start, t, range, smoothed, true, true),
            RangeFn::Increase => extended_rate(wt, wv, range_start, t, range, smoothed, true, false),
            RangeFn::Delta => extended_rate(wt, wv, range_start, t, range, smoothed, false, false),
            RangeFn::Resets | RangeFn::Changes if !smoothed && !wt.is_empty() => anchored_count(f, wt, wv, range_start),
            _ => None,
        };
        match r {
            Some(x) => {
                out[i] = x;
                present[i] = 1;
            }
            None => {
                out[i] = 0.0;
                present[i] = 0;
            }
        }
    }
}

/// Instant-vector sampling of a `smoothed` selector: the value at each step interpolated
/// between the samples around it (within the lookback on either side), or the last one before.
pub fn smoothed_instant_series(ts: &[i64], vs: &[f64], steps: &Steps, lookback: i64, out: &mut [f64], present: &mut [u8]) {
    let (ts, vs) = drop_stale(ts, vs);
    for i in 0..steps.len() {
        let t = steps.at(i);
        let lo = ts.partition_point(|&x| x < t - lookback);
        let hi = ts.partition_point(|&x| x <= t + lookback);
        let (wt, wv) = (&ts[lo..hi], &vs[lo..hi]);
        present[i] = 0;
        out[i] = 0.0;
        if wt.is_empty() {
            continue;
        }
        let j = wt.partition_point(|&x| x < t);
        let value = if j < wt.len() && wt[j] == t {
            Some(wv[j])
        } else if j > 0 && j < wt.len() {
            Some(interpolate(wt[j - 1], wv[j - 1], wt[j], wv[j], t, false))
        } else if j > 0 {
            Some(wv[j - 1])
        } else {
            None
        };
        if let Some(x) = value {
            out[i] = x;
            present[i] = 1;
        }
    }
}
