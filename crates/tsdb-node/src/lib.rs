//! The Node addon: exposes `tsdb::Db` as `NativeDb`, selections as `NativeSelection` and the scrape
//! cache (crates/scrape) as `NativeScrapeCache`
//! (see docs/design/storage-api.md for the JavaScript contract). Bulk data crosses as typed
//! arrays or one buffer per call.

mod api_json;
mod csr_kernels;
mod memory;
mod exemplars;
mod histograms;
mod host;
mod query;
mod remote_write;
mod remote_receive;
mod scrape_cache;
mod selection_labels;
mod stats;
mod thread_clock;
mod write_hold;

use node_api::{register, Class, Env, JsError, JsResult, Persistent, Value};
use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use tsdb::db::{Db, Matrix, Options, Selection};
use tsdb::kernels::{Extension, RangeFn, Steps};
use tsdb::{Error, Labels, Matcher};

struct DbHandle {
    db: Mutex<Option<Arc<Db>>>,
    /// The id other threads attach with (see query.rs).
    id: u64,
    /// Whether this handle opened the database (closing it closes the database; closing an
    /// attached handle only lets go of it).
    owner: bool,
}
impl Class for DbHandle {
    const TAG: u64 = 0x5052_4d54_4442_0001;
}

/// A `NativeSelection`'s state until `release()`: a query releases its selections when it ends,
/// so that the next query reuses their memory (hundreds of bytes per series) instead of taking
/// fresh pages (a fault per 4 KiB) while the garbage collector has not yet found the wrapper.
struct SelHandle {
    sel: RefCell<Option<Arc<Selection>>>,
}
impl Class for SelHandle {
    const TAG: u64 = 0x5052_4d54_5345_4c02;
}

pub(crate) fn selection_of(env: &Env, this: Value) -> JsResult<Arc<Selection>> {
    let handle = env.unwrap::<SelHandle>(this)?;
    let sel = handle.sel.borrow().clone();
    sel.ok_or_else(|| JsError::with_code("ERR_INVALID_STATE", "the selection was released"))
}

/// A selection on its way from `NativeDb.select()` to the `NativeSelection` constructor, in an
/// External (no raw pointer); the constructor takes it out, so the External keeps no reference.
struct PendingSelection(RefCell<Option<Arc<Selection>>>);
impl Class for PendingSelection {
    const TAG: u64 = 0x5052_4d54_5345_4c03;
}

/// Per-environment module state.
struct Module {
    selection_ctor: Persistent,
}

pub(crate) fn js_err(e: Error) -> JsError {
    let code = match &e {
        Error::Locked(_) => "ELOCKED",
        Error::Invalid(_) => "ERR_INVALID_ARG_VALUE",
        Error::Corrupt(_) => "ECORRUPT",
        Error::Io { .. } => "EIO",
        Error::Closed => "ERR_DB_CLOSED",
        Error::Aborted(a) => match a {
            tsdb::limits::Abort::Timeout => "ERR_QUERY_TIMEOUT",
            tsdb::limits::Abort::TooManySamples => "ERR_QUERY_TOO_MANY_SAMPLES",
            tsdb::limits::Abort::Memory { .. } | tsdb::limits::Abort::TooLarge(_) => "ERR_QUERY_MEMORY",
        },
    };
    JsError::with_code(code, e.to_string())
}

pub(crate) fn db_of(env: &Env, this: Value) -> JsResult<Arc<Db>> {
    let h = env.unwrap::<DbHandle>(this)?;
    let guard = h.db.lock().map_err(|_| JsError::new("database handle poisoned"))?;
    guard.clone().ok_or_else(|| js_err(Error::Closed))
}

fn opt_number(env: &Env, obj: Value, key: &str) -> JsResult<Option<f64>> {
    match env.get(obj, key)? {
        Some(v) => Ok(Some(env.get_f64(v, key)?)),
        None => Ok(None),
    }
}

fn opt_bool(env: &Env, obj: Value, key: &str) -> JsResult<Option<bool>> {
    match env.get(obj, key)? {
        Some(v) if env.type_of(v)? != node_api::JsType::Undefined => Ok(Some(env.get_bool(v, key)?)),
        _ => Ok(None),
    }
}

