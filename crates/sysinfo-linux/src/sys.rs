//! The libc functions this crate calls, declared by hand (std only), and a file descriptor that
//! closes itself.

#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(target_os = "linux")]
mod linux {
    use crate::{Error, Result};
    use std::os::raw::{c_int, c_long, c_ulong, c_void};

    extern "C" {
        pub fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
        pub fn close(fd: c_int) -> c_int;
        pub fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
        pub fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
        pub fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
        pub fn read(fd: c_int, buf: *mut c_void, len: usize) -> isize;
        pub fn adjtimex(buf: *mut c_void) -> c_int;
        pub fn syscall(number: c_long, ...) -> c_long;
    }

    pub const AF_INET: c_int = 2;
    pub const AF_NETLINK: c_int = 16;
    pub const SOCK_DGRAM: c_int = 2;
    pub const SOCK_RAW: c_int = 3;
    pub const SOCK_CLOEXEC: c_int = 0o2000000;
    pub const EINTR: i32 = 4;

    /// errno of the last failed call on this thread.
    pub fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    pub fn os_error(op: &'static str) -> Error {
        Error::Os { op, errno: errno() }
    }

    /// An open file descriptor, closed when dropped.
    #[derive(Debug)]
    pub struct Fd(pub c_int);

    impl Fd {
        pub fn socket(domain: c_int, kind: c_int, protocol: c_int, op: &'static str) -> Result<Fd> {
            // SAFETY: plain system call with integer arguments.
            let fd = unsafe { socket(domain, kind | SOCK_CLOEXEC, protocol) };
            if fd < 0 {
                return Err(os_error(op));
            }
            Ok(Fd(fd))
        }
    }

    impl Drop for Fd {
        fn drop(&mut self) {
            // SAFETY: we own the descriptor and close it once.
            unsafe {
                close(self.0);
            }
        }
    }
}
