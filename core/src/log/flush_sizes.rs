//! How many events each durable flush carried: the group commit's work,
//! counted for operators (`/metrics`), never consulted by the ledger.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the histogram's buckets, in events per flush.
pub const FLUSH_SIZE_BOUNDS: [u64; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

/// Counters the flusher bumps once per flush.
#[derive(Default)]
pub(super) struct FlushSizes {
    flushes: AtomicU64,
    events: AtomicU64,
    /// Flushes of at most each bound of `FLUSH_SIZE_BOUNDS` events.
    buckets: [AtomicU64; FLUSH_SIZE_BOUNDS.len()],
}

impl FlushSizes {
    /// One flush that made `events` more events durable.
    pub(super) fn record(&self, events: u64) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
        for (bucket, bound) in self.buckets.iter().zip(FLUSH_SIZE_BOUNDS) {
            if events <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(super) fn snapshot(&self) -> FlushStats {
        FlushStats {
            flushes: self.flushes.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            at_most: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
        }
    }
}

/// Flushes since the ledger opened and the events they carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// Durable flushes (each one sled flush plus the head record).
    pub flushes: u64,
    /// Events they made durable.
    pub events: u64,
    /// Flushes of at most `FLUSH_SIZE_BOUNDS[i]` events (cumulative).
    pub at_most: [u64; FLUSH_SIZE_BOUNDS.len()],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let sizes = FlushSizes::default();
        for events in [1, 5, 1_000, 200_000] {
            sizes.record(events);
        }
        let stats = sizes.snapshot();
        assert_eq!(stats.flushes, 4);
        assert_eq!(stats.events, 201_006);
        assert_eq!(stats.at_most, [1, 2, 2, 3, 3, 3]);
    }
}
