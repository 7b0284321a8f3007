//! glibc's allocator, told to give memory back. By default glibc raises its mmap threshold each
//! time a large block is freed, so later scrape bodies (megabytes each) come from the main heap,
//! and the heap only shrinks from its top: the first scrape of a large target (hundreds of
//! thousands of short-lived label strings) left ~230 MB of free but resident memory behind at 100k
//! series. Large blocks now always get their own mapping, and after a burst of series creation
//! the free pages in the middle of the heap are returned.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
        fn malloc_trim(pad: usize) -> i32;
    }
    const M_MMAP_THRESHOLD: i32 = -3;

    pub fn tune() {
        // SAFETY: plain libc calls with valid arguments; glibc serializes them internally.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        }
    }

    pub fn trim() {
        // SAFETY: as above.
        unsafe {
            malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn tune() {}
    pub fn trim() {}
}

/// Series created in one call from which the transient memory is worth returning at once.
pub const TRIM_AFTER_SERIES: usize = 10_000;

pub use imp::{trim, tune};
