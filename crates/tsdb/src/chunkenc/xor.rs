//! Prometheus's XOR chunk encoding (Gorilla with millisecond timestamps), bit for bit as
//! Prometheus writes it, so our blocks are readable by Prometheus and promtool and theirs by us.
//! The format is described in `crates/tsdb/docs/chunks-xor.md`.

use super::bstream::{BitReader, BitWriter};
use super::varbit::bit_range;

/// Size of the sample-count header at the start of a chunk.
const HEADER: usize = 2;


/// Builds one XOR chunk. Timestamps must be strictly increasing (the head checks that).
#[derive(Clone, Debug)]
pub struct XorAppender {
    b: BitWriter,
    num: u16,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
    min_t: i64,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    pub fn new() -> Self {
        let mut b = BitWriter::new();
        b.write_bits(0, 16);
        XorAppender { b, num: 0, t: 0, v: 0.0, t_delta: 0, leading: 0xff, trailing: 0, min_t: i64::MIN }
    }

    /// Resumes appending to an existing chunk (e.g. a head chunk rebuilt from disk).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < HEADER {
            return Err("chunk shorter than its header".into());
        }
        let mut it = XorIterator::new(&bytes);
        let mut min_t = i64::MIN;
        let mut count = 0u16;
        for (t, _) in it.by_ref() {
            if count == 0 {
                min_t = t;
            }
            count += 1;
        }
        if let Some(e) = it.err {
            return Err(e);
        }
        let state = it.state;
        let bits_used = HEADER * 8 + it.br_position;
        Ok(XorAppender {
            b: BitWriter::resume(bytes, bits_used),
            num: count,
            t: state.t,
            v: state.v,
            t_delta: state.t_delta,
            leading: state.leading,
            trailing: state.trailing,
            min_t,
        })
    }

    pub fn num_samples(&self) -> usize {
        self.num as usize
    }

    /// The chunk's bytes: 2-byte big-endian sample count, then the bit stream.
    pub fn bytes(&self) -> &[u8] {
        self.b.bytes()
    }

    pub fn min_time(&self) -> i64 {
        self.min_t
    }

    pub fn max_time(&self) -> i64 {
        self.t
    }

    pub fn append(&mut self, t: i64, v: f64) {
        match self.num {
            0 => {
                self.b.write_varint(t);
                self.b.write_bits(v.to_bits(), 64);
                self.min_t = t;
            }
            1 => {
                self.t_delta = t.wrapping_sub(self.t) as u64;
                self.b.write_uvarint(self.t_delta);
                self.write_value(v);
            }
            _ => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.b.write_bit(false);
                } else if bit_range(dod, 14) {
                    self.b.write_bits((0b10 << 14) | (dod as u64 & ((1 << 14) - 1)), 16);
                } else if bit_range(dod, 17) {
                    self.b.write_bits((0b110 << 17) | (dod as u64 & ((1 << 17) - 1)), 20);
                } else if bit_range(dod, 20) {
                    self.b.write_bits((0b1110 << 20) | (dod as u64 & ((1 << 20) - 1)), 24);
                } else {
                    self.b.write_bits(0b1111, 4);
                    self.b.write_bits(dod as u64, 64);
                }
                self.t_delta = t_delta;
                self.write_value(v);
            }
        }
        self.t = t;
        self.v = v;
        self.num += 1;
        let n = self.num.to_be_bytes();
        let bytes = self.b.bytes_mut();
        bytes[0] = n[0];
        bytes[1] = n[1];
    }

    fn write_value(&mut self, v: f64) {
        let delta = v.to_bits() ^ self.v.to_bits();
        if delta == 0 {
            self.b.write_bit(false);
            return;
        }
        let mut leading = delta.leading_zeros() as u8;
        let trailing = delta.trailing_zeros() as u8;
        // Five bits hold the leading-zero count: clamp as Prometheus does.
        if leading >= 32 {
            leading = 31;
        }
        // The control bits go out together with the fields that follow them: '1' (changed),
        // then '0' (the previous window) or '1' (a new one, with its leading and size fields).
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.b.write_bits(0b10, 2);
            self.b.write_bits(delta >> self.trailing, 64 - self.leading - self.trailing);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        // 64 significant bits do not fit in 6 bits: written as 0 and read back as 64.
        let sigbits = 64 - leading - trailing;
        self.b.write_bits((0b11 << 11) | (u64::from(leading) << 6) | u64::from(sigbits % 64), 13);
        self.b.write_bits(delta >> trailing, sigbits);
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct State {
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

/// Decodes a chunk's samples in order. A malformed chunk ends the iteration and sets `error()`.
#[derive(Clone, Debug)]
pub struct XorIterator<'a> {
    br: BitReader<'a>,
    total: u16,
    read: u16,
    state: State,
    err: Option<String>,
    br_position: usize,
}

impl<'a> XorIterator<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let (total, body) = if bytes.len() >= HEADER { (u16::from_be_bytes([bytes[0], bytes[1]]), &bytes[HEADER..]) } else { (0, &bytes[..0]) };
        let err = if bytes.len() < HEADER { Some("chunk shorter than its header".to_string()) } else { None };
        // leading = 0xff until a value sets it, as a fresh appender has it, so that an appender
        // resumed from these bytes continues exactly as the original would have.
        XorIterator { br: BitReader::new(body), total, read: 0, state: State { leading: 0xff, trailing: 0, ..State::default() }, err, br_position: 0 }
    }

    /// Number of samples the chunk header announces.
    pub fn len_hint(&self) -> usize {
        self.total as usize
    }

    pub fn error(&self) -> Option<&str> {
        self.err.as_deref()
    }

    fn fail(&mut self, what: &str) -> Option<(i64, f64)> {
        self.err = Some(format!("corrupt XOR chunk: {what} at sample {}", self.read));
        self.read = self.total;
        None
    }

    fn read_value(&mut self) -> Option<()> {
        if !self.br.read_bit()? {
            return Some(());
        }
        if self.br.read_bit()? {
            self.state.leading = self.br.read_bits(5)? as u8;
            let mut sig = self.br.read_bits(6)? as u8;
            if sig == 0 {
                sig = 64;
            }
            if self.state.leading as u32 + sig as u32 > 64 {
                return None;
            }
            self.state.trailing = 64 - self.state.leading - sig;
        } else if self.state.leading == 0xff {
            // "Reuse the previous leading/trailing zeros" before any were set: not a valid chunk.
            return None;
        }
        let sig = 64 - self.state.leading - self.state.trailing;
        let bits = self.br.read_bits(sig)?;
        let shifted = if self.state.trailing >= 64 { 0 } else { bits << self.state.trailing };
        self.state.v = f64::from_bits(self.state.v.to_bits() ^ shifted);
        Some(())
    }
}

