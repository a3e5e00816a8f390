import Config
import Credentials
import Formats
import Signing
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// EC2 discovery for the systemd-on-VMs fleet: running instances matching the filters
/// (`DescribeInstances`, SigV4, the AWS credential chain), scraped at their private address.
/// Labels: `__meta_ec2_instance_id`, `__meta_ec2_availability_zone`, `__meta_ec2_instance_type`,
/// `__meta_ec2_private_ip`, `__meta_ec2_instance_state` and `__meta_ec2_tag_<key>`.
package struct EC2Discoverer: Discoverer {
    let config: EC2DiscoveryConfig
    let credentials: any AWSCredentialProvider
    let transport: any HTTPTransport
    let region: String

    package init(
        _ config: EC2DiscoveryConfig,
        region: String,
        credentials: any AWSCredentialProvider,
        transport: any HTTPTransport
    ) {
        self.config = config
        self.region = region
        self.credentials = credentials
        self.transport = transport
    }

    package var describe: String { "ec2 \(config.filters.map { "\($0.name)=\($0.value)" }.joined(separator: ","))" }

    var url: String { config.aws.endpoint ?? "https://ec2.\(region).amazonaws.com/" }

    package func discover() async throws(DiscoveryError) -> Discovered {
        var found: [[String: String]] = []
        var token: String? = nil
        repeat {
            let answer = try await page(token)
            guard let instances = Self.instances(answer) else {
                throw DiscoveryError("EC2 answered something that is not a DescribeInstances response")
            }
            found += instances.compactMap { instance in
                guard let ip = instance["__meta_ec2_private_ip"] else { return nil }
                var labels = instance
                labels["__address__"] = "\(ip):\(config.port)"
                return labels
            }
            token = answer["nextToken"].flatMap { $0.text.isEmpty ? nil : $0.text }
        } while token != nil && found.count < 100_000
        return Discovered(targets: found, ttl: nil)
    }

    func page(_ token: String?) async throws(DiscoveryError) -> XMLElement {
        var fields = [("Action", "DescribeInstances"), ("Version", "2016-11-15")]
        let filters = config.filters + [(name: "instance-state-name", value: "running")]
        for (index, filter) in filters.enumerated() {
            fields += [("Filter.\(index + 1).Name", filter.name), ("Filter.\(index + 1).Value.1", filter.value)]
        }
        if let token { fields.append(("NextToken", token)) }
        let body = Array(FormEncoding.encode(fields).utf8)
        let call = AWSDiscoveryCall(
            service: "ec2",
            region: region,
            url: url,
            credentials: credentials,
            transport: transport
        )
        let response = try await call.post(
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: body,
            what: "EC2 discovery"
        )
        let xml = String(decoding: response.body, as: UTF8.self)
        guard let answer = XMLElement.parse(xml) else {
            throw DiscoveryError("EC2 answered something that is not a DescribeInstances response")
        }
        return answer
    }

    /// Each instance of a DescribeInstances answer (`reservationSet/item/instancesSet/item`):
    /// its id, private address, zone, type and tags; nil when the answer is not that shape.
    package static func instances(_ root: XMLElement) -> [[String: String]]? {
        guard let reservations = root["reservationSet"] else { return nil }
        var result: [[String: String]] = []
        for reservation in reservations.items {
            for instance in reservation["instancesSet"]?.items ?? [] {
                var labels: [String: String] = [:]
                labels["__meta_ec2_instance_id"] = instance["instanceId"]?.text
                labels["__meta_ec2_private_ip"] = instance["privateIpAddress"]?.text
                labels["__meta_ec2_availability_zone"] = instance["placement"]?["availabilityZone"]?.text
                labels["__meta_ec2_instance_type"] = instance["instanceType"]?.text
                labels["__meta_ec2_instance_state"] = instance["instanceState"]?["name"]?.text
                for tag in instance["tagSet"]?.items ?? [] {
                    guard let key = tag["key"]?.text else { continue }
                    labels["__meta_ec2_tag_\(LabelNames.sanitized(key))"] = tag["value"]?.text ?? ""
                }
                result.append(labels)
            }
        }
        return result
    }
}
