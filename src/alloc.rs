//! The memory allocator of aimc's binaries, benchmarks and examples: mimalloc, told never to
//! return freed memory to the system. Training allocates and frees tensors of hundreds of MB at
//! every step; returning them means the kernel zeroes fresh pages each time (a WRN-16-4 HWA step
//! spent a third of its time there). Binaries declare
//! `#[global_allocator] static A: aimc::alloc::MiMalloc = aimc::alloc::MiMalloc;` and call
//! [`keep_freed_memory`] first thing in `main`.

pub use mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3): milliseconds before freed memory is purged;
/// -1 = never.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep freed memory for reuse instead of purging it.
pub fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an integer option; any value is valid for this one.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The current purge delay (ms; -1 = never).
pub fn purge_delay() -> i64 {
    // SAFETY: reads an integer option.
    unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) as i64 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_option_is_the_one_set() {
        assert_eq!(super::purge_delay(), 1000, "mimalloc v3 default: 1 s");
        super::keep_freed_memory();
        assert_eq!(super::purge_delay(), -1);
    }
}
