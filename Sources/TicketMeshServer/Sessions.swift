import Foundation

/// Bearer tokens of logged-in users: random, in memory, local to this server process.
///
/// Tokens are not replicated: a login is valid on the site that issued it, and a restart
/// logs everyone out (Docs/web.md). Each token expires `lifetime` after login.
actor Sessions {
    struct Session: Sendable {
        let user: String
        let expiresAt: Date
    }

    private var sessions: [String: Session] = [:]
    private let lifetime: TimeInterval
    private let now: @Sendable () -> Date

    init(lifetime: TimeInterval, now: @escaping @Sendable () -> Date = { Date() }) {
        self.lifetime = lifetime
        self.now = now
    }

    /// Issues a new token for `user`: 32 random bytes, hex.
    func issue(for user: String) -> (token: String, session: Session) {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let session = Session(user: user, expiresAt: now().addingTimeInterval(lifetime))
        sweep()
        sessions[token] = session
        return (token, session)
    }

    /// The session of `token`, or nil if unknown or expired.
    func session(for token: String) -> Session? {
        guard let session = sessions[token] else { return nil }
        guard session.expiresAt > now() else {
            sessions[token] = nil
            return nil
        }
        return session
    }

    /// Ends a session.
    func revoke(_ token: String) {
        sessions[token] = nil
    }

    private func sweep() {
        let current = now()
        sessions = sessions.filter { $0.value.expiresAt > current }
    }
}
