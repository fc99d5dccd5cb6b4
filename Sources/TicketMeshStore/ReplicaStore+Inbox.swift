import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A replicated notification (R4.5, R3.3): to one user or to everyone with a role.
package struct Notification: Sendable, Equatable, Codable {
    package var id: String
    package var ticketId: String?
    /// The user it is addressed to, if addressed to one.
    package var recipient: String?
    /// The role it is addressed to, if addressed to a role.
    package var role: String?
    /// Only users of this department (or with none) see a role notification.
    package var department: String?
    /// `sla-breach`, `low-rating`, `review`, `department-head`, `exception`, `escalation`.
    package var kind: String
    package var body: String
    /// When it was raised (ms); for rule-made notifications, the time of the triggering fact.
    package var at: Int64
    /// The record that caused it (escalation, rating entry, exception), if any.
    package var sourceId: String?
}

extension ReplicaStore {
    /// A row id derived from what caused a record, so sites that derive it independently write the
    /// same row and last-writer-wins merges them into one: 32 hex chars of SHA-256 over `parts`.
    static func ruleID(_ parts: String...) -> String {
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8))
        return digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Edits that write one notification. With `deterministic`, the id is derived from `sourceId` and the addressee.
    func notificationEdits(
        ticketID: String?, recipient: String? = nil, role: Role? = nil, department: String? = nil, kind: String, body: String,
        at: Int64, sourceId: String?
    ) -> [FieldEdit] {
        let id =
            if let sourceId { Self.ruleID("notification", kind, sourceId, recipient ?? "", role?.rawValue ?? "") } else {
                RecordID.make(at: self.configuration.now())
            }
        var values: [(String, FieldValue)] = [("kind", .text(kind)), ("body", .text(body)), ("at", .int(at))]
        if let ticketID { values.append(("ticketId", .text(ticketID))) }
        if let recipient { values.append(("recipient", .text(recipient))) }
        if let role { values.append(("role", .text(role.rawValue))) }
        if let department { values.append(("department", .text(department))) }
        if let sourceId { values.append(("sourceId", .text(sourceId))) }
        return values.map { FieldEdit(entity: "notification", rowID: id, field: $0.0, value: $0.1) }
    }

    /// Notifications for `user` (R4.5): addressed to the user, or to the user's role and department;
    /// newest first. In open mode (no user records) only those addressed to the name, or to `role` if given.
    package func inbox(for user: String, role: Role? = nil, limit: Int = 200) async throws -> [Notification] {
        try await writer.read { db in
            let record = try self.user(named: user, in: db)
            let role = role ?? record?.role
            let department = record?.department
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM notification WHERE kind IS NOT NULL AND at IS NOT NULL
                      AND (recipient = ? OR (recipient IS NULL AND role = ? AND (department IS NULL OR ? IS NULL OR department = ?)))
                    ORDER BY at DESC, id LIMIT ?
                    """,
                arguments: [user, role?.rawValue, department, department, limit])
            var notifications = rows.map(Self.notification(from:))
            if role == .admin {
                // Forks seen here are this site's own observation, not replicated: admins see them beside the rest.
                notifications += try self.forkNotices(in: db)
                notifications.sort { ($0.at, $1.id) > ($1.at, $0.id) }
            }
            return Array(notifications.prefix(limit))
        }
    }

    /// One notice per origin and fork point seen here, for admins (Docs/replication.md, "Forks").
    func forkNotices(in db: Database) throws -> [Notification] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT origin, MIN(firstSeq), MAX(lastSeq), keptHash, MIN(detectedAt), MAX(reissue) FROM forkBlock
                GROUP BY origin, keptHash ORDER BY MIN(detectedAt) DESC
                """
        ).map { row in
            let origin: String = row[0]
            let kept = BlockHash(unchecked: [UInt8](row[3] as Data))
            let reissue: Int = row[5]
            let outcome =
                origin != site.rawValue
                ? "the earlier history is kept; \(origin) re-issues its own lost work when it next syncs"
                : reissue == 1 ? "this site's own work from the refused side waits to be re-issued" : "this site's own work from the refused side was re-issued"
            return Notification(
                id: "fork-\(origin)-\(kept.short)", ticketId: nil, recipient: nil, role: Role.admin.rawValue, department: nil, kind: "fork",
                body: "fork of \(origin)'s history at seqs \(row[1] as Int64)–\(row[2] as Int64) (a restored backup or a copied data directory): \(outcome)",
                at: row[4], sourceId: nil)
        }
    }

    /// Notifications about one ticket, oldest first.
    package func notifications(ticketID: String) async throws -> [Notification] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM notification WHERE ticketId = ? AND kind IS NOT NULL ORDER BY at, id", arguments: [ticketID]
            ).map(Self.notification(from:))
        }
    }

    static func notification(from row: Row) -> Notification {
        Notification(
            id: row["id"], ticketId: row["ticketId"], recipient: row["recipient"], role: row["role"], department: row["department"],
            kind: row["kind"], body: row["body"] ?? "", at: row["at"], sourceId: row["sourceId"])
    }
}
