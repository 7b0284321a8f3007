//! perf_event_open(2) counters counted system-wide per CPU (pid -1), as node_exporter's perf
//! collector opens them: each hardware, software and cache event on its own (one that cannot be
//! opened is left out, not an error: a VM without a PMU has no hardware events) and, optionally,
//! kernel tracepoints as one event group per CPU (all or nothing). Counters are enabled once and
//! read raw (no scaling by time enabled/running), as node_exporter reports them.

use crate::{Error, Result};

/// An event: `perf_event_attr.type` (PERF_TYPE_HARDWARE 0, SOFTWARE 1, TRACEPOINT 2, HW_CACHE 3)
/// and its `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub kind: u32,
    pub config: u64,
}

pub const PERF_TYPE_TRACEPOINT: u32 = 2;

/// `perf_event_attr` up to `config1` (PERF_ATTR_SIZE_VER0, which every kernel with perf takes).
#[repr(C)]
#[derive(Default)]
struct Attr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const FORMAT_TOTAL_TIME_ENABLED: u64 = 1;
const FORMAT_TOTAL_TIME_RUNNING: u64 = 2;
const FORMAT_GROUP: u64 = 8;
const FLAG_DISABLED: u64 = 1 << 0;
const FLAG_INHERIT: u64 = 1 << 1;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
const SAMPLE_IDENTIFIER: u64 = 1 << 16;

fn attr(e: Event, flags: u64, read_format: u64) -> Attr {
    Attr { kind: e.kind, size: std::mem::size_of::<Attr>() as u32, config: e.config, sample_type: SAMPLE_IDENTIFIER, read_format, flags, ..Attr::default() }
}

