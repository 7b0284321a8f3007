//! Remote write's native half: a WAL watcher that tails our segments from a savepoint and turns
//! samples into ready-to-send request bodies (Remote-Write 1.0 `prometheus.WriteRequest` and 2.0
//! `io.prometheus.write.v2.Request`, Snappy-compressed), so the per-sample work never runs in
//! JavaScript. The queue manager (src/remote/) relabels new series, sends, retries and keeps
//! the savepoints.

pub mod encode_histogram;
pub mod encode_v1;
pub mod encode_v2;
pub mod watcher;

pub use encode_histogram::HistogramSample;
use crate::exemplars::Exemplar;
use crate::labels::Labels;
use crate::protowire::{Field, Reader};
use std::sync::Arc;

/// A series' metadata as the 2.0 protocol carries it (type codes as both protocols number them:
/// 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge histogram, 5 summary, 6 info, 7 stateset).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub metric_type: u8,
    pub help: String,
    pub unit: String,
}

/// One sample as sent: start timestamp (0 = none), timestamp, value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub st: i64,
    pub t: i64,
    pub v: f64,
}

/// A kept series as the encoders need it: its labels after write relabeling and its metadata
/// (2.0). The labels are kept only as 1.0 puts them on the wire (`repeated Label labels = 1` of a
/// TimeSeries): one allocation per series instead of a vector and two strings per label, about a
/// fifth of the memory for a queue of 100k series, and 1.0 batches copy them as they are. 2.0
/// reads the names and values back out of them (`labels`), borrowing, without allocating.
#[derive(Clone, Debug, PartialEq)]
pub struct SentSeries {
    v1_labels: Box<[u8]>,
    pub metadata: Option<Metadata>,
}

impl SentSeries {
    /// Encodes the labels (in `resolve`, on the caller's thread: a few hundred nanoseconds a series).
    pub fn new(labels: Labels, metadata: Option<Metadata>) -> SentSeries {
        let mut out = Vec::new();
        encode_v1::put_labels(&mut out, 1, &labels);
        SentSeries { v1_labels: out.into_boxed_slice(), metadata }
    }

    /// 1.0's encoded labels (see the type).
    pub fn v1_labels(&self) -> &[u8] {
        &self.v1_labels
    }

    /// The labels as (name, value), sorted by name, read back from the 1.0 encoding.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut fields = Reader::new(&self.v1_labels);
        std::iter::from_fn(move || {
            // Written by `new` from valid strings: nothing here fails, and nothing would panic if it did.
            let Ok(Some((_, Field::Bytes(label)))) = fields.field() else { return None };
            let (mut name, mut value) = ("", "");
            let mut parts = Reader::new(label);
            while let Ok(Some((n, Field::Bytes(b)))) = parts.field() {
                let text = std::str::from_utf8(b).unwrap_or_default();
                if n == 1 {
                    name = text;
                } else {
                    value = text;
                }
            }
            Some((name, value))
        })
    }
}

/// One series of a batch: the series (shared by every batch it is in), and its samples (float
/// and native-histogram ones) and exemplars in WAL order.
#[derive(Clone, Debug)]
pub struct BatchSeries {
    pub series: Arc<SentSeries>,
    pub samples: Vec<Sample>,
    pub exemplars: Vec<Exemplar>,
    pub histograms: Vec<HistogramSample>,
}

/// The wire protocol of a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    V1,
    V2,
}

/// Encodes a batch as the protocol's protobuf message (uncompressed).
pub fn encode(protocol: Protocol, series: &[BatchSeries], out: &mut Vec<u8>) {
    match protocol {
        Protocol::V1 => encode_v1::write_request(series, out),
        Protocol::V2 => encode_v2::request(series, out),
    }
}

#[cfg(test)]
mod tests {
    use super::SentSeries;
    use crate::labels::Labels;

    #[test]
    fn labels_read_back_from_their_encoding_as_given() {
        let long = "v".repeat(300);
        let labels = Labels::from_pairs([("__name__", "up"), ("instance", "10.0.0.1:9100"), ("long", long.as_str()), ("ünïcode", "✓")]);
        let s = SentSeries::new(labels.clone(), None);
        let back: Vec<(String, String)> = s.labels().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let want: Vec<(String, String)> = labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
        assert_eq!(back, want);
        assert_eq!(SentSeries::new(Labels::default(), None).labels().count(), 0);
        assert_ne!(s, SentSeries::new(Labels::from_pairs([("__name__", "up")]), None), "other labels, another series");
    }
}
