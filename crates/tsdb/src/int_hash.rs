//! A hasher for maps keyed by numbers this crate or a source it reads hands out (series refs from
//! our own WAL, symbol numbers of a block, the head or an index being written), close to
//! sequential: a mixer instead of SipHash, which costs more than the rest of the work per key
//! where they are used. The keys are not picked by whoever sends data, so flooding is no concern.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
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

    fn write_u32(&mut self, x: u32) {
        // One multiply: the u32 keys are symbol numbers, dense from 0, on a selection's hot path.
        self.0 = (u64::from(x) ^ 0x5851_f42d_4c95_7f2d).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub type U64Map<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;
pub type U32Map<V> = HashMap<u32, V, BuildHasherDefault<IntHasher>>;
