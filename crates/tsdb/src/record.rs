//! WAL records: the typed payloads the write-ahead log carries (series, samples, tombstones,
//! exemplars) and their binary encoding, Prometheus's `tsdb/record` package. How records are
//! framed into pages and segments is in `wal`; `crates/tsdb/docs/wal.md` specifies both.

use crate::encoding::{put_be64, put_uvarint, put_varint, Decbuf};
use crate::exemplars::Exemplar;
use crate::labels::Labels;

mod histograms;
pub use histograms::{encode_histograms, RefHistogramSample};

pub const REC_SERIES: u8 = 1;
pub const REC_SAMPLES: u8 = 2;
pub const REC_TOMBSTONES: u8 = 3;
pub const REC_EXEMPLARS: u8 = 4;
/// Integer native histograms with exponential buckets.
pub const REC_HISTOGRAMS: u8 = 7;
/// Float native histograms with exponential buckets.
pub const REC_FLOAT_HISTOGRAMS: u8 = 8;
/// Integer native histograms with custom buckets (NHCB).
pub const REC_CUSTOM_HISTOGRAMS: u8 = 9;
/// Float native histograms with custom buckets.
pub const REC_CUSTOM_FLOAT_HISTOGRAMS: u8 = 10;
/// Samples with an optional start timestamp each (Prometheus 3.11's SamplesV2).
pub const REC_SAMPLES_V2: u8 = 11;
/// Integer native histograms (either bucket kind) with an optional start timestamp each.
pub const REC_HISTOGRAMS_V2: u8 = 12;
/// Float native histograms (either bucket kind) with an optional start timestamp each.
pub const REC_FLOAT_HISTOGRAMS_V2: u8 = 13;

/// Start-timestamp markers of a SamplesV2 record.
const ST_NONE: u8 = 0;
const ST_SAME: u8 = 1;
const ST_EXPLICIT: u8 = 2;

/// One sample of a WAL record; `st` 0 = no start timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefSample {
    pub r: u64,
    pub st: i64,
    pub t: i64,
    pub v: f64,
}

/// A decoded WAL record (the kinds we write; others are skipped on replay).
#[derive(Debug, PartialEq)]
pub enum Record {
    Series(Vec<(u64, Labels)>),
    Samples(Vec<RefSample>),
    /// (series ref, mint, maxt) deletion intervals.
    Tombstones(Vec<(u64, i64, i64)>),
    /// (series ref, exemplar).
    Exemplars(Vec<(u64, Exemplar)>),
    /// Native-histogram samples (record types 7 to 10, 12 and 13).
    Histograms(Vec<RefHistogramSample>),
    /// A record type we do not use (exemplars, histograms, metadata...).
    Other(u8),
}

fn put_labels(out: &mut Vec<u8>, labels: &Labels) {
    put_uvarint(out, labels.len() as u64);
    for l in labels.iter() {
        put_uvarint(out, l.name.len() as u64);
        out.extend_from_slice(l.name.as_bytes());
        put_uvarint(out, l.value.len() as u64);
        out.extend_from_slice(l.value.as_bytes());
    }
}

fn read_labels(d: &mut Decbuf<'_>) -> Option<Labels> {
    let mut pairs = Vec::new();
    read_pairs(d, &mut pairs)?;
    Some(Labels::from_pairs(pairs))
}

/// Reads a label set's pairs as the record holds them (borrowed, in the record's order) into
/// `pairs`, which is cleared first.
fn read_pairs<'a>(d: &mut Decbuf<'a>, pairs: &mut Vec<(&'a str, &'a str)>) -> Option<()> {
    pairs.clear();
    let n = d.uvarint()?;
    for _ in 0..n {
        let name = d.uvarint_str()?;
        let value = d.uvarint_str()?;
        pairs.push((name, value));
    }
    Some(())
}

