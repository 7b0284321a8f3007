//! The last sample of a block's float chunks, remembered once read: an instant query needs only
//! the newest sample in its lookback window, which in an XOR chunk is reached by decoding all
//! the samples before it. A block never changes, so what was decoded once holds until it closes.

use crate::chunkenc::{XorIterator, ENCODING_XOR};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;

/// Chunks remembered per block before the memory starts over (about 32 bytes each): enough for
/// the newest chunk of every series of a large block, a bound on what queries at many times keep.
const MAX_REMEMBERED: usize = 1 << 20;

#[derive(Default)]
pub(super) struct LastSamples {
    by_ref: Mutex<HashMap<u64, (i64, f64)>>,
}

impl LastSamples {
    /// The last (timestamp, value) of the XOR chunk at `r` (`data` its bytes), None for a chunk
    /// of another encoding or with no samples.
    pub(super) fn get(&self, r: u64, encoding: u8, data: &[u8]) -> Result<Option<(i64, f64)>> {
        if encoding != ENCODING_XOR {
            return Ok(None);
        }
        if let Some(&found) = self.by_ref.lock().unwrap_or_else(|e| e.into_inner()).get(&r) {
            return Ok(Some(found));
        }
        let mut it = XorIterator::new(data);
        let last = it.by_ref().last();
        if let Some(e) = it.error() {
            return Err(Error::Corrupt(format!("chunk {r:#x}: {e}")));
        }
        let Some(last) = last else { return Ok(None) };
        let mut map = self.by_ref.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert(r, last);
        Ok(Some(last))
    }
}
