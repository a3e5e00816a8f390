import COpenSSL
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An RSA private key from PEM (PKCS#1 or PKCS#8, optionally encrypted), for JWT signatures:
/// RS256 (PKCS#1 v1.5) for Google, PS256 (PSS, MGF1-SHA256, salt 32) for Entra ID.
package final class RSAPrivateKey: @unchecked Sendable {
    // EVP_PKEY is immutable after loading; each signature gets its own EVP_MD_CTX, so sharing
    // the key across threads is safe (OpenSSL 3 documents this for read-only use).
    private let key: OpaquePointer

    package enum Padding: Sendable {
        case pkcs1v15
        case pss
    }

    /// - Parameter password: for encrypted PEM keys.
    package init(pem: String, password: String? = nil) throws(OpenSSLError) {
        ERR_clear_error()
        let loaded: OpaquePointer? = Array(pem.utf8).withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            if let password {
                return password.withCString { PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: $0)) }
            }
            // An empty passphrase makes an encrypted key fail instead of prompting on a TTY.
            return "".withCString { PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: $0)) }
        }
        guard let loaded else { throw OpenSSLError("reading the PEM private key") }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_RSA else {
            EVP_PKEY_free(loaded)
            throw OpenSSLError("reading the PEM private key", detail: "the key is not an RSA key")
        }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    /// Signs SHA-256(data).
    package func sign(_ data: [UInt8], padding: Padding) throws(OpenSSLError) -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil
        guard EVP_DigestSignInit(context, &keyContext, EVP_sha256(), nil, key) == 1 else { throw OpenSSLError("EVP_DigestSignInit") }
        if padding == .pss {
            guard EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, EVP_sha256()) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, 32) == 1
            else { throw OpenSSLError("setting RSA-PSS parameters") }
        } else {
            guard EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else { throw OpenSSLError("setting RSA padding") }
        }
        var length = 0
        let sized = data.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else { throw OpenSSLError("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = data.withUnsafeBufferPointer { EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }
        guard signed == 1 else { throw OpenSSLError("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }
}

/// An X.509 certificate from PEM: only what client assertions need (its DER and thumbprints).
package struct X509Certificate: Sendable {
    package let der: [UInt8]

    /// The first certificate in `pem` (a bundle may hold the key and a chain too).
    package init(pem: String) throws(OpenSSLError) {
        ERR_clear_error()
        let der: [UInt8]? = Array(pem.utf8).withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
            defer { X509_free(certificate) }
            var output: UnsafeMutablePointer<UInt8>? = nil
            let length = i2d_X509(certificate, &output)
            guard length > 0, let output else { return nil }
            defer { CRYPTO_free(output, #file, #line) }
            return Array(UnsafeBufferPointer(start: output, count: Int(length)))
        }
        guard let der else { throw OpenSSLError("reading the PEM certificate") }
        self.der = der
    }

    /// Every certificate in `pem`, in order (leaf first for a chain).
    package static func all(pem: String) throws(OpenSSLError) -> [X509Certificate] {
        let marker = "-----BEGIN CERTIFICATE-----"
        let blocks = pem.split(separator: marker, omittingEmptySubsequences: false).map(String.init).dropFirst().map { marker + $0 }
        guard !blocks.isEmpty else { throw OpenSSLError("reading the PEM certificate", detail: "no certificate in the file") }
        var result: [X509Certificate] = []
        for block in blocks { result.append(try X509Certificate(pem: block)) }
        return result
    }

    /// SHA-256 of the DER (`x5t#S256`).
    package var sha256Thumbprint: [UInt8] { SHA256.hash(der) }
}

package enum Base64URL {
    /// Unpadded base64url (RFC 7515 §2).
    package static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }

    package static func decode(_ text: String) -> [UInt8]? {
        var standard = text.replacing("-", with: "+").replacing("_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
