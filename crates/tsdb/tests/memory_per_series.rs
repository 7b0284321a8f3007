//! Heap bytes per active series in the head, per structure, for the scrape benchmark's series
//! shape (target.mjs: 6 labels, one value unique per series): a counting allocator measures what
//! each step keeps alive. Run with `--nocapture` to see the breakdown; the test fails when the
//! head grows past its budget, so a change that bloats a per-series structure is noticed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use tsdb::head::Head;
use tsdb::index::{PostingsIndex, Symbols};
use tsdb::Labels;

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

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const TARGETS: usize = 4;
const PER_TARGET: usize = 25_000;
const SERIES: usize = TARGETS * PER_TARGET;

/// The label sets of the scrape benchmark: target.mjs's series on 4 targets.
fn label_sets() -> Vec<Labels> {
    let mut out = Vec::with_capacity(SERIES);
    for t in 0..TARGETS {
        let instance = format!("127.0.0.1:{}", 40000 + t);
        for j in 0..PER_TARGET {
            let (m, i) = (j / 250, j % 250);
            out.push(Labels::from_pairs([
                ("__name__", "synthetic_requests_total".to_string()),
                ("path", format!("/api/v{m}/item{i}")),
                ("code", (200 + i % 5).to_string()),
                ("shard", (i % 16).to_string()),
                ("job", "synthetic".to_string()),
                ("instance", instance.clone()),
            ]));
        }
    }
    out
}

fn per_series(bytes: isize) -> f64 {
    bytes as f64 / SERIES as f64
}

#[test]
fn head_bytes_per_series_stay_within_budget() {
    let sets = label_sets();

    // The symbol table and postings alone, built as the head builds them.
    let before = live();
    let mut symbols = Symbols::default();
    let mut index = PostingsIndex::default();
    for (r, l) in sets.iter().enumerate() {
        let ids: Vec<(u32, u32)> = l.iter().map(|l| (symbols.intern(&l.name), symbols.intern(&l.value))).collect();
        index.add(r as u32 + 1, &ids);
    }
    let symbols_and_postings = live() - before;
    drop((symbols, index));

    let before = live();
    let mut head = Head::new(120, 2 * 3600 * 1000);
    let refs: Vec<u32> = sets.iter().map(|l| head.get_or_create(l, None).0).collect();
    let series_created = live() - before;

    // 90 scrapes at 2 s (the benchmark's three minutes), counter values as target.mjs writes them.
    let after_series = live();
    for k in 0..90i64 {
        let t = 1_700_000_000_000 + k * 2000;
        for (i, &r) in refs.iter().enumerate() {
            let v = ((k * 2) as f64 * (1 + i % 97) as f64 + (i % 13) as f64).floor();
            assert_eq!(head.check(r, t, v), Ok(true));
            head.append_checked(r, 0, t, v);
        }
    }
    let samples = live() - after_series;
    let total = live() - before;

    println!("head heap bytes per series ({SERIES} series, 90 samples each):");
    println!("  symbols + postings      {:>7.1}", per_series(symbols_and_postings));
    println!("  series structs, by-hash {:>7.1}", per_series(series_created - symbols_and_postings));
    println!("  chunks (90 samples)     {:>7.1}", per_series(samples));
    println!("  total                   {:>7.1}", per_series(total));
    assert_eq!(head.num_series(), SERIES);
    // The budget: what the head needs per series today, so a regression fails here.
    assert!(per_series(total) < 540.0, "head uses {:.0} B per series", per_series(total));
}
