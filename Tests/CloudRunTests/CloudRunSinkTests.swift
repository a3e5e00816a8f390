import BridgeTesting
import Credentials
import Exposition
import Foundation
import Logging
import Scaling
import Sinks
import Synchronization
import Testing
import Transport

@testable import CloudRun

func runSink(
    _ server: FakeHTTPServer, target: CloudRunSink.Target = .workerPool("queue-worker"), dryRun: Bool = false, statePath: String? = nil, minInstances: Int = 1,
    now: @escaping @Sendable () -> Date = Date.init
) -> CloudRunSink {
    var settings = CloudRunSink.Settings(
        project: "p", region: "europe-west1", target: target,
        policy: ScalingPolicy(metrics: [.init(name: "WorkersRequired", mode: .perInstance(target: 1))], minInstances: minInstances, maxInstances: 20)
    )
    settings.endpoint = server.baseURL
    settings.dryRun = dryRun
    settings.pollInterval = .milliseconds(10)
    settings.statePath = statePath
    return CloudRunSink(settings: settings, tokens: StaticToken(), transport: CurlTransport(environment: [:]), logger: Logger(label: "test"), now: now)
}

func signal(_ value: Double?) -> Publication {
    Publication(timestamp: Int64(Date().timeIntervalSince1970 * 1000), points: value.map { [SignalPoint(signal: "WorkersRequired", labels: Labels(), value: $0)] } ?? [])
}

@Suite("Cloud Run instance-count sink")
struct CloudRunSinkTests {
    @Test("reads the count, PATCHes scaling.manualInstanceCount with the etag, follows the operation to done")
    func scalesWorkerPool() async throws {
        let fake = FakeCloudRun()
        try await withFakeServer(handler: fake.handler) { server in
            try await runSink(server).publish(signal(5))
            #expect(fake.count == 5)
            let patch = try #require(fake.state.withLock { $0.patches.first })
            #expect(patch.path == "/v2/projects/p/locations/europe-west1/workerPools/queue-worker?updateMask=scaling.manualInstanceCount")
            #expect(patch.body == #"{"scaling":{"manualInstanceCount":5},"etag":"\"e1\""}"#)
            let methods = server.requests.map { "\($0.method) \($0.path.components(separatedBy: "/").suffix(2).joined(separator: "/"))" }
            #expect(methods == ["GET workerPools/queue-worker", "PATCH workerPools/queue-worker?updateMask=scaling.manualInstanceCount", "GET operations/op-1", "GET operations/op-1"])
        }
    }

    @Test("an unchanged count makes no API call beyond the read; dry_run logs and changes nothing; a missing signal holds")
    func noCall() async throws {
        let fake = FakeCloudRun()
        try await withFakeServer(handler: fake.handler) { server in
            try await runSink(server).publish(signal(2))
            try await runSink(server, dryRun: true).publish(signal(9))
            try await runSink(server, minInstances: 0).publish(signal(nil))
            #expect(fake.state.withLock { $0.patches.isEmpty })
            #expect(server.requests.allSatisfy { $0.method == "GET" } && server.requests.count == 3)
            #expect(fake.count == 2)
        }
    }

    @Test("services: manual mode sets scalingMode and the count; min_instances mode reads and writes minInstanceCount")
    func services() async throws {
        let fake = FakeCloudRun()
        try await withFakeServer(handler: fake.handler) { server in
            try await runSink(server, target: .serviceManual("api")).publish(signal(3))
            let manual = try #require(fake.state.withLock { $0.patches.last })
            #expect(manual.path.hasSuffix("/services/api?updateMask=scaling.scalingMode%2Cscaling.manualInstanceCount"))
            #expect(manual.body.hasPrefix(#"{"scaling":{"scalingMode":"MANUAL","manualInstanceCount":3}"#))

            fake.state.withLock { $0.resource = ["scaling": ["minInstanceCount": 1, "scalingMode": "AUTOMATIC"]] }
            try await runSink(server, target: .serviceMinInstances("api")).publish(signal(4))
            let floor = try #require(fake.state.withLock { $0.patches.last })
            #expect(floor.path.hasSuffix("?updateMask=scaling.minInstanceCount") && floor.body == #"{"scaling":{"minInstanceCount":4}}"#)
        }
    }

    @Test("a concurrent update is reported as a conflict and, retried, re-reads and decides again")
    func conflict() async throws {
        let fake = FakeCloudRun()
        fake.state.withLock { $0.conflictsLeft = 1 }
        try await withFakeServer(handler: fake.handler) { server in
            let sink = runSink(server)
            let error = await #expect(throws: SinkError.self) { try await sink.publish(signal(6)) }
            #expect(error?.retryable == true && error?.message.contains("conflicting concurrent update") == true, "\(String(describing: error))")
            var policy = RetryPolicy()
            policy.baseDelay = .milliseconds(1)
            try await RetryingSink(sink, policy: policy, clock: ContinuousClock()).publish(signal(6))
            #expect(fake.count == 6)
            let bodies = fake.state.withLock { $0.patches.map(\.body) }
            #expect(bodies.last?.contains(#""etag":"\"e-other\"""#) == true, "the retry used the etag it read again")
        }
    }

    @Test("an operation that ends in error fails clearly; 403 names the permission")
    func failures() async throws {
        let fake = FakeCloudRun()
        fake.state.withLock { $0.operationError = ["code": 3, "message": "manualInstanceCount must be at most 100"] }
        try await withFakeServer(handler: fake.handler) { server in
            let error = await #expect(throws: SinkError.self) { try await runSink(server).publish(signal(7)) }
            #expect(error?.retryable == false && error?.message.contains("must be at most 100") == true)
        }
        try await withFakeServer(handler: { _ in FakeResponse(status: 403, text: #"{"error":{"code":403,"status":"PERMISSION_DENIED","message":"Permission 'run.workerPools.get' denied"}}"#) }) { server in
            let error = await #expect(throws: SinkError.self) { try await runSink(server).publish(signal(7)) }
            #expect(error?.message.contains("run.workerPools.update") == true && error?.retryable == false)
        }
    }

    @Test("the stabilization window survives a restart through state_dir (scheduled once runs)")
    func persistedWindows() async throws {
        let fake = FakeCloudRun()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-run-\(UUID().uuidString)/scaling/cloud_run.json").path
        // Every run in the same second: on the wall clock, a loaded test run once spread these
        // over more than the 15 s period, and the second run was rightly allowed +4 more.
        let start = Date()
        try await withFakeServer(handler: fake.handler) { server in
            try await runSink(server, statePath: path, now: { start }).publish(signal(8))
            #expect(fake.count == 6, "2 → 6: +4 per 15 s is the default scale-up rule")
            // A new process: the +4 of this 15 s period is remembered, so it may not add more yet.
            try await runSink(server, statePath: path, now: { start }).publish(signal(8))
            #expect(fake.count == 6)
            #expect(FileManager.default.fileExists(atPath: path))
            // A low signal: the 300 s window still holds the 8 recommended.
            try await runSink(server, statePath: path, now: { start }).publish(signal(1))
            #expect(fake.count == 6)
            // Without the memory the rate rule starts again from 6 (+100 %, capped by the signal).
            try await runSink(server, statePath: nil, now: { start }).publish(signal(8))
            #expect(fake.count == 8)
        }
    }
}
