//! Native-histogram samples in the head. A series holds one open chunk of either kind: a
//! histogram arriving at a float chunk (or the other way round) cuts it, so a series' chunks
//! stay in time order whatever their encodings. Within histogram chunks Prometheus's rules
//! apply: a counter reset, a changed schema, zero threshold or custom bounds, or a switch between
//! integer and float histograms or between counter and gauge starts a new chunk; new buckets
//! recode the open chunk; buckets a histogram lacks are appended as zero.

use super::{chunk_end_time, Head, Refusal};
use crate::chunkenc::{placement, ChunkAppender, HistogramAppender, MIN_SAMPLES_BEFORE_SIZE_CUT, TARGET_CHUNK_BYTES};
use crate::histogram::Histogram;

impl Head {
    /// Checks whether a histogram sample would be accepted, without appending it.
    pub fn check_histogram(&self, r: u32, t: i64, h: &Histogram) -> Result<bool, Refusal> {
        let s = self.get(r).ok_or(Refusal::UnknownRef)?;
        if t < self.min_valid_time {
            return Err(Refusal::TooOld);
        }
        if s.last_t == i64::MIN || t > s.last_t {
            return Ok(true);
        }
        if t == s.last_t {
            return if s.last_h.as_deref() == Some(h) { Ok(false) } else { Err(Refusal::Duplicate) };
        }
        Err(Refusal::OutOfOrder)
    }

    /// Appends a histogram sample that `check_histogram` accepted; `st` is its start timestamp
    /// (0 = none).
    pub fn append_histogram_checked(&mut self, r: u32, st: i64, t: i64, h: &Histogram) {
        let per_chunk = self.samples_per_chunk;
        let block_range = self.block_range;
        let keep = self.keep_closed_chunks;
        let s = self.series[r as usize].as_deref_mut().expect("checked ref");
        if let Some(a) = &s.open {
            if a.num_samples() == per_chunk / 4 && a.num_samples() > 0 {
                s.open_until = chunk_end_time(a.min_time(), a.max_time(), s.open_until, 4.0);
            }
        }
        let open = s.open.as_ref().and_then(ChunkAppender::as_histogram);
        let full = |a: &HistogramAppender| a.num_samples() >= per_chunk * 2 || t >= s.open_until || (a.bytes().len() >= TARGET_CHUNK_BYTES && a.num_samples() >= MIN_SAMPLES_BEFORE_SIZE_CUT);
        let (cut_with, how) = placement(open, h, full);
        if let Some(header) = cut_with {
            s.close_open(keep);
            s.open = Some(ChunkAppender::Histogram(Box::new(if st != 0 { HistogramAppender::new_st(h.integer, header) } else { HistogramAppender::new(h.integer, header) })));
            s.open_until = t.div_euclid(block_range) * block_range + block_range;
            self.chunks_created += 1;
        }
        match s.open.as_mut() {
            Some(ChunkAppender::Histogram(a)) => a.append(st, t, h, &how),
            _ => unreachable!("a histogram chunk is open"),
        }
        s.last_t = t;
        s.last_v_bits = h.sum.to_bits();
        s.last_h = Some(Box::new(h.clone()));
        self.note_sample_time(t);
    }
}

#[cfg(test)]
mod tests {
    use crate::chunkenc::{header_of, ChunkIterator, HistogramIterator, ENCODING_FLOAT_HISTOGRAM, ENCODING_HISTOGRAM, ENCODING_XOR};
    use crate::chunkenc::{is_stale_nan, stale_nan, CounterResetHeader};
    use crate::head::{Head, Refusal};
    use crate::histogram::{Histogram, Span};
    use crate::labels::Labels;

    fn h(count: f64, integer: bool) -> Histogram {
        Histogram { count, sum: count * 2.0, zero_count: count, schema: 0, zero_threshold: 0.001, positive_spans: vec![Span { offset: 0, length: 0 }], integer, ..Histogram::default() }
    }

    fn head_with_series() -> (Head, u32) {
        let mut head = Head::new(120, 7_200_000);
        let (r, _) = head.get_or_create(&Labels::from_pairs([("__name__", "x")]), None);
        (head, r)
    }

    fn add(head: &mut Head, r: u32, t: i64, x: &Histogram) -> Result<(), Refusal> {
        if head.check_histogram(r, t, x)? {
            head.append_histogram_checked(r, 0, t, x);
        }
        Ok(())
    }

