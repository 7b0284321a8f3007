//! Maps keyed by numbers this crate hands out itself (series refs from our own WAL, symbol numbers
//! of an index being written), close to sequential: a mixer instead of SipHash, which costs more
//! than the rest of the work per key where they are used. The keys are ours, not picked by
//! whoever sends data, so flooding is no concern.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, x: u64) {
        // SplitMix64's finalizer: every input bit reaches the low bits (the bucket) and the top
        // seven (hashbrown's tag); a single multiply left the tags of near-sequential refs alike.
        let mut h = (self.0 ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = h ^ (h >> 31);
    }
}

pub type U64Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;
