//! `NativeScrapeCache`: crates/scrape's per-target cache, appending straight into a `NativeDb`, so
//! a steady-state text-format scrape crosses N-API once with its body and once to finish. Both
//! calls do their work on Node's thread pool and settle a promise: the scrape's parse and append
//! never hold the event loop, and never make it wait for the storage's locks.

use crate::{db_of, js_err};
use node_api::{Class, Env, JsError, JsResult, Value};
use scrape::{ResidueSamples, ScanOutcome, ScrapeCache};
use std::sync::{Arc, Mutex, MutexGuard};
use tsdb::db::Db;
use tsdb::AppendStats;

/// Prometheus's stale marker.
const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub struct CacheHandle {
    /// Shared with the scan and finish jobs on the thread pool; the JavaScript side runs one
    /// scrape per target at a time, so the lock is only contended by a misuse.
    cache: Arc<Mutex<ScrapeCache>>,
}
impl Class for CacheHandle {
    const TAG: u64 = 0x5052_4d54_5343_0003;
}

fn shared_cache(env: &Env, this: Value) -> JsResult<Arc<Mutex<ScrapeCache>>> {
    Ok(Arc::clone(&env.unwrap::<CacheHandle>(this)?.cache))
}

fn lock(cache: &Mutex<ScrapeCache>) -> JsResult<MutexGuard<'_, ScrapeCache>> {
    cache.lock().map_err(|_| JsError::new("scrape cache poisoned"))
}

fn integer_ms(t: f64, what: &str) -> JsResult<i64> {
    if t.fract() != 0.0 || !t.is_finite() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("{what} {t} is not an integer number of milliseconds")));
    }
    Ok(t as i64)
}

pub fn cache_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    env.wrap(ci.this, CacheHandle { cache: Arc::new(Mutex::new(ScrapeCache::new())) })?;
    env.undefined()
}

/// scan(body: Uint8Array, scrapeTs, honorTimestamps, trackTimestampsStaleness): a promise of null
/// when every line was handled, else of the residue (a string) for the full parser. The body is
/// read on the thread pool, so parsing a large one does not hold the event loop.
pub fn cache_scan(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let ts = integer_ms(env.get_f64(ci.arg(1)?, "scrapeTs")?, "scrapeTs")?;
    let honor = env.get_bool(ci.arg(2)?, "honorTimestamps")?;
    let track = env.get_bool(ci.arg(3)?, "trackTimestampsStaleness")?;
    let cache = shared_cache(env, ci.this)?;
    // Lent, not copied: JavaScript leaves the body alone until the promise settles (scan's contract).
    env.spawn_lending("promethium.scrapeScan", ci.arg(0)?, "body", move |body| Ok(lock(&cache)?.scan(body, ts, honor, track)), |env, outcome| match outcome {
        ScanOutcome::Complete => env.null(),
        ScanOutcome::Residue(r) => env.string(&String::from_utf8_lossy(&r)),
    })
}

fn append_stale(db: &Db, refs: &[u32], ts: i64) -> JsResult<()> {
    if !refs.is_empty() {
        db.append(refs, &vec![ts; refs.len()], &vec![f64::from_bits(STALE_NAN_BITS); refs.len()], None).map_err(js_err)?;
    }
    Ok(())
}

/// finish(db, series: Uint8Array (texts joined by '\n'), refs, timestamps, values, scrapeTs,
/// sampleLimit, adoptPrevious?, untracked?): a promise of the append counts with
/// scraped/postRelabel/added/stale, or of `{ sampleLimitExceeded: true }` (nothing appended; call
/// fail()). The append and the stale markers of vanished series run on the thread pool: the
/// event loop never waits for the storage's locks or the WAL.
pub fn cache_finish(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.arg(0)?)?;
    // Every argument is copied: the work runs on another thread while JavaScript may reuse them.
    let joined = env.get_typed::<u8>(ci.arg(1)?, "series")?.to_vec();
    let refs = env.get_typed::<u32>(ci.arg(2)?, "refs")?.to_vec();
    let ts_f = env.get_typed::<f64>(ci.arg(3)?, "timestamps")?;
    let values = env.get_typed::<f64>(ci.arg(4)?, "values")?.to_vec();
    let scrape_ts = integer_ms(env.get_f64(ci.arg(5)?, "scrapeTs")?, "scrapeTs")?;
    let sample_limit = env.get_u32(ci.arg(6)?, "sampleLimit")? as usize;
    let adopt = optional_refs(env, ci, 7, "adoptPrevious")?.to_vec();
    // Residue refs whose samples carried their own timestamp (no staleness tracking).
    let untracked = optional_refs(env, ci, 8, "untracked")?.to_vec();
    let series_count = if refs.is_empty() { 0 } else { joined.split(|&c| c == b'\n').count() };
    if series_count != refs.len() || ts_f.len() != refs.len() || values.len() != refs.len() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "series, refs, timestamps and values differ in length"));
    }
    let timestamps = ts_f.iter().map(|&t| integer_ms(t, "timestamp")).collect::<JsResult<Vec<i64>>>()?;
    let cache = shared_cache(env, ci.this)?;
    env.spawn(
        "promethium.scrapeFinish",
        move || {
            let series: Vec<&[u8]> = if refs.is_empty() { Vec::new() } else { joined.split(|&c| c == b'\n').collect() };
            let mut cache = lock(&cache)?;
            cache.adopt_previous(&adopt);
            let residue = ResidueSamples { series: &series, refs: &refs, timestamps: &timestamps, values: &values, untracked: &untracked };
            let Ok(f) = cache.finish(residue, sample_limit) else { return Ok(None) };
            let stats = db.append(&f.refs, &f.timestamps, &f.values, None).map_err(js_err)?;
            append_stale(&db, &f.stale, scrape_ts)?;
            if f.added >= crate::memory::TRIM_AFTER_SERIES {
                crate::memory::trim();
            }
            if stats.unknown_ref > 0 {
                // The storage forgot some series (deleted): resolve every series text again next time.
                cache.clear();
            }
            let counts = FinishCounts { stats, scraped: f.scraped, post_relabel: f.refs.len(), added: f.added, stale: f.stale.len() };
            // The sample vectors go back to the cache for the next scrape instead of being freed.
            cache.recycle(f);
            Ok(Some(counts))
        },
        finish_value,
    )
}

