//! What the two histogram chunk encodings share (`crates/tsdb/docs/chunks-histogram.md`): the
//! flags byte after the sample count (counter-reset header in its top two bits), the layout
//! written once at the start of the chunk (zero threshold, schema, spans, custom bounds), the
//! variable-width unsigned integers and XOR-compressed floats of the sample columns, and the
//! rule deciding whether a new histogram fits an open chunk.

use super::bstream::{BitReader, BitWriter};
use super::varbit::{put_varbit_int, read_varbit_int};
use crate::histogram::{bucket_indices, union, Histogram, Span, CUSTOM_BUCKETS_SCHEMA};

/// Bytes before the bit stream: the big-endian sample count and the flags byte.
pub const HISTOGRAM_HEADER: usize = 3;

/// The counter-reset header: the top two bits of the flags byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterResetHeader {
    Unknown,
    /// A counter reset happened between the previous chunk and this one.
    CounterReset,
    /// No counter reset between the previous chunk and this one.
    NotCounterReset,
    /// The chunk holds gauge histograms: no counter resets at all.
    Gauge,
}

impl CounterResetHeader {
    pub fn bits(self) -> u8 {
        match self {
            CounterResetHeader::Unknown => 0b0000_0000,
            CounterResetHeader::CounterReset => 0b1000_0000,
            CounterResetHeader::NotCounterReset => 0b0100_0000,
            CounterResetHeader::Gauge => 0b1100_0000,
        }
    }

