//! adjtimex(2) with no modes set: the kernel clock's discipline state, read without changing it.

use crate::Result;

/// `struct timex` as the kernel fills it, and adjtimex's return value (the clock state,
/// `TIME_OK` .. `TIME_ERROR`). Fields keep the kernel's units (see adjtimex(2)).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timex {
    pub clock_state: i32,
    pub offset: i64,
    pub freq: i64,
    pub maxerror: i64,
    pub esterror: i64,
    pub status: i32,
    pub constant: i64,
    pub precision: i64,
    pub tolerance: i64,
    pub tick: i64,
    pub ppsfreq: i64,
    pub jitter: i64,
    pub shift: i32,
    pub stabil: i64,
    pub jitcnt: i64,
    pub calcnt: i64,
    pub errcnt: i64,
    pub stbcnt: i64,
    pub tai: i32,
}

/// The clock state adjtimex returns when the clock is not synchronized.
pub const TIME_ERROR: i32 = 5;
/// `status` bit: offsets and jitter are in nanoseconds, not microseconds.
pub const STA_NANO: i32 = 0x2000;

#[cfg(target_os = "linux")]
#[repr(C)]
struct RawTimex {
    modes: std::os::raw::c_uint,
    offset: std::os::raw::c_long,
    freq: std::os::raw::c_long,
    maxerror: std::os::raw::c_long,
    esterror: std::os::raw::c_long,
    status: std::os::raw::c_int,
    constant: std::os::raw::c_long,
    precision: std::os::raw::c_long,
    tolerance: std::os::raw::c_long,
    time: [std::os::raw::c_long; 2],
    tick: std::os::raw::c_long,
    ppsfreq: std::os::raw::c_long,
    jitter: std::os::raw::c_long,
    shift: std::os::raw::c_int,
    stabil: std::os::raw::c_long,
    jitcnt: std::os::raw::c_long,
    calcnt: std::os::raw::c_long,
    errcnt: std::os::raw::c_long,
    stbcnt: std::os::raw::c_long,
    tai: std::os::raw::c_int,
    /// The kernel's eleven reserved `int :32` fields.
    reserved: [std::os::raw::c_int; 11],
}

/// Reads the clock's state (EPERM is possible under seccomp policies that forbid adjtimex).
#[cfg(target_os = "linux")]
pub fn read() -> Result<Timex> {
    // SAFETY: RawTimex is plain integers; all-zero is a valid value (modes 0: read only).
    let mut t: RawTimex = unsafe { std::mem::zeroed() };
    // SAFETY: t is a properly sized and aligned struct timex.
    let state = unsafe { crate::sys::adjtimex(&mut t as *mut RawTimex as *mut std::ffi::c_void) };
    if state < 0 {
        return Err(crate::sys::os_error("adjtimex"));
    }
    Ok(Timex {
        clock_state: state,
        offset: t.offset as i64,
        freq: t.freq as i64,
        maxerror: t.maxerror as i64,
        esterror: t.esterror as i64,
        status: t.status,
        constant: t.constant as i64,
        precision: t.precision as i64,
        tolerance: t.tolerance as i64,
        tick: t.tick as i64,
        ppsfreq: t.ppsfreq as i64,
        jitter: t.jitter as i64,
        shift: t.shift,
        stabil: t.stabil as i64,
        jitcnt: t.jitcnt as i64,
        calcnt: t.calcnt as i64,
        errcnt: t.errcnt as i64,
        stbcnt: t.stbcnt as i64,
        tai: t.tai,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn read() -> Result<Timex> {
    Err(crate::Error::Unsupported("adjtimex"))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn reads_the_clock_with_a_plausible_tick() {
        let t = super::read().expect("adjtimex");
        // USER_HZ ticks: 10000 us at HZ=100 (the value is in microseconds whatever the kernel's HZ).
        assert!(t.tick > 0 && t.tick <= 1_000_000, "tick {}", t.tick);
        assert!((0..=5).contains(&t.clock_state), "state {}", t.clock_state);
    }
}
