//! Chunk encodings. Only XOR (float samples) for now, Prometheus's encoding 1.

mod bstream;
mod xor;

pub use bstream::{BitReader, BitWriter};
pub use xor::{XorAppender, XorIterator};

/// The encoding byte of XOR chunks in chunk files.
pub const ENCODING_XOR: u8 = 1;

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
