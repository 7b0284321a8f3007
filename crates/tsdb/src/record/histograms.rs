//! Histogram WAL records in Prometheus's layout: the first ref and timestamp in full (big
//! endian), then per sample the deltas to them and the histogram: counter-reset hint byte,
//! schema, zero threshold, counts (unsigned varints for integer histograms, big-endian floats
//! for float ones), sum, spans (offset, length), buckets (deltas between neighbours for integer
//! histograms, absolute floats otherwise) and, for custom buckets, the bounds. Custom-bucket
//! histograms go in their own record types (9, 10), as Prometheus writes them. A batch with
//! any start timestamp is written as Prometheus 3's V2 records instead (12 integer, 13 float,
//! custom buckets included): varints, the ref as a delta to the previous sample, the time as a
//! delta to the first, and the start-timestamp marker of SamplesV2 before each histogram.

use super::{put_st_marker, read_st_marker, REC_CUSTOM_FLOAT_HISTOGRAMS, REC_CUSTOM_HISTOGRAMS, REC_FLOAT_HISTOGRAMS, REC_FLOAT_HISTOGRAMS_V2, REC_HISTOGRAMS, REC_HISTOGRAMS_V2};
use crate::encoding::{put_be64, put_uvarint, put_varint, Decbuf};
use crate::histogram::{CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};

/// One histogram sample of a WAL record.
#[derive(Clone, Debug, PartialEq)]
pub struct RefHistogramSample {
    pub r: u64,
    /// Start timestamp, 0 = none.
    pub st: i64,
    pub t: i64,
    pub h: Histogram,
}

fn record_type(h: &Histogram) -> u8 {
    match (h.integer, h.uses_custom_buckets()) {
        (true, false) => REC_HISTOGRAMS,
        (false, false) => REC_FLOAT_HISTOGRAMS,
        (true, true) => REC_CUSTOM_HISTOGRAMS,
        (false, true) => REC_CUSTOM_FLOAT_HISTOGRAMS,
    }
}

/// The samples as up to four records, one per record type present, in type order; with any
/// start timestamp as up to two V2 records (integer, float).
pub fn encode_histograms(samples: &[RefHistogramSample]) -> Vec<Vec<u8>> {
    if samples.iter().any(|s| s.st != 0) {
        return [(REC_HISTOGRAMS_V2, true), (REC_FLOAT_HISTOGRAMS_V2, false)].into_iter().filter_map(|(typ, integer)| encode_v2(typ, samples.iter().filter(|s| s.h.integer == integer))).collect();
    }
    let mut out = Vec::new();
    for typ in [REC_HISTOGRAMS, REC_FLOAT_HISTOGRAMS, REC_CUSTOM_HISTOGRAMS, REC_CUSTOM_FLOAT_HISTOGRAMS] {
        let mut these = samples.iter().filter(|s| record_type(&s.h) == typ).peekable();
        let Some(first) = these.peek().copied() else { continue };
        let mut rec = vec![typ];
        put_be64(&mut rec, first.r);
        put_be64(&mut rec, first.t as u64);
        for s in these {
            put_varint(&mut rec, s.r as i64 - first.r as i64);
            put_varint(&mut rec, s.t.wrapping_sub(first.t));
            put_histogram(&mut rec, &s.h);
        }
        out.push(rec);
    }
    out
}

fn encode_v2<'a>(typ: u8, mut samples: impl Iterator<Item = &'a RefHistogramSample>) -> Option<Vec<u8>> {
    let first = samples.next()?;
    let mut rec = vec![typ];
    put_varint(&mut rec, first.r as i64);
    put_varint(&mut rec, first.t);
    put_varint(&mut rec, first.st);
    put_histogram(&mut rec, &first.h);
    let mut prev = first;
    for s in samples {
        put_varint(&mut rec, (s.r as i64).wrapping_sub(prev.r as i64));
        put_varint(&mut rec, s.t.wrapping_sub(first.t));
        put_st_marker(&mut rec, s.st, first.st, prev.st);
        put_histogram(&mut rec, &s.h);
        prev = s;
    }
    Some(rec)
}

fn put_spans(out: &mut Vec<u8>, spans: &[Span]) {
    put_uvarint(out, spans.len() as u64);
    for s in spans {
        put_varint(out, s.offset as i64);
        put_uvarint(out, s.length as u64);
    }
}

