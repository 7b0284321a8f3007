//! `cargo bench -p scrape`: scan + finish of a 100k-series text body (target.mjs's shape), steady state.
use scrape::{ResidueSamples, ScanOutcome, ScrapeCache};
use std::time::Instant;

fn body(series: usize, round: u64) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..series {
        let (m, j) = (i / 1000, i % 1000);
        s.push_str(&format!("synthetic_requests_total{{path=\"/api/v{m}/item{j}\",code=\"{}\",shard=\"{}\"}} {}\n", 200 + j % 5, j % 16, round * (1 + i as u64 % 97)));
    }
    s.into_bytes()
}

fn main() {
    let n = 100_000;
    let mut cache = ScrapeCache::new();
    let first = body(n, 1);
    if let ScanOutcome::Residue(r) = cache.scan(&first, 0, true, true) {
        let lines: Vec<&[u8]> = r.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect();
        let series: Vec<&[u8]> = lines.iter().map(|l| scrape::line::split_sample(l).unwrap().series).collect();
        let refs: Vec<u32> = (0..series.len() as u32).collect();
        let ts = vec![0i64; series.len()];
        let vs = vec![0f64; series.len()];
        cache.finish(ResidueSamples { series: &series, refs: &refs, timestamps: &ts, values: &vs, untracked: &[] }, 0).unwrap();
    }
    let bodies: Vec<Vec<u8>> = (2..12).map(|r| body(n, r)).collect();
    let mut best = f64::MAX;
    for (i, b) in bodies.iter().enumerate() {
        let t = Instant::now();
        assert_eq!(cache.scan(b, 1000 * (i as i64 + 1), true, true), ScanOutcome::Complete);
        let f = cache.finish(ResidueSamples::NONE, 0).unwrap();
        assert_eq!(f.refs.len(), n);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let b = &bodies[0];
    let t = Instant::now();
    let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    let split_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let mut sum = 0.0;
    for l in &lines {
        if let Some(s) = scrape::line::split_sample(l) {
            sum += s.value + s.series.len() as f64;
        }
    }
    println!("line split {split_ms:.2} ms, split_sample {:.2} ms ({sum})", t.elapsed().as_secs_f64() * 1e3);
    println!("scan+finish, {n} series ({} bytes): best {:.2} ms, {:.0} ns per line", bodies[0].len(), best * 1e3, best * 1e9 / n as f64);
}
