import Config
import Query

/// Prometheus relabeling over one discovered target's labels (`__address__`, `__meta_*`, file
/// labels), for the actions scalebridge supports. Regexes are compiled once, at start-up.
package struct Relabeler: Sendable {
    struct Step: Sendable {
        var rule: RelabelRule
        var regex: AnchoredRegex
    }

    let steps: [Step]

    /// - Throws: the first rule whose regex does not compile, with its index.
    package init(_ rules: [RelabelRule]) throws(RelabelError) {
        var steps: [Step] = []
        for (index, rule) in rules.enumerated() {
            do {
                steps.append(Step(rule: rule, regex: try AnchoredRegex(rule.regex)))
            } catch {
                throw RelabelError(index: index, message: "regex `\(rule.regex)` does not compile: \(error)")
            }
        }
        self.steps = steps
    }

    /// The labels after every rule, or nil when a `keep` or `drop` rule dropped the target.
    package func apply(_ input: [String: String]) -> [String: String]? {
        var labels = input
        for step in steps {
            let rule = step.rule
            let value = rule.sourceLabels.map { labels[$0] ?? "" }.joined(separator: rule.separator)
            switch rule.action {
            case .keep:
                if !step.regex.matches(value) { return nil }
            case .drop:
                if step.regex.matches(value) { return nil }
            case .replace:
                guard let target = rule.targetLabel, let result = step.regex.expand(rule.replacement, matching: value) else { continue }
                labels[target] = result.isEmpty ? nil : result
            case .labelmap:
                for (name, value) in labels {
                    if let mapped = step.regex.expand(rule.replacement, matching: name), !mapped.isEmpty { labels[mapped] = value }
                }
            case .labeldrop:
                labels = labels.filter { !step.regex.matches($0.key) }
            case .labelkeep:
                labels = labels.filter { step.regex.matches($0.key) }
            }
        }
        return labels
    }
}

package struct RelabelError: Error, Sendable, CustomStringConvertible {
    package var index: Int
    package var message: String
    package var description: String { "relabel[\(index)]: \(message)" }
}
