import Foundation
import PostgresNIO

/// A `--postgres` URL: `postgres://user[:password]@host[:port]/database[?sslmode=disable]`.
package struct PostgresURL: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String

    /// Parses and checks every part, naming the part that is wrong.
    package init(_ text: String) throws(HubError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme else {
            throw .badPostgresURL(text, reason: "not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .badPostgresURL(text, reason: "scheme '\(scheme)' must be postgres or postgresql")
        }
        guard let host = url.host, !host.isEmpty else { throw .badPostgresURL(text, reason: "no host") }
        guard let user = url.user, !user.isEmpty else { throw .badPostgresURL(text, reason: "no user") }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw .badPostgresURL(text, reason: "port \(port) must be 1–65535") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw .badPostgresURL(text, reason: "the path must name one database")
        }
        for item in url.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"): continue
            case ("sslmode", let value):
                throw .badPostgresURL(
                    text, reason: "sslmode=\(value ?? "") is not supported yet: only sslmode=disable (loopback or a private network)")
            default: throw .badPostgresURL(text, reason: "unknown parameter '\(item.name)' (only sslmode)")
            }
        }
        self.host = host
        self.port = port
        self.user = user
        self.password = url.password
        self.database = database
    }

    /// The client configuration for this URL.
    package var configuration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    /// The URL without its password, for messages.
    package var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
