//! `NativeScrapeCache`: crates/scrape's per-target cache, appending straight into a `NativeDb`, so
//! a steady-state text-format scrape crosses N-API once with its body and once to finish.

use crate::{db_of, js_err};
use node_api::{Class, Env, JsError, JsResult, Value};
use scrape::{ResidueSamples, ScanOutcome, ScrapeCache};
use std::sync::Mutex;
use tsdb::db::Db;

/// Prometheus's stale marker.
const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub struct CacheHandle {
    cache: Mutex<ScrapeCache>,
}
impl Class for CacheHandle {
    const TAG: u64 = 0x5052_4d54_5343_0003;
}

fn cache_of<'a>(env: &Env, this: Value) -> JsResult<std::sync::MutexGuard<'a, ScrapeCache>> {
    let h: &'a CacheHandle = env.unwrap::<CacheHandle>(this)?;
    h.cache.lock().map_err(|_| JsError::new("scrape cache poisoned"))
}

fn integer_ms(t: f64, what: &str) -> JsResult<i64> {
    if t.fract() != 0.0 || !t.is_finite() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("{what} {t} is not an integer number of milliseconds")));
    }
    Ok(t as i64)
}

pub fn cache_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    env.wrap(ci.this, CacheHandle { cache: Mutex::new(ScrapeCache::new()) })?;
    env.undefined()
}

/// scan(body: Uint8Array, scrapeTs, honorTimestamps, trackTimestampsStaleness): null when every
/// line was handled, else the residue (a string) for the full parser.
pub fn cache_scan(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let body = env.get_typed::<u8>(ci.arg(0)?, "body")?;
    let ts = integer_ms(env.get_f64(ci.arg(1)?, "scrapeTs")?, "scrapeTs")?;
    let honor = env.get_bool(ci.arg(2)?, "honorTimestamps")?;
    let track = env.get_bool(ci.arg(3)?, "trackTimestampsStaleness")?;
    match cache_of(env, ci.this)?.scan(body, ts, honor, track) {
        ScanOutcome::Complete => env.null(),
        ScanOutcome::Residue(r) => env.string(&String::from_utf8_lossy(&r)),
    }
}

fn append_stale(db: &Db, refs: &[u32], ts: i64) -> JsResult<()> {
    if !refs.is_empty() {
        db.append(refs, &vec![ts; refs.len()], &vec![f64::from_bits(STALE_NAN_BITS); refs.len()], None).map_err(js_err)?;
    }
    Ok(())
}

/// finish(db, series: Uint8Array (texts joined by '\n'), refs, timestamps, values, scrapeTs,
/// sampleLimit, adoptPrevious?, untracked?): appends the scrape and the stale markers of vanished series. Returns the append
/// counts with scraped/postRelabel/added/stale, or `{ sampleLimitExceeded: true }` (nothing
/// appended; call fail()).
pub fn cache_finish(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.arg(0)?)?;
    let joined = env.get_typed::<u8>(ci.arg(1)?, "series")?;
    let refs = env.get_typed::<u32>(ci.arg(2)?, "refs")?;
    let ts_f = env.get_typed::<f64>(ci.arg(3)?, "timestamps")?;
    let values = env.get_typed::<f64>(ci.arg(4)?, "values")?;
    let scrape_ts = integer_ms(env.get_f64(ci.arg(5)?, "scrapeTs")?, "scrapeTs")?;
    let sample_limit = env.get_u32(ci.arg(6)?, "sampleLimit")? as usize;
    let adopt = optional_refs(env, ci, 7, "adoptPrevious")?;
    // Residue refs whose samples carried their own timestamp (no staleness tracking).
    let untracked = optional_refs(env, ci, 8, "untracked")?;
    let series: Vec<&[u8]> = if refs.is_empty() { Vec::new() } else { joined.split(|&c| c == b'\n').collect() };
    if series.len() != refs.len() || ts_f.len() != refs.len() || values.len() != refs.len() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "series, refs, timestamps and values differ in length"));
    }
    let timestamps = ts_f.iter().map(|&t| integer_ms(t, "timestamp")).collect::<JsResult<Vec<i64>>>()?;
    let mut cache = cache_of(env, ci.this)?;
    cache.adopt_previous(adopt);
    let o = env.object()?;
    let f = match cache.finish(ResidueSamples { series: &series, refs, timestamps: &timestamps, values, untracked }, sample_limit) {
        Ok(f) => f,
        Err(_) => {
            env.set(o, "sampleLimitExceeded", env.boolean(true)?)?;
            return Ok(o);
        }
    };
    let st = db.append(&f.refs, &f.timestamps, &f.values, None).map_err(js_err)?;
    append_stale(&db, &f.stale, scrape_ts)?;
    if f.added >= crate::memory::TRIM_AFTER_SERIES {
        crate::memory::trim();
    }
    if st.unknown_ref > 0 {
        // The storage forgot some series (deleted): resolve every series text again next time.
        cache.clear();
    }
    let num = |k: &str, x: f64| -> JsResult<()> { env.set(o, k, env.double(x)?) };
    num("appended", st.appended as f64)?;
    num("outOfOrder", st.out_of_order as f64)?;
    num("duplicate", st.duplicate as f64)?;
    num("tooOld", st.too_old as f64)?;
    num("outOfBounds", st.out_of_bounds as f64)?;
    num("unknownRef", st.unknown_ref as f64)?;
    num("scraped", f.scraped as f64)?;
    num("postRelabel", f.refs.len() as f64)?;
    num("added", f.added as f64)?;
    num("stale", f.stale.len() as f64)?;
    Ok(o)
}

/// An optional Uint32Array argument (absent or undefined: empty).
fn optional_refs<'a>(env: &Env, ci: &node_api::CallInfo, i: usize, what: &str) -> JsResult<&'a [u32]> {
    match ci.args.get(i).copied() {
        Some(v) if env.type_of(v)? != node_api::JsType::Undefined => env.get_typed::<u32>(v, what),
        _ => Ok(&[]),
    }
}

/// fail(db, ts, except?): ends a failed scrape (or a removed target): the previous scrape's series
/// get stale markers at `ts`, but for those in `except` (appended by another cache's scrape). Returns how many.
pub fn cache_fail(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.arg(0)?)?;
    let ts = integer_ms(env.get_f64(ci.arg(1)?, "ts")?, "ts")?;
    let except = optional_refs(env, ci, 2, "except")?;
    let stale = cache_of(env, ci.this)?.fail_except(except);
    append_stale(&db, &stale, ts)?;
    env.double(stale.len() as f64)
}

pub fn cache_size(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = cache_of(env, ci.this)?.len();
    env.double(n as f64)
}

pub fn cache_clear(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    cache_of(env, ci.this)?.clear();
    env.undefined()
}
