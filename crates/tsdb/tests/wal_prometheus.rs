//! A WAL that Prometheus wrote with `--storage.tsdb.wal-compression` (its default: Snappy-compressed
//! records) replays in full — the same series and samples `promtool tsdb dump` reads from it — and
//! opening it changes none of its segments; Prometheus then still replays the WAL after we wrote to
//! it (our records are uncompressed). Needs Debian's `prometheus` package (`.ci/run` installs it);
//! without `prometheus` and `promtool` on PATH the test is skipped with a message.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;
use tsdb::db::{Db, Options};
use tsdb::{Labels, Matcher};

type Series = BTreeMap<String, Vec<(i64, f64)>>;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("promethium-walprom-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts Prometheus on 127.0.0.1:`port`, scraping itself, with its data in `data`.
fn start_prometheus(dir: &Path, port: u16) -> Child {
    let config = dir.join("prometheus.yml");
    fs::write(&config, format!("global: {{scrape_interval: 500ms}}\nscrape_configs:\n  - job_name: self\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")).unwrap();
    let log = fs::OpenOptions::new().create(true).append(true).open(dir.join("prometheus.log")).unwrap();
    Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.wal-compression")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus")
}

/// Lets Prometheus run for `secs` seconds, failing with its log if it exits on its own.
fn run_for(p: &mut Child, dir: &Path, secs: u32) {
    for _ in 0..secs {
        sleep(Duration::from_secs(1));
        if let Some(st) = p.try_wait().unwrap() {
            panic!("prometheus exited with {st}: {}", fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default());
        }
    }
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split(' ').nth(1)?.parse().ok()?;
    Some((status, resp.split_once("\r\n\r\n")?.1.to_string()))
}

/// Every series and sample in `promtool tsdb dump` of the data directory (which replays the WAL
/// with Prometheus's own code), keyed by the series as dump prints it.
fn promtool_dump(data: &Path) -> Series {
    let out = Command::new("promtool").args(["tsdb", "dump"]).arg(data).output().unwrap();
    assert!(out.status.success(), "promtool tsdb dump: {}", String::from_utf8_lossy(&out.stderr));
    let mut series = Series::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (labels, rest) = line.rsplit_once("} ").expect("a dump line");
        let (v, t) = rest.split_once(' ').unwrap();
        series.entry(format!("{labels}}}")).or_default().push((t.parse().unwrap(), v.parse().unwrap()));
    }
    series
}

/// Our series and samples, with labels printed as `promtool tsdb dump` prints them.
fn our_samples(db: &Db) -> Series {
    let sel = db.select(&[Matcher::NotEqual { name: "__name__".into(), value: String::new() }], i64::MIN / 2, i64::MAX / 2).unwrap();
    let csr = sel.samples().unwrap();
    let mut out = Series::new();
    for (i, l) in sel.labels().iter().enumerate() {
        let r = csr.offsets[i] as usize..csr.offsets[i + 1] as usize;
        out.insert(dump_labels(l), csr.t[r.clone()].iter().copied().zip(csr.v[r].iter().copied()).collect());
    }
    out
}

fn dump_labels(l: &Labels) -> String {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let pairs: Vec<String> = l.iter().map(|x| format!("{}=\"{}\"", x.name, quote(&x.value))).collect();
    format!("{{{}}}", pairs.join(", "))
}

fn same_samples(a: &[(i64, f64)], b: &[(i64, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && (x.1 == y.1 || (x.1.is_nan() && y.1.is_nan())))
}

/// Each WAL segment's name and size.
fn segment_sizes(wal: &Path) -> BTreeMap<String, u64> {
    fs::read_dir(wal).unwrap().flatten().filter(|e| e.file_type().unwrap().is_file()).map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len())).collect()
}

