//! glibc's allocator, told to give memory back.
//!
//! By default glibc raises its mmap threshold each time a large block is freed, so later scrape
//! bodies (megabytes each) would come from the main heap, which only shrinks from its top: large
//! blocks now always get their own mapping.
//!
//! A burst of series creation (a large target's first scrape, a remote-write client's first
//! request) frees hundreds of thousands of short-lived blocks in the middle of the heap, and so do
//! V8's collections of the parse results that owned native memory. glibc keeps those pages
//! resident until `malloc_trim`: at 100k scraped series that was 142 MiB of the server's 340 MiB.
//! So does a query over many series, in the arena of the query worker's thread.
//! The trim walks every free block while it holds the arena's lock, which stalls the main thread's
//! allocations (0.7 s after a 300k-series compaction), so it never runs on the main thread nor on
//! the append path: the code that frees much only counts a request (`trim`), and the server asks
//! for the release (`releaseFreeMemory`) once the burst is over and V8 has collected its part
//! (src/server/memory-release.ts), on a worker thread.

use node_api::{Env, JsResult, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    /// glibc's `struct mallinfo2` (glibc 2.33 and later): all fields are `size_t`.
    #[repr(C)]
    #[derive(Default)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }

    extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
        fn malloc_trim(pad: usize) -> i32;
        fn mallinfo2() -> MallInfo2;
    }
    const M_MMAP_THRESHOLD: i32 = -3;

    pub fn tune() {
        // SAFETY: plain libc calls with valid arguments; glibc serializes them internally.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        }
    }

    pub fn trim_now() {
        // SAFETY: as above.
        unsafe {
            malloc_trim(0);
        }
    }

    /// Bytes the allocator holds from the system in its heaps (not counting mmapped blocks), and
    /// how many of them are free.
    pub fn heap_bytes() -> (usize, usize) {
        // SAFETY: as above; mallinfo2 returns the struct by value.
        let m = unsafe { mallinfo2() };
        (m.arena, m.fordblks)
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn tune() {}
    pub fn trim_now() {}
    pub fn heap_bytes() -> (usize, usize) {
        (0, 0)
    }
}

/// Series created in one call, or selected by one query, from which the transient memory is worth
/// returning.
pub const TRIM_AFTER_SERIES: usize = 10_000;

pub use imp::{heap_bytes, trim_now, tune};

/// How many times code that freed much asked for the free pages to be returned.
static TRIM_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Asks for the free pages to be returned soon (see the module's comment): cheap, callable on the
/// main thread and the append path.
pub fn trim() {
    TRIM_REQUESTS.fetch_add(1, Ordering::Relaxed);
}

pub fn trim_requests() -> u64 {
    TRIM_REQUESTS.load(Ordering::Relaxed)
}

/// `memoryTrimRequests()`: the count of requests so far; the server releases memory when it
/// changed and then stayed put for a while.
pub fn memory_trim_requests(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    env.double(trim_requests() as f64)
}

/// `releaseFreeMemory()`: `malloc_trim` on a worker thread; resolves with [heap bytes before,
/// free heap bytes before, heap bytes after, free heap bytes after, microseconds the trim took]
/// (the heap figures are mallinfo2's `arena` and `fordblks`; the trim releases pages inside free
/// blocks, so the free bytes stay counted as heap: RSS is what drops).
pub fn release_free_memory(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    env.spawn(
        "promethium.releaseFreeMemory",
        || {
            let before = heap_bytes();
            let t0 = Instant::now();
            trim_now();
            let micros = t0.elapsed().as_micros() as f64;
            let after = heap_bytes();
            Ok([before.0 as f64, before.1 as f64, after.0 as f64, after.1 as f64, micros])
        },
        |env, r| env.typed(&r),
    )
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    /// Fragments the heap as a burst does (large short-lived blocks between small long-lived
    /// ones, so the heap cannot shrink from its top), then checks that the trim gives the free
    /// blocks' pages back.
    #[test]
    fn trim_returns_free_pages_in_the_middle_of_the_heap() {
        tune();
        let mut kept = Vec::new();
        let mut freed = Vec::new();
        for i in 0..16_384u32 {
            freed.push(vec![i as u8 | 1; 8192]);
            kept.push(Box::new(i));
        }
        let (_, free_before) = heap_bytes();
        drop(freed);
        let (_, free_after_drop) = heap_bytes();
        assert!(free_after_drop >= free_before + (100 << 20), "the dropped blocks are free heap: {free_before} -> {free_after_drop}");
        let rss_before = resident_bytes();
        trim_now();
        let rss_after = resident_bytes();
        assert!(rss_before >= rss_after + (64 << 20), "RSS {rss_before} -> {rss_after}");
        assert_eq!(kept.len(), 16_384);
    }

    #[test]
    fn trim_requests_are_counted() {
        let before = trim_requests();
        trim();
        trim();
        assert!(trim_requests() >= before + 2);
    }
}
