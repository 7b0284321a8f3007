//! Native histograms through the database: appended beside floats in one series, read back
//! as raw samples and by instant lookups (which kind is newest), replayed from the WAL, kept
//! through a checkpoint, persisted in blocks by compaction and deleted by tombstones.

use std::fs;
use std::path::PathBuf;
use tsdb::chunkenc::stale_nan;
use tsdb::histogram::{CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};
use tsdb::{Db, Labels, Matcher, Options, Steps};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn opts() -> Options {
    Options { max_ahead_ms: 0, ..Options::default() }
}

fn hist(i: u32, integer: bool) -> Histogram {
    let b = [i as f64, 2.0 * i as f64, 1.0];
    Histogram {
        schema: 2,
        zero_threshold: 0.001,
        zero_count: 1.0,
        count: 1.0 + b.iter().sum::<f64>(),
        sum: i as f64 * 0.5,
        positive_spans: vec![Span { offset: 1, length: 2 }, Span { offset: 3, length: 1 }],
        positive_buckets: b.to_vec(),
        integer,
        ..Histogram::default()
    }
}

fn nhcb(i: u32) -> Histogram {
    Histogram { schema: CUSTOM_BUCKETS_SCHEMA, count: 3.0 * i as f64, sum: i as f64, positive_spans: vec![Span { offset: 0, length: 3 }], positive_buckets: vec![i as f64; 3], custom_values: vec![0.1, 1.0], integer: false, ..Histogram::default() }
}

fn matcher(name: &str) -> Vec<Matcher> {
    vec![Matcher::Equal { name: "__name__".into(), value: name.into() }]
}

/// Hints come back as the chunks say: the first sample of a chunk Unknown (or the reset), later
/// ones NotCounterReset; compare without them.
fn without_hint(mut h: Histogram) -> Histogram {
    h.hint = CounterResetHint::Unknown;
    h
}

