import BridgeTesting
import Foundation
import Testing

/// A moto server with SigV4 and IAM enforced (Tests/Oracles/moto-cloudwatch-check.py --serve):
/// an IAM user allowed CloudWatch, EC2 and ECS discovery calls; an `assumer` user allowed only
/// sts:AssumeRole into `publisher_role_arn`; and the EC2 instances and ECS tasks asked for.
struct MotoServer: Decodable {
    struct Instance: Decodable { var id: String }
    struct ECSTask: Decodable { var arn: String }
    var endpoint: String
    var access_key: String
    var secret_key: String
    var assumer_access_key: String
    var assumer_secret_key: String
    var publisher_role_arn: String
    var instances: [Instance]
    var tasks: [ECSTask]

    struct DidNotStart: Error, CustomStringConvertible {
        var output: String
        var description: String { "moto did not start: \(output)" }
    }

    /// Starts it (up to 60 s); stop the process with SIGTERM when done.
    static func start(_ arguments: [String] = []) async throws -> (ChildProcess, MotoServer) {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        let moto = try ChildProcess(
            "python3",
            [Fixtures.oracle("moto-cloudwatch-check.py").path, "--serve", "120"] + arguments,
            environment: environment
        )
        var server: MotoServer? = nil
        let deadline = ContinuousClock.now + .seconds(60)
        while server == nil, ContinuousClock.now < deadline {
            for line in moto.stdoutSoFar.split(separator: "\n") where line.hasPrefix("{") {
                server = try? JSONDecoder().decode(MotoServer.self, from: Data(line.utf8))
            }
            if server == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        guard let server else {
            moto.signal(SIGTERM)
            throw DidNotStart(output: moto.stdoutSoFar)
        }
        return (moto, server)
    }
}
