//! Chunk encodings for float samples: XOR (Prometheus's encoding 1) and XOR2 (encoding 4, which
//! also carries a start timestamp per sample). Chunks without start timestamps are written as
//! XOR, which every Prometheus reads; a chunk switches to XOR2 when its first start timestamp
//! arrives. Native histograms: encodings 2 (integer) and 3 (float), see `histogram_chunk`, and
//! 5 and 6, the same with start timestamps (`histogram_st`).

mod bstream;
mod float_histogram;
mod histogram;
mod histogram_chunk;
mod histogram_st;
pub mod histogram_meta;
mod varbit;
mod xor;
mod xor2;

pub use bstream::{BitReader, BitWriter};
pub use varbit::{put_varbit_int, read_varbit_int};
pub use xor::{XorAppender, XorIterator};
pub use xor2::{Xor2Appender, Xor2Iterator};
pub use histogram_chunk::{placement, HistogramAppender, HistogramIterator, MIN_SAMPLES_BEFORE_SIZE_CUT, TARGET_CHUNK_BYTES};
pub use histogram_meta::{header_of, CounterResetHeader, Fit};

/// The encoding byte of XOR chunks in chunk files.
pub const ENCODING_XOR: u8 = 1;
/// The encoding byte of integer native-histogram chunks.
pub const ENCODING_HISTOGRAM: u8 = 2;
/// The encoding byte of float native-histogram chunks.
pub const ENCODING_FLOAT_HISTOGRAM: u8 = 3;
/// The encoding byte of XOR2 chunks (floats with optional start timestamps).
pub const ENCODING_XOR2: u8 = 4;
/// The encoding byte of integer native-histogram chunks with start timestamps.
pub const ENCODING_HISTOGRAM_ST: u8 = 5;
/// The encoding byte of float native-histogram chunks with start timestamps.
pub const ENCODING_FLOAT_HISTOGRAM_ST: u8 = 6;

/// The stale marker: a NaN with a payload that no computation produces, written when a series
/// disappears so queries stop returning it at once.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether a value is the stale marker (compares bits, since every NaN is unequal to itself).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// The stale marker as a value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether we can read chunks of this encoding.
pub fn is_supported(encoding: u8) -> bool {
    matches!(encoding, ENCODING_XOR | ENCODING_XOR2) || is_histogram_encoding(encoding)
}

/// Whether chunks of this encoding hold native histograms.
pub fn is_histogram_encoding(encoding: u8) -> bool {
    matches!(encoding, ENCODING_HISTOGRAM | ENCODING_FLOAT_HISTOGRAM | ENCODING_HISTOGRAM_ST | ENCODING_FLOAT_HISTOGRAM_ST)
}

/// A chunk being built: XOR until a sample with a start timestamp arrives, then XOR2.
#[derive(Clone, Debug)]
pub enum ChunkAppender {
    Xor(XorAppender),
    /// Boxed: most chunks are XOR, and the head keeps one open appender per series.
    Xor2(Box<Xor2Appender>),
    /// Native histograms (encoding 2 or 3); the head appends to it with `append_histogram`.
    Histogram(Box<HistogramAppender>),
}

impl Default for ChunkAppender {
    fn default() -> Self {
        ChunkAppender::Xor(XorAppender::new())
    }
}

impl ChunkAppender {
    /// A new chunk: XOR2 when configured (`storage.tsdb.chunk_encoding.floats: xor2`), else XOR
    /// until a start timestamp arrives.
    pub fn new(xor2: bool) -> Self {
        if xor2 {
            ChunkAppender::Xor2(Box::default())
        } else {
            ChunkAppender::default()
        }
    }

    /// Resumes appending to existing chunk bytes of a supported encoding.
    pub fn from_bytes(encoding: u8, bytes: Vec<u8>) -> Result<Self, String> {
        match encoding {
            ENCODING_XOR => XorAppender::from_bytes(bytes).map(ChunkAppender::Xor),
            ENCODING_XOR2 => Xor2Appender::from_bytes(bytes).map(|a| ChunkAppender::Xor2(Box::new(a))),
            e => Err(format!("chunk encoding {e} is not supported")),
        }
    }

    pub fn encoding(&self) -> u8 {
        match self {
            ChunkAppender::Xor(_) => ENCODING_XOR,
            ChunkAppender::Xor2(_) => ENCODING_XOR2,
            ChunkAppender::Histogram(a) => a.encoding(),
        }
    }

