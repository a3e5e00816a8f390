import Config
import Transport

extension AWSCredentialChain {
    /// The region, as `region(...)` finds it; none is a config error at `location`, naming
    /// where it looked (never a silent us-east-1). Shared by every AWS consumer.
    package static func requiredRegion(
        configured: String?,
        environment: [String: String],
        transport: any HTTPTransport,
        imds: String? = nil,
        at location: SourceLocation,
        path: String,
        hint: String? = nil
    ) async throws(ConfigErrors) -> String {
        guard
            let region = await region(
                configured: configured,
                environment: environment,
                transport: transport,
                imds: imds
            )
        else {
            throw ConfigErrors([
                ConfigError(location, path, "no AWS region found; looked in \(regionSources)", hint: hint)
            ])
        }
        return region
    }
}
