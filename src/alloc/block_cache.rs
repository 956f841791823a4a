//! A cache of freed big blocks for the global allocator. mimalloc v3 serves a block over 32 MiB
//! straight from the operating system and unmaps it when freed, whatever its purge setting:
//! training frees and allocates such blocks (unrolled convolution inputs, stacked side-product
//! inputs) at every layer of every step, and the kernel then zeroes fresh pages for each (60 % of
//! a WRN-16-4 HWA step's samples in a profile). Freed big blocks wait here instead, up to a byte
//! limit, and the next request they fit takes one back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks kept at most (the oldest goes first).
const SLOTS: usize = 64;

/// A request takes a cached block at most this fraction (1/WASTE_DIVISOR) larger than itself.
const WASTE_DIVISOR: usize = 4;

/// One freed block: its address and usable size.
#[derive(Debug, Clone, Copy)]
struct Block {
    addr: usize,
    size: usize,
}

#[derive(Debug)]
struct Slots {
    /// Oldest first.
    blocks: [Block; SLOTS],
    len: usize,
    bytes: usize,
}

/// Freed big blocks, oldest first, with a limit on the bytes they hold (0: the cache is off).
#[derive(Debug)]
pub struct BlockCache {
    slots: Mutex<Slots>,
    limit: AtomicUsize,
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockCache {
    /// An empty cache, off until [`BlockCache::set_limit`].
    pub const fn new() -> Self {
        Self {
            slots: Mutex::new(Slots {
                blocks: [Block { addr: 0, size: 0 }; SLOTS],
                len: 0,
                bytes: 0,
            }),
            limit: AtomicUsize::new(0),
        }
    }

    /// Keeps at most `bytes` of freed blocks (0 turns the cache off; blocks over the new limit
    /// are not released until the next [`BlockCache::put`]).
    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    /// The bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // Nothing in a critical section panics; a poisoned lock still holds consistent slots.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The smallest cached block of at least `size` bytes and at most a quarter more, taken out
    /// of the cache: (address, usable size).
    pub fn take(&self, size: usize) -> Option<(usize, usize)> {
        let mut s = self.lock();
        let max = size.saturating_add(size / WASTE_DIVISOR);
        let len = s.len;
        let (i, block) = s.blocks[..len]
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, b)| b.size >= size && b.size <= max)
            .min_by_key(|(_, b)| b.size)?;
        s.blocks.copy_within(i + 1..len, i);
        s.len -= 1;
        s.bytes -= block.size;
        Some((block.addr, block.size))
    }

    /// Offers a freed block of usable size `size`. Returns the blocks the caller must release
    /// (the offered one if the cache is off or it alone exceeds the limit; else the oldest ones
    /// pushed out), at most `SLOTS + 1`, through `release`.
    pub fn put(&self, addr: usize, size: usize, mut release: impl FnMut(usize)) {
        let limit = self.limit.load(Ordering::Relaxed);
        if size > limit {
            release(addr);
            return;
        }
        let mut evicted = [0usize; SLOTS];
        let mut n_evicted = 0;
        {
            let mut s = self.lock();
            while s.len == SLOTS || s.bytes + size > limit {
                let oldest = s.blocks[0];
                let len = s.len;
                s.blocks.copy_within(1..len, 0);
                s.len -= 1;
                s.bytes -= oldest.size;
                evicted[n_evicted] = oldest.addr;
                n_evicted += 1;
            }
            let len = s.len;
            s.blocks[len] = Block { addr, size };
            s.len += 1;
            s.bytes += size;
        }
        // Released outside the lock: the allocator's own free may take its time.
        for &a in &evicted[..n_evicted] {
            release(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_until_a_limit_is_set() {
        let c = BlockCache::new();
        let mut released = vec![];
        c.put(0x1000, 100, |a| released.push(a));
        assert_eq!(released, [0x1000]);
        assert_eq!(c.take(100), None);
    }

    #[test]
    fn takes_the_smallest_block_that_fits_within_a_quarter() {
        let c = BlockCache::new();
        c.set_limit(10_000);
        for (addr, size) in [(1, 130), (2, 100), (3, 110), (4, 200)] {
            c.put(addr, size, |_| panic!("nothing to release"));
        }
        assert_eq!(c.bytes(), 540);
        assert_eq!(c.take(100), Some((2, 100)));
        assert_eq!(c.take(100), Some((3, 110)));
        // 130 and 200 are more than a quarter larger than 100.
        assert_eq!(c.take(100), None);
        assert_eq!(c.take(160), Some((4, 200)));
        assert_eq!(c.take(130), Some((1, 130)));
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn the_oldest_blocks_go_over_the_limit() {
        let c = BlockCache::new();
        c.set_limit(300);
        let mut released = vec![];
        for addr in 1..=3 {
            c.put(addr, 100, |a| released.push(a));
        }
        assert!(released.is_empty());
        c.put(4, 150, |a| released.push(a));
        assert_eq!(released, [1, 2]);
        assert_eq!(c.bytes(), 250);
        c.put(5, 301, |a| released.push(a));
        assert_eq!(
            released,
            [1, 2, 5],
            "a block over the limit alone is released"
        );
    }

    #[test]
    fn at_most_slots_blocks() {
        let c = BlockCache::new();
        c.set_limit(usize::MAX);
        let mut released = vec![];
        for addr in 1..=SLOTS + 2 {
            c.put(addr, 1, |a| released.push(a));
        }
        assert_eq!(released, [1, 2]);
        assert_eq!(c.bytes(), SLOTS);
    }
}
