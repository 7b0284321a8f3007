//! The counter family: `rate`/`increase`/`delta` extrapolated towards the window's edges, and
//! the evaluation of counter functions that also read samples' start timestamps (a start
//! timestamp that moves is a counter reset; overlapping ones are reported).

use super::{eval_window, for_each_window, RangeFn, Steps};
use crate::chunkenc::is_stale_nan;

/// Functions that read start timestamps when the engine uses them (`use-start-timestamps`).
pub fn reads_start_timestamps(f: &RangeFn) -> bool {
    matches!(f, RangeFn::Rate | RangeFn::Increase | RangeFn::Irate | RangeFn::Resets)
}

/// Whether the start timestamp of the current sample says the counter restarted since the
/// previous one. A start timestamp of 0 (none), one at or after its own sample (invalid, or
/// OpenTelemetry's "unknown start") or one before the previous sample says nothing. One equal to
/// the previous sample's time is a reset for delta samples (the previous sample had a start of
/// its own) but not for a cumulative series whose start was unknown (0, or its own time).
pub fn is_start_timestamp_reset(prev_st: i64, prev_t: i64, st: i64, t: i64) -> bool {
    if st == 0 || st >= t || st < prev_t {
        return false;
    }
    if st > prev_t {
        return true;
    }
    prev_st <= prev_t && prev_st != 0 && prev_st != prev_t
}

/// A start timestamp reaching back before the previous sample without being that sample's own
/// start: the two samples claim overlapping intervals.
pub fn start_time_overlaps(prev_st: i64, prev_t: i64, st: i64) -> bool {
    st != 0 && st < prev_t && st != prev_st
}

/// rate, increase and delta: the change over the window, extrapolated towards its edges.
///
/// With start timestamps (`st`, for counters): resets are also read from them, and a first
/// sample whose start lies inside the window is taken to start from zero at that time instead of
/// being extrapolated to the window's start (then one sample is enough). Sets `overlap` when two
/// samples claim overlapping intervals.
#[allow(clippy::too_many_arguments)]
pub(super) fn extrapolated_rate(t: &[i64], v: &[f64], st: Option<&[i64]>, range_start: i64, range_end: i64, range_ms: i64, is_counter: bool, is_rate: bool, overlap: &mut bool) -> Option<f64> {
    let n = t.len();
    if n == 0 || (n == 1 && st.is_none()) {
        return None;
    }
    let n1 = n - 1;
    let (first_t, last_t) = (t[0], t[n1]);
    let mut result = v[n1] - v[0];
    if is_counter {
        for i in 1..n {
            if let Some(st) = st {
                if start_time_overlaps(st[i - 1], t[i - 1], st[i]) {
                    *overlap = true;
                }
            }
            if v[i] < v[i - 1] || st.is_some_and(|st| is_start_timestamp_reset(st[i - 1], t[i - 1], st[i], t[i])) {
                result += v[i - 1];
            }
        }
    }
    let mut to_start = (first_t - range_start) as f64 / 1000.0;
    let mut to_end = (range_end - last_t) as f64 / 1000.0;
    let mut sampled = (last_t - first_t) as f64 / 1000.0;
    let avg_between = if n1 > 0 { sampled / n1 as f64 } else { 0.0 };
    let threshold = avg_between * 1.1;
    let start_inside = st.map(|st| st[0]).filter(|&s0| is_counter && s0 != 0 && s0 > range_start && s0 < first_t);
    if let Some(s0) = start_inside {
        // A zero at the first sample's start, inside the window: no extrapolation to the left.
        // (With one sample there is no average spacing, so none to the right either.)
        to_start = 0.0;
        sampled = (last_t - s0) as f64 / 1000.0;
        result += v[0];
    } else if n1 == 0 {
        return None;
    } else {
        if to_start >= threshold {
            to_start = avg_between / 2.0;
        }
        if is_counter {
            // A counter cannot go below zero: do not extrapolate past the point where it would.
            let mut to_zero = to_start;
            if result > 0.0 && v[0] >= 0.0 {
                to_zero = sampled * (v[0] / result);
            }
            if to_zero < to_start {
                to_start = to_zero;
            }
        }
    }
    if to_end >= threshold {
        to_end = avg_between / 2.0;
    }
    let mut factor = if sampled != 0.0 { (sampled + to_start + to_end) / sampled } else { 1.0 };
    if is_rate {
        factor /= range_ms as f64 / 1000.0;
    }
    Some(result * factor)
}

/// One window of a function in `reads_start_timestamps`, with the samples' start timestamps.
fn eval_window_st(f: &RangeFn, t: &[i64], v: &[f64], st: &[i64], eval_t: i64, range: i64, overlap: &mut bool) -> Option<f64> {
    let n = t.len();
    match f {
        RangeFn::Rate => extrapolated_rate(t, v, Some(st), eval_t - range, eval_t, range, true, true, overlap),
        RangeFn::Increase => extrapolated_rate(t, v, Some(st), eval_t - range, eval_t, range, true, false, overlap),
        RangeFn::Irate => {
            if n < 2 {
                return None;
            }
            let (a, b) = (n - 2, n - 1);
            let interval = t[b] - t[a];
            if interval == 0 {
                return None;
            }
            let reset = v[b] < v[a] || is_start_timestamp_reset(st[a], t[a], st[b], t[b]);
            let diff = if reset { v[b] } else { v[b] - v[a] };
            Some(diff / (interval as f64 / 1000.0))
        }
        RangeFn::Resets => {
            if n == 0 {
                return None;
            }
            Some((1..n).filter(|&i| v[i] < v[i - 1] || is_start_timestamp_reset(st[i - 1], t[i - 1], st[i], t[i])).count() as f64)
        }
        _ => eval_window(f, t, v, eval_t, range, &mut Vec::new()),
    }
}

/// `eval_range_series` for a function in `reads_start_timestamps`, with each sample's start
/// timestamp (0 = none). Returns whether any window saw overlapping samples.
#[allow(clippy::too_many_arguments)]
pub fn eval_range_series_st(f: &RangeFn, ts: &[i64], vs: &[f64], sts: &[i64], steps: &Steps, range: i64, out: &mut [f64], present: &mut [u8]) -> bool {
    let keep: Vec<usize> = (0..ts.len()).filter(|&i| !is_stale_nan(vs[i])).collect();
    let ts: Vec<i64> = keep.iter().map(|&i| ts[i]).collect();
    let st: Vec<i64> = keep.iter().map(|&i| sts[i]).collect();
    let vs: Vec<f64> = keep.iter().map(|&i| vs[i]).collect();
    let mut overlap = false;
    for_each_window(&ts, steps, range, |i, w, t| {
        let r = if w.is_empty() { None } else { eval_window_st(f, &ts[w.clone()], &vs[w.clone()], &st[w], t, range, &mut overlap) };
        out[i] = r.unwrap_or(0.0);
        present[i] = u8::from(r.is_some());
    });
    overlap
}