fn db_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    // `new NativeDb(id)`: the database another thread of this process opened.
    if env.type_of(ci.arg(0)?)? == node_api::JsType::Number {
        let id = env.get_f64(ci.arg(0)?, "id")? as u64;
        let db = query::attach(id)?;
        env.wrap(ci.this, DbHandle { db: Mutex::new(Some(db)), id, owner: false })?;
        return env.undefined();
    }
    let dir = env.get_string(ci.arg(0)?, "dir")?;
    let mut opts = Options::default();
    if let Some(o) = ci.args.get(1).copied() {
        if env.type_of(o)? == node_api::JsType::Object {
            if let Some(x) = opt_number(env, o, "retentionMs")? {
                opts.retention_ms = x as i64;
            }
            if let Some(x) = opt_number(env, o, "retentionBytes")? {
                opts.retention_bytes = x as u64;
            }
            if let Some(x) = opt_number(env, o, "blockRangeMs")? {
                if x < 1000.0 {
                    return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "blockRangeMs must be at least 1000"));
                }
                opts.block_range_ms = x as i64;
            }
            if let Some(x) = opt_number(env, o, "samplesPerChunk")? {
                opts.samples_per_chunk = x as usize;
            }
            if let Some(x) = opt_number(env, o, "walSegmentSize")? {
                opts.wal_segment_size = x as usize;
            }
            if let Some(x) = opt_number(env, o, "maxExemplars")? {
                opts.max_exemplars = x as usize;
            }
            if let Some(v) = opt_bool(env, o, "xor2Chunks")? {
                opts.xor2_chunks = v;
            }
            if let Some(v) = opt_bool(env, o, "noLockfile")? {
                opts.no_lockfile = v;
            }
            if let Some(v) = opt_bool(env, o, "agent")? {
                opts.agent = v;
            }
            if let Some(x) = opt_number(env, o, "maxAheadMs")? {
                if !(x >= 0.0 && x.is_finite()) {
                    return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxAheadMs {x} must be finite and not negative")));
                }
                opts.max_ahead_ms = x as i64;
            }
        }
    }
    let db = Db::open(std::path::Path::new(&dir), opts).map_err(js_err)?;
    let db = Arc::new(db);
    let id = query::register(&db);
    env.wrap(ci.this, DbHandle { db: Mutex::new(Some(db)), id, owner: true })?;
    env.undefined()
}

/// Label sets from the buffer encoding: u32 count; per set u16 n; per label u32 len + name,
/// u32 len + value (little-endian, UTF-8).
pub(crate) fn decode_label_sets(b: &[u8]) -> JsResult<Vec<Labels>> {
    let bad = |why: &str| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("label-set buffer: {why}"));
    let mut pos = 0usize;
    let u32_at = |pos: &mut usize| -> JsResult<u32> {
        let s = b.get(*pos..*pos + 4).ok_or_else(|| bad("truncated"))?;
        *pos += 4;
        Ok(u32::from_le_bytes(s.try_into().unwrap()))
    };
    let count = u32_at(&mut pos)? as usize;
    let mut out = Vec::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let n = b.get(pos..pos + 2).ok_or_else(|| bad("truncated"))?;
        pos += 2;
        let n = u16::from_le_bytes([n[0], n[1]]) as usize;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let mut s = [String::new(), String::new()];
            for part in &mut s {
                let len = u32_at(&mut pos)? as usize;
                let bytes = b.get(pos..pos + len).ok_or_else(|| bad("truncated"))?;
                pos += len;
                *part = std::str::from_utf8(bytes).map_err(|_| bad("invalid UTF-8"))?.to_string();
            }
            let [name, value] = s;
            if name.is_empty() {
                return Err(bad("empty label name"));
            }
            pairs.push((name, value));
        }
        out.push(Labels::from_pairs(pairs));
    }
    if pos != b.len() {
        return Err(bad("trailing bytes"));
    }
    Ok(out)
}

