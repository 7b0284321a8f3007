//! The tests' random numbers: a fixed-seed xorshift, so a failing case reproduces.

/// Xorshift64 from `seed` (not zero): each call gives the next number.
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
