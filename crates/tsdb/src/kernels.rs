//! Range-vector functions and instant-vector sampling over the samples of one series, evaluated
//! at every step of a query in one pass.
//!
//! Semantics are Prometheus 3.x's: a range window is `(t - range, t]` (open on the left), stale
//! markers are not samples, rate/increase/delta extrapolate towards the window's edges, sums use
//! Kahan-Neumaier compensation so results match Prometheus to the last bit where it matters.

use crate::chunkenc::is_stale_nan;

/// Evaluation steps: `start, start+step, ... <= end`. An instant query is `start == end`.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Steps {
    pub fn len(&self) -> usize {
        if self.end < self.start {
            return 0;
        }
        if self.step <= 0 {
            return 1;
        }
        ((self.end - self.start) / self.step + 1) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn at(&self, i: usize) -> i64 {
        self.start + self.step.max(0) * i as i64
    }
}

/// A range-vector function, with its scalar parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeFn {
    Rate,
    Irate,
    Increase,
    Delta,
    Idelta,
    Deriv,
    PredictLinear { seconds: f64 },
    Resets,
    Changes,
    AvgOverTime,
    MinOverTime,
    MaxOverTime,
    SumOverTime,
    CountOverTime,
    LastOverTime,
    FirstOverTime,
    PresentOverTime,
    StddevOverTime,
    StdvarOverTime,
    QuantileOverTime { q: f64 },
    MadOverTime,
    DoubleExponentialSmoothing { sf: f64, tf: f64 },
    TsOfMinOverTime,
    TsOfMaxOverTime,
    TsOfFirstOverTime,
    TsOfLastOverTime,
}

impl RangeFn {
    /// The function by its PromQL name, with its parameters in argument order.
    pub fn from_name(name: &str, params: &[f64]) -> Result<RangeFn, String> {
        let p = |i: usize| -> Result<f64, String> {
            params.get(i).copied().ok_or_else(|| format!("{name} needs {} parameter(s), got {}", i + 1, params.len()))
        };
        Ok(match name {
            "rate" => RangeFn::Rate,
            "irate" => RangeFn::Irate,
            "increase" => RangeFn::Increase,
            "delta" => RangeFn::Delta,
            "idelta" => RangeFn::Idelta,
            "deriv" => RangeFn::Deriv,
            "predict_linear" => RangeFn::PredictLinear { seconds: p(0)? },
            "resets" => RangeFn::Resets,
            "changes" => RangeFn::Changes,
            "avg_over_time" => RangeFn::AvgOverTime,
            "min_over_time" => RangeFn::MinOverTime,
            "max_over_time" => RangeFn::MaxOverTime,
            "sum_over_time" => RangeFn::SumOverTime,
            "count_over_time" => RangeFn::CountOverTime,
            "last_over_time" => RangeFn::LastOverTime,
            "first_over_time" => RangeFn::FirstOverTime,
            "present_over_time" => RangeFn::PresentOverTime,
            "stddev_over_time" => RangeFn::StddevOverTime,
            "stdvar_over_time" => RangeFn::StdvarOverTime,
            "quantile_over_time" => RangeFn::QuantileOverTime { q: p(0)? },
            "mad_over_time" => RangeFn::MadOverTime,
            "double_exponential_smoothing" | "holt_winters" => RangeFn::DoubleExponentialSmoothing { sf: p(0)?, tf: p(1)? },
            "ts_of_min_over_time" => RangeFn::TsOfMinOverTime,
            "ts_of_max_over_time" => RangeFn::TsOfMaxOverTime,
            "ts_of_first_over_time" => RangeFn::TsOfFirstOverTime,
            "ts_of_last_over_time" => RangeFn::TsOfLastOverTime,
            _ => return Err(format!("unknown range function {name:?}")),
        })
    }
}