fn put_histogram(out: &mut Vec<u8>, h: &Histogram) {
    out.push(h.hint as u8);
    put_varint(out, h.schema as i64);
    put_be64(out, h.zero_threshold.to_bits());
    if h.integer {
        put_uvarint(out, h.zero_count as u64);
        put_uvarint(out, h.count as u64);
    } else {
        put_be64(out, h.zero_count.to_bits());
        put_be64(out, h.count.to_bits());
    }
    put_be64(out, h.sum.to_bits());
    put_spans(out, &h.positive_spans);
    put_spans(out, &h.negative_spans);
    for buckets in [&h.positive_buckets, &h.negative_buckets] {
        put_uvarint(out, buckets.len() as u64);
        let mut prev = 0i64;
        for &b in buckets.iter() {
            if h.integer {
                put_varint(out, (b as i64).wrapping_sub(prev));
                prev = b as i64;
            } else {
                put_be64(out, b.to_bits());
            }
        }
    }
    if h.uses_custom_buckets() {
        put_uvarint(out, h.custom_values.len() as u64);
        for v in &h.custom_values {
            put_be64(out, v.to_bits());
        }
    }
}

/// Decodes a record of type 7..=10 (after its type byte, which says the kind).
pub fn decode_histograms(typ: u8, d: &mut Decbuf<'_>) -> Option<Vec<RefHistogramSample>> {
    let integer = typ == REC_HISTOGRAMS || typ == REC_CUSTOM_HISTOGRAMS;
    let mut out = Vec::new();
    if d.remaining() == 0 {
        return Some(out);
    }
    let fr = d.be64()?;
    let ft = d.be64()? as i64;
    while d.remaining() > 0 {
        let r = (fr as i64).wrapping_add(d.varint()?) as u64;
        let t = ft.wrapping_add(d.varint()?);
        out.push(RefHistogramSample { r, st: 0, t, h: read_histogram(d, integer)? });
    }
    Some(out)
}

/// Decodes a V2 record (type 12 or 13, after its type byte). `Err` names what is wrong.
pub fn decode_histograms_v2(typ: u8, d: &mut Decbuf<'_>) -> Result<Vec<RefHistogramSample>, String> {
    let integer = typ == REC_HISTOGRAMS_V2;
    let bad = || "truncated or invalid histogram samples record".to_string();
    let mut out: Vec<RefHistogramSample> = Vec::new();
    let (mut first_t, mut first_st) = (0i64, 0i64);
    while d.remaining() > 0 {
        let (r, st, t) = match out.last() {
            None => {
                let r = d.varint().ok_or_else(bad)? as u64;
                first_t = d.varint().ok_or_else(bad)?;
                first_st = d.varint().ok_or_else(bad)?;
                (r, first_st, first_t)
            }
            Some(prev) => {
                let r = (prev.r as i64).wrapping_add(d.varint().ok_or_else(bad)?) as u64;
                let t = first_t.wrapping_add(d.varint().ok_or_else(bad)?);
                (r, read_st_marker(d, prev.st, first_st)?, t)
            }
        };
        out.push(RefHistogramSample { r, st, t, h: read_histogram(d, integer).ok_or_else(bad)? });
    }
    Ok(out)
}

fn read_spans(d: &mut Decbuf<'_>) -> Option<Vec<Span>> {
    let n = d.uvarint()?;
    let mut out = Vec::with_capacity(n.min(4096) as usize);
    for _ in 0..n {
        let offset = i32::try_from(d.varint()?).ok()?;
        let length = u32::try_from(d.uvarint()?).ok()?;
        out.push(Span { offset, length });
    }
    Some(out)
}

