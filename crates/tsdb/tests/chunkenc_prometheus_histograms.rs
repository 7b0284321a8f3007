//! Integer-histogram chunks (encoding 2) written by Prometheus 2.42 scraping a protobuf target
//! (`__test__/storage/histograms-prometheus.test.ts` serves it; these bytes come from the block
//! of one such run). We decode them into the histograms the target served, and our appender,
//! given the same samples, writes the same bytes, recoding included (a bucket appears at the
//! fourth sample of the first chunk).

use tsdb::chunkenc::{CounterResetHeader, HistogramAppender, HistogramIterator, ENCODING_HISTOGRAM};
use tsdb::histogram::{Histogram, Span};

const FIRST: &str = "000700ff3f50624dd2f1a9fc8ca88c6318ff0000d11ac83b2d507fa000000000000115d18f8fa3131d425c637bce2309dffd80c2b58b9185dd9bc4a1bca046006a1fd800";
const SECOND: &str = "000500ff3f50624dd2f1a9fc8ca88c6318ff0000d11ac848dad87fa000000000000115e578f8f97151d425c6374a33309dffd80358b9004a00";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The histogram the target served at its k-th scrape (the test's `scrapeHistogram`).
fn served(k: u32) -> Histogram {
    let n = if k >= 7 { k - 7 } else { k } as f64;
    let new_bucket = k >= 3;
    let positive: Vec<f64> = if new_bucket { vec![n + 1.0, 2.0 * n + 1.0, n, n + 2.0, 3.0 * n + 1.0] } else { vec![n + 1.0, 2.0 * n + 1.0, n, 3.0 * n + 1.0] };
    Histogram {
        schema: 1,
        zero_threshold: 0.001,
        zero_count: n,
        count: positive.iter().sum::<f64>() + n + 1.0 + n,
        sum: 1.5 * n + 0.25,
        positive_spans: if new_bucket { vec![Span { offset: 0, length: 4 }, Span { offset: 1, length: 1 }] } else { vec![Span { offset: 0, length: 3 }, Span { offset: 2, length: 1 }] },
        positive_buckets: positive,
        negative_spans: vec![Span { offset: 1, length: 1 }],
        negative_buckets: vec![n + 1.0],
        integer: true,
        ..Histogram::default()
    }
}

#[test]
fn prometheus_histogram_chunks_decode_to_the_served_histograms_and_encode_back_identically() {
    for (bytes, first_k, n) in [(hex(FIRST), 0u32, 7usize), (hex(SECOND), 7, 5)] {
        assert_eq!(bytes[2], CounterResetHeader::Unknown.bits(), "2.42 leaves the header at unknown");
        let got: Vec<(i64, Histogram)> = HistogramIterator::new(ENCODING_HISTOGRAM, &bytes).collect();
        assert_eq!(got.len(), n);
        let mut ours = HistogramAppender::new(true, CounterResetHeader::Unknown);
        for (j, (t, h)) in got.iter().enumerate() {
            let want = served(first_k + j as u32);
            // The chunk's layout is the recoded one (bucket 3 added), so early samples show it as 0.
            let idx: Vec<i32> = tsdb::histogram::bucket_indices(&h.positive_spans);
            assert_eq!(idx, vec![0, 1, 2, 3, 5]);
            let want_expanded = want.expanded_to(&idx, &[1]);
            assert_eq!((h.count, h.zero_count, h.sum), (want.count, want.zero_count, want.sum), "sample {j}");
            assert_eq!(h.positive_buckets, want_expanded.positive_buckets, "sample {j}");
            assert_eq!(h.negative_buckets, want.negative_buckets);
            if j > 0 {
                assert!(*t > got[j - 1].0);
            }
            let how = ours.fit(&want);
            ours.append(0, *t, &want, &how);
        }
        assert_eq!(ours.bytes(), &bytes[..], "our encoding of the same samples is Prometheus's, byte for byte");
    }
}
