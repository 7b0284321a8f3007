//! The remote-read client's side of `STREAMED_XOR_CHUNKS`: a response body of
//! `ChunkedReadResponse` frames (uvarint message size, CRC32 Castagnoli of the message as four
//! big-endian bytes, the message) decoded into one `DecodedResult` per query. XOR chunks are
//! decoded with the TSDB's own chunk iterator; samples outside the query's range are dropped, as
//! Prometheus's chunked series iterator does, and a series split over several frames (same labels,
//! one after the other) becomes one series again.

use super::read::DecodedResult;
use crate::protowire::{as_bytes, as_int64, as_str, as_varint, Reader};
use crate::chunkenc::XorIterator;
use crate::encoding::crc32c;
use crate::labels::Labels;

/// Prometheus's bound on one frame's message (its `DefaultChunkedReadLimit`, 50 MB).
pub const MAX_FRAME_BYTES: usize = 50 * 1024 * 1024;

/// `Chunk.Encoding`: only XOR chunks carry float samples; histogram chunks (2, 3) are skipped as
/// the SAMPLES decoder skips `TimeSeries.histograms`.
const CHUNK_XOR: u64 = 1;
const CHUNK_HISTOGRAM: u64 = 2;
const CHUNK_FLOAT_HISTOGRAM: u64 = 3;

/// One query's time range, to filter the chunks' samples (`[start_ms, end_ms]`, both included).
#[derive(Clone, Copy, Debug)]
pub struct QueryRange {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Decodes a whole streamed response. `ranges` has one entry per query of the request (a frame
/// naming another query index is refused); at most `max_samples` samples are kept in all.
pub fn decode_chunked_response(body: &[u8], ranges: &[QueryRange], max_samples: usize) -> Result<Vec<DecodedResult>, String> {
    let mut out: Vec<DecodedResult> = ranges.iter().map(|_| DecodedResult { offsets: vec![0], ..Default::default() }).collect();
    let mut total = 0usize;
    let mut pos = 0usize;
    let mut frame_no = 0usize;
    while pos < body.len() {
        let mut r = Reader::new(&body[pos..]);
        let size = r.varint().map_err(|e| format!("frame {frame_no}: size: {e}"))?;
        let head = crate::protowire::uvarint_len(size);
        if size > MAX_FRAME_BYTES as u64 {
            return Err(format!("frame {frame_no}: message of {size} bytes exceeds the frame limit of {MAX_FRAME_BYTES} bytes"));
        }
        let size = size as usize;
        let msg_at = pos + head + 4;
        if msg_at + size > body.len() {
            return Err(format!("frame {frame_no}: cut short: {size} bytes announced, {} left", body.len().saturating_sub(msg_at)));
        }
        let want = u32::from_be_bytes(body[pos + head..msg_at].try_into().expect("four bytes"));
        let msg = &body[msg_at..msg_at + size];
        let got = crc32c(msg);
        if got != want {
            return Err(format!("frame {frame_no}: checksum mismatch (expected {want:08x}, got {got:08x})"));
        }
        frame(msg, ranges, &mut out, &mut total, max_samples).map_err(|e| format!("frame {frame_no}: {e}"))?;
        pos = msg_at + size;
        frame_no += 1;
    }
    out.iter_mut().for_each(drop_empty_series);
    Ok(out)
}

/// Series none of whose samples fell in the query's range are left out, as a local selection
/// leaves them out.
fn drop_empty_series(r: &mut DecodedResult) {
    let mut keep = 0;
    for i in 0..r.labels.len() {
        if r.offsets[i + 1] > r.offsets[i] {
            r.labels.swap(keep, i);
            r.offsets[keep + 1] = r.offsets[i + 1];
            keep += 1;
        }
    }
    r.labels.truncate(keep);
    r.offsets.truncate(keep + 1);
}

/// `ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }`
fn frame(msg: &[u8], ranges: &[QueryRange], out: &mut [DecodedResult], total: &mut usize, max_samples: usize) -> Result<(), String> {
    let mut series = Vec::new();
    let mut query_index = 0i64;
    let mut r = Reader::new(msg);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => series.push(as_bytes(f, "chunked_series")?),
            2 => query_index = as_int64(f, "query_index")?,
            _ => {}
        }
    }
    let qi = usize::try_from(query_index).ok().filter(|&i| i < ranges.len()).ok_or_else(|| format!("query_index {query_index} is not one of the {} queries asked", ranges.len()))?;
    let res = &mut out[qi];
    for s in series {
        chunked_series(s, ranges[qi], res, total, max_samples)?;
    }
    Ok(())
}

/// `ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }`
fn chunked_series(b: &[u8], range: QueryRange, res: &mut DecodedResult, total: &mut usize, max_samples: usize) -> Result<(), String> {
    let mut pairs = Vec::new();
    let mut chunks = Vec::new();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => pairs.push(label(as_bytes(f, "label")?)?),
            2 => chunks.push(as_bytes(f, "chunk")?),
            _ => {}
        }
    }
    let labels = Labels::from_pairs(pairs);
    // The continuation of the previous series (split because it did not fit in one frame).
    let continues = res.labels.last() == Some(&labels);
    if !continues {
        res.labels.push(labels);
        res.offsets.push(res.t.len() as u32);
    }
    let first = res.offsets[res.offsets.len() - 2] as usize;
    for c in chunks {
        let Some(data) = xor_chunk(c)? else { continue };
        let mut it = XorIterator::new(data);
        for (t, v) in it.by_ref() {
            if t < range.start_ms || t > range.end_ms {
                continue;
            }
            // Overlapping chunks: the first sample of a timestamp is kept.
            if res.t.len() > first && res.t[res.t.len() - 1] >= t {
                continue;
            }
            *total += 1;
            if *total > max_samples {
                return Err(format!("the response holds more than {max_samples} samples"));
            }
            res.t.push(t);
            res.v.push(v);
        }
        if let Some(e) = it.error() {
            return Err(format!("series {}: {e}", res.labels.len() - 1));
        }
    }
    let end = u32::try_from(res.t.len()).map_err(|_| "too many samples".to_string())?;
    *res.offsets.last_mut().expect("offsets start with 0") = end;
    Ok(())
}

fn label(b: &[u8]) -> Result<(String, String), String> {
    let (mut name, mut value) = ("", "");
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => name = as_str(f, "label name")?,
            2 => value = as_str(f, "label value")?,
            _ => {}
        }
    }
    Ok((name.to_string(), value.to_string()))
}

/// `Chunk { int64 min_time_ms = 1; int64 max_time_ms = 2; Encoding type = 3; bytes data = 4; }`:
/// the data of an XOR chunk, None for a histogram chunk.
fn xor_chunk(b: &[u8]) -> Result<Option<&[u8]>, String> {
    let mut kind = 0u64;
    let mut data: &[u8] = &[];
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            3 => kind = as_varint(f, "chunk type")?,
            4 => data = as_bytes(f, "chunk data")?,
            _ => {}
        }
    }
    match kind {
        CHUNK_XOR => Ok(Some(data)),
        CHUNK_HISTOGRAM | CHUNK_FLOAT_HISTOGRAM => Ok(None),
        k => Err(format!("unknown chunk encoding {k}")),
    }
}
