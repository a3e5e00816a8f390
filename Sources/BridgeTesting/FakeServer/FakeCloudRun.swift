import Credentials
import Foundation
import Synchronization

/// An access token that is always valid (`Bearer ya29.run`), for sinks under test.
package struct StaticToken: TokenProvider {
    package init() {}
    package let name = "static"
    package func token() async throws(CredentialError) -> AccessToken {
        AccessToken("ya29.run", expiration: Date().addingTimeInterval(3600))
    }
}

/// A loopback Cloud Run Admin API v2 holding one worker pool or service. PATCH answers a
/// long-running operation that is done on the second poll.
package final class FakeCloudRun: Sendable {
    package init() {}
    package struct State {
        package var resource: [String: Any] = ["scaling": ["manualInstanceCount": 2], "etag": "\"e1\""]
        package var operations: [String: Int] = [:]
        package var conflictsLeft = 0
        package var operationError: [String: Any]? = nil
        package var patches: [(path: String, body: String)] = []
    }
    package let state = Mutex(State())

    func json(_ object: Any) -> FakeResponse {
        FakeResponse(
            headers: [("Content-Type", "application/json")],
            body: Array(try! JSONSerialization.data(withJSONObject: object))
        )
    }

    package var handler: FakeHTTPServer.Handler {
        { [self] request in
            guard request.header("Authorization") == "Bearer ya29.run" else {
                return FakeResponse(status: 401, text: "{}")
            }
            if request.method == "GET", request.path.contains("/operations/") {
                let name = String(request.path.dropFirst("/v2/".count))
                return state.withLock { state in
                    state.operations[name, default: 0] += 1
                    if state.operations[name]! < 2 { return json(["name": name, "done": false]) }
                    if let error = state.operationError { return json(["name": name, "done": true, "error": error]) }
                    return json(["name": name, "done": true, "response": state.resource])
                }
            }
            if request.method == "GET" { return state.withLock { json($0.resource) } }
            if request.method == "PATCH" {
                return state.withLock { state in
                    state.patches.append((request.path, request.bodyText))
                    if state.conflictsLeft > 0 {
                        state.conflictsLeft -= 1
                        state.resource["etag"] = "\"e-other\""
                        return FakeResponse(
                            status: 409,
                            text: #"{"error":{"code":409,"status":"ABORTED","message":"etag mismatch"}}"#
                        )
                    }
                    let body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
                    if let etag = body["etag"] as? String, etag != state.resource["etag"] as? String {
                        return FakeResponse(
                            status: 412,
                            text: #"{"error":{"code":412,"status":"FAILED_PRECONDITION","message":"etag mismatch"}}"#
                        )
                    }
                    var scaling = state.resource["scaling"] as? [String: Any] ?? [:]
                    for (key, value) in (body["scaling"] as? [String: Any]) ?? [:] { scaling[key] = value }
                    if state.operationError == nil { state.resource["scaling"] = scaling }
                    state.resource["etag"] = "\"e\(state.patches.count + 1)\""
                    let name = "projects/p/locations/europe-west1/operations/op-\(state.patches.count)"
                    return json([
                        "name": name, "done": false,
                        "metadata": ["@type": "type.googleapis.com/google.cloud.run.v2.WorkerPool"],
                    ])
                }
            }
            return FakeResponse(status: 404, text: "{}")
        }
    }

    package var count: Int {
        state.withLock { (($0.resource["scaling"] as? [String: Any])?["manualInstanceCount"] as? Int) ?? -1 }
    }
}
