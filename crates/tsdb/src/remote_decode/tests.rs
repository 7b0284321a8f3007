//! Decoder and encoder tests: every refusal of a write request, both protocol versions, the
//! snappy-bomb check, appending with out-of-order reporting, and remote read's encodings.

use super::read::{decode_read_request, encode_chunked_frames, encode_query_result, MatchType, SeriesSamples};
use crate::protowire::{Field, Reader, Writer};
use super::*;
use crate::chunkenc::XorIterator;
use crate::db::{Db, Options};
use crate::labels::Labels;
use std::path::PathBuf;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-remote-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn label(w: &mut Writer, n: &str, v: &str) {
    w.message(1, |l| {
        l.bytes(1, n.as_bytes());
        l.bytes(2, v.as_bytes());
    });
}

/// A 1.0 `TimeSeries` with the given label pairs (in the given order) and samples.
fn v1_series(w: &mut Writer, labels: &[(&str, &str)], samples: &[(i64, f64)]) {
    w.message(1, |ts| {
        for (n, v) in labels {
            label(ts, n, v);
        }
        for &(t, v) in samples {
            ts.message(2, |s| {
                s.double(1, v);
                s.int64(2, t);
            });
        }
    });
}

fn v1_error(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> String {
    let mut w = Writer::default();
    v1_series(&mut w, labels, samples);
    decode_write_request(&w.buf, Version::V1).unwrap_err()
}

#[test]
fn v1_request_with_exemplars_and_metadata() {
    let mut w = Writer::default();
    w.message(1, |ts| {
        label(ts, "__name__", "up");
        label(ts, "empty", "");
        label(ts, "job", "a");
        ts.message(2, |s| {
            s.double(1, 1.0);
            s.int64(2, 1000);
        });
        ts.message(3, |e| {
            label(e, "trace_id", "abc");
            e.double(2, 0.5);
            e.int64(3, 1000);
        });
    });
    w.message(3, |m| {
        m.int64(1, 1);
        m.bytes(2, b"http_requests");
        m.bytes(4, b"Requests.");
        m.bytes(5, b"");
    });
    let b = decode_write_request(&w.buf, Version::V1).unwrap();
    assert_eq!(b.series.len(), 1);
    assert_eq!(b.series[0].labels, Labels::from_pairs([("__name__", "up"), ("job", "a")]));
    assert_eq!(b.series[0].samples, vec![(1000, 1.0)]);
    assert_eq!(b.series[0].exemplars[0].labels, Labels::from_pairs([("trace_id", "abc")]));
    assert_eq!(b.metadata, vec![Metadata { family: "http_requests".into(), kind: 1, help: "Requests.".into(), unit: String::new() }]);
}

#[test]
fn v1_refusals_name_the_series_and_reason() {
    assert!(v1_error(&[("job", "a"), ("__name__", "up")], &[]).contains("labels not sorted"));
    assert!(v1_error(&[("__name__", "up"), ("job", "a"), ("job", "b")], &[]).contains("duplicate label name \"job\""));
    assert!(v1_error(&[("job", "a")], &[]).contains("missing metric name"));
    assert!(v1_error(&[("", "x"), ("__name__", "up")], &[]).contains("empty label name"));
    assert!(v1_error(&[("__name__", "up")], &[(i64::MAX, 1.0)]).contains("outside the representable range"));
    assert!(v1_error(&[("__name__", "up")], &[(i64::MIN, 1.0)]).contains("outside the representable range"));
    let mut w = Writer::default();
    v1_series(&mut w, &[("__name__", "ok")], &[(1, 1.0)]);
    v1_series(&mut w, &[("job", "a")], &[(1, 1.0)]);
    let e = decode_write_request(&w.buf, Version::V1).unwrap_err();
    assert!(e.starts_with("series 1: missing metric name"), "{e}");
    // Invalid UTF-8 in a label value, a truncated body, a wrong wire type.
    let mut w = Writer::default();
    w.message(1, |ts| ts.message(1, |l| {
        l.bytes(1, b"__name__");
        l.bytes(2, &[0xff, 0xfe]);
    }));
    assert!(decode_write_request(&w.buf, Version::V1).unwrap_err().contains("invalid UTF-8"));
    assert!(decode_write_request(&[0x0a, 0x10, 0x0a], Version::V1).unwrap_err().contains("past the end"));
    assert!(decode_write_request(&[0x08, 0x01], Version::V1).unwrap_err().contains("expected a length-delimited"));
}

/// A series of a 2.0 test request: label refs, samples, created timestamp.
type SeriesSpec<'a> = (&'a [u32], &'a [(i64, f64)], i64);

/// A 2.0 request: symbols, then series.
fn v2_request(symbols: &[&str], series: &[SeriesSpec<'_>]) -> Vec<u8> {
    let mut w = Writer::default();
    for s in symbols {
        w.bytes(4, s.as_bytes());
    }
    for (refs, samples, created) in series {
        w.message(5, |ts| {
            let mut packed = Vec::new();
            for &r in *refs {
                crate::protowire::put_uvarint(&mut packed, u64::from(r));
            }
            ts.bytes(1, &packed);
            for &(t, v) in *samples {
                ts.message(2, |s| {
                    s.double(1, v);
                    s.int64(2, t);
                });
            }
            ts.int64(6, *created);
        });
    }
    w.buf
}

#[test]
fn v2_symbols_metadata_and_created_timestamp() {
    let mut body = v2_request(&["", "__name__", "c_total", "job", "a", "Help text."], &[(&[1, 2, 3, 4], &[(2000, 3.0)], 1500)]);
    // A second series message for the same labels carrying Metadata { type = COUNTER, help_ref = 5 }.
    let mut w = Writer { buf: std::mem::take(&mut body) };
    w.message(5, |ts| {
        ts.bytes(1, &[1, 2, 3, 4]);
        ts.message(2, |s| s.int64(2, 3000));
        ts.message(5, |m| {
            m.int64(1, 1);
            m.int64(3, 5);
        });
    });
    let b = decode_write_request(&w.buf, Version::V2).unwrap();
    assert_eq!(b.series[0].labels, Labels::from_pairs([("__name__", "c_total"), ("job", "a")]));
    assert_eq!(b.series[0].start_ms, 1500);
    assert_eq!(b.series[1].samples, vec![(3000, 0.0)]);
    assert_eq!(b.metadata, vec![Metadata { family: "c_total".into(), kind: 1, help: "Help text.".into(), unit: String::new() }]);
}

#[test]
fn v2_refusals() {
    let e = |b: Vec<u8>| decode_write_request(&b, Version::V2).unwrap_err();
    assert!(e(v2_request(&["", "__name__", "x"], &[(&[1, 9], &[(1, 1.0)], 0)])).contains("symbol reference 9 out of range"));
    assert!(e(v2_request(&["", "__name__", "x"], &[(&[1, 2, 1], &[(1, 1.0)], 0)])).contains("odd number of label references"));
    assert!(e(v2_request(&["x", "__name__"], &[(&[1, 0], &[(1, 1.0)], 0)])).contains("must start with the empty string"));
    assert!(e(v2_request(&["", "__name__", "x"], &[(&[], &[(1, 1.0)], 0)])).contains("no label references"));
    assert!(e(v2_request(&["", "b", "x", "a"], &[(&[1, 2, 3, 2], &[(1, 1.0)], 0)])).contains("labels not sorted"));
    assert!(e(v2_request(&["", "job", "x"], &[(&[1, 2], &[(1, 1.0)], 0)])).contains("missing metric name"));
    assert!(e(v2_request(&["", "__name__", "x"], &[(&[1, 2], &[(1, 1.0)], i64::MAX)])).contains("created timestamp"));
}

#[test]
fn snappy_bomb_is_refused_from_the_header() {
    // A header declaring 1 GiB and almost no data.
    let mut body = Vec::new();
    crate::protowire::put_uvarint(&mut body, 1 << 30);
    body.extend_from_slice(&[0, b'x']);
    assert_eq!(decompress(&body, 1 << 20), Err(DecompressError::TooLarge { declared: 1 << 30, limit: 1 << 20 }));
    let ok = crate::snappy::encode_literals(b"hello");
    assert_eq!(decompress(&ok, 1 << 20).unwrap(), b"hello");
    assert!(matches!(decompress(&ok[..3], 1 << 20), Err(DecompressError::Corrupt(_))));
}

#[test]
fn ingest_appends_and_names_the_first_offender() {
    let dir = tmpdir("ingest");
    let db = Db::open(&dir, Options { max_exemplars: 10, ..Options::default() }).unwrap();
    let mut w = Writer::default();
    v1_series(&mut w, &[("__name__", "a")], &[(1000, 1.0), (2000, 2.0)]);
    v1_series(&mut w, &[("__name__", "b")], &[(1000, 1.0)]);
    let out = ingest(&db, decode_write_request(&w.buf, Version::V1).unwrap()).unwrap();
    assert_eq!((out.samples_written, out.samples_refused(), out.series), (3, 0, 2));
    assert!(out.first_offender.is_none());
    // Again with one sample older than what is stored and one duplicate with another value.
    let mut w = Writer::default();
    v1_series(&mut w, &[("__name__", "a")], &[(3000, 3.0)]);
    v1_series(&mut w, &[("__name__", "b")], &[(500, 1.0), (1000, 7.0), (4000, 4.0)]);
    let out = ingest(&db, decode_write_request(&w.buf, Version::V1).unwrap()).unwrap();
    assert_eq!((out.samples_written, out.out_of_order, out.duplicate), (2, 1, 1));
    assert_eq!(out.first_offender.as_deref(), Some("out of order sample for series {__name__=\"b\"} at timestamp 500"));
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_request_decodes_queries_matchers_hints_and_types() {
    let mut w = Writer::default();
    w.message(1, |q| {
        q.int64(1, 1000);
        q.int64(2, 2000);
        q.message(3, |m| {
            m.int64(1, 2);
            m.bytes(2, b"job");
            m.bytes(3, b"a.*");
        });
        q.message(4, |h| {
            h.int64(1, 15000);
            h.bytes(2, b"rate");
        });
    });
    w.bytes(2, &[0, 1]);
    let r = decode_read_request(&w.buf).unwrap();
    assert_eq!(r.accepted_response_types, vec![0, 1]);
    let q = &r.queries[0];
    assert_eq!((q.start_ms, q.end_ms), (1000, 2000));
    assert_eq!((q.matchers[0].kind, q.matchers[0].name.as_str(), q.matchers[0].value.as_str()), (MatchType::Regex, "job", "a.*"));
    assert_eq!(q.hints.as_ref().unwrap().func, "rate");
    let mut bad = Writer::default();
    bad.message(1, |q| q.message(3, |m| m.int64(1, 7)));
    assert!(decode_read_request(&bad.buf).unwrap_err().contains("unknown matcher type 7"));
}

fn samples_of(msg: &[u8]) -> Vec<(i64, f64)> {
    let (mut t, mut v) = (0, 0.0);
    let mut r = Reader::new(msg);
    while let Some((n, f)) = r.field().unwrap() {
        match (n, f) {
            (1, Field::Fixed64(x)) => v = f64::from_bits(x),
            (2, Field::Varint(x)) => t = x as i64,
            _ => {}
        }
    }
    vec![(t, v)]
}

#[test]
fn query_result_encodes_labels_and_samples() {
    let labels = [Labels::from_pairs([("__name__", "x")])];
    let s = SeriesSamples { labels: &labels, offsets: &[0, 2], t: &[1, 2], v: &[0.0, -1.5] };
    let msg = encode_query_result(&s).unwrap();
    let mut r = Reader::new(&msg);
    let Some((1, Field::Bytes(ts))) = r.field().unwrap() else { panic!("timeseries") };
    let mut got = Vec::new();
    let mut r = Reader::new(ts);
    while let Some((n, f)) = r.field().unwrap() {
        if let (2, Field::Bytes(b)) = (n, f) {
            got.extend(samples_of(b));
        }
    }
    assert_eq!(got, vec![(1, 0.0), (2, -1.5)]);
    assert!(encode_query_result(&SeriesSamples { labels: &labels, offsets: &[0, 3], t: &[1, 2], v: &[0.0, 1.0] }).is_err());
}

/// Splits frames and checks each frame's CRC; returns (query index, series count, chunk samples).
fn read_frames(mut b: &[u8]) -> Vec<(i64, usize, Vec<usize>)> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let mut r = Reader::new(b);
        let len = r.varint().unwrap() as usize;
        let hdr = crate::protowire::uvarint_len(len as u64);
        let crc = u32::from_be_bytes(b[hdr..hdr + 4].try_into().unwrap());
        let msg = &b[hdr + 4..hdr + 4 + len];
        assert_eq!(crc, crate::encoding::crc32c(msg));
        let (mut qi, mut series, mut chunk_sizes) = (0, 0, Vec::new());
        let mut r = Reader::new(msg);
        while let Some((n, f)) = r.field().unwrap() {
            match (n, f) {
                (1, Field::Bytes(cs)) => {
                    series += 1;
                    let mut r = Reader::new(cs);
                    while let Some((n, f)) = r.field().unwrap() {
                        if let (2, Field::Bytes(chunk)) = (n, f) {
                            let mut r = Reader::new(chunk);
                            while let Some((n, f)) = r.field().unwrap() {
                                if let (4, Field::Bytes(data)) = (n, f) {
                                    chunk_sizes.push(XorIterator::new(data).count());
                                }
                            }
                        }
                    }
                }
                (2, Field::Varint(x)) => qi = x as i64,
                _ => {}
            }
        }
        out.push((qi, series, chunk_sizes));
        b = &b[hdr + 4 + len..];
    }
    out
}

#[test]
fn chunked_frames_carry_xor_chunks_of_120_samples_and_split_at_the_byte_limit() {
    let labels = [Labels::from_pairs([("__name__", "a")]), Labels::from_pairs([("__name__", "b")])];
    let t: Vec<i64> = (0..300).map(|i| i * 1000).collect();
    let v: Vec<f64> = (0..300).map(f64::from).collect();
    let s = SeriesSamples { labels: &labels, offsets: &[0, 250, 300], t: &t, v: &v };
    let frames = read_frames(&encode_chunked_frames(&s, 3, 1 << 20).unwrap());
    assert_eq!(frames, vec![(3, 2, vec![120, 120, 10, 50])]);
    // A tiny limit: each chunk goes in a frame of its own.
    let frames = read_frames(&encode_chunked_frames(&s, 0, 16).unwrap());
    assert_eq!(frames.iter().map(|f| f.2.clone()).collect::<Vec<_>>(), vec![vec![120], vec![120], vec![10], vec![50]]);
}

#[test]
fn read_response_round_trips_through_the_encoder() {
    let labels = [Labels::from_pairs([("__name__", "a"), ("x", "1")]), Labels::from_pairs([("__name__", "b")])];
    let s = SeriesSamples { labels: &labels, offsets: &[0, 2, 3], t: &[10, 20, 5], v: &[1.0, 2.0, 0.0] };
    let mut w = Writer::default();
    w.bytes(1, &encode_query_result(&s).unwrap());
    w.bytes(1, &[]);
    let got = super::read::decode_read_response(&w.buf).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].labels, labels.to_vec());
    assert_eq!((got[0].offsets.clone(), got[0].t.clone(), got[0].v.clone()), (vec![0, 2, 3], vec![10, 20, 5], vec![1.0, 2.0, 0.0]));
    assert!(got[1].labels.is_empty());
    // Samples out of time order within a series are refused.
    let bad = SeriesSamples { labels: &labels[..1], offsets: &[0, 2], t: &[20, 10], v: &[1.0, 2.0] };
    let mut w = Writer::default();
    w.bytes(1, &encode_query_result(&bad).unwrap());
    assert!(super::read::decode_read_response(&w.buf).unwrap_err().contains("increasing time order"));
}
