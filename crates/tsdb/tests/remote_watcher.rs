//! The remote-write WAL watcher: series relabeling verdicts, batches per shard, resuming from a
//! batch's start position, segments crossed while tailing, and the WAL retention floor that keeps
//! segments a queue still needs when the head is truncated.

use std::fs;
use std::path::PathBuf;
use tsdb::db::{Db, Options};
use tsdb::remote::watcher::{Options as WatchOptions, Position, Step, Watcher};
use tsdb::remote::Protocol;
use tsdb::Labels;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-rw-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn opts(max: usize, shards: usize) -> WatchOptions {
    WatchOptions { protocol: Protocol::V1, send_exemplars: false, send_histograms: false, max_samples: max, shards, compress: false }
}

fn series(n: usize) -> Vec<Labels> {
    (0..n).map(|i| Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())])).collect()
}

/// Reads until idle, answering relabel requests with `keep`; returns (samples, batches' starts).
fn drain(w: &mut Watcher, keep: impl Fn(&Labels) -> bool) -> (u32, Vec<Position>) {
    let (mut samples, mut starts) = (0, Vec::new());
    loop {
        match w.read(true, i64::MIN).unwrap() {
            Step::NewSeries(list) => w.resolve(list.into_iter().map(|(_, l)| keep(&l).then_some((l, None))).collect()).unwrap(),
            Step::Batches(b) => {
                for x in b {
                    samples += x.samples;
                    starts.push(x.start);
                    assert!(!x.payload.is_empty());
                }
            }
            Step::Idle => return (samples, starts),
        }
    }
}

#[test]
fn relabeled_batches_resume_and_cross_segments() {
    let dir = temp_dir("watch");
    let db = Db::open(&dir, Options { wal_segment_size: 64 * 1024, ..Options::default() }).unwrap();
    let refs = db.series_refs(&series(10)).unwrap();
    // A new queue starts at the WAL's end: what was appended before is not sent.
    db.append(&refs, &[1000; 10], &[1.0; 10], None).unwrap();
    let mut fresh = Watcher::open(&dir.join("wal"), None, opts(7, 3)).unwrap();
    let mut w = Watcher::open(&dir.join("wal"), Some(Position::default()), opts(7, 3)).unwrap();
    for k in 2..1200i64 {
        db.append(&refs, &[k * 1000; 10], &[k as f64; 10], None).unwrap();
    }
    assert!(fs::read_dir(dir.join("wal")).unwrap().count() > 2, "the appends span several segments");
    let odd = |l: &Labels| l.get("i").is_some_and(|v| v.parse::<u32>().unwrap() % 2 == 1);
    let (sent, starts) = drain(&mut w, odd);
    assert_eq!(sent, 5 * 1199, "every sample of the kept (odd) series");
    assert!(starts.len() >= 5 * 1199 / 7);
    let (fresh_sent, _) = drain(&mut fresh, odd);
    assert_eq!(fresh_sent, 5 * 1198, "a new queue skips what the WAL held when it started");
    // Resuming from a batch's start position sends that batch and everything after it again.
    let mut sorted = starts.clone();
    sorted.sort();
    let mid = sorted[sorted.len() / 2];
    let mut again = Watcher::open(&dir.join("wal"), Some(mid), opts(7, 3)).unwrap();
    let (resent, _) = drain(&mut again, odd);
    assert!(resent < sent && resent > sent / 3, "resumed in the middle: {resent} of {sent}");
    // Tailing: new appends are read on.
    db.append(&refs, &[5_000_000; 10], &[1.0; 10], None).unwrap();
    assert_eq!(drain(&mut w, odd).0, 5);
    assert_eq!(w.stats.unknown_ref, 0);
}

#[test]
fn a_full_batch_comes_back_without_flush_and_the_rest_is_held() {
    let dir = temp_dir("held");
    let db = Db::open(&dir, Options::default()).unwrap();
    let mut w = Watcher::open(&dir.join("wal"), None, opts(4, 1)).unwrap();
    let refs = db.series_refs(&series(3)).unwrap();
    db.append(&refs, &[1000; 3], &[1.0; 3], None).unwrap();
    db.append(&refs, &[2000; 3], &[1.0; 3], None).unwrap();
    let Step::NewSeries(list) = w.read(false, i64::MIN).unwrap() else { panic!("series first") };
    assert_eq!(list.len(), 3);
    w.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap();
    let Step::Batches(b) = w.read(false, i64::MIN).unwrap() else { panic!("one full batch") };
    assert_eq!((b.len(), b[0].samples), (1, 4));
    assert!(matches!(w.read(false, i64::MIN).unwrap(), Step::Idle));
    assert_eq!(w.held_samples(), 2);
    assert!(w.held_start().is_some());
    // The sample age limit drops old samples.
    let Step::Batches(b) = w.read(true, 1500).unwrap() else { panic!("flushed") };
    assert_eq!(b[0].samples, 2);
    db.append(&refs, &[3000; 3], &[1.0; 3], None).unwrap();
    assert!(matches!(w.read(true, 3500).unwrap(), Step::Idle));
    assert_eq!(w.stats.too_old, 3);
}

