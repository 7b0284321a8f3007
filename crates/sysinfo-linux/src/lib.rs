//! Host facts that only system calls give, for the node exporter's timex, ethtool, network_route,
//! qdisc, tcpstat, wifi and perf collectors: adjtimex(2), SIOCETHTOOL ioctls, rtnetlink route
//! and qdisc dumps, NETLINK_SOCK_DIAG's TCP socket dump, nl80211 over generic netlink and
//! perf_event_open(2) counters.
//!
//! std only: the few libc functions needed are declared here (libc is linked into every Rust
//! binary anyway). Everything is Linux; elsewhere each call returns `Error::Unsupported`.
//! The crate hands back raw kernel values; naming and units are the callers' business.

use std::fmt;

pub mod ethtool;
mod netlink;
pub mod perf;
pub mod qdisc;
pub mod route;
pub mod sockdiag;
mod sys;
pub mod timex;
pub mod wifi;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A system call failed: what was asked, and the errno it set.
    Os { op: &'static str, errno: i32 },
    /// The kernel answered something this crate cannot read.
    Malformed(String),
    /// An argument no call could take (a device name too long, say).
    Invalid(String),
    /// Not Linux: the facts this crate reads do not exist here.
    Unsupported(&'static str),
}

impl Error {
    /// The errno of a failed system call, if that is what this is.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Os { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Os { op, errno } => write!(f, "{op}: {}", std::io::Error::from_raw_os_error(*errno)),
            Error::Malformed(m) => write!(f, "malformed kernel answer: {m}"),
            Error::Invalid(m) => write!(f, "{m}"),
            Error::Unsupported(what) => write!(f, "{what} is only available on Linux"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// The symbolic name of an errno (`EPERM`), for error codes; `ESYSCALL` for the rarer ones.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        1 => "EPERM",
        2 => "ENOENT",
        13 => "EACCES",
        16 => "EBUSY",
        19 => "ENODEV",
        22 => "EINVAL",
        24 => "EMFILE",
        38 => "ENOSYS",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        _ => "ESYSCALL",
    }
}

/// errno for "operation not supported" (the same number as ENOTSUP on Linux).
pub const EOPNOTSUPP: i32 = 95;
