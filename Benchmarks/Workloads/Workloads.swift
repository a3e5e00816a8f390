import CloudWatch
import Exposition
import Foundation
import Query
import Signing

/// One benchmark's work, shared by the benchmark target (wall clock, allocations, and
/// instructions where the kernel exposes counters) and `InstructionCounts` (instructions under
/// callgrind, for machines without them). `run` is one iteration; its inputs are built once.
public struct Workload: Sendable {
    public let name: String
    /// Iterations counted under callgrind (about 50× slower than native): enough that one-off
    /// costs vanish, few enough that the whole set runs in a couple of minutes.
    public let countedIterations: Int
    private let make: @Sendable () -> @Sendable () throws -> Void

    init(_ name: String, countedIterations: Int, make: @escaping @Sendable () -> @Sendable () throws -> Void) {
        self.name = name
        self.countedIterations = countedIterations
        self.make = make
    }

    /// Builds the inputs (pages, batches, the series store) and returns one iteration.
    public func prepare() -> @Sendable () throws -> Void { make() }
}

/// Keeps a result alive so the optimiser cannot drop the work that made it.
@inline(never)
public func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

// Names use only [a-z0-9_]: package-benchmark 1.38 writes threshold files with shell-safe
// names but looks them up with the raw name, so other characters break `thresholds check`.
public let workloads: [Workload] = {
    var all: [Workload] = []
    for (series, counted) in [(1_000, 200), (10_000, 20), (100_000, 3)] {
        all.append(Workload("parse_text_\(series / 1000)k_series", countedIterations: counted) {
            let text = Pages.text(series: series)
            return { consume(try TextFormatParser.parse(text)) }
        })
        if series == 10_000 {
            // The run daemon's path: only the families signals read are kept (1 of 100 here);
            // every other line is still validated.
            all.append(Workload("parse_text_10k_series_keeping_1_family", countedIterations: counted) {
                let text = Pages.text(series: series)
                return { consume(try TextFormatParser.parse(text, keepingNames: ["app_queue_jobs_0"])) }
            })
        }
        all.append(Workload("parse_openmetrics_\(series / 1000)k_series", countedIterations: counted) {
            let page = Pages.openMetrics(series: series)
            return { consume(try OpenMetricsParser.parse(page)) }
        })
    }

    // SigV4 for one PutMetricData request (signing key cached, as in the sink).
    all.append(Workload("sigv4_sign_putmetricdata_11KiB", countedIterations: 2_000) {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token")
        let cache = SigningKeyCache()
        let body = Array(String(repeating: "MetricData.member.1.Value=1&", count: 400).utf8)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        return {
            let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "monitoring", cache: cache)
            consume(signer.sign(method: "POST", url: "https://monitoring.eu-west-1.amazonaws.com/", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Content-Encoding", "gzip")], body: body, date: date))
        }
    })

    all.append(Workload("encode_putmetricdata_1000_datums", countedIterations: 20) {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let datums = (0..<1000).map { index in
            MetricDatum(
                metricName: "QueuedWorkersRequired", dimensions: [("Service", "queue-worker"), ("queue", "q\(index)")], value: Double(index) * 1.3,
                timestamp: date, unit: "Count", storageResolution: 60
            )
        }
        return { consume(PutMetricDataEncoder.batches(namespace: "Membrane", datums)) }
    })

    all.append(Workload("evaluate_20_signals_10k_series", countedIterations: 20) {
        let (store, time) = Pages.store(series: 10_000)
        let snapshot = Snapshot(store: store, time: time)
        let queries = Pages.signals.map { try! CompiledQuery($0) }
        return {
            for query in queries { consume(try query.evaluate(snapshot)) }
        }
    })
    return all
}()

/// Synthetic pages shaped like the product's users: job-queue and worker metrics with a few
/// labels each. `series` is the number of samples on the page.
enum Pages {
    static func text(series: Int) -> [UInt8] {
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

    static func openMetrics(series: Int) -> [UInt8] {
        var bytes = text(series: series)
        bytes.append(contentsOf: Array("# EOF\n".utf8))
        return bytes
    }

    /// 10k series with five samples each (15 s apart), so range functions have history.
    static func store(series: Int) -> (SeriesStore, Int64) {
        let page = try! TextFormatParser.parse(text(series: series))
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
