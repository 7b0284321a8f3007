//! How long opening a database takes when its head is rebuilt from the WAL (a restart after
//! `kill -9`), and the RSS it leaves: `--series` series (default 1M, labelled like scrape targets' series) with
//! `--samples` samples each at `--interval-s`, written through the database and left in the WAL
//! (the database is dropped without a block being cut), then opened again `--runs` times.
//!
//! `cargo run --release -p tsdb --example wal_replay -- --series=1000000 --samples=20`

mod support;

use std::time::Instant;
use support::{malloc_trim, resident_mib};
use tsdb::db::{Db, Options};
use tsdb::Labels;

fn main() {
    let (mut series, mut samples, mut interval_s, mut runs) = (1_000_000usize, 20usize, 30i64, 3usize);
    for arg in std::env::args().skip(1) {
        let (k, v) = arg.split_once('=').unwrap_or((&arg, ""));
        let n: usize = v.parse().unwrap_or_else(|_| panic!("{arg}: expected --name=number"));
        match k {
            "--series" => series = n,
            "--samples" => samples = n,
            "--interval-s" => interval_s = n as i64,
            "--runs" => runs = n,
            _ => panic!("unknown option {k}"),
        }
    }
    let dir = std::env::temp_dir().join(format!("promethium-wal-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let db = Db::open(&dir, Options::default()).unwrap();
        let labels: Vec<Labels> = (0..series).map(|i| Labels::from_pairs([("__name__", format!("synthetic_requests_total_{}", i % 100)), ("instance", format!("127.0.0.1:{}", 19000 + i / 100_000)), ("job", "synthetic".into()), ("path", format!("/api/v{}/item{i}", i % 100))])).collect();
        let refs = db.series_refs(&labels).unwrap();
        let t0 = 1_700_000_000_000i64;
        for k in 0..samples {
            let t = t0 + k as i64 * interval_s * 1000;
            for (j, batch) in refs.chunks(100_000).enumerate() {
                let vs: Vec<f64> = batch.iter().map(|&r| (r as usize * (k + 1) + j) as f64).collect();
                db.append(batch, &vec![t; batch.len()], &vs, None).unwrap();
            }
        }
    }
    malloc_trim();
    println!("after writing: RSS {} MiB", resident_mib());
    let wal_bytes: u64 = std::fs::read_dir(dir.join("wal")).unwrap().filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    println!("WAL: {series} series x {samples} samples, {:.0} MiB", wal_bytes as f64 / 1048576.0);
    for run in 0..runs {
        let started = Instant::now();
        let db = Db::open(&dir, Options::default()).unwrap();
        let open_ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("run {run}: open {open_ms:.0} ms (replay {:.0} ms: {} series, {} samples), RSS {} MiB, after malloc_trim {} MiB", db.replay.duration_ms, db.replay.series, db.replay.samples, resident_mib(), { malloc_trim(); resident_mib() });
        drop(db);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
