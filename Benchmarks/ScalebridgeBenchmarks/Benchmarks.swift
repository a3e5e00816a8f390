import Benchmark
import CloudWatch
import Exposition
import Foundation
import Query
import Signing

/// Synthetic pages shaped like the product's users: job-queue and worker metrics with a few
/// labels each. `series` is the number of samples on the page.
enum Workload {
    static func textPage(series: Int) -> [UInt8] {
        var out = ""
        out.reserveCapacity(series * 90)
        let families = max(1, series / 100)
        for family in 0..<families {
            let name = "app_queue_jobs_\(family)"
            out += "# HELP \(name) Jobs in queue \(family).\n# TYPE \(name) gauge\n"
            for index in 0..<(series / families) {
                out += "\(name){queue=\"q\(index % 10)\",worker=\"w\(index)\",region=\"eu-west-1\"} \(Double(index) * 1.5)\n"
            }
        }
        return Array(out.utf8)
    }

    static func openMetricsPage(series: Int) -> [UInt8] {
        var bytes = textPage(series: series)
        bytes.append(contentsOf: Array("# EOF\n".utf8))
        return bytes
    }

    /// 10k series with five samples each (15 s apart), so range functions have history.
    static func store(series: Int) -> (SeriesStore, Int64) {
        let page = try! TextFormatParser.parse(textPage(series: series))
        var store = SeriesStore()
        let start: Int64 = 1_700_000_000_000
        for step in 0..<5 {
            let time = start + Int64(step) * 15_000
            store.ingest(
                target: "t",
                samples: page.samples.map { Sample(labels: $0.labels, value: $0.value + Double(step * 10)) },
                time: time
            )
        }
        return (store, start + 60_000)
    }

    /// Twenty signals of the kinds operators write.
    static let signals: [String] = [
        "sum(app_queue_jobs_0)",
        "max(app_queue_jobs_1) * (1 + 0.3)",
        "(sum(app_queue_jobs_2) + sum(app_queue_jobs_3)) / 5",
        "sum by (queue) (app_queue_jobs_4)",
        "avg without (worker) (app_queue_jobs_5)",
        "count(app_queue_jobs_6 > 50)",
        "(sum(app_queue_jobs_7) - sum(app_queue_jobs_8)) / sum(app_queue_jobs_7)",
        "sum(rate(app_queue_jobs_9[1m]))",
        "sum by (queue) (increase(app_queue_jobs_10[1m]))",
        "max(avg_over_time(app_queue_jobs_11[1m]))",
        "topk(3, app_queue_jobs_12)",
        "quantile(0.9, app_queue_jobs_13)",
        "sum(app_queue_jobs_14{queue=~\"q[0-4]\"})",
        "ceil(sum(app_queue_jobs_15) / 10)",
        "clamp_min(sum(app_queue_jobs_16), 1)",
        "app_queue_jobs_17 / on(worker, queue, region) app_queue_jobs_18",
        "sum(deriv(app_queue_jobs_19[1m]))",
        "count(up == 1) or vector(0)",
        "sum by (region) (app_queue_jobs_20) > bool 100",
        "max(max_over_time(app_queue_jobs_21[1m]))",
    ]
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .instructions, .throughput],
        maxDuration: .seconds(3),
        maxIterations: 200
    )

    for series in [1_000, 10_000, 100_000] {
        let text = Workload.textPage(series: series)
        Benchmark("Parse text page, \(series) series (\(text.count / 1024) KiB)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try TextFormatParser.parse(text))
            }
        }
        let openMetrics = Workload.openMetricsPage(series: series)
        Benchmark("Parse OpenMetrics page, \(series) series") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try OpenMetricsParser.parse(openMetrics))
            }
        }
    }

    // SigV4 for one PutMetricData request (signing key cached, as in the sink).
    let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token")
    let cache = SigningKeyCache()
    let body = Array(String(repeating: "MetricData.member.1.Value=1&", count: 400).utf8)
    let date = Date(timeIntervalSince1970: 1_700_000_000)
    Benchmark("SigV4-sign a PutMetricData request (11 KiB body)") { benchmark in
        for _ in benchmark.scaledIterations {
            let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "monitoring", cache: cache)
            blackHole(signer.sign(method: "POST", url: "https://monitoring.eu-west-1.amazonaws.com/", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Content-Encoding", "gzip")], body: body, date: date))
        }
    }

    let datums = (0..<1000).map { index in
        MetricDatum(
            metricName: "QueuedWorkersRequired", dimensions: [("Service", "queue-worker"), ("queue", "q\(index)")], value: Double(index) * 1.3,
            timestamp: date, unit: "Count", storageResolution: 60
        )
    }
    Benchmark("Encode a 1000-datum PutMetricData batch") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(PutMetricDataEncoder.batches(namespace: "Membrane", datums))
        }
    }

    let (store, time) = Workload.store(series: 10_000)
    let snapshot = Snapshot(store: store, time: time)
    let queries = Workload.signals.map { try! CompiledQuery($0) }
    Benchmark("Evaluate 20 signals over a 10k-series snapshot") { benchmark in
        for _ in benchmark.scaledIterations {
            for query in queries { blackHole(try query.evaluate(snapshot)) }
        }
    }
}
