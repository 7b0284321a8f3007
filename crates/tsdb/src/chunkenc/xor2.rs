//! Prometheus's XOR2 chunk encoding (encoding 4): XOR's values and timestamps with a joint
//! timestamp/value control prefix from the third sample on, plus an optional start timestamp
//! (ST) per sample. We write it only for chunks that carry start timestamps, so blocks without
//! them stay readable by Prometheus 2.x. The format is described in `crates/tsdb/docs/chunks-xor2.md`.

use super::bstream::{BitReader, BitWriter};
use super::varbit::{put_varbit_int, read_varbit_int};
use super::{is_stale_nan, STALE_NAN_BITS};

/// Sample count (2 bytes) and the ST header byte.
const HEADER: usize = 3;
/// The ST header holds the index of the first ST change in 7 bits; a chunk reaching this many
/// samples without a change records one anyway so later changes stay representable.
const MAX_FIRST_ST_CHANGE_ON: u16 = 0x7f;
const FIRST_ST_KNOWN: u8 = 0x80;

/// Leading zeros clamped to what 5 bits hold, and trailing zeros, of a non-zero XOR delta.
fn window(delta: u64) -> (u8, u8) {
    ((delta.leading_zeros() as u8).min(31), delta.trailing_zeros() as u8)
}

/// Builds one XOR2 chunk. Timestamps must be strictly increasing (the head checks that).
#[derive(Clone, Debug)]
pub struct Xor2Appender {
    b: BitWriter,
    num: u16,
    st: i64,
    t: i64,
    /// The last non-stale value: values are XORed against it.
    v: f64,
    t_delta: u64,
    /// `previous t - st` as last recorded.
    st_diff: i64,
    leading: u8,
    trailing: u8,
    first_st_change_on: u16,
    min_t: i64,
}

impl Default for Xor2Appender {
    fn default() -> Self {
        Self::new()
    }
}

impl Xor2Appender {
    pub fn new() -> Self {
        let mut b = BitWriter::new();
        b.write_bits(0, 24);
        Xor2Appender { b, num: 0, st: 0, t: 0, v: 0.0, t_delta: 0, st_diff: 0, leading: 0xff, trailing: 0, first_st_change_on: 0, min_t: i64::MIN }
    }

    /// Resumes appending to an existing chunk.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        let mut it = Xor2Iterator::new(&bytes);
        let mut min_t = i64::MIN;
        let mut count = 0u16;
        for (_, t, _) in it.by_ref() {
            if count == 0 {
                min_t = t;
            }
            count += 1;
        }
        if let Some(e) = it.err.take() {
            return Err(e);
        }
        let bits_used = HEADER * 8 + it.br.position();
        let mut a = Xor2Appender {
            b: BitWriter::new(),
            num: count,
            st: it.st,
            t: it.t,
            v: it.baseline,
            t_delta: it.t_delta,
            st_diff: it.st_diff,
            leading: it.leading,
            trailing: it.trailing,
            first_st_change_on: it.first_st_change_on as u16,
            min_t,
        };
        a.b = BitWriter::resume(bytes, bits_used);
        Ok(a)
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

