#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Just enough XML for AWS Query-protocol answers: the text of the first element with a name.
package enum XMLText {
    package static func first(_ tag: String, in xml: String) -> String? {
        guard let open = xml.firstRange(of: "<\(tag)>"), let close = xml[open.upperBound...].firstRange(of: "</\(tag)>")
        else {
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

/// An element of a small XML answer (EC2 `DescribeInstances`), where order and nesting matter:
/// element names, text and children; attributes, comments and processing instructions skipped.
package struct XMLElement: Sendable {
    package var name: String
    package var text: String = ""
    package var children: [XMLElement] = []

    /// The first child with a name, or nil.
    package subscript(_ child: String) -> XMLElement? { children.first { $0.name == child } }
    /// Children named `item` (AWS lists).
    package var items: [XMLElement] { children.filter { $0.name == "item" } }

    /// The root element, or nil for input that is not well nested. Nesting deeper than
    /// `maxDepth` is refused, so no answer can exhaust the stack.
    package static func parse(_ xml: String, maxDepth: Int = 64) -> XMLElement? {
        let bytes = Array(xml.utf8)
        var stack: [XMLElement] = []
        var root: XMLElement? = nil
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                if !stack.isEmpty {
                    stack[stack.count - 1].text += XMLText.unescape(
                        String(decoding: bytes[start..<index], as: UTF8.self)
                    )
                }
                continue
            }
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            let tag = bytes[(index + 1)..<end]
            index = end + 1
            guard let first = tag.first, first != UInt8(ascii: "?"), first != UInt8(ascii: "!") else { continue }
            let selfClosing = tag.last == UInt8(ascii: "/")
            let body = first == UInt8(ascii: "/") ? tag.dropFirst() : (selfClosing ? tag.dropLast() : tag)
            let name = String(
                decoding: body.prefix {
                    $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\n")
                },
                as: UTF8.self
            )
            if first == UInt8(ascii: "/") {
                guard let closed = stack.popLast(), closed.name == name else { return nil }
                if stack.isEmpty { root = closed } else { stack[stack.count - 1].children.append(closed) }
            } else if selfClosing {
                guard !stack.isEmpty else { return XMLElement(name: name) }
                stack[stack.count - 1].children.append(XMLElement(name: name))
            } else {
                guard stack.count < maxDepth, root == nil else { return nil }
                stack.append(XMLElement(name: name))
            }
        }
        return stack.isEmpty ? root : nil
    }
}