pub(crate) fn encode_label_sets(sets: &[Labels]) -> Vec<u8> {
    let mut b = Vec::with_capacity(4 + sets.len() * 64);
    b.extend_from_slice(&(sets.len() as u32).to_le_bytes());
    for l in sets {
        b.extend_from_slice(&(l.len() as u16).to_le_bytes());
        for x in l.iter() {
            b.extend_from_slice(&(x.name.len() as u32).to_le_bytes());
            b.extend_from_slice(x.name.as_bytes());
            b.extend_from_slice(&(x.value.len() as u32).to_le_bytes());
            b.extend_from_slice(x.value.as_bytes());
        }
    }
    b
}

/// Refs of these label sets, created when new; a large batch asks for its transient memory to be
/// returned once the sets are dropped (memory.rs).
fn series_refs_of(db: &Db, sets: Vec<Labels>) -> JsResult<Vec<u32>> {
    let refs = db.series_refs(&sets).map_err(js_err)?;
    let many = sets.len() >= memory::TRIM_AFTER_SERIES;
    drop(sets);
    if many {
        memory::trim();
    }
    Ok(refs)
}

fn db_series_refs(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let sets = decode_label_sets(env.get_typed::<u8>(ci.arg(0)?, "label sets")?)?;
    env.typed(&series_refs_of(&db, sets)?)
}

/// seriesRefsAsync(labelSets): seriesRefs on the thread pool. Creating series takes the head's
/// write lock, which other targets' appends on the pool hold for tens of milliseconds, and logs
/// the new series in the WAL: a large target's first scrape waited seconds for both on the event
/// loop (100k series: `up` answered in 2-6 s while ten such targets were first scraped).
fn db_series_refs_async(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    // Decoded on the pool too: 100k sets take tens of milliseconds to turn into labels.
    let bytes = env.get_typed::<u8>(ci.arg(0)?, "label sets")?.to_vec();
    env.spawn(
        "promethium.seriesRefs",
        move || {
            let sets = decode_label_sets(&bytes)?;
            drop(bytes);
            series_refs_of(&db, sets)
        },
        |env, refs| env.typed(&refs),
    )
}

/// Millisecond timestamps from JavaScript numbers, refusing fractions and non-finite values.
pub(crate) fn int_millis(f: &[f64], what: &str) -> JsResult<Vec<i64>> {
    f.iter()
        .map(|&t| if t.fract() != 0.0 || !t.is_finite() { Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("{what} {t} is not an integer number of milliseconds"))) } else { Ok(t as i64) })
        .collect()
}

fn db_append(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let refs = env.get_typed::<u32>(ci.arg(0)?, "refs")?;
    let ts_f = env.get_typed::<f64>(ci.arg(1)?, "timestamps")?;
    let vs = env.get_typed::<f64>(ci.arg(2)?, "values")?;
    let ts = int_millis(ts_f, "timestamp")?;
    let sts = start_timestamps(env, ci, 3)?;
    let st = db.append(refs, &ts, vs, sts.as_deref()).map_err(js_err)?;
    append_counts(env, st)
}

/// appendAsync(refs, timestamps, values, startTimestamps?): append on the thread pool, for a
/// scrape's whole batch: the event loop does not wait for the head's lock or the WAL.
fn db_append_async(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    // Copied: the work runs on another thread while JavaScript may reuse the arrays.
    let refs = env.get_typed::<u32>(ci.arg(0)?, "refs")?.to_vec();
    let ts = int_millis(env.get_typed::<f64>(ci.arg(1)?, "timestamps")?, "timestamp")?;
    let vs = env.get_typed::<f64>(ci.arg(2)?, "values")?.to_vec();
    let sts = start_timestamps(env, ci, 3)?;
    env.spawn("promethium.append", move || db.append(&refs, &ts, &vs, sts.as_deref()).map_err(js_err), append_counts)
}

/// The optional argument `i`: the samples' start timestamps (0 = none).
pub(crate) fn start_timestamps(env: &Env, ci: &node_api::CallInfo, i: usize) -> JsResult<Option<Vec<i64>>> {
    match ci.args.get(i).copied() {
        Some(a) if env.type_of(a)? != node_api::JsType::Undefined => Ok(Some(int_millis(env.get_typed::<f64>(a, "startTimestamps")?, "start timestamp")?)),
        _ => Ok(None),
    }
}

