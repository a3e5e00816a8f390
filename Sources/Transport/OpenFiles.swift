#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The open-file limit (`RLIMIT_NOFILE`): each idle keep-alive connection holds a descriptor.
package enum OpenFiles {
    /// The soft limit now (1024 when it cannot be read).
    package static var softLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is the largest value: Int.max
    }

    /// Raises the soft limit to the hard one (at most 2^20), as Go programs such as Prometheus
    /// do at start: the soft default of 1024 is too few for one connection per target of a
    /// large fleet. Returns the soft limit afterwards.
    @discardableResult
    package static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return softLimit }
        let wanted = min(limit.rlim_max, rlim_t(1 << 20))
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return softLimit
    }

    /// Idle connections libcurl keeps for reuse. A fleet is scraped round-robin, so a cache
    /// smaller than the fleet evicts every connection before its next use (least recently used
    /// goes first): at 64, a 100-target fleet reconnected every target every tick. Half the
    /// open-file limit leaves the rest for transfers in flight, files and the listener.
    package static func connectionCacheSize(openFileLimit: Int) -> Int { max(64, min(openFileLimit / 2, 100_000)) }
}
