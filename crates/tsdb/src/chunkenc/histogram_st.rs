//! Start timestamps in histogram chunks (Prometheus's encodings 5 and 6, `histogramST` and
//! `floathistogramST`): the samples are encoded as in encodings 2 and 3, each followed by its
//! start-timestamp field. The three header bytes are laid out differently: the counter-reset
//! header moves to the top two bits of byte 0, the sample count is the low 14 bits of bytes
//! 0-1, and byte 2 is the start-timestamp header (bit 7: the first sample has a start
//! timestamp; bits 0-6: the index of the first sample whose start timestamp changed, 0 = none
//! yet). `crates/tsdb/docs/chunks-histogram.md` specifies the fields.

use super::bstream::{BitReader, BitWriter};
use super::histogram_meta::CounterResetHeader;
use super::varbit::{put_varbit_int, read_varbit_int};

/// The sample count's bits in the first two header bytes of a start-timestamp chunk.
const COUNT_MASK: u16 = 0x3FFF;
/// The highest sample index the start-timestamp header can name; a chunk without a change up
/// to it records one there anyway so later samples know to read their field.
const MAX_FIRST_CHANGE: u16 = 0x7F;
/// Where the start-timestamp header byte is.
const ST_HEADER_BYTE: usize = 2;

/// The first header bytes of an empty start-timestamp chunk.
pub(super) fn write_empty_header(b: &mut BitWriter, header: CounterResetHeader) {
    b.write_bits((header.bits() as u64) << 8, 16);
    b.write_byte(0);
}

/// Stores the sample count, keeping the counter-reset header in the top bits.
pub(super) fn set_count(bytes: &mut [u8], num: u16) {
    let n = (num & COUNT_MASK).to_be_bytes();
    bytes[0] = (bytes[0] & 0b1100_0000) | n[0];
    bytes[1] = n[1];
}

/// (sample count, counter-reset header) of start-timestamp chunk bytes (at least 3 long).
pub(super) fn read_counts(bytes: &[u8]) -> (u16, CounterResetHeader) {
    (u16::from_be_bytes([bytes[0], bytes[1]]) & COUNT_MASK, CounterResetHeader::of_flags(bytes[0]))
}

/// Writes each sample's start timestamp after the sample (0 = none).
#[derive(Clone, Debug, Default)]
pub(super) struct StEncoder {
    st: i64,
    st_diff: i64,
    first_change: u16,
}

impl StEncoder {
    /// Called after the `num`-th sample (1-based) was written at `t`; `prev_t` is the sample
    /// before it. The first sample stores `t - st` as a varint, the first change of start
    /// timestamps stores `prev_t - st`, and every later sample the change of that difference.
    pub(super) fn encode(&mut self, b: &mut BitWriter, num: u16, t: i64, prev_t: i64, st: i64) {
        match num {
            1 => {
                if st != 0 {
                    b.write_varint(t.wrapping_sub(st));
                    b.bytes_mut()[ST_HEADER_BYTE] = 0x80;
                }
            }
            _ if self.first_change == 0 => {
                if st != self.st || num - 1 == MAX_FIRST_CHANGE {
                    let diff = prev_t.wrapping_sub(st);
                    self.first_change = num - 1;
                    b.bytes_mut()[ST_HEADER_BYTE] |= (num - 1) as u8;
                    put_varbit_int(b, diff);
                    self.st_diff = diff;
                }
            }
            _ => {
                let diff = prev_t.wrapping_sub(st);
                put_varbit_int(b, diff.wrapping_sub(self.st_diff));
                self.st_diff = diff;
            }
        }
        self.st = st;
    }
}

/// Reads the start timestamps `StEncoder` wrote.
#[derive(Clone, Debug, Default)]
pub(super) struct StDecoder {
    st: i64,
    st_diff: i64,
    first_known: bool,
    first_change: u16,
}

impl StDecoder {
    /// A decoder for the chunk with these header bytes.
    pub(super) fn new(bytes: &[u8]) -> StDecoder {
        let h = bytes[ST_HEADER_BYTE];
        StDecoder { first_known: h & 0x80 != 0, first_change: (h & 0x7F) as u16, ..StDecoder::default() }
    }

    /// The start timestamp of the last sample read (0 = none).
    pub(super) fn st(&self) -> i64 {
        self.st
    }

