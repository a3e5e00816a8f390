import Testing

@testable import Exposition

@Suite("Fingerprint index")
struct FingerprintIndexTests {
    /// Every payload stored under `fingerprint`, in probe order.
    func candidates(_ index: FingerprintIndex, _ fingerprint: UInt64) -> [Int] {
        var probe = index.probe(fingerprint)
        var found: [Int] = []
        while let candidate = index.next(fingerprint, &probe) { found.append(candidate) }
        return found
    }

    func add(_ index: inout FingerprintIndex, _ fingerprint: UInt64, _ payload: Int) {
        index.reserveOne()
        var probe = index.probe(fingerprint)
        while index.next(fingerprint, &probe) != nil {}
        index.insert(fingerprint, payload: payload, at: probe)
    }

    @Test("colliding fingerprints are all returned as candidates, through growth")
    func collisions() {
        var index = FingerprintIndex()
        for payload in 0..<1000 { add(&index, UInt64(payload % 10), payload) }
        #expect(index.count == 1000)
        for fingerprint in 0..<10 {
            #expect(candidates(index, UInt64(fingerprint)).sorted() == Array(stride(from: fingerprint, to: 1000, by: 10)))
        }
        #expect(candidates(index, 10).isEmpty)
    }

    @Test("removeAll empties small and large tables")
    func clearing() {
        for size in [3, 500] {
            var index = FingerprintIndex()
            for payload in 0..<size { add(&index, UInt64(payload) &* 0x1234_5678_9ABC, payload) }
            index.removeAll()
            #expect(index.count == 0)
            #expect(candidates(index, 0x1234_5678_9ABC).isEmpty)
            add(&index, 7, 42)
            #expect(candidates(index, 7) == [42])
        }
    }

    @Test("fingerprints that fold to the same 32-bit tag are both candidates; the caller tells them apart")
    func tagCollisions() {
        var index = FingerprintIndex()
        let high: UInt64 = 0x0000_0001_0000_0000  // folds to tag 1, as does 1
        add(&index, high, 5)
        add(&index, 1, 6)
        add(&index, 2, 7)
        #expect(candidates(index, 1).sorted() == [5, 6])
        #expect(candidates(index, high).sorted() == [5, 6])
        #expect(candidates(index, 2) == [7])
    }
}
