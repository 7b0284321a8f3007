//! The write-ahead log, in Prometheus's WAL format (`crates/tsdb/docs/wal.md`): numbered segment
//! files of 32 KiB pages holding CRC-protected record fragments, and checkpoints that keep only
//! what the head still needs. Prometheus itself can replay our WAL and we can replay its own,
//! including the Snappy-compressed records it writes by default (we write uncompressed records).
//! A zstd-compressed record (Prometheus 3.x's other choice) is refused, never cut off as damage.
//! The records' payloads (series, samples, ...) are encoded in `record`; this module frames them,
//! as Prometheus's `wlog` package does for its `record` package.
//!
//! Durability model: a batch is acknowledged once `write(2)` of its records returned, so it
//! survives the process being killed (the kernel holds the data); segments are fsynced when they
//! are closed and at shutdown.

use crate::encoding::crc32c;
use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

mod checkpoint;
mod dir;
pub use checkpoint::CheckpointWriter;
pub use dir::{describe_segment_ranges, dir_size, last_checkpoint, list_segments, missing_segments, remove_temporary_checkpoints, segment_name, segment_runs, sync_dir};

pub const PAGE_SIZE: usize = 32 * 1024;
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;
const HEADER: usize = 7;

const FRAG_FULL: u8 = 1;
const FRAG_FIRST: u8 = 2;
const FRAG_MIDDLE: u8 = 3;
const FRAG_LAST: u8 = 4;
/// Compression flags in a fragment's type byte (Prometheus's `snappyMask`, `zstdMask`); the
/// writer compresses a whole record, then fragments it and flags every fragment.
const FLAG_SNAPPY: u8 = 1 << 3;
const FLAG_ZSTD: u8 = 1 << 4;
const TYPE_MASK: u8 = 7;
/// The largest decoded record we accept: 256 MiB, the largest segment Prometheus can be configured
/// with (`--storage.tsdb.wal-segment-size`; records never span segments). The real guard against
/// a lying length header is the decoder's bound of 22 bytes out per byte in.
pub const MAX_RECORD_SIZE: usize = 256 * 1024 * 1024;

/// Appends records to the WAL, one page at a time.
pub struct WalWriter {
    dir: PathBuf,
    segment: u32,
    file: File,
    page: Box<[u8]>,
    page_used: usize,
    page_flushed: usize,
    done_pages: usize,
    segment_size: usize,
    /// Bytes written by this writer (for statistics).
    pub bytes_written: u64,
    /// Segments closed by `log` and not yet fsynced: the caller syncs them after letting go of
    /// the writer (`take_unsynced`), so the appends waiting for it do not wait for the disk.
    unsynced: Vec<File>,
}

