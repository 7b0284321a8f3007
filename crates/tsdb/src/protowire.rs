//! Protocol-buffers wire format, as far as the remote-write and remote-read messages need it
//! (from the protobuf encoding guide): varints (plain and zigzag), 64- and 32-bit fixed values
//! and length-delimited fields. The encoding side (remote write's request bodies, remote read's
//! answers) and the decoding side (the receiver, remote read's requests) share it.
//!
//! Writing: free functions append to a `Vec<u8>`, and `Writer` wraps one for code that omits
//! proto3 zero scalars. Nested messages are written in place: a one-byte length placeholder is
//! reserved, the body appended, and the length filled in (the body moved only when the length
//! needs more than one byte), so a whole request is encoded into one buffer without temporaries.
//!
//! Reading: `Reader` walks one message's fields and never panics on hostile input; every error
//! says where it failed.

pub use crate::encoding::put_uvarint;

/// Wire types, a field key's low three bits.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LEN: u8 = 2;
pub const FIXED32: u8 = 5;

/// How many bytes `put_uvarint` writes for `x`.
pub fn uvarint_len(x: u64) -> usize {
    (64 - (x | 1).leading_zeros() as usize).div_ceil(7)
}

/// A sint32/sint64's varint: small magnitudes of either sign stay short.
pub fn zigzag_encode(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn zigzag_decode(x: u64) -> i64 {
    ((x >> 1) as i64) ^ -((x & 1) as i64)
}

pub fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_uvarint(out, (u64::from(field) << 3) | u64::from(wire));
}

/// An int64 / uint64 / uint32 / enum field (two's complement for negatives, as protobuf's int64).
pub fn put_int64(out: &mut Vec<u8>, field: u32, v: i64) {
    put_key(out, field, VARINT);
    put_uvarint(out, v as u64);
}

/// A sint32 / sint64 field.
pub fn put_sint64(out: &mut Vec<u8>, field: u32, v: i64) {
    put_key(out, field, VARINT);
    put_uvarint(out, zigzag_encode(v));
}

pub fn put_double(out: &mut Vec<u8>, field: u32, v: f64) {
    put_key(out, field, FIXED64);
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

pub fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_key(out, field, LEN);
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Starts a nested message: returns the marker `end_message` needs.
pub fn begin_message(out: &mut Vec<u8>, field: u32) -> usize {
    put_key(out, field, LEN);
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

/// Appends protobuf fields to a buffer, leaving zero scalars out as proto3 does.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    /// Omitted when zero.
    pub fn int64(&mut self, number: u32, v: i64) {
        if v != 0 {
            put_int64(&mut self.buf, number, v);
        }
    }

    /// Omitted when +0 (a -0 is written: its sign is information).
    pub fn double(&mut self, number: u32, v: f64) {
        if v.to_bits() != 0 {
            put_double(&mut self.buf, number, v);
        }
    }

    pub fn bytes(&mut self, number: u32, b: &[u8]) {
        put_bytes(&mut self.buf, number, b);
    }

    /// A nested message written by `f` in place (its length is filled in afterwards).
    pub fn message(&mut self, number: u32, f: impl FnOnce(&mut Writer)) {
        let mark = begin_message(&mut self.buf, number);
        f(self);
        end_message(&mut self.buf, mark);
    }
}

/// A cursor over one message's bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// One field of a message: its payload by wire type.
#[derive(Debug)]
pub enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn varint(&mut self) -> Result<u64, String> {
        let mut x = 0u64;
        for shift in (0..70).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or_else(|| format!("varint cut short at byte {}", self.pos))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(format!("varint overflows 64 bits at byte {}", self.pos - 1));
            }
            x |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err(format!("varint longer than 10 bytes at byte {}", self.pos))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| format!("field of {n} bytes runs past the end of its message at byte {}", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field (number and payload), or None at the end of the message.
    pub fn field(&mut self) -> Result<Option<(u32, Field<'a>)>, String> {
        if self.done() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| format!("field number {} out of range", key >> 3))?;
        if number == 0 {
            return Err(format!("field number 0 at byte {}", self.pos));
        }
        let f = match (key & 7) as u8 {
            VARINT => Field::Varint(self.varint()?),
            FIXED64 => Field::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().unwrap())),
            LEN => {
                let n = usize::try_from(self.varint()?).map_err(|_| "length out of range".to_string())?;
                Field::Bytes(self.take(n)?)
            }
            FIXED32 => Field::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().unwrap())),
            t => return Err(format!("unsupported wire type {t} for field {number}")),
        };
        Ok(Some((number, f)))
    }
}

