//! Limits of one query's native work: a deadline and a cancel flag the loops check, a count of
//! the samples it holds (`--query.max-samples`) and of the bytes it allocates (`--query.max-memory`).
//!
//! The limits live in a thread-local set by the caller around a query (each query runs on one
//! thread: the server's query workers or the main thread), so the kernels need no extra
//! parameters. Sizes that come from user input (steps x series) are checked with checked
//! arithmetic and against the limits BEFORE anything is allocated, and allocated with
//! `try_reserve`: an impossible allocation is an error, never an abort of the process.
//! Without active limits only the overflow and allocation-failure checks apply.

use crate::error::{Error, Result};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

// The error kind lives with the crate's errors (error.rs); re-exported here, where queries meet it.
pub use crate::error::Abort;

/// The limits of one query. Zero means "no limit" for the counts.
#[derive(Clone, Debug)]
pub struct QueryLimits {
    pub cancel: Arc<AtomicBool>,
    pub deadline: Option<Instant>,
    pub max_samples: u64,
    pub max_bytes: u64,
}

struct Active {
    limits: QueryLimits,
    samples: u64,
    bytes: u64,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// Starts accounting a query on this thread (replacing any earlier one).
pub fn begin(limits: QueryLimits) {
    ACTIVE.with(|a| *a.borrow_mut() = Some(Active { limits, samples: 0, bytes: 0 }));
}

/// Ends the query on this thread; later native calls run without limits.
pub fn end() {
    ACTIVE.with(|a| *a.borrow_mut() = None);
}

/// Fails when the query's deadline passed or it was cancelled. Cheap: loops call it per series.
pub fn check() -> Result<()> {
    ACTIVE.with(|a| match a.borrow().as_ref() {
        Some(x) if x.limits.cancel.load(Ordering::Relaxed) || x.limits.deadline.is_some_and(|d| Instant::now() >= d) => Err(Error::Aborted(Abort::Timeout)),
        _ => Ok(()),
    })
}

/// Accounts `samples` held samples and `bytes` allocated bytes for the rest of the query, or
/// fails (accounting nothing) if either limit would be passed.
pub fn reserve(samples: u64, bytes: u64) -> Result<()> {
    check()?;
    ACTIVE.with(|a| {
        let mut guard = a.borrow_mut();
        let Some(x) = guard.as_mut() else { return Ok(()) };
        let s = x.samples.saturating_add(samples);
        let b = x.bytes.saturating_add(bytes);
        if x.limits.max_samples > 0 && s > x.limits.max_samples {
            return Err(Error::Aborted(Abort::TooManySamples));
        }
        if x.limits.max_bytes > 0 && b > x.limits.max_bytes {
            return Err(Error::Aborted(Abort::Memory { needed: b, budget: x.limits.max_bytes }));
        }
        x.samples = s;
        x.bytes = b;
        Ok(())
    })
}

/// Checks that `samples` more samples held for a moment (a series' decoded window) stay within
/// the limits, without accounting them for the rest of the query.
pub fn transient(samples: u64, bytes: u64) -> Result<()> {
    ACTIVE.with(|a| match a.borrow().as_ref() {
        Some(x) if x.limits.max_samples > 0 && x.samples.saturating_add(samples) > x.limits.max_samples => Err(Error::Aborted(Abort::TooManySamples)),
        Some(x) if x.limits.max_bytes > 0 && x.bytes.saturating_add(bytes) > x.limits.max_bytes => Err(Error::Aborted(Abort::Memory { needed: x.bytes.saturating_add(bytes), budget: x.limits.max_bytes })),
        _ => Ok(()),
    })
}

/// `series * steps` cells, or an error when that overflows.
pub fn cells(series: usize, steps: usize) -> Result<usize> {
    series.checked_mul(steps).ok_or_else(|| Error::Aborted(Abort::TooLarge(format!("{series} series x {steps} steps"))))
}

/// A vector of `n` copies of `fill`, allocated with `try_reserve` (an error, not an abort, when
/// the allocator refuses). The caller has accounted the size with `reserve` first.
pub fn filled<T: Clone>(n: usize, fill: T) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::Aborted(Abort::TooLarge(format!("{n} elements of {} bytes", std::mem::size_of::<T>()))))?;
    // A query's matrices are its largest allocations, mapped afresh each time: backed in one
    // call rather than one page fault per page (fileutil/prefault.rs).
    crate::fileutil::back_spare_capacity(&mut v);
    v.resize(n, fill);
    Ok(v)
}

/// Cancel flags by id, so that one thread (the server's main thread) can stop a query running
/// on another (a query worker) without passing pointers between them.
fn tokens() -> &'static Mutex<HashMap<u64, Arc<AtomicBool>>> {
    static TOKENS: OnceLock<Mutex<HashMap<u64, Arc<AtomicBool>>>> = OnceLock::new();
    TOKENS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A new cancel flag and its id.
pub fn new_token() -> (u64, Arc<AtomicBool>) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let flag = Arc::new(AtomicBool::new(false));
    tokens().lock().unwrap_or_else(|e| e.into_inner()).insert(id, flag.clone());
    (id, flag)
}

/// The flag of a token id, if it was not released.
pub fn token(id: u64) -> Option<Arc<AtomicBool>> {
    tokens().lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
}

/// Sets a token's flag: the query using it stops at its next check. False if there is no such token.
pub fn cancel(id: u64) -> bool {
    token(id).map(|f| f.store(true, Ordering::Relaxed)).is_some()
}

/// Forgets a token id (the flag lives on while a query still holds it).
pub fn release(id: u64) {
    tokens().lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_samples: u64, max_bytes: u64) -> QueryLimits {
        QueryLimits { cancel: Arc::new(AtomicBool::new(false)), deadline: None, max_samples, max_bytes }
    }

    #[test]
    fn reserve_counts_until_a_limit_passes() {
        begin(limits(100, 0));
        assert!(reserve(60, 0).is_ok());
        assert!(matches!(reserve(41, 0), Err(Error::Aborted(Abort::TooManySamples))));
        assert!(reserve(40, 0).is_ok());
        end();
        assert!(reserve(u64::MAX, u64::MAX).is_ok(), "no limits once the query ended");
    }

    #[test]
    fn memory_budget_names_the_flag() {
        begin(limits(0, 1000));
        let e = reserve(1, 2000).unwrap_err();
        assert!(e.to_string().contains("--query.max-memory=1000"), "{e}");
        end();
    }

    #[test]
    fn cancel_by_token_id() {
        let (id, flag) = new_token();
        begin(QueryLimits { cancel: flag, deadline: None, max_samples: 0, max_bytes: 0 });
        assert!(check().is_ok());
        assert!(cancel(id));
        assert!(matches!(check(), Err(Error::Aborted(Abort::Timeout))));
        end();
        release(id);
        assert!(!cancel(id));
    }

    #[test]
    fn impossible_sizes_are_errors() {
        assert!(cells(usize::MAX, 2).is_err());
        assert!(filled(usize::MAX / 2, 0u64).is_err());
    }
}
