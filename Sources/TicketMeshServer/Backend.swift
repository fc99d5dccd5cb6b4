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
    /// Failed logins per name and address.
    var throttle = LoginThrottle(limits: .init())
    /// Checks a password against a bcrypt hash (`Passwords.verify`; tests count the calls).
    var verifyPassword: @Sendable (_ password: String, _ hash: String) -> Bool = Passwords.verify
    /// Whether the server speaks HTTPS: cookies then get `Secure`.
    var https = false
    /// Live streams and presence (`LiveHub`); nil when the server runs without them.
    var live: LiveHub? = nil

    /// The cookie the web UI keeps its token in (HttpOnly, SameSite=Strict).
    static let sessionCookie = "tm_session"

    /// A request's login: the user as the store has them now, the session, and how the token came.
    struct Login: Sendable {
        let user: User
        let session: Sessions.Session
        let token: String
        /// The token came in the session cookie (a browser sends it by itself: writes need the CSRF token).
        let byCookie: Bool
    }

    /// The logged-in user of `request`, from `Authorization: Bearer` or the session cookie; a write
    /// authenticated by the cookie must carry the session's CSRF token in `X-CSRF-Token` (`CSRF`).
    ///
    /// - Throws: 401 without a valid token, or when the user has since been deactivated or their
    ///   password changed; 403 (`csrf-token`) for a cookie write without the token.
    func authenticate(_ request: Request) async throws -> User {
        let login = try await self.login(of: request)
        if login.byCookie, !CSRF.isSafe(request.method),
            !CSRF.matches(request.headers[CSRF.header], login.session.csrf)
        {
            throw CSRF.refusal()
        }
        return login.user
    }

    /// The login of `request` (no CSRF check: `authenticate` and `WebUI.route` make theirs).
    ///
    /// The session is checked against the store's current user record on every request (the user
    /// look-up is answered by the read cache while the file is unchanged): a user deactivated, or
    /// whose password hash differs from the one the login was checked against, ends the session,
    /// whether the change was made here, by a CLI command on the same file or by sync.
    /// - Throws: 401 as `authenticate`.
    func login(of request: Request) async throws -> Login {
        let bearer = request.headers[.authorization].flatMap { header in
            header.lowercased().hasPrefix("bearer ")
                ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        }
        let token = bearer ?? request.cookies[Self.sessionCookie]?.value
        let byCookie = bearer == nil
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
        guard try await store.passwordHash(of: session.user) == session.passwordHash else {
            sessions.revoke(token)
            throw APIError.unauthorized(
                "unauthorized: the password of user '\(session.user)' was changed after this login: log in again"
            )
        }
        return Login(user: user, session: session, token: token, byCookie: byCookie)
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
    /// until an admin sets a password with `ticketmesh user password NAME`. A name or an address
    /// with too many recent failures is refused before any check (`LoginThrottle`). Every other
    /// login runs exactly one bcrypt verification: against the user's hash, or for an unknown user,
    /// an inactive one or one without a password against `Passwords.dummyHash`, of the same cost.
    /// - Throws: 400 for missing fields, 401 for a wrong name or password (one message for both),
    ///   429 (`too-many-attempts`, with `retryAfter`) when throttled.
    func login(user name: String, password: String, address: String?) async throws
        -> (token: String, user: User, expiresAt: Date)
    {
        if let refusal = throttle.refusal(user: name, address: address) {
            logger.notice("Login throttled", metadata: ["user": "\(name)", "address": "\(address ?? "?")"])
            throw APIError.tooManyAttempts(refusal, limits: throttle.limits)
        }
        guard try await store.hasPasswords() else {
            throw APIError.unauthorized(
                "unauthorized: no user of this site has a password yet: run 'ticketmesh user add NAME --role admin' and 'ticketmesh user password NAME'"
            )
        }
        // nil for an unknown user, an inactive one or one without a password.
        let hash = try await store.passwordHash(of: name)
        let matches = verifyPassword(password, hash ?? Passwords.dummyHash)
        guard let hash, matches, let user = try await store.user(named: name), user.active else {
            throttle.recordFailure(user: name, address: address)
            logger.info("Login refused", metadata: ["user": "\(name)"])
            throw APIError.unauthorized("unauthorized: wrong user name or password")
        }
        throttle.recordSuccess(user: name)
        let issued = sessions.issue(for: user.name, passwordHash: hash)
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
