//! What the server's query workers need from the addon: the same open database on every thread
//! (a registry of open databases by id, attached with `new NativeDb(id)`), and per-query limits
//! (`beginQuery`/`endQuery` on the thread that evaluates, cancel tokens any thread can set).

use crate::js_err;
use node_api::{CallInfo, Env, JsError, JsResult, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tsdb::limits::{self, QueryLimits};
use tsdb::Db;

fn registry() -> &'static Mutex<HashMap<u64, Arc<Db>>> {
    static OPEN: OnceLock<Mutex<HashMap<u64, Arc<Db>>>> = OnceLock::new();
    OPEN.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Registers an opened database; its id lets other threads of this process attach to it.
pub fn register(db: &Arc<Db>) -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    registry().lock().unwrap_or_else(|e| e.into_inner()).insert(id, db.clone());
    id
}

/// The open database of an id (none once its owner closed it).
pub fn attach(id: u64) -> JsResult<Arc<Db>> {
    registry().lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned().ok_or_else(|| js_err(tsdb::Error::Closed))
}

pub fn unregister(id: u64) {
    registry().lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
}

fn non_negative(env: &Env, v: Value, what: &str) -> JsResult<u64> {
    let x = env.get_f64(v, what)?;
    if !(x >= 0.0 && x.is_finite()) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("{what} {x} must be a finite number, not negative")));
    }
    Ok(x as u64)
}

/// `newCancelToken()`: the id of a new cancel flag.
pub fn new_cancel_token(env: &Env, _: &CallInfo) -> JsResult<Value> {
    env.double(limits::new_token().0 as f64)
}

/// `cancelQuery(token)`: the query using the token stops at its next check (from any thread).
pub fn cancel_query(env: &Env, ci: &CallInfo) -> JsResult<Value> {
    let id = non_negative(env, ci.arg(0)?, "token")?;
    env.boolean(limits::cancel(id))
}

/// `releaseCancelToken(token)`.
pub fn release_cancel_token(env: &Env, ci: &CallInfo) -> JsResult<Value> {
    limits::release(non_negative(env, ci.arg(0)?, "token")?);
    env.undefined()
}

/// `beginQuery(token, timeoutMs, maxSamples, maxBytes)`: native work on this thread from now on
/// is limited (0 = no limit); the token (0 = none) lets another thread cancel it.
pub fn begin_query(env: &Env, ci: &CallInfo) -> JsResult<Value> {
    let token = non_negative(env, ci.arg(0)?, "token")?;
    let timeout = non_negative(env, ci.arg(1)?, "timeoutMs")?;
    let max_samples = non_negative(env, ci.arg(2)?, "maxSamples")?;
    let max_bytes = non_negative(env, ci.arg(3)?, "maxBytes")?;
    let cancel = if token == 0 { Arc::default() } else { limits::token(token).ok_or_else(|| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("no cancel token {token}")))? };
    let deadline = if timeout == 0 { None } else { Instant::now().checked_add(Duration::from_millis(timeout)) };
    limits::begin(QueryLimits { cancel, deadline, max_samples, max_bytes });
    env.undefined()
}

/// `reserveQuery(samples, bytes)`: memory the JavaScript side of the query is about to allocate,
/// checked against and added to the same counts as the native allocations.
pub fn reserve_query(env: &Env, ci: &CallInfo) -> JsResult<Value> {
    let samples = non_negative(env, ci.arg(0)?, "samples")?;
    let bytes = non_negative(env, ci.arg(1)?, "bytes")?;
    limits::reserve(samples, bytes).map_err(js_err)?;
    env.undefined()
}

/// `endQuery()`: the limits lifted.
pub fn end_query(env: &Env, _: &CallInfo) -> JsResult<Value> {
    limits::end();
    env.undefined()
}
