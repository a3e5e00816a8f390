import BridgeTesting
import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz corpus file (seeds, and each crash found, kept as a regression case)
/// through its target. A trap fails the whole test run, which is the point.
@Suite("Fuzz corpora replayed")
struct FuzzRegressionTests {
    static let root = Fixtures.projectFile("Tests/Fuzz/Corpus")

    @Test("every target has a corpus, and every corpus file runs through its target", arguments: FuzzTargets.all.keys.sorted())
    func replay(_ target: String) throws {
        let directory = Self.root.appendingPathComponent(target)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 3, "\(target) has a seed corpus")
        let run = try #require(FuzzTargets.all[target])
        for file in files {
            run(try Fixtures.bytes(directory.appendingPathComponent(file)))
        }
    }
}