/// What a finished scrape reports back to JavaScript.
struct FinishCounts {
    stats: AppendStats,
    scraped: usize,
    post_relabel: usize,
    added: usize,
    stale: usize,
}

/// The promise's value: the counts, or `{ sampleLimitExceeded: true }` (None).
fn finish_value(env: &Env, counts: Option<FinishCounts>) -> JsResult<Value> {
    let o = env.object()?;
    let Some(c) = counts else {
        env.set(o, "sampleLimitExceeded", env.boolean(true)?)?;
        return Ok(o);
    };
    let st = &c.stats;
    let num = |k: &str, x: f64| -> JsResult<()> { env.set(o, k, env.double(x)?) };
    num("appended", st.appended as f64)?;
    num("outOfOrder", st.out_of_order as f64)?;
    num("duplicate", st.duplicate as f64)?;
    num("tooOld", st.too_old as f64)?;
    num("outOfBounds", st.out_of_bounds as f64)?;
    num("unknownRef", st.unknown_ref as f64)?;
    num("scraped", c.scraped as f64)?;
    num("postRelabel", c.post_relabel as f64)?;
    num("added", c.added as f64)?;
    num("stale", c.stale as f64)?;
    Ok(o)
}

/// appendReport(db, refs, timestamps, values): a promise of the append counts of the target's
/// report series (`up`, `scrape_duration_seconds`, ...), appended on the thread pool as the
/// scrape's own samples are, so the event loop does not wait for the storage for them either.
pub fn cache_append_report(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.arg(0)?)?;
    let refs = env.get_typed::<u32>(ci.arg(1)?, "refs")?.to_vec();
    let timestamps = crate::int_millis(env.get_typed::<f64>(ci.arg(2)?, "timestamps")?, "timestamp")?;
    let values = env.get_typed::<f64>(ci.arg(3)?, "values")?.to_vec();
    if timestamps.len() != refs.len() || values.len() != refs.len() {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "refs, timestamps and values differ in length"));
    }
    env.spawn("promethium.scrapeReport", move || db.append(&refs, &timestamps, &values, None).map_err(js_err), crate::append_counts)
}

/// An optional Uint32Array argument (absent or undefined: empty).
fn optional_refs<'a>(env: &Env, ci: &node_api::CallInfo, i: usize, what: &str) -> JsResult<&'a [u32]> {
    match ci.args.get(i).copied() {
        Some(v) if env.type_of(v)? != node_api::JsType::Undefined => env.get_typed::<u32>(v, what),
        _ => Ok(&[]),
    }
}

/// fail(db, ts, except?): ends a failed scrape (or a removed target): the previous scrape's series
/// get stale markers at `ts`, but for those in `except` (appended by another cache's scrape). A
/// promise of how many. On the thread pool like finish: a 100k-series target going down appends
/// 100k markers, which the event loop would otherwise wait for (and for the storage's lock).
pub fn cache_fail(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.arg(0)?)?;
    let ts = integer_ms(env.get_f64(ci.arg(1)?, "ts")?, "ts")?;
    // Copied: the work runs on another thread while JavaScript may reuse the array.
    let except = optional_refs(env, ci, 2, "except")?.to_vec();
    let cache = shared_cache(env, ci.this)?;
    env.spawn(
        "promethium.scrapeFail",
        move || {
            let stale = lock(&cache)?.fail_except(&except);
            append_stale(&db, &stale, ts)?;
            Ok(stale.len())
        },
        |env, n| env.double(n as f64),
    )
}

pub fn cache_size(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let n = lock(&env.unwrap::<CacheHandle>(ci.this)?.cache)?.len();
    env.double(n as f64)
}

pub fn cache_clear(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    lock(&env.unwrap::<CacheHandle>(ci.this)?.cache)?.clear();
    env.undefined()
}
