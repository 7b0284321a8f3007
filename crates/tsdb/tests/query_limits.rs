//! A query's native work within its limits: a steps x series matrix larger than memory is an
//! error, not an abort of the process; max samples, the memory budget and the deadline stop an
//! evaluation before it allocates or while it loops.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tsdb::db::{Db, Options};
use tsdb::kernels::{RangeFn, Steps};
use tsdb::limits::{self, Abort, QueryLimits};
use tsdb::{Error, Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-limits-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

const H: i64 = 3600 * 1000;

/// 2,000 series of synth_total over an hour, a sample every 15s.
fn synth(dir: &Path) -> Db {
    let db = Db::open(dir, Options::default()).unwrap();
    let labels: Vec<Labels> = (0..2000).map(|i| Labels::from_pairs([("__name__", "synth_total".to_string()), ("id", i.to_string())])).collect();
    let refs = db.series_refs(&labels).unwrap();
    for k in 0..=240 {
        let t = k * 15_000;
        let vs: Vec<f64> = (0..2000).map(|i| (k * (i + 1)) as f64).collect();
        db.append(&refs, &vec![t; 2000], &vs, None).unwrap();
    }
    db
}

fn limits(max_samples: u64, max_bytes: u64, deadline: Option<Instant>) -> QueryLimits {
    QueryLimits { cancel: Arc::new(AtomicBool::new(false)), deadline, max_samples, max_bytes }
}

fn name_is(v: &str) -> Matcher {
    Matcher::Equal { name: "__name__".into(), value: v.into() }
}

#[test]
fn a_matrix_larger_than_memory_is_an_error_not_an_abort() {
    let dir = temp_dir("huge");
    let db = synth(&dir);
    let sel = db.select(&[name_is("synth_total")], -5 * 60_000, H).unwrap();
    // Without limits: steps x series past the address space is an error.
    let endless = Steps { start: 0, end: i64::MAX / 2, step: 1 };
    let e = sel.eval_range(&RangeFn::Rate, &endless, 5 * 60_000).expect_err("refused");
    assert!(matches!(e, Error::Aborted(Abort::TooLarge(_))), "{e}");
    // The subquery of defect 2: 1h at 1ms over 2,000 series = 7.2e9 cells (57.6 GB of values);
    // the query's sample limit refuses it before allocating.
    let steps = Steps { start: 0, end: H, step: 1 };
    limits::begin(limits(50_000_000, 0, None));
    let e = sel.eval_range(&RangeFn::Rate, &steps, 5 * 60_000).expect_err("refused");
    limits::end();
    assert!(matches!(e, Error::Aborted(Abort::TooManySamples)), "{e}");
    assert_eq!(e.to_string(), "query processing would load too many samples into memory in query execution");
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn samples_and_memory_are_counted_across_a_query() {
    let dir = temp_dir("count");
    let db = synth(&dir);
    let sel = db.select(&[name_is("synth_total")], 0, H).unwrap();
    let steps = Steps { start: 0, end: H, step: 60_000 };
    // 2,000 x 61 = 122,000 cells: fits once, not twice under 200,000.
    limits::begin(limits(200_000, 0, None));
    assert!(sel.instant(&steps, 300_000).is_ok());
    assert!(matches!(sel.instant(&steps, 300_000), Err(Error::Aborted(Abort::TooManySamples))));
    limits::end();
    // A memory budget smaller than the matrix.
    limits::begin(limits(0, 1 << 20, None));
    let e = sel.eval_range(&RangeFn::MaxOverTime, &steps, 300_000).expect_err("over budget");
    limits::end();
    assert!(e.to_string().contains("--query.max-memory=1048576"), "{e}");
    // Raw samples count as they are loaded: 2,000 series x 241 samples.
    limits::begin(limits(100_000, 0, None));
    assert!(matches!(sel.samples(), Err(Error::Aborted(Abort::TooManySamples))));
    limits::end();
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_passed_deadline_or_a_cancel_stops_the_loops() {
    let dir = temp_dir("deadline");
    let db = synth(&dir);
    let sel = db.select(&[name_is("synth_total")], 0, H).unwrap();
    let steps = Steps { start: 0, end: H, step: 15_000 };
    limits::begin(limits(0, 0, Some(Instant::now() - Duration::from_millis(1))));
    assert!(matches!(sel.eval_range(&RangeFn::Rate, &steps, 300_000), Err(Error::Aborted(Abort::Timeout))));
    limits::end();
    let (id, flag) = limits::new_token();
    limits::begin(QueryLimits { cancel: flag, deadline: None, max_samples: 0, max_bytes: 0 });
    assert!(limits::cancel(id));
    assert!(matches!(sel.instant(&steps, 300_000), Err(Error::Aborted(Abort::Timeout))));
    limits::end();
    limits::release(id);
    assert!(sel.eval_range(&RangeFn::Rate, &steps, 300_000).is_ok(), "no limits after the query ended");
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}