    /// Appends a sample; `st` 0 means "no start timestamp".
    pub fn append(&mut self, st: i64, t: i64, v: f64) {
        assert!(self.num < u16::MAX, "chunk capacity exceeded");
        let mut t_delta = 0u64;
        let mut st_diff = 0i64;
        match self.num {
            0 => {
                self.b.write_varint(t);
                self.b.write_bits(v.to_bits(), 64);
                if st != 0 {
                    self.b.write_varint(t.wrapping_sub(st));
                    self.b.bytes_mut()[2] = FIRST_ST_KNOWN;
                }
                self.min_t = t;
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                self.b.write_uvarint(t_delta);
                self.write_value(v);
                if st != self.st {
                    st_diff = self.t.wrapping_sub(st);
                    self.first_st_change_on = 1;
                    self.b.bytes_mut()[2] |= 1;
                    put_varbit_int(&mut self.b, st_diff);
                }
            }
            n => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                self.write_joint(dod, v);
                if self.first_st_change_on > 0 {
                    st_diff = self.t.wrapping_sub(st);
                    put_varbit_int(&mut self.b, st_diff.wrapping_sub(self.st_diff));
                } else if st != self.st || n == MAX_FIRST_ST_CHANGE_ON {
                    st_diff = self.t.wrapping_sub(st);
                    self.first_st_change_on = n;
                    self.b.bytes_mut()[2] |= n as u8;
                    put_varbit_int(&mut self.b, st_diff);
                } else {
                    // No ST written: the recorded difference stays what it was.
                    st_diff = self.st_diff;
                }
            }
        }
        self.st = st;
        self.t = t;
        if !is_stale_nan(v) {
            self.v = v;
        }
        self.t_delta = t_delta;
        self.st_diff = st_diff;
        self.num += 1;
        let n = self.num.to_be_bytes();
        let bytes = self.b.bytes_mut();
        bytes[0] = n[0];
        bytes[1] = n[1];
    }

    /// The control prefix and value of the third and later samples.
    fn write_joint(&mut self, dod: i64, v: f64) {
        if dod == 0 {
            if is_stale_nan(v) {
                self.b.write_bits(0b11111, 5);
                return;
            }
            let delta = v.to_bits() ^ self.v.to_bits();
            if delta == 0 {
                self.b.write_bit(false);
                return;
            }
            self.b.write_bits(0b10, 2);
            let (leading, trailing) = window(delta);
            if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
                self.b.write_bit(false);
                self.b.write_bits(delta >> self.trailing, 64 - self.leading - self.trailing);
            } else {
                self.b.write_bit(true);
                self.write_new_window(delta, leading, trailing);
            }
            return;
        }
        if (-(1 << 12)..(1 << 12)).contains(&dod) {
            self.b.write_bits(0b110, 3);
            self.b.write_bits(dod as u64 & 0x1fff, 13);
        } else if (-(1 << 19)..(1 << 19)).contains(&dod) {
            self.b.write_bits(0b1110, 4);
            self.b.write_bits(dod as u64 & 0xf_ffff, 20);
        } else {
            self.b.write_bits(0b11110, 5);
            self.b.write_bits(dod as u64, 64);
        }
        self.write_value(v);
    }

    /// `<varbit_xor2>`: `0` unchanged, `10` same window, `110` new window, `111` stale marker.
    fn write_value(&mut self, v: f64) {
        if is_stale_nan(v) {
            self.b.write_bits(0b111, 3);
            return;
        }
        let delta = v.to_bits() ^ self.v.to_bits();
        if delta == 0 {
            self.b.write_bit(false);
            return;
        }
        let (leading, trailing) = window(delta);
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.b.write_bits(0b10, 2);
            self.b.write_bits(delta >> self.trailing, 64 - self.leading - self.trailing);
            return;
        }
        self.b.write_bits(0b110, 3);
        self.write_new_window(delta, leading, trailing);
    }

    fn write_new_window(&mut self, delta: u64, leading: u8, trailing: u8) {
        self.leading = leading;
        self.trailing = trailing;
        self.b.write_bits(leading as u64, 5);
        let sigbits = 64 - leading - trailing;
        // 64 significant bits are written as 0 and read back as 64.
        self.b.write_bits((sigbits % 64) as u64, 6);
        self.b.write_bits(delta >> trailing, sigbits);
    }
}

/// Decodes an XOR2 chunk's samples as (st, t, v), st 0 where none is recorded.
#[derive(Clone, Debug)]
pub struct Xor2Iterator<'a> {
    br: BitReader<'a>,
    total: u16,
    read: u16,
    first_st_known: bool,
    first_st_change_on: u8,
    st: i64,
    t: i64,
    baseline: f64,
    t_delta: u64,
    st_diff: i64,
    leading: u8,
    trailing: u8,
    err: Option<String>,
}

