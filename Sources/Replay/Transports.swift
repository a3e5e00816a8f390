import Discovery
import Exposition
import Formats
import Scrape
import Synchronization
import Transport

/// Passes every request to `inner` and keeps each answer (by URL, in memory) until `take()`:
/// `record` pairs them with the cycle's targets.
package final class RecordingTransport: HTTPTransport {
    let inner: any HTTPTransport
    let kept = Mutex<[String: RecordedTick.Response]>([:])

    package init(_ inner: any HTTPTransport) { self.inner = inner }

    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        do {
            let response = try await inner.send(request)
            kept.withLock { $0[request.url] = RecordedTick.Response(response) }
            return response
        } catch {
            kept.withLock { $0[request.url] = RecordedTick.Response(error) }
            throw error
        }
    }

    /// The answers since the last call, by URL.
    package func take() -> [String: RecordedTick.Response] {
        kept.withLock { answers in
            defer { answers = [:] }; return answers
        }
    }
}

/// Serves one recorded cycle's answers: each replayed target asks for its own made-up URL.
package final class ReplayTransport: HTTPTransport {
    let answers = Mutex<[String: RecordedTick.Response]>([:])

    package init() {}

    package func load(_ answers: [String: RecordedTick.Response]) { self.answers.withLock { $0 = answers } }

    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        guard let answer = answers.withLock({ $0[request.url] }) else {
            throw TransportError(.other, "not in the recording", url: request.url)
        }
        if let code = answer.error {
            throw TransportError(TransportError.Code(rawValue: code) ?? .other, answer.message ?? "", url: request.url)
        }
        return HTTPResponse(
            status: answer.status ?? 200,
            headers: answer.contentType.map { [HTTPHeader("Content-Type", $0)] } ?? [],
            body: answer.bytes
        )
    }
}

/// The fleet as recorded: each cycle scrapes exactly the targets `record` saw.
package final class RecordedFleet: FleetSource {
    let view = Mutex(Fleet.View(targets: []))

    package init() {}

    package func load(_ view: Fleet.View) { self.view.withLock { $0 = view } }

    package func current() async -> Fleet.View { view.withLock { $0 } }

    package var groupNames: [String] { [] }
}

extension RecordedTick {
    /// The cycle's targets as `replay` scrapes them, each at a made-up URL its answer is
    /// served from, and the answers by those URLs.
    package func replayView() -> (view: Fleet.View, answers: [String: Response]) {
        var answers: [String: Response] = [:]
        var targets: [ScrapeTarget] = []
        for (index, target) in self.targets.enumerated() {
            // A file's format is sniffed from its name too: keep the name.
            let name = target.url.split(separator: "/").last.map(String.init) ?? "page"
            let url = target.file ? "file:///replay/\(index)/\(name)" : "http://replay.invalid/\(index)"
            var scrape = ScrapeTarget(name: target.job, url: url, instance: target.instance, format: ScrapeTarget.Format(rawValue: target.format) ?? .auto)
            scrape.labels = target.labels
            targets.append(scrape)
            answers[url] = target.response
        }
        let down = self.down.map { down in
            let labels = Labels([("__name__", "up"), ("instance", down.instance), ("job", down.job)])
            return ScrapeResult(
                target: down.job,
                instance: down.instance,
                outcome: .failure(ScrapeError(code: .transport, reason: "discovery", message: down.message)),
                duration: .zero,
                samples: [Sample(labels: labels, value: 0)]
            )
        }
        return (Fleet.View(targets: targets, retired: retired, down: down), answers)
    }

    /// What `record` keeps of a cycle: its targets paired with the answers the transport gave.
    package static func from(
        time: Int64,
        view: Fleet.View,
        answers: [String: Response],
        sources: [String: RecordedTick.Answer]
    ) -> RecordedTick {
        let targets = view.targets.map { target in
            Target(
                job: target.name,
                instance: target.instance,
                url: RedactedURL.display(target.url),
                labels: target.labels,
                format: target.format.rawValue,
                file: target.url.lowercased().hasPrefix("file:"),
                response: answers[target.url] ?? Response(TransportError(.other, "not scraped", url: target.url))
            )
        }
        let down = view.down.map { result -> Down in
            let message: String = if case .failure(let error) = result.outcome { error.message } else { "" }
            return Down(job: result.target, instance: result.instance, message: message)
        }
        return RecordedTick(time: time, targets: targets, retired: view.retired, down: down, answers: sources)
    }
}
