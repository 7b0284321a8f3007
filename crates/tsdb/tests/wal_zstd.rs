//! A WAL record compressed with zstd (Prometheus 3.x `--storage.tsdb.wal-compression-type=zstd`)
//! is not damage: the open is refused with an error naming the segment and offset, and no
//! segment is cut or deleted (before, it was "repaired" away with everything after it).
//! Checkpoints are read the same way: Snappy-compressed ones (as Prometheus writes them with
//! compression on) replay, a zstd record in one refuses the open.

use std::fs;
use std::path::{Path, PathBuf};
use tsdb::db::{Db, Options};
use tsdb::wal::{self, WalWriter};
use tsdb::Labels;

const PAGE: usize = 32 * 1024;
const ZSTD_FLAG: u8 = 1 << 4;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-walzstd-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

/// Sets `flag` on the fragments of the records of a segment that `pick` selects (the type byte is
/// not covered by the fragment's CRC, so the record still checks out); returns where the first
/// flagged record starts.
fn flag_records(seg: &Path, flag: u8, pick: impl Fn(usize) -> bool) -> u64 {
    let mut data = fs::read(seg).unwrap();
    let (mut pos, mut rec, mut start) = (0usize, 0usize, None);
    while pos + 7 <= data.len() {
        if PAGE - pos % PAGE < 7 || data[pos] == 0 {
            pos += PAGE - pos % PAGE;
            continue;
        }
        let typ = data[pos];
        if pick(rec) {
            start.get_or_insert(pos);
            data[pos] |= flag;
        }
        if typ & 7 == 1 || typ & 7 == 4 {
            rec += 1;
        }
        pos += 7 + u16::from_be_bytes([data[pos + 1], data[pos + 2]]) as usize;
    }
    fs::write(seg, &data).unwrap();
    start.expect("record found") as u64
}

fn wal_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir.join("wal")).unwrap().flatten().filter(|e| e.file_type().unwrap().is_file()).map(|e| (e.file_name().to_string_lossy().into_owned(), fs::read(e.path()).unwrap())).collect();
    v.sort();
    v
}

#[test]
fn a_zstd_record_refuses_the_open_and_cuts_nothing() {
    let dir = temp_dir("open");
    for session in 0..2i64 {
        let db = Db::open(&dir, Options::default()).unwrap();
        let refs = db.series_refs(&[Labels::from_pairs([("__name__", "m"), ("session", &session.to_string())])]).unwrap();
        for k in 0..10 {
            db.append(&refs, &[session * 100_000 + k * 1000], &[k as f64], None).unwrap();
        }
    }
    let seg = dir.join("wal").join("00000000");
    let offset = flag_records(&seg, ZSTD_FLAG, |r| r == 3);
    let before = wal_files(&dir);
    assert_eq!(before.len(), 2, "two segments");
    for _ in 0..2 {
        let err = match Db::open(&dir, Options::default()) {
            Ok(_) => panic!("a WAL with a zstd record opened"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("zstd WAL compression is not supported"), "{err}");
        assert!(err.contains(&seg.display().to_string()) && err.contains(&format!("at offset {offset}")), "{err}");
        assert_eq!(wal_files(&dir), before, "the WAL was changed");
    }
}

/// One session of 10 samples, then its segment turned into `checkpoint.00000000` whose records
/// are Snappy-compressed, as Prometheus writes a checkpoint with WAL compression on.
fn compressed_checkpoint(dir: &Path) -> PathBuf {
    {
        let db = Db::open(dir, Options::default()).unwrap();
        let refs = db.series_refs(&[Labels::from_pairs([("__name__", "m")])]).unwrap();
        for k in 0..10 {
            db.append(&refs, &[k * 1000], &[k as f64], None).unwrap();
        }
    }
    let wal_dir = dir.join("wal");
    let mut records = Vec::new();
    let data = wal::read_segment_file(&wal_dir, 0).unwrap();
    assert!(wal::read_segment(0, &data, |r| {
        records.push(tsdb::snappy::encode_literals(r));
        Ok(())
    })
    .is_none());
    let cp = wal_dir.join("checkpoint.00000000");
    let mut w = WalWriter::create(&cp, 0, wal::DEFAULT_SEGMENT_SIZE).unwrap();
    for r in &records {
        w.log(&[r]).unwrap();
    }
    w.close().unwrap();
    flag_records(&cp.join("00000000"), 1 << 3, |_| true);
    fs::remove_file(wal_dir.join("00000000")).unwrap();
    cp
}

#[test]
fn a_snappy_compressed_checkpoint_replays() {
    let dir = temp_dir("cpsnappy");
    compressed_checkpoint(&dir);
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!((db.replay.series, db.replay.samples), (1, 10));
    assert!(db.replay.corruption.is_none());
}

#[test]
fn a_zstd_record_in_a_checkpoint_refuses_the_open() {
    let dir = temp_dir("cpzstd");
    let cp = compressed_checkpoint(&dir);
    let seg = cp.join("00000000");
    // Turn the second record (one full fragment) from Snappy into zstd.
    let offset = flag_records(&seg, 0, |r| r == 1) as usize;
    let mut data = fs::read(&seg).unwrap();
    assert_eq!(data[offset], 1 | (1 << 3), "a full Snappy fragment");
    data[offset] = 1 | ZSTD_FLAG;
    fs::write(&seg, &data).unwrap();
    let before = fs::read(&seg).unwrap();
    let err = match Db::open(&dir, Options::default()) {
        Ok(_) => panic!("a checkpoint with a zstd record opened"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("zstd WAL compression is not supported") && err.contains("checkpoint.00000000") && err.contains(&format!("offset {offset}")), "{err}");
    assert_eq!(fs::read(&seg).unwrap(), before);
}
