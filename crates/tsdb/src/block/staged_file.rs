//! A block file written through one reused buffer that goes to disk at points its writer picks:
//! between series, between postings lists, and at the end. A head cut of 1M series writes an
//! index and a chunk segment of a hundred megabytes or more each; built whole in memory, every
//! page of them was fresh memory the kernel faulted in and zeroed, which was about a third of
//! the block write. The writer still sees positions as offsets in the file, as the format's
//! references and alignment need.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How much the buffer holds before `flush_if_full` writes it out.
const FLUSH_AT: usize = 1 << 20;

pub(super) struct StagedFile {
    file: File,
    path: PathBuf,
    /// Bytes not yet written, which start at file offset `flushed`.
    pub buf: Vec<u8>,
    flushed: u64,
}

impl StagedFile {
    pub fn create(path: &Path) -> Result<StagedFile> {
        let file = File::create(path).map_err(|e| Error::io(format!("create {}", path.display()), e))?;
        Ok(StagedFile { file, path: path.to_path_buf(), buf: Vec::with_capacity(FLUSH_AT + FLUSH_AT / 4), flushed: 0 })
    }

    /// The file offset the next byte pushed to `buf` will have.
    pub fn pos(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// Pads with zeros up to a multiple of `align` in file offsets.
    pub fn pad_to(&mut self, align: u64) {
        let pad = self.pos().next_multiple_of(align) - self.pos();
        self.buf.resize(self.buf.len() + pad as usize, 0);
    }

    /// Writes the buffer out once it holds a megabyte or more. Callers call it only where no
    /// section of the file is half built, since sections patch their length into the buffer.
    pub fn flush_if_full(&mut self) -> Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.write_out()?;
        }
        Ok(())
    }

    fn write_out(&mut self) -> Result<()> {
        self.file.write_all(&self.buf).map_err(|e| Error::io(format!("write {}", self.path.display()), e))?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is left and syncs the file to disk.
    pub fn finish(mut self) -> Result<()> {
        self.write_out()?;
        self.file.sync_all().map_err(|e| Error::io(format!("fsync {}", self.path.display()), e))
    }
}
