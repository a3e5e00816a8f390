import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a finished child process left behind.
package struct ProcessOutput: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// A running child process whose output goes to temporary files (no pipe can fill up).
package final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let directory: URL
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `arguments[0]` with SIGTERM/SIGINT restored to their defaults: the test runner
    /// may ignore or block them, and children inherit that.
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("out").path, contents: nil)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("err").path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // It also becomes a process-group leader, so that signals and the final kill reach
        // whatever it starts (moto's checker runs moto.server as its own child).
        let reset =
            "import os,signal,sys;os.setpgrp();signal.pthread_sigmask(signal.SIG_UNBLOCK,{signal.SIGTERM,signal.SIGINT});"
            + "signal.signal(signal.SIGTERM,signal.SIG_DFL);signal.signal(signal.SIGINT,signal.SIG_DFL);os.execvp(sys.argv[1],sys.argv[1:])"
        process.arguments = ["python3", "-c", reset, executable] + arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: directory.appendingPathComponent("out"))
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("err"))
        let semaphore = exited
        process.terminationHandler = { _ in semaphore.signal() }
        try process.run()
    }

    deinit {
        // The whole group, even when the child itself has exited: its children must not outlive
        // the test.
        kill(-process.processIdentifier, SIGKILL)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    package var pid: Int32 { process.processIdentifier }

    /// Signals the child's process group (or the child alone, if it has not formed one yet).
    package func signal(_ number: Int32) {
        if kill(-process.processIdentifier, number) != 0 { kill(process.processIdentifier, number) }
    }

    package var stdoutSoFar: String {
        (try? String(contentsOf: directory.appendingPathComponent("out"), encoding: .utf8)) ?? ""
    }

    /// Waits for the exit (killing the child after `timeout`) and collects its output.
    package func wait(timeout: Duration = .seconds(120)) async -> ProcessOutput {
        let semaphore = exited
        let finished: Bool = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: semaphore.wait(timeout: .now() + timeout.timeInterval) == .success)
            }.start()
        }
        if !finished {
            kill(-process.processIdentifier, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
            semaphore.wait()
        }
        let out = (try? String(contentsOf: directory.appendingPathComponent("out"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: directory.appendingPathComponent("err"), encoding: .utf8)) ?? ""
        return ProcessOutput(status: finished ? process.terminationStatus : -9, stdout: out, stderr: err + (finished ? "" : "\n[killed after \(timeout)]"))
    }
}

/// Runs a command to completion.
package func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: String? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessOutput {
    let child = try ChildProcess(executable, arguments, environment: environment, currentDirectory: currentDirectory)
    return await child.wait(timeout: timeout)
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// Reference implementations used as oracles. In CI (`CI=true`) a missing oracle is a failure,
/// never a silent skip.
package enum Oracle {
    package static func which(_ tool: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    package static var prometheusAvailable: Bool {
        which("prometheus") != nil && which("promtool") != nil
            && FileManager.default.fileExists(atPath: Fixtures.oracle("promql-oracle.sh").path)
    }

    /// Enabled when the oracle exists, and always in CI so that a missing oracle fails loudly.
    package static var runPrometheusTests: Bool { prometheusAvailable || Fixtures.isCI }

    /// Whether python3 can import these modules (checked once per set).
    package static func pythonHas(_ modules: String) -> Bool {
        pythonModules.withLock { cache in
            if let known = cache[modules] { return known }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: which("python3") ?? "/usr/bin/python3")
            process.arguments = ["-c", "import \(modules)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let found = (try? process.run()) != nil && { process.waitUntilExit(); return process.terminationStatus == 0 }()
            cache[modules] = found
            return found
        }
    }

    /// Python-oracle tests run when the modules are there, and always in CI (where a missing
    /// module must fail loudly rather than skip).
    package static func runPythonTests(_ modules: String) -> Bool { Fixtures.isCI || pythonHas(modules) }

    private static let pythonModules = Mutex<[String: Bool]>([:])
}

/// Throw-away RSA keys and self-signed certificates made by the openssl command.
package enum TestCertificates {
    /// Writes `key.pem`, `cert.pem` and `bundle.pem` (key + certificate) into `directory`.
    package static func rsa(in directory: URL, commonName: String = "scalebridge-test") async throws -> (key: String, certificate: String, bundle: String) {
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let output = try await runProcess(
            "/usr/bin/env",
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-subj", "/CN=\(commonName)", "-days", "2"]
        )
        guard output.status == 0 else { throw FakeServerError("openssl req failed: \(output.stderr)") }
        let bundle = directory.appendingPathComponent("bundle.pem").path
        let text = try String(contentsOfFile: key, encoding: .utf8) + String(contentsOfFile: certificate, encoding: .utf8)
        try Data(text.utf8).write(to: URL(fileURLWithPath: bundle))
        return (key, certificate, bundle)
    }
}

/// Runs `promql-oracle.sh` one at a time per test process: each run starts its own Prometheus
/// and fake targets on ports it picks, and two at once can race for a port (seen once under a
/// parallel release build). A run whose Prometheus never became ready is tried once more; any
/// other failure is returned as is.
package func runPrometheusOracle(_ arguments: [String], timeout: Duration = .seconds(180)) async throws -> ProcessOutput {
    await OracleGate.shared.acquire()
    defer { OracleGate.shared.release() }
    let script = Fixtures.oracle("promql-oracle.sh").path
    var output = try await runProcess("bash", [script] + arguments, timeout: timeout)
    if output.status != 0, output.stderr.contains("did not become ready") {
        output = try await runProcess("bash", [script] + arguments, timeout: timeout)
    }
    return output
}

/// A process-wide async mutex (FIFO).
final class OracleGate: Sendable {
    static let shared = OracleGate()
    private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
