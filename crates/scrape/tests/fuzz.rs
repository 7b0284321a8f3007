//! Seeded fuzzing of the native scanner: thousands of bodies mutated byte by byte (any byte, `\r`,
//! invalid UTF-8, cut lines) from valid expositions, scanned by a cache warmed by the valid ones.
//! Nothing may panic; a residue keeps every line left in its place; a scrape answered *complete* holds
//! only plain sample lines whose values are numbers Prometheus reads (no `\r`, nothing beyond the
//! float64 range, no signed timestamp).

use scrape::line::split_sample;
use scrape::{ResidueSamples, ScanOutcome, ScrapeCache};

struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }
}

const SEEDS: [&[u8]; 3] = [
    b"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2 1700000000000\nb 3\nc{y=\"z\",q=\"}\\\"\"} 4\n",
    b"up 1\nscrape_duration_seconds 0.5\nh_bucket{le=\"+Inf\"} 10\nh_sum 1e3\nh_count 10\n",
    b"m{a=\"1\"} NaN\nm{a=\"2\"} -Inf\nm{a=\"3\"} 123456789012345678\n",
];

const PIECES: [&[u8]; 14] = [b"1e400", b"-1e400", b"\r", b"-5", b"+NaN", b"0x10", b"1_000", b"\xff", b"\xc3", b"\n", b" ", b"\t", b"99999999999999999999", b"{"];

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 => b.insert(at, rng.next() as u8),
            1 => {
                let p = PIECES[rng.below(PIECES.len())];
                b.splice(at..at, p.iter().copied());
            }
            2 => {
                let end = (at + 1 + rng.below(6)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 => b.truncate(at),
            _ => {
                // Replace the value after the first blank of a line with a piece.
                if let Some(sp) = b[at.min(b.len())..].iter().position(|&c| c == b' ') {
                    let s = at + sp + 1;
                    let e = b[s..].iter().position(|&c| c == b'\n' || c == b' ').map_or(b.len(), |k| s + k);
                    let p = PIECES[rng.below(PIECES.len())];
                    b.splice(s..e, p.iter().copied());
                }
            }
        }
    }
    b
}

fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split(|&c| c == b'\n').collect()
}

/// What the caller does with a residue in the fuzz: each plain sample line gets a fresh ref.
fn finish_with_residue(c: &mut ScrapeCache, residue: &[u8], next_ref: &mut u32) {
    let samples: Vec<(&[u8], f64, i64)> = lines(residue).into_iter().filter_map(split_sample).map(|s| (s.series, s.value, s.timestamp.unwrap_or(0))).collect();
    let series: Vec<&[u8]> = samples.iter().map(|s| s.0).collect();
    let refs: Vec<u32> = samples
        .iter()
        .map(|_| {
            *next_ref += 1;
            *next_ref
        })
        .collect();
    let timestamps: Vec<i64> = samples.iter().map(|s| s.2).collect();
    let values: Vec<f64> = samples.iter().map(|s| s.1).collect();
    c.finish(ResidueSamples { series: &series, refs: &refs, timestamps: &timestamps, values: &values, untracked: &[] }, 0).expect("no sample limit");
}

#[test]
fn mutated_bodies_never_panic_and_complete_scrapes_hold_only_plain_lines() {
    let mut complete = 0;
    for seed in [1u32, 2, 3] {
        let mut rng = XorShift(seed);
        let mut cache = ScrapeCache::new();
        let mut next_ref = 0;
        for i in 0..2000 {
            let valid = SEEDS[(i / 2) % SEEDS.len()];
            let body = if i % 2 == 0 { valid.to_vec() } else { mutate(&mut rng, valid) };
            let ts = 1_700_000_000_000 + i as i64 * 1000;
            match cache.scan(&body, ts, true, false) {
                ScanOutcome::Residue(r) => {
                    // Handled lines are blanked (the residue stops after the last line left), so
                    // each line left is where it was: the full parser's line numbers stay right.
                    let (left, all) = (lines(&r), lines(&body));
                    assert!(left.len() <= all.len() + 1, "seed {seed} #{i}");
                    for (k, l) in left.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
                        assert_eq!(Some(l), all.get(k), "seed {seed} #{i}: line {}", k + 1);
                    }
                    if rng.below(4) == 0 {
                        cache.fail();
                    } else {
                        finish_with_residue(&mut cache, &r, &mut next_ref);
                    }
                }
                ScanOutcome::Complete => {
                    complete += 1;
                    for line in lines(&body).into_iter().filter(|l| !l.is_empty() && l[0] != b'#') {
                        let what = String::from_utf8_lossy(line);
                        let s = split_sample(line).unwrap_or_else(|| panic!("seed {seed} #{i}: {what:?} handled natively"));
                        assert!(!line.contains(&b'\r'), "seed {seed} #{i}: {what:?}");
                        assert!(s.value.is_nan() || s.value.is_finite() || line.windows(3).any(|w| w == b"Inf"), "seed {seed} #{i}: {what:?} read as {}", s.value);
                        assert!(s.timestamp.is_none_or(|t| t >= 0), "seed {seed} #{i}: {what:?}");
                    }
                    cache.finish(ResidueSamples::NONE, 0).expect("no sample limit");
                }
            }
        }
    }
    assert!(complete > 100, "the steady state was reached: {complete}");
}
