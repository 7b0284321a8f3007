//! Series refs by label-set hash, for finding a series from its labels.
//!
//! Nearly every hash has one series, so that ref is stored inline in the map entry: a series
//! costs one entry and no allocation of its own (a `Vec` per hash cost ~50 bytes per series,
//! measured in tests/memory_per_series.rs). The rare extra refs of colliding label sets live in
//! a second map.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The inline maps, one per shard of the hashes. A map grows by moving every entry to a table
/// twice the size in one go, under the head's write lock: with one map, the series that made it
/// grow past 917k series held that lock for 221 ms (and 71 ms at 459k), and every query and
/// append waited. A shard holds 1/64 of the series, so each growth moves 1/64 of them.
const SHARDS: usize = 64;

#[derive(Debug)]
pub(super) struct RefsByHash {
    first: Vec<HashMap<u64, u32>>,
    /// Refs after the first for hashes that several label sets share.
    more: HashMap<u64, Vec<u32>>,
}

impl Default for RefsByHash {
    fn default() -> Self {
        RefsByHash { first: (0..SHARDS).map(|_| HashMap::new()).collect(), more: HashMap::new() }
    }
}

/// The shard of a hash: its top bits after a multiplicative mix, so that a weak hash of the
/// labels still spreads over the shards.
fn shard(hash: u64) -> usize {
    (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SHARDS.trailing_zeros())) as usize
}

impl RefsByHash {
    pub(super) fn insert(&mut self, hash: u64, r: u32) {
        match self.first[shard(hash)].entry(hash) {
            Entry::Vacant(e) => {
                e.insert(r);
            }
            Entry::Occupied(_) => self.more.entry(hash).or_default().push(r),
        }
    }

    /// The refs whose label sets have this hash (the caller compares the labels).
    pub(super) fn candidates(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        self.first[shard(hash)].get(&hash).copied().into_iter().chain(self.more.get(&hash).into_iter().flatten().copied())
    }

    pub(super) fn remove(&mut self, hash: u64, r: u32) {
        let first = &mut self.first[shard(hash)];
        if first.get(&hash) == Some(&r) {
            // Promote a colliding ref, if any, to the inline slot.
            match self.more.get_mut(&hash) {
                Some(list) => {
                    let next = list.remove(0);
                    if list.is_empty() {
                        self.more.remove(&hash);
                    }
                    first.insert(hash, next);
                }
                None => {
                    first.remove(&hash);
                }
            }
        } else if let Some(list) = self.more.get_mut(&hash) {
            list.retain(|&x| x != r);
            if list.is_empty() {
                self.more.remove(&hash);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(m: &RefsByHash, h: u64) -> Vec<u32> {
        m.candidates(h).collect()
    }

    #[test]
    fn colliding_refs_are_all_found_and_removed_one_by_one() {
        let mut m = RefsByHash::default();
        m.insert(7, 1);
        m.insert(7, 2);
        m.insert(7, 3);
        m.insert(9, 4);
        assert_eq!(refs(&m, 7), vec![1, 2, 3]);
        assert_eq!(refs(&m, 9), vec![4]);
        assert_eq!(refs(&m, 8), Vec::<u32>::new());
        // Removing the inline ref promotes the next one.
        m.remove(7, 1);
        assert_eq!(refs(&m, 7), vec![2, 3]);
        m.remove(7, 3);
        assert_eq!(refs(&m, 7), vec![2]);
        assert!(m.more.is_empty());
        m.remove(7, 2);
        assert_eq!(refs(&m, 7), Vec::<u32>::new());
        // Removing a ref that is not there changes nothing.
        m.remove(9, 5);
        assert_eq!(refs(&m, 9), vec![4]);
        m.remove(9, 4);
        assert!(m.first.iter().all(HashMap::is_empty) && m.more.is_empty());
    }

    #[test]
    fn hashes_spread_over_every_shard() {
        // Consecutive and sparse hashes alike: a growing map moves only its shard's entries,
        // and that bounds the head's lock hold only if no shard holds much more than its part.
        for step in [1u64, 1 << 32, 0x0001_0001] {
            let mut m = RefsByHash::default();
            for i in 0..64_000u64 {
                m.insert(i.wrapping_mul(step), i as u32);
            }
            let sizes: Vec<usize> = m.first.iter().map(HashMap::len).collect();
            assert_eq!(sizes.iter().sum::<usize>(), 64_000);
            assert!(sizes.iter().all(|&n| (500..=1500).contains(&n)), "step {step}: {sizes:?}");
        }
    }
}