impl Field<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Field::Varint(_) => "varint",
            Field::Fixed64(_) => "fixed64",
            Field::Bytes(_) => "length-delimited",
            Field::Fixed32(_) => "fixed32",
        }
    }
}

/// A field's payload as the type the schema says, or an error naming the message and field.
pub fn as_bytes<'a>(f: Field<'a>, what: &str) -> Result<&'a [u8], String> {
    match f {
        Field::Bytes(b) => Ok(b),
        other => Err(format!("{what}: expected a length-delimited field, got {}", other.name())),
    }
}

pub fn as_str<'a>(f: Field<'a>, what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(as_bytes(f, what)?).map_err(|_| format!("{what}: invalid UTF-8"))
}

pub fn as_double(f: Field<'_>, what: &str) -> Result<f64, String> {
    match f {
        Field::Fixed64(x) => Ok(f64::from_bits(x)),
        other => Err(format!("{what}: expected a double, got {}", other.name())),
    }
}

/// An int64 field (two's complement in a varint).
pub fn as_int64(f: Field<'_>, what: &str) -> Result<i64, String> {
    match f {
        Field::Varint(x) => Ok(x as i64),
        other => Err(format!("{what}: expected a varint, got {}", other.name())),
    }
}

pub fn as_varint(f: Field<'_>, what: &str) -> Result<u64, String> {
    match f {
        Field::Varint(x) => Ok(x),
        other => Err(format!("{what}: expected a varint, got {}", other.name())),
    }
}

/// A sint32 / sint64 field.
pub fn as_sint64(f: Field<'_>, what: &str) -> Result<i64, String> {
    as_varint(f, what).map(zigzag_decode)
}

/// A repeated uint32 field: packed (one length-delimited run) or one varint per element.
pub fn push_uint32s(f: Field<'_>, out: &mut Vec<u32>, what: &str) -> Result<(), String> {
    let to_u32 = |x: u64| u32::try_from(x).map_err(|_| format!("{what}: {x} does not fit in uint32"));
    match f {
        Field::Varint(x) => out.push(to_u32(x)?),
        Field::Bytes(b) => {
            let mut r = Reader::new(b);
            while !r.done() {
                out.push(to_u32(r.varint().map_err(|e| format!("{what}: {e}"))?)?);
            }
        }
        other => return Err(format!("{what}: expected uint32s, got {}", other.name())),
    }
    Ok(())
}

