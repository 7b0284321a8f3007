//! Writing a checkpoint: the records still needed of the segments up to `last` go to
//! `checkpoint.<last>.tmp` a batch at a time as they are found, so building one takes the memory
//! of a batch rather than of the whole checkpoint (an agent's checkpoint can hold hours of
//! samples); `finish` fsyncs it, renames it into place and removes what it covers.

use super::{list_segments, segment_name, sync_dir, WalWriter, DEFAULT_SEGMENT_SIZE};
use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Records are handed to the file once this many bytes are waiting.
const BATCH_BYTES: usize = 1 << 20;

pub struct CheckpointWriter {
    dir: PathBuf,
    last: u32,
    tmp: PathBuf,
    writer: WalWriter,
    pending: Vec<Vec<u8>>,
    pending_bytes: usize,
}

impl CheckpointWriter {
    /// Starts the checkpoint covering segments up to `last` in the WAL directory `dir`.
    pub fn create(dir: &Path, last: u32) -> Result<CheckpointWriter> {
        let tmp = dir.join(format!("checkpoint.{}.tmp", segment_name(last)));
        let _ = fs::remove_dir_all(&tmp);
        let writer = WalWriter::create(&tmp, 0, DEFAULT_SEGMENT_SIZE)?;
        Ok(CheckpointWriter { dir: dir.to_path_buf(), last, tmp, writer, pending: Vec::new(), pending_bytes: 0 })
    }

    pub fn log(&mut self, record: Vec<u8>) -> Result<()> {
        self.pending_bytes += record.len();
        self.pending.push(record);
        if self.pending_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let refs: Vec<&[u8]> = self.pending.iter().map(Vec::as_slice).collect();
        self.writer.log(&refs)?;
        self.pending.clear();
        self.pending_bytes = 0;
        Ok(())
    }

    /// Makes the checkpoint final, then removes the segments it covers and older checkpoints.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.writer.close()?;
        let final_dir = self.dir.join(format!("checkpoint.{}", segment_name(self.last)));
        let _ = fs::remove_dir_all(&final_dir);
        fs::rename(&self.tmp, &final_dir).map_err(|e| Error::io("rename WAL checkpoint", e))?;
        sync_dir(&self.dir);
        for s in list_segments(&self.dir)? {
            if s <= self.last {
                let p = self.dir.join(segment_name(s));
                fs::remove_file(&p).map_err(|e| Error::io(format!("remove WAL segment {}", p.display()), e))?;
            }
        }
        for e in fs::read_dir(&self.dir).map_err(|e| Error::io("list WAL directory", e))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name.strip_prefix("checkpoint.").and_then(|n| n.parse::<u32>().ok()) {
                if n < self.last {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(())
    }
}
