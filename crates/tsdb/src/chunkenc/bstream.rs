//! Bit streams: the writer appends bits most-significant first, the reader reads them back.

/// Bytes added to a full buffer at a time (see `BitWriter::reserve_byte`).
const GROWTH_STEP: usize = 32;

/// An append-only bit stream over a byte vector.
#[derive(Clone, Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Free bits in the last byte (0 = a new byte is needed for the next bit).
    free: u8,
}

impl BitWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Continues writing after `bits_used` bits of `bytes`.
    pub fn resume(mut bytes: Vec<u8>, bits_used: usize) -> Self {
        bytes.truncate(bits_used.div_ceil(8));
        let rem = (bits_used % 8) as u8;
        let free = if rem == 0 { 0 } else { 8 - rem };
        BitWriter { bytes, free }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Grows the buffer in small steps rather than doubling it: the head keeps one open chunk
    /// per series for up to two hours, and a doubled buffer wastes a quarter of its size on
    /// average (measured in tests/memory_per_series.rs), which across a million series is more
    /// than the occasional extra reallocation costs.
    fn reserve_byte(&mut self) {
        if self.bytes.len() == self.bytes.capacity() {
            self.bytes.reserve_exact(GROWTH_STEP);
        }
    }

    pub fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.reserve_byte();
            self.bytes.push(0);
            self.free = 8;
        }
        if bit {
            *self.bytes.last_mut().expect("a byte was pushed") |= 1 << (self.free - 1);
        }
        self.free -= 1;
    }

    pub fn write_byte(&mut self, byte: u8) {
        self.reserve_byte();
        if self.free == 0 {
            self.bytes.push(byte);
            return;
        }
        let last = self.bytes.last_mut().expect("free > 0 implies a byte");
        *last |= byte >> (8 - self.free);
        self.bytes.push(byte << self.free);
    }

    /// Go's `binary.PutUvarint`, byte by byte (chunk timestamps).
    pub fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.write_byte((x as u8) | 0x80);
            x >>= 7;
        }
        self.write_byte(x as u8);
    }

    /// Go's zig-zag `binary.PutVarint`.
    pub fn write_varint(&mut self, x: i64) {
        self.write_uvarint(((x as u64) << 1) ^ ((x >> 63) as u64));
    }

    /// Writes the low `n` bits of `v`, most significant first: the free bits of the last byte
    /// first, then whole bytes, then the rest in a new byte (a sample's bits in a few steps
    /// rather than one call per bit, which made up most of a scrape's chunk-encoding time).
    pub fn write_bits(&mut self, v: u64, n: u8) {
        debug_assert!(n <= 64);
        let mut n = u32::from(n.min(64));
        if n == 0 {
            return;
        }
        let v = if n == 64 { v } else { v & ((1u64 << n) - 1) };
        if self.free > 0 {
            let free = u32::from(self.free);
            let take = free.min(n);
            n -= take;
            // The top `take` of the `n` bits left, placed right after the last byte's used bits.
            let top = (v >> n) & ((1u64 << take) - 1);
            *self.bytes.last_mut().expect("free > 0 implies a byte") |= (top << (free - take)) as u8;
            self.free -= take as u8;
            if n == 0 {
                return;
            }
        }
        let needed = n.div_ceil(8) as usize;
        if self.bytes.capacity() - self.bytes.len() < needed {
            self.bytes.reserve_exact(GROWTH_STEP.max(needed));
        }
        while n >= 8 {
            n -= 8;
            self.bytes.push((v >> n) as u8);
        }
        if n > 0 {
            // The last `n` bits at the top of a new byte.
            self.bytes.push((v << (8 - n)) as u8);
            self.free = (8 - n) as u8;
        }
    }
}

