import CCurl

enum CurlErrors {
    static func text(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    static func transportError(_ code: CURLcode, url: String, options: RequestOptions) -> TransportError {
        let detail = text(code)
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return TransportError(.invalidURL, "unusable URL (\(detail)); use http://, https:// or file://", url: url)
        case CURLE_COULDNT_RESOLVE_HOST:
            return TransportError(.dns, "host name could not be resolved (\(detail))", url: url)
        case CURLE_COULDNT_RESOLVE_PROXY:
            return TransportError(.proxy, "proxy host could not be resolved; check HTTPS_PROXY/HTTP_PROXY", url: url)
        case CURLE_COULDNT_CONNECT:
            return TransportError(.connect, "connection refused or unreachable (\(detail)); is the target up?", url: url)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(
                .timeout,
                "timed out (connect \(options.connectTimeout.milliseconds) ms, total \(options.timeout.milliseconds) ms)",
                url: url
            )
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return TransportError(
                .tls,
                "TLS certificate verification failed (\(detail)); fix the certificate, set tls.ca_file, or as a last "
                    + "resort set tls.insecure_skip_verify for this one target",
                url: url
            )
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND:
            return TransportError(.tls, "TLS handshake failed (\(detail))", url: url)
        case CURLE_TOO_MANY_REDIRECTS:
            return TransportError(.tooManyRedirects, "more than \(options.maxRedirects) redirects", url: url)
        case CURLE_FILE_COULDNT_READ_FILE, CURLE_READ_ERROR:
            return TransportError(.file, "file could not be read (\(detail)); check the path and permissions", url: url)
        case CURLE_ABORTED_BY_CALLBACK:
            return TransportError(.cancelled, "transfer cancelled", url: url)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY,
            CURLE_HTTP2, CURLE_BAD_CONTENT_ENCODING:
            return TransportError(.protocolError, "connection failed mid-transfer (\(detail))", url: url)
        default:
            return TransportError(.other, "transfer failed (\(detail))", url: url)
        }
    }
}