/// An append's counts as JavaScript sees them (`NativeAppendResult`).
pub(crate) fn append_counts(env: &Env, st: tsdb::AppendStats) -> JsResult<Value> {
    counts(env, &[("appended", st.appended), ("outOfOrder", st.out_of_order), ("duplicate", st.duplicate), ("tooOld", st.too_old), ("outOfBounds", st.out_of_bounds), ("unknownRef", st.unknown_ref)])
}

/// An object of named counts, e.g. `{ appended, outOfOrder, ... }`.
pub(crate) fn counts(env: &Env, fields: &[(&str, u64)]) -> JsResult<Value> {
    let o = env.object()?;
    for &(name, n) in fields {
        env.set(o, name, env.double(n as f64)?)?;
    }
    Ok(o)
}

pub(crate) fn matchers_of(env: &Env, v: Value) -> JsResult<Vec<Matcher>> {
    let mut out = Vec::new();
    for (i, m) in env.get_array(v, "matchers")?.into_iter().enumerate() {
        let what = format!("matchers[{i}]");
        let typ = env.get_string(env.get(m, "type")?.ok_or_else(|| JsError::type_error(format!("{what}.type is missing")))?, &format!("{what}.type"))?;
        let name = env.get_string(env.get(m, "name")?.ok_or_else(|| JsError::type_error(format!("{what}.name is missing")))?, &format!("{what}.name"))?;
        let value = || -> JsResult<String> { env.get_string(env.get(m, "value")?.ok_or_else(|| JsError::type_error(format!("{what}.value is missing")))?, &format!("{what}.value")) };
        let values = || -> JsResult<Vec<String>> {
            let arr = env.get(m, "values")?.ok_or_else(|| JsError::type_error(format!("{what}.values is missing")))?;
            env.get_array(arr, &format!("{what}.values"))?.into_iter().map(|x| env.get_string(x, &format!("{what}.values[]"))).collect()
        };
        out.push(match typ.as_str() {
            "=" => Matcher::Equal { name, value: value()? },
            "!=" => Matcher::NotEqual { name, value: value()? },
            "in" => Matcher::In { name, values: values()? },
            "notin" => Matcher::NotIn { name, values: values()? },
            other => return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("{what}.type {other:?} is not one of =, !=, in, notin"))),
        });
    }
    Ok(out)
}

fn db_select(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let matchers = matchers_of(env, ci.arg(0)?)?;
    let mint = env.get_i64(ci.arg(1)?, "mint")?;
    let maxt = env.get_i64(ci.arg(2)?, "maxt")?;
    let sel = db.select(&matchers, mint, maxt).map_err(js_err)?;
    // The selection constructor receives the selection in an External that owns a shared
    // handle to it (freed when the External is collected).
    let module = env.instance_data::<Module>()?;
    let ctor = env.get_persistent(&module.selection_ctor)?;
    let ext = env.external(PendingSelection(RefCell::new(Some(Arc::new(sel)))))?;
    env.new_instance(ctor, &[ext])
}

fn sel_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let pending = ci.args.first().and_then(|&a| env.get_external::<PendingSelection>(a).ok());
    let Some(sel) = pending.and_then(|p| p.0.borrow_mut().take()) else {
        return Err(JsError::type_error("NativeSelection is created by NativeDb.select()"));
    };
    env.wrap(ci.this, SelHandle { sel: RefCell::new(Some(sel)) })?;
    env.undefined()
}

/// `release()`: lets go of the selection's memory; later calls on it throw. A large selection
/// (a query over many series) asks for its memory to be returned once the query is over: a
/// `sum(rate(...))` over 1M series took 1.3 GB more than the server held before it, kept for good.
fn sel_release(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let released = env.unwrap::<SelHandle>(ci.this)?.sel.borrow_mut().take();
    if released.is_some_and(|sel| sel.len() >= memory::TRIM_AFTER_SERIES) {
        memory::trim();
    }
    env.undefined()
}

fn sel_len(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    env.double(s.len() as f64)
}

pub(crate) fn to_f64(ts: &[i64]) -> Vec<f64> {
    ts.iter().map(|&t| t as f64).collect()
}

