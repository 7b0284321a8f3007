//! Chunk encoding 2: integer native histograms, bit for bit as Prometheus writes them
//! (`crates/tsdb/docs/chunks-histogram.md`). After the layout, the first sample holds its
//! timestamp, count, zero count, sum and buckets (as deltas between neighbouring buckets); later
//! samples hold delta-of-deltas of all integer columns and the XOR of the sum.

use super::bstream::{BitReader, BitWriter};
use super::histogram_st::{read_counts, set_count, write_empty_header, StDecoder, StEncoder};
use super::histogram_meta::{header_of, xor_read, xor_write, CounterResetHeader, Layout, HISTOGRAM_HEADER};
use super::histogram_meta::{put_varbit_uint, read_varbit_uint};
use super::varbit::{put_varbit_int, read_varbit_int};
use crate::chunkenc::is_stale_nan;
use crate::histogram::Histogram;

/// Absolute bucket counts as the in-histogram deltas the encoding stores.
fn to_deltas(abs: &[f64], out: &mut Vec<i64>) {
    out.clear();
    let mut prev = 0i64;
    for &c in abs {
        let c = c as i64;
        out.push(c.wrapping_sub(prev));
        prev = c;
    }
}

/// Builds one integer-histogram chunk. Each sample must have the chunk's layout (the head
/// expands or recodes first, see `histogram_meta::fit`).
#[derive(Clone, Debug)]
pub struct IntHistogramAppender {
    b: BitWriter,
    num: u16,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: i64,
    zcnt: i64,
    cnt_delta: i64,
    zcnt_delta: i64,
    sum: f64,
    leading: u8,
    trailing: u8,
    pos: Vec<i64>,
    pos_delta: Vec<i64>,
    neg: Vec<i64>,
    neg_delta: Vec<i64>,
    scratch: Vec<i64>,
    min_t: i64,
    /// Start timestamps after each sample (encodings 5 and 6), or none (2 and 3).
    st: Option<StEncoder>,
}

impl IntHistogramAppender {
    pub fn new(header: CounterResetHeader) -> Self {
        let mut b = BitWriter::new();
        b.write_bits(0, 16);
        b.write_byte(header.bits());
        IntHistogramAppender { b, num: 0, layout: Layout::default(), t: 0, t_delta: 0, cnt: 0, zcnt: 0, cnt_delta: 0, zcnt_delta: 0, sum: 0.0, leading: 0xff, trailing: 0, pos: Vec::new(), pos_delta: Vec::new(), neg: Vec::new(), neg_delta: Vec::new(), scratch: Vec::new(), min_t: i64::MIN, st: None }
    }

    /// A new chunk that stores start timestamps (encoding 5).
    pub fn new_st(header: CounterResetHeader) -> Self {
        let mut a = Self::new(header);
        a.b = BitWriter::new();
        write_empty_header(&mut a.b, header);
        a.st = Some(StEncoder::default());
        a
    }

    pub fn has_start_timestamps(&self) -> bool {
        self.st.is_some()
    }

    pub fn num_samples(&self) -> usize {
        self.num as usize
    }

    pub fn bytes(&self) -> &[u8] {
        self.b.bytes()
    }

    pub fn min_time(&self) -> i64 {
        self.min_t
    }

