import Transport

/// A failed publish. Retryable errors may succeed later; permanent ones need an operator.
package struct SinkError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, CaseIterable {
        case network, throttled, server, auth, invalid, io
    }

    package var code: Code
    package var message: String
    package var retryable: Bool
    package var retryAfter: Duration?
    /// For a permanent error that refused only part of a publication: how many points were
    /// refused (the rest were delivered). Nil means the whole publication.
    package var rejectedPoints: Int? = nil
    /// The points of the publication the destination has not acknowledged (`Delivery`); nil
    /// means none were: all of it is still to send.
    package var undelivered: Publication? = nil
    /// A batch the destination answered point by point: which of its points (by index in the
    /// batch) it accepted, and which it refused for good. The others failed this time.
    package var partial: PartialAnswer? = nil

    package init(_ code: Code, _ message: String, retryable: Bool, retryAfter: Duration? = nil, rejectedPoints: Int? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
        self.rejectedPoints = rejectedPoints
    }

    package var description: String { message }
}

extension SinkError {
    /// A request that got no usable answer. Retryable, except a redirect: credentials never
    /// follow one, so only a corrected endpoint helps.
    package init(_ error: TransportError, service: String) {
        switch error.code {
        case .redirect: self.init(.invalid, "\(service) \(error.message)", retryable: false)
        default: self.init(.network, "\(service) unreachable: \(error.message)", retryable: true)
        }
    }
}

/// What a destination did with each point of a batch it refused in part (Cloud Monitoring names
/// the time series it could not write).
package struct PartialAnswer: Sendable, Equatable {
    package var accepted: Set<Int>
    package var refused: Set<Int>

    package init(accepted: Set<Int>, refused: Set<Int>) {
        self.accepted = accepted
        self.refused = refused
    }
}
