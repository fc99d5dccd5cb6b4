import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// The request-type tree: the standard defaults with replicated `requestType` records laid over them.
    package func requestTypes() async throws -> RequestTypeTree {
        try await writer.read { db in try self.requestTypes(db) }
    }

    func requestTypes(_ db: Database) throws -> RequestTypeTree {
        let rows = try Row.fetchAll(
            db, sql: "SELECT rowId, field, value FROM register WHERE entity = 'requestType' ORDER BY rowId, field")
        var nodes: [String: RequestTypeTree.Node] = [:]
        for row in rows {
            let path: String = row[0]
            var node = nodes[path] ?? RequestTypeTree.standard.nodes[path] ?? .init(path: path, label: path)
            switch row[1] as String {
            case "label": node.label = row[2] ?? path
            case "active": node.active = (row[2] as Int64?) != 0
            default: break
            }
            nodes[path] = node
        }
        return RequestTypeTree.standard.applying(Array(nodes.values))
    }

    /// Registers a ticket (R1.2) with the next number of this site and day (R1.3), in one transaction.
    ///
    /// - Throws: `DomainError` naming the field and rule for bad input or an unknown customer; nothing is written then.
    package func createTicket(_ draft: TicketDraft, actor: String?) async throws -> Ticket {
        let now = configuration.now()
        let id = RecordID.make(at: now)
        try await writer.write { db in
            try self.authorize(.createTicket, actor: actor, in: db)
            let valid = try draft.validated(types: try self.requestTypes(db), now: now)
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM customer WHERE id = ? AND name IS NOT NULL)", arguments: [valid.customerId]) == true else {
                throw DomainError.notFound("customer", valid.customerId)
            }
            let number = try self.nextTicketNumber(now: now, in: db)
            var fields: [(String, FieldValue)] = [
                ("number", .text(number.description)), ("customerId", .text(valid.customerId)),
                ("channel", .text(valid.channel)), ("type", .text(valid.type)), ("urgency", .text(valid.urgency)),
                ("summary", .text(valid.summary)), ("receivedAt", .int(valid.receivedAt ?? now)),
                ("registeredAt", .int(now)), ("state", .text(TicketState.new.rawValue)),
                ("originSite", .text(self.site.rawValue)), ("readBack", .int(0)),
            ]
            if let contact = valid.contactPerson { fields.append(("contactPerson", .text(contact))) }
            if let details = valid.details { fields.append(("details", .text(details))) }
            if !valid.refs.isEmpty { fields.append(("refs", .text(Self.encodeRefs(valid.refs)))) }
            if let expected = valid.expectedBy { fields.append(("expectedBy", .int(expected))) }
            if let actor { fields.append(("createdBy", .text(actor))) }
            try self.commit(fields.map { FieldEdit(entity: "ticket", rowID: id, field: $0.0, value: $0.1) }, actor: actor, in: db)
        }
        return try await ticket(id)
    }

    /// The next `CS-YYYYMMDD-SITE-NNNN` for today, kept in the same transaction as the ticket.
    ///
    /// Takes the larger of the local serial and any number of this site and day already in the
    /// ticket table, so a restored backup that has since synced does not reissue a number.
    func nextTicketNumber(now: Int64, in db: Database) throws -> TicketNumber {
        let day = Timestamps.day(now, in: configuration.timeZone)
        let prefix = "CS-\(day)-\(site.rawValue)-"
        let stored = try Int.fetchOne(db, sql: "SELECT last FROM serial WHERE day = ?", arguments: [day]) ?? 0
        let seen = try String.fetchAll(
            db, sql: "SELECT number FROM ticket WHERE number >= ? AND number < ?", arguments: [prefix, prefix + "\u{FFFF}"]
        ).compactMap { TicketNumber(parsing: $0)?.serial }.max() ?? 0
        let serial = max(stored, seen) + 1
        try db.execute(
            sql: "INSERT INTO serial (day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = excluded.last",
            arguments: [day, serial])
        return TicketNumber(day: day, site: site, serial: serial)
    }

    /// Reads what `encodeRefs` wrote; {} when it is not a JSON object of strings.
    ///
    /// Objects without escapes (what `encodeRefs` writes for ordinary keys and values) are split
    /// by hand: a `JSONDecoder` per row costs more than the rest of a queue row.
    static func decodeRefs(_ text: String) -> [String: String] {
        let bytes = Array(text.utf8)
        guard !bytes.contains(UInt8(ascii: "\\")) else {
            return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
        }
        var refs: [String: String] = [:]
        var index = 0
        func skipSpace() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x09 || bytes[index] == 0x0D { index += 1 } }
        func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        func string() -> String? {
            guard expect(UInt8(ascii: "\"")), let end = bytes[index...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            defer { index = end + 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        guard expect(UInt8(ascii: "{")) else { return [:] }
        if expect(UInt8(ascii: "}")) { return refs }
        while true {
            guard let key = string(), expect(UInt8(ascii: ":")), let value = string() else { return [:] }
            refs[key] = value
            if expect(UInt8(ascii: "}")) { break }
            guard expect(UInt8(ascii: ",")) else { return [:] }
        }
        skipSpace()
        return index == bytes.count ? refs : [:]
    }

    static func encodeRefs(_ refs: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(refs), as: UTF8.self)
    }

    /// Finds a ticket by id or number; a number a restored site had given out twice still finds the
    /// ticket it was given to, which carries it in `aliases` (Docs/replication.md, "Restores").
    ///
    /// - Throws: `DomainError.notFound` naming the key.
    package func ticket(_ key: String) async throws -> Ticket {
        try await writer.read { db in try self.ticket(key, in: db) }
    }

    func ticket(_ key: String, in db: Database) throws -> Ticket {
        let row =
            try Row.fetchOne(db, sql: "SELECT * FROM ticket WHERE id = ? AND number IS NOT NULL", arguments: [key.lowercased()])
            ?? Row.fetchOne(db, sql: "SELECT * FROM ticket WHERE number = ?", arguments: [key.uppercased()])
            ?? Row.fetchOne(
                db, sql: "SELECT * FROM ticket WHERE aliases IS NOT NULL AND ' ' || aliases || ' ' LIKE ?",
                arguments: ["% \(key.uppercased()) %"])
        guard let row else { throw DomainError.notFound("ticket", key) }
        return Self.ticket(from: row)
    }

    static func ticket(from row: Row) -> Ticket {
        let refs = (row["refs"] as String?).map(decodeRefs) ?? [:]
        var ticket = Ticket(
            id: row["id"], number: row["number"] ?? "", customerId: row["customerId"] ?? "",
            contactPerson: row["contactPerson"], channel: row["channel"] ?? "", type: row["type"] ?? "",
            urgency: row["urgency"] ?? "", summary: row["summary"] ?? "", details: row["details"], refs: refs,
            receivedAt: row["receivedAt"] ?? 0, registeredAt: row["registeredAt"] ?? 0, expectedBy: row["expectedBy"],
            state: row["state"] ?? TicketState.new.rawValue, assignee: row["assignee"], tier: row["tier"],
            department: row["department"], readBack: (row["readBack"] as Int64?) == 1, result: row["result"],
            originSite: row["originSite"] ?? "", createdBy: row["createdBy"])
        ticket.archived = (row["archived"] as Int64?) == 1
        ticket.aliases = (row["aliases"] as String?).map { $0.split(separator: " ").map(String.init) } ?? []
        return ticket
    }

    /// A filter for `tickets(matching:)` and the queue (`queue(_:)`, issue 16): every condition must hold.
    package struct TicketFilter: Sendable, Hashable {
        package var state: String?
        package var urgency: String?
        package var assignee: String?
        package var customerId: String?
        /// A request-type path, or a prefix of one (`complaint` matches `complaint/delivery`).
        package var type: String?
        package var department: String?
        package var channel: String?
        /// Breached or at-risk clocks only (`SLAFilter`).
        package var clock: SLAFilter?
        /// Words that must each occur in the ticket's number, customer, summary, details or log, as
        /// masked reads show them (`TicketSearch`).
        package var search: String?
        /// The queue's order (`queue(_:)`); `tickets(matching:)` is always newest first.
        package var sort: QueueSort
        package var limit: Int

        package init(
            state: String? = nil, urgency: String? = nil, assignee: String? = nil, customerId: String? = nil,
            type: String? = nil, department: String? = nil, channel: String? = nil, clock: SLAFilter? = nil,
            search: String? = nil, sort: QueueSort = .due, limit: Int = 500
        ) {
            self.state = state
            self.urgency = urgency
            self.assignee = assignee
            self.customerId = customerId
            self.type = type
            self.department = department
            self.channel = channel
            self.clock = clock
            self.search = search
            self.sort = sort
            self.limit = limit
        }

        /// The SQL conditions on `ticket` and their arguments (the limit is the caller's).
        ///
        /// The clock filter is no SQL condition: clocks are computed at a time (`queue(_:)`).
        /// - Throws: `DomainError.invalidValue` naming `state`, `urgency`, `channel` or `search` for a
        ///   value that breaks its rule.
        func conditions() throws -> (clauses: [String], arguments: StatementArguments) {
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let state {
                clauses.append("state = ?")
                _ = arguments.append(contentsOf: [try TicketState.parse(state).rawValue])
            }
            if let urgency {
                clauses.append("urgency = ?")
                _ = arguments.append(contentsOf: [try Urgency.parse(urgency).rawValue])
            }
            if let assignee {
                clauses.append("assignee = ?")
                _ = arguments.append(contentsOf: [assignee])
            }
            if let customerId {
                clauses.append("customerId = ?")
                _ = arguments.append(contentsOf: [customerId])
            }
            if let type {
                clauses.append("(type = ? OR substr(type, 1, ?) = ?)")
                _ = arguments.append(contentsOf: [type, type.unicodeScalars.count + 1, type + "/"])
            }
            if let department {
                clauses.append("department = ?")
                _ = arguments.append(contentsOf: [department])
            }
            if let channel {
                clauses.append("channel = ?")
                _ = arguments.append(contentsOf: [try Channel.parse(channel).rawValue])
            }
            if let search {
                let condition = try TicketSearch(search).condition()
                clauses.append(condition.sql)
                _ = arguments.append(contentsOf: condition.arguments)
            }
            return (clauses, arguments)
        }
    }

    package func tickets(matching filter: TicketFilter) async throws -> [Ticket] {
        var (clauses, arguments) = try filter.conditions()
        clauses.insert("number IS NOT NULL", at: 0)
        _ = arguments.append(contentsOf: [filter.limit])
        let sql = "SELECT * FROM ticket WHERE \(clauses.joined(separator: " AND ")) ORDER BY registeredAt DESC, number DESC LIMIT ?"
        let bound = arguments
        return try await writer.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.ticket(from:)) }
    }

    /// The progress log of a ticket (R4.3), oldest first; entries whose fields have all arrived.
    package func entries(ticketID: String) async throws -> [Entry] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT entry.* FROM entry
                    LEFT JOIN register ON register.entity = 'entry' AND register.rowId = entry.id AND register.field = 'kind'
                    WHERE ticketId = ? AND kind IS NOT NULL AND at IS NOT NULL
                    ORDER BY at, register.hlcPhysical, register.hlcLogical, register.site, entry.id
                    """,
                arguments: [ticketID]
            ).compactMap { row in
                guard let kind = Entry.Kind(rawValue: row["kind"]) else { return nil }
                return Entry(
                    id: row["id"], ticketId: row["ticketId"], kind: kind, author: row["author"], body: row["body"] ?? "",
                    score: row["score"], at: row["at"], site: row["site"] ?? "")
            }
        }
    }
}
