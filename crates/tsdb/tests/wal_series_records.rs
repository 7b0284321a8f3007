//! Series records are replayed from their bytes (`record::SeriesReader`), without a `Labels` per
//! series: a record whose label sets are not in canonical form (unsorted, a repeated name, an
//! empty value, a set logged twice under two refs) still makes the series `Labels::from_pairs`
//! makes, with their samples; a truncated series record cuts the WAL there and keeps what came
//! before; and a checkpoint, which copies the live series' entries as they are, replays the same.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use tsdb::db::{Db, Options};
use tsdb::encoding::{put_be64, put_uvarint};
use tsdb::record::{self, Record, RefSample};
use tsdb::wal::{self, WalWriter, DEFAULT_SEGMENT_SIZE};
use tsdb::{Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-walseries-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("wal")).unwrap();
    d
}

/// A series record with the pairs exactly as given, in their order.
fn series_record(entries: &[(u64, &[(&str, &str)])]) -> Vec<u8> {
    let mut out = vec![record::REC_SERIES];
    for (r, pairs) in entries {
        put_be64(&mut out, *r);
        put_uvarint(&mut out, pairs.len() as u64);
        for (n, v) in pairs.iter() {
            put_uvarint(&mut out, n.len() as u64);
            out.extend_from_slice(n.as_bytes());
            put_uvarint(&mut out, v.len() as u64);
            out.extend_from_slice(v.as_bytes());
        }
    }
    out
}

fn samples_record(samples: &[(u64, i64, f64)]) -> Vec<u8> {
    let mut out = Vec::new();
    record::encode_samples(&mut out, samples.iter().map(|&(r, t, v)| RefSample { r, st: 0, t, v }));
    out
}

fn write_wal(dir: &Path, records: &[Vec<u8>]) {
    let mut w = WalWriter::create(&dir.join("wal"), 0, DEFAULT_SEGMENT_SIZE).unwrap();
    let refs: Vec<&[u8]> = records.iter().map(|r| r.as_slice()).collect();
    w.log(&refs).unwrap();
    w.close().unwrap();
}

/// Every series named `m`: its labels as text and its samples.
fn contents(db: &Db) -> Vec<(String, Vec<(i64, f64)>)> {
    support::samples_by_series(db, &[Matcher::Equal { name: "__name__".into(), value: "m".into() }])
}

#[test]
fn label_sets_not_in_canonical_form_replay_as_from_pairs_makes_them() {
    let dir = temp_dir("canonical");
    write_wal(
        &dir,
        &[
            series_record(&[
                (1, &[("__name__", "m"), ("x", "1")]),
                (2, &[("x", "2"), ("__name__", "m")]),
                (3, &[("__name__", "m"), ("x", "3"), ("y", "")]),
                (4, &[("__name__", "m"), ("x", "4"), ("x", "5")]),
                // The set of ref 1 again: its samples go to ref 1's series.
                (5, &[("x", "1"), ("__name__", "m")]),
            ]),
            samples_record(&[(1, 1000, 1.0), (2, 1000, 2.0), (3, 1000, 3.0), (4, 1000, 4.0), (5, 2000, 10.0)]),
        ],
    );
    let db = Db::open(&dir, Options::default()).unwrap();
    assert!(db.replay.corruption.is_none());
    assert_eq!(db.replay.series, 5);
    assert_eq!(
        contents(&db),
        vec![
            (Labels::from_pairs([("__name__", "m"), ("x", "1")]).to_string(), vec![(1000, 1.0), (2000, 10.0)]),
            (Labels::from_pairs([("__name__", "m"), ("x", "2")]).to_string(), vec![(1000, 2.0)]),
            (Labels::from_pairs([("__name__", "m"), ("x", "3")]).to_string(), vec![(1000, 3.0)]),
            (Labels::from_pairs([("__name__", "m"), ("x", "5")]).to_string(), vec![(1000, 4.0)]),
        ]
    );
    // The same series are found again by their labels, whichever way they were created.
    let refs = db.series_refs(&[Labels::from_pairs([("__name__", "m"), ("x", "2")]), Labels::from_pairs([("x", "5"), ("__name__", "m")])]).unwrap();
    assert_eq!(db.append(&refs, &[3000, 3000], &[20.0, 50.0], None).unwrap().appended, 2);
    assert_eq!(contents(&db).len(), 4);
}

#[test]
fn a_truncated_series_record_cuts_the_wal_and_keeps_what_came_before() {
    let dir = temp_dir("truncated");
    let mut cut = series_record(&[(2, &[("__name__", "m"), ("x", "2")])]);
    // The last value's length now runs past the record's end.
    cut.truncate(cut.len() - 1);
    write_wal(&dir, &[series_record(&[(1, &[("__name__", "m"), ("x", "1")])]), samples_record(&[(1, 1000, 1.0)]), cut, samples_record(&[(1, 2000, 2.0)])]);
    let db = Db::open(&dir, Options::default()).unwrap();
    let c = db.replay.corruption.clone().expect("the truncated record is reported");
    assert!(c.reason.contains("series record"), "{}", c.reason);
    assert_eq!(contents(&db), vec![(Labels::from_pairs([("__name__", "m"), ("x", "1")]).to_string(), vec![(1000, 1.0)])]);
}

#[test]
fn a_checkpoint_of_copied_series_entries_replays_the_live_series() {
    let dir = temp_dir("checkpoint");
    let h = 3600 * 1000;
    let opts = Options { retention_ms: 0, ..Options::default() };
    let before = {
        let db = Db::open(&dir, opts.clone()).unwrap();
        let old = db.series_refs(&[Labels::from_pairs([("__name__", "m"), ("age", "old")])]).unwrap();
        db.append(&old, &[1000], &[1.0], None).unwrap();
        let live: Vec<Labels> = (0..300).map(|i| Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())])).collect();
        let refs = db.series_refs(&live).unwrap();
        for k in 0..4 {
            let t = 2 * h + k * 3600 * 1000;
            db.append(&refs, &vec![t; refs.len()], &vec![k as f64; refs.len()], None).unwrap();
        }
        // Cuts the head into a block, drops the series without samples left in it and
        // checkpoints the WAL.
        db.compact().unwrap();
        contents(&db)
    };
    let checkpoint = fs::read_dir(dir.join("wal")).unwrap().flatten().map(|e| e.path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("checkpoint.")).expect("a checkpoint was written");
    // It holds the live series only, each once.
    let mut logged = Vec::new();
    for s in wal::list_segments(&checkpoint).unwrap() {
        let data = wal::read_segment_file(&checkpoint, s).unwrap();
        assert!(wal::read_segment(s, &data, |rec| {
            if let Record::Series(list) = record::decode(rec)? {
                logged.extend(list.into_iter().map(|(_, l)| l.get("i").unwrap_or("none").to_string()));
            }
            Ok(())
        })
        .is_none());
    }
    logged.sort_by_key(|i| i.parse::<u32>().unwrap_or(u32::MAX));
    assert_eq!(logged, (0..300).map(|i| i.to_string()).collect::<Vec<_>>());
    let db = Db::open(&dir, opts).unwrap();
    assert!(db.replay.corruption.is_none());
    assert_eq!(contents(&db), before);
}
