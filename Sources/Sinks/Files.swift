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

/// Replaces a state file so that a crash leaves either the old or the new content, never half of
/// one: write a temporary file beside it, fsync, rename over. Used by the outbox, the engine's
/// state and the Cloud Run scaler's windows.
package enum AtomicFile {
    package static func replace(_ path: String, with bytes: some Collection<UInt8>, createDirectory: Bool = true) throws(FileWriteError) {
        if createDirectory {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(description: "cannot create \(directory): \(error)")
            }
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileWriteError(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        if let code = writeAll(descriptor, bytes) {
            close(descriptor)
            unlink(temporary)
            throw FileWriteError(description: "cannot write \(temporary): \(String(cString: strerror(code)))")
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(description: "cannot replace \(path): \(String(cString: strerror(code)))")
        }
    }
}

/// Appends to files and standard output (the stdout and EMF sinks).
package enum OutputFile {
    package static func append(_ text: String, to path: String) throws(FileWriteError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileWriteError(description: "cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        if let code = writeAll(descriptor, text.utf8) {
            throw FileWriteError(description: "cannot write \(path): \(String(cString: strerror(code)))")
        }
    }

    /// Writes to standard output; a closed stdout is not worth failing a publish over.
    package static func standardOutput(_ text: String) {
        _ = writeAll(STDOUT_FILENO, text.utf8)
    }

    /// Log lines and command errors.
    package static func standardError(_ text: String) {
        _ = writeAll(STDERR_FILENO, text.utf8)
    }
}

package struct FileWriteError: Error, CustomStringConvertible {
    package let description: String
}

/// Writes every byte, retrying short writes and EINTR; the errno of a failure, or nil.
private func writeAll(_ descriptor: Int32, _ bytes: some Collection<UInt8>) -> Int32? {
    let content = Array(bytes)
    var offset = 0
    while offset < content.count {
        let written = content[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return written < 0 ? errno : EIO }
        offset += written
    }
    return nil
}
