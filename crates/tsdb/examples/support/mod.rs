//! What the examples share to report memory. Each example uses part of it.
#![allow(dead_code)]

/// This process's resident memory (VmRSS), MiB, from /proc (0 elsewhere).
pub fn resident_mib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()).unwrap_or(0) / 1024
}

/// Gives glibc's free pages back (what the server's memory releaser does after start-up).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn malloc_trim() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: a plain glibc call; it only releases free memory and serializes itself against
    // other allocations.
    unsafe { malloc_trim(0) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn malloc_trim() {}