impl WalWriter {
    /// Starts writing at segment `segment` (a new, empty file).
    pub fn create(dir: &Path, segment: u32, segment_size: usize) -> Result<WalWriter> {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("create WAL directory {}", dir.display()), e))?;
        let file = Self::open_segment(dir, segment)?;
        Ok(WalWriter { dir: dir.to_path_buf(), segment, file, page: vec![0u8; PAGE_SIZE].into_boxed_slice(), page_used: 0, page_flushed: 0, done_pages: 0, segment_size: segment_size.max(2 * PAGE_SIZE) / PAGE_SIZE * PAGE_SIZE, bytes_written: 0, unsynced: Vec::new() })
    }

    fn open_segment(dir: &Path, segment: u32) -> Result<File> {
        let path = dir.join(segment_name(segment));
        OpenOptions::new().create(true).truncate(true).write(true).open(&path).map_err(|e| Error::io(format!("create WAL segment {}", path.display()), e))
    }

    pub fn segment(&self) -> u32 {
        self.segment
    }

    fn pages_per_segment(&self) -> usize {
        self.segment_size / PAGE_SIZE
    }

    /// Writes the page's unwritten bytes to the file.
    fn flush_page(&mut self, pad: bool) -> Result<()> {
        let end = if pad { PAGE_SIZE } else { self.page_used };
        if end > self.page_flushed {
            let seg = self.segment;
            self.file.write_all(&self.page[self.page_flushed..end]).map_err(|e| Error::io(format!("write WAL segment {}", segment_name(seg)), e))?;
            self.bytes_written += (end - self.page_flushed) as u64;
            self.page_flushed = end;
        }
        if pad {
            self.page.fill(0);
            self.page_used = 0;
            self.page_flushed = 0;
            self.done_pages += 1;
        }
        Ok(())
    }

    /// Closes the current segment (padded and fsynced) and starts the next one.
    pub fn next_segment(&mut self) -> Result<()> {
        let closed = self.cut_segment()?;
        closed.sync_all().map_err(|e| Error::io("fsync WAL segment", e))
    }

    /// Starts the next segment and returns the closed one, padded and written but not yet
    /// fsynced: the caller syncs it without holding up the appends that wait for this writer
    /// (the fsync of a full segment can take a second on a busy disk).
    pub fn cut_segment(&mut self) -> Result<File> {
        if self.page_used > 0 {
            self.flush_page(true)?;
        }
        let next = Self::open_segment(&self.dir, self.segment + 1)?;
        self.segment += 1;
        self.done_pages = 0;
        Ok(std::mem::replace(&mut self.file, next))
    }

    /// Starts the next segment; the closed one waits in `unsynced` for its fsync.
    fn roll_segment(&mut self) -> Result<()> {
        let closed = self.cut_segment()?;
        self.unsynced.push(closed);
        Ok(())
    }

    /// The segments `log` closed since the last call, written but not yet fsynced: the caller
    /// syncs them once it no longer holds up other writers (as Prometheus fsyncs a closed segment
    /// beside the appends). `close` syncs any left.
    pub fn take_unsynced(&mut self) -> Vec<File> {
        std::mem::take(&mut self.unsynced)
    }

    /// Logs records; returns once they are written to the file.
    pub fn log(&mut self, records: &[&[u8]]) -> Result<()> {
        for rec in records {
            self.log_one(rec)?;
        }
        self.flush_page(false)
    }

    fn log_one(&mut self, rec: &[u8]) -> Result<()> {
        let per_page = PAGE_SIZE - HEADER;
        let worst = rec.len() + (rec.len() / per_page + 2) * HEADER + PAGE_SIZE;
        if worst > self.segment_size {
            return Err(Error::Invalid(format!("WAL record of {} bytes is larger than a segment", rec.len())));
        }
        let left = (self.pages_per_segment() - self.done_pages) * PAGE_SIZE - self.page_used;
        if worst > left && (self.done_pages > 0 || self.page_used > 0) {
            // Records never span segments.
            self.roll_segment()?;
        }
        let mut rest = rec;
        let mut first = true;
        loop {
            if PAGE_SIZE - self.page_used < HEADER + 1 {
                self.flush_page(true)?;
            }
            let avail = PAGE_SIZE - self.page_used - HEADER;
            let n = avail.min(rest.len());
            let last = n == rest.len();
            let typ = match (first, last) {
                (true, true) => FRAG_FULL,
                (true, false) => FRAG_FIRST,
                (false, false) => FRAG_MIDDLE,
                (false, true) => FRAG_LAST,
            };
            let (frag, tail) = rest.split_at(n);
            let p = self.page_used;
            self.page[p] = typ;
            self.page[p + 1..p + 3].copy_from_slice(&(n as u16).to_be_bytes());
            self.page[p + 3..p + 7].copy_from_slice(&crc32c(frag).to_be_bytes());
            self.page[p + HEADER..p + HEADER + n].copy_from_slice(frag);
            self.page_used += HEADER + n;
            rest = tail;
            first = false;
            if self.page_used == PAGE_SIZE {
                self.flush_page(true)?;
            }
            if last {
                break;
            }
        }
        if self.done_pages >= self.pages_per_segment() {
            self.roll_segment()?;
        }
        Ok(())
    }

    /// Pads the current page and fsyncs (at shutdown or before a checkpoint is made final).
    pub fn close(&mut self) -> Result<()> {
        if self.page_used > 0 {
            self.flush_page(true)?;
        }
        for closed in self.take_unsynced() {
            closed.sync_all().map_err(|e| Error::io("fsync WAL segment", e))?;
        }
        self.file.sync_all().map_err(|e| Error::io("fsync WAL segment", e))
    }
}

/// Where reading a segment stopped because its data was bad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    pub segment: u32,
    /// Byte offset of the first bad record in the segment.
    pub offset: u64,
    pub reason: String,
    /// The data is not damaged but uses something we cannot read (a zstd-compressed record):
    /// the WAL must not be cut there, the open is refused instead (see `repair`).
    pub unsupported: bool,
}

