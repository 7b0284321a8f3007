//! How long queries and appends wait while the head is cut into a block: a head of `--series`
//! series (default 300k; 10% of them stop after the first block range, so truncation removes
//! series too) spanning two block ranges, then one compaction while a thread asks for `up`
//! (20 series) in a loop and another appends at a scrape-like rate. Prints the latency of both
//! before, during and after the cut (glibc's `malloc_trim`, which the addon called after
//! compacting until it was seen to stall other threads, is timed on its own), and the cut's
//! own profile of lock holds.
//!
//! `cargo run --release -p tsdb --example compaction_pause -- --series=1000000`

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use support::malloc_trim;
use tsdb::db::{Db, Options};
use tsdb::{Labels, Matcher};

struct Args {
    series: usize,
    block_minutes: i64,
    interval_s: i64,
    samples_per_chunk: usize,
    churn_pct: usize,
    /// Appended samples per second while compacting.
    append_rate: usize,
}

fn args() -> Args {
    let mut a = Args { series: 300_000, block_minutes: 10, interval_s: 15, samples_per_chunk: 10, churn_pct: 10, append_rate: 100_000 };
    for arg in std::env::args().skip(1) {
        let (k, v) = arg.split_once('=').unwrap_or((&arg, ""));
        let n: usize = v.parse().unwrap_or_else(|_| panic!("{arg}: expected --name=number"));
        match k {
            "--series" => a.series = n,
            "--block-minutes" => a.block_minutes = n as i64,
            "--interval-s" => a.interval_s = n as i64,
            "--samples-per-chunk" => a.samples_per_chunk = n,
            "--churn-pct" => a.churn_pct = n,
            "--append-rate" => a.append_rate = n,
            _ => panic!("unknown option {k}"),
        }
    }
    a
}

/// Latencies (ms) stamped with when they ended, to be cut into windows.
type Log = Arc<Mutex<Vec<(Instant, f64)>>>;

