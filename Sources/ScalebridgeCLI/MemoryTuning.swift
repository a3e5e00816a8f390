#if os(Linux)
    import CMalloc
#endif

/// glibc malloc settings for the long-running daemon. Every tick allocates and frees the same
/// pages and label sets. By default glibc returns freed arena tops to the kernel (`madvise`)
/// and serves blocks over 128 KB with `mmap`, so each tick paid the kernel to zero the same
/// pages again. Serving pages below 1 MiB from the heap, and giving back only a free top over
/// 16 MiB, keeps the steady state nearly fault-free: a 100-target fleet brings up to 64 pages
/// in at once, several MiB that a 2 MiB threshold gave back every tick (261 -> 5 faults a tick,
/// +0.8 MiB anonymous; docs/performance.md).
enum MemoryTuning {
    static func forDaemon() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 16 << 20)
        #endif
    }
}
