import BridgeTesting
import Foundation
import Testing
import YAML

@Suite("YAML composer over libyaml")
struct YAMLComposerTests {
    @Test("marks are 1-based lines and character columns; styles and source order are kept")
    func marksAndStyles() throws {
        let text = """
            # comment
            name: "quoted"
            list:
              - plain
              - 'single'
            flow: {a: 1, b: [x, y]}
            block: |
              line one
              line two
            folded: >
              a
              b
            é: ü
            """
        let root = try #require(try YAML.compose(text))
        guard case .mapping(let mapping) = root else { Issue.record("root is not a mapping"); return }
        #expect(mapping.mark == Mark(line: 2, column: 1))
        let keys = mapping.pairs.map { pair -> String in
            guard case .scalar(let key) = pair.key else { return "?" }
            return key.string
        }
        #expect(keys == ["name", "list", "flow", "block", "folded", "é"])
        let values = Dictionary(uniqueKeysWithValues: mapping.pairs.map { (scalarText($0.key), $0.value) })
        guard case .scalar(let name) = values["name"] else { Issue.record("name"); return }
        #expect(name.string == "quoted" && name.style == .doubleQuoted && name.mark == Mark(line: 2, column: 7))
        guard case .sequence(let list) = values["list"] else { Issue.record("list"); return }
        #expect(list.nodes.map(scalarText) == ["plain", "single"])
        #expect(list.nodes.map(\.mark) == [Mark(line: 4, column: 5), Mark(line: 5, column: 5)])
        guard case .scalar(let single) = list.nodes[1] else { return }
        #expect(single.style == .singleQuoted)
        guard case .mapping(let flow) = values["flow"] else { Issue.record("flow"); return }
        #expect(flow.mark == Mark(line: 6, column: 7))
        guard case .sequence(let inner) = flow.pairs[1].value else { Issue.record("flow list"); return }
        #expect(inner.nodes.map(scalarText) == ["x", "y"] && inner.mark == Mark(line: 6, column: 17))
        guard case .scalar(let block) = values["block"], case .scalar(let folded) = values["folded"] else { Issue.record("block"); return }
        #expect(block.string == "line one\nline two\n" && block.style == .literal)
        #expect(folded.string == "a b\n" && folded.style == .folded)
        // Columns count characters, not bytes: "é: ü" puts the value at column 4.
        #expect(values["é"]?.mark == Mark(line: 13, column: 4))
    }

    @Test("null is an empty, ~ or null plain scalar, or a !!null tag; quoted and other-tagged text is not")
    func nulls() throws {
        let root = try #require(try YAML.compose("a:\nb: ~\nc: null\nd: \"\"\ne: 'null'\nf: !!null x\ng: !!str\nh: NULL\n"))
        guard case .mapping(let mapping) = root else { Issue.record("not a mapping"); return }
        #expect(mapping.pairs.map(\.value.isNull) == [true, true, true, false, false, true, false, true])
        guard case .scalar(let tagged) = mapping.pairs[6].value else { return }
        #expect(tagged.tag == "tag:yaml.org,2002:str")
    }

    @Test("aliases become the anchored node; an unknown alias is an error at the alias")
    func aliases() throws {
        let root = try #require(try YAML.compose("base: &b {x: 1}\nuse: *b\n"))
        guard case .mapping(let mapping) = root, case .mapping(let used) = mapping.pairs[1].value else {
            Issue.record("alias not resolved")
            return
        }
        #expect(used.pairs.map { scalarText($0.value) } == ["1"])
        #expect(used.mark == Mark(line: 1, column: 7))  // the anchor starts the node
        #expect(throws: YAMLError.self) { try YAML.compose("a: *nope\n") }
        do {
            _ = try YAML.compose("a: 1\nb: *nope\n")
        } catch {
            #expect(error.problem == "found undefined alias *nope")
            #expect(error.mark == Mark(line: 2, column: 4))
        }
    }

    @Test("empty text and comments only compose to nothing")
    func empty() throws {
        #expect(try YAML.compose("") == nil)
        #expect(try YAML.compose("# nothing here\n\n") == nil)
        #expect(try YAML.compose("---\n...\n")?.isNull == true)
    }

    @Test("a second document is refused where it starts")
    func secondDocument() {
        do {
            _ = try YAML.compose("a: 1\n---\nb: 2\n")
            Issue.record("two documents accepted")
        } catch {
            #expect(error.problem.contains("single document"))
            #expect(error.mark.line == 2)
        }
    }

