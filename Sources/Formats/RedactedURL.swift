import Formats
/// URLs as they may be shown: userinfo and query string removed (either may hold a secret).
package enum RedactedURL {
    package static func display(_ url: String) -> String {
        var text = url
        if let query = text.firstIndex(of: "?") { text = String(text[..<query]) + "?…" }
        if let schemeEnd = text.firstRange(of: "://") {
            let afterScheme = text[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            if let at = afterScheme[..<authorityEnd].lastIndex(of: "@") {
                text = String(text[..<schemeEnd.upperBound]) + "[REDACTED]@" + String(afterScheme[afterScheme.index(after: at)...])
            }
        }
        return text
    }

    /// Every URL inside a message (`scheme://…` up to a space, quote, backtick or bracket),
    /// shown as `display` shows it: config errors echo values, and a value may be a URL.
    package static func inText(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = Substring(text)
        while let marker = rest.firstRange(of: "://") {
            var start = marker.lowerBound
            while start > rest.startIndex {
                let previous = rest.index(before: start)
                let c = rest[previous]
                guard c.isLetter || c.isNumber || c == "+" || c == "-" || c == "." else { break }
                start = previous
            }
            let end = rest[marker.upperBound...].firstIndex { " \t\n\"'`<>()[]{},".contains($0) } ?? rest.endIndex
            out += rest[..<start]
            out += display(String(rest[start..<end]))
            rest = rest[end...]
        }
        return out + rest
    }
}