/// How many record fragments of a segment carry the Snappy flag (bit 3 of the type byte), by
/// fragment type (index 1 full, 2 first, 3 middle, 4 last).
fn snappy_fragments(seg: &[u8]) -> [usize; 8] {
    const PAGE: usize = 32 * 1024;
    let (mut pos, mut n) = (0usize, [0usize; 8]);
    while pos + 7 <= seg.len() {
        if PAGE - pos % PAGE < 7 || seg[pos] == 0 {
            pos += PAGE - pos % PAGE;
            continue;
        }
        if seg[pos] & 8 != 0 {
            n[(seg[pos] & 7) as usize] += 1;
        }
        pos += 7 + u16::from_be_bytes([seg[pos + 1], seg[pos + 2]]) as usize;
    }
    n
}

#[test]
fn a_compressed_wal_written_by_prometheus_replays_in_full_and_is_not_cut() {
    if !installed("prometheus") || !installed("promtool") {
        eprintln!("SKIPPED: prometheus/promtool not installed (apt-get install prometheus); the compressed-WAL replay test did not run");
        return;
    }
    let dir = temp_dir("snappy");
    let data = dir.join("data");
    let port = free_port();
    let mut p = start_prometheus(&dir, port);
    run_for(&mut p, &dir, 20);
    // Killed, as a crash would: the head exists only in the WAL.
    p.kill().unwrap();
    p.wait().unwrap();

    let wal = data.join("wal");
    let sizes = segment_sizes(&wal);
    let seg0 = fs::read(wal.join("00000000")).unwrap();
    let snappy = snappy_fragments(&seg0);
    eprintln!("Prometheus's WAL: {sizes:?}; Snappy fragments by type (full, first, middle, last): {:?}", &snappy[1..5]);
    assert!(snappy[1] > 10, "Prometheus wrote no compressed records; nothing was tested: {snappy:?}");
    let expected = promtool_dump(&data);
    let up: Vec<&String> = expected.keys().filter(|k| k.starts_with("{__name__=\"up\"")).collect();
    assert!(up.len() == 1 && expected[up[0]].len() >= 10, "too little scraped: {up:?}");

    let db = Db::open(&data, Options::default()).unwrap();
    assert!(db.replay.corruption.is_none(), "{:?}", db.replay.corruption);
    eprintln!("replayed {} series, {} samples", db.replay.series, db.replay.samples);
    let after = segment_sizes(&wal);
    for (name, size) in &sizes {
        assert_eq!(after.get(name), Some(size), "WAL segment {name} was changed at open");
    }
    let ours = our_samples(&db);
    assert_eq!(ours.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "series differ");
    for (k, v) in &expected {
        assert!(same_samples(&ours[k], v), "samples of {k} differ: ours {} promtool {}", ours[k].len(), v.len());
    }

    // We write to it (uncompressed), then Prometheus replays the whole WAL, ours included.
    let marker = Labels::from_pairs([("__name__", "promethium_marker")]);
    let refs = db.series_refs(&[marker]).unwrap();
    assert_eq!(db.append(&refs, &[Db::now_ms() as i64], &[42.0], None).unwrap().appended, 1);
    db.close().unwrap();
    drop(db);
    let mut p = start_prometheus(&dir, port);
    let mut ready = false;
    for _ in 0..120 {
        if http_get(port, "/-/ready").is_some_and(|(s, _)| s == 200) {
            ready = true;
            break;
        }
        if let Some(st) = p.try_wait().unwrap() {
            panic!("prometheus exited with {st} on our WAL: {}", fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default());
        }
        sleep(Duration::from_millis(500));
    }
    let marker = http_get(port, "/api/v1/query?query=promethium_marker");
    let up_count = http_get(port, &format!("/api/v1/query?query=count_over_time(up%5B1h%5D)&time={}", expected[up[0]].last().unwrap().0 as f64 / 1000.0));
    p.kill().unwrap();
    p.wait().unwrap();
    assert!(ready, "prometheus did not become ready: {}", fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default());
    let (_, body) = marker.expect("marker query");
    assert!(body.contains("\"promethium_marker\"") && body.contains("\"42\""), "{body}");
    let (_, body) = up_count.expect("count query");
    assert!(body.contains(&format!("\"{}\"", expected[up[0]].len())), "Prometheus lost scraped samples: {body}");
    let _ = fs::remove_dir_all(&dir);
}
