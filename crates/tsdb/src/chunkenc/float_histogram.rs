//! Chunk encoding 3: float native histograms, bit for bit as Prometheus writes them
//! (`crates/tsdb/docs/chunks-histogram.md`). After the layout, the first sample holds its
//! timestamp and every count and the sum as plain 64-bit floats; later samples hold the
//! timestamp's delta-of-delta and each column XOR-compressed against its previous value.

use super::bstream::{BitReader, BitWriter};
use super::histogram_st::{read_counts, set_count, write_empty_header, StDecoder, StEncoder};
use super::histogram_meta::{header_of, xor_read, xor_write, CounterResetHeader, Layout, HISTOGRAM_HEADER};
use super::varbit::{put_varbit_int, read_varbit_int};
use crate::chunkenc::is_stale_nan;
use crate::histogram::Histogram;

/// One XOR-compressed column: its last value and leading/trailing-zero state.
#[derive(Clone, Copy, Debug)]
struct Column {
    value: f64,
    leading: u8,
    trailing: u8,
}

impl Column {
    fn new(value: f64) -> Column {
        Column { value, leading: 0xff, trailing: 0 }
    }

    fn write(&mut self, b: &mut BitWriter, v: f64) {
        xor_write(b, v, self.value, &mut self.leading, &mut self.trailing);
        self.value = v;
    }

    fn read(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        xor_read(r, &mut self.value, &mut self.leading, &mut self.trailing)
    }
}

/// Builds one float-histogram chunk; samples must have the chunk's layout.
#[derive(Clone, Debug)]
pub struct FloatHistogramAppender {
    b: BitWriter,
    num: u16,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: Column,
    zcnt: Column,
    sum: Column,
    pos: Vec<Column>,
    neg: Vec<Column>,
    min_t: i64,
    /// Start timestamps after each sample (encodings 5 and 6), or none (2 and 3).
    st: Option<StEncoder>,
}

impl FloatHistogramAppender {
    pub fn new(header: CounterResetHeader) -> Self {
        let mut b = BitWriter::new();
        b.write_bits(0, 16);
        b.write_byte(header.bits());
        FloatHistogramAppender { b, num: 0, layout: Layout::default(), t: 0, t_delta: 0, cnt: Column::new(0.0), zcnt: Column::new(0.0), sum: Column::new(0.0), pos: Vec::new(), neg: Vec::new(), min_t: i64::MIN, st: None }
    }

    /// A new chunk that stores start timestamps (encoding 6).
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

