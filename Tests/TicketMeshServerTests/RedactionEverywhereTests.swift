import Foundation
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

/// Issue 13 item 4: over generated Chinese and English texts, valid ID-card, bank-card and phone
/// numbers never appear in clear on any output path a person reads (store reads for an analyst,
/// API JSON, the ticket page and the queue, the audit, CSV exports and reports), look-alikes survive
/// where the text is shown whole, and the stored value is intact for a reveal.
@Suite(.timeLimit(.minutes(4)))
struct RedactionEverywhereTests {
    static let seeds: [UInt64] = Array(1...24)

    /// The redaction itself over many more texts than the servers see: the law behind every path.
    @Test func redactionMasksEveryValidNumberAndKeepsEveryLookalike() {
        for seed in UInt64(1)...2_000 {
            let sample = PersonalText.make(seed: seed)
            let output = Redaction.redact(sample.text)
            Self.expectMasked(output, sample, whole: true, "seed \(seed): \(sample.text) → \(output)")
        }
    }

    /// Checks one output: no valid number in clear (nor its bare digits); look-alikes and phone
    /// tails present when the output shows the text whole.
    static func expectMasked(_ output: String, _ sample: PersonalText, whole: Bool, _ label: String) {
        let bare = output.filter { $0 != " " && $0 != "-" }
        for number in sample.valid {
            #expect(!output.contains(number), "\(label): '\(number)' in clear")
            let digits = number.filter { $0.isNumber || $0 == "X" }
            #expect(!bare.contains(digits), "\(label): digits of '\(number)' in clear")
        }
        guard whole else { return }
        for lookalike in sample.lookalikes {
            #expect(output.contains(lookalike), "\(label): look-alike '\(lookalike)' was eaten")
        }
        for tail in sample.phoneTails {
            #expect(output.contains("*" + tail), "\(label): masked phone keeps '\(tail)'")
        }
    }

    @Test func everyOutputPathMasksGeneratedTexts() async throws {
        let store = try await TestServer.makeStore()
        let now = store.configuration.now()
        let day = String(
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(now) / 1000)).prefix(10)
        )
        let next = String(
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(now) / 1000 + 86_400)).prefix(10)
        )
        var samples: [(PersonalText, String)] = []
        for seed in Self.seeds {
            let sample = PersonalText.make(seed: seed)
            let ticket = try await store.createTicket(
                TicketDraft(
                    customerId: "C0001",
                    channel: "phone",
                    type: "complaint/service",
                    urgency: "urgent",
                    summary: String(sample.text.prefix(2_000)),
                    details: sample.text
                ),
                actor: "agent"
            )
            _ = try await store.addEntry(ticket.id, kind: .reply, body: sample.text, actor: "agent")
            _ = try await store.resolve(ticket.id, result: sample.text, actor: "agent")
            _ = try await store.rate(ticket.id, score: 2, comment: sample.text, actor: "agent")
            samples.append((sample, ticket.id))
        }
        // Store reads, as the analyst's read rights disclose them.
        let analyst = try await store.disclosure(for: .viewTickets, actor: "analyst")
        for (sample, id) in samples {
            let label = "seed text \(sample.text)"
            let ticket = analyst.ticket(try await store.ticket(id))
            Self.expectMasked(ticket.details ?? "", sample, whole: true, "store details, \(label)")
            Self.expectMasked(ticket.result ?? "", sample, whole: true, "store result, \(label)")
            let entries = try await store.entries(ticketID: id).map(analyst.entry)
            #expect(entries.contains { $0.kind == .reply })
            for entry in entries {
                Self.expectMasked(entry.body, sample, whole: entry.kind == .reply, "store entry, \(label)")
            }
            // The audit, read by a supervisor: masked too (reading an audit reveals nothing).
            let audit = try await store.audit(id, actor: "supervisor")
            #expect(audit.writes.contains { $0.field == "details" })
            for write in audit.writes where write.isText {
                // The ticket's details are the text whole; entries and events may quote part of it.
                Self.expectMasked(
                    write.value ?? "",
                    sample,
                    whole: write.field == "details",
                    "audit \(write.field), \(label)"
                )
            }
            // The stored value is intact: a reveal shows it.
            let revealed = try await store.reveal(.ticket(id), actor: "admin")
            #expect(revealed.ticket(try await store.ticket(id)).details == sample.text)
        }
        // Reports and CSV exports, as the analyst reads them.
        for kind in [ReportKind.weekly, .monthly] {
            let period = try ReportPeriod.resolve(
                kind: kind,
                from: day,
                to: next,
                now: now,
                timeZone: TimeZone(identifier: "UTC")!
            )
            let report = try await store.report(.init(kind: kind, period: period), actor: "analyst")
            for format in ReportRenderer.Format.allCases {
                let text = ReportRenderer.render(report, as: format)
                for (sample, _) in samples {
                    Self.expectMasked(text, sample, whole: false, "\(kind) report as \(format)")
                }
                if kind == .monthly, format == .csv {
                    // The ratings' comments flow into the feedback report: the check above read real text.
                    #expect(text.contains("REDACTED]") || text.contains("****"), "\(text.prefix(500))")
                }
            }
        }
        try await TestServer.with(store) { server in
            let token = try await server.login(.analyst)
            let list = try await server.request("GET", "/api/tickets?limit=1000", token: token)
            #expect(list.status == 200)
            let queue = try await server.request("GET", "/queue?limit=1000", cookie: "tm_session=\(token)")
            #expect(queue.status == 200)
            let conflicts = try await server.request("GET", "/api/conflicts", token: token)
            for (sample, id) in samples {
                Self.expectMasked(list.text, sample, whole: false, "API list")
                Self.expectMasked(queue.text, sample, whole: false, "queue page")
                Self.expectMasked(conflicts.text, sample, whole: false, "API conflicts")
                let detail = try await server.request("GET", "/api/tickets/\(id)", token: token)
                #expect(detail.status == 200)
                let fields = try #require(detail.object["fields"] as? [String: Any])
                Self.expectMasked(
                    fields["details"] as? String ?? "",
                    sample,
                    whole: true,
                    "API details, \(sample.text)"
                )
                Self.expectMasked(detail.text, sample, whole: false, "API detail")
                let page = try await server.request("GET", "/tickets/\(id)", cookie: "tm_session=\(token)")
                #expect(page.status == 200)
                Self.expectMasked(page.text, sample, whole: false, "ticket page")
                for lookalike in sample.lookalikes {
                    #expect(
                        page.text.contains(lookalike),
                        "ticket page ate look-alike '\(lookalike)' of \(sample.text)"
                    )
                }
            }
        }
    }
}