    /// Reads the field after the `read`-th sample (1-based) at `t`, `prev_t` the one before.
    pub(super) fn decode(&mut self, r: &mut BitReader<'_>, read: u16, t: i64, prev_t: i64) -> Option<()> {
        if read == 1 {
            if self.first_known {
                self.st_diff = r.read_varint()?;
                self.st = t.wrapping_sub(self.st_diff);
            }
        } else if self.first_change > 0 && read > self.first_change {
            let d = read_varbit_int(r)?;
            self.st_diff = if read - 1 == self.first_change { d } else { self.st_diff.wrapping_add(d) };
            self.st = prev_t.wrapping_sub(self.st_diff);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use crate::chunkenc::{header_of, CounterResetHeader, Fit, HistogramAppender, HistogramIterator, ENCODING_FLOAT_HISTOGRAM, ENCODING_FLOAT_HISTOGRAM_ST, ENCODING_HISTOGRAM, ENCODING_HISTOGRAM_ST};
    use crate::histogram::{Histogram, Span};

    fn hist(i: usize, integer: bool, buckets: usize) -> Histogram {
        let b: Vec<f64> = (0..buckets).map(|k| (i + k) as f64).collect();
        Histogram { schema: 0, count: b.iter().sum(), sum: i as f64 * 1.5, positive_spans: vec![Span { offset: 0, length: buckets as u32 }], positive_buckets: b, integer, ..Histogram::default() }
    }

    fn read(a: &HistogramAppender) -> Vec<(i64, i64, Histogram)> {
        let mut it = HistogramIterator::new(a.encoding(), a.bytes());
        let mut out = Vec::new();
        while let Some((t, h)) = it.next() {
            out.push((it.st(), t, h));
        }
        assert_eq!(it.error(), None);
        out
    }

    #[test]
    fn start_timestamps_round_trip_through_recoding_and_past_the_header_limit() {
        for integer in [true, false] {
            let mut a = HistogramAppender::new(integer, CounterResetHeader::NotCounterReset);
            let mut want = Vec::new();
            for i in 0..200usize {
                let t = 1_000 + i as i64 * 15_000 + (i % 3) as i64;
                // None for 5 samples, then one start for 150 samples (past index 127 without a
                // change), then per-sample starts (delta style), with a 0 and new buckets between.
                let st = match i {
                    0..=4 => 0,
                    5..=154 => 777,
                    170 => 0,
                    _ => t - 15_000,
                };
                let buckets = if i >= 180 { 3 } else { 2 };
                let h = if i == 120 { Histogram::stale_marker(integer) } else { hist(i, integer, buckets) };
                let how = a.fit(&h);
                assert!(matches!(how, Fit::Append | Fit::Recode(..)) || h.is_stale(), "{i}: {how:?}");
                a.append(st, t, &h, &how);
                want.push((st, t));
                if i == 4 {
                    assert_eq!(a.encoding(), if integer { ENCODING_HISTOGRAM } else { ENCODING_FLOAT_HISTOGRAM });
                }
            }
            assert_eq!(a.encoding(), if integer { ENCODING_HISTOGRAM_ST } else { ENCODING_FLOAT_HISTOGRAM_ST });
            assert_eq!(a.num_samples(), 200);
            assert_eq!(a.header(), CounterResetHeader::NotCounterReset);
            let got = read(&a);
            assert_eq!(got.iter().map(|(st, t, _)| (*st, *t)).collect::<Vec<_>>(), want);
            assert!(got[120].2.is_stale());
            assert_eq!(got[190].2.positive_buckets, vec![190.0, 191.0, 192.0]);
            assert_eq!(got[10].2.positive_buckets, vec![10.0, 11.0, 0.0], "recoded to the new bucket");
        }
    }

    #[test]
    fn the_header_holds_the_reset_bits_the_count_and_the_start_timestamp_flags() {
        let mut a = HistogramAppender::new_st(true, CounterResetHeader::Gauge);
        for i in 0..3 {
            let h = Histogram { hint: crate::histogram::CounterResetHint::Gauge, ..hist(i, true, 1) };
            a.append(if i == 2 { 50 } else { 100 }, 1_000 * (i as i64 + 1), &h, &Fit::Append);
        }
        let b = a.bytes();
        assert_eq!(b[0] & 0b1100_0000, CounterResetHeader::Gauge.bits());
        assert_eq!(u16::from_be_bytes([b[0], b[1]]) & 0x3FFF, 3);
        assert_eq!(b[2], 0x80 | 2, "first sample has a start; the first change is at sample 2");
        // Read as an encoding-2 chunk the same bytes would mean something else.
        assert_ne!(header_of(b), CounterResetHeader::Gauge);
        let got = read(&a);
        assert_eq!(got.iter().map(|x| x.0).collect::<Vec<_>>(), vec![100, 100, 50]);
        assert!(got.iter().all(|x| x.2.hint == crate::histogram::CounterResetHint::Gauge));
    }
}
