//! The receiving side of Prometheus's remote-storage protocols, one native call per request:
//! `NativeDb.remoteWrite` decompresses, decodes, validates and appends a whole remote-write body
//! on a worker thread (no per-sample JavaScript); the remote-read functions decode a
//! `ReadRequest` and encode one query's response from a selection's samples (CSR typed arrays).

use crate::{db_of, decode_label_sets, int_millis, js_err};
use node_api::{Env, JsError, JsResult, Value};
use tsdb::remote_decode::read::{decode_read_request, encode_chunked_frames, encode_query_result, DecodedResult, SeriesSamples};
use tsdb::remote_decode::read_chunked::{decode_chunked_response, QueryRange};
use tsdb::remote_decode::{decode_write_request, decompress, ingest, DecompressError, IngestOutcome, Version};

/// Error codes the JavaScript side maps to HTTP statuses: bad data is 400, a body that would
/// decompress past the limit is 413.
const BAD_DATA: &str = "ERR_REMOTE_BAD_DATA";
const TOO_LARGE: &str = "ERR_REMOTE_TOO_LARGE";

fn decompress_err(e: DecompressError) -> JsError {
    match e {
        DecompressError::TooLarge { .. } => JsError::with_code(TOO_LARGE, e.to_string()),
        DecompressError::Corrupt(_) => JsError::with_code(BAD_DATA, e.to_string()),
    }
}

fn max_bytes(env: &Env, v: Value) -> JsResult<usize> {
    let x = env.get_f64(v, "maxDecompressedBytes")?;
    if !(x >= 1.0 && x.is_finite()) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxDecompressedBytes {x} must be a positive number")));
    }
    Ok(x as usize)
}

/// `remoteWrite(body, version, maxDecompressedBytes)`: a promise of the outcome's counts, the
/// first refused sample (or null) and the metadata the request carried.
pub(crate) fn db_remote_write(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let db = db_of(env, ci.this)?;
    // Copied: the work runs on another thread while JavaScript may reuse the buffer.
    let body = env.get_typed::<u8>(ci.arg(0)?, "body")?.to_vec();
    let version = match env.get_u32(ci.arg(1)?, "version")? {
        1 => Version::V1,
        2 => Version::V2,
        v => return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("remote-write version {v} is not 1 or 2"))),
    };
    let max = max_bytes(env, ci.arg(2)?)?;
    env.spawn(
        "promethium.remoteWrite",
        move || {
            let raw = decompress(&body, max).map_err(decompress_err)?;
            drop(body);
            let batch = decode_write_request(&raw, version).map_err(|e| JsError::with_code(BAD_DATA, e))?;
            drop(raw);
            ingest(&db, batch).map_err(js_err)
        },
        outcome_value,
    )
}

fn outcome_value(env: &Env, o: IngestOutcome) -> JsResult<Value> {
    let v = crate::counts(
        env,
        &[
            ("series", o.series as u64),
            ("samplesWritten", o.samples_written),
            ("exemplarsWritten", o.exemplars_written),
            ("histogramsWritten", o.histograms_written),
            ("outOfOrder", o.out_of_order),
            ("duplicate", o.duplicate),
            ("tooOld", o.too_old),
            ("outOfBounds", o.out_of_bounds),
            ("exemplarsRefused", o.exemplars_refused),
        ],
    )?;
    env.set(v, "firstOffender", match &o.first_offender { Some(s) => env.string(s)?, None => env.null()? })?;
    let meta: Vec<Value> = o
        .metadata
        .iter()
        .map(|m| {
            let x = env.object()?;
            env.set(x, "family", env.string(&m.family)?)?;
            env.set(x, "type", env.double(f64::from(m.kind))?)?;
            env.set(x, "help", env.string(&m.help)?)?;
            env.set(x, "unit", env.string(&m.unit)?)?;
            Ok(x)
        })
        .collect::<JsResult<_>>()?;
    env.set(v, "metadata", env.array(&meta)?)?;
    Ok(v)
}

/// `remoteReadDecode(body, maxDecompressedBytes)`: the snappy-compressed `ReadRequest` as
/// `{ queries: [{ startMs, endMs, matchers: [{ type, name, value }], hints }], acceptedResponseTypes }`.
pub(crate) fn remote_read_decode(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let body = env.get_typed::<u8>(ci.arg(0)?, "body")?;
    let raw = decompress(body, max_bytes(env, ci.arg(1)?)?).map_err(decompress_err)?;
    let req = decode_read_request(&raw).map_err(|e| JsError::with_code(BAD_DATA, e))?;
    let queries: Vec<Value> = req
        .queries
        .iter()
        .map(|q| {
            let o = env.object()?;
            env.set(o, "startMs", env.double(q.start_ms as f64)?)?;
            env.set(o, "endMs", env.double(q.end_ms as f64)?)?;
            let ms: Vec<Value> = q
                .matchers
                .iter()
                .map(|m| {
                    let x = env.object()?;
                    env.set(x, "type", env.string(m.kind.operator())?)?;
                    env.set(x, "name", env.string(&m.name)?)?;
                    env.set(x, "value", env.string(&m.value)?)?;
                    Ok(x)
                })
                .collect::<JsResult<_>>()?;
            env.set(o, "matchers", env.array(&ms)?)?;
            match &q.hints {
                None => env.set(o, "hints", env.null()?)?,
                Some(h) => {
                    let x = env.object()?;
                    env.set(x, "stepMs", env.double(h.step_ms as f64)?)?;
                    env.set(x, "func", env.string(&h.func)?)?;
                    env.set(x, "startMs", env.double(h.start_ms as f64)?)?;
                    env.set(x, "endMs", env.double(h.end_ms as f64)?)?;
                    env.set(x, "grouping", env.string_array(&h.grouping)?)?;
                    env.set(x, "by", env.boolean(h.by)?)?;
                    env.set(x, "rangeMs", env.double(h.range_ms as f64)?)?;
                    env.set(o, "hints", x)?;
                }
            }
            Ok(o)
        })
        .collect::<JsResult<_>>()?;
    let o = env.object()?;
    env.set(o, "queries", env.array(&queries)?)?;
    let types: Vec<f64> = req.accepted_response_types.iter().map(|&t| f64::from(t)).collect();
    env.set(o, "acceptedResponseTypes", env.typed(&types)?)?;
    Ok(o)
}

