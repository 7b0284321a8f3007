//! Prometheus's remote-storage protocols on the receiving side, std-only: the protobuf wire
//! format (`wire`), remote-write 1.0/2.0 request decoding and validation (`write_request`, native
//! histograms in `histogram`), appending a decoded request to the database (`ingest`), remote
//! read's request decoding and response encoding (`read`), and the remote-read client's decoding
//! of a streamed response (`read_chunked`). Message and field numbers follow prometheus/prompb's
//! `remote.proto`, `types.proto` and `io/prometheus/write/v2/types.proto`.

pub mod histogram;
pub mod ingest;
pub mod read;
pub mod read_chunked;
pub mod write_request;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_chunked;

pub use ingest::{ingest, IngestOutcome};
pub use write_request::{decode as decode_write_request, Metadata, Version, WriteBatch};

/// Decompresses a snappy block after checking the length its header declares against
/// `max_decoded` — before allocating, so a small body claiming a huge size (a "snappy bomb") is
/// refused at once.
pub fn decompress(body: &[u8], max_decoded: usize) -> Result<Vec<u8>, DecompressError> {
    let mut r = crate::protowire::Reader::new(body);
    let declared = r.varint().map_err(|e| DecompressError::Corrupt(format!("snappy header: {e}")))?;
    if declared > max_decoded as u64 {
        return Err(DecompressError::TooLarge { declared, limit: max_decoded });
    }
    crate::snappy::decode(body, max_decoded).map_err(DecompressError::Corrupt)
}

#[derive(Debug, PartialEq, Eq)]
pub enum DecompressError {
    TooLarge { declared: u64, limit: usize },
    Corrupt(String),
}

impl std::fmt::Display for DecompressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecompressError::TooLarge { declared, limit } => write!(f, "decompressed body of {declared} bytes exceeds the limit of {limit} bytes"),
            DecompressError::Corrupt(e) => write!(f, "snappy: {e}"),
        }
    }
}
