//! `NativeWalWatcher`: the remote-write WAL watcher (tsdb::remote::watcher) for one queue.
//! Opening (which reads every series record of the WAL) and reading run on a worker thread and
//! answer with a promise, so a large WAL never stalls the event loop. A read returns either the
//! new series to relabel (one label-set buffer) or the ready batches (one payload buffer with
//! typed arrays describing its parts); the queue's verdicts on new series come back in one call.

use crate::{decode_label_sets, encode_label_sets, js_err};
use node_api::{Class, Env, JsError, JsResult, Value};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use tsdb::remote::watcher::{Options, Position, Step, Watcher};
use tsdb::remote::{Metadata, Protocol};

type Shared = Arc<Mutex<Option<Watcher>>>;

pub struct WatcherHandle {
    /// None until `open` has finished.
    w: Shared,
    /// What `open` opens with; taken by it.
    open_with: Mutex<Option<(String, Option<Position>, Options)>>,
}
impl Class for WatcherHandle {
    const TAG: u64 = 0x5052_4d54_5257_0004;
}

fn shared(env: &Env, this: Value) -> JsResult<Shared> {
    Ok(Arc::clone(&env.unwrap::<WatcherHandle>(this)?.w))
}

/// The watcher for a synchronous call. The queue calls one thing at a time; a call while a
/// background open or read holds the watcher is refused rather than left to block the event loop.
fn with_watcher<R>(env: &Env, this: Value, f: impl FnOnce(&mut Watcher) -> JsResult<R>) -> JsResult<R> {
    let h = env.unwrap::<WatcherHandle>(this)?;
    let mut guard: MutexGuard<'_, Option<Watcher>> = match h.w.try_lock() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) => return Err(JsError::with_code("ERR_WATCHER_BUSY", "the WAL watcher is busy with a read: await it first")),
        Err(TryLockError::Poisoned(_)) => return Err(JsError::new("WAL watcher poisoned")),
    };
    let w = guard.as_mut().ok_or_else(|| JsError::with_code("ERR_WATCHER_NOT_OPEN", "the WAL watcher is not open: await open() first"))?;
    f(w)
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

/// `new NativeWalWatcher(walDir, start: Float64Array [segment, offset, skip] | null, { protocol, sendExemplars, sendHistograms, maxSamples, shards, compress })`:
/// checks the arguments only; `open()` reads the WAL.
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
    env.wrap(ci.this, WatcherHandle { w: Arc::new(Mutex::new(None)), open_with: Mutex::new(Some((dir, start, opts))) })?;
    env.undefined()
}

/// `open()`: a promise, resolved once the series before the start are read (on a worker thread).
pub fn watcher_open(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let h = env.unwrap::<WatcherHandle>(ci.this)?;
    let args = h.open_with.lock().map_err(|_| JsError::new("WAL watcher poisoned"))?.take();
    let (dir, start, opts) = args.ok_or_else(|| JsError::with_code("ERR_WATCHER_OPENED", "the WAL watcher was opened already"))?;
    let slot = shared(env, ci.this)?;
    env.spawn(
        "promethium.walWatcherOpen",
        move || {
            let w = Watcher::open(std::path::Path::new(&dir), start, opts).map_err(js_err)?;
            *slot.lock().map_err(|_| JsError::new("WAL watcher poisoned"))? = Some(w);
            Ok(())
        },
        |env, ()| env.undefined(),
    )
}

/// `read(flush, minT)`: a promise (the read runs on a worker thread) of `{ series: Uint8Array }`
/// (label sets to relabel), `{ payload, ends, shard, samples, exemplars, histograms, maxT, starts }` (batches;
/// `starts` three numbers each), or null (idle).
pub fn watcher_read(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let flush = env.get_bool(ci.arg(0)?, "flush")?;
    let min_t = env.get_f64(ci.arg(1)?, "minT")?;
    let min_t = if min_t.is_finite() { min_t as i64 } else { i64::MIN };
    let slot = shared(env, ci.this)?;
    env.spawn(
        "promethium.walWatcherRead",
        move || {
            let mut guard = slot.lock().map_err(|_| JsError::new("WAL watcher poisoned"))?;
            let w = guard.as_mut().ok_or_else(|| JsError::with_code("ERR_WATCHER_NOT_OPEN", "the WAL watcher is not open: await open() first"))?;
            w.read(flush, min_t).map_err(js_err)
        },
        step_value,
    )
}