/// Kahan-Neumaier summation step: returns the new sum and compensation.
#[inline]
pub fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Prometheus's quantile over a set of values: linear interpolation between closest ranks,
/// NaN sorted first; q outside [0, 1] gives -Inf/+Inf.
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap(),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Least-squares slope and intercept, with x in seconds relative to `intercept_time`.
fn linear_regression(t: &[i64], v: &[f64], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = v[0];
    let mut const_y = true;
    for (i, (&ts, &y)) in t.iter().zip(v).enumerate() {
        if const_y && i > 0 && y != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (ts - intercept_time) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(y, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * y, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sum_x += c_x;
    sum_y += c_y;
    sum_xy += c_xy;
    sum_x2 += c_x2;
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    (slope, sum_y / n - slope * sum_x / n)
}

fn avg(v: &[f64]) -> f64 {
    let (mut sum, mut count) = (v[0], 1.0);
    let (mut mean, mut c) = (0.0, 0.0);
    let mut incremental = false;
    for (i, &x) in v[1..].iter().enumerate() {
        count = (i + 2) as f64;
        if !incremental {
            let (ns, nc) = kahan_inc(x, sum, c);
            if !ns.is_infinite() {
                (sum, c) = (ns, nc);
                continue;
            }
            // The running sum overflowed: switch to the incremental mean.
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(x / count, q * mean, q * c);
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

fn variance(v: &[f64]) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &x in v {
        count += 1.0;
        let delta = x - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (x - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

/// Index and value of the extreme sample; `better(cur, best)` decides (NaN never stays best).
fn extreme(t: &[i64], v: &[f64], better: impl Fn(f64, f64) -> bool) -> (i64, f64) {
    let (mut bt, mut bv) = (t[0], v[0]);
    for (&ts, &x) in t.iter().zip(v) {
        if better(x, bv) || bv.is_nan() {
            bt = ts;
            bv = x;
        }
    }
    (bt, bv)
}

fn double_exponential_smoothing(v: &[f64], sf: f64, tf: f64) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let (mut s0, mut s1, mut b) = (0.0, v[0], v[1] - v[0]);
    for (i, &x) in v.iter().enumerate().skip(1) {
        let scaled = sf * x;
        // The trend at this point (the raw first difference for the first step).
        b = if i == 1 { b } else { tf * (s1 - s0) + (1.0 - tf) * b };
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = scaled + y;
    }
    Some(s1)
}

/// The function's value for one window (samples `t`, `v`, at least one), or None when the
/// function has no result there. `eval_t` is the step's time.
pub fn eval_window(f: &RangeFn, t: &[i64], v: &[f64], eval_t: i64, range: i64, scratch: &mut Vec<f64>) -> Option<f64> {
    if t.is_empty() {
        return None;
    }
    let n = t.len();
    let range_start = eval_t - range;
    Some(match f {
        RangeFn::Rate => return extrapolated_rate(t, v, None, range_start, eval_t, range, true, true, &mut false),
        RangeFn::Increase => return extrapolated_rate(t, v, None, range_start, eval_t, range, true, false, &mut false),
        RangeFn::Delta => return extrapolated_rate(t, v, None, range_start, eval_t, range, false, false, &mut false),
        RangeFn::Irate | RangeFn::Idelta => {
            if n < 2 {
                return None;
            }
            let (pt, pv, lt, lv) = (t[n - 2], v[n - 2], t[n - 1], v[n - 1]);
            let interval = lt - pt;
            if interval == 0 {
                return None;
            }
            if *f == RangeFn::Irate {
                let diff = if lv < pv { lv } else { lv - pv };
                diff / (interval as f64 / 1000.0)
            } else {
                lv - pv
            }
        }
        RangeFn::Deriv => {
            if n < 2 {
                return None;
            }
            linear_regression(t, v, t[0]).0
        }
        RangeFn::PredictLinear { seconds } => {
            if n < 2 {
                return None;
            }
            let (slope, intercept) = linear_regression(t, v, eval_t);
            slope * seconds + intercept
        }
        RangeFn::Resets => v.windows(2).filter(|w| w[1] < w[0]).count() as f64,
        RangeFn::Changes => v.windows(2).filter(|w| !(w[1] == w[0] || (w[1].is_nan() && w[0].is_nan()))).count() as f64,
        RangeFn::AvgOverTime => avg(v),
        RangeFn::SumOverTime => {
            let (mut sum, mut c) = (0.0, 0.0);
            for &x in v {
                (sum, c) = kahan_inc(x, sum, c);
            }
            if sum.is_infinite() {
                sum
            } else {
                sum + c
            }
        }
        RangeFn::MinOverTime => extreme(t, v, |cur, best| cur < best).1,
        RangeFn::MaxOverTime => extreme(t, v, |cur, best| cur > best).1,
        RangeFn::TsOfMinOverTime => extreme(t, v, |cur, best| cur <= best).0 as f64 / 1000.0,
        RangeFn::TsOfMaxOverTime => extreme(t, v, |cur, best| cur >= best).0 as f64 / 1000.0,
        RangeFn::CountOverTime => n as f64,
        RangeFn::LastOverTime => v[n - 1],
        RangeFn::FirstOverTime => v[0],
        RangeFn::TsOfFirstOverTime => t[0] as f64 / 1000.0,
        RangeFn::TsOfLastOverTime => t[n - 1] as f64 / 1000.0,
        RangeFn::PresentOverTime => 1.0,
        RangeFn::StdvarOverTime => variance(v),
        RangeFn::StddevOverTime => variance(v).sqrt(),
        RangeFn::QuantileOverTime { q } => {
            scratch.clear();
            scratch.extend_from_slice(v);
            quantile(*q, scratch)
        }
        RangeFn::MadOverTime => {
            if v.iter().any(|x| x.is_nan()) {
                return Some(f64::NAN);
            }
            scratch.clear();
            scratch.extend_from_slice(v);
            let median = quantile(0.5, scratch);
            for x in scratch.iter_mut() {
                *x = (*x - median).abs();
            }
            quantile(0.5, scratch)
        }
        RangeFn::DoubleExponentialSmoothing { sf, tf } => return double_exponential_smoothing(v, *sf, *tf),
    })
}

/// Evaluates `f` over the window `(t - range, t]` at every step. `ts` must be strictly increasing.
/// Stale markers are skipped. Writes `out[i]`/`present[i]` for every step.
pub fn eval_range_series(f: &RangeFn, ts: &[i64], vs: &[f64], steps: &Steps, range: i64, out: &mut [f64], present: &mut [u8]) {
    let mut owned_t = Vec::new();
    let mut owned_v = Vec::new();
    let (ts, vs): (&[i64], &[f64]) = if vs.iter().any(|&x| is_stale_nan(x)) {
        for (&t, &v) in ts.iter().zip(vs) {
            if !is_stale_nan(v) {
                owned_t.push(t);
                owned_v.push(v);
            }
        }
        (&owned_t, &owned_v)
    } else {
        (ts, vs)
    };
    let mut scratch = Vec::new();
    for_each_window(ts, steps, range, |i, w, t| {
        let r = eval_window(f, &ts[w.clone()], &vs[w], t, range, &mut scratch);
        out[i] = r.unwrap_or(0.0);
        present[i] = u8::from(r.is_some());
    });
}

/// Calls `f(step index, sample index range, step time)` for the window `(t - range, t]` of every
/// step; `ts` sorted ascending.
fn for_each_window(ts: &[i64], steps: &Steps, range: i64, mut f: impl FnMut(usize, std::ops::Range<usize>, i64)) {
    let (mut lo, mut hi) = (0usize, 0usize);
    for i in 0..steps.len() {
        let t = steps.at(i);
        while lo < ts.len() && ts[lo] <= t - range {
            lo += 1;
        }
        hi = hi.max(lo);
        while hi < ts.len() && ts[hi] <= t {
            hi += 1;
        }
        f(i, lo..hi, t);
    }
}

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
fn extrapolated_rate(t: &[i64], v: &[f64], st: Option<&[i64]>, range_start: i64, range_end: i64, range_ms: i64, is_counter: bool, is_rate: bool, overlap: &mut bool) -> Option<f64> {
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

fn drop_stale<'a>(ts: &'a [i64], vs: &'a [f64]) -> (std::borrow::Cow<'a, [i64]>, std::borrow::Cow<'a, [f64]>) {
    if !vs.iter().any(|&x| is_stale_nan(x)) {
        return (std::borrow::Cow::Borrowed(ts), std::borrow::Cow::Borrowed(vs));
    }
    let (t, v): (Vec<i64>, Vec<f64>) = ts.iter().zip(vs).filter(|(_, &x)| !is_stale_nan(x)).map(|(&a, &b)| (a, b)).unzip();
    (std::borrow::Cow::Owned(t), std::borrow::Cow::Owned(v))
}

/// Instant-vector sampling: for each step t, the last sample in `(t - lookback, t]`, absent when
/// there is none or when it is a stale marker. `out_t` gets the sample's own timestamp.
pub fn instant_series(ts: &[i64], vs: &[f64], steps: &Steps, lookback: i64, out: &mut [f64], out_t: &mut [i64], present: &mut [u8]) {
    let mut hi = 0usize; // first index with ts > t
    for i in 0..steps.len() {
        let t = steps.at(i);
        while hi < ts.len() && ts[hi] <= t {
            hi += 1;
        }
        present[i] = 0;
        out[i] = 0.0;
        out_t[i] = 0;
        if hi > 0 {
            let j = hi - 1;
            if ts[j] > t - lookback && !is_stale_nan(vs[j]) {
                out[i] = vs[j];
                out_t[i] = ts[j];
                present[i] = 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::stale_nan;

    fn one(f: RangeFn, t: &[i64], v: &[f64], at: i64, range: i64) -> Option<f64> {
        let steps = Steps { start: at, end: at, step: 1 };
        let (mut out, mut present) = ([0.0], [0u8]);
        eval_range_series(&f, t, v, &steps, range, &mut out, &mut present);
        (present[0] == 1).then_some(out[0])
    }

    fn series(n: i64, every: i64, f: impl Fn(i64) -> f64) -> (Vec<i64>, Vec<f64>) {
        ((0..n).map(|i| i * every).collect(), (0..n).map(f).collect())
    }

    #[test]
    fn rate_of_a_steady_counter_is_its_slope() {
        // 10 per 10s = 1/s, window fully covered: extrapolation stays within the window.
        let (t, v) = series(100, 10_000, |i| (i * 10) as f64);
        let r = one(RangeFn::Rate, &t, &v, 500_000, 300_000).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        let inc = one(RangeFn::Increase, &t, &v, 500_000, 300_000).unwrap();
        assert!((inc - 300.0).abs() < 1e-9, "{inc}");
    }

    #[test]
    fn rate_handles_counter_resets() {
        let t = [10_000, 20_000, 30_000, 40_000];
        let v = [10.0, 20.0, 5.0, 15.0];
        // increase = (15 - 10) + 20 = 25 over 30s sampled, extrapolated by 5s at the end only
        // (start is limited by the zero point: 30 * 10/25 = 12s > 5s, so 5s as well).
        let inc = one(RangeFn::Increase, &t, &v, 45_000, 40_000).unwrap();
        assert!((inc - 25.0 * 40.0 / 30.0).abs() < 1e-9, "{inc}");
        assert_eq!(one(RangeFn::Resets, &t, &v, 45_000, 40_000), Some(1.0));
        assert_eq!(one(RangeFn::Changes, &t, &v, 45_000, 40_000), Some(3.0));
    }

    #[test]
    fn window_is_open_on_the_left() {
        let t = [0, 60_000, 120_000];
        let v = [1.0, 2.0, 3.0];
        assert_eq!(one(RangeFn::CountOverTime, &t, &v, 120_000, 60_000), Some(1.0));
        assert_eq!(one(RangeFn::CountOverTime, &t, &v, 120_000, 60_001), Some(2.0));
        assert_eq!(one(RangeFn::Rate, &t, &v, 120_000, 60_000), None);
    }

    #[test]
    fn irate_and_idelta_use_the_last_two_samples() {
        let t = [0, 10_000, 20_000];
        let v = [0.0, 100.0, 50.0];
        assert_eq!(one(RangeFn::Irate, &t, &v, 20_000, 60_000), Some(5.0));
        assert_eq!(one(RangeFn::Idelta, &t, &v, 20_000, 60_000), Some(-50.0));
    }

    #[test]
    fn over_time_aggregations() {
        let t = [1000, 2000, 3000, 4000];
        let v = [4.0, 1.0, 3.0, 2.0];
        let at = |f| one(f, &t, &v, 4000, 10_000).unwrap();
        assert_eq!(at(RangeFn::AvgOverTime), 2.5);
        assert_eq!(at(RangeFn::SumOverTime), 10.0);
        assert_eq!(at(RangeFn::MinOverTime), 1.0);
        assert_eq!(at(RangeFn::MaxOverTime), 4.0);
        assert_eq!(at(RangeFn::TsOfMinOverTime), 2.0);
        assert_eq!(at(RangeFn::LastOverTime), 2.0);
        assert_eq!(at(RangeFn::FirstOverTime), 4.0);
        assert_eq!(at(RangeFn::StdvarOverTime), 1.25);
        assert_eq!(at(RangeFn::QuantileOverTime { q: 0.5 }), 2.5);
        assert_eq!(at(RangeFn::MadOverTime), 1.0);
        assert!((at(RangeFn::Deriv) + 0.4).abs() < 1e-12);
        assert_eq!(at(RangeFn::PresentOverTime), 1.0);
    }

    #[test]
    fn stale_markers_are_not_samples() {
        let t = [1000, 2000, 3000];
        let v = [1.0, stale_nan(), 5.0];
        assert_eq!(one(RangeFn::CountOverTime, &t, &v, 3000, 10_000), Some(2.0));
        let steps = Steps { start: 2000, end: 3000, step: 1000 };
        let (mut out, mut ot, mut p) = ([0.0; 2], [0i64; 2], [0u8; 2]);
        instant_series(&t, &v, &steps, 300_000, &mut out, &mut ot, &mut p);
        assert_eq!(p, [0, 1], "a stale marker ends the series until the next sample");
        assert_eq!((out[1], ot[1]), (5.0, 3000));
    }

    #[test]
    fn instant_lookback_is_open_on_the_left() {
        let t = [0];
        let v = [7.0];
        let steps = Steps { start: 0, end: 600_000, step: 300_000 };
        let (mut out, mut ot, mut p) = ([0.0; 3], [0i64; 3], [0u8; 3]);
        instant_series(&t, &v, &steps, 300_000, &mut out, &mut ot, &mut p);
        assert_eq!(p, [1, 0, 0]);
    }

    #[test]
    fn kahan_summation_keeps_small_terms() {
        let t = [1, 2, 3];
        let v = [1e100, 1.0, -1e100];
        assert_eq!(one(RangeFn::SumOverTime, &t, &v, 3, 10), Some(1.0));
    }

    #[test]
    fn predict_linear_extrapolates() {
        let (t, v) = series(10, 1000, |i| i as f64 * 2.0);
        let p = one(RangeFn::PredictLinear { seconds: 10.0 }, &t, &v, 9000, 100_000).unwrap();
        assert!((p - 38.0).abs() < 1e-9, "{p}");
    }
}
