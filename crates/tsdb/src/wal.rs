//! The write-ahead log, in Prometheus's WAL format (`crates/tsdb/docs/wal.md`): numbered segment
//! files of 32 KiB pages holding CRC-protected record fragments, and checkpoints that keep only
//! what the head still needs. Prometheus itself can replay our WAL and we can replay its own
//! (uncompressed) WAL.
//!
//! Durability model: a batch is acknowledged once `write(2)` of its records returned, so it
//! survives the process being killed (the kernel holds the data); segments are fsynced when they
//! are closed and at shutdown.

use crate::encoding::{crc32c, put_be64, put_uvarint, put_varint, Decbuf};
use crate::error::{Error, Result};
use crate::exemplars::Exemplar;
use crate::labels::Labels;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

mod dir;
pub use dir::{describe_segment_ranges, dir_size, last_checkpoint, list_segments, missing_segments, remove_temporary_checkpoints, segment_name, segment_runs, sync_dir};

pub const PAGE_SIZE: usize = 32 * 1024;
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;
const HEADER: usize = 7;

const FRAG_FULL: u8 = 1;
const FRAG_FIRST: u8 = 2;
const FRAG_MIDDLE: u8 = 3;
const FRAG_LAST: u8 = 4;
const FLAG_SNAPPY: u8 = 1 << 3;
const FLAG_ZSTD: u8 = 1 << 4;

pub const REC_SERIES: u8 = 1;
pub const REC_SAMPLES: u8 = 2;
pub const REC_TOMBSTONES: u8 = 3;
pub const REC_EXEMPLARS: u8 = 4;
/// Samples with an optional start timestamp each (Prometheus 3.11's SamplesV2).
pub const REC_SAMPLES_V2: u8 = 11;

/// Start-timestamp markers of a SamplesV2 record.
const ST_NONE: u8 = 0;
const ST_SAME: u8 = 1;
const ST_EXPLICIT: u8 = 2;

/// One sample of a WAL record; `st` 0 = no start timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefSample {
    pub r: u64,
    pub st: i64,
    pub t: i64,
    pub v: f64,
}

/// A decoded WAL record (the kinds we write; others are skipped on replay).
#[derive(Debug, PartialEq)]
pub enum Record {
    Series(Vec<(u64, Labels)>),
    Samples(Vec<RefSample>),
    /// (series ref, mint, maxt) deletion intervals.
    Tombstones(Vec<(u64, i64, i64)>),
    /// (series ref, exemplar).
    Exemplars(Vec<(u64, Exemplar)>),
    /// A record type we do not use (exemplars, histograms, metadata...).
    Other(u8),
}

fn put_labels(out: &mut Vec<u8>, labels: &Labels) {
    put_uvarint(out, labels.len() as u64);
    for l in labels.iter() {
        put_uvarint(out, l.name.len() as u64);
        out.extend_from_slice(l.name.as_bytes());
        put_uvarint(out, l.value.len() as u64);
        out.extend_from_slice(l.value.as_bytes());
    }
}

fn read_labels(d: &mut Decbuf<'_>) -> Option<Labels> {
    let n = d.uvarint()?;
    let mut pairs = Vec::with_capacity(n.min(1024) as usize);
    for _ in 0..n {
        let name = d.uvarint_str()?;
        let value = d.uvarint_str()?;
        pairs.push((name.to_string(), value.to_string()));
    }
    Some(Labels::from_pairs(pairs))
}

pub fn encode_series(out: &mut Vec<u8>, series: &[(u64, &Labels)]) {
    out.push(REC_SERIES);
    for (r, labels) in series {
        put_be64(out, *r);
        put_labels(out, labels);
    }
}

/// Exemplars as Prometheus encodes them: the first ref and time in full, then per exemplar the
/// deltas to them, the value and the exemplar's labels.
pub fn encode_exemplars(out: &mut Vec<u8>, exemplars: &[(u64, &Exemplar)]) {
    out.push(REC_EXEMPLARS);
    let Some(&(fr, first)) = exemplars.first() else { return };
    put_be64(out, fr);
    put_be64(out, first.t as u64);
    for &(r, e) in exemplars {
        put_varint(out, r as i64 - fr as i64);
        put_varint(out, e.t.wrapping_sub(first.t));
        put_be64(out, e.value.to_bits());
        put_labels(out, &e.labels);
    }
}

