#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Just enough XML for AWS Query-protocol answers: the text of the first element with a name.
package enum XMLText {
    package static func first(_ tag: String, in xml: String) -> String? {
        guard let open = xml.firstRange(of: "<\(tag)>"), let close = xml[open.upperBound...].firstRange(of: "</\(tag)>") else {
            return nil
        }
        return unescape(String(xml[open.upperBound..<close.lowerBound]))
    }

    package static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacing("&lt;", with: "<").replacing("&gt;", with: ">")
            .replacing("&quot;", with: "\"").replacing("&apos;", with: "'")
            .replacing("&amp;", with: "&")
    }
}

