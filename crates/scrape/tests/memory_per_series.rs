//! Heap bytes per series that a target's scrape cache keeps, for the scrape benchmark's target
//! (target.mjs, 25k series): a counting allocator measures what stays alive after the first
//! scrape (which learns every series) and after steady in-order scrapes. `--nocapture` prints
//! the figures; the test fails when the cache grows past its budget.

use scrape::line::split_sample;
use scrape::{ResidueSamples, ScanOutcome, ScrapeCache};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting live bytes (requested sizes, without malloc's own overhead).
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERIES: usize = 25_000;

/// target.mjs's body at time `t` seconds.
fn body(t: u64) -> Vec<u8> {
    let mut out = String::new();
    for k in 0..SERIES {
        let (m, i) = (k / 250, k % 250);
        let v = t * (1 + (k % 97) as u64) + (k % 13) as u64;
        out.push_str(&format!(
            "synthetic_requests_total{{path=\"/api/v{m}/item{i}\",code=\"{}\",shard=\"{}\"}} {v}\n",
            200 + i % 5,
            i % 16
        ));
    }
    out.into_bytes()
}

#[test]
fn scrape_cache_bytes_per_series_stay_within_budget() {
    let bodies: Vec<Vec<u8>> = (0..4).map(|k| body(k * 2)).collect();
    let before = live();
    let mut cache = ScrapeCache::new();

    // The first scrape: every line is a residue line, resolved to ref k + 1 here.
    let ScanOutcome::Residue(residue) = cache.scan(&bodies[0], 0, true, false) else {
        panic!("a new target has a residue")
    };
    {
        let lines: Vec<&[u8]> = residue
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let samples: Vec<_> = lines
            .iter()
            .map(|l| split_sample(l).expect("sample line"))
            .collect();
        let series: Vec<&[u8]> = samples.iter().map(|s| s.series).collect();
        let refs: Vec<u32> = (1..=series.len() as u32).collect();
        let timestamps = vec![0i64; series.len()];
        let values: Vec<f64> = samples.iter().map(|s| s.value).collect();
        let first = cache
            .finish(
                ResidueSamples {
                    series: &series,
                    refs: &refs,
                    timestamps: &timestamps,
                    untracked: &[],
                    values: &values,
                },
                0,
            )
            .expect("no limit");
        assert_eq!(first.added, SERIES);
    }
    drop(residue);
    let after_first = live() - before;

    // Steady state: the same series in the same order, all handled without the full parser.
    for (k, b) in bodies.iter().enumerate().skip(1) {
        assert_eq!(
            cache.scan(b, k as i64 * 2000, true, false),
            ScanOutcome::Complete
        );
        let f = cache.finish(ResidueSamples::NONE, 0).expect("no limit");
        assert_eq!(f.refs.len(), SERIES);
    }
    let steady = live() - before;

    let per = |b: isize| b as f64 / SERIES as f64;
    println!("scrape cache heap bytes per series ({SERIES} series):");
    println!("  after the first scrape  {:>7.1}", per(after_first));
    println!("  after 3 more scrapes    {:>7.1}", per(steady));
    assert_eq!(cache.len(), SERIES);
    // The budget: what the cache needs per series today (120 B: each text once, in the series
    // index's arena; 2x that when the order kept its own copy), so a regression fails here.
    assert!(
        per(steady) < 130.0,
        "the scrape cache keeps {:.0} B per series",
        per(steady)
    );
}

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}
