import Foundation
import Testing
import TicketMeshStore

/// `serve --sweep-interval` runs the automation by itself: a breached ticket gets its escalation
/// without anyone running `sla sweep`, and `status --json` shows the last run.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: CLI.unavailable != nil, "\(CLI.unavailable ?? "")"))
struct ProcessAutomationTests {
    struct Created: Decodable {
        var id: String
    }

    struct Shown: Decodable {
        var escalations: [Escalation]
    }

    struct Status: Decodable {
        var automation: AutomationRun?
    }

    @Test func serveEscalatesABreachedTicketOnItsOwn() async throws {
        let root = temporaryDirectory("automation")
        let data = root.appendingPathComponent("data-SH")
        try await CLI.run(["certs", "ca", "--org", "Acme", "--out", root.appendingPathComponent("ca").path], in: root)
        try await CLI.run(
            [
                "certs", "site", "--ca", root.appendingPathComponent("ca").path, "--site", "SH", "--out",
                root.appendingPathComponent("tls").path,
            ],
            in: root
        )
        try await CLI.run(["init", "--site", "SH", "--data", data.path], in: root)
        try await CLI.run(
            ["site", "enroll", "--tls", root.appendingPathComponent("tls").path, "--data", data.path],
            in: root
        )
        try await CLI.run(["customer", "add", "--id", "C0001", "--name", "Acme", "--data", data.path], in: root)
        // Received three hours ago, urgent: the 2-hour first-response clock is breached.
        let received = Date(timeIntervalSinceNow: -3 * 3600).ISO8601Format()
        let created = try await CLI.run(
            [
                "ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "consultation/product",
                "--urgency", "urgent",
                "--summary", "parcel lost", "--received-at", received, "--data", data.path, "--json",
            ],
            in: root
        )
        let ticket = try JSONDecoder().decode(Created.self, from: Data(created.stdout.utf8))
        func show() async throws -> Shown {
            let shown = try await CLI.run(["ticket", "show", ticket.id, "--data", data.path, "--json"], in: root)
            return try JSONDecoder().decode(Shown.self, from: Data(shown.stdout.utf8))
        }
        #expect(try await show().escalations.isEmpty)
        let before = try await CLI.run(["status", "--data", data.path, "--json"], in: root)
        #expect(try JSONDecoder().decode(Status.self, from: Data(before.stdout.utf8)).automation == nil)

        // The period is an organisation setting: this branch site may run auto-close but not set it.
        let refused = try await CLI.run(
            ["automation", "auto-close", "--days", "3", "--data", data.path],
            in: root,
            check: false
        )
        #expect(refused.status == 5)
        #expect(refused.stderr.contains("is a branch site and may not write setting records"))

        let serve = try CLI.Child(["serve", "--data", data.path, "--sweep-interval", "1"], in: root)
        var escalations: [Escalation] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while escalations.isEmpty, ContinuousClock.now < deadline, serve.process.isRunning {
            try await Task.sleep(for: .milliseconds(200))
            escalations = try await show().escalations
        }
        #expect(escalations.map(\.kind) == ["breach"], "serve wrote no escalation: \(serve.errors)")
        #expect(escalations.first?.clock == "first-response")

        let status = try await CLI.run(["status", "--data", data.path, "--json"], in: root)
        let run = try #require(try JSONDecoder().decode(Status.self, from: Data(status.stdout.utf8)).automation)
        #expect(run.errors.isEmpty)
        #expect(run.totals?.escalations == 1)
        #expect(run.nextAt.map { $0 > run.startedAt } == true)

        // The sweep is idempotent: later runs add nothing.
        let inbox = try await CLI.run(
            ["inbox", "--role", "supervisor", "--as", "anyone", "--data", data.path],
            in: root
        )
        #expect(inbox.stdout.components(separatedBy: "sla-breach").count == 2, "\(inbox.stdout)")

        serve.signal(SIGINT)
        #expect(try await serve.wait() == 0, "serve must stop cleanly on SIGINT: \(serve.errors)")
    }

    @Test func badAutomationInputIsRefusedByNameAndChangesNothing() async throws {
        let root = temporaryDirectory("automation-bad")
        let data = root.appendingPathComponent("data-HQ")
        try await CLI.run(["init", "--site", "HQ", "--data", data.path], in: root)
        let before = try await CLI.status(data, in: root)

        let negative = try await CLI.run(
            ["automation", "auto-close", "--days=-1", "--data", data.path],
            in: root,
            check: false
        )
        #expect(negative.status == 2)
        #expect(negative.stderr.contains("invalid days '-1': must be from 0 (off) to 365"))
        let interval = try await CLI.run(["serve", "--data", data.path, "--sweep-interval=-1"], in: root, check: false)
        #expect(interval.status != 0)
        #expect(interval.stderr.contains("invalid --sweep-interval '-1': must be from 0 (off) to 86400 seconds"))
        #expect(try await CLI.status(data, in: root) == before)

        try await CLI.run(["automation", "auto-close", "--days", "3", "--data", data.path], in: root)
        let shown = try await CLI.run(["automation", "show", "--data", data.path, "--json"], in: root)
        #expect(shown.stdout.contains("\"autoCloseDays\" : 3"))
    }
}
