#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization
import Formats

/// AWS Signature Version 4 (header form), as botocore's `SigV4Auth` does it for non-S3
/// services. Pure: the date is a parameter and nothing is read from the environment.
package struct SigV4Signer: Sendable {
    package var credentials: AWSCredentials
    package var region: String
    package var service: String
    private let cache: SigningKeyCache

    package init(credentials: AWSCredentials, region: String, service: String, cache: SigningKeyCache = SigningKeyCache()) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.cache = cache
    }

    /// Everything a signature is made of, for tests and for debugging a 403.
    package struct Signature: Sendable {
        package var canonicalRequest: String
        package var stringToSign: String
        package var signature: String
        package var authorization: String
        /// Headers to add to the request: X-Amz-Date, X-Amz-Security-Token (with a session
        /// token) and Authorization.
        package var headers: [(name: String, value: String)]
        package var signedHeaders: String
    }

    /// Headers botocore never signs: proxies and HTTP stacks may change them.
    static let unsignedHeaders: Set<String> = ["expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "authorization"]

    package func sign(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8], date: Date) -> Signature {
        let amzDate = SigV4Signer.amzDate(date)
        let day = String(amzDate.prefix(8))
        var all = headers
        all.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { all.append(("X-Amz-Security-Token", token)) }
        let parts = URLParts(url)
        if !all.contains(where: { $0.name.lowercased() == "host" }) { all.append(("host", parts.hostHeader)) }

        // Canonical headers: lower-case names, values trimmed with inner whitespace collapsed,
        // repeated names joined with "," in order.
        var grouped: [String: [String]] = [:]
        for (name, value) in all {
            let lowered = name.lowercased()
            if SigV4Signer.unsignedHeaders.contains(lowered) { continue }
            grouped[lowered, default: []].append(value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " "))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let payloadHash =
            headers.first { $0.name.lowercased() == "x-amz-content-sha256" }?.value ?? Hex.encode(SHA256.hash(body))
        let canonicalRequest = [
            method.uppercased(), SigV4Signer.canonicalURI(parts.path), SigV4Signer.canonicalQuery(parts.query),
            canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(SHA256.hash(Array(canonicalRequest.utf8))))"
        let key = cache.key(secret: credentials.secretAccessKey, day: day, region: region, service: service)
        let signature = Hex.encode(SHA256.hmac(key: key, Array(stringToSign.utf8)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        var added: [(String, String)] = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        added.append(("Authorization", authorization))
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            authorization: authorization,
            headers: added,
            signedHeaders: signedHeaders
        )
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    package static func signingKey(secret: String, day: String, region: String, service: String) -> [UInt8] {
        var key = SHA256.hmac(key: Array("AWS4\(secret)".utf8), Array(day.utf8))
        key = SHA256.hmac(key: key, Array(region.utf8))
        key = SHA256.hmac(key: key, Array(service.utf8))
        return SHA256.hmac(key: key, Array("aws4_request".utf8))
    }

    package static func amzDate(_ date: Date) -> String {
        UTCTimestamp.basic(seconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    // MARK: canonical forms

    static func encode(_ text: String, keeping extra: Set<UInt8> = []) -> String {
        PercentEncoding.encode(text, keeping: extra)
    }

    /// Non-S3 services: dot segments removed, then the path as sent encoded once more
    /// (`%20` becomes `%2520`), as botocore does with `quote(path, safe='/~')`.
    static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var output: [Substring] = []
        for segment in segments where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        var normalized = (path.hasPrefix("/") ? "/" : "") + output.joined(separator: "/")
        if path.hasSuffix("/") && !output.isEmpty { normalized += "/" }
        if normalized.isEmpty { normalized = "/" }
        return encode(normalized, keeping: [UInt8(ascii: "/")])
    }

    /// Pairs split on `&` and `=`, each side decoded and re-encoded with the unreserved set,
    /// sorted by name then value.
    static func canonicalQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.decode(parts[0]) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentEncoding.decode(parts[1]) ?? String(parts[1])) : ""
            pairs.append((encode(name), encode(value)))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}

/// The pieces of a URL the signer needs, taken from the text as sent (no re-encoding).
struct URLParts {
    var hostHeader: String
    var path: String
    var query: String?

    init(_ url: String) {
        var rest = Substring(url)
        var scheme = "https"
        if let range = rest.firstRange(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        rest = rest[authorityEnd...]
        // Default ports are dropped from the Host header, as HTTP clients send it.
        var host = String(authority).lowercased()
        if (scheme == "https" && host.hasSuffix(":443")) || (scheme == "http" && host.hasSuffix(":80")) {
            host = String(host[..<host.lastIndex(of: ":")!])
        }
        hostHeader = host
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            var queryText = rest[rest.index(after: question)...]
            if let hash = queryText.firstIndex(of: "#") { queryText = queryText[..<hash] }
            query = String(queryText)
        } else {
            var pathText = rest
            if let hash = pathText.firstIndex(of: "#") { pathText = pathText[..<hash] }
            path = String(pathText)
            query = nil
        }
    }
}

/// Signing keys change once a day per region and service; computing one costs four HMACs.
package final class SigningKeyCache: Sendable {
    private struct Key: Hashable {
        var secretHash: [UInt8]
        var day: String
        var region: String
        var service: String
    }

    private let entries = Mutex<[Key: [UInt8]]>([:])

    package init() {}

    package func key(secret: String, day: String, region: String, service: String) -> [UInt8] {
        // Index by a hash of the secret, so the cache never holds the secret itself.
        let cacheKey = Key(secretHash: SHA256.hash(Array(secret.utf8)), day: day, region: region, service: service)
        if let hit = entries.withLock({ $0[cacheKey] }) { return hit }
        let derived = SigV4Signer.signingKey(secret: secret, day: day, region: region, service: service)
        entries.withLock { cache in
            if cache.count > 64 { cache.removeAll() }  // old days and rotated keys fall out
            cache[cacheKey] = derived
        }
        return derived
    }

    package var count: Int { entries.withLock { $0.count } }
}

/// RFC 3986 percent-encoding as AWS wants it: every byte outside `A-Z a-z 0-9 - _ . ~` (and
/// `extra`) becomes `%XX` in upper-case hex. Used for canonical requests and Query form bodies.
package enum PercentEncoding {
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))
    /// The same as a table: this runs for every byte of every request body and query.
    private static let plain: [Bool] = (0...255).map { unreserved.contains(UInt8($0)) }
    private static let hex = Array("0123456789ABCDEF".utf8)

    package static func encode(_ text: String, keeping extra: Set<UInt8> = []) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        append(text, keeping: extra, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` encoded to `out`: for bodies built in one buffer, without a String per value.
    /// Runs of bytes that stay as they are are copied whole: most values (`Count`, `queue-worker`)
    /// are one run.
    package static func append(_ text: String, keeping extra: Set<UInt8> = [], to out: inout [UInt8]) {
        var text = text
        let plain = plain
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                if plain[Int(byte)] || (!extra.isEmpty && extra.contains(byte)) { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    /// `%XX` escapes decoded; nil when an escape is malformed or the bytes are not UTF-8.
    package static func decode(_ text: some StringProtocol) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
