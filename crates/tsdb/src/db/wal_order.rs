//! Keeps WAL records in the order the head took them without making anyone wait for the WAL
//! while holding the state lock. A writer takes a ticket while it still holds the state lock
//! (so tickets follow the head's order), lets the lock go, and then waits for its turn at the WAL
//! writer. Before, the next appender took the writer's lock while holding the state lock: when a
//! WAL write stalled (the kernel throttling writes while a block is flushed), every query waited
//! behind that appender.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Default)]
pub(super) struct WalOrder {
    next_ticket: AtomicU64,
    /// The ticket whose holder may write now.
    serving: Mutex<u64>,
    turn_changed: Condvar,
}

/// The right to write to the WAL; the next ticket's turn comes when it is dropped.
pub(super) struct Turn<'a> {
    order: &'a WalOrder,
}

impl WalOrder {
    /// A place in the WAL's order: taken while holding the state lock whose changes the records log.
    pub(super) fn ticket(&self) -> u64 {
        // The state lock orders the takers; the counter needs no ordering of its own.
        self.next_ticket.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until every earlier ticket's records are written.
    pub(super) fn wait_turn(&self, ticket: u64) -> Turn<'_> {
        let mut serving = self.serving.lock().unwrap_or_else(PoisonError::into_inner);
        while *serving != ticket {
            serving = self.turn_changed.wait(serving).unwrap_or_else(PoisonError::into_inner);
        }
        Turn { order: self }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Also on an error or a panic while writing: a later ticket must never wait forever.
        *self.order.serving.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.order.turn_changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::WalOrder;
    use std::sync::{Arc, Mutex};

    #[test]
    fn turns_follow_tickets_whatever_order_the_threads_arrive_in() {
        let order = Arc::new(WalOrder::default());
        let tickets: Vec<u64> = (0..8).map(|_| order.ticket()).collect();
        let written = Arc::new(Mutex::new(Vec::new()));
        // The latest tickets start first: each must still wait for all before it.
        let threads: Vec<_> = tickets
            .into_iter()
            .rev()
            .map(|t| {
                let (order, written) = (Arc::clone(&order), Arc::clone(&written));
                std::thread::spawn(move || {
                    let _turn = order.wait_turn(t);
                    written.lock().unwrap().push(t);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*written.lock().unwrap(), (0..8).collect::<Vec<u64>>());
    }
}
