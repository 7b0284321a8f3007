//! Decoding and validating a remote-write request body (already decompressed): Remote-Write 1.0's
//! `prometheus.WriteRequest` and 2.0's `io.prometheus.write.v2.Request` both become one
//! `WriteBatch`. Validation covers the whole request before anything is appended, so a request
//! with malformed series is refused as a whole (400) and never half-written.

use crate::protowire::{as_bytes, as_double, as_int64, as_str, as_varint, push_uint32s, Reader};
use crate::exemplars::Exemplar;
use crate::histogram::Histogram;
use crate::labels::{Labels, METRIC_NAME};

/// Which protobuf message the Content-Type named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// The latest timestamp magnitude accepted: JavaScript's Date range (±8.64e15 ms, about 275,000
/// years), so every stored timestamp stays exact as a JavaScript number and printable as a date.
pub const MAX_ABS_TIMESTAMP_MS: i64 = 8_640_000_000_000_000;

/// One series of the request, its labels validated.
#[derive(Debug, Default)]
pub struct SeriesData {
    pub labels: Labels,
    /// (timestamp ms, value), in the order sent.
    pub samples: Vec<(i64, f64)>,
    /// 2.0's `created_timestamp` (0 = none): becomes the samples' start timestamp.
    pub start_ms: i64,
    pub exemplars: Vec<Exemplar>,
    /// Native-histogram samples (timestamp ms, histogram), validated, in the order sent.
    pub histograms: Vec<(i64, Histogram)>,
}

/// A metric family's metadata (1.0's `MetricMetadata`, 2.0's per-series `Metadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub family: String,
    /// The protobuf enum's number: 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge histogram,
    /// 5 summary, 6 info, 7 stateset (the same numbers in 1.0 and 2.0).
    pub kind: u8,
    pub help: String,
    pub unit: String,
}

#[derive(Debug, Default)]
pub struct WriteBatch {
    pub series: Vec<SeriesData>,
    pub metadata: Vec<Metadata>,
}

impl WriteBatch {
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.samples.len()).sum()
    }

    pub fn histogram_count(&self) -> usize {
        self.series.iter().map(|s| s.histograms.len()).sum()
    }
}

/// Formats labels as PromQL writes a selector, for error messages.
pub fn format_labels(l: &Labels) -> String {
    let mut s = String::from("{");
    for (i, x) in l.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&x.name);
        s.push_str("=\"");
        for c in x.value.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

/// Checks one series' label pairs as sent and builds its label set: names non-empty, sorted and
/// unique (both specs require senders to sort), `__name__` present. Pairs with an empty value
/// mean "no such label" in Prometheus's data model and are left out.
fn series_labels(pairs: Vec<(String, String)>) -> Result<Labels, String> {
    for (i, (name, _)) in pairs.iter().enumerate() {
        if name.is_empty() {
            return Err("empty label name".into());
        }
        if i > 0 {
            let prev = &pairs[i - 1].0;
            if prev == name {
                return Err(format!("duplicate label name {name:?}"));
            }
            if prev > name {
                return Err(format!("labels not sorted: {name:?} after {prev:?}"));
            }
        }
    }
    if !pairs.iter().any(|(n, v)| n == METRIC_NAME && !v.is_empty()) {
        let shown = Labels::from_pairs(pairs.clone());
        return Err(format!("missing metric name (label __name__) in {}", format_labels(&shown)));
    }
    Ok(Labels::from_pairs(pairs.into_iter().filter(|(_, v)| !v.is_empty())))
}

/// Exemplar labels: names non-empty and unique; they need not be sorted.
fn exemplar_labels(pairs: Vec<(String, String)>) -> Result<Labels, String> {
    if pairs.iter().any(|(n, _)| n.is_empty()) {
        return Err("exemplar with an empty label name".into());
    }
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("exemplar with a duplicate label name {:?}", w[0]));
    }
    Ok(Labels::from_pairs(pairs))
}

fn check_timestamp(t: i64, what: &str) -> Result<i64, String> {
    if !matches!(t.checked_abs(), Some(a) if a <= MAX_ABS_TIMESTAMP_MS) {
        return Err(format!("{what} timestamp {t} is outside the representable range (±{MAX_ABS_TIMESTAMP_MS} ms)"));
    }
    Ok(t)
}

pub fn decode(body: &[u8], version: Version) -> Result<WriteBatch, String> {
    match version {
        Version::V1 => decode_v1(body),
        Version::V2 => decode_v2(body),
    }
}

