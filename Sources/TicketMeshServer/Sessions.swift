import Foundation
import Synchronization

/// Bearer tokens of logged-in users: random, in memory, local to this server process.
///
/// Tokens are not replicated: a login is valid on the site that issued it, and a restart
/// logs everyone out (Docs/web.md). Each token expires `lifetime` after login. A mutex rather
/// than an actor: every request looks its token up, and the look-up is a dictionary read.
final class Sessions: Sendable {
    struct Session: Sendable {
        let user: String
        let expiresAt: Date
        /// The password hash the login was checked against: a request whose user's current hash
        /// differs (changed here, by a CLI command or by sync) ends the session (Docs/web.md).
        let passwordHash: String
        /// The session's CSRF token: cookie-authenticated writes must carry it (`CSRF`).
        let csrf: String
    }

    private let sessions = Mutex<[String: Session]>([:])
    private let lifetime: TimeInterval
    private let now: @Sendable () -> Date

    init(lifetime: TimeInterval, now: @escaping @Sendable () -> Date = { Date() }) {
        self.lifetime = lifetime
        self.now = now
    }

    /// 32 random bytes as hex: tokens, CSRF tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Issues a new token for `user`, whose password was checked against `passwordHash`.
    func issue(for user: String, passwordHash: String) -> (token: String, session: Session) {
        let token = Self.randomToken()
        let current = now()
        let session = Session(
            user: user,
            expiresAt: current.addingTimeInterval(lifetime),
            passwordHash: passwordHash,
            csrf: Self.randomToken()
        )
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > current }
            sessions[token] = session
        }
        return (token, session)
    }

    /// The session of `token`, or nil if unknown or expired.
    func session(for token: String) -> Session? {
        let current = now()
        return sessions.withLock { sessions in
            guard let session = sessions[token] else { return nil }
            guard session.expiresAt > current else {
                sessions[token] = nil
                return nil
            }
            return session
        }
    }

    /// Ends a session.
    func revoke(_ token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: token) }
    }
}
