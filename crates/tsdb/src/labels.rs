//! Label sets: the identity of a series.
//!
//! A `Labels` is a list of (name, value) pairs sorted by name, with `__name__` stored like any
//! other label. Empty values are not stored: in Prometheus a label with an empty value is the
//! same as an absent label.

use std::cmp::Ordering;
use std::fmt;

/// The label that holds the metric name.
pub const METRIC_NAME: &str = "__name__";

/// Whether borrowed pairs already form a label set as `Labels::from_pairs` would make it: names
/// strictly ascending (so unique) and no empty value.
pub fn is_canonical(pairs: &[(&str, &str)]) -> bool {
    pairs.windows(2).all(|w| w[0].0 < w[1].0) && pairs.iter().all(|(_, v)| !v.is_empty())
}

/// A label set as writers read it: (name, value) pairs sorted by name, unique, without empty
/// values. `Labels` is one; a row of a `db::LabelTable` is another, which a head cut of a
/// million series writes without two owned strings per label.
pub trait LabelPairs {
    fn pair_count(&self) -> usize;
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)>;
}

impl LabelPairs for Labels {
    fn pair_count(&self) -> usize {
        self.len()
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.iter().map(|l| (l.name.as_str(), l.value.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    pub name: String,
    pub value: String,
}

/// A set of labels sorted by name, without duplicates and without empty values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// Builds a label set from pairs in any order: sorts them, drops empty values and, when a
    /// name repeats, keeps the last value given for it.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Labels {
        let mut v: Vec<Label> = pairs
            .into_iter()
            .map(|(n, v)| Label { name: n.into(), value: v.into() })
            .filter(|l| !l.value.is_empty())
            .collect();
        // Stable sort keeps the input order among equal names, so dedup can keep the last one.
        v.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(v.len());
        for l in v {
            match out.last_mut() {
                Some(last) if last.name == l.name => *last = l,
                _ => out.push(l),
            }
        }
        Labels(out)
    }

    /// Wraps labels that the caller guarantees are sorted by name, unique and non-empty
    /// (e.g. read back from our own index). Checked in debug builds.
    pub fn from_sorted(v: Vec<Label>) -> Labels {
        debug_assert!(v.windows(2).all(|w| w[0].name < w[1].name));
        debug_assert!(v.iter().all(|l| !l.value.is_empty()));
        Labels(v)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }
}

impl Ord for Labels {
    /// Prometheus's order of label sets: pairwise by name, then value; a prefix sorts first.
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            match a.name.cmp(&b.name).then_with(|| a.value.cmp(&b.value)) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Labels {
    /// `{a="1", b="2"}` as Prometheus prints label sets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={:?}", l.name, l.value)?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_dedups_and_drops_empty_values() {
        let l = Labels::from_pairs([("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
        let names: Vec<_> = l.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
        assert_eq!(names, vec![("a", "3"), ("b", "2")]);
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn orders_like_prometheus() {
        let a = Labels::from_pairs([("a", "1")]);
        let ab = Labels::from_pairs([("a", "1"), ("b", "1")]);
        let a2 = Labels::from_pairs([("a", "2")]);
        assert!(a < ab);
        assert!(ab < a2);
    }
}