/// `Label { string name = 1; string value = 2; }`
fn label_pair(b: &[u8], what: &str) -> Result<(String, String), String> {
    let (mut name, mut value) = ("", "");
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field().map_err(|e| format!("{what}: {e}"))? {
        match n {
            1 => name = as_str(f, what)?,
            2 => value = as_str(f, what)?,
            _ => {}
        }
    }
    Ok((name.to_string(), value.to_string()))
}

/// `Sample { double value = 1; int64 timestamp = 2; }` (2.0 may add `int64 start_timestamp = 3`,
/// returned as the third element, 0 = none).
fn sample(b: &[u8], what: &str) -> Result<(i64, f64, i64), String> {
    let (mut t, mut v, mut st) = (0i64, 0f64, 0i64);
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field().map_err(|e| format!("{what}: {e}"))? {
        match n {
            1 => v = as_double(f, what)?,
            2 => t = as_int64(f, what)?,
            3 => st = as_int64(f, what)?,
            _ => {}
        }
    }
    Ok((check_timestamp(t, what)?, v, st))
}

/// (timestamp, histogram, start timestamp or 0).
fn histogram(b: &[u8]) -> Result<(i64, Histogram, i64), String> {
    let (t, h, st) = super::histogram::decode(b)?;
    Ok((check_timestamp(t, "histogram")?, h, st))
}

fn decode_v1(body: &[u8]) -> Result<WriteBatch, String> {
    let mut batch = WriteBatch::default();
    let mut r = Reader::new(body);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => {
                let i = batch.series.len();
                let s = series_v1(as_bytes(f, "timeseries")?).map_err(|e| format!("series {i}: {e}"))?;
                batch.series.push(s);
            }
            3 => batch.metadata.push(metadata_v1(as_bytes(f, "metadata")?)?),
            _ => {}
        }
    }
    Ok(batch)
}

/// 1.0's `TimeSeries { labels = 1; samples = 2; exemplars = 3; histograms = 4; }`
fn series_v1(b: &[u8]) -> Result<SeriesData, String> {
    let mut pairs = Vec::new();
    let mut s = SeriesData::default();
    let mut exemplars = Vec::new();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => pairs.push(label_pair(as_bytes(f, "label")?, "label")?),
            2 => {
                let (t, v, _) = sample(as_bytes(f, "sample")?, "sample")?;
                s.samples.push((t, v));
            }
            3 => exemplars.push(as_bytes(f, "exemplar")?),
            4 => {
                let (t, h, _) = histogram(as_bytes(f, "histogram")?)?;
                s.histograms.push((t, h));
            }
            _ => {}
        }
    }
    s.labels = series_labels(pairs)?;
    for e in exemplars {
        // `Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }`
        let (mut pairs, mut value, mut t) = (Vec::new(), 0f64, 0i64);
        let mut r = Reader::new(e);
        while let Some((n, f)) = r.field()? {
            match n {
                1 => pairs.push(label_pair(as_bytes(f, "exemplar label")?, "exemplar label")?),
                2 => value = as_double(f, "exemplar value")?,
                3 => t = check_timestamp(as_int64(f, "exemplar")?, "exemplar")?,
                _ => {}
            }
        }
        s.exemplars.push(Exemplar { labels: exemplar_labels(pairs)?, value, t });
    }
    Ok(s)
}

/// `MetricMetadata { type = 1; metric_family_name = 2; help = 4; unit = 5; }`
fn metadata_v1(b: &[u8]) -> Result<Metadata, String> {
    let mut m = Metadata { family: String::new(), kind: 0, help: String::new(), unit: String::new() };
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => m.kind = metric_type(as_varint(f, "metadata type")?)?,
            2 => m.family = as_str(f, "metadata family name")?.to_string(),
            4 => m.help = as_str(f, "metadata help")?.to_string(),
            5 => m.unit = as_str(f, "metadata unit")?.to_string(),
            _ => {}
        }
    }
    Ok(m)
}

fn metric_type(x: u64) -> Result<u8, String> {
    if x > 7 {
        return Err(format!("unknown metric type {x}"));
    }
    Ok(x as u8)
}

fn decode_v2(body: &[u8]) -> Result<WriteBatch, String> {
    // Symbols may come after the series on the wire: collect both, resolve afterwards.
    let mut symbols: Vec<&str> = Vec::new();
    let mut raw_series: Vec<&[u8]> = Vec::new();
    let mut r = Reader::new(body);
    while let Some((n, f)) = r.field()? {
        match n {
            4 => symbols.push(as_str(f, "symbol")?),
            5 => raw_series.push(as_bytes(f, "timeseries")?),
            _ => {}
        }
    }
    if symbols.first().is_some_and(|s| !s.is_empty()) {
        return Err("the symbols table must start with the empty string".into());
    }
    let mut batch = WriteBatch::default();
    let mut seen_families = std::collections::HashSet::new();
    for (i, b) in raw_series.into_iter().enumerate() {
        let (s, meta) = series_v2(b, &symbols).map_err(|e| format!("series {i}: {e}"))?;
        if let Some(m) = meta {
            if seen_families.insert(m.family.clone()) {
                batch.metadata.push(m);
            }
        }
        batch.series.push(s);
    }
    Ok(batch)
}

