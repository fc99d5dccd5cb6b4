import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

extension WebUI {
    /// "2026-05-01 09:40" in the server's time zone.
    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "" }
        var html = HTML(capacity: 16)
        time(millis, into: &html)
        return html.string
    }

    /// Writes `millis` as "2026-05-01 09:40" in the server's time zone.
    ///
    /// Civil-date arithmetic on the zone's offset (no `DateFormatter`, which costs tens of µs to
    /// make), written as bytes: the queue page writes one per row.
    static func time(_ millis: Int64, into html: inout HTML) {
        func floorDivision(_ value: Int64, _ divisor: Int64) -> Int64 { value >= 0 ? value / divisor : (value - divisor + 1) / divisor }
        let seconds = floorDivision(millis, 1000)
        let local = seconds + zone.seconds(at: seconds)
        let days = floorDivision(local, 86_400)
        let minuteOfDay = (local - days * 86_400) / 60
        // Days since 1970-01-01 to year, month, day (H. Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        html.raw(String(year))
        html.twoDigits(month, after: "-")
        html.twoDigits(day, after: "-")
        html.twoDigits(minuteOfDay / 60, after: " ")
        html.twoDigits(minuteOfDay % 60, after: ":")
    }

    /// The process's zone, read once: pages outside a request (tests) show times in it.
    static let serverTimeZone = TimeZone.current

    /// The zone pages show times in, as offsets looked up once per minute of time shown (a
    /// Foundation zone look-up per row would cost more than the row): the site's, which `route`
    /// sets for each request from the store's configuration (`ReplicaStore.Configuration.timeZone`,
    /// the zone that numbers the site's tickets by day; Docs/web.md, "Times").
    @TaskLocal static var zone: ZoneOffsets = ZoneOffsets(serverTimeZone)

    func registerTicketPages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(router, .get, "tickets/new") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let customers = try await store.customers(limit: 1000).map(disclosure.customer).map { ["id": $0.id, "name": $0.name] }
            let types = try await store.requestTypes().activePaths.filter { $0.contains("/") }
            return page(
                "newTicket",
                title: "newTicket",
                [
                    "customers": customers, "types": types,
                    "channels": Channel.allCases.map { ["value": $0.rawValue, "label": Strings.label(.channel, $0.rawValue, language: Self.language(request))] },
                    "urgencies": Urgency.allCases.map {
                        ["value": $0.rawValue, "label": Strings.label(.urgency, $0.rawValue, language: Self.language(request)), "selected": $0 == .normal]
                    },
                ],
                request: request,
                user: user
            )
        }
        route(router, .post, "tickets") { request, _, user in
            let fields = try await Fields.read(request)
            let draft = TicketDraft(
                customerId: try fields.text("customerId", required: true)!,
                contactPerson: try fields.text("contactPerson"),
                channel: try fields.text("channel", required: true)!,
                type: try fields.text("type", required: true)!,
                urgency: try fields.text("urgency", required: true)!,
                summary: try fields.text("summary", required: true)!,
                details: try fields.text("details")
            )
            let ticket = try await store.createTicket(draft, actor: user.name)
            return Self.redirect("/tickets/\(ticket.id)")
        }
        /// The ticket page as `disclosure` shows it; the reveal button for roles that may.
        @Sendable func ticketPage(_ key: String, disclosure: Disclosure, request: Request, user: User) async throws -> Response {
            let detail = try await TicketDetail.load(key, store: store, disclosure: disclosure)
            let ticket = detail.fields
            let lang = Self.language(request)
            func label(_ vocabulary: Strings.Vocabulary, _ value: String) -> String { Strings.label(vocabulary, value, language: lang) }
            let values: [String: Any] = [
                "id": ticket.id,
                "version": detail.version,
                "canReveal": user.role.allows(.revealContacts) && !disclosure.reveals,
                "ticket": [
                    "number": ticket.number, "summary": ticket.summary, "state": ticket.state,
                    "stateLabel": label(.state, ticket.state), "urgency": label(.urgency, ticket.urgency),
                    "aliases": ticket.aliases.joined(separator: " "), "hasAliases": !ticket.aliases.isEmpty,
                    "customerId": ticket.customerId, "channel": label(.channel, ticket.channel), "type": ticket.type,
                    "assignee": ticket.assignee ?? "",
                    "tier": ticket.tier.map(String.init) ?? "", "hasTier": ticket.tier != nil,
                    "result": ticket.result ?? "",
                    "hasResult": ticket.result != nil,
                    "registeredAt": Self.time(ticket.registeredAt),
                    "registrationMinutes": String(detail.registration.minutes),
                    "registrationTarget": String(detail.registration.targetMinutes),
                    "registrationStatus": detail.registration.met ? "met" : "breached",
                    "registrationLabel": label(.registration, detail.registration.met ? "met" : "breached"),
                ] as [String: Any],
                "clocks": detail.sla.map {
                    [
                        "kind": label(.clock, $0.kind.rawValue), "status": $0.status.rawValue,
                        "statusLabel": label(.clockStatus, $0.status.rawValue), "due": Self.time($0.dueAt),
                        "remaining": Strings.duration($0.remaining, language: lang),
                    ]
                },
                "entries": detail.notes.map {
                    [
                        "kind": $0.kind.rawValue, "kindLabel": label(.entryKind, $0.kind.rawValue), "author": $0.author ?? "",
                        "body": $0.kind == .event ? Strings.event($0.body, language: lang) : $0.body, "at": Self.time($0.at),
                        "score": $0.score.map(String.init) ?? "", "hasScore": $0.score != nil,
                    ]
                },
                "conflicts": detail.conflicts.map {
                    [
                        "field": $0.field, "winner": $0.winner.value ?? "", "winnerSite": $0.winner.site,
                        "loser": $0.loser.value ?? "",
                        "loserSite": $0.loser.site,
                    ]
                },
            ]
            return page("ticket", title: ticket.number, values, request: request, user: user)
        }
        route(router, .get, "tickets/:id") { request, context, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            return try await ticketPage(try context.parameters.require("id"), disclosure: disclosure, request: request, user: user)
        }
        // Reveal: a POST (it writes the audited `reveal` record), answered with the page in clear.
        route(router, .post, "tickets/:id/reveal") { request, context, user in
            let id = try context.parameters.require("id")
            let disclosure = try await store.reveal(.ticket(id), actor: user.name)
            return try await ticketPage(id, disclosure: disclosure, request: request, user: user)
        }
        // reply and note: WebUI+Live.swift (they carry the stale-reply guard).
        ticketAction(router, "escalate") { id, fields, user in
            _ = try await store.escalate(
                id,
                tier: try fields.int("tier", required: true)!,
                reason: try fields.text("reason", required: true)!,
                actor: user.name
            )
        }
        ticketAction(router, "resolve") { id, fields, user in
            _ = try await store.resolve(id, result: try fields.text("result", required: true)!, actor: user.name)
        }
        ticketAction(router, "rate") { id, fields, user in
            _ = try await store.rate(
                id,
                score: try fields.int("score", required: true)!,
                comment: try fields.text("comment"),
                actor: user.name
            )
        }
        ticketAction(router, "close") { id, _, user in _ = try await store.close(id, actor: user.name) }
    }

    /// A form post on a ticket: on success back to the ticket page; on refusal the same, with the message.
    private func ticketAction(
        _ router: Router<BasicRequestContext>,
        _ name: String,
        _ body: @escaping @Sendable (String, Fields, User) async throws -> Void
    ) {
        route(router, .post, RouterPath("tickets/:id/\(name)")) { request, context, user in
            let id = try context.parameters.require("id")
            do {
                try await body(id, try await Fields.read(request), user)
                return Self.redirect("/tickets/\(id)")
            } catch {
                let failure = APIError.from(error)
                guard failure.status != .notFound else { throw error }
                let message = failure.message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                return Self.redirect("/tickets/\(id)?error=\(message)")
            }
        }
    }

    func registerOtherPages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(router, .get, "customers") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let rows = try await store.customers(limit: 1000).map(disclosure.customer).map {
                ["id": $0.id, "name": $0.name, "phone": $0.phone ?? "", "level": Strings.label(.level, $0.level, language: Self.language(request))]
            }
            return page("customers", title: "customers", ["customers": rows], request: request, user: user)
        }
        /// The customer page as `disclosure` shows it; the reveal button for roles that may.
        @Sendable func customerPage(_ id: String, disclosure: Disclosure, request: Request, user: User) async throws -> Response {
            let customer = disclosure.customer(try await store.customer(id))
            let tickets = try await store.tickets(matching: .init(customerId: customer.id, limit: 200)).map(disclosure.ticket).map {
                ["id": $0.id, "number": $0.number, "summary": $0.summary, "state": Strings.label(.state, $0.state, language: Self.language(request))]
            }
            let values: [String: Any] = [
                "customer": [
                    "id": customer.id, "name": customer.name, "contactPerson": customer.contactPerson ?? "",
                    "phone": customer.phone ?? "",
                    "email": customer.email ?? "", "level": Strings.label(.level, customer.level, language: Self.language(request)),
                    "canReveal": user.role.allows(.revealContacts) && !disclosure.reveals,
                ] as [String: Any],
                "tickets": tickets,
            ]
            return page("customer", title: customer.name, values, request: request, user: user)
        }
        route(router, .get, "customers/:id") { request, context, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            return try await customerPage(try context.parameters.require("id"), disclosure: disclosure, request: request, user: user)
        }
        // Reveal: a POST (it writes the audited `reveal` record), answered with the page in clear.
        route(router, .post, "customers/:id/reveal") { request, context, user in
            let id = try context.parameters.require("id")
            let disclosure = try await store.reveal(.customer(id), actor: user.name)
            return try await customerPage(id, disclosure: disclosure, request: request, user: user)
        }
        route(router, .get, "kb") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            var values: [String: Any] = ["query": query, "searched": false]
            if !query.trimmingCharacters(in: .whitespaces).isEmpty {
                let articles = try await store.searchArticles(query).map(disclosure.article).map {
                    ["title": $0.title, "body": $0.body, "category": $0.category, "hits": String($0.hits)]
                }
                values["searched"] = true
                values["articles"] = articles
            }
            return page("kb", title: "kb", values, request: request, user: user)
        }
        route(router, .get, "reports") { request, _, user in
            let query = request.uri.queryParameters
            let kind = try ReportKind.parse(query["kind"].map(String.init) ?? "weekly")
            let from = query["from"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let to = query["to"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let utc = TimeZone(identifier: "UTC")!
            let period = try ReportPeriod.resolve(kind: kind, from: from, to: to, now: store.configuration.now(), timeZone: utc)
            let report = try await store.report(.init(kind: kind, period: period), actor: user.name)
            let values: [String: Any] = [
                "kinds": ReportKind.allCases.map {
                    ["value": $0.rawValue, "label": Strings.label(.reportKind, $0.rawValue, language: Self.language(request)), "selected": $0 == kind]
                },
                "from": from ?? "", "to": to ?? "", "period": "\(report.from) – \(report.to) (\(report.timeZone))",
                "charts": ReportRenderer.charts(report, label: { Strings.reportWord($0, language: Self.language(request)) }).map { ["svg": $0] },
                "lines": ReportRenderer.lines(report).filter { $0.section != "period" }.map { line -> [String: String] in
                    let lang = Self.language(request)
                    return [
                        "section": Strings.reportWord(line.section, language: lang), "key": Strings.reportWord(line.key, language: lang),
                        "metric": Strings.reportWord(line.metric, language: lang), "value": Strings.reportWord(line.value, language: lang),
                    ]
                },
            ]
            return page("reports", title: "reports", values, request: request, user: user)
        }
        route(router, .get, "site") { request, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            let vector = try await store.vector()
            let encoded = try JSONEncoder().encode(vector)
            let entries = (try JSONDecoder().decode([String: Int64].self, from: encoded)).sorted { $0.key < $1.key }
            let forks = try await store.forks()
            let automation: Any =
                if let run = try await store.lastAutomationRun() {
                    [
                        "lastRun": Timestamps.iso(run.startedAt), "nextRun": run.nextAt.map(Timestamps.iso) ?? "—",
                        "escalations": String(run.escalations), "notifications": String(run.notifications),
                        "careTasks": String(run.careTasks), "closed": run.closed.isEmpty ? "0" : "\(run.closed.count): \(run.closed.joined(separator: ", "))",
                        "errors": run.errors.joined(separator: "; "), "hasErrors": !run.errors.isEmpty,
                        "autoCloseDays": String(try await store.autoCloseDays()),
                        "runs": String(run.totals?.runs ?? 1), "totalEscalations": String(run.totals?.escalations ?? run.escalations),
                        "totalCare": String(run.totals?.careTasks ?? run.careTasks), "totalClosed": String(run.totals?.closed ?? run.closed.count),
                    ] as [String: Any]
                } else {
                    false
                }
            let values: [String: Any] = [
                "automation": automation,
                "site": store.site.rawValue, "name": try await store.siteName(), "digest": try await store.digest(),
                "changes": String(try await store.changeCount()), "tickets": String(try await store.ticketCount()),
                "vector": entries.map { ["site": $0.key, "seq": String($0.value)] },
                "hasForks": !forks.isEmpty,
                "forks": forks.map {
                    [
                        "origin": $0.origin, "seqs": "\($0.firstSeq)–\($0.lastSeq)", "refused": String($0.refused.prefix(12)),
                        "kept": String($0.kept.prefix(12)), "state": $0.state,
                    ]
                },
                "peers": await backend.peers().map { peer in
                    [
                        "peer": peer.peer, "peerSite": peer.site ?? "?", "lastSync": peer.lastSync ?? "—",
                        "lastError": peer.lastError ?? "", "lag": peer.lag.map(String.init) ?? "?",
                    ]
                },
            ]
            return page("site", title: "site", values, request: request, user: user)
        }
    }
}