/// Reads the records of one segment's bytes, calling `f` for each. Returns the corruption that
/// stopped it, if any; records before it were delivered.
pub fn read_segment(segment: u32, data: &[u8], mut f: impl FnMut(&[u8]) -> std::result::Result<(), String>) -> Option<Corruption> {
    read_segment_from(segment, data, 0, 0, |_, _, rec| f(rec))
}

/// Reads the records of a segment's bytes from a record boundary on: `data` holds the file from
/// byte `base` (a page boundary) and reading starts at `data[start]`. `f` gets each record with its
/// start and end offsets in the file (the end is where the next read may resume); a tailing
/// reader (remote write) resumes this way without re-reading the segment from its start.
pub fn read_segment_from(segment: u32, data: &[u8], base: u64, start: usize, mut f: impl FnMut(u64, u64, &[u8]) -> std::result::Result<(), String>) -> Option<Corruption> {
    debug_assert_eq!(base % PAGE_SIZE as u64, 0, "segment reads start at a page boundary");
    let mut pos = start;
    // The record being assembled: where it starts, its bytes so far, and whether it is compressed.
    let mut assembling: Option<(usize, Vec<u8>, bool)> = None;
    let corrupt = |offset: usize, reason: String| Some(Corruption { segment, offset: base + offset as u64, reason, unsupported: false });
    loop {
        let in_page = pos % PAGE_SIZE;
        if PAGE_SIZE - in_page < HEADER {
            pos += PAGE_SIZE - in_page;
            continue;
        }
        if pos >= data.len() {
            return match assembling {
                Some((start, ..)) => corrupt(start, "torn record at the end of the segment".into()),
                None => None,
            };
        }
        let rec_start = assembling.as_ref().map_or(pos, |(s, ..)| *s);
        let typ = data[pos];
        if typ == 0 {
            // Padding: the rest of the page must be zeros.
            let end = (pos - in_page + PAGE_SIZE).min(data.len());
            if data[pos..end].iter().any(|&b| b != 0) {
                return corrupt(rec_start, format!("non-zero bytes in page padding at offset {pos}"));
            }
            pos = end;
            continue;
        }
        if data.len() - pos < HEADER {
            return corrupt(rec_start, "torn record header at the end of the segment".into());
        }
        let len = u16::from_be_bytes([data[pos + 1], data[pos + 2]]) as usize;
        let crc = u32::from_be_bytes([data[pos + 3], data[pos + 4], data[pos + 5], data[pos + 6]]);
        let start = pos + HEADER;
        if start + len > data.len() {
            return corrupt(rec_start, "torn record at the end of the segment".into());
        }
        if in_page + HEADER + len > PAGE_SIZE {
            return corrupt(rec_start, format!("record fragment at offset {pos} crosses a page boundary"));
        }
        let frag = &data[start..start + len];
        if crc32c(frag) != crc {
            return corrupt(rec_start, format!("checksum mismatch in record at offset {pos}"));
        }
        // Checked after the checksum, so that garbage is a corruption rather than "unsupported".
        let flags = typ & !TYPE_MASK;
        if flags & !FLAG_SNAPPY != 0 {
            let what = if flags == FLAG_ZSTD { "compressed with zstd: zstd WAL compression is not supported (Prometheus 3.x --storage.tsdb.wal-compression-type=zstd); use snappy or no compression".to_string() } else { format!("flagged with unknown compression bits {flags:#04x} (type byte {typ:#04x})") };
            return Some(Corruption { segment, offset: base + rec_start as u64, reason: format!("WAL record {what}; refusing to open rather than cut the WAL here (nothing was changed)"), unsupported: true });
        }
        let snappy = flags == FLAG_SNAPPY;
        pos = start + len;
        if let Some((_, _, was)) = &assembling {
            if *was != snappy {
                return corrupt(rec_start, format!("compression flag changes within the record at offset {}", pos - len - HEADER));
            }
        }
        match (typ & TYPE_MASK, assembling.as_mut()) {
            (FRAG_FULL, None) => {
                if let Err(e) = deliver(frag, snappy, &mut |r| f(base + rec_start as u64, base + pos as u64, r)) {
                    return corrupt(rec_start, e);
                }
            }
            (FRAG_FIRST, None) => assembling = Some((rec_start, frag.to_vec(), snappy)),
            (FRAG_MIDDLE, Some((_, buf, _))) => buf.extend_from_slice(frag),
            (FRAG_LAST, Some((_, buf, _))) => {
                buf.extend_from_slice(frag);
                let (_, whole, _) = assembling.take().expect("assembling");
                if let Err(e) = deliver(&whole, snappy, &mut |r| f(base + rec_start as u64, base + pos as u64, r)) {
                    return corrupt(rec_start, e);
                }
            }
            (t, _) => return corrupt(rec_start, format!("unexpected fragment type {t} at offset {}", pos - len - HEADER)),
        }
    }
}

