import CCurl
import CCurlShim
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Synchronization

/// One transfer's state. Created by the caller, then touched only by the loop thread, except
/// for the cancellation flag.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let proxy: String?
    let continuation: CheckedContinuation<HTTPResponse, any Error>
    let cancelled = Atomic<Bool>(false)

    // Loop-thread state.
    var easy: UnsafeMutableRawPointer? = nil
    var headerList: UnsafeMutablePointer<curl_slist>? = nil
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var exceededCap = false
    var finished = false

    init(request: HTTPRequest, proxy: String?, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.request = request
        self.proxy = proxy
        self.continuation = continuation
    }

    func finish(_ result: Result<HTTPResponse, TransportError>) {
        guard !finished else { return }
        finished = true
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        switch result {
        case .success(let response): continuation.resume(returning: response)
        case .failure(let error): continuation.resume(throwing: error)
        }
    }

    /// `SCALEBRIDGE_CURL_VERBOSE=1` makes libcurl trace transfers to stderr (headers included:
    /// never use it where credentials are sent).
    static let verbose = ProcessInfo.processInfo.environment["SCALEBRIDGE_CURL_VERBOSE"] == "1"

    // MARK: configuring the easy handle

    /// Sets every option. Returns an error instead of a handle when the request is unusable.
    func configure() -> TransportError? {
        guard let handle = curl_easy_init() else {
            return TransportError(.other, "libcurl could not create a handle", url: request.url)
        }
        easy = handle
        let options = request.options
        let userdata = Unmanaged.passUnretained(self).toOpaque()

        var failures: [CURLcode] = []
        func check(_ code: CURLcode) { if code != CURLE_OK { failures.append(code) } }

        check(CCurlShim_setopt_string(handle, CURLOPT_URL, request.url))
        check(CCurlShim_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        // 64 KiB reads instead of libcurl's 16 KiB: a 66 KB page takes ~3 reads and write
        // callbacks instead of ~6 (−7 % CPU per `run` tick side by side, +170 KiB resident).
        check(CCurlShim_setopt_long(handle, CURLOPT_BUFFERSIZE, 64 << 10))
        if CurlTransfer.verbose { check(CCurlShim_setopt_long(handle, CURLOPT_VERBOSE, 1)) }
        check(CCurlShim_setopt_string(handle, CURLOPT_PROTOCOLS_STR, options.allowFile ? "http,https,file" : "http,https"))
        // CurlTransport follows redirects itself, one checked hop at a time (RedirectPolicy).
        check(CCurlShim_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        check(CCurlShim_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout.milliseconds)))
        check(CCurlShim_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(options.timeout.milliseconds)))
        check(CCurlShim_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, options.verifyTLS ? 1 : 0))
        check(CCurlShim_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, options.verifyTLS ? 2 : 0))
        if let caFile = options.caFile { check(CCurlShim_setopt_string(handle, CURLOPT_CAINFO, caFile)) }
        // Empty string: no proxy, and libcurl must not read the environment on its own.
        check(CCurlShim_setopt_string(handle, CURLOPT_PROXY, proxy ?? ""))
        // "" = offer every encoding libcurl can decode; the body cap then applies to decoded bytes.
        check(CCurlShim_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""))
        check(CCurlShim_setopt_pointer(handle, CURLOPT_PRIVATE, userdata))
        check(CCurlShim_setopt_write_function(handle, curlWriteCallback))
        check(CCurlShim_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata))
        check(CCurlShim_setopt_header_function(handle, curlHeaderCallback))
        check(CCurlShim_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata))
        if options.maxBodyBytes > 0 {
            // Only effective when Content-Length is known; the write callback covers the rest.
            check(CCurlShim_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxBodyBytes)))
        }

        var body = request.body
        var headers = request.headers
        if options.gzipBody, let plain = body {
            body = Gzip.compress(plain)
            headers.append(HTTPHeader("Content-Encoding", "gzip"))
        }
        switch request.method {
        case .get: check(CCurlShim_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case .head: check(CCurlShim_setopt_long(handle, CURLOPT_NOBODY, 1))
        case .post: check(CCurlShim_setopt_long(handle, CURLOPT_POST, 1))
        case .put, .patch, .delete: check(CCurlShim_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        }
        if let body {
            check(CCurlShim_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            body.withUnsafeBufferPointer { buffer in
                // COPYPOSTFIELDS copies now, so the Swift array need not outlive this call.
                let pointer = UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                check(CCurlShim_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer))
            }
            // No "Expect: 100-continue" round trip.
            headers.append(HTTPHeader("Expect", ""))
        } else if request.method == .post || request.method == .put || request.method == .patch {
            check(CCurlShim_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0))
            check(CCurlShim_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for header in headers {
            // "Name;" sends an empty header; "Name:" would remove it.
            let line = header.value.isEmpty && header.name != "Expect" ? "\(header.name);" : "\(header.name): \(header.value)"
            guard !line.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
                return TransportError(.invalidURL, "header \(header.name) contains a line break", url: request.url)
            }
            list = curl_slist_append(list, line)
        }
        headerList = list
        if let list { check(CCurlShim_setopt_slist(handle, CURLOPT_HTTPHEADER, list)) }
        if let first = failures.first {
            return TransportError(.other, "libcurl rejected an option: \(CurlErrors.text(first))", url: request.url)
        }
        return nil
    }

    // MARK: completion

    func complete(with code: CURLcode) {
        guard let handle = easy else { return }
        if exceededCap || code == CURLE_FILESIZE_EXCEEDED {
            finish(
                .failure(
                    TransportError(
                        .bodyTooLarge,
                        "response body is larger than the \(request.options.maxBodyBytes)-byte limit; raise the limit or "
                            + "reduce what the target exposes",
                        url: request.url
                    )
                )
            )
            return
        }
        if code != CURLE_OK {
            finish(.failure(CurlErrors.transportError(code, url: request.url, options: request.options)))
            return
        }
        var status = 0
        CCurlShim_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafePointer<CChar>? = nil
        CCurlShim_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.map { String(cString: $0) } ?? request.url
        if status == 0 && effectiveURL.utf8.prefix(5).map({ $0 | 0x20 }).elementsEqual("file:".utf8) { status = 200 }
        var location: UnsafePointer<CChar>? = nil
        CCurlShim_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location)
        var response = HTTPResponse(status: status, headers: headers, body: body, effectiveURL: effectiveURL)
        response.redirectURL = location.map { String(cString: $0) }
        finish(.success(response))
    }
}

