//! Native histograms across N-API: one buffer per call in each direction, in the layout of
//! `crates/tsdb/docs/histogram-transport.md` (mirrored by `src/storage/histogram-codec.ts`),
//! plus `NativeDb.appendHistograms` and the selection's histogram reads.

use crate::{db_of, int_millis, js_err, to_f64};
use node_api::{Env, JsError, JsResult, Value};
use tsdb::histogram::{CounterResetHint, Histogram, Span};

const VERSION: u32 = 1;
const BUFFER_HEADER: usize = 8;
const RECORD_FIXED: usize = 56;
const FLAG_INTEGER: u8 = 1;
const FLAG_STALE: u8 = 2;

fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_le_bytes());
}

/// Encodes histograms as one transport buffer.
pub fn encode(hs: &[Histogram]) -> Vec<u8> {
    let size: usize = hs.iter().map(|h| RECORD_FIXED + 8 * (h.positive_spans.len() + h.negative_spans.len() + h.positive_buckets.len() + h.negative_buckets.len() + h.custom_values.len())).sum();
    let mut out = Vec::with_capacity(BUFFER_HEADER + size);
    put_u32(&mut out, hs.len() as u32);
    put_u32(&mut out, VERSION);
    for h in hs {
        out.push(h.hint as u8);
        out.push(if h.integer { FLAG_INTEGER } else { 0 } | if h.is_stale() { FLAG_STALE } else { 0 });
        out.extend_from_slice(&(h.schema as i16).to_le_bytes());
        for n in [h.positive_spans.len(), h.negative_spans.len(), h.positive_buckets.len(), h.negative_buckets.len(), h.custom_values.len()] {
            put_u32(&mut out, n as u32);
        }
        for v in [h.zero_threshold, h.zero_count, h.count, h.sum] {
            put_f64(&mut out, v);
        }
        for s in h.positive_spans.iter().chain(&h.negative_spans) {
            out.extend_from_slice(&s.offset.to_le_bytes());
            put_u32(&mut out, s.length);
        }
        for &v in h.positive_buckets.iter().chain(&h.negative_buckets).chain(&h.custom_values) {
            put_f64(&mut out, v);
        }
    }
    out
}

/// A little-endian reader that names the record and field it fails at.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(|| format!("{what} is past the end of the buffer ({} bytes)", self.b.len()))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    fn f64(&mut self, what: &str) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
}

/// Decodes a transport buffer; errors name the histogram and the field.
pub fn decode(b: &[u8]) -> Result<Vec<Histogram>, String> {
    let mut r = Reader { b, at: 0 };
    let n = r.u32("the histogram count")? as usize;
    let version = r.u32("the version")?;
    if version != VERSION {
        return Err(format!("histogram buffer version {version} is not {VERSION}"));
    }
    // Each histogram takes at least the fixed part: refuse counts the buffer cannot hold
    // before allocating for them.
    if n > (b.len() - BUFFER_HEADER) / RECORD_FIXED {
        return Err(format!("histogram buffer announces {n} histograms but holds {} bytes", b.len()));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let w = |f: &str| format!("histogram {i}: {f}");
        let head = r.take(4, &w("header"))?;
        let (hint, flags, schema) = (head[0], head[1], i16::from_le_bytes([head[2], head[3]]) as i32);
        let hint = CounterResetHint::from_u8(hint).ok_or_else(|| w(&format!("counter-reset hint {hint} is not 0..3")))?;
        let mut lens = [0usize; 5];
        for (k, l) in lens.iter_mut().enumerate() {
            *l = r.u32(&w(["positive span count", "negative span count", "positive bucket count", "negative bucket count", "custom value count"][k]))? as usize;
        }
        let [nps, nns, npb, nnb, ncv] = lens;
        let [zero_threshold, zero_count, count, sum] = [r.f64(&w("zero threshold"))?, r.f64(&w("zero count"))?, r.f64(&w("count"))?, r.f64(&w("sum"))?];
        let mut spans = |k: usize| -> Result<Vec<Span>, String> {
            let raw = r.take(k.checked_mul(8).ok_or_else(|| w("span count too large"))?, &w("spans"))?;
            Ok(raw.chunks_exact(8).map(|c| Span { offset: i32::from_le_bytes(c[..4].try_into().expect("4")), length: u32::from_le_bytes(c[4..].try_into().expect("4")) }).collect())
        };
        let (positive_spans, negative_spans) = (spans(nps)?, spans(nns)?);
        let mut floats = |k: usize, f: &str| -> Result<Vec<f64>, String> {
            let raw = r.take(k.checked_mul(8).ok_or_else(|| w(f))?, &w(f))?;
            Ok(raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8"))).collect())
        };
        let positive_buckets = floats(npb, "positive buckets")?;
        let negative_buckets = floats(nnb, "negative buckets")?;
        let custom_values = floats(ncv, "custom values")?;
        let integer = flags & FLAG_INTEGER != 0;
        if flags & FLAG_STALE != 0 {
            out.push(Histogram { hint, ..Histogram::stale_marker(integer) });
            continue;
        }
        out.push(Histogram { hint, schema, zero_threshold, zero_count, count, sum, positive_spans, positive_buckets, negative_spans, negative_buckets, custom_values, integer });
    }
    if r.at != b.len() {
        return Err(format!("histogram buffer has {} bytes after its {n} histograms", b.len() - r.at));
    }
    Ok(out)
}

/// `appendHistograms(refs, timestamps, histograms, startTimestamps?)`: histogram i belongs to
/// series refs[i]; its start timestamp (0 = none) is startTimestamps[i].
pub(crate) fn db_append_histograms(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    let refs = env.get_typed::<u32>(ci.arg(0)?, "refs")?;
    let ts = int_millis(env.get_typed::<f64>(ci.arg(1)?, "timestamps")?, "timestamp")?;
    let hs = decode(env.get_typed::<u8>(ci.arg(2)?, "histograms")?).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e))?;
    let sts = crate::start_timestamps(env, ci, 3)?;
    let st = db.append_histograms(refs, &ts, &hs, sts.as_deref()).map_err(js_err)?;
    crate::append_counts(env, st)
}