fn sel_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    // Optional: true keeps stale markers (remote read and the remote_read merge need them).
    let keep_stale = match ci.args.first() {
        Some(&a) if env.type_of(a)? == node_api::JsType::Boolean => env.get_bool(a, "keepStaleMarkers")?,
        _ => false,
    };
    let csr = s.samples_keeping_stale_markers(keep_stale).map_err(js_err)?;
    let o = env.object()?;
    env.set(o, "offsets", env.typed_vec(csr.offsets)?)?;
    env.set(o, "t", env.typed_vec(csr.t.into_iter().map(|t| t as f64).collect())?)?;
    env.set(o, "v", env.typed_vec(csr.v)?)?;
    Ok(o)
}

pub(crate) fn steps_of(env: &Env, ci: &node_api::CallInfo, first: usize) -> JsResult<Steps> {
    let start = env.get_i64(ci.arg(first)?, "start")?;
    let end = env.get_i64(ci.arg(first + 1)?, "end")?;
    let step = env.get_i64(ci.arg(first + 2)?, "step")?;
    if step <= 0 {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "step must be positive"));
    }
    if end < start {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "end must not be before start"));
    }
    // The step count is not capped here: every matrix over it is checked against the query's
    // limits (and the allocator) before it is allocated.
    if (end - start) / step >= i64::from(u32::MAX) * 16 {
        return Err(js_err(Error::Aborted(tsdb::limits::Abort::TooManySamples)));
    }
    Ok(Steps { start, end, step })
}

/// The matrix handed to JavaScript without a copy of its values and presence (the largest
/// arrays of a query); timestamps are converted to f64 in place.
pub(crate) fn matrix_value(env: &Env, m: Matrix, with_ts: bool) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, "values", env.typed_vec(m.values)?)?;
    env.set(o, "present", env.typed_vec(m.present)?)?;
    if with_ts {
        let ts: Vec<f64> = m.timestamps.into_iter().map(|t| t as f64).collect();
        env.set(o, "timestamps", env.typed_vec(ts)?)?;
    }
    Ok(o)
}

fn sel_instant(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    let steps = steps_of(env, ci, 0)?;
    let lookback = env.get_i64(ci.arg(3)?, "lookback")?;
    if let Some(&flag) = ci.args.get(4) {
        if env.type_of(flag)? == node_api::JsType::String && env.get_string(flag, "modifier")? == "smoothed" {
            let mut m = s.instant_smoothed(&steps, lookback).map_err(js_err)?;
            // Interpolated values have no sample timestamp: report the step's own time.
            m.timestamps = tsdb::limits::filled(m.values.len(), 0).map_err(js_err)?;
            for (k, t) in m.timestamps.iter_mut().enumerate() {
                *t = steps.at(k % steps.len().max(1));
            }
            return matrix_value(env, m, true);
        }
    }
    let m = s.instant(&steps, lookback).map_err(js_err)?;
    matrix_value(env, m, true)
}

/// `instantWithStartTimestamps(start, end, step, lookback)`: `instant`, plus `starts` (ms, 0 =
/// none), the start timestamp of the sample each step took (`start_timestamp()`).
fn sel_instant_st(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    let steps = steps_of(env, ci, 0)?;
    let lookback = env.get_i64(ci.arg(3)?, "lookback")?;
    let (m, starts) = s.instant_st(&steps, lookback).map_err(js_err)?;
    let o = matrix_value(env, m, true)?;
    env.set(o, "starts", env.typed(&to_f64(&starts))?)?;
    Ok(o)
}

pub(crate) fn range_fn_of(env: &Env, ci: &node_api::CallInfo) -> JsResult<RangeFn> {
    let name = env.get_string(ci.arg(0)?, "function")?;
    let params: Vec<f64> = env.get_array(ci.arg(1)?, "params")?.into_iter().map(|p| env.get_f64(p, "params[]")).collect::<JsResult<_>>()?;
    RangeFn::from_name(&name, &params).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e))
}