    pub fn of_flags(flags: u8) -> CounterResetHeader {
        match flags & 0b1100_0000 {
            0b1000_0000 => CounterResetHeader::CounterReset,
            0b0100_0000 => CounterResetHeader::NotCounterReset,
            0b1100_0000 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The hint of the `index`-th sample read from a chunk with this header: a gauge chunk holds
    /// gauges; after the first sample no counter reset happens inside a chunk; the first
    /// sample's hint is the header's.
    pub fn hint_at(self, index: usize) -> crate::histogram::CounterResetHint {
        use crate::histogram::CounterResetHint as H;
        match self {
            CounterResetHeader::Gauge => H::Gauge,
            _ if index > 0 => H::NotCounterReset,
            CounterResetHeader::CounterReset => H::CounterReset,
            _ => H::Unknown,
        }
    }
}

/// The header of chunk bytes (Unknown for a chunk too short to have one).
pub fn header_of(bytes: &[u8]) -> CounterResetHeader {
    bytes.get(2).map_or(CounterResetHeader::Unknown, |&f| CounterResetHeader::of_flags(f))
}

/// Prometheus's `varbit_uint`: the buckets of `varbit_int` for unsigned values.
pub fn put_varbit_uint(b: &mut BitWriter, v: u64) {
    const BUCKETS: [(u64, u8, u8); 7] = [(0b10, 2, 3), (0b110, 3, 6), (0b1110, 4, 9), (0b11110, 5, 12), (0b111110, 6, 18), (0b1111110, 7, 25), (0b11111110, 8, 56)];
    if v == 0 {
        b.write_bit(false);
        return;
    }
    let len = 64 - v.leading_zeros() as u8;
    for &(prefix, plen, bits) in &BUCKETS {
        if len <= bits {
            b.write_bits(prefix, plen);
            b.write_bits(v, bits);
            return;
        }
    }
    b.write_bits(0xff, 8);
    b.write_bits(v, 64);
}

pub fn read_varbit_uint(r: &mut BitReader<'_>) -> Option<u64> {
    const WIDTHS: [u8; 7] = [3, 6, 9, 12, 18, 25, 56];
    let mut ones = 0u8;
    while ones < 8 && r.read_bit()? {
        ones += 1;
    }
    match ones {
        0 => Some(0),
        8 => r.read_bits(64),
        n => r.read_bits(WIDTHS[n as usize - 1]),
    }
}

/// Zero thresholds: 0 as one zero byte, a power of two 2^-243..2^10 as one byte (exponent of
/// the 0.5-mantissa form + 243), anything else as 255 and the float's 64 bits.
fn put_zero_threshold(b: &mut BitWriter, zt: f64) {
    if zt == 0.0 {
        b.write_byte(0);
        return;
    }
    if let Some(exp) = half_mantissa_exponent(zt) {
        if (-242..=10).contains(&exp) {
            b.write_byte((exp + 243) as u8);
            return;
        }
    }
    b.write_byte(255);
    b.write_bits(zt.to_bits(), 64);
}

/// `e` such that `x == 0.5 * 2^e` (Go's `math.Frexp` giving a fraction of exactly 0.5).
fn half_mantissa_exponent(x: f64) -> Option<i32> {
    if !(x.is_finite() && x > 0.0) {
        return None;
    }
    let bits = x.to_bits();
    let (exp_bits, mantissa) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    if exp_bits == 0 {
        // Subnormal: a power of two when exactly one mantissa bit is set.
        return (mantissa.count_ones() == 1).then(|| mantissa.trailing_zeros() as i32 - 1074 + 1);
    }
    (mantissa == 0).then(|| exp_bits as i32 - 1023 + 1)
}

fn read_zero_threshold(r: &mut BitReader<'_>) -> Option<f64> {
    match r.read_byte()? {
        0 => Some(0.0),
        255 => r.read_bits(64).map(f64::from_bits),
        b => Some(0.5 * 2f64.powi(b as i32 - 243)),
    }
}

fn put_spans(b: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(b, spans.len() as u64);
    for s in spans {
        put_varbit_uint(b, s.length as u64);
        put_varbit_int(b, s.offset as i64);
    }
}

fn read_spans(r: &mut BitReader<'_>) -> Option<Vec<Span>> {
    let n = read_varbit_uint(r)?;
    let mut out = Vec::with_capacity(n.min(4096) as usize);
    for _ in 0..n {
        let length = u32::try_from(read_varbit_uint(r)?).ok()?;
        let offset = i32::try_from(read_varbit_int(r)?).ok()?;
        out.push(Span { offset, length });
    }
    Some(out)
}

/// Largest `bound * 1000` stored as a short integer (fits four bytes of varbit).
const MAX_SHORT_CUSTOM_BOUND: f64 = 33_554_430.0;

/// A custom bound: `x * 1000 + 1` as `varbit_uint` when that is a small non-negative integer
/// (always starting with a 1 bit), else a 0 bit and the float's 64 bits.
fn put_custom_bound(b: &mut BitWriter, x: f64) {
    let y = x * 1000.0;
    if (0.0..=MAX_SHORT_CUSTOM_BOUND).contains(&y) && y.fract() == 0.0 {
        put_varbit_uint(b, y as u64 + 1);
    } else {
        b.write_bit(false);
        b.write_bits(x.to_bits(), 64);
    }
}

fn read_custom_bound(r: &mut BitReader<'_>) -> Option<f64> {
    match read_varbit_uint(r)? {
        0 => r.read_bits(64).map(f64::from_bits),
        v => Some((v - 1) as f64 / 1000.0),
    }
}

/// The layout a chunk's first sample dictates; every sample of the chunk has these buckets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub schema: i32,
    pub zero_threshold: f64,
    pub positive_spans: Vec<Span>,
    pub negative_spans: Vec<Span>,
    pub custom_values: Vec<f64>,
}

impl Layout {
    pub fn of(h: &Histogram) -> Layout {
        Layout { schema: h.schema, zero_threshold: h.zero_threshold, positive_spans: h.positive_spans.clone(), negative_spans: h.negative_spans.clone(), custom_values: h.custom_values.clone() }
    }

    pub fn positive_len(&self) -> usize {
        self.positive_spans.iter().map(|s| s.length as usize).sum()
    }

    pub fn negative_len(&self) -> usize {
        self.negative_spans.iter().map(|s| s.length as usize).sum()
    }

    pub fn write(&self, b: &mut BitWriter) {
        put_zero_threshold(b, self.zero_threshold);
        put_varbit_int(b, self.schema as i64);
        put_spans(b, &self.positive_spans);
        put_spans(b, &self.negative_spans);
        if self.schema == CUSTOM_BUCKETS_SCHEMA {
            put_varbit_uint(b, self.custom_values.len() as u64);
            for &v in &self.custom_values {
                put_custom_bound(b, v);
            }
        }
    }

