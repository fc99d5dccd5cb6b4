import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// A ticket in a list: its fields and, when sorted by SLA, where its clocks stand.
struct TicketListItem: Encodable {
    let ticket: Ticket
    /// Earliest due time of a running clock (ms), nil when none runs or the list is not SLA-sorted.
    let nextDueAt: Int64?
    let breached: Bool
    let atRisk: Bool
}

/// A ticket with everything `ticket show --json` prints.
struct TicketDetail: Encodable {
    let id: String
    let number: String
    let fields: Ticket
    /// Whether it was registered within the policy's time of receipt (R1.2).
    let registration: Registration
    let notes: [Entry]
    let sla: [SLAClock]
    let escalations: [Escalation]
    let conflicts: [Conflict]
    /// The ticket's version (`ReplicaStore.ticketVersion`): send it back as `expectedVersion` or
    /// `If-Match` with a reply or note to have it refused if the ticket changed meanwhile.
    let version: String

    /// The ticket `key` with everything in it shown as `disclosure` shows it.
    static func load(_ key: String, store: ReplicaStore, disclosure: Disclosure) async throws -> TicketDetail {
        let (ticket, clocks) = try await store.slaClocks(key)
        // Read first: everything read after it is at least as new, so a stale version is never newer than the page.
        let version = try await store.ticketVersion(ticket.id)
        return TicketDetail(
            id: ticket.id,
            number: ticket.number,
            fields: disclosure.ticket(ticket),
            registration: try await store.registration(of: ticket),
            notes: try await store.entries(ticketID: ticket.id).map(disclosure.entry),
            sla: clocks,
            escalations: try await store.escalations(ticketID: ticket.id).map(disclosure.escalation),
            conflicts: try await store.unresolvedConflicts(rowID: ticket.id).map(disclosure.conflict),
            version: version
        )
    }
}

extension API {
    /// The bulk action a form or body names: `assign` (with `to`), `state` (with `state`) or `close`.
    /// - Throws: a 400 naming `action`, `to` or `state`.
    static func bulkAction(_ name: String, to: String?, state: String?) throws -> BulkAction {
        // A state is checked whatever the action, so a wrong one is never silently ignored.
        if let state, !state.isEmpty, !ReplicaStore.bulkStates.contains(try TicketState.parse(state)) {
            throw APIError.badRequest(
                "invalid state '\(state)': a bulk state action sets \(ReplicaStore.bulkStates.map(\.rawValue).joined(separator: " or ")) (close has its own action)")
        }
        switch name {
        case "assign":
            guard let to, !to.isEmpty else { throw APIError.badRequest("missing to: an assign action names the user") }
            return .assign(to)
        case "state":
            guard let state, !state.isEmpty else { throw APIError.badRequest("missing state: a state action names the state") }
            return .state(try TicketState.parse(state))
        case "close": return .close
        default: throw APIError.badRequest("invalid action '\(name)': must be one of assign, state, close")
        }
    }

    /// A request type named in a body: an active node of the replicated tree, else 404 like an unknown
    /// customer (the tree is data, so the document cannot list it).
    static func requestType(_ raw: String, store: ReplicaStore) async throws -> String {
        do {
            return try await store.requestTypes().validate(raw)
        } catch let error as DomainError {
            throw APIError(status: .notFound, code: "not-found", message: error.message)
        }
    }

    /// The ticket filter of a list request's query (`TicketFilter.parameterNames`: state, urgency,
    /// type, assignee, department, customer, channel, clock, q, sort) and limit (default `defaultLimit`).
    ///
    /// `sort=sla` is the default order (`due`); `sort=newest` is left to the caller (`isNewest`).
    static func filter(_ request: Request, defaultLimit: Int = 500) throws -> ReplicaStore.TicketFilter {
        var query = Fields.query(request)
        let limit = try limit(query["limit"], default: defaultLimit)
        if query["sort"] == "sla" || query["sort"] == "newest" { query["sort"] = nil }
        do {
            return try ReplicaStore.TicketFilter(parameters: query, limit: limit)
        } catch let error as DomainError {
            throw APIError.badRequest(error.message)
        }
    }

