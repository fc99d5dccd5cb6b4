import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore.TicketFilter {
    /// The filter's parameter names, as the web queue, `GET /api/tickets` and saved views spell them.
    package static let parameterNames = [
        "state", "urgency", "type", "assignee", "department", "customer", "channel", "clock", "q", "sort",
    ]

    /// A filter from query parameters (`parameterNames`, empty values ignored) and `limit`.
    ///
    /// `clock` is `breached`, `at-risk` or `attention` (either); `q` the search words; `sort` a
    /// `QueueSort` (`due`, `-number`, …).
    /// - Throws: `DomainError.invalidValue` naming the parameter and its rule; nothing is read then.
    package init(parameters: [String: String], limit: Int) throws {
        func value(_ name: String) -> String? {
            // Blank is absent, as in forms: white space of any kind (and NUL, which search splits at too).
            parameters[name].flatMap { $0.allSatisfy { $0.isWhitespace || $0 == "\0" } ? nil : $0 }
        }
        let clock: ReplicaStore.SLAFilter? =
            switch value("clock") {
            case nil: nil
            case "breached": .breached
            case "at-risk": .atRisk
            case "attention": .attention
            case let other?:
                throw DomainError.invalidValue(field: "clock", value: other, rule: "must be one of breached, at-risk, attention")
            }
        if let state = value("state") { _ = try TicketState.parse(state) }
        if let urgency = value("urgency") { _ = try Urgency.parse(urgency) }
        if let channel = value("channel") { _ = try Channel.parse(channel) }
        if let search = value("q") { _ = try TicketSearch(search) }
        self.init(
            state: value("state"), urgency: value("urgency"), assignee: value("assignee"), customerId: value("customer"),
            type: value("type"), department: value("department"), channel: value("channel"), clock: clock,
            search: value("q"), sort: try value("sort").map { try QueueSort(parsing: $0) } ?? .due, limit: limit)
    }

    /// The parameters that make this filter (`init(parameters:limit:)`), without the limit; the default sort left out.
    package var parameters: [(name: String, value: String)] {
        let clockName: String? =
            switch clock {
            case nil: nil
            case .breached: "breached"
            case .atRisk: "at-risk"
            case .attention: "attention"
            }
        let values: [(String, String?)] = [
            ("state", state), ("urgency", urgency), ("type", type), ("assignee", assignee), ("department", department),
            ("customer", customerId), ("channel", channel), ("clock", clockName), ("q", search),
            ("sort", sort == .due ? nil : sort.description),
        ]
        return values.compactMap { name, value in value.map { (name, $0) } }
    }

    /// The parameters as `application/x-www-form-urlencoded` text: `state=new&q=%E7%89%A9%E6%B5%81`.
    package var queryString: String {
        parameters.map { "\($0.name)=\(Self.formEncode($0.value))" }.joined(separator: "&")
    }

    /// Percent-encodes every UTF-8 byte but the unreserved characters of RFC 3986 (ASCII letters,
    /// digits, `-._~`). On bytes: the queue page writes a query string on every load, and
    /// Foundation's `addingPercentEncoding` with a `CharacterSet` built per call cost more than the
    /// rest of the link.
    package static func formEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One name or value of form-encoded text: `+` is a space, `%XX` a byte, the bytes UTF-8; text
    /// that breaks either rule is taken as it is. Written on bytes: the queue page parses its query
    /// on every load (`Fields`), saved views read theirs back (`parameters(ofQuery:)`), and Foundation's `removingPercentEncoding` builds character sets to do it.
    package static func formDecode(_ part: Substring) -> String {
        let utf8 = part.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(part) }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index < utf8.endIndex, let high = hex(utf8[index]) else { return String(part) }
                let next = utf8.index(after: index)
                guard next < utf8.endIndex, let low = hex(utf8[next]) else { return String(part) }
                bytes.append(high << 4 | low)
                index = utf8.index(after: next)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? String(part)
    }

    /// Reads `queryString`'s form back into parameters (`+` is a space).
    package static func parameters(ofQuery text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.map(formDecode), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? formDecode(parts[1]) : ""
        }
        return values
    }
}