    pub fn read(r: &mut BitReader<'_>) -> Option<Layout> {
        let zero_threshold = read_zero_threshold(r)?;
        let schema = i32::try_from(read_varbit_int(r)?).ok()?;
        let positive_spans = read_spans(r)?;
        let negative_spans = read_spans(r)?;
        let mut custom_values = Vec::new();
        if schema == CUSTOM_BUCKETS_SCHEMA {
            let n = read_varbit_uint(r)?;
            for _ in 0..n {
                custom_values.push(read_custom_bound(r)?);
            }
        }
        Some(Layout { schema, zero_threshold, positive_spans, negative_spans, custom_values })
    }

    /// Copies the layout into a decoded sample.
    pub fn apply(&self, h: &mut Histogram) {
        h.schema = self.schema;
        h.zero_threshold = self.zero_threshold;
        h.positive_spans.clone_from(&self.positive_spans);
        h.negative_spans.clone_from(&self.negative_spans);
        h.custom_values.clone_from(&self.custom_values);
    }
}

/// How a histogram fits an open chunk.
#[derive(Clone, Debug, PartialEq)]
pub enum Fit {
    /// Same buckets (or a subset: the missing ones are appended as zero).
    Append,
    /// New buckets appeared: the chunk is recoded to these positive and negative bucket indices.
    Recode(Vec<i32>, Vec<i32>),
    /// A count went down: a new chunk with the CounterReset header.
    CounterReset,
    /// Schema, zero threshold or custom bounds changed: a new chunk.
    NewLayout,
}

/// Whether `h` fits a chunk of `layout` whose last (non-stale) sample is `last`. For counters a
/// decrease of the count, the zero count or any bucket (a bucket `h` lacks counts as 0) is a
/// counter reset; gauges take any values.
pub fn fit(layout: &Layout, last: Option<&Histogram>, h: &Histogram, gauge: bool) -> Fit {
    if h.schema != layout.schema || h.zero_threshold.to_bits() != layout.zero_threshold.to_bits() || !same_floats(&h.custom_values, &layout.custom_values) {
        return Fit::NewLayout;
    }
    let (cpos, cneg) = (bucket_indices(&layout.positive_spans), bucket_indices(&layout.negative_spans));
    let (hpos, hneg) = (bucket_indices(&h.positive_spans), bucket_indices(&h.negative_spans));
    if !gauge {
        if let Some(last) = last {
            if h.count < last.count || h.zero_count < last.zero_count {
                return Fit::CounterReset;
            }
            if decreased(&cpos, &last.positive_buckets, &hpos, &h.positive_buckets) || decreased(&cneg, &last.negative_buckets, &hneg, &h.negative_buckets) {
                return Fit::CounterReset;
            }
        }
    }
    let (upos, uneg) = (union(&cpos, &hpos), union(&cneg, &hneg));
    if upos.len() > cpos.len() || uneg.len() > cneg.len() {
        Fit::Recode(upos, uneg)
    } else {
        Fit::Append
    }
}

fn same_floats(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Whether any bucket of the old sample (`old` counts at `old_idx`) is lower in the new one.
fn decreased(old_idx: &[i32], old: &[f64], new_idx: &[i32], new: &[f64]) -> bool {
    let mut k = 0;
    for (i, &idx) in old_idx.iter().enumerate() {
        while k < new_idx.len() && new_idx[k] < idx {
            k += 1;
        }
        let now = if k < new_idx.len() && new_idx[k] == idx { new[k] } else { 0.0 };
        if now < old.get(i).copied().unwrap_or(0.0) {
            return true;
        }
    }
    false
}

/// Prometheus's XOR float compression with per-column leading/trailing state (`0xff` = unset).
pub fn xor_write(b: &mut BitWriter, new: f64, old: f64, leading: &mut u8, trailing: &mut u8) {
    let delta = new.to_bits() ^ old.to_bits();
    if delta == 0 {
        b.write_bit(false);
        return;
    }
    b.write_bit(true);
    let lead = (delta.leading_zeros() as u8).min(31);
    let trail = delta.trailing_zeros() as u8;
    if *leading != 0xff && lead >= *leading && trail >= *trailing {
        b.write_bit(false);
        b.write_bits(delta >> *trailing, 64 - *leading - *trailing);
        return;
    }
    *leading = lead;
    *trailing = trail;
    b.write_bit(true);
    b.write_bits(lead as u64, 5);
    let sig = 64 - lead - trail;
    b.write_bits((sig % 64) as u64, 6);
    b.write_bits(delta >> trail, sig);
}

/// Reads what `xor_write` wrote into `value`.
pub fn xor_read(r: &mut BitReader<'_>, value: &mut f64, leading: &mut u8, trailing: &mut u8) -> Option<()> {
    if !r.read_bit()? {
        return Some(());
    }
    if r.read_bit()? {
        *leading = r.read_bits(5)? as u8;
        let mut sig = r.read_bits(6)? as u8;
        if sig == 0 {
            sig = 64;
        }
        if *leading as u32 + sig as u32 > 64 {
            return None;
        }
        *trailing = 64 - *leading - sig;
    } else if *leading == 0xff {
        return None;
    }
    let sig = 64 - *leading - *trailing;
    let bits = r.read_bits(sig)?;
    let shifted = if *trailing >= 64 { 0 } else { bits << *trailing };
    *value = f64::from_bits(value.to_bits() ^ shifted);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip_with_every_zero_threshold_form() {
        for zt in [0.0, 2f64.powi(-128), 0.001, 1024.0, 2048.0, 2f64.powi(-243)] {
            let l = Layout { schema: -53, zero_threshold: zt, positive_spans: vec![Span { offset: 0, length: 3 }], negative_spans: vec![], custom_values: vec![0.1, 0.25, 1.0, 1e9, -5.0, 0.0001] };
            let mut w = BitWriter::new();
            l.write(&mut w);
            let mut r = BitReader::new(w.bytes());
            assert_eq!(Layout::read(&mut r), Some(l), "zero threshold {zt}");
        }
        // The default zero threshold 2^-128 takes one byte (-127 + 243).
        let mut w = BitWriter::new();
        put_zero_threshold(&mut w, 2f64.powi(-128));
        assert_eq!(w.bytes(), &[116]);
    }

    #[test]
    fn varbit_uints_round_trip() {
        let values = [0u64, 1, 7, 8, 63, 64, 511, 4095, 4096, 262_143, 33_554_431, 1 << 55, u64::MAX];
        let mut w = BitWriter::new();
        for &v in &values {
            put_varbit_uint(&mut w, v);
        }
        let mut r = BitReader::new(w.bytes());
        for &v in &values {
            assert_eq!(read_varbit_uint(&mut r), Some(v));
        }
    }

    #[test]
    fn fit_tells_appends_recodes_and_resets_apart() {
        let h = |spans: Vec<Span>, buckets: Vec<f64>, count: f64| Histogram { count, positive_spans: spans, positive_buckets: buckets, ..Histogram::default() };
        let last = h(vec![Span { offset: 0, length: 2 }], vec![1.0, 2.0], 3.0);
        let layout = Layout::of(&last);
        assert_eq!(fit(&layout, Some(&last), &h(vec![Span { offset: 0, length: 2 }], vec![1.0, 3.0], 4.0), false), Fit::Append);
        assert_eq!(fit(&layout, Some(&last), &h(vec![Span { offset: 0, length: 3 }], vec![1.0, 3.0, 1.0], 5.0), false), Fit::Recode(vec![0, 1, 2], vec![]));
        assert_eq!(fit(&layout, Some(&last), &h(vec![Span { offset: 0, length: 2 }], vec![0.0, 3.0], 4.0), false), Fit::CounterReset);
        // A bucket that was 0 may disappear (it is kept as 0); one that counted may not.
        let zero_first = h(vec![Span { offset: 0, length: 2 }], vec![0.0, 2.0], 2.0);
        assert_eq!(fit(&layout, Some(&zero_first), &h(vec![Span { offset: 1, length: 1 }], vec![2.0], 2.0), false), Fit::Append);
        assert_eq!(fit(&layout, Some(&last), &h(vec![Span { offset: 1, length: 1 }], vec![2.0], 3.0), false), Fit::CounterReset);
        assert_eq!(fit(&layout, Some(&last), &h(vec![Span { offset: 0, length: 2 }], vec![0.0, 0.0], 0.0), true), Fit::Append, "gauges go down freely");
        let mut other = last.clone();
        other.schema = 1;
        assert_eq!(fit(&layout, Some(&last), &other, false), Fit::NewLayout);
    }
}
