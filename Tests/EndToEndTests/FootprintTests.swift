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
}
