//! A native-histogram sample as protobuf: 1.0's `prometheus.Histogram` and 2.0's
//! `io.prometheus.write.v2.Histogram` number their fields alike: `count_int = 1` /
//! `count_float = 2` (a oneof), `double sum = 3`, `sint32 schema = 4`, `double zero_threshold =
//! 5`, `zero_count_int = 6` / `zero_count_float = 7`, `negative_spans = 8`, packed `sint64
//! negative_deltas = 9` (integer histograms: each bucket's difference to the one before) or
//! packed `double negative_counts = 10` (float histograms: absolute counts), the same for the
//! positive side as 11-13, `ResetHint reset_hint = 14` (0 unknown, 1 yes, 2 no, 3 gauge: our
//! `CounterResetHint` numbers), `int64 timestamp = 15`, packed `double custom_values = 16`;
//! `BucketSpan { sint32 offset = 1; uint32 length = 2; }`; 2.0 adds `int64 start_timestamp =
//! 17` (written when the sample has one). Proto3 leaves zero scalars out,
//! except that one member of each oneof is always written, so the receiver knows the kind.

use crate::protowire::{begin_message, end_message, put_double, put_int64, put_key, put_sint64, put_uvarint, zigzag_encode, FIXED64, LEN};
use crate::histogram::{Histogram, Span};

/// One histogram sample of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSample {
    /// Start timestamp, 0 = none.
    pub st: i64,
    pub t: i64,
    pub h: Histogram,
}

fn put_sint(out: &mut Vec<u8>, field: u32, v: i64) {
    if v != 0 {
        put_sint64(out, field, v);
    }
}

fn put_spans(out: &mut Vec<u8>, field: u32, spans: &[Span]) {
    for s in spans {
        let m = begin_message(out, field);
        put_sint(out, 1, i64::from(s.offset));
        if s.length != 0 {
            put_int64(out, 2, i64::from(s.length));
        }
        end_message(out, m);
    }
}

fn put_packed_doubles(out: &mut Vec<u8>, field: u32, values: &[f64]) {
    if values.is_empty() {
        return;
    }
    put_key(out, field, LEN);
    put_uvarint(out, values.len() as u64 * 8);
    for v in values {
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

/// Integer buckets as deltas to their left neighbour (the first to zero), zigzag varints.
fn put_packed_deltas(out: &mut Vec<u8>, field: u32, counts: &[f64], scratch: &mut Vec<u8>) {
    if counts.is_empty() {
        return;
    }
    scratch.clear();
    let mut prev = 0i64;
    for &c in counts {
        let c = c as i64;
        put_uvarint(scratch, zigzag_encode(c.wrapping_sub(prev)));
        prev = c;
    }
    put_key(out, field, LEN);
    put_uvarint(out, scratch.len() as u64);
    out.extend_from_slice(scratch);
}

/// Writes the sample as a nested message of field `field` (1.0's fields).
pub fn put_histogram(out: &mut Vec<u8>, field: u32, s: &HistogramSample, scratch: &mut Vec<u8>) {
    put_histogram_fields(out, field, s, false, scratch);
}

/// Writes the sample as 2.0's message, with its start timestamp.
pub fn put_histogram_v2(out: &mut Vec<u8>, field: u32, s: &HistogramSample, scratch: &mut Vec<u8>) {
    put_histogram_fields(out, field, s, true, scratch);
}

fn put_histogram_fields(out: &mut Vec<u8>, field: u32, s: &HistogramSample, v2: bool, scratch: &mut Vec<u8>) {
    let h = &s.h;
    let m = begin_message(out, field);
    if h.integer {
        put_int64(out, 1, h.count as i64);
    } else {
        put_double(out, 2, h.count);
    }
    if h.sum.to_bits() != 0 {
        put_double(out, 3, h.sum);
    }
    put_sint(out, 4, i64::from(h.schema));
    if h.zero_threshold.to_bits() != 0 {
        put_double(out, 5, h.zero_threshold);
    }
    if h.integer {
        put_int64(out, 6, h.zero_count as i64);
    } else {
        put_key(out, 7, FIXED64);
        out.extend_from_slice(&h.zero_count.to_bits().to_le_bytes());
    }
    put_spans(out, 8, &h.negative_spans);
    if h.integer {
        put_packed_deltas(out, 9, &h.negative_buckets, scratch);
    } else {
        put_packed_doubles(out, 10, &h.negative_buckets);
    }
    put_spans(out, 11, &h.positive_spans);
    if h.integer {
        put_packed_deltas(out, 12, &h.positive_buckets, scratch);
    } else {
        put_packed_doubles(out, 13, &h.positive_buckets);
    }
    if h.hint as u8 != 0 {
        put_int64(out, 14, h.hint as i64);
    }
    put_int64(out, 15, s.t);
    put_packed_doubles(out, 16, &h.custom_values);
    if v2 && s.st != 0 {
        put_int64(out, 17, s.st);
    }
    end_message(out, m);
}
