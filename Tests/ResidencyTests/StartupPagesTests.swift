import BridgeTesting
import Testing

@testable import Residency

@Suite("Start-up page drop")
struct StartupPagesTests {
    // A daemon's smaps (abridged from a release build on Debian 12), plus the cases a kernel
    // or sandbox may produce: a path with spaces, a replaced binary, a locked mapping, no
    // `Anonymous:` line at all.
    static let smaps = """
        56138d1d9000-56138d4bd000 r--p 00000000 fe:00 16220343                   /usr/local/bin/scalebridge
        Size:               2960 kB
        Rss:                1600 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me
        56138d4bd000-56138dfa1000 r-xp 002e3000 fe:00 16220343                   /usr/local/bin/scalebridge
        Size:              11152 kB
        Rss:                8488 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me
        56138dfa1000-56138e000000 r--p 00dc6000 fe:00 16220343                   /usr/local/bin/scalebridge
        Size:                380 kB
        Rss:                 380 kB
        Anonymous:           380 kB
        VmFlags: rd mr mw me ac
        56138e000000-56138e21c000 rw-p 00e24000 fe:00 16220343                   /usr/local/bin/scalebridge
        Rss:                1192 kB
        Anonymous:           176 kB
        VmFlags: rd wr mr mw me ac
        56138e21c000-56138e2a5000 rw-p 00000000 00:00 0
        Rss:                 256 kB
        Anonymous:           256 kB
        5613be0cd000-5613be0ee000 rw-p 00000000 00:00 0                          [heap]
        Rss:                  12 kB
        Anonymous:            12 kB
        7f4b4f79b000-7f4b4f8f1000 r-xp 00026000 fe:00 333151                     /opt/my libs/libc.so.6
        Rss:                1388 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me
        7f4b4f8f1000-7f4b4f944000 r--p 0017c000 fe:00 333151                     /usr/local/bin/scalebridge-old (deleted)
        Rss:                  40 kB
        Anonymous:             0 kB
        7f4b4f944000-7f4b4f948000 r-xp 001cf000 fe:00 333152                     /usr/lib/locked.so
        Rss:                  16 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me lo
        7f4b4f948000-7f4b4f94a000 r--p 001d3000 fe:00 333153                     /usr/lib/sandboxed.so
        Rss:                   8 kB
        7f4b4f94a000-7f4b4f94c000 ---p 001d5000 fe:00 333153                     /usr/lib/sandboxed.so
        Rss:                   0 kB
        Anonymous:             0 kB
        7f4b4ffdb000-7f4b4ffdd000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   4 kB
        Anonymous:             0 kB
        """

    @Test("smaps is parsed into mappings with their addresses, permissions, paths and counters")
    func parse() {
        let mappings = StartupPages.parseSmaps(Self.smaps)
        #expect(mappings.count == 12)
        #expect(mappings[0] == Mapping(start: 0x5613_8d1d_9000, end: 0x5613_8d4b_d000, permissions: "r--p", path: "/usr/local/bin/scalebridge", rssKiB: 1600, anonymousKiB: 0, flags: ["rd", "mr", "mw", "me"]))
        #expect(mappings[2].anonymousKiB == 380)
        #expect(mappings[4].path == "")
        #expect(mappings[5].path == "[heap]")
        #expect(mappings[6].path == "/opt/my libs/libc.so.6")
        #expect(mappings[7].path == "/usr/local/bin/scalebridge-old (deleted)")
        #expect(mappings[9].anonymousKiB == nil)
        #expect(mappings[11].flags.isEmpty)
    }

    @Test("only clean, private, read-only file mappings are dropped: never relocated data, writable, locked or unknown ones")
    func droppable() {
        let dropped = StartupPages.parseSmaps(Self.smaps).filter(\.isDroppable).map { "\($0.permissions) \($0.path)" }
        #expect(
            dropped == [
                "r--p /usr/local/bin/scalebridge",  // read-only data
                "r-xp /usr/local/bin/scalebridge",  // code
                "r-xp /opt/my libs/libc.so.6",
                "r--p /usr/local/bin/scalebridge-old (deleted)",  // still backed by its inode
            ]
        )
    }

    @Test("a header-like line that is not one does not open a mapping")
    func malformed() {
        let mappings = StartupPages.parseSmaps("zz-10 r-xp 0 0 0 /x\nRss: 5 kB\n10-20 r-xp 0 0 0 /y\nRss: x kB\nAnonymous: 0 kB\n")
        #expect(mappings.count == 1)
        #expect(mappings[0].path == "/y")
        #expect(mappings[0].rssKiB == 0)
        #expect(!mappings[0].isDroppable)
    }

    #if os(Linux)
        @Test("dropping this process's start-up pages lowers its file RSS and the process carries on")
        func dropInProcess() throws {
            let before = try #require(procStatusKiB("RssFile"))
            let report = try #require(StartupPages.drop())
            let after = try #require(procStatusKiB("RssFile"))
            #expect(report.failures == 0)
            #expect(report.mappings > 0)
            #expect(report.droppedKiB > 0)
            #expect(after < before, "RssFile \(before) → \(after) KiB")
            // Code, read-only data and relocated data (witness tables) still work after the drop.
            let values: [any CustomStringConvertible] = [1.5, "x", [3: "y"]]
            #expect(values.map(\.description).joined(separator: ",") == "1.5,x,[3: \"y\"]")
            #expect(try #require(procStatusKiB("RssFile")) > 0)
        }
    #endif
}
