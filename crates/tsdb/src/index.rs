//! The in-memory inverted index: interned strings, label pair -> sorted postings (series refs),
//! and the set operations that resolve matchers to series.

use crate::matcher::Matcher;
use std::collections::HashMap;

/// Interned strings: each distinct label name or value is stored once. Strings are reference
/// counted by the series that use them, so series churn does not grow the table forever: a
/// released id is reused for the next new string.
#[derive(Default, Debug)]
pub struct Symbols {
    ids: HashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
    refs: Vec<u32>,
    free: Vec<u32>,
}

impl Symbols {
    /// The id of `s`, adding it if new; takes one reference.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            self.refs[id as usize] += 1;
            return id;
        }
        let b: Box<str> = s.into();
        let id = match self.free.pop() {
            Some(id) => {
                self.strings[id as usize] = b.clone();
                self.refs[id as usize] = 1;
                id
            }
            None => {
                self.strings.push(b.clone());
                self.refs.push(1);
                (self.strings.len() - 1) as u32
            }
        };
        self.ids.insert(b, id);
        id
    }

    /// Drops one reference; the string is forgotten when none is left.
    pub fn release(&mut self, id: u32) {
        let Some(r) = self.refs.get_mut(id as usize) else { return };
        if *r == 0 {
            return;
        }
        *r -= 1;
        if *r == 0 {
            let s = std::mem::take(&mut self.strings[id as usize]);
            self.ids.remove(&s);
            self.free.push(id);
        }
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub fn lookup(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    /// Number of live strings.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Sorted, deduplicated series refs.
pub type Postings = Vec<u32>;

pub fn intersect(a: &[u32], b: &[u32]) -> Postings {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

pub fn merge(lists: &[&[u32]]) -> Postings {
    let mut out: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `a` without the refs in `b`.
pub fn subtract(a: &[u32], b: &[u32]) -> Postings {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j < b.len() && b[j] == x {
            continue;
        }
        out.push(x);
    }
    out
}

/// Label pair -> postings, and label name -> its values.
#[derive(Default, Debug)]
pub struct PostingsIndex {
    postings: HashMap<(u32, u32), Vec<u32>>,
    values: HashMap<u32, Vec<u32>>,
    all: Vec<u32>,
}

impl PostingsIndex {
    /// Adds a series. Refs must be added in increasing order (they are allocated monotonically).
    pub fn add(&mut self, r: u32, labels: &[(u32, u32)]) {
        for &(n, v) in labels {
            let list = self.postings.entry((n, v)).or_insert_with(|| {
                self.values.entry(n).or_default().push(v);
                Vec::new()
            });
            list.push(r);
        }
        self.all.push(r);
    }

    /// Removes deleted series (garbage collection after head truncation). Each touched list is
    /// rewritten once for all the series removed from it: removing them one at a time cost a pass
    /// over a label pair's whole list (a million refs for `job`) per series.
    pub fn remove(&mut self, dead: &[u32], labels_of: impl Fn(u32) -> Vec<(u32, u32)>) {
        if dead.is_empty() {
            return;
        }
        // Membership by a bit per ref up to the largest removed one: a list as long as the head
        // is then filtered in one linear pass.
        let len = dead.iter().max().map_or(0, |&m| m as usize + 1);
        let mut is_dead = vec![false; len];
        for &r in dead {
            is_dead[r as usize] = true;
        }
        let gone = |x: &u32| is_dead.get(*x as usize).is_some_and(|&d| d);
        let mut pairs: Vec<(u32, u32)> = dead.iter().flat_map(|&r| labels_of(r)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut emptied_values: HashMap<u32, Vec<u32>> = HashMap::new();
        for pair in pairs {
            let Some(list) = self.postings.get_mut(&pair) else { continue };
            list.retain(|x| !gone(x));
            if list.is_empty() {
                self.postings.remove(&pair);
                emptied_values.entry(pair.0).or_default().push(pair.1);
            }
        }
        for (name, mut values) in emptied_values {
            values.sort_unstable();
            if let Some(vals) = self.values.get_mut(&name) {
                vals.retain(|v| values.binary_search(v).is_err());
                if vals.is_empty() {
                    self.values.remove(&name);
                }
            }
        }
        self.all.retain(|x| !gone(x));
    }

    pub fn all(&self) -> &[u32] {
        &self.all
    }

    pub fn postings(&self, name: u32, value: u32) -> &[u32] {
        self.postings.get(&(name, value)).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn values_of(&self, name: u32) -> &[u32] {
        self.values.get(&name).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn names(&self) -> impl Iterator<Item = u32> + '_ {
        self.values.keys().copied()
    }

    pub fn num_pairs(&self) -> usize {
        self.postings.len()
    }

    /// Series matching all matchers, with Prometheus's empty-value semantics.
    pub fn select(&self, symbols: &Symbols, matchers: &[Matcher]) -> Postings {
        let mut result: Option<Postings> = None;
        // Matchers that do not match "" narrow the set directly; do them first (cheapest).
        let (narrowing, widening): (Vec<&Matcher>, Vec<&Matcher>) = matchers.iter().partition(|m| !m.matches_empty());
        for m in narrowing.iter().chain(widening.iter()) {
            let set = self.matching(symbols, m);
            result = Some(match result {
                None => set,
                Some(r) => intersect(&r, &set),
            });
            if result.as_ref().is_some_and(|r| r.is_empty()) {
                return Vec::new();
            }
        }
        result.unwrap_or_else(|| self.all.clone())
    }

    fn matching(&self, symbols: &Symbols, m: &Matcher) -> Postings {
        let Some(name) = symbols.get(m.name()) else {
            // Nobody has the label: every series has it "empty".
            return if m.matches_empty() { self.all.clone() } else { Vec::new() };
        };
        let values = self.values_of(name);
        if m.matches_empty() {
            // All series except those with a value that does not match.
            let excluded: Vec<&[u32]> = values.iter().filter(|&&v| !m.matches(symbols.lookup(v))).map(|&v| self.postings(name, v)).collect();
            subtract(&self.all, &merge(&excluded))
        } else {
            let lists: Vec<&[u32]> = match m {
                Matcher::Equal { value, .. } => symbols.get(value).map(|v| vec![self.postings(name, v)]).unwrap_or_default(),
                _ => values.iter().filter(|&&v| m.matches(symbols.lookup(v))).map(|&v| self.postings(name, v)).collect(),
            };
            if lists.len() == 1 {
                lists[0].to_vec()
            } else {
                merge(&lists)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic PRNG so the randomized test needs no crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        assert_eq!(merge(&[&[1, 4], &[2, 4, 9]]), vec![1, 2, 4, 9]);
        assert_eq!(subtract(&[1, 2, 3, 4], &[2, 4, 8]), vec![1, 3]);
    }

    #[test]
    fn removal_matches_a_naive_model_on_random_data() {
        let mut rng = Rng(0x2545f4914f6cdd1d);
        let mut symbols = Symbols::default();
        let mut index = PostingsIndex::default();
        let mut model: Vec<Option<Vec<(u32, u32)>>> = Vec::new();
        for r in 0..400u32 {
            let ids = vec![(symbols.intern("job"), symbols.intern(["a", "b"][rng.below(2) as usize])), (symbols.intern("i"), symbols.intern(&(rng.below(50)).to_string()))];
            index.add(r, &ids);
            model.push(Some(ids));
        }
        for _ in 0..6 {
            let dead: Vec<u32> = (0..400u32).filter(|&r| model[r as usize].is_some() && rng.below(4) == 0).collect();
            let labels: Vec<Option<Vec<(u32, u32)>>> = model.clone();
            index.remove(&dead, |r| labels[r as usize].clone().unwrap_or_default());
            for &r in &dead {
                model[r as usize] = None;
            }
            let live: Vec<u32> = (0..400u32).filter(|&r| model[r as usize].is_some()).collect();
            assert_eq!(index.all(), live.as_slice());
            let mut pairs: Vec<(u32, u32)> = model.iter().flatten().flatten().copied().collect();
            pairs.sort_unstable();
            pairs.dedup();
            assert_eq!(index.num_pairs(), pairs.len(), "pairs no series has any more are gone");
            for &(n, v) in &pairs {
                let want: Vec<u32> = live.iter().copied().filter(|&r| model[r as usize].as_ref().is_some_and(|l| l.contains(&(n, v)))).collect();
                assert_eq!(index.postings(n, v), want.as_slice());
                assert!(index.values_of(n).contains(&v));
            }
            for n in index.names().collect::<Vec<_>>() {
                assert!(index.values_of(n).iter().all(|&v| pairs.contains(&(n, v))), "no value is listed without series");
            }
        }
    }

    #[test]
    fn select_matches_a_naive_model_on_random_data() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        let mut symbols = Symbols::default();
        let mut index = PostingsIndex::default();
        let names = ["a", "b", "c"];
        let values = ["x", "y", "z", "w"];
        let mut model: Vec<Vec<(String, String)>> = Vec::new();
        for r in 0..500u32 {
            let mut labels = Vec::new();
            for n in names {
                if rng.below(3) != 0 {
                    labels.push((n.to_string(), values[rng.below(4) as usize].to_string()));
                }
            }
            let ids: Vec<(u32, u32)> = labels.iter().map(|(n, v)| (symbols.intern(n), symbols.intern(v))).collect();
            index.add(r, &ids);
            model.push(labels);
        }
        let get = |labels: &Vec<(String, String)>, n: &str| labels.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
        for _ in 0..300 {
            let mut ms = Vec::new();
            for _ in 0..(1 + rng.below(3)) {
                let name = names[rng.below(3) as usize].to_string();
                let v = |rng: &mut Rng| if rng.below(5) == 0 { String::new() } else { values[rng.below(4) as usize].to_string() };
                ms.push(match rng.below(4) {
                    0 => Matcher::Equal { name, value: v(&mut rng) },
                    1 => Matcher::NotEqual { name, value: v(&mut rng) },
                    2 => Matcher::In { name, values: vec![v(&mut rng), v(&mut rng)] },
                    _ => Matcher::NotIn { name, values: vec![v(&mut rng)] },
                });
            }
            let want: Vec<u32> = (0..500u32).filter(|&r| ms.iter().all(|m| m.matches(&get(&model[r as usize], m.name())))).collect();
            assert_eq!(index.select(&symbols, &ms), want, "matchers {ms:?}");
        }
    }
}
