//! Promethium's time-series database, pure Rust with the standard library only.
//!
//! The design follows Prometheus's TSDB: an in-memory head with XOR-compressed chunks and a
//! write-ahead log, cut into persistent blocks in Prometheus's on-disk format.
//! `docs/design/storage-api.md` in the repository describes the public API.
//!
//! `unsafe` is denied here and allowed in two small modules only, `fileutil::mmap` (the memory
//! map of block files) and `fileutil::prefault` (a kernel hint for large new allocations), where
//! each unsafe block says why it is sound.

#![deny(unsafe_code)]

pub mod block;
pub mod chunkenc;
pub mod db;
pub mod encoding;
pub mod error;
pub mod exemplars;
pub mod fileutil;
pub mod head;
pub mod histogram;
pub mod index;
pub mod kernels;
pub mod labels;
pub mod limits;
pub mod matcher;
pub mod protowire;
pub mod record;
pub mod remote;
pub mod remote_decode;
pub mod snappy;
mod int_hash;
pub mod wal;

#[cfg(test)]
mod test_rng;

pub use db::{Db, DbStats, Matrix, Options, SamplesCsr, Selection};
pub use error::{Error, Result};
pub use head::AppendStats;
pub use kernels::{RangeFn, Steps};
pub use labels::{Label, Labels, METRIC_NAME};
pub use matcher::Matcher;
