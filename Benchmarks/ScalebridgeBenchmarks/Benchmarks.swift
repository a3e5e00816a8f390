import Benchmark
import BenchmarkWorkloads

// The workloads live in BenchmarkWorkloads, shared with InstructionCounts (bench/instructions.py).
let benchmarks: @Sendable () -> Void = {
    // Thresholds (Benchmarks/Thresholds/*.json, from `thresholds update`): allocations are
    // deterministic, so 2 % is a real regression; wall clock on a shared 2-core VM is noisy
    // (micro-benchmarks vary by 30-60 % at p90), so only a 2× slowdown fails. Instructions are
    // measured where the kernel exposes hardware counters, 5 %; on machines without them (the
    // project's VM) `make bench-check` counts them under callgrind instead (bench/instructions.py).
    Benchmark.defaultConfiguration = .init(
        // Only metrics with a tolerance below: `thresholds check` holds every stored metric to
        // its threshold. MB/s follow from the wall clock and the page size.
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        maxDuration: .seconds(3),
        maxIterations: 200,
        thresholds: [
            .mallocCountTotal: .init(relative: [.p50: 2.0, .p90: 2.0]),
            .wallClock: .init(relative: [.p50: 100.0, .p90: 100.0]),
            .instructions: .init(relative: [.p50: 5.0, .p90: 5.0]),
        ]
    )

    for workload in workloads {
        let iteration = workload.prepare()
        Benchmark(workload.name) { benchmark in
            for _ in benchmark.scaledIterations { try iteration() }
        }
    }
}