    pub fn num_samples(&self) -> usize {
        match self {
            ChunkAppender::Xor(a) => a.num_samples(),
            ChunkAppender::Xor2(a) => a.num_samples(),
            ChunkAppender::Histogram(a) => a.num_samples(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            ChunkAppender::Xor(a) => a.bytes(),
            ChunkAppender::Xor2(a) => a.bytes(),
            ChunkAppender::Histogram(a) => a.bytes(),
        }
    }

    pub fn min_time(&self) -> i64 {
        match self {
            ChunkAppender::Xor(a) => a.min_time(),
            ChunkAppender::Xor2(a) => a.min_time(),
            ChunkAppender::Histogram(a) => a.min_time(),
        }
    }

    pub fn max_time(&self) -> i64 {
        match self {
            ChunkAppender::Xor(a) => a.max_time(),
            ChunkAppender::Xor2(a) => a.max_time(),
            ChunkAppender::Histogram(a) => a.max_time(),
        }
    }

    /// Appends a sample (`st` 0 = no start timestamp). An XOR chunk meeting its first start
    /// timestamp is re-encoded as XOR2 with the samples it already holds.
    pub fn append(&mut self, st: i64, t: i64, v: f64) {
        match self {
            ChunkAppender::Xor(a) if st == 0 => a.append(t, v),
            ChunkAppender::Xor(a) => {
                let mut up = Xor2Appender::new();
                for (pt, pv) in XorIterator::new(a.bytes()) {
                    up.append(0, pt, pv);
                }
                up.append(st, t, v);
                *self = ChunkAppender::Xor2(Box::new(up));
            }
            ChunkAppender::Xor2(a) => a.append(st, t, v),
            // The head cuts a histogram chunk before a float sample (see `Head::append_checked`).
            ChunkAppender::Histogram(_) => debug_assert!(false, "float sample appended to a histogram chunk"),
        }
    }

    /// The open histogram chunk, if this is one.
    pub fn as_histogram(&self) -> Option<&HistogramAppender> {
        match self {
            ChunkAppender::Histogram(a) => Some(a),
            _ => None,
        }
    }
}

/// Reads a chunk of either encoding as (st, t, v).
#[derive(Clone, Debug)]
pub enum ChunkIterator<'a> {
    Xor(XorIterator<'a>),
    Xor2(Xor2Iterator<'a>),
    /// A histogram chunk read for floats: only its stale markers, as float stale markers (a
    /// histogram stale marker ends a series for both kinds of sample).
    /// Boxed: rare, and larger than the float iterators.
    HistogramStaleness(Box<HistogramIterator<'a>>),
    Unsupported(u8),
}

impl<'a> ChunkIterator<'a> {
    pub fn new(encoding: u8, bytes: &'a [u8]) -> Self {
        match encoding {
            ENCODING_XOR => ChunkIterator::Xor(XorIterator::new(bytes)),
            ENCODING_XOR2 => ChunkIterator::Xor2(Xor2Iterator::new(bytes)),
            e if is_histogram_encoding(e) => ChunkIterator::HistogramStaleness(Box::new(HistogramIterator::new(encoding, bytes))),
            e => ChunkIterator::Unsupported(e),
        }
    }

    pub fn error(&self) -> Option<String> {
        match self {
            ChunkIterator::Xor(it) => it.error().map(str::to_string),
            ChunkIterator::Xor2(it) => it.error().map(str::to_string),
            ChunkIterator::HistogramStaleness(it) => it.error(),
            ChunkIterator::Unsupported(e) => Some(format!("chunk encoding {e} is not supported")),
        }
    }

    /// Whether samples from this chunk can carry start timestamps.
    pub fn has_start_timestamps(&self) -> bool {
        matches!(self, ChunkIterator::Xor2(_))
    }
}

impl Iterator for ChunkIterator<'_> {
    type Item = (i64, i64, f64);

    fn next(&mut self) -> Option<(i64, i64, f64)> {
        match self {
            ChunkIterator::Xor(it) => it.next().map(|(t, v)| (0, t, v)),
            ChunkIterator::Xor2(it) => it.next(),
            ChunkIterator::HistogramStaleness(it) => it.find(|(_, h)| h.is_stale()).map(|(t, _)| (0, t, stale_nan())),
            ChunkIterator::Unsupported(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xor_chunk_becomes_xor2_at_its_first_start_timestamp() {
        let mut a = ChunkAppender::default();
        a.append(0, 1000, 1.0);
        a.append(0, 2000, 2.0);
        assert_eq!(a.encoding(), ENCODING_XOR);
        a.append(1500, 3000, 3.0);
        a.append(0, 4000, 4.0);
        assert_eq!(a.encoding(), ENCODING_XOR2);
        assert_eq!((a.num_samples(), a.min_time(), a.max_time()), (4, 1000, 4000));
        let got: Vec<_> = ChunkIterator::new(a.encoding(), a.bytes()).collect();
        assert_eq!(got, vec![(0, 1000, 1.0), (0, 2000, 2.0), (1500, 3000, 3.0), (0, 4000, 4.0)]);
        let resumed = ChunkAppender::from_bytes(a.encoding(), a.bytes().to_vec()).unwrap();
        assert_eq!(resumed.bytes(), a.bytes());
    }

    #[test]
    fn unknown_encodings_are_reported() {
        let mut it = ChunkIterator::new(7, &[0, 1]);
        assert_eq!(it.next(), None);
        assert!(it.error().unwrap().contains("encoding 7"));
    }
}