/// The entries of a series record read in place: no string or label set is allocated per
/// series. The WAL replay creates a million series from such records after a restart at 1M
/// series, and allocating two strings per label there (on the reading thread, freed on the
/// applying one) was 40% of the replay's CPU.
pub struct SeriesReader<'a> {
    d: Decbuf<'a>,
}

impl<'a> SeriesReader<'a> {
    /// None: `rec` is not a series record.
    pub fn new(rec: &'a [u8]) -> Option<SeriesReader<'a>> {
        if rec.first() != Some(&REC_SERIES) {
            return None;
        }
        let mut d = Decbuf::new(rec);
        d.pos = 1;
        Some(SeriesReader { d })
    }

    /// The next series: fills `pairs` with its label pairs (as logged: a well-formed record has
    /// them sorted, see `labels::is_canonical`) and returns its ref and the entry's bytes (the
    /// ref and the labels, as `encode_series` writes them). None at the record's end.
    pub fn next_into(&mut self, pairs: &mut Vec<(&'a str, &'a str)>) -> Option<std::result::Result<(u64, &'a [u8]), String>> {
        if self.d.remaining() == 0 {
            return None;
        }
        let start = self.d.pos;
        let read = (|| {
            let r = self.d.be64()?;
            read_pairs(&mut self.d, pairs)?;
            Some(r)
        })();
        Some(match read {
            Some(r) => Ok((r, self.d.read_since(start))),
            None => Err("truncated or invalid series record".to_string()),
        })
    }

    /// Reads every entry, for a record to be applied later from its bytes: its first error.
    pub fn check(mut self) -> std::result::Result<(), String> {
        let mut pairs = Vec::new();
        while let Some(entry) = self.next_into(&mut pairs) {
            entry?;
        }
        Ok(())
    }
}

pub fn encode_series(out: &mut Vec<u8>, series: &[(u64, &Labels)]) {
    out.push(REC_SERIES);
    for (r, labels) in series {
        put_be64(out, *r);
        put_labels(out, labels);
    }
}

/// Exemplars as Prometheus encodes them: the first ref and time in full, then per exemplar the
/// deltas to them, the value and the exemplar's labels.
pub fn encode_exemplars(out: &mut Vec<u8>, exemplars: &[(u64, &Exemplar)]) {
    out.push(REC_EXEMPLARS);
    let Some(&(fr, first)) = exemplars.first() else { return };
    put_be64(out, fr);
    put_be64(out, first.t as u64);
    for &(r, e) in exemplars {
        put_varint(out, r as i64 - fr as i64);
        put_varint(out, e.t.wrapping_sub(first.t));
        put_be64(out, e.value.to_bits());
        put_labels(out, &e.labels);
    }
}

/// Samples as Prometheus encodes them. Without start timestamps: the classic record (first ref
/// and time in full, then deltas to them), which every Prometheus replays; with any: SamplesV2
/// (varints, ref delta to the previous sample, time delta to the first, a start-timestamp marker).
pub fn encode_samples<I: Iterator<Item = RefSample> + Clone>(out: &mut Vec<u8>, samples: I) {
    if samples.clone().any(|s| s.st != 0) {
        return encode_samples_v2(out, samples);
    }
    out.push(REC_SAMPLES);
    let mut samples = samples.peekable();
    let Some(&first) = samples.peek() else { return };
    put_be64(out, first.r);
    put_be64(out, first.t as u64);
    for s in samples {
        put_varint(out, s.r as i64 - first.r as i64);
        put_varint(out, s.t.wrapping_sub(first.t));
        put_be64(out, s.v.to_bits());
    }
}

fn encode_samples_v2(out: &mut Vec<u8>, mut samples: impl Iterator<Item = RefSample>) {
    out.push(REC_SAMPLES_V2);
    let Some(first) = samples.next() else { return };
    put_varint(out, first.r as i64);
    put_varint(out, first.t);
    put_varint(out, first.st);
    put_be64(out, first.v.to_bits());
    let mut prev = first;
    for s in samples {
        put_varint(out, (s.r as i64).wrapping_sub(prev.r as i64));
        put_varint(out, s.t.wrapping_sub(first.t));
        put_st_marker(out, s.st, first.st, prev.st);
        put_be64(out, s.v.to_bits());
        prev = s;
    }
}

/// A later sample's start timestamp in a V2 record: none, the previous sample's, or the
/// difference to the first sample's.
fn put_st_marker(out: &mut Vec<u8>, st: i64, first_st: i64, prev_st: i64) {
    if st == 0 {
        out.push(ST_NONE);
    } else if st == prev_st {
        out.push(ST_SAME);
    } else {
        out.push(ST_EXPLICIT);
        put_varint(out, st.wrapping_sub(first_st));
    }
}

fn read_st_marker(d: &mut Decbuf<'_>, prev_st: i64, first_st: i64) -> std::result::Result<i64, String> {
    match d.byte().ok_or("truncated start-timestamp marker")? {
        ST_NONE => Ok(0),
        ST_SAME => Ok(prev_st),
        ST_EXPLICIT => Ok(first_st.wrapping_add(d.varint().ok_or("truncated start timestamp")?)),
        m => Err(format!("invalid start-timestamp marker {m}")),
    }
}

pub fn encode_tombstones(out: &mut Vec<u8>, stones: &[(u64, i64, i64)]) {
    out.push(REC_TOMBSTONES);
    for &(r, mint, maxt) in stones {
        put_be64(out, r);
        put_varint(out, mint);
        put_varint(out, maxt);
    }
}

pub fn decode(rec: &[u8]) -> std::result::Result<Record, String> {
    let mut d = Decbuf::new(rec);
    let typ = d.byte().ok_or("empty record")?;
    let bad = |what: &str| format!("truncated or invalid {what} record");
    match typ {
        REC_SERIES => {
            let mut out = Vec::new();
            let mut entries = SeriesReader { d };
            let mut pairs = Vec::new();
            while let Some(entry) = entries.next_into(&mut pairs) {
                out.push((entry?.0, Labels::from_pairs(pairs.iter().copied())));
            }
            Ok(Record::Series(out))
        }
        REC_SAMPLES => {
            let mut out = Vec::new();
            if d.remaining() == 0 {
                return Ok(Record::Samples(out));
            }
            let fr = d.be64().ok_or_else(|| bad("samples"))?;
            let ft = d.be64().ok_or_else(|| bad("samples"))? as i64;
            while d.remaining() > 0 {
                let dr = d.varint().ok_or_else(|| bad("samples"))?;
                let dt = d.varint().ok_or_else(|| bad("samples"))?;
                let v = f64::from_bits(d.be64().ok_or_else(|| bad("samples"))?);
                out.push(RefSample { r: (fr as i64).wrapping_add(dr) as u64, st: 0, t: ft.wrapping_add(dt), v });
            }
            Ok(Record::Samples(out))
        }
        REC_SAMPLES_V2 => {
            let mut out: Vec<RefSample> = Vec::new();
            let (mut first_t, mut first_st) = (0i64, 0i64);
            while d.remaining() > 0 {
                let s = match out.last() {
                    None => {
                        let r = d.varint().ok_or_else(|| bad("samples"))? as u64;
                        first_t = d.varint().ok_or_else(|| bad("samples"))?;
                        first_st = d.varint().ok_or_else(|| bad("samples"))?;
                        RefSample { r, st: first_st, t: first_t, v: 0.0 }
                    }
                    Some(prev) => {
                        let r = (prev.r as i64).wrapping_add(d.varint().ok_or_else(|| bad("samples"))?) as u64;
                        let t = first_t.wrapping_add(d.varint().ok_or_else(|| bad("samples"))?);
                        let st = read_st_marker(&mut d, prev.st, first_st).map_err(|e| format!("{e} in samples record"))?;
                        RefSample { r, st, t, v: 0.0 }
                    }
                };
                let v = f64::from_bits(d.be64().ok_or_else(|| bad("samples"))?);
                out.push(RefSample { v, ..s });
            }
            Ok(Record::Samples(out))
        }
        REC_EXEMPLARS => {
            let mut out = Vec::new();
            if d.remaining() == 0 {
                return Ok(Record::Exemplars(out));
            }
            let fr = d.be64().ok_or_else(|| bad("exemplars"))?;
            let ft = d.be64().ok_or_else(|| bad("exemplars"))? as i64;
            while d.remaining() > 0 {
                let dr = d.varint().ok_or_else(|| bad("exemplars"))?;
                let dt = d.varint().ok_or_else(|| bad("exemplars"))?;
                let value = f64::from_bits(d.be64().ok_or_else(|| bad("exemplars"))?);
                let labels = read_labels(&mut d).ok_or_else(|| bad("exemplars"))?;
                out.push(((fr as i64).wrapping_add(dr) as u64, Exemplar { labels, value, t: ft.wrapping_add(dt) }));
            }
            Ok(Record::Exemplars(out))
        }
        REC_TOMBSTONES => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                let r = d.be64().ok_or_else(|| bad("tombstones"))?;
                let mint = d.varint().ok_or_else(|| bad("tombstones"))?;
                let maxt = d.varint().ok_or_else(|| bad("tombstones"))?;
                out.push((r, mint, maxt));
            }
            Ok(Record::Tombstones(out))
        }
        REC_HISTOGRAMS..=REC_CUSTOM_FLOAT_HISTOGRAMS => histograms::decode_histograms(typ, &mut d).map(Record::Histograms).ok_or_else(|| bad("histogram samples")),
        REC_HISTOGRAMS_V2 | REC_FLOAT_HISTOGRAMS_V2 => histograms::decode_histograms_v2(typ, &mut d).map(Record::Histograms),
        other => Ok(Record::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_encodings_round_trip() {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "x")]);
        let mut b = Vec::new();
        encode_series(&mut b, &[(7, &l)]);
        assert_eq!(decode(&b), Ok(Record::Series(vec![(7, l)])));
        let rs = |r: u64, st: i64, t: i64, v: f64| RefSample { r, st, t, v };
        let plain = vec![rs(5, 0, 1000, 1.5), rs(3, 0, 900, f64::INFINITY), rs(9, 0, 2000, -0.0)];
        let with_st = vec![rs(5, 400, 1000, 1.5), rs(3, 400, 900, 2.0), rs(9, 0, 2000, -0.0), rs(9, 1999, 2001, 1.0), rs(2, -7, 3000, 1.0)];
        for (samples, typ) in [(plain, REC_SAMPLES), (with_st, REC_SAMPLES_V2)] {
            b.clear();
            encode_samples(&mut b, samples.iter().copied());
            assert_eq!(b[0], typ, "start timestamps choose the record type");
            match decode(&b).unwrap() {
                Record::Samples(got) => {
                    assert_eq!(got.len(), samples.len());
                    for (a, e) in got.iter().zip(&samples) {
                        assert_eq!((a.r, a.st, a.t, a.v.to_bits()), (e.r, e.st, e.t, e.v.to_bits()));
                    }
                }
                other => panic!("{other:?}"),
            }
        }
        b.clear();
        let e1 = Exemplar { labels: Labels::from_pairs([("trace_id", "abc")]), value: 1.5, t: 1000 };
        let e2 = Exemplar { labels: Labels::from_pairs([("span", "x"), ("trace_id", "d")]), value: -2.0, t: 900 };
        encode_exemplars(&mut b, &[(5, &e1), (3, &e2)]);
        assert_eq!(decode(&b), Ok(Record::Exemplars(vec![(5, e1), (3, e2)])));
        b.clear();
        encode_tombstones(&mut b, &[(1, -5, 10)]);
        assert_eq!(decode(&b), Ok(Record::Tombstones(vec![(1, -5, 10)])));
        assert!(decode(&[REC_SAMPLES, 0, 0, 0]).is_err());
    }
}
