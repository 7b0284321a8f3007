//! `NativeWalWatcher`: the remote-write WAL watcher (tsdb::remote::watcher) for one queue. One
//! call returns either the new series to relabel (one label-set buffer) or the ready batches (one
//! payload buffer with typed arrays describing its parts); the queue's verdicts on new series
//! come back in one call.

use crate::{decode_label_sets, encode_label_sets, js_err};
use node_api::{Class, Env, JsError, JsResult, Value};
use std::sync::Mutex;
use tsdb::remote::watcher::{Options, Position, Step, Watcher};
use tsdb::remote::{Metadata, Protocol};

pub struct WatcherHandle {
    w: Mutex<Watcher>,
}
impl Class for WatcherHandle {
    const TAG: u64 = 0x5052_4d54_5257_0004;
}

fn watcher<'a>(env: &Env, this: Value) -> JsResult<std::sync::MutexGuard<'a, Watcher>> {
    let h: &'a WatcherHandle = env.unwrap::<WatcherHandle>(this)?;
    h.w.lock().map_err(|_| JsError::new("WAL watcher poisoned"))
}

fn protocol(n: u32) -> JsResult<Protocol> {
    match n {
        1 => Ok(Protocol::V1),
        2 => Ok(Protocol::V2),
        _ => Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("remote-write protocol {n}: 1 or 2"))),
    }
}

fn position_value(env: &Env, p: Position) -> JsResult<Value> {
    env.typed(&[f64::from(p.segment), p.offset as f64, f64::from(p.skip)])
}

/// `new NativeWalWatcher(walDir, start: Float64Array [segment, offset, skip] | null, { protocol, sendExemplars, sendHistograms, maxSamples, shards, compress })`.
pub fn watcher_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let dir = env.get_string(ci.arg(0)?, "walDir")?;
    let start = match env.type_of(ci.arg(1)?)? {
        node_api::JsType::Null | node_api::JsType::Undefined => None,
        _ => {
            let p = env.get_typed::<f64>(ci.arg(1)?, "start")?;
            if p.len() != 3 || p.iter().any(|x| !(x.is_finite() && *x >= 0.0 && x.fract() == 0.0)) {
                return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "start must be [segment, offset, skip], whole numbers"));
            }
            Some(Position { segment: p[0] as u32, offset: p[1] as u64, skip: p[2] as u32 })
        }
    };
    let o = ci.arg(2)?;
    let num = |k: &str| -> JsResult<u32> { env.get_u32(env.get(o, k)?.ok_or_else(|| JsError::type_error(format!("options.{k} is required")))?, k) };
    let flag = |k: &str| -> JsResult<bool> { env.get(o, k)?.map_or(Ok(false), |v| env.get_bool(v, k)) };
    let opts = Options { protocol: protocol(num("protocol")?)?, send_exemplars: flag("sendExemplars")?, send_histograms: flag("sendHistograms")?, max_samples: num("maxSamples")?.max(1) as usize, shards: num("shards")?.max(1) as usize, compress: flag("compress")? };
    let w = Watcher::open(std::path::Path::new(&dir), start, opts).map_err(js_err)?;
    env.wrap(ci.this, WatcherHandle { w: Mutex::new(w) })?;
    env.undefined()
}

/// `read(flush, minT)`: `{ series: Uint8Array }` (label sets to relabel), `{ payload, ends, shard,
/// samples, exemplars, histograms, maxT, starts }` (batches; `starts` three numbers each), or null (idle).
pub fn watcher_read(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let flush = env.get_bool(ci.arg(0)?, "flush")?;
    let min_t = env.get_f64(ci.arg(1)?, "minT")?;
    let min_t = if min_t.is_finite() { min_t as i64 } else { i64::MIN };
    let step = watcher(env, ci.this)?.read(flush, min_t).map_err(js_err)?;
    match step {
        Step::Idle => env.null(),
        Step::NewSeries(list) => {
            let o = env.object()?;
            let sets: Vec<tsdb::Labels> = list.into_iter().map(|(_, l)| l).collect();
            env.set(o, "series", env.typed_vec(encode_label_sets(&sets))?)?;
            Ok(o)
        }
        Step::Batches(batches) => {
            let total: usize = batches.iter().map(|b| b.payload.len()).sum();
            let mut payload = Vec::with_capacity(total);
            let (mut ends, mut shard, mut samples, mut exemplars, mut histograms, mut max_t, mut starts) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
            for b in batches {
                payload.extend_from_slice(&b.payload);
                ends.push(payload.len() as u32);
                shard.push(b.shard);
                samples.push(b.samples);
                exemplars.push(b.exemplars);
                histograms.push(b.histograms);
                max_t.push(b.max_t as f64);
                starts.extend([f64::from(b.start.segment), b.start.offset as f64, f64::from(b.start.skip)]);
            }
            let o = env.object()?;
            env.set(o, "payload", env.typed_vec(payload)?)?;
            env.set(o, "ends", env.typed_vec(ends)?)?;
            env.set(o, "shard", env.typed_vec(shard)?)?;
            env.set(o, "samples", env.typed_vec(samples)?)?;
            env.set(o, "exemplars", env.typed_vec(exemplars)?)?;
            env.set(o, "histograms", env.typed_vec(histograms)?)?;
            env.set(o, "maxT", env.typed_vec(max_t)?)?;
            env.set(o, "starts", env.typed_vec(starts)?)?;
            Ok(o)
        }
    }
}

