import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// Which replicated fields have a column in a query table.
///
/// Entity and field names are the replicated names; a field with no column here (written by a
/// newer version of TicketMesh) still lives in `register` and the digest, so nothing is lost.
enum MaterializedView {
    struct Table: Sendable {
        let name: String
        /// Replicated fields with a column of the same name.
        let columns: Set<String>
        /// Columns no replicated field writes, filled by a `Derivation`.
        var derived: [String] = []
    }

    static let tables: [Table] = [
        Table(
            name: "ticket",
            columns: [
                "number", "customerId", "contactPerson", "channel", "type", "urgency", "summary", "details", "refs",
                "receivedAt", "registeredAt", "expectedBy", "state", "assignee", "tier", "department",
                "leadDepartment", "collaborators", "acceptedAt", "eta", "readBack", "result", "evidence",
                "compensation", "rootCause", "originSite", "createdBy", "resolvedAt", "closedAt",
                // v2-retention
                "archived",
                // v2-workflow
                "complex", "plan", "plannedAt", "followUpAt", "followUpResult", "approvedBy", "approvedAt",
                "approvalComment", "dissatisfied", "answeredRating", "score",
                // v5-blocks: numbers a restored site had given out twice, kept so they still find the ticket
                "aliases",
            ],
            // v4-queue
            derived: SLADerivation.columns),
        Table(
            name: "entry",
            columns: [
                "ticketId", "kind", "author", "body", "score", "at", "site",
                // v3-reports: feedback dimensions of a rating (R7.2)
                "attitude", "responseSpeed", "problemSolving", "productFit",
            ]),
        Table(
            name: "customer",
            columns: [
                "name", "contactPerson", "contactRole", "phone", "email", "industry", "level", "createdAt", "site",
                // v2-crm
                "firstCooperation", "tags", "specialNeeds",
            ]),
        Table(name: "purchase", columns: ["customerId", "amount", "item", "at"]),
        Table(name: "careTask", columns: ["customerId", "kind", "dueAt", "reason", "doneAt", "doneBy", "note"]),
        Table(name: "article", columns: ["title", "body", "category", "author", "site", "createdAt"]),
        Table(name: "articleHit", columns: ["articleId", "site", "count"]),
        Table(name: "articleLink", columns: ["articleId", "ticketId"]),
        Table(name: "tombstone", columns: ["number", "purgedAt", "by", "reason", "site"]),
        // v2-workflow
        Table(name: "user", columns: ["role", "displayName", "department", "active", "createdAt", /* v3-passwords */ "passwordHash"]),
        Table(name: "escalation", columns: ["ticketId", "kind", "clock", "dueAt", "tier", "toRole", "reason", "at", "by"]),
        Table(name: "notification", columns: ["ticketId", "recipient", "role", "department", "kind", "body", "at", "sourceId"]),
        Table(name: "exception", columns: ["ticketId", "category", "grade", "description", "at", "by", "site"]),
        Table(name: "resolution", columns: ["entity", "rowId", "field", "chosenValue", "chosen", "by", "at"]),
        // v6-reveals: who saw which record's personal data in clear (ReplicaStore+ReadRights.swift)
        Table(name: "reveal", columns: ["entity", "recordId", "ticketId", "by", "at", "site"]),
        // v7-queue: a user's saved queue views (ReplicaStore+Views.swift)
        Table(name: "savedView", columns: ["owner", "name", "query", "createdAt", "deleted"]),
    ]

    private static let byEntity = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })

    /// Writes the winning values of some fields of one record into its query table, as one upsert.
    ///
    /// Fields without a column are skipped (they live in `register` only).
    static func materialize(entity: String, rowID: String, fields: [(field: String, value: FieldValue)], in db: Database) throws {
        guard let table = byEntity[entity] else { return }
        let known = fields.filter { table.columns.contains($0.field) }.sorted { $0.field < $1.field }
        guard !known.isEmpty else { return }
        let names = known.map(\.field)
        let sql =
            "INSERT INTO \(table.name) (id, \(names.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: names.count))) "
            + "ON CONFLICT(id) DO UPDATE SET \(names.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))"
        var arguments: [DatabaseValue] = [rowID.databaseValue]
        arguments += known.map(\.value.databaseValue)
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
    }

    /// Recomputes every derived column for the rows a merged batch touched, in `derivations` order.
    ///
    /// Runs once per batch, after its fields are materialised and before purges cascade.
    static func derive(after batch: MergedBatch, in db: Database) throws {
        for derivation in derivations { try derivation.apply(batch, db) }
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
