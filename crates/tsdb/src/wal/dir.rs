//! The WAL directory's layout: numbered segment files (checked for gaps), checkpoints, and the
//! interrupted checkpoints removed at open.

use crate::error::{Error, Result};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub fn segment_name(n: u32) -> String {
    format!("{n:08}")
}

/// The numbered segment files in a WAL directory, sorted.
pub fn list_segments(dir: &Path) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(format!("list WAL directory {}", dir.display()), e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io("list WAL directory", e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.len() == 8 && name.bytes().all(|b| b.is_ascii_digit()) {
            out.push(name.parse().expect("digits"));
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The segments a replay needs but the directory lacks: every number from `first_needed` (0, or
/// the segment after the checkpoint) up to the newest segment present that is not there. A WAL
/// with no segment from `first_needed` on is complete (new, or everything is in the checkpoint).
/// Returned as inclusive ranges, so a huge gap stays a short message.
pub fn missing_segments(segments: &[u32], first_needed: u32) -> Vec<(u32, u32)> {
    let mut missing = Vec::new();
    let mut expected = first_needed;
    for &s in segments.iter().filter(|&&s| s >= first_needed) {
        if s > expected {
            missing.push((expected, s - 1));
        }
        expected = s.saturating_add(1);
    }
    missing
}

/// Sorted segment numbers as runs of consecutive numbers (inclusive ranges).
pub fn segment_runs(segments: &[u32]) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &s in segments {
        match runs.last_mut() {
            Some((_, b)) if b.checked_add(1) == Some(s) => *b = s,
            _ => runs.push((s, s)),
        }
    }
    runs
}

/// `00000003` or `00000003-00000007` for each range, comma-separated.
pub fn describe_segment_ranges(ranges: &[(u32, u32)]) -> String {
    ranges.iter().map(|&(a, b)| if a == b { segment_name(a) } else { format!("{}-{}", segment_name(a), segment_name(b)) }).collect::<Vec<_>>().join(", ")
}

/// Removes checkpoints whose writing was interrupted (`checkpoint.NNNNNNNN.tmp`), as Prometheus
/// does at start; returns their names.
pub fn remove_temporary_checkpoints(dir: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(Error::io(format!("list WAL directory {}", dir.display()), e)),
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("checkpoint.") && name.ends_with(".tmp") {
            let p = e.path();
            let r = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
            r.map_err(|err| Error::io(format!("remove interrupted WAL checkpoint {}", p.display()), err))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// The newest complete checkpoint (`checkpoint.NNNNNNNN`), with the last segment it covers.
pub fn last_checkpoint(dir: &Path) -> Result<Option<(PathBuf, u32)>> {
    let mut best: Option<(PathBuf, u32)> = None;
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("list WAL directory", e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io("list WAL directory", e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(num) = name.strip_prefix("checkpoint.") {
            if let Ok(n) = num.parse::<u32>() {
                if num.len() == 8 && best.as_ref().is_none_or(|(_, b)| n > *b) {
                    best = Some((e.path(), n));
                }
            }
        }
    }
    Ok(best)
}

/// fsync a directory so a rename in it is durable (best effort: not every filesystem allows it).
pub fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Total size of the WAL directory's segments and checkpoints, in bytes.
pub fn dir_size(dir: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        let Ok(rd) = fs::read_dir(p) else { return 0 };
        rd.flatten().map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        }).sum()
    }
    walk(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_in_segment_numbers_are_found_as_ranges() {
        assert_eq!(missing_segments(&[], 0), vec![]);
        assert_eq!(missing_segments(&[0, 1, 2], 0), vec![]);
        assert_eq!(missing_segments(&[1, 2], 0), vec![(0, 0)]);
        assert_eq!(missing_segments(&[0, 3, 4, 7], 0), vec![(1, 2), (5, 6)]);
        // After checkpoint 4: older leftovers do not count, the segment after it must be there.
        assert_eq!(missing_segments(&[2, 5, 6], 5), vec![]);
        assert_eq!(missing_segments(&[6], 5), vec![(5, 5)]);
        assert_eq!(missing_segments(&[2], 5), vec![], "everything is in the checkpoint");
        assert_eq!(describe_segment_ranges(&[(1, 2), (5, 5)]), "00000001-00000002, 00000005");
        assert_eq!(segment_runs(&[0, 1, 2, 5, 7, 8]), vec![(0, 2), (5, 5), (7, 8)]);
    }
}