impl Iterator for XorIterator<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        if self.read >= self.total {
            return None;
        }
        if self.read == 0 {
            let Some(t) = self.br.read_varint() else { return self.fail("bad first timestamp") };
            let Some(v) = self.br.read_bits(64) else { return self.fail("truncated first value") };
            self.state.t = t;
            self.state.v = f64::from_bits(v);
        } else if self.read == 1 {
            let Some(d) = self.br.read_uvarint() else { return self.fail("bad second timestamp") };
            self.state.t_delta = d;
            self.state.t = self.state.t.wrapping_add(d as i64);
            if self.read_value().is_none() {
                return self.fail("truncated value");
            }
        } else {
            let Some(prefix) = self.br.read_ones_prefix(4) else { return self.fail("truncated timestamp") };
            let size: u8 = match prefix {
                0 => 0,
                1 => 14,
                2 => 17,
                3 => 20,
                _ => 64,
            };
            let dod: i64 = if size == 0 {
                0
            } else {
                let Some(mut bits) = self.br.read_bits(size) else { return self.fail("truncated timestamp") };
                if size != 64 && bits > (1 << (size - 1)) {
                    bits = bits.wrapping_sub(1 << size);
                }
                bits as i64
            };
            self.state.t_delta = (self.state.t_delta as i64).wrapping_add(dod) as u64;
            self.state.t = self.state.t.wrapping_add(self.state.t_delta as i64);
            if self.read_value().is_none() {
                return self.fail("truncated value");
            }
        }
        self.read += 1;
        self.br_position = self.br.position();
        Some((self.state.t, self.state.v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(samples: &[(i64, f64)]) {
        let mut a = XorAppender::new();
        for &(t, v) in samples {
            a.append(t, v);
        }
        let got: Vec<(i64, f64)> = XorIterator::new(a.bytes()).collect();
        assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(samples) {
            assert_eq!(g.0, w.0);
            assert_eq!(g.1.to_bits(), w.1.to_bits(), "value bits at t={}", w.0);
        }
        // Resuming on the bytes and appending more gives the same bytes as one appender.
        if !samples.is_empty() {
            let mut resumed = XorAppender::from_bytes(a.bytes().to_vec()).unwrap();
            let mut whole = a.clone();
            let t = samples.last().unwrap().0 + 15_000;
            resumed.append(t, 42.5);
            whole.append(t, 42.5);
            assert_eq!(resumed.bytes(), whole.bytes());
            assert_eq!(resumed.num_samples(), samples.len() + 1);
        }
    }

    #[test]
    fn special_values_keep_their_bits() {
        let stale = f64::from_bits(super::super::STALE_NAN_BITS);
        round_trip(&[(1000, f64::NAN), (2000, stale), (3000, f64::INFINITY), (4000, f64::NEG_INFINITY), (5000, -0.0), (6000, 0.0), (7000, 1.5), (8000, stale)]);
    }

    #[test]
    fn irregular_and_huge_gaps() {
        round_trip(&[(-5, 1.0)]);
        round_trip(&[(0, 1.0), (1, 2.0), (2, 2.0), (10_000_000_000, 3.0), (10_000_000_001, 4.0), (10_000_015_000, 4.0), (20_000_000_000_000, -1e300)]);
        let mut v = Vec::new();
        let mut t = 1_600_000_000_000i64;
        for i in 0..500i64 {
            t += 15_000 + (i * 7919 % 2000) - 1000 + if i % 50 == 0 { 1 << 22 } else { 0 };
            v.push((t, (i as f64).sin() * 1e6));
        }
        round_trip(&v);
    }

    #[test]
    fn regular_counter_stays_small() {
        let mut a = XorAppender::new();
        for i in 0..120 {
            a.append(1_700_000_000_000 + i * 15_000, (i * 10) as f64);
        }
        // Constant steps and slowly growing values: a couple of bytes per sample.
        assert!(a.bytes().len() < 120 * 3, "{} bytes", a.bytes().len());
        assert_eq!(a.num_samples(), 120);
        assert_eq!(a.min_time(), 1_700_000_000_000);
        assert_eq!(a.max_time(), 1_700_000_000_000 + 119 * 15_000);
    }

    #[test]
    fn truncated_chunk_reports_an_error() {
        let mut a = XorAppender::new();
        for i in 0..10 {
            a.append(i * 1000, i as f64 * 1.1);
        }
        let bytes = &a.bytes()[..a.bytes().len() - 3];
        let mut it = XorIterator::new(bytes);
        let n = it.by_ref().count();
        assert!(n < 10);
        assert!(it.error().is_some());
    }
}
