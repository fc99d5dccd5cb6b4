import GRDB
import TicketMeshReplication

/// Which replicated fields have a column in a query table.
///
/// Entity and field names are the replicated names; a field with no column here (written by a
/// newer version of TicketMesh) still lives in `register` and the digest, so nothing is lost.
enum MaterializedView {
    struct Table: Sendable {
        let name: String
        let columns: Set<String>
    }

    static let tables: [Table] = [
        Table(
            name: "ticket",
            columns: [
                "number", "customerId", "contactPerson", "channel", "type", "urgency", "summary", "details", "refs",
                "receivedAt", "registeredAt", "expectedBy", "state", "assignee", "tier", "department",
                "leadDepartment", "collaborators", "acceptedAt", "eta", "readBack", "result", "evidence",
                "compensation", "rootCause", "originSite", "createdBy", "resolvedAt", "closedAt",
            ]),
        Table(name: "entry", columns: ["ticketId", "kind", "author", "body", "score", "at", "site"]),
        Table(
            name: "customer",
            columns: ["name", "contactPerson", "contactRole", "phone", "email", "industry", "level", "createdAt", "site"]),
    ]

    private static let byEntity = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })

    /// The upsert that writes `field` of `entity` into its query table, or nil if it has no column.
    static func upsertSQL(entity: String, field: String) -> String? {
        guard let table = byEntity[entity], table.columns.contains(field) else { return nil }
        return "INSERT INTO \(table.name) (id, \(field)) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET \(field) = excluded.\(field)"
    }

    /// Writes the winning value of a field into its query table.
    static func materialize(entity: String, rowID: String, field: String, value: FieldValue, in db: Database) throws {
        guard let sql = upsertSQL(entity: entity, field: field) else { return }
        let statement = try db.cachedStatement(sql: sql)
        try statement.execute(arguments: [rowID, value.databaseValue])
    }
}

extension FieldValue {
    /// The SQLite value: NULL, INTEGER or TEXT.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .int(let value): value.databaseValue
        case .text(let value): value.databaseValue
        }
    }

    /// Reads back what `databaseValue` stored.
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .int64(let int): self = .int(int)
        case .string(let text): self = .text(text)
        case .double(let double): self = .int(Int64(double))
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        case .null: self = .null
        }
    }
}
