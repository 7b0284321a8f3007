//! Protobuf wire encoding, the few pieces remote write needs: varint, fixed64 and
//! length-delimited fields. Nested messages are written in place: a length placeholder is
//! reserved, the body appended, and the length filled in (moving the body when the varint needs
//! more than the one byte reserved), so a batch is encoded into one buffer without temporaries.

use crate::encoding::put_uvarint;

pub const WIRE_VARINT: u8 = 0;
pub const WIRE_FIXED64: u8 = 1;
pub const WIRE_LEN: u8 = 2;

pub fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_uvarint(out, (u64::from(field) << 3) | u64::from(wire));
}

/// An int64 / uint64 / uint32 / enum field (two's complement for negatives, as protobuf's int64).
pub fn put_int64(out: &mut Vec<u8>, field: u32, v: i64) {
    put_key(out, field, WIRE_VARINT);
    put_uvarint(out, v as u64);
}

pub fn put_double(out: &mut Vec<u8>, field: u32, v: f64) {
    put_key(out, field, WIRE_FIXED64);
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

pub fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_key(out, field, WIRE_LEN);
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// How many bytes `put_uvarint` writes for `x`.
pub fn uvarint_len(x: u64) -> usize {
    (64 - (x | 1).leading_zeros() as usize).div_ceil(7)
}

/// Starts a nested message: returns the marker `end_message` needs.
pub fn begin_message(out: &mut Vec<u8>, field: u32) -> usize {
    put_key(out, field, WIRE_LEN);
    out.push(0);
    out.len()
}

/// Ends a nested message begun at `mark`, writing its length.
pub fn end_message(out: &mut Vec<u8>, mark: usize) {
    let len = out.len() - mark;
    if len < 0x80 {
        out[mark - 1] = len as u8;
        return;
    }
    let mut v = Vec::with_capacity(10);
    put_uvarint(&mut v, len as u64);
    // The one reserved byte becomes the varint's first; the rest are inserted after it.
    out[mark - 1] = v[0];
    out.splice(mark..mark, v[1..].iter().copied());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lengths_of_any_size() {
        for n in [0usize, 1, 127, 128, 300, 20_000] {
            let mut out = vec![9u8];
            let m = begin_message(&mut out, 3);
            out.extend(std::iter::repeat_n(7u8, n));
            end_message(&mut out, m);
            let mut expect = vec![9u8, (3 << 3) | 2];
            put_uvarint(&mut expect, n as u64);
            expect.extend(std::iter::repeat_n(7u8, n));
            assert_eq!(out, expect, "length {n}");
        }
        for x in [0u64, 1, 127, 128, 16_383, 16_384, 1_700_000_000_000, u64::MAX] {
            let mut v = Vec::new();
            put_uvarint(&mut v, x);
            assert_eq!(uvarint_len(x), v.len(), "uvarint length of {x}");
        }
        let mut out = Vec::new();
        put_int64(&mut out, 2, -1);
        assert_eq!(out.len(), 11, "negative int64 takes ten varint bytes");
    }
}
