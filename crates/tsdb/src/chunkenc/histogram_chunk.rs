//! An open histogram chunk of either encoding, with what appending needs beyond the bytes: the
//! last histogram (to detect counter resets) and recoding when new buckets appear. Readers of
//! both encodings behind one iterator.

use super::float_histogram::{FloatHistogramAppender, FloatHistogramIterator};
use super::histogram::{IntHistogramAppender, IntHistogramIterator};
use super::histogram_meta::{fit, CounterResetHeader, Fit, Layout};
use super::{ENCODING_FLOAT_HISTOGRAM, ENCODING_FLOAT_HISTOGRAM_ST, ENCODING_HISTOGRAM, ENCODING_HISTOGRAM_ST};
use crate::histogram::{bucket_indices, CounterResetHint, Histogram};

#[derive(Clone, Debug)]
enum Kind {
    Int(IntHistogramAppender),
    Float(FloatHistogramAppender),
}

#[derive(Clone, Debug)]
pub struct HistogramAppender {
    kind: Kind,
    /// The last non-stale sample, in the chunk's layout.
    last: Option<Histogram>,
}

impl HistogramAppender {
    /// A new chunk for integer (encoding 2) or float (3) histograms.
    pub fn new(integer: bool, header: CounterResetHeader) -> Self {
        let kind = if integer { Kind::Int(IntHistogramAppender::new(header)) } else { Kind::Float(FloatHistogramAppender::new(header)) };
        HistogramAppender { kind, last: None }
    }

    /// A new chunk that also stores start timestamps (encoding 5 or 6).
    pub fn new_st(integer: bool, header: CounterResetHeader) -> Self {
        let kind = if integer { Kind::Int(IntHistogramAppender::new_st(header)) } else { Kind::Float(FloatHistogramAppender::new_st(header)) };
        HistogramAppender { kind, last: None }
    }

    /// Whether the chunk stores start timestamps.
    pub fn has_start_timestamps(&self) -> bool {
        match &self.kind {
            Kind::Int(a) => a.has_start_timestamps(),
            Kind::Float(a) => a.has_start_timestamps(),
        }
    }

    pub fn integer(&self) -> bool {
        matches!(self.kind, Kind::Int(_))
    }

    pub fn encoding(&self) -> u8 {
        match (self.integer(), self.has_start_timestamps()) {
            (true, false) => ENCODING_HISTOGRAM,
            (false, false) => ENCODING_FLOAT_HISTOGRAM,
            (true, true) => ENCODING_HISTOGRAM_ST,
            (false, true) => ENCODING_FLOAT_HISTOGRAM_ST,
        }
    }

