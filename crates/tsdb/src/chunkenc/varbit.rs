//! Prometheus's variable bit-width signed integers (`varbit_int`): a unary prefix names the
//! width (0, 3, 6, 9, 12, 18, 25, 56 or 64 bits), the value follows in two's complement. Used
//! for start-timestamp deltas in XOR2 chunks.

use super::bstream::{BitReader, BitWriter};

/// (prefix bits, prefix length, value bits) by increasing width.
const BUCKETS: [(u64, u8, u8); 7] = [(0b10, 2, 3), (0b110, 3, 6), (0b1110, 4, 9), (0b11110, 5, 12), (0b111110, 6, 18), (0b1111110, 7, 25), (0b11111110, 8, 56)];

/// Whether `x` fits the signed `n`-bit bucket as Prometheus defines it (note the asymmetric
/// range: `-(2^(n-1) - 1) ..= 2^(n-1)`); also XOR's timestamp buckets.
pub(super) fn bit_range(x: i64, n: u8) -> bool {
    let half = 1i64 << (n - 1);
    -(half - 1) <= x && x <= half
}

pub fn put_varbit_int(b: &mut BitWriter, v: i64) {
    if v == 0 {
        b.write_bit(false);
        return;
    }
    for &(prefix, plen, bits) in &BUCKETS {
        if bit_range(v, bits) {
            b.write_bits(prefix, plen);
            b.write_bits(v as u64 & ((1u64 << bits) - 1), bits);
            return;
        }
    }
    b.write_bits(0xff, 8);
    b.write_bits(v as u64, 64);
}

pub fn read_varbit_int(r: &mut BitReader<'_>) -> Option<i64> {
    let mut ones = 0u8;
    while ones < 8 && r.read_bit()? {
        ones += 1;
    }
    let bits: u8 = match ones {
        0 => return Some(0),
        8 => return r.read_bits(64).map(|x| x as i64),
        n => BUCKETS[n as usize - 1].2,
    };
    let mut x = r.read_bits(bits)?;
    if x > 1 << (bits - 1) {
        x = x.wrapping_sub(1 << bits);
    }
    Some(x as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_round_trips() {
        let values = [0, 1, -1, 4, -3, 5, 32, -31, 33, 256, -255, 257, 2048, -2047, 2049, 131_072, -131_071, 16_777_216, -16_777_215, 1 << 40, -(1 << 40), i64::MAX, i64::MIN, 36_028_797_018_963_968, 36_028_797_018_963_969];
        let mut w = BitWriter::new();
        for &v in &values {
            put_varbit_int(&mut w, v);
        }
        let mut r = BitReader::new(w.bytes());
        for &v in &values {
            assert_eq!(read_varbit_int(&mut r), Some(v));
        }
    }

    #[test]
    fn small_values_are_short() {
        let mut w = BitWriter::new();
        put_varbit_int(&mut w, 4);
        put_varbit_int(&mut w, 0);
        put_varbit_int(&mut w, -3);
        // 5 + 1 + 5 bits.
        assert_eq!(w.bytes().len(), 2);
    }
}