impl<'a> Xor2Iterator<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let ok = bytes.len() >= HEADER;
        let (total, header, body) = if ok { (u16::from_be_bytes([bytes[0], bytes[1]]), bytes[2], &bytes[HEADER..]) } else { (0, 0, &bytes[..0]) };
        Xor2Iterator {
            br: BitReader::new(body),
            total,
            read: 0,
            first_st_known: header & FIRST_ST_KNOWN != 0,
            first_st_change_on: header & 0x7f,
            st: 0,
            t: 0,
            baseline: 0.0,
            t_delta: 0,
            st_diff: 0,
            leading: 0xff,
            trailing: 0,
            err: if ok { None } else { Some("chunk shorter than its header".into()) },
        }
    }

    pub fn len_hint(&self) -> usize {
        self.total as usize
    }

    pub fn error(&self) -> Option<&str> {
        self.err.as_deref()
    }

    fn fail(&mut self, what: &str) -> Option<(i64, i64, f64)> {
        self.err = Some(format!("corrupt XOR2 chunk: {what} at sample {}", self.read));
        self.read = self.total;
        None
    }

    /// Reads `sigbits` value bits XORed into the baseline at the current window.
    fn read_in_window(&mut self) -> Option<f64> {
        if self.leading == 0xff {
            return None;
        }
        let bits = self.br.read_bits(64 - self.leading - self.trailing)?;
        let shifted = if self.trailing >= 64 { 0 } else { bits << self.trailing };
        self.baseline = f64::from_bits(self.baseline.to_bits() ^ shifted);
        Some(self.baseline)
    }

    fn read_new_window(&mut self) -> Option<f64> {
        let leading = self.br.read_bits(5)? as u8;
        let mut sig = self.br.read_bits(6)? as u8;
        if sig == 0 {
            sig = 64;
        }
        if leading as u32 + sig as u32 > 64 {
            return None;
        }
        self.leading = leading;
        self.trailing = 64 - leading - sig;
        self.read_in_window()
    }

    /// `<varbit_xor2>`.
    fn read_value(&mut self) -> Option<f64> {
        if !self.br.read_bit()? {
            return Some(self.baseline);
        }
        if !self.br.read_bit()? {
            return self.read_in_window();
        }
        if !self.br.read_bit()? {
            return self.read_new_window();
        }
        Some(f64::from_bits(STALE_NAN_BITS))
    }

    fn read_dod(&mut self, bits: u8) -> Option<()> {
        let mut x = self.br.read_bits(bits)?;
        if bits < 64 && x >= 1 << (bits - 1) {
            x = x.wrapping_sub(1 << bits);
        }
        self.t_delta = self.t_delta.wrapping_add(x);
        Some(())
    }

    fn step(&mut self) -> Option<f64> {
        let prev_t = self.t;
        let v = match self.read {
            0 => {
                self.t = self.br.read_varint()?;
                let v = f64::from_bits(self.br.read_bits(64)?);
                if !is_stale_nan(v) {
                    self.baseline = v;
                }
                if self.first_st_known {
                    self.st = self.t.wrapping_sub(self.br.read_varint()?);
                }
                return Some(v);
            }
            1 => {
                self.t_delta = self.br.read_uvarint()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?
            }
            _ => {
                let mut ones = 0;
                while ones < 5 && self.br.read_bit()? {
                    ones += 1;
                }
                let v = match ones {
                    0 => Some(self.baseline),
                    1 => {
                        if self.br.read_bit()? {
                            self.read_new_window()
                        } else {
                            self.read_in_window()
                        }
                    }
                    2 => self.read_dod(13).and_then(|_| self.read_value()),
                    3 => self.read_dod(20).and_then(|_| self.read_value()),
                    4 => self.read_dod(64).and_then(|_| self.read_value()),
                    _ => Some(f64::from_bits(STALE_NAN_BITS)),
                }?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                v
            }
        };
        let on = self.first_st_change_on as u16;
        if on > 0 && self.read >= on {
            let d = read_varbit_int(&mut self.br)?;
            self.st_diff = if self.read == on { d } else { self.st_diff.wrapping_add(d) };
            self.st = prev_t.wrapping_sub(self.st_diff);
        }
        Some(v)
    }
}

