//! Native histograms over remote write, sender to receiver inside the engine: histograms appended
//! to one database are read from its WAL by the watcher (only with send_native_histograms),
//! encoded as 1.0 and 2.0 requests, decoded by the receiver's decoder and appended to a second
//! database, where they read back equal (integer, float and custom-bucket ones, and a stale
//! marker). Malformed histograms in a request are refused with the reason.

use std::fs;
use std::path::PathBuf;
use tsdb::db::{Db, Options};
use tsdb::histogram::{CounterResetHint, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};
use tsdb::remote::watcher::{Options as WatchOptions, Position, Step, Watcher};
use tsdb::remote::{encode, BatchSeries, HistogramSample, Protocol, SentSeries};
use tsdb::remote_decode::{decode_write_request, ingest, Version};
use tsdb::{Labels, Matcher};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-rwh-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn opts() -> Options {
    Options { max_ahead_ms: 0, ..Options::default() }
}

fn exponential(i: u32, integer: bool) -> Histogram {
    let pos = [i as f64, 2.0 * i as f64, 1.0];
    let neg = [3.0, 0.0];
    Histogram {
        hint: if i == 1 { CounterResetHint::Unknown } else { CounterResetHint::NotCounterReset },
        schema: if integer { 3 } else { -2 },
        zero_threshold: 0.001,
        zero_count: 2.0,
        count: 2.0 + pos.iter().sum::<f64>() + neg.iter().sum::<f64>(),
        sum: if integer { i as f64 * 0.25 } else { -17.5 },
        positive_spans: vec![Span { offset: -3, length: 2 }, Span { offset: 4, length: 1 }],
        positive_buckets: pos.to_vec(),
        negative_spans: vec![Span { offset: 5, length: 2 }],
        negative_buckets: neg.to_vec(),
        integer,
        ..Histogram::default()
    }
}

fn nhcb(i: u32, integer: bool) -> Histogram {
    Histogram { schema: CUSTOM_BUCKETS_SCHEMA, count: 3.0 * i as f64, sum: i as f64, positive_spans: vec![Span { offset: 0, length: 3 }], positive_buckets: vec![i as f64; 3], custom_values: vec![0.1, 1.0], integer, ..Histogram::default() }
}

fn names() -> Vec<Labels> {
    ["h_int", "h_float", "h_nhcb_int", "h_nhcb_float"].iter().map(|n| Labels::from_pairs([("__name__", n.to_string()), ("job", "x".to_string())])).collect()
}

fn sent(i: u32) -> [Histogram; 4] {
    [exponential(i, true), exponential(i, false), nhcb(i, true), nhcb(i, false)]
}

/// Reads the whole WAL, keeping every series; returns the payloads and the histogram count.
fn drain(w: &mut Watcher) -> (Vec<Vec<u8>>, u32, u32) {
    let (mut payloads, mut histograms, mut samples) = (Vec::new(), 0, 0);
    loop {
        match w.read(true, i64::MIN).unwrap() {
            Step::NewSeries(list) => w.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap(),
            Step::Batches(b) => {
                for x in b {
                    histograms += x.histograms;
                    samples += x.samples;
                    payloads.push(x.payload);
                }
            }
            Step::Idle => return (payloads, histograms, samples),
        }
    }
}

fn watch(dir: &std::path::Path, protocol: Protocol, send_histograms: bool) -> Watcher {
    let o = WatchOptions { protocol, send_exemplars: false, send_histograms, max_samples: 5, shards: 2, compress: false };
    Watcher::open(&dir.join("wal"), Some(Position::default()), o).unwrap()
}

