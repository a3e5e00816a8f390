import BenchmarkWorkloads

#if canImport(Glibc)
    import Glibc
#endif

// Runs one workload for callgrind to count (bench/instructions.py):
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=scalebridge_measured \
//     InstructionCounts <name> <iterations>
// Synchronous on purpose: valgrind 3.24 crashes on Swift's async main, which parks the main
// thread in dispatch_main before the first worker thread starts.

/// The iteration being measured; set once, before `scalebridge_measured` runs.
nonisolated(unsafe) var iteration: (@Sendable () throws -> Void)?

/// The only code callgrind counts: `iterations` runs of the workload, nothing of its set-up.
@_cdecl("scalebridge_measured")
@inline(never)
func measured(_ iterations: Int) -> Int32 {
    guard let iteration else { return 1 }
    do {
        for _ in 0..<iterations { try iteration() }
        return 0
    } catch {
        return 1
    }
}

func fail(_ message: String, status: Int32) -> Never {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

let arguments = CommandLine.arguments
if arguments.count == 2, arguments[1] == "--list" {
    for workload in workloads { print(workload.name, workload.countedIterations) }
    exit(0)
}
guard arguments.count == 3, let count = Int(arguments[2]), count > 0,
    let workload = workloads.first(where: { $0.name == arguments[1] })
else {
    fail("usage: InstructionCounts --list | <workload> <iterations>", status: 2)
}
let prepared = workload.prepare()
do {
    // One uncounted run first: lazy one-off work (type metadata, caches) stays out of the figure.
    try prepared()
} catch {
    fail("\(workload.name) failed: \(error)", status: 1)
}
iteration = prepared
exit(measured(count))