#[test]
fn histograms_and_floats_share_a_series_and_survive_a_restart() {
    let dir = temp_dir("nh-db");
    let db = Db::open(&dir, opts()).unwrap();
    let refs = db.series_refs(&[Labels::from_pairs([("__name__", "mixed")]), Labels::from_pairs([("__name__", "nhcb")])]).unwrap();
    let (m, c) = (refs[0], refs[1]);
    db.append(&[m, m], &[1000, 2000], &[1.0, 2.0], None).unwrap();
    let st = db.append_histograms(&[m, m, c, m], &[3000, 4000, 4000, 5000], &[hist(1, true), hist(2, true), nhcb(1), hist(3, false)], None).unwrap();
    assert_eq!(st.appended, 4);
    db.append(&[m, c], &[6000, 5000], &[3.0, stale_nan()], None).unwrap();
    db.append_histograms(&[m], &[7000], &[hist(4, true)], None).unwrap();
    db.append(&[m], &[8000], &[stale_nan()], None).unwrap();
    assert_eq!(db.append_histograms(&[m], &[7500], &[hist(4, true)], None).unwrap().out_of_order, 1);
    let bad = Histogram { schema: 11, ..hist(1, true) };
    let err = db.append_histograms(&[m], &[9000], &[bad], None).unwrap_err().to_string();
    assert!(err.contains("histogram 0") && err.contains("schema 11"), "{err}");

    let check = |db: &Db| {
        let sel = db.select(&matcher("mixed"), 0, 10_000).unwrap();
        let floats = sel.samples().unwrap();
        assert_eq!((floats.t.clone(), floats.v.clone()), (vec![1000, 2000, 6000], vec![1.0, 2.0, 3.0]));
        let hs = sel.histogram_samples().unwrap();
        assert_eq!(hs.t, vec![3000, 4000, 5000, 7000]);
        let want = [hist(1, true), hist(2, true), hist(3, false), hist(4, true)];
        for (got, want) in hs.h.iter().zip(want) {
            assert_eq!(without_hint(got.clone()), want);
        }
        // Instant lookups at 2.5s (float), 4.5s (histogram), 6.5s (float), 7.5s (histogram),
        // 8.5s (the histogram stale marker ends both).
        let steps = Steps { start: 2500, end: 8500, step: 2000 };
        let steps_all = Steps { start: 2500, end: 8500, step: 1000 };
        let inst = sel.instant(&steps_all, 300_000).unwrap();
        assert_eq!(inst.present, vec![1, 0, 0, 0, 1, 0, 0]);
        let ih = sel.instant_histograms(&steps_all, 300_000).unwrap();
        assert_eq!(ih.index, vec![-1, 0, 1, 2, -1, 3, -1]);
        assert_eq!(ih.timestamps[1..4], [3000, 4000, 5000]);
        assert_eq!(without_hint(ih.h[3].clone()), hist(4, true));
        assert_eq!(sel.instant(&steps, 300_000).unwrap().present.len(), 4);
        let nh = db.select(&matcher("nhcb"), 0, 10_000).unwrap().histogram_samples().unwrap();
        assert_eq!(nh.h.len(), 1, "the NHCB series' stale marker is left out");
        assert_eq!(nh.h[0].custom_values, vec![0.1, 1.0]);
    };
    check(&db);
    db.close().unwrap();
    drop(db);
    let db = Db::open(&dir, opts()).unwrap();
    assert_eq!(db.replay.samples, 10);
    check(&db);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn compaction_writes_histogram_chunks_into_blocks_and_tombstones_apply() {
    let dir = temp_dir("nh-compact");
    let hour = 3_600_000;
    let db = Db::open(&dir, opts()).unwrap();
    let r = db.series_refs(&[Labels::from_pairs([("__name__", "h")])]).unwrap()[0];
    let ts: Vec<i64> = (0..240).map(|i| i * 60_000).collect();
    let hs: Vec<Histogram> = (0..240).map(|i| if i % 50 == 49 { hist(1, true) } else { hist(i as u32 + 2, i >= 120) }).collect();
    db.append_histograms(&vec![r; ts.len()], &ts, &hs, None).unwrap();
    db.append(&[r], &[4 * hour + 1], &[5.0], None).unwrap();
    db.compact().unwrap();
    let stats = db.stats(1);
    assert_eq!(stats.blocks.len(), 1);
    assert_eq!(stats.blocks[0].num_samples, 120);
    db.delete_series(&matcher("h"), 600_000, 1_200_000).unwrap();
    let got = db.select(&matcher("h"), 0, 5 * hour).unwrap().histogram_samples().unwrap();
    let want: Vec<i64> = ts.iter().copied().filter(|&t| !(600_000..=1_200_000).contains(&t)).collect();
    assert_eq!(got.t, want);
    for (t, h) in got.t.iter().zip(&got.h) {
        let i = (t / 60_000) as usize;
        assert_eq!(without_hint(h.clone()), hs[i], "sample at {t}");
    }
    // Resets are marked: the sample after each drop starts a chunk with the reset header.
    let resets: Vec<i64> = got.t.iter().zip(&got.h).filter(|(_, h)| h.hint == CounterResetHint::CounterReset).map(|(t, _)| *t).collect();
    assert_eq!(resets, vec![49 * 60_000, 99 * 60_000, 149 * 60_000, 199 * 60_000]);
    // The deletion is applied by rewriting the block.
    db.clean_tombstones().unwrap();
    let again = db.select(&matcher("h"), 0, 5 * hour).unwrap().histogram_samples().unwrap();
    assert_eq!(again.t, want);
    assert_eq!(db.counters().checkpoints, 1);
    db.close().unwrap();
    drop(db);
    // The head's histogram samples (after the block) came back from the WAL checkpoint.
    let db = Db::open(&dir, opts()).unwrap();
    let after = db.select(&matcher("h"), 2 * hour, 5 * hour).unwrap().histogram_samples().unwrap();
    assert_eq!(after.t, want.iter().copied().filter(|&t| t >= 2 * hour).collect::<Vec<_>>());
    assert_eq!(without_hint(after.h[0].clone()), hs[120]);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}
