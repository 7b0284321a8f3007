//! The calling thread's own CPU time, for what a query's run costs (src/server/query-pool/inline.ts).
//!
//! `process.cpuUsage()` is getrusage(RUSAGE_SELF): it sums every thread of the process, so the
//! WAL's, the workers' and the scrape decoders' work counted in a query's cost. The thread's CPU
//! clock answers for the one thread that ran the query. Both take 2-3 µs a call here.

use node_api::{Env, JsResult, Value};

#[cfg(target_os = "linux")]
mod imp {
    use std::os::raw::c_long;

    /// `struct timespec`: both fields are `long` on glibc and musl without 64-bit time on 32-bit targets.
    #[repr(C)]
    struct Timespec {
        tv_sec: c_long,
        tv_nsec: c_long,
    }

    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

    /// Milliseconds of CPU the calling thread has used, or None if the clock is unavailable.
    pub fn thread_cpu_ms() -> Option<f64> {
        let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        (rc == 0).then(|| ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn thread_cpu_ms() -> Option<f64> {
        None
    }
}

pub use imp::thread_cpu_ms;

/// `threadCpuMs()`: the calling thread's CPU time in milliseconds; NaN where the platform has no
/// per-thread clock (the caller then uses wall time).
pub fn thread_cpu_ms_js(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    env.double(thread_cpu_ms().unwrap_or(f64::NAN))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// This thread's user + system time in clock ticks, as the kernel accounts it: a second,
    /// independent reading of the same thing.
    fn thread_ticks() -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after_comm.split(' ').collect();
        // After the comm field: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        fields[14 - 3].parse::<u64>().unwrap() + fields[15 - 3].parse::<u64>().unwrap()
    }

    #[test]
    fn counts_this_threads_work_and_not_another_threads() {
        let before = thread_cpu_ms().unwrap();
        // Another thread spins for 50 ms of its own CPU time: this thread's clock must not see it.
        std::thread::spawn(|| {
            let start = thread_cpu_ms().unwrap();
            while thread_cpu_ms().unwrap() - start < 50.0 {}
        })
        .join()
        .unwrap();
        let waited = thread_cpu_ms().unwrap() - before;
        assert!(waited < 25.0, "this thread only waited, yet its clock moved {waited} ms");
        // Busy until the kernel charged this thread 5 ticks (50 ms at the usual 100 Hz): the clock
        // must say about as much (a tick's rounding either way).
        let start = thread_cpu_ms().unwrap();
        let t0 = thread_ticks();
        while thread_ticks() - t0 < 5 {}
        let busy = thread_cpu_ms().unwrap() - start;
        assert!((30.0..=80.0).contains(&busy), "5 ticks of this thread's work, yet its clock says {busy} ms");
    }
}
