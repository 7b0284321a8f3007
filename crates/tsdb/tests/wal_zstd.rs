//! A WAL record compressed with zstd (Prometheus 3.x `--storage.tsdb.wal-compression-type=zstd`)
//! is not damage: the open is refused with an error naming the segment and offset, and no
//! segment is cut or deleted (before, it was "repaired" away with everything after it).

use std::fs;
use std::path::{Path, PathBuf};
use tsdb::db::{Db, Options};
use tsdb::Labels;

const PAGE: usize = 32 * 1024;
const ZSTD_FLAG: u8 = 1 << 4;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-walzstd-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

/// Sets the zstd flag on the fragments of the `n`-th record of a segment (the type byte is not
/// covered by the fragment's CRC, so the record still checks out, as a real zstd one would).
fn flag_record_as_zstd(seg: &Path, n: usize) -> u64 {
    let mut data = fs::read(seg).unwrap();
    let (mut pos, mut rec, mut start) = (0usize, 0usize, None);
    while pos + 7 <= data.len() {
        if PAGE - pos % PAGE < 7 || data[pos] == 0 {
            pos += PAGE - pos % PAGE;
            continue;
        }
        let typ = data[pos];
        if rec == n {
            start.get_or_insert(pos);
            data[pos] |= ZSTD_FLAG;
        }
        if typ == 1 || typ == 4 {
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
    let offset = flag_record_as_zstd(&seg, 3);
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
