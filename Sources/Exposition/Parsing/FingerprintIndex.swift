/// An open-addressing table from a label set's 64-bit fingerprint to where the caller keeps that
/// set (an index into its own array). The parsers use it for duplicate series and for OpenMetrics
/// group checks instead of `Set<FingerprintedLabels>`: no second copy of the labels, no SipHash
/// over eight bytes, and a clear that is cheap for the one-series groups of a gauge family.
///
/// Fingerprints can collide, so a hit is only a candidate: the caller confirms it against its own
/// stored labels. The fingerprint is seeded per process, so a page cannot be built in advance to
/// make probes long.
///
/// A slot is 8 bytes: a 32-bit tag folded from the fingerprint, and the payload. A 100k-series
/// page's table is 2 MiB instead of 4: half the fresh pages to zero and half the cache misses.
/// Tags collide more often than fingerprints (one in 2³² per comparison), which only adds a
/// candidate for the caller to reject.
///
///     index.reserveOne()
///     var probe = index.probe(fingerprint)
///     while let candidate = index.next(fingerprint, &probe) { if same(candidate) { … } }
///     index.insert(fingerprint, payload: position, at: probe)
struct FingerprintIndex {
    private struct Entry {
        var tag: UInt32
        /// Payload + 1; 0 marks an empty slot.
        var slot: UInt32
    }

    private var entries: [Entry]
    private var shift: UInt32
    private(set) var count = 0

    /// Room for `capacity` entries before the first growth.
    init(capacity: Int = 0) {
        var size = 8
        while size * 3 < capacity * 4 { size *= 2 }
        entries = Array(repeating: Entry(tag: 0, slot: 0), count: size)
        shift = UInt32(32 - size.trailingZeroBitCount)
    }

    /// A position in the probe sequence of one fingerprint.
    struct Probe {
        fileprivate var position: Int
    }

    @inline(__always) private static func tag(_ fingerprint: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: fingerprint ^ (fingerprint >> 32))
    }

    @inline(__always) private func home(_ tag: UInt32) -> Int {
        // Fibonacci hashing: the top bits of the product spread any tag evenly.
        Int(truncatingIfNeeded: (tag &* 0x9E37_79B9) >> shift)
    }

    /// Makes sure one insert fits without growing, so probes taken afterwards stay valid.
    @inline(__always) mutating func reserveOne() {
        if (count + 1) * 4 > entries.count * 3 { grow() }
    }

    @inline(__always) func probe(_ fingerprint: UInt64) -> Probe { Probe(position: home(Self.tag(fingerprint))) }

    /// The next stored payload with this fingerprint, or nil when the probe reached an empty
    /// slot (where `insert` then puts the new entry).
    @inline(__always) func next(_ fingerprint: UInt64, _ probe: inout Probe) -> Int? {
        let mask = entries.count - 1
        let tag = Self.tag(fingerprint)
        while true {
            let entry = entries[probe.position]
            if entry.slot == 0 { return nil }
            probe.position = (probe.position + 1) & mask
            if entry.tag == tag { return Int(entry.slot) - 1 }
        }
    }

    /// Stores `payload` at the empty slot `next` stopped on. Call `reserveOne` before probing.
    @inline(__always) mutating func insert(_ fingerprint: UInt64, payload: Int, at probe: Probe) {
        entries[probe.position] = Entry(tag: Self.tag(fingerprint), slot: UInt32(payload + 1))
        count += 1
    }

    /// Empties the table; a large one is given back, so one huge group does not make every
    /// later clear expensive.
    mutating func removeAll() {
        guard count > 0 else { return }
        if entries.count > 64 {
            self = FingerprintIndex()
        } else {
            for position in entries.indices { entries[position].slot = 0 }
            count = 0
        }
    }

    private mutating func grow() {
        let old = entries
        let size = old.count * 2
        entries = Array(repeating: Entry(tag: 0, slot: 0), count: size)
        shift = UInt32(32 - size.trailingZeroBitCount)
        let mask = size - 1
        for entry in old where entry.slot != 0 {
            var position = home(entry.tag)
            while entries[position].slot != 0 { position = (position + 1) & mask }
            entries[position] = entry
        }
    }
}