    @Test("syntax errors carry libyaml's problem, context and both marks")
    func syntaxError() {
        do {
            _ = try YAML.compose("a: 1\nb: \"open\nc: 2\n")
            Issue.record("unterminated quote accepted")
        } catch {
            #expect(error.context == "while scanning a quoted scalar")
            #expect(error.contextMark == Mark(line: 2, column: 4))
            #expect(error.problem == "found unexpected end of stream")
            #expect(error.mark.line == 4)
        }
        do {
            _ = try YAML.compose("a: 1\n\tb: 2\n")
            Issue.record("tab indentation accepted")
        } catch {
            #expect(error.problem.contains("tab") || error.problem.contains("cannot start any token"))
            #expect(error.mark.line == 2)
        }
    }

    @Test("duplicate keys are kept in order for the config reader to report")
    func duplicates() throws {
        let root = try #require(try YAML.compose("a: 1\na: 2\n"))
        guard case .mapping(let mapping) = root else { return }
        #expect(mapping.pairs.map { scalarText($0.value) } == ["1", "2"])
    }

    /// Every YAML file in the repository, plus tricky snippets, composed by PyYAML (a separate
    /// implementation of the same spec) must give the same tree, styles and marks.
    @Test(
        "the same trees, styles and marks as PyYAML for every YAML file in the repository",
        .enabled(if: Oracle.runPythonTests("yaml"))
    )
    func matchesPyYAML() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for folder in ["examples", "Tests/ConfigTests/Fixtures", "terraform"] {
            let root = Fixtures.projectFile(folder)
            let walker = FileManager.default.enumerator(atPath: root.path)
            while let relative = walker?.nextObject() as? String {
                if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") { paths.append(root.appendingPathComponent(relative).path) }
            }
        }
        #expect(paths.count >= 15)
        let snippets = [
            "k: [a, {b: c}, [d]]\n", "? complex\n: value\n", "s: 'it''s'\nd: \"tab\\tnew\\nline \\u00e9\"\n",
            "a: &x [1, 2]\nb: *x\n", "- - nested\n  - list\n- x\n", "text: |+\n  keep\n\n", "multi: >-\n  one\n  two\n\nnext: 1\n",
            "plain: a b  c\nurl: http://x:1/y?z=1#f\n", "empty:\n", "---\nonly: doc\n...\n", "k: v # comment\n", "- 'é' \n- \"日本\"\n",
            "bad: [unclosed\n", "a: b: c\n", "a: 1\n---\nb: 2\n",
        ]
        for (index, snippet) in snippets.enumerated() {
            let path = directory.appendingPathComponent("snippet\(index).yaml").path
            try snippet.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let script = """
            import sys, yaml
            def dump(n):
                m = f"{n.start_mark.line + 1}:{n.start_mark.column + 1}"
                if isinstance(n, yaml.ScalarNode): return f"S({m} {n.style or 'p'} {n.value.encode().hex()})"
                if isinstance(n, yaml.SequenceNode): return f"L({m})[" + ",".join(dump(c) for c in n.value) + "]"
                return f"M({m}){{" + ",".join(dump(k) + "=" + dump(v) for k, v in n.value) + "}"
            for path in sys.argv[1:]:
                try:
                    node = yaml.compose(open(path, encoding="utf-8").read(), Loader=yaml.SafeLoader)
                    print("none" if node is None else dump(node))
                except yaml.YAMLError as error:
                    print("error")
            """
        let output = try await runProcess("python3", ["-c", script] + paths)
        #expect(output.status == 0, "\(output.stderr)")
        let expected = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(expected.count == paths.count)
        for (path, want) in zip(paths, expected) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let got: String
            do {
                got = try YAML.compose(text).map(dump) ?? "none"
            } catch {
                got = "error"
            }
            #expect(got == want, "\(path)")
        }
    }
}

private func scalarText(_ node: Node) -> String {
    guard case .scalar(let scalar) = node else { return "?" }
    return scalar.string
}

private func dump(_ node: Node) -> String {
    let mark = "\(node.mark.line):\(node.mark.column)"
    switch node {
    case .scalar(let scalar):
        let style =
            switch scalar.style {
            case .plain: "p"
            case .singleQuoted: "'"
            case .doubleQuoted: "\""
            case .literal: "|"
            case .folded: ">"
            }
        return "S(\(mark) \(style) \(scalar.string.utf8.map { String(format: "%02x", $0) }.joined()))"
    case .sequence(let list):
        return "L(\(mark))[" + list.nodes.map(dump).joined(separator: ",") + "]"
    case .mapping(let mapping):
        return "M(\(mark)){" + mapping.pairs.map { dump($0.key) + "=" + dump($0.value) }.joined(separator: ",") + "}"
    }
}
