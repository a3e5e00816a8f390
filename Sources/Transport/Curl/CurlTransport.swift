import CCurl
import CCurlShim
import Threads

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization

/// The real transport: libcurl's multi interface driven by one dedicated thread, so blocking
/// work never touches Swift's cooperative pool, many transfers run at once, one slow server only
/// costs its own timeout, and connections are reused across requests.
package final class CurlTransport: HTTPTransport, Sendable {
    private let loop: CurlLoop
    private let proxies: ProxySettings

    /// - Parameter environment: where `HTTP(S)_PROXY` and `NO_PROXY` are read from.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        proxies = ProxySettings(environment: environment)
        loop = CurlLoop()
        loop.start()
    }

    deinit { loop.stop() }

    /// Stops the loop; in-flight transfers fail with `cancelled`. Idempotent.
    package func shutdown() { loop.stop() }

    /// Sends the request, following redirects one checked hop at a time as its
    /// `RedirectPolicy` allows.
    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        if !request.options.allowFile, request.url.utf8.prefix(5).map({ $0 | 0x20 }).elementsEqual("file:".utf8) {
            throw TransportError(.invalidURL, "file:// is only read for scrape targets", url: request.url)
        }
        var current = request
        var hops = 0
        while true {
            var response = try await transfer(current)
            guard (300..<400).contains(response.status), let location = response.redirectURL else {
                response.redirectCount = hops
                return response
            }
            guard hops < request.options.maxRedirects || request.options.redirects == .none else {
                throw TransportError(.tooManyRedirects, "more than \(request.options.maxRedirects) redirects", url: request.url)
            }
            current = try request.options.redirects.next(after: current, status: response.status, location: location)
            hops += 1
        }
    }

    private func transfer(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let proxy = request.options.bypassProxy ? nil : proxies.proxy(for: request.url)
        let holder = Mutex<CurlTransfer?>(nil)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                    let transfer = CurlTransfer(request: request, proxy: proxy, continuation: continuation)
                    holder.withLock { $0 = transfer }
                    // A cancellation that came before the transfer existed found nothing to flag.
                    if Task.isCancelled { transfer.cancelled.store(true, ordering: .relaxed) }
                    loop.submit(transfer)
                }
            } onCancel: {
                if let transfer = holder.withLock({ $0 }) {
                    transfer.cancelled.store(true, ordering: .relaxed)
                    loop.wake()
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.other, "\(error)", url: request.url)
        }
    }
}

/// Owns the multi handle and the thread that drives it.
private final class CurlLoop: @unchecked Sendable {
    private struct Shared {
        var pending: [CurlTransfer] = []
        var stopping = false
        /// A submitter has woken the loop and it has not yet taken `pending`: later submitters
        /// need not wake it again (a cycle submits its scrapes back to back).
        var wakePending = false
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    private let shared = Mutex(Shared())
    private let multi: UnsafeMutableRawPointer
    /// Touched by the loop thread only.
    private var active: [CurlTransfer] = []

    init() {
        _ = CurlLoop.globalInit
        multi = curl_multi_init()
        CCurlShim_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, OpenFiles.connectionCacheSize(openFileLimit: OpenFiles.softLimit))
    }

    deinit { curl_multi_cleanup(multi) }

    func start() {
        // The thread holds the loop strongly until it ends, so the multi handle outlives it.
        startThread(name: "sb-curl") { [self] in self.run() }
    }

    func submit(_ transfer: CurlTransfer) {
        let (accepted, needsWake) = shared.withLock { state -> (Bool, Bool) in
            if state.stopping { return (false, false) }
            state.pending.append(transfer)
            defer { state.wakePending = true }
            return (true, !state.wakePending)
        }
        if !accepted {
            transfer.finish(.failure(TransportError(.cancelled, "transport is shut down", url: transfer.request.url)))
        } else if needsWake {
            wake()
        }
    }

    func wake() { curl_multi_wakeup(multi) }

    func stop() {
        let first = shared.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { wake() }
    }

    private func run() {
        while true {
            let (incoming, stopping) = shared.withLock { state in
                defer {
                    state.pending.removeAll()
                    state.wakePending = false
                }
                return (state.pending, state.stopping)
            }
            for transfer in incoming {
                if let error = transfer.configure() {
                    transfer.finish(.failure(error))
                } else if transfer.cancelled.load(ordering: .relaxed) {
                    transfer.finish(.failure(TransportError(.cancelled, "transfer cancelled", url: transfer.request.url)))
                } else {
                    curl_multi_add_handle(multi, transfer.easy)
                    active.append(transfer)
                }
            }
            if stopping {
                for transfer in active { remove(transfer, error: TransportError(.cancelled, "transport is shut down", url: transfer.request.url)) }
                active.removeAll()
                return
            }
            for transfer in active where transfer.cancelled.load(ordering: .relaxed) {
                remove(transfer, error: TransportError(.cancelled, "transfer cancelled", url: transfer.request.url))
            }
            active.removeAll { $0.finished }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard CCurlShim_msg_is_done(message) != 0, let easy = CCurlShim_msg_easy_handle(message) else { continue }
                let code = CCurlShim_msg_result(message)
                var privatePointer: UnsafeMutableRawPointer? = nil
                CCurlShim_getinfo_pointer(easy, CURLINFO_PRIVATE, &privatePointer)
                curl_multi_remove_handle(multi, easy)
                guard let privatePointer else { continue }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(privatePointer).takeUnretainedValue()
                transfer.complete(with: code)
            }
            active.removeAll { $0.finished }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func remove(_ transfer: CurlTransfer, error: TransportError) {
        if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
        transfer.finish(.failure(error))
    }
}
