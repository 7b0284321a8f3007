//! One native-histogram sample (Prometheus's `Histogram` and `FloatHistogram` in one type):
//! buckets as absolute counts positioned by spans. `integer` says the sample came as an integer
//! histogram (chunk encoding 2, WAL records 7 and 9) rather than a float one (3; 8 and 10).
//! Counts of integer histograms are integral and stay exact in an f64 up to 2^53.

use crate::chunkenc::{is_stale_nan, stale_nan};

/// Schema of native histograms with custom bucket boundaries (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A run of `length` consecutive buckets starting `offset` buckets after the previous span's end
/// (the first span's offset is the index of its first bucket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: i32,
    pub length: u32,
}

/// Prometheus's `CounterResetHint`, with its numbering (also the WAL's byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CounterResetHint {
    #[default]
    Unknown = 0,
    CounterReset = 1,
    NotCounterReset = 2,
    Gauge = 3,
}

impl CounterResetHint {
    pub fn from_u8(b: u8) -> Option<CounterResetHint> {
        match b {
            0 => Some(CounterResetHint::Unknown),
            1 => Some(CounterResetHint::CounterReset),
            2 => Some(CounterResetHint::NotCounterReset),
            3 => Some(CounterResetHint::Gauge),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Histogram {
    pub hint: CounterResetHint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub count: f64,
    pub sum: f64,
    pub positive_spans: Vec<Span>,
    pub positive_buckets: Vec<f64>,
    pub negative_spans: Vec<Span>,
    pub negative_buckets: Vec<f64>,
    /// Upper bounds of the custom buckets (schema `CUSTOM_BUCKETS_SCHEMA` only), without +Inf.
    pub custom_values: Vec<f64>,
    pub integer: bool,
}

/// Bit-wise equality (NaN sums equal when their bits are): what a duplicate append compares.
impl PartialEq for Histogram {
    fn eq(&self, o: &Self) -> bool {
        let same = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        self.hint == o.hint
            && self.schema == o.schema
            && self.integer == o.integer
            && self.zero_threshold.to_bits() == o.zero_threshold.to_bits()
            && self.zero_count.to_bits() == o.zero_count.to_bits()
            && self.count.to_bits() == o.count.to_bits()
            && self.sum.to_bits() == o.sum.to_bits()
            && self.positive_spans == o.positive_spans
            && self.negative_spans == o.negative_spans
            && same(&self.positive_buckets, &o.positive_buckets)
            && same(&self.negative_buckets, &o.negative_buckets)
            && same(&self.custom_values, &o.custom_values)
    }
}

impl Histogram {
    /// The histogram stale marker: the sum is the stale NaN, nothing else matters.
    pub fn stale_marker(integer: bool) -> Histogram {
        Histogram { sum: stale_nan(), integer, ..Histogram::default() }
    }

    pub fn is_stale(&self) -> bool {
        is_stale_nan(self.sum)
    }

    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Checks what Prometheus's `Validate` checks that matters to storage: a known schema,
    /// spans that cover exactly the buckets, custom bounds only (and sorted) for schema -53,
    /// no negative buckets for custom buckets, integral counts for integer histograms.
    pub fn validate(&self) -> Result<(), String> {
        if self.is_stale() {
            return Ok(());
        }
        if !(self.uses_custom_buckets() || (-4..=8).contains(&self.schema)) {
            return Err(format!("histogram schema {} is not -4..8 or {CUSTOM_BUCKETS_SCHEMA} (custom buckets)", self.schema));
        }
        self.validate_layout()?;
        if self.uses_custom_buckets() {
            if !self.negative_spans.is_empty() {
                return Err("custom-bucket histograms have no negative buckets".into());
            }
            if self.custom_values.windows(2).any(|w| w[0] >= w[1]) {
                return Err("custom bucket bounds must be strictly increasing".into());
            }
            if self.custom_values.iter().any(|v| v.is_nan()) {
                return Err("custom bucket bounds must not be NaN".into());
            }
        } else if !self.custom_values.is_empty() {
            return Err(format!("custom bucket bounds given for exponential schema {}", self.schema));
        }
        if self.integer {
            let all = [self.count, self.zero_count].into_iter().chain(self.positive_buckets.iter().copied()).chain(self.negative_buckets.iter().copied());
            for c in all {
                if !(c >= 0.0 && c.fract() == 0.0 && c <= 9_007_199_254_740_992.0) {
                    return Err(format!("integer histogram count {c} is not a non-negative integer"));
                }
            }
        }
        Ok(())
    }

    /// Whether the spans cover exactly the buckets given (part of `validate`).
    pub fn validate_layout(&self) -> Result<(), String> {
        let covered = |spans: &[Span]| spans.iter().map(|s| s.length as u64).sum::<u64>();
        if covered(&self.positive_spans) != self.positive_buckets.len() as u64 {
            return Err(format!("positive spans cover {} buckets but {} are given", covered(&self.positive_spans), self.positive_buckets.len()));
        }
        if covered(&self.negative_spans) != self.negative_buckets.len() as u64 {
            return Err(format!("negative spans cover {} buckets but {} are given", covered(&self.negative_spans), self.negative_buckets.len()));
        }
        Ok(())
    }

    /// The histogram as the other kind (integer or float); the counts are unchanged.
    pub fn with_integer(mut self, integer: bool) -> Histogram {
        self.integer = integer;
        self
    }

    /// Re-expresses the buckets over a layout that contains this histogram's buckets (missing
    /// ones become 0). The layouts are absolute bucket indices in increasing order.
    pub fn expanded_to(&self, pos: &[i32], neg: &[i32]) -> Histogram {
        let mut out = self.clone();
        out.positive_buckets = expand(&self.positive_spans, &self.positive_buckets, pos);
        out.negative_buckets = expand(&self.negative_spans, &self.negative_buckets, neg);
        out.positive_spans = spans_of(pos);
        out.negative_spans = spans_of(neg);
        out
    }
}

/// Absolute bucket indices that spans cover, in increasing order.
pub fn bucket_indices(spans: &[Span]) -> Vec<i32> {
    let mut out = Vec::new();
    let mut next = 0i32;
    for (i, s) in spans.iter().enumerate() {
        next = if i == 0 { s.offset } else { next.wrapping_add(s.offset) };
        for _ in 0..s.length {
            out.push(next);
            next = next.wrapping_add(1);
        }
    }
    out
}

/// The highest exponential schema stored; Prometheus 3 reduces 9..=`MAX_RESERVED_SCHEMA` to it on
/// ingestion.
pub const MAX_SCHEMA: i32 = 8;
/// The highest exponential schema Prometheus 3 accepts at all (a range reserved for finer
/// resolutions; above it a schema is unknown).
pub const MAX_RESERVED_SCHEMA: i32 = 52;

impl Histogram {
    /// The same histogram at a lower exponential schema: bucket `i` of schema `s` goes into bucket
    /// `ceil(i / 2^(s - target))`, counts of merged buckets added. Custom buckets and schemas at
    /// or below `target` are returned as they are.
    pub fn reduced_to(&self, target: i32) -> Histogram {
        if self.uses_custom_buckets() || self.schema <= target {
            return self.clone();
        }
        let delta = (self.schema - target).min(62) as u32;
        let reduce = |spans: &[Span], counts: &[f64]| -> (Vec<Span>, Vec<f64>) {
            let (mut idx, mut out) = (Vec::<i32>::new(), Vec::<f64>::new());
            for (i, &c) in bucket_indices(spans).iter().zip(counts) {
                // Ceiling division by a power of two, right for negative indices too.
                let to = ((i64::from(*i) + (1i64 << delta) - 1) >> delta) as i32;
                if idx.last() == Some(&to) {
                    *out.last_mut().expect("same length") += c;
                } else {
                    idx.push(to);
                    out.push(c);
                }
            }
            (spans_of(&idx), out)
        };
        let (positive_spans, positive_buckets) = reduce(&self.positive_spans, &self.positive_buckets);
        let (negative_spans, negative_buckets) = reduce(&self.negative_spans, &self.negative_buckets);
        Histogram { schema: target, positive_spans, positive_buckets, negative_spans, negative_buckets, ..self.clone() }
    }
}

/// The fewest spans covering exactly these increasing indices.
pub fn spans_of(indices: &[i32]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut end = 0i32;
    for (k, &i) in indices.iter().enumerate() {
        if k > 0 && i == end {
            out.last_mut().expect("a span").length += 1;
        } else {
            out.push(Span { offset: if k == 0 { i } else { i - end }, length: 1 });
        }
        end = i + 1;
    }
    out
}

/// Buckets given over `spans` re-expressed over the indices `to` (a superset), zeros for new ones.
fn expand(spans: &[Span], buckets: &[f64], to: &[i32]) -> Vec<f64> {
    let from = bucket_indices(spans);
    let mut out = Vec::with_capacity(to.len());
    let mut k = 0;
    for &i in to {
        while k < from.len() && from[k] < i {
            k += 1;
        }
        out.push(if k < from.len() && from[k] == i { buckets[k] } else { 0.0 });
    }
    out
}

/// Sorted union of two increasing index lists.
pub fn union(a: &[i32], b: &[i32]) -> Vec<i32> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(_), Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => unreachable!(),
        };
        out.push(x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_indices_convert_both_ways() {
        let spans = [Span { offset: -2, length: 2 }, Span { offset: 3, length: 1 }, Span { offset: 0, length: 2 }];
        let idx = bucket_indices(&spans);
        assert_eq!(idx, vec![-2, -1, 3, 4, 5]);
        assert_eq!(spans_of(&idx), vec![Span { offset: -2, length: 2 }, Span { offset: 3, length: 3 }]);
        assert_eq!(spans_of(&[]), vec![]);
        assert_eq!(union(&[1, 3, 5], &[2, 3, 6]), vec![1, 2, 3, 5, 6]);
    }

    #[test]
    fn expansion_keeps_counts_in_place() {
        let h = Histogram { positive_spans: vec![Span { offset: 1, length: 1 }, Span { offset: 1, length: 1 }], positive_buckets: vec![5.0, 7.0], ..Histogram::default() };
        let e = h.expanded_to(&[0, 1, 2, 3], &[]);
        assert_eq!(e.positive_buckets, vec![0.0, 5.0, 0.0, 7.0]);
        assert_eq!(e.positive_spans, vec![Span { offset: 0, length: 4 }]);
    }

    #[test]
    fn validation_names_the_problem() {
        let mut h = Histogram { schema: 9, ..Histogram::default() };
        assert!(h.validate().unwrap_err().contains("schema 9"));
        h.schema = 0;
        h.positive_spans = vec![Span { offset: 0, length: 2 }];
        h.positive_buckets = vec![1.0];
        assert!(h.validate().unwrap_err().contains("cover 2"));
        h.positive_buckets = vec![1.0, 0.5];
        h.integer = true;
        assert!(h.validate().unwrap_err().contains("0.5"));
        h.integer = false;
        assert_eq!(h.validate(), Ok(()));
        assert_eq!(Histogram::stale_marker(true).validate(), Ok(()));
    }

    #[test]
    fn reducing_the_schema_merges_buckets_by_ceiling_division() {
        let h = Histogram {
            schema: 10,
            count: 10.0,
            positive_spans: vec![Span { offset: -3, length: 6 }, Span { offset: 3, length: 1 }],
            positive_buckets: vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0],
            negative_spans: vec![Span { offset: 5, length: 1 }],
            negative_buckets: vec![0.0],
            integer: true,
            ..Histogram::default()
        };
        let r = h.reduced_to(MAX_SCHEMA);
        // Indices -3..=2 and 6 at schema 10 are ceil(i / 4) at schema 8: -3..=0 -> 0, 1..=2 -> 1, 6 -> 2.
        assert_eq!(r.schema, 8);
        assert_eq!(r.positive_spans, vec![Span { offset: 0, length: 3 }]);
        assert_eq!(r.positive_buckets, vec![4.0, 2.0, 4.0]);
        assert_eq!(r.negative_spans, vec![Span { offset: 2, length: 1 }]);
        assert_eq!((r.count, r.integer), (10.0, true));
        assert_eq!(r.validate(), Ok(()));
        assert_eq!(Histogram { schema: 52, ..h.clone() }.reduced_to(8).positive_buckets, vec![4.0, 6.0], "2^44 apart: non-positive indices to 0, positive ones to 1");
        assert_eq!(Histogram { schema: 3, ..h.clone() }.reduced_to(8).schema, 3, "lower schemas stay");
    }
}
