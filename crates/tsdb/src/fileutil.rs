//! File and memory helpers: read-only memory maps (so block indexes and chunks live in the page
//! cache, not in our resident memory), the kernel hint that backs a large new allocation in one
//! call (`prefault`), ULIDs for block names, and a minimal JSON reader for `meta.json`.

// The crate's unsafe code is in these two modules (see lib.rs): the memory map, and the kernel
// hint for large new allocations.
#[allow(unsafe_code)]
mod mmap;
pub use mmap::Mmap;
#[allow(unsafe_code)]
mod prefault;
pub use prefault::back_spare_capacity;

/// A new ULID (time-ordered unique id) in Crockford base32: 48 bits of milliseconds, then 80
/// bits from a per-process generator seeded by time, pid and a counter.
pub fn new_ulid(ms: u64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut x = nanos ^ ((std::process::id() as u64) << 32) ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut next = || {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let rand: u128 = ((next() as u128) << 64 | next() as u128) & ((1u128 << 80) - 1);
    let value: u128 = ((ms as u128 & ((1 << 48) - 1)) << 80) | rand;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut out = [0u8; 26];
    for (i, c) in out.iter_mut().enumerate() {
        let shift = 125 - 5 * i as i32;
        *c = ALPHABET[((value >> shift.max(0)) & 31) as usize];
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// Whether a directory name is a ULID.
pub fn is_ulid(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !matches!(b, b'I' | b'L' | b'O' | b'U')))
}

/// A JSON value, enough to read `meta.json`.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(n) => Some(*n as i64),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => &[],
        }
    }

    pub fn parse(s: &str) -> std::result::Result<Json, String> {
        let b = s.as_bytes();
        let mut pos = 0;
        let v = parse_value(b, &mut pos)?;
        skip_ws(b, &mut pos);
        if pos != b.len() {
            return Err(format!("trailing data at byte {pos}"));
        }
        Ok(v)
    }
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && b[*pos].is_ascii_whitespace() {
        *pos += 1;
    }
}

fn parse_value(b: &[u8], pos: &mut usize) -> std::result::Result<Json, String> {
    skip_ws(b, pos);
    let c = *b.get(*pos).ok_or("unexpected end of JSON")?;
    match c {
        b'{' => {
            *pos += 1;
            let mut kv = Vec::new();
            loop {
                skip_ws(b, pos);
                if b.get(*pos) == Some(&b'}') {
                    *pos += 1;
                    return Ok(Json::Obj(kv));
                }
                let Json::Str(k) = parse_value(b, pos)? else { return Err(format!("object key expected at byte {pos}")) };
                skip_ws(b, pos);
                if b.get(*pos) != Some(&b':') {
                    return Err(format!("':' expected at byte {pos}"));
                }
                *pos += 1;
                kv.push((k, parse_value(b, pos)?));
                skip_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b'}') => {}
                    _ => return Err(format!("',' or '}}' expected at byte {pos}")),
                }
            }
        }
        b'[' => {
            *pos += 1;
            let mut a = Vec::new();
            loop {
                skip_ws(b, pos);
                if b.get(*pos) == Some(&b']') {
                    *pos += 1;
                    return Ok(Json::Arr(a));
                }
                a.push(parse_value(b, pos)?);
                skip_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b']') => {}
                    _ => return Err(format!("',' or ']' expected at byte {pos}")),
                }
            }
        }
        b'"' => {
            *pos += 1;
            let mut s = String::new();
            loop {
                let c = *b.get(*pos).ok_or("unterminated string")?;
                *pos += 1;
                match c {
                    b'"' => return Ok(Json::Str(s)),
                    b'\\' => {
                        let e = *b.get(*pos).ok_or("unterminated escape")?;
                        *pos += 1;
                        match e {
                            b'n' => s.push('\n'),
                            b't' => s.push('\t'),
                            b'r' => s.push('\r'),
                            b'b' => s.push('\u{8}'),
                            b'f' => s.push('\u{c}'),
                            b'u' => {
                                let hex = std::str::from_utf8(b.get(*pos..*pos + 4).ok_or("bad \\u escape")?).map_err(|_| "bad \\u escape")?;
                                *pos += 4;
                                let code = u32::from_str_radix(hex, 16).map_err(|_| "bad \\u escape")?;
                                s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            other => s.push(other as char),
                        }
                    }
                    _ => {
                        // Copy a whole UTF-8 sequence.
                        let start = *pos - 1;
                        let mut end = *pos;
                        while end < b.len() && (b[end] & 0xc0) == 0x80 {
                            end += 1;
                        }
                        s.push_str(std::str::from_utf8(&b[start..end]).map_err(|_| "invalid UTF-8 in JSON string")?);
                        *pos = end;
                    }
                }
            }
        }
        b't' if b[*pos..].starts_with(b"true") => {
            *pos += 4;
            Ok(Json::Bool(true))
        }
        b'f' if b[*pos..].starts_with(b"false") => {
            *pos += 5;
            Ok(Json::Bool(false))
        }
        b'n' if b[*pos..].starts_with(b"null") => {
            *pos += 4;
            Ok(Json::Null)
        }
        _ => {
            let start = *pos;
            while *pos < b.len() && matches!(b[*pos], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                *pos += 1;
            }
            let t = std::str::from_utf8(&b[start..*pos]).map_err(|_| "bad number")?;
            t.parse::<f64>().map(Json::Num).map_err(|_| format!("bad JSON value at byte {start}"))
        }
    }
}

/// JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_are_valid_and_time_ordered() {
        let a = new_ulid(1_700_000_000_000);
        let b = new_ulid(1_700_000_000_001);
        assert!(is_ulid(&a), "{a}");
        assert!(a < b);
        assert_ne!(new_ulid(5), new_ulid(5));
    }

    #[test]
    fn json_reads_meta() {
        let j = Json::parse(r#"{"ulid":"X","minTime":-5,"stats":{"numSamples":12},"compaction":{"sources":["a","b"]},"s":"\u00e9\"é"}"#).unwrap();
        assert_eq!(j.get("minTime").and_then(Json::as_i64), Some(-5));
        assert_eq!(j.get("stats").and_then(|s| s.get("numSamples")).and_then(Json::as_i64), Some(12));
        assert_eq!(j.get("compaction").unwrap().get("sources").unwrap().as_array().len(), 2);
        assert_eq!(j.get("s").and_then(Json::as_str), Some("é\"é"));
        assert!(Json::parse("{").is_err());
    }
}
