//! Proof of the block format against Prometheus's own tools: `promtool tsdb list` and `dump` read
//! blocks we wrote with exactly our samples, and we read blocks that `promtool tsdb
//! create-blocks-from openmetrics` wrote with exactly the samples it was given.
//! promtool comes with Debian's `prometheus` package, which `.ci/run` installs.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use tsdb::block::{write_block, Block, ChunkOut};
use tsdb::chunkenc::{XorAppender, XorIterator};
use tsdb::Labels;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool").args(args).output().expect("promtool must be installed (apt-get install prometheus)");
    assert!(out.status.success(), "promtool {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Formats a value as Go's strconv.FormatFloat(v, 'g', -1, 64) does for the values we use.
fn go_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

type Samples = BTreeMap<String, Vec<(i64, String)>>;

fn samples_of_dump(text: &str) -> Samples {
    let mut out = Samples::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let close = line.rfind('}').unwrap();
        let (labels, rest) = line.split_at(close + 1);
        let mut parts = rest.split_whitespace();
        let v = parts.next().unwrap().to_string();
        let t: i64 = parts.next().unwrap().parse().unwrap();
        out.entry(labels.to_string()).or_default().push((t, v));
    }
    out
}

fn prom_labels(l: &Labels) -> String {
    let parts: Vec<String> = l.iter().map(|x| format!("{}={:?}", x.name, x.value)).collect();
    format!("{{{}}}", parts.join(", "))
}

#[test]
fn promtool_reads_our_blocks() {
    let dir = temp_dir("our-blocks");
    let base = 1_700_000_000_000i64;
    let mut expected = Samples::new();
    let mut series = Vec::new();
    for i in 0..40 {
        let labels = Labels::from_pairs([("__name__", format!("m{}", i % 3)), ("instance", format!("host-{i}")), ("job", "node".to_string())]);
        let mut chunks = Vec::new();
        let mut app = XorAppender::new();
        let mut t = base;
        for j in 0..300 {
            // Irregular intervals, a counter shape with a reset, and special values.
            t += 15_000 + (j * i) % 7 * 13;
            let v = match j {
                50 => f64::INFINITY,
                51 => -0.0,
                77 => -1.25e300,
                _ if j < 150 => (j * (i + 1)) as f64 * 0.5,
                _ => (j - 150) as f64,
            };
            if app.num_samples() == 120 {
                chunks.push(ChunkOut { min_t: app.min_time(), max_t: app.max_time(), encoding: tsdb::chunkenc::ENCODING_XOR, data: app.bytes().to_vec() });
                app = XorAppender::new();
            }
            app.append(t, v);
            expected.entry(prom_labels(&labels)).or_default().push((t, go_float(v)));
        }
        chunks.push(ChunkOut { min_t: app.min_time(), max_t: app.max_time(), encoding: tsdb::chunkenc::ENCODING_XOR, data: app.bytes().to_vec() });
        series.push((labels, chunks));
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let max_t = expected.values().flat_map(|s| s.iter().map(|x| x.0)).max().unwrap();
    let meta = write_block(&dir, base, max_t + 1, 1, vec![], &series, None).unwrap();
    fs::create_dir_all(dir.join("wal")).unwrap();

    let list = promtool(&["tsdb", "list", dir.to_str().unwrap()]);
    let row = list.lines().find(|l| l.starts_with(&meta.ulid)).unwrap_or_else(|| panic!("block not listed:\n{list}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[4], "12000", "samples in promtool's list: {row}");
    assert_eq!(cols[6], "40", "series in promtool's list: {row}");

    let dump = promtool(&["tsdb", "dump", dir.to_str().unwrap()]);
    let got = samples_of_dump(&dump);
    assert_eq!(got.len(), expected.len());
    for (k, v) in &expected {
        // -0 prints as 0 in Go; compare numerically for that one.
        let g = &got[k];
        assert_eq!(g.len(), v.len(), "{k}");
        for (a, b) in g.iter().zip(v) {
            assert_eq!(a.0, b.0, "{k}");
            if a.1 != b.1 {
                assert_eq!(a.1.parse::<f64>().unwrap(), b.1.parse::<f64>().unwrap(), "{k} at {}", a.0);
            }
        }
    }
}

#[test]
fn we_read_promtool_blocks() {
    let dir = temp_dir("their-blocks");
    let mut om = String::new();
    let mut expected: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    om.push_str("# TYPE req counter\n");
    for i in 0..5 {
        for j in 0..200i64 {
            let t = 1_700_000_000_000 + j * 15_000 + i * 7;
            let v = (j * j) as f64 + i as f64 / 3.0;
            om.push_str(&format!("req_total{{code=\"{}\",path=\"/p{i}\"}} {} {}.{:03}\n", 200 + i, go_float(v), t / 1000, t % 1000));
            expected.entry(format!("code={},path=/p{i}", 200 + i)).or_default().push((t, v));
        }
    }
    om.push_str("# EOF\n");
    fs::write(dir.join("in.om"), &om).unwrap();
    let data = dir.join("data");
    promtool(&["tsdb", "create-blocks-from", "openmetrics", dir.join("in.om").to_str().unwrap(), data.to_str().unwrap()]);
    let mut got: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for e in fs::read_dir(&data).unwrap().flatten() {
        if !e.path().join("meta.json").exists() {
            continue;
        }
        let b = Block::open(&e.path()).unwrap();
        for s in b.all_series().unwrap() {
            assert_eq!(s.labels.get("__name__"), Some("req_total"));
            let key = format!("code={},path={}", s.labels.get("code").unwrap(), s.labels.get("path").unwrap());
            for c in &s.chunks {
                let (enc, data) = b.chunk(c.r).unwrap();
                assert_eq!(enc, tsdb::chunkenc::ENCODING_XOR);
                got.entry(key.clone()).or_default().extend(XorIterator::new(data));
            }
        }
    }
    for v in got.values_mut() {
        v.sort_by_key(|x| x.0);
    }
    assert_eq!(got, expected);
}
