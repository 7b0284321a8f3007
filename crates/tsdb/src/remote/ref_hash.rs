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
        // SplitMix64's finalizer: every input bit reaches the low bits (the bucket) and the top
        // seven (hashbrown's tag); a single multiply left the tags of near-sequential refs alike.
        let mut h = (self.0 ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = h ^ (h >> 31);
    }
}

pub type RefMap<V> = HashMap<u64, V, BuildHasherDefault<RefHasher>>;
