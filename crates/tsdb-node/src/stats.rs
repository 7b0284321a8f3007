//! The database's statistics, start time and WAL replay summary as JavaScript objects
//! (`stats()`, `startTime()`, `replayInfo()` of `NativeDb`): small answers built field by field.

use crate::db_of;
use node_api::{Env, JsResult, Value};
use tsdb::db::DbStats;

fn pairs(env: &Env, list: &[(String, u64)]) -> JsResult<Value> {
    let items: Vec<Value> = list
        .iter()
        .map(|(n, v)| {
            let o = env.object()?;
            env.set(o, "name", env.string(n)?)?;
            env.set(o, "value", env.double(*v as f64)?)?;
            Ok(o)
        })
        .collect::<JsResult<_>>()?;
    env.array(&items)
}

fn stats_value(env: &Env, s: &DbStats) -> JsResult<Value> {
    let o = env.object()?;
    let num = |k: &str, x: f64| -> JsResult<()> { env.set(o, k, env.double(x)?) };
    num("numSeries", s.num_series as f64)?;
    num("numLabelPairs", s.num_label_pairs as f64)?;
    num("chunkCount", s.chunk_count as f64)?;
    num("headChunkBytes", s.head_chunk_bytes as f64)?;
    env.set(o, "minTime", match s.min_time { Some(t) => env.double(t as f64)?, None => env.null()? })?;
    env.set(o, "maxTime", match s.max_time { Some(t) => env.double(t as f64)?, None => env.null()? })?;
    num("walBytes", s.wal_bytes as f64)?;
    num("blocksBytes", s.blocks_bytes as f64)?;
    let c = &s.counters;
    let counters = env.object()?;
    for (k, v) in [
        ("samplesAppended", c.samples_appended),
        ("outOfOrder", c.out_of_order),
        ("duplicate", c.duplicate),
        ("tooOld", c.too_old),
        ("outOfBounds", c.out_of_bounds),
        ("unknownRef", c.unknown_ref),
        ("seriesCreated", c.series_created),
        ("seriesRemoved", c.series_removed),
        ("walCorruptions", c.wal_corruptions),
        ("compactions", c.compactions),
        ("compactionsFailed", c.compactions_failed),
        ("headTruncations", c.head_truncations),
        ("checkpoints", c.checkpoints),
        ("blocksDeletedByRetention", c.blocks_deleted_by_retention),
    ] {
        env.set(counters, k, env.double(v as f64)?)?;
    }
    env.set(o, "counters", counters)?;
    let blocks: Vec<Value> = s
        .blocks
        .iter()
        .map(|b| {
            let x = env.object()?;
            env.set(x, "ulid", env.string(&b.ulid)?)?;
            env.set(x, "minTime", env.double(b.min_time as f64)?)?;
            env.set(x, "maxTime", env.double(b.max_time as f64)?)?;
            env.set(x, "numSamples", env.double(b.num_samples as f64)?)?;
            env.set(x, "numSeries", env.double(b.num_series as f64)?)?;
            env.set(x, "numChunks", env.double(b.num_chunks as f64)?)?;
            env.set(x, "level", env.double(b.level as f64)?)?;
            Ok(x)
        })
        .collect::<JsResult<_>>()?;
    env.set(o, "blocks", env.array(&blocks)?)?;
    env.set(o, "seriesCountByMetricName", pairs(env, &s.series_count_by_metric_name)?)?;
    env.set(o, "labelValueCountByLabelName", pairs(env, &s.label_value_count_by_label_name)?)?;
    env.set(o, "memoryInBytesByLabelName", pairs(env, &s.memory_in_bytes_by_label_name)?)?;
    env.set(o, "seriesCountByLabelValuePair", pairs(env, &s.series_count_by_label_value_pair)?)?;
    Ok(o)
}

pub(crate) fn db_stats(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let limit = match ci.args.first() {
        Some(&v) if env.type_of(v)? == node_api::JsType::Number => env.get_u32(v, "limit")? as usize,
        _ => 10,
    };
    stats_value(env, &db.stats(limit))
}

/// `statsAsync(limit)`: `stats(limit)` read on the thread pool, a promise of the same answer.
/// The head's totals walk every series under the read lock, which waits for the head truncation's
/// write-lock steps: /metrics must not make the event loop wait for that.
pub(crate) fn db_stats_async(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let limit = env.get_u32(ci.arg(0)?, "limit")? as usize;
    env.spawn("promethium.stats", move || Ok(db.stats(limit)), |env, s| stats_value(env, &s))
}

/// `startTime()`: where the data starts (ms; the oldest block's start or the head's oldest sample), null when empty.
pub(crate) fn db_start_time(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    match db.start_time() {
        Some(t) => env.double(t as f64),
        None => env.null(),
    }
}

pub(crate) fn db_replay_info(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let r = &db.replay;
    let o = env.object()?;
    env.set(o, "series", env.double(r.series as f64)?)?;
    env.set(o, "samples", env.double(r.samples as f64)?)?;
    env.set(o, "durationMs", env.double(r.duration_ms)?)?;
    match &r.corruption {
        Some(c) => {
            let x = env.object()?;
            env.set(x, "segment", env.double(c.segment as f64)?)?;
            env.set(x, "offset", env.double(c.offset as f64)?)?;
            env.set(x, "reason", env.string(&c.reason)?)?;
            env.set(o, "corruption", x)?;
        }
        None => env.set(o, "corruption", env.null()?)?,
    }
    Ok(o)
}
