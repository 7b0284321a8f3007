//! A read-only memory map of a whole file, so block indexes and chunks live in the page cache,
//! not in our resident memory. The one module of the crate allowed `unsafe` (`lib.rs` denies it
//! elsewhere): every unsafe block below carries its SAFETY reason.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::Path;

/// A read-only view of a whole file.
pub struct Mmap {
    ptr: *const u8,
    len: usize,
    /// Fallback storage when the platform has no mmap (or the file is empty).
    owned: Option<Vec<u8>>,
}

// SAFETY: the mapping is read-only and lives as long as the Mmap, so moving the Mmap to another
// thread moves nothing that another thread could still change or free.
unsafe impl Send for Mmap {}
// SAFETY: the mapping is read-only (PROT_READ, MAP_PRIVATE): threads sharing a &Mmap only read.
unsafe impl Sync for Mmap {}

#[cfg(unix)]
mod sys {
    use std::ffi::c_void;
    pub const PROT_READ: i32 = 1;
    pub const MAP_PRIVATE: i32 = 2;
    extern "C" {
        pub fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut c_void;
        pub fn munmap(addr: *mut c_void, len: usize) -> i32;
    }
}

impl Mmap {
    pub fn open(path: &Path) -> Result<Mmap> {
        let f = File::open(path).map_err(|e| Error::io(format!("open {}", path.display()), e))?;
        let len = f.metadata().map_err(|e| Error::io(format!("stat {}", path.display()), e))?.len() as usize;
        if len == 0 {
            return Ok(Mmap { ptr: std::ptr::null(), len: 0, owned: Some(Vec::new()) });
        }
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: a private read-only mapping of a file we opened; checked for MAP_FAILED.
            let p = unsafe { sys::mmap(std::ptr::null_mut(), len, sys::PROT_READ, sys::MAP_PRIVATE, f.as_raw_fd(), 0) };
            if p as isize != -1 {
                return Ok(Mmap { ptr: p as *const u8, len, owned: None });
            }
        }
        let data = std::fs::read(path).map_err(|e| Error::io(format!("read {}", path.display()), e))?;
        Ok(Mmap { ptr: std::ptr::null(), len: data.len(), owned: Some(data) })
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.owned {
            Some(v) => v,
            // SAFETY: ptr/len describe a live mapping owned by self.
            None => unsafe { std::slice::from_raw_parts(self.ptr, self.len) },
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        #[cfg(unix)]
        if self.owned.is_none() {
            // SAFETY: unmapping exactly the region mapped in `open`.
            unsafe {
                sys::munmap(self.ptr as *mut std::ffi::c_void, self.len);
            }
        }
    }
}