/// A queue view a user saved (issue 16): a name and the filter, sort and search it stands for.
///
/// A replicated `savedView` record, so it follows its owner to every site; the id is derived from
/// owner and name, so the same view saved at two sites offline is one record (the later query wins).
package struct SavedView: Sendable, Equatable, Codable {
    package var id: String
    package var owner: String
    package var name: String
    /// The filter as query parameters (`TicketFilter.queryString`).
    package var query: String
    package var createdAt: Int64

    /// The view's filter with `limit` rows.
    package func filter(limit: Int) throws -> ReplicaStore.TicketFilter {
        try ReplicaStore.TicketFilter(parameters: ReplicaStore.TicketFilter.parameters(ofQuery: query), limit: limit)
    }
}

extension ReplicaStore {
    /// The id of `owner`'s view `name`: the same at every site.
    package static func savedViewID(owner: String, name: String) -> String {
        ruleID("savedView", owner, name)
    }

    /// Checks that `actor` may change the view of `owner`: the rule of `authorize` for
    /// `Permission.saveView`, and a user changes only their own views (admins included).
    ///
    /// - Throws: `DomainError.forbidden` naming the user and the view's owner; `.invalidValue`
    ///   naming `user` when no acting user is known (a view needs an owner).
    func authorizeView(owner: String?, actor: String?, in db: Database) throws -> String {
        try authorize(.saveView, actor: actor, in: db)
        guard let actor else {
            throw DomainError.invalidValue(field: "user", value: "", rule: "a saved view belongs to a user: pass --as USER or log in")
        }
        if let owner, owner != actor {
            throw DomainError(
                code: .forbidden,
                message: "forbidden: user '\(actor)' may not change a view of user '\(owner)': a user edits only their own views")
        }
        return actor
    }

    /// Saves `filter` as `actor`'s view `name`, replacing one of the same name.
    ///
    /// - Throws: `DomainError` naming `name` (1–80 characters) or the filter field that breaks its
    ///   rule; `.forbidden` as `authorizeView`. Nothing is written then.
    package func saveView(name: String, filter: TicketFilter, actor: String?) async throws -> SavedView {
        let name = try TicketDraft.requireText(name, field: "name", limit: 80)
        _ = try filter.conditions()
        let query = filter.queryString
        let now = configuration.now()
        let id = try await writer.write { db -> String in
            let owner = try self.authorizeView(owner: nil, actor: actor, in: db)
            let id = Self.savedViewID(owner: owner, name: name)
            try self.commit(
                [
                    FieldEdit(entity: "savedView", rowID: id, field: "owner", value: .text(owner)),
                    FieldEdit(entity: "savedView", rowID: id, field: "name", value: .text(name)),
                    FieldEdit(entity: "savedView", rowID: id, field: "query", value: .text(query)),
                    FieldEdit(entity: "savedView", rowID: id, field: "createdAt", value: .int(now)),
                    FieldEdit(entity: "savedView", rowID: id, field: "deleted", value: .int(0)),
                ], actor: actor, in: db)
            return id
        }
        return try await view(id)
    }

    /// A saved view by id.
    /// - Throws: `DomainError.notFound` for an unknown or deleted view.
    package func view(_ id: String) async throws -> SavedView {
        let found = try await writer.read { db in try Self.views(where: "id = ?", [id], in: db).first }
        guard let found else { throw DomainError.notFound("view", id) }
        return found
    }

    /// `owner`'s saved views, by name; kept in the read cache until the database changes (the queue
    /// page shows them on every load).
    package func views(owner: String) async throws -> [SavedView] {
        try await cachedRead(.views(owner)) { db in try Self.views(where: "owner = ?", [owner], in: db) }
    }

