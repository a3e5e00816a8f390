/// Where something starts in the YAML source; both counted from 1, columns in characters.
package struct Mark: Sendable, Hashable, CustomStringConvertible {
    package let line: Int
    package let column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    package var description: String { "line \(line), column \(column)" }
}

/// A composed YAML node: the document tree with every node's position, and no type guessing.
/// Scalars stay text; the config reader decides what a value must be and says where it is wrong.
package enum Node: Sendable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(List)

    package var mark: Mark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let list): list.mark
        }
    }

    /// YAML's null: an empty or `~`/`null` plain scalar, or one tagged `!!null`.
    package var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        if let tag = scalar.tag { return tag == Node.nullTag }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static let nullTag = "tag:yaml.org,2002:null"

    package struct Scalar: Sendable {
        package enum Style: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }

        package let string: String
        package let style: Style
        /// The explicit tag, resolved (`!!str` is `tag:yaml.org,2002:str`); nil when there is none.
        package let tag: String?
        package let mark: Mark

        package init(_ string: String, style: Style = .plain, tag: String? = nil, mark: Mark) {
            self.string = string
            self.style = style
            self.tag = tag
            self.mark = mark
        }
    }

    /// Key/value pairs in source order; duplicate keys are kept for the reader to report.
    package struct Mapping: Sendable, Sequence {
        package let pairs: [(key: Node, value: Node)]
        package let mark: Mark

        package init(_ pairs: [(key: Node, value: Node)], mark: Mark) {
            self.pairs = pairs
            self.mark = mark
        }

        package func makeIterator() -> IndexingIterator<[(key: Node, value: Node)]> { pairs.makeIterator() }
    }

    package struct List: Sendable, Sequence {
        package let nodes: [Node]
        package let mark: Mark

        package init(_ nodes: [Node], mark: Mark) {
            self.nodes = nodes
            self.mark = mark
        }

        package func makeIterator() -> IndexingIterator<[Node]> { nodes.makeIterator() }
    }
}

/// A syntax error from libyaml, or a document the composer cannot build.
package struct YAMLError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. "found character that cannot start any token".
    package let problem: String
    /// Where libyaml noticed it.
    package let mark: Mark
    /// The construct being read, e.g. "while scanning a quoted scalar", and where it starts.
    package let context: String?
    package let contextMark: Mark?

    package init(problem: String, mark: Mark, context: String? = nil, contextMark: Mark? = nil) {
        self.problem = problem
        self.mark = mark
        self.context = context
        self.contextMark = contextMark
    }

    /// "while scanning a quoted scalar: found unexpected end of stream".
    package var detail: String { [context, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ") }

    package var description: String { detail + " at \(contextMark ?? mark)" }
}
