import BridgeTesting
import Foundation
import Testing

/// docs/design/0002: the shipped code uses FoundationEssentials only. Full Foundation would bring
/// CoreFoundation, ICU and its data back into every sidecar's memory.
@Suite("Footprint guards")
struct FootprintTests {
    @Test("no shipped source imports full Foundation except as the Darwin fallback")
    func sourcesAvoidFoundation() throws {
        let root = Fixtures.projectFile("Sources")
        let walker = FileManager.default.enumerator(atPath: root.path)
        var offenders: [String] = []
        var checked = 0
        while let relative = walker?.nextObject() as? String {
            guard relative.hasSuffix(".swift"), !relative.hasPrefix("BridgeTesting/") else { continue }
            checked += 1
            let lines = try String(contentsOfFile: root.appendingPathComponent(relative).path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where line.split(separator: " ").last == "Foundation" && line.contains("import") {
                // Allowed only as the `#else` branch of `#if canImport(FoundationEssentials)`.
                let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
                let opener = index > 2 ? lines[index - 3].trimmingCharacters(in: .whitespaces) : ""
                if !(previous == "#else" && opener == "#if canImport(FoundationEssentials)") { offenders.append("\(relative):\(index + 1)") }
            }
        }
        #expect(checked > 50)
        #expect(offenders.isEmpty, "import FoundationEssentials instead: \(offenders)")
    }

    @Test("the built binary references nothing from Foundation, CoreFoundation or ICU")
    func binaryAvoidsFoundation() async throws {
        let binary = CLITests.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the binary first: swift build")
        let symbols = try await runProcess("nm", ["--undefined-only", "--dynamic", binary])
        #expect(symbols.status == 0, "\(symbols.stderr)")
        let essentials = symbols.stdout.split(separator: "\n").filter { $0.contains("s20FoundationEssentials") }
        #expect(!essentials.isEmpty, "the check must see Swift symbols at all")
        let foreign = symbols.stdout.split(separator: "\n").filter {
            $0.contains("s10Foundation") || $0.contains("FoundationInternationalization") || $0.contains(" _CF") || $0.contains("icu_")
        }
        #expect(foreign.isEmpty, "\(foreign.prefix(5))")
    }

    #if os(Linux)
        @Test("run drops its start-up pages after the first cycle, keeps cycling correctly, and holds fewer file pages than with --no-drop-startup-pages")
        func runDropsStartupPages() async throws {
            // Two configs: each daemon needs a state directory (and its lock) of its own.
            let states = ["a", "b"].map { FileManager.default.temporaryDirectory.appendingPathComponent("sb-drop-\($0)-\(UUID().uuidString)").path }
            defer { for state in states { try? FileManager.default.removeItem(atPath: state) } }
            let paths = try states.map {
                try CLITests().temporaryFile("run.yaml", CLITests.workersConfig(stateDirectory: $0, interval: "500ms", timeout: "400ms", listen: ""))
            }
            let dropping = try ChildProcess(CLITests.binary, ["run", "--config", paths[0]])
            let keeping = try ChildProcess(CLITests.binary, ["run", "--config", paths[1], "--no-drop-startup-pages"])
            let deadline = ContinuousClock.now + .seconds(20)
            func ticks(_ child: ChildProcess) -> Int { child.stdoutSoFar.components(separatedBy: "Workers 7").count - 1 }
            while min(ticks(dropping), ticks(keeping)) < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let droppingFile = procStatusKiB("RssFile", pid: dropping.pid)
            let keepingFile = procStatusKiB("RssFile", pid: keeping.pid)
            dropping.signal(SIGTERM)
            keeping.signal(SIGTERM)
            let dropped = await dropping.wait(timeout: .seconds(10))
            let kept = await keeping.wait(timeout: .seconds(10))
            try #require(droppingFile != nil && keepingFile != nil, "both daemons must be running: \(dropped.stderr) \(kept.stderr)")
            #expect(dropped.status == 0, "\(dropped.stderr)")
            #expect(kept.status == 0, "\(kept.stderr)")
            // Cycles after the drop still produce the right value.
            #expect(dropped.stdout.components(separatedBy: "Workers 7").count - 1 >= 4)
            let line = try #require(dropped.stderr.split(separator: "\n").first { $0.contains("dropped start-up pages") }, "\(dropped.stderr)")
            let fields = Dictionary(line.split(separator: " ").compactMap { field -> (String, Int)? in
                let parts = field.split(separator: "=")
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? -1) : nil
            }, uniquingKeysWith: { a, _ in a })
            #expect((fields["KiB"] ?? 0) > 1024, "\(line)")
            #expect((fields["mappings"] ?? 0) > 0, "\(line)")
            #expect(fields["refused"] == 0, "\(line)")
            #expect(!kept.stderr.contains("start-up pages"))
            #expect(droppingFile! < keepingFile!, "RssFile with the drop \(droppingFile!) KiB, without \(keepingFile!) KiB")
        }
    #endif
}
