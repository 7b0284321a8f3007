//! The storage's error type: every failure says what was being done and why.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum Error {
    /// An I/O failure, with what we were doing (e.g. "write WAL segment 00000003").
    Io { context: String, source: io::Error },
    /// Data on disk that does not follow its format (with file and offset where known).
    Corrupt(String),
    /// The data directory is locked by another process.
    Locked(String),
    /// A bad argument from the caller (e.g. arrays of different lengths).
    Invalid(String),
    /// The database was closed.
    Closed,
    /// A query stopped at one of its limits (deadline, samples, memory; see `limits`).
    Aborted(Abort),
}

impl Error {
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io { context: context.into(), source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Corrupt(m) => write!(f, "corrupt data: {m}"),
            Error::Locked(m) => write!(f, "{m}"),
            Error::Invalid(m) => write!(f, "invalid argument: {m}"),
            Error::Closed => f.write_str("the database is closed"),
            Error::Aborted(a) => write!(f, "{a}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Why a query's native work stopped early. The messages are Prometheus's where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Abort {
    /// The deadline passed or the query was cancelled.
    Timeout,
    /// More samples than `--query.max-samples` would be held.
    TooManySamples,
    /// More bytes than `--query.max-memory` would be allocated.
    Memory { needed: u64, budget: u64 },
    /// A size that does not fit in memory at all (overflow, or the allocator refused it).
    TooLarge(String),
}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Abort::Timeout => f.write_str("query timed out in expression evaluation"),
            Abort::TooManySamples => f.write_str("query processing would load too many samples into memory in query execution"),
            Abort::Memory { needed, budget } => write!(f, "query processing would use more than the per-query memory budget (--query.max-memory={budget} bytes; at least {needed} bytes needed)"),
            Abort::TooLarge(what) => write!(f, "query processing would allocate more memory than is available: {what}"),
        }
    }
}
