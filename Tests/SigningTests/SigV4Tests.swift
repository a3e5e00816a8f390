import BridgeTesting
import Foundation
import Testing

@testable import Signing

/// One case of AWS's aws-sig-v4-test-suite as copied in Tests/Fixtures/sigv4-vectors.
struct SigV4Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var target: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var creq: String
    var sts: String
    var authz: String
    var testDescription: String { name }

    static let directory = Fixtures.testData("sigv4-vectors")

    static func all() -> [SigV4Vector] {
        Fixtures.directories(in: directory).compactMap { folder in
            let name = folder.lastPathComponent
            func read(_ ext: String) -> String? { try? String(contentsOf: folder.appendingPathComponent("\(name).\(ext)"), encoding: .utf8) }
            guard let req = read("req"), let creq = read("creq"), let sts = read("sts"), let authz = read("authz") else { return nil }
            // "METHOD TARGET HTTP/1.1", headers, a blank line, then the body.
            let (head, body) = req.range(of: "\n\n").map { (String(req[..<$0.lowerBound]), String(req[$0.upperBound...])) } ?? (req, "")
            var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let requestLine = lines.removeFirst().split(separator: " ")
            let headers = lines.map { line -> (String, String) in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), String(line[line.index(after: colon)...]))
            }
            return SigV4Vector(
                name: name,
                method: String(requestLine[0]),
                target: String(requestLine[1]),
                headers: headers,
                body: Array(body.utf8),
                creq: creq,
                sts: sts,
                authz: authz
            )
        }
    }
}

@Suite("SigV4 signer")
struct SigV4Tests {
    static let suiteCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    @Test("the shared suite copy holds the four cases")
    func vectorsPresent() { #expect(SigV4Vector.all().count == 4) }

    @Test("canonical request, string to sign and Authorization match AWS's suite byte for byte", arguments: SigV4Vector.all())
    func vector(_ vector: SigV4Vector) {
        var credentials = Self.suiteCredentials
        var headers = vector.headers.filter { $0.name.lowercased() != "x-amz-date" }
        if let token = vector.headers.first(where: { $0.name.lowercased() == "x-amz-security-token" }) {
            credentials.sessionToken = token.value
            headers.removeAll { $0.name.lowercased() == "x-amz-security-token" }
        }
        let host = vector.headers.first { $0.name.lowercased() == "host" }!.value
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let signed = signer.sign(method: vector.method, url: "https://\(host)\(vector.target)", headers: headers, body: vector.body, date: Self.suiteDate)
        #expect(signed.canonicalRequest == vector.creq)
        #expect(signed.stringToSign == vector.sts)
        #expect(signed.authorization == vector.authz)
    }

    @Test("the suite's signing key; the cache derives it once per day, region and service and never keeps the secret")
    func signingKeyCache() {
        let cache = SigningKeyCache()
        let key = cache.key(secret: Self.suiteCredentials.secretAccessKey, day: "20150830", region: "us-east-1", service: "service")
        #expect(Hex.encode(key) == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
        _ = cache.key(secret: Self.suiteCredentials.secretAccessKey, day: "20150830", region: "us-east-1", service: "service")
        #expect(cache.count == 1)
        _ = cache.key(secret: Self.suiteCredentials.secretAccessKey, day: "20150831", region: "us-east-1", service: "service")
        #expect(cache.count == 2)
    }

    @Test("credentials never print their secret or token")
    func redaction() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret", sessionToken: "token-value")
        #expect(!"\(credentials)".contains("very-secret"))
        #expect(!String(reflecting: credentials).contains("token-value"))
        #expect("\(credentials)".contains("AKIDEXAMPLE"))
    }

    @Test("canonical URI and query rules")
    func canonicalForms() {
        #expect(SigV4Signer.canonicalURI("") == "/")
        #expect(SigV4Signer.canonicalURI("/a/./b/../c/") == "/a/c/")
        #expect(SigV4Signer.canonicalURI("/a%20b") == "/a%2520b")
        #expect(SigV4Signer.canonicalQuery("b=2&a=%20x&a=1&c") == "a=%20x&a=1&b=2&c=")
        #expect(SigV4Signer.canonicalQuery("k=a+b") == "k=a%2Bb")
        // Decoding agrees with Foundation's removingPercentEncoding, including what it refuses.
        for text in ["a%20b", "%E2%82%AC", "%e2%82%ac", "plain", "%", "%2", "%zz", "%FF", "100%25"] {
            #expect(PercentEncoding.decode(text) == text.removingPercentEncoding, "\(text)")
        }
    }
}

