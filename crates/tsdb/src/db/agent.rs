//! The agent's WAL truncation (Prometheus's `tsdb/agent` `truncate` and `gc`): series with no
//! sample at or after a time are garbage-collected, and the closed WAL segments below the
//! remote-write floor are checkpointed, keeping only samples at or after that time. The caller
//! chooses the time from the remote-write progress and the retention bounds.

use super::Db;
use crate::error::{Error, Result};

/// What one agent truncation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentTruncation {
    /// Series garbage-collected: no sample at or after the truncation time.
    pub series_removed: u64,
    /// Removed series whose record is still kept in checkpoints, since WAL segments not
    /// checkpointed yet may hold their samples (Prometheus's `prometheus_agent_deleted_series`).
    pub series_pending_deletion: u64,
    /// The last segment the new checkpoint covers (None: no checkpoint was written, e.g. every
    /// closed segment is above the remote-write floor).
    pub checkpoint_through: Option<u32>,
}

impl Db {
    /// Drops from the agent's head the series with no sample at or after `mint`, and checkpoints
    /// the closed WAL segments below the retention floor keeping samples at or after `mint`.
    /// Samples older than `mint` in the segments at or above the floor stay until a later
    /// truncation reaches them. Only for agent-mode databases (`Options::agent`).
    pub fn truncate_agent_wal(&self, mint: i64) -> Result<AgentTruncation> {
        if !self.opts.agent {
            return Err(Error::Invalid("the agent's WAL truncation is for agent-mode databases; a TSDB truncates its WAL when the head is cut into blocks".into()));
        }
        let _c = self.compacting.lock().map_err(|_| Error::Closed)?;
        let writing = self.wal.lock().map_err(|_| Error::Closed)?.as_ref().ok_or(Error::Closed)?.segment();
        let removed = {
            let mut st = self.state.write().map_err(|_| Error::Closed)?;
            if st.closed {
                return Err(Error::Closed);
            }
            let dead = st.head.remove_before(mint);
            for r in &dead {
                st.head_tombstones.remove(r);
            }
            st.exemplars.remove_series(&dead);
            dead
        };
        {
            let mut c = self.counters.lock().unwrap();
            c.head_truncations += 1;
            c.series_removed += removed.len() as u64;
        }
        let mut deleted = self.agent_deleted.lock().map_err(|_| Error::Closed)?;
        // Samples of a removed series can be in any segment up to the one being written now:
        // its record stays in checkpoints until that segment is checkpointed too, so the WAL
        // never holds samples of a series it has no record of (remote-write watchers resolve
        // refs through these records).
        for &r in &removed {
            deleted.insert(r, writing);
        }
        let through = self.checkpoint(&|r, last| deleted.get(&r).is_some_and(|&seg| seg > last), mint)?;
        if let Some(last) = through {
            deleted.retain(|_, seg| *seg > last);
        }
        Ok(AgentTruncation { series_removed: removed.len() as u64, series_pending_deletion: deleted.len() as u64, checkpoint_through: through })
    }
}
