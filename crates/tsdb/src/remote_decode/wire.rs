//! Protocol-buffers wire format, as far as the remote-write and remote-read messages need it:
//! varints, 64-bit fixed values and length-delimited fields (RFC-less, from the protobuf
//! encoding guide). The reader never panics on hostile input: every read says where it failed.

/// Wire types of a field key's low three bits.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LEN: u8 = 2;
pub const FIXED32: u8 = 5;

/// A cursor over one message's bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// One field of a message: its number and its payload.
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

    /// The next field, or None at the end of the message.
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

/// Appends protobuf fields to a buffer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

pub fn put_uvarint(buf: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        buf.push((x as u8) | 0x80);
        x >>= 7;
    }
    buf.push(x as u8);
}

pub fn uvarint_len(mut x: u64) -> usize {
    let mut n = 1;
    while x >= 0x80 {
        x >>= 7;
        n += 1;
    }
    n
}

impl Writer {
    fn key(&mut self, number: u32, wire: u8) {
        put_uvarint(&mut self.buf, (u64::from(number) << 3) | u64::from(wire));
    }

    /// Omitted when zero, as proto3 writes scalars.
    pub fn int64(&mut self, number: u32, v: i64) {
        if v != 0 {
            self.key(number, VARINT);
            put_uvarint(&mut self.buf, v as u64);
        }
    }

    pub fn double(&mut self, number: u32, v: f64) {
        if v.to_bits() != 0 {
            self.key(number, FIXED64);
            self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }

    pub fn bytes(&mut self, number: u32, b: &[u8]) {
        self.key(number, LEN);
        put_uvarint(&mut self.buf, b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// A nested message written by `f` in place (its length is patched in afterwards).
    pub fn message(&mut self, number: u32, f: impl FnOnce(&mut Writer)) {
        self.key(number, LEN);
        let mut inner = Writer { buf: std::mem::take(&mut self.buf) };
        let at = inner.buf.len();
        f(&mut inner);
        let len = inner.buf.len() - at;
        let mut prefix = Vec::with_capacity(10);
        put_uvarint(&mut prefix, len as u64);
        inner.buf.splice(at..at, prefix);
        self.buf = inner.buf;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_overflow() {
        for x in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            put_uvarint(&mut b, x);
            assert_eq!(b.len(), uvarint_len(x));
            assert_eq!(Reader::new(&b).varint().unwrap(), x);
        }
        assert!(Reader::new(&[0xff; 11]).varint().is_err());
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).varint().is_err());
        assert!(Reader::new(&[0x80]).varint().unwrap_err().contains("cut short"));
    }

    #[test]
    fn fields_of_every_wire_type_and_truncation() {
        let mut w = Writer::default();
        w.int64(1, -5);
        w.double(2, 1.5);
        w.bytes(3, b"abc");
        w.message(4, |m| m.int64(1, 7));
        let mut r = Reader::new(&w.buf);
        assert!(matches!(r.field().unwrap(), Some((1, Field::Varint(x))) if x as i64 == -5));
        assert!(matches!(r.field().unwrap(), Some((2, Field::Fixed64(x))) if f64::from_bits(x) == 1.5));
        assert!(matches!(r.field().unwrap(), Some((3, Field::Bytes(b"abc")))));
        let Some((4, Field::Bytes(inner))) = r.field().unwrap() else { panic!("nested message") };
        assert!(matches!(Reader::new(inner).field().unwrap(), Some((1, Field::Varint(7)))));
        assert!(r.field().unwrap().is_none());
        // A length beyond the buffer, wire types 3/4 (groups) and field number 0 are refused.
        assert!(Reader::new(&[0x1a, 0x05, b'a']).field().unwrap_err().contains("past the end"));
        assert!(Reader::new(&[0x0b]).field().unwrap_err().contains("wire type 3"));
        assert!(Reader::new(&[0x00, 0x00]).field().unwrap_err().contains("field number 0"));
    }

    #[test]
    fn packed_and_unpacked_uint32s() {
        let mut out = Vec::new();
        push_uint32s(Field::Bytes(&[1, 0x80, 0x01]), &mut out, "refs").unwrap();
        push_uint32s(Field::Varint(9), &mut out, "refs").unwrap();
        assert_eq!(out, vec![1, 128, 9]);
        assert!(push_uint32s(Field::Varint(1 << 33), &mut out, "refs").is_err());
    }
}
