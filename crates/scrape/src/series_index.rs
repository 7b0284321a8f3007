//! The scrape cache's series: each series text stored once, in one byte arena, with its slot
//! (ref, last scrape seen, position hint) found by a hash of the text. The scrape order
//! (`cache::Order`) names slots rather than copying texts, so a series costs its text once plus a
//! few words, instead of a boxed key in a map and a second copy in the order (about 80 B per
//! series for target.mjs's texts; tests/memory_per_series.rs).

use crate::cache::SeededHash;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// What the cache keeps per series, besides its text.
#[derive(Clone, Copy)]
pub(crate) struct Slot {
    off: u32,
    len: u32,
    pub r: u32,
    /// The scrape (iteration) that last saw the series.
    pub seen: u32,
    /// Where the series was in the order when it was last looked up by hash (`NO_POS`: unknown).
    pub pos: u32,
}

/// `off` of a slot on the free list.
const FREE: u32 = u32::MAX;

/// The map's keys are already hashes (seeded, from `SeededHash`): hash them no further.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Default)]
pub(crate) struct SeriesIndex {
    texts: Vec<u8>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    by_hash: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// Slots whose text hashes like another live slot's (64-bit hashes: practically never).
    collided: Vec<u32>,
    /// Bytes of `texts` no live slot uses any more.
    garbage: usize,
    hasher: SeededHash,
}

impl SeriesIndex {
    pub fn hasher(&self) -> SeededHash {
        self.hasher
    }

    fn hash(&self, text: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(text);
        h.finish()
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    #[inline]
    pub fn text(&self, id: u32) -> &[u8] {
        let s = &self.slots[id as usize];
        &self.texts[s.off as usize..(s.off + s.len) as usize]
    }

    #[inline]
    pub fn slot(&self, id: u32) -> &Slot {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn slot_mut(&mut self, id: u32) -> &mut Slot {
        &mut self.slots[id as usize]
    }

    /// The slot of a series text, if cached.
    pub fn find(&self, text: &[u8]) -> Option<u32> {
        if let Some(&id) = self.by_hash.get(&self.hash(text)) {
            if self.text(id) == text {
                return Some(id);
            }
        }
        self.collided.iter().copied().find(|&id| self.text(id) == text)
    }

    /// Room for `series` more texts of `bytes` bytes in all, without the slack of doubling (the
    /// arena is most of the cache's bytes and is written once per series).
    pub fn reserve(&mut self, series: usize, bytes: usize) {
        self.texts.reserve_exact(bytes);
        self.slots.reserve_exact(series.saturating_sub(self.free.len()));
    }

    /// Adds a series the index does not hold (`find` said so).
    pub fn insert(&mut self, text: &[u8], r: u32, seen: u32, pos: u32) -> u32 {
        let slot = Slot { off: self.texts.len() as u32, len: text.len() as u32, r, seen, pos };
        self.texts.extend_from_slice(text);
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        let h = self.hash(text);
        if let std::collections::hash_map::Entry::Vacant(v) = self.by_hash.entry(h) {
            v.insert(id);
        } else {
            self.collided.push(id);
        }
        id
    }

    /// Drops the slots `keep` says no to; their ids may be reused by later inserts.
    pub fn retain(&mut self, keep: impl Fn(&Slot) -> bool) {
        for id in 0..self.slots.len() as u32 {
            let s = self.slots[id as usize];
            if s.off != FREE && !keep(&s) {
                self.remove(id);
            }
        }
        if self.garbage > 4096 && self.garbage * 2 > self.texts.len() {
            self.compact();
        }
    }

    fn remove(&mut self, id: u32) {
        let h = self.hash(self.text(id));
        if self.by_hash.get(&h) == Some(&id) {
            self.by_hash.remove(&h);
            // A collided slot of the same hash takes the map's place.
            if let Some(k) = self.collided.iter().position(|&c| self.hash(self.text(c)) == h) {
                let c = self.collided.swap_remove(k);
                self.by_hash.insert(h, c);
            }
        } else {
            self.collided.retain(|&c| c != id);
        }
        let s = &mut self.slots[id as usize];
        self.garbage += s.len as usize;
        s.off = FREE;
        s.len = 0;
        self.free.push(id);
    }

    /// Rewrites the arena with the live texts only, in slot order (close to scrape order).
    fn compact(&mut self) {
        let live: usize = self.slots.iter().filter(|s| s.off != FREE).map(|s| s.len as usize).sum();
        let mut texts = Vec::with_capacity(live);
        for s in self.slots.iter_mut().filter(|s| s.off != FREE) {
            let from = s.off as usize;
            s.off = texts.len() as u32;
            texts.extend_from_slice(&self.texts[from..from + s.len as usize]);
        }
        self.texts = texts;
        self.garbage = 0;
    }

    pub fn clear(&mut self) {
        let hasher = self.hasher;
        *self = SeriesIndex { hasher, ..SeriesIndex::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_survive_removal_reuse_and_compaction() {
        let mut ix = SeriesIndex::default();
        let names: Vec<String> = (0..2000).map(|i| format!("metric_{i}{{a=\"{}\"}}", "x".repeat(i % 7))).collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(ix.find(n.as_bytes()), None);
            ix.insert(n.as_bytes(), i as u32, i as u32, 0);
        }
        ix.retain(|s| s.r % 3 == 0);
        assert_eq!(ix.len(), names.len().div_ceil(3));
        for (i, n) in names.iter().enumerate() {
            let found = ix.find(n.as_bytes());
            assert_eq!(found.is_some(), i % 3 == 0, "{n}");
            if let Some(id) = found {
                assert_eq!((ix.text(id), ix.slot(id).r), (n.as_bytes(), i as u32));
            }
        }
        // Freed slots are reused; the old texts stay findable.
        let id = ix.insert(b"new_series", 99_999, 0, 0);
        assert!((id as usize) < names.len());
        assert_eq!(ix.find(b"new_series"), Some(id));
        assert_eq!(ix.find(names[3].as_bytes()).map(|id| ix.slot(id).r), Some(3));
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_their_texts() {
        let mut ix = SeriesIndex::default();
        // Force a collision: the second text is filed as collided under the first one's hash.
        let a = ix.insert(b"a", 1, 0, 0);
        let h = ix.hash(b"a");
        let b = ix.insert(b"b", 2, 0, 0);
        ix.by_hash.remove(&ix.hash(b"b"));
        ix.by_hash.insert(h, a);
        ix.collided.push(b);
        // `b` is found through the collided list only if its own hash misses: look it up by text.
        assert_eq!(ix.collided.iter().copied().find(|&id| ix.text(id) == b"b"), Some(b));
        assert_eq!(ix.find(b"a"), Some(a));
        ix.retain(|s| s.r != 1);
        assert_eq!(ix.find(b"a"), None);
        assert_eq!(ix.find(b"b"), Some(b));
    }
}
