#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport
import Formats

/// EC2 instance metadata, IMDSv2 only: PUT a session token, read the role name from the
/// extended path (falling back to the legacy one on 404), then the role's credentials.
package struct IMDSCredentialProvider: AWSCredentialProvider {
    package let name = "ec2-imds"
    let transport: any HTTPTransport
    let endpoint: String
    let disabled: Bool

    /// - Parameter endpoint: `AWS_EC2_METADATA_SERVICE_ENDPOINT` or the link-local default.
    package init(environment: [String: String], transport: any HTTPTransport, endpoint: String? = nil) {
        self.transport = transport
        var base = endpoint ?? environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    func send(_ method: HTTPMethod, _ path: String, token: String?) async throws(CredentialError) -> HTTPResponse {
        var request = HTTPRequest(method: method, url: endpoint + path)
        if let token {
            request.headers.append(HTTPHeader("X-aws-ec2-metadata-token", token))
        } else {
            request.headers.append(HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600"))
        }
        request.options.timeout = .seconds(1)
        request.options.connectTimeout = .seconds(1)
        request.options.maxBodyBytes = 64 << 10
        do {
            return try await transport.send(request)
        } catch {
            throw CredentialError(.notConfigured, provider: name, "instance metadata is unreachable (\(error.code.rawValue)); not on EC2?")
        }
    }

    func sessionToken() async throws(CredentialError) -> String {
        let response = try await send(.put, "/latest/api/token", token: nil)
        guard response.isSuccess, !response.body.isEmpty else {
            throw CredentialError.answered(response.status, provider: name, "IMDSv2 token request answered HTTP \(response.status); if running in a container, the instance's metadata hop limit must be at least 2")
        }
        return String(decoding: response.body, as: UTF8.self)
    }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        guard !disabled else { throw CredentialError(.notConfigured, provider: name, "AWS_EC2_METADATA_DISABLED is true") }
        let token = try await sessionToken()
        var base = "/latest/meta-data/iam/security-credentials-extended/"
        var list = try await send(.get, base, token: token)
        if list.status == 404 {
            base = "/latest/meta-data/iam/security-credentials/"
            list = try await send(.get, base, token: token)
        }
        guard list.isSuccess else {
            throw CredentialError(.rejected, provider: name, "no IAM role is attached to this instance (HTTP \(list.status))")
        }
        let role = String(decoding: list.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !role.isEmpty else { throw CredentialError(.rejected, provider: name, "no IAM role is attached to this instance") }
        let answer = try await send(.get, base + role, token: token)
        guard answer.isSuccess else {
            throw CredentialError.answered(answer.status, provider: name, "credentials for role \(role) answered HTTP \(answer.status)")
        }
        return try CredentialJSON.decode(answer.body, provider: name)
    }

    /// The instance's region, for when neither config nor environment names one.
    package func region() async -> String? {
        guard !disabled, let token = try? await sessionToken(),
            let response = try? await send(.get, "/latest/meta-data/placement/region", token: token), response.isSuccess
        else { return nil }
        let region = String(decoding: response.body, as: UTF8.self).trimmingWhitespace()
        return region.isEmpty ? nil : region
    }
}

/// The default chain, in botocore's order for the sources scalebridge supports.
package enum AWSCredentialChain {
    package struct Endpoints: Sendable {
        package var sts: String?
        package var containerBase: String
        package var imds: String?

        package init(sts: String? = nil, containerBase: String = "http://169.254.170.2", imds: String? = nil) {
            self.sts = sts
            self.containerBase = containerBase
            self.imds = imds
        }
    }

    package static func `default`(environment: [String: String], transport: any HTTPTransport, region: String?, profile: String? = nil, endpoints: Endpoints = Endpoints()) -> ChainCredentialProvider {
        ChainCredentialProvider([
            EnvironmentCredentialProvider(environment: environment),
            WebIdentityCredentialProvider(environment: environment, transport: transport, region: region, endpoint: endpoints.sts),
            SharedFileCredentialProvider(environment: environment, profile: profile),
            ContainerCredentialProvider(environment: environment, transport: transport, relativeBase: endpoints.containerBase),
            IMDSCredentialProvider(environment: environment, transport: transport, endpoint: endpoints.imds),
        ])
    }

    /// Region from config, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile, then IMDS.
    /// Where the region is looked for, in order, for the error when none has it.
    package static let regionSources = "the sink's `region`, AWS_REGION, AWS_DEFAULT_REGION, the profile in the AWS config file, ECS task metadata (ECS_CONTAINER_METADATA_URI_V4), EC2 instance metadata"

    /// The region, from config, the environment, the profile, then the ECS or EC2 metadata;
    /// nil when none has it (never a silent default).
    package static func region(configured: String?, environment: [String: String], transport: any HTTPTransport, imds: String? = nil) async -> String? {
        if let configured, !configured.isEmpty { return configured }
        for key in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[key], !value.isEmpty { return value }
        }
        if let region = SharedFileCredentialProvider(environment: environment).region() { return region }
        if let base = environment["ECS_CONTAINER_METADATA_URI_V4"], !base.isEmpty {
            var request = HTTPRequest(url: base + "/task")
            request.options.timeout = .seconds(2)
            request.options.bypassProxy = true
            // The task ARN is arn:aws:ecs:REGION:ACCOUNT:task/…
            if let response = try? await transport.send(request), response.isSuccess,
                case .object(let task)? = JSONValue.parse(response.body), case .string(let arn)? = task["TaskARN"]
            {
                let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count > 3, !parts[3].isEmpty { return String(parts[3]) }
            }
        }
        return await IMDSCredentialProvider(environment: environment, transport: transport, endpoint: imds).region()
    }
}
