//! Remote-Write 2.0: `io.prometheus.write.v2.Request { repeated string symbols = 4; repeated
//! TimeSeries timeseries = 5; }`. Strings are interned in the symbol table (symbols[0] is ""),
//! and a series names its labels, its exemplars' labels and its metadata's help and unit by
//! index: `TimeSeries { repeated uint32 labels_refs = 1 (packed); repeated Sample samples = 2;
//! repeated Histogram histograms = 3 (`encode_histogram`, with `start_timestamp = 17`); repeated Exemplar exemplars = 4; Metadata metadata = 5; }`, `Sample { double value = 1; int64
//! timestamp = 2; int64 start_timestamp = 3; }`, `Exemplar { repeated uint32 labels_refs = 1;
//! double value = 2; int64 timestamp = 3; }`, `Metadata { MetricType type = 1; uint32 help_ref =
//! 3; uint32 unit_ref = 4; }`. Start timestamps go on each sample (the current spec) and the
//! first one also in the series' `created_timestamp = 6` (the field earlier 2.0 receivers read,
//! which later ones ignore), so receivers of either revision get them.

use crate::protowire::{begin_message, end_message, put_bytes, put_double, put_int64, put_key, put_uvarint, LEN};
use super::encode_histogram::put_histogram_v2;
use super::BatchSeries;
use std::collections::HashMap;

struct Symbols<'a> {
    index: HashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Symbols<'a> {
    fn new() -> Self {
        let mut s = Symbols { index: HashMap::new(), list: Vec::new() };
        s.get("");
        s
    }
    fn get(&mut self, x: &'a str) -> u32 {
        if let Some(&i) = self.index.get(x) {
            return i;
        }
        let i = self.list.len() as u32;
        self.index.insert(x, i);
        self.list.push(x);
        i
    }
}

fn put_label_refs<'a>(out: &mut Vec<u8>, field: u32, labels: impl Iterator<Item = (&'a str, &'a str)>, symbols: &mut Symbols<'a>, scratch: &mut Vec<u8>) {
    scratch.clear();
    for (name, value) in labels {
        put_uvarint(scratch, u64::from(symbols.get(name)));
        put_uvarint(scratch, u64::from(symbols.get(value)));
    }
    if scratch.is_empty() {
        return;
    }
    put_key(out, field, LEN);
    put_uvarint(out, scratch.len() as u64);
    out.extend_from_slice(scratch);
}

pub fn request(series: &[BatchSeries], out: &mut Vec<u8>) {
    let mut symbols = Symbols::new();
    let mut body = Vec::with_capacity(series.len() * 64);
    let mut scratch = Vec::new();
    for s in series {
        let ts = begin_message(&mut body, 5);
        put_label_refs(&mut body, 1, s.series.labels(), &mut symbols, &mut scratch);
        for x in &s.samples {
            let m = begin_message(&mut body, 2);
            put_double(&mut body, 1, x.v);
            put_int64(&mut body, 2, x.t);
            if x.st != 0 {
                put_int64(&mut body, 3, x.st);
            }
            end_message(&mut body, m);
        }
        for h in &s.histograms {
            put_histogram_v2(&mut body, 3, h, &mut scratch);
        }
        for e in &s.exemplars {
            let m = begin_message(&mut body, 4);
            put_label_refs(&mut body, 1, e.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())), &mut symbols, &mut scratch);
            put_double(&mut body, 2, e.value);
            put_int64(&mut body, 3, e.t);
            end_message(&mut body, m);
        }
        if let Some(md) = &s.series.metadata {
            let m = begin_message(&mut body, 5);
            if md.metric_type != 0 {
                put_int64(&mut body, 1, i64::from(md.metric_type));
            }
            if !md.help.is_empty() {
                put_int64(&mut body, 3, i64::from(symbols.get(&md.help)));
            }
            if !md.unit.is_empty() {
                put_int64(&mut body, 4, i64::from(symbols.get(&md.unit)));
            }
            end_message(&mut body, m);
        }
        if let Some(first) = s.samples.iter().map(|x| x.st).chain(s.histograms.iter().map(|h| h.st)).find(|&st| st != 0) {
            put_int64(&mut body, 6, first);
        }
        end_message(&mut body, ts);
    }
    for sym in &symbols.list {
        put_bytes(out, 4, sym.as_bytes());
    }
    out.extend_from_slice(&body);
}
