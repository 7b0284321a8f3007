//! Remote-Write 1.0: `prometheus.WriteRequest { repeated TimeSeries timeseries = 1; }` with
//! `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar
//! exemplars = 3; }`, `Label { string name = 1; string value = 2; }`, `Sample { double value = 1;
//! int64 timestamp = 2; }`, `Exemplar { repeated Label labels = 1; double value = 2; int64
//! timestamp = 3; }`, and native histograms as `repeated Histogram histograms = 4`
//! (`encode_histogram`). Unlike Prometheus, which sends one TimeSeries per sample, the samples of
//! one series in a batch share one TimeSeries (the spec allows it; it saves the labels' bytes).

use crate::protowire::{begin_message, end_message, put_bytes, put_double, put_int64, put_key, put_uvarint, uvarint_len, LEN};
use super::encode_histogram::put_histogram;
use super::BatchSeries;
use crate::labels::Labels;

pub(crate) fn put_labels(out: &mut Vec<u8>, field: u32, labels: &Labels) {
    for l in labels.iter() {
        let m = begin_message(out, field);
        put_bytes(out, 1, l.name.as_bytes());
        put_bytes(out, 2, l.value.as_bytes());
        end_message(out, m);
    }
}

/// A `Sample { double value = 1; int64 timestamp = 2; }` message's length.
fn sample_len(t: i64) -> usize {
    9 + 1 + uvarint_len(t as u64)
}

/// A series' TimeSeries length when it has float samples only (the common case), so its header
/// is written first and the body straight after it, never moved.
fn float_series_len(s: &BatchSeries) -> Option<usize> {
    if !s.exemplars.is_empty() || !s.histograms.is_empty() {
        return None;
    }
    Some(s.series.v1_labels().len() + s.samples.iter().map(|x| 1 + 1 + sample_len(x.t)).sum::<usize>())
}

pub fn write_request(series: &[BatchSeries], out: &mut Vec<u8>) {
    out.reserve(series.iter().map(|s| s.series.v1_labels().len() + 4 + 24 * s.samples.len()).sum());
    let mut scratch = Vec::new();
    for s in series {
        let known = float_series_len(s);
        let ts = match known {
            Some(len) => {
                put_key(out, 1, LEN);
                put_uvarint(out, len as u64);
                0
            }
            None => begin_message(out, 1),
        };
        out.extend_from_slice(s.series.v1_labels());
        for x in &s.samples {
            put_key(out, 2, LEN);
            put_uvarint(out, sample_len(x.t) as u64);
            put_double(out, 1, x.v);
            put_int64(out, 2, x.t);
        }
        for e in &s.exemplars {
            let m = begin_message(out, 3);
            put_labels(out, 1, &e.labels);
            put_double(out, 2, e.value);
            put_int64(out, 3, e.t);
            end_message(out, m);
        }
        for h in &s.histograms {
            put_histogram(out, 4, h, &mut scratch);
        }
        if known.is_none() {
            end_message(out, ts);
        }
    }
}

/// `WriteRequest.metadata` (field 3) alone, as metadata_config sends it every send_interval:
/// `MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
/// string unit = 5; }`.
pub fn metadata_request(families: &[(String, super::Metadata)], out: &mut Vec<u8>) {
    for (name, md) in families {
        let m = begin_message(out, 3);
        put_int64(out, 1, i64::from(md.metric_type));
        put_bytes(out, 2, name.as_bytes());
        put_bytes(out, 4, md.help.as_bytes());
        put_bytes(out, 5, md.unit.as_bytes());
        end_message(out, m);
    }
}
