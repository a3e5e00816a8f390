import Foundation

/// A `kB` field of `/proc/<pid>/status` (`RssFile`, `VmRSS`, …): of this process when `pid` is
/// nil. Nil where there is no such process, file or field (not Linux).
package func procStatusKiB(_ key: String, pid: Int32? = nil) -> Int? {
    let path = "/proc/\(pid.map(String.init) ?? "self")/status"
    guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
    return line.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
}
