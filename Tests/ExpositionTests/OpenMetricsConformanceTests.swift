import BridgeTesting
import Foundation
import Testing

@testable import Exposition

struct ConformanceCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let shouldParse: Bool
    var testDescription: String { name }

    static func all() -> [ConformanceCase] {
        let root = Fixtures.testData("openmetrics-conformance")
        return Fixtures.directories(in: root).compactMap { directory in
            struct Spec: Decodable {
                let file: String
                let shouldParse: Bool
            }
            guard let specData = try? Data(contentsOf: directory.appendingPathComponent("test.json")),
                let spec = try? JSONDecoder().decode(Spec.self, from: specData),
                let bytes = try? Fixtures.bytes(directory.appendingPathComponent(spec.file))
            else { return nil }
            return ConformanceCase(name: directory.lastPathComponent, bytes: bytes, shouldParse: spec.shouldParse)
        }
    }
}

@Suite("OpenMetrics conformance corpus")
struct OpenMetricsConformanceTests {
    @Test("the shared corpus is complete: 211 cases")
    func corpusIsThere() {
        #expect(ConformanceCase.all().count == 211)
    }

    @Test("each case is accepted or rejected as the corpus says", arguments: ConformanceCase.all())
    func verdict(_ testCase: ConformanceCase) {
        let result = Result { () throws(ExpositionError) in try OpenMetricsParser.parse(testCase.bytes) }
        switch (result, testCase.shouldParse) {
        case (.success, true), (.failure, false): break
        case (.failure(let error), true): Issue.record("rejected a valid page: \(error)")
        case (.success(let page), false): Issue.record("accepted an invalid page (\(page.samples.count) samples)")
        }
    }
}