fn symbol<'a>(symbols: &[&'a str], r: u32) -> Result<&'a str, String> {
    symbols.get(r as usize).copied().ok_or_else(|| format!("symbol reference {r} out of range (the table has {} symbols)", symbols.len()))
}

fn ref_pairs(refs: &[u32], symbols: &[&str], what: &str) -> Result<Vec<(String, String)>, String> {
    if refs.len() & 1 == 1 {
        return Err(format!("{what}: odd number of label references ({})", refs.len()));
    }
    refs.chunks_exact(2).map(|p| Ok((symbol(symbols, p[0])?.to_string(), symbol(symbols, p[1])?.to_string()))).collect()
}

/// 2.0's `TimeSeries { labels_refs = 1; samples = 2; histograms = 3; exemplars = 4; metadata = 5;
/// created_timestamp = 6; }`
fn series_v2(b: &[u8], symbols: &[&str]) -> Result<(SeriesData, Option<Metadata>), String> {
    let mut refs = Vec::new();
    let mut s = SeriesData::default();
    let mut exemplars = Vec::new();
    let mut meta_raw: Option<&[u8]> = None;
    let mut sample_starts = Vec::new();
    let mut r = Reader::new(b);
    while let Some((n, f)) = r.field()? {
        match n {
            1 => push_uint32s(f, &mut refs, "labels_refs")?,
            2 => {
                let (t, v, st) = sample(as_bytes(f, "sample")?, "sample")?;
                s.samples.push((t, v));
                sample_starts.push(st);
            }
            3 => {
                let (t, h, st) = histogram(as_bytes(f, "histogram")?)?;
                s.histograms.push((t, h));
                sample_starts.push(st);
            }
            4 => exemplars.push(as_bytes(f, "exemplar")?),
            5 => meta_raw = Some(as_bytes(f, "metadata")?),
            6 => s.start_ms = as_int64(f, "created_timestamp")?,
            _ => {}
        }
    }
    if refs.is_empty() {
        return Err("no label references".into());
    }
    s.labels = series_labels(ref_pairs(&refs, symbols, "labels_refs")?)?;
    // The series' created timestamp, else the first per-sample (float or histogram) start
    // timestamp of later 2.x senders.
    if s.start_ms == 0 {
        s.start_ms = sample_starts.iter().copied().find(|&x| x != 0).unwrap_or(0);
    }
    if s.start_ms != 0 {
        check_timestamp(s.start_ms, "created")?;
    }
    for e in exemplars {
        // `Exemplar { labels_refs = 1; double value = 2; int64 timestamp = 3; }`
        let (mut erefs, mut value, mut t) = (Vec::new(), 0f64, 0i64);
        let mut r = Reader::new(e);
        while let Some((n, f)) = r.field()? {
            match n {
                1 => push_uint32s(f, &mut erefs, "exemplar labels_refs")?,
                2 => value = as_double(f, "exemplar value")?,
                3 => t = check_timestamp(as_int64(f, "exemplar")?, "exemplar")?,
                _ => {}
            }
        }
        s.exemplars.push(Exemplar { labels: exemplar_labels(ref_pairs(&erefs, symbols, "exemplar labels_refs")?)?, value, t });
    }
    let meta = match meta_raw {
        None => None,
        Some(b) => {
            // `Metadata { type = 1; help_ref = 3; unit_ref = 4; }`
            let (mut kind, mut help, mut unit) = (0u8, "", "");
            let mut r = Reader::new(b);
            while let Some((n, f)) = r.field()? {
                match n {
                    1 => kind = metric_type(as_varint(f, "metadata type")?)?,
                    3 => help = symbol(symbols, u32::try_from(as_varint(f, "help_ref")?).map_err(|_| "help_ref out of range")?)?,
                    4 => unit = symbol(symbols, u32::try_from(as_varint(f, "unit_ref")?).map_err(|_| "unit_ref out of range")?)?,
                    _ => {}
                }
            }
            let family = s.labels.metric_name().unwrap_or_default().to_string();
            (kind != 0 || !help.is_empty() || !unit.is_empty()).then(|| Metadata { family, kind, help: help.to_string(), unit: unit.to_string() })
        }
    };
    Ok((s, meta))
}
