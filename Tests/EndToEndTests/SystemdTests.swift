import BridgeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A unix datagram socket standing in for systemd's notify socket.
final class NotifySocket: @unchecked Sendable {
    let path: String
    let fd: Int32

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0 else { throw FakeServerError("bind \(path) failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Messages received so far (non-blocking beyond 200 ms).
    func drain() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return messages }
            messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }
}

@Suite("systemd")
struct SystemdTests {
    @Test("run speaks sd_notify: READY after the first cycle, WATCHDOG pings, STOPPING on SIGTERM")
    func notifyProtocol() async throws {
        let notify = try NotifySocket()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("sb-systemd-\(UUID().uuidString).yaml")
        try Data("""
            scrape: {interval: 1s, timeout: 500ms}
            listen: ""
            targets: [{name: api, url: "\(Fixtures.projectFile("examples/metrics/api.prom").absoluteString)"}]
            signals: [{name: Workers, expr: max(queued_tasks_workers_required)}]
            """.utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = "400000"
        let child = try ChildProcess(CLITests.binary, ["run", "--config", config.path], environment: environment)
        var messages: [String] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while messages.filter({ $0.contains("WATCHDOG=1") }).count < 2, ContinuousClock.now < deadline {
            messages += notify.drain()
        }
        child.signal(SIGTERM)
        let output = await child.wait(timeout: .seconds(15))
        messages += notify.drain()
        #expect(output.status == 0)
        let ready = try #require(messages.firstIndex { $0.hasPrefix("READY=1") }, "got \(messages)")
        #expect(messages[ready].contains("STATUS=first cycle done: 1/1 targets up"))
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2)
        let stopping = try #require(messages.firstIndex { $0.hasPrefix("STOPPING=1") }, "got \(messages)")
        #expect(!messages[stopping...].contains("WATCHDOG=1"), "no watchdog pings after STOPPING")
    }

    static var analyzeAvailable: Bool { Oracle.which("systemd-analyze") != nil || Fixtures.isCI }

    @Test("the unit verifies and systemd-analyze security rates it 2.0 or lower", .enabled(if: analyzeAvailable))
    func unitChecks() async throws {
        let unit = try String(contentsOf: Fixtures.projectFile("packaging/systemd/scalebridge.service"), encoding: .utf8)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // verify checks that ExecStart exists: point it at the binary just built.
        let copy = directory.appendingPathComponent("scalebridge.service")
        try Data(unit.replacingOccurrences(of: "/usr/local/bin/scalebridge", with: CLITests.binary).utf8).write(to: copy)
        let verify = try await runProcess("systemd-analyze", ["verify", copy.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(!verify.stderr.contains(copy.lastPathComponent + ":"), "warnings: \(verify.stderr)")
        let security = try await runProcess("systemd-analyze", ["security", "--offline=true", copy.path])
        let text = security.stdout + security.stderr
        let line = try #require(text.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(text)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 2.0, "\(line)")
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("StateDirectory=scalebridge") && unit.contains("DynamicUser=yes"))
    }
}
