#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// printf-style number formatting through the C library (Foundation's `String(format:)` is not
/// in FoundationEssentials).
package enum CFormat {
    /// `value` formatted by one printf conversion, e.g. `CFormat.string("%.3g", 0.12345)`.
    package static func string(_ format: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, arguments) }
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
