//! Appending a decoded remote-write batch: series refs for all series in one call, all float
//! samples in one `Db::append` (one WAL record), native histograms in one `Db::append_histograms`
//! (the path scraped histograms take), exemplars in one more. Refused samples
//! (out of order, duplicate, too old, too far ahead) are counted and the first one named, so the
//! receiver can answer 400 with the reason, as Prometheus does, instead of accepting silently.

use super::write_request::{format_labels, Metadata, WriteBatch};
use crate::db::Db;
use crate::exemplars::Exemplar;
use crate::head::Refusal;
use crate::Result;

#[derive(Debug, Default)]
pub struct IngestOutcome {
    pub series: usize,
    pub samples_written: u64,
    pub exemplars_written: u64,
    pub histograms_written: u64,
    pub out_of_order: u64,
    pub duplicate: u64,
    pub too_old: u64,
    pub out_of_bounds: u64,
    /// Exemplars not stored (out of order, duplicate, labels too long); Prometheus logs these and
    /// does not fail the request.
    pub exemplars_refused: u64,
    /// The first refused sample: its reason, series and timestamp.
    pub first_offender: Option<String>,
    pub metadata: Vec<Metadata>,
}

impl IngestOutcome {
    pub fn samples_refused(&self) -> u64 {
        self.out_of_order + self.duplicate + self.too_old + self.out_of_bounds
    }
}

fn refusal_text(r: Refusal) -> &'static str {
    match r {
        Refusal::OutOfOrder => "out of order sample",
        Refusal::Duplicate => "duplicate sample for timestamp",
        Refusal::TooOld => "out of bounds (older than the head accepts)",
        Refusal::OutOfBounds => "out of bounds (too far in the future)",
        Refusal::UnknownRef => "unknown series",
    }
}

pub fn ingest(db: &Db, batch: WriteBatch) -> Result<IngestOutcome> {
    let WriteBatch { series, metadata } = batch;
    let mut out = IngestOutcome { series: series.len(), metadata, ..Default::default() };
    let mut labels = Vec::with_capacity(series.len());
    let mut samples = Vec::with_capacity(series.len());
    let mut exemplars = Vec::new();
    let mut starts = Vec::with_capacity(series.len());
    let mut histograms = Vec::with_capacity(series.len());
    for s in series {
        histograms.push(s.histograms);
        labels.push(s.labels);
        samples.push(s.samples);
        exemplars.push(s.exemplars);
        starts.push(s.start_ms);
    }
    let refs = db.series_refs(&labels)?;
    let n: usize = samples.iter().map(Vec::len).sum();
    let (mut rs, mut ts, mut vs) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let any_start = starts.iter().any(|&s| s != 0);
    let mut sts = Vec::with_capacity(if any_start { n } else { 0 });
    // Which series each sample came from, to name the first offender.
    let mut first_sample_of = Vec::with_capacity(samples.len());
    for (i, list) in samples.iter().enumerate() {
        first_sample_of.push(rs.len());
        for &(t, v) in list {
            rs.push(refs[i]);
            ts.push(t);
            vs.push(v);
            if any_start {
                sts.push(starts[i]);
            }
        }
    }
    if n > 0 {
        let st = db.append(&rs, &ts, &vs, any_start.then_some(sts.as_slice()))?;
        out.samples_written = st.appended;
        out.out_of_order = st.out_of_order;
        out.duplicate = st.duplicate;
        out.too_old = st.too_old;
        out.out_of_bounds = st.out_of_bounds + st.unknown_ref;
        if let Some((k, r)) = st.first_refused {
            let series = first_sample_of.partition_point(|&first| first <= k) - 1;
            out.first_offender = Some(format!("{} for series {} at timestamp {}", refusal_text(r), format_labels(&labels[series]), ts[k]));
        }
    }
    let nh: usize = histograms.iter().map(Vec::len).sum();
    if nh > 0 {
        let (mut hrefs, mut hts, mut hs) = (Vec::with_capacity(nh), Vec::with_capacity(nh), Vec::with_capacity(nh));
        let mut hsts = Vec::with_capacity(if any_start { nh } else { 0 });
        let mut first_histogram_of = Vec::with_capacity(histograms.len());
        for (i, list) in histograms.into_iter().enumerate() {
            first_histogram_of.push(hrefs.len());
            for (t, h) in list {
                hrefs.push(refs[i]);
                hts.push(t);
                hs.push(h);
                if any_start {
                    hsts.push(starts[i]);
                }
            }
        }
        let st = db.append_histograms(&hrefs, &hts, &hs, any_start.then_some(hsts.as_slice()))?;
        out.histograms_written = st.appended;
        out.out_of_order += st.out_of_order;
        out.duplicate += st.duplicate;
        out.too_old += st.too_old;
        out.out_of_bounds += st.out_of_bounds + st.unknown_ref;
        if let (None, Some((k, r))) = (&out.first_offender, st.first_refused) {
            let series = first_histogram_of.partition_point(|&first| first <= k) - 1;
            out.first_offender = Some(format!("{} (native histogram) for series {} at timestamp {}", refusal_text(r), format_labels(&labels[series]), hts[k]));
        }
    }
    let items: Vec<(u32, Exemplar)> = exemplars.into_iter().enumerate().flat_map(|(i, list)| {
        let r = refs[i];
        list.into_iter().map(move |e| (r, e))
    }).collect();
    if !items.is_empty() {
        let st = db.append_exemplars(&items)?;
        out.exemplars_written = st.appended;
        out.exemplars_refused = items.len() as u64 - st.appended;
    }
    Ok(out)
}
