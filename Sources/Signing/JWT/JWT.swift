#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Formats

/// A compact JWS (`header.claims.signature`) signed with an RSA key. Members keep the order
/// given, so tokens are reproducible in tests.
package struct JWT: Sendable {
    package enum Algorithm: String, Sendable {
        /// RSASSA-PKCS1-v1_5 with SHA-256 (Google service accounts).
        case rs256 = "RS256"
        /// RSASSA-PSS with SHA-256 (Entra ID client assertions).
        case ps256 = "PS256"

        var padding: RSAPrivateKey.Padding { self == .rs256 ? .pkcs1v15 : .pss }
    }

    package enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        /// Already-encoded JSON (arrays).
        case raw(String)
    }

    package var algorithm: Algorithm
    /// Header members after `alg` and `typ` (e.g. `kid`, `x5t#S256`).
    package var header: [(String, Value)]
    package var claims: [(String, Value)]

    package init(algorithm: Algorithm, header: [(String, Value)] = [], claims: [(String, Value)]) {
        self.algorithm = algorithm
        self.header = header
        self.claims = claims
    }

    package func signed(with key: RSAPrivateKey) throws(OpenSSLError) -> String {
        let head = Self.object([("alg", .string(algorithm.rawValue)), ("typ", .string("JWT"))] + header)
        let input = Base64URL.encode(Array(head.utf8)) + "." + Base64URL.encode(Array(Self.object(claims).utf8))
        let signature = try key.sign(Array(input.utf8), padding: algorithm.padding)
        return input + "." + Base64URL.encode(signature)
    }

    static func object(_ members: [(String, Value)]) -> String {
        "{" + members.map { name, value in
            let text: String
            switch value {
            case .string(let string): text = JSONText.quote(string)
            case .integer(let number): text = String(number)
            case .raw(let json): text = json
            }
            return JSONText.quote(name) + ":" + text
        }.joined(separator: ",") + "}"
    }
}
