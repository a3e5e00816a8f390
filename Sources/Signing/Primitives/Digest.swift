import COpenSSL

/// Why libcrypto refused an operation (the OpenSSL error queue, drained).
package struct OpenSSLError: Error, Sendable, CustomStringConvertible {
    package var operation: String
    package var detail: String

    init(_ operation: String) {
        self.operation = operation
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        detail = messages.joined(separator: "; ")
    }

    init(_ operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }

    package var description: String { "OpenSSL \(operation) failed\(detail.isEmpty ? "" : ": \(detail)")" }
}

/// SHA-256 and HMAC-SHA256 over libcrypto (the owner's choice for all hashing and signing).
package enum SHA256 {
    package static let byteCount = 32

    package static func hash<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = withContiguousBytes(data) { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &output, &length, EVP_sha256(), nil)
        }
        // EVP_Digest with SHA-256 cannot fail short of memory exhaustion.
        precondition(ok == 1 && length == 32, "\(OpenSSLError("EVP_Digest"))")
        return output
    }

    package static func hmac<Key: Collection<UInt8>, Bytes: Collection<UInt8>>(key: Key, _ data: Bytes) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let result = withContiguousBytes(key) { keyBuffer in
            withContiguousBytes(data) { dataBuffer in
                HMAC(
                    EVP_sha256(),
                    keyBuffer.baseAddress,
                    Int32(keyBuffer.count),
                    dataBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    dataBuffer.count,
                    &output,
                    &length
                )
            }
        }
        precondition(result != nil && length == 32, "\(OpenSSLError("HMAC"))")
        return output
    }

    private static func withContiguousBytes<Bytes: Collection<UInt8>, R>(_ data: Bytes, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = data.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(data).withUnsafeBytes(body)
    }
}

package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    package static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