/// The same requests signed by botocore (`sigv4-reference.py`, pinned clock) and by us.
enum BotocoreOracle {
    static var available: Bool {
        FileManager.default.fileExists(atPath: Fixtures.oracle("sigv4-reference.py").path)
    }
}

@Suite("SigV4 against botocore", .enabled(if: BotocoreOracle.available || Fixtures.isCI))
struct SigV4BotocoreTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var url: String
        var headers: [(name: String, value: String)]
        var body: String
        var token: String?
        var region = "us-east-1"
        var service = "monitoring"
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "PutMetricData form body", method: "POST", url: "https://monitoring.us-east-1.amazonaws.com/",
             headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
             body: "Action=PutMetricData&Version=2010-08-01&Namespace=Membrane&MetricData.member.1.MetricName=JobsPerWorker&MetricData.member.1.Value=4.5"),
        Case(name: "session token, eu-west-1", method: "POST", url: "https://monitoring.eu-west-1.amazonaws.com/",
             headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: "Action=ListMetrics&Version=2010-08-01",
             token: "FwoGZXIvYXdzEBYaDH//////////wEXAMPLE+/=", region: "eu-west-1"),
        Case(name: "empty body GET with sorted query", method: "GET", url: "https://sts.amazonaws.com/?Version=2011-06-15&Action=GetCallerIdentity",
             headers: [], body: "", service: "sts"),
        Case(name: "odd characters in path and query", method: "GET", url: "https://example.amazonaws.com/a%20b/c~d/%E2%9C%93/./x/../y?q=%2F%20%26&z=&a-b_c.d~e=1",
             headers: [], body: "", service: "service"),
        Case(name: "repeated and mixed-case headers with messy whitespace", method: "POST", url: "https://example.amazonaws.com/",
             headers: [("X-Custom", "  a   b "), ("x-custom", "c"), ("X-AMZ-Target", "GraniteServiceVersion20100801.PutMetricData"), ("Content-Type", "application/x-amz-json-1.0")],
             body: "{}", service: "service"),
        Case(name: "non-default port", method: "POST", url: "http://127.0.0.1:4566/", headers: [("Content-Type", "application/x-www-form-urlencoded")],
             body: "Action=PutMetricData", service: "monitoring"),
        Case(name: "large body", method: "POST", url: "https://monitoring.us-east-1.amazonaws.com/",
             headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
             body: (1...2000).map { "MetricData.member.\($0).Value=\($0)" }.joined(separator: "&")),
        Case(name: "unsigned headers are left out", method: "POST", url: "https://monitoring.us-east-1.amazonaws.com/",
             headers: [("User-Agent", "scalebridge/1"), ("Expect", "100-continue"), ("Content-Type", "text/plain")], body: "x"),
        Case(name: "unicode body", method: "PUT", url: "https://example.amazonaws.com/path", headers: [("Content-Type", "text/plain; charset=utf-8")],
             body: "café ✓ 日本", service: "service"),
    ]

    struct Reference: Decodable {
        var canonical_request: String
        var string_to_sign: String
        var authorization: String
    }

    @Test("botocore and scalebridge produce the same canonical request, string to sign and Authorization", arguments: cases)
    func matchesBotocore(_ testCase: Case) async throws {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: testCase.token)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-sigv4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bodyFile = directory.appendingPathComponent("body")
        try Data(testCase.body.utf8).write(to: bodyFile)
        var arguments = [
            Fixtures.oracle("sigv4-reference.py").path, "--method", testCase.method, "--url", testCase.url, "--body-file", bodyFile.path,
            "--region", testCase.region, "--service", testCase.service, "--access-key", credentials.accessKeyID,
            "--secret-key", credentials.secretAccessKey, "--timestamp", "20150830T123600Z", "--json",
        ]
        for header in testCase.headers { arguments += ["-H", "\(header.name): \(header.value)"] }
        if let token = testCase.token { arguments += ["--session-token", token] }
        let output = try await runProcess("python3", arguments, timeout: .seconds(60))
        try #require(output.status == 0, "sigv4-reference.py failed (is botocore installed?): \(output.stderr)")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(output.stdout.utf8))
        let signer = SigV4Signer(credentials: credentials, region: testCase.region, service: testCase.service)
        let signed = signer.sign(method: testCase.method, url: testCase.url, headers: testCase.headers, body: Array(testCase.body.utf8), date: SigV4Tests.suiteDate)
        #expect(signed.canonicalRequest == reference.canonical_request)
        #expect(signed.stringToSign == reference.string_to_sign)
        #expect(signed.authorization == reference.authorization)
    }
}