/// Label sets (the label-set buffer), offsets, t and v from arguments `first..first+4`.
fn series_args(env: &Env, ci: &node_api::CallInfo, first: usize) -> JsResult<DecodedResult> {
    Ok(DecodedResult {
        labels: decode_label_sets(env.get_typed::<u8>(ci.arg(first)?, "labelSets")?)?,
        offsets: env.get_typed::<u32>(ci.arg(first + 1)?, "offsets")?.to_vec(),
        t: int_millis(env.get_typed::<f64>(ci.arg(first + 2)?, "t")?, "timestamp")?,
        v: env.get_typed::<f64>(ci.arg(first + 3)?, "v")?.to_vec(),
    })
}

/// `remoteReadEncodeSamples(labelSets, offsets, t, v)`: one `QueryResult` message.
pub(crate) fn remote_read_encode_samples(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let r = series_args(env, ci, 0)?;
    let s = SeriesSamples { labels: &r.labels, offsets: &r.offsets, t: &r.t, v: &r.v };
    let msg = encode_query_result(&s).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e))?;
    env.typed_vec(msg)
}

/// `remoteReadEncodeChunks(labelSets, offsets, t, v, queryIndex, maxFrameBytes)`: the query's
/// `ChunkedReadResponse` frames, ready to be written to the response stream.
pub(crate) fn remote_read_encode_chunks(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let r = series_args(env, ci, 0)?;
    let query_index = env.get_i64(ci.arg(4)?, "queryIndex")?;
    let max_frame = env.get_f64(ci.arg(5)?, "maxFrameBytes")?;
    if !(max_frame >= 1.0 && max_frame.is_finite()) {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxFrameBytes {max_frame} must be a positive number")));
    }
    let s = SeriesSamples { labels: &r.labels, offsets: &r.offsets, t: &r.t, v: &r.v };
    let frames = encode_chunked_frames(&s, query_index, max_frame as usize).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e))?;
    env.typed_vec(frames)
}

/// `remoteReadDecodeResponse(body, maxDecompressedBytes)`: a promise of a snappy-compressed
/// `ReadResponse` as one `{ labelSets, offsets, t, v }` per query result (the remote-read client's
/// side). Decompressing and decoding run on a worker thread, so a large answer does not hold the
/// event loop.
pub(crate) fn remote_read_decode_response(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    // Copied: the work runs on another thread while JavaScript may reuse the buffer.
    let body = env.get_typed::<u8>(ci.arg(0)?, "body")?.to_vec();
    let max = max_bytes(env, ci.arg(1)?)?;
    env.spawn(
        "promethium.remoteReadDecodeResponse",
        move || {
            let raw = decompress(&body, max).map_err(decompress_err)?;
            drop(body);
            tsdb::remote_decode::read::decode_read_response(&raw).map_err(|e| JsError::with_code(BAD_DATA, e))
        },
        decoded_results_value,
    )
}

/// `remoteReadDecodeChunked(body, ranges, maxSamples)`: a promise of a `STREAMED_XOR_CHUNKS` body
/// (all its frames, one buffer) decoded on a worker thread into one `{ labelSets, offsets, t, v }`
/// per query; `ranges` holds each query's start and end (ms) in turn.
pub(crate) fn remote_read_decode_chunked(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let body = env.get_typed::<u8>(ci.arg(0)?, "body")?.to_vec();
    let bounds = int_millis(env.get_typed::<f64>(ci.arg(1)?, "ranges")?, "query range")?;
    if bounds.len() % 2 != 0 {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "ranges must hold a start and an end per query"));
    }
    let ranges: Vec<QueryRange> = bounds.chunks(2).map(|r| QueryRange { start_ms: r[0], end_ms: r[1] }).collect();
    let max_samples = env.get_f64(ci.arg(2)?, "maxSamples")?;
    if max_samples.is_nan() || max_samples < 0.0 {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", format!("maxSamples {max_samples} must not be negative")));
    }
    env.spawn(
        "promethium.remoteReadDecodeChunked",
        move || decode_chunked_response(&body, &ranges, max_samples as usize).map_err(|e| JsError::with_code(BAD_DATA, e)),
        decoded_results_value,
    )
}

fn decoded_results_value(env: &Env, results: Vec<DecodedResult>) -> JsResult<Value> {
    let items: Vec<Value> = results
        .into_iter()
        .map(|r| {
            let o = env.object()?;
            env.set(o, "labelSets", env.typed_vec(crate::encode_label_sets(&r.labels))?)?;
            env.set(o, "offsets", env.typed_vec(r.offsets)?)?;
            env.set(o, "t", env.typed_vec(r.t.into_iter().map(|t| t as f64).collect())?)?;
            env.set(o, "v", env.typed_vec(r.v)?)?;
            Ok(o)
        })
        .collect::<JsResult<_>>()?;
    env.array(&items)
}
