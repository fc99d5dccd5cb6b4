import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Checks that `actor` may take `action` (R10.2), inside the caller's transaction.
    ///
    /// Open mode: while the replica holds no user at all, every action is allowed (a fresh site,
    /// scripts and tests). As soon as one user exists, the actor must be an active user whose
    /// role allows the action.
    ///
    /// - Throws: `DomainError.forbidden` naming the user, the role and the roles that may.
    func authorize(_ action: Permission, actor: String?, in db: Database) throws {
        let open = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE role IS NOT NULL)") != true
        try Self.authorize(action, actor: actor, openMode: open, user: { try self.user(named: $0, in: db) })
    }

    /// Checks `action` for `actor` against the users as of now: from the read cache while the
    /// database has not changed, else in a read transaction.
    package func authorize(_ action: Permission, actor: String?) async throws {
        guard try await hasUsers() else { return }
        let found = if let actor { try await user(named: actor) } else { User?.none }
        try Self.authorize(action, actor: actor, openMode: false, user: { _ in found })
    }

    /// The rule both checks share: open mode allows everything, otherwise `actor` must be an
    /// active user whose role allows `action`.
    static func authorize(
        _ action: Permission, actor: String?, openMode: Bool, user lookup: (String) throws -> User?
    ) throws {
        guard !openMode else { return }
        guard let actor else {
            throw DomainError(
                code: .forbidden,
                message: "forbidden: no acting user to \(action.rawValue): pass --as USER or set TICKETMESH_USER (this site has users)")
        }
        guard let user = try lookup(actor), user.active else {
            throw DomainError(
                code: .forbidden,
                message: "forbidden: user '\(actor)' is not an active user of this site and may not \(action.rawValue): ask an admin to run 'ticketmesh user add \(actor) --role ROLE'")
        }
        guard user.role.allows(action) else { throw action.refusal(user: actor, role: user.role) }
    }

    /// Whether any user exists (false: open mode, see `authorize`).
    package func hasUsers() async throws -> Bool {
        try await cachedRead(.hasUsers) { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE role IS NOT NULL)") ?? false
        }
    }

    /// Adds a user, or changes role, department or active flag of an existing one.
    ///
    /// Bootstrap: on a replica with no users the first user may be added by anyone (or no one),
    /// and must be an admin; afterwards only admins manage users.
    /// - Throws: `DomainError` for a bad name or role, `.forbidden` as for `authorize`.
    package func saveUser(_ user: User, actor: String?) async throws -> User {
        let name = try User.validateName(user.name)
        let display = try user.displayName.map { try TicketDraft.requireText($0, field: "display name", limit: 200) }
        let department = try user.department.map { try TicketDraft.requireText($0, field: "department", limit: 200) }
        let now = configuration.now()
        return try await writer.write { db in
            let empty = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE role IS NOT NULL)") != true
            if empty {
                guard user.role == .admin, user.active else {
                    throw DomainError(
                        code: .forbidden,
                        message: "forbidden: site has no users yet: the first user must be an admin (user add \(name) --role admin)")
                }
            } else {
                try self.authorize(.manageUsers, actor: actor, in: db)
            }
            let existing = try self.user(named: name, in: db)
            if let existing, existing.role == .admin, user.role != .admin || !user.active {
                let admins = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user WHERE role = 'admin' AND active = 1") ?? 0
                if admins <= 1 {
                    throw DomainError(code: .conflict, message: "user '\(name)' is the last active admin: add another admin first")
                }
            }
            var values: [(String, FieldValue)] = [("role", .text(user.role.rawValue)), ("active", .int(user.active ? 1 : 0))]
            if existing == nil { values.append(("createdAt", .int(now))) }
            if let display { values.append(("displayName", .text(display))) }
            if let department { values.append(("department", .text(department))) }
            let current = try Row.fetchOne(db, sql: "SELECT * FROM user WHERE id = ?", arguments: [name])
            let changed = values.filter { field, value in current.map { FieldValue($0[field] as DatabaseValue) != value } ?? true }
            if !changed.isEmpty {
                try self.commit(changed.map { FieldEdit(entity: "user", rowID: name, field: $0.0, value: $0.1) }, actor: actor ?? (empty ? name : nil), in: db)
            }
            return try self.user(named: name, in: db)!
        }
    }

    /// A user by name, or nil.
    package func user(named name: String) async throws -> User? {
        try await cachedRead(.user(name)) { db in try self.user(named: name, in: db) }
    }

    func user(named name: String, in db: Database) throws -> User? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM user WHERE id = ? AND role IS NOT NULL", arguments: [name]) else {
            return nil
        }
        return Self.user(from: row)
    }

    /// All users, by name.
    package func users() async throws -> [User] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM user WHERE role IS NOT NULL ORDER BY id").compactMap(Self.user(from:))
        }
    }

    static func user(from row: Row) -> User? {
        guard let role = Role(rawValue: row["role"] ?? "") else { return nil }
        return User(
            name: row["id"], role: role, displayName: row["displayName"], department: row["department"],
            active: (row["active"] as Int64?) != 0)
    }

    // MARK: Passwords

    /// Sets a user's password hash, a replicated field so one password works on every site.
    ///
    /// The caller hashes (bcrypt, in TicketMeshServer); the store never sees a password.
    /// Admins set anyone's; any active user may set their own.
    /// - Throws: `DomainError.notFound` for an unknown user, `.invalidValue` for an empty hash,
    ///   `.forbidden` for anyone else. Nothing is written then.
    package func setPasswordHash(_ name: String, hash: String, actor: String?) async throws {
        guard !hash.isEmpty else { throw DomainError.missing(field: "password hash") }
        try await writer.write { db in
            guard try self.user(named: name, in: db) != nil else { throw DomainError.notFound("user", name) }
            if actor != name { try self.authorize(.manageUsers, actor: actor, in: db) }
            try self.commit([FieldEdit(entity: "user", rowID: name, field: "passwordHash", value: .text(hash))], actor: actor ?? name, in: db)
        }
    }

    /// The password hash of an active user, or nil (unknown, inactive, or no password set).
    ///
    /// Answered from the read cache while the database has not changed: the web server checks it on
    /// every request (a session ends when the password changes, by sync or the CLI alike).
    package func passwordHash(of name: String) async throws -> String? {
        try await cachedRead(.passwordHash(name)) { db in
            try String.fetchOne(
                db, sql: "SELECT passwordHash FROM user WHERE id = ? AND role IS NOT NULL AND active = 1", arguments: [name])
        }
    }

    /// Whether any active user has a password, i.e. whether anyone can log in to the HTTP API.
    package func hasPasswords() async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE role IS NOT NULL AND active = 1 AND passwordHash IS NOT NULL)")
                ?? false
        }
    }
}
