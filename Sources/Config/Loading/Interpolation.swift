#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `${VAR}` and `${VAR:-default}` from an injected environment; `$$` is a literal `$`.
package enum Interpolation {
    package enum Failure: Error, Equatable {
        case undefined(String)
        case unterminated
        case badName(String)
    }

    package static func expand(_ text: String, environment: [String: String]) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                output.append(character)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard next < text.endIndex, text[next] == "{" else {
                output.append("$")
                index = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else { return .failure(.unterminated) }
            let inner = String(text[text.index(after: next)..<close])
            let name: String
            var fallback: String? = nil
            if let separator = inner.firstRange(of: ":-") {
                name = String(inner[..<separator.lowerBound])
                fallback = String(inner[separator.upperBound...])
            } else {
                name = inner
            }
            guard let first = name.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII),
                name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) })
            else { return .failure(.badName(name)) }
            if let value = environment[name], !(value.isEmpty && fallback != nil) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                return .failure(.undefined(name))
            }
            index = text.index(after: close)
        }
        return .success(output)
    }
}