/// `resolve(keep: Uint8Array, labels: Uint8Array, metadata?: Uint8Array)`: one byte per new series
/// (1 kept), the kept ones' labels after relabeling as one label-set buffer, and optionally their
/// metadata as label sets `{type, help, unit}` (type a decimal code) in the same order.
pub fn watcher_resolve(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let keep = env.get_typed::<u8>(ci.arg(0)?, "keep")?;
    let mut labels = decode_label_sets(env.get_typed::<u8>(ci.arg(1)?, "labels")?)?.into_iter();
    let mut metadata = match ci.args.get(2) {
        Some(&m) if env.type_of(m)? != node_api::JsType::Undefined => Some(decode_label_sets(env.get_typed::<u8>(m, "metadata")?)?.into_iter()),
        _ => None,
    };
    let mut verdicts = Vec::with_capacity(keep.len());
    for &k in keep {
        if k == 0 {
            verdicts.push(None);
            continue;
        }
        let l = labels.next().ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", "fewer label sets than kept series"))?;
        let md = metadata.as_mut().and_then(|m| m.next()).map(|m| Metadata { metric_type: m.get("type").and_then(|t| t.parse().ok()).unwrap_or(0), help: m.get("help").unwrap_or("").to_string(), unit: m.get("unit").unwrap_or("").to_string() });
        verdicts.push(Some((l, md)));
    }
    watcher(env, ci.this)?.resolve(verdicts).map_err(js_err)?;
    env.undefined()
}

pub fn watcher_position(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = watcher(env, ci.this)?.position();
    position_value(env, p)
}

/// `heldStart()`: where the oldest sample of an unfinished batch is, or null.
pub fn watcher_held_start(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = watcher(env, ci.this)?.held_start();
    match p {
        Some(p) => position_value(env, p),
        None => env.null(),
    }
}

pub fn watcher_held_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = watcher(env, ci.this)?.held_samples();
    env.double(n as f64)
}

pub fn watcher_set_shards(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = env.get_u32(ci.arg(0)?, "shards")?;
    watcher(env, ci.this)?.set_shards(n as usize).map_err(js_err)?;
    env.undefined()
}

pub fn watcher_set_protocol(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = protocol(env.get_u32(ci.arg(0)?, "protocol")?)?;
    watcher(env, ci.this)?.set_protocol(p);
    env.undefined()
}

/// `skipTo(segment)`: the backlog bound moved past this queue's position.
pub fn watcher_skip_to(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = env.get_u32(ci.arg(0)?, "segment")?;
    watcher(env, ci.this)?.skip_to(s).map_err(js_err)?;
    env.undefined()
}

pub fn watcher_stats(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = watcher(env, ci.this)?.stats.clone();
    crate::counts(env, &[("recordsSeries", s.records_series), ("recordsSamples", s.records_samples), ("recordsExemplars", s.records_exemplars), ("recordsHistograms", s.records_histograms), ("recordsOther", s.records_other), ("unknownRef", s.unknown_ref), ("tooOld", s.too_old), ("histogramsUnknownRef", s.histograms_unknown_ref), ("histogramsTooOld", s.histograms_too_old), ("skippedSamples", s.skipped_samples), ("segmentsLost", s.segments_lost), ("corruptions", s.corruptions)])
}

/// `snappyCompress(data)`: remote write's Snappy block compressor, for bodies built in JavaScript
/// (metadata requests) and for measuring it against the snappy package.
pub fn snappy_compress(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let data = env.get_typed::<u8>(ci.arg(0)?, "data")?;
    env.typed_vec(tsdb::snappy::encode(data))
}

/// `db.setWalRetentionFloor(segment | null)`: WAL segments from it on survive head truncation.
pub fn db_set_wal_retention_floor(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = crate::db_of(env, ci.this)?;
    let v = ci.arg(0)?;
    let floor = match env.type_of(v)? {
        node_api::JsType::Null | node_api::JsType::Undefined => None,
        _ => Some(env.get_u32(v, "segment")?),
    };
    db.set_wal_retention_floor(floor);
    env.undefined()
}
