extension StringProtocol {
    /// Without leading and trailing spaces and tabs (the exposition format's and YAML values' blanks).
    package func trimmingSpaces() -> String { trimming { $0 == " " || $0 == "\t" } }

    /// Without leading and trailing whitespace, line breaks included.
    package func trimmingWhitespace() -> String { trimming(\.isWhitespace) }

    /// Without leading and trailing characters that `drop` selects, e.g. the brackets of `[::1]`.
    package func trimming(_ drop: (Character) -> Bool) -> String {
        var slice = Substring(self)
        while let first = slice.first, drop(first) { slice = slice.dropFirst() }
        while let last = slice.last, drop(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
