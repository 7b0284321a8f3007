//! One source with a wrong clock cannot stop ingestion: samples too far in the future are refused
//! and counted per sample, and the head is never cut into blocks beyond the present, so a
//! far-future sample (accepted with no limit, or replayed) cannot make every later sample too old.

use std::fs;
use std::path::PathBuf;
use tsdb::db::{Db, Options, DEFAULT_MAX_AHEAD_MS};
use tsdb::{Labels, Matcher};

const H: i64 = 3600 * 1000;
const YEAR: i64 = 365 * 24 * H;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-bounds-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn labels(name: &str, job: &str) -> Labels {
    Labels::from_pairs([("__name__", name), ("job", job)])
}

/// 5 hours of `normal` every minute up to `now`, then the future sample, then compaction.
fn normal_history_then_future_sample(db: &Db, now: i64) -> (u32, u32, tsdb::head::AppendStats) {
    let refs = db.series_refs(&[labels("normal", "a"), labels("future_metric", "b")]).unwrap();
    for k in (0..=300).rev() {
        assert_eq!(db.append(&refs[..1], &[now - k * 60_000], &[k as f64], None).unwrap().appended, 1);
    }
    let future = db.append(&refs[1..], &[now + YEAR], &[1.0], None).unwrap();
    db.compact().unwrap();
    (refs[0], refs[1], future)
}

#[test]
fn a_far_future_sample_is_refused_and_counted_and_ingestion_goes_on() {
    let dir = temp_dir("refused");
    let db = Db::open(&dir, Options::default()).unwrap();
    let now = Db::now_ms() as i64;
    let (normal, _, future) = normal_history_then_future_sample(&db, now);
    assert_eq!((future.appended, future.out_of_bounds, future.too_old), (0, 1, 0));
    assert_eq!(db.counters().out_of_bounds, 1);
    // Within the window is still fine.
    let near = db.append(&[normal], &[now + DEFAULT_MAX_AHEAD_MS / 2], &[1.0], None).unwrap();
    assert_eq!(near.appended, 1);
    let s = db.stats(0);
    assert!(!s.blocks.is_empty(), "the normal history was still cut into blocks");
    assert!(s.max_time.unwrap() <= now + DEFAULT_MAX_AHEAD_MS);
}

#[test]
fn an_accepted_far_future_sample_does_not_move_the_head_past_the_present() {
    let dir = temp_dir("accepted");
    // No per-append limit: the sample gets in (as it would from a WAL written before the limit).
    let db = Db::open(&dir, Options { max_ahead_ms: 0, ..Options::default() }).unwrap();
    let now = Db::now_ms() as i64;
    let (normal, future_ref, future) = normal_history_then_future_sample(&db, now);
    assert_eq!(future.appended, 1);
    // Compaction cut the normal history, not the year up to the future sample.
    let blocks = db.stats(0).blocks;
    assert!(!blocks.is_empty());
    assert!(blocks.iter().all(|b| b.max_time <= now), "no block reaches past now: {blocks:?}");
    // Normal samples keep being accepted, before and after a reopen (WAL and checkpoint replay).
    let st = db.append(&[normal], &[now + 1000], &[1.0], None).unwrap();
    assert_eq!((st.appended, st.too_old, st.out_of_bounds), (1, 0, 0));
    drop(db);
    let db = Db::open(&dir, Options { max_ahead_ms: 0, ..Options::default() }).unwrap();
    db.compact().unwrap();
    let st = db.append(&[normal], &[now + 2000], &[2.0], None).unwrap();
    assert_eq!((st.appended, st.too_old), (1, 0));
    // The future sample is kept, in the head, until its time comes.
    let sel = db.select(&[Matcher::Equal { name: "__name__".into(), value: "future_metric".into() }], now, now + 2 * YEAR).unwrap();
    let csr = sel.samples().unwrap();
    assert_eq!(csr.t, vec![now + YEAR]);
    assert!(db.stats(0).blocks.iter().all(|b| b.max_time <= now));
    let _ = future_ref;
}