/// Samples as Prometheus encodes them. Without start timestamps: the classic record (first ref
/// and time in full, then deltas to them), which every Prometheus replays; with any: SamplesV2
/// (varints, ref delta to the previous sample, time delta to the first, a start-timestamp marker).
pub fn encode_samples<I: Iterator<Item = RefSample> + Clone>(out: &mut Vec<u8>, samples: I) {
    if samples.clone().any(|s| s.st != 0) {
        return encode_samples_v2(out, samples);
    }
    out.push(REC_SAMPLES);
    let mut samples = samples.peekable();
    let Some(&first) = samples.peek() else { return };
    put_be64(out, first.r);
    put_be64(out, first.t as u64);
    for s in samples {
        put_varint(out, s.r as i64 - first.r as i64);
        put_varint(out, s.t.wrapping_sub(first.t));
        put_be64(out, s.v.to_bits());
    }
}

fn encode_samples_v2(out: &mut Vec<u8>, mut samples: impl Iterator<Item = RefSample>) {
    out.push(REC_SAMPLES_V2);
    let Some(first) = samples.next() else { return };
    put_varint(out, first.r as i64);
    put_varint(out, first.t);
    put_varint(out, first.st);
    put_be64(out, first.v.to_bits());
    let mut prev = first;
    for s in samples {
        put_varint(out, (s.r as i64).wrapping_sub(prev.r as i64));
        put_varint(out, s.t.wrapping_sub(first.t));
        if s.st == 0 {
            out.push(ST_NONE);
        } else if s.st == prev.st {
            out.push(ST_SAME);
        } else {
            out.push(ST_EXPLICIT);
            put_varint(out, s.st.wrapping_sub(first.st));
        }
        put_be64(out, s.v.to_bits());
        prev = s;
    }
}

pub fn encode_tombstones(out: &mut Vec<u8>, stones: &[(u64, i64, i64)]) {
    out.push(REC_TOMBSTONES);
    for &(r, mint, maxt) in stones {
        put_be64(out, r);
        put_varint(out, mint);
        put_varint(out, maxt);
    }
}

pub fn decode(rec: &[u8]) -> std::result::Result<Record, String> {
    let mut d = Decbuf::new(rec);
    let typ = d.byte().ok_or("empty record")?;
    let bad = |what: &str| format!("truncated or invalid {what} record");
    match typ {
        REC_SERIES => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                let r = d.be64().ok_or_else(|| bad("series"))?;
                out.push((r, read_labels(&mut d).ok_or_else(|| bad("series"))?));
            }
            Ok(Record::Series(out))
        }
        REC_SAMPLES => {
            let mut out = Vec::new();
            if d.remaining() == 0 {
                return Ok(Record::Samples(out));
            }
            let fr = d.be64().ok_or_else(|| bad("samples"))?;
            let ft = d.be64().ok_or_else(|| bad("samples"))? as i64;
            while d.remaining() > 0 {
                let dr = d.varint().ok_or_else(|| bad("samples"))?;
                let dt = d.varint().ok_or_else(|| bad("samples"))?;
                let v = f64::from_bits(d.be64().ok_or_else(|| bad("samples"))?);
                out.push(RefSample { r: (fr as i64).wrapping_add(dr) as u64, st: 0, t: ft.wrapping_add(dt), v });
            }
            Ok(Record::Samples(out))
        }
        REC_SAMPLES_V2 => {
            let mut out: Vec<RefSample> = Vec::new();
            let (mut first_t, mut first_st) = (0i64, 0i64);
            while d.remaining() > 0 {
                let s = match out.last() {
                    None => {
                        let r = d.varint().ok_or_else(|| bad("samples"))? as u64;
                        first_t = d.varint().ok_or_else(|| bad("samples"))?;
                        first_st = d.varint().ok_or_else(|| bad("samples"))?;
                        RefSample { r, st: first_st, t: first_t, v: 0.0 }
                    }
                    Some(prev) => {
                        let r = (prev.r as i64).wrapping_add(d.varint().ok_or_else(|| bad("samples"))?) as u64;
                        let t = first_t.wrapping_add(d.varint().ok_or_else(|| bad("samples"))?);
                        let st = match d.byte().ok_or_else(|| bad("samples"))? {
                            ST_NONE => 0,
                            ST_SAME => prev.st,
                            ST_EXPLICIT => first_st.wrapping_add(d.varint().ok_or_else(|| bad("samples"))?),
                            m => return Err(format!("invalid start-timestamp marker {m} in samples record")),
                        };
                        RefSample { r, st, t, v: 0.0 }
                    }
                };
                let v = f64::from_bits(d.be64().ok_or_else(|| bad("samples"))?);
                out.push(RefSample { v, ..s });
            }
            Ok(Record::Samples(out))
        }
        REC_EXEMPLARS => {
            let mut out = Vec::new();
            if d.remaining() == 0 {
                return Ok(Record::Exemplars(out));
            }
            let fr = d.be64().ok_or_else(|| bad("exemplars"))?;
            let ft = d.be64().ok_or_else(|| bad("exemplars"))? as i64;
            while d.remaining() > 0 {
                let dr = d.varint().ok_or_else(|| bad("exemplars"))?;
                let dt = d.varint().ok_or_else(|| bad("exemplars"))?;
                let value = f64::from_bits(d.be64().ok_or_else(|| bad("exemplars"))?);
                let labels = read_labels(&mut d).ok_or_else(|| bad("exemplars"))?;
                out.push(((fr as i64).wrapping_add(dr) as u64, Exemplar { labels, value, t: ft.wrapping_add(dt) }));
            }
            Ok(Record::Exemplars(out))
        }
        REC_TOMBSTONES => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                let r = d.be64().ok_or_else(|| bad("tombstones"))?;
                let mint = d.varint().ok_or_else(|| bad("tombstones"))?;
                let maxt = d.varint().ok_or_else(|| bad("tombstones"))?;
                out.push((r, mint, maxt));
            }
            Ok(Record::Tombstones(out))
        }
        other => Ok(Record::Other(other)),
    }
}

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
}

