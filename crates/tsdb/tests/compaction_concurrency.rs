//! Cutting the head into blocks while other threads append and query: the cut copies and
//! truncates the head in batches between which the state lock is released, so every query must
//! still see each series whole (no sample missing, none twice) whether its old chunks are in
//! the head, the new block or, for a moment, both; and everything appended meanwhile, series
//! created meanwhile included, must survive a restart (WAL replay after the checkpoint).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use tsdb::db::{Db, Options};
use tsdb::{Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn labels(kind: &str, i: usize) -> Labels {
    Labels::from_pairs([("__name__", "m".to_string()), ("job", "x".into()), ("kind", kind.into()), ("i", i.to_string())])
}

fn value(t: i64, i: usize) -> f64 {
    t as f64 + i as f64 / 10_000.0
}

/// Every series' samples, by label set.
fn read_all(db: &Db) -> BTreeMap<String, Vec<(i64, f64)>> {
    support::samples_by_series(db, &[Matcher::Equal { name: "job".into(), value: "x".into() }]).into_iter().collect()
}

/// Samples every 100 ms from 0: each series must hold a gapless run from its first time.
fn check_run(name: &str, samples: &[(i64, f64)], first: i64, i: usize) -> Result<(), String> {
    for (k, &(t, v)) in samples.iter().enumerate() {
        let want = first + k as i64 * 100;
        if t != want || v != value(t, i) {
            return Err(format!("{name}: sample {k} is ({t}, {v}), expected time {want} (a gap, a duplicate or a wrong value)"));
        }
    }
    Ok(())
}

#[test]
fn queries_and_appends_during_head_truncation_see_consistent_data() {
    // More series than one truncation step and one copy batch take, so both run in several.
    const SERIES: usize = 2500;
    let dir = temp_dir("cut-concurrency");
    // No limit ahead of now, so the 1970 timestamps here are cut like any others.
    let opts = Options { block_range_ms: 1000, samples_per_chunk: 4, max_ahead_ms: 0, ..Options::default() };
    let db = Arc::new(Db::open(&dir, opts.clone()).unwrap());
    // "old" series stop before the first block's end (the cut removes them from the head);
    // "live" series go on.
    let old: Vec<u32> = db.series_refs(&(0..SERIES).map(|i| labels("old", i)).collect::<Vec<_>>()).unwrap();
    let live: Vec<u32> = db.series_refs(&(0..SERIES).map(|i| labels("live", i)).collect::<Vec<_>>()).unwrap();
    for t in (0..2000).step_by(100) {
        if t < 1000 {
            db.append(&old, &vec![t; SERIES], &(0..SERIES).map(|i| value(t, i)).collect::<Vec<_>>(), None).unwrap();
        }
        db.append(&live, &vec![t; SERIES], &(0..SERIES).map(|i| value(t, i)).collect::<Vec<_>>(), None).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    // The live series' last appended time, and the series created during the cut with theirs.
    let live_until = Arc::new(AtomicU64::new(1900));
    let created: Arc<Mutex<Vec<(usize, i64)>>> = Arc::default();
    let appender = {
        let (db, stop, live_until, created) = (db.clone(), stop.clone(), live_until.clone(), created.clone());
        thread::spawn(move || {
            let mut t = 2000;
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) && t < 8_000 {
                let s = db.append(&live, &vec![t; SERIES], &(0..SERIES).map(|i| value(t, i)).collect::<Vec<_>>(), None).unwrap();
                assert_eq!(s.appended, SERIES as u64, "appends after the cut range are accepted: {s:?}");
                live_until.store(t as u64, Ordering::Relaxed);
                // A new series with one sample, created while the cut may be under way.
                let r = db.series_refs(&[labels("new", k)]).unwrap();
                assert_eq!(db.append(&r, &[t], &[value(t, k)], None).unwrap().appended, 1);
                created.lock().unwrap().push((k, t));
                k += 1;
                t += 100;
            }
        })
    };
    let querier = {
        let (db, stop) = (db.clone(), stop.clone());
        thread::spawn(move || {
            let mut queries = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for (name, samples) in read_all(&db) {
                    let i: usize = name.split("i=\"").nth(1).and_then(|s| s.split('"').next()).and_then(|s| s.parse().ok()).unwrap();
                    if name.contains("kind=\"old\"") {
                        assert_eq!(samples.len(), 10, "{name}: all of its samples, once, wherever they are");
                        check_run(&name, &samples, 0, i).unwrap();
                    } else if name.contains("kind=\"live\"") {
                        assert!(samples.len() >= 20, "{name}: {} samples", samples.len());
                        check_run(&name, &samples, 0, i).unwrap();
                    } else {
                        assert_eq!(samples.len(), 1, "{name}");
                    }
                }
                queries += 1;
                // Leaves the (debug-built, two-core) machine to the cut and the appends.
                thread::sleep(std::time::Duration::from_millis(5));
            }
            queries
        })
    };
    db.compact().unwrap();
    // A second cut, of the range the appender has filled meanwhile.
    while live_until.load(Ordering::Relaxed) < 3200 {
        thread::yield_now();
    }
    db.compact().unwrap();
    stop.store(true, Ordering::Relaxed);
    appender.join().unwrap();
    let queries = querier.join().unwrap();
    assert!(queries > 0);
    let stats = db.stats(0);
    assert!(stats.counters.head_truncations >= 2, "{:?}", stats.counters);
    assert!(stats.counters.series_removed >= SERIES as u64, "the old series left the head: {:?}", stats.counters);
    assert!(!stats.blocks.is_empty());

    let until = live_until.load(Ordering::Relaxed) as i64;
    let created = created.lock().unwrap().clone();
    let check_everything = |db: &Db| {
        let all = read_all(db);
        assert_eq!(all.len(), 2 * SERIES + created.len(), "every series, old, live and new");
        for i in (0..SERIES).step_by(7) {
            let old = &all[&labels("old", i).to_string()];
            assert_eq!(old.len(), 10);
            check_run("old", old, 0, i).unwrap();
            let live = &all[&labels("live", i).to_string()];
            assert_eq!(live.len() as i64, until / 100 + 1);
            check_run("live", live, 0, i).unwrap();
        }
        for &(k, t) in &created {
            assert_eq!(all[&labels("new", k).to_string()], vec![(t, value(t, k))]);
        }
    };
    check_everything(&db);
    drop(db);
    let db = Db::open(&dir, opts).unwrap();
    check_everything(&db);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}