    #[test]
    fn floats_and_histograms_alternate_in_time_ordered_chunks() {
        let (mut head, r) = head_with_series();
        head.append_checked(r, 0, 1000, 1.0);
        add(&mut head, r, 2000, &h(1.0, true)).unwrap();
        add(&mut head, r, 3000, &h(2.0, true)).unwrap();
        add(&mut head, r, 4000, &h(3.0, false)).unwrap();
        head.append_checked(r, 0, 5000, 2.0);
        let s = head.get(r).unwrap();
        let encodings: Vec<u8> = s.chunks_in(i64::MIN, i64::MAX).map(|c| c.2).collect();
        assert_eq!(encodings, vec![ENCODING_XOR, ENCODING_HISTOGRAM, ENCODING_FLOAT_HISTOGRAM, ENCODING_XOR]);
        assert_eq!(add(&mut head, r, 5000, &h(3.0, false)), Err(Refusal::Duplicate));
        assert_eq!(add(&mut head, r, 4500, &h(3.0, false)), Err(Refusal::OutOfOrder));
    }

    #[test]
    fn counter_resets_cut_chunks_with_the_reset_header() {
        let (mut head, r) = head_with_series();
        add(&mut head, r, 1000, &h(5.0, true)).unwrap();
        add(&mut head, r, 2000, &h(6.0, true)).unwrap();
        add(&mut head, r, 3000, &h(1.0, true)).unwrap();
        add(&mut head, r, 3000, &h(1.0, true)).unwrap();
        let chunks: Vec<_> = head.get(r).unwrap().chunks_in(i64::MIN, i64::MAX).map(|c| (c.2, c.3.to_vec())).collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(header_of(&chunks[0].1), CounterResetHeader::Unknown);
        assert_eq!(header_of(&chunks[1].1), CounterResetHeader::CounterReset);
        let counts: Vec<f64> = chunks.iter().flat_map(|(e, b)| HistogramIterator::new(*e, b).map(|(_, x)| x.count).collect::<Vec<_>>()).collect();
        assert_eq!(counts, vec![5.0, 6.0, 1.0]);
    }

    #[test]
    fn a_float_stale_marker_after_a_histogram_is_a_histogram_stale_marker() {
        let (mut head, r) = head_with_series();
        add(&mut head, r, 1000, &h(5.0, true)).unwrap();
        assert_eq!(head.check(r, 2000, stale_nan()), Ok(true));
        head.append_checked(r, 0, 2000, stale_nan());
        let s = head.get(r).unwrap();
        assert_eq!(s.num_chunks(), 1, "the stale marker went into the histogram chunk");
        let (_, _, e, b) = s.chunks_in(i64::MIN, i64::MAX).next().unwrap();
        let got: Vec<bool> = HistogramIterator::new(e, b).map(|(_, x)| x.is_stale()).collect();
        assert_eq!(got, vec![false, true]);
        // Read as floats, the chunk shows the stale marker only.
        let floats: Vec<(i64, i64, f64)> = ChunkIterator::new(e, b).collect();
        assert_eq!(floats.len(), 1);
        assert!(is_stale_nan(floats[0].2) && floats[0].1 == 2000);
        assert_eq!(head.check(r, 2000, stale_nan()), Ok(false), "the same stale marker again is a no-op");
    }

    #[test]
    fn gauge_histograms_go_down_without_a_new_chunk() {
        let (mut head, r) = head_with_series();
        let gauge = |c: f64| Histogram { hint: crate::histogram::CounterResetHint::Gauge, ..h(c, false) };
        for (t, c) in [(1000, 5.0), (2000, 2.0), (3000, 7.0)] {
            add(&mut head, r, t, &gauge(c)).unwrap();
        }
        // A counter histogram after gauges starts a chunk of its own.
        add(&mut head, r, 4000, &h(1.0, false)).unwrap();
        let chunks: Vec<Vec<u8>> = head.get(r).unwrap().chunks_in(i64::MIN, i64::MAX).map(|c| c.3.to_vec()).collect();
        assert_eq!(chunks.len(), 2);
        assert_eq!(header_of(&chunks[0]), CounterResetHeader::Gauge);
        assert_eq!(HistogramIterator::new(ENCODING_FLOAT_HISTOGRAM, &chunks[0]).count(), 3);
        assert_ne!(header_of(&chunks[1]), CounterResetHeader::Gauge);
    }
}
