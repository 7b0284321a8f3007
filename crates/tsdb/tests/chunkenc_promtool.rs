//! Golden test: Prometheus's own writer (promtool tsdb create-blocks-from openmetrics) and our
//! XorAppender produce the same chunk bytes for the same samples, and our iterator decodes them.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use tsdb::chunkenc::{XorAppender, XorIterator, ENCODING_XOR};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn uvarint(b: &[u8]) -> (u64, usize) {
    let mut x = 0u64;
    let mut s = 0;
    for (i, &byte) in b.iter().enumerate() {
        if byte < 0x80 {
            return (x | (byte as u64) << s, i + 1);
        }
        x |= ((byte & 0x7f) as u64) << s;
        s += 7;
    }
    panic!("bad uvarint");
}

/// Every chunk's data in a chunk segment file (format: tsdb/docs/format/chunks.md).
fn chunks_in(file: &Path) -> Vec<Vec<u8>> {
    let b = fs::read(file).unwrap();
    assert_eq!(&b[0..4], &[0x85, 0xBD, 0x40, 0xDD], "chunk file magic");
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < b.len() {
        let (len, n) = uvarint(&b[pos..]);
        if len == 0 {
            break;
        }
        pos += n;
        assert_eq!(b[pos], ENCODING_XOR);
        pos += 1;
        out.push(b[pos..pos + len as usize].to_vec());
        pos += len as usize + 4;
    }
    out
}

#[test]
fn promtool_chunks_are_ours_bit_for_bit() {
    if Command::new("promtool").arg("--version").output().is_err() {
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
        return;
    }
    let dir = temp_dir("chunk-golden");
    // Two series of 100 samples: a counter with irregular scrape times, and a noisy gauge with
    // special values. Timestamps in seconds with millisecond decimals, as OpenMetrics has them.
    let base_ms: i64 = 1_700_000_000_000;
    let mut series: HashMap<&str, Vec<(i64, f64)>> = HashMap::new();
    let mut text = String::from("# TYPE c counter\n# TYPE g gauge\n");
    let mut c = Vec::new();
    let mut g = Vec::new();
    for i in 0..100i64 {
        let t = base_ms + i * 15_000 + (i * 37 % 11) * 13;
        c.push((t, (i * i) as f64 * 3.0));
        let v = match i {
            10 => f64::INFINITY,
            11 => f64::NEG_INFINITY,
            _ => ((i as f64) * 0.37).sin() * 1234.5678,
        };
        g.push((t, v));
    }
    for (name, samples) in [("c_total", &c), ("g", &g)] {
        for &(t, v) in samples {
            let vs = if v == f64::INFINITY { "+Inf".to_string() } else if v == f64::NEG_INFINITY { "-Inf".to_string() } else { format!("{v:?}") };
            text.push_str(&format!("{name} {vs} {}.{:03}\n", t / 1000, t % 1000));
        }
    }
    text.push_str("# EOF\n");
    // OpenMetrics wants families contiguous: counters as c_total under TYPE c.
    series.insert("c", c);
    series.insert("g", g);
    let input = dir.join("input.om");
    fs::write(&input, text).unwrap();
    let out = Command::new("promtool").args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&input).arg(dir.join("data")).output().unwrap();
    assert!(out.status.success(), "promtool failed: {}", String::from_utf8_lossy(&out.stderr));

    let block = fs::read_dir(dir.join("data")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).expect("a block");
    let chunks = chunks_in(&block.join("chunks").join("000001"));
    assert_eq!(chunks.len(), 2, "one chunk per series");
    let mut matched = 0;
    for data in &chunks {
        let decoded: Vec<(i64, f64)> = XorIterator::new(data).collect();
        let same = |s: &Vec<(i64, f64)>| s.len() == decoded.len() && s.iter().zip(&decoded).all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits());
        let want = series.values().find(|s| same(s)).expect("the decoded samples are exactly one input series");
        let mut ours = XorAppender::new();
        for &(t, v) in want {
            ours.append(t, v);
        }
        assert_eq!(ours.bytes(), &data[..], "our encoding of the same samples is byte-identical");
        matched += 1;
    }
    assert_eq!(matched, 2);
    let _ = fs::remove_dir_all(&dir);
}