impl Iterator for Xor2Iterator<'_> {
    type Item = (i64, i64, f64);

    fn next(&mut self) -> Option<(i64, i64, f64)> {
        if self.read >= self.total {
            return None;
        }
        match self.step() {
            Some(v) => {
                self.read += 1;
                Some((self.st, self.t, v))
            }
            None => self.fail("truncated or invalid sample"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(samples: &[(i64, i64, f64)]) {
        let mut a = Xor2Appender::new();
        for &(st, t, v) in samples {
            a.append(st, t, v);
        }
        let mut it = Xor2Iterator::new(a.bytes());
        let got: Vec<(i64, i64, f64)> = it.by_ref().collect();
        assert_eq!(it.error(), None);
        assert_eq!(got.len(), samples.len());
        for (g, w) in got.iter().zip(samples) {
            assert_eq!((g.0, g.1), (w.0, w.1), "st/t of {w:?}");
            assert_eq!(g.2.to_bits(), w.2.to_bits(), "value bits of {w:?}");
        }
        if !samples.is_empty() {
            let mut resumed = Xor2Appender::from_bytes(a.bytes().to_vec()).unwrap();
            let mut whole = a.clone();
            let t = samples.last().unwrap().1 + 15_000;
            resumed.append(t - 7, t, 42.5);
            whole.append(t - 7, t, 42.5);
            assert_eq!(resumed.bytes(), whole.bytes());
        }
    }

    #[test]
    fn without_start_timestamps() {
        let stale = f64::from_bits(STALE_NAN_BITS);
        round_trip(&[(0, 1000, f64::NAN), (0, 2000, stale), (0, 3000, f64::INFINITY), (0, 4000, 1.0), (0, 5000, stale), (0, 6000, 1.0), (0, 6000 + (1 << 30), -0.0), (0, 6001 + (1 << 30), 2.5)]);
        let mut a = Xor2Appender::new();
        for i in 0..120 {
            a.append(0, 1_700_000_000_000 + i * 15_000, (i * 10) as f64);
        }
        assert_eq!(a.bytes()[2], 0, "no ST header bits");
        assert!(a.bytes().len() < 120 * 3);
    }

    #[test]
    fn start_timestamps_of_every_shape() {
        // Cumulative: one ST for many samples, then a reset (new ST), then deltas (ST = previous t).
        let mut s = Vec::new();
        for i in 0..10 {
            s.push((500, 1000 + i * 1000, i as f64));
        }
        for i in 10..20 {
            s.push((10_500, 1000 + i * 1000, i as f64));
        }
        for i in 20..30 {
            s.push((i * 1000, 1000 + i * 1000, 1.0));
        }
        round_trip(&s);
        // First sample without ST, later ones with; ST dropping back to none.
        round_trip(&[(0, 1000, 1.0), (0, 2000, 2.0), (1500, 3000, 3.0), (0, 4000, 4.0), (-5, 5000, 5.0)]);
        round_trip(&[(999, 1000, 1.0), (1000, 2000, 1.0)]);
        round_trip(&[(7, 1000, 1.0)]);
    }

    #[test]
    fn the_127th_sample_records_an_st() {
        let mut s: Vec<(i64, i64, f64)> = (0..200).map(|i| (100, 1000 + i * 10, i as f64)).collect();
        s[150].0 = 2000;
        round_trip(&s);
        let plain: Vec<(i64, i64, f64)> = (0..200).map(|i| (0, 1000 + i * 10, 1.0)).collect();
        round_trip(&plain);
    }

    #[test]
    fn seeded_random_round_trips() {
        let mut rnd = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let n = (rnd() % 300) as usize + 1;
            let mut t = (rnd() % 1_000_000) as i64;
            let mut st = 0i64;
            let mut s = Vec::new();
            for _ in 0..n {
                t += match rnd() % 4 {
                    0 => 15_000,
                    1 => 1 + (rnd() % 10) as i64,
                    2 => (rnd() % (1 << 25)) as i64 + 1,
                    _ => 15_000 + (rnd() % 200) as i64 - 100,
                };
                st = match rnd() % 6 {
                    0 => 0,
                    1 => t - 1,
                    2 => t - (rnd() % 100_000) as i64,
                    3 => st,
                    4 => t + 5,
                    _ => st + (rnd() % 3) as i64,
                };
                let v = match rnd() % 5 {
                    0 => f64::from_bits(STALE_NAN_BITS),
                    1 => s.last().map_or(1.0, |l: &(i64, i64, f64)| l.2),
                    2 => (rnd() % 1000) as f64,
                    3 => f64::from_bits(rnd()),
                    _ => (rnd() % 7) as f64 * 0.1,
                };
                s.push((st, t, v));
            }
            round_trip(&s);
        }
    }

    #[test]
    fn truncated_chunk_reports_an_error() {
        let mut a = Xor2Appender::new();
        for i in 0..10 {
            a.append(i * 3, i * 1000, i as f64 * 1.1);
        }
        let bytes = &a.bytes()[..a.bytes().len() - 3];
        let mut it = Xor2Iterator::new(bytes);
        assert!(it.by_ref().count() < 10);
        assert!(it.error().is_some());
    }
}