#[test]
fn histograms_go_from_one_wal_to_another_database_in_both_protocols() {
    let dir = temp_dir("src");
    let db = Db::open(&dir, opts()).unwrap();
    let refs = db.series_refs(&names()).unwrap();
    for i in 1..=6u32 {
        let hs = sent(i);
        db.append_histograms(&refs, &[i as i64 * 1000; 4], &hs, None).unwrap();
    }
    db.append_histograms(&refs[..1], &[7000], &[Histogram::stale_marker(true)], None).unwrap();
    let float = db.series_refs(&[Labels::from_pairs([("__name__", "f")])]).unwrap();
    db.append(&float, &[8000], &[4.5], None).unwrap();

    let (_, h, s) = drain(&mut watch(&dir, Protocol::V1, false));
    assert_eq!((h, s), (0, 1), "without send_native_histograms only the float sample goes");
    // Histograms held in unfinished batches count as held, so the batch deadline flushes them.
    let mut held = watch(&dir, Protocol::V1, true);
    let mut in_full_batches = 0;
    loop {
        match held.read(false, i64::MIN).unwrap() {
            Step::NewSeries(list) => held.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap(),
            Step::Batches(b) => in_full_batches += b.iter().map(|x| x.samples + x.histograms).sum::<u32>(),
            Step::Idle => break,
        }
    }
    assert_eq!(held.held_samples() as u32, 26 - in_full_batches);

    // Past the sample age limit, histograms are counted apart from float samples (histograms_dropped_total).
    let mut aged = watch(&dir, Protocol::V1, true);
    loop {
        match aged.read(true, 100_000).unwrap() {
            Step::NewSeries(list) => aged.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap(),
            Step::Batches(b) => panic!("nothing is young enough to send: {b:?}"),
            Step::Idle => break,
        }
    }
    assert_eq!((aged.stats.histograms_too_old, aged.stats.too_old), (25, 1));

    for (protocol, version) in [(Protocol::V1, Version::V1), (Protocol::V2, Version::V2)] {
        let (payloads, histograms, samples) = drain(&mut watch(&dir, protocol, true));
        assert_eq!((histograms, samples), (25, 1), "{protocol:?}");
        let rdir = temp_dir(&format!("dst-{protocol:?}"));
        let rdb = Db::open(&rdir, opts()).unwrap();
        let mut written = 0;
        for p in payloads {
            let batch = decode_write_request(&p, version).unwrap();
            let out = ingest(&rdb, batch).unwrap();
            assert_eq!(out.samples_refused(), 0, "{out:?}");
            written += out.histograms_written;
        }
        assert_eq!(written, 25);
        for (k, l) in names().iter().enumerate() {
            let m: Vec<Matcher> = l.iter().map(|x| Matcher::Equal { name: x.name.to_string(), value: x.value.to_string() }).collect();
            let got = rdb.select(&m, 0, 10_000).unwrap().histogram_samples().unwrap();
            let at_source = db.select(&m, 0, 10_000).unwrap().histogram_samples().unwrap();
            assert_eq!(got.t, at_source.t, "{protocol:?} {l:?}: the same samples as the sender's database");
            assert_eq!(got.t[..6], [1000, 2000, 3000, 4000, 5000, 6000], "{protocol:?} {l:?}");
            for (i, h) in got.h.iter().take(6).enumerate() {
                let mut h = h.clone();
                let mut want = sent(i as u32 + 1)[k].clone();
                // The receiving head sets hints by its own chunks: compare the rest.
                h.hint = CounterResetHint::Unknown;
                want.hint = CounterResetHint::Unknown;
                assert_eq!(h, want, "{protocol:?} {l:?} sample {i}");
            }
            if k == 0 {
                // Reads leave stale markers out; that one was stored shows as a clash at its timestamp.
                let r = rdb.series_refs(std::slice::from_ref(l)).unwrap();
                let clash = rdb.append_histograms(&r, &[7000], &[exponential(1, true)], None).unwrap();
                assert_eq!((clash.appended, clash.duplicate), (0, 1), "{protocol:?}: the stale marker arrived");
            }
        }
        let _ = fs::remove_dir_all(&rdir);
    }
    let _ = fs::remove_dir_all(&dir);
}

