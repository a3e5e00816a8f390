import CYAML

/// Builds a `Node` tree from libyaml's parse events.
package enum YAML {
    /// The single document in `text`, or nil when there is none (an empty file or only comments).
    /// Aliases are replaced by the node their anchor names; a second document is an error.
    package static func compose(_ text: String) throws(YAMLError) -> Node? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0] }  // libyaml needs a real pointer; a lone NUL reads as the end
        let count = text.utf8.count
        let result: Result<Node?, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return .failure(YAMLError(problem: "cannot start the YAML parser (out of memory)", mark: Mark(line: 1, column: 1)))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, count)
            var composer = Composer()
            return Result { () throws(YAMLError) in try composer.run(&parser) }
        }
        return try result.get()
    }
}

private struct Composer {
    private enum Frame {
        case mapping(mark: Mark, anchor: String?, pairs: [(key: Node, value: Node)], key: Node?)
        case list(mark: Mark, anchor: String?, nodes: [Node])
    }

    private var stack: [Frame] = []
    private var anchors: [String: Node] = [:]
    private var root: Node?
    private var documents = 0

    mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> Node? {
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw Composer.error(parser) }
            defer { yaml_event_delete(&event) }
            let mark = Composer.mark(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLError(problem: "expected a single document, found a second one", mark: mark, context: "the config is one YAML document", contextMark: nil)
                }
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                guard let node = anchors[name] else {
                    throw YAMLError(problem: "found undefined alias *\(name)", mark: mark)
                }
                attach(node)
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let string = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                let style: Node.Scalar.Style =
                    switch data.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .plain
                    }
                let node = Node.scalar(Node.Scalar(string, style: style, tag: Composer.string(data.tag), mark: mark))
                complete(node, anchor: Composer.string(data.anchor))
            case YAML_SEQUENCE_START_EVENT:
                stack.append(.list(mark: mark, anchor: Composer.string(event.data.sequence_start.anchor), nodes: []))
            case YAML_MAPPING_START_EVENT:
                stack.append(.mapping(mark: mark, anchor: Composer.string(event.data.mapping_start.anchor), pairs: [], key: nil))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                switch stack.removeLast() {
                case .list(let start, let anchor, let nodes):
                    complete(.sequence(Node.List(nodes, mark: start)), anchor: anchor)
                case .mapping(let start, let anchor, let pairs, _):
                    complete(.mapping(Node.Mapping(pairs, mark: start)), anchor: anchor)
                }
            default:
                break  // stream and document boundaries carry nothing the tree needs
            }
        }
    }

    private mutating func complete(_ node: Node, anchor: String?) {
        if let anchor { anchors[anchor] = node }
        attach(node)
    }

    private mutating func attach(_ node: Node) {
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .list(let mark, let anchor, var nodes):
            nodes.append(node)
            stack.append(.list(mark: mark, anchor: anchor, nodes: nodes))
        case .mapping(let mark, let anchor, var pairs, let key):
            if let key {
                pairs.append((key, node))
                stack.append(.mapping(mark: mark, anchor: anchor, pairs: pairs, key: nil))
            } else {
                stack.append(.mapping(mark: mark, anchor: anchor, pairs: pairs, key: node))
            }
        }
    }

    private static func mark(_ mark: yaml_mark_t) -> Mark {
        Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func error(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        return YAMLError(
            problem: problem,
            mark: mark(parser.problem_mark),
            context: context,
            contextMark: context == nil ? nil : mark(parser.context_mark)
        )
    }
}
