//! Exemplar storage (Prometheus's `--enable-feature=exemplar-storage`): a fixed number of the most
//! recent exemplars across all series, oldest evicted first, each series' exemplars in time order.
//! Exemplars are logged in the WAL (record type 4) and rebuilt from it at start-up.

use crate::labels::Labels;
use std::collections::{HashMap, VecDeque};

/// OpenMetrics caps an exemplar's label names and values at 128 UTF-8 characters together.
pub const MAX_LABEL_SET_LENGTH: usize = 128;

#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    pub labels: Labels,
    pub value: f64,
    pub t: i64,
}

/// Why an exemplar was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExemplarRefusal {
    /// The same as the series' newest exemplar (a target repeats it until a new one comes).
    Duplicate,
    /// Older than the series' newest exemplar.
    OutOfOrder,
    /// Labels longer than `MAX_LABEL_SET_LENGTH` characters.
    LabelsTooLong,
}

#[derive(Debug, Default)]
pub struct ExemplarStorage {
    capacity: usize,
    per_series: HashMap<u32, VecDeque<Exemplar>>,
    /// Series of every stored exemplar, oldest first: who loses one when the storage is full.
    order: VecDeque<u32>,
    pub out_of_order: u64,
    pub appended: u64,
}

impl ExemplarStorage {
    pub fn new(capacity: usize) -> Self {
        ExemplarStorage { capacity, ..Default::default() }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Series with at least one exemplar.
    pub fn series_count(&self) -> usize {
        self.per_series.len()
    }

    /// Whether the exemplar would be stored.
    pub fn check(&self, r: u32, e: &Exemplar) -> Result<(), ExemplarRefusal> {
        let len: usize = e.labels.iter().map(|l| l.name.chars().count() + l.value.chars().count()).sum();
        if len > MAX_LABEL_SET_LENGTH {
            return Err(ExemplarRefusal::LabelsTooLong);
        }
        let Some(newest) = self.per_series.get(&r).and_then(|q| q.back()) else { return Ok(()) };
        if newest.t == e.t && newest.value.to_bits() == e.value.to_bits() && newest.labels == e.labels {
            return Err(ExemplarRefusal::Duplicate);
        }
        if e.t < newest.t || (e.t == newest.t && (e.value < newest.value || (e.value == newest.value && e.labels < newest.labels))) {
            return Err(ExemplarRefusal::OutOfOrder);
        }
        Ok(())
    }

    /// Checks and stores an exemplar; refusals out of order are counted.
    pub fn add(&mut self, r: u32, e: Exemplar) -> Result<(), ExemplarRefusal> {
        let checked = self.check(r, &e);
        match checked {
            Ok(()) => self.add_checked(r, e),
            Err(ExemplarRefusal::OutOfOrder) => self.out_of_order += 1,
            Err(_) => {}
        }
        checked
    }

    /// Stores an exemplar `check` accepted, evicting the oldest one when full.
    pub fn add_checked(&mut self, r: u32, e: Exemplar) {
        if self.capacity == 0 {
            return;
        }
        if self.order.len() >= self.capacity {
            self.evict_oldest();
        }
        self.per_series.entry(r).or_default().push_back(e);
        self.order.push_back(r);
        self.appended += 1;
    }

    fn evict_oldest(&mut self) {
        let Some(old) = self.order.pop_front() else { return };
        if let Some(q) = self.per_series.get_mut(&old) {
            q.pop_front();
            if q.is_empty() {
                self.per_series.remove(&old);
            }
        }
    }

    /// Changes the capacity, dropping the oldest exemplars that no longer fit.
    pub fn resize(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.order.len() > capacity {
            self.evict_oldest();
        }
    }

    /// Exemplars of a series in `[mint, maxt]`, oldest first.
    pub fn of_series(&self, r: u32, mint: i64, maxt: i64) -> Vec<Exemplar> {
        self.per_series.get(&r).map(|q| q.iter().filter(|e| e.t >= mint && e.t <= maxt).cloned().collect()).unwrap_or_default()
    }

    /// Refs of the series that have exemplars.
    pub fn series(&self) -> impl Iterator<Item = u32> + '_ {
        self.per_series.keys().copied()
    }

    /// Forgets the exemplars of series that no longer exist (after a head truncation).
    pub fn remove_series(&mut self, refs: &[u32]) {
        if refs.iter().all(|r| !self.per_series.contains_key(r)) {
            return;
        }
        for r in refs {
            self.per_series.remove(r);
        }
        let live = &self.per_series;
        self.order.retain(|r| live.contains_key(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(trace: &str, value: f64, t: i64) -> Exemplar {
        Exemplar { labels: Labels::from_pairs([("trace_id", trace)]), value, t }
    }

    #[test]
    fn newest_exemplars_are_kept_per_series_in_order() {
        let mut s = ExemplarStorage::new(3);
        for (r, e) in [(1, ex("a", 1.0, 10)), (2, ex("b", 2.0, 10)), (1, ex("c", 3.0, 20)), (1, ex("d", 4.0, 30))] {
            s.check(r, &e).unwrap();
            s.add_checked(r, e);
        }
        // Full at 3: the oldest (series 1, "a") went first.
        assert_eq!(s.len(), 3);
        assert_eq!(s.of_series(1, 0, 100), vec![ex("c", 3.0, 20), ex("d", 4.0, 30)]);
        assert_eq!(s.of_series(1, 25, 100), vec![ex("d", 4.0, 30)]);
        assert_eq!(s.of_series(2, 0, 100), vec![ex("b", 2.0, 10)]);
        s.resize(1);
        assert_eq!(s.of_series(2, 0, 100), vec![]);
        assert_eq!(s.series_count(), 1);
    }

    #[test]
    fn duplicates_out_of_order_and_long_labels_are_refused() {
        let mut s = ExemplarStorage::new(10);
        s.add_checked(1, ex("a", 1.0, 10));
        assert_eq!(s.check(1, &ex("a", 1.0, 10)), Err(ExemplarRefusal::Duplicate));
        assert_eq!(s.check(1, &ex("b", 1.0, 9)), Err(ExemplarRefusal::OutOfOrder));
        assert_eq!(s.check(1, &ex("b", 0.5, 10)), Err(ExemplarRefusal::OutOfOrder));
        assert_eq!(s.check(1, &ex("b", 2.0, 10)), Ok(()));
        assert_eq!(s.check(2, &ex("b", 1.0, 9)), Ok(()), "other series are independent");
        assert_eq!(s.check(1, &ex(&"x".repeat(121), 1.0, 11)), Err(ExemplarRefusal::LabelsTooLong));
        assert_eq!(s.check(1, &ex(&"x".repeat(120), 1.0, 11)), Ok(()));
        s.remove_series(&[1]);
        assert!(s.is_empty());
    }
}