    /// Deletes one of `actor`'s views.
    /// - Throws: `.notFound`; `.forbidden` for another user's view. Nothing is written then.
    package func deleteView(_ id: String, actor: String?) async throws {
        try await writer.write { db in
            guard let view = try Self.views(where: "id = ?", [id], in: db).first else { throw DomainError.notFound("view", id) }
            _ = try self.authorizeView(owner: view.owner, actor: actor, in: db)
            try self.commit([FieldEdit(entity: "savedView", rowID: id, field: "deleted", value: .int(1))], actor: actor, in: db)
        }
    }

    static func views(where condition: String, _ arguments: StatementArguments, in db: Database) throws -> [SavedView] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM savedView WHERE \(condition) AND owner IS NOT NULL AND name IS NOT NULL AND query IS NOT NULL
                  AND COALESCE(deleted, 0) = 0 ORDER BY name, id
                """,
            arguments: arguments
        ).map { row in
            SavedView(id: row["id"], owner: row["owner"], name: row["name"], query: row["query"], createdAt: row["createdAt"] ?? 0)
        }
    }
}

/// An action on many tickets of the queue at once (issue 16).
package enum BulkAction: Sendable, Equatable {
    /// Assign to a user (as `assign`, tier and department unchanged).
    case assign(String)
    /// Move to `in-progress` or `pending-customer` (as `POST /api/tickets/{id}/state`).
    case state(TicketState)
    /// Close (resolved tickets only, as `close`).
    case close
}

/// What a bulk action did to one ticket: done, or refused and why.
package struct BulkResult: Sendable, Equatable, Codable {
    /// The ticket as named in the request (id or number).
    package var ticket: String
    /// The ticket's number when it was found.
    package var number: String?
    package var ok: Bool
    /// Why it failed: the same message the single action gives.
    package var error: String?
}

extension ReplicaStore {
    /// The states a bulk state change may set: those that need nothing more than the state.
    package static let bulkStates: [TicketState] = [.inProgress, .pendingCustomer]

    /// Applies `action` to each of `tickets` on its own (one transaction each, so one refusal
    /// leaves the others done), in the order given, duplicates once.
    ///
    /// - Throws: `DomainError` naming `tickets` when none or more than 500 are given, `state` for a
    ///   state a bulk change may not set; nothing is written then. Per-ticket refusals (rights,
    ///   state machine, unknown ticket) are results, not errors.
    package func bulk(_ action: BulkAction, tickets: [String], actor: String?) async throws -> [BulkResult] {
        var seen = Set<String>()
        let keys = tickets.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && seen.insert($0).inserted }
        guard !keys.isEmpty else { throw DomainError.missing(field: "tickets") }
        guard keys.count <= 500 else {
            throw DomainError.invalidValue(field: "tickets", value: String(keys.count), rule: "at most 500 tickets at once")
        }
        if case .state(let target) = action, !Self.bulkStates.contains(target) {
            throw DomainError.invalidValue(
                field: "state", value: target.rawValue,
                rule: "a bulk change sets \(Self.bulkStates.map(\.rawValue).joined(separator: " or ")); close with the close action")
        }
        if case .assign(let user) = action { _ = try TicketDraft.requireText(user, field: "to", limit: 100) }
        // A role that may work on no ticket is refused once, not once per ticket.
        try await authorize(.editTicket, actor: actor)
        var results: [BulkResult] = []
        for key in keys {
            do {
                let ticket: Ticket
                switch action {
                case .assign(let user): ticket = try await assign(key, to: user, tier: nil, department: nil, actor: actor)
                case .state(let target):
                    ticket = try await transition(
                        key, to: target, event: target == .inProgress ? "work started" : "waiting for the customer", actor: actor)
                case .close: ticket = try await close(key, actor: actor)
                }
                results.append(BulkResult(ticket: key, number: ticket.number, ok: true, error: nil))
            } catch let error as DomainError {
                let number = try? await self.ticket(key).number
                results.append(BulkResult(ticket: key, number: number, ok: false, error: error.message))
            }
        }
        return results
    }
}
