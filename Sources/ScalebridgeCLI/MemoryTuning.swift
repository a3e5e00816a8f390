#if os(Linux)
    import CMalloc
#endif

/// glibc malloc settings for the long-running daemon. Every tick allocates and frees the same
/// few hundred KB (scraped pages, label sets). By default glibc returns freed arena tops to the
/// kernel (`madvise`) and serves blocks over 128 KB with `mmap`, so each tick paid the kernel to
/// zero the same pages again (page faults were ~6 % of a tick's CPU). Keeping up to 2 MiB and
/// serving pages below 1 MiB from the heap makes the steady state fault-free.
enum MemoryTuning {
    static func forDaemon() {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 2 << 20)
        #endif
    }
}
