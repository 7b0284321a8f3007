//! Agent mode's WAL-only database: no chunks kept beyond each series' open one, no blocks, and
//! the agent's truncation (series garbage collection and a checkpoint that keeps samples from a
//! time on, stopping below the remote-write floor).

use std::fs;
use std::path::{Path, PathBuf};
use tsdb::db::{Db, Options};
use tsdb::{Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-agent-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn agent_options() -> Options {
    Options { agent: true, wal_segment_size: 64 * 1024, max_ahead_ms: 0, ..Options::default() }
}

fn series(i: usize) -> Labels {
    Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())])
}

/// Series `i=0` gets a sample at k seconds and `i=1` one at k ms, for k in 0..n: both write into
/// every segment, but `i=1`'s samples are all old.
fn fill(db: &Db, n: i64) {
    let refs = db.series_refs(&[series(0), series(1)]).unwrap();
    for k in 0..n {
        let st = db.append(&refs, &[k * 1000, k], &[k as f64, k as f64], None).unwrap();
        assert_eq!(st.appended, 2);
    }
}

/// The samples of each series as a TSDB replaying this WAL sees them: (labels, first t, last t, count).
fn replayed(dir: &Path) -> Vec<(String, i64, i64, usize)> {
    let db = Db::open(dir, Options { max_ahead_ms: 0, retention_ms: 0, ..Options::default() }).unwrap();
    let sel = db.select(&[Matcher::Equal { name: "__name__".into(), value: "m".into() }], i64::MIN / 2, i64::MAX / 2).unwrap();
    let csr = sel.samples().unwrap();
    let out = sel
        .labels()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let ts = &csr.t[csr.offsets[i] as usize..csr.offsets[i + 1] as usize];
            (l.to_string(), ts[0], ts[ts.len() - 1], ts.len())
        })
        .collect();
    db.close().unwrap();
    out
}

#[test]
fn the_agent_keeps_no_chunks_and_writes_no_blocks() {
    let dir = temp_dir("chunks");
    let db = Db::open(&dir, agent_options()).unwrap();
    fill(&db, 6000);
    db.compact().unwrap();
    let stats = db.stats(1);
    assert!(stats.chunk_count <= 2, "one open chunk per series, not {}", stats.chunk_count);
    assert!(stats.blocks.is_empty());
    assert!(tsdb::wal::list_segments(&dir.join("wal")).unwrap().len() > 2, "the samples span several segments");
    let tsdb_db = Db::open(&temp_dir("not-agent"), Options::default()).unwrap();
    assert!(tsdb_db.truncate_agent_wal(0).is_err(), "a TSDB truncates its WAL with the head");
}

#[test]
fn truncation_collects_idle_series_and_keeps_samples_from_mint() {
    let dir = temp_dir("mint");
    let db = Db::open(&dir, agent_options()).unwrap();
    fill(&db, 6000);
    let mint = 4_000_000;
    let t = db.truncate_agent_wal(mint).unwrap();
    assert_eq!(t.series_removed, 1, "i=1 has no sample at or after mint");
    assert!(t.checkpoint_through.is_some());
    assert_eq!(t.series_pending_deletion, 0, "every segment that held i=1 is checkpointed");
    db.close().unwrap();
    drop(db);
    assert_eq!(replayed(&dir), vec![("{__name__=\"m\", i=\"0\"}".to_string(), mint, 5_999_000, 2000)]);
}

#[test]
fn segments_at_the_floor_stay_whole_with_the_records_of_removed_series() {
    let dir = temp_dir("floor");
    let db = Db::open(&dir, agent_options()).unwrap();
    fill(&db, 6000);
    let mint = 4_000_000;
    // A remote-write queue still needs segments from 1 on.
    db.set_wal_retention_floor(Some(1));
    let t = db.truncate_agent_wal(mint).unwrap();
    assert_eq!(t.checkpoint_through, Some(0));
    assert_eq!(t.series_pending_deletion, 1, "i=1 has samples in the segments kept");
    db.close().unwrap();
    drop(db);
    let got = replayed(&dir);
    assert_eq!(got.len(), 2, "i=1's record is kept for its samples in segment 1 on: {got:?}");
    let (old, recent) = (&got[1], &got[0]);
    assert!(old.1 > 0 && old.2 == 5999, "segment 0's old samples are gone, the later ones whole: {old:?}");
    assert_eq!(recent.3, old.3, "i=0 keeps the same records (none of segment 0 is at or after mint)");

    // Once the queue has moved on, the next truncation removes the rest and i=1's record.
    let db = Db::open(&dir, agent_options()).unwrap();
    let t = db.truncate_agent_wal(mint).unwrap();
    assert_eq!((t.series_removed, t.series_pending_deletion), (1, 0));
    db.close().unwrap();
    drop(db);
    assert_eq!(replayed(&dir), vec![("{__name__=\"m\", i=\"0\"}".to_string(), mint, 5_999_000, 2000)]);
}

#[test]
fn a_checkpoint_larger_than_a_write_batch_keeps_every_record() {
    let dir = temp_dir("large");
    let db = Db::open(&dir, Options { wal_segment_size: 1 << 20, ..agent_options() }).unwrap();
    let labels: Vec<Labels> = (0..100).map(series).collect();
    let refs = db.series_refs(&labels).unwrap();
    for k in 0..3000i64 {
        db.append(&refs, &[k * 1000; 100], &[k as f64; 100], None).unwrap();
    }
    let t = db.truncate_agent_wal(0).unwrap();
    assert_eq!(t.series_removed, 0);
    let cp = tsdb::wal::last_checkpoint(&dir.join("wal")).unwrap().unwrap().0;
    assert!(tsdb::wal::dir_size(&cp) > 2 << 20, "the checkpoint spans several write batches");
    db.close().unwrap();
    drop(db);
    let got = replayed(&dir);
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|s| (s.1, s.2, s.3) == (0, 2_999_000, 3000)), "every series whole: {:?}", got.iter().find(|s| (s.1, s.2, s.3) != (0, 2_999_000, 3000)));
}
