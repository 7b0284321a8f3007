//! The HTTP API's JSON for large query results. A range query over thousands of series answers with
//! millions of `[time, "value"]` points; formatting them one by one in JavaScript (a string per
//! value, a string per point) costs more than evaluating the query. Here they are written straight
//! into one byte buffer, with each step's timestamp text made once per query rather than once per
//! point. The float text follows Prometheus's JSON exactly (see `write_value`).
#![deny(unsafe_code)]

use std::fmt::Write as _;

/// A dense range-query result: `rows` series x `steps` values, row-major, with a presence mask.
pub struct DenseMatrix<'a> {
    /// Each row's `"metric"` object, already JSON.
    pub metrics: Vec<&'a str>,
    pub values: &'a [f64],
    pub present: &'a [u8],
    pub steps: usize,
    pub start_ms: i64,
    pub step_ms: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A timestamp in milliseconds as the API writes it: seconds with up to three decimals, no
/// trailing zeros (`1709251199.25`, `-1.5`, `12`), exactly what Go's `FormatFloat(t/1000, 'f', -1)` gives.
pub fn write_timestamp(out: &mut String, ms: i64) {
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    let (secs, frac) = (abs / 1000, abs % 1000);
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{secs}");
    if frac != 0 {
        let mut digits = format!("{frac:03}");
        while digits.ends_with('0') {
            digits.pop();
        }
        out.push('.');
        out.push_str(&digits);
    }
}

/// A sample value as Prometheus's API writes it: `NaN`, `+Inf`, `-Inf`; the shortest digits that
/// read back as the same float; plain decimal notation, except exponent notation with a signed,
/// at least two-digit exponent below 1e-6 and from 1e21 up (`2.5e-07`, `1e+22`).
pub fn write_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    let abs = v.abs();
    // Whole numbers (counters, counts, sizes) without the float formatter: the digits are exact
    // and the shortest form, as Display would write them. -0 keeps its sign below.
    if v.fract() == 0.0 && abs < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        write_integer(out, v as i64);
        return;
    }
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let start = out.len();
        let _ = write!(out, "{v:e}");
        // Rust writes `2.5e-7` / `1e22`: give the exponent its sign and two digits.
        let e = out[start..].find('e').map(|i| start + i + 1).unwrap_or(out.len());
        let exp = out[e..].to_string();
        out.truncate(e);
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp.as_str()),
        };
        out.push(sign);
        if digits.len() < 2 {
            out.push('0');
        }
        out.push_str(digits);
        return;
    }
    // Display is the shortest round-trip form and never uses an exponent; it keeps `-0`.
    let _ = write!(out, "{v}");
}