fn request_with(h: Histogram) -> Vec<u8> {
    let s = BatchSeries { series: std::sync::Arc::new(SentSeries::new(names()[0].clone(), None)), samples: vec![], exemplars: vec![], histograms: vec![HistogramSample { st: 0, t: 1000, h }] };
    let mut out = Vec::new();
    encode(Protocol::V1, &[s], &mut out);
    out
}

#[test]
fn malformed_histograms_refuse_the_request_with_the_reason() {
    let spans_short = Histogram { positive_buckets: vec![1.0], ..exponential(1, true) };
    let err = decode_write_request(&request_with(spans_short), Version::V1).unwrap_err();
    assert!(err.contains("series 0") && err.contains("positive spans cover 3 buckets but 1 are given"), "{err}");
    // Schemas 9..=52 are taken at schema 8 (Prometheus 3); above 52 they are unknown.
    let fine = exponential(1, false);
    let got = decode_write_request(&request_with(Histogram { schema: 12, ..fine.clone() }), Version::V1).unwrap();
    assert_eq!(got.series[0].histograms[0].1, Histogram { schema: 12, ..fine.clone() }.reduced_to(8));
    assert_eq!(got.series[0].histograms[0].1.schema, 8);
    let err = decode_write_request(&request_with(Histogram { schema: 53, ..fine }), Version::V1).unwrap_err();
    assert!(err.contains("schema 53"), "{err}");
    let unsorted_bounds = Histogram { custom_values: vec![1.0, 0.1], ..nhcb(1, false) };
    let err = decode_write_request(&request_with(unsorted_bounds), Version::V1).unwrap_err();
    assert!(err.contains("strictly increasing"), "{err}");
    // An integer histogram whose deltas go below zero: count_int 2, one span of 2 buckets,
    // deltas +1, -2 (zigzag 2, 3).
    let err = tsdb::remote_decode::histogram::decode(&[0x08, 2, 0x5a, 2, 0x10, 2, 0x62, 2, 2, 3]).unwrap_err();
    assert!(err.contains("negative bucket count -1"), "{err}");
    let (t, h, _) = tsdb::remote_decode::histogram::decode(&[0x08, 2, 0x5a, 2, 0x10, 2, 0x62, 2, 2, 1, 0x78, 0xe8, 0x07]).unwrap();
    assert_eq!((t, h.positive_buckets, h.integer), (1000, vec![1.0, 0.0], true));
    // Integer and float counts mixed in one histogram.
    let err = tsdb::remote_decode::histogram::decode(&[0x08, 2, 0x39, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]).unwrap_err();
    assert!(err.contains("integer histogram (count_int) with float counts"), "{err}");
}

#[test]
fn histogram_start_timestamps_travel_in_remote_write_2_only() {
    let s = BatchSeries { series: std::sync::Arc::new(SentSeries::new(names()[0].clone(), None)), samples: vec![], exemplars: vec![], histograms: vec![HistogramSample { st: 400, t: 1000, h: exponential(1, true) }, HistogramSample { st: 400, t: 2000, h: exponential(2, true) }] };
    let mut v2 = Vec::new();
    encode(Protocol::V2, std::slice::from_ref(&s), &mut v2);
    let got = decode_write_request(&v2, Version::V2).unwrap();
    assert_eq!(got.series[0].start_ms, 400);
    assert_eq!(got.series[0].histograms.len(), 2);
    // Each histogram message carries it as start_timestamp = 17 (key 0x88 0x01, varint 400).
    assert_eq!(v2.windows(4).filter(|w| *w == [0x88, 0x01, 0x90, 0x03]).count(), 2);
    let mut v1 = Vec::new();
    encode(Protocol::V1, &[s], &mut v1);
    assert!(!v1.windows(2).any(|w| w == [0x88, 0x01]), "1.0's Histogram has no field 17");
    assert_eq!(decode_write_request(&v1, Version::V1).unwrap().series[0].start_ms, 0);
}
