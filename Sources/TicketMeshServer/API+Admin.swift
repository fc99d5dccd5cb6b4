import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// Supervisor and admin routes of the API (issue 16 item 5): the request-type tree (R2.1),
/// conflict resolution (R11.4) and users; SLA policies and calendars are in API+SLA.swift.
/// The store checks the role (403) and validates (400) as everywhere.
extension API {
    func registerAdmin(on api: RouterGroup<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(api, .get, "request-types") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await store.requestTypes().nodes.values.sorted { $0.path < $1.path })
        }
        route(api, .post, "request-types") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["path", "label", "active"])
            let node = try await store.saveRequestType(
                path: Fields.droppingFinalNewline(try fields.text("path", required: true)!),
                label: try fields.text("label", required: true, limit: 100),
                active: try Self.bool(fields, "active"),
                actor: user.name
            )
            return try JSON.response(node)
        }
        route(api, .get, "users") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await store.users())
        }
        route(api, .post, "users") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["name", "role", "displayName", "department", "active"])
            let saved = try await Self.saveUser(fields, store: store, actor: user.name)
            return try JSON.response(saved.user, status: saved.created ? .created : .ok)
        }
        route(api, .post, "conflicts/:id/resolution") { request, context, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["keep", "value"])
            let choice = try Self.conflictChoice(keep: try fields.text("keep"), value: try fields.text("value", limit: 100_000))
            let id = try context.parameters.require("id")
            // An id of another shape names no conflict: 404, as an unknown one (the document takes any string).
            let parts = id.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, Int64(parts[1]) != nil, SiteCode.isValid(String(parts[0])) else {
                throw APIError.notFound("unknown conflict '\(id)': ids are SITE:SEQ, as GET /api/conflicts lists them")
            }
            let resolution = try await store.resolveConflict(id, choice: choice, actor: user.name)
            return try JSON.response(Disclosure.masked.resolution(resolution))
        }
    }

    /// A boolean field: JSON true/false, or in a form `true`/`false`, `1`/`0`, `yes`/`no`, `on`; nil when absent.
    ///
    /// - Throws: 400 naming the field for anything else.
    static func bool(_ fields: Fields, _ name: String) throws -> Bool? {
        switch fields.values[name] {
        case nil: return nil
        case .bool(let value): return value
        case .string(let text) where fields.isForm:
            switch text.lowercased() {
            case "": return nil
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw APIError.badRequest("invalid \(name) '\(text)': must be true or false")
            }
        case let value?: throw APIError.badRequest("invalid \(name): must be a boolean, got \(value.typeName)")
        }
    }

    /// Adds a user (`role` required) or changes the given fields of an existing one, through
    /// `ReplicaStore.saveUser` (admins; the last active admin stays one). Passwords are set with
    /// `ticketmesh user password`, never here.
    ///
    /// - Throws: 400 naming the field (unknown role, bad name), 403 for non-admins.
    static func saveUser(_ fields: Fields, store: ReplicaStore, actor: String) async throws -> (user: User, created: Bool) {
        let name = Fields.droppingFinalNewline(try fields.text("name", required: true, limit: 63)!)
        let role = try fields.text("role").map(Fields.droppingFinalNewline).map { raw in
            guard let role = Role(rawValue: raw) else {
                throw APIError.badRequest("invalid role '\(raw)': must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return role
        }
        let existing = try await store.user(named: name)
        guard var user = existing ?? role.map({ User(name: name, role: $0) }) else {
            // Not a rule on the value alone (the document cannot say it): the user is unknown.
            throw APIError.notFound(
                "unknown user '\(name)': to add a user, give role (one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let role { user.role = role }
        if let display = try fields.text("displayName", limit: 200) { user.displayName = display }
        if let department = try fields.text("department", limit: 200) { user.department = department }
        if let active = try bool(fields, "active") { user.active = active }
        return (try await store.saveUser(user, actor: actor), existing == nil)
    }

    /// `keep=winner|loser`, or `value` for a new value: exactly one of them.
    ///
    /// - Throws: 400 naming `keep` or `value` and the rule.
    static func conflictChoice(keep: String?, value: String?) throws -> ReplicaStore.ConflictChoice {
        switch (keep?.lowercased(), value) {
        case ("winner", nil): return .winner
        case ("loser", nil): return .loser
        case (nil, let value?): return .value(value)
        case (let keep?, nil):
            throw APIError.badRequest("invalid keep '\(keep)': must be winner or loser (or give value instead)")
        default:
            throw APIError.badRequest("invalid keep/value: give exactly one of keep (winner or loser) and value")
        }
    }
}
