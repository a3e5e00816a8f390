import Config
import Credentials
import Formats
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// ECS discovery for a central bridge: the running tasks of a service or task family
/// (`ListTasks` + `DescribeTasks`, SigV4, the AWS credential chain), scraped at the private
/// address of their awsvpc network interface. Labels: `__meta_ecs_task_arn`,
/// `__meta_ecs_cluster`, `__meta_ecs_task_definition`, `__meta_ecs_group`,
/// `__meta_ecs_availability_zone`, `__meta_ecs_private_ip`, `__meta_ecs_launch_type` and
/// `__meta_ecs_tag_<key>`.
package struct ECSDiscoverer: Discoverer {
    let config: ECSDiscoveryConfig
    let call: AWSDiscoveryCall

    package init(
        _ config: ECSDiscoveryConfig,
        region: String,
        credentials: any AWSCredentialProvider,
        transport: any HTTPTransport
    ) {
        self.config = config
        call = AWSDiscoveryCall(
            service: "ecs",
            region: region,
            url: config.aws.endpoint ?? "https://ecs.\(region).amazonaws.com/",
            credentials: credentials,
            transport: transport
        )
    }

    package var describe: String {
        "ecs \(config.cluster) \(config.service.map { "service \($0)" } ?? "family \(config.family ?? "")")"
    }

    struct ListTasks: Decodable {
        var taskArns: [String]
        var nextToken: String?
    }

    struct DescribeTasks: Decodable {
        struct Task: Decodable {
            struct Attachment: Decodable {
                struct Detail: Decodable {
                    var name: String
                    var value: String?
                }
                var type: String?
                var details: [Detail]?
            }
            struct Tag: Decodable {
                var key: String?
                var value: String?
            }
            var taskArn: String
            var lastStatus: String?
            var taskDefinitionArn: String?
            var group: String?
            var availabilityZone: String?
            var launchType: String?
            var attachments: [Attachment]?
            var tags: [Tag]?
        }
        struct Failure: Decodable {
            var arn: String?
            var reason: String?
        }
        var tasks: [Task]
        var failures: [Failure]?
    }

    package func discover() async throws(DiscoveryError) -> Discovered {
        var arns: [String] = []
        var token: String? = nil
        repeat {
            var request: [String: String] = ["cluster": config.cluster, "desiredStatus": "RUNNING"]
            if let service = config.service { request["serviceName"] = service }
            if let family = config.family { request["family"] = family }
            if let token { request["nextToken"] = token }
            let page: ListTasks = try await send("ListTasks", request)
            arns += page.taskArns
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil && arns.count < 100_000
        var targets: [[String: String]] = []
        for start in stride(from: 0, to: arns.count, by: 100) {
            let batch = Array(arns[start..<min(start + 100, arns.count)])
            let answer: DescribeTasks = try await send(
                "DescribeTasks",
                DescribeRequest(cluster: config.cluster, tasks: batch, include: ["TAGS"])
            )
            // A task ListTasks named that DescribeTasks could not describe is a partial fleet.
            if let failure = answer.failures?.first {
                throw DiscoveryError(
                    "ECS DescribeTasks could not describe \(answer.failures?.count ?? 0) task(s): \(failure.reason ?? "no reason")"
                )
            }
            for task in answer.tasks where task.lastStatus == "RUNNING" {
                targets.append(try Self.labels(task, config))
            }
        }
        return Discovered(targets: targets, ttl: nil)
    }

    /// Both answers' decoders over the same bytes (the fuzz target).
    package static func decodeAnswers(_ bytes: [UInt8]) -> Int {
        let list = try? JSONDecoder().decode(ListTasks.self, from: Data(bytes))
        let tasks = try? JSONDecoder().decode(DescribeTasks.self, from: Data(bytes))
        let config = ECSDiscoveryConfig(cluster: "c", containerPort: 9100)
        let labelled = tasks?.tasks.compactMap { try? ECSDiscoverer.labels($0, config) }.count ?? 0
        return (list?.taskArns.count ?? 0) + labelled
    }

    struct DescribeRequest: Encodable {
        var cluster: String
        var tasks: [String]
        var include: [String]
    }

    static func labels(_ task: DescribeTasks.Task, _ config: ECSDiscoveryConfig) throws(DiscoveryError) -> [String:
        String]
    {
        let details = task.attachments?.first { $0.type == "ElasticNetworkInterface" }?.details ?? []
        guard let ip = details.first(where: { $0.name == "privateIPv4Address" })?.value, !ip.isEmpty else {
            throw DiscoveryError("ECS task \(task.taskArn) has no awsvpc address (only awsvpc tasks can be discovered)")
        }
        var labels = [
            "__address__": "\(ip):\(config.containerPort)", "__meta_ecs_task_arn": task.taskArn,
            "__meta_ecs_cluster": config.cluster,
            "__meta_ecs_private_ip": ip,
        ]
        labels["__meta_ecs_task_definition"] = task.taskDefinitionArn
        labels["__meta_ecs_group"] = task.group
        labels["__meta_ecs_availability_zone"] = task.availabilityZone
        labels["__meta_ecs_launch_type"] = task.launchType
        for tag in task.tags ?? [] {
            guard let key = tag.key else { continue }
            labels["__meta_ecs_tag_\(LabelNames.sanitized(key))"] = tag.value ?? ""
        }
        return labels
    }

    func send<Request: Encodable, Answer: Decodable>(_ action: String, _ request: Request) async throws(DiscoveryError)
        -> Answer
    {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(request))
        } catch {
            throw DiscoveryError("ECS \(action): the request could not be encoded")
        }
        let headers = [
            HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
            HTTPHeader("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.\(action)"),
        ]
        let response = try await call.post(headers: headers, body: body, what: "ECS \(action)")
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw DiscoveryError("ECS \(action) answered something that is not its response shape")
        }
    }
}
