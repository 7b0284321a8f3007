//! A selection's label sets in a handful of allocations: every string once per source it came
//! from (a block's or the head's symbol), in one text buffer, and each set a run of (name, value)
//! string ids. Owned `Labels` cost two strings per label per series to build and as many frees
//! to release, which was a large share of an instant query over a few thousand series.

use crate::index::Symbols;
use crate::int_hash::U32Map;
use crate::labels::{LabelPairs, Labels};
use std::cmp::Ordering;
use std::convert::Infallible;

/// One source's symbol number -> the table's string id.
pub(in crate::db) type SymbolIds = U32Map<u32>;

/// Label sets sorted by name within each set, without empty values (as `Labels` holds them).
#[derive(Debug, Default)]
pub struct LabelTable {
    text: String,
    /// String id -> where it ends in `text` (it starts where the one before it ends).
    ends: Vec<usize>,
    pairs: Vec<(u32, u32)>,
    /// Set i is `pairs[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
}

impl LabelTable {
    pub fn new() -> LabelTable {
        LabelTable { starts: vec![0], ..LabelTable::default() }
    }

    /// Number of label sets.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of strings (a string shared by several sets of one source counts once).
    pub fn string_count(&self) -> usize {
        self.ends.len()
    }

    /// The text of a string id.
    pub fn string(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Set i's (name, value) string ids.
    pub fn pairs(&self, i: usize) -> &[(u32, u32)] {
        &self.pairs[self.starts[i]..self.starts[i + 1]]
    }

    /// Set i's (name, value) texts.
    pub fn set(&self, i: usize) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs(i).iter().map(|&(n, v)| (self.string(n), self.string(v)))
    }

    /// Set i, borrowed, as block writing reads label sets.
    pub fn set_ref(&self, i: usize) -> TableSet<'_> {
        TableSet { table: self, index: i }
    }

    /// Set i as owned `Labels` (for the few callers that keep or compare whole sets).
    pub fn labels(&self, i: usize) -> Labels {
        Labels::from_sorted(self.set(i).map(|(n, v)| crate::labels::Label { name: n.to_string(), value: v.to_string() }).collect())
    }

    /// Adds a string; its id.
    pub fn add_string(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends.push(self.text.len());
        (self.ends.len() - 1) as u32
    }

    /// The id of a source's symbol, its text added the first time that source names it.
    pub(in crate::db) fn intern<'s, E>(&mut self, ids: &mut SymbolIds, symbol: u32, text: impl FnOnce(u32) -> Result<&'s str, E>) -> Result<u32, E> {
        if let Some(&id) = ids.get(&symbol) {
            return Ok(id);
        }
        let id = self.add_string(text(symbol)?);
        ids.insert(symbol, id);
        Ok(id)
    }

    /// Adds a head series' label set, given as the head's symbol numbers (sorted, unique and
    /// without empty values, as the head makes them); its index. `ids` maps the head's numbers
    /// to this table's and is good only while the head's lock is held: truncation frees and
    /// reuses numbers.
    pub(in crate::db) fn push_head_set(&mut self, ids: &mut SymbolIds, head_symbols: &Symbols, set: &[(u32, u32)]) -> usize {
        let text = |x: u32| Ok::<_, Infallible>(head_symbols.lookup(x));
        for &(n, v) in set {
            let n = self.intern(ids, n, text).unwrap_or_else(|never| match never {});
            let v = self.intern(ids, v, text).unwrap_or_else(|never| match never {});
            self.pairs.push((n, v));
        }
        self.finish_set()
    }

    /// Ends a set made of the pairs pushed since the last one; its index. The caller gives
    /// them sorted by name, unique, without empty values (`push_set_checked` when unsure).
    fn finish_set(&mut self) -> usize {
        self.starts.push(self.pairs.len());
        self.len() - 1
    }

    /// Adds a set of string ids the caller vouches for (sorted by name, unique, no empty value).
    pub fn push_sorted_set(&mut self, pairs: &[(u32, u32)]) -> usize {
        self.pairs.extend_from_slice(pairs);
        self.finish_set()
    }

    /// Adds a set of string ids from data that may break the rules (another program's block):
    /// kept as is when sorted by name, unique and without empty values, else rebuilt as
    /// `Labels::from_pairs` would (sorted, empty values dropped, the last of a repeated name kept).
    pub fn push_set_checked(&mut self, pairs: &[(u32, u32)]) -> usize {
        let well_formed = pairs.iter().all(|&(_, v)| !self.string(v).is_empty()) && pairs.windows(2).all(|w| self.string(w[0].0) < self.string(w[1].0));
        if well_formed {
            return self.push_sorted_set(pairs);
        }
        let fixed = Labels::from_pairs(pairs.iter().map(|&(n, v)| (self.string(n).to_string(), self.string(v).to_string())));
        for l in fixed.iter() {
            let (n, v) = (self.add_string(&l.name), self.add_string(&l.value));
            self.pairs.push((n, v));
        }
        self.finish_set()
    }

    /// Prometheus's order of label sets (as `Labels` orders them): pairwise by name, then
    /// value; a prefix sorts first. The same id is the same text, without reading it.
    pub fn cmp_sets(&self, a: usize, b: usize) -> Ordering {
        let (x, y) = (self.pairs(a), self.pairs(b));
        for (&(an, av), &(bn, bv)) in x.iter().zip(y) {
            let names = if an == bn { Ordering::Equal } else { self.string(an).cmp(self.string(bn)) };
            let o = names.then_with(|| if av == bv { Ordering::Equal } else { self.string(av).cmp(self.string(bv)) });
            if o != Ordering::Equal {
                return o;
            }
        }
        x.len().cmp(&y.len())
    }

    /// A table of these sets, in this order, sharing this table's strings (which it takes).
    pub fn reordered(self, order: impl IntoIterator<Item = usize>) -> LabelTable {
        let mut out = LabelTable { text: self.text, ends: self.ends, pairs: Vec::with_capacity(self.pairs.len()), starts: Vec::with_capacity(self.starts.len()) };
        out.starts.push(0);
        for i in order {
            out.pairs.extend_from_slice(&self.pairs[self.starts[i]..self.starts[i + 1]]);
            out.starts.push(out.pairs.len());
        }
        out
    }

    /// Text bytes and ids held: what the selection's labels cost in memory.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.pairs.capacity() * 8 + self.starts.capacity() * 8
    }
}

