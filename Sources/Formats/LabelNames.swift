/// Label names made from outside names (cloud tags, config names).
package enum LabelNames {
    /// ASCII letters and digits kept, anything else `_`, as Prometheus's service discovery does
    /// for tag keys (`strutil.SanitizeLabelName`).
    package static func sanitized(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}