/// Hands a whole record to `f`, Snappy-decoded first if it was compressed. Bad Snappy data is a
/// corruption like any other (its checksum matched, so it was written that way).
fn deliver(rec: &[u8], snappy: bool, f: &mut impl FnMut(&[u8]) -> std::result::Result<(), String>) -> std::result::Result<(), String> {
    if !snappy {
        return f(rec);
    }
    let decoded = crate::snappy::decode(rec, MAX_RECORD_SIZE).map_err(|e| format!("bad Snappy-compressed record: {e}"))?;
    f(&decoded)
}

/// Reads a whole segment file.
pub fn read_segment_file(dir: &Path, segment: u32) -> Result<Vec<u8>> {
    let path = dir.join(segment_name(segment));
    fs::read(&path).map_err(|e| Error::io(format!("read WAL segment {}", path.display()), e))
}

/// Cuts the WAL at a corruption: the bad segment is truncated at the bad record and every later
/// segment is removed (their records may depend on the lost ones). A record we cannot read but
/// that is not damaged (`unsupported`) is never cut at: that is an error, and nothing changes.
pub fn repair(dir: &Path, c: &Corruption) -> Result<()> {
    let path = dir.join(segment_name(c.segment));
    if c.unsupported {
        let why = std::io::Error::new(std::io::ErrorKind::Unsupported, c.reason.clone());
        return Err(Error::io(format!("replay WAL segment {} at offset {}", path.display(), c.offset), why));
    }
    let f = OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(format!("open WAL segment {} for repair", path.display()), e))?;
    f.set_len(c.offset).map_err(|e| Error::io("truncate WAL segment", e))?;
    f.sync_all().map_err(|e| Error::io("fsync WAL segment", e))?;
    for s in list_segments(dir)? {
        if s > c.segment {
            let p = dir.join(segment_name(s));
            fs::remove_file(&p).map_err(|e| Error::io(format!("remove WAL segment {}", p.display()), e))?;
        }
    }
    Ok(())
}


