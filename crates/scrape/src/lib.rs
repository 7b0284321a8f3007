//! The hot path of a scrape, in Rust: a target's text-format body (0.0.4) is scanned line by line,
//! each sample line whose series text was seen in an earlier scrape is turned into (ref, timestamp,
//! value) without parsing labels, and the scrape's samples leave as one batch for the storage.
//!
//! Everything unusual — a series not seen before, a value written in a form this scanner does not
//! read, changed HELP/TYPE comments — is left to the full parser in TypeScript, which stays the
//! authority on the format: such lines come back as a *residue* (the body with the lines handled
//! here blanked out, so line numbers in error messages stay right). See docs/scrape-cache.md.

pub mod cache;
pub mod line;
mod series_index;

pub use cache::{Finished, ResidueSamples, SampleLimitExceeded, ScanOutcome, ScrapeCache, DROPPED};
