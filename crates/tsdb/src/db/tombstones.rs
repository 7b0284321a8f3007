//! Deletion: tombstones recorded for the head (in the WAL) and for blocks (in each block's
//! `tombstones` file), and blocks rewritten without the deleted data (Prometheus's `Delete` and
//! `CleanTombstones`; the file format is in `block`).

use super::Db;
use crate::block::{write_tombstones, Block};
use crate::error::{Error, Result};
use crate::matcher::Matcher;
use crate::record;
use std::sync::Arc;

impl Db {
    /// Marks samples of matching series in `[mint, maxt]` as deleted (tombstones).
    pub fn delete_series(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<()> {
        let _c = self.compacting.lock().map_err(|_| Error::Closed)?;
        let mut st = self.state.write().map_err(|_| Error::Closed)?;
        let refs = st.head.index.select(&st.head.symbols, matchers);
        if !refs.is_empty() {
            let stones: Vec<(u64, i64, i64)> = refs.iter().map(|&r| (r as u64, mint, maxt)).collect();
            let mut rec = Vec::new();
            record::encode_tombstones(&mut rec, &stones);
            self.write_wal(&[&rec])?;
            for r in refs {
                st.head_tombstones.entry(r).or_default().push((mint, maxt));
            }
        }
        let blocks = st.blocks.clone();
        for b in blocks.iter().filter(|b| b.meta.max_time > mint && b.meta.min_time <= maxt) {
            let ids = b.select_ids(matchers)?;
            if ids.is_empty() {
                continue;
            }
            let stones = st.block_tombstones.entry(b.meta.ulid.clone()).or_default();
            for id in ids {
                stones.entry(id).or_default().push((mint, maxt));
            }
            let mut flat: Vec<(u32, i64, i64)> = stones.iter().flat_map(|(&r, ivs)| ivs.iter().map(move |&(a, c)| (r, a, c))).collect();
            flat.sort_unstable();
            write_tombstones(&b.dir.join("tombstones"), &flat)?;
        }
        Ok(())
    }

    /// Rewrites blocks that have tombstones without the deleted data.
    pub fn clean_tombstones(&self) -> Result<()> {
        let _c = self.compacting.lock().map_err(|_| Error::Closed)?;
        let (targets, stones) = {
            let st = self.state.read().map_err(|_| Error::Closed)?;
            let t: Vec<Arc<Block>> = st.blocks.iter().filter(|b| st.block_tombstones.get(&b.meta.ulid).is_some_and(|s| !s.is_empty())).cloned().collect();
            (t, st.block_tombstones.clone())
        };
        for b in targets {
            let meta = self.rewrite_blocks(std::slice::from_ref(&b), &stones, b.meta.level)?;
            self.swap_blocks(&[b], meta)?;
        }
        Ok(())
    }
}