fn read_histogram(d: &mut Decbuf<'_>, integer: bool) -> Option<Histogram> {
    let hint = CounterResetHint::from_u8(d.byte()?).unwrap_or_default();
    let schema = i32::try_from(d.varint()?).ok()?;
    let zero_threshold = f64::from_bits(d.be64()?);
    let (zero_count, count) = if integer { (d.uvarint()? as f64, d.uvarint()? as f64) } else { (f64::from_bits(d.be64()?), f64::from_bits(d.be64()?)) };
    let sum = f64::from_bits(d.be64()?);
    let positive_spans = read_spans(d)?;
    let negative_spans = read_spans(d)?;
    let mut lists = [Vec::new(), Vec::new()];
    for list in lists.iter_mut() {
        let n = d.uvarint()?;
        let mut acc = 0i64;
        for _ in 0..n {
            if integer {
                acc = acc.wrapping_add(d.varint()?);
                list.push(acc as f64);
            } else {
                list.push(f64::from_bits(d.be64()?));
            }
        }
    }
    let [positive_buckets, negative_buckets] = lists;
    let mut custom_values = Vec::new();
    if schema == CUSTOM_BUCKETS_SCHEMA {
        for _ in 0..d.uvarint()? {
            custom_values.push(f64::from_bits(d.be64()?));
        }
    }
    Some(Histogram { hint, schema, zero_threshold, zero_count, count, sum, positive_spans, positive_buckets, negative_spans, negative_buckets, custom_values, integer })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{decode, Record};

    #[test]
    fn every_histogram_record_type_round_trips() {
        let exp = |integer: bool| Histogram {
            hint: CounterResetHint::NotCounterReset,
            schema: 3,
            zero_threshold: 1e-128,
            zero_count: 2.0,
            count: 14.0,
            sum: 18.5,
            positive_spans: vec![Span { offset: -2, length: 2 }, Span { offset: 1, length: 1 }],
            positive_buckets: vec![1.0, 5.0, 3.0],
            negative_spans: vec![Span { offset: 0, length: 1 }],
            negative_buckets: vec![3.0],
            custom_values: vec![],
            integer,
        };
        let custom = |integer: bool| Histogram { schema: CUSTOM_BUCKETS_SCHEMA, negative_spans: vec![], negative_buckets: vec![], custom_values: vec![0.25, 1.0], ..exp(integer) };
        let samples = vec![
            RefHistogramSample { st: 0, r: 5, t: 1000, h: exp(true) },
            RefHistogramSample { st: 0, r: 3, t: 900, h: exp(false) },
            RefHistogramSample { st: 0, r: 9, t: 2000, h: custom(true) },
            RefHistogramSample { st: 0, r: 2, t: 2500, h: custom(false) },
            RefHistogramSample { st: 0, r: 6, t: 3000, h: Histogram::stale_marker(true) },
        ];
        let recs = encode_histograms(&samples);
        assert_eq!(recs.iter().map(|r| r[0]).collect::<Vec<_>>(), vec![7, 8, 9, 10]);
        let mut got = Vec::new();
        for r in &recs {
            match decode(r).unwrap() {
                Record::Histograms(list) => got.extend(list),
                other => panic!("{other:?}"),
            }
        }
        let mut want = samples.clone();
        want.sort_by_key(|s| record_type(&s.h));
        assert_eq!(got, want);
        assert!(got[1].h.is_stale());
    }

    #[test]
    fn start_timestamps_choose_the_v2_records() {
        let exp = |integer: bool| Histogram { schema: 1, count: 3.0, sum: 2.0, positive_spans: vec![Span { offset: 0, length: 1 }], positive_buckets: vec![3.0], integer, ..Histogram::default() };
        let custom = |integer: bool| Histogram { schema: CUSTOM_BUCKETS_SCHEMA, custom_values: vec![1.0], ..exp(integer) };
        let s = |r: u64, st: i64, t: i64, h: Histogram| RefHistogramSample { r, st, t, h };
        let samples = vec![s(5, 400, 1000, exp(true)), s(3, 400, 900, custom(true)), s(9, 0, 2000, exp(false)), s(9, 1999, 2001, custom(false)), s(2, -7, 3000, exp(true)), s(4, 0, 3000, Histogram::stale_marker(true))];
        let recs = encode_histograms(&samples);
        assert_eq!(recs.iter().map(|r| r[0]).collect::<Vec<_>>(), vec![12, 13], "integer and float, custom buckets included");
        let mut got = Vec::new();
        for r in &recs {
            match decode(r).unwrap() {
                Record::Histograms(list) => got.extend(list),
                other => panic!("{other:?}"),
            }
        }
        let mut want = samples.clone();
        want.sort_by_key(|s| !s.h.integer);
        assert_eq!(got, want);
        // A marker that is none of 0, 1, 2 is refused with a reason.
        let mut bad = encode_histograms(&samples[..1]).remove(0);
        bad.extend_from_slice(&[0, 0, 9]);
        assert!(decode(&bad).unwrap_err().contains("marker"), "{:?}", decode(&bad));
    }
}