    pub fn num_samples(&self) -> usize {
        match &self.kind {
            Kind::Int(a) => a.num_samples(),
            Kind::Float(a) => a.num_samples(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.kind {
            Kind::Int(a) => a.bytes(),
            Kind::Float(a) => a.bytes(),
        }
    }

    pub fn min_time(&self) -> i64 {
        match &self.kind {
            Kind::Int(a) => a.min_time(),
            Kind::Float(a) => a.min_time(),
        }
    }

    pub fn max_time(&self) -> i64 {
        match &self.kind {
            Kind::Int(a) => a.max_time(),
            Kind::Float(a) => a.max_time(),
        }
    }

    pub fn header(&self) -> CounterResetHeader {
        match &self.kind {
            Kind::Int(a) => a.header(),
            Kind::Float(a) => a.header(),
        }
    }

    fn layout(&self) -> &Layout {
        match &self.kind {
            Kind::Int(a) => a.layout(),
            Kind::Float(a) => a.layout(),
        }
    }

    /// The last non-stale histogram appended.
    pub fn last(&self) -> Option<&Histogram> {
        self.last.as_ref()
    }

    /// How `h` fits this chunk (an empty chunk takes anything).
    pub fn fit(&self, h: &Histogram) -> Fit {
        if self.num_samples() == 0 || self.last.is_none() {
            // Only stale markers so far: their empty layout is no reason for a new chunk.
            return if self.num_samples() == 0 { Fit::Append } else { Fit::NewLayout };
        }
        fit(self.layout(), self.last.as_ref(), h, self.header() == CounterResetHeader::Gauge)
    }

    /// Appends `h` (`st`: its start timestamp, 0 = none), which `fit` said is `Append` or
    /// `Recode` (stale markers always append): recodes the chunk to the new buckets first, and
    /// expands `h` to the chunk's buckets. A chunk without start timestamps meeting its first one
    /// is re-encoded as a chunk with them (as XOR chunks become XOR2), so histograms without
    /// start timestamps stay in the encodings every Prometheus reads.
    pub fn append(&mut self, st: i64, t: i64, h: &Histogram, how: &Fit) {
        if st != 0 && !self.has_start_timestamps() {
            *self = self.rebuilt(true, None);
        }
        if h.is_stale() {
            self.append_raw(st, t, h);
            return;
        }
        if let Fit::Recode(pos, neg) = how {
            *self = self.rebuilt(self.has_start_timestamps(), Some((pos, neg)));
        }
        let layout = self.layout();
        let expanded = if self.num_samples() == 0 || (layout.positive_spans == h.positive_spans && layout.negative_spans == h.negative_spans) {
            None
        } else {
            Some(h.expanded_to(&bucket_indices(&layout.positive_spans), &bucket_indices(&layout.negative_spans)))
        };
        let h = expanded.as_ref().unwrap_or(h);
        self.append_raw(st, t, h);
        self.last = Some(h.clone());
    }

    fn append_raw(&mut self, st: i64, t: i64, h: &Histogram) {
        match &mut self.kind {
            Kind::Int(a) => a.append(st, t, h),
            Kind::Float(a) => a.append(st, t, h),
        }
    }

    /// The same samples re-encoded, with or without start timestamps, and over the given
    /// bucket indices (a superset of the chunk's) if any.
    fn rebuilt(&self, with_st: bool, buckets: Option<(&[i32], &[i32])>) -> HistogramAppender {
        let mut out = if with_st { HistogramAppender::new_st(self.integer(), self.header()) } else { HistogramAppender::new(self.integer(), self.header()) };
        let mut it = HistogramIterator::new(self.encoding(), self.bytes());
        while let Some((t, h)) = it.next() {
            let st = it.st();
            if h.is_stale() {
                out.append_raw(st, t, &h);
            } else {
                let e = match buckets {
                    Some((pos, neg)) => h.expanded_to(pos, neg),
                    None => h,
                };
                out.append_raw(st, t, &e);
                out.last = Some(e);
            }
        }
        out
    }
}

/// Histogram chunks are also cut at this size once they hold `MIN_SAMPLES_BEFORE_SIZE_CUT`
/// samples (as Prometheus does: one histogram can take hundreds of bytes).
pub const TARGET_CHUNK_BYTES: usize = 1024;
pub const MIN_SAMPLES_BEFORE_SIZE_CUT: usize = 10;

/// Where a histogram goes, given the open chunk (if it is a histogram chunk) and whether that
/// chunk is full: into it (`None` and how), or into a new chunk with this header (and `Append`).
/// A new chunk is needed for another kind (integer/float, counter/gauge), a counter reset (seen
/// or named by the sample's hint), a new layout, or a full chunk. Stale markers go anywhere of
/// their kind.
pub fn placement(open: Option<&HistogramAppender>, h: &Histogram, full: impl Fn(&HistogramAppender) -> bool) -> (Option<CounterResetHeader>, Fit) {
    let gauge = h.hint == CounterResetHint::Gauge;
    let same_kind = open.is_some_and(|a| a.integer() == h.integer && (h.is_stale() || (a.header() == CounterResetHeader::Gauge) == gauge));
    match open {
        Some(_) if same_kind && h.is_stale() => (None, Fit::Append),
        Some(a) if same_kind => match a.fit(h) {
            _ if h.hint == CounterResetHint::CounterReset => (Some(CounterResetHeader::CounterReset), Fit::Append),
            Fit::CounterReset => (Some(CounterResetHeader::CounterReset), Fit::Append),
            Fit::NewLayout => (Some(if gauge { CounterResetHeader::Gauge } else { CounterResetHeader::Unknown }), Fit::Append),
            _ if full(a) => (Some(if gauge { CounterResetHeader::Gauge } else { CounterResetHeader::NotCounterReset }), Fit::Append),
            how => (None, how),
        },
        other => (Some(new_chunk_header(other, h, gauge)), Fit::Append),
    }
}

/// The counter-reset header of a chunk started for `h` when the open chunk (if a histogram one)
/// could not take it: gauges are gauges; a reset named by the sample or seen against the previous
/// histogram is a reset; known continuity is "no reset"; otherwise unknown.
fn new_chunk_header(previous: Option<&HistogramAppender>, h: &Histogram, gauge: bool) -> CounterResetHeader {
    if gauge {
        return CounterResetHeader::Gauge;
    }
    match h.hint {
        CounterResetHint::CounterReset => return CounterResetHeader::CounterReset,
        CounterResetHint::NotCounterReset => return CounterResetHeader::NotCounterReset,
        _ => {}
    }
    match previous.filter(|p| p.header() != CounterResetHeader::Gauge).map(|p| p.fit(h)) {
        Some(Fit::CounterReset) => CounterResetHeader::CounterReset,
        Some(Fit::Append | Fit::Recode(..)) => CounterResetHeader::NotCounterReset,
        _ => CounterResetHeader::Unknown,
    }
}

/// Reads a histogram chunk of any histogram encoding as (t, histogram); `st()` is the start
/// timestamp of the sample last returned (0 = none, always for encodings 2 and 3).
#[derive(Clone, Debug)]
pub enum HistogramIterator<'a> {
    Int(IntHistogramIterator<'a>),
    Float(FloatHistogramIterator<'a>),
    /// Not a histogram chunk: yields nothing.
    Other,
}

impl<'a> HistogramIterator<'a> {
    pub fn new(encoding: u8, bytes: &'a [u8]) -> Self {
        match encoding {
            ENCODING_HISTOGRAM => HistogramIterator::Int(IntHistogramIterator::new(bytes)),
            ENCODING_FLOAT_HISTOGRAM => HistogramIterator::Float(FloatHistogramIterator::new(bytes)),
            ENCODING_HISTOGRAM_ST => HistogramIterator::Int(IntHistogramIterator::new_st(bytes)),
            ENCODING_FLOAT_HISTOGRAM_ST => HistogramIterator::Float(FloatHistogramIterator::new_st(bytes)),
            _ => HistogramIterator::Other,
        }
    }

    pub fn error(&self) -> Option<String> {
        match self {
            HistogramIterator::Int(it) => it.error().map(str::to_string),
            HistogramIterator::Float(it) => it.error().map(str::to_string),
            HistogramIterator::Other => None,
        }
    }

    /// The start timestamp of the sample last returned (0 = none).
    pub fn st(&self) -> i64 {
        match self {
            HistogramIterator::Int(it) => it.st(),
            HistogramIterator::Float(it) => it.st(),
            HistogramIterator::Other => 0,
        }
    }
}

impl Iterator for HistogramIterator<'_> {
    type Item = (i64, Histogram);

    fn next(&mut self) -> Option<(i64, Histogram)> {
        match self {
            HistogramIterator::Int(it) => it.next(),
            HistogramIterator::Float(it) => it.next(),
            HistogramIterator::Other => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{Span, CUSTOM_BUCKETS_SCHEMA};

    fn hist(integer: bool, spans: Vec<Span>, buckets: Vec<f64>, zero: f64, sum: f64) -> Histogram {
        let negative: Vec<f64> = buckets.iter().map(|b| b * 2.0).collect();
        let count = zero + buckets.iter().sum::<f64>() + negative.iter().sum::<f64>();
        Histogram { schema: 1, zero_threshold: 2f64.powi(-128), zero_count: zero, count, sum, positive_spans: spans.clone(), positive_buckets: buckets, negative_spans: spans, negative_buckets: negative, integer, ..Histogram::default() }
    }

    fn append_all(integer: bool, samples: &[(i64, Histogram)]) -> HistogramAppender {
        let mut a = HistogramAppender::new(integer, CounterResetHeader::NotCounterReset);
        for (t, h) in samples {
            let how = a.fit(h);
            assert!(matches!(how, Fit::Append | Fit::Recode(..)) || h.is_stale(), "{how:?}");
            a.append(0, *t, h, &how);
        }
        a
    }

    #[test]
    fn both_encodings_round_trip_with_growing_counts_and_a_stale_marker() {
        for integer in [true, false] {
            let spans = vec![Span { offset: -1, length: 2 }, Span { offset: 2, length: 1 }];
            let mut samples = Vec::new();
            for i in 0..40i64 {
                let b = vec![(i * 3) as f64, (i * i) as f64, (7 * i + 1) as f64];
                samples.push((1000 + i * 15_000 + (i % 3), hist(integer, spans.clone(), b, i as f64, i as f64 * 1.25 + 0.1)));
            }
            samples.insert(20, (samples[19].0 + 1, Histogram::stale_marker(integer)));
            let a = append_all(integer, &samples);
            assert_eq!(a.encoding(), if integer { 2 } else { 3 });
            let got: Vec<(i64, Histogram)> = HistogramIterator::new(a.encoding(), a.bytes()).collect();
            assert_eq!(got.len(), samples.len());
            for (k, ((t, h), (et, eh))) in got.iter().zip(&samples).enumerate() {
                assert_eq!(t, et);
                let mut want = eh.clone();
                if !want.is_stale() {
                    want.hint = if k == 0 { CounterResetHint::Unknown } else { CounterResetHint::NotCounterReset };
                }
                assert_eq!(h, &want, "sample {k} ({})", if integer { "integer" } else { "float" });
            }
        }
    }

    #[test]
    fn new_buckets_recode_the_chunk_and_missing_ones_are_kept_as_zero() {
        for integer in [true, false] {
            let a0 = hist(integer, vec![Span { offset: 0, length: 1 }], vec![1.0], 0.0, 1.0);
            let a1 = hist(integer, vec![Span { offset: 0, length: 1 }, Span { offset: 2, length: 1 }], vec![2.0, 1.0], 0.0, 2.0);
            let a2 = hist(integer, vec![Span { offset: 3, length: 1 }], vec![2.0], 0.0, 2.5);
            let mut a = HistogramAppender::new(integer, CounterResetHeader::Unknown);
            a.append(0, 1, &a0, &a.fit(&a0));
            let how = a.fit(&a1);
            assert_eq!(how, Fit::Recode(vec![0, 3], vec![0, 3]));
            a.append(0, 2, &a1, &how);
            // a2 lacks bucket 0, which counted 2: a counter reset.
            assert_eq!(a.fit(&a2), Fit::CounterReset);
            let got: Vec<Histogram> = HistogramIterator::new(a.encoding(), a.bytes()).map(|(_, h)| h).collect();
            assert_eq!(got[0].positive_buckets, vec![1.0, 0.0], "the first sample gained the new bucket as 0");
            assert_eq!(got[0].positive_spans, vec![Span { offset: 0, length: 1 }, Span { offset: 2, length: 1 }]);
            assert_eq!(got[1].positive_buckets, vec![2.0, 1.0]);
        }
    }

    #[test]
    fn custom_bucket_histograms_round_trip() {
        for integer in [true, false] {
            let h = |c: f64| Histogram { schema: CUSTOM_BUCKETS_SCHEMA, count: c * 3.0, sum: c, positive_spans: vec![Span { offset: 0, length: 3 }], positive_buckets: vec![c, c, c], custom_values: vec![0.5, 1.0, 2.5], integer, ..Histogram::default() };
            let a = append_all(integer, &[(10, h(1.0)), (20, h(2.0)), (30, h(4.0))]);
            let got: Vec<Histogram> = HistogramIterator::new(a.encoding(), a.bytes()).map(|(_, h)| h).collect();
            assert_eq!(got[2].custom_values, vec![0.5, 1.0, 2.5]);
            assert_eq!(got[2].positive_buckets, vec![4.0, 4.0, 4.0]);
            let mut other = h(5.0);
            other.custom_values = vec![0.5, 1.0, 3.0];
            assert_eq!(a.fit(&other), Fit::NewLayout, "other bounds need a new chunk");
        }
    }

    #[test]
    fn the_header_is_in_the_flags_byte_and_sets_the_first_hint() {
        let mut a = HistogramAppender::new(true, CounterResetHeader::CounterReset);
        let h = hist(true, vec![Span { offset: 0, length: 1 }], vec![1.0], 0.0, 1.0);
        a.append(0, 1, &h, &Fit::Append);
        a.append(0, 2, &h, &Fit::Append);
        assert_eq!(a.bytes()[2], 0b1000_0000);
        let hints: Vec<CounterResetHint> = HistogramIterator::new(2, a.bytes()).map(|(_, h)| h.hint).collect();
        assert_eq!(hints, vec![CounterResetHint::CounterReset, CounterResetHint::NotCounterReset]);
        let mut g = HistogramAppender::new(false, CounterResetHeader::Gauge);
        g.append(0, 1, &h.clone().with_integer(false), &Fit::Append);
        assert_eq!(g.bytes()[2], 0b1100_0000);
        assert_eq!(HistogramIterator::new(3, g.bytes()).next().unwrap().1.hint, CounterResetHint::Gauge);
    }
}