/// One set of a `LabelTable`, borrowed.
#[derive(Clone, Copy)]
pub struct TableSet<'a> {
    table: &'a LabelTable,
    index: usize,
}

impl LabelPairs for TableSet<'_> {
    fn pair_count(&self) -> usize {
        self.table.pairs(self.index).len()
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.table.set(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_of(sets: &[&[(&str, &str)]]) -> LabelTable {
        let mut t = LabelTable::new();
        for set in sets {
            let ids: Vec<(u32, u32)> = set.iter().map(|(n, v)| (t.add_string(n), t.add_string(v))).collect();
            t.push_set_checked(&ids);
        }
        t
    }

    #[test]
    fn sets_read_back_and_order_as_labels_do() {
        let sets: [&[(&str, &str)]; 5] = [&[("a", "2")], &[("a", "1"), ("b", "1")], &[("a", "1")], &[("__name__", "m"), ("é", "ü")], &[]];
        let t = table_of(&sets);
        assert_eq!(t.len(), 5);
        for (i, set) in sets.iter().enumerate() {
            assert_eq!(t.set(i).collect::<Vec<_>>(), set.to_vec());
            assert_eq!(t.labels(i), Labels::from_pairs(set.iter().copied()));
        }
        for a in 0..5 {
            for b in 0..5 {
                assert_eq!(t.cmp_sets(a, b), t.labels(a).cmp(&t.labels(b)), "sets {a} and {b}");
            }
        }
        let sorted = t.reordered([4, 2, 1, 0, 3]);
        assert_eq!(sorted.labels(1), Labels::from_pairs([("a", "1")]));
        assert_eq!(sorted.labels(4), Labels::from_pairs([("__name__", "m"), ("é", "ü")]));
    }

    #[test]
    fn malformed_sets_are_rebuilt_as_from_pairs_would() {
        let t = table_of(&[&[("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]]);
        assert_eq!(t.labels(0), Labels::from_pairs([("a", "3"), ("b", "2")]));
        assert_eq!(t.set(0).collect::<Vec<_>>(), vec![("a", "3"), ("b", "2")]);
    }

    #[test]
    fn a_source_symbol_is_stored_once() {
        let mut t = LabelTable::new();
        let mut ids = SymbolIds::default();
        let names = ["job", "x"];
        let mut calls = 0;
        for _ in 0..3 {
            let n = t.intern(&mut ids, 7, |_| -> Result<&str, ()> {
                calls += 1;
                Ok(names[0])
            });
            let v = t.intern(&mut ids, 9, |_| -> Result<&str, ()> { Ok(names[1]) });
            t.push_sorted_set(&[(n.unwrap(), v.unwrap())]);
        }
        assert_eq!((calls, t.string_count(), t.len()), (1, 2, 3));
        assert_eq!(t.set(2).collect::<Vec<_>>(), vec![("job", "x")]);
    }
}