impl WalWriter {
    /// Starts writing at segment `segment` (a new, empty file).
    pub fn create(dir: &Path, segment: u32, segment_size: usize) -> Result<WalWriter> {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("create WAL directory {}", dir.display()), e))?;
        let file = Self::open_segment(dir, segment)?;
        Ok(WalWriter { dir: dir.to_path_buf(), segment, file, page: vec![0u8; PAGE_SIZE].into_boxed_slice(), page_used: 0, page_flushed: 0, done_pages: 0, segment_size: segment_size.max(2 * PAGE_SIZE) / PAGE_SIZE * PAGE_SIZE, bytes_written: 0 })
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
        if self.page_used > 0 {
            self.flush_page(true)?;
        }
        self.file.sync_all().map_err(|e| Error::io("fsync WAL segment", e))?;
        self.segment += 1;
        self.file = Self::open_segment(&self.dir, self.segment)?;
        self.done_pages = 0;
        Ok(())
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
            self.next_segment()?;
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
            self.next_segment()?;
        }
        Ok(())
    }

    /// Pads the current page and fsyncs (at shutdown or before a checkpoint is made final).
    pub fn close(&mut self) -> Result<()> {
        if self.page_used > 0 {
            self.flush_page(true)?;
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
}

/// Reads the records of one segment's bytes, calling `f` for each. Returns the corruption that
/// stopped it, if any; records before it were delivered.
pub fn read_segment(segment: u32, data: &[u8], mut f: impl FnMut(&[u8]) -> std::result::Result<(), String>) -> Option<Corruption> {
    let mut pos = 0usize;
    let mut assembling: Option<(usize, Vec<u8>)> = None;
    let corrupt = |offset: usize, reason: String| Some(Corruption { segment, offset: offset as u64, reason });
    loop {
        let in_page = pos % PAGE_SIZE;
        if PAGE_SIZE - in_page < HEADER {
            pos += PAGE_SIZE - in_page;
            continue;
        }
        if pos >= data.len() {
            return match assembling {
                Some((start, _)) => corrupt(start, "torn record at the end of the segment".into()),
                None => None,
            };
        }
        let rec_start = assembling.as_ref().map_or(pos, |(s, _)| *s);
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
        if typ & (FLAG_SNAPPY | FLAG_ZSTD) != 0 {
            return corrupt(rec_start, "compressed WAL records are not supported (start Prometheus with --no-storage.tsdb.wal-compression)".into());
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
        pos = start + len;
        match (typ & 7, assembling.as_mut()) {
            (FRAG_FULL, None) => {
                if let Err(e) = f(frag) {
                    return corrupt(rec_start, e);
                }
            }
            (FRAG_FIRST, None) => assembling = Some((rec_start, frag.to_vec())),
            (FRAG_MIDDLE, Some((_, buf))) => buf.extend_from_slice(frag),
            (FRAG_LAST, Some((_, buf))) => {
                buf.extend_from_slice(frag);
                let (_, whole) = assembling.take().expect("assembling");
                if let Err(e) = f(&whole) {
                    return corrupt(rec_start, e);
                }
            }
            (t, _) => return corrupt(rec_start, format!("unexpected fragment type {t} at offset {}", pos - len - HEADER)),
        }
    }
}

/// Reads a whole segment file.
pub fn read_segment_file(dir: &Path, segment: u32) -> Result<Vec<u8>> {
    let path = dir.join(segment_name(segment));
    fs::read(&path).map_err(|e| Error::io(format!("read WAL segment {}", path.display()), e))
}

/// Cuts the WAL at a corruption: the bad segment is truncated at the bad record and every later
/// segment is removed (their records may depend on the lost ones).
pub fn repair(dir: &Path, c: &Corruption) -> Result<()> {
    let path = dir.join(segment_name(c.segment));
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

/// Writes a checkpoint covering segments up to `last`: `records` are the records still needed,
/// written to `checkpoint.<last>.tmp` and renamed into place; older checkpoints and the covered
/// segments are then removed.
pub fn write_checkpoint(dir: &Path, last: u32, records: &[Vec<u8>]) -> Result<()> {
    let final_dir = dir.join(format!("checkpoint.{}", segment_name(last)));
    let tmp = dir.join(format!("checkpoint.{}.tmp", segment_name(last)));
    let _ = fs::remove_dir_all(&tmp);
    {
        let mut w = WalWriter::create(&tmp, 0, DEFAULT_SEGMENT_SIZE)?;
        for chunk in records.chunks(64) {
            let refs: Vec<&[u8]> = chunk.iter().map(|r| r.as_slice()).collect();
            w.log(&refs)?;
        }
        w.close()?;
    }
    let _ = fs::remove_dir_all(&final_dir);
    fs::rename(&tmp, &final_dir).map_err(|e| Error::io("rename WAL checkpoint", e))?;
    sync_dir(dir);
    for s in list_segments(dir)? {
        if s <= last {
            let p = dir.join(segment_name(s));
            fs::remove_file(&p).map_err(|e| Error::io(format!("remove WAL segment {}", p.display()), e))?;
        }
    }
    for e in fs::read_dir(dir).map_err(|e| Error::io("list WAL directory", e))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name.strip_prefix("checkpoint.").and_then(|n| n.parse::<u32>().ok()) {
            if n < last {
                let _ = fs::remove_dir_all(e.path());
            }
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

    #[test]
    fn record_encodings_round_trip() {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "x")]);
        let mut b = Vec::new();
        encode_series(&mut b, &[(7, &l)]);
        assert_eq!(decode(&b), Ok(Record::Series(vec![(7, l)])));
        let rs = |r: u64, st: i64, t: i64, v: f64| RefSample { r, st, t, v };
        let plain = vec![rs(5, 0, 1000, 1.5), rs(3, 0, 900, f64::INFINITY), rs(9, 0, 2000, -0.0)];
        let with_st = vec![rs(5, 400, 1000, 1.5), rs(3, 400, 900, 2.0), rs(9, 0, 2000, -0.0), rs(9, 1999, 2001, 1.0), rs(2, -7, 3000, 1.0)];
        for (samples, typ) in [(plain, REC_SAMPLES), (with_st, REC_SAMPLES_V2)] {
            b.clear();
            encode_samples(&mut b, samples.iter().copied());
            assert_eq!(b[0], typ, "start timestamps choose the record type");
            match decode(&b).unwrap() {
                Record::Samples(got) => {
                    assert_eq!(got.len(), samples.len());
                    for (a, e) in got.iter().zip(&samples) {
                        assert_eq!((a.r, a.st, a.t, a.v.to_bits()), (e.r, e.st, e.t, e.v.to_bits()));
                    }
                }
                other => panic!("{other:?}"),
            }
        }
        b.clear();
        let e1 = Exemplar { labels: Labels::from_pairs([("trace_id", "abc")]), value: 1.5, t: 1000 };
        let e2 = Exemplar { labels: Labels::from_pairs([("span", "x"), ("trace_id", "d")]), value: -2.0, t: 900 };
        encode_exemplars(&mut b, &[(5, &e1), (3, &e2)]);
        assert_eq!(decode(&b), Ok(Record::Exemplars(vec![(5, e1), (3, e2)])));
        b.clear();
        encode_tombstones(&mut b, &[(1, -5, 10)]);
        assert_eq!(decode(&b), Ok(Record::Tombstones(vec![(1, -5, 10)])));
        assert!(decode(&[REC_SAMPLES, 0, 0, 0]).is_err());
    }
}
