import Formats

/// The code and message of an AWS error answer, whichever protocol the API speaks: Query/XML
/// (`<Code>`, `<Message>`) or JSON (`__type`, `message`).
package enum AWSErrorBody {
    package static func parse(_ body: [UInt8]) -> (code: String, message: String) {
        let xml = String(decoding: body, as: UTF8.self)
        var code = XMLText.first("Code", in: xml) ?? ""
        var message = XMLText.first("Message", in: xml) ?? ""
        if code.isEmpty, let json = JSONValue.parse(body), json.object != nil {
            // `__type` may carry a namespace: `com.amazonaws...#AccessDeniedException`.
            code =
                (json["__type"]?.string ?? "").split(separator: "#", omittingEmptySubsequences: false).last.map(
                    String.init
                ) ?? ""
            message = json["message"]?.string ?? json["Message"]?.string ?? ""
        }
        return (code, message)
    }
}