fn step_value(env: &Env, step: Step) -> JsResult<Value> {
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
/// (0 dropped, 1 kept with the next of `labels`, 2 kept as offered: the common case without
/// relabeling costs no label encoding), the changed ones' labels as one label-set buffer, and
/// optionally every kept one's metadata as label sets `{type, help, unit}` (type a decimal code).
pub fn watcher_resolve(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let keep = env.get_typed::<u8>(ci.arg(0)?, "keep")?;
    let mut labels = decode_label_sets(env.get_typed::<u8>(ci.arg(1)?, "labels")?)?.into_iter();
    let mut metadata = match ci.args.get(2) {
        Some(&m) if env.type_of(m)? != node_api::JsType::Undefined => Some(decode_label_sets(env.get_typed::<u8>(m, "metadata")?)?.into_iter()),
        _ => None,
    };
    with_watcher(env, ci.this, |w| {
        let mut verdicts = Vec::with_capacity(keep.len());
        for (i, &k) in keep.iter().enumerate() {
            let l = match k {
                0 => {
                    verdicts.push(None);
                    continue;
                }
                1 => labels.next().ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", "fewer label sets than changed series"))?,
                2 => w.offered_labels(i).cloned().ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("series {i} kept as offered, but fewer were offered")))?,
                _ => return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("verdict {k}: 0, 1 or 2"))),
            };
            let md = metadata.as_mut().and_then(|m| m.next()).map(|m| Metadata { metric_type: m.get("type").and_then(|t| t.parse().ok()).unwrap_or(0), help: m.get("help").unwrap_or("").to_string(), unit: m.get("unit").unwrap_or("").to_string() });
            verdicts.push(Some((l, md)));
        }
        w.resolve(verdicts).map_err(js_err)
    })?;
    env.undefined()
}

pub fn watcher_position(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = with_watcher(env, ci.this, |w| Ok(w.position()))?;
    position_value(env, p)
}

/// `heldStart()`: where the oldest sample of an unfinished batch is, or null.
pub fn watcher_held_start(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = with_watcher(env, ci.this, |w| Ok(w.held_start()))?;
    match p {
        Some(p) => position_value(env, p),
        None => env.null(),
    }
}

pub fn watcher_held_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = with_watcher(env, ci.this, |w| Ok(w.held_samples()))?;
    env.double(n as f64)
}

pub fn watcher_set_shards(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = env.get_u32(ci.arg(0)?, "shards")?;
    with_watcher(env, ci.this, |w| {
        w.set_shards(n as usize);
        Ok(())
    })?;
    env.undefined()
}

pub fn watcher_set_protocol(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let p = protocol(env.get_u32(ci.arg(0)?, "protocol")?)?;
    with_watcher(env, ci.this, |w| {
        w.set_protocol(p);
        Ok(())
    })?;
    env.undefined()
}

/// `skipTo(segment)`: the backlog bound moved past this queue's position. A promise: the skipped
/// segments are still read for their series, on a worker thread.
pub fn watcher_skip_to(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = env.get_u32(ci.arg(0)?, "segment")?;
    let slot = shared(env, ci.this)?;
    env.spawn(
        "promethium.walWatcherSkip",
        move || {
            let mut guard = slot.lock().map_err(|_| JsError::new("WAL watcher poisoned"))?;
            let w = guard.as_mut().ok_or_else(|| JsError::with_code("ERR_WATCHER_NOT_OPEN", "the WAL watcher is not open: await open() first"))?;
            w.skip_to(s).map_err(js_err)
        },
        |env, ()| env.undefined(),
    )
}

pub fn watcher_stats(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = with_watcher(env, ci.this, |w| Ok(w.stats.clone()))?;
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

/// `db.truncateAgentWal(mint)`: the agent's WAL truncation on a worker thread (it reads and
/// rewrites the checkpointed segments); resolves with what it did.
pub fn db_truncate_agent_wal(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = crate::db_of(env, ci.this)?;
    let mint = env.get_i64(ci.arg(0)?, "mint")?;
    env.spawn(
        "promethium.truncateAgentWal",
        move || {
            let r = db.truncate_agent_wal(mint).map_err(crate::js_err);
            crate::memory::trim();
            r
        },
        |env, t| {
            let o = crate::counts(env, &[("seriesRemoved", t.series_removed), ("seriesPendingDeletion", t.series_pending_deletion)])?;
            env.set(o, "checkpointThrough", match t.checkpoint_through {
                Some(s) => env.double(f64::from(s))?,
                None => env.null()?,
            })?;
            Ok(o)
        },
    )
}
