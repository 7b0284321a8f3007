//! Helpers shared by the integration tests.

use tsdb::db::Db;
use tsdb::Matcher;

/// Every selected series' samples over all time, as (its labels as text, (t, v) pairs), in the
/// selection's order (sorted by labels).
pub fn samples_by_series(db: &Db, matchers: &[Matcher]) -> Vec<(String, Vec<(i64, f64)>)> {
    let sel = db.select(matchers, i64::MIN / 2, i64::MAX / 2).unwrap();
    let csr = sel.samples().unwrap();
    sel.labels()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = csr.offsets[i] as usize..csr.offsets[i + 1] as usize;
            (l.to_string(), csr.t[r.clone()].iter().copied().zip(csr.v[r].iter().copied()).collect())
        })
        .collect()
}
