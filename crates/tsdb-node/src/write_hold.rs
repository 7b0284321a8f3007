//! Test hooks: `NativeDb.holdWritesForTest(maxMs)` has a helper thread take the storage's write
//! lock (a promise settled once it holds it); `releaseWritesForTest()` lets it go (it also goes
//! after `maxMs`). Tests use them to show that the scrape path's native calls leave the event
//! loop free while the storage is busy.

use crate::db_of;
use node_api::{Env, JsError, JsResult, Value};
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;
use std::time::Duration;

/// The release signal of the hold in force (one per process is all a test needs).
static RELEASE: Mutex<Option<Sender<()>>> = Mutex::new(None);

pub(crate) fn db_hold_writes_for_test(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let max_ms = env.get_f64(ci.arg(0)?, "maxMs")?;
    if !(max_ms >= 0.0 && max_ms.is_finite()) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxMs {max_ms} must be a non-negative number")));
    }
    let (release_tx, release_rx) = channel();
    if let Some(previous) = RELEASE.lock().map_err(|_| JsError::new("write hold poisoned"))?.replace(release_tx) {
        drop(previous);
    }
    let (held_tx, held_rx) = channel();
    std::thread::spawn(move || {
        let _ = db.hold_writes(|| { let _ = held_tx.send(()); }, &release_rx, Duration::from_millis(max_ms as u64));
    });
    env.spawn("promethium.holdWritesForTest", move || held_rx.recv().map_err(|_| JsError::new("the write lock could not be taken")), |env, ()| env.undefined())
}

pub(crate) fn db_release_writes_for_test(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    // Dropping the sender wakes the holding thread.
    drop(RELEASE.lock().map_err(|_| JsError::new("write hold poisoned"))?.take());
    env.undefined()
}
