//! The native half of the remote-write sender on its own: a WAL of 100k series (labels shaped as
//! the remote-write bench's scrape targets) written in 10k-sample records, read back by the
//! watcher into Snappy-compressed 1.0 requests of 2,000 samples. Prints CPU nanoseconds per sample
//! for the series' relabel round trip and for the samples, so an encoder change can be weighed
//! without the noise of a whole server, and the Snappy compressor's own speed (MB/s of
//! uncompressed request bodies, thread CPU) on those requests.
//! `cargo run --release -p tsdb --example remote_write_throughput [v2]`

mod support;

use support::resident_mib;
use tsdb::db::{Db, Options};
use tsdb::remote::watcher::{Options as WatchOptions, Position, Step, Watcher};
use tsdb::remote::Protocol;
use tsdb::Labels;

fn read_back(dir: &std::path::Path, protocol: Protocol) {
    let opts = WatchOptions {
        protocol,
        send_exemplars: false,
        send_histograms: false,
        max_samples: 2000,
        shards: 1,
        compress: true,
    };
    let mut w = Watcher::open(&dir.join("wal"), Some(Position::default()), opts).unwrap();
    let (mut series_time, mut sample_time, mut samples, mut bytes, mut series) =
        (0f64, 0f64, 0u64, 0u64, 0u64);
    loop {
        let t0 = thread_cpu();
        match w.read(true, i64::MIN).unwrap() {
            Step::NewSeries(list) => {
                series += list.len() as u64;
                // As the queue adds an external label to each.
                let verdicts = list.into_iter().map(|(_, l)| {
                    let mut pairs: Vec<(String, String)> = l
                        .iter()
                        .map(|x| (x.name.to_string(), x.value.to_string()))
                        .collect();
                    pairs.push(("sender".to_string(), "ours".to_string()));
                    Some((Labels::from_pairs(pairs), None))
                });
                w.resolve(verdicts.collect()).unwrap();
                series_time += thread_cpu() - t0;
            }
            Step::Batches(b) => {
                for x in b {
                    samples += u64::from(x.samples);
                    bytes += x.payload.len() as u64;
                }
                sample_time += thread_cpu() - t0;
            }
            Step::Idle => break,
        }
    }
    println!("{protocol:?}: {series} series, {samples} samples, {:.1} B/sample; series {:.0} ns each, samples {:.0} ns each; resident {} MiB with the watcher open", bytes as f64 / samples as f64, series_time * 1e9 / series as f64, sample_time * 1e9 / samples as f64, resident_mib());
}

/// Snappy on the uncompressed request bodies the watcher builds (up to 64 MB of them): MB/s of
/// input per CPU second, and the compressed size.
fn compression(dir: &std::path::Path, protocol: Protocol) {
    let opts = WatchOptions { protocol, send_exemplars: false, send_histograms: false, max_samples: 2000, shards: 1, compress: false };
    let mut w = Watcher::open(&dir.join("wal"), Some(Position::default()), opts).unwrap();
    let mut bodies = Vec::new();
    let mut total = 0usize;
    while total < 64 << 20 {
        match w.read(true, i64::MIN).unwrap() {
            Step::NewSeries(list) => w.resolve(list.into_iter().map(|(_, l)| Some((l, None))).collect()).unwrap(),
            Step::Batches(b) => {
                for x in b {
                    total += x.payload.len();
                    bodies.push(x.payload);
                }
            }
            Step::Idle => break,
        }
    }
    let passes = 5;
    let mut compressed = 0usize;
    let t0 = thread_cpu();
    for _ in 0..passes {
        compressed = bodies.iter().map(|b| tsdb::snappy::encode(b).len()).sum();
    }
    let secs = thread_cpu() - t0;
    let mean = total / bodies.len().max(1);
    println!("{protocol:?} snappy: {} bodies of {mean} B on average, {:.0} MB/s, compressed to {:.1}%", bodies.len(), (total * passes) as f64 / 1e6 / secs, compressed as f64 * 100.0 / total as f64);
}

/// This thread's CPU time in seconds (the machine may be shared: wall time would count others' work).
fn thread_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace()
        .next()
        .and_then(|x| x.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1e9
}

fn main() {
    let protocol = if std::env::args().any(|a| a == "v2") {
        Protocol::V2
    } else {
        Protocol::V1
    };
    let rounds: i64 = 10;
    let dir = std::env::temp_dir().join(format!("promethium-rw-throughput-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(&dir, Options::default()).unwrap();
    let mut refs = Vec::new();
    for target in 0..10 {
        let labels: Vec<Labels> = (0..10_000)
            .map(|i| {
                let (m, k) = (i / 100, i % 100);
                Labels::from_pairs([
                    ("__name__", "synthetic_requests_total".to_string()),
                    ("code", (200 + k % 5).to_string()),
                    ("instance", format!("127.0.0.1:{}", 9100 + target)),
                    ("job", "synthetic".to_string()),
                    ("path", format!("/api/v{m}/item{k}")),
                    ("shard", (k % 16).to_string()),
                ])
            })
            .collect();
        refs.push(db.series_refs(&labels).unwrap());
    }
    for round in 0..rounds {
        for (target, r) in refs.iter().enumerate() {
            let t = vec![round * 2000 + target as i64; r.len()];
            let v: Vec<f64> = (0..r.len())
                .map(|i| (round * (1 + i as i64 % 97)) as f64)
                .collect();
            db.append(r, &t, &v, None).unwrap();
        }
    }
    drop(db);
    // Read back several times (REPEAT, default 1), so a profile of the run is mostly the reading.
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    for _ in 0..repeat {
        read_back(&dir, protocol);
    }
    compression(&dir, protocol);
    let _ = std::fs::remove_dir_all(&dir);
}
