import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A care task as stored: the rule's task plus whether someone did it.
package struct CareTaskRecord: Sendable, Equatable, Codable {
    package var task: CareRules.Task
    package var doneBy: String?
    package var doneAt: Int64?
    package var note: String?
}

/// CRM (R8): profile fields, purchase records, scheduled care and churn warnings.
extension ReplicaStore {
    /// Profile fields `updateCustomer` accepts, by CLI name → replicated field.
    package static let customerProfileFields: [String: String] = [
        "name": "name", "contact": "contactPerson", "contact-role": "contactRole", "phone": "phone", "email": "email",
        "industry": "industry", "level": "level", "first-cooperation": "firstCooperation", "tags": "tags",
        "special-needs": "specialNeeds",
    ]

    /// Changes profile fields of a customer; values are validated like `addCustomer`'s.
    package func updateCustomer(_ id: String, fields: [String: String], actor: String?) async throws -> Customer {
        guard !fields.isEmpty else {
            throw DomainError.invalidValue(field: "fields", value: "", rule: "give at least one of --\(Self.customerProfileFields.keys.sorted().joined(separator: ", --"))")
        }
        try await writer.write { db in
            try self.authorize(.manageCustomers, actor: actor, in: db)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM customer WHERE id = ? AND name IS NOT NULL", arguments: [id]) else {
                throw DomainError.notFound("customer", id)
            }
            var draft = Self.customer(from: row)
            var edits: [FieldEdit] = []
            for (name, raw) in fields.sorted(by: { $0.key < $1.key }) {
                guard let field = Self.customerProfileFields[name] else {
                    throw DomainError.invalidValue(field: name, value: raw, rule: "not a profile field; use one of \(Self.customerProfileFields.keys.sorted().joined(separator: ", "))")
                }
                let value: FieldValue
                switch name {
                case "name": draft.name = raw; value = .text(raw)
                case "contact": draft.contactPerson = raw; value = .text(raw)
                case "phone": draft.phone = raw; value = .text(raw)
                case "email": draft.email = raw; value = .text(raw)
                case "level": draft.level = raw; value = .text(raw.lowercased())
                case "industry": draft.industry = raw; value = .text(raw)
                case "first-cooperation": value = .int(try Timestamps.parse(raw, field: "first-cooperation"))
                case "tags":
                    let tags = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    value = .text(tags.joined(separator: ","))
                default: value = .text(try TicketDraft.requireText(raw, field: name, limit: 2_000))
                }
                edits.append(FieldEdit(entity: "customer", rowID: id, field: field, value: value))
            }
            _ = try draft.validated()
            let changed = edits.filter { FieldValue(row[$0.field] as DatabaseValue) != $0.value }
            if !changed.isEmpty { try self.commit(changed, actor: actor, in: db) }
        }
        return try await customer(id)
    }

    /// Records a purchase (grow-only): amount in the smallest currency unit.
    package func addPurchase(customer id: String, amountCents: Int64, item: String, at time: Int64?, actor: String?) async throws {
        guard amountCents >= 0 else {
            throw DomainError.invalidValue(field: "amount", value: String(amountCents), rule: "must not be negative")
        }
        let text = try TicketDraft.requireText(item, field: "item", limit: 500)
        let at = time ?? configuration.now()
        try await writer.write { db in
            try self.authorize(.manageCustomers, actor: actor, in: db)
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM customer WHERE id = ? AND name IS NOT NULL)", arguments: [id]) == true else {
                throw DomainError.notFound("customer", id)
            }
            let rowID = RecordID.make(at: self.configuration.now())
            let values: [(String, FieldValue)] = [("customerId", .text(id)), ("amount", .int(amountCents)), ("item", .text(text)), ("at", .int(at))]
            try self.commit(values.map { FieldEdit(entity: "purchase", rowID: rowID, field: $0.0, value: $0.1) }, actor: actor, in: db)
        }
    }

    /// Raises every care task the rules call for as of now and returns the ones new to this site.
    ///
    /// Onboarding tasks for every customer, a quarterly summary for each VIP, and a churn task
    /// for each customer at risk. Ids are deterministic, so sites sweeping offline converge.
    /// - Parameter policy: the churn thresholds; nil uses the replicated ones (`churnPolicy()`).
    package func sweepCare(actor: String?, policy: CareRules.ChurnPolicy? = nil) async throws -> [CareRules.Task] {
        let now = configuration.now()
        return try await inSweepBatches { db in
            try self.authorize(.manageCustomers, actor: actor, in: db)
            return try self.sweepCare(now: now, policy: policy, actor: actor, limit: Self.sweepBatch, in: db)
        }
    }

    /// The care sweep inside the caller's transaction, after the caller's authorisation: at most `limit` tasks.
    func sweepCare(now: Int64, policy: CareRules.ChurnPolicy?, actor: String?, limit: Int, in db: Database) throws -> [CareRules.Task] {
        let policy = try policy ?? Self.churnPolicy(in: db)
        var wanted: [CareRules.Task] = []
        let customers = try Row.fetchAll(db, sql: "SELECT id, level, createdAt, firstCooperation FROM customer WHERE name IS NOT NULL ORDER BY id")
        for customer in customers {
            let id: String = customer["id"]
            let start: Int64 = customer["firstCooperation"] ?? customer["createdAt"] ?? now
            wanted += CareRules.onboarding(customerId: id, since: start)
            if (customer["level"] as String?) == "vip" { wanted.append(CareRules.quarterlySummary(customerId: id, now: now)) }
            let purchases = try Int64.fetchAll(db, sql: "SELECT at FROM purchase WHERE customerId = ? AND at IS NOT NULL", arguments: [id])
            let scores = try Int.fetchAll(
                db,
                sql: """
                    SELECT entry.score FROM entry JOIN ticket ON ticket.id = entry.ticketId
                    WHERE ticket.customerId = ? AND entry.kind = 'rating' AND entry.score IS NOT NULL AND entry.at > ?
                    """,
                arguments: [id, now - policy.window])
            if let reason = CareRules.churnReason(purchases: purchases, scores: scores, now: now, policy: policy) {
                wanted.append(CareRules.churnTask(customerId: id, reason: reason, now: now))
            }
        }
        var raised: [CareRules.Task] = []
        for task in wanted where try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM careTask WHERE id = ? AND kind IS NOT NULL)", arguments: [task.id])! {
            if raised.count >= limit { break }
            let values: [(String, FieldValue)] = [
                ("customerId", .text(task.customerId)), ("kind", .text(task.kind)), ("dueAt", .int(task.dueAt)), ("reason", .text(task.reason)),
            ]
            try self.commit(values.map { FieldEdit(entity: "careTask", rowID: task.id, field: $0.0, value: $0.1) }, actor: actor, in: db)
            raised.append(task)
        }
        return raised
    }

    // MARK: Churn thresholds

    /// The churn thresholds (R8.3): the defaults with the replicated `setting` record `churn` laid over.
    package func churnPolicy() async throws -> CareRules.ChurnPolicy {
        try await writer.read { db in try Self.churnPolicy(in: db) }
    }

    static func churnPolicy(in db: Database) throws -> CareRules.ChurnPolicy {
        let rows = try Row.fetchAll(
            db, sql: "SELECT field, value FROM register WHERE entity = 'setting' AND rowId = 'churn' ORDER BY field")
        return rows.reduce(CareRules.ChurnPolicy()) { policy, row in
            policy.applying(field: row[0], int: FieldValue(row[1] as DatabaseValue).int)
        }
    }

    /// Changes churn thresholds, e.g. `purchase-drop=25`, `satisfaction-floor=70`, `window=60d`; replicated
    /// like SLA policies, one field per knob.
    ///
    /// - Throws: `DomainError` naming the bad knob; `.forbidden` unless manager or admin. Nothing is written then.
    package func setChurnPolicy(_ settings: [String], actor: String?) async throws -> CareRules.ChurnPolicy {
        guard !settings.isEmpty else { throw DomainError.missing(field: "setting") }
        let edits = try settings.map { setting in
            let (field, value) = try CareRules.ChurnPolicy.field(forSetting: setting)
            return FieldEdit(entity: "setting", rowID: "churn", field: field, value: .int(value))
        }
        return try await writer.write { db in
            try self.authorize(.manageChurnPolicy, actor: actor, in: db)
            try self.commit(edits, actor: actor, in: db)
            return try Self.churnPolicy(in: db)
        }
    }

    /// Marks a care task done with an optional note.
    package func completeCareTask(_ id: String, note: String?, actor: String?) async throws {
        let text = try note.map { try TicketDraft.requireText($0, field: "note", limit: 2_000) }
        try await writer.write { db in
            try self.authorize(.manageCustomers, actor: actor, in: db)
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM careTask WHERE id = ? AND kind IS NOT NULL)", arguments: [id]) == true else {
                throw DomainError.notFound("care task", id)
            }
            var edits = [FieldEdit(entity: "careTask", rowID: id, field: "doneAt", value: .int(self.configuration.now()))]
            if let actor { edits.append(FieldEdit(entity: "careTask", rowID: id, field: "doneBy", value: .text(actor))) }
            if let text { edits.append(FieldEdit(entity: "careTask", rowID: id, field: "note", value: .text(text))) }
            try self.commit(edits, actor: actor, in: db)
        }
    }

    /// Care tasks, due first; only open ones unless `includeDone`.
    package func careTasks(includeDone: Bool = false, customer: String? = nil) async throws -> [CareTaskRecord] {
        try await writer.read { db in
            var sql = "SELECT * FROM careTask WHERE kind IS NOT NULL"
            var arguments: [any DatabaseValueConvertible] = []
            if !includeDone { sql += " AND doneAt IS NULL" }
            if let customer {
                sql += " AND customerId = ?"
                arguments.append(customer)
            }
            sql += " ORDER BY dueAt, id"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map { $0.databaseValue })).map { row in
                CareTaskRecord(
                    task: CareRules.Task(id: row["id"], customerId: row["customerId"] ?? "", kind: row["kind"], dueAt: row["dueAt"] ?? 0, reason: row["reason"] ?? ""),
                    doneBy: row["doneBy"], doneAt: row["doneAt"], note: row["note"])
            }
        }
    }
}
