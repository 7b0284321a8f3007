//! The head's side of the write-ahead log: replaying the checkpoint and segments into the head
//! at open, and checkpointing closed segments when the head is truncated (Prometheus's
//! `head_wal.go`; the segment files and the checkpoint directory are in `wal`).

use super::{Db, ReplayReport, State};
use crate::error::{Error, Result};
use crate::exemplars::Exemplar;
use crate::labels::{self, Labels};
use crate::record::{self, Record};
use crate::wal;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

/// What the reading thread hands the replay, in the WAL's order.
enum Replayed {
    Record(Record),
    /// A series record, checked, to be applied from its bytes (`record::SeriesReader`).
    Series(Vec<u8>),
    /// A record that does not read: in the checkpoint (`true`: the open is refused) or in a
    /// segment (the WAL is cut there).
    Corrupt(bool, wal::Corruption),
    Failed(Error),
}

/// Records decoded ahead of the replay at most: enough to keep both threads busy. A lead of 256
/// let the reader hold ~300 MB of decoded series records while the head created them (a series
/// record holds up to 8192 label sets): the replay's RSS rose from ~810 to ~1,050 MiB at 1M series.
const DECODED_AHEAD: usize = 4;

/// Reads the checkpoint's segments and then the WAL's segments from `first` on, decoding each
/// record (CRC, decompression, varints) and handing it over, until the end, a corruption, or the
/// replay stops listening.
fn read_wal(wal_dir: &Path, checkpoint: Option<(&Path, &[u32])>, segments: &[u32], first: u32, to: &mpsc::SyncSender<Replayed>) {
    // False once the replay stopped listening (it returned early): reading stops too.
    let mut listening = true;
    let mut read = |dir: &Path, s: u32, in_checkpoint: bool| -> bool {
        let data = match wal::read_segment_file(dir, s) {
            Ok(d) => d,
            Err(e) => {
                let _ = to.send(Replayed::Failed(e));
                return false;
            }
        };
        let corrupt = wal::read_segment(s, &data, |r| {
            let item = match record::SeriesReader::new(r) {
                Some(entries) => {
                    entries.check()?;
                    Replayed::Series(r.to_vec())
                }
                None => Replayed::Record(record::decode(r)?),
            };
            listening = to.send(item).is_ok();
            if listening { Ok(()) } else { Err("the replay stopped".into()) }
        });
        match corrupt {
            Some(c) if listening => {
                let _ = to.send(Replayed::Corrupt(in_checkpoint, c));
                false
            }
            Some(_) => false,
            None => true,
        }
    };
    if let Some((cp_dir, cp_segments)) = checkpoint {
        for &s in cp_segments {
            if !read(cp_dir, s, true) {
                return;
            }
        }
    }
    for &s in segments {
        if s < first {
            // Covered by the checkpoint; removal was interrupted.
            let _ = fs::remove_file(wal_dir.join(wal::segment_name(s)));
            continue;
        }
        if !read(wal_dir, s, false) {
            return;
        }
    }
}

/// Creates the series of a checked series record in the head, reading their labels in place.
fn apply_series(rec: &[u8], state: &mut State, ref_map: &mut HashMap<u64, u32>, report: &mut ReplayReport) {
    let Some(mut entries) = record::SeriesReader::new(rec) else { return };
    let mut pairs = Vec::new();
    while let Some(Ok((r, _))) = entries.next_into(&mut pairs) {
        let wanted = u32::try_from(r).ok().filter(|&w| state.head.get(w).is_none());
        let (ours, _) = if labels::is_canonical(&pairs) {
            state.head.get_or_create_sorted(&pairs, wanted)
        } else {
            state.head.get_or_create(&Labels::from_pairs(pairs.iter().copied()), wanted)
        };
        if ours as u64 != r {
            ref_map.insert(r, ours);
        }
        report.series += 1;
    }
}

/// Applies one replayed record to the head. `ref_map` maps the WAL's series refs to the head's
/// where they differ.
fn apply(rec: Record, state: &mut State, ref_map: &mut HashMap<u64, u32>, report: &mut ReplayReport) {
    match rec {
        Record::Samples(samples) => {
            for record::RefSample { r, st, t, v } in samples {
                let ours = ref_map.get(&r).copied().unwrap_or(r as u32);
                if let Ok(true) = state.head.check(ours, t, v) {
                    state.head.append_checked(ours, st, t, v);
                    report.samples += 1;
                }
            }
        }
        Record::Histograms(samples) => {
            for record::RefHistogramSample { r, st, t, h } in samples {
                let ours = ref_map.get(&r).copied().unwrap_or(r as u32);
                if let Ok(true) = state.head.check_histogram(ours, t, &h) {
                    state.head.append_histogram_checked(ours, st, t, &h);
                    report.samples += 1;
                }
            }
        }
        Record::Exemplars(list) => {
            for (r, e) in list {
                let ours = ref_map.get(&r).copied().unwrap_or(r as u32);
                if state.head.get(ours).is_some() {
                    let _ = state.exemplars.add(ours, e);
                }
            }
        }
        Record::Tombstones(stones) => {
            for (r, a, b) in stones {
                let ours = ref_map.get(&r).copied().unwrap_or(r as u32);
                state.head_tombstones.entry(ours).or_default().push((a, b));
            }
        }
        // Series records are read in place (`Replayed::Series`, `apply_series`).
        Record::Series(_) | Record::Other(_) => {}
    }
}

