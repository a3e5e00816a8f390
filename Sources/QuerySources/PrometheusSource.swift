import Credentials
import Exposition
import Formats
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Signing
import Transport

/// A Prometheus-compatible server as a source of signals: an instant query (`POST
/// /api/v1/query` with `query` and `time`), its answer read strictly. Credentials never follow a
/// redirect.
package struct PrometheusSource: Sendable {
    package enum Auth: Sendable {
        case none
        case header(String)
        case sigv4(credentials: any AWSCredentialProvider, region: String, service: String)
        case token(any TokenProvider)
    }

    /// What the server said, decided the way a scrape is.
    package enum Answer: Sendable {
        /// Series (labels without `__name__`) or a scalar (one series with no labels).
        case values([Sample], warnings: [String])
        /// The server evaluated the query and refused it (`status: error`): a failed input.
        case failed(String)
        /// No usable answer (timeout, refused connection, 5xx, not Prometheus' API): the
        /// signal's `on_target_down` decides.
        case down(String)
    }

    package let name: String
    package let url: String
    let auth: Auth
    let headers: [HTTPHeader]
    let timeout: Duration
    let transport: any HTTPTransport

    package init(name: String, url: String, auth: Auth, headers: [HTTPHeader], timeout: Duration, transport: any HTTPTransport) {
        self.name = name
        self.url = url
        self.auth = auth
        self.headers = headers
        self.timeout = timeout
        self.transport = transport
    }

    package var endpoint: String { url + "/api/v1/query" }

    /// Milliseconds as Prometheus' API takes time: seconds with a fraction.
    static func seconds(_ time: Int64) -> String { "\(time / 1000).\(String(format3: Int(time % 1000)))" }

    /// The request for `expr` at `time` (milliseconds), signed or authorised.
    package func request(_ expr: String, time: Int64, now: Date = Date()) async throws(SourceError) -> HTTPRequest {
        try await request(endpoint, Self.instantForm(expr, time: time), now: now)
    }

    /// The instant query's form: `query` and `time`.
    static func instantForm(_ expr: String, time: Int64) -> String { "query=\(PercentEncoding.encode(expr))&time=\(seconds(time))" }

    /// A form POST to `endpoint`, signed or authorised.
    func request(_ endpoint: String, _ form: String, now: Date = Date()) async throws(SourceError) -> HTTPRequest {
        let body = Array(form.utf8)
        var request = HTTPRequest(method: .post, url: endpoint, headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")] + headers, body: body)
        request.options = .cloudAPI(timeout: timeout)
        switch auth {
        case .none: break
        case .header(let value): request.headers.append(HTTPHeader("Authorization", value))
        case .token(let tokens):
            do {
                request.headers.append(HTTPHeader("Authorization", "Bearer \(try await tokens.token().value)"))
            } catch {
                throw SourceError(error.code == .network ? .down : .auth, "no token for source \(name): \(error.description)")
            }
        case .sigv4(let credentials, let region, let service):
            let resolved: AWSCredentials
            do {
                resolved = try await credentials.credentials()
            } catch {
                throw SourceError(error.code == .network ? .down : .auth, "no AWS credentials for source \(name): \(error.message)")
            }
            let signed = SigV4Signer(credentials: resolved, region: region, service: service).sign(
                method: "POST", url: endpoint, headers: request.headers.map { ($0.name, $0.value) }, body: body, date: now)
            for (header, value) in signed.headers { request.headers.append(HTTPHeader(header, value)) }  // X-Amz-Date, the session token and Authorization
        }
        return request
    }

    package func query(_ expr: String, time: Int64) async -> Answer {
        switch await post(endpoint, Self.instantForm(expr, time: time)) {
        case .success(let response): Self.decode(status: response.status, body: response.body, source: name)
        case .failure(let problem): problem.down ? .down(problem.message) : .failed(problem.message)
        }
    }

    /// Why a request got no answer to decode: down (on_target_down decides) or failed.
    struct Unanswered: Error {
        var down: Bool
        var message: String
    }

    /// The signed or authorised form POST, sent: the response, or why there is none.
    func post(_ endpoint: String, _ form: String) async -> Result<HTTPResponse, Unanswered> {
        let request: HTTPRequest
        do {
            request = try await self.request(endpoint, form)
        } catch {
            return .failure(Unanswered(down: error.kind == .down, message: error.message))
        }
        do {
            return .success(try await transport.send(request))
        } catch {
            return .failure(error.code == .redirect ? Unanswered(down: false, message: "source \(name) \(error.message)") : Unanswered(down: true, message: "source \(name) unreachable: \(error.message)"))
        }
    }

    /// A signal's history: each series' points from a range query.
    package enum RangeAnswer: Sendable {
        case series([(labels: Labels, points: [Int64: Double])], warnings: [String])
        case failed(String)
        case down(String)

        /// The answer an instant query at `time` would have given, as far as the range shows it.
        package func answer(at time: Int64) -> Answer {
            switch self {
            case .series(let series, let warnings):
                return .values(series.compactMap { row in row.points[time].map { Sample(labels: row.labels, value: $0) } }, warnings: warnings)
            case .failed(let message): return .failed(message)
            case .down(let message): return .down(message)
            }
        }
    }

    /// `POST /api/v1/query_range` from `start` to `end` every `step` (milliseconds).
    package func queryRange(_ expr: String, start: Int64, end: Int64, step: Int64) async -> RangeAnswer {
        let form = "query=\(PercentEncoding.encode(expr))&start=\(Self.seconds(start))&end=\(Self.seconds(end))&step=\(Self.seconds(step))"
        switch await post(url + "/api/v1/query_range", form) {
        case .success(let response): return Self.decodeRange(status: response.status, body: response.body, source: name)
        case .failure(let problem): return problem.down ? .down(problem.message) : .failed(problem.message)
        }
    }

    /// A range query's answer: a matrix of `{metric, values: [[time, "number"], …]}`.
    package static func decodeRange(status: Int, body: [UInt8], source: String) -> RangeAnswer {
        guard let object = JSONValue.parse(body), object.object != nil else { return .down("source \(source) answered HTTP \(status) with something that is not Prometheus' API") }
        if object["status"]?.string == "error" {
            return .failed("source \(source): \(object["errorType"]?.string ?? "error"): \(object["error"]?.string ?? "no message")")
        }
        guard (200..<300).contains(status), object["status"]?.string == "success", let data = object["data"], data["resultType"]?.string == "matrix", let rows = data["result"]?.array else {
            return .down("source \(source) answered HTTP \(status) without a matrix")
        }
        var series: [(labels: Labels, points: [Int64: Double])] = []
        for row in rows {
            guard let metric = row["metric"]?.object, let values = row["values"]?.array else { return .failed("source \(source): a matrix row is not {metric, values}") }
            var points: [Int64: Double] = [:]
            for pair in values {
                guard let pair = pair.array, pair.count == 2, let time = pair[0].number, let text = pair[1].string, let value = goFloat(text) else {
                    return .failed("source \(source): a matrix point is not [time, \"number\"]")
                }
                points[Int64((time * 1000).rounded())] = value
            }
            series.append((Labels(metric.compactMap { key, value in value.string.map { (key, $0) } }.filter { $0.0 != "__name__" }), points))
        }
        return .series(series, warnings: object["warnings"]?.array?.compactMap(\.string) ?? [])
    }

    /// Prometheus' answer: `{"status":"success","data":{"resultType":…,"result":…},"warnings":[…]}`
    /// or `{"status":"error","errorType":…,"error":…}`. Anything else is not a usable answer.
    package static func decode(status: Int, body: [UInt8], source: String) -> Answer {
        guard let object = JSONValue.parse(body), object.object != nil else {
            return status >= 500 || status == 429 || status == 408 ? .down("source \(source) answered HTTP \(status)") : .down("source \(source) answered HTTP \(status) with something that is not Prometheus' API")
        }
        let warnings = object["warnings"]?.array?.compactMap(\.string) ?? []
        if object["status"]?.string == "error" {
            let kind = object["errorType"]?.string ?? "error"
            let message = "source \(source): \(kind): \(object["error"]?.string ?? "no message")"
            // 503/504 with an error body are the server's own trouble (timeouts, shutting down).
            return status >= 500 && kind != "bad_data" && kind != "execution" ? .down(message) : .failed(message)
        }
        guard (200..<300).contains(status), object["status"]?.string == "success", let data = object["data"], let type = data["resultType"]?.string else {
            return .down("source \(source) answered HTTP \(status) without a success status")
        }
        switch type {
        case "vector":
            guard let rows = data["result"]?.array else { return .failed("source \(source): a vector without a result list") }
            var samples: [Sample] = []
            for row in rows {
                guard let metric = row["metric"]?.object, let pair = row["value"]?.array, pair.count == 2, let text = pair[1].string, let value = goFloat(text) else {
                    return .failed("source \(source): a vector sample is not {metric, value: [time, \"number\"]}")
                }
                let labels = metric.compactMap { key, value in value.string.map { (key, $0) } }.filter { $0.0 != "__name__" }
                samples.append(Sample(labels: Labels(labels), value: value))
            }
            return .values(samples, warnings: warnings)
        case "scalar":
            guard let pair = data["result"]?.array, pair.count == 2, let text = pair[1].string, let value = goFloat(text) else {
                return .failed("source \(source): a scalar is not [time, \"number\"]")
            }
            return .values([Sample(labels: Labels(), value: value)], warnings: warnings)
        default:
            return .failed("source \(source): a \(type) result is not a signal; use an expression that gives an instant vector or a scalar")
        }
    }

    /// Go's float text as Prometheus writes it: decimal, `NaN`, `+Inf`, `-Inf`.
    package static func goFloat(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }
}

package struct SourceError: Error, Sendable {
    package enum Kind: Sendable { case down, auth }
    package var kind: Kind
    package var message: String
    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

extension String {
    init(format3 value: Int) {
        let digits = String(value)
        self = String(repeating: "0", count: Swift.max(0, 3 - digits.count)) + digits
    }

}
