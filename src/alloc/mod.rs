//! The memory allocator of aimc's binaries, benchmarks and examples: mimalloc, told never to
//! return freed memory to the system, with freed blocks over 32 MiB (which mimalloc v3 unmaps
//! at once) kept for reuse in a [`BlockCache`]. Training allocates and frees tensors of hundreds
//! of MB at every step; returning them means the kernel zeroes fresh pages each time. Binaries
//! declare `#[global_allocator] static A: aimc::alloc::Allocator = aimc::alloc::Allocator;` and
//! call [`keep_freed_memory`] first thing in `main`.

mod block_cache;

pub use block_cache::BlockCache;
use libmimalloc_sys::{mi_free, mi_malloc_aligned, mi_usable_size, mi_zalloc_aligned};
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// `mi_option_purge_delay` in mimalloc.h (v3): milliseconds before freed memory is purged;
/// -1 = never.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Blocks of this size and over go through the cache: mimalloc v3's largest arena object
/// (`MI_ARENA_MAX_CHUNK_OBJ_SIZE`, 32 MiB); larger ones are its direct OS allocations.
pub const BIG_BLOCK: usize = 32 << 20;

/// Big blocks are allocated in multiples of a huge page (so that sizes that differ a little
/// share blocks) and aligned to a page (any alignment a request asks of them).
const BIG_GRAIN: usize = 2 << 20;
const BIG_ALIGN: usize = 4096;

/// The share of physical memory the cache may hold (1/CACHE_SHARE), and the limit where the
/// physical memory cannot be read.
const CACHE_SHARE: usize = 4;
const FALLBACK_CACHE_LIMIT: usize = 4 << 30;

static BIG_BLOCKS: BlockCache = BlockCache::new();

/// mimalloc, with freed big blocks cached once [`keep_freed_memory`] has run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocator;

fn is_big(layout: Layout) -> bool {
    layout.size() >= BIG_BLOCK && layout.align() <= BIG_ALIGN
}

/// A fresh big block of at least `size` bytes, zeroed if `zeroed`.
unsafe fn fresh_big(size: usize, zeroed: bool) -> *mut u8 {
    let rounded = size.div_ceil(BIG_GRAIN).saturating_mul(BIG_GRAIN);
    // SAFETY: plain mimalloc calls with a valid alignment (a power of two).
    unsafe {
        if zeroed {
            mi_zalloc_aligned(rounded, BIG_ALIGN) as *mut u8
        } else {
            mi_malloc_aligned(rounded, BIG_ALIGN) as *mut u8
        }
    }
}

unsafe fn alloc_big(size: usize, zeroed: bool) -> *mut u8 {
    match BIG_BLOCKS.take(size) {
        Some((addr, _)) => {
            let p = addr as *mut u8;
            if zeroed {
                // SAFETY: the cached block holds at least `size` bytes and nothing else uses it.
                unsafe { p.write_bytes(0, size) };
            }
            p
        }
        // SAFETY: see fresh_big.
        None => unsafe { fresh_big(size, zeroed) },
    }
}

unsafe fn free_big(p: *mut u8) {
    // SAFETY: `p` came from mimalloc (fresh_big) and is no longer used by its owner.
    let size = unsafe { mi_usable_size(p as *const c_void) };
    BIG_BLOCKS.put(p as usize, size, |addr| unsafe {
        mi_free(addr as *mut c_void)
    });
}

// SAFETY: every block comes from mimalloc (directly or from the cache, which holds only freed
// mimalloc blocks owned by nobody) with at least the requested size and alignment.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            unsafe { alloc_big(layout.size(), false) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            unsafe { alloc_big(layout.size(), true) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_big(layout) {
            unsafe { free_big(ptr) }
        } else {
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid layout of `new_size` (as for GlobalAlloc).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if !is_big(layout) && !is_big(new_layout) {
            return unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        }
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least the smaller size and do not overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// Tells mimalloc to keep freed memory for reuse instead of purging it, and the allocator to
/// keep freed big blocks, up to a quarter of physical memory.
pub fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an integer option; any value is valid for this one.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    BIG_BLOCKS.set_limit(physical_memory().map_or(FALLBACK_CACHE_LIMIT, |b| b / CACHE_SHARE));
}

/// The current purge delay (ms; -1 = never).
pub fn purge_delay() -> i64 {
    // SAFETY: reads an integer option.
    unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) as i64 }
}

/// MemTotal of /proc/meminfo, in bytes.
fn physical_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_memory_is_read() {
        let bytes = physical_memory().expect("/proc/meminfo");
        assert!(bytes > 1 << 30, "{bytes}");
    }

    /// `keep_freed_memory` sets mimalloc's purge delay (the option index is v3's); a freed big
    /// block then comes back for the next request of its size, zeroed when asked; reallocations
    /// across the threshold keep their contents. (One test: the options are process-wide.)
    #[test]
    fn freed_memory_is_kept_and_big_blocks_are_reused() {
        assert_eq!(purge_delay(), 1000, "mimalloc v3 default: 1 s");
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
        let a = Allocator;
        let big = Layout::from_size_align(BIG_BLOCK + 12345, 64).unwrap();
        unsafe {
            let p = a.alloc(big);
            assert!(!p.is_null());
            p.write_bytes(7, big.size());
            a.dealloc(p, big);
            let q = a.alloc_zeroed(big);
            assert_eq!(q, p, "the freed block is taken back");
            let s = std::slice::from_raw_parts(q, big.size());
            assert!(s.iter().all(|&b| b == 0));
            a.dealloc(q, big);

            let small = Layout::from_size_align(1000, 8).unwrap();
            let r = a.alloc(small);
            r.write_bytes(3, 1000);
            let r = a.realloc(r, small, BIG_BLOCK);
            let s = std::slice::from_raw_parts(r, 1000);
            assert!(s.iter().all(|&b| b == 3));
            let r = a.realloc(r, Layout::from_size_align(BIG_BLOCK, 8).unwrap(), 500);
            let s = std::slice::from_raw_parts(r, 500);
            assert!(s.iter().all(|&b| b == 3));
            a.dealloc(r, Layout::from_size_align(500, 8).unwrap());
        }
    }
}