    pub fn max_time(&self) -> i64 {
        self.t
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn header(&self) -> CounterResetHeader {
        if self.st.is_some() {
            return read_counts(self.b.bytes()).1;
        }
        header_of(self.b.bytes())
    }

    /// Appends a sample in the chunk's layout (the first sample sets the layout). A stale
    /// marker carries no buckets: the columns keep their values and the sum is the stale NaN.
    pub fn append(&mut self, st: i64, t: i64, h: &Histogram) {
        debug_assert!(st == 0 || self.st.is_some(), "a start timestamp for a chunk without them");
        let prev_t = self.t;
        let stale = is_stale_nan(h.sum);
        if self.num == 0 {
            self.layout = Layout::of(h);
            self.layout.write(&mut self.b);
            put_varbit_int(&mut self.b, t);
            put_varbit_uint(&mut self.b, h.count as u64);
            put_varbit_uint(&mut self.b, h.zero_count as u64);
            self.b.write_bits(h.sum.to_bits(), 64);
            to_deltas(&h.positive_buckets, &mut self.pos);
            to_deltas(&h.negative_buckets, &mut self.neg);
            for &d in self.pos.iter().chain(&self.neg) {
                put_varbit_int(&mut self.b, d);
            }
            self.pos_delta = vec![0; self.pos.len()];
            self.neg_delta = vec![0; self.neg.len()];
            self.cnt = h.count as i64;
            self.zcnt = h.zero_count as i64;
            self.min_t = t;
        } else {
            let t_delta = t.wrapping_sub(self.t);
            put_varbit_int(&mut self.b, t_delta.wrapping_sub(self.t_delta));
            self.t_delta = t_delta;
            if stale {
                // The reader adds the running deltas to the counts: so do we.
                put_varbit_int(&mut self.b, 0);
                put_varbit_int(&mut self.b, 0);
                self.cnt = self.cnt.wrapping_add(self.cnt_delta);
                self.zcnt = self.zcnt.wrapping_add(self.zcnt_delta);
                xor_write(&mut self.b, h.sum, self.sum, &mut self.leading, &mut self.trailing);
            } else {
                let cnt_delta = (h.count as i64).wrapping_sub(self.cnt);
                let zcnt_delta = (h.zero_count as i64).wrapping_sub(self.zcnt);
                put_varbit_int(&mut self.b, cnt_delta.wrapping_sub(self.cnt_delta));
                put_varbit_int(&mut self.b, zcnt_delta.wrapping_sub(self.zcnt_delta));
                self.cnt = h.count as i64;
                self.zcnt = h.zero_count as i64;
                self.cnt_delta = cnt_delta;
                self.zcnt_delta = zcnt_delta;
                xor_write(&mut self.b, h.sum, self.sum, &mut self.leading, &mut self.trailing);
                let mut scratch = std::mem::take(&mut self.scratch);
                for (abs, (last, dlt)) in [(&h.positive_buckets, (&mut self.pos, &mut self.pos_delta)), (&h.negative_buckets, (&mut self.neg, &mut self.neg_delta))] {
                    to_deltas(abs, &mut scratch);
                    for (i, &b) in scratch.iter().enumerate() {
                        let delta = b.wrapping_sub(last[i]);
                        put_varbit_int(&mut self.b, delta.wrapping_sub(dlt[i]));
                        dlt[i] = delta;
                        last[i] = b;
                    }
                }
                self.scratch = scratch;
            }
        }
        self.t = t;
        self.sum = h.sum;
        self.num += 1;
        if let Some(enc) = self.st.as_mut() {
            set_count(self.b.bytes_mut(), self.num);
            enc.encode(&mut self.b, self.num, t, prev_t, st);
            return;
        }
        let n = self.num.to_be_bytes();
        let bytes = self.b.bytes_mut();
        bytes[0] = n[0];
        bytes[1] = n[1];
    }
}

/// Decodes an integer-histogram chunk's samples as (t, histogram with absolute counts).
#[derive(Clone, Debug)]
pub struct IntHistogramIterator<'a> {
    br: BitReader<'a>,
    header: CounterResetHeader,
    total: u16,
    read: u16,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: i64,
    zcnt: i64,
    cnt_delta: i64,
    zcnt_delta: i64,
    sum: f64,
    leading: u8,
    trailing: u8,
    pos: Vec<i64>,
    pos_delta: Vec<i64>,
    neg: Vec<i64>,
    neg_delta: Vec<i64>,
    err: Option<String>,
    st: Option<StDecoder>,
}

