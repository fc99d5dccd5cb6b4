import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Adds a customer (R8.1). Without an id, one is made as `C` + `YYYYMM` + site + serial, unique without coordination.
    ///
    /// - Throws: `DomainError` naming the bad field, or `.conflict` when the id exists; nothing is written then.
    package func addCustomer(_ customer: Customer, generateID: Bool, actor: String?) async throws -> Customer {
        let now = configuration.now()
        return try await writer.write { db in
            try self.authorize(.manageCustomers, actor: actor, in: db)
            var draft = customer
            if generateID {
                let month = String(Timestamps.day(now, in: self.configuration.timeZone).prefix(6))
                let key = "C\(month)\(self.site.rawValue)"
                let last = try Int.fetchOne(db, sql: "SELECT last FROM serial WHERE day = ?", arguments: [key]) ?? 0
                try db.execute(
                    sql: "INSERT INTO serial (day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = excluded.last",
                    arguments: [key, last + 1])
                draft.id = key + String(format: "%03d", last + 1)
            }
            let valid = try draft.validated()
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM customer WHERE id = ?)", arguments: [valid.id]) == true {
                throw DomainError(code: .conflict, message: "customer id '\(valid.id)' already exists: choose another id")
            }
            var values: [(String, FieldValue)] = [
                ("name", .text(valid.name)), ("level", .text(valid.level)), ("createdAt", .int(now)), ("site", .text(self.site.rawValue)),
            ]
            if let value = valid.contactPerson { values.append(("contactPerson", .text(value))) }
            if let value = valid.phone { values.append(("phone", .text(value))) }
            if let value = valid.email { values.append(("email", .text(value))) }
            if let value = valid.industry { values.append(("industry", .text(value))) }
            try self.commit(values.map { FieldEdit(entity: "customer", rowID: valid.id, field: $0.0, value: $0.1) }, actor: actor, in: db)
            return valid
        }
    }

    /// A customer by id.
    package func customer(_ id: String) async throws -> Customer {
        let found = try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM customer WHERE id = ? AND name IS NOT NULL", arguments: [id]).map(Self.customer(from:))
        }
        guard let found else { throw DomainError.notFound("customer", id) }
        return found
    }

    /// All customers, by id.
    package func customers(limit: Int = 1000) async throws -> [Customer] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM customer WHERE name IS NOT NULL ORDER BY id LIMIT ?", arguments: [limit])
                .map(Self.customer(from:))
        }
    }

    static func customer(from row: Row) -> Customer {
        Customer(
            id: row["id"], name: row["name"], contactPerson: row["contactPerson"], phone: row["phone"], email: row["email"],
            industry: row["industry"], level: row["level"] ?? "normal")
    }
}