/// An integer's decimal digits, without going through `fmt`.
fn write_integer(out: &mut String, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// `prefix` + `[{"metric":...,"values":[[t,"v"],...]},...]` + `suffix`, rows in `order`; rows
/// without any present value are left out, as the API leaves out empty series.
pub fn encode_matrix(prefix: &str, m: &DenseMatrix<'_>, order: &[u32], suffix: &str) -> Result<Vec<u8>, ShapeError> {
    let mut out = Vec::new();
    encode_matrix_into(&mut out, prefix, m, order, suffix)?;
    Ok(out)
}

/// `encode_matrix` into `out` (cleared first). A caller that keeps `out` between queries reuses
/// memory that is already mapped: a fresh multi-megabyte buffer per answer costs a page fault per
/// 4 KiB written, which on a virtual machine can cost more than formatting the numbers.
pub fn encode_matrix_into(out: &mut Vec<u8>, prefix: &str, m: &DenseMatrix<'_>, order: &[u32], suffix: &str) -> Result<(), ShapeError> {
    out.clear();
    let rows = m.metrics.len();
    let cells = rows.checked_mul(m.steps).ok_or_else(|| ShapeError("matrix too large".into()))?;
    if m.values.len() != cells || m.present.len() != cells {
        return Err(ShapeError(format!("values ({}) and present ({}) must hold rows x steps = {cells} cells", m.values.len(), m.present.len())));
    }
    if let Some(&bad) = order.iter().find(|&&r| r as usize >= rows) {
        return Err(ShapeError(format!("row {bad} in order is out of range ({rows} rows)")));
    }
    let mut stamps: Vec<String> = Vec::with_capacity(m.steps);
    for j in 0..m.steps {
        let mut s = String::with_capacity(16);
        s.push('[');
        write_timestamp(&mut s, m.start_ms + j as i64 * m.step_ms);
        s.push_str(",\"");
        stamps.push(s);
    }
    let present_cells = m.present.iter().filter(|&&p| p != 0).count();
    out.reserve(prefix.len() + suffix.len() + present_cells * 34 + rows * 64);
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'[');
    let mut first_row = true;
    let mut text = String::with_capacity(32);
    for &r in order {
        let r = r as usize;
        let cells = r * m.steps..(r + 1) * m.steps;
        let present = &m.present[cells.clone()];
        if !present.iter().any(|&p| p != 0) {
            continue;
        }
        if !first_row {
            out.push(b',');
        }
        first_row = false;
        out.extend_from_slice(b"{\"metric\":");
        out.extend_from_slice(m.metrics[r].as_bytes());
        out.extend_from_slice(b",\"values\":[");
        let values = &m.values[cells];
        let mut first_point = true;
        // The previous point's value (its bits; its text is in `text`): series often repeat a
        // value from step to step (constant gauges, idle counters' zero rates), and copying
        // text is cheaper than formatting the float again.
        let mut last: Option<u64> = None;
        for j in 0..m.steps {
            if present[j] == 0 {
                continue;
            }
            if !first_point {
                out.push(b',');
            }
            first_point = false;
            out.extend_from_slice(stamps[j].as_bytes());
            let bits = values[j].to_bits();
            if last != Some(bits) {
                text.clear();
                write_value(&mut text, values[j]);
                last = Some(bits);
            }
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\"]");
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
    out.extend_from_slice(suffix.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: f64) -> String {
        let mut s = String::new();
        write_value(&mut s, v);
        s
    }

    fn stamp(ms: i64) -> String {
        let mut s = String::new();
        write_timestamp(&mut s, ms);
        s
    }

    #[test]
    fn values_as_prometheus_writes_them() {
        // What Prometheus 2.42 answered for vector(x).
        for (v, text) in [
            (2.5e-7, "2.5e-07"),
            (1e22, "1e+22"),
            (1e21, "1e+21"),
            (9.99e20, "999000000000000000000"),
            (1e-6, "0.000001"),
            (9.9e-7, "9.9e-07"),
            (-0.0, "-0"),
            (123e-300, "1.23e-298"),
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (0.0, "0"),
            (42.0, "42"),
            (-3.5e-9, "-3.5e-09"),
            (1.0 / 3.0, "0.3333333333333333"),
        ] {
            assert_eq!(value(v), text, "{v:?}");
        }
        assert_eq!([value(f64::NAN), value(f64::INFINITY), value(f64::NEG_INFINITY)], ["NaN", "+Inf", "-Inf"]);
        // Whole numbers take their own path: the same text as the float formatter's.
        for v in [1.0, -1.0, 10.0, 100.0, 4096.0, -65536.0, 999_999_999_999_999.0, 1e15, 1e16, 123_456_789.0, -9_007_199_254_740_993.0] {
            assert_eq!(value(v), format!("{v}"), "{v:?}");
        }
    }

    #[test]
    fn timestamps_in_seconds() {
        assert_eq!(stamp(1_709_251_199_250), "1709251199.25");
        assert_eq!(stamp(12_000), "12");
        assert_eq!(stamp(1), "0.001");
        assert_eq!(stamp(-1_500), "-1.5");
        assert_eq!(stamp(0), "0");
    }

    #[test]
    fn matrix_rows_in_order_without_empty_ones() {
        let values = [1.0, 2.0, 0.0, 0.0, 5.0, f64::NAN];
        let present = [1, 1, 0, 0, 1, 1];
        let m = DenseMatrix { metrics: vec!["{\"a\":\"x\"}", "{\"a\":\"y\"}", "{\"a\":\"z\"}"], values: &values, present: &present, steps: 2, start_ms: 1000, step_ms: 500 };
        let out = encode_matrix("P", &m, &[2, 1, 0], "S").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "P[{\"metric\":{\"a\":\"z\"},\"values\":[[1,\"5\"],[1.5,\"NaN\"]]},{\"metric\":{\"a\":\"x\"},\"values\":[[1,\"1\"],[1.5,\"2\"]]}]S");
    }

    #[test]
    fn repeated_values_and_a_reused_buffer() {
        let values = [7.0, 7.0, 0.25, 0.25, -0.0, 1e22];
        let present = [1, 1, 1, 1, 1, 1];
        let m = DenseMatrix { metrics: vec!["{}"], values: &values, present: &present, steps: 6, start_ms: 0, step_ms: 1000 };
        let mut out = b"left over from the last answer".to_vec();
        encode_matrix_into(&mut out, "", &m, &[0], "").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[{\"metric\":{},\"values\":[[0,\"7\"],[1,\"7\"],[2,\"0.25\"],[3,\"0.25\"],[4,\"-0\"],[5,\"1e+22\"]]}]");
    }

    #[test]
    fn shape_errors_say_what_is_wrong() {
        let m = DenseMatrix { metrics: vec!["{}"], values: &[1.0], present: &[1, 1], steps: 2, start_ms: 0, step_ms: 1 };
        assert!(encode_matrix("", &m, &[0], "").unwrap_err().0.contains("rows x steps"));
        let m = DenseMatrix { metrics: vec!["{}"], values: &[1.0], present: &[1], steps: 1, start_ms: 0, step_ms: 1 };
        assert!(encode_matrix("", &m, &[3], "").unwrap_err().0.contains("out of range"));
    }
}
