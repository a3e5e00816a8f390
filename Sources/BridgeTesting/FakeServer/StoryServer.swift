import Synchronization

extension FakeHTTPServer {
    /// Serves one page per request, in order, then the last one again: a queue's story over
    /// cycles. A nil value answers HTTP 503 (an outage).
    package static func story(_ values: [Double?], page: @escaping @Sendable (Double) -> String) throws
        -> FakeHTTPServer
    {
        let served = Mutex(0)
        return try FakeHTTPServer { _ in
            let index = served.withLock { count in
                defer { count += 1 }
                return min(count, values.count - 1)
            }
            guard let value = values[index] else { return FakeResponse(status: 503, text: "overloaded\n") }
            return FakeResponse(text: page(value))
        }
    }
}
