//! Remote read (`POST /api/v1/read`): decoding Prometheus's `ReadRequest` and encoding the two
//! response types it accepts — `SAMPLES` (a `ReadResponse` of `QueryResult`s; the caller
//! snappy-compresses it) and `STREAMED_XOR_CHUNKS` (`ChunkedReadResponse` frames, each a uvarint
//! size, the CRC32 Castagnoli of the message big-endian, then the message, with the samples
//! re-encoded as XOR chunks of at most 120 samples, as Prometheus cuts them).

use crate::protowire::{as_bytes, as_int64, as_str, as_varint, put_uvarint, push_uint32s, Reader, Writer};
use crate::chunkenc::XorAppender;
use crate::encoding::crc32c;
use crate::labels::Labels;

/// `ReadRequest.ResponseType`.
pub const SAMPLES: u32 = 0;
pub const STREAMED_XOR_CHUNKS: u32 = 1;
/// `Chunk.Encoding.XOR`.
const CHUNK_XOR: i64 = 1;
/// Samples per chunk, as Prometheus's head cuts them.
pub const SAMPLES_PER_CHUNK: usize = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchType {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchType {
    pub fn operator(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regex => "=~",
            MatchType::NotRegex => "!~",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadMatcher {
    pub kind: MatchType,
    pub name: String,
    pub value: String,
}

/// `ReadHints`: what the querying engine will do with the data (informational).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadHints {
    pub step_ms: i64,
    pub func: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub grouping: Vec<String>,
    pub by: bool,
    pub range_ms: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadQuery {
    pub start_ms: i64,
    pub end_ms: i64,
    pub matchers: Vec<ReadMatcher>,
    pub hints: Option<ReadHints>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadRequest {
    pub queries: Vec<ReadQuery>,
    pub accepted_response_types: Vec<u32>,
}

/// `ReadRequest { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }`
pub fn decode_read_request(b: &[u8]) -> Result<ReadRequest, String> {
    let mut req = ReadRequest::default();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => {
                let i = req.queries.len();
                req.queries.push(query(as_bytes(f, "query")?).map_err(|e| format!("query {i}: {e}"))?);
            }
            2 => push_uint32s(f, &mut req.accepted_response_types, "accepted_response_types")?,
            _ => {}
        }
    }
    Ok(req)
}

/// `Query { start_timestamp_ms = 1; end_timestamp_ms = 2; matchers = 3; hints = 4; }`
fn query(b: &[u8]) -> Result<ReadQuery, String> {
    let mut q = ReadQuery::default();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => q.start_ms = as_int64(f, "start_timestamp_ms")?,
            2 => q.end_ms = as_int64(f, "end_timestamp_ms")?,
            3 => q.matchers.push(matcher(as_bytes(f, "matcher")?)?),
            4 => q.hints = Some(hints(as_bytes(f, "hints")?)?),
            _ => {}
        }
    }
    Ok(q)
}

/// `LabelMatcher { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2; string value = 3; }`
fn matcher(b: &[u8]) -> Result<ReadMatcher, String> {
    let mut m = ReadMatcher { kind: MatchType::Equal, name: String::new(), value: String::new() };
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => {
                m.kind = match as_varint(f, "matcher type")? {
                    0 => MatchType::Equal,
                    1 => MatchType::NotEqual,
                    2 => MatchType::Regex,
                    3 => MatchType::NotRegex,
                    x => return Err(format!("unknown matcher type {x}")),
                }
            }
            2 => m.name = as_str(f, "matcher name")?.to_string(),
            3 => m.value = as_str(f, "matcher value")?.to_string(),
            _ => {}
        }
    }
    Ok(m)
}

/// `ReadHints { step_ms = 1; func = 2; start_ms = 3; end_ms = 4; grouping = 5; by = 6; range_ms = 7; }`
fn hints(b: &[u8]) -> Result<ReadHints, String> {
    let mut h = ReadHints::default();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => h.step_ms = as_int64(f, "step_ms")?,
            2 => h.func = as_str(f, "func")?.to_string(),
            3 => h.start_ms = as_int64(f, "start_ms")?,
            4 => h.end_ms = as_int64(f, "end_ms")?,
            5 => h.grouping.push(as_str(f, "grouping")?.to_string()),
            6 => h.by = as_varint(f, "by")? != 0,
            7 => h.range_ms = as_int64(f, "range_ms")?,
            _ => {}
        }
    }
    Ok(h)
}

/// Series and their samples in CSR form: series i has samples `offsets[i]..offsets[i+1]`.
pub struct SeriesSamples<'a> {
    pub labels: &'a [Labels],
    pub offsets: &'a [u32],
    pub t: &'a [i64],
    pub v: &'a [f64],
}

impl SeriesSamples<'_> {
    pub fn check(&self) -> Result<(), String> {
        let ok = self.offsets.len() == self.labels.len() + 1 && self.t.len() == self.v.len() && self.offsets.windows(2).all(|w| w[0] <= w[1]) && self.offsets.last().is_some_and(|&e| e as usize <= self.t.len());
        if ok {
            Ok(())
        } else {
            Err("offsets must be one longer than the label sets, non-decreasing, and end within t and v (of equal length)".into())
        }
    }

    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }
}

fn put_labels(w: &mut Writer, l: &Labels) {
    for x in l.iter() {
        w.message(1, |m| {
            m.bytes(1, x.name.as_bytes());
            m.bytes(2, x.value.as_bytes());
        });
    }
}

