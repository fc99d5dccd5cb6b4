import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Fields `updateTicket` accepts, by their CLI/API name, with the replicated field each writes.
    package static let updatableFields: [String: String] = [
        "summary": "summary", "details": "details", "urgency": "urgency", "type": "type", "channel": "channel",
        "contact": "contactPerson", "expected-by": "expectedBy", "read-back": "readBack", "department": "department",
    ]

    /// Changes descriptive fields of a ticket; only values that differ are written.
    ///
    /// - Parameter fields: CLI names (see `updatableFields`) to new values as typed.
    /// - Throws: `DomainError` naming the first bad field; nothing is written then.
    package func updateTicket(_ key: String, fields: [String: String], actor: String?) async throws -> Ticket {
        guard !fields.isEmpty else {
            throw DomainError.invalidValue(field: "fields", value: "", rule: "give at least one of --\(Self.updatableFields.keys.sorted().joined(separator: ", --"))")
        }
        let id = try await writer.write { db -> String in
            let ticket = try self.ticket(key, in: db)
            try Self.requireEditable(ticket)
            var edits: [FieldEdit] = []
            for (name, raw) in fields.sorted(by: { $0.key < $1.key }) {
                guard let field = Self.updatableFields[name] else {
                    throw DomainError.invalidValue(field: name, value: raw, rule: "not an updatable field; use one of \(Self.updatableFields.keys.sorted().joined(separator: ", "))")
                }
                let value = try self.validatedValue(field: name, raw: raw, ticket: ticket, in: db)
                edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: field, value: value))
            }
            let current = try Row.fetchOne(db, sql: "SELECT * FROM ticket WHERE id = ?", arguments: [ticket.id])!
            let changed = edits.filter { FieldValue(current[$0.field] as DatabaseValue) != $0.value }
            if !changed.isEmpty { try self.commit(changed, actor: actor, in: db) }
            return ticket.id
        }
        return try await ticket(id)
    }

    private func validatedValue(field: String, raw: String, ticket: Ticket, in db: Database) throws -> FieldValue {
        switch field {
        case "summary": return .text(try TicketDraft.requireText(raw, field: "summary", limit: 2_000))
        case "details": return .text(try TicketDraft.requireText(raw, field: "details", limit: 100_000))
        case "urgency": return .text(try Urgency.parse(raw).rawValue)
        case "type": return .text(try requestTypes(db).validate(raw))
        case "channel": return .text(try Channel.parse(raw).rawValue)
        case "contact", "department": return .text(try TicketDraft.requireText(raw, field: field, limit: 200))
        case "expected-by":
            let time = try Timestamps.parse(raw, field: "expected-by")
            guard time >= ticket.receivedAt else {
                throw DomainError.invalidValue(field: "expected-by", value: raw, rule: "must not be before the time received")
            }
            return .int(time)
        case "read-back":
            switch raw.lowercased() {
            case "true", "yes", "1": return .int(1)
            case "false", "no", "0": return .int(0)
            default: throw DomainError.invalidValue(field: "read-back", value: raw, rule: "must be true or false")
            }
        default: preconditionFailure("field \(field) listed as updatable but not validated")
        }
    }

    /// Adds a progress-log entry (R4.3). A customer-visible reply to a new ticket is its first response
    /// and acknowledges it (R4.1).
    package func addEntry(_ key: String, kind: Entry.Kind, body: String, actor: String?) async throws -> Entry {
        precondition(kind == .note || kind == .reply, "events and ratings have their own commands")
        let text = try TicketDraft.requireText(body, field: kind == .note ? "note" : "reply", limit: 100_000)
        return try await writer.write { db in
            let ticket = try self.ticket(key, in: db)
            try Self.requireEditable(ticket)
            var edits = self.entryEdits(ticketID: ticket.id, kind: kind, body: text, score: nil, actor: actor)
            if kind == .reply, ticket.state == TicketState.new.rawValue {
                edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(TicketState.acknowledged.rawValue)))
            }
            let changes = try self.commit(edits, actor: actor, in: db)
            return Entry(id: edits[0].rowID, ticketId: ticket.id, kind: kind, author: actor, body: text, at: changes[0].hlc.physical, site: self.site.rawValue)
        }
    }

    /// Moves a ticket to `target` after checking the state machine (R4.1), writing `fields` and an event entry.
    ///
    /// - Throws: `DomainError.illegalTransition` naming from, to and the allowed states; nothing is written then.
    package func transition(
        _ key: String, to target: TicketState, fields: [String: FieldValue] = [:], event: String, actor: String?
    ) async throws -> Ticket {
        let id = try await writer.write { db -> String in
            let ticket = try self.ticket(key, in: db)
            let current = try TicketState.parse(ticket.state)
            try current.checkTransition(to: target)
            try self.commitTransition(ticket, to: target, fields: fields, event: event, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    func commitTransition(
        _ ticket: Ticket, to target: TicketState, fields: [String: FieldValue], event: String, actor: String?, in db: Database
    ) throws {
        var edits = [FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(target.rawValue))]
        edits += fields.sorted { $0.key < $1.key }.map { FieldEdit(entity: "ticket", rowID: ticket.id, field: $0.key, value: $0.value) }
        edits += entryEdits(ticketID: ticket.id, kind: .event, body: event, score: nil, actor: actor)
        try commit(edits, actor: actor, in: db)
    }

    /// Resolves a ticket with the result told to the customer (R4.4).
    package func resolve(_ key: String, result: String, actor: String?) async throws -> Ticket {
        let text = try TicketDraft.requireText(result, field: "result", limit: 10_000)
        return try await transition(
            key, to: .resolved, fields: ["result": .text(text), "resolvedAt": .int(configuration.now())],
            event: "resolved: \(text)", actor: actor)
    }

    /// Closes a resolved ticket.
    package func close(_ key: String, actor: String?) async throws -> Ticket {
        try await transition(key, to: .closed, fields: ["closedAt": .int(configuration.now())], event: "closed", actor: actor)
    }

    /// Reopens a resolved ticket (R4.1 second handling).
    package func reopen(_ key: String, reason: String, actor: String?) async throws -> Ticket {
        let text = try TicketDraft.requireText(reason, field: "reason", limit: 10_000)
        return try await transition(key, to: .reopened, event: "reopened: \(text)", actor: actor)
    }

    /// Escalates to tier 2 or 3 (R4.1, R4.2).
    package func escalate(_ key: String, tier: Int, reason: String, actor: String?) async throws -> Ticket {
        guard tier == 2 || tier == 3 else {
            throw DomainError.invalidValue(field: "tier", value: String(tier), rule: "escalation goes to tier 2 or 3")
        }
        let text = try TicketDraft.requireText(reason, field: "reason", limit: 10_000)
        let current = try await ticket(key)
        if let existing = current.tier, existing >= tier, current.state == TicketState.escalated.rawValue {
            throw DomainError.invalidValue(field: "tier", value: String(tier), rule: "must be above the current tier \(existing)")
        }
        return try await transition(key, to: .escalated, fields: ["tier": .int(Int64(tier))], event: "escalated to tier \(tier): \(text)", actor: actor)
    }

    /// Sets assignee, tier and department (R4.2) without changing the state.
    package func assign(_ key: String, to user: String, tier: Int?, department: String?, actor: String?) async throws -> Ticket {
        let assignee = try TicketDraft.requireText(user, field: "to", limit: 100)
        if let tier, !(1...3).contains(tier) {
            throw DomainError.invalidValue(field: "tier", value: String(tier), rule: "must be 1, 2 or 3")
        }
        let dept = try department.map { try TicketDraft.requireText($0, field: "department", limit: 200) }
        let id = try await writer.write { db -> String in
            let ticket = try self.ticket(key, in: db)
            try Self.requireEditable(ticket)
            var edits = [FieldEdit(entity: "ticket", rowID: ticket.id, field: "assignee", value: .text(assignee))]
            if let tier { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "tier", value: .int(Int64(tier)))) }
            if let dept { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "department", value: .text(dept))) }
            var event = "assigned to \(assignee)"
            if let tier { event += ", tier \(tier)" }
            if let dept { event += ", department \(dept)" }
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: event, score: nil, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Records a satisfaction score 1–5 (R5.1); a score of 1–2 on a resolved ticket reopens it (R5.2).
    package func rate(_ key: String, score: Int, comment: String?, actor: String?) async throws -> Ticket {
        guard (1...5).contains(score) else {
            throw DomainError.invalidValue(field: "score", value: String(score), rule: "must be an integer from 1 to 5")
        }
        let text = try comment.map { try TicketDraft.requireText($0, field: "comment", limit: 10_000) } ?? ""
        let id = try await writer.write { db -> String in
            let ticket = try self.ticket(key, in: db)
            let state = try TicketState.parse(ticket.state)
            guard state == .resolved || state == .closed else {
                throw DomainError(code: .illegalTransition, message: "cannot rate ticket \(ticket.number) in state '\(state.rawValue)': ratings are taken once a ticket is resolved or closed")
            }
            var edits = self.entryEdits(ticketID: ticket.id, kind: .rating, body: text, score: score, actor: actor)
            if score <= 2, state == .resolved {
                edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(TicketState.reopened.rawValue)))
                edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "reopened: customer rated \(score)/5", score: nil, actor: actor)
            }
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    func entryEdits(ticketID: String, kind: Entry.Kind, body: String, score: Int?, actor: String?) -> [FieldEdit] {
        let id = UUID().uuidString.lowercased()
        var values: [(String, FieldValue)] = [
            ("ticketId", .text(ticketID)), ("kind", .text(kind.rawValue)), ("body", .text(body)),
            ("at", .int(configuration.now())), ("site", .text(site.rawValue)),
        ]
        if let actor { values.append(("author", .text(actor))) }
        if let score { values.append(("score", .int(Int64(score)))) }
        return values.map { FieldEdit(entity: "entry", rowID: id, field: $0.0, value: $0.1) }
    }

    static func requireEditable(_ ticket: Ticket) throws {
        if ticket.archived {
            throw DomainError(code: .illegalTransition, message: "ticket \(ticket.number) is archived: archived tickets are read-only")
        }
        if ticket.state == TicketState.closed.rawValue {
            throw DomainError(code: .illegalTransition, message: "ticket \(ticket.number) is closed: closed tickets are read-only")
        }
    }
}