impl Db {
    /// Replays the checkpoint and the segments into the head. Reading and decoding the records
    /// runs on a thread of its own, ahead of applying them here: at 1M series, decoding was about
    /// a third of the replay, and the two overlap on a second core.
    pub(super) fn replay(wal_dir: &Path, state: &mut State) -> Result<ReplayReport> {
        let start = Instant::now();
        let mut report = ReplayReport::default();
        let checkpoint = wal::last_checkpoint(wal_dir)?;
        let first = checkpoint.as_ref().map_or(0, |(_, n)| n + 1);
        let segments = wal::list_segments(wal_dir)?;
        // A missing segment is not a corruption we can cut at: the segments after it would be
        // replayed without the series and samples it held (silently, since every later record
        // still reads fine). Prometheus refuses to open such a WAL; so do we, before any change.
        let missing = wal::missing_segments(&segments, first);
        if !missing.is_empty() {
            let after = match &checkpoint {
                Some((cp, n)) => format!("after checkpoint {} (which covers up to segment {})", cp.display(), wal::segment_name(*n)),
                None => "with no checkpoint, segments start at 00000000".to_string(),
            };
            return Err(Error::Corrupt(format!(
                "WAL directory {} is missing segment(s) {} ({after}; segments present: {}): refusing to open rather than silently lose their data; restore the missing files, or move the WAL directory away to start without the data it holds",
                wal_dir.display(),
                wal::describe_segment_ranges(&missing),
                wal::describe_segment_ranges(&wal::segment_runs(&segments.iter().copied().filter(|&s| s >= first).collect::<Vec<_>>())),
            )));
        }
        let cp_segments = match &checkpoint {
            Some((cp_dir, _)) => {
                let cp_segments = wal::list_segments(cp_dir)?;
                let cp_missing = wal::missing_segments(&cp_segments, 0);
                if !cp_missing.is_empty() {
                    return Err(Error::Corrupt(format!("WAL checkpoint {} is missing segment(s) {}: refusing to open rather than silently lose its data", cp_dir.display(), wal::describe_segment_ranges(&cp_missing))));
                }
                cp_segments
            }
            None => Vec::new(),
        };
        let cp = checkpoint.as_ref().map(|(dir, _)| (dir.as_path(), cp_segments.as_slice()));
        let mut ref_map: HashMap<u64, u32> = HashMap::new();
        thread::scope(|scope| -> Result<()> {
            let (to, from) = mpsc::sync_channel(DECODED_AHEAD);
            let segments = &segments;
            scope.spawn(move || read_wal(wal_dir, cp, segments, first, &to));
            // Returning drops `from`: the reader's next hand-over fails and it stops.
            for item in from {
                match item {
                    Replayed::Record(rec) => apply(rec, state, &mut ref_map, &mut report),
                    Replayed::Series(rec) => apply_series(&rec, state, &mut ref_map, &mut report),
                    Replayed::Corrupt(true, c) => {
                        let cp_dir = checkpoint.as_ref().map_or_else(String::new, |(d, _)| d.display().to_string());
                        return Err(Error::Corrupt(format!("WAL checkpoint {cp_dir}: segment {} offset {}: {}", c.segment, c.offset, c.reason)));
                    }
                    Replayed::Corrupt(false, c) => {
                        wal::repair(wal_dir, &c)?;
                        report.corruption = Some(c);
                        return Ok(());
                    }
                    Replayed::Failed(e) => return Err(e),
                }
            }
            Ok(())
        })?;
        report.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        Ok(report)
    }

