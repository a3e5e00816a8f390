import Formats

/// `replay.svg`: one panel per signal (raw and published value) and one per controller
/// (current and desired count) over time, with a mark wherever a policy acted (skip, fallback,
/// last value, hold, stabilization, rate limit, schedule, scale to zero). Each mark carries the
/// decision and its reason as a tooltip. Plain SVG 1.1: no script, no external fonts.
package enum DecisionChart {
    static let width = 960.0
    static let panelHeight = 170.0
    static let left = 70.0, right = 30.0, top = 64.0, gap = 56.0

    struct Line {
        var name: String
        var color: String
        var dashed = false
        /// Step lines hold their value until the next point (counts); others join points.
        var step = false
        var points: [(time: Int64, value: Double?)]
    }

    struct Mark {
        var time: Int64
        var text: String
    }

    struct Panel {
        var title: String
        var lines: [Line]
        var marks: [Mark]
    }

    package static func render(_ rows: [DecisionRow], title: String) -> String {
        let times = Array(Set(rows.map(\.time))).sorted()
        var panels: [Panel] = []
        var order: [String] = []
        for row in rows where !order.contains("\(row.kind.rawValue)\u{0}\(row.name)") {
            order.append("\(row.kind.rawValue)\u{0}\(row.name)")
        }
        for key in order {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            let mine = rows.filter { $0.kind.rawValue == parts[0] && $0.name == parts[1] }
            let byTime = Dictionary(grouping: mine, by: \.time)
            var marks: [Mark] = []
            for time in times {
                guard let acted = byTime[time]?.first(where: \.acted) else { continue }
                marks.append(
                    Mark(
                        time: time,
                        text: "\(UTCTimestamp.format(milliseconds: time)) \(acted.decision): \(acted.reason)"
                    )
                )
            }
            if parts[0] == DecisionRow.Kind.signal.rawValue {
                // Several series: the largest, as a controller reads it.
                func largest(_ values: [Double?]) -> Double? { values.compactMap { $0 }.filter(\.isFinite).max() }
                let raw = times.map { time in (time, largest(byTime[time]?.map(\.raw) ?? [])) }
                let published = times.map { time in (time, largest(byTime[time]?.map(\.published) ?? [])) }
                panels.append(
                    Panel(
                        title: "signal \(parts[1])",
                        lines: [
                            Line(name: "published", color: "#1f77b4", points: published),
                            Line(name: "raw", color: "#333333", dashed: true, points: raw),
                        ],
                        marks: marks
                    )
                )
            } else {
                let current = times.map { time in (time, byTime[time]?.first?.current.map(Double.init)) }
                let desired = times.map { time in (time, byTime[time]?.first?.desired.map(Double.init)) }
                panels.append(
                    Panel(
                        title: "controller \(parts[1]) (instances)",
                        lines: [
                            Line(name: "desired", color: "#d62728", step: true, points: desired),
                            Line(name: "current", color: "#333333", dashed: true, step: true, points: current),
                        ],
                        marks: marks
                    )
                )
            }
        }
        let height = top + Double(panels.count) * (panelHeight + gap) + 10
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" viewBox="0 0 \(number(width)) \(number(height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(number(left))" y="24" font-size="14" font-weight="bold">\(escape(title))</text>
            <text x="\(number(left))" y="40" fill="#555555">UTC; a mark is a cycle where a policy acted (hover it for the decision and why)</text>

            """
        guard let first = times.first, let last = times.last else {
            return out + "<text x=\"\(number(left))\" y=\"50\">no cycles</text>\n</svg>\n"
        }
        for (index, panel) in panels.enumerated() {
            out += self.panel(panel, y: top + Double(index) * (panelHeight + gap), from: first, to: last)
        }
        return out + "</svg>\n"
    }

    static func panel(_ panel: Panel, y: Double, from first: Int64, to last: Int64) -> String {
        let plotWidth = width - left - right
        let values = panel.lines.flatMap { $0.points.compactMap(\.value) }
        let top = niceCeiling(max(values.max() ?? 1, 0))
        let bottom = min(values.min() ?? 0, 0)
        func x(_ time: Int64) -> Double {
            last == first ? left + plotWidth / 2 : left + plotWidth * Double(time - first) / Double(last - first)
        }
        func yOf(_ value: Double) -> Double {
            y + panelHeight - panelHeight * (value - bottom) / max(top - bottom, 1e-300)
        }
        var out =
            "<g class=\"panel\">\n<text x=\"\(number(left))\" y=\"\(number(y - 6))\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
        out +=
            "<rect x=\"\(number(left))\" y=\"\(number(y))\" width=\"\(number(plotWidth))\" height=\"\(number(panelHeight))\" fill=\"none\" stroke=\"#cccccc\"/>\n"
        for fraction in [0.0, 0.5, 1.0] {
            let value = bottom + (top - bottom) * fraction
            out +=
                "<line x1=\"\(number(left))\" x2=\"\(number(left + plotWidth))\" y1=\"\(number(yOf(value)))\" y2=\"\(number(yOf(value)))\" stroke=\"#eeeeee\"/>"
            out +=
                "<text x=\"\(number(left - 6))\" y=\"\(number(yOf(value) + 4))\" text-anchor=\"end\">\(escape(ValueFormat.prometheus(value)))</text>\n"
        }
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let time = first + Int64(Double(last - first) * fraction)
            let label = UTCTimestamp.format(milliseconds: time)
            let short = last - first < 86_400_000 ? String(label.dropFirst(11).dropLast()) : String(label.prefix(16))
            let anchor = fraction == 0 ? "start" : fraction == 1 ? "end" : "middle"
            out +=
                "<text x=\"\(number(x(time)))\" y=\"\(number(y + panelHeight + 14))\" text-anchor=\"\(anchor)\">\(short)</text>\n"
        }
        for line in panel.lines {
            // Gaps (nothing published) break the line.
            var segments: [[(Double, Double)]] = [[]]
            var previous: Double?
            for point in line.points {
                guard let value = point.value, value.isFinite else {
                    if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                    previous = nil
                    continue
                }
                if line.step, let previous { segments[segments.count - 1].append((x(point.time), yOf(previous))) }
                segments[segments.count - 1].append((x(point.time), yOf(value)))
                previous = value
            }
            for segment in segments where !segment.isEmpty {
                let points = segment.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
                out +=
                    "<polyline class=\"\(line.name)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5,3\"" : "") points=\"\(points)\"/>\n"
                if segment.count == 1 {
                    out +=
                        "<circle cx=\"\(number(segment[0].0))\" cy=\"\(number(segment[0].1))\" r=\"2.5\" fill=\"\(line.color)\"/>\n"
                }
            }
        }
        for mark in panel.marks {
            let cx = x(mark.time)
            out +=
                "<path class=\"mark\" d=\"M\(number(cx - 5)),\(number(y + 2)) L\(number(cx + 5)),\(number(y + 2)) L\(number(cx)),\(number(y + 10)) Z\" fill=\"#ff7f0e\"><title>\(escape(mark.text))</title></path>\n"
            out +=
                "<line x1=\"\(number(cx))\" x2=\"\(number(cx))\" y1=\"\(number(y + 10))\" y2=\"\(number(y + panelHeight))\" stroke=\"#ff7f0e\" stroke-opacity=\"0.25\"/>\n"
        }
        // Legend, top right of the panel.
        var legendX = left + plotWidth - 10
        for item in (panel.lines.map { ($0.name, $0.color, $0.dashed) } + [("policy acted", "#ff7f0e", false)])
            .reversed()
        {
            let textWidth = Double(item.0.count) * 6.2
            legendX -= textWidth + 30
            out +=
                "<line x1=\"\(number(legendX))\" x2=\"\(number(legendX + 20))\" y1=\"\(number(y - 10))\" y2=\"\(number(y - 10))\" stroke=\"\(item.1)\" stroke-width=\"2\"\(item.2 ? " stroke-dasharray=\"5,3\"" : "")/>"
            out += "<text x=\"\(number(legendX + 24))\" y=\"\(number(y - 6))\">\(escape(item.0))</text>\n"
        }
        return out + "</g>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `value` (so axis labels stay short).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        while magnitude > value { magnitude /= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where magnitude * factor >= value { return magnitude * factor }
        return magnitude * 10
    }

    /// A coordinate with one decimal; app data may be any double, so it is bounded first.
    static func number(_ value: Double) -> String {
        let bounded = value.isFinite ? min(max(value, -1e7), 1e7) : 0
        let rounded = (bounded * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // XML 1.0 allows no other control characters.
            case "\t", "\n": out += " "
            default:
                if character.value < 0x20 || (0xFFFE...0xFFFF).contains(character.value) {
                    out += "?"
                } else {
                    out.unicodeScalars.append(character)
                }
            }
        }
        return out
    }
}
