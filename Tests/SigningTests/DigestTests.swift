import Testing

@testable import Signing

@Suite("SHA-256 and HMAC over OpenSSL")
struct DigestTests {
    @Test(
        "SHA-256 matches the FIPS 180-2 examples",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
    )
    func sha256(_ input: (String, String)) {
        #expect(Hex.encode(SHA256.hash(Array(input.0.utf8))) == input.1)
    }

    @Test("HMAC-SHA256 matches RFC 4231 test cases 1, 2 and 6")
    func hmac() throws {
        let case1 = SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8))
        #expect(Hex.encode(case1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = SHA256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(case2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let case6 = SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(case6) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("the SigV4 signing-key chain from AWS's documentation example")
    func sigV4SigningKey() throws {
        // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
        var key = SHA256.hmac(key: Array("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8), Array("20120215".utf8))
        key = SHA256.hmac(key: key, Array("us-east-1".utf8))
        key = SHA256.hmac(key: key, Array("iam".utf8))
        key = SHA256.hmac(key: key, Array("aws4_request".utf8))
        #expect(Hex.encode(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test("hex round trip")
    func hex() {
        #expect(Hex.decode("00ff7fA0") == [0, 255, 127, 160])
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.encode([0, 255, 127, 160]) == "00ff7fa0")
    }
}
