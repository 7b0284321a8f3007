//! The database end to end: append, select, WAL replay and repair, the directory lock,
//! compaction into blocks, retention, deletion.

mod support;

use std::fs;
use std::path::PathBuf;
use tsdb::chunkenc::stale_nan;
use tsdb::db::{Db, Options};
use tsdb::kernels::{RangeFn, Steps};
use tsdb::{Error, Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-db-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn name_is(v: &str) -> Matcher {
    Matcher::Equal { name: "__name__".into(), value: v.into() }
}

fn series(name: &str, i: usize) -> Labels {
    Labels::from_pairs([("__name__", name.to_string()), ("i", i.to_string())])
}

const H: i64 = 3600 * 1000;

/// Appends `n` series x `count` samples every `every` ms from `start`, values t/1000 + i.
fn fill(db: &Db, n: usize, start: i64, count: i64, every: i64) {
    let labels: Vec<Labels> = (0..n).map(|i| series("m", i)).collect();
    let refs = db.series_refs(&labels).unwrap();
    for k in 0..count {
        let t = start + k * every;
        let ts = vec![t; n];
        let vs: Vec<f64> = (0..n).map(|i| (t / 1000) as f64 + i as f64).collect();
        let st = db.append(&refs, &ts, &vs, None).unwrap();
        assert_eq!(st.appended, n as u64);
    }
}

fn all_samples(db: &Db) -> Vec<(String, Vec<(i64, f64)>)> {
    support::samples_by_series(db, &[name_is("m")])
}

#[test]
fn append_select_and_evaluate() {
    let dir = temp_dir("basic");
    let db = Db::open(&dir, Options::default()).unwrap();
    fill(&db, 3, 0, 40, 15_000);
    let sel = db.select(&[name_is("m"), Matcher::NotEqual { name: "i".into(), value: "1".into() }], 0, 600_000).unwrap();
    assert_eq!(sel.labels().iter().map(|l| l.get("i").unwrap().to_string()).collect::<Vec<_>>(), vec!["0", "2"]);
    let steps = Steps { start: 300_000, end: 600_000, step: 60_000 };
    let m = sel.instant(&steps, 300_000).unwrap();
    assert_eq!(m.present.iter().filter(|&&p| p == 1).count(), 2 * 6, "the last sample (585s) is within the lookback");
    assert_eq!(m.values[0], 300.0);
    let r = sel.eval_range(&RangeFn::Rate, &steps, 120_000).unwrap();
    assert!((r.values[0] - 1.0).abs() < 1e-9, "{}", r.values[0]);
    assert_eq!(db.label_values("i", &[], 0, 1).unwrap(), vec!["0", "1", "2"]);
    // absent_over_time: one row, present where no series has a sample in the window.
    let late = Steps { start: 600_000, end: 1_200_000, step: 300_000 };
    let a = sel.eval_absent(&late, 60_000).unwrap();
    assert_eq!(a.present, vec![0, 1, 1]);
    assert_eq!(db.label_names(&[name_is("m")], 0, 600_000).unwrap(), vec!["__name__", "i"]);
}

#[test]
fn refusals_are_counted_and_the_rest_is_kept() {
    let dir = temp_dir("refusals");
    let db = Db::open(&dir, Options::default()).unwrap();
    let refs = db.series_refs(&[series("m", 0), series("m", 1)]).unwrap();
    db.append(&refs, &[1000, 1000], &[1.0, 1.0], None).unwrap();
    let st = db.append(&[refs[0], refs[1], refs[0], 999], &[500, 1000, 2000, 1], &[1.0, 2.0, stale_nan(), 1.0], None).unwrap();
    assert_eq!((st.appended, st.out_of_order, st.duplicate, st.unknown_ref), (1, 1, 1, 1));
    let samples = all_samples(&db);
    // The stale marker is stored (it ends the series for instant queries) but is not a sample.
    assert_eq!(samples[0].1, vec![(1000, 1.0)]);
    let sel = db.select(&[name_is("m")], 0, 3000).unwrap();
    let m = sel.instant(&Steps { start: 1500, end: 2500, step: 1000 }, 300_000).unwrap();
    assert_eq!(&m.present[0..2], &[1, 0]);
    assert!(matches!(db.append(&refs, &[1], &[1.0, 2.0], None), Err(Error::Invalid(_))));
}

#[test]
fn a_second_process_cannot_open_the_directory() {
    let dir = temp_dir("lock");
    let db = Db::open(&dir, Options::default()).unwrap();
    match Db::open(&dir, Options::default()) {
        Err(Error::Locked(msg)) => assert!(msg.contains("in use by another process"), "{msg}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("opened twice"),
    }
    db.close().unwrap();
    drop(db);
    Db::open(&dir, Options::default()).unwrap();
    // With no_lockfile nothing is locked (and nothing stops a second opener).
    let free = temp_dir("nolock");
    let a = Db::open(&free, Options { no_lockfile: true, ..Options::default() }).unwrap();
    assert!(!free.join("lock").exists());
    a.close().unwrap();
}

#[test]
fn wal_replay_restores_everything() {
    let dir = temp_dir("replay");
    let before = {
        let db = Db::open(&dir, Options::default()).unwrap();
        fill(&db, 50, 1_000_000, 100, 10_000);
        all_samples(&db)
        // Dropped without an orderly close of the head: only the WAL remains.
    };
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!(db.replay.samples, 5000);
    assert!(db.replay.corruption.is_none());
    assert_eq!(all_samples(&db), before);
    // New samples continue after the replayed ones, and survive another restart.
    let refs = db.series_refs(&[series("m", 0)]).unwrap();
    db.append(&refs, &[5_000_000], &[42.0], None).unwrap();
    drop(db);
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!(all_samples(&db)[0].1.last(), Some(&(5_000_000, 42.0)));
}

#[test]
fn corrupted_wal_tail_is_cut_and_the_rest_kept() {
    let dir = temp_dir("corrupt");
    {
        let db = Db::open(&dir, Options::default()).unwrap();
        fill(&db, 10, 0, 20, 1000);
    }
    let seg = dir.join("wal").join("00000000");
    let mut data = fs::read(&seg).unwrap();
    // The segment was padded to a full page at close; flip a bit in the last record's data.
    let last = data.iter().rposition(|&b| b != 0).unwrap();
    data[last] ^= 0x10;
    fs::write(&seg, &data).unwrap();
    let db = Db::open(&dir, Options::default()).unwrap();
    let c = db.replay.corruption.clone().expect("corruption reported");
    assert!(c.reason.contains("checksum"), "{}", c.reason);
    assert_eq!(db.counters().wal_corruptions, 1);
    // The last batch is lost, the 19 before it are intact.
    assert_eq!(db.replay.samples, 190);
    fill(&db, 10, 100_000, 1, 1000);
    drop(db);
    let db = Db::open(&dir, Options::default()).unwrap();
    assert!(db.replay.corruption.is_none(), "the repaired WAL reads cleanly");
    assert_eq!(db.replay.samples, 200);
}

#[test]
fn compaction_cuts_blocks_and_queries_span_them() {
    let dir = temp_dir("compact");
    let opts = Options { retention_ms: 0, ..Options::default() };
    let before = {
        let db = Db::open(&dir, opts.clone()).unwrap();
        fill(&db, 20, 0, 5 * 60, 60_000); // 5h of data at 1/min
        db.compact().unwrap();
        let st = db.stats(10);
        // Head keeps the last 1.5 block ranges; [0,2h) is a block.
        assert_eq!(st.blocks.len(), 1);
        assert_eq!((st.blocks[0].min_time, st.blocks[0].max_time), (0, 2 * H));
        assert_eq!(st.blocks[0].num_samples, 20 * 120);
        assert_eq!(st.min_time, Some(2 * H));
        let s = all_samples(&db);
        assert_eq!(s[0].1.len(), 300);
        // Samples for the persisted range are refused now.
        let refs = db.series_refs(&[series("m", 0)]).unwrap();
        assert_eq!(db.append(&refs, &[H], &[1.0], None).unwrap().too_old, 1);
        s
    };
    // After a restart: the block, plus the head rebuilt from the checkpoint and WAL.
    let db = Db::open(&dir, opts).unwrap();
    assert_eq!(all_samples(&db), before);
    assert!(fs::read_dir(dir.join("wal")).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("checkpoint.")));
}

#[test]
fn blocks_merge_and_retention_drops_old_ones() {
    let dir = temp_dir("retention");
    let ranges = |db: &Db| db.stats(1).blocks.iter().map(|b| (b.min_time / H, b.max_time / H, b.level)).collect::<Vec<_>>();
    {
        // 10h retention: blocks are never merged (the largest block is a tenth of retention),
        // and blocks ending more than 10h before the newest block's end are deleted.
        let db = Db::open(&dir, Options { retention_ms: 10 * H, ..Options::default() }).unwrap();
        fill(&db, 5, 0, 16 * 60, 60_000); // 16h
        db.compact().unwrap();
        assert_eq!(ranges(&db), vec![(2, 4, 1), (4, 6, 1), (6, 8, 1), (8, 10, 1), (10, 12, 1), (12, 14, 1)]);
        assert_eq!(db.counters().blocks_deleted_by_retention, 1);
    }
    {
        // A longer retention merges complete 6h windows (not the one holding the newest block).
        let db = Db::open(&dir, Options { retention_ms: 100 * H, ..Options::default() }).unwrap();
        db.compact().unwrap();
        assert_eq!(ranges(&db), vec![(2, 6, 2), (6, 12, 2), (12, 14, 1)]);
        let s = all_samples(&db);
        assert_eq!(s[0].1.len(), 14 * 60, "2h..16h survive: blocks and head");
    }
    // Retention by size, set at run time (a config reload): a tiny limit deletes every block; the head stays.
    let db = Db::open(&dir, Options::default()).unwrap();
    db.compact().unwrap();
    assert_eq!(ranges(&db).len(), 3);
    db.set_retention(0, 1);
    db.compact().unwrap();
    assert_eq!(ranges(&db), vec![]);
    assert_eq!(all_samples(&db)[0].1.len(), 2 * 60);
}

#[test]
fn deleted_series_disappear_from_head_and_blocks() {
    let dir = temp_dir("delete");
    let db = Db::open(&dir, Options { retention_ms: 0, ..Options::default() }).unwrap();
    fill(&db, 4, 0, 5 * 60, 60_000);
    db.compact().unwrap();
    let m = Matcher::Equal { name: "i".into(), value: "1".into() };
    db.delete_series(std::slice::from_ref(&m), 30 * 60_000, 4 * H).unwrap();
    let sel = db.select(std::slice::from_ref(&m), 0, 10 * H).unwrap();
    let csr = sel.samples().unwrap();
    assert_eq!(csr.t.len(), 300 - (4 * 60 - 30 + 1), "samples in [30m, 4h] are gone");
    db.clean_tombstones().unwrap();
    drop(db);
    let db = Db::open(&dir, Options { retention_ms: 0, ..Options::default() }).unwrap();
    let csr = db.select(&[m], 0, 10 * H).unwrap().samples().unwrap();
    assert_eq!(csr.t.len(), 300 - (4 * 60 - 30 + 1));
}

/// Every sample of series `m` with its start timestamp.
fn all_samples_with_st(db: &Db) -> Vec<(i64, i64, f64)> {
    let sel = db.select(&[name_is("m")], i64::MIN / 2, i64::MAX / 2).unwrap();
    let (mut t, mut v, mut st) = (Vec::new(), Vec::new(), Vec::new());
    sel.decode_with_st(0, i64::MIN / 2, i64::MAX / 2, &mut t, &mut v, Some(&mut st)).unwrap();
    (0..t.len()).map(|i| (st[i], t[i], v[i])).collect()
}

#[test]
fn start_timestamps_survive_replay_checkpoint_and_compaction() {
    let dir = temp_dir("start-timestamps");
    let opts = Options { retention_ms: 0, ..Options::default() };
    // 5h at 1/min; a counter restarting every hour (start = the hour), no start for the first 10 min.
    let expected: Vec<(i64, i64, f64)> = (0..300).map(|k| {
        let t = k * 60_000;
        let st = if k < 10 { 0 } else { t - t % H + if t % H == 0 { -H } else { 0 } };
        (st, t, (k % 60) as f64)
    }).collect();
    {
        let db = Db::open(&dir, opts.clone()).unwrap();
        let refs = db.series_refs(&[series("m", 0)]).unwrap();
        for &(st, t, v) in &expected {
            assert_eq!(db.append(&refs, &[t], &[v], Some(&[st])).unwrap().appended, 1);
        }
        assert_eq!(all_samples_with_st(&db), expected, "from the head");
    }
    {
        // WAL replay (SamplesV2 records), then a compaction writes XOR2 chunks to a block.
        let db = Db::open(&dir, opts.clone()).unwrap();
        assert_eq!(all_samples_with_st(&db), expected, "after WAL replay");
        db.compact().unwrap();
        assert_eq!(db.stats(10).blocks.len(), 1);
        assert_eq!(all_samples_with_st(&db), expected, "from block and head");
    }
    // Block, checkpoint and WAL after a restart.
    let db = Db::open(&dir, opts).unwrap();
    assert_eq!(all_samples_with_st(&db), expected, "after a restart with a block");
    // increase() over the hour that restarted at 2h: the start timestamp marks the reset.
    let sel = db.select(&[name_is("m")], 0, 5 * H).unwrap();
    let steps = Steps { start: 2 * H + 30 * 60_000, end: 2 * H + 30 * 60_000, step: 60_000 };
    let (m, overlaps) = sel.eval_range_st(&RangeFn::Increase, &steps, 10 * 60_000).unwrap();
    assert!(overlaps.is_empty());
    assert_eq!(m.present, vec![1]);
    assert!((m.values[0] - 10.0).abs() < 1e-9, "{}", m.values[0]);
}

#[test]
fn exemplars_are_stored_selected_and_replayed() {
    use tsdb::exemplars::Exemplar;
    let dir = temp_dir("exemplars");
    let opts = Options { max_exemplars: 3, ..Options::default() };
    let ex = |trace: &str, value: f64, t: i64| Exemplar { labels: Labels::from_pairs([("trace_id", trace)]), value, t };
    {
        let db = Db::open(&dir, opts.clone()).unwrap();
        let refs = db.series_refs(&[series("m", 0), series("m", 1), series("other", 0)]).unwrap();
        db.append(&refs, &[1000, 1000, 1000], &[1.0, 1.0, 1.0], None).unwrap();
        let st = db.append_exemplars(&[(refs[0], ex("a", 1.0, 1000)), (refs[0], ex("a", 1.0, 1000)), (refs[1], ex("b", 2.0, 1000)), (refs[0], ex("c", 3.0, 900)), (refs[2], ex("d", 4.0, 1000)), (999, ex("e", 1.0, 1))]).unwrap();
        assert_eq!((st.appended, st.duplicate, st.out_of_order, st.unknown_ref), (3, 1, 1, 1));
        let got = db.select_exemplars(&[vec![name_is("m")]], 0, 5000).unwrap();
        assert_eq!(got, vec![(series("m", 0), vec![ex("a", 1.0, 1000)]), (series("m", 1), vec![ex("b", 2.0, 1000)])]);
        assert_eq!(db.select_exemplars(&[vec![name_is("m")], vec![name_is("other")]], 0, 999).unwrap(), vec![]);
        // Full at 3: the oldest goes.
        db.append_exemplars(&[(refs[1], ex("f", 5.0, 2000))]).unwrap();
        assert_eq!(db.exemplar_stats().unwrap().exemplars_in_storage, 3);
    }
    let db = Db::open(&dir, opts).unwrap();
    let got = db.select_exemplars(&[vec![name_is("m")], vec![name_is("other")]], 0, 5000).unwrap();
    assert_eq!(got, vec![(series("m", 1), vec![ex("b", 2.0, 1000), ex("f", 5.0, 2000)]), (series("other", 0), vec![ex("d", 4.0, 1000)])], "rebuilt from the WAL");
    // Without exemplar storage nothing is kept.
    drop(db);
    let db = Db::open(&dir, Options::default()).unwrap();
    assert!(db.select_exemplars(&[vec![name_is("m")]], 0, 5000).unwrap().is_empty());
}

#[test]
fn stats_without_cardinality_lists_keeps_every_total() {
    let dir = temp_dir("stats-limit");
    let db = Db::open(&dir, Options::default()).unwrap();
    fill(&db, 5, 0, 3, 15_000);
    let (none, some) = (db.stats(0), db.stats(10));
    assert!(none.series_count_by_label_value_pair.is_empty() && none.series_count_by_metric_name.is_empty());
    assert_eq!(some.series_count_by_metric_name, vec![("m".to_string(), 5)]);
    assert_eq!(some.series_count_by_label_value_pair.len(), 6, "__name__=m and i=0..4");
    assert_eq!((none.num_series, none.num_label_pairs, none.chunk_count, none.min_time, none.max_time), (some.num_series, some.num_label_pairs, some.chunk_count, some.min_time, some.max_time));
    assert_eq!(none.num_series, 5);
    assert!(none.wal_bytes > 0);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn series_created_across_lock_holds_are_logged_once_and_replayed() {
    use tsdb::db::SERIES_PER_LOCK;
    let dir = temp_dir("series-chunks");
    let n = SERIES_PER_LOCK * 2 + 100;
    // Every series twice, the repeat in another lock hold than the first.
    let labels: Vec<Labels> = (0..n).chain(0..n).map(|i| series("m", i)).collect();
    {
        let db = Db::open(&dir, Options::default()).unwrap();
        let refs = db.series_refs(&labels).unwrap();
        assert_eq!(refs[..n], refs[n..], "a repeated label set got another ref");
        assert_eq!(db.stats(0).num_series, n as u64);
        // A label set refused at the end creates none of those before it.
        let mut bad: Vec<Labels> = (0..SERIES_PER_LOCK + 5).map(|i| series("late", i)).collect();
        bad.push(Labels::from_pairs(Vec::<(&str, String)>::new()));
        assert!(matches!(db.series_refs(&bad), Err(Error::Invalid(m)) if m.contains(&format!("label set {} is empty", SERIES_PER_LOCK + 5))));
        assert_eq!(db.stats(0).num_series, n as u64);
        db.append(&refs[..n], &vec![1000; n], &vec![1.0; n], None).unwrap();
    }
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!(db.replay.series, n as u64);
    assert_eq!(db.replay.samples, n as u64);
}

#[test]
fn an_append_across_lock_holds_keeps_its_order_counts_and_replay() {
    use tsdb::db::SAMPLES_PER_LOCK;
    use tsdb::head::Refusal;
    let s = SAMPLES_PER_LOCK;
    let dir = temp_dir("sample-slices");
    let labels: Vec<Labels> = (0..s + 50).map(|i| series("m", i)).collect();
    let before = {
        let db = Db::open(&dir, Options::default()).unwrap();
        let refs = db.series_refs(&labels).unwrap();
        // One batch of three lock holds: every series at 2000 (the first hold), the first one
        // again at 1000 (out of order, the first sample of the second hold), every series at 3000
        // (across the second and third), and the last 50 series at 2000.
        let mut r = Vec::new();
        let mut t = Vec::new();
        let mut push = |from: usize, to: usize, at: i64| {
            r.extend_from_slice(&refs[from..to]);
            t.extend(std::iter::repeat_n(at, to - from));
        };
        push(0, s, 2000);
        push(0, 1, 1000);
        push(0, s, 3000);
        push(s, s + 50, 2000);
        let v: Vec<f64> = t.iter().map(|&t| t as f64).collect();
        let st = db.append(&r, &t, &v, None).unwrap();
        assert_eq!((st.appended, st.out_of_order), (2 * s as u64 + 50, 1));
        assert!(matches!(st.first_refused, Some((i, Refusal::OutOfOrder)) if i == s), "the refused sample is named by its index in the whole batch");
        let samples = all_samples(&db);
        assert_eq!(samples.len(), s + 50);
        let both = samples.iter().filter(|(_, ss)| ss == &vec![(2000, 2000.0), (3000, 3000.0)]).count();
        let once = samples.iter().filter(|(_, ss)| ss == &vec![(2000, 2000.0)]).count();
        assert_eq!((both, once), (s, 50));
        samples
    };
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!(db.replay.samples, 2 * s as u64 + 50);
    assert_eq!(all_samples(&db), before, "the WAL replays the batch as the head took it");
}
