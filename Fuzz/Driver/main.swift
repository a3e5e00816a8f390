import FuzzEntry
import FuzzTargets

// libFuzzer's entry point; the target is chosen by SB_FUZZ_TARGET (`make fuzz` sets it).
// Built only with SCALEBRIDGE_FUZZ=1 and -sanitize=fuzzer,address (dev/fuzz.sh).
#if canImport(Glibc)
    import Glibc
#endif

nonisolated(unsafe) let selected: (@Sendable ([UInt8]) -> Void)? = {
    guard let name = getenv("SB_FUZZ_TARGET").map({ String(cString: $0) }) else { return nil }
    return FuzzTargets.all[name]
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let run = selected else {
        fatalError("set SB_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
    }
    run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
