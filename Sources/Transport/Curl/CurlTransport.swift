import CCurl
import CCurlShim
import Synchronization
import Threads

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
                throw TransportError(
                    .tooManyRedirects,
                    "more than \(request.options.maxRedirects) redirects",
                    url: request.url
                )
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
                try await withCheckedThrowingContinuation {
                    (continuation: CheckedContinuation<HTTPResponse, any Error>) in
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

/// Owns the multi handle and the thread that drives it, through libcurl's multi_socket
/// interface: libcurl says which sockets to watch (`socketCallback`) and when it next needs
/// time (`timerCallback`); the loop polls those sockets and a wake-up pipe, and hands libcurl
/// only the sockets that are ready. `curl_multi_perform` instead visits every transfer on every
/// turn, and asks the kernel about each one's socket: about 1,900 `poll` calls a tick on a
/// 100-target fleet (design 0001).
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
    /// The wake-up pipe: read end polled by the loop, write end written by `wake()`.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Touched by the loop thread only (libcurl calls the callbacks from inside its calls).
    private var active: [CurlTransfer] = []
    /// The sockets libcurl wants watched, and for what (`POLLIN`/`POLLOUT`).
    fileprivate var watched: [curl_socket_t: Int16] = [:]
    /// When libcurl next wants `CURL_SOCKET_TIMEOUT` (its timeouts and new transfers), if ever.
    fileprivate var timerDeadline: ContinuousClock.Instant? = nil

    init() {
        _ = CurlLoop.globalInit
        multi = curl_multi_init()
        CCurlShim_multi_setopt_long(
            multi,
            CURLMOPT_MAXCONNECTS,
            OpenFiles.connectionCacheSize(openFileLimit: OpenFiles.softLimit)
        )
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            }
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        CCurlShim_multi_setopt_socket_function(multi, curlSocketCallback, userdata)
        CCurlShim_multi_setopt_timer_function(multi, curlTimerCallback, userdata)
    }

    deinit {
        // No callback into an object being torn down while libcurl closes its connections.
        CCurlShim_multi_setopt_socket_function(multi, nil, nil)
        CCurlShim_multi_setopt_timer_function(multi, nil, nil)
        curl_multi_cleanup(multi)
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

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

    /// Thread-safe; a full pipe already has a wake-up in it.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func stop() {
        let first = shared.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { wake() }
    }

    private func run() {
        var polled: [pollfd] = []
        var drain = [UInt8](repeating: 0, count: 64)
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
                    transfer.finish(
                        .failure(TransportError(.cancelled, "transfer cancelled", url: transfer.request.url))
                    )
                } else {
                    curl_multi_add_handle(multi, transfer.easy)
                    active.append(transfer)
                }
            }
            if stopping {
                for transfer in active {
                    remove(
                        transfer,
                        error: TransportError(.cancelled, "transport is shut down", url: transfer.request.url)
                    )
                }
                active.removeAll()
                return
            }
            for transfer in active where transfer.cancelled.load(ordering: .relaxed) {
                remove(transfer, error: TransportError(.cancelled, "transfer cancelled", url: transfer.request.url))
            }
            active.removeAll { $0.finished }

            if let deadline = timerDeadline, deadline <= .now {
                timerDeadline = nil
                act(on: CCurlShim_socket_timeout(), events: 0)
            }
            // Wait for a watched socket, the next libcurl timeout or a wake-up; at most 1 s.
            var wait = 1000
            if let deadline = timerDeadline {
                let left = ContinuousClock.now.duration(to: deadline)
                wait = min(wait, left <= .zero ? 0 : Int(left.milliseconds) + 1)  // never early
            }
            polled.removeAll(keepingCapacity: true)
            polled.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            for (socket, events) in watched { polled.append(pollfd(fd: socket, events: events, revents: 0)) }
            guard poll(&polled, nfds_t(polled.count), Int32(wait)) > 0 else { continue }
            if polled[0].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            var ready = 0
            for entry in polled.dropFirst() where entry.revents != 0 {
                ready += 1
                var events: Int32 = 0
                if entry.revents & Int16(POLLIN | POLLHUP) != 0 { events |= CURL_CSELECT_IN }
                if entry.revents & Int16(POLLOUT) != 0 { events |= CURL_CSELECT_OUT }
                if entry.revents & Int16(POLLERR | POLLNVAL) != 0 { events |= CURL_CSELECT_ERR }
                act(on: entry.fd, events: events)
            }
            // With a fleet's transfers running, let readiness gather for a moment instead of
            // waking for each socket as it turns ready: the pages then come in a few rounds,
            // not one wake-up each (design 0001).
            if ready > 0, active.count >= CurlLoop.gatherFrom { usleep(CurlLoop.gather) }
        }
    }

    /// How long a busy loop lets events gather between rounds, in microseconds: what it adds to
    /// each round trip while a fleet's transfers run.
    static let gather: UInt32 = 1000
    /// Transfers running at once from which the loop gathers. A handful of sockets rarely turn
    /// ready within the same millisecond, so there it would only add latency (`once`, sinks).
    static let gatherFrom = 8

    /// Lets libcurl work on one ready socket (or its timeouts), then completes what finished.
    private func act(on socket: curl_socket_t, events: Int32) {
        var running: Int32 = 0
        curl_multi_socket_action(multi, socket, events, &running)
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
    }

    private func remove(_ transfer: CurlTransfer, error: TransportError) {
        if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
        transfer.finish(.failure(error))
    }
}

// MARK: libcurl's multi_socket callbacks (C function pointers; the loop comes through userdata)

private let curlSocketCallback: CCurlShim_SocketCallback = { _, socket, what, userdata, _ in
    guard let userdata else { return -1 }
    let loop = Unmanaged<CurlLoop>.fromOpaque(userdata).takeUnretainedValue()
    if what == CURL_POLL_REMOVE {
        loop.watched[socket] = nil
    } else {
        var events: Int16 = 0
        if what & CURL_POLL_IN != 0 { events |= Int16(POLLIN) }
        if what & CURL_POLL_OUT != 0 { events |= Int16(POLLOUT) }
        loop.watched[socket] = events
    }
    return 0
}

private let curlTimerCallback: CCurlShim_TimerCallback = { _, timeout, userdata in
    guard let userdata else { return -1 }
    let loop = Unmanaged<CurlLoop>.fromOpaque(userdata).takeUnretainedValue()
    loop.timerDeadline = timeout < 0 ? nil : .now + .milliseconds(timeout)
    return 0
}
