import BridgeTesting
import Foundation
import Testing

@Suite("terraform/")
struct TerraformTests {
    @Test(
        "modules pass fmt, validate, an offline apply whose YAML scalebridge accepts, checkov with no failures, and the policy tests",
        .enabled(if: Fixtures.isCI || (Oracle.which("terraform") != nil && FileManager.default.isExecutableFile(atPath: Fixtures.projectFile(".venv-checkov/bin/checkov").path)))
    )
    func checks() async throws {
        let output = try await runProcess("/bin/bash", [Fixtures.projectFile("terraform/check.sh").path, CLITests.binary], timeout: .seconds(300))
        #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("'failed': 0") && output.stdout.contains("the rendered config is valid"), "\(output.stdout)")
    }
}