/// One `QueryResult { repeated TimeSeries timeseries = 1; }` message (not length-prefixed).
pub fn encode_query_result(s: &SeriesSamples<'_>) -> Result<Vec<u8>, String> {
    s.check()?;
    let mut w = Writer::default();
    for (i, l) in s.labels.iter().enumerate() {
        w.message(1, |ts| {
            put_labels(ts, l);
            for k in s.range(i) {
                ts.message(2, |smp| {
                    smp.double(1, s.v[k]);
                    smp.int64(2, s.t[k]);
                });
            }
        });
    }
    Ok(w.buf)
}

/// One series' chunks as encoded `Chunk` messages.
fn chunks_of(t: &[i64], v: &[f64]) -> Vec<Vec<u8>> {
    t.chunks(SAMPLES_PER_CHUNK)
        .zip(v.chunks(SAMPLES_PER_CHUNK))
        .map(|(tc, vc)| {
            let mut app = XorAppender::new();
            for (&ti, &vi) in tc.iter().zip(vc) {
                app.append(ti, vi);
            }
            let mut w = Writer::default();
            w.int64(1, tc[0]);
            w.int64(2, tc[tc.len() - 1]);
            w.int64(3, CHUNK_XOR);
            w.bytes(4, app.bytes());
            w.buf
        })
        .collect()
}

fn push_frame(out: &mut Vec<u8>, series: &[Vec<u8>], query_index: i64) {
    let mut w = Writer::default();
    for s in series {
        w.bytes(1, s);
    }
    w.int64(2, query_index);
    put_uvarint(out, w.buf.len() as u64);
    out.extend_from_slice(&crc32c(&w.buf).to_be_bytes());
    out.extend_from_slice(&w.buf);
}

/// The `ChunkedReadResponse` frames of one query. A frame holds whole series while they fit in
/// `max_frame_bytes`; a series larger than that is split into several `ChunkedSeries` with the
/// same labels (each at least one chunk), as Prometheus does.
pub fn encode_chunked_frames(s: &SeriesSamples<'_>, query_index: i64, max_frame_bytes: usize) -> Result<Vec<u8>, String> {
    s.check()?;
    let mut out = Vec::new();
    let mut frame: Vec<Vec<u8>> = Vec::new();
    let mut frame_bytes = 0usize;
    for (i, l) in s.labels.iter().enumerate() {
        let r = s.range(i);
        if r.is_empty() {
            continue;
        }
        let mut label_part = Writer::default();
        put_labels(&mut label_part, l);
        let mut current = label_part.buf.clone();
        let mut has_chunk = false;
        for c in chunks_of(&s.t[r.clone()], &s.v[r]) {
            let add = 1 + crate::protowire::uvarint_len(c.len() as u64) + c.len();
            if has_chunk && frame_bytes + current.len() + add > max_frame_bytes {
                frame.push(std::mem::replace(&mut current, label_part.buf.clone()));
                push_frame(&mut out, &frame, query_index);
                frame.clear();
                frame_bytes = 0;
            }
            let mut w = Writer { buf: current };
            w.bytes(2, &c);
            current = w.buf;
            has_chunk = true;
        }
        frame_bytes += current.len() + 10;
        frame.push(current);
        if frame_bytes >= max_frame_bytes {
            push_frame(&mut out, &frame, query_index);
            frame.clear();
            frame_bytes = 0;
        }
    }
    if !frame.is_empty() {
        push_frame(&mut out, &frame, query_index);
    }
    Ok(out)
}

/// One query's answer as the client decodes it: series and their samples in CSR form.
#[derive(Debug, Default, PartialEq)]
pub struct DecodedResult {
    pub labels: Vec<Labels>,
    pub offsets: Vec<u32>,
    pub t: Vec<i64>,
    pub v: Vec<f64>,
}

/// A `ReadResponse { repeated QueryResult results = 1; }` (decompressed), for the remote-read
/// client: each result's series with samples sorted by time (as the protocol requires; a series
/// whose samples are not is refused).
pub fn decode_read_response(b: &[u8]) -> Result<Vec<DecodedResult>, String> {
    let mut out = Vec::new();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        if n != 1 {
            continue;
        }
        let mut res = DecodedResult { offsets: vec![0], ..Default::default() };
        let mut rr = Reader::new(as_bytes(f, "result")?);
        while let Some((n, f)) = rr.field()? {
            if n != 1 {
                continue;
            }
            let mut pairs = Vec::new();
            let mut ts = Reader::new(as_bytes(f, "timeseries")?);
            let first = res.t.len();
            while let Some((n, f)) = ts.field()? {
                match n {
                    1 => {
                        let mut lr = Reader::new(as_bytes(f, "label")?);
                        let (mut name, mut value) = ("", "");
                        while let Some((n, f)) = lr.field()? {
                            match n {
                                1 => name = as_str(f, "label name")?,
                                2 => value = as_str(f, "label value")?,
                                _ => {}
                            }
                        }
                        pairs.push((name.to_string(), value.to_string()));
                    }
                    2 => {
                        let (mut t, mut v) = (0i64, 0f64);
                        let mut sr = Reader::new(as_bytes(f, "sample")?);
                        while let Some((n, f)) = sr.field()? {
                            match n {
                                1 => v = crate::protowire::as_double(f, "sample value")?,
                                2 => t = as_int64(f, "sample timestamp")?,
                                _ => {}
                            }
                        }
                        if res.t.len() > first && res.t.last().is_some_and(|&last| last >= t) {
                            return Err(format!("samples of a series are not in increasing time order at {t}"));
                        }
                        res.t.push(t);
                        res.v.push(v);
                    }
                    _ => {}
                }
            }
            res.labels.push(Labels::from_pairs(pairs));
            res.offsets.push(u32::try_from(res.t.len()).map_err(|_| "too many samples".to_string())?);
        }
        out.push(res);
    }
    Ok(out)
}