// MARK: libcurl callbacks (C function pointers; context comes through userdata)

private let curlWriteCallback: CCurlShim_DataCallback = { pointer, size, count, userdata in
    guard let userdata, let pointer else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let cap = transfer.request.options.maxBodyBytes
    if cap > 0, transfer.body.count + length > cap {
        transfer.exceededCap = true
        return 0  // aborts the transfer with CURLE_WRITE_ERROR
    }
    if transfer.body.capacity == 0 {
        // One allocation for the whole body when its size is announced, instead of regrowing
        // (and copying) a 100 KB page several times per scrape.
        var announced: curl_off_t = -1
        if let easy = transfer.easy, CCurlShim_getinfo_off_t(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) == CURLE_OK, announced > 0 {
            transfer.body.reserveCapacity(cap > 0 ? min(Int(announced), cap) : Int(announced))
        }
    }
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

private let curlHeaderCallback: CCurlShim_DataCallback = { pointer, size, count, userdata in
    guard let userdata, let pointer else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.take(headerLine: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

extension CurlTransfer {
    /// One raw header line as libcurl hands it over: `Name: value\r\n`, or a status line.
    /// Read as bytes: a response has a dozen of these, and every tick reads four responses.
    func take(headerLine line: UnsafeBufferPointer<UInt8>) {
        if line.starts(with: "HTTP/".utf8) {
            // A new response in a redirect chain: keep only the last one's headers.
            headers.removeAll()
            body.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        // The value without the optional whitespace around it (RFC 9110 OWS) and the CRLF.
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var start = colon + 1
        var end = line.count
        while start < end, blank(line[start]) { start += 1 }
        while end > start, blank(line[end - 1]) { end -= 1 }
        headers.append(HTTPHeader(String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[start..<end], as: UTF8.self)))
    }
}


