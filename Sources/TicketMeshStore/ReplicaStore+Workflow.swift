import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Fields `updateTicket` accepts, by their CLI/API name, with the replicated field each writes.
    package static let updatableFields: [String: String] = [
        "summary": "summary", "details": "details", "urgency": "urgency", "type": "type", "channel": "channel",
        "contact": "contactPerson", "expected-by": "expectedBy", "read-back": "readBack", "department": "department",
        "complex": "complex", "lead-department": "leadDepartment", "collaborators": "collaborators",
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
            try self.authorize(.editTicket, actor: actor, in: db)
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
        case "contact", "department", "lead-department": return .text(try TicketDraft.requireText(raw, field: field, limit: 200))
        case "collaborators":
            let names = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty, names.allSatisfy({ $0.count <= 200 }) else {
                throw DomainError.invalidValue(field: "collaborators", value: raw, rule: "must be a comma-separated list of departments")
            }
            return .text(names.joined(separator: ","))
        case "expected-by":
            let time = try Timestamps.parse(raw, field: "expected-by")
            guard time >= ticket.receivedAt else {
                // Depends on the ticket, not on the value alone: a conflict with the record (409 over HTTP).
                throw DomainError(
                    code: .conflict,
                    message: "invalid expected-by '\(raw)': must not be before the time ticket \(ticket.number) was received (\(Timestamps.iso(ticket.receivedAt)))")
            }
            return .int(time)
        case "read-back", "complex":
            switch raw.lowercased() {
            case "true", "yes", "1": return .int(1)
            case "false", "no", "0": return .int(0)
            default: throw DomainError.invalidValue(field: field, value: raw, rule: "must be true or false")
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
            try self.authorize(.editTicket, actor: actor, in: db)
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

    /// Moves a ticket to `target` after checking the role and the state machine (R4.1), writing `fields` and an event entry.
    ///
    /// - Throws: `DomainError.forbidden` if the actor's role may not take `permission`;
    ///   `.illegalTransition` naming from, to and the allowed states. Nothing is written then.
    package func transition(
        _ key: String, to target: TicketState, fields: [String: FieldValue] = [:], event: String,
        permission: Permission = .editTicket, actor: String?
    ) async throws -> Ticket {
        let id = try await writer.write { db -> String in
            try self.authorize(permission, actor: actor, in: db)
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
        var fields = fields
        if target == .resolved || target == .closed {
            // The rating-beats-resolve rule: say which complaint this resolve or close has seen.
            let row = try Row.fetchOne(db, sql: "SELECT dissatisfied, answeredRating FROM ticket WHERE id = ?", arguments: [ticket.id])
            if let seen = row?["dissatisfied"] as String?, seen != row?["answeredRating"] as String? {
                fields["answeredRating"] = .text(seen)
            }
        }
        var edits = [FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(target.rawValue))]
        edits += fields.sorted { $0.key < $1.key }.map { FieldEdit(entity: "ticket", rowID: ticket.id, field: $0.key, value: $0.value) }
        edits += entryEdits(ticketID: ticket.id, kind: .event, body: event, score: nil, actor: actor)
        if target == .resolved {
            // R4.5: the finished case goes to a supervisor for approval.
            edits += notificationEdits(
                ticketID: ticket.id, role: .supervisor, department: ticket.department, kind: "review",
                body: "\(ticket.number) resolved: review and approve the case", at: configuration.now(), sourceId: nil)
        }
        try commit(edits, actor: actor, in: db)
    }

    /// What a resolution records besides the result (R4.4).
    package struct ResolutionDetails: Sendable, Equatable {
        /// Tracking number, repair record, screenshot reference.
        package var evidence: String?
        /// E.g. "50-yuan coupon".
        package var compensation: String?
        package var rootCause: String?

        package init(evidence: String? = nil, compensation: String? = nil, rootCause: String? = nil) {
            self.evidence = evidence
            self.compensation = compensation
            self.rootCause = rootCause
        }
    }

    /// Resolves a ticket with the result told to the customer and the resolution details (R4.4).
    package func resolve(_ key: String, result: String, details: ResolutionDetails = .init(), actor: String?) async throws -> Ticket {
        let text = try TicketDraft.requireText(result, field: "result", limit: 10_000)
        var fields: [String: FieldValue] = ["result": .text(text), "resolvedAt": .int(configuration.now())]
        if let evidence = details.evidence { fields["evidence"] = .text(try TicketDraft.requireText(evidence, field: "evidence", limit: 10_000)) }
        if let value = details.compensation { fields["compensation"] = .text(try TicketDraft.requireText(value, field: "compensation", limit: 10_000)) }
        if let value = details.rootCause { fields["rootCause"] = .text(try TicketDraft.requireText(value, field: "root cause", limit: 10_000)) }
        return try await transition(key, to: .resolved, fields: fields, event: "resolved: \(text)", actor: actor)
    }

    /// Closes a resolved ticket.
    package func close(_ key: String, actor: String?) async throws -> Ticket {
        try await transition(key, to: .closed, fields: ["closedAt": .int(configuration.now())], event: "closed", actor: actor)
    }

    /// Reopens a resolved ticket (R4.1 second handling); supervisors and above.
    package func reopen(_ key: String, reason: String, actor: String?) async throws -> Ticket {
        let text = try TicketDraft.requireText(reason, field: "reason", limit: 10_000)
        return try await transition(key, to: .reopened, event: "reopened: \(text)", permission: .reopen, actor: actor)
    }

    /// Escalates to tier 2 or 3 (R4.1, R4.2), recording an escalation; an escalated complaint
    /// also notifies the department head (R4.5).
    package func escalate(_ key: String, tier: Int, reason: String, actor: String?) async throws -> Ticket {
        guard tier == 2 || tier == 3 else {
            throw DomainError.invalidValue(field: "tier", value: String(tier), rule: "escalation goes to tier 2 or 3")
        }
        let text = try TicketDraft.requireText(reason, field: "reason", limit: 10_000)
        let now = configuration.now()
        let id = try await writer.write { db -> String in
            try self.authorize(.escalate, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            let current = try TicketState.parse(ticket.state)
            if let existing = ticket.tier, existing >= tier, current == .escalated {
                // The ticket's state, not the value, is in the way: an illegal move (409 over HTTP), not bad input.
                throw DomainError(
                    code: .illegalTransition,
                    message: "cannot escalate ticket \(ticket.number) to tier \(tier): it is escalated at tier \(existing); the tier must be above it")
            }
            try current.checkTransition(to: .escalated)
            let escalation = Escalation(
                id: RecordID.make(at: now), ticketId: ticket.id, kind: "manual", clock: nil, dueAt: nil, tier: tier,
                toRole: nil, reason: text, at: now, by: actor)
            try self.commit(Self.escalationEdits(escalation), actor: actor, in: db)
            if ticket.type == "complaint" || ticket.type.hasPrefix("complaint/") {
                try self.commit(
                    self.notificationEdits(
                        ticketID: ticket.id, role: .manager, department: ticket.department, kind: "department-head",
                        body: "\(ticket.number): complaint escalated to tier \(tier): \(text)", at: now, sourceId: escalation.id),
                    actor: actor, in: db)
            }
            try self.commitTransition(
                ticket, to: .escalated, fields: ["tier": .int(Int64(tier))], event: "escalated to tier \(tier): \(text)", actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// What `assign` sets besides the assignee (R2.3, R4.2).
    package struct Assignment: Sendable, Equatable {
        package var tier: Int?
        package var department: String?
        /// The one department that leads when several are involved.
        package var leadDepartment: String?
        /// The departments that collaborate.
        package var collaborators: [String]

        package init(tier: Int? = nil, department: String? = nil, leadDepartment: String? = nil, collaborators: [String] = []) {
            self.tier = tier
            self.department = department
            self.leadDepartment = leadDepartment
            self.collaborators = collaborators
        }
    }

    /// Sets assignee, tier and department (R4.2) without changing the state.
    package func assign(_ key: String, to user: String, tier: Int?, department: String?, actor: String?) async throws -> Ticket {
        try await assign(key, to: user, Assignment(tier: tier, department: department), actor: actor)
    }

    /// Sets assignee, tier, department, lead and collaborating departments (R2.3, R4.2) without changing the state.
    ///
    /// Assigning tier 2 or 3 starts the acceptance clock: the assignee accepts with an ETA (`accept`).
    package func assign(_ key: String, to user: String, _ assignment: Assignment, actor: String?) async throws -> Ticket {
        let assignee = try TicketDraft.requireText(user, field: "to", limit: 100)
        if let tier = assignment.tier, !(1...3).contains(tier) {
            throw DomainError.invalidValue(field: "tier", value: String(tier), rule: "must be 1, 2 or 3")
        }
        let dept = try assignment.department.map { try TicketDraft.requireText($0, field: "department", limit: 200) }
        let lead = try assignment.leadDepartment.map { try TicketDraft.requireText($0, field: "lead-department", limit: 200) }
        let collaborators = try assignment.collaborators.map { try TicketDraft.requireText($0, field: "collaborator", limit: 200) }
        let id = try await writer.write { db -> String in
            try self.authorize(.editTicket, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireEditable(ticket)
            var edits = [FieldEdit(entity: "ticket", rowID: ticket.id, field: "assignee", value: .text(assignee))]
            if let tier = assignment.tier { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "tier", value: .int(Int64(tier)))) }
            if let dept { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "department", value: .text(dept))) }
            if let lead { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "leadDepartment", value: .text(lead))) }
            if !collaborators.isEmpty {
                edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "collaborators", value: .text(collaborators.joined(separator: ","))))
            }
            var event = "assigned to \(assignee)"
            if let tier = assignment.tier { event += ", tier \(tier)" }
            if let dept { event += ", department \(dept)" }
            if let lead { event += ", lead \(lead)" }
            if !collaborators.isEmpty { event += ", with \(collaborators.joined(separator: ", "))" }
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: event, score: nil, actor: actor)
            edits += self.notificationEdits(
                ticketID: ticket.id, recipient: assignee, kind: "assignment", body: "\(ticket.number) assigned to you: \(ticket.summary)",
                at: self.configuration.now(), sourceId: nil)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Tier 2/3 accepts the assignment and promises an ETA (R3.2, R4.2); specialists and above.
    ///
    /// - Throws: `.illegalTransition` unless the ticket is open at tier 2 or 3; `.invalidValue` for an ETA in the past.
    package func accept(_ key: String, eta: Int64, actor: String?) async throws -> Ticket {
        let now = configuration.now()
        guard eta > now else {
            throw DomainError.invalidValue(field: "eta", value: Timestamps.iso(eta), rule: "must be in the future")
        }
        let id = try await writer.write { db -> String in
            try self.authorize(.accept, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireOpen(ticket, doing: "accept")
            guard let tier = ticket.tier, tier >= 2 else {
                throw DomainError(
                    code: .illegalTransition,
                    message: "cannot accept ticket \(ticket.number) at tier \(ticket.tier.map(String.init) ?? "none"): acceptance is for tier 2 or 3 assignments")
            }
            var edits = [
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "acceptedAt", value: .int(now)),
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "eta", value: .int(eta)),
            ]
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "accepted at tier \(tier), ETA \(Timestamps.iso(eta))", score: nil, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Records the handling plan (R3.2: severe complaints within 48 h, reopened tickets within 24 h).
    package func plan(_ key: String, text: String, actor: String?) async throws -> Ticket {
        let body = try TicketDraft.requireText(text, field: "plan", limit: 10_000)
        let now = configuration.now()
        let id = try await writer.write { db -> String in
            try self.authorize(.editTicket, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireOpen(ticket, doing: "plan")
            var edits = [
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "plan", value: .text(body)),
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "plannedAt", value: .int(now)),
            ]
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "plan: \(body)", score: nil, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Records the follow-up contact after resolution and its result (R5.3).
    package func followUp(_ key: String, result: String, actor: String?) async throws -> Ticket {
        let text = try TicketDraft.requireText(result, field: "result", limit: 10_000)
        let now = configuration.now()
        let id = try await writer.write { db -> String in
            try self.authorize(.recordFeedback, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireNotArchived(ticket)
            guard ticket.state == TicketState.resolved.rawValue || ticket.state == TicketState.closed.rawValue else {
                throw DomainError(
                    code: .illegalTransition,
                    message: "cannot follow up ticket \(ticket.number) in state '\(ticket.state)': follow-up comes after resolution")
            }
            var edits = [
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "followUpAt", value: .int(now)),
                FieldEdit(entity: "ticket", rowID: ticket.id, field: "followUpResult", value: .text(text)),
            ]
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "follow-up: \(text)", score: nil, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// A supervisor approves the finished case report (R4.5).
    package func approve(_ key: String, comment: String?, actor: String?) async throws -> Ticket {
        let text = try comment.map { try TicketDraft.requireText($0, field: "comment", limit: 10_000) }
        let now = configuration.now()
        let id = try await writer.write { db -> String in
            try self.authorize(.approve, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireNotArchived(ticket)
            guard ticket.state == TicketState.resolved.rawValue || ticket.state == TicketState.closed.rawValue else {
                throw DomainError(
                    code: .illegalTransition,
                    message: "cannot approve ticket \(ticket.number) in state '\(ticket.state)': only resolved or closed cases are approved")
            }
            var edits = [FieldEdit(entity: "ticket", rowID: ticket.id, field: "approvedAt", value: .int(now))]
            if let actor { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "approvedBy", value: .text(actor))) }
            if let text { edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "approvalComment", value: .text(text))) }
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "case approved" + (text.map { ": \($0)" } ?? ""), score: nil, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// Records a satisfaction score 1–5 (R5.1). A score of 1–2 reopens the ticket, resolved or closed,
    /// and notifies the supervisors (R5.2); see `TicketState.effective` for how it beats a concurrent
    /// resolve or close.
    ///
    /// - Throws: `.illegalTransition` unless the ticket is resolved or closed and not archived.
    ///
    /// - Parameter dimensions: optional scores 1–5 per feedback dimension (R7.2), stored on the rating entry.
    package func rate(
        _ key: String, score: Int, comment: String?, dimensions: [FeedbackDimension: Int] = [:], actor: String?
    ) async throws -> Ticket {
        let score = try Satisfaction.validate(score: score)
        for (dimension, value) in dimensions where !(1...5).contains(value) {
            throw DomainError.invalidValue(field: "dimension \(dimension.rawValue)", value: String(value), rule: "must be an integer from 1 to 5")
        }
        let text = try comment.map { try TicketDraft.requireText($0, field: "comment", limit: 10_000) } ?? ""
        let id = try await writer.write { db -> String in
            try self.authorize(.recordFeedback, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            try Self.requireNotArchived(ticket)
            let state = try TicketState.parse(ticket.state)
            guard state == .resolved || state == .closed else {
                throw DomainError(code: .illegalTransition, message: "cannot rate ticket \(ticket.number) in state '\(state.rawValue)': ratings are taken once a ticket is resolved or closed")
            }
            let edits = self.ratingEdits(ticket, score: score, text: text, dimensions: dimensions, actor: actor)
            try self.commit(edits, actor: actor, in: db)
            return ticket.id
        }
        return try await ticket(id)
    }

    /// The edits of a rating (R5.1) on a resolved or closed ticket: the entry, the score, and for 1–2 the
    /// reopening and the supervisors' notification (R5.2). The caller has checked the state.
    func ratingEdits(
        _ ticket: Ticket, score: Int, text: String, dimensions: [FeedbackDimension: Int], actor: String?, entryID: String? = nil
    ) -> [FieldEdit] {
        var edits = self.entryEdits(ticketID: ticket.id, kind: .rating, body: text, score: score, actor: actor, id: entryID)
        let ratingID = edits[0].rowID
        edits += dimensions.sorted { $0.key.field < $1.key.field }.map {
            FieldEdit(entity: "entry", rowID: ratingID, field: $0.key.field, value: .int(Int64($0.value)))
        }
        edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "score", value: .int(Int64(score))))
        if Satisfaction.isDissatisfied(score: score) {
            // R5.2: a score of 1–2 reopens the ticket, resolved or closed (archived ones refuse ratings above).
            edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(TicketState.reopened.rawValue)))
            edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "dissatisfied", value: .text(ratingID)))
            edits += self.entryEdits(ticketID: ticket.id, kind: .event, body: "reopened: customer rated \(score)/5", score: nil, actor: actor)
            edits += self.notificationEdits(
                ticketID: ticket.id, role: .supervisor, department: ticket.department, kind: "low-rating",
                body: "\(ticket.number): customer rated \(score)/5\(text.isEmpty ? "" : ": \(text)") — reassign for second handling",
                at: self.configuration.now(), sourceId: ratingID)
        }
        return edits
    }

    func entryEdits(ticketID: String, kind: Entry.Kind, body: String, score: Int?, actor: String?, id: String? = nil) -> [FieldEdit] {
        let now = configuration.now()
        let id = id ?? RecordID.make(at: now)
        var values: [(String, FieldValue)] = [
            ("ticketId", .text(ticketID)), ("kind", .text(kind.rawValue)), ("body", .text(body)),
            ("at", .int(now)), ("site", .text(site.rawValue)),
        ]
        if let actor { values.append(("author", .text(actor))) }
        if let score { values.append(("score", .int(Int64(score)))) }
        return values.map { FieldEdit(entity: "entry", rowID: id, field: $0.0, value: $0.1) }
    }

    static func requireEditable(_ ticket: Ticket) throws {
        try requireNotArchived(ticket)
        if ticket.state == TicketState.closed.rawValue {
            throw DomainError(code: .illegalTransition, message: "ticket \(ticket.number) is closed: closed tickets are read-only")
        }
    }

    /// Archived tickets are read-only for every command (R6.1), feedback and approval included.
    static func requireNotArchived(_ ticket: Ticket) throws {
        if ticket.archived {
            throw DomainError(code: .illegalTransition, message: "ticket \(ticket.number) is archived: archived tickets are read-only")
        }
    }

    static func requireOpen(_ ticket: Ticket, doing action: String) throws {
        guard let state = TicketState(rawValue: ticket.state), state.isOpen else {
            throw DomainError(
                code: .illegalTransition, message: "cannot \(action) ticket \(ticket.number) in state '\(ticket.state)': the ticket is not open")
        }
    }
}
