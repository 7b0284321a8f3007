//! An instant query's single step takes the newest sample of a block chunk without decoding the
//! chunk (querier/newest.rs): it must answer exactly as decoding the samples does, which a
//! two-step evaluation of the same time still does.

use std::fs;
use tsdb::chunkenc::stale_nan;
use tsdb::db::{Db, Matrix, Options};
use tsdb::kernels::Steps;
use tsdb::{Labels, Matcher};

const H: i64 = 3600 * 1000;
const LOOKBACK: i64 = 5 * 60_000;

fn cell(m: &Matrix, at: usize) -> (u8, u64, i64) {
    (m.present[at], m.values[at].to_bits(), m.timestamps[at])
}

#[test]
fn one_step_answers_as_decoding_does() {
    let dir = std::env::temp_dir().join(format!("promethium-instant-newest-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let db = Db::open(&dir, Options::default()).unwrap();
    let labels: Vec<Labels> = (0..6).map(|i| Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())])).collect();
    let refs = db.series_refs(&labels).unwrap();
    for k in 0..(6 * H / 15_000) {
        let t = k * 15_000;
        for (i, &r) in refs.iter().enumerate() {
            let v = match i {
                // Goes stale at 1h30 and comes back at 2h.
                1 if (90 * 60_000..2 * H).contains(&t) => {
                    if t == 90 * 60_000 { stale_nan() } else { continue }
                }
                // Goes stale in the head (after the compaction's cut) and stays so.
                5 if t >= 5 * H => {
                    if t == 5 * H { stale_nan() } else { continue }
                }
                // Stops at 2h: later steps have nothing in their window.
                2 if t > 2 * H => continue,
                _ => (t as f64 / 1000.0).sin() * (i + 1) as f64,
            };
            db.append(&[r], &[t], &[v], None).unwrap();
        }
    }
    db.compact().unwrap();
    assert!(!db.stats(10).blocks.is_empty(), "some samples are in blocks");
    // Deleted samples in a block: that series is decoded.
    db.delete_series(&[Matcher::Equal { name: "i".into(), value: "3".into() }], H, H + 20 * 60_000).unwrap();

    let all = [Matcher::Equal { name: "__name__".into(), value: "m".into() }];
    let mut checked = 0;
    let mut t = 0;
    while t < 6 * H + 10 * 60_000 {
        let one = Steps { start: t, end: t, step: 1 };
        let two = Steps { start: t, end: t + 1000, step: 1000 };
        let sel = db.select(&all, t - LOOKBACK + 1, t).unwrap();
        let wide = db.select(&all, t - LOOKBACK + 1, t + 1000).unwrap();
        let a = sel.instant(&one, LOOKBACK).unwrap();
        let b = wide.instant(&two, LOOKBACK).unwrap();
        // The wider selection may find a series the narrow one does not (a sample in the
        // second step only): match rows by labels.
        let wide_labels = wide.labels();
        for (i, l) in sel.labels().iter().enumerate() {
            let j = wide_labels.iter().position(|w| w == l).expect("a series of the narrow selection is in the wide one");
            assert_eq!(cell(&a, i), cell(&b, 2 * j), "series {l} at {t}");
            checked += a.present[i] as usize;
        }
        t += 7_000;
    }
    assert!(checked > 10_000, "{checked} present cells compared");
    let _ = fs::remove_dir_all(&dir);
}
