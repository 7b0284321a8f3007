//! The streamed remote-read decoder against the encoder our `/api/v1/read` uses.

use super::read::{encode_chunked_frames, SeriesSamples};
use super::read_chunked::{decode_chunked_response, QueryRange};
use crate::labels::Labels;

const ALL: QueryRange = QueryRange { start_ms: i64::MIN, end_ms: i64::MAX };

fn two_series() -> (Vec<Labels>, Vec<i64>, Vec<f64>) {
    let labels = vec![Labels::from_pairs([("__name__", "a")]), Labels::from_pairs([("__name__", "b"), ("x", "1")])];
    let t: Vec<i64> = (0..300).map(|i| i * 1000 + (i % 7)).collect();
    let v: Vec<f64> = (0..300).map(|i| f64::from(i) * 0.5 - 3.0).collect();
    (labels, t, v)
}

#[test]
fn streamed_frames_decode_to_the_encoded_samples_also_when_series_are_split() {
    let (labels, t, v) = two_series();
    let s = SeriesSamples { labels: &labels, offsets: &[0, 250, 300], t: &t, v: &v };
    for max_frame in [1 << 20, 16] {
        let mut body = encode_chunked_frames(&s, 0, max_frame).unwrap();
        body.extend(encode_chunked_frames(&s, 1, max_frame).unwrap());
        let got = decode_chunked_response(&body, &[ALL, QueryRange { start_ms: 100_000, end_ms: 260_000 }], usize::MAX).unwrap();
        assert_eq!(got[0].labels, labels, "frame limit {max_frame}");
        assert_eq!((got[0].offsets.clone(), got[0].t.clone(), got[0].v.clone()), (vec![0, 250, 300], t.clone(), v.clone()));
        // The second query's range keeps samples 100..=259 of series a, and b's 250..=259.
        assert_eq!(got[1].offsets, vec![0, 150, 160]);
        assert_eq!(got[1].t[0], t[100]);
        assert_eq!(*got[1].t.last().unwrap(), t[259]);
    }
}

#[test]
fn streamed_frames_refuse_bad_checksums_cut_frames_unknown_queries_and_too_many_samples() {
    let (labels, t, v) = two_series();
    let s = SeriesSamples { labels: &labels, offsets: &[0, 250, 300], t: &t, v: &v };
    let body = encode_chunked_frames(&s, 0, 1 << 20).unwrap();
    let mut corrupt = body.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    assert!(decode_chunked_response(&corrupt, &[ALL], usize::MAX).unwrap_err().contains("checksum mismatch"));
    assert!(decode_chunked_response(&body[..body.len() - 3], &[ALL], usize::MAX).unwrap_err().contains("cut short"));
    let other = encode_chunked_frames(&s, 2, 1 << 20).unwrap();
    assert!(decode_chunked_response(&other, &[ALL], usize::MAX).unwrap_err().contains("query_index 2"));
    assert!(decode_chunked_response(&body, &[ALL], 299).unwrap_err().contains("more than 299 samples"));
    assert_eq!(decode_chunked_response(&body, &[ALL], 300).unwrap()[0].t.len(), 300);
    // A range with no sample of a series leaves that series out; both ends are included.
    let got = decode_chunked_response(&body, &[QueryRange { start_ms: 0, end_ms: 1001 }], usize::MAX).unwrap();
    assert_eq!((got[0].labels.len(), got[0].offsets.clone()), (1, vec![0, 2]));
    assert!(decode_chunked_response(&[], &[ALL], 1).unwrap()[0].labels.is_empty());
}
