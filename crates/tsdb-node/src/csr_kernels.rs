//! Range functions and the `smoothed` instant selector over samples JavaScript holds in CSR form
//! (a subquery's inner result, series merged from remote_read): one call per selection, the
//! samples crossing as typed arrays.

use crate::{js_err, matrix_value, range_fn_of, steps_of};
use node_api::{Env, JsError, JsResult, Value};
use tsdb::db::Matrix;
use tsdb::kernels::{eval_extended_series, eval_range_series, smoothed_instant_series, Extension};

/// CSR samples from arguments `first..first+3` (offsets, t, v), checked.
fn csr_args<'a>(env: &'a Env, ci: &node_api::CallInfo, first: usize) -> JsResult<(&'a [u32], &'a [f64], &'a [f64])> {
    let offsets = env.get_typed::<u32>(ci.arg(first)?, "offsets")?;
    let t = env.get_typed::<f64>(ci.arg(first + 1)?, "t")?;
    let v = env.get_typed::<f64>(ci.arg(first + 2)?, "v")?;
    if offsets.is_empty() || t.len() != v.len() || *offsets.last().unwrap() as usize > t.len() || offsets.windows(2).any(|w| w[1] < w[0]) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "offsets must be non-decreasing and end within t and v, which must have the same length"));
    }
    Ok((offsets, t, v))
}

/// Each series' samples of a CSR set (timestamps as integers, strictly increasing), in turn.
fn for_each_csr_series(offsets: &[u32], t: &[f64], v: &[f64], mut f: impl FnMut(usize, &[i64], &[f64])) -> JsResult<()> {
    let mut ts: Vec<i64> = Vec::new();
    for i in 0..offsets.len() - 1 {
        let r = offsets[i] as usize..offsets[i + 1] as usize;
        ts.clear();
        ts.extend(t[r.clone()].iter().map(|&x| x as i64));
        if ts.windows(2).any(|w| w[1] <= w[0]) {
            return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("timestamps of series {i} are not strictly increasing")));
        }
        tsdb::limits::check().map_err(js_err)?;
        f(i, &ts, &v[r]);
    }
    Ok(())
}

/// A range function over samples given in CSR form (e.g. a subquery's inner result, or series
/// merged from remote_read); optional `modifier` ("anchored" | "smoothed") and `lookback` as
/// `NativeSelection.evalRange` takes them.
pub(crate) fn eval_range_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let f = range_fn_of(env, ci)?;
    let (offsets, t, v) = csr_args(env, ci, 2)?;
    let steps = steps_of(env, ci, 5)?;
    let range = env.get_i64(ci.arg(8)?, "range")?;
    let ext = match ci.args.get(9) {
        Some(&m) if env.type_of(m)? == node_api::JsType::String => {
            let name = env.get_string(m, "modifier")?;
            let ext = Extension::from_name(&name).ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("unknown range modifier {name:?}")))?;
            Some((ext, env.get_i64(ci.arg(10)?, "lookback")?))
        }
        _ => None,
    };
    let n = steps.len();
    let mut m = Matrix::alloc(offsets.len() - 1, n, false).map_err(js_err)?;
    for_each_csr_series(offsets, t, v, |i, ts, vs| {
        let o = i * n..(i + 1) * n;
        match ext {
            Some((ext, lookback)) => eval_extended_series(&f, ext, ts, vs, &steps, range, lookback, &mut m.values[o.clone()], &mut m.present[o]),
            None => eval_range_series(&f, ts, vs, &steps, range, &mut m.values[o.clone()], &mut m.present[o]),
        }
    })?;
    matrix_value(env, m, false)
}

/// `instantSmoothedSamples(offsets, t, v, start, end, step, lookback)`: a `smoothed` instant
/// selector over CSR samples, as `NativeSelection.instant(..., "smoothed")` answers it.
pub(crate) fn instant_smoothed_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let (offsets, t, v) = csr_args(env, ci, 0)?;
    let steps = steps_of(env, ci, 3)?;
    let lookback = env.get_i64(ci.arg(6)?, "lookback")?;
    let n = steps.len();
    let mut m = Matrix::alloc(offsets.len() - 1, n, true).map_err(js_err)?;
    for_each_csr_series(offsets, t, v, |i, ts, vs| {
        let o = i * n..(i + 1) * n;
        smoothed_instant_series(ts, vs, &steps, lookback, &mut m.values[o.clone()], &mut m.present[o]);
    })?;
    // Interpolated values have no sample timestamp: the step's own time, as sel_instant reports it.
    for (k, ts) in m.timestamps.iter_mut().enumerate() {
        *ts = steps.at(k % n.max(1));
    }
    matrix_value(env, m, true)
}