fn sel_eval_range(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    if env.get_string(ci.arg(0)?, "function")? == "absent_over_time" {
        // Across all series: one row, present where none has samples.
        let steps = steps_of(env, ci, 2)?;
        let range = env.get_i64(ci.arg(5)?, "range")?;
        let m = s.eval_absent(&steps, range).map_err(js_err)?;
        return matrix_value(env, m, false);
    }
    let f = range_fn_of(env, ci)?;
    let steps = steps_of(env, ci, 2)?;
    let range = env.get_i64(ci.arg(5)?, "range")?;
    // Optional: "anchored" | "smoothed" and the lookback delta (extended range selectors).
    if let Some(&modifier) = ci.args.get(6) {
        if env.type_of(modifier)? == node_api::JsType::String {
            let name = env.get_string(modifier, "modifier")?;
            let ext = Extension::from_name(&name).ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("unknown range modifier {name:?}")))?;
            // Which functions take which modifier is PromQL's to check (src/promql/kernel-functions.ts);
            // the kernel leaves the others' results absent.
            let lookback = env.get_i64(ci.arg(7)?, "lookback")?;
            let m = s.eval_range_extended(&f, ext, &steps, range, lookback).map_err(js_err)?;
            return matrix_value(env, m, false);
        }
    }
    let m = s.eval_range(&f, &steps, range).map_err(js_err)?;
    matrix_value(env, m, false)
}

/// A range function reading the samples' start timestamps (`use-start-timestamps`); the result
/// also lists, as `overlaps`, the series whose samples claimed overlapping intervals.
fn sel_eval_range_st(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    let f = range_fn_of(env, ci)?;
    let steps = steps_of(env, ci, 2)?;
    let range = env.get_i64(ci.arg(5)?, "range")?;
    let (m, overlaps) = s.eval_range_st(&f, &steps, range).map_err(js_err)?;
    let o = matrix_value(env, m, false)?;
    env.set(o, "overlaps", env.typed(&overlaps)?)?;
    Ok(o)
}

fn db_label_names(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let matchers = matchers_of(env, ci.arg(0)?)?;
    let names = db.label_names(&matchers, env.get_i64(ci.arg(1)?, "mint")?, env.get_i64(ci.arg(2)?, "maxt")?).map_err(js_err)?;
    env.string_array(&names)
}

fn db_label_values(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let name = env.get_string(ci.arg(0)?, "name")?;
    let matchers = matchers_of(env, ci.arg(1)?)?;
    let values = db.label_values(&name, &matchers, env.get_i64(ci.arg(2)?, "mint")?, env.get_i64(ci.arg(3)?, "maxt")?).map_err(js_err)?;
    env.string_array(&values)
}

fn resolve_undefined(env: &Env, _: ()) -> JsResult<Value> {
    env.undefined()
}

fn db_compact(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    env.spawn(
        "promethium.compact",
        // A head cut's transient memory (the block's copy, its index, the truncated series)
        // stays in glibc's thread arenas, resident: at 1M series the server went from 0.88 to
        // 2.6 GB and was still there five minutes of scraping later (0.9 GB after a trim). So a
        // cut only asks for the release (memory.rs): the server's releaser trims once the
        // requests stop, on a worker thread, one trim for the cut and whatever else asked
        // meanwhile. A call that cut nothing asks for nothing.
        move || {
            let cuts = db.counters().head_truncations;
            db.compact().map_err(js_err)?;
            if db.counters().head_truncations != cuts {
                memory::trim();
            }
            Ok(())
        },
        resolve_undefined,
    )
}

fn db_clean_tombstones(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    env.spawn("promethium.cleanTombstones", move || db.clean_tombstones().map_err(js_err), resolve_undefined)
}

fn db_snapshot(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let dir = env.get_string(ci.arg(0)?, "dir")?;
    let with_head = env.get_bool(ci.arg(1)?, "withHead")?;
    env.spawn("promethium.snapshot", move || db.snapshot(std::path::Path::new(&dir), with_head).map_err(js_err), resolve_undefined)
}

fn db_delete_series(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let matchers = matchers_of(env, ci.arg(0)?)?;
    db.delete_series(&matchers, env.get_i64(ci.arg(1)?, "mint")?, env.get_i64(ci.arg(2)?, "maxt")?).map_err(js_err)?;
    env.undefined()
}

