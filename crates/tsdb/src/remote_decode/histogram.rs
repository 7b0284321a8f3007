//! Decoding a native-histogram sample of a remote-write request: 1.0's `prometheus.Histogram` and
//! 2.0's `io.prometheus.write.v2.Histogram` share their field numbers (the layout is written up
//! in `remote/encode_histogram.rs`). Which member of the `count` oneof is present decides the
//! kind: `count_int` an integer histogram (buckets as zigzag deltas), `count_float` a float one
//! (absolute counts). The result is validated as the TSDB validates an append, so a malformed
//! histogram refuses the whole request with a reason before anything is written.

use crate::protowire::{as_bytes, as_double, as_int64, as_sint64, as_varint, push_sint64s, Field, Reader};
use crate::histogram::{CounterResetHint, Histogram, Span, MAX_RESERVED_SCHEMA, MAX_SCHEMA};

/// A repeated double: packed or one fixed64 per element.
fn push_doubles(f: Field<'_>, out: &mut Vec<f64>, what: &str) -> Result<(), String> {
    match f {
        Field::Fixed64(x) => out.push(f64::from_bits(x)),
        Field::Bytes(b) => {
            if b.len() % 8 != 0 {
                return Err(format!("{what}: packed doubles of {} bytes (not a multiple of 8)", b.len()));
            }
            out.extend(b.chunks_exact(8).map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().unwrap()))));
        }
        other => return Err(format!("{what}: expected doubles, got {}", other.name())),
    }
    Ok(())
}

/// `BucketSpan { sint32 offset = 1; uint32 length = 2; }`
fn span(b: &[u8], what: &str) -> Result<Span, String> {
    let mut s = Span { offset: 0, length: 0 };
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field().map_err(|e| format!("{what}: {e}"))? {
        match n {
            1 => s.offset = i32::try_from(as_sint64(f, what)?).map_err(|_| format!("{what}: offset out of range"))?,
            2 => s.length = u32::try_from(as_varint(f, what)?).map_err(|_| format!("{what}: length out of range"))?,
            _ => {}
        }
    }
    Ok(s)
}

/// Integer bucket deltas to absolute counts; a negative count is refused.
fn absolute(deltas: &[i64], what: &str) -> Result<Vec<f64>, String> {
    let mut acc = 0i64;
    deltas
        .iter()
        .map(|&d| {
            acc = acc.checked_add(d).ok_or_else(|| format!("{what}: bucket count overflows"))?;
            if acc < 0 {
                return Err(format!("{what}: negative bucket count {acc}"));
            }
            Ok(acc as f64)
        })
        .collect()
}

/// One histogram sample: (timestamp ms, histogram, start timestamp ms or 0), validated. The
/// start timestamp is 2.0's `start_timestamp = 17` (1.0's message has no such field).
pub fn decode(b: &[u8]) -> Result<(i64, Histogram, i64), String> {
    let mut h = Histogram::default();
    let (mut count_int, mut count_float) = (None::<u64>, None::<f64>);
    let (mut zero_int, mut zero_float) = (None::<u64>, None::<f64>);
    let (mut neg_deltas, mut pos_deltas) = (Vec::new(), Vec::new());
    let (mut neg_counts, mut pos_counts) = (Vec::new(), Vec::new());
    let (mut t, mut st) = (0i64, 0i64);
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => count_int = Some(as_varint(f, "histogram count_int")?),
            2 => count_float = Some(as_double(f, "histogram count_float")?),
            3 => h.sum = as_double(f, "histogram sum")?,
            4 => h.schema = i32::try_from(as_sint64(f, "histogram schema")?).map_err(|_| "histogram schema out of range")?,
            5 => h.zero_threshold = as_double(f, "histogram zero_threshold")?,
            6 => zero_int = Some(as_varint(f, "histogram zero_count_int")?),
            7 => zero_float = Some(as_double(f, "histogram zero_count_float")?),
            8 => h.negative_spans.push(span(as_bytes(f, "histogram negative span")?, "histogram negative span")?),
            9 => push_sint64s(f, &mut neg_deltas, "histogram negative_deltas")?,
            10 => push_doubles(f, &mut neg_counts, "histogram negative_counts")?,
            11 => h.positive_spans.push(span(as_bytes(f, "histogram positive span")?, "histogram positive span")?),
            12 => push_sint64s(f, &mut pos_deltas, "histogram positive_deltas")?,
            13 => push_doubles(f, &mut pos_counts, "histogram positive_counts")?,
            14 => {
                let x = as_varint(f, "histogram reset_hint")?;
                h.hint = u8::try_from(x).ok().and_then(CounterResetHint::from_u8).ok_or_else(|| format!("histogram reset_hint {x} is not 0..3"))?;
            }
            15 => t = as_int64(f, "histogram timestamp")?,
            16 => push_doubles(f, &mut h.custom_values, "histogram custom_values")?,
            17 => st = as_int64(f, "histogram start_timestamp")?,
            _ => {}
        }
    }
    // Proto3 leaves a zero count out, so neither member present means an integer histogram of
    // count 0 (what Prometheus's decoder assumes too).
    h.integer = count_float.is_none();
    if h.integer {
        if zero_float.is_some() || !neg_counts.is_empty() || !pos_counts.is_empty() {
            return Err("integer histogram (count_int) with float counts".into());
        }
        h.count = count_int.unwrap_or(0) as f64;
        h.zero_count = zero_int.unwrap_or(0) as f64;
        h.negative_buckets = absolute(&neg_deltas, "histogram negative buckets")?;
        h.positive_buckets = absolute(&pos_deltas, "histogram positive buckets")?;
    } else {
        if count_int.is_some() || zero_int.is_some() || !neg_deltas.is_empty() || !pos_deltas.is_empty() {
            return Err("float histogram (count_float) with integer counts".into());
        }
        h.count = count_float.unwrap_or(0.0);
        h.zero_count = zero_float.unwrap_or(0.0);
        h.negative_buckets = neg_counts;
        h.positive_buckets = pos_counts;
    }
    // Prometheus 3 takes exponential schemas up to 52 and stores them at 8 at most.
    if h.schema > MAX_SCHEMA && h.schema <= MAX_RESERVED_SCHEMA && !h.uses_custom_buckets() {
        h.validate_layout().map_err(|e| format!("histogram at timestamp {t}: {e}"))?;
        h = h.reduced_to(MAX_SCHEMA);
    }
    h.validate().map_err(|e| format!("histogram at timestamp {t}: {e}"))?;
    Ok((t, h, st))
}
