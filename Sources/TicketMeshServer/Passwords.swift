import HummingbirdBcrypt

/// Password hashing for users of the HTTP API and web UI (bcrypt, from hummingbird-auth).
package enum Passwords {
    /// The bcrypt cost: 2^10 rounds, about 50–100 ms on one core, so a login is cheap but guessing is not.
    package static let cost: UInt8 = 10

    /// Checks a new password's rules: 8–72 bytes (bcrypt reads at most 72).
    ///
    /// - Throws: `DomainError`-shaped message via `PasswordError` naming the rule.
    package static func validate(_ password: String) throws(PasswordError) {
        guard password.utf8.count >= 8 else {
            throw PasswordError(message: "invalid password: must be at least 8 characters")
        }
        guard password.utf8.count <= 72 else {
            throw PasswordError(message: "invalid password: must be at most 72 bytes")
        }
    }

    /// A bcrypt hash of `password` with a fresh salt; tests pass a lower `rounds` (4 is bcrypt's least).
    package static func hash(_ password: String, rounds: UInt8 = cost) -> String {
        Bcrypt.hash(password, cost: rounds)
    }

    /// The password of `dummyHash`. Knowing it opens nothing: a login succeeds only against a user's own hash.
    package static let dummyPassword = "ticketmesh-no-such-user"

    /// A well-formed hash at `cost`, made once per process (`WebServer.run` makes it before it
    /// listens): a login for an unknown user, an inactive one or one without a password is checked
    /// against it, so it costs the same bcrypt work as a real one and its time does not tell which
    /// names exist (Docs/web.md, "Logins").
    package static let dummyHash = hash(dummyPassword)

    /// Whether `password` matches `hash`; false for a malformed hash.
    package static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}

/// A password that breaks a rule; the message names the rule, never the password.
package struct PasswordError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