#[cfg(target_os = "linux")]
pub use linux::Counters;

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use crate::sys::{self, Fd};
    use std::os::raw::{c_int, c_long, c_ulong, c_void};

    #[cfg(target_arch = "x86_64")]
    const SYS_PERF_EVENT_OPEN: c_long = 298;
    #[cfg(any(target_arch = "aarch64", target_arch = "riscv64", target_arch = "loongarch64"))]
    const SYS_PERF_EVENT_OPEN: c_long = 241;
    #[cfg(target_arch = "x86")]
    const SYS_PERF_EVENT_OPEN: c_long = 336;
    #[cfg(target_arch = "arm")]
    const SYS_PERF_EVENT_OPEN: c_long = 364;
    #[cfg(any(target_arch = "powerpc", target_arch = "powerpc64"))]
    const SYS_PERF_EVENT_OPEN: c_long = 319;
    #[cfg(target_arch = "s390x")]
    const SYS_PERF_EVENT_OPEN: c_long = 331;

    const PERF_FLAG_FD_CLOEXEC: c_ulong = 8;
    /// `_IO('$', 0)`.
    const PERF_EVENT_IOC_ENABLE: c_ulong = 0x2400;
    const PERF_IOC_FLAG_GROUP: c_ulong = 1;

    fn open(a: &mut Attr, cpu: i32, group: c_int) -> std::result::Result<Fd, i32> {
        // SAFETY: a is a valid perf_event_attr of the size it declares; the other arguments are integers.
        let fd = unsafe { sys::syscall(SYS_PERF_EVENT_OPEN, a as *mut Attr as *mut c_void, -1 as c_int, cpu as c_int, group, PERF_FLAG_FD_CLOEXEC) };
        if fd < 0 {
            return Err(sys::errno());
        }
        Ok(Fd(fd as c_int))
    }

    fn enable(fd: &Fd, arg: c_ulong) -> Result<()> {
        // SAFETY: an ioctl with an integer argument on a perf descriptor we own.
        if unsafe { sys::ioctl(fd.0, PERF_EVENT_IOC_ENABLE, arg) } < 0 {
            return Err(sys::os_error("PERF_EVENT_IOC_ENABLE"));
        }
        Ok(())
    }

    fn read_words(fd: &Fd, words: &mut [u64]) -> Result<()> {
        let want = std::mem::size_of_val(words);
        // SAFETY: words is writable for `want` bytes.
        let n = unsafe { sys::read(fd.0, words.as_mut_ptr() as *mut c_void, want) };
        if n < 0 {
            return Err(sys::os_error("reading a perf counter"));
        }
        if (n as usize) < want {
            return Err(Error::Malformed(format!("perf counter read gave {n} of {want} bytes")));
        }
        Ok(())
    }

    /// Open counters: `events` on each of `cpus` (row-major, cpu by cpu), and a tracepoint group per CPU.
    pub struct Counters {
        cpus: usize,
        events: usize,
        counters: Vec<Option<Fd>>,
        open_errors: Vec<i32>,
        tracepoints: usize,
        /// Per CPU: the group leader first, then the other members (kept open for their lifetime).
        groups: Vec<Vec<Fd>>,
    }

    impl Counters {
        /// Opens and enables everything. An event that cannot be opened is recorded (see
        /// `open_errors`) and left out; a tracepoint group that cannot be opened, or a counter
        /// that cannot be enabled, is an error.
        pub fn open(cpus: &[i32], events: &[Event], tracepoints: &[u64]) -> Result<Counters> {
            let mut counters = Vec::with_capacity(cpus.len() * events.len());
            let mut open_errors = Vec::with_capacity(cpus.len() * events.len());
            for &cpu in cpus {
                for &e in events {
                    let mut a = attr(e, FLAG_DISABLED | FLAG_EXCLUDE_HV | FLAG_INHERIT, FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING);
                    match open(&mut a, cpu, -1) {
                        Ok(fd) => {
                            enable(&fd, 0)?;
                            counters.push(Some(fd));
                            open_errors.push(0);
                        }
                        Err(errno) => {
                            counters.push(None);
                            open_errors.push(errno);
                        }
                    }
                }
            }
            let mut groups = Vec::new();
            if !tracepoints.is_empty() {
                let format = FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING | FORMAT_GROUP;
                for &cpu in cpus {
                    let mut group: Vec<Fd> = Vec::with_capacity(tracepoints.len());
                    for (i, &config) in tracepoints.iter().enumerate() {
                        let e = Event { kind: PERF_TYPE_TRACEPOINT, config };
                        let (flags, leader) = if i == 0 { (FLAG_DISABLED | FLAG_EXCLUDE_HV, -1) } else { (FLAG_EXCLUDE_HV, group[0].0) };
                        let fd = open(&mut attr(e, flags, format), cpu, leader).map_err(|errno| Error::Os { op: "perf_event_open (tracepoint)", errno })?;
                        group.push(fd);
                    }
                    enable(&group[0], PERF_IOC_FLAG_GROUP)?;
                    groups.push(group);
                }
            }
            Ok(Counters { cpus: cpus.len(), events: events.len(), counters, open_errors, tracepoints: tracepoints.len(), groups })
        }

        /// errno per (cpu, event) of the ones that could not be opened, 0 for open ones.
        pub fn open_errors(&self) -> &[i32] {
            &self.open_errors
        }

        /// The counts: cpus x events (NaN where the event is not open), then cpus x tracepoints.
        /// Any read that fails fails the whole read, as node_exporter's profilers do.
        pub fn read(&self) -> Result<Vec<f64>> {
            let mut out = Vec::with_capacity(self.cpus * (self.events + self.tracepoints));
            let mut one = [0u64; 3];
            for c in &self.counters {
                match c {
                    Some(fd) => {
                        read_words(fd, &mut one)?;
                        out.push(one[0] as f64);
                    }
                    None => out.push(f64::NAN),
                }
            }
            let mut group = vec![0u64; 3 + self.tracepoints];
            for g in &self.groups {
                read_words(&g[0], &mut group)?;
                out.extend(group[3..].iter().map(|&v| v as f64));
            }
            Ok(out)
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub struct Counters;

#[cfg(not(target_os = "linux"))]
impl Counters {
    pub fn open(_cpus: &[i32], _events: &[Event], _tracepoints: &[u64]) -> Result<Counters> {
        let _ = attr;
        Err(Error::Unsupported("perf_event_open"))
    }
    pub fn open_errors(&self) -> &[i32] {
        &[]
    }
    pub fn read(&self) -> Result<Vec<f64>> {
        Err(Error::Unsupported("perf_event_open"))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_attribute_is_the_first_published_size() {
        assert_eq!(std::mem::size_of::<Attr>(), 64);
    }

    #[test]
    fn a_software_counter_opens_or_says_why() {
        // Context switches on CPU 0 (PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES), plus an
        // event no kernel has: that one is recorded as not open, not an error.
        let events = [Event { kind: 1, config: 3 }, Event { kind: 1, config: 999 }];
        match Counters::open(&[0], &events, &[]) {
            Ok(c) => {
                assert_ne!(c.open_errors()[1], 0);
                let v = c.read().expect("read");
                assert_eq!(v.len(), 2);
                assert!(v[1].is_nan());
                assert!(c.open_errors()[0] != 0 || v[0] >= 0.0);
            }
            Err(e) => assert!(e.errno().is_some(), "{e}"),
        }
    }
}