fn summary(log: &Log, from: Instant, to: Instant) -> String {
    let mut v: Vec<f64> = log.lock().unwrap().iter().filter(|(at, _)| *at >= from && *at <= to).map(|&(_, ms)| ms).collect();
    if v.is_empty() {
        return "no samples".into();
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!("n={:<6} p50={:>8.2} p99={:>8.2} max={:>8.2} ms", v.len(), q(0.5), q(0.99), q(1.0))
}

fn main() {
    let a = args();
    let dir = std::env::temp_dir().join(format!("promethium-compaction-pause-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let br = a.block_minutes * 60_000;
    let every = a.interval_s * 1000;
    let opts = Options { block_range_ms: br, samples_per_chunk: a.samples_per_chunk, ..Options::default() };
    let db = Arc::new(Db::open(&dir, opts).unwrap());

    let labels: Vec<Labels> = (0..a.series).map(|i| Labels::from_pairs([("__name__", "scale_metric".to_string()), ("instance", format!("host-{}", i / 1000)), ("job", "scale".into()), ("i", i.to_string())])).collect();
    let up_labels: Vec<Labels> = (0..20).map(|k| Labels::from_pairs([("__name__", "up".to_string()), ("instance", format!("target-{k}")), ("job", "scale".into())])).collect();
    let refs = db.series_refs(&labels).unwrap();
    let up_refs = db.series_refs(&up_labels).unwrap();
    drop(labels);
    let churned = a.series * a.churn_pct / 100;

    // Samples from a block boundary more than 1.5 block ranges before the last sample (which is
    // up to two intervals before now) and at most about 2.5 ranges before it: the head is then
    // cut once. Measured from now alone, a last sample an interval short of 1.5 ranges left
    // the head uncut on some runs.
    let now = Db::now_ms() as i64;
    let t0 = (now - 2 * every - 2 * br - br / 2).div_euclid(br) * br + br;
    let first_block_end = t0 + br;
    let fill = Instant::now();
    let mut t = t0;
    while t <= now - every {
        let from = if t < first_block_end { 0 } else { churned };
        for batch in refs[from..].chunks(50_000) {
            db.append(batch, &vec![t; batch.len()], &vec![1.0; batch.len()], None).unwrap();
        }
        db.append(&up_refs, &vec![t; up_refs.len()], &vec![1.0; up_refs.len()], None).unwrap();
        t += every;
    }
    let last_filled = t - every;
    let stats = db.stats(0);
    println!("filled {} series ({} stop after the first block), {} chunks, in {:.1} s", stats.num_series, churned, stats.chunk_count, fill.elapsed().as_secs_f64());

    let stop = Arc::new(AtomicBool::new(false));
    let queries: Log = Log::default();
    let appends: Log = Log::default();
    let query_thread = {
        let (db, stop, log) = (db.clone(), stop.clone(), queries.clone());
        let up = [Matcher::Equal { name: "__name__".into(), value: "up".into() }];
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let began = Instant::now();
                let sel = db.select(&up, now - 300_000, i64::MAX / 2).unwrap();
                let csr = sel.samples().unwrap();
                assert_eq!(csr.offsets.len(), 21, "all 20 `up` series are found");
                log.lock().unwrap().push((Instant::now(), began.elapsed().as_secs_f64() * 1000.0));
                thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let append_thread = {
        let (db, stop, log) = (db.clone(), stop.clone(), appends.clone());
        let live: Vec<u32> = refs[churned..].to_vec();
        let rate = a.append_rate.max(1);
        thread::spawn(move || {
            const BATCH: usize = 5_000;
            let pause = Duration::from_secs_f64(BATCH as f64 / rate as f64);
            let mut t = last_filled;
            while !stop.load(Ordering::Relaxed) {
                // One second of scrape time per round over all live series.
                t += 1000;
                for batch in live.chunks(BATCH) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let began = Instant::now();
                    let s = db.append(batch, &vec![t; batch.len()], &vec![2.0; batch.len()], None).unwrap();
                    assert_eq!(s.appended, batch.len() as u64, "appends after the cut range are accepted: {s:?}");
                    log.lock().unwrap().push((Instant::now(), began.elapsed().as_secs_f64() * 1000.0));
                    thread::sleep(pause.saturating_sub(began.elapsed()));
                }
            }
        })
    };

    thread::sleep(Duration::from_secs(2));
    let cut_began = Instant::now();
    db.compact().unwrap();
    let cut_ended = Instant::now();
    thread::sleep(Duration::from_millis(500));
    let trim_began = Instant::now();
    malloc_trim();
    let trim_ended = Instant::now();
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    query_thread.join().unwrap();
    append_thread.join().unwrap();

    let before = cut_began - Duration::from_secs(2);
    println!("compaction {:.0} ms, malloc_trim {:.0} ms", (cut_ended - cut_began).as_secs_f64() * 1000.0, (trim_ended - trim_began).as_secs_f64() * 1000.0);
    println!("`up` select    before: {}", summary(&queries, before, cut_began));
    println!("`up` select    during: {}", summary(&queries, cut_began, cut_ended));
    println!("`up` select      trim: {}", summary(&queries, trim_began, trim_ended + Duration::from_millis(100)));
    println!("append 5k      before: {}", summary(&appends, before, cut_began));
    println!("append 5k      during: {}", summary(&appends, cut_began, cut_ended));
    println!("append 5k        trim: {}", summary(&appends, trim_began, trim_ended + Duration::from_millis(100)));
    // When the slowest waits happened, to be matched with the phases of the profile below
    // (copy, write block, open block, truncate, checkpoint, in that order).
    for (name, log) in [("select", &queries), ("append", &appends)] {
        let mut slow: Vec<(Instant, f64)> = log.lock().unwrap().iter().copied().filter(|(at, _)| *at >= cut_began && *at <= cut_ended).collect();
        slow.sort_by(|a, b| b.1.total_cmp(&a.1));
        let at: Vec<String> = slow.iter().take(5).map(|(at, ms)| format!("{ms:.0} ms ending at +{:.1} s", (*at - cut_began).as_secs_f64())).collect();
        println!("slowest {name}s during the cut: {}", at.join(", "));
    }
    println!("{:#?}", db.last_head_cut());
    let stats = db.stats(0);
    println!("after: {} series in the head, {} blocks", stats.num_series, stats.blocks.len());
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
