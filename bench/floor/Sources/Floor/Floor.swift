import CFloor
import FoundationEssentials

/// floor <base-url> <seconds>: GET <base>/t0..t2 once a second, then print VmRSS/RssAnon/RssFile.
@main
struct Floor {
    static func main() async throws {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        let handles = (0..<3).map { _ in curl_easy_init()! }
        var digest = [UInt8](repeating: 0, count: 32)
        EVP_Digest("x", 1, &digest, nil, EVP_sha256(), nil)
        let base = CommandLine.arguments[1]
        for _ in 0..<Int(CommandLine.arguments[2])! {
            for (index, handle) in handles.enumerated() { floor_get(handle, "\(base)/t\(index)") }
            try await Task.sleep(for: .seconds(1))
        }
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        print(status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("RssAnon") || $0.hasPrefix("RssFile") }.joined(separator: " "))
    }
}