#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("promethium-wal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn read_all(dir: &Path) -> (Vec<Vec<u8>>, Option<Corruption>) {
        let mut out = Vec::new();
        for s in list_segments(dir).unwrap() {
            let data = read_segment_file(dir, s).unwrap();
            if let Some(c) = read_segment(s, &data, |r| {
                out.push(r.to_vec());
                Ok(())
            }) {
                return (out, Some(c));
            }
        }
        (out, None)
    }

    #[test]
    fn records_round_trip_across_pages_and_segments() {
        let dir = tmpdir("roundtrip");
        let mut w = WalWriter::create(&dir, 0, 4 * PAGE_SIZE).unwrap();
        let recs: Vec<Vec<u8>> = (0..200).map(|i| vec![(i % 250) as u8 + 1; (i * 397) % 50_000 + 1]).collect();
        for r in &recs {
            w.log(&[r]).unwrap();
        }
        w.close().unwrap();
        assert!(list_segments(&dir).unwrap().len() > 10);
        let (got, c) = read_all(&dir);
        assert_eq!(c, None);
        assert_eq!(got, recs);
    }

    #[test]
    fn torn_tail_is_found_and_repaired() {
        let dir = tmpdir("torn");
        let mut w = WalWriter::create(&dir, 0, DEFAULT_SEGMENT_SIZE).unwrap();
        for i in 0..10u8 {
            w.log(&[&vec![i + 1; 1000]]).unwrap();
        }
        drop(w);
        let path = dir.join(segment_name(0));
        let len = fs::metadata(&path).unwrap().len();
        // Cut in the middle of the last record, as a crash during write would.
        OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 500).unwrap();
        let (got, c) = read_all(&dir);
        assert_eq!(got.len(), 9);
        let c = c.expect("corruption found");
        assert_eq!(c.offset, 9 * 1007);
        repair(&dir, &c).unwrap();
        let (got, c) = read_all(&dir);
        assert_eq!((got.len(), c), (9, None));
    }

    /// Writes `recs` with our writer, then sets `flag` on every fragment of the records whose
    /// index `pick` selects, as Prometheus's writer flags each fragment of a compressed record.
    fn write_flagged(dir: &Path, recs: &[Vec<u8>], flag: u8, pick: impl Fn(usize) -> bool) {
        let mut w = WalWriter::create(dir, 0, DEFAULT_SEGMENT_SIZE).unwrap();
        for r in recs {
            w.log(&[r]).unwrap();
        }
        w.close().unwrap();
        let path = dir.join(segment_name(0));
        let mut data = fs::read(&path).unwrap();
        let (mut pos, mut rec) = (0usize, 0usize);
        while pos < data.len() {
            if PAGE_SIZE - pos % PAGE_SIZE < HEADER || data[pos] == 0 {
                pos += PAGE_SIZE - pos % PAGE_SIZE;
                continue;
            }
            let typ = data[pos];
            if pick(rec) {
                data[pos] |= flag;
            }
            if typ == FRAG_FULL || typ == FRAG_LAST {
                rec += 1;
            }
            pos += HEADER + u16::from_be_bytes([data[pos + 1], data[pos + 2]]) as usize;
        }
        fs::write(&path, &data).unwrap();
    }

    #[test]
    fn snappy_records_are_decoded_including_multi_page_ones() {
        let dir = tmpdir("snappy");
        let plain: Vec<Vec<u8>> = (0..20).map(|i| (0..(i * 7919) % 90_000 + 1).map(|j| (j * 31 + i) as u8).collect()).collect();
        // Every other record compressed, as Prometheus keeps a record uncompressed when that is smaller.
        let stored: Vec<Vec<u8>> = plain.iter().enumerate().map(|(i, r)| if i % 2 == 0 { crate::snappy::encode_literals(r) } else { r.clone() }).collect();
        write_flagged(&dir, &stored, FLAG_SNAPPY, |i| i % 2 == 0);
        let (got, c) = read_all(&dir);
        assert_eq!(c, None);
        assert_eq!(got, plain);
    }

    #[test]
    fn bad_snappy_data_is_a_corruption_that_may_be_repaired() {
        let dir = tmpdir("badsnappy");
        let mut bad = crate::snappy::encode_literals(&[5u8; 100]);
        bad[0] = 101; // declares one byte more than it holds
        let recs = vec![crate::snappy::encode_literals(b"first"), bad, crate::snappy::encode_literals(b"third")];
        write_flagged(&dir, &recs, FLAG_SNAPPY, |_| true);
        let (got, c) = read_all(&dir);
        assert_eq!(got, vec![b"first".to_vec()]);
        let c = c.expect("corruption");
        assert!(c.reason.contains("Snappy") && !c.unsupported, "{c:?}");
        assert_eq!(c.offset, (HEADER + recs[0].len()) as u64);
        repair(&dir, &c).unwrap();
        assert_eq!(fs::metadata(dir.join(segment_name(0))).unwrap().len(), c.offset);
    }

    #[test]
    fn a_zstd_record_is_refused_and_never_cut() {
        let dir = tmpdir("zstd");
        let recs: Vec<Vec<u8>> = (1..=4u8).map(|i| vec![i; 40_000]).collect();
        write_flagged(&dir, &recs, FLAG_ZSTD, |i| i == 2);
        let path = dir.join(segment_name(0));
        let before = fs::read(&path).unwrap();
        let (got, c) = read_all(&dir);
        assert_eq!(got.len(), 2);
        let c = c.expect("stopped");
        assert!(c.unsupported, "{c:?}");
        assert!(c.reason.contains("zstd WAL compression is not supported"), "{}", c.reason);
        let err = repair(&dir, &c).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains(&format!("offset {}", c.offset)) && err.contains("zstd"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), before, "the segment was not touched");
    }

    #[test]
    fn flipped_bit_is_a_checksum_error() {
        let dir = tmpdir("flip");
        let mut w = WalWriter::create(&dir, 0, DEFAULT_SEGMENT_SIZE).unwrap();
        for i in 0..5u8 {
            w.log(&[&[i + 1; 100]]).unwrap();
        }
        drop(w);
        let path = dir.join(segment_name(0));
        let mut data = fs::read(&path).unwrap();
        data[3 * 107 + 50] ^= 4;
        fs::write(&path, &data).unwrap();
        let (got, c) = read_all(&dir);
        assert_eq!(got.len(), 3);
        assert!(c.unwrap().reason.contains("checksum"));
    }
}