/// `histogramSamples()`: `{ offsets, t, starts, histograms }`, series i at
/// offsets[i]..offsets[i+1]; `starts` are the samples' start timestamps (0 = none). Null when
/// no series has a histogram sample.
pub(crate) fn sel_histogram_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = crate::selection_of(env, ci.this)?;
    let csr = s.histogram_samples().map_err(js_err)?;
    // Most selections hold floats only: null says so without building four empty arrays and
    // their object, which cost several times the call itself on a server idle between queries.
    if csr.t.is_empty() {
        return env.null();
    }
    let o = env.object()?;
    env.set(o, "offsets", env.typed_vec(csr.offsets)?)?;
    env.set(o, "t", env.typed_vec(to_f64(&csr.t))?)?;
    env.set(o, "starts", env.typed_vec(to_f64(&csr.st))?)?;
    env.set(o, "histograms", env.typed_vec(encode(&csr.h))?)?;
    Ok(o)
}

/// `instantHistograms(start, end, step, lookback)`: `{ index, timestamps, histograms }`.
pub(crate) fn sel_instant_histograms(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = crate::selection_of(env, ci.this)?;
    let steps = crate::steps_of(env, ci, 0)?;
    let lookback = env.get_i64(ci.arg(3)?, "lookback")?;
    let ih = s.instant_histograms(&steps, lookback).map_err(js_err)?;
    let o = env.object()?;
    env.set(o, "index", env.typed_vec(ih.index)?)?;
    env.set(o, "timestamps", env.typed_vec(to_f64(&ih.timestamps))?)?;
    env.set(o, "histograms", env.typed_vec(encode(&ih.h))?)?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_round_trip_and_bad_ones_say_where() {
        let h = Histogram { hint: CounterResetHint::Gauge, schema: -53, zero_threshold: 0.0, zero_count: 0.0, count: 5.0, sum: 2.5, positive_spans: vec![Span { offset: -1, length: 2 }], positive_buckets: vec![2.0, 3.0], negative_spans: vec![], negative_buckets: vec![], custom_values: vec![1.0, 2.0], integer: true };
        let hs = vec![h.clone(), Histogram::stale_marker(false), Histogram { schema: -4, ..h }];
        let b = encode(&hs);
        assert_eq!(decode(&b).unwrap(), hs);
        assert!(decode(&b[..b.len() - 1]).unwrap_err().contains("histogram 2: custom values"));
        let mut extra = b.clone();
        extra.extend_from_slice(&[0; 8]);
        assert!(decode(&extra).unwrap_err().contains("after its 3"));
        let mut huge = b.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge).unwrap_err().contains("announces"));
    }
}