/// `setRetention(ms, bytes)`: a config reload's `storage.tsdb.retention` (0 = no limit).
fn db_set_retention(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let ms = env.get_f64(ci.arg(0)?, "retentionMs")?;
    let bytes = env.get_f64(ci.arg(1)?, "retentionBytes")?;
    if !(ms >= 0.0 && bytes >= 0.0 && ms.is_finite() && bytes.is_finite()) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("retention {ms} ms / {bytes} bytes must be finite and not negative")));
    }
    db.set_retention(ms as i64, bytes as u64);
    env.undefined()
}

/// `setXor2Chunks(on)`: `storage.tsdb.chunk_encoding.floats` (`xor2` = true) for new chunks.
fn db_set_xor2_chunks(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    db.set_xor2_chunks(env.get_bool(ci.arg(0)?, "on")?).map_err(js_err)?;
    env.undefined()
}

/// `id()`: what `new NativeDb(id)` attaches with on another thread.
fn db_id(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    env.double(env.unwrap::<DbHandle>(ci.this)?.id as f64)
}

fn db_close(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let h = env.unwrap::<DbHandle>(ci.this)?;
    let taken = h.db.lock().map_err(|_| JsError::new("database handle poisoned"))?.take();
    if let Some(db) = taken.filter(|_| h.owner) {
        query::unregister(h.id);
        db.close().map_err(js_err)?;
    }
    env.undefined()
}

