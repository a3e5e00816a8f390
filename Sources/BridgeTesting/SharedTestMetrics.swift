@testable import CoreMetrics
import MetricsTestKit

/// One `TestMetrics` backend for the whole test process: swift-metrics has a single global
/// factory, so suites running in parallel must share it (assert on labels unique to the test).
package enum SharedTestMetrics {
    package static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrapInternal(metrics)
        return metrics
    }()
}
