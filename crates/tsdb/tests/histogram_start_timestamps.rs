//! Start timestamps of native-histogram samples through the database: stored with the samples
//! in the head, replayed from the WAL's V2 histogram records, and kept in blocks by compaction;
//! histograms without start timestamps read back with none.

use std::fs;
use std::path::PathBuf;
use tsdb::histogram::{Histogram, Span};
use tsdb::{Db, Labels, Matcher, Options};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn hist(i: u32, integer: bool) -> Histogram {
    let b = [i as f64, 1.0];
    Histogram { schema: 1, count: b.iter().sum(), sum: i as f64, positive_spans: vec![Span { offset: 0, length: 2 }], positive_buckets: b.to_vec(), integer, ..Histogram::default() }
}

fn matcher(name: &str) -> Vec<Matcher> {
    vec![Matcher::Equal { name: "__name__".into(), value: name.into() }]
}

/// (t, st) of every histogram sample of `name`.
fn starts(db: &Db, name: &str, lo: i64, hi: i64) -> Vec<(i64, i64)> {
    let got = db.select(&matcher(name), lo, hi).unwrap().histogram_samples().unwrap();
    assert_eq!(got.t.len(), got.st.len());
    got.t.iter().copied().zip(got.st.iter().copied()).collect()
}

#[test]
fn histogram_start_timestamps_survive_restart_and_compaction() {
    let dir = temp_dir("nh-st");
    let hour = 3_600_000;
    let opts = || Options { max_ahead_ms: 0, ..Options::default() };
    let db = Db::open(&dir, opts()).unwrap();
    let refs = db.series_refs(&[Labels::from_pairs([("__name__", "with_st")]), Labels::from_pairs([("__name__", "float_st")]), Labels::from_pairs([("__name__", "plain")])]).unwrap();
    let (a, f, p) = (refs[0], refs[1], refs[2]);
    // 240 samples a minute apart: the first 10 without a start timestamp (the chunk becomes one
    // with start timestamps at the 11th), then a cumulative start that moves every 50 samples,
    // with a delta-style stretch (start = previous sample) in the middle.
    let ts: Vec<i64> = (0..240).map(|i| i * 60_000).collect();
    let want_st: Vec<i64> = (0..240i64)
        .map(|i| match i {
            0..=9 => 0,
            100..=139 => i * 60_000 - 60_000,
            _ => (i / 50) * 50 * 60_000 - 1,
        })
        .collect();
    let hs: Vec<Histogram> = (0..240).map(|i| hist(i as u32 + 1, true)).collect();
    db.append_histograms(&vec![a; 240], &ts, &hs, Some(&want_st)).unwrap();
    let fhs: Vec<Histogram> = (0..5).map(|i| hist(i + 1, false)).collect();
    let fst = [500, 500, 1000, 0, 1];
    db.append_histograms(&[f; 5], &ts[..5], &fhs, Some(&fst)).unwrap();
    db.append_histograms(&[p; 3], &ts[..3], &hs[..3], None).unwrap();
    let want: Vec<(i64, i64)> = ts.iter().copied().zip(want_st.iter().copied()).collect();
    let want_f: Vec<(i64, i64)> = ts[..5].iter().copied().zip(fst).collect();
    let check = |db: &Db| {
        assert_eq!(starts(db, "with_st", 0, 5 * hour), want);
        assert_eq!(starts(db, "float_st", 0, 5 * hour), want_f);
        assert_eq!(starts(db, "plain", 0, 5 * hour), vec![(0, 0), (60_000, 0), (120_000, 0)]);
    };
    check(&db);
    drop(db);
    // Replayed from the WAL (V2 histogram records).
    let db = Db::open(&dir, opts()).unwrap();
    check(&db);
    // The first two hours go into a block.
    db.append(&[p], &[4 * hour + 1], &[1.0], None).unwrap();
    db.compact().unwrap();
    assert_eq!(db.stats(1).blocks.len(), 1);
    check(&db);
    db.close().unwrap();
    drop(db);
    // The head's part came back from the checkpoint, the rest from the block.
    let db = Db::open(&dir, opts()).unwrap();
    check(&db);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}
