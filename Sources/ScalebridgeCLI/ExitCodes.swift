import ArgumentParser

/// Documented exit codes (docs/cli.md).
enum ExitCodes {
    /// Everything worked.
    static let success: Int32 = 0
    /// A target could not be scraped, a sink could not publish, or an expression failed.
    static let runtimeFailure: Int32 = 1
    /// The configuration (or an expression in it) is invalid.
    static let invalidConfig: Int32 = 2
    /// Wrong command-line usage (ArgumentParser's EX_USAGE).
    static let usage: Int32 = 64
}