impl<'a> IntHistogramIterator<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let ok = bytes.len() >= HISTOGRAM_HEADER;
        let (total, body) = if ok { (u16::from_be_bytes([bytes[0], bytes[1]]), &bytes[HISTOGRAM_HEADER..]) } else { (0, &bytes[..0]) };
        IntHistogramIterator {
            br: BitReader::new(body),
            header: header_of(bytes),
            total,
            read: 0,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            cnt: 0,
            zcnt: 0,
            cnt_delta: 0,
            zcnt_delta: 0,
            sum: 0.0,
            leading: 0xff,
            trailing: 0,
            pos: Vec::new(),
            pos_delta: Vec::new(),
            neg: Vec::new(),
            neg_delta: Vec::new(),
            err: (!ok).then(|| "histogram chunk shorter than its header".to_string()),
            st: None,
        }
    }

    /// Reads a chunk that stores start timestamps (encoding 5).
    pub fn new_st(bytes: &'a [u8]) -> Self {
        let mut it = Self::new(bytes);
        if it.err.is_none() {
            (it.total, it.header) = read_counts(bytes);
            it.st = Some(StDecoder::new(bytes));
        }
        it
    }

    /// The start timestamp of the sample last returned (0 = none).
    pub fn st(&self) -> i64 {
        self.st.as_ref().map_or(0, StDecoder::st)
    }

    pub fn error(&self) -> Option<&str> {
        self.err.as_deref()
    }

    pub fn header(&self) -> CounterResetHeader {
        self.header
    }

    fn fail(&mut self, what: &str) -> Option<(i64, Histogram)> {
        self.err = Some(format!("corrupt histogram chunk: {what} at sample {}", self.read));
        self.read = self.total;
        None
    }

    fn read_first(&mut self) -> Option<()> {
        self.layout = Layout::read(&mut self.br)?;
        self.t = read_varbit_int(&mut self.br)?;
        self.cnt = read_varbit_uint(&mut self.br)? as i64;
        self.zcnt = read_varbit_uint(&mut self.br)? as i64;
        self.sum = f64::from_bits(self.br.read_bits(64)?);
        let (np, nn) = (self.layout.positive_len(), self.layout.negative_len());
        for (n, v) in [(np, &mut self.pos), (nn, &mut self.neg)] {
            for _ in 0..n {
                v.push(read_varbit_int(&mut self.br)?);
            }
        }
        self.pos_delta = vec![0; np];
        self.neg_delta = vec![0; nn];
        Some(())
    }

    fn read_next(&mut self) -> Option<()> {
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.br)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.cnt_delta = self.cnt_delta.wrapping_add(read_varbit_int(&mut self.br)?);
        self.cnt = self.cnt.wrapping_add(self.cnt_delta);
        self.zcnt_delta = self.zcnt_delta.wrapping_add(read_varbit_int(&mut self.br)?);
        self.zcnt = self.zcnt.wrapping_add(self.zcnt_delta);
        xor_read(&mut self.br, &mut self.sum, &mut self.leading, &mut self.trailing)?;
        if is_stale_nan(self.sum) {
            return Some(());
        }
        for (v, d) in [(&mut self.pos, &mut self.pos_delta), (&mut self.neg, &mut self.neg_delta)] {
            for i in 0..v.len() {
                d[i] = d[i].wrapping_add(read_varbit_int(&mut self.br)?);
                v[i] = v[i].wrapping_add(d[i]);
            }
        }
        Some(())
    }

    fn current(&self) -> Histogram {
        if is_stale_nan(self.sum) {
            return Histogram::stale_marker(true);
        }
        let abs = |deltas: &[i64]| {
            let mut acc = 0i64;
            deltas
                .iter()
                .map(|&d| {
                    acc = acc.wrapping_add(d);
                    acc as f64
                })
                .collect::<Vec<f64>>()
        };
        let mut h = Histogram { hint: self.header.hint_at(self.read as usize), count: self.cnt as f64, zero_count: self.zcnt as f64, sum: self.sum, positive_buckets: abs(&self.pos), negative_buckets: abs(&self.neg), integer: true, ..Histogram::default() };
        self.layout.apply(&mut h);
        h
    }
}

impl Iterator for IntHistogramIterator<'_> {
    type Item = (i64, Histogram);

    fn next(&mut self) -> Option<(i64, Histogram)> {
        if self.read >= self.total {
            return None;
        }
        let prev_t = self.t;
        let ok = if self.read == 0 { self.read_first() } else { self.read_next() };
        if ok.is_none() {
            return self.fail("truncated sample");
        }
        let h = self.current();
        self.read += 1;
        if let Some(d) = self.st.as_mut() {
            if d.decode(&mut self.br, self.read, self.t, prev_t).is_none() {
                self.err = Some(format!("corrupt histogram chunk: truncated start timestamp at sample {}", self.read - 1));
                self.read = self.total;
                return None;
            }
        }
        Some((self.t, h))
    }
}
