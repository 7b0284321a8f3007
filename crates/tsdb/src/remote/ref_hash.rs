//! A hasher for the watcher's maps keyed by series ref (a u64 the head hands out, close to
//! sequential): one multiply instead of SipHash, which costs more than the rest of a sample's
//! bookkeeping. The refs come from our own WAL, not from the network, so flooding is no concern.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct RefHasher(u64);

impl Hasher for RefHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, x: u64) {
        // Fibonacci hashing; the high bits (hashbrown's control bytes) mix the low ones in.
        let h = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

pub type RefMap<V> = HashMap<u64, V, BuildHasherDefault<RefHasher>>;