/// Reads bits from a byte slice.
#[derive(Clone, Debug)]
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start of `bytes`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1 == 1;
        self.pos += 1;
        Some(bit)
    }

    /// Reads `n` (<= 64) bits as the low bits of a u64.
    #[inline]
    pub fn read_bits(&mut self, n: u8) -> Option<u64> {
        if n == 0 {
            return Some(0);
        }
        let (at, offset) = (self.pos / 8, self.pos % 8);
        // Chunk decoding spends most of its time here: where nine bytes remain, one big-endian
        // word load (and a ninth byte when the bits straddle it) replaces a loop per byte.
        if let Some(window) = self.bytes.get(at..at + 9) {
            let word = u64::from_be_bytes(window[..8].try_into().expect("eight bytes"));
            let mut aligned = word << offset;
            if offset + n as usize > 64 {
                aligned |= u64::from(window[8]) >> (8 - offset);
            }
            self.pos += n as usize;
            return Some(aligned >> (64 - n as usize));
        }
        self.read_bits_slow(n)
    }

    /// `read_bits` near the end of the bytes, a byte at a time.
    fn read_bits_slow(&mut self, n: u8) -> Option<u64> {
        if self.pos + n as usize > self.bytes.len() * 8 {
            return None;
        }
        let mut v: u64 = 0;
        let mut left = n as usize;
        while left > 0 {
            let byte = self.bytes[self.pos / 8];
            let offset = self.pos % 8;
            let avail = 8 - offset;
            let take = avail.min(left);
            let bits = (byte >> (avail - take)) & ((1u16 << take) - 1) as u8;
            v = (v << take) | bits as u64;
            self.pos += take;
            left -= take;
        }
        Some(v)
    }

    /// How many of the next (at most four) bits are ones before the first zero: the prefix of
    /// an XOR timestamp's delta of deltas, read at once rather than bit by bit.
    #[inline]
    pub fn read_ones_prefix(&mut self, max: u8) -> Option<u8> {
        let (at, offset) = (self.pos / 8, self.pos % 8);
        if let Some(pair) = self.bytes.get(at..at + 2) {
            // At least nine valid bits after the shift: more than the ones and zero looked for.
            let window = u16::from_be_bytes([pair[0], pair[1]]) << offset;
            let ones = (window.leading_ones() as u8).min(max);
            // The zero after the ones is read too, unless `max` ones ended the prefix.
            self.pos += ones as usize + usize::from(ones < max);
            return Some(ones);
        }
        let mut ones = 0u8;
        while ones < max {
            if !self.read_bit()? {
                break;
            }
            ones += 1;
        }
        Some(ones)
    }

    pub fn read_byte(&mut self) -> Option<u8> {
        self.read_bits(8).map(|b| b as u8)
    }

    /// Go's `binary.Uvarint`; None when truncated or overflowing 64 bits.
    pub fn read_uvarint(&mut self) -> Option<u64> {
        let mut x: u64 = 0;
        for i in 0..10 {
            let b = self.read_byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return None;
                }
                return Some(x | (b as u64) << (7 * i));
            }
            x |= ((b & 0x7f) as u64) << (7 * i);
        }
        None
    }

    /// Go's zig-zag `binary.Varint`.
    pub fn read_varint(&mut self) -> Option<i64> {
        let ux = self.read_uvarint()?;
        let x = (ux >> 1) as i64;
        Some(if ux & 1 != 0 { !x } else { x })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;

    #[test]
    fn bits_round_trip() {
        let mut w = BitWriter::new();
        w.write_bit(true);
        w.write_bits(0b1011, 4);
        w.write_byte(0xA5);
        w.write_bits(u64::MAX, 64);
        w.write_bits(0x1234, 13);
        let mut r = BitReader::new(w.bytes());
        assert_eq!(r.read_bit(), Some(true));
        assert_eq!(r.read_bits(4), Some(0b1011));
        assert_eq!(r.read_byte(), Some(0xA5));
        assert_eq!(r.read_bits(64), Some(u64::MAX));
        assert_eq!(r.read_bits(13), Some(0x1234 & 0x1fff));
    }

    /// Spans written at once give the bytes of the same bits written one by one, whatever the
    /// bit offset they start at, the widths and the bits above the width.
    #[test]
    fn spans_match_bit_by_bit_writing() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let (mut fast, mut slow) = (BitWriter::new(), BitWriter::new());
            for _ in 0..60 {
                let v = next();
                let n = (next() % 65) as u8;
                fast.write_bits(v, n);
                for i in (0..n).rev() {
                    slow.write_bit((v >> i) & 1 == 1);
                }
                if next().is_multiple_of(5) {
                    let b = next() as u8;
                    fast.write_byte(b);
                    slow.write_byte(b);
                }
                assert_eq!(fast.bytes(), slow.bytes());
                assert_eq!(fast.free, slow.free);
            }
        }
    }

    /// Fields of every width at every bit offset, long enough streams for the word-load path
    /// and ending within eight bytes for the byte-wise one: all read back as written.
    #[test]
    fn fields_read_back_at_every_offset_and_near_the_end() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for round in 0..200 {
            let mut w = BitWriter::new();
            let mut fields = Vec::new();
            for _ in 0..(round % 40 + 1) {
                let n = (next() % 64 + 1) as u8;
                let v = next() & if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                w.write_bits(v, n);
                fields.push((v, n));
            }
            let mut r = BitReader::new(w.bytes());
            for &(v, n) in &fields {
                assert_eq!(r.read_bits(n), Some(v), "round {round}, {n} bits");
            }
            let rest = w.bytes().len() * 8 - r.position();
            assert_eq!(r.read_bits(rest as u8 + 1), None, "past the end");
        }
    }

    #[test]
    fn ones_prefix_stops_at_the_zero_or_the_maximum() {
        let mut w = BitWriter::new();
        for (prefix, width) in [(0b0u64, 1u8), (0b10, 2), (0b110, 3), (0b1110, 4), (0b1111, 4)] {
            w.write_bits(prefix, width);
            w.write_bits(0b101, 3);
        }
        // Once with room for the two-byte load, once a byte at a time at the very end.
        for pad in [2usize, 0] {
            let mut bytes = w.bytes().to_vec();
            bytes.extend(std::iter::repeat_n(0xff, pad));
            let mut r = BitReader::new(&bytes);
            for want in 0..=4u8 {
                assert_eq!(r.read_ones_prefix(4), Some(want), "pad {pad}");
                assert_eq!(r.read_bits(3), Some(0b101), "pad {pad}, after {want} ones");
            }
        }
    }

    #[test]
    fn resume_continues_at_the_bit() {
        let mut w = BitWriter::new();
        w.write_bits(0b101, 3);
        let mut w2 = BitWriter::resume(w.bytes().to_vec(), 3);
        w2.write_bits(0b11111, 5);
        assert_eq!(w2.bytes(), &[0b1011_1111]);
    }
}
