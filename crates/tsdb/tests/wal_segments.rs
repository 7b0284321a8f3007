//! A WAL with a missing segment is refused at open (as Prometheus refuses it) instead of being
//! replayed without that segment's series and samples; interrupted checkpoints and block
//! directories are removed at open.

use std::fs;
use std::path::{Path, PathBuf};
use tsdb::db::{Db, Options};
use tsdb::Labels;

const H: i64 = 3600 * 1000;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-walseg-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

/// Opens the database `times` times, appending one sample at each: every open starts a segment.
fn write_sessions(dir: &Path, times: i64) {
    for k in 0..times {
        let db = Db::open(dir, Options::default()).unwrap();
        let refs = db.series_refs(&[Labels::from_pairs([("__name__", "m"), ("session", &k.to_string())])]).unwrap();
        assert_eq!(db.append(&refs, &[k * 1000], &[k as f64], None).unwrap().appended, 1);
    }
}

fn segments(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir.join("wal")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit())).collect();
    v.sort();
    v
}

fn open_error(dir: &Path) -> String {
    match Db::open(dir, Options::default()) {
        Ok(_) => panic!("the database opened without the missing segment"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_first_segment_is_refused() {
    let dir = temp_dir("first");
    write_sessions(&dir, 3);
    assert_eq!(segments(&dir), ["00000000", "00000001", "00000002"]);
    fs::remove_file(dir.join("wal/00000000")).unwrap();
    let err = open_error(&dir);
    assert!(err.contains("missing segment(s) 00000000 "), "{err}");
    assert!(err.contains(&dir.join("wal").display().to_string()), "{err}");
    // Nothing was changed: restoring nothing, it still refuses.
    assert_eq!(segments(&dir), ["00000001", "00000002"]);
    assert!(open_error(&dir).contains("00000000"));
}

#[test]
fn a_missing_middle_segment_is_refused() {
    let dir = temp_dir("middle");
    write_sessions(&dir, 4);
    fs::remove_file(dir.join("wal/00000001")).unwrap();
    fs::remove_file(dir.join("wal/00000002")).unwrap();
    let err = open_error(&dir);
    assert!(err.contains("missing segment(s) 00000001-00000002 "), "{err}");
}

#[test]
fn the_segment_after_a_checkpoint_must_be_there() {
    let dir = temp_dir("checkpoint");
    {
        let db = Db::open(&dir, Options::default()).unwrap();
        let refs = db.series_refs(&[Labels::from_pairs([("__name__", "m")])]).unwrap();
        for k in 0..=16 {
            db.append(&refs, &[k * H / 4], &[k as f64], None).unwrap();
        }
        db.compact().unwrap();
        db.append(&refs, &[5 * H], &[1.0], None).unwrap();
    }
    let cps: Vec<String> = fs::read_dir(dir.join("wal")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("checkpoint.")).collect();
    assert_eq!(cps.len(), 1, "{cps:?}");
    let covered: u32 = cps[0]["checkpoint.".len()..].parse().unwrap();
    // Healthy: opens, and keeps everything.
    drop(Db::open(&dir, Options::default()).unwrap());
    let next = format!("{:08}", covered + 1);
    assert!(segments(&dir).contains(&next));
    fs::remove_file(dir.join("wal").join(&next)).unwrap();
    let err = open_error(&dir);
    assert!(err.contains(&format!("missing segment(s) {next} ")) && err.contains("after checkpoint"), "{err}");
}

#[test]
fn interrupted_checkpoints_and_block_directories_are_removed_at_open() {
    let dir = temp_dir("tmp");
    write_sessions(&dir, 1);
    fs::create_dir_all(dir.join("wal/checkpoint.00000007.tmp")).unwrap();
    fs::write(dir.join("wal/checkpoint.00000007.tmp/00000000"), b"partial").unwrap();
    fs::create_dir_all(dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp")).unwrap();
    let db = Db::open(&dir, Options::default()).unwrap();
    assert!(!dir.join("wal/checkpoint.00000007.tmp").exists());
    assert!(!dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp").exists());
    assert_eq!(db.replay.removed_temporary, vec!["checkpoint.00000007.tmp".to_string()]);
    assert_eq!(db.replay.samples, 1, "the WAL itself is replayed");
}

#[test]
fn a_checkpoint_with_a_missing_segment_is_refused() {
    let dir = temp_dir("cpgap");
    write_sessions(&dir, 1);
    // A checkpoint whose second segment exists without its first.
    fs::create_dir_all(dir.join("wal/checkpoint.00000000")).unwrap();
    fs::write(dir.join("wal/checkpoint.00000000/00000001"), b"").unwrap();
    fs::remove_file(dir.join("wal/00000000")).unwrap();
    let err = open_error(&dir);
    assert!(err.contains("checkpoint.00000000 is missing segment(s) 00000000"), "{err}");
}