#[test]
fn the_retention_floor_keeps_segments_at_truncation() {
    let dir = temp_dir("floor");
    let h = 3600 * 1000i64;
    let o = Options { block_range_ms: 2 * h, max_ahead_ms: 0, ..Options::default() };
    let db = Db::open(&dir, o.clone()).unwrap();
    let refs = db.series_refs(&series(2)).unwrap();
    db.set_wal_retention_floor(Some(0));
    for k in 0..8 {
        db.append(&refs, &[k * h / 2; 2], &[1.0; 2], None).unwrap();
    }
    db.compact().unwrap();
    let segs = tsdb::wal::list_segments(&dir.join("wal")).unwrap();
    assert_eq!(segs.first(), Some(&0), "floor 0: nothing checkpointed away ({segs:?})");
    let mut w = Watcher::open(&dir.join("wal"), Some(Position::default()), opts(100, 1)).unwrap();
    assert_eq!(drain(&mut w, |_| true).0, 16, "every sample is still in the WAL");
    db.set_wal_retention_floor(None);
    for k in 8..14 {
        db.append(&refs, &[k * h / 2; 2], &[1.0; 2], None).unwrap();
    }
    db.compact().unwrap();
    let segs = tsdb::wal::list_segments(&dir.join("wal")).unwrap();
    assert!(segs.first().is_some_and(|&s| s > 0), "without a floor the head truncation checkpoints ({segs:?})");
    // A watcher whose savepoint was removed starts at the oldest segment left and counts the loss.
    let mut late = Watcher::open(&dir.join("wal"), Some(Position::default()), opts(100, 1)).unwrap();
    drain(&mut late, |_| true);
    assert!(late.stats.segments_lost >= 1);
}

#[test]
fn resharding_moves_held_samples_without_reading_the_wal_again() {
    let dir = temp_dir("reshard");
    let db = Db::open(&dir, Options::default()).unwrap();
    let mut w = Watcher::open(&dir.join("wal"), None, opts(10, 2)).unwrap();
    let refs = db.series_refs(&series(6)).unwrap();
    for k in 1..=3i64 {
        db.append(&refs, &[k * 1000; 6], &[k as f64; 6], None).unwrap();
    }
    let mut sent = 0;
    loop {
        match w.read(false, i64::MIN).unwrap() {
            Step::NewSeries(list) => w.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap(),
            Step::Batches(b) => sent += b.iter().map(|x| x.samples).sum::<u32>(),
            Step::Idle => break,
        }
    }
    let held = w.held_samples();
    assert_eq!(held as u32 + sent, 18);
    assert!(held > 0, "some samples wait in unfinished batches");
    let held_start = w.held_start().unwrap();
    let series_records = w.stats.records_series;
    // Down to one shard of 10: the held samples (up to 2 x 9) fill it, and the rest stays held.
    w.set_shards(1);
    assert_eq!(w.held_samples(), held, "nothing held is lost or doubled");
    assert!(w.held_start().unwrap() <= held_start, "the savepoint still covers every held sample");
    let Step::Batches(b) = w.read(true, i64::MIN).unwrap() else { panic!("the moved samples come back") };
    assert!(b.iter().all(|x| x.shard == 0 && x.samples <= 10), "batches keep max_samples_per_send");
    assert_eq!(b.iter().map(|x| x.samples).sum::<u32>() as usize, held);
    // Tailing goes on with the series known: no series record is read again.
    db.append(&refs, &[4000; 6], &[4.0; 6], None).unwrap();
    let Step::Batches(b) = w.read(true, i64::MIN).unwrap() else { panic!("new samples") };
    assert_eq!(b.iter().map(|x| x.samples).sum::<u32>(), 6);
    assert_eq!(w.stats.records_series, series_records);
    assert_eq!(w.stats.unknown_ref, 0);
}

#[test]
fn new_series_come_in_bounded_runs() {
    use tsdb::remote::watcher::SERIES_PER_STEP;
    let dir = temp_dir("runs");
    let db = Db::open(&dir, Options::default()).unwrap();
    let n = SERIES_PER_STEP * 2 + 5;
    let refs = db.series_refs(&series(n)).unwrap();
    db.append(&refs, &vec![1000; n], &vec![1.0; n], None).unwrap();
    let mut w = Watcher::open(&dir.join("wal"), Some(Position::default()), opts(1000, 1)).unwrap();
    let mut runs = Vec::new();
    let mut sent = 0;
    loop {
        match w.read(true, i64::MIN).unwrap() {
            Step::NewSeries(list) => {
                runs.push(list.len());
                assert!(w.resolve(Vec::new()).is_err(), "verdicts must answer the run offered");
                w.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap();
            }
            Step::Batches(b) => sent += b.iter().map(|x| x.samples).sum::<u32>() as usize,
            Step::Idle => break,
        }
    }
    assert_eq!(runs, vec![SERIES_PER_STEP, SERIES_PER_STEP, 5]);
    assert_eq!(sent, n);
}