    /// Checkpoints every closed WAL segment below the retention floor: keeps the records of the
    /// series in the head and of those `also_keep(ref, last segment covered)` names (the agent's
    /// recently removed series), with their samples at or after `mint`, then deletes the
    /// segments. Returns the last segment the checkpoint covers (None: nothing was done).
    pub(super) fn checkpoint(&self, also_keep: &dyn Fn(u32, u32) -> bool, mint: i64) -> Result<Option<u32>> {
        let wal_dir = self.dir.join("wal");
        let (last, closed) = {
            let mut w = self.wal.lock().map_err(|_| Error::Closed)?;
            let w = w.as_mut().ok_or(Error::Closed)?;
            let closed = w.cut_segment()?;
            (w.segment() - 1, closed)
        };
        // Synced outside the writer's lock: appends (and the queries waiting behind them on the
        // state lock) do not wait for the disk.
        closed.sync_all().map_err(|e| Error::io("fsync WAL segment", e))?;
        drop(closed);
        // Remote-write queues may still need segments: the checkpoint stops below their floor.
        let last = match self.wal_retention_floor() {
            Some(0) => return Ok(None),
            Some(floor) => last.min(floor - 1),
            None => last,
        };
        // Which series are live is read after the cut: a series created before it is in the
        // head now, or was removed for good (refs are never reused). Read any earlier and a
        // series created in between would lose its record with the checkpointed segments.
        let in_head = self.live_series()?;
        if wal::last_checkpoint(&wal_dir)?.is_some_and(|(_, n)| n >= last) {
            return Ok(None);
        }
        let live = |r: u64| u32::try_from(r).is_ok_and(|r| in_head.get(r as usize).is_some_and(|&l| l) || also_keep(r, last));
        // Kept records are written as they are found (a batch at a time), never all held at once.
        let mut cp = wal::CheckpointWriter::create(&wal_dir, last)?;
        // A failure to write is not a corruption of what is read: kept aside and returned as is.
        let write_failure: RefCell<Option<Error>> = RefCell::new(None);
        let mut keep = |rec: Vec<u8>| -> std::result::Result<(), String> {
            cp.log(rec).map_err(|e| {
                let why = e.to_string();
                *write_failure.borrow_mut() = Some(e);
                why
            })
        };
        let mut filter = |rec: &[u8]| -> std::result::Result<(), String> {
            let mut out = Vec::new();
            if let Some(mut entries) = record::SeriesReader::new(rec) {
                // The live series' entries are copied as they are, without decoding their labels
                // (at 1M series, every head cut checkpoints a million of them).
                let mut pairs = Vec::new();
                while let Some(entry) = entries.next_into(&mut pairs) {
                    let (r, bytes) = entry?;
                    if live(r) {
                        if out.is_empty() {
                            out.push(record::REC_SERIES);
                        }
                        out.extend_from_slice(bytes);
                    }
                }
                if !out.is_empty() {
                    keep(out)?;
                }
                return Ok(());
            }
            match record::decode(rec)? {
                Record::Samples(s) => {
                    let kept: Vec<record::RefSample> = s.into_iter().filter(|s| s.t >= mint && live(s.r)).collect();
                    if !kept.is_empty() {
                        record::encode_samples(&mut out, kept.into_iter());
                    }
                }
                Record::Histograms(s) => {
                    let kept: Vec<record::RefHistogramSample> = s.into_iter().filter(|s| s.t >= mint && live(s.r)).collect();
                    // Kept as records of their own types, as the samples were logged.
                    for r in record::encode_histograms(&kept) {
                        keep(r)?;
                    }
                }
                Record::Tombstones(s) => {
                    let kept: Vec<(u64, i64, i64)> = s.into_iter().filter(|&(r, _, b)| b >= mint && live(r)).collect();
                    if !kept.is_empty() {
                        record::encode_tombstones(&mut out, &kept);
                    }
                }
                Record::Exemplars(s) => {
                    let kept: Vec<(u64, &Exemplar)> = s.iter().filter(|(r, e)| e.t >= mint && live(*r)).map(|(r, e)| (*r, e)).collect();
                    if !kept.is_empty() {
                        record::encode_exemplars(&mut out, &kept);
                    }
                }
                // Series records were copied above.
                Record::Series(_) | Record::Other(_) => {}
            }
            if !out.is_empty() {
                keep(out)?;
            }
            Ok(())
        };
        let failed = |what: String| write_failure.borrow_mut().take().unwrap_or(Error::Corrupt(what));
        if let Some((old, _)) = wal::last_checkpoint(&wal_dir)? {
            for s in wal::list_segments(&old)? {
                let data = wal::read_segment_file(&old, s)?;
                if let Some(c) = wal::read_segment(s, &data, &mut filter) {
                    return Err(failed(format!("WAL checkpoint {}: {}", old.display(), c.reason)));
                }
            }
        }
        for s in wal::list_segments(&wal_dir)?.into_iter().filter(|&s| s <= last) {
            let data = wal::read_segment_file(&wal_dir, s)?;
            if let Some(c) = wal::read_segment(s, &data, &mut filter) {
                return Err(failed(format!("WAL segment {s} offset {}: {}", c.offset, c.reason)));
            }
        }
        cp.finish()?;
        self.counters.lock().unwrap().checkpoints += 1;
        Ok(Some(last))
    }

    /// Whether each series ref is in the head, indexed by ref (a bit map of the head's slots,
    /// read under the read lock in one short pass).
    fn live_series(&self) -> Result<Vec<bool>> {
        let st = self.state.read().map_err(|_| Error::Closed)?;
        let mut live = vec![false; st.head.next_ref() as usize];
        for r in st.head.refs() {
            live[r as usize] = true;
        }
        Ok(live)
    }
}
