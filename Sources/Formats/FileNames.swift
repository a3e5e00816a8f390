/// File names made from config names (a sink's outbox and scaling state).
package enum FileNames {
    /// Letters, digits, `-` and `_` kept, anything else `_`. Two names that give the same
    /// component would share a file, so the config refuses such pairs.
    package static func component(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