    /// Whether a list request asks for newest first without clocks (`sort=newest`).
    static func isNewest(_ request: Request) -> Bool { Fields.query(request)["sort"] == "newest" }

    func registerTickets(on api: RouterGroup<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(api, .get, "tickets") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let filter = try Self.filter(request)
            if Self.isNewest(request) {
                return try JSON.response(
                    try await store.tickets(matching: filter).map {
                        TicketListItem(ticket: disclosure.ticket($0), nextDueAt: nil, breached: false, atRisk: false)
                    }
                )
            }
            return try JSON.response(
                try await store.queue(filter).map {
                    TicketListItem(
                        ticket: disclosure.ticket($0.ticket),
                        nextDueAt: $0.nextDueAt,
                        breached: $0.breached,
                        atRisk: $0.atRisk
                    )
                }
            )
        }
        route(api, .post, "tickets/bulk") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["action", "tickets", "to", "state"])
            let action = try Self.bulkAction(
                try fields.text("action", required: true)!, to: try fields.text("to", limit: 100), state: try fields.text("state"))
            let tickets = try fields.stringList("tickets")
            // As sent (the store counts them again without duplicates).
            guard tickets.count <= 500 else { throw APIError.badRequest("invalid tickets: at most 500 per request, got \(tickets.count)") }
            if let blank = tickets.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw APIError.badRequest("invalid tickets[\(blank)]: must name a ticket (an id or number), not be blank")
            }
            return try JSON.response(try await store.bulk(action, tickets: tickets, actor: user.name))
        }
        route(api, .post, "tickets") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["customerId", "contactPerson", "channel", "type", "urgency", "summary", "details", "refs"])
            let refs = try fields.stringMap("refs")
            if let key = refs.keys.sorted().first(where: { $0.isEmpty || $0.unicodeScalars.count > 64 }) {
                throw APIError.badRequest("invalid ref '\(key)': key must be 1–64 characters")
            }
            let draft = TicketDraft(
                customerId: try fields.text("customerId", required: true)!,
                contactPerson: try fields.text("contactPerson"),
                channel: try fields.text("channel", required: true)!,
                type: try await Self.requestType(try fields.text("type", required: true)!, store: store),
                urgency: try fields.text("urgency", required: true)!,
                summary: try fields.text("summary", required: true, limit: 2_000)!,
                details: try fields.text("details", limit: 100_000),
                refs: refs
            )
            let ticket = try await store.createTicket(draft, actor: user.name)
            return try JSON.response(Disclosure.masked.ticket(ticket), status: .created)
        }
        route(api, .get, "tickets/:id") { _, context, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let detail = try await TicketDetail.load(try context.parameters.require("id"), store: store, disclosure: disclosure)
            var response = try JSON.response(detail)
            response.headers[.eTag] = "\"\(detail.version)\""
            return response
        }
        route(api, .post, "tickets/:id/reveal") { request, context, user in
            try await Fields.read(request).allowOnly([])
            let id = try context.parameters.require("id")
            let disclosure = try await store.reveal(.ticket(id), actor: user.name)
            return try JSON.response(try await TicketDetail.load(id, store: store, disclosure: disclosure))
        }
        route(api, .patch, "tickets/:id") { request, context, user in
            var values = try await Fields.read(request).updateValues()
            if let type = values["type"] { values["type"] = try await Self.requestType(type, store: store) }
            return try JSON.response(
                Disclosure.masked.ticket(
                    try await store.updateTicket(try context.parameters.require("id"), fields: values, actor: user.name)
                )
            )
        }
        action(api, "assign", fields: ["to", "tier", "department"]) { id, fields, user in
            try await store.assign(
                id,
                to: try fields.text("to", required: true, limit: 100)!,
                tier: try fields.int("tier"),
                department: try fields.text("department", limit: 200),
                actor: user.name
            )
        }
        action(api, "escalate", fields: ["tier", "reason"]) { id, fields, user in
            try await store.escalate(
                id,
                tier: try fields.int("tier", required: true)!,
                reason: try fields.text("reason", required: true, limit: 10_000)!,
                actor: user.name
            )
        }
        action(api, "resolve", fields: ["result", "evidence", "compensation", "rootCause"]) { id, fields, user in
            let details = ReplicaStore.ResolutionDetails(
                evidence: try fields.text("evidence", limit: 10_000),
                compensation: try fields.text("compensation", limit: 10_000),
                rootCause: try fields.text("rootCause", limit: 10_000)
            )
            return try await store.resolve(
                id,
                result: try fields.text("result", required: true, limit: 10_000)!,
                details: details,
                actor: user.name
            )
        }
        action(api, "close", fields: []) { id, _, user in try await store.close(id, actor: user.name) }
        action(api, "reopen", fields: ["reason"]) { id, fields, user in
            try await store.reopen(id, reason: try fields.text("reason", required: true, limit: 10_000)!, actor: user.name)
        }
        action(api, "state", fields: ["state"]) { id, fields, user in
            let raw = try fields.text("state", required: true)!
            let target = try TicketState.parse(raw)
            guard target == .inProgress || target == .pendingCustomer else {
                throw APIError.badRequest(
                    "invalid state '\(raw)': this route sets in-progress or pending-customer; use the escalate, resolve, close or reopen routes for the others"
                )
            }
            return try await store.transition(
                id,
                to: target,
                event: target == .inProgress ? "work started" : "waiting for the customer",
                actor: user.name
            )
        }
        action(api, "rating", fields: ["score", "comment"]) { id, fields, user in
            try await store.rate(
                id,
                score: try fields.int("score", required: true)!,
                comment: try fields.text("comment", limit: 10_000),
                actor: user.name
            )
        }
        for (path, kind) in [("notes", Entry.Kind.note), ("replies", Entry.Kind.reply)] {
            route(api, .post, RouterPath("tickets/:id/\(path)")) { request, context, user in
                let fields = try await Fields.read(request)
                try fields.allowOnly(["body", "expectedVersion"])
                let entry = try await store.addEntry(
                    try context.parameters.require("id"),
                    kind: kind,
                    body: try fields.text("body", required: true, limit: 100_000)!,
                    expectedVersion: try Self.expectedVersion(request, fields),
                    actor: user.name
                )
                return try JSON.response(Disclosure.masked.entry(entry), status: .created)
            }
        }
    }

    /// The version a reply or note expects: `If-Match` (an entity tag, quotes optional) or the
    /// `expectedVersion` field; nil when neither is given (no check).
    ///
    /// - Throws: 400 when both are given and differ, or the header is empty (a blank field counts as absent).
    static func expectedVersion(_ request: Request, _ fields: Fields) throws -> String? {
        let header = request.headers[.ifMatch].map { raw in
            var tag = raw.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") { tag = String(tag.dropFirst().dropLast()) }
            return tag
        }
        let field = try fields.text("expectedVersion").map(Fields.droppingFinalNewline)
        if header == "" { throw APIError.badRequest("invalid If-Match '': must be the ticket's version from GET /api/tickets/{id}") }
        if let header, let field, header != field {
            throw APIError.badRequest("invalid expectedVersion '\(field)': differs from If-Match '\(header)'; send one of them")
        }
        return header ?? field
    }

    /// A `POST /api/tickets/{id}/NAME` command that answers with the updated ticket.
    private func action(
        _ api: RouterGroup<BasicRequestContext>,
        _ name: String,
        fields names: Set<String>,
        _ body: @escaping @Sendable (String, Fields, User) async throws -> Ticket
    ) {
        route(api, .post, RouterPath("tickets/:id/\(name)")) { request, context, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(names)
            return try JSON.response(
                Disclosure.masked.ticket(try await body(try context.parameters.require("id"), fields, user))
            )
        }
    }
}
