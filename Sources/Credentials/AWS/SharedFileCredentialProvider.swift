#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Formats

/// `~/.aws/credentials` and `~/.aws/config` (or `AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`), profile from `AWS_PROFILE` or `default`. For one profile the
/// credentials file wins over the config file, as in botocore.
package struct SharedFileCredentialProvider: AWSCredentialProvider {
    package let name = "shared-files"
    let environment: [String: String]
    let profile: String?

    package init(environment: [String: String], profile: String? = nil) {
        self.environment = environment
        self.profile = profile
    }

    var profileName: String { profile ?? environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default" }

    var credentialsPath: String {
        environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path)/.aws/credentials"
    }

    var configPath: String { environment["AWS_CONFIG_FILE"] ?? "\(environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path)/.aws/config" }

    package func credentials() async throws(CredentialError) -> AWSCredentials {
        let profile = profileName
        var values: [String: String] = [:]
        if let config = INIFile.load(configPath) {
            values = config.sections[profile == "default" ? "default" : "profile \(profile)"] ?? config.sections[profile] ?? [:]
        }
        if let credentials = INIFile.load(credentialsPath), let section = credentials.sections[profile] {
            values.merge(section) { $1 }
        }
        guard let key = values["aws_access_key_id"] else {
            throw CredentialError(.notConfigured, provider: name, "no keys for profile \(profile) in \(credentialsPath) or \(configPath)")
        }
        guard let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw CredentialError(.invalid, provider: name, "profile \(profile) has aws_access_key_id but no aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }

    /// The profile's region from the config file, if any.
    package func region() -> String? {
        let profile = profileName
        guard let config = INIFile.load(configPath) else { return nil }
        return (config.sections[profile == "default" ? "default" : "profile \(profile)"] ?? config.sections[profile])?["region"]
    }
}

/// The INI dialect of the AWS shared files: `[section]`, `key = value`, `#`/`;` comments.
package struct INIFile: Sendable {
    package var sections: [String: [String: String]]

    package static func load(_ path: String) -> INIFile? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text)
    }

    package static func parse(_ text: String) -> INIFile {
        var sections: [String: [String: String]] = [:]
        var current: String? = nil
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingWhitespace()
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace().lowercased()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            sections[current]?[key] = value
        }
        return INIFile(sections: sections)
    }
}
