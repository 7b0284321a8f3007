//! `NativeDb`'s exemplar methods: a batch of exemplars in, the exemplars of matching series out,
//! each as typed arrays plus one label-set buffer.

use crate::{counts, db_of, decode_label_sets, encode_label_sets, int_millis, js_err, matchers_of, to_f64};
use node_api::{Env, JsError, JsResult, Value};
use tsdb::exemplars::Exemplar;

/// `appendExemplars(refs, timestamps, values, labelSets)`: exemplar i belongs to series refs[i].
pub(crate) fn db_append_exemplars(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let refs = env.get_typed::<u32>(ci.arg(0)?, "refs")?;
    let ts = env.get_typed::<f64>(ci.arg(1)?, "timestamps")?;
    let vs = env.get_typed::<f64>(ci.arg(2)?, "values")?;
    let labels = decode_label_sets(env.get_typed::<u8>(ci.arg(3)?, "labelSets")?)?;
    if ts.len() != refs.len() || vs.len() != refs.len() || labels.len() != refs.len() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("refs, timestamps, values and label sets differ in length ({}, {}, {}, {})", refs.len(), ts.len(), vs.len(), labels.len())));
    }
    let ts = int_millis(ts, "exemplar timestamp")?;
    let items: Vec<(u32, Exemplar)> = labels.into_iter().enumerate().map(|(i, l)| (refs[i], Exemplar { labels: l, value: vs[i], t: ts[i] })).collect();
    let st = db.append_exemplars(&items).map_err(js_err)?;
    counts(env, &[("appended", st.appended), ("duplicate", st.duplicate), ("outOfOrder", st.out_of_order), ("labelsTooLong", st.labels_too_long), ("unknownRef", st.unknown_ref)])
}

/// `selectExemplars(matcherSets, mint, maxt)`: series label sets, and per series (from
/// `offsets[i]` to `offsets[i+1]`) the exemplars' label sets, timestamps and values.
pub(crate) fn db_select_exemplars(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let sets = env.get_array(ci.arg(0)?, "matcherSets")?.into_iter().map(|m| matchers_of(env, m)).collect::<JsResult<Vec<_>>>()?;
    let mint = env.get_i64(ci.arg(1)?, "mint")?;
    let maxt = env.get_i64(ci.arg(2)?, "maxt")?;
    let found = db.select_exemplars(&sets, mint, maxt).map_err(js_err)?;
    let mut offsets = vec![0u32];
    let (mut labels, mut ts, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for (_, list) in &found {
        for e in list {
            labels.push(e.labels.clone());
            ts.push(e.t);
            vs.push(e.value);
        }
        offsets.push(ts.len() as u32);
    }
    let series: Vec<_> = found.into_iter().map(|(l, _)| l).collect();
    let o = env.object()?;
    env.set(o, "series", env.typed(&encode_label_sets(&series))?)?;
    env.set(o, "offsets", env.typed(&offsets)?)?;
    env.set(o, "labels", env.typed(&encode_label_sets(&labels))?)?;
    env.set(o, "t", env.typed(&to_f64(&ts))?)?;
    env.set(o, "v", env.typed(&vs)?)?;
    Ok(o)
}

/// `setMaxExemplars(n)` (a config reload of `storage.exemplars.max_exemplars`).
pub(crate) fn db_set_max_exemplars(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let n = env.get_f64(ci.arg(0)?, "maxExemplars")?;
    if !(n >= 0.0 && n.fract() == 0.0) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxExemplars {n} is not a count")));
    }
    db.set_max_exemplars(n as usize).map_err(js_err)?;
    env.undefined()
}

pub(crate) fn db_exemplar_stats(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = db_of(env, ci.this)?.exemplar_stats().map_err(js_err)?;
    exemplar_stats_value(env, s)
}

/// exemplarStatsAsync(): exemplarStats on the thread pool. It reads under the head's state lock,
/// which a head cut holds for writing: `/metrics` asked for it on the event loop and waited there
/// (181 ms measured at 1M series).
pub(crate) fn db_exemplar_stats_async(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    env.spawn("promethium.exemplarStats", move || db.exemplar_stats().map_err(js_err), exemplar_stats_value)
}

fn exemplar_stats_value(env: &Env, s: tsdb::db::ExemplarStats) -> JsResult<Value> {
    counts(
        env,
        &[("maxExemplars", s.max_exemplars), ("exemplarsInStorage", s.exemplars_in_storage), ("seriesWithExemplars", s.series_with_exemplars), ("appendedTotal", s.appended_total), ("outOfOrderTotal", s.out_of_order_total)],
    )
}
