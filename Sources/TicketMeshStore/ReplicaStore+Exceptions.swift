import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Raises a service exception on a ticket (R2.2) and notifies whoever handles its grade:
    /// grade 1 the managers at once, grade 2 the supervisors of the ticket's department; grade 3 stays with the agent.
    ///
    /// A grade-1 exception on a complaint makes it a severe complaint (plan within 48 h, R3.2).
    /// - Throws: `DomainError` for bad input or an unknown ticket; `.forbidden` for analysts.
    package func raiseException(
        _ key: String, category: String, grade: Int, description: String, actor: String?
    ) async throws -> ServiceException {
        let category = try ServiceException.Category.parse(category)
        let grade = try ServiceException.Grade.parse(grade)
        let text = try TicketDraft.requireText(description, field: "description", limit: 10_000)
        let now = configuration.now()
        return try await writer.write { db in
            try self.authorize(.raiseException, actor: actor, in: db)
            let ticket = try self.ticket(key, in: db)
            let exception = ServiceException(
                id: RecordID.make(at: now), ticketId: ticket.id, category: category, grade: grade, description: text, at: now,
                by: actor, site: self.site.rawValue)
            var values: [(String, FieldValue)] = [
                ("ticketId", .text(ticket.id)), ("category", .text(category.rawValue)), ("grade", .int(Int64(grade.rawValue))),
                ("description", .text(text)), ("at", .int(now)), ("site", .text(self.site.rawValue)),
            ]
            if let actor { values.append(("by", .text(actor))) }
            var edits = values.map { FieldEdit(entity: "exception", rowID: exception.id, field: $0.0, value: $0.1) }
            edits += self.entryEdits(
                ticketID: ticket.id, kind: .event, body: "service exception grade \(grade.rawValue) (\(category.rawValue)): \(text)",
                score: nil, actor: actor)
            switch grade {
            case .severe:
                edits += self.notificationEdits(
                    ticketID: ticket.id, role: .manager, kind: "exception",
                    body: "\(ticket.number): grade-1 service exception (\(category.rawValue)): \(text)", at: now, sourceId: exception.id)
            case .significant:
                edits += self.notificationEdits(
                    ticketID: ticket.id, role: .supervisor, department: ticket.department, kind: "exception",
                    body: "\(ticket.number): grade-2 service exception (\(category.rawValue)): \(text)", at: now, sourceId: exception.id)
            case .minor:
                break
            }
            try self.commit(edits, actor: actor, in: db)
            return exception
        }
    }

    /// Service exceptions, of one ticket or all, oldest first.
    package func exceptions(ticketID: String? = nil) async throws -> [ServiceException] {
        try await writer.read { db in
            let rows: [Row] =
                if let ticketID {
                    try Row.fetchAll(db, sql: "SELECT * FROM exception WHERE ticketId = ? AND grade IS NOT NULL ORDER BY at, id", arguments: [ticketID])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM exception WHERE grade IS NOT NULL ORDER BY at, id")
                }
            return rows.compactMap { row in
                guard let category = ServiceException.Category(rawValue: row["category"] ?? ""),
                    let grade = ServiceException.Grade(rawValue: row["grade"] ?? 0)
                else { return nil }
                return ServiceException(
                    id: row["id"], ticketId: row["ticketId"] ?? "", category: category, grade: grade,
                    description: row["description"] ?? "", at: row["at"] ?? 0, by: row["by"], site: row["site"] ?? "")
            }
        }
    }
}
