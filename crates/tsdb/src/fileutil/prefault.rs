//! Backing a large new allocation with memory in one request, instead of one page fault per
//! 4 KiB page as it is first written.
//!
//! A query's result matrix is megabytes (10 MB for 1,500 series x 400 steps) and, above the
//! allocator's mmap threshold (`crates/tsdb-node/src/memory.rs` keeps it at 1 MiB so freed
//! blocks go back to the system), every query maps it afresh. Zero-filling it then took one page
//! fault per page: on a virtual machine where each fault costs ~12 us, 32 ms for those 10 MB,
//! most of a 42 ms range query. Marking the range for huge pages (2 MiB each, so a few hundred
//! times fewer faults) and populating it in one call brought the same allocation and fill to
//! about 4 ms (measured with glibc at that threshold, on this project's 2-core machines).
//!
//! Both are hints: where the kernel lacks them (before Linux 5.14 for the populate) or refuses,
//! the memory is faulted in page by page as before. Contents are unchanged either way.

/// Allocations smaller than this are left alone: below it, a huge page cannot fit in them.
const MIN_BYTES: usize = 4 << 20;

/// Asks the kernel to back the spare capacity of `v` (just reserved, not yet written) now.
pub fn back_spare_capacity<T>(v: &mut Vec<T>) {
    let bytes = (v.capacity() - v.len()).saturating_mul(std::mem::size_of::<T>());
    if bytes < MIN_BYTES {
        return;
    }
    let start = v.as_mut_ptr().wrapping_add(v.len()) as usize;
    imp::back(start, bytes);
}

#[cfg(target_os = "linux")]
mod imp {
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    const MADV_HUGEPAGE: i32 = 14;
    const MADV_POPULATE_WRITE: i32 = 23;
    /// madvise takes page-aligned ranges; with larger pages (some arm64 kernels) the calls fail
    /// on the alignment and change nothing.
    const PAGE: usize = 4096;

    pub fn back(start: usize, bytes: usize) {
        // Only whole pages inside the allocation: its partial first and last pages may be shared
        // with the allocator's own bookkeeping or another block.
        let first = (start + PAGE - 1) & !(PAGE - 1);
        let end = (start + bytes) & !(PAGE - 1);
        if end <= first {
            return;
        }
        // SAFETY: [first, end) lies inside an allocation we own and have not handed out; neither
        // advice changes its contents (MADV_POPULATE_WRITE faults pages in as a write would,
        // without writing), so no reference to the memory is invalidated.
        unsafe {
            madvise(first as *mut std::ffi::c_void, end - first, MADV_HUGEPAGE);
            madvise(first as *mut std::ffi::c_void, end - first, MADV_POPULATE_WRITE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn back(_start: usize, _bytes: usize) {}
}

#[cfg(test)]
mod tests {
    use super::back_spare_capacity;

    #[test]
    fn a_backed_allocation_keeps_what_is_written_to_it() {
        for n in [1usize, 1 << 20, (8 << 20) + 123] {
            let mut v: Vec<u64> = Vec::new();
            v.try_reserve_exact(n).unwrap();
            v.push(7);
            back_spare_capacity(&mut v);
            v.resize(n, 0);
            for (i, x) in v[1..].iter_mut().enumerate() {
                *x = i as u64 + 1;
            }
            assert_eq!(v[0], 7);
            assert!(v[1..].iter().enumerate().all(|(i, &x)| x == i as u64 + 1));
        }
    }
}
