//! Remote write's native half: a WAL watcher that tails our segments from a savepoint and turns
//! samples into ready-to-send request bodies (Remote-Write 1.0 `prometheus.WriteRequest` and 2.0
//! `io.prometheus.write.v2.Request`, Snappy-compressed), so the per-sample work never runs in
//! JavaScript. The queue manager (src/remote/) relabels new series, sends, retries and keeps
//! the savepoints.

pub mod encode_histogram;
pub mod encode_v1;
pub mod encode_v2;
mod ref_hash;
pub mod watcher;

pub use encode_histogram::HistogramSample;
use crate::exemplars::Exemplar;
use crate::labels::Labels;
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

/// A kept series as the encoders need it: its labels after write relabeling, its metadata (2.0),
/// and its labels already encoded for 1.0, so a series sent in every batch is encoded once.
#[derive(Clone, Debug)]
pub struct SentSeries {
    pub labels: Labels,
    pub metadata: Option<Metadata>,
    /// 1.0's `repeated Label labels = 1` fields of a TimeSeries, as they go on the wire: encoded
    /// at the first batch that carries the series (on the reading thread, not in `resolve`, which
    /// runs on the event loop), then reused by every later batch.
    v1_labels: std::sync::OnceLock<Vec<u8>>,
}

impl SentSeries {
    pub fn new(labels: Labels, metadata: Option<Metadata>) -> SentSeries {
        SentSeries { labels, metadata, v1_labels: std::sync::OnceLock::new() }
    }

    /// 1.0's encoded labels (see the field).
    pub fn v1_labels(&self) -> &[u8] {
        self.v1_labels.get_or_init(|| {
            let mut out = Vec::new();
            encode_v1::put_labels(&mut out, 1, &self.labels);
            out
        })
    }
}

/// Equal series have equal labels and metadata; whether 1.0's encoding is cached yet does not count.
impl PartialEq for SentSeries {
    fn eq(&self, other: &SentSeries) -> bool {
        self.labels == other.labels && self.metadata == other.metadata
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
