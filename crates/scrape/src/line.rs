//! Reading one text-format sample line (`name{a="b"} value [timestamp]`) without parsing labels.
//!
//! Only the forms whose meaning is certain are read here; for anything else the functions answer
//! `None` and the line goes to the full parser. A `None` is never an error by itself.

/// A sample line split into its series text (the cache key) and its value and timestamp.
#[derive(Debug, PartialEq)]
pub struct SampleLine<'a> {
    /// The series exactly as written: `name` or `name{...}` (or `{"name",...}`).
    pub series: &'a [u8],
    pub value: f64,
    /// Milliseconds, when the line has a timestamp.
    pub timestamp: Option<i64>,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

/// The length of the series text at the start of `line`: a metric name, then a label set in
/// braces (quoted values may hold `}` and escaped quotes). `None` when the line does not start so
/// or the series is not followed by a blank.
pub fn series_len(line: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < line.len() && is_name_char(line[i]) {
        i += 1;
    }
    if i < line.len() && line[i] == b'{' {
        let mut in_quote = false;
        i += 1;
        loop {
            let c = *line.get(i)?;
            if in_quote {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_quote = false;
                }
            } else if c == b'"' {
                in_quote = true;
            } else if c == b'}' {
                break;
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 || i >= line.len() || !is_blank(line[i]) {
        return None;
    }
    Some(i)
}

/// A sample value in the plain forms: digits with an optional sign, point and exponent (read
/// exactly as Go's ParseFloat and JavaScript's Number() read them: correctly rounded), and `NaN`,
/// `+Inf`, `-Inf`, `Inf`. Other spellings (`infinity`, `nan`, ...) answer `None`, and so does a
/// decimal beyond the float64 range (`1e400`): Rust reads it as infinity where Prometheus refuses
/// it, so the full parser gives the error.
pub fn parse_value(tok: &[u8]) -> Option<f64> {
    if tok.is_empty() {
        return None;
    }
    // Integers (most counters) are summed digit by digit: exact up to 15 digits.
    if tok.len() <= 15 && tok.iter().all(u8::is_ascii_digit) {
        return Some(tok.iter().fold(0u64, |n, &c| n * 10 + u64::from(c - b'0')) as f64);
    }
    if tok.iter().all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')) {
        // Rust's parser reads this alphabet as Go does, and refuses what Go refuses ("1e", ".", "--1").
        return std::str::from_utf8(tok).ok()?.parse::<f64>().ok().filter(|v| v.is_finite());
    }
    match tok {
        b"NaN" => Some(f64::NAN),
        b"+Inf" | b"Inf" => Some(f64::INFINITY),
        b"-Inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A timestamp: an integer number of milliseconds, digits only as Prometheus's lexer takes them
/// (no sign: `-5` is an error there), 18 digits at most so it fits an i64. Longer ones go to the
/// full parser, which refuses those beyond the int64 range.
pub fn parse_timestamp(tok: &[u8]) -> Option<i64> {
    if tok.is_empty() || tok.len() > 18 || !tok.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(tok.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
}

/// Splits a sample line (no line break, no `\r`). `None`: not a plain sample line.
pub fn split_sample(line: &[u8]) -> Option<SampleLine<'_>> {
    let n = series_len(line)?;
    let (value, timestamp) = split_rest(line, n)?;
    Some(SampleLine { series: &line[..n], value, timestamp })
}

/// The value and optional timestamp after a series text of `n` bytes (followed by a blank).
pub fn split_rest(line: &[u8], n: usize) -> Option<(f64, Option<i64>)> {
    let mut i = n;
    let token = |i: &mut usize| -> &[u8] {
        while *i < line.len() && is_blank(line[*i]) {
            *i += 1;
        }
        let s = *i;
        while *i < line.len() && !is_blank(line[*i]) {
            *i += 1;
        }
        &line[s..*i]
    };
    let value = parse_value(token(&mut i))?;
    let ts_tok = token(&mut i);
    let timestamp = if ts_tok.is_empty() { None } else { Some(parse_timestamp(ts_tok)?) };
    if !token(&mut i).is_empty() {
        return None;
    }
    Some((value, timestamp))
}

/// The position of the first `\n` in `hay`: eight bytes at a time (the bytes of a word that are
/// `\n` are found with the has-zero-byte trick on the word XORed with `\n` in every byte), the
/// way memchr works, since a scrape's lines are long and the byte-by-byte search was a good part
/// of the scan's time.
pub fn find_newline(hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = LO * b'\n' as u64;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let word = u64::from_le_bytes(hay[i..i + 8].try_into().expect("eight bytes")) ^ NL;
        // Exact for the lowest zero byte (the only one used): borrows run upwards only.
        let zero = word.wrapping_sub(LO) & !word & HI;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == b'\n').map(|k| i + k)
}

/// Whether `line` starts with the series text `series` followed by a blank.
pub fn starts_with_series(line: &[u8], series: &[u8]) -> bool {
    line.len() > series.len() && is_blank(line[series.len()]) && line.starts_with(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_lines() {
        let s = split_sample(b"http_requests_total{code=\"200\",path=\"/a b}\\\"\"} 1027 1395066363000").unwrap();
        assert_eq!(s.series, b"http_requests_total{code=\"200\",path=\"/a b}\\\"\"}");
        assert_eq!(s.value, 1027.0);
        assert_eq!(s.timestamp, Some(1395066363000));
        let s = split_sample(b"up\t\t1.5e-3  ").unwrap();
        assert_eq!((s.series, s.value, s.timestamp), (&b"up"[..], 0.0015, None));
        let s = split_sample(b"{\"my.metric\",a=\"1\"} -Inf").unwrap();
        assert_eq!(s.series, b"{\"my.metric\",a=\"1\"}");
        assert_eq!(s.value, f64::NEG_INFINITY);
        assert!(split_sample(b"x NaN").unwrap().value.is_nan());
    }

    #[test]
    fn leaves_the_unusual_to_the_full_parser() {
        for line in [&b"x"[..], b"x 1\r", b"x 1 5\r", b"x{a=\"1\"}1", b"x{a=\"1\" 1", b" x 1", b"x 0x1p3", b"x 1 2 3", b"x 1 1.5", b"x 1e", b"x .", b"x infinity", b"x 1 1234567890123456789", b"# HELP x y", b""] {
            assert_eq!(split_sample(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn newlines_are_found_where_a_plain_search_finds_them() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200usize {
            let mut hay: Vec<u8> = (0..len)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    // Mostly bytes next to '\n' in value (0x09, 0x0b, 0x8a...) to catch carries.
                    [b'a', 0x09, 0x0b, 0x8a, 0x0a ^ 0x80, 0xff, 0x00, b'\n'][(rng % 8) as usize]
                })
                .collect();
            for start in 0..len.min(9) {
                let plain = hay[start..].iter().position(|&c| c == b'\n');
                assert_eq!(find_newline(&hay[start..]), plain, "len {len} start {start}");
            }
            hay.retain(|&c| c != b'\n');
            assert_eq!(find_newline(&hay), None);
        }
    }

    #[test]
    fn values_as_go_reads_them() {
        assert_eq!(parse_value(b"123456789012345"), Some(123456789012345.0));
        assert_eq!(parse_value(b"12345678901234567890"), Some(12345678901234567890.0));
        assert_eq!(parse_value(b"-0.1"), Some(-0.1));
        assert_eq!(parse_value(b"+3"), Some(3.0));
        assert_eq!(parse_value(b"1."), Some(1.0));
        assert_eq!(parse_value(b"2E+2"), Some(200.0));
        assert_eq!(parse_value(b"+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value(b"--1"), None);
        assert_eq!(parse_value(b"1e400"), None);
        assert_eq!(parse_value(b"-1e400"), None);
        assert_eq!(parse_value(b"1e-400"), Some(0.0));
        assert_eq!(parse_timestamp(b"-5"), None);
        assert_eq!(parse_timestamp(b"+5"), None);
        assert_eq!(parse_timestamp(b"5"), Some(5));
        assert_eq!(parse_timestamp(b"1.5"), None);
    }
}
