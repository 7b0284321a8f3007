//! A test hook: the state's write lock held from outside, so the callers that must never wait for
//! the storage on their own thread (the server's event loop) can be shown not to.

use super::Db;
use crate::error::{Error, Result};
use std::sync::mpsc::Receiver;
use std::time::Duration;

impl Db {
    /// Holds the write lock that appends and queries wait for until `release` gets a message or
    /// is dropped, or `max` has passed (so a caller that did block is freed, and its test fails
    /// instead of hanging); `held` is called once the lock is taken.
    pub fn hold_writes(&self, held: impl FnOnce(), release: &Receiver<()>, max: Duration) -> Result<()> {
        let _state = self.state.write().map_err(|_| Error::Closed)?;
        held();
        let _ = release.recv_timeout(max);
        Ok(())
    }
}
