//! Range-vector functions and instant-vector sampling over the samples of one series, evaluated
//! at every step of a query in one pass.
//!
//! Semantics are Prometheus 3.x's: a range window is `(t - range, t]` (open on the left), stale
//! markers are not samples, rate/increase/delta extrapolate towards the window's edges, sums use
//! Kahan-Neumaier compensation so results match Prometheus to the last bit where it matters.

use crate::chunkenc::is_stale_nan;

mod extended;
mod math;
mod rate;

pub use extended::{eval_extended_series, smoothed_instant_series, Extension};
use math::{avg, double_exponential_smoothing, extreme, linear_regression, variance};
pub use math::{kahan_inc, quantile};
use rate::extrapolated_rate;
pub use rate::{eval_range_series_st, is_start_timestamp_reset, reads_start_timestamps, start_time_overlaps};

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
pub(super) fn for_each_window(ts: &[i64], steps: &Steps, range: i64, mut f: impl FnMut(usize, std::ops::Range<usize>, i64)) {
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

pub(super) fn drop_stale<'a>(ts: &'a [i64], vs: &'a [f64]) -> (std::borrow::Cow<'a, [i64]>, std::borrow::Cow<'a, [f64]>) {
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
