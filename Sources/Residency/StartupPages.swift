#if canImport(Glibc)
    import Glibc
#endif

/// One mapping of `/proc/self/smaps`, with the fields the drop decision needs.
public struct Mapping: Sendable, Equatable {
    public var start: UInt
    public var end: UInt
    /// `r-xp`, `r--p`, `rw-p`, …
    public var permissions: String
    /// The mapped file, `[heap]`-style names, or "" for anonymous memory.
    public var path: String
    public var rssKiB: Int
    /// Pages of this file mapping that were written (copy-on-write) and so differ from the file;
    /// nil when the kernel did not report it (then nothing is known to be clean).
    public var anonymousKiB: Int?
    /// `VmFlags` two-letter codes (`rd ex mr …`).
    public var flags: [String]

    /// Dropping is safe only where every resident page is a clean copy of the file: a private,
    /// never-written, read-only file mapping. Relocated data (RELRO) is read-only too but holds
    /// copy-on-write pages, which `anonymousKiB` shows; dropping those would undo relocations.
    public var isDroppable: Bool {
        path.hasPrefix("/") && permissions.count == 4 && !permissions.contains("w") && permissions.hasSuffix("p")
            && rssKiB > 0 && anonymousKiB == 0
            && !flags.contains(where: { ["lo", "io", "pf", "ht"].contains($0) })  // locked, I/O, raw PFN, hugetlb
    }
}

/// What `StartupPages.drop()` did.
public struct DropReport: Sendable, Equatable {
    /// Resident KiB of the mappings it unmapped (before the drop).
    public var droppedKiB: Int
    public var mappings: Int
    /// Mappings `madvise` refused (kept as they were).
    public var failures: Int
}

/// Unmaps the code and read-only data pages a long-running process touched only while starting.
///
/// After start-up, a daemon's file-backed pages include everything it ran once: argument
/// parsing, config loading and validation, OpenSSL's and the Swift runtime's initialisation.
/// Those pages are clean copies of the files on disk; they stay mapped (and counted in RSS)
/// for the life of the process. `MADV_DONTNEED` on a private read-only file mapping drops the
/// process's page-table entries only: the page cache keeps the pages, the next access takes a
/// minor fault and maps them back, and the kernel can reclaim the ones never used again.
/// The steady state then holds what a cycle really uses.
public enum StartupPages {
    /// Reads `/proc/self/smaps` and drops every droppable mapping. Returns nil where there is no
    /// `/proc` (not Linux) or it cannot be read. Streams the file through a small buffer: the
    /// whole text (~1 KB per mapping) would stay in malloc's free lists afterwards.
    public static func drop() -> DropReport? {
        #if os(Linux)
            var report = DropReport(droppedKiB: 0, mappings: 0, failures: 0)
            let read = forEachMapping(inFile: "/proc/self/smaps") { mapping in
                guard mapping.isDroppable, let address = UnsafeMutableRawPointer(bitPattern: mapping.start) else { return }
                if madvise(address, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 {
                    report.droppedKiB += mapping.rssKiB
                    report.mappings += 1
                } else {
                    report.failures += 1
                }
            }
            return read ? report : nil
        #else
            return nil
        #endif
    }

    /// Parses smaps text (tests, tools).
    public static func parseSmaps(_ text: String) -> [Mapping] {
        var parser = SmapsParser()
        var mappings: [Mapping] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let done = parser.line(line) { mappings.append(done) }
        }
        if let last = parser.finish() { mappings.append(last) }
        return mappings
    }

    #if os(Linux)
        /// Calls `body` with each mapping of an smaps file, in order; false if it cannot be read.
        /// A mapping is handed on once its fields are read, before the next header.
        static func forEachMapping(inFile path: String, _ body: (Mapping) -> Void) -> Bool {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var parser = SmapsParser()
            var pending: [UInt8] = []
            pending.reserveCapacity(512)
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            func endLine() {
                if let done = parser.line(Substring(String(decoding: pending, as: UTF8.self))) { body(done) }
                pending.removeAll(keepingCapacity: true)
            }
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                if n == 0 { break }
                for byte in chunk[0..<n] {
                    guard byte == UInt8(ascii: "\n") else {
                        pending.append(byte)
                        continue
                    }
                    endLine()
                }
            }
            if !pending.isEmpty { endLine() }
            if let last = parser.finish() { body(last) }
            return true
        }
    #endif
}

/// smaps, one line at a time: a header line opens a mapping, `Key: value` lines fill it in.
struct SmapsParser {
    private var current: Mapping?

    /// Returns the previous mapping when `line` opens the next one.
    mutating func line(_ line: Substring) -> Mapping? {
        if let header = Self.parseHeader(line) {
            defer { current = header }
            return current
        }
        guard current != nil, let colon = line.firstIndex(of: ":") else { return nil }
        let rest = line[line.index(after: colon)...]
        switch line[..<colon] {
        case "Rss": current!.rssKiB = Self.kib(rest) ?? 0
        case "Anonymous": current!.anonymousKiB = Self.kib(rest)
        case "VmFlags": current!.flags = rest.split(separator: " ").map(String.init)
        default: break
        }
        return nil
    }

    mutating func finish() -> Mapping? {
        defer { current = nil }
        return current
    }

    /// `7f12a000-7f12b000 r-xp 00001000 08:01 1234   /usr/lib/libc.so.6`
    static func parseHeader(_ line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, let dash = fields[0].firstIndex(of: "-"),
            let start = UInt(fields[0][..<dash], radix: 16),
            let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16), end >= start,
            fields[1].count == 4
        else { return nil }
        let path = fields.count == 6 ? String(fields[5].drop(while: { $0 == " " })) : ""
        return Mapping(start: start, end: end, permissions: String(fields[1]), path: path, rssKiB: 0, anonymousKiB: nil, flags: [])
    }

    private static func kib(_ field: Substring) -> Int? {
        field.split(separator: " ").first.flatMap { Int($0) }
    }
}
