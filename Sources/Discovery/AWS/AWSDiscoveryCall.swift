import Credentials
import Signing
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One signed POST to an AWS API for a discoverer (EC2 query protocol, ECS JSON protocol):
/// credentials from the chain, SigV4, no redirects, a 10 s deadline. Only a successful answer
/// is returned; failures are worded for the operator and never carry a secret.
struct AWSDiscoveryCall: Sendable {
    let service: String
    let region: String
    let url: String
    let credentials: any AWSCredentialProvider
    let transport: any HTTPTransport

    func post(headers: [HTTPHeader], body: [UInt8], what: String) async throws(DiscoveryError) -> HTTPResponse {
        let resolved: AWSCredentials
        do {
            resolved = try await credentials.credentials()
        } catch {
            throw DiscoveryError("no AWS credentials for \(what): \(error.message)")
        }
        var request = HTTPRequest(method: .post, url: url, headers: headers, body: body)
        let signed = SigV4Signer(credentials: resolved, region: region, service: service).sign(
            method: "POST",
            url: url,
            headers: headers.map { ($0.name, $0.value) },
            body: body,
            date: Date()
        )
        for (name, value) in signed.headers { request.headers.append(HTTPHeader(name, value)) }  // X-Amz-Date, token, Authorization
        request.options = .cloudAPI(timeout: .seconds(10))
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw DiscoveryError("\(what): AWS is unreachable: \(error.message)")
        }
        guard response.isSuccess else {
            let (code, message) = AWSErrorBody.parse(response.body)
            throw DiscoveryError("\(service.uppercased()) answered HTTP \(response.status) \(code): \(message)")
        }
        return response
    }
}