/// A repeated sint64 field: packed or one varint per element.
pub fn push_sint64s(f: Field<'_>, out: &mut Vec<i64>, what: &str) -> Result<(), String> {
    match f {
        Field::Varint(x) => out.push(zigzag_decode(x)),
        Field::Bytes(b) => {
            let mut r = Reader::new(b);
            while !r.done() {
                out.push(zigzag_decode(r.varint().map_err(|e| format!("{what}: {e}"))?));
            }
        }
        other => return Err(format!("{what}: expected sint64s, got {}", other.name())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_with_their_lengths_and_refuse_overflow() {
        for x in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), 1_700_000_000_000, u64::MAX] {
            let mut b = Vec::new();
            put_uvarint(&mut b, x);
            assert_eq!(b.len(), uvarint_len(x), "uvarint length of {x}");
            assert_eq!(Reader::new(&b).varint().unwrap(), x);
        }
        assert!(Reader::new(&[0xff; 11]).varint().is_err());
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).varint().is_err());
        assert!(Reader::new(&[0x80]).varint().unwrap_err().contains("cut short"));
        let mut out = Vec::new();
        put_int64(&mut out, 2, -1);
        assert_eq!(out.len(), 11, "negative int64 takes ten varint bytes");
    }

    #[test]
    fn zigzag_keeps_small_magnitudes_short_and_round_trips() {
        assert_eq!([0, -1, 1, -2, 2].map(zigzag_encode), [0, 1, 2, 3, 4]);
        for v in [0i64, 1, -1, 63, -64, 64, i64::from(i32::MIN), i64::MAX, i64::MIN] {
            assert_eq!(zigzag_decode(zigzag_encode(v)), v, "{v}");
        }
        let mut a = Vec::new();
        put_sint64(&mut a, 4, -3);
        let mut b = Vec::new();
        crate::encoding::put_varint(&mut b, -3);
        assert_eq!(a[1..], b[..], "the same zigzag as Go's PutVarint");
        let Some((4, f)) = Reader::new(&a).field().unwrap() else { panic!("field 4") };
        assert_eq!(as_sint64(f, "schema").unwrap(), -3);
    }

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
        // Nested twice, the inner one long enough to move the outer one's body.
        let mut w = Writer::default();
        w.message(1, |m| m.message(2, |i| i.bytes(3, &[5u8; 200])));
        let Some((1, Field::Bytes(outer))) = Reader::new(&w.buf).field().unwrap() else { panic!("outer") };
        let Some((2, Field::Bytes(inner))) = Reader::new(outer).field().unwrap() else { panic!("inner") };
        assert!(matches!(Reader::new(inner).field().unwrap(), Some((3, Field::Bytes(b))) if b == [5u8; 200]));
    }

    #[test]
    fn fields_of_every_wire_type_and_truncation() {
        let mut w = Writer::default();
        w.int64(1, -5);
        w.double(2, 1.5);
        w.bytes(3, b"abc");
        w.message(4, |m| m.int64(1, 7));
        w.int64(5, 0);
        w.double(6, 0.0);
        let mut r = Reader::new(&w.buf);
        assert!(matches!(r.field().unwrap(), Some((1, Field::Varint(x))) if x as i64 == -5));
        assert!(matches!(r.field().unwrap(), Some((2, Field::Fixed64(x))) if f64::from_bits(x) == 1.5));
        assert!(matches!(r.field().unwrap(), Some((3, Field::Bytes(b"abc")))));
        let Some((4, Field::Bytes(inner))) = r.field().unwrap() else { panic!("nested message") };
        assert!(matches!(Reader::new(inner).field().unwrap(), Some((1, Field::Varint(7)))));
        assert!(r.field().unwrap().is_none(), "zero scalars are left out");
        assert!(matches!(Reader::new(&[0x0d, 1, 0, 0, 0]).field().unwrap(), Some((1, Field::Fixed32(1)))));
        // A length beyond the buffer, wire types 3/4 (groups) and field number 0 are refused.
        assert!(Reader::new(&[0x1a, 0x05, b'a']).field().unwrap_err().contains("past the end"));
        assert!(Reader::new(&[0x0b]).field().unwrap_err().contains("wire type 3"));
        assert!(Reader::new(&[0x00, 0x00]).field().unwrap_err().contains("field number 0"));
        assert!(as_double(Field::Varint(1), "value").unwrap_err().contains("expected a double"));
        assert!(as_str(Field::Bytes(&[0xff]), "name").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn packed_and_unpacked_repeated_fields() {
        let mut out = Vec::new();
        push_uint32s(Field::Bytes(&[1, 0x80, 0x01]), &mut out, "refs").unwrap();
        push_uint32s(Field::Varint(9), &mut out, "refs").unwrap();
        assert_eq!(out, vec![1, 128, 9]);
        assert!(push_uint32s(Field::Varint(1 << 33), &mut out, "refs").is_err());
        let mut deltas = Vec::new();
        push_sint64s(Field::Bytes(&[1, 2, 3]), &mut deltas, "deltas").unwrap();
        push_sint64s(Field::Varint(5), &mut deltas, "deltas").unwrap();
        assert_eq!(deltas, vec![-1, 1, -2, -3]);
        assert!(push_sint64s(Field::Bytes(&[0x80]), &mut deltas, "deltas").unwrap_err().starts_with("deltas: varint cut short"));
    }
}
