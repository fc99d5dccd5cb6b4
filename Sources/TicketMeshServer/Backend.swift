import Foundation
import Hummingbird
import Logging
import TicketMeshDomain
import TicketMeshStore

/// What every route handler shares: the replica, the login sessions and the logger.
struct Backend: Sendable {
    let store: ReplicaStore
    let sessions: Sessions
    let logger: Logger
    /// The sync peers for the site page (empty when the server runs without sync).
    var peers: @Sendable () async -> [PeerView] = { [] }

    /// The cookie the web UI keeps its token in (HttpOnly, SameSite=Strict).
    static let sessionCookie = "tm_session"

    /// The logged-in user of `request`, from `Authorization: Bearer` or the session cookie.
    ///
    /// - Throws: 401 without a valid token, or when the user has since been deactivated.
    func authenticate(_ request: Request) async throws -> User {
        let token: String? =
            if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
                String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            } else {
                request.cookies[Self.sessionCookie]?.value
            }
        guard let token, !token.isEmpty else {
            throw APIError.unauthorized(
                "unauthorized: no token: log in with POST /api/login and send 'Authorization: Bearer TOKEN'"
            )
        }
        guard let session = sessions.session(for: token) else {
            throw APIError.unauthorized("unauthorized: the token is unknown or expired: log in again")
        }
        guard let user = try await store.user(named: session.user), user.active else {
            sessions.revoke(token)
            throw APIError.unauthorized("unauthorized: user '\(session.user)' is no longer active")
        }
        return user
    }

    /// Checks that the logged-in `user` may take `action` (R10.2): `authenticate` has just read
    /// them, active, as of this request, so only the role is left to check. Commands check again
    /// inside their write transaction.
    ///
    /// - Throws: 403 naming the user, the role and the roles that may.
    static func require(_ action: Permission, of user: User) throws {
        guard user.role.allows(action) else { throw action.refusal(user: user.name, role: user.role) }
    }

    /// Checks a password and opens a session.
    ///
    /// Open mode (no user has a password yet) refuses every login: the API and UI are closed
    /// until an admin sets a password with `ticketmesh user password NAME`.
    /// - Throws: 400 for missing fields, 401 for a wrong name or password (one message for both).
    func login(user name: String, password: String) async throws -> (token: String, user: User, expiresAt: Date) {
        guard try await store.hasPasswords() else {
            throw APIError.unauthorized(
                "unauthorized: no user of this site has a password yet: run 'ticketmesh user add NAME --role admin' and 'ticketmesh user password NAME'"
            )
        }
        guard let hash = try await store.passwordHash(of: name), Passwords.verify(password, hash: hash),
            let user = try await store.user(named: name)
        else {
            logger.info("Login refused", metadata: ["user": "\(name)"])
            throw APIError.unauthorized("unauthorized: wrong user name or password")
        }
        let issued = sessions.issue(for: user.name)
        logger.debug("Login", metadata: ["user": "\(name)"])
        return (issued.token, user, issued.session.expiresAt)
    }

    /// Checks that `user` may read what `action` covers, in the store (the same check as writes),
    /// and returns how the read shows personal data (`Disclosure.masked`; see Docs/workflow.md
    /// "Read rights"). Every read route calls it; the interfaces only render what it discloses.
    ///
    /// - Throws: 403 naming the user, the role and the roles that may.
    func disclosure(_ action: Permission, for user: User) async throws -> Disclosure {
        try await store.disclosure(for: action, actor: user.name)
    }
}

/// JSON responses.
enum JSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
