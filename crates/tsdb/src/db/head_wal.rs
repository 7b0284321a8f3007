//! The head's side of the write-ahead log: replaying the checkpoint and segments into the head
//! at open, and checkpointing closed segments when the head is truncated (Prometheus's
//! `head_wal.go`; the segment files and the checkpoint directory are in `wal`).

use super::{Db, ReplayReport, State};
use crate::error::{Error, Result};
use crate::exemplars::Exemplar;
use crate::labels::Labels;
use crate::record::{self, Record};
use crate::wal;
use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::Instant;

impl Db {
    pub(super) fn replay(wal_dir: &Path, state: &mut State) -> Result<ReplayReport> {
        let start = Instant::now();
        let mut report = ReplayReport::default();
        let mut ref_map: HashMap<u64, u32> = HashMap::new();
        let mut apply = |rec: &[u8], state: &mut State, report: &mut ReplayReport| -> std::result::Result<(), String> {
            match record::decode(rec)? {
                Record::Series(series) => {
                    for (r, labels) in series {
                        let wanted = u32::try_from(r).ok().filter(|&w| state.head.get(w).is_none());
                        let (ours, _) = state.head.get_or_create(&labels, wanted);
                        if ours as u64 != r {
                            ref_map.insert(r, ours);
                        }
                        report.series += 1;
                    }
                }
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
                Record::Other(_) => {}
            }
            Ok(())
        };
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
        if let Some((cp_dir, _)) = &checkpoint {
            let cp_segments = wal::list_segments(cp_dir)?;
            let cp_missing = wal::missing_segments(&cp_segments, 0);
            if !cp_missing.is_empty() {
                return Err(Error::Corrupt(format!("WAL checkpoint {} is missing segment(s) {}: refusing to open rather than silently lose its data", cp_dir.display(), wal::describe_segment_ranges(&cp_missing))));
            }
            for s in cp_segments {
                let data = wal::read_segment_file(cp_dir, s)?;
                if let Some(c) = wal::read_segment(s, &data, |r| apply(r, state, &mut report)) {
                    return Err(Error::Corrupt(format!("WAL checkpoint {}: segment {} offset {}: {}", cp_dir.display(), c.segment, c.offset, c.reason)));
                }
            }
        }
        for s in segments {
            if s < first {
                // Covered by the checkpoint; removal was interrupted.
                let _ = fs::remove_file(wal_dir.join(wal::segment_name(s)));
                continue;
            }
            let data = wal::read_segment_file(wal_dir, s)?;
            if let Some(c) = wal::read_segment(s, &data, |r| apply(r, state, &mut report)) {
                wal::repair(wal_dir, &c)?;
                report.corruption = Some(c);
                break;
            }
        }
        report.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        Ok(report)
    }

    /// Checkpoints every closed WAL segment: keeps series still in the head and samples at or
    /// after `mint`, then deletes the segments.
    pub(super) fn checkpoint(&self, mint: i64) -> Result<()> {
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
            Some(0) => return Ok(()),
            Some(floor) => last.min(floor - 1),
            None => last,
        };
        // Which series are live is read after the cut: a series created before it is in the
        // head now, or was removed for good (refs are never reused). Read any earlier and a
        // series created in between would lose its record with the checkpointed segments.
        let live = self.live_series()?;
        let live = |r: u64| usize::try_from(r).ok().and_then(|r| live.get(r)).is_some_and(|&l| l);
        if wal::last_checkpoint(&wal_dir)?.is_some_and(|(_, n)| n >= last) {
            return Ok(());
        }
        let mut keep: Vec<Vec<u8>> = Vec::new();
        let mut filter = |rec: &[u8]| -> std::result::Result<(), String> {
            let mut out = Vec::new();
            match record::decode(rec)? {
                Record::Series(s) => {
                    let items: Vec<(u64, &Labels)> = s.iter().filter(|(r, _)| live(*r)).map(|(r, l)| (*r, l)).collect();
                    if !items.is_empty() {
                        record::encode_series(&mut out, &items);
                    }
                }
                Record::Samples(s) => {
                    let kept: Vec<record::RefSample> = s.into_iter().filter(|s| s.t >= mint && live(s.r)).collect();
                    if !kept.is_empty() {
                        record::encode_samples(&mut out, kept.into_iter());
                    }
                }
                Record::Histograms(s) => {
                    let kept: Vec<record::RefHistogramSample> = s.into_iter().filter(|s| s.t >= mint && live(s.r)).collect();
                    // Kept as records of their own types, as the samples were logged.
                    keep.extend(record::encode_histograms(&kept));
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
                Record::Other(_) => {}
            }
            if !out.is_empty() {
                keep.push(out);
            }
            Ok(())
        };
        if let Some((cp, _)) = wal::last_checkpoint(&wal_dir)? {
            for s in wal::list_segments(&cp)? {
                let data = wal::read_segment_file(&cp, s)?;
                if let Some(c) = wal::read_segment(s, &data, &mut filter) {
                    return Err(Error::Corrupt(format!("WAL checkpoint {}: {}", cp.display(), c.reason)));
                }
            }
        }
        for s in wal::list_segments(&wal_dir)?.into_iter().filter(|&s| s <= last) {
            let data = wal::read_segment_file(&wal_dir, s)?;
            if let Some(c) = wal::read_segment(s, &data, &mut filter) {
                return Err(Error::Corrupt(format!("WAL segment {s} offset {}: {}", c.offset, c.reason)));
            }
        }
        wal::write_checkpoint(&wal_dir, last, &keep)?;
        self.counters.lock().unwrap().checkpoints += 1;
        Ok(())
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