fn init(env: &Env, exports: Value) -> JsResult<()> {
    memory::tune();
    let db_class = env.define_class(
        "NativeDb",
        db_new,
        &[
            ("seriesRefs", db_series_refs),
            ("seriesRefsAsync", db_series_refs_async),
            ("append", db_append),
            ("appendAsync", db_append_async),
            ("select", db_select),
            ("labelNames", db_label_names),
            ("labelValues", db_label_values),
            ("compact", db_compact),
            ("deleteSeries", db_delete_series),
            ("cleanTombstones", db_clean_tombstones),
            ("snapshot", db_snapshot),
            ("stats", stats::db_stats),
            ("statsAsync", stats::db_stats_async),
            ("replayInfo", stats::db_replay_info),
            ("startTime", stats::db_start_time),
            ("close", db_close),
            ("id", db_id),
            ("setRetention", db_set_retention),
            ("setXor2Chunks", db_set_xor2_chunks),
            ("appendExemplars", exemplars::db_append_exemplars),
            ("selectExemplars", exemplars::db_select_exemplars),
            ("setMaxExemplars", exemplars::db_set_max_exemplars),
            ("exemplarStats", exemplars::db_exemplar_stats),
            ("exemplarStatsAsync", exemplars::db_exemplar_stats_async),
            ("setWalRetentionFloor", remote_write::db_set_wal_retention_floor),
            ("truncateAgentWal", remote_write::db_truncate_agent_wal),
            ("remoteWrite", remote_receive::db_remote_write),
            ("appendHistograms", histograms::db_append_histograms),
            ("holdWritesForTest", write_hold::db_hold_writes_for_test),
            ("releaseWritesForTest", write_hold::db_release_writes_for_test),
        ],
    )?;
    let sel_class = env.define_class("NativeSelection", sel_new, &[("length", sel_len), ("labels", selection_labels::sel_labels), ("release", sel_release), ("samples", sel_samples), ("instant", sel_instant), ("instantWithStartTimestamps", sel_instant_st), ("evalRange", sel_eval_range), ("evalRangeWithStartTimestamps", sel_eval_range_st), ("histogramSamples", histograms::sel_histogram_samples), ("instantHistograms", histograms::sel_instant_histograms)])?;
    env.set_instance_data(Module { selection_ctor: env.persist(sel_class)? })?;
    env.set(exports, "NativeDb", db_class)?;
    env.set(exports, "NativeSelection", sel_class)?;
    use scrape_cache::*;
    let cache_class = env.define_class("NativeScrapeCache", cache_new, &[("scan", cache_scan), ("finish", cache_finish), ("appendReport", cache_append_report), ("fail", cache_fail), ("size", cache_size), ("clear", cache_clear)])?;
    env.set(exports, "NativeScrapeCache", cache_class)?;
    env.set(exports, "DROPPED_REF", env.double(f64::from(scrape::DROPPED))?)?;
    env.set(exports, "encodeMatrixJson", env.function("encodeMatrixJson", api_json::encode_matrix_json)?)?;
    env.set(exports, "evalRangeSamples", env.function("evalRangeSamples", csr_kernels::eval_range_samples)?)?;
    env.set(exports, "instantSmoothedSamples", env.function("instantSmoothedSamples", csr_kernels::instant_smoothed_samples)?)?;
    env.set(exports, "newCancelToken", env.function("newCancelToken", query::new_cancel_token)?)?;
    env.set(exports, "cancelQuery", env.function("cancelQuery", query::cancel_query)?)?;
    env.set(exports, "releaseCancelToken", env.function("releaseCancelToken", query::release_cancel_token)?)?;
    env.set(exports, "beginQuery", env.function("beginQuery", query::begin_query)?)?;
    env.set(exports, "reserveQuery", env.function("reserveQuery", query::reserve_query)?)?;
    env.set(exports, "endQuery", env.function("endQuery", query::end_query)?)?;
    {
        use remote_write::*;
        let watcher_class = env.define_class("NativeWalWatcher", watcher_new, &[("open", watcher_open), ("read", watcher_read), ("resolve", watcher_resolve), ("position", watcher_position), ("heldStart", watcher_held_start), ("heldSamples", watcher_held_samples), ("setShards", watcher_set_shards), ("setProtocol", watcher_set_protocol), ("skipTo", watcher_skip_to), ("stats", watcher_stats)])?;
        env.set(exports, "NativeWalWatcher", watcher_class)?;
        env.set(exports, "snappyCompress", env.function("snappyCompress", snappy_compress)?)?;
    }
    env.set(exports, "remoteReadDecode", env.function("remoteReadDecode", remote_receive::remote_read_decode)?)?;
    env.set(exports, "remoteReadEncodeSamples", env.function("remoteReadEncodeSamples", remote_receive::remote_read_encode_samples)?)?;
    env.set(exports, "remoteReadEncodeChunks", env.function("remoteReadEncodeChunks", remote_receive::remote_read_encode_chunks)?)?;
    env.set(exports, "remoteReadDecodeResponse", env.function("remoteReadDecodeResponse", remote_receive::remote_read_decode_response)?)?;
    env.set(exports, "remoteReadDecodeChunked", env.function("remoteReadDecodeChunked", remote_receive::remote_read_decode_chunked)?)?;
    {
        use host::*;
        env.set(exports, "hostTimex", env.function("hostTimex", host_timex)?)?;
        env.set(exports, "hostEthtool", env.function("hostEthtool", host_ethtool)?)?;
        env.set(exports, "hostRoutes", env.function("hostRoutes", host_routes)?)?;
        env.set(exports, "hostTcpStates", env.function("hostTcpStates", host_tcp_states)?)?;
        env.set(exports, "hostQdiscs", env.function("hostQdiscs", host_qdiscs)?)?;
        env.set(exports, "hostWifiInterfaces", env.function("hostWifiInterfaces", host_wifi_interfaces)?)?;
        env.set(exports, "hostWifiBss", env.function("hostWifiBss", host_wifi_bss)?)?;
        env.set(exports, "hostWifiStations", env.function("hostWifiStations", host_wifi_stations)?)?;
        let perf_class = env.define_class("NativePerfCounters", perf_new, &[("openErrors", perf_open_errors), ("read", perf_read)])?;
        env.set(exports, "NativePerfCounters", perf_class)?;
    }
    env.set(exports, "memoryTrimRequests", env.function("memoryTrimRequests", memory::memory_trim_requests)?)?;
    env.set(exports, "releaseFreeMemory", env.function("releaseFreeMemory", memory::release_free_memory)?)?;
    env.set(exports, "threadCpuMs", env.function("threadCpuMs", thread_clock::thread_cpu_ms_js)?)?;
    env.set(exports, "nativeVersion", env.string(env!("CARGO_PKG_VERSION"))?)?;
    Ok(())
}

register!(init);