    /// Appends a sample in the chunk's layout; a stale marker writes its sum only (the counts
    /// repeat, which costs a bit each).
    pub fn append(&mut self, st: i64, t: i64, h: &Histogram) {
        debug_assert!(st == 0 || self.st.is_some(), "a start timestamp for a chunk without them");
        let prev_t = self.t;
        if self.num == 0 {
            self.layout = Layout::of(h);
            self.layout.write(&mut self.b);
            put_varbit_int(&mut self.b, t);
            for v in [h.count, h.zero_count, h.sum].into_iter().chain(h.positive_buckets.iter().copied()).chain(h.negative_buckets.iter().copied()) {
                self.b.write_bits(v.to_bits(), 64);
            }
            self.cnt = Column::new(h.count);
            self.zcnt = Column::new(h.zero_count);
            self.sum = Column::new(h.sum);
            self.pos = h.positive_buckets.iter().map(|&v| Column::new(v)).collect();
            self.neg = h.negative_buckets.iter().map(|&v| Column::new(v)).collect();
            self.min_t = t;
        } else {
            let t_delta = t.wrapping_sub(self.t);
            put_varbit_int(&mut self.b, t_delta.wrapping_sub(self.t_delta));
            self.t_delta = t_delta;
            if is_stale_nan(h.sum) {
                let (c, z) = (self.cnt.value, self.zcnt.value);
                self.cnt.write(&mut self.b, c);
                self.zcnt.write(&mut self.b, z);
                self.sum.write(&mut self.b, h.sum);
            } else {
                self.cnt.write(&mut self.b, h.count);
                self.zcnt.write(&mut self.b, h.zero_count);
                self.sum.write(&mut self.b, h.sum);
                for (col, &v) in self.pos.iter_mut().zip(&h.positive_buckets) {
                    col.write(&mut self.b, v);
                }
                for (col, &v) in self.neg.iter_mut().zip(&h.negative_buckets) {
                    col.write(&mut self.b, v);
                }
            }
        }
        self.t = t;
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

/// Decodes a float-histogram chunk's samples as (t, histogram).
#[derive(Clone, Debug)]
pub struct FloatHistogramIterator<'a> {
    br: BitReader<'a>,
    header: CounterResetHeader,
    total: u16,
    read: u16,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: Column,
    zcnt: Column,
    sum: Column,
    pos: Vec<Column>,
    neg: Vec<Column>,
    err: Option<String>,
    st: Option<StDecoder>,
}

impl<'a> FloatHistogramIterator<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let ok = bytes.len() >= HISTOGRAM_HEADER;
        let (total, body) = if ok { (u16::from_be_bytes([bytes[0], bytes[1]]), &bytes[HISTOGRAM_HEADER..]) } else { (0, &bytes[..0]) };
        FloatHistogramIterator {
            br: BitReader::new(body),
            header: header_of(bytes),
            total,
            read: 0,
            layout: Layout::default(),
            t: 0,
            t_delta: 0,
            cnt: Column::new(0.0),
            zcnt: Column::new(0.0),
            sum: Column::new(0.0),
            pos: Vec::new(),
            neg: Vec::new(),
            err: (!ok).then(|| "float histogram chunk shorter than its header".to_string()),
            st: None,
        }
    }

    /// Reads a chunk that stores start timestamps (encoding 6).
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

    fn read_first(&mut self) -> Option<()> {
        self.layout = Layout::read(&mut self.br)?;
        self.t = read_varbit_int(&mut self.br)?;
        let mut plain = || self.br.read_bits(64).map(f64::from_bits);
        let (c, z, s) = (plain()?, plain()?, plain()?);
        let (np, nn) = (self.layout.positive_len(), self.layout.negative_len());
        let mut pos = Vec::with_capacity(np);
        for _ in 0..np {
            pos.push(Column::new(plain()?));
        }
        let mut neg = Vec::with_capacity(nn);
        for _ in 0..nn {
            neg.push(Column::new(plain()?));
        }
        (self.cnt, self.zcnt, self.sum, self.pos, self.neg) = (Column::new(c), Column::new(z), Column::new(s), pos, neg);
        Some(())
    }

    fn read_next(&mut self) -> Option<()> {
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.br)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.cnt.read(&mut self.br)?;
        self.zcnt.read(&mut self.br)?;
        self.sum.read(&mut self.br)?;
        if is_stale_nan(self.sum.value) {
            return Some(());
        }
        for col in self.pos.iter_mut().chain(self.neg.iter_mut()) {
            col.read(&mut self.br)?;
        }
        Some(())
    }

    fn current(&self) -> Histogram {
        if is_stale_nan(self.sum.value) {
            return Histogram::stale_marker(false);
        }
        let mut h = Histogram {
            hint: self.header.hint_at(self.read as usize),
            count: self.cnt.value,
            zero_count: self.zcnt.value,
            sum: self.sum.value,
            positive_buckets: self.pos.iter().map(|c| c.value).collect(),
            negative_buckets: self.neg.iter().map(|c| c.value).collect(),
            integer: false,
            ..Histogram::default()
        };
        self.layout.apply(&mut h);
        h
    }
}

impl Iterator for FloatHistogramIterator<'_> {
    type Item = (i64, Histogram);

    fn next(&mut self) -> Option<(i64, Histogram)> {
        if self.read >= self.total {
            return None;
        }
        let prev_t = self.t;
        let ok = if self.read == 0 { self.read_first() } else { self.read_next() };
        if ok.is_none() {
            self.err = Some(format!("corrupt float histogram chunk: truncated sample {}", self.read));
            self.read = self.total;
            return None;
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
